/* Fuzzes command splitting and nickname checks: every pointer stays inside
 * the line, words are non-empty and blank-free, and the loop over words
 * ends. */
#include "fuzz.h"

#include "cmd.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    REQUIRE(line);
    memcpy(line, data, size);
    line[size] = '\0';
    size_t len = strlen(line);
    const char *end = line + len;

    bool valid = nick_valid((const char *)data, size);
    REQUIRE(!valid || (size >= 1 && size <= NICK_MAX));

    struct cmd c;
    if (cmd_parse(line, &c)) {
        REQUIRE(line[0] == '/' && c.name == line + 1);
        REQUIRE(c.name_len >= 1 && c.name + c.name_len <= end);
        REQUIRE(memchr(c.name, ' ', c.name_len) == NULL);
        REQUIRE(memchr(c.name, '\t', c.name_len) == NULL);
        REQUIRE(c.args >= c.name + c.name_len && c.args <= end);
        REQUIRE(*c.args != ' ' && *c.args != '\t');
        REQUIRE(cmd_is(&c, "help") == (c.name_len == 4 && strncasecmp(c.name, "help", 4) == 0));

        const char *args = c.args, *w;
        size_t wl, rounds = 0;
        while (cmd_next_word(&args, &w, &wl)) {
            REQUIRE(++rounds <= len);
            REQUIRE(wl >= 1 && w >= c.args && w + wl <= end);
            REQUIRE(memchr(w, ' ', wl) == NULL && memchr(w, '\t', wl) == NULL);
            REQUIRE(args >= w + wl && args <= end);
        }
        REQUIRE(*args == '\0');
    } else {
        REQUIRE(len < 2 || line[0] != '/' || line[1] == '/' || line[1] == ' ' ||
                !((line[1] >= 'a' && line[1] <= 'z') || (line[1] >= 'A' && line[1] <= 'Z')));
    }
    free(line);
    return 0;
}

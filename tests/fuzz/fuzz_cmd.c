/* Fuzzes command splitting and nickname checks: every pointer stays inside
 * the line, words are non-empty and blank-free, and the loop over words
 * ends; a nick's skeleton is a fixed point of nick_skeleton and the same
 * nick as the nick. */
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
    REQUIRE(!valid || (data[0] != '_' && data[0] != '-'));

    /* The skeleton: within its buffer, no '_' at either end, no upper
     * case, no I/1/0/'-'; the same for a nick and its skeleton (one nick);
     * never longer than the input. A cap from the input cuts it. */
    char skel[NICK_SKELETON_CAP], again[NICK_SKELETON_CAP];
    size_t sl = nick_skeleton((const char *)data, size, skel, sizeof skel);
    REQUIRE(sl < sizeof skel && skel[sl] == '\0' && sl <= size);
    REQUIRE(sl == 0 || (skel[0] != '_' && skel[sl - 1] != '_'));
    for (size_t i = 0; i < sl; i++)
        REQUIRE(!(skel[i] >= 'A' && skel[i] <= 'Z') &&
                (skel[i] == '\0' || strchr("i10-", skel[i]) == NULL));
    REQUIRE(nick_skeleton(skel, sl, again, sizeof again) == sl && memcmp(skel, again, sl) == 0);
    size_t cap = size ? data[0] % sizeof skel : 0;
    char *small = malloc(cap ? cap : 1);
    REQUIRE(small);
    size_t cl = nick_skeleton((const char *)data, size, small, cap);
    REQUIRE(cap == 0 ? cl == 0 : cl < cap && small[cl] == '\0');
    free(small);
    if (valid) {
        char nick[NICK_MAX + 1];
        memcpy(nick, data, size);
        nick[size] = '\0';
        REQUIRE(nick_same(nick, nick));
        REQUIRE(sl == 0 || nick_same(nick, skel));
    }

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

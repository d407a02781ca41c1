/* Fuzzes the client's handling of server lines (tuicore's chat_on_bytes)
 * and checks the client's promise: whatever a server sends, every log line
 * and the status bar the view would draw are valid UTF-8 free of control
 * characters. Byte 0 seeds how the input is chunked and when time passes. */
#include "fuzz.h"

#include "chatlog.h"
#include "chat.h"
#include "sanitize.h"
#include "status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void require_safe(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;

    REQUIRE(utf8_valid_prefix(s, n) == n);
    for (size_t i = 0; i < n; i++) {
        REQUIRE(u[i] >= 0x20 && u[i] != 0x7f);
        if (u[i] == 0xc2 && i + 1 < n)
            REQUIRE(u[i + 1] >= 0xa0);
    }
}

static void check_view(struct chatlog *log, const struct status *st)
{
    static char line[16384];
    struct entry_spans sp;

    for (size_t i = 0; i < chatlog_count(log); i++) {
        struct entry *e = chatlog_at(log, i);
        size_t n = entry_format(e, line, sizeof line, &sp);
        REQUIRE(n < sizeof line);
        require_safe(line, n);
    }
    size_t n = status_format(st, line, sizeof line);
    REQUIRE(n < sizeof line);
    require_safe(line, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chatlog log;
    struct status st;
    struct chat c;

    if (size < 1)
        return 0;
    unsigned seed = data[0];
    const char *in = (const char *)data + 1;
    size_t n = size - 1;

    REQUIRE(chatlog_init(&log, 64) == 0);
    status_init(&st);
    REQUIRE(chat_init(&c, &log, &st, "fuzzer") == 0);
    int64_t now = 1000, wall = 1764000000;
    chat_clock(&c, now, wall);
    chat_on_connect(&c);

    for (size_t off = 0; off < n;) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = 1 + (seed >> 16) % 512;
        if (chunk > n - off)
            chunk = n - off;
        chat_on_bytes(&c, in + off, chunk);
        off += chunk;
        if ((seed >> 8) % 4 == 0) {
            now += (seed >> 4) % 4000;
            wall = 1764000000 + now / 1000;
            chat_clock(&c, now, wall);
            chat_tick(&c);
        }
        if ((seed >> 12) % 8 == 0)
            chat_submit(&c, "hello from the fuzzer");
        if ((seed >> 20) % 16 == 0) {
            /* A reconnect: the next WELCOME starts a history replay
             * against what the log already holds. */
            chat_on_disconnect(&c, "fuzz reconnect");
            chat_on_connect(&c);
        }
        size_t olen;
        chat_output(&c, &olen);
        chat_consume(&c, olen);
    }
    check_view(&log, &st);
    chat_on_disconnect(&c, "fuzz input ended");
    check_view(&log, &st);

    chat_free(&c);
    chatlog_free(&log);
    return 0;
}

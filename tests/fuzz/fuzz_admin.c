/* Fuzzes the admin socket's lines, both ways: what the dashboard parses
 * from the server (every pointer inside the line, fields within their
 * bounds), and what the server formats from any values (one line, and
 * parsed back to the same line: formatting is a fixed point after one
 * pass). The input is also taken as subscribe arguments, as an admin
 * would type them. */
#include "fuzz.h"

#include "admin.h"

#include <stdio.h>
#include <string.h>

static bool inside(const char *p, size_t n, const char *line, size_t len)
{
    return n == 0 || (p >= line && p + n <= line + len);
}

/* The line, formatted again from what was parsed. 0: not a type that is
 * formatted from fields. */
static size_t reformat(const struct admin_line *l, char *buf, size_t cap)
{
    char addr[ADMIN_WORD_MAX], nick[ADMIN_WORD_MAX];
    struct admin_stats st;
    struct admin_row r;
    switch (l->type) {
    case ADMIN_EVENT:
        REQUIRE(l->addr_len < ADMIN_LINE_MAX && l->nick_len < ADMIN_LINE_MAX);
        snprintf(addr, sizeof addr, "%.*s", (int)l->addr_len, l->addr);
        snprintf(nick, sizeof nick, "%.*s", (int)l->nick_len, l->nick);
        return admin_format_event(buf, cap, l->ms, l->ev, addr, nick, l->text, l->text_len);
    case ADMIN_STATS:
        admin_parse_stats(l->text, l->text_len, &st);
        REQUIRE(memchr(st.mode, '\0', sizeof st.mode) && memchr(st.reach, '\0', sizeof st.reach));
        return admin_format_stats(buf, cap, &st);
    case ADMIN_ROW:
        admin_parse_row(l->text, l->text_len, &r);
        REQUIRE(memchr(r.nick, '\0', sizeof r.nick) && memchr(r.worker, '\0', sizeof r.worker));
        return admin_format_row(buf, cap, &r);
    case ADMIN_OUT:
    case ADMIN_OK:
    case ADMIN_ERR:
    case ADMIN_BYE:
        return admin_format_text(buf, cap, l->type, l->text, l->text_len);
    default:
        return 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *line = (const char *)data;
    struct admin_line l;
    if (admin_parse(line, size, &l)) {
        REQUIRE(size < ADMIN_LINE_MAX + 1);
        REQUIRE(inside(l.text, l.text_len, line, size));
        REQUIRE(inside(l.addr, l.addr_len, line, size));
        REQUIRE(inside(l.nick, l.nick_len, line, size));
        REQUIRE(l.type != ADMIN_ROSTER || (l.shown <= l.total && l.shown <= ADMIN_ROSTER_MAX));
        REQUIRE((unsigned)l.ev < AEV_COUNT);

        static char once[2 * ADMIN_LINE_MAX], twice[2 * ADMIN_LINE_MAX];
        size_t n1 = reformat(&l, once, sizeof once);
        if (n1 > 0) {
            REQUIRE(n1 == strlen(once) && memchr(once, '\n', n1) == NULL);
            struct admin_line l2;
            if (n1 < ADMIN_LINE_MAX) {
                REQUIRE(admin_parse(once, n1, &l2));
                REQUIRE(l2.type == l.type);
                size_t n2 = reformat(&l2, twice, sizeof twice);
                REQUIRE(n2 == n1 && memcmp(once, twice, n1) == 0);
            }
        }
    }

    char *args = malloc(size + 1);
    REQUIRE(args);
    memcpy(args, data, size);
    args[size] = '\0';
    unsigned mask = 0xdead;
    if (admin_parse_subscribe(args, &mask))
        REQUIRE(mask != 0 && (mask & ~(unsigned)ADMIN_SUB_ALL) == 0);
    else
        REQUIRE(mask == 0xdead);
    free(args);
    return 0;
}

/* linebuf: framing must not depend on how TCP happens to split the stream. */
#include "check_proto.h"
#include "linebuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The events of a decode, written as text so runs compare with one strcmp:
 * "L<len>:<bytes>|" per line (NUL shown as "\0"), "O|" per overlong. */
struct trace {
    char s[8192];
    size_t len;
    int overlong;
};

static void trace_add(struct trace *t, const char *p, size_t n)
{
    REQUIRE(t->len + n < sizeof t->s);
    memcpy(t->s + t->len, p, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* Feeds one chunk until it is all consumed, recording every event. */
static void feed_chunk(struct linebuf *lb, const char *data, size_t size, struct trace *t)
{
    size_t off = 0;
    int rounds = 0;

    while (off < size) {
        size_t used;
        char *line;
        size_t len;
        enum linebuf_status st = linebuf_feed(lb, data + off, size - off, &used, &line, &len);
        REQUIRE(used <= size - off);
        off += used;
        REQUIRE(++rounds < 100000);
        if (st == LINEBUF_LINE) {
            char head[32];
            REQUIRE(len <= lb->limit);
            REQUIRE(line[len] == '\0');
            snprintf(head, sizeof head, "L%zu:", len);
            trace_add(t, head, strlen(head));
            for (size_t i = 0; i < len; i++) {
                if (line[i] == '\0')
                    trace_add(t, "\\0", 2);
                else
                    trace_add(t, &line[i], 1);
            }
            trace_add(t, "|", 1);
        } else if (st == LINEBUF_OVERLONG) {
            trace_add(t, "O|", 2);
            t->overlong++;
        } else {
            REQUIRE(st == LINEBUF_NEED_MORE);
            REQUIRE(off == size);
        }
        /* The memory bound holds at every step. */
        REQUIRE(lb->cap <= lb->limit + 2);
        REQUIRE(linebuf_pending(lb) <= lb->limit + 1);
    }
}

struct split_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    size_t limit;
    const char *want;
};

#define IN(s) s, sizeof(s) - 1

static const struct split_case split_cases[] = {
    {IN("hello\nworld\n"), 16, "L5:hello|L5:world|"},
    {IN("crlf\r\nline\r\n"), 16, "L4:crlf|L4:line|"},
    {IN("\n\n\r\n"), 16, "L0:|L0:|L0:|"},
    {IN("tail without newline"), 64, ""},
    {IN("done\npartial"), 64, "L4:done|"},
    {IN("a\rb\r\n"), 16, "L3:a\rb|"},
    {IN("two\r\r\n"), 16, "L4:two\r|"},
    {IN("nul\0inside\n"), 16, "L10:nul\\0inside|"},
    {IN("12345678\n"), 8, "L8:12345678|"},
    {IN("12345678\r\n"), 8, "L8:12345678|"},
    {IN("123456789\n"), 8, "O|"},
    {IN("123456789\r\n"), 8, "O|"},
    {IN("123456789012345\nok\n"), 8, "O|L2:ok|"},
    {IN("ab\n1234567890123456789012\r\ncd\n"), 8, "L2:ab|O|L2:cd|"},
    {IN("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), 8, "O|"},
    {IN("\xff\xfe garbage \x1b[0m\nok\n"), 64, "L15:\xff\xfe garbage \x1b[0m|L2:ok|"},
    {IN("x\n"), 0, "O|"},
    {IN("\n"), 0, "L0:|"},
};

static void decode_split(const struct split_case *c, const size_t *cuts, size_t ncuts,
                         struct trace *t)
{
    struct linebuf lb;
    size_t prev = 0;

    memset(t, 0, sizeof *t);
    linebuf_init(&lb, c->limit);
    for (size_t k = 0; k <= ncuts; k++) {
        size_t end = cuts != NULL && k < ncuts ? cuts[k] : c->len;
        feed_chunk(&lb, c->in + prev, end - prev, t);
        prev = end;
    }
    linebuf_free(&lb);
}

START_TEST(test_every_split)
{
    const struct split_case *c = &split_cases[_i];
    struct trace whole, t;

    decode_split(c, NULL, 0, &whole);
    ck_assert_str_eq(whole.s, c->want);

    /* Every 2-way split, empty chunks at either end included. */
    for (size_t cut = 0; cut <= c->len; cut++) {
        decode_split(c, &cut, 1, &t);
        ck_assert_msg(strcmp(t.s, whole.s) == 0, "case %d split at %zu: got %s want %s", _i, cut,
                      t.s, whole.s);
    }
    /* Every 3-way split. */
    for (size_t a = 0; a <= c->len; a++) {
        for (size_t b = a; b <= c->len; b++) {
            size_t cuts[2] = {a, b};
            decode_split(c, cuts, 2, &t);
            ck_assert_msg(strcmp(t.s, whole.s) == 0, "case %d split at %zu,%zu", _i, a, b);
        }
    }
    /* One byte at a time. */
    size_t cuts[64];
    ck_assert_uint_lt(c->len, 64);
    for (size_t k = 0; k < c->len; k++)
        cuts[k] = k + 1;
    decode_split(c, cuts, c->len ? c->len - 1 : 0, &t);
    ck_assert_str_eq(t.s, whole.s);
}
END_TEST

START_TEST(test_overlong_reported_once)
{
    struct linebuf lb;
    struct trace t = {0};
    char chunk[7];

    memset(chunk, 'x', sizeof chunk);
    linebuf_init(&lb, 64);
    feed_chunk(&lb, "before\n", 7, &t);
    /* 1 MB with no newline, in odd-sized chunks. */
    for (int i = 0; i < (1 << 20) / 7; i++)
        feed_chunk(&lb, chunk, sizeof chunk, &t);
    ck_assert_int_eq(t.overlong, 1);
    ck_assert_uint_le(lb.cap, 66);
    ck_assert_uint_eq(linebuf_pending(&lb), 0);
    feed_chunk(&lb, "xx\nafter\n", 9, &t);
    ck_assert_str_eq(t.s, "L6:before|O|L5:after|");
    linebuf_free(&lb);
}
END_TEST

START_TEST(test_limit_line)
{
    enum { LIMIT = LINE_MAX_BYTES };
    static char in[LIMIT + 2];
    struct linebuf lb;
    size_t used, len;
    char *line;

    memset(in, 'a', LIMIT);
    in[LIMIT] = '\r';
    in[LIMIT + 1] = '\n';
    linebuf_init(&lb, LIMIT);
    /* Exactly the limit, with CRLF: a line. */
    ck_assert_int_eq(linebuf_feed(&lb, in, LIMIT + 2, &used, &line, &len), LINEBUF_LINE);
    ck_assert_uint_eq(used, LIMIT + 2);
    ck_assert_uint_eq(len, LIMIT);
    ck_assert_int_eq(line[LIMIT], '\0');
    ck_assert_uint_eq(lb.cap, LIMIT + 2);
    /* Exactly the limit, bare LF: a line. */
    in[LIMIT] = '\n';
    ck_assert_int_eq(linebuf_feed(&lb, in, LIMIT + 1, &used, &line, &len), LINEBUF_LINE);
    ck_assert_uint_eq(len, LIMIT);
    /* One more: overlong, and the LF ends it (no discarding after). */
    in[LIMIT] = 'a';
    in[LIMIT + 1] = '\n';
    ck_assert_int_eq(linebuf_feed(&lb, in, LIMIT + 2, &used, &line, &len), LINEBUF_OVERLONG);
    ck_assert_uint_eq(used, LIMIT + 2);
    ck_assert_int_eq(linebuf_feed(&lb, "ok\n", 3, &used, &line, &len), LINEBUF_LINE);
    ck_assert_str_eq(line, "ok");
    linebuf_free(&lb);
}
END_TEST

START_TEST(test_growth_and_trim)
{
    struct linebuf lb;
    size_t used, len;
    char *line;

    linebuf_init(&lb, LINE_MAX_BYTES);
    ck_assert_ptr_null(lb.buf);
    ck_assert_int_eq(linebuf_feed(&lb, "", 0, &used, &line, &len), LINEBUF_NEED_MORE);
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(linebuf_feed(&lb, "abc", 3, &used, &line, &len), LINEBUF_NEED_MORE);
    ck_assert_uint_eq(linebuf_pending(&lb), 3);
    ck_assert_uint_le(lb.cap, 256);
    ck_assert(!linebuf_trim(&lb)); /* a partial line is held */
    ck_assert_int_eq(linebuf_feed(&lb, "\n", 1, &used, &line, &len), LINEBUF_LINE);
    ck_assert_str_eq(line, "abc");
    ck_assert_uint_eq(linebuf_pending(&lb), 0);
    ck_assert(linebuf_trim(&lb));
    ck_assert_ptr_null(lb.buf);
    ck_assert_int_eq(linebuf_feed(&lb, "x\n", 2, &used, &line, &len), LINEBUF_LINE);
    ck_assert_str_eq(line, "x");
    linebuf_free(&lb);
    ck_assert_ptr_null(lb.buf);
}
END_TEST

/* The returned line stays valid until the next call, even with the next
 * line already in the same chunk. */
START_TEST(test_line_valid_until_next_call)
{
    struct linebuf lb;
    const char *in = "first\nsecond\n";
    size_t used, len;
    char *line;

    linebuf_init(&lb, 32);
    ck_assert_int_eq(linebuf_feed(&lb, in, strlen(in), &used, &line, &len), LINEBUF_LINE);
    ck_assert_uint_eq(used, 6);
    ck_assert_str_eq(line, "first");
    ck_assert_int_eq(linebuf_feed(&lb, in + used, strlen(in) - used, &used, &line, &len),
                     LINEBUF_LINE);
    ck_assert_str_eq(line, "second");
    linebuf_free(&lb);
}
END_TEST

/* Random streams of random lines: decoding in random chunks must give back
 * exactly the lines that were written. */
START_TEST(test_random_streams)
{
    uint32_t seed = 12345;
    enum { LIMIT = 40 };

    for (int round = 0; round < 300; round++) {
        char in[2048], want[8192];
        size_t n = 0, wn = 0;
        want[0] = '\0';
        while (n < sizeof in - 100) {
            seed = seed * 1103515245u + 12345u;
            size_t ll = (seed >> 16) % 60;
            bool crlf = (seed >> 8) & 1;
            for (size_t k = 0; k < ll; k++) {
                seed = seed * 1103515245u + 12345u;
                char ch = (char)('a' + (seed >> 16) % 26);
                in[n++] = ch;
            }
            if (crlf)
                in[n++] = '\r';
            in[n++] = '\n';
            if (ll > LIMIT)
                wn += (size_t)snprintf(want + wn, sizeof want - wn, "O|");
            else
                wn += (size_t)snprintf(want + wn, sizeof want - wn, "L%zu:%.*s|", ll, (int)ll,
                                       in + n - ll - 1 - crlf);
        }
        struct linebuf lb;
        struct trace t = {0};
        linebuf_init(&lb, LIMIT);
        for (size_t off = 0; off < n;) {
            seed = seed * 1103515245u + 12345u;
            size_t c = 1 + (seed >> 16) % 97;
            if (c > n - off)
                c = n - off;
            feed_chunk(&lb, in + off, c, &t);
            off += c;
        }
        linebuf_free(&lb);
        ck_assert_str_eq(t.s, want);
    }
}
END_TEST

Suite *linebuf_suite(void)
{
    Suite *s = suite_create("linebuf");
    TCase *tc = tcase_create("linebuf-splits");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_loop_test(tc, test_every_split, 0, (int)(sizeof split_cases / sizeof split_cases[0]));
    tcase_add_test(tc, test_random_streams);
    suite_add_tcase(s, tc);

    tc = tcase_create("linebuf-limits");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_test(tc, test_overlong_reported_once);
    tcase_add_test(tc, test_limit_line);
    tcase_add_test(tc, test_growth_and_trim);
    tcase_add_test(tc, test_line_valid_until_next_call);
    suite_add_tcase(s, tc);
    return s;
}

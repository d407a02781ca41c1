/* wire: the ring of system calls (bounded at WIRE_RECORDS, the oldest
 * dropped, memory fixed) and the rendering of their bytes: line boundaries
 * marked, controls and invalid UTF-8 shown, wide text cut to a width. */
#include "check_tui.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "wire.h"

/* ---- the ring ---- */

START_TEST(test_ring_bounded)
{
    struct wire w = {0};
    ck_assert_int_eq(wire_open(&w), 0);
    for (int i = 0; i < WIRE_RECORDS + 500; i++) {
        char b[16];
        int n = snprintf(b, sizeof(b), "m%d\n", i);
        wire_add(&w, i % 2 ? WIRE_WRITE : WIRE_READ, i, b, (size_t)n);
        size_t want = (size_t)i + 1 < WIRE_RECORDS ? (size_t)i + 1 : WIRE_RECORDS;
        ck_assert_uint_eq(wire_count(&w), want);
    }
    ck_assert_uint_eq(wire_count(&w), 1000);
    ck_assert_uint_eq(w.total, WIRE_RECORDS + 500);
    /* The first 500 were dropped, the rest are there in order. */
    ck_assert_ptr_null(wire_get(&w, 0));
    ck_assert_ptr_null(wire_get(&w, 499));
    const struct wire_rec *r = wire_get(&w, 500);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->ms, 500);
    ck_assert_uint_eq(r->kind, WIRE_READ);
    ck_assert_uint_eq(r->count, 5);
    ck_assert_int_eq(memcmp(r->bytes, "m500\n", 5), 0);
    r = wire_get(&w, WIRE_RECORDS + 499);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->ms, WIRE_RECORDS + 499);
    ck_assert_uint_eq(r->kind, WIRE_WRITE);
    ck_assert_ptr_null(wire_get(&w, WIRE_RECORDS + 500));
    wire_free(&w);
    ck_assert_uint_eq(wire_count(&w), 0);
}
END_TEST

START_TEST(test_memory_bounded)
{
    struct wire w = {0};
    ck_assert_uint_eq(wire_mem(&w), 0);
    wire_add(&w, WIRE_READ, 0, "x", 1); /* not open: not recording */
    ck_assert_uint_eq(wire_count(&w), 0);
    ck_assert_int_eq(wire_open(&w), 0);
    size_t mem = wire_mem(&w);
    ck_assert_uint_eq(mem, WIRE_MEM);
    ck_assert_uint_le(mem, 300 * 1024); /* the figure wire.h states */
    enum { BIG = 65536 };
    char *big = malloc(BIG);
    ck_assert_ptr_nonnull(big);
    memset(big, 'a', BIG);
    for (int i = 0; i < 3 * WIRE_RECORDS; i++)
        wire_add(&w, WIRE_READ, i, big, BIG);
    free(big);
    ck_assert_uint_eq(wire_mem(&w), mem);
    const struct wire_rec *r = wire_get(&w, w.total - 1);
    ck_assert_uint_eq(r->count, BIG); /* the full count is remembered */
    ck_assert_uint_eq(r->kept, WIRE_KEEP);
    ck_assert_int_eq(wire_open(&w), 0); /* again: the same ring, kept */
    ck_assert_uint_eq(wire_count(&w), WIRE_RECORDS);
    wire_free(&w);
}
END_TEST

/* ---- rendering ---- */

static const struct render_case {
    const char *what;
    const char *in;
    size_t len;
    bool cut;
    size_t cols;
    bool ascii;
    const char *want;
} render_cases[] = {
    {"two messages in one read", "CHAT 1 bob hi\nCHAT 2 bob yo\n", 28, false, SIZE_MAX, false,
     "CHAT 1 bob hi\\n│CHAT 2 bob yo\\n│"},
    {"a message split: first read", "CHAT 1 bo", 9, false, SIZE_MAX, false, "CHAT 1 bo"},
    {"a message split: second read", "b hi\n", 5, false, SIZE_MAX, false, "b hi\\n│"},
    {"CRLF and a tab", "a\tb\r\n", 5, false, SIZE_MAX, false, "a\\tb\\r\\n│"},
    {"escape, NUL, backslash, other controls", "\x1b[31m\0\\\x01\x7f", 9, false, SIZE_MAX, false,
     "⟨ESC⟩[31m⟨NUL⟩\\\\\\x01\\x7F"},
    {"escapes in ASCII mode", "\x1b\0\n", 3, false, SIZE_MAX, true, "<ESC><NUL>\\n|"},
    {"valid UTF-8 as it is", "café 日本", 12, false, SIZE_MAX, false, "café 日本"},
    {"invalid UTF-8 byte by byte", "ok\xc3(\xff\xe6\x97", 7, false, SIZE_MAX, false,
     "ok\\xC3(\\xFF\\xE6\\x97"},
    {"a C1 control", "\xc2\x85", 2, false, SIZE_MAX, false, "\\xC2\\x85"},
    {"non-ASCII in ASCII mode", "é", 2, false, SIZE_MAX, true, "\\xC3\\xA9"},
    {"fits exactly", "abcdef", 6, false, 6, false, "abcdef"},
    {"cut to a width", "abcdefgh", 8, false, 6, false, "abcde…"},
    {"cut to a width, ASCII", "abcdefgh", 8, false, 6, true, "abc..."},
    {"wide text never split", "日本語日本語", 18, false, 7, false, "日本語…"},
    {"wide text, an odd width", "日本語日本語", 18, false, 6, false, "日本…"},
    {"an escape never split", "ab\x1b", 3, false, 6, false, "ab…"},
    {"a boundary never split", "abc\n", 4, false, 5, false, "abc…"},
    {"bytes not kept", "abc", 3, true, SIZE_MAX, false, "abc…"},
    {"bytes not kept, narrow", "abc", 3, true, 3, false, "ab…"},
    {"empty", "", 0, false, 10, false, ""},
};

START_TEST(test_render)
{
    const struct render_case *c = &render_cases[_i];
    char out[WIRE_ROW_MAX];
    size_t n = wire_render(c->in, c->len, c->cut, c->cols, c->ascii, out, sizeof(out));
    ck_assert_msg(strcmp(out, c->want) == 0, "%s: got \"%s\", want \"%s\"", c->what, out, c->want);
    ck_assert_uint_eq(n, strlen(out));
    if (c->cols != SIZE_MAX)
        ck_assert_uint_le(text_width(out, n), c->cols);
}
END_TEST

/* Every kept byte an escape, and an output buffer too small: never past
 * cap, and ends in the mark. */
START_TEST(test_render_worst_case)
{
    char in[WIRE_KEEP], out[WIRE_ROW_MAX], small[20];
    memset(in, 0x1b, sizeof(in));
    size_t n = wire_render(in, sizeof(in), false, SIZE_MAX, false, out, sizeof(out));
    ck_assert_uint_eq(n, WIRE_KEEP * strlen("⟨ESC⟩"));
    n = wire_render(in, sizeof(in), false, SIZE_MAX, false, small, sizeof(small));
    ck_assert_uint_lt(n, sizeof(small));
    ck_assert_str_eq(small, "⟨ESC⟩…");
}
END_TEST

START_TEST(test_format_rows)
{
    struct wire_rec r = {.ms = 12345, .count = 17, .kept = 17, .kind = WIRE_READ};
    memcpy(r.bytes, "Message received\n", 17);
    char out[WIRE_ROW_MAX];
    size_t pre;
    size_t n = wire_format(&r, SIZE_MAX, false, out, sizeof(out), &pre);
    ck_assert_str_eq(out, "← 12.345s read    17 B  Message received\\n│");
    ck_assert_uint_eq(n, strlen(out));
    ck_assert_uint_eq(pre, strlen("← 12.345s read    17 B  "));
    r.kind = WIRE_WRITE;
    r.ms = 7;
    wire_format(&r, SIZE_MAX, true, out, sizeof(out), NULL);
    ck_assert_str_eq(out, "->  0.007s write   17 B  Message received\\n|");
    /* At 30 columns the bytes are cut, the count stays whole. */
    n = wire_format(&r, 30, false, out, sizeof(out), NULL);
    ck_assert_str_eq(out, "→  0.007s write   17 B  Messa…");
    ck_assert_uint_eq(text_width(out, n), 30);
    /* read() returning 0, and the connection itself. */
    r.kind = WIRE_READ;
    r.count = r.kept = 0;
    wire_format(&r, SIZE_MAX, false, out, sizeof(out), NULL);
    ck_assert_str_eq(out, "←  0.007s read     0 B  (end of stream: the server closed)");
    r.kind = WIRE_CONNECT;
    r.ms = 0;
    wire_format(&r, SIZE_MAX, false, out, sizeof(out), NULL);
    ck_assert_str_eq(out, "•  0.000s connected");
}
END_TEST

Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("ring");
    tcase_add_test(tc, test_ring_bounded);
    tcase_add_test(tc, test_memory_bounded);
    suite_add_tcase(s, tc);
    tc = tcase_create("render");
    tcase_add_loop_test(tc, test_render, 0, sizeof(render_cases) / sizeof(*render_cases));
    tcase_add_test(tc, test_render_worst_case);
    tcase_add_test(tc, test_format_rows);
    suite_add_tcase(s, tc);
    return s;
}

/* text: UTF-8 decoding, widths of wide characters, and word wrap. */
#include "check_tui.h"

#include <string.h>

#include "text.h"

START_TEST(test_decode)
{
    uint32_t cp;
    ck_assert_uint_eq(text_decode("A", 1, &cp), 1);
    ck_assert_uint_eq(cp, 'A');
    ck_assert_uint_eq(text_decode("\xc3\xa9", 2, &cp), 2);
    ck_assert_uint_eq(cp, 0xE9);
    ck_assert_uint_eq(text_decode("\xe6\x97\xa5", 3, &cp), 3);
    ck_assert_uint_eq(cp, 0x65E5);
    ck_assert_uint_eq(text_decode("\xf0\x9f\x91\x8d", 4, &cp), 4);
    ck_assert_uint_eq(cp, 0x1F44D);
    /* Bad: truncated, overlong, surrogate, stray continuation. */
    ck_assert_uint_eq(text_decode("\xe6\x97", 2, &cp), 1);
    ck_assert_uint_eq(cp, TEXT_REPLACEMENT);
    ck_assert_uint_eq(text_decode("\xc0\xaf", 2, &cp), 1);
    ck_assert_uint_eq(cp, TEXT_REPLACEMENT);
    ck_assert_uint_eq(text_decode("\xed\xa0\x80", 3, &cp), 1);
    ck_assert_uint_eq(cp, TEXT_REPLACEMENT);
    ck_assert_uint_eq(text_decode("\x80", 1, &cp), 1);
    ck_assert_uint_eq(cp, TEXT_REPLACEMENT);
}
END_TEST

START_TEST(test_encode_roundtrip)
{
    const uint32_t cps[] = {0x41, 0xE9, 0x7FF, 0x800, 0x65E5, 0xFFFD, 0x10000, 0x1F44D, 0x10FFFF};
    for (size_t i = 0; i < sizeof(cps) / sizeof(*cps); i++) {
        char buf[4];
        uint32_t back;
        size_t n = text_encode(cps[i], buf);
        ck_assert_uint_eq(text_decode(buf, n, &back), n);
        ck_assert_uint_eq(back, cps[i]);
    }
}
END_TEST

START_TEST(test_width)
{
    ck_assert_uint_eq(text_width("abc", 3), 3);
    ck_assert_uint_eq(text_width("caf\xc3\xa9", 5), 4);               /* café */
    ck_assert_uint_eq(text_width("\xe6\x97\xa5\xe6\x9c\xac", 6), 4);  /* 日本 */
    ck_assert_uint_eq(text_width("\xf0\x9f\x91\x8d", 4), 2);          /* 👍 */
    ck_assert_uint_eq(text_width("e\xcc\x81", 3), 1);                 /* e + combining acute */
    ck_assert_uint_eq(text_fit("\xe6\x97\xa5\xe6\x9c\xac", 6, 3), 3); /* 日 fits, 本 not */
    ck_assert_uint_eq(text_fit("ab\xf0\x9f\x91\x8d", 6, 3), 2);
    text_set_ascii(true);
    ck_assert_uint_eq(text_width("\xe6\x97\xa5\xe6\x9c\xac", 6), 2);
    text_set_ascii(false);
}
END_TEST

/* Wraps s at width/indent and checks every row's width and the rows. */
static size_t wrap_rows(const char *s, size_t width, size_t indent, const char **want, size_t n)
{
    size_t starts[64];
    size_t len = strlen(s);
    size_t rows = text_wrap(s, len, width, indent, starts, 64);
    for (size_t r = 0; r < rows && r < 64; r++) {
        size_t end = r + 1 < rows ? starts[r + 1] : len;
        /* A row's printed part excludes the blanks the break skipped. */
        size_t e = end;
        while (e > starts[r] && s[e - 1] == ' ')
            e--;
        size_t avail = r == 0 ? width : width - indent;
        ck_assert_msg(text_width(s + starts[r], e - starts[r]) <= avail,
                      "row %zu too wide at width %zu", r, width);
        if (want && r < n) {
            ck_assert_uint_eq(e - starts[r], strlen(want[r]));
            ck_assert_msg(memcmp(s + starts[r], want[r], e - starts[r]) == 0,
                          "row %zu: got %.*s want %s", r, (int)(e - starts[r]), s + starts[r],
                          want[r]);
        }
    }
    return rows;
}

START_TEST(test_wrap_words)
{
    const char *want[] = {"the quick", "brown fox", "jumps"};
    ck_assert_uint_eq(wrap_rows("the quick brown fox jumps", 10, 0, want, 3), 3);
    const char *want2[] = {"hello", "world"};
    ck_assert_uint_eq(wrap_rows("hello world", 5, 0, want2, 2), 2);
    ck_assert_uint_eq(wrap_rows("fits", 10, 0, NULL, 0), 1);
    ck_assert_uint_eq(wrap_rows("", 10, 0, NULL, 0), 1);
    /* A word longer than a row is cut where the row ends. */
    const char *want3[] = {"abcde", "fghij", "k"};
    ck_assert_uint_eq(wrap_rows("abcdefghijk", 5, 0, want3, 3), 3);
}
END_TEST

START_TEST(test_wrap_indent)
{
    /* Rows after the first hold width - indent columns. */
    const char *want[] = {"12:00 aaaa", "bbbb", "cccc"};
    ck_assert_uint_eq(wrap_rows("12:00 aaaa bbbb cccc", 10, 6, want, 3), 3);
}
END_TEST

START_TEST(test_wrap_wide)
{
    /* 日本語 ×4 = 24 columns, no blanks: cut between characters, never
     * inside one, and a wide character never straddles the edge. */
    const char *s = "日本語日本語日本語日本語";
    ck_assert_uint_eq(wrap_rows(s, 7, 0, NULL, 0), 4); /* 3 per row: 6 of 7 columns */
    const char *want[] = {"日本語", "日本語", "日本語", "日本語"};
    wrap_rows(s, 7, 0, want, 4);
    /* Emoji are two columns too. */
    ck_assert_uint_eq(wrap_rows("👍👍👍👍👍", 4, 0, NULL, 0), 3);
    /* Mixed words. */
    const char *want2[] = {"café 日本", "👍 ok"};
    ck_assert_uint_eq(wrap_rows("café 日本 👍 ok", 10, 0, want2, 2), 2);
    /* A width smaller than one wide character still advances. */
    size_t starts[4];
    ck_assert_uint_eq(text_wrap("日本", 6, 1, 0, starts, 4), 2);
    ck_assert_uint_eq(starts[1], 3);
}
END_TEST

START_TEST(test_appendf)
{
    char buf[12];
    buf[0] = '\0';
    size_t len = text_appendf(buf, sizeof(buf), 0, "%s", "#main");
    ck_assert_uint_eq(len, 5);
    len = text_appendf(buf, sizeof(buf), len, " [%s]", "#lab1");
    ck_assert_uint_eq(len, 11); /* cut: "#main [#lab" and the NUL */
    ck_assert_str_eq(buf, "#main [#lab");
    ck_assert_uint_eq(text_appendf(buf, sizeof(buf), len, "more"), 11); /* full: unchanged */
    ck_assert_str_eq(buf, "#main [#lab");
}
END_TEST

START_TEST(test_nick_colour)
{
    unsigned a = text_nick_colour("alice", 6);
    ck_assert_uint_lt(a, 6);
    ck_assert_uint_eq(text_nick_colour("ALICE", 6), a);
    ck_assert_uint_eq(text_nick_colour("alice", 6), a);
    /* Spread: a dozen nicks do not all land on one colour. */
    const char *nicks[] = {"alice", "bob",   "carol", "dave", "eve",     "frank",
                           "grace", "heidi", "ivan",  "judy", "mallory", "oscar"};
    unsigned seen = 0;
    for (size_t i = 0; i < 12; i++)
        seen |= 1u << text_nick_colour(nicks[i], 6);
    ck_assert_uint_gt(__builtin_popcount(seen), 3);
}
END_TEST

Suite *text_suite(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("text-core");
    tcase_add_test(tc, test_decode);
    tcase_add_test(tc, test_encode_roundtrip);
    tcase_add_test(tc, test_width);
    tcase_add_test(tc, test_wrap_words);
    tcase_add_test(tc, test_wrap_indent);
    tcase_add_test(tc, test_wrap_wide);
    tcase_add_test(tc, test_nick_colour);
    tcase_add_test(tc, test_appendf);
    suite_add_tcase(s, tc);
    return s;
}

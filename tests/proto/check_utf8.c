/* utf8: the shared decoder, encoder and character boundaries. */
#include "check_proto.h"
#include "utf8.h"

#include <string.h>

struct decode_case {
    const char *s;
    size_t len;
    size_t n;   /* bytes taken */
    int32_t cp; /* -1: ill-formed */
};

static const struct decode_case decode_cases[] = {
    /* Well-formed, at the edges of each length. */
    {"A", 1, 1, 'A'},
    {"\0", 1, 1, 0},
    {"\x7f", 1, 1, 0x7f},
    {"\xc2\x80", 2, 2, 0x80},
    {"\xc3\xa9", 2, 2, 0xe9},
    {"\xdf\xbf", 2, 2, 0x7ff},
    {"\xe0\xa0\x80", 3, 3, 0x800},
    {"\xe6\x97\xa5", 3, 3, 0x65e5},
    {"\xed\x9f\xbf", 3, 3, 0xd7ff}, /* last before the surrogates */
    {"\xee\x80\x80", 3, 3, 0xe000}, /* first after them */
    {"\xef\xbf\xbf", 3, 3, 0xffff},
    {"\xf0\x90\x80\x80", 4, 4, 0x10000},
    {"\xf0\x9f\x91\x8d", 4, 4, 0x1f44d},
    {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
    {"\xc3\xa9z", 3, 2, 0xe9}, /* stops after the character */
    /* Lone continuation bytes and bytes that never lead. */
    {"\x80", 1, 1, -1},
    {"\xbf\xbf", 2, 1, -1},
    {"\xf5\x80\x80\x80", 4, 1, -1},
    {"\xfe", 1, 1, -1},
    {"\xff", 1, 1, -1},
    /* Overlong forms: each byte is its own bad subpart. */
    {"\xc0\xaf", 2, 1, -1},
    {"\xc1\xbf", 2, 1, -1},
    {"\xe0\x80\xaf", 3, 1, -1},
    {"\xe0\x9f\xbf", 3, 1, -1},
    {"\xf0\x80\x80\xaf", 4, 1, -1},
    {"\xf0\x8f\xbf\xbf", 4, 1, -1},
    /* Surrogates and code points above U+10FFFF. */
    {"\xed\xa0\x80", 3, 1, -1},
    {"\xed\xbf\xbf", 3, 1, -1},
    {"\xf4\x90\x80\x80", 4, 1, -1},
    /* Truncated: by len, or by a byte that does not continue (0x41 is
     * 'A'). The valid prefix is one bad subpart (one U+FFFD in
     * sanitize_text). */
    {"\xc3", 1, 1, -1},
    {"\xc3\xa9", 1, 1, -1},
    {"\xe6\x97", 2, 2, -1},
    {"\xf0\x9f\x91", 3, 3, -1},
    {"\xc3\x41", 2, 1, -1},
    {"\xe6\x41", 2, 1, -1},
    {"\xe6\x97\x41", 3, 2, -1},
    {"\xf0\x9f\x41", 3, 2, -1},
    {"\xf0\x9f\x91\x41", 4, 3, -1},
    {"\xe6\x97\xc3\xa9", 4, 2, -1},
};

START_TEST(test_decode)
{
    const struct decode_case *c = &decode_cases[_i];
    int32_t cp = 12345;
    ck_assert_uint_eq(utf8_decode(c->s, c->len, &cp), c->n);
    ck_assert_int_eq(cp, c->cp);
}
END_TEST

/* Every scalar value: encoded in the shortest form for its range, decoded
 * back to itself from exactly those bytes. */
START_TEST(test_encode_round_trip)
{
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            continue;
        char buf[UTF8_MAX + 1];
        size_t n = utf8_encode(cp, buf);
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        REQUIRE(n == want);
        buf[n] = 'x'; /* decoding must stop before it */
        int32_t back;
        REQUIRE(utf8_decode(buf, n + 1, &back) == n);
        REQUIRE(back == (int32_t)cp);
        REQUIRE(utf8_valid_prefix(buf, n) == n);
    }
}
END_TEST

START_TEST(test_valid_prefix_and_cut)
{
    ck_assert_uint_eq(utf8_valid_prefix("ab\xf0\x9f\x91\x8d", 6), 6);
    ck_assert_uint_eq(utf8_valid_prefix("ab\xf0\x9f\x91", 5), 2);
    ck_assert_uint_eq(utf8_valid_prefix("ab\x80z", 4), 2);
    ck_assert_uint_eq(utf8_valid_prefix("\xf4\x90\x80\x80", 4), 0);
    char cut[] = "\xc3\xa9\xf0\x9f\x91";
    utf8_cut(cut);
    ck_assert_str_eq(cut, "\xc3\xa9");
    char bad[] = "\xed\xa0\x80tail";
    utf8_cut(bad);
    ck_assert_str_eq(bad, "");
}
END_TEST

struct boundary_case {
    const char *s;
    size_t len, max, want;
};

static const struct boundary_case boundary_cases[] = {
    {"", 0, 0, 0},
    {"abc", 3, 0, 0},
    {"abc", 3, 2, 2},
    {"abc", 3, 3, 3},        /* the end is a boundary */
    {"abc", 3, 7, 3},        /* more room than text: all of it */
    {"a\xc3\xa9z", 4, 1, 1}, /* before the lead byte */
    {"a\xc3\xa9z", 4, 2, 1}, /* inside the character */
    {"a\xc3\xa9z", 4, 3, 3}, /* after it */
    {"\xf0\x9f\x91\x8d", 4, 1, 0},
    {"\xf0\x9f\x91\x8d", 4, 3, 0},
    {"\xf0\x9f\x91\x8d", 4, 4, 4},
    {"x\xe6\x97\xa5\xe6\x97\xa5", 7, 6, 4},
    {"\x80\x80\x80", 3, 2, 0}, /* nothing but continuation bytes */
    {"\xe6\x97\xa5", 2, 1, 0}, /* len cuts the character: still backs up */
    {"\xe6\x97\xa5", 2, 2, 2}, /* len is the end, whatever is after it */
};

START_TEST(test_boundary)
{
    const struct boundary_case *c = &boundary_cases[_i];
    ck_assert_uint_eq(utf8_boundary(c->s, c->len, c->max), c->want);
}
END_TEST

Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("utf8-core");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_loop_test(tc, test_decode, 0, (int)(sizeof decode_cases / sizeof decode_cases[0]));
    tcase_add_test(tc, test_valid_prefix_and_cut);
    tcase_add_loop_test(tc, test_boundary, 0,
                        (int)(sizeof boundary_cases / sizeof boundary_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("utf8-limits");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_test(tc, test_encode_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

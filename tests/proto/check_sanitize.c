/* sanitize: no received byte may reach a terminal as a control sequence. */
#include "check_proto.h"
#include "sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IN(s) s, sizeof(s) - 1
#define FFFD "\xef\xbf\xbd"

struct san_case {
    const char *in;
    size_t len;
    const char *want;
};

static const struct san_case san_cases[] = {
    /* Plain text and wide characters are kept. */
    {IN("hello, world"), "hello, world"},
    {IN("caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"),
     "caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"},
    {IN("\xef\xbc\xa1\xe3\x81\x82"), "\xef\xbc\xa1\xe3\x81\x82"}, /* fullwidth A, hiragana */
    {IN(""), ""},
    /* CSI: SGR, cursor movement, private parameters, intermediates. */
    {IN("a\x1b[31mred\x1b[0mb"), "aredb"},
    {IN("\x1b[2J\x1b[H\x1b[?1049hx"), "x"},
    {IN("a\x1b[1;2 qb"), "ab"},
    {IN("a\x1b[12"), "a"},                   /* unterminated at the end */
    {IN("a\x1b[12\x01z"), "a\xe2\x90\x81z"}, /* malformed: the control shown */
    /* OSC ended by BEL, by ST, by C1 ST; unterminated. */
    {IN("a\x1b]0;evil title\x07z"), "az"},
    {IN("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\z"), "alinkz"},
    {IN("a\x1b]0;t\xc2\x9cz"), "az"},
    {IN("a\x1b]52;c;ZXZpbA=="), "a"},
    {IN("a\x1b]0;t\x1b[31mz"), "az"}, /* ESC ends the string, starts a CSI */
    /* DCS, SOS, PM, APC up to ST; BEL does not end them. */
    {IN("a\x1bPq#0;2;0;0;0\x1b\\z"), "az"},
    {IN("a\x1bP+q\x07still\x1b\\z"), "az"},
    {IN("a\x1bXsos\x1b\\z"), "az"},
    {IN("a\x1b^pm\x1b\\z"), "az"},
    {IN("a\x1b_apc\x1b\\z"), "az"},
    {IN("a\x1bPunterminated"), "a"},
    /* Two-byte and nF escapes. */
    {IN("a\x1b"
        "7b\x1b"
        "8c"),
     "abc"},
    {IN("a\x1b"
        "cb"),
     "ab"},
    {IN("a\x1b(Bb"), "ab"},
    {IN("a\x1b"), "a"},
    {IN("a\x1b\x1b[0mb"), "ab"},
    {IN("a\x1b\x01"
        "b"),
     "a\xe2\x90\x81"
     "b"},
    /* C1 forms in UTF-8. */
    {IN("a\xc2\x9b"
        "31mb"),
     "ab"},
    {IN("a\xc2\x9d"
        "0;t\x07"
        "b"),
     "ab"},
    {IN("a\xc2\x90q\xc2\x9c"
        "b"),
     "ab"},
    {IN("a\xc2\x98x\x1b\\b"), "ab"},
    {IN("a\xc2\x9ex\x1b\\b"), "ab"},
    {IN("a\xc2\x9fx\x1b\\b"), "ab"},
    {IN("a\xc2\x85"
        "b"),
     "a" FFFD "b"}, /* NEL */
    {IN("a\xc2\x9c"
        "b"),
     "a" FFFD "b"}, /* stray ST */
    {IN("a\xc2\x9b"), "a"},
    /* Raw 8-bit C1 bytes are not UTF-8. */
    {IN("a\x9b"
        "31mb"),
     "a" FFFD "31mb"},
    /* C0 and DEL as control pictures; TAB as a space. */
    {IN("\x00\x07\x08\r\n\x1f"), "\xe2\x90\x80\xe2\x90\x87\xe2\x90\x88\xe2\x90\x8d\xe2\x90\x8a"
                                 "\xe2\x90\x9f"},
    {IN("a\x7f"
        "b"),
     "a\xe2\x90\xa1"
     "b"},
    {IN("a\tb\t"), "a b "},
    /* Invalid UTF-8: one U+FFFD per maximal subpart. */
    {IN("\x80"), FFFD},
    {IN("\xbf\x80"), FFFD FFFD},
    {IN("\xc0\xaf"), FFFD FFFD}, /* overlong '/' */
    {IN("\xc1\xbf"), FFFD FFFD},
    {IN("\xe0\x80\xaf"), FFFD FFFD FFFD}, /* overlong 3-byte */
    {IN("\xf0\x80\x80\xaf"), FFFD FFFD FFFD FFFD},
    {IN("\xed\xa0\x80"), FFFD FFFD FFFD}, /* surrogate D800 */
    {IN("\xed\xbf\xbf"), FFFD FFFD FFFD},
    {IN("\xf4\x90\x80\x80"), FFFD FFFD FFFD FFFD}, /* above U+10FFFF */
    {IN("\xf5\xff\xfe"), FFFD FFFD FFFD},
    {IN("\xe4\xb8"), FFFD}, /* truncated at the end */
    {IN("\xe4\xb8x"), FFFD "x"},
    {IN("\xf0\x9f\x98"), FFFD},
    {IN("\xf0\x9f\x98z\xe2\x82\xac"), FFFD "z\xe2\x82\xac"},
    {IN("\xe1\x80\xe2\xf0\x91\x92\xf1\xbf\x41"), FFFD FFFD FFFD FFFD "A"},
    /* Bidi overrides and isolates. */
    {IN("a\xe2\x80\xae"
        "b"),
     "a" FFFD "b"},
    {IN("\xe2\x81\xa6x\xe2\x81\xa9"), FFFD "x" FFFD},
    {IN("\xe2\x80\x8f"), "\xe2\x80\x8f"}, /* RLM is a mark, kept */
};

START_TEST(test_table)
{
    const struct san_case *c = &san_cases[_i];
    char out[SANITIZE_CAP(64)];

    ck_assert_uint_le(c->len, 64);
    size_t n = sanitize_text(out, sizeof out, c->in, c->len);
    ck_assert_uint_eq(n, strlen(c->want));
    ck_assert_msg(memcmp(out, c->want, n) == 0, "case %d: got \"%s\"", _i, out);
    ck_assert_int_eq(out[n], '\0');
}
END_TEST

/* Small caps cut at a character boundary and still NUL-terminate. */
START_TEST(test_small_cap)
{
    char out[16];
    const char *cjk = "\xe4\xb8\xad\xe6\x96\x87"; /* two 3-byte characters */

    memset(out, 'X', sizeof out);
    ck_assert_uint_eq(sanitize_text(out, 0, cjk, 6), 0);
    ck_assert_int_eq(out[0], 'X'); /* cap 0: nothing written */
    ck_assert_uint_eq(sanitize_text(out, 1, cjk, 6), 0);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(sanitize_text(out, 3, cjk, 6), 0);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(sanitize_text(out, 4, cjk, 6), 3);
    ck_assert_str_eq(out, "\xe4\xb8\xad");
    ck_assert_uint_eq(sanitize_text(out, 6, cjk, 6), 3);
    ck_assert_uint_eq(sanitize_text(out, 7, cjk, 6), 6);
    /* A control picture is cut whole too; nothing resumes after a cut. */
    ck_assert_uint_eq(sanitize_text(out, 3,
                                    "a\x01"
                                    "b",
                                    3),
                      1);
    ck_assert_str_eq(out, "a");
    ck_assert_uint_eq(sanitize_text(out, 5, "abcdefgh", 8), 4);
    ck_assert_str_eq(out, "abcd");
}
END_TEST

START_TEST(test_worst_case_cap)
{
    /* Every byte a control picture or U+FFFD: exactly SANITIZE_CAP. */
    const char in[] = "\x01\x80\x7f\xff\x02";
    char out[SANITIZE_CAP(5)];
    ck_assert_uint_eq(sanitize_text(out, sizeof out, in, 5), 15);
    ck_assert_int_eq(out[15], '\0');
}
END_TEST

START_TEST(test_sanitize_line)
{
    char s[] = "a\rb\nc\0d e";
    ck_assert_uint_eq(sanitize_line(s, sizeof s - 1), sizeof s - 1);
    ck_assert_mem_eq(s, "a b c d e", sizeof s - 1);
}
END_TEST

START_TEST(test_valid_prefix)
{
    ck_assert_uint_eq(utf8_valid_prefix("abc", 3), 3);
    ck_assert_uint_eq(utf8_valid_prefix("ab\xe4\xb8\xad", 5), 5);
    ck_assert_uint_eq(utf8_valid_prefix("ab\xe4\xb8", 4), 2);
    ck_assert_uint_eq(utf8_valid_prefix("ab\xc0\xaf", 4), 2);
    ck_assert_uint_eq(utf8_valid_prefix("\xed\xa0\x80", 3), 0);
    ck_assert_uint_eq(utf8_valid_prefix("\x1b[0m\x01", 5), 5); /* controls are valid UTF-8 */
    ck_assert_uint_eq(utf8_valid_prefix("", 0), 0);
    char cut[] = "ab\xe4\xb8\xad\xe4\xb8";
    utf8_cut(cut);
    ck_assert_str_eq(cut, "ab\xe4\xb8\xad");
}
END_TEST

/* The safety property on its own terms: whatever comes in, what goes out is
 * valid UTF-8 without C0, DEL, C1 or bidi controls, within SANITIZE_CAP. */
/* Plain tests with ck_abort_msg only on failure: every ck_assert records a
 * checkpoint through Check's pipe, and one per byte made this suite take a
 * minute under ASan. */
static void assert_safe(const char *out, size_t n)
{
    const unsigned char *u = (const unsigned char *)out;

    if (utf8_valid_prefix(out, n) != n)
        ck_abort_msg("invalid UTF-8 in output");
    if (out[n] != '\0')
        ck_abort_msg("output not NUL-terminated");
    for (size_t i = 0; i < n; i++) {
        if (u[i] < 0x20 || u[i] == 0x7f)
            ck_abort_msg("control byte 0x%02x at %zu", u[i], i);
        if (u[i] == 0xc2 && i + 1 < n && u[i + 1] < 0xa0)
            ck_abort_msg("C1 code point at %zu", i);
        if (u[i] == 0xe2 && i + 2 < n && u[i + 1] == 0x80 && u[i + 2] >= 0xaa && u[i + 2] <= 0xae)
            ck_abort_msg("bidi override at %zu", i);
        if (u[i] == 0xe2 && i + 2 < n && u[i + 1] == 0x81 && u[i + 2] >= 0xa6 && u[i + 2] <= 0xa9)
            ck_abort_msg("bidi isolate at %zu", i);
    }
}

START_TEST(test_random_bytes)
{
    /* Bytes that start or end sequences are overrepresented so the
     * sequence parser's corners are reached often. */
    static const unsigned char spicy[] = {0x1b, '[',  ']',  'P',  '\\', 0x07, 0x9b, 0xc2, 0x9c,
                                          0xe2, 0x80, 0xae, 0xed, 0xa0, 0xf0, 0x9f, 0xf4, 0x90,
                                          0x00, '\t', 0x7f, ';',  '0',  'm',  0x18};
    uint32_t seed = 2463534242u;

    for (int round = 0; round < 20000; round++) {
        unsigned char in[64];
        char out[SANITIZE_CAP(sizeof in)];
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        size_t len = seed % sizeof in;
        for (size_t i = 0; i < len; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            in[i] = (seed & 0x100) ? spicy[(seed >> 9) % sizeof spicy] : (unsigned char)seed;
        }
        size_t n = sanitize_text(out, sizeof out, (const char *)in, len);
        ck_assert_uint_lt(n, SANITIZE_CAP(len));
        assert_safe(out, n);
        /* Any smaller cap yields a prefix of the full output, still safe. */
        size_t cap = (seed >> 3) % (n + 2);
        char small[SANITIZE_CAP(sizeof in)];
        size_t m = sanitize_text(small, cap, (const char *)in, len);
        if (cap > 0) {
            ck_assert_uint_lt(m, cap);
            ck_assert_uint_le(m, n);
            ck_assert_mem_eq(small, out, m);
            assert_safe(small, m);
        }
    }
}
END_TEST

/* Sanitising is idempotent on its own output. */
START_TEST(test_idempotent)
{
    for (size_t i = 0; i < sizeof san_cases / sizeof san_cases[0]; i++) {
        char once[SANITIZE_CAP(64)], twice[SANITIZE_CAP(3 * 64)];
        size_t n = sanitize_text(once, sizeof once, san_cases[i].in, san_cases[i].len);
        size_t m = sanitize_text(twice, sizeof twice, once, n);
        ck_assert_uint_eq(m, n);
        ck_assert_mem_eq(once, twice, n);
    }
}
END_TEST

struct blank_case {
    const char *in, *out;
};

static const struct blank_case blank_cases[] = {
    {"", ""},
    {"a b  c   d", "a b  c   d"}, /* up to three: kept */
    {"a    b", "a   b"},
    {"ok                                        *** alice left", "ok   *** alice left"},
    {"    lead and trail    ", "   lead and trail   "},
    {"x\xc2\xa0\xc2\xa0\xc2\xa0\xc2\xa0y", "x   y"},                 /* NO-BREAK SPACE */
    {"x\xe3\x80\x80\xe3\x80\x80\xe3\x80\x80\xe3\x80\x80y", "x   y"}, /* IDEOGRAPHIC */
    {"x\xe2\x80\x83 \xe2\xa0\x80 y", "x   y"},                       /* EM SPACE, BRAILLE BLANK */
    {"x \xe2\x80\x8b \xe2\x80\x8b \xe2\x80\x8b \xe2\x80\x8by", "x   y"}, /* ZWSP between */
    {"x \xe2\x80\x8b y", "x \xe2\x80\x8b y"}, /* a short run keeps them */
    {"\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8bz",
     "\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8b\xe2\x80\x8bz"},
    {"\xe4\xb8\xad    \xe6\x96\x87", "\xe4\xb8\xad   \xe6\x96\x87"},
    {"a . . . . b", "a . . . . b"}, /* visible characters: not blanks */
};

START_TEST(test_blank_runs)
{
    const struct blank_case *c = &blank_cases[_i];
    char buf[256];
    size_t len = strlen(c->in);
    memcpy(buf, c->in, len + 1);
    size_t n = sanitize_blank_runs(buf, len);
    ck_assert_uint_eq(n, strlen(c->out));
    ck_assert_mem_eq(buf, c->out, n);
    ck_assert_uint_eq(sanitize_blank_runs(buf, n), n); /* idempotent */
}
END_TEST

Suite *sanitize_suite(void)
{
    Suite *s = suite_create("sanitize");
    TCase *tc = tcase_create("sanitize-core");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof san_cases / sizeof san_cases[0]));
    tcase_add_test(tc, test_sanitize_line);
    tcase_add_test(tc, test_valid_prefix);
    tcase_add_test(tc, test_idempotent);
    tcase_add_loop_test(tc, test_blank_runs, 0, (int)(sizeof blank_cases / sizeof blank_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("sanitize-limits");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_test(tc, test_small_cap);
    tcase_add_test(tc, test_worst_case_cap);
    tcase_add_test(tc, test_random_bytes);
    suite_add_tcase(s, tc);
    return s;
}

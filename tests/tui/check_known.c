/* known: the known_servers model: keys, parsing what people write by
 * hand, lookups, adding, replacing and removing without losing a line. */
#include "check_tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "known.h"

static const char FP_A[] = "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
                           "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99";
static const char FP_B[] = "01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:"
                           "11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20";

static void sha_of(const char *fp, unsigned char sha[FP_BYTES])
{
    ck_assert_int_eq(fp_parse(fp, sha), 0);
}

static void parse(struct known *k, const char *text)
{
    char err[200];
    ck_assert_int_eq(known_parse(k, text, strlen(text), err, sizeof(err)), 0);
}

static char *format(const struct known *k)
{
    size_t len;
    char *s = known_format(k, &len);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(strlen(s), len);
    return s;
}

START_TEST(test_key)
{
    char key[KNOWN_KEY_MAX];
    ck_assert_uint_eq(known_key("Chat.Example.ORG", "5000", key, sizeof(key)), 21);
    ck_assert_str_eq(key, "chat.example.org:5000");
    ck_assert_uint_gt(known_key("::1", "5000", key, sizeof(key)), 0);
    ck_assert_str_eq(key, "[::1]:5000");
    ck_assert_uint_gt(known_key("FE80::A", "7", key, sizeof(key)), 0);
    ck_assert_str_eq(key, "[fe80::a]:7");
    ck_assert_uint_eq(known_key("", "5000", key, sizeof(key)), 0);
    ck_assert_uint_eq(known_key("host", "5000", key, 8), 0); /* does not fit */
}
END_TEST

START_TEST(test_parse_find)
{
    struct known k;
    char text[1024];
    snprintf(
        text, sizeof(text),
        "# my servers\n"
        "\n"
        "10.0.2.15:5000 SHA-256 %s\n"
        "  LAB.example.org:5001\tSHA-256   %s  \n"
        "[::1]:5000 SHA-256 aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899\n",
        FP_A, FP_B);
    parse(&k, text);
    ck_assert_uint_eq(k.n, 5);
    ck_assert_uint_eq(k.bad, 0);
    unsigned char sha[FP_BYTES], want[FP_BYTES];
    ck_assert_uint_eq(known_find(&k, "10.0.2.15:5000", sha), 3);
    sha_of(FP_A, want);
    ck_assert_mem_eq(sha, want, FP_BYTES);
    /* Hand-written: upper case, tabs and extra blanks. */
    ck_assert_uint_eq(known_find(&k, "lab.example.org:5001", sha), 4);
    sha_of(FP_B, want);
    ck_assert_mem_eq(sha, want, FP_BYTES);
    ck_assert_uint_eq(known_find(&k, "[::1]:5000", sha), 5);
    sha_of(FP_A, want);
    ck_assert_mem_eq(sha, want, FP_BYTES);
    ck_assert_uint_eq(known_find(&k, "10.0.2.15:5001", NULL), 0);
    ck_assert_uint_eq(known_find(&k, "10.0.2.15", NULL), 0);
    known_free(&k);
}
END_TEST

/* Hostile or broken lines: counted, never entries, and kept as they are. */
START_TEST(test_bad_lines_kept)
{
    struct known k;
    char text[2048];
    snprintf(text, sizeof(text),
             "h:1 SHA-256 %s extra\n" /* a fourth word */
             "h:2 SHA-1 %s\n"         /* another label */
             "h:3 SHA-256 AA:BB\n"    /* too short */
             "nocolon SHA-256 %s\n"   /* no port */
             "h:4 SHA-256 %s",        /* good, no final newline */
             FP_A, FP_A, FP_A, FP_B);
    parse(&k, text);
    ck_assert_uint_eq(k.n, 5);
    ck_assert_uint_eq(k.bad, 4);
    ck_assert_uint_eq(k.first_bad, 1);
    ck_assert_uint_eq(known_find(&k, "h:1", NULL), 0);
    ck_assert_uint_eq(known_find(&k, "h:2", NULL), 0);
    ck_assert_uint_eq(known_find(&k, "h:3", NULL), 0);
    ck_assert_uint_eq(known_find(&k, "h:4", NULL), 5);
    char *out = format(&k);
    /* Everything back, the last line now ended. */
    char want[2100];
    snprintf(want, sizeof(want), "%s\n", text);
    ck_assert_str_eq(out, want);
    free(out);
    known_free(&k);

    char err[200];
    ck_assert_int_eq(known_parse(&k, "a\0b\n", 4, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "NUL"));
    ck_assert_uint_eq(k.n, 0);
}
END_TEST

START_TEST(test_set_add_replace)
{
    struct known k;
    parse(&k, "# keep me\n\nother:1 SHA-256 "
              "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:"
              "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99\n");
    unsigned char a[FP_BYTES], b[FP_BYTES], got[FP_BYTES];
    sha_of(FP_A, a);
    sha_of(FP_B, b);
    ck_assert_uint_eq(known_set(&k, "new.example:5000", b), 4);
    char *out = format(&k);
    char want[1024];
    snprintf(want, sizeof(want), "# keep me\n\nother:1 SHA-256 %s\nnew.example:5000 SHA-256 %s\n",
             FP_A, FP_B);
    ck_assert_str_eq(out, want);
    free(out);
    /* Replaced in place: same line, new digest. */
    ck_assert_uint_eq(known_set(&k, "other:1", b), 3);
    ck_assert_uint_eq(known_find(&k, "other:1", got), 3);
    ck_assert_mem_eq(got, b, FP_BYTES);
    ck_assert_uint_eq(k.n, 4);
    known_free(&k);

    /* An empty file: the first entry is the first line. */
    known_init(&k);
    ck_assert_uint_eq(known_set(&k, "[::1]:5000", a), 1);
    out = format(&k);
    snprintf(want, sizeof(want), "[::1]:5000 SHA-256 %s\n", FP_A);
    ck_assert_str_eq(out, want);
    free(out);
    known_free(&k);
}
END_TEST

START_TEST(test_remove)
{
    struct known k;
    char text[1024];
    snprintf(text, sizeof(text), "a:1 SHA-256 %s\n# note\nb:2 SHA-256 %s\na:1 SHA-256 %s\n", FP_A,
             FP_B, FP_B);
    parse(&k, text);
    ck_assert_uint_eq(known_find(&k, "a:1", NULL), 1);
    ck_assert_uint_eq(known_remove(&k, "a:1"), 2); /* both of its lines */
    ck_assert_uint_eq(known_find(&k, "a:1", NULL), 0);
    ck_assert_uint_eq(known_remove(&k, "a:1"), 0);
    char *out = format(&k);
    char want[1024];
    snprintf(want, sizeof(want), "# note\nb:2 SHA-256 %s\n", FP_B);
    ck_assert_str_eq(out, want);
    free(out);
    ck_assert_uint_eq(known_find(&k, "b:2", NULL), 2);
    known_free(&k);
}
END_TEST

Suite *known_suite(void)
{
    Suite *s = suite_create("known");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_key);
    tcase_add_test(tc, test_parse_find);
    tcase_add_test(tc, test_bad_lines_kept);
    tcase_add_test(tc, test_set_add_replace);
    tcase_add_test(tc, test_remove);
    suite_add_tcase(s, tc);
    return s;
}

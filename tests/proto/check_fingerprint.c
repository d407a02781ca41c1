/* proto/fingerprint.c: the text people compare, written and read back. */
#include "check_proto.h"
#include "fingerprint.h"

#include <stdio.h>
#include <string.h>

static void counting(unsigned char sha[FP_BYTES])
{
    for (int i = 0; i < FP_BYTES; i++)
        sha[i] = (unsigned char)(i * 8 + 7); /* 0x07, 0x0F, ... 0xFF */
}

START_TEST(test_format_is_openssls)
{
    unsigned char sha[FP_BYTES];
    char text[FP_TEXT_SIZE];
    counting(sha);
    fp_format(sha, text);
    ck_assert_uint_eq(strlen(text), 95);
    ck_assert(strncmp(text, "07:0F:17:1F:", 12) == 0);
    ck_assert_str_eq(text + 95 - 5, "F7:FF");
}
END_TEST

START_TEST(test_parse_forms)
{
    unsigned char sha[FP_BYTES], back[FP_BYTES];
    char text[FP_TEXT_SIZE];
    counting(sha);
    fp_format(sha, text);
    ck_assert_int_eq(fp_parse(text, back), 0);
    ck_assert(memcmp(sha, back, FP_BYTES) == 0);

    /* Lower case, no colons, blanks around: the same bytes. */
    char bare[FP_BYTES * 2 + 8] = "  ";
    size_t k = 2;
    for (size_t i = 0; text[i]; i++)
        if (text[i] != ':')
            bare[k++] = (char)(text[i] >= 'A' ? text[i] + 32 : text[i]);
    strcpy(bare + k, "\n");
    memset(back, 0, sizeof back);
    ck_assert_int_eq(fp_parse(bare, back), 0);
    ck_assert(memcmp(sha, back, FP_BYTES) == 0);
}
END_TEST

START_TEST(test_parse_refusals)
{
    unsigned char sha[FP_BYTES], keep[FP_BYTES];
    char text[FP_TEXT_SIZE];
    counting(sha);
    fp_format(sha, text);
    memset(keep, 0xAA, sizeof keep);
    unsigned char out[FP_BYTES];
    memcpy(out, keep, sizeof out);

    char cut[FP_TEXT_SIZE];
    memcpy(cut, text, sizeof cut);
    cut[92] = '\0'; /* 31 bytes and a half */
    ck_assert_int_eq(fp_parse(cut, out), -1);
    char more[FP_TEXT_SIZE + 3];
    snprintf(more, sizeof more, "%s:00", text); /* 33 bytes */
    ck_assert_int_eq(fp_parse(more, out), -1);
    char bad[FP_TEXT_SIZE];
    memcpy(bad, text, sizeof bad);
    bad[4] = 'G';
    ck_assert_int_eq(fp_parse(bad, out), -1);
    char split[FP_TEXT_SIZE];
    memcpy(split, text, sizeof split);
    split[1] = ':'; /* "0:F..." */
    ck_assert_int_eq(fp_parse(split, out), -1);
    ck_assert_int_eq(fp_parse("", out), -1);
    ck_assert_int_eq(fp_parse(":07", out), -1);
    ck_assert(memcmp(out, keep, FP_BYTES) == 0); /* untouched by each refusal */
}
END_TEST

Suite *fingerprint_suite(void)
{
    Suite *s = suite_create("fingerprint");
    TCase *tc = tcase_create("fingerprint-text");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_test(tc, test_format_is_openssls);
    tcase_add_test(tc, test_parse_forms);
    tcase_add_test(tc, test_parse_refusals);
    suite_add_tcase(s, tc);
    return s;
}

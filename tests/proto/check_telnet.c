/* telnet: commands out of the text, answers where due, split anywhere. */
#include "check_proto.h"

#include <string.h>

#include "telnet.h"

static char out[256];
static size_t out_len;
static char rep[256];
static size_t rep_len;

/* Filters `in` (n bytes) fed in pieces of `step` bytes. */
static void run(const char *in, size_t n, size_t step)
{
    struct telnet t = {0};
    out_len = rep_len = 0;
    ck_assert_uint_le(step, 64);
    for (size_t off = 0; off < n; off += step) {
        size_t k = n - off < step ? n - off : step;
        char buf[64], r[TELNET_REPLY_CAP(64)];
        size_t rl;
        memcpy(buf, in + off, k);
        size_t m = telnet_filter(&t, buf, k, r, &rl);
        REQUIRE(m <= k && rl <= TELNET_REPLY_CAP(k));
        memcpy(out + out_len, buf, m);
        out_len += m;
        memcpy(rep + rep_len, r, rl);
        rep_len += rl;
    }
}

/* Telnet's Ctrl-C: IAC IP, IAC DO TIMING-MARK, then the next line. */
static const char ctrl_c[] = "\xff\xf4\xff\xfd\x06"
                             "after ctrl-c\r\n";

START_TEST(test_ctrl_c_any_split)
{
    for (size_t step = 1; step <= sizeof ctrl_c - 1; step++) {
        run(ctrl_c, sizeof ctrl_c - 1, step);
        ck_assert_uint_eq(out_len, strlen("after ctrl-c\r\n"));
        ck_assert(memcmp(out, "after ctrl-c\r\n", out_len) == 0);
        ck_assert_uint_eq(rep_len, 3);
        ck_assert(memcmp(rep, "\xff\xfb\x06", 3) == 0); /* WILL TIMING-MARK */
    }
}
END_TEST

START_TEST(test_requests_declined)
{
    /* DO ECHO -> WONT ECHO; WILL SUPPRESS-GO-AHEAD -> DONT; WONT/DONT
     * need no answer; a subnegotiation (with an IAC IAC inside) vanishes;
     * IAC IAC outside is one literal 0xFF. */
    static const char in[] = "a\xff\xfd\x01"
                             "b\xff\xfb\x03"
                             "c\xff\xfc\x01\xff\xfe\x01"
                             "d\xff\xfa\x18\x00xterm\xff\xff\xff\xf0"
                             "e\xff\xff"
                             "f";
    for (size_t step = 1; step <= 4; step++) {
        run(in, sizeof in - 1, step);
        ck_assert_uint_eq(out_len, 7);
        ck_assert(memcmp(out,
                         "abcde\xff"
                         "f",
                         7) == 0);
        ck_assert_uint_eq(rep_len, 6);
        ck_assert(memcmp(rep, "\xff\xfc\x01\xff\xfe\x03", 6) == 0);
    }
}
END_TEST

START_TEST(test_text_untouched)
{
    struct telnet t = {0};
    static const char text[] = "plain text, caf\xc3\xa9, no commands\n";
    ck_assert(!telnet_pending(&t, text, sizeof text - 1));
    ck_assert(telnet_pending(&t, "x\xff", 2));
    char buf[8] = "ab\xff";
    char r[TELNET_REPLY_CAP(8)];
    size_t rl;
    ck_assert_uint_eq(telnet_filter(&t, buf, 3, r, &rl), 2);
    /* Inside a command now: the next read needs filtering whatever it is. */
    ck_assert(telnet_pending(&t, "z", 1));
}
END_TEST

/* nc from a Latin-1 terminal: 0xff is a letter there, not a command. */
START_TEST(test_latin1_not_telnet)
{
    static const char in[] = "caf\xe9 \xff\nnext\n";
    run(in, sizeof in - 1, sizeof in - 1);
    ck_assert_uint_eq(out_len, sizeof in - 1); /* untouched, the LF kept */
    ck_assert(memcmp(out, in, out_len) == 0);
    ck_assert_uint_eq(rep_len, 0);
    /* Split right after the 0xff: the byte is lost, nothing else. */
    run(in, sizeof in - 1, 6);
    ck_assert_uint_eq(out_len, sizeof in - 2);
    ck_assert(memcmp(out + 5, "\nnext\n", 6) == 0);
    /* 0xff 0xfa reads as "subnegotiation"; one that never ends is text. */
    char sb[3 + TELNET_SB_MAX + 8];
    memcpy(sb, "\xff\xfa", 2);
    memset(sb + 2, 'a', sizeof sb - 3);
    sb[sizeof sb - 1] = '\n';
    run(sb, sizeof sb, 32); /* run() reads at most 64 bytes a step */
    ck_assert_uint_ge(out_len, 8);
    ck_assert_int_eq(out[out_len - 1], '\n');
}
END_TEST

START_TEST(test_reply_cap)
{
    /* The worst case: a verb left over, then answers back to back. */
    struct telnet t = {0};
    char buf[64], r[TELNET_REPLY_CAP(64)];
    size_t rl;
    buf[0] = (char)TELNET_IAC;
    buf[1] = (char)TELNET_DO;
    ck_assert_uint_eq(telnet_filter(&t, buf, 2, r, &rl), 0);
    ck_assert_uint_eq(rl, 0);
    size_t n = 0;
    buf[n++] = 1; /* the option of the DO above */
    while (n + 3 <= sizeof buf) {
        buf[n++] = (char)TELNET_IAC;
        buf[n++] = (char)TELNET_DO;
        buf[n++] = 1;
    }
    ck_assert_uint_eq(telnet_filter(&t, buf, n, r, &rl), 0);
    ck_assert_uint_eq(rl, 3 * (1 + (n - 1) / 3));
    ck_assert_uint_le(rl, TELNET_REPLY_CAP(n));
}
END_TEST

Suite *telnet_suite(void)
{
    Suite *s = suite_create("telnet");
    TCase *tc = tcase_create("telnet-core");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_test(tc, test_ctrl_c_any_split);
    tcase_add_test(tc, test_requests_declined);
    tcase_add_test(tc, test_text_untouched);
    tcase_add_test(tc, test_reply_cap);
    tcase_add_test(tc, test_latin1_not_telnet);
    suite_add_tcase(s, tc);
    return s;
}

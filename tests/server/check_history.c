/* history limits: the replay a newcomer gets is bounded in bytes, so that
 * no --history can get it disconnected as too slow. */
#include <string.h>

#include "fixture.h"

START_TEST(test_history_byte_bound)
{
    struct history h;
    history_init(&h, 1100);
    static char text[4000];
    memset(text, 'x', sizeof text);
    for (int i = 0; i < 1100; i++) {
        struct outmsg *f = outmsg_new(text, 4000), *p = outmsg_new(text, 3990);
        history_push(&h, f, p);
        outmsg_unref(f);
        outmsg_unref(p);
    }
    /* 65 * 4000 fits in 256 KiB, 66 * 4000 does not. */
    ck_assert_uint_eq(h.count, 65);
    ck_assert_uint_le(h.bytes, HISTORY_BYTES);
    ck_assert_uint_eq(history_omitted(&h), 1100 - 65);
    ck_assert_uint_eq(history_get(&h, 64, true)->len, 4000);
    history_free(&h);

    /* Short messages: the entry limit binds, and nothing is omitted. */
    history_init(&h, 3);
    for (int i = 0; i < 5; i++) {
        struct outmsg *m = outmsg_new("hi\n", 3);
        history_push(&h, m, m);
        outmsg_unref(m);
    }
    ck_assert_uint_eq(h.count, 3);
    ck_assert_uint_eq(history_omitted(&h), 0);
    history_free(&h);
}
END_TEST

/* --history 1100 and 1100 messages of 4000 bytes (4.4 MB, past
 * OUTQ_MAX_BYTES): a newcomer gets the newest 256 KiB after a note, in
 * its dialect, and is not cut off as too slow. */
START_TEST(test_history_replay_never_too_slow)
{
    fx_teardown();
    fx_setup_with(1100, 0, 100);
    struct client *a = fx_framed("alice");
    static char line[4100];
    for (int i = 0; i < 1100; i++) {
        int n = snprintf(line, sizeof line, "MSG %d %05d ", i + 1, i);
        memset(line + n, 'y', 4000 - 6);
        memcpy(line + n + 4000 - 6, "\n", 2);
        fx_feed(a, line);
    }
    struct client *b = fx_client("1.1.1.1:1");
    fx_feed(b, "HELLO sockchat/1 bob\n");
    ck_assert_int_eq(client_close_state(b, NULL, 0), CLOSE_NONE);
    const char *got = fx_drain(b);
    const char *want = "WELCOME bob threads 2 testsrv\n"
                       "NOTICE 1035 older messages not shown (history is limited to 256 KiB)\n"
                       "CHAT 1700000000 alice 01035 yyy";
    ck_assert_int_eq(strncmp(got, want, strlen(want)), 0);
    ck_assert_uint_le(strlen(got), HISTORY_BYTES + 200);
    ck_assert_ptr_nonnull(strstr(got, "CHAT 1700000000 alice 01099 yyy"));

    struct client *p = fx_client("1.1.1.1:2");
    fx_feed(p, "hi\n");
    ck_assert_int_eq(client_close_state(p, NULL, 0), CLOSE_NONE);
    got = fx_drain(p);
    want = "*** notice: 1035 older messages not shown (history is limited to 256 KiB)\n"
           "<alice> 01035 yyy";
    ck_assert_int_eq(strncmp(got, want, strlen(want)), 0);
}
END_TEST

Suite *history_limits_suite(void)
{
    Suite *s = suite_create("history_limits");
    TCase *h = tcase_create("bytes");
    tcase_add_checked_fixture(h, fx_setup, fx_teardown);
    tcase_add_test(h, test_history_byte_bound);
    tcase_add_test(h, test_history_replay_never_too_slow);
    suite_add_tcase(s, h);
    return s;
}

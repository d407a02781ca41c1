/* status: the status bar's text in every connection state. */
#include "check_tui.h"

#include <stdio.h>
#include <string.h>

#include "status.h"
#include "text.h"

static char buf[512];

static const char *fmt(const struct status *st)
{
    status_format(st, buf, sizeof(buf));
    return buf;
}

START_TEST(test_states)
{
    struct status st;
    status_init(&st);
    snprintf(st.server, sizeof(st.server), "127.0.0.1:5000");
    snprintf(st.nick, sizeof(st.nick), "alice");
    st.state = CONN_CONNECTING;
    ck_assert_str_eq(fmt(&st), "connecting | 127.0.0.1:5000 | alice");
    st.state = CONN_CONNECTED;
    st.users = 3;
    snprintf(st.mode, sizeof(st.mode), "threads");
    ck_assert_str_eq(fmt(&st), "connected | 127.0.0.1:5000 | alice | 3 users | threads");
    st.latency_ms = 2;
    st.users = 1;
    ck_assert_str_eq(fmt(&st), "connected | 127.0.0.1:5000 | alice | 1 user | threads | 2 ms");
    st.unread = 4;
    st.pending = 2;
    ck_assert_str_eq(fmt(&st), "connected | 127.0.0.1:5000 | alice | 1 user | threads | 2 ms | "
                               "2 pending | 4 unread");
    st.state = CONN_RETRY;
    st.retry_in = 8;
    st.unread = 0;
    ck_assert_str_eq(fmt(&st),
                     "disconnected, retrying in 8 s | 127.0.0.1:5000 | alice | 2 pending");
    st.state = CONN_FAILED;
    st.pending = 0;
    /* A reason may be a server's words (ERR kicked TEXT): sanitised. */
    status_set_reason(&st, "bye\x1b[31m red\xff");
    ck_assert_ptr_null(strchr(st.reason, '\x1b'));
    ck_assert_ptr_nonnull(strstr(st.reason, "bye"));
    ck_assert_ptr_nonnull(strstr(st.reason, "\xef\xbf\xbd")); /* U+FFFD for the 0xff */
    status_set_reason(&st, "resolve nowhere: Name or service not known");
    ck_assert_str_eq(fmt(&st), "failed: resolve nowhere: Name or service not known | "
                               "127.0.0.1:5000 | alice");
}
END_TEST

START_TEST(test_plain_server)
{
    struct status st;
    status_init(&st);
    snprintf(st.server, sizeof(st.server), "[::1]:5000");
    snprintf(st.nick, sizeof(st.nick), "bob");
    snprintf(st.mode, sizeof(st.mode), "plain server");
    st.state = CONN_CONNECTED;
    ck_assert_str_eq(fmt(&st), "connected | [::1]:5000 | bob | plain server");
}
END_TEST

START_TEST(test_small_buffer)
{
    struct status st;
    char small[12];
    status_init(&st);
    st.state = CONN_CONNECTED;
    snprintf(st.server, sizeof(st.server), "a-very-long-host-name:5000");
    size_t n = status_format(&st, small, sizeof(small));
    ck_assert_uint_lt(n, sizeof(small));
    ck_assert_uint_eq(strlen(small), n);
}
END_TEST

START_TEST(test_fit_width)
{
    struct status st;
    status_init(&st);
    snprintf(st.server, sizeof(st.server), "127.0.0.1:44555");
    snprintf(st.nick, sizeof(st.nick), "carol");
    snprintf(st.mode, sizeof(st.mode), "threads");
    st.state = CONN_CONNECTED;
    st.users = 3;
    st.latency_ms = 1;
    st.pending = 12;
    st.unread = 5;
    /* Wide enough: everything, in display order. */
    status_format_fit(&st, buf, sizeof(buf), 200);
    ck_assert_str_eq(buf, "connected | 127.0.0.1:44555 | carol | 3 users | threads | 1 ms | "
                          "12 pending | 5 unread");
    /* 39 columns (a 40-column terminal): mode, latency and server go;
     * the counts that matter stay. */
    size_t n = status_format_fit(&st, buf, sizeof(buf), 41);
    ck_assert_uint_le(n, 41);
    ck_assert_str_eq(buf, "connected | carol | 12 pending | 5 unread");
    status_format_fit(&st, buf, sizeof(buf), 39);
    ck_assert_str_eq(buf, "connected | 12 pending | 5 unread");
    /* Tiny: the state alone. */
    status_format_fit(&st, buf, sizeof(buf), 5);
    ck_assert_str_eq(buf, "connected");
    /* Retrying keeps its countdown. */
    st.state = CONN_RETRY;
    st.retry_in = 16;
    st.unread = 0;
    status_format_fit(&st, buf, sizeof(buf), 39);
    ck_assert_str_eq(buf, "disconnected, retrying in 16 s");
}
END_TEST

/* Issue 19: the lock and the version beside the server, only while
 * connected over TLS; the ASCII form without a UTF-8 locale; and an 80
 * column bar with everything on still keeps it. */
START_TEST(test_tls)
{
    struct status st;
    status_init(&st);
    snprintf(st.server, sizeof(st.server), "127.0.0.1:5000");
    snprintf(st.nick, sizeof(st.nick), "alice");
    snprintf(st.tls, sizeof(st.tls), "TLSv1.3");
    st.state = CONN_CONNECTING;
    ck_assert_str_eq(fmt(&st), "connecting | 127.0.0.1:5000 | alice");
    st.state = CONN_CONNECTED;
    ck_assert_str_eq(fmt(&st), "connected | 127.0.0.1:5000 | \xf0\x9f\x94\x92TLSv1.3 | alice");
    text_set_ascii(true);
    ck_assert_str_eq(fmt(&st), "connected | 127.0.0.1:5000 | TLSv1.3 | alice");
    text_set_ascii(false);
    st.tls[0] = '\0';
    ck_assert_str_eq(fmt(&st), "connected | 127.0.0.1:5000 | alice");
    /* Everything on, 80 columns: the lock outlasts the server's name. */
    snprintf(st.tls, sizeof(st.tls), "TLSv1.2");
    snprintf(st.server, sizeof(st.server), "chat.lab.example.org:5000");
    snprintf(st.rooms, sizeof(st.rooms), "[#lab1] #main (3)");
    snprintf(st.mode, sizeof(st.mode), "threads");
    st.users = 12;
    st.latency_ms = 3;
    st.pending = 2;
    st.unread = 40;
    status_format_fit(&st, buf, sizeof(buf), 79);
    ck_assert_uint_le(text_width(buf, strlen(buf)), 79);
    ck_assert_ptr_nonnull(strstr(buf, " | \xf0\x9f\x94\x92TLSv1.2 | "));
    ck_assert_ptr_null(strstr(buf, "chat.lab"));
}
END_TEST

Suite *status_suite(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("status-core");
    tcase_add_test(tc, test_states);
    tcase_add_test(tc, test_plain_server);
    tcase_add_test(tc, test_small_buffer);
    tcase_add_test(tc, test_fit_width);
    tcase_add_test(tc, test_tls);
    suite_add_tcase(s, tc);
    return s;
}

/* bar: the status bar's text in each state, and its fit to 80 columns
 * (the least telling fields go first, the addresses students type stay). */
#include "check_admin.h"

#include <stdio.h>
#include <string.h>

#include "bar.h"
#include "text.h"

static struct admin_stats st;
static struct bar b;
static char buf[1024];

static void setup(void)
{
    memset(&st, 0, sizeof(st));
    memset(&b, 0, sizeof(b));
    snprintf(st.mode, sizeof(st.mode), "threads");
    snprintf(st.listen, sizeof(st.listen), "0.0.0.0:5000");
    snprintf(st.reach, sizeof(st.reach), "192.168.1.20:5000,10.0.0.7:5000");
    st.clients = 3;
    st.msgs_per_s = 12;
    st.deliveries_per_s = 36;
    st.up_ms = 3720000;
    st.rss_kib = 5324;
    st.threads = 7;
    b.state = ATTACH_ATTACHED;
    b.stats = &st;
}

START_TEST(test_full)
{
    bar_format(&b, buf, sizeof(buf));
    ck_assert_str_eq(buf, "attached | threads | 192.168.1.20:5000,10.0.0.7:5000 | 3 clients | "
                          "12 msg/s 36 dlv/s | up 1h02m | 5.2 MiB | 7 threads");
    st.clients = 1;
    st.threads = 1;
    st.reach[0] = '\0'; /* bound to one address: that one */
    bar_format(&b, buf, sizeof(buf));
    ck_assert_str_eq(buf, "attached | threads | 0.0.0.0:5000 | 1 client | 12 msg/s 36 dlv/s | "
                          "up 1h02m | 5.2 MiB | 1 thread");
}
END_TEST

START_TEST(test_states)
{
    b.state = ATTACH_CONNECTING;
    bar_format(&b, buf, sizeof(buf));
    ck_assert_str_eq(buf, "attaching");
    b.state = ATTACH_GONE;
    snprintf(b.gone_why, sizeof(b.gone_why), "shutting down");
    b.unread = 4;
    bar_format(&b, buf, sizeof(buf));
    /* Gone: the old numbers are not shown as if current. */
    ck_assert_str_eq(buf, "SERVER GONE: shutting down, retrying | 4 unread");
}
END_TEST

START_TEST(test_fit_80)
{
    size_t n = bar_format_fit(&b, buf, sizeof(buf), 79);
    ck_assert_uint_le(text_width(buf, n), 79);
    ck_assert_str_eq(buf, "attached | 192.168.1.20:5000,10.0.0.7:5000 | 3 clients | "
                          "12 msg/s 36 dlv/s");
    n = bar_format_fit(&b, buf, sizeof(buf), 60);
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_str_eq(buf, "attached | 192.168.1.20:5000,10.0.0.7:5000 | 3 clients");
    n = bar_format_fit(&b, buf, sizeof(buf), 20);
    ck_assert_uint_eq(n, 20); /* then cut */
    ck_assert_str_eq(buf, "attached | 192.168.1");
}
END_TEST

START_TEST(test_tls)
{
    const char *fp =
        "94:FC:B0:6D:9A:FD:7B:D6:3A:7F:5D:AE:44:38:2C:51:A8:4F:56:65:8E:7D:24:0C:C9:69:"
        "FB:7C:CF:31:DA:DD";
    snprintf(st.tls, sizeof(st.tls), "on");
    snprintf(st.tls_sha256, sizeof(st.tls_sha256), "%s", fp);
    st.reach[0] = '\0';
    bar_format(&b, buf, sizeof(buf));
    char want[512];
    snprintf(want, sizeof(want),
             "attached | threads | 0.0.0.0:5000 | TLS SHA-256 %s | 3 clients | "
             "12 msg/s 36 dlv/s | up 1h02m | 5.2 MiB | 7 threads",
             fp);
    ck_assert_str_eq(buf, want);
    /* On a projector's width the fingerprint stays, the operator's figures go. */
    /* Shown when the whole bar fits; else the bar is as without TLS (the
     * log has the fingerprint in any width). */
    size_t n = bar_format_fit(&b, buf, sizeof(buf), 220);
    ck_assert_ptr_nonnull(strstr(buf, fp));
    n = bar_format_fit(&b, buf, sizeof(buf), 150);
    ck_assert_uint_le(text_width(buf, n), 150);
    ck_assert_str_eq(buf, "attached | threads | 0.0.0.0:5000 | 3 clients | 12 msg/s 36 dlv/s | "
                          "up 1h02m | 5.2 MiB | 7 threads");
    snprintf(st.tls, sizeof(st.tls), "only");
    bar_format(&b, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "| TLS only SHA-256 94:FC:"));
    snprintf(st.tls, sizeof(st.tls), "off");
    st.tls_sha256[0] = '\0';
    bar_format(&b, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "| TLS off |"));
}
END_TEST

START_TEST(test_uptime)
{
    char u[32];
    bar_uptime(45000, u, sizeof(u));
    ck_assert_str_eq(u, "45s");
    bar_uptime(725000, u, sizeof(u));
    ck_assert_str_eq(u, "12m05s");
    bar_uptime(3 * 86400000LL + 4 * 3600000LL, u, sizeof(u));
    ck_assert_str_eq(u, "3d04h");
}
END_TEST

Suite *bar_suite(void)
{
    Suite *s = suite_create("bar");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_full);
    tcase_add_test(tc, test_states);
    tcase_add_test(tc, test_fit_80);
    tcase_add_test(tc, test_uptime);
    tcase_add_test(tc, test_tls);
    suite_add_tcase(s, tc);
    return s;
}

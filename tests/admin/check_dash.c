/* dash and attach: the connection's state machine fed scripted admin
 * lines: the greeting, the hidden subscribe answer, events, answers, a
 * roster block, stats, BYE; a foreign first line; kick with a question. */
#include "check_admin.h"

#include <stdio.h>
#include <string.h>

#include "dash.h"

static struct dash d;
static const int64_t NOW = 1733400000000; /* 12:00:00 UTC */

static void setup(void)
{
    ck_assert_int_eq(dash_init(&d, 100), 0);
}

static void teardown(void)
{
    dash_free(&d);
}

static enum attach_act feed(const char *line)
{
    return dash_line(&d, line, strlen(line), NOW);
}

static const char *last(void)
{
    static char buf[512];
    size_t n = evlog_count(&d.log);
    ck_assert_uint_gt(n, 0);
    evlog_format(evlog_at(&d.log, n - 1), buf, sizeof(buf), NULL);
    return buf;
}

static void attach(void)
{
    ck_assert_int_eq(feed("SOCKCHAT-ADMIN 1 0.4.0"), AA_ATTACHED);
    ck_assert_int_eq(d.at.state, ATTACH_ATTACHED);
    ck_assert_str_eq(d.at.version, "0.4.0");
    attach_sent(&d.at, true); /* the dashboard's own subscribe */
}

START_TEST(test_session)
{
    attach();
    ck_assert_str_eq(last(), "12:00:00 --      attached to sockchat-server 0.4.0");
    size_t before = evlog_count(&d.log);
    ck_assert_int_eq(feed("OK subscribed: events stats roster"), AA_NONE);
    ck_assert_uint_eq(evlog_count(&d.log), before); /* hidden */
    ck_assert_uint_eq(d.at.pending, 0);

    ck_assert_int_eq(feed("EVENT 1733400005000 chat 127.0.0.1:40512 alice says: hi"), AA_SHOW);
    ck_assert_str_eq(last(), "12:00:05 chat    alice says: hi");
    feed("EVENT 1733400006000 refuse 127.0.0.1:40999 - refused: server full");
    ck_assert_str_eq(last(), "12:00:06 REFUSE  127.0.0.1:40999 refused: server full");
    /* A kind from a newer server shows as info. */
    feed("EVENT 1733400007000 telepathy - - something new");
    ck_assert_str_eq(last(), "12:00:07 info    something new");

    dash_sent(&d, NOW, "who");
    attach_sent(&d.at, false);
    ck_assert_str_eq(last(), "12:00:00 >       who");
    ck_assert_int_eq(feed("OUT 1 user: alice (127.0.0.1:40512, 3m)"), AA_SHOW);
    ck_assert_str_eq(last(), "12:00:00 |       1 user: alice (127.0.0.1:40512, 3m)");
    ck_assert_uint_eq(d.at.pending, 1);
    ck_assert_int_eq(feed("OK"), AA_SHOW);
    ck_assert_str_eq(last(), "12:00:00 ok      done");
    ck_assert_uint_eq(d.at.pending, 0);
    attach_sent(&d.at, false);
    feed("ERR no such user: zed");
    ck_assert_str_eq(last(), "12:00:00 ERR     no such user: zed");
    ck_assert_uint_eq(d.at.pending, 0);

    ck_assert_int_eq(feed("STATS mode=pool clients=2 msgs_per_s=4 threads=5"), AA_STATS);
    struct bar b;
    dash_bar(&d, &b);
    ck_assert_ptr_nonnull(b.stats);
    ck_assert_str_eq(b.stats->mode, "pool");
    ck_assert_uint_eq(b.stats->clients, 2);

    ck_assert_int_eq(feed("ROSTER 2 2"), AA_ROSTER);
    feed("ROW id=7 nick=alice addr=127.0.0.1:40512 dialect=sockchat state=joined");
    ck_assert_uint_eq(d.roster.n, 0);
    ck_assert_int_eq(feed("ROW id=8 nick=- addr=127.0.0.1:40600 dialect=unknown state=new"),
                     AA_ROW);
    ck_assert_uint_eq(d.roster.n, 2);
    ck_assert_str_eq(d.roster.rows[0].nick, "alice");
    ck_assert_str_eq(d.roster.rows[1].nick, ""); /* '-' on the wire */

    ck_assert_int_eq(feed("BYE shutting down"), AA_BYE);
    ck_assert_str_eq(d.at.why, "shutting down");
    dash_gone(&d, NOW, d.at.why);
    ck_assert_int_eq(d.at.state, ATTACH_GONE);
    ck_assert_uint_eq(d.roster.n, 0);
    ck_assert_str_eq(last(),
                     "12:00:00 --      server gone (shutting down): retrying every second; q to "
                     "quit");
    dash_bar(&d, &b);
    ck_assert_ptr_null(b.stats);
}
END_TEST

START_TEST(test_hidden_err_shown)
{
    attach();
    /* Our own subscribe refused: the operator must see it. */
    ck_assert_int_eq(feed("ERR unknown command: subscribe"), AA_SHOW);
    ck_assert_str_eq(last(), "12:00:00 ERR     unknown command: subscribe");
}
END_TEST

START_TEST(test_mismatch)
{
    ck_assert_int_eq(feed("SSH-2.0-OpenSSH_9.6"), AA_MISMATCH);
    ck_assert_str_eq(d.at.why, "expected SOCKCHAT-ADMIN 1, got \"SSH-2.0-OpenSSH_9.6\"");
    ck_assert_int_eq(d.at.state, ATTACH_CONNECTING);
    ck_assert(d.at.mismatch);
    dash_free(&d);
    dash_init(&d, 10);
    ck_assert_int_eq(feed("SOCKCHAT-ADMIN 2 9.0"), AA_MISMATCH);
    dash_free(&d);
    dash_init(&d, 10);
    ck_assert_int_eq(feed("BYE not allowed"), AA_BYE);
    ck_assert_str_eq(d.at.why, "not allowed");
    ck_assert(!d.at.mismatch); /* a refusal, said as such */
}
END_TEST

START_TEST(test_kick_asks)
{
    attach();
    feed("ROSTER 2 2");
    feed("ROW id=1 nick=alice addr=127.0.0.1:1 dialect=sockchat state=joined");
    feed("ROW id=2 nick=- addr=127.0.0.1:2 dialect=unknown state=new");
    char cmd[128];
    /* Nothing selected: a note, no question. */
    ck_assert(!dash_ask(&d, NOW, "kick"));
    ck_assert_str_eq(d.ask, "");
    roster_select_move(&d.roster, 1);
    ck_assert(dash_ask(&d, NOW, "kick"));
    ck_assert_str_eq(d.ask, "kick alice (127.0.0.1:1)? y/n");
    ck_assert(!dash_answer(&d, false, cmd, sizeof(cmd)));
    ck_assert_str_eq(d.ask, "");
    ck_assert(dash_ask(&d, NOW, "mute"));
    ck_assert(dash_answer(&d, true, cmd, sizeof(cmd)));
    ck_assert_str_eq(cmd, "mute alice");
    /* A connection without a nick cannot be named to kick. */
    roster_select_move(&d.roster, 1);
    ck_assert(!dash_ask(&d, NOW, "kick"));
    ck_assert_str_eq(last(), "12:00:00 --      kick: select a connection with a nick first "
                             "(Up/Down)");
}
END_TEST

START_TEST(test_help_notes)
{
    size_t before = evlog_count(&d.log);
    dash_help(&d, NOW);
    ck_assert_uint_gt(evlog_count(&d.log), before + 3);
    ck_assert_ptr_nonnull(strstr(evlog_at(&d.log, before)->text, "Up/Down"));
}
END_TEST

START_TEST(test_tls_notes)
{
    attach();
    size_t before = evlog_count(&d.log);
    ck_assert_int_eq(feed("STATS mode=pool clients=1"), AA_STATS);
    ck_assert_uint_eq(evlog_count(&d.log), before); /* older than TLS: nothing said */
    const char *stats = "STATS mode=pool tls=only tls_sha256=94:FC:B0:6D:9A:FD:7B:D6:3A:7F:5D:AE:"
                        "44:38:2C:51:A8:4F:56:65:8E:7D:24:0C:C9:69:FB:7C:CF:31:DA:DD tls_now=2";
    ck_assert_int_eq(feed(stats), AA_STATS);
    ck_assert_uint_eq(evlog_count(&d.log), before + 3);
    ck_assert_ptr_nonnull(strstr(evlog_at(&d.log, before)->text, "TLS only"));
    ck_assert_ptr_nonnull(strstr(evlog_at(&d.log, before)->text, "SHA-256"));
    /* The whole fingerprint, in two halves that fit 80 columns. */
    ck_assert_str_eq(evlog_at(&d.log, before + 1)->text,
                     "  94:FC:B0:6D:9A:FD:7B:D6:3A:7F:5D:AE:44:38:2C:51");
    ck_assert_str_eq(evlog_at(&d.log, before + 2)->text,
                     "  A8:4F:56:65:8E:7D:24:0C:C9:69:FB:7C:CF:31:DA:DD");
    ck_assert_int_eq(feed(stats), AA_STATS); /* every second: said once */
    ck_assert_uint_eq(evlog_count(&d.log), before + 3);
    ck_assert_int_eq(feed("STATS mode=pool tls=off"), AA_STATS);
    ck_assert_uint_eq(evlog_count(&d.log), before + 4);
    ck_assert_ptr_nonnull(strstr(evlog_at(&d.log, before + 3)->text, "TLS off"));
}
END_TEST

Suite *dash_suite(void)
{
    Suite *s = suite_create("dash");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_session);
    tcase_add_test(tc, test_kick_asks);
    tcase_add_test(tc, test_help_notes);
    tcase_add_test(tc, test_tls_notes);
    suite_add_tcase(s, tc);
    TCase *err = tcase_create("errors");
    tcase_add_checked_fixture(err, setup, teardown);
    tcase_add_test(err, test_hidden_err_shown);
    tcase_add_test(err, test_mismatch);
    suite_add_tcase(s, err);
    return s;
}

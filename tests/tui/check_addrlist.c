/* addrlist (issue 18): the list of servers a client may go to, parsed from
 * what the user typed, and the round robin over it: which address comes
 * next after a failed attempt or a lost connection, and when a whole round
 * has failed (the caller's cue to back off). */
#include "check_tui.h"

#include <stdio.h>
#include <string.h>

#include "addrlist.h"

static struct addrlist l; /* 16 entries of 256-byte hosts: off the stack */

static void parse_ok(const char *spec, const char *port)
{
    char err[200] = "";
    ck_assert_msg(addrlist_parse(&l, spec, port, err, sizeof(err)) == 0, "%s: %s", spec, err);
}

static void parse_bad(const char *spec, const char *port, const char *want)
{
    char err[200] = "";
    ck_assert_msg(addrlist_parse(&l, spec, port, err, sizeof(err)) < 0, "%s was taken", spec);
    ck_assert_msg(strstr(err, want) != NULL, "%s: error %s, want %s", spec, err, want);
    ck_assert_uint_eq(l.n, 0);
}

START_TEST(test_parse_one)
{
    parse_ok("127.0.0.1", "5000");
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.e[0].host, "127.0.0.1");
    ck_assert_str_eq(l.e[0].port, "5000");
    parse_ok("chat.example:6000", "5000");
    ck_assert_str_eq(l.e[0].host, "chat.example");
    ck_assert_str_eq(l.e[0].port, "6000");
    parse_ok("::1", "5000"); /* a bare IPv6 literal is a host */
    ck_assert_str_eq(l.e[0].host, "::1");
    ck_assert_str_eq(l.e[0].port, "5000");
}
END_TEST

/* Issue 19: tls:// marks an address for TLS, in a list too. */
START_TEST(test_parse_tls)
{
    parse_ok("tls://chat.example:6000", "5000");
    ck_assert(l.e[0].tls);
    ck_assert_str_eq(l.e[0].host, "chat.example");
    ck_assert_str_eq(l.e[0].port, "6000");
    parse_ok("TLS://[::1]:5001,127.0.0.1:5002, tls://h3", "5000");
    ck_assert_uint_eq(l.n, 3);
    ck_assert(l.e[0].tls);
    ck_assert_str_eq(l.e[0].host, "::1");
    ck_assert(!l.e[1].tls);
    ck_assert(l.e[2].tls);
    ck_assert_str_eq(l.e[2].host, "h3");
    ck_assert_str_eq(l.e[2].port, "5000");
    parse_bad("tls://", "5000", "bad");
}
END_TEST

START_TEST(test_parse_list)
{
    parse_ok("127.0.0.1:5001,[::1]:5002, chat.example ", "5000");
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.e[0].host, "127.0.0.1");
    ck_assert_str_eq(l.e[0].port, "5001");
    ck_assert_str_eq(l.e[1].host, "::1");
    ck_assert_str_eq(l.e[1].port, "5002");
    ck_assert_str_eq(l.e[2].host, "chat.example"); /* blanks trimmed */
    ck_assert_str_eq(l.e[2].port, "5000");         /* the default */
    ck_assert_uint_eq(addrlist_total(&l), 3);
    ck_assert_ptr_eq(addrlist_current(&l), &l.e[0]);
    char buf[64];
    addrlist_format(&l.e[1], buf, sizeof(buf));
    ck_assert_str_eq(buf, "[::1]:5002");
    addrlist_format(&l.e[0], buf, sizeof(buf));
    ck_assert_str_eq(buf, "127.0.0.1:5001");
}
END_TEST

START_TEST(test_parse_errors)
{
    parse_bad("a:1,,b:2", "5000", "empty address");
    parse_bad("a:1,", "5000", "empty address");
    parse_bad(",a:1", "5000", "empty address");
    parse_bad("", "5000", "empty address");
    parse_bad("a:1, ,b:2", "5000", "empty address");
    parse_bad("a:1,b:0", "5000", "bad port 0 in b:0");
    parse_bad("a:65536", "5000", "bad port 65536");
    parse_bad("a:1,b:x", "5000", "bad address b:x");
    parse_bad("a,b", "99999", "bad port 99999");
    parse_bad("[::1:5000", "5000", "bad address [::1:5000");
    parse_bad("[::1]5000", "5000", "bad address");
    char spec[ADDRLIST_TEXT_MAX + 8];
    size_t len = 0;
    for (int i = 0; i < ADDRLIST_MAX; i++)
        len += (size_t)snprintf(spec + len, sizeof(spec) - len, "%s10.0.0.%d:5000", i ? "," : "",
                                i + 1);
    parse_ok(spec, "5000");
    ck_assert_uint_eq(l.n, ADDRLIST_MAX);
    ck_assert_str_eq(l.e[ADDRLIST_MAX - 1].host, "10.0.0.16");
    snprintf(spec + len, sizeof(spec) - len, ",10.0.0.17:5000");
    parse_bad(spec, "5000", "more than 16 addresses");
    char big[ADDRLIST_TEXT_MAX + 8];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    parse_bad(big, "5000", "longer than 1023 bytes");
}
END_TEST

/* Three servers: each failure moves on; the third ends the round. */
START_TEST(test_round_robin_failures)
{
    parse_ok("a:1,b:2,c:3", "5000");
    ck_assert(!addrlist_failed(&l, 1));
    ck_assert_str_eq(addrlist_current(&l)->host, "b");
    ck_assert(!addrlist_failed(&l, 1));
    ck_assert_str_eq(addrlist_current(&l)->host, "c");
    ck_assert(addrlist_failed(&l, 1)); /* all three: back off */
    ck_assert_str_eq(addrlist_current(&l)->host, "a");
    /* The next round counts afresh. */
    ck_assert(!addrlist_failed(&l, 1));
    ck_assert(!addrlist_failed(&l, 1));
    ck_assert(addrlist_failed(&l, 1));
}
END_TEST

/* A good connection lost: straight to the next server, and the one that
 * was lost is tried last in the round. */
START_TEST(test_lost_moves_on)
{
    parse_ok("a:1,b:2,c:3", "5000");
    addrlist_connected(&l, 0, 1);
    ck_assert(!addrlist_lost(&l, true));
    ck_assert_str_eq(addrlist_current(&l)->host, "b");
    ck_assert(!addrlist_failed(&l, 1)); /* b refuses */
    ck_assert_str_eq(addrlist_current(&l)->host, "c");
    addrlist_connected(&l, 0, 1);
    ck_assert(!addrlist_lost(&l, true)); /* c dies too */
    ck_assert_str_eq(addrlist_current(&l)->host, "a");
    ck_assert(!addrlist_failed(&l, 1));
    ck_assert(!addrlist_failed(&l, 1));
    ck_assert_str_eq(addrlist_current(&l)->host, "c");
    ck_assert(addrlist_failed(&l, 1)); /* a, b and c since c was lost */
    ck_assert_str_eq(addrlist_current(&l)->host, "a");
}
END_TEST

/* Servers that take the connection and close it before greeting count as
 * failures: a round of them ends in a back-off, not a busy loop. */
START_TEST(test_lost_ungreeted_counts)
{
    parse_ok("a:1,b:2", "5000");
    addrlist_connected(&l, 0, 1);
    ck_assert(!addrlist_lost(&l, false));
    ck_assert_str_eq(addrlist_current(&l)->host, "b");
    addrlist_connected(&l, 0, 1);
    ck_assert(addrlist_lost(&l, false));
    ck_assert_str_eq(addrlist_current(&l)->host, "a");
}
END_TEST

/* One name with two addresses, then another server: a lost connection
 * moves to the name's next address first; the round counts addresses. */
START_TEST(test_name_with_several_addresses)
{
    parse_ok("chat.example,b:2", "5000");
    ck_assert_uint_eq(addrlist_total(&l), 2); /* not resolved yet: one each */
    addrlist_connected(&l, 0, 2);
    ck_assert_uint_eq(addrlist_total(&l), 3);
    ck_assert(!addrlist_lost(&l, true));
    ck_assert_str_eq(addrlist_current(&l)->host, "chat.example");
    ck_assert_uint_eq(l.sub, 1);
    addrlist_connected(&l, 1, 2);
    ck_assert(!addrlist_lost(&l, true));
    ck_assert_str_eq(addrlist_current(&l)->host, "b");
    ck_assert_uint_eq(l.sub, 0);
    ck_assert(!addrlist_failed(&l, 1));
    ck_assert_str_eq(addrlist_current(&l)->host, "chat.example");
    ck_assert(addrlist_failed(&l, 2)); /* both of its addresses: 3 of 3 */
    /* A name alone: a connection lost goes to its other address. */
    parse_ok("chat.example", "5000");
    addrlist_connected(&l, 1, 2);
    ck_assert(!addrlist_lost(&l, true));
    ck_assert_uint_eq(l.sub, 0);
    ck_assert_uint_eq(addrlist_total(&l), 2);
    /* A name that did not resolve counts once. */
    parse_ok("nosuch.example,b:2", "5000");
    ck_assert(!addrlist_failed(&l, 0));
    ck_assert(addrlist_failed(&l, 1));
}
END_TEST

Suite *addrlist_suite(void)
{
    Suite *s = suite_create("addrlist");
    TCase *tc = tcase_create("addrlist");
    tcase_add_test(tc, test_parse_one);
    tcase_add_test(tc, test_parse_list);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_round_robin_failures);
    tcase_add_test(tc, test_lost_moves_on);
    tcase_add_test(tc, test_lost_ungreeted_counts);
    tcase_add_test(tc, test_name_with_several_addresses);
    tcase_add_test(tc, test_parse_tls);
    suite_add_tcase(s, tc);
    return s;
}

/* peers: limits per address (--max-per-addr, new connections, the chat
 * tokens a reconnect inherits) and password guessing per address and
 * server-wide, with the fake clock. */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

static const char SLOW[] = "error: slow down: at most 10 messages per second\n";

/* A connection admitted as a driver admits it. */
static struct client *admit(const char *addr)
{
    struct client *c = admit_connection(&fx_srv, -1, addr);
    ck_assert_ptr_nonnull(c);
    return c;
}

static struct client *admitted(const char *addr)
{
    struct client *c = admit(addr);
    ck_assert_msg(c->refusal == REFUSE_NONE, "%s refused (%d)", addr, (int)c->refusal);
    return c;
}

/* Admitted, and a plain (nc) client in the room. */
static struct client *plain_at(const char *addr)
{
    struct client *c = admitted(addr);
    fx_feed(c, "/ping\n");
    ck_assert_int_eq(c->dialect, DIALECT_PLAIN);
    fx_drain(c);
    return c;
}

/* Sends n chat lines; returns how many were taken. (What others said
 * meanwhile comes first in what is drained.) */
static int say(struct client *c, int n)
{
    int ok = 0;
    for (int i = 0; i < n; i++) {
        fx_drain(c);
        fx_feed(c, "hi\n");
        const char *got = fx_drain(c);
        if (strcmp(got, "Message received\n") == 0)
            ok++;
        else
            ck_assert_str_eq(got, SLOW);
    }
    return ok;
}

/* ---- item 6: --max-per-addr ---- */

START_TEST(test_max_per_addr_refused_in_each_dialect)
{
    struct client *in[MAX_PER_ADDR_DEFAULT];
    char addr[64];
    for (int i = 0; i < MAX_PER_ADDR_DEFAULT; i++) {
        snprintf(addr, sizeof addr, "127.0.0.1:%d", 1000 + i);
        in[i] = admitted(addr);
    }
    static const char TEXT[] = "too many connections from your address (64 at most), try again "
                               "later";
    char want[160];
    struct client *f = admit("127.0.0.1:2000");
    ck_assert_int_eq(f->refusal, REFUSE_ADDR_FULL);
    ck_assert(!f->registered); /* it holds no slot */
    fx_feed(f, "HELLO sockchat/1 bob\n");
    snprintf(want, sizeof want, "ERR full %s\n", TEXT);
    ck_assert_str_eq(fx_drain(f), want);
    ck_assert_int_eq(client_close_state(f, NULL, 0), CLOSE_FLUSH);
    fx_end(f);
    struct client *p = admit("127.0.0.1:2001");
    fx_feed(p, "hello\n");
    snprintf(want, sizeof want, "error: %s\n", TEXT);
    ck_assert_str_eq(fx_drain(p), want);
    fx_end(p);
    struct client *r = admit("127.0.0.1:2002");
    fx_feed(r, "hello");
    snprintf(want, sizeof want, "error: %s", TEXT);
    ck_assert_str_eq(fx_drain(r), want);
    fx_end(r);
    /* Another address is not concerned; a v4-mapped one is the same. */
    admitted("127.0.0.2:1");
    struct client *m = admit("[::ffff:127.0.0.1]:5");
    ck_assert_int_eq(m->refusal, REFUSE_ADDR_FULL);
    fx_end(m);
    /* One leaves: its place is free again (once a connection token is
     * back: the 64 took the whole burst). */
    fx_end(in[0]);
    fx_clock.mono_ms += PEER_CONN_REFILL_MS / MAX_PER_ADDR_DEFAULT + 1;
    admitted("127.0.0.1:3000");
}
END_TEST

START_TEST(test_max_per_addr_raised_and_off)
{
    fx_srv.cfg.max_per_addr = 100;
    char addr[64];
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof addr, "10.0.0.1:%d", i);
        admitted(addr);
    }
    struct client *c = admit("10.0.0.1:999");
    ck_assert_int_eq(c->refusal, REFUSE_ADDR_FULL);
    fx_end(c);
    fx_srv.cfg.max_per_addr = 0; /* no limit at all */
    for (int i = 0; i < 300; i++) {
        snprintf(addr, sizeof addr, "10.0.0.2:%d", i);
        admitted(addr);
    }
}
END_TEST

START_TEST(test_ipv6_counted_per_64)
{
    fx_srv.cfg.max_per_addr = 2;
    admitted("[2001:db8::1]:1");
    admitted("[2001:db8::2:3:4]:1");
    struct client *c = admit("[2001:db8::ffff:1]:1"); /* the same /64 */
    ck_assert_int_eq(c->refusal, REFUSE_ADDR_FULL);
    fx_end(c);
    admitted("[2001:db8:0:1::1]:1"); /* the next /64 */
    admitted("192.0.2.1:1");
    admitted("192.0.2.1:2");
    admitted("192.0.2.2:1"); /* IPv4: each address */
    struct cidr a, k;
    ck_assert_int_eq(cidr_parse("2001:db8:1:2:3:4:5:6", &a), 0);
    peer_prefix(&a, &k);
    char buf[64];
    cidr_format(&k, buf, sizeof buf);
    ck_assert_str_eq(buf, "2001:db8:1:2::/64");
}
END_TEST

/* ---- item 7: the rate of new connections, and tokens across reconnects ---- */

START_TEST(test_new_connections_rate_limited)
{
    fx_srv.cfg.max_per_addr = 4;
    const int64_t per = PEER_CONN_REFILL_MS / 4; /* one connection back */
    for (int i = 0; i < 4; i++)
        fx_end(admitted("10.1.1.1:1")); /* the burst: at once */
    struct client *c = admit("10.1.1.1:2");
    ck_assert_int_eq(c->refusal, REFUSE_ADDR_FAST);
    fx_feed(c, "HELLO sockchat/1 bob\n");
    char want[128];
    snprintf(want, sizeof want,
             "ERR full too many new connections from your address; try again in %lld s\n",
             (long long)(per / 1000));
    ck_assert_str_eq(fx_drain(c), want);
    fx_end(c);
    fx_clock.mono_ms += per - 1;
    c = admit("10.1.1.1:3");
    ck_assert_int_eq(c->refusal, REFUSE_ADDR_FAST);
    fx_end(c);
    fx_clock.mono_ms += 1;
    fx_end(admitted("10.1.1.1:4"));
    admitted("10.1.1.2:1"); /* per address */
    /* A refusal costs nothing: the bucket refills meanwhile as usual. */
    fx_clock.mono_ms += 4 * per;
    for (int i = 0; i < 4; i++)
        admitted("10.1.1.1:5");
}
END_TEST

START_TEST(test_reconnect_buys_no_tokens)
{
    struct client *a = plain_at("10.2.2.2:1");
    ck_assert_int_eq(say(a, RATE_BURST + 5), RATE_BURST);
    fx_end(a);
    /* The same address at once: nothing left to spend. */
    struct client *b = plain_at("10.2.2.2:2");
    ck_assert_int_eq(say(b, 3), 0);
    fx_end(b);
    /* Refilled at the normal rate meanwhile, as if it had stayed. */
    fx_clock.mono_ms += 500;
    struct client *c = plain_at("10.2.2.2:3");
    ck_assert_int_eq(say(c, 10), 5);
    /* Others are not concerned. */
    struct client *d = plain_at("10.2.2.3:1");
    ck_assert_int_eq(say(d, RATE_BURST), RATE_BURST);
    /* Long after, a newcomer starts full again. */
    fx_end(c);
    fx_clock.mono_ms += 60000;
    struct client *e = plain_at("10.2.2.2:4");
    ck_assert_int_eq(say(e, RATE_BURST + 1), RATE_BURST);
}
END_TEST

START_TEST(test_fresh_connection_does_not_launder)
{
    struct client *spent = plain_at("10.3.3.3:1");
    struct client *fresh = plain_at("10.3.3.3:2");
    ck_assert_int_eq(say(spent, RATE_BURST), RATE_BURST);
    fx_end(spent);
    fx_end(fresh); /* left full, after the spent one */
    struct client *next = plain_at("10.3.3.3:3");
    ck_assert_int_eq(say(next, 1), 0); /* the least that was left */
}
END_TEST

START_TEST(test_thirty_behind_one_address_chat_freely)
{
    /* A class on one machine: each at the full default rate for 3 s, and
     * nobody is throttled by the others, nor by people coming and going. */
    enum { N = 30 };
    struct client *c[N];
    char addr[64];
    for (int i = 0; i < N; i++) {
        snprintf(addr, sizeof addr, "127.0.0.1:%d", 4000 + i);
        c[i] = plain_at(addr);
    }
    for (int step = 0; step < 30; step++) {
        for (int i = 0; i < N; i++)
            ck_assert_int_eq(say(c[i], 1), 1);
        fx_clock.mono_ms += 100; /* 10 each per second */
    }
    struct client *gone = plain_at("127.0.0.1:5000");
    ck_assert_int_eq(say(gone, RATE_BURST), RATE_BURST);
    fx_end(gone);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(say(c[i], 1), 1);
}
END_TEST

START_TEST(test_nick_changes_cost_tokens_across_reconnects)
{
    struct client *a = plain_at("10.4.4.4:1");
    char line[64];
    int ok = 0;
    for (int i = 0; i < RATE_BURST + 3; i++) {
        snprintf(line, sizeof line, "/nick n%d\n", i);
        fx_feed(a, line);
        const char *got = fx_drain(a);
        if (strcmp(got, SLOW) != 0)
            ok++;
    }
    ck_assert_int_eq(ok, RATE_BURST);
    fx_end(a);
    struct client *b = plain_at("10.4.4.4:2");
    fx_feed(b, "/nick again\n");
    ck_assert_str_eq(fx_drain(b), SLOW);
}
END_TEST

/* ---- item 8: password guessing ---- */

START_TEST(test_guesses_from_many_addresses_limited)
{
    /* 500 addresses guess at once: the server judges a burst of them, the
     * others are not judged (on the old code every one was). */
    struct access *a = &fx_srv.acc;
    char addr[64];
    int64_t ms;
    int judged = 0;
    for (int i = 0; i < 500; i++) {
        snprintf(addr, sizeof addr, "127.0.%d.%d:1", 1 + i / 250, 2 + i % 250);
        if (access_auth_judge(a, addr, false, fx_clock.mono_ms, &ms) == AUTH_WRONG)
            judged++;
    }
    ck_assert_int_eq(judged, AUTH_JUDGE_BURST);
}
END_TEST

START_TEST(test_guesses_per_hour)
{
    /* 500 addresses guessing for an hour, each coming back as soon as it
     * is told: at most AUTH_JUDGE_BURST + 3600 x AUTH_JUDGE_RATE judged
     * (from the start; any hour: the grace's worth more). */
    enum { N = 500, STEP_MS = 100 };
    struct access *a = &fx_srv.acc;
    static int64_t next[N];
    char addr[64];
    int64_t t0 = fx_clock.mono_ms, ms;
    long judged = 0, told = 0;
    memset(next, 0, sizeof next);
    for (int64_t t = t0; t < t0 + 3600 * 1000; t += STEP_MS) {
        for (int i = 0; i < N; i++) {
            if (next[i] > t)
                continue;
            snprintf(addr, sizeof addr, "127.1.%d.%d:1", i / 250, 2 + i % 250);
            enum auth_verdict v = access_auth_judge(a, addr, false, t, &ms);
            ck_assert(v != AUTH_OK);
            if (v == AUTH_WRONG)
                judged++;
            else
                told++;
            next[i] = t + ms;
        }
    }
    ck_assert_int_le(judged, AUTH_JUDGE_BURST + 3600 * AUTH_JUDGE_RATE);
    ck_assert_int_ge(judged, 3600 * AUTH_JUDGE_RATE * 9 / 10); /* turns are not wasted */
    ck_assert_int_gt(told, 0);
}
END_TEST

START_TEST(test_right_passwords_never_slowed)
{
    /* A class at the start of a lesson, nobody guessing wrong: all judged
     * at once, from one address or many. */
    struct access *a = &fx_srv.acc;
    char addr[64];
    int64_t ms, t = fx_clock.mono_ms;
    for (int i = 0; i < 300; i++) {
        snprintf(addr, sizeof addr, "127.0.0.1:%d", i);
        ck_assert_int_eq(access_auth_judge(a, addr, true, t, &ms), AUTH_OK);
        snprintf(addr, sizeof addr, "10.9.%d.%d:1", i / 200, i % 200);
        ck_assert_int_eq(access_auth_judge(a, addr, true, t, &ms), AUTH_OK);
    }
    /* A few typos too (fewer than the burst): still nobody waits. */
    for (int i = 0; i < AUTH_JUDGE_BURST - 1; i++) {
        snprintf(addr, sizeof addr, "10.8.0.%d:1", i);
        ck_assert_int_eq(access_auth_judge(a, addr, false, t, &ms), AUTH_WRONG);
    }
    ck_assert_int_eq(access_auth_judge(a, "10.7.0.1:1", true, t, &ms), AUTH_OK);
}
END_TEST

START_TEST(test_under_guessing_everyone_waits_a_turn)
{
    struct access *a = &fx_srv.acc;
    char addr[64];
    int64_t ms, t = fx_clock.mono_ms;
    for (int i = 0; i < AUTH_JUDGE_BURST; i++) {
        snprintf(addr, sizeof addr, "10.6.0.%d:1", i);
        ck_assert_int_eq(access_auth_judge(a, addr, false, t, &ms), AUTH_WRONG);
    }
    /* Right or wrong, not judged now (which would tell them apart): each
     * address is given the next turn, one a second. */
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.1:1", true, t, &ms), AUTH_WAIT);
    ck_assert_int_eq(ms, 1000);
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.2:1", false, t, &ms), AUTH_WAIT);
    ck_assert_int_eq(ms, 2000);
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.3:1", true, t + 10, &ms), AUTH_WAIT);
    ck_assert_int_eq(ms, 2990);
    /* Asking again before its turn keeps the turn (no second one). */
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.1:2", false, t + 500, &ms), AUTH_WAIT);
    ck_assert_int_eq(ms, 500);
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.4:1", true, t + 500, &ms), AUTH_WAIT);
    ck_assert_int_eq(ms, 3500);
    /* At their turns they are judged, right or wrong. */
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.1:3", true, t + 1000, &ms), AUTH_OK);
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.2:2", false, t + 2000, &ms), AUTH_WRONG);
    ck_assert_int_eq(ms, AUTH_DELAY_MS);
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.3:2", true, t + 5000, &ms), AUTH_OK);
    /* Once the turns are paid for and a guess is back in the bucket,
     * attempts are judged at once again. */
    ck_assert_int_eq(access_auth_judge(a, "10.5.0.9:1", true, t + 5000, &ms), AUTH_OK);
}
END_TEST

START_TEST(test_turns_cannot_be_hoarded)
{
    /* Turns taken up during an hour and all used at once later would be
     * judged at once, on top of that hour's: a turn is lost after
     * AUTH_TURN_GRACE_MS. */
    struct access *a = &fx_srv.acc;
    char addr[64];
    int64_t ms, t = fx_clock.mono_ms;
    for (int i = 0; i < AUTH_JUDGE_BURST; i++) {
        snprintf(addr, sizeof addr, "10.6.1.%d:1", i);
        ck_assert_int_eq(access_auth_judge(a, addr, false, t, &ms), AUTH_WRONG);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof addr, "10.6.2.%d:1", i);
        ck_assert_int_eq(access_auth_judge(a, addr, false, t, &ms), AUTH_WAIT);
        ck_assert_int_eq(ms, (i + 1) * 1000);
    }
    /* Within the grace a turn still holds ... */
    snprintf(addr, sizeof addr, "10.6.2.%d:2", 0);
    ck_assert_int_eq(access_auth_judge(a, addr, false, t + 1000 + AUTH_TURN_GRACE_MS, &ms),
                     AUTH_WRONG);
    /* ... and the others, back long after, are judged no faster than
     * anyone new: the bucket's burst, then turns again. */
    t += 3600 * 1000;
    int judged = 0;
    for (int i = 1; i < 100; i++) {
        snprintf(addr, sizeof addr, "10.6.2.%d:3", i);
        if (access_auth_judge(a, addr, false, t, &ms) == AUTH_WRONG)
            judged++;
    }
    ck_assert_int_eq(judged, AUTH_JUDGE_BURST);
}
END_TEST

START_TEST(test_lock_survives_other_addresses)
{
    /* 64 other addresses failing used to push a locked address out of
     * the table (64 slots, the oldest evicted): its lock was gone. */
    struct access *a = &fx_srv.acc;
    char addr[64];
    int64_t ms, t = fx_clock.mono_ms;
    ck_assert_int_eq(access_auth_judge(a, "10.0.0.1:1", false, t, &ms), AUTH_WRONG);
    for (int i = 0; i < 64; i++) {
        snprintf(addr, sizeof addr, "10.0.1.%d:1", i);
        access_auth_judge(a, addr, false, t + 1 + i, &ms);
    }
    ck_assert_int_eq(access_auth_judge(a, "10.0.0.1:2", true, t + 100, &ms), AUTH_LOCKED);
}
END_TEST

START_TEST(test_table_bounded_and_locks_kept)
{
    /* Connections from ten times as many addresses as the table holds
     * (each closed at once) cannot push a locked entry out. */
    struct access *a = &fx_srv.acc;
    char addr[64];
    int64_t ms, t = fx_clock.mono_ms;
    unsigned max = a->peers.max_entries;
    for (int k = 0; k < 5; k++) {
        ck_assert_int_eq(access_auth_judge(a, "10.0.0.1:1", false, t, &ms), AUTH_WRONG);
        t += ms;
    }
    ck_assert_int_eq(access_auth_judge(a, "10.0.0.1:1", false, t, &ms), AUTH_WRONG);
    ck_assert_int_eq(ms, 32 * AUTH_DELAY_MS);
    for (unsigned i = 0; i < 10 * max; i++) {
        snprintf(addr, sizeof addr, "10.%u.%u.%u:1", 100 + i / 65536, (i / 256) % 256, i % 256);
        fx_end(admitted(addr));
        ck_assert_uint_le(peers_count(&a->peers), max);
    }
    ck_assert_int_eq(access_auth_judge(a, "10.0.0.1:2", true, t + 1000, &ms), AUTH_LOCKED);
}
END_TEST

/* The table alone, small enough to fill. */
START_TEST(test_table_full_of_live_entries)
{
    struct peers p;
    struct peer_limits lim = {.max_per_addr = 4, .rate = 10};
    struct peer *e[4];
    struct cidr addr;
    int64_t tokens, retry, ms, t = 1000;
    char s[32];
    peers_init(&p, 4);
    for (int i = 0; i < 3; i++) {
        snprintf(s, sizeof s, "10.0.0.%d", i);
        cidr_parse(s, &addr);
        ck_assert_int_eq(peers_admit(&p, &lim, &addr, t, &e[i], &tokens, &retry), PEER_OK);
        ck_assert_int_eq(tokens, RATE_BURST * 1000);
    }
    /* The fourth slot: a locked address without connections. */
    cidr_parse("10.0.0.9", &addr);
    ck_assert_int_eq(peers_auth_judge(&p, &addr, false, t, &ms), AUTH_WRONG);
    cidr_parse("10.0.0.50", &addr);
    ck_assert_int_eq(peers_admit(&p, &lim, &addr, t, &e[3], &tokens, &retry), PEER_NO_ROOM);
    ck_assert_int_eq(peers_auth_judge(&p, &addr, true, t, &ms), AUTH_WAIT);
    ck_assert_int_eq(ms, AUTH_DELAY_MS);
    cidr_parse("10.0.0.9", &addr);
    ck_assert_int_eq(peers_auth_judge(&p, &addr, true, t + 1, &ms), AUTH_LOCKED);
    /* One leaves: its entry (no lock) makes room. */
    peers_leave(&p, &lim, e[0], 0, t);
    cidr_parse("10.0.0.50", &addr);
    ck_assert_int_eq(peers_admit(&p, &lim, &addr, t, &e[3], &tokens, &retry), PEER_OK);
    ck_assert_uint_eq(peers_count(&p), 4);
    for (int i = 1; i < 4; i++)
        peers_leave(&p, &lim, e[i], RATE_BURST * 1000, t);
    peers_free(&p);
}
END_TEST

START_TEST(test_blank_entries_dropped)
{
    /* An address that holds nothing any more is forgotten as new ones
     * come: the table stays as small as the addresses in use. */
    struct peers p;
    struct peer_limits lim = {.max_per_addr = 64, .rate = 10};
    struct peer *e;
    struct cidr addr;
    int64_t tokens, retry, t = 1000;
    char s[32];
    peers_init(&p, 100000);
    for (int i = 0; i < 5000; i++) {
        snprintf(s, sizeof s, "10.1.%d.%d", i / 256, i % 256);
        cidr_parse(s, &addr);
        ck_assert_int_eq(peers_admit(&p, &lim, &addr, t, &e, &tokens, &retry), PEER_OK);
        peers_leave(&p, &lim, e, tokens, t);
        t += 100;
    }
    /* Each is blank once its connection token is back (under 1 s). */
    ck_assert_uint_le(peers_count(&p), 20);
    peers_free(&p);
}
END_TEST

Suite *peers_suite(void)
{
    Suite *s = suite_create("peers");
    TCase *addr = tcase_create("per-address");
    tcase_add_checked_fixture(addr, fx_setup, fx_teardown);
    tcase_add_test(addr, test_max_per_addr_refused_in_each_dialect);
    tcase_add_test(addr, test_max_per_addr_raised_and_off);
    tcase_add_test(addr, test_ipv6_counted_per_64);
    tcase_add_test(addr, test_new_connections_rate_limited);
    tcase_add_test(addr, test_reconnect_buys_no_tokens);
    tcase_add_test(addr, test_fresh_connection_does_not_launder);
    tcase_add_test(addr, test_thirty_behind_one_address_chat_freely);
    tcase_add_test(addr, test_nick_changes_cost_tokens_across_reconnects);
    suite_add_tcase(s, addr);
    TCase *auth = tcase_create("guessing");
    tcase_add_checked_fixture(auth, fx_setup, fx_teardown);
    tcase_set_timeout(auth, 60);
    tcase_add_test(auth, test_guesses_from_many_addresses_limited);
    tcase_add_test(auth, test_guesses_per_hour);
    tcase_add_test(auth, test_right_passwords_never_slowed);
    tcase_add_test(auth, test_under_guessing_everyone_waits_a_turn);
    tcase_add_test(auth, test_turns_cannot_be_hoarded);
    tcase_add_test(auth, test_lock_survives_other_addresses);
    tcase_add_test(auth, test_table_bounded_and_locks_kept);
    tcase_add_test(auth, test_table_full_of_live_entries);
    tcase_add_test(auth, test_blank_entries_dropped);
    suite_add_tcase(s, auth);
    return s;
}

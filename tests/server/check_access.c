/* access and transcript: --allow, bans, --password, --transcript. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

START_TEST(test_cidr)
{
    struct cidr net, a;
    ck_assert_int_eq(cidr_parse("10.0.0.0/8", &net), 0);
    ck_assert_int_eq(addr_parse("10.200.3.4:5555", &a), 0);
    ck_assert(cidr_match(&net, &a));
    ck_assert_int_eq(addr_parse("11.0.0.1:1", &a), 0);
    ck_assert(!cidr_match(&net, &a));
    ck_assert_int_eq(cidr_parse("192.168.1.128/25", &net), 0);
    ck_assert_int_eq(addr_parse("192.168.1.200:1", &a), 0);
    ck_assert(cidr_match(&net, &a));
    ck_assert_int_eq(addr_parse("192.168.1.127:1", &a), 0);
    ck_assert(!cidr_match(&net, &a));
    ck_assert_int_eq(cidr_parse("::1", &net), 0);
    ck_assert_int_eq(addr_parse("[::1]:80", &a), 0);
    ck_assert(cidr_match(&net, &a));
    ck_assert_int_eq(addr_parse("127.0.0.1:80", &a), 0);
    ck_assert(!cidr_match(&net, &a)); /* families differ */
    ck_assert_int_eq(cidr_parse("0.0.0.0/0", &net), 0);
    ck_assert(cidr_match(&net, &a));
    ck_assert_int_eq(cidr_parse("10.0.0.0/33", &net), -1);
    ck_assert_int_eq(cidr_parse("nonsense", &net), -1);
    ck_assert_int_eq(cidr_parse("1.2.3.4/", &net), -1);
}
END_TEST

/* strtoul would have taken these. */
static const char *const BAD_CIDRS[] = {
    "127.0.0.0/+8",  "127.0.0.0/ 8", "127.0.0.0/-0", "127.0.0.0/8 ", "::1/0x10",
    "10.0.0.0/0008", " 10.0.0.1",    "10.0.0.1/8/8", "::1/129",
};

START_TEST(test_cidr_refuses_signs_and_blanks)
{
    struct cidr net;
    ck_assert_msg(cidr_parse(BAD_CIDRS[_i], &net) == -1, "%s accepted", BAD_CIDRS[_i]);
}
END_TEST

START_TEST(test_cidr_v4_mapped)
{
    /* Peers are shown (and matched) as IPv4 when they come through a
     * dual-stack socket: a v4-mapped ban must be the IPv4 one. */
    struct cidr net, peer;
    char buf[64];
    ck_assert_int_eq(cidr_parse("::ffff:127.0.0.1", &net), 0);
    ck_assert_int_eq(net.family, 4);
    cidr_format(&net, buf, sizeof buf);
    ck_assert_str_eq(buf, "127.0.0.1");
    ck_assert_int_eq(addr_parse("127.0.0.1:4000", &peer), 0);
    ck_assert(cidr_match(&net, &peer));
    ck_assert_int_eq(cidr_parse("::FFFF:10.0.0.0/104", &net), 0);
    cidr_format(&net, buf, sizeof buf);
    ck_assert_str_eq(buf, "10.0.0.0/8");
    ck_assert_int_eq(addr_parse("10.1.2.3:1", &peer), 0);
    ck_assert(cidr_match(&net, &peer));
    /* An IPv6 network holding the mapped range holds IPv4 peers. */
    ck_assert_int_eq(cidr_parse("::/0", &net), 0);
    ck_assert(cidr_match(&net, &peer));
    ck_assert_int_eq(cidr_parse("::1", &net), 0);
    ck_assert(!cidr_match(&net, &peer));
    cidr_format(&net, buf, sizeof buf);
    ck_assert_str_eq(buf, "::1");
    struct cidr a, b;
    ck_assert_int_eq(cidr_parse("10.0.0.0/8", &a), 0);
    ck_assert_int_eq(cidr_parse("10.9.9.9/8", &b), 0);
    ck_assert(cidr_equal(&a, &b));
    ck_assert_int_eq(cidr_parse("10.0.0.0/9", &b), 0);
    ck_assert(!cidr_equal(&a, &b));
}
END_TEST

START_TEST(test_password_equal)
{
    ck_assert(password_equal("secret", "secret"));
    ck_assert(!password_equal("secreT", "secret"));
    ck_assert(!password_equal("secret2", "secret"));
    ck_assert(!password_equal("secre", "secret"));
    ck_assert(!password_equal("", "secret"));
    ck_assert(password_equal("secret \t ", "secret")); /* "/auth secret " */
    ck_assert(!password_equal(" secret", "secret"));
    ck_assert(!password_equal("secret x", "secret"));
}
END_TEST

START_TEST(test_allow)
{
    struct access *a = &fx_srv.acc;
    ck_assert_ptr_null(access_check(a, "8.8.8.8:1")); /* no --allow: everyone */
    access_allow(a, "127.0.0.0/8");
    access_allow(a, "::1");
    ck_assert_ptr_null(access_check(a, "127.0.0.1:1"));
    ck_assert_ptr_null(access_check(a, "[::1]:1"));
    ck_assert_str_eq(access_check(a, "8.8.8.8:1"), "not allowed");
}
END_TEST

/* A refused connection, as a driver admits it. */
static struct client *refused(const char *addr, enum refusal want)
{
    struct client *c = admit_connection(&fx_srv, -1, addr);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->refusal, want);
    ck_assert(!c->registered);
    return c;
}

static void ban(const char *what)
{
    struct mod_request rq;
    char msg[256];
    ck_assert_int_eq(mod_parse_request(MOD_BAN, what, &rq, msg, sizeof msg), 0);
    ck_assert_int_eq(operator_act(&fx_srv, &rq, msg, sizeof msg), 0);
}

START_TEST(test_refusal_in_each_dialect)
{
    ban("127.0.0.2");
    struct client *f = refused("127.0.0.2:1", REFUSE_BANNED);
    fx_feed(f, "HELLO sockchat/1 bob\nMSG 1 hi\n");
    ck_assert_str_eq(fx_drain(f), "ERR kicked your address is banned from this server\n");
    ck_assert_int_eq(client_close_state(f, NULL, 0), CLOSE_FLUSH);
    fx_feed(f, "MSG 2 more\n"); /* not read */
    ck_assert_str_eq(fx_drain(f), "");
    fx_end(f);
    struct client *p = refused("127.0.0.2:2", REFUSE_BANNED);
    fx_feed(p, "hello\n");
    ck_assert_str_eq(fx_drain(p), "error: your address is banned from this server\n");
    fx_end(p);
    struct client *r = refused("127.0.0.2:3", REFUSE_BANNED);
    fx_feed(r, "hello");
    ck_assert_str_eq(fx_drain(r), "error: your address is banned from this server");
    fx_end(r);
    /* telnet, whose first bytes may be a command: a line client. */
    struct client *t = refused("127.0.0.2:4", REFUSE_BANNED);
    fx_feed(t, "\xff\xf4\xff\xfd\x06");
    ck_assert_str_eq(fx_drain(t), "error: your address is banned from this server\n");
    fx_end(t);
    access_allow(&fx_srv.acc, "10.0.0.0/8");
    struct client *n = refused("127.0.0.1:5", REFUSE_NOT_ALLOWED);
    fx_feed(n, "hi\n");
    ck_assert_str_eq(fx_drain(n),
                     "error: this server does not take connections from your address\n");
    fx_end(n); /* not in the registry: the teardown would not end it */
}
END_TEST

START_TEST(test_refusal_of_a_silent_connection)
{
    ban("127.0.0.0/8");
    struct client *c = refused("127.0.0.1:1", REFUSE_BANNED);
    struct client_plan p;
    int64_t t0 = fx_clock.mono_ms;
    client_step(c, t0, &p);
    ck_assert(!p.done);
    ck_assert(p.rd);
    ck_assert_int_eq(p.deadline_ms, t0 + REFUSE_WAIT_MS); /* a bounded wait */
    ck_assert_str_eq(fx_drain(c), "");
    /* nc's user has not typed: told as a line client, then closed. */
    client_step(c, t0 + REFUSE_WAIT_MS, &p);
    ck_assert_str_eq(fx_drain(c), "error: your address is banned from this server\n");
    ck_assert_int_eq(client_close_state(c, NULL, 0), CLOSE_FLUSH);
    fx_end(c);
}
END_TEST

START_TEST(test_refusal_when_full_holds_no_slot)
{
    struct client *a = fx_framed("alice");
    struct client *waiting[3];
    for (int i = 0; i < 3; i++)
        waiting[i] = refused("127.0.0.1:2", REFUSE_FULL);
    ck_assert_uint_eq(registry_count(&fx_srv), 1);
    fx_feed(waiting[0], "HELLO sockchat/1 bob\n");
    ck_assert_str_eq(fx_drain(waiting[0]),
                     "ERR full server full (1 connection), try again later\n");
    fx_feed(waiting[1], "hi");
    ck_assert_str_eq(fx_drain(waiting[1]), "error: server full (1 connection), try again later");
    /* The refused hold no place: once alice leaves, the next one is in,
     * while they are still being told. */
    fx_end(a);
    struct client *b = admit_connection(&fx_srv, -1, "127.0.0.1:3");
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->refusal, REFUSE_NONE);
    for (int i = 0; i < 3; i++)
        fx_end(waiting[i]);
    ck_assert_uint_eq(fx_srv.nrefusing, 0);
}
END_TEST

/* Ends a refused connection at `when`, as its driver would. */
static void refused_end_at(struct client *c, int64_t when)
{
    fx_clock.mono_ms = when;
    fx_end(c);
}

START_TEST(test_single_mode_refusals_share_a_credit)
{
    /* One thread serves everyone there: silent refused connections must
     * not shut the door on the rest for long. */
    fx_srv.cfg.mode = MODE_SINGLE;
    ban("127.0.0.9");
    int64_t t0 = fx_clock.mono_ms;
    struct client *a = refused("127.0.0.9:1", REFUSE_BANNED);
    struct client_plan p;
    client_step(a, t0, &p);
    ck_assert_int_eq(p.deadline_ms, t0 + REFUSE_WAIT_MS); /* the full wait, on credit */
    client_step(a, t0 + REFUSE_WAIT_MS, &p);
    ck_assert_str_eq(fx_drain(a), "error: your address is banned from this server\n");
    /* Its close (the linger for the peer's EOF) ends within its share. */
    ck_assert_int_le(p.deadline_ms, t0 + REFUSE_WAIT_MS + LINGER_MS);
    refused_end_at(a, t0 + REFUSE_SINGLE_CREDIT_MS); /* it took all the credit */
    /* What came back meanwhile: a tenth of those 2 s. */
    struct client *b = refused("127.0.0.9:2", REFUSE_BANNED);
    int64_t t1 = fx_clock.mono_ms, back = REFUSE_SINGLE_CREDIT_MS / REFUSE_SINGLE_SHARE;
    client_step(b, t1, &p);
    ck_assert_int_eq(p.deadline_ms, t1 + back);
    refused_end_at(b, t1 + 2 * back); /* in debt */
    /* Spent: the next gets the floor, for bytes sent with the connect
     * (our client's HELLO), and no more. */
    struct client *c = refused("127.0.0.9:3", REFUSE_BANNED);
    int64_t t2 = fx_clock.mono_ms;
    client_step(c, t2, &p);
    ck_assert_int_eq(p.deadline_ms, t2 + REFUSE_FLOOR_MS);
    fx_feed(c, "HELLO sockchat/1 bob\n");
    ck_assert_str_eq(fx_drain(c), "ERR kicked your address is banned from this server\n");
    client_step(c, t2, &p);
    ck_assert_int_le(p.deadline_ms, t2 + REFUSE_FLOOR_MS);
    refused_end_at(c, t2 + REFUSE_FLOOR_MS);
    /* Refilled with a tenth of the time that passes. */
    fx_clock.mono_ms += (int64_t)REFUSE_SINGLE_SHARE * (REFUSE_WAIT_MS + back + REFUSE_FLOOR_MS);
    struct client *d = refused("127.0.0.9:4", REFUSE_BANNED);
    client_step(d, fx_clock.mono_ms, &p);
    ck_assert_int_eq(p.deadline_ms, fx_clock.mono_ms + REFUSE_WAIT_MS);
    fx_end(d);
}
END_TEST

START_TEST(test_refusals_are_bounded)
{
    ban("127.0.0.1");
    struct client *c[REFUSING_MAX];
    for (int i = 0; i < REFUSING_MAX; i++)
        c[i] = refused("127.0.0.1:1", REFUSE_BANNED);
    ck_assert_uint_eq(fx_srv.nrefusing, REFUSING_MAX);
    /* A flood: told at once in one line (net_refuse), holding nothing. */
    ck_assert_ptr_null(admit_connection(&fx_srv, -1, "127.0.0.1:2"));
    fx_end(c[0]);
    struct client *d = refused("127.0.0.1:3", REFUSE_BANNED);
    fx_end(d);
    for (int i = 1; i < REFUSING_MAX; i++)
        fx_end(c[i]);
    ck_assert_uint_eq(fx_srv.nrefusing, 0);
}
END_TEST

START_TEST(test_auth_failures_slow_down)
{
    struct access *a = &fx_srv.acc;
    int64_t t = 1000, ms;
    static const int doubling[] = {1, 2, 4, 8, 16, 32, 32}; /* capped */
    for (size_t i = 0; i < sizeof doubling / sizeof doubling[0]; i++) {
        ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:1", false, t, &ms), AUTH_WRONG);
        ck_assert_int_eq(ms, doubling[i] * AUTH_DELAY_MS);
        t += ms; /* the next guess as soon as the lock ends */
    }
    ck_assert_int_eq(access_auth_judge(a, "2.2.2.2:1", false, t, &ms), AUTH_WRONG);
    ck_assert_int_eq(ms, AUTH_DELAY_MS); /* per address */
    t += AUTH_FORGET_MS + 1;
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:3", false, t, &ms), AUTH_WRONG);
    ck_assert_int_eq(ms, AUTH_DELAY_MS); /* forgotten */
}
END_TEST

START_TEST(test_framed_password)
{
    fx_srv.cfg.password = "sesame";
    struct client *ok = fx_client("127.0.0.1:1");
    fx_feed(ok, "HELLO sockchat/1 alice sesame\n");
    ck_assert_str_eq(fx_drain(ok), "WELCOME alice threads 1 testsrv\n"
                                   "OUT you are alice; /nick NAME to change it\n");
    struct client *bad = fx_client("127.0.0.1:2");
    fx_feed(bad, "HELLO sockchat/1 mallory guess\nMSG 1 let me in\n");
    ck_assert_str_eq(fx_drain(bad), "ERR auth wrong password\n");
    ck_assert(!bad->joined);
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(bad, why, sizeof why), CLOSE_FLUSH);
    ck_assert_str_eq(why, "wrong password");
    ck_assert_str_eq(fx_drain(ok), ""); /* no JOIN, nothing relayed */
    /* The close waits out the delay, so guessing is slow. */
    struct client_plan p;
    client_step(bad, fx_clock.mono_ms, &p);
    ck_assert(!p.done);
    ck_assert(!p.rd);
    ck_assert_int_eq(p.deadline_ms, fx_clock.mono_ms + AUTH_DELAY_MS);
    /* Meanwhile the address is locked out: even the right password is not
     * judged, so parallel guesses learn nothing. */
    struct client *eager = fx_client("127.0.0.1:3");
    fx_feed(eager, "HELLO sockchat/1 bob sesame\n");
    ck_assert_str_eq(
        fx_drain(eager),
        "ERR auth-wait too many wrong passwords from your address; try again in 1 s\n");
    ck_assert(!eager->joined);
    ck_assert_int_eq(client_close_state(eager, why, sizeof why), CLOSE_FLUSH);
    ck_assert_str_eq(why, "locked out");
    fx_clock.mono_ms += AUTH_DELAY_MS;
    struct client *none = fx_client("127.0.0.1:4");
    fx_feed(none, "HELLO sockchat/1 eve\n");
    ck_assert_str_eq(fx_drain(none), "ERR auth this server needs a password\n");
    /* ... which is no guess: the address is not locked for it. */
    struct client *next = fx_client("127.0.0.1:5");
    fx_feed(next, "HELLO sockchat/1 eve sesame\n");
    ck_assert_str_eq(fx_drain(next), "WELCOME eve threads 2 testsrv\n"
                                     "OUT you are eve; /nick NAME to change it\n");
}
END_TEST

START_TEST(test_auth_lockout)
{
    struct access *a = &fx_srv.acc;
    int64_t t = 5000, ms;
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:1", true, t, &ms), AUTH_OK);
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:1", false, t, &ms), AUTH_WRONG);
    ck_assert_int_eq(ms, AUTH_DELAY_MS);
    /* Locked for that long, right or wrong, from any port of the address. */
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:2", true, t + 400, &ms), AUTH_LOCKED);
    ck_assert_int_eq(ms, AUTH_DELAY_MS - 400);
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:3", false, t + 999, &ms), AUTH_LOCKED);
    ck_assert_int_eq(access_auth_judge(a, "2.2.2.2:1", true, t + 1, &ms), AUTH_OK); /* others */
    /* Not judged, not counted: the next failure doubles only once. */
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:4", false, t + 1000, &ms), AUTH_WRONG);
    ck_assert_int_eq(ms, 2 * AUTH_DELAY_MS);
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:5", true, t + 2999, &ms), AUTH_LOCKED);
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:5", true, t + 3000, &ms), AUTH_OK);
    /* A success forgives: the next failure there waits 1 s again, not 4. */
    ck_assert_int_eq(access_auth_judge(a, "1.1.1.1:6", false, t + 3001, &ms), AUTH_WRONG);
    ck_assert_int_eq(ms, AUTH_DELAY_MS);
    ck_assert_int_eq(access_auth_judge(a, "[::1]:5", false, t, &ms), AUTH_WRONG);
    ck_assert_int_eq(access_auth_judge(a, "[::1]:6", true, t, &ms), AUTH_LOCKED);
}
END_TEST

START_TEST(test_plain_and_raw_auth)
{
    fx_srv.cfg.password = "sesame";
    struct client *a = fx_client("127.0.0.1:1");
    fx_feed(a, "HELLO sockchat/1 alice sesame\n");
    fx_drain(a);
    struct client *p = fx_client("127.0.0.1:2");
    fx_feed(p, "hello?\n/who\n");
    ck_assert_str_eq(fx_drain(p),
                     "error: this server needs a password: send /auth PASSWORD first\n"
                     "error: this server needs a password: send /auth PASSWORD first\n");
    ck_assert_str_eq(fx_drain(a), "");
    /* Not even /ping before the password: every answer costs memory. */
    fx_feed(p, "/ping x\n/auth sesame\nnow I talk\n");
    ck_assert_str_eq(fx_drain(p), "error: this server needs a password: send /auth PASSWORD first\n"
                                  "you are guest2; /nick NAME to change it\n"
                                  "password accepted; you are guest2\nMessage received\n");
    ck_assert_str_eq(fx_drain(a), "JOIN guest2 2\nCHAT 1700000000 guest2 now I talk\n");
    struct client *r = fx_client("127.0.0.1:3");
    fx_feed(r, "hi");
    ck_assert_str_eq(fx_drain(r), "error: this server needs a password: send /auth PASSWORD first");
    fx_feed(r, "/auth sesame");
    ck_assert_str_eq(fx_drain(r), "password accepted; you are guest3");
    struct client *w = fx_client("127.0.0.1:4");
    fx_feed(w, "/auth \n");
    ck_assert_str_eq(fx_drain(w), "error: usage: /auth PASSWORD\n");
    ck_assert_int_eq(client_close_state(w, NULL, 0), CLOSE_NONE);
    fx_feed(w, "/auth nope\n");
    ck_assert_str_eq(fx_drain(w), "error: wrong password\n");
    ck_assert_int_eq(client_close_state(w, NULL, 0), CLOSE_FLUSH);
}
END_TEST

/* Before the password only /auth, /quit and exit are taken; every other
 * message gets an error, and after PREAUTH_REFUSALS_MAX of them the
 * connection is closed: a connection that never reads cannot pile up
 * errors either. */
START_TEST(test_preauth_refusals_bounded)
{
    static const char NEED[] = "error: this server needs a password: send /auth PASSWORD first\n";
    fx_srv.cfg.password = "sesame";
    struct client *p = fx_client("127.0.0.1:2");
    fx_feed(p, "/ping x\n/who\n/auth\n");
    char want[512];
    snprintf(want, sizeof want, "%s%serror: usage: /auth PASSWORD\n", NEED, NEED);
    ck_assert_str_eq(fx_drain(p), want);
    for (int i = 3; i < PREAUTH_REFUSALS_MAX - 1; i++) {
        fx_feed(p, "let me in\n");
        ck_assert_str_eq(fx_drain(p), NEED);
    }
    ck_assert_int_eq(client_close_state(p, NULL, 0), CLOSE_NONE);
    fx_feed(p, "please\n/auth sesame\n");
    snprintf(want, sizeof want, "%serror: 10 messages without the password; closing\n", NEED);
    ck_assert_str_eq(fx_drain(p), want);
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(p, why, sizeof why), CLOSE_FLUSH);
    ck_assert_str_eq(why, "no password");
    ck_assert(!p->authed); /* the /auth after it was not read */

    /* The tutorial's client: one reply per message, the last one says why. */
    struct client *r = fx_client("127.0.0.1:3");
    for (int i = 0; i < PREAUTH_REFUSALS_MAX - 1; i++)
        fx_feed(r, "/ping");
    fx_drain(r);
    fx_feed(r, "/ping");
    ck_assert_str_eq(fx_drain(r), "error: this server needs a password: send /auth PASSWORD "
                                  "first\nerror: 10 messages without the password; closing");
    ck_assert_int_eq(client_close_state(r, NULL, 0), CLOSE_FLUSH);

    /* /quit and exit still work before the password. */
    struct client *q = fx_client("127.0.0.1:4");
    fx_feed(q, "/quit\n");
    ck_assert_str_eq(fx_drain(q), "bye\n");
    ck_assert_int_eq(client_close_state(q, NULL, 0), CLOSE_FLUSH);
    struct client *e = fx_client("127.0.0.1:5");
    fx_feed(e, "exit");
    ck_assert_str_eq(fx_drain(e), "Message received");
    ck_assert_int_eq(client_close_state(e, NULL, 0), CLOSE_FLUSH);
}
END_TEST

/* A framed connection gives the password in its HELLO: nothing after a
 * HELLO without the right one is read, so no PING is answered before it. */
START_TEST(test_framed_ping_needs_the_password)
{
    fx_srv.cfg.password = "sesame";
    struct client *f = fx_client("127.0.0.1:6");
    fx_feed(f, "HELLO sockchat/1 bob wrong\nPING 1\nMSG 1 /ping 2\n");
    ck_assert_str_eq(fx_drain(f), "ERR auth wrong password\n");
    struct client *g = fx_client("127.0.0.1:7");
    fx_feed(g, "HELLO sockchat/1 carol\nPING 1\n");
    ck_assert_str_eq(fx_drain(g), "ERR auth this server needs a password\n");
}
END_TEST

static void full_setup(void)
{
    fx_setup_with(HISTORY_DEFAULT, RATE_DEFAULT, 1);
}

static char tpath[64];

static void tx_setup(void)
{
    fx_setup_with(5, 0, 100);
    snprintf(tpath, sizeof tpath, "/tmp/check_server_transcript_%d", (int)getpid());
    unlink(tpath);
}

static void tx_teardown(void)
{
    fx_teardown();
    unlink(tpath);
}

/* The transcript's one room, h as "#main" (as the server has today). */
static const struct transcript_rooms *one_room(struct history *h)
{
    static struct transcript_rooms r;
    transcript_rooms_one(&r, h);
    return &r;
}

START_TEST(test_transcript_roundtrip)
{
    struct transcript t;
    char err[256];
    unsigned loaded;
    ck_assert_int_eq(
        transcript_open(&t, tpath, 0, one_room(&fx_srv.hist), &loaded, err, sizeof err), 0);
    ck_assert_uint_eq(loaded, 0);
    fx_srv.transcript = &t;
    struct client *a = fx_framed("alice");
    char line[64];
    for (int i = 0; i < 8; i++) {
        snprintf(line, sizeof line, "MSG %d note %d\n", i, i);
        fx_feed(a, line);
    }
    fx_feed(a, "MSG 9 /me is not chat\n");
    transcript_close(&t);
    fx_srv.transcript = NULL;

    /* A crash mid-record leaves a torn line: skipped on load. */
    int fd = open(tpath, O_WRONLY | O_APPEND);
    ck_assert(write(fd, "CHAT 1700000000 alice tor", 25) == 25);
    close(fd);

    struct history h;
    history_init(&h, 5);
    ck_assert_int_eq(transcript_load(tpath, one_room(&h), &loaded, err, sizeof err), 0);
    ck_assert_uint_eq(loaded, 5);
    ck_assert_uint_eq(h.count, 5);
    struct outmsg *m = history_get(&h, 0, true);
    ck_assert_mem_eq(m->data, "CHAT 1700000000 alice note 3\n", m->len);
    m = history_get(&h, 4, false);
    ck_assert_mem_eq(m->data, "<alice> note 7\n", m->len);
    history_free(&h);

    /* Reopening cuts the torn record off: it was never acknowledged. */
    history_init(&h, 2);
    ck_assert_int_eq(transcript_open(&t, tpath, 0, one_room(&h), &loaded, err, sizeof err), 0);
    ck_assert_uint_eq(loaded, 2);
    ck_assert_int_eq(transcript_append(&t, ROOM_MAIN, "CHAT 1700000001 bob next\n", 25), 0);
    transcript_close(&t);
    history_free(&h);
    history_init(&h, 2);
    ck_assert_int_eq(transcript_load(tpath, one_room(&h), &loaded, err, sizeof err), 0);
    m = history_get(&h, 1, true);
    ck_assert_mem_eq(m->data, "CHAT 1700000001 bob next\n", m->len);
    m = history_get(&h, 0, true);
    ck_assert_mem_eq(m->data, "CHAT 1700000000 alice note 7\n", m->len);
    history_free(&h);
}
END_TEST

START_TEST(test_transcript_missing_file)
{
    struct history h;
    unsigned loaded = 99;
    char err[256];
    history_init(&h, 5);
    ck_assert_int_eq(transcript_load(tpath, one_room(&h), &loaded, err, sizeof err), 0);
    ck_assert_uint_eq(loaded, 0);
    history_free(&h);
    struct transcript t;
    history_init(&h, 5);
    ck_assert_int_eq(
        transcript_open(&t, "/nonexistent-dir/x", 0, one_room(&h), &loaded, err, sizeof err), -1);
    history_free(&h);
    ck_assert(strncmp(err, "transcript /nonexistent-dir/x: ", 31) == 0);
}
END_TEST

Suite *access_suite(void)
{
    Suite *s = suite_create("access");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, fx_setup, fx_teardown);
    tcase_add_test(core, test_cidr);
    tcase_add_loop_test(core, test_cidr_refuses_signs_and_blanks, 0,
                        (int)(sizeof BAD_CIDRS / sizeof BAD_CIDRS[0]));
    tcase_add_test(core, test_cidr_v4_mapped);
    tcase_add_test(core, test_password_equal);
    tcase_add_test(core, test_allow);
    tcase_add_test(core, test_auth_failures_slow_down);
    tcase_add_test(core, test_auth_lockout);
    tcase_add_test(core, test_framed_password);
    tcase_add_test(core, test_plain_and_raw_auth);
    tcase_add_test(core, test_preauth_refusals_bounded);
    tcase_add_test(core, test_framed_ping_needs_the_password);
    suite_add_tcase(s, core);
    TCase *refusal = tcase_create("refusal");
    tcase_add_checked_fixture(refusal, fx_setup, fx_teardown);
    tcase_add_test(refusal, test_refusal_in_each_dialect);
    tcase_add_test(refusal, test_refusal_of_a_silent_connection);
    tcase_add_test(refusal, test_refusals_are_bounded);
    tcase_add_test(refusal, test_single_mode_refusals_share_a_credit);
    suite_add_tcase(s, refusal);
    TCase *full = tcase_create("full");
    tcase_add_checked_fixture(full, full_setup, fx_teardown);
    tcase_add_test(full, test_refusal_when_full_holds_no_slot);
    suite_add_tcase(s, full);
    TCase *tx = tcase_create("transcript");
    tcase_add_checked_fixture(tx, tx_setup, tx_teardown);
    tcase_add_test(tx, test_transcript_roundtrip);
    tcase_add_test(tx, test_transcript_missing_file);
    suite_add_tcase(s, tx);
    return s;
}

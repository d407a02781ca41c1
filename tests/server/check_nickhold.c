/* nickhold: a nick given up is held for its owner (the same SESSION
 * token) for NICK_HOLD_MS; nicks that look the same are one nick. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define TOK_A "alicetoken01"
#define TOK_X "strangertok1"

/* Our client: HELLO, and its SESSION after the WELCOME (drained). */
static struct client *ours(const char *nick, const char *token, const char *addr)
{
    char line[128];
    struct client *c = fx_client(addr);
    snprintf(line, sizeof line, "HELLO sockchat/1 %s\n", nick);
    fx_feed(c, line);
    fx_drain(c);
    snprintf(line, sizeof line, "SESSION %s\n", token);
    fx_feed(c, line);
    fx_drain(c);
    return c;
}

static const char *guest(const struct client *c)
{
    static char buf[32];
    snprintf(buf, sizeof buf, "guest%llu", (unsigned long long)c->id);
    return buf;
}

/* Alice's connection drops: nobody else may have her nick for two
 * minutes, nor anything that looks like it. */
START_TEST(test_takeover_refused)
{
    struct client *bob = fx_framed("bob");
    struct client *a = ours("alice", TOK_A, "127.0.0.1:1001");
    fx_drain(bob);
    fx_end(a);
    ck_assert_str_eq(fx_drain(bob), "LEAVE alice 1 lost connection\n");

    fx_feed(bob, "MSG 1 /nick alice\n");
    ck_assert_str_eq(fx_drain(bob),
                     "ERR nick-taken alice is held for its owner for 120 s; pick another\n");
    fx_clock.mono_ms += 30000;
    fx_feed(bob, "MSG 2 /nick ALICE_\n");
    ck_assert_str_eq(fx_drain(bob), "ERR nick-taken alice is held for its owner for 90 s "
                                    "(ALICE_ looks the same); pick another\n");
    /* A plain client is refused the same way. */
    struct client *p = fx_plain();
    fx_feed(p, "/nick aIice\n");
    ck_assert_str_eq(fx_drain(p), "error: alice is held for its owner for 90 s (aIice looks the "
                                  "same); pick another\n");

    /* Over: whoever asks first has it. */
    fx_drain(bob);
    fx_clock.mono_ms += NICK_HOLD_MS - 30000;
    fx_feed(bob, "MSG 3 /nick alice\n");
    ck_assert_str_eq(fx_drain(bob), "NICK bob alice\n");
}
END_TEST

/* A stranger's HELLO for the held nick is told it has it (its SESSION, if
 * any, comes after the WELCOME), but the room hears nothing and a private
 * message reaches nobody; its next line settles it: guestN. */
START_TEST(test_stranger_hello_settled)
{
    struct client *bob = fx_framed("bob");
    struct client *a = ours("alice", TOK_A, "127.0.0.1:1001");
    fx_end(a);
    fx_drain(bob);

    struct client *m = fx_client("127.0.0.1:1002");
    fx_feed(m, "HELLO sockchat/1 alice\n");
    const char *out = fx_drain(m);
    ck_assert_msg(strncmp(out, "WELCOME alice threads 2 testsrv\n", 32) == 0, "%s", out);
    ck_assert_ptr_nonnull(strstr(out, "OUT you are alice;"));
    ck_assert_str_eq(fx_drain(bob), "");
    fx_feed(bob, "MSG 1 /msg alice for alice only\n");
    ck_assert_str_eq(fx_drain(bob), "ERR no-such-nick no such nick: alice\n");
    ck_assert_str_eq(fx_drain(m), "");

    fx_feed(m, "SESSION " TOK_X "\n");
    char want[256];
    snprintf(want, sizeof want,
             "NICK alice %s\nERR nick-taken alice is held for its owner for 120 s; you are %s\n",
             guest(m), guest(m));
    ck_assert_str_eq(fx_drain(m), want);
    snprintf(want, sizeof want, "JOIN %s 2\n", guest(m));
    ck_assert_str_eq(fx_drain(bob), want);

    /* Without a SESSION (an older or other client): its first line. */
    struct client *n = fx_client("127.0.0.1:1003");
    fx_feed(n, "HELLO sockchat/1 alice\n");
    fx_drain(n);
    fx_feed(n, "MSG 1 hi\n");
    snprintf(want, sizeof want,
             "NICK alice %s\nERR nick-taken alice is held for its owner for 120 s; you are "
             "%s\nACK 1\n",
             guest(n), guest(n));
    ck_assert_str_eq(fx_drain(n), want);
    snprintf(want, sizeof want, "JOIN %s 3\nCHAT 1700000000 %s hi\n", guest(n), guest(n));
    ck_assert_str_eq(fx_drain(bob), want);

    /* One who leaves before it is settled was never announced. */
    struct client *q = fx_client("127.0.0.1:1004");
    fx_feed(q, "HELLO sockchat/1 alice\n");
    fx_end(q);
    ck_assert_str_eq(fx_drain(bob), "");
}
END_TEST

/* Alice, back with her token within the hold: she is alice again, and
 * the room sees one JOIN. */
START_TEST(test_owner_comes_back)
{
    struct client *bob = fx_framed("bob");
    struct client *a = ours("alice", TOK_A, "127.0.0.1:1001");
    fx_end(a);
    fx_drain(bob);
    fx_clock.mono_ms += 60000;

    struct client *a2 = fx_client("127.0.0.1:1005");
    fx_feed(a2, "HELLO sockchat/1 alice\n");
    ck_assert(strncmp(fx_drain(a2), "WELCOME alice ", 14) == 0);
    fx_feed(a2, "SESSION " TOK_A "\n");
    ck_assert_str_eq(fx_drain(a2), "");
    ck_assert_str_eq(fx_drain(bob), "JOIN alice 2\n");
    ck_assert_str_eq(a2->nick, "alice");
    ck_assert_ptr_null(nickhold_find(&fx_srv.holds, "alice", fx_clock.mono_ms));
    fx_feed(bob, "MSG 1 /msg alice welcome back\n");
    fx_drain(bob);
    ck_assert_str_eq(fx_drain(a2), "PRIV 1700000000 bob alice welcome back\n");

    /* Her old connection not yet seen dead: she gets a guestN, and takes
     * her nick back with /nick once it leaves (our client does). */
    struct client *a3 = ours("alice", TOK_A, "127.0.0.1:1006");
    ck_assert_str_ne(a3->nick, "alice");
    fx_end(a2);
    fx_drain(bob);
    fx_drain(a3);
    fx_feed(a3, "MSG 1 /nick alice\n");
    char want[64];
    snprintf(want, sizeof want, "NICK %s alice\n", guest(a3));
    ck_assert_str_eq(fx_drain(a3), want);
}
END_TEST

/* nc, telnet and the tutorial's client have no token: nobody can show
 * they are the owner, so the nick is held against everyone. */
START_TEST(test_tokenless_held_for_nobody)
{
    struct client *bob = fx_framed("bob");
    struct client *p = fx_plain();
    fx_feed(p, "/nick carol\n");
    fx_drain(p);
    fx_end(p);
    fx_drain(bob);
    struct client *p2 = fx_plain();
    fx_feed(p2, "/nick carol\n");
    ck_assert_str_eq(fx_drain(p2), "error: carol is held for its owner for 120 s; pick another\n");
    /* A HELLO for it gets a guestN at once: no token can claim it. */
    struct client *f = fx_client("127.0.0.1:1007");
    fx_feed(f, "HELLO sockchat/1 carol\n");
    char want[64];
    snprintf(want, sizeof want, "WELCOME %s ", guest(f));
    ck_assert(strncmp(fx_drain(f), want, strlen(want)) == 0);
    ck_assert(!f->provisional);
    /* A nick given up by a rename is not held: the room saw it go. */
    fx_feed(bob, "MSG 1 /nick robert\n");
    fx_drain(bob);
    fx_drain(p2);
    fx_feed(p2, "/nick bob\n");
    snprintf(want, sizeof want, "*** %s is now known as bob\n", guest(p2));
    ck_assert_str_eq(fx_drain(p2), want);
}
END_TEST

/* While alice is online, a nick that looks like hers is hers. */
START_TEST(test_look_alikes_taken)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    const char *alikes[] = {"aIice", "ALICE_", "a1ice", "Alice-", "aiice"};
    char line[64], want[128];
    for (size_t i = 0; i < sizeof alikes / sizeof alikes[0]; i++) {
        snprintf(line, sizeof line, "MSG %zu /nick %s\n", i + 1, alikes[i]);
        fx_feed(b, line);
        snprintf(want, sizeof want, "ERR nick-taken alice is already taken (%s looks the same)\n",
                 alikes[i]);
        ck_assert_str_eq(fx_drain(b), want);
    }
    struct client *c = fx_client("127.0.0.1:1008");
    fx_feed(c, "HELLO sockchat/1 aIice\n");
    snprintf(want, sizeof want, "WELCOME %s ", guest(c));
    ck_assert(strncmp(fx_drain(c), want, strlen(want)) == 0);
    /* A private message to a look-alike reaches the one it looks like. */
    fx_drain(a);
    fx_drain(b);
    fx_feed(b, "MSG 9 /msg ALICE_ hi\n");
    ck_assert_str_eq(fx_drain(a), "PRIV 1700000000 bob alice hi\n");
    ck_assert_str_eq(fx_drain(b), "PRIV 1700000000 bob alice hi\n");
    /* guestN, in any look-alike form, stays the server's. */
    fx_feed(b, "MSG 10 /nick guestl2\n");
    ck_assert(strncmp(fx_drain(b), "ERR bad-nick guestN names", 25) == 0);
    fx_feed(b, "MSG 11 /nick gueSt0_\n");
    ck_assert(strncmp(fx_drain(b), "ERR bad-nick guestN names", 25) == 0);
    /* One's own nick in another look is fine. */
    fx_feed(a, "MSG 1 /nick ALICE\n");
    ck_assert_str_eq(fx_drain(a), "NICK alice ALICE\n");
}
END_TEST

/* The table is bounded: a flood of departures gives up the holds nearest
 * their end first; holds end by themselves. */
START_TEST(test_table_bounded)
{
    struct nick_holds h = {0};
    char nick[32];
    int64_t t0 = 5000;
    for (int i = 0; i < NICK_HOLD_MAX; i++) {
        snprintf(nick, sizeof nick, "n%d", i);
        nickhold_put(&h, nick, TOK_A, t0 + i);
    }
    ck_assert_uint_eq(h.n, NICK_HOLD_MAX);
    nickhold_put(&h, "latecomer", NULL, t0 + NICK_HOLD_MAX);
    ck_assert_uint_eq(h.n, NICK_HOLD_MAX);
    ck_assert_ptr_null(nickhold_find(&h, "n0", t0 + NICK_HOLD_MAX));
    const struct nick_hold *e = nickhold_find(&h, "N1", t0 + NICK_HOLD_MAX);
    ck_assert_ptr_nonnull(e);
    ck_assert(nickhold_owned(e, TOK_A));
    ck_assert(!nickhold_owned(e, TOK_X));
    e = nickhold_find(&h, "latecomer", t0 + NICK_HOLD_MAX);
    ck_assert_ptr_nonnull(e);
    ck_assert(!nickhold_owned(e, "")); /* held for nobody */
    /* Said again, a hold is renewed, not doubled. */
    nickhold_put(&h, "LATECOMER_", TOK_A, t0 + NICK_HOLD_MAX + 10);
    ck_assert_uint_eq(h.n, NICK_HOLD_MAX);
    ck_assert(nickhold_owned(nickhold_find(&h, "latecomer", t0 + NICK_HOLD_MAX + 10), TOK_A));
    /* All over two minutes later. */
    ck_assert_ptr_null(nickhold_find(&h, "latecomer", t0 + 2 * NICK_HOLD_MAX + NICK_HOLD_MS));
    ck_assert_uint_eq(h.n, 0);
    nickhold_free(&h);
}
END_TEST

Suite *nickhold_suite(void)
{
    Suite *s = suite_create("nickhold");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, test_takeover_refused);
    tcase_add_test(tc, test_stranger_hello_settled);
    tcase_add_test(tc, test_owner_comes_back);
    tcase_add_test(tc, test_tokenless_held_for_nobody);
    tcase_add_test(tc, test_look_alikes_taken);
    tcase_add_test(tc, test_table_bounded);
    suite_add_tcase(s, tc);
    return s;
}

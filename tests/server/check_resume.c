/* resume: a message resent after a reconnect whose ACK was lost is ACKed
 * again but not relayed twice; anything not acknowledged before is. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"

#define TOKEN "abcdef0123456789"

START_TEST(test_window)
{
    struct resume *rs = &fx_srv.resume;
    struct resume_entry *e = resume_attach(rs, TOKEN, "1.2.3.4:5", 0);
    ck_assert_ptr_nonnull(e);
    for (uint64_t id = 1; id <= 5; id++)
        ck_assert(resume_claim(rs, e, id));
    for (uint64_t id = 1; id <= 5; id++)
        ck_assert(!resume_claim(rs, e, id)); /* resends */
    ck_assert(resume_claim(rs, e, 0));       /* not an id: never checked */

    /* A resend trailing newer ids: 8 comes after 10, and is new once. */
    ck_assert(resume_claim(rs, e, 10));
    ck_assert(resume_claim(rs, e, 8));
    ck_assert(!resume_claim(rs, e, 8));
    ck_assert(!resume_claim(rs, e, 5));

    /* Refused (slow-down): given back, so its resend is new. */
    ck_assert(resume_claim(rs, e, 11));
    resume_unclaim(rs, e, 11);
    ck_assert(resume_claim(rs, e, 11));
    ck_assert(!resume_claim(rs, e, 11));

    /* Past the window nothing is known: run, twice rather than never. */
    ck_assert(resume_claim(rs, e, 11 + RESUME_WINDOW));
    ck_assert(resume_claim(rs, e, 10));
    ck_assert(!resume_claim(rs, e, 11 + RESUME_WINDOW));

    /* No entry (no SESSION, or the table was full): everything is new. */
    ck_assert(resume_claim(rs, NULL, 1));
    ck_assert(resume_claim(rs, NULL, 1));
    resume_detach(rs, e, 1);
}
END_TEST

START_TEST(test_table_full)
{
    char tok[32];
    /* Every slot attached: the next client gets no entry (and no check). */
    for (int i = 0; i < RESUME_SLOTS; i++) {
        snprintf(tok, sizeof tok, "tok%08d", i);
        ck_assert_ptr_nonnull(resume_attach(&fx_srv.resume, tok, "1.2.3.4:5", i));
    }
    ck_assert_ptr_null(resume_attach(&fx_srv.resume, "another1", "1.2.3.4:5", 5000));

    /* Detached entries are kept until their slot is needed, oldest first. */
    struct resume_entry *first = resume_attach(&fx_srv.resume, "tok00000000", "1.2.3.4:5", 6000);
    ck_assert(resume_claim(&fx_srv.resume, first, 7));
    resume_detach(&fx_srv.resume, first, 6001);
    resume_detach(&fx_srv.resume, first, 6001);
    struct resume_entry *second = resume_attach(&fx_srv.resume, "tok00000001", "1.2.3.4:5", 6002);
    ck_assert(resume_claim(&fx_srv.resume, second, 3));
    resume_detach(&fx_srv.resume, second, 6003);
    resume_detach(&fx_srv.resume, second, 6003);

    struct resume_entry *n = resume_attach(&fx_srv.resume, "another1", "1.2.3.4:5", 7000);
    ck_assert_ptr_eq(n, first);                    /* the one unused longest made room */
    ck_assert(resume_claim(&fx_srv.resume, n, 7)); /* a fresh entry */
    struct resume_entry *again = resume_attach(&fx_srv.resume, "tok00000001", "1.2.3.4:5", 7001);
    ck_assert_ptr_eq(again, second);
    ck_assert(!resume_claim(&fx_srv.resume, again, 3)); /* still remembered */
}
END_TEST

/* Throwaway tokens from one address push out only that address's own
 * entries, never another's, and never one a connection is using. */
START_TEST(test_flood_from_one_address)
{
    struct resume *rs = &fx_srv.resume;
    struct resume_entry *victim = resume_attach(rs, "victim0001", "10.0.0.1:4000", 1);
    ck_assert(resume_claim(rs, victim, 7));
    resume_detach(rs, victim, 2); /* its connection died before ACK 7 */
    struct resume_entry *live = resume_attach(rs, "liveclient1", "10.0.0.1:4001", 3);
    char tok[32];
    for (int i = 0; i < 3 * RESUME_SLOTS; i++) {
        snprintf(tok, sizeof tok, "flood%08d", i);
        struct resume_entry *e = resume_attach(rs, tok, "10.0.0.2:5000", 10 + i);
        ck_assert_ptr_nonnull(e);
        resume_detach(rs, e, 10 + i);
    }
    /* The flooder kept its last RESUME_PER_ADDR tokens, no more. */
    unsigned flood = 0;
    for (unsigned i = 0; i < RESUME_SLOTS; i++)
        flood += strncmp(rs->tab[i].token, "flood", 5) == 0;
    ck_assert_uint_eq(flood, RESUME_PER_ADDR);
    struct resume_entry *back = resume_attach(rs, "victim0001", "10.0.0.1:4002", 9000);
    ck_assert_ptr_eq(back, victim);
    ck_assert(!resume_claim(rs, back, 7)); /* its resend: not relayed twice */
    ck_assert(resume_attach(rs, "liveclient1", "10.0.0.1:4001", 9001) == live);

    /* IPv6: one /64 is one address. */
    for (int i = 0; i < 2 * RESUME_PER_ADDR; i++) {
        snprintf(tok, sizeof tok, "six%08d", i);
        char addr[64];
        snprintf(addr, sizeof addr, "[2001:db8::%x]:5", i + 1);
        resume_detach(rs, resume_attach(rs, tok, addr, 10000 + i), 10000 + i);
    }
    unsigned six = 0;
    for (unsigned i = 0; i < RESUME_SLOTS; i++)
        six += strncmp(rs->tab[i].token, "six", 3) == 0;
    ck_assert_uint_eq(six, RESUME_PER_ADDR);
}
END_TEST

/* bob, who only listens, and alice (returned), who talks; both drained. */
static struct client *alice_and_listener(struct client **bob)
{
    *bob = fx_framed("bob");
    struct client *a = fx_framed("alice");
    fx_drain(*bob);
    return a;
}

START_TEST(test_resend_after_lost_ack)
{
    struct client *bob;
    struct client *a = alice_and_listener(&bob);
    fx_feed(a, "SESSION " TOKEN "\nMSG 1 hello\n");
    ck_assert_str_eq(fx_drain(a), "ACK 1\n");
    ck_assert_str_eq(fx_drain(bob), "CHAT 1700000000 alice hello\n");
    fx_end(a); /* the connection dies; the client never saw ACK 1 */
    fx_drain(bob);

    /* Back, as our client comes back: its SESSION right behind the HELLO
     * (which gives it its nick, held for that token). */
    struct client *a2 = fx_client("127.0.0.1:1001");
    fx_feed(a2, "HELLO sockchat/1 alice\nSESSION " TOKEN "\n");
    ck_assert(strncmp(fx_drain(a2), "WELCOME alice ", 14) == 0);
    fx_drain(bob);
    fx_feed(a2, "MSG 1 hello\nMSG 2 more\n");
    ck_assert_str_eq(fx_drain(a2), "ACK 1\nACK 2\n");
    ck_assert_str_eq(fx_drain(bob), "CHAT 1700000000 alice more\n");
    fx_end(a2);
}
END_TEST

START_TEST(test_without_session_no_check)
{
    struct client *bob;
    struct client *a = alice_and_listener(&bob);
    fx_feed(a, "MSG 1 hello\nMSG 1 hello\n");
    ck_assert_str_eq(fx_drain(a), "ACK 1\nACK 1\n");
    ck_assert_str_eq(fx_drain(bob), "CHAT 1700000000 alice hello\nCHAT 1700000000 alice hello\n");
}
END_TEST

START_TEST(test_refused_message_is_not_marked)
{
    struct client *bob;
    struct client *a = alice_and_listener(&bob);
    fx_feed(a, "SESSION " TOKEN "\n");
    char line[64];
    for (int i = 1; i <= RATE_BURST; i++) {
        snprintf(line, sizeof line, "MSG %d m\n", i);
        fx_feed(a, line);
    }
    fx_drain(a);
    fx_drain(bob);
    snprintf(line, sizeof line, "MSG %d late\n", RATE_BURST + 1);
    fx_feed(a, line);
    ck_assert_str_eq(fx_drain(a), "ERR slow-down slow down: at most 10 messages per second\n");
    /* The client sends it again after a pause: it was never relayed. */
    fx_clock.mono_ms += 1000;
    fx_feed(a, line);
    snprintf(line, sizeof line, "ACK %d\n", RATE_BURST + 1);
    ck_assert_str_eq(fx_drain(a), line);
    ck_assert_str_eq(fx_drain(bob), "CHAT 1700000000 alice late\n");
}
END_TEST

START_TEST(test_session_line_errors)
{
    struct client *a = fx_framed("alice");
    fx_feed(a, "SESSION short\n");
    ck_assert_str_eq(fx_drain(a), "ERR usage SESSION token: 8 to 32 letters and digits\n");
    ck_assert_ptr_null(a->resume);
    fx_feed(a, "SESSION " TOKEN "\nSESSION " TOKEN "\n");
    ck_assert_str_eq(fx_drain(a), "ERR protocol SESSION was already given\n");
    ck_assert_ptr_nonnull(a->resume);
    ck_assert_uint_eq(a->resume->attached, 1);
    struct resume_entry *e = a->resume;
    fx_end(a);
    ck_assert_uint_eq(e->attached, 0);
}
END_TEST

Suite *resume_suite(void)
{
    Suite *s = suite_create("resume");
    TCase *t = tcase_create("table");
    tcase_add_checked_fixture(t, fx_setup, fx_teardown);
    tcase_add_test(t, test_window);
    tcase_add_test(t, test_table_full);
    tcase_add_test(t, test_flood_from_one_address);
    suite_add_tcase(s, t);
    TCase *f = tcase_create("framed");
    tcase_add_checked_fixture(f, fx_setup, fx_teardown);
    tcase_add_test(f, test_resend_after_lost_ack);
    tcase_add_test(f, test_without_session_no_check);
    tcase_add_test(f, test_refused_message_is_not_marked);
    tcase_add_test(f, test_session_line_errors);
    suite_add_tcase(s, f);
    return s;
}

/* registry: names, limits, lookups, shutdown, operator actions. */
#include <string.h>

#include "fixture.h"

START_TEST(test_guest_names)
{
    struct client *a = fx_client("1.2.3.4:5");
    struct client *b = fx_client("1.2.3.4:6");
    ck_assert_str_eq(a->nick, "guest1");
    ck_assert_str_eq(b->nick, "guest2");
    ck_assert_uint_eq(registry_count(&fx_srv), 2);
    ck_assert_uint_eq(atomic_load(&fx_srv.st.served), 2);
}
END_TEST

START_TEST(test_max_clients)
{
    fx_teardown();
    fx_setup_with(20, 10, 2);
    fx_client("a:1");
    fx_client("a:2");
    struct client *c = client_new(&fx_srv, -1, "a:3");
    ck_assert_int_eq(registry_add(&fx_srv, c), -1);
    client_free(c);
    fx_end(fx_srv.clients);
    c = client_new(&fx_srv, -1, "a:4");
    ck_assert_int_eq(registry_add(&fx_srv, c), 0); /* room again */
}
END_TEST

START_TEST(test_find_case_insensitive)
{
    struct client *a = fx_framed("Alice");
    pthread_mutex_lock(&fx_srv.reg_lock);
    ck_assert_ptr_eq(registry_find_locked(&fx_srv, "alice"), a);
    ck_assert_ptr_eq(registry_find_locked(&fx_srv, "ALICE"), a);
    ck_assert_ptr_null(registry_find_locked(&fx_srv, "bob"));
    pthread_mutex_unlock(&fx_srv.reg_lock);
}
END_TEST

START_TEST(test_shutdown_tells_everyone)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    struct client *r = fx_raw();
    struct client *n = fx_client("x:1"); /* has not spoken yet */
    fx_drain(a);
    fx_drain(p);
    registry_shutdown(&fx_srv, "bye now");
    ck_assert_str_eq(fx_drain(a), "SHUTDOWN bye now\n");
    ck_assert_str_eq(fx_drain(p), "*** server shutting down: bye now\n");
    ck_assert_str_eq(fx_drain(r), "");
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(a, why, sizeof why), CLOSE_FLUSH);
    ck_assert_str_eq(why, "shutdown");
    ck_assert_int_eq(client_close_state(n, NULL, 0), CLOSE_FLUSH);
    /* Nobody is announced leaving, and nobody new gets in. */
    fx_end(p);
    ck_assert_str_eq(fx_drain(a), "");
    struct client *late = client_new(&fx_srv, -1, "x:2");
    ck_assert_int_eq(registry_add(&fx_srv, late), -1);
    client_free(late);
}
END_TEST

/* The console's kick, as operator_act does it. */
static int kick(const char *args, char *msg, size_t cap)
{
    struct mod_request rq;
    if (mod_parse_request(MOD_KICK, args, &rq, msg, cap) < 0)
        return -1;
    return operator_act(&fx_srv, &rq, msg, cap);
}

START_TEST(test_kick)
{
    char msg[512];
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    fx_drain(a);
    ck_assert_int_eq(kick("nobody", msg, sizeof msg), -1);
    ck_assert_str_eq(msg, "no such nick: nobody");
    ck_assert_int_eq(kick("BOB spam", msg, sizeof msg), 0);
    /* ERR kicked, so that our client does not come straight back. */
    ck_assert_str_eq(fx_drain(b), "ERR kicked you were kicked by the operator for 5m00s: spam\n");
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(b, why, sizeof why), CLOSE_FLUSH);
    ck_assert_str_eq(why, "kicked: spam");
    fx_end(b);
    ck_assert_str_eq(fx_drain(a), "LEAVE bob 1 kicked: spam\n");
    struct client *p = fx_plain();
    fx_drain(p);
    ck_assert_int_eq(kick(p->nick, msg, sizeof msg), 0);
    ck_assert_str_eq(fx_drain(p), "*** notice: you were kicked by the operator for 5m00s\n");
}
END_TEST

START_TEST(test_notice_and_who)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    fx_drain(a);
    registry_notice(&fx_srv, "class ends at 3");
    ck_assert_str_eq(fx_drain(a), "NOTICE class ends at 3\n");
    ck_assert_str_eq(fx_drain(p), "*** notice: class ends at 3\n");
}
END_TEST

START_TEST(test_nick_table)
{
    /* Many joins, renames and leaves: lookups stay exact across resizes. */
    struct client *cs[300];
    char nick[32];
    for (int i = 0; i < 300; i++) {
        snprintf(nick, sizeof nick, "user%d", i);
        cs[i] = fx_framed(nick);
        ck_assert_str_eq(cs[i]->nick, nick);
    }
    fx_framed("USER7"); /* taken, case-insensitively: a guest nick */
    pthread_mutex_lock(&fx_srv.reg_lock);
    ck_assert_ptr_eq(registry_find_locked(&fx_srv, "User150"), cs[150]);
    registry_rename_locked(&fx_srv, cs[150], "renamed");
    ck_assert_ptr_null(registry_find_locked(&fx_srv, "user150"));
    ck_assert_ptr_eq(registry_find_locked(&fx_srv, "RENAMED"), cs[150]);
    pthread_mutex_unlock(&fx_srv.reg_lock);
    for (int i = 0; i < 300; i += 2)
        fx_end(cs[i]);
    pthread_mutex_lock(&fx_srv.reg_lock);
    for (int i = 1; i < 300; i += 2) {
        snprintf(nick, sizeof nick, "user%d", i);
        ck_assert_ptr_eq(registry_find_locked(&fx_srv, nick), cs[i]);
        snprintf(nick, sizeof nick, "user%d", i - 1);
        ck_assert_ptr_null(registry_find_locked(&fx_srv, nick));
    }
    pthread_mutex_unlock(&fx_srv.reg_lock);
    ck_assert_uint_eq(fx_srv.nroom, 151);
    ck_assert(nick_reserved("guest1"));
    ck_assert(nick_reserved("GUEST042"));
    ck_assert(!nick_reserved("guest"));
    ck_assert(!nick_reserved("guest1a"));
    ck_assert(!nick_reserved("guests"));
}
END_TEST

START_TEST(test_announce_threshold)
{
    ck_assert(room_announced(1));
    ck_assert(room_announced(ANNOUNCE_MAX_USERS));
    ck_assert(!room_announced(ANNOUNCE_MAX_USERS + 1));
}
END_TEST

START_TEST(test_big_room_joins_are_quiet)
{
    struct client *first = fx_framed("first");
    for (int i = 1; i < ANNOUNCE_MAX_USERS; i++)
        fx_framed("x");
    const char *seen = fx_drain(first);
    int joins = 0;
    for (const char *p = seen; (p = strstr(p, "JOIN ")) != NULL; p++)
        joins++;
    ck_assert_int_eq(joins, ANNOUNCE_MAX_USERS - 1);
    fx_framed("late"); /* user ANNOUNCE_MAX_USERS + 1: not announced */
    ck_assert_str_eq(fx_drain(first), "");
}
END_TEST

Suite *registry_suite(void)
{
    Suite *s = suite_create("registry");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, fx_setup, fx_teardown);
    tcase_add_test(core, test_guest_names);
    tcase_add_test(core, test_find_case_insensitive);
    tcase_add_test(core, test_nick_table);
    tcase_add_test(core, test_notice_and_who);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_checked_fixture(limits, fx_setup, fx_teardown);
    tcase_add_test(limits, test_max_clients);
    tcase_add_test(limits, test_announce_threshold);
    tcase_add_test(limits, test_big_room_joins_are_quiet);
    suite_add_tcase(s, limits);
    TCase *ops = tcase_create("operator");
    tcase_add_checked_fixture(ops, fx_setup, fx_teardown);
    tcase_add_test(ops, test_shutdown_tells_everyone);
    tcase_add_test(ops, test_kick);
    suite_add_tcase(s, ops);
    return s;
}

/* rooms: the table (created on first join, names folded, ROOMS_MAX, freed
 * when nothing keeps them), a history per room, and what a sockchat/2
 * client is told (ROOM, UNREAD) next to a sockchat/1 one. */
#include <stdio.h>
#include <string.h>

#include "control.h"
#include "fixture.h"

static struct client *framed_v2(const char *nick)
{
    char hello[64];
    struct client *c = fx_client("127.0.0.1:1002");
    snprintf(hello, sizeof hello, "HELLO sockchat/2 %s\n", nick);
    fx_feed(c, hello);
    ck_assert_uint_eq(c->proto, 2);
    return c;
}

static struct room *find(const char *name)
{
    pthread_mutex_lock(&fx_srv.reg_lock);
    struct room *rm = rooms_find_locked(&fx_srv, name);
    pthread_mutex_unlock(&fx_srv.reg_lock);
    return rm;
}

START_TEST(test_main_always_there)
{
    ck_assert_uint_eq(fx_srv.nrooms, 1);
    ck_assert_str_eq(fx_srv.rooms[0]->name, "#main");
    ck_assert_ptr_eq(fx_srv.rooms[0]->hist, &fx_srv.hist);
    struct client *a = fx_framed("alice");
    ck_assert_ptr_eq(a->room, &fx_srv.main_room);
    ck_assert_uint_eq(fx_srv.main_room.users, 1);
    fx_end(a);
    ck_assert_uint_eq(fx_srv.main_room.users, 0);
    ck_assert_ptr_eq(find("#main"), &fx_srv.main_room); /* empty, still there */
}
END_TEST

START_TEST(test_join_folds_and_creates)
{
    struct client *a = fx_framed("alice");
    fx_feed(a, "MSG 1 /join Lab1\n");
    ck_assert_str_eq(fx_drain(a), "OUT you are in #lab1 now (1 person)\n");
    ck_assert_uint_eq(fx_srv.nrooms, 2);
    ck_assert_ptr_eq(a->room, find("#lab1"));
    struct client *b = fx_framed("bob");
    fx_feed(b, "MSG 1 /join #LAB1\n");
    ck_assert_str_eq(fx_drain(b), "OUT you are in #lab1 now (2 people)\n");
    ck_assert_ptr_eq(b->room, a->room);
    ck_assert_uint_eq(fx_srv.nrooms, 2);
    ck_assert_str_eq(fx_drain(a), "JOIN bob 2\n");
}
END_TEST

START_TEST(test_empty_room_goes)
{
    struct client *a = fx_framed("alice");
    fx_feed(a, "MSG 1 /join #quiet\n");
    ck_assert_ptr_nonnull(find("#quiet"));
    fx_feed(a, "MSG 2 /part\n");
    /* No members, no history, no topic, nobody waiting for UNREAD. */
    ck_assert_ptr_null(find("#quiet"));
    ck_assert_uint_eq(fx_srv.nrooms, 1);
    fx_feed(a, "MSG 3 /join #kept\n");
    fx_feed(a, "MSG 4 /topic something\n");
    fx_end(a);
    ck_assert_ptr_nonnull(find("#kept")); /* its topic keeps it */
}
END_TEST

START_TEST(test_rooms_max)
{
    char name[ROOMNAME_SIZE];
    pthread_mutex_lock(&fx_srv.reg_lock);
    for (int i = 1; i < ROOMS_MAX; i++) {
        snprintf(name, sizeof name, "#r%d", i);
        struct room *rm = rooms_get_locked(&fx_srv, name);
        ck_assert_ptr_nonnull(rm);
        rm->pinned = true; /* the operator's: never made to make way */
        snprintf(rm->topic, sizeof rm->topic, "kept");
    }
    ck_assert_uint_eq(fx_srv.nrooms, ROOMS_MAX);
    ck_assert_ptr_null(rooms_get_locked(&fx_srv, "#onemore"));
    ck_assert_ptr_nonnull(rooms_get_locked(&fx_srv, "#r5")); /* an existing one */
    /* Empty rooms that are nobody's make way, the quietest first. */
    struct room *r7 = rooms_find_locked(&fx_srv, "#r7");
    struct room *r9 = rooms_find_locked(&fx_srv, "#r9");
    r7->pinned = r9->pinned = false;
    r9->active_ms = r7->active_ms - 1;
    struct room *more = rooms_get_locked(&fx_srv, "#onemore");
    ck_assert_ptr_nonnull(more);
    more->pinned = true;
    ck_assert_ptr_null(rooms_find_locked(&fx_srv, "#r9"));
    ck_assert_ptr_nonnull(rooms_find_locked(&fx_srv, "#r7"));
    ck_assert_uint_eq(fx_srv.nrooms, ROOMS_MAX);
    pthread_mutex_unlock(&fx_srv.reg_lock);
    struct client *a = fx_framed("alice");
    fx_feed(a, "MSG 1 /join another\n"); /* #r7 makes way */
    ck_assert_str_eq(a->room->name, "#another");
    ck_assert_ptr_null(find("#r7"));
    fx_drain(a);
    fx_feed(a, "MSG 2 /join third\n"); /* #another has alice; the rest are pinned */
    ck_assert_str_eq(fx_drain(a), "ERR full too many rooms (128); join one of /rooms\n");
    ck_assert_str_eq(a->room->name, "#another");
}
END_TEST

START_TEST(test_history_per_room)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    fx_feed(a, "MSG 1 /join #lab\n");
    fx_feed(a, "MSG 2 in lab\n");
    fx_feed(b, "MSG 1 in main\n");
    struct room *lab = find("#lab");
    ck_assert_uint_eq(lab->hist->count, 1);
    ck_assert_uint_eq(fx_srv.hist.count, 1);
    ck_assert_ptr_nonnull(strstr(history_get(lab->hist, 0, true)->data, "alice in lab"));
    ck_assert_ptr_nonnull(strstr(history_get(&fx_srv.hist, 0, true)->data, "bob in main"));
    fx_drain(b);
    /* A newcomer to #lab gets #lab's history, not #main's. */
    fx_feed(b, "MSG 2 /join #lab\n");
    const char *out = fx_drain(b);
    ck_assert_msg(strstr(out, "in lab") != NULL && strstr(out, "in main") == NULL, "%s", out);
}
END_TEST

START_TEST(test_v2_room_and_unread)
{
    struct client *a = framed_v2("alice");
    ck_assert_str_eq(fx_drain(a), "WELCOME alice threads 1 testsrv\nROOM #main 1\n"
                                  "OUT you are alice; /nick NAME to change it\n");
    struct client *b = fx_framed("bob");
    fx_feed(a, "MSG 1 /join #lab\n");
    fx_feed(b, "MSG 1 /join #lab\n");
    fx_feed(a, "MSG 2 /part\n");
    fx_drain(a);
    fx_feed(b, "MSG 2 one\n");
    fx_feed(b, "MSG 3 /me two\n");
    /* The second within UNREAD_EVERY_MS is held back... */
    ck_assert_str_eq(fx_drain(a), "UNREAD #lab 1\n");
    fx_clock.mono_ms += UNREAD_EVERY_MS / 2;
    fx_feed(a, "MSG 20 in main\n");
    ck_assert_str_eq(fx_drain(a), "ACK 20\n"); /* still within its second */
    /* ...and told with a message said anywhere once the second is over. */
    fx_clock.mono_ms += UNREAD_EVERY_MS / 2;
    fx_feed(a, "MSG 21 in main again\n");
    ck_assert_str_eq(fx_drain(a), "UNREAD #lab 2\nACK 21\n");
    fx_drain(b);
    /* Back in #lab: the count starts over. */
    fx_feed(a, "MSG 3 /join #lab\n");
    const char *out = fx_drain(a);
    ck_assert_msg(strncmp(out, "ROOM #lab 2\n", 12) == 0, "%s", out);
    fx_feed(a, "MSG 4 /part\n");
    fx_feed(b, "MSG 4 three\n");
    fx_drain(a);
    fx_clock.mono_ms += UNREAD_EVERY_MS; /* a quiet second: told at once */
    fx_feed(b, "MSG 5 four\n");
    ck_assert_str_eq(fx_drain(a), "UNREAD #lab 2\n");
    /* A v1 client never hears UNREAD. */
    fx_feed(b, "MSG 6 /part\n");
    fx_drain(b);
    fx_feed(a, "MSG 5 /join #lab\n");
    ck_assert_str_eq(fx_drain(b), "LEAVE alice 1 went to #lab\n");
    fx_feed(a, "MSG 6 five\n");
    ck_assert_str_eq(fx_drain(b), "");
}
END_TEST

START_TEST(test_unread_at_most_eight_rooms)
{
    struct client *a = framed_v2("alice");
    char line[64];
    for (int i = 0; i < ROOM_LEFT_MAX + 2; i++) {
        snprintf(line, sizeof line, "MSG %d /join #r%d\n", i + 1, i);
        fx_feed(a, line);
    }
    unsigned watched = 0;
    for (unsigned i = 0; i < ROOM_LEFT_MAX; i++)
        watched += a->watch->left[i].room != NULL;
    ck_assert_uint_eq(watched, ROOM_LEFT_MAX);
    /* It left #main, then #r0 to #r8: the oldest two (#main, #r0) were
     * dropped, and #r0 went as nothing else kept it. */
    ck_assert_ptr_null(find("#r0"));
    ck_assert_ptr_nonnull(find("#r1"));
    ck_assert_ptr_nonnull(find("#r8"));
    fx_end(a);
    ck_assert_uint_eq(fx_srv.nrooms, 1); /* nobody watches them now */
}
END_TEST

static void ignore_line(void *arg, enum control_line kind, const char *text)
{
    (void)arg;
    (void)kind;
    (void)text;
}

/* split makes its rooms one by one on a full table: the first it made,
 * still empty, must not make way for the next. */
START_TEST(test_split_on_a_full_table)
{
    char name[ROOMNAME_SIZE];
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    pthread_mutex_lock(&fx_srv.reg_lock);
    for (int i = 1; i < ROOMS_MAX; i++) {
        snprintf(name, sizeof name, "#r%d", i);
        rooms_get_locked(&fx_srv, name)->pinned = i != 3; /* #r3 alone may go */
    }
    pthread_mutex_unlock(&fx_srv.reg_lock);
    struct control_seat seat = {.line = ignore_line};
    /* #x takes #r3's place; #y finds no room that may go. */
    ck_assert_int_eq(control_run(&fx_srv, "split #x #y", &seat), CONTROL_ERR);
    ck_assert_str_eq(a->room->name, ROOM_MAIN);
    ck_assert_str_eq(b->room->name, ROOM_MAIN);
    ck_assert_ptr_null(find("#y"));
    ck_assert_ptr_null(find("#r3"));
    /* One room: dealt into it. */
    ck_assert_int_eq(control_run(&fx_srv, "split #x", &seat), CONTROL_OK);
    ck_assert_str_eq(a->room->name, "#x");
    ck_assert_str_eq(b->room->name, "#x");
}
END_TEST

START_TEST(test_operator_topic_and_lock)
{
    struct control_seat seat = {.line = ignore_line};
    struct client *a = framed_v2("alice");
    struct client *b = fx_framed("bob");
    fx_feed(a, "MSG 1 /join #lab\n");
    fx_feed(b, "MSG 1 /join #lab\n");
    fx_drain(a);
    fx_drain(b);
    ck_assert_int_eq(control_run(&fx_srv, "topic #lab fractions", &seat), CONTROL_OK);
    /* v2: the notice and a fresh ROOM; v1: the notice. */
    ck_assert_str_eq(fx_drain(a), "NOTICE the operator pinned the topic of #lab: fractions\n"
                                  "ROOM #lab 2 fractions\n");
    ck_assert_str_eq(fx_drain(b), "NOTICE the operator pinned the topic of #lab: fractions\n");
    fx_feed(b, "MSG 2 /topic mine\n");
    ck_assert_str_eq(fx_drain(b), "ERR locked the topic of #lab is pinned by the operator\n");
    ck_assert_int_eq(control_run(&fx_srv, "lock #lab", &seat), CONTROL_OK);
    fx_drain(a);
    fx_drain(b);
    fx_feed(b, "MSG 3 may I\n");
    ck_assert_str_eq(fx_drain(b),
                     "ERR locked #lab is locked by the operator: you can read, not write\n");
    ck_assert_str_eq(fx_drain(a), "");
    ck_assert_uint_eq(find("#lab")->hist->count, 0);
    ck_assert_int_eq(control_run(&fx_srv, "say #lab listen", &seat), CONTROL_OK);
    ck_assert_str_eq(fx_drain(b), "NOTICE listen\n");
    ck_assert_int_eq(control_run(&fx_srv, "unlock #lab", &seat), CONTROL_OK);
    fx_drain(b);
    fx_feed(b, "MSG 4 thanks\n");
    ck_assert_str_eq(fx_drain(b), "ACK 4\n");
}
END_TEST

/* Issue 5 holds 10,000 idle connections at a few KB each: struct client
 * is in every one of them, so what few connections use (/away, rooms left)
 * lives behind pointers, allocated on first use. 1 KiB leaves room to grow
 * (it is about 770 bytes) and fails at once if such state moves back in
 * (the away text, its told list and the 8 rooms left were 760 bytes). */
START_TEST(test_client_stays_small)
{
    ck_assert_uint_le(sizeof(struct client), 1024);
    struct client *a = framed_v2("alice");
    ck_assert_ptr_null(a->away);
    ck_assert_ptr_null(a->watch);
    fx_feed(a, "MSG 1 /join #lab\n"); /* left #main: now it watches it */
    ck_assert_ptr_nonnull(a->watch);
    ck_assert_ptr_eq(a->watch->left[0].room, find("#main"));
    fx_end(a);
}
END_TEST

/* /away is kept only while away; a /msg sender hears it once. */
START_TEST(test_away_on_first_use)
{
    struct client *a = fx_framed("alice"), *b = fx_framed("bob");
    fx_drain(a);
    fx_drain(b);
    fx_feed(a, "MSG 1 /away lunch\n");
    ck_assert_ptr_nonnull(a->away);
    ck_assert_ptr_nonnull(strstr(fx_drain(a), "you are away: lunch"));
    fx_feed(b, "MSG 1 /msg alice hi\n");
    ck_assert_ptr_nonnull(strstr(fx_drain(b), "alice is away: lunch"));
    fx_feed(b, "MSG 2 /msg alice again\n");
    ck_assert_ptr_null(strstr(fx_drain(b), "is away"));
    fx_feed(a, "MSG 2 /away\n");
    ck_assert_ptr_nonnull(strstr(fx_drain(a), "you are back"));
    ck_assert_ptr_null(a->away);
    fx_feed(b, "MSG 3 /msg alice back?\n");
    ck_assert_ptr_null(strstr(fx_drain(b), "is away"));
    fx_end(a);
    fx_end(b);
}
END_TEST

Suite *rooms_suite(void)
{
    Suite *s = suite_create("rooms");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, test_main_always_there);
    tcase_add_test(tc, test_join_folds_and_creates);
    tcase_add_test(tc, test_empty_room_goes);
    tcase_add_test(tc, test_rooms_max);
    tcase_add_test(tc, test_split_on_a_full_table);
    tcase_add_test(tc, test_history_per_room);
    tcase_add_test(tc, test_v2_room_and_unread);
    tcase_add_test(tc, test_unread_at_most_eight_rooms);
    tcase_add_test(tc, test_operator_topic_and_lock);
    tcase_add_test(tc, test_client_stays_small);
    tcase_add_test(tc, test_away_on_first_use);
    suite_add_tcase(s, tc);
    return s;
}

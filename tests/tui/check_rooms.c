/* rooms (issue 16), the client side: the pure parts (rooms.c, ignore.c,
 * alert.c) and the protocol state machine fed ROOM, UNREAD, CHAT and PRIV
 * lines with a fake clock: the status bar's rooms and counts, the history
 * after each ROOM, highlights and the bell, /ignore, Tab after /join. */
#include "check_tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "chat.h"
#include "chatfix.h"
#include "editline.h"
#include "ignore.h"
#include "rooms.h"

/* ---- rooms.c ---- */

START_TEST(test_rooms_list_and_counts)
{
    struct rooms r;
    char bar[320];
    rooms_init(&r);
    rooms_format(&r, bar, sizeof(bar));
    ck_assert_str_eq(bar, ""); /* no rooms: nothing shown */
    ck_assert(rooms_on_room(&r, "#main", 5, ""));
    ck_assert(!rooms_on_room(&r, "#main", 5, "new topic")); /* same room: a topic */
    ck_assert_str_eq(r.topic, "new topic");
    ck_assert(rooms_on_room(&r, "#Lab1", 3, "fractions")); /* folded */
    ck_assert_str_eq(r.cur, "#lab1");
    ck_assert(rooms_on_unread(&r, "#main", 3));
    rooms_format(&r, bar, sizeof(bar));
    ck_assert_str_eq(bar, "#main (3) [#lab1]");
    /* A count for the room we are in is never shown. */
    ck_assert(rooms_on_unread(&r, "#lab1", 7));
    rooms_format(&r, bar, sizeof(bar));
    ck_assert_str_eq(bar, "#main (3) [#lab1]");
    /* Back in #main: its count is read; the list keeps its order. */
    ck_assert(rooms_on_room(&r, "#main", 6, ""));
    ck_assert(rooms_on_unread(&r, "#lab1", 1));
    rooms_format(&r, bar, sizeof(bar));
    ck_assert_str_eq(bar, "[#main] #lab1 (1)");
    ck_assert_str_eq(rooms_nth(&r, 1), "#main");
    ck_assert_str_eq(rooms_nth(&r, 2), "#lab1");
    ck_assert_ptr_null(rooms_nth(&r, 3));
    ck_assert_ptr_null(rooms_nth(&r, 0));
    /* Bad names from a server are not taken. */
    ck_assert(!rooms_on_room(&r, "lab2", 1, ""));
    ck_assert(!rooms_on_unread(&r, "#no room", 1));
    ck_assert(!rooms_on_unread(&r, "#abcdefghijklmnopqrstuvwxyz", 1));
    ck_assert_str_eq(r.cur, "#main");
    /* A new connection forgets the list, not the names. */
    rooms_reset(&r);
    rooms_format(&r, bar, sizeof(bar));
    ck_assert_str_eq(bar, "");
    ck_assert_uint_eq(r.nnames, 2);
}
END_TEST

START_TEST(test_rooms_list_bounded)
{
    struct rooms r;
    rooms_init(&r);
    rooms_on_room(&r, "#main", 1, "");
    char name[ROOMNAME_SIZE];
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "#r%d", i);
        rooms_on_unread(&r, name, (unsigned)i + 1);
    }
    ck_assert_uint_eq(r.nlist, ROOMS_LIST_MAX);
    /* The current room stays, the oldest others made way. */
    ck_assert_str_eq(rooms_nth(&r, 1), "#main");
    ck_assert_str_eq(rooms_nth(&r, ROOMS_LIST_MAX), "#r19");
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "#n%d", i);
        rooms_note_name(&r, name);
    }
    ck_assert_uint_eq(r.nnames, ROOMS_NAMES_MAX);
    ck_assert_str_eq(r.names[ROOMS_NAMES_MAX - 1], "#n199");
}
END_TEST

START_TEST(test_rooms_row)
{
    struct rooms r;
    rooms_init(&r);
    ck_assert(rooms_note_row(&r, "  #lab2     12 people  topic: x"));
    ck_assert(rooms_note_row(&r, "  #Main     1 person (you are here)"));
    ck_assert(!rooms_note_row(&r, "3 rooms:"));
    ck_assert(!rooms_note_row(&r, " #one space"));
    ck_assert(!rooms_note_row(&r, "  #bad!name 3 people"));
    ck_assert_uint_eq(r.nnames, 2);
    ck_assert_str_eq(r.names[0], "#lab2");
    ck_assert_str_eq(r.names[1], "#main");
}
END_TEST

/* ---- ignore.c ---- */

START_TEST(test_ignore_list)
{
    struct ignore ig;
    char buf[2048];
    ignore_init(&ig);
    ck_assert_int_eq(ignore_add(&ig, "bob"), IGNORE_OK);
    ck_assert_int_eq(ignore_add(&ig, "BOB"), IGNORE_ALREADY);
    ck_assert_int_eq(ignore_add(&ig, "b o b"), IGNORE_BAD_NICK);
    ck_assert_int_eq(ignore_add(&ig, ""), IGNORE_BAD_NICK);
    ck_assert(ignore_has(&ig, "Bob"));
    ck_assert(!ignore_has(&ig, "bobby"));
    ignore_rename(&ig, "bob", "robert");
    ck_assert(!ignore_has(&ig, "bob"));
    ck_assert(ignore_has(&ig, "robert"));
    ck_assert_int_eq(ignore_add(&ig, "carol"), IGNORE_OK);
    ignore_list(&ig, buf, sizeof(buf));
    ck_assert_str_eq(buf, "robert, carol");
    /* Renamed onto another ignored name: one entry. */
    ignore_rename(&ig, "robert", "carol");
    ck_assert_uint_eq(ig.n, 1);
    ck_assert_int_eq(ignore_remove(&ig, "CAROL"), IGNORE_OK);
    ck_assert_int_eq(ignore_remove(&ig, "carol"), IGNORE_ALREADY);
    for (int i = 0; i < IGNORE_MAX; i++) {
        char n[16];
        snprintf(n, sizeof(n), "n%d", i);
        ck_assert_int_eq(ignore_add(&ig, n), IGNORE_OK);
    }
    ck_assert_int_eq(ignore_add(&ig, "onemore"), IGNORE_FULL);
}
END_TEST

/* ---- alert.c ---- */

START_TEST(test_alert_decisions)
{
    enum bell_mode m;
    ck_assert_int_eq(bell_mode_parse("mention", &m), 0);
    ck_assert_int_eq(m, BELL_MENTION);
    ck_assert_int_eq(bell_mode_parse("all", &m), 0);
    ck_assert_int_eq(m, BELL_ALL);
    ck_assert_int_eq(bell_mode_parse("off", &m), 0);
    ck_assert_int_eq(m, BELL_OFF);
    ck_assert_int_eq(bell_mode_parse("loud", &m), -1);

    struct alert_line named = {"bob", NULL, "Alice: look", "alice", false};
    struct alert_line plain = {"bob", NULL, "malice aforethought", "alice", false};
    struct alert_line own = {"alice", NULL, "I am alice", "alice", false};
    struct alert_line priv = {"bob", "alice", "psst", "alice", false};
    struct alert_line other_priv = {"alice", "bob", "hi bob", "alice", false};
    struct alert_line old = {"bob", NULL, "alice: earlier", "alice", true};
    ck_assert(alert_mention(&named));
    ck_assert(!alert_mention(&plain));
    ck_assert(!alert_mention(&own));
    ck_assert(alert_mention(&priv));
    ck_assert(!alert_mention(&other_priv));
    ck_assert(alert_mention(&old)); /* highlighted, */
    ck_assert(alert_bell(BELL_MENTION, &named));
    ck_assert(alert_bell(BELL_MENTION, &priv));
    ck_assert(!alert_bell(BELL_MENTION, &plain));
    ck_assert(!alert_bell(BELL_MENTION, &old)); /* but no bell for history */
    ck_assert(!alert_bell(BELL_OFF, &named));
    ck_assert(alert_bell(BELL_ALL, &plain));
    ck_assert(!alert_bell(BELL_ALL, &own));
    ck_assert(!alert_bell(BELL_ALL, &old));
}
END_TEST

/* ---- the model, fed lines ---- */

static struct chatlog tlog;
static struct status st;
static struct chat cl;
static int64_t now;

static void setup(void)
{
    ck_assert_int_eq(chatlog_init(&tlog, 200), 0);
    status_init(&st);
    chat_init(&cl, &tlog, &st, "alice");
    chat_set_server(&cl, "127.0.0.1", "5000");
    now = 1000;
    chat_clock(&cl, now, 1700000000);
}

static void teardown(void)
{
    chat_free(&cl);
    chatlog_free(&tlog);
}

static void advance(int64_t ms)
{
    now += ms;
    chat_clock(&cl, now, 1700000000 + now / 1000);
}

static const char *out(void)
{
    return chatfix_out(&cl);
}

static void feed(const char *s)
{
    chat_on_bytes(&cl, s, strlen(s));
}

static struct entry *last(void)
{
    return chatfix_last(&tlog);
}

static size_t count_of(enum entry_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < chatlog_count(&tlog); i++)
        n += chatlog_at(&tlog, i)->kind == k;
    return n;
}

/* How many entries hold text (any kind). */
static size_t count_text(const char *text)
{
    size_t n = 0;
    for (size_t i = 0; i < chatlog_count(&tlog); i++)
        n += strstr(chatlog_at(&tlog, i)->text, text) != NULL;
    return n;
}

static void connect_v2(const char *room_line)
{
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("WELCOME alice threads 3 classroom\n");
    if (room_line)
        feed(room_line);
    (void)out(); /* the first PING */
}

START_TEST(test_room_line_and_status)
{
    connect_v2("ROOM #main 3 \n");
    ck_assert_str_eq(st.rooms, "[#main]");
    ck_assert_int_eq(last()->kind, ENTRY_ROOM);
    ck_assert_str_eq(last()->text, "now in #main (3 people)");
    char bar[512];
    status_format(&st, bar, sizeof(bar));
    ck_assert_ptr_nonnull(strstr(bar, "| [#main] |"));
    /* /join goes to the server as typed; the ROOM marks the change. */
    chat_submit(&cl, "/join #lab1");
    ck_assert_str_eq(out(), "MSG 1 /join #lab1\n");
    feed("ROOM #lab1 1 fractions\x1b[31m\n");
    ck_assert_int_eq(last()->kind, ENTRY_ROOM);
    ck_assert_str_eq(cl.rooms.cur, "#lab1");
    ck_assert_ptr_nonnull(strstr(last()->text, "now in #lab1 (1 person), topic: fractions"));
    ck_assert_ptr_null(strchr(last()->text, '\x1b')); /* sanitised */
    ck_assert_uint_eq(st.users, 1);
    feed("UNREAD #main 3\n");
    ck_assert_str_eq(st.rooms, "#main (3) [#lab1]");
    /* A new topic: the same room again, no line in the log. */
    size_t n = chatlog_count(&tlog);
    feed("ROOM #lab1 2 decimals\n");
    ck_assert_uint_eq(chatlog_count(&tlog), n);
    ck_assert_str_eq(cl.rooms.topic, "decimals");
    ck_assert_uint_eq(st.users, 2);
    /* Back: the count is read. */
    feed("ROOM #main 5 \n");
    ck_assert_str_eq(st.rooms, "[#main] #lab1");
    ck_assert_uint_eq(count_of(ENTRY_ROOM), 3);
    /* A bad name from the server is said, not taken. */
    feed("ROOM lab9 2 x\n");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    ck_assert_str_eq(cl.rooms.cur, "#main");
}
END_TEST

/* The history after a ROOM line is compared with the log like the one
 * after a WELCOME: a reconnect shows only what is new. */
START_TEST(test_history_after_room_not_repeated)
{
    connect_v2("ROOM #main 3 \nCHAT 1699990000 bob one\nCHAT 1699990001 carol two\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), 2);
    chat_on_disconnect(&cl, "connection reset");
    advance(2000);
    connect_v2("ROOM #main 3 \nCHAT 1699990000 bob one\nCHAT 1699990001 carol two\n"
               "CHAT 1699990005 bob three\n");
    ck_assert_uint_eq(count_text("one"), 1);
    ck_assert_uint_eq(count_text("two"), 1);
    ck_assert_uint_eq(count_text("three"), 1);
    ck_assert_str_eq(last()->text, "three");
    ck_assert_uint_eq(count_text("2 earlier messages already shown above"), 1);
}
END_TEST

/* A reconnect to the same server goes back to the room it was in, before
 * anything typed meanwhile is resent (that was typed for that room); a
 * connection to another server does not. */
START_TEST(test_reconnect_rejoins)
{
    connect_v2("ROOM #main 3 \n");
    feed("ROOM #lab1 2 \n");
    chat_on_disconnect(&cl, "connection reset");
    chat_submit(&cl, "typed while away");
    advance(2000);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("WELCOME alice threads 3 classroom\nROOM #main 3 \n");
    const char *o = out();
    const char *join = strstr(o, "/join #lab1\n");
    const char *resent = strstr(o, " typed while away\n");
    ck_assert_msg(join != NULL && resent != NULL && join < resent, "sent: %s", o);
    ck_assert_uint_eq(count_text("back to #lab1"), 1);
    /* Left in #main (gathered): nothing to go back to. */
    feed("ROOM #main 4 \n");
    chat_on_disconnect(&cl, "connection reset");
    advance(2000);
    chat_on_connect(&cl);
    (void)out();
    feed("WELCOME alice threads 3 classroom\nROOM #main 3 \n");
    ck_assert_ptr_null(strstr(out(), "/join"));
    /* Another server: its rooms are others. */
    feed("ROOM #lab2 1 \n");
    chat_on_disconnect(&cl, "connection reset");
    chat_set_server(&cl, "127.0.0.1", "5001");
    chat_on_connect(&cl);
    (void)out();
    feed("WELCOME alice threads 1 other\nROOM #main 1 \n");
    ck_assert_ptr_null(strstr(out(), "/join"));
}
END_TEST

/* Back in a room left earlier: its history holds what the log shows
 * (with the other room's lines in between) and what was said meanwhile. */
START_TEST(test_history_back_in_room)
{
    connect_v2("ROOM #main 3 \nCHAT 1699990000 bob one\nCHAT 1699990001 carol two\n");
    feed("CHAT 1699990002 bob live\n");
    feed("ROOM #lab1 2 \nCHAT 1699980000 dave lab talk\nCHAT 1699980001 erin lab more\n");
    /* A first visit: nothing of its history is in the log, all shown. */
    ck_assert_uint_eq(count_text("lab talk"), 1);
    ck_assert_uint_eq(count_text("lab more"), 1);
    feed("UNREAD #main 1\n");
    ck_assert_str_eq(st.rooms, "#main (1) [#lab1]");
    feed("ROOM #main 3 \nCHAT 1699990000 bob one\nCHAT 1699990001 carol two\n"
         "CHAT 1699990002 bob live\nCHAT 1699990010 carol while away\n");
    ck_assert_uint_eq(count_text("one"), 1);
    ck_assert_uint_eq(count_text("two"), 1);
    ck_assert_uint_eq(count_text("live"), 1);
    ck_assert_uint_eq(count_text("while away"), 1);
    ck_assert_str_eq(st.rooms, "[#main] #lab1");
    /* And #lab1 again: both its lines known, none repeated. */
    feed("ROOM #lab1 2 \nCHAT 1699980000 dave lab talk\nCHAT 1699980001 erin lab more\n");
    ck_assert_uint_eq(count_text("lab talk"), 1);
    ck_assert_uint_eq(count_text("lab more"), 1);
    feed("NOTICE x\n");
    ck_assert_uint_eq(count_text("3 earlier messages already shown above"), 1);
    ck_assert_uint_eq(count_text("2 earlier messages already shown above"), 1);
}
END_TEST

/* The history of a room may hold a line exactly like one of another room
 * shown before, but said at another time: shown, not thrown away. */
START_TEST(test_history_after_room_kept)
{
    connect_v2("ROOM #main 3 \nCHAT 1699990000 bob hi\n");
    feed("ROOM #lab1 2 \nCHAT 1699990100 bob hi\nCHAT 1699990101 bob there\n");
    ck_assert_uint_eq(count_text("hi"), 2);
    ck_assert_uint_eq(count_text("there"), 1);
}
END_TEST

START_TEST(test_mention_and_bell)
{
    connect_v2("ROOM #main 3 \nCHAT 1699990000 bob alice: from before\n");
    /* History: highlighted, no bell. */
    ck_assert(last()->mention);
    ck_assert_uint_eq(cl.bells, 0);
    feed("NOTICE welcome\n"); /* any other line ends the history */
    feed("CHAT 1699990100 bob hey Alice, look\n");
    ck_assert(last()->mention);
    ck_assert_uint_eq(cl.bells, 1);
    feed("CHAT 1699990101 bob malice\n");
    ck_assert(!last()->mention);
    ck_assert_uint_eq(cl.bells, 1);
    feed("ACTION 1699990102 bob pokes alice\n");
    ck_assert(last()->mention);
    ck_assert_uint_eq(cl.bells, 2);
    feed("PRIV 1699990103 bob alice psst\n");
    ck_assert(last()->mention);
    ck_assert_uint_eq(cl.bells, 3);
    feed("PRIV 1699990104 alice bob for bob about alice\n"); /* our own, echoed */
    ck_assert(!last()->mention);
    ck_assert_uint_eq(cl.bells, 3);
    /* The mark that reads without colour. */
    struct entry_spans sp;
    char line[512];
    struct entry *e = chatlog_at(&tlog, chatlog_count(&tlog) - 2);
    entry_format(e, line, sizeof(line), &sp);
    ck_assert_ptr_nonnull(strstr(line, "\xc2\xbb [bob -> alice] psst"));
    /* --bell off, --bell all. */
    cl.bell = BELL_OFF;
    feed("CHAT 1699990105 bob alice?\n");
    ck_assert(last()->mention);
    ck_assert_uint_eq(cl.bells, 3);
    cl.bell = BELL_ALL;
    feed("CHAT 1699990106 bob nothing for you\n");
    ck_assert_uint_eq(cl.bells, 4);
    /* History after a ROOM rings nothing, even under all. */
    feed("ROOM #lab1 2 \nCHAT 1699990000 carol alice: old\nCHAT 1699990001 carol old too\n");
    ck_assert_uint_eq(cl.bells, 4);
    ck_assert(chatlog_at(&tlog, chatlog_count(&tlog) - 2)->mention);
}
END_TEST

/* A live line right behind a history, with nothing between, is live once
 * the burst is over. */
START_TEST(test_bell_after_history_burst)
{
    connect_v2("ROOM #main 3 \nCHAT 1699990000 bob old\n");
    advance(5000);
    feed("CHAT 1699990100 bob alice: now\n");
    ck_assert_uint_eq(cl.bells, 1);
}
END_TEST

START_TEST(test_mentions_while_scrolled)
{
    struct logview lv = {5, 0, 0};
    logview_on_append(&lv, 1, false);
    logview_on_append(&lv, 1, true);
    logview_on_append(&lv, 2, true);
    ck_assert_uint_eq(lv.unread, 3);
    ck_assert_uint_eq(lv.mentions, 2);
    st.state = CONN_CONNECTED;
    st.mentions = lv.mentions;
    char bar[512];
    status_format(&st, bar, sizeof(bar));
    ck_assert_ptr_nonnull(strstr(bar, "2 mentions"));
    logview_bottom(&lv);
    ck_assert_uint_eq(lv.mentions, 0);
    lv.scroll = 3;
    logview_on_append(&lv, 1, true);
    ck_assert_uint_eq(lv.mentions, 1);
    logview_scroll(&lv, &tlog, -100, 80, 20);
    ck_assert_uint_eq(lv.mentions, 0);
}
END_TEST

START_TEST(test_ignore_hides)
{
    connect_v2("ROOM #main 3 \n");
    ck_assert_int_eq(chat_submit(&cl, "/ignore bob"), CHAT_NONE);
    ck_assert_str_eq(out(), ""); /* the server never sees it */
    ck_assert_ptr_nonnull(strstr(last()->text, "ignoring bob"));
    size_t n = chatlog_count(&tlog);
    feed("CHAT 1699990100 bob alice: spam\nACTION 1699990101 bob spams\n"
         "PRIV 1699990102 bob alice spam\nLEAVE bob 2 quit\nJOIN Bob 3\n");
    ck_assert_uint_eq(chatlog_count(&tlog), n);
    ck_assert_uint_eq(cl.bells, 0);
    ck_assert_uint_eq(st.users, 3);
    feed("CHAT 1699990103 carol fine\n");
    ck_assert_uint_eq(chatlog_count(&tlog), n + 1);
    /* A new name is no way out. */
    feed("NICK Bob robert\nCHAT 1699990104 robert spam again\n");
    ck_assert_uint_eq(count_text("spam again"), 0);
    chat_submit(&cl, "/ignore");
    ck_assert_str_eq(last()->text, "ignoring 1: robert");
    /* Across a reconnect, and in a history: hidden, and the lines after
     * it still recognised as shown. */
    chat_on_disconnect(&cl, "connection reset");
    advance(2000);
    connect_v2("ROOM #main 3 \nCHAT 1699990099 robert hidden spam\nCHAT 1699990103 carol fine\n"
               "CHAT 1699990104 robert spam again\n"
               "CHAT 1699990200 carol new\n");
    ck_assert_uint_eq(count_text("fine"), 1);
    ck_assert_uint_eq(count_text("spam"), 0);
    ck_assert_uint_eq(count_text("new"), 1);
    chat_submit(&cl, "/unignore ROBERT");
    ck_assert_str_eq(last()->text, "no longer ignoring ROBERT");
    feed("CHAT 1699990300 robert back\n");
    ck_assert_str_eq(last()->text, "back");
    chat_submit(&cl, "/unignore robert");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    chat_submit(&cl, "/ignore alice");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    chat_submit(&cl, "/ignore bad!nick");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    chat_submit(&cl, "/ignore a b");
    ck_assert_str_eq(last()->text, "usage: /ignore [NICK]");
    ck_assert_str_eq(out(), "");
}
END_TEST

static bool has(const char **c, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(c[i], s) == 0)
            return true;
    return false;
}

START_TEST(test_join_completion)
{
    connect_v2("ROOM #main 3 \nUNREAD #lab1 2\n");
    feed("OUT 3 rooms:\nOUT   #lab2     1 person\nOUT   #main     3 people (you are here)\n");
    const char *c[256];
    size_t n = chat_completions_at(&cl, "/join #", 6, c, 256);
    ck_assert_uint_eq(n, 3);
    ck_assert(has(c, n, "#main") && has(c, n, "#lab1") && has(c, n, "#lab2"));
    n = chat_completions_at(&cl, "/join la", 6, c, 256);
    ck_assert(has(c, n, "lab1") && has(c, n, "lab2"));
    ck_assert(!has(c, n, "/help"));
    /* Elsewhere: /commands and nicks as before, no rooms. */
    n = chat_completions_at(&cl, "/msg la", 5, c, 256);
    ck_assert(has(c, n, "/join") && !has(c, n, "#lab1"));
    n = chat_completions_at(&cl, "/join #lab1 x", 12, c, 256);
    ck_assert(!has(c, n, "#lab1"));
    /* Through the edit line, as Tab does. */
    struct editline ed;
    editline_init(&ed);
    editline_insert(&ed, "/join #lab", 10);
    n = chat_completions_at(&cl, "/join #lab", 6, c, 256);
    ck_assert(editline_complete(&ed, c, n));
    ck_assert_str_eq(ed.buf, "/join #lab1 ");
    editline_free(&ed);
}
END_TEST

START_TEST(test_alt_switch)
{
    connect_v2("ROOM #main 3 \n");
    feed("ROOM #lab1 2 \nNOTICE x\nUNREAD #main 4\n");
    ck_assert_str_eq(st.rooms, "#main (4) [#lab1]");
    chat_switch_room(&cl, 1);
    ck_assert_str_eq(out(), "MSG 1 /join #main\n");
    chat_switch_room(&cl, 3);
    ck_assert_str_eq(out(), "");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    ck_assert_str_eq(last()->text, "Alt-3: the status bar lists no room 3");
}
END_TEST

/* A server without rooms (sockchat/1): no ROOM, nothing shown; /join is
 * its business, and it says it does not know it. */
START_TEST(test_v1_server)
{
    connect_v2(NULL);
    char bar[512];
    status_format(&st, bar, sizeof(bar));
    ck_assert_ptr_null(strchr(bar, '#'));
    ck_assert_uint_eq(count_of(ENTRY_ROOM), 0);
    chat_submit(&cl, "/join #lab1");
    ck_assert_str_eq(out(), "MSG 1 /join #lab1\n");
    feed("ERR unknown-command unknown command /join (try /help)\n");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    chat_switch_room(&cl, 1);
    ck_assert_ptr_nonnull(strstr(last()->text, "no rooms"));
    ck_assert_str_eq(out(), "");
    /* History after a v1 WELCOME is still de-duplicated. */
    feed("CHAT 1699990000 bob one\n");
    chat_on_disconnect(&cl, "connection reset");
    advance(2000);
    connect_v2("CHAT 1699990000 bob one\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), 1);
}
END_TEST

START_TEST(test_away_status)
{
    connect_v2("ROOM #main 3 \n");
    chat_submit(&cl, "/away lunch");
    ck_assert_str_eq(out(), "MSG 1 /away lunch\n"); /* not intercepted */
    feed("OUT you are away: lunch\n");
    ck_assert(st.away);
    char bar[512];
    status_format(&st, bar, sizeof(bar));
    ck_assert_ptr_nonnull(strstr(bar, "| away |"));
    feed("OUT you are back\n");
    ck_assert(!st.away);
    feed("OUT you are away: again\n");
    chat_on_disconnect(&cl, "connection reset");
    connect_v2("ROOM #main 3 \n");
    ck_assert(!st.away); /* a new connection is not away */
}
END_TEST

START_TEST(test_room_entry_format)
{
    connect_v2("ROOM #lab1 3 fractions\n");
    struct entry_spans sp;
    char line[512];
    entry_format(last(), line, sizeof(line), &sp);
    ck_assert_str_eq(line + 6, "\xe2\x94\x80\xe2\x94\x80 now in #lab1 (3 people), topic: fractions "
                               "\xe2\x94\x80\xe2\x94\x80");
}
END_TEST

Suite *rooms_suite(void)
{
    Suite *s = suite_create("rooms");
    TCase *pure = tcase_create("rooms-pure");
    tcase_add_test(pure, test_rooms_list_and_counts);
    tcase_add_test(pure, test_rooms_list_bounded);
    tcase_add_test(pure, test_rooms_row);
    tcase_add_test(pure, test_ignore_list);
    tcase_add_test(pure, test_alert_decisions);
    suite_add_tcase(s, pure);

    TCase *tc = tcase_create("rooms-client");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_room_line_and_status);
    tcase_add_test(tc, test_history_after_room_not_repeated);
    tcase_add_test(tc, test_history_back_in_room);
    tcase_add_test(tc, test_reconnect_rejoins);
    tcase_add_test(tc, test_history_after_room_kept);
    tcase_add_test(tc, test_mention_and_bell);
    tcase_add_test(tc, test_bell_after_history_burst);
    tcase_add_test(tc, test_mentions_while_scrolled);
    tcase_add_test(tc, test_ignore_hides);
    tcase_add_test(tc, test_join_completion);
    tcase_add_test(tc, test_alt_switch);
    tcase_add_test(tc, test_v1_server);
    tcase_add_test(tc, test_away_status);
    tcase_add_test(tc, test_room_entry_format);
    suite_add_tcase(s, tc);
    return s;
}

/* The cluster (issue 18), the client side: the model fed CLUSTER lines
 * (the status bar's "local only", the notice, the marks on chat shown
 * while local, all reset by a new connection), and what a list of servers
 * changes in the model: /connect takes one, and the password and the room
 * belong to the list, whichever of its nodes a connection reaches. */
#include "check_tui.h"

#include <stdio.h>
#include <string.h>

#include "chat.h"
#include "chatfix.h"
#include "status.h"

static struct chatlog tlog;
static struct status st;
static struct chat cl;

static void setup(void)
{
    ck_assert_int_eq(chatlog_init(&tlog, 200), 0);
    status_init(&st);
    chat_init(&cl, &tlog, &st, "alice");
    chat_set_server(&cl, "127.0.0.1", "5000");
    chat_clock(&cl, 1000, 1700000000);
}

static void teardown(void)
{
    chat_free(&cl);
    chatlog_free(&tlog);
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

static void connect_v2(void)
{
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("WELCOME alice threads 3 node-a\nROOM #main 3 \n");
    (void)out(); /* the first PING */
}

static const char *bar(size_t width)
{
    static char buf[1024];
    status_format_fit(&st, buf, sizeof(buf), width);
    return buf;
}

static const char *shown(const struct entry *e)
{
    static char buf[1024];
    struct entry_spans sp;
    entry_format(e, buf, sizeof(buf), &sp);
    return buf;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

START_TEST(test_cluster_then_local_then_back)
{
    connect_v2();
    ck_assert_int_eq(st.cluster, CLUSTER_NONE);
    ck_assert_ptr_null(strstr(bar(200), "cluster"));
    feed("CLUSTER cluster this server is one of a cluster\n");
    ck_assert_int_eq(st.cluster, CLUSTER_OK);
    ck_assert_int_eq(last()->kind, ENTRY_NOTICE);
    ck_assert_str_eq(last()->text, "this server is one of a cluster");
    ck_assert_msg(ends_with(bar(200), " | cluster"), "bar: %s", bar(200));
    ck_assert_ptr_null(strstr(bar(200), STATUS_LOCAL_ONLY));
    feed("CHAT 1700000001 bob everyone hears this\n");
    ck_assert(!last()->local_only);

    feed("CLUSTER local Redis is unreachable: messages reach this server only\n");
    ck_assert_int_eq(st.cluster, CLUSTER_LOCAL);
    ck_assert_int_eq(last()->kind, ENTRY_NOTICE);
    ck_assert_str_eq(last()->text, "Redis is unreachable: messages reach this server only");
    const char *b = bar(200);
    ck_assert_msg(strncmp(b, "connected | local only | alice | ", 32) == 0, "bar: %s", b);
    ck_assert_ptr_null(strstr(b, "| cluster"));
    long at = status_local_only_at(&st, b);
    ck_assert_int_eq(at, 12);
    /* Received while local: marked. */
    feed("CHAT 1700000002 bob only we hear this\n");
    ck_assert(last()->local_only);
    ck_assert_msg(ends_with(shown(last()), "only we hear this" ENTRY_LOCAL_MARK), "%s",
                  shown(last()));
    feed("ACTION 1700000003 bob waves locally\n");
    ck_assert(last()->local_only);
    /* Own, acknowledged while local: marked after its delivery state. */
    chat_submit(&cl, "mine, local");
    struct entry *own = last();
    ck_assert_int_eq(own->kind, ENTRY_SELF);
    ck_assert(!own->local_only); /* not taken by anyone yet */
    const char *o = out();
    unsigned id = 0;
    ck_assert_msg(sscanf(o, "MSG %u mine, local", &id) == 1, "sent: %s", o);
    char ack[32];
    snprintf(ack, sizeof(ack), "ACK %u\n", id);
    feed(ack);
    ck_assert_int_eq(own->delivery, DELIVERY_DONE);
    ck_assert(own->local_only);
    ck_assert_msg(ends_with(shown(own), ENTRY_LOCAL_MARK), "%s", shown(own));

    /* The cluster heals: new lines are unmarked, the old keep their mark. */
    feed("CLUSTER cluster Redis is back\n");
    ck_assert_int_eq(st.cluster, CLUSTER_OK);
    ck_assert_ptr_null(strstr(bar(200), STATUS_LOCAL_ONLY));
    ck_assert_int_eq(status_local_only_at(&st, bar(200)), -1);
    feed("CHAT 1700000004 bob everyone again\n");
    ck_assert(!last()->local_only);
    ck_assert(own->local_only);
}
END_TEST

/* A new connection (another node, maybe) starts without the old one's
 * state: until it says CLUSTER, nothing is marked. */
START_TEST(test_local_reset_on_reconnect)
{
    connect_v2();
    feed("CLUSTER local cut off\n");
    ck_assert_int_eq(st.cluster, CLUSTER_LOCAL);
    chat_submit(&cl, "typed before the drop");
    struct entry *own = last();
    chat_on_disconnect(&cl, "connection reset");
    ck_assert_ptr_null(strstr(bar(200), STATUS_LOCAL_ONLY)); /* shown only while connected */
    chat_set_server(&cl, "127.0.0.1", "5000");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("WELCOME alice threads 3 node-b\nROOM #main 3 \n");
    ck_assert_int_eq(st.cluster, CLUSTER_NONE);
    ck_assert_ptr_null(strstr(bar(200), STATUS_LOCAL_ONLY));
    const char *o = out();
    unsigned id = 0;
    const char *m = strstr(o, "MSG ");
    ck_assert_msg(m && sscanf(m, "MSG %u typed before the drop", &id) == 1, "sent: %s", o);
    char ack[32];
    snprintf(ack, sizeof(ack), "ACK %u\n", id);
    feed(ack);
    ck_assert_int_eq(own->delivery, DELIVERY_DONE);
    ck_assert(!own->local_only); /* taken by a server in its cluster */
    feed("CHAT 1700000005 bob hi\n");
    ck_assert(!last()->local_only);
}
END_TEST

/* "local only" outlives the least important fields at 80 columns, and
 * status_local_only_at() finds it where the view draws it. */
START_TEST(test_local_only_fits_80)
{
    connect_v2();
    feed("CLUSTER local cut off\n");
    snprintf(st.server, sizeof(st.server), "[2001:db8::1234:5678]:50001");
    snprintf(st.rooms, sizeof(st.rooms), "[#main] #lab1 (3) #lab2 (12)");
    st.latency_ms = 12;
    st.pending = 2;
    const char *b = bar(79);
    ck_assert_uint_le(strlen(b), 79);
    ck_assert_msg(strncmp(b, "connected | local only | ", 25) == 0, "bar: %s", b);
    ck_assert_int_eq(status_local_only_at(&st, b), 12);
    ck_assert_ptr_nonnull(strstr(b, "2 pending"));
    /* So narrow that only the state is left: nothing to style. */
    ck_assert_int_eq(status_local_only_at(&st, bar(12)), -1);
}
END_TEST

START_TEST(test_unknown_cluster_state)
{
    connect_v2();
    feed("CLUSTER cluster fine\n");
    feed("CLUSTER sharded something new\n");
    ck_assert_int_eq(st.cluster, CLUSTER_OK); /* not guessed at */
    ck_assert_int_eq(last()->kind, ENTRY_NOTICE);
    ck_assert_str_eq(last()->text, "something new");
    struct entry *err = chatlog_at(&tlog, chatlog_count(&tlog) - 2);
    ck_assert_int_eq(err->kind, ENTRY_ERR);
    ck_assert_ptr_nonnull(strstr(err->text, "unknown state: sharded"));
}
END_TEST

START_TEST(test_connect_list)
{
    connect_v2();
    ck_assert_int_eq(chat_submit(&cl, "/connect 127.0.0.1:5001,[::1]:5002"), CHAT_CONNECT);
    ck_assert_str_eq(cl.connect_host, "127.0.0.1:5001,[::1]:5002");
    ck_assert_str_eq(cl.connect_port, "5000");
    ck_assert_int_eq(chat_submit(&cl, "/connect a,b:5002 6000"), CHAT_CONNECT);
    ck_assert_str_eq(cl.connect_host, "a,b:5002");
    ck_assert_str_eq(cl.connect_port, "6000");
    ck_assert_int_eq(chat_submit(&cl, "/connect a:1,,b:2"), CHAT_NONE);
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    ck_assert_ptr_nonnull(strstr(last()->text, "/connect a:1,,b:2: an empty address"));
    ck_assert_int_eq(chat_submit(&cl, "/connect a:1,b:70000"), CHAT_NONE);
    ck_assert_ptr_nonnull(strstr(last()->text, "bad port 70000"));
    ck_assert_str_eq(cl.connect_host, "a,b:5002"); /* the bad ones left nothing behind */
}
END_TEST

/* The password given with a list goes to whichever node of it a
 * connection reaches (the caller names the list, not the node), and a
 * failover to another node goes back to the room the user was in. */
START_TEST(test_list_is_one_server)
{
    const char *list = "127.0.0.1:5001,127.0.0.1:5002";
    ck_assert_int_eq(chat_set_password(&cl, "sesame", list, "5000"), 0);
    chat_set_server(&cl, list, "5000");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice sesame\n");
    feed("WELCOME alice threads 3 node-a\nROOM #main 3 \n");
    feed("ROOM #lab1 2 \n");
    (void)out();
    chat_on_disconnect(&cl, "connection closed by the server");
    chat_set_server(&cl, list, "5000"); /* the next node: still the list */
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice sesame\n");
    feed("WELCOME alice threads 3 node-b\nROOM #main 3 \n");
    ck_assert_ptr_nonnull(strstr(out(), "/join #lab1\n"));
    /* Not for a single node of it named alone. */
    chat_on_disconnect(&cl, "bye");
    chat_set_server(&cl, "127.0.0.1", "5001");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
}
END_TEST

Suite *cluster_suite(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = tcase_create("cluster");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_cluster_then_local_then_back);
    tcase_add_test(tc, test_local_reset_on_reconnect);
    tcase_add_test(tc, test_local_only_fits_80);
    tcase_add_test(tc, test_unknown_cluster_state);
    tcase_add_test(tc, test_connect_list);
    tcase_add_test(tc, test_list_is_one_server);
    suite_add_tcase(s, tc);
    return s;
}

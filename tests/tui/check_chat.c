/* client: the protocol state machine fed with scripted server bytes and a
 * fake clock: the framed dialect, plain and tutorial servers, pending
 * messages across reconnects, pastes, local commands and hostile input. */
#include "check_tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat.h"
#include "chatfix.h"
#include "editline.h"
#include "hostport.h"
#include "sanitize.h"

static struct chatlog tlog;
static struct status st;
static struct chat cl;
static int64_t now;

static void setup(void)
{
    ck_assert_int_eq(chatlog_init(&tlog, 100), 0);
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

/* Everything queued for the server since the last call. */
static const char *out(void)
{
    return chatfix_out(&cl);
}

static enum chat_action feed(const char *s)
{
    return chat_on_bytes(&cl, s, strlen(s));
}

static struct entry *last(void)
{
    return chatfix_last(&tlog);
}

/* The newest entry of a kind, or NULL. */
static struct entry *last_of(enum entry_kind k)
{
    for (size_t i = chatlog_count(&tlog); i > 0; i--)
        if (chatlog_at(&tlog, i - 1)->kind == k)
            return chatlog_at(&tlog, i - 1);
    return NULL;
}

/* Whether an entry of kind k holds text. */
static bool log_has(enum entry_kind k, const char *text)
{
    for (size_t i = 0; i < chatlog_count(&tlog); i++)
        if (chatlog_at(&tlog, i)->kind == k && strstr(chatlog_at(&tlog, i)->text, text))
            return true;
    return false;
}

static size_t count_of(enum entry_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < chatlog_count(&tlog); i++)
        n += chatlog_at(&tlog, i)->kind == k;
    return n;
}

static void connect_framed(void)
{
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    ck_assert_int_eq(st.state, CONN_CONNECTING);
    feed("WELCOME alice threads 2 classroom\n");
    ck_assert_int_eq(st.state, CONN_CONNECTED);
    ck_assert_int_eq(cl.dialect, DIALECT_FRAMED);
}

START_TEST(test_handshake_and_ping)
{
    connect_framed();
    ck_assert_str_eq(st.nick, "alice");
    ck_assert_str_eq(st.mode, "threads");
    ck_assert_uint_eq(st.users, 2);
    ck_assert_int_eq(chat_tick(&cl), CHAT_NONE);
    ck_assert_str_eq(out(), "PING c1\n");
    advance(3);
    feed("PONG c1\n");
    ck_assert_int_eq(st.latency_ms, 3);
    /* The next probe waits for the interval. */
    chat_tick(&cl);
    ck_assert_str_eq(out(), "");
    advance(CHAT_PING_MS);
    chat_tick(&cl);
    ck_assert_str_eq(out(), "PING c2\n");
    /* A PONG that is not ours (a /ping) is shown, not measured. */
    feed("PONG hello\n");
    ck_assert_str_eq(last()->text, "pong hello");
    /* A PING from the server is answered. */
    feed("PING srv7\n");
    ck_assert_str_eq(out(), "PONG srv7\n");
}
END_TEST

START_TEST(test_nick_taken)
{
    chat_on_connect(&cl);
    out();
    feed("WELCOME guest3 single 1 srv\n");
    ck_assert_str_eq(st.nick, "guest3");
    ck_assert_ptr_nonnull(strstr(last()->text, "alice was not available"));
    /* After a reconnect (a server restart) it does not ask for alice again:
     * the alice who had the name must get it back, not whoever is first. */
    chat_on_disconnect(&cl, "connection reset");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 guest3\n");
    size_t n = chatlog_count(&tlog);
    feed("WELCOME guest7 single 1 srv\n");
    ck_assert_ptr_null(strstr(chatlog_at(&tlog, n)->text, "not available")); /* no news */
    ck_assert_ptr_null(strstr(last()->text, "not available"));
}
END_TEST

/* A nick that looks like guestN is one the server never grants (it applies
 * nick_reserved() as the client does): getting a fresh guestN instead is
 * no news, as for guest12 itself. */
START_TEST(test_nick_guest_lookalike)
{
    static const char *const wants[] = {"guest12", "Guest12", "guestl2", "guestO", "guest1_"};
    for (size_t i = 0; i < sizeof wants / sizeof wants[0]; i++) {
        chat_free(&cl);
        chat_init(&cl, &tlog, &st, wants[i]);
        chat_set_server(&cl, "127.0.0.1", "5000");
        chat_clock(&cl, now, 1700000000);
        chat_on_connect(&cl);
        char hello[64];
        snprintf(hello, sizeof hello, "HELLO sockchat/2 %s\n", wants[i]);
        ck_assert_str_eq(out(), hello);
        size_t n = chatlog_count(&tlog);
        feed("WELCOME guest3 single 1 srv\n");
        ck_assert_str_eq(st.nick, "guest3");
        for (size_t k = n; k < chatlog_count(&tlog); k++)
            ck_assert_msg(strstr(chatlog_at(&tlog, k)->text, "not available") == NULL,
                          "asked for %s: %s", wants[i], chatlog_at(&tlog, k)->text);
    }
}
END_TEST

/* Our own nick, held by our own dead connection after a reconnect: it is
 * asked for again, and taken back when that connection leaves. */
START_TEST(test_nick_held_by_our_ghost)
{
    connect_framed(); /* alice, granted */
    chat_on_disconnect(&cl, "no answer from the server");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("WELCOME guest3 threads 2 srv\n");
    ck_assert_str_eq(st.nick, "guest3");
    out();
    feed("LEAVE alice 1 lost connection\n");
    ck_assert_str_eq(out(), "MSG 1 /nick alice\n");
    feed("NICK guest3 alice\n");
    ck_assert_str_eq(st.nick, "alice");
    chat_on_disconnect(&cl, "x");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
}
END_TEST

START_TEST(test_chat_ack_rtt)
{
    connect_framed();
    chat_tick(&cl);
    out();
    ck_assert_int_eq(chat_submit(&cl, "hello world"), CHAT_NONE);
    ck_assert_str_eq(out(), "MSG 1 hello world\n");
    struct entry *e = last();
    ck_assert_int_eq(e->kind, ENTRY_SELF);
    ck_assert_str_eq(e->nick, "alice");
    ck_assert_int_eq(e->delivery, DELIVERY_PENDING);
    ck_assert_uint_eq(st.pending, 1);
    advance(12);
    feed("CHAT 1700000001 bob hi alice\n"); /* others' traffic in between */
    feed("ACK 1\n");
    ck_assert_int_eq(e->delivery, DELIVERY_DONE);
    ck_assert_uint_eq(e->rtt_ms, 12);
    ck_assert_uint_eq(st.pending, 0);
    struct entry *c = last_of(ENTRY_CHAT);
    ck_assert_str_eq(c->nick, "bob");
    ck_assert_str_eq(c->text, "hi alice");
    ck_assert_int_eq(c->time, 1700000001);
    /* A stray or repeated ACK changes nothing. */
    feed("ACK 1\nACK 99\n");
    ck_assert_uint_eq(st.pending, 0);
}
END_TEST

START_TEST(test_events)
{
    connect_framed();
    feed("JOIN bob 3\n");
    ck_assert_uint_eq(st.users, 3);
    ck_assert_int_eq(last()->kind, ENTRY_JOIN);
    ck_assert_str_eq(last()->text, "bob joined (3 online)");
    feed("ACTION 1700000002 bob waves\n");
    ck_assert_int_eq(last()->kind, ENTRY_ACTION);
    ck_assert_str_eq(last()->nick, "bob");
    feed("PRIV 1700000003 bob alice psst\n");
    ck_assert_int_eq(last()->kind, ENTRY_PRIV);
    ck_assert_str_eq(last()->nick, "bob -> alice");
    ck_assert_str_eq(last()->text, "psst");
    feed("NICK bob robert\n");
    ck_assert_str_eq(last()->text, "bob is now known as robert");
    feed("NICK alice alicia\n");
    ck_assert_str_eq(st.nick, "alicia");
    feed("LEAVE robert 2 quit bye all\n");
    ck_assert_int_eq(last()->kind, ENTRY_LEAVE);
    ck_assert_str_eq(last()->text, "robert left (quit: bye all), 2 online");
    ck_assert_uint_eq(st.users, 2);
    feed("LEAVE carol 1 lost connection\n");
    ck_assert_str_eq(last()->text, "carol left (lost connection), 1 online");
    feed("OUT alice, carol\n");
    ck_assert_int_eq(last()->kind, ENTRY_OUT);
    ck_assert_str_eq(last()->text, "alice, carol");
    feed("ERR unknown-command unknown command /x (try /help)\n");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    ck_assert_str_eq(last()->text, "unknown command /x (try /help)");
    feed("NOTICE class ends at 3\n");
    ck_assert_int_eq(last()->kind, ENTRY_NOTICE);
    feed("SHUTDOWN maintenance\n");
    ck_assert_str_eq(last()->text, "server shutting down: maintenance");
    /* A newer server's type is shown, never fatal. */
    feed("FROBNICATE 1 2 3\n");
    ck_assert_int_eq(last()->kind, ENTRY_OUT);
    ck_assert_str_eq(last()->text, "FROBNICATE 1 2 3");
    feed("ACK notanumber\n");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
}
END_TEST

START_TEST(test_completions)
{
    connect_framed();
    feed("JOIN bob 2\nCHAT 1 carol hi\n");
    const char *c[64];
    size_t n = chat_completions(&cl, c, 64);
    bool bob = false, carol = false, self = false, help = false;
    for (size_t i = 0; i < n; i++) {
        bob |= strcmp(c[i], "bob") == 0;
        carol |= strcmp(c[i], "carol") == 0;
        self |= strcmp(c[i], "alice") == 0;
        help |= strcmp(c[i], "/help") == 0;
    }
    ck_assert(bob && carol && help && !self);
    feed("LEAVE bob 1 quit\n");
    n = chat_completions(&cl, c, 64);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_ne(c[i], "bob");
}
END_TEST

START_TEST(test_pending_while_down)
{
    /* Typed before any connection: kept, not lost; and a retry waiting
     * out its backoff may start now (issue 10 item 6). */
    ck_assert_int_eq(chat_submit(&cl, "early bird"), CHAT_RETRY_NOW);
    ck_assert_str_eq(out(), "");
    ck_assert_uint_eq(st.pending, 1);
    uint64_t seq = last()->seq;
    connect_framed();
    ck_assert_str_eq(out(), "MSG 1 early bird\n");
    feed("ACK 1\n");
    ck_assert_int_eq(chatlog_find(&tlog, seq)->delivery, DELIVERY_DONE);
}
END_TEST

START_TEST(test_resend_after_reconnect)
{
    connect_framed();
    chat_submit(&cl, "one");
    chat_submit(&cl, "two");
    ck_assert_str_eq(out(), "MSG 1 one\nMSG 2 two\n");
    feed("ACK 1\n");
    uint64_t two = last()->seq;
    size_t selfs = count_of(ENTRY_SELF);
    chat_on_disconnect(&cl, "connection closed by the server");
    ck_assert_uint_eq(st.pending, 1);
    ck_assert_ptr_nonnull(strstr(last()->text, "1 message will be sent again"));
    chat_submit(&cl, "three");
    ck_assert_str_eq(out(), "");
    /* Bytes arriving while down are ignored. */
    feed("ACK 2\n");
    ck_assert_int_eq(chatlog_find(&tlog, two)->delivery, DELIVERY_PENDING);
    advance(2000);
    connect_framed();
    ck_assert_str_eq(out(), "MSG 2 two\nMSG 3 three\n");
    advance(4);
    feed("ACK 2\nACK 3\n");
    /* The same entries are marked, no duplicates were added. */
    ck_assert_int_eq(chatlog_find(&tlog, two)->delivery, DELIVERY_DONE);
    ck_assert_uint_eq(chatlog_find(&tlog, two)->rtt_ms, 4);
    ck_assert_uint_eq(count_of(ENTRY_SELF), selfs + 1);
    ck_assert_uint_eq(st.pending, 0);
}
END_TEST

/* After a reconnect the server's history repeats what the log shows:
 * those lines are left out, what is new is shown. */
START_TEST(test_history_not_repeated)
{
    connect_framed();
    feed("CHAT 1699990000 bob old one\nCHAT 1699990001 carol old two\n");
    chat_submit(&cl, "mine");
    feed("ACK 1\n");
    feed("ACTION 1699990010 bob waves\nCHAT 1699990020 bob hi\n");
    size_t chats = count_of(ENTRY_CHAT), actions = count_of(ENTRY_ACTION);
    ck_assert_uint_eq(chats, 3);
    chat_on_disconnect(&cl, "connection reset");
    advance(2000);
    connect_framed();
    /* The server's history: its oldest line fell out of it, and one came
     * while we were away. Our own line comes back with the server's time. */
    feed("CHAT 1699990001 carol old two\nCHAT 1699990015 alice mine\n"
         "ACTION 1699990010 bob waves\nCHAT 1699990020 bob hi\n"
         "CHAT 1699990030 bob said while you were away\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), chats + 1);
    ck_assert_uint_eq(count_of(ENTRY_ACTION), actions);
    ck_assert_str_eq(last()->text, "said while you were away");
    struct entry *note = chatlog_at(&tlog, chatlog_count(&tlog) - 2);
    ck_assert_int_eq(note->kind, ENTRY_LOCAL);
    ck_assert_str_eq(note->text, "4 earlier messages already shown above, not repeated");
    /* After the replay everything is shown, even a line like an old one. */
    feed("CHAT 1699990020 bob hi\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), chats + 2);
}
END_TEST

/* A server whose history was too long for its byte bound says so in a
 * NOTICE between the WELCOME and the history: shown, and the lines after
 * it are still recognised as already shown. A NOTICE after the first
 * history line ends the replay as any other line does. */
START_TEST(test_history_replay_after_note)
{
    connect_framed();
    feed("CHAT 1700000000 bob one\nCHAT 1700000001 bob two\n");
    size_t chats = count_of(ENTRY_CHAT), notices = count_of(ENTRY_NOTICE);
    chat_on_disconnect(&cl, "connection reset");
    connect_framed();
    feed("NOTICE 40 older messages not shown (history is limited to 256 KiB)\n"
         "CHAT 1700000000 bob one\nCHAT 1700000001 bob two\nJOIN dave 3\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), chats);
    ck_assert_uint_eq(count_of(ENTRY_NOTICE), notices + 1);
    ck_assert_str_eq(last_of(ENTRY_NOTICE)->text,
                     "40 older messages not shown (history is limited to 256 KiB)");
    ck_assert_str_eq(chatlog_at(&tlog, chatlog_count(&tlog) - 2)->text,
                     "2 earlier messages already shown above, not repeated");

    chat_on_disconnect(&cl, "connection reset");
    connect_framed();
    feed("CHAT 1700000000 bob one\nNOTICE the operator says hi\nCHAT 1700000001 bob two\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), chats + 1);
}
END_TEST

/* The server orders an own line when it arrives; the log, when it was
 * sent: a line from someone else can sit between them. */
START_TEST(test_history_replay_crossing)
{
    connect_framed();
    feed("CHAT 1700000000 bob one\n");
    chat_submit(&cl, "mine");
    feed("CHAT 1700000000 bob two\nACK 1\nCHAT 1700000001 bob three\n");
    size_t chats = count_of(ENTRY_CHAT), selfs = count_of(ENTRY_SELF);
    chat_on_disconnect(&cl, "connection reset");
    connect_framed();
    feed("CHAT 1700000000 bob one\nCHAT 1700000000 bob two\nCHAT 1700000000 alice mine\n"
         "CHAT 1700000001 bob three\nJOIN dave 3\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), chats);
    ck_assert_uint_eq(count_of(ENTRY_SELF), selfs);
    ck_assert_str_eq(chatlog_at(&tlog, chatlog_count(&tlog) - 2)->text,
                     "4 earlier messages already shown above, not repeated");
}
END_TEST

/* Someone else has a nick one had before (guest numbers start again after
 * a server restart) and says the same words: a new message, shown. */
START_TEST(test_history_replay_reused_nick)
{
    chat_on_connect(&cl);
    out();
    feed("WELCOME guest3 threads 1 srv\n");
    chat_submit(&cl, "hello");
    feed("ACK 1\n");
    size_t chats = count_of(ENTRY_CHAT);
    chat_on_disconnect(&cl, "connection reset");
    advance(600000);
    chat_on_connect(&cl);
    out();
    feed("WELCOME guest1 threads 2 srv\nCHAT 1700000600 guest3 hello\n"
         "CHAT 1700000601 carol is anyone there?\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), chats + 2);
}
END_TEST

/* A line typed while offline never reached the server: a history line
 * with the same words (someone else, now called alice) is new. */
START_TEST(test_history_replay_offline_line)
{
    connect_framed();
    feed("CHAT 1700000000 bob x\n");
    chat_on_disconnect(&cl, "connection reset");
    chat_submit(&cl, "ok"); /* pending, never written */
    size_t chats = count_of(ENTRY_CHAT);
    chat_on_connect(&cl);
    out();
    feed("WELCOME guest4 threads 2 srv\nCHAT 1700000000 bob x\nCHAT 1700000005 alice ok\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), chats + 1);
    ck_assert_str_eq(last_of(ENTRY_CHAT)->text, "ok");
}
END_TEST

START_TEST(test_history_replay_mismatch_shows)
{
    connect_framed();
    feed("CHAT 1699990000 bob same words\n");
    chat_on_disconnect(&cl, "connection reset");
    connect_framed();
    /* Same nick and words at another time: another message. */
    feed("CHAT 1699990000 bob same words\nCHAT 1699990005 bob same words\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), 2);
    /* A cleared log has nothing to compare with: all of it is shown. */
    chat_submit(&cl, "/clear");
    chat_on_disconnect(&cl, "connection reset");
    connect_framed();
    feed("CHAT 1699990000 bob same words\nCHAT 1699990005 bob same words\n");
    ck_assert_uint_eq(count_of(ENTRY_CHAT), 2);
}
END_TEST

/* With a session token, every WELCOME is followed by SESSION before any
 * resend, so the server can tell a resend from a new message. */
START_TEST(test_session_before_resend)
{
    ck_assert_int_eq(chat_set_session(&cl, "short"), -1);
    ck_assert_int_eq(chat_set_session(&cl, "bad-token-1"), -1);
    ck_assert_int_eq(chat_set_session(&cl, "0123456789abcdef"), 0);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("WELCOME alice threads 2 classroom\n");
    ck_assert_str_eq(out(), "SESSION 0123456789abcdef\n");
    chat_submit(&cl, "one");
    ck_assert_str_eq(out(), "MSG 1 one\n");
    chat_on_disconnect(&cl, "connection reset");
    advance(2000);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("WELCOME alice threads 2 classroom\n");
    ck_assert_str_eq(out(), "SESSION 0123456789abcdef\nMSG 1 one\n");
    /* A plain server never hears of it. */
    chat_on_disconnect(&cl, "connection reset");
    advance(2000);
    chat_on_connect(&cl);
    out();
    feed("Welcome to a line server\n");
    ck_assert_ptr_null(strstr(out(), "SESSION"));
}
END_TEST

START_TEST(test_pacing_and_slow_down)
{
    connect_framed();
    for (int i = 0; i < CHAT_RATE_BURST + 5; i++) {
        char t[16];
        snprintf(t, sizeof(t), "m%d", i);
        chat_submit(&cl, t);
    }
    /* A burst goes out at once, the rest is paced. */
    char want[32];
    const char *o = out();
    snprintf(want, sizeof(want), "MSG %d m%d\n", CHAT_RATE_BURST, CHAT_RATE_BURST - 1);
    ck_assert_ptr_nonnull(strstr(o, want));
    snprintf(want, sizeof(want), "MSG %d ", CHAT_RATE_BURST + 1);
    ck_assert_ptr_null(strstr(o, want));
    ck_assert_int_le(chat_next_timeout(&cl), 100);
    advance(1000);
    chat_tick(&cl);
    o = out();
    snprintf(want, sizeof(want), "MSG %d m%d\n", CHAT_RATE_BURST + 1, CHAT_RATE_BURST);
    ck_assert_ptr_nonnull(strstr(o, want));
    snprintf(want, sizeof(want), "MSG %d m%d\n", CHAT_RATE_BURST + 5, CHAT_RATE_BURST + 4);
    ck_assert_ptr_nonnull(strstr(o, want));
    /* The server refuses the oldest one in flight: it is sent again after
     * a pause, not lost. */
    feed("ERR slow-down too many messages\n");
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    chat_tick(&cl);
    ck_assert_str_eq(out(), "");
    advance(1000);
    chat_tick(&cl);
    ck_assert_str_eq(out(), "MSG 1 m0\n");
}
END_TEST

START_TEST(test_ping_dead)
{
    connect_framed();
    chat_tick(&cl);
    ck_assert_str_eq(out(), "PING c1\n");
    advance(CHAT_PING_DEAD_MS - 1);
    ck_assert_int_eq(chat_tick(&cl), CHAT_NONE);
    advance(1);
    ck_assert_int_eq(chat_tick(&cl), CHAT_DISCONNECT);
}
END_TEST

START_TEST(test_split_welcome)
{
    chat_on_connect(&cl);
    out();
    feed("WEL");
    ck_assert_int_eq(cl.dialect, DIALECT_UNKNOWN);
    feed("COME alice single 1 s\nCHAT 5 bob hi\nCH");
    ck_assert_int_eq(cl.dialect, DIALECT_FRAMED);
    ck_assert_str_eq(last()->text, "hi");
    feed("AT 6 bob there\n");
    ck_assert_str_eq(last()->text, "there");
}
END_TEST

/* The tutorial's server: "Message received" with no newline, one per recv. */
START_TEST(test_tutorial_server)
{
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("Message received"); /* its answer to the HELLO line */
    ck_assert_int_eq(cl.dialect, DIALECT_PLAIN);
    ck_assert(cl.raw);
    ck_assert_int_eq(st.state, CONN_CONNECTED);
    ck_assert_str_eq(st.mode, "plain server");
    ck_assert_int_eq(last()->kind, ENTRY_REPLY);
    ck_assert_str_eq(last()->text, "Message received");
    char bar[256];
    status_format(&st, bar, sizeof(bar));
    ck_assert_ptr_nonnull(strstr(bar, "plain server"));

    chat_submit(&cl, "hello");
    ck_assert_str_eq(out(), "hello"); /* as client.py: no newline */
    struct entry *first = last_of(ENTRY_SELF);
    chat_submit(&cl, "second");
    ck_assert_str_eq(out(), ""); /* one at a time: waits for the reply */
    advance(7);
    feed("Message received");
    ck_assert_int_eq(first->delivery, DELIVERY_DONE);
    ck_assert_uint_eq(first->rtt_ms, 7);
    ck_assert_str_eq(out(), "second");
    feed("Message received");
    ck_assert_uint_eq(st.pending, 0);
    ck_assert_uint_eq(count_of(ENTRY_REPLY), 3);
    /* exit is sent as the tutorial's client sends it, then we quit. */
    ck_assert_int_eq(chat_submit(&cl, "exit"), CHAT_QUIT);
    ck_assert_str_eq(out(), "exit");
}
END_TEST

START_TEST(test_plain_line_server)
{
    chat_on_connect(&cl);
    out();
    feed("unknown command HELLO\r\n");
    ck_assert_int_eq(cl.dialect, DIALECT_PLAIN);
    ck_assert(!cl.raw);
    ck_assert_str_eq(last()->text, "unknown command HELLO");
    chat_submit(&cl, "a");
    chat_submit(&cl, "b");
    ck_assert_str_eq(out(), "a\nb\n");
    /* Commands go as text to a plain server. */
    chat_submit(&cl, "/who");
    ck_assert_str_eq(out(), "/who\n");
    feed("ok a\nok b\n");
    ck_assert_uint_eq(st.pending, 1);
}
END_TEST

/* A single-threaded sockchat server serving someone else greets only when
 * it gets to us: the client first takes it for a silent line server, then
 * must switch, resend what it wrote meanwhile, and hide the refusals. */
START_TEST(test_late_greeting)
{
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    advance(CHAT_GREETING_MS);
    chat_tick(&cl);
    /* Not "plain server", not "connected": nobody knows yet (issue 10
     * item 7). */
    ck_assert_int_eq(st.state, CONN_NO_GREETING);
    ck_assert_str_eq(st.mode, "");
    char bar[256];
    status_format(&st, bar, sizeof(bar));
    ck_assert_ptr_nonnull(strstr(bar, "waiting: no greeting yet"));
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_LOCAL)->text, "stays pending"));
    chat_submit(&cl, "am I in?");
    chat_submit(&cl, "/who");
    ck_assert_str_eq(out(), "am I in?\n/who\n");
    /* Written, but nobody has read it: pending, not "sent". */
    ck_assert_int_eq(last_of(ENTRY_SELF)->delivery, DELIVERY_PENDING);
    ck_assert_uint_eq(st.pending, 2);
    chat_submit(&cl, "still queued"); /* in the output buffer, not written */
    size_t errs = count_of(ENTRY_ERR);
    advance(10000);
    feed("WELCOME alice single 1 srv\nCHAT 1699990000 bob from the history\n");
    ck_assert_int_eq(cl.dialect, DIALECT_FRAMED);
    ck_assert_str_eq(st.mode, "single");
    ck_assert_uint_eq(st.pending, 3);
    ck_assert_int_eq(last_of(ENTRY_SELF)->delivery, DELIVERY_PENDING);
    bool told = false;
    for (size_t i = 0; i < chatlog_count(&tlog); i++)
        told |= strstr(chatlog_at(&tlog, i)->text, "greeted after all") != NULL &&
                strstr(chatlog_at(&tlog, i)->text, "3 messages sent again") != NULL;
    ck_assert(told);
    /* The queued text line still goes out (and is refused), then the MSGs,
     * with their own ids (SESSION knows them), and what was text to a
     * "plain" server stays text: "/who" was typed as words, not run. */
    ck_assert_str_eq(out(), "still queued\nMSG 1 am I in?\nMSG 2 //who\nMSG 3 still queued\n");
    feed("ERR protocol unexpected UNKNOWN line\nERR protocol unexpected UNKNOWN line\n"
         "ERR protocol unexpected UNKNOWN line\nACK 1\nACK 2\nACK 3\n");
    ck_assert_uint_eq(count_of(ENTRY_ERR), errs);
    ck_assert_uint_eq(st.pending, 0);
    ck_assert_int_eq(last_of(ENTRY_SELF)->delivery, DELIVERY_DONE);
    /* Only as many refusals as lines written are hidden. */
    feed("ERR protocol unexpected UNKNOWN line\n");
    ck_assert_uint_eq(count_of(ENTRY_ERR), errs + 1);
}
END_TEST

START_TEST(test_silent_server)
{
    /* Typed while the server has not said anything yet. */
    chat_on_connect(&cl);
    out();
    chat_submit(&cl, "early");
    struct entry *early = last_of(ENTRY_SELF);
    advance(CHAT_GREETING_MS - 1);
    chat_tick(&cl);
    ck_assert_int_eq(cl.dialect, DIALECT_UNKNOWN);
    ck_assert_int_eq(early->delivery, DELIVERY_PENDING);
    advance(1);
    chat_tick(&cl);
    ck_assert_int_eq(st.state, CONN_NO_GREETING);
    ck_assert_str_eq(st.mode, "");
    /* A server that answers nothing (nc -l): the message is written, so
     * that such a server gets it, but stays pending: nobody said it was
     * read (a busy single-mode server has not read it). */
    ck_assert_str_eq(out(), "early\n");
    ck_assert_int_eq(early->delivery, DELIVERY_PENDING);
    ck_assert_uint_eq(st.pending, 1);
    chat_submit(&cl, "anyone?");
    struct entry *any = last_of(ENTRY_SELF);
    ck_assert_str_eq(out(), "anyone?\n");
    ck_assert_int_eq(any->delivery, DELIVERY_PENDING);
    ck_assert_uint_eq(st.pending, 2);
    /* It answers after all: a line server, line by line, the first answer
     * being the one to the HELLO line. */
    feed("what?\n");
    ck_assert_int_eq(st.state, CONN_CONNECTED);
    ck_assert_str_eq(st.mode, "plain server");
    ck_assert_int_eq(last()->kind, ENTRY_REPLY);
    ck_assert_str_eq(last()->text, "what?");
    ck_assert_int_eq(early->delivery, DELIVERY_PENDING);
    feed("ok early\n");
    ck_assert_int_eq(early->delivery, DELIVERY_DONE);
    ck_assert_int_eq(any->delivery, DELIVERY_PENDING);
    /* Written but lost with the connection: stays pending, is sent again. */
    chat_on_disconnect(&cl, "connection closed by the server");
    ck_assert_int_eq(any->delivery, DELIVERY_PENDING);
    ck_assert_uint_eq(st.pending, 1);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("what?\n");
    ck_assert_str_eq(out(), "anyone?\n");
    ck_assert_int_eq(any->delivery, DELIVERY_PENDING);
    feed("ok\n");
    ck_assert_int_eq(any->delivery, DELIVERY_DONE);
}
END_TEST

/* The tutorial's server.py serves one client at a time too: a second
 * client waits without a greeting, then gets one "Message received" (no
 * newline) for everything written meanwhile, read in one recv(). */
START_TEST(test_tutorial_server_busy)
{
    chat_on_connect(&cl);
    out();
    advance(CHAT_GREETING_MS);
    chat_tick(&cl);
    chat_submit(&cl, "one");
    chat_submit(&cl, "two");
    ck_assert_str_eq(out(), "one\ntwo\n");
    ck_assert_uint_eq(st.pending, 2);
    advance(5);
    feed("Message received");
    ck_assert_int_eq(cl.dialect, DIALECT_PLAIN);
    ck_assert(cl.raw);
    ck_assert_uint_eq(st.pending, 0);
    ck_assert_int_eq(last_of(ENTRY_SELF)->delivery, DELIVERY_DONE);
    /* From now on as the tutorial's client: one at a time, no newline. */
    chat_submit(&cl, "three");
    chat_submit(&cl, "four");
    ck_assert_str_eq(out(), "three");
    feed("Message received");
    ck_assert_str_eq(out(), "four");
}
END_TEST

/* ---- servers that are no chat server (issue 10 item 6) ---------------- */

START_TEST(test_not_chat_ssh)
{
    snprintf(st.server, sizeof(st.server), "127.0.0.1:22");
    chat_on_connect(&cl);
    out();
    chat_submit(&cl, "hello?");
    /* The banner may come in pieces: the line is waited for whole. */
    ck_assert_int_eq(feed("SSH-2.0-Open"), CHAT_NONE);
    ck_assert_int_eq(cl.dialect, DIALECT_UNKNOWN);
    ck_assert_int_eq(feed("SSH_9.2p1\r\nInvalid SSH identification string.\r\n"), CHAT_GIVE_UP);
    ck_assert_int_eq(st.state, CONN_FAILED);
    ck_assert_str_eq(st.reason, "not a chat server");
    bool told = false;
    for (size_t i = 0; i < chatlog_count(&tlog); i++)
        told |= strcmp(chatlog_at(&tlog, i)->text,
                       "127.0.0.1:22 is not a chat server: it said \"SSH-2.0-OpenSSH_9.2p1\"") == 0;
    ck_assert(told);
    ck_assert_ptr_nonnull(strstr(last()->text, "/reconnect"));
    ck_assert_str_eq(out(), ""); /* nothing of ours went to it */
    chat_on_disconnect(&cl, "not a chat server");
    ck_assert_uint_eq(st.pending, 1); /* kept for a later /connect */
    /* /reconnect asks the loop to try again; a new connection starts clean. */
    ck_assert_int_eq(chat_submit(&cl, "/reconnect"), CHAT_RECONNECT);
    ck_assert_int_eq(chat_submit(&cl, "/reconnect now"), CHAT_NONE);
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    connect_framed();
    ck_assert_int_eq(cl.refused, false);
}
END_TEST

START_TEST(test_not_chat_http)
{
    snprintf(st.server, sizeof(st.server), "127.0.0.1:8000");
    chat_on_connect(&cl);
    out();
    ck_assert_int_eq(feed("HTTP/1.0 400 Bad request version ('alice')\r\n"
                          "Content-Type: text/html\r\n\r\n<html>\x1b[2J</html>"),
                     CHAT_GIVE_UP);
    ck_assert_str_eq(last_of(ENTRY_ERR)->text, "127.0.0.1:8000 is not a chat server: it said "
                                               "\"HTTP/1.0 400 Bad request version ('alice')\"");
    /* Most web servers take our HELLO line for a request without an HTTP
     * version, and answer as to HTTP/0.9: the page alone. */
    chat_on_disconnect(&cl, "x");
    chat_on_connect(&cl);
    out();
    ck_assert_int_eq(feed("<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n"
                          "<title>Error response</title>\n"),
                     CHAT_GIVE_UP);
    ck_assert_str_eq(last_of(ENTRY_ERR)->text, "127.0.0.1:8000 is not a chat server: it sent a "
                                               "web page titled \"Error response\"");
    chat_on_disconnect(&cl, "x");
    chat_on_connect(&cl);
    out();
    ck_assert_int_eq(feed("<html>"), CHAT_NONE); /* the line is waited for */
    ck_assert_int_eq(feed("\r\n<head><title>400 Bad Request</title></head>\r\n"), CHAT_GIVE_UP);
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_ERR)->text, "web page titled \"400 Bad Request\""));
}
END_TEST

START_TEST(test_not_chat_binary)
{
    snprintf(st.server, sizeof(st.server), "127.0.0.1:443");
    chat_on_connect(&cl);
    out();
    /* A TLS alert: what a TLS server answers a plain-text line with. */
    static const char alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32};
    ck_assert_int_eq(chat_on_bytes(&cl, alert, sizeof(alert)), CHAT_GIVE_UP);
    ck_assert_str_eq(last_of(ENTRY_ERR)->text, "127.0.0.1:443 is not a chat server: it sent 7 "
                                               "bytes of binary data (15 03 03 00 02 02 32)");
    /* telnetd's option negotiation: no NUL, but no text either. */
    chat_on_disconnect(&cl, "x");
    chat_on_connect(&cl);
    out();
    ck_assert_int_eq(feed("\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"), CHAT_GIVE_UP);
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_ERR)->text, "12 bytes of binary data (ff fd 18"));
}
END_TEST

/* An SSH server that closes before its banner's line ended, or a late
 * HTTP answer to a connection already waiting without a greeting. */
START_TEST(test_not_chat_late)
{
    chat_on_connect(&cl);
    out();
    ck_assert_int_eq(feed("SSH-1.99-old"), CHAT_NONE);
    chat_on_disconnect(&cl, "connection closed by the server");
    ck_assert(cl.refused);
    ck_assert_int_eq(st.state, CONN_FAILED);
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_ERR)->text, "it said \"SSH-1.99-old\""));

    chat_on_connect(&cl);
    out();
    advance(CHAT_GREETING_MS);
    chat_tick(&cl);
    ck_assert_int_eq(st.state, CONN_NO_GREETING);
    ck_assert_int_eq(feed("HTTP/1.1 408 Request Timeout\r\n\r\n"), CHAT_GIVE_UP);
    ck_assert_int_eq(st.state, CONN_FAILED);

    /* A telltale start that never ends is judged when the greeting time
     * runs out. */
    chat_on_disconnect(&cl, "x");
    chat_on_connect(&cl);
    out();
    ck_assert_int_eq(feed("HTTP/1.1 200 OK"), CHAT_NONE);
    advance(CHAT_GREETING_MS);
    ck_assert_int_eq(chat_tick(&cl), CHAT_GIVE_UP);
}
END_TEST

/* What a chat server, or a person, can say first is not judged foreign:
 * the tutorial's reply, a line server, nc with a person typing, escapes (a
 * hostile but textual server), Latin-1, a refusal before closing. */
START_TEST(test_chat_servers_not_foreign)
{
    static const char *const firsts[] = {
        "Message received",
        "unknown command HELLO\r\n",
        "SSH-ing into the lab is not allowed here\n",
        "HTTP/ is not a version\n",
        "\x1b[2JMessage \x1b]0;PWNED\x07received\x07",
        "caf\xe9 ouvert\n",
        "error: server full, try again later\n",
        "<html> hi, my nick is html\n", /* a plain chat server's history */
        "<bob> <!doctype html> is how a page starts\n",
        "\xe6\x97\xa5\xe6\x9c\xac\xe8", /* UTF-8 cut at the end of a read */
        "S",
    };
    for (size_t i = 0; i < sizeof(firsts) / sizeof(*firsts); i++) {
        chat_on_connect(&cl);
        out();
        ck_assert_int_eq(feed(firsts[i]), CHAT_NONE);
        if (cl.dialect == DIALECT_UNKNOWN) /* "S" may start "SSH-": waited for */
            chat_on_disconnect(&cl, "closed");
        else
            ck_assert_int_eq(cl.dialect, DIALECT_PLAIN);
        ck_assert_msg(!cl.refused, "%s taken for no chat server", firsts[i]);
        chat_on_disconnect(&cl, "next");
    }
    ck_assert_str_eq(last_of(ENTRY_REPLY)->text, "S"); /* shown, not lost */
}
END_TEST

/* ---- access control (server --password) ------------------------------- */

START_TEST(test_hello_carries_password)
{
    ck_assert_int_eq(chat_set_password(&cl, "open sesame", "127.0.0.1", "5000"), 0);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice open sesame\n");
    feed("WELCOME alice threads 1 s\n");
    ck_assert_int_eq(st.state, CONN_CONNECTED);
    /* Again on every reconnect. */
    chat_on_disconnect(&cl, "connection closed by the server");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice open sesame\n");
    /* What cannot travel in one line is refused, and none is kept. */
    ck_assert_int_eq(chat_set_password(&cl, "a\nb", "127.0.0.1", "5000"), -1);
    ck_assert_str_eq(cl.given.text, "");
    char big[CHAT_PASSWORD_MAX + 2];
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(chat_set_password(&cl, big, "127.0.0.1", "5000"), -1);
    big[CHAT_PASSWORD_MAX] = '\0';
    ck_assert_int_eq(chat_set_password(&cl, big, "127.0.0.1", "5000"), 0);
    chat_on_disconnect(&cl, "x");
    chat_on_connect(&cl);
    ck_assert_uint_eq(strlen(out()), strlen("HELLO sockchat/2 alice \n") + CHAT_PASSWORD_MAX);
}
END_TEST

START_TEST(test_wrong_password_asks)
{
    chat_set_password(&cl, "guess", "127.0.0.1", "5000");
    chat_submit(&cl, "waiting");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice guess\n");
    /* The error line may come in pieces, and the close right after it. */
    ck_assert_int_eq(feed("ERR au"), CHAT_NONE);
    ck_assert_int_eq(feed("th wrong password\n"), CHAT_ASK_PASSWORD);
    ck_assert_int_eq(st.state, CONN_FAILED);
    char bar[256];
    status_state_text(&st, bar, sizeof(bar));
    ck_assert_str_eq(bar, "failed: wrong password");
    ck_assert_ptr_nonnull(last_of(ENTRY_ERR));
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_ERR)->text, "wrong password"));
    /* Nothing was sent past the HELLO; the message stays pending. */
    ck_assert_str_eq(out(), "");
    ck_assert_uint_eq(st.pending, 1);
    chat_on_disconnect(&cl, st.reason);
    ck_assert_ptr_nonnull(strstr(last()->text, "1 message not sent yet"));
    ck_assert_ptr_null(strstr(last()->text, "sent again"));
    ck_assert_int_eq(st.state, CONN_FAILED);
    ck_assert_int_eq(chat_tick(&cl), CHAT_NONE);
    ck_assert_str_eq(out(), "");
    /* /connect starts afresh: the new attempt is not refused in advance. */
    chat_set_password(&cl, "right", "127.0.0.1", "5000");
    chat_on_connect(&cl);
    ck_assert(!cl.refused);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice right\n");
    ck_assert_int_eq(feed("WELCOME alice threads 1 s\n"), CHAT_NONE);
    ck_assert_str_eq(out(), "MSG 1 waiting\n");
}
END_TEST

/* Issue 11 item 10: the password given at start-up goes to the server it
 * was given for, and nowhere else: not to another host after /connect,
 * not to "localhost" for "127.0.0.1" (nothing is resolved), not to another
 * port. The same host and port again (its port spelled "05000", the host
 * in capitals) gets it. */
START_TEST(test_password_only_for_its_server)
{
    ck_assert_int_eq(chat_set_password(&cl, "s3cret", "127.0.0.1", "5000"), 0);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice s3cret\n");
    feed("WELCOME alice threads 1 s\n");
    out();
    ck_assert_int_eq(chat_submit(&cl, "/connect evil.example 5000"), CHAT_CONNECT);
    out(); /* the goodbye */
    chat_on_disconnect(&cl, "switching server");
    /* What the event loop does on CHAT_CONNECT. */
    chat_set_server(&cl, cl.connect_host, cl.connect_port);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    static const char *const others[][2] = {
        {"localhost", "5000"}, {"127.0.0.1", "5001"}, {"127.0.0.2", "5000"}, {"::1", "5000"}};
    for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++) {
        chat_on_disconnect(&cl, "x");
        chat_set_server(&cl, others[i][0], others[i][1]);
        chat_on_connect(&cl);
        ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    }
    /* Back where it was given: it goes again. */
    chat_on_disconnect(&cl, "x");
    chat_set_server(&cl, "127.0.0.1", "05000");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice s3cret\n");
    chat_on_disconnect(&cl, "x");
    ck_assert_int_eq(chat_set_password(&cl, "n4me", "Chat.Example", "5000"), 0);
    chat_set_server(&cl, "chat.example", "5000");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice n4me\n");
    /* A server without a password of ours that wants one: the user is
     * asked, not sent another server's. */
    chat_on_disconnect(&cl, "x");
    chat_set_server(&cl, "elsewhere", "5000");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    ck_assert_int_eq(feed("ERR auth this server needs a password\n"), CHAT_ASK_PASSWORD);
    ck_assert_str_eq(st.reason, "the server needs a password");
}
END_TEST

static bool log_contains(const char *s)
{
    for (size_t i = 0; i < chatlog_count(&tlog); i++)
        if (strstr(chatlog_at(&tlog, i)->text, s))
            return true;
    return false;
}

/* Issue 11 item 11: a password typed at the prompt is sent to the server
 * that asked, again after a drop, is forgotten when that server refuses it
 * or when another server is chosen, wins over a given one for the same
 * server, and never shows in the log. */
START_TEST(test_typed_password)
{
    chat_submit(&cl, "typed offline");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    ck_assert_int_eq(feed("ERR auth this server needs a password\n"), CHAT_ASK_PASSWORD);
    chat_on_disconnect(&cl, st.reason);
    ck_assert_int_eq(chat_set_typed_password(&cl, "tYped-1"), 0);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice tYped-1\n");
    ck_assert_int_eq(feed("ERR auth wrong password\n"), CHAT_ASK_PASSWORD);
    ck_assert_str_eq(st.reason, "wrong password");
    ck_assert_str_eq(cl.typed.text, ""); /* wrong: never sent again */
    chat_on_disconnect(&cl, st.reason);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    chat_on_disconnect(&cl, "x");
    ck_assert_int_eq(chat_set_typed_password(&cl, "tYped-2"), 0);
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice tYped-2\n");
    /* The address is locked for a while after the wrong one: not judged,
     * so kept, and the reconnect waits as long as the server says. */
    ck_assert_int_eq(feed("ERR auth-wait too many wrong passwords from your address; try "
                          "again in 3 s\n"),
                     CHAT_NONE);
    ck_assert_uint_eq(cl.auth_wait_s, 3);
    chat_on_disconnect(&cl, "connection closed by the server");
    chat_on_connect(&cl);
    ck_assert_uint_eq(cl.auth_wait_s, 0);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice tYped-2\n");
    ck_assert_int_eq(feed("WELCOME alice threads 1 s\n"), CHAT_NONE);
    ck_assert_int_eq(st.state, CONN_CONNECTED);
    ck_assert_str_eq(out(), "MSG 1 typed offline\n");
    /* A drop: the same server gets it again. */
    chat_on_disconnect(&cl, "reset");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice tYped-2\n");
    /* It beats a given one for the same server, which is kept for later. */
    chat_set_password(&cl, "given", "127.0.0.1", "5000");
    chat_on_disconnect(&cl, "reset");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice tYped-2\n");
    /* Another server: the typed one is forgotten, not sent there nor back. */
    chat_on_disconnect(&cl, "switching server");
    chat_set_server(&cl, "10.1.1.1", "5000");
    ck_assert_str_eq(cl.typed.text, "");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    chat_on_disconnect(&cl, "switching server");
    chat_set_server(&cl, "127.0.0.1", "5000");
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice given\n");
    ck_assert(!log_contains("tYped"));
    ck_assert(!log_contains("given"));
    /* A hostile server's wait is bounded. */
    feed("ERR auth-wait try again in 99999999999 s\n");
    ck_assert_uint_eq(cl.auth_wait_s, CHAT_AUTH_WAIT_MAX_S);
}
END_TEST

START_TEST(test_auth_wait_retries)
{
    /* Locked out for someone else's typo (one NAT address): not our
     * password's fault, so the usual reconnect will try again. */
    chat_set_password(&cl, "right", "127.0.0.1", "5000");
    chat_on_connect(&cl);
    out();
    ck_assert_int_eq(feed("ERR auth-wait too many wrong passwords from your address; try "
                          "again in 1 s\n"),
                     CHAT_NONE);
    ck_assert(!cl.refused);
    ck_assert_int_ne(st.state, CONN_FAILED);
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_ERR)->text, "try again in 1 s"));
}
END_TEST

START_TEST(test_muted_message_fails)
{
    /* A muted person's message is refused for good: not left pending (to
     * be sent again on every reconnect), and the reason is shown. */
    connect_framed();
    chat_tick(&cl);
    out();
    chat_submit(&cl, "can I talk");
    struct entry *e = last();
    ck_assert_int_eq(e->delivery, DELIVERY_PENDING);
    feed("ERR muted you are muted (9m00s left): you can read, not write\n");
    ck_assert_int_eq(e->delivery, DELIVERY_FAILED);
    ck_assert_uint_eq(st.pending, 0);
    ck_assert_str_eq(last_of(ENTRY_ERR)->text,
                     "you are muted (9m00s left): you can read, not write");
    ck_assert_int_eq(st.state, CONN_CONNECTED);
    /* The leave of a kicked person, as this server words it. */
    feed("LEAVE bob 1 kicked: spamming the room\n");
    ck_assert_str_eq(last()->text, "bob left (kicked: spamming the room), 1 online");
}
END_TEST

START_TEST(test_kicked_stays_out)
{
    connect_framed();
    ck_assert_int_eq(feed("ERR kicked you were kicked by the operator: stop that\n"), CHAT_GIVE_UP);
    ck_assert_int_eq(st.state, CONN_FAILED);
    ck_assert_str_eq(st.reason, "you were kicked by the operator: stop that");
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_ERR)->text, "stop that"));
    ck_assert_ptr_nonnull(strstr(last()->text, "/connect"));
}
END_TEST

START_TEST(test_password_missing)
{
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    /* Bytes after the error (the server closes soon anyway) change nothing. */
    ck_assert_int_eq(feed("ERR auth this server needs a password\nNOTICE x\n"), CHAT_ASK_PASSWORD);
    ck_assert_int_eq(st.state, CONN_FAILED);
    ck_assert_str_eq(st.reason, "the server needs a password");
}
END_TEST

START_TEST(test_other_errors_do_not_give_up)
{
    connect_framed();
    ck_assert_int_eq(feed("ERR unknown-command unknown command /x (try /help)\n"), CHAT_NONE);
    ck_assert_int_eq(feed("ERR full the server is full\n"), CHAT_NONE);
    ck_assert_int_eq(st.state, CONN_CONNECTED);
    /* A plain server saying "ERR auth" is just text. */
    chat_on_disconnect(&cl, "x");
    chat_on_connect(&cl);
    out();
    ck_assert_int_eq(feed("hello there\nERR auth nope\n"), CHAT_NONE);
    ck_assert_int_eq(cl.dialect, DIALECT_PLAIN);
    ck_assert_int_eq(st.state, CONN_CONNECTED);
}
END_TEST

static void assert_all_safe(void)
{
    for (size_t i = 0; i < chatlog_count(&tlog); i++) {
        const struct entry *e = chatlog_at(&tlog, i);
        const char *parts[2] = {e->nick, e->text};
        for (int k = 0; k < 2; k++) {
            size_t n = strlen(parts[k]);
            ck_assert_uint_eq(utf8_valid_prefix(parts[k], n), n);
            for (size_t j = 0; j < n; j++) {
                unsigned char ch = (unsigned char)parts[k][j];
                ck_assert_msg(ch >= 0x20 && ch != 0x7F, "control 0x%02x in entry %zu: %s", ch, i,
                              parts[k]);
            }
            /* C1 controls as UTF-8 (U+0080-U+009F) must not survive either. */
            for (size_t j = 0; j + 1 < n; j++)
                ck_assert(!((unsigned char)parts[k][j] == 0xC2 &&
                            (unsigned char)parts[k][j + 1] >= 0x80 &&
                            (unsigned char)parts[k][j + 1] <= 0x9F));
        }
    }
    for (const char *p = st.nick; *p; p++)
        ck_assert_uint_ge((unsigned char)*p, 0x20);
    for (const char *p = st.mode; *p; p++)
        ck_assert_uint_ge((unsigned char)*p, 0x20);
}

START_TEST(test_hostile_framed)
{
    chat_on_connect(&cl);
    out();
    feed("WELCOME ali\x1b[5mce thr\x1b]0;x\x07"
         "eads 2 evil\x1b[2J\n");
    feed("CHAT 1 mallory before \x1b]2;PWNED\x07 \x1b[5mblink\x1b[0m \x1b[?1049l ctl:\x01\x7f: "
         "\xc2\x9b"
         "31m after\n");
    ck_assert_ptr_nonnull(strstr(last()->text, "before"));
    ck_assert_ptr_nonnull(strstr(last()->text, "after"));
    ck_assert_ptr_null(strstr(last()->text, "PWNED"));
    feed("CHAT 1 bad\x1b[5mnick text\n");
    feed("NICK mallory evil\x1b[5m\n");
    feed("OUT \xff\xfe invalid utf-8 \xe6\x97\n");
    feed("ERR x\x1b y\x9b\n");
    feed("NOTICE \x1b]52;c;UFdORUQ=\x07 clip\n");
    feed("PRIV 1 a\x07 b\x1b c\x1b[K\n");
    feed("\x1b[2J\x1b]0;title\x07\n");
    char nul[] = "CHAT 1 nul te\0xt\n";
    chat_on_bytes(&cl, nul, sizeof(nul) - 1);
    assert_all_safe();
}
END_TEST

START_TEST(test_hostile_plain)
{
    chat_on_connect(&cl);
    out();
    feed("\x1b[2JMessage \x1b]0;PWNED\x07received\x07");
    ck_assert_int_eq(cl.dialect, DIALECT_PLAIN);
    feed("line\x1b[31m two\r\n\x9b\xff\n");
    assert_all_safe();
    ck_assert_ptr_null(strstr(chatlog_at(&tlog, 1)->text, "PWNED"));
}
END_TEST

/* Issue 11 item 13: a server that floods PINGs and never reads our PONGs
 * grows our output to CHAT_OUT_MAX and no further: then the client
 * disconnects, saying why, and the user's pending message is kept for the
 * reconnect. A PING with an overlong token is not answered at all. */
START_TEST(test_output_cap)
{
    connect_framed();
    out();
    feed("PING c\n"); /* short tokens are answered */
    ck_assert_str_eq(out(), "PONG c\n");
    char *big = malloc(4100 * 16);
    size_t bl = 0;
    for (int i = 0; i < 16; i++) {
        memcpy(big + bl, "PING ", 5);
        memset(big + bl + 5, 'T', 4000);
        big[bl + 4005] = '\n';
        bl += 4006;
    }
    ck_assert_int_eq(chat_on_bytes(&cl, big, bl), CHAT_NONE);
    ck_assert_str_eq(out(), "");
    ck_assert_uint_eq(count_of(ENTRY_ERR), 1); /* said once, not 16 times */
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_ERR)->text, "not answered"));
    free(big);

    chat_submit(&cl, "keep me");
    ck_assert_str_eq(out(), "MSG 1 keep me\n");
    /* 64-byte tokens, 70 bytes a line: about 15,000 PINGs fill 1 MiB. */
    enum { PER = 1000 };
    char *chunk = malloc((size_t)PER * 70);
    for (int i = 0; i < PER; i++) {
        memcpy(chunk + (size_t)i * 70, "PING ", 5);
        memset(chunk + (size_t)i * 70 + 5, 'a' + i % 26, 64);
        chunk[(size_t)i * 70 + 69] = '\n';
    }
    enum chat_action act = CHAT_NONE;
    int rounds = 0;
    size_t before = 0;
    while (act == CHAT_NONE && rounds < 100) {
        size_t len;
        chat_output(&cl, &before);
        act = chat_on_bytes(&cl, chunk, (size_t)PER * 70);
        chat_output(&cl, &len);
        ck_assert_uint_le(len, CHAT_OUT_MAX);
        rounds++;
    }
    free(chunk);
    ck_assert_int_eq(act, CHAT_DISCONNECT);
    ck_assert_int_gt(rounds, (int)(CHAT_OUT_MAX / (PER * 70)) - 1);
    ck_assert_uint_gt(before, CHAT_OUT_MAX - PER * 70); /* it was full, not cut early */
    ck_assert_str_eq(cl.drop_reason, "the server is not reading what we send");
    /* Further bytes and ticks change nothing until the caller drops it. */
    ck_assert_int_eq(chat_tick(&cl), CHAT_DISCONNECT);
    chat_on_disconnect(&cl, cl.drop_reason);
    ck_assert_ptr_nonnull(strstr(last()->text, "the server is not reading what we send"));
    ck_assert_ptr_nonnull(strstr(last()->text, "1 message will be sent again"));
    ck_assert_uint_eq(st.pending, 1);
    size_t len;
    chat_output(&cl, &len);
    ck_assert_uint_eq(len, 0);
    /* The next connection starts afresh and resends it. */
    chat_on_connect(&cl);
    ck_assert_str_eq(out(), "HELLO sockchat/2 alice\n");
    feed("WELCOME alice threads 1 s\n");
    ck_assert_str_eq(out(), "MSG 1 keep me\n");
    feed("PING again\n");
    ck_assert_str_eq(out(), "PONG again\n");
}
END_TEST

/* Our own messages never fill the output towards CHAT_OUT_MAX: to a
 * plain server (unpaced) 500 long lines are queued as it reads, never more
 * than CHAT_OUT_LOW and a line at a time, and all of them go. */
START_TEST(test_own_output_follows_reads)
{
    chat_on_connect(&cl);
    out();
    feed("unknown command HELLO\n");
    ck_assert_int_eq(cl.dialect, DIALECT_PLAIN);
    char line[EDITLINE_MAX + 1];
    memset(line, 'm', EDITLINE_MAX);
    line[EDITLINE_MAX] = '\0';
    for (int i = 0; i < CHAT_PENDING_MAX; i++) {
        ck_assert_int_eq(chat_submit(&cl, line), CHAT_NONE);
        size_t len;
        chat_output(&cl, &len);
        ck_assert_uint_le(len, CHAT_OUT_LOW + EDITLINE_MAX + 1);
    }
    ck_assert_uint_eq(st.pending, CHAT_PENDING_MAX);
    ck_assert_int_eq(chat_tick(&cl), CHAT_NONE);
    /* The server reads: the rest follow, each line once. */
    size_t total = 0;
    for (int i = 0; i < 100; i++) {
        size_t len;
        chat_output(&cl, &len);
        if (len == 0)
            break;
        total += len;
        chat_consume(&cl, len);
    }
    ck_assert_uint_eq(total, (size_t)CHAT_PENDING_MAX * (EDITLINE_MAX + 1));
}
END_TEST

START_TEST(test_overlong_line)
{
    connect_framed();
    size_t n = 3 * LINE_MAX_BYTES;
    char *big = malloc(n + 16);
    memcpy(big, "OUT ", 4);
    memset(big + 4, 'x', n - 4);
    big[n] = '\n';
    chat_on_bytes(&cl, big, n + 1);
    free(big);
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    feed("OUT fine\n");
    ck_assert_str_eq(last()->text, "fine");
    /* 2 * LINE_MAX_BYTES is still accepted. */
    n = 2 * LINE_MAX_BYTES;
    big = malloc(n + 1);
    memcpy(big, "OUT ", 4);
    memset(big + 4, 'y', n - 4);
    big[n] = '\n';
    chat_on_bytes(&cl, big, n + 1);
    free(big);
    ck_assert_int_eq(last()->kind, ENTRY_OUT);
    ck_assert_uint_eq(strlen(last()->text), n - 4);
}
END_TEST

START_TEST(test_local_commands)
{
    connect_framed();
    chat_tick(&cl);
    out();
    ck_assert_int_eq(chat_submit(&cl, "   "), CHAT_NONE);
    ck_assert_str_eq(out(), "");
    ck_assert_int_eq(chat_submit(&cl, "/help"), CHAT_NONE);
    ck_assert_str_eq(out(), "MSG 1 /help\n");
    ck_assert(log_has(ENTRY_LOCAL, "/connect HOST"));
    ck_assert(log_has(ENTRY_LOCAL, "/wire"));
    ck_assert(log_has(ENTRY_LOCAL, "F2 or /wire"));
    /* /wire is the client's: nothing sent, in any dialect. */
    ck_assert_int_eq(chat_submit(&cl, "/wire"), CHAT_WIRE);
    ck_assert_str_eq(out(), "");
    ck_assert_int_eq(chat_submit(&cl, "/wire on"), CHAT_NONE);
    ck_assert_str_eq(out(), "");
    ck_assert_ptr_nonnull(strstr(last_of(ENTRY_ERR)->text, "usage: /wire"));
    ck_assert_int_eq(chat_submit(&cl, "/who"), CHAT_NONE);
    ck_assert_str_eq(out(), "MSG 2 /who\n");
    ck_assert_uint_eq(st.pending, 0); /* commands get OUT, not ACK */
    ck_assert_int_eq(chat_submit(&cl, "/me waves"), CHAT_NONE);
    ck_assert_str_eq(out(), "MSG 3 /me waves\n");
    ck_assert_int_eq(last()->kind, ENTRY_ACTION);
    ck_assert_int_eq(last()->delivery, DELIVERY_PENDING);
    feed("ACK 3\n");
    ck_assert_int_eq(last_of(ENTRY_ACTION)->delivery, DELIVERY_DONE);
    ck_assert_int_eq(chat_submit(&cl, "//not a command"), CHAT_NONE);
    ck_assert_str_eq(out(), "MSG 4 //not a command\n");
    /* The server drops one '/', so the entry shows what the others see. */
    ck_assert_str_eq(last_of(ENTRY_SELF)->text, "/not a command");
    ck_assert_int_eq(chat_submit(&cl, "/connect example.org 6000"), CHAT_CONNECT);
    ck_assert_str_eq(cl.connect_host, "example.org");
    ck_assert_str_eq(cl.connect_port, "6000");
    /* It leaves the current server politely (the loop writes this before
     * closing). */
    ck_assert_str_eq(out(), "MSG 5 /quit\n");
    chat_on_disconnect(&cl, "switching server");
    ck_assert_int_eq(chat_submit(&cl, "/connect ::1"), CHAT_CONNECT);
    ck_assert_str_eq(cl.connect_host, "::1");
    ck_assert_str_eq(cl.connect_port, "5000");
    /* As the server's log prints addresses. */
    ck_assert_int_eq(chat_submit(&cl, "/connect 192.0.2.10:6001"), CHAT_CONNECT);
    ck_assert_str_eq(cl.connect_host, "192.0.2.10");
    ck_assert_str_eq(cl.connect_port, "6001");
    ck_assert_int_eq(chat_submit(&cl, "/connect [fd00::2]:6002"), CHAT_CONNECT);
    ck_assert_str_eq(cl.connect_host, "fd00::2");
    ck_assert_str_eq(cl.connect_port, "6002");
    ck_assert_int_eq(chat_submit(&cl, "/connect host:port"), CHAT_NONE);
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    ck_assert_int_eq(chat_submit(&cl, "/connect"), CHAT_NONE);
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    ck_assert_int_eq(chat_submit(&cl, "/clear"), CHAT_CLEAR);
    ck_assert_uint_eq(chatlog_count(&tlog), 0);
    connect_framed();
    out();
    ck_assert_int_eq(chat_submit(&cl, "/quit see you"), CHAT_QUIT);
    ck_assert_str_eq(out(), "MSG 6 /quit see you\n");
    ck_assert_int_eq(chat_submit(&cl, "EXIT"), CHAT_QUIT);
    /* The server closes on " exit " too: the client must quit on it, not
     * see its connection drop and reconnect. */
    ck_assert_int_eq(chat_submit(&cl, " exit "), CHAT_QUIT);
    ck_assert_int_eq(chat_submit(&cl, "exit now"), CHAT_NONE);
}
END_TEST

/* /help and the usage errors come from one table: the usage a command
 * answers a wrong call with is, word for word, what /help lists for it. */
START_TEST(test_help_matches_usage)
{
    static const char *const wrong[] = {"/connect", "/reconnect now"};
    ck_assert_int_eq(chat_submit(&cl, "/help"), CHAT_NONE);
    size_t help_end = chatlog_count(&tlog);
    for (size_t w = 0; w < sizeof(wrong) / sizeof(*wrong); w++) {
        ck_assert_int_eq(chat_submit(&cl, wrong[w]), CHAT_NONE);
        const char *usage = last_of(ENTRY_ERR)->text;
        ck_assert_msg(strncmp(usage, "usage: ", 7) == 0, "%s: %s", wrong[w], usage);
        bool listed = false;
        for (size_t i = 0; i < help_end; i++) {
            const struct entry *e = chatlog_at(&tlog, i);
            listed |= e->kind == ENTRY_LOCAL && strstr(e->text, usage + 7) != NULL;
        }
        ck_assert_msg(listed, "/help does not list \"%s\"", usage + 7);
    }
}
END_TEST

START_TEST(test_commands_while_down)
{
    ck_assert_int_eq(chat_submit(&cl, "/who"), CHAT_NONE);
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    ck_assert_ptr_nonnull(strstr(last()->text, "not connected"));
    ck_assert_int_eq(chat_submit(&cl, "/quit"), CHAT_QUIT);
    ck_assert_str_eq(out(), "");
}
END_TEST

START_TEST(test_paste_small)
{
    connect_framed();
    chat_tick(&cl);
    out();
    const char *p = "first line\r\n/quit\n\nexit\n  \n/nick mallory";
    size_t notes = count_of(ENTRY_LOCAL);
    ck_assert_int_eq(chat_paste(&cl, p, strlen(p), false), CHAT_NONE);
    /* Three messages, all chat: a pasted /command is escaped, blank lines
     * are skipped, and exit (which every server closes on) is not sent. */
    ck_assert_str_eq(out(), "MSG 1 first line\nMSG 2 //quit\nMSG 3 //nick mallory\n");
    ck_assert_uint_eq(count_of(ENTRY_SELF), 3);
    ck_assert_uint_eq(count_of(ENTRY_LOCAL), notes + 1);
    ck_assert_str_eq(last()->text, "/nick mallory"); /* shown as pasted */
}
END_TEST

START_TEST(test_paste_asks)
{
    connect_framed();
    chat_tick(&cl);
    out();
    const char *p = "1\n2\n3\n4\n5\n6\n";
    ck_assert_int_eq(chat_paste(&cl, p, strlen(p), false), CHAT_ASK_PASTE);
    ck_assert_uint_eq(cl.npaste, 6);
    ck_assert_str_eq(out(), "");
    chat_paste_answer(&cl, false);
    ck_assert_str_eq(out(), "");
    ck_assert_ptr_nonnull(strstr(last()->text, "not sent"));
    ck_assert_int_eq(chat_paste(&cl, p, strlen(p), false), CHAT_ASK_PASTE);
    chat_paste_answer(&cl, true);
    ck_assert_str_eq(out(), "MSG 1 1\nMSG 2 2\nMSG 3 3\nMSG 4 4\nMSG 5 5\nMSG 6 6\n");
    /* Exactly five lines do not ask. */
    ck_assert_int_eq(chat_paste(&cl, "a\nb\nc\nd\ne", 9, false), CHAT_NONE);
}
END_TEST

START_TEST(test_paste_long_line_split)
{
    connect_framed();
    chat_tick(&cl);
    out();
    /* A 9000-byte line of 3-byte characters becomes three messages, each
     * within the limit and cut between characters. */
    size_t n = 9000;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i += 3)
        memcpy(big + i, "\xe6\x97\xa5", 3);
    ck_assert_int_eq(chat_paste(&cl, big, n, true), CHAT_ASK_PASTE);
    ck_assert_uint_eq(cl.npaste, 3);
    ck_assert_uint_eq(count_of(ENTRY_SELF), 0);
    chat_paste_answer(&cl, false);
    ck_assert_uint_eq(count_of(ENTRY_SELF), 0);
    ck_assert_int_eq(chat_paste(&cl, big, n, false), CHAT_NONE);
    free(big);
    ck_assert_uint_eq(count_of(ENTRY_SELF), 3);
    for (size_t i = 0; i < chatlog_count(&tlog); i++) {
        struct entry *e = chatlog_at(&tlog, i);
        if (e->kind != ENTRY_SELF)
            continue;
        size_t len = strlen(e->text);
        ck_assert_uint_le(len, EDITLINE_MAX);
        ck_assert_uint_eq(utf8_valid_prefix(e->text, len), len);
    }
}
END_TEST

START_TEST(test_hostport)
{
    char h[64], p[8];
    ck_assert_int_eq(hostport_split("example.org", h, sizeof h, p, sizeof p), 0);
    ck_assert_str_eq(h, "example.org");
    ck_assert_int_eq(hostport_split("10.0.2.15:5000", h, sizeof h, p, sizeof p), 1);
    ck_assert_str_eq(h, "10.0.2.15");
    ck_assert_str_eq(p, "5000");
    ck_assert_int_eq(hostport_split("::1", h, sizeof h, p, sizeof p), 0); /* bare IPv6 */
    ck_assert_str_eq(h, "::1");
    ck_assert_int_eq(hostport_split("[::1]", h, sizeof h, p, sizeof p), 0);
    ck_assert_str_eq(h, "::1");
    ck_assert_int_eq(hostport_split("[fd00::2]:47", h, sizeof h, p, sizeof p), 1);
    ck_assert_str_eq(h, "fd00::2");
    ck_assert_str_eq(p, "47");
    const char *bad[] = {"[::1", "[]:5", "h:", ":5", "h:x", "h:123456", "[::1]x", "[::1]:"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(hostport_split(bad[i], h, sizeof h, p, sizeof p) == -1, "%s", bad[i]);
    ck_assert_int_eq(hostport_split("a-very-long-name.example.org", h, 8, p, sizeof p), -1);
}
END_TEST

START_TEST(test_clean_nick)
{
    char n[NICK_MAX + 1];
    chat_clean_nick("john.doe", n, sizeof(n));
    ck_assert_str_eq(n, "john_doe");
    chat_clean_nick("", n, sizeof(n));
    ck_assert_str_eq(n, "guest");
    chat_clean_nick(NULL, n, sizeof(n));
    ck_assert_str_eq(n, "guest");
    chat_clean_nick("abcdefghijklmnopqrstuvwxyz0123", n, sizeof(n));
    ck_assert_uint_eq(strlen(n), NICK_MAX);
    chat_clean_nick("bad nick\x1b", n, sizeof(n));
    ck_assert_str_eq(n, "bad_nick_");
    chat_clean_nick("Zo\xc3\xab \xe6\x97\xa5", n, sizeof(n)); /* one _ per character */
    ck_assert_str_eq(n, "Zo___");
    /* A nick starts with a letter or digit: "-" would pass for our marks. */
    chat_clean_nick("_build-bot", n, sizeof(n));
    ck_assert_str_eq(n, "build-bot");
    chat_clean_nick("--", n, sizeof(n));
    ck_assert_str_eq(n, "guest");
    chat_clean_nick("\xc3\xa9lodie", n, sizeof(n));
    ck_assert_str_eq(n, "lodie");
    /* Said so at the start, not changed in silence. */
    struct chatlog log2;
    struct status st2;
    struct chat c2;
    ck_assert_int_eq(chatlog_init(&log2, 10), 0);
    status_init(&st2);
    chat_init(&c2, &log2, &st2, "Zo\xc3\xab");
    ck_assert_str_eq(st2.nick, "Zo_");
    ck_assert_uint_eq(chatlog_count(&log2), 1);
    ck_assert_ptr_nonnull(strstr(chatlog_at(&log2, 0)->text, "asking for Zo_"));
    chat_free(&c2);
    chatlog_free(&log2);
    /* A leading '_' is dropped: the note gives the rule that dropped it. */
    ck_assert_int_eq(chatlog_init(&log2, 10), 0);
    status_init(&st2);
    chat_init(&c2, &log2, &st2, "_ada");
    ck_assert_str_eq(st2.nick, "ada");
    ck_assert_ptr_nonnull(strstr(chatlog_at(&log2, 0)->text, "starting with a letter or digit"));
    chat_free(&c2);
    chatlog_free(&log2);
}
END_TEST

/* A restricted session (sockchat --restricted, an ssh account's login)
 * stays on its server: /connect elsewhere is refused with a line saying
 * so, nothing is sent, the connection stays; /reconnect to it still works. */
START_TEST(test_restricted_connect)
{
    cl.restricted = true;
    connect_framed();
    ck_assert_int_eq(chat_submit(&cl, "/connect example.org 6000"), CHAT_NONE);
    ck_assert_int_eq(last()->kind, ENTRY_ERR);
    ck_assert_ptr_nonnull(strstr(last()->text, "stays on 127.0.0.1 port 5000"));
    ck_assert_str_eq(out(), "");
    ck_assert_str_eq(cl.connect_host, "");
    ck_assert_int_eq(st.state, CONN_CONNECTED);
    ck_assert_int_eq(chat_submit(&cl, "/connect 127.0.0.1:5000"), CHAT_NONE);
    ck_assert_int_eq(chat_submit(&cl, "/reconnect"), CHAT_RECONNECT);
    /* Unrestricted, the same line connects elsewhere. */
    cl.restricted = false;
    ck_assert_int_eq(chat_submit(&cl, "/connect example.org 6000"), CHAT_CONNECT);
}
END_TEST

Suite *chat_suite(void)
{
    Suite *s = suite_create("client");
    TCase *core = tcase_create("client-core");
    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_test(core, test_handshake_and_ping);
    tcase_add_test(core, test_nick_taken);
    tcase_add_test(core, test_nick_guest_lookalike);
    tcase_add_test(core, test_nick_held_by_our_ghost);
    tcase_add_test(core, test_chat_ack_rtt);
    tcase_add_test(core, test_events);
    tcase_add_test(core, test_completions);
    tcase_add_test(core, test_local_commands);
    tcase_add_test(core, test_help_matches_usage);
    tcase_add_test(core, test_commands_while_down);
    tcase_add_test(core, test_clean_nick);
    tcase_add_test(core, test_hostport);
    tcase_add_test(core, test_restricted_connect);
    suite_add_tcase(s, core);

    TCase *rec = tcase_create("client-reconnect");
    tcase_add_checked_fixture(rec, setup, teardown);
    tcase_add_test(rec, test_pending_while_down);
    tcase_add_test(rec, test_resend_after_reconnect);
    tcase_add_test(rec, test_session_before_resend);
    tcase_add_test(rec, test_history_not_repeated);
    tcase_add_test(rec, test_history_replay_mismatch_shows);
    tcase_add_test(rec, test_history_replay_crossing);
    tcase_add_test(rec, test_history_replay_after_note);
    tcase_add_test(rec, test_history_replay_reused_nick);
    tcase_add_test(rec, test_history_replay_offline_line);
    tcase_add_test(rec, test_pacing_and_slow_down);
    tcase_add_test(rec, test_ping_dead);
    suite_add_tcase(s, rec);

    TCase *dia = tcase_create("client-dialects");
    tcase_add_checked_fixture(dia, setup, teardown);
    tcase_add_test(dia, test_split_welcome);
    tcase_add_test(dia, test_tutorial_server);
    tcase_add_test(dia, test_plain_line_server);
    tcase_add_test(dia, test_silent_server);
    tcase_add_test(dia, test_late_greeting);
    tcase_add_test(dia, test_tutorial_server_busy);
    tcase_add_test(dia, test_not_chat_ssh);
    tcase_add_test(dia, test_not_chat_http);
    tcase_add_test(dia, test_not_chat_binary);
    tcase_add_test(dia, test_not_chat_late);
    tcase_add_test(dia, test_chat_servers_not_foreign);
    suite_add_tcase(s, dia);

    TCase *acc = tcase_create("client-access");
    tcase_add_checked_fixture(acc, setup, teardown);
    tcase_add_test(acc, test_hello_carries_password);
    tcase_add_test(acc, test_wrong_password_asks);
    tcase_add_test(acc, test_password_missing);
    tcase_add_test(acc, test_auth_wait_retries);
    tcase_add_test(acc, test_password_only_for_its_server);
    tcase_add_test(acc, test_typed_password);
    tcase_add_test(acc, test_kicked_stays_out);
    tcase_add_test(acc, test_muted_message_fails);
    tcase_add_test(acc, test_other_errors_do_not_give_up);
    suite_add_tcase(s, acc);

    TCase *hos = tcase_create("client-hostile");
    tcase_add_checked_fixture(hos, setup, teardown);
    tcase_add_test(hos, test_hostile_framed);
    tcase_add_test(hos, test_hostile_plain);
    tcase_add_test(hos, test_overlong_line);
    tcase_add_test(hos, test_output_cap);
    tcase_add_test(hos, test_own_output_follows_reads);
    suite_add_tcase(s, hos);

    TCase *pas = tcase_create("client-paste");
    tcase_add_checked_fixture(pas, setup, teardown);
    tcase_add_test(pas, test_paste_small);
    tcase_add_test(pas, test_paste_asks);
    tcase_add_test(pas, test_paste_long_line_split);
    suite_add_tcase(s, pas);
    return s;
}

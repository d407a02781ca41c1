/* session: dialect detection, framing, relaying, sanitising, rate limits. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "sanitize.h"

/* ---- dialects ---- */

START_TEST(test_raw_tutorial_client)
{
    struct client *c = fx_client("127.0.0.1:1");
    fx_feed(c, "hello");
    ck_assert_int_eq(c->dialect, DIALECT_RAW);
    ck_assert_str_eq(fx_drain(c), "Message received"); /* byte for byte, no LF */
    fx_feed(c, "second message");
    ck_assert_str_eq(fx_drain(c), "Message received");
    ck_assert_int_eq(client_close_state(c, NULL, 0), CLOSE_NONE);
    fx_feed(c, "EXIT");
    ck_assert_str_eq(fx_drain(c), "Message received");
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(c, why, sizeof why), CLOSE_FLUSH);
    ck_assert_str_eq(why, "quit");
}
END_TEST

START_TEST(test_raw_one_reply_per_message)
{
    struct client *c = fx_raw();
    fx_feed(c, "/help");
    const char *out = fx_drain(c);
    ck_assert_ptr_nonnull(strstr(out, "/nick NAME"));
    ck_assert(out[strlen(out) - 1] != '\n'); /* one reply, lines joined */
    fx_feed(c, "/bogus");
    ck_assert_str_eq(fx_drain(c), "error: unknown command /bogus (try /help)");
    fx_feed(c, "   ");
    ck_assert_str_eq(fx_drain(c), "Message received"); /* it waits for a reply */
}
END_TEST

/* The tutorial's client reads one recv(1024) per message. */
START_TEST(test_raw_reply_fits_recv_1024)
{
    for (int i = 0; i < 30; i++) {
        char nick[NICK_MAX + 1];
        snprintf(nick, sizeof nick, "a_rather_long_nick_%02d", i);
        fx_framed(nick);
    }
    struct client *c = fx_raw();
    fx_feed(c, "/who");
    const char *out = fx_drain(c);
    size_t n = strlen(out);
    ck_assert_uint_le(n, 1024);
    ck_assert_ptr_nonnull(strstr(out, "31 connected"));
    const char *mark = strstr(out, "\n[cut: ");
    ck_assert_ptr_nonnull(mark);
    ck_assert_str_eq(out + n - strlen(" more lines]"), " more lines]");

    /* An unknown command's name is echoed cut to 32 bytes, at a character
     * start: the reply stays valid UTF-8 and whole. */
    char cmd[2 + 2 * 600 + 1] = "/x";
    for (int i = 0; i < 600; i++)
        memcpy(cmd + 2 + 2 * i, "\xc3\xa9", 2); /* é */
    cmd[sizeof cmd - 1] = '\0';
    fx_feed(c, cmd);
    out = fx_drain(c);
    n = strlen(out);
    ck_assert_uint_le(n, 1024);
    ck_assert_uint_eq(utf8_valid_prefix(out, n), n);
    ck_assert_str_eq(out + n - strlen("\xc3\xa9 (try /help)"), "\xc3\xa9 (try /help)");
    fx_feed(c, "hello");
    ck_assert_str_eq(fx_drain(c), "Message received");
}
END_TEST

START_TEST(test_pong_token_sanitised)
{
    struct client *c = fx_framed("pinger");
    fx_feed(c, "PING 42\n");
    ck_assert_str_eq(fx_drain(c), "PONG 42\n"); /* ours come back as they were */
    fx_feed(c, "PING a\x7f\xff\n");
    ck_assert_str_eq(fx_drain(c), "PONG a\xe2\x90\xa1\xef\xbf\xbd\n"); /* DEL picture, U+FFFD */
}
END_TEST

START_TEST(test_plain_line_client)
{
    struct client *c = fx_client("127.0.0.1:1");
    fx_feed(c, "hello\n");
    ck_assert_int_eq(c->dialect, DIALECT_PLAIN);
    /* Told its nick once, when it joins (after the history, of which
     * there is none here). */
    ck_assert_str_eq(fx_drain(c), "you are guest1; /nick NAME to change it\nMessage received\n");
    fx_feed(c, "telnet line\r\nand a half");
    ck_assert_str_eq(fx_drain(c), "Message received\n");
    fx_feed(c, " line\n\n");
    ck_assert_str_eq(fx_drain(c), "Message received\n"); /* empty line: nothing */
    fx_feed(c, "exit\n");
    ck_assert_str_eq(fx_drain(c), "Message received\n");
    ck_assert_int_eq(client_close_state(c, NULL, 0), CLOSE_FLUSH);
}
END_TEST

START_TEST(test_framed_hello)
{
    struct client *c = fx_client("127.0.0.1:1");
    fx_feed(c, "HELLO sockchat/1 alice\n");
    ck_assert_int_eq(c->dialect, DIALECT_FRAMED);
    ck_assert_str_eq(fx_drain(c), "WELCOME alice threads 1 testsrv\n"
                                  "OUT you are alice; /nick NAME to change it\n");
    fx_feed(c, "MSG 7 hi\n");
    ck_assert_str_eq(fx_drain(c), "ACK 7\n");
    fx_feed(c, "PING tok\nPING\n");
    ck_assert_str_eq(fx_drain(c), "PONG tok\nPONG\n");
    fx_feed(c, "MSG 8 exit\n");
    ck_assert_str_eq(fx_drain(c), "ACK 8\n");
    ck_assert_int_eq(client_close_state(c, NULL, 0), CLOSE_FLUSH);
}
END_TEST

START_TEST(test_framed_split_anywhere)
{
    struct client *c = fx_client("127.0.0.1:1");
    const char *in = "HELLO sockchat/1 bob\r\nMSG 1 one\nMSG 2 two\r\n";
    /* The first read decides the dialect, and a first read shorter than
     * "HELLO " is the tutorial's client's one-word message; after that,
     * bytes may come one at a time. */
    session_input(c, in, 6);
    for (size_t i = 6; in[i]; i++)
        session_input(c, in + i, 1);
    ck_assert_str_eq(fx_drain(c), "WELCOME bob threads 1 testsrv\n"
                                  "OUT you are bob; /nick NAME to change it\nACK 1\nACK 2\n");
}
END_TEST

START_TEST(test_framed_bad_lines)
{
    struct client *c = fx_framed("alice");
    fx_feed(c, "MSG x hi\nHELLO sockchat/1 again\nACK 3\nFOO bar\n");
    ck_assert_str_eq(fx_drain(c), "ERR protocol malformed MSG line\n"
                                  "ERR protocol already greeted\n"
                                  "ERR protocol unexpected ACK line\n"
                                  "ERR protocol unexpected UNKNOWN line\n");
    fx_feed(c, "MSG 4 \n");
    ck_assert_str_eq(fx_drain(c), "ERR usage empty message\n");
}
END_TEST

START_TEST(test_hello_with_taken_or_bad_nick)
{
    fx_framed("alice");
    struct client *c = fx_client("127.0.0.1:1");
    fx_feed(c, "HELLO sockchat/1 ALICE\n");
    ck_assert_str_eq(fx_drain(c), "WELCOME guest2 threads 2 testsrv\n"
                                  "OUT you are guest2; /nick NAME to change it\n");
    struct client *d = fx_client("127.0.0.1:1");
    fx_feed(d, "HELLO sockchat/1 bad!nick\n");
    ck_assert_str_eq(fx_drain(d), "WELCOME guest3 threads 3 testsrv\n"
                                  "OUT you are guest3; /nick NAME to change it\n");
}
END_TEST

START_TEST(test_hello_typed_by_a_human)
{
    /* "HELLO everyone" into nc is a plain chat line, not a protocol error. */
    struct client *a = fx_framed("alice");
    struct client *c = fx_client("127.0.0.1:1");
    fx_feed(c, "HELLO everyone\n");
    ck_assert_int_eq(c->dialect, DIALECT_PLAIN);
    ck_assert_str_eq(fx_drain(c), "you are guest2; /nick NAME to change it\nMessage received\n");
    ck_assert_str_eq(fx_drain(a), "JOIN guest2 2\nCHAT 1700000000 guest2 HELLO everyone\n");
}
END_TEST

/* ---- relaying ---- */

START_TEST(test_relay_to_each_dialect)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    struct client *r = fx_raw();
    fx_drain(a);
    fx_drain(p);
    fx_feed(a, "MSG 1 hello room\n");
    ck_assert_str_eq(fx_drain(a), "ACK 1\n");
    ck_assert_str_eq(fx_drain(p), "<alice> hello room\n");
    ck_assert_str_eq(fx_drain(r), ""); /* only replies to its own messages */
    fx_feed(p, "from nc\n");
    ck_assert_str_eq(fx_drain(a), "CHAT 1700000000 guest2 from nc\n");
    ck_assert_str_eq(fx_drain(p), "Message received\n");
    fx_feed(r, "from python");
    ck_assert_str_eq(fx_drain(r), "Message received");
    ck_assert_str_eq(fx_drain(a), "CHAT 1700000000 guest3 from python\n");
    ck_assert_str_eq(fx_drain(p), "<guest3> from python\n");
    ck_assert_uint_eq(atomic_load(&fx_srv.st.messages), 3);
}
END_TEST

START_TEST(test_broadcast_is_shared)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    struct client *c = fx_framed("carol");
    fx_drain(a);
    fx_drain(b);
    fx_feed(c, "MSG 1 same bytes\n");
    /* One buffer for every framed receiver (and history). */
    pthread_mutex_lock(&a->lock);
    struct outmsg *ma = a->q.ring[a->q.head];
    pthread_mutex_unlock(&a->lock);
    pthread_mutex_lock(&b->lock);
    struct outmsg *mb = b->q.ring[b->q.head];
    pthread_mutex_unlock(&b->lock);
    ck_assert_ptr_eq(ma, mb);
    ck_assert_uint_eq(atomic_load(&ma->refs), 3);
}
END_TEST

START_TEST(test_history_for_newcomers)
{
    struct client *a = fx_framed("alice");
    char line[64];
    for (int i = 0; i < 25; i++) {
        snprintf(line, sizeof line, "MSG %d m%d\n", i, i);
        fx_feed(a, line);
        fx_clock.mono_ms += 1000; /* within the rate limit */
    }
    struct client *b = fx_client("1.1.1.1:1");
    fx_feed(b, "HELLO sockchat/1 bob\n");
    char want[4096] = "WELCOME bob threads 2 testsrv\n";
    for (int i = 5; i < 25; i++) {
        snprintf(line, sizeof line, "CHAT 1700000000 alice m%d\n", i);
        strcat(want, line);
    }
    /* Who they are comes after the history, where it does not scroll away. */
    strcat(want, "OUT you are bob; /nick NAME to change it\n");
    ck_assert_str_eq(fx_drain(b), want);
    struct client *p = fx_client("1.1.1.1:2");
    fx_feed(p, "hi\n");
    const char *got = fx_drain(p);
    ck_assert(strncmp(got, "<alice> m5\n", 11) == 0);
    ck_assert_ptr_nonnull(
        strstr(got, "<alice> m24\nyou are guest3; /nick NAME to change it\nMessage received\n"));
}
END_TEST

START_TEST(test_join_leave_nick_events)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    ck_assert_str_eq(fx_drain(a), "JOIN bob 2\n");
    fx_feed(b, "MSG 1 /nick robert\n");
    ck_assert_str_eq(fx_drain(b), "NICK bob robert\n");
    ck_assert_str_eq(fx_drain(a), "NICK bob robert\n");
    fx_feed(b, "MSG 2 /quit see you\n");
    ck_assert_str_eq(fx_drain(b), "OUT bye\n");
    ck_assert_str_eq(fx_drain(a), "LEAVE robert 1 quit see you\n");
    fx_end(b);
    ck_assert_str_eq(fx_drain(a), ""); /* announced once */
    struct client *c = fx_framed("carol");
    fx_drain(a);
    (void)c;
    fx_end(c); /* vanished: lost connection */
    ck_assert_str_eq(fx_drain(a), "LEAVE carol 1 lost connection\n");
}
END_TEST

START_TEST(test_input_after_exit_ignored)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    fx_drain(a);
    fx_feed(b, "MSG 1 exit\nMSG 2 not relayed\n");
    ck_assert_str_eq(fx_drain(b), "ACK 1\n");
    ck_assert_str_eq(fx_drain(a), "LEAVE bob 1 quit\n");
}
END_TEST

/* ---- hostile input ---- */

START_TEST(test_overlong_line)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    fx_drain(a);
    static char big[LINE_MAX_BYTES + 100];
    memset(big, 'x', sizeof big - 2);
    big[sizeof big - 2] = '\n';
    fx_feed(p, big);
    ck_assert_str_eq(fx_drain(p), "error: line longer than 4096 bytes, discarded\n");
    ck_assert_str_eq(fx_drain(a), "");
    fx_feed(p, "still here\n");
    ck_assert_str_eq(fx_drain(p), "Message received\n");
    ck_assert_int_eq(client_close_state(p, NULL, 0), CLOSE_NONE);
}
END_TEST

START_TEST(test_longest_line_relayed_whole)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    fx_drain(a);
    static char big[LINE_MAX_BYTES + 2];
    memset(big, 'y', LINE_MAX_BYTES);
    big[LINE_MAX_BYTES] = '\n';
    fx_feed(p, big);
    ck_assert_str_eq(fx_drain(p), "Message received\n");
    const char *got = fx_drain(a);
    ck_assert_uint_eq(strlen(got), strlen("CHAT 1700000000 guest2 ") + LINE_MAX_BYTES + 1);
}
END_TEST

START_TEST(test_nul_and_cr_cannot_forge)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    fx_drain(a);
    const char evil[] = "MSG 1 hi\rCHAT 1 admin pwned\0LEAVE x\n";
    session_input(b, evil, sizeof evil - 1);
    const char *got = fx_drain(a);
    ck_assert_int_eq(strchr(got, '\n') - got, (long)strlen(got) - 1); /* one line */
    ck_assert(strncmp(got, "CHAT 1700000000 bob hi", 22) == 0);
    ck_assert_ptr_null(strchr(got, '\r'));
}
END_TEST

START_TEST(test_escapes_and_bad_utf8)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    fx_drain(a);
    /* (0xff would be telnet's IAC in a plain connection: see check_telnet.) */
    fx_feed(p, "red\x1b[31mtext\x1b]0;title\x07 \xfe\xc0 end\n");
    const char *got = fx_drain(a);
    ck_assert_ptr_null(strchr(got, '\x1b'));
    ck_assert_ptr_null(strchr(got, '\x07'));
    ck_assert_ptr_nonnull(strstr(got, "redtext"));
    ck_assert_ptr_nonnull(strstr(got, "\xef\xbf\xbd")); /* U+FFFD */
}
END_TEST

/* ---- rate limiting ---- */

START_TEST(test_rate_limit_burst_and_refill)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    fx_drain(a);
    char line[64];
    for (int i = 0; i < RATE_BURST; i++) {
        snprintf(line, sizeof line, "MSG %d m\n", i);
        fx_feed(b, line);
    }
    fx_drain(b);
    fx_drain(a);
    fx_feed(b, "MSG 100 too fast\n");
    ck_assert_str_eq(fx_drain(b), "ERR slow-down slow down: at most 10 messages per second\n");
    ck_assert_str_eq(fx_drain(a), ""); /* not relayed */
    fx_feed(b, "PING p\nMSG 101 /ping q\n");
    ck_assert_str_eq(fx_drain(b), "PONG p\nPONG q\n"); /* never limited */
    fx_clock.mono_ms += 100;                           /* 10/s: one more message */
    fx_feed(b, "MSG 102 ok\nMSG 103 no\n");
    ck_assert_str_eq(fx_drain(b),
                     "ACK 102\nERR slow-down slow down: at most 10 messages per second\n");
    fx_clock.mono_ms += 60000; /* refill caps at the burst */
    for (int i = 0; i < RATE_BURST; i++) {
        snprintf(line, sizeof line, "MSG %d m\n", 200 + i);
        fx_feed(b, line);
    }
    fx_feed(b, "MSG 300 over\n");
    ck_assert_ptr_nonnull(strstr(fx_drain(b), "ACK 219\nERR slow-down"));
}
END_TEST

START_TEST(test_rate_zero_is_off)
{
    fx_teardown();
    fx_setup_with(20, 0, 100);
    struct client *b = fx_framed("bob");
    struct client *c = fx_framed("carol");
    for (int i = 0; i < 500; i++)
        fx_feed(b, "MSG 1 m\n");
    const char *got = fx_drain(b);
    ck_assert_ptr_null(strstr(got, "ERR"));
    (void)c;
}
END_TEST

START_TEST(test_rate_allow_direct)
{
    struct client *c = fx_client("x:1");
    int64_t t = fx_clock.mono_ms;
    int ok = 0;
    for (int i = 0; i < 100; i++)
        ok += rate_allow(c, t);
    ck_assert_int_eq(ok, RATE_BURST);
    ck_assert(!rate_allow(c, t + 99));
    ck_assert(rate_allow(c, t + 100));
}
END_TEST

/* ---- slow consumers ---- */

START_TEST(test_slow_consumer_dropped)
{
    fx_teardown();
    fx_setup_with(20, 0, 100);
    struct client *fast = fx_framed("fast");
    struct client *slow = fx_framed("slow");
    struct client *talk = fx_framed("talker");
    fx_drain(fast);
    static char line[LINE_MAX_BYTES];
    memset(line, 'z', sizeof line);
    memcpy(line, "MSG 1 ", 6);
    line[sizeof line - 1] = '\n';
    /* ~4 KiB each: 1100 of them pass the 4 MiB hard limit for the one not
     * reading, within the soft limit's grace time (the clock stands still). */
    for (int i = 0; i < 1100; i++) {
        session_input(talk, line, sizeof line);
        fx_drain(fast);
        fx_drain(talk);
    }
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(slow, why, sizeof why), CLOSE_NOW);
    ck_assert_str_eq(why, "too slow");
    ck_assert_uint_le(slow->q.bytes, OUTQ_MAX_BYTES);
    ck_assert_int_eq(client_close_state(fast, NULL, 0), CLOSE_NONE);
    fx_end(slow);
    ck_assert_str_eq(fx_drain(fast), "LEAVE slow 2 too slow\n");
}
END_TEST

START_TEST(test_slow_consumer_soft_limit)
{
    fx_teardown();
    fx_setup_with(20, 0, 100);
    struct client *slow = fx_framed("slow");
    struct client *talk = fx_framed("talker");
    static char line[LINE_MAX_BYTES];
    memset(line, 'z', sizeof line);
    memcpy(line, "MSG 1 ", 6);
    line[sizeof line - 1] = '\n';
    for (int i = 0; i < 300; i++) { /* 1.2 MiB: past the soft limit only */
        session_input(talk, line, sizeof line);
        fx_drain(talk);
    }
    ck_assert_int_eq(client_close_state(slow, NULL, 0), CLOSE_NONE); /* a burst is fine */
    fx_clock.mono_ms += OUTQ_SOFT_MS / 2;
    session_input(talk, line, sizeof line);
    ck_assert_int_eq(client_close_state(slow, NULL, 0), CLOSE_NONE);
    fx_clock.mono_ms += OUTQ_SOFT_MS;
    session_input(talk, line, sizeof line);
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(slow, why, sizeof why), CLOSE_NOW);
    ck_assert_str_eq(why, "too slow");
}
END_TEST

START_TEST(test_slow_consumer_catches_up)
{
    fx_teardown();
    fx_setup_with(20, 0, 100);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    struct client *busy = client_new(&fx_srv, sv[0], "unix:0");
    registry_add(&fx_srv, busy);
    fx_feed(busy, "HELLO sockchat/1 busy\n");
    struct client *talk = fx_framed("talker");
    static char line[LINE_MAX_BYTES];
    memset(line, 'z', sizeof line);
    memcpy(line, "MSG 1 ", 6);
    line[sizeof line - 1] = '\n';
    static char sink[1 << 16];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 300; i++) /* past the soft limit ... */
            session_input(talk, line, sizeof line);
        fx_drain(talk);
        fx_clock.mono_ms += OUTQ_SOFT_MS - 100;
        /* ... then it reads everything: the grace time starts again. */
        for (int k = 0; k < 10000 && client_has_output(busy); k++) {
            client_flush(busy);
            while (read(sv[1], sink, sizeof sink) > 0)
                ;
        }
        ck_assert(!client_has_output(busy));
    }
    ck_assert_int_eq(client_close_state(busy, NULL, 0), CLOSE_NONE);
    fx_end(busy);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

/* A client past the soft limit that stops reading, with nothing more said
 * in the room: the clock alone must end it, not the next message queued
 * for it (which may never come). */
START_TEST(test_slow_consumer_judged_by_clock)
{
    fx_teardown();
    fx_setup_with(20, 0, 100);
    struct client *slow = fx_framed("slow");
    struct client *talk = fx_framed("talker");
    static char line[LINE_MAX_BYTES];
    memset(line, 'z', sizeof line);
    line[sizeof line - 1] = '\n';
    client_send(slow, line, sizeof line);
    fx_notified = 0;
    while (slow->soft_since_ms == 0)
        client_send(slow, line, sizeof line);
    /* Its owner may be asleep without a deadline (waiting only for its
     * socket): passing the soft limit wakes it, to learn the new one. */
    ck_assert_int_eq(fx_notified, 1);
    int64_t since = slow->soft_since_ms;
    struct client_plan p;
    client_step(slow, fx_clock.mono_ms, &p);
    ck_assert(!p.done);
    ck_assert_int_eq(p.deadline_ms, since + OUTQ_SOFT_MS + 1); /* the owner comes back then */
    fx_clock.mono_ms = since + OUTQ_SOFT_MS;
    client_step(slow, fx_clock.mono_ms, &p);
    ck_assert(!p.done); /* the grace time is not over yet */
    fx_clock.mono_ms = p.deadline_ms;
    client_step(slow, fx_clock.mono_ms, &p);
    ck_assert(p.done);
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(slow, why, sizeof why), CLOSE_NOW);
    ck_assert_str_eq(why, "too slow");
    fx_end(slow);
    ck_assert_str_eq(fx_drain(talk), "LEAVE slow 1 too slow\n");
}
END_TEST

/* Checks that out holds "pong N" lines numbered from *next on; advances it. */
static void expect_pongs(const char *out, unsigned *next)
{
    while (*out != '\0') {
        unsigned n;
        ck_assert_int_eq(sscanf(out, "pong %u\n", &n), 1);
        ck_assert_uint_eq(n, *next);
        (*next)++;
        out = strchr(out, '\n');
        ck_assert_ptr_nonnull(out);
        out++;
    }
}

/* A client that sends requests and does not read the answers: once its
 * queue holds OUTQ_PAUSE_BYTES, the rest of its input waits (and nothing
 * more is read) until it reads; then everything is answered, in order. */
START_TEST(test_input_waits_while_queue_full)
{
    enum { PINGS = 20000 }; /* about 200 KiB of answers in one read */
    for (int telnet = 0; telnet < 2; telnet++) {
        struct client *c = fx_plain();
        char *in = malloc((size_t)PINGS * 16 + 8);
        ck_assert_ptr_nonnull(in);
        size_t len = 0;
        if (telnet) /* DO ECHO: answered, filtered out, the rest goes on */
            len += (size_t)sprintf(in, "\xff\xfd\x01");
        for (unsigned i = 0; i < PINGS; i++)
            len += (size_t)sprintf(in + len, "/ping %u\n", i);
        session_input(c, in, len);
        free(in);
        ck_assert_uint_le(c->q.bytes, OUTQ_PAUSE_BYTES + 64);
        ck_assert_uint_gt(c->backlog_len, 0);
        struct client_plan p;
        client_step(c, fx_clock.mono_ms, &p);
        ck_assert(!p.rd && p.wr);
        ck_assert(!session_resume(c)); /* its queue is still full */
        unsigned next = 0;
        const char *out = fx_drain(c);
        if (telnet) {
            ck_assert(memcmp(out, "\xff\xfc\x01", 3) == 0); /* WONT ECHO */
            out += 3;
        }
        expect_pongs(out, &next);
        for (int round = 0; round < 100 && c->backlog_len > 0; round++) {
            ck_assert(session_resume(c));
            expect_pongs(fx_drain(c), &next);
        }
        ck_assert_uint_eq(next, PINGS);
        ck_assert_uint_eq(c->backlog_len, 0);
        client_step(c, fx_clock.mono_ms, &p);
        ck_assert(p.rd);
        ck_assert_int_eq(client_close_state(c, NULL, 0), CLOSE_NONE);
        fx_end(c);
    }
}
END_TEST

Suite *session_suite(void)
{
    Suite *s = suite_create("session");
    TCase *d = tcase_create("dialects");
    tcase_add_checked_fixture(d, fx_setup, fx_teardown);
    tcase_add_test(d, test_raw_tutorial_client);
    tcase_add_test(d, test_raw_one_reply_per_message);
    tcase_add_test(d, test_raw_reply_fits_recv_1024);
    tcase_add_test(d, test_pong_token_sanitised);
    tcase_add_test(d, test_plain_line_client);
    tcase_add_test(d, test_framed_hello);
    tcase_add_test(d, test_framed_split_anywhere);
    tcase_add_test(d, test_framed_bad_lines);
    tcase_add_test(d, test_hello_with_taken_or_bad_nick);
    tcase_add_test(d, test_hello_typed_by_a_human);
    suite_add_tcase(s, d);
    TCase *r = tcase_create("relay");
    tcase_add_checked_fixture(r, fx_setup, fx_teardown);
    tcase_add_test(r, test_relay_to_each_dialect);
    tcase_add_test(r, test_broadcast_is_shared);
    tcase_add_test(r, test_history_for_newcomers);
    tcase_add_test(r, test_join_leave_nick_events);
    tcase_add_test(r, test_input_after_exit_ignored);
    suite_add_tcase(s, r);
    TCase *h = tcase_create("hostile");
    tcase_add_checked_fixture(h, fx_setup, fx_teardown);
    tcase_add_test(h, test_overlong_line);
    tcase_add_test(h, test_longest_line_relayed_whole);
    tcase_add_test(h, test_nul_and_cr_cannot_forge);
    tcase_add_test(h, test_escapes_and_bad_utf8);
    suite_add_tcase(s, h);
    TCase *l = tcase_create("limits");
    tcase_add_checked_fixture(l, fx_setup, fx_teardown);
    tcase_set_timeout(l, 20);
    tcase_add_test(l, test_rate_limit_burst_and_refill);
    tcase_add_test(l, test_rate_zero_is_off);
    tcase_add_test(l, test_rate_allow_direct);
    tcase_add_test(l, test_slow_consumer_dropped);
    tcase_add_test(l, test_slow_consumer_soft_limit);
    tcase_add_test(l, test_slow_consumer_judged_by_clock);
    tcase_add_test(l, test_input_waits_while_queue_full);
    tcase_add_test(l, test_slow_consumer_catches_up);
    suite_add_tcase(s, l);
    return s;
}

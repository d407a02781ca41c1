/* moderation and operator: kicks, bans and mutes that hold when everyone
 * shares one address (a class on one VM), with the fake clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* ---- the table alone ---- */

static const struct {
    const char *in;
    int64_t ms; /* -1: refused */
} DURATIONS[] = {
    {"30s", 30000}, {"10m", 600000},        {"2h", 7200000}, {"1d", 86400000}, {"1h30m", 5400000},
    {"90s", 90000}, {"7d", 7 * 86400000LL}, {"8d", -1}, /* longer than MOD_DURATION_MAX_MS: that is
                                                           a ban */
    {"5", -1},                                          /* no unit */
    {"m", -1},                                          /* no number */
    {"0m", -1},                                         /* nothing */
    {"5x", -1},     {"10mm", -1},           {"-5m", -1},     {"+5m", -1},      {"99999999s", -1},
    {"", -1},
};

START_TEST(test_parse_duration)
{
    int64_t ms = 0;
    const char *in = DURATIONS[_i].in;
    int rc = mod_parse_duration(in, strlen(in), &ms);
    if (DURATIONS[_i].ms < 0) {
        ck_assert_msg(rc == -1, "%s accepted as %lld ms", in, (long long)ms);
    } else {
        ck_assert_msg(rc == 0, "%s refused", in);
        ck_assert_int_eq(ms, DURATIONS[_i].ms);
    }
}
END_TEST

START_TEST(test_parse_request)
{
    struct mod_request rq;
    char err[256];

    ck_assert_int_eq(mod_parse_request(MOD_KICK, "bob", &rq, err, sizeof err), 0);
    ck_assert_str_eq(rq.target, "bob");
    ck_assert_int_eq(rq.duration_ms, MOD_KICK_DEFAULT_MS);
    ck_assert_str_eq(rq.reason, "");
    ck_assert_int_eq(mod_parse_request(MOD_KICK, "bob 30m spamming the room", &rq, err, sizeof err),
                     0);
    ck_assert_int_eq(rq.duration_ms, 30 * 60000);
    ck_assert_str_eq(rq.reason, "spamming the room");
    /* A reason may start with a digit, as long as it is no duration. */
    ck_assert_int_eq(mod_parse_request(MOD_KICK, "bob 2nd warning", &rq, err, sizeof err), 0);
    ck_assert_int_eq(rq.duration_ms, MOD_KICK_DEFAULT_MS);
    ck_assert_str_eq(rq.reason, "2nd warning");
    ck_assert_int_eq(mod_parse_request(MOD_KICK, "bob 5 spam", &rq, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "bad duration 5"));
    ck_assert_int_eq(mod_parse_request(MOD_KICK, "", &rq, err, sizeof err), -1);
    ck_assert_str_eq(err, "usage: kick NICK [DURATION] [REASON]");
    ck_assert_int_eq(mod_parse_request(MOD_KICK, "127.0.0.1", &rq, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "for an address, ban ADDR"));
    /* Control characters in a reason never reach a terminal. */
    ck_assert_int_eq(mod_parse_request(MOD_KICK, "bob \x1b[2Jgone\x07", &rq, err, sizeof err), 0);
    ck_assert_str_eq(rq.reason, "gone\xe2\x90\x87");

    ck_assert_int_eq(mod_parse_request(MOD_BAN, "bob cheating", &rq, err, sizeof err), 0);
    ck_assert(!rq.by_addr);
    ck_assert_int_eq(rq.duration_ms, 0);
    ck_assert_str_eq(rq.reason, "cheating");
    ck_assert_int_eq(mod_parse_request(MOD_BAN, "10.1.0.0/16", &rq, err, sizeof err), 0);
    ck_assert(rq.by_addr);
    ck_assert_str_eq(rq.target, "10.1.0.0/16");
    /* Normalised as peers are shown: this bans 127.0.0.1. */
    ck_assert_int_eq(mod_parse_request(MOD_BAN, "::ffff:127.0.0.1", &rq, err, sizeof err), 0);
    ck_assert(rq.by_addr);
    ck_assert_str_eq(rq.target, "127.0.0.1");
    ck_assert_int_eq(mod_parse_request(MOD_BAN, "bob 2h", &rq, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "kick NICK 2h"));
    ck_assert_int_eq(mod_parse_request(MOD_BAN, "1.2.3.4/+8", &rq, err, sizeof err), -1);
    ck_assert_int_eq(mod_parse_request(MOD_BAN, "no!such", &rq, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "neither a nick"));

    ck_assert_int_eq(mod_parse_request(MOD_MUTE, "dave", &rq, err, sizeof err), 0);
    ck_assert_int_eq(rq.duration_ms, 0); /* until unmute */
    ck_assert_int_eq(mod_parse_request(MOD_MUTE, "dave 10m be quiet", &rq, err, sizeof err), 0);
    ck_assert_int_eq(rq.duration_ms, 600000);
    ck_assert_str_eq(rq.reason, "be quiet");
}
END_TEST

static struct mod_entry person(enum mod_kind kind, const char *nick, const char *token,
                               int64_t until)
{
    struct mod_entry e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    snprintf(e.nick, sizeof e.nick, "%s", nick);
    snprintf(e.token, sizeof e.token, "%s", token);
    e.until_ms = until;
    return e;
}

struct lines {
    char buf[4096];
};

static void collect(void *arg, const char *line)
{
    struct lines *l = arg;
    strncat(l->buf, line, sizeof l->buf - strlen(l->buf) - 2);
    strcat(l->buf, "\n");
}

START_TEST(test_table_expires_and_replaces)
{
    struct moderation m;
    struct mod_entry got;
    mod_init(&m);
    int64_t t = 1000;
    struct mod_entry k = person(MOD_KICK, "bob", "tok12345", t + 300000);
    ck_assert_int_eq(mod_add(&m, &k, t), 0);
    /* Known by token (our client, any nick) and by nick (any case). */
    ck_assert(mod_find(&m, MOD_KICK, "guest9", "tok12345", NULL, t, &got));
    ck_assert(mod_find(&m, MOD_KICK, "BOB", NULL, NULL, t, &got));
    ck_assert(!mod_find(&m, MOD_KICK, "bobby", "other123", NULL, t, NULL));
    ck_assert(!mod_find(&m, MOD_BAN | MOD_MUTE, "bob", NULL, NULL, t, NULL));
    /* Kicked again: replaced, not doubled. */
    k.until_ms = t + 600000;
    ck_assert_int_eq(mod_add(&m, &k, t), 0);
    ck_assert_uint_eq(m.n, 1);
    ck_assert(mod_find(&m, MOD_KICK, "bob", NULL, NULL, t + 599999, &got));
    ck_assert_int_eq(got.until_ms, t + 600000);
    ck_assert(!mod_find(&m, MOD_KICK, "bob", NULL, NULL, t + 600000, NULL)); /* over */
    ck_assert_uint_eq(m.n, 0);

    /* A ban ends that person's kick, outlasts it, and stays. */
    ck_assert_int_eq(mod_add(&m, &k, t), 0);
    struct mod_entry b = person(MOD_BAN, "Bob", "", 0);
    ck_assert_int_eq(mod_add(&m, &b, t), 0);
    ck_assert_uint_eq(m.n, 1);
    ck_assert(mod_find(&m, MOD_KICK | MOD_BAN, "bob", NULL, NULL, t + 86400000LL * 30, &got));
    ck_assert_int_eq(got.kind, MOD_BAN);

    /* Networks, as typed either way. */
    struct mod_entry a;
    memset(&a, 0, sizeof a);
    a.kind = MOD_BAN;
    a.by_addr = true;
    ck_assert_int_eq(cidr_parse("10.0.0.0/8", &a.net), 0);
    ck_assert_int_eq(mod_add(&m, &a, t), 0);
    struct cidr peer;
    ck_assert_int_eq(addr_parse("10.9.8.7:5", &peer), 0);
    ck_assert(mod_find(&m, MOD_BAN, NULL, NULL, &peer, t, &got));
    ck_assert(got.by_addr);
    ck_assert_int_eq(addr_parse("127.0.0.1:5", &peer), 0);
    ck_assert(!mod_find(&m, MOD_BAN, NULL, NULL, &peer, t, NULL));

    struct mod_entry mu = person(MOD_MUTE, "guest7", "", t + 60000);
    ck_assert_int_eq(mod_add(&m, &mu, t), 0);
    struct lines l = {""};
    mod_list(&m, t + 1500, collect, &l);
    ck_assert_str_eq(l.buf, "3 in force:\n"
                            "  ban  Bob (nick): until unban\n"
                            "  ban  10.0.0.0/8 (address): until unban\n"
                            "  mute guest7 (this connection only): 59s left\n");

    ck_assert_uint_eq(mod_remove(&m, MOD_KICK | MOD_BAN, "10.0.0.0/16", t), 0); /* not that */
    ck_assert_uint_eq(mod_remove(&m, MOD_KICK | MOD_BAN, "::ffff:10.0.0.0/104", t), 1);
    ck_assert_uint_eq(mod_remove(&m, MOD_MUTE, "BOB", t), 0); /* a ban, not a mute */
    ck_assert_uint_eq(mod_remove(&m, MOD_KICK | MOD_BAN, "BOB", t), 1);
    ck_assert_uint_eq(mod_remove(&m, MOD_MUTE, "guest7", t), 1);
    l.buf[0] = '\0';
    mod_list(&m, t, collect, &l);
    ck_assert_str_eq(l.buf, "no bans, kicks or mutes\n");
    mod_free(&m);
}
END_TEST

START_TEST(test_table_is_bounded)
{
    struct moderation m;
    mod_init(&m);
    char nick[16];
    for (int i = 0; i < MOD_MAX; i++) {
        snprintf(nick, sizeof nick, "n%d", i);
        struct mod_entry e = person(MOD_KICK, nick, "", 5000);
        ck_assert_int_eq(mod_add(&m, &e, 0), 0);
    }
    struct mod_entry e = person(MOD_BAN, "onemore", "", 0);
    ck_assert_int_eq(mod_add(&m, &e, 0), -1);
    ck_assert_int_eq(mod_add(&m, &e, 5000), 0); /* the kicks ran out */
    mod_free(&m);
}
END_TEST

/* ---- with people online (the fixture) ---- */

static char msg[512];

static int act(enum mod_kind kind, const char *args)
{
    struct mod_request rq;
    if (mod_parse_request(kind, args, &rq, msg, sizeof msg) < 0)
        return -1;
    return operator_act(&fx_srv, &rq, msg, sizeof msg);
}

static char why[REASON_MAX];

static enum close_kind closing(struct client *c)
{
    return client_close_state(c, why, sizeof why);
}

/* A framed client with a SESSION token, as sockchat connects. */
static struct client *ours(const char *nick, const char *token)
{
    char line[128];
    struct client *c = fx_client("127.0.0.1:4000");
    snprintf(line, sizeof line, "HELLO sockchat/1 %s\nSESSION %s\n", nick, token);
    fx_feed(c, line);
    return c;
}

START_TEST(test_kick_holds_on_one_address)
{
    /* The whole class on 127.0.0.1, as on a shared VM. */
    struct client *t = fx_framed("teacher");
    struct client *b = ours("bob", "bobtoken1");
    fx_drain(b);
    fx_drain(t);
    ck_assert_int_eq(act(MOD_KICK, "bob 30m spamming the room"), 0);
    ck_assert_str_eq(msg, "kicked bob for 30m00s (recognised by session token and nick): "
                          "spamming the room");
    ck_assert_str_eq(fx_drain(b),
                     "ERR kicked you were kicked by the operator for 30m00s: spamming the room\n");
    ck_assert_int_eq(closing(b), CLOSE_FLUSH);
    ck_assert_str_eq(why, "kicked: spamming the room");
    fx_end(b);
    ck_assert_str_eq(fx_drain(t), "LEAVE bob 1 kicked: spamming the room\n");
    ck_assert_int_eq(closing(t), CLOSE_NONE); /* the address is everyone's */

    /* /connect: the same client (token) asking for the same nick is refused
     * at its HELLO, before it joins: the room sees nothing. */
    fx_clock.mono_ms += 60000;
    struct client *again = fx_client("127.0.0.1:4001");
    fx_feed(again, "HELLO sockchat/1 bob\n");
    ck_assert_str_eq(fx_drain(again),
                     "ERR kicked you are still kicked (29m00s left): spamming the room\n");
    ck_assert(!again->joined);
    ck_assert_int_eq(closing(again), CLOSE_FLUSH);
    ck_assert_str_eq(fx_drain(t), "");
    fx_end(again);

    /* Its token under another nick: caught when SESSION arrives. */
    struct client *renamed = ours("robert", "bobtoken1");
    const char *out = fx_drain(renamed);
    ck_assert_ptr_nonnull(strstr(out, "ERR kicked you are still kicked (29m00s left)"));
    ck_assert_int_eq(closing(renamed), CLOSE_FLUSH);
    fx_end(renamed);
    ck_assert_str_eq(fx_drain(t), "JOIN robert 2\nLEAVE robert 1 kicked: spamming the room\n");

    /* Another student gets in, and so does bob when the time is up. */
    struct client *other = ours("carol", "carolsecret");
    ck_assert_int_eq(closing(other), CLOSE_NONE);
    fx_clock.mono_ms += 29 * 60000;
    struct client *back = ours("bob", "bobtoken1");
    ck_assert(back->joined);
    ck_assert_int_eq(closing(back), CLOSE_NONE);
}
END_TEST

START_TEST(test_kick_plain_client_holds_its_nick)
{
    struct client *t = fx_framed("teacher");
    struct client *p = fx_plain();
    fx_feed(p, "/nick dave\n");
    fx_drain(p);
    ck_assert_int_eq(act(MOD_KICK, "dave"), 0);
    ck_assert_str_eq(msg, "kicked dave for 5m00s (recognised by nick)");
    ck_assert_str_eq(fx_drain(p), "*** notice: you were kicked by the operator for 5m00s\n");
    fx_end(p);
    fx_drain(t);
    /* Back with nc: a new guest (nothing else tells them apart on one
     * address), which cannot take the kicked nick. */
    struct client *q = fx_plain();
    fx_feed(q, "/nick Dave\n");
    ck_assert_str_eq(fx_drain(q), "error: Dave is kicked by the operator (5m00s left); "
                                  "pick another\n");
    ck_assert_int_eq(closing(q), CLOSE_NONE);
    ck_assert_ptr_nonnull(strstr(q->nick, "guest"));
    /* Neither can a framed HELLO. */
    struct client *f = fx_client("127.0.0.1:9");
    fx_feed(f, "HELLO sockchat/1 dave\n");
    ck_assert_str_eq(fx_drain(f), "ERR kicked you are still kicked (5m00s left)\n");
    fx_clock.mono_ms += MOD_KICK_DEFAULT_MS;
    fx_feed(q, "/nick dave\n");
    ck_assert_str_eq(fx_drain(q), "*** guest3 is now known as dave\n");
}
END_TEST

START_TEST(test_kick_guest_without_token)
{
    struct client *p = fx_plain();
    ck_assert_int_eq(act(MOD_KICK, p->nick), 0);
    /* Said, so the teacher does not believe in a hold there is not. */
    ck_assert_ptr_nonnull(strstr(msg, "(a guest: not recognised if they come back)"));
}
END_TEST

START_TEST(test_ban_nick_until_unban)
{
    struct client *t = fx_framed("teacher");
    struct client *b = ours("bob", "bobtoken1");
    fx_drain(b);
    ck_assert_int_eq(act(MOD_BAN, "bob cheating"), 0);
    ck_assert_str_eq(fx_drain(b), "ERR kicked you were banned by the operator: cheating\n");
    ck_assert_int_eq(closing(b), CLOSE_FLUSH);
    ck_assert_str_eq(why, "banned: cheating");
    fx_end(b);
    ck_assert_int_eq(closing(t), CLOSE_NONE);
    fx_clock.mono_ms += 86400000LL * 30;
    struct client *again = ours("bob", "bobtoken1");
    ck_assert_str_eq(fx_drain(again), "ERR kicked you are banned from this server: cheating\n");
    fx_end(again);
    /* A nick not here can be banned too; a guest nick cannot (never again). */
    ck_assert_int_eq(act(MOD_BAN, "mallory"), 0);
    ck_assert_str_eq(msg, "banned the nick mallory until unban (nobody by that name is here now)");
    ck_assert_int_eq(act(MOD_BAN, "guest99"), -1);

    ck_assert_int_eq(operator_lift(&fx_srv, MOD_KICK | MOD_BAN, "BOB", msg, sizeof msg), 0);
    ck_assert_str_eq(msg, "unbanned BOB");
    ck_assert_int_eq(operator_lift(&fx_srv, MOD_KICK | MOD_BAN, "bob", msg, sizeof msg), -1);
    ck_assert_str_eq(msg, "bob is not banned or kicked (see bans)");
    struct client *back = ours("bob", "bobtoken1");
    ck_assert(back->joined);
    ck_assert_int_eq(closing(back), CLOSE_NONE);
}
END_TEST

START_TEST(test_ban_address)
{
    struct client *a = fx_framed("alice");
    struct client *v6 = fx_client("[::1]:5");
    fx_feed(v6, "HELLO sockchat/1 six\n");
    fx_drain(a);
    ck_assert_int_eq(act(MOD_BAN, "::ffff:127.0.0.1"), 0);
    ck_assert_str_eq(msg, "banned 127.0.0.1 until unban (1 disconnected)");
    ck_assert_int_eq(closing(a), CLOSE_FLUSH);
    ck_assert_str_eq(why, "banned");
    ck_assert_int_eq(closing(v6), CLOSE_NONE);
    struct client *c = admit_connection(&fx_srv, -1, "127.0.0.1:77");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->refusal, REFUSE_BANNED);
    fx_end(c);
    ck_assert_int_eq(operator_lift(&fx_srv, MOD_BAN, "127.0.0.1/32", msg, sizeof msg), 0);
    c = admit_connection(&fx_srv, -1, "127.0.0.1:78");
    ck_assert_int_eq(c->refusal, REFUSE_NONE);
}
END_TEST

START_TEST(test_mute)
{
    struct client *t = fx_framed("teacher");
    struct client *b = ours("bob", "bobtoken1");
    struct client *p = fx_plain();
    struct client *r = fx_raw();
    fx_drain(t);
    fx_drain(b);
    ck_assert_int_eq(act(MOD_MUTE, "bob 10m let others talk"), 0);
    ck_assert_str_eq(msg, "muted bob for 10m00s (recognised by session token and nick): "
                          "let others talk");
    ck_assert_str_eq(fx_drain(b), "NOTICE the operator muted you for 10m00s: you can read, "
                                  "not write: let others talk\n");
    ck_assert_int_eq(closing(b), CLOSE_NONE);
    /* Chat, /me, /msg and /nick are refused; reading and commands are not. */
    fx_feed(b, "MSG 5 hello\nMSG 6 /me waves\nMSG 7 /msg teacher psst\nMSG 8 /nick bobby\n");
    const char *refusal = "ERR muted you are muted (10m00s left): you can read, not write\n";
    char want[1024];
    snprintf(want, sizeof want, "%s%s%s%s", refusal, refusal, refusal, refusal);
    ck_assert_str_eq(fx_drain(b), want);
    ck_assert_str_eq(fx_drain(t), "");
    fx_feed(b, "PING x\nMSG 9 /time\n");
    ck_assert_ptr_nonnull(strstr(fx_drain(b), "OUT server time"));
    fx_feed(t, "MSG 1 can you hear me\n");
    ck_assert_str_eq(fx_drain(b), "CHAT 1700000000 teacher can you hear me\n");

    /* Reconnecting does not shake it off (the token, or the nick). */
    fx_end(b);
    fx_clock.mono_ms += 60000;
    b = ours("bob", "bobtoken1");
    const char *out = fx_drain(b);
    ck_assert_ptr_nonnull(strstr(out, "NOTICE you are still muted (9m00s left)"));
    fx_feed(b, "MSG 10 back\n");
    ck_assert_str_eq(fx_drain(b),
                     "ERR muted you are muted (9m00s left): you can read, not write\n");

    /* Plain and raw in their forms; unmute tells who can write again. */
    fx_drain(p);
    ck_assert_int_eq(act(MOD_MUTE, p->nick), 0);
    ck_assert_str_eq(fx_drain(p), "*** notice: the operator muted you until unmuted: you can read, "
                                  "not write\n");
    fx_feed(p, "hi\n");
    ck_assert_str_eq(fx_drain(p), "error: you are muted until the operator unmutes you: you can "
                                  "read, not write\n");
    ck_assert_int_eq(act(MOD_MUTE, r->nick), 0);
    fx_feed(r, "hi");
    ck_assert_str_eq(
        fx_drain(r),
        "error: you are muted until the operator unmutes you: you can read, not write");
    ck_assert_int_eq(operator_lift(&fx_srv, MOD_MUTE, p->nick, msg, sizeof msg), 0);
    ck_assert_str_eq(fx_drain(p), "*** notice: the operator unmuted you: you can write again\n");
    fx_feed(p, "thanks\n");
    ck_assert_str_eq(fx_drain(p), "Message received\n");
    fx_feed(r, "still?");
    ck_assert_str_eq(fx_drain(r), "error: you are muted until the operator unmutes you: you can "
                                  "read, not write");

    /* A timed mute ends by itself. */
    fx_clock.mono_ms += 9 * 60000;
    fx_drain(b);
    fx_feed(b, "MSG 11 free\n");
    ck_assert_str_eq(fx_drain(b), "ACK 11\n");
}
END_TEST

START_TEST(test_mute_follows_the_nick)
{
    struct client *t = fx_framed("teacher");
    ck_assert_int_eq(act(MOD_MUTE, "eve"), 0);
    ck_assert_str_eq(msg, "muted the nick eve until unmute (nobody by that name is here now)");
    struct client *p = fx_plain();
    fx_feed(p, "/nick eve\n");
    ck_assert_str_eq(fx_drain(p), "*** guest2 is now known as eve\n"
                                  "*** notice: you are still muted (until unmuted): you can read, "
                                  "not write\n");
    fx_feed(p, "hello\n");
    ck_assert_ptr_nonnull(strstr(fx_drain(p), "error: you are muted"));
    fx_drain(t);
}
END_TEST

/* A nick that looks like a banned or muted one (another case, I for l,
 * 0 for O, a '_' at the end) is that nick: the ban holds it too. */
START_TEST(test_look_alikes_held)
{
    struct client *t = fx_framed("teacher");
    ck_assert_int_eq(act(MOD_BAN, "mallory trolling"), 0);
    struct client *f = fx_client("127.0.0.1:4100");
    fx_feed(f, "HELLO sockchat/1 MaIIory\n");
    ck_assert_str_eq(fx_drain(f), "ERR kicked you are banned from this server: trolling\n");
    ck_assert(!f->joined);
    fx_end(f);
    struct client *p = fx_plain();
    fx_feed(p, "/nick ma1l0ry_\n");
    ck_assert_str_eq(fx_drain(p),
                     "error: ma1l0ry_ is banned by the operator (until unban); pick another\n");
    ck_assert_int_eq(act(MOD_MUTE, "eve"), 0);
    fx_feed(p, "/nick EVE-\n");
    ck_assert_ptr_nonnull(strstr(fx_drain(p), "you are still muted"));
    ck_assert_int_eq(operator_lift(&fx_srv, MOD_KICK | MOD_BAN, "MALL0RY", msg, sizeof msg), 0);
    fx_drain(t);
}
END_TEST

/* ---- the console ---- */

static char *run_console(const char *line)
{
    static char *buf;
    static size_t len;
    free(buf);
    buf = NULL;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    console_run(&fx_srv, line, out);
    fclose(out);
    return buf;
}

START_TEST(test_console_commands)
{
    struct client *b = ours("bob", "bobtoken1");
    fx_drain(b);
    ck_assert_str_eq(run_console("ban bob 2h"),
                     "ban lasts until unban; to keep someone out for a while: kick NICK 2h\n");
    ck_assert_str_eq(run_console("kick bob 10m flood"),
                     "kicked bob for 10m00s (recognised by session token and nick): flood\n");
    ck_assert_str_eq(run_console("mute carol"),
                     "muted the nick carol until unmute (nobody by that name is here now)\n");
    fx_clock.mono_ms += 1000;
    ck_assert_str_eq(run_console("bans"), "2 in force:\n"
                                          "  kick bob (token, nick): 9m59s left: flood\n"
                                          "  mute carol (nick): until unmute\n");
    ck_assert_str_eq(run_console("unban bob"), "unbanned bob\n");
    ck_assert_str_eq(run_console("unmute carol"), "unmuted carol\n");
    ck_assert_str_eq(run_console("unmute carol"), "carol is not muted (see bans)\n");
    ck_assert_str_eq(run_console("unban"), "usage: unban NICK|ADDR[/BITS]\n");
    ck_assert_str_eq(run_console("ban 127.0.0.0/+8"),
                     "ban: 127.0.0.0/+8 is neither a nick (1-24 of A-Z a-z 0-9 _ -, a letter or "
                     "digit first) nor an address (1.2.3.4, 10.0.0.0/8, ::1)\n");
    /* '_' is among the characters, but not first: the error says so. */
    ck_assert_str_eq(run_console("kick _bob"),
                     "kick: _bob is not a nick (1-24 of A-Z a-z 0-9 _ -, a letter or digit "
                     "first); for an address, ban ADDR\n");
    const char *help = run_console("help");
    const char *want[] = {"kick NICK [DURATION] [REASON]",
                          "ban NICK|ADDR[/BITS] [REASON]",
                          "unban NICK|ADDR[/BITS]",
                          "mute NICK [DURATION] [REASON]",
                          "unmute NICK",
                          "bans"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ck_assert_msg(strstr(help, want[i]) != NULL, "help lacks %s:\n%s", want[i], help);
}
END_TEST

Suite *moderation_suite(void)
{
    Suite *s = suite_create("moderation");
    TCase *table = tcase_create("table");
    tcase_add_loop_test(table, test_parse_duration, 0,
                        (int)(sizeof DURATIONS / sizeof DURATIONS[0]));
    tcase_add_test(table, test_parse_request);
    tcase_add_test(table, test_table_expires_and_replaces);
    tcase_add_test(table, test_table_is_bounded);
    suite_add_tcase(s, table);
    TCase *people = tcase_create("people");
    tcase_add_checked_fixture(people, fx_setup, fx_teardown);
    tcase_add_test(people, test_kick_holds_on_one_address);
    tcase_add_test(people, test_kick_plain_client_holds_its_nick);
    tcase_add_test(people, test_kick_guest_without_token);
    tcase_add_test(people, test_ban_nick_until_unban);
    tcase_add_test(people, test_ban_address);
    tcase_add_test(people, test_mute);
    tcase_add_test(people, test_mute_follows_the_nick);
    tcase_add_test(people, test_look_alikes_held);
    tcase_add_test(people, test_console_commands);
    suite_add_tcase(s, people);
    return s;
}

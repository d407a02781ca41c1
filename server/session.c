/* session: the per-connection core shared by every mode. It turns the bytes
 * a client sent into replies, broadcasts and close requests; the drivers
 * only move bytes and wait. No socket calls here, so it is unit-testable
 * with a fake clock and a notify hook that records. */
#include "server.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sanitize.h"

static const char HELLO_PREFIX[] = "HELLO " PROTO_NAME "/";

/* c's bucket refilled to now_ms. Its first tokens come from its address
 * (admit_connection, peers.c), and what it leaves goes back there. */
static void rate_refill(struct client *c, int64_t now_ms)
{
    int64_t rate = c->srv->cfg.rate;
    int64_t elapsed = now_ms - c->tokens_ms;
    if (elapsed > 0) {
        /* ms x messages/s = thousandths of a message */
        int64_t cap = (int64_t)RATE_BURST * 1000;
        c->tokens = elapsed > cap ? cap : c->tokens + elapsed * rate;
        if (c->tokens > cap)
            c->tokens = cap;
        c->tokens_ms = now_ms;
    }
}

bool rate_allow(struct client *c, int64_t now_ms)
{
    if (c->srv->cfg.rate == 0)
        return true;
    rate_refill(c, now_ms);
    if (c->tokens < 1000)
        return false;
    c->tokens -= 1000;
    if (c->refused > 0) {
        /* The flood is over: the log says how big it was. */
        log_event(c->srv, c, "slowed down: %u message%s refused", c->refused,
                  c->refused == 1 ? " was" : "s were");
        c->refused = 0;
    }
    return true;
}

/* A message over the rate limit: refused, and the log (read by the
 * teacher) says who floods, once per flood. */
static void rate_refuse(struct reply *r)
{
    struct client *c = r->c;
    reply_err(r, ERR_SLOW_DOWN, "slow down: at most %u messages per second", c->srv->cfg.rate);
    if (c->refused++ == 0)
        log_event(c->srv, c, "sending too fast (over %u messages per second): refusing",
                  c->srv->cfg.rate);
}

/* ---- replies to the client whose input we are handling ---- */

enum { RAW_REPLY_MAX = 64 * 1024 }; /* a raw /who of 100 users fits */

static void raw_append(struct reply *r, const char *s, size_t n)
{
    size_t need = r->rawlen + 1 + n;
    if (need > r->rawcap && r->rawcap < RAW_REPLY_MAX) {
        size_t cap = r->rawcap * 2 > need ? r->rawcap * 2 : need;
        if (cap > RAW_REPLY_MAX)
            cap = RAW_REPLY_MAX;
        char *p = r->raw_heap ? realloc(r->raw, cap) : malloc(cap);
        if (p != NULL) {
            if (!r->raw_heap && r->rawlen > 0)
                memcpy(p, r->raw, r->rawlen);
            r->raw = p;
            r->rawcap = cap;
            r->raw_heap = true;
        }
    }
    if (r->rawlen > 0 && r->rawlen < r->rawcap)
        r->raw[r->rawlen++] = '\n';
    if (n > r->rawcap - r->rawlen)
        n = r->rawcap - r->rawlen;
    if (n == 0)
        return; /* also when there is no buffer at all (raw == NULL) */
    memcpy(r->raw + r->rawlen, s, n);
    r->rawlen += n;
}

void reply_msg(struct reply *r, const struct msg *m)
{
    r->replied = true;
    if (r->c->dialect != DIALECT_RAW) {
        client_send_msg(r->c, m);
        return;
    }
    /* The tutorial's client reads one reply per message: no newline. */
    char small[512];
    int n = dialect_encode(DIALECT_RAW, small, sizeof small, m);
    if (n > 0) {
        raw_append(r, small, (size_t)n - 1);
        return;
    }
    struct outmsg *o = outmsg_encode(DIALECT_RAW, m);
    if (o != NULL) {
        raw_append(r, o->data, o->len - 1);
        outmsg_unref(o);
    }
}

/* Command output is short; long texts (chat) never go through here. */
enum { REPLY_TEXT_MAX = 1024 };

/* vsnprintf cuts at a byte: an echoed argument of many multi-byte
 * characters (an unknown /command) would end in half a character. */
static void reply_text_trim(char *text)
{
    text[utf8_valid_prefix(text, strlen(text))] = '\0';
}

void reply_out(struct reply *r, const char *fmt, ...)
{
    char text[REPLY_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    reply_text_trim(text);
    struct msg m = {.type = MSG_OUT, .text = text};
    reply_msg(r, &m);
}

void reply_err(struct reply *r, const char *code, const char *fmt, ...)
{
    char text[REPLY_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    reply_text_trim(text);
    struct msg m = {.type = MSG_ERR, .word = code, .text = text};
    reply_msg(r, &m);
}

void reply_ack(struct reply *r)
{
    r->acked = true;
    struct msg m = {.type = MSG_ACK, .id = r->id};
    reply_msg(r, &m);
}

/* ---- the room ---- */

/* m encoded once per dialect. */
static void encode_pair(const struct msg *m, struct outmsg **framed, struct outmsg **plain)
{
    *framed = outmsg_encode(DIALECT_FRAMED, m);
    *plain = outmsg_encode(DIALECT_PLAIN, m);
}

/* With reg_lock held: queues the encodings on every joined client but
 * `except`, by reference. */
static void deliver_pair_locked(struct server *srv, struct outmsg *framed, struct outmsg *plain,
                                const struct client *except)
{
    for (struct client *c = srv->clients; c; c = c->next) {
        if (!c->joined || c == except)
            continue;
        if (c->dialect == DIALECT_FRAMED && framed)
            client_send_ref(c, framed);
        else if (c->dialect == DIALECT_PLAIN && plain)
            client_send_ref(c, plain);
    }
}

static void deliver_locked(struct server *srv, const struct msg *m, const struct client *except)
{
    struct outmsg *framed, *plain;
    encode_pair(m, &framed, &plain);
    deliver_pair_locked(srv, framed, plain, except);
    outmsg_unref(framed);
    outmsg_unref(plain);
}

void registry_broadcast_locked(struct server *srv, const struct msg *m, const struct client *except)
{
    deliver_locked(srv, m, except);
}

bool session_muted(struct reply *r)
{
    struct client *c = r->c;
    long long until = atomic_load(&c->muted_until_ms);
    if (until == 0)
        return false;
    int64_t now = server_now_ms(c->srv);
    if (until != INT64_MAX && now >= until) {
        /* Over (no timer says so: the person was told how long it lasts).
         * Cleared unless the operator muted again meanwhile. */
        atomic_compare_exchange_strong(&c->muted_until_ms, &until, 0);
        return false;
    }
    if (until == INT64_MAX) {
        reply_err(r, ERR_MUTED,
                  "you are muted until the operator unmutes you: you can read, not write");
    } else {
        char left[32];
        format_duration(left, sizeof left, ((int64_t)until - now + 999) / 1000 * 1000);
        reply_err(r, ERR_MUTED, "you are muted (%s left): you can read, not write", left);
    }
    return true;
}

void session_chat(struct reply *r, enum msg_type type, const char *text)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    char nick[NICK_MAX + 1];
    char tnote[TRANSCRIPT_NOTE_MAX];
    bool lost = false;

    if (session_muted(r))
        return;
    tnote[0] = '\0';
    pthread_mutex_lock(&srv->reg_lock);
    if (!c->joined) {
        pthread_mutex_unlock(&srv->reg_lock);
        return;
    }
    struct msg m = {.type = type, .time = server_wall(srv), .nick = c->nick, .text = text};
    struct outmsg *framed, *plain;
    encode_pair(&m, &framed, &plain);
    /* The transcript is written under the lock so its order is everyone's
     * order; the write goes to the page cache (the fsync is elsewhere). */
    if (type == MSG_CHAT && srv->transcript && framed) {
        if (transcript_append(srv->transcript, &srv->hist, framed->data, framed->len) < 0)
            lost = true;
        /* What the append had to repair (a torn write cut back, the file
         * deleted and written again, a rotation): logged after unlocking. */
        if (srv->transcript->note[0] != '\0')
            memcpy(tnote, srv->transcript->note, sizeof tnote);
    }
    if (!lost) {
        deliver_pair_locked(srv, framed, plain, c);
        if (type == MSG_CHAT && framed && plain)
            history_push(&srv->hist, framed, plain);
    }
    memcpy(nick, c->nick, sizeof nick);
    pthread_mutex_unlock(&srv->reg_lock);
    outmsg_unref(framed);
    outmsg_unref(plain);

    if (tnote[0] != '\0')
        log_event(srv, NULL, "%s", tnote);
    if (lost) {
        /* Not kept, so not relayed and not acknowledged. */
        reply_err(r, "transcript", "message not sent: the server cannot save it");
        log_event(srv, c, "transcript write failed; message refused");
        return;
    }
    atomic_fetch_add_explicit(&srv->st.messages, 1, memory_order_relaxed);
    /* Acknowledged only once it is saved, queued for everyone and in history. */
    reply_ack(r);
    if (!srv->cfg.quiet) {
        if (type == MSG_ACTION)
            log_event(srv, c, "* %s %s", nick, text);
        else
            log_event(srv, c, "says: %s", text);
    }
}

/* With reg_lock held: the history for a newcomer. The ring holds at most
 * HISTORY_BYTES (history_push), far under the slow-consumer limit, so no
 * --history can cut a newcomer off. What that bound dropped of the last
 * --history messages is said first: after the WELCOME and before the CHAT
 * lines, where sockchat's replay de-duplication expects it. */
static void session_history_locked(struct client *c, enum dialect d)
{
    const struct history *h = &c->srv->hist;
    uint64_t omitted = history_omitted(h);
    if (omitted > 0) {
        char text[128];
        snprintf(text, sizeof text, "%llu older message%s not shown (history is limited to %d KiB)",
                 (unsigned long long)omitted, omitted == 1 ? "" : "s", HISTORY_BYTES >> 10);
        struct msg n = {.type = MSG_NOTICE, .text = text};
        client_send_msg(c, &n);
    }
    for (unsigned i = 0; i < h->count; i++)
        client_send_ref(c, history_get(h, i, d == DIALECT_FRAMED));
}

void session_transcript_repair(void *arg)
{
    struct server *srv = arg;
    char note[TRANSCRIPT_NOTE_MAX];
    pthread_mutex_lock(&srv->reg_lock);
    srv->transcript->note[0] = '\0';
    transcript_repair(srv->transcript, &srv->hist);
    memcpy(note, srv->transcript->note, sizeof note);
    pthread_mutex_unlock(&srv->reg_lock);
    if (note[0] != '\0')
        log_event(srv, NULL, "%s", note);
}

static const char *const DIALECT_NAMES[] = {"?", "sockchat", "plain", "tutorial"};

static void session_join(struct client *c, enum dialect d, const char *want)
{
    struct server *srv = c->srv;
    char nick[NICK_MAX + 1];
    unsigned users;
    int64_t now = server_now_ms(srv);

    pthread_mutex_lock(&srv->reg_lock);
    c->dialect = d;
    /* A nick taken, or held for someone else (nickhold.c), gives guestN.
     * But our client's token comes after the WELCOME: one held for a
     * token may be its owner's, back after a dropped connection. It is
     * told it has the nick; the room hears of it when its next line
     * (its SESSION) shows whose it is (session_settle). */
    if (want && nick_valid(want, strlen(want)) && !nick_reserved(want)) {
        enum nick_verdict v = registry_nick_check_locked(srv, c, want, now, NULL, NULL);
        const struct nick_hold *h = v == NICK_HELD ? nickhold_find(&srv->holds, want, now) : NULL;
        if (v == NICK_FREE) {
            snprintf(c->nick, sizeof c->nick, "%s", want);
        } else if (d == DIALECT_FRAMED && h != NULL && h->token[0] != '\0') {
            c->provisional = true;
            snprintf(c->asked, sizeof c->asked, "%s", want);
        }
    }
    if (srv->reg_closed) {
        pthread_mutex_unlock(&srv->reg_lock);
        return; /* shutting down: its SHUTDOWN is already queued */
    }
    registry_enter_locked(srv, c);
    users = srv->nroom;
    if (c->peer != NULL && srv->cfg.rate > 0) {
        /* Its tokens again, now that it is counted in the room: one of its
         * address's connections that left since it was accepted (a
         * reconnect racing its own close) has left them by now, as
         * session_end gives them back before it leaves the room; one
         * still here is another in the room at once. */
        struct peer_limits lim = {.max_per_addr = srv->cfg.max_per_addr, .rate = srv->cfg.rate};
        rate_refill(c, now);
        int64_t t = peers_tokens(&srv->acc.peers, &lim, c->peer, now);
        if (t < c->tokens)
            c->tokens = t;
    }
    const char *told = c->provisional ? c->asked : c->nick;
    if (d == DIALECT_FRAMED) {
        struct msg w = {.type = MSG_WELCOME,
                        .nick = told,
                        .word = mode_name(srv->cfg.mode),
                        .users = users,
                        .text = srv->cfg.name};
        client_send_msg(c, &w);
    }
    if (d == DIALECT_FRAMED || d == DIALECT_PLAIN) {
        session_history_locked(c, d);
        /* After the history, so that it does not scroll away: an nc user
         * learns their guestN nowhere else. (The tutorial's client reads
         * only replies: /help and /who tell it.) */
        char you[NICK_MAX + 48];
        snprintf(you, sizeof you, "you are %s; /nick NAME to change it", told);
        struct msg y = {.type = MSG_OUT, .text = you};
        client_send_msg(c, &y);
    }
    if (c->provisional) {
        pthread_mutex_unlock(&srv->reg_lock);
        return; /* announced, logged and judged by session_settle */
    }
    c->ever_joined = true;
    if (announce_wanted(users)) {
        struct msg j = {.type = MSG_JOIN, .nick = c->nick, .users = users};
        deliver_locked(srv, &j, c);
    }
    memcpy(nick, c->nick, sizeof nick);
    pthread_mutex_unlock(&srv->reg_lock);

    /* One line per arrival, with the nick it ends up with (the nick
     * column) and its address. */
    log_event(srv, c, "joined (%s client, %u online)", DIALECT_NAMES[d], users);
    operator_mute_arrival(c, nick, NULL); /* a mute follows the nick */
}

/* The first line after a WELCOME that gave c, on trust, a nick held for
 * a token (session_join): its SESSION, read just before, or any other
 * line (then it has no token, or not yet). With the owner's token the
 * nick is c's; else c is told it is its guestN, and why. Then the room is
 * told that c joined, under the nick it has. */
static void session_settle(struct client *c)
{
    struct server *srv = c->srv;
    char holder[NICK_MAX + 1], nick[NICK_MAX + 1];
    int64_t now = server_now_ms(srv), left_ms = 0;

    if (client_close_state(c, NULL, 0) != CLOSE_NONE)
        return; /* its SESSION was kicked: it leaves unannounced */
    if (operator_refuse_arrival(c, c->asked, NULL))
        return; /* the nick was kicked meanwhile */
    pthread_mutex_lock(&srv->reg_lock);
    c->provisional = false;
    if (!c->joined) { /* shutting down */
        pthread_mutex_unlock(&srv->reg_lock);
        return;
    }
    bool own = registry_nick_check_locked(srv, c, c->asked, now, holder, &left_ms) == NICK_FREE;
    if (own) {
        registry_rename_locked(srv, c, c->asked);
    } else {
        struct msg m = {.type = MSG_NICK, .nick = c->asked, .nick2 = c->nick};
        client_send_msg(c, &m);
    }
    c->ever_joined = true;
    unsigned users = srv->nroom;
    if (announce_wanted(users)) {
        struct msg j = {.type = MSG_JOIN, .nick = c->nick, .users = users};
        deliver_locked(srv, &j, c);
    }
    memcpy(nick, c->nick, sizeof nick);
    pthread_mutex_unlock(&srv->reg_lock);

    if (!own) {
        struct reply r = {.c = c};
        reply_err(&r, ERR_NICK_TAKEN, "%s is held for its owner for %lld s; you are %s", holder,
                  (long long)((left_ms + 999) / 1000), nick);
    }
    log_event(srv, c, "joined (%s client, %u online)%s", DIALECT_NAMES[DIALECT_FRAMED], users,
              own ? ": its nick, held for its session token" : "");
    operator_mute_arrival(c, nick, NULL);
}

void session_leave(struct client *c, const char *reason)
{
    struct server *srv = c->srv;

    pthread_mutex_lock(&srv->reg_lock);
    if (c->joined) {
        registry_leave_locked(srv, c);
        if (!nick_reserved(c->nick))
            nickhold_put(&srv->holds, c->nick, c->session, server_now_ms(srv));
        unsigned users = srv->nroom;
        bool always = strncmp(reason, "too slow", 8) == 0 || strncmp(reason, "kicked", 6) == 0;
        /* A provisional join was never announced (session_join). */
        if (!c->provisional && (always || announce_wanted(users + 1))) {
            struct msg m = {.type = MSG_LEAVE, .nick = c->nick, .users = users, .text = reason};
            deliver_locked(srv, &m, c);
        }
    }
    pthread_mutex_unlock(&srv->reg_lock);
}

/* The log's one line about a refused connection. */
static void session_end_refused(struct client *c)
{
    static const char *const why[] = {
        [REFUSE_NONE] = "?",
        [REFUSE_NOT_ALLOWED] = "not in --allow",
        [REFUSE_BANNED] = "banned address",
        [REFUSE_FULL] = "server full",
        [REFUSE_ADDR_FULL] = ("its address has --max-per-addr connections "
                              "(a class on one address needs it raised)"),
        [REFUSE_ADDR_FAST] = "new connections from its address too fast",
        [REFUSE_ADDR_TABLE] = "too many addresses remembered"};
    static const char *const how[] = {[DIALECT_NONE] = "it sent nothing: told as a line client",
                                      [DIALECT_FRAMED] = "told as a sockchat client",
                                      [DIALECT_PLAIN] = "told as a plain client",
                                      [DIALECT_RAW] = "told as a tutorial client"};
    registry_remove(c->srv, c); /* its place among the refusing */
    log_event(c->srv, NULL, "%s refused: %s (%s)", c->addr, why[c->refusal],
              c->refusal_told ? how[c->dialect] : "it left before being told");
}

void session_end(struct client *c)
{
    char reason[REASON_MAX];

    if (c->refusal != REFUSE_NONE) {
        session_end_refused(c);
        return;
    }
    if (client_close_state(c, reason, sizeof reason) == CLOSE_NONE || reason[0] == '\0')
        snprintf(reason, sizeof reason, "lost connection");
    if (c->refused > 0) /* it left in the middle of a flood */
        log_event(c->srv, c, "slowed down: %u message%s refused", c->refused,
                  c->refused == 1 ? " was" : "s were");
    if (c->peer != NULL) {
        /* What it leaves of its chat tokens, its address's next connection
         * starts with (peers_leave): given back before it leaves the room,
         * so that one who joins after it left finds them (session_join). */
        struct server *srv = c->srv;
        struct peer_limits lim = {.max_per_addr = srv->cfg.max_per_addr, .rate = srv->cfg.rate};
        int64_t now = server_now_ms(srv);
        rate_refill(c, now);
        peers_leave(&srv->acc.peers, &lim, c->peer, c->tokens, now);
        c->peer = NULL;
    }
    session_leave(c, reason);
    registry_remove(c->srv, c);
    resume_detach(&c->srv->resume, c->resume, server_now_ms(c->srv));
    c->resume = NULL;
    if (c->ever_joined)
        log_event(c->srv, c, "disconnected (%s)", reason);
    else
        log_event(c->srv, c, "left before joining (%s)", reason);
}

static void session_set_dialect(struct client *c, enum dialect d)
{
    pthread_mutex_lock(&c->srv->reg_lock);
    c->dialect = d;
    pthread_mutex_unlock(&c->srv->reg_lock);
}

/* The connection's dialect is known: it joins the room, unless it still
 * owes us the password. */
static void session_detect(struct client *c, enum dialect d)
{
    if (c->authed)
        session_join(c, d, NULL);
    else
        session_set_dialect(c, d);
}

/* Judges a password attempt; on anything but AUTH_OK, c is answered and
 * closing. A wrong password is answered at once, and the close comes
 * later (the hold), so guessing costs time; an attempt while the address
 * is locked out is not judged at all. */
static bool auth_judge(struct reply *r, const char *given)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    int64_t now = server_now_ms(srv), ms;
    if (given[strspn(given, " \t")] == '\0') {
        /* No password at all is no guess: said so, closed, nobody locked
         * out (a client started without one is a common slip). */
        reply_err(r, ERR_AUTH, "this server needs a password");
        client_request_close(c, CLOSE_FLUSH, "no password", now + SHUTDOWN_FLUSH_MS);
        return false;
    }
    bool right = password_equal(given, srv->cfg.password);
    switch (access_auth_judge(&srv->acc, c->addr, right, now, &ms)) {
    case AUTH_OK:
        return true;
    case AUTH_LOCKED:
        reply_err(r, ERR_AUTH_WAIT,
                  "too many wrong passwords from your address; try again in %lld s",
                  (long long)((ms + 999) / 1000));
        client_request_close(c, CLOSE_FLUSH, "locked out", now + SHUTDOWN_FLUSH_MS);
        log_event(srv, c, "password attempt not judged: address locked out for %lld ms more",
                  (long long)ms);
        return false;
    case AUTH_WAIT:
        /* Guessing is under way on the server: right or wrong, an attempt
         * waits its turn (peers_auth_judge), so the wait tells nothing. */
        reply_err(r, ERR_AUTH_WAIT,
                  "too many wrong passwords on this server just now; try again in %lld s",
                  (long long)((ms + 999) / 1000));
        client_request_close(c, CLOSE_FLUSH, "waiting its turn", now + SHUTDOWN_FLUSH_MS);
        log_event(srv, c, "password attempt not judged: its turn comes in %lld ms", (long long)ms);
        return false;
    case AUTH_WRONG:
    default:
        reply_err(r, ERR_AUTH, "wrong password");
        pthread_mutex_lock(&c->lock);
        c->hold_until_ms = now + ms;
        pthread_mutex_unlock(&c->lock);
        client_request_close(c, CLOSE_FLUSH, "wrong password", now + ms + SHUTDOWN_FLUSH_MS);
        log_event(srv, c, "wrong password; closing in %lld ms", (long long)ms);
        return false;
    }
}

/* A message refused before the password (only /auth, /quit and exit are
 * taken then). Each refusal is output, and a connection that never reads
 * must not pile them up: after PREAUTH_REFUSALS_MAX it is closed. */
static void preauth_charge(struct reply *r)
{
    struct client *c = r->c;
    if (++c->preauth_refused < PREAUTH_REFUSALS_MAX)
        return;
    reply_err(r, ERR_AUTH, "%d messages without the password; closing", PREAUTH_REFUSALS_MAX);
    client_request_close(c, CLOSE_FLUSH, "no password", server_now_ms(c->srv) + SHUTDOWN_FLUSH_MS);
    log_event(c->srv, c, "closed after %d messages without the password", PREAUTH_REFUSALS_MAX);
}

/* "/auth PASSWORD" from a plain or raw client. */
static void session_auth(struct reply *r, const char *args)
{
    struct client *c = r->c;
    const char *want = c->srv->cfg.password;
    if (want == NULL || c->authed) {
        reply_out(r, "no password needed");
        return;
    }
    if (args[strspn(args, " \t")] == '\0') {
        reply_err(r, ERR_USAGE, "usage: /auth PASSWORD");
        preauth_charge(r);
        return;
    }
    if (!auth_judge(r, args))
        return;
    c->authed = true;
    session_join(c, c->dialect, NULL);
    reply_out(r, "password accepted; you are %s", c->nick);
}

static void session_quit(struct reply *r, const char *reason)
{
    session_leave(r->c, reason);
    client_request_close(r->c, CLOSE_FLUSH, reason, server_now_ms(r->c->srv) + SHUTDOWN_FLUSH_MS);
}

/* ---- messages ---- */

static bool is_blank(const char *s)
{
    return s[strspn(s, " ")] == '\0';
}

/* One message of any dialect: chat, a /command, or exit. */
static void session_text(struct reply *r, const char *text)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    int64_t now = server_now_ms(srv);

    atomic_store(&c->active_ms, now);
    if (cmd_is_exit(text)) {
        reply_ack(r);
        session_quit(r, "quit");
        return;
    }
    struct cmd cmd;
    bool is_cmd = cmd_parse(text, &cmd);
    if (is_cmd && cmd_is(&cmd, "auth")) {
        session_auth(r, cmd.args);
        return;
    }
    if (!c->authed && !(is_cmd && cmd_is(&cmd, "quit"))) {
        reply_err(r, ERR_AUTH, "this server needs a password: send /auth PASSWORD first");
        preauth_charge(r);
        return;
    }
    if (is_cmd) {
        /* /ping measures latency and /quit must always work. */
        if (!cmd_is(&cmd, "ping") && !cmd_is(&cmd, "quit") && !rate_allow(c, now)) {
            rate_refuse(r);
            return;
        }
        commands_run(r, &cmd);
        return;
    }
    const char *t = text[0] == '/' && text[1] == '/' ? text + 1 : text;
    if (is_blank(t)) {
        if (c->dialect == DIALECT_FRAMED)
            reply_err(r, ERR_USAGE, "empty message");
        else if (c->dialect == DIALECT_RAW)
            reply_ack(r); /* the tutorial's client waits for a reply */
        return;
    }
    if (!rate_allow(c, now)) {
        rate_refuse(r);
        return;
    }
    session_chat(r, MSG_CHAT, t);
}

/* s[0..n) sanitised (invalid UTF-8 becomes U+FFFD, controls and escape
 * sequences go) and cut to fit max bytes: in small when it fits there, so
 * most texts cost no allocation and little stack, else on the heap (free
 * it unless it is small). NULL, and an error reply, when out of memory. */
static char *sanitized(struct reply *r, char *small, size_t smallcap, const char *s, size_t n,
                       size_t max)
{
    size_t cap = SANITIZE_CAP(n) < max ? SANITIZE_CAP(n) : max;
    char *out = cap <= smallcap ? small : malloc(cap);
    if (out == NULL) {
        reply_err(r, "internal", "out of memory");
        return NULL;
    }
    sanitize_text(out, cap, s, n);
    return out;
}

/* One message of any dialect, sanitised first and cut to TEXT_MAX. */
static void session_message(struct reply *r, const char *data, size_t len)
{
    char small[1024];
    char *text = sanitized(r, small, sizeof small, data, len, TEXT_MAX + 1);
    if (text == NULL)
        return;
    session_text(r, text);
    if (text != small)
        free(text);
}

/* Frees what raw_append() allocated: only a raw-dialect reply has it, but
 * every path that builds a reply ends here, so none can leak. */
static void reply_release(struct reply *r)
{
    if (r->raw_heap)
        free(r->raw);
    r->raw = NULL;
    r->raw_heap = false;
}

static void framed_line(struct client *c, char *line)
{
    struct reply r = {.c = c};
    struct msg m;

    if (msg_parse(&m, line) < 0) {
        reply_err(&r, ERR_PROTOCOL, "malformed %s line", msg_type_name(m.type));
        reply_release(&r);
        return;
    }
    switch (m.type) {
    case MSG_MSG:
        r.id = m.id;
        if (!resume_claim(&c->srv->resume, c->resume, m.id)) {
            /* Relayed before; only its ACK was lost with the connection. */
            log_event(c->srv, c,
                      "message %" PRIu64 " sent again after a reconnect: not relayed twice", m.id);
            reply_ack(&r);
            break;
        }
        session_message(&r, m.text, strlen(m.text));
        if (!r.acked)
            resume_unclaim(&c->srv->resume, c->resume, m.id);
        break;
    case MSG_SESSION:
        if (c->session[0] != '\0') {
            reply_err(&r, ERR_PROTOCOL, "SESSION was already given");
        } else if (!msg_session_token_ok(m.word)) {
            reply_err(&r, ERR_USAGE, "SESSION token: %d to %d letters and digits",
                      SESSION_TOKEN_MIN, SESSION_TOKEN_MAX);
        } else {
            c->resume = resume_attach(&c->srv->resume, m.word, c->addr, server_now_ms(c->srv));
            pthread_mutex_lock(&c->srv->reg_lock); /* the console reads it */
            snprintf(c->session, sizeof c->session, "%s", m.word);
            pthread_mutex_unlock(&c->srv->reg_lock);
            /* Our client, back after a kick (a /connect, a restart with the
             * same token): it joined a moment ago and leaves now. */
            if (!operator_refuse_arrival(c, NULL, c->session))
                operator_mute_arrival(c, NULL, c->session);
        }
        break;
    case MSG_PING: {
        /* The token is echoed, so it is sanitised like any text we send: a
         * field may hold DEL, C1 bytes and invalid UTF-8. Our tokens
         * (digits) come back unchanged. */
        const char *tok = m.word ? m.word : "";
        size_t n = strlen(tok);
        char clean[SANITIZE_CAP(PING_TOKEN_MAX)];
        if (n <= PING_TOKEN_MAX) {
            sanitize_text(clean, sizeof clean, tok, n);
            n = strlen(clean);
        }
        /* Bounded, as what we echo costs our memory until it is read. */
        if (n > PING_TOKEN_MAX) {
            reply_err(&r, ERR_USAGE, "PING token longer than %d bytes", PING_TOKEN_MAX);
            break;
        }
        struct msg p = {.type = MSG_PONG, .word = clean};
        reply_msg(&r, &p);
        break;
    }
    case MSG_HELLO:
        reply_err(&r, ERR_PROTOCOL, "already greeted");
        break;
    default:
        reply_err(&r, ERR_PROTOCOL, "unexpected %s line", msg_type_name(m.type));
        break;
    }
    reply_release(&r);
}

static void plain_line(struct client *c, char *line, size_t len)
{
    struct reply r = {.c = c};
    session_message(&r, line, len);
}

/* The first complete line of a connection that began with "HELLO ". */
static void hello_line(struct client *c, char *line, size_t len)
{
    if (strncmp(line, HELLO_PREFIX, sizeof HELLO_PREFIX - 1) != 0) {
        /* Someone typed "HELLO ..." into nc: a plain line after all. */
        session_detect(c, DIALECT_PLAIN);
        plain_line(c, line, len);
        return;
    }
    struct msg m;
    const char *nick = NULL, *pass = "";
    if (msg_parse(&m, line) == 0 && m.type == MSG_HELLO) {
        nick = m.nick;
        pass = m.text;
    } /* else a malformed hello from a client of ours: it gets guestN */
    if (c->srv->cfg.password != NULL) {
        struct reply r = {.c = c};
        session_detect(c, DIALECT_FRAMED); /* the answer is framed, either way */
        if (!auth_judge(&r, pass))
            return;
    }
    c->authed = true;
    /* A kicked or banned nick asked for: refused before it joins (no
     * JOIN, no history), with the time left. Its token, if it is our
     * client, comes after the WELCOME (SESSION) and is checked then. */
    if (nick != NULL && nick_valid(nick, strlen(nick)) && !nick_reserved(nick)) {
        session_set_dialect(c, DIALECT_FRAMED);
        if (operator_refuse_arrival(c, nick, NULL))
            return;
    }
    session_join(c, DIALECT_FRAMED, nick);
}

static enum dialect detect(const char *data, size_t len)
{
    size_t k = sizeof HELLO_PREFIX - 1;
    if (len >= 6 && memcmp(data, HELLO_PREFIX, len < k ? len : k) == 0)
        return DIALECT_FRAMED; /* confirmed by hello_line */
    if (memchr(data, '\n', len) != NULL)
        return DIALECT_PLAIN;
    /* telnet(1), whose user pressed a special key first (Ctrl-C sends
     * commands); the tutorial's client sends text, never this byte. */
    if ((unsigned char)data[0] == TELNET_IAC)
        return DIALECT_PLAIN;
    /* A read filled to the brim is a line that has not ended yet: the
     * tutorial's client types its messages, and one that long would be
     * split by its own server's recv(1024) anyway. */
    if (len >= READ_CHUNK)
        return DIALECT_PLAIN;
    return DIALECT_RAW;
}

/* The tutorial's client reads each reply with one recv(1024): a longer
 * reply would arrive in pieces, and every later reply it prints would be
 * the previous one's leftover. So a raw reply is cut to RAW_WIRE_MAX bytes,
 * at a line end when one is near enough ("[cut: N more lines]"), else at a
 * UTF-8 character boundary ("…"), never silently. */
enum { RAW_WIRE_MAX = 1024, RAW_MARK_ROOM = 40 };

static void raw_fit(struct reply *r)
{
    static const char ELLIPSIS[] = "\xe2\x80\xa6";
    if (r->rawlen <= RAW_WIRE_MAX)
        return;
    size_t keep = RAW_WIRE_MAX - RAW_MARK_ROOM;
    while (keep > 0 && r->raw[keep] != '\n')
        keep--;
    if (keep > 0) {
        unsigned more = 0;
        for (size_t i = keep; i < r->rawlen; i++)
            if (r->raw[i] == '\n')
                more++;
        int n = snprintf(r->raw + keep, RAW_MARK_ROOM, "\n[cut: %u more line%s]", more,
                         more == 1 ? "" : "s");
        r->rawlen = keep + (n > 0 && n < RAW_MARK_ROOM ? (size_t)n : 0);
        return;
    }
    /* One long line: back up to the start of a character. */
    keep = RAW_WIRE_MAX - (sizeof ELLIPSIS - 1);
    while (keep > 0 && ((unsigned char)r->raw[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(r->raw + keep, ELLIPSIS, sizeof ELLIPSIS - 1);
    r->rawlen = keep + sizeof ELLIPSIS - 1;
}

static void raw_input(struct client *c, const char *data, size_t len)
{
    char out[256];
    struct reply r = {.c = c, .raw = out, .rawcap = sizeof out};

    /* One read is one message, as in the tutorial's server. */
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    session_message(&r, data, len);
    if (!r.replied)
        reply_ack(&r);
    raw_fit(&r);
    client_send(c, r.raw, r.rawlen);
    reply_release(&r);
}

static void session_feed(struct client *c, const char *data, size_t len, bool telnet);

/* Input from telnet(1) holding telnet commands (rare: its special keys,
 * e.g. Ctrl-C): answered, taken out, and the text goes on as usual. */
static void telnet_input(struct client *c, const char *data, size_t len)
{
    char *buf = malloc(len + TELNET_REPLY_CAP(len));
    if (buf == NULL) {
        client_request_close(c, CLOSE_NOW, "out of memory", 0);
        return;
    }
    char *reply = buf + len;
    size_t rl;
    memcpy(buf, data, len);
    size_t n = telnet_filter(&c->tn, buf, len, reply, &rl);
    if (rl > 0)
        client_send(c, reply, rl);
    if (n > 0)
        session_feed(c, buf, n, false); /* an IAC IAC left a literal 0xFF */
    free(buf);
}

void session_refuse(struct client *c, enum dialect d)
{
    const char *code;
    char text[128];
    refusal_describe(c, &code, text, sizeof text);
    struct msg m = {.type = MSG_ERR, .word = code, .text = text};
    /* Not in the registry: nobody else reads its dialect. NONE (it sent
     * nothing) encodes as plain: a line for nc, and for the tutorial's
     * client the reply its first message will read. */
    c->dialect = d;
    if (d == DIALECT_RAW) {
        char raw[256];
        int n = dialect_encode(DIALECT_RAW, raw, sizeof raw, &m);
        if (n > 0)
            client_send(c, raw, (size_t)n - 1); /* one reply, no newline */
    } else {
        client_send_msg(c, &m);
    }
    c->refusal_told = true;
    int64_t now = server_now_ms(c->srv), until = now + SHUTDOWN_FLUSH_MS;
    if (c->refuse_until_ms != 0) /* single mode: within its share */
        until =
            c->refuse_until_ms > now + REFUSE_FLOOR_MS ? c->refuse_until_ms : now + REFUSE_FLOOR_MS;
    client_request_close(c, CLOSE_FLUSH, "refused", until);
}

/* Keeps input for later, after what already waits. */
static void backlog_add(struct client *c, const char *data, size_t len, bool telnet)
{
    char *b = realloc(c->backlog, c->backlog_len + len);
    if (b == NULL) {
        client_request_close(c, CLOSE_NOW, "out of memory", 0);
        return;
    }
    memcpy(b + c->backlog_len, data, len);
    if (c->backlog_len == 0)
        c->backlog_telnet = telnet;
    c->backlog = b;
    c->backlog_len += len;
}

void session_input(struct client *c, const char *data, size_t len)
{
    atomic_fetch_add_explicit(&c->srv->st.bytes_in, len, memory_order_relaxed);
    if (c->refusal != REFUSE_NONE) {
        /* Its first bytes tell its dialect; the rest is not read. */
        if (!c->refusal_told && len > 0)
            session_refuse(c, detect(data, len));
        return;
    }
    if (c->backlog_len > 0) {
        /* The drivers read nothing while input waits; kept in order anyway. */
        backlog_add(c, data, len, true);
        return;
    }
    session_feed(c, data, len, true);
}

bool session_resume(struct client *c)
{
    if (c->backlog_len == 0 || client_input_gate(c) != INPUT_OPEN)
        return false;
    char *data = c->backlog;
    size_t len = c->backlog_len;
    bool telnet = c->backlog_telnet;
    c->backlog = NULL;
    c->backlog_len = 0;
    session_feed(c, data, len, telnet); /* may keep a rest again */
    free(data);
    return true;
}

/* telnet: whether telnet commands may still be in data. */
static void session_feed(struct client *c, const char *data, size_t len, bool telnet)
{
    bool hello_pending = false;

    if (c->dialect == DIALECT_NONE && c->lb.len == 0) {
        enum dialect d = detect(data, len);
        if (d == DIALECT_RAW || d == DIALECT_PLAIN)
            session_detect(c, d);
    }
    if (c->dialect == DIALECT_RAW) {
        if (client_close_state(c, NULL, 0) == CLOSE_NONE)
            raw_input(c, data, len);
        return;
    }
    if (telnet && c->dialect == DIALECT_PLAIN && telnet_pending(&c->tn, data, len)) {
        telnet_input(c, data, len);
        return;
    }
    hello_pending = c->dialect == DIALECT_NONE;

    while (len > 0) {
        enum input_gate gate = client_input_gate(c);
        if (gate == INPUT_CLOSED)
            return; /* after exit, /quit or a kick, the rest is not read */
        if (gate == INPUT_PAUSED) {
            /* Its answers wait unread: the rest waits until they are. */
            backlog_add(c, data, len, telnet);
            return;
        }
        size_t used = 0;
        char *line;
        size_t n;
        enum linebuf_status st = linebuf_feed(&c->lb, data, len, &used, &line, &n);
        data += used;
        len -= used;
        if (st == LINEBUF_NEED_MORE)
            break;
        if (st == LINEBUF_NOMEM) {
            client_request_close(c, CLOSE_NOW, "out of memory", 0);
            return;
        }
        if (hello_pending) {
            hello_pending = false;
            if (st == LINEBUF_OVERLONG) {
                session_detect(c, DIALECT_PLAIN);
            } else {
                sanitize_line(line, n);
                hello_line(c, line, n);
                continue;
            }
        }
        /* A nick given on trust is settled by the next line: a SESSION
         * line names the token first. */
        bool session = st == LINEBUF_LINE && strncmp(line, "SESSION ", 8) == 0;
        if (c->provisional && !session)
            session_settle(c);
        struct reply r = {.c = c};
        if (st == LINEBUF_OVERLONG) {
            reply_err(&r, ERR_TOO_LONG, "line longer than %d bytes, discarded", LINE_MAX_BYTES);
            continue;
        }
        sanitize_line(line, n);
        if (c->dialect == DIALECT_FRAMED)
            framed_line(c, line);
        else if (n > 0)
            plain_line(c, line, n);
        if (c->provisional)
            session_settle(c);
    }
    /* An idle connection should hold no line buffer. */
    if (c->lb.len == 0 && c->lb.cap > 256)
        linebuf_trim(&c->lb);
}

/* chat: the protocol state machine of the curses client (see chat.h): its
 * life cycle, what happens as the connection comes and goes, bytes in,
 * timers; and the log notes the other model files share (see
 * chat_internal.h for which file does what). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "chat_internal.h"
#include "secret.h"

/* ---- the log ---------------------------------------------------------- */

uint64_t chat_add_entry(struct chat *c, enum entry_kind kind, int64_t time, const char *nick,
                        const char *text, size_t text_len)
{
    /* Never trust the server: everything shown goes through the sanitiser. */
    char safe_nick[SANITIZE_CAP(64)];
    if (text_len > CHAT_TEXT_MAX)
        text_len = CHAT_TEXT_MAX;
    sanitize_text(c->safe_text, sizeof(c->safe_text), text, text_len);
    if (nick) {
        size_t nl = strlen(nick);
        sanitize_text(safe_nick, sizeof(safe_nick), nick, nl > 63 ? 63 : nl);
    }
    return chatlog_append(c->log, kind, time, nick ? safe_nick : NULL, c->safe_text);
}

void chat_note(struct chat *c, enum entry_kind kind, const char *text)
{
    chat_add_entry(c, kind, c->wall, NULL, text, strlen(text));
}

void chat_notef(struct chat *c, enum entry_kind kind, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    chat_note(c, kind, buf);
}

bool chat_ready(const struct chat *c)
{
    return c->online && c->dialect != DIALECT_UNKNOWN;
}

/* ---- life cycle ------------------------------------------------------- */

int chat_init(struct chat *c, struct chatlog *log, struct status *st, const char *nick)
{
    memset(c, 0, sizeof(*c));
    c->log = log;
    c->st = st;
    chat_clean_nick(nick, c->want_nick, sizeof(c->want_nick));
    snprintf(st->nick, sizeof(st->nick), "%s", c->want_nick);
    if (nick != NULL && nick[0] != '\0' && strcmp(nick, c->want_nick) != 0)
        chat_notef(c, ENTRY_LOCAL,
                   "a nickname is 1-%d ASCII letters, digits, _ or -, starting with a letter or "
                   "digit: asking for %s",
                   NICK_MAX, c->want_nick);
    linebuf_init(&c->lb, (size_t)2 * LINE_MAX_BYTES);
    c->next_id = 1;
    c->ping_sent_ms = -1;
    c->tokens = CHAT_RATE_BURST;
    rooms_init(&c->rooms);
    ignore_init(&c->ignore);
    c->bell = BELL_MENTION;
    return 0;
}

void chat_free(struct chat *c)
{
    linebuf_free(&c->lb);
    free(c->rx);
    outbox_free(c);
    for (size_t i = 0; i < c->nnicks; i++)
        free(c->nicks[i]);
    paste_drop(c);
    secret_wipe(c, sizeof(*c)); /* the passwords with the rest */
}

void chat_clock(struct chat *c, int64_t mono_ms, int64_t wall_s)
{
    c->now_ms = mono_ms;
    c->wall = wall_s;
}

int chat_set_session(struct chat *c, const char *token)
{
    if (!msg_session_token_ok(token)) {
        c->session[0] = '\0';
        return -1;
    }
    memcpy(c->session, token, strlen(token) + 1);
    return 0;
}

void chat_on_connect(struct chat *c)
{
    c->online = true;
    c->conn_no++;
    c->dialect = DIALECT_UNKNOWN;
    c->raw = false;
    c->silent = false;
    c->silent_lines = 0;
    c->swallow_errs = 0;
    c->refused = false;
    c->ask_password = false;
    c->auth_wait_s = 0;
    c->drop_reason = NULL;
    c->out_full = false;
    c->out_blocked = false;
    c->ping_refused = false;
    c->hello_reply_due = true;
    c->rx_len = 0;
    outbox_drop(c);
    linebuf_free(&c->lb);
    linebuf_init(&c->lb, (size_t)2 * LINE_MAX_BYTES);
    c->online_ms = c->now_ms;
    c->ping_sent_ms = -1;
    c->st->state = CONN_CONNECTING;
    c->st->latency_ms = -1;
    c->st->users = 0;
    c->st->mode[0] = '\0';
    c->st->cluster = CLUSTER_NONE; /* a new server says again, if it is one of a cluster */
    /* The password rides in the HELLO (the server wants it before anything
     * else). A plain server that is not sockchat sees it too: it was given
     * for this address, and there is no way to know the server first. It
     * goes to no other address: after a /connect elsewhere the HELLO has
     * none, and a server that wants one asks (CHAT_ASK_PASSWORD). */
    const char *pw = password_hello(c);
    struct msg m = {.type = MSG_HELLO, .word = PROTO_HELLO_TAG, .nick = c->want_nick, .text = pw};
    char line[LINE_MAX_BYTES + 64];
    int n = msg_encode(line, sizeof(line), &m);
    if (n > 0)
        outbox_put(c, line, (size_t)n);
    secret_wipe(line, sizeof(line));
}

void chat_on_disconnect(struct chat *c, const char *reason)
{
    /* Bytes held back for a decision (a line that never ended) are what the
     * server last said: an SSH server closing after its banner, a reply. */
    if (c->online && c->dialect == DIALECT_UNKNOWN && c->rx_len > 0)
        detect_first_reply(c, true);
    bool was = c->online;
    c->online = false;
    c->dialect = DIALECT_UNKNOWN;
    outbox_drop(c);
    c->out_full = false;
    c->out_blocked = false;
    c->rx_len = 0;
    c->ping_sent_ms = -1;
    c->st->cluster = CLUSTER_NONE; /* said again by the next server */
    replay_stop(c);
    outbox_requeue(c);
    if (was) {
        if (c->npend && c->refused)
            chat_notef(c, ENTRY_LOCAL, "disconnected (%s); %zu message%s not sent yet", reason,
                       c->npend, c->npend == 1 ? "" : "s");
        else if (c->npend)
            chat_notef(c, ENTRY_LOCAL, "disconnected (%s); %zu message%s will be sent again",
                       reason, c->npend, c->npend == 1 ? "" : "s");
        else
            chat_notef(c, ENTRY_LOCAL, "disconnected (%s)", reason);
    }
}

enum chat_action chat_on_bytes(struct chat *c, const char *data, size_t len)
{
    if (!c->online || len == 0)
        return CHAT_NONE;
    if (c->dialect == DIALECT_PLAIN && c->silent && c->hello_reply_due &&
        !detect_after_silence(c, data, len))
        return CHAT_GIVE_UP;
    if (c->dialect == DIALECT_FRAMED) {
        handle_framed(c, data, len);
    } else if (c->dialect == DIALECT_PLAIN) {
        handle_plain(c, data, len);
    } else {
        /* Still deciding what the server is: keep its first bytes. */
        size_t limit = (size_t)2 * LINE_MAX_BYTES;
        size_t take = len;
        if (c->rx_len + take > limit)
            take = limit - c->rx_len;
        char *p = realloc(c->rx, limit);
        if (!p)
            return CHAT_DISCONNECT;
        c->rx = p;
        memcpy(c->rx + c->rx_len, data, take);
        c->rx_len += take;
        detect_first_reply(c, false);
        if (c->dialect != DIALECT_UNKNOWN && !c->refused && take < len)
            chat_on_bytes(c, data + take, len - take);
    }
    if (c->refused)
        return c->ask_password ? CHAT_ASK_PASSWORD : CHAT_GIVE_UP;
    outbox_flush(c);
    return outbox_verdict(c);
}

/* ---- timers ----------------------------------------------------------- */

enum chat_action chat_tick(struct chat *c)
{
    if (!c->online)
        return CHAT_NONE;
    if (c->dialect == DIALECT_UNKNOWN && c->now_ms - c->online_ms >= CHAT_GREETING_MS) {
        if (c->rx_len > 0)
            detect_first_reply(c, true); /* the start of a line that never ended */
        if (c->refused)
            return CHAT_GIVE_UP;
        if (c->dialect == DIALECT_UNKNOWN)
            detect_no_greeting(c);
    }
    if (c->dialect == DIALECT_FRAMED) {
        if (c->ping_sent_ms >= 0 && c->now_ms - c->ping_sent_ms >= CHAT_PING_DEAD_MS) {
            c->drop_reason = "no answer from the server";
            return CHAT_DISCONNECT;
        }
        if (c->ping_sent_ms < 0 && c->now_ms >= c->next_ping_ms) {
            char tok[32];
            snprintf(tok, sizeof(tok), "c%llu", (unsigned long long)++c->ping_no);
            struct msg m = {.type = MSG_PING, .word = tok};
            outbox_send_framed(c, &m);
            c->ping_sent_ms = c->now_ms;
            c->next_ping_ms = c->now_ms + CHAT_PING_MS;
        }
    }
    outbox_flush(c);
    return outbox_verdict(c);
}

int64_t chat_next_timeout(const struct chat *c)
{
    int64_t t = 1000;
    if (c->online && c->dialect == DIALECT_UNKNOWN) {
        int64_t d = c->online_ms + CHAT_GREETING_MS - c->now_ms;
        if (d < t)
            t = d;
    }
    if (chat_ready(c) && c->dialect == DIALECT_FRAMED) {
        for (size_t i = 0; i < c->npend; i++) {
            if (c->pend[i].sent_ms < 0) {
                t = t > 100 ? 100 : t; /* paced messages are waiting */
                break;
            }
        }
        if (c->ping_sent_ms < 0) {
            int64_t d = c->next_ping_ms - c->now_ms;
            if (d < t)
                t = d;
        }
    }
    return t < 0 ? 0 : t;
}

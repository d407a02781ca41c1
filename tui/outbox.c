/* outbox: what the client owes the server. Bytes waiting for the socket
 * (with a ceiling: see CHAT_OUT_MAX), and the user's own messages, pending
 * until the server acknowledges them: paced under the server's rate limit,
 * resent after a reconnect or a slow-down, and after a late greeting sent
 * again as MSG what went out as text. */
#include <stdlib.h>
#include <string.h>

#include "chat_internal.h"
#include "secret.h"

/* Queues bytes for the server. Past CHAT_OUT_MAX nothing more is queued
 * and c->out_full says the connection must go (see chat.h). */
bool outbox_put(struct chat *c, const char *s, size_t n)
{
    if (c->out_full || n > CHAT_OUT_MAX - c->out_len) {
        c->out_full = true;
        return false;
    }
    if (c->out == NULL || c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + n)
            cap *= 2;
        /* Not realloc: the old block may hold a HELLO with a password,
         * and is wiped before it is freed. */
        char *p = malloc(cap);
        if (!p)
            return false;
        if (c->out) {
            memcpy(p, c->out, c->out_len);
            secret_wipe(c->out, c->out_cap);
            free(c->out);
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
    return true;
}

/* Drops what is queued, leaving none of it (a password) in memory. */
void outbox_drop(struct chat *c)
{
    if (c->out)
        secret_wipe(c->out, c->out_len);
    c->out_len = 0;
}

void outbox_free(struct chat *c)
{
    if (c->out)
        secret_wipe(c->out, c->out_cap);
    free(c->out);
    for (size_t i = 0; i < c->npend; i++)
        free(c->pend[i].wire);
}

void outbox_send_framed(struct chat *c, const struct msg *m)
{
    char buf[LINE_MAX_BYTES + 64];
    int n = msg_encode(buf, sizeof(buf), m);
    if (n > 0)
        outbox_put(c, buf, (size_t)n);
}

void outbox_send_msg(struct chat *c, uint64_t id, const char *text)
{
    struct msg m = {.type = MSG_MSG, .id = id, .text = text};
    outbox_send_framed(c, &m);
}

/* Sends text to a plain server: a line, or for a tutorial-style server
 * that answers without newlines, the bare text as its client does. */
void outbox_send_plain(struct chat *c, const char *text)
{
    outbox_put(c, text, strlen(text));
    if (!c->raw)
        outbox_put(c, "\n", 1);
}

static void update_pending_status(struct chat *c)
{
    c->st->pending = (unsigned)c->npend;
}

static void refill(struct chat *c)
{
    int64_t dt = c->now_ms - c->tokens_ms;
    if (dt <= 0)
        return;
    c->tokens += (double)dt * CHAT_RATE_PER_S / 1000.0;
    if (c->tokens > CHAT_RATE_BURST)
        c->tokens = CHAT_RATE_BURST;
    c->tokens_ms = c->now_ms;
}

void outbox_flush(struct chat *c)
{
    if (!chat_ready(c))
        return;
    refill(c);
    for (size_t i = 0; i < c->npend; i++) {
        struct pending_msg *p = &c->pend[i];
        if (p->sent_ms >= 0) {
            if (c->raw)
                return; /* a tutorial server: one message in flight at a time */
            continue;
        }
        if (c->out_len >= CHAT_OUT_LOW) {
            /* The server reads slowly: the rest follow as it does
             * (chat_consume), and never count towards CHAT_OUT_MAX. */
            c->out_blocked = true;
            return;
        }
        if (c->dialect == DIALECT_FRAMED) {
            if (c->now_ms < c->hold_until_ms || c->tokens < 1.0)
                return;
            c->tokens -= 1.0;
            outbox_send_msg(c, p->id, p->wire);
        } else {
            outbox_send_plain(c, p->wire);
            if (c->silent)
                c->silent_lines++;
        }
        p->sent_ms = c->now_ms;
        if (p->first_conn == 0)
            p->first_conn = c->conn_no;
        if (c->raw)
            return;
    }
}

void outbox_queue_own(struct chat *c, enum entry_kind kind, const char *shown, const char *wire)
{
    if (c->npend == CHAT_PENDING_MAX) {
        chat_notef(c, ENTRY_ERR, "too many messages waiting; not sent: %s", shown);
        return;
    }
    char *w = strdup(wire);
    if (!w)
        return;
    chat_add_entry(c, kind, c->wall, c->st->nick, shown, strlen(shown));
    uint64_t seq = c->log->next_seq - 1;
    chatlog_set_delivery(c->log, seq, DELIVERY_PENDING, 0);
    struct pending_msg *p = &c->pend[c->npend++];
    p->id = c->next_id++;
    p->seq = seq;
    p->wire = w;
    p->sent_ms = -1;
    p->first_conn = 0;
    update_pending_status(c);
    outbox_flush(c);
}

void outbox_done(struct chat *c, size_t i, enum delivery d)
{
    struct pending_msg *p = &c->pend[i];
    int64_t rtt = p->sent_ms >= 0 ? c->now_ms - p->sent_ms : 0;
    if (rtt < 0)
        rtt = 0;
    chatlog_set_delivery(c->log, p->seq, d, (uint32_t)(rtt > UINT32_MAX ? UINT32_MAX : rtt));
    free(p->wire);
    memmove(c->pend + i, c->pend + i + 1, (c->npend - i - 1) * sizeof(*c->pend));
    c->npend--;
    update_pending_status(c);
}

ssize_t outbox_in_flight(const struct chat *c)
{
    for (size_t i = 0; i < c->npend; i++)
        if (c->pend[i].sent_ms >= 0)
            return (ssize_t)i;
    return -1;
}

/* After a drop: everything unacknowledged goes again on the next
 * connection. */
void outbox_requeue(struct chat *c)
{
    for (size_t i = 0; i < c->npend; i++)
        c->pend[i].sent_ms = -1;
    update_pending_status(c);
}

/* A server that sent no greeting for CHAT_GREETING_MS greets after all:
 * it is a sockchat server that was busy (single mode serves one client at
 * a time; the others wait in its listen queue). It read our HELLO first, so
 * it speaks framed to us; every text line we wrote meanwhile it refuses as
 * a malformed line. Those refusals are not shown, and the messages are
 * sent again, properly, after the WELCOME. */
void outbox_late_greeting(struct chat *c)
{
    c->dialect = DIALECT_FRAMED;
    c->silent = false;
    c->raw = false;
    c->hello_reply_due = false;
    c->swallow_errs = c->silent_lines;
    size_t resent = 0;
    for (size_t i = 0; i < c->npend; i++) {
        /* Their ids stay: one may have gone out as MSG on an earlier
         * connection, and SESSION must recognise it. What was typed to a
         * server without a greeting was text: a leading '/' is escaped, or
         * a pasted "/quit is how you leave" would run. */
        struct pending_msg *p = &c->pend[i];
        struct cmd cmd;
        char *esc;
        if (cmd_parse(p->wire, &cmd) && (esc = malloc(strlen(p->wire) + 2)) != NULL) {
            esc[0] = '/';
            memcpy(esc + 1, p->wire, strlen(p->wire) + 1);
            free(p->wire);
            p->wire = esc;
        }
        if (p->sent_ms >= 0)
            resent++;
        p->sent_ms = -1;
        if (p->first_conn == c->conn_no)
            p->first_conn = 0; /* as text here, refused: never relayed */
    }
    if (resent)
        chat_notef(c, ENTRY_LOCAL,
                   "the server greeted after all (it was serving someone else): "
                   "%zu message%s sent again",
                   resent, resent == 1 ? "" : "s");
}

/* Own messages stay pending (chat_on_disconnect), as after any drop. */
enum chat_action outbox_verdict(struct chat *c)
{
    if (!c->out_full)
        return CHAT_NONE;
    c->drop_reason = "the server is not reading what we send";
    return CHAT_DISCONNECT;
}

/* ---- the event loop's side ---- */

const char *chat_output(const struct chat *c, size_t *len)
{
    *len = c->out_len;
    return c->out ? c->out : "";
}

void chat_consume(struct chat *c, size_t n)
{
    size_t was = c->out_len;
    if (n >= c->out_len) {
        c->out_len = 0;
    } else {
        memmove(c->out, c->out + n, c->out_len - n);
        c->out_len -= n;
    }
    if (c->out)
        secret_wipe(c->out + c->out_len, was - c->out_len); /* the HELLO's password */
    if (c->out_blocked && c->out_len < CHAT_OUT_LOW) {
        c->out_blocked = false; /* the server read: the next own messages may go */
        outbox_flush(c);
    }
}

/* conn: the curses client's connection: connecting, retrying with a
 * backoff, dropping, reading what arrives into the model and writing what
 * the model queued. Everything said about it goes to the log through the
 * model (chat_note). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

enum {
    LOOP_READ_CHUNK = 65536,
    READS_PER_TURN = 32, /* then draw, so a flood cannot freeze the screen */
};

void conn_name_server(struct app *a)
{
    const struct addr_entry *e = addrlist_current(&a->addrs);
    size_t len = addrlist_format(e, a->st.server, sizeof(a->st.server));
    /* A name with several addresses: which of them this connection is
     * to, once connected (a cluster's nodes behind one name). */
    if (e->naddr > 1 && a->net.fd >= 0 && !a->net.connecting && a->net.addr_text[0] &&
        strcmp(a->net.addr_text, e->host) != 0)
        snprintf(a->st.server + len, sizeof(a->st.server) - len, " (%s)", a->net.addr_text);
}

/* Each line of msg as a log entry of kind k. */
static void note_lines(struct app *a, enum entry_kind k, const char *msg)
{
    while (*msg) {
        size_t n = strcspn(msg, "\n");
        char line[1200];
        snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1),
                 msg);
        chat_note(&a->cl, k, line);
        msg += n + (msg[n] == '\n');
    }
}

void conn_refuse(struct app *a, const char *msg, const char *reason)
{
    note_lines(a, ENTRY_ERR, msg);
    chat_note(&a->cl, ENTRY_LOCAL,
              "not reconnecting; /reconnect tries again, /connect HOST [PORT] goes elsewhere");
    net_close(&a->net);
    a->retry_at = -1;
    a->st.state = CONN_FAILED;
    a->st.tls[0] = '\0';
    status_set_reason(&a->st, reason);
}

void conn_trusted(struct app *a)
{
    snprintf(a->st.tls, sizeof(a->st.tls), "%s", a->net.ssl ? a->net.tls_version : "");
    addrlist_connected(&a->addrs, a->net.ai_index, a->net.ai_count);
    conn_name_server(a);
    chat_on_connect(&a->cl);
}

/* A connection is made: where it is, for the round robin and the bar;
 * over TLS, first whether the certificate is the server's (tofu.h). */
static void conn_made(struct app *a)
{
    if (a->net.ssl) {
        const struct addr_entry *e = addrlist_current(&a->addrs);
        char msg[2048];
        switch (tofu_check(&a->tofu, &a->net, e->host, e->port, msg, sizeof(msg))) {
        case TOFU_REFUSE:
            conn_refuse(a, msg, strstr(msg, "CHANGED") ? "the certificate changed" : "not trusted");
            return;
        case TOFU_ASK:
            note_lines(a, ENTRY_LOCAL, msg);
            trustask_start(a, "Trust this server? Type yes or no, then Enter: ");
            return;
        case TOFU_OK:
        default:
            if (msg[0])
                note_lines(a, ENTRY_LOCAL, msg);
            break;
        }
    }
    conn_trusted(a);
}

/* Back off before the next attempt. round: every address of several
 * failed (the log says so rather than blame the last one alone). */
static void conn_schedule_retry(struct app *a, const char *reason, bool round)
{
    unsigned d = net_backoff_next(&a->net);
    /* A server that is not judging passwords from our address says for
     * how long: an earlier attempt would only be turned away again. */
    if (a->cl.auth_wait_s > d)
        d = a->cl.auth_wait_s;
    a->retry_at = a->now + (int64_t)d * 1000;
    a->st.state = CONN_RETRY;
    a->st.retry_in = d;
    status_set_reason(&a->st, reason);
    char note[900];
    if (round)
        snprintf(note, sizeof(note), "%s: %s; all %u addresses failed, retrying in %u s",
                 a->st.server, reason, addrlist_total(&a->addrs), d);
    else
        snprintf(note, sizeof(note), "%s: %s; retrying in %u s", a->st.server, reason, d);
    conn_name_server(a); /* where the retry goes: the next round's first */
    chat_note(&a->cl, ENTRY_LOCAL, note);
}

/* rc -2: retrying is pointless (no such name or service); -1: retry later.
 * With several addresses the next one is tried at once (a name that does
 * not exist is one bad entry of the list, not the end); only a whole
 * round that failed backs off. */
static void conn_failed(struct app *a, int rc, const char *err)
{
    if (rc == -3) {
        /* TLS refused, or answered in clear text: the same next time. */
        const struct addr_entry *e = addrlist_current(&a->addrs);
        char msg[1500];
        tofu_refused_text(&a->net, e->host, e->port, a->known_line, err, msg, sizeof(msg));
        conn_refuse(a, msg,
                    a->net.tls_fail == TLS_FAIL_NOT_TLS && a->known_line ? "TLS downgrade refused"
                                                                         : err);
        return;
    }
    if (rc == -2 && a->addrs.n == 1) {
        a->st.state = CONN_FAILED;
        status_set_reason(&a->st, err);
        chat_note(&a->cl, ENTRY_ERR, err);
        return;
    }
    unsigned tried = rc == -2 ? 0 : a->net.ai_count;
    bool several = addrlist_total(&a->addrs) > 1 || tried > 1;
    char from[sizeof(a->st.server)];
    snprintf(from, sizeof(from), "%s", a->st.server);
    if (addrlist_failed(&a->addrs, tried)) {
        conn_schedule_retry(a, err, several);
        return;
    }
    conn_name_server(a);
    char note[1200];
    snprintf(note, sizeof(note), "%s: %s; trying %s", from, err, a->st.server);
    chat_note(&a->cl, ENTRY_LOCAL, note);
    conn_start(a); /* bounded: the round ends after every address */
}

void conn_start(struct app *a)
{
    char err[200];
    a->retry_at = -1;
    a->st.state = CONN_CONNECTING;
    /* Whose password the HELLO may carry, and whose rooms: the list as
     * the user gave it, whichever of its addresses this is. */
    chat_set_server(&a->cl, a->host, a->port);
    const struct addr_entry *e = addrlist_current(&a->addrs);
    conn_name_server(a);
    a->net.ai_first = a->addrs.sub;
    a->st.tls[0] = '\0';
    char terr[300];
    bool tls =
        tofu_wants_tls(&a->tofu, e->host, e->port, e->tls, &a->known_line, terr, sizeof(terr));
    if (terr[0])
        chat_note(&a->cl, ENTRY_ERR, terr);
    a->net.tls_ctx = tls ? a->tofu.ctx : NULL;
    a->cl.no_password = !tls && a->known_line > 0;
    if (a->cl.no_password) {
        tofu_no_password_text(e->host, e->port, a->known_line, terr, sizeof(terr));
        chat_note(&a->cl, ENTRY_ERR, terr);
    }
    int rc = net_start(&a->net, e->host, e->port, a->now, err, sizeof(err));
    if (rc < 0) {
        conn_failed(a, rc, err);
        return;
    }
    if (!a->net.connecting)
        conn_made(a);
}

void conn_drop(struct app *a, const char *reason)
{
    a->st.tls[0] = '\0';
    /* Asked before the model hears of the drop: the server had greeted
     * us, so the connection was good and a new round begins. */
    bool greeted = a->st.state == CONN_CONNECTED;
    net_close(&a->net);
    if (a->quitting)
        return; /* the end we asked for: no reconnecting */
    chat_on_disconnect(&a->cl, reason);
    if (a->cl.refused) {
        /* What it said before closing shows no chat server: the client
         * said so; the status stays "failed" until /reconnect or /connect. */
        a->retry_at = -1;
        a->st.state = CONN_FAILED;
        return;
    }
    /* A node of several died (SIGKILLed, rebooted): the next one at once.
     * The session token and the pending messages go with us
     * (chat_on_connect, on_welcome), so nothing is lost or doubled. Not
     * when the server asked us to wait before a password is judged
     * again: hopping to another node would only dodge its lock-out. */
    if (addrlist_total(&a->addrs) > 1 && a->cl.auth_wait_s == 0) {
        char from[sizeof(a->st.server)];
        snprintf(from, sizeof(from), "%s", a->st.server);
        if (!addrlist_lost(&a->addrs, greeted)) {
            conn_name_server(a);
            char note[1200];
            snprintf(note, sizeof(note), "connection to %s lost; trying %s", from, a->st.server);
            chat_note(&a->cl, ENTRY_LOCAL, note);
            conn_start(a);
            return;
        }
        /* None of them greeted since the last good connection: back off. */
    }
    conn_schedule_retry(a, reason, false);
}

/* Leaves the current connection on the user's word (/connect, /reconnect):
 * the goodbye chat_submit queued goes out if it fits now. */
void conn_leave(struct app *a, const char *reason)
{
    if (a->net.fd < 0)
        return;
    conn_flush(a);
    net_close(&a->net);
    chat_on_disconnect(&a->cl, reason);
}

/* The user acted (typed a message) while offline. A retry waiting out its
 * backoff, up to 30 s, starts now: the server may well be back, and the
 * user is looking. The backoff goes on growing if it is not. After a
 * refusal (kicked, wrong password, not a chat server) nothing is retried
 * by itself; the message waits, and the user is told how to go on. */
void conn_retry_now(struct app *a)
{
    if (a->retry_at >= 0 && a->cl.auth_wait_s > 0) {
        /* The server said when it will judge a password from us again:
         * an earlier try would only be turned away. */
        char note[120];
        snprintf(note, sizeof(note), "the server asked to wait; trying again in %u s",
                 a->st.retry_in);
        chat_note(&a->cl, ENTRY_LOCAL, note);
    } else if (a->retry_at >= 0) {
        conn_start(a);
    } else if (a->st.state == CONN_FAILED && a->net.fd < 0) {
        char note[300];
        snprintf(note, sizeof(note),
                 "not connected (%s); /reconnect tries again, /connect HOST [PORT] goes "
                 "elsewhere",
                 a->st.reason[0] ? a->st.reason : "failed");
        chat_note(&a->cl, ENTRY_LOCAL, note);
    }
}

void conn_on_socket(struct app *a, short revents)
{
    char err[200];
    if (a->net.connecting) {
        bool timed_out = !(revents & (POLLIN | POLLOUT | POLLERR | POLLHUP));
        int rc = net_finish(&a->net, a->now, timed_out, err, sizeof(err));
        if (rc == 1)
            conn_made(a);
        else if (rc < 0)
            conn_failed(a, rc, err);
        return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        static char buf[LOOP_READ_CHUNK];
        for (int i = 0; i < READS_PER_TURN; i++) {
            ssize_t r = net_read(&a->net, buf, sizeof(buf));
            if (r > 0) {
                loop_act(a, chat_on_bytes(&a->cl, buf, (size_t)r));
                if (a->net.fd < 0)
                    return;
                continue;
            }
            if (r == 0) {
                conn_drop(a, "connection closed by the server");
                return;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            snprintf(err, sizeof(err), "read: %s",
                     errno == EPROTO ? a->net.last_err : strerror(errno));
            conn_drop(a, err);
            return;
        }
    }
}

void conn_flush(struct app *a)
{
    size_t len;
    const char *out = chat_output(&a->cl, &len);
    if (a->net.fd < 0 || a->net.connecting || len == 0)
        return;
    ssize_t w = net_write(&a->net, out, len);
    if (w > 0) {
        chat_consume(&a->cl, (size_t)w);
    } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        char err[200];
        snprintf(err, sizeof(err), "send: %s", errno == EPROTO ? a->net.last_err : strerror(errno));
        conn_drop(a, err);
    }
}

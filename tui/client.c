/* client: the protocol state machine of the curses client (see client.h). */
#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "editline.h"
#include "foreign.h"
#include "hostport.h"
#include "msg.h"
#include "sanitize.h"
#include "secret.h"

static const char *const commands[] = {
    "/clear", "/connect",   "/help",  "/me",   "/msg",    "/nick", "/ping",
    "/quit",  "/reconnect", "/stats", "/time", "/uptime", "/who",
};

/* At most 72 columns each: with the time in front they fit 80. */
static const char *const help_lines[] = {
    "keys: Enter send, Up/Down history, Tab completes nicks and /commands",
    "  Left/Right Ctrl-B/F move, Alt-B/F by word, Home/End Ctrl-A/E",
    "  Backspace/Delete, Ctrl-W word, Ctrl-U to start, Ctrl-K to end",
    "  PgUp/PgDn scroll (the wheel with --mouse), Ctrl-Home/End top/bottom",
    "  (Home/End on an empty line too), Ctrl-L redraw",
    "  Ctrl-Z suspend (fg resumes), Ctrl-C or Ctrl-D (empty line) quit",
    "client commands: /quit [reason] or exit, /clear, /help,",
    "  /connect HOST [PORT], /reconnect (now, to the same server)",
};

/* ---- small helpers ---------------------------------------------------- */

static void add_entry(struct client *c, enum entry_kind kind, int64_t time, const char *nick,
                      const char *text, size_t text_len)
{
    /* Never trust the server: everything shown goes through the sanitiser. */
    static char safe_text[SANITIZE_CAP(2 * LINE_MAX_BYTES + 64)];
    char safe_nick[SANITIZE_CAP(64)];
    if (text_len > 2 * LINE_MAX_BYTES + 64)
        text_len = 2 * LINE_MAX_BYTES + 64;
    sanitize_text(safe_text, sizeof(safe_text), text, text_len);
    if (nick) {
        size_t nl = strlen(nick);
        sanitize_text(safe_nick, sizeof(safe_nick), nick, nl > 63 ? 63 : nl);
    }
    chatlog_append(c->log, kind, time, nick ? safe_nick : NULL, safe_text);
}

void client_note(struct client *c, enum entry_kind kind, const char *text)
{
    add_entry(c, kind, c->wall, NULL, text, strlen(text));
}

static void notef(struct client *c, enum entry_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void notef(struct client *c, enum entry_kind kind, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    client_note(c, kind, buf);
}

/* Queues bytes for the server. Past CLIENT_OUT_MAX nothing more is queued
 * and c->out_full says the connection must go (see client.h). */
static bool out_put(struct client *c, const char *s, size_t n)
{
    if (c->out_full || n > CLIENT_OUT_MAX - c->out_len) {
        c->out_full = true;
        return false;
    }
    if (c->out_len + n > c->out_cap) {
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
static void out_drop(struct client *c)
{
    if (c->out)
        secret_wipe(c->out, c->out_len);
    c->out_len = 0;
}

static void send_framed(struct client *c, const struct msg *m)
{
    char buf[LINE_MAX_BYTES + 64];
    int n = msg_encode(buf, sizeof(buf), m);
    if (n > 0)
        out_put(c, buf, (size_t)n);
}

static void send_msg(struct client *c, uint64_t id, const char *text)
{
    struct msg m = {.type = MSG_MSG, .id = id, .text = text};
    send_framed(c, &m);
}

/* Sends text to a plain server: a line, or for a tutorial-style server
 * that answers without newlines, the bare text as its client does. */
static void send_plain(struct client *c, const char *text)
{
    out_put(c, text, strlen(text));
    if (!c->raw)
        out_put(c, "\n", 1);
}

static bool ready(const struct client *c)
{
    return c->online && c->dialect != DIALECT_UNKNOWN;
}

static void update_pending_status(struct client *c)
{
    c->st->pending = (unsigned)c->npend;
}

/* ---- nicks ------------------------------------------------------------ */

static ssize_t nick_find(const struct client *c, const char *nick)
{
    for (size_t i = 0; i < c->nnicks; i++)
        if (strcasecmp(c->nicks[i], nick) == 0)
            return (ssize_t)i;
    return -1;
}

static void nick_add(struct client *c, const char *nick)
{
    if (!nick_valid(nick, strlen(nick)) || nick_find(c, nick) >= 0)
        return;
    if (c->nnicks == CLIENT_NICKS_MAX) {
        free(c->nicks[0]);
        memmove(c->nicks, c->nicks + 1, (CLIENT_NICKS_MAX - 1) * sizeof(char *));
        c->nnicks--;
    }
    char *copy = strdup(nick);
    if (copy)
        c->nicks[c->nnicks++] = copy;
}

static void nick_remove(struct client *c, const char *nick)
{
    ssize_t i = nick_find(c, nick);
    if (i < 0)
        return;
    free(c->nicks[i]);
    memmove(c->nicks + i, c->nicks + i + 1, (c->nnicks - (size_t)i - 1) * sizeof(char *));
    c->nnicks--;
}

void client_clean_nick(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n < NICK_MAX && n + 1 < cap; p++) {
        char ch = *p;
        if (((unsigned char)ch & 0xC0) == 0x80)
            continue; /* one '_' per character, not per UTF-8 byte */
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (n == 0 && !alnum)
            continue; /* a nick starts with a letter or digit (nick_valid) */
        out[n++] = alnum || ch == '_' || ch == '-' ? ch : '_';
    }
    if (n == 0)
        snprintf(out, cap, "guest");
    else
        out[n] = '\0';
}

size_t client_completions(const struct client *c, const char **cands, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands) && n < max; i++)
        cands[n++] = commands[i];
    for (size_t i = 0; i < c->nnicks && n < max; i++)
        if (strcasecmp(c->nicks[i], c->st->nick) != 0)
            cands[n++] = c->nicks[i];
    return n;
}

/* ---- life cycle ------------------------------------------------------- */

int client_init(struct client *c, struct chatlog *log, struct status *st, const char *nick)
{
    memset(c, 0, sizeof(*c));
    c->log = log;
    c->st = st;
    client_clean_nick(nick, c->want_nick, sizeof(c->want_nick));
    snprintf(st->nick, sizeof(st->nick), "%s", c->want_nick);
    if (nick != NULL && nick[0] != '\0' && strcmp(nick, c->want_nick) != 0)
        notef(c, ENTRY_LOCAL,
              "a nickname is 1-%d ASCII letters, digits, _ or -, starting with a letter or "
              "digit: asking for %s",
              NICK_MAX, c->want_nick);
    linebuf_init(&c->lb, (size_t)2 * LINE_MAX_BYTES);
    c->next_id = 1;
    c->ping_sent_ms = -1;
    c->tokens = CLIENT_RATE_BURST;
    return 0;
}

static void paste_drop(struct client *c)
{
    for (size_t i = 0; i < c->npaste; i++)
        free(c->paste[i]);
    free(c->paste);
    c->paste = NULL;
    c->npaste = 0;
}

void client_free(struct client *c)
{
    linebuf_free(&c->lb);
    free(c->rx);
    if (c->out)
        secret_wipe(c->out, c->out_cap);
    free(c->out);
    for (size_t i = 0; i < c->npend; i++)
        free(c->pend[i].wire);
    for (size_t i = 0; i < c->nnicks; i++)
        free(c->nicks[i]);
    paste_drop(c);
    secret_wipe(c, sizeof(*c)); /* the passwords with the rest */
}

void client_clock(struct client *c, int64_t mono_ms, int64_t wall_s)
{
    c->now_ms = mono_ms;
    c->wall = wall_s;
}

/* ---- passwords ------------------------------------------------------- */

static void password_forget(struct client_password *pw)
{
    secret_wipe(pw, sizeof(*pw));
}

static int password_keep(struct client_password *pw, const char *password, const char *host,
                         const char *port)
{
    size_t n = strlen(password);
    password_forget(pw);
    if (n > CLIENT_PASSWORD_MAX || strpbrk(password, "\r\n") || strlen(host) >= sizeof(pw->host) ||
        strlen(port) >= sizeof(pw->port))
        return -1;
    memcpy(pw->text, password, n + 1);
    memcpy(pw->host, host, strlen(host) + 1);
    memcpy(pw->port, port, strlen(port) + 1);
    return 0;
}

/* The same server as the password was given for: the host as typed
 * (names are not case-sensitive; nothing is resolved, so "localhost" and
 * "127.0.0.1" differ, as do a name and its address: a name can point
 * elsewhere tomorrow) and the same port number ("5000" is "05000"). */
static bool password_for(const struct client_password *pw, const char *host, const char *port)
{
    if (pw->text[0] == '\0' || strcasecmp(pw->host, host) != 0)
        return false;
    char *e1, *e2;
    long a = strtol(pw->port, &e1, 10), b = strtol(port, &e2, 10);
    if (*e1 != '\0' || *e2 != '\0' || pw->port[0] == '\0' || port[0] == '\0')
        return strcmp(pw->port, port) == 0;
    return a == b;
}

int client_set_password(struct client *c, const char *password, const char *host, const char *port)
{
    return password_keep(&c->given, password, host, port);
}

int client_set_typed_password(struct client *c, const char *password)
{
    return password_keep(&c->typed, password, c->host, c->port);
}

void client_set_server(struct client *c, const char *host, const char *port)
{
    snprintf(c->host, sizeof(c->host), "%s", host);
    snprintf(c->port, sizeof(c->port), "%s", port);
    /* A typed password belongs to the server that asked for it. */
    if (c->typed.text[0] && !password_for(&c->typed, c->host, c->port))
        password_forget(&c->typed);
}

int client_set_session(struct client *c, const char *token)
{
    if (!msg_session_token_ok(token)) {
        c->session[0] = '\0';
        return -1;
    }
    memcpy(c->session, token, strlen(token) + 1);
    return 0;
}

void client_on_connect(struct client *c)
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
    out_drop(c);
    linebuf_free(&c->lb);
    linebuf_init(&c->lb, (size_t)2 * LINE_MAX_BYTES);
    c->online_ms = c->now_ms;
    c->ping_sent_ms = -1;
    c->st->state = CONN_CONNECTING;
    c->st->latency_ms = -1;
    c->st->users = 0;
    c->st->mode[0] = '\0';
    /* The password rides in the HELLO (the server wants it before anything
     * else). A plain server that is not sockchat sees it too: it was given
     * for this address, and there is no way to know the server first. It
     * goes to no other address: after a /connect elsewhere the HELLO has
     * none, and a server that wants one asks (CLIENT_ASK_PASSWORD). */
    const char *pw = NULL;
    c->hello_typed = password_for(&c->typed, c->host, c->port);
    if (c->hello_typed)
        pw = c->typed.text;
    else if (password_for(&c->given, c->host, c->port))
        pw = c->given.text;
    c->hello_password = pw != NULL;
    struct msg m = {.type = MSG_HELLO, .word = PROTO_HELLO_TAG, .nick = c->want_nick, .text = pw};
    char line[LINE_MAX_BYTES + 64];
    int n = msg_encode(line, sizeof(line), &m);
    if (n > 0)
        out_put(c, line, (size_t)n);
    secret_wipe(line, sizeof(line));
}

static void first_reply(struct client *c, bool complete);

void client_on_disconnect(struct client *c, const char *reason)
{
    /* Bytes held back for a decision (a line that never ended) are what the
     * server last said: an SSH server closing after its banner, a reply. */
    if (c->online && c->dialect == DIALECT_UNKNOWN && c->rx_len > 0)
        first_reply(c, true);
    bool was = c->online;
    c->online = false;
    c->dialect = DIALECT_UNKNOWN;
    out_drop(c);
    c->out_full = false;
    c->out_blocked = false;
    c->rx_len = 0;
    c->ping_sent_ms = -1;
    c->replaying = false;
    for (size_t i = 0; i < c->npend; i++)
        c->pend[i].sent_ms = -1;
    if (was) {
        if (c->npend && c->refused)
            notef(c, ENTRY_LOCAL, "disconnected (%s); %zu message%s not sent yet", reason, c->npend,
                  c->npend == 1 ? "" : "s");
        else if (c->npend)
            notef(c, ENTRY_LOCAL, "disconnected (%s); %zu message%s will be sent again", reason,
                  c->npend, c->npend == 1 ? "" : "s");
        else
            notef(c, ENTRY_LOCAL, "disconnected (%s)", reason);
    }
    update_pending_status(c);
}

/* ---- sending own messages --------------------------------------------- */

static void refill(struct client *c)
{
    int64_t dt = c->now_ms - c->tokens_ms;
    if (dt <= 0)
        return;
    c->tokens += (double)dt * CLIENT_RATE_PER_S / 1000.0;
    if (c->tokens > CLIENT_RATE_BURST)
        c->tokens = CLIENT_RATE_BURST;
    c->tokens_ms = c->now_ms;
}

/* Sends whatever pending messages may go now, in order. */
static void flush_pending(struct client *c)
{
    if (!ready(c))
        return;
    refill(c);
    for (size_t i = 0; i < c->npend; i++) {
        struct pending_msg *p = &c->pend[i];
        if (p->sent_ms >= 0) {
            if (c->raw)
                return; /* a tutorial server: one message in flight at a time */
            continue;
        }
        if (c->out_len >= CLIENT_OUT_LOW) {
            /* The server reads slowly: the rest follow as it does
             * (client_consume), and never count towards CLIENT_OUT_MAX. */
            c->out_blocked = true;
            return;
        }
        if (c->dialect == DIALECT_FRAMED) {
            if (c->now_ms < c->hold_until_ms || c->tokens < 1.0)
                return;
            c->tokens -= 1.0;
            send_msg(c, p->id, p->wire);
        } else {
            send_plain(c, p->wire);
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

static void queue_own(struct client *c, enum entry_kind kind, const char *shown, const char *wire)
{
    if (c->npend == CLIENT_PENDING_MAX) {
        notef(c, ENTRY_ERR, "too many messages waiting; not sent: %s", shown);
        return;
    }
    char *w = strdup(wire);
    if (!w)
        return;
    add_entry(c, kind, c->wall, c->st->nick, shown, strlen(shown));
    uint64_t seq = c->log->next_seq - 1;
    chatlog_set_delivery(c->log, seq, DELIVERY_PENDING, 0);
    struct pending_msg *p = &c->pend[c->npend++];
    p->id = c->next_id++;
    p->seq = seq;
    p->wire = w;
    p->sent_ms = -1;
    p->first_conn = 0;
    update_pending_status(c);
    flush_pending(c);
}

static void pending_done(struct client *c, size_t i, enum delivery d)
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

/* ---- the framed dialect ----------------------------------------------- */

static void on_welcome(struct client *c, const struct msg *m)
{
    c->dialect = DIALECT_FRAMED;
    c->st->state = CONN_CONNECTED;
    sanitize_text(c->st->nick, sizeof(c->st->nick), m->nick, strlen(m->nick));
    sanitize_text(c->st->mode, sizeof(c->st->mode), m->word, strlen(m->word));
    const char *mode = c->st->mode;
    c->st->users = m->users;
    c->next_ping_ms = c->now_ms; /* measure latency at once */
    nick_add(c, m->nick);
    char line[600];
    snprintf(line, sizeof(line), "connected to %.200s as %s (%s mode, %u online)",
             m->text[0] ? m->text : "sockchat", m->nick, mode, m->users);
    client_note(c, ENTRY_LOCAL, line);
    bool got = strcasecmp(m->nick, c->want_nick) == 0;
    /* guestN is never granted: a fresh one instead is no news. */
    if (!got && !nick_reserved(c->want_nick))
        notef(c, ENTRY_LOCAL, "the nick %s was not available; you are %s", c->want_nick,
              c->st->nick);
    if (got) {
        c->want_granted = true;
    } else if (!c->want_granted) {
        /* Never ours: someone else had it first. Asking for it on every
         * reconnect would hand it to whoever reconnects first after a
         * server restart, so ask for the name we have now. (A name we did
         * have is still asked for: the one holding it is likely our own
         * dead connection, and it comes back when that one leaves.) */
        client_clean_nick(c->st->nick, c->want_nick, sizeof(c->want_nick));
    }
    /* Before anything is resent: the server checks resent ids against it. */
    if (c->session[0]) {
        struct msg s = {.type = MSG_SESSION, .word = c->session};
        send_framed(c, &s);
    }
    flush_pending(c);
}

/* ---- history replay ----------------------------------------------------- */

/* After every WELCOME the server sends its history, as ordinary CHAT and
 * ACTION lines. After a reconnect most of them are already in the log, and
 * showing them again would bury the conversation under copies. So, from
 * the WELCOME on, each CHAT or ACTION line is looked for among the entries
 * that were there before it: the first one from the newest end, the next
 * ones after the last match, in order. The first line not found, or any
 * other kind of line, ends the replay, and from there on everything is
 * shown. A mismatch can only show a copy, never hide a new message: a
 * match needs the same nick and text, and the same server time unless the
 * entry is one's own (kept with this machine's time). */

/* Own lines are kept with this machine's clock, the server's copies carry
 * its clock: for the first match they must agree within this much. */
enum { REPLAY_OWN_SKEW_S = 5, REPLAY_LOOKBACK = 8 };

/* An own entry the server can have had when it sent this history:
 * acknowledged, or written on an earlier connection (its ACK may have been
 * lost). Not one typed offline, even if it went out right after this
 * WELCOME: the history was sent before the server read it. */
static bool own_sent(const struct client *c, const struct entry *e)
{
    if (e->delivery == DELIVERY_DONE)
        return true;
    for (size_t i = 0; i < c->npend; i++)
        if (c->pend[i].seq == e->seq)
            return c->pend[i].first_conn != 0 && c->pend[i].first_conn < c->conn_no;
    return false;
}

static bool replay_match(const struct client *c, const struct entry *e, enum entry_kind kind,
                         int64_t time, const char *nick, const char *text, bool anchor)
{
    if (e->nick == NULL || strcmp(e->text, text) != 0 || strcmp(e->nick, nick) != 0)
        return false;
    if (e->delivery != DELIVERY_NONE) {
        /* One's own: SELF for chat, ACTION for /me, and only one the server
         * can have (a line typed offline matching another user's must not
         * hide it). */
        if ((e->kind == ENTRY_SELF ? ENTRY_CHAT : e->kind) != kind || !own_sent(c, e))
            return false;
        int64_t skew = e->time > time ? e->time - time : time - e->time;
        return !anchor || skew <= REPLAY_OWN_SKEW_S;
    }
    return e->kind == kind && e->time == time;
}

static bool replay_used(const struct client *c, uint64_t seq)
{
    for (size_t i = 0; i < sizeof(c->replay_used) / sizeof(*c->replay_used); i++)
        if (c->replay_used[i] == seq)
            return true;
    return false;
}

/* The index of the first entry whose seq is at least seq (seqs grow). */
static size_t index_of_seq(const struct chatlog *log, uint64_t seq)
{
    size_t lo = 0, hi = chatlog_count(log);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (chatlog_at(log, mid)->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void replay_end(struct client *c)
{
    if (!c->replaying)
        return;
    c->replaying = false;
    if (c->replay_skipped > 0)
        notef(c, ENTRY_LOCAL, "%u earlier message%s already shown above, not repeated",
              c->replay_skipped, c->replay_skipped == 1 ? "" : "s");
}

/* True when the CHAT or ACTION line m is history the log already shows. */
static bool replay_seen(struct client *c, enum entry_kind kind, const struct msg *m)
{
    if (!c->replaying)
        return false;
    /* Compared as add_entry() would keep them. */
    static char text[SANITIZE_CAP(2 * LINE_MAX_BYTES + 64)];
    char nick[SANITIZE_CAP(64)];
    size_t tl = strlen(m->text), nl = strlen(m->nick);
    sanitize_text(text, sizeof(text), m->text,
                  tl > 2 * LINE_MAX_BYTES + 64 ? 2 * LINE_MAX_BYTES + 64 : tl);
    sanitize_text(nick, sizeof(nick), m->nick, nl > 63 ? 63 : nl);
    int64_t time = m->time;
    const struct chatlog *log = c->log;
    size_t end = index_of_seq(log, c->replay_floor);
    struct entry *hit = NULL;
    if (c->replay_from == 0) {
        for (size_t i = end; i-- > 0 && hit == NULL;)
            if (replay_match(c, chatlog_at(log, i), kind, time, nick, text, true))
                hit = chatlog_at(log, i);
        if (hit != NULL)
            c->replay_anchor = hit->seq;
    } else {
        /* On from the last match, and a few entries back: an own line is
         * logged when sent, the server orders it when it arrives, so it
         * may come after lines that arrived here before its ACK. */
        size_t i = index_of_seq(log, c->replay_from);
        size_t first = index_of_seq(log, c->replay_anchor);
        i = i > first + REPLAY_LOOKBACK ? i - REPLAY_LOOKBACK : first;
        for (; i < end && hit == NULL; i++) {
            struct entry *e = chatlog_at(log, i);
            if (!replay_used(c, e->seq) && replay_match(c, e, kind, time, nick, text, false))
                hit = e;
        }
    }
    if (hit == NULL) {
        replay_end(c);
        return false;
    }
    if (hit->seq + 1 > c->replay_from)
        c->replay_from = hit->seq + 1;
    c->replay_used[c->replay_skipped % (sizeof(c->replay_used) / sizeof(*c->replay_used))] =
        hit->seq;
    c->replay_skipped++;
    return true;
}

static void on_framed_line(struct client *c, char *line, size_t len)
{
    struct msg m;
    char text[2 * LINE_MAX_BYTES + 200];

    if (memchr(line, '\0', len)) {
        /* A NUL would cut the parse short; show the line as it is. */
        add_entry(c, ENTRY_ERR, c->wall, NULL, line, len);
        return;
    }
    if (msg_parse(&m, line) < 0) {
        snprintf(text, sizeof(text), "malformed %s line from the server: %s", msg_type_name(m.type),
                 m.text);
        client_note(c, ENTRY_ERR, text);
        return;
    }
    if (m.type == MSG_ERR && c->swallow_errs > 0 && strcmp(m.word, ERR_PROTOCOL) == 0) {
        c->swallow_errs--; /* a text line of ours from before a late greeting */
        return;
    }
    /* History comes first, in one run; anything else ends it. But for a
     * NOTICE before the first history line: the server's note of the
     * older messages it does not send comes right after the WELCOME. */
    if (m.type != MSG_CHAT && m.type != MSG_ACTION &&
        !(m.type == MSG_NOTICE && c->replaying && c->replay_from == 0))
        replay_end(c);
    switch (m.type) {
    case MSG_WELCOME:
        c->replaying = true;
        c->replay_floor = c->log->next_seq;
        c->replay_from = 0;
        c->replay_anchor = 0;
        memset(c->replay_used, 0, sizeof(c->replay_used));
        c->replay_skipped = 0;
        on_welcome(c, &m);
        break;
    case MSG_ACK:
        for (size_t i = 0; i < c->npend; i++) {
            /* By id alone: a message put back after a slow-down may
             * still be acknowledged by an answer already on its way. */
            if (c->pend[i].id == m.id) {
                pending_done(c, i, DELIVERY_DONE);
                break;
            }
        }
        break;
    case MSG_CHAT:
        nick_add(c, m.nick);
        if (!replay_seen(c, ENTRY_CHAT, &m))
            add_entry(c, ENTRY_CHAT, m.time, m.nick, m.text, strlen(m.text));
        break;
    case MSG_ACTION:
        nick_add(c, m.nick);
        if (!replay_seen(c, ENTRY_ACTION, &m))
            add_entry(c, ENTRY_ACTION, m.time, m.nick, m.text, strlen(m.text));
        break;
    case MSG_PRIV: {
        char who[160];
        snprintf(who, sizeof(who), "%.60s -> %.60s", m.nick, m.nick2);
        nick_add(c, m.nick);
        nick_add(c, m.nick2);
        add_entry(c, ENTRY_PRIV, m.time, who, m.text, strlen(m.text));
        break;
    }
    case MSG_JOIN:
        nick_add(c, m.nick);
        c->st->users = m.users;
        snprintf(text, sizeof(text), "%.60s joined (%u online)", m.nick, m.users);
        client_note(c, ENTRY_JOIN, text);
        break;
    case MSG_LEAVE:
        nick_remove(c, m.nick);
        c->st->users = m.users;
        {
            /* "quit bye all", "kicked stop that" (older servers; ours say
             * "kicked: stop that", shown as it is): the reason, then the
             * words the person gave, if any ("lost connection" is all reason). */
            const char *why = m.text[0] ? m.text : "quit";
            int wl = strncmp(why, "quit ", 5) == 0 ? 4 : strncmp(why, "kicked ", 7) == 0 ? 6 : 0;
            if (wl > 0)
                snprintf(text, sizeof(text), "%.60s left (%.*s: %.600s), %u online", m.nick, wl,
                         why, why + wl + 1, m.users);
            else
                snprintf(text, sizeof(text), "%.60s left (%.600s), %u online", m.nick, why,
                         m.users);
        }
        client_note(c, ENTRY_LEAVE, text);
        if (c->want_granted && strcasecmp(m.nick, c->want_nick) == 0 &&
            strcasecmp(c->st->nick, c->want_nick) != 0) {
            /* Our name is free again (its holder was most likely our own
             * connection that died): take it back. */
            char cmd[NICK_MAX + 8];
            snprintf(cmd, sizeof(cmd), "/nick %s", c->want_nick);
            send_msg(c, c->next_id++, cmd);
        }
        break;
    case MSG_NICK:
        nick_remove(c, m.nick);
        nick_add(c, m.nick2);
        if (strcasecmp(m.nick, c->st->nick) == 0) {
            sanitize_text(c->st->nick, sizeof(c->st->nick), m.nick2, strlen(m.nick2));
            snprintf(c->want_nick, sizeof(c->want_nick), "%s", m.nick2);
            c->want_granted = true;
            snprintf(text, sizeof(text), "you are now known as %.60s", m.nick2);
        } else {
            snprintf(text, sizeof(text), "%.60s is now known as %.60s", m.nick, m.nick2);
        }
        client_note(c, ENTRY_LOCAL, text);
        break;
    case MSG_OUT:
        add_entry(c, ENTRY_OUT, c->wall, NULL, m.text, strlen(m.text));
        break;
    case MSG_ERR:
        if (strcmp(m.word, ERR_SLOW_DOWN) == 0) {
            /* The oldest message in flight was refused: send it again
             * after a pause rather than lose it. */
            for (size_t i = 0; i < c->npend; i++) {
                if (c->pend[i].sent_ms >= 0) {
                    c->pend[i].sent_ms = -1;
                    break;
                }
            }
            c->hold_until_ms = c->now_ms + 1000;
        } else if (strcmp(m.word, ERR_AUTH) == 0) {
            /* A wrong or missing password. The server closes after a delay
             * that grows with every failure from our address, so retrying
             * with the same password only gets slower: stop here, and let
             * the user type one. A typed one that was wrong is forgotten. */
            c->refused = true;
            c->ask_password = true;
            c->st->state = CONN_FAILED;
            status_set_reason(c->st,
                              c->hello_password ? "wrong password" : "the server needs a password");
            if (c->hello_typed)
                password_forget(&c->typed);
        } else if (strcmp(m.word, ERR_AUTH_WAIT) == 0) {
            /* Not judged: someone at our address (maybe we) guessed wrong
             * just now. The server closes; the reconnect waits as long as
             * it says ("... try again in N s"). */
            const char *p = strstr(m.text, "try again in ");
            unsigned long s = p ? strtoul(p + 13, NULL, 10) : 0;
            c->auth_wait_s = (unsigned)(s > CLIENT_AUTH_WAIT_MAX_S ? CLIENT_AUTH_WAIT_MAX_S : s);
        } else if (strcmp(m.word, ERR_KICKED) == 0) {
            /* The operator removed us: coming straight back would defeat
             * the point. A person may, with /connect. */
            c->refused = true;
            c->st->state = CONN_FAILED;
            status_set_reason(c->st, m.text[0] ? m.text : "removed by the operator");
        } else if (strcmp(m.word, ERR_TOO_LONG) == 0 || strcmp(m.word, ERR_MUTED) == 0) {
            /* Refused for good (a mute outlasts any retry): not pending. */
            for (size_t i = 0; i < c->npend; i++) {
                if (c->pend[i].sent_ms >= 0) {
                    pending_done(c, i, DELIVERY_FAILED);
                    break;
                }
            }
        }
        /* The code is for programs; a person reads the text. */
        snprintf(text, sizeof(text), "%s", m.text[0] ? m.text : m.word);
        client_note(c, ENTRY_ERR, text);
        /* After ERR auth the caller asks for the password and says so. */
        if (c->refused && strcmp(m.word, ERR_KICKED) == 0)
            client_note(c, ENTRY_LOCAL, "not reconnecting; /connect HOST [PORT] comes back");
        break;
    case MSG_NOTICE:
        add_entry(c, ENTRY_NOTICE, c->wall, NULL, m.text, strlen(m.text));
        break;
    case MSG_PING:
        if (strlen(m.word) <= CLIENT_PING_TOKEN_MAX) {
            struct msg r = {.type = MSG_PONG, .word = m.word};
            send_framed(c, &r);
        } else if (!c->ping_refused) {
            c->ping_refused = true; /* once: a flood of them must not flood the log */
            client_note(c, ENTRY_ERR,
                        "the server sent a PING with a token over 64 bytes; not answered");
        }
        break;
    case MSG_PONG: {
        char mine[32];
        snprintf(mine, sizeof(mine), "c%llu", (unsigned long long)c->ping_no);
        if (c->ping_sent_ms >= 0 && strcmp(m.word, mine) == 0) {
            c->st->latency_ms = (long)(c->now_ms - c->ping_sent_ms);
            c->ping_sent_ms = -1;
        } else {
            snprintf(text, sizeof(text), "pong %s", m.word);
            client_note(c, ENTRY_OUT, text);
        }
        break;
    }
    case MSG_SHUTDOWN:
        snprintf(text, sizeof(text), "server shutting down: %s", m.text);
        client_note(c, ENTRY_NOTICE, text);
        break;
    case MSG_UNKNOWN:
    default:
        /* A newer server's message: show it, never fail on it. */
        add_entry(c, ENTRY_OUT, c->wall, NULL, m.text, strlen(m.text));
        break;
    }
}

static void feed_framed(struct client *c, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        size_t used = 0;
        char *line = NULL;
        size_t llen = 0;
        enum linebuf_status s = linebuf_feed(&c->lb, data + off, len - off, &used, &line, &llen);
        off += used;
        if (s == LINEBUF_LINE)
            on_framed_line(c, line, llen);
        else if (s == LINEBUF_OVERLONG)
            client_note(c, ENTRY_ERR, "the server sent an overlong line; it was dropped");
        else if (s == LINEBUF_NOMEM || (s == LINEBUF_NEED_MORE && used == 0))
            break;
    }
}

/* ---- the plain dialect ------------------------------------------------ */

static void plain_response(struct client *c, const char *s, size_t len)
{
    if (len > 0 && s[len - 1] == '\r')
        len--;
    if (len == 0)
        return;
    add_entry(c, ENTRY_REPLY, c->wall, NULL, s, len);
    if (c->hello_reply_due) {
        c->hello_reply_due = false; /* the answer to our HELLO line */
        return;
    }
    for (size_t i = 0; i < c->npend; i++) {
        if (c->pend[i].sent_ms >= 0) {
            c->st->latency_ms = (long)(c->now_ms - c->pend[i].sent_ms);
            pending_done(c, i, DELIVERY_DONE);
            break;
        }
    }
}

/* Every line is a response, and so is a tail without LF: the tutorial's
 * server answers each recv() with one send() and no newline. */
static void feed_plain(struct client *c, const char *data, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            plain_response(c, data + start, i - start);
            start = i + 1;
        }
    }
    if (start < len)
        plain_response(c, data + start, len - start);
}

static void become_plain(struct client *c, bool raw, const char *why)
{
    c->dialect = DIALECT_PLAIN;
    c->raw = raw;
    c->st->state = CONN_CONNECTED;
    snprintf(c->st->mode, sizeof(c->st->mode), "plain server");
    c->st->users = 0;
    notef(c, ENTRY_LOCAL, "plain server (%s): messages are sent as text%s", why,
          raw ? ", one at a time, without newline" : " lines");
}

/* No greeting in CLIENT_GREETING_MS (see client.h): a sockchat server busy
 * with someone else, or a line server that does not answer (nc -l, a
 * logger). Which, nobody can tell yet, so the status says so, messages are
 * written as text lines (a silent line server does get them) and stay
 * pending until an answer says they were read. */
static void no_greeting(struct client *c)
{
    c->dialect = DIALECT_PLAIN;
    c->raw = false;
    c->silent = true;
    c->hello_reply_due = true;
    c->st->state = CONN_NO_GREETING;
    c->st->mode[0] = '\0';
    c->st->users = 0;
    notef(c, ENTRY_LOCAL,
          "no greeting in %d s: the server may be busy with someone else (a sockchat server "
          "in single mode serves one person at a time), or be a plain server that does not "
          "answer",
          CLIENT_GREETING_MS / 1000);
    client_note(c, ENTRY_LOCAL,
                "what you type is written to it as text, and stays pending until it answers");
}

/* A server that sent no greeting for CLIENT_GREETING_MS greets after all:
 * it is a sockchat server that was busy (single mode serves one client at
 * a time; the others wait in its listen queue). It read our HELLO first, so
 * it speaks framed to us; every text line we wrote meanwhile it refuses as
 * a malformed line. Those refusals are not shown, and the messages are
 * sent again, properly, after the WELCOME. */
static void late_greeting(struct client *c)
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
        notef(c, ENTRY_LOCAL,
              "the server greeted after all (it was serving someone else): "
              "%zu message%s sent again",
              resent, resent == 1 ? "" : "s");
}

/* A server that sent no greeting answers with something else: a plain
 * server that was slow or busy (the tutorial's server.py serves one client
 * at a time too). A line server answers line by line, the first answer
 * being the one to our HELLO line, then one per message in order. A server
 * answering without newline (the tutorial's) read everything written so
 * far in one recv() and answers it all at once: that answer acknowledges
 * every message written before it. */
static void plain_after_silence(struct client *c, bool raw)
{
    c->silent = false;
    become_plain(c, raw, "it answered without a greeting");
    if (!raw)
        return;
    c->hello_reply_due = false;
    for (size_t i = 0; i < c->npend;) {
        if (c->pend[i].sent_ms >= 0)
            pending_done(c, i, DELIVERY_DONE);
        else
            i++;
    }
}

/* The first bytes show no chat server (foreign.h): say what answered, and
 * stop; retrying would get the same answer. */
static void not_chat_server(struct client *c, const char *said)
{
    c->refused = true;
    c->st->state = CONN_FAILED;
    status_set_reason(c->st, "not a chat server");
    notef(c, ENTRY_ERR, "%s is not a chat server: %s",
          c->st->server[0] ? c->st->server : "the server", said);
    client_note(c, ENTRY_LOCAL,
                "not reconnecting; /reconnect tries again, /connect HOST [PORT] goes elsewhere");
}

/* CLIENT_DISCONNECT once the output passed CLIENT_OUT_MAX. Own messages
 * stay pending (client_on_disconnect), as after any drop. */
static enum client_action out_verdict(struct client *c)
{
    if (!c->out_full)
        return CLIENT_NONE;
    c->drop_reason = "the server is not reading what we send";
    return CLIENT_DISCONNECT;
}

static bool is_prefix_of(const char *s, size_t len, const char *word)
{
    size_t wl = strlen(word);
    return len < wl ? memcmp(s, word, len) == 0 : memcmp(s, word, wl) == 0;
}

/* Decides what the server is from its first bytes, held in c->rx. complete:
 * no more are coming for this decision (the connection closed, the greeting
 * time ran out). Until then a line that may be WELCOME, ERR or a telltale
 * of another protocol is waited for whole. */
static void first_reply(struct client *c, bool complete)
{
    size_t limit = (size_t)2 * LINE_MAX_BYTES;
    bool has_lf = memchr(c->rx, '\n', c->rx_len) != NULL;
    complete = complete || c->rx_len >= limit;
    bool framed =
        is_prefix_of(c->rx, c->rx_len, "WELCOME ") || is_prefix_of(c->rx, c->rx_len, "ERR ");
    if (framed && !has_lf && !complete)
        return; /* wait for the rest of the line */
    char said[SANITIZE_CAP(FOREIGN_QUOTE_MAX) + 64];
    enum foreign_verdict v =
        framed ? FOREIGN_NO : foreign_check(c->rx, c->rx_len, complete, said, sizeof(said));
    if (v == FOREIGN_MORE)
        return;
    if (framed) {
        c->dialect = DIALECT_FRAMED;
        c->hello_reply_due = false;
        feed_framed(c, c->rx, c->rx_len);
    } else if (v == FOREIGN_YES) {
        not_chat_server(c, said);
    } else {
        become_plain(c, !has_lf, "its first reply is not WELCOME");
        feed_plain(c, c->rx, c->rx_len);
    }
    c->rx_len = 0;
}

/* The first bytes after a silence: a late WELCOME, no chat server, or a
 * plain server's answer (see no_greeting). Returns false when the
 * connection is to be given up. */
static bool first_after_silence(struct client *c, const char *data, size_t len)
{
    if (len >= 8 && memcmp(data, "WELCOME ", 8) == 0) {
        late_greeting(c);
        return true;
    }
    char said[SANITIZE_CAP(FOREIGN_QUOTE_MAX) + 64];
    if (foreign_check(data, len, true, said, sizeof(said)) == FOREIGN_YES) {
        not_chat_server(c, said);
        return false;
    }
    plain_after_silence(c, memchr(data, '\n', len) == NULL);
    return true;
}

enum client_action client_on_bytes(struct client *c, const char *data, size_t len)
{
    if (!c->online || len == 0)
        return CLIENT_NONE;
    if (c->dialect == DIALECT_PLAIN && c->silent && c->hello_reply_due &&
        !first_after_silence(c, data, len))
        return CLIENT_GIVE_UP;
    if (c->dialect == DIALECT_FRAMED) {
        feed_framed(c, data, len);
    } else if (c->dialect == DIALECT_PLAIN) {
        feed_plain(c, data, len);
    } else {
        /* Still deciding what the server is: keep its first bytes. */
        size_t limit = (size_t)2 * LINE_MAX_BYTES;
        size_t take = len;
        if (c->rx_len + take > limit)
            take = limit - c->rx_len;
        char *p = realloc(c->rx, limit);
        if (!p)
            return CLIENT_DISCONNECT;
        c->rx = p;
        memcpy(c->rx + c->rx_len, data, take);
        c->rx_len += take;
        first_reply(c, false);
        if (c->dialect != DIALECT_UNKNOWN && !c->refused && take < len)
            client_on_bytes(c, data + take, len - take);
    }
    if (c->refused)
        return c->ask_password ? CLIENT_ASK_PASSWORD : CLIENT_GIVE_UP;
    flush_pending(c);
    return out_verdict(c);
}

/* ---- timers ----------------------------------------------------------- */

enum client_action client_tick(struct client *c)
{
    if (!c->online)
        return CLIENT_NONE;
    if (c->dialect == DIALECT_UNKNOWN && c->now_ms - c->online_ms >= CLIENT_GREETING_MS) {
        if (c->rx_len > 0)
            first_reply(c, true); /* the start of a line that never ended */
        if (c->refused)
            return CLIENT_GIVE_UP;
        if (c->dialect == DIALECT_UNKNOWN)
            no_greeting(c);
    }
    if (c->dialect == DIALECT_FRAMED) {
        if (c->ping_sent_ms >= 0 && c->now_ms - c->ping_sent_ms >= CLIENT_PING_DEAD_MS) {
            c->drop_reason = "no answer from the server";
            return CLIENT_DISCONNECT;
        }
        if (c->ping_sent_ms < 0 && c->now_ms >= c->next_ping_ms) {
            char tok[32];
            snprintf(tok, sizeof(tok), "c%llu", (unsigned long long)++c->ping_no);
            struct msg m = {.type = MSG_PING, .word = tok};
            send_framed(c, &m);
            c->ping_sent_ms = c->now_ms;
            c->next_ping_ms = c->now_ms + CLIENT_PING_MS;
        }
    }
    flush_pending(c);
    return out_verdict(c);
}

int64_t client_next_timeout(const struct client *c)
{
    int64_t t = 1000;
    if (c->online && c->dialect == DIALECT_UNKNOWN) {
        int64_t d = c->online_ms + CLIENT_GREETING_MS - c->now_ms;
        if (d < t)
            t = d;
    }
    if (ready(c) && c->dialect == DIALECT_FRAMED) {
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

/* ---- user input ------------------------------------------------------- */

static enum client_action do_quit(struct client *c, const char *reason)
{
    if (ready(c)) {
        if (c->dialect == DIALECT_FRAMED) {
            char text[LINE_MAX_BYTES];
            snprintf(text, sizeof(text), "/quit%s%s", reason[0] ? " " : "", reason);
            send_msg(c, c->next_id++, text);
        } else {
            send_plain(c, "exit");
        }
    }
    return CLIENT_QUIT;
}

static void do_help(struct client *c)
{
    for (size_t i = 0; i < sizeof(help_lines) / sizeof(*help_lines); i++)
        client_note(c, ENTRY_LOCAL, help_lines[i]);
    if (ready(c) && c->dialect == DIALECT_FRAMED)
        send_msg(c, c->next_id++, "/help");
}

enum client_action client_submit(struct client *c, const char *line)
{
    struct cmd cmd;
    size_t len = strlen(line);

    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (len == 0)
        return CLIENT_NONE;
    if (cmd_is_exit(line))
        return do_quit(c, "");
    if (!cmd_parse(line, &cmd)) {
        /* "//x" is the escape for chat text "/x": show what others see. */
        bool esc = line[0] == '/' && line[1] == '/' && c->dialect != DIALECT_PLAIN;
        queue_own(c, ENTRY_SELF, esc ? line + 1 : line, line);
        return c->online ? CLIENT_NONE : CLIENT_RETRY_NOW;
    }
    if (cmd_is(&cmd, "quit"))
        return do_quit(c, cmd.args);
    if (cmd_is(&cmd, "clear")) {
        chatlog_clear(c->log);
        return CLIENT_CLEAR;
    }
    if (cmd_is(&cmd, "help")) {
        do_help(c);
        return CLIENT_NONE;
    }
    if (cmd_is(&cmd, "connect")) {
        const char *args = cmd.args, *w;
        size_t wl;
        char word[sizeof(c->connect_host)];
        if (!cmd_next_word(&args, &w, &wl) || wl >= sizeof(word)) {
            client_note(c, ENTRY_ERR, "usage: /connect HOST [PORT]");
            return CLIENT_NONE;
        }
        memcpy(word, w, wl);
        word[wl] = '\0';
        snprintf(c->connect_port, sizeof(c->connect_port), "%d", PROTO_PORT);
        /* "10.0.2.15:5000", as the server's log prints it, works too. */
        int hp = hostport_split(word, c->connect_host, sizeof(c->connect_host), c->connect_port,
                                sizeof(c->connect_port));
        if (hp < 0) {
            client_note(c, ENTRY_ERR, "usage: /connect HOST [PORT] (or HOST:PORT, [IPV6]:PORT)");
            return CLIENT_NONE;
        }
        if (hp == 0 && cmd_next_word(&args, &w, &wl)) {
            if (wl >= sizeof(c->connect_port)) {
                client_note(c, ENTRY_ERR, "usage: /connect HOST [PORT]");
                return CLIENT_NONE;
            }
            memcpy(c->connect_port, w, wl);
            c->connect_port[wl] = '\0';
        }
        /* Leave the current server politely: the tutorial's threaded
         * server expects 'exit' (without it its thread dies on a broken
         * pipe), ours logs a quit rather than a lost connection. */
        (void)do_quit(c, "");
        return CLIENT_CONNECT;
    }
    if (cmd_is(&cmd, "reconnect")) {
        if (cmd.args[0] != '\0') {
            client_note(c, ENTRY_ERR,
                        "usage: /reconnect (to the same server; /connect HOST [PORT] for another)");
            return CLIENT_NONE;
        }
        (void)do_quit(c, ""); /* a polite goodbye, as for /connect */
        return CLIENT_RECONNECT;
    }
    if (cmd_is(&cmd, "me") && c->dialect != DIALECT_PLAIN) {
        /* /me is acknowledged like chat, so it can wait for a connection. */
        if (cmd.args[0] == '\0') {
            client_note(c, ENTRY_ERR, "usage: /me TEXT");
            return CLIENT_NONE;
        }
        queue_own(c, ENTRY_ACTION, cmd.args, line);
        return c->online ? CLIENT_NONE : CLIENT_RETRY_NOW;
    }
    if (!ready(c)) {
        notef(c, ENTRY_ERR, "not connected; not sent: %.200s", line);
        return CLIENT_NONE;
    }
    if (c->dialect == DIALECT_FRAMED)
        send_msg(c, c->next_id++, line);
    else
        queue_own(c, ENTRY_SELF, line, line);
    return CLIENT_NONE;
}

/* Queues one pasted line as chat: a leading '/' is doubled so that the
 * server takes it as text ("//x" is not a command). "exit" has no such
 * escape (every server closes on it), so a pasted one is left out, and
 * said so. */
static void paste_line(struct client *c, const char *line)
{
    if (cmd_is_exit(line)) {
        client_note(c, ENTRY_LOCAL,
                    "a pasted \"exit\" line was not sent (it would end the "
                    "connection); type it to quit");
        return;
    }
    if (line[0] == '/' && c->dialect != DIALECT_PLAIN) {
        char wire[EDITLINE_MAX + 2];
        snprintf(wire, sizeof(wire), "/%s", line);
        queue_own(c, ENTRY_SELF, line, wire);
    } else {
        queue_own(c, ENTRY_SELF, line, line);
    }
}

static bool paste_push(struct client *c, const char *s, size_t n, size_t *cap)
{
    if (c->npaste == CLIENT_PASTE_MAX)
        return false;
    if (c->npaste == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **p = realloc(c->paste, nc * sizeof(*p));
        if (!p)
            return false;
        c->paste = p;
        *cap = nc;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return false;
    memcpy(copy, s, n);
    copy[n] = '\0';
    c->paste[c->npaste++] = copy;
    return true;
}

enum client_action client_paste(struct client *c, const char *text, size_t len, bool confirm)
{
    size_t cap = 0;
    paste_drop(c);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n' && text[i] != '\r')
            continue;
        /* One line: skip blank ones, split overlong ones at characters. */
        const char *s = text + start;
        size_t n = i - start;
        start = i + 1;
        bool blank = true;
        for (size_t k = 0; k < n; k++)
            if (s[k] != ' ' && s[k] != '\t')
                blank = false;
        if (blank)
            continue;
        while (n > 0) {
            size_t take = utf8_boundary(s, n, EDITLINE_MAX);
            if (!paste_push(c, s, take, &cap)) {
                client_note(c, ENTRY_ERR, "paste too big: only its first lines are kept");
                i = len;
                break;
            }
            s += take;
            n -= take;
        }
    }
    if (c->npaste > CLIENT_PASTE_ASK || (confirm && c->npaste > 0))
        return CLIENT_ASK_PASTE;
    client_paste_answer(c, true);
    return c->online || c->npend == 0 ? CLIENT_NONE : CLIENT_RETRY_NOW;
}

void client_paste_answer(struct client *c, bool send)
{
    if (send) {
        for (size_t i = 0; i < c->npaste; i++)
            paste_line(c, c->paste[i]);
    } else if (c->npaste) {
        notef(c, ENTRY_LOCAL, "paste of %zu lines not sent", c->npaste);
    }
    paste_drop(c);
}

/* ---- output ----------------------------------------------------------- */

const char *client_output(const struct client *c, size_t *len)
{
    *len = c->out_len;
    return c->out ? c->out : "";
}

void client_consume(struct client *c, size_t n)
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
    if (c->out_blocked && c->out_len < CLIENT_OUT_LOW) {
        c->out_blocked = false; /* the server read: the next own messages may go */
        flush_pending(c);
    }
}

/* session: the per-connection core shared by every mode. It turns the bytes
 * a client sent into actions: detect the dialect, frame lines, gate on the
 * password (auth.c) and the rate (rate.c), then hand each message to
 * commands.c or to the room (room.c); answers go through reply.c. The
 * drivers only move bytes and wait. No socket calls here, so it is
 * unit-testable with a fake clock and a notify hook that records. */
#include "server.h"
#include "auth.h"
#include "commands.h"
#include "rate.h"
#include "reply.h"
#include "room.h"
#include "serve.h"
#include "session.h"
#include "cluster.h"
#include "tracelog.h"
#include "tls.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

static const char HELLO_PREFIX[] = "HELLO " PROTO_NAME "/";

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
        [REFUSE_ADDR_TABLE] = "too many addresses remembered",
        [REFUSE_TLS_REQUIRED] = "clear text, and this server takes TLS only (--tls-only)"};
    static const char *const how[] = {[DIALECT_UNKNOWN] = "it sent nothing: told as a line client",
                                      [DIALECT_FRAMED] = "told as a sockchat client",
                                      [DIALECT_PLAIN] = "told as a plain client",
                                      [DIALECT_RAW] = "told as a tutorial client"};
    if (c->peer != NULL)
        rate_leave(c);          /* --tls-only's: it was admitted, and counted for its address */
    registry_remove(c->srv, c); /* its place among the refusing (or its slot) */
    log_event(c->srv, AEV_REFUSE, NULL, "%s refused: %s (%s)", c->addr, why[c->refusal],
              c->refusal_told ? how[c->dialect] : "it left before being told");
}

void session_end(struct client *c)
{
    char reason[REASON_MAX];

    if (c->refusal != REFUSE_NONE) {
        tracelog_close(c, "refused");
        session_end_refused(c);
        return;
    }
    if (client_close_state(c, reason, sizeof reason) == CLOSE_NONE || reason[0] == '\0')
        snprintf(reason, sizeof reason, "lost connection");
    tracelog_close(c, reason);
    /* What it leaves of its chat tokens, its address's next connection
     * starts with (peers_leave): given back before it leaves the room, so
     * that one who joins after it left finds them (rate_rejoin). */
    rate_leave(c);
    room_leave(c, reason);
    registry_remove(c->srv, c);
    resume_detach(&c->srv->resume, c->resume, server_now_ms(c->srv));
    c->resume = NULL;
    /* A cut for not reading is its own kind: the teacher looks for those. */
    unsigned ev = strcmp(reason, "too slow") == 0 ? AEV_SLOW : AEV_LEAVE;
    unsigned long dropped = 0;
    if (c->ever_joined)
        log_event(c->srv, ev, c, "disconnected (%s)", reason);
    else if (strncmp(reason, "tls: ", 5) != 0 || c->srv->tls == NULL)
        log_event(c->srv, ev, c, "left before joining (%s)", reason);
    else if (tls_server_fail_log(c->srv->tls, server_now_ms(c->srv), &dropped)) {
        /* A failed handshake: rate-bounded, those left out counted here. */
        char more[64] = "";
        if (dropped > 0)
            snprintf(more, sizeof more, "; %lu more failed TLS handshake%s not logged", dropped,
                     plural_s(dropped));
        log_event(c->srv, ev, c, "left before joining (%s)%s", reason, more);
    }
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
        room_join(c, d, NULL);
    else
        session_set_dialect(c, d);
}

static void session_quit(struct reply *r, const char *reason)
{
    room_leave(r->c, reason);
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
    unsigned flags = is_cmd ? commands_flags(&cmd) : 0;
    if (!c->authed && !(flags & CMD_PREAUTH)) {
        reply_err(r, ERR_AUTH, "this server needs a password: send /auth PASSWORD first");
        auth_charge(r);
        return;
    }
    if (is_cmd) {
        if (!(flags & CMD_UNLIMITED) && !rate_allow(c, now)) {
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
    room_chat(r, MSG_CHAT, t);
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

/* Not inlined into session_feed (nor is raw_input): their parsed line,
 * PING buffer and reply would sit under every connection's join
 * (session_feed -> hello_line -> room_join -> log_event -> vsnprintf, its
 * deepest point). In threads mode each 4 KiB page of the 64 KiB stack an
 * idle connection touched stays in its RSS: with them inlined the join
 * went 48 bytes past the second page (issue 5). */
__attribute__((noinline)) static void framed_line(struct client *c, char *line)
{
    atomic_fetch_add_explicit(&c->msgs_in, 1, memory_order_relaxed); /* the roster's */
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
            log_event(c->srv, AEV_INFO, c,
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
            /* Its nick's cluster lease names the token: on another node,
             * after this one died, it may have the nick back at once. */
            pthread_mutex_lock(&c->srv->reg_lock); /* a shutdown may be taking it out */
            bool lease = c->joined && !c->provisional;
            pthread_mutex_unlock(&c->srv->reg_lock);
            if (c->srv->cluster != NULL && lease && !nick_reserved(c->nick))
                cluster_nick_take(c->srv, c->nick, c->session, NULL, 0, NULL);
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
    atomic_fetch_add_explicit(&c->msgs_in, 1, memory_order_relaxed); /* the roster's */
    struct reply r = {.c = c};
    session_message(&r, line, len);
}

/* The first complete line of a connection that began with "HELLO ". */
static void hello_line(struct client *c, char *line, size_t len)
{
    atomic_fetch_add_explicit(&c->msgs_in, 1, memory_order_relaxed); /* the roster's */
    if (strncmp(line, HELLO_PREFIX, sizeof HELLO_PREFIX - 1) != 0) {
        /* Someone typed "HELLO ..." into nc: a plain line after all. */
        session_detect(c, DIALECT_PLAIN);
        plain_line(c, line, len);
        return;
    }
    struct msg m;
    const char *nick = NULL, *pass = "";
    unsigned version = 1;
    if (msg_parse(&m, line) == 0 && m.type == MSG_HELLO) {
        nick = m.nick;
        pass = m.text;
        /* sockchat/2 and later know rooms (ROOM, UNREAD); anything else
         * we accepted before is v1 and never sees them. */
        version = msg_hello_version(m.word) >= 2 ? msg_hello_version(m.word) : 1;
    } /* else a malformed hello from a client of ours: it gets guestN */
    pthread_mutex_lock(&c->srv->reg_lock); /* whoever moves it reads it */
    c->proto = version;
    pthread_mutex_unlock(&c->srv->reg_lock);
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
    room_join(c, DIALECT_FRAMED, nick);
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

bool session_reads_raw(const struct client *c, const char *data, size_t len)
{
    if (c->dialect != DIALECT_UNKNOWN)
        return c->dialect == DIALECT_RAW;
    /* A first read: what it will be taken for, unless a greeting's start
     * is held (then it is not known yet). */
    static const char hello[] = "HELLO ";
    if (c->lb.len != 0 || c->greet_len != 0 || len == 0 ||
        (len < sizeof hello - 1 && memcmp(data, hello, len) == 0))
        return false;
    return detect(data, len) == DIALECT_RAW;
}

__attribute__((noinline)) static void raw_input(struct client *c, const char *data, size_t len)
{
    atomic_fetch_add_explicit(&c->msgs_in, 1, memory_order_relaxed); /* the roster's */
    char out[256];
    struct reply r = {.c = c, .raw = out, .rawcap = sizeof out};

    /* One read is one message, as in the tutorial's server. */
    while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    session_message(&r, data, len);
    if (!r.replied)
        reply_ack(&r);
    reply_raw_fit(&r);
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
    if (c->refusal == REFUSE_TLS_REQUIRED) {
        /* One line, the same for every dialect: what to type instead. */
        char line[256];
        int n = msg_encode(line, sizeof line, &m);
        if (n > 0)
            client_send(c, line, (size_t)n);
    } else if (d == DIALECT_RAW) {
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

/* Input once the dialect can be decided (no greeting held). */
static void session_input_decided(struct client *c, const char *data, size_t len)
{
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

/* True when data was held: all the connection sent so far is a proper
 * prefix of "HELLO ", so its dialect cannot be told yet (GREET_WAIT_MS). */
static bool session_greet_hold(struct client *c, const char *data, size_t len)
{
    static const char hello[] = "HELLO ";
    size_t have = c->greet_len;
    if (c->dialect != DIALECT_UNKNOWN || c->lb.len != 0 || c->refusal_told || len == 0 ||
        have + len >= sizeof hello - 1 || memcmp(data, hello + have, len) != 0)
        return false;
    if (have == 0)
        c->greet_deadline_ms = server_now_ms(c->srv) + GREET_WAIT_MS;
    memcpy(c->greet + have, data, len);
    c->greet_len = have + len;
    return true;
}

void session_input(struct client *c, const char *data, size_t len)
{
    atomic_fetch_add_explicit(&c->srv->st.bytes_in, len, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->bytes_in, len, memory_order_relaxed);
    if (session_greet_hold(c, data, len))
        return;
    if (c->greet_len == 0) {
        session_input_decided(c, data, len);
        return;
    }
    /* The held start and what followed it, decided as one read. */
    size_t n = c->greet_len + len;
    char *joined = malloc(n);
    if (joined == NULL) {
        client_request_close(c, CLOSE_NOW, "out of memory", 0);
        return;
    }
    memcpy(joined, c->greet, c->greet_len);
    memcpy(joined + c->greet_len, data, len);
    c->greet_len = 0;
    session_input_decided(c, joined, n);
    free(joined);
}

void session_greet_flush(struct client *c, int64_t now_ms)
{
    if (c->greet_len == 0 || (now_ms >= 0 && now_ms < c->greet_deadline_ms))
        return;
    char held[GREET_HOLD_MAX];
    size_t n = c->greet_len;
    memcpy(held, c->greet, n);
    c->greet_len = 0;
    session_input_decided(c, held, n);
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

    if (c->dialect == DIALECT_UNKNOWN && c->lb.len == 0) {
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
    hello_pending = c->dialect == DIALECT_UNKNOWN;

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
            room_settle(c);
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
            room_settle(c);
    }
    /* An idle connection should hold no line buffer. */
    if (c->lb.len == 0 && c->lb.cap > 256)
        linebuf_trim(&c->lb);
}

/* plain: the line client, for scripts, pipes and screen readers.
 *
 * Behaves like the tutorial's client.py: a prompt, each line sent to the
 * server, each reply printed as "Server response: ...", "exit" quits. It
 * speaks the server's plain dialect (lines), and adapts to a tutorial-style
 * server that answers without newlines by sending bare text as client.py
 * does. Unlike client.py it never blocks on recv(): lines from other users
 * are printed as they come, as chat ("<bob> hi", "* bob waves", "*** ..."),
 * not as a response to anything; and it waits for a reply (up to a
 * deadline) before sending the next line, so a raw server never sees two
 * at once.
 *
 * The terminal stays in canonical mode (the line discipline edits the
 * line, as for client.py, and screen readers follow it), so what the user
 * has typed but not entered cannot be seen from here. A line that arrives
 * while the prompt is shown is printed on a fresh line below it, leaving
 * the prompt and the typing visible above, and the prompt is printed
 * again; the typed text is still in the line and is sent with whatever is
 * typed next on Enter. The terminal's reprint key (Ctrl-R, `stty rprnt`)
 * shows it again. Redrawing it ourselves would need raw mode and our own
 * line editor.
 *
 * With a password (SOCKCHAT_PASSWORD or --password-file) the first line is
 * "/auth PASSWORD", as the server asks of line clients; a refusal ends the
 * client with EX_NOPERM instead of typing into a connection that is about
 * to close. Without one, on a terminal, a server that says it needs one is
 * asked for it with the echo off (plain_auth.c); without a
 * terminal its refusals are printed like any reply. */
#undef _XOPEN_SOURCE /* ncursesw.pc may set 600 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd.h"
#include "known.h"
#include "loop.h" /* loop_now_ms */
#include "msg.h"
#include "plain_internal.h"
#include "sanitize.h"
#include "text.h"

/* A line of the room (PROTOCOL.md 5): someone's chat "<NICK> TEXT", an
 * action "* NICK TEXT", "[private] ...", or "*** ..." (joins, leaves,
 * renames, notices). Anything else (Message received, error: ..., command
 * output) answers what we sent. */
static bool room_line(const char *s, size_t len)
{
    if (len >= 4 && memcmp(s, "*** ", 4) == 0)
        return true;
    if (len >= 10 && memcmp(s, "[private] ", 10) == 0)
        return true;
    const char *end = NULL;
    if (len >= 2 && s[0] == '<')
        end = memchr(s + 1, '>', len - 1);
    else if (len >= 2 && s[0] == '*' && s[1] == ' ')
        end = memchr(s + 2, ' ', len - 2);
    if (end == NULL)
        return false;
    const char *nick = s + (s[0] == '<' ? 1 : 2);
    size_t after = (size_t)(end - s) + (s[0] == '<' ? 1 : 0);
    return nick_valid(nick, (size_t)(end - nick)) &&
           (s[0] != '<' || (after < len && s[after] == ' '));
}

/* Prints one line from the server: others' lines as they are, replies with
 * the tutorial's "Server response: ". A raw server (the tutorial's) only
 * ever answers. */
static void print_line(struct plain *p, const char *s, size_t len)
{
    char *safe = p->safe;
    if (len > 0 && s[len - 1] == '\r')
        len--;
    if (len > (size_t)2 * LINE_MAX_BYTES)
        len = (size_t)2 * LINE_MAX_BYTES;
    sanitize_text(safe, sizeof(p->safe), s, len);
    if (!p->raw && room_line(s, len))
        printf("%s\n", safe);
    else
        printf("Server response: %s\n", safe);
}

/* --wire: the calls recorded since the last look, as lines on stderr, in
 * the order they happened with what is printed on stdout. */
static void wire_print(struct plain *p)
{
    static char row[WIRE_ROW_MAX];
    if (p->net.wire == NULL)
        return;
    fflush(stdout);
    for (; p->wire_printed < p->wire.total; p->wire_printed++) {
        const struct wire_rec *r = wire_get(&p->wire, p->wire_printed);
        if (r == NULL)
            continue; /* dropped: more than WIRE_RECORDS calls in one turn */
        wire_format(r, SIZE_MAX, text_ascii(), row, sizeof(row), NULL);
        fprintf(stderr, "%s\n", row);
    }
    fflush(stderr);
}

static int send_all(struct plain *p, const char *s, size_t len)
{
    int64_t deadline = loop_now_ms() + REPLY_WAIT_MS;
    /* --chunk: the pieces' pauses do not count against the deadline. */
    if (p->net.chunk)
        deadline += (int64_t)(len / p->net.chunk + 1) * p->net.chunk_ms;
    while (len > 0) {
        ssize_t w = net_write(&p->net, s, len);
        wire_print(p);
        if (w > 0) {
            s += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        int64_t left = deadline - loop_now_ms();
        if (left <= 0)
            return -1;
        /* A --chunk pause: the socket would poll writable at once. */
        int64_t pause = net_write_wait(&p->net);
        struct pollfd pf = {.fd = p->net.fd, .events = pause > 0 ? 0 : POLLOUT};
        poll(&pf, 1, (int)(pause > 0 && pause < left ? pause : left));
    }
    return 0;
}

/* Sends one input line; returns -1 when the connection broke. */
int plain_send_line(struct plain *p, char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    line[len] = '\0';
    struct cmd cmd;
    /* The server closes next: that is the end asked for, not a failure. */
    bool leaving = cmd_is_exit(line) || (cmd_parse(line, &cmd) && cmd_is(&cmd, "quit"));
    memcpy(p->last, line, len + 1);
    p->last_len = len;
    if (!p->raw)
        line[len++] = '\n';
    if (send_all(p, line, len) < 0)
        return -1;
    p->waiting = true;
    p->wait_until = loop_now_ms() + REPLY_WAIT_MS;
    if (leaving)
        p->exiting = true;
    return 0;
}
static void on_server_bytes(struct plain *p, const char *data, size_t len)
{
    size_t start = 0;
    if (!p->first_reply_seen) {
        p->first_reply_seen = true;
        p->raw = memchr(data, '\n', len) == NULL;
    }
    plain_auth_on_reply(p, data, len);
    static const char tls_only[] = "ERR " ERR_TLS_REQUIRED " ";
    if (len >= sizeof(tls_only) - 1 && memcmp(data, tls_only, sizeof(tls_only) - 1) == 0)
        fprintf(stderr, "sockchat: the server takes TLS only: connect with --tls "
                        "(sockchat --tls --plain HOST PORT)\n");
    for (size_t i = 0; i <= len; i++) {
        if (i < len && data[i] != '\n')
            continue;
        if (i > start)
            print_line(p, data + start, i - start);
        start = i + 1;
    }
    p->waiting = false;
    p->prompt_due = true;
    fflush(stdout);
}

/* Reads a yes or no from the terminal (canonical mode: one line per
 * read). Returns 1 yes, 0 no or the end of input. */
static int ask_yes_no(const char *question)
{
    fprintf(stderr, "%s (yes/no) ", question);
    for (;;) {
        char line[64];
        ssize_t r = read(STDIN_FILENO, line, sizeof(line) - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fputc('\n', stderr);
            return 0;
        }
        line[r] = '\0';
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, "yes") == 0)
            return 1;
        if (strcmp(line, "no") == 0)
            return 0;
        fprintf(stderr, "Please type 'yes' or 'no': ");
    }
}

/* The TLS connection is made: is this the server it claims to be?
 * Returns 0, or a sysexits code (1 for a "no") after saying why not. */
static int trust_server(struct plain *p, const struct addr_entry *e)
{
    char msg[2048];
    enum tofu_verdict v = tofu_check(&p->tofu, &p->net, e->host, e->port, msg, sizeof(msg));
    if (v == TOFU_ASK && p->tty) {
        if (!ask_yes_no(msg)) {
            fprintf(stderr, "sockchat: not trusted; not connecting\n");
            return 1;
        }
        if (tofu_accept(&p->tofu, e->host, e->port, p->net.tls_sha, msg, sizeof(msg)) < 0)
            v = TOFU_REFUSE;
        else
            v = TOFU_OK;
    } else if (v == TOFU_ASK) {
        char line[KNOWN_KEY_MAX + FP_TEXT_SIZE + 16];
        tofu_entry_line(e->host, e->port, p->net.tls_sha, line, sizeof(line));
        fprintf(stderr,
                "sockchat: %s\n"
                "sockchat: no terminal to ask: not connecting. Once the fingerprint is checked, "
                "add this line to known_servers (or run once with --tls-accept-new):\n%s\n",
                msg, line);
        return EX_PROTOCOL;
    }
    if (v == TOFU_REFUSE) {
        fprintf(stderr, "sockchat: %s\n", msg);
        return EX_PROTOCOL;
    }
    if (msg[0])
        fprintf(stderr, "sockchat: %s\n", msg);
    fprintf(stderr, "sockchat: connected to %s over %s\n", p->server, p->net.tls_version);
    return 0;
}

/* Connects to one address (blocking, with net.c's timeout); returns 0, or
 * with err set -2 when no attempt could even start, -1 when it failed, -3
 * when its TLS was refused for good (err then says all). */
static int connect_one(struct plain *p, const struct addr_entry *e, char *err, size_t errlen)
{
    size_t known_line;
    char terr[300];
    bool tls = tofu_wants_tls(&p->tofu, e->host, e->port, e->tls, &known_line, terr, sizeof(terr));
    if (terr[0])
        fprintf(stderr, "sockchat: %s\n", terr);
    p->net.tls_ctx = tls ? p->tofu.ctx : NULL;
    p->no_password = !tls && known_line > 0;
    if (p->no_password) {
        tofu_no_password_text(e->host, e->port, known_line, terr, sizeof(terr));
        fprintf(stderr, "sockchat: %s\n", terr);
    }
    if (net_start(&p->net, e->host, e->port, loop_now_ms(), err, errlen) < 0)
        return -2;
    while (p->net.connecting) {
        struct pollfd pf = {.fd = p->net.fd, .events = net_poll_events(&p->net, false)};
        int64_t left = p->net.deadline_ms - loop_now_ms();
        int rc = poll(&pf, 1, left > 0 ? (int)left : 0);
        if (rc < 0 && errno == EINTR)
            continue;
        rc = net_finish(&p->net, loop_now_ms(), rc == 0, err, errlen);
        if (rc == -3) {
            char why[300];
            snprintf(why, sizeof(why), "%s", err);
            tofu_refused_text(&p->net, e->host, e->port, known_line, why, err, errlen);
        }
        if (rc < 0)
            return rc == -3 ? -3 : -1;
    }
    return 0;
}

int plain_connect(struct plain *p, const struct client_opts *opt)
{
    enum { ERR_CAP = 1200 };
    char first[300];
    struct addrlist *l = malloc(sizeof(*l));
    if (l == NULL) {
        fprintf(stderr, "sockchat: out of memory\n");
        return EX_OSERR;
    }
    int rc = EX_UNAVAILABLE;
    if (addrlist_parse(l, opt->host, opt->port, first, sizeof(first)) < 0) {
        fprintf(stderr, "sockchat: %s\n", first);
        rc = EX_USAGE;
        l->n = 0;
    }
    char *err = malloc(ERR_CAP);
    for (unsigned i = 0; err && i < l->n && rc == EX_UNAVAILABLE; i++) {
        addrlist_format(&l->e[i], p->server, sizeof(p->server));
        int c = connect_one(p, &l->e[i], err, ERR_CAP);
        if (c == 0) {
            rc = p->net.ssl ? trust_server(p, &l->e[i]) : EX_OK;
        } else if (c == -3) {
            fprintf(stderr, "sockchat: %s\n", err);
            rc = EX_PROTOCOL; /* another address would be no better */
        } else if (l->n == 1 && c == -2) {
            fprintf(stderr, "sockchat: %s\n", err);
        } else if (l->n > 1) {
            fprintf(stderr, "sockchat: connect to %s: %s%s\n", p->server, err,
                    i + 1 < l->n ? "; trying the next address" : "");
        } else {
            fprintf(stderr, "sockchat: connect to %s port %s: %s\n", l->e[i].host, l->e[i].port,
                    err);
        }
    }
    if (err == NULL) {
        fprintf(stderr, "sockchat: out of memory\n");
        rc = EX_OSERR;
    }
    free(err);
    free(l);
    wire_print(p);
    return rc;
}
/* Connects, sends the password and the nick as asked. Returns 0 or a
 * sysexits code after saying what failed. */
static int plain_start(struct plain *p, const struct client_opts *opt)
{
    int rc = plain_connect(p, opt);
    if (rc != EX_OK)
        return rc;
    if (opt->password && !p->no_password) {
        rc = plain_send_auth(p, opt->password);
        if (rc != EX_OK)
            return rc;
    }
    if (opt->nick_given) {
        if (p->waiting) {
            /* After the answer to /auth: queued like a typed line. */
            int n = snprintf(p->in, sizeof(p->in), "/nick %.24s\n", opt->nick);
            p->in_len = (size_t)n;
        } else {
            char line[64];
            int n = snprintf(line, sizeof(line), "/nick %.24s", opt->nick);
            if (plain_send_line(p, line, (size_t)n) < 0) {
                fprintf(stderr, "sockchat: send: %s\n", strerror(errno));
                return EX_IOERR;
            }
        }
    }
    p->prompt_due = !p->waiting;
    return EX_OK;
}

/* A line that had no reply by its deadline: move on, as client.py would
 * not. */
static void reply_timeout(struct plain *p, int64_t now)
{
    if (p->waiting && now >= p->wait_until) {
        p->waiting = false;
        p->auth_due = false;
        p->prompt_due = true;
    }
}
/* The end: "exit" answered, or stdin done and the server given its time
 * to finish (after being told, by half-closing, that we are done). */
static enum step end_step(struct plain *p, int64_t now)
{
    if (p->exiting && !p->waiting) {
        printf("Exiting client.\n");
        return STEP_DONE;
    }
    if (p->stdin_done && !p->waiting && p->close_deadline < 0) {
        net_shutdown_write(&p->net);
        p->close_deadline = now + CLOSE_WAIT_MS;
    }
    if (p->close_deadline >= 0 && now >= p->close_deadline)
        return STEP_DONE;
    return STEP_ON;
}

static void show_prompt(struct plain *p)
{
    if (p->prompt_due && p->tty && !p->waiting && !p->stdin_done) {
        fputs(PROMPT, stdout);
        fflush(stdout);
        p->prompt_due = false;
        p->prompt_shown = true;
    }
}

static enum step on_server_readable(struct plain *p)
{
    char buf[4096];
    ssize_t r = net_read(&p->net, buf, sizeof(buf));
    wire_print(p);
    if (r > 0) {
        if (p->prompt_shown)
            fputs("\n", stdout); /* leave the prompt's line, typing and all */
        p->prompt_shown = false;
        on_server_bytes(p, buf, (size_t)r);
    } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        if (p->exiting) {
            printf("Exiting client.\n");
        } else if (p->close_deadline < 0) {
            /* Before we were done: refused (full, banned, no password) or
             * gone. A script must be able to tell. */
            fprintf(stderr, "sockchat: the server closed the connection\n");
            p->status = EX_UNAVAILABLE;
        }
        return STEP_DONE;
    }
    return STEP_ON;
}

static enum step on_stdin_readable(struct plain *p)
{
    ssize_t r = read(STDIN_FILENO, p->in + p->in_len, LINE_MAX_BYTES - p->in_len);
    if (r <= 0) {
        if (r < 0 && errno == EINTR)
            return STEP_AGAIN;
        if (p->in_len > 0 && plain_send_line(p, p->in, p->in_len) < 0)
            return STEP_DONE;
        p->in_len = 0;
        p->stdin_done = true;
        return STEP_AGAIN;
    }
    p->in_len += (size_t)r;
    if (p->in[p->in_len - 1] == '\n')
        p->prompt_shown = false; /* Enter: the terminal is on a fresh line */
    /* Send the first complete line (or a full buffer); the rest waits for
     * its reply. */
    char *lf = memchr(p->in, '\n', p->in_len);
    size_t n = lf ? (size_t)(lf - p->in) : (p->in_len == LINE_MAX_BYTES ? p->in_len : 0);
    if (lf || n) {
        char line[LINE_MAX_BYTES + 2];
        memcpy(line, p->in, n);
        size_t rest = p->in_len - n - (lf ? 1 : 0);
        memmove(p->in, p->in + p->in_len - rest, rest);
        p->in_len = rest;
        if (n > 0 && plain_send_line(p, line, n) < 0) {
            fprintf(stderr, "sockchat: send: %s\n", strerror(errno));
            return STEP_DONE;
        }
        if (n == 0)
            p->prompt_due = true;
    }
    return STEP_ON;
}

/* Waits for the server, stdin (unless a reply is due) or a deadline, and
 * reads what came. */
static enum step wait_and_read(struct plain *p, int64_t now)
{
    struct pollfd pf[2] = {
        {.fd = p->net.fd, .events = POLLIN},
        {.fd = (p->waiting || p->stdin_done) ? -1 : STDIN_FILENO, .events = POLLIN},
    };
    int64_t t = 1000;
    if (p->waiting)
        t = p->wait_until - now;
    if (p->close_deadline >= 0)
        t = p->close_deadline - now;
    /* TLS may hold decrypted bytes the socket will not wake us for. */
    bool pending = net_pending(&p->net);
    int rc = poll(pf, 2, t < 0 || pending ? 0 : (int)t);
    if (rc < 0) {
        if (errno == EINTR)
            return STEP_AGAIN;
        fprintf(stderr, "sockchat: poll: %s\n", strerror(errno));
        p->status = EX_OSERR;
        return STEP_DONE;
    }
    if ((pf[0].revents || pending) && on_server_readable(p) == STEP_DONE)
        return STEP_DONE;
    if (pf[1].revents)
        return on_stdin_readable(p);
    return STEP_ON;
}

/* Lines already buffered go out one per reply. */
static void send_buffered(struct plain *p)
{
    while (!p->waiting && !p->exiting && !p->refused) {
        char *lf = memchr(p->in, '\n', p->in_len);
        if (!lf)
            break;
        size_t n = (size_t)(lf - p->in);
        char line[LINE_MAX_BYTES + 2];
        memcpy(line, p->in, n);
        memmove(p->in, lf + 1, p->in_len - n - 1);
        p->in_len -= n + 1;
        if (n > 0 && plain_send_line(p, line, n) < 0)
            break;
    }
}

/* One turn: the reply deadline, the password, the end, the prompt, then
 * wait and read, and send what is buffered. */
static enum step plain_turn(struct plain *p, const struct client_opts *opt)
{
    int64_t now = loop_now_ms();
    reply_timeout(p, now);
    enum step s = plain_password_step(p, opt);
    if (s == STEP_ON)
        s = end_step(p, now);
    if (s != STEP_ON)
        return s;
    show_prompt(p);
    s = wait_and_read(p, now);
    if (s == STEP_ON)
        send_buffered(p);
    return s;
}

int plain_run(const struct client_opts *opt)
{
    struct plain p;
    memset(&p, 0, sizeof(p));
    net_init(&p.net);
    char err[300];
    if (tofu_init(&p.tofu, opt, err, sizeof(err)) < 0) {
        fprintf(stderr, "sockchat: %s\n", err);
        return EX_NOINPUT;
    }
    p.net.chunk = opt->chunk;
    p.net.chunk_ms = opt->chunk_ms;
    p.net.nodelay = opt->nodelay;
    if (opt->wire) {
        if (wire_open(&p.wire) < 0) {
            fprintf(stderr, "sockchat: --wire: out of memory\n");
            tofu_free(&p.tofu);
            return EX_OSERR;
        }
        p.net.wire = &p.wire;
    }
    p.tty = isatty(STDIN_FILENO);
    p.close_deadline = -1;
    p.status = plain_start(&p, opt);
    while (p.status == EX_OK && plain_turn(&p, opt) != STEP_DONE)
        ;
    fflush(stdout);
    net_close(&p.net);
    tofu_free(&p.tofu);
    wire_free(&p.wire);
    secret_clear(&p.pw);
    return p.status;
}

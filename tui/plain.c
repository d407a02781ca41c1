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
 * asked for it with the echo off (plain_ask_password()); without a
 * terminal its refusals are printed like any reply. */
#undef _XOPEN_SOURCE /* ncursesw.pc may set 600 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "linebuf.h"
#include "cmd.h"
#include "loop.h"
#include "net.h"
#include "sanitize.h"
#include "secret.h"
#include "ttyask.h"

enum {
    REPLY_WAIT_MS = 2000, /* how long a line waits for its reply */
    CLOSE_WAIT_MS = 3000, /* after stdin ends, for the server to finish */
    PASSWORD_TRIES = 3,   /* typed passwords refused before giving up, as sudo */
    LOCK_WAITS = 3,       /* "try again in N s" waited out before giving up */
    LOCK_WAIT_MAX_S = 60, /* the longest such wait obeyed */
};

#define PROMPT "Enter a message to send to the server (or 'exit' to quit): "

struct plain {
    struct net net;
    bool tty;
    bool raw; /* the server answers without LF: send without LF too */
    bool first_reply_seen;
    bool waiting; /* a sent line has not had its reply */
    int64_t wait_until;
    bool stdin_done;
    bool exiting; /* "exit" was sent */
    bool prompt_due;
    bool prompt_shown; /* the prompt is on the screen's last line, maybe with typing after it */
    bool auth_due;     /* the next reply answers our /auth */
    bool refused;      /* ... and it was an error */
    bool locked;       /* ... not about our password: the address is locked out */
    char in[LINE_MAX_BYTES + 2];
    size_t in_len;
    /* The password prompt: a reply said the server needs a password, and
     * none was given. The line it refused is sent again once one is
     * accepted; the typed password is kept (for a retry after a lock-out)
     * until then, and wiped. */
    bool need_password;
    bool typed; /* pw holds a typed password, sent in the last /auth */
    struct secret pw;
    unsigned tries, lock_waits, wait_s;
    char last[LINE_MAX_BYTES + 2]; /* the last line sent (never an /auth) */
    size_t last_len;
    char resend[LINE_MAX_BYTES + 2]; /* the line the server refused */
    size_t resend_len;
};

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
static void print_line(const struct plain *p, const char *s, size_t len)
{
    static char safe[SANITIZE_CAP((size_t)2 * LINE_MAX_BYTES)];
    if (len > 0 && s[len - 1] == '\r')
        len--;
    if (len > (size_t)2 * LINE_MAX_BYTES)
        len = (size_t)2 * LINE_MAX_BYTES;
    sanitize_text(safe, sizeof(safe), s, len);
    if (!p->raw && room_line(s, len))
        printf("%s\n", safe);
    else
        printf("Server response: %s\n", safe);
}

static int send_all(struct plain *p, const char *s, size_t len)
{
    int64_t deadline = loop_now_ms() + REPLY_WAIT_MS;
    while (len > 0) {
        ssize_t w = net_write(&p->net, s, len);
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
        struct pollfd pf = {.fd = p->net.fd, .events = POLLOUT};
        poll(&pf, 1, (int)left);
    }
    return 0;
}

/* Sends one input line; returns -1 when the connection broke. */
static int send_line(struct plain *p, char *line, size_t len)
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

/* The seconds in "... try again in N s" (the server's lock-out), or 0. */
static unsigned wait_seconds(const char *data, size_t len)
{
    static const char key[] = "try again in ";
    for (size_t i = 0; i + sizeof key - 1 < len; i++) {
        if (memcmp(data + i, key, sizeof key - 1) != 0)
            continue;
        unsigned n = 0;
        for (i += sizeof key - 1; i < len && data[i] >= '0' && data[i] <= '9' && n < 100000; i++)
            n = n * 10 + (unsigned)(data[i] - '0');
        return n;
    }
    return 0;
}

/* A line of the reply is the server's refusal of a connection that owes
 * it the password (section 7.1 of docs/PROTOCOL.md). */
static bool needs_password(const char *data, size_t len)
{
    static const char key[] = "error: this server needs a password";
    for (size_t i = 0; i + sizeof key - 1 <= len; i++)
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, key, sizeof key - 1) == 0)
            return true;
    return false;
}

static void on_server_bytes(struct plain *p, const char *data, size_t len)
{
    size_t start = 0;
    if (!p->first_reply_seen) {
        p->first_reply_seen = true;
        p->raw = memchr(data, '\n', len) == NULL;
    }
    if (p->auth_due) {
        /* sockchat-server answers a wrong /auth with "error: wrong
         * password" (its plain rendering of ERR auth), then closes. */
        p->auth_due = false;
        static const char wait[] = "error: too many wrong passwords";
        p->locked = len >= sizeof wait - 1 && memcmp(data, wait, sizeof wait - 1) == 0;
        p->refused = !p->locked && len >= 6 && memcmp(data, "error:", 6) == 0;
        p->wait_s = p->locked ? wait_seconds(data, len) : 0;
    } else if (needs_password(data, len)) {
        p->need_password = true;
    }
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

/* Connects (blocking, with net.c's timeout); returns 0 or a sysexits code
 * after saying what failed. */
static int plain_connect(struct plain *p, const struct options *opt)
{
    char err[200];
    if (net_start(&p->net, opt->host, opt->port, loop_now_ms(), err, sizeof(err)) < 0) {
        fprintf(stderr, "sockchat: %s\n", err);
        return EX_UNAVAILABLE;
    }
    while (p->net.connecting) {
        struct pollfd pf = {.fd = p->net.fd, .events = net_poll_events(&p->net, false)};
        int64_t left = p->net.deadline_ms - loop_now_ms();
        int rc = poll(&pf, 1, left > 0 ? (int)left : 0);
        if (rc < 0 && errno == EINTR)
            continue;
        if (net_finish(&p->net, loop_now_ms(), rc == 0, err, sizeof(err)) < 0) {
            fprintf(stderr, "sockchat: connect to %s port %s: %s\n", opt->host, opt->port, err);
            return EX_UNAVAILABLE;
        }
    }
    return EX_OK;
}

/* Sends "/auth PASSWORD": before anything else, as the server relays
 * nothing of ours until then. The line is sent, never printed, and wiped.
 * Returns 0 or a sysexits code after saying what failed. */
static int plain_send_auth(struct plain *p, const char *password)
{
    static char line[LINE_MAX_BYTES + 2];
    int n = snprintf(line, LINE_MAX_BYTES, "/auth %s", password);
    int rc = EX_OK;
    if (n < 0 || n >= LINE_MAX_BYTES) {
        fprintf(stderr, "sockchat: password: too long\n");
        rc = EX_USAGE;
    } else if (send_line(p, line, (size_t)n) < 0) {
        fprintf(stderr, "sockchat: send: %s\n", strerror(errno));
        rc = EX_IOERR;
    }
    secret_wipe(line, sizeof(line));
    secret_wipe(p->last, sizeof(p->last)); /* the copy send_line kept */
    p->last_len = 0;
    p->auth_due = rc == EX_OK;
    return rc;
}

/* The server needs a password and none was given: ask on the terminal,
 * echo off, and send it. Returns 0 or a sysexits code after saying what
 * failed (EX_NOPERM when the user gave none). */
static int plain_ask_password(struct plain *p, const struct options *opt)
{
    char prompt[300];
    bool v6 = strchr(opt->host, ':') != NULL;
    snprintf(prompt, sizeof(prompt), "Password for %s%s%s:%s: ", v6 ? "[" : "", opt->host,
             v6 ? "]" : "", opt->port);
    fflush(stdout);
    for (;;) {
        int rc = ttyask_secret(STDIN_FILENO, STDERR_FILENO, prompt, p->pw.buf, sizeof(p->pw.buf));
        if (rc == 0 && p->pw.buf[0] == '\0')
            continue; /* just Enter: the server would only answer "usage" */
        if (rc == 0)
            break;
        if (rc < 0 && errno == E2BIG) {
            fprintf(stderr, "sockchat: a password is at most %d bytes\n", SECRET_MAX);
            continue;
        }
        if (rc < 0 && errno != EINTR)
            fprintf(stderr, "sockchat: password prompt: %s\n", strerror(errno));
        else
            fprintf(stderr, "sockchat: no password given\n");
        return EX_NOPERM;
    }
    p->pw.len = strlen(p->pw.buf);
    p->typed = true;
    p->tries++;
    return plain_send_auth(p, p->pw.buf);
}

/* The typed password was refused, or not judged (the address is locked
 * out for a while after a wrong one): the server closes, so connect again
 * and ask again, or wait as long as it says and try the same one. Returns
 * 0 or a sysexits code after saying why it gives up. */
static int plain_retry_password(struct plain *p, const struct options *opt)
{
    bool wrong = p->refused;
    unsigned wait_s = p->wait_s ? p->wait_s : 1;
    p->refused = p->locked = false;
    p->waiting = false;
    net_close(&p->net);
    if (wrong) {
        secret_clear(&p->pw);
        p->typed = false;
        if (p->tries >= PASSWORD_TRIES) {
            fprintf(stderr, "sockchat: the server refused the password %u times\n", p->tries);
            return EX_NOPERM;
        }
        fprintf(stderr, "sockchat: wrong password\n");
    } else {
        if (p->lock_waits++ >= LOCK_WAITS) {
            fprintf(stderr, "sockchat: the server is not judging passwords from this address; "
                            "try again later\n");
            return EX_TEMPFAIL;
        }
        if (wait_s > LOCK_WAIT_MAX_S)
            wait_s = LOCK_WAIT_MAX_S;
        fprintf(stderr,
                "sockchat: the server is not judging passwords from this address for %u s; "
                "waiting\n",
                wait_s);
        /* The server's own deadline, not a stand-in for an event. */
        int64_t until = loop_now_ms() + (int64_t)wait_s * 1000;
        for (int64_t left; (left = until - loop_now_ms()) > 0;)
            poll(NULL, 0, (int)left);
    }
    int rc = plain_connect(p, opt);
    if (rc != EX_OK)
        return rc;
    p->first_reply_seen = false;
    return wrong ? plain_ask_password(p, opt) : plain_send_auth(p, p->pw.buf);
}

int plain_run(const struct options *opt)
{
    struct plain p;
    memset(&p, 0, sizeof(p));
    net_init(&p.net);
    p.tty = isatty(STDIN_FILENO);

    int crc = plain_connect(&p, opt);
    if (crc != EX_OK)
        return crc;
    if (opt->password) {
        crc = plain_send_auth(&p, opt->password);
        if (crc != EX_OK) {
            net_close(&p.net);
            return crc;
        }
    }
    if (opt->nick_given) {
        if (p.waiting) {
            /* After the answer to /auth: queued like a typed line. */
            int n = snprintf(p.in, sizeof(p.in), "/nick %.24s\n", opt->nick);
            p.in_len = (size_t)n;
        } else {
            char line[64];
            int n = snprintf(line, sizeof(line), "/nick %.24s", opt->nick);
            if (send_line(&p, line, (size_t)n) < 0) {
                fprintf(stderr, "sockchat: send: %s\n", strerror(errno));
                net_close(&p.net);
                return EX_IOERR;
            }
        }
    }
    p.prompt_due = !p.waiting;

    int64_t close_deadline = -1;
    int status = EX_OK;
    for (;;) {
        int64_t now = loop_now_ms();
        if (p.waiting && now >= p.wait_until) {
            p.waiting = false; /* no reply: move on, as client.py would not */
            p.auth_due = false;
            p.prompt_due = true;
        }
        if ((p.refused || p.locked) && p.typed) {
            int rc = plain_retry_password(&p, opt);
            if (rc != EX_OK) {
                net_close(&p.net);
                secret_clear(&p.pw);
                return rc;
            }
            continue;
        }
        if (p.typed && !p.auth_due && !p.waiting) {
            secret_clear(&p.pw); /* accepted: not needed any more */
            p.typed = false;
        }
        if (p.need_password && p.tty && !opt->password && !p.waiting && !p.auth_due) {
            /* The line it refused goes again once the password is in. */
            p.need_password = false;
            memcpy(p.resend, p.last, p.last_len + 1);
            p.resend_len = p.last_len;
            int rc = plain_ask_password(&p, opt);
            if (rc != EX_OK) {
                net_close(&p.net);
                return rc;
            }
            continue;
        }
        if (p.resend_len > 0 && !p.waiting && !p.auth_due) {
            size_t n = p.resend_len;
            p.resend_len = 0;
            if (send_line(&p, p.resend, n) < 0) {
                fprintf(stderr, "sockchat: send: %s\n", strerror(errno));
                break;
            }
            continue;
        }
        if (p.refused) {
            fprintf(stderr, "sockchat: the server refused the password\n");
            fflush(stdout);
            net_close(&p.net);
            return EX_NOPERM;
        }
        if (p.locked) {
            /* Someone at our address guessed wrong: our password was not
             * even tried. A later run will be. */
            fprintf(stderr, "sockchat: the server is not judging passwords from this address "
                            "for a few seconds; try again\n");
            fflush(stdout);
            net_close(&p.net);
            return EX_TEMPFAIL;
        }
        if (p.exiting && !p.waiting) {
            printf("Exiting client.\n");
            break;
        }
        if (p.stdin_done && !p.waiting && close_deadline < 0) {
            /* Tell the server we are done, then print what it still says. */
            shutdown(p.net.fd, SHUT_WR);
            close_deadline = now + CLOSE_WAIT_MS;
        }
        if (close_deadline >= 0 && now >= close_deadline)
            break;
        if (p.prompt_due && p.tty && !p.waiting && !p.stdin_done) {
            fputs(PROMPT, stdout);
            fflush(stdout);
            p.prompt_due = false;
            p.prompt_shown = true;
        }

        struct pollfd pf[2] = {
            {.fd = p.net.fd, .events = POLLIN},
            {.fd = (p.waiting || p.stdin_done) ? -1 : STDIN_FILENO, .events = POLLIN},
        };
        int64_t t = 1000;
        if (p.waiting)
            t = p.wait_until - now;
        if (close_deadline >= 0)
            t = close_deadline - now;
        int rc = poll(pf, 2, t < 0 ? 0 : (int)t);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sockchat: poll: %s\n", strerror(errno));
            return EX_OSERR;
        }
        if (pf[0].revents) {
            char buf[4096];
            ssize_t r = net_read(&p.net, buf, sizeof(buf));
            if (r > 0) {
                if (p.prompt_shown)
                    fputs("\n", stdout); /* leave the prompt's line, typing and all */
                p.prompt_shown = false;
                on_server_bytes(&p, buf, (size_t)r);
            } else if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                if (p.exiting) {
                    printf("Exiting client.\n");
                } else if (close_deadline < 0) {
                    /* Before we were done: refused (full, banned, no
                     * password) or gone. A script must be able to tell. */
                    fprintf(stderr, "sockchat: the server closed the connection\n");
                    status = EX_UNAVAILABLE;
                }
                break;
            }
        }
        if (pf[1].revents) {
            ssize_t r = read(STDIN_FILENO, p.in + p.in_len, LINE_MAX_BYTES - p.in_len);
            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                if (p.in_len > 0 && send_line(&p, p.in, p.in_len) < 0)
                    break;
                p.in_len = 0;
                p.stdin_done = true;
                continue;
            }
            p.in_len += (size_t)r;
            if (p.in[p.in_len - 1] == '\n')
                p.prompt_shown = false; /* Enter: the terminal is on a fresh line */
            /* Send the first complete line (or a full buffer); the rest
             * waits for its reply. */
            char *lf = memchr(p.in, '\n', p.in_len);
            size_t n = lf ? (size_t)(lf - p.in) : (p.in_len == LINE_MAX_BYTES ? p.in_len : 0);
            if (lf || n) {
                char line[LINE_MAX_BYTES + 2];
                memcpy(line, p.in, n);
                size_t rest = p.in_len - n - (lf ? 1 : 0);
                memmove(p.in, p.in + p.in_len - rest, rest);
                p.in_len = rest;
                if (n > 0 && send_line(&p, line, n) < 0) {
                    fprintf(stderr, "sockchat: send: %s\n", strerror(errno));
                    break;
                }
                if (n == 0)
                    p.prompt_due = true;
            }
        }
        /* Lines already buffered go out one per reply. */
        while (!p.waiting && !p.exiting && !p.refused) {
            char *lf = memchr(p.in, '\n', p.in_len);
            if (!lf)
                break;
            size_t n = (size_t)(lf - p.in);
            char line[LINE_MAX_BYTES + 2];
            memcpy(line, p.in, n);
            memmove(p.in, lf + 1, p.in_len - n - 1);
            p.in_len -= n + 1;
            if (n > 0 && send_line(&p, line, n) < 0)
                break;
        }
    }
    fflush(stdout);
    net_close(&p.net);
    return status;
}

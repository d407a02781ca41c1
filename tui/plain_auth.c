/* plain_auth: the line client's password. With one given (SOCKCHAT_PASSWORD
 * or --password-file) the first line is "/auth PASSWORD"; a refusal ends
 * the client. Without one, on a terminal, a server that says it needs one
 * is asked for it with the echo off, the line it refused sent again once
 * it is in, and a wrong one asked again (PASSWORD_TRIES), a lock-out
 * waited out (LOCK_WAITS). */
#undef _XOPEN_SOURCE /* ncursesw.pc may set 600 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "loop.h" /* loop_now_ms */
#include "plain_internal.h"
#include "ttyask.h"

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

/* What a reply says of the password: the answer to our /auth, or a
 * refusal for want of one. */
void plain_auth_on_reply(struct plain *p, const char *data, size_t len)
{
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
}

/* Sends "/auth PASSWORD": before anything else, as the server relays
 * nothing of ours until then. The line is sent, never printed, and wiped.
 * Returns 0 or a sysexits code after saying what failed. */
int plain_send_auth(struct plain *p, const char *password)
{
    char *line = p->auth;
    int n = snprintf(line, LINE_MAX_BYTES, "/auth %s", password);
    int rc = EX_OK;
    if (n < 0 || n >= LINE_MAX_BYTES) {
        fprintf(stderr, "sockchat: password: too long\n");
        rc = EX_USAGE;
    } else if (plain_send_line(p, line, (size_t)n) < 0) {
        fprintf(stderr, "sockchat: send: %s\n", strerror(errno));
        rc = EX_IOERR;
    }
    secret_wipe(line, sizeof(p->auth));
    secret_wipe(p->last, sizeof(p->last)); /* the copy send_line kept */
    p->last_len = 0;
    p->auth_due = rc == EX_OK;
    return rc;
}

/* The server needs a password and none was given: ask on the terminal,
 * echo off, and send it. Returns 0 or a sysexits code after saying what
 * failed (EX_NOPERM when the user gave none). */
static int plain_ask_password(struct plain *p, const struct client_opts *opt)
{
    char prompt[300];
    (void)opt;
    snprintf(prompt, sizeof(prompt), "Password for %s: ", p->server);
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
static int plain_retry_password(struct plain *p, const struct client_opts *opt)
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

/* The password's turn: retry a refused one, forget an accepted one, ask
 * for a missing one, resend the line refused for want of it, or give up. */
enum step plain_password_step(struct plain *p, const struct client_opts *opt)
{
    if ((p->refused || p->locked) && p->typed) {
        p->status = plain_retry_password(p, opt);
        return p->status == EX_OK ? STEP_AGAIN : STEP_DONE;
    }
    if (p->typed && !p->auth_due && !p->waiting) {
        secret_clear(&p->pw); /* accepted: not needed any more */
        p->typed = false;
    }
    if (p->need_password && p->no_password) {
        p->need_password = false;
        fprintf(stderr, "sockchat: the server wants a password; not sending one in clear text "
                        "to a server that spoke TLS before (connect without --no-tls)\n");
    }
    if (p->need_password && p->tty && !opt->password && !p->waiting && !p->auth_due) {
        /* The line it refused goes again once the password is in. */
        p->need_password = false;
        memcpy(p->resend, p->last, p->last_len + 1);
        p->resend_len = p->last_len;
        p->status = plain_ask_password(p, opt);
        return p->status == EX_OK ? STEP_AGAIN : STEP_DONE;
    }
    if (p->resend_len > 0 && !p->waiting && !p->auth_due) {
        size_t n = p->resend_len;
        p->resend_len = 0;
        if (plain_send_line(p, p->resend, n) < 0) {
            fprintf(stderr, "sockchat: send: %s\n", strerror(errno));
            return STEP_DONE;
        }
        return STEP_AGAIN;
    }
    if (p->refused) {
        fprintf(stderr, "sockchat: the server refused the password\n");
        p->status = EX_NOPERM;
        return STEP_DONE;
    }
    if (p->locked) {
        /* Someone at our address guessed wrong: our password was not
         * even tried. A later run will be. */
        fprintf(stderr, "sockchat: the server is not judging passwords from this address "
                        "for a few seconds; try again\n");
        p->status = EX_TEMPFAIL;
        return STEP_DONE;
    }
    return STEP_ON;
}

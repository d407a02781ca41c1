/* plain: sockchat-admin's line mode, for scripts (--plain, or stdout not
 * a terminal). Commands come from stdin, one per line; the server's lines
 * go to stdout as the protocol has them (docs/PROTOCOL.md 13.2), one per
 * line, after the greeting: OUT, OK, ERR, EVENT, and whatever else the
 * commands asked for (ROSTER and ROW, STATS). Events are subscribed to at
 * the start, that subscription's OK is not printed.
 *
 * It ends when stdin has ended and every command sent has its OK or ERR
 * (exit 0, or 1 when any was ERR), or when the server goes away first
 * (exit 69). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "aapp.h"
#include "admin.h"
#include "linebuf.h"

struct plain {
    const struct aopts *o;
    struct link *l;
    struct attach at;
    struct linebuf stdin_lines;
    bool stdin_done;
    int out_failed; /* errno of a failed write to stdout, 0 when fine */
    char err[256];
    int fail;     /* an exit code once something failed, 0 before */
    bool refused; /* a command was answered ERR */
};

static void plain_send(struct plain *p, const char *cmd, bool hidden)
{
    if (link_send(p->l, cmd, p->err, sizeof(p->err)) < 0) {
        fprintf(stderr, "sockchat-admin: %s\n", p->err);
        p->fail = EX_SOFTWARE;
        return;
    }
    attach_sent(&p->at, hidden);
}

static void on_server_line(void *ctx, const char *line, size_t len)
{
    struct plain *p = ctx;
    struct admin_line pl;
    enum attach_act act = attach_line(&p->at, line, len, &pl);
    switch (act) {
    case AA_ATTACHED:
        plain_send(p, "subscribe events", true);
        return;
    case AA_NONE:
    case AA_MISMATCH:
        return;
    default:
        break;
    }
    /* Hidden answers are AA_NONE: an ERR here is one of the script's. */
    if (act == AA_SHOW && pl.type == ADMIN_ERR)
        p->refused = true;
    if (p->out_failed)
        return;
    if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF || fflush(stdout) == EOF)
        p->out_failed = errno ? errno : EIO;
}

static void on_stdin_line(struct plain *p, const char *line, size_t len)
{
    /* A blank line is no command: sent, it would only be answered ERR. */
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i == len)
        return;
    char cmd[ADMIN_LINE_MAX];
    if (len >= sizeof(cmd)) {
        fprintf(stderr, "sockchat-admin: command too long (%zu bytes, at most %zu): not sent\n",
                len, sizeof(cmd) - 1);
        return;
    }
    memcpy(cmd, line, len);
    cmd[len] = '\0';
    plain_send(p, cmd, false);
}

static void read_stdin(struct plain *p)
{
    char buf[4096];
    ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
    if (r < 0) {
        if (errno == EINTR || errno == EAGAIN)
            return;
        fprintf(stderr, "sockchat-admin: reading stdin: %s\n", strerror(errno));
        p->stdin_done = true;
        return;
    }
    if (r == 0) {
        /* The last line may lack its LF. */
        if (linebuf_pending(&p->stdin_lines) > 0) {
            size_t used;
            char *line;
            size_t len;
            if (linebuf_feed(&p->stdin_lines, "\n", 1, &used, &line, &len) == LINEBUF_LINE)
                on_stdin_line(p, line, len);
        }
        p->stdin_done = true;
        return;
    }
    size_t off = 0;
    while (off < (size_t)r) {
        size_t used;
        char *line;
        size_t len;
        enum linebuf_status st =
            linebuf_feed(&p->stdin_lines, buf + off, (size_t)r - off, &used, &line, &len);
        off += used;
        if (st == LINEBUF_LINE)
            on_stdin_line(p, line, len);
        else if (st == LINEBUF_OVERLONG)
            fprintf(stderr, "sockchat-admin: command too long (at most %d bytes): not sent\n",
                    ADMIN_LINE_MAX - 1);
        else if (st == LINEBUF_NOMEM) {
            fprintf(stderr, "sockchat-admin: out of memory reading stdin\n");
            p->fail = EX_OSERR;
            return;
        }
    }
}

int plain_run(const struct aopts *o, struct link *l)
{
    struct plain p;
    memset(&p, 0, sizeof(p));
    p.o = o;
    p.l = l;
    attach_start(&p.at);
    linebuf_init(&p.stdin_lines, ADMIN_LINE_MAX);
    /* A reader that went away (`| head`) is an end, not a crash. */
    signal(SIGPIPE, SIG_IGN);
    int rc = aapp_greet(o, l, &p.at, on_server_line, &p);
    while (rc == 0 && !p.fail) {
        if (p.out_failed) {
            if (p.out_failed != EPIPE) {
                fprintf(stderr, "sockchat-admin: writing stdout: %s\n", strerror(p.out_failed));
                rc = EX_IOERR;
            }
            break;
        }
        if (p.stdin_done && p.at.pending == 0 && !link_wants_write(l))
            break;
        if (link_flush(l, p.err, sizeof(p.err)) < 0) {
            fprintf(stderr, "sockchat-admin: the server went away: %s\n", p.err);
            rc = EX_UNAVAILABLE;
            break;
        }
        struct pollfd fds[2] = {
            {.fd = l->fd, .events = (short)(POLLIN | (link_wants_write(l) ? POLLOUT : 0))},
            {.fd = p.stdin_done ? -1 : STDIN_FILENO, .events = POLLIN},
        };
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sockchat-admin: poll: %s\n", strerror(errno));
            rc = EX_OSERR;
            break;
        }
        if (fds[0].revents) {
            int r = link_read(l, on_server_line, &p, p.err, sizeof(p.err));
            if (r != 0) {
                if (p.stdin_done && p.at.pending == 0)
                    break;
                fprintf(stderr, "sockchat-admin: the server went away%s%s\n",
                        p.at.why[0] ? ": " : "", p.at.why[0] ? p.at.why : "");
                rc = EX_UNAVAILABLE;
                break;
            }
        }
        if (fds[1].revents)
            read_stdin(&p);
    }
    if (rc == 0 && p.fail)
        rc = p.fail;
    /* `echo 'kick bob' | sockchat-admin 5000 && ...` must be able to tell. */
    if (rc == 0 && p.refused)
        rc = 1;
    linebuf_free(&p.stdin_lines);
    return rc;
}

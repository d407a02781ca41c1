/* dloop: the dashboard's event loop.
 *
 * DESIGN: one thread. Every turn draws (only when something changed),
 * polls the terminal, the admin socket and a self-pipe the signal handlers
 * write to, with a timeout of the next re-attach attempt; then handles
 * what is ready. When the server goes away the screen stays as it was,
 * the status bar says so, and a new attach is tried every second: the
 * teacher restarts the server and the dashboard comes back by itself.
 * What a key does is akeys.c's, what it changes dash.h's. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "dloop.h"

/* The signal handlers' only way to the loop: a byte in a pipe. */
static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (write(sig_pipe[1], &b, 1) < 0) {
        /* Full pipe: a signal is already waiting to be handled. */
    }
    errno = saved;
}

static int signals_start(char *err, size_t errlen)
{
    if (pipe(sig_pipe) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(sig_pipe[i], F_GETFL);
        if (fl < 0 || fcntl(sig_pipe[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC) < 0) {
            snprintf(err, errlen, "fcntl on the signal pipe: %s", strerror(errno));
            return -1;
        }
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++) {
        if (sigaction(sigs[i], &sa, NULL) < 0) {
            snprintf(err, errlen, "sigaction: %s", strerror(errno));
            return -1;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

void dloop_send(struct dloop *a, const char *cmd, bool hidden)
{
    if (a->l->fd < 0 || a->d.at.state != ATTACH_ATTACHED) {
        if (!hidden)
            dash_note(&a->d, aapp_wall_ms(), "not attached: the command was not sent");
        return;
    }
    if (link_send(a->l, cmd, a->err, sizeof(a->err)) < 0) {
        dash_note(&a->d, aapp_wall_ms(), a->err);
        return;
    }
    attach_sent(&a->d.at, hidden);
    if (!hidden)
        dash_sent(&a->d, aapp_wall_ms(), cmd);
}

static void on_server_line(void *ctx, const char *line, size_t len)
{
    struct dloop *a = ctx;
    int64_t now = aapp_wall_ms();
    enum attach_act act = dash_line(&a->d, line, len, now);
    if (act == AA_ATTACHED) {
        dloop_send(a, "subscribe", true);
        a->shared_tty = sock_peer_shares_tty(a->l->fd, STDOUT_FILENO);
        if (a->shared_tty) {
            a->repaint_at = aapp_mono_ms() + REPAINT_DELAY_MS; /* its "attached" line */
            a->repaint_again = true;
            dash_note(&a->d, now,
                      "the server writes its log to this terminal too: the screen is "
                      "repainted after its lines (Ctrl-L repaints by hand); start it with "
                      "2>FILE, or use another terminal, to keep them apart");
        }
    } else if (a->shared_tty && len > 6 && memcmp(line, "EVENT ", 6) == 0) {
        /* The server writes the log line after the event, or just before:
         * repaint a moment later, once for a burst. */
        if (a->repaint_at == 0)
            a->repaint_at = aapp_mono_ms() + REPAINT_DELAY_MS;
        a->repaint_again = true;
    } else if (act == AA_BYE) {
        char note[160];
        snprintf(note, sizeof(note), "the server says: %s", a->d.at.why);
        dash_note(&a->d, now, note);
    }
}

static void dl_gone(struct dloop *a, const char *why)
{
    link_close(a->l);
    dash_gone(&a->d, aapp_wall_ms(), why);
    a->retry_at = aapp_mono_ms() + RETRY_MS;
}

static void dl_retry(struct dloop *a)
{
    enum sock_fail fail;
    long long now = aapp_mono_ms();
    a->retry_at = now + RETRY_MS;
    if (link_open(a->l, a->o->path, &fail, a->err, sizeof(a->err)) < 0)
        return; /* still gone; said once already */
    attach_start(&a->d.at);
    a->greet_end = now + GREET_TIMEOUT_MS;
}

static void dl_signals(struct dloop *a)
{
    unsigned char b[32];
    ssize_t n;
    while ((n = read(sig_pipe[0], b, sizeof(b))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (b[i] == SIGWINCH)
                aview_resize(&a->v);
            else
                a->done = true;
        }
    }
}

static void dl_socket(struct dloop *a, short revents)
{
    if (revents & POLLOUT) {
        if (link_flush(a->l, a->err, sizeof(a->err)) < 0) {
            dl_gone(a, a->err);
            return;
        }
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        int r = link_read(a->l, on_server_line, a, a->err, sizeof(a->err));
        if (r != 0) {
            dl_gone(a, a->d.at.why[0] ? a->d.at.why : r < 0 ? a->err : "connection closed");
            return;
        }
        if (a->d.at.state == ATTACH_CONNECTING && a->d.at.why[0]) {
            /* Re-attached to something else on that path: say it, retry. */
            char why[160];
            snprintf(why, sizeof(why), "%s", a->d.at.why);
            dl_gone(a, why);
        }
    }
}

static void dl_turn(struct dloop *a)
{
    aview_draw(&a->v, &a->d);
    long long now = aapp_mono_ms();
    int timeout = 1000;
    if (a->l->fd < 0)
        timeout = a->retry_at > now ? (int)(a->retry_at - now) : 0;
    else if (a->d.at.state == ATTACH_CONNECTING)
        timeout = a->greet_end > now ? (int)(a->greet_end - now) : 0;
    if (a->repaint_at != 0) {
        int left = a->repaint_at > now ? (int)(a->repaint_at - now) : 0;
        timeout = left < timeout ? left : timeout;
    }
    struct pollfd fds[3] = {
        {.fd = STDIN_FILENO, .events = POLLIN},
        {.fd = sig_pipe[0], .events = POLLIN},
        {.fd = a->l->fd, .events = (short)(POLLIN | (link_wants_write(a->l) ? POLLOUT : 0))},
    };
    int n = poll(fds, 3, timeout);
    if (n < 0 && errno != EINTR) {
        dash_note(&a->d, aapp_wall_ms(), "poll failed");
        a->done = true;
        return;
    }
    if (fds[1].revents)
        dl_signals(a);
    if (a->l->fd >= 0 && fds[2].revents)
        dl_socket(a, fds[2].revents);
    struct akey k;
    while (!a->done && aview_key(&a->v, &k))
        akeys_handle(a, &k);
    now = aapp_mono_ms();
    if (a->repaint_at != 0 && now >= a->repaint_at) {
        /* Once more a little later, for a log line the server's log
         * thread wrote late (it writes from a buffer of its own). */
        a->repaint_at = a->repaint_again ? now + REPAINT_LATE_MS : 0;
        a->repaint_again = false;
        aview_invalidate(&a->v);
    }
    if (a->l->fd < 0 && now >= a->retry_at)
        dl_retry(a);
    else if (a->l->fd >= 0 && a->d.at.state == ATTACH_CONNECTING && now >= a->greet_end)
        dl_gone(a, "no greeting");
    if (a->l->fd >= 0 && link_flush(a->l, a->err, sizeof(a->err)) < 0)
        dl_gone(a, a->err);
}

int dloop_run(const struct aopts *o, struct link *l)
{
    /* On the heap: the roster's two tables are large for a stack. */
    struct dloop *a = calloc(1, sizeof(*a));
    if (a == NULL) {
        fprintf(stderr, "sockchat-admin: out of memory\n");
        return EX_OSERR;
    }
    a->o = o;
    a->l = l;
    int rc = 0;
    if (dash_init(&a->d, EVLOG_DEFAULT_CAP) < 0) {
        fprintf(stderr, "sockchat-admin: out of memory for the event log\n");
        free(a);
        return EX_OSERR;
    }
    rc = aapp_greet(o, l, &a->d.at, on_server_line, a);
    if (rc == 0 && signals_start(a->err, sizeof(a->err)) < 0) {
        fprintf(stderr, "sockchat-admin: %s\n", a->err);
        rc = EX_OSERR;
    }
    if (rc == 0 && aview_open(&a->v, o->color, a->err, sizeof(a->err)) < 0) {
        fprintf(stderr, "sockchat-admin: %s\n", a->err);
        rc = EX_UNAVAILABLE;
    }
    if (rc == 0) {
        atexit(aview_close);
        char note[400];
        snprintf(note, sizeof(note), "socket %s; F1 for keys, q to detach", o->path);
        dash_note(&a->d, aapp_wall_ms(), note);
        while (!a->done)
            dl_turn(a);
        aview_close();
        if (a->d.at.state == ATTACH_GONE)
            fprintf(stderr, "sockchat-admin: detached from %s (the server was gone)\n", o->path);
        else
            fprintf(stderr, "sockchat-admin: detached from %s; the server keeps running\n",
                    o->path);
    }
    dash_free(&a->d);
    free(a);
    return rc;
}

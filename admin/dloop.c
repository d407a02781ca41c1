/* dloop: the dashboard's event loop.
 *
 * DESIGN: one thread. Every turn draws (only when something changed),
 * polls the terminal, the admin socket and a self-pipe the signal handlers
 * write to, with a timeout of the next re-attach attempt; then handles
 * what is ready. When the server goes away the screen stays as it was,
 * the status bar says so, and a new attach is tried every second: the
 * teacher restarts the server and the dashboard comes back by itself.
 * What a key does is decided here, what it changes is dash.h's. */
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

#include "aapp.h"
#include "acmd.h"
#include "aview.h"
#include "dash.h"
#include "text.h"

struct dloop {
    const struct aopts *o;
    struct link *l;
    struct dash d;
    struct aview v;
    long long retry_at;  /* monotonic ms of the next attach attempt, when gone */
    long long greet_end; /* monotonic ms by which the greeting must come */
    bool done;
    bool resized;
    char err[256];
};

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

static void dl_send(struct dloop *a, const char *cmd, bool hidden)
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
        dl_send(a, "subscribe", true);
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

static void dl_enter(struct dloop *a)
{
    char *line = editline_take(&a->d.ed);
    if (line == NULL)
        return;
    const char *s = line;
    while (*s == ' ')
        s++;
    if (*s) {
        /* `help`: the keys here, and the server's commands from it. */
        if (strcmp(s, "help") == 0 || strcmp(s, "/help") == 0)
            dash_help(&a->d, aapp_wall_ms());
        dl_send(a, s, false);
    }
    free(line);
}

static void dl_edit_key(struct dloop *a, const struct akey *k)
{
    struct editline *ed = &a->d.ed;
    switch (k->type) {
    case AK_CHAR: {
        char u[4];
        size_t n = text_encode(k->ch, u);
        editline_insert(ed, u, n);
        break;
    }
    case AK_BACKSPACE:
        editline_backspace(ed);
        break;
    case AK_DELETE:
        editline_delete(ed);
        break;
    case AK_LEFT:
        editline_left(ed);
        break;
    case AK_RIGHT:
        editline_right(ed);
        break;
    case AK_HOME:
        editline_home(ed);
        break;
    case AK_END:
        editline_end(ed);
        break;
    case AK_TAB:
        acmd_complete(ed, &a->d.roster);
        break;
    case AK_ENTER:
        dl_enter(a);
        break;
    case AK_ALT:
        if (k->ch == 'b')
            editline_word_left(ed);
        else if (k->ch == 'f')
            editline_word_right(ed);
        break;
    case AK_CTRL:
        switch (k->ch) {
        case 'a':
            editline_home(ed);
            break;
        case 'e':
            editline_end(ed);
            break;
        case 'b':
            editline_left(ed);
            break;
        case 'f':
            editline_right(ed);
            break;
        case 'w':
            editline_kill_word(ed);
            break;
        case 'u':
            editline_kill_start(ed);
            break;
        case 'k':
            editline_kill_end(ed);
            break;
        case 'p':
            editline_history_prev(ed);
            break;
        case 'n':
            editline_history_next(ed);
            break;
        case 'l':
            aview_invalidate(&a->v);
            break;
        case 'z':
            aview_suspend(&a->v);
            break;
        default:
            break;
        }
        break;
    default:
        break;
    }
}

static void dl_key(struct dloop *a, const struct akey *k)
{
    int64_t now = aapp_wall_ms();
    if (a->d.ask[0]) {
        char cmd[160];
        bool yes = k->type == AK_CHAR && (k->ch == 'y' || k->ch == 'Y');
        if (dash_answer(&a->d, yes, cmd, sizeof(cmd)))
            dl_send(a, cmd, false);
        else
            dash_note(&a->d, now, "not done");
        return;
    }
    if ((k->type == AK_CTRL && k->ch == 'c') ||
        (k->type == AK_CHAR && k->ch == 'q' && a->d.ed.len == 0)) {
        a->done = true;
        return;
    }
    size_t log_rows = aview_log_rows(&a->v, &a->d);
    long page = log_rows > 2 ? (long)log_rows - 1 : 1;
    switch (k->type) {
    case AK_F:
        if (k->ch == 1)
            dash_help(&a->d, now);
        else if (k->ch == 2)
            roster_sort_next(&a->d.roster);
        else if (k->ch == 8)
            dash_ask(&a->d, now, "kick");
        else if (k->ch == 9)
            dash_ask(&a->d, now, "mute");
        return;
    case AK_ALT:
        if (k->ch == 's')
            roster_sort_next(&a->d.roster);
        else if (k->ch == 'k')
            dash_ask(&a->d, now, "kick");
        else if (k->ch == 'm')
            dash_ask(&a->d, now, "mute");
        else
            dl_edit_key(a, k);
        return;
    case AK_UP:
        roster_select_move(&a->d.roster, -1);
        return;
    case AK_DOWN:
        roster_select_move(&a->d.roster, 1);
        return;
    case AK_PGUP:
        evlog_scroll(&a->d.log, page, log_rows);
        return;
    case AK_PGDN:
        evlog_scroll(&a->d.log, -page, log_rows);
        return;
    case AK_ESC:
        evlog_bottom(&a->d.log);
        return;
    default:
        dl_edit_key(a, k);
    }
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
        dl_key(a, &k);
    now = aapp_mono_ms();
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

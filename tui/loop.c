/* loop: the curses client's event loop (see loop.h).
 *
 * DESIGN: one thread. Every iteration polls the terminal, the socket and a
 * self-pipe that signal handlers write to, with a timeout from the nearest
 * timer; then it handles everything that is ready (draining the socket and
 * the key queue completely) and draws once. A burst of a thousand lines thus
 * costs one repaint, not a thousand.
 *
 * loop_run() reads as what it does: open, connect, turn (loop_turn: draw,
 * poll, signals, socket, keys, timers, write) until done, report what was
 * not acknowledged. What a key does is keys.c's, the connection conn.c's,
 * the password prompt prompt.c's, the chat itself the model's (chat.h). */
#undef _XOPEN_SOURCE /* ncursesw.pc may set 600 */
#define _XOPEN_SOURCE 700
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "app.h"

enum {
    QUIT_FLUSH_MS = 500,
};

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

long long loop_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void app_clock(struct app *a)
{
    a->now = loop_now_ms();
    chat_clock(&a->cl, a->now, (int64_t)time(NULL));
}

/* 16 hex digits from the kernel's random source, naming this process to
 * the server (SESSION): another client must not guess it, or it could make
 * the server drop our resent messages as duplicates. Without a random
 * source there is no token, and resends may show twice. */
static int session_token(char *out, size_t cap)
{
    unsigned char b[8];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, b, sizeof b);
    close(fd);
    if (n != (ssize_t)sizeof b || cap < 2 * sizeof b + 1)
        return -1;
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

void loop_wire_toggle(struct app *a)
{
    if (a->wire_on) {
        a->wire_on = false;
        a->wire_focus = false;
        a->net.wire = NULL; /* no more recording: no cost */
    } else if (wire_open(&a->wire) < 0) {
        chat_note(&a->cl, ENTRY_ERR, "wire view: out of memory");
        return;
    } else {
        a->wire_on = true;
        a->wire_scroll = 0;
        a->wire_seen = a->wire.total;
        a->net.wire = &a->wire;
    }
    view_show_wire(&a->view, a->wire_on);
}

static size_t wire_max_scroll(const struct app *a)
{
    size_t n = wire_count(&a->wire), rows = view_wire_rows(&a->view);
    return n > rows ? n - rows : 0;
}

void loop_wire_scroll(struct app *a, long rows)
{
    long s = (long)a->wire_scroll + rows;
    long max = (long)wire_max_scroll(a);
    a->wire_scroll = s < 0 ? 0 : s > max ? (size_t)max : (size_t)s;
}

void loop_act(struct app *a, enum chat_action act)
{
    switch (act) {
    case CHAT_QUIT:
        /* A second request (Ctrl-C twice) does not wait any more. */
        a->quit_deadline = a->quitting ? a->now : a->now + QUIT_FLUSH_MS;
        a->quitting = true;
        break;
    case CHAT_CONNECT: {
        /* command.c checked the list; a failure here is a bug, said so. */
        char err[300];
        if (addrlist_parse(&a->addrs, a->cl.connect_host, a->cl.connect_port, err, sizeof(err)) <
            0) {
            chat_note(&a->cl, ENTRY_ERR, err);
            (void)addrlist_parse(&a->addrs, a->host, a->port, err, sizeof(err));
            break;
        }
        snprintf(a->host, sizeof(a->host), "%s", a->cl.connect_host);
        snprintf(a->port, sizeof(a->port), "%s", a->cl.connect_port);
        conn_leave(a, "switching server");
        conn_name_server(a);
        net_backoff_reset(&a->net);
        conn_start(a);
        break;
    }
    case CHAT_RECONNECT: {
        conn_leave(a, "reconnecting");
        char note[400];
        snprintf(note, sizeof(note), "connecting to %s again", a->st.server);
        chat_note(&a->cl, ENTRY_LOCAL, note);
        net_backoff_reset(&a->net);
        conn_start(a);
        break;
    }
    case CHAT_RETRY_NOW:
        conn_retry_now(a);
        break;
    case CHAT_CLEAR:
        logview_bottom(&a->lv);
        a->seen_seq = a->log.next_seq - 1;
        break;
    case CHAT_ASK_PASTE:
        a->asking = true;
        snprintf(a->ask, sizeof(a->ask), "Send %zu pasted lines? (y/n)", a->cl.npaste);
        break;
    case CHAT_DISCONNECT:
        conn_drop(a, a->cl.drop_reason ? a->cl.drop_reason : "no answer from the server");
        break;
    case CHAT_GIVE_UP:
        /* The server refused the password: it would refuse it again, ever
         * more slowly. The status stays "failed: ..." until /connect. */
        net_close(&a->net);
        chat_on_disconnect(&a->cl, a->st.reason);
        a->retry_at = -1;
        a->st.state = CONN_FAILED;
        break;
    case CHAT_ASK_PASSWORD:
        /* As above, but a password typed now may get in. */
        net_close(&a->net);
        chat_on_disconnect(&a->cl, a->st.reason);
        a->retry_at = -1;
        a->st.state = CONN_FAILED;
        if (!a->quitting)
            prompt_password(a);
        break;
    case CHAT_WIRE:
        loop_wire_toggle(a);
        break;
    case CHAT_NONE:
    default:
        break;
    }
}

/* ---- the loop --------------------------------------------------------- */

/* Keeps the scroll position still for entries that arrived while scrolled
 * back, and mirrors the unread count into the status bar. */
static void account_new_entries(struct app *a)
{
    uint64_t last = a->log.next_seq - 1;
    size_t width = view_log_cols(&a->view);
    /* At the bottom nothing moves, so a flood costs no layout work here. */
    for (uint64_t seq = a->seen_seq + 1; a->lv.scroll > 0 && seq <= last; seq++) {
        struct entry *e = chatlog_find(&a->log, seq);
        if (e)
            logview_on_append(&a->lv, chatlog_rows(&a->log, e, width), e->mention);
    }
    a->seen_seq = last;
    a->st.unread = a->lv.unread;
    a->st.mentions = a->lv.mentions;
}

static int64_t next_timeout(struct app *a, size_t outlen)
{
    int64_t t = chat_next_timeout(&a->cl);
    /* --chunk: the next piece is due then; the loop sleeps in poll(),
     * never in between, so keys and the socket stay live. */
    if (outlen > 0 && a->net.fd >= 0 && !a->net.connecting) {
        int64_t w = net_write_wait(&a->net);
        if (w > 0 && w < t)
            t = w;
    }
    if (a->retry_at >= 0) {
        /* Wake on each second boundary to count the retry down. */
        int64_t d = (a->retry_at - a->now) % 1000;
        if (d <= 0)
            d = a->retry_at - a->now;
        if (d < t)
            t = d;
    }
    if (a->net.connecting && a->net.deadline_ms - a->now < t)
        t = a->net.deadline_ms - a->now;
    if (a->quitting && a->quit_deadline - a->now < t)
        t = a->quit_deadline - a->now;
    return t < 0 ? 0 : t;
}

static void on_timers(struct app *a)
{
    if (a->retry_at >= 0) {
        if (a->now >= a->retry_at)
            conn_start(a);
        else
            a->st.retry_in = (unsigned)((a->retry_at - a->now + 999) / 1000);
    }
    if (a->net.connecting && a->now >= a->net.deadline_ms)
        conn_on_socket(a, 0);
    loop_act(a, chat_tick(&a->cl));
    bool connected = a->st.state == CONN_CONNECTED;
    if (connected && !a->was_connected)
        net_backoff_reset(&a->net);
    a->was_connected = connected;
}

static int setup_signals(void)
{
    if (pipe(sig_pipe) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
        if (sigaction(sigs[i], &sa, NULL) < 0)
            return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void app_free(struct app *a)
{
    net_close(&a->net);
    tofu_free(&a->tofu);
    wire_free(&a->wire);
    chat_free(&a->cl);
    secret_clear(&a->pw.text);
    editline_free(&a->ed);
    chatlog_free(&a->log);
    free(a->paste);
}

/* Everything but the terminal: the model, its password and session token,
 * the signals. Returns EX_OK or a sysexits code after saying what failed. */
static int app_open(struct app *a, const struct client_opts *opt)
{
    memset(a, 0, sizeof(*a));
    a->opt = *opt;
    a->retry_at = -1;
    snprintf(a->host, sizeof(a->host), "%s", opt->host);
    snprintf(a->port, sizeof(a->port), "%s", opt->port);
    char err[300];
    if (addrlist_parse(&a->addrs, a->host, a->port, err, sizeof(err)) < 0) {
        fprintf(stderr, "sockchat: %s\n", err);
        return EX_USAGE;
    }
    if (chatlog_init(&a->log, CHATLOG_DEFAULT_CAP) < 0) {
        fprintf(stderr, "sockchat: chatlog: out of memory\n");
        return EX_OSERR;
    }
    status_init(&a->st);
    editline_init(&a->ed);
    chat_init(&a->cl, &a->log, &a->st, opt->nick);
    a->cl.restricted = opt->restricted;
    a->cl.bell = opt->bell;
    if (opt->password && chat_set_password(&a->cl, opt->password, opt->host, opt->port) < 0) {
        fprintf(stderr, "sockchat: password: longer than %d bytes\n", CHAT_PASSWORD_MAX);
        app_free(a);
        return EX_USAGE;
    }
    char token[17];
    if (session_token(token, sizeof token) == 0)
        chat_set_session(&a->cl, token);
    net_init(&a->net);
    if (tofu_init(&a->tofu, opt, err, sizeof(err)) < 0) {
        fprintf(stderr, "sockchat: %s\n", err);
        app_free(a);
        return EX_NOINPUT;
    }
    a->net.chunk = opt->chunk;
    a->net.chunk_ms = opt->chunk_ms;
    a->net.nodelay = opt->nodelay;
    conn_name_server(a);
    if (setup_signals() < 0) {
        fprintf(stderr, "sockchat: signals: %s\n", strerror(errno));
        app_free(a);
        return EX_OSERR;
    }
    return EX_OK;
}

/* A wire pane scrolled back keeps its rows still while calls arrive, as
 * the log does. */
static void account_new_calls(struct app *a)
{
    uint64_t added = a->wire.total - a->wire_seen;
    if (a->wire_scroll > 0)
        loop_wire_scroll(a, (long)added);
    a->wire_seen = a->wire.total;
}

static void draw(struct app *a)
{
    account_new_entries(a);
    account_new_calls(a);
    struct screen scr = {&a->log,
                         &a->lv,
                         &a->st,
                         &a->ed,
                         a->asking ? a->ask : NULL,
                         0,
                         a->wire_on ? &a->wire : NULL,
                         a->wire_scroll,
                         a->wire_focus};
    if (a->pw.active) {
        scr.ask = a->pw.shown;
        scr.ask_version = a->pw.version;
    }
    if (a->trust.active) {
        scr.ask = a->trust.shown;
        scr.ask_version = a->trust.version;
    }
    view_draw(&a->view, &scr);
    /* Once for everything that rang since the last turn: a burst of
     * mentions is one bell, not a roll of them. */
    if (a->cl.bells > 0) {
        view_bell();
        a->cl.bells = 0;
    }
}

/* Leave politely: send what is queued (the /quit), half-close, and wait
 * briefly for the server to close, so it sees a quit rather than a reset.
 * Returns false when the loop is done. */
static bool quit_step(struct app *a, size_t outlen)
{
    if (!a->quitting)
        return true;
    if (a->net.fd < 0 || a->net.connecting || a->now >= a->quit_deadline)
        return false;
    if (outlen == 0 && !a->quit_shut) {
        net_shutdown_write(&a->net);
        a->quit_shut = true;
    }
    return true;
}

static void on_signals(struct app *a)
{
    unsigned char sigs[16];
    ssize_t n = read(sig_pipe[0], sigs, sizeof(sigs));
    for (ssize_t i = 0; i < n; i++) {
        if (sigs[i] == SIGWINCH) {
            view_resize(&a->view);
        } else {
            /* SIGINT, SIGTERM, SIGHUP: leave cleanly. */
            loop_act(a, chat_submit(&a->cl, "/quit"));
            if (sigs[i] == SIGHUP)
                a->quit_deadline = a->now; /* the terminal is gone */
        }
    }
}

/* One key of look-ahead tells a burst (a paste) from typing. Bounded: a
 * paste of a megabyte is still read in one turn. */
static void on_keys(struct app *a)
{
    struct tkey k, next = {TK_NONE, 0};
    bool have = view_key(&a->view, &k);
    for (int i = 0; have; i++) {
        bool more = i + 1 < PASTE_MAX && view_key(&a->view, &next);
        a->burst = more;
        keys_handle(a, &k);
        k = next;
        have = more;
    }
    a->burst = false;
}

/* One turn: draw, wait for the terminal, a signal, the socket or a timer,
 * and handle what came. Returns false when the loop is done. */
static bool loop_turn(struct app *a)
{
    app_clock(a);
    draw(a);
    size_t outlen;
    chat_output(&a->cl, &outlen);
    if (!quit_step(a, outlen))
        return false;

    /* While the user is asked whether to trust the server, the socket
     * waits (trustask.c). */
    struct pollfd pfd[3] = {
        {.fd = STDIN_FILENO, .events = POLLIN},
        {.fd = sig_pipe[0], .events = POLLIN},
        {.fd = a->trust.active ? -1 : a->net.fd, .events = 0},
    };
    if (pfd[2].fd >= 0)
        pfd[2].events =
            net_poll_events(&a->net, outlen && !a->quit_shut && net_write_wait(&a->net) == 0);
    /* TLS may hold decrypted bytes the socket will not wake us for. */
    bool pending = pfd[2].fd >= 0 && net_pending(&a->net);
    int rc = poll(pfd, 3, pending ? 0 : (int)next_timeout(a, outlen));
    if (rc < 0 && errno != EINTR) {
        view_close();
        fprintf(stderr, "sockchat: poll: %s\n", strerror(errno));
        a->exit_code = EX_OSERR;
        return false;
    }
    app_clock(a);

    if (rc > 0 && (pfd[1].revents & POLLIN))
        on_signals(a);
    if ((rc > 0 && pfd[2].revents && a->net.fd >= 0) || (pending && a->net.fd >= 0))
        conn_on_socket(a, (short)(pfd[2].revents | (pending ? POLLIN : 0)));
    if (rc > 0 && (pfd[0].revents & POLLIN))
        on_keys(a);
    /* The terminal is gone (ssh dropped, tmux killed). A hung-up tty
     * polls as POLLIN|POLLHUP and reads 0 bytes, and SIGHUP need not
     * reach us (a shell that traps it may be the session leader), so
     * POLLHUP itself must end the client, after the keys still queued
     * were read; otherwise we would spin on it forever. */
    if (rc > 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
        loop_act(a, chat_submit(&a->cl, "/quit"));
        a->quit_deadline = a->now;
    }
    on_timers(a);
    conn_flush(a);
    return true;
}

/* Never lose a message silently: what the server did not take is printed
 * where the user will see it, on the restored terminal. */
static void report_unacknowledged(struct app *a)
{
    if (a->cl.npend == 0)
        return;
    fprintf(stderr, "sockchat: %zu message%s not acknowledged (%s may not have arrived):\n",
            a->cl.npend, a->cl.npend == 1 ? " was" : "s were", a->cl.npend == 1 ? "it" : "they");
    for (size_t i = 0; i < a->cl.npend; i++) {
        struct entry *e = chatlog_find(&a->log, a->cl.pend[i].seq);
        fprintf(stderr, "  %s\n", e ? e->text : a->cl.pend[i].wire);
    }
}

int loop_run(const struct client_opts *opt)
{
    static struct app app; /* too big for the stack */
    struct app *a = &app;
    char err[200];

    int rc = app_open(a, opt);
    if (rc != EX_OK)
        return rc;
    if (view_open(&a->view, opt->color, opt->mouse, err, sizeof(err)) < 0) {
        fprintf(stderr, "sockchat: %s\n", err);
        app_free(a);
        return EX_UNAVAILABLE;
    }
    atexit(view_close); /* any exit() restores the terminal */

    app_clock(a);
    chat_note(&a->cl, ENTRY_LOCAL, "sockchat " SOCKCHAT_VERSION ": /help for keys and commands");
    if (opt->wire)
        loop_wire_toggle(a); /* before connecting: the greeting is on the wire too */
    conn_start(a);
    while (loop_turn(a))
        ;
    view_close();
    report_unacknowledged(a);
    app_free(a);
    return a->exit_code;
}

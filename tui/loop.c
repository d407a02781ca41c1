/* loop: the curses client's event loop (see loop.h).
 *
 * DESIGN: one thread. Every iteration polls the terminal, the socket and a
 * self-pipe that signal handlers write to, with a timeout from the nearest
 * timer; then it handles everything that is ready (draining the socket and
 * the key queue completely) and draws once. A burst of a thousand lines thus
 * costs one repaint, not a thousand. */
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

#include "chatlog.h"
#include "client.h"
#include "editline.h"
#include "net.h"
#include "secret.h"
#include "status.h"
#include "text.h"
#include "view.h"

enum {
    LOOP_READ_CHUNK = 65536,
    READS_PER_TURN = 32, /* then draw, so a flood cannot freeze the screen */
    PASTE_MAX = 1 << 20,
    QUIT_FLUSH_MS = 500,
};

struct app {
    struct options opt;
    char host[256];
    char port[16];
    struct chatlog log;
    struct logview lv;
    struct status st;
    struct editline ed;
    struct client cl;
    struct net net;
    struct view view;
    int64_t now;
    int64_t retry_at;  /* -1: no retry scheduled */
    uint64_t seen_seq; /* log entries already accounted in the scroll */
    bool was_connected;
    bool quitting;
    bool quit_shut; /* our side is half-closed */
    int64_t quit_deadline;
    int exit_code;
    /* Bracketed paste being received. */
    bool in_paste;
    char *paste;
    size_t paste_len, paste_cap;
    bool paste_cut; /* bytes past PASTE_MAX were dropped */
    bool line_full; /* the edit line is full and the user was told */
    /* More keys were already waiting behind the one being handled: a
     * paste in a terminal without bracketed paste, most likely. */
    bool burst;
    /* A big paste waiting for y/n. */
    char ask[128];
    bool asking;
    /* The password prompt, after the server asked for one (ERR auth). */
    struct {
        bool active;
        bool in_paste;      /* a newline in a pasted password is not Enter */
        struct secret text; /* never shown, never in the edit line's history */
        char shown[400];    /* "Password for HOST:PORT: ****" */
        unsigned version;   /* bumped as shown changes, for the redraw */
    } pw;
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
    client_clock(&a->cl, a->now, (int64_t)time(NULL));
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

static void set_server_text(struct app *a)
{
    /* An IPv6 literal gets brackets so its port stays readable. */
    if (strchr(a->host, ':'))
        snprintf(a->st.server, sizeof(a->st.server), "[%s]:%s", a->host, a->port);
    else
        snprintf(a->st.server, sizeof(a->st.server), "%s:%s", a->host, a->port);
}

static void schedule_retry(struct app *a, const char *reason)
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
    char note[700];
    snprintf(note, sizeof(note), "%s: %s; retrying in %u s", a->st.server, reason, d);
    client_note(&a->cl, ENTRY_LOCAL, note);
}

/* rc -2: retrying is pointless (no such name or service); -1: retry later. */
static void connect_failed(struct app *a, int rc, const char *err)
{
    if (rc == -2) {
        a->st.state = CONN_FAILED;
        status_set_reason(&a->st, err);
        client_note(&a->cl, ENTRY_ERR, err);
        return;
    }
    schedule_retry(a, err);
}

static void start_connect(struct app *a)
{
    char err[200];
    a->retry_at = -1;
    a->st.state = CONN_CONNECTING;
    client_set_server(&a->cl, a->host, a->port); /* whose password the HELLO may carry */
    int rc = net_start(&a->net, a->host, a->port, a->now, err, sizeof(err));
    if (rc < 0) {
        connect_failed(a, rc, err);
        return;
    }
    if (!a->net.connecting)
        client_on_connect(&a->cl);
}

static void drop_connection(struct app *a, const char *reason)
{
    net_close(&a->net);
    if (a->quitting)
        return; /* the end we asked for: no reconnecting */
    client_on_disconnect(&a->cl, reason);
    if (a->cl.refused) {
        /* What it said before closing shows no chat server: the client
         * said so; the status stays "failed" until /reconnect or /connect. */
        a->retry_at = -1;
        a->st.state = CONN_FAILED;
        return;
    }
    schedule_retry(a, reason);
}

static void flush_output(struct app *a);
static void password_ask(struct app *a);

/* Leaves the current connection on the user's word (/connect, /reconnect):
 * the goodbye client_submit queued goes out if it fits now. */
static void leave_connection(struct app *a, const char *reason)
{
    if (a->net.fd < 0)
        return;
    flush_output(a);
    net_close(&a->net);
    client_on_disconnect(&a->cl, reason);
}

/* The user acted (typed a message) while offline. A retry waiting out its
 * backoff, up to 30 s, starts now: the server may well be back, and the
 * user is looking. The backoff goes on growing if it is not. After a
 * refusal (kicked, wrong password, not a chat server) nothing is retried
 * by itself; the message waits, and the user is told how to go on. */
static void retry_now(struct app *a)
{
    if (a->retry_at >= 0 && a->cl.auth_wait_s > 0) {
        /* The server said when it will judge a password from us again:
         * an earlier try would only be turned away. */
        char note[120];
        snprintf(note, sizeof(note), "the server asked to wait; trying again in %u s",
                 a->st.retry_in);
        client_note(&a->cl, ENTRY_LOCAL, note);
    } else if (a->retry_at >= 0) {
        start_connect(a);
    } else if (a->st.state == CONN_FAILED && a->net.fd < 0) {
        char note[300];
        snprintf(note, sizeof(note),
                 "not connected (%s); /reconnect tries again, /connect HOST [PORT] goes "
                 "elsewhere",
                 a->st.reason[0] ? a->st.reason : "failed");
        client_note(&a->cl, ENTRY_LOCAL, note);
    }
}

static void do_action(struct app *a, enum client_action act)
{
    switch (act) {
    case CLIENT_QUIT:
        /* A second request (Ctrl-C twice) does not wait any more. */
        a->quit_deadline = a->quitting ? a->now : a->now + QUIT_FLUSH_MS;
        a->quitting = true;
        break;
    case CLIENT_CONNECT:
        snprintf(a->host, sizeof(a->host), "%s", a->cl.connect_host);
        snprintf(a->port, sizeof(a->port), "%s", a->cl.connect_port);
        leave_connection(a, "switching server");
        set_server_text(a);
        net_backoff_reset(&a->net);
        start_connect(a);
        break;
    case CLIENT_RECONNECT: {
        leave_connection(a, "reconnecting");
        char note[400];
        snprintf(note, sizeof(note), "connecting to %s again", a->st.server);
        client_note(&a->cl, ENTRY_LOCAL, note);
        net_backoff_reset(&a->net);
        start_connect(a);
        break;
    }
    case CLIENT_RETRY_NOW:
        retry_now(a);
        break;
    case CLIENT_CLEAR:
        logview_bottom(&a->lv);
        a->seen_seq = a->log.next_seq - 1;
        break;
    case CLIENT_ASK_PASTE:
        a->asking = true;
        snprintf(a->ask, sizeof(a->ask), "Send %zu pasted lines? (y/n)", a->cl.npaste);
        break;
    case CLIENT_DISCONNECT:
        drop_connection(a, a->cl.drop_reason ? a->cl.drop_reason : "no answer from the server");
        break;
    case CLIENT_GIVE_UP:
        /* The server refused the password: it would refuse it again, ever
         * more slowly. The status stays "failed: ..." until /connect. */
        net_close(&a->net);
        client_on_disconnect(&a->cl, a->st.reason);
        a->retry_at = -1;
        a->st.state = CONN_FAILED;
        break;
    case CLIENT_ASK_PASSWORD:
        /* As above, but a password typed now may get in. */
        net_close(&a->net);
        client_on_disconnect(&a->cl, a->st.reason);
        a->retry_at = -1;
        a->st.state = CONN_FAILED;
        if (!a->quitting)
            password_ask(a);
        break;
    case CLIENT_NONE:
    default:
        break;
    }
}

static void on_socket(struct app *a, short revents)
{
    char err[200];
    if (a->net.connecting) {
        bool timed_out = !(revents & (POLLIN | POLLOUT | POLLERR | POLLHUP));
        int rc = net_finish(&a->net, a->now, timed_out, err, sizeof(err));
        if (rc == 1)
            client_on_connect(&a->cl);
        else if (rc < 0)
            connect_failed(a, rc, err);
        return;
    }
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        static char buf[LOOP_READ_CHUNK];
        for (int i = 0; i < READS_PER_TURN; i++) {
            ssize_t r = net_read(&a->net, buf, sizeof(buf));
            if (r > 0) {
                do_action(a, client_on_bytes(&a->cl, buf, (size_t)r));
                if (a->net.fd < 0)
                    return;
                continue;
            }
            if (r == 0) {
                drop_connection(a, "connection closed by the server");
                return;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            snprintf(err, sizeof(err), "read: %s", strerror(errno));
            drop_connection(a, err);
            return;
        }
    }
}

static void flush_output(struct app *a)
{
    size_t len;
    const char *out = client_output(&a->cl, &len);
    if (a->net.fd < 0 || a->net.connecting || len == 0)
        return;
    ssize_t w = net_write(&a->net, out, len);
    if (w > 0) {
        client_consume(&a->cl, (size_t)w);
    } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        char err[200];
        snprintf(err, sizeof(err), "send: %s", strerror(errno));
        drop_connection(a, err);
    }
}

/* ---- the password prompt ---------------------------------------------- */

/* The server wants a password we do not have (or refused ours): it is
 * typed on the input line, shown as stars, and goes from there to the
 * model (client_set_typed_password) for this server only. It never enters
 * the edit line, so never its history, and is wiped as soon as it is
 * handed over or the prompt is cancelled. */

static void password_show(struct app *a)
{
    char stars[33];
    size_t n = secret_chars(&a->pw.text);
    n = n < sizeof(stars) - 1 ? n : sizeof(stars) - 1;
    memset(stars, '*', n);
    stars[n] = '\0';
    snprintf(a->pw.shown, sizeof(a->pw.shown), "Password for %s: %s", a->st.server, stars);
    a->pw.version++;
}

static void password_ask(struct app *a)
{
    bool wrong = strcmp(a->st.reason, "wrong password") == 0;
    char note[400];
    snprintf(note, sizeof(note),
             "%s %s: type it below (it is not shown); Enter connects, Esc cancels",
             wrong ? "wrong password for" : "a password is needed for", a->st.server);
    client_note(&a->cl, ENTRY_LOCAL, note);
    a->pw.active = true;
    a->pw.in_paste = false;
    secret_clear(&a->pw.text);
    password_show(a);
}

static void password_end(struct app *a)
{
    secret_clear(&a->pw.text);
    a->pw.active = false;
    a->pw.in_paste = false;
    a->pw.version++;
}

static void password_submit(struct app *a)
{
    if (a->pw.text.len == 0)
        return; /* nothing typed yet: an empty password is no answer */
    int rc = client_set_typed_password(&a->cl, a->pw.text.buf);
    password_end(a);
    if (rc < 0) {
        client_note(&a->cl, ENTRY_ERR, "password: too long; not sent");
        return;
    }
    net_backoff_reset(&a->net);
    start_connect(a);
}

static void password_cancel(struct app *a)
{
    password_end(a);
    char note[400];
    snprintf(note, sizeof(note), "no password given: not connected (/connect %s %s tries again)",
             a->host, a->port);
    client_note(&a->cl, ENTRY_LOCAL, note);
}

static void password_key(struct app *a, const struct tkey *k)
{
    char u[4];
    switch (k->type) {
    case TK_CHAR:
        secret_insert(&a->pw.text, u, text_encode(k->ch, u)); /* full: the rest is dropped */
        break;
    case TK_BACKSPACE:
        secret_backspace(&a->pw.text);
        break;
    case TK_PASTE_BEGIN:
        a->pw.in_paste = true;
        break;
    case TK_PASTE_END:
        a->pw.in_paste = false;
        break;
    case TK_ENTER:
        if (!a->pw.in_paste)
            password_submit(a);
        return;
    case TK_ESC:
        password_cancel(a);
        return;
    case TK_CTRL:
        if (k->ch == 'j' && !a->pw.in_paste)
            password_submit(a);
        else if (k->ch == 'c' || (k->ch == 'd' && a->pw.text.len == 0))
            password_cancel(a);
        else if (k->ch == 'u')
            secret_clear(&a->pw.text);
        else if (k->ch == 'l')
            view_invalidate(&a->view);
        else if (k->ch == 'z')
            view_suspend(&a->view);
        if (!a->pw.active)
            return;
        break;
    default:
        break; /* no history, no completion, no editing keys */
    }
    password_show(a);
}

/* ---- keys ------------------------------------------------------------- */

/* Pastes. With bracketed paste (view.c turns it on) the terminal marks a
 * paste, and its lines become chat messages, never commands. A terminal
 * without it sends a paste as plain keys, which cannot be told from fast
 * typing: every line is then submitted as typed, so a pasted "/quit" or
 * "exit" does quit. That is left as it is (guessing from timing would turn
 * a quickly typed command into chat); only a Tab inside such a burst is
 * taken as text (see TK_TAB), and a line longer than the input line is
 * reported rather than cut in silence. */

static void paste_add(struct app *a, const char *s, size_t n)
{
    if (a->paste_len + n > PASTE_MAX) {
        a->paste_cut = true;
        return;
    }
    if (a->paste_len + n + 1 > a->paste_cap) {
        size_t cap = a->paste_cap ? a->paste_cap * 2 : 4096;
        char *p = realloc(a->paste, cap);
        if (!p) {
            a->paste_cut = true;
            return;
        }
        a->paste = p;
        a->paste_cap = cap;
    }
    memcpy(a->paste + a->paste_len, s, n);
    a->paste_len += n;
}

static void paste_end(struct app *a)
{
    a->in_paste = false;
    if (a->paste_cut)
        client_note(&a->cl, ENTRY_ERR, "paste: only its first MiB was kept");
    a->paste_cut = false;
    if (a->paste_len == 0)
        return;
    bool one_line = !memchr(a->paste, '\n', a->paste_len);
    /* One line that fits the edit line: just typing, fast. */
    if (!one_line || !editline_insert(&a->ed, a->paste, a->paste_len)) {
        /* Several lines, or one too long to edit: sent as chat messages.
         * The text around the cursor belongs to the paste's first and last
         * lines. A long line is cut into several messages, which the user
         * did not ask for by pasting: so it always asks first. */
        size_t before = a->ed.cur, after = a->ed.len - a->ed.cur;
        char *all = malloc(before + a->paste_len + after + 1);
        if (all) {
            memcpy(all, a->ed.buf, before);
            memcpy(all + before, a->paste, a->paste_len);
            memcpy(all + before + a->paste_len, a->ed.buf + a->ed.cur, after);
            editline_clear(&a->ed);
            enum client_action act =
                client_paste(&a->cl, all, before + a->paste_len + after, one_line);
            free(all);
            if (act == CLIENT_ASK_PASTE && one_line) {
                a->asking = true;
                snprintf(a->ask, sizeof(a->ask), "Long paste: send as %zu messages? (y/n)",
                         a->cl.npaste);
            } else {
                do_action(a, act);
            }
        } else {
            client_note(&a->cl, ENTRY_ERR, "paste: out of memory; not pasted");
        }
    }
    a->paste_len = 0;
}

static void scroll_by(struct app *a, long rows)
{
    logview_scroll(&a->lv, &a->log, rows, view_log_cols(&a->view), view_log_rows(&a->view));
}

static void on_key(struct app *a, const struct tkey *k)
{
    char u[4];
    long page = (long)view_log_rows(&a->view) - 1;
    if (page < 1)
        page = 1;

    /* A paste under way when the prompt came is chat: it goes on there. */
    if (a->pw.active && !a->in_paste) {
        password_key(a, k);
        return;
    }
    if (a->in_paste) {
        if (k->type == TK_PASTE_END)
            paste_end(a);
        else if (k->type == TK_CHAR)
            paste_add(a, u, text_encode(k->ch, u));
        else if (k->type == TK_ENTER || (k->type == TK_CTRL && k->ch == 'j'))
            paste_add(a, "\n", 1);
        else if (k->type == TK_TAB)
            paste_add(a, " ", 1);
        return;
    }
    if (a->asking) {
        if (k->type == TK_CHAR && (k->ch == 'y' || k->ch == 'Y')) {
            a->asking = false;
            client_paste_answer(&a->cl, true);
            if (!a->cl.online && a->cl.npend > 0)
                retry_now(a); /* the pasted lines wait for a connection */
        } else if ((k->type == TK_CHAR && (k->ch == 'n' || k->ch == 'N')) || k->type == TK_ESC ||
                   (k->type == TK_CTRL && k->ch == 'c')) {
            a->asking = false;
            client_paste_answer(&a->cl, false);
        }
        return;
    }
    switch (k->type) {
    case TK_CHAR:
        /* Typed (or pasted without bracketed paste) past the limit: say so
         * once per line rather than drop characters in silence. */
        if (!editline_insert(&a->ed, u, text_encode(k->ch, u)) && !a->line_full) {
            a->line_full = true;
            client_note(&a->cl, ENTRY_ERR, "the input line is full: the rest was not typed");
        }
        break;
    case TK_ENTER: {
        a->line_full = false;
        char *line = editline_take(&a->ed);
        if (line) {
            do_action(a, client_submit(&a->cl, line));
            free(line);
        }
        logview_bottom(&a->lv); /* what was typed is at the bottom */
        break;
    }
    case TK_TAB: {
        /* Without bracketed paste a pasted tab arrives as the Tab key;
         * completing there would drop it, or worse put a nick into the
         * text. A person waits for the completion before typing on, so a
         * Tab with keys behind it is text, as in a bracketed paste. */
        if (a->burst) {
            editline_insert(&a->ed, " ", 1);
            break;
        }
        const char *cands[CLIENT_NICKS_MAX + 32];
        size_t n = client_completions(&a->cl, cands, sizeof(cands) / sizeof(*cands));
        editline_complete(&a->ed, cands, n);
        break;
    }
    case TK_BACKSPACE:
        editline_backspace(&a->ed);
        break;
    case TK_DELETE:
        editline_delete(&a->ed);
        break;
    case TK_LEFT:
        editline_left(&a->ed);
        break;
    case TK_RIGHT:
        editline_right(&a->ed);
        break;
    case TK_UP:
        editline_history_prev(&a->ed);
        break;
    case TK_DOWN:
        editline_history_next(&a->ed);
        break;
    case TK_HOME:
        /* On an empty line Home/End scroll the log; otherwise they edit. */
        if (a->ed.len == 0)
            logview_top(&a->lv, &a->log, view_log_cols(&a->view), view_log_rows(&a->view));
        else
            editline_home(&a->ed);
        break;
    case TK_END:
        if (a->ed.len == 0)
            logview_bottom(&a->lv);
        else
            editline_end(&a->ed);
        break;
    case TK_TOP:
        logview_top(&a->lv, &a->log, view_log_cols(&a->view), view_log_rows(&a->view));
        break;
    case TK_BOTTOM:
        logview_bottom(&a->lv);
        break;
    case TK_PGUP:
        scroll_by(a, page);
        break;
    case TK_PGDN:
        scroll_by(a, -page);
        break;
    case TK_WHEEL_UP:
        scroll_by(a, 3);
        break;
    case TK_WHEEL_DOWN:
        scroll_by(a, -3);
        break;
    case TK_PASTE_BEGIN:
        a->in_paste = true;
        a->paste_len = 0;
        a->paste_cut = false;
        break;
    case TK_ALT:
        if (k->ch == 'b' || k->ch == 'B')
            editline_word_left(&a->ed);
        else if (k->ch == 'f' || k->ch == 'F')
            editline_word_right(&a->ed);
        break;
    case TK_CTRL:
        switch (k->ch) {
        case 'a':
            editline_home(&a->ed);
            break;
        case 'e':
            editline_end(&a->ed);
            break;
        case 'b':
            editline_left(&a->ed);
            break;
        case 'f':
            editline_right(&a->ed);
            break;
        case 'w':
            editline_kill_word(&a->ed);
            break;
        case 'u':
            editline_kill_start(&a->ed);
            break;
        case 'k':
            editline_kill_end(&a->ed);
            break;
        case 'p':
            editline_history_prev(&a->ed);
            break;
        case 'n':
            editline_history_next(&a->ed);
            break;
        case 'l':
            view_invalidate(&a->view);
            break;
        case 'z':
            view_suspend(&a->view);
            break;
        case 'j': {
            struct tkey enter = {TK_ENTER, 0};
            on_key(a, &enter);
            break;
        }
        case 'c':
            do_action(a, client_submit(&a->cl, "/quit"));
            break;
        case 'd':
            if (a->ed.len == 0)
                do_action(a, client_submit(&a->cl, "/quit"));
            else
                editline_delete(&a->ed);
            break;
        default:
            break;
        }
        break;
    case TK_RESIZE:
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
            logview_on_append(&a->lv, chatlog_rows(&a->log, e, width));
    }
    a->seen_seq = last;
    a->st.unread = a->lv.unread;
}

static int64_t next_timeout(struct app *a)
{
    int64_t t = client_next_timeout(&a->cl);
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
            start_connect(a);
        else
            a->st.retry_in = (unsigned)((a->retry_at - a->now + 999) / 1000);
    }
    if (a->net.connecting && a->now >= a->net.deadline_ms)
        on_socket(a, 0);
    do_action(a, client_tick(&a->cl));
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
    client_free(&a->cl);
    secret_clear(&a->pw.text);
    editline_free(&a->ed);
    chatlog_free(&a->log);
    free(a->paste);
}

int loop_run(const struct options *opt)
{
    static struct app app;
    struct app *a = &app;
    char err[200];

    memset(a, 0, sizeof(*a));
    a->opt = *opt;
    a->retry_at = -1;
    snprintf(a->host, sizeof(a->host), "%s", opt->host);
    snprintf(a->port, sizeof(a->port), "%s", opt->port);
    if (chatlog_init(&a->log, CHATLOG_DEFAULT_CAP) < 0) {
        fprintf(stderr, "sockchat: chatlog: out of memory\n");
        return EX_OSERR;
    }
    status_init(&a->st);
    editline_init(&a->ed);
    client_init(&a->cl, &a->log, &a->st, opt->nick);
    if (opt->password && client_set_password(&a->cl, opt->password, opt->host, opt->port) < 0) {
        fprintf(stderr, "sockchat: password: longer than %d bytes\n", CLIENT_PASSWORD_MAX);
        app_free(a);
        return EX_USAGE;
    }
    char token[17];
    if (session_token(token, sizeof token) == 0)
        client_set_session(&a->cl, token);
    net_init(&a->net);
    set_server_text(a);
    if (setup_signals() < 0) {
        fprintf(stderr, "sockchat: signals: %s\n", strerror(errno));
        app_free(a);
        return EX_OSERR;
    }
    if (view_open(&a->view, opt->color, opt->mouse, err, sizeof(err)) < 0) {
        fprintf(stderr, "sockchat: %s\n", err);
        app_free(a);
        return EX_UNAVAILABLE;
    }
    atexit(view_close); /* any exit() restores the terminal */

    app_clock(a);
    client_note(&a->cl, ENTRY_LOCAL, "sockchat " SOCKCHAT_VERSION ": /help for keys and commands");
    start_connect(a);

    for (;;) {
        app_clock(a);
        account_new_entries(a);
        struct screen scr = {&a->log, &a->lv, &a->st, &a->ed, a->asking ? a->ask : NULL, 0};
        if (a->pw.active) {
            scr.ask = a->pw.shown;
            scr.ask_version = a->pw.version;
        }
        view_draw(&a->view, &scr);

        size_t outlen;
        client_output(&a->cl, &outlen);
        if (a->quitting) {
            /* Leave politely: send what is queued (the /quit), half-close,
             * and wait briefly for the server to close, so it sees a quit
             * rather than a reset. */
            if (a->net.fd < 0 || a->net.connecting || a->now >= a->quit_deadline)
                break;
            if (outlen == 0 && !a->quit_shut) {
                net_shutdown_write(&a->net);
                a->quit_shut = true;
            }
        }

        struct pollfd pfd[3] = {
            {.fd = STDIN_FILENO, .events = POLLIN},
            {.fd = sig_pipe[0], .events = POLLIN},
            {.fd = a->net.fd, .events = 0},
        };
        if (a->net.fd >= 0)
            pfd[2].events = net_poll_events(&a->net, outlen && !a->quit_shut);
        int rc = poll(pfd, 3, (int)next_timeout(a));
        if (rc < 0 && errno != EINTR) {
            view_close();
            fprintf(stderr, "sockchat: poll: %s\n", strerror(errno));
            a->exit_code = EX_OSERR;
            break;
        }
        app_clock(a);

        if (rc > 0 && (pfd[1].revents & POLLIN)) {
            unsigned char sigs[16];
            ssize_t n = read(sig_pipe[0], sigs, sizeof(sigs));
            for (ssize_t i = 0; i < n; i++) {
                if (sigs[i] == SIGWINCH) {
                    view_resize(&a->view);
                } else {
                    /* SIGINT, SIGTERM, SIGHUP: leave cleanly. */
                    do_action(a, client_submit(&a->cl, "/quit"));
                    if (sigs[i] == SIGHUP)
                        a->quit_deadline = a->now; /* the terminal is gone */
                }
            }
        }
        if (rc > 0 && pfd[2].revents && a->net.fd >= 0)
            on_socket(a, pfd[2].revents);
        if (rc > 0 && (pfd[0].revents & POLLIN)) {
            /* One key of look-ahead tells a burst (a paste) from typing.
             * Bounded: a paste of a megabyte is still read in one turn. */
            struct tkey k, next = {TK_NONE, 0};
            bool have = view_key(&a->view, &k);
            for (int i = 0; have; i++) {
                bool more = i + 1 < PASTE_MAX && view_key(&a->view, &next);
                a->burst = more;
                on_key(a, &k);
                k = next;
                have = more;
            }
            a->burst = false;
        }
        /* The terminal is gone (ssh dropped, tmux killed). A hung-up tty
         * polls as POLLIN|POLLHUP and reads 0 bytes, and SIGHUP need not
         * reach us (a shell that traps it may be the session leader), so
         * POLLHUP itself must end the client, after the keys still queued
         * were read; otherwise we would spin on it forever. */
        if (rc > 0 && (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
            do_action(a, client_submit(&a->cl, "/quit"));
            a->quit_deadline = a->now;
        }
        on_timers(a);
        flush_output(a);
    }
    view_close();
    /* Never lose a message silently: what the server did not take is
     * printed where the user will see it, on the restored terminal. */
    if (a->cl.npend > 0) {
        fprintf(stderr, "sockchat: %zu message%s not acknowledged (%s may not have arrived):\n",
                a->cl.npend, a->cl.npend == 1 ? " was" : "s were",
                a->cl.npend == 1 ? "it" : "they");
        for (size_t i = 0; i < a->cl.npend; i++) {
            struct entry *e = chatlog_find(&a->log, a->cl.pend[i].seq);
            fprintf(stderr, "  %s\n", e ? e->text : a->cl.pend[i].wire);
        }
    }
    app_free(a);
    return a->exit_code;
}

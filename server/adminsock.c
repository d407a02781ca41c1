/* adminsock: the admin socket. A UNIX stream socket in a directory only
 * our user may enter, served by one thread of its own with its own poll
 * loop (the listening socket, the admins, an eventfd that wakes it, a
 * timer for STATS and ROSTER), so it works the same in every mode and no
 * chat thread ever waits for an admin.
 *
 * Any thread publishes events: it formats the line once and queues it, by
 * reference, on every subscriber under the admin lock, a leaf. Each admin
 * has a bounded queue (ADMINSOCK_QUEUE_MAX): one that does not read is cut
 * off ("too slow") as a slow chat client is, and nobody waits for it. A
 * command's answer and a ROSTER block are queued as one message, so an
 * event never lands in the middle of one. */
#define _GNU_SOURCE /* accept4, SO_PEERCRED's struct ucred */
#include "adminsock.h"
#include "control.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

struct admin_conn {
    struct admin_conn *next;
    int fd;
    pid_t pid;
    uid_t uid;
    char name[48]; /* "admin pid 1234", for the log */
    /* Under a->lock: */
    unsigned subs; /* ADMIN_SUB_* */
    struct outq q;
    bool cut; /* its queue overflowed: closed, after a BYE if one fits */
    /* The admin thread's only: */
    struct linebuf lb;
    bool closing;     /* nothing more is read; closed once its queue is out */
    int64_t close_ms; /* ... or by then */
};

struct adminsock {
    struct server *srv;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    dev_t dev; /* the socket we made, to remove only that one */
    ino_t ino;
    int lfd, efd;
    pthread_t thread;
    atomic_bool stop;
    atomic_uint nevents; /* admins subscribed to events */

    pthread_mutex_t lock; /* a leaf: the list, and each conn's queue, subs, cut */
    struct admin_conn *conns;
    bool woken; /* efd was poked and not drained yet */

    /* The admin thread's only: */
    unsigned nconns;
    int64_t next_tick_ms;
    int64_t resume_ms; /* accept failed: the listener rests until then */
    struct adminstat_rates rates;
};

const char *adminsock_path(const struct adminsock *a)
{
    return a->path;
}

bool adminsock_wants_events(const struct adminsock *a)
{
    return a != NULL && atomic_load_explicit(&a->nevents, memory_order_relaxed) > 0;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* With a->lock held: m to c, or c is cut. True when the thread must look
 * at c (its queue was empty, or it was just cut). */
static bool conn_push_locked(struct admin_conn *c, struct outmsg *m)
{
    if (c->cut)
        return false;
    bool was_empty = outq_empty(&c->q);
    if (outq_push(&c->q, m) < 0) {
        c->cut = true;
        return true;
    }
    return was_empty;
}

/* With a->lock held: the admin thread is to look, and will be poked. */
static bool wake_locked(struct adminsock *a)
{
    if (a->woken)
        return false;
    a->woken = true;
    return true;
}

void adminsock_publishv(struct adminsock *a, enum admin_event ev, const struct client *c,
                        const char *fmt, va_list ap)
{
    /* Room for the columns before the text: the text is cut to fit. */
    enum { HEAD_MAX = 256, TEXT_CAP = ADMIN_LINE_MAX - HEAD_MAX };
    char *text = malloc(TEXT_CAP + ADMIN_LINE_MAX);
    if (text == NULL)
        return; /* an event lost, as a log line is when the log is full */
    char *line = text + TEXT_CAP;
    int tn = vsnprintf(text, TEXT_CAP, fmt, ap);
    size_t tlen = tn < 0 ? 0 : (size_t)tn >= TEXT_CAP ? TEXT_CAP - 1 : (size_t)tn;
    /* The nick is read unlocked, as the log reads it: only c's owner (or
     * the accepting thread, before the owner runs) publishes about c. */
    size_t n = admin_format_event(line, ADMIN_LINE_MAX - 1, wall_ms(), ev, c ? c->addr : NULL,
                                  c ? c->nick : NULL, text, tlen);
    struct outmsg *m = NULL;
    if (n > 0) {
        line[n++] = '\n';
        m = outmsg_new(line, n);
    }
    free(text);
    if (m == NULL)
        return;
    bool poke = false;
    pthread_mutex_lock(&a->lock);
    for (struct admin_conn *k = a->conns; k != NULL; k = k->next)
        if ((k->subs & ADMIN_SUB_EVENTS) && conn_push_locked(k, m))
            poke = true;
    poke = poke && wake_locked(a);
    pthread_mutex_unlock(&a->lock);
    outmsg_unref(m);
    if (poke)
        serve_wake(a->efd);
}

/* ---- connections ---- */

/* Queues text as one message (a whole answer, a block); false if that cut
 * the admin off. */
static void conn_send(struct adminsock *a, struct admin_conn *c, const char *text, size_t len)
{
    struct outmsg *m = outmsg_new(text, len);
    if (m == NULL) {
        pthread_mutex_lock(&a->lock);
        c->cut = true;
        pthread_mutex_unlock(&a->lock);
        return;
    }
    pthread_mutex_lock(&a->lock);
    conn_push_locked(c, m);
    pthread_mutex_unlock(&a->lock);
    outmsg_unref(m);
}

/* One line formatted by admin_format_text (OUT, OK, ERR, BYE). */
static void conn_line(struct adminsock *a, struct admin_conn *c, enum admin_type type,
                      const char *text)
{
    char buf[ADMIN_LINE_MAX];
    size_t n = admin_format_text(buf, sizeof buf - 1, type, text, strlen(text));
    if (n == 0)
        return;
    buf[n++] = '\n';
    conn_send(a, c, buf, n);
}

/* Stops reading c; it is closed once its queue is out (or in
 * ADMINSOCK_CLOSE_MS), after a BYE why (NULL: none). */
static void conn_close(struct adminsock *a, struct admin_conn *c, const char *why)
{
    if (c->closing)
        return;
    pthread_mutex_lock(&a->lock);
    if (c->subs & ADMIN_SUB_EVENTS)
        atomic_fetch_sub(&a->nevents, 1);
    c->subs = 0;
    pthread_mutex_unlock(&a->lock);
    if (why != NULL)
        conn_line(a, c, ADMIN_BYE, why);
    c->closing = true;
    c->close_ms = server_now_ms(a->srv) + ADMINSOCK_CLOSE_MS;
}

static void conn_free(struct adminsock *a, struct admin_conn *c)
{
    pthread_mutex_lock(&a->lock);
    struct admin_conn **pp = &a->conns;
    while (*pp != c)
        pp = &(*pp)->next;
    *pp = c->next;
    if (c->subs & ADMIN_SUB_EVENTS)
        atomic_fetch_sub(&a->nevents, 1);
    pthread_mutex_unlock(&a->lock);
    a->nconns--;
    close(c->fd);
    outq_free(&c->q);
    linebuf_free(&c->lb);
    free(c);
}

/* "BYE why" now, best effort: the peer may not read it. */
static void bye_now(int fd, const char *why)
{
    char line[64];
    int n = snprintf(line, sizeof line, "BYE %s\n", why);
    ssize_t w = send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)w; /* nothing more to do either way */
}

/* Refused before it became a connection: told, and closed. */
static void refuse(int fd, const char *why)
{
    bye_now(fd, why);
    close(fd);
}

static void sock_accept(struct adminsock *a)
{
    for (int i = 0; i < 16; i++) {
        int fd = accept4(a->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED) {
                /* Out of descriptors, say: the socket stays readable, so
                 * it is left out of the poll a while rather than spun on. */
                log_event(a->srv, AEV_ERROR, NULL, "admin: accept: %s; pausing for %d ms",
                          strerror(errno), SERVE_ACCEPT_PAUSE_MS);
                a->resume_ms = server_now_ms(a->srv) + SERVE_ACCEPT_PAUSE_MS;
            }
            return;
        }
        /* The directory's mode keeps others out; the kernel's word on who
         * connected is the check that does not depend on it. */
        struct ucred cr;
        socklen_t len = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0) {
            log_event(a->srv, AEV_ERROR, NULL, "admin: SO_PEERCRED: %s", strerror(errno));
            close(fd);
            continue;
        }
        if (cr.uid != geteuid() && cr.uid != 0) {
            refuse(fd, "not allowed");
            log_event(a->srv, AEV_REFUSE, NULL,
                      "admin: refused pid %ld of uid %u (only uid %u and root may attach)",
                      (long)cr.pid, (unsigned)cr.uid, (unsigned)geteuid());
            continue;
        }
        if (a->nconns >= ADMINSOCK_CONNS_MAX) {
            refuse(fd, "too many admins");
            log_event(a->srv, AEV_REFUSE, NULL, "admin: refused pid %ld: %d admins attached",
                      (long)cr.pid, ADMINSOCK_CONNS_MAX);
            continue;
        }
        struct admin_conn *c = calloc(1, sizeof *c);
        if (c == NULL) {
            refuse(fd, "out of memory");
            continue;
        }
        c->fd = fd;
        c->pid = cr.pid;
        c->uid = cr.uid;
        snprintf(c->name, sizeof c->name, "admin pid %ld", (long)cr.pid);
        outq_init(&c->q, ADMINSOCK_QUEUE_MAX);
        linebuf_init(&c->lb, ADMIN_LINE_MAX - 1); /* the LF is the limit's last byte */
        pthread_mutex_lock(&a->lock);
        c->next = a->conns;
        a->conns = c;
        pthread_mutex_unlock(&a->lock);
        a->nconns++;
        char hello[64];
        int n = snprintf(hello, sizeof hello, "SOCKCHAT-ADMIN %d %s\n", ADMIN_PROTO_VERSION,
                         SOCKCHAT_VERSION);
        conn_send(a, c, hello, (size_t)n);
        log_event(a->srv, AEV_INFO, NULL, "admin pid %ld (uid %u) attached", (long)cr.pid,
                  (unsigned)cr.uid);
    }
}

/* A command's answer, gathered to be queued as one block. */
struct answer {
    char *buf;
    size_t len, cap;
    char last[ADMIN_LINE_MAX]; /* the DONE or FAIL text: the OK's or ERR's */
    bool failed;
};

static void answer_add(struct answer *an, enum admin_type type, const char *text)
{
    if (an->cap - an->len < ADMIN_LINE_MAX) {
        size_t cap = an->cap ? an->cap * 2 : (size_t)4 * ADMIN_LINE_MAX;
        char *b = realloc(an->buf, cap);
        if (b == NULL)
            return; /* a line of a listing lost: the OK still comes */
        an->buf = b;
        an->cap = cap;
    }
    size_t n = admin_format_text(an->buf + an->len, ADMIN_LINE_MAX - 1, type, text, strlen(text));
    if (n > 0) {
        an->buf[an->len + n] = '\n';
        an->len += n + 1;
    }
}

static void answer_line(void *arg, enum control_line kind, const char *text)
{
    struct answer *an = arg;
    if (kind == CONTROL_TEXT) {
        answer_add(an, ADMIN_OUT, text);
        return;
    }
    snprintf(an->last, sizeof an->last, "%s", text);
    an->failed = kind == CONTROL_FAIL;
}

/* subscribe / unsubscribe ARGS: c's streams change. */
static void conn_subscribe(struct adminsock *a, struct admin_conn *c, bool on, const char *args,
                           struct answer *an)
{
    unsigned mask;
    if (!admin_parse_subscribe(args, &mask)) {
        snprintf(an->last, sizeof an->last, "usage: %s [events] [stats] [roster]",
                 on ? "subscribe" : "unsubscribe");
        an->failed = true;
        return;
    }
    pthread_mutex_lock(&a->lock);
    unsigned was = c->subs;
    c->subs = on ? was | mask : was & ~mask;
    if (!(was & ADMIN_SUB_EVENTS) && (c->subs & ADMIN_SUB_EVENTS))
        atomic_fetch_add(&a->nevents, 1);
    else if ((was & ADMIN_SUB_EVENTS) && !(c->subs & ADMIN_SUB_EVENTS))
        atomic_fetch_sub(&a->nevents, 1);
    unsigned now = c->subs;
    pthread_mutex_unlock(&a->lock);
    snprintf(an->last, sizeof an->last, "subscribed:%s%s%s%s",
             now & ADMIN_SUB_EVENTS ? " events" : "", now & ADMIN_SUB_STATS ? " stats" : "",
             now & ADMIN_SUB_ROSTER ? " roster" : "", now ? "" : " nothing");
}

/* One line from admin c: its whole answer queued as one block. */
static void conn_command(struct adminsock *a, struct admin_conn *c, const char *line)
{
    struct answer an = {0};
    const char *p = line + strspn(line, " ");
    if (*p == '/')
        p++;
    size_t wl = strcspn(p, " ");
    const char *args = p + wl + strspn(p + wl, " ");
    bool quit = false;
    char *roster = NULL;
    size_t roster_len = 0;
    if (wl == 9 && strncmp(p, "subscribe", 9) == 0) {
        conn_subscribe(a, c, true, args, &an);
    } else if (wl == 11 && strncmp(p, "unsubscribe", 11) == 0) {
        conn_subscribe(a, c, false, args, &an);
    } else if (wl == 6 && strncmp(p, "roster", 6) == 0 && *args == '\0') {
        roster = adminstat_roster(a->srv, &roster_len);
        if (roster == NULL) {
            snprintf(an.last, sizeof an.last, "out of memory");
            an.failed = true;
        }
    } else {
        struct control_seat seat = {.line = answer_line, .arg = &an, .who = c->name};
        quit = control_run(a->srv, line, &seat) == CONTROL_QUIT;
        if (quit)
            snprintf(an.last, sizeof an.last, "shutting down");
        if (wl == 4 && strncasecmp(p, "help", 4) == 0 && !an.failed) {
            /* The console's list, and what only an admin can ask for. */
            answer_add(&an, ADMIN_OUT, "on the admin socket also (docs/PROTOCOL.md section 13):");
            answer_add(&an, ADMIN_OUT,
                       "  subscribe [events] [stats] [roster]   "
                       "those streams from now on (none named: all)");
            answer_add(&an, ADMIN_OUT, "  unsubscribe [events] [stats] [roster] stop them");
            answer_add(&an, ADMIN_OUT,
                       "  roster                                who is connected, one ROW each");
        }
    }
    if (roster != NULL) {
        /* The block first, then its OK, in the one message. */
        char *b = realloc(an.buf, an.len + roster_len + ADMIN_LINE_MAX);
        if (b != NULL) {
            memcpy(b + an.len, roster, roster_len);
            an.buf = b;
            an.len += roster_len;
            an.cap = an.len + ADMIN_LINE_MAX;
        }
        free(roster);
    }
    answer_add(&an, an.failed ? ADMIN_ERR : ADMIN_OK, an.last);
    if (an.buf != NULL)
        conn_send(a, c, an.buf, an.len);
    free(an.buf);
    if (quit) {
        /* The same clean stop as SIGTERM, through main's signalfd, which
         * knows this one by its value and says who asked. */
        log_event(a->srv, AEV_OPERATOR, NULL, "operator (%s): quit: shutting down", c->name);
        union sigval v = {.sival_int = ADMINSOCK_QUIT_SIGVAL};
        if (sigqueue(getpid(), SIGTERM, v) < 0)
            log_event(a->srv, AEV_ERROR, NULL, "admin: quit: sigqueue: %s", strerror(errno));
    }
}

/* c is readable. */
static void conn_read(struct adminsock *a, struct admin_conn *c)
{
    char data[4096];
    ssize_t n = read(c->fd, data, sizeof data);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            conn_close(a, c, NULL);
        return;
    }
    if (n == 0) { /* it is done sending; what we owe it still goes out */
        conn_close(a, c, NULL);
        return;
    }
    const char *p = data;
    size_t len = (size_t)n;
    while (len > 0 && !c->closing) {
        size_t used;
        char *line;
        size_t llen;
        enum linebuf_status st = linebuf_feed(&c->lb, p, len, &used, &line, &llen);
        p += used;
        len -= used;
        if (st == LINEBUF_LINE)
            conn_command(a, c, line);
        else if (st == LINEBUF_OVERLONG)
            conn_close(a, c, "line too long");
        else if (st == LINEBUF_NOMEM)
            conn_close(a, c, "out of memory");
        else
            break;
    }
}

/* Writes what c has queued, without blocking. False: c is gone (an error). */
static bool conn_flush(struct adminsock *a, struct admin_conn *c)
{
    struct iovec iov[32];
    for (int round = 0; round < 16; round++) {
        pthread_mutex_lock(&a->lock);
        int n = outq_iov(&c->q, iov, 32);
        pthread_mutex_unlock(&a->lock);
        if (n == 0)
            return true;
        /* Only this thread consumes: the iovecs stay valid unlocked. */
        ssize_t w = writev(c->fd, iov, n);
        if (w < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        pthread_mutex_lock(&a->lock);
        outq_consume(&c->q, (size_t)w);
        pthread_mutex_unlock(&a->lock);
    }
    return true;
}

/* After the poll: c's state moves on; false when it is to be freed. */
static bool conn_service(struct adminsock *a, struct admin_conn *c, short revents, int64_t now)
{
    if ((revents & POLLIN) && !c->closing)
        conn_read(a, c);
    if ((revents & (POLLERR | POLLHUP)) && !(revents & POLLIN))
        return false;
    pthread_mutex_lock(&a->lock);
    bool cut = c->cut;
    bool partial = c->q.off > 0;
    pthread_mutex_unlock(&a->lock);
    if (cut) {
        /* Its queue is full: a BYE after the last whole line, if the
         * socket takes one now, and closed. */
        if (!partial)
            bye_now(c->fd, "too slow");
        log_event(a->srv, AEV_SLOW, NULL, "%s cut off: too slow (%d KiB unread)", c->name,
                  ADMINSOCK_QUEUE_MAX >> 10);
        return false;
    }
    if (!conn_flush(a, c))
        return false;
    if (c->closing) {
        pthread_mutex_lock(&a->lock);
        bool empty = outq_empty(&c->q);
        pthread_mutex_unlock(&a->lock);
        if (empty || now >= c->close_ms)
            return false;
    }
    return true;
}

/* Once a second: STATS and ROSTER to those subscribed to them. */
static void sock_tick(struct adminsock *a)
{
    unsigned want = 0;
    pthread_mutex_lock(&a->lock);
    for (struct admin_conn *c = a->conns; c != NULL; c = c->next)
        want |= c->subs;
    pthread_mutex_unlock(&a->lock);
    struct admin_stats s;
    /* The rates are over the last tick, subscribed to or not. */
    adminstat_stats(a->srv, &a->rates, a->nconns, &s);
    struct outmsg *stats = NULL, *roster = NULL;
    if (want & ADMIN_SUB_STATS) {
        char line[ADMIN_LINE_MAX];
        size_t n = admin_format_stats(line, sizeof line - 1, &s);
        if (n > 0) {
            int k = snprintf(line + n, sizeof line - 1 - n, " rooms=%u", adminstat_rooms(a->srv));
            n = k > 0 && (size_t)k < sizeof line - 1 - n ? n + (size_t)k : 0;
        }
        if (n > 0) {
            line[n++] = '\n';
            stats = outmsg_new(line, n);
        }
    }
    if (want & ADMIN_SUB_ROSTER) {
        size_t len;
        char *block = adminstat_roster(a->srv, &len);
        if (block != NULL)
            roster = outmsg_new(block, len);
        free(block);
    }
    pthread_mutex_lock(&a->lock);
    for (struct admin_conn *c = a->conns; c != NULL; c = c->next) {
        if (stats && (c->subs & ADMIN_SUB_STATS))
            conn_push_locked(c, stats);
        if (roster && (c->subs & ADMIN_SUB_ROSTER))
            conn_push_locked(c, roster);
    }
    pthread_mutex_unlock(&a->lock);
    outmsg_unref(stats);
    outmsg_unref(roster);
}

/* One round of the admin thread: wait, then accept, read, write, tick. */
static void sock_round(struct adminsock *a, struct pollfd *p)
{
    int64_t now = server_now_ms(a->srv);
    if (now >= a->next_tick_ms) {
        sock_tick(a);
        a->next_tick_ms = now + ADMINSOCK_TICK_MS;
    }
    p[0] = (struct pollfd){a->efd, POLLIN, 0};
    p[1] = (struct pollfd){now >= a->resume_ms ? a->lfd : -1, POLLIN, 0};
    unsigned n = 2;
    pthread_mutex_lock(&a->lock);
    for (struct admin_conn *c = a->conns; c != NULL; c = c->next) {
        short ev = c->closing ? 0 : POLLIN;
        if (!outq_empty(&c->q) || c->cut)
            ev |= POLLOUT;
        p[n++] = (struct pollfd){c->fd, ev, 0};
    }
    pthread_mutex_unlock(&a->lock);
    int64_t wake =
        a->resume_ms > now && a->resume_ms < a->next_tick_ms ? a->resume_ms : a->next_tick_ms;
    int timeout = (int)(wake - now);
    if (poll(p, n, timeout < 0 ? 0 : timeout) < 0) {
        if (errno != EINTR) {
            log_event(a->srv, AEV_ERROR, NULL, "admin: poll: %s", strerror(errno));
            poll(NULL, 0, 100); /* no spin */
        }
        return;
    }
    if (p[0].revents) {
        serve_wake_drain(a->efd);
        pthread_mutex_lock(&a->lock);
        a->woken = false;
        pthread_mutex_unlock(&a->lock);
    }
    now = server_now_ms(a->srv);
    /* The list is the one polled: only this thread adds or removes. */
    unsigned i = 2;
    struct admin_conn *next;
    for (struct admin_conn *c = a->conns; c != NULL; c = next, i++) {
        next = c->next;
        if (!conn_service(a, c, p[i].revents, now)) {
            log_event(a->srv, AEV_INFO, NULL, "%s detached", c->name);
            conn_free(a, c);
        }
    }
    if (p[1].revents)
        sock_accept(a);
}

/* At the end: BYE to everyone, a moment for it to go out, and closed. */
static void sock_finish(struct adminsock *a)
{
    for (struct admin_conn *c = a->conns; c != NULL; c = c->next)
        conn_close(a, c, "shutting down");
    int64_t until = server_now_ms(a->srv) + ADMINSOCK_CLOSE_MS;
    while (a->conns != NULL) {
        struct pollfd p[ADMINSOCK_CONNS_MAX + 1];
        unsigned n = 0;
        for (struct admin_conn *c = a->conns; c != NULL && n < ADMINSOCK_CONNS_MAX + 1; c = c->next)
            p[n++] = (struct pollfd){c->fd, POLLOUT, 0};
        int64_t left = until - server_now_ms(a->srv);
        if (left > 0)
            poll(p, n, (int)left);
        int64_t now = server_now_ms(a->srv);
        struct admin_conn *next;
        for (struct admin_conn *c = a->conns; c != NULL; c = next) {
            next = c->next;
            pthread_mutex_lock(&a->lock);
            bool empty = outq_empty(&c->q);
            pthread_mutex_unlock(&a->lock);
            if (empty || now >= until || !conn_flush(a, c))
                conn_free(a, c);
        }
    }
}

static void *sock_main(void *arg)
{
    struct adminsock *a = arg;
    struct pollfd *p = calloc(ADMINSOCK_CONNS_MAX + 3, sizeof *p);
    if (p == NULL) {
        log_event(a->srv, AEV_ERROR, NULL, "admin: out of memory: the admin socket is closed");
        return NULL;
    }
    while (!atomic_load(&a->stop))
        sock_round(a, p);
    sock_finish(a);
    free(p);
    return NULL;
}

struct adminsock *adminsock_start(struct server *srv, const char *path)
{
    char err[PATH_MAX + 128];
    struct adminsock *a = calloc(1, sizeof *a);
    if (a == NULL) {
        log_event(srv, AEV_ERROR, NULL, "no admin socket: out of memory");
        return NULL;
    }
    a->srv = srv;
    a->efd = -1;
    if (strlen(path) >= sizeof a->path) {
        log_event(srv, AEV_ERROR, NULL, "no admin socket: %s: path too long (at most %zu bytes)",
                  path, sizeof a->path - 1);
        free(a);
        return NULL;
    }
    snprintf(a->path, sizeof a->path, "%s", path);
    a->lfd = adminpath_listen(a->path, &a->dev, &a->ino, err, sizeof err);
    if (a->lfd < 0) {
        log_event(srv, AEV_ERROR, NULL, "no admin socket: %s", err);
        free(a);
        return NULL;
    }
    a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&a->lock, NULL);
    atomic_init(&a->stop, false);
    atomic_init(&a->nevents, 0);
    /* Set before the thread starts: it logs, and log_event reads it. */
    srv->admin = a;
    int rc =
        a->efd < 0 ? errno : serve_thread_start(&a->thread, 4 * serve_stack_size(), sock_main, a);
    if (rc != 0) {
        srv->admin = NULL;
        log_event(srv, AEV_ERROR, NULL, "no admin socket: its thread: %s", strerror(rc));
        if (a->efd >= 0)
            close(a->efd);
        close(a->lfd);
        unlink(a->path);
        pthread_mutex_destroy(&a->lock);
        free(a);
        return NULL;
    }
    return a;
}

void adminsock_stop(struct adminsock *a)
{
    if (a == NULL)
        return;
    atomic_store(&a->stop, true);
    serve_wake(a->efd);
    pthread_join(a->thread, NULL);
    a->srv->admin = NULL; /* only main runs now (the transcript's syncer has stopped) */
    close(a->lfd);
    close(a->efd);
    /* Only ours: another server may have replaced a stale-looking one. */
    struct stat st;
    if (lstat(a->path, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino)
        unlink(a->path);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

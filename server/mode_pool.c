/* mode_pool: a few threads (one per core by default), each an epoll loop
 * over many non-blocking clients. This is the mode that scales to
 * thousands: a client costs a few hundred bytes (no thread, no stack, no
 * line buffer while idle), not a thread.
 *
 * Every worker waits on the listening socket (EPOLLEXCLUSIVE: one wakes per
 * connection) and owns the clients it accepted. Other threads hand it work
 * through its pending list and an eventfd; the worker then flushes those
 * clients' queues and applies close requests. A worker never blocks and
 * never frees a client while an event for it may still be in hand. */
#define _GNU_SOURCE /* epoll, eventfd */
#include "server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

enum { POOL_EVENTS = 256, POOL_READ = 16384, POOL_MAX_WORKERS = 64 };

struct worker {
    struct server *srv;
    pthread_t thread;
    int ep;
    int efd;
    int lfd;
    bool listening;
    bool stop_seen;
    int64_t resume_ms;
    int64_t stop_deadline_ms;

    pthread_mutex_t lock; /* guards pending, woken and each client's sched/pnext */
    /* First come, first served: a reply to the request read first is
     * written first, which keeps the latency tail short under load. */
    struct client *pending, **pending_tail;
    bool woken;

    struct client *clients; /* owner only */
    unsigned nclients;
    /* Clients with a deadline (closing, or past the slow-consumer soft
     * limit): few and brief, so a sweep over all clients finds them. */
    unsigned ntimed;
    char rbuf[POOL_READ];
};

static _Thread_local struct worker *tls_worker;
static char TAG_LISTEN, TAG_WAKE; /* epoll data for the non-client fds */

static void pool_poke(struct worker *w)
{
    uint64_t one = 1;
    ssize_t n;
    do {
        n = write(w->efd, &one, sizeof one);
    } while (n < 0 && errno == EINTR);
}

static void pool_notify(struct client *c)
{
    struct worker *w = c->worker;
    bool poke = false;

    pthread_mutex_lock(&w->lock);
    if (!c->sched) {
        c->sched = true;
        c->pnext = NULL;
        *w->pending_tail = c;
        w->pending_tail = &c->pnext;
        /* Our own worker handles its pending list before it sleeps. */
        if (w != tls_worker && !w->woken) {
            w->woken = true;
            poke = true;
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (poke)
        pool_poke(w);
}

static void pool_finish(struct worker *w, struct client *c)
{
    session_end(c); /* out of the registry: nobody can queue for c now */
    pthread_mutex_lock(&w->lock);
    if (c->sched) {
        struct client **pp = &w->pending;
        while (*pp && *pp != c)
            pp = &(*pp)->pnext;
        if (*pp) {
            *pp = c->pnext;
            if (w->pending_tail == &c->pnext)
                w->pending_tail = pp;
        }
        c->sched = false;
    }
    pthread_mutex_unlock(&w->lock);
    close(c->fd); /* also removes it from the epoll set */
    if (c->wprev)
        c->wprev->wnext = c->wnext;
    else
        w->clients = c->wnext;
    if (c->wnext)
        c->wnext->wprev = c->wprev;
    w->nclients--;
    if (c->timed)
        w->ntimed--;
    client_free(c);
}

/* Flushes c, applies its close state and sets its epoll interest. */
static void pool_service(struct worker *w, struct client *c, int64_t now)
{
    struct client_plan plan;

    if (client_has_output(c) && client_flush(c) == FLUSH_ERROR)
        client_request_close(c, CLOSE_NOW, "lost connection", 0);
    /* Input left waiting while the queue was full; its answers are
     * flushed when we come back (it put c on our pending list). */
    session_resume(c);
    client_plan(c, now, &plan);
    if (plan.done) {
        pool_finish(w, c);
        return;
    }
    bool timed = plan.deadline_ms != 0;
    if (timed != c->timed) {
        c->timed = timed;
        if (timed)
            w->ntimed++;
        else
            w->ntimed--;
    }
    uint32_t want = (plan.rd ? EPOLLIN : 0u) | (plan.wr ? EPOLLOUT : 0u);
    if (want != c->events) {
        struct epoll_event ev = {.events = want, .data.ptr = c};
        if (epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
            c->events = want;
    }
}

/* True when our own pending list is not empty. Our notifies do not poke
 * our eventfd, so the worker must not sleep while this holds. */
static bool pool_has_pending(struct worker *w)
{
    pthread_mutex_lock(&w->lock);
    bool any = w->pending != NULL;
    pthread_mutex_unlock(&w->lock);
    return any;
}

static void pool_run_pending(struct worker *w)
{
    int64_t now = server_now_ms(w->srv);
    /* Serving a client may queue for others of ours (a LEAVE): repeat, a
     * bounded number of times; the rest waits for the next round, which
     * does not sleep (see pool_has_pending). */
    for (int round = 0; round < 8; round++) {
        pthread_mutex_lock(&w->lock);
        struct client *list = w->pending;
        w->pending = NULL;
        w->pending_tail = &w->pending;
        w->woken = false;
        pthread_mutex_unlock(&w->lock);
        if (list == NULL)
            return;
        while (list) {
            struct client *c = list;
            /* Clear sched only now, so a notify meanwhile cannot relink c
             * while it is still on this list. */
            pthread_mutex_lock(&w->lock);
            list = c->pnext;
            c->sched = false;
            pthread_mutex_unlock(&w->lock);
            pool_service(w, c, now);
        }
    }
}

static void pool_start(struct server *srv, int fd, const char *addr)
{
    struct worker *w = tls_worker;
    struct client *c = server_admit(srv, fd, addr, w);
    if (c == NULL)
        return;
    c->wprev = NULL;
    c->wnext = w->clients;
    if (w->clients)
        w->clients->wprev = c;
    w->clients = c;
    w->nclients++;
    c->events = EPOLLIN;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        client_request_close(c, CLOSE_NOW, "internal error", 0);
        pool_finish(w, c);
    }
}

static void pool_read(struct worker *w, struct client *c)
{
    if (c->backlog_len > 0) {
        /* Earlier input waits (an event from before the interest changed):
         * nothing more is read until it is handled. */
        pool_notify(c);
        return;
    }
    /* Until we know better, read as the tutorial's client writes: one
     * message per read, at most READ_CHUNK. */
    size_t want =
        c->dialect == DIALECT_FRAMED || c->dialect == DIALECT_PLAIN ? POOL_READ : READ_CHUNK;
    ssize_t n;
    do {
        n = read(c->fd, w->rbuf, want);
    } while (n < 0 && errno == EINTR);
    client_on_read(c, w->rbuf, n, n < 0 ? errno : 0);
    pool_notify(c);
}

static void pool_listen(struct worker *w, bool on)
{
    if (on == w->listening)
        return;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &TAG_LISTEN};
    if (epoll_ctl(w->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w->lfd, &ev) == 0)
        w->listening = on;
}

static void *pool_worker(void *arg)
{
    struct worker *w = arg;
    struct server *srv = w->srv;
    struct epoll_event ev[POOL_EVENTS];

    tls_worker = w;
    for (;;) {
        int64_t now = server_now_ms(srv);
        if (atomic_load(&srv->stopping) && !w->stop_seen) {
            w->stop_seen = true;
            w->stop_deadline_ms = now + SHUTDOWN_FLUSH_MS + LINGER_MS + 500;
            pool_listen(w, false);
        }
        if (w->stop_seen && (w->nclients == 0 || now > w->stop_deadline_ms))
            break;
        if (!w->stop_seen && !w->listening && now >= w->resume_ms)
            pool_listen(w, true);

        /* Work we queued for ourselves last round (a LEAVE from the
         * closing sweep below, or more than pool_run_pending's rounds)
         * runs now: nothing else would wake us for it. */
        int timeout = pool_has_pending(w)                          ? 0
                      : w->ntimed || w->stop_seen || !w->listening ? 100
                                                                   : -1;
        int n = epoll_wait(w->ep, ev, POOL_EVENTS, timeout);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            void *p = ev[i].data.ptr;
            if (p == &TAG_LISTEN) {
                if (!accept_batch(srv, w->lfd, pool_start)) {
                    pool_listen(w, false);
                    w->resume_ms = server_now_ms(srv) + 100;
                }
            } else if (p == &TAG_WAKE) {
                uint64_t v;
                ssize_t r = read(w->efd, &v, sizeof v);
                (void)r;
            } else {
                struct client *c = p;
                if ((ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (c->events & EPOLLIN)) {
                    pool_read(w, c);
                } else {
                    /* Writable; or an error while neither reading nor
                     * writing, which level-triggered epoll would repeat. */
                    if (c->events == 0 && (ev[i].events & (EPOLLHUP | EPOLLERR)))
                        client_request_close(c, CLOSE_NOW, "lost connection", 0);
                    pool_notify(c);
                }
            }
        }
        pool_run_pending(w);
        if (w->ntimed > 0) {
            /* Deadlines: of closing clients, and of those past the soft
             * limit, judged again even if nothing new is queued for them. */
            now = server_now_ms(srv);
            struct client *next;
            for (struct client *c = w->clients; c; c = next) {
                next = c->wnext;
                if (c->timed)
                    pool_service(w, c, now);
            }
        }
    }
    /* Stop deadline passed (or epoll failed): close what is left. */
    while (w->clients) {
        client_request_close(w->clients, CLOSE_NOW, "shutdown", 0);
        pool_finish(w, w->clients);
    }
    return NULL;
}

static unsigned pool_size(const struct config *cfg)
{
    long n = cfg->workers ? (long)cfg->workers : sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > POOL_MAX_WORKERS)
        n = POOL_MAX_WORKERS;
    return (unsigned)n;
}

int mode_pool_run(struct server *srv, struct run_ctx *rc)
{
    unsigned nw = pool_size(&srv->cfg), started = 0;
    struct worker *ws = calloc(nw, sizeof *ws);
    int status = 0;

    if (ws == NULL) {
        fprintf(stderr, "sockchat-server: pool: out of memory\n");
        return 71; /* EX_OSERR */
    }
    srv->notify = pool_notify;
    for (unsigned i = 0; i < nw; i++) {
        ws[i].ep = ws[i].efd = -1;
        ws[i].pending_tail = &ws[i].pending;
        pthread_mutex_init(&ws[i].lock, NULL);
    }
    for (unsigned i = 0; i < nw; i++) {
        struct worker *w = &ws[i];
        w->srv = srv;
        w->lfd = rc->lfd;
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &TAG_WAKE};
        if (w->ep < 0 || w->efd < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, w->efd, &ev) < 0) {
            fprintf(stderr, "sockchat-server: pool: epoll/eventfd: %s\n", strerror(errno));
            status = 71;
            break;
        }
        pool_listen(w, true);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 4 * thread_stack_size());
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        int rcode = pthread_create(&w->thread, &attr, pool_worker, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
        if (rcode != 0) {
            fprintf(stderr, "sockchat-server: pool: pthread_create: %s\n", strerror(rcode));
            status = 71;
            break;
        }
        started++;
    }

    while (status == 0 && !rc->stop) {
        struct pollfd p[2] = {
            {rc->sigfd, POLLIN, 0},
            {console_fd(srv, rc->con), POLLIN, 0},
        };
        if (poll(p, 2, console_timeout(srv, rc->con, -1)) < 0 && errno != EINTR) {
            rc->signo = -1; /* for shutdown_reason(): neither signal nor console */
            break;
        }
        if (p[0].revents && signal_drain(rc))
            server_shutdown(srv, rc);
        if (!rc->stop && p[1].revents && console_readable(srv, rc->con))
            server_shutdown(srv, rc);
    }
    /* Also after a failed start or poll. It sets srv->stopping before it
     * shuts the listener down: a worker woken by that (EPOLLHUP) sees the
     * flag on its next round and drops the listener from its epoll set. */
    server_shutdown(srv, rc);
    for (unsigned i = 0; i < started; i++)
        pool_poke(&ws[i]);
    for (unsigned i = 0; i < started; i++)
        pthread_join(ws[i].thread, NULL);
    for (unsigned i = 0; i < nw; i++) {
        if (ws[i].ep >= 0)
            close(ws[i].ep);
        if (ws[i].efd >= 0)
            close(ws[i].efd);
        pthread_mutex_destroy(&ws[i].lock);
    }
    free(ws);
    return status;
}

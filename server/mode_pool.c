/* mode_pool: a few threads (one per core but one by default), each an epoll loop
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
#include "serve.h"
#include "tracelog.h"
#include "session.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sysexits.h>
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

    pthread_mutex_t lock; /* guards pending, woken and each pool_conn's sched/pnext */
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

/* What a client carries for this driver (c->drv). */
struct pool_conn {
    struct worker *worker;        /* its owner, set before c is visible */
    struct client *pnext;         /* pending-service list (worker lock) */
    bool sched;                   /* on that list (worker lock) */
    struct client *wprev, *wnext; /* the worker's own list (owner only) */
    uint32_t events;              /* epoll interest (owner only) */
    bool timed;                   /* has a deadline, swept (owner only) */
};

static _Thread_local struct worker *tls_worker;
static char TAG_LISTEN, TAG_WAKE; /* epoll data for the non-client fds */

static struct pool_conn *pc_of(const struct client *c)
{
    return c->drv;
}

/* Clients are made by admit_connection() on the worker that accepted them. */
static void pool_adopt(struct client *c)
{
    pc_of(c)->worker = tls_worker;
    /* The workers are one array (srv->drv): its index names it (w2). */
    const struct worker *first = c->srv->drv;
    atomic_store_explicit(&c->worker, (int)(tls_worker - first), memory_order_relaxed);
}

static void pool_notify(struct client *c)
{
    struct pool_conn *pc = pc_of(c);
    struct worker *w = pc->worker;
    bool poke = false;

    pthread_mutex_lock(&w->lock);
    if (!pc->sched) {
        pc->sched = true;
        pc->pnext = NULL;
        *w->pending_tail = c;
        w->pending_tail = &pc->pnext;
        /* Our own worker handles its pending list before it sleeps. */
        if (w != tls_worker && !w->woken) {
            w->woken = true;
            poke = true;
        }
    }
    pthread_mutex_unlock(&w->lock);
    if (poke)
        serve_wake(w->efd);
}

static void pool_finish(struct worker *w, struct client *c)
{
    struct pool_conn *pc = pc_of(c);
    /* Out of the registry (nobody can queue for c now), and its socket
     * closed, which also removes it from the epoll set. */
    serve_close(c);
    pthread_mutex_lock(&w->lock);
    if (pc->sched) {
        struct client **pp = &w->pending;
        while (*pp && *pp != c)
            pp = &pc_of(*pp)->pnext;
        if (*pp) {
            *pp = pc->pnext;
            if (w->pending_tail == &pc->pnext)
                w->pending_tail = pp;
        }
        pc->sched = false;
    }
    pthread_mutex_unlock(&w->lock);
    if (pc->wprev)
        pc_of(pc->wprev)->wnext = pc->wnext;
    else
        w->clients = pc->wnext;
    if (pc->wnext)
        pc_of(pc->wnext)->wprev = pc->wprev;
    w->nclients--;
    if (pc->timed)
        w->ntimed--;
    client_free(c);
}

static void pool_read(struct worker *w, struct client *c);

/* Flushes c, applies its close state and sets its epoll interest. */
static void pool_service(struct worker *w, struct client *c, int64_t now)
{
    struct client_plan plan;

    if (client_has_output(c) && client_flush(c) == FLUSH_ERROR)
        client_request_close(c, CLOSE_NOW, "lost connection", 0);
    /* Input left waiting while the queue was full; its answers are
     * flushed when we come back (it put c on our pending list). */
    session_resume(c);
    client_step(c, now, &plan);
    if (plan.done) {
        pool_finish(w, c);
        return;
    }
    struct pool_conn *pc = pc_of(c);
    bool timed = plan.deadline_ms != 0;
    if (timed != pc->timed) {
        pc->timed = timed;
        if (timed)
            w->ntimed++;
        else
            w->ntimed--;
    }
    short pev = xport_events(c, plan.rd, plan.wr);
    uint32_t want = ((pev & POLLIN) ? EPOLLIN : 0u) | ((pev & POLLOUT) ? EPOLLOUT : 0u);
    if (want != pc->events) {
        struct epoll_event ev = {.events = want, .data.ptr = c};
        if (epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
            pc->events = want;
    }
    /* Decrypted bytes wait inside TLS, which epoll cannot see: read them
     * now (the read schedules c again). */
    if (plan.rd && xport_pending(c))
        pool_read(w, c);
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
            list = pc_of(c)->pnext;
            pc_of(c)->sched = false;
            pthread_mutex_unlock(&w->lock);
            pool_service(w, c, now);
        }
    }
}

static void pool_start(struct server *srv, int fd, const char *addr)
{
    struct worker *w = tls_worker;
    struct client *c = admit_connection(srv, fd, addr);
    if (c == NULL)
        return;
    tracelog_accept(c, -1);
    struct pool_conn *pc = pc_of(c);
    pc->wprev = NULL;
    pc->wnext = w->clients;
    if (w->clients)
        pc_of(w->clients)->wprev = c;
    w->clients = c;
    w->nclients++;
    pc->events = EPOLLIN;
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
    ssize_t n = xport_read(c, w->rbuf, want);
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
        if (n < 0 && errno != EINTR) {
            log_event(srv, AEV_ERROR, NULL, "pool: epoll_wait: %s; closing this worker's clients",
                      strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            void *p = ev[i].data.ptr;
            if (p == &TAG_LISTEN) {
                if (!serve_accept(srv, w->lfd, 64, pool_start)) {
                    pool_listen(w, false);
                    w->resume_ms = server_now_ms(srv) + SERVE_ACCEPT_PAUSE_MS;
                }
            } else if (p == &TAG_WAKE) {
                serve_wake_drain(w->efd);
            } else {
                struct client *c = p;
                uint32_t want = pc_of(c)->events;
                /* A TLS read that waits to write is retried as a read. */
                if (((ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (want & EPOLLIN)) ||
                    ((ev[i].events & EPOLLOUT) && xport_read_on_out(c))) {
                    pool_read(w, c);
                } else {
                    /* Writable; or an error while neither reading nor
                     * writing, which level-triggered epoll would repeat. */
                    if (want == 0 && (ev[i].events & (EPOLLHUP | EPOLLERR)))
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
                next = pc_of(c)->wnext;
                if (pc_of(c)->timed)
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

/* The cores this process may run on (taskset, a cpuset), else those online. */
static long pool_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return sysconf(_SC_NPROCESSORS_ONLN);
}

/* By default one worker per core but one: a worker owns its clients, so
 * while the scheduler parks it for another runnable thread (the kernel's
 * network work, the console, a client or load generator on the same
 * machine) every one of its clients waits a time slice. On 2 cores with
 * the load on the machine, two workers measured a p99 twice one worker's
 * and less throughput (docs/BENCHMARKS.md, issue 17). redis.conf gives the
 * same advice for its I/O threads: leave a spare core. */
static unsigned pool_size(const struct config *cfg)
{
    long n = cfg->workers ? (long)cfg->workers : pool_cores() - 1;
    if (n < 1)
        n = 1;
    if (n > POOL_MAX_WORKERS)
        n = POOL_MAX_WORKERS;
    return (unsigned)n;
}

/* Sets up worker w and starts its thread; 0, or -1 after driver_fail(). */
static int pool_worker_start(struct server *srv, struct run_ctx *rc, struct worker *w)
{
    w->srv = srv;
    w->lfd = rc->lfd;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &TAG_WAKE};
    if (w->ep < 0 || w->efd < 0 || epoll_ctl(w->ep, EPOLL_CTL_ADD, w->efd, &ev) < 0) {
        driver_fail(srv, rc, EX_OSERR, "pool: epoll/eventfd", errno);
        return -1;
    }
    pool_listen(w, true);
    int err = serve_thread_start(&w->thread, 4 * serve_stack_size(), pool_worker, w);
    if (err != 0) {
        driver_fail(srv, rc, EX_OSERR, "pool: pthread_create", err);
        return -1;
    }
    return 0;
}

int mode_pool_run(struct server *srv, struct run_ctx *rc)
{
    unsigned nw = pool_size(&srv->cfg), started = 0;
    struct worker *ws = calloc(nw, sizeof *ws);

    if (ws == NULL) {
        driver_fail(srv, rc, EX_OSERR, "pool", ENOMEM);
        return rc->status;
    }
    srv->drv = ws;
    srv->drv_conn_size = sizeof(struct pool_conn);
    srv->drv_adopt = pool_adopt;
    srv->notify = pool_notify;
    for (unsigned i = 0; i < nw; i++) {
        ws[i].ep = ws[i].efd = -1;
        ws[i].pending_tail = &ws[i].pending;
        pthread_mutex_init(&ws[i].lock, NULL);
    }
    while (started < nw && pool_worker_start(srv, rc, &ws[started]) == 0)
        started++;

    while (!rc->stop) {
        struct pollfd p[2];
        driver_pollfds(srv, rc, p);
        if (poll(p, 2, driver_timeout(srv, rc, -1)) < 0) {
            if (errno != EINTR)
                driver_fail(srv, rc, EX_OSERR, "poll", errno);
            continue;
        }
        driver_events(srv, rc, p);
    }
    /* driver_stop() set srv->stopping before it shut the listener down: a
     * worker woken by that (EPOLLHUP) sees the flag on its next round and
     * drops the listener from its epoll set. The poke wakes the others. */
    for (unsigned i = 0; i < started; i++)
        serve_wake(ws[i].efd);
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
    srv->drv = NULL;
    return rc->status;
}

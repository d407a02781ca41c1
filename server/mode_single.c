/* mode_single: the tutorial's server.py. One client at a time: the next one
 * waits in the listen backlog (its connect succeeds, nobody answers) until
 * the current one leaves. Commands work; a chat line is acknowledged and
 * relayed to nobody, because nobody else is being served. That is the
 * honest picture of a single-threaded server, which is the point.
 *
 * The one thread serves the client with serve_blocking(), which also
 * watches the signalfd and the console (struct serve_wait's rc). */
#define _GNU_SOURCE /* eventfd */
#include "server.h"
#include "serve.h"
#include "tracelog.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sysexits.h>
#include <unistd.h>

/* --trace's view of the listen backlog: the connections the kernel holds
 * for us while the one client is served. Counted (net_accept_queue) at
 * most every BACKLOG_CHECK_MS while serving; when each arrived is when the
 * count rose, so its wait is known to within that. */
enum { BACKLOG_CHECK_MS = 250, BACKLOG_TRACKED = 64 };
struct backlog_watch {
    int64_t checked_ms;                /* last count; 0: never */
    unsigned shown;                    /* the count last logged */
    int64_t since_ms[BACKLOG_TRACKED]; /* when each waiting one was seen, oldest first */
    unsigned nsince;
};

/* The driver's state (srv->drv). */
struct single {
    struct run_ctx *rc;
    struct backlog_watch bw;
};

/* The count is n now: newcomers get now as their arrival, and a count that
 * fell without an accept (cannot happen on Linux) forgets the oldest. */
static void backlog_update(struct backlog_watch *bw, unsigned n, int64_t now)
{
    if (n < bw->nsince) {
        unsigned gone = bw->nsince - n;
        memmove(bw->since_ms, bw->since_ms + gone, n * sizeof bw->since_ms[0]);
        bw->nsince = n;
    }
    while (bw->nsince < n && bw->nsince < BACKLOG_TRACKED)
        bw->since_ms[bw->nsince++] = now;
}

/* serve_blocking()'s tick: with --trace on, the backlog's count, logged
 * when it changes. */
static int single_tick(void *arg)
{
    struct server *srv = arg;
    struct single *st = srv->drv;
    struct backlog_watch *bw = &st->bw;
    if (atomic_load_explicit(&srv->trace.mode, memory_order_relaxed) == TRACE_OFF) {
        memset(bw, 0, sizeof *bw);
        return -1;
    }
    int64_t now = server_now_ms(srv);
    if (bw->checked_ms != 0 && now - bw->checked_ms < BACKLOG_CHECK_MS)
        return (int)(bw->checked_ms + BACKLOG_CHECK_MS - now);
    bw->checked_ms = now;
    unsigned n;
    if (net_accept_queue(st->rc->lfd, &n) < 0)
        return -1; /* not told: nothing to watch */
    backlog_update(bw, n, now);
    if (n != bw->shown) {
        bw->shown = n;
        tracelog_backlog(srv, n);
    }
    return BACKLOG_CHECK_MS;
}

/* The one accepted now left the backlog: how long it waited there, as far
 * as the watch saw (-1: it did not see it arrive). */
static int64_t backlog_accepted(struct backlog_watch *bw, int64_t now)
{
    if (bw->nsince == 0)
        return -1;
    int64_t waited = now - bw->since_ms[0];
    backlog_update(bw, bw->nsince - 1, now);
    if (bw->shown > 0)
        bw->shown--;
    return waited;
}

/* serve_accept()'s start: serves the connection until it leaves. */
static void single_serve(struct server *srv, int fd, const char *addr)
{
    struct single *st = srv->drv;
    int64_t waited = backlog_accepted(&st->bw, server_now_ms(srv));
    struct client *c = admit_connection(srv, fd, addr);
    if (c == NULL)
        return;
    tracelog_accept(c, waited);
    struct serve_wait w = {.rc = st->rc, .tick = single_tick, .tick_arg = srv};
    serve_blocking(c, &w); /* until it leaves; a signal asks it to */
    serve_close(c);
    client_free(c);
}

/* The one serving thread flushes after every event of its own; others (the
 * admin socket's thread: a say, a kick) poke it through rc->wakefd. */
static _Thread_local bool tls_server_thread;

static void single_notify(struct client *c)
{
    const struct single *st = c->srv->drv;
    if (!tls_server_thread && st->rc->wakefd >= 0)
        serve_wake(st->rc->wakefd);
}

int mode_single_run(struct server *srv, struct run_ctx *rc)
{
    tls_server_thread = true;
    rc->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (rc->wakefd < 0) {
        driver_fail(srv, rc, EX_OSERR, "eventfd", errno);
        return rc->status;
    }
    struct single st = {.rc = rc};
    srv->drv = &st;
    srv->notify = single_notify;
    int64_t resume_ms = 0;

    while (!rc->stop) {
        bool listening = server_now_ms(srv) >= resume_ms;
        struct pollfd p[3] = {{listening ? rc->lfd : -1, POLLIN, 0}};
        driver_pollfds(srv, rc, p + 1);
        if (poll(p, 3, driver_timeout(srv, rc, listening ? -1 : 100)) < 0) {
            if (errno != EINTR)
                driver_fail(srv, rc, EX_OSERR, "poll", errno);
            continue;
        }
        driver_events(srv, rc, p + 1);
        if (!rc->stop && p[0].revents && !serve_accept(srv, rc->lfd, 1, single_serve))
            resume_ms = server_now_ms(srv) + SERVE_ACCEPT_PAUSE_MS;
    }
    srv->notify = NULL;
    srv->drv = NULL;
    close(rc->wakefd);
    rc->wakefd = -1;
    return rc->status;
}

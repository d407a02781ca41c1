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

#include <errno.h>
#include <sys/eventfd.h>
#include <sysexits.h>
#include <unistd.h>

/* serve_accept()'s start: serves the connection until it leaves. */
static void single_serve(struct server *srv, int fd, const char *addr)
{
    struct client *c = admit_connection(srv, fd, addr);
    if (c == NULL)
        return;
    struct serve_wait w = {.rc = srv->drv};
    serve_blocking(c, &w); /* until it leaves; a signal asks it to */
    serve_close(c);
    client_free(c);
}

/* The one serving thread flushes after every event of its own; others (the
 * admin socket's thread: a say, a kick) poke it through rc->wakefd. */
static _Thread_local bool tls_server_thread;

static void single_notify(struct client *c)
{
    const struct run_ctx *rc = c->srv->drv;
    if (!tls_server_thread && rc->wakefd >= 0)
        serve_wake(rc->wakefd);
}

int mode_single_run(struct server *srv, struct run_ctx *rc)
{
    tls_server_thread = true;
    rc->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (rc->wakefd < 0) {
        driver_fail(srv, rc, EX_OSERR, "eventfd", errno);
        return rc->status;
    }
    srv->drv = rc; /* all the state it has */
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

/* mode_single: the tutorial's server.py. One client at a time: the next one
 * waits in the listen backlog (its connect succeeds, nobody answers) until
 * the current one leaves. Commands work; a chat line is acknowledged and
 * relayed to nobody, because nobody else is being served. That is the
 * honest picture of a single-threaded server, which is the point.
 *
 * The one thread serves the client with serve_blocking(), which also
 * watches the signalfd and the console (struct serve_wait's rc). */
#include "server.h"
#include "serve.h"

#include <errno.h>
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

int mode_single_run(struct server *srv, struct run_ctx *rc)
{
    srv->notify = NULL; /* one thread: it flushes after every event */
    srv->drv = rc;      /* all the state it has */
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
    srv->drv = NULL;
    return rc->status;
}

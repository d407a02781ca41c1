/* serve: what every driver (mode_*.c) shares, so that the drivers differ
 * only in how they wait. Accepting (with the back-off when descriptors run
 * out), the blocking per-connection loop of --mode threads and single, the
 * wake-up eventfd, starting a thread, and stopping: one shutdown log line,
 * one exit status policy. Admission is admit.c; what a connection says is
 * session.c. */
#define _GNU_SOURCE /* ppoll */
#include "server.h"
#include "serve.h"
#include "session.h"
#include "adminsock.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

size_t serve_stack_size(void)
{
#ifdef SOCKCHAT_SANITIZED
    return (size_t)1024 * 1024; /* sanitizers need far more stack */
#else
    /* Line-sized buffers live on the heap (only while used), so the
     * deepest path needs a few KiB of stack; 64 KiB leaves ample room, and
     * only touched pages count towards RSS: about 10 KB per idle client. */
    return (size_t)64 * 1024;
#endif
}

int serve_thread_start(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    int rc = pthread_attr_init(&attr);
    if (rc != 0)
        return rc;
    pthread_attr_setstacksize(&attr, stack);
    /* Signals belong to the main thread (the signalfd): the new thread
     * starts with all of them blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(t, &attr, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    return rc;
}

void serve_wake(int efd)
{
    uint64_t one = 1;
    ssize_t n;
    do {
        n = write(efd, &one, sizeof one);
    } while (n < 0 && errno == EINTR);
}

void serve_wake_drain(int efd)
{
    uint64_t v;
    ssize_t n;
    do {
        n = read(efd, &v, sizeof v);
    } while (n < 0 && errno == EINTR);
}

bool serve_accept(struct server *srv, int lfd, unsigned max,
                  void (*start)(struct server *, int, const char *))
{
    for (unsigned i = 0; i < max; i++) {
        char addr[ADDR_MAX];
        int fd = net_accept(lfd, addr, sizeof addr);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_event(srv, AEV_ERROR, NULL, "accept: %s; pausing for %d ms", strerror(errno),
                          SERVE_ACCEPT_PAUSE_MS);
                return false;
            }
            return true; /* EAGAIN, or the peer already left (ECONNABORTED) */
        }
        start(srv, fd, addr);
    }
    return true;
}

void serve_close(struct client *c)
{
    session_end(c);
    xport_close(c);
}

/* ---- the blocking loop (threads, single) ---- */

/* The poll timeout for the plan's deadline (NULL: none). */
static struct timespec *serve_timeout(int64_t deadline_ms, int64_t now, struct timespec *ts)
{
    if (!deadline_ms)
        return NULL;
    int64_t left = deadline_ms - now;
    if (left < 0)
        left = 0;
    ts->tv_sec = (time_t)(left / 1000);
    ts->tv_nsec = (long)(left % 1000) * 1000000L;
    return ts;
}

/* c's socket was readable. The buffer lives only while there is something
 * to read: an idle thread then holds no page of it, and freed buffers are
 * shared through malloc's arenas instead of one per thread. */
static void serve_read(struct client *c)
{
    char *buf = malloc(READ_CHUNK);
    ssize_t n = buf ? xport_read(c, buf, READ_CHUNK) : -1;
    client_on_read(c, buf, n, n < 0 ? (buf ? errno : ENOMEM) : 0);
    free(buf);
}

void serve_blocking(struct client *c, const struct serve_wait *w)
{
    struct server *srv = c->srv;
    struct run_ctx *rc = w->rc;

    for (;;) {
        /* Cleared before looking at the queue: a push after this sends a
         * new wake-up, a push before it is seen below. */
        if (w->wake_pending)
            atomic_store(w->wake_pending, false);
        int64_t now = server_now_ms(srv);
        struct client_plan plan;
        client_step(c, now, &plan);
        if (plan.done)
            break;

        /* Decrypted bytes waiting inside TLS: no poll would announce them. */
        bool pending = plan.rd && xport_pending(c);
        bool read_on_out = plan.rd && xport_read_on_out(c);
        struct pollfd p[4] = {
            {c->fd, xport_events(c, plan.rd, plan.wr), 0},
            {-1, POLLIN, 0},
            {-1, POLLIN, 0},
            {rc != NULL ? rc->wakefd : -1, POLLIN, 0},
        };
        if (rc != NULL) {
            driver_pollfds(srv, rc, p + 1);
            /* A backgrounded console looks for `fg` now and then. */
            int con_ms = driver_timeout(srv, rc, -1);
            if (con_ms >= 0 && (!plan.deadline_ms || now + con_ms < plan.deadline_ms))
                plan.deadline_ms = now + con_ms;
        }
        int tick = w->tick != NULL ? w->tick(w->tick_arg) : -1;
        if (tick >= 0 && (!plan.deadline_ms || now + tick < plan.deadline_ms))
            plan.deadline_ms = now + tick;
        if (pending)
            plan.deadline_ms = now;
        struct timespec ts;
        if (ppoll(p, 4, serve_timeout(plan.deadline_ms, now, &ts), w->sigmask) < 0) {
            if (errno == EINTR)
                continue; /* woken: new output or a close request */
            client_request_close(c, CLOSE_NOW, "internal error", 0);
            continue;
        }
        if (rc != NULL)
            driver_events(srv, rc, p + 1);
        if (p[3].revents)
            serve_wake_drain(p[3].fd); /* someone queued for c: flushed below */
        if (!plan.rd && !plan.wr && (p[0].revents & (POLLHUP | POLLERR)))
            client_request_close(c, CLOSE_NOW, "lost connection", 0); /* or poll spins */
        if (plan.rd && (pending || (p[0].revents & (POLLIN | POLLHUP | POLLERR)) ||
                        (read_on_out && (p[0].revents & POLLOUT))))
            serve_read(c);
        if (client_has_output(c) && client_flush(c) == FLUSH_ERROR)
            client_request_close(c, CLOSE_NOW, "lost connection", 0);
        session_resume(c); /* input left waiting while the queue was full */
    }
}

/* ---- stopping ---- */

/* Drains rc->sigfd; true (and rc->signo set) when a stop was requested. */
static bool driver_signals(struct run_ctx *rc)
{
    struct signalfd_siginfo si;
    bool any = false;
    ssize_t n;
    while ((n = read(rc->sigfd, &si, sizeof si)) == (ssize_t)sizeof si || (n < 0 && errno == EINTR))
        if (n > 0) {
            /* An admin's quit (adminsock.c) is the operator's, as at the
             * console: told apart from a SIGTERM by someone else. */
            bool admin_quit = si.ssi_code == SI_QUEUE && si.ssi_pid == (uint32_t)getpid() &&
                              si.ssi_int == ADMINSOCK_QUIT_SIGVAL;
            rc->signo = admin_quit ? 0 : (int)si.ssi_signo;
            any = true;
        }
    return any;
}

void driver_pollfds(struct server *srv, struct run_ctx *rc, struct pollfd ctl[2])
{
    ctl[0] = (struct pollfd){rc->sigfd, POLLIN, 0};
    ctl[1] = (struct pollfd){rc->stop ? -1 : console_fd(srv, rc->con), POLLIN, 0};
}

int driver_timeout(struct server *srv, const struct run_ctx *rc, int timeout_ms)
{
    return rc->stop ? timeout_ms : console_timeout(srv, rc->con, timeout_ms);
}

void driver_events(struct server *srv, struct run_ctx *rc, const struct pollfd ctl[2])
{
    if (ctl[0].revents && driver_signals(rc))
        driver_stop(srv, rc);
    if (!rc->stop && ctl[1].revents && console_readable(srv, rc->con))
        driver_stop(srv, rc);
}

const char *driver_stop_reason(const struct run_ctx *rc)
{
    switch (rc->signo) {
    case SIGINT:
        return "the operator pressed Ctrl-C";
    case SIGTERM:
        return "it was told to stop (SIGTERM)";
    case SIGHUP:
        return "its terminal was closed";
    case 0:
        return "the operator typed quit";
    default:
        return "it hit an error (see its log)";
    }
}

void driver_stop(struct server *srv, struct run_ctx *rc)
{
    if (rc->stop)
        return;
    rc->stop = true;
    atomic_store(&srv->stopping, true); /* pool workers drop the listener */
    /* Stop listening before the drain, or the kernel would go on completing
     * handshakes into the backlog for up to SHUTDOWN_FLUSH_MS, and each of
     * those clients would get a reset (and back off longer) instead of a
     * refusal. shutdown(SHUT_RD), not close(): on Linux it takes a listening
     * socket out of service at once (new connections are refused, those in
     * the backlog reset) while the descriptor stays valid. Pool workers may
     * be inside accept() or epoll_ctl() on it right now: they get EINVAL or
     * an EPOLLHUP, never a reused descriptor number, and main() closes it
     * only after every driver thread is gone. */
    if (shutdown(rc->lfd, SHUT_RD) < 0)
        log_event(srv, AEV_ERROR, NULL, "shutdown of the listening socket: %s", strerror(errno));
    unsigned n = registry_count(srv);
    log_event(srv, AEV_INFO, NULL, "shutting down: telling %u client%s", n, plural_s(n));
    registry_shutdown(srv, driver_stop_reason(rc));
}

void driver_fail(struct server *srv, struct run_ctx *rc, int status, const char *what, int err)
{
    log_event(srv, AEV_ERROR, NULL, "%s: %s; stopping", what, strerror(err));
    if (rc->status == 0)
        rc->status = status;
    if (!rc->stop)
        rc->signo = -1; /* for driver_stop_reason(): neither signal nor console */
    driver_stop(srv, rc);
}

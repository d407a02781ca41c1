/* mode_threads: one pthread per client, what the tutorial's
 * server-multi-threaded.py does, done so that no client can stall another.
 *
 * Each client thread polls its socket. Other threads never write to it: they
 * queue bytes and wake its owner with a signal (SIGUSR1, unblocked only
 * inside ppoll(), so none is lost), so writes never interleave and a
 * broadcast never waits for a slow reader. A signal rather than an eventfd
 * because a descriptor per client would halve how many clients fit under
 * RLIMIT_NOFILE. The main thread accepts, runs the console, and joins
 * threads that finished. */
#define _GNU_SOURCE /* eventfd, ppoll */
#include "server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* The client this thread owns: pokes to ourselves need no syscall. */
static _Thread_local struct client *tls_self;

size_t thread_stack_size(void)
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

static void eventfd_poke(int fd)
{
    uint64_t one = 1;
    ssize_t n;
    do {
        n = write(fd, &one, sizeof one);
    } while (n < 0 && errno == EINTR);
}

static void eventfd_drain(int fd)
{
    uint64_t v;
    ssize_t n;
    do {
        n = read(fd, &v, sizeof v);
    } while (n < 0 && errno == EINTR);
}

enum { WAKE_SIGNAL = SIGUSR1 };

static void on_wake(int sig)
{
    (void)sig; /* its only job: make ppoll() return EINTR */
}

static void threads_notify(struct client *c)
{
    if (c == tls_self)
        return; /* the owner flushes after handling its input */
    /* Before the thread is ready it has not looked at its queue yet, and
     * will. After, the flag keeps a broadcast from sending a storm. */
    if (atomic_load(&c->thread_ready) && !atomic_exchange(&c->wake_pending, true))
        pthread_kill(c->self, WAKE_SIGNAL);
}

void client_serve(struct client *c, struct run_ctx *rc)
{
    struct server *srv = c->srv;
    sigset_t waitmask, *wm = NULL;

    if (rc == NULL) { /* a client thread of --mode threads */
        pthread_sigmask(SIG_SETMASK, NULL, &waitmask);
        sigdelset(&waitmask, WAKE_SIGNAL);
        wm = &waitmask;
        c->self = pthread_self();
        atomic_store(&c->thread_ready, true);
    }

    for (;;) {
        /* Cleared before looking at the queue: a push after this sends a
         * new signal, a push before it is seen below. */
        atomic_store(&c->wake_pending, false);
        int64_t now = server_now_ms(srv);
        struct client_plan plan;
        client_plan(c, now, &plan);
        if (plan.done)
            break;

        struct pollfd p[3] = {
            {c->fd, (short)((plan.rd ? POLLIN : 0) | (plan.wr ? POLLOUT : 0)), 0},
            {rc ? rc->sigfd : -1, POLLIN, 0},
            {rc && !rc->stop ? console_fd(srv, rc->con) : -1, POLLIN, 0},
        };
        /* Single mode: a backgrounded console looks for `fg` now and then. */
        int con_ms = rc && !rc->stop ? console_timeout(srv, rc->con, -1) : -1;
        if (con_ms >= 0 && (!plan.deadline_ms || now + con_ms < plan.deadline_ms))
            plan.deadline_ms = now + con_ms;
        struct timespec ts, *tp = NULL;
        if (plan.deadline_ms) {
            int64_t left = plan.deadline_ms - now;
            if (left < 0)
                left = 0;
            ts.tv_sec = (time_t)(left / 1000);
            ts.tv_nsec = (long)(left % 1000) * 1000000L;
            tp = &ts;
        }
        if (ppoll(p, 3, tp, wm) < 0) {
            if (errno == EINTR)
                continue; /* woken: new output or a close request */
            client_request_close(c, CLOSE_NOW, "internal error", 0);
            continue;
        }
        if (rc && p[1].revents && signal_drain(rc))
            server_shutdown(srv, rc);
        if (rc && !rc->stop && p[2].revents && console_readable(srv, rc->con))
            server_shutdown(srv, rc);
        if (!plan.rd && !plan.wr && (p[0].revents & (POLLHUP | POLLERR)))
            client_request_close(c, CLOSE_NOW, "lost connection", 0); /* or poll spins */
        if (plan.rd && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            /* The buffer lives only while there is something to read: an
             * idle thread then holds no page of it, and freed buffers are
             * shared through malloc's arenas instead of one per thread. */
            char *buf = malloc(READ_CHUNK);
            ssize_t n;
            do {
                n = buf ? read(c->fd, buf, READ_CHUNK) : -1;
            } while (n < 0 && errno == EINTR);
            client_on_read(c, buf, n, n < 0 ? (buf ? errno : ENOMEM) : 0);
            free(buf);
        }
        if (client_has_output(c) && client_flush(c) == FLUSH_ERROR)
            client_request_close(c, CLOSE_NOW, "lost connection", 0);
        session_resume(c); /* input left waiting while the queue was full */
    }
}

/* Finished threads wait here for the main thread to join and free them. */
static struct {
    pthread_mutex_t lock;
    struct client *zombies;
    int efd;
    unsigned live;
} reaper = {PTHREAD_MUTEX_INITIALIZER, NULL, -1, 0};

static void *client_thread(void *arg)
{
    struct client *c = arg;
    tls_self = c;
    client_serve(c, NULL);
    session_end(c);
    close(c->fd);
    c->fd = -1;
    pthread_mutex_lock(&reaper.lock);
    c->zombie_next = reaper.zombies;
    reaper.zombies = c;
    pthread_mutex_unlock(&reaper.lock);
    eventfd_poke(reaper.efd);
    return NULL;
}

static void reap(void)
{
    pthread_mutex_lock(&reaper.lock);
    struct client *list = reaper.zombies;
    reaper.zombies = NULL;
    pthread_mutex_unlock(&reaper.lock);
    while (list) {
        struct client *c = list;
        list = c->zombie_next;
        pthread_join(c->thread, NULL);
        client_free(c);
        reaper.live--;
    }
}

static void start_client(struct server *srv, int fd, const char *addr)
{
    struct client *c = server_admit(srv, fd, addr, NULL);
    if (c == NULL)
        return;
    pthread_attr_t attr;
    int rc = -1;
    if (pthread_attr_init(&attr) == 0) {
        pthread_attr_setstacksize(&attr, thread_stack_size());
        /* Signals belong to the main thread (the signalfd). */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        rc = pthread_create(&c->thread, &attr, client_thread, c);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
    }
    if (rc != 0) {
        log_event(srv, c, "refused: cannot start a thread: %s", strerror(rc > 0 ? rc : errno));
        net_refuse(fd, "ERR " ERR_FULL " server cannot take more clients, try again later\n");
        registry_remove(srv, c);
        close(fd);
        client_free(c);
        return;
    }
    reaper.live++;
}

/* Accepts what is waiting. Returns false when out of descriptors, so the
 * caller stops listening for a moment instead of spinning. */
bool accept_batch(struct server *srv, int lfd, void (*start)(struct server *, int, const char *))
{
    for (int i = 0; i < 64; i++) {
        char addr[ADDR_MAX];
        int fd = net_accept(lfd, addr, sizeof addr);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_event(srv, NULL, "accept: %s; pausing for 100 ms", strerror(errno));
                return false;
            }
            return true; /* EAGAIN, or the peer already left (ECONNABORTED) */
        }
        start(srv, fd, addr);
    }
    return true;
}

int mode_threads_run(struct server *srv, struct run_ctx *rc)
{
    reaper.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (reaper.efd < 0) {
        fprintf(stderr, "sockchat-server: eventfd: %s\n", strerror(errno));
        return 71; /* EX_OSERR */
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wake; /* no SA_RESTART: ppoll must return */
    sigemptyset(&sa.sa_mask);
    sigaction(WAKE_SIGNAL, &sa, NULL);
    srv->notify = threads_notify;
    int64_t resume_ms = 0, stop_deadline = 0;

    for (;;) {
        int64_t now = server_now_ms(srv);
        if (rc->stop && reaper.live == 0)
            break;
        /* Threads close themselves within SHUTDOWN_FLUSH_MS; this is only a
         * guard against a bug turning shutdown into a hang. */
        if (rc->stop && now > stop_deadline)
            break;
        bool listening = !rc->stop && now >= resume_ms;
        struct pollfd p[4] = {
            {listening ? rc->lfd : -1, POLLIN, 0},
            {rc->sigfd, POLLIN, 0},
            {reaper.efd, POLLIN, 0},
            {rc->stop ? -1 : console_fd(srv, rc->con), POLLIN, 0},
        };
        int timeout = rc->stop || !listening ? 100 : console_timeout(srv, rc->con, -1);
        if (poll(p, 4, timeout) < 0 && errno != EINTR)
            break;
        bool stop = false;
        if (p[1].revents && signal_drain(rc))
            stop = true;
        if (!rc->stop && p[3].revents && console_readable(srv, rc->con))
            stop = true;
        if (stop && !rc->stop) {
            stop_deadline = server_now_ms(srv) + SHUTDOWN_FLUSH_MS + LINGER_MS + 2000;
            server_shutdown(srv, rc);
        }
        if (p[2].revents) {
            eventfd_drain(reaper.efd);
            reap();
        }
        if (!rc->stop && p[0].revents && !accept_batch(srv, rc->lfd, start_client))
            resume_ms = server_now_ms(srv) + 100;
    }
    reap();
    if (reaper.live > 0) {
        /* Should not happen; leave rather than hang, and say so. */
        fprintf(stderr, "sockchat-server: %u client threads did not finish\n", reaper.live);
        return 70; /* EX_SOFTWARE */
    }
    close(reaper.efd);
    return 0;
}

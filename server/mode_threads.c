/* mode_threads: one pthread per client, what the tutorial's
 * server-multi-threaded.py does, done so that no client can stall another.
 *
 * Each client thread runs serve_blocking() on its socket. Another thread
 * with something for it (a broadcast, a private message) writes it to the
 * socket itself when the client's queue is empty and the socket takes it
 * all at once, with a non-blocking send() under the client's lock
 * (client.c): the common case, a receiver that keeps up, then costs no
 * wake-up of the receiver's thread. Otherwise it queues the bytes (or what
 * did not fit) and wakes the owner with a signal (SIGUSR1, unblocked only
 * inside ppoll(), so none is lost), which writes the queue in order; so
 * writes never interleave and a broadcast never waits for a slow reader.
 * A signal rather than an eventfd because a descriptor per client would
 * halve how many clients fit under RLIMIT_NOFILE. The main thread accepts,
 * runs the console, and joins threads that finished. */
#define _GNU_SOURCE /* eventfd */
#include "server.h"
#include "serve.h"
#include "tracelog.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sysexits.h>
#include <unistd.h>

enum { WAKE_SIGNAL = SIGUSR1 };

/* What a client carries for this driver (c->drv). */
struct thread_conn {
    atomic_bool wake_pending; /* a wake-up signal is in flight */
    atomic_bool ready;        /* `self` is set, signals may be sent */
    pthread_t self;           /* the owner, as it sees itself */
    pthread_t thread;         /* the same, as main sees it (for join) */
    struct client *zombie_next;
};

/* The driver (srv->drv). Finished threads wait on `zombies` for the main
 * thread to join and free them. */
struct threads {
    pthread_mutex_t lock; /* guards zombies */
    struct client *zombies;
    int efd;       /* poked when a thread finished */
    unsigned live; /* main thread only */
};

/* The client this thread owns: pokes to ourselves need no syscall. */
static _Thread_local struct client *tls_self;

static void on_wake(int sig)
{
    (void)sig; /* its only job: make ppoll() return EINTR */
}

static void threads_adopt(struct client *c)
{
    struct thread_conn *tc = c->drv;
    atomic_init(&tc->wake_pending, false);
    atomic_init(&tc->ready, false);
}

static void threads_notify(struct client *c)
{
    struct thread_conn *tc = c->drv;
    if (c == tls_self)
        return; /* the owner flushes after handling its input */
    /* Before the thread is ready it has not looked at its queue yet, and
     * will. After, the flag keeps a broadcast from sending a storm. */
    if (atomic_load(&tc->ready) && !atomic_exchange(&tc->wake_pending, true))
        pthread_kill(tc->self, WAKE_SIGNAL);
}

/* Everyone but the owner: the owner's own replies are queued and go out
 * in one write after it has handled its input. */
static bool threads_direct(const struct client *c)
{
    return c != tls_self;
}

static void *client_thread(void *arg)
{
    struct client *c = arg;
    struct thread_conn *tc = c->drv;
    struct threads *t = c->srv->drv;
    sigset_t waitmask;

    tls_self = c;
    pthread_sigmask(SIG_SETMASK, NULL, &waitmask);
    sigdelset(&waitmask, WAKE_SIGNAL);
    tc->self = pthread_self();
    /* What `ps -L` and `top -H` call this thread: the admin roster's worker. */
    atomic_store_explicit(&c->worker, (int)syscall(SYS_gettid), memory_order_relaxed);
    atomic_store(&tc->ready, true);
    tracelog_accept(c, -1);
    struct serve_wait w = {.sigmask = &waitmask, .wake_pending = &tc->wake_pending};
    serve_blocking(c, &w);
    serve_close(c);
    pthread_mutex_lock(&t->lock);
    tc->zombie_next = t->zombies;
    t->zombies = c;
    pthread_mutex_unlock(&t->lock);
    serve_wake(t->efd);
    return NULL;
}

static void threads_reap(struct threads *t)
{
    pthread_mutex_lock(&t->lock);
    struct client *list = t->zombies;
    t->zombies = NULL;
    pthread_mutex_unlock(&t->lock);
    while (list) {
        struct client *c = list;
        struct thread_conn *tc = c->drv;
        list = tc->zombie_next;
        pthread_join(tc->thread, NULL);
        client_free(c);
        t->live--;
    }
}

static void threads_start(struct server *srv, int fd, const char *addr)
{
    struct threads *t = srv->drv;
    struct client *c = admit_connection(srv, fd, addr);
    if (c == NULL)
        return;
    struct thread_conn *tc = c->drv;
    int rc = serve_thread_start(&tc->thread, serve_stack_size(), client_thread, c);
    if (rc != 0) {
        log_event(srv, AEV_ERROR, c, "refused: cannot start a thread: %s", strerror(rc));
        net_refuse(fd, "ERR " ERR_FULL " server cannot take more clients, try again later\n");
        registry_remove(srv, c);
        close(fd);
        client_free(c);
        return;
    }
    t->live++;
}

/* One round of the main thread: wait, then accept, reap and obey. */
static void threads_round(struct server *srv, struct run_ctx *rc, struct threads *t,
                          int64_t *resume_ms)
{
    bool listening = !rc->stop && server_now_ms(srv) >= *resume_ms;
    struct pollfd p[4] = {
        {listening ? rc->lfd : -1, POLLIN, 0},
        {t->efd, POLLIN, 0},
    };
    driver_pollfds(srv, rc, p + 2);
    int timeout = driver_timeout(srv, rc, rc->stop || !listening ? 100 : -1);
    if (poll(p, 4, timeout) < 0) {
        if (errno != EINTR) {
            driver_fail(srv, rc, EX_OSERR, "poll", errno);
            poll(NULL, 0, 100); /* threads may still be closing: do not spin */
        }
        return;
    }
    driver_events(srv, rc, p + 2);
    if (p[1].revents) {
        serve_wake_drain(t->efd);
        threads_reap(t);
    }
    if (!rc->stop && p[0].revents && !serve_accept(srv, rc->lfd, 64, threads_start))
        *resume_ms = server_now_ms(srv) + SERVE_ACCEPT_PAUSE_MS;
}

int mode_threads_run(struct server *srv, struct run_ctx *rc)
{
    /* On the heap: if threads failed to finish, they still use it. */
    struct threads *t = calloc(1, sizeof *t);
    if (t == NULL) {
        driver_fail(srv, rc, EX_OSERR, "threads driver", ENOMEM);
        return rc->status;
    }
    t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (t->efd < 0) {
        driver_fail(srv, rc, EX_OSERR, "eventfd", errno);
        free(t);
        return rc->status;
    }
    pthread_mutex_init(&t->lock, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_wake; /* no SA_RESTART: ppoll must return */
    sigemptyset(&sa.sa_mask);
    sigaction(WAKE_SIGNAL, &sa, NULL);
    srv->drv = t;
    srv->drv_conn_size = sizeof(struct thread_conn);
    srv->drv_adopt = threads_adopt;
    srv->notify = threads_notify;
    srv->drv_direct = threads_direct;
    int64_t resume_ms = 0, stop_deadline = 0;

    /* Threads close themselves within SHUTDOWN_FLUSH_MS; the deadline is
     * only a guard against a bug turning shutdown into a hang. */
    while (!rc->stop || (t->live > 0 && server_now_ms(srv) <= stop_deadline)) {
        bool stopped = rc->stop;
        threads_round(srv, rc, t, &resume_ms);
        if (rc->stop && !stopped)
            stop_deadline = server_now_ms(srv) + SHUTDOWN_FLUSH_MS + LINGER_MS + 2000;
    }
    threads_reap(t);
    if (t->live > 0) {
        /* Should not happen; leave rather than hang, and say so. The
         * threads still use t: it is not freed. */
        log_event(srv, AEV_ERROR, NULL, "%u client threads did not finish", t->live);
        return EX_SOFTWARE;
    }
    close(t->efd);
    pthread_mutex_destroy(&t->lock);
    free(t);
    srv->drv = NULL;
    srv->drv_direct = NULL;
    return rc->status;
}

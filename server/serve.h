/* serve: the drivers (mode_*.c), what they share (serve.c), and admission
 * (admit.c). */
#ifndef SOCKCHAT_SERVE_H
#define SOCKCHAT_SERVE_H

#include "server.h"

struct run_ctx {
    int lfd;
    int sigfd; /* signalfd: readable when SIGINT/SIGTERM/SIGHUP arrived */
    int signo; /* the last of them, for the log; -1: a failure stopped it */
    struct console *con;
    bool stop;  /* set by driver_stop(): a signal, the console or a failure */
    int status; /* the exit status (sysexits.h): 0, or what driver_fail() set */
    /* Single mode: an eventfd that other threads (the admin socket's) poke
     * when they queued for the one client; -1: none. */
    int wakefd;
};
/* The drivers: each serves until stopped, and returns rc->status. */
int mode_threads_run(struct server *srv, struct run_ctx *rc);
int mode_single_run(struct server *srv, struct run_ctx *rc);
int mode_pool_run(struct server *srv, struct run_ctx *rc);

/* Stack size for our threads: small on purpose (RSS per client). */
size_t serve_stack_size(void);
/* pthread_create with every signal blocked in the new thread (they belong
 * to the main thread's signalfd). 0 or an errno value. */
int serve_thread_start(pthread_t *t, size_t stack, void *(*fn)(void *), void *arg);
/* Wakes whoever polls the eventfd efd; and, for them, empties it. */
void serve_wake(int efd);
void serve_wake_drain(int efd);
/* When out of descriptors, stop listening this long (no spin). */
enum { SERVE_ACCEPT_PAUSE_MS = 100 };
/* Accepts up to max waiting connections, handing each to start(). False
 * when out of descriptors: the caller stops listening for
 * SERVE_ACCEPT_PAUSE_MS. */
bool serve_accept(struct server *srv, int lfd, unsigned max,
                  void (*start)(struct server *, int, const char *));
/* The owner's last step with c: leave, unregister, log, close its socket.
 * Does not free. */
void serve_close(struct client *c);
/* How a blocking owner waits, besides c's socket. */
struct serve_wait {
    const sigset_t *sigmask;   /* ppoll's: unblocks the wake-up signal; NULL: none */
    atomic_bool *wake_pending; /* cleared before each look at the queue; NULL: none */
    struct run_ctx *rc;        /* single mode: the signalfd and console too; NULL: none */
    /* Called before each wait; returns the longest that wait may be (ms),
     * -1: no limit. Single mode's --trace watches its backlog so. */
    int (*tick)(void *arg);
    void *tick_arg;
};
/* The blocking drivers' per-client loop (threads, single): serves c until
 * it is to be closed. */
void serve_blocking(struct client *c, const struct serve_wait *w);

/* The driver's control descriptors, polled next to its own: ctl[0] the
 * signalfd, ctl[1] the console (-1 once stopping). */
void driver_pollfds(struct server *srv, struct run_ctx *rc, struct pollfd ctl[2]);
/* A poll timeout (ms, -1: none) lowered for the console (see console.c). */
int driver_timeout(struct server *srv, const struct run_ctx *rc, int timeout_ms);
/* After the poll: a signal or the console's quit stops the server. */
void driver_events(struct server *srv, struct run_ctx *rc, const struct pollfd ctl[2]);
/* Why the server stops, for the SHUTDOWN notice (rc->signo, or the console). */
const char *driver_stop_reason(const struct run_ctx *rc);
/* Every shutdown's first step, once (sets rc->stop): the listener stops
 * taking connections, the log says so, everyone is told. */
void driver_stop(struct server *srv, struct run_ctx *rc);
/* A failure the driver cannot serve on (what: the call, err: its errno):
 * logged, the exit status set to status (the first one stays), then
 * driver_stop(). */
void driver_fail(struct server *srv, struct run_ctx *rc, int status, const char *what, int err);

/* admit.c: the accepted connection turned into a client, which the driver
 * serves like any other. A refused one (--allow, a ban, a full server) is a
 * client too, with c->refusal set: it is told in its own dialect and
 * closed (see enum refusal). NULL, fd closed: refused at once. */
struct client *admit_connection(struct server *srv, int fd, const char *addr);
/* The ERR code and text of c's refusal. */
void refusal_describe(const struct client *c, const char **code, char *text, size_t cap);

#endif

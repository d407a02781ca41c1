#define _GNU_SOURCE /* SOCK_NONBLOCK, EAI_ADDRFAMILY */
/* net: connect, reconnect backoff and raw socket I/O for the client. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

/* A name lookup on a thread of its own. The thread owns `wfd`; the loop
 * polls `rfd` and collects the result once a byte arrives. A lookup given
 * up on (a timeout, /connect elsewhere, quitting) cannot be cancelled:
 * whichever side comes last frees the job. */
struct net_lookup {
    pthread_mutex_t lock;
    pthread_t thread;
    bool done, abandoned;
    int rfd, wfd;
    net_resolver *resolve;
    int rc;
    struct addrinfo *list;
    char host[256], port[32];
};

static int lookup_run(net_resolver *resolve, const char *host, const char *port, int flags,
                      struct addrinfo **out)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | flags;
    int rc = resolve(host, port, &hints, out);
    if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY) {
        /* AI_ADDRCONFIG hides ::1 on hosts with no IPv6 address. */
        hints.ai_flags = flags;
        rc = resolve(host, port, &hints, out);
    }
    if (rc != 0)
        *out = NULL;
    return rc;
}

static void lookup_free(struct net_lookup *j)
{
    if (j->list)
        freeaddrinfo(j->list);
    if (j->rfd >= 0)
        close(j->rfd);
    if (j->wfd >= 0)
        close(j->wfd);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

static void *lookup_main(void *arg)
{
    struct net_lookup *j = arg;
    struct addrinfo *list;
    int rc = lookup_run(j->resolve, j->host, j->port, 0, &list);
    pthread_mutex_lock(&j->lock);
    j->rc = rc;
    j->list = list;
    j->done = true;
    bool abandoned = j->abandoned;
    pthread_mutex_unlock(&j->lock);
    if (abandoned) {
        lookup_free(j); /* the loop has closed rfd */
        return NULL;
    }
    /* The loop joins before it closes rfd, so this cannot hit a closed
     * pipe. */
    char one = 1;
    while (write(j->wfd, &one, 1) < 0 && errno == EINTR)
        ;
    return NULL;
}

static void lookup_abandon(struct net_lookup *j)
{
    pthread_mutex_lock(&j->lock);
    j->abandoned = true;
    bool done = j->done;
    pthread_t t = j->thread;
    if (!done) {
        close(j->rfd);
        j->rfd = -1; /* the rest is the thread's to free, maybe at once */
    }
    pthread_mutex_unlock(&j->lock);
    if (done) {
        pthread_join(t, NULL);
        lookup_free(j);
    } else {
        pthread_detach(t);
    }
}

/* Starts the lookup thread; -1 with errno set when it cannot. */
static int lookup_start(struct net *n, const char *host, const char *port)
{
    struct net_lookup *j = calloc(1, sizeof(*j));
    int fds[2];
    if (j == NULL)
        return -1;
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
        free(j);
        return -1;
    }
    pthread_mutex_init(&j->lock, NULL);
    j->rfd = fds[0];
    j->wfd = fds[1];
    j->resolve = n->resolve;
    snprintf(j->host, sizeof(j->host), "%s", host);
    snprintf(j->port, sizeof(j->port), "%s", port);
    /* Signals are the loop's business: the thread must not take them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&j->thread, NULL, lookup_main, j);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        lookup_free(j);
        errno = rc;
        return -1;
    }
    n->lookup = j;
    n->fd = j->rfd;
    n->resolving = true;
    n->connecting = true;
    return 0;
}

static int64_t clock_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void net_init(struct net *n)
{
    memset(n, 0, sizeof(*n));
    n->fd = -1;
    n->backoff_s = 1;
    n->resolve = getaddrinfo;
    n->clock = clock_monotonic_ms;
    n->nodelay = -1;
}

/* The connection is made: the wire's times count from here. */
static void on_connected(struct net *n)
{
    n->connected_ms = n->clock();
    n->next_write_ms = 0;
    n->answered = false;
    if (n->wire)
        wire_add(n->wire, WIRE_CONNECT, 0, NULL, 0);
}

/* TCP is connected: with TLS the handshake starts (connecting goes on
 * until it is done, under a deadline of its own); without, that is all. */
static int tcp_connected(struct net *n, int64_t now_ms)
{
    if (n->tls_ctx == NULL) {
        n->connecting = false;
        on_connected(n);
        return 0;
    }
    n->ssl = tls_new(n->tls_ctx, n->fd, n->tls_host, n->last_err, sizeof(n->last_err));
    if (n->ssl == NULL)
        return -1;
    n->connecting = true;
    n->handshaking = true;
    n->tls_want = POLLOUT;
    n->deadline_ms = now_ms + NET_CONNECT_TIMEOUT_MS;
    return 0;
}

/* --nodelay: Nagle's algorithm off (1) or on (0), before connecting.
 * Returns -1 with n->last_err set when the socket refuses. */
static int apply_nodelay(struct net *n, int fd)
{
    if (n->nodelay < 0)
        return 0;
    int on = n->nodelay;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0) {
        snprintf(n->last_err, sizeof(n->last_err), "setsockopt TCP_NODELAY %d: %s", on,
                 strerror(errno));
        return -1;
    }
    return 0;
}

void net_close(struct net *n)
{
    if (n->resolving) {
        lookup_abandon(n->lookup); /* it owns (or has closed) n->fd */
        n->lookup = NULL;
        n->resolving = false;
        n->fd = -1;
    }
    if (n->ssl)
        tls_free(n->ssl);
    n->ssl = NULL;
    n->handshaking = false;
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
    n->connecting = false;
    if (n->ai_list)
        freeaddrinfo(n->ai_list);
    n->ai_list = NULL;
    n->ai_next = NULL;
    n->ai_left = 0;
}

void net_shutdown_write(struct net *n)
{
    if (n->fd < 0 || n->connecting)
        return;
    if (n->ssl)
        tls_close_notify(n->ssl);
    shutdown(n->fd, SHUT_WR);
}

/* Starts a non-blocking connect to the next address; loops over the ones
 * that fail at once. Returns 0 when an attempt is under way or done. */
static int try_next(struct net *n, int64_t now_ms)
{
    while (n->ai_left > 0 && n->ai_next) {
        struct addrinfo *ai = n->ai_next;
        n->ai_next = ai->ai_next ? ai->ai_next : n->ai_list; /* round the ring */
        n->ai_index =
            n->ai_left == n->ai_count ? n->ai_first % n->ai_count : (n->ai_index + 1) % n->ai_count;
        n->ai_left--;
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, n->addr_text, sizeof(n->addr_text), NULL, 0,
                        NI_NUMERICHOST) != 0)
            n->addr_text[0] = '\0';
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(n->last_err, sizeof(n->last_err), "socket: %s", strerror(errno));
            continue;
        }
        if (apply_nodelay(n, fd) < 0) {
            close(fd);
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            n->fd = fd;
            if (tcp_connected(n, now_ms) == 0)
                return 0;
            close(fd);
            n->fd = -1;
            continue;
        }
        if (errno == EINPROGRESS) {
            n->fd = fd;
            n->connecting = true;
            n->deadline_ms = now_ms + NET_CONNECT_TIMEOUT_MS;
            return 0;
        }
        snprintf(n->last_err, sizeof(n->last_err), "connect: %s", strerror(errno));
        close(fd);
    }
    return -1;
}

static int resolve_error(const char *host, int rc, char *err, size_t errlen)
{
    snprintf(err, errlen, "resolve %s: %s", host, gai_strerror(rc));
    /* A name that does not exist will not start existing by retrying; a
     * DNS hiccup (EAI_AGAIN) might. */
    return rc == EAI_NONAME || rc == EAI_SERVICE ? -2 : -1;
}

/* Connects to the first address of n->ai_list that takes an attempt. */
static int start_addresses(struct net *n, int64_t now_ms, char *err, size_t errlen)
{
    n->ai_count = 0;
    for (struct addrinfo *ai = n->ai_list; ai; ai = ai->ai_next)
        n->ai_count++;
    n->ai_left = n->ai_count;
    n->ai_next = n->ai_list;
    for (unsigned i = 0; n->ai_count && i < n->ai_first % n->ai_count; i++)
        n->ai_next = n->ai_next->ai_next;
    n->last_err[0] = '\0';
    if (try_next(n, now_ms) < 0) {
        snprintf(err, errlen, "%s", n->last_err[0] ? n->last_err : "no address");
        net_close(n);
        return -1;
    }
    return 0;
}

int net_start(struct net *n, const char *host, const char *port, int64_t now_ms, char *err,
              size_t errlen)
{
    net_close(n);
    n->ai_count = 0;
    n->addr_text[0] = '\0';
    n->tls_version[0] = '\0';
    n->tls_cert = false;
    snprintf(n->tls_host, sizeof(n->tls_host), "%s", host);
    /* A numeric address (the common case in a classroom) needs no DNS:
     * resolved here, at once. */
    int rc = lookup_run(getaddrinfo, host, port, AI_NUMERICHOST, &n->ai_list);
    if (rc == 0)
        return start_addresses(n, now_ms, err, errlen);
    if (rc != EAI_NONAME)
        return resolve_error(host, rc, err, errlen);
    if (lookup_start(n, host, port) < 0) {
        snprintf(err, errlen, "resolve %s: cannot start a lookup: %s", host, strerror(errno));
        return -1;
    }
    n->deadline_ms = now_ms + NET_RESOLVE_TIMEOUT_MS;
    return 0;
}

/* The lookup thread has answered (or timed_out): take its addresses. */
static int finish_lookup(struct net *n, int64_t now_ms, bool timed_out, char *err, size_t errlen)
{
    struct net_lookup *j = n->lookup;
    pthread_mutex_lock(&j->lock);
    bool done = j->done;
    pthread_mutex_unlock(&j->lock);
    if (!done && !timed_out)
        return 0; /* woken early: keep waiting */
    char host[sizeof(j->host)];
    snprintf(host, sizeof(host), "%s", j->host);
    if (!done) {
        net_close(n);
        snprintf(err, errlen, "resolve %s: no answer in %d s", host, NET_RESOLVE_TIMEOUT_MS / 1000);
        return -1;
    }
    pthread_join(j->thread, NULL);
    int rc = j->rc;
    n->ai_list = j->list;
    j->list = NULL;
    lookup_free(j); /* closes n->fd, the pipe */
    n->lookup = NULL;
    n->resolving = false;
    n->connecting = false;
    n->fd = -1;
    if (rc != 0) {
        net_close(n);
        return resolve_error(host, rc, err, errlen);
    }
    if (start_addresses(n, now_ms, err, errlen) < 0)
        return -1;
    return n->connecting ? 0 : 1;
}

short net_poll_events(const struct net *n, bool want_write)
{
    if (n->resolving)
        return POLLIN;
    if (n->handshaking)
        return n->tls_want;
    if (n->connecting)
        return POLLOUT;
    /* A TLS read that must write first (a key update) waits for POLLOUT. */
    bool tls_out = n->ssl && n->tls_want == POLLOUT;
    return (short)(POLLIN | (want_write || tls_out ? POLLOUT : 0));
}

/* One step of the TLS handshake: 1 done, 0 not yet, -1 this address
 * failed (try the next), -3 refused for good (net.h). */
static int handshake_step(struct net *n, bool timed_out, char *err, size_t errlen)
{
    int rc = 0;
    if (timed_out) {
        n->tls_fail = TLS_FAIL_IO;
        snprintf(n->last_err, sizeof(n->last_err), "tls handshake: timed out");
        rc = -1;
    } else {
        rc = tls_handshake(n->ssl, &n->tls_want, &n->tls_fail, n->last_err, sizeof(n->last_err));
    }
    if (rc == 1) {
        n->handshaking = false;
        n->connecting = false;
        n->tls_want = POLLIN;
        n->tls_cert = tls_peer(n->ssl, n->tls_version, sizeof(n->tls_version), n->tls_sha) == 0;
        on_connected(n);
        return 1;
    }
    if (rc == 0)
        return 0;
    tls_free(n->ssl);
    n->ssl = NULL;
    n->handshaking = false;
    if (n->tls_fail != TLS_FAIL_IO) {
        snprintf(err, errlen, "%s", n->last_err);
        net_close(n);
        return -3;
    }
    return -1;
}

/* This address failed (n->last_err says how): the next one, as
 * net_finish returns it. */
static int next_address(struct net *n, int64_t now_ms, char *err, size_t errlen)
{
    close(n->fd);
    n->fd = -1;
    n->connecting = false;
    if (try_next(n, now_ms) == 0)
        return n->connecting ? 0 : 1;
    snprintf(err, errlen, "%s", n->last_err);
    net_close(n);
    return -1;
}

int net_finish(struct net *n, int64_t now_ms, bool timed_out, char *err, size_t errlen)
{
    if (n->resolving)
        return finish_lookup(n, now_ms, timed_out, err, errlen);
    if (n->handshaking) {
        int rc = handshake_step(n, timed_out, err, errlen);
        if (rc >= 0 || rc == -3)
            return rc;
        return next_address(n, now_ms, err, errlen);
    }
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (timed_out) {
        snprintf(n->last_err, sizeof(n->last_err), "connect: timed out");
    } else if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
        snprintf(n->last_err, sizeof(n->last_err), "getsockopt: %s", strerror(errno));
    } else if (soerr == 0) {
        if (tcp_connected(n, now_ms) == 0) {
            if (!n->handshaking)
                return 1;
            int rc = handshake_step(n, false, err, errlen);
            if (rc != -1)
                return rc; /* else this address failed: the next one */
        }
    } else {
        snprintf(n->last_err, sizeof(n->last_err), "connect: %s", strerror(soerr));
    }
    return next_address(n, now_ms, err, errlen);
}

unsigned net_backoff_next(struct net *n)
{
    unsigned d = n->backoff_s;
    n->backoff_s = n->backoff_s * 2 > NET_BACKOFF_MAX_S ? NET_BACKOFF_MAX_S : n->backoff_s * 2;
    return d;
}

void net_backoff_reset(struct net *n)
{
    n->backoff_s = 1;
}

ssize_t net_read(struct net *n, char *buf, size_t cap)
{
    ssize_t r;
    if (n->ssl)
        r = tls_read(n->ssl, buf, cap, &n->tls_want, n->last_err, sizeof(n->last_err));
    else
        do {
            r = read(n->fd, buf, cap);
        } while (r < 0 && errno == EINTR);
    if (n->wire && r >= 0)
        wire_add(n->wire, WIRE_READ, n->clock() - n->connected_ms, buf, (size_t)r);
    if (r > 0)
        n->answered = true;
    return r;
}

static ssize_t send_now(struct net *n, const char *buf, size_t len)
{
    ssize_t r;
    if (n->ssl)
        return tls_write(n->ssl, buf, len, &n->tls_want, n->last_err, sizeof(n->last_err));
    do {
        r = send(n->fd, buf, len, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r;
}

/* A write with the wire view on or --chunk: paced, cut, recorded. */
static ssize_t write_watched(struct net *n, const char *buf, size_t len)
{
    int64_t now = n->clock();
    if (n->chunk && n->answered) {
        if (now < n->next_write_ms) {
            errno = EAGAIN; /* the caller waits as for a full socket */
            return -1;
        }
        if (len > n->chunk)
            len = n->chunk;
    }
    ssize_t r = send_now(n, buf, len);
    if (r > 0 && n->chunk && n->answered)
        n->next_write_ms = now + n->chunk_ms;
    if (n->wire && r >= 0)
        wire_add(n->wire, WIRE_WRITE, now - n->connected_ms, buf, (size_t)r);
    return r;
}

ssize_t net_write(struct net *n, const char *buf, size_t len)
{
    if (n->wire || n->chunk)
        return write_watched(n, buf, len);
    return send_now(n, buf, len);
}

int64_t net_write_wait(const struct net *n)
{
    if (!n->chunk || !n->answered)
        return 0;
    int64_t d = n->next_write_ms - n->clock();
    return d > 0 ? d : 0;
}

bool net_pending(const struct net *n)
{
    return n->ssl && !n->handshaking && tls_pending(n->ssl);
}

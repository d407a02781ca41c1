/* loop: the connections and the one epoll loop that drives them.
 *
 * Level-triggered epoll: a connection asks for EPOLLOUT only while a connect
 * is in progress or bytes wait in its out buffer, so an idle socket costs no
 * wake-ups. Lines are framed by proto's linebuf; the tutorial's raw dialect
 * has no framing, so its fixed reply is counted out of the byte stream. */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"

enum { EVENTS_MAX = 512, BENCH_READ_CHUNK = 65536 };

uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void bench_error(struct bench *b, const char *fmt, ...)
{
    if (b->errors++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(b->first_error, sizeof b->first_error, fmt, ap);
        va_end(ap);
    }
}

int bench_init(struct bench *b, const struct bench_options *opt, size_t nconns)
{
    memset(b, 0, sizeof *b);
    b->opt = opt;
    b->ep = epoll_create1(EPOLL_CLOEXEC);
    if (b->ep < 0) {
        fprintf(stderr, "sockchat-bench: epoll_create1: %s\n", strerror(errno));
        return -1;
    }
    b->conns = calloc(nconns, sizeof *b->conns);
    if (!b->conns) {
        fprintf(stderr, "sockchat-bench: out of memory for %zu connections\n", nconns);
        close(b->ep);
        return -1;
    }
    b->nconns = nconns;
    for (size_t i = 0; i < nconns; i++) {
        b->conns[i].fd = -1;
        b->conns[i].index = (unsigned)i;
    }
    b->run_id = (clock_ns() ^ (uint64_t)getpid() << 20) % 1000000007u;
    return 0;
}

/* Leaves a state, keeping the per-state counters right. */
static void state_leave(struct bench *b, struct conn *c)
{
    switch (c->state) {
    case CONN_CONNECTING:
        b->connecting--;
        break;
    case CONN_HANDSHAKE:
        b->handshaking--;
        break;
    case CONN_READY:
        b->ready--;
        break;
    case CONN_FREE:
    case CONN_CLOSED:
        break;
    }
}

static void state_set(struct bench *b, struct conn *c, enum conn_state s)
{
    state_leave(b, c);
    c->state = s;
    switch (s) {
    case CONN_CONNECTING:
        b->connecting++;
        break;
    case CONN_HANDSHAKE:
        b->handshaking++;
        break;
    case CONN_READY:
        b->ready++;
        break;
    case CONN_FREE:
    case CONN_CLOSED:
        break;
    }
}

void conn_close(struct bench *b, struct conn *c)
{
    if (c->fd >= 0) {
        /* An abortive close (RST) leaves no TIME_WAIT behind, so runs of
         * 10,000 connections back to back do not exhaust local ports. */
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        btls_close(c);
        close(c->fd);
        c->fd = -1;
    }
    if (c->state != CONN_FREE && c->state != CONN_CLOSED)
        state_set(b, c, CONN_CLOSED);
    linebuf_free(&c->lb);
    free(c->out);
    c->out = NULL;
    c->out_len = 0;
}

void bench_free(struct bench *b)
{
    for (size_t i = 0; i < b->nconns; i++)
        conn_close(b, &b->conns[i]);
    free(b->conns);
    if (b->ep >= 0)
        close(b->ep);
    b->ep = -1;
}

static int want_events(struct bench *b, struct conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    return epoll_ctl(b->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

int conn_open(struct bench *b, struct conn *c)
{
    size_t k = ports_pick(c, b->naddr);
    int fd = socket(b->addr[k].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        bench_error(b, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&b->addr[k], b->addrlen[k]) < 0 && errno != EINPROGRESS) {
        bench_error(b, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    if (epoll_ctl(b->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        bench_error(b, "epoll_ctl: %s", strerror(errno));
        close(fd);
        return -1;
    }
    c->fd = fd;
    /* ncat greets with one line listing everyone already connected. */
    linebuf_init(&c->lb, b->opt->dialect == BENCH_NCAT ? NCAT_LINE_LIMIT : BENCH_LINE_LIMIT);
    c->raw_have = 0;
    c->out_len = 0;
    c->sent_ns = 0;
    state_set(b, c, CONN_CONNECTING);
    return 0;
}

/* Sends what the kernel takes of data[0..len) now. Returns the bytes sent,
 * or -1 after a fatal error (reported, and the connection closed). */
static ssize_t send_some(struct bench *b, struct conn *c, const char *data, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = c->ssl ? btls_send(b, c, data + done, len - done)
                           : send(c->fd, data + done, len - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            if (errno != EPROTO) /* TLS failures are reported by tls.c */
                bench_error(b, "send on connection %u: %s", c->index, strerror(errno));
            conn_close(b, c);
            b->closed++;
            return -1;
        }
    }
    return (ssize_t)done;
}

int conn_send(struct bench *b, struct conn *c, const char *data, size_t len)
{
    if (c->fd < 0)
        return -1;
    size_t done = 0;
    if (c->out_len == 0) {
        ssize_t n = send_some(b, c, data, len);
        if (n < 0)
            return -1;
        done = (size_t)n;
        if (done == len)
            return 0;
    }
    /* The kernel's buffer is full: keep the rest and wait for EPOLLOUT. */
    if (!c->out && !(c->out = malloc(BENCH_OUT_CAP))) {
        bench_error(b, "out of memory for an out buffer");
        return -1;
    }
    if (c->out_len + (len - done) > BENCH_OUT_CAP) {
        bench_error(b, "connection %u: server not reading, out buffer full", c->index);
        return -1;
    }
    memcpy(c->out + c->out_len, data + done, len - done);
    c->out_len += len - done;
    return want_events(b, c, EPOLLIN | EPOLLOUT);
}

void conn_ready(struct bench *b, struct conn *c)
{
    state_set(b, c, CONN_READY);
}

static void conn_tls_step(struct bench *b, struct conn *c);
static void conn_greet(struct bench *b, struct conn *c);

static void conn_connected(struct bench *b, struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err != 0) {
        bench_error(b, "connect: %s", strerror(err));
        conn_close(b, c);
        b->closed++;
        return;
    }
    if (b->tls_ctx) {
        if (btls_attach(b, c) < 0) {
            conn_close(b, c);
            b->closed++;
            return;
        }
        conn_tls_step(b, c);
        return;
    }
    conn_greet(b, c);
}

/* The TLS handshake, as far as the socket allows now: the connection stays
 * CONNECTING until it is done (the window counts it as in flight). */
static void conn_tls_step(struct bench *b, struct conn *c)
{
    uint32_t events = 0;
    int r = btls_handshake(b, c, &events);
    if (r < 0) {
        conn_close(b, c);
        b->closed++;
    } else if (r == 0) {
        if (want_events(b, c, events) < 0)
            bench_error(b, "epoll_ctl: %s", strerror(errno));
    } else {
        conn_greet(b, c);
    }
}

/* Transport ready: send the dialect's greeting and wait for its answer. */
static void conn_greet(struct bench *b, struct conn *c)
{
    state_set(b, c, CONN_HANDSHAKE);
    if (want_events(b, c, EPOLLIN) < 0) {
        bench_error(b, "epoll_ctl: %s", strerror(errno));
        return;
    }
    char buf[256];
    size_t n = dialect_greeting(b->opt->dialect, c->subscriber, c->index, buf, sizeof buf);
    if (n > 0)
        conn_send(b, c, buf, n);
}

static void conn_flush(struct bench *b, struct conn *c)
{
    ssize_t n = send_some(b, c, c->out, c->out_len);
    if (n < 0)
        return;
    size_t done = (size_t)n;
    memmove(c->out, c->out + done, c->out_len - done);
    c->out_len -= done;
    if (c->out_len == 0)
        want_events(b, c, EPOLLIN);
}

static void conn_line(struct bench *b, struct conn *c, char *line, size_t len)
{
    if (c->state == CONN_HANDSHAKE) {
        if (dialect_is_ready(b->opt->dialect, c->subscriber, line, len))
            conn_ready(b, c);
        return; /* what comes before the ready signal (history, joins) is not ours */
    }
    if (c->state == CONN_READY && b->on_line)
        b->on_line(b, c, line, len);
}

/* The tutorial's server replies "Message received" with no newline; a
 * closed loop has one reply in flight, so counting bytes frames it. */
static void conn_raw(struct bench *b, struct conn *c, const char *data, size_t n)
{
    static char reply[] = PLAIN_ACK;
    const size_t rlen = sizeof reply - 1;
    for (size_t i = 0; i < n && c->fd >= 0; i++) {
        if (data[i] != reply[c->raw_have]) {
            bench_error(b, "connection %u: unexpected raw byte 0x%02x", c->index,
                        (unsigned char)data[i]);
            c->raw_have = 0;
            continue;
        }
        if (++c->raw_have == rlen) {
            c->raw_have = 0;
            char copy[sizeof reply];
            memcpy(copy, reply, sizeof reply);
            conn_line(b, c, copy, rlen);
        }
    }
}

/* Reads once; returns false when nothing more can be read now. */
static bool conn_read_once(struct bench *b, struct conn *c)
{
    static char buf[BENCH_READ_CHUNK];
    ssize_t n = c->ssl ? btls_recv(b, c, buf, sizeof buf) : recv(c->fd, buf, sizeof buf, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return false;
        if (errno != EPROTO) /* TLS failures are reported by tls.c */
            bench_error(b, "recv on connection %u: %s", c->index, strerror(errno));
        conn_close(b, c);
        b->closed++;
        return false;
    }
    if (n == 0) {
        conn_close(b, c);
        b->closed++;
        return false;
    }
    if (b->opt->dialect == BENCH_RAW) {
        conn_raw(b, c, buf, (size_t)n);
        return c->fd >= 0;
    }
    size_t off = 0;
    while (off < (size_t)n && c->fd >= 0) {
        size_t used = 0;
        char *line = NULL;
        size_t len = 0;
        enum linebuf_status st =
            linebuf_feed(&c->lb, buf + off, (size_t)n - off, &used, &line, &len);
        off += used;
        if (st == LINEBUF_LINE) {
            conn_line(b, c, line, len);
        } else if (st == LINEBUF_OVERLONG) {
            bench_error(b, "connection %u: overlong line", c->index);
        } else if (st == LINEBUF_NOMEM) {
            bench_error(b, "connection %u: out of memory for a line", c->index);
            conn_close(b, c);
            return false;
        } else {
            break;
        }
    }
    return c->fd >= 0;
}

static void conn_readable(struct bench *b, struct conn *c)
{
    /* TLS may hold decrypted bytes the socket no longer signals (a record
     * read whole, handed out in parts): read until it would block. Clear
     * text reads once; level-triggered epoll brings the rest. */
    if (!c->ssl) {
        conn_read_once(b, c);
        return;
    }
    while (c->ssl && !c->tls_handshaking && conn_read_once(b, c)) {
    }
}

int loop_poll(struct bench *b, int timeout_ms)
{
    struct epoll_event evs[EVENTS_MAX];
    int n = epoll_wait(b->ep, evs, EVENTS_MAX, timeout_ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        fprintf(stderr, "sockchat-bench: epoll_wait: %s\n", strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct conn *c = evs[i].data.ptr;
        if (c->fd < 0)
            continue;
        if (c->state == CONN_CONNECTING) {
            if (c->tls_handshaking)
                conn_tls_step(b, c);
            else if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
                conn_connected(b, c);
            continue;
        }
        if ((evs[i].events & EPOLLOUT) && c->out_len > 0)
            conn_flush(b, c);
        if (c->fd >= 0 && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            conn_readable(b, c);
    }
    return 0;
}

static int ms_until(uint64_t deadline_ns)
{
    uint64_t now = clock_ns();
    if (now >= deadline_ns)
        return 0;
    uint64_t ms = (deadline_ns - now + 999999u) / 1000000u;
    return ms > 50 ? 50 : (int)ms;
}

bool loop_until(struct bench *b, uint64_t deadline_ns, bool (*done)(const struct bench *b))
{
    while (!done(b)) {
        if (clock_ns() >= deadline_ns)
            return false;
        if (loop_poll(b, ms_until(deadline_ns)) < 0)
            return false;
    }
    return true;
}

unsigned loop_open_paced(struct bench *b, size_t from, size_t to, unsigned window,
                         uint64_t deadline_ns)
{
    size_t next = from;
    bool failed = false;
    if (window == 0)
        window = 1;
    while (clock_ns() < deadline_ns) {
        /* Connections still waiting for their ready signal count against
         * the window: the server has not accepted and answered them yet, so
         * this is what keeps its listen backlog from overflowing. */
        while (!failed && next < to && b->connecting + b->handshaking < window) {
            if (conn_open(b, &b->conns[next]) < 0)
                failed = true; /* e.g. out of descriptors: report, do not spin */
            else
                next++;
        }
        if (b->connecting + b->handshaking == 0 && (next == to || failed))
            break;
        if (loop_poll(b, ms_until(deadline_ns)) < 0)
            break;
    }
    unsigned ready = 0;
    for (size_t i = from; i < to; i++)
        ready += b->conns[i].state == CONN_READY;
    return ready;
}

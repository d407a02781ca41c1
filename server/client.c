/* client: one connection's state, its queue, and the only code that writes
 * to its socket. */
#include "server.h"
#include "session.h"
#include "tracelog.h"

#include "sanitize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct client *client_new(struct server *srv, int fd, const char *addr)
{
    /* The driver's part follows, aligned for anything: one allocation. */
    const size_t align = _Alignof(max_align_t);
    size_t base = (sizeof(struct client) + align - 1) / align * align;
    struct client *c = calloc(1, base + srv->drv_conn_size);
    if (c == NULL)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->srv = srv;
    c->fd = fd;
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    c->connected_ms = server_now_ms(srv);
    atomic_init(&c->active_ms, c->connected_ms);
    atomic_init(&c->muted_until_ms, 0);
    atomic_init(&c->msgs_in, 0);
    atomic_init(&c->msgs_out, 0);
    atomic_init(&c->bytes_in, 0);
    atomic_init(&c->bytes_out, 0);
    atomic_init(&c->worker, 0);
    xport_init(c);
    linebuf_init(&c->lb, LINE_MAX_BYTES);
    c->tokens = (int64_t)RATE_BURST * 1000;
    c->tokens_ms = c->connected_ms;
    c->authed = srv->cfg.password == NULL;
    outq_init(&c->q, OUTQ_MAX_BYTES);
    if (srv->drv_conn_size > 0)
        c->drv = (char *)c + base;
    /* Before anyone else can see c (registry_add): a notify from another
     * thread finds the driver's part ready. */
    if (srv->drv_adopt != NULL)
        srv->drv_adopt(c);
    return c;
}

void client_free(struct client *c)
{
    if (c == NULL)
        return;
    xport_release(c);
    linebuf_free(&c->lb);
    outq_free(&c->q);
    free(c->backlog);
    free(c->away);
    free(c->watch);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int dialect_encode(enum dialect d, char *buf, size_t cap, const struct msg *m)
{
    return d == DIALECT_FRAMED ? msg_encode(buf, cap, m) : msg_format_plain(buf, cap, m);
}

struct outmsg *outmsg_encode(enum dialect d, const struct msg *m)
{
    /* Most lines fit the small buffer: one exact allocation. */
    char small[1024];
    int k = dialect_encode(d, small, sizeof small, m);
    if (k > 0)
        return outmsg_new(small, (size_t)k);
    struct outmsg *o = malloc(sizeof *o + WIRE_MAX);
    if (o == NULL)
        return NULL;
    int n = dialect_encode(d, o->data, WIRE_MAX, m);
    if (n <= 0) {
        free(o);
        return NULL;
    }
    struct outmsg *shrunk = realloc(o, sizeof *o + (size_t)n);
    if (shrunk != NULL)
        o = shrunk;
    atomic_init(&o->refs, 1);
    o->priv = false;
    o->len = (uint32_t)n;
    o->cap = (uint32_t)n;
    return o;
}

void client_send_msg(struct client *c, const struct msg *m)
{
    char small[512];
    int n = dialect_encode(c->dialect, small, sizeof small, m);
    if (n > 0) {
        client_send(c, small, (size_t)n);
        return;
    }
    struct outmsg *o = outmsg_encode(c->dialect, m);
    if (o != NULL) {
        client_send_ref(c, o);
        outmsg_unref(o);
    }
}

/* With c->lock held: the queue overflowed. The messages already queued stay
 * (the owner may be writing them right now); nothing more is accepted. */
static void client_overflow_locked(struct client *c)
{
    if (c->close != CLOSE_NOW) {
        c->close = CLOSE_NOW;
        snprintf(c->reason, sizeof c->reason, "too slow");
    }
}

/* With c->lock held: has c been too far behind for too long? After a push
 * and, from client_step(), by the clock: a client that stopped reading
 * may never be sent anything again. */
static bool client_soft_limit_locked(struct client *c, int64_t now)
{
    if (c->q.bytes <= OUTQ_SOFT_BYTES) {
        c->soft_since_ms = 0;
        return false;
    }
    if (c->soft_since_ms == 0) {
        c->soft_since_ms = now;
        return false;
    }
    return now - c->soft_since_ms > OUTQ_SOFT_MS;
}

/* Bytes that left for c's socket, by whichever thread wrote them. */
static void client_count_out(struct client *c, size_t n)
{
    atomic_fetch_add_explicit(&c->srv->st.bytes_out, (unsigned long long)n, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->bytes_out, (unsigned long long)n, memory_order_relaxed);
}

/* With c->lock held and c's queue empty: writes what fits of data to c's
 * socket from this thread, when the driver lets it (srv->drv_direct).
 * Nothing is queued before these bytes, and every later push sees them
 * gone or queued under the same lock, so order holds. The socket is open:
 * its owner closes it only after seeing a close state, which is set under
 * this lock and is not set. Never blocks (MSG_DONTWAIT). Returns the bytes
 * written; 0 when none fit or on an error, which the owner meets when it
 * writes the rest. */
static size_t client_write_direct_locked(struct client *c, const char *data, size_t len)
{
    const struct server *srv = c->srv;
    /* Clear text only: an SSL object is used by its owner alone. */
    if (srv->drv_direct == NULL || c->close != CLOSE_NONE || !xport_clear_locked(c) ||
        !srv->drv_direct(c))
        return 0;
    ssize_t n;
    do {
        n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    return n > 0 ? (size_t)n : 0;
}

/* Queues len bytes for c (m's by reference, or a copy of data when m is
 * NULL), or writes them at once where the driver allows, and wakes c's
 * owner when there is something for it to do. */
static void client_put(struct client *c, struct outmsg *m, const char *data, size_t len)
{
    size_t direct = 0;

    pthread_mutex_lock(&c->lock);
    if (c->close == CLOSE_NOW) {
        pthread_mutex_unlock(&c->lock);
        return;
    }
    bool wake = outq_empty(&c->q);
    if (wake)
        direct = client_write_direct_locked(c, data, len);
    if (direct == len) {
        /* All of it is out: the owner has nothing to do, and is not woken. */
        wake = false;
        atomic_fetch_add_explicit(&c->msgs_out, 1, memory_order_relaxed);
    } else {
        bool was_behind = c->soft_since_ms != 0;
        /* What did not fit is copied: the rest of a line, at most once. */
        int rc = m != NULL && direct == 0 ? outq_push(&c->q, m)
                                          : outq_push_copy(&c->q, data + direct, len - direct);
        if (rc < 0 || client_soft_limit_locked(c, server_now_ms(c->srv))) {
            client_overflow_locked(c);
            wake = true;
        } else {
            atomic_fetch_add_explicit(&c->msgs_out, 1, memory_order_relaxed);
        }
        /* Just went past the soft limit: its owner must learn the deadline. */
        if (!was_behind && c->soft_since_ms != 0)
            wake = true;
    }
    pthread_mutex_unlock(&c->lock);
    if (direct > 0) {
        client_count_out(c, direct);
        tracelog_write_direct(c, direct, len);
    }
    if (wake && c->srv->notify)
        c->srv->notify(c);
}

void client_send(struct client *c, const char *data, size_t len)
{
    client_put(c, NULL, data, len);
}

void client_send_ref(struct client *c, struct outmsg *m)
{
    client_put(c, m, m->data, m->len);
}

void client_request_close(struct client *c, enum close_kind kind, const char *reason,
                          int64_t deadline_ms)
{
    pthread_mutex_lock(&c->lock);
    if (c->close == CLOSE_NONE) {
        snprintf(c->reason, sizeof c->reason, "%s", reason);
        utf8_cut(c->reason);
    }
    if (kind > c->close)
        c->close = kind;
    if (c->close_deadline_ms == 0 || deadline_ms < c->close_deadline_ms)
        c->close_deadline_ms = deadline_ms;
    pthread_mutex_unlock(&c->lock);
    if (c->srv->notify)
        c->srv->notify(c);
}

enum close_kind client_close_state(struct client *c, char *reason, size_t cap)
{
    pthread_mutex_lock(&c->lock);
    enum close_kind k = c->close;
    if (reason != NULL && cap > 0)
        snprintf(reason, cap, "%s", c->reason);
    pthread_mutex_unlock(&c->lock);
    return k;
}

bool client_has_output(struct client *c)
{
    pthread_mutex_lock(&c->lock);
    bool any = !outq_empty(&c->q);
    pthread_mutex_unlock(&c->lock);
    return any;
}

enum flush_result client_flush(struct client *c)
{
    enum { IOV_BATCH = 64 };
    struct iovec iov[IOV_BATCH];

    /* Bounded: a peer that keeps up while others keep queueing must not pin
     * its owner here forever. */
    for (int round = 0; round < 64; round++) {
        pthread_mutex_lock(&c->lock);
        int n = outq_iov(&c->q, iov, IOV_BATCH);
        pthread_mutex_unlock(&c->lock);
        if (n == 0)
            return FLUSH_DONE;
        /* Only the owner consumes, so the iovecs stay valid unlocked. */
        ssize_t w = xport_writev(c, iov, n);
        size_t offered = 0;
        for (int i = 0; i < n; i++)
            offered += iov[i].iov_len;
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return FLUSH_AGAIN;
            return FLUSH_ERROR;
        }
        client_count_out(c, (size_t)w);
        pthread_mutex_lock(&c->lock);
        outq_consume(&c->q, (size_t)w);
        if (c->q.bytes <= OUTQ_SOFT_BYTES)
            c->soft_since_ms = 0; /* it caught up */
        pthread_mutex_unlock(&c->lock);
        tracelog_write(c, (size_t)w, offered);
    }
    return client_has_output(c) ? FLUSH_AGAIN : FLUSH_DONE;
}

void client_on_read(struct client *c, const char *data, ssize_t n, int err)
{
    if (n > 0) {
        if (!c->draining) {
            tracelog_read(c, data, (size_t)n);
            session_input(c, data, (size_t)n);
        }
        return;
    }
    if (n == 0) {
        c->eof = true;
        if (!c->draining)
            session_greet_flush(c, -1); /* "HE", then the peer stopped sending */
        /* The peer finished sending; it may still read what we owe it
         * (printf 'hi\n' | nc -N does exactly that). A clean FIN is how nc
         * and telnet users leave (Ctrl-D, Ctrl-C): it is announced as a
         * quit; only a reset or an error is a "lost connection". TCP cannot
         * tell a closed program from a crashed one, so a crash says quit. */
        if (!c->draining)
            client_request_close(c, CLOSE_FLUSH, "quit", server_now_ms(c->srv) + SHUTDOWN_FLUSH_MS);
        return;
    }
    if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
        return;
    client_request_close(c, CLOSE_NOW, "lost connection", 0);
}

enum input_gate client_input_gate(struct client *c)
{
    pthread_mutex_lock(&c->lock);
    enum input_gate g = c->close != CLOSE_NONE           ? INPUT_CLOSED
                        : c->q.bytes >= OUTQ_PAUSE_BYTES ? INPUT_PAUSED
                                                         : INPUT_OPEN;
    pthread_mutex_unlock(&c->lock);
    return g;
}

void client_step(struct client *c, int64_t now_ms, struct client_plan *p)
{
    /* First: --tls-only may decide here that c is refused. */
    int64_t xport_ms = xport_step(c, now_ms);
    /* A refused connection that sent nothing in time: a person at nc or
     * telnet who has not typed yet. Told as a line client. */
    if (c->refusal != REFUSE_NONE && !c->refusal_told && now_ms >= c->refuse_deadline_ms)
        session_refuse(c, DIALECT_UNKNOWN);
    session_greet_flush(c, now_ms);
    pthread_mutex_lock(&c->lock);
    if (c->close == CLOSE_NONE && c->soft_since_ms != 0 && client_soft_limit_locked(c, now_ms))
        client_overflow_locked(c);
    enum close_kind k = c->close;
    bool out = !outq_empty(&c->q);
    bool full = c->q.bytes >= OUTQ_PAUSE_BYTES;
    int64_t soft = c->soft_since_ms;
    int64_t deadline = c->close_deadline_ms;
    int64_t hold = c->hold_until_ms;
    pthread_mutex_unlock(&c->lock);

    memset(p, 0, sizeof *p);
    if (k == CLOSE_NOW) {
        p->done = true;
        return;
    }
    if (k == CLOSE_FLUSH && now_ms < hold && hold < deadline) {
        /* A wrong password: the error goes out now, the close comes later,
         * so guessing costs time. Nothing is read meanwhile. A shutdown
         * moves the deadline before the hold's end, and the hold gives way:
         * the server must not outwait a guesser to exit. */
        p->deadline_ms = hold;
        p->wr = out;
        return;
    }
    if (k == CLOSE_FLUSH) {
        if (!out && !c->draining) {
            if (c->eof) {
                p->done = true;
                return;
            }
            /* Our last byte is out: send FIN and wait a little for the
             * peer's, so closing with unread input cannot turn into an RST
             * that destroys what we just sent. */
            xport_shutdown_wr(c);
            c->draining = true;
            c->linger_deadline_ms = now_ms + LINGER_MS;
        }
        if (c->draining && (c->eof || c->linger_deadline_ms < deadline))
            deadline = c->linger_deadline_ms;
        if (c->draining && c->eof) {
            p->done = true;
            return;
        }
        if (now_ms >= deadline) {
            p->done = true;
            return;
        }
        p->deadline_ms = deadline;
    }
    if (k == CLOSE_NONE && c->refusal != REFUSE_NONE && !c->refusal_told)
        p->deadline_ms = c->refuse_deadline_ms;
    if (k == CLOSE_NONE && c->greet_len > 0 &&
        (p->deadline_ms == 0 || c->greet_deadline_ms < p->deadline_ms))
        p->deadline_ms = c->greet_deadline_ms;
    if (k == CLOSE_NONE && soft != 0) {
        int64_t judge = soft + OUTQ_SOFT_MS + 1; /* judged again then */
        if (p->deadline_ms == 0 || judge < p->deadline_ms)
            p->deadline_ms = judge;
    }
    if (k == CLOSE_NONE && xport_ms != 0 && (p->deadline_ms == 0 || xport_ms < p->deadline_ms))
        p->deadline_ms = xport_ms;
    /* Not read while its queue is full or earlier input waits: a client
     * that does not read our answers cannot make us hold more of them. */
    bool paused = k == CLOSE_NONE && (full || c->backlog_len > 0);
    p->rd = !c->eof && (k == CLOSE_NONE || c->draining) && !paused;
    p->wr = out;
}

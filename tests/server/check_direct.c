/* direct: a sender writing to a receiver's socket itself (client_put,
 * threads mode's srv->drv_direct), over socketpair()s. Each client carries
 * a test part (c->drv) that says who its owner is, the one thread the
 * driver hook refuses, as threads mode's does, and counts the hook's calls
 * and the owner's wake-ups (srv->notify). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

/* A client's test part: its owner, and what the hooks saw. */
struct dconn {
    bool has_owner;   /* false: every thread may write directly */
    pthread_t owner;  /* set before any other thread sees the client */
    atomic_uint asks; /* drv_direct calls: direct attempts on an empty queue */
    atomic_uint notifies;
    pthread_mutex_t mu; /* wakes, for an owner thread waiting on cv */
    pthread_cond_t cv;
    unsigned wakes;
};

/* A client whose socket is one end of a socketpair; peer is the other. */
struct dpair {
    struct client *c;
    int peer;
};

static struct dconn *dconn_of(const struct client *c)
{
    return c->drv;
}

static void dconn_adopt(struct client *c)
{
    struct dconn *d = dconn_of(c);
    atomic_init(&d->asks, 0);
    atomic_init(&d->notifies, 0);
    ck_assert_int_eq(pthread_mutex_init(&d->mu, NULL), 0);
    ck_assert_int_eq(pthread_cond_init(&d->cv, NULL), 0);
}

/* Threads mode's rule: anyone but the owner. */
static bool dconn_direct(const struct client *c)
{
    struct dconn *d = dconn_of(c);
    atomic_fetch_add(&d->asks, 1);
    return !d->has_owner || !pthread_equal(d->owner, pthread_self());
}

static void dconn_notify(struct client *c)
{
    struct dconn *d = dconn_of(c);
    atomic_fetch_add(&d->notifies, 1);
    pthread_mutex_lock(&d->mu);
    d->wakes++;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void direct_setup(void)
{
    fx_setup();
    fx_srv.drv_conn_size = sizeof(struct dconn);
    fx_srv.drv_adopt = dconn_adopt;
    fx_srv.drv_direct = dconn_direct;
    fx_srv.notify = dconn_notify;
}

static void direct_teardown(void)
{
    fx_srv.drv_direct = NULL;
    fx_teardown();
}

/* sndbuf > 0: the server end's SO_SNDBUF (the kernel doubles it). */
static struct dpair dpair_open(int sndbuf)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    if (sndbuf > 0)
        ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
    struct client *c = client_new(&fx_srv, sv[0], "unix:0");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(registry_add(&fx_srv, c), 0);
    return (struct dpair){c, sv[1]};
}

static void dpair_close(struct dpair *p)
{
    struct dconn *d = dconn_of(p->c);
    int fd = p->c->fd;
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    fx_end(p->c);
    close(fd);
    close(p->peer);
}

/* Bytes waiting at the peer now, without blocking; 0: none. */
static size_t peer_read_now(int peer, char *buf, size_t cap)
{
    ssize_t n = recv(peer, buf, cap, MSG_DONTWAIT);
    if (n < 0)
        ck_assert_msg(errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s", strerror(errno));
    return n > 0 ? (size_t)n : 0;
}

/* The peer has exactly want waiting now. */
static void peer_expect(int peer, const char *want)
{
    char buf[256];
    size_t n = peer_read_now(peer, buf, sizeof buf - 1);
    buf[n] = '\0';
    ck_assert_str_eq(buf, want);
}

static unsigned long long bytes_out(const struct client *c)
{
    return atomic_load(&c->bytes_out);
}

START_TEST(test_empty_queue_written_directly)
{
    struct dpair p = dpair_open(0);
    struct dconn *d = dconn_of(p.c);
    const char line[] = "CHAT 1700000000 bob hello\n";
    client_send(p.c, line, sizeof line - 1);
    peer_expect(p.peer, line);
    ck_assert(outq_empty(&p.c->q));
    ck_assert_uint_eq(atomic_load(&d->asks), 1);
    ck_assert_uint_eq(atomic_load(&d->notifies), 0); /* the owner has nothing to do */
    ck_assert_uint_eq(bytes_out(p.c), sizeof line - 1);
    ck_assert_uint_eq(atomic_load(&fx_srv.st.bytes_out), sizeof line - 1);
    ck_assert_uint_eq(atomic_load(&p.c->msgs_out), 1);
    dpair_close(&p);
}
END_TEST

/* A shared line (a broadcast's) that went out whole is not held by the
 * queue: its only reference is the sender's again. */
START_TEST(test_shared_line_written_not_held)
{
    struct dpair p = dpair_open(0);
    const char line[] = "JOIN 1700000000 carol\n";
    struct outmsg *m = outmsg_new(line, sizeof line - 1);
    ck_assert_ptr_nonnull(m);
    client_send_ref(p.c, m);
    ck_assert_uint_eq(atomic_load(&m->refs), 1);
    ck_assert(outq_empty(&p.c->q));
    outmsg_unref(m);
    peer_expect(p.peer, line);
    ck_assert_uint_eq(atomic_load(&dconn_of(p.c)->notifies), 0);
    dpair_close(&p);
}
END_TEST

START_TEST(test_owner_queues)
{
    struct dpair p = dpair_open(0);
    struct dconn *d = dconn_of(p.c);
    d->has_owner = true;
    d->owner = pthread_self(); /* the owner's own reply */
    const char line[] = "PONG 1\n";
    client_send(p.c, line, sizeof line - 1);
    char buf[256];
    ck_assert_uint_eq(peer_read_now(p.peer, buf, sizeof buf), 0);
    ck_assert_uint_eq(p.c->q.bytes, sizeof line - 1);
    ck_assert_uint_eq(atomic_load(&d->notifies), 1);
    ck_assert_uint_eq(bytes_out(p.c), 0);
    ck_assert_int_eq(client_flush(p.c), FLUSH_DONE);
    peer_expect(p.peer, line);
    ck_assert_uint_eq(bytes_out(p.c), sizeof line - 1);
    dpair_close(&p);
}
END_TEST

/* A reply queued first (the owner's), then another thread's line: it goes
 * behind the reply, not past it. */
START_TEST(test_nonempty_queue_keeps_order)
{
    struct dpair p = dpair_open(0);
    struct dconn *d = dconn_of(p.c);
    d->has_owner = true;
    d->owner = pthread_self();
    client_send(p.c, "OUT reply\n", 10);
    d->has_owner = false; /* now as any other thread */
    client_send(p.c, "CHAT 1 bob later\n", 17);
    char buf[256];
    ck_assert_uint_eq(peer_read_now(p.peer, buf, sizeof buf), 0);
    ck_assert_uint_eq(p.c->q.bytes, 27);
    ck_assert_uint_eq(atomic_load(&d->asks), 1);     /* the first, refused */
    ck_assert_uint_eq(atomic_load(&d->notifies), 1); /* woken once, for the first */
    ck_assert_int_eq(client_flush(p.c), FLUSH_DONE);
    peer_expect(p.peer, "OUT reply\nCHAT 1 bob later\n");
    dpair_close(&p);
}
END_TEST

/* A client on its way out is its owner's to finish: CLOSE_FLUSH queues
 * (the owner sends what is queued, then closes), CLOSE_NOW drops. */
START_TEST(test_closing_not_written)
{
    struct dpair p = dpair_open(0);
    struct dconn *d = dconn_of(p.c);
    char buf[256];
    client_request_close(p.c, CLOSE_FLUSH, "quit", fx_clock.mono_ms + 1000);
    client_send(p.c, "CHAT 1 bob a\n", 13);
    ck_assert_uint_eq(peer_read_now(p.peer, buf, sizeof buf), 0);
    ck_assert_uint_eq(p.c->q.bytes, 13);
    ck_assert_uint_eq(bytes_out(p.c), 0);
    ck_assert_uint_eq(atomic_load(&d->asks), 0);
    client_request_close(p.c, CLOSE_NOW, "too slow", 0);
    client_send(p.c, "CHAT 1 bob b\n", 13);
    ck_assert_uint_eq(peer_read_now(p.peer, buf, sizeof buf), 0);
    ck_assert_uint_eq(p.c->q.bytes, 13); /* b dropped */
    ck_assert_uint_eq(bytes_out(p.c), 0);
    dpair_close(&p);

    /* CLOSE_NOW with an empty queue: nothing written either. */
    struct dpair q = dpair_open(0);
    client_request_close(q.c, CLOSE_NOW, "kicked", 0);
    client_send(q.c, "CHAT 1 bob c\n", 13);
    ck_assert_uint_eq(peer_read_now(q.peer, buf, sizeof buf), 0);
    ck_assert(outq_empty(&q.c->q));
    ck_assert_uint_eq(bytes_out(q.c), 0);
    dpair_close(&q);
}
END_TEST

enum { PART_LINES_MAX = 200, PART_LINE_BASE = 5000, PART_LINE_SPREAD = 6000 };

/* Line i: its number, then a pattern that depends on i, so that a torn,
 * repeated or reordered piece cannot pass for the right bytes. Lengths
 * from under to over a small socket buffer (8 KiB once the kernel doubled
 * it): some go whole, some fill it, and a long one meeting a buffer with
 * room left goes out in part. */
static size_t part_line(char *buf, size_t cap, unsigned i)
{
    size_t len = PART_LINE_BASE + (i * 2311) % PART_LINE_SPREAD;
    ck_assert_uint_lt(len, cap);
    int k = snprintf(buf, cap, "L%05u ", i);
    for (size_t j = (size_t)k; j < len - 1; j++)
        buf[j] = (char)('a' + (i * 7 + j) % 26);
    buf[len - 1] = '\n';
    return len;
}

/* Reads what the peer has and lets the owner flush, until want bytes
 * arrived; bounded. */
static size_t part_drain(struct dpair *p, char *got, size_t have, size_t want)
{
    for (int round = 0; round < 100000 && have < want; round++) {
        have += peer_read_now(p->peer, got + have, want - have);
        ck_assert_int_ne(client_flush(p->c), FLUSH_ERROR);
    }
    ck_assert_uint_eq(have, want);
    return have;
}

/* A socket that takes part of a line: the rest is queued and the owner
 * woken; later lines queue behind it; after the owner's flush the peer has
 * every line, byte for byte, in order. */
START_TEST(test_partial_write_rest_queued)
{
    struct dpair p = dpair_open(4096);
    struct dconn *d = dconn_of(p.c);
    size_t cap = (size_t)(PART_LINES_MAX + 3) * (PART_LINE_BASE + PART_LINE_SPREAD);
    char *want = malloc(cap), *got = malloc(cap);
    ck_assert(want != NULL && got != NULL);
    size_t wlen = 0, glen = 0;
    unsigned i = 0;
    size_t partial = 0, plen = 0;
    /* The peer does not read: lines go out whole until the buffer is
     * full. Should a line find it full to the byte (none of it taken), the
     * peer catches up and the loop goes on. */
    while (partial == 0) {
        ck_assert_msg(i < PART_LINES_MAX, "no partial write in %u lines", i);
        size_t len = part_line(want + wlen, cap - wlen, i++);
        unsigned long long before = bytes_out(p.c);
        unsigned woke = atomic_load(&d->notifies);
        client_send(p.c, want + wlen, len);
        size_t wrote = (size_t)(bytes_out(p.c) - before);
        wlen += len;
        if (outq_empty(&p.c->q)) {
            ck_assert_uint_eq(wrote, len);
            ck_assert_uint_eq(atomic_load(&d->notifies), woke);
            continue;
        }
        ck_assert_uint_eq(atomic_load(&d->notifies), woke + 1);
        ck_assert_uint_eq(p.c->q.bytes, len - wrote); /* the rest, once */
        if (wrote > 0) {
            partial = wrote;
            plen = len;
        } else {
            glen = part_drain(&p, got, glen, wlen);
        }
    }
    ck_assert_uint_lt(partial, plen);
    /* Behind the rest: queued, not written, nobody woken again. */
    unsigned woke = atomic_load(&d->notifies);
    unsigned asked = atomic_load(&d->asks);
    unsigned long long before = bytes_out(p.c);
    size_t queued = p.c->q.bytes;
    for (int k = 0; k < 3; k++) {
        size_t len = part_line(want + wlen, cap - wlen, i++);
        client_send(p.c, want + wlen, len);
        wlen += len;
        queued += len;
    }
    ck_assert_uint_eq(bytes_out(p.c), before);
    ck_assert_uint_eq(p.c->q.bytes, queued);
    ck_assert_uint_eq(atomic_load(&d->notifies), woke);
    ck_assert_uint_eq(atomic_load(&d->asks), asked);
    ck_assert_uint_eq(part_drain(&p, got, glen, wlen), wlen);
    ck_assert(outq_empty(&p.c->q));
    ck_assert_int_eq(memcmp(got, want, wlen), 0);
    char extra[16];
    ck_assert_uint_eq(peer_read_now(p.peer, extra, sizeof extra), 0); /* nothing twice */
    ck_assert_uint_eq(bytes_out(p.c), wlen);
    ck_assert_uint_eq(atomic_load(&fx_srv.st.bytes_out), wlen);
    free(want);
    free(got);
    dpair_close(&p);
}
END_TEST

/* ---- order under concurrent senders ---- */

enum {
    CC_SENDERS = 4,
    CC_LINES = 200,
    CC_RECEIVERS = 6,
    CC_LINE_LEN = 48,
    CC_TOTAL = CC_SENDERS * CC_LINES,
    CC_DEADLINE_MS = 60000, /* only a broken build gets near it */
};

/* FAST keeps up. SLOW has a small socket buffer and its peer reads only
 * once something had to be queued; its owner flushes as soon as the socket
 * takes more. BUSY is SLOW with an owner busy elsewhere (its own input): it
 * flushes when woken, and after that only once the senders are done, so
 * its socket drains while its queue still holds lines, and a sender that
 * wrote past the queue would show. The senders pause half-way until that
 * has happened (cc_wait_drained): without it they are done before a
 * reader has started. */
enum cc_kind { CC_FAST, CC_SLOW, CC_BUSY };

struct cc_receiver {
    struct dpair p;
    enum cc_kind kind;
    char *got;
    size_t have;
    atomic_size_t have_shared; /* have, for the senders */
    /* What went wrong in its owner's and its reader's thread; "": nothing. */
    char own_fail[160], read_fail[160];
};

struct cc_run {
    struct cc_receiver r[CC_RECEIVERS];
    atomic_bool senders_done;
    int64_t deadline_ms;
    pthread_mutex_t mu; /* cv: a reader read something */
    pthread_cond_t cv;
};

struct cc_sender {
    struct cc_run *run;
    unsigned id;
    bool drained; /* false: the half-way wait ran into the deadline */
};

struct cc_thread {
    struct cc_run *run;
    struct cc_receiver *r;
};

static int64_t cc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t cc_line(char *buf, unsigned sender, unsigned n)
{
    int k = snprintf(buf, CC_LINE_LEN + 1, "s%u n%03u ", sender, n);
    memset(buf + k, (int)('a' + sender), (size_t)(CC_LINE_LEN - 1 - k));
    buf[CC_LINE_LEN - 1] = '\n';
    return CC_LINE_LEN;
}

/* Now plus ms, for pthread_cond_timedwait (CLOCK_REALTIME). */
static struct timespec cc_wait_until(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

/* Whether every SLOW peer has started reading and every BUSY peer has read
 * all its socket held: BUSY's lines since then are in its queue. */
static bool cc_drained(struct cc_run *run)
{
    for (int i = 0; i < CC_RECEIVERS; i++) {
        const struct cc_receiver *r = &run->r[i];
        size_t have = atomic_load(&r->have_shared);
        if ((r->kind == CC_SLOW && have == 0) ||
            (r->kind == CC_BUSY && (have == 0 || have != bytes_out(r->p.c))))
            return false;
    }
    return true;
}

static bool cc_wait_drained(struct cc_run *run)
{
    pthread_mutex_lock(&run->mu);
    while (!cc_drained(run) && cc_now_ms() < run->deadline_ms) {
        struct timespec ts = cc_wait_until(100);
        pthread_cond_timedwait(&run->cv, &run->mu, &ts);
    }
    bool ok = cc_drained(run);
    pthread_mutex_unlock(&run->mu);
    return ok;
}

/* As a broadcast does: each line to every receiver under reg_lock. */
static void *cc_send(void *arg)
{
    struct cc_sender *s = arg;
    char line[CC_LINE_LEN + 1];
    for (unsigned n = 0; n < CC_LINES; n++) {
        if (n == CC_LINES / 2)
            s->drained = cc_wait_drained(s->run);
        size_t len = cc_line(line, s->id, n);
        pthread_mutex_lock(&fx_srv.reg_lock);
        for (int i = 0; i < CC_RECEIVERS; i++)
            client_send(s->run->r[i].p.c, line, len);
        pthread_mutex_unlock(&fx_srv.reg_lock);
    }
    return NULL;
}

/* Waits on d's wake-ups until seen changes or done holds, for up to 100 ms
 * at a time (the caller's loop has the deadline). */
static void cc_wait_wake(struct dconn *d, unsigned seen, atomic_bool *done)
{
    struct timespec ts = cc_wait_until(100);
    pthread_mutex_lock(&d->mu);
    while (d->wakes == seen && !atomic_load(done))
        if (pthread_cond_timedwait(&d->cv, &d->mu, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&d->mu);
}

static unsigned cc_wakes(struct dconn *d)
{
    pthread_mutex_lock(&d->mu);
    unsigned n = d->wakes;
    pthread_mutex_unlock(&d->mu);
    return n;
}

/* The owner: flushes the queue when woken, waits for room when the socket
 * is full (BUSY: for the next wake-up, until the senders are done), and
 * ends once the senders are done and the queue is empty. */
static void *cc_own(void *arg)
{
    struct cc_thread *t = arg;
    struct client *c = t->r->p.c;
    struct dconn *d = dconn_of(c);
    bool busy = t->r->kind == CC_BUSY;
    while (cc_now_ms() < t->run->deadline_ms) {
        unsigned seen = cc_wakes(d);
        bool done = atomic_load(&t->run->senders_done);
        if (client_has_output(c)) {
            enum flush_result fr = client_flush(c);
            if (fr == FLUSH_ERROR) {
                snprintf(t->r->own_fail, sizeof t->r->own_fail, "flush: %s", strerror(errno));
                return NULL;
            }
            if (fr == FLUSH_AGAIN && busy && !done) {
                while (cc_wakes(d) == seen && !atomic_load(&t->run->senders_done) &&
                       cc_now_ms() < t->run->deadline_ms)
                    cc_wait_wake(d, seen, &t->run->senders_done);
            } else if (fr == FLUSH_AGAIN) {
                struct pollfd pfd = {c->fd, POLLOUT, 0};
                poll(&pfd, 1, 100);
            }
            continue;
        }
        if (done)
            return NULL; /* nothing queued, nothing more to come */
        cc_wait_wake(d, seen, &t->run->senders_done);
    }
    snprintf(t->r->own_fail, sizeof t->r->own_fail, "owner: deadline passed");
    return NULL;
}

/* The peer's reader: a slow one starts only once something had to be
 * queued for it (its owner was woken). */
static void *cc_read(void *arg)
{
    struct cc_thread *t = arg;
    struct cc_receiver *r = t->r;
    struct dconn *d = dconn_of(r->p.c);
    const size_t want = (size_t)CC_TOTAL * CC_LINE_LEN;
    if (r->kind != CC_FAST)
        while (atomic_load(&d->notifies) == 0 && !atomic_load(&t->run->senders_done) &&
               cc_now_ms() < t->run->deadline_ms)
            cc_wait_wake(d, 0, &t->run->senders_done);
    size_t chunk = r->kind == CC_FAST ? 65536 : 500; /* not whole lines */
    while (r->have < want) {
        if (cc_now_ms() >= t->run->deadline_ms) {
            snprintf(r->read_fail, sizeof r->read_fail, "reader: %zu of %zu B by the deadline",
                     r->have, want);
            return NULL;
        }
        struct pollfd pfd = {r->p.peer, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0)
            continue;
        size_t ask = want - r->have < chunk ? want - r->have : chunk;
        ssize_t n = recv(r->p.peer, r->got + r->have, ask, 0);
        if (n <= 0) {
            snprintf(r->read_fail, sizeof r->read_fail, "recv: %zd (%s)", n, strerror(errno));
            return NULL;
        }
        r->have += (size_t)n;
        atomic_store(&r->have_shared, r->have);
        pthread_mutex_lock(&t->run->mu);
        pthread_cond_broadcast(&t->run->cv);
        pthread_mutex_unlock(&t->run->mu);
    }
    return NULL;
}

/* Checks that r saw every line once, each sender's in order; fills
 * order[] with the (sender, number) of each line it saw. */
static void cc_check_receiver(const struct cc_receiver *r, int idx, unsigned order[CC_TOTAL])
{
    unsigned next[CC_SENDERS] = {0};
    char want[CC_LINE_LEN + 1];
    for (size_t k = 0; k < CC_TOTAL; k++) {
        const char *line = r->got + k * CC_LINE_LEN;
        unsigned s = (unsigned)(line[1] - '0');
        ck_assert_msg(line[0] == 's' && s < CC_SENDERS, "receiver %d line %zu: %.*s", idx, k,
                      CC_LINE_LEN, line);
        cc_line(want, s, next[s]);
        ck_assert_msg(memcmp(line, want, CC_LINE_LEN) == 0,
                      "receiver %d line %zu: got %.*s want %.*s (torn, lost or repeated)", idx, k,
                      CC_LINE_LEN - 1, line, CC_LINE_LEN - 1, want);
        order[k] = s * CC_LINES + next[s]++;
    }
    for (unsigned s = 0; s < CC_SENDERS; s++)
        ck_assert_uint_eq(next[s], CC_LINES);
}

/* Several senders broadcast numbered lines to several receivers at once;
 * some receivers keep up (their lines go out directly), some fall behind
 * (queued, their owner flushes): every receiver gets every line exactly
 * once, and all of them in one order. */
START_TEST(test_concurrent_senders_one_order)
{
    struct cc_run *run = calloc(1, sizeof *run);
    ck_assert_ptr_nonnull(run);
    atomic_init(&run->senders_done, false);
    ck_assert_int_eq(pthread_mutex_init(&run->mu, NULL), 0);
    ck_assert_int_eq(pthread_cond_init(&run->cv, NULL), 0);
    run->deadline_ms = cc_now_ms() + CC_DEADLINE_MS;
    pthread_t own[CC_RECEIVERS], rd[CC_RECEIVERS], snd[CC_SENDERS];
    struct cc_thread th[CC_RECEIVERS];
    struct cc_sender ss[CC_SENDERS];
    for (int i = 0; i < CC_RECEIVERS; i++) {
        struct cc_receiver *r = &run->r[i];
        r->kind = (enum cc_kind)(i % 3);
        r->p = dpair_open(r->kind == CC_FAST ? 0 : 4096);
        r->got = malloc((size_t)CC_TOTAL * CC_LINE_LEN);
        atomic_init(&r->have_shared, 0);
        ck_assert_ptr_nonnull(r->got);
        th[i] = (struct cc_thread){run, r};
        ck_assert_int_eq(pthread_create(&own[i], NULL, cc_own, &th[i]), 0);
        struct dconn *d = dconn_of(r->p.c);
        d->has_owner = true;
        d->owner = own[i];
        ck_assert_int_eq(pthread_create(&rd[i], NULL, cc_read, &th[i]), 0);
    }
    for (unsigned s = 0; s < CC_SENDERS; s++) {
        ss[s] = (struct cc_sender){run, s, false};
        ck_assert_int_eq(pthread_create(&snd[s], NULL, cc_send, &ss[s]), 0);
    }
    for (int s = 0; s < CC_SENDERS; s++)
        pthread_join(snd[s], NULL);
    atomic_store(&run->senders_done, true);
    for (int i = 0; i < CC_RECEIVERS; i++) {
        pthread_join(own[i], NULL);
        pthread_join(rd[i], NULL);
    }
    for (int s = 0; s < CC_SENDERS; s++)
        ck_assert_msg(ss[s].drained, "sender %d: the slow readers never caught up", s);
    static unsigned first[CC_TOTAL], order[CC_TOTAL];
    for (int i = 0; i < CC_RECEIVERS; i++) {
        struct cc_receiver *r = &run->r[i];
        ck_assert_msg(r->own_fail[0] == '\0', "receiver %d: %s", i, r->own_fail);
        ck_assert_msg(r->read_fail[0] == '\0', "receiver %d: %s", i, r->read_fail);
        cc_check_receiver(r, i, i == 0 ? first : order);
        if (i > 0)
            for (size_t k = 0; k < CC_TOTAL; k++)
                ck_assert_msg(order[k] == first[k],
                              "receivers 0 and %d disagree at line %zu: s%u n%u vs s%u n%u", i, k,
                              first[k] / CC_LINES, first[k] % CC_LINES, order[k] / CC_LINES,
                              order[k] % CC_LINES);
        /* Every attempt on an empty queue either wrote the whole line or
         * woke the owner once (nothing here crosses the soft limit). */
        struct dconn *d = dconn_of(r->p.c);
        unsigned asks = atomic_load(&d->asks), woke = atomic_load(&d->notifies);
        ck_assert_uint_ge(asks, woke);
        ck_assert_msg(asks - woke > 0, "receiver %d: no line went out directly", i);
        ck_assert_msg(r->kind == CC_FAST || woke > 0, "receiver %d: nothing was queued", i);
        ck_assert(outq_empty(&r->p.c->q));
        ck_assert_uint_eq(bytes_out(r->p.c), (unsigned long long)CC_TOTAL * CC_LINE_LEN);
    }
    for (int i = 0; i < CC_RECEIVERS; i++) {
        free(run->r[i].got);
        dpair_close(&run->r[i].p);
    }
    pthread_cond_destroy(&run->cv);
    pthread_mutex_destroy(&run->mu);
    free(run);
}
END_TEST

Suite *direct_suite(void)
{
    Suite *s = suite_create("direct");
    TCase *t = tcase_create("socketpair");
    tcase_add_checked_fixture(t, direct_setup, direct_teardown);
    tcase_set_timeout(t, 120); /* TSan on a loaded machine */
    tcase_add_test(t, test_empty_queue_written_directly);
    tcase_add_test(t, test_shared_line_written_not_held);
    tcase_add_test(t, test_owner_queues);
    tcase_add_test(t, test_nonempty_queue_keeps_order);
    tcase_add_test(t, test_closing_not_written);
    tcase_add_test(t, test_partial_write_rest_queued);
    tcase_add_test(t, test_concurrent_senders_one_order);
    suite_add_tcase(s, t);
    return s;
}

/* outq: reference-counted messages and the bounded per-client send queue.
 *
 * A broadcast is encoded once and queued by reference on every receiver, so
 * a room of N costs N pointer pushes, not N copies. Replies meant for one
 * client are copied into a "private" message at the tail that later replies
 * append to, so a burst of output costs one allocation and one write. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

static struct outmsg *outmsg_alloc(size_t cap)
{
    struct outmsg *m = malloc(sizeof *m + cap);
    if (m == NULL)
        return NULL;
    atomic_init(&m->refs, 1);
    m->priv = false;
    m->len = 0;
    m->cap = (uint32_t)cap;
    return m;
}

struct outmsg *outmsg_new(const char *data, size_t len)
{
    struct outmsg *m = outmsg_alloc(len);
    if (m == NULL)
        return NULL;
    memcpy(m->data, data, len);
    m->len = (uint32_t)len;
    return m;
}

struct outmsg *outmsg_ref(struct outmsg *m)
{
    atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
    return m;
}

void outmsg_unref(struct outmsg *m)
{
    if (m == NULL)
        return;
    /* acq_rel: the last owner must see every other owner's use finished. */
    if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1)
        free(m);
}

void outq_init(struct outq *q, size_t max_bytes)
{
    memset(q, 0, sizeof *q);
    q->max_bytes = max_bytes;
}

void outq_free(struct outq *q)
{
    for (uint32_t i = 0; i < q->count; i++)
        outmsg_unref(q->ring[(q->head + i) % q->cap]);
    free(q->ring);
    outq_init(q, q->max_bytes);
}

static int outq_grow(struct outq *q)
{
    if (q->count < q->cap)
        return 0;
    if (q->count >= OUTQ_MAX_ENTRIES)
        return -1;
    uint32_t ncap = q->cap ? q->cap * 2 : 4;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    struct outmsg **ring = malloc(ncap * sizeof *ring);
    if (ring == NULL)
        return -1;
    for (uint32_t i = 0; i < q->count; i++)
        ring[i] = q->ring[(q->head + i) % q->cap];
    free(q->ring);
    q->ring = ring;
    q->cap = ncap;
    q->head = 0;
    return 0;
}

static bool outq_over(const struct outq *q, size_t len)
{
    return q->bytes + len > q->max_bytes;
}

int outq_push(struct outq *q, struct outmsg *m)
{
    if (outq_over(q, m->len) || outq_grow(q) < 0)
        return -1;
    q->ring[(q->head + q->count) % q->cap] = outmsg_ref(m);
    q->count++;
    q->bytes += m->len;
    return 0;
}

int outq_push_copy(struct outq *q, const char *data, size_t len)
{
    if (outq_over(q, len))
        return -1;
    if (q->count > 0) {
        struct outmsg *tail = q->ring[(q->head + q->count - 1) % q->cap];
        /* Appending never reallocates, so the owner may be writing the
         * front part of this buffer at the same moment. */
        if (tail->priv && tail->cap - tail->len >= len) {
            memcpy(tail->data + tail->len, data, len);
            tail->len += (uint32_t)len;
            q->bytes += len;
            return 0;
        }
    }
    if (outq_grow(q) < 0)
        return -1;
    /* A client that is behind gets bigger buffers: its small replies then
     * cost little more than their bytes (no half-used 256-byte buffers,
     * no malloc header each). */
    size_t cap = q->bytes >= OUTQ_PRIVATE_BIG ? OUTQ_PRIVATE_BIG : OUTQ_PRIVATE_MIN;
    struct outmsg *m = outmsg_alloc(len < cap ? cap : len);
    if (m == NULL)
        return -1;
    m->priv = true;
    memcpy(m->data, data, len);
    m->len = (uint32_t)len;
    q->ring[(q->head + q->count) % q->cap] = m;
    q->count++;
    q->bytes += len;
    return 0;
}

int outq_iov(const struct outq *q, struct iovec *iov, int max)
{
    int n = 0;
    for (uint32_t i = 0; i < q->count && n < max; i++) {
        const struct outmsg *m = q->ring[(q->head + i) % q->cap];
        size_t skip = i == 0 ? q->off : 0;
        iov[n].iov_base = (void *)(m->data + skip);
        iov[n].iov_len = m->len - skip;
        n++;
    }
    return n;
}

void outq_consume(struct outq *q, size_t n)
{
    q->bytes -= n;
    while (n > 0 && q->count > 0) {
        struct outmsg *m = q->ring[q->head];
        size_t left = m->len - q->off;
        if (n < left) {
            q->off += (uint32_t)n;
            return;
        }
        n -= left;
        q->off = 0;
        /* A private tail that was fully written stops being appendable
         * once it leaves the queue. */
        outmsg_unref(m);
        q->head = (q->head + 1) % q->cap;
        q->count--;
    }
    if (q->count == 0) {
        q->head = 0;
        /* Idle clients should cost almost nothing: give back big rings. */
        if (q->cap > 16) {
            free(q->ring);
            q->ring = NULL;
            q->cap = 0;
        }
    }
}

size_t outq_take(struct outq *q, char *buf, size_t cap)
{
    size_t total = 0, copied = 0;
    struct iovec iov[64];
    int n;
    while ((n = outq_iov(q, iov, 64)) > 0) {
        size_t got = 0;
        for (int i = 0; i < n; i++) {
            size_t k = iov[i].iov_len < cap - copied ? iov[i].iov_len : cap - copied;
            memcpy(buf + copied, iov[i].iov_base, k);
            copied += k;
            got += iov[i].iov_len;
        }
        outq_consume(q, got);
        total += got;
    }
    return total;
}

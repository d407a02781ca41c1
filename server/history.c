/* history: the last N chat messages, kept as the very buffers that were
 * broadcast (one per dialect), so greeting a newcomer copies nothing.
 *
 * The ring is bounded twice: by --history entries and by HISTORY_BYTES.
 * The byte bound is what keeps a newcomer's replay under the slow-consumer
 * limit (1100 messages of 4000 bytes would be 4.4 MB, past OUTQ_MAX_BYTES:
 * every joiner was cut off as "too slow"), and it also bounds the memory
 * the history holds, which is all the replay could ever use. */
#include "server.h"

#include <stdlib.h>

void history_init(struct history *h, unsigned cap)
{
    h->cap = cap;
    h->head = 0;
    h->count = 0;
    h->bytes = 0;
    h->pushed = 0;
    h->framed = NULL;
    h->plain = NULL;
    if (cap > 0) {
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): arrays of pointers */
        h->framed = calloc(cap, sizeof *h->framed);
        /* NOLINTNEXTLINE(bugprone-sizeof-expression) */
        h->plain = calloc(cap, sizeof *h->plain);
        if (h->framed == NULL || h->plain == NULL) {
            free(h->framed);
            free(h->plain);
            h->framed = h->plain = NULL;
            h->cap = 0; /* no memory for history: serve without it */
        }
    }
}

void history_free(struct history *h)
{
    for (unsigned i = 0; i < h->count; i++) {
        unsigned k = (h->head + i) % h->cap;
        outmsg_unref(h->framed[k]);
        outmsg_unref(h->plain[k]);
    }
    free(h->framed);
    free(h->plain);
    h->framed = h->plain = NULL;
    h->count = h->cap = h->head = 0;
    h->bytes = 0;
    h->pushed = 0;
}

/* An entry's share of the byte bound: its longer encoding, so that the
 * replay is within HISTORY_BYTES in either dialect. */
static size_t entry_bytes(const struct outmsg *framed, const struct outmsg *plain)
{
    return framed->len > plain->len ? framed->len : plain->len;
}

static void history_drop_oldest(struct history *h)
{
    unsigned k = h->head;
    h->bytes -= entry_bytes(h->framed[k], h->plain[k]);
    outmsg_unref(h->framed[k]);
    outmsg_unref(h->plain[k]);
    h->framed[k] = h->plain[k] = NULL;
    h->head = (h->head + 1) % h->cap;
    h->count--;
}

void history_push(struct history *h, struct outmsg *framed, struct outmsg *plain)
{
    if (h->cap == 0)
        return;
    if (h->count == h->cap)
        history_drop_oldest(h);
    unsigned k = (h->head + h->count) % h->cap;
    h->count++;
    h->pushed++;
    h->framed[k] = outmsg_ref(framed);
    h->plain[k] = outmsg_ref(plain);
    h->bytes += entry_bytes(framed, plain);
    /* The newest always stays: one entry is at most WIRE_MAX bytes. */
    while (h->bytes > HISTORY_BYTES && h->count > 1)
        history_drop_oldest(h);
}

struct outmsg *history_get(const struct history *h, unsigned i, bool framed)
{
    unsigned k = (h->head + i) % h->cap;
    return framed ? h->framed[k] : h->plain[k];
}

void history_count_older(struct history *h, uint64_t n)
{
    h->pushed += n;
}

uint64_t history_omitted(const struct history *h)
{
    uint64_t window = h->pushed < h->cap ? h->pushed : h->cap;
    return window - h->count;
}

/* history: the last N chat messages, kept as the very buffers that were
 * broadcast (one per dialect), so greeting a newcomer copies nothing. */
#include "server.h"

#include <stdlib.h>

void history_init(struct history *h, unsigned cap)
{
    h->cap = cap;
    h->head = 0;
    h->count = 0;
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
}

void history_push(struct history *h, struct outmsg *framed, struct outmsg *plain)
{
    if (h->cap == 0)
        return;
    unsigned k;
    if (h->count == h->cap) {
        k = h->head;
        outmsg_unref(h->framed[k]);
        outmsg_unref(h->plain[k]);
        h->head = (h->head + 1) % h->cap;
    } else {
        k = (h->head + h->count) % h->cap;
        h->count++;
    }
    h->framed[k] = outmsg_ref(framed);
    h->plain[k] = outmsg_ref(plain);
}

struct outmsg *history_get(const struct history *h, unsigned i, bool framed)
{
    unsigned k = (h->head + i) % h->cap;
    return framed ? h->framed[k] : h->plain[k];
}

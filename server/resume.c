/* resume: which client message ids were acknowledged, per client process,
 * across its reconnects (see server.h for why). One small table under one
 * lock: it is touched once per SESSION line and twice per framed MSG of a
 * client that sent one, never on the broadcast path. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

void resume_init(struct resume *rs)
{
    pthread_mutex_init(&rs->lock, NULL);
    rs->tab = NULL;
}

void resume_free(struct resume *rs)
{
    free(rs->tab);
    rs->tab = NULL;
    pthread_mutex_destroy(&rs->lock);
}

struct resume_entry *resume_attach(struct resume *rs, const char *token, int64_t now_ms)
{
    if (!msg_session_token_ok(token))
        return NULL;
    pthread_mutex_lock(&rs->lock);
    if (rs->tab == NULL)
        rs->tab = calloc(RESUME_SLOTS, sizeof *rs->tab);
    struct resume_entry *e = NULL, *spare = NULL;
    for (unsigned i = 0; rs->tab != NULL && i < RESUME_SLOTS; i++) {
        struct resume_entry *t = &rs->tab[i];
        if (t->token[0] != '\0' && strcmp(t->token, token) == 0) {
            e = t;
            break;
        }
        /* A free slot, else the unattached entry unused the longest. */
        if (t->attached == 0 &&
            (spare == NULL ||
             (spare->token[0] != '\0' && (t->token[0] == '\0' || t->last_ms < spare->last_ms))))
            spare = t;
    }
    if (e == NULL && spare != NULL) {
        e = spare;
        memset(e, 0, sizeof *e);
        memcpy(e->token, token, strlen(token) + 1);
    }
    if (e != NULL) {
        e->attached++;
        e->last_ms = now_ms;
    }
    pthread_mutex_unlock(&rs->lock);
    return e;
}

void resume_detach(struct resume *rs, struct resume_entry *e, int64_t now_ms)
{
    if (e == NULL)
        return;
    pthread_mutex_lock(&rs->lock);
    if (e->attached > 0)
        e->attached--;
    e->last_ms = now_ms;
    pthread_mutex_unlock(&rs->lock);
}

bool resume_claim(struct resume *rs, struct resume_entry *e, uint64_t id)
{
    if (e == NULL || id == 0)
        return true;
    pthread_mutex_lock(&rs->lock);
    bool fresh = true;
    if (id > e->max_id) {
        uint64_t shift = id - e->max_id;
        e->window = shift >= RESUME_WINDOW ? 0 : e->window << shift;
        e->window |= 1u;
        e->max_id = id;
    } else if (e->max_id - id < RESUME_WINDOW) {
        uint64_t bit = (uint64_t)1 << (e->max_id - id);
        fresh = (e->window & bit) == 0;
        e->window |= bit;
    } /* else too old to know: handled as new */
    pthread_mutex_unlock(&rs->lock);
    return fresh;
}

void resume_unclaim(struct resume *rs, struct resume_entry *e, uint64_t id)
{
    if (e == NULL || id == 0)
        return;
    pthread_mutex_lock(&rs->lock);
    if (id <= e->max_id && e->max_id - id < RESUME_WINDOW)
        e->window &= ~((uint64_t)1 << (e->max_id - id));
    pthread_mutex_unlock(&rs->lock);
}

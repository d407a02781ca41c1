/* resume: which client message ids were acknowledged, per client process,
 * across its reconnects (see server.h for why). One small table under one
 * lock: it is touched once per SESSION line and twice per framed MSG of a
 * client that sent one, never on the broadcast path. */
#include "server.h"

#include <stdio.h>
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

/* Who named an entry: the peer's IPv4 address, or its IPv6 /64 (what one
 * machine is given), as text; the address as it is when it does not
 * parse. */
static void resume_who(const char *addrport, char *out, size_t cap)
{
    struct cidr c;
    if (addrport == NULL || addr_parse(addrport, &c) < 0) {
        snprintf(out, cap, "%s", addrport ? addrport : "");
        return;
    }
    if (c.family == 6) {
        memset(c.addr + 8, 0, 8);
        c.bits = 64;
    }
    cidr_format(&c, out, cap);
}

struct resume_entry *resume_attach(struct resume *rs, const char *token, const char *addrport,
                                   int64_t now_ms)
{
    if (!msg_session_token_ok(token))
        return NULL;
    char who[ADDR_MAX];
    resume_who(addrport, who, sizeof who);
    pthread_mutex_lock(&rs->lock);
    if (rs->tab == NULL)
        rs->tab = calloc(RESUME_SLOTS, sizeof *rs->tab);
    struct resume_entry *e = NULL, *free_slot = NULL, *oldest = NULL, *own_oldest = NULL;
    unsigned own_idle = 0;
    for (unsigned i = 0; rs->tab != NULL && i < RESUME_SLOTS; i++) {
        struct resume_entry *t = &rs->tab[i];
        if (t->token[0] == '\0') {
            if (free_slot == NULL)
                free_slot = t;
            continue;
        }
        if (strcmp(t->token, token) == 0) {
            e = t;
            break;
        }
        if (t->attached != 0)
            continue; /* a live connection's entry is never given away */
        if (oldest == NULL || t->last_ms < oldest->last_ms)
            oldest = t;
        if (strcmp(t->who, who) == 0) {
            own_idle++;
            if (own_oldest == NULL || t->last_ms < own_oldest->last_ms)
                own_oldest = t;
        }
    }
    if (e == NULL) {
        /* New. An address with RESUME_PER_ADDR entries not in use already
         * makes room with its own oldest: throwaway tokens from one place
         * cannot push out everyone else's. Else a free slot, else the
         * entry not in use the longest. */
        e = own_idle >= RESUME_PER_ADDR ? own_oldest : free_slot != NULL ? free_slot : oldest;
        if (e != NULL) {
            memset(e, 0, sizeof *e);
            memcpy(e->token, token, strlen(token) + 1);
        }
    }
    if (e != NULL) {
        e->attached++;
        e->last_ms = now_ms;
        memcpy(e->who, who, sizeof who); /* where it is used now */
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

/* nickhold: a nick given up is kept for its owner a while (see server.h).
 * A small array under reg_lock, scanned: it holds the departures of the
 * last NICK_HOLD_MS at most, and is looked at once per join or nick
 * change, never per message. */
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nickhold_free(struct nick_holds *h)
{
    free(h->tab);
    h->tab = NULL;
    h->n = h->cap = 0;
}

/* Drops the holds that have run out. */
static void nickhold_purge(struct nick_holds *h, int64_t now_ms)
{
    unsigned k = 0;
    for (unsigned i = 0; i < h->n; i++)
        if (h->tab[i].until_ms > now_ms)
            h->tab[k++] = h->tab[i];
    h->n = k;
}

static struct nick_hold *nickhold_lookup(struct nick_holds *h, const char *skel)
{
    for (unsigned i = 0; i < h->n; i++)
        if (strcmp(h->tab[i].skel, skel) == 0)
            return &h->tab[i];
    return NULL;
}

void nickhold_put(struct nick_holds *h, const char *nick, const char *token, int64_t now_ms)
{
    char skel[NICK_SKELETON_CAP];
    if (nick_skeleton(nick, strlen(nick), skel, sizeof skel) == 0)
        return;
    nickhold_purge(h, now_ms);
    struct nick_hold *e = nickhold_lookup(h, skel);
    if (e == NULL && h->n == h->cap && h->cap < NICK_HOLD_MAX) {
        /* Grown as departures come: a class holds a few dozen. */
        unsigned cap = h->cap == 0 ? 64 : h->cap * 2;
        cap = cap < NICK_HOLD_MAX ? cap : NICK_HOLD_MAX;
        struct nick_hold *tab = realloc(h->tab, cap * sizeof *tab);
        if (tab != NULL) {
            h->tab = tab;
            h->cap = cap;
        }
    }
    if (e == NULL && h->n < h->cap) {
        e = &h->tab[h->n++];
    } else if (e == NULL && h->n == 0) {
        return; /* out of memory: the nick is simply free, as before holds */
    } else if (e == NULL) {
        /* Full (a flood of departures): the one nearest its end goes. */
        e = &h->tab[0];
        for (unsigned i = 1; i < h->n; i++)
            if (h->tab[i].until_ms < e->until_ms)
                e = &h->tab[i];
    }
    memset(e, 0, sizeof *e);
    memcpy(e->skel, skel, sizeof skel);
    snprintf(e->nick, sizeof e->nick, "%s", nick);
    if (token != NULL && msg_session_token_ok(token))
        memcpy(e->token, token, strlen(token) + 1);
    e->until_ms = now_ms + NICK_HOLD_MS;
}

const struct nick_hold *nickhold_find(struct nick_holds *h, const char *nick, int64_t now_ms)
{
    char skel[NICK_SKELETON_CAP];
    if (h->n == 0)
        return NULL;
    nickhold_purge(h, now_ms);
    nick_skeleton(nick, strlen(nick), skel, sizeof skel);
    return nickhold_lookup(h, skel);
}

void nickhold_drop(struct nick_holds *h, const char *nick)
{
    char skel[NICK_SKELETON_CAP];
    nick_skeleton(nick, strlen(nick), skel, sizeof skel);
    struct nick_hold *e = nickhold_lookup(h, skel);
    if (e != NULL)
        *e = h->tab[--h->n];
}

bool nickhold_owned(const struct nick_hold *e, const char *token)
{
    return e->token[0] != '\0' && token != NULL && strcmp(e->token, token) == 0;
}

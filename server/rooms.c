/* rooms: the server's table of rooms and each room's members, and the
 * rooms a connection left (for UNREAD). All under reg_lock. The flows that
 * use them (joining, moving, chat) are in room.c. */
#include "server.h"
#include "room.h"
#include "cluster.h"

#include <stdlib.h>
#include <string.h>

static void room_setup(struct room *rm, const char *name, struct history *hist)
{
    memset(rm, 0, sizeof *rm);
    snprintf(rm->name, sizeof rm->name, "%s", name);
    rm->hist = hist;
}

void rooms_init(struct server *srv)
{
    /* #main's history is srv->hist: main.c loads the transcript into it. */
    room_setup(&srv->main_room, ROOM_MAIN, &srv->hist);
    srv->rooms[0] = &srv->main_room;
    srv->nrooms = 1;
}

static void room_destroy(struct room *rm)
{
    history_free(&rm->own);
    free(rm);
}

void rooms_free(struct server *srv)
{
    for (unsigned i = 1; i < srv->nrooms; i++)
        room_destroy(srv->rooms[i]);
    srv->nrooms = 0;
}

struct room *rooms_find_locked(struct server *srv, const char *name)
{
    for (unsigned i = 0; i < srv->nrooms; i++)
        if (strcmp(srv->rooms[i]->name, name) == 0)
            return srv->rooms[i];
    return NULL;
}

static void left_drop(struct room_left *l);

/* The table is full: the empty room quiet longest goes, with its history
 * (a transcript keeps that), so that rooms one person made by the hundred
 * cannot stop the class, or the operator's split, from making new ones.
 * What the operator set up (a pinned topic, a lock) stays. False when
 * every room has people in it or is the operator's. */
static bool rooms_evict_locked(struct server *srv)
{
    struct room *victim = NULL;
    unsigned at = 0;
    for (unsigned i = 1; i < srv->nrooms; i++) {
        struct room *rm = srv->rooms[i];
        if (rm->users > 0 || rm->pinned || rm->locked || rm->holds > 0)
            continue;
        if (victim == NULL || rm->active_ms < victim->active_ms) {
            victim = rm;
            at = i;
        }
    }
    if (victim == NULL)
        return false;
    while (victim->watchers != NULL) /* those who left it hear no more of it */
        left_drop(victim->watchers);
    srv->rooms[at] = srv->rooms[--srv->nrooms];
    room_destroy(victim);
    return true;
}

struct room *rooms_get_locked(struct server *srv, const char *name)
{
    struct room *rm = rooms_find_locked(srv, name);
    if (rm != NULL)
        return rm;
    if (srv->nrooms >= ROOMS_MAX && !rooms_evict_locked(srv))
        return NULL;
    rm = malloc(sizeof *rm);
    if (rm == NULL)
        return NULL;
    room_setup(rm, name, &rm->own);
    history_init(&rm->own, srv->cfg.history);
    rm->active_ms = server_now_ms(srv);
    srv->rooms[srv->nrooms++] = rm;
    return rm;
}

void rooms_gc_locked(struct server *srv, struct room *rm)
{
    if (rm == &srv->main_room || rm->users > 0 || rm->hist->count > 0 || rm->topic[0] != '\0' ||
        rm->locked || rm->watchers != NULL)
        return;
    for (unsigned i = 1; i < srv->nrooms; i++) {
        if (srv->rooms[i] == rm) {
            srv->rooms[i] = srv->rooms[--srv->nrooms];
            room_destroy(rm);
            return;
        }
    }
}

/* Stops c hearing of rm's unread messages. */
static void left_drop(struct room_left *l)
{
    if (l->prev != NULL)
        l->prev->next = l->next;
    else
        l->room->watchers = l->next;
    if (l->next != NULL)
        l->next->prev = l->prev;
    memset(l, 0, sizeof *l);
}

void rooms_enter_locked(struct room *rm, struct client *c)
{
    c->room = rm;
    c->rnext = NULL;
    c->rprev = rm->tail;
    if (rm->tail != NULL)
        rm->tail->rnext = c;
    else
        rm->head = c;
    rm->tail = c;
    rm->users++;
    /* Back in a room it left: its unread count starts again. */
    for (unsigned i = 0; c->watch != NULL && i < ROOM_LEFT_MAX; i++)
        if (c->watch->left[i].room == rm)
            left_drop(&c->watch->left[i]);
}

void rooms_exit_locked(struct client *c)
{
    struct room *rm = c->room;
    if (rm == NULL)
        return;
    if (c->rprev != NULL)
        c->rprev->rnext = c->rnext;
    else
        rm->head = c->rnext;
    if (c->rnext != NULL)
        c->rnext->rprev = c->rprev;
    else
        rm->tail = c->rprev;
    c->rprev = c->rnext = NULL;
    rm->users--;
    rm->active_ms = server_now_ms(c->srv);
    c->room = NULL;
}

bool rooms_watch_locked(struct server *srv, struct client *c, struct room *rm)
{
    /* Only a framed client that said sockchat/2 hears UNREAD. */
    if (c->dialect != DIALECT_FRAMED || c->proto < 2)
        return true;
    if (c->watch == NULL && (c->watch = calloc(1, sizeof *c->watch)) == NULL)
        return false;
    struct room_left *left = c->watch->left;
    struct room_left *slot = &left[0];
    for (unsigned i = 0; i < ROOM_LEFT_MAX; i++) {
        if (left[i].room == NULL) {
            slot = &left[i];
            break;
        }
        if (left[i].seq < slot->seq)
            slot = &left[i];
    }
    if (slot->room != NULL) { /* the oldest of ROOM_LEFT_MAX makes way */
        struct room *old = slot->room;
        left_drop(slot);
        rooms_gc_locked(srv, old);
    }
    slot->room = rm;
    slot->c = c;
    slot->said = rm->said;
    slot->seq = ++c->watch->seq;
    slot->prev = NULL;
    slot->next = rm->watchers;
    if (rm->watchers != NULL)
        rm->watchers->prev = slot;
    rm->watchers = slot;
    return true;
}

void rooms_unwatch_all_locked(struct server *srv, struct client *c)
{
    for (unsigned i = 0; c->watch != NULL && i < ROOM_LEFT_MAX; i++) {
        struct room *rm = c->watch->left[i].room;
        if (rm != NULL) {
            left_drop(&c->watch->left[i]);
            rooms_gc_locked(srv, rm);
        }
    }
}

/* Tells l's connection its count when its second is over (or it was
 * never told); else owes it. True when it is owed. */
static bool unread_tell(struct room_left *l, int64_t now)
{
    if (l->told && now - l->told_ms < UNREAD_EVERY_MS) {
        l->owed = true;
        return true;
    }
    uint64_t n = l->room->said - l->said;
    struct msg m = {.type = MSG_UNREAD,
                    .word = l->room->name,
                    .users = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n};
    client_send_msg(l->c, &m);
    l->told = true;
    l->told_ms = now;
    l->owed = false;
    return false;
}

/* The counts held back whose second is over. There is no timer: this
 * runs with messages said anywhere, so in a server gone quiet the last
 * second's count waits for the next one (the history shows it all). */
static void unread_settle(struct server *srv, int64_t now)
{
    if (!srv->unread_owed || now < srv->unread_look_ms)
        return;
    bool owed = false;
    for (unsigned i = 0; i < srv->nrooms; i++)
        for (struct room_left *l = srv->rooms[i]->watchers; l != NULL; l = l->next)
            if (l->owed)
                owed |= unread_tell(l, now);
    srv->unread_owed = owed;
    srv->unread_look_ms = now + UNREAD_EVERY_MS / 4;
}

void rooms_said_locked(struct server *srv, struct room *rm)
{
    int64_t now = server_now_ms(srv);
    rm->said++;
    rm->active_ms = now;
    for (struct room_left *l = rm->watchers; l != NULL; l = l->next)
        if (unread_tell(l, now) && !srv->unread_owed) {
            srv->unread_owed = true;
            srv->unread_look_ms = now + UNREAD_EVERY_MS / 4;
        }
    unread_settle(srv, now);
}

/* #main first, then by name. */
static int room_cmp(const void *a, const void *b)
{
    const struct room *x = *(struct room *const *)a, *y = *(struct room *const *)b;
    bool xm = strcmp(x->name, ROOM_MAIN) == 0, ym = strcmp(y->name, ROOM_MAIN) == 0;
    if (xm != ym)
        return xm ? -1 : 1;
    return strcmp(x->name, y->name);
}

void rooms_list(struct server *srv, const struct client *self,
                void (*out)(void *arg, const char *line), void *arg)
{
    enum { ROW_MAX = ROOMNAME_SIZE + TOPIC_MAX + 96 };
    /* Built under the lock, handed out after it: out() may write to a
     * terminal. */
    char(*lines)[ROW_MAX] = calloc(ROOMS_MAX + 1, sizeof *lines);
    if (lines == NULL) {
        out(arg, "rooms: out of memory");
        return;
    }
    struct room *sorted[ROOMS_MAX] = {NULL};
    unsigned n = 0;
    /* On a cluster, the people of other nodes count too (cluster.h). */
    struct elsewhere {
        char name[ROOMNAME_SIZE];
    } *elsewhere = NULL;
    unsigned *counts = NULL, ne = 0;
    if (srv->cluster != NULL) {
        elsewhere = calloc(ROOMS_MAX, sizeof *elsewhere);
        counts = calloc(ROOMS_MAX, sizeof *counts);
        if (elsewhere != NULL && counts != NULL)
            ne = cluster_rooms_elsewhere(srv, (char(*)[ROOMNAME_SIZE])elsewhere, counts, ROOMS_MAX);
    }
    pthread_mutex_lock(&srv->reg_lock);
    unsigned nr = srv->nrooms;
    for (unsigned i = 0; i < nr; i++)
        sorted[i] = srv->rooms[i];
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    qsort(sorted, nr, sizeof sorted[0], room_cmp);
    int w = 5;
    for (unsigned i = 0; i < nr; i++) {
        int l = (int)strlen(sorted[i]->name);
        w = l > w ? l : w;
    }
    snprintf(lines[n++], sizeof lines[0], "%u room%s:", nr, plural_s(nr));
    for (unsigned i = 0; i < nr; i++) {
        const struct room *rm = sorted[i];
        bool here = self != NULL && self->room == rm;
        char topic[TOPIC_MAX + 32] = "";
        if (rm->topic[0] != '\0')
            snprintf(topic, sizeof topic, "  topic: %s%s", rm->topic,
                     rm->pinned ? " (pinned)" : "");
        unsigned users = rm->users;
        for (unsigned k = 0; k < ne; k++) {
            if (strcmp(elsewhere[k].name, rm->name) == 0) {
                users += counts[k];
                counts[k] = 0; /* said */
            }
        }
        snprintf(lines[n++], sizeof lines[0], "  %-*s %4u %s%s%s%s", w, rm->name, users,
                 users == 1 ? "person" : "people", rm->locked ? "  locked" : "",
                 here ? "  (you are here)" : "", topic);
    }
    pthread_mutex_unlock(&srv->reg_lock);
    /* Rooms only other nodes have now. */
    unsigned nl = n;
    for (unsigned k = 0; k < ne && n <= ROOMS_MAX; k++)
        if (counts[k] > 0)
            snprintf(lines[n++], sizeof lines[0], "  %-*.*s %4u %s  (on other nodes)", w,
                     ROOMNAME_SIZE, elsewhere[k].name, counts[k],
                     counts[k] == 1 ? "person" : "people");
    if (n > nl) /* the count in the first line says them too */
        snprintf(lines[0], sizeof lines[0], "%u room%s:", nr + (n - nl), plural_s(nr + (n - nl)));
    free(elsewhere);
    free(counts);
    for (unsigned i = 0; i < n; i++)
        out(arg, lines[i]);
    free(lines);
}

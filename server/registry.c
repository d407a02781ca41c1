/* registry: every connected client under one lock: the list, the nick
 * table of those in the room, /who, and the notices to everyone.
 *
 * Everything done under reg_lock is a memory operation (list walks, queue
 * pushes, eventfd pokes), never a blocking call, so holding it to give every
 * receiver the same order costs little. */
#include "server.h"
#include "cluster.h"
#include "room.h"

#include "sanitize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool registry_full_locked(const struct server *srv)
{
    return srv->nclients - srv->nevicted >= srv->cfg.max_clients;
}

/* The server is full: closes the connection that has been there longest
 * without joining the room, if it has been so for UNJOINED_EVICT_MS. Its
 * place counts as free at once; it leaves within the flush deadline. */
static void evict_unjoined_locked(struct server *srv)
{
    int64_t now = server_now_ms(srv);
    struct client *victim = NULL;
    for (struct client *c = srv->clients; c; c = c->next)
        if (!c->joined && !c->evicted && now - c->connected_ms >= UNJOINED_EVICT_MS &&
            (victim == NULL || c->id < victim->id)) /* ids grow with arrival */
            victim = c;
    if (victim == NULL)
        return;
    victim->evicted = true;
    srv->nevicted++;
    if (victim->dialect == DIALECT_FRAMED || victim->dialect == DIALECT_PLAIN) {
        struct msg m = {.type = MSG_NOTICE,
                        .text = "the server is full and you had not joined: closing"};
        client_send_msg(victim, &m);
    }
    client_request_close(victim, CLOSE_FLUSH, "not joined while the server was full",
                         now + SHUTDOWN_FLUSH_MS);
}

int registry_add(struct server *srv, struct client *c)
{
    pthread_mutex_lock(&srv->reg_lock);
    if (!srv->reg_closed && registry_full_locked(srv))
        evict_unjoined_locked(srv);
    if (srv->reg_closed || registry_full_locked(srv)) {
        pthread_mutex_unlock(&srv->reg_lock);
        return -1;
    }
    c->id = ++srv->next_id;
    snprintf(c->nick, sizeof c->nick, "guest%llu", (unsigned long long)c->id);
    c->prev = NULL;
    c->next = srv->clients;
    if (srv->clients)
        srv->clients->prev = c;
    srv->clients = c;
    srv->nclients++;
    c->registered = true;
    pthread_mutex_unlock(&srv->reg_lock);
    atomic_fetch_add_explicit(&srv->st.served, 1, memory_order_relaxed);
    return 0;
}

void registry_remove(struct server *srv, struct client *c)
{
    pthread_mutex_lock(&srv->reg_lock);
    if (c->refusal_counted) {
        c->refusal_counted = false;
        srv->nrefusing--;
        if (c->refuse_until_ms != 0) /* single mode: the time it took */
            srv->refuse_credit_ms -= server_now_ms(srv) - c->connected_ms;
    }
    if (c->registered) {
        if (c->prev)
            c->prev->next = c->next;
        else
            srv->clients = c->next;
        if (c->next)
            c->next->prev = c->prev;
        c->prev = c->next = NULL;
        c->registered = false;
        srv->nclients--;
        if (c->evicted)
            srv->nevicted--;
    }
    pthread_mutex_unlock(&srv->reg_lock);
}

/* FNV-1a over the skeleton: nicks that look the same share a bucket. */
static unsigned nick_hash(const char *nick)
{
    char skel[NICK_SKELETON_CAP];
    nick_skeleton(nick, strlen(nick), skel, sizeof skel);
    uint32_t h = 2166136261u;
    for (const char *s = skel; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void nick_insert(struct server *srv, struct client *c)
{
    if (srv->nroom > srv->nick_buckets) {
        unsigned nb = srv->nick_buckets < 64 ? 64 : srv->nick_buckets * 2;
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        struct client **tab = calloc(nb, sizeof *tab);
        if (tab != NULL) { /* else: longer chains, still correct */
            for (unsigned i = 0; i < srv->nick_buckets; i++) {
                struct client *e = srv->nick_tab[i], *next;
                for (; e; e = next) {
                    next = e->hnext;
                    unsigned k = nick_hash(e->nick) % nb;
                    e->hnext = tab[k];
                    tab[k] = e;
                }
            }
            if (srv->nick_tab != &srv->nick_tab0)
                free(srv->nick_tab);
            srv->nick_tab = tab;
            srv->nick_buckets = nb;
        }
    }
    unsigned k = nick_hash(c->nick) % srv->nick_buckets;
    c->hnext = srv->nick_tab[k];
    srv->nick_tab[k] = c;
}

static void nick_remove(struct server *srv, struct client *c)
{
    struct client **pp = &srv->nick_tab[nick_hash(c->nick) % srv->nick_buckets];
    while (*pp && *pp != c)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = c->hnext;
    c->hnext = NULL;
}

struct client *registry_find_locked(struct server *srv, const char *nick)
{
    for (struct client *c = srv->nick_tab[nick_hash(nick) % srv->nick_buckets]; c; c = c->hnext)
        if (nick_same(c->nick, nick))
            return c;
    return NULL;
}

enum nick_verdict registry_nick_check_locked(struct server *srv, const struct client *c,
                                             const char *nick, int64_t now_ms, char *holder,
                                             int64_t *left_ms)
{
    const struct client *other = registry_find_locked(srv, nick);
    if (other != NULL && other != c) {
        if (holder != NULL)
            memcpy(holder, other->nick, sizeof other->nick);
        return NICK_TAKEN;
    }
    const struct nick_hold *h = nickhold_find(&srv->holds, nick, now_ms);
    if (h != NULL && !nickhold_owned(h, c->session)) {
        if (holder != NULL)
            memcpy(holder, h->nick, sizeof h->nick);
        if (left_ms != NULL)
            *left_ms = h->until_ms - now_ms;
        return NICK_HELD;
    }
    return NICK_FREE;
}

void registry_enter_locked(struct server *srv, struct client *c)
{
    if (c->joined)
        return;
    c->joined = true;
    srv->nroom++;
    nick_insert(srv, c);
    /* Whoever gets here with a held nick was let: its owner is back. */
    nickhold_drop(&srv->holds, c->nick);
}

bool registry_joined(struct client *c)
{
    pthread_mutex_lock(&c->srv->reg_lock);
    bool in = c->joined;
    pthread_mutex_unlock(&c->srv->reg_lock);
    return in;
}

void registry_leave_locked(struct server *srv, struct client *c)
{
    if (!c->joined)
        return;
    nick_remove(srv, c);
    c->joined = false;
    srv->nroom--;
    /* Out of its room's list (the caller may still tell the room, and
     * frees it when empty: rooms_gc_locked) and of those it watched. */
    rooms_exit_locked(c);
    rooms_unwatch_all_locked(srv, c);
}

void registry_rename_locked(struct server *srv, struct client *c, const char *nick)
{
    if (c->joined)
        nick_remove(srv, c);
    snprintf(c->nick, sizeof c->nick, "%s", nick);
    if (c->joined) {
        nick_insert(srv, c);
        nickhold_drop(&srv->holds, c->nick);
    }
}

void registry_shutdown(struct server *srv, const char *text)
{
    struct msg m = {.type = MSG_SHUTDOWN, .text = text};
    int64_t deadline = server_now_ms(srv) + SHUTDOWN_FLUSH_MS;

    pthread_mutex_lock(&srv->reg_lock);
    srv->reg_closed = true;
    /* Nobody is announced leaving: everyone is told the same thing here. */
    for (struct client *c = srv->clients; c; c = c->next)
        registry_leave_locked(srv, c);
    for (struct client *c = srv->clients; c; c = c->next) {
        if (c->dialect == DIALECT_FRAMED || c->dialect == DIALECT_PLAIN)
            client_send_msg(c, &m);
        client_request_close(c, CLOSE_FLUSH, "shutdown", deadline);
    }
    pthread_mutex_unlock(&srv->reg_lock);
}

void registry_notice(struct server *srv, const char *text)
{
    struct msg m = {.type = MSG_NOTICE, .text = text};
    pthread_mutex_lock(&srv->reg_lock);
    room_broadcast_locked(srv, &m, NULL);
    pthread_mutex_unlock(&srv->reg_lock);
}

unsigned registry_count(struct server *srv)
{
    pthread_mutex_lock(&srv->reg_lock);
    unsigned n = srv->nclients;
    pthread_mutex_unlock(&srv->reg_lock);
    return n;
}

/* One /who row: nick, room (all), address, times, dialect, away. */
static void who_row(char *line, size_t cap, const struct client *c, const struct client *self,
                    bool all, int nw, int rw, int aw, int64_t now_ms)
{
    char on[32], idle[32], away[AWAY_MAX + 16] = "";
    format_duration(on, sizeof on, now_ms - c->connected_ms);
    format_duration(idle, sizeof idle, now_ms - atomic_load(&c->active_ms));
    const char *d = c->dialect == DIALECT_FRAMED  ? "sockchat"
                    : c->dialect == DIALECT_PLAIN ? "plain"
                    : c->dialect == DIALECT_RAW   ? "tutorial"
                                                  : "connecting";
    if (c->away != NULL)
        snprintf(away, sizeof away, " away: %s", c->away->text);
    char room[ROOMNAME_SIZE + 2] = "";
    if (all)
        snprintf(room, sizeof room, "%-*s  ", rw, c->room != NULL ? c->room->name : "-");
    snprintf(line, cap, "  %-*s  %s%-*s  on %s, idle %s (%s%s)%s", nw, c->nick, room, aw, c->addr,
             on, idle, d, c == self ? ", you" : "", away);
}

void registry_who(struct server *srv, const struct client *self, bool all, int64_t now_ms,
                  unsigned max, void (*out)(void *arg, const char *line), void *arg)
{
    /* Lines are built under the lock but handed out after it: out() may
     * write to a terminal. */
    enum { WHO_ROW_MAX = 384 };
    unsigned cap = max + 2, n = 0;
    char(*lines)[WHO_ROW_MAX] = calloc(cap, sizeof *lines);
    if (lines == NULL) {
        out(arg, "who: out of memory");
        return;
    }
    pthread_mutex_lock(&srv->reg_lock);
    unsigned total = srv->nclients;
    const struct room *rm = !all && self != NULL ? self->room : NULL;
    if (!all && rm == NULL) { /* not joined: it has no room to list */
        pthread_mutex_unlock(&srv->reg_lock);
        free(lines);
        return;
    }
    unsigned listed = all ? total : rm->users;
    /* On a cluster the counts are everyone's; the other nodes' people are
     * listed after these rows (cluster_who). */
    unsigned far_all = cluster_remote_count(srv, NULL);
    unsigned far_room = all ? 0 : cluster_remote_count(srv, rm->name);
    if (all && total + far_all == 0) /* only the console can ask with nobody here */
        snprintf(lines[n++], sizeof lines[0], "nobody is connected");
    else if (all)
        snprintf(lines[n++], sizeof lines[0], "%u connected (%u in %u room%s):", total + far_all,
                 srv->nroom + far_all, srv->nrooms, plural_s(srv->nrooms));
    else
        snprintf(lines[n++], sizeof lines[0], "%u in %s (%u connected):", rm->users + far_room,
                 rm->name, total + far_all);
    /* Oldest first (the registry's list starts with the newest; a room's
     * with the first to come in), in columns as wide as the longest nick,
     * room and address shown: it must read at 80 columns. */
    struct client *first = rm != NULL ? rm->head : srv->clients;
    if (rm == NULL)
        while (first && first->next)
            first = first->next;
#define WHO_NEXT(c) (rm != NULL ? (c)->rnext : (c)->prev)
    int nw = 4, rw = 4, aw = 4;
    unsigned k = 0;
    for (struct client *c = first; c && k < max; c = WHO_NEXT(c), k++) {
        int l = (int)strlen(c->nick), al = (int)strlen(c->addr);
        int rl = c->room != NULL ? (int)strlen(c->room->name) : 1;
        nw = l > nw ? l : nw;
        rw = rl > rw ? rl : rw;
        aw = al > aw ? al : aw;
    }
    for (struct client *c = first; c && n < max + 1; c = WHO_NEXT(c))
        who_row(lines[n++], sizeof lines[0], c, self, all, nw, rw, aw, now_ms);
#undef WHO_NEXT
    if (listed > max)
        snprintf(lines[n++], sizeof lines[0], "  ... and %u more", listed - max);
    char room[ROOMNAME_SIZE] = "";
    if (rm != NULL)
        memcpy(room, rm->name, sizeof room);
    pthread_mutex_unlock(&srv->reg_lock);
    for (unsigned i = 0; i < n; i++)
        out(arg, lines[i]);
    free(lines);
    if (srv->cluster != NULL) /* then the other nodes' people */
        cluster_who(srv, all ? NULL : room, max, out, arg);
}

/* peers: what the server remembers of each address, for the limits that
 * hold per address rather than per connection (see server.h):
 * --max-per-addr, the rate of new connections, the chat tokens a reconnect
 * inherits, and password guessing, per address and server-wide.
 *
 * DESIGN
 * A hash table of entries keyed by address prefix, each malloc()ed on its
 * own so that a connection can keep a pointer to its entry: an entry with
 * live connections is never freed. Entries without connections are also
 * on the idle list, least recently used first; that is where room is made
 * when the table is full (never from a locked entry), and where entries
 * that hold nothing any more (blank_ms passed) are dropped as new ones are
 * made, so that the table stays as small as the addresses in use.
 *
 * Buckets are kept as debt (what is missing to full) rather than tokens,
 * so an entry starts at 0 whatever the limits are, and an entry whose debts
 * are paid and that has no failures left is as good as no entry at all:
 * dropping it resets nothing. */
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum {
    PEERS_BUCKETS_MIN = 64,
    PEERS_TRIM = 2,                      /* blank entries dropped per new one, at most */
    DEBT_ELAPSED_MAX = INT64_C(1) << 30, /* ms: a bucket is full long before */
};

/* What is left of a debt (thousandths of a token) owed since `since` when
 * num/den thousandths are paid back per ms. */
static int64_t debt_at(int64_t debt, int64_t since, int64_t now, int64_t num, int64_t den)
{
    if (debt <= 0)
        return 0;
    if (now <= since || num <= 0)
        return debt;
    int64_t elapsed = now - since;
    if (elapsed > DEBT_ELAPSED_MAX)
        return 0;
    int64_t paid = elapsed * num / den;
    return paid >= debt ? 0 : debt - paid;
}

/* How long until a debt is down to `target`, paying num/den per ms. */
static int64_t debt_ms_until(int64_t debt, int64_t target, int64_t num, int64_t den)
{
    if (debt <= target || num <= 0)
        return 0;
    return ((debt - target) * den + num - 1) / num;
}

void peer_prefix(const struct cidr *addr, struct cidr *key)
{
    *key = *addr;
    if (key->family == 6) {
        /* One host, or one home network, is given a /64: counting its
         * addresses one by one would give it 2^64 fresh limits. */
        memset(key->addr + PEER_V6_PREFIX_BITS / 8, 0, 16 - PEER_V6_PREFIX_BITS / 8);
        key->bits = PEER_V6_PREFIX_BITS;
    } else {
        memset(key->addr + 4, 0, 12);
        key->bits = 32;
    }
}

void peers_init(struct peers *p, unsigned max_entries)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->max_entries = max_entries > 0 ? max_entries : PEERS_SPARE;
    /* A seed nobody knows: with a fixed hash, addresses chosen to collide
     * (a /48 holds 65536 prefixes) would make every lookup a list walk. */
    if (getrandom(&p->seed, sizeof p->seed, GRND_NONBLOCK) != (ssize_t)sizeof p->seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        p->seed = (uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)p;
    }
}

void peers_free(struct peers *p)
{
    for (unsigned b = 0; p->tab != NULL && b < p->nbuckets; b++) {
        struct peer *e = p->tab[b];
        while (e != NULL) {
            struct peer *next = e->hnext;
            free(e);
            e = next;
        }
    }
    free(p->tab);
    pthread_mutex_destroy(&p->lock);
}

static uint32_t peer_hash(const struct peers *p, uint8_t family, const uint8_t key[16])
{
    uint32_t h = 2166136261u ^ p->seed; /* FNV-1a, seeded */
    h = (h ^ family) * 16777619u;
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 16777619u;
    h ^= h >> 16;
    return h;
}

static void idle_unlink(struct peers *p, struct peer *e)
{
    if (!e->listed)
        return;
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        p->idle_head = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        p->idle_tail = e->lprev;
    e->lprev = e->lnext = NULL;
    e->listed = false;
}

/* e was used: to the idle list's young end if it has no connections. */
static void idle_touch(struct peers *p, struct peer *e)
{
    idle_unlink(p, e);
    if (e->conns > 0)
        return;
    e->lprev = p->idle_tail;
    if (p->idle_tail)
        p->idle_tail->lnext = e;
    else
        p->idle_head = e;
    p->idle_tail = e;
    e->listed = true;
}

static bool peer_blank(const struct peer *e, int64_t now)
{
    return e->conns == 0 && now >= e->blank_ms;
}

static void peer_drop(struct peers *p, struct peer *e)
{
    /* (An entry exists only in a table: tab is never NULL here.) */
    struct peer **pp = p->tab ? &p->tab[peer_hash(p, e->family, e->key) & (p->nbuckets - 1)] : NULL;
    while (pp != NULL && *pp != NULL && *pp != e)
        pp = &(*pp)->hnext;
    if (pp != NULL && *pp == e)
        *pp = e->hnext;
    idle_unlink(p, e);
    p->n--;
    free(e);
}

/* The oldest idle entry, off the list, if it holds nothing any more. */
static struct peer *idle_pop_blank(struct peers *p, int64_t now)
{
    struct peer *h = p->idle_head;
    if (h == NULL || !peer_blank(h, now))
        return NULL;
    p->idle_head = h->lnext;
    if (h->lnext != NULL)
        h->lnext->lprev = NULL;
    else
        p->idle_tail = NULL;
    h->lnext = NULL;
    h->listed = false;
    return h;
}

static void peer_keep_until(struct peer *e, int64_t when)
{
    if (when > e->blank_ms)
        e->blank_ms = when;
}

/* Doubles the buckets (at most as many as entries may be); on failure the
 * chains just get longer. */
static void peers_grow(struct peers *p)
{
    unsigned nb = p->nbuckets == 0 ? PEERS_BUCKETS_MIN : p->nbuckets * 2;
    if (p->nbuckets != 0 && (p->n <= p->nbuckets || p->nbuckets >= p->max_entries))
        return;
    struct peer **t = calloc(nb, sizeof(struct peer *));
    if (t == NULL)
        return;
    for (unsigned b = 0; p->tab != NULL && b < p->nbuckets; b++) {
        struct peer *e = p->tab[b];
        while (e != NULL) {
            struct peer *next = e->hnext;
            uint32_t h = peer_hash(p, e->family, e->key) & (nb - 1);
            e->hnext = t[h];
            t[h] = e;
            e = next;
        }
    }
    free(p->tab);
    p->tab = t;
    p->nbuckets = nb;
}

/* Makes room for one more entry: drops blank entries at the old end of the
 * idle list, and when the table is full the least recently used entry
 * that is not locked. False when every entry is live or locked. */
static bool peers_make_room(struct peers *p, int64_t now)
{
    struct peer *blank;
    for (int i = 0; i < PEERS_TRIM && (blank = idle_pop_blank(p, now)) != NULL; i++)
        peer_drop(p, blank);
    if (p->n < p->max_entries)
        return true;
    /* Locked entries are few (each is a wrong password judged in the last
     * 32 s, and those are bounded server-wide), so this walk is short. */
    for (struct peer *e = p->idle_head; e != NULL; e = e->lnext)
        if (now >= e->locked_until_ms) {
            peer_drop(p, e);
            return true;
        }
    return false;
}

/* The entry for addr, made when there is none; NULL when there is no room.
 * Under p->lock. */
static struct peer *peers_get(struct peers *p, const struct cidr *addr, int64_t now)
{
    struct cidr key;
    peer_prefix(addr, &key);
    uint8_t fam = (uint8_t)key.family;
    uint32_t h = peer_hash(p, fam, key.addr);
    if (p->tab != NULL)
        for (struct peer *e = p->tab[h & (p->nbuckets - 1)]; e != NULL; e = e->hnext)
            if (e->family == fam && memcmp(e->key, key.addr, sizeof e->key) == 0)
                return e;
    if (!peers_make_room(p, now))
        return NULL;
    struct peer *e = calloc(1, sizeof *e);
    if (e == NULL)
        return NULL;
    peers_grow(p);
    if (p->tab == NULL) {
        free(e);
        return NULL;
    }
    e->family = fam;
    memcpy(e->key, key.addr, sizeof e->key);
    e->hnext = p->tab[h & (p->nbuckets - 1)];
    p->tab[h & (p->nbuckets - 1)] = e;
    p->n++;
    return e;
}

unsigned peers_count(struct peers *p)
{
    pthread_mutex_lock(&p->lock);
    unsigned n = p->n;
    pthread_mutex_unlock(&p->lock);
    return n;
}

/* The chat tokens a connection from e starts with: a full bucket less
 * what its closed connections still owe. */
static int64_t peer_tokens(const struct peer *e, const struct peer_limits *lim, int64_t now_ms)
{
    int64_t full = (int64_t)RATE_BURST * 1000;
    if (lim->rate == 0)
        return full;
    return full - debt_at(e->msg_debt, e->msg_ms, now_ms, lim->rate, 1);
}

int64_t peers_tokens(struct peers *p, const struct peer_limits *lim, struct peer *e, int64_t now_ms)
{
    pthread_mutex_lock(&p->lock);
    int64_t t = peer_tokens(e, lim, now_ms);
    pthread_mutex_unlock(&p->lock);
    return t;
}

enum peer_verdict peers_admit(struct peers *p, const struct peer_limits *lim,
                              const struct cidr *addr, int64_t now_ms, struct peer **out,
                              int64_t *tokens, int64_t *retry_ms)
{
    enum peer_verdict v = PEER_OK;
    *out = NULL;
    *retry_ms = 0;
    *tokens = (int64_t)RATE_BURST * 1000;
    pthread_mutex_lock(&p->lock);
    struct peer *e = peers_get(p, addr, now_ms);
    if (e == NULL) {
        pthread_mutex_unlock(&p->lock);
        return PEER_NO_ROOM;
    }
    if (lim->max_per_addr > 0) {
        /* A bucket of max_per_addr new connections, refilled over
         * PEER_CONN_REFILL_MS: a class gets in at once, a reconnect loop
         * gets about one a second. */
        int64_t cap = (int64_t)lim->max_per_addr * 1000;
        int64_t debt = debt_at(e->conn_debt, e->conn_ms, now_ms, cap, PEER_CONN_REFILL_MS);
        if (e->conns >= lim->max_per_addr) {
            v = PEER_TOO_MANY;
        } else if (debt > cap - 1000) {
            v = PEER_TOO_FAST;
            *retry_ms = debt_ms_until(debt, cap - 1000, cap, PEER_CONN_REFILL_MS);
        } else {
            e->conn_debt = debt + 1000;
            e->conn_ms = now_ms;
            peer_keep_until(e, now_ms + debt_ms_until(e->conn_debt, 0, cap, PEER_CONN_REFILL_MS));
        }
    }
    if (v == PEER_OK) {
        e->conns++;
        *out = e;
        *tokens = peer_tokens(e, lim, now_ms);
    }
    idle_touch(p, e);
    pthread_mutex_unlock(&p->lock);
    return v;
}

void peers_cancel(struct peers *p, struct peer *e)
{
    pthread_mutex_lock(&p->lock);
    e->conns--;
    e->conn_debt = e->conn_debt > 1000 ? e->conn_debt - 1000 : 0;
    idle_touch(p, e);
    pthread_mutex_unlock(&p->lock);
}

/* Why a reconnect buys nothing, while many people behind one address (a
 * class on one VM, a school's NAT) each chat at the full rate: every
 * connection has its own bucket (rate.c's rate_allow), and the address
 * remembers the least any of its closed connections left, as debt paid
 * back at the normal rate. A new connection starts with what that leaves.
 * Whoever reconnects thus starts with what they had when they left,
 * refilled as their old connection would have been; whoever connects
 * next to people who stayed starts full. (The least, not the last: a
 * fresh connection closed after a spent one must not launder it.) */
void peers_leave(struct peers *p, const struct peer_limits *lim, struct peer *e, int64_t tokens,
                 int64_t now_ms)
{
    pthread_mutex_lock(&p->lock);
    e->conns--;
    if (lim->rate > 0) {
        int64_t cap = (int64_t)RATE_BURST * 1000;
        int64_t owed = debt_at(e->msg_debt, e->msg_ms, now_ms, lim->rate, 1);
        int64_t left = tokens < 0 ? 0 : tokens > cap ? cap : tokens;
        if (cap - left > owed)
            owed = cap - left;
        e->msg_debt = owed;
        e->msg_ms = now_ms;
        peer_keep_until(e, now_ms + debt_ms_until(owed, 0, lim->rate, 1));
    }
    idle_touch(p, e);
    pthread_mutex_unlock(&p->lock);
}

/* A wrong password from e: the lock doubles per failure (1 s ... 32 s). */
static int64_t peer_failed(struct peer *e, int64_t now)
{
    if (e->fails > 0 && now - e->fail_ms > AUTH_FORGET_MS)
        e->fails = 0;
    e->fails++;
    e->fail_ms = now;
    unsigned shift = e->fails > 5 ? 5 : e->fails - 1;
    int64_t delay = (int64_t)AUTH_DELAY_MS << shift;
    e->locked_until_ms = now + delay;
    peer_keep_until(e, now + AUTH_FORGET_MS);
    return delay;
}

/* The server-wide limit. Its bucket holds AUTH_JUDGE_BURST wrong passwords;
 * while it has one, attempts are judged at once, and only a wrong one
 * takes it: a class giving the right password is never slowed. Empty, it
 * means guessing is under way, and every attempt, right or wrong (that is
 * not known before it is judged, and must not show in whether it is),
 * takes a turn: the address reserves the next judgement the bucket will
 * have, paying for it now, and is told to come back then. An address holds
 * one turn at a time, so turns go round the guessing addresses and anyone
 * new waits behind one round of them: with K addresses guessing, about K
 * seconds. Every judged wrong password was paid for, and a turn not taken
 * within AUTH_TURN_GRACE_MS is lost (else turns saved up for an hour could
 * all be taken in the next), so in any T seconds at most AUTH_JUDGE_BURST +
 * AUTH_JUDGE_RATE x (T + the grace) wrong passwords are judged. */
enum auth_verdict peers_auth_judge(struct peers *p, const struct cidr *addr, bool right,
                                   int64_t now_ms, int64_t *ms)
{
    const int64_t cap = (int64_t)AUTH_JUDGE_BURST * 1000;
    enum auth_verdict v;
    bool prepaid = false;
    *ms = 0;
    pthread_mutex_lock(&p->lock);
    struct peer *e = peers_get(p, addr, now_ms);
    if (e == NULL) {
        /* No room to remember it: it cannot be judged safely; it waits
         * as a locked one would. */
        *ms = AUTH_DELAY_MS;
        pthread_mutex_unlock(&p->lock);
        return AUTH_WAIT;
    }
    p->judge_debt = debt_at(p->judge_debt, p->judge_ms, now_ms, AUTH_JUDGE_RATE, 1);
    p->judge_ms = now_ms;
    if (e->turn_ms != 0 && now_ms > e->turn_ms + AUTH_TURN_GRACE_MS)
        e->turn_ms = 0; /* missed: what it paid for is gone (no hoarding) */
    if (now_ms < e->locked_until_ms) {
        v = AUTH_LOCKED;
        *ms = e->locked_until_ms - now_ms;
    } else if (e->turn_ms != 0 && now_ms >= e->turn_ms) {
        e->turn_ms = 0;
        prepaid = true;
        v = AUTH_OK;
    } else if (e->turn_ms != 0) {
        v = AUTH_WAIT;
        *ms = e->turn_ms - now_ms;
    } else if (p->judge_debt <= cap - 1000) {
        v = AUTH_OK;
    } else {
        p->judge_debt += 1000;
        e->turn_ms = now_ms + debt_ms_until(p->judge_debt, cap, AUTH_JUDGE_RATE, 1);
        peer_keep_until(e, e->turn_ms + AUTH_TURN_GRACE_MS);
        v = AUTH_WAIT;
        *ms = e->turn_ms - now_ms;
    }
    if (v == AUTH_OK) { /* judged */
        if (right) {
            e->fails = 0; /* someone there knows it: a typo before is forgiven */
        } else {
            if (!prepaid)
                p->judge_debt += 1000;
            *ms = peer_failed(e, now_ms);
            v = AUTH_WRONG;
        }
    }
    idle_touch(p, e);
    pthread_mutex_unlock(&p->lock);
    return v;
}

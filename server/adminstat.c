/* adminstat: the numbers an admin sees once a second, read from the
 * server: the STATS line (counters, rates, memory, threads) and the
 * ROSTER block (a row per connection). */
#include "adminsock.h"
#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* VmRSS (KiB) and Threads of this process, from /proc/self/status; left
 * 0 when it cannot be read. */
static void adminstat_proc(unsigned long long *rss_kib, unsigned *threads)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (f == NULL)
        return;
    char line[256];
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long v;
        if (sscanf(line, "VmRSS: %llu", &v) == 1)
            *rss_kib = v;
        else if (sscanf(line, "Threads: %llu", &v) == 1)
            *threads = (unsigned)v;
    }
    fclose(f);
}

/* reach as net_reach says it ("a:5000, b:5000") without the blanks: a
 * STATS value holds none. */
static void adminstat_reach(char *out, size_t cap, const char *reach)
{
    size_t o = 0;
    for (const char *p = reach; *p != '\0' && o + 1 < cap; p++)
        if (*p != ' ')
            out[o++] = *p;
    out[o] = '\0';
}

void adminstat_stats(struct server *srv, struct adminstat_rates *r, unsigned admins,
                     struct admin_stats *s)
{
    struct stats_view v;
    server_stats(srv, &v);
    memset(s, 0, sizeof *s);
    snprintf(s->mode, sizeof s->mode, "%s", v.mode);
    snprintf(s->listen, sizeof s->listen, "%s", srv->listen);
    adminstat_reach(s->reach, sizeof s->reach, srv->reach);
    s->up_ms = v.up_ms;
    s->clients = v.clients;
    s->room = v.room;
    s->served = v.served;
    s->messages = v.messages;
    s->deliveries = atomic_load_explicit(&srv->st.deliveries, memory_order_relaxed);
    s->bytes_in = v.bytes_in;
    s->bytes_out = v.bytes_out;
    s->admins = admins;
    int64_t now = server_now_ms(srv);
    if (r->at_ms != 0 && now > r->at_ms) {
        /* Per second, over what passed since the last look (about one). */
        int64_t ms = now - r->at_ms;
        s->msgs_per_s = (unsigned)((s->messages - r->messages) * 1000 / (unsigned long long)ms);
        s->deliveries_per_s =
            (unsigned)((s->deliveries - r->deliveries) * 1000 / (unsigned long long)ms);
    }
    r->at_ms = now;
    r->messages = s->messages;
    r->deliveries = s->deliveries;
    adminstat_proc(&s->rss_kib, &s->threads);
    snprintf(s->tls, sizeof s->tls, "%s", tls_mode_word(srv));
    if (srv->tls != NULL)
        snprintf(s->tls_sha256, sizeof s->tls_sha256, "%s", tls_server_fingerprint(srv->tls));
    s->tls_now = atomic_load_explicit(&srv->st.tls_now, memory_order_relaxed);
}

static const char *adminstat_dialect(enum dialect d)
{
    switch (d) {
    case DIALECT_FRAMED:
        return "sockchat";
    case DIALECT_PLAIN:
        return "plain";
    case DIALECT_RAW:
        return "tutorial";
    default:
        return "unknown";
    }
}

/* With reg_lock held: c's row. */
static void adminstat_row(struct server *srv, struct client *c, int64_t now, struct admin_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = c->id;
    /* A guest's number is its nick until it joins: "-" says it has none. */
    if (c->joined)
        snprintf(r->nick, sizeof r->nick, "%s", c->nick);
    snprintf(r->addr, sizeof r->addr, "%s", c->addr);
    snprintf(r->dialect, sizeof r->dialect, "%s", adminstat_dialect(c->dialect));
    pthread_mutex_lock(&c->lock);
    bool closing = c->close != CLOSE_NONE;
    r->queue = c->q.bytes;
    const char *tls = xport_version(c); /* its state is written under this lock */
    snprintf(r->tls, sizeof r->tls, "%s", tls != NULL ? tls : "");
    pthread_mutex_unlock(&c->lock);
    /* Whether it gave the password is its owner's to know; one that spoke
     * but has not joined while a password is asked is waiting on it. */
    const char *state = closing                                                      ? "closing"
                        : c->joined                                                  ? "joined"
                        : srv->cfg.password != NULL && c->dialect != DIALECT_UNKNOWN ? "password"
                                                                                     : "new";
    snprintf(r->state, sizeof r->state, "%s", state);
    int w = atomic_load_explicit(&c->worker, memory_order_relaxed);
    switch (srv->cfg.mode) {
    case MODE_THREADS:
        if (w > 0)
            snprintf(r->worker, sizeof r->worker, "t%d", w);
        else
            snprintf(r->worker, sizeof r->worker, "t?"); /* its thread is starting */
        break;
    case MODE_POOL:
        snprintf(r->worker, sizeof r->worker, "w%d", w);
        break;
    case MODE_SINGLE:
    default:
        snprintf(r->worker, sizeof r->worker, "main");
        break;
    }
    r->msgs_in = atomic_load_explicit(&c->msgs_in, memory_order_relaxed);
    r->msgs_out = atomic_load_explicit(&c->msgs_out, memory_order_relaxed);
    r->bytes_in = atomic_load_explicit(&c->bytes_in, memory_order_relaxed);
    r->bytes_out = atomic_load_explicit(&c->bytes_out, memory_order_relaxed);
    r->idle_ms = now - atomic_load(&c->active_ms);
    long long muted = atomic_load(&c->muted_until_ms);
    r->muted = muted != 0 && muted > now;
}

unsigned adminstat_rooms(struct server *srv)
{
    pthread_mutex_lock(&srv->reg_lock);
    unsigned n = srv->nrooms;
    pthread_mutex_unlock(&srv->reg_lock);
    return n;
}

char *adminstat_roster(struct server *srv, size_t *len)
{
    /* A row is a few hundred bytes at most; this one buffer holds them all. */
    enum { ROW_CAP = 512 };
    size_t cap = (size_t)(ADMIN_ROSTER_MAX + 1) * ROW_CAP;
    char *buf = malloc(cap);
    if (buf == NULL)
        return NULL;
    size_t o = ROW_CAP; /* the ROSTER line goes first, once the rows are counted */
    unsigned total = 0, shown = 0;
    int64_t now = server_now_ms(srv);
    pthread_mutex_lock(&srv->reg_lock);
    /* The registry's list is newest first. */
    for (struct client *c = srv->clients; c != NULL; c = c->next) {
        total++;
        if (shown == ADMIN_ROSTER_MAX)
            continue;
        struct admin_row r;
        adminstat_row(srv, c, now, &r);
        /* Its room; none before it joins. */
        if (c->room != NULL)
            memcpy(r.room, c->room->name, sizeof r.room);
        size_t n = admin_format_row(buf + o, ROW_CAP - 1, &r);
        if (n == 0)
            continue;
        buf[o + n] = '\n';
        o += n + 1;
        shown++;
    }
    pthread_mutex_unlock(&srv->reg_lock);
    char head[64];
    size_t h = admin_format_roster(head, sizeof head, total, shown);
    head[h++] = '\n';
    /* Moved up against its rows. */
    size_t start = ROW_CAP - h;
    memcpy(buf + start, head, h);
    memmove(buf, buf + start, o - start);
    *len = o - start;
    return buf;
}

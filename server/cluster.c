/* cluster: the node's life in the cluster (cluster.h): start and stop,
 * the connections lent to publishers, the keeper (presence, the link's
 * state, said to everyone when it changes), nick leases. */
#include "cluster_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "reply.h"
#include "server.h"

/* KEYS: stream, [claim]. ARGV: maxlen, claim ms, fields... A claimed
 * (token, id) was published before: nil, nothing added. One script, so
 * a message is never in the stream without its claim or the reverse. */
static const char PUBLISH_LUA[] =
    "if #KEYS > 1 and not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then\n"
    "  return false\n"
    "end\n"
    "return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))\n";

/* KEYS: lease, nodes. ARGV: node, dead ms, token ("-": none). A lease
 * is "NODE TOKEN": some client on NODE has the nick (each node keeps its
 * own nicks unique). Free, a dead node's, or held for the same SESSION
 * token: taken, "+". This node's: "+", the local table decides (a token
 * is written in). Else the holder's value. Redis's clock judges "dead", so
 * the nodes' clocks need not agree. */
static const char TAKE_LUA[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v then\n"
    "  local node, tok = string.match(v, '^(%S+) (%S+)$')\n"
    "  if node == ARGV[1] then\n"
    "    if ARGV[3] ~= '-' then redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[3]) end\n"
    "    return '+'\n"
    "  end\n"
    "  if node and not (ARGV[3] ~= '-' and tok == ARGV[3]) then\n"
    "    local t = redis.call('TIME')\n"
    "    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
    "    local seen = redis.call('ZSCORE', KEYS[2], node)\n"
    "    if seen and tonumber(seen) >= now - tonumber(ARGV[2]) then return v end\n"
    "  end\n"
    "end\n"
    "redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[3])\n"
    "return '+'\n";

/* KEYS: lease. ARGV: "NODE " (the value's start). */
static const char DROP_LUA[] =
    "local v = redis.call('GET', KEYS[1])\n"
    "if v and string.sub(v, 1, #ARGV[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end\n"
    "return 0\n";

redisContext *cluster_connect(struct cluster *cl, int timeout_ms, char *why, size_t cap)
{
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000L};
    redisContext *ctx = redisConnectWithTimeout(cl->url.host, (int)cl->url.port, tv);
    if (ctx == NULL) {
        snprintf(why, cap, "connect %s:%u: out of memory", cl->url.host, cl->url.port);
        return NULL;
    }
    if (ctx->err) {
        snprintf(why, cap, "connect %s:%u: %s", cl->url.host, cl->url.port, ctx->errstr);
        redisFree(ctx);
        return NULL;
    }
    struct timeval ct = {.tv_sec = CLUSTER_CMD_TIMEOUT_MS / 1000,
                         .tv_usec = (CLUSTER_CMD_TIMEOUT_MS % 1000) * 1000L};
    if (redisSetTimeout(ctx, ct) != REDIS_OK) {
        snprintf(why, cap, "%s:%u: setting a timeout failed", cl->url.host, cl->url.port);
        redisFree(ctx);
        return NULL;
    }
    return ctx;
}

void cluster_fail(struct cluster *cl, const char *what, const redisContext *ctx)
{
    pthread_mutex_lock(&cl->lock);
    if (cl->linked) {
        snprintf(cl->why, sizeof cl->why, "%s: %s", what,
                 ctx != NULL && ctx->err ? ctx->errstr : "unexpected reply");
        cl->linked = false;
    }
    cl->look = true;
    pthread_cond_signal(&cl->tick_cond);
    pthread_mutex_unlock(&cl->lock);
}

const char *cluster_node(struct server *srv)
{
    return srv->cluster != NULL ? srv->cluster->node : "";
}

bool cluster_linked(struct server *srv)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL)
        return false;
    pthread_mutex_lock(&cl->lock);
    bool up = cl->linked;
    pthread_mutex_unlock(&cl->lock);
    return up;
}

/* ---- connections lent to the serving threads ---- */

static int pool_take(struct cluster *cl, redisContext **ctx)
{
    pthread_mutex_lock(&cl->lock);
    int slot = -1;
    while (slot < 0 && cl->linked && !cl->stop) {
        for (int i = 0; i < CLUSTER_POOL && slot < 0; i++)
            if (!cl->lent[i])
                slot = i;
        if (slot < 0)
            pthread_cond_wait(&cl->pool_cond, &cl->lock);
    }
    if (slot >= 0) {
        cl->lent[slot] = true;
        *ctx = cl->pool[slot];
        cl->pool[slot] = NULL;
    }
    pthread_mutex_unlock(&cl->lock);
    if (slot < 0)
        return -1;
    if (*ctx == NULL) {
        char why[CLUSTER_WHY_MAX];
        *ctx = cluster_connect(cl, CLUSTER_CMD_TIMEOUT_MS, why, sizeof why);
        if (*ctx == NULL) {
            cluster_fail(cl, why, NULL);
            pthread_mutex_lock(&cl->lock);
            cl->lent[slot] = false;
            pthread_cond_signal(&cl->pool_cond);
            pthread_mutex_unlock(&cl->lock);
            return -1;
        }
    }
    return slot;
}

/* reply NULL: the connection broke (it is closed, the node goes local). */
static void pool_give(struct cluster *cl, int slot, redisContext *ctx, const redisReply *reply,
                      const char *what)
{
    if (reply == NULL) {
        cluster_fail(cl, what, ctx);
        redisFree(ctx);
        ctx = NULL;
    }
    pthread_mutex_lock(&cl->lock);
    cl->pool[slot] = ctx;
    cl->lent[slot] = false;
    pthread_cond_signal(&cl->pool_cond);
    pthread_mutex_unlock(&cl->lock);
}

/* One command on a lent connection. A connection kept from before may
 * have been closed by Redis meanwhile (a restart): found at the first
 * write or read, with the command not taken, so it is sent again once on
 * a new connection. A timeout is not retried: Redis may have run it. */
static redisReply *command_argv(struct cluster *cl, redisContext **ctx, int argc, const char **argv,
                                const size_t *lens)
{
    redisReply *rp = redisCommandArgv(*ctx, argc, argv, lens);
    if (rp != NULL || ((*ctx)->err != REDIS_ERR_EOF && (*ctx)->err != REDIS_ERR_IO) ||
        ((*ctx)->err == REDIS_ERR_IO && errno != EPIPE && errno != ECONNRESET))
        return rp;
    char why[CLUSTER_WHY_MAX];
    redisContext *fresh = cluster_connect(cl, CLUSTER_CMD_TIMEOUT_MS, why, sizeof why);
    if (fresh == NULL)
        return NULL;
    redisFree(*ctx);
    *ctx = fresh;
    return redisCommandArgv(*ctx, argc, argv, lens);
}

int cluster_publish(struct server *srv, const struct centry *e, const char *token, uint64_t id)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL)
        return -1;
    redisContext *ctx;
    int slot = pool_take(cl, &ctx);
    if (slot < 0)
        return -1;
    enum { HEAD = 7 };
    const char *argv[HEAD + CENTRY_FIELDS];
    size_t lens[HEAD + CENTRY_FIELDS];
    char claim[CLUSTER_KEY_MAX + SESSION_TOKEN_MAX + 24], maxlen[24], claim_ms[24], num[64];
    bool check = token != NULL && token[0] != '\0' && id != 0;
    int nkeys = check ? 2 : 1, k = 0;
    argv[k++] = "EVAL";
    argv[k++] = PUBLISH_LUA;
    argv[k++] = check ? "2" : "1";
    argv[k++] = cl->k_stream;
    if (check) {
        snprintf(claim, sizeof claim, "%s:claim:%s:%" PRIu64, cl->url.prefix, token, id);
        argv[k++] = claim;
    }
    snprintf(maxlen, sizeof maxlen, "%d", CLUSTER_STREAM_MAX);
    snprintf(claim_ms, sizeof claim_ms, "%d", CLUSTER_CLAIM_MS);
    argv[k++] = maxlen;
    argv[k++] = claim_ms;
    for (int i = 0; i < k; i++)
        lens[i] = strlen(argv[i]);
    unsigned n;
    centry_fields(e, argv + k, lens + k, &n, num);
    (void)nkeys;
    redisReply *rp = command_argv(cl, &ctx, k + (int)n, argv, lens);
    int rc = -1;
    if (rp != NULL && rp->type == REDIS_REPLY_STRING)
        rc = 1;
    else if (rp != NULL && rp->type == REDIS_REPLY_NIL)
        rc = 0;
    else if (rp != NULL) /* a script error: Redis is up, the entry is not in */
        log_event(srv, AEV_ERROR, NULL, "cluster: XADD refused: %s",
                  rp->type == REDIS_REPLY_ERROR ? rp->str : "unexpected reply");
    pool_give(cl, slot, ctx, rp, "XADD");
    if (rp != NULL)
        freeReplyObject(rp);
    return rc;
}

int cluster_operator(struct server *srv, const char *verb, const char *args)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL)
        return -1;
    struct centry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return -1;
    e->kind = CE_MOD;
    snprintf(e->node, sizeof e->node, "%s", cl->node);
    e->time = server_wall(srv);
    snprintf(e->text, sizeof e->text, "%s %s", verb, args);
    int rc = cluster_publish(srv, e, NULL, 0) > 0 ? 0 : -1;
    free(e);
    return rc;
}

void cluster_tell(struct server *srv, enum centry_kind kind, const char *room, const char *nick,
                  const char *nick2, const char *text)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL || !cluster_linked(srv))
        return;
    struct centry *e = calloc(1, sizeof *e);
    if (e == NULL)
        return;
    e->kind = kind;
    snprintf(e->node, sizeof e->node, "%s", cl->node);
    e->time = server_wall(srv);
    snprintf(e->room, sizeof e->room, "%s", room);
    snprintf(e->nick, sizeof e->nick, "%s", nick);
    snprintf(e->nick2, sizeof e->nick2, "%s", nick2 != NULL ? nick2 : "");
    snprintf(e->text, sizeof e->text, "%s", text != NULL ? text : "");
    cluster_publish(srv, e, NULL, 0);
    free(e);
}

/* ---- nick leases ---- */

static void lease_key(const struct cluster *cl, const char *nick, char *key, size_t cap)
{
    char skel[NICK_SKELETON_CAP];
    nick_skeleton(nick, strlen(nick), skel, sizeof skel);
    snprintf(key, cap, "%s:nick:%s", cl->url.prefix, skel);
}

/* The node named by a lease's value "NODE CONN TOKEN". */
static void holder_node(const char *v, size_t len, char *where, size_t wcap)
{
    const char *sp = memchr(v, ' ', len);
    size_t n = sp != NULL ? (size_t)(sp - v) : len;
    if (where != NULL && wcap > 0)
        snprintf(where, wcap, "%.*s", (int)n, v);
}

/* Runs a script of ours with argc arguments on a lent connection; the
 * reply (NULL: none, the node is local). */
static redisReply *script(struct cluster *cl, int argc, const char **argv, const char *what)
{
    redisContext *ctx;
    int slot = pool_take(cl, &ctx);
    if (slot < 0)
        return NULL;
    size_t lens[12];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *rp = command_argv(cl, &ctx, argc, argv, lens);
    pool_give(cl, slot, ctx, rp, what);
    return rp;
}

enum cluster_nick cluster_nick_take(struct server *srv, const char *nick, const char *token,
                                    char *where, size_t wcap, bool *tokened)
{
    struct cluster *cl = srv->cluster;
    if (tokened != NULL)
        *tokened = false;
    if (cl == NULL)
        return CLUSTER_NICK_OURS;
    char key[CLUSTER_KEY_MAX + NICK_SKELETON_CAP], dead[24];
    const char *tok = token != NULL && token[0] != '\0' ? token : "-";
    lease_key(cl, nick, key, sizeof key);
    snprintf(dead, sizeof dead, "%d", CLUSTER_NODE_DEAD_MS);
    const char *argv[] = {"EVAL", TAKE_LUA, "2", key, cl->k_nodes, cl->node, dead, tok};
    redisReply *rp = script(cl, (int)(sizeof argv / sizeof argv[0]), argv, "nick lease");
    enum cluster_nick v = CLUSTER_NICK_OURS;
    if (rp != NULL && rp->type == REDIS_REPLY_STRING && strcmp(rp->str, "+") != 0) {
        v = CLUSTER_NICK_ELSEWHERE;
        holder_node(rp->str, rp->len, where, wcap);
        const char *sp = memchr(rp->str, ' ', rp->len);
        if (tokened != NULL)
            *tokened = sp != NULL && strcmp(sp + 1, "-") != 0;
    }
    if (rp != NULL)
        freeReplyObject(rp);
    return v;
}

void cluster_nick_drop(struct server *srv, const char *nick)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL || nick[0] == '\0')
        return;
    char key[CLUSTER_KEY_MAX + NICK_SKELETON_CAP], val[CLUSTER_NODE_MAX + 2];
    lease_key(cl, nick, key, sizeof key);
    snprintf(val, sizeof val, "%s ", cl->node);
    const char *argv[] = {"EVAL", DROP_LUA, "1", key, val};
    redisReply *rp = script(cl, (int)(sizeof argv / sizeof argv[0]), argv, "nick lease");
    if (rp != NULL)
        freeReplyObject(rp);
}

int cluster_nick_where(struct server *srv, const char *nick, char *where, size_t wcap,
                       char *spelled, size_t scap)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL)
        return 0;
    int found = 0;
    pthread_mutex_lock(&cl->lock);
    for (unsigned i = 0; i < cl->nremote && !found; i++) {
        if (nick_same(cl->remote[i].nick, nick)) {
            found = 1;
            snprintf(where, wcap, "%s", cl->remote[i].node);
            snprintf(spelled, scap, "%s", cl->remote[i].nick);
        }
    }
    pthread_mutex_unlock(&cl->lock);
    return found;
}

/* ---- the roster of other nodes ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* With cl->lock: one change applied to cl->remote. */
static void roster_apply_locked(struct cluster *cl, const struct cluster_change *ch)
{
    unsigned i = 0;
    const char *who = ch->nick;
    while (i < cl->nremote &&
           !(strcmp(cl->remote[i].node, ch->node) == 0 && nick_same(cl->remote[i].nick, who)))
        i++;
    if (ch->kind == CE_LEAVE) {
        if (i < cl->nremote)
            cl->remote[i] = cl->remote[--cl->nremote];
        return;
    }
    if (i == cl->nremote) {
        if (ch->kind == CE_NICK)
            return; /* not known here (yet): the keeper's next read has it */
        struct cluster_person *p = realloc(cl->remote, (cl->nremote + 1) * sizeof *p);
        if (p == NULL)
            return;
        cl->remote = p;
        cl->nremote++;
        snprintf(cl->remote[i].node, sizeof cl->remote[i].node, "%s", ch->node);
    }
    snprintf(cl->remote[i].nick, sizeof cl->remote[i].nick, "%s",
             ch->kind == CE_NICK ? ch->nick2 : ch->nick);
    if (ch->room[0] != '\0')
        snprintf(cl->remote[i].room, sizeof cl->remote[i].room, "%s", ch->room);
}

void cluster_roster_change(struct cluster *cl, const struct centry *e)
{
    struct cluster_change ch = {.kind = e->kind, .ms = mono_ms()};
    memcpy(ch.nick, e->nick, sizeof ch.nick);
    memcpy(ch.nick2, e->nick2, sizeof ch.nick2);
    memcpy(ch.room, e->room, sizeof ch.room);
    memcpy(ch.node, e->node, sizeof ch.node);
    pthread_mutex_lock(&cl->lock);
    roster_apply_locked(cl, &ch);
    unsigned slot = (cl->change_head + cl->nchanges) % CLUSTER_CHANGES;
    if (cl->nchanges == CLUSTER_CHANGES)
        cl->change_head = (cl->change_head + 1) % CLUSTER_CHANGES;
    else
        cl->nchanges++;
    cl->changes[slot] = ch;
    pthread_mutex_unlock(&cl->lock);
}

/* With cl->lock: the recent changes again, on a roster just read. */
static void roster_replay_locked(struct cluster *cl)
{
    int64_t now = mono_ms();
    while (cl->nchanges > 0 && now - cl->changes[cl->change_head].ms > CLUSTER_CHANGE_MS) {
        cl->change_head = (cl->change_head + 1) % CLUSTER_CHANGES;
        cl->nchanges--;
    }
    for (unsigned k = 0; k < cl->nchanges; k++)
        roster_apply_locked(cl, &cl->changes[(cl->change_head + k) % CLUSTER_CHANGES]);
}

unsigned cluster_remote_count(struct server *srv, const char *room)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL)
        return 0;
    unsigned n = 0;
    pthread_mutex_lock(&cl->lock);
    for (unsigned i = 0; i < cl->nremote; i++)
        if (room == NULL || strcmp(cl->remote[i].room, room) == 0)
            n++;
    pthread_mutex_unlock(&cl->lock);
    return n;
}

unsigned cluster_rooms_elsewhere(struct server *srv, char (*names)[ROOMNAME_SIZE], unsigned *counts,
                                 unsigned max)
{
    struct cluster *cl = srv->cluster;
    unsigned n = 0;
    if (cl == NULL)
        return 0;
    pthread_mutex_lock(&cl->lock);
    for (unsigned i = 0; i < cl->nremote; i++) {
        unsigned k = 0;
        while (k < n && strcmp(names[k], cl->remote[i].room) != 0)
            k++;
        if (k == n) {
            if (n == max)
                continue;
            memcpy(names[n], cl->remote[i].room, ROOMNAME_SIZE);
            counts[n++] = 0;
        }
        counts[k]++;
    }
    pthread_mutex_unlock(&cl->lock);
    return n;
}

unsigned cluster_who(struct server *srv, const char *room, unsigned max,
                     void (*out)(void *arg, const char *line), void *arg)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL)
        return 0;
    enum { ROW = NICK_MAX + ROOMNAME_SIZE + CLUSTER_NODE_MAX + 32 };
    pthread_mutex_lock(&cl->lock);
    unsigned n = 0, total = 0;
    for (unsigned i = 0; i < cl->nremote; i++)
        if (room == NULL || strcmp(cl->remote[i].room, room) == 0)
            total++;
    char(*rows)[ROW] = total > 0 ? calloc(total < max ? total : max, ROW) : NULL;
    for (unsigned i = 0; i < cl->nremote && rows != NULL && n < max; i++) {
        const struct cluster_person *p = &cl->remote[i];
        if (room == NULL || strcmp(p->room, room) == 0)
            snprintf(rows[n++], ROW, "  %-*s %-8s on %s", NICK_MAX < 12 ? NICK_MAX : 12, p->nick,
                     p->room, p->node);
    }
    pthread_mutex_unlock(&cl->lock);
    if (total > 0 && rows == NULL) {
        out(arg, "  (people on other nodes: out of memory)");
        return 0;
    }
    if (total > 0) {
        char head[64];
        snprintf(head, sizeof head, "%u on other nodes:", total);
        out(arg, head);
    }
    for (unsigned i = 0; i < n; i++)
        out(arg, rows[i]);
    if (total > n) {
        char more[64];
        snprintf(more, sizeof more, "  ... and %u more on other nodes", total - n);
        out(arg, more);
    }
    free(rows);
    return total;
}

void cluster_stats_line(struct server *srv, char *buf, size_t cap)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL) {
        snprintf(buf, cap, "cluster: none (this server alone)");
        return;
    }
    pthread_mutex_lock(&cl->lock);
    if (cl->linked)
        snprintf(buf, cap, "cluster: node %s, ok: %u node%s, %u people elsewhere, via %s:%u/%s",
                 cl->node, cl->nnodes, plural_s(cl->nnodes), cl->nremote, cl->url.host,
                 cl->url.port, cl->url.prefix);
    else
        snprintf(buf, cap, "cluster: node %s, degraded (local only: %s)", cl->node, cl->why);
    pthread_mutex_unlock(&cl->lock);
}

/* ---- the link's state, told to people ---- */

static void state_msg(struct cluster *cl, bool up, struct msg *m, char *text, size_t cap)
{
    if (up)
        snprintf(text, cap, "cluster: %s reaches the whole cluster again", cl->node);
    else
        snprintf(text, cap,
                 "cluster: Redis unreachable: messages reach only the people on this server "
                 "(%s) until it is back",
                 cl->node);
    memset(m, 0, sizeof *m);
    m->type = MSG_CLUSTER;
    m->word = up ? "cluster" : "local";
    m->text = text;
}

void cluster_greet_locked(struct client *c)
{
    struct cluster *cl = c->srv->cluster;
    if (cl == NULL || c->dialect != DIALECT_FRAMED || c->proto < 2)
        return;
    pthread_mutex_lock(&cl->lock);
    bool up = cl->linked;
    pthread_mutex_unlock(&cl->lock);
    char text[256];
    struct msg m;
    state_msg(cl, up, &m, text, sizeof text);
    if (up)
        snprintf(text, sizeof text, "cluster: you reach everyone on every node (this is %s)",
                 cl->node);
    client_send_msg(c, &m);
}

static void state_tell(struct cluster *cl, bool up)
{
    struct server *srv = cl->srv;
    char text[256];
    struct msg m;
    state_msg(cl, up, &m, text, sizeof text);
    struct msg notice = {.type = MSG_NOTICE, .text = text};
    pthread_mutex_lock(&srv->reg_lock);
    for (struct client *c = srv->clients; c != NULL; c = c->next) {
        if (!c->joined || c->dialect == DIALECT_RAW)
            continue;
        client_send_msg(c, c->dialect == DIALECT_FRAMED && c->proto >= 2 ? &m : &notice);
    }
    pthread_mutex_unlock(&srv->reg_lock);
}

/* ---- the keeper ---- */

struct local_person {
    char nick[NICK_MAX + 1];
    char room[ROOMNAME_SIZE];
};

/* The joined people here, under reg_lock; *n of them (NULL: none, or out
 * of memory). */
static struct local_person *local_people(struct server *srv, unsigned *n)
{
    pthread_mutex_lock(&srv->reg_lock);
    unsigned cap = srv->nroom;
    struct local_person *p = cap > 0 ? calloc(cap, sizeof *p) : NULL;
    *n = 0;
    for (struct client *c = srv->clients; c != NULL && p != NULL && *n < cap; c = c->next) {
        if (!c->joined || c->provisional || c->room == NULL)
            continue;
        memcpy(p[*n].nick, c->nick, sizeof p[*n].nick);
        memcpy(p[*n].room, c->room->name, sizeof p[*n].room);
        (*n)++;
    }
    pthread_mutex_unlock(&srv->reg_lock);
    return p;
}

static bool reply_ok(const redisReply *rp)
{
    return rp != NULL && rp->type != REDIS_REPLY_ERROR;
}

/* One round: this node's presence written, the others' read. -1: Redis
 * failed (the connection is to be dropped). */
static int keeper_round(struct cluster *cl, redisContext *ctx)
{
    struct server *srv = cl->srv;
    redisReply *rp = redisCommand(ctx, "TIME");
    if (rp == NULL || rp->type != REDIS_REPLY_ARRAY || rp->elements < 2) {
        if (rp != NULL)
            freeReplyObject(rp);
        return -1;
    }
    long long now = atoll(rp->element[0]->str) * 1000 + atoll(rp->element[1]->str) / 1000;
    freeReplyObject(rp);

    unsigned n;
    struct local_person *people = local_people(srv, &n);
    size_t argc = 2 + 2 * (size_t)n;
    const char **argv = calloc(argc, sizeof *argv);
    size_t *lens = calloc(argc, sizeof *lens);
    if (argv == NULL || lens == NULL) {
        free(argv);
        free(lens);
        free(people);
        return 0; /* try again next round */
    }
    argv[0] = "HSET";
    argv[1] = cl->k_who;
    for (unsigned i = 0; i < n; i++) {
        argv[2 + 2 * i] = people[i].nick;
        argv[3 + 2 * i] = people[i].room;
    }
    for (size_t i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisAppendCommand(ctx, "MULTI");
    redisAppendCommand(ctx, "DEL %s", cl->k_who);
    if (n > 0)
        redisAppendCommandArgv(ctx, (int)argc, argv, lens);
    redisAppendCommand(ctx, "PEXPIRE %s %d", cl->k_who, 2 * CLUSTER_NODE_DEAD_MS);
    redisAppendCommand(ctx, "ZADD %s %lld %s", cl->k_nodes, now, cl->node);
    redisAppendCommand(ctx, "ZREMRANGEBYSCORE %s -inf %lld", cl->k_nodes, now - 3600 * 1000LL);
    redisAppendCommand(ctx, "EXEC");
    redisAppendCommand(ctx, "ZRANGEBYSCORE %s %lld +inf", cl->k_nodes, now - CLUSTER_NODE_DEAD_MS);
    free(argv);
    free(lens);
    free(people);
    unsigned replies = n > 0 ? 8 : 7;
    int rc = 0;
    redisReply *nodes = NULL;
    for (unsigned i = 0; i < replies; i++) {
        void *r = NULL;
        if (redisGetReply(ctx, &r) != REDIS_OK || !reply_ok(r)) {
            rc = -1;
            if (r != NULL)
                freeReplyObject(r);
            continue;
        }
        if (i == replies - 1)
            nodes = r;
        else
            freeReplyObject(r);
    }
    if (rc < 0 || nodes == NULL || nodes->type != REDIS_REPLY_ARRAY) {
        if (nodes != NULL)
            freeReplyObject(nodes);
        return -1;
    }

    /* The other nodes' people. */
    struct cluster_person *remote = NULL;
    unsigned nremote = 0, cap = 0;
    for (size_t i = 0; i < nodes->elements && rc == 0; i++) {
        const char *node = nodes->element[i]->str;
        if (strcmp(node, cl->node) == 0)
            continue;
        redisReply *h = redisCommand(ctx, "HGETALL %s:who:%s", cl->url.prefix, node);
        if (h == NULL || h->type != REDIS_REPLY_ARRAY) {
            rc = h == NULL ? -1 : 0;
            if (h != NULL)
                freeReplyObject(h);
            continue;
        }
        for (size_t j = 0; j + 1 < h->elements; j += 2) {
            if (nremote == cap) {
                unsigned ncap = cap ? cap * 2 : 64;
                struct cluster_person *p = realloc(remote, ncap * sizeof *p);
                if (p == NULL)
                    break;
                remote = p;
                cap = ncap;
            }
            struct cluster_person *p = &remote[nremote++];
            snprintf(p->nick, sizeof p->nick, "%s", h->element[j]->str);
            snprintf(p->room, sizeof p->room, "%s", h->element[j + 1]->str);
            snprintf(p->node, sizeof p->node, "%s", node);
        }
        freeReplyObject(h);
    }
    unsigned live = (unsigned)nodes->elements;
    freeReplyObject(nodes);
    if (rc < 0) {
        free(remote);
        return -1;
    }
    pthread_mutex_lock(&cl->lock);
    free(cl->remote);
    cl->remote = remote;
    cl->nremote = nremote;
    cl->nnodes = live;
    roster_replay_locked(cl);
    pthread_mutex_unlock(&cl->lock);
    return 0;
}

/* Links the node (true) or not, and says so when that changed. */
static void keeper_state(struct cluster *cl, bool up, bool *told, bool *was_up)
{
    char why[CLUSTER_WHY_MAX];
    unsigned nodes;
    pthread_mutex_lock(&cl->lock);
    if (up)
        cl->linked = true;
    up = cl->linked; /* a publisher may have failed meanwhile */
    memcpy(why, cl->why, sizeof why);
    nodes = cl->nnodes;
    pthread_mutex_unlock(&cl->lock);
    if (*told && up == *was_up)
        return;
    if (up && !*told)
        log_event(cl->srv, AEV_INFO, NULL, "cluster: node %s joined redis://%s:%u/%s (%u node%s)",
                  cl->node, cl->url.host, cl->url.port, cl->url.prefix, nodes, plural_s(nodes));
    else if (up)
        log_event(cl->srv, AEV_INFO, NULL,
                  "cluster: Redis is back: node %s rejoined the cluster (%u node%s)", cl->node,
                  nodes, plural_s(nodes));
    else
        log_event(cl->srv, AEV_ERROR, NULL,
                  "cluster: Redis unreachable (%s): degraded, messages reach this node only; "
                  "trying again every second",
                  why);
    if (*told)
        state_tell(cl, up);
    *told = true;
    *was_up = up;
}

static void *keeper_main(void *arg)
{
    struct cluster *cl = arg;
    redisContext *ctx = NULL;
    bool told = false, was_up = false;
    for (;;) {
        pthread_mutex_lock(&cl->lock);
        bool stop = cl->stop;
        cl->look = false;
        pthread_mutex_unlock(&cl->lock);
        if (stop)
            break;
        char why[CLUSTER_WHY_MAX];
        if (ctx == NULL &&
            (ctx = cluster_connect(cl, CLUSTER_CMD_TIMEOUT_MS, why, sizeof why)) == NULL) {
            pthread_mutex_lock(&cl->lock);
            if (cl->linked || !told)
                snprintf(cl->why, sizeof cl->why, "%s", why);
            cl->linked = false;
            pthread_mutex_unlock(&cl->lock);
        } else if (ctx != NULL && keeper_round(cl, ctx) < 0) {
            cluster_fail(cl, "presence", ctx);
            redisFree(ctx);
            ctx = NULL;
        }
        keeper_state(cl, ctx != NULL, &told, &was_up);

        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += CLUSTER_TICK_MS / 1000;
        pthread_mutex_lock(&cl->lock);
        while (!cl->stop && !cl->look &&
               pthread_cond_timedwait(&cl->tick_cond, &cl->lock, &until) != ETIMEDOUT)
            ;
        pthread_mutex_unlock(&cl->lock);
    }
    if (ctx != NULL) {
        /* Gone on purpose: the others stop listing us at once. */
        redisReply *rp = redisCommand(ctx, "DEL %s", cl->k_who);
        if (rp != NULL)
            freeReplyObject(rp);
        rp = redisCommand(ctx, "ZREM %s %s", cl->k_nodes, cl->node);
        if (rp != NULL)
            freeReplyObject(rp);
        redisFree(ctx);
    }
    return NULL;
}

/* ---- life ---- */

/* Guest numbers and connection ids are per node: a node takes a range of
 * its own (PREFIX:nodes:seq), so that guest12 on one node is not also on
 * another. */
static void cluster_id_range(struct cluster *cl, redisContext *ctx)
{
    redisReply *rp = ctx != NULL ? redisCommand(ctx, "INCR %s:seq", cl->k_nodes) : NULL;
    unsigned long long k = 0;
    if (rp != NULL && rp->type == REDIS_REPLY_INTEGER && rp->integer > 0)
        k = (unsigned long long)rp->integer % 9000;
    if (rp != NULL)
        freeReplyObject(rp);
    if (k == 0) { /* no Redis: from the name, which is unique */
        unsigned h = 5381;
        for (const char *p = cl->node; *p; p++)
            h = h * 33 + (unsigned char)*p;
        k = 100 + h % 9000;
    }
    pthread_mutex_lock(&cl->srv->reg_lock);
    cl->srv->next_id = k * 100000;
    pthread_mutex_unlock(&cl->srv->reg_lock);
}

int cluster_start(struct server *srv, const char *url, const char *node, const char *bound,
                  char *err, size_t ecap)
{
    struct cluster *cl = calloc(1, sizeof *cl);
    if (cl == NULL) {
        snprintf(err, ecap, "--cluster: out of memory");
        return -1;
    }
    cl->srv = srv;
    if (cluster_url_parse(url, &cl->url, err, ecap) < 0) {
        free(cl);
        return -1;
    }
    if (node != NULL) {
        snprintf(cl->node, sizeof cl->node, "%s", node);
    } else {
        char host[64] = "node";
        if (gethostname(host, sizeof host) < 0)
            snprintf(host, sizeof host, "node");
        host[sizeof host - 1] = '\0';
        const char *colon = strrchr(bound, ':');
        snprintf(cl->node, sizeof cl->node, "%.32s:%s", host, colon ? colon + 1 : "0");
    }
    if (!cluster_node_valid(cl->node)) {
        snprintf(err, ecap, "--node %s: 1-%d of A-Z a-z 0-9 . _ : -", cl->node,
                 CLUSTER_NODE_MAX - 1);
        free(cl);
        return -1;
    }
    snprintf(cl->k_stream, sizeof cl->k_stream, "%s:chat", cl->url.prefix);
    snprintf(cl->k_nodes, sizeof cl->k_nodes, "%s:nodes", cl->url.prefix);
    snprintf(cl->k_who, sizeof cl->k_who, "%s:who:%s", cl->url.prefix, cl->node);
    snprintf(cl->last_id, sizeof cl->last_id, "0-0");
    cl->tail_fd = -1;
    pthread_mutex_init(&cl->lock, NULL);
    pthread_cond_init(&cl->pool_cond, NULL);
    pthread_cond_init(&cl->tick_cond, NULL);
    srv->cluster = cl;

    /* Before the first client: the history, and this node's ids. */
    char why[CLUSTER_WHY_MAX];
    redisContext *ctx = cluster_connect(cl, CLUSTER_CMD_TIMEOUT_MS, why, sizeof why);
    cluster_id_range(cl, ctx);
    if (ctx != NULL && cluster_tail_load(cl, ctx) == 0)
        cl->linked = true;
    else
        snprintf(cl->why, sizeof cl->why, "%s", ctx == NULL ? why : "reading the stream failed");
    if (ctx != NULL)
        redisFree(ctx);

    int e = pthread_create(&cl->keeper, NULL, keeper_main, cl);
    cl->keeper_started = e == 0;
    if (e == 0) {
        e = pthread_create(&cl->tailer, NULL, cluster_tail_main, cl);
        cl->tailer_started = e == 0;
    }
    if (e != 0) {
        snprintf(err, ecap, "--cluster: starting a thread: %s", strerror(e));
        cluster_stop(srv);
        return -1;
    }
    return 0;
}

void cluster_stop(struct server *srv)
{
    struct cluster *cl = srv->cluster;
    if (cl == NULL)
        return;
    pthread_mutex_lock(&cl->lock);
    cl->stop = true;
    pthread_cond_broadcast(&cl->tick_cond);
    pthread_cond_broadcast(&cl->pool_cond);
    /* The tailer may be in a second's XREAD BLOCK: end it now. */
    if (cl->tail_fd >= 0)
        shutdown(cl->tail_fd, SHUT_RDWR);
    pthread_mutex_unlock(&cl->lock);
    if (cl->keeper_started)
        pthread_join(cl->keeper, NULL);
    if (cl->tailer_started)
        pthread_join(cl->tailer, NULL); /* within CLUSTER_BLOCK_MS */
    for (int i = 0; i < CLUSTER_POOL; i++)
        if (cl->pool[i] != NULL)
            redisFree(cl->pool[i]);
    free(cl->remote);
    pthread_cond_destroy(&cl->pool_cond);
    pthread_cond_destroy(&cl->tick_cond);
    pthread_mutex_destroy(&cl->lock);
    srv->cluster = NULL;
    free(cl);
}

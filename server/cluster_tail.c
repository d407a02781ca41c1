/* cluster_tail: the tailer. It reads the cluster's stream in order and
 * hands each entry to this node's people; it alone moves last_id, so
 * every entry is delivered here once, whatever the link did meanwhile. */
#include "cluster_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "room.h"
#include "server.h"

enum {
    TAIL_COUNT = 256, /* entries per XREAD */
    TAIL_LOAD = 2000, /* entries read back at start, for the rooms' history */
    TAIL_RETRY_MS = 500,
};

/* An entry's field-value array as an entry; -1: not one of ours. */
static int entry_of(const redisReply *fv, struct centry *e)
{
    if (fv == NULL || fv->type != REDIS_REPLY_ARRAY || fv->elements > (size_t)CENTRY_FIELDS * 2)
        return -1;
    const char *argv[CENTRY_FIELDS * 2];
    size_t lens[CENTRY_FIELDS * 2];
    for (size_t i = 0; i < fv->elements; i++) {
        if (fv->element[i]->type != REDIS_REPLY_STRING)
            return -1;
        argv[i] = fv->element[i]->str;
        lens[i] = fv->element[i]->len;
    }
    return centry_parse(e, (unsigned)fv->elements, argv, lens);
}

/* A private message for someone here. */
static void deliver_priv(struct server *srv, const struct centry *e)
{
    struct msg m = {
        .type = MSG_PRIV, .time = e->time, .nick = e->nick, .nick2 = e->nick2, .text = e->text};
    pthread_mutex_lock(&srv->reg_lock);
    struct client *t = registry_find_locked(srv, e->nick2);
    if (t != NULL && t->dialect != DIALECT_RAW)
        client_send_msg(t, &m);
    pthread_mutex_unlock(&srv->reg_lock);
    if (t != NULL)
        log_event(srv, AEV_PRIVATE, NULL, "%s (on %s) sent a private message to %s", e->nick,
                  e->node, e->nick2);
}

/* Another node's operator: "kick ARGS", "ban ARGS", "mute ARGS", "unban
 * WHO", "unmute WHO", applied here as if typed here. */
static void deliver_mod(struct server *srv, const struct centry *e)
{
    static const struct {
        const char *word;
        int kind; /* >0: a sanction; <0: a lift of -kind's mask */
    } verbs[] = {
        {"kick", MOD_KICK},    {"ban", MOD_BAN},
        {"mute", MOD_MUTE},    {"unban", -(MOD_KICK | MOD_BAN)},
        {"unmute", -MOD_MUTE},
    };
    const char *sp = strchr(e->text, ' ');
    if (sp == NULL)
        return;
    size_t wl = (size_t)(sp - e->text);
    char msg[512] = "";
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strlen(verbs[i].word) != wl || memcmp(verbs[i].word, e->text, wl) != 0)
            continue;
        int rc;
        if (verbs[i].kind > 0) {
            struct mod_request rq;
            rc = mod_parse_request((enum mod_kind)verbs[i].kind, sp + 1, &rq, msg, sizeof msg);
            rq.absent_ok = true;
            if (rc == 0)
                rc = operator_act(srv, &rq, msg, sizeof msg);
        } else {
            rc = operator_lift(srv, (unsigned)-verbs[i].kind, sp + 1, msg, sizeof msg);
        }
        log_event(srv, AEV_OPERATOR, NULL, "cluster: the operator of %s: %s: %s", e->node, e->text,
                  rc == 0 ? msg : "nothing here to do");
        return;
    }
}

/* One entry, in the stream's order. */
static void deliver(struct cluster *cl, const struct centry *e)
{
    struct server *srv = cl->srv;
    bool ours = strcmp(e->node, cl->node) == 0;
    switch (e->kind) {
    case CE_CHAT:
    case CE_ACTION: {
        struct msg m = {.type = e->kind == CE_CHAT ? MSG_CHAT : MSG_ACTION,
                        .time = e->time,
                        .nick = e->nick,
                        .text = e->text};
        room_relay(srv, e->room, &m, ours ? e->conn : 0, true);
        if (!ours)
            log_event(srv, AEV_CHAT, NULL, "%s (on %s) %s%s%s: %s", e->nick, e->node,
                      e->kind == CE_ACTION ? "acts" : "says",
                      strcmp(e->room, ROOM_MAIN) == 0 ? "" : " in ",
                      strcmp(e->room, ROOM_MAIN) == 0 ? "" : e->room, e->text);
        break;
    }
    case CE_PRIV:
        if (!ours)
            deliver_priv(srv, e);
        break;
    case CE_MOD:
        if (!ours)
            deliver_mod(srv, e);
        break;
    case CE_JOIN:
    case CE_LEAVE:
    case CE_NICK:
        if (!ours) {
            cluster_roster_change(cl, e);
            room_remote_change(srv, e);
        }
        break;
    default:
        break;
    }
}

/* The entries of one XREAD/XRANGE reply ([id, fields] each), oldest
 * first; live false: only into the histories (start-up). */
static void deliver_all(struct cluster *cl, const redisReply *entries, bool live, bool reverse)
{
    size_t n = entries->elements;
    struct centry *e = malloc(sizeof *e);
    if (e == NULL)
        return;
    for (size_t k = 0; k < n; k++) {
        const redisReply *it = entries->element[reverse ? n - 1 - k : k];
        if (it->type != REDIS_REPLY_ARRAY || it->elements != 2 ||
            it->element[0]->type != REDIS_REPLY_STRING)
            continue;
        if (entry_of(it->element[1], e) == 0) {
            if (live) {
                deliver(cl, e);
            } else if (e->kind == CE_CHAT) {
                struct msg m = {
                    .type = MSG_CHAT, .time = e->time, .nick = e->nick, .text = e->text};
                room_relay(cl->srv, e->room, &m, 0, false);
            }
        }
        snprintf(cl->last_id, sizeof cl->last_id, "%s", it->element[0]->str);
    }
    free(e);
}

int cluster_tail_load(struct cluster *cl, redisContext *ctx)
{
    redisReply *rp = redisCommand(ctx, "XREVRANGE %s + - COUNT %d", cl->k_stream, TAIL_LOAD);
    if (rp == NULL || rp->type != REDIS_REPLY_ARRAY) {
        if (rp != NULL)
            freeReplyObject(rp);
        return -1;
    }
    if (rp->elements > 0) {
        /* The cluster's history replaces what a --transcript loaded: it
         * is everyone's, the file only this node's. */
        room_history_reset(cl->srv);
        deliver_all(cl, rp, false, true);
    }
    freeReplyObject(rp);
    return 0;
}

/* After a reconnect: a stream that is gone, or behind what we delivered,
 * is a new one (Redis lost its data): read it from its start. */
static int tail_resync(struct cluster *cl, redisContext *ctx)
{
    redisReply *rp = redisCommand(ctx, "XREVRANGE %s + - COUNT 1", cl->k_stream);
    if (rp == NULL || rp->type != REDIS_REPLY_ARRAY) {
        if (rp != NULL)
            freeReplyObject(rp);
        return -1;
    }
    const char *newest = rp->elements == 1 && rp->element[0]->type == REDIS_REPLY_ARRAY &&
                                 rp->element[0]->elements == 2
                             ? rp->element[0]->element[0]->str
                             : NULL;
    if (strcmp(cl->last_id, "0-0") != 0 &&
        (newest == NULL || cluster_id_cmp(newest, cl->last_id) < 0)) {
        log_event(cl->srv, AEV_ERROR, NULL,
                  "cluster: the stream %s is new (Redis lost its data?): reading it from its "
                  "start",
                  cl->k_stream);
        snprintf(cl->last_id, sizeof cl->last_id, "0-0");
    }
    freeReplyObject(rp);
    return 0;
}

static bool tail_stopping(struct cluster *cl)
{
    pthread_mutex_lock(&cl->lock);
    bool stop = cl->stop;
    pthread_mutex_unlock(&cl->lock);
    return stop;
}

/* Which socket cluster_stop() shuts down to end a blocked XREAD. */
static void tail_socket(struct cluster *cl, int fd)
{
    pthread_mutex_lock(&cl->lock);
    cl->tail_fd = fd;
    pthread_mutex_unlock(&cl->lock);
}

void *cluster_tail_main(void *arg)
{
    struct cluster *cl = arg;
    redisContext *ctx = NULL;
    while (!tail_stopping(cl)) {
        if (ctx == NULL) {
            char why[CLUSTER_WHY_MAX];
            ctx = cluster_connect(cl, CLUSTER_CMD_TIMEOUT_MS, why, sizeof why);
            if (ctx != NULL && tail_resync(cl, ctx) < 0) {
                redisFree(ctx);
                ctx = NULL;
            }
            if (ctx == NULL) {
                struct timespec ts = {.tv_sec = 0, .tv_nsec = TAIL_RETRY_MS * 1000000L};
                nanosleep(&ts, NULL);
                continue;
            }
            tail_socket(cl, ctx->fd);
        }
        redisReply *rp = redisCommand(ctx, "XREAD COUNT %d BLOCK %d STREAMS %s %s", TAIL_COUNT,
                                      CLUSTER_BLOCK_MS, cl->k_stream, cl->last_id);
        if (rp == NULL || rp->type == REDIS_REPLY_ERROR) {
            if (!tail_stopping(cl))
                cluster_fail(cl, "XREAD", ctx);
            if (rp != NULL)
                freeReplyObject(rp);
            tail_socket(cl, -1);
            redisFree(ctx);
            ctx = NULL;
            continue;
        }
        /* [[key, [[id, [f, v, ...]], ...]]], or nil when BLOCK timed out. */
        if (rp->type == REDIS_REPLY_ARRAY && rp->elements == 1 &&
            rp->element[0]->type == REDIS_REPLY_ARRAY && rp->element[0]->elements == 2 &&
            rp->element[0]->element[1]->type == REDIS_REPLY_ARRAY)
            deliver_all(cl, rp->element[0]->element[1], true, false);
        freeReplyObject(rp);
    }
    if (ctx != NULL) {
        tail_socket(cl, -1);
        redisFree(ctx);
    }
    return NULL;
}

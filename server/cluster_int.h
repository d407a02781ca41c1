/* What cluster.c and cluster_tail.c share: the node's cluster state. */
#ifndef SOCKCHAT_CLUSTER_INT_H
#define SOCKCHAT_CLUSTER_INT_H

#include <hiredis/hiredis.h>
#include <pthread.h>

#include "cluster.h"

enum { CLUSTER_KEY_MAX = CLUSTER_PREFIX_MAX + CLUSTER_NODE_MAX + 16, CLUSTER_WHY_MAX = 160 };

/* A person on another node, as the keeper last read it. */
struct cluster_person {
    char nick[NICK_MAX + 1];
    char room[ROOMNAME_SIZE];
    char node[CLUSTER_NODE_MAX];
};

/* A join, leave or nick change another node told of: applied to the
 * roster at once, and again on top of each keeper's read for a while,
 * since that node's presence hash may not show it yet. */
struct cluster_change {
    enum centry_kind kind;
    char nick[NICK_MAX + 1];
    char nick2[NICK_MAX + 1];
    char room[ROOMNAME_SIZE];
    char node[CLUSTER_NODE_MAX];
    int64_t ms; /* CLOCK_MONOTONIC */
};
enum { CLUSTER_CHANGES = 128, CLUSTER_CHANGE_MS = 3000 };

struct cluster {
    struct server *srv;
    struct cluster_url url;
    char node[CLUSTER_NODE_MAX];
    char k_stream[CLUSTER_KEY_MAX]; /* PREFIX:chat */
    char k_nodes[CLUSTER_KEY_MAX];  /* PREFIX:nodes, a sorted set: node -> last seen (Redis ms) */
    char k_who[CLUSTER_KEY_MAX];    /* PREFIX:who:NODE, a hash: nick -> room */

    pthread_mutex_t lock; /* a leaf: what follows */
    pthread_cond_t pool_cond;
    pthread_cond_t tick_cond;
    redisContext *pool[CLUSTER_POOL]; /* NULL: connect when lent */
    bool lent[CLUSTER_POOL];
    bool linked; /* the last call that mattered worked */
    bool look;   /* a publisher failed: the keeper looks now */
    bool stop;
    char why[CLUSTER_WHY_MAX]; /* why it is not linked */
    struct cluster_person *remote;
    unsigned nremote;
    unsigned nnodes;                                /* live nodes, this one included */
    struct cluster_change changes[CLUSTER_CHANGES]; /* a ring */
    unsigned nchanges, change_head;

    pthread_t tailer, keeper;
    bool tailer_started, keeper_started;
    char last_id[48]; /* the tailer's: the last entry delivered */
    int tail_fd;      /* under lock: the tailer's socket, shut down to end its XREAD; -1 */
};

/* A connection to Redis within timeout_ms; NULL with why set. */
redisContext *cluster_connect(struct cluster *cl, int timeout_ms, char *why, size_t cap);
/* A call failed: the node is local until the keeper links it again. */
void cluster_fail(struct cluster *cl, const char *what, const redisContext *ctx);
/* Another node's join, leave or nick change into the roster (keeps it
 * for the keeper's next reads). */
void cluster_roster_change(struct cluster *cl, const struct centry *e);
/* The tailer thread (cluster_tail.c) and its first read of the stream. */
void *cluster_tail_main(void *arg);
/* Loads the newest entries of the stream into the rooms' histories and
 * sets last_id (cluster_start, before any client is served): -1 when
 * Redis cannot be read. */
int cluster_tail_load(struct cluster *cl, redisContext *ctx);

#endif

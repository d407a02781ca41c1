/* cluster: several sockchat-servers serving one chat through Redis
 * (--cluster, issue 18; docs/SCALING.md).
 *
 * DESIGN
 * Redis does the distributed part; we write no consensus of our own. One
 * stream, PREFIX:chat, holds every room's chat in one order: a node XADDs
 * what its clients say (the sender's ACK waits for the reply, so what was
 * acknowledged is in Redis), and a tailer thread per node XREADs the stream
 * from the last id it delivered and hands each entry to the local members
 * of its room, its own node's entries included. Every receiver on every
 * node therefore sees the stream's order, once; after a dropped link the
 * tailer reads on from its last id, so nothing is lost or shown twice.
 *
 * hiredis's synchronous API: a serving thread that publishes borrows one of
 * a few connections (cluster.c) for one round trip, as it would block on a
 * write; the tailer blocks in XREAD on a connection of its own, the keeper
 * (presence, nick leases, the link's state) on another. The async API would
 * need an event loop adapter per driver and a way to hold a reply until
 * Redis answers; synchronous calls give "ACK after Redis has it" by
 * construction, at one loopback round trip per message (BENCHMARKS.md).
 *
 * No lock of ours is held across a Redis call. The cluster's own lock is a
 * leaf (its state, the borrowed connections, the roster of other nodes).
 *
 * Redis unreachable: the node serves its own clients alone ("local": chat
 * is delivered here only), says so in the log, /stats and to every client
 * (CLUSTER local), and the keeper tries again every second. */
#ifndef SOCKCHAT_CLUSTER_H
#define SOCKCHAT_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "roomname.h"

struct server;
struct client;
struct reply;
struct msg;

enum {
    CLUSTER_HOST_MAX = 256,
    CLUSTER_PREFIX_MAX = 48,
    CLUSTER_NODE_MAX = 48,
    CLUSTER_TEXT_MAX = 4096,
    /* The stream keeps about this many entries (XADD MAXLEN ~): history
     * for newcomers and the replay window of a node whose link dropped. */
    CLUSTER_STREAM_MAX = 100000,
    CLUSTER_POOL = 4,               /* connections lent to publishing threads */
    CLUSTER_TICK_MS = 1000,         /* the keeper's round: presence, leases, retry */
    CLUSTER_LEASE_MS = 10000,       /* a nick's lease; renewed every tick */
    CLUSTER_NODE_DEAD_MS = 5000,    /* a node not seen this long is gone */
    CLUSTER_CMD_TIMEOUT_MS = 2000,  /* one command's reply */
    CLUSTER_BLOCK_MS = 1000,        /* the tailer's XREAD BLOCK */
    CLUSTER_CLAIM_MS = 3600 * 1000, /* a SESSION token's id is remembered this long */
};

#define CLUSTER_PREFIX_DEFAULT "sockchat"

/* ---- cluster_wire.c: pure (no I/O), tested in tests/server/check_cluster.c ---- */

/* redis://HOST:PORT[/PREFIX]; HOST may be [v6]. */
struct cluster_url {
    char host[CLUSTER_HOST_MAX];
    unsigned port;
    char prefix[CLUSTER_PREFIX_MAX];
};
int cluster_url_parse(const char *s, struct cluster_url *u, char *err, size_t ecap);
/* A node's name: 1-47 of letters, digits and . _ : - (it is part of keys). */
bool cluster_node_valid(const char *s);

/* One stream entry. */
enum centry_kind {
    CE_NONE,
    CE_CHAT,   /* nick in room: text */
    CE_ACTION, /* /me */
    CE_JOIN,   /* nick came into room */
    CE_LEAVE,  /* nick left room: text is the reason */
    CE_NICK,   /* nick is now nick2 (in room) */
    CE_PRIV,   /* nick to nick2: text */
    CE_MOD,    /* the operator's word (text) applied everywhere: "kick ARGS" ... */
    CE_KIND_COUNT
};
struct centry {
    enum centry_kind kind;
    char node[CLUSTER_NODE_MAX];
    uint64_t conn; /* the sender's connection on node (0: none) */
    char room[ROOMNAME_SIZE];
    char nick[NICK_MAX + 1];
    char nick2[NICK_MAX + 1];
    int64_t time; /* Unix seconds, set by the origin */
    char text[CLUSTER_TEXT_MAX + 1];
};
enum { CENTRY_FIELDS = 16 }; /* at most 8 pairs */
/* e as XADD's field-value list: *n strings in argv/lens (point into e and
 * into num, a scratch buffer of 64 bytes). */
void centry_fields(const struct centry *e, const char **argv, size_t *lens, unsigned *n,
                   char num[64]);
/* An entry back from its n field-value strings; -1 when it is not one of
 * ours (an unknown kind, a missing or oversized field). */
int centry_parse(struct centry *e, unsigned n, const char *const *argv, const size_t *lens);
/* Stream ids "MS-SEQ": <0, 0, >0 as a is before, equal to, after b. */
int cluster_id_cmp(const char *a, const char *b);

/* ---- cluster.c: the node's life in the cluster ---- */

/* Parses url, names this node (node NULL: HOSTNAME:PORT of bound), starts
 * the tailer and the keeper. Redis need not be up: the node then starts
 * local and joins when it can. -1 with err on a bad URL or name, or when a
 * thread cannot start. */
int cluster_start(struct server *srv, const char *url, const char *node, const char *bound,
                  char *err, size_t ecap);
/* Stops the threads and frees everything (srv->cluster NULL after). */
void cluster_stop(struct server *srv);
/* This node's name in the cluster ("" without --cluster). */
const char *cluster_node(struct server *srv);
/* Whether the node reaches Redis now (false without --cluster). */
bool cluster_linked(struct server *srv);
/* Publishes e. 1: in the stream (its delivery, here too, comes from the
 * tailer); 0: token's message id was already published (a resend: ACK it,
 * relay nothing); -1: not published (no cluster, or Redis unreachable:
 * the node goes local, the caller delivers here). token "" or id 0: no
 * resend check. */
int cluster_publish(struct server *srv, const struct centry *e, const char *token, uint64_t id);
/* The cluster-wide lease on nick (a node has someone called that; each
 * node keeps its own nicks unique). CLUSTER_NICK_OURS: this node's now,
 * or no cluster, or Redis unreachable: the local table decides alone.
 * CLUSTER_NICK_ELSEWHERE: another live node's (named in where, if not
 * NULL; *tokened: its holder named a SESSION token). A lease held for the
 * same token (token "" or NULL: none) is taken over: it is our client,
 * back on this node after its own died. */
enum cluster_nick { CLUSTER_NICK_OURS, CLUSTER_NICK_ELSEWHERE };
enum cluster_nick cluster_nick_take(struct server *srv, const char *nick, const char *token,
                                    char *where, size_t wcap, bool *tokened);
/* Gives this node's lease on nick up (its holder left or was renamed). */
void cluster_nick_drop(struct server *srv, const char *nick);
/* Which other node has a client called nick, as the keeper last saw:
 * 1 (node in where, the nick as spelled there in spelled), 0 none. */
int cluster_nick_where(struct server *srv, const char *nick, char *where, size_t wcap,
                       char *spelled, size_t scap);
/* A join (CE_JOIN), leave (CE_LEAVE, text: the reason) or nick change
 * (CE_NICK: nick is now nick2) in room, for the other nodes to tell their
 * people in it and to list at once. Nothing when local. */
void cluster_tell(struct server *srv, enum centry_kind kind, const char *room, const char *nick,
                  const char *nick2, const char *text);
/* The operator's kick, ban, mute (verb, then its arguments as typed) or
 * unban, unmute (then who), for every other node to apply: 0 when it is
 * in the stream. */
int cluster_operator(struct server *srv, const char *verb, const char *args);
/* The people on other nodes, as the keeper saw them last: rows for /who
 * (room NULL: everyone) through out(); how many rows there were. */
unsigned cluster_who(struct server *srv, const char *room, unsigned max,
                     void (*out)(void *arg, const char *line), void *arg);
/* The rooms people on other nodes are in (at most max), with how many in
 * each: how many rooms. */
unsigned cluster_rooms_elsewhere(struct server *srv, char (*names)[ROOMNAME_SIZE], unsigned *counts,
                                 unsigned max);
/* People on other nodes in room (NULL: all). */
unsigned cluster_remote_count(struct server *srv, const char *room);
/* The /stats line: "cluster: NODE, ok (3 nodes) via redis://..." */
void cluster_stats_line(struct server *srv, char *buf, size_t cap);
/* With reg_lock held: c, just joined, hears the link's state (a v2
 * framed client: CLUSTER; others only when it changes). */
void cluster_greet_locked(struct client *c);

#endif

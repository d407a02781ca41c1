/* server.h: the types every part of sockchat-server shares, and the
 * functions of its state modules. The serving core has a header per
 * module: serve.h (the drivers, admission), session.h, reply.h, room.h,
 * rate.h, auth.h and commands.h.
 *
 * DESIGN
 * A connection is a `struct client`. Exactly one thread owns it (its own
 * thread in --mode threads, the main thread in --mode single, one epoll
 * worker in --mode pool): only the owner reads its socket, runs its session
 * and frees it. Other threads enqueue bytes on it (broadcasts, private
 * messages, operator notices) and poke its owner through srv->notify; they
 * do so while holding the registry lock, so a client that has left the
 * registry can no longer be reached by anyone. One exception to "only the
 * owner writes": in --mode threads, a sender that finds the queue empty
 * writes to the socket itself, without blocking, under c->lock
 * (srv->drv_direct, client.c), and queues only what did not fit.
 *
 * Lock order: srv->reg_lock, then client->lock, then a pool worker's lock.
 * The moderation table's lock is a leaf, like the log's and the admin
 * socket's (adminsock.c: its connections' queues and subscriptions): any thread
 * may publish an event while holding reg_lock or c->lock, and nothing is
 * taken, and nothing logged, under the admin lock. The admin thread builds
 * a roster under reg_lock (then each c->lock), lets go, and only then
 * queues it under the admin lock.
 * No lock is held across a call that can block: sockets are non-blocking,
 * wake-ups are eventfd writes or pthread_kill(), and logging happens after
 * unlocking (the log's own lock is a leaf, and log_event() drops a line
 * rather than wait for a stalled log).
 *
 * Every chat message is encoded once per dialect into a reference-counted
 * `struct outmsg`, queued by reference on every receiver inside one registry
 * critical section (so all receivers see the same order) and kept in the
 * history ring the same way. A receiver whose queue passes OUTQ_MAX_BYTES is
 * disconnected as "too slow" instead of slowing anybody else. */
#ifndef SOCKCHAT_SERVER_H
#define SOCKCHAT_SERVER_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "admin.h"
#include "cmd.h"
#include "dialect.h"
#include "trace.h"
#include "linebuf.h"
#include "msg.h"
#include "roomname.h"
#include "telnet.h"
#include "xport.h"

enum {
    /* Slow consumers, as redis's client-output-buffer-limit: a client may
     * fall OUTQ_SOFT_BYTES behind for up to OUTQ_SOFT_MS (a burst, a busy
     * reader), never OUTQ_MAX_BYTES; past either it is "too slow". */
    OUTQ_MAX_BYTES = 4 << 20,
    OUTQ_SOFT_BYTES = 1 << 20,
    OUTQ_SOFT_MS = 2000,
    OUTQ_MAX_ENTRIES = 1 << 16, /* same, counted in queued messages */
    /* A client whose queue holds this much is not read (what it sent waits
     * in the kernel) until it catches up: replies to its own requests can
     * then never pile up past this plus one message's answer. */
    OUTQ_PAUSE_BYTES = 64 << 10,
    OUTQ_PRIVATE_MIN = 256,  /* smallest private (coalescing) buffer */
    OUTQ_PRIVATE_BIG = 4096, /* ... once this much is queued */
    HISTORY_DEFAULT = 20,
    HISTORY_MAX = 10000,
    /* What a newcomer is sent of the history, at most, in its dialect: a
     * quarter of OUTQ_SOFT_BYTES, so that no --history can make the replay
     * trip the slow-consumer limit. Older entries are dropped. */
    HISTORY_BYTES = 256 << 10,
    RATE_DEFAULT = 10, /* messages per second, per client */
    RATE_BURST = 20,
    MAX_CLIENTS_DEFAULT = 1000,
    /* When the server is full, a connection that has not joined the room
     * after this long (silent, or still owing the password) is closed to
     * make room: otherwise a few idle sockets could lock a class out. */
    UNJOINED_EVICT_MS = 10000,
    /* Joins and quits are announced only while the room has at most this
     * many people: announcing each of N arrivals to everyone costs O(N^2)
     * lines, which a room of thousands cannot afford. Leaves for "too slow"
     * and "kicked" are always announced. */
    ANNOUNCE_MAX_USERS = 100,
    WHO_MAX_LINES = 100,                /* /who lists at most this many users */
    SHUTDOWN_FLUSH_MS = 2000,           /* how long queues may drain at shutdown */
    LINGER_MS = 1000,                   /* after our last byte, wait this long for the peer's EOF */
    READ_CHUNK = 4096,                  /* one read; one message in the raw dialect */
    TEXT_MAX = LINE_MAX_BYTES,          /* a relayed text, after sanitising */
    WIRE_MAX = 2 * LINE_MAX_BYTES + 64, /* one server line */
    ADDR_MAX = 64,
    REASON_MAX = 96,
    NAME_MAX_BYTES = 64,
    PING_TOKEN_MAX = 64, /* bytes; a longer /ping or PING token is refused */
    /* Before the password, messages get only an error; after this many the
     * connection is closed, so refusals cannot pile up unread either. */
    PREAUTH_REFUSALS_MAX = 10,
};

/* ---- outq.c: reference-counted messages and bounded per-client queues ---- */

struct outmsg {
    atomic_uint refs;
    bool priv; /* owned by one queue and still appendable (coalescing) */
    uint32_t len;
    uint32_t cap;
    char data[];
};

struct outmsg *outmsg_new(const char *data, size_t len);
struct outmsg *outmsg_ref(struct outmsg *m);
void outmsg_unref(struct outmsg *m);

struct outq {
    struct outmsg **ring;
    uint32_t head, count, cap;
    uint32_t off; /* bytes of the head message already written */
    size_t bytes; /* unwritten bytes queued */
    size_t max_bytes;
};

void outq_init(struct outq *q, size_t max_bytes);
void outq_free(struct outq *q);
/* Queues a reference to m; -1 (nothing queued) when over the limit. */
int outq_push(struct outq *q, struct outmsg *m);
/* Queues a copy of data, appending to the last message when it is private
 * and has room (a reply burst costs one allocation). -1 when over the limit. */
int outq_push_copy(struct outq *q, const char *data, size_t len);
/* Fills at most max iovecs with the unwritten bytes; returns how many. */
int outq_iov(const struct outq *q, struct iovec *iov, int max);
/* Drops n written bytes from the front. */
void outq_consume(struct outq *q, size_t n);
/* Copies out and drops everything queued, as a write to a peer would:
 * at most cap bytes are copied; returns the total, so total > cap says buf
 * was too small. For the unit tests and the fuzzer, which have no socket. */
size_t outq_take(struct outq *q, char *buf, size_t cap);
static inline bool outq_empty(const struct outq *q)
{
    return q->count == 0;
}

/* ---- history.c: the last N chat messages, for newcomers ---- */

struct history {
    struct outmsg **framed; /* each entry encoded once per dialect */
    struct outmsg **plain;
    unsigned cap, head, count;
    size_t bytes;    /* the longer encoding of each entry, summed: <= HISTORY_BYTES */
    uint64_t pushed; /* entries ever pushed, for history_omitted() */
};

void history_init(struct history *h, unsigned cap);
void history_free(struct history *h);
/* Keeps the entry; drops the oldest while there are more than cap, or
 * more than HISTORY_BYTES in either dialect. */
void history_push(struct history *h, struct outmsg *framed, struct outmsg *plain);
/* The i-th oldest entry (0 <= i < count). */
struct outmsg *history_get(const struct history *h, unsigned i, bool framed);
/* Counts n messages older than any pushed so far without keeping them (a
 * transcript's records that are too old to be kept, for history_omitted). */
void history_count_older(struct history *h, uint64_t n);
/* How many of the last cap messages were dropped for HISTORY_BYTES. */
uint64_t history_omitted(const struct history *h);

/* ---- rooms.c: the rooms (issue 16), all under reg_lock ----
 *
 * Every joined connection is in exactly one room; #main always exists (it
 * is embedded in struct server, its history is srv->hist, which the
 * transcript loads) and others exist while they have members, history, a
 * topic, a lock, or connections waiting to hear of their unread messages.
 * A room keeps its members in a list of its own, so a message walks only
 * them. */
enum {
    ROOMS_MAX = 128,
    ROOM_LEFT_MAX = 8, /* rooms a connection has left that it hears UNREAD of */
    /* At most one UNREAD a second per room left: a burst in a busy room
     * would otherwise cost everyone who left it a line per message, as
     * much as its members' own (rooms.c). */
    UNREAD_EVERY_MS = 1000,
    TOPIC_MAX = 200,    /* bytes of a topic, after sanitising */
    AWAY_MAX = 100,     /* bytes of an /away text */
    AWAY_TOLD_MAX = 16, /* senders auto-replied once per away period (then again) */
};

struct room;
/* A room a connection left: while it is on the room's watcher list, the
 * connection (a v2 framed client) hears UNREAD of what is said there. */
struct room_left {
    struct room *room; /* NULL: a free slot */
    struct room_left *prev, *next;
    struct client *c;
    uint64_t said;   /* room->said when c left it */
    uint64_t seq;    /* when, to drop the oldest past ROOM_LEFT_MAX */
    int64_t told_ms; /* when the last UNREAD went */
    bool told;       /* one went since c left */
    bool owed;       /* a count it has not been told yet */
};

/* A connection's /away (commands.c): allocated by /away, freed when it is
 * back, so NULL means here. */
struct away {
    char text[AWAY_MAX + 1];      /* never "": /away alone says "away" */
    uint64_t told[AWAY_TOLD_MAX]; /* ids of those told so this away period */
    unsigned ntold;
};

/* The rooms a connection left (rooms.c), allocated when it first leaves one. */
struct room_watch {
    struct room_left left[ROOM_LEFT_MAX];
    uint64_t seq;
};

struct room {
    char name[ROOMNAME_SIZE];   /* folded: "#lab1" */
    char topic[TOPIC_MAX + 1];  /* "": none */
    int64_t topic_time;         /* when it was set (Unix seconds), for the transcript */
    bool pinned;                /* the topic was set by the operator: students cannot change it */
    bool locked;                /* students read, do not write */
    unsigned users;             /* members */
    struct client *head, *tail; /* members, in the order they came in */
    struct history own;
    struct history *hist;       /* &own; #main's is srv->hist */
    uint64_t said;              /* chat and action messages ever said here, for UNREAD */
    int64_t active_ms;          /* last chat, join or leave: the quietest empty room
                                 * makes way when the table is full (rooms.c) */
    unsigned holds;             /* held by a caller making several rooms: not evicted */
    struct room_left *watchers; /* connections that left it */
};

/* ---- transcript.c: chat appended to a file before it is acknowledged ---- */

enum {
    TRANSCRIPT_SYNC_MS = 200,
    TRANSCRIPT_NOTE_MAX = 384,
};
/* --transcript-max: the default, and the least accepted (other than 0,
 * never rotate): FILE.1 then always holds at least HISTORY_BYTES of the
 * newest records, so a rotation never shortens the history a restart
 * loads. */
#define TRANSCRIPT_MAX_DEFAULT ((int64_t)64 << 20)
#define TRANSCRIPT_MAX_MIN ((int64_t)512 << 10)

/* How FILE was found lost by a check (the syncer's, before each fdatasync). */
enum transcript_lost {
    TRANSCRIPT_OK,
    TRANSCRIPT_DELETED,  /* no FILE at the path: deleted, or renamed away */
    TRANSCRIPT_REPLACED, /* another file at the path */
    TRANSCRIPT_ROTATED,  /* ours is FILE.1 now: rotated, by us or by logrotate */
};

/* How the transcript reaches the rooms without knowing what a room is: by
 * name ("#main", "#lab1", as roomname_parse spells them). The callbacks
 * run with the appenders' lock held when called from transcript_append,
 * transcript_topic and transcript_repair (they must not take it), and
 * single-threaded from transcript_open and transcript_load. */
typedef void transcript_room_fn(void *fnarg, const char *name, const struct history *h,
                                const char *topic, int64_t topic_time, bool pinned);
struct transcript_rooms {
    /* The history of room `name`, the room made if need be; NULL: no room
     * for it (its records are skipped). */
    struct history *(*history)(void *arg, const char *name);
    /* A topic read back at load (text "" : cleared); called oldest first,
     * so the last call per room wins. */
    void (*topic)(void *arg, const char *name, int64_t time, bool pinned, const char *text);
    /* Calls fn for each room that has history or a topic (topic NULL or
     * "": none), for a rotation (the topics) and a repair (both). */
    void (*each)(void *arg, transcript_room_fn *fn, void *fnarg);
    void *arg;
};
/* Records of one room in FILE as far as we know (for rewriting it). */
struct transcript_count {
    char name[ROOMNAME_SIZE];
    unsigned nfile;
};

struct transcript {
    char *path;  /* FILE */
    char *path1; /* FILE.1: the one older file kept by a rotation */
    int64_t max; /* rotate before a record would take FILE past it; 0: never */

    /* Owned by the appender (appends and repairs are serialised by the
     * caller: reg_lock). */
    struct transcript_rooms rooms;   /* the histories and topics, by room name */
    struct transcript_count *counts; /* per room that wrote to FILE */
    unsigned ncounts, counts_cap;
    bool cut_pending;   /* a failed write is not cut back yet: refuse until it is */
    bool rotate_failed; /* said once, tried again with each record */
    /* What the last append or repair did that the operator must hear of;
     * "" if nothing. The caller logs it after unlocking. */
    char note[TRANSCRIPT_NOTE_MAX];

    /* The syncer's hook, called (no lock held) when its check finds FILE
     * lost: it should take the appenders' lock and transcript_repair().
     * NULL: the next append repairs. */
    void (*on_lost)(void *arg);
    void *on_lost_arg;

    pthread_mutex_t lock; /* guards what follows; the appender writes them under it */
    int fd;               /* the appender reads it unlocked: it alone changes it */
    dev_t dev;            /* what fd is, to notice FILE deleted or replaced */
    ino_t ino;
    unsigned gen;      /* bumped with each new fd: a check of an old one is void */
    off_t end;         /* the end of the last whole record in fd */
    off_t checked_end; /* records before it were seen in FILE by a check */
    enum transcript_lost lost;
    pthread_cond_t cond;
    pthread_t thread;
    bool dirty, stop;
};

/* Loads every room's last records (up to its history's cap) of FILE.1 and
 * FILE into the rooms' histories and their topics (*loaded: how many
 * messages in all), then opens FILE for appending, cutting off a torn last
 * record. max: as --transcript-max (0: never rotate). rooms is copied. */
int transcript_open(struct transcript *t, const char *path, int64_t max,
                    const struct transcript_rooms *rooms, unsigned *loaded, char *err, size_t ecap);
/* Appends one record (a framed CHAT line with its LF) of room `room` (NULL
 * or "#main": the record is the line itself); -1 when it was not saved
 * (nothing of it is left in the file). Sets t->note. */
int transcript_append(struct transcript *t, const char *room, const char *line, size_t len);
/* Appends a topic record of room `room` (text "": cleared; sanitised text,
 * no control characters); -1 when it was not saved. Sets t->note. */
int transcript_topic(struct transcript *t, const char *room, int64_t time, bool pinned,
                     const char *text);
/* The syncer's check, also for the tests: is fd still FILE? Returns what
 * it newly found (TRANSCRIPT_OK: nothing new). */
enum transcript_lost transcript_verify(struct transcript *t);
/* With the appenders' lock: when a check found FILE lost, writes FILE
 * again from every room's topic and history and from the records fd got
 * since the last good check; -1 (messages are refused) while it cannot.
 * Sets t->note. */
int transcript_repair(struct transcript *t);
/* Stops the syncer after a last check and sync (on_lost may run). */
void transcript_close(struct transcript *t);
/* What transcript_open loads, without opening: a missing file is an empty one. */
int transcript_load(const char *path, const struct transcript_rooms *rooms, unsigned *loaded,
                    char *err, size_t ecap);

/* ---- transcript_rooms.c: the rooms as the transcript sees them ----
 * transcript_rooms_server: the server's table of rooms (a record of a room
 * not there yet makes it, as far as ROOMS_MAX allows). transcript_rooms_one:
 * one history as "#main", no other room, no topics (for tests). */
struct server;
void transcript_rooms_server(struct transcript_rooms *r, struct server *srv);
void transcript_rooms_one(struct transcript_rooms *r, struct history *h);

/* ---- resume.c: messages resent after a reconnect are not relayed twice ----
 *
 * Our client names itself with SESSION TOKEN after each WELCOME (a random
 * token per client process) and resends, with their first ids, messages
 * whose ACK it never saw. If the connection died after we relayed one but
 * before the ACK arrived, that resend is a duplicate: the entry for the
 * token remembers which ids were claimed, and a claimed id is only ACKed
 * again. Ids grow, but a resend can trail newer ids a little, so an entry
 * keeps the highest id and a bitmap of the RESUME_WINDOW ids below it; an
 * id older than that is relayed (twice rather than never). Entries outlive
 * their connections. An entry in use by a connection is never given away;
 * of the others, an address (IPv4, or IPv6 /64) keeps RESUME_PER_ADDR at
 * most (its own oldest makes room for its next token), and when the table
 * is full the one unused longest goes: a flood of throwaway tokens pushes
 * out only its own address's entries, until it comes from many addresses.
 * If two connections of one client race with the same id (the old one not
 * yet seen dead), the second is ACKed while the first may still be
 * relaying it: delivered once, a moment after that ACK. */

enum { RESUME_SLOTS = 1024, RESUME_WINDOW = 64, RESUME_PER_ADDR = 8 };

struct resume_entry {
    char token[SESSION_TOKEN_MAX + 1]; /* "": a free slot */
    uint64_t max_id;                   /* highest id claimed; 0: none */
    uint64_t window;                   /* bit k: max_id - k is claimed */
    unsigned attached;                 /* connections using it now */
    int64_t last_ms;                   /* last attach or detach */
    char who[ADDR_MAX];                /* the address that last named it (resume.c) */
};

struct resume {
    pthread_mutex_t lock;
    struct resume_entry *tab; /* RESUME_SLOTS, allocated on first use */
};

void resume_init(struct resume *rs);
void resume_free(struct resume *rs);
/* The entry for token, named by a connection from addrport ("ADDR:PORT"),
 * made if new. NULL when the token is not valid, out of memory or every
 * slot is attached: the connection then simply has no duplicate check. */
struct resume_entry *resume_attach(struct resume *rs, const char *token, const char *addrport,
                                   int64_t now_ms);
void resume_detach(struct resume *rs, struct resume_entry *e, int64_t now_ms);
/* Claims id before its message is run: false when it was claimed before
 * (a resend: ACK it again, do not run it). Check and claim are one step, so
 * two connections of one client racing with the same id cannot both run it.
 * True for a NULL entry (no check). */
bool resume_claim(struct resume *rs, struct resume_entry *e, uint64_t id);
/* Gives the claim back when the message was refused (slow-down, too long):
 * its resend is then new. */
void resume_unclaim(struct resume *rs, struct resume_entry *e, uint64_t id);

/* ---- nickhold.c: a nick given up is held for its owner a while ----
 *
 * Whoever takes a nick the moment its owner leaves gets the private
 * messages meant for them and the trust the name carries. So the nick of
 * someone who leaves the room is held for NICK_HOLD_MS: meanwhile only a
 * connection that named the same SESSION token (our client, back after a
 * dropped connection) may take it; anyone else gets ERR nick-taken with the
 * time left. Without a token (nc, telnet, the tutorial's client) nobody can
 * show they are the owner, so the nick is held against everyone, its owner
 * too: /msg to it fails rather than reach a stranger. guestN nicks are
 * never held (never given twice). Holds are keyed by skeleton
 * (nick_skeleton), kept under reg_lock, at most NICK_HOLD_MAX at once
 * (past that, the one nearest its end is given up early), and end with
 * the server. */
enum { NICK_HOLD_MS = 120000, NICK_HOLD_MAX = 4096 };

struct nick_hold {
    char skel[NICK_SKELETON_CAP];
    char nick[NICK_MAX + 1];           /* as its owner had it */
    char token[SESSION_TOKEN_MAX + 1]; /* the owner; "": nobody can take it back */
    int64_t until_ms;
};

struct nick_holds {
    struct nick_hold *tab; /* grown on use, up to NICK_HOLD_MAX */
    unsigned n, cap;
};

void nickhold_free(struct nick_holds *h);
/* Holds nick for token (NULL or "": for nobody) until now + NICK_HOLD_MS,
 * replacing a hold on the same skeleton. */
void nickhold_put(struct nick_holds *h, const char *nick, const char *token, int64_t now_ms);
/* The hold on nick's skeleton in force at now_ms, or NULL. */
const struct nick_hold *nickhold_find(struct nick_holds *h, const char *nick, int64_t now_ms);
/* Ends the hold on nick's skeleton, if any (its owner took the nick back). */
void nickhold_drop(struct nick_holds *h, const char *nick);
/* Whether e is held for the owner of token. */
bool nickhold_owned(const struct nick_hold *e, const char *token);

/* ---- access.c: --allow, --password ---- */

enum {
    AUTH_DELAY_MS = 1000,    /* a wrong password: closed after this, doubling per failure */
    AUTH_FORGET_MS = 600000, /* failures older than this are forgotten */
};

struct cidr {
    int family; /* 4 or 6 */
    uint8_t addr[16];
    unsigned bits;
};

/* ---- peers.c: what the server remembers of each address ----
 *
 * One entry per address prefix (IPv4: the address; IPv6: its /64, what one
 * host or home network is given) holds what a limit per address needs:
 * its live connections (--max-per-addr), a token bucket for new
 * connections, the chat tokens its closed connections left (so that a
 * reconnect buys nothing: see peers_leave), and its wrong passwords (the
 * lock-out). Server-wide, a token bucket bounds the wrong passwords judged
 * per second whatever the number of addresses (peers_auth_judge).
 *
 * The table is bounded (max_entries: --max-clients plus PEERS_SPARE), and
 * an entry that holds something a limit depends on cannot be pushed out to
 * reset it: one with live connections or a lock is never evicted; others go
 * least recently used first, which takes as many new addresses as the
 * table holds (an attacker who has those has their fresh limits anyway).
 * Full of live and locked entries, a new address is refused
 * (PEER_NO_ROOM), and its password attempts wait. The lock is a leaf. */

enum {
    PEER_V6_PREFIX_BITS = 64,
    MAX_PER_ADDR_DEFAULT = 64,
    /* New connections per address: a burst of --max-per-addr (a class
     * arriving at once), refilled over this long. */
    PEER_CONN_REFILL_MS = 60000,
    PEERS_SPARE = 4096, /* entries beyond --max-clients */
    /* Server-wide: wrong passwords judged, at most AUTH_JUDGE_BURST at once
     * and AUTH_JUDGE_RATE per second. A turn given out while that is spent
     * must be taken within AUTH_TURN_GRACE_MS, so unused turns cannot be
     * hoarded: AUTH_JUDGE_BURST + AUTH_JUDGE_RATE x (3600 s + the grace)
     * guesses in any hour, from any number of addresses. */
    AUTH_JUDGE_RATE = 1,
    AUTH_JUDGE_BURST = 10,
    AUTH_TURN_GRACE_MS = 30000,
};

struct peer {
    struct peer *hnext;         /* hash chain */
    struct peer *lprev, *lnext; /* the idle list (no live connections), oldest first */
    uint8_t key[16];            /* the address; IPv6 cut to its /64 */
    uint8_t family;             /* 4 or 6 */
    bool listed;                /* on the idle list */
    unsigned conns;             /* connections admitted and not yet left */
    /* Token buckets kept as debt: thousandths of a token short of full, as
     * of the time next to them, so that an entry needs no limit to start. */
    int64_t conn_debt, conn_ms;
    int64_t msg_debt, msg_ms;
    unsigned fails; /* wrong passwords, forgotten AUTH_FORGET_MS after the last */
    int64_t fail_ms;
    int64_t locked_until_ms; /* no attempt from here is judged before this */
    int64_t turn_ms;         /* 0, or when its reserved judgement is due */
    int64_t blank_ms;        /* from then on it holds nothing worth keeping (if idle) */
};

struct peers {
    pthread_mutex_t lock;
    struct peer **tab; /* hash buckets; NULL until the first entry */
    unsigned nbuckets;
    unsigned n;
    unsigned max_entries;
    uint32_t seed; /* random: bucket collisions cannot be chosen */
    struct peer *idle_head, *idle_tail;
    int64_t judge_debt, judge_ms; /* the server-wide bucket of wrong passwords */
};

/* What peers_admit and peers_leave apply (from struct config). */
struct peer_limits {
    unsigned max_per_addr; /* 0: no limit on connections per address */
    unsigned rate;         /* chat messages per second; 0: none */
};

enum peer_verdict {
    PEER_OK,
    PEER_TOO_MANY, /* max_per_addr connections from there already */
    PEER_TOO_FAST, /* new connections from there over their rate */
    PEER_NO_ROOM,  /* a new address, and the table is full of live or locked ones */
};

void peers_init(struct peers *p, unsigned max_entries);
void peers_free(struct peers *p);
/* The entry's key for addr: IPv4 as is, IPv6 cut to PEER_V6_PREFIX_BITS. */
void peer_prefix(const struct cidr *addr, struct cidr *key);
/* A connection from addr arrives. PEER_OK: counted in *out, and *tokens is
 * the chat tokens it starts with (thousandths, as struct client). Else
 * *retry_ms says when trying again may succeed (0: not known). */
enum peer_verdict peers_admit(struct peers *p, const struct peer_limits *lim,
                              const struct cidr *addr, int64_t now_ms, struct peer **out,
                              int64_t *tokens, int64_t *retry_ms);
/* The chat tokens a connection from e would start with now: taken again
 * when it joins, as a connection of e's that left meanwhile (a reconnect
 * racing its own close) left them. */
int64_t peers_tokens(struct peers *p, const struct peer_limits *lim, struct peer *e,
                     int64_t now_ms);
/* An admitted connection that was not served after all (the server was
 * full): as if it never came. */
void peers_cancel(struct peers *p, struct peer *e);
/* An admitted connection leaves with `tokens` chat tokens (thousandths,
 * refilled to now_ms). */
void peers_leave(struct peers *p, const struct peer_limits *lim, struct peer *e, int64_t tokens,
                 int64_t now_ms);
/* Entries held now. */
unsigned peers_count(struct peers *p);

/* A password attempt, judged or not. AUTH_LOCKED: this address guessed
 * wrong a moment ago; AUTH_WAIT: guessing is under way on the server and
 * this attempt's turn has not come (or the table has no room for its
 * address). Neither is judged; *ms says when to try again. */
enum auth_verdict { AUTH_OK, AUTH_WRONG, AUTH_LOCKED, AUTH_WAIT };
/* Judges an attempt from addr (`right`: the password matched) under the
 * lock, so that parallel connections cannot each learn an answer. Whether
 * it is judged depends on the address's lock and the server-wide bucket,
 * never on `right`. AUTH_WRONG: *ms is how long to hold the connection
 * before closing it. */
enum auth_verdict peers_auth_judge(struct peers *p, const struct cidr *addr, bool right,
                                   int64_t now_ms, int64_t *ms);

struct access {
    struct cidr *allow; /* fixed after start-up */
    unsigned nallow;
    struct peers peers;
};

/* "ADDR" or "ADDR/BITS" (BITS: digits only). A v4-mapped IPv6 address
 * (::ffff:1.2.3.4, /96 and longer) is taken as the IPv4 address, as peers
 * are shown. */
int cidr_parse(const char *s, struct cidr *c);
/* Whether addr is in net; an IPv4 addr is in an IPv6 net that holds its
 * v4-mapped form. */
bool cidr_match(const struct cidr *net, const struct cidr *addr);
bool cidr_equal(const struct cidr *a, const struct cidr *b);
/* "10.0.0.0/8", "::1": as cidr_parse reads it back. */
void cidr_format(const struct cidr *c, char *buf, size_t cap);
/* The host part of "1.2.3.4:5" or "[::1]:5". */
int addr_parse(const char *addrport, struct cidr *out);
bool password_equal(const char *given, const char *want);
/* max_peers: the per-address table's bound (peers.c). */
void access_init(struct access *a, unsigned max_peers);
void access_free(struct access *a);
int access_allow(struct access *a, const char *cidr);
/* NULL when --allow lets addrport connect, else "not allowed". */
const char *access_check(struct access *a, const char *addrport);
/* peers_auth_judge for the address of "ADDR:PORT". */
enum auth_verdict access_auth_judge(struct access *a, const char *addrport, bool right,
                                    int64_t now_ms, int64_t *ms);

/* ---- moderation.c: the operator's kicks, bans and mutes ----
 *
 * On a shared VM or behind one NAT everyone has the same address, so a
 * person is recognised by what is theirs alone: the SESSION token of our
 * client (random per process, sent after every WELCOME) and the nick. An
 * entry for a person holds both as they were when the operator acted; a
 * connection falls under it when its token or its nick (any case) is the
 * same. A guestN nick is never given twice and cannot be chosen, so it
 * recognises nobody new: a guest without a token (nc, telnet, the
 * tutorial's client) is held only while that connection lasts. Address
 * entries (a CIDR) are for networks where an address is one person's.
 *
 * The table is small (the operator types every entry), bounded (MOD_MAX)
 * and scanned. Timed entries end by themselves: each call purges them
 * with the caller's clock, so the tests use a fake one. The lock is a
 * leaf: taken with or without reg_lock held, never while taking another. */

enum mod_kind { MOD_KICK = 1, MOD_BAN = 2, MOD_MUTE = 4 }; /* bits: masks of kinds */

enum {
    MOD_MAX = 256,
    MOD_KICK_DEFAULT_MS = 5 * 60 * 1000,
    MOD_DURATION_MAX_MS = 7 * 24 * 3600 * 1000, /* longer: ban */
    MOD_REASON_MAX = 80,
    MOD_TARGET_MAX = 64, /* a nick, or ADDR[/BITS] as typed */
};

struct mod_entry {
    enum mod_kind kind;
    bool by_addr; /* an address or network: net; else a person */
    struct cidr net;
    char nick[NICK_MAX + 1];           /* "" none */
    char token[SESSION_TOKEN_MAX + 1]; /* "" none */
    int64_t until_ms;                  /* monotonic; 0: until unban/unmute */
    char reason[MOD_REASON_MAX];       /* sanitised; "" none */
};

struct moderation {
    pthread_mutex_t lock;
    struct mod_entry *tab; /* MOD_MAX, allocated on first use */
    unsigned n;
};

/* What the operator typed after kick, ban or mute. */
struct mod_request {
    enum mod_kind kind;
    char target[MOD_TARGET_MAX];
    bool by_addr; /* ban only: target is ADDR[/BITS], in net */
    struct cidr net;
    int64_t duration_ms; /* 0: until unban/unmute */
    char reason[MOD_REASON_MAX];
    /* A kick from another node of the cluster: recorded even when nobody
     * here has the nick, so that they cannot come back through this node. */
    bool absent_ok;
};

void mod_init(struct moderation *m);
void mod_free(struct moderation *m);
/* Adds e, replacing the entry of its kind for the same person or network
 * (a ban also ends that person's kick). -1 when MOD_MAX are in force. */
int mod_add(struct moderation *m, const struct mod_entry *e, int64_t now_ms);
/* Ends the entries of the kinds in mask named by who: a nick (any case) or
 * an address/CIDR (as cidr_parse reads it). Returns how many. */
unsigned mod_remove(struct moderation *m, unsigned mask, const char *who, int64_t now_ms);
/* Whether e holds someone with this nick and/or token (either may be NULL
 * or ""), or from this address (NULL: not known). */
bool mod_entry_matches(const struct mod_entry *e, const char *nick, const char *token,
                       const struct cidr *addr);
/* The entry of a kind in mask in force at now_ms that holds them (a ban
 * before a kick, then the one lasting longest), copied to *out. */
bool mod_find(struct moderation *m, unsigned mask, const char *nick, const char *token,
              const struct cidr *addr, int64_t now_ms, struct mod_entry *out);
/* The console's `bans`: one line per entry in force, through out(). */
void mod_list(struct moderation *m, int64_t now_ms, void (*out)(void *arg, const char *line),
              void *arg);
/* "30s", "10m", "2h", "1d", "1h30m": 0 and the milliseconds in *ms; -1
 * when s[0..len) is not one or is 0 or over MOD_DURATION_MAX_MS. */
int mod_parse_duration(const char *s, size_t len, int64_t *ms);
/* Parses the arguments of kick and mute (NICK [DURATION] [REASON]) or ban
 * (NICK|ADDR[/BITS] [REASON]); 0, or -1 with what is wrong in err. A kick
 * lasts MOD_KICK_DEFAULT_MS unless given a DURATION; a mute, until unmute. */
int mod_parse_request(enum mod_kind kind, const char *args, struct mod_request *rq, char *err,
                      size_t ecap);
/* "4m12s left", "until unban", "until unmute". */
void mod_format_left(const struct mod_entry *e, int64_t now_ms, char *buf, size_t cap);
const char *mod_kind_name(enum mod_kind k);

/* ---- clients ---- */

/* Why a connection is refused at accept. It is not turned away at once:
 * its dialect is not known yet, and nc, telnet and the tutorial's client
 * should read the refusal in their own form. So it is served, outside the
 * registry (it holds no slot and never joins), until its first bytes show
 * its dialect or REFUSE_WAIT_MS pass (then it is told as a line client);
 * then answered and closed. At most REFUSING_MAX wait so at once; past
 * that a refusal is one framed ERR line, as our client needs it. */
enum refusal {
    REFUSE_NONE,
    REFUSE_NOT_ALLOWED,
    REFUSE_BANNED,
    REFUSE_FULL,
    REFUSE_ADDR_FULL,  /* --max-per-addr connections from its address */
    REFUSE_ADDR_FAST,  /* new connections from its address too fast */
    REFUSE_ADDR_TABLE, /* the per-address table is full (peers.c) */
    /* --tls-only, and it spoke clear text: set by xport.c when that is
     * decided (its first bytes, or REFUSE_WAIT_MS of silence), so unlike
     * the others it holds its registry slot until it is closed. */
    REFUSE_TLS_REQUIRED,
};
enum { REFUSE_WAIT_MS = 1000, REFUSING_MAX = 64 };
/* A greeting may come in pieces (a slow link, `sockchat --chunk 3`): while
 * all a new connection sent is a proper prefix of "HELLO ", its dialect
 * waits for more, this long at most; then those bytes are what they look
 * like (the tutorial's client sends whole messages, so its "HE" is a
 * message, answered late but not lost). */
enum { GREET_WAIT_MS = 500, GREET_HOLD_MAX = 8 };
/* In --mode single the one thread serves a refused connection too, and
 * everyone waits meanwhile (up to REFUSE_WAIT_MS, then the close's linger),
 * so a flood of silent refused connections would shut the door on
 * everyone else. Their time comes from a credit: REFUSE_SINGLE_CREDIT_MS
 * at most, refilled at one part in REFUSE_SINGLE_SHARE of the time that
 * passes, charged with the time each one was served. Without credit one
 * gets REFUSE_FLOOR_MS in all: enough for bytes sent with the connect (our
 * client's HELLO) to be read and answered. */
enum { REFUSE_SINGLE_CREDIT_MS = 2000, REFUSE_SINGLE_SHARE = 10, REFUSE_FLOOR_MS = 10 };

enum close_kind {
    CLOSE_NONE,
    CLOSE_FLUSH, /* send what is queued (within a deadline), then close */
    CLOSE_NOW,   /* close without sending more */
};

struct client {
    struct server *srv;
    struct client *prev, *next; /* registry list (reg_lock) */
    struct client *hnext;       /* nick table chain (reg_lock) */
    uint64_t id;
    int fd;
    struct xport xp;         /* clear text or TLS (xport.h): owner only, but its state */
    char addr[ADDR_MAX];     /* "1.2.3.4:5678" or "[::1]:5678"; constant */
    char nick[NICK_MAX + 1]; /* written by the owner under reg_lock */
    enum dialect dialect;    /* written by the owner under reg_lock */
    bool joined;             /* in the room, receives broadcasts (reg_lock) */
    bool registered;         /* in the registry list (reg_lock) */
    bool evicted;            /* closed to make room, not gone yet (reg_lock) */
    int64_t connected_ms;    /* monotonic; constant */
    atomic_llong active_ms;  /* last message received */
    char session[SESSION_TOKEN_MAX + 1]; /* its SESSION token, "": none (owner, under reg_lock) */
    atomic_llong muted_until_ms;         /* 0: may write; INT64_MAX: until unmute */
    enum refusal refusal;                /* owner only; set by admit_connection (xport.c) */
    bool refusal_counted;                /* in srv->nrefusing (reg_lock) */
    int64_t refuse_retry_ms;             /* REFUSE_ADDR_FAST: when to try again */
    struct peer *peer;                   /* its address's entry (peers.c); NULL: none */
    /* For the admin roster, read by the admin thread: relaxed atomics. */
    atomic_ullong msgs_in, msgs_out; /* lines it sent; messages queued to it */
    atomic_ullong bytes_in, bytes_out;
    atomic_int worker; /* who serves it: a thread's kernel tid (threads), a
                        * pool worker's index (pool); 0 in single mode */

    /* Owner only. */
    struct telnet tn; /* plain dialect: telnet(1)'s commands (owner only) */
    struct linebuf lb;
    int64_t tokens;   /* rate limiter, in thousandths of a message */
    unsigned refused; /* messages refused by it since the last one it let through */
    int64_t tokens_ms;
    bool draining;            /* we sent our last byte and shut down writing */
    bool eof;                 /* the peer shut down its sending side */
    bool authed;              /* gave the password (or none is needed) */
    unsigned preauth_refused; /* messages refused for want of the password */
    /* Input read but not handled yet: the queue reached OUTQ_PAUSE_BYTES
     * in the middle of a read. Handled (session_resume) before anything
     * more is read. */
    char *backlog;
    size_t backlog_len;
    bool backlog_telnet; /* it may still hold telnet commands */
    /* Its first bytes, held while they are a proper prefix of "HELLO "
     * (see GREET_WAIT_MS); decided by greet_deadline_ms at the latest. */
    char greet[GREET_HOLD_MAX];
    size_t greet_len;
    int64_t greet_deadline_ms;
    struct trace_budget trace;  /* --trace's rate bound (trace.h) */
    bool ever_joined;           /* for the log: it left, or left before joining */
    bool refusal_told;          /* the refusal went out */
    int64_t refuse_deadline_ms; /* told as a line client then */
    int64_t refuse_until_ms;    /* single mode: closed by then; 0: no such limit */
    int64_t linger_deadline_ms;
    struct resume_entry *resume; /* named by SESSION; NULL: none */
    /* Framed: its HELLO asked for `asked`, held for a token, and was told
     * it has it; until its next line shows the token, it is in the room
     * unannounced under its guestN (room.c). */
    char asked[NICK_MAX + 1];
    bool provisional;
    /* Rooms (rooms.c, room.c), all under reg_lock: read by whoever
     * delivers to it, moves it or lists it. */
    struct room *room;            /* NULL until it joins */
    struct client *rprev, *rnext; /* its room's member list */
    unsigned proto;               /* a framed HELLO's sockchat/N; >= 2 knows ROOM and UNREAD */
    /* Few ever use /away or leave a room: that state is allocated on first
     * use (NULL: here; none left), so an idle connection does not carry
     * about 800 bytes it never needs (issue 5's per-connection budget). */
    struct away *away;
    struct room_watch *watch;

    pthread_mutex_t lock; /* guards what follows */
    struct outq q;
    enum close_kind close;
    char reason[REASON_MAX]; /* why it is leaving: "quit", "too slow", ... */
    int64_t close_deadline_ms;
    int64_t soft_since_ms; /* when the queue went past OUTQ_SOFT_BYTES; 0: it is not */
    int64_t hold_until_ms; /* CLOSE_FLUSH waits until then (a wrong password) */

    /* The driver's own state for it (struct thread_conn, struct pool_conn:
     * mode_*.c), srv->drv_conn_size bytes; NULL: none (unit tests, single). */
    void *drv;
};

/* ---- the server ---- */

/* What --trace and the `trace on|off|NICK` command chose (tracelog.c). */
enum trace_mode { TRACE_OFF, TRACE_ALL, TRACE_NICK };
struct trace_ctl {
    atomic_int mode;      /* enum trace_mode: off costs one relaxed load */
    pthread_mutex_t lock; /* guards nick; a leaf */
    char nick[NICK_MAX + 1];
};

enum mode { MODE_THREADS, MODE_SINGLE, MODE_POOL };

struct config {
    const char *bind;
    const char *port;
    enum mode mode;
    unsigned max_clients;
    unsigned max_per_addr; /* 0: no limit */
    char name[NAME_MAX_BYTES];
    unsigned history;
    unsigned rate; /* messages/s; 0 = unlimited */
    bool quiet;
    bool trace;           /* --trace: every connection traced from the start */
    unsigned workers;     /* pool mode; 0 = one per core but one */
    const char *password; /* NULL: none */
    bool tls_only;        /* --tls-only: clear text is refused (srv->tls is set) */
};

struct stats {
    atomic_ullong served;     /* connections accepted in total */
    atomic_ullong messages;   /* chat messages relayed */
    atomic_ullong deliveries; /* chat messages queued to receivers */
    atomic_ullong bytes_in;
    atomic_ullong bytes_out;
    atomic_uint tls_now; /* TLS connections now (xport.c) */
};

struct server {
    struct config cfg;
    pthread_mutex_t reg_lock; /* guards the registry, the rooms and their history */
    struct client *clients;
    struct client **nick_tab; /* joined clients by nick skeleton (nick_skeleton) */
    unsigned nick_buckets;    /* never 0: nick_tab0 until a table is allocated */
    struct client *nick_tab0; /* the one bucket that needs no allocation */
    unsigned nclients;        /* registered connections */
    unsigned nevicted;        /* ... of which closing to make room */
    unsigned nroom;           /* of them, joined the room */
    unsigned nrefusing;       /* refused, being told so (not registered) */
    int64_t refuse_credit_ms; /* single mode: see REFUSE_SINGLE_CREDIT_MS */
    int64_t refuse_credit_at; /* when it was last refilled */
    bool reg_closed;          /* shutting down: no new registrations */
    uint64_t next_id;
    struct history hist; /* #main's (main_room.hist): the transcript loads it */
    struct room main_room;
    struct room *rooms[ROOMS_MAX]; /* [0]: &main_room; the rest in no order */
    unsigned nrooms;
    /* Some UNREAD is owed (rooms.c): looked for at most every
     * UNREAD_EVERY_MS / 4, with the next message said anywhere. */
    bool unread_owed;
    int64_t unread_look_ms;
    struct stats st;

    /* Injectable clocks, so the core is testable. */
    int64_t (*mono_ms)(void *arg);
    int64_t (*wall)(void *arg); /* Unix seconds */
    void *clock_arg;

    /* The driver's hook: c has new output or a close request. Called with
     * reg_lock held (by others) or by c's owner. */
    void (*notify)(struct client *c);
    /* The running driver's own state (mode_*.c); NULL: none. */
    void *drv;
    size_t drv_conn_size; /* bytes of each client's c->drv; 0: none */
    /* Called by client_new, before c is visible to other threads: fills
     * c->drv (zeroed). NULL: nothing to fill. */
    void (*drv_adopt)(struct client *c);
    /* Whether the calling thread, not c's owner, may write c's socket
     * itself when c's queue is empty (client_send): with reg_lock held, a
     * non-blocking send() under c->lock. Threads mode says yes to every
     * thread but the owner, so a broadcast wakes no receiver's thread.
     * NULL: never (single, pool, unit tests). */
    bool (*drv_direct)(const struct client *c);

    struct logger *log;            /* NULL: no log */
    struct transcript *transcript; /* NULL: none */
    struct access acc;
    struct moderation mod;
    struct resume resume;
    struct nick_holds holds; /* under reg_lock */
    int64_t started_ms;
    int64_t started_wall;
    atomic_bool stopping;
    struct adminsock *admin;     /* the admin socket (adminsock.c); NULL: none */
    char listen[ADMIN_WORD_MAX]; /* the bound address, "0.0.0.0:5000" */
    char reach[ADMIN_REACH_MAX]; /* the addresses others type (net_reach); "" */
    struct trace_ctl trace;      /* --trace and the `trace` command (tracelog.c) */
    struct cluster *cluster;     /* --cluster (cluster.h); NULL: this server alone */
    struct tls_server *tls;      /* tls.h: a ClientHello is answered; NULL: --no-tls */
};

const char *mode_name(enum mode m);
/* cfg as sockchat-server runs without options (docs/man/sockchat-server.1). */
void config_defaults(struct config *cfg);
/* The per-address limits peers.c applies, from srv's options. */
struct peer_limits server_peer_limits(const struct server *srv);
void server_init(struct server *srv, const struct config *cfg);
void server_free(struct server *srv);
int64_t server_now_ms(struct server *srv);
int64_t server_wall(struct server *srv);
int64_t clock_mono_ms(void *arg);
/* What /stats and the console's stats report, read in one place. */
struct stats_view {
    const char *mode;
    int64_t up_ms;
    unsigned clients, room; /* connections now; of them, in the room */
    unsigned long long served, messages, bytes_in, bytes_out;
};
void server_stats(struct server *srv, struct stats_view *v);
int64_t clock_wall(void *arg);

/* ---- client.c ---- */

struct client *client_new(struct server *srv, int fd, const char *addr);
/* Frees c (closes nothing: the driver owns the fd). c must have left the registry. */
void client_free(struct client *c);
/* Queues a copy of bytes for c, or a reference to m. Over the limit, c is
 * marked CLOSE_NOW "too slow". Notifies c's owner when needed. */
void client_send(struct client *c, const char *data, size_t len);
void client_send_ref(struct client *c, struct outmsg *m);
/* Asks c's owner to close c. CLOSE_NOW wins over CLOSE_FLUSH; the first
 * reason stays. */
void client_request_close(struct client *c, enum close_kind kind, const char *reason,
                          int64_t deadline_ms);
enum close_kind client_close_state(struct client *c, char *reason, size_t cap);
bool client_has_output(struct client *c);
enum flush_result { FLUSH_DONE, FLUSH_AGAIN, FLUSH_ERROR };
/* Owner only: writes queued bytes to c->fd without blocking. */
enum flush_result client_flush(struct client *c);
/* Encodes m for a dialect (raw uses the plain rendering). */
int dialect_encode(enum dialect d, char *buf, size_t cap, const struct msg *m);
/* m encoded for d into a buffer of exactly its size (no big stack buffer:
 * thread stacks are small); NULL when it cannot be encoded. */
struct outmsg *outmsg_encode(enum dialect d, const struct msg *m);
/* Queues m encoded in c's dialect. */
void client_send_msg(struct client *c, const struct msg *m);

/* Moves c on by the clock, then says what its owner should wait for next.
 * Not a mere query: it tells a refusal whose wait is over, judges the
 * slow-consumer limit (a client past OUTQ_SOFT_BYTES gets a deadline when
 * its grace time ends, even if nothing new is ever queued for it, so the
 * owner must call this again by then), and sends a closing client's FIN
 * (shutdown(2)) once its last byte is out. */
struct client_plan {
    bool done; /* close it now */
    bool rd, wr;
    int64_t deadline_ms; /* 0: none */
};
void client_step(struct client *c, int64_t now_ms, struct client_plan *p);
/* Whether the owner may handle more of c's input now. */
enum input_gate {
    INPUT_OPEN,
    INPUT_PAUSED, /* the queue holds OUTQ_PAUSE_BYTES: wait until it drains */
    INPUT_CLOSED, /* closing: the rest is not read */
};
enum input_gate client_input_gate(struct client *c);
/* The owner's read handling shared by every driver: data read, or EOF/error. */
void client_on_read(struct client *c, const char *data, ssize_t n, int err);

/* ---- registry.c (all take reg_lock themselves unless named _locked) ---- */

/* Adds c; -1 when full (>= max_clients) or shutting down. */
int registry_add(struct server *srv, struct client *c);
void registry_remove(struct server *srv, struct client *c);
/* With reg_lock held: the joined client with this nick or one that looks
 * the same (nick_same), or NULL. A hash lookup on the skeleton: a room of
 * thousands must not cost O(N) a join. */
struct client *registry_find_locked(struct server *srv, const char *nick);
/* With reg_lock held: whether c may take nick at now_ms (valid and not a
 * guestN: the caller's checks). NICK_TAKEN: someone else in the room has
 * it or one that looks the same; NICK_HELD: held for someone else
 * (nickhold.c), *left_ms to go (if not NULL). Either way the nick as they
 * have or had it goes into holder (NICK_MAX + 1 bytes), if not NULL. */
enum nick_verdict { NICK_FREE, NICK_TAKEN, NICK_HELD };
enum nick_verdict registry_nick_check_locked(struct server *srv, const struct client *c,
                                             const char *nick, int64_t now_ms, char *holder,
                                             int64_t *left_ms);
/* With reg_lock held: c enters or leaves the room (and the nick table), or
 * changes its nick. */
void registry_enter_locked(struct server *srv, struct client *c);
void registry_leave_locked(struct server *srv, struct client *c);
/* c->joined, read under reg_lock: its owner asks, while a shutdown or an
 * eviction on another thread may be taking it out. */
bool registry_joined(struct client *c);
void registry_rename_locked(struct server *srv, struct client *c, const char *nick);
/* Announces SHUTDOWN to everyone and asks every client to close. */
void registry_shutdown(struct server *srv, const char *text);
void registry_notice(struct server *srv, const char *text);
unsigned registry_count(struct server *srv);
/* Writes "/who"-style lines through out(); at most max lines of users:
 * all, everyone connected with a room column ("N connected (M in K
 * rooms):"); else self's room ("N in #room (M connected):"). self's row
 * (NULL: none, the console) is marked "you". On a cluster the counts are
 * everyone's, and the other nodes' people follow ("N on other nodes:"). */
void registry_who(struct server *srv, const struct client *self, bool all, int64_t now_ms,
                  unsigned max, void (*out)(void *arg, const char *line), void *arg);

/* ---- operator.c: kicks, bans and mutes applied to people ---- */

/* Records rq and applies it to everyone online it holds (told; a kick or
 * ban closes them, a mute silences them). 0 and what was done in msg, for
 * the console, or -1 and why not. */
int operator_act(struct server *srv, const struct mod_request *rq, char *msg, size_t cap);
/* unban (mask MOD_KICK | MOD_BAN) or unmute (MOD_MUTE) who, a nick or an
 * address; whoever that unmutes is told. 0 or -1, with msg as above. */
int operator_lift(struct server *srv, unsigned mask, const char *who, char *msg, size_t cap);
/* c asks for nick (framed HELLO) or names its token (SESSION): when a kick
 * or ban holds it, it is told (`ERR kicked`, with the time left) and
 * closing: true. The owner calls it. */
bool operator_refuse_arrival(struct client *c, const char *nick, const char *token);
/* Same, for a mute: c is muted again, and told. */
void operator_mute_arrival(struct client *c, const char *nick, const char *token);

/* ---- log.c ---- */

/* The log is written by a thread of its own from a bounded buffer: while
 * its terminal or pipe is not being read, lines are dropped and counted,
 * and nobody else waits. */
enum {
    LOG_BUF_BYTES = 256 * 1024,
    LOG_STOP_MS = 1000, /* at exit, how long to wait for a stalled log */
};
struct logger;
/* Starts the writer thread for fd; NULL with errno set when it cannot.
 * journal_stream: $JOURNAL_STREAM (or NULL); when it names fd, lines are
 * written without the time and date (the journal stamps them). */
struct logger *logger_start(int fd, const char *journal_stream);
/* Whether journal_stream ("DEV:INODE") names fd's file. */
bool logger_is_journal(int fd, const char *journal_stream);
/* Writes out what is left (waiting at most LOG_STOP_MS) and frees lg. */
void logger_stop(struct logger *lg);
/* Whether the log goes to the same file or terminal as fd. */
bool logger_same_file(const struct logger *lg, int fd);
/* One event: a line of the log and, to admins subscribed to events, an
 * EVENT line (admin.c). ev is its enum admin_event, or'ed with
 * LOG_ADMINS_ONLY for a line the log must not repeat (the console showed
 * it on the log's own terminal). Under --quiet, chat and private events
 * are not written to the log; admins still get them. Costs one atomic load
 * beyond the log when no admin subscribes. */
enum { LOG_ADMINS_ONLY = 1u << 8 };
void log_event(struct server *srv, unsigned ev, const struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A log line wider than the terminal is broken by us, not by the terminal
 * (where padding could make a forged line start a row): rows of at most
 * width - 1 columns, after a blank where one is near, each further row
 * starting with LOG_CONT. Terminals narrower than LOG_WRAP_MIN are left
 * alone. */
#define LOG_CONT "          ... "
enum { LOG_WRAP_MIN = 40 };
/* line[0..len) broken for a terminal of width columns into out (cap
 * bytes, not NUL-terminated); its length, or 0 when it fits as it is or
 * does not fit in out. */
size_t log_wrap(const char *line, size_t len, char *out, size_t cap, unsigned width);
/* "s" unless n is 1: "1 client", "2 clients". */
static inline const char *plural_s(unsigned long long n)
{
    return n == 1 ? "" : "s";
}
/* Formats a duration like "1h02m03s". */
void format_duration(char *buf, size_t cap, int64_t ms);

/* ---- net.c ---- */

/* For a server bound to every address (0.0.0.0 or ::): the addresses
 * others can reach it at ("10.0.2.15:5000, 192.168.1.7:5000"), up to four,
 * for the teacher to tell the class; "" when bound to one address. */
void net_reach(const char *bound, char *out, size_t cap);
/* Opens a listening socket; on failure -1 and a "what: why" in err, and
 * *bad_addr (if not NULL) says whether host or port is what is wrong (it
 * does not resolve), rather than the system. On success, bound holds
 * "ADDR:PORT" with the real port. */
int net_listen(const char *host, const char *port, char *bound, size_t bcap, char *err, size_t ecap,
               bool *bad_addr);
/* TCP keepalive on every client: a peer that vanished without a FIN is
 * found after about 60 + 4 * 15 = 120 s of silence. */
enum { NET_KEEPIDLE_S = 60, NET_KEEPINTVL_S = 15, NET_KEEPCNT = 4 };
/* Socket buffers of every client connection, set on the listening socket
 * (accepted ones inherit them; the kernel doubles each for its overhead).
 * Left to the kernel, a peer that never reads can grow our send buffer to
 * tcp_wmem's maximum (4 MiB) and one we stopped reading our receive buffer
 * to tcp_rmem's (6 MiB or more), per connection. */
enum { NET_SNDBUF = 64 << 10, NET_RCVBUF = 32 << 10 };
/* At most what a connection that never reads makes us hold, as --help and
 * docs/PROTOCOL.md state it (tests/stress/stress_hold.py measures it): its
 * queue (OUTQ_PAUSE_BYTES and one answer), one read not yet handled, a
 * partial line, its state and thread; and its socket buffers (twice
 * NET_SNDBUF + NET_RCVBUF, and a segment more). */
enum { CONN_HOLD_KIB = 160, CONN_SOCKBUF_KIB = 256 };
/* Accepts one connection (non-blocking, close-on-exec, TCP_NODELAY,
 * keepalive) and formats its address. -1 with errno on failure. */
int net_accept(int lfd, char *addr, size_t acap);
/* How many connections wait in the listening socket's accept queue (the
 * kernel completed their handshake; nobody accepted them yet). -1 when
 * the system does not tell (Linux does, in TCP_INFO). */
int net_accept_queue(int lfd, unsigned *len);
void net_raise_nofile(void);
/* Best effort, non-blocking: tells a refused connection why. */
void net_refuse(int fd, const char *line);

/* ---- console.c ---- */

/* The console reads the terminal the server was started from, which it
 * shares with the shell: only while the server is that terminal's
 * foreground process group, never blocking (see console.c). */
enum { CONSOLE_RECHECK_MS = 1000 }; /* backgrounded: how often to look for `fg` */
struct console {
    bool enabled;    /* a terminal we may read; off for good after EOF or an error */
    bool foreground; /* at the last look, the server was its foreground group */
    int fd;          /* our own, non-blocking descriptor of the terminal; -1: none */
    int64_t look_ms; /* backgrounded: when to look again */
    struct linebuf lb;
};
void console_init(struct console *con);
void console_free(struct console *con);
/* Turns the console on when stdin is this process's controlling terminal;
 * logs what it found. */
void console_start(struct server *srv, struct console *con);
/* Before each poll: the descriptor to wait on for operator input, or -1
 * (none, or the server is a background job). */
int console_fd(struct server *srv, struct console *con);
/* A poll timeout (ms, -1: none) lowered so that a backgrounded console
 * looks for `fg` again in time. */
int console_timeout(struct server *srv, const struct console *con, int timeout_ms);
/* console_fd() was readable: reads and runs what was typed; true when the
 * operator said quit. */
bool console_readable(struct server *srv, struct console *con);
/* Runs one console line, output to out; true on quit. */
bool console_run(struct server *srv, const char *line, FILE *out);

#endif

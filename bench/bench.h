/* sockchat-bench: a load generator for chat servers, one thread, one epoll.
 *
 * DESIGN. Every connection is a struct conn in one array, driven by one epoll
 * loop (loop.c). A workload (rr.c, fanout.c, hold.c, push.c) owns the phases:
 * it opens connections, calls loop_poll() until its own condition or deadline
 * holds, and reacts to each reply through its on_reply callback. How a reply
 * is recognised and how a request is spelled depends on the peer's dialect
 * (dialect.c): our framed and plain dialects, the tutorial's raw one, redis
 * RESP and ncat --chat. Latencies go into a sample array (stats.c) and one
 * report (report.c) prints a human table and one RESULT line per run.
 * Everything is bounded in time: each phase has a deadline. */
#ifndef SOCKCHAT_BENCH_H
#define SOCKCHAT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "linebuf.h"

enum { BENCH_OUT_CAP = 8192, BENCH_LINE_LIMIT = 2 * LINE_MAX_BYTES, NCAT_LINE_LIMIT = 1 << 20 };
/* --port takes a list: at most this many servers in one run. */
enum { BENCH_PORTS_MAX = 16 };

/* What the benchmarked server speaks: our three dialects as the bench
 * drives them, and two servers that are not ours. Not proto's enum dialect,
 * which names the wire forms of our protocol. */
enum bench_dialect {
    BENCH_FRAMED, /* HELLO sockchat/1, MSG/ACK/CHAT, PING/PONG */
    BENCH_PLAIN,  /* nc-style lines, "Message received", "pong TOKEN" */
    BENCH_RAW,    /* the tutorial: "ping" without LF, reply without LF */
    BENCH_RESP,   /* redis: PING -> +PONG, SUBSCRIBE/PUBLISH */
    BENCH_NCAT,   /* ncat --chat: plain lines relayed as "<userN> text" */
};

enum workload { WORK_RR, WORK_FANOUT, WORK_HOLD, WORK_PUSH };

struct bench_options {
    enum workload work;
    enum bench_dialect dialect;
    const char *host;
    const char *port;       /* as given: one port, or a comma list */
    const char *label;      /* free text for the RESULT line (e.g. the peer) */
    unsigned conns;         /* rr/hold: connections; fanout: receivers */
    double duration;        /* seconds measured (rr, fanout), held (hold) */
    double warmup;          /* seconds before measuring (rr, fanout) */
    double timeout;         /* seconds for connecting and for each check */
    unsigned long messages; /* fanout: stop after this many; push: how many */
    unsigned window;        /* hold: connects in flight; push: unacked messages */
    unsigned size;          /* push/fanout: payload bytes (at least the header) */
    long pid;               /* hold: server PID for /proc/PID/status, 0 = none */
    double rate;            /* push: messages per second, 0 = as fast as acks allow */
    unsigned busy_rooms;    /* fanout: other rooms kept busy meanwhile (busy.c) */
    unsigned busy_size;     /* people in each of them, one of whom talks */
    double busy_rate;       /* messages per second said in each */
    bool tls;               /* --tls: every connection over TLS (tls.c) */
};

enum conn_state {
    CONN_FREE,       /* not opened */
    CONN_CONNECTING, /* non-blocking connect in progress */
    CONN_HANDSHAKE,  /* connected, waiting for the dialect's ready signal */
    CONN_READY,      /* ready signal seen */
    CONN_CLOSED,     /* closed by the peer or after an error */
};

struct ssl_st;
struct ssl_ctx_st;

struct conn {
    int fd;
    struct ssl_st *ssl;   /* --tls: the connection's TLS state, else NULL */
    bool tls_handshaking; /* --tls: connected, TLS handshake in progress */
    unsigned index;
    enum conn_state state;
    struct linebuf lb;
    size_t raw_have; /* BENCH_RAW: bytes of the current reply seen */
    char *out;       /* bytes not yet written (allocated on first need) */
    size_t out_len;
    uint64_t sent_ns; /* when the awaited request went out; 0 = none */
    uint64_t token;   /* the awaited request's token */
    uint64_t expect;  /* fanout: next sequence number expected */
    uint64_t got;     /* replies or deliveries counted */
    bool is_sender;   /* fanout/push: the talking connection */
    bool subscriber;  /* fanout receiver (RESP: SUBSCRIBE instead of PING) */
    unsigned room;    /* fanout: 0 the measured room, k: busy room k (busy.c) */
    bool joined;      /* busy: its /join was answered */
};

struct bench;

/* What a workload does with lines: called for every complete line (or raw
 * reply) on c; returns nothing, sets its own state in b->work_state. */
typedef void (*bench_line_fn)(struct bench *b, struct conn *c, char *line, size_t len);

struct samples {
    uint32_t *us; /* latencies in microseconds */
    size_t len;
    size_t cap;
};

struct bench {
    const struct bench_options *opt;
    int ep;
    struct sockaddr_storage addr[BENCH_PORTS_MAX]; /* one per --port (ports_pick) */
    socklen_t addrlen[BENCH_PORTS_MAX];
    size_t naddr;
    struct conn *conns;
    size_t nconns;
    unsigned connecting;  /* connections in CONN_CONNECTING */
    unsigned handshaking; /* connections in CONN_HANDSHAKE */
    unsigned ready;       /* connections in CONN_READY */
    unsigned closed;      /* connections lost */
    unsigned long errors; /* protocol surprises: wrong token, gap, duplicate */
    char first_error[160];
    bench_line_fn on_line;
    void *work_state;
    uint64_t run_id;            /* tags fanout payloads so history from other runs is ignored */
    struct busy *busy;          /* fanout --busy-rooms (busy.c); NULL: none */
    struct ssl_ctx_st *tls_ctx; /* --tls (tls.c); NULL: clear text */
};

/* loop.c */
uint64_t clock_ns(void);
int bench_init(struct bench *b, const struct bench_options *opt, size_t nconns);
void bench_free(struct bench *b);
int conn_open(struct bench *b, struct conn *c);
void conn_close(struct bench *b, struct conn *c);
int conn_send(struct bench *b, struct conn *c, const char *data, size_t len);
void conn_ready(struct bench *b, struct conn *c);
void bench_error(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Waits at most timeout_ms for events and handles them; returns -1 on a
 * failure of epoll itself. */
int loop_poll(struct bench *b, int timeout_ms);
/* Polls until done(b) or the deadline; returns true when done. */
bool loop_until(struct bench *b, uint64_t deadline_ns, bool (*done)(const struct bench *b));
/* Opens conns[from..to) keeping at most window in CONNECTING/HANDSHAKE,
 * until all are ready or the deadline passes. Returns how many are ready. */
unsigned loop_open_paced(struct bench *b, size_t from, size_t to, unsigned window,
                         uint64_t deadline_ns);

/* tls.c: --tls, OpenSSL without verification or resumption. */
int btls_init(struct bench *b); /* makes b->tls_ctx when --tls; -1 on failure */
void btls_free(struct bench *b);
/* Puts c (connected) into a TLS client handshake; -1 reported on failure. */
int btls_attach(struct bench *b, struct conn *c);
/* Drives the handshake: 1 done, 0 wait for *events, -1 failed (reported). */
int btls_handshake(struct bench *b, struct conn *c, uint32_t *events);
/* As send/recv on a non-blocking socket: -1 with EAGAIN when TLS waits for
 * the socket, EPROTO after a TLS failure (reported); recv returns 0 at EOF. */
ssize_t btls_send(struct bench *b, struct conn *c, const char *data, size_t len);
ssize_t btls_recv(struct bench *b, struct conn *c, char *buf, size_t cap);
void btls_close(struct conn *c);

/* dialect.c: how each peer is spoken to. All return a length written to buf
 * (no NUL counted), or 0 when the dialect has no such thing. */
const char *dialect_name(enum bench_dialect d);
int dialect_parse(const char *s, enum bench_dialect *d);
/* Bytes sent right after connecting, ending in a request whose answer marks
 * the connection ready. A fanout receiver in RESP subscribes instead. */
size_t dialect_greeting(enum bench_dialect d, bool subscriber, unsigned index, char *buf,
                        size_t cap);
/* True when line is the answer to the greeting. */
bool dialect_is_ready(enum bench_dialect d, bool subscriber, char *line, size_t len);
/* A request with a token whose reply dialect_reply_token() recognises. */
size_t dialect_ping(enum bench_dialect d, uint64_t token, char *buf, size_t cap);
/* Returns 1 and sets *token when line answers a ping (RAW and RESP replies
 * carry no token: *token is then left alone), else 0. */
int dialect_pong(enum bench_dialect d, const char *line, size_t len, uint64_t *token);
/* A chat line carrying "fan RUN SEQ" padded to size bytes of text. */
size_t dialect_chat(enum bench_dialect d, uint64_t id, uint64_t run, uint64_t seq, unsigned size,
                    char *buf, size_t cap);
/* Returns 1 and sets *seq when line delivers a chat line of this run. */
int dialect_delivery(enum bench_dialect d, char *line, size_t len, uint64_t run, uint64_t *seq);
/* Returns 1 when line acknowledges a chat message the connection sent. */
int dialect_ack(enum bench_dialect d, char *line, size_t len, uint64_t *id);
/* Busy rooms (our framed and plain dialects only): "/join #busyK", the
 * answer that says it is in, and chat tagged "busy RUN K SEQ". */
size_t dialect_join(enum bench_dialect d, uint64_t id, unsigned room, char *buf, size_t cap);
bool dialect_joined(enum bench_dialect d, char *line, size_t len, unsigned room);
size_t dialect_busy_chat(enum bench_dialect d, uint64_t id, uint64_t run, unsigned room,
                         uint64_t seq, char *buf, size_t cap);
/* Returns 1 and sets *room and *seq when line delivers busy chat of this
 * run. Leaves line as it is (dialect_delivery does not). */
int dialect_busy_delivery(enum bench_dialect d, char *line, size_t len, uint64_t run,
                          unsigned *room, uint64_t *seq);

/* ports.c */
/* Parses "5000" or "5000,5001,5002" (1-65535 each, no blanks) into out;
 * returns how many, or -1 when s is not such a list or has more than cap. */
int ports_parse(const char *s, unsigned short *out, size_t cap);
/* Which of nports servers connection c talks to: the fanout sender the
 * first, the others round the list by index. */
size_t ports_pick(const struct conn *c, size_t nports);

/* stats.c */
void samples_add(struct samples *s, uint64_t ns);
void samples_free(struct samples *s);
/* Sorts s and returns the q-quantile (0..1) in microseconds. */
uint32_t samples_quantile(struct samples *s, double q);
/* A "NAME:  N kB" (or plain count) field of /proc/PID/status, or -1. */
long proc_status_kb(long pid, const char *field);

/* report.c: one human table and one "RESULT key=value ..." line per run. */
enum { REPORT_ITEMS = 40 };
struct report_item {
    const char *key;   /* for the RESULT line: no spaces */
    const char *human; /* for the table */
    char value[64];
};
struct report {
    struct report_item items[REPORT_ITEMS];
    size_t n;
};
void report_add(struct report *r, const char *key, const char *human, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Adds p50/p90/p99/max (microseconds) of s. */
void report_latency(struct report *r, struct samples *s, const char *what);
/* Prints the table on stdout, then the RESULT line; returns the exit code:
 * 0 when the run had no error and every connection was ready. */
int report_print(const struct bench *b, const struct report *r, const char *workload);

/* busy.c: other rooms kept busy while fanout measures one */
struct busy;
/* Opens the busy rooms' people (conns[base..nconns)), joins each to its
 * room, until all are in or the deadline passes; NULL when none asked. */
struct busy *busy_start(struct bench *b, size_t base, uint64_t deadline_ns);
/* Sends what each room's talker owes by now at --busy-rate. */
void busy_tick(struct bench *b, struct busy *bz);
/* Handles a line on a busy room's connection; false when c is not one. */
bool busy_line(struct bench *b, struct busy *bz, struct conn *c, char *line, size_t len);
/* Checks that every busy receiver got its room's messages once, in order,
 * and nothing else; adds its figures to r. Frees bz. */
void busy_finish(struct bench *b, struct busy *bz, struct report *r);

/* workloads */
int work_rr(struct bench *b);
int work_fanout(struct bench *b);
int work_hold(struct bench *b);
int work_push(struct bench *b);

#endif

/* net: the client's socket edge: name resolution, non-blocking connect with
 * a timeout over every address of a name, and the reconnect backoff.
 * Errors go into a caller's buffer as "what failed: why" (as Redis' anet). */
#ifndef SOCKCHAT_TUI_NET_H
#define SOCKCHAT_TUI_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tls.h"

enum {
    NET_CONNECT_TIMEOUT_MS = 5000,
    NET_RESOLVE_TIMEOUT_MS = 10000,
    NET_BACKOFF_MAX_S = 30,
};

struct addrinfo;
struct net_lookup;
struct wire;

/* getaddrinfo(3), or a stand-in from a test. */
typedef int net_resolver(const char *host, const char *port, const struct addrinfo *hints,
                         struct addrinfo **res);

struct net {
    int fd;          /* -1 when closed */
    bool connecting; /* not connected yet: wait for net_poll_events(), then net_finish() */
    bool resolving;  /* ... the name is being looked up, and fd is the lookup's pipe */
    int64_t deadline_ms;
    struct net_lookup *lookup; /* the lookup thread's job, while resolving */
    net_resolver *resolve;     /* for names; numeric addresses never block */
    struct addrinfo *ai_list;
    struct addrinfo *ai_next; /* the address to try after the current one */
    /* A name may have several addresses: an attempt tries each once,
     * starting with the ai_first-th (the caller's round robin, addrlist.h)
     * and wrapping around. */
    unsigned ai_first;
    unsigned ai_count;  /* addresses the name resolved to */
    unsigned ai_left;   /* ... not tried yet in this attempt */
    unsigned ai_index;  /* the one being tried, or connected to */
    char addr_text[64]; /* ... as a numeric address, for the status bar */
    char last_err[160];
    unsigned backoff_s; /* the next retry delay */
    /* What the wire view and the demo knobs (issue 14) need; net_init()
     * leaves them all off, and off they cost one branch per call. */
    struct wire *wire;      /* records every read and write when not NULL */
    int64_t (*clock)(void); /* monotonic ms: wire times and --chunk pacing */
    int64_t connected_ms;   /* when the connection was made (clock) */
    unsigned chunk;         /* --chunk N: at most N bytes per send(); 0: no limit */
    unsigned chunk_ms;      /* ... and at least this many ms between two */
    int64_t next_write_ms;  /* --chunk: no send() before this */
    bool answered;          /* a read brought bytes on this connection: --chunk applies */
    int nodelay;            /* --nodelay: TCP_NODELAY 1 or 0; -1 the kernel's default */
    /* TLS (issue 19): with tls_ctx set (the caller's; net_start takes it
     * for the connection it starts) the handshake is part of connecting:
     * net_finish() returns 1 only once it is done. Reads and writes then
     * move the plaintext, so --wire and --chunk show and cut the chat's
     * bytes, not the records. */
    struct ssl_ctx_st *tls_ctx;
    struct ssl_st *ssl;              /* this connection's session, or NULL: clear text */
    bool handshaking;                /* connected, the TLS handshake under way */
    short tls_want;                  /* what the last TLS call that could not go on polls for */
    enum tls_fail tls_fail;          /* why the last handshake failed (net_finish's -3) */
    char tls_host[256];              /* the name for SNI and verification */
    char tls_version[16];            /* "TLSv1.3" once the handshake is done */
    unsigned char tls_sha[FP_BYTES]; /* the server certificate's SHA-256 */
    bool tls_cert;                   /* ... and there was one */
};

void net_init(struct net *n);

/* Resolves host/port and starts connecting to the first address. A
 * numeric address is resolved at once; a name is looked up by a thread of
 * its own, since getaddrinfo blocks (for seconds when DNS is unreachable)
 * and the terminal must stay live meanwhile. Returns 0 when an attempt is
 * under way (or done: check n->connecting), -1 with err set when no address
 * could even be tried, -2 when retrying is pointless (the name or service
 * does not exist). */
int net_start(struct net *n, const char *host, const char *port, int64_t now_ms, char *err,
              size_t errlen);

/* After n->fd is ready for net_poll_events() (or the deadline passed)
 * while connecting: returns 1 when connected, 0 when the lookup ended and
 * a connect started, or another address is being tried; -1 with err set
 * when all failed, -2 when the name does not exist, -3 when the TLS
 * handshake was refused or answered in clear text (n->tls_fail says
 * which): another try would get the same answer. */
int net_finish(struct net *n, int64_t now_ms, bool timed_out, char *err, size_t errlen);

/* What to poll n->fd for: the lookup's wake-up, connect's completion, or
 * input (and output when want_write). */
short net_poll_events(const struct net *n, bool want_write);

void net_close(struct net *n);
/* Half-closes: the peer reads EOF after everything sent so far. */
void net_shutdown_write(struct net *n);

/* The delay before the next attempt (1, 2, 4 ... 30 s), advancing it. */
unsigned net_backoff_next(struct net *n);
void net_backoff_reset(struct net *n);

/* Non-blocking read/write; return -1 with errno as read(2)/send(2). With
 * n->wire each call that moved bytes (or read the end) is recorded there.
 * With n->chunk a write sends at most that many bytes, and fails with
 * EAGAIN until net_write_wait() is 0 again; but only once the server has
 * answered: sockchat-server tells a client's dialect from its first read
 * (a tutorial client sends one message per send() and no newline), so
 * the greeting goes whole. */
ssize_t net_read(struct net *n, char *buf, size_t cap);
ssize_t net_write(struct net *n, const char *buf, size_t len);
/* Milliseconds until --chunk lets the next write go (0: now). */
int64_t net_write_wait(const struct net *n);
/* TLS holds decrypted bytes already read from the socket: read before
 * polling, which would not wake for them. */
bool net_pending(const struct net *n);

#endif

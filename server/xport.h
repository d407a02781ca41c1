/* xport: one connection's transport, clear text or TLS, behind the few
 * calls the drivers (mode_*.c, serve.c) and client.c make. The session
 * core never sees it: it gets and gives plaintext.
 *
 * Decided once per connection by its first bytes, peeked (MSG_PEEK): 0x16
 * 0x03 (a TLS handshake record) is TLS, anything else clear text; a lone
 * 0x16 waits GREET_WAIT_MS for its next byte. With TLS off (--no-tls) every
 * connection is clear text from the start. The handshake runs inside
 * xport_read and xport_writev, non-blocking, so each mode waits for it the
 * way it waits for anything: xport_events says which poll events the next
 * step needs (a TLS read may need the socket writable, a write readable).
 *
 * Kept in struct client, so small: the SSL pointer (NULL for clear text)
 * and a few bytes; OpenSSL's record buffers are released while idle. */
#ifndef SOCKCHAT_XPORT_H
#define SOCKCHAT_XPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct client;
struct server;
struct ssl_st;

enum xport_state {
    XP_UNDECIDED, /* nothing read yet */
    XP_CLEAR,
    XP_TLS_HS, /* TLS, handshake under way */
    XP_TLS12,  /* TLS, up: version 1.2 */
    XP_TLS13,  /* ... 1.3 */
};

/* The largest write coalesced into one TLS record (its plaintext). */
enum { XPORT_RECORD = 16384 };

struct xport {
    struct ssl_st *ssl; /* TLS: its connection; NULL: none (yet) */
    uint32_t wait_ms;   /* a lone 0x16: decide by connected_ms + this */
    uint16_t wretry;    /* a TLS write to repeat with these bytes; 0: none */
    uint8_t state;      /* enum xport_state; written under c->lock */
    uint8_t flags;      /* owner only (xport.c) */
};

/* client_new's: clear text when the server has no TLS. */
void xport_init(struct client *c);
/* As read(2) on c's socket, of plaintext: >0 bytes, 0 at the end (a FIN,
 * with or without TLS's close_notify), -1 with errno: EAGAIN (wait for
 * xport_events) or the connection is lost (a TLS failure also asks c to
 * close, with "tls: WHY" as the reason). */
ssize_t xport_read(struct client *c, void *buf, size_t cap);
/* As writev(2): a TLS write coalesces up to XPORT_RECORD bytes into one
 * record, and repeats one that would have blocked with the same bytes
 * (the queue's head: unconsumed until written). */
ssize_t xport_writev(struct client *c, const struct iovec *iov, int n);
/* Decrypted bytes wait inside: read again before polling. */
bool xport_pending(const struct client *c);
/* The poll events (POLLIN, POLLOUT) for a plan that reads (rd) and/or
 * writes (wr). */
short xport_events(const struct client *c, bool rd, bool wr);
/* A read waits for the socket to be writable (the TLS handshake or a
 * read that must write): when it is, read again. */
bool xport_read_on_out(const struct client *c);
/* By the clock (client_step): a lone 0x16 looked at again or decided;
 * --tls-only's clear text refused once REFUSE_WAIT_MS pass with nothing
 * sent; a TLS handshake not done 10 s after the connect closed. The next
 * time to be called (0: none). */
int64_t xport_step(struct client *c, int64_t now_ms);
/* Our last byte is out: close_notify (best effort), then shutdown(SHUT_WR). */
void xport_shutdown_wr(struct client *c);
/* Frees the TLS state and closes the socket. */
void xport_close(struct client *c);
/* Frees the TLS state only (client_free, for a client never closed so). */
void xport_release(struct client *c);
/* With c->lock held: clear text decided (another thread may write it). */
bool xport_clear_locked(const struct client *c);
/* "TLSv1.3", "TLSv1.2", or NULL (clear text, or not yet). Owner, or
 * under c->lock. */
const char *xport_version(const struct client *c);

#endif

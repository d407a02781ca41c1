/* tls: the client's TLS layer over a connected non-blocking socket
 * (OpenSSL 3's libssl), for net.c. Every call that would block says what
 * to poll for instead; nothing here waits. Which servers to trust is not
 * decided here: without a CA file every certificate passes the handshake
 * and the caller checks its fingerprint (trust on first use, trust.h). */
#ifndef SOCKCHAT_TUI_TLS_H
#define SOCKCHAT_TUI_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fingerprint.h"

struct ssl_st;
struct ssl_ctx_st;

/* Why a handshake failed: the socket (EOF, reset: worth retrying), the
 * peer does not speak TLS (it answered in clear text), or it does but
 * the certificate or the protocol was refused. */
enum tls_fail { TLS_FAIL_IO, TLS_FAIL_NOT_TLS, TLS_FAIL_REFUSED };

/* A client context: TLS 1.2 minimum; with ca_file, the server's chain is
 * verified against it (and the host name, per connection). NULL with err
 * set ("tls-ca FILE: why") on failure. */
struct ssl_ctx_st *tls_ctx_new(const char *ca_file, char *err, size_t errlen);
void tls_ctx_free(struct ssl_ctx_st *ctx);

/* A client session over fd for host (SNI unless an address, and the name
 * verified when the context has a CA). NULL with err set. */
struct ssl_st *tls_new(struct ssl_ctx_st *ctx, int fd, const char *host, char *err, size_t errlen);
void tls_free(struct ssl_st *ssl);

/* One step of the handshake. Returns 1 done, 0 not yet (*want: POLLIN or
 * POLLOUT), -1 failed with *fail and err ("tls: why") set. */
int tls_handshake(struct ssl_st *ssl, short *want, enum tls_fail *fail, char *err, size_t errlen);

/* As read(2)/send(2): >0 bytes, 0 the end (close_notify, or a FIN: lines
 * carry their own ends), -1 with errno (EAGAIN: poll *want first; EPROTO
 * with err set: the session broke). */
ssize_t tls_read(struct ssl_st *ssl, void *buf, size_t cap, short *want, char *err, size_t errlen);
ssize_t tls_write(struct ssl_st *ssl, const void *buf, size_t len, short *want, char *err,
                  size_t errlen);
/* Decrypted bytes are waiting inside: read again before polling. */
bool tls_pending(const struct ssl_st *ssl);
/* close_notify, best effort (never waits for the peer's). */
void tls_close_notify(struct ssl_st *ssl);

/* After the handshake: "TLSv1.3", and the SHA-256 of the server's
 * certificate (DER). Returns -1 when there is no certificate. */
int tls_peer(struct ssl_st *ssl, char *version, size_t vcap, unsigned char sha[FP_BYTES]);

#endif

/* tls: the server's TLS context, one for every connection: OpenSSL 3's
 * SSL_CTX built from the identity tlscert.c found or made, with the
 * settings docs/PROTOCOL.md states (TLS 1.2 at least, 1.3 preferred,
 * ECDHE with AEAD ciphers only for 1.2, no renegotiation, no compression,
 * no session tickets, buffers released while idle). The connections
 * themselves are xport.c's. */
#ifndef SOCKCHAT_TLS_H
#define SOCKCHAT_TLS_H

#include "tlscert.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_server;
struct ssl_st;

/* The context for id's certificate and key. NULL, with err saying what
 * failed and with what ("tls-cert /x/c.pem: ..."). */
struct tls_server *tls_server_new(const struct tls_identity *id, char *err, size_t ecap);
void tls_server_free(struct tls_server *t);
/* A new server-side SSL for fd (non-blocking); NULL when out of memory. */
struct ssl_st *tls_server_ssl(struct tls_server *t, int fd);
/* The leaf certificate's SHA-256, as fingerprint.h writes it. */
const char *tls_server_fingerprint(const struct tls_server *t);
/* The log's start line: "tls: on (TLS 1.2-1.3), certificate PATH (...),
 * SHA-256 ..." (only: "tls: only (...)"). */
void tls_server_describe(const struct tls_server *t, bool only, char *out, size_t cap);
/* The stats line (/stats, the console's and admins' stats): "tls: on,
 * SHA-256 AB:..., N TLS connections now", "tls: only, ..." or "tls: off". */
struct server;
void tls_stats_line(struct server *srv, char *out, size_t cap);
/* "on", "only" or "off", for the admins' STATS. */
const char *tls_mode_word(const struct server *srv);

/* Failed handshakes are logged at most TLS_FAIL_LOG_PER_S a second (a
 * scanner or a flood would fill the log): true when this one may be, and
 * *dropped is how many were not since the last that was. */
enum { TLS_FAIL_LOG_PER_S = 5 };
bool tls_server_fail_log(struct tls_server *t, int64_t now_ms, unsigned long *dropped);
/* OpenSSL's reason for the last failure on this thread ("wrong version
 * number"), the error queue cleared; "" when it said nothing. */
const char *tls_last_reason(char *buf, size_t cap);

#endif

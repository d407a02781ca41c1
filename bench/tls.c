/* tls: the client side of --tls, OpenSSL over the bench's non-blocking sockets.
 *
 * The bench measures what TLS costs the server, so it checks nothing: no
 * certificate verification (the servers under test make throwaway
 * self-signed ones), and no session resumption (every connection pays a
 * full handshake, as a classroom of fresh clients would). The handshake is
 * driven from the epoll loop: WANT_READ/WANT_WRITE become the events the
 * connection waits for. After it, sends and receives map WANT_* to EAGAIN so
 * the loop's clear-text logic (out buffer, EPOLLOUT) applies unchanged. */
#include "bench.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

int btls_init(struct bench *b)
{
    if (!b->opt->tls)
        return 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        fprintf(stderr, "sockchat-bench: --tls: SSL_CTX_new: %s\n",
                ERR_reason_error_string(ERR_get_error()));
        return -1;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* A server that closes with a bare FIN (as it does in clear text) ends
     * the stream: EOF, not an error. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    /* The out buffer moves (memmove after a partial send) and a retry may
     * carry more bytes than the first try: both are allowed with these. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    b->tls_ctx = ctx;
    return 0;
}

void btls_free(struct bench *b)
{
    SSL_CTX_free(b->tls_ctx);
    b->tls_ctx = NULL;
}

int btls_attach(struct bench *b, struct conn *c)
{
    SSL *ssl = SSL_new(b->tls_ctx);
    if (!ssl || SSL_set_fd(ssl, c->fd) != 1) {
        bench_error(b, "connection %u: SSL_new: %s", c->index,
                    ERR_reason_error_string(ERR_get_error()));
        SSL_free(ssl);
        return -1;
    }
    SSL_set_connect_state(ssl);
    c->ssl = ssl;
    c->tls_handshaking = true;
    return 0;
}

/* Why the last OpenSSL call on ssl failed, for the first_error line. */
static const char *failure(SSL *ssl, int ret)
{
    int e = SSL_get_error(ssl, ret);
    unsigned long q = ERR_get_error();
    if (q)
        return ERR_reason_error_string(q);
    if (e == SSL_ERROR_SYSCALL)
        return errno ? strerror(errno) : "connection closed";
    if (e == SSL_ERROR_ZERO_RETURN)
        return "closed by the peer (close_notify)";
    return "TLS error";
}

int btls_handshake(struct bench *b, struct conn *c, uint32_t *events)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        c->tls_handshaking = false;
        return 1;
    }
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
        *events = EPOLLIN;
        return 0;
    case SSL_ERROR_WANT_WRITE:
        *events = EPOLLIN | EPOLLOUT;
        return 0;
    default:
        bench_error(b, "connection %u: TLS handshake: %s", c->index, failure(c->ssl, r));
        return -1;
    }
}

/* What SSL_write_ex/SSL_read_ex returning r (n bytes done) means, as
 * write(2)/read(2) would say it: n, -1 with EAGAIN to wait, 0 at the
 * peer's close_notify when eof_ok (a read), else -1 with EPROTO and the
 * bench's first error set. */
static ssize_t io_result(struct bench *b, struct conn *c, int r, size_t n, bool eof_ok,
                         const char *what)
{
    if (r == 1)
        return (ssize_t)n;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        errno = EAGAIN;
        return -1;
    }
    if (e == SSL_ERROR_ZERO_RETURN && eof_ok)
        return 0;
    bench_error(b, "TLS %s on connection %u: %s", what, c->index, failure(c->ssl, r));
    errno = EPROTO;
    return -1;
}

ssize_t btls_send(struct bench *b, struct conn *c, const char *data, size_t len)
{
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_write_ex(c->ssl, data, len, &n);
    return io_result(b, c, r, n, false, "send");
}

ssize_t btls_recv(struct bench *b, struct conn *c, char *buf, size_t cap)
{
    size_t n = 0;
    ERR_clear_error();
    int r = SSL_read_ex(c->ssl, buf, cap, &n);
    return io_result(b, c, r, n, true, "receive");
}

void btls_close(struct conn *c)
{
    /* No close_notify: the bench closes abortively (RST) in clear text too. */
    SSL_free(c->ssl);
    c->ssl = NULL;
    c->tls_handshaking = false;
}

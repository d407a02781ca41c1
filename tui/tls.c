/* tls: the client's TLS layer (see tls.h). */
#define _GNU_SOURCE /* sigtimedwait */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* The oldest queued OpenSSL error as text ("wrong version number"), the
 * queue emptied: errors must not leak into the next session's calls. */
static void ssl_reason(char *buf, size_t cap, const char *fallback, unsigned long *code)
{
    unsigned long e = ERR_get_error();
    if (code)
        *code = e;
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(buf, cap, "%s", r ? r : fallback);
    ERR_clear_error();
}

/* OpenSSL writes with write(2), not send(MSG_NOSIGNAL): a server gone
 * mid-write would raise SIGPIPE and end the line client (which keeps
 * SIGPIPE's default, so that `sockchat --plain | head` ends). Around each
 * call that may write, SIGPIPE is blocked, and one it raised is taken
 * back: the call then fails with EPIPE like a clear-text send. */
struct pipe_guard {
    sigset_t old;
    bool was_pending;
};

static void pipe_block(struct pipe_guard *g)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    g->was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, &g->old);
}

static void pipe_restore(struct pipe_guard *g)
{
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    if (!g->was_pending && sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE)) {
        int saved = errno;
        struct timespec now = {0, 0};
        while (sigtimedwait(&set, NULL, &now) < 0 && errno == EINTR)
            ;
        errno = saved;
    }
    pthread_sigmask(SIG_SETMASK, &g->old, NULL);
}

struct ssl_ctx_st *tls_ctx_new(const char *ca_file, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    char why[200];
    if (ctx == NULL) {
        ssl_reason(why, sizeof(why), "cannot make a context", NULL);
        snprintf(err, errlen, "tls: %s", why);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* A server that closes without close_notify has said all its lines
     * (each ends in its own newline): read that as the end, not an error. */
    SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION |
                                 SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    if (ca_file) {
        errno = 0;
        if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
            ssl_reason(why, sizeof(why), "unreadable", NULL);
            snprintf(err, errlen, "tls-ca %s: %s", ca_file, errno ? strerror(errno) : why);
            SSL_CTX_free(ctx);
            return NULL;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* the fingerprint decides */
    }
    return ctx;
}

void tls_ctx_free(struct ssl_ctx_st *ctx)
{
    SSL_CTX_free(ctx);
}

static bool is_address(const char *host)
{
    unsigned char b[16];
    return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

struct ssl_st *tls_new(struct ssl_ctx_st *ctx, int fd, const char *host, char *err, size_t errlen)
{
    char why[200];
    SSL *ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1)
        goto fail;
    bool addr = is_address(host);
    /* SNI carries names only (RFC 6066). */
    if (!addr && SSL_set_tlsext_host_name(ssl, host) != 1)
        goto fail;
    if (SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
        int ok = addr ? X509_VERIFY_PARAM_set1_ip_asc(vp, host) : SSL_set1_host(ssl, host);
        if (ok != 1)
            goto fail;
    }
    SSL_set_connect_state(ssl);
    return ssl;
fail:
    ssl_reason(why, sizeof(why), "out of memory", NULL);
    snprintf(err, errlen, "tls: %s", why);
    SSL_free(ssl);
    return NULL;
}

void tls_free(struct ssl_st *ssl)
{
    SSL_free(ssl);
}

/* Did the bytes that broke the handshake come from a peer speaking
 * something else than TLS (a clear-text chat server answering our
 * ClientHello with a line)? */
static bool not_tls_reason(unsigned long code)
{
    if (ERR_GET_LIB(code) != ERR_LIB_SSL)
        return false;
    int r = ERR_GET_REASON(code);
    return r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG ||
           r == SSL_R_RECORD_LENGTH_MISMATCH || r == SSL_R_UNKNOWN_PROTOCOL ||
           r == SSL_R_HTTP_REQUEST || r == SSL_R_UNEXPECTED_RECORD;
}

int tls_handshake(struct ssl_st *ssl, short *want, enum tls_fail *fail, char *err, size_t errlen)
{
    struct pipe_guard g;
    ERR_clear_error();
    pipe_block(&g);
    int rc = SSL_do_handshake(ssl);
    pipe_restore(&g);
    if (rc == 1)
        return 1;
    int e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        return 0;
    }
    char why[200];
    unsigned long code = 0;
    int saved = errno;
    ssl_reason(why, sizeof(why), "", &code);
    /* Without SSL_VERIFY_PEER the chain is still checked and the result
     * kept (a self-signed certificate "fails"): it means nothing then. */
    long vr = SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (vr != X509_V_OK) {
        *fail = TLS_FAIL_REFUSED;
        snprintf(err, errlen, "tls: certificate verify failed: %s",
                 X509_verify_cert_error_string(vr));
    } else if (e == SSL_ERROR_SYSCALL || (e == SSL_ERROR_SSL && code == 0) ||
               (ERR_GET_LIB(code) == ERR_LIB_SSL &&
                ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        *fail = TLS_FAIL_IO;
        snprintf(err, errlen, "tls handshake: %s",
                 e == SSL_ERROR_SYSCALL && saved ? strerror(saved)
                                                 : "the server closed the connection");
    } else if (not_tls_reason(code)) {
        *fail = TLS_FAIL_NOT_TLS;
        snprintf(err, errlen, "tls handshake: %s: the server answered in clear text", why);
    } else {
        *fail = TLS_FAIL_REFUSED;
        snprintf(err, errlen, "tls handshake: %s", why[0] ? why : "failed");
    }
    return -1;
}

/* After a read or write that did not move bytes: errno and *want. */
static ssize_t io_error(struct ssl_st *ssl, int rc, short *want, char *err, size_t errlen)
{
    int e = SSL_get_error(ssl, rc);
    if (e == SSL_ERROR_ZERO_RETURN) {
        ERR_clear_error();
        return 0;
    }
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        *want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
        errno = EAGAIN;
        return -1;
    }
    int saved = errno;
    char why[200];
    ssl_reason(why, sizeof(why), "", NULL);
    if (e == SSL_ERROR_SYSCALL && saved) {
        errno = saved; /* ECONNRESET, EPIPE: said as for a clear socket */
        snprintf(err, errlen, "%s", strerror(saved));
        return -1;
    }
    snprintf(err, errlen, "tls: %s", why[0] ? why : "the session broke");
    errno = EPROTO;
    return -1;
}

ssize_t tls_read(struct ssl_st *ssl, void *buf, size_t cap, short *want, char *err, size_t errlen)
{
    size_t got = 0;
    struct pipe_guard g;
    ERR_clear_error();
    pipe_block(&g); /* a read may write: a key update's answer */
    int rc = SSL_read_ex(ssl, buf, cap, &got);
    pipe_restore(&g);
    if (rc == 1)
        return (ssize_t)got;
    return io_error(ssl, rc, want, err, errlen);
}

ssize_t tls_write(struct ssl_st *ssl, const void *buf, size_t len, short *want, char *err,
                  size_t errlen)
{
    size_t put = 0;
    struct pipe_guard g;
    ERR_clear_error();
    pipe_block(&g);
    int rc = SSL_write_ex(ssl, buf, len, &put);
    pipe_restore(&g);
    if (rc == 1)
        return (ssize_t)put;
    return io_error(ssl, rc, want, err, errlen);
}

bool tls_pending(const struct ssl_st *ssl)
{
    return SSL_pending(ssl) > 0;
}

void tls_close_notify(struct ssl_st *ssl)
{
    struct pipe_guard g;
    ERR_clear_error();
    pipe_block(&g);
    if (SSL_is_init_finished(ssl))
        (void)SSL_shutdown(ssl); /* one call: sends ours, does not wait for theirs */
    pipe_restore(&g);
    ERR_clear_error();
}

int tls_peer(struct ssl_st *ssl, char *version, size_t vcap, unsigned char sha[FP_BYTES])
{
    snprintf(version, vcap, "%s", SSL_get_version(ssl));
    X509 *cert = SSL_get1_peer_certificate(ssl);
    unsigned int n = 0;
    int rc = cert && X509_digest(cert, EVP_sha256(), sha, &n) == 1 && n == FP_BYTES ? 0 : -1;
    X509_free(cert);
    return rc;
}

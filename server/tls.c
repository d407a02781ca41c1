/* tls: the one SSL_CTX of the server (see tls.h). OpenSSL 3's libssl:
 * on every Debian machine already, what the peers we test against use,
 * and its non-blocking SSL_read_ex/SSL_write_ex map onto our poll and
 * epoll loops directly (docs/PROTOCOL.md, TLS). */
#include "tls.h"
#include "server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tls_server {
    SSL_CTX *ctx;
    struct tls_identity id; /* for the log and the stats */
    pthread_mutex_t lock;   /* guards what follows: a leaf */
    int64_t fail_sec;       /* the second counted in */
    unsigned fail_n;        /* failures logged in it */
    unsigned long fail_dropped;
};

bool tls_server_fail_log(struct tls_server *t, int64_t now_ms, unsigned long *dropped)
{
    pthread_mutex_lock(&t->lock);
    if (now_ms / 1000 != t->fail_sec) {
        t->fail_sec = now_ms / 1000;
        t->fail_n = 0;
    }
    bool ok = t->fail_n < TLS_FAIL_LOG_PER_S;
    if (ok) {
        t->fail_n++;
        *dropped = t->fail_dropped;
        t->fail_dropped = 0;
    } else {
        t->fail_dropped++;
    }
    pthread_mutex_unlock(&t->lock);
    return ok;
}

const char *tls_last_reason(char *buf, size_t cap)
{
    unsigned long e, last = 0;
    while ((e = ERR_get_error()) != 0)
        last = e; /* the last is the nearest to what failed */
    const char *r = last != 0 ? ERR_reason_error_string(last) : NULL;
    snprintf(buf, cap, "%s", r != NULL ? r : "");
    return buf;
}

/* Every connection's settings (docs/PROTOCOL.md says why each). */
static int tls_settings(SSL_CTX *ctx)
{
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
        return -1;
    /* TLS 1.2 only: forward secrecy and AEAD. 1.3's suites are all that. */
    if (!SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20"))
        return -1;
    /* No renegotiation, no compression (CRIME), no resumption state: no
     * tickets (and so no write after the handshake that nobody asked
     * for), no session cache. A FIN without close_notify is an end like
     * any other: our framing is lines, a cut one is never taken. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
                                 SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (!SSL_CTX_set_num_tickets(ctx, 0))
        return -1;
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* Partial writes and a moving buffer: a write is what fits, retried
     * from wherever the queue has the same bytes now. Released buffers:
     * an idle TLS connection keeps no 2 x 16 KiB of records. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    return 0;
}

struct tls_server *tls_server_new(const struct tls_identity *id, char *err, size_t ecap)
{
    char why[256];
    struct tls_server *t = calloc(1, sizeof *t);
    if (t == NULL) {
        snprintf(err, ecap, "tls: out of memory");
        return NULL;
    }
    t->id = *id;
    pthread_mutex_init(&t->lock, NULL);
    ERR_clear_error();
    t->ctx = SSL_CTX_new(TLS_server_method());
    if (t->ctx == NULL || tls_settings(t->ctx) < 0) {
        snprintf(err, ecap, "tls: cannot set up OpenSSL: %s", tls_last_reason(why, sizeof why));
        tls_server_free(t);
        return NULL;
    }
    if (SSL_CTX_use_certificate_chain_file(t->ctx, id->cert) != 1) {
        snprintf(err, ecap, "tls-cert %s: %s", id->cert, tls_last_reason(why, sizeof why));
        tls_server_free(t);
        return NULL;
    }
    if (SSL_CTX_use_PrivateKey_file(t->ctx, id->key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(t->ctx) != 1) {
        snprintf(err, ecap, "tls-key %s: %s", id->key, tls_last_reason(why, sizeof why));
        tls_server_free(t);
        return NULL;
    }
    return t;
}

void tls_server_free(struct tls_server *t)
{
    if (t == NULL)
        return;
    SSL_CTX_free(t->ctx);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

struct ssl_st *tls_server_ssl(struct tls_server *t, int fd)
{
    SSL *ssl = SSL_new(t->ctx);
    if (ssl == NULL)
        return NULL;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

const char *tls_server_fingerprint(const struct tls_server *t)
{
    return t->id.fingerprint;
}

void tls_server_describe(const struct tls_server *t, bool only, char *out, size_t cap)
{
    char how[TLSCERT_ISSUER_MAX + 8];
    if (t->id.made)
        snprintf(how, sizeof how, "made now");
    else if (t->id.self_signed)
        snprintf(how, sizeof how, "self-signed");
    else
        snprintf(how, sizeof how, "CA: %s", t->id.issuer);
    snprintf(out, cap, "tls: %s (TLS 1.2-1.3), certificate %s (%s), SHA-256 %s",
             only ? "only" : "on", t->id.cert, how, t->id.fingerprint);
}

const char *tls_mode_word(const struct server *srv)
{
    return srv->tls == NULL ? "off" : srv->cfg.tls_only ? "only" : "on";
}

void tls_stats_line(struct server *srv, char *out, size_t cap)
{
    if (srv->tls == NULL) {
        snprintf(out, cap, "tls: off");
        return;
    }
    unsigned n = atomic_load_explicit(&srv->st.tls_now, memory_order_relaxed);
    snprintf(out, cap, "tls: %s, SHA-256 %s, %u TLS connection%s now", tls_mode_word(srv),
             srv->tls->id.fingerprint, n, plural_s(n));
}

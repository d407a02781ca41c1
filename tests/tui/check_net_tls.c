/* net over TLS (issue 19): the handshake as part of connecting, the
 * server's version and certificate digest, decrypted bytes held inside
 * OpenSSL (net_pending) that poll() would not wake for, close_notify as
 * the end, and a clear-text answer to our ClientHello told apart. The
 * server is a thread on a loopback port with a certificate made here;
 * waits are poll() with deadlines. */
#include "check_tui.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

enum { BIG = 10000 };

struct srv {
    int lfd;
    char port[16];
    bool clear; /* answer in clear text, as a server without TLS */
    SSL_CTX *ctx;
    X509 *cert;
    EVP_PKEY *key;
    char got[64]; /* what the client wrote, as the server read it */
    pthread_t t;
};

static X509 *self_signed(EVP_PKEY *pk)
{
    X509 *x = X509_new();
    ck_assert_ptr_nonnull(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pk);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"check", -1, -1, 0);
    X509_set_issuer_name(x, nm);
    ck_assert_int_gt(X509_sign(x, pk, EVP_sha256()), 0);
    return x;
}

static void *serve(void *arg)
{
    struct srv *s = arg;
    int c = accept(s->lfd, NULL, NULL);
    if (c < 0)
        return NULL;
    if (s->clear) {
        char hello[512];
        if (read(c, hello, sizeof(hello)) > 0 && write(c, "hello there\n", 12) < 0)
            perror("check_net_tls: write");
        close(c);
        return NULL;
    }
    SSL *ssl = SSL_new(s->ctx);
    SSL_set_fd(ssl, c);
    if (SSL_accept(ssl) == 1) {
        int n = SSL_read(ssl, s->got, sizeof(s->got) - 1);
        s->got[n > 0 ? n : 0] = '\0';
        static char big[BIG];
        memset(big, 'x', sizeof(big));
        SSL_write(ssl, big, sizeof(big)); /* one record: more than one read takes */
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    close(c);
    return NULL;
}

static void srv_start(struct srv *s, bool clear)
{
    memset(s, 0, sizeof(*s));
    s->clear = clear;
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sin);
    ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&sin, sl), 0);
    ck_assert_int_eq(listen(s->lfd, 4), 0);
    ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&sin, &sl), 0);
    snprintf(s->port, sizeof(s->port), "%u", ntohs(sin.sin_port));
    s->key = EVP_EC_gen("P-256");
    ck_assert_ptr_nonnull(s->key);
    s->cert = self_signed(s->key);
    s->ctx = SSL_CTX_new(TLS_server_method());
    ck_assert_int_eq(SSL_CTX_use_certificate(s->ctx, s->cert), 1);
    ck_assert_int_eq(SSL_CTX_use_PrivateKey(s->ctx, s->key), 1);
    ck_assert_int_eq(pthread_create(&s->t, NULL, serve, s), 0);
}

static void srv_stop(struct srv *s)
{
    pthread_join(s->t, NULL);
    close(s->lfd);
    SSL_CTX_free(s->ctx);
    X509_free(s->cert);
    EVP_PKEY_free(s->key);
}

/* Drives the connect and the handshake to their end. */
static int finish(struct net *n, char *err, size_t cap)
{
    for (int i = 0; i < 20 && n->connecting; i++) {
        struct pollfd pf = {.fd = n->fd, .events = net_poll_events(n, false)};
        int rc = poll(&pf, 1, 5000);
        int r = net_finish(n, 0, rc == 0, err, cap);
        if (r != 0)
            return r;
    }
    return n->fd >= 0 && !n->connecting ? 1 : -1;
}

START_TEST(test_tls_roundtrip)
{
    struct srv s;
    struct net n;
    char err[300] = "";
    srv_start(&s, false);
    net_init(&n);
    n.tls_ctx = tls_ctx_new(NULL, err, sizeof(err));
    ck_assert_ptr_nonnull(n.tls_ctx);
    ck_assert_int_eq(net_start(&n, "127.0.0.1", s.port, 0, err, sizeof(err)), 0);
    ck_assert_msg(finish(&n, err, sizeof(err)) == 1, "handshake: %s", err);
    ck_assert_ptr_nonnull(n.ssl);
    ck_assert_msg(strncmp(n.tls_version, "TLSv1.", 6) == 0, "version %s", n.tls_version);
    ck_assert(n.tls_cert);
    unsigned char sha[FP_BYTES];
    unsigned len = 0;
    ck_assert_int_eq(X509_digest(s.cert, EVP_sha256(), sha, &len), 1);
    ck_assert_mem_eq(n.tls_sha, sha, FP_BYTES);
    ck_assert_int_eq(net_write(&n, "HELLO x\n", 8), 8);

    /* The whole record is decrypted at once; a small read leaves the rest
     * inside OpenSSL, where poll() cannot see it. */
    char buf[BIG + 1];
    size_t total = 0;
    bool saw_pending = false;
    for (int i = 0; i < 1000 && total < BIG; i++) {
        if (!net_pending(&n)) {
            struct pollfd pf = {.fd = n.fd, .events = net_poll_events(&n, false)};
            ck_assert_int_eq(poll(&pf, 1, 5000), 1);
        }
        ssize_t r = net_read(&n, buf, 100);
        if (r < 0) {
            ck_assert_int_eq(errno, EAGAIN);
            continue;
        }
        ck_assert_int_gt(r, 0);
        total += (size_t)r;
        saw_pending = saw_pending || (total < BIG && net_pending(&n));
    }
    ck_assert_uint_eq(total, BIG);
    ck_assert(saw_pending);
    /* close_notify: the end, not an error. */
    ssize_t r;
    for (int i = 0; i < 100; i++) {
        struct pollfd pf = {.fd = n.fd, .events = POLLIN};
        ck_assert_int_eq(poll(&pf, 1, 5000), 1);
        r = net_read(&n, buf, sizeof(buf));
        if (!(r < 0 && errno == EAGAIN))
            break;
    }
    ck_assert_int_eq(r, 0);
    net_close(&n);
    ck_assert_ptr_null(n.ssl);
    srv_stop(&s);
    ck_assert_str_eq(s.got, "HELLO x\n");
    tls_ctx_free(n.tls_ctx);
}
END_TEST

/* A server without TLS answers the ClientHello with a line: refused for
 * good (-3), as clear text, not as a network failure to retry. */
START_TEST(test_tls_answered_in_clear)
{
    struct srv s;
    struct net n;
    char err[300] = "";
    srv_start(&s, true);
    net_init(&n);
    n.tls_ctx = tls_ctx_new(NULL, err, sizeof(err));
    ck_assert_int_eq(net_start(&n, "127.0.0.1", s.port, 0, err, sizeof(err)), 0);
    ck_assert_int_eq(finish(&n, err, sizeof(err)), -3);
    ck_assert_int_eq(n.tls_fail, TLS_FAIL_NOT_TLS);
    ck_assert_msg(strstr(err, "clear text") != NULL, "err: %s", err);
    ck_assert_int_eq(n.fd, -1);
    ck_assert_ptr_null(n.ssl);
    srv_stop(&s);
    tls_ctx_free(n.tls_ctx);
}
END_TEST

START_TEST(test_tls_ca_unreadable)
{
    char err[300] = "";
    ck_assert_ptr_null(tls_ctx_new("/nonexistent/ca.pem", err, sizeof(err)));
    ck_assert_str_eq(err, "tls-ca /nonexistent/ca.pem: No such file or directory");
}
END_TEST

Suite *net_tls_suite(void)
{
    Suite *s = suite_create("net_tls");
    TCase *tc = tcase_create("net_tls-core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_tls_roundtrip);
    tcase_add_test(tc, test_tls_answered_in_clear);
    tcase_add_test(tc, test_tls_ca_unreadable);
    suite_add_tcase(s, tc);
    return s;
}

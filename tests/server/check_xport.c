/* server/xport.c: the transport seam over a socketpair, against an
 * in-process OpenSSL client driven step by step: what the first bytes
 * decide, the handshake's waits, reads past one record, the two ends of
 * a stream, and writes that must be repeated with the same bytes. */
#include "fixture.h"
#include "tls.h"
#include "tlscert.h"
#include "xport.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static char base[64];
static SSL_CTX *cctx;

struct xpair {
    struct client *c;
    int peer;
    SSL *cl; /* the client's end, once it speaks TLS */
};

static void xp_setup(void)
{
    fx_setup();
    snprintf(base, sizeof base, "/tmp/check_xport_%d_XXXXXX", (int)getpid());
    ck_assert_ptr_nonnull(mkdtemp(base));
    struct tls_identity id;
    char err[512];
    ck_assert_msg(tlscert_setup(NULL, NULL, base, &id, err, sizeof err) == 0, "%s", err);
    fx_srv.tls = tls_server_new(&id, err, sizeof err);
    ck_assert_msg(fx_srv.tls != NULL, "%s", err);
    cctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(cctx);
    SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
}

static void xp_teardown(void)
{
    SSL_CTX_free(cctx);
    fx_teardown();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    ck_assert_int_eq(system(cmd), 0);
}

static struct xpair xp_open(int sndbuf)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
    ck_assert_int_eq(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
    if (sndbuf > 0)
        ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf), 0);
    struct client *c = client_new(&fx_srv, sv[0], "unix:0");
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(registry_add(&fx_srv, c), 0);
    return (struct xpair){c, sv[1], NULL};
}

static void xp_close(struct xpair *p)
{
    if (p->cl != NULL)
        SSL_free(p->cl);
    close(p->peer);
    session_end(p->c);
    xport_close(p->c);
    client_free(p->c);
}

/* The client's handshake and the server's reads, in turns, until both
 * are done. Every server read before that is a wait (EAGAIN). */
static void xp_handshake(struct xpair *p, int max_version)
{
    p->cl = SSL_new(cctx);
    ck_assert_ptr_nonnull(p->cl);
    if (max_version != 0)
        ck_assert_int_eq(SSL_set_max_proto_version(p->cl, max_version), 1);
    ck_assert_int_eq(SSL_set_fd(p->cl, p->peer), 1);
    SSL_set_connect_state(p->cl);
    char buf[64];
    for (int i = 0; i < 50; i++) {
        int r = SSL_do_handshake(p->cl);
        if (r != 1) {
            int e = SSL_get_error(p->cl, r);
            ck_assert_msg(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE, "client: %d", e);
        }
        errno = 0;
        ssize_t n = xport_read(p->c, buf, sizeof buf);
        ck_assert_int_eq(n, -1);
        ck_assert_int_eq(errno, EAGAIN);
        if (r == 1 && p->c->xp.state != XP_TLS_HS)
            return;
    }
    ck_abort_msg("the handshake did not finish");
}

/* Client writes all of data (non-blocking; the server end takes it). */
static void cl_write(SSL *cl, const void *data, size_t len)
{
    size_t w = 0;
    ck_assert_int_eq(SSL_write_ex(cl, data, len, &w), 1);
    ck_assert_uint_eq(w, len);
}

START_TEST(test_clear_text)
{
    struct xpair p = xp_open(0);
    ck_assert_int_eq(p.c->xp.state, XP_UNDECIDED);
    pthread_mutex_lock(&p.c->lock);
    ck_assert(!xport_clear_locked(p.c)); /* no direct write before it is known */
    pthread_mutex_unlock(&p.c->lock);
    char buf[64];
    errno = 0;
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(p.c->xp.state, XP_UNDECIDED);
    ck_assert_int_eq(write(p.peer, "hello\n", 6), 6);
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 6);
    ck_assert_int_eq(memcmp(buf, "hello\n", 6), 0);
    ck_assert_int_eq(p.c->xp.state, XP_CLEAR);
    ck_assert_ptr_null(p.c->xp.ssl);
    pthread_mutex_lock(&p.c->lock);
    ck_assert(xport_clear_locked(p.c));
    pthread_mutex_unlock(&p.c->lock);
    ck_assert_int_eq(xport_events(p.c, true, true), POLLIN | POLLOUT);
    ck_assert_ptr_null(xport_version(p.c));
    /* A 0x16 later on is just a byte. */
    ck_assert_int_eq(write(p.peer, "\x16\x03", 2), 2);
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 2);
    ck_assert_int_eq(p.c->xp.state, XP_CLEAR);
    struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
    ck_assert_int_eq(xport_writev(p.c, iov, 2), 4);
    ck_assert_int_eq(read(p.peer, buf, sizeof buf), 4);
    ck_assert_uint_eq(atomic_load(&fx_srv.st.tls_now), 0);
    xp_close(&p);
}
END_TEST

START_TEST(test_no_tls_is_clear_from_the_start)
{
    tls_server_free(fx_srv.tls);
    fx_srv.tls = NULL;
    struct xpair p = xp_open(0);
    ck_assert_int_eq(p.c->xp.state, XP_CLEAR);
    ck_assert_int_eq(write(p.peer, "\x16\x03\x01", 3), 3);
    char buf[8];
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 3);
    xp_close(&p);
}
END_TEST

START_TEST(test_tls13_round_trip)
{
    struct xpair p = xp_open(0);
    xp_handshake(&p, 0);
    ck_assert_int_eq(p.c->xp.state, XP_TLS13);
    ck_assert_str_eq(xport_version(p.c), "TLSv1.3");
    ck_assert_uint_eq(atomic_load(&fx_srv.st.tls_now), 1);
    pthread_mutex_lock(&p.c->lock);
    ck_assert(!xport_clear_locked(p.c)); /* the SSL is its owner's alone */
    pthread_mutex_unlock(&p.c->lock);
    /* No ticket, nor anything else, was sent after the handshake. */
    char buf[256];
    size_t got = 0;
    ck_assert_int_eq(SSL_read_ex(p.cl, buf, sizeof buf, &got), 0);
    ck_assert_int_eq(SSL_get_error(p.cl, 0), SSL_ERROR_WANT_READ);
    ck_assert(!SSL_SESSION_has_ticket(SSL_get_session(p.cl)));

    cl_write(p.cl, "HELLO sockchat/2 ada\n", 21);
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 21);
    ck_assert_int_eq(memcmp(buf, "HELLO sockchat/2 ada\n", 21), 0);
    ck_assert(!xport_pending(p.c));
    ck_assert_int_eq(xport_events(p.c, true, false), POLLIN);
    ck_assert_int_eq(xport_events(p.c, false, true), POLLOUT);
    struct iovec iov[1] = {{"WELCOME ada\n", 12}};
    ck_assert_int_eq(xport_writev(p.c, iov, 1), 12);
    ck_assert_int_eq(SSL_read_ex(p.cl, buf, sizeof buf, &got), 1);
    ck_assert_uint_eq(got, 12);
    char line[256], want[256];
    tls_stats_line(&fx_srv, line, sizeof line);
    snprintf(want, sizeof want, "tls: on, SHA-256 %s, 1 TLS connection now",
             tls_server_fingerprint(fx_srv.tls));
    ck_assert_str_eq(line, want);
    xp_close(&p);
    ck_assert_uint_eq(atomic_load(&fx_srv.st.tls_now), 0);
    tls_stats_line(&fx_srv, line, sizeof line);
    ck_assert_ptr_nonnull(strstr(line, ", 0 TLS connections now"));
    fx_srv.cfg.tls_only = true;
    tls_stats_line(&fx_srv, line, sizeof line);
    ck_assert_msg(strncmp(line, "tls: only, SHA-256 ", 19) == 0, "%s", line);
}
END_TEST

START_TEST(test_tls12)
{
    struct xpair p = xp_open(0);
    xp_handshake(&p, TLS1_2_VERSION);
    ck_assert_str_eq(xport_version(p.c), "TLSv1.2");
    /* ECDHE with AEAD only. */
    const char *cipher = SSL_get_cipher_name(p.cl);
    ck_assert_msg(strstr(cipher, "ECDHE") == cipher &&
                      (strstr(cipher, "GCM") || strstr(cipher, "CHACHA")),
                  "%s", cipher);
    xp_close(&p);
}
END_TEST

START_TEST(test_tls11_refused)
{
    struct xpair p = xp_open(0);
    p.cl = SSL_new(cctx);
    SSL_set_min_proto_version(p.cl, TLS1_VERSION);
    SSL_set_max_proto_version(p.cl, TLS1_1_VERSION);
    SSL_set_security_level(p.cl, 0);
    SSL_set_fd(p.cl, p.peer);
    SSL_set_connect_state(p.cl);
    ck_assert_int_ne(SSL_do_handshake(p.cl), 1); /* its ClientHello goes */
    char buf[64];
    errno = 0;
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EPROTO);
    char reason[REASON_MAX];
    ck_assert_int_eq(client_close_state(p.c, reason, sizeof reason), CLOSE_NOW);
    ck_assert_msg(strncmp(reason, "tls: ", 5) == 0, "%s", reason);
    ERR_clear_error();
    xp_close(&p);
}
END_TEST

START_TEST(test_garbage_after_0x16_0x03)
{
    struct xpair p = xp_open(0);
    ck_assert_int_eq(write(p.peer, "\x16\x03\x01\x00\x05hello", 10), 10);
    char buf[64];
    errno = 0;
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EPROTO);
    char reason[REASON_MAX];
    ck_assert_int_eq(client_close_state(p.c, reason, sizeof reason), CLOSE_NOW);
    ck_assert_msg(strncmp(reason, "tls: ", 5) == 0, "%s", reason);
    xp_close(&p);
}
END_TEST

START_TEST(test_lone_0x16_times_out_as_clear)
{
    struct xpair p = xp_open(0);
    ck_assert_int_eq(write(p.peer, "\x16", 1), 1);
    char buf[64];
    errno = 0;
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(p.c->xp.state, XP_UNDECIDED);
    /* Readable, but not polled for: the clock looks again. */
    ck_assert_int_eq(xport_events(p.c, true, false), 0);
    int64_t now = fx_clock.mono_ms;
    int64_t next = xport_step(p.c, now);
    ck_assert(next > now && next <= now + GREET_WAIT_MS);
    fx_clock.mono_ms += GREET_WAIT_MS;
    ck_assert_int_eq(xport_step(p.c, fx_clock.mono_ms), 0);
    ck_assert_int_eq(p.c->xp.state, XP_CLEAR);
    ck_assert_int_eq(xport_events(p.c, true, false), POLLIN);
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 1);
    ck_assert_int_eq(buf[0], 0x16);
    xp_close(&p);
}
END_TEST

START_TEST(test_lone_0x16_then_0x03_is_tls)
{
    struct xpair p = xp_open(0);
    /* A ClientHello that arrives in two pieces, cut after its first byte. */
    SSL *cl = SSL_new(cctx);
    int mid[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, mid), 0);
    ck_assert_int_eq(fcntl(mid[0], F_SETFL, O_NONBLOCK), 0);
    SSL_set_fd(cl, mid[0]);
    SSL_set_connect_state(cl);
    ck_assert_int_ne(SSL_do_handshake(cl), 1);
    char hello[2048];
    ssize_t hn = read(mid[1], hello, sizeof hello);
    ck_assert(hn > 5);
    SSL_free(cl);
    close(mid[0]);
    close(mid[1]);

    ck_assert_int_eq(write(p.peer, hello, 1), 1);
    char buf[64];
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), -1);
    ck_assert_int_eq(xport_events(p.c, true, false), 0);
    ck_assert_int_eq(write(p.peer, hello + 1, (size_t)hn - 1), hn - 1);
    fx_clock.mono_ms += 10;
    ck_assert_int_eq(xport_step(p.c, fx_clock.mono_ms), 0); /* looked again: read it */
    ck_assert_int_eq(xport_events(p.c, true, false), POLLIN);
    errno = 0;
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EAGAIN); /* its ServerHello went */
    ck_assert_int_eq(p.c->xp.state, XP_TLS_HS);
    char answer[8];
    ck_assert_int_eq(read(p.peer, answer, 1), 1);
    ck_assert_int_eq(answer[0], 0x16);
    xp_close(&p);
}
END_TEST

/* A stalled handshake: half a ClientHello, then nothing. It is closed by
 * the clock 10 s after the connect, full server or not; one that finished
 * has no such deadline. */
START_TEST(test_stalled_handshake_closed_by_the_clock)
{
    struct xpair p = xp_open(0);
    ck_assert_int_eq(write(p.peer, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 11);
    char buf[64];
    errno = 0;
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), -1);
    ck_assert_int_eq(errno, EAGAIN);
    ck_assert_int_eq(p.c->xp.state, XP_TLS_HS);
    int64_t until = p.c->connected_ms + 10000;
    struct client_plan plan;
    fx_clock.mono_ms = until - 1;
    client_step(p.c, fx_clock.mono_ms, &plan);
    ck_assert(!plan.done);
    ck_assert_int_eq(plan.deadline_ms, until);
    fx_clock.mono_ms = until;
    client_step(p.c, fx_clock.mono_ms, &plan);
    ck_assert(plan.done);
    char reason[REASON_MAX];
    ck_assert_int_eq(client_close_state(p.c, reason, sizeof reason), CLOSE_NOW);
    ck_assert_str_eq(reason, "tls: handshake not finished in 10 s");
    xp_close(&p);

    struct xpair q = xp_open(0);
    xp_handshake(&q, 0);
    ck_assert_int_eq(xport_step(q.c, q.c->connected_ms + 60000), 0);
    xp_close(&q);
}
END_TEST

START_TEST(test_read_past_one_record_leaves_pending)
{
    struct xpair p = xp_open(0);
    xp_handshake(&p, 0);
    static char big[10000], got[10000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    cl_write(p.cl, big, sizeof big); /* one record */
    size_t off = 0;
    ck_assert_int_eq(xport_read(p.c, got, 4096), 4096);
    off += 4096;
    ck_assert(xport_pending(p.c)); /* no poll would say so */
    ck_assert_int_eq(xport_read(p.c, got + off, 4096), 4096);
    off += 4096;
    ck_assert(xport_pending(p.c));
    ck_assert_int_eq(xport_read(p.c, got + off, 4096), (ssize_t)(sizeof big - off));
    ck_assert(!xport_pending(p.c));
    ck_assert_int_eq(memcmp(big, got, sizeof big), 0);
    errno = 0;
    ck_assert_int_eq(xport_read(p.c, got, 4096), -1);
    ck_assert_int_eq(errno, EAGAIN);
    xp_close(&p);
}
END_TEST

START_TEST(test_close_notify_is_eof)
{
    struct xpair p = xp_open(0);
    xp_handshake(&p, 0);
    cl_write(p.cl, "bye\n", 4);
    ck_assert_int_eq(SSL_shutdown(p.cl), 0); /* close_notify sent */
    char buf[64];
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 4);
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 0);
    /* Ours goes back, then the FIN. */
    xport_shutdown_wr(p.c);
    ck_assert_int_eq(SSL_shutdown(p.cl), 1);
    xp_close(&p);
}
END_TEST

START_TEST(test_fin_without_close_notify_is_eof)
{
    struct xpair p = xp_open(0);
    xp_handshake(&p, 0);
    cl_write(p.cl, "x\n", 2);
    ck_assert_int_eq(shutdown(p.peer, SHUT_WR), 0);
    char buf[64];
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 2);
    ck_assert_int_eq(xport_read(p.c, buf, sizeof buf), 0);
    xp_close(&p);
}
END_TEST

START_TEST(test_writev_coalesces_into_one_record)
{
    struct xpair p = xp_open(0);
    xp_handshake(&p, 0);
    struct iovec iov[3] = {{"one\n", 4}, {"two\n", 4}, {"three\n", 6}};
    ck_assert_int_eq(xport_writev(p.c, iov, 3), 14);
    char buf[64];
    size_t got = 0;
    /* One record: one read gets all of it. */
    ck_assert_int_eq(SSL_read_ex(p.cl, buf, sizeof buf, &got), 1);
    ck_assert_uint_eq(got, 14);
    ck_assert_int_eq(memcmp(buf, "one\ntwo\nthree\n", 14), 0);
    xp_close(&p);
}
END_TEST

/* A stream of queued bytes, as outq would hold it: consumed only as
 * xport_writev says it wrote them. */
static char stream[256 * 1024];

START_TEST(test_want_write_retried_with_the_same_bytes)
{
    struct xpair p = xp_open(4096);
    xp_handshake(&p, 0);
    for (size_t i = 0; i < sizeof stream; i++)
        stream[i] = (char)(i * 7 + i / 251);
    size_t sent = 0, seen = 0;
    bool blocked = false;
    static char got[sizeof stream];
    for (int round = 0; round < 100000 && seen < sizeof stream; round++) {
        if (sent < sizeof stream) {
            /* Each time from a fresh copy, in pieces: the same bytes at
             * another address, as a queue's iovecs after a push. */
            size_t left = sizeof stream - sent, a = left < 1000 ? left : 1000;
            char *copy = malloc(left);
            ck_assert_ptr_nonnull(copy);
            memcpy(copy, stream + sent, left);
            struct iovec iov[2] = {{copy, a}, {copy + a, left - a}};
            errno = 0;
            ssize_t w = xport_writev(p.c, iov, left > a ? 2 : 1);
            free(copy);
            if (w > 0) {
                ck_assert(w <= XPORT_RECORD);
                sent += (size_t)w;
            } else {
                ck_assert_int_eq(w, -1);
                ck_assert_int_eq(errno, EAGAIN);
                ck_assert_int_eq(xport_events(p.c, false, true), POLLOUT);
                blocked = true;
            }
        }
        /* The peer reads only every other round: the server must wait. */
        if (round % 2 == 1 || sent == sizeof stream) {
            size_t n = 0;
            if (SSL_read_ex(p.cl, got + seen, sizeof got - seen, &n) == 1)
                seen += n;
        }
    }
    ck_assert(blocked);
    ck_assert_uint_eq(seen, sizeof stream);
    ck_assert_int_eq(memcmp(got, stream, sizeof stream), 0);
    xp_close(&p);
}
END_TEST

START_TEST(test_tls_only_refuses_silence_by_the_clock)
{
    fx_srv.cfg.tls_only = true;
    struct xpair p = xp_open(0);
    int64_t now = fx_clock.mono_ms;
    ck_assert_int_eq(xport_step(p.c, now), p.c->connected_ms + REFUSE_WAIT_MS);
    ck_assert_int_eq(p.c->refusal, REFUSE_NONE);
    fx_clock.mono_ms += REFUSE_WAIT_MS;
    struct client_plan plan;
    client_step(p.c, fx_clock.mono_ms, &plan); /* decided, refused, told */
    ck_assert_int_eq(p.c->xp.state, XP_CLEAR);
    ck_assert_int_eq(p.c->refusal, REFUSE_TLS_REQUIRED);
    ck_assert(p.c->refusal_told);
    ck_assert_int_eq(client_flush(p.c), FLUSH_DONE);
    char buf[256];
    ssize_t n = read(p.peer, buf, sizeof buf - 1);
    ck_assert(n > 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf,
                     "ERR " ERR_TLS_REQUIRED " this server takes TLS only: sockchat --tls HOST "
                     "PORT, or openssl s_client -quiet -connect HOST:PORT\n");
    xp_close(&p);
}
END_TEST

START_TEST(test_tls_only_refuses_clear_bytes_at_once)
{
    fx_srv.cfg.tls_only = true;
    struct xpair p = xp_open(0);
    ck_assert_int_eq(write(p.peer, "HELLO sockchat/2 bob\n", 21), 21);
    char buf[256];
    ssize_t n = xport_read(p.c, buf, sizeof buf);
    ck_assert_int_eq(n, 21);
    ck_assert_int_eq(p.c->refusal, REFUSE_TLS_REQUIRED);
    client_on_read(p.c, buf, n, 0);
    ck_assert(p.c->refusal_told);
    ck_assert_int_eq(client_flush(p.c), FLUSH_DONE);
    n = read(p.peer, buf, sizeof buf - 1);
    ck_assert(n > 0);
    buf[n] = '\0';
    ck_assert_msg(strncmp(buf, "ERR tls-required this server takes TLS only", 43) == 0, "%s", buf);
    xp_close(&p);
}
END_TEST

Suite *xport_suite(void)
{
    Suite *s = suite_create("xport");
    TCase *t = tcase_create("socketpair");
    tcase_add_checked_fixture(t, xp_setup, xp_teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, test_clear_text);
    tcase_add_test(t, test_no_tls_is_clear_from_the_start);
    tcase_add_test(t, test_tls13_round_trip);
    tcase_add_test(t, test_tls12);
    tcase_add_test(t, test_tls11_refused);
    tcase_add_test(t, test_garbage_after_0x16_0x03);
    tcase_add_test(t, test_lone_0x16_times_out_as_clear);
    tcase_add_test(t, test_lone_0x16_then_0x03_is_tls);
    tcase_add_test(t, test_stalled_handshake_closed_by_the_clock);
    tcase_add_test(t, test_read_past_one_record_leaves_pending);
    tcase_add_test(t, test_close_notify_is_eof);
    tcase_add_test(t, test_fin_without_close_notify_is_eof);
    tcase_add_test(t, test_writev_coalesces_into_one_record);
    tcase_add_test(t, test_want_write_retried_with_the_same_bytes);
    tcase_add_test(t, test_tls_only_refuses_silence_by_the_clock);
    tcase_add_test(t, test_tls_only_refuses_clear_bytes_at_once);
    suite_add_tcase(s, t);
    return s;
}

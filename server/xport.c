/* xport: clear text or TLS under one connection (see xport.h). The only
 * file that calls OpenSSL on a connection; tls.c owns the context. */
#include "xport.h"
#include "server.h"
#include "tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    TLS_RECORD_HANDSHAKE = 0x16, /* a ClientHello's record type */
    TLS_MAJOR = 0x03,            /* every SSL 3 / TLS 1.x record's version */
    /* A lone 0x16: looked at again this often while it waits. */
    XPORT_PEEK_MS = 50,
    /* A handshake not done by then is closed, full server or not: its SSL
     * object costs some 40 KiB, where a silent clear-text connection costs
     * under one (nginx and HAProxy bound theirs the same way). A real
     * client's takes a few round trips. */
    XPORT_HANDSHAKE_MS = 10000,
};

/* xport.flags */
enum {
    XF_WAIT16 = 1u << 0,  /* a lone 0x16 waits for its next byte */
    XF_HS_OUT = 1u << 1,  /* the handshake waits to write */
    XF_RD_OUT = 1u << 2,  /* a read waits to write */
    XF_WR_IN = 1u << 3,   /* a write waits to read */
    XF_SHUT = 1u << 4,    /* close_notify was tried */
    XF_COUNTED = 1u << 5, /* in srv->st.tls_now */
};

void xport_init(struct client *c)
{
    memset(&c->xp, 0, sizeof c->xp);
    c->xp.state = c->srv->tls == NULL ? XP_CLEAR : XP_UNDECIDED;
}

static void xport_set_state(struct client *c, enum xport_state s)
{
    pthread_mutex_lock(&c->lock); /* threads mode's direct writes read it */
    c->xp.state = (uint8_t)s;
    pthread_mutex_unlock(&c->lock);
}

/* Decided clear text. Under --tls-only that is a refusal (enum refusal),
 * told at once: in the dialect of what it sent, which is read next. */
static void xport_decide_clear(struct client *c, int64_t now_ms)
{
    c->xp.flags &= (uint8_t)~XF_WAIT16;
    xport_set_state(c, XP_CLEAR);
    if (c->srv->cfg.tls_only && c->refusal == REFUSE_NONE) {
        c->refusal = REFUSE_TLS_REQUIRED;
        c->refuse_deadline_ms = now_ms;
    }
}

/* A TLS failure: c closes, the reason saying what OpenSSL said. */
static void xport_fail(struct client *c, const char *what)
{
    char why[REASON_MAX - 8], reason[REASON_MAX];
    tls_last_reason(why, sizeof why);
    snprintf(reason, sizeof reason, "tls: %s", why[0] != '\0' ? why : what);
    client_request_close(c, CLOSE_NOW, reason, 0);
    errno = EPROTO;
}

static int xport_decide_tls(struct client *c)
{
    struct ssl_st *ssl = tls_server_ssl(c->srv->tls, c->fd);
    if (ssl == NULL) {
        client_request_close(c, CLOSE_NOW, "out of memory", 0);
        errno = ENOMEM;
        return -1;
    }
    c->xp.ssl = ssl;
    c->xp.flags &= (uint8_t)~XF_WAIT16;
    c->xp.flags |= XF_COUNTED;
    atomic_fetch_add_explicit(&c->srv->st.tls_now, 1, memory_order_relaxed);
    xport_set_state(c, XP_TLS_HS);
    return 0;
}

/* The first bytes, peeked. 0: decided (or nothing to decide on: read
 * says what happened); -1 with errno (EAGAIN: a lone 0x16 waits). */
static int xport_decide(struct client *c)
{
    unsigned char b[2];
    ssize_t n;
    do {
        n = recv(c->fd, b, sizeof b, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -1;
    int64_t now = server_now_ms(c->srv);
    if (n == 0 || b[0] != TLS_RECORD_HANDSHAKE) {
        xport_decide_clear(c, now);
        return 0;
    }
    if (n == 1) {
        if (!(c->xp.flags & XF_WAIT16)) {
            c->xp.flags |= XF_WAIT16;
            c->xp.wait_ms = (uint32_t)(now - c->connected_ms + GREET_WAIT_MS);
        }
        if (now < c->connected_ms + (int64_t)c->xp.wait_ms) {
            errno = EAGAIN;
            return -1;
        }
        xport_decide_clear(c, now); /* a raw 0x16 after all */
        return 0;
    }
    if (b[1] != TLS_MAJOR) {
        xport_decide_clear(c, now);
        return 0;
    }
    return xport_decide_tls(c);
}

/* The handshake, a step: 1 done, -1 with errno (EAGAIN: xport_events
 * says what it waits for). */
static int xport_handshake(struct client *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->xp.ssl);
    c->xp.flags &= (uint8_t)~XF_HS_OUT;
    if (r == 1) {
        int v = SSL_version(c->xp.ssl);
        xport_set_state(c, v == TLS1_3_VERSION ? XP_TLS13 : XP_TLS12);
        return 1;
    }
    switch (SSL_get_error(c->xp.ssl, r)) {
    case SSL_ERROR_WANT_WRITE:
        c->xp.flags |= XF_HS_OUT;
        /* fall through */
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        errno = ECONNRESET;
        return -1;
    case SSL_ERROR_SYSCALL:
        if (errno == 0) /* the peer left mid-handshake */
            errno = ECONNRESET;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            errno = ECONNRESET; /* not a wait OpenSSL asked for */
        ERR_clear_error();
        return -1;
    default:
        xport_fail(c, "handshake failed");
        return -1;
    }
}

static ssize_t xport_tls_read(struct client *c, void *buf, size_t cap)
{
    size_t got = 0;
    ERR_clear_error();
    int r = SSL_read_ex(c->xp.ssl, buf, cap, &got);
    c->xp.flags &= (uint8_t)~XF_RD_OUT;
    if (r == 1)
        return (ssize_t)got;
    switch (SSL_get_error(c->xp.ssl, r)) {
    case SSL_ERROR_WANT_WRITE:
        c->xp.flags |= XF_RD_OUT;
        /* fall through */
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: /* close_notify, or a FIN (IGNORE_UNEXPECTED_EOF) */
        return 0;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (errno == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
            errno = ECONNRESET;
        return -1;
    default:
        xport_fail(c, "bad record");
        return -1;
    }
}

ssize_t xport_read(struct client *c, void *buf, size_t cap)
{
    struct xport *x = &c->xp;
    if (x->state == XP_UNDECIDED && xport_decide(c) < 0)
        return -1;
    if (x->state == XP_CLEAR) {
        ssize_t n;
        do {
            n = read(c->fd, buf, cap);
        } while (n < 0 && errno == EINTR);
        return n;
    }
    if (x->state == XP_TLS_HS && xport_handshake(c) < 0)
        return -1;
    return xport_tls_read(c, buf, cap);
}

/* The first len bytes of iov, in one piece: iov[0] itself when it holds
 * them, else copied to *tmp (malloc'd; the caller frees). NULL when out
 * of memory. */
static const void *xport_gather(const struct iovec *iov, int n, size_t len, char **tmp)
{
    *tmp = NULL;
    if (iov[0].iov_len >= len)
        return iov[0].iov_base;
    char *b = malloc(len);
    if (b == NULL)
        return NULL;
    size_t off = 0;
    for (int i = 0; i < n && off < len; i++) {
        size_t k = iov[i].iov_len < len - off ? iov[i].iov_len : len - off;
        memcpy(b + off, iov[i].iov_base, k);
        off += k;
    }
    *tmp = b;
    return b;
}

static ssize_t xport_tls_write(struct client *c, const struct iovec *iov, int n)
{
    struct xport *x = &c->xp;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    /* A write that would have blocked is repeated with the same bytes:
     * OpenSSL has made its record already (they are still the queue's
     * head, which is consumed only once written). */
    size_t len = x->wretry != 0 ? x->wretry : total < XPORT_RECORD ? total : XPORT_RECORD;
    if (len == 0 || len > total) {
        errno = EINVAL;
        return -1;
    }
    char *tmp;
    const void *p = xport_gather(iov, n, len, &tmp);
    if (p == NULL) {
        errno = ENOMEM;
        return -1;
    }
    size_t w = 0;
    ERR_clear_error();
    int r = SSL_write_ex(x->ssl, p, len, &w);
    free(tmp);
    x->flags &= (uint8_t)~XF_WR_IN;
    if (r == 1) {
        x->wretry = 0;
        return (ssize_t)w;
    }
    switch (SSL_get_error(x->ssl, r)) {
    case SSL_ERROR_WANT_READ:
        x->flags |= XF_WR_IN;
        /* fall through */
    case SSL_ERROR_WANT_WRITE:
        x->wretry = (uint16_t)len;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_SYSCALL:
        ERR_clear_error();
        if (errno == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
            errno = EPIPE;
        return -1;
    default:
        xport_fail(c, "write failed");
        return -1;
    }
}

ssize_t xport_writev(struct client *c, const struct iovec *iov, int n)
{
    struct xport *x = &c->xp;
    if (x->state == XP_CLEAR || x->state == XP_UNDECIDED) {
        /* Undecided: a refusal told to one that sent nothing, as a line. */
        ssize_t w;
        do {
            w = writev(c->fd, iov, n);
        } while (w < 0 && errno == EINTR);
        return w;
    }
    if (x->state == XP_TLS_HS && xport_handshake(c) < 0)
        return -1;
    return xport_tls_write(c, iov, n);
}

bool xport_pending(const struct client *c)
{
    return c->xp.ssl != NULL && c->xp.state != XP_TLS_HS && SSL_pending(c->xp.ssl) > 0;
}

short xport_events(const struct client *c, bool rd, bool wr)
{
    const struct xport *x = &c->xp;
    short ev = 0;
    switch (x->state) {
    case XP_TLS_HS:
        if (rd || wr)
            ev = (x->flags & XF_HS_OUT) ? POLLOUT : POLLIN;
        return ev;
    case XP_TLS12:
    case XP_TLS13:
        if (rd)
            ev |= (x->flags & XF_RD_OUT) ? POLLOUT : POLLIN;
        if (wr)
            ev |= (x->flags & XF_WR_IN) ? POLLIN : POLLOUT;
        return ev;
    default:
        /* A lone 0x16 keeps the socket readable: looked at by the clock. */
        if (rd && !(x->flags & XF_WAIT16))
            ev |= POLLIN;
        if (wr)
            ev |= POLLOUT;
        return ev;
    }
}

bool xport_read_on_out(const struct client *c)
{
    const struct xport *x = &c->xp;
    return (x->state == XP_TLS_HS && (x->flags & XF_HS_OUT)) ||
           ((x->state == XP_TLS12 || x->state == XP_TLS13) && (x->flags & XF_RD_OUT));
}

int64_t xport_step(struct client *c, int64_t now_ms)
{
    struct xport *x = &c->xp;
    if (x->state == XP_TLS_HS) {
        int64_t until = c->connected_ms + XPORT_HANDSHAKE_MS;
        if (now_ms < until)
            return until;
        char why[64];
        snprintf(why, sizeof why, "tls: handshake not finished in %d s", XPORT_HANDSHAKE_MS / 1000);
        client_request_close(c, CLOSE_NOW, why, 0);
        return 0;
    }
    if (x->state != XP_UNDECIDED)
        return 0;
    if (x->flags & XF_WAIT16) {
        int64_t until = c->connected_ms + (int64_t)x->wait_ms;
        unsigned char b[2];
        ssize_t n = recv(c->fd, b, sizeof b, MSG_PEEK | MSG_DONTWAIT);
        /* Its next byte came, or its time is up: readable again, and
         * decided by that read. */
        if (n != 1 || now_ms >= until) {
            if (n == 1)
                xport_decide_clear(c, now_ms);
            else
                x->flags &= (uint8_t)~XF_WAIT16;
            return 0;
        }
        int64_t next = now_ms + XPORT_PEEK_MS;
        return next < until ? next : until;
    }
    if (c->srv->cfg.tls_only && c->refusal == REFUSE_NONE) {
        /* A person at nc or telnet who has not typed yet: told in clear. */
        int64_t until = c->connected_ms + REFUSE_WAIT_MS;
        if (now_ms < until)
            return until;
        xport_decide_clear(c, now_ms);
    }
    return 0;
}

void xport_shutdown_wr(struct client *c)
{
    struct xport *x = &c->xp;
    if ((x->state == XP_TLS12 || x->state == XP_TLS13) && !(x->flags & XF_SHUT)) {
        x->flags |= XF_SHUT;
        ERR_clear_error();
        (void)SSL_shutdown(x->ssl); /* best effort: the FIN follows anyway */
        ERR_clear_error();
    }
    shutdown(c->fd, SHUT_WR);
}

void xport_release(struct client *c)
{
    struct xport *x = &c->xp;
    if (x->flags & XF_COUNTED) {
        x->flags &= (uint8_t)~XF_COUNTED;
        atomic_fetch_sub_explicit(&c->srv->st.tls_now, 1, memory_order_relaxed);
    }
    if (x->ssl != NULL) {
        SSL_free(x->ssl);
        x->ssl = NULL;
    }
}

void xport_close(struct client *c)
{
    xport_release(c);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

bool xport_clear_locked(const struct client *c)
{
    return c->xp.state == XP_CLEAR;
}

const char *xport_version(const struct client *c)
{
    switch (c->xp.state) {
    case XP_TLS12:
        return "TLSv1.2";
    case XP_TLS13:
        return "TLSv1.3";
    default:
        return NULL;
    }
}

/* Fuzzes the transport seam (server/xport.c) where it meets the network:
 * the first bytes that decide clear text or TLS (0x16 0x03 peeked, a lone
 * 0x16 waiting for its next byte), and OpenSSL's handshake fed whatever the
 * fuzzer writes, through a real socketpair and a fake clock.
 *
 * The input's first byte picks the server: bit 0 --tls-only, bit 1
 * --no-tls. Then each step is an op byte:
 *   low bit 0  write: the next byte is a length, then that many bytes go
 *              into the peer's end; the server reads until it would block
 *   01         the clock moves (op >> 2) x 64 ms, then xport_step
 *   11         the peer shuts down its writing side; the server reads
 * Whatever the server writes back (a ServerHello, an alert, the
 * tls-required line) is drained and dropped.
 *
 * Checked: a read never returns more than asked; once the connection is
 * clear text, the plaintext read is exactly the bytes written (detection
 * peeks, it never eats or invents a byte); after a TLS failure or EOF,
 * nothing more is read. Nothing may leak or crash. The identity (an ECDSA
 * key, slow to make) is made once per process in a temp dir, removed at
 * exit. */
#define _GNU_SOURCE
#include "fuzz.h"

#include "serve.h"
#include "server.h"
#include "session.h"
#include "tls.h"
#include "tlscert.h"
#include "xport.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CLEAR_MAX = 1 << 16 };

struct fuzz {
    struct server srv;
    int64_t mono_ms;
    struct client *c;
    int peer;
    unsigned char written[CLEAR_MAX]; /* every byte written, in order */
    size_t nwritten;
    size_t nread; /* of plaintext, clear text only */
    bool over;    /* EOF or a lost connection seen */
};

static int64_t fake_mono(void *arg)
{
    return ((struct fuzz *)arg)->mono_ms;
}

static int64_t fake_wall(void *arg)
{
    return 1700000000 + (((struct fuzz *)arg)->mono_ms - 1000000) / 1000;
}

static void fake_notify(struct client *c)
{
    (void)c;
}

static char dir[64];

static void remove_identity(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/tls-cert.pem", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/tls-key.pem", dir);
    unlink(path);
    rmdir(dir);
}

/* The identity, made once: every input's server shares it. */
static const struct tls_identity *identity(void)
{
    static struct tls_identity id;
    static bool made;
    if (!made) {
        char err[512];
        snprintf(dir, sizeof dir, "/tmp/fuzz_xport_%d_XXXXXX", (int)getpid());
        REQUIRE(mkdtemp(dir) != NULL);
        atexit(remove_identity);
        /* As sockchat-server's main: a write to a closed peer is an error
         * (EPIPE) to handle, not a signal. */
        signal(SIGPIPE, SIG_IGN);
        if (tlscert_setup(NULL, NULL, dir, &id, err, sizeof err) != 0) {
            fprintf(stderr, "fuzz_xport: %s\n", err);
            abort();
        }
        made = true;
    }
    return &id;
}

static void drain_peer(struct fuzz *f)
{
    char junk[4096];
    while (read(f->peer, junk, sizeof junk) > 0) {
    }
}

/* Reads as the drivers do, until the transport would block or is over. */
static void server_reads(struct fuzz *f)
{
    static unsigned char buf[READ_CHUNK];
    for (int guard = 0; guard < 64 && !f->over; guard++) {
        errno = 0;
        ssize_t n = xport_read(f->c, buf, sizeof buf);
        drain_peer(f);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                f->over = true;
            return;
        }
        if (n == 0) {
            f->over = true;
            return;
        }
        REQUIRE((size_t)n <= sizeof buf);
        if (f->c->xp.state == XP_CLEAR) {
            REQUIRE(f->nread + (size_t)n <= f->nwritten);
            REQUIRE(memcmp(buf, f->written + f->nread, (size_t)n) == 0);
            f->nread += (size_t)n;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz f;
    if (size < 1)
        return 0;
    const struct tls_identity *id = identity();
    struct config cfg;
    config_defaults(&cfg);
    cfg.bind = "127.0.0.1";
    cfg.port = "0";
    cfg.quiet = true;
    cfg.tls_only = (data[0] & 1) && !(data[0] & 2);
    memset(&f, 0, sizeof f);
    f.mono_ms = 1000000;
    server_init(&f.srv, &cfg);
    f.srv.mono_ms = fake_mono;
    f.srv.wall = fake_wall;
    f.srv.clock_arg = &f;
    f.srv.started_ms = f.mono_ms;
    f.srv.notify = fake_notify;
    f.srv.log = NULL;
    if (!(data[0] & 2)) {
        char err[512];
        f.srv.tls = tls_server_new(id, err, sizeof err);
        REQUIRE(f.srv.tls != NULL);
    }

    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    REQUIRE(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
    REQUIRE(fcntl(sv[1], F_SETFL, O_NONBLOCK) == 0);
    f.peer = sv[1];
    f.c = client_new(&f.srv, sv[0], "unix:0");
    REQUIRE(f.c != NULL);
    REQUIRE(registry_add(&f.srv, f.c) == 0);

    size_t p = 1;
    while (p < size && !f.over) {
        uint8_t op = data[p++];
        if ((op & 1) == 0) {
            size_t len = p < size ? data[p++] : 0;
            if (len > size - p)
                len = size - p;
            if (f.nwritten + len > CLEAR_MAX)
                break;
            ssize_t w = write(f.peer, data + p, len);
            if (w > 0) {
                memcpy(f.written + f.nwritten, data + p, (size_t)w);
                f.nwritten += (size_t)w;
            }
            p += len;
        } else if ((op & 3) == 1) {
            f.mono_ms += 64 * (int64_t)(op >> 2);
            xport_step(f.c, f.mono_ms);
            drain_peer(&f);
        } else {
            shutdown(f.peer, SHUT_WR);
        }
        server_reads(&f);
    }

    session_end(f.c);
    xport_close(f.c);
    client_free(f.c);
    close(f.peer);
    server_free(&f.srv);
    return 0;
}

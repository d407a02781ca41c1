/* Fuzzes the server's per-connection core (server/session.c and what it
 * calls: commands, registry, access, the raw/plain/framed encoders) the way
 * the drivers use it, with no sockets and a fake clock.
 *
 * The input is a script for up to four connections. Its first byte picks
 * the server's configuration (password, rate limit, history size); then
 * each step is an op byte, LOW 2 bits = which connection, the rest = what:
 *   feed LEN BYTES   bytes "read" from that connection, split where the
 *                    fuzzer chose, so every dialect and every /command is
 *                    reachable (the connection is created on first use)
 *   eof              the peer shut down its side (read() returned 0)
 *   plan             the driver's step: flush, handle input left waiting
 *                    while the queue was full (session_resume), and end the
 *                    connection when client_step() says it is done
 *   end              the connection is lost (RST)
 *   tick N           the fake clock moves N x 16 ms (rate limits, idle)
 *   console LEN TEXT a line typed at the operator console or sent by an
 *                    admin (kick, ban, mute, unban, unmute, bans, say,
 *                    trace; quit: then the server shuts down), through
 *                    control.c, the one implementation both seats use
 *
 * Checked after every step, on everything queued for every connection:
 * no C0 control but LF reaches any client (so no text can forge a line or
 * drive a terminal), a raw-dialect reply is at most 1024 bytes, and all of
 * it is valid UTF-8; every line of an operator command's answer is clean
 * text (it becomes an admin socket's OUT, OK or ERR line) and the answer
 * ends in exactly one DONE or FAIL unless it is a listing. Nothing may
 * leak (LeakSanitizer) or crash. */
#include "fuzz.h"

#include "control.h"
#include "serve.h"
#include "server.h"
#include "session.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

enum { SLOTS = 4, RAW_WIRE_MAX = 1024 };

struct fuzz {
    struct server srv;
    int64_t mono_ms, wall;
    struct client *slot[SLOTS];
};

/* An operator command's answer, as a seat sees it. */
struct answer {
    unsigned lines, ends;
};

static void answer_line(void *arg, enum control_line kind, const char *text)
{
    struct answer *an = arg;
    size_t n = strlen(text);
    REQUIRE(utf8_valid_prefix(text, n) == n);
    for (size_t k = 0; k < n; k++)
        REQUIRE((unsigned char)text[k] >= 0x20 && text[k] != 0x7f);
    REQUIRE(an->ends == 0); /* nothing after the DONE or FAIL */
    an->lines++;
    if (kind != CONTROL_TEXT)
        an->ends++;
}

static int64_t fake_mono(void *arg)
{
    return ((struct fuzz *)arg)->mono_ms;
}

static int64_t fake_wall(void *arg)
{
    return ((struct fuzz *)arg)->wall;
}

static void fake_notify(struct client *c)
{
    (void)c; /* the fuzzer drains every queue after every step */
}

/* Reads back and checks everything queued for c, as a driver would write it. */
static void drain(struct client *c)
{
    static char out[OUTQ_MAX_BYTES + 1];

    pthread_mutex_lock(&c->lock);
    size_t len = outq_take(&c->q, out, sizeof out);
    enum dialect d = c->dialect;
    pthread_mutex_unlock(&c->lock);
    REQUIRE(len < sizeof out);
    if (d == DIALECT_PLAIN) {
        /* The one non-text a plain connection gets: answers to telnet's
         * requests, IAC WILL/WONT/DONT OPTION (proto/telnet.c). */
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
            if ((unsigned char)out[i] == TELNET_IAC) {
                REQUIRE(i + 2 < len);
                unsigned char v = (unsigned char)out[i + 1];
                REQUIRE(v == TELNET_WILL || v == TELNET_WONT || v == TELNET_DONT);
                i += 2;
                continue;
            }
            out[n++] = out[i];
        }
        len = n;
    }
    if (len == 0)
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)out[i];
        REQUIRE(b == '\n' || (b >= 0x20 && b != 0x7f));
    }
    REQUIRE(utf8_valid_prefix(out, len) == len);
    if (d == DIALECT_RAW)
        REQUIRE(len <= RAW_WIRE_MAX); /* one reply per step at most */
    else
        REQUIRE(out[len - 1] == '\n'); /* whole lines only */
}

static void drain_all(struct fuzz *f)
{
    for (int i = 0; i < SLOTS; i++)
        if (f->slot[i])
            drain(f->slot[i]);
}

static void end_slot(struct fuzz *f, int i)
{
    struct client *c = f->slot[i];
    session_end(c);
    client_free(c);
    f->slot[i] = NULL;
}

static struct client *get_slot(struct fuzz *f, int i)
{
    static const char *const addrs[SLOTS] = {"127.0.0.1:1000", "127.0.0.1:1001", "[::1]:1002",
                                             "10.0.0.7:1003"};
    if (f->slot[i] == NULL) {
        /* As the drivers admit it: refused ones (banned, full) are served
         * until they are told so; NULL: told at once (no fd here). */
        struct client *c = admit_connection(&f->srv, -1, addrs[i]);
        if (c == NULL)
            return NULL;
        f->slot[i] = c;
    }
    return f->slot[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fuzz f;
    if (size < 1)
        return 0;
    uint8_t conf = data[0];
    struct config cfg = {
        .bind = "127.0.0.1",
        .port = "0",
        .mode = (enum mode)((conf >> 5) % 3),
        .max_clients = (conf & 0x80) ? 3 : 8, /* 3: the fourth is refused */
        /* Two of the slots are 127.0.0.1: at the limit, and a slot ended
         * and taken again soon meets the rate of new connections. */
        .max_per_addr = 2,
        .name = "fuzzsrv",
        .history = (conf >> 2) & 7,
        .rate = (conf & 2) ? RATE_DEFAULT : 0,
        .quiet = true,
        .password = (conf & 1) ? "sesame" : NULL,
    };
    memset(&f, 0, sizeof f);
    server_init(&f.srv, &cfg);
    f.mono_ms = 1000000;
    f.wall = 1700000000;
    f.srv.mono_ms = fake_mono;
    f.srv.wall = fake_wall;
    f.srv.clock_arg = &f;
    f.srv.started_ms = f.mono_ms;
    f.srv.notify = fake_notify;
    f.srv.log = NULL;

    size_t p = 1;
    while (p < size) {
        uint8_t op = data[p++];
        int i = op & 3;
        switch ((op >> 2) % 8) {
        case 0:
        case 1:
        case 2: { /* feed: the most common step */
            size_t len = p < size ? data[p++] : 0;
            if (len > size - p)
                len = size - p;
            struct client *c = get_slot(&f, i);
            if (c && len > 0)
                client_on_read(c, (const char *)data + p, (ssize_t)len, 0);
            p += len;
            break;
        }
        case 3:
            if (f.slot[i])
                client_on_read(f.slot[i], NULL, 0, 0);
            break;
        case 4:
            if (f.slot[i]) {
                struct client_plan plan;
                drain(f.slot[i]);
                session_resume(f.slot[i]);
                drain(f.slot[i]);
                client_step(f.slot[i], f.mono_ms, &plan);
                if (plan.done)
                    end_slot(&f, i);
            }
            break;
        case 5:
            if (f.slot[i])
                end_slot(&f, i);
            break;
        case 6:
            f.mono_ms += 16 * (int64_t)(p < size ? data[p++] : 1);
            f.wall = 1700000000 + (f.mono_ms - 1000000) / 1000;
            break;
        case 7: {
            size_t len = p < size ? data[p++] : 0;
            if (len > size - p)
                len = size - p;
            char line[256];
            memcpy(line, data + p, len);
            line[len] = '\0';
            p += len;
            /* The console reads a line: no LF inside, as linebuf gives it. */
            sanitize_line(line, len);
            struct answer an = {0, 0};
            struct control_seat seat = {.line = answer_line, .arg = &an, .who = "fuzz"};
            enum control_result r = control_run(&f.srv, line, &seat);
            REQUIRE(r != CONTROL_ERR || an.ends == 1);
            if (r == CONTROL_QUIT)
                registry_shutdown(&f.srv, "the server is stopping");
            break;
        }
        }
        drain_all(&f);
    }
    for (int i = 0; i < SLOTS; i++)
        if (f.slot[i])
            end_slot(&f, i);
    server_free(&f.srv);
    return 0;
}

/* busy: other rooms kept busy while fanout measures one.
 *
 * A class split into breakout rooms: the measured room (everyone fanout
 * opened, in #main) and --busy-rooms rooms #busy1..#busyK of --busy-size
 * people each, in which the first person says --busy-rate messages a
 * second. What it checks is what rooms promise: a busy room's messages
 * reach each of its members once and in order, and nobody else (a
 * measured receiver that gets one, or a busy member that gets another
 * room's or the measured room's, is an error). What it measures is
 * whether the measured fan-out slows down for the company. */
#include "bench.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct busy {
    size_t base;       /* conns[base..nconns) are the busy rooms' people */
    unsigned rooms;    /* K */
    uint64_t *sent;    /* per room (1..K): messages its talker sent */
    uint64_t start_ns; /* when talking began */
    uint64_t joined;   /* connections whose /join was answered */
    uint64_t deliveries;
};

static bool is_talker(const struct bench *b, const struct busy *bz, const struct conn *c)
{
    return (c->index - bz->base) % b->opt->busy_size == 0;
}

static bool all_joined(const struct bench *b)
{
    const struct busy *bz = b->busy;
    return bz->joined + b->closed >= b->nconns - bz->base;
}

struct busy *busy_start(struct bench *b, size_t base, uint64_t deadline_ns)
{
    const struct bench_options *o = b->opt;
    if (o->busy_rooms == 0)
        return NULL;
    struct busy *bz = calloc(1, sizeof *bz);
    uint64_t *sent = calloc(o->busy_rooms + 1, sizeof *sent);
    if (bz == NULL || sent == NULL) {
        free(bz);
        free(sent);
        bench_error(b, "busy rooms: out of memory");
        return NULL;
    }
    bz->base = base;
    bz->rooms = o->busy_rooms;
    bz->sent = sent;
    b->busy = bz;
    for (size_t i = base; i < b->nconns; i++)
        b->conns[i].room = (unsigned)((i - base) / o->busy_size) + 1;
    unsigned ready = loop_open_paced(b, base, b->nconns, o->window, deadline_ns);
    if (ready < b->nconns - base)
        bench_error(b, "busy rooms: %u of %zu people connected", ready, b->nconns - base);
    for (size_t i = base; i < b->nconns; i++) {
        struct conn *c = &b->conns[i];
        char buf[64];
        size_t n = dialect_join(o->dialect, 1, c->room, buf, sizeof buf);
        if (c->state == CONN_READY && n > 0)
            conn_send(b, c, buf, n);
    }
    if (!loop_until(b, deadline_ns, all_joined))
        bench_error(b,
                    "busy rooms: %" PRIu64 " of %zu people got into their room (does the "
                    "server have rooms?)",
                    bz->joined, b->nconns - base);
    bz->start_ns = clock_ns();
    return bz;
}

void busy_tick(struct bench *b, struct busy *bz)
{
    if (bz == NULL)
        return;
    const struct bench_options *o = b->opt;
    double elapsed = (double)(clock_ns() - bz->start_ns) / 1e9;
    uint64_t due = (uint64_t)(elapsed * o->busy_rate);
    for (unsigned k = 1; k <= bz->rooms; k++) {
        struct conn *t = &b->conns[bz->base + (size_t)(k - 1) * o->busy_size];
        /* At most a few per tick: a stall is not made up for in a burst
         * that the server's queues would have to absorb at once. */
        for (int burst = 0; bz->sent[k] < due && burst < 4 && t->state == CONN_READY; burst++) {
            char buf[128];
            uint64_t seq = bz->sent[k]++;
            size_t n = dialect_busy_chat(o->dialect, seq + 2, b->run_id, k, seq, buf, sizeof buf);
            if (n == 0 || conn_send(b, t, buf, n) < 0)
                return;
        }
    }
}

bool busy_line(struct bench *b, struct busy *bz, struct conn *c, char *line, size_t len)
{
    unsigned room;
    uint64_t seq;
    if (c->room == 0) {
        /* The measured room's receivers and sender: nothing of ours may reach them. */
        if (bz && dialect_busy_delivery(b->opt->dialect, line, len, b->run_id, &room, &seq)) {
            bench_error(b, "connection %u in the measured room got #busy%u's message %" PRIu64,
                        c->index, room, seq);
            return true;
        }
        return false;
    }
    if (!c->joined) {
        if (dialect_joined(b->opt->dialect, line, len, c->room)) {
            c->joined = true;
            bz->joined++;
        }
        return true; /* what comes before it (the old room's history...) is not ours */
    }
    if (is_talker(b, bz, c)) {
        if (strncmp(line, "ERR ", 4) == 0 || strncmp(line, "error: ", 7) == 0)
            bench_error(b, "#busy%u's talker was refused: %s", c->room, line);
        return true;
    }
    if (!dialect_busy_delivery(b->opt->dialect, line, len, b->run_id, &room, &seq)) {
        /* Last: dialect_delivery cuts the line as it parses it. */
        if (dialect_delivery(b->opt->dialect, line, len, b->run_id, &seq))
            bench_error(b, "connection %u in #busy%u got the measured room's message %" PRIu64,
                        c->index, c->room, seq);
        return true;
    }
    if (room != c->room) {
        bench_error(b, "connection %u in #busy%u got #busy%u's message %" PRIu64, c->index, c->room,
                    room, seq);
    } else if (seq != c->expect) {
        bench_error(b,
                    "connection %u in #busy%u: got message %" PRIu64 ", expected %" PRIu64 " (%s)",
                    c->index, c->room, seq, c->expect, seq < c->expect ? "duplicate" : "gap");
    } else {
        c->expect++;
        bz->deliveries++;
    }
    return true;
}

void busy_finish(struct bench *b, struct busy *bz, struct report *r)
{
    if (bz == NULL)
        return;
    const struct bench_options *o = b->opt;
    uint64_t said = 0, complete = 0, receivers = 0;
    for (unsigned k = 1; k <= bz->rooms; k++)
        said += bz->sent[k];
    for (size_t i = bz->base; i < b->nconns; i++) {
        const struct conn *c = &b->conns[i];
        if (is_talker(b, bz, c))
            continue;
        receivers++;
        if (c->state == CONN_READY && c->expect == bz->sent[c->room])
            complete++;
    }
    if (complete != receivers)
        bench_error(b,
                    "busy rooms: %" PRIu64 " of %" PRIu64 " members got all of their room's "
                    "messages",
                    complete, receivers);
    report_add(r, "busy_rooms", "busy rooms (besides the measured one)", "%u", bz->rooms);
    report_add(r, "busy_size", "people in each busy room", "%u", o->busy_size);
    report_add(r, "busy_said", "messages said in busy rooms", "%" PRIu64, said);
    report_add(r, "busy_deliveries", "deliveries in busy rooms", "%" PRIu64, bz->deliveries);
    report_add(r, "busy_complete", "busy rooms: all delivered, once, in order, nowhere else", "%s",
               complete == receivers && b->errors == 0 ? "yes" : "no");
    b->busy = NULL;
    free(bz->sent);
    free(bz);
}

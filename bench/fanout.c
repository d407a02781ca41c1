/* fanout: N receivers and one sender, in lock step.
 *
 * The sender sends message k+1 only when the last receiver has message k,
 * so each message's latency is the time to reach everyone, and
 * deliveries/s = messages/s x N. Every receiver must see every message of
 * this run exactly once and in order: a sequence number below the expected
 * one is a duplicate, above it a gap, and either is an error. */
#include "bench.h"

#include <inttypes.h>
#include <string.h>

#include "msg.h"

struct fanout {
    bool measuring;
    uint64_t seq;      /* the message in flight */
    uint64_t sent_ns;  /* when it went out; 0 = none in flight */
    unsigned pending;  /* receivers still waiting for it */
    uint64_t messages; /* measured messages (all receivers had them) */
    uint64_t deliveries;
    uint64_t sent; /* messages sent in total, warm-up included */
    struct samples lat;
    struct conn *sender;
};

static int fanout_send(struct bench *b)
{
    struct fanout *st = b->work_state;
    char buf[LINE_MAX_BYTES + 128];
    size_t n = dialect_chat(b->opt->dialect, st->sent + 1, b->run_id, st->sent, b->opt->size, buf,
                            sizeof buf);
    if (n == 0) {
        bench_error(b, "dialect %s cannot send chat", dialect_name(b->opt->dialect));
        return -1;
    }
    st->seq = st->sent++;
    st->pending = b->opt->conns;
    st->sent_ns = clock_ns();
    return conn_send(b, st->sender, buf, n);
}

static void fanout_line(struct bench *b, struct conn *c, char *line, size_t len)
{
    struct fanout *st = b->work_state;
    if (busy_line(b, b->busy, c, line, len))
        return;
    if (c->is_sender) {
        /* Our server refuses with ERR (e.g. slow-down when --rate is on):
         * say so instead of waiting for a message that never comes. */
        struct msg m;
        if (b->opt->dialect == BENCH_FRAMED && msg_parse(&m, line) == 0 && m.type == MSG_ERR)
            bench_error(b, "sender got ERR %s %s", m.word, m.text ? m.text : "");
        return;
    }
    uint64_t seq;
    if (!dialect_delivery(b->opt->dialect, line, len, b->run_id, &seq))
        return;
    if (seq != c->expect) {
        bench_error(b, "receiver %u: got message %" PRIu64 ", expected %" PRIu64 " (%s)", c->index,
                    seq, c->expect, seq < c->expect ? "duplicate" : "gap");
        return;
    }
    c->expect++;
    c->got++;
    if (seq != st->seq || st->sent_ns == 0)
        return;
    uint64_t now = clock_ns();
    if (st->measuring) {
        samples_add(&st->lat, now - st->sent_ns);
        st->deliveries++;
    }
    if (--st->pending == 0) {
        if (st->measuring)
            st->messages++;
        st->sent_ns = 0;
    }
}

static bool all_ready(const struct bench *b)
{
    return b->ready + b->closed == b->nconns && b->connecting + b->handshaking == 0;
}

static bool delivered(const struct bench *b)
{
    const struct fanout *st = b->work_state;
    return st->sent_ns == 0 || b->errors > 0;
}

/* Runs lock-step rounds until the deadline or the message limit. */
static void fanout_rounds(struct bench *b, uint64_t until_ns, uint64_t max_sent)
{
    struct fanout *st = b->work_state;
    const struct bench_options *o = b->opt;
    while (clock_ns() < until_ns && b->errors == 0 && (max_sent == 0 || st->sent < max_sent)) {
        if (st->sender->state != CONN_READY) {
            bench_error(b, "sender lost");
            return;
        }
        busy_tick(b, b->busy);
        if (fanout_send(b) < 0)
            return;
        uint64_t limit = clock_ns() + (uint64_t)(o->timeout * 1e9);
        if (!loop_until(b, limit, delivered)) {
            bench_error(b, "message %" PRIu64 " reached %u of %zu receivers in %.1f s", st->seq,
                        o->conns - st->pending, (size_t)o->conns, o->timeout);
            return;
        }
    }
}

static bool never(const struct bench *b)
{
    (void)b;
    return false;
}

int work_fanout(struct bench *b)
{
    const struct bench_options *o = b->opt;
    struct fanout st = {0};
    /* cppcheck-suppress autoVariables ; cleared before this function returns */
    b->work_state = &st;
    b->on_line = fanout_line;
    size_t n = o->conns; /* receivers; then the sender, then the busy rooms' people */
    for (size_t i = 0; i < n; i++)
        b->conns[i].subscriber = true;
    st.sender = &b->conns[n];
    st.sender->is_sender = true;

    uint64_t deadline = clock_ns() + (uint64_t)(o->timeout * 1e9);
    unsigned ready = loop_open_paced(b, 0, n, o->window, deadline);
    loop_open_paced(b, n, n + 1, 1, deadline);
    struct busy *bz = busy_start(b, n + 1, deadline);
    loop_until(b, deadline, all_ready);
    if (ready < n || st.sender->state != CONN_READY) {
        bench_error(b, "only %u of %zu receivers and %s sender ready", ready, n,
                    st.sender->state == CONN_READY ? "the" : "no");
    }

    uint64_t t0 = clock_ns();
    if (b->errors == 0)
        fanout_rounds(b, t0 + (uint64_t)(o->warmup * 1e9), 0);
    st.measuring = true;
    uint64_t t1 = clock_ns();
    if (b->errors == 0)
        fanout_rounds(b, t1 + (uint64_t)(o->duration * 1e9), o->messages);
    uint64_t t2 = clock_ns();
    st.measuring = false;
    /* A short grace period catches duplicates that arrive late. */
    loop_until(b, clock_ns() + 100000000u, never);
    uint64_t complete = 0;
    for (size_t i = 0; i < n; i++) {
        if (b->conns[i].expect == st.sent && b->conns[i].state == CONN_READY)
            complete++;
    }
    if (b->errors == 0 && complete != n)
        bench_error(b, "%" PRIu64 " of %zu receivers got all %" PRIu64 " messages", complete, n,
                    st.sent);

    double secs = (double)(t2 - t1) / 1e9;
    struct report r = {0};
    report_add(&r, "receivers", "receivers", "%zu", n);
    report_add(&r, "ready", "receivers ready", "%u", ready);
    report_add(&r, "seconds", "measured seconds", "%.2f", secs);
    report_add(&r, "messages", "messages (to all receivers)", "%" PRIu64, st.messages);
    report_add(&r, "mps", "messages/s", "%.0f", secs > 0 ? (double)st.messages / secs : 0.0);
    report_add(&r, "sent", "messages sent, warm-up included", "%" PRIu64, st.sent);
    report_add(&r, "deliveries", "deliveries", "%" PRIu64, st.deliveries);
    report_add(&r, "dps", "deliveries/s", "%.0f", secs > 0 ? (double)st.deliveries / secs : 0.0);
    report_latency(&r, &st.lat, "delivery");
    busy_finish(b, bz, &r);
    report_add(&r, "in_order", "every receiver got all, once, in order", "%s",
               b->errors == 0 && complete == n ? "yes" : "no");
    int rc = report_print(b, &r, "fanout");
    samples_free(&st.lat);
    if (rc == 0 && st.messages == 0)
        rc = 2;
    b->work_state = NULL; /* it lives on this stack frame */
    return rc;
}

/* rr: request/reply. C connections, each a closed loop of ping -> pong:
 * a connection sends its next request only when the last one was answered,
 * so replies/s is what the server sustains with C requests in flight, and
 * the latency is what one client waits. Lines that are not the awaited
 * reply (joins, history) are ignored and not counted. */
#include "bench.h"

#include <inttypes.h>

struct rr {
    bool measuring;
    bool stopping;
    uint64_t count;
    uint64_t next_token;
    struct samples lat;
};

static void rr_send(struct bench *b, struct conn *c)
{
    struct rr *st = b->work_state;
    char buf[128];
    uint64_t token = ++st->next_token;
    size_t n = dialect_ping(b->opt->dialect, token, buf, sizeof buf);
    if (n == 0) {
        bench_error(b, "dialect %s has no request/reply", dialect_name(b->opt->dialect));
        st->stopping = true;
        return;
    }
    c->token = token;
    c->sent_ns = clock_ns();
    conn_send(b, c, buf, n);
}

static void rr_line(struct bench *b, struct conn *c, char *line, size_t len)
{
    struct rr *st = b->work_state;
    uint64_t token = c->token; /* RAW and RESP replies carry none */
    if (!dialect_pong(b->opt->dialect, line, len, &token))
        return;
    if (c->sent_ns == 0) {
        bench_error(b, "connection %u: reply with no request outstanding", c->index);
        return;
    }
    if (token != c->token) {
        bench_error(b, "connection %u: reply %" PRIu64 " while awaiting %" PRIu64, c->index, token,
                    c->token);
        return;
    }
    if (st->measuring) {
        st->count++;
        c->got++;
        samples_add(&st->lat, clock_ns() - c->sent_ns);
    }
    c->sent_ns = 0;
    if (!st->stopping)
        rr_send(b, c);
}

static bool never(const struct bench *b)
{
    (void)b;
    return false;
}

static bool drained(const struct bench *b)
{
    for (size_t i = 0; i < b->nconns; i++) {
        if (b->conns[i].state == CONN_READY && b->conns[i].sent_ns != 0)
            return false;
    }
    return true;
}

/* Fairness: the replies of the connection served least and most, as a
 * share of the mean. A server whose threads own unequal shares of the
 * connections, or that serves some of them a round late, shows it here
 * long before it shows in the mean. */
static void rr_fairness(const struct bench *b, struct report *r)
{
    uint64_t lo = UINT64_MAX, hi = 0, sum = 0, n = 0;
    for (size_t i = 0; i < b->nconns; i++) {
        const struct conn *c = &b->conns[i];
        if (c->state != CONN_READY)
            continue;
        lo = c->got < lo ? c->got : lo;
        hi = c->got > hi ? c->got : hi;
        sum += c->got;
        n++;
    }
    double mean = n && sum ? (double)sum / (double)n : 0.0;
    report_add(r, "conn_min", "least served connection / mean", "%.2f",
               mean > 0 ? (double)lo / mean : 0.0);
    report_add(r, "conn_max", "most served connection / mean", "%.2f",
               mean > 0 ? (double)hi / mean : 0.0);
}

int work_rr(struct bench *b)
{
    const struct bench_options *o = b->opt;
    struct rr st = {0};
    /* cppcheck-suppress autoVariables ; cleared before this function returns */
    b->work_state = &st;
    b->on_line = rr_line;

    unsigned ready =
        loop_open_paced(b, 0, b->nconns, o->window, clock_ns() + (uint64_t)(o->timeout * 1e9));
    for (size_t i = 0; i < b->nconns; i++) {
        if (b->conns[i].state == CONN_READY)
            rr_send(b, &b->conns[i]);
    }
    uint64_t t0 = clock_ns();
    loop_until(b, t0 + (uint64_t)(o->warmup * 1e9), never);
    st.measuring = true;
    uint64_t t1 = clock_ns();
    loop_until(b, t1 + (uint64_t)(o->duration * 1e9), never);
    st.measuring = false;
    uint64_t t2 = clock_ns();
    st.stopping = true;
    loop_until(b, clock_ns() + 1000000000u, drained);

    double secs = (double)(t2 - t1) / 1e9;
    struct report r = {0};
    report_add(&r, "conns", "connections", "%zu", b->nconns);
    report_add(&r, "ready", "connections served", "%u", ready);
    report_add(&r, "seconds", "measured seconds", "%.2f", secs);
    report_add(&r, "replies", "replies", "%" PRIu64, st.count);
    report_add(&r, "rps", "replies/s", "%.0f", secs > 0 ? (double)st.count / secs : 0.0);
    report_latency(&r, &st.lat, "reply");
    rr_fairness(b, &r);
    int rc = report_print(b, &r, "rr");
    samples_free(&st.lat);
    if (rc == 0 && (ready < b->nconns || st.count == 0))
        rc = 2;
    b->work_state = NULL; /* it lives on this stack frame */
    return rc;
}

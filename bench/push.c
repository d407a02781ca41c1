/* push: one connection sends many chat lines as fast as its acknowledgements
 * allow (at most --window unacknowledged), or at --rate per second. It
 * drives bench/client-bench.sh: whoever else is connected, e.g. the curses
 * client in tmux, has to ingest them. The RESULT line gives the run tag and
 * the wall-clock time of the last send, so the script can look for
 * "fan RUN LAST" on the client's screen and time it. */
#include "bench.h"

#include <inttypes.h>
#include <time.h>

#include "msg.h"

struct push {
    uint64_t sent;
    uint64_t acked;
};

static void push_line(struct bench *b, struct conn *c, char *line, size_t len)
{
    struct push *st = b->work_state;
    uint64_t id;
    (void)c;
    if (dialect_ack(b->opt->dialect, line, len, &id)) {
        st->acked++;
        return;
    }
    struct msg m;
    if (b->opt->dialect == BENCH_FRAMED && msg_parse(&m, line) == 0 && m.type == MSG_ERR)
        bench_error(b, "server said ERR %s %s", m.word, m.text ? m.text : "");
}

static bool all_acked(const struct bench *b)
{
    const struct push *st = b->work_state;
    return st->acked >= st->sent || b->errors > 0;
}

static uint64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int work_push(struct bench *b)
{
    const struct bench_options *o = b->opt;
    struct push st = {0};
    /* cppcheck-suppress autoVariables ; cleared before this function returns */
    b->work_state = &st;
    b->on_line = push_line;
    struct conn *c = &b->conns[0];
    c->is_sender = true;
    uint64_t deadline = clock_ns() + (uint64_t)(o->timeout * 1e9);
    if (loop_open_paced(b, 0, 1, 1, deadline) != 1) {
        bench_error(b, "could not connect and greet");
        struct report r = {0};
        b->work_state = NULL;
        return report_print(b, &r, "push");
    }
    uint64_t total = o->messages ? o->messages : 100000;
    uint64_t t0 = clock_ns();
    uint64_t end = t0 + (uint64_t)(o->duration * 1e9);
    uint64_t last_ms = 0;
    while (st.sent < total && b->errors == 0 && c->state == CONN_READY && clock_ns() < end) {
        uint64_t now = clock_ns();
        bool paced = o->rate > 0 && now < t0 + (uint64_t)((double)st.sent * 1e9 / o->rate);
        if (st.sent - st.acked >= o->window || paced) {
            loop_poll(b, paced ? 1 : 50);
            continue;
        }
        char buf[LINE_MAX_BYTES + 128];
        size_t n =
            dialect_chat(o->dialect, st.sent + 1, b->run_id, st.sent, o->size, buf, sizeof buf);
        if (n == 0 || conn_send(b, c, buf, n) < 0)
            break;
        st.sent++;
        last_ms = realtime_ms();
        loop_poll(b, 0);
    }
    uint64_t t1 = clock_ns();
    loop_until(b, clock_ns() + (uint64_t)(o->timeout * 1e9), all_acked);
    uint64_t t2 = clock_ns();
    if (st.acked < st.sent)
        bench_error(b, "%" PRIu64 " of %" PRIu64 " messages acknowledged", st.acked, st.sent);

    double secs = (double)(t2 - t0) / 1e9;
    struct report r = {0};
    report_add(&r, "run", "run tag (payload \"fan RUN SEQ\")", "%" PRIu64, b->run_id);
    report_add(&r, "sent", "messages sent", "%" PRIu64, st.sent);
    report_add(&r, "acked", "messages acknowledged", "%" PRIu64, st.acked);
    report_add(&r, "send_s", "seconds sending", "%.3f", (double)(t1 - t0) / 1e9);
    report_add(&r, "seconds", "seconds until all acknowledged", "%.3f", secs);
    report_add(&r, "mps", "acknowledged messages/s", "%.0f",
               secs > 0 ? (double)st.acked / secs : 0.0);
    report_add(&r, "last_seq", "last sequence number sent", "%" PRIu64, st.sent ? st.sent - 1 : 0);
    report_add(&r, "last_sent_ms", "last send, Unix ms", "%" PRIu64, last_ms);
    report_add(&r, "acked_ms", "all acknowledged, Unix ms", "%" PRIu64, realtime_ms());
    b->work_state = NULL; /* it lives on this stack frame */
    return report_print(b, &r, "push");
}

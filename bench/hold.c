/* hold: many idle connections, what each costs the server, and proof that
 * each one is still served.
 *
 * Connections are opened a window at a time: one counts as in flight until
 * the server has answered its greeting, i.e. accepted and served it, so the
 * listen backlog never holds more than the window. After holding them idle,
 * every connection must answer a ping; a peer with no reply to its sender
 * (ncat --chat) is checked by one broadcast that every held connection must
 * receive. The server's RSS comes from /proc/PID/status: before connecting,
 * and after holding; per connection = the difference / connections. */
#include "bench.h"

#include <inttypes.h>
#include <stdio.h>

struct hold {
    bool checking;
    unsigned answered;
    unsigned asked; /* held connections still open when the check began */
};

static void hold_line(struct bench *b, struct conn *c, char *line, size_t len)
{
    struct hold *st = b->work_state;
    if (!st->checking || c->is_sender || c->got)
        return;
    uint64_t v = c->token;
    int ok = c->sent_ns ? dialect_pong(b->opt->dialect, line, len, &v) && v == c->token
                        : dialect_delivery(b->opt->dialect, line, len, b->run_id, &v) && v == 0;
    if (ok) {
        c->got = 1;
        st->answered++;
    }
}

static bool never(const struct bench *b)
{
    (void)b;
    return false;
}

static bool all_answered(const struct bench *b)
{
    const struct hold *st = b->work_state;
    return st->answered >= st->asked;
}

int work_hold(struct bench *b)
{
    const struct bench_options *o = b->opt;
    struct hold st = {0};
    /* cppcheck-suppress autoVariables ; cleared before this function returns */
    b->work_state = &st;
    b->on_line = hold_line;
    bool broadcast = dialect_ping(o->dialect, 1, (char[64]){0}, 64) == 0;
    size_t held = b->nconns - broadcast; /* the extra one speaks for ncat */
    if (broadcast)
        b->conns[held].is_sender = true;

    long rss0 = o->pid ? proc_status_kb(o->pid, "VmRSS") : -1;
    uint64_t t0 = clock_ns();
    unsigned ready = loop_open_paced(b, 0, b->nconns, o->window, t0 + (uint64_t)(o->timeout * 1e9));
    uint64_t t1 = clock_ns();
    /* Idle, but still reading: announcements of others' joins arrive. */
    loop_until(b, t1 + (uint64_t)(o->duration * 1e9), never);
    long rss1 = o->pid ? proc_status_kb(o->pid, "VmRSS") : -1;
    long hwm = o->pid ? proc_status_kb(o->pid, "VmHWM") : -1;
    long threads = o->pid ? proc_status_kb(o->pid, "Threads") : -1;

    st.checking = true;
    uint64_t t2 = clock_ns();
    bool can_check = true;
    for (size_t i = 0; i < held; i++)
        st.asked += b->conns[i].state == CONN_READY;
    if (broadcast) {
        char buf[128];
        size_t n = dialect_chat(o->dialect, 1, b->run_id, 0, 0, buf, sizeof buf);
        if (b->conns[held].state == CONN_READY)
            conn_send(b, &b->conns[held], buf, n);
        else
            can_check = false;
    } else {
        for (size_t i = 0; i < held; i++) {
            struct conn *c = &b->conns[i];
            if (c->state != CONN_READY)
                continue;
            char buf[128];
            c->token = i + 1;
            c->sent_ns = clock_ns();
            conn_send(b, c, buf, dialect_ping(o->dialect, c->token, buf, sizeof buf));
        }
    }
    if (can_check)
        loop_until(b, t2 + (uint64_t)(o->timeout * 1e9), all_answered);
    else
        bench_error(b, "the broadcasting connection is not ready: nothing checked");
    uint64_t t3 = clock_ns();
    if (st.answered < held)
        bench_error(b, "%u of %zu held connections answered", st.answered, held);

    struct report r = {0};
    report_add(&r, "conns", "connections held", "%zu", held);
    report_add(&r, "ready", "connections served", "%u", ready - (broadcast && ready > held));
    report_add(&r, "connect_s", "seconds to connect all", "%.2f", (double)(t1 - t0) / 1e9);
    report_add(&r, "held_s", "seconds held idle", "%.2f", o->duration);
    report_add(&r, "answered", "still answering after the hold", "%u", st.answered);
    report_add(&r, "check_ms", "ms for all to answer", "%.1f", (double)(t3 - t2) / 1e6);
    if (o->pid) {
        report_add(&r, "rss0_kb", "server RSS before (KB)", "%ld", rss0);
        report_add(&r, "rss_kb", "server RSS holding (KB)", "%ld", rss1);
        report_add(&r, "hwm_kb", "server peak RSS (KB)", "%ld", hwm);
        report_add(&r, "threads", "server threads", "%ld", threads);
        report_add(&r, "kb_per_conn", "server RSS per connection (KB)", "%.2f",
                   held ? (double)(rss1 - rss0) / (double)held : 0.0);
        report_add(&r, "kb_per_conn_total", "server RSS / connections (KB)", "%.2f",
                   held ? (double)rss1 / (double)held : 0.0);
    }
    int rc = report_print(b, &r, "hold");
    if (rc == 0 && ready < b->nconns)
        rc = 2;
    b->work_state = NULL; /* it lives on this stack frame */
    return rc;
}

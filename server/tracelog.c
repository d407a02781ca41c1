/* tracelog: --trace, per connection: who took it, each read with where its
 * lines end, each write (partial or not) with the queue left behind, who
 * wrote it, and the close. Called by the connection's owner, and for a
 * direct write (threads mode) by the sender with reg_lock held, which is
 * what makes reading c->nick safe; the rate bound (c->trace) is taken
 * under c->lock. Off, each call costs one relaxed atomic load. */
#define _GNU_SOURCE /* syscall(SYS_gettid) */
#include "tracelog.h"
#include "session.h"

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

bool tracelog_wants(struct client *c)
{
    struct trace_ctl *t = &c->srv->trace;
    int mode = atomic_load_explicit(&t->mode, memory_order_relaxed);
    if (mode == TRACE_OFF)
        return false;
    if (mode == TRACE_ALL)
        return true;
    pthread_mutex_lock(&t->lock);
    bool match = strcmp(t->nick, c->nick) == 0;
    pthread_mutex_unlock(&t->lock);
    return match;
}

void tracelog_set(struct server *srv, enum trace_mode mode, const char *nick)
{
    struct trace_ctl *t = &srv->trace;
    pthread_mutex_lock(&t->lock);
    snprintf(t->nick, sizeof t->nick, "%s", mode == TRACE_NICK ? nick : "");
    pthread_mutex_unlock(&t->lock);
    atomic_store(&t->mode, mode);
}

void tracelog_describe(struct server *srv, char *buf, size_t cap)
{
    struct trace_ctl *t = &srv->trace;
    pthread_mutex_lock(&t->lock);
    int mode = atomic_load(&t->mode);
    if (mode == TRACE_OFF)
        snprintf(buf, cap, "trace is off");
    else if (mode == TRACE_ALL)
        snprintf(buf, cap, "tracing every connection");
    else
        snprintf(buf, cap, "tracing %s only", t->nick);
    pthread_mutex_unlock(&t->lock);
}

/* The serving thread, as the lesson names it: "thread 4242" (threads),
 * "worker w1 (tid 4243)" (pool), "the one thread (tid 4241)" (single).
 * A direct write is by the thread that wrote it, not the owner: "thread
 * 4243 (the sender's, directly)". */
static void tracelog_who(const struct client *c, bool direct, char *buf, size_t cap)
{
    long tid = syscall(SYS_gettid);
    switch (c->srv->cfg.mode) {
    case MODE_THREADS:
        snprintf(buf, cap, "thread %ld%s", tid, direct ? " (the sender's, directly)" : "");
        break;
    case MODE_POOL:
        snprintf(buf, cap, "worker w%d (tid %ld)",
                 atomic_load_explicit(&c->worker, memory_order_relaxed), tid);
        break;
    default:
        snprintf(buf, cap, "the one thread (tid %ld)", tid);
        break;
    }
}

/* Logs the summary of what the bound skipped, if any, then says whether
 * this event is to be traced. */
static bool tracelog_take(struct client *c, enum trace_kind k, size_t bytes)
{
    char summary[TRACE_LINE_MAX];
    /* Locked: a sender's direct write (client.c) is traced from its thread. */
    pthread_mutex_lock(&c->lock);
    bool ok =
        trace_budget_take(&c->trace, server_now_ms(c->srv), k, bytes, summary, sizeof summary);
    pthread_mutex_unlock(&c->lock);
    if (summary[0] != '\0')
        log_event(c->srv, AEV_TRACE, c, "trace: %s", summary);
    return ok;
}

void tracelog_accept(struct client *c, int64_t waited_ms)
{
    if (!tracelog_wants(c))
        return;
    char who[64];
    tracelog_who(c, false, who, sizeof who);
    const char *how = c->srv->cfg.mode == MODE_THREADS ? " (a new thread for it)" : "";
    if (waited_ms >= 0)
        log_event(c->srv, AEV_TRACE, c, "trace: accepted by %s%s after %lld ms in the backlog", who,
                  how, (long long)waited_ms);
    else
        log_event(c->srv, AEV_TRACE, c, "trace: accepted by %s%s", who, how);
}

void tracelog_read(struct client *c, const char *data, size_t len)
{
    if (!tracelog_wants(c) || !tracelog_take(c, TRACE_READ, len))
        return;
    char line[TRACE_LINE_MAX];
    trace_format_read(line, sizeof line, data, len, c->lb.len + c->greet_len,
                      session_reads_raw(c, data, len));
    log_event(c->srv, AEV_TRACE, c, "trace: %s", line);
}

static void tracelog_wrote(struct client *c, bool direct, size_t wrote, size_t queued)
{
    enum trace_kind k = wrote < queued ? TRACE_WRITE_PARTIAL : TRACE_WRITE;
    if (!tracelog_wants(c) || !tracelog_take(c, k, wrote))
        return;
    pthread_mutex_lock(&c->lock);
    unsigned msgs = c->q.count;
    size_t bytes = c->q.bytes;
    pthread_mutex_unlock(&c->lock);
    char who[64], line[TRACE_LINE_MAX];
    tracelog_who(c, direct, who, sizeof who);
    trace_format_write(line, sizeof line, wrote, queued, who, msgs, bytes);
    log_event(c->srv, AEV_TRACE, c, "trace: %s", line);
}

void tracelog_write(struct client *c, size_t wrote, size_t queued)
{
    tracelog_wrote(c, false, wrote, queued);
}

void tracelog_write_direct(struct client *c, size_t wrote, size_t len)
{
    tracelog_wrote(c, true, wrote, len);
}

void tracelog_close(struct client *c, const char *reason)
{
    if (!tracelog_wants(c))
        return;
    char summary[TRACE_LINE_MAX], who[64];
    pthread_mutex_lock(&c->lock);
    trace_budget_flush(&c->trace, summary, sizeof summary);
    pthread_mutex_unlock(&c->lock);
    if (summary[0] != '\0')
        log_event(c->srv, AEV_TRACE, c, "trace: %s", summary);
    tracelog_who(c, false, who, sizeof who);
    log_event(c->srv, AEV_TRACE, c, "trace: closed (%s) by %s after %llu B in, %llu B out", reason,
              who, (unsigned long long)atomic_load(&c->bytes_in),
              (unsigned long long)atomic_load(&c->bytes_out));
}

void tracelog_backlog(struct server *srv, unsigned n)
{
    if (atomic_load_explicit(&srv->trace.mode, memory_order_relaxed) == TRACE_OFF)
        return;
    log_event(srv, AEV_TRACE, NULL, "trace: backlog: %u connection%s waiting (not accepted yet)", n,
              plural_s(n));
}

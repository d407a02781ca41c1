/* trace: --trace's lines (a lesson's view of the byte stream, the framing
 * and the threads) and their per-connection rate bound. Pure: no clock,
 * no lock, no I/O; the callers (trace_hooks in server.c's users) pass the
 * time and log what these return. */
#ifndef SOCKCHAT_TRACE_H
#define SOCKCHAT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most TRACE_PER_SEC lines per connection and TRACE_WINDOW_MS; what a
 * flood does past that is counted and told in one summary line. A partial
 * write (the moment a reader falls behind: the lesson of a slow consumer)
 * has TRACE_PARTIAL_PER_SEC more, so a flood's first lines cannot hide
 * it. At most TRACE_ENDS_SHOWN line ends are listed per read: a
 * projector's line. */
enum {
    TRACE_PER_SEC = 10,
    TRACE_PARTIAL_PER_SEC = 2,
    TRACE_WINDOW_MS = 1000,
    TRACE_ENDS_SHOWN = 4,
    TRACE_LINE_MAX = 160
};

/* One connection's rate bound. Zeroed: no window yet. */
struct trace_budget {
    int64_t window_ms;              /* when the current window began */
    unsigned lines;                 /* lines told in it */
    unsigned partial_lines;         /* partial writes told past TRACE_PER_SEC */
    unsigned skipped_reads;         /* past the bound, in it */
    unsigned skipped_writes;        /* past the bound, in it */
    unsigned long long skipped_in;  /* their bytes */
    unsigned long long skipped_out; /* their bytes */
};

enum trace_kind { TRACE_READ, TRACE_WRITE, TRACE_WRITE_PARTIAL };

/* An event of kind k moving bytes at now_ms. True: trace it. False: over
 * the bound, counted. In either case, when a window with skipped events
 * ended, its summary is written to summary (else summary[0] is '\0'): log
 * it before the event. */
bool trace_budget_take(struct trace_budget *b, int64_t now_ms, enum trace_kind k, size_t bytes,
                       char *summary, size_t cap);
/* The summary of what was skipped and not told yet (at close); "" none. */
void trace_budget_flush(struct trace_budget *b, char *summary, size_t cap);

/* A read of data[0..len), held bytes of a line already waiting before it:
 * "read 37 B: 2 lines framed (end at 11, 31) + 6 B partial". raw: the
 * tutorial's dialect, where a read is a message whatever it holds. */
void trace_format_read(char *buf, size_t cap, const char *data, size_t len, size_t held, bool raw);
/* A write of wrote bytes out of queued by who ("thread 4242", "worker
 * w1"), left messages (left_bytes) still queued after it. */
void trace_format_write(char *buf, size_t cap, size_t wrote, size_t queued, const char *who,
                        unsigned left_msgs, size_t left_bytes);

#endif

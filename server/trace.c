/* trace: the wording of --trace's lines and their rate bound, kept pure so
 * that the lesson's lines are tested without a server (tests/server/
 * check_trace.c) and stay stable for docs/TEACHING.md's tests. */
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends to buf[*at..cap), never past it. */
__attribute__((format(printf, 4, 5))) static void put(char *buf, size_t cap, size_t *at,
                                                      const char *fmt, ...)
{
    if (*at >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, cap - *at, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *at = (size_t)n < cap - *at ? *at + (size_t)n : cap - 1;
}

static const char *plural(unsigned long long n)
{
    return n == 1 ? "" : "s";
}

/* "12 B", "3 KB", "5 MB": a summary's rough size. */
static void put_size(char *buf, size_t cap, size_t *at, unsigned long long n)
{
    if (n < 10ULL * 1024)
        put(buf, cap, at, "%llu B", n);
    else if (n < 10ULL * 1024 * 1024)
        put(buf, cap, at, "%llu KB", n / 1024);
    else
        put(buf, cap, at, "%llu MB", n / (1024ULL * 1024));
}

void trace_budget_flush(struct trace_budget *b, char *summary, size_t cap)
{
    size_t at = 0;
    if (cap == 0)
        return;
    summary[0] = '\0';
    if (b->skipped_reads == 0 && b->skipped_writes == 0)
        return;
    put(summary, cap, &at, "... ");
    if (b->skipped_reads > 0) {
        put(summary, cap, &at, "%u more read%s (", b->skipped_reads, plural(b->skipped_reads));
        put_size(summary, cap, &at, b->skipped_in);
        put(summary, cap, &at, ")");
    }
    if (b->skipped_writes > 0) {
        put(summary, cap, &at, "%s%u more write%s (", b->skipped_reads > 0 ? " and " : "",
            b->skipped_writes, plural(b->skipped_writes));
        put_size(summary, cap, &at, b->skipped_out);
        put(summary, cap, &at, ")");
    }
    put(summary, cap, &at, " in the last second");
    b->skipped_reads = b->skipped_writes = 0;
    b->skipped_in = b->skipped_out = 0;
}

bool trace_budget_take(struct trace_budget *b, int64_t now_ms, enum trace_kind k, size_t bytes,
                       char *summary, size_t cap)
{
    if (cap > 0)
        summary[0] = '\0';
    if (b->lines == 0 && b->skipped_reads == 0 && b->skipped_writes == 0)
        b->window_ms = now_ms;
    if (now_ms - b->window_ms >= TRACE_WINDOW_MS) {
        trace_budget_flush(b, summary, cap);
        b->window_ms = now_ms;
        b->lines = 0;
        b->partial_lines = 0;
    }
    if (b->lines < TRACE_PER_SEC) {
        b->lines++;
        return true;
    }
    if (k == TRACE_WRITE_PARTIAL && b->partial_lines < TRACE_PARTIAL_PER_SEC) {
        b->partial_lines++;
        return true;
    }
    if (k == TRACE_READ) {
        b->skipped_reads++;
        b->skipped_in += bytes;
    } else {
        b->skipped_writes++;
        b->skipped_out += bytes;
    }
    return false;
}

void trace_format_read(char *buf, size_t cap, const char *data, size_t len, size_t held, bool raw)
{
    size_t at = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    put(buf, cap, &at, "read %zu B: ", len);
    if (raw) {
        put(buf, cap, &at, "1 message (the tutorial's dialect: one read is one message)");
        return;
    }
    unsigned lines = 0;
    size_t last_end = 0; /* bytes of data up to and with the last LF */
    size_t ends[TRACE_ENDS_SHOWN];
    for (size_t i = 0; i < len; i++)
        if (data[i] == '\n') {
            if (lines < TRACE_ENDS_SHOWN)
                ends[lines] = i + 1;
            lines++;
            last_end = i + 1;
        }
    size_t partial = len - last_end + (lines == 0 ? held : 0);
    if (lines == 0) {
        put(buf, cap, &at, "no line end, %zu B partial", partial);
        if (held > 0)
            put(buf, cap, &at, " (%zu B of it from before)", held);
        return;
    }
    put(buf, cap, &at, "%u line%s framed (end%s at ", lines, plural(lines), lines == 1 ? "s" : "");
    for (unsigned i = 0; i < lines && i < TRACE_ENDS_SHOWN; i++)
        put(buf, cap, &at, "%s%zu", i ? ", " : "", ends[i]);
    put(buf, cap, &at, "%s)", lines > TRACE_ENDS_SHOWN ? ", ..." : "");
    if (partial > 0)
        put(buf, cap, &at, " + %zu B partial", partial);
    if (held > 0)
        put(buf, cap, &at, "; the first had %zu B from before", held);
}

void trace_format_write(char *buf, size_t cap, size_t wrote, size_t queued, const char *who,
                        unsigned left_msgs, size_t left_bytes)
{
    size_t at = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    if (wrote < queued)
        put(buf, cap, &at, "write %zu B of %zu B by %s: partial, ", wrote, queued, who);
    else
        put(buf, cap, &at, "write %zu B by %s: ", wrote, who);
    if (left_msgs == 0)
        put(buf, cap, &at, "queue empty");
    else
        put(buf, cap, &at, "queue %u message%s (%zu B) left", left_msgs, plural(left_msgs),
            left_bytes);
}

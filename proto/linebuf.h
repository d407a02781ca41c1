/* linebuf: turns a TCP byte stream into lines.
 *
 * Feed it chunks split anywhere; it yields complete lines without their LF
 * (or CRLF). A line longer than the decoder's limit is reported once as
 * LINEBUF_OVERLONG, the rest of it is discarded up to the next LF, and the
 * decoder carries on. The buffer grows on demand up to limit + 2 bytes, so an
 * idle connection costs almost nothing and a hostile one is bounded. */
#ifndef SOCKCHAT_LINEBUF_H
#define SOCKCHAT_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

enum { LINE_MAX_BYTES = 4096 }; /* what a client may send in one line */

enum linebuf_status {
    LINEBUF_NEED_MORE, /* all input consumed, no complete line yet */
    LINEBUF_LINE,      /* *line / *len hold one line (NUL-terminated, no LF) */
    LINEBUF_OVERLONG,  /* a line passed the limit; its rest is being dropped */
    LINEBUF_NOMEM,     /* could not grow the buffer; the byte was not consumed */
};

struct linebuf {
    char *buf;
    size_t len;
    size_t cap;
    size_t limit;
    bool discarding;
};

void linebuf_init(struct linebuf *lb, size_t limit);
void linebuf_free(struct linebuf *lb);

/* Consumes bytes from data until one event happens or the input runs out.
 * *used says how many bytes were consumed; call again with the rest.
 * On LINEBUF_LINE, *line points into lb (valid until the next call) and is
 * NUL-terminated; the line itself may contain NUL bytes, so use *len. */
enum linebuf_status linebuf_feed(struct linebuf *lb, const char *data, size_t size, size_t *used,
                                 char **line, size_t *len);

/* Bytes held for an incomplete line (for tests and memory accounting). */
size_t linebuf_pending(const struct linebuf *lb);

/* Frees the buffer when no partial line is held (call it when a connection
 * goes idle, after handling the lines of a read); the next feed allocates
 * again. Returns false, changing nothing, while a partial line is held. */
bool linebuf_trim(struct linebuf *lb);

#endif

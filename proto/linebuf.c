/* linebuf: the framing decoder. Bytes in, lines out; no I/O.
 *
 * The buffer holds only the incomplete line. It grows by doubling from
 * LINEBUF_START up to limit + 2 bytes (limit content bytes, a CR that a CRLF
 * ending may add, and the NUL we terminate lines with), so memory per decoder
 * is bounded whatever a peer sends. A returned line is left in the buffer
 * with len reset to 0: it stays readable until the next call appends. */
#include "linebuf.h"

#include <stdlib.h>
#include <string.h>

enum { LINEBUF_START = 256 };

void linebuf_init(struct linebuf *lb, size_t limit)
{
    lb->buf = NULL;
    lb->len = 0;
    lb->cap = 0;
    lb->limit = limit;
    lb->discarding = false;
}

void linebuf_free(struct linebuf *lb)
{
    free(lb->buf);
    linebuf_init(lb, lb->limit);
}

size_t linebuf_pending(const struct linebuf *lb)
{
    return lb->len;
}

bool linebuf_trim(struct linebuf *lb)
{
    if (lb->len != 0)
        return false;
    free(lb->buf);
    lb->buf = NULL;
    lb->cap = 0;
    return true;
}

/* Makes room for need bytes; need never exceeds limit + 2. */
static bool linebuf_reserve(struct linebuf *lb, size_t need)
{
    if (need <= lb->cap)
        return true;
    size_t max = lb->limit + 2;
    size_t cap = lb->cap ? lb->cap : LINEBUF_START;
    while (cap < need && cap < max)
        cap *= 2;
    if (cap > max)
        cap = max;
    char *p = realloc(lb->buf, cap);
    if (!p)
        return false;
    lb->buf = p;
    lb->cap = cap;
    return true;
}

enum linebuf_status linebuf_feed(struct linebuf *lb, const char *data, size_t size, size_t *used,
                                 char **line, size_t *len)
{
    size_t i = 0;

    *line = NULL;
    *len = 0;
    while (i < size) {
        const char *nl = memchr(data + i, '\n', size - i);

        if (lb->discarding) {
            if (!nl) {
                i = size;
                break;
            }
            i = (size_t)(nl - data) + 1;
            lb->discarding = false;
            continue;
        }

        size_t n = nl ? (size_t)(nl - (data + i)) : size - i;
        /* limit + 1 content bytes may be held: the last one may be the CR
         * of a CRLF, which we only know once the LF arrives. */
        size_t room = lb->limit + 1 - lb->len;
        if (n > room) {
            lb->len = 0;
            if (nl) {
                i += n + 1;
            } else {
                i = size;
                lb->discarding = true;
            }
            *used = i;
            return LINEBUF_OVERLONG;
        }
        if (!linebuf_reserve(lb, lb->len + n + 1)) {
            *used = i;
            return LINEBUF_NOMEM;
        }
        memcpy(lb->buf + lb->len, data + i, n);
        lb->len += n;
        i += n;
        if (!nl)
            break;
        i++; /* the LF */

        size_t l = lb->len;
        if (l > 0 && lb->buf[l - 1] == '\r')
            l--;
        lb->len = 0;
        *used = i;
        if (l > lb->limit)
            return LINEBUF_OVERLONG;
        lb->buf[l] = '\0';
        *line = lb->buf;
        *len = l;
        return LINEBUF_LINE;
    }
    *used = i;
    return LINEBUF_NEED_MORE;
}

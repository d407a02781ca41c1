/* Fuzzes the framing decoder against a reference model: the stream is
 * decoded in chunks chosen by the input, and the events must equal those of
 * a plain split on LF (strip one CR, overlong when longer than the limit). */
#include "fuzz.h"

#include "linebuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An overlong segment reported before its LF is finished once its LF has
 * been consumed; the model then moves to the next segment. */
static void model_resync(const char *in, size_t n, size_t consumed, size_t *pos, bool *reported)
{
    if (!*reported)
        return;
    const char *nl = memchr(in + *pos, '\n', n - *pos);
    if (!nl || (size_t)(nl - in) >= consumed)
        return;
    *pos = (size_t)(nl - in) + 1;
    *reported = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* Header: the limit, and a seed for the chunk sizes. */
    size_t limit = data[0] == 0xff ? LINE_MAX_BYTES : data[0] % 64;
    unsigned seed = data[1];
    const char *in = (const char *)data + 2;
    size_t n = size - 2;

    struct linebuf lb;
    linebuf_init(&lb, limit);

    /* The model walks the input alongside: pos is where the next expected
     * line starts. Overlong lines with no LF yet are reported as soon as
     * they pass limit + 1 bytes. */
    size_t pos = 0;
    bool model_reported = false; /* the current segment was reported */
    size_t off = 0;
    int guard = 0;
    while (off < n) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = 1 + (seed >> 16) % 300;
        if (chunk > n - off)
            chunk = n - off;
        size_t coff = 0;
        while (coff < chunk) {
            size_t used;
            char *line;
            size_t len;
            enum linebuf_status st =
                linebuf_feed(&lb, in + off + coff, chunk - coff, &used, &line, &len);
            REQUIRE(used <= chunk - coff);
            REQUIRE(++guard < 1000000);
            coff += used;
            size_t consumed = off + coff; /* bytes consumed so far in all */
            REQUIRE(lb.cap <= limit + 2);
            REQUIRE(linebuf_pending(&lb) <= limit + 1);
            if (st == LINEBUF_NEED_MORE) {
                REQUIRE(coff == chunk);
                continue;
            }
            REQUIRE(st == LINEBUF_LINE || st == LINEBUF_OVERLONG);
            model_resync(in, n, consumed, &pos, &model_reported);
            /* Where does the model's current segment end? */
            const char *nl = memchr(in + pos, '\n', n - pos);
            size_t seglen = nl ? (size_t)(nl - (in + pos)) : n - pos;
            size_t content = seglen;
            if (nl && content > 0 && in[pos + content - 1] == '\r')
                content--;
            if (st == LINEBUF_LINE) {
                REQUIRE(!model_reported);
                REQUIRE(nl != NULL);
                REQUIRE(consumed == pos + seglen + 1);
                REQUIRE(content <= limit);
                REQUIRE(len == content);
                REQUIRE(line[len] == '\0');
                REQUIRE(memcmp(line, in + pos, len) == 0);
                pos = consumed;
            } else {
                REQUIRE(!model_reported);
                REQUIRE(content > limit);
                if (nl && consumed == pos + seglen + 1) {
                    pos = consumed; /* reported at its LF */
                } else {
                    /* Reported early: more than limit + 1 bytes seen. */
                    REQUIRE(consumed - pos > limit + 1);
                    model_reported = true;
                }
            }
        }
        off += chunk;
    }
    model_resync(in, n, n, &pos, &model_reported);
    /* Anything left unreported must be a line the decoder is still
     * holding: no LF, and short enough to still be a line. */
    if (model_reported)
        REQUIRE(linebuf_pending(&lb) == 0);
    if (!model_reported && pos < n) {
        REQUIRE(memchr(in + pos, '\n', n - pos) == NULL);
        REQUIRE(n - pos <= limit + 1);
        REQUIRE(linebuf_pending(&lb) == n - pos);
    }
    linebuf_free(&lb);
    return 0;
}

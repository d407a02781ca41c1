/* wire: the ring of system calls and their rendering (see wire.h). */
#define _XOPEN_SOURCE 700
#include "wire.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "utf8.h"

int wire_open(struct wire *w)
{
    if (w->ring)
        return 0;
    w->ring = malloc(WIRE_MEM);
    w->first = 0;
    w->count = 0;
    return w->ring ? 0 : -1;
}

void wire_free(struct wire *w)
{
    free(w->ring);
    memset(w, 0, sizeof(*w));
}

void wire_add(struct wire *w, enum wire_kind kind, int64_t ms, const char *buf, size_t len)
{
    if (w->ring == NULL)
        return;
    struct wire_rec *r;
    if (w->count == WIRE_RECORDS) {
        r = &w->ring[w->first];
        w->first = (w->first + 1) % WIRE_RECORDS;
    } else {
        r = &w->ring[(w->first + w->count) % WIRE_RECORDS];
        w->count++;
    }
    size_t keep = len < WIRE_KEEP ? len : WIRE_KEEP;
    r->ms = ms;
    r->count = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    r->kept = (uint16_t)keep;
    r->kind = (uint8_t)kind;
    if (keep)
        memcpy(r->bytes, buf, keep);
    w->total++;
}

size_t wire_count(const struct wire *w)
{
    return w->count;
}

const struct wire_rec *wire_get(const struct wire *w, uint64_t seq)
{
    uint64_t oldest = w->total - w->count;
    if (w->ring == NULL || seq < oldest || seq >= w->total)
        return NULL;
    return &w->ring[(w->first + (size_t)(seq - oldest)) % WIRE_RECORDS];
}

size_t wire_mem(const struct wire *w)
{
    return w->ring ? WIRE_MEM : 0;
}

/* ---- rendering ---- */

enum { PIECE_MAX = 4 * UTF8_MAX }; /* "\xHH" for each byte of a character */

struct piece {
    char text[PIECE_MAX + 1];
    size_t len;  /* bytes of text */
    size_t cols; /* columns it takes */
    size_t used; /* input bytes it stands for */
};

static void piece_set(struct piece *p, const char *text, size_t cols, size_t used)
{
    p->len = strlen(text);
    memcpy(p->text, text, p->len);
    p->cols = cols;
    p->used = used;
}

static void piece_hex(struct piece *p, const unsigned char *s, size_t n)
{
    p->len = 0;
    for (size_t i = 0; i < n; i++)
        p->len += (size_t)snprintf(p->text + p->len, sizeof(p->text) - p->len, "\\x%02X", s[i]);
    p->cols = p->len;
    p->used = n;
}

/* The piece of the screen that stands for the bytes at s[0..len). */
static void piece_next(const char *s, size_t len, bool ascii, struct piece *p)
{
    unsigned char c = (unsigned char)s[0];
    switch (c) {
    case '\n':
        /* The boundary a line-framed reader splits at: made visible, since
         * where it falls within a read is the lesson. */
        piece_set(p, ascii ? "\\n|" : "\\n\xe2\x94\x82", 3, 1);
        return;
    case '\r':
        piece_set(p, "\\r", 2, 1);
        return;
    case '\t':
        piece_set(p, "\\t", 2, 1);
        return;
    case '\\':
        piece_set(p, "\\\\", 2, 1); /* so that "\n" on screen is always an escape */
        return;
    case 0x1b:
        piece_set(p,
                  ascii ? "<ESC>"
                        : "\xe2\x9f\xa8"
                          "ESC\xe2\x9f\xa9",
                  5, 1);
        return;
    case 0:
        piece_set(p,
                  ascii ? "<NUL>"
                        : "\xe2\x9f\xa8"
                          "NUL\xe2\x9f\xa9",
                  5, 1);
        return;
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
        piece_hex(p, &c, 1);
        return;
    }
    if (c < 0x80) {
        char t[2] = {(char)c, '\0'};
        piece_set(p, t, 1, 1);
        return;
    }
    int32_t cp;
    size_t n = utf8_decode(s, len, &cp);
    if (cp < 0 || ascii) {
        /* Invalid bytes one at a time (the next may start a good
         * character); in ASCII mode a character's bytes, as the terminal
         * could only show '?'. */
        piece_hex(p, (const unsigned char *)s, cp < 0 ? 1 : n);
        return;
    }
    int width = wcwidth((wchar_t)cp);
    if (width < 0 || cp < 0xA0) {
        /* C1 controls and what the locale cannot print: the bytes. */
        piece_hex(p, (const unsigned char *)s, n);
        return;
    }
    memcpy(p->text, s, n);
    p->len = n;
    p->cols = width > 2 ? 2 : (size_t)width;
    p->used = n;
}

size_t wire_render(const char *bytes, size_t len, bool cut, size_t cols, bool ascii, char *out,
                   size_t cap)
{
    const char *ell = ascii ? "..." : "\xe2\x80\xa6";
    size_t ell_len = strlen(ell), ell_cols = ascii ? 3 : 1;
    struct piece p;
    if (cap == 0)
        return 0;
    /* Will it all fit? Then no room is kept for the ellipsis. */
    bool fits = !cut;
    if (fits && cols != SIZE_MAX) {
        size_t total = 0;
        for (size_t i = 0; i < len && total <= cols; i += p.used) {
            piece_next(bytes + i, len - i, ascii, &p);
            total += p.cols;
        }
        fits = total <= cols;
    }
    size_t room = fits ? cols : (cols > ell_cols ? cols - ell_cols : 0);
    size_t o = 0, used = 0, i = 0;
    while (i < len) {
        piece_next(bytes + i, len - i, ascii, &p);
        /* The ellipsis must still fit in out after this piece. */
        if (used + p.cols > room || o + p.len + ell_len + 1 > cap)
            break;
        memcpy(out + o, p.text, p.len);
        o += p.len;
        used += p.cols;
        i += p.used;
    }
    if ((i < len || cut) && used + ell_cols <= cols && o + ell_len + 1 <= cap) {
        memcpy(out + o, ell, ell_len);
        o += ell_len;
    }
    out[o] = '\0';
    return o;
}

size_t wire_format(const struct wire_rec *r, size_t cols, bool ascii, char *out, size_t cap,
                   size_t *prefix_len)
{
    static const char *const arrows[2][3] = {
        {"\xe2\x86\x90", "\xe2\x86\x92", "\xe2\x80\xa2"}, /* ← → • */
        {"<-", "->", "*"},
    };
    static const char *const names[] = {"read", "write", "connected"};
    unsigned kind = r->kind <= WIRE_CONNECT ? r->kind : WIRE_READ;
    long long s = (long long)(r->ms / 1000), ms = (long long)(r->ms % 1000);
    if (cap == 0)
        return 0;
    int n;
    if (kind == WIRE_CONNECT)
        n = snprintf(out, cap, "%s %2lld.%03llds %s", arrows[ascii][kind], s, ms, names[kind]);
    else
        n = snprintf(out, cap, "%s %2lld.%03llds %-5s %4" PRIu32 " B  ", arrows[ascii][kind], s, ms,
                     names[kind], r->count);
    size_t o = n < 0 ? 0 : (size_t)n >= cap ? cap - 1 : (size_t)n;
    /* The prefix is ASCII but for its first character (one column). */
    size_t pcols = o - (ascii ? 0 : strlen(arrows[0][kind]) - 1);
    if (prefix_len)
        *prefix_len = o;
    if (kind == WIRE_CONNECT)
        return o;
    if (r->count == 0 && kind == WIRE_READ) {
        /* read() returning 0: the peer closed its side. */
        const char *eof = "(end of stream: the server closed)";
        return o + wire_render(eof, strlen(eof), false,
                               cols == SIZE_MAX ? SIZE_MAX
                               : cols > pcols   ? cols - pcols
                                                : 0,
                               true, out + o, cap - o);
    }
    size_t left = cols == SIZE_MAX ? SIZE_MAX : cols > pcols ? cols - pcols : 0;
    return o + wire_render(r->bytes, r->kept, r->kept < r->count, left, ascii, out + o, cap - o);
}

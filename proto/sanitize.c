/* sanitize: the one place that decides what network text may reach a
 * terminal.
 *
 * The safety property is simple and total: the output never holds a byte
 * below 0x20, DEL, a C1 code point or invalid UTF-8, so no received byte can
 * start a control sequence whatever our parser thinks of it. Parsing escape
 * sequences only decides what is removed whole (so "ESC[31m" vanishes rather
 * than showing as "␛[31m") instead of made visible. */
#include "sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum {
    ESC = 0x1b,
    BEL = 0x07,
    CAN = 0x18,
    SUB = 0x1a,
    DEL = 0x7f,
    PICTURE_BASE = 0x2400, /* U+2400 SYMBOL FOR NULL; U+2421 for DEL */
};

size_t sanitize_line(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
            s[i] = ' ';
    }
    return len;
}

struct out {
    char *dst;
    size_t cap;
    size_t len;
    bool full; /* once something did not fit, nothing more is written */
};

static void out_bytes(struct out *o, const void *p, size_t n)
{
    if (o->full)
        return;
    /* Keep one byte for the NUL. */
    if (o->cap == 0 || n > o->cap - 1 - o->len) {
        o->full = true;
        return;
    }
    memcpy(o->dst + o->len, p, n);
    o->len += n;
}

static void out_cp(struct out *o, uint32_t cp)
{
    char b[UTF8_MAX];
    out_bytes(o, b, utf8_encode(cp, b));
}

/* What follows an introducer (ESC x, or its C1 form). */
enum seq {
    SEQ_NONE,
    SEQ_CSI,    /* ESC [  or U+009B */
    SEQ_OSC,    /* ESC ]  or U+009D: ends at BEL or ST */
    SEQ_STRING, /* ESC P, X, ^, _ or U+0090, 98, 9E, 9F: ends at ST */
};

static enum seq seq_of_c1(int32_t cp)
{
    switch (cp) {
    case 0x9b:
        return SEQ_CSI;
    case 0x9d:
        return SEQ_OSC;
    case 0x90:
    case 0x98:
    case 0x9e:
    case 0x9f:
        return SEQ_STRING;
    default:
        return SEQ_NONE;
    }
}

/* Skips the body of a CSI from s[i]: parameter bytes 0x30-0x3F, intermediate
 * bytes 0x20-0x2F, one final byte 0x40-0x7E. A byte that fits none of these
 * ends the (malformed) sequence and is left to be shown on its own. */
static size_t skip_csi(const unsigned char *s, size_t len, size_t i)
{
    while (i < len && s[i] >= 0x30 && s[i] <= 0x3f)
        i++;
    while (i < len && s[i] >= 0x20 && s[i] <= 0x2f)
        i++;
    if (i < len && s[i] >= 0x40 && s[i] <= 0x7e)
        i++;
    return i;
}

/* Skips a control string from s[i] up to and including its terminator: ST
 * (ESC \ or U+009C), BEL for OSC, or CAN/SUB which abort a sequence on a
 * terminal. An ESC not followed by '\' also ends the string (as it does on a
 * terminal) and is left to start the next sequence. Unterminated strings run
 * to the end of the input. */
static size_t skip_string(const unsigned char *s, size_t len, size_t i, bool bel_ends)
{
    for (; i < len; i++) {
        unsigned char b = s[i];
        if ((b == BEL && bel_ends) || b == CAN || b == SUB)
            return i + 1;
        if (b == 0xc2 && i + 1 < len && s[i + 1] == 0x9c)
            return i + 2;
        if (b == ESC) {
            if (i + 1 < len && s[i + 1] == '\\')
                return i + 2;
            if (i + 1 >= len)
                return len;
            return i;
        }
    }
    return len;
}

static size_t skip_seq(const unsigned char *s, size_t len, size_t i, enum seq kind)
{
    switch (kind) {
    case SEQ_CSI:
        return skip_csi(s, len, i);
    case SEQ_OSC:
        return skip_string(s, len, i, true);
    case SEQ_STRING:
        return skip_string(s, len, i, false);
    case SEQ_NONE:
        break;
    }
    return i;
}

/* Handles what follows an ESC at s[i - 1]; returns where to resume. */
static size_t skip_escape(const unsigned char *s, size_t len, size_t i)
{
    if (i >= len)
        return len; /* a lone ESC at the end */
    switch (s[i]) {
    case '[':
        return skip_seq(s, len, i + 1, SEQ_CSI);
    case ']':
        return skip_seq(s, len, i + 1, SEQ_OSC);
    case 'P':
    case 'X':
    case '^':
    case '_':
        return skip_seq(s, len, i + 1, SEQ_STRING);
    default:
        break;
    }
    /* ECMA-35 escape sequences: intermediates 0x20-0x2F (as in "ESC ( B")
     * then one final byte 0x30-0x7E; "ESC 7", "ESC c" have no intermediate. */
    size_t j = i;
    while (j < len && s[j] >= 0x20 && s[j] <= 0x2f)
        j++;
    if (j < len && s[j] >= 0x30 && s[j] <= 0x7e)
        return j + 1;
    /* Malformed: drop the ESC and what was consumed, show the rest. */
    return j;
}

static bool is_bidi_control(int32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t sanitize_text(char *dst, size_t cap, const char *src, size_t len)
{
    const unsigned char *s = (const unsigned char *)src;
    struct out o = {dst, cap, 0, false};
    size_t i = 0;

    while (i < len && !o.full) {
        unsigned char b = s[i];

        if (b == ESC) {
            i = skip_escape(s, len, i + 1);
        } else if (b == '\t') {
            out_bytes(&o, " ", 1);
            i++;
        } else if (b < 0x20) {
            out_cp(&o, PICTURE_BASE + b);
            i++;
        } else if (b == DEL) {
            out_cp(&o, PICTURE_BASE + 0x21);
            i++;
        } else if (b < 0x80) {
            out_bytes(&o, &b, 1);
            i++;
        } else {
            int32_t cp;
            size_t n = utf8_decode(src + i, len - i, &cp);
            if (cp < 0 || is_bidi_control(cp)) {
                out_cp(&o, UTF8_REPLACEMENT);
                i += n;
            } else if (cp >= 0x80 && cp <= 0x9f) {
                enum seq kind = seq_of_c1(cp);
                if (kind == SEQ_NONE)
                    out_cp(&o, UTF8_REPLACEMENT);
                i = skip_seq(s, len, i + n, kind);
            } else {
                out_bytes(&o, s + i, n);
                i += n;
            }
        }
    }
    if (cap > 0)
        dst[o.len] = '\0';
    return o.len;
}

/* What a terminal shows as blank columns: the space, the other Unicode
 * spaces (Zs) and the fillers that fonts draw as nothing. */
static bool is_blank_cp(int32_t cp)
{
    return cp == ' ' || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
           cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x2800 ||
           cp == 0x3000 || cp == 0x115f || cp == 0x1160 || cp == 0x3164 || cp == 0xffa0;
}

/* Takes no column at all (Unicode's default-ignorable code points): between
 * blanks it must not end their run, or " \u200b \u200b ..." would pad. */
static bool is_invisible_cp(int32_t cp)
{
    return cp == 0xad || cp == 0x34f || cp == 0x61c || cp == 0x17b4 || cp == 0x17b5 ||
           (cp >= 0x180b && cp <= 0x180f) || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
           (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff || (cp >= 0xfff0 && cp <= 0xfff8) ||
           (cp >= 0x1bca0 && cp <= 0x1bca3) || (cp >= 0x1d173 && cp <= 0x1d17a) ||
           (cp >= 0xe0000 && cp <= 0xe0fff);
}

size_t sanitize_blank_runs(char *s, size_t len)
{
    size_t r = 0, w = 0;

    while (r < len) {
        /* A run: blanks and invisible characters, from a blank on. */
        size_t start = r, blanks = 0, end = r;
        while (end < len) {
            int32_t cp;
            size_t n = utf8_decode(s + end, len - end, &cp);
            if (is_blank_cp(cp))
                blanks++;
            else if (!(blanks > 0 && is_invisible_cp(cp)))
                break;
            end += n;
        }
        if (blanks > BLANK_RUN_MAX) {
            memset(s + w, ' ', BLANK_RUN_MAX);
            w += BLANK_RUN_MAX;
            r = end;
            continue;
        }
        if (end == start) { /* not a blank: copied as it is */
            int32_t cp;
            end = start + utf8_decode(s + start, len - start, &cp);
        }
        memmove(s + w, s + start, end - start);
        w += end - start;
        r = end;
    }
    if (w < len)
        s[w] = '\0';
    return w;
}

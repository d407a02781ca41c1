/* text: UTF-8 decoding, widths and word wrap (see text.h). */
#define _XOPEN_SOURCE 700
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <wchar.h>

static bool display_ascii;

void text_set_ascii(bool ascii)
{
    display_ascii = ascii;
}

bool text_ascii(void)
{
    return display_ascii;
}

size_t text_decode(const char *s, size_t len, uint32_t *cp)
{
    int32_t c;
    size_t n = utf8_decode(s, len, &c);
    if (c < 0) {
        /* One U+FFFD per bad byte, as before proto had the decoder:
         * foreign.c counts bad bytes one by one, and the view and the
         * edit line step over bad input a byte at a time. */
        *cp = TEXT_REPLACEMENT;
        return 1;
    }
    *cp = (uint32_t)c;
    return n;
}

size_t text_encode(uint32_t cp, char *out)
{
    return utf8_encode(cp, out);
}

int text_cp_width(uint32_t cp)
{
    if (display_ascii || cp < 0x80)
        return 1;
    int w = wcwidth((wchar_t)cp);
    if (w < 0)
        return 1;
    return w > 2 ? 2 : w;
}

size_t text_width(const char *s, size_t len)
{
    size_t cols = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += text_decode(s + i, len - i, &cp);
        cols += (size_t)text_cp_width(cp);
    }
    return cols;
}

size_t text_fit(const char *s, size_t len, size_t cols)
{
    size_t used = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = text_decode(s + i, len - i, &cp);
        size_t w = (size_t)text_cp_width(cp);
        if (used + w > cols)
            break;
        used += w;
        i += n;
    }
    return i;
}

size_t text_wrap(const char *s, size_t len, size_t width, size_t indent, size_t *starts, size_t max)
{
    size_t rows = 0;
    size_t pos = 0;

    if (width < 1)
        width = 1;
    if (indent + 1 > width)
        indent = width - 1;

    for (;;) {
        size_t avail = rows == 0 ? width : width - indent;
        if (rows < max)
            starts[rows] = pos;
        rows++;

        /* Walk as far as the row allows, remembering the last blank. */
        size_t cols = 0, i = pos, brk = 0;
        bool have_brk = false;
        while (i < len) {
            uint32_t cp;
            size_t n = text_decode(s + i, len - i, &cp);
            size_t w = (size_t)text_cp_width(cp);
            if (cols + w > avail)
                break;
            cols += w;
            i += n;
            if (cp == ' ') {
                brk = i;
                have_brk = true;
            }
        }
        if (i >= len)
            return rows;
        /* A word that would straddle the edge moves to the next row, unless
         * it would not fit there either (then it is cut where this row ends). */
        size_t next = i;
        if (have_brk && s[i] != ' ') {
            size_t wcols = 0;
            for (size_t k = brk; k < len && s[k] != ' ' && wcols <= width - indent;) {
                uint32_t cp;
                k += text_decode(s + k, len - k, &cp);
                wcols += (size_t)text_cp_width(cp);
            }
            if (wcols <= width - indent)
                next = brk;
        }
        if (next == pos) {
            /* Not even one character fits (a wide one in one column): take
             * it anyway so the loop always advances. */
            uint32_t cp;
            next = pos + text_decode(s + pos, len - pos, &cp);
        }
        while (next < len && s[next] == ' ')
            next++;
        if (next >= len)
            return rows;
        pos = next;
    }
}

unsigned text_nick_colour(const char *nick, unsigned n)
{
    /* FNV-1a over the lower-cased nick: cheap and well spread. */
    uint32_t h = 2166136261u;
    for (const char *p = nick; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        h ^= c;
        h *= 16777619u;
    }
    return n ? h % n : 0;
}

size_t text_appendf(char *buf, size_t cap, size_t len, const char *fmt, ...)
{
    if (len >= cap)
        return len;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
    if (w < 0)
        return len;
    return (size_t)w < cap - len ? len + (size_t)w : cap - 1;
}

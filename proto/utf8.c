/* utf8: decoding, encoding and character boundaries (see utf8.h). */
#include "utf8.h"

#include <string.h>

size_t utf8_decode(const char *s, size_t len, int32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char b = u[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the 2nd byte */
    int32_t c;

    *cp = -1;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
        need = 1;
        c = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        c = b & 0x0f;
        if (b == 0xe0)
            lo = 0xa0; /* overlong */
        else if (b == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        c = b & 0x07;
        if (b == 0xf0)
            lo = 0x90; /* overlong */
        else if (b == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 1; /* continuation byte, C0/C1 overlong lead, F5..FF */
    }

    /* Checking the second byte's range up front is what makes a bad run
     * "maximal": E0 80 is two bad subparts, not one. */
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= len)
            return i; /* truncated: the whole prefix is one bad subpart */
        unsigned char t = u[i];
        if (i == 1 ? (t < lo || t > hi) : (t < 0x80 || t > 0xbf))
            return i;
        c = (c << 6) | (t & 0x3f);
    }
    *cp = c;
    return i;
}

size_t utf8_encode(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

size_t utf8_valid_prefix(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        int32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp < 0)
            break;
        i += n;
    }
    return i;
}

void utf8_cut(char *s)
{
    s[utf8_valid_prefix(s, strlen(s))] = '\0';
}

size_t utf8_boundary(const char *s, size_t len, size_t max)
{
    if (max >= len)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

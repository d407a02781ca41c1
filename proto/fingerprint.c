/* fingerprint: see fingerprint.h. */
#include "fingerprint.h"

#include <string.h>

void fp_format(const unsigned char sha[FP_BYTES], char out[FP_TEXT_SIZE])
{
    static const char hex[] = "0123456789ABCDEF";
    char *o = out;
    for (int i = 0; i < FP_BYTES; i++) {
        *o++ = hex[sha[i] >> 4];
        *o++ = hex[sha[i] & 15];
        *o++ = i + 1 < FP_BYTES ? ':' : '\0';
    }
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

int fp_parse(const char *text, unsigned char sha[FP_BYTES])
{
    unsigned char out[FP_BYTES];
    const char *p = text;
    while (is_blank(*p))
        p++;
    for (int i = 0; i < FP_BYTES; i++) {
        if (i > 0 && *p == ':')
            p++;
        int hi = hexval(p[0]);
        int lo = hi < 0 ? -1 : hexval(p[1]);
        if (lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
        p += 2;
    }
    while (is_blank(*p))
        p++;
    if (*p != '\0')
        return -1;
    memcpy(sha, out, sizeof out);
    return 0;
}

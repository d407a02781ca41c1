/* mention: a nick as a word of its own in a line. */
#include "mention.h"

#include <string.h>

static bool nick_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

static unsigned char lower(unsigned char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch;
}

static bool same_at(const unsigned char *t, const unsigned char *n, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (lower(t[i]) != lower(n[i]))
            return false;
    return true;
}

long mention_find(const char *text, const char *nick)
{
    const unsigned char *t = (const unsigned char *)text;
    const unsigned char *n = (const unsigned char *)nick;
    size_t tlen = strlen(text), nlen = strlen(nick);

    if (nlen == 0 || nlen > tlen)
        return -1;
    for (size_t i = 0; i + nlen <= tlen; i++) {
        if (i > 0 && nick_char(t[i - 1]))
            continue;
        if (i + nlen < tlen && nick_char(t[i + nlen]))
            continue;
        if (same_at(t + i, n, nlen))
            return (long)i;
    }
    return -1;
}

/* secret: the password prompt's line and a wipe that stays (see secret.h). */
#include "secret.h"

#include <string.h>

#include "utf8.h"

/* Called through a volatile pointer, the compiler cannot know it is memset
 * and drop the call as a dead store (C11 has no memset_s everywhere, and
 * explicit_bzero is not in every libc). */
static void *(*volatile secret_memset)(void *, int, size_t) = memset;

void secret_wipe(void *p, size_t n)
{
    secret_memset(p, 0, n);
}

bool secret_insert(struct secret *s, const char *text, size_t len)
{
    if (len > SECRET_MAX - s->len)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch < 0x20 || ch == 0x7f)
            return false;
    }
    memcpy(s->buf + s->len, text, len);
    s->len += len;
    s->buf[s->len] = '\0';
    return true;
}

void secret_backspace(struct secret *s)
{
    if (s->len == 0)
        return;
    /* The last character starts where a cut before its last byte lands. */
    size_t n = utf8_boundary(s->buf, s->len, s->len - 1);
    secret_wipe(s->buf + n, s->len - n);
    s->len = n;
}

size_t secret_chars(const struct secret *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->len; i++)
        n += ((unsigned char)s->buf[i] & 0xC0) != 0x80;
    return n;
}

void secret_clear(struct secret *s)
{
    secret_wipe(s->buf, sizeof(s->buf));
    s->len = 0;
}

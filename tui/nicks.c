/* nicks: the nicks seen in the room, for Tab completion, and the making
 * of a wire-safe nick out of a user name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "chat_internal.h"

static ssize_t nick_find(const struct chat *c, const char *nick)
{
    for (size_t i = 0; i < c->nnicks; i++)
        if (strcasecmp(c->nicks[i], nick) == 0)
            return (ssize_t)i;
    return -1;
}

void chat_nick_add(struct chat *c, const char *nick)
{
    if (!nick_valid(nick, strlen(nick)) || nick_find(c, nick) >= 0)
        return;
    if (c->nnicks == CHAT_NICKS_MAX) {
        free(c->nicks[0]);
        memmove(c->nicks, c->nicks + 1, (CHAT_NICKS_MAX - 1) * sizeof(char *));
        c->nnicks--;
    }
    char *copy = strdup(nick);
    if (copy)
        c->nicks[c->nnicks++] = copy;
}

void chat_nick_remove(struct chat *c, const char *nick)
{
    ssize_t i = nick_find(c, nick);
    if (i < 0)
        return;
    free(c->nicks[i]);
    memmove(c->nicks + i, c->nicks + i + 1, (c->nnicks - (size_t)i - 1) * sizeof(char *));
    c->nnicks--;
}

void chat_clean_nick(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n < NICK_MAX && n + 1 < cap; p++) {
        char ch = *p;
        if (((unsigned char)ch & 0xC0) == 0x80)
            continue; /* one '_' per character, not per UTF-8 byte */
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (n == 0 && !alnum)
            continue; /* a nick starts with a letter or digit (nick_valid) */
        out[n++] = alnum || ch == '_' || ch == '-' ? ch : '_';
    }
    if (n == 0)
        snprintf(out, cap, "guest");
    else
        out[n] = '\0';
}

/* ignore: the nicks hidden from the log (see ignore.h). */
#include "ignore.h"

#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "cmd.h"
#include "text.h"

void ignore_init(struct ignore *ig)
{
    memset(ig, 0, sizeof(*ig));
}

static ssize_t ignore_index(const struct ignore *ig, const char *nick)
{
    for (size_t i = 0; i < ig->n; i++)
        if (nick_same(ig->nick[i], nick))
            return (ssize_t)i;
    return -1;
}

enum ignore_result ignore_add(struct ignore *ig, const char *nick)
{
    size_t len = strlen(nick);
    if (len == 0 || len > NICK_MAX || !nick_valid(nick, len))
        return IGNORE_BAD_NICK;
    if (ignore_index(ig, nick) >= 0)
        return IGNORE_ALREADY;
    if (ig->n == IGNORE_MAX)
        return IGNORE_FULL;
    memcpy(ig->nick[ig->n++], nick, len + 1);
    return IGNORE_OK;
}

enum ignore_result ignore_remove(struct ignore *ig, const char *nick)
{
    ssize_t i = ignore_index(ig, nick);
    if (i < 0)
        return IGNORE_ALREADY;
    memmove(ig->nick[i], ig->nick[i + 1], sizeof(ig->nick[0]) * (ig->n - (size_t)i - 1));
    ig->n--;
    return IGNORE_OK;
}

bool ignore_has(const struct ignore *ig, const char *nick)
{
    return ignore_index(ig, nick) >= 0;
}

void ignore_rename(struct ignore *ig, const char *from, const char *to)
{
    ssize_t i = ignore_index(ig, from);
    size_t len = strlen(to);
    if (i < 0 || len == 0 || len > NICK_MAX || !nick_valid(to, len))
        return;
    ssize_t dup = ignore_index(ig, to);
    if (dup >= 0 && dup != i) {
        ignore_remove(ig, from); /* both names were ignored: one entry is enough */
        return;
    }
    memcpy(ig->nick[i], to, len + 1);
}

size_t ignore_list(const struct ignore *ig, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < ig->n; i++)
        len = text_appendf(buf, cap, len, "%s%s", i ? ", " : "", ig->nick[i]);
    return len;
}

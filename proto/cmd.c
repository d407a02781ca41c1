/* cmd: "/name args" splitting and nickname rules. Pure, no allocation, and
 * ASCII-only case folding so the locale cannot change what a command is. */
#include "cmd.h"

#include <string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool cmd_parse(const char *line, struct cmd *c)
{
    if (line[0] != '/' || !is_alpha(line[1]))
        return false;
    const char *p = line + 1;
    size_t n = 0;
    while (p[n] != '\0' && !is_blank(p[n]))
        n++;
    c->name = p;
    c->name_len = n;
    p += n;
    while (is_blank(*p))
        p++;
    c->args = p;
    return true;
}

bool cmd_is(const struct cmd *c, const char *name)
{
    size_t n = strlen(name);

    if (n != c->name_len)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower(c->name[i]) != ascii_lower(name[i]))
            return false;
    }
    return true;
}

bool cmd_is_exit(const char *line)
{
    static const char word[] = "exit";
    while (is_blank(*line))
        line++;
    for (size_t i = 0; i < sizeof word - 1; i++, line++)
        if (ascii_lower(*line) != word[i])
            return false;
    while (is_blank(*line))
        line++;
    return *line == '\0';
}

bool cmd_next_word(const char **args, const char **word, size_t *len)
{
    const char *p = *args;

    while (is_blank(*p))
        p++;
    if (*p == '\0') {
        *args = p;
        return false;
    }
    const char *start = p;
    while (*p != '\0' && !is_blank(*p))
        p++;
    *word = start;
    *len = (size_t)(p - start);
    while (is_blank(*p))
        p++;
    *args = p;
    return true;
}

bool nick_valid(const char *nick, size_t len)
{
    if (len == 0 || len > NICK_MAX)
        return false;
    /* A leading '-' or '_' would pass for the client's own markers ("--",
     * "-!-") at the start of a row. */
    if (!is_alpha(nick[0]) && !(nick[0] >= '0' && nick[0] <= '9'))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = nick[i];
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-')
            return false;
    }
    return true;
}

/* One representative per class of characters a reader cannot tell apart
 * at a glance: I, l and 1 (and i, I's lower case); O and 0; '-' and '_'. */
static char skeleton_char(char c)
{
    c = ascii_lower(c);
    switch (c) {
    case 'i':
    case '1':
        return 'l';
    case '0':
        return 'o';
    case '-':
        return '_';
    default:
        return c;
    }
}

size_t nick_skeleton(const char *nick, size_t len, char *out, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    size_t i = 0;
    while (i < len && skeleton_char(nick[i]) == '_')
        i++;
    for (; i < len && n + 1 < cap; i++)
        out[n++] = skeleton_char(nick[i]);
    while (n > 0 && out[n - 1] == '_')
        n--;
    out[n] = '\0';
    return n;
}

bool nick_reserved(const char *nick)
{
    /* On the skeleton: "guestl2" looks like guest12, which the server may
     * hand out any time. Digits of a skeleton are 2-9, 'l' (1) and 'o' (0). */
    char skel[NICK_SKELETON_CAP];
    nick_skeleton(nick, strlen(nick), skel, sizeof skel);
    if (strncmp(skel, "guest", 5) != 0 || skel[5] == '\0')
        return false;
    return skel[5 + strspn(skel + 5, "23456789lo")] == '\0';
}

static size_t bounded_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0')
        n++;
    return n;
}

bool nick_same(const char *a, const char *b)
{
    char sa[NICK_SKELETON_CAP], sb[NICK_SKELETON_CAP];
    nick_skeleton(a, bounded_len(a, NICK_MAX + 1), sa, sizeof sa);
    nick_skeleton(b, bounded_len(b, NICK_MAX + 1), sb, sizeof sb);
    return strcmp(sa, sb) == 0;
}

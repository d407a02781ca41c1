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
    for (size_t i = 0; i < len; i++) {
        char c = nick[i];
        if (!is_alpha(c) && !(c >= '0' && c <= '9') && c != '_' && c != '-')
            return false;
    }
    return true;
}

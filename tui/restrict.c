/* restrict: the nick of a restricted session from the key that logged in
 * (see restrict.h for why the key's comment). */
#include "restrict.h"

#include <string.h>

#include "cmd.h"

static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* The next blank-separated word of the line [*p, end): sets *w and *n,
 * moves *p past it. False at the end of the line. */
static bool line_word(const char **p, const char *end, const char **w, size_t *n)
{
    const char *s = *p;
    while (s < end && is_blank(*s))
        s++;
    if (s == end)
        return false;
    const char *e = s;
    while (e < end && !is_blank(*e))
        e++;
    *w = s;
    *n = (size_t)(e - s);
    *p = e;
    return true;
}

static bool word_is(const char *w, size_t n, const char *s, size_t sn)
{
    return n == sn && memcmp(w, s, n) == 0;
}

/* In the authorized_keys line [p, end), the comment after the key blob
 * (the word after the word type): sets *c and *cn. False when the line
 * does not hold that key. Options before the type are skipped as words:
 * only the teacher writes this file. */
static bool keys_line_comment(const char *p, const char *end, const char *type, size_t tn,
                              const char *blob, size_t bn, const char **c, size_t *cn)
{
    const char *w, *prev = NULL;
    size_t n, prevn = 0;
    while (line_word(&p, end, &w, &n)) {
        if (prev && word_is(prev, prevn, type, tn) && word_is(w, n, blob, bn)) {
            *cn = 0;
            if (line_word(&p, end, c, cn))
                return true;
            *c = p;
            return true;
        }
        prev = w;
        prevn = n;
    }
    return false;
}

/* The nick in a comment's first word, up to an '@'. */
static bool comment_nick(const char *c, size_t cn, char *nick, size_t cap)
{
    const char *at = memchr(c, '@', cn);
    size_t n = at ? (size_t)(at - c) : cn;
    if (n == 0 || n >= cap || !nick_valid(c, n))
        return false;
    memcpy(nick, c, n);
    nick[n] = '\0';
    return true;
}

static bool keys_find(const char *keys, const char *type, size_t tn, const char *blob, size_t bn,
                      char *nick, size_t cap)
{
    for (const char *line = keys; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        const char *c;
        size_t cn;
        if (line[0] != '#' && keys_line_comment(line, end, type, tn, blob, bn, &c, &cn))
            return comment_nick(c, cn, nick, cap);
        line = *end ? end + 1 : end;
    }
    return false;
}

bool restrict_nick_from_keys(const char *auth_info, const char *keys, char *nick, size_t cap)
{
    for (const char *line = auth_info; *line;) {
        const char *end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        const char *p = line, *m, *type, *blob;
        size_t mn, tn, bn;
        if (line_word(&p, end, &m, &mn) && word_is(m, mn, "publickey", 9) &&
            line_word(&p, end, &type, &tn) && line_word(&p, end, &blob, &bn) &&
            keys_find(keys, type, tn, blob, bn, nick, cap))
            return true;
        line = *end ? end + 1 : end;
    }
    return false;
}

bool restrict_nick_ok(const char *typed)
{
    return nick_valid(typed, strlen(typed));
}

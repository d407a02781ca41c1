/* known: the known_servers model (see known.h). */
#include "known.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void known_init(struct known *k)
{
    memset(k, 0, sizeof(*k));
}

void known_free(struct known *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->line[i].text);
    free(k->line);
    known_init(k);
}

size_t known_key(const char *host, const char *port, char *out, size_t cap)
{
    bool v6 = strchr(host, ':') != NULL;
    if (host[0] == '\0' || port[0] == '\0')
        return 0;
    int n = snprintf(out, cap, "%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (n < 0 || (size_t)n >= cap)
        return 0;
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return (size_t)n;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* The next blank-separated word of s (advanced past it); false at the end. */
static bool next_word(const char **s, const char **w, size_t *wl)
{
    const char *p = *s;
    while (blank(*p))
        p++;
    if (*p == '\0')
        return false;
    *w = p;
    while (*p && !blank(*p))
        p++;
    *wl = (size_t)(p - *w);
    *s = p;
    return true;
}

/* "KEY SHA-256 FP" into l; false when the line is not that. */
static bool entry_read(struct known_line *l)
{
    const char *s = l->text, *w[3];
    size_t wl[3], extra_len;
    const char *extra;
    for (int i = 0; i < 3; i++)
        if (!next_word(&s, &w[i], &wl[i]))
            return false;
    if (next_word(&s, &extra, &extra_len) || wl[0] >= KNOWN_KEY_MAX ||
        wl[1] != strlen(KNOWN_LABEL) || strncmp(w[1], KNOWN_LABEL, wl[1]) != 0 ||
        wl[2] >= FP_TEXT_SIZE + 8)
        return false;
    char fp[FP_TEXT_SIZE + 8];
    memcpy(fp, w[2], wl[2]);
    fp[wl[2]] = '\0';
    if (fp_parse(fp, l->sha) < 0)
        return false;
    for (size_t i = 0; i < wl[0]; i++)
        l->key[i] = (char)tolower((unsigned char)w[0][i]);
    l->key[wl[0]] = '\0';
    /* HOST:PORT, the port last: anything else is no key of ours. */
    const char *colon = strrchr(l->key, ':');
    if (colon == NULL || colon == l->key || colon[1] == '\0')
        return false;
    l->entry = true;
    return true;
}

static int grow(struct known *k)
{
    if (k->n < k->cap)
        return 0;
    size_t cap = k->cap ? k->cap * 2 : 16;
    struct known_line *l = realloc(k->line, cap * sizeof(*l));
    if (l == NULL)
        return -1;
    k->line = l;
    k->cap = cap;
    return 0;
}

/* Appends a line (text copied); NULL when out of memory. */
static struct known_line *add_line(struct known *k, const char *text, size_t len)
{
    if (grow(k) < 0)
        return NULL;
    char *t = malloc(len + 1);
    if (t == NULL)
        return NULL;
    memcpy(t, text, len);
    t[len] = '\0';
    struct known_line *l = &k->line[k->n++];
    memset(l, 0, sizeof(*l));
    l->text = t;
    return l;
}

int known_parse(struct known *k, const char *data, size_t len, char *err, size_t errlen)
{
    known_init(k);
    if (memchr(data, '\0', len) != NULL) {
        snprintf(err, errlen, "a NUL byte in the file: not a text file");
        return -1;
    }
    size_t at = 0;
    while (at < len) {
        const char *lf = memchr(data + at, '\n', len - at);
        size_t ll = lf ? (size_t)(lf - (data + at)) : len - at;
        if (k->n == KNOWN_LINES_MAX) {
            snprintf(err, errlen, "more than %d lines", KNOWN_LINES_MAX);
            known_free(k);
            return -1;
        }
        struct known_line *l = add_line(k, data + at, ll);
        if (l == NULL) {
            snprintf(err, errlen, "out of memory");
            known_free(k);
            return -1;
        }
        const char *s = l->text;
        while (blank(*s))
            s++;
        if (*s != '\0' && *s != '#' && (ll >= KNOWN_LINE_MAX || !entry_read(l))) {
            k->bad++;
            if (k->first_bad == 0)
                k->first_bad = k->n;
        }
        at += ll + 1;
    }
    return 0;
}

size_t known_find(const struct known *k, const char *key, unsigned char sha[FP_BYTES])
{
    for (size_t i = 0; i < k->n; i++) {
        if (k->line[i].entry && strcmp(k->line[i].key, key) == 0) {
            if (sha)
                memcpy(sha, k->line[i].sha, FP_BYTES);
            return i + 1;
        }
    }
    return 0;
}

/* Writes key's entry line into l (its text replaced); -1 when out of memory. */
static int entry_make(struct known_line *l, const char *key, const unsigned char sha[FP_BYTES])
{
    char fp[FP_TEXT_SIZE];
    fp_format(sha, fp);
    size_t cap = strlen(key) + sizeof(KNOWN_LABEL) + FP_TEXT_SIZE + 2;
    char *t = malloc(cap);
    if (t == NULL)
        return -1;
    snprintf(t, cap, "%s %s %s", key, KNOWN_LABEL, fp);
    free(l->text);
    l->text = t;
    l->entry = true;
    snprintf(l->key, sizeof(l->key), "%s", key);
    memcpy(l->sha, sha, FP_BYTES);
    return 0;
}

size_t known_set(struct known *k, const char *key, const unsigned char sha[FP_BYTES])
{
    size_t first = 0;
    if (strlen(key) >= KNOWN_KEY_MAX)
        return 0;
    for (size_t i = 0; i < k->n; i++) {
        if (!k->line[i].entry || strcmp(k->line[i].key, key) != 0)
            continue;
        if (entry_make(&k->line[i], key, sha) < 0)
            return 0;
        if (first == 0)
            first = i + 1;
    }
    if (first)
        return first;
    struct known_line *l = add_line(k, "", 0);
    if (l == NULL || entry_make(l, key, sha) < 0) {
        if (l) {
            free(l->text);
            k->n--;
        }
        return 0;
    }
    return k->n;
}

size_t known_remove(struct known *k, const char *key)
{
    size_t out = 0, gone = 0;
    for (size_t i = 0; i < k->n; i++) {
        if (k->line[i].entry && strcmp(k->line[i].key, key) == 0) {
            free(k->line[i].text);
            gone++;
            continue;
        }
        k->line[out++] = k->line[i];
    }
    k->n = out;
    return gone;
}

char *known_format(const struct known *k, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < k->n; i++)
        total += strlen(k->line[i].text) + 1;
    char *out = malloc(total + 1);
    if (out == NULL)
        return NULL;
    size_t at = 0;
    for (size_t i = 0; i < k->n; i++) {
        size_t l = strlen(k->line[i].text);
        memcpy(out + at, k->line[i].text, l);
        out[at + l] = '\n';
        at += l + 1;
    }
    out[at] = '\0';
    *len = at;
    return out;
}

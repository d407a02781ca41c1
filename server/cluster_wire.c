/* cluster_wire: the cluster's URL, node names and stream entries, as
 * text. Pure: the Redis calls are in cluster.c and cluster_tail.c. */
#include "cluster.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool key_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-' || ch == ':';
}

static bool key_word(const char *s, size_t len, size_t max)
{
    if (len == 0 || len >= max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!key_char(s[i]))
            return false;
    return true;
}

bool cluster_node_valid(const char *s)
{
    return key_word(s, strlen(s), CLUSTER_NODE_MAX);
}

int cluster_url_parse(const char *s, struct cluster_url *u, char *err, size_t ecap)
{
    static const char scheme[] = "redis://";
    memset(u, 0, sizeof *u);
    if (strncmp(s, scheme, sizeof scheme - 1) != 0) {
        snprintf(err, ecap, "%s: not redis://HOST:PORT[/PREFIX]", s);
        return -1;
    }
    const char *h = s + sizeof scheme - 1, *hend, *p;
    if (*h == '[') {
        hend = strchr(h, ']');
        if (hend == NULL || hend[1] != ':') {
            snprintf(err, ecap, "%s: an IPv6 address is [ADDR]:PORT", s);
            return -1;
        }
        p = hend + 2;
        h++;
    } else {
        hend = strchr(h, ':');
        if (hend == NULL) {
            snprintf(err, ecap, "%s: no :PORT", s);
            return -1;
        }
        p = hend + 1;
    }
    size_t hlen = (size_t)(hend - h);
    if (hlen == 0 || hlen >= sizeof u->host || memchr(h, '/', hlen) != NULL ||
        memchr(h, '@', hlen) != NULL) {
        snprintf(err, ecap, "%s: a host name or address, without user or password", s);
        return -1;
    }
    memcpy(u->host, h, hlen);
    char *end;
    errno = 0;
    unsigned long port = strtoul(p, &end, 10);
    if (end == p || errno != 0 || port == 0 || port > 65535 || (*end != '\0' && *end != '/') ||
        *p == '-' || *p == '+') {
        snprintf(err, ecap, "%s: the port is 1-65535", s);
        return -1;
    }
    u->port = (unsigned)port;
    const char *prefix = *end == '/' ? end + 1 : "";
    if (*prefix == '\0')
        prefix = CLUSTER_PREFIX_DEFAULT;
    if (!key_word(prefix, strlen(prefix), sizeof u->prefix)) {
        snprintf(err, ecap, "%s: the prefix is 1-%zu of A-Z a-z 0-9 . _ : -", s,
                 sizeof u->prefix - 1);
        return -1;
    }
    snprintf(u->prefix, sizeof u->prefix, "%s", prefix);
    return 0;
}

static const char *const KIND_NAMES[CE_KIND_COUNT] = {
    [CE_CHAT] = "chat", [CE_ACTION] = "action", [CE_JOIN] = "join", [CE_LEAVE] = "leave",
    [CE_NICK] = "nick", [CE_PRIV] = "priv",     [CE_MOD] = "mod",
};

static void field(const char **argv, size_t *lens, unsigned *n, const char *name, const char *val,
                  size_t len)
{
    argv[*n] = name;
    lens[(*n)++] = strlen(name);
    argv[*n] = val;
    lens[(*n)++] = len;
}

void centry_fields(const struct centry *e, const char **argv, size_t *lens, unsigned *n,
                   char num[64])
{
    *n = 0;
    field(argv, lens, n, "k", KIND_NAMES[e->kind], strlen(KIND_NAMES[e->kind]));
    field(argv, lens, n, "n", e->node, strlen(e->node));
    int k = snprintf(num, 64, "%" PRIu64, e->conn);
    field(argv, lens, n, "c", num, (size_t)k);
    int l = snprintf(num + k + 1, (size_t)(64 - k - 1), "%" PRId64, e->time);
    field(argv, lens, n, "w", num + k + 1, (size_t)l);
    if (e->room[0] != '\0')
        field(argv, lens, n, "r", e->room, strlen(e->room));
    if (e->nick[0] != '\0')
        field(argv, lens, n, "f", e->nick, strlen(e->nick));
    if (e->nick2[0] != '\0')
        field(argv, lens, n, "t", e->nick2, strlen(e->nick2));
    if (e->text[0] != '\0')
        field(argv, lens, n, "x", e->text, strlen(e->text));
}

/* Copies a field into dst (cap bytes with its NUL); false when it does not
 * fit or holds a NUL (a field of ours never does). */
static bool take(char *dst, size_t cap, const char *s, size_t len)
{
    if (len >= cap || memchr(s, '\0', len) != NULL)
        return false;
    memcpy(dst, s, len);
    dst[len] = '\0';
    return true;
}

static bool take_num(const char *s, size_t len, bool sign, int64_t *out)
{
    char buf[24];
    if (len == 0 || !take(buf, sizeof buf, s, len))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (*end != '\0' || errno != 0 || (!sign && v < 0))
        return false;
    *out = v;
    return true;
}

int centry_parse(struct centry *e, unsigned n, const char *const *argv, const size_t *lens)
{
    memset(e, 0, sizeof *e);
    if (n % 2 != 0)
        return -1;
    for (unsigned i = 0; i < n; i += 2) {
        if (lens[i] != 1)
            continue; /* a field a later version added */
        const char *v = argv[i + 1];
        size_t len = lens[i + 1];
        int64_t num;
        bool ok = true;
        switch (argv[i][0]) {
        case 'k':
            for (int k = CE_CHAT; k < CE_KIND_COUNT; k++)
                if (strlen(KIND_NAMES[k]) == len && memcmp(KIND_NAMES[k], v, len) == 0)
                    e->kind = (enum centry_kind)k;
            break;
        case 'n':
            ok = take(e->node, sizeof e->node, v, len);
            break;
        case 'c':
            ok = take_num(v, len, false, &num);
            e->conn = ok ? (uint64_t)num : 0;
            break;
        case 'w':
            ok = take_num(v, len, true, &num);
            e->time = ok ? num : 0;
            break;
        case 'r':
            ok = take(e->room, sizeof e->room, v, len);
            break;
        case 'f':
            ok = take(e->nick, sizeof e->nick, v, len);
            break;
        case 't':
            ok = take(e->nick2, sizeof e->nick2, v, len);
            break;
        case 'x':
            ok = take(e->text, sizeof e->text, v, len);
            break;
        default:
            break;
        }
        if (!ok)
            return -1;
    }
    if (e->kind == CE_NONE || e->node[0] == '\0')
        return -1;
    return 0;
}

static void id_split(const char *s, unsigned long long *ms, unsigned long long *seq)
{
    char *end;
    *ms = strtoull(s, &end, 10);
    *seq = *end == '-' ? strtoull(end + 1, NULL, 10) : 0;
}

int cluster_id_cmp(const char *a, const char *b)
{
    unsigned long long am, as, bm, bs;
    id_split(a, &am, &as);
    id_split(b, &bm, &bs);
    if (am != bm)
        return am < bm ? -1 : 1;
    return as < bs ? -1 : as > bs;
}

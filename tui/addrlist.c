/* addrlist: see addrlist.h. */
#include "addrlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostport.h"

static bool port_valid(const char *p)
{
    char *end;
    long v = strtol(p, &end, 10);
    return p[0] >= '0' && p[0] <= '9' && *end == '\0' && v > 0 && v < 65536;
}

/* One element, blanks around it trimmed (a list pasted as "a:1, b:2"). */
static int entry_parse(struct addr_entry *e, const char *s, size_t len, const char *default_port,
                       char *err, size_t errlen)
{
    while (len > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, len--;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len == 0) {
        snprintf(err, errlen, "an empty address in the list (two commas, or one at an end)");
        return -1;
    }
    e->tls = len > 6 && strncasecmp(s, "tls://", 6) == 0;
    if (e->tls)
        s += 6, len -= 6;
    char one[ADDRLIST_TEXT_MAX];
    memcpy(one, s, len);
    one[len] = '\0';
    int hp = hostport_split(one, e->host, sizeof(e->host), e->port, sizeof(e->port));
    if (hp < 0) {
        snprintf(err, errlen, "bad address %.300s: want HOST, HOST:PORT or [IPV6]:PORT", one);
        return -1;
    }
    if (hp == 0) {
        if (strlen(default_port) >= sizeof(e->port)) {
            snprintf(err, errlen, "bad port %.20s: want 1-65535", default_port);
            return -1;
        }
        memcpy(e->port, default_port, strlen(default_port) + 1);
    }
    if (!port_valid(e->port)) {
        snprintf(err, errlen, "bad port %s in %.300s: want 1-65535", e->port, one);
        return -1;
    }
    e->naddr = 0;
    return 0;
}

int addrlist_parse(struct addrlist *l, const char *spec, const char *default_port, char *err,
                   size_t errlen)
{
    memset(l, 0, sizeof(*l));
    size_t len = strlen(spec);
    if (len >= ADDRLIST_TEXT_MAX) {
        snprintf(err, errlen, "the address list is longer than %d bytes", ADDRLIST_TEXT_MAX - 1);
        return -1;
    }
    const char *s = spec;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t elen = comma ? (size_t)(comma - s) : strlen(s);
        if (l->n == ADDRLIST_MAX) {
            snprintf(err, errlen, "more than %d addresses in the list", ADDRLIST_MAX);
            l->n = 0;
            return -1;
        }
        if (entry_parse(&l->e[l->n], s, elen, default_port, err, errlen) < 0) {
            l->n = 0;
            return -1;
        }
        l->n++;
        if (comma == NULL)
            return 0;
        s = comma + 1;
    }
}

const struct addr_entry *addrlist_current(const struct addrlist *l)
{
    return &l->e[l->cur];
}

unsigned addrlist_total(const struct addrlist *l)
{
    unsigned t = 0;
    for (unsigned i = 0; i < l->n; i++)
        t += l->e[i].naddr > 1 ? l->e[i].naddr : 1;
    return t;
}

void addrlist_connected(struct addrlist *l, unsigned sub, unsigned naddr)
{
    l->e[l->cur].naddr = naddr;
    l->sub = naddr ? sub % naddr : 0;
}

/* Counts n more failed addresses; true (and a new round) when every
 * address has failed since the last good connection. */
static bool count_failed(struct addrlist *l, unsigned n)
{
    l->failed += n;
    if (l->failed < addrlist_total(l))
        return false;
    l->failed = 0;
    return true;
}

bool addrlist_failed(struct addrlist *l, unsigned naddr)
{
    if (l->n == 0)
        return true;
    if (naddr > 0)
        l->e[l->cur].naddr = naddr;
    l->cur = (l->cur + 1) % l->n;
    l->sub = 0;
    return count_failed(l, naddr > 1 ? naddr : 1);
}

bool addrlist_lost(struct addrlist *l, bool greeted)
{
    if (l->n == 0)
        return true;
    if (l->sub + 1 < l->e[l->cur].naddr) {
        l->sub++;
    } else {
        l->cur = (l->cur + 1) % l->n;
        l->sub = 0;
    }
    if (greeted) {
        l->failed = 0;
        return false;
    }
    return count_failed(l, 1);
}

size_t addrlist_format(const struct addr_entry *e, char *buf, size_t cap)
{
    bool v6 = strchr(e->host, ':') != NULL;
    int n = snprintf(buf, cap, "%s%s%s:%s", v6 ? "[" : "", e->host, v6 ? "]" : "", e->port);
    if (n < 0 || cap == 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

/* access: who may connect (--allow) and who may talk (--password). What is
 * remembered per address (failed logins, connections) is peers.c's; the
 * operator's bans are moderation.c's. */
#include "server.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/* An IPv4 address in IPv6 clothing (::ffff:a.b.c.d, a dual-stack socket's
 * view of a v4 peer) is the IPv4 address: peers are shown and matched so
 * (net_format), and a ban typed either way must hold the same people. */
static void cidr_unmap(struct cidr *c)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (c->family != 6 || c->bits < 96 || memcmp(c->addr, prefix, sizeof prefix) != 0)
        return;
    memmove(c->addr, c->addr + 12, 4);
    memset(c->addr + 4, 0, 12);
    c->family = 4;
    c->bits -= 96;
}

int cidr_parse(const char *s, struct cidr *c)
{
    char host[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t hl = slash ? (size_t)(slash - s) : strlen(s);
    if (hl == 0 || hl >= sizeof host)
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    memset(c, 0, sizeof *c);
    if (inet_pton(AF_INET, host, c->addr) == 1) {
        c->family = 4;
        c->bits = 32;
    } else if (inet_pton(AF_INET6, host, c->addr) == 1) {
        c->family = 6;
        c->bits = 128;
    } else {
        return -1;
    }
    if (slash) {
        /* Digits only: strtoul would take "+8", " 8" and "-0". */
        const char *d = slash + 1;
        size_t nd = strspn(d, "0123456789");
        if (nd == 0 || nd > 3 || d[nd] != '\0')
            return -1;
        unsigned b = (unsigned)strtoul(d, NULL, 10);
        if (b > c->bits)
            return -1;
        c->bits = b;
    }
    cidr_unmap(c);
    return 0;
}

bool cidr_match(const struct cidr *c, const struct cidr *a)
{
    struct cidr mapped;
    if (c->family == 6 && a->family == 4) {
        /* An IPv6 network (::/0, ::ffff:0:0/95) can hold v4-mapped
         * addresses: compare the peer in that form. */
        memset(&mapped, 0, sizeof mapped);
        mapped.family = 6;
        mapped.bits = 128;
        mapped.addr[10] = mapped.addr[11] = 0xff;
        memcpy(mapped.addr + 12, a->addr, 4);
        a = &mapped;
    }
    if (c->family != a->family)
        return false;
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr, a->addr, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (c->addr[full] & mask) == (a->addr[full] & mask);
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
    return a->family == b->family && a->bits == b->bits && cidr_match(a, b);
}

void cidr_format(const struct cidr *c, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, host, sizeof host) == NULL)
        snprintf(host, sizeof host, "?");
    if (c->bits == (c->family == 4 ? 32u : 128u))
        snprintf(buf, cap, "%s", host);
    else
        snprintf(buf, cap, "%s/%u", host, c->bits);
}

int addr_parse(const char *addrport, struct cidr *out)
{
    char host[INET6_ADDRSTRLEN + 8];
    const char *p = addrport, *end;
    if (*p == '[') {
        p++;
        end = strchr(p, ']');
    } else {
        end = strrchr(p, ':');
    }
    if (end == NULL || (size_t)(end - p) >= sizeof host)
        return -1;
    memcpy(host, p, (size_t)(end - p));
    host[end - p] = '\0';
    return cidr_parse(host, out);
}

bool password_equal(const char *given, const char *want)
{
    /* Constant time in the secret: every byte of want is looked at, and a
     * length difference is folded in rather than returned early. */
    size_t gl = strlen(given), wl = strlen(want);
    /* A password is one word: blanks after it are not part of it (a typed
     * "/auth secret " must not fail for its trailing space). */
    while (gl > 0 && (given[gl - 1] == ' ' || given[gl - 1] == '\t'))
        gl--;
    unsigned char diff = (unsigned char)(gl != wl);
    for (size_t i = 0; i < wl; i++) {
        unsigned char g = i < gl ? (unsigned char)given[i] : 0;
        diff |= (unsigned char)(g ^ (unsigned char)want[i]);
    }
    return diff == 0;
}

void access_init(struct access *a, unsigned max_peers)
{
    memset(a, 0, sizeof *a);
    peers_init(&a->peers, max_peers);
}

void access_free(struct access *a)
{
    free(a->allow);
    peers_free(&a->peers);
}

int access_allow(struct access *a, const char *cidr)
{
    struct cidr c;
    if (cidr_parse(cidr, &c) < 0)
        return -1;
    struct cidr *n = realloc(a->allow, (a->nallow + 1) * sizeof *n);
    if (n == NULL)
        return -1;
    a->allow = n;
    a->allow[a->nallow++] = c;
    return 0;
}

const char *access_check(struct access *a, const char *addrport)
{
    if (a->nallow == 0)
        return NULL;
    struct cidr peer;
    if (addr_parse(addrport, &peer) < 0)
        return "not allowed";
    for (unsigned i = 0; i < a->nallow; i++)
        if (cidr_match(&a->allow[i], &peer))
            return NULL;
    return "not allowed";
}

enum auth_verdict access_auth_judge(struct access *a, const char *addrport, bool right,
                                    int64_t now_ms, int64_t *ms)
{
    struct cidr peer;
    if (addr_parse(addrport, &peer) < 0) {
        /* Never happens (the drivers format peers' addresses); if it did,
         * such attempts would share one entry rather than escape every
         * limit. */
        memset(&peer, 0, sizeof peer);
        peer.family = 4;
        peer.bits = 32;
    }
    return peers_auth_judge(&a->peers, &peer, right, now_ms, ms);
}

/* access: who may connect (--allow, console ban) and who may talk
 * (--password), with failed logins from one address slowed down. */
#include "server.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

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
        char *end;
        unsigned long b = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end != '\0' || b > c->bits)
            return -1;
        c->bits = (unsigned)b;
    }
    return 0;
}

bool cidr_match(const struct cidr *c, const struct cidr *a)
{
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

void access_init(struct access *a)
{
    memset(a, 0, sizeof *a);
    pthread_mutex_init(&a->lock, NULL);
}

void access_free(struct access *a)
{
    free(a->allow);
    free(a->bans);
    pthread_mutex_destroy(&a->lock);
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

int access_ban(struct access *a, const char *cidr)
{
    struct cidr c;
    if (cidr_parse(cidr, &c) < 0)
        return -1;
    pthread_mutex_lock(&a->lock);
    struct cidr *n = realloc(a->bans, (a->nbans + 1) * sizeof *n);
    if (n == NULL) {
        pthread_mutex_unlock(&a->lock);
        return -1;
    }
    a->bans = n;
    a->bans[a->nbans++] = c;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

const char *access_check(struct access *a, const char *addrport)
{
    struct cidr peer;
    if (addr_parse(addrport, &peer) < 0)
        return a->nallow ? "not allowed" : NULL;
    if (a->nallow > 0) {
        bool ok = false;
        for (unsigned i = 0; i < a->nallow && !ok; i++)
            ok = cidr_match(&a->allow[i], &peer);
        if (!ok)
            return "not allowed";
    }
    const char *why = NULL;
    pthread_mutex_lock(&a->lock);
    for (unsigned i = 0; i < a->nbans && !why; i++)
        if (cidr_match(&a->bans[i], &peer))
            why = "banned";
    pthread_mutex_unlock(&a->lock);
    return why;
}

/* The slot of peer's failures, or NULL. Under a->lock. */
static struct auth_fail *fail_find(struct access *a, const struct cidr *peer)
{
    for (unsigned i = 0; i < AUTH_FAIL_SLOTS; i++) {
        struct auth_fail *f = &a->fails[i];
        if (f->count > 0 && f->who.family == peer->family &&
            memcmp(f->who.addr, peer->addr, sizeof peer->addr) == 0)
            return f;
    }
    return NULL;
}

/* Records a failure of peer; returns the delay. Under a->lock. */
static int64_t fail_record(struct access *a, const struct cidr *peer, int64_t now_ms)
{
    struct auth_fail *slot = fail_find(a, peer);
    if (slot == NULL) {
        slot = &a->fails[0]; /* forget the address that failed longest ago */
        for (unsigned i = 1; i < AUTH_FAIL_SLOTS; i++)
            if (a->fails[i].last_ms < slot->last_ms)
                slot = &a->fails[i];
        slot->who = *peer;
        slot->count = 0;
    } else if (now_ms - slot->last_ms > AUTH_FORGET_MS) {
        slot->count = 0;
    }
    slot->count++;
    slot->last_ms = now_ms;
    unsigned shift = slot->count > 5 ? 5 : slot->count - 1;
    /* 1 s, 2 s, 4 s ... 32 s before the connection is closed. */
    int64_t delay = (int64_t)AUTH_DELAY_MS << shift;
    slot->locked_until_ms = now_ms + delay;
    return delay;
}

int64_t access_auth_failed(struct access *a, const char *addrport, int64_t now_ms)
{
    struct cidr peer;
    if (addr_parse(addrport, &peer) < 0)
        return AUTH_DELAY_MS;
    pthread_mutex_lock(&a->lock);
    int64_t delay = fail_record(a, &peer, now_ms);
    pthread_mutex_unlock(&a->lock);
    return delay;
}

enum auth_verdict access_auth_judge(struct access *a, const char *addrport, bool right,
                                    int64_t now_ms, int64_t *ms)
{
    struct cidr peer;
    *ms = 0;
    if (addr_parse(addrport, &peer) < 0) {
        *ms = AUTH_DELAY_MS;
        return right ? AUTH_OK : AUTH_WRONG;
    }
    pthread_mutex_lock(&a->lock);
    enum auth_verdict v = AUTH_OK;
    struct auth_fail *f = fail_find(a, &peer);
    if (f != NULL && now_ms < f->locked_until_ms) {
        v = AUTH_LOCKED;
        *ms = f->locked_until_ms - now_ms;
    } else if (!right) {
        v = AUTH_WRONG;
        *ms = fail_record(a, &peer, now_ms);
    } else if (f != NULL) {
        f->count = 0; /* someone there knows it: a typo before is forgiven */
    }
    pthread_mutex_unlock(&a->lock);
    return v;
}

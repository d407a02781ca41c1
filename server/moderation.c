/* moderation: the operator's kicks, bans and mutes, as a table of who is
 * held and until when (see server.h for how a person is recognised). No
 * sockets and no clients here: the console parses with mod_parse_request,
 * operator.c applies an entry to the people online and asks mod_find
 * when someone arrives (so do admit.c and /nick, in commands.c). Time is
 * always the caller's. */
#include "server.h"

#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

void mod_init(struct moderation *m)
{
    pthread_mutex_init(&m->lock, NULL);
    m->tab = NULL;
    m->n = 0;
}

void mod_free(struct moderation *m)
{
    free(m->tab);
    m->tab = NULL;
    m->n = 0;
    pthread_mutex_destroy(&m->lock);
}

const char *mod_kind_name(enum mod_kind k)
{
    switch (k) {
    case MOD_KICK:
        return "kick";
    case MOD_BAN:
        return "ban";
    case MOD_MUTE:
    default:
        return "mute";
    }
}

/* Under m->lock: drops the timed entries that have run out. */
static void mod_purge_locked(struct moderation *m, int64_t now_ms)
{
    unsigned k = 0;
    for (unsigned i = 0; i < m->n; i++)
        if (m->tab[i].until_ms == 0 || m->tab[i].until_ms > now_ms)
            m->tab[k++] = m->tab[i];
    m->n = k;
}

/* Two nicks of one person: any case, and letters that look alike
 * (nick_same), as the room tells nicks apart. */
static bool same_word(const char *a, const char *b)
{
    return a[0] != '\0' && b[0] != '\0' && nick_same(a, b);
}

/* Whether a and b are about the same person or network. */
static bool mod_same_target(const struct mod_entry *a, const struct mod_entry *b)
{
    if (a->by_addr || b->by_addr)
        return a->by_addr && b->by_addr && cidr_equal(&a->net, &b->net);
    return same_word(a->nick, b->nick) || (a->token[0] != '\0' && strcmp(a->token, b->token) == 0);
}

int mod_add(struct moderation *m, const struct mod_entry *e, int64_t now_ms)
{
    pthread_mutex_lock(&m->lock);
    mod_purge_locked(m, now_ms);
    if (m->tab == NULL)
        m->tab = calloc(MOD_MAX, sizeof *m->tab);
    if (m->tab == NULL) {
        pthread_mutex_unlock(&m->lock);
        return -1;
    }
    /* Said again (a longer kick, a new reason): the new one replaces the
     * old. A ban makes a kick of the same person pointless. */
    unsigned k = 0;
    for (unsigned i = 0; i < m->n; i++) {
        const struct mod_entry *t = &m->tab[i];
        bool replaced = (t->kind == e->kind || (e->kind == MOD_BAN && t->kind == MOD_KICK)) &&
                        mod_same_target(t, e);
        if (!replaced)
            m->tab[k++] = *t;
    }
    m->n = k;
    int rc = -1;
    if (m->n < MOD_MAX) {
        m->tab[m->n++] = *e;
        rc = 0;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

unsigned mod_remove(struct moderation *m, unsigned mask, const char *who, int64_t now_ms)
{
    struct cidr net;
    bool addr = cidr_parse(who, &net) == 0;
    unsigned gone = 0, k = 0;

    pthread_mutex_lock(&m->lock);
    mod_purge_locked(m, now_ms);
    for (unsigned i = 0; i < m->n; i++) {
        const struct mod_entry *t = &m->tab[i];
        bool hit =
            ((unsigned)t->kind & mask) != 0 && (addr ? t->by_addr && cidr_equal(&t->net, &net)
                                                     : !t->by_addr && same_word(t->nick, who));
        if (hit)
            gone++;
        else
            m->tab[k++] = *t;
    }
    m->n = k;
    pthread_mutex_unlock(&m->lock);
    return gone;
}

bool mod_entry_matches(const struct mod_entry *e, const char *nick, const char *token,
                       const struct cidr *addr)
{
    if (e->by_addr)
        return addr != NULL && cidr_match(&e->net, addr);
    if (token != NULL && token[0] != '\0' && strcmp(e->token, token) == 0)
        return true;
    return nick != NULL && same_word(e->nick, nick);
}

/* Whether a holds for longer than b: a ban first, then the later end. */
static bool mod_outlasts(const struct mod_entry *a, const struct mod_entry *b)
{
    if (a->until_ms == 0 || b->until_ms == 0)
        return a->until_ms == 0 && (b->until_ms != 0 || (a->kind == MOD_BAN && b->kind != MOD_BAN));
    return a->until_ms > b->until_ms;
}

bool mod_find(struct moderation *m, unsigned mask, const char *nick, const char *token,
              const struct cidr *addr, int64_t now_ms, struct mod_entry *out)
{
    const struct mod_entry *best = NULL;
    pthread_mutex_lock(&m->lock);
    mod_purge_locked(m, now_ms);
    for (unsigned i = 0; i < m->n; i++) {
        const struct mod_entry *t = &m->tab[i];
        if (((unsigned)t->kind & mask) != 0 && mod_entry_matches(t, nick, token, addr) &&
            (best == NULL || mod_outlasts(t, best)))
            best = t;
    }
    if (best != NULL && out != NULL)
        *out = *best;
    pthread_mutex_unlock(&m->lock);
    return best != NULL;
}

void mod_format_left(const struct mod_entry *e, int64_t now_ms, char *buf, size_t cap)
{
    if (e->until_ms == 0) {
        snprintf(buf, cap, "%s", e->kind == MOD_MUTE ? "until unmute" : "until unban");
        return;
    }
    char d[32];
    /* Rounded up: "0s left" would read as already over. */
    format_duration(d, sizeof d, (e->until_ms - now_ms + 999) / 1000 * 1000);
    snprintf(buf, cap, "%s left", d);
}

void mod_list(struct moderation *m, int64_t now_ms, void (*out)(void *arg, const char *line),
              void *arg)
{
    /* Copied out under the lock, written after it: out() may be a terminal. */
    struct mod_entry *copy = NULL;
    unsigned n;
    pthread_mutex_lock(&m->lock);
    mod_purge_locked(m, now_ms);
    n = m->n;
    if (n > 0 && (copy = malloc(n * sizeof *copy)) != NULL)
        memcpy(copy, m->tab, n * sizeof *copy);
    pthread_mutex_unlock(&m->lock);
    if (n == 0 || copy == NULL) {
        out(arg, n == 0 ? "no bans, kicks or mutes" : "bans: out of memory");
        free(copy);
        return;
    }
    char line[256], who[MOD_TARGET_MAX], left[48];
    snprintf(line, sizeof line, "%u in force:", n);
    out(arg, line);
    for (unsigned i = 0; i < n; i++) {
        const struct mod_entry *e = &copy[i];
        const char *by;
        if (e->by_addr) {
            cidr_format(&e->net, who, sizeof who);
            by = "address";
        } else {
            snprintf(who, sizeof who, "%s", e->nick);
            /* How it would know them again: a guestN nick is never given
             * twice, so it recognises nobody. */
            bool nick = !nick_reserved(e->nick);
            by = e->token[0] && nick ? "token, nick"
                 : e->token[0]       ? "token"
                 : nick              ? "nick"
                                     : "this connection only";
        }
        mod_format_left(e, now_ms, left, sizeof left);
        snprintf(line, sizeof line, "  %-4s %s (%s): %s%s%s", mod_kind_name(e->kind), who, by, left,
                 e->reason[0] ? ": " : "", e->reason);
        out(arg, line);
    }
    free(copy);
}

int mod_parse_duration(const char *s, size_t len, int64_t *ms)
{
    int64_t total = 0;
    size_t i = 0;
    if (len == 0)
        return -1;
    while (i < len) {
        int64_t v = 0;
        size_t digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (++digits > 7) /* 9999999 d would overflow nothing, but is nonsense */
                return -1;
            v = v * 10 + (s[i++] - '0');
        }
        if (digits == 0 || i == len)
            return -1; /* a unit without a number, or a number without a unit */
        int64_t unit;
        switch (s[i++]) {
        case 's':
            unit = 1000;
            break;
        case 'm':
            unit = (int64_t)60 * 1000;
            break;
        case 'h':
            unit = (int64_t)3600 * 1000;
            break;
        case 'd':
            unit = (int64_t)24 * 3600 * 1000;
            break;
        default:
            return -1;
        }
        total += v * unit;
        if (total > MOD_DURATION_MAX_MS)
            return -1;
    }
    if (total == 0)
        return -1;
    *ms = total;
    return 0;
}

/* Whether a word is meant as a duration: digits first, and only digits
 * and units. "2nd" starts a reason; "5" is a duration without its unit. */
static bool looks_like_duration(const char *w, size_t len)
{
    if (len == 0 || w[0] < '0' || w[0] > '9')
        return false;
    size_t digits = strspn(w, "0123456789");
    if (digits >= len)
        return true; /* a bare number: a duration without its unit */
    for (size_t i = 0; i < len; i++)
        if (strchr("0123456789smhd", w[i]) == NULL)
            return false;
    return true;
}

int mod_parse_request(enum mod_kind kind, const char *args, struct mod_request *rq, char *err,
                      size_t ecap)
{
    const char *word;
    size_t len;
    const char *name = mod_kind_name(kind);

    memset(rq, 0, sizeof *rq);
    rq->kind = kind;
    err[0] = '\0';
    if (!cmd_next_word(&args, &word, &len)) {
        snprintf(err, ecap, "usage: %s",
                 kind == MOD_BAN    ? "ban NICK|ADDR[/BITS] [REASON]"
                 : kind == MOD_KICK ? "kick NICK [DURATION] [REASON]"
                                    : "mute NICK [DURATION] [REASON]");
        return -1;
    }
    if (len >= sizeof rq->target) {
        snprintf(err, ecap, "%s: that is too long for a nick or an address", name);
        return -1;
    }
    memcpy(rq->target, word, len);
    rq->target[len] = '\0';
    if (nick_valid(word, len)) {
        rq->by_addr = false;
    } else if (kind == MOD_BAN && cidr_parse(rq->target, &rq->net) == 0) {
        rq->by_addr = true;
        cidr_format(&rq->net, rq->target, sizeof rq->target); /* ::ffff:1.2.3.4 is 1.2.3.4 */
    } else {
        char shown[SANITIZE_CAP(MOD_TARGET_MAX)];
        sanitize_text(shown, sizeof shown, rq->target, strlen(rq->target));
        if (kind == MOD_BAN)
            snprintf(err, ecap,
                     "ban: %s is neither a nick (1-%d of A-Z a-z 0-9 _ -, a letter or digit "
                     "first) nor an address (1.2.3.4, 10.0.0.0/8, ::1)",
                     shown, NICK_MAX);
        else
            snprintf(err, ecap,
                     "%s: %s is not a nick (1-%d of A-Z a-z 0-9 _ -, a letter or digit first)%s",
                     name, shown, NICK_MAX, kind == MOD_KICK ? "; for an address, ban ADDR" : "");
        return -1;
    }

    rq->duration_ms = kind == MOD_KICK ? MOD_KICK_DEFAULT_MS : 0;
    const char *rest = args;
    if (cmd_next_word(&rest, &word, &len) && looks_like_duration(word, len)) {
        if (kind == MOD_BAN) {
            snprintf(err, ecap,
                     "ban lasts until unban; to keep someone out for a while: kick NICK %.*s",
                     (int)(len > 12 ? 12 : len), word);
            return -1;
        }
        if (mod_parse_duration(word, len, &rq->duration_ms) < 0) {
            snprintf(err, ecap,
                     "%s: bad duration %.*s: a number and a unit, as in 30s, 10m, 2h or 1d "
                     "(at most 7d)",
                     name, (int)(len > 12 ? 12 : len), word);
            return -1;
        }
        args = rest;
    }
    sanitize_text(rq->reason, sizeof rq->reason, args, strlen(args));
    return 0;
}

/* bar: the dashboard's status bar (see bar.h). */
#include "bar.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

void bar_uptime(int64_t ms, char *buf, size_t cap)
{
    long long s = ms < 0 ? 0 : (long long)(ms / 1000);
    if (s < 60)
        snprintf(buf, cap, "%llds", s);
    else if (s < 3600)
        snprintf(buf, cap, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(buf, cap, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(buf, cap, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* The fields in display order, and the order they are left out in. */
enum field {
    F_STATE,
    F_MODE,
    F_REACH,
    F_TLS,
    F_CLIENTS,
    F_RATES,
    F_UP,
    F_RSS,
    F_THREADS,
    F_UNREAD,
    F_N
};
/* The fingerprint (107 columns with its label) is shown only when all of
 * it fits, so narrower bars are as they were; the event log always shows
 * it, in two rows (dash.c). */
static const enum field drop_order[] = {F_TLS, F_THREADS, F_RSS, F_UP, F_MODE, F_RATES, F_UNREAD};

static void field_text(const struct bar *b, enum field f, char *buf, size_t cap)
{
    const struct admin_stats *s = b->stats;
    buf[0] = '\0';
    switch (f) {
    case F_STATE:
        if (b->state == ATTACH_CONNECTING)
            snprintf(buf, cap, "attaching");
        else if (b->state == ATTACH_ATTACHED)
            snprintf(buf, cap, "attached");
        else
            snprintf(buf, cap, "SERVER GONE%s%s, retrying", b->gone_why[0] ? ": " : "",
                     b->gone_why);
        return;
    case F_UNREAD:
        if (b->unread)
            snprintf(buf, cap, "%u unread", b->unread);
        return;
    default:
        break;
    }
    if (s == NULL || b->state != ATTACH_ATTACHED)
        return;
    switch (f) {
    case F_MODE:
        snprintf(buf, cap, "%s", s->mode);
        break;
    case F_REACH:
        /* What students type: the reachable addresses, else the bound one. */
        snprintf(buf, cap, "%s", s->reach[0] ? s->reach : s->listen);
        break;
    case F_TLS:
        /* "" from a server older than TLS: nothing to say. */
        if (strcmp(s->tls, "off") == 0)
            snprintf(buf, cap, "TLS off");
        else if (s->tls[0] != '\0')
            snprintf(buf, cap, "TLS%s SHA-256 %s", strcmp(s->tls, "only") == 0 ? " only" : "",
                     s->tls_sha256);
        break;
    case F_CLIENTS:
        snprintf(buf, cap, "%u client%s", s->clients, s->clients == 1 ? "" : "s");
        break;
    case F_RATES:
        snprintf(buf, cap, "%u msg/s %u dlv/s", s->msgs_per_s, s->deliveries_per_s);
        break;
    case F_UP: {
        char up[32];
        bar_uptime(s->up_ms, up, sizeof(up));
        snprintf(buf, cap, "up %s", up);
        break;
    }
    case F_RSS:
        if (s->rss_kib >= 10240)
            snprintf(buf, cap, "%llu MiB", s->rss_kib / 1024);
        else
            snprintf(buf, cap, "%.1f MiB", (double)s->rss_kib / 1024.0);
        break;
    case F_THREADS:
        snprintf(buf, cap, "%u thread%s", s->threads, s->threads == 1 ? "" : "s");
        break;
    default:
        break;
    }
}

static size_t join_fields(const struct bar *b, const bool *skip, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    for (int f = 0; f < F_N; f++) {
        if (skip[f])
            continue;
        char part[ADMIN_REACH_MAX + 32];
        field_text(b, (enum field)f, part, sizeof(part));
        if (!part[0])
            continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? " | " : "", part);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
    return len;
}

size_t bar_format(const struct bar *b, char *buf, size_t cap)
{
    bool skip[F_N] = {false};
    return join_fields(b, skip, buf, cap);
}

size_t bar_format_fit(const struct bar *b, char *buf, size_t cap, size_t width)
{
    bool skip[F_N] = {false};
    size_t len = join_fields(b, skip, buf, cap);
    for (size_t i = 0; i < sizeof(drop_order) / sizeof(*drop_order); i++) {
        if (text_width(buf, len) <= width)
            return len;
        skip[drop_order[i]] = true;
        len = join_fields(b, skip, buf, cap);
    }
    len = text_fit(buf, len, width);
    buf[len] = '\0';
    return len;
}

/* log: one timestamped line per event, readable on a projector:
 *   2026-11-25 15:30:01  127.0.0.1:40312  bob  says: hello
 * Peer text reaching here has been through sanitize_text(). */
#include "server.h"

#include <stdarg.h>
#include <string.h>

void format_duration(char *buf, size_t cap, int64_t ms)
{
    int64_t s = ms < 0 ? 0 : ms / 1000;
    if (s < 60)
        snprintf(buf, cap, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, cap, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, cap, "%lldh%02lldm%02llds", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    else
        snprintf(buf, cap, "%lldd%02lldh%02lldm", (long long)(s / 86400),
                 (long long)(s / 3600 % 24), (long long)(s / 60 % 60));
}

void log_event(struct server *srv, const struct client *c, const char *fmt, ...)
{
    if (srv->logf == NULL)
        return;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    /* Under the stream's lock, so lines from different threads never
     * interleave (and no line-sized buffer on a small thread stack). The
     * nick is read unlocked: only c's owner changes it, and only the owner
     * (or the accepting thread, before the owner runs) logs about c. */
    flockfile(srv->logf);
    if (c != NULL)
        fprintf(srv->logf, "%s  %-22s %-10s ", when, c->addr, c->nick);
    else
        fprintf(srv->logf, "%s  ", when);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(srv->logf, fmt, ap);
    va_end(ap);
    fputc('\n', srv->logf);
    funlockfile(srv->logf);
}

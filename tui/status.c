/* status: the status bar's model and text (see status.h). */
#include "status.h"

#include <stdio.h>
#include <string.h>

void status_init(struct status *st)
{
    memset(st, 0, sizeof(*st));
    st->latency_ms = -1;
}

void status_set_reason(struct status *st, const char *reason)
{
    snprintf(st->reason, sizeof(st->reason), "%s", reason ? reason : "");
}

size_t status_state_text(const struct status *st, char *buf, size_t cap)
{
    int n;
    switch (st->state) {
    case CONN_IDLE:
        n = snprintf(buf, cap, "idle");
        break;
    case CONN_CONNECTING:
        n = snprintf(buf, cap, "connecting");
        break;
    case CONN_CONNECTED:
        n = snprintf(buf, cap, "connected");
        break;
    case CONN_RETRY:
        n = snprintf(buf, cap, "disconnected, retrying in %u s", st->retry_in);
        break;
    case CONN_FAILED:
    default:
        n = snprintf(buf, cap, "failed: %s", st->reason[0] ? st->reason : "unknown error");
        break;
    }
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : (cap ? cap - 1 : 0);
}

/* Appends " | " and a field, if it fits. */
static void field(char *buf, size_t cap, size_t *len, const char *s)
{
    if (*len >= cap)
        return;
    int n = snprintf(buf + *len, cap - *len, "%s%s", *len ? " | " : "", s);
    if (n > 0)
        *len = (size_t)n < cap - *len ? *len + (size_t)n : cap - 1;
}

size_t status_format(const struct status *st, char *buf, size_t cap)
{
    char tmp[400];
    size_t len = 0;

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    status_state_text(st, tmp, sizeof(tmp));
    field(buf, cap, &len, tmp);
    if (st->server[0])
        field(buf, cap, &len, st->server);
    if (st->nick[0])
        field(buf, cap, &len, st->nick);
    if (st->state == CONN_CONNECTED) {
        if (st->users) {
            snprintf(tmp, sizeof(tmp), "%u %s", st->users, st->users == 1 ? "user" : "users");
            field(buf, cap, &len, tmp);
        }
        if (st->mode[0])
            field(buf, cap, &len, st->mode);
        if (st->latency_ms >= 0) {
            snprintf(tmp, sizeof(tmp), "%ld ms", st->latency_ms);
            field(buf, cap, &len, tmp);
        }
    }
    if (st->pending) {
        snprintf(tmp, sizeof(tmp), "%u pending", st->pending);
        field(buf, cap, &len, tmp);
    }
    if (st->unread) {
        snprintf(tmp, sizeof(tmp), "%u unread", st->unread);
        field(buf, cap, &len, tmp);
    }
    return len;
}

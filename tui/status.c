/* status: the status bar's model and text (see status.h). */
#include "status.h"

#include <stdio.h>
#include <string.h>

#include "sanitize.h"
#include "text.h"

void status_init(struct status *st)
{
    memset(st, 0, sizeof(*st));
    st->latency_ms = -1;
}

void status_set_reason(struct status *st, const char *reason)
{
    /* Reasons can come from the server (ERR kicked TEXT): drawn only after
     * the sanitiser, like everything else a server says. */
    const char *r = reason ? reason : "";
    sanitize_text(st->reason, sizeof(st->reason), r, strlen(r));
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
    case CONN_NO_GREETING:
        n = snprintf(buf, cap, "waiting: no greeting yet");
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

size_t status_tls_text(const struct status *st, char *buf, size_t cap)
{
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if (st->state != CONN_CONNECTED || st->tls[0] == '\0')
        return 0;
    /* U+1F512 LOCK: two columns; none where the terminal cannot draw it. */
    return text_appendf(buf, cap, 0, "%s%s", text_ascii() ? "" : "\xf0\x9f\x94\x92", st->tls);
}

/* The bar's fields in display order, each with a priority: when the bar
 * is wider than the terminal, the least important fields go first, so a
 * 40-column terminal still shows the state, pending and unread counts. */
enum { FIELD_MAX = 14, FIELD_LEN = 400 };

struct field {
    char text[FIELD_LEN];
    int prio; /* higher = dropped later */
};

static size_t collect(const struct status *st, struct field *f)
{
    size_t n = 0;
    status_state_text(st, f[n].text, FIELD_LEN);
    f[n++].prio = 9;
    /* Right after the state: what is said now reaches only some. */
    if (st->state == CONN_CONNECTED && st->cluster == CLUSTER_LOCAL) {
        snprintf(f[n].text, FIELD_LEN, "%s", STATUS_LOCAL_ONLY);
        f[n++].prio = 8;
    }
    if (st->server[0]) {
        snprintf(f[n].text, FIELD_LEN, "%s", st->server);
        f[n++].prio = 4;
    }
    /* Beside the server: whether what is typed crosses the network
     * readable. Kept longer than the server's name. */
    if (status_tls_text(st, f[n].text, FIELD_LEN) > 0)
        f[n++].prio = 6;
    if (st->nick[0]) {
        snprintf(f[n].text, FIELD_LEN, "%s", st->nick);
        f[n++].prio = 6;
    }
    if (st->state == CONN_CONNECTED && st->away) {
        snprintf(f[n].text, FIELD_LEN, "away");
        f[n++].prio = 5;
    }
    /* The rooms outlive a drop in the model, but a new connection starts
     * in #main: shown only while connected, like the users. */
    if (st->state == CONN_CONNECTED && st->rooms[0]) {
        snprintf(f[n].text, FIELD_LEN, "%s", st->rooms);
        f[n++].prio = 7;
    }
    if (st->state == CONN_CONNECTED) {
        if (st->users) {
            snprintf(f[n].text, FIELD_LEN, "%u %s", st->users, st->users == 1 ? "user" : "users");
            f[n++].prio = 5;
        }
        if (st->mode[0]) {
            snprintf(f[n].text, FIELD_LEN, "%s", st->mode);
            f[n++].prio = 2;
        }
        if (st->cluster == CLUSTER_OK) {
            snprintf(f[n].text, FIELD_LEN, "cluster");
            f[n++].prio = 1;
        }
        if (st->latency_ms >= 0) {
            snprintf(f[n].text, FIELD_LEN, "%ld ms", st->latency_ms);
            f[n++].prio = 3;
        }
    }
    if (st->pending) {
        snprintf(f[n].text, FIELD_LEN, "%u pending", st->pending);
        f[n++].prio = 8;
    }
    if (st->mentions) {
        snprintf(f[n].text, FIELD_LEN, "%u mention%s", st->mentions, st->mentions == 1 ? "" : "s");
        f[n++].prio = 8;
    }
    if (st->unread) {
        snprintf(f[n].text, FIELD_LEN, "%u unread", st->unread);
        f[n++].prio = 7;
    }
    return n;
}

size_t status_format_fit(const struct status *st, char *buf, size_t cap, size_t width)
{
    struct field f[FIELD_MAX];
    bool keep[FIELD_MAX];
    size_t n = collect(st, f);
    size_t total = 0;

    for (size_t i = 0; i < n; i++) {
        keep[i] = true;
        total += text_width(f[i].text, strlen(f[i].text)) + (i ? 3 : 0);
    }
    /* Drop the least important field until the rest fits (the state is
     * always kept; the view cuts it if even that is too wide). */
    while (total > width) {
        size_t worst = 0;
        for (size_t i = 1; i < n; i++)
            if (keep[i] && (worst == 0 || f[i].prio < f[worst].prio))
                worst = i;
        if (worst == 0)
            break;
        keep[worst] = false;
        total -= text_width(f[worst].text, strlen(f[worst].text)) + 3;
    }
    size_t len = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (keep[i])
            len = text_appendf(buf, cap, len, "%s%s", len ? " | " : "", f[i].text);
    }
    return len;
}

size_t status_format(const struct status *st, char *buf, size_t cap)
{
    return status_format_fit(st, buf, cap, (size_t)-1);
}

long status_local_only_at(const struct status *st, const char *line)
{
    if (st->state != CONN_CONNECTED || st->cluster != CLUSTER_LOCAL)
        return -1;
    /* The field after the state's: no other field holds " | local only |"
     * or ends the line with it (nicks, rooms and hosts have no blanks). */
    const char *p = strstr(line, " | " STATUS_LOCAL_ONLY);
    if (p == NULL)
        return -1;
    size_t after = (size_t)(p - line) + 3 + strlen(STATUS_LOCAL_ONLY);
    if (line[after] != '\0' && line[after] != ' ')
        return -1;
    return (long)(p - line) + 3;
}

/* dash: the dashboard's model (see dash.h). */
#include "dash.h"

#include <stdio.h>
#include <string.h>

#include "acmd.h"

int dash_init(struct dash *d, size_t log_cap)
{
    memset(d, 0, sizeof(*d));
    if (evlog_init(&d->log, log_cap) < 0)
        return -1;
    roster_init(&d->roster);
    editline_init(&d->ed);
    attach_start(&d->at);
    return 0;
}

void dash_free(struct dash *d)
{
    evlog_free(&d->log);
    editline_free(&d->ed);
}

void dash_note(struct dash *d, int64_t ms, const char *text)
{
    evlog_add(&d->log, ms, EVL_NOTE, NULL, 0, text, strlen(text));
}

static void log_event(struct dash *d, const struct admin_line *pl)
{
    /* The connection it is about: by nick once it has one. */
    const char *who = pl->nick_len ? pl->nick : pl->addr;
    size_t who_len = pl->nick_len ? pl->nick_len : pl->addr_len;
    evlog_add(&d->log, pl->ms, (int)pl->ev, who, who_len, pl->text, pl->text_len);
}

/* The server's TLS state, in the log when first seen and when it changes:
 * the fingerprint the teacher shows the class, in two rows of 16 pairs so
 * that 80 columns hold it whole. */
static void dash_tls_note(struct dash *d, int64_t now_ms)
{
    const struct admin_stats *s = &d->at.stats;
    char now[sizeof d->tls_noted];
    snprintf(now, sizeof now, "%s %s", s->tls, s->tls_sha256);
    if (s->tls[0] == '\0' || strcmp(now, d->tls_noted) == 0)
        return; /* a server older than TLS, or nothing new */
    memcpy(d->tls_noted, now, sizeof now);
    if (strcmp(s->tls, "off") == 0 || strlen(s->tls_sha256) != FP_TEXT_SIZE - 1) {
        dash_note(d, now_ms, "TLS off: everything crosses the network in clear");
        return;
    }
    char note[96];
    snprintf(note, sizeof note, "TLS %s (tls/ in the roster); the certificate's SHA-256:",
             strcmp(s->tls, "only") == 0 ? "only" : "on");
    dash_note(d, now_ms, note);
    size_t half = FP_TEXT_SIZE / 2; /* 16 pairs, then the ':' between halves */
    snprintf(note, sizeof note, "  %.*s", (int)half - 1, s->tls_sha256);
    dash_note(d, now_ms, note);
    snprintf(note, sizeof note, "  %s", s->tls_sha256 + half);
    dash_note(d, now_ms, note);
}

enum attach_act dash_line(struct dash *d, const char *line, size_t len, int64_t now_ms)
{
    struct admin_line pl;
    enum attach_act act = attach_line(&d->at, line, len, &pl);
    switch (act) {
    case AA_ATTACHED: {
        char note[96];
        snprintf(note, sizeof(note), "attached to sockchat-server %s", d->at.version);
        dash_note(d, now_ms, note);
        break;
    }
    case AA_SHOW:
        if (pl.type == ADMIN_EVENT)
            log_event(d, &pl);
        else if (pl.type == ADMIN_OUT)
            evlog_add(&d->log, now_ms, EVL_OUT, NULL, 0, pl.text, pl.text_len);
        else if (pl.type == ADMIN_OK)
            evlog_add(&d->log, now_ms, EVL_OK, NULL, 0, pl.text_len ? pl.text : "done",
                      pl.text_len ? pl.text_len : 4);
        else
            evlog_add(&d->log, now_ms, EVL_ERR, NULL, 0, pl.text, pl.text_len);
        break;
    case AA_ROSTER:
        roster_begin(&d->roster, pl.total, pl.shown);
        break;
    case AA_ROW:
        roster_row(&d->roster, pl.text, pl.text_len);
        break;
    case AA_STATS:
        dash_tls_note(d, now_ms);
        break;
    case AA_BYE:
    case AA_MISMATCH:
    case AA_NONE:
    case AA_BAD:
    default:
        break;
    }
    return act;
}

void dash_gone(struct dash *d, int64_t now_ms, const char *why)
{
    bool was = d->at.state != ATTACH_GONE;
    attach_gone(&d->at, why);
    roster_clear(&d->roster);
    d->tls_noted[0] = '\0'; /* told again by the server back (maybe another one) */
    if (was) {
        char note[200];
        snprintf(note, sizeof(note), "server gone (%s): retrying every second; q to quit",
                 d->at.why);
        dash_note(d, now_ms, note);
    }
    /* A question about a row that is gone has no object any more. */
    d->ask[0] = '\0';
    d->ask_version++;
}

void dash_sent(struct dash *d, int64_t now_ms, const char *cmd)
{
    evlog_add(&d->log, now_ms, EVL_CMD, NULL, 0, cmd, strlen(cmd));
    evlog_bottom(&d->log);
}

void dash_help(struct dash *d, int64_t now_ms)
{
    for (size_t i = 0; acmd_keys_help[i]; i++)
        dash_note(d, now_ms, acmd_keys_help[i]);
    evlog_bottom(&d->log);
}

bool dash_ask(struct dash *d, int64_t now_ms, const char *verb)
{
    const struct admin_row *row = roster_selected(&d->roster);
    if (row == NULL || !row->nick[0]) {
        char note[96];
        snprintf(note, sizeof(note), "%s: select a connection with a nick first (Up/Down)", verb);
        dash_note(d, now_ms, note);
        return false;
    }
    snprintf(d->ask_cmd, sizeof(d->ask_cmd), "%s %s", verb, row->nick);
    snprintf(d->ask, sizeof(d->ask), "%s %s (%s)? y/n", verb, row->nick, row->addr);
    d->ask_version++;
    return true;
}

bool dash_answer(struct dash *d, bool yes, char *out, size_t cap)
{
    bool had = d->ask[0] != '\0';
    d->ask[0] = '\0';
    d->ask_version++;
    if (!had || !yes)
        return false;
    snprintf(out, cap, "%s", d->ask_cmd);
    return true;
}

void dash_bar(const struct dash *d, struct bar *b)
{
    memset(b, 0, sizeof(*b));
    b->state = d->at.state;
    b->stats = d->at.have_stats ? &d->at.stats : NULL;
    snprintf(b->gone_why, sizeof(b->gone_why), "%s", d->at.why);
    b->unread = d->log.unread;
}

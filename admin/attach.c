/* attach: the admin connection's state machine (see attach.h). */
#include "attach.h"

#include <stdio.h>
#include <string.h>

void attach_start(struct attach *a)
{
    memset(a, 0, sizeof(*a));
    a->state = ATTACH_CONNECTING;
}

void attach_sent(struct attach *a, bool hidden)
{
    /* Hidden commands are only sent before any of the operator's, so
     * they are the first answers to come. */
    if (hidden && a->hidden == a->pending)
        a->hidden++;
    a->pending++;
}

void attach_gone(struct attach *a, const char *why)
{
    a->state = ATTACH_GONE;
    a->pending = a->hidden = 0;
    a->have_stats = false;
    /* why may be a->why itself (the BYE's text). */
    if (why && why != a->why)
        snprintf(a->why, sizeof(a->why), "%s", why);
}

/* What came instead of the greeting, for the error message: printable
 * ASCII only (it may be anything: another program's banner, binary). */
static void describe(char *out, size_t cap, const char *line, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < cap && i < 40; i++) {
        unsigned char c = (unsigned char)line[i];
        out[n++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    if (len > 40 && n + 4 < cap) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

enum attach_act attach_line(struct attach *a, const char *line, size_t len, struct admin_line *pl)
{
    bool ok = admin_parse(line, len, pl);
    if (a->state == ATTACH_CONNECTING) {
        if (ok && pl->type == ADMIN_HELLO && pl->version == ADMIN_PROTO_VERSION) {
            size_t n =
                pl->text_len < sizeof(a->version) - 1 ? pl->text_len : sizeof(a->version) - 1;
            memcpy(a->version, pl->text, n);
            a->version[n] = '\0';
            a->state = ATTACH_ATTACHED;
            return AA_ATTACHED;
        }
        if (ok && pl->type == ADMIN_BYE) {
            /* Refused before the greeting (not allowed). */
            char t[80];
            describe(t, sizeof(t), pl->text, pl->text_len);
            snprintf(a->why, sizeof(a->why), "%s", t);
            return AA_BYE;
        }
        char got[64];
        describe(got, sizeof(got), line, len);
        snprintf(a->why, sizeof(a->why), "expected SOCKCHAT-ADMIN %d, got \"%s\"",
                 ADMIN_PROTO_VERSION, got);
        a->mismatch = true;
        return AA_MISMATCH;
    }
    if (!ok)
        return len == 0 ? AA_NONE : AA_BAD;
    switch (pl->type) {
    case ADMIN_OUT:
        return a->hidden ? AA_NONE : AA_SHOW;
    case ADMIN_OK:
    case ADMIN_ERR: {
        bool hide = a->hidden > 0 && pl->type == ADMIN_OK;
        if (a->hidden)
            a->hidden--;
        if (a->pending)
            a->pending--;
        return hide ? AA_NONE : AA_SHOW;
    }
    case ADMIN_EVENT:
        return AA_SHOW;
    case ADMIN_STATS:
        memset(&a->stats, 0, sizeof(a->stats));
        admin_parse_stats(pl->text, pl->text_len, &a->stats);
        a->have_stats = true;
        return AA_STATS;
    case ADMIN_ROSTER:
        return AA_ROSTER;
    case ADMIN_ROW:
        return AA_ROW;
    case ADMIN_BYE: {
        char t[80];
        describe(t, sizeof(t), pl->text, pl->text_len);
        snprintf(a->why, sizeof(a->why), "%s", t);
        return AA_BYE;
    }
    case ADMIN_HELLO:
    default:
        return AA_BAD;
    }
}

/* evlog: the dashboard's event log (see evlog.h). */
#define _POSIX_C_SOURCE 200809L
#include "evlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int evlog_init(struct evlog *log, size_t cap)
{
    memset(log, 0, sizeof(*log));
    log->ring = calloc(cap ? cap : 1, sizeof(*log->ring));
    if (log->ring == NULL)
        return -1;
    log->cap = cap ? cap : 1;
    return 0;
}

static void rec_free(struct evrec *e)
{
    free(e->who);
    free(e->text);
    e->who = e->text = NULL;
}

void evlog_free(struct evlog *log)
{
    for (size_t i = 0; i < log->count; i++)
        rec_free(&log->ring[(log->first + i) % log->cap]);
    free(log->ring);
    memset(log, 0, sizeof(*log));
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

bool evlog_add(struct evlog *log, int64_t ms, int kind, const char *who, size_t who_len,
               const char *text, size_t text_len)
{
    char *w = dup_n(who ? who : "", who ? who_len : 0);
    char *t = dup_n(text ? text : "", text ? text_len : 0);
    if (w == NULL || t == NULL) {
        free(w);
        free(t);
        return false;
    }
    struct evrec *e;
    if (log->count == log->cap) {
        e = &log->ring[log->first];
        rec_free(e);
        log->first = (log->first + 1) % log->cap;
    } else {
        e = &log->ring[(log->first + log->count) % log->cap];
        log->count++;
    }
    e->ms = ms;
    e->kind = kind;
    e->who = w;
    e->text = t;
    /* Scrolled back: keep the same entries in view, and count the news. */
    if (log->scroll > 0) {
        if (log->scroll < log->count)
            log->scroll++;
        log->unread++;
    }
    log->version++;
    return true;
}

size_t evlog_count(const struct evlog *log)
{
    return log->count;
}

const struct evrec *evlog_at(const struct evlog *log, size_t i)
{
    if (i >= log->count)
        return NULL;
    return &log->ring[(log->first + i) % log->cap];
}

/* Tags and tones per kind, in enum order: the server's kinds, then ours.
 * Warnings are in capitals so they stand out without colour too. */
static const struct {
    const char *tag;
    enum evlog_tone tone;
} kinds[EVL_KIND_COUNT] = {
    [AEV_INFO] = {"info", TONE_PLAIN},    [AEV_JOIN] = {"join", TONE_JOIN},
    [AEV_LEAVE] = {"leave", TONE_LEAVE},  [AEV_CHAT] = {"chat", TONE_CHAT},
    [AEV_PRIVATE] = {"priv", TONE_CHAT},  [AEV_NICK] = {"nick", TONE_CHAT},
    [AEV_REFUSE] = {"REFUSE", TONE_WARN}, [AEV_FLOOD] = {"FLOOD", TONE_WARN},
    [AEV_SLOW] = {"SLOW", TONE_WARN},     [AEV_OPERATOR] = {"oper", TONE_OPER},
    [AEV_ERROR] = {"ERROR", TONE_ERROR},  [AEV_TRACE] = {"trace", TONE_PLAIN},
    [EVL_CMD] = {">", TONE_OPER},         [EVL_OUT] = {"|", TONE_PLAIN},
    [EVL_OK] = {"ok", TONE_OPER},         [EVL_ERR] = {"ERR", TONE_WARN},
    [EVL_NOTE] = {"--", TONE_NOTE},
};

const char *evlog_tag(int kind)
{
    if (kind < 0 || kind >= EVL_KIND_COUNT)
        return "?";
    return kinds[kind].tag;
}

enum evlog_tone evlog_tone(int kind)
{
    if (kind < 0 || kind >= EVL_KIND_COUNT)
        return TONE_PLAIN;
    return kinds[kind].tone;
}

/* Appends s[0..n) to buf at *len, cutting at a character boundary. */
static void put(char *buf, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + 1 >= cap)
        return;
    size_t room = cap - 1 - *len;
    if (n > room) {
        n = room;
        /* Back off to the start of a character. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

size_t evlog_format(const struct evrec *e, char *buf, size_t cap, struct evspans *sp)
{
    size_t len = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    char tbuf[16];
    time_t t = (time_t)(e->ms / 1000);
    struct tm tm;
    if (localtime_r(&t, &tm) == NULL || strftime(tbuf, sizeof(tbuf), "%H:%M:%S ", &tm) == 0)
        snprintf(tbuf, sizeof(tbuf), "??:??:?? ");
    put(buf, cap, &len, tbuf, strlen(tbuf));
    struct evspans s = {len, len};
    char tag[EVLOG_TAG_COLS + 2];
    snprintf(tag, sizeof(tag), "%-*s ", EVLOG_TAG_COLS, evlog_tag(e->kind));
    put(buf, cap, &len, tag, strlen(tag));
    s.tag_end = len;
    /* An action's text ("* bob waves") names its author already. */
    bool action = e->kind == AEV_CHAT && strncmp(e->text, "* ", 2) == 0;
    if (e->who[0] && !action) {
        put(buf, cap, &len, e->who, strlen(e->who));
        put(buf, cap, &len, " ", 1);
    }
    put(buf, cap, &len, e->text, strlen(e->text));
    if (sp)
        *sp = s;
    return len;
}

void evlog_scroll(struct evlog *log, long delta, size_t height)
{
    size_t max = log->count > height ? log->count - height : 0;
    long s = (long)log->scroll + delta;
    if (s < 0)
        s = 0;
    if ((size_t)s > max)
        s = (long)max;
    if ((size_t)s != log->scroll)
        log->version++;
    log->scroll = (size_t)s;
    if (log->scroll == 0)
        log->unread = 0;
}

void evlog_bottom(struct evlog *log)
{
    if (log->scroll != 0)
        log->version++;
    log->scroll = 0;
    log->unread = 0;
}

/* chatlog: the scrollback ring, entry formatting and the pane's scroll
 * position (see chatlog.h). */
#define _XOPEN_SOURCE 700
#include "chatlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text.h"
#include "utf8.h"

int chatlog_init(struct chatlog *log, size_t cap)
{
    memset(log, 0, sizeof(*log));
    if (cap == 0)
        cap = CHATLOG_DEFAULT_CAP;
    log->ring = calloc(cap, sizeof(*log->ring));
    if (!log->ring)
        return -1;
    log->cap = cap;
    log->next_seq = 1;
    return 0;
}

static void entry_release(struct entry *e)
{
    free(e->nick);
    free(e->text);
    memset(e, 0, sizeof(*e));
}

void chatlog_clear(struct chatlog *log)
{
    for (size_t i = 0; i < log->count; i++)
        entry_release(chatlog_at(log, i));
    log->first = 0;
    log->count = 0;
    log->version++;
}

void chatlog_free(struct chatlog *log)
{
    if (!log->ring)
        return;
    chatlog_clear(log);
    free(log->ring);
    log->ring = NULL;
}

uint64_t chatlog_append(struct chatlog *log, enum entry_kind kind, int64_t time, const char *nick,
                        const char *text)
{
    char *n = strdup(nick ? nick : "");
    char *t = strdup(text ? text : "");
    if (!n || !t) {
        free(n);
        free(t);
        return 0;
    }
    if (log->count == log->cap) {
        /* Full: the oldest entry makes room, so memory stays bounded. */
        entry_release(&log->ring[log->first]);
        log->first = (log->first + 1) % log->cap;
        log->count--;
    }
    struct entry *e = &log->ring[(log->first + log->count) % log->cap];
    log->count++;
    e->seq = log->next_seq++;
    e->time = time;
    e->kind = kind;
    e->delivery = DELIVERY_NONE;
    e->rtt_ms = 0;
    e->mention = false;
    e->local_only = false;
    e->nick = n;
    e->text = t;
    e->cache_width = 0;
    e->cache_rows = 0;
    log->version++;
    return e->seq;
}

size_t chatlog_count(const struct chatlog *log)
{
    return log->count;
}

struct entry *chatlog_at(const struct chatlog *log, size_t i)
{
    if (i >= log->count)
        return NULL;
    return &log->ring[(log->first + i) % log->cap];
}

struct entry *chatlog_find(const struct chatlog *log, uint64_t seq)
{
    if (log->count == 0 || seq == 0)
        return NULL;
    uint64_t oldest = chatlog_at(log, 0)->seq;
    /* Sequence numbers are consecutive within the ring, even after a
     * clear (which only moves "oldest" forward). */
    if (seq < oldest || seq - oldest >= log->count)
        return NULL;
    return chatlog_at(log, (size_t)(seq - oldest));
}

void chatlog_set_delivery(struct chatlog *log, uint64_t seq, enum delivery d, uint32_t rtt_ms)
{
    struct entry *e = chatlog_find(log, seq);
    if (!e)
        return;
    e->delivery = d;
    e->rtt_ms = rtt_ms;
    e->cache_width = 0; /* the suffix changed length */
    log->version++;
}

void chatlog_set_local_only(struct chatlog *log, uint64_t seq)
{
    struct entry *e = chatlog_find(log, seq);
    if (e == NULL)
        return;
    e->local_only = true;
    e->cache_width = 0; /* one more word: the rows may change */
    log->version++;
}

/* Appends s to buf at *len, cutting at a character boundary when full. */
static void put(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + 1 >= cap)
        return;
    if (*len + n + 1 > cap) {
        n = utf8_boundary(s, n, cap - 1 - *len);
    }
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
}

/* open, then the nick (which the view colours: its span is recorded), then close. */
static void put_tag(char *buf, size_t cap, size_t *len, struct entry_spans *sp, const char *open,
                    const char *nick, const char *close)
{
    put(buf, cap, len, open);
    sp->tag_start = *len;
    put(buf, cap, len, nick);
    sp->tag_end = *len;
    put(buf, cap, len, close);
}

size_t entry_format(const struct entry *e, char *buf, size_t cap, struct entry_spans *sp)
{
    size_t len = 0;
    char tbuf[16];
    struct tm tm;
    time_t t = (time_t)e->time;
    bool ascii = text_ascii();

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if (localtime_r(&t, &tm))
        snprintf(tbuf, sizeof(tbuf), "%02d:%02d ", tm.tm_hour, tm.tm_min);
    else
        snprintf(tbuf, sizeof(tbuf), "--:-- ");
    put(buf, cap, &len, tbuf);
    sp->time_end = len;
    sp->tag_start = len;
    if (e->mention)
        put(buf, cap, &len, ascii ? ">> " : "\xc2\xbb "); /* seen without colour too */

    switch (e->kind) {
    case ENTRY_SELF:
    case ENTRY_CHAT:
        put_tag(buf, cap, &len, sp, "<", e->nick, "> ");
        break;
    case ENTRY_ACTION:
        put_tag(buf, cap, &len, sp, "* ", e->nick, " ");
        break;
    case ENTRY_PRIV:
        /* nick holds "from -> to" already. */
        put_tag(buf, cap, &len, sp, "[", e->nick, "] ");
        break;
    default: {
        static const char *const marks[ENTRY_KIND_COUNT] = {
            [ENTRY_JOIN] = "-->",   [ENTRY_LEAVE] = "<--", [ENTRY_OUT] = "|",   [ENTRY_ERR] = "!",
            [ENTRY_NOTICE] = "-!-", [ENTRY_LOCAL] = "--",  [ENTRY_REPLY] = ">",
        };
        const char *mark = marks[e->kind] ? marks[e->kind] : "?";
        if (e->kind == ENTRY_ROOM)
            mark = ascii ? "==" : "\xe2\x94\x80\xe2\x94\x80";
        put(buf, cap, &len, mark);
        sp->tag_end = len;
        put(buf, cap, &len, " ");
        break;
    }
    }
    put(buf, cap, &len, e->text);
    if (e->kind == ENTRY_ROOM)
        put(buf, cap, &len, ascii ? " ==" : " \xe2\x94\x80\xe2\x94\x80");
    sp->body_end = len;

    if (e->delivery == DELIVERY_PENDING) {
        put(buf, cap, &len, ascii ? " ..." : " \xe2\x80\xa6");
    } else if (e->delivery == DELIVERY_DONE) {
        char s[40];
        snprintf(s, sizeof(s), ascii ? " (ok %u ms)" : " \xe2\x9c\x93 %u ms", (unsigned)e->rtt_ms);
        put(buf, cap, &len, s);
    } else if (e->delivery == DELIVERY_FAILED) {
        put(buf, cap, &len, ascii ? " (not delivered)" : " \xe2\x9c\x97 not delivered");
    }
    if (e->local_only)
        put(buf, cap, &len, ENTRY_LOCAL_MARK);
    return len;
}

size_t chatlog_rows(struct chatlog *log, struct entry *e, size_t width)
{
    (void)log;
    if (e->cache_width == width && e->cache_rows > 0)
        return e->cache_rows;
    /* A line is at most a server line plus decoration. */
    static char line[3 * 2 * 4096 + 256];
    struct entry_spans sp;
    size_t len = entry_format(e, line, sizeof(line), &sp);
    size_t start;
    e->cache_rows = text_wrap(line, len, width, ENTRY_INDENT, &start, 1);
    e->cache_width = width;
    return e->cache_rows;
}

size_t chatlog_total_rows(struct chatlog *log, size_t width)
{
    size_t rows = 0;
    for (size_t i = 0; i < log->count; i++)
        rows += chatlog_rows(log, chatlog_at(log, i), width);
    return rows;
}

void logview_on_append(struct logview *lv, size_t rows, bool mention)
{
    if (lv->scroll == 0)
        return;
    lv->scroll += rows;
    lv->unread++;
    lv->mentions += mention;
}

void logview_scroll(struct logview *lv, struct chatlog *log, long delta, size_t width,
                    size_t height)
{
    size_t total = chatlog_total_rows(log, width);
    size_t max = total > height ? total - height : 0;
    if (delta < 0) {
        size_t d = (size_t)(-delta);
        lv->scroll = d >= lv->scroll ? 0 : lv->scroll - d;
    } else {
        lv->scroll += (size_t)delta;
    }
    if (lv->scroll > max)
        lv->scroll = max;
    if (lv->scroll == 0)
        lv->unread = lv->mentions = 0;
}

void logview_top(struct logview *lv, struct chatlog *log, size_t width, size_t height)
{
    size_t total = chatlog_total_rows(log, width);
    lv->scroll = total > height ? total - height : 0;
    if (lv->scroll == 0)
        lv->unread = lv->mentions = 0;
}

void logview_bottom(struct logview *lv)
{
    lv->scroll = 0;
    lv->unread = 0;
    lv->mentions = 0;
}

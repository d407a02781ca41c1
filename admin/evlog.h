/* evlog: the dashboard's event log, a bounded ring of one-row entries.
 *
 * What the server reports (EVENT lines), what the operator typed and what
 * the server answered (OUT, OK, ERR), and the dashboard's own notes, each
 * with its time. The oldest entry goes when the ring is full, so a server
 * that chats for hours costs a fixed amount of memory. The module formats
 * an entry as "HH:MM:SS tag    who text", with a tag per kind so kinds stay
 * distinguishable without colour, and keeps the pane's scroll position. No
 * curses here: the view only draws what this computes. */
#ifndef SOCKCHAT_ADMIN_EVLOG_H
#define SOCKCHAT_ADMIN_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"

enum { EVLOG_DEFAULT_CAP = 5000, EVLOG_TAG_COLS = 7 };

/* The kinds: the server's event kinds (enum admin_event) first, then the
 * dashboard's own. */
enum evlog_kind {
    EVL_CMD = AEV_COUNT, /* what the operator sent */
    EVL_OUT,             /* a line of a command's answer */
    EVL_OK,              /* a command's OK */
    EVL_ERR,             /* a command's ERR */
    EVL_NOTE,            /* the dashboard's own note: attached, server gone */
    EVL_KIND_COUNT
};

/* How the view is to show a kind: the colour class. */
enum evlog_tone {
    TONE_PLAIN, /* info, out */
    TONE_CHAT,  /* chat, private, nick */
    TONE_JOIN,  /* join */
    TONE_LEAVE, /* leave */
    TONE_WARN,  /* refuse, flood, slow, err */
    TONE_ERROR, /* error */
    TONE_OPER,  /* operator, the operator's own commands, ok */
    TONE_NOTE,  /* the dashboard's notes */
};

struct evrec {
    int64_t ms; /* Unix time, milliseconds */
    int kind;   /* enum admin_event or enum evlog_kind */
    char *who;  /* nick, or address when there is no nick; "" for none */
    char *text;
};

struct evlog {
    struct evrec *ring;
    size_t cap, first, count;
    size_t scroll;    /* entries above the bottom the pane shows; 0: following */
    unsigned unread;  /* entries that arrived while scrolled back */
    uint64_t version; /* bumped on every change, for redraws */
};

int evlog_init(struct evlog *log, size_t cap);
void evlog_free(struct evlog *log);

/* Appends a copy of who and text; false when memory ran out (the entry is
 * then lost, the log stays as it was). */
bool evlog_add(struct evlog *log, int64_t ms, int kind, const char *who, size_t who_len,
               const char *text, size_t text_len);
size_t evlog_count(const struct evlog *log);
/* i = 0 is the oldest entry still kept. */
const struct evrec *evlog_at(const struct evlog *log, size_t i);

const char *evlog_tag(int kind);
enum evlog_tone evlog_tone(int kind);

/* Where the parts of a formatted entry lie, as byte offsets of the line:
 * [0, time_end) the time, [time_end, tag_end) the tag, then the rest. */
struct evspans {
    size_t time_end, tag_end;
};
/* "14:05:09 chat    alice says: hi" (local time) into buf; its length, cut
 * at a character boundary when cap is too small. */
size_t evlog_format(const struct evrec *e, char *buf, size_t cap, struct evspans *sp);

/* Scrolling by delta entries (positive: back in time), clamped so the pane
 * of height rows stays full; back at the bottom clears unread. */
void evlog_scroll(struct evlog *log, long delta, size_t height);
void evlog_bottom(struct evlog *log);

#endif

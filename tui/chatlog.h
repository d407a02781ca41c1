/* chatlog: the scrollback, a ring of log entries with bounded memory.
 *
 * Entries are appended at the end; when the ring is full the oldest one is
 * dropped. Every entry gets a sequence number so that an acknowledgement can
 * find "its" entry later even after other entries arrived (or it was
 * dropped). The module also formats an entry as a line of text with spans
 * for the view to colour, and keeps the scroll position of the log pane.
 * No curses here: the view only draws what this computes. */
#ifndef SOCKCHAT_TUI_CHATLOG_H
#define SOCKCHAT_TUI_CHATLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { CHATLOG_DEFAULT_CAP = 10000 };

enum entry_kind {
    ENTRY_SELF,   /* "<me> text" plus its delivery state */
    ENTRY_CHAT,   /* "<nick> text" from someone else */
    ENTRY_ACTION, /* "* nick text" (/me, own ones carry a delivery state) */
    ENTRY_PRIV,   /* "[from -> to] text" */
    ENTRY_JOIN,   /* "--> text" */
    ENTRY_LEAVE,  /* "<-- text" */
    ENTRY_OUT,    /* "| text": command output */
    ENTRY_ERR,    /* "! text": an error from the server */
    ENTRY_NOTICE, /* "-!- text": server notices and shutdown */
    ENTRY_LOCAL,  /* "-- text": the client's own notes (nick changes too) */
    ENTRY_REPLY,  /* "> text": a plain (non-sockchat) server's response */
    ENTRY_ROOM,   /* "── text ──": now in another room (the history follows) */
    ENTRY_KIND_COUNT
};

enum delivery {
    DELIVERY_NONE,    /* not an own message */
    DELIVERY_PENDING, /* typed, not acknowledged yet */
    DELIVERY_DONE,    /* acknowledged; rtt_ms is set */
    DELIVERY_FAILED,  /* refused by the server */
};

struct entry {
    uint64_t seq;
    int64_t time; /* Unix seconds */
    enum entry_kind kind;
    enum delivery delivery;
    uint32_t rtt_ms;
    /* Names us or is private to us (alert.h): drawn to stand out, with a
     * mark in the text for a terminal without colour. */
    bool mention;
    /* Shown while the server said its cluster was out of reach (CLUSTER
     * local, issue 18): it reached only the people on that server. */
    bool local_only;
    char *nick; /* "" when the kind has none */
    char *text;
    /* Layout cache for the view: rows at cache_width columns. */
    size_t cache_width;
    size_t cache_rows;
};

struct chatlog {
    struct entry *ring;
    size_t cap;
    size_t first; /* ring index of the oldest entry */
    size_t count;
    uint64_t next_seq;
    uint64_t version; /* bumped on every change, so the view knows to redraw */
};

int chatlog_init(struct chatlog *log, size_t cap);
void chatlog_free(struct chatlog *log);
void chatlog_clear(struct chatlog *log);

/* Appends a copy of nick (may be NULL) and text; returns the new entry's
 * sequence number, or 0 when memory ran out (the entry is then lost). */
uint64_t chatlog_append(struct chatlog *log, enum entry_kind kind, int64_t time, const char *nick,
                        const char *text);

size_t chatlog_count(const struct chatlog *log);
/* i = 0 is the oldest entry still kept. */
struct entry *chatlog_at(const struct chatlog *log, size_t i);
/* NULL when seq was never given or was dropped from the ring. */
struct entry *chatlog_find(const struct chatlog *log, uint64_t seq);
void chatlog_set_delivery(struct chatlog *log, uint64_t seq, enum delivery d, uint32_t rtt_ms);
/* Marks the entry as having reached one server of a cluster only. */
void chatlog_set_local_only(struct chatlog *log, uint64_t seq);

/* The mark of such an entry, after its text and delivery state. */
#define ENTRY_LOCAL_MARK " [local only]"

/* Where the parts of a formatted entry lie, as byte ranges of the line. */
struct entry_spans {
    size_t time_end;  /* [0, time_end): "HH:MM " */
    size_t tag_start; /* [tag_start, tag_end): the nick or kind marker */
    size_t tag_end;
    size_t body_end; /* [tag_end, body_end): the text; then the suffix */
};

/* Formats e as one line ("HH:MM <nick> text ✓ 3 ms") into buf and returns
 * its length (cut at a character boundary if cap is too small). */
size_t entry_format(const struct entry *e, char *buf, size_t cap, struct entry_spans *sp);

/* Columns of the hanging indent of wrapped rows ("HH:MM "). */
enum { ENTRY_INDENT = 6 };

/* Rows e takes at width columns (cached). */
size_t chatlog_rows(struct chatlog *log, struct entry *e, size_t width);

/* The log pane's scroll position, in rows above the bottom. */
struct logview {
    size_t scroll;     /* 0: following the newest entry */
    unsigned unread;   /* entries that arrived while scrolled back */
    unsigned mentions; /* ... of them mentioning us (entry.mention) */
};

/* A new entry of `rows` rows arrived: keep the view still if scrolled,
 * and count it (and, when it mentions us, as a mention) as unread. */
void logview_on_append(struct logview *lv, size_t rows, bool mention);
/* Moves by delta rows (positive = back in time), clamped to the log's
 * height minus the pane's; back at the bottom clears unread. */
void logview_scroll(struct logview *lv, struct chatlog *log, long delta, size_t width,
                    size_t height);
void logview_top(struct logview *lv, struct chatlog *log, size_t width, size_t height);
void logview_bottom(struct logview *lv);
/* Rows of the whole log at width columns. */
size_t chatlog_total_rows(struct chatlog *log, size_t width);

#endif

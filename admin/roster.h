/* roster: the table of connections the server reports (ROSTER blocks), its
 * sort order, the selected row, and its layout in a given width.
 *
 * A block arrives as a ROSTER line and its ROW lines; the table shown
 * changes only when a block is whole, so the pane never shows half of one.
 * The selection follows the connection (its id), not the row number, so a
 * re-sort or a newcomer does not move it to someone else before a kick. */
#ifndef SOCKCHAT_ADMIN_ROSTER_H
#define SOCKCHAT_ADMIN_ROSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "admin.h"

enum roster_col {
    RC_NICK,
    RC_ADDR,
    RC_DIALECT,
    RC_STATE,
    RC_WORKER,
    RC_MSGS_IN,
    RC_MSGS_OUT,
    RC_BYTES_IN,
    RC_BYTES_OUT,
    RC_QUEUE,
    RC_IDLE,
    RC_ROOM, /* last: shown where the width allows, after the others */
    RC_COUNT
};

struct roster {
    struct admin_row rows[ADMIN_ROSTER_MAX];
    size_t n;
    unsigned total; /* connections on the server; n may be fewer */
    /* The block being received. */
    struct admin_row next[ADMIN_ROSTER_MAX];
    size_t next_n, next_shown;
    unsigned next_total;
    bool receiving;
    enum roster_col sort;
    unsigned long long sel_id; /* the selected connection; meaningful when has_sel */
    bool has_sel;
    size_t top;       /* first row shown in the pane */
    unsigned version; /* bumped on every change, for redraws */
};

void roster_init(struct roster *r);
/* A ROSTER line: a block of `shown` rows of `total` starts. */
void roster_begin(struct roster *r, unsigned total, unsigned shown);
/* A ROW line's key=value list. True when it completed the block, which is
 * then the table shown. A ROW outside a block is ignored. */
bool roster_row(struct roster *r, const char *kv, size_t len);
/* Empties the table (the server went away). */
void roster_clear(struct roster *r);

const char *roster_col_name(enum roster_col c);
/* Next sort column, round the columns. */
void roster_sort_next(struct roster *r);
/* Sorts rows by r->sort: text columns A to Z, counters largest first,
 * ties by nick then id, so the order is stable from block to block. */
void roster_sort(struct roster *r);

/* Moves the selection by delta rows (clamped); the first move selects. */
void roster_select_move(struct roster *r, long delta);
/* The selected row, or NULL. */
const struct admin_row *roster_selected(const struct roster *r);
/* Its index, or -1. */
long roster_selected_index(const struct roster *r);
/* Keeps the selected row inside a pane of height rows (adjusts top). */
void roster_follow(struct roster *r, size_t height);

/* Which columns fit in width, and how wide each is: the most telling
 * columns first (nick, dialect, address, messages, idle, queue, worker),
 * nick and address widened with what is left. */
struct roster_layout {
    enum roster_col cols[RC_COUNT];
    size_t widths[RC_COUNT];
    size_t n;
};
void roster_layout(struct roster_layout *lay, size_t width);
/* The header line (the sort column marked with '*') and one row, each
 * padded to the layout's columns; their lengths. */
size_t roster_format_header(const struct roster_layout *lay, enum roster_col sort, char *buf,
                            size_t cap);
size_t roster_format_row(const struct roster_layout *lay, const struct admin_row *row, char *buf,
                         size_t cap);

/* "512", "12.3K", "4.5M", "1.2G": a count in at most 5 columns. */
void roster_human(unsigned long long v, char *buf, size_t cap);
/* "12s", "3m", "2h", "5d". */
void roster_idle(long long ms, char *buf, size_t cap);

#endif

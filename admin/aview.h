/* aview: the dashboard's curses screen. The only file of sockchat-admin
 * that includes <curses.h>.
 *
 * Layout, top to bottom: the roster (a header and a row per connection,
 * the selected one in reverse), a rule with the keys, the event log, the
 * status bar, the input line (or a question). It draws the models of
 * dash.h and turns the terminal's keys into struct akey. */
#ifndef SOCKCHAT_ADMIN_AVIEW_H
#define SOCKCHAT_ADMIN_AVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dash.h"

enum { AVIEW_MIN_COLS = 40, AVIEW_MIN_ROWS = 10 };

enum akey_type {
    AK_NONE,
    AK_CHAR, /* ch: a printable character */
    AK_CTRL, /* ch: 'a'..'z' */
    AK_ALT,  /* ch: the character after ESC */
    AK_ESC,
    AK_ENTER,
    AK_TAB,
    AK_BACKSPACE,
    AK_DELETE,
    AK_LEFT,
    AK_RIGHT,
    AK_UP,
    AK_DOWN,
    AK_HOME,
    AK_END,
    AK_PGUP,
    AK_PGDN,
    AK_F, /* ch: the function key's number */
    AK_RESIZE,
};

struct akey {
    enum akey_type type;
    uint32_t ch;
};

struct aview {
    bool color;
    int rows, cols;
    bool full;          /* everything must be repainted */
    uint64_t drawn_key; /* a digest of what was drawn last, to skip idle redraws */
};

/* Starts curses; -1 with err set when the terminal cannot be used. */
int aview_open(struct aview *v, bool color, char *err, size_t errlen);
/* Gives the terminal back; safe to call twice and from atexit(). */
void aview_close(void);
/* Reads one key without blocking; false when none is waiting. */
bool aview_key(struct aview *v, struct akey *k);
/* SIGWINCH: adopt the terminal's new size. */
void aview_resize(struct aview *v);
/* Ctrl-Z: stop until `fg`, then repaint. */
void aview_suspend(struct aview *v);
void aview_invalidate(struct aview *v);

/* Rows of the log pane and of the roster pane, for scrolling. */
size_t aview_log_rows(const struct aview *v, const struct dash *d);
size_t aview_roster_rows(const struct aview *v, const struct dash *d);

void aview_draw(struct aview *v, struct dash *d);

#endif

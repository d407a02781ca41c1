/* view: the curses screen. The only file that includes <curses.h>.
 *
 * It draws the models (log, status, edit line) and turns the terminal's
 * key codes into struct tkey for the event loop. It redraws only the parts
 * whose model changed since the last call, and curses' doupdate() then
 * sends only the cells that differ. */
#ifndef SOCKCHAT_TUI_VIEW_H
#define SOCKCHAT_TUI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chatlog.h"
#include "editline.h"
#include "status.h"
#include "wire.h"

enum { VIEW_MIN_COLS = 40, VIEW_MIN_ROWS = 10 };

enum tkey_type {
    TK_NONE,
    TK_CHAR, /* ch: a printable character */
    TK_CTRL, /* ch: 'a'..'z' */
    TK_ALT,  /* ch: the character after ESC */
    TK_ESC,
    TK_ENTER,
    TK_TAB,
    TK_BACKSPACE,
    TK_DELETE,
    TK_LEFT,
    TK_RIGHT,
    TK_UP,
    TK_DOWN,
    TK_HOME,
    TK_END,
    TK_PGUP,
    TK_PGDN,
    TK_TOP,    /* Ctrl-Home */
    TK_BOTTOM, /* Ctrl-End */
    TK_WHEEL_UP,
    TK_WHEEL_DOWN,
    TK_PASTE_BEGIN,
    TK_PASTE_END,
    TK_RESIZE,
    TK_F1,
    TK_F2,
};

struct tkey {
    enum tkey_type type;
    uint32_t ch;
};

/* What to draw. */
struct screen {
    struct chatlog *log;
    struct logview *lv;
    struct status *st;
    struct editline *ed;
    const char *ask;      /* a question shown instead of the edit line, or NULL */
    unsigned ask_version; /* changes when the text at ask changes in place */
    /* The wire view's pane, when open (view_show_wire()). */
    const struct wire *wire;
    size_t wire_scroll; /* rows back from the newest call */
    bool wire_focus;    /* the keys scroll it: its title says so */
};

struct view {
    bool color;
    int rows, cols;
    /* What was drawn last, to redraw only what changed. */
    uint64_t log_version;
    size_t log_scroll;
    unsigned ed_version;
    char status_line[512];
    const char *ask;
    unsigned ask_version;
    bool full; /* everything must be redrawn */
    /* The wire pane, between the log and the status bar. */
    bool wire_open;
    uint64_t wire_total;
    size_t wire_scroll;
    bool wire_focus;
};

/* Starts curses on the terminal; returns -1 with err set on failure. With
 * mouse, the terminal reports the wheel (TK_WHEEL_UP/DOWN) and no longer
 * selects text on a plain drag (Shift-drag does in most terminals).
 * Without it, a terminal that turns the wheel into Up/Down keys in a
 * full-screen program sends exactly what the arrow keys send: those
 * arrive as TK_UP/TK_DOWN, which cannot be told apart. */
int view_open(struct view *v, bool color, bool mouse, char *err, size_t errlen);
/* Restores the terminal; safe to call twice and from atexit(). */
void view_close(void);

/* Reads one key without blocking; false when none is waiting. */
bool view_key(struct view *v, struct tkey *k);
/* The terminal changed size (SIGWINCH): adopt the new size. */
void view_resize(struct view *v);
/* Ctrl-Z: gives the terminal back as it was found and stops the process
 * (SIGTSTP); after the shell's `fg`, takes the terminal again and redraws
 * in full. Without job control (an orphaned process group) the kernel
 * ignores the stop, and this only redraws. */
void view_suspend(struct view *v);
/* Forces a full repaint on the next draw (Ctrl-L). */
void view_invalidate(struct view *v);

/* Log pane geometry for scrolling: rows and columns of the pane. */
size_t view_log_rows(const struct view *v);
size_t view_log_cols(const struct view *v);

/* Splits the screen for the wire pane (half the rows above the status
 * bar, its title included) or gives them back to the log. */
void view_show_wire(struct view *v, bool on);
/* Rows of system calls the wire pane shows (0 when closed). */
size_t view_wire_rows(const struct view *v);

void view_draw(struct view *v, const struct screen *s);
/* The terminal bell (curses' beep(): the audible one, or a flash where
 * the terminal has none). */
void view_bell(void);

#endif

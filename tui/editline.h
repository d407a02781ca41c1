/* editline: the input line, a UTF-8 line editor with history and completion.
 *
 * Every key is a pure operation on a struct editline, so all of them are
 * unit-tested without a terminal. Positions are byte offsets that always sit
 * on character boundaries; a character here is a code point together with
 * the zero-width marks that follow it, so the cursor never lands inside
 * "e + combining accent". */
#ifndef SOCKCHAT_TUI_EDITLINE_H
#define SOCKCHAT_TUI_EDITLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Room for the text of one message: a MSG line ("MSG " + id + " " + text +
 * LF) must stay within the protocol's 4096 bytes. */
enum { EDITLINE_MAX = 4000, EDITLINE_HISTORY_MAX = 500 };

struct editline {
    char buf[EDITLINE_MAX + 1];
    size_t len;
    size_t cur;
    size_t hscroll; /* first visible column, kept between redraws */
    char *history[EDITLINE_HISTORY_MAX];
    size_t hist_count;
    size_t hist_pos;  /* == hist_count when not browsing */
    char *hist_saved; /* the line being typed before browsing started */
    /* Tab completion cycling: active until any other edit. */
    bool comp_active;
    size_t comp_start; /* byte where the completed word starts */
    size_t comp_index; /* which candidate is shown */
    char comp_stem[64];
    unsigned version; /* bumped on every change, for redraws */
};

void editline_init(struct editline *ed);
void editline_free(struct editline *ed);

/* Inserts s[0..len) at the cursor; returns false (and inserts nothing)
 * when the line would grow past EDITLINE_MAX. Control characters are
 * dropped, as they would only confuse the line. */
bool editline_insert(struct editline *ed, const char *s, size_t len);
void editline_set(struct editline *ed, const char *s);
void editline_clear(struct editline *ed);

void editline_left(struct editline *ed);       /* Left, Ctrl-B */
void editline_right(struct editline *ed);      /* Right, Ctrl-F */
void editline_home(struct editline *ed);       /* Home, Ctrl-A */
void editline_end(struct editline *ed);        /* End, Ctrl-E */
void editline_backspace(struct editline *ed);  /* Backspace */
void editline_delete(struct editline *ed);     /* Delete */
void editline_word_left(struct editline *ed);  /* Alt-B */
void editline_word_right(struct editline *ed); /* Alt-F */
void editline_kill_word(struct editline *ed);  /* Ctrl-W: the word before the cursor */
void editline_kill_start(struct editline *ed); /* Ctrl-U: from the start to the cursor */
void editline_kill_end(struct editline *ed);   /* Ctrl-K: from the cursor to the end */

/* Up / Down: walk the history; Down past the newest brings back what was
 * being typed. */
void editline_history_prev(struct editline *ed);
void editline_history_next(struct editline *ed);
/* Enter: returns a copy of the line (caller frees), adds it to the history
 * unless empty or equal to the newest entry, and clears the line. */
char *editline_take(struct editline *ed);

/* Tab: completes the word before the cursor from cands (each NUL-terminated,
 * case-insensitive prefix match); repeated Tabs cycle through the matches.
 * A nick completed at the start of the line gets ": ", otherwise " ".
 * Returns false when nothing matched. */
bool editline_complete(struct editline *ed, const char *const *cands, size_t n);
/* The same, always followed by " ": for a command line (sockchat-admin),
 * where the first word is a command, not a nick addressed. */
bool editline_complete_word(struct editline *ed, const char *const *cands, size_t n);

/* For drawing in width columns: the byte where the visible part starts and
 * the cursor's column inside the visible part. Updates ed->hscroll so the
 * cursor stays visible, scrolling by a quarter of the width at a time. */
void editline_view(struct editline *ed, size_t width, size_t *start, size_t *cursor_col);

#endif

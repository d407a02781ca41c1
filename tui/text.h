/* text: UTF-8 decoding, display widths and word wrapping for the client.
 *
 * Pure helpers shared by the log, the edit line and the view, so that what
 * the model measures is exactly what the view draws. Widths come from
 * wcwidth(), so the caller must have set LC_CTYPE (the client and its tests
 * do). In ASCII mode (a terminal whose locale is not UTF-8) every non-ASCII
 * character is drawn as one '?' and measured as 1 column. */
#ifndef SOCKCHAT_TUI_TEXT_H
#define SOCKCHAT_TUI_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "utf8.h"

#define TEXT_REPLACEMENT UTF8_REPLACEMENT

/* Process-wide display mode: set once by main() from the locale. */
void text_set_ascii(bool ascii);
bool text_ascii(void);

/* Decodes one character at s[0..len) (len > 0) into *cp and returns the bytes
 * it used (1-4): proto's utf8_decode(), except that a bad sequence yields
 * U+FFFD and consumes 1 byte. */
size_t text_decode(const char *s, size_t len, uint32_t *cp);

/* Encodes cp as UTF-8 into out (4 bytes room); returns the byte count
 * (utf8_encode()). */
size_t text_encode(uint32_t cp, char *out);

/* Columns taken by cp on screen: 0 for combining marks, 2 for wide ones,
 * 1 for anything the C library cannot measure (the view draws U+FFFD). */
int text_cp_width(uint32_t cp);

/* Columns taken by s[0..len). */
size_t text_width(const char *s, size_t len);

/* Byte length of the longest prefix of s[0..len) that fits in cols columns,
 * never splitting a character. */
size_t text_fit(const char *s, size_t len, size_t cols);

/* Splits s[0..len) into rows of at most width columns, breaking after a
 * space where possible and anywhere else only when a word is longer than a
 * row. Rows after the first are indented by indent columns (so they hold
 * width - indent). starts[i] receives the byte offset where row i starts,
 * for i < max; blanks at a break are skipped. Returns the number of rows
 * (at least 1), even when it is more than max. */
size_t text_wrap(const char *s, size_t len, size_t width, size_t indent, size_t *starts,
                 size_t max);

/* A colour index in [0, n) stable for a nick (ASCII case-insensitive). */
unsigned text_nick_colour(const char *nick, unsigned n);

/* Appends printf-style text to buf, which holds len bytes and a NUL in
 * cap (len < cap), cutting what does not fit; returns the new length
 * (cap - 1 once it is full). For building a line of a list piece by
 * piece. */
size_t text_appendf(char *buf, size_t cap, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif

/* sanitize: makes text from the network safe to show on a terminal.
 *
 * Output is valid UTF-8 that contains no C0/C1 control character and no DEL:
 * - invalid, overlong or surrogate UTF-8 becomes U+FFFD, one per maximal bad
 *   subsequence;
 * - escape sequences (ESC followed by CSI, OSC, DCS, SOS, PM, APC, or by
 *   intermediates and one final byte as in "ESC ( B", and the C1 forms of
 *   CSI/OSC/DCS/SOS/PM/APC) are removed whole, unterminated ones to the end
 *   of the input; see docs/PROTOCOL.md section 9 for the exact rules;
 * - every other control character is shown as its Unicode control picture
 *   (NUL -> U+2400, BEL -> U+2407, DEL -> U+2421) or U+FFFD for C1;
 * - TAB becomes one space; bidi overrides/isolates (U+202A-202E, U+2066-2069)
 *   become U+FFFD so they cannot reorder what follows;
 * - everything else, wide characters and emoji included, is kept. */
#ifndef SOCKCHAT_SANITIZE_H
#define SOCKCHAT_SANITIZE_H

#include <stddef.h>

/* Callers check and cut sanitized text with utf8_valid_prefix() and
 * utf8_cut(): they come with it. */
#include "utf8.h"

/* Worst-case output size for len input bytes, terminating NUL included. */
#define SANITIZE_CAP(len) (3 * (len) + 1)

/* Writes the safe form of src[0..len) to dst, always NUL-terminated when
 * cap > 0, and returns its length. Output that does not fit is cut at a
 * character boundary. */
size_t sanitize_text(char *dst, size_t cap, const char *src, size_t len);

/* Replaces NUL, CR and LF in s[0..len) with spaces, in place, so a client
 * cannot forge a second line; returns len. The server applies it to every
 * text field before relaying. */
size_t sanitize_line(char *s, size_t len);

/* Collapses, in place, each run of more than BLANK_RUN_MAX blank
 * characters in s[0..len) into BLANK_RUN_MAX spaces, and returns the new
 * length (NUL-terminating s when it shrank). Blanks are the space, the
 * other Unicode spaces (U+00A0, U+2000-U+200A, U+3000, ...) and fillers
 * that fonts draw as nothing (U+2800, U+3164, ...); zero-width characters
 * between them belong to the run. A message padded with blanks to the
 * width of a terminal would otherwise show a forged line of its own after
 * the wrap (a "*** alice left" at nc's 80 columns, a "says:" line in the
 * server's log). For text that went through sanitize_text(). */
enum { BLANK_RUN_MAX = 3 };
size_t sanitize_blank_runs(char *s, size_t len);

#endif

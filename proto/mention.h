/* mention: whether a line names someone, as chat clients highlight it.
 * Pure. */
#ifndef SOCKCHAT_MENTION_H
#define SOCKCHAT_MENTION_H

#include <stdbool.h>
#include <stddef.h>

/* Where text first names nick as a word of its own: ASCII case ignored,
 * with neither side touching a letter, digit, '_' or '-' (the characters
 * of a nick), so "alice:", "@Alice" and "alice's" name alice and
 * "malice" or "alice_2" do not. Returns the offset, or -1 (also for an
 * empty nick). */
long mention_find(const char *text, const char *nick);

static inline bool mention_in(const char *text, const char *nick)
{
    return mention_find(text, nick) >= 0;
}

#endif

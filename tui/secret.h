/* secret: a line typed without being shown (the password prompt), and a
 * wipe the compiler may not leave out.
 *
 * The text lives only in the struct: it never goes through the edit line,
 * so it cannot reach the input history, and the caller shows stars
 * (secret_chars()) rather than the text. Pure, so tested without a
 * terminal. */
#ifndef SOCKCHAT_TUI_SECRET_H
#define SOCKCHAT_TUI_SECRET_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of a password: the HELLO line that carries it must stay within
 * the protocol's 4096 bytes. */
enum { SECRET_MAX = 512 };

struct secret {
    char buf[SECRET_MAX + 1];
    size_t len;
};

/* Appends s[0..len) (UTF-8 as typed); returns false, adding nothing, when
 * it would not fit or holds a byte that cannot travel in a line (CR, LF,
 * NUL) or another control character (a stray key, not part of a
 * password). */
bool secret_insert(struct secret *s, const char *text, size_t len);
/* Removes the last character (all bytes of a multibyte one). */
void secret_backspace(struct secret *s);
/* Characters typed, for the stars shown in their place. */
size_t secret_chars(const struct secret *s);
/* Forgets the text: every byte of the buffer is overwritten. */
void secret_clear(struct secret *s);

/* memset(p, 0, n) that is done even right before free() or the end of
 * the object's life, where a plain memset may be optimised away. */
void secret_wipe(void *p, size_t n);

#endif

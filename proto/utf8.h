/* utf8: the one UTF-8 decoder, encoder and character-boundary rule that the
 * server and the client share, so what one calls a character the other
 * does too. Pure, no allocation, no locale. */
#ifndef SOCKCHAT_UTF8_H
#define SOCKCHAT_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* U+FFFD REPLACEMENT CHARACTER: what bad input is shown as. */
#define UTF8_REPLACEMENT 0xFFFDu

/* Bytes in the longest character. */
enum { UTF8_MAX = 4 };

/* Decodes one character at s[0..len) (len > 0). Returns its length and
 * sets *cp, or returns the length of the maximal ill-formed subpart (1-3)
 * and sets *cp = -1: the rule of Unicode 15 section 3.9 (U+FFFD
 * substitution of maximal subparts). Overlong forms, surrogates, code
 * points above U+10FFFF and sequences cut off by len are ill-formed. */
size_t utf8_decode(const char *s, size_t len, int32_t *cp);

/* Encodes cp (at most U+10FFFF, not a surrogate) into out, which has room
 * for UTF8_MAX bytes; returns the byte count. */
size_t utf8_encode(uint32_t cp, char *out);

/* Number of bytes of the longest prefix of s[0..len) that is valid UTF-8. */
size_t utf8_valid_prefix(const char *s, size_t len);

/* Ends the NUL-terminated s before an invalid or cut-off UTF-8 sequence:
 * after snprintf() shortened text at a byte count, it must not end in half
 * a character. */
void utf8_cut(char *s);

/* The length of the longest prefix of s[0..len) that has at most max bytes
 * and does not end in part of a character: min(len, max), backed up over
 * continuation bytes (10xxxxxx) to the lead byte of the character it falls
 * in, or to 0. Only the byte at the cut is looked at, so bad UTF-8 before
 * it is kept as it is. */
size_t utf8_boundary(const char *s, size_t len, size_t max);

#endif

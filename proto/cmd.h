/* cmd: splits "/command args" lines. Pure, no allocation. */
#ifndef SOCKCHAT_CMD_H
#define SOCKCHAT_CMD_H

#include <stdbool.h>
#include <stddef.h>

struct cmd {
    const char *name; /* after the '/', not NUL-terminated */
    size_t name_len;
    const char *args; /* rest of the line with leading blanks skipped ("" if none) */
};

/* True when line is a command: it starts with '/' followed by a letter.
 * "//text" is not a command (an escape for chat text starting with '/'). */
bool cmd_parse(const char *line, struct cmd *c);

/* True when c names the command `name` (ASCII case-insensitive). */
bool cmd_is(const struct cmd *c, const char *name);

/* True when line is the tutorial's way out: "exit" in any ASCII case, with
 * blanks around it. The server closes on it and the client quits on it:
 * both ask here, so they cannot disagree. */
bool cmd_is_exit(const char *line);

/* Takes the next blank-separated word from *args: sets *word and *len, advances
 * *args past it and the blanks after it. Returns false when none is left. */
bool cmd_next_word(const char **args, const char **word, size_t *len);

/* A nickname is 1-24 ASCII letters, digits, '_' or '-', and starts with a
 * letter or a digit. */
enum { NICK_MAX = 24 };
bool nick_valid(const char *nick, size_t len);

/* The form under which two nicks are the same nick: ASCII case folded, I,
 * i, l and 1 taken as one letter, O and 0 as another, '-' as '_', and the
 * '_' and '-' at either end left out ("aIice", "ALICE_" and "alice" are
 * one nick). Written to out (cut to cap - 1 bytes, NUL-terminated when cap
 * > 0); returns its length. Pure: any bytes are accepted. */
enum { NICK_SKELETON_CAP = NICK_MAX + 1 };
size_t nick_skeleton(const char *nick, size_t len, char *out, size_t cap);
/* Whether the NUL-terminated nick is a guest nick: "guest" followed by
 * digits, or a nick that looks the same (its skeleton is one: "Guest12",
 * "guestl2", "guest1_"). The server hands these out and never lets one be
 * chosen, so a default nick can never collide; the client, asking for one,
 * expects another and says nothing about it. */
bool nick_reserved(const char *nick);
/* Whether the NUL-terminated a and b are the same nick (their skeletons
 * are equal; only the first NICK_MAX + 1 bytes of each are looked at). */
bool nick_same(const char *a, const char *b);

#endif

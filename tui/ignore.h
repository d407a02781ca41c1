/* ignore: the nicks whose chat this client hides (/ignore, issue 16).
 * Client side only: the server never hears of it. Kept for the life of
 * the process (across reconnects), following a nick change of whoever is
 * ignored, so that a new name is no way around it. Pure. */
#ifndef SOCKCHAT_TUI_IGNORE_H
#define SOCKCHAT_TUI_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

#include "cmd.h"

enum { IGNORE_MAX = 64 };

struct ignore {
    char nick[IGNORE_MAX][NICK_MAX + 1];
    size_t n;
};

enum ignore_result {
    IGNORE_OK,
    IGNORE_ALREADY, /* add: already there; remove: was not there */
    IGNORE_FULL,
    IGNORE_BAD_NICK,
};

void ignore_init(struct ignore *ig);
/* Nicks compare as the server tells them apart (nick_same(): "aIice" is
 * alice), so a look-alike name is no way around it either. */
enum ignore_result ignore_add(struct ignore *ig, const char *nick);
enum ignore_result ignore_remove(struct ignore *ig, const char *nick);
bool ignore_has(const struct ignore *ig, const char *nick);
/* Someone ignored changed their nick (NICK old new): the new one is. */
void ignore_rename(struct ignore *ig, const char *from, const char *to);
/* "bob, carol" into buf; "" when empty. */
size_t ignore_list(const struct ignore *ig, char *buf, size_t cap);

#endif

/* roomname: what a room is called. "#" and 1-24 of a-z 0-9 _ -, matched
 * ignoring ASCII case; "#main" is where everyone starts. Pure. */
#ifndef SOCKCHAT_ROOMNAME_H
#define SOCKCHAT_ROOMNAME_H

#include <stdbool.h>
#include <stddef.h>

#define ROOM_MAIN "#main"
enum {
    ROOMNAME_MAX = 24,                /* characters after the '#' */
    ROOMNAME_SIZE = ROOMNAME_MAX + 2, /* '#', the name, NUL */
};

/* Whether s (len bytes) is a room name as written on the wire: '#' and
 * 1-ROOMNAME_MAX of a-z A-Z 0-9 _ -. */
bool roomname_valid(const char *s, size_t len);

/* What a person typed ("#Lab1", "lab1": the '#' may be left out) as the
 * room's one spelling, "#lab1", in dst (ROOMNAME_SIZE bytes). Returns its
 * length, or -1 (dst "") when it is not a room name. */
int roomname_parse(char dst[ROOMNAME_SIZE], const char *s, size_t len);

#endif

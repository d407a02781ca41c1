/* rooms: what the client knows of the server's rooms (issue 16), for the
 * status bar, Alt-1..9 and Tab. Pure: fed the ROOM and UNREAD lines (and
 * the names a /rooms answer lists), it keeps
 *   - the room this connection is in, its people and topic;
 *   - the list the status bar shows: the rooms this connection has been in
 *     (or heard an UNREAD of), in the order first seen, so that Alt-N
 *     keeps naming the same room while the counts change; each with its
 *     unread count;
 *   - every room name seen in this process, for Tab after /join.
 * A server without rooms (sockchat/1, plain) sends no ROOM: then nothing
 * is known and nothing is shown. */
#ifndef SOCKCHAT_TUI_ROOMS_H
#define SOCKCHAT_TUI_ROOMS_H

#include <stdbool.h>
#include <stddef.h>

#include "roomname.h"

enum {
    /* The server sends UNREAD for the last 8 rooms left, plus the one we
     * are in: 9, one per Alt-digit. */
    ROOMS_LIST_MAX = 9,
    ROOMS_NAMES_MAX = 128, /* the server's ROOMS_MAX: names kept for Tab */
    ROOMS_TOPIC_MAX = 256,
};

struct room_slot {
    char name[ROOMNAME_SIZE];
    unsigned unread;
};

struct rooms {
    char cur[ROOMNAME_SIZE]; /* "": the server has not said (no rooms) */
    unsigned users;
    char topic[ROOMS_TOPIC_MAX];
    struct room_slot list[ROOMS_LIST_MAX];
    size_t nlist;
    char names[ROOMS_NAMES_MAX][ROOMNAME_SIZE];
    size_t nnames;
};

void rooms_init(struct rooms *r);
/* A new connection: the server starts it afresh in #main, so the room and
 * the list are forgotten (the names for Tab are kept). */
void rooms_reset(struct rooms *r);
/* ROOM NAME USERS TOPIC. Returns true when it is a different room from
 * the one we were in (or the first since rooms_reset()): a history
 * follows, and the log marks the change. False for a name that is not a
 * room name (ignored) and for the same room again (a new topic). */
bool rooms_on_room(struct rooms *r, const char *name, unsigned users, const char *topic);
/* UNREAD NAME COUNT; false when NAME is no room name. */
bool rooms_on_unread(struct rooms *r, const char *name, unsigned count);
/* A name seen elsewhere (a /rooms row), for Tab only. */
void rooms_note_name(struct rooms *r, const char *name);
/* The name in the /rooms row text ("  #main     12 people ..."), noted;
 * false when text is no such row. */
bool rooms_note_row(struct rooms *r, const char *text);
/* The Nth (from 1) room of the status bar's list, or NULL. */
const char *rooms_nth(const struct rooms *r, unsigned n);
/* The status bar's text: "[#lab1] #main (3) #lab2", the current room in
 * brackets, counts of unread messages after the others; "" without rooms. */
size_t rooms_format(const struct rooms *r, char *buf, size_t cap);

#endif

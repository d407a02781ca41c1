/* room: join, leave, chat to everyone, history (room.c). */
#ifndef SOCKCHAT_ROOM_H
#define SOCKCHAT_ROOM_H

#include "server.h"
#include "reply.h"

/* c, authed, with its dialect known, enters the room with the nick it
 * asked for (want; NULL or taken: its guestN) and gets the history. */
void room_join(struct client *c, enum dialect d, const char *want);
/* The line after a provisional join (c->provisional) settles the nick. */
void room_settle(struct client *c);
/* Whether joins and quits are announced in a room of this many users
 * (ANNOUNCE_MAX_USERS). */
bool room_announced(unsigned users);
/* Leaves the room (announcing it when the policy says so). Idempotent. */
void room_leave(struct client *c, const char *reason);
/* With reg_lock held: queues m on every joined client except `except`.
 * Encodes at most once per dialect. */
void room_broadcast_locked(struct server *srv, const struct msg *m, const struct client *except);
/* Relays a chat text (already sanitised) from c to everyone; ACKs it.
 * Refused (ERR muted) while c is muted. */
void room_chat(struct reply *r, enum msg_type type, const char *text);
/* True, with ERR muted replied, when r->c is muted now: it may read and
 * run commands, not write to anyone (chat, /me, /msg, /nick). */
bool room_muted(struct reply *r);
/* The transcript's on_lost hook (arg: the server): repairs it under
 * reg_lock, as appends are made, and logs what was done. */
void room_transcript_repair(void *arg);

#endif

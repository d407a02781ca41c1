/* room: join, leave, move between rooms, chat to a room, history (room.c);
 * the table of rooms (rooms.c). */
#ifndef SOCKCHAT_ROOM_H
#define SOCKCHAT_ROOM_H

#include "server.h"
#include "reply.h"

/* A student wrote in a room the operator locked, or set a pinned topic. */
#define ERR_LOCKED "locked"

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
/* With reg_lock held: queues m on every joined client, in every room,
 * except `except`. Encodes at most once per dialect. */
void room_broadcast_locked(struct server *srv, const struct msg *m, const struct client *except);
/* With reg_lock held: the same, to rm's members only. */
void room_send_locked(const struct room *rm, const struct msg *m, const struct client *except);
/* With reg_lock held: c (joined) goes from its room to dst. The old room
 * hears LEAVE "went to dst", dst hears JOIN (as the announce policy says,
 * per room); c is told (ROOM to a v2 client, else an OUT line), then gets
 * dst's history and topic. r: c's own command's reply, through which it
 * is told; NULL (the operator moved it): queued directly. */
void room_move_locked(struct client *c, struct room *dst, struct reply *r);
/* With reg_lock held: tells c its room's topic, if it has one (NOTICE). */
void room_topic_tell_locked(struct client *c, struct reply *r);
/* With reg_lock held: sets rm's topic (text "": clears it) and tells its
 * members: a NOTICE "BY set|pinned|cleared the topic of ...", and to v2
 * clients a fresh ROOM line. r: the setter's reply (it is told through
 * it), or NULL (the operator). With --transcript the topic is saved
 * first, as chat is: -1, nothing changed and nobody told, when it could
 * not be (the caller says so; rm may be gone after a 0 that cleared it). */
int room_topic_set_locked(struct server *srv, struct room *rm, const char *text, const char *by,
                          bool pinned, struct reply *r);
/* Relays a chat text (already sanitised) from c to its room; ACKs it.
 * Refused (ERR muted) while c is muted, (ERR locked) in a locked room. */
void room_chat(struct reply *r, enum msg_type type, const char *text);
/* A chat or /me line m said in room `name` (made if need be) through the
 * cluster: queued on its members here but the connection except_id (the
 * sender, which has its ACK; 0: none), kept in history and the
 * transcript. live false: only kept in the history (the stream read back
 * at start). */
void room_relay(struct server *srv, const char *name, const struct msg *m, uint64_t except_id,
                bool live);
/* Another node's join, leave or nick change (cluster_tail.c), told to
 * this node's people in its room as their own would be. */
struct centry;
void room_remote_change(struct server *srv, const struct centry *e);
/* Every room's history emptied: the cluster's replaces a transcript's. */
void room_history_reset(struct server *srv);
/* True, with ERR muted replied, when r->c is muted now: it may read and
 * run commands, not write to anyone (chat, /me, /msg, /nick). */
bool room_muted(struct reply *r);
/* Replies ERR locked: room `where` is read-only for students (chat, /me,
 * /topic there are refused alike). */
void room_refuse_locked(struct reply *r, const char *where);
/* The transcript's on_lost hook (arg: the server): repairs it under
 * reg_lock, as appends are made, and logs what was done. */
void room_transcript_repair(void *arg);

/* ---- rooms.c: the table, under reg_lock ---- */

/* #main, in srv->rooms[0] (server_init). */
void rooms_init(struct server *srv);
void rooms_free(struct server *srv);
/* The room of this folded name (roomname_parse), or NULL. */
struct room *rooms_find_locked(struct server *srv, const char *name);
/* The same, created when there is none. When ROOMS_MAX exist, the empty
 * room quiet longest makes way (not one with a pinned topic, a lock or
 * holds > 0: a caller making several holds the ones it made); NULL when
 * none can (or out of memory). Any other room pointer the caller holds
 * may be freed by it unless that room has people or holds. */
struct room *rooms_get_locked(struct server *srv, const char *name);
/* Frees rm if nothing keeps it (members, history, topic, lock, watchers);
 * never #main. */
void rooms_gc_locked(struct server *srv, struct room *rm);
/* c becomes the last member of rm (and stops watching it). */
void rooms_enter_locked(struct room *rm, struct client *c);
/* c leaves its room's member list (c->room NULL after). */
void rooms_exit_locked(struct client *c);
/* c left rm: a v2 client hears UNREAD of it (at most ROOM_LEFT_MAX rooms).
 * False: out of memory for c's first watch (it hears none of rm). */
bool rooms_watch_locked(struct server *srv, struct client *c, struct room *rm);
/* c goes away: it watches nothing more. */
void rooms_unwatch_all_locked(struct server *srv, struct client *c);
/* A chat or action message was said in rm: its watchers hear UNREAD, at
 * most once every UNREAD_EVERY_MS each; a count held back is told with a
 * message said anywhere once its second is over. */
void rooms_said_locked(struct server *srv, struct room *rm);
/* The /rooms table through out(): "N rooms:", then a row per room, #main
 * first; self's room (NULL: none) is marked. */
void rooms_list(struct server *srv, const struct client *self,
                void (*out)(void *arg, const char *line), void *arg);

#endif

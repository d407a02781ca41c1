/* chat_internal: what the files of the chat model share with each other
 * and with nothing else (the event loop and the tests use chat.h).
 *
 *   chat.c     life cycle, connect/disconnect, bytes in, timers, log notes
 *   nicks.c    the nicks known, for completion
 *   password.c the passwords and the server each is for
 *   detect.c   what the server is, from its first bytes or its silence
 *   handle.c   what the server says: a table of framed line types, and the
 *              plain dialect's responses
 *   replay.c   the history after a WELCOME, less what the log already shows
 *   outbox.c   bytes to send, own messages pending, pacing and resending
 *   command.c  what the user typed: the table of /commands
 *   paste.c    what the user pasted
 *   rooms.c, ignore.c, alert.c: pure parts the handlers use (their own
 *              headers) */
#ifndef SOCKCHAT_TUI_CHAT_INTERNAL_H
#define SOCKCHAT_TUI_CHAT_INTERNAL_H

#include <sys/types.h>

#include "chat.h"

/* ---- chat.c ---- */
/* Logs an entry; everything shown goes through the sanitiser. Returns its
 * seq (0: out of memory, not logged). */
uint64_t chat_add_entry(struct chat *c, enum entry_kind kind, int64_t time, const char *nick,
                        const char *text, size_t text_len);
void chat_notef(struct chat *c, enum entry_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Connected, and the dialect known: messages may go. */
bool chat_ready(const struct chat *c);

/* ---- nicks.c ---- */
void chat_nick_add(struct chat *c, const char *nick);
void chat_nick_remove(struct chat *c, const char *nick);

/* ---- password.c ---- */
void password_forget(struct chat_password *pw);
/* The password this connection's HELLO carries (NULL: none), noted in
 * c->hello_password and c->hello_typed. */
const char *password_hello(struct chat *c);

/* ---- detect.c ---- */
/* Decides what the server is from its first bytes, held in c->rx. complete:
 * no more are coming for this decision (the connection closed, the greeting
 * time ran out). */
void detect_first_reply(struct chat *c, bool complete);
/* The first bytes after a silence. Returns false when the connection is to
 * be given up. */
bool detect_after_silence(struct chat *c, const char *data, size_t len);
/* No greeting in CHAT_GREETING_MS (see chat.h). */
void detect_no_greeting(struct chat *c);

/* ---- handle.c ---- */
void handle_framed(struct chat *c, const char *data, size_t len);
void handle_plain(struct chat *c, const char *data, size_t len);

/* ---- replay.c ---- */
/* A WELCOME or a ROOM line: a history follows. */
void replay_begin(struct chat *c);
/* A line of type t arrived: any but history ends the replay. */
void replay_on_line(struct chat *c, enum msg_type t);
/* True when the CHAT or ACTION line m is history the log already shows. */
bool replay_seen(struct chat *c, enum entry_kind kind, const struct msg *m);
void replay_stop(struct chat *c);
/* Whether a CHAT or ACTION line arriving now is part of a history. */
bool replay_in_history(const struct chat *c);

/* ---- outbox.c ---- */
bool outbox_put(struct chat *c, const char *s, size_t n);
void outbox_drop(struct chat *c);
void outbox_free(struct chat *c);
void outbox_send_framed(struct chat *c, const struct msg *m);
void outbox_send_msg(struct chat *c, uint64_t id, const char *text);
void outbox_send_plain(struct chat *c, const char *text);
/* Logs an own message as pending and sends it when it may go. */
void outbox_queue_own(struct chat *c, enum entry_kind kind, const char *shown, const char *wire);
/* Sends whatever pending messages may go now, in order. */
void outbox_flush(struct chat *c);
/* Pending message i is answered: d says how. */
void outbox_done(struct chat *c, size_t i, enum delivery d);
/* The oldest message in flight, or -1. */
ssize_t outbox_in_flight(const struct chat *c);
/* After a drop: everything unacknowledged goes again on the next one. */
void outbox_requeue(struct chat *c);
/* A server that was silent greets after all: resend as MSG. */
void outbox_late_greeting(struct chat *c);
/* CHAT_DISCONNECT once the output passed CHAT_OUT_MAX; own messages stay
 * pending (chat_on_disconnect), as after any drop. */
enum chat_action outbox_verdict(struct chat *c);

/* ---- paste.c ---- */
void paste_drop(struct chat *c);

#endif

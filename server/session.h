/* session: bytes in, actions out (session.c): detect the dialect -> frame
 * -> auth and rate gates -> commands or room. */
#ifndef SOCKCHAT_SESSION_H
#define SOCKCHAT_SESSION_H

#include "server.h"

/* The owner hands every chunk it reads to session_input. Afterwards c may
 * have output queued and/or a close request, and part of the chunk may
 * wait in c->backlog (the queue filled up). */
void session_input(struct client *c, const char *data, size_t len);
/* The owner, after each flush: handles the backlog once the queue has room
 * again. True when it handled some. */
bool session_resume(struct client *c);
/* The owner, by the clock: a greeting's start held past its deadline
 * (GREET_WAIT_MS) is decided as what it looks like. now_ms < 0: now,
 * whatever the time (the peer finished sending). */
void session_greet_flush(struct client *c, int64_t now_ms);
/* Whether data, read by c's owner and not handed on yet, is a tutorial
 * client's message (one read, one message) rather than bytes to frame:
 * for --trace's line, which is logged before the read is handled. */
bool session_reads_raw(const struct client *c, const char *data, size_t len);
/* The owner's last step: leave, unregister, log. Does not free. */
void session_end(struct client *c);
/* Tells a refused connection (c->refusal) why, in dialect d (DIALECT_UNKNOWN:
 * it sent nothing: as a line client), and asks to close it. */
void session_refuse(struct client *c, enum dialect d);

#endif

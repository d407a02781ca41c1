/* rate: --rate, a token bucket per connection (rate.c). */
#ifndef SOCKCHAT_RATE_H
#define SOCKCHAT_RATE_H

#include "server.h"
#include "reply.h"

/* c's bucket refilled to now_ms. */
void rate_refill(struct client *c, int64_t now_ms);
/* True when c may send one more message at now_ms (and takes its token). */
bool rate_allow(struct client *c, int64_t now_ms);
/* Refuses a message over the rate (the log hears of it once per flood). */
void rate_refuse(struct reply *r);
/* c joins the room: its tokens are taken again from its address's. */
void rate_rejoin(struct client *c, int64_t now_ms);
/* c leaves: what it has left goes back to its address (peers.c). */
void rate_leave(struct client *c);

#endif

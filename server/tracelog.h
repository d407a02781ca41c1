/* tracelog: --trace's events, logged per connection (kind `trace`) by the
 * thread that serves it; the wording and the rate bound are trace.c's. */
#ifndef SOCKCHAT_TRACELOG_H
#define SOCKCHAT_TRACELOG_H

#include "server.h"

/* Whether c is traced now (owner only: reads c->nick unlocked). */
bool tracelog_wants(struct client *c);
/* Sets what is traced: off, everyone, or the connection named nick. */
void tracelog_set(struct server *srv, enum trace_mode mode, const char *nick);
/* What is traced, for the `trace` command's answer. */
void tracelog_describe(struct server *srv, char *buf, size_t cap);
/* c's owner took it: "accepted on thread 4242 (a new thread)". waited_ms:
 * how long it sat in the listen backlog (single mode), -1 not known. */
void tracelog_accept(struct client *c, int64_t waited_ms);
/* c's owner read data[0..len) (before handing it on). */
void tracelog_read(struct client *c, const char *data, size_t len);
/* c's owner wrote wrote bytes of queued. */
void tracelog_write(struct client *c, size_t wrote, size_t queued);
/* Another thread wrote wrote bytes of a len-byte line to c's socket itself
 * (client.c, threads mode); the rest, if any, is queued. With reg_lock. */
void tracelog_write_direct(struct client *c, size_t wrote, size_t len);
/* c's owner closes it, for reason. */
void tracelog_close(struct client *c, const char *reason);
/* Single mode: n connections wait in the listen backlog. */
void tracelog_backlog(struct server *srv, unsigned n);

#endif

/* adminsock: the server's admin socket (docs/PROTOCOL.md section 13), the
 * operator's seat for sockchat-admin and scripts. The line protocol itself
 * is proto/admin.h; this is the socket, its thread and what it publishes.
 *
 * (Not admin.h: that name is proto's, and both folders are on the include
 * path of the server's files.) */
#ifndef SOCKCHAT_ADMINSOCK_H
#define SOCKCHAT_ADMINSOCK_H

#include <stdarg.h>
#include <sys/types.h>

#include "server.h"

enum {
    ADMINSOCK_QUEUE_MAX = 1 << 20, /* an admin's unread output, at most: then "too slow" */
    ADMINSOCK_CONNS_MAX = 32,      /* admins at once */
    ADMINSOCK_TICK_MS = 1000,      /* STATS and ROSTER to subscribers */
    ADMINSOCK_CLOSE_MS = 1000,     /* a closing admin's last lines: how long they may take */
    /* sigqueue(SIGTERM)'s value when an admin typed quit: the signalfd
     * tells it from a SIGTERM sent by someone else. */
    ADMINSOCK_QUIT_SIGVAL = 0x5c0a,
};

struct adminsock;

/* Opens the socket at path (its directory made 0700 if missing, and
 * checked), sets srv->admin and starts the admin thread. NULL (and the log
 * says why) when there is none: the server runs on without it. Before any
 * other thread than the log's runs. */
struct adminsock *adminsock_start(struct server *srv, const char *path);
const char *adminsock_path(const struct adminsock *a);
/* Every admin gets BYE shutting down; the thread ends, the socket is
 * removed. a may be NULL. */
void adminsock_stop(struct adminsock *a);
/* Whether any admin is subscribed to events: one atomic load, so that
 * nobody formats an event nobody reads. a may be NULL. */
bool adminsock_wants_events(const struct adminsock *a);
/* An EVENT to every admin subscribed to events (from any thread, any lock
 * held but the admin lock): fmt formats its text; c (NULL: none) gives
 * its ADDR and NICK. */
void adminsock_publishv(struct adminsock *a, enum admin_event ev, const struct client *c,
                        const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* ---- adminpath.c: where the socket is, and opening it there ---- */

/* Where the socket is by default for port: $XDG_RUNTIME_DIR/sockchat/
 * PORT.sock, else /tmp/sockchat-UID/PORT.sock. -1 when it does not fit. */
int adminpath_default(char *buf, size_t cap, unsigned port);
/* The listening socket at path (non-blocking, close-on-exec), mode 0600,
 * in a directory made 0700 if missing and checked; *dev and *ino say
 * which file it is, so that only it is removed at exit. -1 with why in
 * err. */
int adminpath_listen(const char *path, dev_t *dev, ino_t *ino, char *err, size_t ecap);

/* ---- adminstat.c: what STATS and ROSTER say ---- */

/* The counters at the last STATS, for the rates over the last second. */
struct adminstat_rates {
    int64_t at_ms; /* 0: none yet */
    unsigned long long messages, deliveries;
};
/* The server's STATS now (admins: how many are attached); moves r on. */
void adminstat_stats(struct server *srv, struct adminstat_rates *r, unsigned admins,
                     struct admin_stats *s);
/* The ROSTER block, its LFs included: "ROSTER TOTAL SHOWN" then a ROW per
 * connection, the newest first, at most ADMIN_ROSTER_MAX. Malloc'd; NULL
 * when out of memory. */
char *adminstat_roster(struct server *srv, size_t *len);
/* The rooms there are now, for STATS's rooms= (appended to the line
 * admin_format_stats makes: proto's parsers skip keys they do not know). */
unsigned adminstat_rooms(struct server *srv);

#endif

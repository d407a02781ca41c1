/* dloop: the dashboard's loop state, shared by the loop (dloop.c) and
 * what the keys do (akeys.c). */
#ifndef SOCKCHAT_ADMIN_DLOOP_H
#define SOCKCHAT_ADMIN_DLOOP_H

#include <stdbool.h>

#include "aapp.h"
#include "aview.h"
#include "dash.h"

struct dloop {
    const struct aopts *o;
    struct link *l;
    struct dash d;
    struct aview v;
    long long retry_at;  /* monotonic ms of the next attach attempt, when gone */
    long long greet_end; /* monotonic ms by which the greeting must come */
    /* The server's log is this terminal (sock_peer_shares_tty): its
     * lines, which come with its events, are painted over by a full
     * repaint at repaint_at (0: none due), and repaint_again once more. */
    bool shared_tty, repaint_again;
    long long repaint_at;
    bool done;
    char err[256];
};

/* Sends a command when attached (hidden: the dashboard's own, not shown);
 * otherwise a note says it was not sent. */
void dloop_send(struct dloop *a, const char *cmd, bool hidden);

/* One key: the question's answer, a binding, or a character typed. */
void akeys_handle(struct dloop *a, const struct akey *k);

#endif

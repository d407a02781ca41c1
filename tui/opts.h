/* opts: what the command line and the environment asked of the client
 * program (main.c fills it in), for either of its front ends: the curses
 * client (loop.h) and the line client (plain.h). */
#ifndef SOCKCHAT_TUI_OPTS_H
#define SOCKCHAT_TUI_OPTS_H

#include <stdbool.h>

#include "alert.h"

struct client_opts {
    const char *host;
    const char *port;
    const char *nick;
    const char *password; /* NULL: none (from SOCKCHAT_PASSWORD or --password-file) */
    bool color;
    bool mouse;      /* --mouse: the wheel scrolls, a drag no longer selects text */
    bool nick_given; /* --nick or SOCKCHAT_NICK: plain mode then asks for it */
    /* Teaching (issue 14): see the byte stream. */
    bool wire;           /* --wire: the wire view open from the start; --plain: on stderr */
    unsigned chunk;      /* --chunk N[:MS]: at most N bytes per send(); 0: no limit */
    unsigned chunk_ms;   /* ... MS ms apart */
    int nodelay;         /* --nodelay on|off: TCP_NODELAY 1 or 0; -1 the kernel's default */
    bool restricted;     /* --restricted: an ssh account's session (restrict.h) */
    enum bell_mode bell; /* --bell: what rings the terminal bell (alert.h) */
    /* TLS (issue 19). */
    bool tls;            /* --tls or SOCKCHAT_TLS=1: every server over TLS */
    bool no_tls;         /* --no-tls: clear text even to a server known to speak TLS */
    const char *tls_ca;  /* --tls-ca FILE: verify against it instead of trust on first use */
    bool tls_accept_new; /* --tls-accept-new: trust a first-seen certificate without asking */
};

#endif

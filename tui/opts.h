/* opts: what the command line and the environment asked of the client
 * program (main.c fills it in), for either of its front ends: the curses
 * client (loop.h) and the line client (plain.h). */
#ifndef SOCKCHAT_TUI_OPTS_H
#define SOCKCHAT_TUI_OPTS_H

#include <stdbool.h>

struct client_opts {
    const char *host;
    const char *port;
    const char *nick;
    const char *password; /* NULL: none (from SOCKCHAT_PASSWORD or --password-file) */
    bool color;
    bool mouse;      /* --mouse: the wheel scrolls, a drag no longer selects text */
    bool nick_given; /* --nick or SOCKCHAT_NICK: plain mode then asks for it */
};

#endif

/* loop: the interactive client's single thread and its one poll() loop over
 * the terminal, the socket, timers and a self-pipe for signals. Curses is
 * touched only from here (through view.c). */
#ifndef SOCKCHAT_TUI_LOOP_H
#define SOCKCHAT_TUI_LOOP_H

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

/* Runs the curses client until the user quits; returns a sysexits code. */
int loop_run(const struct client_opts *opt);

/* Runs the line client (--plain, or no terminal); returns a sysexits code. */
int plain_run(const struct client_opts *opt);

/* Milliseconds of CLOCK_MONOTONIC. */
long long loop_now_ms(void);

#endif

/* loop: the interactive client's single thread and its one poll() loop over
 * the terminal, the socket, timers and a self-pipe for signals. Curses is
 * touched only from here (through view.c). */
#ifndef SOCKCHAT_TUI_LOOP_H
#define SOCKCHAT_TUI_LOOP_H

#include "opts.h"

/* Runs the curses client until the user quits; returns a sysexits code. */
int loop_run(const struct client_opts *opt);

/* Milliseconds of CLOCK_MONOTONIC. */
long long loop_now_ms(void);

#endif

/* plain: the line client, for scripts, pipes and screen readers (see
 * plain.c). */
#ifndef SOCKCHAT_TUI_PLAIN_H
#define SOCKCHAT_TUI_PLAIN_H

#include "opts.h"

/* Runs the line client (--plain, or no terminal); returns a sysexits code. */
int plain_run(const struct client_opts *opt);

#endif

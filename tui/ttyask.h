/* ttyask: reads one line from a terminal with its echo off, for the line
 * client's password prompt (the curses client has its own, on its input
 * line). */
#ifndef SOCKCHAT_TUI_TTYASK_H
#define SOCKCHAT_TUI_TTYASK_H

#include <stddef.h>

/* Writes prompt to out_fd, then reads a line from in_fd (a terminal) with
 * echo off into buf (NUL-terminated, without its newline; at most cap - 1
 * bytes). The terminal's settings are restored before it returns, and
 * before a signal that ends the program (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT)
 * takes effect; Ctrl-Z stops the program with echo on, and the prompt is
 * written again after `fg`. Returns 0, 1 at the end of input (Ctrl-D)
 * before anything was typed, -1 with errno set on failure (E2BIG: the line
 * was longer than cap - 1 bytes; it was read and dropped). The caller
 * wipes buf after use. */
int ttyask_secret(int in_fd, int out_fd, const char *prompt, char *buf, size_t cap);

#endif

/* link: one connection to the admin socket as lines in and lines out, for
 * a poll() loop: reads are framed with proto's linebuf, writes wait in a
 * bounded buffer until the socket takes them, so a busy server never
 * blocks the terminal. */
#ifndef SOCKCHAT_ADMIN_LINK_H
#define SOCKCHAT_ADMIN_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "linebuf.h"
#include "sock.h"

enum { LINK_OUT_MAX = 64 * 1024 };

struct link {
    int fd; /* -1 when closed */
    struct linebuf in;
    char out[LINK_OUT_MAX];
    size_t out_len;
};

void link_init(struct link *l);
/* Connects to path; -1 with err and *fail set (sock_connect). */
int link_open(struct link *l, const char *path, enum sock_fail *fail, char *err, size_t errlen);
void link_close(struct link *l);
/* Queues line (no LF) and LF; -1 with err set when it cannot be queued
 * (a line too long, or the server has not read 64 KiB). */
int link_send(struct link *l, const char *line, char *err, size_t errlen);
/* Writes what the socket takes now. -1 with err set when it failed. */
int link_flush(struct link *l, char *err, size_t errlen);
bool link_wants_write(const struct link *l);

/* Reads what is there and calls fn for each whole line. 0: read on; 1: the
 * server closed; -1: an error (err set). */
typedef void link_line_fn(void *ctx, const char *line, size_t len);
int link_read(struct link *l, link_line_fn *fn, void *ctx, char *err, size_t errlen);

#endif

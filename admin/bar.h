/* bar: the dashboard's status bar, as one line of plain text.
 *
 * "attached | threads | type 192.168.1.20:5000 | 3 clients | 12 msg/s
 * 36 dlv/s | up 1h02m | 5.2 MiB | 7 threads": the same with or without
 * colour, so it reads on a monochrome projector and tests can match it. */
#ifndef SOCKCHAT_ADMIN_BAR_H
#define SOCKCHAT_ADMIN_BAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"

enum attach_state {
    ATTACH_CONNECTING, /* connected, waiting for the greeting */
    ATTACH_ATTACHED,
    ATTACH_GONE, /* the server went away; retrying */
};

struct bar {
    enum attach_state state;
    const struct admin_stats *stats; /* NULL: none received yet */
    char gone_why[128];              /* ATTACH_GONE: why ("server closed: shutting down") */
    unsigned unread;                 /* log entries below the view */
};

/* The whole bar, fields joined by " | ". */
size_t bar_format(const struct bar *b, char *buf, size_t cap);
/* The same within width columns: the least telling fields (threads, memory,
 * uptime, mode, rates) are left out until it fits, then it is cut. */
size_t bar_format_fit(const struct bar *b, char *buf, size_t cap, size_t width);

/* "45s", "12m05s", "1h02m", "3d04h". */
void bar_uptime(int64_t ms, char *buf, size_t cap);

#endif

/* aapp: what main.c hands to the two front ends of sockchat-admin, the
 * dashboard (dloop.c) and the line mode (plain.c), and the start-up steps
 * they share. */
#ifndef SOCKCHAT_ADMIN_AAPP_H
#define SOCKCHAT_ADMIN_AAPP_H

#include <stdbool.h>
#include <stdint.h>

#include "attach.h"
#include "link.h"

enum {
    GREET_TIMEOUT_MS = 5000,
    RETRY_MS = 1000,
    REPAINT_DELAY_MS = 50, /* a server sharing our terminal: see dloop.h */
    REPAINT_LATE_MS = 450,
};

struct aopts {
    char path[256]; /* the admin socket */
    char port[16];  /* the port it was derived from; "" with --socket */
    bool plain;     /* line mode */
    bool color;
};

/* Unix time in milliseconds (event and answer stamps), and a monotonic
 * clock for timers. */
int64_t aapp_wall_ms(void);
long long aapp_mono_ms(void);

/* Says on stderr why attaching failed, as the user can act on it, and
 * returns the exit code (sysexits.h). */
int aapp_fail(const struct aopts *o, enum sock_fail fail, const char *err);

/* Waits for the greeting (feeding every line to fn, which drives *at) for
 * at most GREET_TIMEOUT_MS. 0 once attached; else an exit code, with the
 * reason said on stderr. */
int aapp_greet(const struct aopts *o, struct link *l, const struct attach *at, link_line_fn *fn,
               void *ctx);

int dloop_run(const struct aopts *o, struct link *l);
int plain_run(const struct aopts *o, struct link *l);

#endif

/* attach: the admin connection's state machine, pure: it is fed the
 * server's lines and what was sent, and says what each line means to the
 * program above it (the dashboard or the line mode).
 *
 * connecting --(SOCKCHAT-ADMIN 1)--> attached --(BYE, EOF)--> gone
 * A first line that is not the greeting of protocol 1 is a mismatch: the
 * program says so and stops, as it would talk past the server otherwise.
 * The answers to the commands the program sends for itself (its
 * `subscribe`) are counted but not shown, except an ERR. */
#ifndef SOCKCHAT_ADMIN_ATTACH_H
#define SOCKCHAT_ADMIN_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "admin.h"
#include "bar.h"

struct attach {
    enum attach_state state;
    char version[32]; /* the server's, from the greeting */
    unsigned pending; /* commands sent and not answered yet */
    unsigned hidden;  /* the first of them, whose answers are not shown */
    struct admin_stats stats;
    bool have_stats;
    bool mismatch; /* the first line was not our greeting */
    char why[128]; /* why it is gone, or what the mismatch was */
};

enum attach_act {
    AA_NONE,     /* nothing to show (a hidden answer, a blank line) */
    AA_ATTACHED, /* the greeting: attached now */
    AA_MISMATCH, /* not our protocol: why says what came */
    AA_SHOW,     /* OUT, OK, ERR, EVENT: a line for the log */
    AA_STATS,    /* stats updated */
    AA_ROSTER,   /* a ROSTER line: a block starts */
    AA_ROW,      /* a ROW line */
    AA_BYE,      /* the server says it is closing; why says why */
    AA_BAD,      /* a line this protocol does not have: ignored */
};

/* A new connection: waiting for the greeting, nothing pending. */
void attach_start(struct attach *a);
/* A command went out; hidden: the program's own, its answer not shown. */
void attach_sent(struct attach *a, bool hidden);
/* The connection ended (EOF, an error); why: what happened. */
void attach_gone(struct attach *a, const char *why);
/* One line from the server (without its LF); *pl is filled when parsed. */
enum attach_act attach_line(struct attach *a, const char *line, size_t len, struct admin_line *pl);

#endif

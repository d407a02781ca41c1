/* status: the model of the status bar and its one-line rendering.
 *
 * The rendering is plain text ("connected | 127.0.0.1:5000 | alice |
 * 3 users | threads | 2 ms"), the same with or without colour, so it reads
 * on a monochrome terminal and tests can match it. */
#ifndef SOCKCHAT_TUI_STATUS_H
#define SOCKCHAT_TUI_STATUS_H

#include <stdbool.h>
#include <stddef.h>

enum conn_state {
    CONN_IDLE,       /* not started yet */
    CONN_CONNECTING, /* resolving, connecting or waiting for WELCOME */
    CONN_CONNECTED,
    CONN_NO_GREETING, /* connected, but the server has said nothing for a while: busy with
                         someone else, or a server that does not answer (chat.h) */
    CONN_RETRY,       /* dropped; a new attempt starts in retry_in seconds */
    CONN_FAILED,      /* given up; reason says why */
};

struct status {
    enum conn_state state;
    char server[300]; /* "host:port" as the user gave it */
    char nick[32];
    char mode[32];     /* the server's mode; "plain server" for a non-sockchat one */
    unsigned users;    /* 0 = unknown */
    long latency_ms;   /* -1 = not measured yet */
    unsigned unread;   /* entries below the view while scrolled back */
    unsigned pending;  /* own messages not acknowledged yet */
    unsigned retry_in; /* seconds, in CONN_RETRY */
    char reason[160];  /* why it failed or dropped */
    /* Issue 16. */
    char rooms[320];   /* rooms_format(): "[#lab1] #main (3)"; "" without rooms */
    unsigned mentions; /* entries naming us below the view while scrolled back */
    bool away;         /* the server confirmed /away */
};

void status_init(struct status *st);
void status_set_reason(struct status *st, const char *reason);

/* The state word(s) alone: "connecting", "connected",
 * "waiting: no greeting yet", "disconnected, retrying in 4 s",
 * "failed: REASON". */
size_t status_state_text(const struct status *st, char *buf, size_t cap);

/* The whole bar as one line, fields joined by " | ". */
size_t status_format(const struct status *st, char *buf, size_t cap);
/* The same within width columns: the least important fields (mode, then
 * latency, server, users, nick) are left out until it fits. */
size_t status_format_fit(const struct status *st, char *buf, size_t cap, size_t width);

#endif

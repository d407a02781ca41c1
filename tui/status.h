/* status: the model of the status bar and its one-line rendering.
 *
 * The rendering is plain text ("connected | 127.0.0.1:5000 | alice |
 * 3 users | threads | 2 ms"), the same with or without colour, so it reads
 * on a monochrome terminal and tests can match it. */
#ifndef SOCKCHAT_TUI_STATUS_H
#define SOCKCHAT_TUI_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/* What the server said of its cluster (CLUSTER, issue 18). */
enum cluster_state {
    CLUSTER_NONE,  /* no CLUSTER line on this connection: a server on its own */
    CLUSTER_OK,    /* "cluster": the room is the whole cluster's */
    CLUSTER_LOCAL, /* "local": its Redis is out of reach, messages stay on this server */
};

/* The status bar's field for CLUSTER_LOCAL, which the view draws as a
 * warning. */
#define STATUS_LOCAL_ONLY "local only"

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
    enum cluster_state cluster;
    /* Issue 19: "TLSv1.3" while connected over TLS; "" in clear text. */
    char tls[16];
};

void status_init(struct status *st);
void status_set_reason(struct status *st, const char *reason);

/* The state word(s) alone: "connecting", "connected",
 * "waiting: no greeting yet", "disconnected, retrying in 4 s",
 * "failed: REASON". */
size_t status_state_text(const struct status *st, char *buf, size_t cap);

/* The TLS field: "🔒TLSv1.3" (the lock in a UTF-8 locale, text.h), "" in
 * clear text. */
size_t status_tls_text(const struct status *st, char *buf, size_t cap);

/* The whole bar as one line, fields joined by " | ". */
size_t status_format(const struct status *st, char *buf, size_t cap);
/* The same within width columns: the least important fields (the cluster
 * tag, mode, then latency, server, users, nick) are left out until it
 * fits. */
size_t status_format_fit(const struct status *st, char *buf, size_t cap, size_t width);

/* Where the STATUS_LOCAL_ONLY field starts in a line status_format*()
 * made, in bytes; -1 when it is not there (not local, or left out). */
long status_local_only_at(const struct status *st, const char *line);

#endif

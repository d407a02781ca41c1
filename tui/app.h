/* app: the curses client's state, shared by the files of its event loop:
 * loop.c (the poll loop), conn.c (the connection), keys.c (what a key
 * does), prompt.c (the password prompt). The model (struct chat) holds the
 * chat; this holds the terminal, the socket and what ties them together. */
#ifndef SOCKCHAT_TUI_APP_H
#define SOCKCHAT_TUI_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrlist.h"
#include "chat.h"
#include "chatlog.h"
#include "editline.h"
#include "loop.h"
#include "net.h"
#include "secret.h"
#include "status.h"
#include "tofu.h"
#include "view.h"
#include "wire.h"

enum {
    PASTE_MAX = 1 << 20, /* bytes of a bracketed paste kept; keys read in one turn */
};

struct app {
    struct client_opts opt;
    /* The server as the user gave it: one host, or a list of them
     * (addrlist.h) with the port for those without one. */
    char host[ADDRLIST_TEXT_MAX];
    char port[16];
    struct addrlist addrs; /* ... parsed, and which address is next */
    struct chatlog log;
    struct logview lv;
    struct status st;
    struct editline ed;
    struct chat cl;
    struct net net;
    struct view view;
    int64_t now;
    int64_t retry_at;  /* -1: no retry scheduled */
    uint64_t seen_seq; /* log entries already accounted in the scroll */
    bool was_connected;
    bool quitting;
    bool quit_shut; /* our side is half-closed */
    int64_t quit_deadline;
    int exit_code;
    /* Bracketed paste being received. */
    bool in_paste;
    char *paste;
    size_t paste_len, paste_cap;
    bool paste_cut; /* bytes past PASTE_MAX were dropped */
    bool line_full; /* the edit line is full and the user was told */
    /* More keys were already waiting behind the one being handled: a
     * paste in a terminal without bracketed paste, most likely. */
    bool burst;
    /* A big paste waiting for y/n. */
    char ask[128];
    bool asking;
    /* The wire view (F2, /wire): the connection's system calls, recorded
     * only while it is open. */
    struct wire wire;
    bool wire_on;
    bool wire_focus;    /* Ctrl-O: the scrolling keys move the wire pane */
    size_t wire_scroll; /* rows back from the newest call */
    uint64_t wire_seen; /* wire.total when last drawn: a pane scrolled back stays still */
    /* TLS: the context and the trust rules (tofu.h); the connection's
     * line in known_servers (0: not there); the question asked about a
     * server's first-seen certificate, answered by typing yes or no. */
    struct tofu tofu;
    size_t known_line;
    struct {
        bool active;
        char typed[4];
        size_t len;
        char shown[400];
        unsigned version;
    } trust;
    /* The password prompt, after the server asked for one (ERR auth). */
    struct {
        bool active;
        bool in_paste;      /* a newline in a pasted password is not Enter */
        struct secret text; /* never shown, never in the edit line's history */
        char shown[400];    /* "Password for HOST:PORT: ****" */
        unsigned version;   /* bumped as shown changes, for the redraw */
    } pw;
};

/* ---- loop.c ---- */
/* Does what the model asked for (enum chat_action). */
void loop_act(struct app *a, enum chat_action act);
/* Opens the wire view (and starts recording), or closes it. */
void loop_wire_toggle(struct app *a);
/* Scrolls the wire pane by rows (positive: back in time). */
void loop_wire_scroll(struct app *a, long rows);

/* ---- conn.c ---- */
/* "host:port" in the status bar: the address of the list being tried or
 * connected to (and which address of a name, when it has several). */
void conn_name_server(struct app *a);
void conn_start(struct app *a);
/* The connection is gone or must go (reason for the log); reconnects
 * unless the model says a retry would be refused again. */
void conn_drop(struct app *a, const char *reason);
/* Leaves the current connection on the user's word (/connect, /reconnect). */
void conn_leave(struct app *a, const char *reason);
/* A connect in progress finished, or bytes (or the end) arrived. */
void conn_on_socket(struct app *a, short revents);
/* Writes what the model has queued, as much as the socket takes. */
void conn_flush(struct app *a);
/* The user acted while offline: a waiting retry may start now. */
void conn_retry_now(struct app *a);

/* ---- prompt.c ---- */
/* The server wants a password we do not have (or refused ours). */
void prompt_password(struct app *a);
void prompt_key(struct app *a, const struct tkey *k);

/* ---- trustask.c ---- */
/* A server's certificate is seen for the first time: the question (the
 * fingerprint is in the log above it). */
void trustask_start(struct app *a, const char *question);
void trustask_key(struct app *a, const struct tkey *k);

/* ---- conn.c (TLS) ---- */
/* The handshake is done and the certificate trusted: greet the server. */
void conn_trusted(struct app *a);
/* Not connecting to this server (a changed certificate, a downgrade, a
 * "no"): the lines of msg in the log, and no retry. */
void conn_refuse(struct app *a, const char *msg, const char *reason);

/* ---- keys.c ---- */
void keys_handle(struct app *a, const struct tkey *k);

#endif

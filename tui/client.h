/* client: the client's protocol state machine, without sockets or curses.
 *
 * It is fed what happens (the transport came up, bytes arrived, the
 * connection dropped, the user typed or pasted a line, time passed) and
 * answers by appending log entries, updating the status model and queueing
 * bytes to send, which the event loop writes to the socket. Times are
 * passed in through client_clock(), so tests drive it with a fake clock.
 *
 * It speaks the framed sockchat dialect, and falls back to a plain server
 * (anything whose first reply is not WELCOME, such as the tutorial's Python
 * server answering "Message received" without a newline): then every line,
 * or every chunk without a newline, received is one response.
 *
 * A server that says nothing at all is ambiguous: a sockchat server in
 * single mode busy with someone else (we wait in its listen queue, and it
 * greets when it gets to us) looks exactly like nc -l or a line server that
 * never answers. So after CLIENT_GREETING_MS without a greeting the status is
 * "waiting: no greeting yet", what the user types is written as text lines
 * (a silent plain server does receive them) and stays pending, never "sent":
 * nobody has said it was read. A later WELCOME (late_greeting in client.c)
 * sends those messages again as MSG; a later reply makes it a plain server;
 * against a server that never answers they stay pending, and are listed as
 * not acknowledged on quitting.
 *
 * A server whose first bytes show it is no chat server at all (an SSH
 * banner, an HTTP response, binary data: see foreign.h) is named in the log
 * and not reconnected to: CLIENT_GIVE_UP. */
#ifndef SOCKCHAT_TUI_CLIENT_H
#define SOCKCHAT_TUI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chatlog.h"
#include "cmd.h"
#include "dialect.h"
#include "linebuf.h"
#include "msg.h"
#include "secret.h"
#include "status.h"

enum {
    CLIENT_PENDING_MAX = 500,    /* own messages waiting for the server */
    CLIENT_NICKS_MAX = 512,      /* nicks remembered for completion */
    CLIENT_PASTE_ASK = 5,        /* pastes of more lines than this ask first */
    CLIENT_PASTE_MAX = 1000,     /* lines in one paste */
    CLIENT_PING_MS = 5000,       /* latency probe interval */
    CLIENT_PING_DEAD_MS = 30000, /* no PONG for this long: reconnect */
    CLIENT_GREETING_MS = 3000,   /* no first reply: say "no greeting yet", write as text */
    CLIENT_RATE_PER_S = 8,       /* own pacing, under the server's 10/s */
    CLIENT_RATE_BURST = 16,
    CLIENT_PASSWORD_MAX = SECRET_MAX, /* bytes; the HELLO line must fit LINE_MAX_BYTES */
    /* A PING's token is echoed in our PONG. sockchat-server sends no PINGs,
     * and a liveness probe needs no more than a counter or a clock, so a
     * longer token is not answered: a server cannot make us echo 4000
     * bytes for every line it sends. */
    CLIENT_PING_TOKEN_MAX = 64,
    /* Our own messages are queued for the socket only while less than
     * this is waiting in c->out (the rest stay pending and follow as the
     * server reads), so they never hold more than this plus one line. */
    CLIENT_OUT_LOW = 256 * 1024,
    /* Past this much unsent output the server has stopped reading while
     * making us answer (PONGs to a PING flood): disconnect rather than
     * grow. Four times what our own messages can take (CLIENT_OUT_LOW
     * plus a line), so a slow but reading server never trips it, and
     * small enough that a hostile one costs us at most 1 MiB. */
    CLIENT_OUT_MAX = 1024 * 1024,
    CLIENT_AUTH_WAIT_MAX_S = 300, /* the longest "try again in N s" obeyed */
};

enum client_action {
    CLIENT_NONE,
    CLIENT_QUIT,       /* leave: flush what is queued, then exit */
    CLIENT_CONNECT,    /* /connect: connect_host/connect_port are set */
    CLIENT_CLEAR,      /* the log was cleared: reset the view */
    CLIENT_ASK_PASTE,  /* a big paste waits for client_paste_answer() */
    CLIENT_DISCONNECT, /* the connection looks dead: drop and reconnect */
    /* Refused (ERR kicked) or not a chat server: drop, do NOT reconnect. */
    CLIENT_GIVE_UP,
    /* ERR auth: the password was missing or wrong. Drop, do NOT reconnect;
     * ask the user for the password (client_set_typed_password(), then
     * connect again) or leave it until /connect. */
    CLIENT_ASK_PASSWORD,
    CLIENT_RECONNECT, /* /reconnect: drop the connection, if any, and connect again now */
    CLIENT_RETRY_NOW, /* a message was queued while offline: a retry waiting out its backoff
                         may start now */
};

/* A password and the one server it may be sent to: the host as given
 * (compared without regard to case, never resolved: "localhost" and
 * "127.0.0.1" are different servers here) and the port (as a number). */
struct client_password {
    char text[CLIENT_PASSWORD_MAX + 1]; /* "" = none */
    char host[256];
    char port[16];
};

struct pending_msg {
    uint64_t id;
    uint64_t seq;        /* its log entry */
    char *wire;          /* the text as sent (after escaping) */
    int64_t sent_ms;     /* -1: not sent on the current connection */
    unsigned first_conn; /* the connection it was first written on (0: never) */
};

struct client {
    struct chatlog *log;
    struct status *st;
    enum dialect dialect;
    bool online; /* the transport is up */
    bool raw;    /* plain server answering without LF: one message at a time, no LF */
    bool hello_reply_due;
    bool silent;          /* no greeting yet, and no reply: written as text, still pending */
    bool refused;         /* ERR auth, kicked, not a chat server: retrying would only fail again */
    bool ask_password;    /* ... ERR auth: a typed password may do */
    bool hello_password;  /* this connection's HELLO carried a password */
    bool hello_typed;     /* ... the one typed at the prompt */
    unsigned auth_wait_s; /* ERR auth-wait: not before this many seconds */
    /* Set with CLIENT_DISCONNECT: why, for the log and the status bar. */
    const char *drop_reason;
    bool out_full;     /* output passed CLIENT_OUT_MAX: the connection must go */
    bool out_blocked;  /* own messages wait for c->out to drain below CLIENT_OUT_LOW */
    bool ping_refused; /* a PING with an overlong token was noted on this connection */
    struct linebuf lb;
    char *rx; /* bytes before the dialect is known */
    size_t rx_len;
    char *out; /* bytes to send */
    size_t out_len, out_cap;
    struct pending_msg pend[CLIENT_PENDING_MAX];
    size_t npend;
    unsigned silent_lines; /* text lines written or queued while silent */
    unsigned swallow_errs; /* ... that a late-greeting server will refuse */
    uint64_t next_id;
    char want_nick[NICK_MAX + 1];
    bool want_granted; /* the server gave us want_nick once: it is ours to ask back */
    unsigned conn_no;  /* counts connections, from 1 */
    /* Where the next connection goes (client_set_server), and the
     * passwords that may be sent in its HELLO: the one given at start-up
     * (SOCKCHAT_PASSWORD, --password-file) for the server given then, and
     * one typed at the prompt, for the server that asked for it. */
    char host[256];
    char port[16];
    struct client_password given;
    struct client_password typed;
    char session[SESSION_TOKEN_MAX + 1]; /* "" = none; sent after WELCOME */
    char *nicks[CLIENT_NICKS_MAX];
    size_t nnicks;
    int64_t now_ms; /* monotonic */
    int64_t wall;   /* Unix seconds, for entry times */
    int64_t online_ms;
    int64_t ping_sent_ms; /* -1: no probe outstanding */
    int64_t next_ping_ms;
    uint64_t ping_no;
    double tokens; /* pacing bucket */
    int64_t tokens_ms;
    int64_t hold_until_ms; /* after a slow-down from the server */
    /* After a WELCOME the server replays its history, most of which this
     * log may already show (a reconnect): see replay_seen() in client.c. */
    bool replaying;
    uint64_t replay_floor;    /* entries from before the WELCOME have lower seqs */
    uint64_t replay_from;     /* search on from this seq; 0: the first line is next */
    uint64_t replay_anchor;   /* the first match: nothing before it is searched */
    uint64_t replay_used[16]; /* the latest matches, each matched once (a ring) */
    unsigned replay_skipped;
    char **paste;
    size_t npaste;
    char connect_host[256];
    char connect_port[16];
};

int client_init(struct client *c, struct chatlog *log, struct status *st, const char *nick);
void client_free(struct client *c);
void client_clock(struct client *c, int64_t mono_ms, int64_t wall_s);
/* The password for a server started with --password, sent in the HELLO of
 * every connection to host:port and to no other server (a /connect
 * elsewhere sends none; if that server wants one, the user is asked).
 * Returns -1 (and keeps none) when it is too long or holds CR, LF or NUL,
 * which cannot travel in a line. */
int client_set_password(struct client *c, const char *password, const char *host, const char *port);
/* A password typed at the prompt after CLIENT_ASK_PASSWORD: for the server
 * of client_set_server() only, and kept only while connections go there
 * (wiped when another server is set, when the server refuses it, and by
 * client_free()). Returns -1 (and keeps none) as client_set_password(). */
int client_set_typed_password(struct client *c, const char *password);
/* Where the next connection goes; called before every connect. */
void client_set_server(struct client *c, const char *host, const char *port);
/* The token this client process names itself with after every WELCOME, so
 * that a sockchat server does not relay twice a message resent after a
 * reconnect whose ACK was lost. Random, made by the caller (the model does
 * no I/O). Returns -1 (and keeps none) unless 8 to 32 letters and digits. */
int client_set_session(struct client *c, const char *token);

/* The transport is up: greet the server. */
void client_on_connect(struct client *c);
/* Bytes from the server (any split). Returns CLIENT_ASK_PASSWORD after an
 * ERR auth (wrong or missing password) and CLIENT_GIVE_UP after ERR
 * kicked or when the server is no chat server: the status is then
 * CONN_FAILED with the reason, and the caller must close without
 * reconnecting. CLIENT_DISCONNECT (with drop_reason) when the server
 * stopped reading what we owe it (CLIENT_OUT_MAX). */
enum client_action client_on_bytes(struct client *c, const char *data, size_t len);
/* The connection is gone (reason for the log, e.g. "connection refused").
 * Unacknowledged messages stay pending and are sent again later. When what
 * the server sent before closing shows it is no chat server, c->refused is
 * set (and the status CONN_FAILED): the caller must not reconnect. */
void client_on_disconnect(struct client *c, const char *reason);
/* Timers: pings, the greeting timeout, pacing. CLIENT_DISCONNECT (with
 * drop_reason) when the server stopped answering or reading; CLIENT_GIVE_UP
 * as client_on_bytes() when bytes held back for a decision show no chat
 * server. */
enum client_action client_tick(struct client *c);
/* Milliseconds until client_tick() has something to do (at most 1000). */
int64_t client_next_timeout(const struct client *c);

/* A line the user typed (Enter). CLIENT_RETRY_NOW when it was a message
 * queued while offline; CLIENT_RECONNECT for /reconnect. */
enum client_action client_submit(struct client *c, const char *line);
/* A bracketed paste (the edit line's text around it included): every line
 * becomes one chat message, never a command; a line longer than a message
 * becomes several. More than CLIENT_PASTE_ASK messages, or any number with
 * confirm set, return CLIENT_ASK_PASTE and wait for client_paste_answer();
 * CLIENT_RETRY_NOW when the lines were queued while offline. */
enum client_action client_paste(struct client *c, const char *text, size_t len, bool confirm);
void client_paste_answer(struct client *c, bool send);

/* Bytes waiting to be written, and how many were written. */
const char *client_output(const struct client *c, size_t *len);
void client_consume(struct client *c, size_t n);

/* A local note in the log (sanitised like everything else). */
void client_note(struct client *c, enum entry_kind kind, const char *text);

/* Tab-completion candidates: /commands and known nicks. Returns the count
 * (at most max); the strings live as long as c does or until the next
 * message from the server. */
size_t client_completions(const struct client *c, const char **cands, size_t max);

/* Makes a wire-safe nick out of a user name: invalid characters become '_',
 * cut to NICK_MAX; "guest" when nothing is left. */
void client_clean_nick(const char *in, char *out, size_t cap);

#endif

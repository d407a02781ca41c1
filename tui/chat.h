/* chat: the client's protocol state machine, without sockets or curses.
 *
 * It is fed what happens (the transport came up, bytes arrived, the
 * connection dropped, the user typed or pasted a line, time passed) and
 * answers by appending log entries, updating the status model and queueing
 * bytes to send, which the event loop writes to the socket. Times are
 * passed in through chat_clock(), so tests drive it with a fake clock.
 *
 * It speaks the framed sockchat dialect, and falls back to a plain server
 * (anything whose first reply is not WELCOME, such as the tutorial's Python
 * server answering "Message received" without a newline): then every line,
 * or every chunk without a newline, received is one response.
 *
 * A server that says nothing at all is ambiguous: a sockchat server in
 * single mode busy with someone else (we wait in its listen queue, and it
 * greets when it gets to us) looks exactly like nc -l or a line server that
 * never answers. So after CHAT_GREETING_MS without a greeting the status is
 * "waiting: no greeting yet", what the user types is written as text lines
 * (a silent plain server does receive them) and stays pending, never "sent":
 * nobody has said it was read. A later WELCOME (outbox_late_greeting())
 * sends those messages again as MSG; a later reply makes it a plain server;
 * against a server that never answers they stay pending, and are listed as
 * not acknowledged on quitting.
 *
 * A server whose first bytes show it is no chat server at all (an SSH
 * banner, an HTTP response, binary data: see foreign.h) is named in the log
 * and not reconnected to: CHAT_GIVE_UP. */
#ifndef SOCKCHAT_TUI_CHAT_H
#define SOCKCHAT_TUI_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrlist.h"
#include "alert.h"
#include "chatlog.h"
#include "cmd.h"
#include "dialect.h"
#include "ignore.h"
#include "linebuf.h"
#include "msg.h"
#include "rooms.h"
#include "sanitize.h"
#include "secret.h"
#include "status.h"

enum {
    CHAT_PENDING_MAX = 500,    /* own messages waiting for the server */
    CHAT_NICKS_MAX = 512,      /* nicks remembered for completion */
    CHAT_PASTE_ASK = 5,        /* pastes of more lines than this ask first */
    CHAT_PASTE_MAX = 1000,     /* lines in one paste */
    CHAT_PING_MS = 5000,       /* latency probe interval */
    CHAT_PING_DEAD_MS = 30000, /* no PONG for this long: reconnect */
    CHAT_GREETING_MS = 3000,   /* no first reply: say "no greeting yet", write as text */
    CHAT_RATE_PER_S = 8,       /* own pacing, under the server's 10/s */
    CHAT_RATE_BURST = 16,
    CHAT_PASSWORD_MAX = SECRET_MAX, /* bytes; the HELLO line must fit LINE_MAX_BYTES */
    /* A PING's token is echoed in our PONG. sockchat-server sends no PINGs,
     * and a liveness probe needs no more than a counter or a clock, so a
     * longer token is not answered: a server cannot make us echo 4000
     * bytes for every line it sends. */
    CHAT_PING_TOKEN_MAX = 64,
    /* Our own messages are queued for the socket only while less than
     * this is waiting in c->out (the rest stay pending and follow as the
     * server reads), so they never hold more than this plus one line. */
    CHAT_OUT_LOW = 256 * 1024,
    /* Past this much unsent output the server has stopped reading while
     * making us answer (PONGs to a PING flood): disconnect rather than
     * grow. Four times what our own messages can take (CHAT_OUT_LOW
     * plus a line), so a slow but reading server never trips it, and
     * small enough that a hostile one costs us at most 1 MiB. */
    CHAT_OUT_MAX = 1024 * 1024,
    CHAT_AUTH_WAIT_MAX_S = 300, /* the longest "try again in N s" obeyed */
    /* The most of a server's text kept in one log entry. */
    CHAT_TEXT_MAX = 2 * LINE_MAX_BYTES + 64,
    CHAT_REPLAY_USED = 16, /* history matches remembered, so none is matched twice */
};

enum chat_action {
    CHAT_NONE,
    CHAT_QUIT,       /* leave: flush what is queued, then exit */
    CHAT_CONNECT,    /* /connect: connect_host/connect_port are set */
    CHAT_CLEAR,      /* the log was cleared: reset the view */
    CHAT_ASK_PASTE,  /* a big paste waits for chat_paste_answer() */
    CHAT_DISCONNECT, /* the connection looks dead: drop and reconnect */
    /* Refused (ERR kicked) or not a chat server: drop, do NOT reconnect. */
    CHAT_GIVE_UP,
    /* ERR auth: the password was missing or wrong. Drop, do NOT reconnect;
     * ask the user for the password (chat_set_typed_password(), then
     * connect again) or leave it until /connect. */
    CHAT_ASK_PASSWORD,
    CHAT_RECONNECT, /* /reconnect: drop the connection, if any, and connect again now */
    CHAT_RETRY_NOW, /* a message was queued while offline: a retry waiting out its backoff
                         may start now */
    CHAT_WIRE,      /* /wire: open or close the wire view */
};

/* The history replay after a WELCOME (replay.c). */
struct replay {
    bool on;                         /* the history is still coming */
    uint64_t floor;                  /* entries from before the WELCOME have lower seqs */
    uint64_t from;                   /* search on from this seq; 0: the first line is next */
    uint64_t anchor;                 /* the first match: nothing before it is searched */
    uint64_t used[CHAT_REPLAY_USED]; /* the latest matches, each matched once (a ring) */
    unsigned skipped;
    /* The history run itself, matched or not: from the WELCOME or ROOM
     * to the first line that is no history. Its lines never ring the
     * bell. A live line right behind the history, with nothing between,
     * would look the same: history_ms bounds the run to the burst the
     * server writes at once. */
    bool history;
    int64_t history_ms;
};

/* A password and the one server it may be sent to: the host as given
 * (compared without regard to case, never resolved: "localhost" and
 * "127.0.0.1" are different servers here) and the port (as a number). */
struct chat_password {
    char text[CHAT_PASSWORD_MAX + 1]; /* "" = none */
    char host[ADDRLIST_TEXT_MAX];     /* or the list of hosts, as given */
    char port[16];
};

struct pending_msg {
    uint64_t id;
    uint64_t seq;        /* its log entry */
    char *wire;          /* the text as sent (after escaping) */
    int64_t sent_ms;     /* -1: not sent on the current connection */
    unsigned first_conn; /* the connection it was first written on (0: never) */
};

struct chat {
    struct chatlog *log;
    struct status *st;
    enum dialect dialect;
    bool online; /* the transport is up */
    bool raw;    /* plain server answering without LF: one message at a time, no LF */
    bool hello_reply_due;
    bool silent;         /* no greeting yet, and no reply: written as text, still pending */
    bool refused;        /* ERR auth, kicked, not a chat server: retrying would only fail again */
    bool ask_password;   /* ... ERR auth: a typed password may do */
    bool hello_password; /* this connection's HELLO carried a password */
    /* --no-tls to a server known to speak TLS (tofu.h): no password goes
     * to it in clear text, given or typed. Set before each connect. */
    bool no_password;
    bool hello_typed;     /* ... the one typed at the prompt */
    unsigned auth_wait_s; /* ERR auth-wait: not before this many seconds */
    /* Set with CHAT_DISCONNECT: why, for the log and the status bar. */
    const char *drop_reason;
    bool out_full;     /* output passed CHAT_OUT_MAX: the connection must go */
    bool out_blocked;  /* own messages wait for c->out to drain below CHAT_OUT_LOW */
    bool ping_refused; /* a PING with an overlong token was noted on this connection */
    struct linebuf lb;
    char *rx; /* bytes before the dialect is known */
    size_t rx_len;
    char *out; /* bytes to send */
    size_t out_len, out_cap;
    struct pending_msg pend[CHAT_PENDING_MAX];
    size_t npend;
    unsigned silent_lines; /* text lines written or queued while silent */
    unsigned swallow_errs; /* ... that a late-greeting server will refuse */
    uint64_t next_id;
    char want_nick[NICK_MAX + 1];
    bool want_granted; /* the server gave us want_nick once: it is ours to ask back */
    unsigned conn_no;  /* counts connections, from 1 */
    /* Where the next connection goes (chat_set_server), and the
     * passwords that may be sent in its HELLO: the one given at start-up
     * (SOCKCHAT_PASSWORD, --password-file) for the server given then, and
     * one typed at the prompt, for the server that asked for it. */
    char host[ADDRLIST_TEXT_MAX]; /* a host, or a list of them (addrlist.h) */
    char port[16];
    struct chat_password given;
    struct chat_password typed;
    char session[SESSION_TOKEN_MAX + 1]; /* "" = none; sent after WELCOME */
    char *nicks[CHAT_NICKS_MAX];
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
     * log may already show (a reconnect): see replay.c. */
    struct replay replay;
    /* Where a server line is sanitised before it is logged (chat_add_entry)
     * or compared with the log (replay_seen): too big for the stack of
     * every call, and the model's own rather than a hidden static. */
    char safe_text[SANITIZE_CAP(CHAT_TEXT_MAX)];
    char replay_text[SANITIZE_CAP(CHAT_TEXT_MAX)];
    char **paste;
    size_t npaste;
    char connect_host[ADDRLIST_TEXT_MAX];
    char connect_port[16];
    /* sockchat --restricted (restrict.h): /connect elsewhere is refused,
     * Ctrl-Z does not suspend. */
    bool restricted;
    /* Issue 16: the rooms seen, the nicks hidden (kept across
     * reconnects), the bell. bells counts the rings due: the event loop
     * rings (once) and clears it. */
    struct rooms rooms;
    bool rooms_fresh; /* a WELCOME: the next ROOM is news even if it is the same room */
    /* Which server ("host port") c->rooms is of: a reconnect to the same
     * one goes back to the room it was in. */
    char rooms_server[ADDRLIST_TEXT_MAX + 16 + 2]; /* host, a blank, port */
    struct ignore ignore;
    enum bell_mode bell;
    unsigned bells;
};

int chat_init(struct chat *c, struct chatlog *log, struct status *st, const char *nick);
void chat_free(struct chat *c);
void chat_clock(struct chat *c, int64_t mono_ms, int64_t wall_s);
/* The password for a server started with --password, sent in the HELLO of
 * every connection to host:port and to no other server (a /connect
 * elsewhere sends none; if that server wants one, the user is asked).
 * Returns -1 (and keeps none) when it is too long or holds CR, LF or NUL,
 * which cannot travel in a line. */
int chat_set_password(struct chat *c, const char *password, const char *host, const char *port);
/* A password typed at the prompt after CHAT_ASK_PASSWORD: for the server
 * of chat_set_server() only, and kept only while connections go there
 * (wiped when another server is set, when the server refuses it, and by
 * chat_free()). Returns -1 (and keeps none) as chat_set_password(). */
int chat_set_typed_password(struct chat *c, const char *password);
/* Where the next connection goes; called before every connect. */
void chat_set_server(struct chat *c, const char *host, const char *port);
/* The token this client process names itself with after every WELCOME, so
 * that a sockchat server does not relay twice a message resent after a
 * reconnect whose ACK was lost. Random, made by the caller (the model does
 * no I/O). Returns -1 (and keeps none) unless 8 to 32 letters and digits. */
int chat_set_session(struct chat *c, const char *token);

/* The transport is up: greet the server. */
void chat_on_connect(struct chat *c);
/* Bytes from the server (any split). Returns CHAT_ASK_PASSWORD after an
 * ERR auth (wrong or missing password) and CHAT_GIVE_UP after ERR
 * kicked or when the server is no chat server: the status is then
 * CONN_FAILED with the reason, and the caller must close without
 * reconnecting. CHAT_DISCONNECT (with drop_reason) when the server
 * stopped reading what we owe it (CHAT_OUT_MAX). */
enum chat_action chat_on_bytes(struct chat *c, const char *data, size_t len);
/* The connection is gone (reason for the log, e.g. "connection refused").
 * Unacknowledged messages stay pending and are sent again later. When what
 * the server sent before closing shows it is no chat server, c->refused is
 * set (and the status CONN_FAILED): the caller must not reconnect. */
void chat_on_disconnect(struct chat *c, const char *reason);
/* Timers: pings, the greeting timeout, pacing. CHAT_DISCONNECT (with
 * drop_reason) when the server stopped answering or reading; CHAT_GIVE_UP
 * as chat_on_bytes() when bytes held back for a decision show no chat
 * server. */
enum chat_action chat_tick(struct chat *c);
/* Milliseconds until chat_tick() has something to do (at most 1000). */
int64_t chat_next_timeout(const struct chat *c);

/* A line the user typed (Enter). CHAT_RETRY_NOW when it was a message
 * queued while offline; CHAT_RECONNECT for /reconnect. */
enum chat_action chat_submit(struct chat *c, const char *line);
/* A bracketed paste (the edit line's text around it included): every line
 * becomes one chat message, never a command; a line longer than a message
 * becomes several. More than CHAT_PASTE_ASK messages, or any number with
 * confirm set, return CHAT_ASK_PASTE and wait for chat_paste_answer();
 * CHAT_RETRY_NOW when the lines were queued while offline. */
enum chat_action chat_paste(struct chat *c, const char *text, size_t len, bool confirm);
void chat_paste_answer(struct chat *c, bool send);

/* Bytes waiting to be written, and how many were written. */
const char *chat_output(const struct chat *c, size_t *len);
void chat_consume(struct chat *c, size_t n);

/* A local note in the log (sanitised like everything else). */
void chat_note(struct chat *c, enum entry_kind kind, const char *text);

/* Alt-N: the Nth room of the status bar's list (rooms.h), joined with
 * "/join #name" like one typed; a note when there is none. */
enum chat_action chat_switch_room(struct chat *c, unsigned n);

/* Tab-completion candidates for the line being edited, whose word before
 * the cursor starts at byte word: after "/join " the room names seen
 * (without their '#' when the word has none), otherwise as
 * chat_completions(). */
size_t chat_completions_at(const struct chat *c, const char *line, size_t word, const char **cands,
                           size_t max);

/* Tab-completion candidates: /commands and known nicks. Returns the count
 * (at most max); the strings live as long as c does or until the next
 * message from the server. */
size_t chat_completions(const struct chat *c, const char **cands, size_t max);

/* Makes a wire-safe nick out of a user name: invalid characters become '_',
 * cut to NICK_MAX; "guest" when nothing is left. */
void chat_clean_nick(const char *in, char *out, size_t cap);

#endif

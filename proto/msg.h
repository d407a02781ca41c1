/* msg: the messages of the framed dialect, parsed and encoded; and their
 * rendering as lines of the plain dialect. Pure: no I/O, no clock.
 *
 * A framed line is a TYPE word, then space-separated fields, the last of
 * which may be free text running to the end of the line. See
 * docs/PROTOCOL.md for the full grammar and examples.
 *
 *   client -> server                server -> client
 *   HELLO sockchat/N NICK [PASS]    WELCOME NICK MODE USERS SERVERNAME
 *   MSG ID TEXT                     ACK ID
 *   PING [TOKEN]                    CHAT TIME NICK TEXT
 *   SESSION TOKEN
 *                                   ACTION TIME NICK TEXT
 *                                   PRIV TIME FROM TO TEXT
 *                                   JOIN NICK USERS
 *                                   LEAVE NICK USERS REASON
 *                                   NICK OLD NEW
 *                                   OUT TEXT
 *                                   ERR CODE TEXT
 *                                   NOTICE TEXT
 *                                   PING [TOKEN] / PONG [TOKEN]
 *                                   SHUTDOWN TEXT
 *                                   ROOM NAME USERS TOPIC      (sockchat/2)
 *                                   UNREAD NAME COUNT          (sockchat/2)
 */
#ifndef SOCKCHAT_MSG_H
#define SOCKCHAT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_NAME "sockchat"
/* Version 2 added rooms: ROOM and UNREAD are sent only to a client whose
 * HELLO said sockchat/2 or later (docs/PROTOCOL.md, section 11). */
#define PROTO_VERSION 2
#define PROTO_HELLO_TAG "sockchat/2"
#define PROTO_PORT 5000
/* The tutorial's reply, kept byte for byte. */
#define PLAIN_ACK "Message received"

enum msg_type {
    MSG_UNKNOWN = 0, /* a type this version does not know: show m->text */
    MSG_HELLO,
    MSG_MSG,
    MSG_WELCOME,
    MSG_ACK,
    MSG_CHAT,
    MSG_ACTION,
    MSG_PRIV,
    MSG_JOIN,
    MSG_LEAVE,
    MSG_NICK,
    MSG_OUT,
    MSG_ERR,
    MSG_NOTICE,
    MSG_PING,
    MSG_PONG,
    MSG_SHUTDOWN,
    MSG_SESSION, /* after HELLO: names the client process, so resent MSGs are seen as such */
    MSG_ROOM,    /* sockchat/2: you are in room `word` now, with `users` people; text: topic */
    MSG_UNREAD,  /* sockchat/2: `users` messages in room `word` since you left it */
    MSG_CLUSTER, /* sockchat/2: the server's link to its cluster, `word` "cluster" or "local" */
    MSG_TYPE_COUNT
};

/* Which fields a type uses is in the table above; unused ones are 0/"". */
struct msg {
    enum msg_type type;
    uint64_t id;       /* MSG, ACK: the client's message number */
    int64_t time;      /* CHAT, ACTION, PRIV: Unix seconds, set by the server */
    uint32_t users;    /* WELCOME, JOIN, LEAVE: users online after the event; ROOM: its
                        * people; UNREAD: the count */
    const char *nick;  /* HELLO, WELCOME (yours), CHAT, ACTION, JOIN, LEAVE; PRIV from; NICK old */
    const char *nick2; /* PRIV to; NICK new */
    const char *word;  /* HELLO tag; WELCOME mode; ERR code; PING/PONG/SESSION token;
                        * ROOM, UNREAD: the room's name */
    const char *text;  /* the free text; HELLO password; for MSG_UNKNOWN the whole line */
};

/* SESSION's token: a client process's random name, the same on every
 * reconnect, SESSION_TOKEN_MIN to _MAX ASCII letters and digits. */
enum { SESSION_TOKEN_MIN = 8, SESSION_TOKEN_MAX = 32 };
bool msg_session_token_ok(const char *token);

/* Common ERR codes. */
#define ERR_TOO_LONG "too-long"
#define ERR_SLOW_DOWN "slow-down"
#define ERR_BAD_NICK "bad-nick"
#define ERR_NICK_TAKEN "nick-taken"
#define ERR_UNKNOWN_COMMAND "unknown-command"
#define ERR_NO_SUCH_NICK "no-such-nick"
#define ERR_USAGE "usage"
#define ERR_FULL "full"
#define ERR_AUTH "auth"
#define ERR_AUTH_WAIT "auth-wait"
#define ERR_KICKED "kicked"
#define ERR_MUTED "muted"
#define ERR_PROTOCOL "protocol"
#define ERR_TLS_REQUIRED "tls-required" /* --tls-only: clear text refused */

const char *msg_type_name(enum msg_type t);

/* The version a HELLO's tag asks for: N of "sockchat/N" (1 to 999999),
 * or 0 when the tag is not that. */
unsigned msg_hello_version(const char *tag);

/* Parses one framed line (NUL-terminated, no LF) in place: fields are
 * NUL-terminated inside line and m's pointers point into it.
 * Returns 0, or -1 when a known type has missing or malformed fields
 * (m->type is then that type and m->text the whole line, for an error
 * message). An unknown type word is not an error: m->type = MSG_UNKNOWN. */
int msg_parse(struct msg *m, char *line);

/* Writes m as one framed line ending in "\n" plus a NUL. CR, LF and NUL can
 * not occur in the output: text fields are cut at the first NUL, CR/LF become
 * spaces. Returns the length without the NUL, or -1 when it does not fit cap
 * or a field would break the framing (an empty or spaced nick/word). */
int msg_encode(char *buf, size_t cap, const struct msg *m);

/* Renders m as one human-readable line of the plain dialect, ending in "\n"
 * (what nc and telnet users see). Same return convention as msg_encode. */
int msg_format_plain(char *buf, size_t cap, const struct msg *m);

#endif

/* admin: the line protocol of the server's admin socket (docs/PROTOCOL.md
 * section 13), pure: no I/O, no allocation. The server speaks it to
 * sockchat-admin and to scripts (`nc -U`); both sides format and parse here,
 * so they cannot disagree.
 *
 * An admin sends the operator's console commands as lines (`who`, `kick
 * bob`, ...) and `subscribe`/`unsubscribe`. The server answers each command
 * with OUT lines and one closing OK or ERR, and, to a subscriber, sends
 * EVENT lines as things happen and a STATS line (and a ROSTER block) every
 * second. A command's answer and a ROSTER block are never split by other
 * lines. */
#ifndef SOCKCHAT_ADMIN_H
#define SOCKCHAT_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "fingerprint.h"
#include "roomname.h"

enum {
    ADMIN_PROTO_VERSION = 1,
    ADMIN_LINE_MAX = 8192,  /* one line, its LF included, either way */
    ADMIN_WORD_MAX = 64,    /* a value of STATS or ROW, an address */
    ADMIN_REACH_MAX = 256,  /* STATS reach=: the addresses students type */
    ADMIN_ROSTER_MAX = 500, /* rows of one ROSTER block, at most */
};

/* What a server line is, by its first word. */
enum admin_type {
    ADMIN_HELLO,  /* "SOCKCHAT-ADMIN 1 VERSION": the first line */
    ADMIN_OUT,    /* "OUT TEXT": a line of a command's answer */
    ADMIN_OK,     /* "OK [TEXT]": the command is done */
    ADMIN_ERR,    /* "ERR TEXT": the command failed; nothing was done */
    ADMIN_EVENT,  /* "EVENT MS KIND ADDR NICK TEXT" */
    ADMIN_STATS,  /* "STATS key=value ..." */
    ADMIN_ROSTER, /* "ROSTER TOTAL SHOWN": SHOWN ROW lines follow */
    ADMIN_ROW,    /* "ROW key=value ..." */
    ADMIN_BYE,    /* "BYE TEXT": the server closes this connection, and why */
};

/* What an EVENT is about; its name on the wire in admin_event_name. */
enum admin_event {
    AEV_INFO,     /* the server itself: start, listening, shutdown ... */
    AEV_JOIN,     /* someone joined the room */
    AEV_LEAVE,    /* someone left (or a connection left before joining) */
    AEV_CHAT,     /* a chat line or an action (/me) */
    AEV_PRIVATE,  /* a private message: who to whom, never its text */
    AEV_NICK,     /* a nick change */
    AEV_REFUSE,   /* a refused connection or password, a kicked one back */
    AEV_FLOOD,    /* someone sending too fast, and being slowed down */
    AEV_SLOW,     /* someone cut off for not reading ("too slow") */
    AEV_OPERATOR, /* what an operator did: kick, ban, mute, say */
    AEV_ERROR,    /* something failed on the server: accept, transcript ... */
    AEV_TRACE,    /* --trace: a connection's accept, reads, writes, close */
    AEV_COUNT
};
const char *admin_event_name(enum admin_event ev);
/* The kind named s[0..len); false when there is none (a newer server's kind:
 * a client shows such an event as AEV_INFO). */
bool admin_event_parse(const char *s, size_t len, enum admin_event *ev);

/* One server line, parsed. Pointers point into the line given. */
struct admin_line {
    enum admin_type type;
    const char *text; /* OUT, OK, ERR, BYE, EVENT: the text; STATS, ROW: the
                       * key=value list; HELLO: the server's version */
    size_t text_len;
    /* HELLO */
    unsigned version;
    /* EVENT */
    int64_t ms; /* Unix time, milliseconds */
    enum admin_event ev;
    bool ev_known;           /* false: a kind this build does not know (ev is AEV_INFO) */
    const char *addr, *nick; /* "" when the event has none ('-' on the wire) */
    size_t addr_len, nick_len;
    /* ROSTER */
    unsigned total, shown;
};
/* Parses one line (without its LF; a CR before it is ignored). False when
 * it is not a line of this protocol. */
bool admin_parse(const char *line, size_t len, struct admin_line *out);

/* The server's state, once a second (STATS). Rates are over the last
 * second. Unknown keys are skipped by the parser, missing ones left 0/"",
 * so either side may be newer. */
struct admin_stats {
    char mode[16];               /* threads, single, pool */
    char listen[ADMIN_WORD_MAX]; /* the bound address, "0.0.0.0:5000" */
    char reach[ADMIN_REACH_MAX]; /* addresses others type, ',' between; "" */
    int64_t up_ms;
    unsigned clients, room;    /* connections; of them, in the room */
    unsigned long long served; /* connections accepted in total */
    unsigned long long messages, deliveries, bytes_in, bytes_out;
    unsigned msgs_per_s, deliveries_per_s;
    unsigned long long rss_kib;
    unsigned threads, admins;
    char tls[8];                   /* "on", "only", "off"; "" from an older server */
    char tls_sha256[FP_TEXT_SIZE]; /* the certificate's (fingerprint.h); "" when off */
    unsigned tls_now;              /* TLS connections now */
};
/* "STATS mode=threads ..." into buf (no LF); its length, or 0 when it does
 * not fit in cap. */
size_t admin_format_stats(char *buf, size_t cap, const struct admin_stats *s);
/* A STATS line's key=value list (admin_line.text) into *s. */
void admin_parse_stats(const char *kv_list, size_t len, struct admin_stats *s);

/* One connection in a ROSTER block. */
struct admin_row {
    unsigned long long id;     /* the server's connection number */
    char nick[NICK_MAX + 1];   /* "" before it has one */
    char addr[ADMIN_WORD_MAX]; /* "127.0.0.1:40512", "[::1]:40512" */
    char dialect[16];          /* sockchat, plain, tutorial, unknown */
    char state[16];            /* new, password, joined, closing */
    char worker[24];           /* who serves it: "t12345" (thread id), "w2" (pool worker), "main" */
    unsigned long long msgs_in, msgs_out, bytes_in, bytes_out;
    unsigned long long queue; /* bytes waiting to be written to it */
    int64_t idle_ms;          /* since it last sent anything */
    bool muted;
    char room[ROOMNAME_SIZE]; /* "#lab1"; "" before it joins (or from an older server) */
    char tls[8];              /* "TLSv1.3", "TLSv1.2"; "": clear text (or not yet known) */
};
size_t admin_format_row(char *buf, size_t cap, const struct admin_row *r);
/* "ROSTER TOTAL SHOWN" into buf (no LF): the head of a block of SHOWN
 * rows. Its length, or 0 when it does not fit. */
size_t admin_format_roster(char *buf, size_t cap, unsigned total, unsigned shown);
void admin_parse_row(const char *kv_list, size_t len, struct admin_row *r);

/* "EVENT MS KIND ADDR NICK TEXT" into buf (no LF). addr, nick: NULL or ""
 * for none. Bytes below 0x20 and DEL in text become '?', so the event is
 * one line whatever it carries. Its length, or 0 when it does not fit. */
size_t admin_format_event(char *buf, size_t cap, int64_t ms, enum admin_event ev, const char *addr,
                          const char *nick, const char *text, size_t text_len);
/* "OUT TEXT", "OK TEXT", "ERR TEXT", "BYE TEXT" (type picks the word; an
 * empty text is the word alone: "OK"), control bytes as above. Its length,
 * or 0. */
size_t admin_format_text(char *buf, size_t cap, enum admin_type type, const char *text,
                         size_t text_len);

/* Where a server on port keeps its admin socket unless told otherwise
 * (docs/PROTOCOL.md 13.1): xdg (XDG_RUNTIME_DIR's value, or NULL) +
 * "/sockchat/PORT.sock" when it is an absolute path, else
 * "/tmp/sockchat-UID/PORT.sock" (uid: the effective one). The server and
 * sockchat-admin both ask here, so they cannot look in different places.
 * -1 when it does not fit in cap. */
int admin_default_path(char *buf, size_t cap, unsigned port, const char *xdg, unsigned uid);

/* What `subscribe`/`unsubscribe` name. */
enum {
    ADMIN_SUB_EVENTS = 1u << 0,
    ADMIN_SUB_STATS = 1u << 1,
    ADMIN_SUB_ROSTER = 1u << 2,
    ADMIN_SUB_ALL = ADMIN_SUB_EVENTS | ADMIN_SUB_STATS | ADMIN_SUB_ROSTER,
};
/* The arguments of subscribe/unsubscribe: words among events, stats,
 * roster; none means all. False (and *mask untouched) on any other word. */
bool admin_parse_subscribe(const char *args, unsigned *mask);

#endif

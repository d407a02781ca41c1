/* plain_internal: what the line client's two files share: plain.c (its
 * loop, reading and writing) and plain_auth.c (the password). */
#ifndef SOCKCHAT_TUI_PLAIN_INTERNAL_H
#define SOCKCHAT_TUI_PLAIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addrlist.h"
#include "linebuf.h"
#include "net.h"
#include "plain.h"
#include "sanitize.h"
#include "secret.h"
#include "tofu.h"
#include "wire.h"

enum {
    REPLY_WAIT_MS = 2000, /* how long a line waits for its reply */
    CLOSE_WAIT_MS = 3000, /* after stdin ends, for the server to finish */
    PASSWORD_TRIES = 3,   /* typed passwords refused before giving up, as sudo */
    LOCK_WAITS = 3,       /* "try again in N s" waited out before giving up */
    LOCK_WAIT_MAX_S = 60, /* the longest such wait obeyed */
};

#define PROMPT "Enter a message to send to the server (or 'exit' to quit): "

struct plain {
    struct net net;
    struct tofu tofu; /* TLS: which servers, and whether to trust them (tofu.h) */
    bool no_password; /* --no-tls to a server known to speak TLS: never send it one */
    char server[ADDRLIST_HOST_MAX + 16]; /* "host:port" connected to (of a list: which) */
    bool tty;
    bool raw; /* the server answers without LF: send without LF too */
    bool first_reply_seen;
    bool waiting; /* a sent line has not had its reply */
    int64_t wait_until;
    bool stdin_done;
    bool exiting; /* "exit" was sent */
    bool prompt_due;
    bool prompt_shown; /* the prompt is on the screen's last line, maybe with typing after it */
    bool auth_due;     /* the next reply answers our /auth */
    bool refused;      /* ... and it was an error */
    bool locked;       /* ... not about our password: the address is locked out */
    char in[LINE_MAX_BYTES + 2];
    size_t in_len;
    /* The password prompt: a reply said the server needs a password, and
     * none was given. The line it refused is sent again once one is
     * accepted; the typed password is kept (for a retry after a lock-out)
     * until then, and wiped. */
    bool need_password;
    bool typed; /* pw holds a typed password, sent in the last /auth */
    struct secret pw;
    unsigned tries, lock_waits, wait_s;
    char last[LINE_MAX_BYTES + 2]; /* the last line sent (never an /auth) */
    size_t last_len;
    char resend[LINE_MAX_BYTES + 2]; /* the line the server refused */
    size_t resend_len;
    int64_t close_deadline; /* stdin ended: when to stop waiting for the server; -1: not yet */
    int status;             /* the exit code so far (sysexits) */
    /* --wire: each system call on the connection as a line on stderr. */
    struct wire wire;
    uint64_t wire_printed;                               /* records before this one are on stderr */
    char safe[SANITIZE_CAP((size_t)2 * LINE_MAX_BYTES)]; /* a server line, sanitised */
    char auth[LINE_MAX_BYTES + 2];                       /* "/auth PASSWORD", wiped after */
};

/* What a step of the loop says: go on with this turn, start the next one,
 * or leave (with p->status). */
enum step { STEP_ON, STEP_AGAIN, STEP_DONE };

/* ---- plain.c ---- */
/* Connects (blocking, with net.c's timeout) to the first address of the
 * list that answers, in order; returns 0 or a sysexits code after saying
 * what failed. The line client does not reconnect, so a list is tried at
 * the start only. */
int plain_connect(struct plain *p, const struct client_opts *opt);
/* Sends one input line; returns -1 when the connection broke. */
int plain_send_line(struct plain *p, char *line, size_t len);

/* ---- plain_auth.c ---- */
/* Sends "/auth PASSWORD"; returns 0 or a sysexits code after saying what
 * failed. */
int plain_send_auth(struct plain *p, const char *password);
void plain_auth_on_reply(struct plain *p, const char *data, size_t len);
/* The password's turn in the loop. */
enum step plain_password_step(struct plain *p, const struct client_opts *opt);

#endif

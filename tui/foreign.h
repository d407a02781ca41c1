/* foreign: tells, from its first bytes, a server that is no chat server at
 * all: an SSH server's banner, an HTTP server's answer to our HELLO line (a
 * status line, or a web page alone), a binary protocol (TLS, a database,
 * telnetd's option negotiation).
 *
 * Anything else that is text counts as a possible chat server: the
 * tutorial's Python servers ("Message received"), nc -l with a person
 * typing, a line server saying "unknown command". So does text followed by
 * a close, since that is also how a full or refusing server answers, and
 * retrying it later is right. Only what cannot be a chat server is named
 * here, so that the client stops reconnecting to it. */
#ifndef SOCKCHAT_TUI_FOREIGN_H
#define SOCKCHAT_TUI_FOREIGN_H

#include <stdbool.h>
#include <stddef.h>

enum foreign_verdict {
    FOREIGN_NO,   /* text: possibly a chat server */
    FOREIGN_MORE, /* the start of a telltale line ("SSH-2", "HTTP/"): wait for its end */
    FOREIGN_YES,  /* not a chat server; *said tells what it sent */
};

enum { FOREIGN_QUOTE_MAX = 80 }; /* bytes of the first line quoted, before sanitising */

/* Judges data[0..len), the first bytes a server sent. complete: no more
 * will come for this decision (a line ended, the connection closed, the
 * greeting time ran out), so FOREIGN_MORE is never returned. On
 * FOREIGN_YES, said receives a sanitised description for people:
 * `it said "SSH-2.0-OpenSSH_9.2p1"`, `it sent a web page titled "400 Bad
 * Request"` or `it sent 7 bytes of binary data (15 03 03 00 02 02 28)`. */
enum foreign_verdict foreign_check(const char *data, size_t len, bool complete, char *said,
                                   size_t cap);

#endif

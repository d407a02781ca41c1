/* tofu: which connections use TLS and whether to trust what answered,
 * for both front ends (loop.c's curses client, plain.c's line client):
 * the TLS context, the downgrade rules and the known_servers verdict.
 *
 * - A server is reached over TLS when --tls (or SOCKCHAT_TLS=1) says so,
 *   its address was written tls://HOST:PORT, or it is in known_servers
 *   (it spoke TLS before: clear text now would be a downgrade); --no-tls
 *   forces clear text, and then the password is never sent to it.
 * - With --tls-ca the handshake itself verifies the chain and the name.
 *   Otherwise the certificate's SHA-256 is looked up: known and equal
 *   passes; new is asked about (or taken with --tls-accept-new); changed
 *   is refused, loudly, and never asked about. */
#ifndef SOCKCHAT_TUI_TOFU_H
#define SOCKCHAT_TUI_TOFU_H

#include <stdbool.h>
#include <stddef.h>

#include "fingerprint.h"
#include "opts.h"

struct ssl_ctx_st;
struct net;

struct tofu {
    struct ssl_ctx_st *ctx; /* NULL with --no-tls */
    bool force_tls, no_tls, ca, accept_new;
};

/* Returns 0, or -1 with err set (an unreadable --tls-ca FILE). */
int tofu_init(struct tofu *t, const struct client_opts *opt, char *err, size_t errlen);
void tofu_free(struct tofu *t);

/* Whether host:port is reached over TLS (entry_tls: written tls://).
 * *known_line: its line in known_servers, 0 when not there (or the file
 * is unreadable: then err says so, and TLS is not forced by it). */
bool tofu_wants_tls(const struct tofu *t, const char *host, const char *port, bool entry_tls,
                    size_t *known_line, char *err, size_t errlen);

enum tofu_verdict {
    TOFU_OK,     /* verified by the CA, or the fingerprint is the one stored */
    TOFU_ASK,    /* first seen: msg holds the question's text (without "yes/no") */
    TOFU_REFUSE, /* changed (msg: the loud explanation), or no certificate */
};

/* After the handshake of n (n->ssl set) to host:port. With accept_new a
 * first-seen certificate is stored at once (TOFU_OK, msg says so; or
 * TOFU_REFUSE when it cannot be stored). */
enum tofu_verdict tofu_check(const struct tofu *t, const struct net *n, const char *host,
                             const char *port, char *msg, size_t cap);

/* The user said yes: stores host:port's fingerprint. Returns 0, or -1
 * with err set. msg: what to tell the user after. */
int tofu_accept(const struct tofu *t, const char *host, const char *port,
                const unsigned char sha[FP_BYTES], char *msg, size_t cap);

/* What to tell a user about a handshake refused for good (net_finish's
 * -3): why, and, for a server known to speak TLS that now answers in
 * clear text, that this is a downgrade. */
void tofu_refused_text(const struct net *n, const char *host, const char *port, size_t known_line,
                       const char *err, char *msg, size_t cap);

/* The line added to known_servers for a server, so a user without a
 * terminal can add it by hand. */
void tofu_entry_line(const char *host, const char *port, const unsigned char sha[FP_BYTES],
                     char *buf, size_t cap);

/* The note for --no-tls to a server in known_servers. */
void tofu_no_password_text(const char *host, const char *port, size_t known_line, char *buf,
                           size_t cap);

#endif

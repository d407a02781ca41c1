/* tlscert: the server's TLS identity. A certificate and key given
 * (--tls-cert/--tls-key), or one of our own, made on the first start and
 * reused after, so that its fingerprint stays what the teacher put on the
 * projector: DIR/tls-cert.pem and DIR/tls-key.pem, an ECDSA P-256 key
 * and a self-signed certificate for the host name, localhost, 127.0.0.1
 * and ::1, valid ten years. libcrypto only; no connection is made here.
 *
 * Which DIR, the first that applies: --tls-dir; $STATE_DIRECTORY (the
 * systemd unit's /var/lib/sockchat); the directory of --transcript;
 * $XDG_STATE_HOME/sockchat; $HOME/.local/state/sockchat. */
#ifndef SOCKCHAT_TLSCERT_H
#define SOCKCHAT_TLSCERT_H

#include "fingerprint.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

enum { TLSCERT_ISSUER_MAX = 128 };

struct tls_identity {
    char cert[PATH_MAX]; /* PEM: the certificate, maybe followed by its chain */
    char key[PATH_MAX];  /* PEM: its private key */
    bool made;           /* made by this start */
    bool self_signed;
    char issuer[TLSCERT_ISSUER_MAX]; /* the issuer's CN (or whole name), for the log */
    char fingerprint[FP_TEXT_SIZE];  /* the leaf certificate's SHA-256 (fingerprint.h) */
};

/* The directory a made identity is kept in (see above), in out.
 * tls_dir, transcript: the options (NULL: not given). 0, or -1 with err
 * ("tls: no directory for a key: set --tls-dir"). Does not create it. */
int tlscert_dir(const char *tls_dir, const char *transcript, char *out, size_t cap, char *err,
                size_t ecap);

/* The identity: cert and key given (both, or neither: NULL), else the
 * pair in dir, made first when absent (dir created 0700 when missing,
 * the key 0600, each written to a temporary file then renamed, so a
 * second server starting at once finds both whole or neither). Checks
 * that the key is the certificate's. 0, or -1 with err saying what
 * failed and with what ("tls-key /x/key.pem: No such file or
 * directory", "tls-cert /x/c.pem: not a PEM certificate"). */
int tlscert_setup(const char *cert, const char *key, const char *dir, struct tls_identity *id,
                  char *err, size_t ecap);

#endif

/* trust: the edge of trust on first use: where known_servers lives
 * ($XDG_DATA_HOME/sockchat/known_servers, else
 * ~/.local/share/sockchat/known_servers), reading it, and writing it
 * whole through a temporary file renamed over it (directory 0700, file
 * 0600), so a crash mid-write leaves the old file or the new one. The
 * model is known.h. */
#ifndef SOCKCHAT_TUI_TRUST_H
#define SOCKCHAT_TUI_TRUST_H

#include <limits.h>
#include <stddef.h>

#include "known.h"

struct trust {
    char path[PATH_MAX];
    struct known k;
};

/* Finds the path and reads the file (absent: empty). Returns 0, or -1
 * with err set ("known_servers PATH: why"). */
int trust_load(struct trust *t, char *err, size_t errlen);
/* Writes t->k to t->path. Returns 0, or -1 with err set. */
int trust_save(struct trust *t, char *err, size_t errlen);
void trust_free(struct trust *t);

/* What a certificate is to us, given HOST:PORT's key. */
enum trust_verdict { TRUST_KNOWN, TRUST_NEW, TRUST_CHANGED };
/* *line: the entry's line number (TRUST_KNOWN, TRUST_CHANGED); old: the
 * stored digest (TRUST_CHANGED). */
enum trust_verdict trust_check(const struct trust *t, const char *key,
                               const unsigned char sha[FP_BYTES], size_t *line,
                               unsigned char old[FP_BYTES]);

/* The lines that tell the user a server's certificate changed: both
 * fingerprints, the file and line, how to remove it. Written into buf,
 * lines separated by '\n'. */
void trust_changed_text(const struct trust *t, const char *key, size_t line,
                        const unsigned char old[FP_BYTES], const unsigned char now[FP_BYTES],
                        char *buf, size_t cap);

/* sockchat --forget HOST:PORT: removes its entry. Returns a sysexits
 * code (0 when removed) after saying what happened on stdout/stderr. */
int trust_forget(const char *hostport);

#endif

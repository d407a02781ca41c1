/* known: the client's known_servers file (trust on first use, as ssh's
 * known_hosts): one line per server, "HOST:PORT SHA-256 AB:CD:...:EF",
 * HOST lower-case, IPv6 as "[::1]:5000". Comments (#), blank lines and
 * lines this version cannot read are kept as they are, in place, so a
 * rewrite never loses what someone wrote by hand. Pure: trust.c reads
 * and writes the file. */
#ifndef SOCKCHAT_TUI_KNOWN_H
#define SOCKCHAT_TUI_KNOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "fingerprint.h"

enum {
    KNOWN_KEY_MAX = 300,      /* "[host]:port" and its NUL */
    KNOWN_LINE_MAX = 4096,    /* longer lines are kept, never read as entries */
    KNOWN_LINES_MAX = 100000, /* a file with more is refused, not truncated */
};

#define KNOWN_LABEL "SHA-256"

struct known_line {
    char *text; /* the line as read (without its newline), or as made */
    bool entry; /* a server's line: key and sha are set */
    char key[KNOWN_KEY_MAX];
    unsigned char sha[FP_BYTES];
};

struct known {
    struct known_line *line;
    size_t n, cap;
    size_t bad;       /* lines that look like entries but are not readable */
    size_t first_bad; /* ... the first of them, 1-based; 0: none */
};

void known_init(struct known *k);
void known_free(struct known *k);

/* The key of host and port as the file writes it: host lower-case, an
 * IPv6 address (a ':' in it) in brackets. Returns its length, 0 when it
 * does not fit (or host is empty). */
size_t known_key(const char *host, const char *port, char *out, size_t cap);

/* Reads a whole file's text (len bytes, NULs refused). Returns 0, or -1
 * with err saying why (out of memory, too many lines, a NUL byte) and k
 * left empty. */
int known_parse(struct known *k, const char *data, size_t len, char *err, size_t errlen);

/* The 1-based line number of key's entry (the first, if the file has it
 * twice), with its digest in sha when not NULL; 0 when it is not there. */
size_t known_find(const struct known *k, const char *key, unsigned char sha[FP_BYTES]);

/* Adds key with sha, or replaces the digest of its entry (every entry of
 * it: the file says one thing after). Returns the line number, 0 when out
 * of memory. */
size_t known_set(struct known *k, const char *key, const unsigned char sha[FP_BYTES]);

/* Removes key's entries; returns how many lines went. */
size_t known_remove(struct known *k, const char *key);

/* The file's text, each line ending in '\n'; malloc'd (the caller frees),
 * NULL when out of memory. */
char *known_format(const struct known *k, size_t *len);

#endif

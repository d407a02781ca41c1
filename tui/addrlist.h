/* addrlist: the servers a client may connect to, as the user gave them
 * ("HOST", "HOST:PORT", or several joined with commas: the nodes of one
 * cluster), and which address the next attempt goes to. Pure: net.c
 * resolves and connects, conn.c tells this model what happened.
 *
 * The addresses are tried round robin. An entry that is a name may stand
 * for several addresses (IPv6 and IPv4, or a name with one record per
 * node): an attempt at it tries them all, starting with the one after the
 * address last used, so a name is round robin too. A whole round that
 * failed (every address tried since the last good connection) is what the
 * caller backs off after, never a single refusal. */
#ifndef SOCKCHAT_TUI_ADDRLIST_H
#define SOCKCHAT_TUI_ADDRLIST_H

#include <stdbool.h>
#include <stddef.h>

enum {
    ADDRLIST_MAX = 16,        /* addresses in one list */
    ADDRLIST_TEXT_MAX = 1024, /* bytes of the list as written, its NUL included */
    ADDRLIST_HOST_MAX = 256,  /* bytes of one host, its NUL included */
};

struct addr_entry {
    char host[ADDRLIST_HOST_MAX];
    char port[8];
    unsigned naddr; /* addresses the host resolved to when last tried; 0: not yet */
    bool tls;       /* written "tls://HOST:PORT": this one over TLS */
};

struct addrlist {
    struct addr_entry e[ADDRLIST_MAX];
    unsigned n;
    unsigned cur;    /* the entry being tried, or connected to */
    unsigned sub;    /* which of its resolved addresses to try first */
    unsigned failed; /* addresses that failed since the last good connection */
};

/* Reads spec: one HOST (PORT then comes from default_port), HOST:PORT,
 * [V6]:PORT, or up to ADDRLIST_MAX of them joined by commas, each without
 * a port taking default_port; any of them may start with "tls://". Returns 0, or -1 with err saying
 * what is wrong (an empty element, a bad port, too many addresses) and l left empty. */
int addrlist_parse(struct addrlist *l, const char *spec, const char *default_port, char *err,
                   size_t errlen);

/* The entry the next attempt goes to (or the connection is to). */
const struct addr_entry *addrlist_current(const struct addrlist *l);

/* Addresses known: the entries, each counted as many times as its name
 * resolved to. More than one means there is somewhere else to go. */
unsigned addrlist_total(const struct addrlist *l);

/* The connection was made with the sub-th of the naddr addresses the
 * current entry resolved to. */
void addrlist_connected(struct addrlist *l, unsigned sub, unsigned naddr);

/* An attempt at the current entry failed: all of its addresses (naddr of
 * them, as resolved; 0 when the name did not resolve). Moves to the next
 * entry. Returns true when a whole round has failed: the caller backs off
 * before the next attempt. */
bool addrlist_failed(struct addrlist *l, unsigned naddr);

/* An established connection ended. greeted: the server had answered (the
 * connection was good: a new round starts); otherwise it counts as a
 * failed attempt, so servers that accept and close at once are not
 * hammered. Moves to the next address: the next of the same name, else
 * the next entry. Returns true as addrlist_failed(). */
bool addrlist_lost(struct addrlist *l, bool greeted);

/* "host:port", "[v6]:port": the entry as it can be typed again. */
size_t addrlist_format(const struct addr_entry *e, char *buf, size_t cap);

#endif

/* hostport: "HOST", "HOST:PORT", "[V6]", "[V6]:PORT" as people copy them
 * (the server's log prints "others connect to 10.0.2.15:5000"), split into
 * host and port. A bare IPv6 literal ("::1") has more than one colon and is
 * a host. Pure. */
#ifndef SOCKCHAT_TUI_HOSTPORT_H
#define SOCKCHAT_TUI_HOSTPORT_H

#include <stddef.h>

/* Returns 1 when `in` named a port too (copied to port), 0 when it is a
 * host alone, -1 when it does not fit or is malformed ("[::1", "h:", "h:x"). */
int hostport_split(const char *in, char *host, size_t hcap, char *port, size_t pcap);

#endif

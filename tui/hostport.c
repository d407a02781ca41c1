/* hostport: see hostport.h. */
#include "hostport.h"

#include <stdio.h>
#include <string.h>

static int copy(char *dst, size_t cap, const char *s, size_t n)
{
    if (n == 0 || n >= cap)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int port_of(const char *p, char *port, size_t pcap)
{
    size_t n = strlen(p);
    if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
        return -1;
    return copy(port, pcap, p, n) < 0 ? -1 : 1;
}

int hostport_split(const char *in, char *host, size_t hcap, char *port, size_t pcap)
{
    if (in[0] == '[') {
        const char *end = strchr(in, ']');
        if (end == NULL || copy(host, hcap, in + 1, (size_t)(end - in - 1)) < 0)
            return -1;
        if (end[1] == '\0')
            return 0;
        return end[1] == ':' ? port_of(end + 2, port, pcap) : -1;
    }
    const char *colon = strchr(in, ':');
    if (colon == NULL || strchr(colon + 1, ':') != NULL) /* a name, or bare IPv6 */
        return copy(host, hcap, in, strlen(in)) < 0 ? -1 : 0;
    if (copy(host, hcap, in, (size_t)(colon - in)) < 0)
        return -1;
    return port_of(colon + 1, port, pcap);
}

/* ports: the --port list, so that one run can spread its connections over
 * several servers (the nodes of a cluster, bench/compare.sh --cluster). */
#include "bench.h"

#include <stdlib.h>

int ports_parse(const char *s, unsigned short *out, size_t cap)
{
    size_t n = 0;
    const char *p = s;
    for (;;) {
        /* strtoul would take a sign or blanks: only digits here. */
        if (*p < '0' || *p > '9')
            return -1;
        unsigned long v = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (unsigned long)(*p - '0');
            if (v > 65535)
                return -1;
            p++;
        }
        if (v == 0 || n == cap)
            return -1;
        out[n++] = (unsigned short)v;
        if (*p == '\0')
            return (int)n;
        if (*p != ',')
            return -1;
        p++;
    }
}

size_t ports_pick(const struct conn *c, size_t nports)
{
    /* The fanout sender talks to the first server, so that a message crosses
     * to the others; every other connection goes round the list. */
    return c->is_sender || nports == 0 ? 0 : c->index % nports;
}

/* stats: latency samples and the server's memory, read from /proc.
 *
 * Every latency is kept (4 bytes each, a few MB for a long run) and sorted
 * once for the quantiles: exact figures are easier to explain to a class
 * than a histogram's buckets. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A run never needs more; past it samples are dropped, not the run. */
enum { SAMPLES_MAX = 64 * 1024 * 1024 };

void samples_add(struct samples *s, uint64_t ns)
{
    if (s->len == s->cap) {
        if (s->cap >= SAMPLES_MAX)
            return;
        size_t cap = s->cap ? 2 * s->cap : 65536;
        uint32_t *us = realloc(s->us, cap * sizeof *us);
        if (!us)
            return;
        s->us = us;
        s->cap = cap;
    }
    uint64_t us = (ns + 500) / 1000;
    s->us[s->len++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

void samples_free(struct samples *s)
{
    free(s->us);
    memset(s, 0, sizeof *s);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

uint32_t samples_quantile(struct samples *s, double q)
{
    if (s->len == 0)
        return 0;
    qsort(s->us, s->len, sizeof *s->us, cmp_u32);
    /* Nearest rank: the smallest sample with at least q of them at or below. */
    double rank = q * (double)s->len;
    size_t i = rank <= 1.0 ? 0 : (size_t)(rank + 0.999999) - 1;
    return s->us[i < s->len ? i : s->len - 1];
}

long proc_status_kb(long pid, const char *field)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t flen = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            kb = strtol(line + flen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

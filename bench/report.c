/* report: the run's figures, once for people and once for scripts.
 *
 * The table is Markdown so it can be pasted into docs as is; the RESULT line
 * is what bench/compare.sh reads: one line, space-separated key=value, no
 * value ever contains a space. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void report_add(struct report *r, const char *key, const char *human, const char *fmt, ...)
{
    if (r->n == REPORT_ITEMS)
        return;
    struct report_item *it = &r->items[r->n++];
    it->key = key;
    it->human = human;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->value, sizeof it->value, fmt, ap);
    va_end(ap);
    for (char *p = it->value; *p; p++) {
        if (*p == ' ')
            *p = '_';
    }
}

void report_latency(struct report *r, struct samples *s, const char *what)
{
    static char human[4][64];
    static const char *const names[] = {"p50", "p90", "p99", "max"};
    static const char *const keys[] = {"p50_us", "p90_us", "p99_us", "max_us"};
    static const double qs[] = {0.50, 0.90, 0.99, 1.0};
    for (int i = 0; i < 4; i++) {
        snprintf(human[i], sizeof human[i], "%s latency %s (us)", what, names[i]);
        report_add(r, keys[i], human[i], "%u", samples_quantile(s, qs[i]));
    }
}

int report_print(const struct bench *b, const struct report *r, const char *workload)
{
    const struct bench_options *o = b->opt;
    printf("\nsockchat-bench %s, dialect %s%s, %s:%s%s%s\n\n", workload, dialect_name(o->dialect),
           o->tls ? " over TLS" : "", o->host, o->port, o->label ? ", " : "",
           o->label ? o->label : "");
    printf("| %-36s | %14s |\n", "measure", "value");
    printf("|%s|%s|\n", "--------------------------------------", "----------------:");
    for (size_t i = 0; i < r->n; i++)
        printf("| %-36s | %14s |\n", r->items[i].human, r->items[i].value);
    printf("| %-36s | %14lu |\n", "errors", b->errors);
    printf("| %-36s | %14u |\n", "connections lost", b->closed);
    if (b->errors)
        printf("\nfirst error: %s\n", b->first_error);
    printf("\nRESULT workload=%s dialect=%s tls=%s label=%s", workload, dialect_name(o->dialect),
           o->tls ? "yes" : "no", o->label ? o->label : "-");
    for (size_t i = 0; i < r->n; i++)
        printf(" %s=%s", r->items[i].key, r->items[i].value);
    printf(" errors=%lu lost=%u\n", b->errors, b->closed);
    fflush(stdout);
    return b->errors ? 1 : 0;
}

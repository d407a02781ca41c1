/* roster: the connections table (see roster.h). */
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

void roster_init(struct roster *r)
{
    memset(r, 0, sizeof(*r));
    r->sort = RC_NICK;
}

void roster_clear(struct roster *r)
{
    r->n = 0;
    r->total = 0;
    r->receiving = false;
    r->top = 0;
    r->version++;
}

static void roster_commit(struct roster *r)
{
    memcpy(r->rows, r->next, r->next_n * sizeof(*r->rows));
    r->n = r->next_n;
    r->total = r->next_total;
    r->receiving = false;
    roster_sort(r);
    r->version++;
}

void roster_begin(struct roster *r, unsigned total, unsigned shown)
{
    r->next_n = 0;
    r->next_total = total;
    r->next_shown = shown > ADMIN_ROSTER_MAX ? ADMIN_ROSTER_MAX : shown;
    r->receiving = true;
    if (r->next_shown == 0)
        roster_commit(r);
}

bool roster_row(struct roster *r, const char *kv, size_t len)
{
    if (!r->receiving || r->next_n >= r->next_shown)
        return false;
    struct admin_row *row = &r->next[r->next_n++];
    memset(row, 0, sizeof(*row));
    admin_parse_row(kv, len, row);
    if (r->next_n < r->next_shown)
        return false;
    roster_commit(r);
    return true;
}

static const char *const col_names[RC_COUNT] = {
    [RC_NICK] = "nick",    [RC_ADDR] = "address",  [RC_DIALECT] = "dialect",
    [RC_STATE] = "state",  [RC_WORKER] = "worker", [RC_MSGS_IN] = "in",
    [RC_MSGS_OUT] = "out", [RC_BYTES_IN] = "b.in", [RC_BYTES_OUT] = "b.out",
    [RC_QUEUE] = "queue",  [RC_IDLE] = "idle",     [RC_ROOM] = "room",
};

const char *roster_col_name(enum roster_col c)
{
    return (unsigned)c < RC_COUNT ? col_names[c] : "?";
}

void roster_sort_next(struct roster *r)
{
    r->sort = (enum roster_col)((r->sort + 1) % RC_COUNT);
    roster_sort(r);
    r->version++;
}

static int cmp_text(const char *a, const char *b)
{
    /* Empty (no nick yet) sorts last. */
    if (!a[0] != !b[0])
        return a[0] ? -1 : 1;
    return strcasecmp(a, b);
}

static int cmp_num(unsigned long long a, unsigned long long b)
{
    return a < b ? 1 : a > b ? -1 : 0; /* largest first */
}

static int cmp_rows(const struct admin_row *a, const struct admin_row *b, enum roster_col c)
{
    switch (c) {
    case RC_NICK:
        return cmp_text(a->nick, b->nick);
    case RC_ADDR:
        return cmp_text(a->addr, b->addr);
    case RC_DIALECT:
        return cmp_text(a->dialect, b->dialect);
    case RC_STATE:
        return cmp_text(a->state, b->state);
    case RC_WORKER:
        return cmp_text(a->worker, b->worker);
    case RC_MSGS_IN:
        return cmp_num(a->msgs_in, b->msgs_in);
    case RC_MSGS_OUT:
        return cmp_num(a->msgs_out, b->msgs_out);
    case RC_BYTES_IN:
        return cmp_num(a->bytes_in, b->bytes_in);
    case RC_BYTES_OUT:
        return cmp_num(a->bytes_out, b->bytes_out);
    case RC_QUEUE:
        return cmp_num(a->queue, b->queue);
    case RC_IDLE:
        return cmp_num((unsigned long long)(a->idle_ms < 0 ? 0 : a->idle_ms),
                       (unsigned long long)(b->idle_ms < 0 ? 0 : b->idle_ms));
    case RC_ROOM:
        return cmp_text(a->room, b->room);
    default:
        return 0;
    }
}

void roster_sort(struct roster *r)
{
    /* Insertion sort: at most ADMIN_ROSTER_MAX rows, mostly in order from
     * the last block, and qsort's comparator could not see r->sort
     * without a global. */
    for (size_t i = 1; i < r->n; i++) {
        struct admin_row key = r->rows[i];
        size_t j = i;
        while (j > 0) {
            const struct admin_row *p = &r->rows[j - 1];
            int c = cmp_rows(p, &key, r->sort);
            if (c == 0)
                c = cmp_text(p->nick, key.nick);
            if (c == 0)
                c = p->id > key.id ? 1 : p->id < key.id ? -1 : 0;
            if (c <= 0)
                break;
            r->rows[j] = *p;
            j--;
        }
        r->rows[j] = key;
    }
}

long roster_selected_index(const struct roster *r)
{
    if (!r->has_sel)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        if (r->rows[i].id == r->sel_id)
            return (long)i;
    return -1;
}

const struct admin_row *roster_selected(const struct roster *r)
{
    long i = roster_selected_index(r);
    return i < 0 ? NULL : &r->rows[i];
}

void roster_select_move(struct roster *r, long delta)
{
    if (r->n == 0)
        return;
    long i = roster_selected_index(r);
    if (i < 0)
        i = delta < 0 ? (long)r->n - 1 : 0; /* the first move selects */
    else
        i += delta;
    if (i < 0)
        i = 0;
    if (i >= (long)r->n)
        i = (long)r->n - 1;
    r->sel_id = r->rows[i].id;
    r->has_sel = true;
    r->version++;
}

void roster_follow(struct roster *r, size_t height)
{
    if (height == 0)
        return;
    if (r->top + height > r->n)
        r->top = r->n > height ? r->n - height : 0;
    long i = roster_selected_index(r);
    if (i < 0)
        return;
    if ((size_t)i < r->top)
        r->top = (size_t)i;
    else if ((size_t)i >= r->top + height)
        r->top = (size_t)i - height + 1;
}

/* ---- layout ------------------------------------------------------------ */

/* Width of each column: at least min, up to max when room is left. Numbers
 * are at most 5 columns (roster_human), with a blank between columns. The
 * dialect's 10 hold "tls/framed", what our client over TLS shows. */
static const struct {
    size_t min, max;
} col_widths[RC_COUNT] = {
    [RC_NICK] = {10, NICK_MAX}, [RC_ADDR] = {15, 23},   [RC_DIALECT] = {10, 12},
    [RC_STATE] = {7, 7},        [RC_WORKER] = {8, 10},  [RC_MSGS_IN] = {5, 6},
    [RC_MSGS_OUT] = {5, 6},     [RC_BYTES_IN] = {5, 6}, [RC_BYTES_OUT] = {5, 6},
    [RC_QUEUE] = {5, 6},        [RC_IDLE] = {4, 5},     [RC_ROOM] = {6, ROOMNAME_MAX + 1},
};

/* The order columns are given room in when the width is short. */
static const enum roster_col col_priority[RC_COUNT] = {
    RC_NICK,  RC_DIALECT, RC_ADDR,  RC_MSGS_IN, RC_MSGS_OUT, RC_IDLE,
    RC_QUEUE, RC_WORKER,  RC_STATE, RC_ROOM,    RC_BYTES_IN, RC_BYTES_OUT,
};

void roster_layout(struct roster_layout *lay, size_t width)
{
    bool take[RC_COUNT] = {false};
    size_t w[RC_COUNT] = {0};
    size_t used = 0;
    for (size_t i = 0; i < RC_COUNT; i++) {
        enum roster_col c = col_priority[i];
        size_t need = col_widths[c].min + (used ? 1 : 0);
        if (used + need > width)
            continue;
        take[c] = true;
        w[c] = col_widths[c].min;
        used += need;
    }
    /* Room left: widen the columns in priority order up to their max. */
    for (size_t i = 0; i < RC_COUNT && used < width; i++) {
        enum roster_col c = col_priority[i];
        if (!take[c])
            continue;
        size_t more = col_widths[c].max - w[c];
        if (more > width - used)
            more = width - used;
        w[c] += more;
        used += more;
    }
    lay->n = 0;
    for (size_t c = 0; c < RC_COUNT; c++) {
        if (!take[c])
            continue;
        lay->cols[lay->n] = (enum roster_col)c;
        lay->widths[lay->n] = w[c];
        lay->n++;
    }
}

/* Appends s padded (or cut) to cols display columns, numbers to the right. */
static void put_cell(char *buf, size_t cap, size_t *len, const char *s, size_t cols, bool right)
{
    size_t n = text_fit(s, strlen(s), cols);
    size_t w = text_width(s, n);
    size_t pad = cols > w ? cols - w : 0;
    if (*len + n + pad + 1 > cap)
        return;
    if (right) {
        memset(buf + *len, ' ', pad);
        *len += pad;
    }
    memcpy(buf + *len, s, n);
    *len += n;
    if (!right) {
        memset(buf + *len, ' ', pad);
        *len += pad;
    }
    buf[*len] = '\0';
}

static bool col_numeric(enum roster_col c)
{
    return c >= RC_MSGS_IN && c <= RC_IDLE;
}

size_t roster_format_header(const struct roster_layout *lay, enum roster_col sort, char *buf,
                            size_t cap)
{
    size_t len = 0;
    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; i < lay->n; i++) {
        char name[24];
        snprintf(name, sizeof(name), "%s%s", roster_col_name(lay->cols[i]),
                 lay->cols[i] == sort ? "*" : "");
        if (i)
            put_cell(buf, cap, &len, " ", 1, false);
        put_cell(buf, cap, &len, name, lay->widths[i], col_numeric(lay->cols[i]));
    }
    return len;
}

void roster_human(unsigned long long v, char *buf, size_t cap)
{
    static const char units[] = "KMGTPE";
    if (v < 10000) {
        snprintf(buf, cap, "%llu", v);
        return;
    }
    double d = (double)v;
    size_t u = 0;
    d /= 1000.0;
    while (d >= 999.5 && u + 1 < sizeof(units) - 1) {
        d /= 1000.0;
        u++;
    }
    if (d < 99.95)
        snprintf(buf, cap, "%.1f%c", d, units[u]);
    else
        snprintf(buf, cap, "%.0f%c", d, units[u]);
}

void roster_idle(long long ms, char *buf, size_t cap)
{
    long long s = ms < 0 ? 0 : ms / 1000;
    if (s < 60)
        snprintf(buf, cap, "%llds", s);
    else if (s < 3600)
        snprintf(buf, cap, "%lldm", s / 60);
    else if (s < 86400)
        snprintf(buf, cap, "%lldh", s / 3600);
    else
        snprintf(buf, cap, "%lldd", s / 86400);
}

static void cell_text(const struct admin_row *row, enum roster_col c, char *cell, size_t cap)
{
    switch (c) {
    case RC_NICK:
        snprintf(cell, cap, "%s", row->nick[0] ? row->nick : "-");
        break;
    case RC_ADDR:
        snprintf(cell, cap, "%s", row->addr);
        break;
    case RC_DIALECT:
        /* TLS first: a narrow column still shows it. */
        snprintf(cell, cap, "%s%s", row->tls[0] ? "tls/" : "", row->dialect);
        break;
    case RC_STATE:
        snprintf(cell, cap, "%s", row->muted ? "muted" : row->state);
        break;
    case RC_WORKER:
        snprintf(cell, cap, "%s", row->worker);
        break;
    case RC_MSGS_IN:
        roster_human(row->msgs_in, cell, cap);
        break;
    case RC_MSGS_OUT:
        roster_human(row->msgs_out, cell, cap);
        break;
    case RC_BYTES_IN:
        roster_human(row->bytes_in, cell, cap);
        break;
    case RC_BYTES_OUT:
        roster_human(row->bytes_out, cell, cap);
        break;
    case RC_QUEUE:
        roster_human(row->queue, cell, cap);
        break;
    case RC_IDLE:
        roster_idle(row->idle_ms, cell, cap);
        break;
    case RC_ROOM:
        snprintf(cell, cap, "%s", row->room[0] ? row->room : "-");
        break;
    default:
        cell[0] = '\0';
    }
}

size_t roster_format_row(const struct roster_layout *lay, const struct admin_row *row, char *buf,
                         size_t cap)
{
    size_t len = 0;
    if (cap)
        buf[0] = '\0';
    for (size_t i = 0; i < lay->n; i++) {
        char cell[ADMIN_WORD_MAX + 8];
        cell_text(row, lay->cols[i], cell, sizeof(cell));
        if (i)
            put_cell(buf, cap, &len, " ", 1, false);
        put_cell(buf, cap, &len, cell, lay->widths[i], col_numeric(lay->cols[i]));
    }
    return len;
}

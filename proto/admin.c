/* admin: the admin socket's lines (admin.h, docs/PROTOCOL.md section 13).
 *
 * Whatever a line carries, what we format is one line of valid UTF-8: the
 * text of an event is a chat line someone typed, and the dashboard and
 * scripts split on LF. So control bytes, C1 controls and bad UTF-8 become
 * '?', and a word (an address, a nick, a STATS value) never holds a blank. */
#include "admin.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

static const char *const EVENT_NAMES[AEV_COUNT] = {
    [AEV_INFO] = "info",         [AEV_JOIN] = "join",       [AEV_LEAVE] = "leave",
    [AEV_CHAT] = "chat",         [AEV_PRIVATE] = "private", [AEV_NICK] = "nick",
    [AEV_REFUSE] = "refuse",     [AEV_FLOOD] = "flood",     [AEV_SLOW] = "slow",
    [AEV_OPERATOR] = "operator", [AEV_ERROR] = "error",     [AEV_TRACE] = "trace",
};

const char *admin_event_name(enum admin_event ev)
{
    return (unsigned)ev < AEV_COUNT ? EVENT_NAMES[ev] : "info";
}

bool admin_event_parse(const char *s, size_t len, enum admin_event *ev)
{
    for (unsigned i = 0; i < AEV_COUNT; i++) {
        if (strlen(EVENT_NAMES[i]) == len && memcmp(EVENT_NAMES[i], s, len) == 0) {
            *ev = (enum admin_event)i;
            return true;
        }
    }
    return false;
}

/* ---- formatting ---- */

/* A bounded writer: once something does not fit, everything after fails. */
struct out {
    char *buf;
    size_t cap, len;
    bool full;
};

static void out_bytes(struct out *o, const char *s, size_t n)
{
    if (o->full || o->cap - o->len <= n) { /* and room for the NUL */
        o->full = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void out_str(struct out *o, const char *s)
{
    out_bytes(o, s, strlen(s));
}

static void out_u64(struct out *o, unsigned long long v)
{
    char d[24];
    size_t i = sizeof d;
    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    out_bytes(o, d + i, sizeof d - i);
}

static bool is_control(int32_t cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

/* s[0..len) as text: bad UTF-8 and controls as '?'; blanks too when
 * `word`. */
static void out_safe(struct out *o, const char *s, size_t len, bool word)
{
    size_t i = 0;
    while (i < len && !o->full) {
        int32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (cp < 0 || is_control(cp) || (word && cp == ' '))
            out_bytes(o, "?", 1);
        else
            out_bytes(o, s + i, n);
        i += n;
    }
}

/* A word that is '-' when empty. */
static void out_word(struct out *o, const char *s)
{
    if (s == NULL || s[0] == '\0')
        out_bytes(o, "-", 1);
    else
        out_safe(o, s, strlen(s), true);
}

static void out_kv_u64(struct out *o, const char *key, unsigned long long v)
{
    out_bytes(o, " ", 1);
    out_str(o, key);
    out_bytes(o, "=", 1);
    out_u64(o, v);
}

/* key=value; left out when value is empty (a parser leaves it ""). */
static void out_kv_str(struct out *o, const char *key, const char *v)
{
    if (v[0] == '\0')
        return;
    out_bytes(o, " ", 1);
    out_str(o, key);
    out_bytes(o, "=", 1);
    out_safe(o, v, strlen(v), true);
}

static size_t out_end(struct out *o)
{
    if (o->full) {
        if (o->cap > 0)
            o->buf[0] = '\0';
        return 0;
    }
    return o->len;
}

static struct out out_start(char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, cap == 0};
    if (cap > 0)
        buf[0] = '\0';
    return o;
}

size_t admin_format_stats(char *buf, size_t cap, const struct admin_stats *s)
{
    struct out o = out_start(buf, cap);
    out_str(&o, "STATS");
    out_kv_str(&o, "mode", s->mode);
    out_kv_str(&o, "listen", s->listen);
    out_kv_str(&o, "reach", s->reach);
    out_kv_u64(&o, "up_ms", s->up_ms > 0 ? (unsigned long long)s->up_ms : 0);
    out_kv_u64(&o, "clients", s->clients);
    out_kv_u64(&o, "room", s->room);
    out_kv_u64(&o, "served", s->served);
    out_kv_u64(&o, "messages", s->messages);
    out_kv_u64(&o, "deliveries", s->deliveries);
    out_kv_u64(&o, "bytes_in", s->bytes_in);
    out_kv_u64(&o, "bytes_out", s->bytes_out);
    out_kv_u64(&o, "msgs_per_s", s->msgs_per_s);
    out_kv_u64(&o, "deliveries_per_s", s->deliveries_per_s);
    out_kv_u64(&o, "rss_kib", s->rss_kib);
    out_kv_u64(&o, "threads", s->threads);
    out_kv_u64(&o, "admins", s->admins);
    out_kv_str(&o, "tls", s->tls);
    out_kv_str(&o, "tls_sha256", s->tls_sha256);
    if (s->tls[0] != '\0')
        out_kv_u64(&o, "tls_now", s->tls_now);
    return out_end(&o);
}

size_t admin_format_row(char *buf, size_t cap, const struct admin_row *r)
{
    struct out o = out_start(buf, cap);
    out_str(&o, "ROW");
    out_kv_u64(&o, "id", r->id);
    out_str(&o, " nick=");
    out_word(&o, r->nick);
    out_kv_str(&o, "addr", r->addr);
    out_kv_str(&o, "dialect", r->dialect);
    out_kv_str(&o, "state", r->state);
    out_kv_str(&o, "worker", r->worker);
    out_kv_u64(&o, "msgs_in", r->msgs_in);
    out_kv_u64(&o, "msgs_out", r->msgs_out);
    out_kv_u64(&o, "bytes_in", r->bytes_in);
    out_kv_u64(&o, "bytes_out", r->bytes_out);
    out_kv_u64(&o, "queue", r->queue);
    out_kv_u64(&o, "idle_ms", r->idle_ms > 0 ? (unsigned long long)r->idle_ms : 0);
    out_kv_u64(&o, "muted", r->muted);
    if (r->room[0] != '\0')
        out_kv_str(&o, "room", r->room);
    out_kv_str(&o, "tls", r->tls);
    return out_end(&o);
}

size_t admin_format_roster(char *buf, size_t cap, unsigned total, unsigned shown)
{
    struct out o = out_start(buf, cap);
    out_str(&o, "ROSTER ");
    out_u64(&o, total);
    out_bytes(&o, " ", 1);
    out_u64(&o, shown);
    return out_end(&o);
}

size_t admin_format_event(char *buf, size_t cap, int64_t ms, enum admin_event ev, const char *addr,
                          const char *nick, const char *text, size_t text_len)
{
    struct out o = out_start(buf, cap);
    out_str(&o, "EVENT ");
    out_u64(&o, ms > 0 ? (unsigned long long)ms : 0);
    out_bytes(&o, " ", 1);
    out_str(&o, admin_event_name(ev));
    out_bytes(&o, " ", 1);
    out_word(&o, addr);
    out_bytes(&o, " ", 1);
    out_word(&o, nick);
    out_bytes(&o, " ", 1);
    out_safe(&o, text, text_len, false);
    return out_end(&o);
}

size_t admin_format_text(char *buf, size_t cap, enum admin_type type, const char *text,
                         size_t text_len)
{
    const char *word = type == ADMIN_OK    ? "OK"
                       : type == ADMIN_ERR ? "ERR"
                       : type == ADMIN_BYE ? "BYE"
                                           : "OUT";
    struct out o = out_start(buf, cap);
    out_str(&o, word);
    if (text_len > 0) {
        out_bytes(&o, " ", 1);
        out_safe(&o, text, text_len, false);
    }
    return out_end(&o);
}

/* ---- parsing ---- */

/* The next ' '-separated word of s[*pos..len): false when none is left. */
static bool next_word(const char *s, size_t len, size_t *pos, const char **w, size_t *wl)
{
    size_t i = *pos;
    while (i < len && s[i] == ' ')
        i++;
    if (i == len)
        return false;
    size_t j = i;
    while (j < len && s[j] != ' ')
        j++;
    *w = s + i;
    *wl = j - i;
    *pos = j;
    return true;
}

/* Decimal digits only, saturating; false when it is not a number. */
static bool parse_u64(const char *s, size_t len, unsigned long long *v)
{
    if (len == 0)
        return false;
    unsigned long long x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        x = x > (~0ULL - d) / 10 ? ~0ULL : x * 10 + d;
    }
    *v = x;
    return true;
}

static bool word_is(const char *w, size_t wl, const char *lit)
{
    return strlen(lit) == wl && memcmp(w, lit, wl) == 0;
}

/* The rest of the line after one blank (the text of OUT, OK, ...). */
static void rest_after(const char *line, size_t len, size_t pos, struct admin_line *out)
{
    if (pos < len && line[pos] == ' ')
        pos++;
    out->text = line + pos;
    out->text_len = len - pos;
}

static bool parse_event(const char *line, size_t len, size_t pos, struct admin_line *out)
{
    const char *w[4];
    size_t wl[4];
    for (int i = 0; i < 4; i++)
        if (!next_word(line, len, &pos, &w[i], &wl[i]))
            return false;
    unsigned long long ms;
    if (!parse_u64(w[0], wl[0], &ms))
        return false;
    out->ms = ms > INT64_MAX ? INT64_MAX : (int64_t)ms;
    out->ev_known = admin_event_parse(w[1], wl[1], &out->ev);
    if (!out->ev_known)
        out->ev = AEV_INFO;
    bool no_addr = word_is(w[2], wl[2], "-"), no_nick = word_is(w[3], wl[3], "-");
    out->addr = no_addr ? "" : w[2];
    out->addr_len = no_addr ? 0 : wl[2];
    out->nick = no_nick ? "" : w[3];
    out->nick_len = no_nick ? 0 : wl[3];
    rest_after(line, len, pos, out);
    return true;
}

bool admin_parse(const char *line, size_t len, struct admin_line *out)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len >= ADMIN_LINE_MAX || memchr(line, '\n', len) != NULL)
        return false;
    memset(out, 0, sizeof *out);
    out->text = line + len;
    out->addr = out->nick = "";
    size_t pos = 0;
    const char *w;
    size_t wl;
    if (len == 0 || line[0] == ' ' || !next_word(line, len, &pos, &w, &wl))
        return false;

    static const struct {
        const char *word;
        enum admin_type type;
    } TEXT_TYPES[] = {
        {"OUT", ADMIN_OUT}, {"OK", ADMIN_OK},       {"ERR", ADMIN_ERR},
        {"BYE", ADMIN_BYE}, {"STATS", ADMIN_STATS}, {"ROW", ADMIN_ROW},
    };
    for (size_t i = 0; i < sizeof TEXT_TYPES / sizeof TEXT_TYPES[0]; i++) {
        if (word_is(w, wl, TEXT_TYPES[i].word)) {
            out->type = TEXT_TYPES[i].type;
            rest_after(line, len, pos, out);
            return true;
        }
    }
    if (word_is(w, wl, "EVENT")) {
        out->type = ADMIN_EVENT;
        return parse_event(line, len, pos, out);
    }
    unsigned long long a, b;
    const char *w2;
    size_t wl2;
    if (word_is(w, wl, "SOCKCHAT-ADMIN")) {
        out->type = ADMIN_HELLO;
        if (!next_word(line, len, &pos, &w2, &wl2) || !parse_u64(w2, wl2, &a) || a > 1000000)
            return false;
        out->version = (unsigned)a;
        rest_after(line, len, pos, out);
        return true;
    }
    if (word_is(w, wl, "ROSTER")) {
        out->type = ADMIN_ROSTER;
        if (!next_word(line, len, &pos, &w2, &wl2) || !parse_u64(w2, wl2, &a) ||
            !next_word(line, len, &pos, &w, &wl) || !parse_u64(w, wl, &b) || a > ~0u ||
            b > ADMIN_ROSTER_MAX || b > a)
            return false;
        out->total = (unsigned)a;
        out->shown = (unsigned)b;
        rest_after(line, len, pos, out);
        return true;
    }
    return false;
}

/* Calls each key=value word of kv[0..len) in turn. */
struct kv {
    const char *key, *val;
    size_t klen, vlen;
};

static bool next_kv(const char *s, size_t len, size_t *pos, struct kv *kv)
{
    const char *w;
    size_t wl;
    while (next_word(s, len, pos, &w, &wl)) {
        const char *eq = memchr(w, '=', wl);
        if (eq == NULL || eq == w)
            continue; /* not key=value: skipped, as an unknown key */
        kv->key = w;
        kv->klen = (size_t)(eq - w);
        kv->val = eq + 1;
        kv->vlen = wl - kv->klen - 1;
        return true;
    }
    return false;
}

static bool key_is(const struct kv *kv, const char *key)
{
    return word_is(kv->key, kv->klen, key);
}

/* A value into dst (cap bytes), cut at a character boundary. */
static void copy_val(char *dst, size_t cap, const struct kv *kv)
{
    size_t n = utf8_boundary(kv->val, kv->vlen, cap - 1);
    memcpy(dst, kv->val, n);
    dst[n] = '\0';
}

static unsigned long long val_u64(const struct kv *kv)
{
    unsigned long long v = 0;
    return parse_u64(kv->val, kv->vlen, &v) ? v : 0;
}

static unsigned val_uint(const struct kv *kv)
{
    unsigned long long v = val_u64(kv);
    return v > ~0u ? ~0u : (unsigned)v;
}

static int64_t val_i64(const struct kv *kv)
{
    unsigned long long v = val_u64(kv);
    return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

void admin_parse_stats(const char *kv_list, size_t len, struct admin_stats *s)
{
    memset(s, 0, sizeof *s);
    size_t pos = 0;
    struct kv kv;
    while (next_kv(kv_list, len, &pos, &kv)) {
        if (key_is(&kv, "mode"))
            copy_val(s->mode, sizeof s->mode, &kv);
        else if (key_is(&kv, "listen"))
            copy_val(s->listen, sizeof s->listen, &kv);
        else if (key_is(&kv, "reach"))
            copy_val(s->reach, sizeof s->reach, &kv);
        else if (key_is(&kv, "up_ms"))
            s->up_ms = val_i64(&kv);
        else if (key_is(&kv, "clients"))
            s->clients = val_uint(&kv);
        else if (key_is(&kv, "room"))
            s->room = val_uint(&kv);
        else if (key_is(&kv, "served"))
            s->served = val_u64(&kv);
        else if (key_is(&kv, "messages"))
            s->messages = val_u64(&kv);
        else if (key_is(&kv, "deliveries"))
            s->deliveries = val_u64(&kv);
        else if (key_is(&kv, "bytes_in"))
            s->bytes_in = val_u64(&kv);
        else if (key_is(&kv, "bytes_out"))
            s->bytes_out = val_u64(&kv);
        else if (key_is(&kv, "msgs_per_s"))
            s->msgs_per_s = val_uint(&kv);
        else if (key_is(&kv, "deliveries_per_s"))
            s->deliveries_per_s = val_uint(&kv);
        else if (key_is(&kv, "rss_kib"))
            s->rss_kib = val_u64(&kv);
        else if (key_is(&kv, "threads"))
            s->threads = val_uint(&kv);
        else if (key_is(&kv, "admins"))
            s->admins = val_uint(&kv);
        else if (key_is(&kv, "tls"))
            copy_val(s->tls, sizeof s->tls, &kv);
        else if (key_is(&kv, "tls_sha256"))
            copy_val(s->tls_sha256, sizeof s->tls_sha256, &kv);
        else if (key_is(&kv, "tls_now"))
            s->tls_now = val_uint(&kv);
    }
}

void admin_parse_row(const char *kv_list, size_t len, struct admin_row *r)
{
    memset(r, 0, sizeof *r);
    size_t pos = 0;
    struct kv kv;
    while (next_kv(kv_list, len, &pos, &kv)) {
        if (key_is(&kv, "id"))
            r->id = val_u64(&kv);
        else if (key_is(&kv, "nick")) {
            if (!word_is(kv.val, kv.vlen, "-"))
                copy_val(r->nick, sizeof r->nick, &kv);
        } else if (key_is(&kv, "addr"))
            copy_val(r->addr, sizeof r->addr, &kv);
        else if (key_is(&kv, "dialect"))
            copy_val(r->dialect, sizeof r->dialect, &kv);
        else if (key_is(&kv, "state"))
            copy_val(r->state, sizeof r->state, &kv);
        else if (key_is(&kv, "worker"))
            copy_val(r->worker, sizeof r->worker, &kv);
        else if (key_is(&kv, "room")) {
            /* A room name is one word: taken only when it is one. */
            if (roomname_valid(kv.val, kv.vlen))
                copy_val(r->room, sizeof r->room, &kv);
        } else if (key_is(&kv, "msgs_in"))
            r->msgs_in = val_u64(&kv);
        else if (key_is(&kv, "msgs_out"))
            r->msgs_out = val_u64(&kv);
        else if (key_is(&kv, "bytes_in"))
            r->bytes_in = val_u64(&kv);
        else if (key_is(&kv, "bytes_out"))
            r->bytes_out = val_u64(&kv);
        else if (key_is(&kv, "queue"))
            r->queue = val_u64(&kv);
        else if (key_is(&kv, "idle_ms"))
            r->idle_ms = val_i64(&kv);
        else if (key_is(&kv, "muted"))
            r->muted = val_u64(&kv) != 0;
        else if (key_is(&kv, "tls"))
            copy_val(r->tls, sizeof r->tls, &kv);
    }
}

bool admin_parse_subscribe(const char *args, unsigned *mask)
{
    unsigned m = 0;
    const char *w;
    size_t wl;
    while (cmd_next_word(&args, &w, &wl)) {
        if (word_is(w, wl, "events"))
            m |= ADMIN_SUB_EVENTS;
        else if (word_is(w, wl, "stats"))
            m |= ADMIN_SUB_STATS;
        else if (word_is(w, wl, "roster"))
            m |= ADMIN_SUB_ROSTER;
        else
            return false;
    }
    *mask = m ? m : ADMIN_SUB_ALL;
    return true;
}

int admin_default_path(char *buf, size_t cap, unsigned port, const char *xdg, unsigned uid)
{
    int n;
    /* A relative XDG_RUNTIME_DIR is invalid (the XDG spec says to ignore
     * it), and would put the socket wherever the server was started. */
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(buf, cap, "%s/sockchat/%u.sock", xdg, port);
    else
        n = snprintf(buf, cap, "/tmp/sockchat-%u/%u.sock", uid, port);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

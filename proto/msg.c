/* msg: the framed dialect's messages, and their plain-dialect rendering.
 *
 * Every type is described by one row of a table: its name and the layout of
 * its fields, so parse and encode cannot disagree about a message. */
#include "msg.h"

#include "sanitize.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

/* Field kinds, one letter each in a layout string:
 *   i  id (uint64 decimal)        t  time (int64 decimal, may be negative)
 *   u  users (uint32 decimal)     n  nick    N  nick2    w  word
 *   o  optional word (the last field; absent means "")
 *   T  free text: the rest of the line after one space, may be empty or
 *      absent, may hold spaces; always the last field. */
struct msg_spec {
    const char *name;
    const char *layout;
};

static const struct msg_spec msg_specs[MSG_TYPE_COUNT] = {
    [MSG_UNKNOWN] = {"UNKNOWN", "T"},   [MSG_HELLO] = {"HELLO", "wnT"},
    [MSG_MSG] = {"MSG", "iT"},          [MSG_WELCOME] = {"WELCOME", "nwuT"},
    [MSG_ACK] = {"ACK", "i"},           [MSG_CHAT] = {"CHAT", "tnT"},
    [MSG_ACTION] = {"ACTION", "tnT"},   [MSG_PRIV] = {"PRIV", "tnNT"},
    [MSG_JOIN] = {"JOIN", "nu"},        [MSG_LEAVE] = {"LEAVE", "nuT"},
    [MSG_NICK] = {"NICK", "nN"},        [MSG_OUT] = {"OUT", "T"},
    [MSG_ERR] = {"ERR", "wT"},          [MSG_NOTICE] = {"NOTICE", "T"},
    [MSG_PING] = {"PING", "o"},         [MSG_PONG] = {"PONG", "o"},
    [MSG_SHUTDOWN] = {"SHUTDOWN", "T"}, [MSG_SESSION] = {"SESSION", "w"},
    [MSG_ROOM] = {"ROOM", "wuT"},       [MSG_UNREAD] = {"UNREAD", "wu"},
    [MSG_CLUSTER] = {"CLUSTER", "wT"},
};

enum { MSG_MAX_FIELDS = 4 };

bool msg_session_token_ok(const char *token)
{
    size_t n = 0;
    for (const char *p = token; *p; p++, n++) {
        char ch = *p;
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return false;
    }
    return n >= SESSION_TOKEN_MIN && n <= SESSION_TOKEN_MAX;
}

const char *msg_type_name(enum msg_type t)
{
    if ((int)t < 0 || t >= MSG_TYPE_COUNT)
        return "UNKNOWN";
    return msg_specs[t].name;
}

static bool parse_u64(const char *s, size_t len, uint64_t max, uint64_t *v)
{
    uint64_t n = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (n > (max - d) / 10)
            return false;
        n = n * 10 + d;
    }
    *v = n;
    return true;
}

static bool parse_i64(const char *s, size_t len, int64_t *v)
{
    uint64_t n;

    if (len > 0 && s[0] == '-') {
        /* -INT64_MIN's magnitude is INT64_MAX + 1. */
        if (!parse_u64(s + 1, len - 1, (uint64_t)INT64_MAX + 1, &n))
            return false;
        *v = n == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)n;
        return true;
    }
    if (!parse_u64(s, len, INT64_MAX, &n))
        return false;
    *v = (int64_t)n;
    return true;
}

unsigned msg_hello_version(const char *tag)
{
    static const char prefix[] = PROTO_NAME "/";
    uint64_t v;
    size_t k = sizeof prefix - 1;
    if (strncmp(tag, prefix, k) != 0 || !parse_u64(tag + k, strlen(tag + k), 999999, &v) || v == 0)
        return 0;
    return (unsigned)v;
}

static void msg_clear(struct msg *m, enum msg_type t)
{
    m->type = t;
    m->id = 0;
    m->time = 0;
    m->users = 0;
    m->nick = "";
    m->nick2 = "";
    m->word = "";
    m->text = "";
}

/* Where one field lies in the line, found before anything is written so a
 * malformed line is left whole for the caller's error message. */
struct span {
    char *p;
    size_t len;
};

/* The type a line starts with (its first tlen bytes), or MSG_UNKNOWN. */
static enum msg_type type_named(const char *line, size_t tlen)
{
    for (int k = 1; k < MSG_TYPE_COUNT; k++)
        if (strlen(msg_specs[k].name) == tlen && memcmp(msg_specs[k].name, line, tlen) == 0)
            return (enum msg_type)k;
    return MSG_UNKNOWN;
}

/* Cuts p (at the space before the first field, or NUL) into the layout's
 * fields; false if a required one is missing. */
static bool fields_split(char *p, const char *layout, size_t nf, struct span *f)
{
    for (size_t k = 0; k < nf; k++) {
        char kind = layout[k];
        if (*p == '\0') {
            if (kind == 'T' || kind == 'o') {
                f[k].p = p;
                f[k].len = 0;
                continue;
            }
            return false;
        }
        p++; /* exactly one space separates fields */
        f[k].p = p;
        f[k].len = kind == 'T' ? strlen(p) : strcspn(p, " ");
        p += f[k].len;
        /* Fields after the last one this version knows are ignored, so a
         * later version may append some. */
    }
    return true;
}

/* The numeric fields into m; false if one is malformed or a name is empty. */
static bool fields_numbers(const char *layout, size_t nf, const struct span *f, struct msg *m)
{
    for (size_t k = 0; k < nf; k++) {
        uint64_t u;
        switch (layout[k]) {
        case 'i':
            if (!parse_u64(f[k].p, f[k].len, UINT64_MAX, &m->id))
                return false;
            break;
        case 'u':
            if (!parse_u64(f[k].p, f[k].len, UINT32_MAX, &u))
                return false;
            m->users = (uint32_t)u;
            break;
        case 't':
            if (!parse_i64(f[k].p, f[k].len, &m->time))
                return false;
            break;
        case 'n':
        case 'N':
        case 'w':
            if (f[k].len == 0)
                return false;
            break;
        default:
            break;
        }
    }
    return true;
}

/* The text fields, terminated in place, into m. */
static void fields_texts(const char *layout, size_t nf, const struct span *f, struct msg *m)
{
    for (size_t k = 0; k < nf; k++) {
        f[k].p[f[k].len] = '\0';
        switch (layout[k]) {
        case 'n':
            m->nick = f[k].p;
            break;
        case 'N':
            m->nick2 = f[k].p;
            break;
        case 'w':
        case 'o':
            m->word = f[k].p;
            break;
        case 'T':
            m->text = f[k].p;
            break;
        default:
            break;
        }
    }
}

int msg_parse(struct msg *m, char *line)
{
    size_t tlen = strcspn(line, " ");
    enum msg_type t = type_named(line, tlen);

    msg_clear(m, t);
    if (t == MSG_UNKNOWN) {
        m->text = line;
        return 0;
    }
    const char *layout = msg_specs[t].layout;
    size_t nf = strlen(layout);
    struct span f[MSG_MAX_FIELDS];
    if (!fields_split(line + tlen, layout, nf, f) || !fields_numbers(layout, nf, f, m)) {
        msg_clear(m, t); /* no half-parsed number stays */
        m->text = line;
        return -1;
    }
    fields_texts(layout, nf, f, m);
    return 0;
}

/* An output buffer that remembers overflow, so callers check once. */
struct wbuf {
    char *buf;
    size_t cap;
    size_t len;
    bool bad;
};

static void w_bytes(struct wbuf *w, const char *s, size_t n)
{
    if (w->bad)
        return;
    if (w->cap == 0 || n > w->cap - 1 - w->len) {
        w->bad = true;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

static void w_str(struct wbuf *w, const char *s)
{
    w_bytes(w, s, strlen(s));
}

/* Free text: CR and LF would end the line early, so they become spaces. */
static void w_text(struct wbuf *w, const char *s)
{
    size_t start = w->len;

    w_str(w, s);
    if (w->bad)
        return;
    for (size_t i = start; i < w->len; i++) {
        if (w->buf[i] == '\r' || w->buf[i] == '\n')
            w->buf[i] = ' ';
    }
}

/* A person's words in the plain dialect (chat, an action, a private
 * message, a quit reason): runs of blanks collapsed, so that padding
 * cannot push a forged line to the start of nc's next row. Our own
 * columns (/who, /help) are OUT lines and keep theirs. */
static void w_words(struct wbuf *w, const char *s)
{
    size_t start = w->len;

    w_text(w, s);
    if (!w->bad)
        w->len = start + sanitize_blank_runs(w->buf + start, w->len - start);
}

/* Decimal numbers, written by hand: a printf wrapper would need a
 * non-literal format string. */
static void w_u64(struct wbuf *w, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof tmp;

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    w_bytes(w, tmp + i, sizeof tmp - i);
}

static void w_i64(struct wbuf *w, int64_t v)
{
    if (v < 0) {
        w_bytes(w, "-", 1);
        /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
        w_u64(w, (uint64_t)0 - (uint64_t)v);
    } else {
        w_u64(w, (uint64_t)v);
    }
}

/* A nick or word must be one non-empty token. */
static bool word_ok(const char *s)
{
    return s[0] != '\0' && strpbrk(s, " \r\n") == NULL;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int w_finish(struct wbuf *w)
{
    w_bytes(w, "\n", 1);
    if (w->bad || w->len > INT_MAX) {
        if (w->cap > 0)
            w->buf[0] = '\0';
        return -1;
    }
    w->buf[w->len] = '\0';
    return (int)w->len;
}

int msg_encode(char *buf, size_t cap, const struct msg *m)
{
    struct wbuf w = {buf, cap, 0, false};

    if ((int)m->type < 0 || m->type >= MSG_TYPE_COUNT)
        return -1;
    if (m->type == MSG_UNKNOWN) {
        w_text(&w, or_empty(m->text));
        return w_finish(&w);
    }

    const char *layout = msg_specs[m->type].layout;
    w_str(&w, msg_specs[m->type].name);
    for (const char *k = layout; *k; k++) {
        const char *s;
        switch (*k) {
        case 'i':
            w_str(&w, " ");
            w_u64(&w, m->id);
            break;
        case 't':
            w_str(&w, " ");
            w_i64(&w, m->time);
            break;
        case 'u':
            w_str(&w, " ");
            w_u64(&w, m->users);
            break;
        case 'n':
        case 'N':
        case 'w':
            s = or_empty(*k == 'n' ? m->nick : *k == 'N' ? m->nick2 : m->word);
            if (!word_ok(s))
                return -1;
            w_str(&w, " ");
            w_str(&w, s);
            break;
        case 'o':
            s = or_empty(m->word);
            if (s[0] == '\0')
                break;
            if (!word_ok(s))
                return -1;
            w_str(&w, " ");
            w_str(&w, s);
            break;
        case 'T':
            s = or_empty(m->text);
            if (s[0] == '\0')
                break;
            w_str(&w, " ");
            w_text(&w, s);
            break;
        default:
            break;
        }
    }
    return w_finish(&w);
}

int msg_format_plain(char *buf, size_t cap, const struct msg *m)
{
    struct wbuf w = {buf, cap, 0, false};
    const char *nick = or_empty(m->nick);
    const char *nick2 = or_empty(m->nick2);
    const char *word = or_empty(m->word);
    const char *text = or_empty(m->text);

    switch (m->type) {
    case MSG_WELCOME:
        w_str(&w, "*** Welcome to ");
        w_text(&w, text);
        w_str(&w, ", ");
        w_text(&w, nick);
        w_str(&w, "! ");
        w_u64(&w, m->users);
        w_str(&w, m->users == 1 ? " user online (mode " : " users online (mode ");
        w_text(&w, word);
        w_str(&w, "). Type /help for commands.");
        break;
    case MSG_ACK:
        w_str(&w, PLAIN_ACK);
        break;
    case MSG_CHAT:
        w_str(&w, "<");
        w_text(&w, nick);
        w_str(&w, "> ");
        w_words(&w, text);
        break;
    case MSG_ACTION:
        w_str(&w, "* ");
        w_text(&w, nick);
        w_str(&w, " ");
        w_words(&w, text);
        break;
    case MSG_PRIV:
        w_str(&w, "[private] ");
        w_text(&w, nick);
        w_str(&w, " -> ");
        w_text(&w, nick2);
        w_str(&w, ": ");
        w_words(&w, text);
        break;
    case MSG_JOIN:
        w_str(&w, "*** ");
        w_text(&w, nick);
        w_str(&w, " joined (");
        w_u64(&w, m->users);
        w_str(&w, " online)");
        break;
    case MSG_LEAVE:
        w_str(&w, "*** ");
        w_text(&w, nick);
        w_str(&w, " left");
        if (text[0] != '\0') {
            w_str(&w, ": ");
            w_words(&w, text);
        }
        w_str(&w, " (");
        w_u64(&w, m->users);
        w_str(&w, " online)");
        break;
    case MSG_NICK:
        w_str(&w, "*** ");
        w_text(&w, nick);
        w_str(&w, " is now known as ");
        w_text(&w, nick2);
        break;
    case MSG_ERR:
        w_str(&w, "error: ");
        w_text(&w, text);
        break;
    case MSG_NOTICE:
        w_str(&w, "*** notice: ");
        w_text(&w, text);
        break;
    case MSG_PING:
    case MSG_PONG:
        w_str(&w, m->type == MSG_PING ? "ping" : "pong");
        if (word[0] != '\0') {
            w_str(&w, " ");
            w_text(&w, word);
        }
        break;
    case MSG_SHUTDOWN:
        w_str(&w, "*** server shutting down: ");
        w_text(&w, text);
        break;
    case MSG_ROOM:
        w_str(&w, "*** you are in ");
        w_text(&w, word);
        w_str(&w, " (");
        w_u64(&w, m->users);
        w_str(&w, m->users == 1 ? " person)" : " people)");
        if (text[0] != '\0') {
            w_str(&w, "; topic: ");
            w_text(&w, text);
        }
        break;
    case MSG_UNREAD:
        w_str(&w, "*** ");
        w_u64(&w, m->users);
        w_str(&w, m->users == 1 ? " new message in " : " new messages in ");
        w_text(&w, word);
        break;
    case MSG_CLUSTER:
        w_str(&w, "*** ");
        w_text(&w, text);
        break;
    case MSG_HELLO:
        w_str(&w, "*** hello from ");
        w_text(&w, nick);
        break;
    case MSG_SESSION: /* client to server only; rendered for completeness */
        w_str(&w, "*** session ");
        w_text(&w, word);
        break;
    case MSG_MSG:
    case MSG_OUT:
    case MSG_UNKNOWN:
        w_text(&w, text);
        break;
    default:
        return -1;
    }
    return w_finish(&w);
}

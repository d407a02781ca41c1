/* reply: the answer to one input message, built for its sender's dialect.
 * Framed and plain replies are queued as they come; the tutorial's client
 * reads one reply per message, so a raw reply is joined into one and cut
 * to what its recv(1024) takes. */
#include "server.h"
#include "reply.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

enum { RAW_REPLY_MAX = 64 * 1024 }; /* a raw /who of 100 users fits */

static void raw_append(struct reply *r, const char *s, size_t n)
{
    size_t need = r->rawlen + 1 + n;
    if (need > r->rawcap && r->rawcap < RAW_REPLY_MAX) {
        size_t cap = r->rawcap * 2 > need ? r->rawcap * 2 : need;
        if (cap > RAW_REPLY_MAX)
            cap = RAW_REPLY_MAX;
        char *p = r->raw_heap ? realloc(r->raw, cap) : malloc(cap);
        if (p != NULL) {
            if (!r->raw_heap && r->rawlen > 0)
                memcpy(p, r->raw, r->rawlen);
            r->raw = p;
            r->rawcap = cap;
            r->raw_heap = true;
        }
    }
    if (r->rawlen > 0 && r->rawlen < r->rawcap)
        r->raw[r->rawlen++] = '\n';
    if (n > r->rawcap - r->rawlen)
        n = r->rawcap - r->rawlen;
    if (n == 0)
        return; /* also when there is no buffer at all (raw == NULL) */
    memcpy(r->raw + r->rawlen, s, n);
    r->rawlen += n;
}

void reply_msg(struct reply *r, const struct msg *m)
{
    r->replied = true;
    if (r->c->dialect != DIALECT_RAW) {
        client_send_msg(r->c, m);
        return;
    }
    /* The tutorial's client reads one reply per message: no newline. */
    char small[512];
    int n = dialect_encode(DIALECT_RAW, small, sizeof small, m);
    if (n > 0) {
        raw_append(r, small, (size_t)n - 1);
        return;
    }
    struct outmsg *o = outmsg_encode(DIALECT_RAW, m);
    if (o != NULL) {
        raw_append(r, o->data, o->len - 1);
        outmsg_unref(o);
    }
}

/* Command output is short; long texts (chat) never go through here. */
enum { REPLY_TEXT_MAX = 1024 };

/* vsnprintf cuts at a byte: an echoed argument of many multi-byte
 * characters (an unknown /command) would end in half a character. */
static void reply_text_trim(char *text)
{
    text[utf8_valid_prefix(text, strlen(text))] = '\0';
}

/* One OUT or ERR line from a printf format. */
__attribute__((format(printf, 4, 0))) static void
reply_vtext(struct reply *r, enum msg_type type, const char *code, const char *fmt, va_list ap)
{
    char text[REPLY_TEXT_MAX];
    vsnprintf(text, sizeof text, fmt, ap);
    reply_text_trim(text);
    struct msg m = {.type = type, .word = code, .text = text};
    reply_msg(r, &m);
}

void reply_out(struct reply *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_vtext(r, MSG_OUT, NULL, fmt, ap);
    va_end(ap);
}

void reply_err(struct reply *r, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_vtext(r, MSG_ERR, code, fmt, ap);
    va_end(ap);
}

void reply_ack(struct reply *r)
{
    r->acked = true;
    struct msg m = {.type = MSG_ACK, .id = r->id};
    reply_msg(r, &m);
}

/* Frees what raw_append() allocated: only a raw-dialect reply has it, but
 * every path that builds a reply ends here, so none can leak. */
void reply_release(struct reply *r)
{
    if (r->raw_heap)
        free(r->raw);
    r->raw = NULL;
    r->raw_heap = false;
}

/* The tutorial's client reads each reply with one recv(1024): a longer
 * reply would arrive in pieces, and every later reply it prints would be
 * the previous one's leftover. So a raw reply is cut to RAW_WIRE_MAX bytes,
 * at a line end when one is near enough ("[cut: N more lines]"), else at a
 * UTF-8 character boundary ("…"), never silently. */
enum { RAW_WIRE_MAX = 1024, RAW_MARK_ROOM = 40 };

void reply_raw_fit(struct reply *r)
{
    static const char ELLIPSIS[] = "\xe2\x80\xa6";
    if (r->rawlen <= RAW_WIRE_MAX)
        return;
    size_t keep = RAW_WIRE_MAX - RAW_MARK_ROOM;
    while (keep > 0 && r->raw[keep] != '\n')
        keep--;
    if (keep > 0) {
        unsigned more = 0;
        for (size_t i = keep; i < r->rawlen; i++)
            if (r->raw[i] == '\n')
                more++;
        int n = snprintf(r->raw + keep, RAW_MARK_ROOM, "\n[cut: %u more line%s]", more,
                         more == 1 ? "" : "s");
        r->rawlen = keep + (n > 0 && n < RAW_MARK_ROOM ? (size_t)n : 0);
        return;
    }
    /* One long line: back up to the start of a character. */
    keep = utf8_boundary(r->raw, r->rawlen, RAW_WIRE_MAX - (sizeof ELLIPSIS - 1));
    memcpy(r->raw + keep, ELLIPSIS, sizeof ELLIPSIS - 1);
    r->rawlen = keep + sizeof ELLIPSIS - 1;
}

/* detect: what the server is. A sockchat server greets with WELCOME (or
 * refuses with ERR); a plain server answers something else, with lines or
 * (the tutorial's) without; an SSH, HTTP or binary server shows itself in
 * its first bytes (foreign.h); and a server that says nothing may be any
 * of them (see chat.h). Decided once per connection, from c->rx, the
 * bytes held back until then. */
#include <stdio.h>
#include <string.h>

#include "chat_internal.h"
#include "foreign.h"

static void become_plain(struct chat *c, bool raw, const char *why)
{
    c->dialect = DIALECT_PLAIN;
    c->raw = raw;
    c->st->state = CONN_CONNECTED;
    snprintf(c->st->mode, sizeof(c->st->mode), "plain server");
    c->st->users = 0;
    chat_notef(c, ENTRY_LOCAL, "plain server (%s): messages are sent as text%s", why,
               raw ? ", one at a time, without newline" : " lines");
}

/* No greeting in CHAT_GREETING_MS (see chat.h): a sockchat server busy
 * with someone else, or a line server that does not answer (nc -l, a
 * logger). Which, nobody can tell yet, so the status says so, messages are
 * written as text lines (a silent line server does get them) and stay
 * pending until an answer says they were read. */
void detect_no_greeting(struct chat *c)
{
    c->dialect = DIALECT_PLAIN;
    c->raw = false;
    c->silent = true;
    c->hello_reply_due = true;
    c->st->state = CONN_NO_GREETING;
    c->st->mode[0] = '\0';
    c->st->users = 0;
    chat_notef(c, ENTRY_LOCAL,
               "no greeting in %d s: the server may be busy with someone else (a sockchat server "
               "in single mode serves one person at a time), or be a plain server that does not "
               "answer",
               CHAT_GREETING_MS / 1000);
    chat_note(c, ENTRY_LOCAL,
              "what you type is written to it as text, and stays pending until it answers");
}

/* A server that sent no greeting answers with something else: a plain
 * server that was slow or busy (the tutorial's server.py serves one client
 * at a time too). A line server answers line by line, the first answer
 * being the one to our HELLO line, then one per message in order. A server
 * answering without newline (the tutorial's) read everything written so
 * far in one recv() and answers it all at once: that answer acknowledges
 * every message written before it. */
static void plain_after_silence(struct chat *c, bool raw)
{
    c->silent = false;
    become_plain(c, raw, "it answered without a greeting");
    if (!raw)
        return;
    c->hello_reply_due = false;
    for (size_t i = 0; i < c->npend;) {
        if (c->pend[i].sent_ms >= 0)
            outbox_done(c, i, DELIVERY_DONE);
        else
            i++;
    }
}

/* The first bytes show no chat server (foreign.h): say what answered, and
 * stop; retrying would get the same answer. */
static void not_chat_server(struct chat *c, const char *said)
{
    c->refused = true;
    c->st->state = CONN_FAILED;
    status_set_reason(c->st, "not a chat server");
    chat_notef(c, ENTRY_ERR, "%s is not a chat server: %s",
               c->st->server[0] ? c->st->server : "the server", said);
    chat_note(c, ENTRY_LOCAL,
              "not reconnecting; /reconnect tries again, /connect HOST [PORT] goes elsewhere");
}

static bool is_prefix_of(const char *s, size_t len, const char *word)
{
    size_t wl = strlen(word);
    return len < wl ? memcmp(s, word, len) == 0 : memcmp(s, word, wl) == 0;
}

/* Until complete, a line that may be WELCOME, ERR or a telltale of another
 * protocol is waited for whole. */
void detect_first_reply(struct chat *c, bool complete)
{
    size_t limit = (size_t)2 * LINE_MAX_BYTES;
    bool has_lf = memchr(c->rx, '\n', c->rx_len) != NULL;
    complete = complete || c->rx_len >= limit;
    bool framed =
        is_prefix_of(c->rx, c->rx_len, "WELCOME ") || is_prefix_of(c->rx, c->rx_len, "ERR ");
    if (framed && !has_lf && !complete)
        return; /* wait for the rest of the line */
    char said[SANITIZE_CAP(FOREIGN_QUOTE_MAX) + 64];
    enum foreign_verdict v =
        framed ? FOREIGN_NO : foreign_check(c->rx, c->rx_len, complete, said, sizeof(said));
    if (v == FOREIGN_MORE)
        return;
    if (framed) {
        c->dialect = DIALECT_FRAMED;
        c->hello_reply_due = false;
        handle_framed(c, c->rx, c->rx_len);
    } else if (v == FOREIGN_YES) {
        not_chat_server(c, said);
    } else {
        become_plain(c, !has_lf, "its first reply is not WELCOME");
        handle_plain(c, c->rx, c->rx_len);
    }
    c->rx_len = 0;
}

/* A late WELCOME, no chat server, or a plain server's answer (see
 * detect_no_greeting). */
bool detect_after_silence(struct chat *c, const char *data, size_t len)
{
    if (len >= 8 && memcmp(data, "WELCOME ", 8) == 0) {
        outbox_late_greeting(c);
        return true;
    }
    char said[SANITIZE_CAP(FOREIGN_QUOTE_MAX) + 64];
    if (foreign_check(data, len, true, said, sizeof(said)) == FOREIGN_YES) {
        not_chat_server(c, said);
        return false;
    }
    plain_after_silence(c, memchr(data, '\n', len) == NULL);
    return true;
}

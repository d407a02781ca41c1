/* paste: a bracketed paste becomes chat messages, never commands; a big
 * one waits for the user's yes (chat_paste_answer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_internal.h"
#include "editline.h"
#include "utf8.h"

void paste_drop(struct chat *c)
{
    for (size_t i = 0; i < c->npaste; i++)
        free(c->paste[i]);
    free(c->paste);
    c->paste = NULL;
    c->npaste = 0;
}

/* Queues one pasted line as chat: a leading '/' is doubled so that the
 * server takes it as text ("//x" is not a command). "exit" has no such
 * escape (every server closes on it), so a pasted one is left out, and
 * said so. */
static void paste_line(struct chat *c, const char *line)
{
    if (cmd_is_exit(line)) {
        chat_note(c, ENTRY_LOCAL,
                  "a pasted \"exit\" line was not sent (it would end the "
                  "connection); type it to quit");
        return;
    }
    if (line[0] == '/' && c->dialect != DIALECT_PLAIN) {
        char wire[EDITLINE_MAX + 2];
        snprintf(wire, sizeof(wire), "/%s", line);
        outbox_queue_own(c, ENTRY_SELF, line, wire);
    } else {
        outbox_queue_own(c, ENTRY_SELF, line, line);
    }
}

static bool paste_push(struct chat *c, const char *s, size_t n, size_t *cap)
{
    if (c->npaste == CHAT_PASTE_MAX)
        return false;
    if (c->npaste == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **p = realloc(c->paste, nc * sizeof(*p));
        if (!p)
            return false;
        c->paste = p;
        *cap = nc;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return false;
    memcpy(copy, s, n);
    copy[n] = '\0';
    c->paste[c->npaste++] = copy;
    return true;
}

enum chat_action chat_paste(struct chat *c, const char *text, size_t len, bool confirm)
{
    size_t cap = 0;
    paste_drop(c);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] != '\n' && text[i] != '\r')
            continue;
        /* One line: skip blank ones, split overlong ones at characters. */
        const char *s = text + start;
        size_t n = i - start;
        start = i + 1;
        bool blank = true;
        for (size_t k = 0; k < n; k++)
            if (s[k] != ' ' && s[k] != '\t')
                blank = false;
        if (blank)
            continue;
        while (n > 0) {
            size_t take = utf8_boundary(s, n, EDITLINE_MAX);
            if (!paste_push(c, s, take, &cap)) {
                chat_note(c, ENTRY_ERR, "paste too big: only its first lines are kept");
                i = len;
                break;
            }
            s += take;
            n -= take;
        }
    }
    if (c->npaste > CHAT_PASTE_ASK || (confirm && c->npaste > 0))
        return CHAT_ASK_PASTE;
    chat_paste_answer(c, true);
    return c->online || c->npend == 0 ? CHAT_NONE : CHAT_RETRY_NOW;
}

void chat_paste_answer(struct chat *c, bool send)
{
    if (send) {
        for (size_t i = 0; i < c->npaste; i++)
            paste_line(c, c->paste[i]);
    } else if (c->npaste) {
        chat_notef(c, ENTRY_LOCAL, "paste of %zu lines not sent", c->npaste);
    }
    paste_drop(c);
}

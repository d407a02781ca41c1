/* trustask: the curses client's question about a server's first-seen
 * certificate (tofu.h), on the input line like the password prompt. The
 * answer is a typed word, as ssh asks for: a stray 'y' typed while the
 * connection was being made must not trust a server. Until it is
 * answered the socket is left alone (loop.c polls it no more): the
 * server may close it meanwhile, and a "yes" then connects again, to a
 * certificate now known. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

static void show(struct app *a)
{
    snprintf(a->trust.shown, sizeof(a->trust.shown), "Trust %s? Type yes or no, then Enter: %s",
             a->st.server, a->trust.typed);
    a->trust.version++;
}

void trustask_start(struct app *a, const char *question)
{
    (void)question;
    a->trust.active = true;
    a->trust.len = 0;
    a->trust.typed[0] = '\0';
    show(a);
}

static void trustask_end(struct app *a)
{
    a->trust.active = false;
    a->trust.version++;
}

static void answer(struct app *a, bool yes)
{
    trustask_end(a);
    if (!yes) {
        chat_note(&a->cl, ENTRY_ERR, "not trusted; not connecting");
        net_close(&a->net);
        a->exit_code = 1;
        loop_act(a, CHAT_QUIT);
        return;
    }
    const struct addr_entry *e = addrlist_current(&a->addrs);
    char msg[PATH_MAX + 400];
    if (tofu_accept(&a->tofu, e->host, e->port, a->net.tls_sha, msg, sizeof(msg)) < 0) {
        conn_refuse(a, msg, "cannot store the fingerprint");
        return;
    }
    chat_note(&a->cl, ENTRY_LOCAL, msg);
    if (a->net.fd < 0) {
        conn_start(a); /* closed while we asked: again, to a known server now */
        return;
    }
    conn_trusted(a);
}

void trustask_key(struct app *a, const struct tkey *k)
{
    if (k->type == TK_ESC || (k->type == TK_CTRL && (k->ch == 'c' || k->ch == 'd'))) {
        answer(a, false);
    } else if (k->type == TK_ENTER || (k->type == TK_CTRL && k->ch == 'j')) {
        if (strcmp(a->trust.typed, "yes") == 0 || strcmp(a->trust.typed, "no") == 0) {
            answer(a, a->trust.typed[0] == 'y');
            return;
        }
        chat_note(&a->cl, ENTRY_LOCAL, "please type yes or no");
        a->trust.len = 0;
        a->trust.typed[0] = '\0';
        show(a);
    } else if (k->type == TK_BACKSPACE && a->trust.len > 0) {
        a->trust.typed[--a->trust.len] = '\0';
        show(a);
    } else if (k->type == TK_CHAR && k->ch < 128 && a->trust.len + 1 < sizeof(a->trust.typed)) {
        a->trust.typed[a->trust.len++] = (char)k->ch;
        a->trust.typed[a->trust.len] = '\0';
        show(a);
    }
}

/* prompt: the password prompt. The server wants a password we do not have
 * (or refused ours): it is typed on the input line, shown as stars, and
 * goes from there to the model (chat_set_typed_password) for this server
 * only. It never enters the edit line, so never its history, and is wiped
 * as soon as it is handed over or the prompt is cancelled. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "text.h"

static void password_show(struct app *a)
{
    char stars[33];
    size_t n = secret_chars(&a->pw.text);
    n = n < sizeof(stars) - 1 ? n : sizeof(stars) - 1;
    memset(stars, '*', n);
    stars[n] = '\0';
    snprintf(a->pw.shown, sizeof(a->pw.shown), "Password for %s: %s", a->st.server, stars);
    a->pw.version++;
}

void prompt_password(struct app *a)
{
    if (a->cl.no_password) {
        chat_note(&a->cl, ENTRY_ERR,
                  "the server wants a password: not sending one in clear text to a server that "
                  "spoke TLS before; /connect tls://HOST:PORT, or leave out --no-tls");
        return;
    }
    bool wrong = strcmp(a->st.reason, "wrong password") == 0;
    char note[400];
    snprintf(note, sizeof(note),
             "%s %s: type it below (it is not shown); Enter connects, Esc cancels",
             wrong ? "wrong password for" : "a password is needed for", a->st.server);
    chat_note(&a->cl, ENTRY_LOCAL, note);
    a->pw.active = true;
    a->pw.in_paste = false;
    secret_clear(&a->pw.text);
    password_show(a);
}

static void password_end(struct app *a)
{
    secret_clear(&a->pw.text);
    a->pw.active = false;
    a->pw.in_paste = false;
    a->pw.version++;
}

static void password_submit(struct app *a)
{
    if (a->pw.text.len == 0)
        return; /* nothing typed yet: an empty password is no answer */
    int rc = chat_set_typed_password(&a->cl, a->pw.text.buf);
    password_end(a);
    if (rc < 0) {
        chat_note(&a->cl, ENTRY_ERR, "password: too long; not sent");
        return;
    }
    net_backoff_reset(&a->net);
    conn_start(a);
}

static void password_cancel(struct app *a)
{
    password_end(a);
    char note[ADDRLIST_TEXT_MAX + 100];
    snprintf(note, sizeof(note), "no password given: not connected (/connect %s %s tries again)",
             a->host, a->port);
    chat_note(&a->cl, ENTRY_LOCAL, note);
}

void prompt_key(struct app *a, const struct tkey *k)
{
    char u[4];
    switch (k->type) {
    case TK_CHAR:
        secret_insert(&a->pw.text, u, text_encode(k->ch, u)); /* full: the rest is dropped */
        break;
    case TK_BACKSPACE:
        secret_backspace(&a->pw.text);
        break;
    case TK_PASTE_BEGIN:
        a->pw.in_paste = true;
        break;
    case TK_PASTE_END:
        a->pw.in_paste = false;
        break;
    case TK_ENTER:
        if (!a->pw.in_paste)
            password_submit(a);
        return;
    case TK_ESC:
        password_cancel(a);
        return;
    case TK_CTRL:
        if (k->ch == 'j' && !a->pw.in_paste)
            password_submit(a);
        else if (k->ch == 'c' || (k->ch == 'd' && a->pw.text.len == 0))
            password_cancel(a);
        else if (k->ch == 'u')
            secret_clear(&a->pw.text);
        else if (k->ch == 'l')
            view_invalidate(&a->view);
        else if (k->ch == 'z' && !a->cl.restricted) /* restrict.h: no shell behind it */
            view_suspend(&a->view);
        if (!a->pw.active)
            return;
        break;
    default:
        break; /* no history, no completion, no editing keys */
    }
    password_show(a);
}

/* password: the passwords the client may send, each with the one server
 * it is for (see struct chat_password): the one given at start-up and the
 * one typed at the prompt. Kept in the model, wiped when done with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chat_internal.h"
#include "secret.h"

void password_forget(struct chat_password *pw)
{
    secret_wipe(pw, sizeof(*pw));
}

static int password_keep(struct chat_password *pw, const char *password, const char *host,
                         const char *port)
{
    size_t n = strlen(password);
    password_forget(pw);
    if (n > CHAT_PASSWORD_MAX || strpbrk(password, "\r\n") || strlen(host) >= sizeof(pw->host) ||
        strlen(port) >= sizeof(pw->port))
        return -1;
    memcpy(pw->text, password, n + 1);
    memcpy(pw->host, host, strlen(host) + 1);
    memcpy(pw->port, port, strlen(port) + 1);
    return 0;
}

/* The same server as the password was given for: the host as typed
 * (names are not case-sensitive; nothing is resolved, so "localhost" and
 * "127.0.0.1" differ, as do a name and its address: a name can point
 * elsewhere tomorrow) and the same port number ("5000" is "05000"). */
static bool password_for(const struct chat_password *pw, const char *host, const char *port)
{
    if (pw->text[0] == '\0' || strcasecmp(pw->host, host) != 0)
        return false;
    char *e1, *e2;
    long a = strtol(pw->port, &e1, 10), b = strtol(port, &e2, 10);
    if (*e1 != '\0' || *e2 != '\0' || pw->port[0] == '\0' || port[0] == '\0')
        return strcmp(pw->port, port) == 0;
    return a == b;
}

int chat_set_password(struct chat *c, const char *password, const char *host, const char *port)
{
    return password_keep(&c->given, password, host, port);
}

int chat_set_typed_password(struct chat *c, const char *password)
{
    return password_keep(&c->typed, password, c->host, c->port);
}

void chat_set_server(struct chat *c, const char *host, const char *port)
{
    snprintf(c->host, sizeof(c->host), "%s", host);
    snprintf(c->port, sizeof(c->port), "%s", port);
    /* A typed password belongs to the server that asked for it. */
    if (c->typed.text[0] && !password_for(&c->typed, c->host, c->port))
        password_forget(&c->typed);
}

const char *password_hello(struct chat *c)
{
    const char *pw = NULL;
    if (c->no_password) {
        c->hello_typed = c->hello_password = false;
        return NULL;
    }
    c->hello_typed = password_for(&c->typed, c->host, c->port);
    if (c->hello_typed)
        pw = c->typed.text;
    else if (password_for(&c->given, c->host, c->port))
        pw = c->given.text;
    c->hello_password = pw != NULL;
    return pw;
}

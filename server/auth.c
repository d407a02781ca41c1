/* auth: --password. Judging an attempt (peers.c keeps the lock-out and the
 * server-wide budget of wrong guesses) and the price of messages sent
 * before it. */
#include "server.h"
#include "auth.h"

#include <string.h>

/* Judges a password attempt; on anything but AUTH_OK, c is answered and
 * closing. A wrong password is answered at once, and the close comes
 * later (the hold), so guessing costs time; an attempt while the address
 * is locked out is not judged at all. */
bool auth_judge(struct reply *r, const char *given)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    int64_t now = server_now_ms(srv), ms;
    if (given[strspn(given, " \t")] == '\0') {
        /* No password at all is no guess: said so, closed, nobody locked
         * out (a client started without one is a common slip). */
        reply_err(r, ERR_AUTH, "this server needs a password");
        client_request_close(c, CLOSE_FLUSH, "no password", now + SHUTDOWN_FLUSH_MS);
        return false;
    }
    bool right = password_equal(given, srv->cfg.password);
    switch (access_auth_judge(&srv->acc, c->addr, right, now, &ms)) {
    case AUTH_OK:
        return true;
    case AUTH_LOCKED:
        reply_err(r, ERR_AUTH_WAIT,
                  "too many wrong passwords from your address; try again in %lld s",
                  (long long)((ms + 999) / 1000));
        client_request_close(c, CLOSE_FLUSH, "locked out", now + SHUTDOWN_FLUSH_MS);
        log_event(srv, AEV_REFUSE, c,
                  "password attempt not judged: address locked out for %lld ms more",
                  (long long)ms);
        return false;
    case AUTH_WAIT:
        /* Guessing is under way on the server: right or wrong, an attempt
         * waits its turn (peers_auth_judge), so the wait tells nothing. */
        reply_err(r, ERR_AUTH_WAIT,
                  "too many wrong passwords on this server just now; try again in %lld s",
                  (long long)((ms + 999) / 1000));
        client_request_close(c, CLOSE_FLUSH, "waiting its turn", now + SHUTDOWN_FLUSH_MS);
        log_event(srv, AEV_REFUSE, c, "password attempt not judged: its turn comes in %lld ms",
                  (long long)ms);
        return false;
    case AUTH_WRONG:
    default:
        reply_err(r, ERR_AUTH, "wrong password");
        pthread_mutex_lock(&c->lock);
        c->hold_until_ms = now + ms;
        pthread_mutex_unlock(&c->lock);
        client_request_close(c, CLOSE_FLUSH, "wrong password", now + ms + SHUTDOWN_FLUSH_MS);
        log_event(srv, AEV_REFUSE, c, "wrong password; closing in %lld ms", (long long)ms);
        return false;
    }
}

/* A message refused before the password (only /auth, /quit and exit are
 * taken then). Each refusal is output, and a connection that never reads
 * must not pile them up: after PREAUTH_REFUSALS_MAX it is closed. */
void auth_charge(struct reply *r)
{
    struct client *c = r->c;
    if (++c->preauth_refused < PREAUTH_REFUSALS_MAX)
        return;
    reply_err(r, ERR_AUTH, "%d messages without the password; closing", PREAUTH_REFUSALS_MAX);
    client_request_close(c, CLOSE_FLUSH, "no password", server_now_ms(c->srv) + SHUTDOWN_FLUSH_MS);
    log_event(c->srv, AEV_REFUSE, c, "closed after %d messages without the password",
              PREAUTH_REFUSALS_MAX);
}

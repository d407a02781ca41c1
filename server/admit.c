/* admit: an accepted connection turned into a client, or refused: --allow,
 * a banned address, a full server, too many from one address (peers.c).
 * A refused one is served a moment, outside the registry, so that it is
 * told why in its own dialect (see enum refusal in server.h). */
#include "server.h"
#include "serve.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void refusal_describe(const struct client *c, const char **code, char *text, size_t cap)
{
    const struct server *srv = c->srv;
    *code = ERR_KICKED; /* our client does not retry these */
    switch (c->refusal) {
    case REFUSE_FULL:
        *code = ERR_FULL;
        snprintf(text, cap, "server full (%u connection%s), try again later", srv->cfg.max_clients,
                 srv->cfg.max_clients == 1 ? "" : "s");
        break;
    case REFUSE_ADDR_FULL:
        *code = ERR_FULL; /* retried later, as a full server */
        snprintf(text, cap, "too many connections from your address (%u at most), try again later",
                 srv->cfg.max_per_addr);
        break;
    case REFUSE_ADDR_FAST:
        *code = ERR_FULL;
        snprintf(text, cap, "too many new connections from your address; try again in %lld s",
                 (long long)((c->refuse_retry_ms + 999) / 1000));
        break;
    case REFUSE_ADDR_TABLE:
        *code = ERR_FULL;
        snprintf(text, cap, "server busy (too many addresses at once), try again later");
        break;
    case REFUSE_TLS_REQUIRED:
        *code = ERR_TLS_REQUIRED;
        snprintf(text, cap,
                 "this server takes TLS only: sockchat --tls HOST PORT, or openssl s_client "
                 "-quiet -connect HOST:PORT");
        break;
    case REFUSE_BANNED:
        snprintf(text, cap, "your address is banned from this server");
        break;
    case REFUSE_NOT_ALLOWED:
    case REFUSE_NONE:
    default:
        snprintf(text, cap, "this server does not take connections from your address");
        break;
    }
}

/* c is refused: it is served until it is told so in its own dialect (see
 * server.h). Too many refusals at once (a flood) are told at once instead,
 * in one framed line, and c is freed: NULL. */
static struct client *admit_refuse(struct server *srv, struct client *c, enum refusal why)
{
    c->refusal = why;
    int64_t allow = REFUSE_WAIT_MS;
    pthread_mutex_lock(&srv->reg_lock);
    bool wait = !srv->reg_closed && srv->nrefusing < REFUSING_MAX;
    if (wait) {
        srv->nrefusing++;
        c->refusal_counted = true;
    }
    if (wait && srv->cfg.mode == MODE_SINGLE) {
        int64_t now = c->connected_ms;
        if (now > srv->refuse_credit_at)
            srv->refuse_credit_ms += (now - srv->refuse_credit_at) / REFUSE_SINGLE_SHARE;
        srv->refuse_credit_at = now;
        if (srv->refuse_credit_ms > REFUSE_SINGLE_CREDIT_MS)
            srv->refuse_credit_ms = REFUSE_SINGLE_CREDIT_MS;
        allow = srv->refuse_credit_ms;
        if (allow > REFUSE_WAIT_MS + LINGER_MS)
            allow = REFUSE_WAIT_MS + LINGER_MS;
        if (allow < REFUSE_FLOOR_MS)
            allow = REFUSE_FLOOR_MS;
        c->refuse_until_ms = c->connected_ms + allow;
    }
    pthread_mutex_unlock(&srv->reg_lock);
    if (wait) {
        c->refuse_deadline_ms = c->connected_ms + (allow < REFUSE_WAIT_MS ? allow : REFUSE_WAIT_MS);
        /* Pool mode: its worker must look at it (and at its deadline)
         * even if it never sends a byte. */
        if (srv->notify)
            srv->notify(c);
        return c;
    }
    const char *code;
    char text[128], line[192];
    refusal_describe(c, &code, text, sizeof text);
    struct msg m = {.type = MSG_ERR, .word = code, .text = text};
    if (msg_encode(line, sizeof line, &m) > 0)
        net_refuse(c->fd, line);
    close(c->fd);
    log_event(srv, AEV_REFUSE, NULL, "%s refused: %s (told at once: %u others are being refused)",
              c->addr, text, REFUSING_MAX);
    client_free(c);
    return NULL;
}

/* c's address may have one more connection (peers.c): counted there, and
 * c starts with the chat tokens its address's recent connections left. */
static enum refusal admit_peer(struct server *srv, struct client *c, const struct cidr *addr)
{
    struct peer_limits lim = server_peer_limits(srv);
    int64_t tokens;
    switch (peers_admit(&srv->acc.peers, &lim, addr, c->connected_ms, &c->peer, &tokens,
                        &c->refuse_retry_ms)) {
    case PEER_OK:
        c->tokens = tokens;
        c->tokens_ms = c->connected_ms;
        return REFUSE_NONE;
    case PEER_TOO_MANY:
        return REFUSE_ADDR_FULL;
    case PEER_TOO_FAST:
        return REFUSE_ADDR_FAST;
    case PEER_NO_ROOM:
    default:
        return REFUSE_ADDR_TABLE;
    }
}

struct client *admit_connection(struct server *srv, int fd, const char *addr)
{
    enum refusal why = REFUSE_NONE;
    struct cidr peer;
    bool have_peer = addr_parse(addr, &peer) == 0;
    if (access_check(&srv->acc, addr) != NULL)
        why = REFUSE_NOT_ALLOWED;
    else if (have_peer && mod_find(&srv->mod, MOD_BAN, NULL, NULL, &peer, server_now_ms(srv), NULL))
        why = REFUSE_BANNED;
    struct client *c = client_new(srv, fd, addr);
    if (c == NULL) {
        net_refuse(fd, "ERR full server out of memory, try again later\n");
        close(fd);
        log_event(srv, AEV_REFUSE, NULL, "%s refused: out of memory", addr);
        return NULL;
    }
    if (why == REFUSE_NONE && have_peer)
        why = admit_peer(srv, c, &peer);
    if (why == REFUSE_NONE && registry_add(srv, c) < 0) {
        why = REFUSE_FULL;
        if (c->peer != NULL)
            peers_cancel(&srv->acc.peers, c->peer);
        c->peer = NULL;
    }
    if (why != REFUSE_NONE)
        return admit_refuse(srv, c, why);
    /* --tls-only: one that sends nothing is refused by the clock
     * (xport_step), so pool mode's worker must look at it. */
    if (srv->cfg.tls_only && srv->notify)
        srv->notify(c);
    /* Not logged yet: the log has one line per arrival, when it joins
     * (with the nick it ends up with), or when it leaves without. */
    return c;
}

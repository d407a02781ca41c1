/* rate: the per-connection token bucket behind --rate. A connection's
 * first tokens come from its address (peers.c), and what it leaves goes
 * back there, so reconnecting buys no burst. */
#include "server.h"
#include "rate.h"

/* c's bucket refilled to now_ms. Its first tokens come from its address
 * (admit_connection, peers.c), and what it leaves goes back there. */
void rate_refill(struct client *c, int64_t now_ms)
{
    int64_t rate = c->srv->cfg.rate;
    int64_t elapsed = now_ms - c->tokens_ms;
    if (elapsed > 0) {
        /* ms x messages/s = thousandths of a message */
        int64_t cap = (int64_t)RATE_BURST * 1000;
        c->tokens = elapsed > cap ? cap : c->tokens + elapsed * rate;
        if (c->tokens > cap)
            c->tokens = cap;
        c->tokens_ms = now_ms;
    }
}

/* The end of a flood of refused messages: the log says how big it was. */
static void rate_flood_over(struct client *c)
{
    if (c->refused == 0)
        return;
    log_event(c->srv, AEV_FLOOD, c, "slowed down: %u message%s refused", c->refused,
              c->refused == 1 ? " was" : "s were");
    c->refused = 0;
}

bool rate_allow(struct client *c, int64_t now_ms)
{
    if (c->srv->cfg.rate == 0)
        return true;
    rate_refill(c, now_ms);
    if (c->tokens < 1000)
        return false;
    c->tokens -= 1000;
    rate_flood_over(c); /* it sends within the rate again */
    return true;
}

/* A message over the rate limit: refused, and the log (read by the
 * teacher) says who floods, once per flood. */
void rate_refuse(struct reply *r)
{
    struct client *c = r->c;
    reply_err(r, ERR_SLOW_DOWN, "slow down: at most %u messages per second", c->srv->cfg.rate);
    if (c->refused++ == 0)
        log_event(c->srv, AEV_FLOOD, c, "sending too fast (over %u messages per second): refusing",
                  c->srv->cfg.rate);
}

void rate_rejoin(struct client *c, int64_t now_ms)
{
    struct server *srv = c->srv;
    if (c->peer == NULL || srv->cfg.rate == 0)
        return;
    /* One of its address's connections that left since it was accepted (a
     * reconnect racing its own close) has left them by now, as rate_leave
     * gives them back before it leaves the room; one still here is another
     * in the room at once. */
    struct peer_limits lim = server_peer_limits(srv);
    rate_refill(c, now_ms);
    int64_t t = peers_tokens(&srv->acc.peers, &lim, c->peer, now_ms);
    if (t < c->tokens)
        c->tokens = t;
}

void rate_leave(struct client *c)
{
    struct server *srv = c->srv;
    rate_flood_over(c); /* it may leave in the middle of one */
    if (c->peer == NULL)
        return;
    struct peer_limits lim = server_peer_limits(srv);
    int64_t now = server_now_ms(srv);
    rate_refill(c, now);
    peers_leave(&srv->acc.peers, &lim, c->peer, c->tokens, now);
    c->peer = NULL;
}

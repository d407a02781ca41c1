/* server: the shared state's life cycle, clocks, and admitting connections. */
#include "server.h"

#include <signal.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

const char *mode_name(enum mode m)
{
    switch (m) {
    case MODE_SINGLE:
        return "single";
    case MODE_POOL:
        return "pool";
    case MODE_THREADS:
    default:
        return "threads";
    }
}

int64_t clock_mono_ms(void *arg)
{
    (void)arg;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_wall(void *arg)
{
    (void)arg;
    return (int64_t)time(NULL);
}

void server_init(struct server *srv, const struct config *cfg)
{
    memset(srv, 0, sizeof *srv);
    srv->cfg = *cfg;
    pthread_mutex_init(&srv->reg_lock, NULL);
    history_init(&srv->hist, cfg->history);
    /* Every connection's address must fit, with room for those that left:
     * see peers.c. */
    access_init(&srv->acc, cfg->max_clients + PEERS_SPARE);
    mod_init(&srv->mod);
    resume_init(&srv->resume);
    srv->nick_tab = &srv->nick_tab0;
    srv->nick_buckets = 1;
    srv->mono_ms = clock_mono_ms;
    srv->wall = clock_wall;
    atomic_init(&srv->stopping, false);
    srv->started_ms = server_now_ms(srv);
    srv->started_wall = server_wall(srv);
    srv->refuse_credit_ms = REFUSE_SINGLE_CREDIT_MS;
    srv->refuse_credit_at = srv->started_ms;
}

void server_free(struct server *srv)
{
    history_free(&srv->hist);
    if (srv->nick_tab != &srv->nick_tab0)
        free(srv->nick_tab);
    access_free(&srv->acc);
    mod_free(&srv->mod);
    resume_free(&srv->resume);
    nickhold_free(&srv->holds);
    pthread_mutex_destroy(&srv->reg_lock);
}

int64_t server_now_ms(struct server *srv)
{
    return srv->mono_ms(srv->clock_arg);
}

int64_t server_wall(struct server *srv)
{
    return srv->wall(srv->clock_arg);
}

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
static struct client *server_refuse(struct server *srv, struct client *c, enum refusal why)
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
    log_event(srv, NULL, "%s refused: %s (told at once: %u others are being refused)", c->addr,
              text, REFUSING_MAX);
    client_free(c);
    return NULL;
}

/* c's address may have one more connection (peers.c): counted there, and
 * c starts with the chat tokens its address's recent connections left. */
static enum refusal server_admit_peer(struct server *srv, struct client *c, const struct cidr *addr)
{
    struct peer_limits lim = {.max_per_addr = srv->cfg.max_per_addr, .rate = srv->cfg.rate};
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

struct client *server_admit(struct server *srv, int fd, const char *addr, void *worker)
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
        log_event(srv, NULL, "%s refused: out of memory", addr);
        return NULL;
    }
    c->worker = worker;
    if (why == REFUSE_NONE && have_peer)
        why = server_admit_peer(srv, c, &peer);
    if (why == REFUSE_NONE && registry_add(srv, c) < 0) {
        why = REFUSE_FULL;
        if (c->peer != NULL)
            peers_cancel(&srv->acc.peers, c->peer);
        c->peer = NULL;
    }
    if (why != REFUSE_NONE)
        return server_refuse(srv, c, why);
    /* Not logged yet: the log has one line per arrival, when it joins
     * (with the nick it ends up with), or when it leaves without. */
    return c;
}

bool signal_drain(struct run_ctx *rc)
{
    struct signalfd_siginfo si;
    bool any = false;
    ssize_t n;
    while ((n = read(rc->sigfd, &si, sizeof si)) == (ssize_t)sizeof si || (n < 0 && errno == EINTR))
        if (n > 0) {
            rc->signo = (int)si.ssi_signo;
            any = true;
        }
    return any;
}

const char *shutdown_reason(const struct run_ctx *rc)
{
    switch (rc->signo) {
    case SIGINT:
        return "the operator pressed Ctrl-C";
    case SIGTERM:
        return "it was told to stop (SIGTERM)";
    case SIGHUP:
        return "its terminal was closed";
    case 0:
        return "the operator typed quit";
    default:
        return "it hit an error (see its log)";
    }
}

void server_shutdown(struct server *srv, struct run_ctx *rc)
{
    if (rc->stop)
        return;
    rc->stop = true;
    atomic_store(&srv->stopping, true); /* pool workers drop the listener */
    /* Stop listening before the drain, or the kernel would go on completing
     * handshakes into the backlog for up to SHUTDOWN_FLUSH_MS, and each of
     * those clients would get a reset (and back off longer) instead of a
     * refusal. shutdown(SHUT_RD), not close(): on Linux it takes a listening
     * socket out of service at once (new connections are refused, those in
     * the backlog reset) while the descriptor stays valid. Pool workers may
     * be inside accept() or epoll_ctl() on it right now: they get EINVAL or
     * an EPOLLHUP, never a reused descriptor number, and main() closes it
     * only after every driver thread is gone. */
    if (shutdown(rc->lfd, SHUT_RD) < 0)
        log_event(srv, NULL, "shutdown of the listening socket: %s", strerror(errno));
    unsigned n = registry_count(srv);
    log_event(srv, NULL, "shutting down: telling %u client%s", n, plural_s(n));
    registry_shutdown(srv, shutdown_reason(rc));
}

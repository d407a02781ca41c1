/* server: the shared state's life cycle, and its clocks. */
#include "server.h"
#include "room.h"
#include "tls.h"

#include <stdlib.h>
#include <string.h>

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

void config_defaults(struct config *cfg)
{
    *cfg = (struct config){
        .bind = "0.0.0.0",
        .port = "5000",
        .mode = MODE_THREADS,
        .max_clients = MAX_CLIENTS_DEFAULT,
        .max_per_addr = MAX_PER_ADDR_DEFAULT,
        .name = "sockchat",
        .history = HISTORY_DEFAULT,
        .rate = RATE_DEFAULT,
    };
}

struct peer_limits server_peer_limits(const struct server *srv)
{
    return (struct peer_limits){.max_per_addr = srv->cfg.max_per_addr, .rate = srv->cfg.rate};
}

void server_init(struct server *srv, const struct config *cfg)
{
    memset(srv, 0, sizeof *srv);
    srv->cfg = *cfg;
    pthread_mutex_init(&srv->reg_lock, NULL);
    pthread_mutex_init(&srv->trace.lock, NULL);
    atomic_init(&srv->trace.mode, cfg->trace ? TRACE_ALL : TRACE_OFF);
    history_init(&srv->hist, cfg->history);
    rooms_init(srv);
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
    tls_server_free(srv->tls); /* every connection is closed by now */
    srv->tls = NULL;
    rooms_free(srv);
    history_free(&srv->hist);
    if (srv->nick_tab != &srv->nick_tab0)
        free(srv->nick_tab);
    access_free(&srv->acc);
    mod_free(&srv->mod);
    resume_free(&srv->resume);
    nickhold_free(&srv->holds);
    pthread_mutex_destroy(&srv->reg_lock);
    pthread_mutex_destroy(&srv->trace.lock);
}

int64_t server_now_ms(struct server *srv)
{
    return srv->mono_ms(srv->clock_arg);
}

int64_t server_wall(struct server *srv)
{
    return srv->wall(srv->clock_arg);
}

void server_stats(struct server *srv, struct stats_view *v)
{
    pthread_mutex_lock(&srv->reg_lock);
    v->clients = srv->nclients;
    v->room = srv->nroom;
    pthread_mutex_unlock(&srv->reg_lock);
    v->mode = mode_name(srv->cfg.mode);
    v->up_ms = server_now_ms(srv) - srv->started_ms;
    v->served = atomic_load(&srv->st.served);
    v->messages = atomic_load(&srv->st.messages);
    v->bytes_in = atomic_load(&srv->st.bytes_in);
    v->bytes_out = atomic_load(&srv->st.bytes_out);
}

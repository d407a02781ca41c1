/* server: the shared state's life cycle, clocks, and admitting connections. */
#include "server.h"

#include <signal.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
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
    access_init(&srv->acc);
    mod_init(&srv->mod);
    resume_init(&srv->resume);
    srv->nick_tab = &srv->nick_tab0;
    srv->nick_buckets = 1;
    srv->mono_ms = clock_mono_ms;
    srv->wall = clock_wall;
    atomic_init(&srv->stopping, false);
    srv->started_ms = server_now_ms(srv);
    srv->started_wall = server_wall(srv);
}

void server_free(struct server *srv)
{
    history_free(&srv->hist);
    if (srv->nick_tab != &srv->nick_tab0)
        free(srv->nick_tab);
    access_free(&srv->acc);
    mod_free(&srv->mod);
    resume_free(&srv->resume);
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

struct client *server_admit(struct server *srv, int fd, const char *addr, void *worker)
{
    const char *why = access_check(&srv->acc, addr);
    struct cidr peer;
    if (why == NULL && addr_parse(addr, &peer) == 0 &&
        mod_find(&srv->mod, MOD_BAN, NULL, NULL, &peer, server_now_ms(srv), NULL))
        why = "banned";
    if (why != NULL) {
        /* One line, then closed: a student on the wrong network, or banned,
         * should know why, and ERR kicked keeps our client from retrying. */
        net_refuse(fd, strcmp(why, "banned") == 0
                           ? "ERR " ERR_KICKED " your address is banned from this server\n"
                           : "ERR " ERR_KICKED " this server does not take connections from "
                             "your address\n");
        close(fd);
        log_event(srv, NULL, "%s refused: %s", addr, why);
        return NULL;
    }
    struct client *c = client_new(srv, fd, addr);
    if (c == NULL) {
        net_refuse(fd, "ERR full server out of memory, try again later\n");
        close(fd);
        log_event(srv, NULL, "%s refused: out of memory", addr);
        return NULL;
    }
    c->worker = worker;
    if (registry_add(srv, c) < 0) {
        char line[128];
        snprintf(line, sizeof line, "ERR " ERR_FULL " server full (%u clients), try again later\n",
                 srv->cfg.max_clients);
        net_refuse(fd, line);
        close(fd);
        client_free(c);
        log_event(srv, NULL, "%s refused: server full", addr);
        return NULL;
    }
    log_event(srv, c, "connected"); /* the nick column says guestN */
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
    case 0:
        return "the operator typed quit";
    default:
        return "it hit an error (see its log)";
    }
}

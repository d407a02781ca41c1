#include "fixture.h"

#include <stdlib.h>
#include <string.h>

struct server fx_srv;
struct fake_clock fx_clock;
int fx_notified;

static int64_t fake_mono(void *arg)
{
    return ((struct fake_clock *)arg)->mono_ms;
}

static int64_t fake_wall(void *arg)
{
    return ((struct fake_clock *)arg)->wall;
}

static void fake_notify(struct client *c)
{
    (void)c;
    fx_notified++;
}

void fx_setup_with(unsigned history, unsigned rate, unsigned max_clients)
{
    struct config cfg;
    config_defaults(&cfg);
    cfg.bind = "127.0.0.1";
    cfg.port = "0";
    cfg.max_clients = max_clients;
    snprintf(cfg.name, sizeof cfg.name, "testsrv");
    cfg.history = history;
    cfg.rate = rate;
    cfg.quiet = true;
    fx_clock.mono_ms = 1000000;
    fx_clock.wall = 1700000000;
    fx_notified = 0;
    server_init(&fx_srv, &cfg);
    fx_srv.mono_ms = fake_mono;
    fx_srv.wall = fake_wall;
    fx_srv.clock_arg = &fx_clock;
    fx_srv.started_ms = fx_clock.mono_ms;
    fx_srv.notify = fake_notify;
    fx_srv.log = NULL;
}

void fx_setup(void)
{
    fx_setup_with(HISTORY_DEFAULT, RATE_DEFAULT, MAX_CLIENTS_DEFAULT);
}

void fx_teardown(void)
{
    while (fx_srv.clients)
        fx_end(fx_srv.clients);
    server_free(&fx_srv);
}

struct client *fx_client(const char *addr)
{
    struct client *c = client_new(&fx_srv, -1, addr);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(registry_add(&fx_srv, c), 0);
    return c;
}

struct client *fx_framed(const char *nick)
{
    char hello[64];
    struct client *c = fx_client("127.0.0.1:1000");
    snprintf(hello, sizeof hello, "HELLO sockchat/1 %s\n", nick);
    fx_feed(c, hello);
    ck_assert_int_eq(c->dialect, DIALECT_FRAMED);
    fx_drain(c);
    return c;
}

struct client *fx_plain(void)
{
    struct client *c = fx_client("127.0.0.1:2000");
    fx_feed(c, "/ping\n");
    ck_assert_int_eq(c->dialect, DIALECT_PLAIN);
    fx_drain(c);
    return c;
}

struct client *fx_raw(void)
{
    struct client *c = fx_client("127.0.0.1:3000");
    fx_feed(c, "/ping");
    ck_assert_int_eq(c->dialect, DIALECT_RAW);
    fx_drain(c);
    return c;
}

void fx_feed(struct client *c, const char *s)
{
    session_input(c, s, strlen(s));
}

const char *fx_drain(struct client *c)
{
    static char out[4 * 1024 * 1024];
    pthread_mutex_lock(&c->lock);
    size_t len = outq_take(&c->q, out, sizeof out - 1);
    pthread_mutex_unlock(&c->lock);
    out[len < sizeof out - 1 ? len : sizeof out - 1] = '\0';
    return out;
}

void fx_end(struct client *c)
{
    session_end(c);
    client_free(c);
}

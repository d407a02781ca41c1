/* fixture: a server with a fake clock and no sockets, for the unit tests.
 * Clients have fd -1; what the server queued for them is read back with
 * fx_drain(). */
#ifndef SOCKCHAT_TEST_FIXTURE_H
#define SOCKCHAT_TEST_FIXTURE_H

#include <check.h>

#include "commands.h"
#include "rate.h"
#include "room.h"
#include "serve.h"
#include "server.h"
#include "session.h"

struct fake_clock {
    int64_t mono_ms;
    int64_t wall;
};

extern struct server fx_srv;
extern struct fake_clock fx_clock;
extern int fx_notified;

void fx_setup(void);
void fx_teardown(void);
void fx_setup_with(unsigned history, unsigned rate, unsigned max_clients);
/* A registered client, as a driver would create it. */
struct client *fx_client(const char *addr);
/* A client that has spoken: framed (HELLO nick), plain or raw. Its own
 * output so far (welcome, history) is drained. */
struct client *fx_framed(const char *nick);
struct client *fx_plain(void);
struct client *fx_raw(void);
void fx_feed(struct client *c, const char *s);
/* Everything queued for c since the last drain, NUL-terminated (static). */
const char *fx_drain(struct client *c);
/* The driver's last step for c: leave, unregister, free. */
void fx_end(struct client *c);

Suite *outq_suite(void);
Suite *history_suite(void);
Suite *registry_suite(void);
Suite *session_suite(void);
Suite *commands_suite(void);
Suite *io_suite(void);
Suite *access_suite(void);
Suite *resume_suite(void);
Suite *history_limits_suite(void);
Suite *transcript_suite(void);
Suite *transcript_rooms_suite(void);
Suite *moderation_suite(void);
Suite *nickhold_suite(void);
Suite *log_suite(void);
Suite *peers_suite(void);
Suite *control_suite(void);
Suite *trace_suite(void);
Suite *rooms_suite(void);
Suite *direct_suite(void);
Suite *cluster_suite(void);
Suite *tlscert_suite(void);
Suite *xport_suite(void);

#endif

/* control and adminstat: the operator's commands answered through a seat's
 * callback (a line at a time, with its kind, and a result), and what the
 * admin socket's STATS and ROSTER say of the server. */
#include <stdlib.h>
#include <string.h>

#include "adminsock.h"
#include "control.h"
#include "fixture.h"

enum { SEEN_MAX = 64 };
static struct {
    enum control_line kind[SEEN_MAX];
    char text[SEEN_MAX][512];
    int n;
} seen;

static void record(void *arg, enum control_line kind, const char *text)
{
    (void)arg;
    ck_assert_int_lt(seen.n, SEEN_MAX);
    seen.kind[seen.n] = kind;
    snprintf(seen.text[seen.n], sizeof seen.text[seen.n], "%s", text);
    seen.n++;
}

static enum control_result run(const char *line)
{
    seen.n = 0;
    struct control_seat seat = {.line = record, .who = "test"};
    return control_run(&fx_srv, line, &seat);
}

/* One row of the table: a line, its result, and its answer's last line. */
static const struct {
    const char *line;
    enum control_result result;
    int lines;
    enum control_line last_kind;
    const char *last;
} CASES[] = {
    {"who", CONTROL_OK, 1, CONTROL_TEXT, "nobody is connected"},
    {"/who", CONTROL_OK, 1, CONTROL_TEXT, "nobody is connected"},
    {"kick nobody", CONTROL_ERR, 1, CONTROL_FAIL, "no such nick: nobody"},
    {"mute", CONTROL_ERR, 1, CONTROL_FAIL, NULL},
    {"say", CONTROL_ERR, 1, CONTROL_FAIL, "usage: say [#ROOM] TEXT"},
    {"say \x1b[2J", CONTROL_ERR, 1, CONTROL_FAIL, "usage: say [#ROOM] TEXT"},
    {"say hello class", CONTROL_OK, 1, CONTROL_DONE, "notice sent: hello class"},
    {"unban", CONTROL_ERR, 1, CONTROL_FAIL, "usage: unban NICK|ADDR[/BITS]"},
    {"unmute a b", CONTROL_ERR, 1, CONTROL_FAIL, "usage: unmute NICK"},
    {"frobnicate now", CONTROL_ERR, 1, CONTROL_FAIL, "unknown command frobnicate (try help)"},
    {"ban 10.9.9.9 testing", CONTROL_OK, 1, CONTROL_DONE, NULL},
    {"quit", CONTROL_QUIT, 0, CONTROL_TEXT, NULL},
    {"   ", CONTROL_OK, 0, CONTROL_TEXT, NULL},
};

START_TEST(test_answers)
{
    enum control_result r = run(CASES[_i].line);
    ck_assert_msg(r == CASES[_i].result, "%s: result %d", CASES[_i].line, (int)r);
    ck_assert_int_eq(seen.n, CASES[_i].lines);
    if (seen.n > 0) {
        ck_assert_int_eq(seen.kind[seen.n - 1], CASES[_i].last_kind);
        if (CASES[_i].last != NULL)
            ck_assert_str_eq(seen.text[seen.n - 1], CASES[_i].last);
    }
}
END_TEST

START_TEST(test_listing_then_nothing_else)
{
    ck_assert_int_eq(run("help"), CONTROL_OK);
    ck_assert_str_eq(seen.text[0], "operator commands:");
    ck_assert_int_gt(seen.n, 10);
    for (int i = 0; i < seen.n; i++)
        ck_assert_int_eq(seen.kind[i], CONTROL_TEXT);
    struct client *a = fx_framed("alice");
    fx_framed("bob");
    ck_assert_int_eq(run("stats"), CONTROL_OK);
    ck_assert_int_eq(seen.n, 3);
    ck_assert_ptr_nonnull(strstr(seen.text[0], "2 clients now (2 in the room)"));
    ck_assert_str_eq(seen.text[1], "tls: off"); /* the fixture has no TLS */
    ck_assert_int_eq(run("who"), CONTROL_OK);
    ck_assert_int_eq(seen.n, 3); /* a heading and a line each */
    ck_assert_str_eq(seen.text[0], "2 connected (2 in 1 room):");
    fx_drain(a);
    ck_assert_int_eq(run("say hi"), CONTROL_OK);
    ck_assert_str_eq(fx_drain(a), "NOTICE hi\n");
    ck_assert_int_eq(run("kick alice 10m"), CONTROL_OK);
    ck_assert_int_eq(seen.kind[0], CONTROL_DONE);
    ck_assert_int_eq(client_close_state(a, NULL, 0), CLOSE_FLUSH);
    ck_assert_int_eq(run("bans"), CONTROL_OK);
    ck_assert_ptr_nonnull(strstr(seen.text[seen.n - 1], "alice"));
}
END_TEST

/* The ROSTER block: a row per connection, newest first, with its dialect,
 * state and counters; "-" for a nick not joined yet. */
START_TEST(test_roster)
{
    struct client *f = fx_framed("fiona");
    struct client *p = fx_plain();
    struct client *r = fx_raw();
    fx_client("10.0.0.9:1234"); /* silent: no dialect yet */
    fx_feed(f, "MSG 1 hello\n");
    fx_clock.mono_ms += 1500;
    size_t len;
    char *raw = adminstat_roster(&fx_srv, &len);
    ck_assert_ptr_nonnull(raw);
    ck_assert(len > 0 && raw[len - 1] == '\n');
    char *block = strndup(raw, len);
    free(raw);
    ck_assert_uint_eq(strlen(block), len); /* no NUL inside */
    char *save = NULL, *line = strtok_r(block, "\n", &save);
    ck_assert_str_eq(line, "ROSTER 4 4");
    const char *want[][3] = {
        {"nick=-", "dialect=unknown", "state=new"},
        {"dialect=tutorial", "state=joined", NULL},
        {"dialect=plain", "state=joined", NULL},
        {"nick=fiona", "dialect=sockchat", "msgs_in=2"},
    };
    for (int i = 0; i < 4; i++) {
        line = strtok_r(NULL, "\n", &save);
        ck_assert_ptr_nonnull(line);
        struct admin_line al;
        ck_assert(admin_parse(line, strlen(line), &al));
        ck_assert_int_eq(al.type, ADMIN_ROW);
        for (int k = 0; k < 3 && want[i][k] != NULL; k++)
            ck_assert_msg(strstr(line, want[i][k]) != NULL, "row %d: %s lacks %s", i, line,
                          want[i][k]);
    }
    ck_assert_ptr_null(strtok_r(NULL, "\n", &save));
    free(block);
    (void)p;
    (void)r;
}
END_TEST

/* A block shows at most ADMIN_ROSTER_MAX rows, and says how many there are. */
START_TEST(test_roster_max)
{
    for (int i = 0; i < ADMIN_ROSTER_MAX + 2; i++) {
        char addr[32];
        snprintf(addr, sizeof addr, "10.1.%d.%d:4000", i / 250, i % 250);
        fx_client(addr);
    }
    size_t len;
    char *raw = adminstat_roster(&fx_srv, &len);
    ck_assert_ptr_nonnull(raw);
    char *block = strndup(raw, len);
    free(raw);
    char want[32];
    snprintf(want, sizeof want, "ROSTER %d %d\n", ADMIN_ROSTER_MAX + 2, ADMIN_ROSTER_MAX);
    ck_assert(strncmp(block, want, strlen(want)) == 0);
    int rows = 0;
    for (const char *p = block; (p = strstr(p, "\nROW ")) != NULL; p++)
        rows++;
    ck_assert_int_eq(rows, ADMIN_ROSTER_MAX);
    /* The newest first: the last one added heads the rows. */
    ck_assert_ptr_nonnull(strstr(block, "\nROW id=502 "));
    ck_assert_ptr_null(strstr(block, "\nROW id=1 "));
    free(block);
}
END_TEST

/* Rates are over the time since the last look, from the counters. */
START_TEST(test_stats_rates)
{
    struct adminstat_rates rates = {0};
    struct admin_stats s;
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    snprintf(fx_srv.listen, sizeof fx_srv.listen, "0.0.0.0:5000");
    snprintf(fx_srv.reach, sizeof fx_srv.reach, "10.0.0.2:5000, 192.168.1.7:5000");
    adminstat_stats(&fx_srv, &rates, 2, &s);
    ck_assert_uint_eq(s.msgs_per_s, 0);
    for (int i = 1; i <= 4; i++) {
        char line[32];
        snprintf(line, sizeof line, "MSG %d hi\n", i);
        fx_feed(a, line);
    }
    fx_clock.mono_ms += 2000;
    adminstat_stats(&fx_srv, &rates, 2, &s);
    ck_assert_uint_eq(s.messages, 4);
    ck_assert_uint_eq(s.deliveries, 4); /* to bob only */
    ck_assert_uint_eq(s.msgs_per_s, 2);
    ck_assert_uint_eq(s.deliveries_per_s, 2);
    ck_assert_uint_eq(s.clients, 2);
    ck_assert_uint_eq(s.admins, 2);
    ck_assert_str_eq(s.mode, "threads");
    ck_assert_str_eq(s.listen, "0.0.0.0:5000");
    ck_assert_str_eq(s.reach, "10.0.0.2:5000,192.168.1.7:5000");
    char line[ADMIN_LINE_MAX];
    ck_assert_uint_gt(admin_format_stats(line, sizeof line, &s), 0);
    ck_assert_ptr_null(strchr(line, '\n'));
    (void)b;
}
END_TEST

Suite *control_suite(void)
{
    Suite *s = suite_create("control");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, fx_setup, fx_teardown);
    tcase_add_loop_test(core, test_answers, 0, (int)(sizeof CASES / sizeof CASES[0]));
    tcase_add_test(core, test_listing_then_nothing_else);
    suite_add_tcase(s, core);
    TCase *admin = tcase_create("adminstat");
    tcase_add_checked_fixture(admin, fx_setup, fx_teardown);
    tcase_add_test(admin, test_roster);
    tcase_add_test(admin, test_roster_max);
    tcase_add_test(admin, test_stats_rates);
    suite_add_tcase(s, admin);
    return s;
}

/* Unit tests of the load generator's pure parts: each dialect's requests
 * and the recognition of its replies, and the latency quantiles. A bench
 * that misreads a reply measures nothing, so these matter as much as the
 * server's own tests. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static const enum bench_dialect ALL[] = {BENCH_FRAMED, BENCH_PLAIN, BENCH_RAW, BENCH_RESP,
                                         BENCH_NCAT};

START_TEST(test_names)
{
    enum bench_dialect d;
    ck_assert_int_eq(dialect_parse(dialect_name(ALL[_i]), &d), 0);
    ck_assert_int_eq(d, ALL[_i]);
    ck_assert_int_eq(dialect_parse("telnet", &d), -1);
}
END_TEST

/* What the peer answers to our ping, as a line without its LF. */
struct pong_case {
    enum bench_dialect d;
    const char *request; /* what dialect_ping(d, 42) must write */
    const char *reply;   /* the peer's answer */
    int is_pong;
    uint64_t token; /* expected when the dialect carries one, else 7 (left alone) */
};

static const struct pong_case pong_cases[] = {
    {BENCH_FRAMED, "MSG 42 /ping 42\n", "PONG 42", 1, 42},
    {BENCH_FRAMED, "MSG 42 /ping 42\n", "JOIN b1 2", 0, 7},
    {BENCH_FRAMED, "MSG 42 /ping 42\n", "CHAT 1700000000 b1 PONG 42", 0, 7},
    {BENCH_PLAIN, "/ping 42\n", "pong 42", 1, 42},
    {BENCH_PLAIN, "/ping 42\n", "<b1> pong 42", 0, 7},
    {BENCH_PLAIN, "/ping 42\n", "pong x", 0, 7},
    {BENCH_RAW, "ping", "Message received", 1, 7},
    {BENCH_RESP, "*1\r\n$4\r\nPING\r\n", "+PONG", 1, 7},
    {BENCH_RESP, "*1\r\n$4\r\nPING\r\n", "-ERR", 0, 7},
};

START_TEST(test_ping_pong)
{
    const struct pong_case *c = &pong_cases[_i];
    char buf[128];
    size_t n = dialect_ping(c->d, 42, buf, sizeof buf);
    ck_assert_uint_eq(n, strlen(c->request));
    ck_assert(memcmp(buf, c->request, n) == 0);
    uint64_t token = 7;
    ck_assert_int_eq(dialect_pong(c->d, c->reply, strlen(c->reply), &token), c->is_pong);
    ck_assert_uint_eq(token, c->token);
}
END_TEST

START_TEST(test_ncat_has_no_ping)
{
    char buf[64];
    ck_assert_uint_eq(dialect_ping(BENCH_NCAT, 1, buf, sizeof buf), 0);
}
END_TEST

/* How a chat line of run 77, message 5, reaches another client. */
struct delivery_case {
    enum bench_dialect d;
    const char *line;
    int ok;
};

static const struct delivery_case delivery_cases[] = {
    {BENCH_FRAMED, "CHAT 1700000000 b3 fan 77 5", 1},
    {BENCH_FRAMED, "CHAT 1700000000 b3 fan 77 5 xxxx", 1},
    {BENCH_FRAMED, "CHAT 1700000000 b3 fan 78 5", 0}, /* another run: history */
    {BENCH_FRAMED, "ACTION 1700000000 b3 fan 77 5", 0},
    {BENCH_FRAMED, "CHAT 1700000000 b3 say fan 77 5", 0},
    {BENCH_PLAIN, "<b3> fan 77 5", 1},
    {BENCH_PLAIN, "*** b3 joined: fan 77 5", 0},
    {BENCH_NCAT, "<user5> fan 77 5", 1},
    {BENCH_NCAT, "<announce> 127.0.0.1 is connected as <user5>.", 0},
    {BENCH_RESP, "fan 77 5", 1},
    {BENCH_RESP, "$8", 0},
    {BENCH_RESP, "message", 0},
};

START_TEST(test_delivery)
{
    const struct delivery_case *c = &delivery_cases[_i];
    char line[128];
    snprintf(line, sizeof line, "%s", c->line);
    uint64_t seq = 0;
    ck_assert_int_eq(dialect_delivery(c->d, line, strlen(line), 77, &seq), c->ok);
    if (c->ok)
        ck_assert_uint_eq(seq, 5);
}
END_TEST

START_TEST(test_chat_padding)
{
    char buf[LINE_MAX_BYTES + 128];
    size_t n = dialect_chat(BENCH_PLAIN, 1, 77, 5, 64, buf, sizeof buf);
    ck_assert_uint_eq(n, 65); /* 64 bytes of text and the LF */
    ck_assert(strncmp(buf, "fan 77 5 xxx", 12) == 0);
    n = dialect_chat(BENCH_FRAMED, 9, 77, 5, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "MSG 9 fan 77 5\n");
    ck_assert_uint_eq(n, strlen(buf));
    n = dialect_chat(BENCH_RESP, 1, 77, 5, 0, buf, sizeof buf);
    ck_assert_str_eq(buf, "*3\r\n$7\r\nPUBLISH\r\n$8\r\nsockchat\r\n$8\r\nfan 77 5\r\n");
    ck_assert_uint_eq(n, strlen(buf));
    ck_assert_uint_eq(dialect_chat(BENCH_RAW, 1, 77, 5, 0, buf, sizeof buf), 0);
}
END_TEST

START_TEST(test_greeting_and_ready)
{
    char buf[256];
    size_t n = dialect_greeting(BENCH_FRAMED, false, 3, buf, sizeof buf);
    ck_assert_uint_eq(n, strlen("HELLO sockchat/2 b3\nPING ready\n"));
    ck_assert(memcmp(buf, "HELLO sockchat/2 b3\nPING ready\n", n) == 0);
    char l1[] = "WELCOME b3 threads 2 sockchat", l2[] = "PONG ready";
    ck_assert(!dialect_is_ready(BENCH_FRAMED, false, l1, strlen(l1)));
    ck_assert(dialect_is_ready(BENCH_FRAMED, false, l2, strlen(l2)));

    n = dialect_greeting(BENCH_RESP, true, 0, buf, sizeof buf);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "*2\r\n$9\r\nSUBSCRIBE\r\n$8\r\nsockchat\r\n");
    char s1[] = "subscribe", s2[] = ":1", s3[] = "+PONG";
    ck_assert(!dialect_is_ready(BENCH_RESP, true, s1, strlen(s1)));
    ck_assert(dialect_is_ready(BENCH_RESP, true, s2, strlen(s2)));
    ck_assert(dialect_is_ready(BENCH_RESP, false, s3, strlen(s3)));

    ck_assert_uint_eq(dialect_greeting(BENCH_NCAT, true, 0, buf, sizeof buf), 0);
    char a1[] = "<announce> 127.0.0.1 is connected as <user5>.";
    char a2[] = "<announce> already connected: nobody.";
    ck_assert(!dialect_is_ready(BENCH_NCAT, true, a1, strlen(a1)));
    ck_assert(dialect_is_ready(BENCH_NCAT, true, a2, strlen(a2)));
}
END_TEST

START_TEST(test_ack)
{
    uint64_t id = 0;
    char f[] = "ACK 12", p[] = "Message received", r[] = ":3", x[] = "CHAT 1 b fan 1 1";
    ck_assert_int_eq(dialect_ack(BENCH_FRAMED, f, strlen(f), &id), 1);
    ck_assert_uint_eq(id, 12);
    ck_assert_int_eq(dialect_ack(BENCH_FRAMED, x, strlen(x), &id), 0);
    ck_assert_int_eq(dialect_ack(BENCH_PLAIN, p, strlen(p), &id), 1);
    ck_assert_int_eq(dialect_ack(BENCH_RESP, r, strlen(r), &id), 1);
}
END_TEST

START_TEST(test_busy_rooms)
{
    char buf[256];
    size_t n = dialect_join(BENCH_FRAMED, 1, 3, buf, sizeof buf);
    ck_assert_uint_eq(n, strlen("MSG 1 /join #busy3\n"));
    ck_assert(memcmp(buf, "MSG 1 /join #busy3\n", n) == 0);
    n = dialect_join(BENCH_PLAIN, 1, 3, buf, sizeof buf);
    ck_assert(memcmp(buf, "/join #busy3\n", n) == 0);
    ck_assert_uint_eq(dialect_join(BENCH_RESP, 1, 3, buf, sizeof buf), 0);

    char r1[] = "ROOM #busy3 4 ", r2[] = "ROOM #busy31 4 ", r3[] = "OUT you are in #busy3 now";
    ck_assert(dialect_joined(BENCH_FRAMED, r1, strlen(r1), 3));
    ck_assert(!dialect_joined(BENCH_FRAMED, r2, strlen(r2), 3));
    ck_assert(!dialect_joined(BENCH_FRAMED, r3, strlen(r3), 3));
    char p1[] = "you are in #busy3 now (4 people)", p2[] = "you are in #busy4 now (4 people)";
    ck_assert(dialect_joined(BENCH_PLAIN, p1, strlen(p1), 3));
    ck_assert(!dialect_joined(BENCH_PLAIN, p2, strlen(p2), 3));

    n = dialect_busy_chat(BENCH_FRAMED, 7, 99, 3, 12, buf, sizeof buf);
    ck_assert(memcmp(buf, "MSG 7 busy 99 3 12\n", n) == 0);
    unsigned room = 0;
    uint64_t seq = 0;
    char d1[] = "CHAT 1764080000 b12 busy 99 3 12";
    ck_assert_int_eq(dialect_busy_delivery(BENCH_FRAMED, d1, strlen(d1), 99, &room, &seq), 1);
    ck_assert_uint_eq(room, 3);
    ck_assert_uint_eq(seq, 12);
    char d2[] = "<b12> busy 99 4 13";
    ck_assert_int_eq(dialect_busy_delivery(BENCH_PLAIN, d2, strlen(d2), 99, &room, &seq), 1);
    ck_assert_uint_eq(room, 4);
    ck_assert_uint_eq(seq, 13);
    char other_run[] = "<b12> busy 98 4 13", fan[] = "<b12> fan 99 4", cut[] = "<b12> busy 99 4";
    ck_assert_int_eq(dialect_busy_delivery(BENCH_PLAIN, other_run, 18, 99, &room, &seq), 0);
    ck_assert_int_eq(dialect_busy_delivery(BENCH_PLAIN, fan, strlen(fan), 99, &room, &seq), 0);
    ck_assert_int_eq(dialect_busy_delivery(BENCH_PLAIN, cut, strlen(cut), 99, &room, &seq), 0);
    /* The line is left whole, for the fanout's own check after it. */
    char d4[] = "CHAT 1764080000 b12 fan 99 7";
    ck_assert_int_eq(dialect_busy_delivery(BENCH_FRAMED, d4, strlen(d4), 99, &room, &seq), 0);
    ck_assert_int_eq(dialect_delivery(BENCH_FRAMED, d4, strlen(d4), 99, &seq), 1);
    ck_assert_uint_eq(seq, 7);
    char r4[] = "ROOM #busy3 4 ";
    ck_assert(dialect_joined(BENCH_FRAMED, r4, strlen(r4), 3));
    ck_assert_str_eq(r4, "ROOM #busy3 4 ");
    /* A busy line is not a fanout delivery, so the two are told apart. */
    char d3[] = "CHAT 1764080000 b12 busy 99 3 12";
    ck_assert_int_eq(dialect_delivery(BENCH_FRAMED, d3, strlen(d3), 99, &seq), 0);
}
END_TEST

static Suite *dialect_suite(void)
{
    Suite *s = suite_create("dialect");
    TCase *tc = tcase_create("dialect-core");
    tcase_add_loop_test(tc, test_names, 0, sizeof ALL / sizeof ALL[0]);
    tcase_add_loop_test(tc, test_ping_pong, 0, sizeof pong_cases / sizeof pong_cases[0]);
    tcase_add_test(tc, test_ncat_has_no_ping);
    tcase_add_loop_test(tc, test_delivery, 0, sizeof delivery_cases / sizeof delivery_cases[0]);
    tcase_add_test(tc, test_chat_padding);
    tcase_add_test(tc, test_greeting_and_ready);
    tcase_add_test(tc, test_ack);
    tcase_add_test(tc, test_busy_rooms);
    suite_add_tcase(s, tc);
    return s;
}

START_TEST(test_quantiles)
{
    struct samples s = {0};
    ck_assert_uint_eq(samples_quantile(&s, 0.5), 0);
    /* 1..100 us, added out of order, as nanoseconds. */
    for (unsigned i = 0; i < 100; i++)
        samples_add(&s, (uint64_t)((i * 37) % 100 + 1) * 1000);
    ck_assert_uint_eq(s.len, 100);
    ck_assert_uint_eq(samples_quantile(&s, 0.5), 50);
    ck_assert_uint_eq(samples_quantile(&s, 0.9), 90);
    ck_assert_uint_eq(samples_quantile(&s, 0.99), 99);
    ck_assert_uint_eq(samples_quantile(&s, 1.0), 100);
    ck_assert_uint_eq(samples_quantile(&s, 0.0), 1);
    samples_free(&s);
    ck_assert_ptr_null(s.us);
}
END_TEST

START_TEST(test_rounding)
{
    struct samples s = {0};
    samples_add(&s, 1499);
    samples_add(&s, 1500);
    ck_assert_uint_eq(samples_quantile(&s, 0.0), 1);
    ck_assert_uint_eq(samples_quantile(&s, 1.0), 2);
    samples_free(&s);
}
END_TEST

START_TEST(test_proc_status)
{
    ck_assert_int_gt(proc_status_kb((long)getpid(), "VmRSS"), 0);
    /* At least this thread; a sanitizer runtime (TSan) may add its own. */
    ck_assert_int_ge(proc_status_kb((long)getpid(), "Threads"), 1);
    ck_assert_int_eq(proc_status_kb((long)getpid(), "NoSuchField"), -1);
}
END_TEST

/* --port's list: what a run spreads its connections over. */
START_TEST(test_ports_parse)
{
    unsigned short p[4];
    ck_assert_int_eq(ports_parse("5000", p, 4), 1);
    ck_assert_uint_eq(p[0], 5000);
    ck_assert_int_eq(ports_parse("1,65535,40001", p, 4), 3);
    ck_assert_uint_eq(p[0], 1);
    ck_assert_uint_eq(p[1], 65535);
    ck_assert_uint_eq(p[2], 40001);
    ck_assert_int_eq(ports_parse("1,2,3,4", p, 4), 4);
    static const char *const bad[] = {"",           "0",     "65536",     "5000,",
                                      ",5000",      "50 00", "+5000",     "-1",
                                      "5000,,5001", "http",  "1,2,3,4,5", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(ports_parse(bad[i], p, 4) == -1, "accepted %s", bad[i]);
}
END_TEST

START_TEST(test_ports_pick)
{
    struct conn c = {0};
    ck_assert_uint_eq(ports_pick(&c, 1), 0);
    c.index = 4;
    ck_assert_uint_eq(ports_pick(&c, 1), 0);
    ck_assert_uint_eq(ports_pick(&c, 3), 1);
    c.index = 5;
    ck_assert_uint_eq(ports_pick(&c, 3), 2);
    /* The fanout sender is on the first server whatever its index. */
    c.is_sender = true;
    ck_assert_uint_eq(ports_pick(&c, 3), 0);
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats-core");
    tcase_add_test(tc, test_quantiles);
    tcase_add_test(tc, test_rounding);
    tcase_add_test(tc, test_proc_status);
    tcase_add_test(tc, test_ports_parse);
    tcase_add_test(tc, test_ports_pick);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dialect_suite());
    srunner_add_suite(sr, stats_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* trace: --trace's wording (the lessons' tests read these lines) and the
 * per-connection rate bound, with a fake clock passed in. */
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "trace.h"

static const struct {
    const char *data;
    size_t held;
    bool raw;
    const char *want;
} READS[] = {
    {"hello\n", 0, false, "read 6 B: 1 line framed (ends at 6)"},
    {"hi\nthere\nab", 0, false, "read 11 B: 2 lines framed (end at 3, 9) + 2 B partial"},
    {"abcde", 0, false, "read 5 B: no line end, 5 B partial"},
    {"de", 3, false, "read 2 B: no line end, 5 B partial (3 B of it from before)"},
    {"de\nf", 3, false,
     "read 4 B: 1 line framed (ends at 3) + 1 B partial; the first had 3 B "
     "from before"},
    {"a\nb\nc\nd\ne\n", 0, false, "read 10 B: 5 lines framed (end at 2, 4, 6, 8, ...)"},
    {"hello", 0, true, "read 5 B: 1 message (the tutorial's dialect: one read is one message)"},
};

START_TEST(test_format_read)
{
    char buf[TRACE_LINE_MAX];
    trace_format_read(buf, sizeof buf, READS[_i].data, strlen(READS[_i].data), READS[_i].held,
                      READS[_i].raw);
    ck_assert_str_eq(buf, READS[_i].want);
}
END_TEST

START_TEST(test_format_write)
{
    char buf[TRACE_LINE_MAX];
    trace_format_write(buf, sizeof buf, 40, 40, "thread 4242", 0, 0);
    ck_assert_str_eq(buf, "write 40 B by thread 4242: queue empty");
    trace_format_write(buf, sizeof buf, 1000, 4096, "worker w1 (tid 7)", 3, 3096);
    ck_assert_str_eq(buf, "write 1000 B of 4096 B by worker w1 (tid 7): partial, queue 3 messages "
                          "(3096 B) left");
    trace_format_write(buf, sizeof buf, 10, 10, "the one thread (tid 9)", 1, 5);
    ck_assert_str_eq(buf, "write 10 B by the one thread (tid 9): queue 1 message (5 B) left");
}
END_TEST

START_TEST(test_format_small_buffer)
{
    /* Cut, never overrun, always terminated. */
    char buf[16];
    memset(buf, 'x', sizeof buf);
    trace_format_read(buf, 12, "a\nb\nc\n", 6, 0, false);
    ck_assert_uint_eq(strlen(buf), 11);
    ck_assert_int_eq(buf[12], 'x');
    trace_format_write(buf, 1, 5, 5, "t", 0, 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_budget_bounds_a_flood)
{
    struct trace_budget b = {0};
    char sum[TRACE_LINE_MAX];
    unsigned told = 0;
    /* 250 reads of 50 B in the first second: TRACE_PER_SEC told. */
    for (int i = 0; i < 250; i++) {
        if (trace_budget_take(&b, 1000 + i * 4, TRACE_READ, 50, sum, sizeof sum))
            told++;
        ck_assert_str_eq(sum, "");
    }
    ck_assert_uint_eq(told, TRACE_PER_SEC);
    /* Writes past the bound count too. */
    ck_assert(!trace_budget_take(&b, 1999, TRACE_WRITE, 12000, sum, sizeof sum));
    /* The next second's first event: the summary first, and it is told. */
    ck_assert(trace_budget_take(&b, 2000, TRACE_READ, 10, sum, sizeof sum));
    ck_assert_str_eq(sum, "... 240 more reads (11 KB) and 1 more write (11 KB) in the last second");
    /* Told once: the new window has nothing skipped yet. */
    trace_budget_flush(&b, sum, sizeof sum);
    ck_assert_str_eq(sum, "");
}
END_TEST

START_TEST(test_budget_partial_past_the_bound)
{
    /* A flood of full writes spends the bound; the moment the reader falls
     * behind (a partial write) is still told, TRACE_PARTIAL_PER_SEC times. */
    struct trace_budget b = {0};
    char sum[TRACE_LINE_MAX];
    for (int i = 0; i < 50; i++)
        trace_budget_take(&b, 1000 + i, TRACE_WRITE, 1000, sum, sizeof sum);
    for (int i = 0; i < TRACE_PARTIAL_PER_SEC; i++)
        ck_assert(trace_budget_take(&b, 1100 + i, TRACE_WRITE_PARTIAL, 500, sum, sizeof sum));
    ck_assert(!trace_budget_take(&b, 1200, TRACE_WRITE_PARTIAL, 500, sum, sizeof sum));
    ck_assert(!trace_budget_take(&b, 1201, TRACE_WRITE, 10, sum, sizeof sum));
    /* Counted with the writes; a new window gives the allowance back. */
    ck_assert(trace_budget_take(&b, 2000, TRACE_WRITE, 10, sum, sizeof sum));
    ck_assert_str_eq(sum, "... 42 more writes (39 KB) in the last second");
    for (int i = 0; i < TRACE_PER_SEC - 1; i++)
        trace_budget_take(&b, 2001 + i, TRACE_WRITE, 10, sum, sizeof sum);
    ck_assert(trace_budget_take(&b, 2100, TRACE_WRITE_PARTIAL, 5, sum, sizeof sum));
}
END_TEST

START_TEST(test_budget_quiet_connection)
{
    /* A connection that never passes the bound never gets a summary. */
    struct trace_budget b = {0};
    char sum[TRACE_LINE_MAX];
    for (int i = 0; i < 100; i++) {
        ck_assert(trace_budget_take(&b, (int64_t)i * 200, TRACE_READ, 5, sum, sizeof sum));
        ck_assert_str_eq(sum, "");
    }
}
END_TEST

START_TEST(test_budget_flush_at_close)
{
    struct trace_budget b = {0};
    char sum[TRACE_LINE_MAX];
    for (int i = 0; i < TRACE_PER_SEC + 1; i++)
        trace_budget_take(&b, 5, TRACE_READ, 1, sum, sizeof sum);
    trace_budget_flush(&b, sum, sizeof sum);
    ck_assert_str_eq(sum, "... 1 more read (1 B) in the last second");
}
END_TEST

Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("format");
    tcase_add_loop_test(tc, test_format_read, 0, (int)(sizeof READS / sizeof READS[0]));
    tcase_add_test(tc, test_format_write);
    tcase_add_test(tc, test_format_small_buffer);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_test(tc, test_budget_bounds_a_flood);
    tcase_add_test(tc, test_budget_partial_past_the_bound);
    tcase_add_test(tc, test_budget_quiet_connection);
    tcase_add_test(tc, test_budget_flush_at_close);
    suite_add_tcase(s, tc);
    return s;
}

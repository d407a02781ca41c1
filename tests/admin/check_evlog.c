/* evlog: the event elog ring stays bounded, formats each kind with its tag
 * and time, and scrolls without moving under the reader. */
#include "check_admin.h"

#include <stdio.h>
#include <string.h>

#include "evlog.h"

static struct evlog elog;

static void setup(void)
{
    ck_assert_int_eq(evlog_init(&elog, 5), 0);
}

static void teardown(void)
{
    evlog_free(&elog);
}

static void add(int64_t ms, int kind, const char *who, const char *text)
{
    ck_assert(evlog_add(&elog, ms, kind, who, who ? strlen(who) : 0, text, strlen(text)));
}

static const char *fmt(size_t i)
{
    static char buf[256];
    evlog_format(evlog_at(&elog, i), buf, sizeof(buf), NULL);
    return buf;
}

START_TEST(test_format_kinds)
{
    /* 1733400000123 ms is 12:00:00 UTC. */
    add(1733400000123, AEV_CHAT, "alice", "says: hi");
    add(1733400001000, AEV_REFUSE, "127.0.0.1:40512", "refused: server full");
    add(1733400002000, EVL_OK, NULL, "kicked bob for 10m");
    add(1733400003000, EVL_CMD, NULL, "kick bob 10m");
    add(1733400004000, AEV_CHAT, "bob", "* bob waves");
    ck_assert_str_eq(fmt(0), "12:00:00 chat    alice says: hi");
    ck_assert_str_eq(fmt(1), "12:00:01 REFUSE  127.0.0.1:40512 refused: server full");
    ck_assert_str_eq(fmt(2), "12:00:02 ok      kicked bob for 10m");
    ck_assert_str_eq(fmt(3), "12:00:03 >       kick bob 10m");
    ck_assert_str_eq(fmt(4), "12:00:04 chat    * bob waves"); /* not "bob * bob" */
    struct evspans sp;
    char buf[128];
    evlog_format(evlog_at(&elog, 0), buf, sizeof(buf), &sp);
    ck_assert_uint_eq(sp.time_end, 9);
    ck_assert_uint_eq(sp.tag_end, 9 + EVLOG_TAG_COLS + 1);
}
END_TEST

START_TEST(test_tags_distinct)
{
    /* Without colour the tags are all that tells the kinds apart. */
    for (int a = 0; a < EVL_KIND_COUNT; a++)
        for (int b = a + 1; b < EVL_KIND_COUNT; b++)
            ck_assert_str_ne(evlog_tag(a), evlog_tag(b));
    ck_assert_int_eq(evlog_tone(AEV_FLOOD), TONE_WARN);
    ck_assert_int_eq(evlog_tone(AEV_SLOW), TONE_WARN);
    ck_assert_int_eq(evlog_tone(AEV_ERROR), TONE_ERROR);
    ck_assert_int_eq(evlog_tone(AEV_OPERATOR), TONE_OPER);
    ck_assert_str_eq(evlog_tag(999), "?");
}
END_TEST

START_TEST(test_ring_bounded)
{
    char text[32];
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof(text), "line %d", i);
        add(1733400000000 + i * 1000, AEV_INFO, NULL, text);
    }
    ck_assert_uint_eq(evlog_count(&elog), 5);
    ck_assert_str_eq(evlog_at(&elog, 0)->text, "line 5");
    ck_assert_str_eq(evlog_at(&elog, 4)->text, "line 9");
    ck_assert_ptr_null(evlog_at(&elog, 5));
}
END_TEST

START_TEST(test_scroll_holds)
{
    for (int i = 0; i < 4; i++)
        add(0, AEV_INFO, NULL, "x");
    evlog_scroll(&elog, 10, 2); /* clamped: 4 entries, 2 rows */
    ck_assert_uint_eq(elog.scroll, 2);
    add(0, AEV_CHAT, "bob", "new");
    /* The reader's view does not move, the news are counted. */
    ck_assert_uint_eq(elog.scroll, 3);
    ck_assert_uint_eq(elog.unread, 1);
    evlog_scroll(&elog, -10, 2);
    ck_assert_uint_eq(elog.scroll, 0);
    ck_assert_uint_eq(elog.unread, 0);
}
END_TEST

START_TEST(test_cut_at_character)
{
    add(1733400000000, AEV_CHAT, "zoë", "ééééé");
    char buf[24];
    size_t n = evlog_format(evlog_at(&elog, 0), buf, sizeof(buf), NULL);
    ck_assert_uint_lt(n, sizeof(buf));
    ck_assert_uint_eq(strlen(buf), n);
    /* 22 bytes before the text, room for 23: half an é is left out. */
    ck_assert_str_eq(buf, "12:00:00 chat    zoë ");
}
END_TEST

Suite *evlog_suite(void)
{
    Suite *s = suite_create("evlog");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_format_kinds);
    tcase_add_test(tc, test_tags_distinct);
    tcase_add_test(tc, test_cut_at_character);
    suite_add_tcase(s, tc);
    TCase *lim = tcase_create("limits");
    tcase_add_checked_fixture(lim, setup, teardown);
    tcase_add_test(lim, test_ring_bounded);
    tcase_add_test(lim, test_scroll_holds);
    suite_add_tcase(s, lim);
    return s;
}

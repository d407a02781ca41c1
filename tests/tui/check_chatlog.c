/* chatlog: ring bounds, lookup by sequence, formatting and scrolling. */
#include "check_tui.h"

#include <stdio.h>
#include <string.h>

#include "chatlog.h"
#include "text.h"

static struct chatlog tlog;

static void setup(void)
{
    ck_assert_int_eq(chatlog_init(&tlog, 0), 0);
}

static void teardown(void)
{
    chatlog_free(&tlog);
}

START_TEST(test_default_cap)
{
    ck_assert_uint_ge(tlog.cap, 10000);
}
END_TEST

START_TEST(test_ring_bounded)
{
    char buf[32];
    /* 25,000 entries through a 10,000-entry ring: the oldest go, the count
     * stays at the cap, order and sequence numbers stay intact. */
    for (int i = 0; i < 25000; i++) {
        snprintf(buf, sizeof(buf), "line %d", i);
        ck_assert_uint_ne(chatlog_append(&tlog, ENTRY_CHAT, 0, "bob", buf), 0);
    }
    ck_assert_uint_eq(chatlog_count(&tlog), tlog.cap);
    ck_assert_str_eq(chatlog_at(&tlog, 0)->text, "line 15000");
    ck_assert_str_eq(chatlog_at(&tlog, tlog.cap - 1)->text, "line 24999");
    ck_assert_ptr_null(chatlog_at(&tlog, tlog.cap));
    ck_assert_uint_eq(chatlog_at(&tlog, 0)->seq + tlog.cap - 1,
                      chatlog_at(&tlog, tlog.cap - 1)->seq);
}
END_TEST

START_TEST(test_find_and_deliver)
{
    uint64_t a = chatlog_append(&tlog, ENTRY_SELF, 0, "me", "first");
    uint64_t b = chatlog_append(&tlog, ENTRY_CHAT, 0, "bob", "second");
    ck_assert_uint_eq(b, a + 1);
    ck_assert_str_eq(chatlog_find(&tlog, a)->text, "first");
    ck_assert_ptr_null(chatlog_find(&tlog, 0));
    ck_assert_ptr_null(chatlog_find(&tlog, b + 1));
    uint64_t v = tlog.version;
    chatlog_set_delivery(&tlog, a, DELIVERY_DONE, 7);
    ck_assert_uint_gt(tlog.version, v);
    ck_assert_int_eq(chatlog_find(&tlog, a)->delivery, DELIVERY_DONE);
    ck_assert_uint_eq(chatlog_find(&tlog, a)->rtt_ms, 7);
    /* A dropped entry is simply not found any more. */
    struct chatlog small;
    ck_assert_int_eq(chatlog_init(&small, 2), 0);
    uint64_t s1 = chatlog_append(&small, ENTRY_SELF, 0, "me", "x");
    chatlog_append(&small, ENTRY_CHAT, 0, "b", "y");
    chatlog_append(&small, ENTRY_CHAT, 0, "b", "z");
    ck_assert_ptr_null(chatlog_find(&small, s1));
    chatlog_set_delivery(&small, s1, DELIVERY_DONE, 1); /* harmless */
    chatlog_free(&small);
}
END_TEST

START_TEST(test_clear)
{
    chatlog_append(&tlog, ENTRY_CHAT, 0, "bob", "a");
    uint64_t s = chatlog_append(&tlog, ENTRY_CHAT, 0, "bob", "b");
    chatlog_clear(&tlog);
    ck_assert_uint_eq(chatlog_count(&tlog), 0);
    ck_assert_ptr_null(chatlog_find(&tlog, s));
    uint64_t t = chatlog_append(&tlog, ENTRY_CHAT, 0, "bob", "c");
    ck_assert_uint_gt(t, s);
    ck_assert_str_eq(chatlog_find(&tlog, t)->text, "c");
}
END_TEST

static const char *fmt(enum entry_kind kind, const char *nick, const char *text, enum delivery d,
                       struct entry_spans *sp)
{
    static char buf[512];
    struct entry_spans dummy;
    struct entry e = {.seq = 1,
                      .time = 3600 * 13 + 60 * 5,
                      .kind = kind,
                      .delivery = d,
                      .rtt_ms = 3,
                      .nick = (char *)nick,
                      .text = (char *)text};
    entry_format(&e, buf, sizeof(buf), sp ? sp : &dummy);
    return buf;
}

START_TEST(test_format_kinds)
{
    struct entry_spans sp;
    const char *s = fmt(ENTRY_CHAT, "bob", "hi", DELIVERY_NONE, &sp);
    ck_assert_str_eq(s, "13:05 <bob> hi");
    ck_assert_uint_eq(sp.time_end, 6);
    ck_assert_uint_eq(sp.tag_start, 7);
    ck_assert_uint_eq(sp.tag_end, 10);
    ck_assert_uint_eq(sp.body_end, strlen(s));
    ck_assert_str_eq(fmt(ENTRY_SELF, "me", "yo", DELIVERY_PENDING, NULL),
                     "13:05 <me> yo \xe2\x80\xa6");
    ck_assert_str_eq(fmt(ENTRY_SELF, "me", "yo", DELIVERY_DONE, &sp),
                     "13:05 <me> yo \xe2\x9c\x93 3 ms");
    ck_assert_uint_eq(sp.body_end, strlen("13:05 <me> yo"));
    ck_assert_str_eq(fmt(ENTRY_ACTION, "bob", "waves", DELIVERY_NONE, NULL), "13:05 * bob waves");
    ck_assert_str_eq(fmt(ENTRY_PRIV, "bob -> me", "psst", DELIVERY_NONE, NULL),
                     "13:05 [bob -> me] psst");
    ck_assert_str_eq(fmt(ENTRY_JOIN, "", "bob joined", DELIVERY_NONE, NULL),
                     "13:05 --> bob joined");
    ck_assert_str_eq(fmt(ENTRY_LEAVE, "", "bob left", DELIVERY_NONE, NULL), "13:05 <-- bob left");
    ck_assert_str_eq(fmt(ENTRY_OUT, "", "3 users", DELIVERY_NONE, NULL), "13:05 | 3 users");
    ck_assert_str_eq(fmt(ENTRY_ERR, "", "bad", DELIVERY_NONE, NULL), "13:05 ! bad");
    ck_assert_str_eq(fmt(ENTRY_NOTICE, "", "hear", DELIVERY_NONE, NULL), "13:05 -!- hear");
    ck_assert_str_eq(fmt(ENTRY_LOCAL, "", "note", DELIVERY_NONE, NULL), "13:05 -- note");
    ck_assert_str_eq(fmt(ENTRY_REPLY, "", "Message received", DELIVERY_NONE, NULL),
                     "13:05 > Message received");
    /* Without UTF-8 the delivery marks are ASCII. */
    text_set_ascii(true);
    ck_assert_str_eq(fmt(ENTRY_SELF, "me", "yo", DELIVERY_PENDING, NULL), "13:05 <me> yo ...");
    ck_assert_str_eq(fmt(ENTRY_SELF, "me", "yo", DELIVERY_DONE, NULL), "13:05 <me> yo (ok 3 ms)");
    text_set_ascii(false);
}
END_TEST

START_TEST(test_format_truncates_on_boundary)
{
    char buf[10];
    struct entry_spans sp;
    struct entry e = {.time = 0, .kind = ENTRY_OUT, .nick = "", .text = "日本語"};
    size_t n = entry_format(&e, buf, sizeof(buf), &sp);
    /* "00:00 | " is 8 bytes; 日 needs 3 more than the 1 left. */
    ck_assert_uint_eq(n, 8);
    ck_assert_str_eq(buf, "00:00 | ");
}
END_TEST

START_TEST(test_rows_cached_and_reflow)
{
    /* "00:00 <bob> " is 12 columns; 30 x's wrap at width 20 with the
     * 6-column hanging indent: 8 on row 1, then 14 per row. */
    uint64_t s = chatlog_append(&tlog, ENTRY_CHAT, 0, "bob", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    struct entry *e = chatlog_find(&tlog, s);
    ck_assert_uint_eq(chatlog_rows(&tlog, e, 20), 3);
    ck_assert_uint_eq(chatlog_rows(&tlog, e, 80), 1);
    ck_assert_uint_eq(chatlog_rows(&tlog, e, 40), 2);
    /* CJK: 20 × 日 = 40 columns. */
    s = chatlog_append(&tlog, ENTRY_CHAT, 0, "bob", "日日日日日日日日日日日日日日日日日日日日");
    e = chatlog_find(&tlog, s);
    ck_assert_uint_eq(chatlog_rows(&tlog, e, 40), 2);
    ck_assert_uint_eq(chatlog_rows(&tlog, e, 100), 1);
    /* A delivery change invalidates the cache (the suffix grows). */
    s = chatlog_append(&tlog, ENTRY_SELF, 0, "me", "12345678901234567890123456");
    chatlog_set_delivery(&tlog, s, DELIVERY_PENDING, 0);
    e = chatlog_find(&tlog, s);
    ck_assert_uint_eq(chatlog_rows(&tlog, e, 40), 1);
    chatlog_set_delivery(&tlog, s, DELIVERY_DONE, 12345);
    ck_assert_uint_eq(chatlog_rows(&tlog, e, 40), 2);
}
END_TEST

START_TEST(test_scroll)
{
    struct logview lv = {0, 0, 0};
    for (int i = 0; i < 100; i++)
        chatlog_append(&tlog, ENTRY_CHAT, 0, "bob", "short");
    ck_assert_uint_eq(chatlog_total_rows(&tlog, 80), 100);
    /* At the bottom, new entries do not count as unread. */
    logview_on_append(&lv, 1, false);
    ck_assert_uint_eq(lv.scroll, 0);
    ck_assert_uint_eq(lv.unread, 0);
    logview_scroll(&lv, &tlog, 20, 80, 22);
    ck_assert_uint_eq(lv.scroll, 20);
    /* Scrolled back: the view keeps its place, unread counts. */
    logview_on_append(&lv, 2, false);
    ck_assert_uint_eq(lv.scroll, 22);
    ck_assert_uint_eq(lv.unread, 1);
    /* Clamped at the top: 100 rows, 22 visible. */
    logview_scroll(&lv, &tlog, 1000, 80, 22);
    ck_assert_uint_eq(lv.scroll, 78);
    logview_top(&lv, &tlog, 80, 22);
    ck_assert_uint_eq(lv.scroll, 78);
    logview_scroll(&lv, &tlog, -1000, 80, 22);
    ck_assert_uint_eq(lv.scroll, 0);
    ck_assert_uint_eq(lv.unread, 0);
    logview_scroll(&lv, &tlog, 5, 80, 22);
    logview_on_append(&lv, 1, false);
    logview_bottom(&lv);
    ck_assert_uint_eq(lv.scroll, 0);
    ck_assert_uint_eq(lv.unread, 0);
}
END_TEST

Suite *chatlog_suite(void)
{
    Suite *s = suite_create("chatlog");
    TCase *tc = tcase_create("chatlog-core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_default_cap);
    tcase_add_test(tc, test_ring_bounded);
    tcase_add_test(tc, test_find_and_deliver);
    tcase_add_test(tc, test_clear);
    tcase_add_test(tc, test_format_kinds);
    tcase_add_test(tc, test_format_truncates_on_boundary);
    tcase_add_test(tc, test_rows_cached_and_reflow);
    tcase_add_test(tc, test_scroll);
    suite_add_tcase(s, tc);
    return s;
}

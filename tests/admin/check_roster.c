/* roster: blocks become the table only when whole, rows sort by the chosen
 * column, the selection follows the connection, and the columns fit the
 * width (80 columns drop the least telling ones). */
#include "check_admin.h"

#include <stdio.h>
#include <string.h>

#include "roster.h"
#include "text.h"

static struct roster r;

static void setup(void)
{
    roster_init(&r);
}

static void row(const char *kv)
{
    roster_row(&r, kv, strlen(kv));
}

static void three(void)
{
    roster_begin(&r, 3, 3);
    row("id=1 nick=carol addr=127.0.0.1:40001 dialect=tutorial state=joined worker=t101 "
        "msgs_in=5 msgs_out=9 bytes_in=100 bytes_out=900 queue=0 idle_ms=61000 muted=0");
    row("id=2 nick=alice addr=127.0.0.1:40002 dialect=sockchat state=joined worker=t102 "
        "msgs_in=50 msgs_out=2 bytes_in=20000 bytes_out=90 queue=12 idle_ms=1000 muted=0");
    ck_assert_uint_eq(r.n, 0); /* not whole yet: nothing shown changes */
    row("id=3 nick=Bob addr=[::1]:40003 dialect=plain state=joined worker=t103 msgs_in=7 "
        "msgs_out=7 bytes_in=70 bytes_out=70 queue=0 idle_ms=5000 muted=1");
}

START_TEST(test_block_whole)
{
    three();
    ck_assert_uint_eq(r.n, 3);
    ck_assert_uint_eq(r.total, 3);
    /* Sorted by nick, case-insensitively. */
    ck_assert_str_eq(r.rows[0].nick, "alice");
    ck_assert_str_eq(r.rows[1].nick, "Bob");
    ck_assert_str_eq(r.rows[2].nick, "carol");
    ck_assert_str_eq(r.rows[1].dialect, "plain");
    ck_assert(r.rows[1].muted);
    /* A ROW beyond the block is ignored. */
    ck_assert(!roster_row(&r, "id=9 nick=zed", 13));
    ck_assert_uint_eq(r.n, 3);
    /* An empty block empties the table. */
    roster_begin(&r, 0, 0);
    ck_assert_uint_eq(r.n, 0);
}
END_TEST

START_TEST(test_sort_cycle)
{
    three();
    roster_sort_next(&r); /* address */
    ck_assert_int_eq(r.sort, RC_ADDR);
    ck_assert_str_eq(r.rows[0].addr, "127.0.0.1:40001");
    ck_assert_str_eq(r.rows[2].addr, "[::1]:40003");
    r.sort = RC_MSGS_IN;
    roster_sort(&r); /* counters: the busiest first */
    ck_assert_str_eq(r.rows[0].nick, "alice");
    ck_assert_str_eq(r.rows[1].nick, "Bob");
    ck_assert_str_eq(r.rows[2].nick, "carol");
    r.sort = RC_IDLE;
    roster_sort(&r);
    ck_assert_str_eq(r.rows[0].nick, "carol");
    r.sort = RC_IDLE;
    for (int i = 0; i < RC_COUNT; i++)
        roster_sort_next(&r);
    ck_assert_int_eq(r.sort, RC_IDLE); /* round the columns */
}
END_TEST

START_TEST(test_selection_follows)
{
    three();
    ck_assert_ptr_null(roster_selected(&r));
    roster_select_move(&r, 1); /* the first move selects the first row */
    ck_assert_str_eq(roster_selected(&r)->nick, "alice");
    roster_select_move(&r, 1);
    ck_assert_str_eq(roster_selected(&r)->nick, "Bob");
    roster_select_move(&r, 10);
    ck_assert_str_eq(roster_selected(&r)->nick, "carol");
    /* A new block with a newcomer sorting first: still carol. */
    roster_begin(&r, 2, 2);
    row("id=4 nick=aaron dialect=plain");
    row("id=1 nick=carol dialect=tutorial");
    ck_assert_str_eq(roster_selected(&r)->nick, "carol");
    ck_assert_int_eq(roster_selected_index(&r), 1);
    /* carol left: no selection, rather than someone else's row. */
    roster_begin(&r, 1, 1);
    row("id=4 nick=aaron dialect=plain");
    ck_assert_ptr_null(roster_selected(&r));
}
END_TEST

START_TEST(test_follow_scrolls)
{
    roster_begin(&r, 10, 10);
    char kv[64];
    for (int i = 0; i < 10; i++) {
        snprintf(kv, sizeof(kv), "id=%d nick=n%02d", i + 1, i);
        row(kv);
    }
    roster_select_move(&r, 9); /* selects n00, then ... */
    roster_select_move(&r, 9);
    ck_assert_str_eq(roster_selected(&r)->nick, "n09");
    roster_follow(&r, 4);
    ck_assert_uint_eq(r.top, 6);
    roster_select_move(&r, -9);
    roster_follow(&r, 4);
    ck_assert_uint_eq(r.top, 0);
}
END_TEST

START_TEST(test_layout_80)
{
    struct roster_layout lay;
    roster_layout(&lay, 80);
    char head[256], line[256];
    size_t hn = roster_format_header(&lay, RC_NICK, head, sizeof(head));
    ck_assert_uint_le(hn, 80);
    /* The telling columns stay, bytes in/out go. */
    ck_assert_ptr_nonnull(strstr(head, "nick*"));
    ck_assert_ptr_nonnull(strstr(head, "dialect"));
    ck_assert_ptr_nonnull(strstr(head, "address"));
    ck_assert_ptr_nonnull(strstr(head, "worker"));
    ck_assert_ptr_nonnull(strstr(head, "idle"));
    ck_assert_ptr_null(strstr(head, "b.in"));
    three();
    for (size_t i = 0; i < r.n; i++) {
        size_t n = roster_format_row(&lay, &r.rows[i], line, sizeof(line));
        ck_assert_uint_eq(n, hn); /* the columns line up */
    }
    roster_format_row(&lay, &r.rows[1], line, sizeof(line));
    ck_assert_ptr_nonnull(strstr(line, "Bob"));
    ck_assert_ptr_nonnull(strstr(line, "plain"));
    ck_assert_ptr_nonnull(strstr(line, "[::1]:40003"));
    ck_assert_ptr_nonnull(strstr(line, "muted"));
    /* A TLS connection says so first, so that even 80 columns show it. */
    snprintf(r.rows[1].tls, sizeof r.rows[1].tls, "TLSv1.3");
    ck_assert_uint_eq(roster_format_row(&lay, &r.rows[1], line, sizeof(line)), hn);
    ck_assert_ptr_nonnull(strstr(line, "tls/pla"));
    r.rows[1].tls[0] = '\0';
    /* Wide: every column, the room too. */
    roster_layout(&lay, 140);
    ck_assert_uint_eq(lay.n, RC_COUNT);
    roster_format_header(&lay, RC_NICK, head, sizeof(head));
    ck_assert_ptr_nonnull(strstr(head, " room"));
    snprintf(r.rows[1].room, sizeof r.rows[1].room, "#lab2");
    roster_format_row(&lay, &r.rows[1], line, sizeof(line));
    ck_assert_ptr_nonnull(strstr(line, "#lab2"));
    snprintf(r.rows[1].tls, sizeof r.rows[1].tls, "TLSv1.2");
    roster_format_row(&lay, &r.rows[1], line, sizeof(line));
    ck_assert_ptr_nonnull(strstr(line, "tls/plain"));
    /* Narrow: still the nick. */
    roster_layout(&lay, 12);
    ck_assert_uint_ge(lay.n, 1);
    ck_assert_int_eq(lay.cols[0], RC_NICK);
}
END_TEST

START_TEST(test_wide_nick_padding)
{
    struct roster_layout lay;
    roster_layout(&lay, 80);
    struct admin_row a;
    memset(&a, 0, sizeof(a));
    snprintf(a.nick, sizeof(a.nick), "%s", "日本語");
    snprintf(a.dialect, sizeof(a.dialect), "sockchat");
    char line[256], head[256];
    roster_format_row(&lay, &a, line, sizeof(line));
    roster_format_header(&lay, RC_NICK, head, sizeof(head));
    /* Padded by display columns, not bytes. */
    ck_assert_uint_eq(text_width(line, strlen(line)), text_width(head, strlen(head)));
}
END_TEST

START_TEST(test_human)
{
    char b[16];
    roster_human(9999, b, sizeof(b));
    ck_assert_str_eq(b, "9999");
    roster_human(12345, b, sizeof(b));
    ck_assert_str_eq(b, "12.3K");
    roster_human(4500000, b, sizeof(b));
    ck_assert_str_eq(b, "4.5M");
    roster_human(999999, b, sizeof(b));
    ck_assert_str_eq(b, "1.0M");
    roster_idle(59999, b, sizeof(b));
    ck_assert_str_eq(b, "59s");
    roster_idle(3 * 60000, b, sizeof(b));
    ck_assert_str_eq(b, "3m");
    roster_idle(-5, b, sizeof(b));
    ck_assert_str_eq(b, "0s");
}
END_TEST

Suite *roster_suite(void)
{
    Suite *s = suite_create("roster");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_block_whole);
    tcase_add_test(tc, test_sort_cycle);
    tcase_add_test(tc, test_selection_follows);
    tcase_add_test(tc, test_follow_scrolls);
    suite_add_tcase(s, tc);
    TCase *lay = tcase_create("layout");
    tcase_add_checked_fixture(lay, setup, NULL);
    tcase_add_test(lay, test_layout_80);
    tcase_add_test(lay, test_wide_nick_padding);
    tcase_add_test(lay, test_human);
    suite_add_tcase(s, lay);
    return s;
}

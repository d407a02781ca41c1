/* editline: every key operation, on ASCII and multibyte text, the history,
 * completion and the horizontal scroll. */
#include "check_tui.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "editline.h"

static struct editline ed;

static void setup(void)
{
    editline_init(&ed);
}

static void teardown(void)
{
    editline_free(&ed);
}

static void type(const char *s)
{
    ck_assert(editline_insert(&ed, s, strlen(s)));
}

/* The line with a '|' where the cursor is. */
static const char *show(void)
{
    static char buf[EDITLINE_MAX + 2];
    memcpy(buf, ed.buf, ed.cur);
    buf[ed.cur] = '|';
    memcpy(buf + ed.cur + 1, ed.buf + ed.cur, ed.len - ed.cur);
    buf[ed.len + 1] = '\0';
    return buf;
}

START_TEST(test_insert_and_move)
{
    type("héllo");
    ck_assert_str_eq(show(), "héllo|");
    editline_left(&ed);
    editline_left(&ed);
    editline_left(&ed);
    editline_left(&ed);
    ck_assert_str_eq(show(), "h|éllo");
    editline_right(&ed);
    ck_assert_str_eq(show(), "hé|llo");
    type("日本");
    ck_assert_str_eq(show(), "hé日本|llo");
    editline_left(&ed);
    ck_assert_str_eq(show(), "hé日|本llo");
    editline_home(&ed);
    ck_assert_str_eq(show(), "|hé日本llo");
    editline_left(&ed); /* at the start: stays */
    ck_assert_str_eq(show(), "|hé日本llo");
    editline_end(&ed);
    ck_assert_str_eq(show(), "hé日本llo|");
    editline_right(&ed); /* at the end: stays */
    ck_assert_str_eq(show(), "hé日本llo|");
}
END_TEST

START_TEST(test_combining_is_one_char)
{
    type("ae\xcc\x81z"); /* a, e + U+0301, z */
    editline_left(&ed);
    editline_left(&ed);
    ck_assert_str_eq(show(), "a|e\xcc\x81z");
    editline_delete(&ed);
    ck_assert_str_eq(show(), "a|z");
    editline_end(&ed);
    type("👍");
    editline_backspace(&ed);
    ck_assert_str_eq(show(), "az|");
}
END_TEST

START_TEST(test_backspace_delete)
{
    type("x日👍y");
    editline_backspace(&ed);
    ck_assert_str_eq(show(), "x日👍|");
    editline_backspace(&ed);
    ck_assert_str_eq(show(), "x日|");
    editline_home(&ed);
    editline_backspace(&ed); /* nothing before */
    ck_assert_str_eq(show(), "|x日");
    editline_delete(&ed);
    ck_assert_str_eq(show(), "|日");
    editline_delete(&ed);
    ck_assert_str_eq(show(), "|");
    editline_delete(&ed); /* nothing after */
    ck_assert_str_eq(show(), "|");
}
END_TEST

START_TEST(test_words)
{
    type("one  dos 三つ");
    editline_word_left(&ed);
    ck_assert_str_eq(show(), "one  dos |三つ");
    editline_word_left(&ed);
    ck_assert_str_eq(show(), "one  |dos 三つ");
    editline_word_left(&ed);
    ck_assert_str_eq(show(), "|one  dos 三つ");
    editline_word_right(&ed);
    ck_assert_str_eq(show(), "one|  dos 三つ");
    editline_word_right(&ed);
    ck_assert_str_eq(show(), "one  dos| 三つ");
    editline_word_right(&ed);
    ck_assert_str_eq(show(), "one  dos 三つ|");
    editline_kill_word(&ed); /* Ctrl-W */
    ck_assert_str_eq(show(), "one  dos |");
    editline_kill_word(&ed);
    ck_assert_str_eq(show(), "one  |");
}
END_TEST

START_TEST(test_kills)
{
    type("héllo wörld");
    editline_word_left(&ed);
    editline_kill_end(&ed); /* Ctrl-K */
    ck_assert_str_eq(show(), "héllo |");
    type("日本 end");
    editline_word_left(&ed);
    editline_kill_start(&ed); /* Ctrl-U */
    ck_assert_str_eq(show(), "|end");
}
END_TEST

START_TEST(test_insert_limits)
{
    char big[EDITLINE_MAX + 10];
    memset(big, 'a', sizeof(big));
    ck_assert(!editline_insert(&ed, big, EDITLINE_MAX + 1));
    ck_assert_uint_eq(ed.len, 0);
    ck_assert(editline_insert(&ed, big, EDITLINE_MAX));
    ck_assert_uint_eq(ed.len, EDITLINE_MAX);
    ck_assert(!editline_insert(&ed, "b", 1));
    editline_clear(&ed);
    /* Control characters are dropped; a cut multibyte tail is not kept. */
    ck_assert(editline_insert(&ed, "a\x1b[2Jb\x07", 7));
    ck_assert_str_eq(show(), "a[2Jb|");
    editline_clear(&ed);
    ck_assert(editline_insert(&ed, "ok\xe6\x97", 4));
    ck_assert_str_eq(show(), "ok|");
}
END_TEST

START_TEST(test_history)
{
    char *l;
    type("first");
    free(editline_take(&ed));
    type("second");
    free(editline_take(&ed));
    type("second"); /* a repeat is not stored twice */
    free(editline_take(&ed));
    l = editline_take(&ed); /* empty lines are not stored */
    ck_assert_str_eq(l, "");
    free(l);
    ck_assert_uint_eq(ed.hist_count, 2);
    type("draft 日本");
    editline_history_prev(&ed);
    ck_assert_str_eq(show(), "second|");
    editline_history_prev(&ed);
    ck_assert_str_eq(show(), "first|");
    editline_history_prev(&ed); /* oldest: stays */
    ck_assert_str_eq(show(), "first|");
    editline_history_next(&ed);
    ck_assert_str_eq(show(), "second|");
    editline_history_next(&ed);
    ck_assert_str_eq(show(), "draft 日本|"); /* what was being typed comes back */
    editline_history_next(&ed);
    ck_assert_str_eq(show(), "draft 日本|");
    l = editline_take(&ed);
    ck_assert_str_eq(l, "draft 日本");
    free(l);
    ck_assert_uint_eq(ed.len, 0);
}
END_TEST

START_TEST(test_history_bounded)
{
    char line[16];
    for (int i = 0; i < EDITLINE_HISTORY_MAX + 50; i++) {
        int n = snprintf(line, sizeof(line), "l%d", i);
        editline_insert(&ed, line, (size_t)n);
        free(editline_take(&ed));
    }
    ck_assert_uint_eq(ed.hist_count, EDITLINE_HISTORY_MAX);
    editline_history_prev(&ed);
    snprintf(line, sizeof(line), "l%d", EDITLINE_HISTORY_MAX + 49);
    ck_assert_str_eq(ed.buf, line);
}
END_TEST

START_TEST(test_complete)
{
    const char *cands[] = {"/help", "/who", "/whois", "alice", "Albert", "bob"};
    type("al");
    ck_assert(editline_complete(&ed, cands, 6));
    ck_assert_str_eq(show(), "alice: |");
    ck_assert(editline_complete(&ed, cands, 6)); /* Tab again: next match */
    ck_assert_str_eq(show(), "Albert: |");
    ck_assert(editline_complete(&ed, cands, 6)); /* and around */
    ck_assert_str_eq(show(), "alice: |");
    type("hi b");
    ck_assert(editline_complete(&ed, cands, 6));
    ck_assert_str_eq(show(), "alice: hi bob |"); /* mid-line: no colon */
    editline_clear(&ed);
    type("/wh");
    ck_assert(editline_complete(&ed, cands, 6));
    ck_assert_str_eq(show(), "/who |");
    ck_assert(editline_complete(&ed, cands, 6));
    ck_assert_str_eq(show(), "/whois |");
    editline_clear(&ed);
    type("zz");
    ck_assert(!editline_complete(&ed, cands, 6));
    ck_assert_str_eq(show(), "zz|");
    editline_clear(&ed);
    ck_assert(!editline_complete(&ed, cands, 6)); /* nothing to complete */
}
END_TEST

START_TEST(test_hscroll)
{
    size_t start, col;
    type("short");
    editline_view(&ed, 20, &start, &col);
    ck_assert_uint_eq(start, 0);
    ck_assert_uint_eq(col, 5);
    editline_clear(&ed);
    /* 30 wide characters = 60 columns in a 20-column field. */
    for (int i = 0; i < 30; i++)
        type("日");
    editline_view(&ed, 20, &start, &col);
    ck_assert_uint_lt(col, 20);
    ck_assert_uint_eq(start % 3, 0); /* never inside a character */
    editline_home(&ed);
    editline_view(&ed, 20, &start, &col);
    ck_assert_uint_eq(start, 0);
    ck_assert_uint_eq(col, 0);
    /* Walking right keeps the cursor inside the field all the way. */
    for (int i = 0; i < 30; i++) {
        editline_right(&ed);
        editline_view(&ed, 20, &start, &col);
        ck_assert_uint_lt(col, 20);
        ck_assert_uint_le(start, ed.cur);
    }
}
END_TEST

Suite *editline_suite(void)
{
    Suite *s = suite_create("editline");
    TCase *tc = tcase_create("editline-core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_insert_and_move);
    tcase_add_test(tc, test_combining_is_one_char);
    tcase_add_test(tc, test_backspace_delete);
    tcase_add_test(tc, test_words);
    tcase_add_test(tc, test_kills);
    tcase_add_test(tc, test_insert_limits);
    tcase_add_test(tc, test_history);
    tcase_add_test(tc, test_history_bounded);
    tcase_add_test(tc, test_complete);
    tcase_add_test(tc, test_hscroll);
    suite_add_tcase(s, tc);
    return s;
}

/* acmd: Tab completes commands in the first word and nicks where a command
 * takes one, with a blank after (not the chat client's ": "). */
#include "check_admin.h"

#include <string.h>

#include "acmd.h"

static struct editline ed;
static struct roster r;

static void setup(void)
{
    editline_init(&ed);
    roster_init(&r);
    roster_begin(&r, 2, 2);
    const char *a = "id=1 nick=alice", *b = "id=2 nick=albert";
    roster_row(&r, a, strlen(a));
    roster_row(&r, b, strlen(b));
}

static void teardown(void)
{
    editline_free(&ed);
}

static void type(const char *s)
{
    editline_insert(&ed, s, strlen(s));
}

START_TEST(test_commands)
{
    type("ki");
    ck_assert(acmd_complete(&ed, &r));
    ck_assert_str_eq(ed.buf, "kick ");
    editline_clear(&ed);
    type("un");
    ck_assert(acmd_complete(&ed, &r));
    ck_assert_str_eq(ed.buf, "unban ");
    ck_assert(acmd_complete(&ed, &r)); /* Tab again: the next match */
    ck_assert_str_eq(ed.buf, "unmute ");
    editline_clear(&ed);
    type("zz");
    ck_assert(!acmd_complete(&ed, &r));
    ck_assert_str_eq(ed.buf, "zz");
    editline_clear(&ed);
    type("tr"); /* the server's trace (--trace), for teaching */
    ck_assert(acmd_complete(&ed, &r));
    ck_assert_str_eq(ed.buf, "trace ");
    type("al");
    ck_assert(acmd_complete(&ed, &r));
    ck_assert_str_eq(ed.buf, "trace albert ");
}
END_TEST

START_TEST(test_nicks)
{
    type("kick al");
    ck_assert(acmd_complete(&ed, &r));
    ck_assert_str_eq(ed.buf, "kick albert ");
    ck_assert(acmd_complete(&ed, &r));
    ck_assert_str_eq(ed.buf, "kick alice ");
    editline_clear(&ed);
    /* Only where the command takes a nick. */
    type("say al");
    ck_assert(!acmd_complete(&ed, &r));
    editline_clear(&ed);
    type("kick alice 1");
    ck_assert(!acmd_complete(&ed, &r));
    editline_clear(&ed);
    type("/mute ali");
    ck_assert(acmd_complete(&ed, &r));
    ck_assert_str_eq(ed.buf, "/mute alice ");
}
END_TEST

START_TEST(test_find)
{
    ck_assert_str_eq(acmd_find("kick bob")->name, "kick");
    ck_assert_str_eq(acmd_find("/quit")->name, "quit");
    ck_assert_ptr_null(acmd_find("kickbob"));
    ck_assert_ptr_null(acmd_find(""));
}
END_TEST

Suite *acmd_suite(void)
{
    Suite *s = suite_create("acmd");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_commands);
    tcase_add_test(tc, test_nicks);
    tcase_add_test(tc, test_find);
    suite_add_tcase(s, tc);
    return s;
}

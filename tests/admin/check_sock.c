/* sock: connecting to the admin socket, and its errors. */
#include "check_admin.h"

#include "sock.h"

START_TEST(test_connect_errors)
{
    enum sock_fail f;
    char err[256];
    ck_assert_int_eq(sock_connect("/nonexistent-dir/x.sock", &f, err, sizeof(err)), -1);
    ck_assert_int_eq(f, SOCK_NONE);
    ck_assert_str_eq(err, "no socket at /nonexistent-dir/x.sock");
    char longp[300];
    for (size_t i = 0; i < sizeof(longp) - 1; i++)
        longp[i] = 'a';
    longp[sizeof(longp) - 1] = '\0';
    ck_assert_int_eq(sock_connect(longp, &f, err, sizeof(err)), -1);
    ck_assert_int_eq(f, SOCK_OTHER);
}
END_TEST

Suite *sock_suite(void)
{
    Suite *s = suite_create("sock");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_connect_errors);
    suite_add_tcase(s, tc);
    return s;
}

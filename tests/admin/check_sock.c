/* sock: the admin socket's default path, the same rule as the server's. */
#include "check_admin.h"

#include "sock.h"

START_TEST(test_default_path)
{
    char p[64];
    ck_assert_int_eq(sock_default_path(p, sizeof(p), 5000, "/run/user/1000", 1000), 0);
    ck_assert_str_eq(p, "/run/user/1000/sockchat/5000.sock");
    ck_assert_int_eq(sock_default_path(p, sizeof(p), 6001, NULL, 1000), 0);
    ck_assert_str_eq(p, "/tmp/sockchat-1000/6001.sock");
    /* Empty or relative is as unset (the server's rule). */
    ck_assert_int_eq(sock_default_path(p, sizeof(p), 5000, "", 0), 0);
    ck_assert_str_eq(p, "/tmp/sockchat-0/5000.sock");
    ck_assert_int_eq(sock_default_path(p, sizeof(p), 5000, "run/user", 7), 0);
    ck_assert_str_eq(p, "/tmp/sockchat-7/5000.sock");
    ck_assert_int_eq(sock_default_path(p, 10, 5000, "/run/user/1000", 1000), -1);
}
END_TEST

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
    tcase_add_test(tc, test_default_path);
    tcase_add_test(tc, test_connect_errors);
    suite_add_tcase(s, tc);
    return s;
}

/* The dashboard model's suites, run together by check_admin.c. */
#ifndef SOCKCHAT_CHECK_ADMIN_H
#define SOCKCHAT_CHECK_ADMIN_H

#include <check.h>

Suite *evlog_suite(void);
Suite *roster_suite(void);
Suite *bar_suite(void);
Suite *acmd_suite(void);
Suite *dash_suite(void);
Suite *sock_suite(void);
Suite *link_suite(void);

#endif

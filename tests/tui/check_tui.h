/* The client model's unit test suites. */
#ifndef SOCKCHAT_CHECK_TUI_H
#define SOCKCHAT_CHECK_TUI_H

#include <check.h>

Suite *text_suite(void);
Suite *chatlog_suite(void);
Suite *editline_suite(void);
Suite *status_suite(void);
Suite *chat_suite(void);
Suite *net_suite(void);
Suite *secret_suite(void);
Suite *ttyask_suite(void);
Suite *wire_suite(void);
Suite *restrict_suite(void);
Suite *rooms_suite(void);
Suite *addrlist_suite(void);
Suite *cluster_suite(void);
Suite *known_suite(void);
Suite *net_tls_suite(void);

#endif

/* The suites of the proto unit tests, run together by check_proto.c. */
#ifndef SOCKCHAT_CHECK_PROTO_H
#define SOCKCHAT_CHECK_PROTO_H

#include <check.h>

Suite *linebuf_suite(void);
Suite *sanitize_suite(void);
Suite *msg_suite(void);
Suite *cmd_suite(void);

/* Per-test time limit in seconds; generous for sanitizer builds. */
enum { CHECK_PROTO_TIMEOUT = 30 };

#endif

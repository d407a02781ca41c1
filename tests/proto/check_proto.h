/* The suites of the proto unit tests, run together by check_proto.c. */
#ifndef SOCKCHAT_CHECK_PROTO_H
#define SOCKCHAT_CHECK_PROTO_H

#include <check.h>

Suite *linebuf_suite(void);
Suite *utf8_suite(void);
Suite *sanitize_suite(void);
Suite *msg_suite(void);
Suite *cmd_suite(void);
Suite *telnet_suite(void);
Suite *admin_suite(void);
Suite *room_suite(void);
Suite *fingerprint_suite(void);

/* Per-test time limit in seconds; generous for sanitizer builds. */
enum { CHECK_PROTO_TIMEOUT = 30 };

/* For loops that check thousands of things: every ck_assert records a
 * checkpoint through Check's pipe, which is what dominated these suites'
 * run time (a minute under ASan). This checks, and only calls Check on
 * failure. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #cond);                          \
    } while (0)

#endif

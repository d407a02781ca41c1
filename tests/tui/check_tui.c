/* Runs every client-model suite in one SRunner; exit status 0 only when all
 * pass. Widths come from wcwidth(), so a UTF-8 locale is set first, and the
 * time zone is UTC so entry times are predictable. CK_FORK=no runs the
 * tests under gdb. */
#define _XOPEN_SOURCE 700
#include "check_tui.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8")) {
        fprintf(stderr, "check_tui: no UTF-8 locale (C.UTF-8) available\n");
        return 1;
    }
    setenv("TZ", "UTC", 1);
    tzset();
    SRunner *sr = srunner_create(text_suite());
    srunner_add_suite(sr, chatlog_suite());
    srunner_add_suite(sr, editline_suite());
    srunner_add_suite(sr, status_suite());
    srunner_add_suite(sr, chat_suite());
    srunner_add_suite(sr, net_suite());
    srunner_add_suite(sr, secret_suite());
    srunner_add_suite(sr, ttyask_suite());
    srunner_add_suite(sr, wire_suite());
    srunner_add_suite(sr, restrict_suite());
    srunner_add_suite(sr, rooms_suite());
    srunner_add_suite(sr, addrlist_suite());
    srunner_add_suite(sr, cluster_suite());
    srunner_add_suite(sr, known_suite());
    srunner_add_suite(sr, net_tls_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

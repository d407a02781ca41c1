/* Runs every dashboard-model suite in one SRunner; exit status 0 only when
 * all pass. Widths come from wcwidth(), so a UTF-8 locale is set first,
 * and the time zone is UTC so the log's times are predictable. */
#define _XOPEN_SOURCE 700
#include "check_admin.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8")) {
        fprintf(stderr, "check_admin: no UTF-8 locale (C.UTF-8) available\n");
        return 1;
    }
    setenv("TZ", "UTC", 1);
    tzset();
    SRunner *sr = srunner_create(evlog_suite());
    srunner_add_suite(sr, roster_suite());
    srunner_add_suite(sr, bar_suite());
    srunner_add_suite(sr, acmd_suite());
    srunner_add_suite(sr, dash_suite());
    srunner_add_suite(sr, sock_suite());
    srunner_add_suite(sr, link_suite());
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

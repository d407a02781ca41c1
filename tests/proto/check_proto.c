/* Runs every proto suite in one SRunner; exit status 0 only when all pass.
 * CK_VERBOSITY=verbose lists each test; CK_FORK=no runs them under gdb.
 * Test case names start with their suite's name and a '-', which lets us
 * print one summary line per suite after Check's overall one. */
#include "check_proto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const suite_names[] = {"linebuf", "utf8",  "sanitize", "msg",        "cmd",
                                          "telnet",  "admin", "room",     "fingerprint"};

static void print_per_suite(SRunner *sr)
{
    TestResult **results = srunner_results(sr);
    int n = srunner_ntests_run(sr);

    for (size_t s = 0; s < sizeof suite_names / sizeof suite_names[0]; s++) {
        size_t len = strlen(suite_names[s]);
        int run = 0, failed = 0;
        for (int i = 0; i < n; i++) {
            const char *tc = tr_tcname(results[i]);
            if (strncmp(tc, suite_names[s], len) != 0 || tc[len] != '-')
                continue;
            run++;
            if (tr_rtype(results[i]) != CK_PASS)
                failed++;
        }
        printf("suite %s: %d checks, %d failed\n", suite_names[s], run, failed);
    }
    free(results);
}

int main(void)
{
    SRunner *sr = srunner_create(linebuf_suite());
    srunner_add_suite(sr, utf8_suite());
    srunner_add_suite(sr, sanitize_suite());
    srunner_add_suite(sr, msg_suite());
    srunner_add_suite(sr, cmd_suite());
    srunner_add_suite(sr, telnet_suite());
    srunner_add_suite(sr, admin_suite());
    srunner_add_suite(sr, room_suite());
    srunner_add_suite(sr, fingerprint_suite());
    srunner_run_all(sr, CK_ENV);
    print_per_suite(sr);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* The server core's unit tests: one runner over every suite. */
#include <signal.h>
#include <stdlib.h>

#include "fixture.h"

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as the server itself does */
    SRunner *sr = srunner_create(outq_suite());
    srunner_add_suite(sr, history_suite());
    srunner_add_suite(sr, registry_suite());
    srunner_add_suite(sr, session_suite());
    srunner_add_suite(sr, commands_suite());
    srunner_add_suite(sr, io_suite());
    srunner_add_suite(sr, access_suite());
    srunner_add_suite(sr, resume_suite());
    srunner_add_suite(sr, history_limits_suite());
    srunner_add_suite(sr, transcript_suite());
    srunner_add_suite(sr, transcript_rooms_suite());
    srunner_add_suite(sr, moderation_suite());
    srunner_add_suite(sr, nickhold_suite());
    srunner_add_suite(sr, log_suite());
    srunner_add_suite(sr, peers_suite());
    srunner_add_suite(sr, control_suite());
    srunner_add_suite(sr, trace_suite());
    srunner_add_suite(sr, rooms_suite());
    srunner_add_suite(sr, direct_suite());
    srunner_add_suite(sr, cluster_suite());
    srunner_add_suite(sr, tlscert_suite());
    srunner_add_suite(sr, xport_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

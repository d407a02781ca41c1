/* link: lines over a socket (a socketpair here): framed on the way in
 * whatever the pieces, queued and flushed on the way out, EOF said, a
 * line too long refused before anything is queued. */
#define _POSIX_C_SOURCE 200809L
#include "check_admin.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"
#include "link.h"

static struct link l;
static int peer;
static char got[8][64];
static size_t ngot;

static void setup(void)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    link_init(&l);
    l.fd = sv[0];
    ck_assert_int_eq(fcntl(l.fd, F_SETFL, O_NONBLOCK), 0);
    peer = sv[1];
    ngot = 0;
}

static void teardown(void)
{
    link_close(&l);
    linebuf_free(&l.in);
    if (peer >= 0)
        close(peer);
}

static void on_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    ck_assert_uint_lt(ngot, 8);
    snprintf(got[ngot++], sizeof(got[0]), "%.*s", (int)len, line);
}

START_TEST(test_lines_in)
{
    char err[128];
    ck_assert_int_eq(write(peer, "OUT one\nOK", 10), 10);
    ck_assert_int_eq(link_read(&l, on_line, NULL, err, sizeof(err)), 0);
    ck_assert_uint_eq(ngot, 1);
    ck_assert_str_eq(got[0], "OUT one");
    ck_assert_int_eq(write(peer, " done\r\nEVENT", 12), 12);
    ck_assert_int_eq(link_read(&l, on_line, NULL, err, sizeof(err)), 0);
    ck_assert_uint_eq(ngot, 2);
    ck_assert_str_eq(got[1], "OK done"); /* the CR is not part of it */
    shutdown(peer, SHUT_WR);
    ck_assert_int_eq(link_read(&l, on_line, NULL, err, sizeof(err)), 1);
    ck_assert_uint_eq(ngot, 2); /* a line without its LF is not a line */
}
END_TEST

START_TEST(test_lines_out)
{
    char err[128], buf[64];
    ck_assert_int_eq(link_send(&l, "who", err, sizeof(err)), 0);
    ck_assert_int_eq(link_send(&l, "kick bob", err, sizeof(err)), 0);
    ck_assert(link_wants_write(&l));
    ck_assert_int_eq(link_flush(&l, err, sizeof(err)), 0);
    ck_assert(!link_wants_write(&l));
    ssize_t n = read(peer, buf, sizeof(buf));
    ck_assert_int_eq(n, 13);
    ck_assert_int_eq(memcmp(buf, "who\nkick bob\n", 13), 0);
}
END_TEST

START_TEST(test_too_long)
{
    char err[128];
    static char line[ADMIN_LINE_MAX + 1];
    memset(line, 'x', sizeof(line) - 1);
    ck_assert_int_eq(link_send(&l, line, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "command too long (8192 bytes, at most 8191)");
    ck_assert(!link_wants_write(&l)); /* nothing half queued */
}
END_TEST

START_TEST(test_peer_gone)
{
    char err[128];
    close(peer);
    peer = -1;
    ck_assert_int_eq(link_send(&l, "who", err, sizeof(err)), 0);
    ck_assert_int_eq(link_flush(&l, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "send: Broken pipe");
}
END_TEST

Suite *link_suite(void)
{
    Suite *s = suite_create("link");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_lines_in);
    tcase_add_test(tc, test_lines_out);
    suite_add_tcase(s, tc);
    TCase *err = tcase_create("errors");
    tcase_add_checked_fixture(err, setup, teardown);
    tcase_add_test(err, test_too_long);
    tcase_add_test(err, test_peer_gone);
    suite_add_tcase(s, err);
    return s;
}

/* log: padding cannot forge a log line. Runs of blanks are collapsed, and
 * on a terminal a line wider than it is broken into marked rows. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

/* The rows of out[0..n), each checked: no wider than width - 1, and every
 * row after the first starts with LOG_CONT. Returns how many. */
static int check_rows(const char *out, size_t n, unsigned width)
{
    int rows = 0;
    const char *p = out, *end = out + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        size_t cols = 0;
        for (const char *q = p; q < e; q++)
            cols += ((unsigned char)*q & 0xc0) != 0x80; /* characters */
        ck_assert_uint_le(cols, width - 1);
        if (rows > 0)
            ck_assert(strncmp(p, LOG_CONT, strlen(LOG_CONT)) == 0);
        rows++;
        p = nl ? nl + 1 : end;
    }
    return rows;
}

START_TEST(test_wrap)
{
    char line[512], out[1024];
    /* A 44-column prefix, as log_event writes for a client, then text
     * padded to fake a second line at a 100-column projector. */
    int n = snprintf(line, sizeof line, "%-44s%s", "15:30:01  127.0.0.1:40312        mallory",
                     "says: ok aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                     "15:30:02  127.0.0.1:40999        alice      says: send me your password");
    size_t w = log_wrap(line, (size_t)n, out, sizeof out, 100);
    ck_assert_uint_gt(w, 0);
    ck_assert_int_ge(check_rows(out, w, 100), 2);
    /* The forged text starts a row only after our mark. */
    const char *forged = strstr(out, "15:30:02");
    ck_assert_ptr_nonnull(forged);
    ck_assert(forged[-1] != '\n');
    /* Everything is still there, in order: only blanks and our marks
     * differ. */
    char a[1024] = "", b[1024] = "";
    size_t na = 0, nb = 0, cl = strlen(LOG_CONT);
    for (int i = 0; i < n; i++)
        if (line[i] != ' ')
            a[na++] = line[i];
    for (size_t i = 0; i < w; i++) {
        if (out[i] == '\n') {
            ck_assert(memcmp(out + i + 1, LOG_CONT, cl) == 0);
            i += cl;
        } else if (out[i] != ' ') {
            b[nb++] = out[i];
        }
    }
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(a, b, na) == 0);

    /* It fits: nothing to do. Too narrow a terminal: left alone. */
    ck_assert_uint_eq(log_wrap("short line", 10, out, sizeof out, 80), 0);
    ck_assert_uint_eq(log_wrap(line, (size_t)n, out, sizeof out, LOG_WRAP_MIN - 1), 0);
    /* No room for the broken form: left as it is. */
    ck_assert_uint_eq(log_wrap(line, (size_t)n, out, 60, 80), 0);
}
END_TEST

START_TEST(test_wrap_wide_characters)
{
    /* CJK takes two columns each: 60 of them are 120 columns. */
    char line[512], out[2048];
    size_t n = 0;
    for (int i = 0; i < 60; i++) {
        memcpy(line + n, "\xe4\xb8\xad", 3);
        n += 3;
    }
    size_t w = log_wrap(line, n, out, sizeof out, 80);
    ck_assert_uint_gt(w, 0);
    /* Rows of at most 79 columns: 39 characters, then 32 after the mark. */
    const char *nl = memchr(out, '\n', w);
    ck_assert_ptr_nonnull(nl);
    ck_assert_uint_eq((size_t)(nl - out), 39 * 3);
    /* Never a character cut in two. */
    for (const char *p = nl + 1 + strlen(LOG_CONT); p < out + w; p += 3)
        ck_assert(memcmp(p, "\xe4\xb8\xad", 3) == 0 || *p == '\n');
}
END_TEST

/* The log as written: blanks collapsed whatever the log is (here a pipe,
 * which is not broken into rows: its width is not known). */
START_TEST(test_log_collapses_padding)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fx_srv.log = logger_start(fds[1]);
    ck_assert_ptr_nonnull(fx_srv.log);
    fx_srv.cfg.quiet = false;
    struct client *eve = fx_framed("eve");
    char msg[400];
    snprintf(msg, sizeof msg, "MSG 1 ok%200s*** alice left\n", "");
    fx_feed(eve, msg);
    logger_stop(fx_srv.log);
    fx_srv.log = NULL;
    close(fds[1]);
    char buf[8192];
    ssize_t n, got = 0;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += n;
    close(fds[0]);
    buf[got] = '\0';
    ck_assert_msg(strstr(buf, "says: ok   *** alice left\n") != NULL, "%s", buf);
}
END_TEST

Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, test_wrap);
    tcase_add_test(tc, test_wrap_wide_characters);
    tcase_add_test(tc, test_log_collapses_padding);
    suite_add_tcase(s, tc);
    return s;
}

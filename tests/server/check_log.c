/* log: padding cannot forge a log line. Runs of blanks are collapsed, and
 * on a terminal a line wider than it is broken into marked rows. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    fx_srv.log = logger_start(fds[1], NULL);
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

/* What the log writes into a pipe for a server line and a client's
 * message, started with journal_stream (NUL-terminated, static). */
static const char *log_through_pipe(const char *(*stream_of)(int fd))
{
    static char buf[8192];
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    fx_srv.log = logger_start(fds[1], stream_of(fds[1]));
    ck_assert_ptr_nonnull(fx_srv.log);
    fx_srv.cfg.quiet = false;
    log_event(&fx_srv, AEV_INFO, NULL, "server line");
    struct client *eve = fx_framed("eve");
    fx_feed(eve, "MSG 1 hello\n");
    logger_stop(fx_srv.log);
    fx_srv.log = NULL;
    close(fds[1]);
    ssize_t n, got = 0;
    while ((n = read(fds[0], buf + got, sizeof buf - 1 - (size_t)got)) > 0)
        got += n;
    close(fds[0]);
    buf[got] = '\0';
    return buf;
}

/* "DEV:INODE" of fd, as systemd sets JOURNAL_STREAM; with the inode one
 * off when wrong is set: a stream that is not ours. */
static const char *stream_named(int fd, bool wrong)
{
    static char val[64];
    struct stat st;
    ck_assert_int_eq(fstat(fd, &st), 0);
    snprintf(val, sizeof val, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino + (wrong ? 1 : 0));
    return val;
}
static const char *stream_ours(int fd)
{
    return stream_named(fd, false);
}
static const char *stream_other(int fd)
{
    return stream_named(fd, true);
}
static const char *stream_unset(int fd)
{
    (void)fd;
    return NULL;
}

/* Whether line starts with a time of day "HH:MM:SS  ". */
static bool starts_with_time(const char *line)
{
    return isdigit((unsigned char)line[0]) && isdigit((unsigned char)line[1]) && line[2] == ':' &&
           isdigit((unsigned char)line[3]) && isdigit((unsigned char)line[4]) && line[5] == ':' &&
           isdigit((unsigned char)line[6]) && isdigit((unsigned char)line[7]) &&
           strncmp(line + 8, "  ", 2) == 0;
}

/* The journal stamps lines itself: when JOURNAL_STREAM names our stderr,
 * no time and no date line; every line is one event. */
START_TEST(test_journal_leaves_out_time)
{
    const char *out = log_through_pipe(stream_ours);
    ck_assert_msg(strncmp(out, "server line\n", 12) == 0, "%s", out);
    ck_assert_msg(strstr(out, "\n127.0.0.1") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "eve        says: hello\n") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "----") == NULL, "%s", out);
    for (const char *l = out; *l != '\0'; l = strchr(l, '\n') + 1)
        ck_assert_msg(!starts_with_time(l), "%s", out);
}
END_TEST

/* A JOURNAL_STREAM naming another file (inherited by a process whose
 * stderr was redirected), or none: the time and date are written. */
START_TEST(test_journal_other_stream_keeps_time)
{
    const char *(*streams[])(int) = {stream_other, stream_unset};
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        const char *out = log_through_pipe(streams[i]);
        ck_assert_msg(strncmp(out, "---- ", 5) == 0, "%s", out);
        const char *l = strchr(out, '\n') + 1;
        ck_assert_msg(starts_with_time(l) && strncmp(l + 10, "server line\n", 12) == 0, "%s", out);
        l = strchr(l, '\n') + 1;
        ck_assert_msg(starts_with_time(l) && strncmp(l + 10, "127.0.0.1", 9) == 0, "%s", out);
        fx_teardown();
        fx_setup();
    }
}
END_TEST

/* Malformed values name no stream. */
static const char *const bad_streams[] = {
    "", "abc", "1:", ":2", "1:2x", "-1:2", "1;2", "1:2:3", " 1:2", "99999999999999999999999:1",
};

START_TEST(test_journal_bad_values)
{
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert(logger_is_journal(fd, stream_ours(fd)));
    ck_assert(!logger_is_journal(fd, bad_streams[_i]));
    close(fd);
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
    tc = tcase_create("journal");
    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_test(tc, test_journal_leaves_out_time);
    tcase_add_test(tc, test_journal_other_stream_keeps_time);
    tcase_add_loop_test(tc, test_journal_bad_values, 0,
                        (int)(sizeof bad_streams / sizeof bad_streams[0]));
    suite_add_tcase(s, tc);
    return s;
}

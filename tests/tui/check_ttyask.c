/* ttyask: the line client's password prompt on a real pseudo-terminal:
 * the prompt is shown, what is typed is not echoed, the terminal's
 * settings come back as they were, Ctrl-D cancels, an overlong line is
 * refused. A thread plays the user: it types only once the prompt is on
 * the terminal, that is once the echo is off. */
#define _XOPEN_SOURCE 700
#include "check_tui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ttyask.h"

struct user {
    int master;
    const char *typed;
    char seen[4096]; /* everything the terminal showed */
    size_t seen_len;
};

/* Reads what the terminal shows until it holds want (or 5 s pass). */
static bool show_until(struct user *u, const char *want)
{
    for (int i = 0; i < 50; i++) {
        u->seen[u->seen_len] = '\0';
        if (strstr(u->seen, want))
            return true;
        struct pollfd pf = {.fd = u->master, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t r = read(u->master, u->seen + u->seen_len, sizeof(u->seen) - 1 - u->seen_len);
        if (r > 0)
            u->seen_len += (size_t)r;
    }
    u->seen[u->seen_len] = '\0';
    return strstr(u->seen, want) != NULL;
}

static void *user_run(void *arg)
{
    struct user *u = arg;
    if (show_until(u, "pw: ")) {
        size_t n = strlen(u->typed);
        if (write(u->master, u->typed, n) != (ssize_t)n)
            return NULL;
    }
    show_until(u, "\n"); /* the newline's echo, if any: read it too */
    return NULL;
}

static int pty_open(int *slave)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    ck_assert_int_ge(m, 0);
    ck_assert_int_eq(grantpt(m), 0);
    ck_assert_int_eq(unlockpt(m), 0);
    *slave = open(ptsname(m), O_RDWR | O_NOCTTY);
    ck_assert_int_ge(*slave, 0);
    return m;
}

static int ask(const char *typed, char *buf, size_t cap, struct user *u, int *err)
{
    int slave;
    memset(u, 0, sizeof(*u));
    u->master = pty_open(&slave);
    u->typed = typed;
    struct termios before, after;
    ck_assert_int_eq(tcgetattr(slave, &before), 0);
    ck_assert(before.c_lflag & ECHO);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, user_run, u), 0);
    int rc = ttyask_secret(slave, slave, "pw: ", buf, cap);
    *err = errno;
    pthread_join(t, NULL);
    ck_assert_int_eq(tcgetattr(slave, &after), 0);
    ck_assert_int_eq(after.c_lflag, before.c_lflag); /* the echo is back */
    close(slave);
    close(u->master);
    return rc;
}

START_TEST(test_ttyask_no_echo)
{
    char buf[64];
    struct user u;
    int err;
    ck_assert_int_eq(ask("hunter2 x\n", buf, sizeof(buf), &u, &err), 0);
    ck_assert_str_eq(buf, "hunter2 x");
    ck_assert_ptr_nonnull(strstr(u.seen, "pw: "));
    ck_assert_ptr_null(strstr(u.seen, "hunter"));
}
END_TEST

START_TEST(test_ttyask_eof_and_too_long)
{
    char buf[8];
    struct user u;
    int err;
    ck_assert_int_eq(ask("\x04", buf, sizeof(buf), &u, &err), 1); /* Ctrl-D */
    ck_assert_int_eq(ask("12345678\n", buf, sizeof(buf), &u, &err), -1);
    ck_assert_int_eq(err, E2BIG);
    for (size_t i = 0; i < sizeof(buf); i++)
        ck_assert_int_eq(buf[i], 0); /* wiped */
    ck_assert_ptr_null(strstr(u.seen, "1234"));
    ck_assert_int_eq(ask("1234567\n", buf, sizeof(buf), &u, &err), 0);
    ck_assert_str_eq(buf, "1234567");
}
END_TEST

Suite *ttyask_suite(void)
{
    Suite *s = suite_create("ttyask");
    TCase *core = tcase_create("core");
    tcase_set_timeout(core, 20);
    tcase_add_test(core, test_ttyask_no_echo);
    tcase_add_test(core, test_ttyask_eof_and_too_long);
    suite_add_tcase(s, core);
    return s;
}

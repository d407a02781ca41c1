/* ttyask: a line read with the terminal's echo off (see ttyask.h).
 *
 * The echo must come back on whatever happens: a program killed by Ctrl-C
 * while echo is off leaves a shell that does not show what is typed. So
 * the usual stop signals are caught for the duration (without SA_RESTART,
 * so read() returns), the terminal restored, and the signal raised again
 * with the handler the program had before. */
#define _POSIX_C_SOURCE 200809L
#include "ttyask.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "secret.h"

static const int ttyask_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
enum { TTYASK_NSIG = sizeof(ttyask_signals) / sizeof(*ttyask_signals) };

/* The one signal caught while reading; only this file's handler sets it. */
static volatile sig_atomic_t ttyask_caught;

static void ttyask_on_signal(int sig)
{
    ttyask_caught = sig;
}

static void write_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* a prompt that cannot be shown does not stop the read */
        s += w;
        n -= (size_t)w;
    }
}

static int catch_signals(struct sigaction saved[TTYASK_NSIG])
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = ttyask_on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < TTYASK_NSIG; i++)
        if (sigaction(ttyask_signals[i], &sa, &saved[i]) < 0)
            return -1;
    return 0;
}

static void restore_signals(const struct sigaction saved[TTYASK_NSIG])
{
    for (int i = 0; i < TTYASK_NSIG; i++)
        sigaction(ttyask_signals[i], &saved[i], NULL);
}

/* Echo off for the line; the newline the user types is still echoed, so
 * the next output starts on a line of its own. */
static int quiet(int fd, const struct termios *was)
{
    struct termios t = *was;
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
    t.c_lflag |= ECHONL | ICANON;
    /* TCSANOW, not TCSAFLUSH: lines typed ahead are chat, not to be lost. */
    return tcsetattr(fd, TCSANOW, &t);
}

/* Catches the signals and turns the echo off; -1 (errno set, nothing
 * changed) when either fails. */
static int begin(int fd, const struct termios *was, struct sigaction *saved)
{
    ttyask_caught = 0;
    if (catch_signals(saved) < 0 || quiet(fd, was) < 0) {
        int e = errno;
        restore_signals(saved);
        errno = e;
        return -1;
    }
    return 0;
}

/* Stop with the echo on, as the shell expects; after fg, ask again (the
 * characters typed so far are kept). */
static void suspend(int in_fd, int out_fd, const struct termios *was, const char *prompt)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    struct sigaction mine;
    sigaction(SIGTSTP, &dfl, &mine);
    write_all(out_fd, "\n");
    raise(SIGTSTP);
    sigaction(SIGTSTP, &mine, NULL);
    quiet(in_fd, was);
    write_all(out_fd, prompt);
}

int ttyask_secret(int in_fd, int out_fd, const char *prompt, char *buf, size_t cap)
{
    struct termios was;
    struct sigaction saved[TTYASK_NSIG];
    if (cap == 0 || tcgetattr(in_fd, &was) < 0)
        return -1;
    if (begin(in_fd, &was, saved) < 0)
        return -1;
    write_all(out_fd, prompt);
    size_t len = 0;
    bool too_long = false;
    int rc = 0, err = 0;
    for (;;) {
        char ch;
        /* A signal that came between two reads interrupted none. */
        ssize_t r = -1;
        errno = EINTR;
        if (ttyask_caught == 0)
            r = read(in_fd, &ch, 1);
        if (r == 1) {
            if (ch == '\n')
                break;
            if (len + 1 < cap)
                buf[len++] = ch;
            else
                too_long = true;
            continue;
        }
        if (r == 0) {
            rc = len == 0 && !too_long ? 1 : 0; /* Ctrl-D */
            if (rc == 1)
                write_all(out_fd, "\n");
            break;
        }
        if (errno != EINTR) {
            rc = -1;
            err = errno;
            break;
        }
        int sig = ttyask_caught;
        ttyask_caught = 0;
        if (sig == 0)
            continue;
        tcsetattr(in_fd, TCSANOW, &was);
        if (sig == SIGTSTP) {
            suspend(in_fd, out_fd, &was, prompt);
            continue;
        }
        write_all(out_fd, "\n");
        restore_signals(saved);
        secret_wipe(buf, cap);
        raise(sig); /* as if it had come a moment later */
        errno = EINTR;
        return -1;
    }
    tcsetattr(in_fd, TCSANOW, &was);
    restore_signals(saved);
    buf[len] = '\0';
    if (rc == 0 && too_long) {
        secret_wipe(buf, cap);
        errno = E2BIG;
        return -1;
    }
    if (rc < 0) {
        secret_wipe(buf, cap);
        errno = err;
    }
    return rc;
}

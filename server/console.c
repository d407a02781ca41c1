/* console: the operator's commands, typed on the server's terminal.
 *
 * That terminal is shared with the shell that started the server, and a
 * server started as a background job (`sockchat-server &`) must go on
 * serving while the shell reads it. So the console reads only while the
 * server is the terminal's foreground process group (tcgetpgrp), and never
 * blocks:
 * - It reads its own descriptor of the terminal, opened again by name with
 *   O_NONBLOCK. O_NONBLOCK on fd 0 would be set on the open file description
 *   shared with the shell and every other program on that terminal: some
 *   would then fail with EAGAIN, and bash clears it again when it sees that,
 *   which would make our reads blocking behind our back. A description of our
 *   own is non-blocking for us alone, and there is nothing to restore at exit.
 * - In the background it leaves the terminal out of poll: poll says readable
 *   whenever the shell's input is pending, which would spin. Instead it looks
 *   again every CONSOLE_RECHECK_MS for a `fg`.
 * - SIGTTIN and SIGTTOU are ignored (main.c): a read that races a move to
 *   the background fails with EIO instead of stopping the whole server.
 * - At end of input, or an error, it turns itself off and says so. */
#include "server.h"
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "sanitize.h"

void console_init(struct console *con)
{
    con->enabled = false;
    con->foreground = false;
    con->fd = -1;
    con->look_ms = 0;
    linebuf_init(&con->lb, LINE_MAX_BYTES);
}

void console_free(struct console *con)
{
    if (con->fd >= 0)
        close(con->fd);
    con->fd = -1;
    linebuf_free(&con->lb);
}

static void console_off(struct server *srv, struct console *con, const char *why,
                        const char *errtext)
{
    con->enabled = false;
    log_event(srv, AEV_INFO, NULL, "console closed (%s%s%s); the server keeps running%s", why,
              errtext ? ": " : "", errtext ? errtext : "", errtext ? "" : ", Ctrl-C stops it");
}

/* 1: the server is the terminal's foreground process group; 0: a background
 * job; -1 (errno set): the terminal is no longer ours (hung up, or the
 * session that owned it ended). */
static int console_in_foreground(const struct console *con)
{
    pid_t fg = tcgetpgrp(con->fd);
    if (fg < 0)
        return -1;
    return fg == getpgrp();
}

/* Looks whether we are in the foreground; says so when that changed. */
static void console_look(struct server *srv, struct console *con)
{
    int fg = console_in_foreground(con);
    if (fg < 0) {
        console_off(srv, con, "the terminal is gone", strerror(errno));
        return;
    }
    if (fg && !con->foreground)
        log_event(srv, AEV_INFO, NULL, "console: in the foreground; type help for commands");
    else if (!fg && con->foreground)
        log_event(srv, AEV_INFO, NULL, "console: in the background; it reads again after fg");
    con->foreground = fg != 0;
    con->look_ms = server_now_ms(srv) + CONSOLE_RECHECK_MS;
}

void console_start(struct server *srv, struct console *con)
{
    if (!isatty(STDIN_FILENO))
        return; /* a pipe, /dev/null (nohup, systemd): no console, nothing to say */
    /* Only our controlling terminal tells us when it is ours to read. Under
     * setsid(1), stdin is still the shell's terminal: reading it would take
     * lines typed to the shell. */
    if (tcgetpgrp(STDIN_FILENO) < 0) {
        log_event(srv, AEV_INFO, NULL,
                  "no console: stdin is a terminal but not this process's own "
                  "(started with setsid?)");
        return;
    }
    char name[PATH_MAX];
    const char *path = ttyname_r(STDIN_FILENO, name, sizeof name) == 0 ? name : "/proc/self/fd/0";
    con->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (con->fd < 0) {
        log_event(srv, AEV_INFO, NULL, "no console: open %s: %s", path, strerror(errno));
        return;
    }
    con->enabled = true;
    con->foreground = false;
    int fg = console_in_foreground(con);
    if (fg < 0) {
        console_off(srv, con, "the terminal is gone", strerror(errno));
        return;
    }
    con->foreground = fg != 0;
    con->look_ms = server_now_ms(srv) + CONSOLE_RECHECK_MS;
    log_event(srv, AEV_INFO, NULL, "%s",
              con->foreground ? "console: type help for commands"
                              : "console: in the background; it reads once in the "
                                "foreground (fg)");
}

int console_fd(struct server *srv, struct console *con)
{
    if (con->enabled && !con->foreground && server_now_ms(srv) >= con->look_ms)
        console_look(srv, con);
    return con->enabled && con->foreground ? con->fd : -1;
}

int console_timeout(struct server *srv, const struct console *con, int timeout_ms)
{
    if (!con->enabled || con->foreground)
        return timeout_ms;
    int64_t left = con->look_ms - server_now_ms(srv);
    if (left < 0)
        left = 0;
    return timeout_ms >= 0 && timeout_ms < left ? timeout_ms : (int)left;
}

struct console_seat {
    struct server *srv;
    FILE *out;
};

static void console_print(void *arg, enum control_line kind, const char *text)
{
    (void)kind; /* the terminal shows every line of an answer alike */
    const struct console_seat *cs = arg;
    fprintf(cs->out, "%s\n", text);
}

bool console_run(struct server *srv, const char *line, FILE *out)
{
    struct console_seat cs = {srv, out};
    /* What an action did is shown here, and logged unless the log is this
     * same terminal (stderr not redirected), where the operator would read
     * it twice; the admins hear of it either way. */
    int fd = fileno(out);
    struct control_seat seat = {
        .line = console_print,
        .arg = &cs,
        .who = NULL,
        .log_is_seat = fd >= 0 && logger_same_file(srv->log, fd),
    };
    enum control_result r = control_run(srv, line, &seat);
    fflush(out);
    return r == CONTROL_QUIT;
}

bool console_readable(struct server *srv, struct console *con)
{
    if (!con->enabled)
        return false;
    /* Readable while the shell has moved us to the background (Ctrl-Z, bg):
     * that input is the shell's. */
    console_look(srv, con);
    if (!con->enabled || !con->foreground)
        return false;
    char data[1024];
    ssize_t n = read(con->fd, data, sizeof data);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR)
            return false;
        int err = errno;
        /* EIO: moved to the background between the look and the read. */
        if (err == EIO && console_in_foreground(con) == 0) {
            console_look(srv, con);
            return false;
        }
        console_off(srv, con, "read error", strerror(err));
        return false;
    }
    if (n == 0) {
        /* Ctrl-D, or the terminal went away: keep serving, and say so (a
         * teacher who pressed Ctrl-D to quit must not think it stopped). */
        console_off(srv, con, "end of input", NULL);
        return false;
    }
    size_t len = (size_t)n;
    const char *p = data;
    while (len > 0) {
        size_t used;
        char *line;
        size_t llen;
        enum linebuf_status st = linebuf_feed(&con->lb, p, len, &used, &line, &llen);
        p += used;
        len -= used;
        if (st == LINEBUF_LINE && console_run(srv, line, stdout))
            return true;
        if (st == LINEBUF_NEED_MORE || st == LINEBUF_NOMEM)
            break;
    }
    return false;
}

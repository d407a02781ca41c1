/* main: sockchat-admin's options, the socket's path, the first attach;
 * then the dashboard (dloop.c) or the line mode (plain.c). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "aapp.h"
#include "admin.h"
#include "sock.h"
#include "text.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sockchat-admin [PORT | --socket PATH] [--plain] [--no-color]\n"
            "\n"
            "Attaches to a running sockchat-server on this machine through its admin\n"
            "socket: a dashboard of who is connected, what happens, and the operator's\n"
            "commands (who, kick, mute, ban, say ...). Detaching (q) leaves it running.\n"
            "\n"
            "  PORT           the server's port (default %d): the socket is\n"
            "                 $XDG_RUNTIME_DIR/sockchat/PORT.sock, else\n"
            "                 /tmp/sockchat-UID/PORT.sock, as the server makes it\n"
            "  --socket PATH  the admin socket at PATH (the server's --admin PATH)\n"
            "  --plain        line mode for scripts: commands from stdin, the server's\n"
            "                 events and answers on stdout, one per line (also when\n"
            "                 stdin or stdout is not a terminal); exits after stdin\n"
            "                 ends and the last command is answered\n"
            "  --no-color     no colours (so does a non-empty NO_COLOR)\n"
            "  --help, --version\n"
            "\n"
            "Exit: 0 detached or done; 69 no server there; 77 permission denied;\n"
            "76 not a sockchat admin socket; 64 bad usage.\n",
            ADMIN_DEFAULT_PORT);
}

static int parse_port(const char *s, unsigned *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0 || v > 65535 || s[0] == '-' || s[0] == '+')
        return -1;
    *port = (unsigned)v;
    return 0;
}

int64_t aapp_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long aapp_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int aapp_fail(const struct aopts *o, enum sock_fail fail, const char *err)
{
    switch (fail) {
    case SOCK_NONE:
        if (o->port[0])
            fprintf(stderr,
                    "sockchat-admin: no server on port %s (%s): is sockchat-server running? "
                    "start it, or give --socket\n",
                    o->port, err);
        else
            fprintf(stderr, "sockchat-admin: no server at --socket %s (%s)\n", o->path, err);
        return EX_UNAVAILABLE;
    case SOCK_DENIED:
        fprintf(stderr, "sockchat-admin: %s\n", err);
        return EX_NOPERM;
    case SOCK_OTHER:
    default:
        fprintf(stderr, "sockchat-admin: cannot attach: %s\n", err);
        return EX_UNAVAILABLE;
    }
}

int aapp_greet(const struct aopts *o, struct link *l, const struct attach *at, link_line_fn *fn,
               void *ctx)
{
    long long end = aapp_mono_ms() + GREET_TIMEOUT_MS;
    char err[256];
    while (at->state == ATTACH_CONNECTING) {
        long long left = end - aapp_mono_ms();
        if (left <= 0) {
            fprintf(stderr,
                    "sockchat-admin: %s: no greeting within %d s: not a sockchat admin "
                    "socket, or a server too busy to answer\n",
                    o->path, GREET_TIMEOUT_MS / 1000);
            return EX_PROTOCOL;
        }
        struct pollfd p = {.fd = l->fd, .events = POLLIN};
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "sockchat-admin: poll: %s\n", strerror(errno));
            return EX_OSERR;
        }
        if (n <= 0)
            continue;
        /* fn sees every line: a mismatch or a BYE ends the wait below. */
        int r = link_read(l, fn, ctx, err, sizeof(err));
        if (at->why[0] && at->state == ATTACH_CONNECTING) {
            if (at->mismatch) {
                fprintf(stderr, "sockchat-admin: %s: not a sockchat admin socket (%s)\n", o->path,
                        at->why);
                return EX_PROTOCOL;
            }
            fprintf(stderr, "sockchat-admin: the server refused: %s\n", at->why);
            return strcmp(at->why, "not allowed") == 0 ? EX_NOPERM : EX_UNAVAILABLE;
        }
        if (r != 0 && at->state == ATTACH_CONNECTING) {
            fprintf(stderr, "sockchat-admin: %s: the server closed before its greeting%s%s\n",
                    o->path, r < 0 ? ": " : "", r < 0 ? err : "");
            return EX_UNAVAILABLE;
        }
    }
    return 0;
}

/* The socket's path from PORT or --socket PATH into o; an exit code when
 * they are wrong (said on stderr), else 0. */
static int resolve_path(struct aopts *o, const char *port_arg, const char *socket_path)
{
    if (socket_path && port_arg) {
        fprintf(stderr, "sockchat-admin: give a PORT or --socket PATH, not both\n");
        return EX_USAGE;
    }
    if (socket_path) {
        if (snprintf(o->path, sizeof(o->path), "%s", socket_path) >= (int)sizeof(o->path)) {
            fprintf(stderr, "sockchat-admin: --socket: path too long: %s\n", socket_path);
            return EX_USAGE;
        }
        return 0;
    }
    unsigned port = ADMIN_DEFAULT_PORT;
    if (port_arg && parse_port(port_arg, &port) < 0) {
        fprintf(stderr, "sockchat-admin: bad port: %s (1-65535)\n", port_arg);
        return EX_USAGE;
    }
    snprintf(o->port, sizeof(o->port), "%u", port);
    if (admin_default_path(o->path, sizeof(o->path), port, getenv("XDG_RUNTIME_DIR"),
                           (unsigned)geteuid()) < 0) {
        fprintf(stderr, "sockchat-admin: XDG_RUNTIME_DIR too long for a socket path\n");
        return EX_USAGE;
    }
    return 0;
}

/* argv into o. -1: go on; else the exit code (--help, --version, a
 * usage error said on stderr). */
static int parse_args(int argc, char **argv, struct aopts *o)
{
    const char *socket_path = NULL, *port_arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("sockchat-admin %s\n", SOCKCHAT_VERSION);
            return 0;
        } else if (strcmp(a, "--plain") == 0) {
            o->plain = true;
        } else if (strcmp(a, "--no-color") == 0) {
            o->color = false;
        } else if (strcmp(a, "--socket") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sockchat-admin: --socket needs a PATH\n");
                return EX_USAGE;
            }
            socket_path = argv[++i];
        } else if (strncmp(a, "--socket=", 9) == 0) {
            socket_path = a + 9;
        } else if (a[0] != '-' && port_arg == NULL) {
            port_arg = a;
        } else {
            fprintf(stderr, "sockchat-admin: unknown argument: %s (see --help)\n", a);
            return EX_USAGE;
        }
    }
    int rc = resolve_path(o, port_arg, socket_path);
    return rc ? rc : -1;
}

int main(int argc, char **argv)
{
    struct aopts o;
    memset(&o, 0, sizeof(o));
    o.color = true;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    const char *nc = getenv("NO_COLOR");
    if (nc && nc[0])
        o.color = false;
    /* A pipe on either side is a script (`echo who | sockchat-admin`). */
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        o.plain = true;

    setlocale(LC_ALL, "");
    /* Nicks and chat are UTF-8: decode them as such even under LANG=C,
     * and show '?' for what the terminal's locale cannot draw. */
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    if (!utf8 && setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "");
    text_set_ascii(!utf8);

    struct link l;
    link_init(&l);
    enum sock_fail fail;
    char err[512];
    if (link_open(&l, o.path, &fail, err, sizeof(err)) < 0)
        return aapp_fail(&o, fail, err);
    rc = o.plain ? plain_run(&o, &l) : dloop_run(&o, &l);
    link_close(&l);
    linebuf_free(&l.in);
    return rc;
}

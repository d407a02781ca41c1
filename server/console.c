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
    log_event(srv, NULL, "console closed (%s%s%s); the server keeps running%s", why,
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
        log_event(srv, NULL, "console: in the foreground; type help for commands");
    else if (!fg && con->foreground)
        log_event(srv, NULL, "console: in the background; it reads again after fg");
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
        log_event(srv, NULL,
                  "no console: stdin is a terminal but not this process's own "
                  "(started with setsid?)");
        return;
    }
    char name[PATH_MAX];
    const char *path = ttyname_r(STDIN_FILENO, name, sizeof name) == 0 ? name : "/proc/self/fd/0";
    con->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (con->fd < 0) {
        log_event(srv, NULL, "no console: open %s: %s", path, strerror(errno));
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
    log_event(srv, NULL, "%s",
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

static void console_line(void *arg, const char *line)
{
    fprintf((FILE *)arg, "%s\n", line);
}

/* What an action did: on the console, and in the log unless the log is
 * that same terminal (stderr not redirected), where the operator would
 * read it twice. Errors and listings are the console's only. */
static void console_done(struct server *srv, FILE *out, const char *text)
{
    fprintf(out, "%s\n", text);
    int fd = fileno(out);
    if (fd < 0 || !logger_same_file(srv->log, fd))
        log_event(srv, NULL, "operator: %s", text);
}

typedef bool console_fn(struct server *srv, const char *args, FILE *out);

static bool con_who(struct server *srv, const char *args, FILE *out)
{
    (void)args;
    registry_who(srv, NULL, server_now_ms(srv), 1000, console_line, out);
    return false;
}

static bool con_stats(struct server *srv, const char *args, FILE *out)
{
    (void)args;
    struct stats_view v;
    server_stats(srv, &v);
    char up[32];
    format_duration(up, sizeof up, v.up_ms);
    fprintf(out,
            "mode %s, up %s, %u client%s now (%u in the room), %llu served, %llu message%s, "
            "%llu bytes in, %llu bytes out\n",
            v.mode, up, v.clients, plural_s(v.clients), v.room, v.served, v.messages,
            plural_s(v.messages), v.bytes_in, v.bytes_out);
    fprintf(out, "addresses remembered: %u (at most %u; --max-per-addr %u)\n",
            peers_count(&srv->acc.peers), srv->acc.peers.max_entries, srv->cfg.max_per_addr);
    return false;
}

static bool con_say(struct server *srv, const char *args, FILE *out)
{
    char text[TEXT_MAX + 1], done[TEXT_MAX + 32];
    sanitize_text(text, sizeof text, args, strlen(args));
    if (text[0] == '\0') {
        fprintf(out, "usage: say TEXT\n");
        return false;
    }
    registry_notice(srv, text);
    snprintf(done, sizeof done, "notice sent: %s", text);
    console_done(srv, out, done);
    return false;
}

/* kick, ban, mute: parsed by moderation.c, done by operator.c. */
static void con_sanction(struct server *srv, enum mod_kind kind, const char *args, FILE *out)
{
    struct mod_request rq;
    char msg[512];
    if (mod_parse_request(kind, args, &rq, msg, sizeof msg) < 0 ||
        operator_act(srv, &rq, msg, sizeof msg) < 0)
        fprintf(out, "%s\n", msg);
    else
        console_done(srv, out, msg);
}

static bool con_kick(struct server *srv, const char *args, FILE *out)
{
    con_sanction(srv, MOD_KICK, args, out);
    return false;
}

static bool con_ban(struct server *srv, const char *args, FILE *out)
{
    con_sanction(srv, MOD_BAN, args, out);
    return false;
}

static bool con_mute(struct server *srv, const char *args, FILE *out)
{
    con_sanction(srv, MOD_MUTE, args, out);
    return false;
}

/* unban, unmute: one word, a nick or an address. */
static void con_lift(struct server *srv, unsigned mask, const char *usage, const char *args,
                     FILE *out)
{
    const char *word;
    size_t len;
    char who[MOD_TARGET_MAX], msg[256];
    if (!cmd_next_word(&args, &word, &len) || *args != '\0' || len >= sizeof who) {
        fprintf(out, "usage: %s\n", usage);
        return;
    }
    memcpy(who, word, len);
    who[len] = '\0';
    if (operator_lift(srv, mask, who, msg, sizeof msg) < 0)
        fprintf(out, "%s\n", msg);
    else
        console_done(srv, out, msg);
}

static bool con_unban(struct server *srv, const char *args, FILE *out)
{
    con_lift(srv, MOD_KICK | MOD_BAN, "unban NICK|ADDR[/BITS]", args, out);
    return false;
}

static bool con_unmute(struct server *srv, const char *args, FILE *out)
{
    con_lift(srv, MOD_MUTE, "unmute NICK", args, out);
    return false;
}

static bool con_bans(struct server *srv, const char *args, FILE *out)
{
    (void)args;
    mod_list(&srv->mod, server_now_ms(srv), console_line, out);
    return false;
}

static bool con_help(struct server *srv, const char *args, FILE *out);

static bool con_quit(struct server *srv, const char *args, FILE *out)
{
    (void)srv;
    (void)args;
    (void)out;
    return true;
}

/* One table drives dispatch and help. */
static const struct {
    const char *name;
    const char *usage;
    const char *help; /* a second line after a '\n' */
    console_fn *run;
} CONSOLE_CMDS[] = {
    {"who", "who", "who is connected", con_who},
    {"stats", "stats", "server statistics", con_stats},
    {"say", "say TEXT", "a notice to everyone", con_say},
    {"kick", "kick NICK [DURATION] [REASON]",
     "disconnect someone and keep them out for DURATION\n(default 5m; 30s, 10m, 2h, 1d)", con_kick},
    {"ban", "ban NICK|ADDR[/BITS] [REASON]",
     "keep a person or an address out until unban;\na person is known by session token and nick",
     con_ban},
    {"unban", "unban NICK|ADDR[/BITS]", "end a ban or a kick", con_unban},
    {"mute", "mute NICK [DURATION] [REASON]",
     "they read but cannot write (until unmute,\nor for DURATION)", con_mute},
    {"unmute", "unmute NICK", "let them write again", con_unmute},
    {"bans", "bans", "bans, kicks and mutes in force, with time left", con_bans},
    {"help", "help", "this list", con_help},
    {"quit", "quit", "shut the server down (as Ctrl-C)", con_quit},
};

static bool con_help(struct server *srv, const char *args, FILE *out)
{
    (void)srv;
    (void)args;
    fputs("operator commands:\n", out);
    for (size_t i = 0; i < sizeof CONSOLE_CMDS / sizeof CONSOLE_CMDS[0]; i++) {
        const char *help = CONSOLE_CMDS[i].help, *nl = strchr(help, '\n');
        const char *usage = CONSOLE_CMDS[i].usage;
        int w = 31;
        if ((int)strlen(usage) > w) { /* its help on lines of its own */
            fprintf(out, "  %s\n", usage);
            usage = "";
        }
        if (nl == NULL) {
            fprintf(out, "  %-*s %s\n", w, usage, help);
        } else {
            fprintf(out, "  %-*s %.*s\n", w, usage, (int)(nl - help), help);
            fprintf(out, "  %-*s %s\n", w, "", nl + 1);
        }
    }
    fputs("On a shared machine or behind one NAT everyone has the same address:\n"
          "ban NICK there, not ban ADDR.\n",
          out);
    return false;
}

bool console_run(struct server *srv, const char *line, FILE *out)
{
    struct cmd c;
    char buf[LINE_MAX_BYTES + 2];

    /* Same splitter as the chat commands; the leading '/' is optional. */
    snprintf(buf, sizeof buf, "%s%s", line[0] == '/' ? "" : "/", line);
    if (line[strspn(line, " ")] == '\0')
        return false;
    bool quit = false, known = false;
    if (cmd_parse(buf, &c)) {
        for (size_t i = 0; i < sizeof CONSOLE_CMDS / sizeof CONSOLE_CMDS[0] && !known; i++) {
            if (cmd_is(&c, CONSOLE_CMDS[i].name)) {
                known = true;
                quit = CONSOLE_CMDS[i].run(srv, c.args, out);
            }
        }
        if (!known) {
            char name[SANITIZE_CAP(32)];
            sanitize_text(name, sizeof name, c.name, c.name_len > 31 ? 31 : c.name_len);
            fprintf(out, "unknown command %s (try help)\n", name);
        }
    } else {
        fprintf(out, "unknown command (try help)\n");
    }
    fflush(out);
    return quit;
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

/* console: the operator's commands, typed on the server's terminal. */
#include "server.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sanitize.h"

void console_init(struct console *con, bool enabled)
{
    con->enabled = enabled;
    linebuf_init(&con->lb, LINE_MAX_BYTES);
}

void console_free(struct console *con)
{
    linebuf_free(&con->lb);
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
    pthread_mutex_lock(&srv->reg_lock);
    unsigned now = srv->nclients, room = srv->nroom;
    pthread_mutex_unlock(&srv->reg_lock);
    char up[32];
    format_duration(up, sizeof up, server_now_ms(srv) - srv->started_ms);
    fprintf(out,
            "mode %s, up %s, %u clients now (%u in the room), %llu served, %llu messages, "
            "%llu bytes in, %llu bytes out\n",
            mode_name(srv->cfg.mode), up, now, room,
            (unsigned long long)atomic_load(&srv->st.served),
            (unsigned long long)atomic_load(&srv->st.messages),
            (unsigned long long)atomic_load(&srv->st.bytes_in),
            (unsigned long long)atomic_load(&srv->st.bytes_out));
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
    char data[1024];
    ssize_t n = read(STDIN_FILENO, data, sizeof data);
    if (n < 0)
        return false;
    if (n == 0) {
        /* Ctrl-D, or the terminal went away: keep serving, and say so (a
         * teacher who pressed Ctrl-D to quit must not think it stopped). */
        con->enabled = false;
        log_event(srv, NULL,
                  "console closed (end of input); the server keeps running, "
                  "Ctrl-C stops it");
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

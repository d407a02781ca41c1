/* control: the operator's commands, for every seat. One table drives
 * dispatch and help; each command writes its answer a line at a time
 * through the seat's callback, and what an action did is also an event
 * (the log's "operator: ..." line, and the admins' `operator` EVENT). */
#include "control.h"
#include "tracelog.h"

#include <stdarg.h>
#include <string.h>

#include "sanitize.h"

/* One line of the answer, formatted. */
__attribute__((format(printf, 3, 4))) static void
control_say(const struct control_seat *seat, enum control_line kind, const char *fmt, ...)
{
    char text[LINE_MAX_BYTES + 128];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    seat->line(seat->arg, kind, text);
}

static void control_listing(void *arg, const char *line)
{
    const struct control_seat *seat = arg;
    seat->line(seat->arg, CONTROL_TEXT, line);
}

/* What an action did: to the seat, and as an event. */
static enum control_result control_done(struct server *srv, const struct control_seat *seat,
                                        const char *text)
{
    seat->line(seat->arg, CONTROL_DONE, text);
    unsigned ev = AEV_OPERATOR | (seat->log_is_seat ? LOG_ADMINS_ONLY : 0);
    if (seat->who != NULL)
        log_event(srv, ev, NULL, "operator (%s): %s", seat->who, text);
    else
        log_event(srv, ev, NULL, "operator: %s", text);
    return CONTROL_OK;
}

static enum control_result control_fail(const struct control_seat *seat, const char *text)
{
    seat->line(seat->arg, CONTROL_FAIL, text);
    return CONTROL_ERR;
}

typedef enum control_result control_fn(struct server *srv, const char *args,
                                       const struct control_seat *seat);

static enum control_result ctl_who(struct server *srv, const char *args,
                                   const struct control_seat *seat)
{
    (void)args;
    registry_who(srv, NULL, true, server_now_ms(srv), 1000, control_listing, (void *)seat);
    return CONTROL_OK;
}

static enum control_result ctl_stats(struct server *srv, const char *args,
                                     const struct control_seat *seat)
{
    (void)args;
    struct stats_view v;
    server_stats(srv, &v);
    char up[32];
    format_duration(up, sizeof up, v.up_ms);
    control_say(seat, CONTROL_TEXT,
                "mode %s, up %s, %u client%s now (%u in the room), %llu served, %llu message%s, "
                "%llu bytes in, %llu bytes out",
                v.mode, up, v.clients, plural_s(v.clients), v.room, v.served, v.messages,
                plural_s(v.messages), v.bytes_in, v.bytes_out);
    control_say(seat, CONTROL_TEXT, "addresses remembered: %u (at most %u; --max-per-addr %u)",
                peers_count(&srv->acc.peers), srv->acc.peers.max_entries, srv->cfg.max_per_addr);
    return CONTROL_OK;
}

static enum control_result ctl_say(struct server *srv, const char *args,
                                   const struct control_seat *seat)
{
    char text[TEXT_MAX + 1], done[TEXT_MAX + 32];
    sanitize_text(text, sizeof text, args, strlen(args));
    if (text[0] == '\0')
        return control_fail(seat, "usage: say TEXT");
    registry_notice(srv, text);
    snprintf(done, sizeof done, "notice sent: %s", text);
    return control_done(srv, seat, done);
}

/* kick, ban, mute: parsed by moderation.c, done by operator.c. */
static enum control_result ctl_sanction(struct server *srv, enum mod_kind kind, const char *args,
                                        const struct control_seat *seat)
{
    struct mod_request rq;
    char msg[512];
    if (mod_parse_request(kind, args, &rq, msg, sizeof msg) < 0 ||
        operator_act(srv, &rq, msg, sizeof msg) < 0)
        return control_fail(seat, msg);
    return control_done(srv, seat, msg);
}

static enum control_result ctl_kick(struct server *srv, const char *args,
                                    const struct control_seat *seat)
{
    return ctl_sanction(srv, MOD_KICK, args, seat);
}

static enum control_result ctl_ban(struct server *srv, const char *args,
                                   const struct control_seat *seat)
{
    return ctl_sanction(srv, MOD_BAN, args, seat);
}

static enum control_result ctl_mute(struct server *srv, const char *args,
                                    const struct control_seat *seat)
{
    return ctl_sanction(srv, MOD_MUTE, args, seat);
}

/* unban, unmute: one word, a nick or an address. */
static enum control_result ctl_lift(struct server *srv, unsigned mask, const char *usage,
                                    const char *args, const struct control_seat *seat)
{
    const char *word;
    size_t len;
    char who[MOD_TARGET_MAX], msg[256];
    if (!cmd_next_word(&args, &word, &len) || *args != '\0' || len >= sizeof who) {
        control_say(seat, CONTROL_FAIL, "usage: %s", usage);
        return CONTROL_ERR;
    }
    memcpy(who, word, len);
    who[len] = '\0';
    if (operator_lift(srv, mask, who, msg, sizeof msg) < 0)
        return control_fail(seat, msg);
    return control_done(srv, seat, msg);
}

static enum control_result ctl_unban(struct server *srv, const char *args,
                                     const struct control_seat *seat)
{
    return ctl_lift(srv, MOD_KICK | MOD_BAN, "unban NICK|ADDR[/BITS]", args, seat);
}

static enum control_result ctl_unmute(struct server *srv, const char *args,
                                      const struct control_seat *seat)
{
    return ctl_lift(srv, MOD_MUTE, "unmute NICK", args, seat);
}

static enum control_result ctl_bans(struct server *srv, const char *args,
                                    const struct control_seat *seat)
{
    (void)args;
    mod_list(&srv->mod, server_now_ms(srv), control_listing, (void *)seat);
    return CONTROL_OK;
}

static enum control_result ctl_help(struct server *srv, const char *args,
                                    const struct control_seat *seat);

static enum control_result ctl_quit(struct server *srv, const char *args,
                                    const struct control_seat *seat)
{
    (void)srv;
    (void)args;
    (void)seat;
    return CONTROL_QUIT;
}

/* --trace's switch: the lesson turns it on for everyone or for the one
 * student at the projector. */
static enum control_result ctl_trace(struct server *srv, const char *args,
                                     const struct control_seat *seat)
{
    char what[NICK_MAX + 2];
    size_t n = strcspn(args, " ");
    if (args[n + strspn(args + n, " ")] != '\0')
        return control_fail(seat, "usage: trace [on|off|NICK]");
    if (n == 0) {
        char state[NICK_MAX + 32];
        tracelog_describe(srv, state, sizeof state);
        control_say(seat, CONTROL_TEXT, "%s", state);
        return CONTROL_OK;
    }
    if (n >= sizeof what || !nick_valid(args, n))
        return control_fail(seat, "usage: trace [on|off|NICK] (not a nick)");
    memcpy(what, args, n);
    what[n] = '\0';
    if (strcmp(what, "on") == 0)
        tracelog_set(srv, TRACE_ALL, NULL);
    else if (strcmp(what, "off") == 0)
        tracelog_set(srv, TRACE_OFF, NULL);
    else
        tracelog_set(srv, TRACE_NICK, what);
    char done[NICK_MAX + 32];
    tracelog_describe(srv, done, sizeof done);
    return control_done(srv, seat, done);
}

/* One table drives dispatch and help. */
static const struct {
    const char *name;
    const char *usage;
    const char *help; /* a second line after a '\n' */
    control_fn *run;
} CONTROL_CMDS[] = {
    {"who", "who", "who is connected", ctl_who},
    {"stats", "stats", "server statistics", ctl_stats},
    {"say", "say TEXT", "a notice to everyone", ctl_say},
    {"kick", "kick NICK [DURATION] [REASON]",
     "disconnect someone and keep them out for DURATION\n(default 5m; 30s, 10m, 2h, 1d)", ctl_kick},
    {"ban", "ban NICK|ADDR[/BITS] [REASON]",
     "keep a person or an address out until unban;\na person is known by session token and nick",
     ctl_ban},
    {"unban", "unban NICK|ADDR[/BITS]", "end a ban or a kick", ctl_unban},
    {"mute", "mute NICK [DURATION] [REASON]",
     "they read but cannot write (until unmute,\nor for DURATION)", ctl_mute},
    {"unmute", "unmute NICK", "let them write again", ctl_unmute},
    {"bans", "bans", "bans, kicks and mutes in force, with time left", ctl_bans},
    {"trace", "trace [on|off|NICK]",
     "log reads, writes and threads per connection\n(all, or only NICK's); no word: what is on",
     ctl_trace},
    {"help", "help", "this list", ctl_help},
    {"quit", "quit", "shut the server down (as Ctrl-C)", ctl_quit},
};

static enum control_result ctl_help(struct server *srv, const char *args,
                                    const struct control_seat *seat)
{
    (void)srv;
    (void)args;
    control_say(seat, CONTROL_TEXT, "operator commands:");
    for (size_t i = 0; i < sizeof CONTROL_CMDS / sizeof CONTROL_CMDS[0]; i++) {
        const char *help = CONTROL_CMDS[i].help, *nl = strchr(help, '\n');
        const char *usage = CONTROL_CMDS[i].usage;
        int w = 31;
        if ((int)strlen(usage) > w) { /* its help on lines of its own */
            control_say(seat, CONTROL_TEXT, "  %s", usage);
            usage = "";
        }
        if (nl == NULL) {
            control_say(seat, CONTROL_TEXT, "  %-*s %s", w, usage, help);
        } else {
            control_say(seat, CONTROL_TEXT, "  %-*s %.*s", w, usage, (int)(nl - help), help);
            control_say(seat, CONTROL_TEXT, "  %-*s %s", w, "", nl + 1);
        }
    }
    control_say(seat, CONTROL_TEXT,
                "On a shared machine or behind one NAT everyone has the same address:");
    control_say(seat, CONTROL_TEXT, "ban NICK there, not ban ADDR.");
    return CONTROL_OK;
}

enum control_result control_run(struct server *srv, const char *line,
                                const struct control_seat *seat)
{
    struct cmd c;
    char buf[LINE_MAX_BYTES + 2];

    if (line[strspn(line, " ")] == '\0')
        return CONTROL_OK;
    /* Same splitter as the chat commands; the leading '/' is optional. */
    snprintf(buf, sizeof buf, "%s%s", line[0] == '/' ? "" : "/", line);
    if (!cmd_parse(buf, &c))
        return control_fail(seat, "unknown command (try help)");
    for (size_t i = 0; i < sizeof CONTROL_CMDS / sizeof CONTROL_CMDS[0]; i++)
        if (cmd_is(&c, CONTROL_CMDS[i].name))
            return CONTROL_CMDS[i].run(srv, c.args, seat);
    char name[SANITIZE_CAP(32)];
    sanitize_text(name, sizeof name, c.name, c.name_len > 31 ? 31 : c.name_len);
    control_say(seat, CONTROL_FAIL, "unknown command %s (try help)", name);
    return CONTROL_ERR;
}

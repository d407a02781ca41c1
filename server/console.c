/* console: the operator's commands, typed on the server's terminal. */
#include "server.h"

#include <arpa/inet.h>
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

static void console_who_line(void *arg, const char *line)
{
    fprintf((FILE *)arg, "%s\n", line);
}

static const char CONSOLE_HELP[] = "operator commands:\n"
                                   "  who                 who is connected\n"
                                   "  stats               server statistics\n"
                                   "  say TEXT            a notice to everyone\n"
                                   "  kick NICK [REASON]  disconnect someone\n"
                                   "  ban ADDR[/BITS]     refuse an address until restart,\n"
                                   "                      and disconnect who is on it\n"
                                   "  help                this list\n"
                                   "  quit                shut the server down (as Ctrl-C)\n";

bool console_run(struct server *srv, const char *line, FILE *out)
{
    struct cmd c;
    char buf[LINE_MAX_BYTES + 2];

    /* Same splitter as the chat commands; the leading '/' is optional. */
    snprintf(buf, sizeof buf, "%s%s", line[0] == '/' ? "" : "/", line);
    if (line[strspn(line, " ")] == '\0')
        return false;
    if (!cmd_parse(buf, &c)) {
        fprintf(out, "unknown command (try help)\n");
    } else if (cmd_is(&c, "help")) {
        fputs(CONSOLE_HELP, out);
    } else if (cmd_is(&c, "who")) {
        registry_who(srv, server_now_ms(srv), 1000, console_who_line, out);
    } else if (cmd_is(&c, "stats")) {
        pthread_mutex_lock(&srv->reg_lock);
        unsigned now = srv->nclients, room = srv->nroom;
        pthread_mutex_unlock(&srv->reg_lock);
        char up[32];
        unsigned long long msgs = atomic_load(&srv->st.messages);
        format_duration(up, sizeof up, server_now_ms(srv) - srv->started_ms);
        fprintf(out,
                "mode %s, up %s, %u client%s now (%u in the room), %llu served, %llu message%s, "
                "%llu bytes in, %llu bytes out\n",
                mode_name(srv->cfg.mode), up, now, plural_s(now), room,
                (unsigned long long)atomic_load(&srv->st.served), msgs, plural_s(msgs),
                (unsigned long long)atomic_load(&srv->st.bytes_in),
                (unsigned long long)atomic_load(&srv->st.bytes_out));
    } else if (cmd_is(&c, "say")) {
        char text[TEXT_MAX + 1];
        sanitize_text(text, sizeof text, c.args, strlen(c.args));
        if (text[0] == '\0') {
            fprintf(out, "usage: say TEXT\n");
        } else {
            registry_notice(srv, text);
            log_event(srv, NULL, "operator notice: %s", text);
        }
    } else if (cmd_is(&c, "kick")) {
        const char *args = c.args, *word;
        size_t len;
        char nick[NICK_MAX + 1], reason[REASON_MAX - 8];
        if (!cmd_next_word(&args, &word, &len) || !nick_valid(word, len)) {
            fprintf(out, "usage: kick NICK [REASON]\n");
        } else {
            memcpy(nick, word, len);
            nick[len] = '\0';
            sanitize_text(reason, sizeof reason, args, strlen(args));
            if (registry_kick(srv, nick, reason) < 0)
                fprintf(out, "no such nick: %s\n", nick);
            else
                log_event(srv, NULL, "operator kicked %s%s%s", nick, *reason ? ": " : "", reason);
        }
    } else if (cmd_is(&c, "ban")) {
        const char *args = c.args, *word;
        size_t len;
        char what[INET6_ADDRSTRLEN + 8];
        struct cidr net;
        if (!cmd_next_word(&args, &word, &len) || len >= sizeof what) {
            fprintf(out, "usage: ban ADDR[/BITS]\n");
        } else {
            memcpy(what, word, len);
            what[len] = '\0';
            if (cidr_parse(what, &net) < 0 || access_ban(&srv->acc, what) < 0) {
                fprintf(out, "bad address: %s\n", what);
            } else {
                unsigned n = registry_kick_addr(srv, &net, "banned");
                fprintf(out, "banned %s (%u disconnected)\n", what, n);
                log_event(srv, NULL, "operator banned %s (%u disconnected)", what, n);
            }
        }
    } else if (cmd_is(&c, "quit")) {
        return true;
    } else {
        fprintf(out, "unknown command %.*s (try help)\n", (int)c.name_len, c.name);
    }
    fflush(out);
    return false;
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

/* command: what the user typed. A line is chat, "exit", or a /command; the
 * table below is the one list of /commands: it decides which run here and
 * which go to the server as typed, and it is what Tab completes and /help
 * lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chat_internal.h"
#include "hostport.h"

/* At most 72 columns each: with the time in front they fit 80. The keys
 * are bound in keys.c, which this text describes. */
enum { HELP_COLS = 72 };
static const char *const key_help[] = {
    "keys: Enter send, Up/Down history, Tab completes nicks, /commands and",
    "  rooms after /join; Alt-1..9 joins the Nth room of the status bar",
    "  Left/Right Ctrl-B/F move, Alt-B/F by word, Home/End Ctrl-A/E",
    "  Backspace/Delete, Ctrl-W word, Ctrl-U to start, Ctrl-K to end",
    "  PgUp/PgDn scroll (the wheel with --mouse), Ctrl-Home/End top/bottom",
    "  (Home/End on an empty line too), Ctrl-L redraw, F1 this help",
    "  F2 or /wire: the wire view, each read() and write() on the connection;",
    "  Ctrl-O: PgUp/PgDn and Ctrl-Home/End scroll it (Ctrl-O again: the chat)",
    "  Ctrl-Z suspend (fg resumes), Ctrl-C or Ctrl-D (empty line) quit",
};

struct command {
    const char *name; /* with its '/' */
    /* For /help and "usage: ..."; NULL: the server's /help tells. */
    const char *usage;
    bool in_help; /* listed under "client commands" */
    /* NULL: the server's command, sent as typed. */
    enum chat_action (*run)(struct chat *c, const struct command *k, const char *args,
                            const char *line);
};

/* Chat text, or a command the server runs: queued or sent as it is. */
static enum chat_action send_as_typed(struct chat *c, const char *line)
{
    if (!chat_ready(c)) {
        chat_notef(c, ENTRY_ERR, "not connected; not sent: %.200s", line);
        return CHAT_NONE;
    }
    if (c->dialect == DIALECT_FRAMED)
        outbox_send_msg(c, c->next_id++, line);
    else
        outbox_queue_own(c, ENTRY_SELF, line, line);
    return CHAT_NONE;
}

static enum chat_action do_quit(struct chat *c, const char *reason)
{
    if (chat_ready(c)) {
        if (c->dialect == DIALECT_FRAMED) {
            char text[LINE_MAX_BYTES];
            snprintf(text, sizeof(text), "/quit%s%s", reason[0] ? " " : "", reason);
            outbox_send_msg(c, c->next_id++, text);
        } else {
            outbox_send_plain(c, "exit");
        }
    }
    return CHAT_QUIT;
}

static enum chat_action run_quit(struct chat *c, const struct command *k, const char *args,
                                 const char *line)
{
    (void)k, (void)line;
    return do_quit(c, args);
}

static enum chat_action run_clear(struct chat *c, const struct command *k, const char *args,
                                  const char *line)
{
    (void)k, (void)args, (void)line;
    chatlog_clear(c->log);
    return CHAT_CLEAR;
}

static void help_commands(struct chat *c);

static enum chat_action run_help(struct chat *c, const struct command *k, const char *args,
                                 const char *line)
{
    (void)k, (void)args, (void)line;
    for (size_t i = 0; i < sizeof(key_help) / sizeof(*key_help); i++)
        chat_note(c, ENTRY_LOCAL, key_help[i]);
    help_commands(c);
    if (chat_ready(c) && c->dialect == DIALECT_FRAMED)
        outbox_send_msg(c, c->next_id++, "/help");
    return CHAT_NONE;
}

/* /connect HOST1:PORT1,HOST2:PORT2 [PORT]: a cluster's nodes, kept as
 * given (addrlist.h); the event loop goes through them in turn. */
static enum chat_action connect_list(struct chat *c, const struct command *k, const char *list,
                                     const char *args)
{
    const char *w;
    size_t wl;
    if (cmd_next_word(&args, &w, &wl)) {
        if (wl >= sizeof(c->connect_port)) {
            chat_notef(c, ENTRY_ERR, "usage: %s", k->usage);
            return CHAT_NONE;
        }
        memcpy(c->connect_port, w, wl);
        c->connect_port[wl] = '\0';
    }
    struct addrlist *l = malloc(sizeof(*l)); /* 4 KB: not on every caller's stack */
    char err[300] = "out of memory";
    int rc = l ? addrlist_parse(l, list, c->connect_port, err, sizeof(err)) : -1;
    free(l);
    if (rc < 0) {
        chat_notef(c, ENTRY_ERR, "/connect %.300s: %s", list, err);
        return CHAT_NONE;
    }
    memcpy(c->connect_host, list, strlen(list) + 1);
    (void)do_quit(c, "");
    return CHAT_CONNECT;
}

static enum chat_action run_connect(struct chat *c, const struct command *k, const char *args,
                                    const char *line)
{
    (void)line;
    const char *w;
    size_t wl;
    char word[sizeof(c->connect_host)];
    if (c->restricted) {
        /* The ssh account's whole point: this session reaches one server. */
        chat_notef(c, ENTRY_ERR,
                   "/connect: not in this session, which stays on %.100s port %.15s "
                   "(/reconnect to it works)",
                   c->host, c->port);
        return CHAT_NONE;
    }
    if (!cmd_next_word(&args, &w, &wl) || wl >= sizeof(word)) {
        chat_notef(c, ENTRY_ERR, "usage: %s", k->usage);
        return CHAT_NONE;
    }
    memcpy(word, w, wl);
    word[wl] = '\0';
    snprintf(c->connect_port, sizeof(c->connect_port), "%d", PROTO_PORT);
    /* A list, or tls://HOST[:PORT] (issue 19): addrlist reads both. */
    if (strchr(word, ',') != NULL || strncasecmp(word, "tls://", 6) == 0)
        return connect_list(c, k, word, args);
    /* "10.0.2.15:5000", as the server's log prints it, works too. */
    int hp = hostport_split(word, c->connect_host, sizeof(c->connect_host), c->connect_port,
                            sizeof(c->connect_port));
    if (hp < 0) {
        chat_notef(c, ENTRY_ERR, "usage: %s (or HOST:PORT, [IPV6]:PORT)", k->usage);
        return CHAT_NONE;
    }
    if (hp == 0 && cmd_next_word(&args, &w, &wl)) {
        if (wl >= sizeof(c->connect_port)) {
            chat_notef(c, ENTRY_ERR, "usage: %s", k->usage);
            return CHAT_NONE;
        }
        memcpy(c->connect_port, w, wl);
        c->connect_port[wl] = '\0';
    }
    /* Leave the current server politely: the tutorial's threaded
     * server expects 'exit' (without it its thread dies on a broken
     * pipe), ours logs a quit rather than a lost connection. */
    (void)do_quit(c, "");
    return CHAT_CONNECT;
}

static enum chat_action run_reconnect(struct chat *c, const struct command *k, const char *args,
                                      const char *line)
{
    (void)line;
    if (args[0] != '\0') {
        chat_notef(c, ENTRY_ERR, "usage: %s", k->usage);
        return CHAT_NONE;
    }
    (void)do_quit(c, ""); /* a polite goodbye, as for /connect */
    return CHAT_RECONNECT;
}

static enum chat_action run_me(struct chat *c, const struct command *k, const char *args,
                               const char *line)
{
    if (c->dialect == DIALECT_PLAIN)
        return send_as_typed(c, line); /* a plain server's own business */
    /* /me is acknowledged like chat, so it can wait for a connection. */
    if (args[0] == '\0') {
        chat_notef(c, ENTRY_ERR, "usage: %s", k->usage);
        return CHAT_NONE;
    }
    outbox_queue_own(c, ENTRY_ACTION, args, line);
    return c->online ? CHAT_NONE : CHAT_RETRY_NOW;
}

/* /ignore NICK hides that person's chat, actions, private messages,
 * joins and leaves here (ignore.h); /ignore alone lists them. The server
 * never hears of it. */
static enum chat_action run_ignore(struct chat *c, const struct command *k, const char *args,
                                   const char *line)
{
    (void)line;
    const char *w;
    size_t wl;
    char list[IGNORE_MAX * (NICK_MAX + 2) + 1];
    if (!cmd_next_word(&args, &w, &wl)) {
        ignore_list(&c->ignore, list, sizeof(list));
        if (list[0])
            chat_notef(c, ENTRY_LOCAL, "ignoring %zu: %s", c->ignore.n, list);
        else
            chat_note(c, ENTRY_LOCAL, "ignoring nobody (/ignore NICK hides someone)");
        return CHAT_NONE;
    }
    char nick[NICK_MAX + 1];
    if (wl > NICK_MAX || args[0] != '\0') {
        chat_notef(c, ENTRY_ERR, "usage: %s", k->usage);
        return CHAT_NONE;
    }
    memcpy(nick, w, wl);
    nick[wl] = '\0';
    if (nick_same(nick, c->st->nick)) {
        chat_note(c, ENTRY_ERR, "/ignore: that is you");
        return CHAT_NONE;
    }
    switch (ignore_add(&c->ignore, nick)) {
    case IGNORE_OK:
        chat_notef(c, ENTRY_LOCAL,
                   "ignoring %s: their chat, actions, private messages, joins and leaves are "
                   "hidden here (/unignore %s shows them again)",
                   nick, nick);
        break;
    case IGNORE_ALREADY:
        chat_notef(c, ENTRY_LOCAL, "already ignoring %s", nick);
        break;
    case IGNORE_FULL:
        chat_notef(c, ENTRY_ERR, "/ignore: the list is full (%d nicks); /unignore someone first",
                   IGNORE_MAX);
        break;
    case IGNORE_BAD_NICK:
    default:
        chat_notef(c, ENTRY_ERR, "/ignore: %s is not a nickname (1-%d letters, digits, _ or -)",
                   nick, NICK_MAX);
        break;
    }
    return CHAT_NONE;
}

static enum chat_action run_unignore(struct chat *c, const struct command *k, const char *args,
                                     const char *line)
{
    (void)line;
    const char *w;
    size_t wl;
    char nick[NICK_MAX + 1];
    if (!cmd_next_word(&args, &w, &wl) || wl > NICK_MAX || args[0] != '\0') {
        chat_notef(c, ENTRY_ERR, "usage: %s", k->usage);
        return CHAT_NONE;
    }
    memcpy(nick, w, wl);
    nick[wl] = '\0';
    if (ignore_remove(&c->ignore, nick) == IGNORE_OK)
        chat_notef(c, ENTRY_LOCAL, "no longer ignoring %s", nick);
    else
        chat_notef(c, ENTRY_ERR, "/unignore: %s is not ignored (/ignore lists them)", nick);
    return CHAT_NONE;
}

static enum chat_action run_wire(struct chat *c, const struct command *k, const char *args,
                                 const char *line)
{
    (void)line;
    if (args[0] != '\0') {
        chat_notef(c, ENTRY_ERR, "usage: %s", k->usage);
        return CHAT_NONE;
    }
    return CHAT_WIRE;
}

/* Sorted by name: Tab offers them in this order. The room commands
 * (/join, /part, /rooms, /topic) and /away are the server's: a server
 * without rooms answers them with ERR unknown-command. */
static const struct command commands[] = {
    {"/away", NULL, false, NULL},
    {"/clear", "/clear", true, run_clear},
    {"/connect", "/connect [tls://]HOST[,HOST...] [PORT]", true, run_connect},
    {"/help", "/help", true, run_help},
    {"/ignore", "/ignore [NICK]", true, run_ignore},
    {"/join", NULL, false, NULL},
    {"/me", "/me TEXT", false, run_me},
    {"/msg", NULL, false, NULL},
    {"/nick", NULL, false, NULL},
    {"/part", NULL, false, NULL},
    {"/ping", NULL, false, NULL},
    {"/quit", "/quit [reason] or exit", true, run_quit},
    {"/reconnect", "/reconnect (to the same server; /connect HOST [PORT] for another)", true,
     run_reconnect},
    {"/rooms", NULL, false, NULL},
    {"/stats", NULL, false, NULL},
    {"/time", NULL, false, NULL},
    {"/topic", NULL, false, NULL},
    {"/unignore", "/unignore NICK", true, run_unignore},
    {"/uptime", NULL, false, NULL},
    {"/who", NULL, false, NULL},
    {"/wire", "/wire", true, run_wire},
};
enum { NCOMMANDS = sizeof(commands) / sizeof(*commands) };

/* "client commands: ..." from the table, wrapped at HELP_COLS. */
static void help_commands(struct chat *c)
{
    char line[HELP_COLS + 1];
    int used = snprintf(line, sizeof(line), "client commands:");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (!commands[i].in_help)
            continue;
        if (used + 1 + (int)strlen(commands[i].usage) + 1 > HELP_COLS) {
            chat_note(c, ENTRY_LOCAL, line);
            used = snprintf(line, sizeof(line), " ");
        }
        used += snprintf(line + used, sizeof(line) - (size_t)used, " %s,", commands[i].usage);
    }
    line[used - 1] = '\0'; /* the last one's comma */
    chat_note(c, ENTRY_LOCAL, line);
}

static const struct command *command_find(const struct cmd *cmd)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (cmd_is(cmd, commands[i].name + 1))
            return &commands[i];
    return NULL;
}

enum chat_action chat_submit(struct chat *c, const char *line)
{
    struct cmd cmd;
    size_t len = strlen(line);

    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (len == 0)
        return CHAT_NONE;
    if (cmd_is_exit(line))
        return do_quit(c, "");
    if (!cmd_parse(line, &cmd)) {
        /* "//x" is the escape for chat text "/x": show what others see. */
        bool esc = line[0] == '/' && line[1] == '/' && c->dialect != DIALECT_PLAIN;
        outbox_queue_own(c, ENTRY_SELF, esc ? line + 1 : line, line);
        return c->online ? CHAT_NONE : CHAT_RETRY_NOW;
    }
    const struct command *k = command_find(&cmd);
    if (k != NULL && k->run != NULL)
        return k->run(c, k, cmd.args, line);
    return send_as_typed(c, line);
}

size_t chat_completions(const struct chat *c, const char **cands, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < NCOMMANDS && n < max; i++)
        cands[n++] = commands[i].name;
    for (size_t i = 0; i < c->nnicks && n < max; i++)
        if (strcasecmp(c->nicks[i], c->st->nick) != 0)
            cands[n++] = c->nicks[i];
    return n;
}

enum chat_action chat_switch_room(struct chat *c, unsigned n)
{
    const char *name = rooms_nth(&c->rooms, n);
    if (name == NULL) {
        chat_notef(c, ENTRY_ERR, "Alt-%u: the status bar lists no room %u%s", n, n,
                   c->rooms.nlist ? "" : " (this server has no rooms, or you have been in none)");
        return CHAT_NONE;
    }
    char line[ROOMNAME_SIZE + 8];
    snprintf(line, sizeof(line), "/join %s", name);
    return chat_submit(c, line);
}

size_t chat_completions_at(const struct chat *c, const char *line, size_t word, const char **cands,
                           size_t max)
{
    /* The room of "/join ROOM": the first word after the command. */
    size_t cmd = strcspn(line, " ");
    bool join = cmd == 5 && strncasecmp(line, "/join", 5) == 0 && word > cmd &&
                strspn(line + cmd, " ") == word - cmd;
    if (!join)
        return chat_completions(c, cands, max);
    bool hash = line[word] == '#';
    size_t n = 0;
    for (size_t i = 0; i < c->rooms.nnames && n < max; i++)
        cands[n++] = c->rooms.names[i] + (hash ? 0 : 1);
    return n;
}

/* commands: the /commands a chatter can type, one table row each. */
#include "server.h"
#include "auth.h"
#include "commands.h"
#include "room.h"
#include "cluster.h"

#include "roomname.h"
#include "sanitize.h"
#include "tls.h"

#include <stdlib.h>
#include <string.h>

struct command {
    const char *name;
    const char *usage;
    const char *help;
    const char *help2; /* a second row, or NULL: /help must fit nc's 80 columns */
    unsigned flags;    /* enum command_flag */
    void (*run)(struct reply *r, const char *args);
};

static void cmd_help(struct reply *r, const char *args);

int commands_nick(struct reply *r, const char *nick, size_t len)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    char want[NICK_MAX + 1], old[NICK_MAX + 1];

    if (!nick_valid(nick, len)) {
        reply_err(r, ERR_BAD_NICK,
                  "a nickname is 1-%d letters, digits, _ or -, starting with a letter or digit",
                  NICK_MAX);
        return -1;
    }
    memcpy(want, nick, len);
    want[len] = '\0';
    if (nick_reserved(want) && !nick_same(want, c->nick)) {
        reply_err(r, ERR_BAD_NICK, "guestN names are given by the server; pick another");
        return -1;
    }
    /* A nick change is said to the room: a muted person keeps quiet. */
    if (room_muted(r))
        return -1;
    /* A kicked or banned nick stays with its owner: whoever types it now
     * is most likely that person back as a new guest. Only the name is
     * refused (a namesake would lose nothing else). */
    struct mod_entry held;
    if (!nick_same(want, c->nick) &&
        mod_find(&srv->mod, MOD_KICK | MOD_BAN, want, NULL, NULL, server_now_ms(srv), &held)) {
        char left[48];
        mod_format_left(&held, server_now_ms(srv), left, sizeof left);
        reply_err(r, ERR_NICK_TAKEN, "%s is %s by the operator (%s); pick another", want,
                  held.kind == MOD_BAN ? "banned" : "kicked", left);
        return -1;
    }

    /* On a cluster, a client of another node may have it (cluster.h). */
    char where[CLUSTER_NODE_MAX];
    if (srv->cluster != NULL && !nick_same(want, c->nick) && registry_joined(c) &&
        cluster_nick_take(srv, want, c->session, where, sizeof where, NULL) ==
            CLUSTER_NICK_ELSEWHERE) {
        reply_err(r, ERR_NICK_TAKEN, "%s is already taken (on %s)", want, where);
        return -1;
    }

    pthread_mutex_lock(&srv->reg_lock);
    char holder[NICK_MAX + 1];
    int64_t left_ms = 0;
    enum nick_verdict v =
        registry_nick_check_locked(srv, c, want, server_now_ms(srv), holder, &left_ms);
    if (v != NICK_FREE) {
        pthread_mutex_unlock(&srv->reg_lock);
        /* Another case or confusable letters are one nick to a reader:
         * say which one it looks like. */
        char like[NICK_MAX + 32] = "";
        if (strcmp(holder, want) != 0)
            snprintf(like, sizeof like, " (%s looks the same)", want);
        if (v == NICK_TAKEN)
            reply_err(r, ERR_NICK_TAKEN, "%s is already taken%s", holder, like);
        else
            reply_err(r, ERR_NICK_TAKEN, "%s is held for its owner for %lld s%s; pick another",
                      holder, (long long)((left_ms + 999) / 1000), like);
        return -1;
    }

    memcpy(old, c->nick, sizeof old);
    registry_rename_locked(srv, c, want);
    struct msg m = {.type = MSG_NICK, .nick = old, .nick2 = want};
    bool joined = c->joined;
    if (joined) /* to its room, as JOIN and LEAVE */
        room_send_locked(c->room, &m, c);
    char room[ROOMNAME_SIZE];
    snprintf(room, sizeof room, "%s", c->room != NULL ? c->room->name : ROOM_MAIN);
    pthread_mutex_unlock(&srv->reg_lock);

    reply_msg(r, &m);
    if (joined && srv->cluster != NULL) {
        cluster_tell(srv, CE_NICK, room, old, want, NULL);
        if (!nick_same(old, want) && !nick_reserved(old))
            cluster_nick_drop(srv, old);
    }
    log_event(srv, AEV_NICK, c, "%s is now known as %s", old, want);
    if (joined)
        operator_mute_arrival(c, want, NULL); /* a mute follows the nick */
    return 0;
}

static void cmd_nick(struct reply *r, const char *args)
{
    const char *word;
    size_t len;
    if (!cmd_next_word(&args, &word, &len)) {
        reply_err(r, ERR_USAGE, "usage: /nick NAME");
        return;
    }
    if (*args != '\0') {
        reply_err(r, ERR_BAD_NICK,
                  "a nickname is one word of 1-%d letters, digits, _ or -, starting with a "
                  "letter or digit",
                  NICK_MAX);
        return;
    }
    commands_nick(r, word, len);
}

static void who_line(void *arg, const char *line)
{
    reply_out(arg, "%s", line);
}

static void cmd_who(struct reply *r, const char *args)
{
    const char *word;
    size_t len;
    bool all = false;
    if (cmd_next_word(&args, &word, &len)) {
        if (len != 1 || word[0] != '*' || *args != '\0') {
            reply_err(r, ERR_USAGE, "usage: /who (your room) or /who * (everyone)");
            return;
        }
        all = true;
    }
    registry_who(r->c->srv, r->c, all, server_now_ms(r->c->srv), WHO_MAX_LINES, who_line, r);
}

/* c goes to the room of this folded name, created if need be. */
static void commands_goto(struct reply *r, const char *name)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    char from[ROOMNAME_SIZE];

    pthread_mutex_lock(&srv->reg_lock);
    if (!c->joined || c->room == NULL) {
        pthread_mutex_unlock(&srv->reg_lock);
        return;
    }
    if (strcmp(c->room->name, name) == 0) {
        pthread_mutex_unlock(&srv->reg_lock);
        if (strcmp(name, ROOM_MAIN) == 0)
            reply_out(r, "you are in %s, where everyone starts", name);
        else
            reply_out(r, "you are already in %s", name);
        return;
    }
    struct room *dst = rooms_get_locked(srv, name);
    if (dst == NULL) {
        pthread_mutex_unlock(&srv->reg_lock);
        reply_err(r, ERR_FULL, "too many rooms (%d); join one of /rooms", ROOMS_MAX);
        return;
    }
    memcpy(from, c->room->name, sizeof from);
    room_move_locked(c, dst, r);
    unsigned users = dst->users;
    char nick[NICK_MAX + 1];
    memcpy(nick, c->nick, sizeof nick);
    pthread_mutex_unlock(&srv->reg_lock);
    if (srv->cluster != NULL) { /* the other nodes' people in both rooms */
        char went[ROOMNAME_SIZE + 16];
        snprintf(went, sizeof went, "went to %s", name);
        cluster_tell(srv, CE_LEAVE, from, nick, NULL, went);
        cluster_tell(srv, CE_JOIN, name, nick, NULL, NULL);
    }
    log_event(srv, AEV_JOIN, c, "went from %s to %s (%u there)", from, name, users);
}

static void cmd_join(struct reply *r, const char *args)
{
    const char *word;
    size_t len;
    char name[ROOMNAME_SIZE];
    if (!cmd_next_word(&args, &word, &len)) {
        reply_err(r, ERR_USAGE, "usage: /join #ROOM");
        return;
    }
    if (*args != '\0' || roomname_parse(name, word, len) < 0) {
        reply_err(r, ERR_USAGE, "room names are # and 1-%d of a-z 0-9 _ -", ROOMNAME_MAX);
        return;
    }
    commands_goto(r, name);
}

static void cmd_part(struct reply *r, const char *args)
{
    (void)args; /* IRC's /part takes a message; nobody else hears it here */
    commands_goto(r, ROOM_MAIN);
}

static void cmd_rooms(struct reply *r, const char *args)
{
    (void)args;
    rooms_list(r->c->srv, r->c, who_line, r);
}

static void cmd_topic(struct reply *r, const char *args)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    char where[ROOMNAME_SIZE], topic[TOPIC_MAX + 1];
    bool set = args[strspn(args, " ")] != '\0';

    if (set && room_muted(r))
        return;
    pthread_mutex_lock(&srv->reg_lock);
    if (!c->joined || c->room == NULL) {
        pthread_mutex_unlock(&srv->reg_lock);
        return;
    }
    struct room *rm = c->room;
    memcpy(where, rm->name, sizeof where);
    if (!set) {
        memcpy(topic, rm->topic, sizeof topic);
        pthread_mutex_unlock(&srv->reg_lock);
        if (topic[0] != '\0')
            reply_out(r, "topic of %s: %s", where, topic);
        else
            reply_out(r, "%s has no topic", where);
        return;
    }
    if (rm->locked || rm->pinned) {
        bool locked = rm->locked;
        pthread_mutex_unlock(&srv->reg_lock);
        if (locked)
            room_refuse_locked(r, where);
        else
            reply_err(r, ERR_LOCKED, "the topic of %s is pinned by the operator", where);
        return;
    }
    if (room_topic_set_locked(srv, rm, args + strspn(args, " "), c->nick, false, r) < 0) {
        pthread_mutex_unlock(&srv->reg_lock);
        reply_err(r, "transcript", "topic not set: the server cannot save it");
        log_event(srv, AEV_ERROR, c, "transcript write failed; topic of %s refused", where);
        return;
    }
    memcpy(topic, rm->topic, sizeof topic);
    pthread_mutex_unlock(&srv->reg_lock);
    log_event(srv, AEV_INFO, c, "set the topic of %s: %s", where, topic);
}

static void cmd_away(struct reply *r, const char *args)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    char away[AWAY_MAX + 1];
    const char *text = args + strspn(args, " ");

    pthread_mutex_lock(&srv->reg_lock);
    if (*text == '\0' && c->away != NULL) {
        free(c->away); /* back: nothing to remember until the next /away */
        c->away = NULL;
        pthread_mutex_unlock(&srv->reg_lock);
        reply_out(r, "you are back");
        return;
    }
    if (c->away == NULL && (c->away = calloc(1, sizeof *c->away)) == NULL) {
        pthread_mutex_unlock(&srv->reg_lock);
        reply_err(r, "internal", "out of memory: you are not marked away");
        return;
    }
    snprintf(c->away->text, sizeof c->away->text, "%s", *text != '\0' ? text : "away");
    utf8_cut(c->away->text); /* AWAY_MAX may fall inside a character */
    c->away->ntold = 0;      /* a new away period: everyone is told once again */
    memcpy(away, c->away->text, sizeof away);
    pthread_mutex_unlock(&srv->reg_lock);
    reply_out(r, "you are away: %s", away);
}

/* With reg_lock held: whether `from` is to hear that t is away (once per
 * away period per sender; past AWAY_TOLD_MAX senders, some hear it again). */
static bool away_first_locked(struct client *t, const struct client *from)
{
    struct away *a = t->away;
    if (a == NULL || t == from)
        return false;
    unsigned n = a->ntold < AWAY_TOLD_MAX ? a->ntold : AWAY_TOLD_MAX;
    for (unsigned i = 0; i < n; i++)
        if (a->told[i] == from->id)
            return false;
    a->told[a->ntold % AWAY_TOLD_MAX] = from->id;
    a->ntold++;
    return true;
}

static void cmd_me(struct reply *r, const char *args)
{
    if (*args == '\0') {
        reply_err(r, ERR_USAGE, "usage: /me ACTION");
        return;
    }
    room_chat(r, MSG_ACTION, args); /* refused there when muted */
}

/* /msg to someone on another node of the cluster: through the stream,
 * which their node's tailer reads (cluster_tail.c). */
static void commands_msg_elsewhere(struct reply *r, const char *from, const char *to,
                                   const char *text)
{
    struct server *srv = r->c->srv;
    struct centry *e = calloc(1, sizeof *e); /* 4 KiB: off the thread's small stack */
    if (e == NULL) {
        reply_err(r, "internal", "out of memory");
        return;
    }
    /* e->nick2: the roster's spelling of it, as the receiving node knows it. */
    char node[CLUSTER_NODE_MAX];
    if (cluster_nick_where(srv, to, node, sizeof node, e->nick2, sizeof e->nick2) == 0) {
        reply_err(r, ERR_NO_SUCH_NICK, "no such nick: %s", to);
        free(e);
        return;
    }
    e->kind = CE_PRIV;
    snprintf(e->node, sizeof e->node, "%s", cluster_node(srv));
    e->conn = r->c->id;
    e->time = server_wall(srv);
    snprintf(e->nick, sizeof e->nick, "%s", from);
    snprintf(e->text, sizeof e->text, "%s", text);
    if (cluster_publish(srv, e, NULL, 0) < 0) {
        reply_err(r, ERR_NO_SUCH_NICK, "%s is on %s, which this server cannot reach now", to, node);
        free(e);
        return;
    }
    struct msg m = {
        .type = MSG_PRIV, .time = e->time, .nick = from, .nick2 = e->nick2, .text = text};
    reply_msg(r, &m); /* the echo tells the sender it went out */
    log_event(srv, AEV_PRIVATE, r->c, "sent a private message to %s (on %s)", e->nick2, node);
    free(e);
}

static void cmd_msg(struct reply *r, const char *args)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    const char *word;
    size_t len;
    char to[NICK_MAX + 1], from[NICK_MAX + 1];

    if (!cmd_next_word(&args, &word, &len) || *args == '\0') {
        reply_err(r, ERR_USAGE, "usage: /msg NICK TEXT");
        return;
    }
    if (room_muted(r))
        return;
    if (!nick_valid(word, len)) {
        reply_err(r, ERR_NO_SUCH_NICK, "no such nick");
        return;
    }
    memcpy(to, word, len);
    to[len] = '\0';

    pthread_mutex_lock(&srv->reg_lock);
    struct client *t = registry_find_locked(srv, to);
    if (t == NULL && srv->cluster != NULL) {
        memcpy(from, c->nick, sizeof from);
        pthread_mutex_unlock(&srv->reg_lock);
        commands_msg_elsewhere(r, from, to, args);
        return;
    }
    if (t == NULL || t->dialect == DIALECT_RAW) {
        pthread_mutex_unlock(&srv->reg_lock);
        reply_err(r, ERR_NO_SUCH_NICK,
                  t ? "%s uses the tutorial client and cannot receive it" : "no such nick: %s", to);
        return;
    }
    memcpy(to, t->nick, sizeof to);
    memcpy(from, c->nick, sizeof from);
    struct msg m = {
        .type = MSG_PRIV, .time = server_wall(srv), .nick = from, .nick2 = to, .text = args};
    if (t != c)
        client_send_msg(t, &m);
    char away[AWAY_MAX + 1] = "";
    if (away_first_locked(t, c))
        memcpy(away, t->away->text, sizeof away);
    pthread_mutex_unlock(&srv->reg_lock);
    reply_msg(r, &m);    /* the echo tells the sender it went out */
    if (away[0] != '\0') /* delivered all the same: it waits for their return */
        reply_out(r, "%s is away: %s", to, away);
    /* The log is often on a projector: who wrote to whom, not what (and
     * under --quiet not even that, but the admins still see it). */
    log_event(srv, AEV_PRIVATE, c, "sent a private message to %s", to);
}

static void cmd_time(struct reply *r, const char *args)
{
    (void)args;
    time_t now = (time_t)server_wall(r->c->srv);
    struct tm tm;
    char buf[64];
    gmtime_r(&now, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    reply_out(r, "server time: %s", buf);
}

static void cmd_uptime(struct reply *r, const char *args)
{
    (void)args;
    struct server *srv = r->c->srv;
    char up[32], you[32];
    int64_t now = server_now_ms(srv);
    format_duration(up, sizeof up, now - srv->started_ms);
    format_duration(you, sizeof you, now - r->c->connected_ms);
    reply_out(r, "server up %s; you connected %s ago", up, you);
}

static void cmd_stats(struct reply *r, const char *args)
{
    (void)args;
    struct stats_view v;
    server_stats(r->c->srv, &v);
    reply_out(r, "mode %s, %u client%s now (%u in the room), %llu served in total", v.mode,
              v.clients, plural_s(v.clients), v.room, v.served);
    reply_out(r, "%llu message%s, %llu bytes in, %llu bytes out", v.messages, plural_s(v.messages),
              v.bytes_in, v.bytes_out);
    char tls[FP_TEXT_SIZE + 64];
    tls_stats_line(r->c->srv, tls, sizeof tls);
    reply_out(r, "%s", tls);
    if (r->c->srv->cluster != NULL) {
        char line[512];
        cluster_stats_line(r->c->srv, line, sizeof line);
        reply_out(r, "%s", line);
    }
}

static void cmd_ping(struct reply *r, const char *args)
{
    const char *word = "";
    size_t len = 0;
    char token[PING_TOKEN_MAX + 1];
    cmd_next_word(&args, &word, &len);
    /* Bounded, as what we echo costs our memory until it is read. */
    if (len > PING_TOKEN_MAX) {
        reply_err(r, ERR_USAGE, "usage: /ping [TOKEN]: a token of at most %d bytes",
                  PING_TOKEN_MAX);
        return;
    }
    memcpy(token, word, len);
    token[len] = '\0';
    struct msg m = {.type = MSG_PONG, .word = token};
    reply_msg(r, &m);
}

static void cmd_quit(struct reply *r, const char *args)
{
    char reason[REASON_MAX];
    snprintf(reason, sizeof reason, "quit%s%s", *args ? " " : "", args);
    utf8_cut(reason); /* the words may have been cut mid-character */
    reply_out(r, "bye");
    room_leave(r->c, reason);
    client_request_close(r->c, CLOSE_FLUSH, reason, server_now_ms(r->c->srv) + SHUTDOWN_FLUSH_MS);
}

/* "/auth PASSWORD" from a plain or raw client (ours sends it in HELLO). */
static void cmd_auth(struct reply *r, const char *args)
{
    struct client *c = r->c;
    const char *want = c->srv->cfg.password;
    if (want == NULL || c->authed) {
        reply_out(r, "no password needed");
        return;
    }
    if (args[strspn(args, " \t")] == '\0') {
        reply_err(r, ERR_USAGE, "usage: /auth PASSWORD");
        auth_charge(r);
        return;
    }
    if (!auth_judge(r, args))
        return;
    c->authed = true;
    room_join(c, c->dialect, NULL);
    reply_out(r, "password accepted; you are %s", c->nick);
}

/* Sorted by name, for the /help listing. /auth and /quit (and the exit
 * word) are all a connection may use before the password; /ping measures
 * latency, and leaving or giving the password must always work: none of
 * them is charged to --rate. */
/* /help must fit a 24-row terminal beside the client's own help (and 72
 * columns after its time stamp), so some commands are named in another's
 * row rather than listed on their own. */
static const struct command COMMANDS[] = {
    {"auth", "/auth PASSWORD", "give the server's password", NULL,
     CMD_PREAUTH | CMD_UNLIMITED | CMD_UNLISTED, cmd_auth},
    {"away", "/away [TEXT]", "away (shown in /who, told to /msg once); again: back", NULL, 0,
     cmd_away},
    {"help", "/help", "this list", NULL, 0, cmd_help},
    {"join", "/join #ROOM", "go to a room (made on first join); /part: to #main", NULL, 0,
     cmd_join},
    {"me", "/me ACTION", "say what you are doing", NULL, 0, cmd_me},
    {"msg", "/msg NICK TEXT", "a private message, to anyone in any room", NULL, 0, cmd_msg},
    {"nick", "/nick NAME", "change your name: 1-24 of A-Z a-z 0-9 _ -,",
     "starting with a letter or digit", 0, cmd_nick},
    {"part", "/part", "back to #main, where everyone starts", NULL, CMD_UNLISTED, cmd_part},
    {"ping", "/ping [TOKEN]", "the server answers pong TOKEN", NULL, CMD_UNLIMITED, cmd_ping},
    {"quit", "/quit [REASON]", "leave (so does exit); //text sends /text", NULL,
     CMD_PREAUTH | CMD_UNLIMITED, cmd_quit},
    {"rooms", "/rooms", "the rooms and topics; /topic [TEXT]: your room's", NULL, 0, cmd_rooms},
    {"stats", "/stats", "server statistics (also /time, /uptime)", NULL, 0, cmd_stats},
    {"time", "/time", "the server's clock", NULL, CMD_UNLISTED, cmd_time},
    {"topic", "/topic [TEXT]", "your room's topic; with TEXT, set it", NULL, CMD_UNLISTED,
     cmd_topic},
    {"uptime", "/uptime", "how long the server and you have been up", NULL, CMD_UNLISTED,
     cmd_uptime},
    {"who", "/who [*]", "who is in your room (/who *: everyone, by room)", NULL, 0, cmd_who},
};

static const struct command *commands_find(const struct cmd *cmd)
{
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (cmd_is(cmd, COMMANDS[i].name))
            return &COMMANDS[i];
    return NULL;
}

unsigned commands_flags(const struct cmd *cmd)
{
    const struct command *k = commands_find(cmd);
    return k != NULL ? k->flags : 0;
}

static void cmd_help(struct reply *r, const char *args)
{
    (void)args;
    /* The tutorial's client learns its guestN nowhere else. */
    reply_out(r, "you are %s; commands:", r->c->nick);
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++) {
        if (COMMANDS[i].flags & CMD_UNLISTED)
            continue;
        reply_out(r, "  %-16s %s", COMMANDS[i].usage, COMMANDS[i].help);
        if (COMMANDS[i].help2 != NULL)
            reply_out(r, "  %-16s %s", "", COMMANDS[i].help2);
    }
}

void commands_run(struct reply *r, const struct cmd *cmd)
{
    const struct command *k = commands_find(cmd);
    if (k != NULL) {
        k->run(r, cmd->args);
        return;
    }
    /* Echo at most 32 bytes of the name, cut at a UTF-8 character start. */
    size_t n = utf8_boundary(cmd->name, cmd->name_len, 32);
    reply_err(r, ERR_UNKNOWN_COMMAND, "unknown command /%.*s (try /help)", (int)n, cmd->name);
}

/* control: the operator's commands, for every seat. One table drives
 * dispatch and help; each command writes its answer a line at a time
 * through the seat's callback, and what an action did is also an event
 * (the log's "operator: ..." line, and the admins' `operator` EVENT). */
#include "control.h"
#include "room.h"
#include "cluster.h"
#include "tracelog.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "roomname.h"
#include "sanitize.h"
#include "utf8.h"
#include "tls.h"

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
    char tls[FP_TEXT_SIZE + 64];
    tls_stats_line(srv, tls, sizeof tls);
    control_say(seat, CONTROL_TEXT, "%s", tls);
    control_say(seat, CONTROL_TEXT, "addresses remembered: %u (at most %u; --max-per-addr %u)",
                peers_count(&srv->acc.peers), srv->acc.peers.max_entries, srv->cfg.max_per_addr);
    if (srv->cluster != NULL) {
        char line[512];
        cluster_stats_line(srv, line, sizeof line);
        control_say(seat, CONTROL_TEXT, "%s", line);
    }
    return CONTROL_OK;
}

/* The next word of *args as a room's folded name; false when it is none. */
static bool control_room_word(const char **args, char name[ROOMNAME_SIZE])
{
    const char *word;
    size_t len;
    return cmd_next_word(args, &word, &len) && roomname_parse(name, word, len) >= 0;
}

static enum control_result ctl_say(struct server *srv, const char *args,
                                   const struct control_seat *seat)
{
    char text[TEXT_MAX + 1], done[TEXT_MAX + 64], name[ROOMNAME_SIZE];
    const char *rest = args + strspn(args, " ");
    bool one = rest[0] == '#';
    if (one && !control_room_word(&rest, name))
        return control_fail(seat, "usage: say [#ROOM] TEXT (room names are # and 1-24 of "
                                  "a-z 0-9 _ -)");
    sanitize_text(text, sizeof text, one ? rest : args, strlen(one ? rest : args));
    if (text[0] == '\0')
        return control_fail(seat, "usage: say [#ROOM] TEXT");
    if (!one) {
        registry_notice(srv, text);
        snprintf(done, sizeof done, "notice sent: %s", text);
        return control_done(srv, seat, done);
    }
    pthread_mutex_lock(&srv->reg_lock);
    struct room *rm = rooms_find_locked(srv, name);
    if (rm != NULL) {
        struct msg m = {.type = MSG_NOTICE, .text = text};
        room_send_locked(rm, &m, NULL);
    }
    pthread_mutex_unlock(&srv->reg_lock);
    if (rm == NULL) {
        control_say(seat, CONTROL_FAIL, "no room %s (see rooms)", name);
        return CONTROL_ERR;
    }
    snprintf(done, sizeof done, "notice sent to %s: %s", name, text);
    return control_done(srv, seat, done);
}

static enum control_result ctl_rooms(struct server *srv, const char *args,
                                     const struct control_seat *seat)
{
    (void)args;
    rooms_list(srv, NULL, control_listing, (void *)seat);
    return CONTROL_OK;
}

/* Who went where, for the log: "alice to #a". */
struct moved {
    char nick[NICK_MAX + 1];
    char room[ROOMNAME_SIZE];
};

static void control_log_moves(struct server *srv, const struct control_seat *seat,
                              const struct moved *mv, unsigned n)
{
    unsigned ev = AEV_OPERATOR | (seat->log_is_seat ? LOG_ADMINS_ONLY : 0);
    for (unsigned i = 0; i < n; i++)
        log_event(srv, ev, NULL, "operator%s%s%s: moved %s to %s", seat->who ? " (" : "",
                  seat->who ? seat->who : "", seat->who ? ")" : "", mv[i].nick, mv[i].room);
}

static enum control_result ctl_move(struct server *srv, const char *args,
                                    const struct control_seat *seat)
{
    const char *word;
    size_t len;
    char nick[NICK_MAX + 1], name[ROOMNAME_SIZE], done[NICK_MAX + ROOMNAME_SIZE * 2 + 32];
    if (!cmd_next_word(&args, &word, &len) || !nick_valid(word, len) ||
        !control_room_word(&args, name) || *args != '\0')
        return control_fail(seat, "usage: move NICK #ROOM");
    memcpy(nick, word, len);
    nick[len] = '\0';
    pthread_mutex_lock(&srv->reg_lock);
    struct client *c = registry_find_locked(srv, nick);
    enum { MOVED, NO_NICK, THERE, FULL } how = MOVED;
    if (c == NULL || c->room == NULL) {
        how = NO_NICK;
    } else if (strcmp(c->room->name, name) == 0) {
        how = THERE;
    } else {
        struct room *dst = rooms_get_locked(srv, name);
        if (dst == NULL) {
            how = FULL;
        } else {
            memcpy(nick, c->nick, sizeof nick);
            room_move_locked(c, dst, NULL);
        }
    }
    pthread_mutex_unlock(&srv->reg_lock);
    switch (how) {
    case NO_NICK:
        control_say(seat, CONTROL_FAIL, "no such nick: %s", nick);
        return CONTROL_ERR;
    case THERE:
        control_say(seat, CONTROL_FAIL, "%s is in %s already", nick, name);
        return CONTROL_ERR;
    case FULL:
        control_say(seat, CONTROL_FAIL, "too many rooms (%d): %s is one too many", ROOMS_MAX, name);
        return CONTROL_ERR;
    case MOVED:
    default:
        break;
    }
    snprintf(done, sizeof done, "moved %s to %s", nick, name);
    return control_done(srv, seat, done);
}

static int client_by_id(const void *a, const void *b)
{
    const struct client *x = *(struct client *const *)a, *y = *(struct client *const *)b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* With reg_lock held: the members of rm, oldest connection first, in a
 * new array (NULL when rm is empty or out of memory). */
static struct client **members_locked(const struct room *rm, unsigned *n)
{
    *n = 0;
    if (rm->users == 0)
        return NULL;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    struct client **v = malloc(rm->users * sizeof *v);
    if (v == NULL)
        return NULL;
    for (struct client *c = rm->head; c != NULL; c = c->rnext)
        v[(*n)++] = c;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    qsort(v, *n, sizeof *v, client_by_id);
    return v;
}

static enum control_result ctl_split(struct server *srv, const char *args,
                                     const struct control_seat *seat)
{
    char names[ROOMS_MAX][ROOMNAME_SIZE];
    unsigned k = 0;
    while (args[strspn(args, " ")] != '\0') {
        if (k == ROOMS_MAX - 1 || !control_room_word(&args, names[k]) ||
            strcmp(names[k], ROOM_MAIN) == 0)
            return control_fail(seat, "usage: split #ROOM [#ROOM ...] (rooms other than #main)");
        bool dup = false;
        for (unsigned i = 0; i < k; i++)
            dup = dup || strcmp(names[i], names[k]) == 0;
        k += !dup;
    }
    if (k == 0)
        return control_fail(seat, "usage: split #ROOM [#ROOM ...] (rooms other than #main)");
    struct room *dst[ROOMS_MAX];
    unsigned got[ROOMS_MAX] = {0};
    pthread_mutex_lock(&srv->reg_lock);
    for (unsigned i = 0; i < k; i++) {
        dst[i] = rooms_get_locked(srv, names[i]);
        if (dst[i] == NULL) { /* nobody moved: the rooms made so far go again */
            for (unsigned j = 0; j < i; j++) {
                dst[j]->holds--;
                rooms_gc_locked(srv, dst[j]);
            }
            pthread_mutex_unlock(&srv->reg_lock);
            control_say(seat, CONTROL_FAIL, "too many rooms (%d): %s is one too many", ROOMS_MAX,
                        names[i]);
            return CONTROL_ERR;
        }
        dst[i]->holds++; /* empty until the dealing: making the next must not evict it */
    }
    for (unsigned i = 0; i < k; i++)
        dst[i]->holds--; /* none is made from here on */
    unsigned n;
    struct client **who = members_locked(&srv->main_room, &n);
    struct moved *mv = n > 0 ? calloc(n, sizeof *mv) : NULL;
    if (n > 0 && (who == NULL || mv == NULL)) {
        pthread_mutex_unlock(&srv->reg_lock);
        free(who);
        free(mv);
        return control_fail(seat, "split: out of memory");
    }
    /* Round-robin in order of arrival: neighbours in the class list end
     * up in different rooms, and the rooms differ by one at most. */
    for (unsigned i = 0; i < n; i++) {
        room_move_locked(who[i], dst[i % k], NULL);
        got[i % k]++;
        memcpy(mv[i].nick, who[i]->nick, sizeof mv[i].nick);
        memcpy(mv[i].room, names[i % k], sizeof mv[i].room);
    }
    for (unsigned i = 0; i < k; i++) /* a room nobody was dealt into goes again */
        if (got[i] == 0)
            rooms_gc_locked(srv, dst[i]);
    pthread_mutex_unlock(&srv->reg_lock);
    free(who);
    char done[LINE_MAX_BYTES];
    int o = snprintf(done, sizeof done, "split %u %s into %u room%s:", n,
                     n == 1 ? "person" : "people", k, plural_s(k));
    for (unsigned i = 0; i < k && o > 0 && (size_t)o < sizeof done; i++)
        o +=
            snprintf(done + o, sizeof done - (size_t)o, "%s %s %u", i ? "," : "", names[i], got[i]);
    control_log_moves(srv, seat, mv, n);
    free(mv);
    return control_done(srv, seat, done);
}

static enum control_result ctl_gather(struct server *srv, const char *args,
                                      const struct control_seat *seat)
{
    if (args[strspn(args, " ")] != '\0')
        return control_fail(seat, "usage: gather");
    pthread_mutex_lock(&srv->reg_lock);
    unsigned n = srv->nroom - srv->main_room.users, k = 0;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    struct client **who = n > 0 ? malloc(n * sizeof *who) : NULL;
    if (n > 0 && who == NULL) {
        pthread_mutex_unlock(&srv->reg_lock);
        return control_fail(seat, "gather: out of memory");
    }
    /* Collected first: each move may free the room it leaves. */
    for (unsigned i = 1; i < srv->nrooms; i++)
        for (struct client *c = srv->rooms[i]->head; c != NULL && k < n; c = c->rnext)
            who[k++] = c;
    if (k > 0) /* in order of arrival, as split deals them */
        /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
        qsort(who, k, sizeof *who, client_by_id);
    for (unsigned i = 0; i < k; i++)
        room_move_locked(who[i], &srv->main_room, NULL);
    pthread_mutex_unlock(&srv->reg_lock);
    free(who);
    char done[64];
    snprintf(done, sizeof done, "gathered %u %s into #main", k, k == 1 ? "person" : "people");
    return control_done(srv, seat, done);
}

static enum control_result ctl_topic(struct server *srv, const char *args,
                                     const struct control_seat *seat)
{
    char name[ROOMNAME_SIZE], text[TOPIC_MAX + 1], done[TOPIC_MAX + ROOMNAME_SIZE + 48];
    if (!control_room_word(&args, name))
        return control_fail(seat, "usage: topic #ROOM [TEXT] (no TEXT: cleared)");
    sanitize_text(text, sizeof text, args, strlen(args));
    utf8_cut(text);
    pthread_mutex_lock(&srv->reg_lock);
    /* Pinned ahead of the class: the room waits for them with its topic. */
    struct room *rm = text[0] != '\0' ? rooms_get_locked(srv, name) : rooms_find_locked(srv, name);
    bool saved =
        rm == NULL || room_topic_set_locked(srv, rm, text, "the operator", true, NULL) == 0;
    if (!saved)
        rooms_gc_locked(srv, rm); /* made for a topic that was not set */
    pthread_mutex_unlock(&srv->reg_lock);
    if (!saved) {
        control_say(seat, CONTROL_FAIL, "topic of %s not set: the transcript cannot save it", name);
        return CONTROL_ERR;
    }
    if (rm == NULL) {
        control_say(seat, CONTROL_FAIL, "%s %s", text[0] != '\0' ? "too many rooms:" : "no room",
                    name);
        return CONTROL_ERR;
    }
    if (text[0] != '\0')
        snprintf(done, sizeof done, "pinned the topic of %s: %s", name, text);
    else
        snprintf(done, sizeof done, "cleared the topic of %s", name);
    return control_done(srv, seat, done);
}

static enum control_result ctl_lock_room(struct server *srv, bool lock, const char *args,
                                         const struct control_seat *seat)
{
    char name[ROOMNAME_SIZE], done[ROOMNAME_SIZE + 32];
    if (!control_room_word(&args, name) || *args != '\0')
        return control_fail(seat, lock ? "usage: lock #ROOM" : "usage: unlock #ROOM");
    pthread_mutex_lock(&srv->reg_lock);
    struct room *rm = lock ? rooms_get_locked(srv, name) : rooms_find_locked(srv, name);
    bool was = rm != NULL && rm->locked;
    if (rm != NULL && was != lock) {
        rm->locked = lock;
        char note[ROOMNAME_SIZE + 64];
        snprintf(note, sizeof note,
                 lock ? "%s is locked: the teacher speaks, everyone reads" : "%s is open again",
                 name);
        struct msg m = {.type = MSG_NOTICE, .text = note};
        room_send_locked(rm, &m, NULL);
        rooms_gc_locked(srv, rm); /* unlocked and empty: it may go */
    }
    pthread_mutex_unlock(&srv->reg_lock);
    if (rm == NULL) {
        control_say(seat, CONTROL_FAIL, lock ? "too many rooms: %s" : "no room %s", name);
        return CONTROL_ERR;
    }
    if (was == lock) {
        control_say(seat, CONTROL_FAIL, "%s is %s", name, lock ? "locked already" : "not locked");
        return CONTROL_ERR;
    }
    snprintf(done, sizeof done, "%s %s", lock ? "locked" : "unlocked", name);
    return control_done(srv, seat, done);
}

static enum control_result ctl_lock(struct server *srv, const char *args,
                                    const struct control_seat *seat)
{
    return ctl_lock_room(srv, true, args, seat);
}

static enum control_result ctl_unlock(struct server *srv, const char *args,
                                      const struct control_seat *seat)
{
    return ctl_lock_room(srv, false, args, seat);
}

/* kick, ban, mute: parsed by moderation.c, done by operator.c. */
static enum control_result ctl_sanction(struct server *srv, enum mod_kind kind, const char *args,
                                        const struct control_seat *seat)
{
    struct mod_request rq;
    char msg[512];
    if (mod_parse_request(kind, args, &rq, msg, sizeof msg) < 0)
        return control_fail(seat, msg);
    int rc = operator_act(srv, &rq, msg, sizeof msg);
    /* On a cluster it holds on every node: the others apply it too. */
    char where[CLUSTER_NODE_MAX], spelled[NICK_MAX + 1];
    bool elsewhere =
        srv->cluster != NULL && !rq.by_addr &&
        cluster_nick_where(srv, rq.target, where, sizeof where, spelled, sizeof spelled) == 1;
    if (srv->cluster != NULL && (rc == 0 || elsewhere)) {
        bool told = cluster_operator(srv, mod_kind_name(kind), args) == 0;
        if (rc < 0)
            snprintf(msg, sizeof msg, "%s %s: %s, where %s is", mod_kind_name(kind), spelled,
                     told ? "sent to node" : "cannot reach node", where);
        else if (!told)
            snprintf(msg + strlen(msg), sizeof msg - strlen(msg),
                     " (here only: the cluster cannot be reached)");
        rc = told || rc == 0 ? 0 : -1;
        if (rc == 0 && told && !elsewhere)
            snprintf(msg + strlen(msg), sizeof msg - strlen(msg), "; every node applies it");
    }
    if (rc < 0)
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
    int rc = operator_lift(srv, mask, who, msg, sizeof msg);
    /* On a cluster, lifted on every node (it may hold there only). */
    const char *verb = mask == MOD_MUTE ? "unmute" : "unban";
    if (srv->cluster != NULL && cluster_operator(srv, verb, who) == 0) {
        if (rc < 0)
            snprintf(msg, sizeof msg, "sent to every node: %s %s", verb, who);
        rc = 0;
    }
    if (rc < 0)
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
    {"say", "say [#ROOM] TEXT", "a notice to everyone, or to one room", ctl_say},
    {"rooms", "rooms", "the rooms: people, topics, locks", ctl_rooms},
    {"move", "move NICK #ROOM", "move someone to a room (made if need be)", ctl_move},
    {"split", "split #ROOM [#ROOM ...]",
     "deal everyone in #main into these rooms,\nround-robin in order of arrival", ctl_split},
    {"gather", "gather", "everyone back to #main", ctl_gather},
    {"topic", "topic #ROOM [TEXT]",
     "pin a room's topic (students cannot change it);\nno TEXT: clear and unpin", ctl_topic},
    {"lock", "lock #ROOM", "students read there, do not write", ctl_lock},
    {"unlock", "unlock #ROOM", "students may write there again", ctl_unlock},
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

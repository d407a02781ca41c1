/* room: joining (with the history), leaving, moving between rooms, and
 * chat delivered to a room's members in one order, with the transcript
 * written in that order: all under reg_lock, so every receiver, the
 * history and the transcript agree. Each message is encoded once per
 * dialect and queued by reference. The table of rooms is rooms.c. */
#include "server.h"
#include "rate.h"
#include "room.h"
#include "cluster.h"

#include <stdlib.h>
#include <string.h>

#include "utf8.h"

bool room_announced(unsigned users)
{
    return users <= ANNOUNCE_MAX_USERS;
}

/* m encoded once per dialect. */
static void encode_pair(const struct msg *m, struct outmsg **framed, struct outmsg **plain)
{
    *framed = outmsg_encode(DIALECT_FRAMED, m);
    *plain = outmsg_encode(DIALECT_PLAIN, m);
}

/* With reg_lock held: queues the encodings on every member of rm but
 * `except`, by reference. */
static unsigned deliver_pair_locked(const struct room *rm, struct outmsg *framed,
                                    struct outmsg *plain, const struct client *except)
{
    unsigned n = 0;
    for (struct client *c = rm->head; c; c = c->rnext) {
        if (c == except)
            continue;
        if (c->dialect == DIALECT_FRAMED && framed) {
            client_send_ref(c, framed);
            n++;
        } else if (c->dialect == DIALECT_PLAIN && plain) {
            client_send_ref(c, plain);
            n++;
        }
    }
    return n;
}

void room_send_locked(const struct room *rm, const struct msg *m, const struct client *except)
{
    struct outmsg *framed, *plain;
    encode_pair(m, &framed, &plain);
    deliver_pair_locked(rm, framed, plain, except);
    outmsg_unref(framed);
    outmsg_unref(plain);
}

void room_broadcast_locked(struct server *srv, const struct msg *m, const struct client *except)
{
    struct outmsg *framed, *plain;
    encode_pair(m, &framed, &plain);
    for (unsigned i = 0; i < srv->nrooms; i++)
        deliver_pair_locked(srv->rooms[i], framed, plain, except);
    outmsg_unref(framed);
    outmsg_unref(plain);
}

bool room_muted(struct reply *r)
{
    struct client *c = r->c;
    long long until = atomic_load(&c->muted_until_ms);
    if (until == 0)
        return false;
    int64_t now = server_now_ms(c->srv);
    if (until != INT64_MAX && now >= until) {
        /* Over (no timer says so: the person was told how long it lasts).
         * Cleared unless the operator muted again meanwhile. */
        atomic_compare_exchange_strong(&c->muted_until_ms, &until, 0);
        return false;
    }
    if (until == INT64_MAX) {
        reply_err(r, ERR_MUTED,
                  "you are muted until the operator unmutes you: you can read, not write");
    } else {
        char left[32];
        format_duration(left, sizeof left, ((int64_t)until - now + 999) / 1000 * 1000);
        reply_err(r, ERR_MUTED, "you are muted (%s left): you can read, not write", left);
    }
    return true;
}

void room_refuse_locked(struct reply *r, const char *where)
{
    reply_err(r, ERR_LOCKED, "%s is locked by the operator: you can read, not write", where);
}

/* With reg_lock held: a chat or /me line into rm: the transcript (a
 * chat line), every member but except, the history, UNREAD. The
 * transcript is written under the lock so its order is everyone's order;
 * the write goes to the page cache (the fsync is elsewhere). What the
 * append had to repair is copied to tnote (logged after unlocking). False
 * when the transcript could not keep it and `keep_or_drop` says a line not
 * kept is not relayed (this node's own chat, which is then refused). */
static bool relay_locked(struct server *srv, struct room *rm, const struct msg *m,
                         const struct client *except, bool keep_or_drop, char *tnote)
{
    struct outmsg *framed, *plain;
    encode_pair(m, &framed, &plain);
    bool lost = false;
    if (m->type == MSG_CHAT && srv->transcript && framed) {
        if (transcript_append(srv->transcript, rm->name, framed->data, framed->len) < 0)
            lost = true;
        if (srv->transcript->note[0] != '\0')
            memcpy(tnote, srv->transcript->note, TRANSCRIPT_NOTE_MAX);
    }
    if (!lost || !keep_or_drop) {
        unsigned n = deliver_pair_locked(rm, framed, plain, except);
        atomic_fetch_add_explicit(&srv->st.deliveries, n, memory_order_relaxed);
        if (m->type == MSG_CHAT && framed && plain)
            history_push(rm->hist, framed, plain);
        rooms_said_locked(srv, rm);
    }
    outmsg_unref(framed);
    outmsg_unref(plain);
    return !lost;
}

/* The log's line for a chat or /me said by c. --quiet keeps it out of
 * the log, not from the admins (log_event). #main's lines read as they
 * always did. */
static void chat_logged(struct server *srv, const struct client *c, enum msg_type type,
                        const char *where, const char *nick, const char *text)
{
    bool in_main = strcmp(where, ROOM_MAIN) == 0;
    if (type == MSG_ACTION)
        log_event(srv, AEV_CHAT, c, "%s%s* %s %s", in_main ? "" : where, in_main ? "" : ": ", nick,
                  text);
    else
        log_event(srv, AEV_CHAT, c, "says%s%s: %s", in_main ? "" : " in ", in_main ? "" : where,
                  text);
}

/* Chat through the cluster (cluster.h): published, then delivered here
 * and everywhere by each node's tailer in the stream's order. True when
 * handled (ACKed, or refused); false when the node is local now and the
 * caller delivers it here. */
static bool room_chat_cluster(struct reply *r, enum msg_type type, const char *text)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    if (srv->cluster == NULL || !cluster_linked(srv))
        return false;
    struct centry *e = calloc(1, sizeof *e); /* 4 KiB: off the thread's small stack */
    if (e == NULL)
        return false;
    pthread_mutex_lock(&srv->reg_lock);
    if (!c->joined || c->room == NULL) {
        pthread_mutex_unlock(&srv->reg_lock);
        free(e);
        return true;
    }
    memcpy(e->room, c->room->name, sizeof e->room);
    if (c->room->locked) {
        pthread_mutex_unlock(&srv->reg_lock);
        room_refuse_locked(r, e->room);
        free(e);
        return true;
    }
    e->kind = type == MSG_ACTION ? CE_ACTION : CE_CHAT;
    memcpy(e->nick, c->nick, sizeof e->nick);
    pthread_mutex_unlock(&srv->reg_lock);
    e->conn = c->id;
    e->time = server_wall(srv);
    snprintf(e->node, sizeof e->node, "%s", cluster_node(srv));
    snprintf(e->text, sizeof e->text, "%s", text);
    int rc = cluster_publish(srv, e, c->session, r->id);
    if (rc < 0) {
        free(e);
        return false;
    }
    /* In Redis: acknowledged. 0: a resend of what Redis already has. */
    if (rc > 0)
        atomic_fetch_add_explicit(&srv->st.messages, 1, memory_order_relaxed);
    reply_ack(r);
    if (rc > 0)
        chat_logged(srv, c, type, e->room, e->nick, text);
    free(e);
    return true;
}

void room_chat(struct reply *r, enum msg_type type, const char *text)
{
    struct client *c = r->c;
    struct server *srv = c->srv;
    char nick[NICK_MAX + 1], where[ROOMNAME_SIZE];
    char tnote[TRANSCRIPT_NOTE_MAX];

    if (room_muted(r))
        return;
    if (room_chat_cluster(r, type, text))
        return;
    tnote[0] = '\0';
    pthread_mutex_lock(&srv->reg_lock);
    if (!c->joined || c->room == NULL) {
        pthread_mutex_unlock(&srv->reg_lock);
        return;
    }
    struct room *rm = c->room;
    memcpy(where, rm->name, sizeof where);
    if (rm->locked) {
        pthread_mutex_unlock(&srv->reg_lock);
        /* Not ACKed: nothing was relayed. */
        room_refuse_locked(r, where);
        return;
    }
    struct msg m = {.type = type, .time = server_wall(srv), .nick = c->nick, .text = text};
    bool kept = relay_locked(srv, rm, &m, c, true, tnote);
    memcpy(nick, c->nick, sizeof nick);
    pthread_mutex_unlock(&srv->reg_lock);

    if (tnote[0] != '\0')
        log_event(srv, AEV_ERROR, NULL, "%s", tnote);
    if (!kept) {
        /* Not kept, so not relayed and not acknowledged. */
        reply_err(r, "transcript", "message not sent: the server cannot save it");
        log_event(srv, AEV_ERROR, c, "transcript write failed; message refused");
        return;
    }
    atomic_fetch_add_explicit(&srv->st.messages, 1, memory_order_relaxed);
    /* Acknowledged only once it is saved, queued for everyone and in history. */
    reply_ack(r);
    chat_logged(srv, c, type, where, nick, text);
}

void room_relay(struct server *srv, const char *name, const struct msg *m, uint64_t except_id,
                bool live)
{
    char tnote[TRANSCRIPT_NOTE_MAX];
    tnote[0] = '\0';
    pthread_mutex_lock(&srv->reg_lock);
    struct room *rm = rooms_get_locked(srv, name);
    if (rm == NULL) {
        pthread_mutex_unlock(&srv->reg_lock);
        log_event(srv, AEV_ERROR, NULL, "cluster: no room for %s here (%d rooms at most)", name,
                  ROOMS_MAX);
        return;
    }
    if (live) {
        const struct client *except = NULL;
        for (const struct client *c = rm->head; c != NULL && except_id != 0; c = c->rnext)
            if (c->id == except_id)
                except = c;
        relay_locked(srv, rm, m, except, false, tnote);
    } else {
        struct outmsg *framed, *plain;
        encode_pair(m, &framed, &plain);
        if (framed && plain)
            history_push(rm->hist, framed, plain);
        outmsg_unref(framed);
        outmsg_unref(plain);
    }
    rooms_gc_locked(srv, rm);
    pthread_mutex_unlock(&srv->reg_lock);
    if (tnote[0] != '\0')
        log_event(srv, AEV_ERROR, NULL, "%s", tnote);
}

void room_history_reset(struct server *srv)
{
    pthread_mutex_lock(&srv->reg_lock);
    for (unsigned i = 0; i < srv->nrooms; i++) {
        struct room *rm = srv->rooms[i];
        history_free(rm->hist);
        history_init(rm->hist, srv->cfg.history);
    }
    pthread_mutex_unlock(&srv->reg_lock);
}

/* With reg_lock held: the history for a newcomer. The ring holds at most
 * HISTORY_BYTES (history_push), far under the slow-consumer limit, so no
 * --history can cut a newcomer off. What that bound dropped of the last
 * --history messages is said first: after the WELCOME and before the CHAT
 * lines, where sockchat's replay de-duplication expects it. */
static void room_history_locked(struct client *c, const struct room *rm, enum dialect d)
{
    const struct history *h = rm->hist;
    uint64_t omitted = history_omitted(h);
    if (omitted > 0) {
        char text[128];
        snprintf(text, sizeof text, "%llu older message%s not shown (history is limited to %d KiB)",
                 (unsigned long long)omitted, omitted == 1 ? "" : "s", HISTORY_BYTES >> 10);
        struct msg n = {.type = MSG_NOTICE, .text = text};
        client_send_msg(c, &n);
    }
    for (unsigned i = 0; i < h->count; i++)
        client_send_ref(c, history_get(h, i, d == DIALECT_FRAMED));
}

void room_transcript_repair(void *arg)
{
    struct server *srv = arg;
    char note[TRANSCRIPT_NOTE_MAX];
    pthread_mutex_lock(&srv->reg_lock);
    srv->transcript->note[0] = '\0';
    transcript_repair(srv->transcript);
    memcpy(note, srv->transcript->note, sizeof note);
    pthread_mutex_unlock(&srv->reg_lock);
    if (note[0] != '\0')
        log_event(srv, AEV_ERROR, NULL, "%s", note);
}

static const char *const DIALECT_NAMES[] = {"?", "sockchat", "plain", "tutorial"};

void room_join(struct client *c, enum dialect d, const char *want)
{
    struct server *srv = c->srv;
    char nick[NICK_MAX + 1];
    unsigned users;
    int64_t now = server_now_ms(srv);
    bool askable = want && nick_valid(want, strlen(want)) && !nick_reserved(want);
    /* On a cluster, another node's client may have it (cluster.h). */
    bool elsewhere = false, elsewhere_tok = false;
    if (askable && srv->cluster != NULL)
        elsewhere =
            cluster_nick_take(srv, want, NULL, NULL, 0, &elsewhere_tok) == CLUSTER_NICK_ELSEWHERE;

    pthread_mutex_lock(&srv->reg_lock);
    c->dialect = d;
    /* A nick taken, or held for someone else (nickhold.c), gives guestN.
     * But our client's token comes after the WELCOME: one held for a
     * token may be its owner's, back after a dropped connection (or, on
     * a cluster, back on this node after its own died). It is told it has
     * the nick; the room hears of it when its next line (its SESSION)
     * shows whose it is (room_settle). */
    if (askable) {
        enum nick_verdict v = registry_nick_check_locked(srv, c, want, now, NULL, NULL);
        const struct nick_hold *h = v == NICK_HELD ? nickhold_find(&srv->holds, want, now) : NULL;
        if (v == NICK_FREE && !elsewhere) {
            snprintf(c->nick, sizeof c->nick, "%s", want);
        } else if (d == DIALECT_FRAMED &&
                   ((h != NULL && h->token[0] != '\0') || (v == NICK_FREE && elsewhere_tok))) {
            c->provisional = true;
            snprintf(c->asked, sizeof c->asked, "%s", want);
        }
    }
    if (srv->reg_closed) {
        pthread_mutex_unlock(&srv->reg_lock);
        return; /* shutting down: its SHUTDOWN is already queued */
    }
    registry_enter_locked(srv, c);
    if (c->room == NULL) /* everyone starts in #main */
        rooms_enter_locked(&srv->main_room, c);
    struct room *rm = c->room;
    users = rm->users + cluster_remote_count(srv, rm->name);
    char where[ROOMNAME_SIZE];
    memcpy(where, rm->name, sizeof where);
    unsigned online = srv->nroom;
    rate_rejoin(c, now); /* its tokens again, now that it is counted in the room */
    const char *told = c->provisional ? c->asked : c->nick;
    if (d == DIALECT_FRAMED) {
        struct msg w = {.type = MSG_WELCOME,
                        .nick = told,
                        .word = mode_name(srv->cfg.mode),
                        .users = users,
                        .text = srv->cfg.name};
        client_send_msg(c, &w);
        if (c->proto >= 2) {
            struct msg rmsg = {
                .type = MSG_ROOM, .word = rm->name, .users = users, .text = rm->topic};
            client_send_msg(c, &rmsg);
        }
    }
    if (d == DIALECT_FRAMED || d == DIALECT_PLAIN) {
        room_history_locked(c, rm, d);
        room_topic_tell_locked(c, NULL);
        cluster_greet_locked(c);
        /* After the history, so that it does not scroll away: an nc user
         * learns their guestN nowhere else. (The tutorial's client reads
         * only replies: /help and /who tell it.) */
        char you[NICK_MAX + 48];
        snprintf(you, sizeof you, "you are %s; /nick NAME to change it", told);
        struct msg y = {.type = MSG_OUT, .text = you};
        client_send_msg(c, &y);
    }
    if (c->provisional) {
        pthread_mutex_unlock(&srv->reg_lock);
        return; /* announced, logged and judged by room_settle */
    }
    c->ever_joined = true;
    if (room_announced(users)) {
        struct msg j = {.type = MSG_JOIN, .nick = c->nick, .users = users};
        room_send_locked(rm, &j, c);
    }
    memcpy(nick, c->nick, sizeof nick);
    pthread_mutex_unlock(&srv->reg_lock);
    cluster_tell(srv, CE_JOIN, where, nick, NULL, NULL);

    /* One line per arrival, with the nick it ends up with (the nick
     * column) and its address. */
    const char *tls = xport_version(c);
    log_event(srv, AEV_JOIN, c, "joined (%s client%s%s, %u online)", DIALECT_NAMES[d],
              tls != NULL ? ", " : "", tls != NULL ? tls : "", online);
    operator_mute_arrival(c, nick, NULL); /* a mute follows the nick */
}

/* The first line after a WELCOME that gave c, on trust, a nick held for
 * a token (room_join): its SESSION, read just before, or any other
 * line (then it has no token, or not yet). With the owner's token the
 * nick is c's; else c is told it is its guestN, and why. Then the room is
 * told that c joined, under the nick it has. */
void room_settle(struct client *c)
{
    struct server *srv = c->srv;
    char holder[NICK_MAX + 1], nick[NICK_MAX + 1];
    int64_t now = server_now_ms(srv), left_ms = 0;

    if (client_close_state(c, NULL, 0) != CLOSE_NONE)
        return; /* its SESSION was kicked: it leaves unannounced */
    if (operator_refuse_arrival(c, c->asked, NULL))
        return; /* the nick was kicked meanwhile */
    /* On a cluster, its token may take the nick over from a dead node. */
    char where[CLUSTER_NODE_MAX] = "";
    bool elsewhere = srv->cluster != NULL &&
                     cluster_nick_take(srv, c->asked, c->session, where, sizeof where, NULL) ==
                         CLUSTER_NICK_ELSEWHERE;
    pthread_mutex_lock(&srv->reg_lock);
    c->provisional = false;
    if (!c->joined) { /* shutting down */
        pthread_mutex_unlock(&srv->reg_lock);
        return;
    }
    bool own = registry_nick_check_locked(srv, c, c->asked, now, holder, &left_ms) == NICK_FREE &&
               !elsewhere;
    if (own) {
        registry_rename_locked(srv, c, c->asked);
    } else {
        struct msg m = {.type = MSG_NICK, .nick = c->asked, .nick2 = c->nick};
        client_send_msg(c, &m);
    }
    c->ever_joined = true;
    unsigned users = c->room->users + cluster_remote_count(srv, c->room->name), online = srv->nroom;
    if (room_announced(users)) {
        struct msg j = {.type = MSG_JOIN, .nick = c->nick, .users = users};
        room_send_locked(c->room, &j, c);
    }
    memcpy(nick, c->nick, sizeof nick);
    char room[ROOMNAME_SIZE];
    memcpy(room, c->room->name, sizeof room);
    pthread_mutex_unlock(&srv->reg_lock);
    cluster_tell(srv, CE_JOIN, room, nick, NULL, NULL);

    if (!own && elsewhere) {
        struct reply r = {.c = c};
        reply_err(&r, ERR_NICK_TAKEN, "%s is taken on %s; you are %s", c->asked, where, nick);
    } else if (!own) {
        struct reply r = {.c = c};
        reply_err(&r, ERR_NICK_TAKEN, "%s is held for its owner for %lld s; you are %s", holder,
                  (long long)((left_ms + 999) / 1000), nick);
    }
    const char *tls = xport_version(c);
    log_event(srv, AEV_JOIN, c, "joined (%s client%s%s, %u online)%s",
              DIALECT_NAMES[DIALECT_FRAMED], tls != NULL ? ", " : "", tls != NULL ? tls : "",
              online, own ? ": its nick, held for its session token" : "");
    operator_mute_arrival(c, nick, NULL);
}

void room_leave(struct client *c, const char *reason)
{
    struct server *srv = c->srv;
    char drop[NICK_MAX + 1] = "", from[ROOMNAME_SIZE] = "";

    pthread_mutex_lock(&srv->reg_lock);
    if (c->joined) {
        struct room *rm = c->room;
        /* Its cluster lease goes; the hold for its token is this node's. */
        if (srv->cluster != NULL && !c->provisional) {
            memcpy(drop, c->nick, sizeof drop);
            memcpy(from, rm->name, sizeof from);
        }
        registry_leave_locked(srv, c);
        if (!nick_reserved(c->nick))
            nickhold_put(&srv->holds, c->nick, c->session, server_now_ms(srv));
        unsigned users = rm->users;
        bool always = strncmp(reason, "too slow", 8) == 0 || strncmp(reason, "kicked", 6) == 0;
        /* A provisional join was never announced (room_join). */
        if (!c->provisional && (always || room_announced(users + 1))) {
            struct msg m = {.type = MSG_LEAVE, .nick = c->nick, .users = users, .text = reason};
            room_send_locked(rm, &m, c);
        }
        rooms_gc_locked(srv, rm);
    }
    pthread_mutex_unlock(&srv->reg_lock);
    if (drop[0] != '\0') {
        cluster_tell(srv, CE_LEAVE, from, drop, NULL, reason);
        if (!nick_reserved(drop))
            cluster_nick_drop(srv, drop);
    }
}

void room_remote_change(struct server *srv, const struct centry *e)
{
    pthread_mutex_lock(&srv->reg_lock);
    struct room *rm = rooms_find_locked(srv, e->room);
    if (rm == NULL || rm->head == NULL) { /* nobody here to tell */
        pthread_mutex_unlock(&srv->reg_lock);
        return;
    }
    unsigned users = rm->users + cluster_remote_count(srv, rm->name);
    struct msg m = {.nick = e->nick, .users = users};
    bool tell = room_announced(users);
    if (e->kind == CE_JOIN) {
        m.type = MSG_JOIN;
    } else if (e->kind == CE_LEAVE) {
        m.type = MSG_LEAVE;
        m.text = e->text;
        tell = room_announced(users + 1) || strncmp(e->text, "too slow", 8) == 0 ||
               strncmp(e->text, "kicked", 6) == 0;
    } else {
        m.type = MSG_NICK;
        m.nick2 = e->nick2;
        tell = true;
    }
    if (tell)
        room_send_locked(rm, &m, NULL);
    pthread_mutex_unlock(&srv->reg_lock);
}

/* What c is told (through r, when it is c's own command, else queued
 * directly); a tutorial client hears only replies. */
static void tell_locked(struct client *c, struct reply *r, const struct msg *m)
{
    if (r != NULL)
        reply_msg(r, m);
    else if (c->dialect == DIALECT_FRAMED || c->dialect == DIALECT_PLAIN)
        client_send_msg(c, m);
}

void room_topic_tell_locked(struct client *c, struct reply *r)
{
    const struct room *rm = c->room;
    if (rm->topic[0] == '\0')
        return;
    char text[ROOMNAME_SIZE + TOPIC_MAX + 16];
    snprintf(text, sizeof text, "topic of %s: %s", rm->name, rm->topic);
    struct msg m = {.type = MSG_NOTICE, .text = text};
    tell_locked(c, r, &m);
}

/* c has just come into its room (not at its join: room_join): the room's
 * line (ROOM to a v2 client, an OUT line to others), its history, its
 * topic. */
static void room_entered_locked(struct client *c, struct reply *r)
{
    const struct room *rm = c->room;
    if (c->dialect == DIALECT_FRAMED && c->proto >= 2) {
        struct msg m = {.type = MSG_ROOM, .word = rm->name, .users = rm->users, .text = rm->topic};
        tell_locked(c, r, &m);
    } else {
        char text[ROOMNAME_SIZE + TOPIC_MAX + 64];
        snprintf(text, sizeof text, "you are in %s now (%u %s)%s%s", rm->name, rm->users,
                 rm->users == 1 ? "person" : "people", rm->topic[0] != '\0' ? "; topic: " : "",
                 rm->topic);
        struct msg m = {.type = MSG_OUT, .text = text};
        tell_locked(c, r, &m);
    }
    if (c->dialect == DIALECT_FRAMED || c->dialect == DIALECT_PLAIN)
        room_history_locked(c, rm, c->dialect);
    room_topic_tell_locked(c, r);
}

void room_move_locked(struct client *c, struct room *dst, struct reply *r)
{
    struct server *srv = c->srv;
    struct room *old = c->room;
    if (!c->joined || old == NULL || old == dst)
        return;
    /* Both memberships first: the room c watches for UNREAD (rooms.c)
     * may push out another, which must not be dst. */
    rooms_exit_locked(c);
    rooms_enter_locked(dst, c);
    bool watching = rooms_watch_locked(srv, c, old);
    if (!c->provisional && room_announced(old->users + 1)) {
        char went[ROOMNAME_SIZE + 16];
        snprintf(went, sizeof went, "went to %s", dst->name);
        struct msg m = {.type = MSG_LEAVE, .nick = c->nick, .users = old->users, .text = went};
        room_send_locked(old, &m, c);
    }
    if (!c->provisional && room_announced(dst->users)) {
        struct msg j = {.type = MSG_JOIN, .nick = c->nick, .users = dst->users};
        room_send_locked(dst, &j, c);
    }
    room_entered_locked(c, r);
    if (!watching) { /* moved all the same: the move is what was asked */
        char text[ROOMNAME_SIZE + 80];
        snprintf(text, sizeof text, "out of memory: no UNREAD counts of %s will be sent",
                 old->name);
        struct msg m = {.type = MSG_NOTICE, .text = text};
        tell_locked(c, r, &m);
    }
    rooms_gc_locked(srv, old);
}

int room_topic_set_locked(struct server *srv, struct room *rm, const char *text, const char *by,
                          bool pinned, struct reply *r)
{
    char topic[TOPIC_MAX + 1];
    snprintf(topic, sizeof topic, "%s", text);
    utf8_cut(topic); /* TOPIC_MAX may fall inside a character */
    pinned = pinned && topic[0] != '\0';
    /* Saved before anyone is told, so a restart restores what was said. */
    int64_t now = server_wall(srv);
    if (srv->transcript && transcript_topic(srv->transcript, rm->name, now, pinned, topic) < 0)
        return -1;
    memcpy(rm->topic, topic, sizeof rm->topic);
    rm->topic_time = now;
    rm->pinned = pinned;
    char note[ROOMNAME_SIZE + TOPIC_MAX + NICK_MAX + 48];
    if (rm->topic[0] == '\0')
        snprintf(note, sizeof note, "%s cleared the topic of %s", by, rm->name);
    else
        snprintf(note, sizeof note, "%s %s the topic of %s: %s", by, pinned ? "pinned" : "set",
                 rm->name, rm->topic);
    struct msg n = {.type = MSG_NOTICE, .text = note};
    struct msg room = {.type = MSG_ROOM, .word = rm->name, .users = rm->users, .text = rm->topic};
    struct client *self = r != NULL ? r->c : NULL;
    room_send_locked(rm, &n, self);
    for (struct client *c = rm->head; c != NULL; c = c->rnext)
        if (c != self && c->dialect == DIALECT_FRAMED && c->proto >= 2)
            client_send_msg(c, &room);
    if (self != NULL) {
        reply_msg(r, &n);
        if (self->dialect == DIALECT_FRAMED && self->proto >= 2)
            reply_msg(r, &room);
    }
    rooms_gc_locked(srv, rm); /* cleared in an empty room: it may go */
    return 0;
}

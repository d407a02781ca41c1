/* handle: what the server says, line by line. A framed line is parsed and
 * goes to the handler of its type (the table at the end); a plain server's
 * every line is a response to the oldest message in flight. Nothing here
 * decides what the server is (detect.c) or writes to it but through the
 * outbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "chat_internal.h"

/* The rooms part of the status bar, after every change of c->rooms. */
static void rooms_show(struct chat *c)
{
    rooms_format(&c->rooms, c->st->rooms, sizeof(c->st->rooms));
}

/* The room to go back to after a reconnect to the same server: a new
 * connection starts in #main. "" for none. */
static void room_to_rejoin(struct chat *c, char back[ROOMNAME_SIZE])
{
    char here[sizeof(c->rooms_server)];
    snprintf(here, sizeof(here), "%s %s", c->host, c->port);
    back[0] = '\0';
    if (strcmp(here, c->rooms_server) == 0 && c->rooms.cur[0] != '\0' &&
        strcmp(c->rooms.cur, ROOM_MAIN) != 0)
        memcpy(back, c->rooms.cur, ROOMNAME_SIZE);
    memcpy(c->rooms_server, here, sizeof(here));
}

static void on_welcome(struct chat *c, const struct msg *m)
{
    char back[ROOMNAME_SIZE];
    room_to_rejoin(c, back);
    replay_begin(c);
    /* A new connection starts in #main, neither away nor with counts of
     * rooms left on the old one; a ROOM line (sockchat/2) says so. */
    rooms_reset(&c->rooms);
    c->rooms_fresh = true;
    c->st->away = false;
    rooms_show(c);
    c->dialect = DIALECT_FRAMED;
    c->st->state = CONN_CONNECTED;
    sanitize_text(c->st->nick, sizeof(c->st->nick), m->nick, strlen(m->nick));
    sanitize_text(c->st->mode, sizeof(c->st->mode), m->word, strlen(m->word));
    const char *mode = c->st->mode;
    c->st->users = m->users;
    c->next_ping_ms = c->now_ms; /* measure latency at once */
    chat_nick_add(c, m->nick);
    char line[600];
    snprintf(line, sizeof(line), "connected to %.200s as %s (%s mode, %u online)",
             m->text[0] ? m->text : "sockchat", m->nick, mode, m->users);
    chat_note(c, ENTRY_LOCAL, line);
    bool got = strcasecmp(m->nick, c->want_nick) == 0;
    /* guestN is never granted: a fresh one instead is no news. */
    if (!got && !nick_reserved(c->want_nick))
        chat_notef(c, ENTRY_LOCAL, "the nick %s was not available; you are %s", c->want_nick,
                   c->st->nick);
    if (got) {
        c->want_granted = true;
    } else if (!c->want_granted) {
        /* Never ours: someone else had it first. Asking for it on every
         * reconnect would hand it to whoever reconnects first after a
         * server restart, so ask for the name we have now. (A name we did
         * have is still asked for: the one holding it is likely our own
         * dead connection, and it comes back when that one leaves.) */
        chat_clean_nick(c->st->nick, c->want_nick, sizeof(c->want_nick));
    }
    /* Before anything is resent: the server checks resent ids against it. */
    if (c->session[0]) {
        struct msg s = {.type = MSG_SESSION, .word = c->session};
        outbox_send_framed(c, &s);
    }
    /* Before anything is resent too: what was typed while the connection
     * was down was typed for that room, and the server takes lines in
     * order. */
    if (back[0] != '\0') {
        char cmd[ROOMNAME_SIZE + 8];
        snprintf(cmd, sizeof(cmd), "/join %s", back);
        outbox_send_msg(c, c->next_id++, cmd);
        chat_notef(c, ENTRY_LOCAL, "back to %s, where you were", back);
    }
    outbox_flush(c);
}

static void on_ack(struct chat *c, const struct msg *m)
{
    for (size_t i = 0; i < c->npend; i++) {
        /* By id alone: a message put back after a slow-down may
         * still be acknowledged by an answer already on its way. */
        if (c->pend[i].id == m->id) {
            /* Taken by a server whose cluster is out of reach: only
             * the people on that server have it. */
            if (c->st->cluster == CLUSTER_LOCAL)
                chatlog_set_local_only(c->log, c->pend[i].seq);
            outbox_done(c, i, DELIVERY_DONE);
            break;
        }
    }
}

/* Logs a line someone said, marked when it names us (alert.h), and counts
 * the bell it rings. */
static void add_said(struct chat *c, enum entry_kind kind, const struct msg *m, const char *shown,
                     const struct alert_line *l)
{
    uint64_t seq = chat_add_entry(c, kind, m->time, shown, m->text, strlen(m->text));
    struct entry *e = chatlog_find(c->log, seq);
    if (e != NULL && alert_mention(l))
        e->mention = true;
    if (c->st->cluster == CLUSTER_LOCAL)
        chatlog_set_local_only(c->log, seq);
    if (alert_bell(c->bell, l))
        c->bells++;
}

static void on_said(struct chat *c, enum entry_kind kind, const struct msg *m)
{
    chat_nick_add(c, m->nick);
    /* Hidden before the replay looks at it: it was hidden the first time
     * too, so it is not in the log, and looking for it there would end
     * the replay and show the rest of the history twice. */
    if (ignore_has(&c->ignore, m->nick))
        return;
    /* Asked before replay_seen(), which may end the replay at this line. */
    bool history = replay_in_history(c);
    if (replay_seen(c, kind, m))
        return;
    struct alert_line l = {m->nick, NULL, m->text, c->st->nick, history};
    add_said(c, kind, m, m->nick, &l);
}

static void on_chat(struct chat *c, const struct msg *m)
{
    on_said(c, ENTRY_CHAT, m);
}

static void on_action(struct chat *c, const struct msg *m)
{
    on_said(c, ENTRY_ACTION, m);
}

static void on_priv(struct chat *c, const struct msg *m)
{
    char who[160];
    snprintf(who, sizeof(who), "%.60s -> %.60s", m->nick, m->nick2);
    chat_nick_add(c, m->nick);
    chat_nick_add(c, m->nick2);
    if (ignore_has(&c->ignore, m->nick))
        return;
    struct alert_line l = {m->nick, m->nick2, m->text, c->st->nick, false};
    add_said(c, ENTRY_PRIV, m, who, &l);
}

/* ROOM NAME USERS TOPIC (sockchat/2): we are in NAME now. A change of
 * room (or the first ROOM of a connection) is marked in the log, and the
 * room's history follows: a replay of its own (replay.c). The same room
 * again is a new topic, which the server also announces in a NOTICE. */
static void on_room(struct chat *c, const struct msg *m)
{
    if (!roomname_valid(m->word, strlen(m->word))) {
        chat_notef(c, ENTRY_ERR, "the server sent a ROOM line with a bad room name: %.60s",
                   m->word);
        return;
    }
    bool fresh = c->rooms_fresh;
    c->rooms_fresh = false;
    char topic[SANITIZE_CAP(ROOMS_TOPIC_MAX)];
    size_t tl = strlen(m->text);
    sanitize_text(topic, sizeof(topic), m->text, tl < ROOMS_TOPIC_MAX ? tl : ROOMS_TOPIC_MAX - 1);
    bool moved = rooms_on_room(&c->rooms, m->word, m->users, topic);
    c->st->users = m->users;
    rooms_show(c);
    if (!moved && !fresh)
        return;
    replay_begin(c);
    chat_notef(c, ENTRY_ROOM, "now in %s (%u %s)%s%.300s", c->rooms.cur, m->users,
               m->users == 1 ? "person" : "people", topic[0] ? ", topic: " : "", topic);
}

/* CLUSTER STATE TEXT (sockchat/2, issue 18): whether what is said here
 * reaches the whole cluster. "local" is shown in the status bar and marks
 * the chat shown until it changes; the text, for people, goes to the log. */
static void on_cluster(struct chat *c, const struct msg *m)
{
    if (strcmp(m->word, "local") == 0) {
        c->st->cluster = CLUSTER_LOCAL;
    } else if (strcmp(m->word, "cluster") == 0) {
        c->st->cluster = CLUSTER_OK;
    } else {
        /* A newer server's state: said, not guessed at. */
        chat_notef(c, ENTRY_ERR, "the server sent a CLUSTER line with an unknown state: %.60s",
                   m->word);
    }
    if (m->text[0])
        chat_add_entry(c, ENTRY_NOTICE, c->wall, NULL, m->text, strlen(m->text));
}

/* UNREAD NAME COUNT (sockchat/2): for the status bar only. */
static void on_unread(struct chat *c, const struct msg *m)
{
    if (rooms_on_unread(&c->rooms, m->word, m->users))
        rooms_show(c);
}

static void on_join(struct chat *c, const struct msg *m)
{
    chat_nick_add(c, m->nick);
    c->st->users = m->users;
    if (ignore_has(&c->ignore, m->nick))
        return;
    chat_notef(c, ENTRY_JOIN, "%.60s joined (%u online)", m->nick, m->users);
}

static void on_leave(struct chat *c, const struct msg *m)
{
    chat_nick_remove(c, m->nick);
    c->st->users = m->users;
    /* "quit bye all", "kicked stop that" (older servers; ours say
     * "kicked: stop that", shown as it is): the reason, then the
     * words the person gave, if any ("lost connection" is all reason). */
    const char *why = m->text[0] ? m->text : "quit";
    int wl = strncmp(why, "quit ", 5) == 0 ? 4 : strncmp(why, "kicked ", 7) == 0 ? 6 : 0;
    /* Hidden when ignored; the name taken back below all the same. */
    if (ignore_has(&c->ignore, m->nick))
        wl = -1;
    if (wl > 0)
        chat_notef(c, ENTRY_LEAVE, "%.60s left (%.*s: %.600s), %u online", m->nick, wl, why,
                   why + wl + 1, m->users);
    else if (wl == 0)
        chat_notef(c, ENTRY_LEAVE, "%.60s left (%.600s), %u online", m->nick, why, m->users);
    if (c->want_granted && strcasecmp(m->nick, c->want_nick) == 0 &&
        strcasecmp(c->st->nick, c->want_nick) != 0) {
        /* Our name is free again (its holder was most likely our own
         * connection that died): take it back. */
        char cmd[NICK_MAX + 8];
        snprintf(cmd, sizeof(cmd), "/nick %s", c->want_nick);
        outbox_send_msg(c, c->next_id++, cmd);
    }
}

static void on_nick(struct chat *c, const struct msg *m)
{
    chat_nick_remove(c, m->nick);
    chat_nick_add(c, m->nick2);
    ignore_rename(&c->ignore, m->nick, m->nick2); /* a new name is no way out */
    if (strcasecmp(m->nick, c->st->nick) == 0) {
        sanitize_text(c->st->nick, sizeof(c->st->nick), m->nick2, strlen(m->nick2));
        snprintf(c->want_nick, sizeof(c->want_nick), "%s", m->nick2);
        c->want_granted = true;
        chat_notef(c, ENTRY_LOCAL, "you are now known as %.60s", m->nick2);
    } else {
        chat_notef(c, ENTRY_LOCAL, "%.60s is now known as %.60s", m->nick, m->nick2);
    }
}

static void on_out(struct chat *c, const struct msg *m)
{
    chat_add_entry(c, ENTRY_OUT, c->wall, NULL, m->text, strlen(m->text));
    /* A /rooms row ("  #lab1   3 people ..."): a name for Tab. */
    rooms_note_row(&c->rooms, m->text);
    /* The server's answers to /away (ROOMS.md), for the status bar. */
    if (strncmp(m->text, "you are away: ", 14) == 0)
        c->st->away = true;
    else if (strcmp(m->text, "you are back") == 0)
        c->st->away = false;
}

/* ---- ERR, by its code ---- */

/* The oldest message in flight was refused: send it again after a pause
 * rather than lose it. */
static void err_slow_down(struct chat *c, const struct msg *m)
{
    (void)m;
    ssize_t i = outbox_in_flight(c);
    if (i >= 0)
        c->pend[i].sent_ms = -1;
    c->hold_until_ms = c->now_ms + 1000;
}

/* A wrong or missing password. The server closes after a delay that grows
 * with every failure from our address, so retrying with the same password
 * only gets slower: stop here, and let the user type one. A typed one that
 * was wrong is forgotten. */
static void err_auth(struct chat *c, const struct msg *m)
{
    (void)m;
    c->refused = true;
    c->ask_password = true;
    c->st->state = CONN_FAILED;
    status_set_reason(c->st, c->hello_password ? "wrong password" : "the server needs a password");
    if (c->hello_typed)
        password_forget(&c->typed);
}

/* Not judged: someone at our address (maybe we) guessed wrong just now.
 * The server closes; the reconnect waits as long as it says ("... try
 * again in N s"). */
static void err_auth_wait(struct chat *c, const struct msg *m)
{
    const char *p = strstr(m->text, "try again in ");
    unsigned long s = p ? strtoul(p + 13, NULL, 10) : 0;
    c->auth_wait_s = (unsigned)(s > CHAT_AUTH_WAIT_MAX_S ? CHAT_AUTH_WAIT_MAX_S : s);
}

/* The operator removed us: coming straight back would defeat the point. A
 * person may, with /connect. */
static void err_kicked(struct chat *c, const struct msg *m)
{
    c->refused = true;
    c->st->state = CONN_FAILED;
    status_set_reason(c->st, m->text[0] ? m->text : "removed by the operator");
}

/* The server takes TLS only (--tls-only): in clear text it would refuse
 * every attempt. The hint: how to come back over TLS. */
static void err_tls_required(struct chat *c, const struct msg *m)
{
    (void)m;
    c->refused = true;
    c->st->state = CONN_FAILED;
    status_set_reason(c->st, "the server takes TLS only");
}

/* Refused for good (a mute outlasts any retry): not pending. */
static void err_refused(struct chat *c, const struct msg *m)
{
    (void)m;
    ssize_t i = outbox_in_flight(c);
    if (i >= 0)
        outbox_done(c, (size_t)i, DELIVERY_FAILED);
}

static const struct {
    const char *code;
    void (*fn)(struct chat *c, const struct msg *m);
} err_handlers[] = {
    {ERR_SLOW_DOWN, err_slow_down},       {ERR_AUTH, err_auth},
    {ERR_AUTH_WAIT, err_auth_wait},       {ERR_KICKED, err_kicked},
    {ERR_TOO_LONG, err_refused},          {ERR_MUTED, err_refused},
    {ERR_TLS_REQUIRED, err_tls_required},
};

static void on_err(struct chat *c, const struct msg *m)
{
    for (size_t i = 0; i < sizeof(err_handlers) / sizeof(*err_handlers); i++) {
        if (strcmp(m->word, err_handlers[i].code) == 0) {
            err_handlers[i].fn(c, m);
            break;
        }
    }
    /* The code is for programs; a person reads the text. */
    chat_note(c, ENTRY_ERR, m->text[0] ? m->text : m->word);
    /* After ERR auth the caller asks for the password and says so. */
    if (c->refused && strcmp(m->word, ERR_KICKED) == 0)
        chat_note(c, ENTRY_LOCAL, "not reconnecting; /connect HOST [PORT] comes back");
    if (strcmp(m->word, ERR_TLS_REQUIRED) == 0 && strchr(c->host, ',') == NULL)
        chat_notef(c, ENTRY_LOCAL,
                   "not reconnecting in clear text: start sockchat with --tls, or /connect "
                   "tls://%.200s:%.15s",
                   c->host, c->port);
    else if (strcmp(m->word, ERR_TLS_REQUIRED) == 0)
        chat_note(c, ENTRY_LOCAL, "not reconnecting in clear text: start sockchat with --tls");
}

static void on_notice(struct chat *c, const struct msg *m)
{
    chat_add_entry(c, ENTRY_NOTICE, c->wall, NULL, m->text, strlen(m->text));
}

static void on_ping(struct chat *c, const struct msg *m)
{
    if (strlen(m->word) <= CHAT_PING_TOKEN_MAX) {
        struct msg r = {.type = MSG_PONG, .word = m->word};
        outbox_send_framed(c, &r);
    } else if (!c->ping_refused) {
        c->ping_refused = true; /* once: a flood of them must not flood the log */
        chat_note(c, ENTRY_ERR, "the server sent a PING with a token over 64 bytes; not answered");
    }
}

static void on_pong(struct chat *c, const struct msg *m)
{
    char mine[32];
    snprintf(mine, sizeof(mine), "c%llu", (unsigned long long)c->ping_no);
    if (c->ping_sent_ms >= 0 && strcmp(m->word, mine) == 0) {
        c->st->latency_ms = (long)(c->now_ms - c->ping_sent_ms);
        c->ping_sent_ms = -1;
    } else {
        char text[2 * LINE_MAX_BYTES + 200];
        snprintf(text, sizeof(text), "pong %s", m->word);
        chat_note(c, ENTRY_OUT, text);
    }
}

static void on_shutdown(struct chat *c, const struct msg *m)
{
    char text[2 * LINE_MAX_BYTES + 200];
    snprintf(text, sizeof(text), "server shutting down: %s", m->text);
    chat_note(c, ENTRY_NOTICE, text);
}

/* A newer server's message: show it, never fail on it. */
static void on_unknown(struct chat *c, const struct msg *m)
{
    chat_add_entry(c, ENTRY_OUT, c->wall, NULL, m->text, strlen(m->text));
}

/* What the server may send, by type; a type not here (one only clients
 * send, or one this version does not know) is shown as it is. */
static void (*const handlers[MSG_TYPE_COUNT])(struct chat *c, const struct msg *m) = {
    [MSG_WELCOME] = on_welcome, [MSG_ACK] = on_ack,           [MSG_CHAT] = on_chat,
    [MSG_ACTION] = on_action,   [MSG_PRIV] = on_priv,         [MSG_JOIN] = on_join,
    [MSG_LEAVE] = on_leave,     [MSG_NICK] = on_nick,         [MSG_OUT] = on_out,
    [MSG_ERR] = on_err,         [MSG_NOTICE] = on_notice,     [MSG_PING] = on_ping,
    [MSG_PONG] = on_pong,       [MSG_SHUTDOWN] = on_shutdown, [MSG_ROOM] = on_room,
    [MSG_UNREAD] = on_unread,   [MSG_CLUSTER] = on_cluster,
};

static void on_framed_line(struct chat *c, char *line, size_t len)
{
    struct msg m;
    char text[2 * LINE_MAX_BYTES + 200];

    if (memchr(line, '\0', len)) {
        /* A NUL would cut the parse short; show the line as it is. */
        chat_add_entry(c, ENTRY_ERR, c->wall, NULL, line, len);
        return;
    }
    if (msg_parse(&m, line) < 0) {
        snprintf(text, sizeof(text), "malformed %s line from the server: %s", msg_type_name(m.type),
                 m.text);
        chat_note(c, ENTRY_ERR, text);
        return;
    }
    if (m.type == MSG_ERR && c->swallow_errs > 0 && strcmp(m.word, ERR_PROTOCOL) == 0) {
        c->swallow_errs--; /* a text line of ours from before a late greeting */
        return;
    }
    replay_on_line(c, m.type);
    void (*fn)(struct chat *, const struct msg *) =
        (unsigned)m.type < MSG_TYPE_COUNT && handlers[m.type] ? handlers[m.type] : on_unknown;
    fn(c, &m);
}

void handle_framed(struct chat *c, const char *data, size_t len)
{
    size_t off = 0;
    while (off < len) {
        size_t used = 0;
        char *line = NULL;
        size_t llen = 0;
        enum linebuf_status s = linebuf_feed(&c->lb, data + off, len - off, &used, &line, &llen);
        off += used;
        if (s == LINEBUF_LINE)
            on_framed_line(c, line, llen);
        else if (s == LINEBUF_OVERLONG)
            chat_note(c, ENTRY_ERR, "the server sent an overlong line; it was dropped");
        else if (s == LINEBUF_NOMEM || (s == LINEBUF_NEED_MORE && used == 0))
            break;
    }
}

/* ---- the plain dialect ---- */

static void plain_response(struct chat *c, const char *s, size_t len)
{
    if (len > 0 && s[len - 1] == '\r')
        len--;
    if (len == 0)
        return;
    chat_add_entry(c, ENTRY_REPLY, c->wall, NULL, s, len);
    if (c->hello_reply_due) {
        c->hello_reply_due = false; /* the answer to our HELLO line */
        return;
    }
    ssize_t i = outbox_in_flight(c);
    if (i >= 0) {
        c->st->latency_ms = (long)(c->now_ms - c->pend[i].sent_ms);
        outbox_done(c, (size_t)i, DELIVERY_DONE);
    }
}

/* Every line is a response, and so is a tail without LF: the tutorial's
 * server answers each recv() with one send() and no newline. */
void handle_plain(struct chat *c, const char *data, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n') {
            plain_response(c, data + start, i - start);
            start = i + 1;
        }
    }
    if (start < len)
        plain_response(c, data + start, len - start);
}

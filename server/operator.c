/* operator: the console's kick, ban and mute applied to the people online,
 * and to those who come back. moderation.c keeps the table; this file
 * tells people and closes them. Everything that touches a client runs
 * under reg_lock, as the registry's walks do. */
#include "server.h"

#include <string.h>

#include "sanitize.h"

/* "for 5m00s" or "until unban". */
static void mod_span(const struct mod_entry *e, int64_t now_ms, char *buf, size_t cap)
{
    if (e->until_ms == 0) {
        snprintf(buf, cap, "%s", e->kind == MOD_MUTE ? "until unmute" : "until unban");
        return;
    }
    char d[32];
    format_duration(d, sizeof d, e->until_ms - now_ms);
    snprintf(buf, cap, "for %s", d);
}

/* What will recognise the person again. */
static const char *mod_recognised_by(const struct mod_entry *e)
{
    bool nick = e->nick[0] != '\0' && !nick_reserved(e->nick);
    if (e->token[0] != '\0')
        return nick ? "recognised by session token and nick" : "recognised by session token";
    if (nick)
        return "recognised by nick";
    /* nc, telnet, the tutorial's client: nothing tells the person apart. */
    return "a guest: not recognised if they come back";
}

/* With reg_lock held: tells c what e does to it: `ERR kicked` for our
 * client (so it does not reconnect by itself; a person may, with
 * /connect), a NOTICE for nc and telnet, nothing for the tutorial's
 * client, which reads only the answers to its own messages. */
static void tell_locked(struct client *c, bool err, const char *text)
{
    struct msg m = {.type = MSG_NOTICE, .text = text};
    if (err && c->dialect == DIALECT_FRAMED) {
        m.type = MSG_ERR;
        m.word = ERR_KICKED;
    }
    if (c->dialect == DIALECT_FRAMED || c->dialect == DIALECT_PLAIN)
        client_send_msg(c, &m);
}

/* With reg_lock held: c falls under e. `back`: it came back (else the
 * operator acts now). A kick or ban closes it; a mute silences it. */
static void apply_locked(struct client *c, const struct mod_entry *e, bool back, int64_t now_ms)
{
    char span[48], left[48], text[REASON_MAX + 96];
    const char *sep = e->reason[0] ? ": " : "";
    mod_span(e, now_ms, span, sizeof span);
    mod_format_left(e, now_ms, left, sizeof left);
    if (e->until_ms == 0) /* said to the person, not to the operator */
        snprintf(span, sizeof span, "%s", "until unmuted");
    if (e->until_ms == 0)
        snprintf(left, sizeof left, "%s", "until unmuted");
    if (e->kind == MOD_MUTE) {
        if (back)
            snprintf(text, sizeof text, "you are still muted (%s): you can read, not write%s%s",
                     left, sep, e->reason);
        else
            snprintf(text, sizeof text, "the operator muted you %s: you can read, not write%s%s",
                     span, sep, e->reason);
        utf8_cut(text);
        atomic_store(&c->muted_until_ms, e->until_ms == 0 ? INT64_MAX : e->until_ms);
        tell_locked(c, false, text);
        return;
    }
    bool ban = e->kind == MOD_BAN;
    if (back && ban)
        snprintf(text, sizeof text, "you are banned from this server%s%s", sep, e->reason);
    else if (back)
        snprintf(text, sizeof text, "you are still kicked (%s)%s%s", left, sep, e->reason);
    else if (ban)
        snprintf(text, sizeof text, "you were banned by the operator%s%s", sep, e->reason);
    else
        snprintf(text, sizeof text, "you were kicked by the operator %s%s%s", span, sep, e->reason);
    utf8_cut(text);
    tell_locked(c, true, text);
    /* The leave's reason, for the room and the log: "kicked: spamming". */
    char why[REASON_MAX];
    snprintf(why, sizeof why, "%s%s%s", ban ? "banned" : "kicked", sep, e->reason);
    utf8_cut(why);
    client_request_close(c, CLOSE_FLUSH, why, now_ms + SHUTDOWN_FLUSH_MS);
}

/* With reg_lock held: applies e to everyone online it holds; how many. */
static unsigned apply_all_locked(struct server *srv, const struct mod_entry *e, int64_t now_ms)
{
    unsigned n = 0;
    for (struct client *c = srv->clients; c; c = c->next) {
        struct cidr a;
        bool hit = e->by_addr ? addr_parse(c->addr, &a) == 0 && mod_entry_matches(e, NULL, NULL, &a)
                              : mod_entry_matches(e, c->joined ? c->nick : NULL, c->session, NULL);
        if (hit) {
            apply_locked(c, e, false, now_ms);
            n++;
        }
    }
    return n;
}

int operator_act(struct server *srv, const struct mod_request *rq, char *msg, size_t cap)
{
    int64_t now = server_now_ms(srv);
    struct mod_entry e;
    memset(&e, 0, sizeof e);
    e.kind = rq->kind;
    e.by_addr = rq->by_addr;
    e.net = rq->net;
    e.until_ms = rq->duration_ms > 0 ? now + rq->duration_ms : 0;
    snprintf(e.reason, sizeof e.reason, "%s", rq->reason);

    pthread_mutex_lock(&srv->reg_lock);
    struct client *who = rq->by_addr ? NULL : registry_find_locked(srv, rq->target);
    if (!rq->by_addr) {
        if (who == NULL &&
            ((rq->kind == MOD_KICK && !rq->absent_ok) || nick_reserved(rq->target))) {
            pthread_mutex_unlock(&srv->reg_lock);
            snprintf(msg, cap, "no such nick: %s%s", rq->target,
                     rq->kind == MOD_KICK ? "" : " (a guest name is never given again)");
            return -1;
        }
        /* The nick as they have it, not as typed; their token if they gave one. */
        snprintf(e.nick, sizeof e.nick, "%.*s", NICK_MAX, who ? who->nick : rq->target);
        if (who != NULL)
            memcpy(e.token, who->session, sizeof e.token);
    }
    if (mod_add(&srv->mod, &e, now) < 0) {
        pthread_mutex_unlock(&srv->reg_lock);
        snprintf(msg, cap,
                 "%s: %d bans, kicks and mutes are in force already: unban or unmute some",
                 mod_kind_name(rq->kind), MOD_MAX);
        return -1;
    }
    unsigned n = apply_all_locked(srv, &e, now);
    pthread_mutex_unlock(&srv->reg_lock);

    static const char *const done[] = {
        [MOD_KICK] = "kicked", [MOD_BAN] = "banned", [MOD_MUTE] = "muted"};
    char span[48];
    mod_span(&e, now, span, sizeof span);
    const char *sep = e.reason[0] ? ": " : "";
    if (rq->by_addr)
        snprintf(msg, cap, "banned %s %s (%u disconnected)%s%s", rq->target, span, n, sep,
                 e.reason);
    else if (who == NULL)
        snprintf(msg, cap, "%s the nick %s %s (nobody by that name is here now)%s%s",
                 done[rq->kind], e.nick, span, sep, e.reason);
    else
        snprintf(msg, cap, "%s %s %s (%s)%s%s", done[rq->kind], e.nick, span, mod_recognised_by(&e),
                 sep, e.reason);
    return 0;
}

int operator_lift(struct server *srv, unsigned mask, const char *who, char *msg, size_t cap)
{
    int64_t now = server_now_ms(srv);
    bool mute = mask == MOD_MUTE;
    pthread_mutex_lock(&srv->reg_lock);
    unsigned n = mod_remove(&srv->mod, mask, who, now);
    /* Whoever is muted and held by no mute now may write again. */
    for (struct client *c = srv->clients; mute && n > 0 && c; c = c->next) {
        if (atomic_load(&c->muted_until_ms) != 0 &&
            !mod_find(&srv->mod, MOD_MUTE, c->joined ? c->nick : NULL, c->session, NULL, now,
                      NULL)) {
            atomic_store(&c->muted_until_ms, 0);
            tell_locked(c, false, "the operator unmuted you: you can write again");
        }
    }
    pthread_mutex_unlock(&srv->reg_lock);
    char shown[SANITIZE_CAP(MOD_TARGET_MAX)];
    sanitize_text(shown, sizeof shown, who, strnlen(who, MOD_TARGET_MAX - 1));
    if (n == 0) {
        snprintf(msg, cap, "%s is not %s (see bans)", shown, mute ? "muted" : "banned or kicked");
        return -1;
    }
    snprintf(msg, cap, "%s %s", mute ? "unmuted" : "unbanned", shown);
    return 0;
}

bool operator_refuse_arrival(struct client *c, const char *nick, const char *token)
{
    struct server *srv = c->srv;
    int64_t now = server_now_ms(srv);
    struct mod_entry e;
    if (!mod_find(&srv->mod, MOD_KICK | MOD_BAN, nick, token, NULL, now, &e))
        return false;
    char left[48];
    mod_format_left(&e, now, left, sizeof left);
    pthread_mutex_lock(&srv->reg_lock);
    apply_locked(c, &e, true, now);
    pthread_mutex_unlock(&srv->reg_lock);
    log_event(srv, AEV_REFUSE, c, "came back while %s (%s, by %s): closed",
              e.kind == MOD_BAN ? "banned" : "kicked", left,
              token != NULL && strcmp(e.token, token) == 0 ? "its session token" : "nick");
    return true;
}

void operator_mute_arrival(struct client *c, const char *nick, const char *token)
{
    struct server *srv = c->srv;
    int64_t now = server_now_ms(srv);
    struct mod_entry e;
    if (!mod_find(&srv->mod, MOD_MUTE, nick, token, NULL, now, &e))
        return;
    pthread_mutex_lock(&srv->reg_lock);
    apply_locked(c, &e, true, now);
    pthread_mutex_unlock(&srv->reg_lock);
    log_event(srv, AEV_OPERATOR, c, "still muted: told so");
}

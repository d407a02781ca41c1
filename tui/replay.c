/* replay: after every WELCOME the server sends its history, as ordinary
 * CHAT and ACTION lines. After a reconnect most of them are already in the
 * log, and showing them again would bury the conversation under copies.
 * So, from the WELCOME on, each CHAT or ACTION line is looked for among the
 * entries that were there before it: the first one from the newest end,
 * the next ones after the last match, in order. The first line not found,
 * or any other kind of line, ends the replay, and from there on everything
 * is shown. A mismatch can only show a copy, never hide a new message: a
 * match needs the same nick and text, and the same server time unless the
 * entry is one's own (kept with this machine's time).
 *
 * With rooms (sockchat/2) the history follows the ROOM line, which comes
 * right after the WELCOME and again on every change of room: each ROOM
 * line starts a replay of its own (replay_begin() from the handler), so
 * coming back to a room after a reconnect, or to a room left earlier,
 * shows only what was said there meanwhile. The log holds the other
 * rooms' lines in between; they are passed over like any line that is
 * not in the history. */
#include <string.h>

#include "chat_internal.h"

/* Own lines are kept with this machine's clock, the server's copies carry
 * its clock: for the first match they must agree within this much. */
enum { REPLAY_OWN_SKEW_S = 5, REPLAY_LOOKBACK = 8 };

/* The server writes a history at once, right after its WELCOME or ROOM:
 * a line later than this is live, even with no other line between. */
enum { REPLAY_BURST_MS = 1000 };

void replay_begin(struct chat *c)
{
    struct replay *r = &c->replay;
    r->on = true;
    r->floor = c->log->next_seq;
    r->from = 0;
    r->anchor = 0;
    memset(r->used, 0, sizeof(r->used));
    r->skipped = 0;
    r->history = true;
    r->history_ms = c->now_ms;
}

bool replay_in_history(const struct chat *c)
{
    return c->replay.history && c->now_ms - c->replay.history_ms <= REPLAY_BURST_MS;
}

void replay_stop(struct chat *c)
{
    c->replay.on = false;
    c->replay.history = false;
}

/* An own entry the server can have had when it sent this history:
 * acknowledged, or written on an earlier connection (its ACK may have been
 * lost). Not one typed offline, even if it went out right after this
 * WELCOME: the history was sent before the server read it. */
static bool own_sent(const struct chat *c, const struct entry *e)
{
    if (e->delivery == DELIVERY_DONE)
        return true;
    for (size_t i = 0; i < c->npend; i++)
        if (c->pend[i].seq == e->seq)
            return c->pend[i].first_conn != 0 && c->pend[i].first_conn < c->conn_no;
    return false;
}

static bool replay_match(const struct chat *c, const struct entry *e, enum entry_kind kind,
                         int64_t time, const char *nick, const char *text, bool anchor)
{
    if (e->nick == NULL || strcmp(e->text, text) != 0 || strcmp(e->nick, nick) != 0)
        return false;
    if (e->delivery != DELIVERY_NONE) {
        /* One's own: SELF for chat, ACTION for /me, and only one the server
         * can have (a line typed offline matching another user's must not
         * hide it). */
        if ((e->kind == ENTRY_SELF ? ENTRY_CHAT : e->kind) != kind || !own_sent(c, e))
            return false;
        int64_t skew = e->time > time ? e->time - time : time - e->time;
        return !anchor || skew <= REPLAY_OWN_SKEW_S;
    }
    return e->kind == kind && e->time == time;
}

static bool replay_used(const struct replay *r, uint64_t seq)
{
    for (size_t i = 0; i < CHAT_REPLAY_USED; i++)
        if (r->used[i] == seq)
            return true;
    return false;
}

/* The index of the first entry whose seq is at least seq (seqs grow). */
static size_t index_of_seq(const struct chatlog *log, uint64_t seq)
{
    size_t lo = 0, hi = chatlog_count(log);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (chatlog_at(log, mid)->seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void replay_end(struct chat *c)
{
    if (!c->replay.on)
        return;
    c->replay.on = false;
    if (c->replay.skipped > 0)
        chat_notef(c, ENTRY_LOCAL, "%u earlier message%s already shown above, not repeated",
                   c->replay.skipped, c->replay.skipped == 1 ? "" : "s");
}

void replay_on_line(struct chat *c, enum msg_type t)
{
    /* History comes first, in one run; anything else ends it. But for a
     * NOTICE before the first history line: the server's note of the
     * older messages it does not send comes right after the WELCOME. */
    if (t != MSG_CHAT && t != MSG_ACTION &&
        !(t == MSG_NOTICE && c->replay.on && c->replay.from == 0)) {
        replay_end(c);
        c->replay.history = false;
    }
}

/* The newest entry before the WELCOME that matches: the anchor. */
static struct entry *find_anchor(struct chat *c, size_t end, enum entry_kind kind, int64_t time,
                                 const char *nick, const char *text)
{
    for (size_t i = end; i-- > 0;)
        if (replay_match(c, chatlog_at(c->log, i), kind, time, nick, text, true))
            return chatlog_at(c->log, i);
    return NULL;
}

/* On from the last match, and a few entries back: an own line is logged
 * when sent, the server orders it when it arrives, so it may come after
 * lines that arrived here before its ACK. */
static struct entry *find_next(struct chat *c, size_t end, enum entry_kind kind, int64_t time,
                               const char *nick, const char *text)
{
    const struct chatlog *log = c->log;
    size_t i = index_of_seq(log, c->replay.from);
    size_t first = index_of_seq(log, c->replay.anchor);
    i = i > first + REPLAY_LOOKBACK ? i - REPLAY_LOOKBACK : first;
    for (; i < end; i++) {
        struct entry *e = chatlog_at(log, i);
        if (!replay_used(&c->replay, e->seq) && replay_match(c, e, kind, time, nick, text, false))
            return e;
    }
    return NULL;
}

bool replay_seen(struct chat *c, enum entry_kind kind, const struct msg *m)
{
    struct replay *r = &c->replay;
    if (!r->on)
        return false;
    /* Compared as chat_add_entry() would keep them. */
    char *text = c->replay_text;
    char nick[SANITIZE_CAP(64)];
    size_t tl = strlen(m->text), nl = strlen(m->nick);
    sanitize_text(text, sizeof(c->replay_text), m->text, tl > CHAT_TEXT_MAX ? CHAT_TEXT_MAX : tl);
    sanitize_text(nick, sizeof(nick), m->nick, nl > 63 ? 63 : nl);
    size_t end = index_of_seq(c->log, r->floor);
    struct entry *hit;
    if (r->from == 0) {
        hit = find_anchor(c, end, kind, m->time, nick, text);
        if (hit != NULL)
            r->anchor = hit->seq;
    } else {
        hit = find_next(c, end, kind, m->time, nick, text);
    }
    if (hit == NULL) {
        replay_end(c);
        return false;
    }
    if (hit->seq + 1 > r->from)
        r->from = hit->seq + 1;
    r->used[r->skipped % CHAT_REPLAY_USED] = hit->seq;
    r->skipped++;
    return true;
}

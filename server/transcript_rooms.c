/* transcript_rooms: how the transcript reaches the rooms.
 *
 * The transcript knows rooms by name only (struct transcript_rooms), so
 * that it can be tested without a server. transcript_rooms_server() is the
 * server's table of rooms behind that interface; transcript_rooms_one()
 * is a single history as "#main", for tests of the file format alone. */
#include "server.h"
#include "room.h"

#include <string.h>

#include "utf8.h"

/* The room a record names, made if there is a free place. Never by
 * evicting another (rooms_get_locked would, when the table is full): the
 * loader holds the histories it was given. */
static struct room *room_for_record(struct server *srv, const char *name)
{
    struct room *rm = rooms_find_locked(srv, name);
    if (rm == NULL && srv->nrooms < ROOMS_MAX)
        rm = rooms_get_locked(srv, name);
    return rm;
}

static struct history *server_history(void *arg, const char *name)
{
    /* At load, before any thread runs: the table is ours alone. */
    struct room *rm = room_for_record(arg, name);
    return rm != NULL ? rm->hist : NULL;
}

static void server_topic(void *arg, const char *name, int64_t time, bool pinned, const char *text)
{
    struct server *srv = arg;
    struct room *rm = text[0] != '\0' ? room_for_record(srv, name) : rooms_find_locked(srv, name);
    if (rm == NULL)
        return; /* cleared, or no place for it (ROOMS_MAX) */
    snprintf(rm->topic, sizeof rm->topic, "%s", text);
    utf8_cut(rm->topic);
    rm->topic_time = time;
    rm->pinned = pinned && rm->topic[0] != '\0';
    rooms_gc_locked(srv, rm); /* a room that only had a topic, now cleared */
}

static void server_each(void *arg, transcript_room_fn *fn, void *fnarg)
{
    /* With reg_lock held (append, topic, repair) or before threads run. */
    struct server *srv = arg;
    for (unsigned i = 0; i < srv->nrooms; i++) {
        const struct room *rm = srv->rooms[i];
        fn(fnarg, rm->name, rm->hist, rm->topic, rm->topic_time, rm->pinned);
    }
}

void transcript_rooms_server(struct transcript_rooms *r, struct server *srv)
{
    *r = (struct transcript_rooms){
        .history = server_history, .topic = server_topic, .each = server_each, .arg = srv};
}

static struct history *one_history(void *arg, const char *name)
{
    return strcmp(name, ROOM_MAIN) == 0 ? arg : NULL;
}

static void one_topic(void *arg, const char *name, int64_t time, bool pinned, const char *text)
{
    /* One history and no room: a topic read back has nowhere to go. */
    (void)arg;
    (void)name;
    (void)time;
    (void)pinned;
    (void)text;
}

static void one_each(void *arg, transcript_room_fn *fn, void *fnarg)
{
    fn(fnarg, ROOM_MAIN, arg, NULL, 0, false);
}

void transcript_rooms_one(struct transcript_rooms *r, struct history *h)
{
    *r = (struct transcript_rooms){
        .history = one_history, .topic = one_topic, .each = one_each, .arg = h};
}

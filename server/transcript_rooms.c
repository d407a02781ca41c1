/* transcript_rooms: the transcript's rooms while the server has one room.
 *
 * The transcript reaches histories and topics by room name only
 * (struct transcript_rooms). Until the rooms land this adapter says: the
 * one history is "#main", there is no other room (their records are
 * skipped at load) and no topic. The rooms' own table replaces it. */
#include "server.h"

#include <string.h>

static struct history *one_history(void *arg, const char *name)
{
    return strcmp(name, ROOM_MAIN) == 0 ? arg : NULL;
}

static void one_topic(void *arg, const char *name, int64_t time, bool pinned, const char *text)
{
    /* No topics yet: a topic record read back has nowhere to go. */
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

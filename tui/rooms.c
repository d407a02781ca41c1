/* rooms: the rooms the client has seen (see rooms.h). */
#include "rooms.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

void rooms_init(struct rooms *r)
{
    memset(r, 0, sizeof(*r));
}

void rooms_reset(struct rooms *r)
{
    r->cur[0] = '\0';
    r->users = 0;
    r->topic[0] = '\0';
    r->nlist = 0;
}

/* The one spelling of a wire name, or false. The server sends "#lab1"
 * already; folding again costs nothing and keeps a careless server from
 * listing "#Lab1" beside "#lab1". */
static bool fold(const char *name, char out[ROOMNAME_SIZE])
{
    size_t len = strlen(name);
    return len > 0 && name[0] == '#' && roomname_parse(out, name, len) > 0;
}

void rooms_note_name(struct rooms *r, const char *name)
{
    char n[ROOMNAME_SIZE];
    if (!fold(name, n))
        return;
    for (size_t i = 0; i < r->nnames; i++)
        if (strcmp(r->names[i], n) == 0)
            return;
    if (r->nnames == ROOMS_NAMES_MAX) {
        /* The oldest name goes: a room seen long ago is the least likely
         * to be typed. */
        memmove(r->names[0], r->names[1], sizeof(r->names[0]) * (ROOMS_NAMES_MAX - 1));
        r->nnames--;
    }
    memcpy(r->names[r->nnames++], n, sizeof(n));
}

/* The list's slot for n, added at the end when new; when the list is full
 * the oldest room that is not the current one makes way. */
static struct room_slot *slot_of(struct rooms *r, const char *n)
{
    for (size_t i = 0; i < r->nlist; i++)
        if (strcmp(r->list[i].name, n) == 0)
            return &r->list[i];
    if (r->nlist == ROOMS_LIST_MAX) {
        size_t drop = strcmp(r->list[0].name, r->cur) == 0 ? 1 : 0;
        memmove(&r->list[drop], &r->list[drop + 1],
                sizeof(r->list[0]) * (ROOMS_LIST_MAX - drop - 1));
        r->nlist--;
    }
    struct room_slot *s = &r->list[r->nlist++];
    memcpy(s->name, n, sizeof(s->name));
    s->unread = 0;
    return s;
}

bool rooms_on_room(struct rooms *r, const char *name, unsigned users, const char *topic)
{
    char n[ROOMNAME_SIZE];
    if (!fold(name, n))
        return false;
    bool moved = strcmp(n, r->cur) != 0;
    rooms_note_name(r, n);
    memcpy(r->cur, n, sizeof(n));
    r->users = users;
    snprintf(r->topic, sizeof(r->topic), "%s", topic ? topic : "");
    slot_of(r, n)->unread = 0; /* back in it: read */
    return moved;
}

bool rooms_on_unread(struct rooms *r, const char *name, unsigned count)
{
    char n[ROOMNAME_SIZE];
    if (!fold(name, n))
        return false;
    rooms_note_name(r, n);
    /* The server never counts the room we are in; a stray count for it
     * would stick in the bar, as nothing clears it but leaving. */
    if (strcmp(n, r->cur) != 0)
        slot_of(r, n)->unread = count;
    return true;
}

bool rooms_note_row(struct rooms *r, const char *text)
{
    if (strncmp(text, "  #", 3) != 0)
        return false;
    const char *name = text + 2;
    size_t len = strcspn(name, " \t");
    if (!roomname_valid(name, len))
        return false;
    char n[ROOMNAME_SIZE];
    memcpy(n, name, len);
    n[len] = '\0';
    rooms_note_name(r, n);
    return true;
}

const char *rooms_nth(const struct rooms *r, unsigned n)
{
    return n >= 1 && n <= r->nlist ? r->list[n - 1].name : NULL;
}

size_t rooms_format(const struct rooms *r, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->nlist; i++) {
        const struct room_slot *s = &r->list[i];
        bool here = strcmp(s->name, r->cur) == 0;
        char count[16] = "";
        if (s->unread > 0 && !here)
            snprintf(count, sizeof(count), " (%u)", s->unread);
        len = text_appendf(buf, cap, len, "%s%s%s%s%s", len ? " " : "", here ? "[" : "", s->name,
                           here ? "]" : "", count);
    }
    return len;
}

/* alert: highlights and the bell (see alert.h). */
#include "alert.h"

#include <string.h>

#include "cmd.h"
#include "mention.h"

int bell_mode_parse(const char *s, enum bell_mode *out)
{
    static const struct {
        const char *name;
        enum bell_mode mode;
    } modes[] = {{"mention", BELL_MENTION}, {"all", BELL_ALL}, {"off", BELL_OFF}};
    for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
        if (strcmp(s, modes[i].name) == 0) {
            *out = modes[i].mode;
            return 0;
        }
    }
    return -1;
}

/* Our own line: the server replays it in the history, and a /msg to
 * ourselves comes back as a PRIV from us. */
static bool own(const struct alert_line *l)
{
    return l->me[0] != '\0' && nick_same(l->from, l->me);
}

bool alert_mention(const struct alert_line *l)
{
    if (own(l))
        return false;
    if (l->to != NULL)
        return l->me[0] != '\0' && nick_same(l->to, l->me);
    return mention_in(l->text, l->me);
}

bool alert_bell(enum bell_mode mode, const struct alert_line *l)
{
    if (mode == BELL_OFF || l->history || own(l))
        return false;
    return mode == BELL_ALL || alert_mention(l);
}

/* alert: which lines stand out and which ring the terminal bell (issue
 * 16). Pure: the handlers ask, the event loop rings (view_bell()).
 *
 * A line mentions you when its text names your nick as a word
 * (mention_find()); a private message to you always counts. Such a line
 * from someone else is highlighted. The bell (--bell) rings for those
 * ("mention", the default), for every line from others ("all"), or never
 * ("off"); never for your own lines, and never for the history the server
 * replays after WELCOME or ROOM: joining a busy room must not ring fifty
 * times for what was said before. */
#ifndef SOCKCHAT_TUI_ALERT_H
#define SOCKCHAT_TUI_ALERT_H

#include <stdbool.h>

enum bell_mode {
    BELL_MENTION,
    BELL_ALL,
    BELL_OFF,
};

/* "mention", "all", "off"; -1 for anything else. */
int bell_mode_parse(const char *s, enum bell_mode *out);

/* A CHAT, ACTION or PRIV line, as the model saw it. */
struct alert_line {
    const char *from; /* the sender's nick */
    const char *to;   /* PRIV: the addressee; NULL for CHAT and ACTION */
    const char *text; /* what was said */
    const char *me;   /* our nick now */
    bool history;     /* replayed after WELCOME or ROOM */
};

/* Whether the line is highlighted: it names us or is private to us, and
 * is not ours. */
bool alert_mention(const struct alert_line *l);
/* Whether it rings the bell under mode. */
bool alert_bell(enum bell_mode mode, const struct alert_line *l);

#endif

/* control: the operator's commands (who, stats, say, rooms, move, split,
 * gather, topic, lock, unlock, kick, ban, unban, bans, mute, unmute, trace,
 * help, quit), one implementation for every seat: the
 * server's terminal (console.c) and the admin socket (admin.c). Each seat
 * shows the answer its own way; control only says what the lines are. */
#ifndef SOCKCHAT_CONTROL_H
#define SOCKCHAT_CONTROL_H

#include "server.h"

/* What a line of an answer is. */
enum control_line {
    CONTROL_TEXT, /* a line of a listing (who, stats, bans, help) */
    CONTROL_DONE, /* what an action did ("kicked bob for 10m"): the last line */
    CONTROL_FAIL, /* why nothing was done (a usage, no such nick): the last line */
};
enum control_result {
    CONTROL_OK,
    CONTROL_ERR, /* nothing was done: the last line said why */
    CONTROL_QUIT,
};

struct control_seat {
    /* Called once per line of the answer, in order. */
    void (*line)(void *arg, enum control_line kind, const char *text);
    void *arg;
    /* Who acts, for the log's "operator (WHO): ..." line; NULL: the
     * server's own console ("operator: ..."). */
    const char *who;
    /* The log is the very terminal the answer is shown on: what an action
     * did goes to the admins' event stream only, not the log again. */
    bool log_is_seat;
};

/* Runs one command line (a leading '/' is allowed; blank: nothing, OK). */
enum control_result control_run(struct server *srv, const char *line,
                                const struct control_seat *seat);
#endif

/* dash: the dashboard's model, everything but the terminal and the socket:
 * the connection's state, the event log, the roster, the edit line and the
 * question asked before a kick or a mute. The loop feeds it the server's
 * lines and the operator's intents; the view draws it. */
#ifndef SOCKCHAT_ADMIN_DASH_H
#define SOCKCHAT_ADMIN_DASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attach.h"
#include "bar.h"
#include "editline.h"
#include "evlog.h"
#include "roster.h"

struct dash {
    struct attach at;
    struct evlog log;
    struct roster roster;
    struct editline ed;
    char ask[160];     /* a question shown instead of the edit line; "" for none */
    char ask_cmd[128]; /* what a yes sends */
    unsigned ask_version;
    char tls_noted[FP_TEXT_SIZE + 8]; /* the TLS state last told in the log */
};

int dash_init(struct dash *d, size_t log_cap);
void dash_free(struct dash *d);

/* The dashboard's own note in the log. */
void dash_note(struct dash *d, int64_t ms, const char *text);
/* One line from the server; now_ms (Unix time) stamps answers. */
enum attach_act dash_line(struct dash *d, const char *line, size_t len, int64_t now_ms);
/* The connection ended: the roster empties, the log says why. */
void dash_gone(struct dash *d, int64_t now_ms, const char *why);
/* The operator's command went out: it is shown in the log. */
void dash_sent(struct dash *d, int64_t now_ms, const char *cmd);
/* The keys, as notes in the log (F1). */
void dash_help(struct dash *d, int64_t now_ms);

/* "kick" or "mute" the selected row: asks first. False (and a note saying
 * why) when no row with a nick is selected. */
bool dash_ask(struct dash *d, int64_t now_ms, const char *verb);
/* The answer to the question: true with the command to send in out on a
 * yes; the question is gone either way. */
bool dash_answer(struct dash *d, bool yes, char *out, size_t cap);

/* The status bar's model, from the dashboard's state. */
void dash_bar(const struct dash *d, struct bar *b);

#endif

/* What the chat model's suites (check_chat, check_rooms, check_cluster)
 * share: reading what the model queued for the server, and its log's
 * newest entry. */
#ifndef SOCKCHAT_CHATFIX_H
#define SOCKCHAT_CHATFIX_H

#include "chat.h"

/* Everything cl queued for the server since the last call, as a string
 * (valid until the next call), consumed. */
const char *chatfix_out(struct chat *cl);
/* The newest entry of log (which must not be empty). */
struct entry *chatfix_last(struct chatlog *log);

#endif

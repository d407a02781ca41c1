/* commands: the /commands a chatter can type (commands.c). */
#ifndef SOCKCHAT_COMMANDS_H
#define SOCKCHAT_COMMANDS_H

#include "server.h"
#include "reply.h"

/* What the gates in session.c let through, per command (a table row's
 * flags). An unknown command has none. */
enum command_flag {
    CMD_PREAUTH = 1,   /* taken before the password */
    CMD_UNLIMITED = 2, /* not charged to --rate */
    CMD_UNLISTED = 4,  /* not in /help */
};
unsigned commands_flags(const struct cmd *cmd);
/* Runs one /command, or answers that there is no such command. */
void commands_run(struct reply *r, const struct cmd *cmd);
/* Changes c's nick; 0 or -1 with an ERR already replied. */
int commands_nick(struct reply *r, const char *nick, size_t len);

#endif

/* acmd: the commands the dashboard knows, one table for Tab completion and
 * for the keys help. The server decides what a command does (its console
 * commands, docs/PROTOCOL.md section 13.2); the dashboard sends the line
 * as typed. */
#ifndef SOCKCHAT_ADMIN_ACMD_H
#define SOCKCHAT_ADMIN_ACMD_H

#include <stdbool.h>
#include <stddef.h>

#include "editline.h"
#include "roster.h"

struct acmd {
    const char *name;
    const char *usage;
    bool nick_arg; /* its first argument is a nick: complete nicks there */
};

extern const struct acmd acmd_table[];
extern const size_t acmd_count;

/* The command named by the first word of line (a leading '/' allowed), or
 * NULL. */
const struct acmd *acmd_find(const char *line);

/* Tab on the edit line: the first word completes from the commands, the
 * argument of a command that takes a nick from the roster's nicks. False
 * when nothing matched. */
bool acmd_complete(struct editline *ed, const struct roster *r);

/* The key help, one line per entry, NULL-terminated. */
extern const char *const acmd_keys_help[];

#endif

/* restrict: the rules of a restricted session (sockchat --restricted), the
 * login of a chat-only ssh account (scripts/ssh-account). There the
 * client is the whole session: it stays on the server it was started
 * with, never suspends to a shell (there is none to go back to), reads no
 * file the user names, and takes its nick from the comment that the
 * teacher wrote after the student's key in the account's authorized_keys.
 *
 * Why the comment and not something the student sends: sshd says which
 * key logged in (ExposeAuthInfo writes it to the file named by
 * $SSH_USER_AUTH), and the comment next to that key is the teacher's, so
 * a student cannot take another's name. The environment= option of
 * authorized_keys would need PermitUserEnvironment, which would also let
 * the student's ~/.ssh/environment set variables; a per-key command=
 * is overridden by the account's ForceCommand. Pure: text in, text out. */
#ifndef SOCKCHAT_TUI_RESTRICT_H
#define SOCKCHAT_TUI_RESTRICT_H

#include <stdbool.h>
#include <stddef.h>

/* The nick for the key that logged in: auth_info is the text of the
 * $SSH_USER_AUTH file ("publickey TYPE BASE64" lines, one per method
 * used), keys the text of the authorized_keys file (lines "[OPTIONS] TYPE
 * BASE64 COMMENT"). The comment's first word, up to an '@' ("alice@laptop"
 * gives "alice"), must be a valid nick. Writes it to nick (NUL-terminated,
 * cap > NICK_MAX) and returns true; false when no publickey line matches
 * a key in keys, or its comment gives no valid nick. */
bool restrict_nick_from_keys(const char *auth_info, const char *keys, char *nick, size_t cap);

/* Whether a nick typed at the restricted session's prompt (its newline
 * removed) is a valid nick; pure, so the prompt's rule is tested. */
bool restrict_nick_ok(const char *typed);

#endif

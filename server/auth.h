/* auth: --password, judged (auth.c). */
#ifndef SOCKCHAT_AUTH_H
#define SOCKCHAT_AUTH_H

#include "server.h"
#include "reply.h"

/* Judges a password attempt; true on AUTH_OK, else r->c is answered and
 * closing. */
bool auth_judge(struct reply *r, const char *given);
/* A message refused before the password: after PREAUTH_REFUSALS_MAX of
 * them the connection is closed. */
void auth_charge(struct reply *r);

#endif

/* sock: finding and opening the server's admin socket. Errors go into the
 * caller's buffer as a whole sentence, and a class says which exit code
 * fits; the caller decides whether to stop or to retry. */
#ifndef SOCKCHAT_ADMIN_SOCK_H
#define SOCKCHAT_ADMIN_SOCK_H

#include <stdbool.h>
#include <stddef.h>

enum { ADMIN_DEFAULT_PORT = 5000 };

enum sock_fail {
    SOCK_NONE,   /* no socket there, or no server behind it */
    SOCK_DENIED, /* not ours to open */
    SOCK_OTHER,  /* anything else (a path too long, no memory) */
};

/* A connected, non-blocking, close-on-exec socket to path, or -1 with err
 * set to what failed and *fail to its class. */
int sock_connect(const char *path, enum sock_fail *fail, char *err, size_t errlen);

/* Whether the server at the other end of fd writes its stdout or stderr
 * (its log) to the terminal tty_fd is: a server started with `&` in the
 * shell the dashboard then runs in. Its lines land on top of the
 * dashboard, which must then repaint. False when it cannot tell (another
 * uid's /proc entries, no /proc). */
bool sock_peer_shares_tty(int fd, int tty_fd);

#endif

/* sock: the admin socket's path and connection (see sock.h). */
#define _GNU_SOURCE /* struct ucred */
#include "sock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int sock_connect(const char *path, enum sock_fail *fail, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        *fail = SOCK_OTHER;
        snprintf(err, errlen, "socket path too long (%zu bytes, at most %zu): %s", strlen(path),
                 sizeof(sa.sun_path) - 1, path);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *fail = SOCK_OTHER;
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    /* A UNIX socket connects at once or not at all: blocking is fine here,
     * and the socket turns non-blocking for the loop afterwards. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        if (e == ENOENT || e == ENOTDIR) {
            *fail = SOCK_NONE;
            snprintf(err, errlen, "no socket at %s", path);
        } else if (e == ECONNREFUSED) {
            *fail = SOCK_NONE;
            snprintf(err, errlen, "nobody answers on %s (a server that ended badly)", path);
        } else if (e == EACCES || e == EPERM) {
            *fail = SOCK_DENIED;
            snprintf(err, errlen,
                     "permission denied on %s: the server runs as another user "
                     "(attach as that user, or as root)",
                     path);
        } else {
            *fail = SOCK_OTHER;
            snprintf(err, errlen, "connect %s: %s", path, strerror(e));
        }
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        int e = errno;
        close(fd);
        *fail = SOCK_OTHER;
        snprintf(err, errlen, "fcntl O_NONBLOCK: %s", strerror(e));
        return -1;
    }
    return fd;
}

bool sock_peer_shares_tty(int fd, int tty_fd)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);
    struct stat tty;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.pid <= 0 ||
        fstat(tty_fd, &tty) < 0 || !S_ISCHR(tty.st_mode))
        return false;
    for (int out = 1; out <= 2; out++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)cr.pid, out);
        if (stat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == tty.st_rdev)
            return true;
    }
    return false;
}

/* adminpath: where the admin socket is, and opening it safely there: a
 * directory only our user may enter (made if missing, then checked with
 * lstat: ours, no rights for group or others, not a symlink), a stale
 * socket of a dead server replaced, a live one left alone, and the socket
 * born 0600. */
#include "adminsock.h"

#include "admin.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int adminpath_default(char *buf, size_t cap, unsigned port)
{
    return admin_default_path(buf, cap, port, getenv("XDG_RUNTIME_DIR"), (unsigned)geteuid());
}

/* The directory of path: made 0700 if missing; then it must be a real
 * directory (not a symlink), ours, with no rights for group or others.
 * 0, or -1 with why in err. */
static int dir_check(const char *path, char *err, size_t ecap)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, ecap, "mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(dir, &st) < 0) {
        snprintf(err, ecap, "%s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, ecap, "%s is not a directory (a symlink?)", dir);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, ecap, "%s belongs to uid %u, not to us (uid %u)", dir, (unsigned)st.st_uid,
                 (unsigned)geteuid());
        return -1;
    }
    if (st.st_mode & 077) {
        snprintf(err, ecap, "%s has mode %03o: others could reach the socket (want 0700)", dir,
                 (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

/* Something at path already. A socket nobody answers on (a server that
 * died) is removed; a live one, or anything else, is left. 0: path is
 * free now; -1 with why in err. */
static int stale_check(const struct sockaddr_un *sa, char *err, size_t ecap)
{
    struct stat st;
    if (lstat(sa->sun_path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, ecap, "%s: %s", sa->sun_path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, ecap, "%s exists and is not a socket: left alone", sa->sun_path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, ecap, "socket: %s", strerror(errno));
        return -1;
    }
    int rc = connect(fd, (const struct sockaddr *)sa, sizeof *sa);
    int cerr = errno;
    close(fd);
    if (rc == 0) {
        snprintf(err, ecap, "%s is another server's (it answers): left alone", sa->sun_path);
        return -1;
    }
    if (cerr != ECONNREFUSED) {
        snprintf(err, ecap, "%s: %s: left alone", sa->sun_path, strerror(cerr));
        return -1;
    }
    if (unlink(sa->sun_path) < 0 && errno != ENOENT) {
        snprintf(err, ecap, "unlink stale %s: %s", sa->sun_path, strerror(errno));
        return -1;
    }
    return 0;
}

int adminpath_listen(const char *path, dev_t *dev, ino_t *ino, char *err, size_t ecap)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, ecap, "%s: path too long for a socket (at most %zu bytes)", path,
                 sizeof sa.sun_path - 1);
        return -1;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (dir_check(path, err, ecap) < 0 || stale_check(&sa, err, ecap) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, ecap, "socket: %s", strerror(errno));
        return -1;
    }
    /* Born 0600: no moment when another user could connect. */
    mode_t old = umask(0177);
    int rc = bind(fd, (const struct sockaddr *)&sa, sizeof sa);
    int berr = errno;
    umask(old);
    struct stat st;
    if (rc < 0 || chmod(path, 0600) < 0 || lstat(path, &st) < 0 || listen(fd, 16) < 0) {
        snprintf(err, ecap, "%s: %s", path, strerror(rc < 0 ? berr : errno));
        if (rc == 0)
            unlink(path);
        close(fd);
        return -1;
    }
    *dev = st.st_dev;
    *ino = st.st_ino;
    return fd;
}

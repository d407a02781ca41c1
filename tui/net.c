#define _GNU_SOURCE /* SOCK_NONBLOCK, EAI_ADDRFAMILY */
/* net: connect, reconnect backoff and raw socket I/O for the client. */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void net_init(struct net *n)
{
    memset(n, 0, sizeof(*n));
    n->fd = -1;
    n->backoff_s = 1;
}

void net_close(struct net *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
    n->connecting = false;
    if (n->ai_list)
        freeaddrinfo(n->ai_list);
    n->ai_list = NULL;
    n->ai_next = NULL;
}

void net_shutdown_write(struct net *n)
{
    if (n->fd >= 0 && !n->connecting)
        shutdown(n->fd, SHUT_WR);
}

/* Starts a non-blocking connect to the next address; loops over the ones
 * that fail at once. Returns 0 when an attempt is under way or done. */
static int try_next(struct net *n, int64_t now_ms)
{
    while (n->ai_next) {
        struct addrinfo *ai = n->ai_next;
        n->ai_next = ai->ai_next;
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            snprintf(n->last_err, sizeof(n->last_err), "socket: %s", strerror(errno));
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            n->fd = fd;
            n->connecting = false;
            return 0;
        }
        if (errno == EINPROGRESS) {
            n->fd = fd;
            n->connecting = true;
            n->deadline_ms = now_ms + NET_CONNECT_TIMEOUT_MS;
            return 0;
        }
        snprintf(n->last_err, sizeof(n->last_err), "connect: %s", strerror(errno));
        close(fd);
    }
    return -1;
}

int net_start(struct net *n, const char *host, const char *port, int64_t now_ms, char *err,
              size_t errlen)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;

    net_close(n);
    /* getaddrinfo blocks; for numeric addresses (the common case in a
     * classroom) it returns at once, names pay one DNS round trip. */
    int rc = getaddrinfo(host, port, &hints, &n->ai_list);
    if (rc == EAI_NONAME || rc == EAI_ADDRFAMILY) {
        /* AI_ADDRCONFIG hides ::1 on hosts with no IPv6 address. */
        hints.ai_flags = 0;
        rc = getaddrinfo(host, port, &hints, &n->ai_list);
    }
    if (rc != 0) {
        n->ai_list = NULL;
        snprintf(err, errlen, "resolve %s: %s", host, gai_strerror(rc));
        /* A name that does not exist will not start existing by retrying;
         * a DNS hiccup (EAI_AGAIN) might. */
        return rc == EAI_NONAME || rc == EAI_SERVICE ? -2 : -1;
    }
    n->ai_next = n->ai_list;
    n->last_err[0] = '\0';
    if (try_next(n, now_ms) < 0) {
        snprintf(err, errlen, "%s", n->last_err[0] ? n->last_err : "no address");
        net_close(n);
        return -1;
    }
    return 0;
}

int net_finish(struct net *n, int64_t now_ms, bool timed_out, char *err, size_t errlen)
{
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (timed_out) {
        snprintf(n->last_err, sizeof(n->last_err), "connect: timed out");
    } else if (getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) {
        snprintf(n->last_err, sizeof(n->last_err), "getsockopt: %s", strerror(errno));
    } else if (soerr == 0) {
        n->connecting = false;
        return 1;
    } else {
        snprintf(n->last_err, sizeof(n->last_err), "connect: %s", strerror(soerr));
    }
    close(n->fd);
    n->fd = -1;
    n->connecting = false;
    if (try_next(n, now_ms) == 0)
        return n->connecting ? 0 : 1;
    snprintf(err, errlen, "%s", n->last_err);
    net_close(n);
    return -1;
}

unsigned net_backoff_next(struct net *n)
{
    unsigned d = n->backoff_s;
    n->backoff_s = n->backoff_s * 2 > NET_BACKOFF_MAX_S ? NET_BACKOFF_MAX_S : n->backoff_s * 2;
    return d;
}

void net_backoff_reset(struct net *n)
{
    n->backoff_s = 1;
}

ssize_t net_read(struct net *n, char *buf, size_t cap)
{
    ssize_t r;
    do {
        r = read(n->fd, buf, cap);
    } while (r < 0 && errno == EINTR);
    return r;
}

ssize_t net_write(struct net *n, const char *buf, size_t len)
{
    ssize_t r;
    do {
        r = send(n->fd, buf, len, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r;
}

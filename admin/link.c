/* link: the admin connection's lines (see link.h). */
#define _POSIX_C_SOURCE 200809L
#include "link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"

void link_init(struct link *l)
{
    memset(l, 0, sizeof(*l));
    l->fd = -1;
    linebuf_init(&l->in, ADMIN_LINE_MAX);
}

int link_open(struct link *l, const char *path, enum sock_fail *fail, char *err, size_t errlen)
{
    link_close(l);
    l->fd = sock_connect(path, fail, err, errlen);
    return l->fd < 0 ? -1 : 0;
}

void link_close(struct link *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
    l->out_len = 0;
    linebuf_free(&l->in);
    linebuf_init(&l->in, ADMIN_LINE_MAX);
}

int link_send(struct link *l, const char *line, char *err, size_t errlen)
{
    size_t n = strlen(line);
    if (n + 1 > ADMIN_LINE_MAX) {
        snprintf(err, errlen, "command too long (%zu bytes, at most %d)", n, ADMIN_LINE_MAX - 1);
        return -1;
    }
    if (l->out_len + n + 1 > sizeof(l->out)) {
        snprintf(err, errlen, "the server is not reading (%zu bytes waiting)", l->out_len);
        return -1;
    }
    memcpy(l->out + l->out_len, line, n);
    l->out[l->out_len + n] = '\n';
    l->out_len += n + 1;
    return 0;
}

bool link_wants_write(const struct link *l)
{
    return l->fd >= 0 && l->out_len > 0;
}

int link_flush(struct link *l, char *err, size_t errlen)
{
    while (l->fd >= 0 && l->out_len > 0) {
        ssize_t w = send(l->fd, l->out, l->out_len, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            snprintf(err, errlen, "send: %s", strerror(errno));
            return -1;
        }
        memmove(l->out, l->out + w, l->out_len - (size_t)w);
        l->out_len -= (size_t)w;
    }
    return 0;
}

int link_read(struct link *l, link_line_fn *fn, void *ctx, char *err, size_t errlen)
{
    char buf[16384];
    /* Bounded: a server that never stops talking still lets the terminal
     * have its turn. */
    for (int round = 0; round < 64 && l->fd >= 0; round++) {
        ssize_t r = recv(l->fd, buf, sizeof(buf), 0);
        if (r == 0)
            return 1;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            snprintf(err, errlen, "recv: %s", strerror(errno));
            return -1;
        }
        size_t off = 0;
        while (off < (size_t)r) {
            size_t used;
            char *line;
            size_t len;
            enum linebuf_status st =
                linebuf_feed(&l->in, buf + off, (size_t)r - off, &used, &line, &len);
            off += used;
            if (st == LINEBUF_LINE) {
                fn(ctx, line, len);
                if (l->fd < 0) /* fn closed it */
                    return 0;
            } else if (st == LINEBUF_NOMEM) {
                snprintf(err, errlen, "out of memory reading the server's lines");
                return -1;
            }
        }
    }
    return 0;
}

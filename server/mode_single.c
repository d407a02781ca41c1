/* mode_single: the tutorial's server.py. One client at a time: the next one
 * waits in the listen backlog (its connect succeeds, nobody answers) until
 * the current one leaves. Commands work; a chat line is acknowledged and
 * relayed to nobody, because nobody else is being served. That is the
 * honest picture of a single-threaded server, which is the point. */
#include "server.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

int mode_single_run(struct server *srv, struct run_ctx *rc)
{
    srv->notify = NULL; /* one thread: it flushes after every event */
    int64_t resume_ms = 0;

    while (!rc->stop) {
        int64_t now = server_now_ms(srv);
        bool listening = now >= resume_ms;
        struct pollfd p[3] = {
            {listening ? rc->lfd : -1, POLLIN, 0},
            {rc->sigfd, POLLIN, 0},
            {console_fd(srv, rc->con), POLLIN, 0},
        };
        if (poll(p, 3, console_timeout(srv, rc->con, listening ? -1 : 100)) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sockchat-server: poll: %s\n", strerror(errno));
            return 71; /* EX_OSERR */
        }
        if (p[1].revents && signal_drain(rc))
            server_shutdown(srv, rc);
        if (!rc->stop && p[2].revents && console_readable(srv, rc->con))
            server_shutdown(srv, rc);
        if (rc->stop || !p[0].revents)
            continue;

        char addr[ADDR_MAX];
        int fd = net_accept(rc->lfd, addr, sizeof addr);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_event(srv, NULL, "accept: %s; pausing for 100 ms", strerror(errno));
                resume_ms = now + 100;
            }
            continue;
        }
        struct client *c = server_admit(srv, fd, addr, NULL);
        if (c == NULL)
            continue;
        client_serve(c, rc); /* until it leaves; a signal asks it to */
        session_end(c);
        close(c->fd);
        client_free(c);
    }
    return 0;
}

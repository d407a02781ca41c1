/* io: the parts that touch descriptors, over socketpair() and loopback. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "fixture.h"

static int pair[2];

static struct client *pair_client(void)
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    fcntl(pair[0], F_SETFL, O_NONBLOCK);
    struct client *c = client_new(&fx_srv, pair[0], "unix:0");
    ck_assert_int_eq(registry_add(&fx_srv, c), 0);
    return c;
}

static void pair_close(void)
{
    close(pair[0]);
    close(pair[1]);
}

START_TEST(test_flush_writes_everything)
{
    struct client *c = pair_client();
    fx_feed(c, "HELLO sockchat/1 alice\nPING 1\n");
    ck_assert_int_eq(client_flush(c), FLUSH_DONE);
    char buf[256];
    ssize_t n = read(pair[1], buf, sizeof buf - 1);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "WELCOME alice threads 1 testsrv\n"
                          "OUT you are alice; /nick NAME to change it\nPONG 1\n");
    ck_assert_uint_eq(atomic_load(&fx_srv.st.bytes_out), (unsigned long long)n);
    fx_end(c);
    pair_close();
}
END_TEST

START_TEST(test_flush_partial_then_resume)
{
    struct client *c = pair_client();
    int small = 4096;
    setsockopt(pair[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    fx_feed(c, "HELLO sockchat/1 alice\n");
    for (int i = 0; i < 2000; i++)
        fx_feed(c, "PING 0123456789abcdef0123456789abcdef\n");
    size_t want = c->q.bytes;
    ck_assert_int_eq(client_flush(c), FLUSH_AGAIN); /* would block: queued, not lost */
    size_t got = 0;
    char buf[65536];
    for (int round = 0; round < 10000 && got < want; round++) {
        ssize_t n = read(pair[1], buf, sizeof buf);
        if (n > 0)
            got += (size_t)n;
        client_flush(c);
    }
    ck_assert_uint_eq(got, want);
    ck_assert(outq_empty(&c->q));
    fx_end(c);
    pair_close();
}
END_TEST

START_TEST(test_flush_error_on_closed_peer)
{
    struct client *c = pair_client();
    fx_feed(c, "hi\n");
    close(pair[1]);
    ck_assert_int_eq(client_flush(c), FLUSH_ERROR); /* EPIPE, and no SIGPIPE death */
    fx_end(c);
    close(pair[0]);
}
END_TEST

START_TEST(test_eof_flushes_then_closes)
{
    struct client *c = pair_client();
    fx_feed(c, "bye then\n");
    client_on_read(c, NULL, 0, 0); /* the peer shut down its side */
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(c, why, sizeof why), CLOSE_FLUSH);
    ck_assert_str_eq(why, "quit"); /* a clean FIN: nc's Ctrl-D */
    struct client_plan p;
    client_step(c, fx_clock.mono_ms, &p);
    ck_assert(!p.done);
    ck_assert(p.wr); /* what we owe it goes out first */
    ck_assert(!p.rd);
    ck_assert_int_eq(client_flush(c), FLUSH_DONE);
    client_step(c, fx_clock.mono_ms, &p);
    ck_assert(p.done);
    fx_end(c);
    pair_close();
}
END_TEST

START_TEST(test_quit_lingers_for_peer_eof)
{
    struct client *c = pair_client();
    fx_feed(c, "exit");
    client_flush(c);
    struct client_plan p;
    client_step(c, fx_clock.mono_ms, &p);
    ck_assert(!p.done);
    ck_assert(c->draining); /* FIN sent */
    ck_assert(p.rd);
    char buf[64];
    ssize_t n = read(pair[1], buf, sizeof buf);
    ck_assert_int_eq(n, 16);
    ck_assert_int_eq(read(pair[1], buf, sizeof buf), 0); /* EOF after the reply */
    fx_clock.mono_ms += LINGER_MS + 1;                   /* the peer never closes: we do */
    client_step(c, fx_clock.mono_ms, &p);
    ck_assert(p.done);
    fx_end(c);
    pair_close();
}
END_TEST

START_TEST(test_reset_is_lost_connection)
{
    struct client *c = pair_client();
    client_on_read(c, NULL, -1, ECONNRESET);
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(c, why, sizeof why), CLOSE_NOW);
    ck_assert_str_eq(why, "lost connection");
    client_on_read(c, NULL, -1, EAGAIN); /* harmless */
    fx_end(c);
    pair_close();
}
END_TEST

START_TEST(test_listen_errors)
{
    char bound[128], err[256];
    int fd = net_listen("127.0.0.1", "0", bound, sizeof bound, err, sizeof err, NULL);
    ck_assert_int_ge(fd, 0);
    ck_assert(strncmp(bound, "127.0.0.1:", 10) == 0);
    const char *port = strchr(bound, ':') + 1;
    ck_assert_int_gt(atoi(port), 0);
    int fd2 = net_listen("127.0.0.1", port, bound, sizeof bound, err, sizeof err, NULL);
    ck_assert_int_eq(fd2, -1);
    ck_assert_msg(strstr(err, "bind 127.0.0.1:") == err && strstr(err, "Address already in use"),
                  "got: %s", err);
    close(fd);
    ck_assert_int_eq(
        net_listen("no.such.host.invalid", "0", bound, sizeof bound, err, sizeof err, NULL), -1);
    ck_assert(strncmp(err, "bad address", 11) == 0);
}
END_TEST

/* Whose fault a failed listen is: the address (a usage error), or not. */
START_TEST(test_listen_bad_addr_flag)
{
    char bound[128], err[256];
    bool bad_addr = false;
    int fd = net_listen("127.0.0.1", "0", bound, sizeof bound, err, sizeof err, &bad_addr);
    ck_assert_int_ge(fd, 0);
    ck_assert(!bad_addr);
    const char *port = strchr(bound, ':') + 1;
    bad_addr = true;
    ck_assert_int_eq(net_listen("127.0.0.1", port, bound, sizeof bound, err, sizeof err, &bad_addr),
                     -1);
    ck_assert_msg(!bad_addr, "a port in use is not a bad address: %s", err);
    close(fd);
    ck_assert_int_eq(
        net_listen("no.such.host.invalid", "0", bound, sizeof bound, err, sizeof err, &bad_addr),
        -1);
    ck_assert(bad_addr);
}
END_TEST

/* One policy for a failure a driver cannot serve on (driver_fail): the
 * exit status is set (the first failure's stays), the listener stops
 * taking connections, everyone is told why, and the stop happens once. */
START_TEST(test_driver_fail_policy)
{
    struct client *a = fx_framed("alice");
    char bound[128], err[256];
    int lfd = net_listen("127.0.0.1", "0", bound, sizeof bound, err, sizeof err, NULL);
    ck_assert_int_ge(lfd, 0);
    struct run_ctx rc = {.lfd = lfd, .sigfd = -1};
    driver_fail(&fx_srv, &rc, EX_OSERR, "poll", ENOMEM);
    ck_assert(rc.stop);
    ck_assert_int_eq(rc.status, EX_OSERR);
    ck_assert_str_eq(driver_stop_reason(&rc), "it hit an error (see its log)");
    ck_assert_ptr_nonnull(strstr(fx_drain(a), "SHUTDOWN it hit an error"));
    /* The listener is out of service: a connect is refused. */
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    sin.sin_port = htons((uint16_t)atoi(strchr(bound, ':') + 1));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ne(connect(s, (struct sockaddr *)&sin, sizeof sin), 0);
    close(s);
    driver_fail(&fx_srv, &rc, EX_SOFTWARE, "poll", EBADF); /* a second one */
    ck_assert_int_eq(rc.status, EX_OSERR);
    ck_assert_str_eq(fx_drain(a), ""); /* told once */
    close(lfd);
}
END_TEST

/* A listener on 127.0.0.1, a client connected to it (*s) and the
 * server's side as net_accept() gives it (*fd, its address in addr). */
static int accept_one(int *s, int *fd, char *addr, size_t acap)
{
    char bound[128], err[256];
    int lfd = net_listen("127.0.0.1", "0", bound, sizeof bound, err, sizeof err, NULL);
    ck_assert_int_ge(lfd, 0);
    *s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {0};
    socklen_t len = sizeof sin;
    getsockname(lfd, (struct sockaddr *)&sin, &len);
    ck_assert_int_eq(connect(*s, (struct sockaddr *)&sin, sizeof sin), 0);
    struct pollfd p = {lfd, POLLIN, 0};
    ck_assert_int_eq(poll(&p, 1, 5000), 1);
    *fd = net_accept(lfd, addr, acap);
    ck_assert_int_ge(*fd, 0);
    return lfd;
}

START_TEST(test_accept_formats_address)
{
    char addr[ADDR_MAX];
    int s, fd;
    int lfd = accept_one(&s, &fd, addr, sizeof addr);
    ck_assert(strncmp(addr, "127.0.0.1:", 10) == 0);
    ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
    close(fd);
    close(s);
    close(lfd);
}
END_TEST

/* The kernel's limit for a buffer a program asks for (net.core.*_max). */
static int sysctl_int(const char *path, int fallback)
{
    FILE *f = fopen(path, "r");
    int v = fallback;
    if (f != NULL) {
        if (fscanf(f, "%d", &v) != 1)
            v = fallback;
        fclose(f);
    }
    return v;
}

/* Accepted connections get fixed socket buffers (NET_SNDBUF, NET_RCVBUF,
 * doubled by the kernel), not the autotuned ones that a peer which never
 * reads can grow to megabytes. */
START_TEST(test_accepted_socket_buffers_fixed)
{
    char addr[ADDR_MAX];
    int s, fd;
    int lfd = accept_one(&s, &fd, addr, sizeof addr);
    int wmax = sysctl_int("/proc/sys/net/core/wmem_max", NET_SNDBUF);
    int rmax = sysctl_int("/proc/sys/net/core/rmem_max", NET_RCVBUF);
    int snd = 0, rcv = 0;
    socklen_t sl = sizeof snd;
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, &sl), 0);
    sl = sizeof rcv;
    ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, &sl), 0);
    ck_assert_int_eq(snd, 2 * (NET_SNDBUF < wmax ? NET_SNDBUF : wmax));
    ck_assert_int_eq(rcv, 2 * (NET_RCVBUF < rmax ? NET_RCVBUF : rmax));
    close(fd);
    close(s);
    close(lfd);
}
END_TEST

Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *t = tcase_create("socketpair");
    tcase_add_checked_fixture(t, fx_setup, fx_teardown);
    tcase_set_timeout(t, 20);
    tcase_add_test(t, test_flush_writes_everything);
    tcase_add_test(t, test_flush_partial_then_resume);
    tcase_add_test(t, test_flush_error_on_closed_peer);
    tcase_add_test(t, test_eof_flushes_then_closes);
    tcase_add_test(t, test_quit_lingers_for_peer_eof);
    tcase_add_test(t, test_reset_is_lost_connection);
    suite_add_tcase(s, t);
    TCase *n = tcase_create("net");
    tcase_add_test(n, test_listen_errors);
    tcase_add_test(n, test_listen_bad_addr_flag);
    tcase_add_test(t, test_driver_fail_policy);
    tcase_add_test(n, test_accept_formats_address);
    tcase_add_test(n, test_accepted_socket_buffers_fixed);
    suite_add_tcase(s, n);
    return s;
}

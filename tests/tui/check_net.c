/* net: the reconnect backoff, and non-blocking connects on loopback with
 * ephemeral ports (listening, refused, IPv6, a service that does not
 * exist). Waits are poll() with deadlines, never sleeps. */
#include "check_tui.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

START_TEST(test_backoff)
{
    struct net n;
    net_init(&n);
    const unsigned want[] = {1, 2, 4, 8, 16, 30, 30, 30};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        ck_assert_uint_eq(net_backoff_next(&n), want[i]);
    net_backoff_reset(&n);
    ck_assert_uint_eq(net_backoff_next(&n), 1);
}
END_TEST

/* A listening socket on an ephemeral loopback port; returns its fd. */
static int listener(int family, char *port, size_t cap)
{
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = in6addr_loopback;
        sl = sizeof(*sin6);
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        close(fd);
        return -1;
    }
    unsigned p = family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                   : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    snprintf(port, cap, "%u", p);
    return fd;
}

/* Drives a connect to its end: 1 connected, -1 or -2 failed. */
static int finish(struct net *n, char *err, size_t cap)
{
    for (int i = 0; i < 10 && n->connecting; i++) {
        struct pollfd pf = {.fd = n->fd, .events = net_poll_events(n, false)};
        int rc = poll(&pf, 1, 2000);
        int r = net_finish(n, 0, rc == 0, err, cap);
        if (r != 0)
            return r;
    }
    return n->fd >= 0 ? 1 : -1;
}

START_TEST(test_connect_ipv4)
{
    char port[16], err[200] = "";
    int l = listener(AF_INET, port, sizeof(port));
    ck_assert_int_ge(l, 0);
    struct net n;
    net_init(&n);
    ck_assert_int_eq(net_start(&n, "127.0.0.1", port, 0, err, sizeof(err)), 0);
    ck_assert_int_eq(finish(&n, err, sizeof(err)), 1);
    ck_assert_int_eq(net_write(&n, "hi\n", 3), 3);
    int a = accept(l, NULL, NULL);
    ck_assert_int_ge(a, 0);
    char buf[8];
    ck_assert_int_eq(read(a, buf, sizeof(buf)), 3);
    /* Non-blocking: nothing to read yet is EAGAIN, not a hang. */
    ck_assert_int_eq(net_read(&n, buf, sizeof(buf)), -1);
    close(a);
    close(l);
    net_close(&n);
    ck_assert_int_eq(n.fd, -1);
}
END_TEST

START_TEST(test_connect_ipv6)
{
    char port[16], err[200] = "";
    int l = listener(AF_INET6, port, sizeof(port));
    if (l < 0)
        return; /* no IPv6 loopback on this machine */
    struct net n;
    net_init(&n);
    ck_assert_int_eq(net_start(&n, "::1", port, 0, err, sizeof(err)), 0);
    ck_assert_int_eq(finish(&n, err, sizeof(err)), 1);
    close(l);
    net_close(&n);
}
END_TEST

START_TEST(test_refused)
{
    char port[16], err[200] = "";
    int l = listener(AF_INET, port, sizeof(port));
    ck_assert_int_ge(l, 0);
    close(l); /* nobody listens there now */
    struct net n;
    net_init(&n);
    int rc = net_start(&n, "127.0.0.1", port, 0, err, sizeof(err));
    if (rc == 0)
        rc = finish(&n, err, sizeof(err));
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strstr(err, "refused") != NULL, "error: %s", err);
    ck_assert_int_eq(n.fd, -1);
}
END_TEST

START_TEST(test_bad_service)
{
    char err[200] = "";
    struct net n;
    net_init(&n);
    ck_assert_int_eq(net_start(&n, "127.0.0.1", "no-such-service-x", 0, err, sizeof(err)), -2);
    ck_assert_msg(strncmp(err, "resolve 127.0.0.1: ", 19) == 0, "error: %s", err);
}
END_TEST

START_TEST(test_connect_by_name)
{
    char port[16], err[200] = "";
    int l = listener(AF_INET, port, sizeof(port));
    ck_assert_int_ge(l, 0);
    struct net n;
    net_init(&n);
    ck_assert_int_eq(net_start(&n, "localhost", port, 0, err, sizeof(err)), 0);
    ck_assert(n.resolving); /* a name: looked up on the side */
    ck_assert_int_eq(finish(&n, err, sizeof(err)), 1);
    ck_assert(!n.resolving);
    ck_assert_int_eq(net_write(&n, "hi\n", 3), 3);
    close(l);
    net_close(&n);
}
END_TEST

/* A stand-in for getaddrinfo that blocks, as a lookup does when DNS is
 * unreachable, until the test closes the gate's write end; then it
 * answers fake_rc, or 127.0.0.1, and says so on `answered`. */
static int gate[2] = {-1, -1};
static int answered[2] = {-1, -1};
static int fake_rc;

static int gated_resolver(const char *host, const char *port, const struct addrinfo *hints,
                          struct addrinfo **res)
{
    (void)host;
    char c;
    while (read(gate[0], &c, 1) < 0 && errno == EINTR)
        ;
    int rc = fake_rc != 0 ? fake_rc : getaddrinfo("127.0.0.1", port, hints, res);
    c = 1;
    while (write(answered[1], &c, 1) < 0 && errno == EINTR)
        ;
    return rc;
}

static void gate_open(int rc)
{
    ck_assert_int_eq(pipe(gate), 0);
    ck_assert_int_eq(pipe(answered), 0);
    fake_rc = rc;
}

/* Lets the lookup finish and waits until the resolver has answered: a
 * lookup given up on is still running, and the next test reuses the gate
 * (with CK_FORK=no). */
static void gate_release(void)
{
    close(gate[1]);
    struct pollfd pf = {.fd = answered[0], .events = POLLIN};
    ck_assert_int_eq(poll(&pf, 1, 10000), 1);
    char c;
    ck_assert_int_eq(read(answered[0], &c, 1), 1);
}

static void gate_close(void)
{
    close(gate[0]);
    close(answered[0]);
    close(answered[1]);
}

static bool readable_now(int fd)
{
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    return poll(&pf, 1, 0) == 1;
}

START_TEST(test_lookup_does_not_block)
{
    char port[16], err[200] = "";
    int l = listener(AF_INET, port, sizeof(port));
    ck_assert_int_ge(l, 0);
    gate_open(0);
    struct net n;
    net_init(&n);
    n.resolve = gated_resolver;
    /* Returns while the lookup hangs: the caller's loop goes on. */
    ck_assert_int_eq(net_start(&n, "slow.example", port, 0, err, sizeof(err)), 0);
    ck_assert(n.resolving && n.connecting);
    ck_assert(!readable_now(n.fd));
    /* A wake-up before the answer (poll can return early) changes nothing. */
    ck_assert_int_eq(net_finish(&n, 0, false, err, sizeof(err)), 0);
    ck_assert(n.resolving);
    gate_release();
    ck_assert_int_eq(finish(&n, err, sizeof(err)), 1);
    close(l);
    net_close(&n);
    gate_close();
}
END_TEST

START_TEST(test_lookup_timeout)
{
    char err[200] = "";
    gate_open(0);
    struct net n;
    net_init(&n);
    n.resolve = gated_resolver;
    ck_assert_int_eq(net_start(&n, "slow.example", "5000", 0, err, sizeof(err)), 0);
    ck_assert_int_eq(net_finish(&n, NET_RESOLVE_TIMEOUT_MS, true, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "resolve slow.example: no answer") != NULL, "error: %s", err);
    ck_assert(!n.resolving && !n.connecting);
    ck_assert_int_eq(n.fd, -1);
    /* The abandoned lookup ends later and frees itself (ASan's business). */
    gate_release();
    gate_close();
}
END_TEST

START_TEST(test_lookup_abandoned_then_restarted)
{
    char port[16], err[200] = "";
    int l = listener(AF_INET, port, sizeof(port));
    ck_assert_int_ge(l, 0);
    gate_open(0);
    struct net n;
    net_init(&n);
    n.resolve = gated_resolver;
    ck_assert_int_eq(net_start(&n, "slow.example", port, 0, err, sizeof(err)), 0);
    /* /connect elsewhere while the first lookup hangs. */
    n.resolve = getaddrinfo;
    ck_assert_int_eq(net_start(&n, "127.0.0.1", port, 0, err, sizeof(err)), 0);
    ck_assert(!n.resolving);
    ck_assert_int_eq(finish(&n, err, sizeof(err)), 1);
    gate_release();
    gate_close();
    close(l);
    net_close(&n);
}
END_TEST

START_TEST(test_lookup_no_such_name)
{
    char err[200] = "";
    gate_open(EAI_NONAME);
    struct net n;
    net_init(&n);
    n.resolve = gated_resolver;
    ck_assert_int_eq(net_start(&n, "nosuch.example", "5000", 0, err, sizeof(err)), 0);
    gate_release();
    /* -2: the name does not exist, retrying is pointless. */
    ck_assert_int_eq(finish(&n, err, sizeof(err)), -2);
    ck_assert_msg(strncmp(err, "resolve nosuch.example: ", 24) == 0, "error: %s", err);
    ck_assert_int_eq(n.fd, -1);
    gate_close();
}
END_TEST

Suite *net_suite(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("net-core");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_backoff);
    tcase_add_test(tc, test_connect_ipv4);
    tcase_add_test(tc, test_connect_ipv6);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_bad_service);
    tcase_add_test(tc, test_connect_by_name);
    tcase_add_test(tc, test_lookup_does_not_block);
    tcase_add_test(tc, test_lookup_timeout);
    tcase_add_test(tc, test_lookup_abandoned_then_restarted);
    tcase_add_test(tc, test_lookup_no_such_name);
    suite_add_tcase(s, tc);
    return s;
}

/* net: the reconnect backoff, and non-blocking connects on loopback with
 * ephemeral ports (listening, refused, IPv6, a service that does not
 * exist). Waits are poll() with deadlines, never sleeps. */
#include "check_tui.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "wire.h"

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

/* A name with two addresses (a cluster's nodes behind one DNS name):
 * 127.0.0.1 and 127.0.0.2, both loopback. Chained from two real answers
 * (glibc frees a list node by node). */
static int two_resolver(const char *host, const char *port, const struct addrinfo *hints,
                        struct addrinfo **res)
{
    (void)host;
    struct addrinfo h = *hints, *a = NULL, *b = NULL;
    h.ai_flags = AI_NUMERICHOST;
    h.ai_family = AF_INET;
    int rc = getaddrinfo("127.0.0.1", port, &h, &a);
    if (rc != 0)
        return rc;
    rc = getaddrinfo("127.0.0.2", port, &h, &b);
    if (rc != 0) {
        freeaddrinfo(a);
        return rc;
    }
    a->ai_next = b;
    *res = a;
    return 0;
}

/* A second listener on 127.0.0.2, on the port of the first. */
static int listener_at_2(const char *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};
    sin.sin_addr.s_addr = htonl(0x7f000002);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 4) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Every address of a name is tried, starting where the caller's round
 * robin says (ai_first) and wrapping round to the ones before it. */
START_TEST(test_name_several_addresses)
{
    char port[16], err[200] = "";
    int l1 = listener(AF_INET, port, sizeof(port));
    ck_assert_int_ge(l1, 0);
    int l2 = listener_at_2(port);
    ck_assert_int_ge(l2, 0);
    struct net n;
    net_init(&n);
    n.resolve = two_resolver;
    ck_assert_int_eq(net_start(&n, "two.example", port, 0, err, sizeof(err)), 0);
    ck_assert_int_eq(finish(&n, err, sizeof(err)), 1);
    ck_assert_uint_eq(n.ai_count, 2);
    ck_assert_uint_eq(n.ai_index, 0);
    ck_assert_str_eq(n.addr_text, "127.0.0.1");
    /* From the second, as the round robin asks. */
    n.ai_first = 1;
    ck_assert_int_eq(net_start(&n, "two.example", port, 0, err, sizeof(err)), 0);
    ck_assert_int_eq(finish(&n, err, sizeof(err)), 1);
    ck_assert_uint_eq(n.ai_index, 1);
    ck_assert_str_eq(n.addr_text, "127.0.0.2");
    /* The second gone: refused there, then round to the first. */
    close(l2);
    ck_assert_int_eq(net_start(&n, "two.example", port, 0, err, sizeof(err)), 0);
    ck_assert_int_eq(finish(&n, err, sizeof(err)), 1);
    ck_assert_uint_eq(n.ai_index, 0);
    ck_assert_str_eq(n.addr_text, "127.0.0.1");
    /* Nobody listening at either: both tried, then the failure. */
    close(l1);
    n.ai_first = 0;
    ck_assert_int_eq(net_start(&n, "two.example", port, 0, err, sizeof(err)), 0);
    ck_assert_int_lt(finish(&n, err, sizeof(err)), 0);
    ck_assert_uint_eq(n.ai_count, 2);
    ck_assert_uint_eq(n.ai_index, 1);
    ck_assert_msg(strstr(err, "refused") != NULL, "error: %s", err);
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

/* ---- the wire view and the demo knobs ---- */

static int64_t fake_now;

static int64_t fake_clock(void)
{
    return fake_now;
}

/* n connected to a listener on loopback; *peer: the accepted side. */
static void connected_pair(struct net *n, int *peer)
{
    char port[16], err[200] = "";
    int l = listener(AF_INET, port, sizeof(port));
    ck_assert_int_ge(l, 0);
    ck_assert_int_eq(net_start(n, "127.0.0.1", port, 0, err, sizeof(err)), 0);
    ck_assert_int_eq(finish(n, err, sizeof(err)), 1);
    *peer = accept(l, NULL, NULL);
    ck_assert_int_ge(*peer, 0);
    close(l);
}

/* Reads exactly len bytes from fd, with a deadline. */
static void read_exactly(int fd, char *buf, size_t len)
{
    size_t got = 0;
    for (int i = 0; i < 100 && got < len; i++) {
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        ck_assert_int_eq(poll(&pf, 1, 2000), 1);
        ssize_t r = read(fd, buf + got, len - got);
        ck_assert_int_gt(r, 0);
        got += (size_t)r;
    }
    ck_assert_uint_eq(got, len);
}

START_TEST(test_wire_records_calls)
{
    struct net n;
    struct wire w = {0};
    int peer;
    net_init(&n);
    n.clock = fake_clock;
    fake_now = 1000;
    ck_assert_int_eq(wire_open(&w), 0);
    n.wire = &w;
    connected_pair(&n, &peer);
    ck_assert_uint_eq(wire_count(&w), 1);
    ck_assert_uint_eq(wire_get(&w, 0)->kind, WIRE_CONNECT);
    fake_now = 1250;
    ck_assert_int_eq(net_write(&n, "MSG 1 hi\n", 9), 9);
    char buf[64];
    read_exactly(peer, buf, 9);
    ck_assert_int_eq(write(peer, "ACK 1\nCHAT 1 bob yo\n", 20), 20);
    struct pollfd pf = {.fd = n.fd, .events = POLLIN};
    ck_assert_int_eq(poll(&pf, 1, 2000), 1);
    fake_now = 1300;
    ssize_t r = net_read(&n, buf, sizeof(buf));
    ck_assert_int_gt(r, 0);
    /* Nothing more: EAGAIN is not a call that moved bytes. */
    ck_assert_int_eq(net_read(&n, buf, sizeof(buf)), -1);
    ck_assert_uint_eq(wire_count(&w), 3);
    const struct wire_rec *wr = wire_get(&w, 1);
    ck_assert_uint_eq(wr->kind, WIRE_WRITE);
    ck_assert_int_eq(wr->ms, 250);
    ck_assert_uint_eq(wr->count, 9);
    const struct wire_rec *rd = wire_get(&w, 2);
    ck_assert_uint_eq(rd->kind, WIRE_READ);
    ck_assert_int_eq(rd->ms, 300);
    ck_assert_uint_eq(rd->count, (uint32_t)r);
    ck_assert_int_eq(memcmp(rd->bytes, "ACK 1\n", 6), 0);
    /* The end of the stream is a read of 0 bytes, recorded too. */
    close(peer);
    ck_assert_int_eq(poll(&pf, 1, 2000), 1);
    ck_assert_int_eq(net_read(&n, buf, sizeof(buf)), 0);
    ck_assert_uint_eq(wire_get(&w, w.total - 1)->count, 0);
    /* Off: nothing recorded. */
    n.wire = NULL;
    uint64_t before = w.total;
    ck_assert_int_eq(net_read(&n, buf, sizeof(buf)), 0);
    ck_assert_uint_eq(w.total, before);
    net_close(&n);
    wire_free(&w);
}
END_TEST

START_TEST(test_chunk_paces_writes)
{
    struct net n;
    int peer;
    net_init(&n);
    n.clock = fake_clock;
    fake_now = 0;
    n.chunk = 3;
    n.chunk_ms = 50;
    connected_pair(&n, &peer);
    /* The greeting goes whole: the server tells the dialect from it. */
    ck_assert_int_eq(net_write(&n, "HELLO sockchat/2 x\n", 19), 19);
    ck_assert_int_eq(net_write_wait(&n), 0);
    char buf[32];
    read_exactly(peer, buf, 19);
    ck_assert_int_eq(write(peer, "WELCOME\n", 8), 8);
    struct pollfd pf = {.fd = n.fd, .events = POLLIN};
    ck_assert_int_eq(poll(&pf, 1, 2000), 1);
    ck_assert_int_eq(net_read(&n, buf, sizeof(buf)), 8);
    /* Answered: from now on, pieces. */
    ck_assert_int_eq(net_write_wait(&n), 0);
    ck_assert_int_eq(net_write(&n, "hello\n", 6), 3);
    /* Too early for the next piece: EAGAIN, as a full socket. */
    ck_assert_int_eq(net_write_wait(&n), 50);
    errno = 0;
    ck_assert_int_eq(net_write(&n, "lo\n", 3), -1);
    ck_assert_int_eq(errno, EAGAIN);
    fake_now = 49;
    ck_assert_int_eq(net_write_wait(&n), 1);
    fake_now = 50;
    ck_assert_int_eq(net_write_wait(&n), 0);
    ck_assert_int_eq(net_write(&n, "lo\n", 3), 3);
    read_exactly(peer, buf, 6);
    ck_assert_int_eq(memcmp(buf, "hello\n", 6), 0);
    close(peer);
    net_close(&n);
}
END_TEST

START_TEST(test_nodelay)
{
    for (int want = 0; want <= 1; want++) {
        struct net n;
        int peer, got = -1;
        socklen_t sl = sizeof(got);
        net_init(&n);
        n.nodelay = want;
        connected_pair(&n, &peer);
        ck_assert_int_eq(getsockopt(n.fd, IPPROTO_TCP, TCP_NODELAY, &got, &sl), 0);
        ck_assert_int_eq(got != 0, want);
        close(peer);
        net_close(&n);
    }
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
    tcase_add_test(tc, test_name_several_addresses);
    tcase_add_test(tc, test_lookup_does_not_block);
    tcase_add_test(tc, test_lookup_timeout);
    tcase_add_test(tc, test_lookup_abandoned_then_restarted);
    tcase_add_test(tc, test_lookup_no_such_name);
    suite_add_tcase(s, tc);
    tc = tcase_create("net-wire");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_wire_records_calls);
    tcase_add_test(tc, test_chunk_paces_writes);
    tcase_add_test(tc, test_nodelay);
    suite_add_tcase(s, tc);
    return s;
}

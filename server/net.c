/* net: small socket helpers in the style of redis's anet.c: each returns a
 * status and, on failure, a "what failed: why" in the caller's buffer. */
#define _GNU_SOURCE /* accept4 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static void net_format(const struct sockaddr *sa, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        /* A v4 client on a dual-stack socket: show it as plain IPv4. */
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof host);
            snprintf(buf, cap, "%s:%u", host, ntohs(s6->sin6_port));
        } else {
            inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
            snprintf(buf, cap, "[%s]:%u", host, ntohs(s6->sin6_port));
        }
    } else if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
        snprintf(buf, cap, "%s:%u", host, ntohs(s4->sin_port));
    } else {
        snprintf(buf, cap, "?");
    }
}

/* A socket bound to the first of res that takes it, listening; -1 and
 * what failed last (at where) in err. */
static int net_bind_first(const struct addrinfo *res, const char *where, char *err, size_t ecap)
{
    int fd = -1, saved = 0;
    const char *what = "socket";
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            what = "socket";
            continue;
        }
        int one = 1, zero = 0;
        /* Restart at once after a crash without waiting out TIME_WAIT. */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        /* "::" serves IPv4 too where the system allows it. */
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        /* Before listen(), so the handshake offers a window that fits;
         * best effort: a socket that refuses works with the defaults. */
        int snd = NET_SNDBUF, rcv = NET_RCVBUF;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            saved = errno;
            what = "bind";
        } else if (listen(fd, SOMAXCONN) < 0) {
            saved = errno;
            what = "listen";
        } else {
            break;
        }
        close(fd);
        fd = -1;
    }
    if (fd < 0)
        snprintf(err, ecap, "%s %s: %s", what, where, strerror(saved));
    return fd;
}

int net_listen(const char *host, const char *port, char *bound, size_t bcap, char *err, size_t ecap,
               bool *bad_addr)
{
    if (bad_addr != NULL)
        *bad_addr = false;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    char where[160];
    if (host && strchr(host, ':'))
        snprintf(where, sizeof where, "[%s]:%s", host, port);
    else
        snprintf(where, sizeof where, "%s:%s", host ? host : "*", port);

    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, ecap, "bad address %s: %s", where, gai_strerror(rc));
        if (bad_addr != NULL)
            *bad_addr = true;
        return -1;
    }
    int fd = net_bind_first(res, where, err, ecap);
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss); /* the analyzer cannot see the kernel fill it */
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        snprintf(err, ecap, "getsockname %s: %s", where, strerror(errno));
        close(fd);
        return -1;
    }
    /* Report the listening address itself (so "::" stays "[::]"). */
    char host_s[INET6_ADDRSTRLEN] = "?";
    unsigned p = 0;
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, host_s, sizeof host_s);
        p = ntohs(s6->sin6_port);
        snprintf(bound, bcap, "[%s]:%u", host_s, p);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, host_s, sizeof host_s);
        p = ntohs(s4->sin_port);
        snprintf(bound, bcap, "%s:%u", host_s, p);
    }
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    return fd;
}

/* A laptop that closes its lid or leaves the Wi-Fi sends no FIN: on an idle
 * room its connection would hold a slot (and its nick) forever. Keepalive
 * probes find it within NET_KEEPIDLE_S + NET_KEEPCNT * NET_KEEPINTVL_S
 * seconds; the read then fails and it leaves as "lost connection". Best
 * effort: a socket that refuses works as before. */
static void net_keepalive(int fd)
{
    int on = 1, idle = NET_KEEPIDLE_S, intvl = NET_KEEPINTVL_S, cnt = NET_KEEPCNT;
    if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0)
        return;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

int net_accept(int lfd, char *addr, size_t acap)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss); /* the analyzer cannot see the kernel fill it */
    socklen_t len = sizeof ss;
    int fd;
    do {
        fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    int one = 1;
    /* Chat lines and pongs are small: send them now, not after 40 ms. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    net_keepalive(fd);
    net_format((struct sockaddr *)&ss, addr, acap);
    return fd;
}

int net_accept_queue(int lfd, unsigned *len)
{
    /* Linux reports a listening socket's accept queue in TCP_INFO: its
     * length in tcpi_unacked, listen()'s backlog in tcpi_sacked. */
    struct tcp_info ti;
    socklen_t sl = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &sl) != 0)
        return -1;
    if (ti.tcpi_state != TCP_LISTEN)
        return -1;
    *len = ti.tcpi_unacked;
    return 0;
}

void net_raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void net_refuse(int fd, const char *line)
{
    char sink[4096];
    ssize_t n;
    /* Read what the peer already sent (its hello): closing with unread
     * input sends an RST, which can destroy our line before it is read. */
    for (int i = 0; i < 16; i++) {
        n = recv(fd, sink, sizeof sink, MSG_DONTWAIT);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            break;
    }
    do {
        n = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    shutdown(fd, SHUT_WR);
}

void net_reach(const char *bound, char *out, size_t cap)
{
    out[0] = '\0';
    const char *colon = strrchr(bound, ':');
    if (colon == NULL)
        return;
    const char *port = colon + 1;
    bool any4 = strncmp(bound, "0.0.0.0:", 8) == 0, any6 = strncmp(bound, "[::]:", 5) == 0;
    if (!any4 && !any6)
        return; /* bound to one address: the listening line says it */
    struct ifaddrs *ifs;
    if (getifaddrs(&ifs) < 0)
        return;
    size_t len = 0;
    unsigned n = 0;
    for (struct ifaddrs *i = ifs; i != NULL && n < 4; i = i->ifa_next) {
        if (i->ifa_addr == NULL || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
            continue;
        char a[INET6_ADDRSTRLEN];
        int fam = i->ifa_addr->sa_family;
        if (fam == AF_INET) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, a, sizeof a);
        } else if (fam == AF_INET6 && any6) {
            const struct in6_addr *a6 = &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr;
            if (IN6_IS_ADDR_LINKLOCAL(a6))
                continue; /* needs a %interface a student would not know */
            inet_ntop(AF_INET6, a6, a, sizeof a);
        } else {
            continue;
        }
        int w = snprintf(out + len, cap - len, fam == AF_INET6 ? "%s[%s]:%s" : "%s%s:%s",
                         n ? ", " : "", a, port);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
        n++;
    }
    freeifaddrs(ifs);
    if (n == 0)
        snprintf(out, cap, "127.0.0.1:%s, from this machine only (no network address found)", port);
}

/* sockchat-bench: options, limits and the choice of workload.
 *
 * Exit status: 0 the run was clean; 1 it saw protocol errors (wrong reply,
 * lost or duplicated message, lost connection); 2 not every connection was
 * served or nothing was measured; EX_USAGE for bad options; EX_NOHOST /
 * EX_OSERR when the address or the system fails us. */
#include "bench.h"

#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: sockchat-bench [options] rr|fanout|hold|push\n"
               "\n"
               "workloads:\n"
               "  rr      --conns closed loops of ping -> pong: replies/s, latency\n"
               "  fanout  --conns receivers and one sender in lock step: deliveries/s,\n"
               "          latency, exactly-once in-order check\n"
               "  hold    --conns idle connections, then each must answer; server RSS\n"
               "          per connection with --pid\n"
               "  push    one connection sends --messages chat lines (for client-bench.sh)\n"
               "\n"
               "options (default):\n"
               "  -H, --host ADDR      server address (127.0.0.1)\n"
               "  -p, --port N[,N...]  server port (5000); a comma list (at most 16): the\n"
               "                       connections go round the list (the fanout sender to\n"
               "                       the first), e.g. the nodes of a cluster\n"
               "  -D, --dialect D      framed, plain, raw (the tutorial's), resp (redis),\n"
               "                       ncat (ncat --chat) (framed)\n"
               "  -c, --conns N        connections, or receivers for fanout (10)\n"
               "  -d, --duration S     seconds measured; hold: seconds held (5)\n"
               "  -w, --warmup S       seconds before measuring (1)\n"
               "  -t, --timeout S      limit for connecting and for each check (10; hold 60)\n"
               "  -m, --messages N     fanout: stop after N; push: send N (0 / 100000)\n"
               "  -W, --window N       connects in flight, at most the server's listen\n"
               "                       backlog; push: unacknowledged messages (16)\n"
               "  -s, --size N         chat text padded to N bytes (0 = \"fan RUN SEQ\")\n"
               "  -r, --rate N         push: messages per second (0 = as fast as acks allow)\n"
               "  -P, --pid PID        server PID, for its RSS in hold\n"
               "  -l, --label TEXT     tag for the RESULT line, no spaces (-)\n"
               "  -B, --busy-rooms N   fanout: N other rooms (#busy1...) busy meanwhile:\n"
               "                       their messages must stay there, none lost (0)\n"
               "  -S, --busy-size N    people in each busy room, one of whom talks (10)\n"
               "  -R, --busy-rate N    messages per second said in each busy room (20)\n"
               "  -T, --tls            every connection over TLS (full handshake each, no\n"
               "                       certificate check: for throwaway test servers)\n"
               "  -h, --help           this text\n"
               "  -V, --version        version\n"
               "\n"
               "Prints a Markdown table and one line 'RESULT key=value ...'.\n"
               "Exit: 0 clean, 1 protocol errors, 2 not all connections served.\n");
}

static int parse_num(const char *s, double *v)
{
    char *end;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || x < 0)
        return -1;
    *v = x;
    return 0;
}

static int parse_options(int argc, char **argv, struct bench_options *o)
{
    static const struct option longs[] = {
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"dialect", required_argument, NULL, 'D'},
        {"conns", required_argument, NULL, 'c'},
        {"duration", required_argument, NULL, 'd'},
        {"warmup", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 't'},
        {"messages", required_argument, NULL, 'm'},
        {"window", required_argument, NULL, 'W'},
        {"size", required_argument, NULL, 's'},
        {"rate", required_argument, NULL, 'r'},
        {"pid", required_argument, NULL, 'P'},
        {"label", required_argument, NULL, 'l'},
        {"busy-rooms", required_argument, NULL, 'B'},
        {"busy-size", required_argument, NULL, 'S'},
        {"busy-rate", required_argument, NULL, 'R'},
        {"tls", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct bench_options){.host = "127.0.0.1",
                                .port = "5000",
                                .conns = 10,
                                .duration = 5,
                                .warmup = 1,
                                .timeout = -1,
                                .window = 16,
                                .busy_size = 10,
                                .busy_rate = 20};
    int ch;
    double v;
    while ((ch = getopt_long(argc, argv, "H:p:D:c:d:w:t:m:W:s:r:P:l:B:S:R:ThV", longs, NULL)) !=
           -1) {
        if (ch == 'h') {
            usage(stdout);
            exit(0);
        }
        if (ch == 'V') {
            printf("sockchat-bench %s\n", SOCKCHAT_VERSION);
            exit(0);
        }
        if (ch == '?')
            return -1;
        if (ch == 'T') {
            o->tls = true;
            continue;
        }
        if (ch == 'H' || ch == 'p' || ch == 'l') {
            *(ch == 'H' ? &o->host : ch == 'p' ? &o->port : &o->label) = optarg;
            continue;
        }
        if (ch == 'D') {
            if (dialect_parse(optarg, &o->dialect) < 0) {
                fprintf(stderr, "sockchat-bench: unknown dialect: %s\n", optarg);
                return -1;
            }
            continue;
        }
        if (parse_num(optarg, &v) < 0) {
            fprintf(stderr, "sockchat-bench: --%s: not a number >= 0: %s\n",
                    longs[strchr("HpDcdwtmWsrPlBSR", ch) - "HpDcdwtmWsrPlBSR"].name, optarg);
            return -1;
        }
        switch (ch) {
        case 'c':
            o->conns = (unsigned)v;
            break;
        case 'd':
            o->duration = v;
            break;
        case 'w':
            o->warmup = v;
            break;
        case 't':
            o->timeout = v;
            break;
        case 'm':
            o->messages = (unsigned long)v;
            break;
        case 'W':
            o->window = (unsigned)v;
            break;
        case 's':
            o->size = v < LINE_MAX_BYTES ? (unsigned)v : LINE_MAX_BYTES - 1;
            break;
        case 'r':
            o->rate = v;
            break;
        case 'P':
            o->pid = (long)v;
            break;
        case 'B':
            o->busy_rooms = v < 1000 ? (unsigned)v : 1000;
            break;
        case 'S':
            o->busy_size = (unsigned)v;
            break;
        case 'R':
            o->busy_rate = v;
            break;
        default:
            return -1;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "sockchat-bench: name one workload\n");
        return -1;
    }
    const char *w = argv[optind];
    if (strcmp(w, "rr") == 0)
        o->work = WORK_RR;
    else if (strcmp(w, "fanout") == 0)
        o->work = WORK_FANOUT;
    else if (strcmp(w, "hold") == 0)
        o->work = WORK_HOLD;
    else if (strcmp(w, "push") == 0)
        o->work = WORK_PUSH;
    else {
        fprintf(stderr, "sockchat-bench: unknown workload: %s\n", w);
        return -1;
    }
    if (o->timeout < 0)
        o->timeout = o->work == WORK_HOLD ? 60 : 10;
    if (o->busy_rooms > 0 && (o->work != WORK_FANOUT || o->busy_size < 2 ||
                              (o->dialect != BENCH_FRAMED && o->dialect != BENCH_PLAIN))) {
        fprintf(stderr, "sockchat-bench: --busy-rooms is for fanout against sockchat-server\n"
                        "(framed or plain), with --busy-size at least 2\n");
        return -1;
    }
    unsigned short ports[BENCH_PORTS_MAX];
    if (ports_parse(o->port, ports, BENCH_PORTS_MAX) < 0) {
        fprintf(stderr,
                "sockchat-bench: --port: not a port (1-65535) or a comma list of at most %d: %s\n",
                BENCH_PORTS_MAX, o->port);
        return -1;
    }
    if (o->conns == 0 || o->conns > 1000000) {
        fprintf(stderr, "sockchat-bench: --conns must be 1..1000000\n");
        return -1;
    }
    return 0;
}

/* Each connection is a descriptor: take every one the hard limit allows. */
static int raise_nofile(size_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        perror("sockchat-bench: getrlimit");
        return -1;
    }
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        perror("sockchat-bench: setrlimit");
        return -1;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        fprintf(stderr,
                "sockchat-bench: %zu connections need %zu descriptors, the hard limit is %lu\n",
                need - 16, need, (unsigned long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

/* One address per port of --port (checked by parse_options). */
static int resolve(struct bench *b, const struct bench_options *o)
{
    unsigned short ports[BENCH_PORTS_MAX];
    int n = ports_parse(o->port, ports, BENCH_PORTS_MAX);
    for (int i = 0; i < n; i++) {
        char port[8];
        snprintf(port, sizeof port, "%u", ports[i]);
        struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
        int err = getaddrinfo(o->host, port, &hints, &ai);
        if (err != 0) {
            fprintf(stderr, "sockchat-bench: %s:%s: %s\n", o->host, port, gai_strerror(err));
            return -1;
        }
        memcpy(&b->addr[i], ai->ai_addr, ai->ai_addrlen);
        b->addrlen[i] = ai->ai_addrlen;
        freeaddrinfo(ai);
    }
    b->naddr = (size_t)n;
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_options o;
    if (parse_options(argc, argv, &o) < 0) {
        usage(stderr);
        return EX_USAGE;
    }
    /* fanout adds a sender; hold against ncat adds a broadcaster. */
    size_t n =
        o.conns + (o.work == WORK_FANOUT || (o.work == WORK_HOLD && o.dialect == BENCH_NCAT));
    if (o.work == WORK_PUSH)
        n = 1;
    if (o.work == WORK_FANOUT)
        n += (size_t)o.busy_rooms * o.busy_size;
    if (raise_nofile(n + 16) < 0)
        return EX_OSERR;

    struct bench b;
    if (bench_init(&b, &o, n) < 0)
        return EX_OSERR;
    if (resolve(&b, &o) < 0) {
        bench_free(&b);
        return EX_NOHOST;
    }
    if (btls_init(&b) < 0) {
        bench_free(&b);
        return EX_SOFTWARE;
    }

    int rc;
    switch (o.work) {
    case WORK_RR:
        rc = work_rr(&b);
        break;
    case WORK_FANOUT:
        rc = work_fanout(&b);
        break;
    case WORK_HOLD:
        rc = work_hold(&b);
        break;
    case WORK_PUSH:
    default:
        rc = work_push(&b);
        break;
    }
    bench_free(&b);
    btls_free(&b);
    return rc;
}

/* sockchat-server: options, start-up, signals; then one driver per mode. */
#include "server.h"
#include "room.h"
#include "serve.h"
#include "adminsock.h"
#include "cluster.h"
#include "tls.h"
#include "tlscert.h"

#include "sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sockchat-server [OPTIONS]\n"
            "A chat server for the socket tutorial's clients, nc/telnet and sockchat.\n"
            "\n"
            "  --bind ADDR        address to listen on (default 0.0.0.0: all IPv4\n"
            "                     interfaces; --bind :: for IPv6 and IPv4)\n"
            "  --port N           TCP port (default %d; 0 picks a free one)\n"
            "  --mode MODE        threads: one thread per client (default)\n"
            "                     single:  one client at a time, as the tutorial's server.py\n"
            "                     pool:    a few epoll threads, for thousands of clients\n"
            "  --workers N        pool mode: number of threads (default: one per core\n"
            "                     but one, at least 1)\n"
            "  --max-clients N    connections at once; the next is refused (default %d)\n"
            "                     unless one has not joined the room in 10 s\n"
            "  --max-per-addr N   connections at once from one address (default %d;\n"
            "                     0 = no limit), IPv6 counted per /64; new ones from an\n"
            "                     address: N at once, then N a minute. A class on one\n"
            "                     machine (loopback) or behind one NAT is ONE address:\n"
            "                     raise it above the class size (e.g. --max-per-addr 200)\n"
            "  --name NAME        server name shown to clients (default sockchat): 1-63\n"
            "                     bytes of printable UTF-8, no blanks at either end\n"
            "  --history N        chat messages sent to newcomers (default %d, max %d);\n"
            "                     at most the newest %d KiB of them, and a note of how\n"
            "                     many older ones are not shown\n"
            "  --rate MSGS_PER_S  per-client message rate, burst %d (default %d; 0 = off);\n"
            "                     /ping is never limited; a reconnect starts with what its\n"
            "                     address's last connections left\n"
            "  --quiet            do not log every message (connections are still logged)\n",
            PROTO_PORT, MAX_CLIENTS_DEFAULT, MAX_PER_ADDR_DEFAULT, HISTORY_DEFAULT, HISTORY_MAX,
            HISTORY_BYTES >> 10, RATE_BURST, RATE_DEFAULT);
    /* In parts: one string literal of all of it is over what C99 promises. */
    fprintf(out,
            "  --trace            log, per connection, who accepts it, each read (bytes,\n"
            "                     where its lines end), each write (partial or not, the\n"
            "                     queue left), who writes, the close; single mode: the\n"
            "                     listen backlog. At most 10 lines a second per\n"
            "                     connection, then a summary. For teaching; also the\n"
            "                     `trace on|off|NICK` command (console, admin socket)\n"
            "  --password PASS    clients must give it (default: none; the environment\n"
            "                     variable SOCKCHAT_PASSWORD keeps it out of ps). sockchat\n"
            "                     sends it in its hello; nc/telnet users type /auth PASS\n"
            "                     first (so can the tutorial's client, as a message);\n"
            "                     before it only /auth, /quit and exit are taken, and\n"
            "                     after %d other messages the connection is closed.\n"
            "                     A wrong one: an error, and the connection closes after\n"
            "                     1 s, doubling per failure from that address (max 32 s),\n"
            "                     which waits that long; server-wide, %d wrong ones at\n"
            "                     once, then %d a second: other attempts wait their turn\n"
            "  --allow CIDR       only these addresses may connect (repeatable, e.g.\n"
            "                     --allow 10.0.0.0/8 --allow ::1); default: everyone\n"
            "  --transcript FILE  append every chat message to FILE, one framed CHAT line\n"
            "                     each, before acknowledging it; load the last --history\n"
            "                     of them at start (default: none). Each is written before\n"
            "                     its ACK, so it survives a crash of the server; fdatasync\n"
            "                     at most every %d ms, so a power cut may lose that much.\n"
            "                     A failed write is cut back out of FILE and the message\n"
            "                     refused. FILE deleted or replaced while running is\n"
            "                     noticed at the next fdatasync (or at shutdown) and\n"
            "                     written again: the history, and what was acknowledged\n"
            "                     meanwhile; a warning is logged\n"
            "  --transcript-max SIZE  past SIZE bytes, FILE is renamed FILE.1 (replacing\n"
            "                     the one before) and a new FILE begun; loading reads\n"
            "                     both. SIZE as 64M, 1G, 512K or bytes; at least 512K,\n"
            "                     or 0: never (default 64M)\n"
            "  --admin PATH|none  the admin socket, for sockchat-admin and scripts (nc -U)\n"
            "                     (default $XDG_RUNTIME_DIR/sockchat/PORT.sock, else\n"
            "                     /tmp/sockchat-UID/PORT.sock; none: no socket). Only\n"
            "                     this user and root may attach; the log says how\n"
            "  --cluster redis://HOST:PORT[/PREFIX]  serve one chat with every server\n"
            "                     started with the same URL, through that Redis (default:\n"
            "                     none; also SOCKCHAT_CLUSTER; PREFIX: sockchat). Modes\n"
            "                     threads and pool. Chat is ACKed once Redis has it; while\n"
            "                     Redis is unreachable this server serves its own people\n"
            "                     alone and says so (docs/SCALING.md)\n"
            "  --node NAME        this server's name in the cluster (default HOST:PORT)\n",
            PREAUTH_REFUSALS_MAX, AUTH_JUDGE_BURST, AUTH_JUDGE_RATE, TRANSCRIPT_SYNC_MS);
    fprintf(out, "  --tls-cert FILE --tls-key FILE  TLS with this certificate (PEM, may hold its\n"
                 "                     chain) and key. Default: TLS on the same port with a\n"
                 "                     self-signed ECDSA P-256 certificate made on the first\n"
                 "                     start and kept (DIR/tls-cert.pem, DIR/tls-key.pem); the\n"
                 "                     log shows its SHA-256 fingerprint for students to check.\n"
                 "                     A connection whose first bytes are a TLS ClientHello is\n"
                 "                     TLS (1.2 or 1.3), any other clear text as before\n"
                 "  --tls-dir DIR      where that certificate is kept (default: $STATE_DIRECTORY,\n"
                 "                     the directory of --transcript, $XDG_STATE_HOME/sockchat,\n"
                 "                     ~/.local/state/sockchat; none writable: clear text only,\n"
                 "                     and the log says so)\n"
                 "  --tls-only         clear text is refused with one line saying how to connect\n"
                 "                     (sockchat --tls HOST PORT): what to use off a LAN\n"
                 "  --no-tls           no TLS at all: a ClientHello is bytes like any other\n"
                 "  --help             this text\n"
                 "  --version          print the version\n"
                 "\n");
    /* Two calls: one string literal of all of it is over what C99 promises. */
    fprintf(out,
            "Clients are told apart by their first bytes: sockchat's HELLO line; a line\n"
            "(nc, telnet: each line a message, \"Message received\" for each); or, with\n"
            "no newline, the tutorial's client.py (one reply per message, no newline).\n"
            "A connection joins the room (and gets the history) with its first message.\n"
            "\n"
            "The first line on stdout is \"listening on ADDR:PORT (mode M)\". The log\n"
            "(connects, disconnects with reason, nick changes, messages) goes to stderr,\n"
            "each line timed, unless stderr is the systemd journal (JOURNAL_STREAM).\n"
            "A client that falls %d MiB behind (unread output) for over %d s, or %d MiB\n"
            "at all, is disconnected as \"too slow\". Nothing more is read from a client\n"
            "while %d KiB of its output waits: a connection that never reads holds at\n"
            "most %d KiB of the server's memory and %d KiB of socket buffers. A /ping\n"
            "token is at most %d bytes. Joins and quits are\n"
            "announced while at most %d people are in a room (a room of thousands\n"
            "would otherwise spend O(N^2) lines on them); \"too slow\" and kicks always.\n"
            "Everyone starts in the room #main; /join #ROOM makes and enters others (at\n"
            "most 128, each with its own --history).\n"
            "When stdin is its terminal, type help for the operator console (who,\n"
            "stats, say, rooms, move, split, gather, topic, lock, unlock, kick, ban,\n"
            "unban, mute, unmute, bans, quit): kick and ban take a\n"
            "nick and hold that person (sockchat's session token, the nick), not the\n"
            "address, which a class on one machine shares. The console reads only while\n"
            "the server is in the foreground: started with &, the server leaves the\n"
            "terminal to the shell.\n"
            "SIGINT, SIGTERM and SIGHUP (its terminal was closed): new connections are\n"
            "refused, clients are told, queues get %d s to drain, exit status 0. To keep\n"
            "it running after logout: nohup (SIGHUP ignored at start stays ignored),\n"
            "setsid, a tmux or screen session, or the systemd unit sockchat-server.service\n"
            "(options in /etc/default/sockchat; man sockchat-server, SERVICE).\n",
            OUTQ_SOFT_BYTES >> 20, OUTQ_SOFT_MS / 1000, OUTQ_MAX_BYTES >> 20,
            OUTQ_PAUSE_BYTES >> 10, CONN_HOLD_KIB, CONN_SOCKBUF_KIB, PING_TOKEN_MAX,
            ANNOUNCE_MAX_USERS, SHUTDOWN_FLUSH_MS / 1000);
}

static bool parse_uint(const char *s, unsigned long max, unsigned *out)
{
    char *end;
    errno = 0;
    if (*s == '\0' || *s == '-')
        return false;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

/* A size: bytes, or with a K, M or G suffix (powers of 1024). */
static bool parse_size(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0)
        return false;
    unsigned shift = 0;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case '\0':
        break;
    default:
        return false;
    }
    if (shift > 0 && *++end != '\0')
        return false;
    if (v > (unsigned long long)(INT64_MAX >> shift))
        return false;
    *out = (int64_t)(v << shift);
    return true;
}

static void die_usage(const char *what, const char *arg, const char *want)
{
    fprintf(stderr, "sockchat-server: bad %s '%s': want %s (try --help)\n", what, arg, want);
    exit(EX_USAGE);
}

/* What the command line asked for, beyond struct config. */
struct server_args {
    struct config cfg;
    const char *transcript_path; /* NULL: none */
    int64_t transcript_max;
    const char *allow[64];
    unsigned nallow;
    const char *admin;                        /* --admin: a path, "none", or NULL for the default */
    const char *cluster;                      /* --cluster URL; NULL: none */
    const char *node;                         /* --node NAME; NULL: HOST:PORT */
    const char *tls_cert, *tls_key, *tls_dir; /* NULL: not given */
    bool no_tls;
};

/* --name: sent to every client in WELCOME and shown by them, so text that
 * sanitize_text() would change (a control character, an escape sequence,
 * invalid UTF-8, a tab) is refused, not sent raw, and so are blanks at
 * either end. The error shows it safely. */
static void args_name(struct config *cfg, const char *arg)
{
    size_t len = strlen(arg);
    char shown[SANITIZE_CAP(NAME_MAX_BYTES)];
    sanitize_text(shown, sizeof shown, arg, len < NAME_MAX_BYTES ? len : NAME_MAX_BYTES);
    if (len == 0 || len >= sizeof cfg->name || strcmp(shown, arg) != 0 || arg[0] == ' ' ||
        arg[len - 1] == ' ')
        die_usage("--name", shown,
                  "1-63 bytes of printable UTF-8, no control characters, tabs or "
                  "blanks at either end");
    snprintf(cfg->name, sizeof cfg->name, "%s", arg);
}

static enum mode args_mode(const char *arg)
{
    if (strcmp(arg, "threads") == 0)
        return MODE_THREADS;
    if (strcmp(arg, "single") == 0)
        return MODE_SINGLE;
    if (strcmp(arg, "pool") == 0)
        return MODE_POOL;
    die_usage("mode", arg, "threads, single or pool");
    return MODE_THREADS; /* not reached */
}

/* One option of a server's own (not --help or --version). One case per
 * option: clearer whole than split. */
static void args_option(struct server_args *a, int ch, const char *arg)
{
    struct config *cfg = &a->cfg;
    unsigned port;
    switch (ch) {
    case 'b':
        cfg->bind = arg;
        break;
    case 'p':
        if (!parse_uint(arg, 65535, &port))
            die_usage("port", arg, "0-65535");
        cfg->port = arg;
        break;
    case 'm':
        cfg->mode = args_mode(arg);
        break;
    case 'w':
        if (!parse_uint(arg, 64, &cfg->workers) || cfg->workers == 0)
            die_usage("--workers", arg, "1-64");
        break;
    case 'c':
        if (!parse_uint(arg, 1000000, &cfg->max_clients) || cfg->max_clients == 0)
            die_usage("--max-clients", arg, "1-1000000");
        break;
    case 'M':
        if (!parse_uint(arg, 1000000, &cfg->max_per_addr))
            die_usage("--max-per-addr", arg, "0 (no limit) to 1000000");
        break;
    case 'n':
        args_name(cfg, arg);
        break;
    case 'H':
        if (!parse_uint(arg, HISTORY_MAX, &cfg->history))
            die_usage("--history", arg, "0-10000");
        break;
    case 'r':
        if (!parse_uint(arg, 1000000, &cfg->rate))
            die_usage("--rate", arg, "0 (off) or messages per second");
        break;
    case 'q':
        cfg->quiet = true;
        break;
    case 't':
        cfg->trace = true;
        break;
    case 'P':
        if (arg[0] == '\0' || strpbrk(arg, " \t\r\n") != NULL)
            die_usage("--password", "...", "a non-empty word without blanks");
        cfg->password = arg;
        break;
    case 'A': {
        struct cidr c;
        if (cidr_parse(arg, &c) < 0)
            die_usage("--allow", arg, "an address or CIDR, e.g. 10.0.0.0/8");
        if (a->nallow == sizeof a->allow / sizeof a->allow[0])
            die_usage("--allow", arg, "at most 64 of them");
        a->allow[a->nallow++] = arg;
        break;
    }
    case 'T':
        a->transcript_path = arg;
        break;
    case 'a':
        if (arg[0] == '\0')
            die_usage("--admin", arg, "a path for the admin socket, or none");
        a->admin = arg;
        break;
    case 'C':
        a->cluster = arg;
        break;
    case 'N':
        a->node = arg;
        break;
    case 'e':
        a->tls_cert = arg;
        break;
    case 'k':
        a->tls_key = arg;
        break;
    case 'D':
        a->tls_dir = arg;
        break;
    case 'O':
        a->cfg.tls_only = true;
        break;
    case 'L':
        a->no_tls = true;
        break;
    case 'X':
        if (!parse_size(arg, &a->transcript_max) ||
            (a->transcript_max != 0 && a->transcript_max < TRANSCRIPT_MAX_MIN))
            die_usage("--transcript-max", arg,
                      "a size of at least 512K (e.g. 64M, 1G, 524288), or 0 for never");
        break;
    default:
        usage(stderr);
        exit(EX_USAGE);
    }
}

/* The TLS options agree with each other. */
static void args_tls(const struct server_args *a)
{
    if ((a->tls_cert == NULL) != (a->tls_key == NULL))
        die_usage(a->tls_cert != NULL ? "--tls-cert" : "--tls-key",
                  a->tls_cert != NULL ? a->tls_cert : a->tls_key, "--tls-cert and --tls-key both");
    if (a->tls_cert != NULL && a->tls_dir != NULL)
        die_usage("--tls-dir", a->tls_dir, "either it or --tls-cert/--tls-key");
    if (a->no_tls && (a->tls_cert != NULL || a->tls_dir != NULL || a->cfg.tls_only))
        die_usage("--no-tls", "", "no other --tls option with it");
}

/* Reads the command line into a (exits on --help, --version or an error). */
static void args_parse(int argc, char **argv, struct server_args *a)
{
    static const struct option opts[] = {
        {"bind", required_argument, NULL, 'b'},
        {"port", required_argument, NULL, 'p'},
        {"mode", required_argument, NULL, 'm'},
        {"workers", required_argument, NULL, 'w'},
        {"max-clients", required_argument, NULL, 'c'},
        {"max-per-addr", required_argument, NULL, 'M'},
        {"name", required_argument, NULL, 'n'},
        {"history", required_argument, NULL, 'H'},
        {"rate", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"trace", no_argument, NULL, 't'},
        {"password", required_argument, NULL, 'P'},
        {"allow", required_argument, NULL, 'A'},
        {"transcript", required_argument, NULL, 'T'},
        {"admin", required_argument, NULL, 'a'},
        {"transcript-max", required_argument, NULL, 'X'},
        {"cluster", required_argument, NULL, 'C'},
        {"node", required_argument, NULL, 'N'},
        {"tls-cert", required_argument, NULL, 'e'},
        {"tls-key", required_argument, NULL, 'k'},
        {"tls-dir", required_argument, NULL, 'D'},
        {"tls-only", no_argument, NULL, 'O'},
        {"no-tls", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "b:p:m:w:c:n:H:r:qhVP:A:T:", opts, NULL)) != -1) {
        if (ch == 'h') {
            usage(stdout);
            exit(0);
        }
        if (ch == 'V') {
            printf("sockchat-server %s (protocol %s)\n", SOCKCHAT_VERSION, PROTO_HELLO_TAG);
            exit(0);
        }
        args_option(a, ch, optarg);
    }
    if (optind < argc)
        die_usage("argument", argv[optind], "options only");
    if (a->cluster == NULL) {
        const char *env = getenv("SOCKCHAT_CLUSTER");
        if (env != NULL && env[0] != '\0')
            a->cluster = env;
    }
    if (a->cluster != NULL) {
        struct cluster_url u;
        char err[256];
        if (cluster_url_parse(a->cluster, &u, err, sizeof err) < 0) {
            fprintf(stderr, "sockchat-server: bad --cluster %s (try --help)\n", err);
            exit(EX_USAGE);
        }
    }
    if (a->node != NULL && !cluster_node_valid(a->node))
        die_usage("--node", a->node, "1-47 of A-Z a-z 0-9 . _ : -");
    if (a->cluster != NULL && a->cfg.mode == MODE_SINGLE)
        die_usage("--mode", "single", "threads or pool with --cluster (single serves one person)");
    if (a->node != NULL && a->cluster == NULL)
        die_usage("--node", a->node, "--cluster URL too");
    args_tls(a);
    if (a->cfg.password == NULL) {
        const char *env = getenv("SOCKCHAT_PASSWORD");
        if (env != NULL && env[0] != '\0') {
            if (strpbrk(env, " \t\r\n") != NULL)
                die_usage("SOCKCHAT_PASSWORD", "...", "a word without blanks");
            a->cfg.password = env;
        }
    }
}

/* SIGINT, SIGTERM and SIGHUP are blocked (every thread inherits that) and
 * read from a signalfd that the drivers poll next to the listening socket:
 * no asynchronous handler at all, so nothing to get wrong in one, and
 * nothing for ThreadSanitizer's deferred delivery to lose (it did, about
 * once in a hundred starts, leaving the server deaf to SIGTERM). SIGHUP
 * (the terminal or ssh session that started us was closed) is a clean stop
 * like SIGTERM, unless it was ignored when we started: that is how nohup(1)
 * asks a program to outlive its terminal, and a blocked signal is queued
 * even when ignored, so it must stay out of the set. The signalfd, or -1. */
static int signals_open(bool *hup_ignored)
{
    struct sigaction hup;
    *hup_ignored = sigaction(SIGHUP, NULL, &hup) == 0 && hup.sa_handler == SIG_IGN;
    sigset_t stopset;
    sigemptyset(&stopset);
    sigaddset(&stopset, SIGINT);
    sigaddset(&stopset, SIGTERM);
    if (!*hup_ignored)
        sigaddset(&stopset, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &stopset, NULL) != 0)
        return -1;
    return signalfd(-1, &stopset, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* The transcript (if any) loaded and opened, and the log started: 0, or
 * the exit status after saying what failed (srv is freed then). */
static int server_start(struct server *srv, const struct server_args *a, struct transcript *tr,
                        unsigned *loaded)
{
    char err[256];
    for (unsigned i = 0; i < a->nallow; i++)
        access_allow(&srv->acc, a->allow[i]);
    if (a->transcript_path != NULL) {
        /* Every room's history and topic, made as their records are read. */
        struct transcript_rooms rooms;
        transcript_rooms_server(&rooms, srv);
        if (transcript_open(tr, a->transcript_path, a->transcript_max, &rooms, loaded, err,
                            sizeof err) < 0) {
            fprintf(stderr, "sockchat-server: %s\n", err);
            server_free(srv);
            return EX_CANTCREAT;
        }
        /* Set before the first append, so before the syncer can call it. */
        tr->on_lost = room_transcript_repair;
        tr->on_lost_arg = srv;
        srv->transcript = tr;
    }
    srv->log = logger_start(STDERR_FILENO, getenv("JOURNAL_STREAM"));
    if (srv->log == NULL) {
        fprintf(stderr, "sockchat-server: log writer thread: %s\n", strerror(errno));
        if (srv->transcript != NULL)
            transcript_close(srv->transcript);
        server_free(srv);
        return EX_OSERR;
    }
    return 0;
}

/* The exit status for a TLS identity that failed as err says. */
static int tls_status(const char *err)
{
    if (strncmp(err, "tls-dir", 7) == 0)
        return EX_CANTCREAT; /* the identity could not be made or kept there */
    if (strstr(err, strerror(ENOENT)) != NULL || strstr(err, strerror(EACCES)) != NULL)
        return EX_NOINPUT; /* a given file cannot be read */
    return EX_CONFIG;      /* read, but not a certificate, a key, or a pair */
}

/* TLS on (srv->tls) unless --no-tls. The identity is given, or made once
 * and kept. When none can be kept and no TLS option asked for one, the
 * server serves clear text and says so in note (for the log); with one
 * given, a failure is the exit status (sysexits.h), after saying why. */
static int server_tls(struct server *srv, const struct server_args *a, char *note, size_t ncap)
{
    note[0] = '\0';
    if (a->no_tls)
        return 0;
    bool asked = a->tls_cert != NULL || a->tls_dir != NULL || a->cfg.tls_only;
    char dir[PATH_MAX] = "", err[PATH_MAX + 256];
    struct tls_identity id;
    int rc = 0;
    if (a->tls_cert == NULL)
        rc = tlscert_dir(a->tls_dir, a->transcript_path, dir, sizeof dir, err, sizeof err);
    if (rc == 0)
        rc = tlscert_setup(a->tls_cert, a->tls_key, a->tls_cert == NULL ? dir : NULL, &id, err,
                           sizeof err);
    if (rc == 0) {
        srv->tls = tls_server_new(&id, err, sizeof err);
        if (srv->tls != NULL)
            return 0;
    }
    if (asked) {
        fprintf(stderr, "sockchat-server: %s\n", err);
        return tls_status(err);
    }
    /* "tls-dir DIR: why" says DIR once already. */
    char prefix[PATH_MAX + 16];
    snprintf(prefix, sizeof prefix, "tls-dir %s: ", dir);
    const char *why = strncmp(err, prefix, strlen(prefix)) == 0 ? err + strlen(prefix) : err;
    snprintf(note, ncap, "tls: off: cannot keep a key in %s: %s (give --tls-dir, or --no-tls)",
             dir[0] != '\0' ? dir : "any directory", why);
    return 0;
}

/* The admin socket (--admin), and the log's word on how to attach to it:
 * the shortest command that finds it. */
static void server_admin(struct server *srv, const struct server_args *a, const char *bound)
{
    if (a->admin != NULL && strcmp(a->admin, "none") == 0)
        return;
    const char *colon = strrchr(bound, ':');
    unsigned port = colon != NULL ? (unsigned)strtoul(colon + 1, NULL, 10) : 0;
    char def[PATH_MAX];
    bool have_def = adminpath_default(def, sizeof def, port) == 0;
    if (a->admin == NULL && !have_def) {
        log_event(srv, AEV_ERROR, NULL, "no admin socket: $XDG_RUNTIME_DIR is too long a path");
        return;
    }
    const char *path = a->admin != NULL ? a->admin : def;
    if (adminsock_start(srv, path) == NULL)
        return;
    if (have_def && strcmp(path, def) == 0)
        log_event(srv, AEV_INFO, NULL, "admin: sockchat-admin %u attaches (socket %s)", port, path);
    else
        log_event(srv, AEV_INFO, NULL, "admin: sockchat-admin --socket %s attaches", path);
}

/* The first lines: stdout's "listening on" (what scripts wait for), then
 * the log's account of how it was started; the console starts between. */
static void server_announce(struct server *srv, struct console *con, const struct server_args *a,
                            const char *bound, unsigned loaded, bool hup_ignored,
                            const char *tls_note)
{
    printf("listening on %s (mode %s)\n", bound, mode_name(a->cfg.mode));
    fflush(stdout);
    log_event(srv, AEV_INFO, NULL, "sockchat-server %s listening on %s (mode %s)", SOCKCHAT_VERSION,
              bound, mode_name(a->cfg.mode));
    console_start(srv, con);
    if (hup_ignored)
        log_event(srv, AEV_INFO, NULL,
                  "SIGHUP is ignored (nohup): closing the terminal does not stop it");
    /* Kept for the admins' STATS, as said here. */
    snprintf(srv->listen, sizeof srv->listen, "%.*s", (int)sizeof srv->listen - 1, bound);
    net_reach(bound, srv->reach, sizeof srv->reach);
    if (srv->reach[0] != '\0')
        log_event(srv, AEV_INFO, NULL, "others connect to %s", srv->reach);
    if (srv->tls != NULL) {
        char line[PATH_MAX + 256];
        tls_server_describe(srv->tls, a->cfg.tls_only, line, sizeof line);
        log_event(srv, AEV_INFO, NULL, "%s", line);
        /* The command for the board, next to the fingerprint it asks about. */
        if (srv->reach[0] != '\0')
            log_event(srv, AEV_INFO, NULL, "%s: sockchat --tls %.*s",
                      a->cfg.tls_only ? "clear text is refused; connect with"
                                      : "encrypted, with the fingerprint above",
                      (int)strcspn(srv->reach, " ,"), srv->reach);
    } else {
        log_event(srv, tls_note[0] != '\0' ? AEV_ERROR : AEV_INFO, NULL, "%s",
                  tls_note[0] != '\0' ? tls_note : "tls: off (--no-tls)");
    }
    if (a->transcript_path != NULL)
        log_event(srv, AEV_INFO, NULL, "transcript %s: %u messages loaded into history",
                  a->transcript_path, loaded);
    if (a->cfg.password != NULL)
        log_event(srv, AEV_INFO, NULL, "a password is required");
    server_admin(srv, a, bound);
}

static int server_run(struct server *srv, struct run_ctx *rc)
{
    /* Each returns rc->status: 0, or the sysexits.h code of a failure. */
    switch (srv->cfg.mode) {
    case MODE_SINGLE:
        return mode_single_run(srv, rc);
    case MODE_POOL:
        return mode_pool_run(srv, rc);
    case MODE_THREADS:
    default:
        return mode_threads_run(srv, rc);
    }
}

int main(int argc, char **argv)
{
    struct server_args a = {.transcript_max = TRANSCRIPT_MAX_DEFAULT};
    config_defaults(&a.cfg);
    args_parse(argc, argv, &a);

    /* A peer that vanishes mid-write must cost an EPIPE, not the process. */
    signal(SIGPIPE, SIG_IGN);
    net_raise_nofile();

    char bound[128], err[256];
    bool bad_addr;
    int lfd = net_listen(a.cfg.bind, a.cfg.port, bound, sizeof bound, err, sizeof err, &bad_addr);
    if (lfd < 0) {
        fprintf(stderr, "sockchat-server: %s\n", err);
        return bad_addr ? EX_USAGE : EX_UNAVAILABLE;
    }
    bool hup_ignored;
    int sigfd = signals_open(&hup_ignored);
    if (sigfd < 0) {
        fprintf(stderr, "sockchat-server: signalfd: %s\n", strerror(errno));
        close(lfd);
        return EX_OSERR;
    }
    /* A background job that touches its terminal gets SIGTTIN (a read) or,
     * with `stty tostop`, SIGTTOU (a write, our log), and is stopped: the
     * whole chat would freeze. Ignored, a read fails with EIO instead (the
     * console then waits for `fg`) and the log is written. */
    signal(SIGTTIN, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);

    /* A file size limit (ulimit -f) must cost a refused message, which
     * the transcript repairs, or a TLS key not kept (EFBIG, said), not the
     * process. */
    signal(SIGXFSZ, SIG_IGN);

    struct server srv;
    server_init(&srv, &a.cfg);
    char tls_note[PATH_MAX + 512];
    int tls_rc = server_tls(&srv, &a, tls_note, sizeof tls_note);
    if (tls_rc != 0) {
        server_free(&srv);
        close(sigfd);
        close(lfd);
        return tls_rc;
    }
    /* Line-buffered: one write per error line (the log has its own writer). */
    setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
    struct transcript tr;
    unsigned loaded = 0;
    int status = server_start(&srv, &a, &tr, &loaded);
    if (status != 0)
        return status;
    struct console con;
    console_init(&con);
    server_announce(&srv, &con, &a, bound, loaded, hup_ignored, tls_note);

    struct run_ctx rc = {.lfd = lfd, .sigfd = sigfd, .con = &con, .wakefd = -1};
    /* After the admin socket (its threads log, and logging reads
     * srv->admin) and before the first accept: connections wait in the
     * backlog while the cluster's history loads. The URL and the name
     * were checked with the options. */
    if (a.cluster != NULL && cluster_start(&srv, a.cluster, a.node, bound, err, sizeof err) < 0) {
        log_event(&srv, AEV_ERROR, NULL, "%s", err);
        status = EX_OSERR;
    } else {
        status = server_run(&srv, &rc);
    }
    /* Every client is gone. The transcript's syncer first: its last check
     * may repair and log, and logging reads srv.admin, which
     * adminsock_stop clears (TSan saw the two race). The admins hear that
     * too, then BYE. */
    cluster_stop(&srv); /* its tailer delivers and logs: before what they use goes */
    if (srv.transcript != NULL)
        transcript_close(srv.transcript);
    adminsock_stop(srv.admin);
    close(lfd);
    log_event(&srv, AEV_INFO, NULL, "stopped%s",
              rc.signo == SIGINT    ? " (SIGINT)"
              : rc.signo == SIGTERM ? " (SIGTERM)"
              : rc.signo == SIGHUP  ? " (SIGHUP)"
                                    : "");
    logger_stop(srv.log);
    srv.log = NULL; /* anything logged from here on is dropped, not a use after free */
    console_free(&con);
    server_free(&srv);
    close(sigfd);
    return status;
}

/* main: sockchat's command line, then the curses client or the line client.
 *
 *   sockchat [HOST[,HOST...] [PORT]] [--nick NAME] [--password-file FILE] [--plain]
 *            [--mouse] [--no-color] [--bell mention|all|off] [--wire]
 *            [--chunk N[:MS]] [--nodelay on|off] [--restricted [--keys FILE]] [--help] [--version]
 *            [--tls | --no-tls] [--tls-ca FILE] [--tls-accept-new]
 *   sockchat --forget HOST:PORT
 *
 * SOCKCHAT_HOST, SOCKCHAT_PORT and SOCKCHAT_NICK give defaults; otherwise
 * 127.0.0.1, 5000 and $USER. The password for a server started with
 * --password comes from SOCKCHAT_PASSWORD or the first line of a file, never
 * from the command line, where every user of the machine could read it in
 * ps. */
#undef _XOPEN_SOURCE /* ncursesw.pc may set 600 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sysexits.h>
#include <unistd.h>

#include "addrlist.h"
#include "chat.h"
#include "hostport.h"
#include "loop.h"
#include "plain.h"
#include "restrict.h"
#include "secret.h"
#include "text.h"
#include "trust.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sockchat [HOST[,HOST...] [PORT]] [--nick NAME] [--password-file FILE]\n"
            "                [--plain] [--mouse] [--no-color] [--bell mention|all|off] [--wire]\n"
            "                [--chunk N[:MS]] [--nodelay on|off]\n"
            "                [--restricted [--keys FILE]] [--help] [--version]\n"
            "                [--tls | --no-tls] [--tls-ca FILE] [--tls-accept-new]\n"
            "       sockchat --forget HOST:PORT\n"
            "\n"
            "A terminal chat client for sockchat-server (and the tutorial's Python servers).\n"
            "  HOST          server name, IPv4 or IPv6 address (default $SOCKCHAT_HOST or "
            "127.0.0.1)\n"
            "  PORT          server port (default $SOCKCHAT_PORT or 5000); HOST:PORT and\n"
            "                [IPV6]:PORT work too\n"
            "  HOST1:PORT1,HOST2:PORT2,...\n"
            "                several servers (the nodes of a cluster, up to 16; PORT for\n"
            "                those without one): tried in turn, and when the one connected\n"
            "                to goes away, the next at once; pending messages follow.\n"
            "                So are all the addresses of a name (IPv6 and IPv4)\n"
            "  tls://HOST:PORT\n"
            "                that server over TLS (in a list too: tls://h1:5000,h2:5001)\n"
            "  --tls         every server over TLS (so does SOCKCHAT_TLS=1). The first\n"
            "                time, the client shows the server's certificate fingerprint\n"
            "                (SHA-256) and asks whether to trust it: compare it with the\n"
            "                one the server's log prints. Yes stores it in\n"
            "                $XDG_DATA_HOME/sockchat/known_servers (default\n"
            "                ~/.local/share/sockchat); a later certificate that differs is\n"
            "                refused. A server stored there is always reached over TLS\n"
            "  --tls-ca FILE verify the server's certificate against the CA(s) in FILE\n"
            "                (PEM) and its host name, instead of asking (implies --tls)\n"
            "  --tls-accept-new\n"
            "                trust a first-seen certificate without asking (scripts;\n"
            "                without a terminal a new one is refused otherwise)\n"
            "  --no-tls      clear text, even to a server known to speak TLS; the\n"
            "                password is then never sent to it\n"
            "  --forget HOST:PORT\n"
            "                remove HOST:PORT from known_servers (after its certificate\n"
            "                changed on purpose) and exit\n"
            "  --nick NAME   nickname (default $SOCKCHAT_NICK or $USER)\n");
    fprintf(f, "  --password-file FILE\n"
               "                the password of a server started with --password: the first\n"
               "                line of FILE (default $SOCKCHAT_PASSWORD), sent only to the\n"
               "                HOST and PORT given here, never after /connect elsewhere.\n"
               "                There is no --password: other users could read it in ps.\n"
               "                A server that wants one the client does not have (or\n"
               "                refuses it) gets a prompt, echo off; --plain asks only on\n"
               "                a terminal, and only when it was given none.\n"
               "  --plain       line mode like the tutorial's client (automatic without a "
               "terminal);\n"
               "                with a password it sends /auth PASSWORD first\n"
               "  --mouse       the mouse wheel scrolls the log; the terminal then no longer\n"
               "                selects text on a plain drag (Shift-drag does in most)\n"
               "  --no-color    no colours (so does a non-empty NO_COLOR)\n"
               "  --bell mention|all|off\n"
               "                ring the terminal bell for a line naming you or a private\n"
               "                message to you (mention, the default), for every line from\n"
               "                others (all), or never (off); never for replayed history\n"
               "                (the curses client; --plain rings nothing)\n"
               "  --wire        open the wire view at the start (F2 or /wire toggle it):\n"
               "                every read() and write() on the connection, one row each;\n"
               "                with --plain, the same rows as lines on stderr. Over TLS\n"
               "                the rows are the chat's bytes before encryption\n"
               "Demo knobs, for teaching that TCP is a byte stream (not for everyday use):\n"
               "  --chunk N[:MS]\n"
               "                split every write into pieces of N bytes (1-65536), sent\n"
               "                MS ms apart (0-10000, default 0), so the server reads a\n"
               "                message in parts (the greeting goes whole); the screen\n"
               "                stays responsive meanwhile\n"
               "  --nodelay on|off\n"
               "                TCP_NODELAY: on sends each write at once, off lets Nagle's\n"
               "                algorithm coalesce small writes (default: off, the kernel's)\n"
               "  --restricted  the login of a chat-only ssh account (scripts/ssh-account):\n"
               "                no /connect elsewhere, no Ctrl-Z suspend, SOCKCHAT_HOST,\n"
               "                _PORT, _NICK and _PASSWORD ignored, a command given to ssh\n"
               "                (SSH_ORIGINAL_COMMAND) refused; the nick is the comment of\n"
               "                the key that logged in, looked up in --keys FILE (sshd's\n"
               "                ExposeAuthInfo names the key), else asked for\n"
               "  --keys FILE   the account's authorized_keys, for --restricted's nick\n"
               "  --help        this text\n"
               "  --version     the version\n"
               "In the client: /help lists the keys; /quit or exit leaves.\n"
               "Exit status: 0 after /quit or exit, 77 when --plain's password is refused\n"
               "(a typed one three times) or none was typed at its prompt, 75 when it was\n"
               "not judged (someone at this address just guessed wrong: try again), 69\n"
               "when the server closed the connection before --plain was done (full,\n"
               "banned, gone), 76 when a TLS server is not trusted (a changed certificate,\n"
               "a new one without a terminal to ask, a downgrade), 1 after \"no\" to a new\n"
               "certificate, other sysexits.h codes (64-78) on errors.\n");
}

/* The locale from the environment. When none is set at all (LC_ALL,
 * LC_CTYPE and LANG unset or empty: common over ssh and after su -), the C
 * locale would make the client draw every é and 中 as '?', although the
 * terminal very likely speaks UTF-8: C.UTF-8 is tried for the character
 * type first. A system without it keeps the C locale (and ASCII). */
static void locale_init(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    setlocale(LC_ALL, "");
    for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
        const char *v = getenv(vars[i]);
        if (v && v[0])
            return; /* the user's choice, even "C" */
    }
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "");
}

/* The variable, unless ignored: --restricted ignores the SOCKCHAT_ ones,
 * the session being the teacher's command line, whatever an ssh client
 * manages to pass. */
static const char *env_unless(bool ignored, const char *name)
{
    return ignored ? NULL : getenv(name);
}

static const char *env_or(bool ignored, const char *name, const char *fallback)
{
    const char *v = env_unless(ignored, name);
    return v && v[0] ? v : fallback;
}

/* The password from the first line of path (its LF or CRLF removed).
 * Returns 0, or a sysexits code after saying what failed. */
static int password_read(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "sockchat: password file %s: %s\n", path, strerror(errno));
        return EX_NOINPUT;
    }
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n = getline(&line, &lcap, f);
    int err = n < 0 && ferror(f) ? errno : 0;
    fclose(f);
    int rc = EX_OK;
    if (n > 0 && line[n - 1] == '\n')
        line[--n] = '\0';
    if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
    if (err) {
        fprintf(stderr, "sockchat: password file %s: %s\n", path, strerror(err));
        rc = EX_NOINPUT;
    } else if (n <= 0) {
        fprintf(stderr, "sockchat: password file %s: the first line is empty\n", path);
        rc = EX_DATAERR;
    } else if ((size_t)n >= cap || memchr(line, '\0', (size_t)n)) {
        fprintf(stderr, "sockchat: password file %s: want one line of at most %zu bytes\n", path,
                cap - 1);
        rc = EX_DATAERR;
    } else {
        memcpy(buf, line, (size_t)n + 1);
    }
    if (line)
        secret_wipe(line, lcap); /* no copy of the secret left in freed memory */
    free(line);
    return rc;
}

/* A whole decimal number in [lo, hi] at s (up to end, or its NUL). */
static bool number_in(const char *s, const char *end, unsigned long lo, unsigned long hi,
                      unsigned *out)
{
    if (end == NULL)
        end = s + strlen(s);
    if (s == end || end - s > 9)
        return false;
    unsigned long v = 0;
    for (const char *c = s; c < end; c++) {
        if (*c < '0' || *c > '9')
            return false;
        v = v * 10 + (unsigned long)(*c - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = (unsigned)v;
    return true;
}

/* --chunk N[:MS]. Returns false after saying what is wrong. */
static bool chunk_parse(const char *v, struct client_opts *opt)
{
    const char *colon = strchr(v, ':');
    opt->chunk_ms = 0;
    if (!number_in(v, colon, 1, 65536, &opt->chunk) ||
        (colon && !number_in(colon + 1, NULL, 0, 10000, &opt->chunk_ms))) {
        fprintf(stderr, "sockchat: bad --chunk %s: want N[:MS], N bytes 1-65536, MS 0-10000\n", v);
        return false;
    }
    return true;
}

static bool nodelay_parse(const char *v, struct client_opts *opt)
{
    if (strcmp(v, "on") == 0) {
        opt->nodelay = 1;
    } else if (strcmp(v, "off") == 0) {
        opt->nodelay = 0;
    } else {
        fprintf(stderr, "sockchat: bad --nodelay %s: want on or off\n", v);
        return false;
    }
    return true;
}

static bool port_ok(const char *p)
{
    char *end;
    long v = strtol(p, &end, 10);
    return p[0] && *end == '\0' && v > 0 && v < 65536;
}

/* What the command line says, and the buffers the options point into. */
struct args {
    struct client_opts opt;
    const char *password_file;
    const char *keys_file; /* --keys */
    bool plain, no_color;
    const char *pos[2]; /* HOST, PORT */
    int npos;
    char host[ADDRLIST_HOST_MAX], port[8];
    struct addrlist addrs; /* HOST1:PORT1,HOST2:PORT2 checked */
    char password[CHAT_PASSWORD_MAX + 1];
    char nick[NICK_MAX + 1]; /* --restricted's, from the key or the prompt */
    const char *forget;      /* --forget HOST:PORT */
};

/* Takes the value of the option at argv[*i]; NULL after saying so (the
 * complaint) when there is none. */
static const char *option_value(int argc, char **argv, int *i, const char *complaint)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "sockchat: %s\n", complaint);
        usage(stderr);
        return NULL;
    }
    return argv[++*i];
}

/* Reads the command line into g. Returns -1 to go on, or the exit code
 * (after --help, --version, or saying what is wrong). */
static int parse_args(int argc, char **argv, struct args *g)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return EX_OK;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("sockchat %s\n", SOCKCHAT_VERSION);
            return EX_OK;
        } else if (strcmp(a, "--plain") == 0) {
            g->plain = true;
        } else if (strcmp(a, "--mouse") == 0) {
            g->opt.mouse = true;
        } else if (strcmp(a, "--wire") == 0) {
            g->opt.wire = true;
        } else if (strcmp(a, "--chunk") == 0 || strncmp(a, "--chunk=", 8) == 0) {
            const char *v =
                a[7] == '=' ? a + 8 : option_value(argc, argv, &i, "--chunk needs N[:MS]");
            if (v == NULL || !chunk_parse(v, &g->opt))
                return EX_USAGE;
        } else if (strcmp(a, "--nodelay") == 0 || strncmp(a, "--nodelay=", 10) == 0) {
            const char *v =
                a[9] == '=' ? a + 10 : option_value(argc, argv, &i, "--nodelay needs on or off");
            if (v == NULL || !nodelay_parse(v, &g->opt))
                return EX_USAGE;
        } else if (strcmp(a, "--bell") == 0 || strncmp(a, "--bell=", 7) == 0) {
            const char *v =
                a[6] == '=' ? a + 7 : option_value(argc, argv, &i, "--bell needs mention|all|off");
            if (v == NULL)
                return EX_USAGE;
            if (bell_mode_parse(v, &g->opt.bell) < 0) {
                fprintf(stderr, "sockchat: --bell %s: not one of mention, all, off\n", v);
                return EX_USAGE;
            }
        } else if (strcmp(a, "--tls") == 0) {
            g->opt.tls = true;
        } else if (strcmp(a, "--no-tls") == 0) {
            g->opt.no_tls = true;
        } else if (strcmp(a, "--tls-accept-new") == 0) {
            g->opt.tls_accept_new = true;
        } else if (strcmp(a, "--tls-ca") == 0 || strncmp(a, "--tls-ca=", 9) == 0) {
            g->opt.tls_ca =
                a[8] == '=' ? a + 9 : option_value(argc, argv, &i, "--tls-ca needs a FILE");
            if (g->opt.tls_ca == NULL)
                return EX_USAGE;
        } else if (strcmp(a, "--forget") == 0) {
            if ((g->forget = option_value(argc, argv, &i, "--forget needs HOST:PORT")) == NULL)
                return EX_USAGE;
        } else if (strcmp(a, "--restricted") == 0) {
            g->opt.restricted = true;
        } else if (strcmp(a, "--keys") == 0) {
            if ((g->keys_file = option_value(argc, argv, &i, "--keys needs a FILE")) == NULL)
                return EX_USAGE;
        } else if (strcmp(a, "--no-color") == 0 || strcmp(a, "--no-colour") == 0) {
            g->no_color = true;
        } else if (strcmp(a, "--nick") == 0 || strcmp(a, "-n") == 0) {
            if ((g->opt.nick = option_value(argc, argv, &i, "--nick needs a NAME")) == NULL)
                return EX_USAGE;
            g->opt.nick_given = true;
        } else if (strncmp(a, "--nick=", 7) == 0) {
            g->opt.nick = a + 7;
            g->opt.nick_given = true;
        } else if (strcmp(a, "--password-file") == 0) {
            if ((g->password_file = option_value(argc, argv, &i, "--password-file needs a FILE")) ==
                NULL)
                return EX_USAGE;
        } else if (strncmp(a, "--password-file=", 16) == 0) {
            g->password_file = a + 16;
        } else if (strcmp(a, "--password") == 0 || strncmp(a, "--password=", 11) == 0) {
            fprintf(stderr, "sockchat: no --password: every user could read it in ps; use "
                            "SOCKCHAT_PASSWORD or --password-file FILE\n");
            return EX_USAGE;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "sockchat: unknown option %s\n", a);
            usage(stderr);
            return EX_USAGE;
        } else if (g->npos < 2) {
            g->pos[g->npos++] = a;
        } else {
            fprintf(stderr, "sockchat: too many arguments: %s\n", a);
            usage(stderr);
            return EX_USAGE;
        }
    }
    return -1;
}

/* The server: arguments, else the environment, else the default. Returns
 * EX_OK or EX_USAGE after saying what is wrong. */
static int pick_server(struct args *g)
{
    struct client_opts *opt = &g->opt;
    opt->host = g->pos[0] ? g->pos[0] : env_or(opt->restricted, "SOCKCHAT_HOST", "127.0.0.1");
    opt->port = g->pos[1] ? g->pos[1] : env_or(opt->restricted, "SOCKCHAT_PORT", "5000");
    /* Several servers, the nodes of a cluster: "HOST1:PORT1,HOST2:PORT2",
     * kept as given (the password and the rooms belong to the list), the
     * PORT for those without one. */
    if (strchr(opt->host, ',') != NULL) {
        char err[300];
        if (addrlist_parse(&g->addrs, opt->host, opt->port, err, sizeof(err)) < 0) {
            fprintf(stderr, "sockchat: bad address list %.300s: %s\n", opt->host, err);
            return EX_USAGE;
        }
        return EX_OK;
    }
    /* tls://HOST:PORT: the prefix is kept in the host, which addrlist
     * reads per address (a list may mix both). */
    const char *bare = opt->host;
    bool tls = strncasecmp(bare, "tls://", 6) == 0;
    if (tls)
        bare += 6;
    /* "10.0.2.15:5000" and "[::1]:5000", as the server's log prints them. */
    int hp = hostport_split(bare, g->host + (tls ? 6 : 0), sizeof(g->host) - 6, g->port,
                            sizeof(g->port));
    if (hp < 0 || (hp == 1 && g->pos[1] != NULL)) {
        fprintf(stderr, "sockchat: bad host %s: want HOST, HOST:PORT or [IPV6]:PORT%s\n", opt->host,
                hp == 1 ? ", or a PORT argument, not both" : "");
        return EX_USAGE;
    }
    if (tls)
        memcpy(g->host, "tls://", 6);
    opt->host = g->host;
    if (hp == 1)
        opt->port = g->port;
    return EX_OK;
}

/* What --restricted refuses before anything else: a command given to ssh
 * (the account runs this client, nothing else), and Ctrl-Z in the line
 * client (the curses client's terminal sends it as a key: keys.c). */
static int restricted_start(void)
{
    if (getenv("SSH_ORIGINAL_COMMAND") != NULL) {
        fprintf(stderr, "sockchat: this account opens the chat and runs no commands: "
                        "ssh to it without one\n");
        return EX_NOPERM;
    }
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigemptyset(&ign.sa_mask);
    if (sigaction(SIGTSTP, &ign, NULL) < 0) {
        fprintf(stderr, "sockchat: sigaction SIGTSTP: %s\n", strerror(errno));
        return EX_OSERR;
    }
    return EX_OK;
}

/* The whole of the file at path, NUL-terminated, if it is shorter than
 * cap; NULL (after saying why, unless it is absent) otherwise. */
static char *file_slurp(const char *path, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno != ENOENT)
            fprintf(stderr, "sockchat: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(cap);
    size_t n = buf ? fread(buf, 1, cap - 1, f) : 0;
    bool bad = !buf || ferror(f) || n == cap - 1;
    fclose(f);
    if (bad) {
        fprintf(stderr, "sockchat: %s: %s\n", path,
                buf ? "unreadable, or over the size expected" : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

enum { AUTH_INFO_CAP = 64 * 1024, KEYS_CAP = 4 * 1024 * 1024, NICK_TRIES = 3 };

/* --restricted without a key's comment (a password login, a key without
 * one): the student types a name. Returns EX_OK, or EX_NOINPUT at the end
 * of input, EX_DATAERR after NICK_TRIES invalid names. */
static int restricted_ask(struct args *g)
{
    for (int i = 0; i < NICK_TRIES; i++) {
        char line[128];
        printf("Your name in the chat (1-%d letters, digits, _ or -): ", NICK_MAX);
        fflush(stdout);
        if (!fgets(line, sizeof(line), stdin)) {
            fprintf(stderr, "\nsockchat: no name given; bye\n");
            return EX_NOINPUT;
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (restrict_nick_ok(line)) {
            memcpy(g->nick, line, strlen(line) + 1);
            return EX_OK;
        }
        printf("That is not a name here: 1-%d ASCII letters, digits, _ or -, starting with a "
               "letter or digit.\n",
               NICK_MAX);
    }
    fprintf(stderr, "sockchat: no valid name after %d tries; bye\n", NICK_TRIES);
    return EX_DATAERR;
}

/* --restricted's nick: the comment of the key that logged in (restrict.h
 * says why), else a name asked for. */
static int restricted_nick(struct args *g)
{
    const char *auth = getenv("SSH_USER_AUTH");
    if (auth && auth[0] && g->keys_file) {
        char *info = file_slurp(auth, AUTH_INFO_CAP);
        char *keys = info ? file_slurp(g->keys_file, KEYS_CAP) : NULL;
        bool found = keys && restrict_nick_from_keys(info, keys, g->nick, sizeof(g->nick));
        free(info);
        free(keys);
        if (found)
            return EX_OK;
    }
    return restricted_ask(g);
}

/* The nick and the password: options, else the environment. Returns EX_OK
 * or a sysexits code after saying what is wrong. */
static int pick_identity(struct args *g)
{
    struct client_opts *opt = &g->opt;
    if (!opt->nick && opt->restricted) {
        int rc = restricted_nick(g);
        if (rc != EX_OK)
            return rc;
        opt->nick = g->nick;
        opt->nick_given = true;
    }
    if (!opt->nick) {
        const char *n = env_unless(opt->restricted, "SOCKCHAT_NICK");
        opt->nick_given = n && n[0];
        opt->nick = opt->nick_given ? n : env_or(false, "USER", "guest");
    }
    if (g->password_file) {
        int rc = password_read(g->password_file, g->password, sizeof(g->password));
        if (rc != EX_OK)
            return rc;
        opt->password = g->password;
    } else {
        const char *p = env_unless(opt->restricted, "SOCKCHAT_PASSWORD");
        if (p && p[0]) {
            if (strlen(p) > CHAT_PASSWORD_MAX || strpbrk(p, "\r\n")) {
                fprintf(stderr, "sockchat: SOCKCHAT_PASSWORD: want one line of at most %d bytes\n",
                        CHAT_PASSWORD_MAX);
                return EX_USAGE;
            }
            opt->password = p;
        }
    }
    return EX_OK;
}

int main(int argc, char **argv)
{
    static struct args g; /* the options point into it until the end */

    locale_init();
    g.opt.nodelay = -1;
    int rc = parse_args(argc, argv, &g);
    if (rc >= 0)
        return rc;
    if (g.forget)
        return trust_forget(g.forget);
    if (g.opt.restricted && (rc = restricted_start()) != EX_OK)
        return rc;
    /* SOCKCHAT_TLS=1 as --tls, for scripts and the lesson's terminals. */
    const char *tls_env = env_unless(g.opt.restricted, "SOCKCHAT_TLS");
    if (tls_env && strcmp(tls_env, "1") == 0 && !g.opt.no_tls)
        g.opt.tls = true;
    if (g.opt.no_tls && (g.opt.tls || g.opt.tls_ca)) {
        fprintf(stderr, "sockchat: --no-tls with --tls%s: pick one\n", g.opt.tls_ca ? "-ca" : "");
        return EX_USAGE;
    }
    if ((rc = pick_server(&g)) != EX_OK || (rc = pick_identity(&g)) != EX_OK)
        return rc;
    struct client_opts *opt = &g.opt;
    if (!port_ok(opt->port)) {
        fprintf(stderr, "sockchat: bad port %s: want 1-65535\n", opt->port);
        return EX_USAGE;
    }
    const char *nc = getenv("NO_COLOR");
    opt->color = !g.no_color && !(nc && nc[0]);
    text_set_ascii(strcmp(nl_langinfo(CODESET), "UTF-8") != 0);

    /* No terminal, or one that cannot draw a screen: the line client. */
    const char *term = getenv("TERM");
    if (g.plain || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || term == NULL ||
        term[0] == '\0' || strcmp(term, "dumb") == 0)
        return plain_run(opt);
    return loop_run(opt);
}

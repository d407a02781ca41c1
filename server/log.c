/* log: one timestamped line per event, readable on a projector:
 *   15:30:01  127.0.0.1:40312        bob        says: hello
 * The date has a line of its own, first and whenever it changes, so that
 * the message starts as far left as it can. Peer text reaching here has
 * been through sanitize_text(). On a terminal, a line wider than it is
 * broken into rows, the further ones indented and marked:
 *   15:30:01  127.0.0.1:40312        bob        says: a long message that
 *             ... goes on here
 *
 * Lines are formatted into a bounded buffer and written out by a thread of
 * their own. The log goes to a terminal or a pipe, and either can stop
 * taking bytes (a teacher's Ctrl-S or scrolled tmux pane, a `| less` left
 * open): a client must never wait for that. When the buffer is full, lines
 * are dropped and counted, and the count is logged once writing resumes.
 *
 * Under systemd, stderr is a stream into the journal, which stamps every
 * line itself: there the time and the date lines would only repeat it, so
 * they are left out (logger_start's journal_stream). */
#include "server.h"
#include "adminsock.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sanitize.h"

struct logger {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* lines to write, or stop */
    pthread_cond_t done; /* the writer has finished */
    pthread_t thread;
    int fd;
    char *fill; /* log_event appends here */
    size_t fill_len;
    char *spare; /* the writer writes from here, unlocked */
    unsigned long dropped;
    int day;      /* of the last line: a new one gets a date line first */
    bool tty;     /* fd is a terminal: lines are broken at its width */
    bool journal; /* fd is the journal's stream: no time, no date lines */
    bool stop, finished;
};

void format_duration(char *buf, size_t cap, int64_t ms)
{
    int64_t s = ms < 0 ? 0 : ms / 1000;
    if (s < 60)
        snprintf(buf, cap, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, cap, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, cap, "%lldh%02lldm%02llds", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    else
        snprintf(buf, cap, "%lldd%02lldh%02lldm", (long long)(s / 86400),
                 (long long)(s / 3600 % 24), (long long)(s / 60 % 60));
}

/* The time of day into buf; returns the day (to notice it change) and,
 * into date, its name. */
static int timestamp(char *buf, size_t cap, char *date, size_t dcap)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(buf, cap, "%H:%M:%S", &tm);
    if (date != NULL)
        strftime(date, dcap, "%Y-%m-%d, %A", &tm);
    return tm.tm_year * 1000 + tm.tm_yday;
}

/* Writes all of buf, or gives up on the first error: the log is best
 * effort, and a closed stderr must not become a busy loop. */
static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            /* A non-blocking stderr (inherited so): wait here, as a
             * blocking one would; only this thread waits. */
            struct pollfd pf = {.fd = fd, .events = POLLOUT};
            poll(&pf, 1, -1);
            continue;
        }
        if (w <= 0)
            return;
        buf += w;
        len -= (size_t)w;
    }
}

static void *logger_main(void *arg)
{
    struct logger *lg = arg;
    pthread_mutex_lock(&lg->lock);
    for (;;) {
        while (lg->fill_len == 0 && lg->dropped == 0 && !lg->stop)
            pthread_cond_wait(&lg->wake, &lg->lock);
        if (lg->fill_len == 0 && lg->dropped == 0)
            break; /* stopping, and all is written */
        char *out = lg->fill;
        size_t len = lg->fill_len;
        unsigned long dropped = lg->dropped;
        lg->fill = lg->spare;
        lg->fill_len = 0;
        lg->spare = out;
        lg->dropped = 0;
        pthread_mutex_unlock(&lg->lock);
        write_all(lg->fd, out, len);
        if (dropped > 0) {
            char when[32] = "", note[160];
            if (!lg->journal)
                timestamp(when, sizeof when, NULL, 0);
            int n = snprintf(note, sizeof note,
                             "%s%s%lu log line%s dropped: the log output was not being read\n",
                             when, lg->journal ? "" : "  ", dropped, dropped == 1 ? "" : "s");
            if (n > 0)
                write_all(lg->fd, note, (size_t)n < sizeof note ? (size_t)n : sizeof note - 1);
        }
        pthread_mutex_lock(&lg->lock);
    }
    lg->finished = true;
    pthread_cond_signal(&lg->done);
    pthread_mutex_unlock(&lg->lock);
    return NULL;
}

bool logger_is_journal(int fd, const char *journal_stream)
{
    /* "DEV:INODE" in decimal, as systemd.exec(5) says. Children inherit
     * the variable with stderr redirected elsewhere (a script started by
     * the service, `2>file`): only the file it names is the journal. */
    if (journal_stream == NULL || *journal_stream < '0' || *journal_stream > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long dev = strtoull(journal_stream, &end, 10);
    if (errno != 0 || *end != ':' || end[1] < '0' || end[1] > '9')
        return false;
    unsigned long long ino = strtoull(end + 1, &end, 10);
    struct stat st;
    if (errno != 0 || *end != '\0' || fstat(fd, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

struct logger *logger_start(int fd, const char *journal_stream)
{
    struct logger *lg = calloc(1, sizeof *lg);
    if (lg == NULL)
        return NULL;
    lg->fd = fd;
    lg->tty = isatty(fd) == 1;
    lg->journal = logger_is_journal(fd, journal_stream);
    lg->fill = malloc(LOG_BUF_BYTES);
    lg->spare = malloc(LOG_BUF_BYTES);
    pthread_condattr_t ca;
    int err = lg->fill && lg->spare ? 0 : ENOMEM;
    if (err == 0 && (err = pthread_condattr_init(&ca)) == 0) {
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&lg->done, &ca);
        pthread_condattr_destroy(&ca);
        pthread_cond_init(&lg->wake, NULL);
        pthread_mutex_init(&lg->lock, NULL);
        err = pthread_create(&lg->thread, NULL, logger_main, lg);
        if (err != 0) {
            pthread_cond_destroy(&lg->done);
            pthread_cond_destroy(&lg->wake);
            pthread_mutex_destroy(&lg->lock);
        }
    }
    if (err != 0) {
        free(lg->fill);
        free(lg->spare);
        free(lg);
        errno = err;
        return NULL;
    }
    return lg;
}

void logger_stop(struct logger *lg)
{
    if (lg == NULL)
        return;
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += LOG_STOP_MS / 1000;
    until.tv_nsec += (long)(LOG_STOP_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&lg->lock);
    lg->stop = true;
    pthread_cond_signal(&lg->wake);
    while (!lg->finished)
        if (pthread_cond_timedwait(&lg->done, &lg->lock, &until) == ETIMEDOUT)
            break;
    bool finished = lg->finished;
    pthread_mutex_unlock(&lg->lock);
    if (!finished) {
        /* Stuck in write() on a stalled terminal or pipe: exiting must not
         * wait for whoever stopped reading. The thread, and the memory it
         * uses, end with the process. */
        pthread_detach(lg->thread);
        return;
    }
    pthread_join(lg->thread, NULL);
    pthread_cond_destroy(&lg->done);
    pthread_cond_destroy(&lg->wake);
    pthread_mutex_destroy(&lg->lock);
    free(lg->fill);
    free(lg->spare);
    free(lg);
}

bool logger_same_file(const struct logger *lg, int fd)
{
    struct stat a, b;
    if (lg == NULL || fstat(lg->fd, &a) < 0 || fstat(fd, &b) < 0)
        return false;
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Columns a character may take, at most: 1 for ASCII, 2 for anything
 * else (wide CJK and emoji take 2; an accent counted 2 only breaks a row a
 * little early). No locale is needed, and a row is never wider than we
 * think: a terminal never wraps it. Sets *n to its length in bytes. */
static size_t col_width(const unsigned char *s, size_t len, size_t *n)
{
    size_t k = 1;
    if (s[0] >= 0xc0)
        while (k < len && (s[k] & 0xc0) == 0x80)
            k++;
    *n = k;
    return s[0] < 0x80 ? 1 : 2;
}

size_t log_wrap(const char *line, size_t len, char *out, size_t cap, unsigned width)
{
    static const char cont[] = LOG_CONT;
    const size_t cont_len = sizeof cont - 1;
    const unsigned char *u = (const unsigned char *)line;
    if (width < LOG_WRAP_MIN)
        return 0;
    /* One column of slack: a row exactly as wide as the terminal makes
     * some terminals wrap before the LF. */
    size_t limit = width - 1, o = 0, i = 0;
    bool first = true, wrapped = false;
    while (i < len) {
        size_t room = first ? limit : limit - cont_len;
        size_t col = 0, j = i, brk = len, blank = 0;
        while (j < len) {
            size_t n, w = col_width(u + j, len - j, &n);
            if (col + w > room) {
                brk = j;
                break;
            }
            col += w;
            j += n;
            if (u[j - 1] == ' ' && col > room / 2)
                blank = j; /* a break after a blank reads better */
        }
        if (brk < len && blank > i)
            brk = blank;
        size_t row = brk - i;
        if (o + row + 1 + cont_len >= cap)
            return 0; /* no room to break it: left as it is */
        if (!first) {
            out[o++] = '\n';
            memcpy(out + o, cont, cont_len);
            o += cont_len;
        }
        memcpy(out + o, line + i, row);
        o += row;
        i = brk;
        while (i < len && u[i] == ' ')
            i++;
        wrapped = wrapped || i < len;
        first = false;
    }
    return wrapped ? o : 0;
}

/* The terminal's width, when the log is one; 0: not a terminal (or its
 * width unknown): nothing is broken. */
static unsigned log_width(const struct logger *lg)
{
    struct winsize ws;
    if (!lg->tty || ioctl(lg->fd, TIOCGWINSZ, &ws) < 0)
        return 0;
    return ws.ws_col;
}

/* Whether the log writes an event of this kind (--quiet keeps what
 * people say out of it). */
static bool log_wants(const struct server *srv, unsigned ev)
{
    if (srv->log == NULL || (ev & LOG_ADMINS_ONLY))
        return false;
    unsigned kind = ev & (LOG_ADMINS_ONLY - 1);
    return !(srv->cfg.quiet && (kind == AEV_CHAT || kind == AEV_PRIVATE));
}

/* Writes s into dst (cap bytes), padded with blanks to width, then gap
 * blanks, as "%-*s" and a gap would (NUL-terminated when it fits); its
 * length, or cap when it does not fit. Without printf: log_event's line
 * start is on the deepest path of a client thread's stack. */
static size_t log_put(char *dst, size_t cap, const char *s, size_t width, size_t gap)
{
    size_t n = strlen(s);
    size_t pad = n < width ? width - n : 0;
    if (n + pad + gap >= cap)
        return cap;
    memcpy(dst, s, n);
    memset(dst + n, ' ', pad + gap);
    dst[n + pad + gap] = '\0';
    return n + pad + gap;
}

/* Under lg->lock: the date line on a new day (kept), then the time stamp
 * written where the line starts (not kept: log_event's line follows it);
 * its length. Not inlined, so that its buffers and struct tm are not on
 * the stack under log_event's vsnprintf, the deepest point of a client
 * thread's join: each 4 KiB page of the 64 KiB thread stack that an idle
 * connection has touched stays in its RSS (issue 5). */
__attribute__((noinline)) static size_t log_stamp_locked(struct logger *lg)
{
    if (lg->journal) /* the journal stamps each line itself */
        return 0;
    char when[32], date[64];
    /* Read under the lock, so that lines around midnight come in order. */
    int day = timestamp(when, sizeof when, date, sizeof date);
    if (day != lg->day) {
        size_t room = LOG_BUF_BYTES - lg->fill_len;
        int n = snprintf(lg->fill + lg->fill_len, room, "---- %s ----\n", date);
        if (n > 0 && (size_t)n < room) {
            lg->fill_len += (size_t)n;
            lg->day = day;
        }
    }
    /* Copied, not printed: a printf here would be deeper still. */
    return log_put(lg->fill + lg->fill_len, LOG_BUF_BYTES - lg->fill_len, when, 0, 2);
}

void log_event(struct server *srv, unsigned ev, const struct client *c, const char *fmt, ...)
{
    if (adminsock_wants_events(srv->admin)) {
        va_list ap;
        va_start(ap, fmt);
        adminsock_publishv(srv->admin, (enum admin_event)(ev & (LOG_ADMINS_ONLY - 1)), c, fmt, ap);
        va_end(ap);
    }
    if (!log_wants(srv, ev))
        return;
    struct logger *lg = srv->log;
    /* Formatted straight into the buffer, under its lock: lines from
     * different threads never interleave, and no line-sized buffer sits on
     * a small client thread's stack. The nick is read unlocked: only c's
     * owner changes it, and only the owner (or the accepting thread, before
     * the owner runs) logs about c. */
    pthread_mutex_lock(&lg->lock);
    size_t used = log_stamp_locked(lg);
    size_t start = lg->fill_len, room = LOG_BUF_BYTES - start;
    char *p = lg->fill + start;
    if (c != NULL && used < room) {
        used += log_put(p + used, room - used, c->addr, 22, 1);
        if (used < room)
            used += log_put(p + used, room - used, c->nick, 10, 1);
    }
    if (used < room) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(p + used, room - used, fmt, ap);
        va_end(ap);
        if (n >= 0 && used + (size_t)n < room) {
            /* Padding cannot push a forged line to the start of a row:
             * runs of blanks are collapsed, and on a terminal a line
             * wider than it is broken here, its further rows indented
             * and marked (LOG_CONT), so no row but ours starts a line. */
            size_t msg = used;
            used = msg + sanitize_blank_runs(p + msg, (size_t)n);
            unsigned width = log_width(lg);
            size_t w = width ? log_wrap(p, used, p + used, room - used, width) : 0;
            if (w > 0) {
                memmove(p, p + used, w);
                used = w;
            }
        } else {
            used = room;
        }
    }
    if (used + 1 < room) { /* the LF, and vsnprintf's NUL before it */
        p[used] = '\n';
        lg->fill_len = start + used + 1;
        pthread_cond_signal(&lg->wake); /* cheap when nobody waits */
    } else {
        lg->dropped++;
        pthread_cond_signal(&lg->wake);
    }
    pthread_mutex_unlock(&lg->lock);
}

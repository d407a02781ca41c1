/* transcript: every chat message appended to a file before it is
 * acknowledged, and the newest ones of each room loaded back into its
 * history at start, with each room's topic.
 *
 * A record of #main is the framed CHAT line itself ("CHAT TIME NICK
 * TEXT\n"), so there is one format to document and one parser, and a file
 * from before rooms is #main's; another room's is "#name " and that line;
 * a topic is "TOPIC #name TIME PINNED TEXT". The rooms are reached by name
 * through struct transcript_rooms: this file does not know what a room is.
 * Durability: each record is write(2)n before its ACK is queued, so it
 * survives the server being killed (the kernel has it); a background
 * thread fdatasync()s at most every TRANSCRIPT_SYNC_MS, so a power cut may
 * lose that much. A record torn by a crash (no final LF) is cut off at
 * start and skipped on load.
 *
 * What the file must survive while the server runs:
 * - a failed or short write (disk full, a file size limit): the file is
 *   cut back to the end of the last whole record (t->end) and fsync()ed
 *   before anything else is written, or, while that fails, every record
 *   is refused. Otherwise the torn half would glue itself to the next
 *   acknowledged record.
 * - FILE deleted or replaced (rm, a logrotate rename): the syncer compares
 *   the path with its descriptor before each fdatasync, so at most every
 *   200 ms and never on the appenders' path (a stat(2) per message, under
 *   reg_lock, halved the throughput of bench/'s push workload). What was
 *   written since the last good check went to the lost file, so the
 *   repair writes a new FILE with every room's topic, the newest records
 *   of each room's history that the lost one held (t->counts) and those
 *   bytes, copied from our descriptor: a restart restores what newcomers
 *   were being shown.
 * - growth: past --transcript-max, FILE becomes FILE.1 (the one older
 *   file kept) and a new FILE is begun with every room's topic, so no
 *   topic is ever only in a file about to be dropped; a record goes whole
 *   into one of them. Loading reads FILE.1 and FILE whole, streaming, so
 *   a quiet room's last messages are found however far back they are. */
#include "server.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a file is read in (loading, a repair): memory bounded by it. */
enum { SCAN_CHUNK = 64 * 1024 };

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Adds a sentence to what the caller will log for this append. */
static void note_add(struct transcript *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note_add(struct transcript *t, const char *fmt, ...)
{
    size_t used = strlen(t->note);
    if (used > 0 && used + 2 < sizeof t->note) {
        memcpy(t->note + used, "; ", 3);
        used += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->note + used, sizeof t->note - used, fmt, ap);
    va_end(ap);
}

/* The offset just past the last LF before size in fd (0 if there is none),
 * or -1 when fd cannot be read. */
static off_t whole_end(int fd, off_t size)
{
    char buf[512];
    off_t keep = size;
    while (keep > 0) {
        off_t from = keep > (off_t)sizeof buf ? keep - (off_t)sizeof buf : 0;
        ssize_t n = pread(fd, buf, (size_t)(keep - from), from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        for (ssize_t i = n - 1; i >= 0; i--)
            if (buf[i] == '\n')
                return from + i + 1;
        keep = from;
    }
    return 0;
}

/* Makes a new or renamed name in path's directory survive a power cut. */
static int fsync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Opens path for appending (created if missing) with a torn last record
 * cut off: it was never acknowledged (the ACK follows the whole write),
 * and our next LF would otherwise make it a record. -1 with errno set. */
static int open_append(const char *path, struct stat *st, off_t *end)
{
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0)
        goto fail;
    *end = whole_end(fd, st->st_size);
    if (*end < 0 || (*end < st->st_size && ftruncate(fd, *end) < 0))
        goto fail;
    return fd;
fail:;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
}

/* A new descriptor for FILE, under the lock so that the syncer and its
 * checks see fd, its identity and gen change together. */
static void transcript_set_fd(struct transcript *t, int fd, const struct stat *st, off_t end)
{
    pthread_mutex_lock(&t->lock);
    t->fd = fd;
    t->dev = st->st_dev;
    t->ino = st->st_ino;
    t->gen++;
    t->end = end;
    t->checked_end = 0;
    t->lost = TRANSCRIPT_OK;
    pthread_mutex_unlock(&t->lock);
    t->cut_pending = false;
}

static void *transcript_syncer(void *arg)
{
    struct transcript *t = arg;
    pthread_mutex_lock(&t->lock);
    for (;;) {
        while (!t->dirty && !t->stop)
            pthread_cond_wait(&t->cond, &t->lock);
        if (!t->dirty && t->stop)
            break;
        t->dirty = false;
        /* A descriptor of our own: the appender may swap and close t->fd
         * (a rotation, a repair) while we sync. */
        int fd = fcntl(t->fd, F_DUPFD_CLOEXEC, 0);
        pthread_mutex_unlock(&t->lock);
        enum transcript_lost lost = transcript_verify(t);
        if (fd >= 0) {
            fdatasync(fd);
            close(fd);
        }
        if (lost != TRANSCRIPT_OK && t->on_lost != NULL)
            t->on_lost(t->on_lost_arg);
        /* Group commit: whatever arrives meanwhile shares the next sync. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)TRANSCRIPT_SYNC_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&t->lock);
        while (!t->stop && pthread_cond_timedwait(&t->cond, &t->lock, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

/* ---- records ---- */

/* The longest record: a room's name and a space before a framed line. */
enum { REC_MAX = ROOMNAME_SIZE + WIRE_MAX };
_Static_assert((int)SCAN_CHUNK > (int)REC_MAX, "a scan's buffer holds any record whole");

enum rec_kind { REC_NONE, REC_CHAT, REC_TOPIC };

/* What the record rec (len bytes, no LF) is: a chat record of room `name`
 * whose framed line starts at rec + *skip, a topic record, or neither.
 * Cheap (no parsing of the line itself): it runs on every line of both
 * files at start. */
static enum rec_kind rec_kind(const char *rec, size_t len, char name[ROOMNAME_SIZE], size_t *skip)
{
    if (len > 5 && memcmp(rec, "CHAT ", 5) == 0) {
        memcpy(name, ROOM_MAIN, sizeof ROOM_MAIN);
        *skip = 0;
        return REC_CHAT;
    }
    if (len > 6 && memcmp(rec, "TOPIC ", 6) == 0)
        return REC_TOPIC;
    if (len == 0 || rec[0] != '#')
        return REC_NONE;
    const char *sp = memchr(rec, ' ', len < ROOMNAME_SIZE ? len : ROOMNAME_SIZE);
    if (sp == NULL)
        return REC_NONE;
    size_t n = (size_t)(sp - rec);
    if (!roomname_valid(rec, n) || roomname_parse(name, rec, n) < 0)
        return REC_NONE;
    if (len - n - 1 <= 5 || memcmp(sp + 1, "CHAT ", 5) != 0)
        return REC_NONE;
    *skip = n + 1;
    return REC_CHAT;
}

/* "TOPIC #NAME TIME PINNED TEXT" (TEXT may be empty, with or without the
 * space before it); line is NUL-terminated, without its LF. */
static bool topic_parse(char *line, char name[ROOMNAME_SIZE], int64_t *time, bool *pinned,
                        const char **text)
{
    char *p = line + 6, *sp = strchr(p, ' ');
    if (sp == NULL || !roomname_valid(p, (size_t)(sp - p)) ||
        roomname_parse(name, p, (size_t)(sp - p)) < 0)
        return false;
    p = sp + 1;
    if (*p < '0' || *p > '9')
        return false;
    errno = 0;
    char *e;
    long long v = strtoll(p, &e, 10);
    if (errno != 0 || *e != ' ' || (e[1] != '0' && e[1] != '1') || (e[2] != ' ' && e[2] != '\0'))
        return false;
    *time = v;
    *pinned = e[1] == '1';
    *text = e[2] == '\0' ? e + 2 : e + 3;
    for (const unsigned char *q = (const unsigned char *)*text; *q != '\0'; q++)
        if (*q < 0x20 || *q == 0x7f)
            return false;
    size_t tl = strlen(*text);
    return utf8_valid_prefix(*text, tl) == tl;
}

/* Turns one framed CHAT line (no LF) into history entries; false when it
 * is not one. */
static bool transcript_record(struct history *h, const char *rec, size_t len)
{
    char line[WIRE_MAX], buf[WIRE_MAX];
    struct msg m;
    if (len == 0 || len >= sizeof line)
        return false;
    memcpy(line, rec, len);
    line[len] = '\0';
    if (msg_parse(&m, line) < 0 || m.type != MSG_CHAT)
        return false;
    int nf = msg_encode(buf, sizeof buf, &m);
    if (nf <= 0)
        return false;
    struct outmsg *f = outmsg_new(buf, (size_t)nf);
    int np = msg_format_plain(buf, sizeof buf, &m);
    struct outmsg *p = np > 0 ? outmsg_new(buf, (size_t)np) : NULL;
    if (f && p)
        history_push(h, f, p);
    outmsg_unref(f);
    outmsg_unref(p);
    return f && p;
}

/* ---- reading a file line by line, in bounded memory ---- */

struct scan {
    int fd;
    off_t next, limit; /* the next byte to read; where to stop (-1: EOF) */
    char *buf;
    size_t have, pos;
    off_t base;    /* the file offset of buf[0] */
    bool skipping; /* inside a line longer than buf: dropped */
    bool error;    /* a read failed */
};

static int scan_init(struct scan *sc, int fd, off_t from, off_t limit)
{
    memset(sc, 0, sizeof *sc);
    sc->fd = fd;
    sc->next = sc->base = from;
    sc->limit = limit;
    /* Zeroed for clang-tidy, which cannot see that only what pread filled
     * is ever read. */
    sc->buf = calloc(1, SCAN_CHUNK);
    return sc->buf != NULL ? 0 : -1;
}

/* The next whole line (*line, *len without its LF, *off where it starts);
 * false at the end. A last line without LF (torn) is not returned, nor is
 * a line longer than the buffer (no record is that long). */
static bool scan_line(struct scan *sc, char **line, size_t *len, off_t *off)
{
    for (;;) {
        char *nl = memchr(sc->buf + sc->pos, '\n', sc->have - sc->pos);
        if (nl != NULL) {
            char *start = sc->buf + sc->pos;
            sc->pos = (size_t)(nl - sc->buf) + 1;
            if (sc->skipping) {
                sc->skipping = false;
                continue;
            }
            *line = start;
            *len = (size_t)(nl - start);
            *off = sc->base + (start - sc->buf);
            return true;
        }
        if (sc->skipping || (sc->pos == 0 && sc->have == SCAN_CHUNK)) {
            sc->skipping = true; /* too long: drop what we have */
            sc->base += (off_t)sc->have;
            sc->have = sc->pos = 0;
        } else if (sc->pos > 0) {
            memmove(sc->buf, sc->buf + sc->pos, sc->have - sc->pos);
            sc->base += (off_t)sc->pos;
            sc->have -= sc->pos;
            sc->pos = 0;
        }
        size_t want = SCAN_CHUNK - sc->have;
        if (sc->limit >= 0 && sc->next + (off_t)want > sc->limit)
            want = (size_t)(sc->limit - sc->next);
        if (want == 0)
            return false;
        ssize_t n = pread(sc->fd, sc->buf + sc->have, want, sc->next);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            sc->error = true;
        if (n <= 0)
            return false;
        sc->have += (size_t)n;
        sc->next += n;
    }
}

/* ---- loading ----
 *
 * Both files are read whole, oldest first, in SCAN_CHUNK pieces: every
 * TOPIC record goes to the rooms as it comes (the last per room wins), and
 * each room keeps where its newest --history records are (a ring of file
 * offsets, not the records), so a quiet room keeps its last messages
 * however busy the others were since. Those records are read and parsed
 * at the end: the cost is one pass over the bytes plus the parsing of what
 * the histories keep. */

struct spot {
    off_t off;
    uint32_t len; /* the framed line, without its LF */
    uint8_t file; /* 0: FILE.1, 1: FILE */
};

struct load_room {
    char name[ROOMNAME_SIZE];
    struct history *h; /* NULL: no room for it, records skipped */
    struct spot *ring;
    unsigned cap, head, count;
    size_t bytes;
    uint64_t seen;   /* its records, kept or not */
    unsigned infile; /* of them in FILE */
};

struct load {
    const struct transcript_rooms *rooms;
    struct load_room *r;
    unsigned n, cap, last;
};

static struct load_room *load_room(struct load *ld, const char *name)
{
    if (ld->last < ld->n && strcmp(ld->r[ld->last].name, name) == 0)
        return &ld->r[ld->last];
    for (unsigned i = 0; i < ld->n; i++)
        if (strcmp(ld->r[i].name, name) == 0)
            return &ld->r[ld->last = i];
    if (ld->n == ld->cap) {
        unsigned nc = ld->cap ? 2 * ld->cap : 8;
        struct load_room *nr = realloc(ld->r, nc * sizeof *nr);
        if (nr == NULL)
            return NULL;
        ld->r = nr;
        ld->cap = nc;
    }
    struct load_room *lr = &ld->r[ld->n];
    memset(lr, 0, sizeof *lr);
    snprintf(lr->name, sizeof lr->name, "%s", name);
    lr->h = ld->rooms->history(ld->rooms->arg, name);
    if (lr->h != NULL && lr->h->cap > 0) {
        lr->ring = calloc(lr->h->cap, sizeof *lr->ring);
        lr->cap = lr->ring != NULL ? lr->h->cap : 0;
    }
    ld->last = ld->n;
    return &ld->r[ld->n++];
}

/* Keeps the spot of a room's record, dropping its oldest past the
 * history's cap or (roughly: history_push is exact) its byte bound. */
static void load_keep(struct load_room *lr, off_t off, size_t len, uint8_t file)
{
    lr->seen++;
    if (file == 1 && lr->infile < UINT_MAX)
        lr->infile++;
    if (lr->cap == 0)
        return;
    if (lr->count == lr->cap) {
        lr->bytes -= lr->ring[lr->head].len;
        lr->head = (lr->head + 1) % lr->cap;
        lr->count--;
    }
    lr->ring[(lr->head + lr->count) % lr->cap] = (struct spot){off, (uint32_t)len, file};
    lr->count++;
    lr->bytes += len;
    while (lr->bytes > 2 * (size_t)HISTORY_BYTES && lr->count > 1) {
        lr->bytes -= lr->ring[lr->head].len;
        lr->head = (lr->head + 1) % lr->cap;
        lr->count--;
    }
}

static void load_file(struct load *ld, int fd, uint8_t file, char *err, size_t ecap,
                      const char *path, int *rc)
{
    struct scan sc;
    if (scan_init(&sc, fd, 0, -1) < 0) {
        snprintf(err, ecap, "transcript %s: out of memory", path);
        *rc = -1;
        return;
    }
    char *line, name[ROOMNAME_SIZE], tline[REC_MAX];
    size_t len, skip;
    off_t off;
    while (scan_line(&sc, &line, &len, &off)) {
        switch (rec_kind(line, len, name, &skip)) {
        case REC_CHAT: {
            struct load_room *lr = load_room(ld, name);
            if (lr != NULL && lr->h != NULL)
                load_keep(lr, off + (off_t)skip, len - skip, file);
            break;
        }
        case REC_TOPIC: {
            int64_t time;
            bool pinned;
            const char *text;
            if (len >= sizeof tline || ld->rooms->topic == NULL)
                break;
            memcpy(tline, line, len);
            tline[len] = '\0';
            if (topic_parse(tline, name, &time, &pinned, &text))
                ld->rooms->topic(ld->rooms->arg, name, time, pinned, text);
            break;
        }
        case REC_NONE:
            break; /* not a record (edited in by hand?): skipped */
        }
    }
    if (sc.error) {
        snprintf(err, ecap, "transcript %s: %s", path, strerror(errno));
        *rc = -1;
    }
    free(sc.buf);
}

static int open_read(const char *path, int *fd, char *err, size_t ecap)
{
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0 && errno != ENOENT) {
        snprintf(err, ecap, "transcript %s: %s", path, strerror(errno));
        return -1;
    }
    /* Not a file (a directory in the way of a rotation): nothing to load;
     * opening FILE for appending says what is wrong with it. */
    struct stat st;
    if (*fd >= 0 && (fstat(*fd, &st) < 0 || !S_ISREG(st.st_mode))) {
        close(*fd);
        *fd = -1;
    }
    return 0; /* ENOENT: a first run, or never rotated */
}

static void count_set(struct transcript *t, const char *name, unsigned n);

/* FILE.1's and FILE's records into the rooms; t (if any) learns how many
 * records of each room FILE holds. */
static int transcript_load_both(const char *path, const struct transcript_rooms *rooms,
                                unsigned *loaded, struct transcript *t, char *err, size_t ecap)
{
    char path1[PATH_MAX];
    int fds[2] = {-1, -1}, rc = 0;
    struct load ld = {.rooms = rooms};
    *loaded = 0;
    snprintf(path1, sizeof path1, "%s.1", path);
    if (open_read(path1, &fds[0], err, ecap) < 0 || open_read(path, &fds[1], err, ecap) < 0) {
        rc = -1;
        goto out;
    }
    if (fds[0] >= 0)
        load_file(&ld, fds[0], 0, err, ecap, path1, &rc);
    if (rc == 0 && fds[1] >= 0)
        load_file(&ld, fds[1], 1, err, ecap, path, &rc);
    for (unsigned i = 0; rc == 0 && i < ld.n; i++) {
        struct load_room *lr = &ld.r[i];
        if (lr->h == NULL)
            continue;
        if (t != NULL)
            count_set(t, lr->name, lr->infile);
        uint64_t older = lr->seen - lr->count;
        history_count_older(lr->h, older < lr->h->cap ? older : lr->h->cap);
        for (unsigned k = 0; k < lr->count; k++) {
            const struct spot *sp = &lr->ring[(lr->head + k) % lr->cap];
            char rec[WIRE_MAX];
            if (sp->len >= sizeof rec)
                continue;
            ssize_t got;
            do
                got = pread(fds[sp->file], rec, sp->len, sp->off);
            while (got < 0 && errno == EINTR);
            if (got == (ssize_t)sp->len)
                transcript_record(lr->h, rec, sp->len);
        }
        *loaded += lr->h->count;
    }
out:
    for (unsigned i = 0; i < ld.n; i++)
        free(ld.r[i].ring);
    free(ld.r);
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

int transcript_load(const char *path, const struct transcript_rooms *rooms, unsigned *loaded,
                    char *err, size_t ecap)
{
    return transcript_load_both(path, rooms, loaded, NULL, err, ecap);
}

/* ---- records per room in FILE (for a repair) ---- */

static struct transcript_count *count_find(struct transcript *t, const char *name)
{
    for (unsigned i = 0; i < t->ncounts; i++)
        if (strcmp(t->counts[i].name, name) == 0)
            return &t->counts[i];
    if (t->ncounts == t->counts_cap) {
        unsigned nc = t->counts_cap ? 2 * t->counts_cap : 8;
        struct transcript_count *n = realloc(t->counts, nc * sizeof *n);
        if (n == NULL)
            return NULL; /* a repair writes back fewer of this room: no harm */
        t->counts = n;
        t->counts_cap = nc;
    }
    struct transcript_count *c = &t->counts[t->ncounts++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->nfile = 0;
    return c;
}

static void count_set(struct transcript *t, const char *name, unsigned n)
{
    struct transcript_count *c = count_find(t, name);
    if (c != NULL)
        c->nfile = n;
}

static unsigned count_of(const struct transcript_count *c, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(c[i].name, name) == 0)
            return c[i].nfile;
    return 0;
}

static void counts_zero(struct transcript *t)
{
    for (unsigned i = 0; i < t->ncounts; i++)
        t->counts[i].nfile = 0;
}

/* ---- opening and closing ---- */

int transcript_open(struct transcript *t, const char *path, int64_t max,
                    const struct transcript_rooms *rooms, unsigned *loaded, char *err, size_t ecap)
{
    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->max = max;
    t->rooms = *rooms;
    size_t plen = strlen(path);
    if (plen + 3 > PATH_MAX) {
        snprintf(err, ecap, "transcript %s: path too long", path);
        return -1;
    }
    t->path = strdup(path);
    t->path1 = malloc(plen + 3);
    if (t->path == NULL || t->path1 == NULL) {
        snprintf(err, ecap, "transcript %s: out of memory", path);
        goto fail;
    }
    snprintf(t->path1, plen + 3, "%s.1", path);
    if (transcript_load_both(path, rooms, loaded, t, err, ecap) < 0)
        goto fail;
    struct stat st;
    off_t end;
    t->fd = open_append(path, &st, &end);
    if (t->fd < 0) {
        snprintf(err, ecap, "transcript %s: %s", path, strerror(errno));
        goto fail;
    }
    t->dev = st.st_dev;
    t->ino = st.st_ino;
    t->end = end;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    int rc = pthread_create(&t->thread, NULL, transcript_syncer, t);
    if (rc != 0) {
        snprintf(err, ecap, "transcript %s: thread: %s", path, strerror(rc));
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->cond);
        goto fail;
    }
    return 0;
fail:
    if (t->fd >= 0)
        close(t->fd);
    free(t->path);
    free(t->path1);
    free(t->counts);
    t->path = t->path1 = NULL;
    t->counts = NULL;
    return -1;
}

void transcript_close(struct transcript *t)
{
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    t->dirty = true; /* one last check and sync */
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    fdatasync(t->fd);
    close(t->fd);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
    free(t->path);
    free(t->path1);
    free(t->counts);
    t->path = t->path1 = NULL;
    t->counts = NULL;
    t->ncounts = t->counts_cap = 0;
}

/* ---- a failed write ---- */

/* Back to the end of the last whole record, made durable, so that nothing
 * of the refused record can ever join the next one. While that fails,
 * cut_pending refuses every record. */
static int transcript_cut(struct transcript *t)
{
    struct stat st;
    off_t to = t->end;
    if (fstat(t->fd, &st) < 0)
        goto fail;
    /* Shortened under us (truncate(1)): t->end is past the end, and
     * cutting to it would pad the file with zeros. */
    if (st.st_size < to && (to = whole_end(t->fd, st.st_size)) < 0)
        goto fail;
    if (st.st_size != to && ftruncate(t->fd, to) < 0)
        goto fail;
    if (fsync(t->fd) < 0)
        goto fail;
    if (t->cut_pending)
        note_add(t, "transcript %s: the torn record is cut off now; saving again", t->path);
    pthread_mutex_lock(&t->lock);
    t->end = to;
    if (t->checked_end > to)
        t->checked_end = to;
    pthread_mutex_unlock(&t->lock);
    t->cut_pending = false;
    return 0;
fail:
    if (!t->cut_pending)
        note_add(t,
                 "WARNING: transcript %s: cannot cut a torn record off (%s); every "
                 "message is refused until it can be",
                 t->path, strerror(errno));
    t->cut_pending = true;
    return -1;
}

/* ---- FILE lost ---- */

static enum transcript_lost probe(const struct transcript *t, dev_t dev, ino_t ino)
{
    struct stat st;
    enum transcript_lost v;
    if (stat(t->path, &st) == 0) {
        if (st.st_dev == dev && st.st_ino == ino)
            return TRANSCRIPT_OK;
        v = TRANSCRIPT_REPLACED;
    } else if (errno == ENOENT || errno == ENOTDIR) {
        v = TRANSCRIPT_DELETED;
    } else {
        return TRANSCRIPT_OK; /* cannot tell (EACCES): carry on */
    }
    /* Ours is FILE.1 now (logrotate with our naming, or our own rotation
     * half done): FILE.1 is loaded at start, nothing must be copied. */
    if (stat(t->path1, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
        return TRANSCRIPT_ROTATED;
    return v;
}

enum transcript_lost transcript_verify(struct transcript *t)
{
    pthread_mutex_lock(&t->lock);
    if (t->lost != TRANSCRIPT_OK) {
        pthread_mutex_unlock(&t->lock);
        return TRANSCRIPT_OK; /* known already */
    }
    unsigned gen = t->gen;
    off_t end = t->end; /* written before the stat below: in FILE if it is ours */
    dev_t dev = t->dev;
    ino_t ino = t->ino;
    pthread_mutex_unlock(&t->lock);
    enum transcript_lost v = probe(t, dev, ino);
    pthread_mutex_lock(&t->lock);
    if (gen != t->gen || t->lost != TRANSCRIPT_OK)
        v = TRANSCRIPT_OK; /* fd changed meanwhile: this check is void */
    else if (v != TRANSCRIPT_OK)
        t->lost = v;
    else if (end > t->checked_end)
        t->checked_end = end;
    pthread_mutex_unlock(&t->lock);
    return v;
}

/* Copies [from, to) of in to out, counting the LFs; -1 on an error. */
static int copy_range(int in, int out, off_t from, off_t to, unsigned *lines)
{
    char *buf = malloc(SCAN_CHUNK);
    if (buf == NULL)
        return -1;
    *lines = 0;
    while (from < to) {
        size_t want = to - from > SCAN_CHUNK ? SCAN_CHUNK : (size_t)(to - from);
        ssize_t n = pread(in, buf, want, from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write_all(out, buf, (size_t)n) < 0) {
            free(buf);
            return -1;
        }
        for (ssize_t i = 0; i < n; i++)
            *lines += buf[i] == '\n';
        from += n;
    }
    free(buf);
    return 0;
}

static const char *const lost_words[] = {
    [TRANSCRIPT_OK] = "",
    [TRANSCRIPT_DELETED] = "deleted (or renamed away)",
    [TRANSCRIPT_REPLACED] = "replaced",
    [TRANSCRIPT_ROTATED] = "renamed to its .1",
};

/* Each room's chat records in [from, to) of fd, into since[] (per name);
 * -1 when fd cannot be read. */
static int count_range(int fd, off_t from, off_t to, struct transcript_count **since, unsigned *n,
                       unsigned *total)
{
    struct scan sc;
    unsigned cap = 0;
    *since = NULL;
    *n = *total = 0;
    if (scan_init(&sc, fd, from, to) < 0)
        return -1;
    char *line, name[ROOMNAME_SIZE];
    size_t len, skip;
    off_t off;
    while (scan_line(&sc, &line, &len, &off)) {
        (*total)++;
        if (rec_kind(line, len, name, &skip) != REC_CHAT)
            continue;
        unsigned i = 0;
        while (i < *n && strcmp((*since)[i].name, name) != 0)
            i++;
        if (i == *n) {
            if (*n == cap) {
                unsigned nc = cap ? 2 * cap : 8;
                struct transcript_count *ns = realloc(*since, nc * sizeof *ns);
                if (ns == NULL)
                    continue; /* counted as not copied: written twice at worst */
                *since = ns;
                cap = nc;
            }
            snprintf((*since)[i].name, sizeof(*since)[i].name, "%s", name);
            (*since)[i].nfile = 0;
            (*n)++;
        }
        (*since)[i].nfile++;
    }
    free(sc.buf);
    return sc.error ? -1 : 0;
}

/* One topic record "TOPIC #NAME TIME PINNED TEXT\n" in buf; its length, or
 * -1 when the name or the text cannot be a record. */
static int topic_format(char *buf, size_t cap, const char *room, int64_t time, bool pinned,
                        const char *text)
{
    if (!roomname_valid(room, strlen(room)))
        return -1;
    for (const unsigned char *q = (const unsigned char *)text; *q != '\0'; q++)
        if (*q < 0x20 || *q == 0x7f)
            return -1;
    int n = snprintf(buf, cap, "TOPIC %s %lld %d%s%s\n", room, (long long)time, pinned ? 1 : 0,
                     text[0] != '\0' ? " " : "", text);
    return n > 0 && (size_t)n < cap ? n : -1;
}

/* What a repair or a rotation writes of each room, through rooms->each. */
struct rewrite {
    struct transcript *t;
    int fd;
    off_t end;
    bool failed;
    bool histories; /* false: the topics only */
    bool readable;  /* since[] counts what the copy will bring */
    const struct transcript_count *since;
    unsigned nsince;
    unsigned kept;
    struct transcript_count *kept_by; /* per room, as t->counts */
    unsigned nkept;
};

static void rewrite_write(struct rewrite *rw, const char *p, size_t n)
{
    if (rw->failed)
        return;
    if (write_all(rw->fd, p, n) < 0) {
        rw->failed = true;
        return;
    }
    rw->end += (off_t)n;
}

static void rewrite_room(void *arg, const char *name, const struct history *h, const char *topic,
                         int64_t topic_time, bool pinned)
{
    struct rewrite *rw = arg;
    char buf[REC_MAX];
    if (topic != NULL && topic[0] != '\0') {
        int n = topic_format(buf, sizeof buf, name, topic_time, pinned, topic);
        if (n > 0)
            rewrite_write(rw, buf, (size_t)n);
    }
    if (!rw->histories || h == NULL || !roomname_valid(name, strlen(name)))
        return;
    /* The newest k records of this room's history were in the lost FILE;
     * the last `since` of them (maybe more: the history is bounded) are
     * among the bytes written since the last good check. */
    bool main_room = strcmp(name, ROOM_MAIN) == 0;
    unsigned in_file = count_of(rw->t->counts, rw->t->ncounts, name);
    unsigned k = h->count < in_file ? h->count : in_file;
    unsigned since = rw->readable ? count_of(rw->since, rw->nsince, name) : 0;
    unsigned skip = since < k ? since : k, kept = 0;
    size_t plen = main_room ? 0 : strlen(name) + 1;
    for (unsigned i = h->count - k; i < h->count - skip; i++) {
        const struct outmsg *m = history_get(h, i, true);
        if (plen + m->len > sizeof buf)
            continue;
        if (plen > 0) {
            memcpy(buf, name, plen);
            buf[plen - 1] = ' '; /* over its NUL */
        }
        memcpy(buf + plen, m->data, m->len);
        rewrite_write(rw, buf, plen + m->len);
        kept++;
    }
    rw->kept += kept;
    if (rw->nkept < rw->t->ncounts + rw->nsince) {
        snprintf(rw->kept_by[rw->nkept].name, sizeof rw->kept_by[rw->nkept].name, "%s", name);
        rw->kept_by[rw->nkept++].nfile = kept;
    }
}

int transcript_repair(struct transcript *t)
{
    pthread_mutex_lock(&t->lock);
    enum transcript_lost lost = t->lost;
    off_t from = t->checked_end, to = t->end;
    pthread_mutex_unlock(&t->lock);
    if (lost == TRANSCRIPT_OK)
        return 0;
    int old = t->fd;
    struct stat st;
    off_t end;
    int fd = open_append(t->path, &st, &end);
    if (fd < 0) {
        note_add(t,
                 "WARNING: transcript %s was %s while the server ran, and cannot be "
                 "created again (%s); messages are refused until it can be",
                 t->path, lost_words[lost], strerror(errno));
        return -1;
    }
    off_t start = end;
    unsigned since = 0;
    struct rewrite rw = {.t = t, .fd = fd, .end = end, .histories = lost != TRANSCRIPT_ROTATED};
    struct transcript_count *since_by = NULL;
    unsigned nsince = 0;
    if (rw.histories) {
        rw.readable = count_range(old, from, to, &since_by, &nsince, &since) == 0;
        rw.since = since_by;
        rw.nsince = nsince;
        /* Every room counted so far or copied may be written back. */
        rw.kept_by = calloc((size_t)t->ncounts + nsince + 1, sizeof *rw.kept_by);
        if (rw.kept_by == NULL) {
            errno = ENOMEM;
            goto fail;
        }
    }
    /* The topics first (a rotation's new FILE begins with them too), then
     * the histories, then the records copied: a topic set since the last
     * check comes after its older self. */
    if (t->rooms.each != NULL)
        t->rooms.each(t->rooms.arg, rewrite_room, &rw);
    if (rw.failed)
        goto fail;
    end = rw.end;
    if (rw.histories) {
        if (!rw.readable)
            since = 0;
        else if (copy_range(old, fd, from, to, &since) < 0)
            goto fail;
        else
            end += to - from;
    }
    transcript_set_fd(t, fd, &st, end);
    counts_zero(t);
    for (unsigned i = 0; i < rw.nkept; i++)
        count_set(t, rw.kept_by[i].name, rw.kept_by[i].nfile);
    for (unsigned i = 0; rw.readable && i < nsince; i++) {
        struct transcript_count *c = count_find(t, since_by[i].name);
        if (c != NULL)
            c->nfile += since_by[i].nfile;
    }
    free(rw.kept_by);
    free(since_by);
    unsigned kept = rw.kept;
    if (lost == TRANSCRIPT_ROTATED) {
        note_add(t, "transcript %s is %s now: a new %s is begun", t->path, t->path1, t->path);
    } else {
        note_add(t,
                 "WARNING: transcript %s was %s while the server ran: written again "
                 "with %u message%s of the history and %u written since it was last seen",
                 t->path, lost_words[lost], kept, kept == 1 ? "" : "s", since);
        /* Each record in one file: those are in FILE now, not also in a
         * renamed-away file. */
        if (ftruncate(old, from) < 0) {
            /* a renamed-away file keeps copies; nothing loads it */
        }
    }
    struct stat ost;
    if (fstat(old, &ost) == 0 && ost.st_nlink > 0)
        fdatasync(old); /* its records live on under another name */
    close(old);
    fsync_dir(t->path); /* the new name; its data is synced as ever */
    return 0;
fail:
    note_add(t,
             "WARNING: transcript %s was %s while the server ran, and cannot be written "
             "again (%s); messages are refused until it can be",
             t->path, lost_words[lost], strerror(errno));
    free(rw.kept_by);
    free(since_by);
    if (ftruncate(fd, start) < 0) {
        /* the next attempt finds it and appends: records twice at worst */
    }
    close(fd);
    return -1;
}

/* ---- rotation ---- */

/* FILE -> FILE.1 and a new FILE, which begins with every room's topic, so
 * that loading finds them however many rotations ago they were set. The
 * old records are made durable, and the directory once the new FILE
 * exists, so that a power cut leaves both names on whole data. This holds
 * the room (we are under reg_lock) for those two syncs, once per
 * --transcript-max bytes. When the new FILE cannot be created, the state
 * is the one a check would find (FILE.1 is ours) and the repair retries
 * with each record. */
static void transcript_rotate(struct transcript *t)
{
    if (rename(t->path, t->path1) < 0) {
        if (!t->rotate_failed)
            note_add(t, "WARNING: transcript %s: cannot rotate it to %s (%s); it grows on", t->path,
                     t->path1, strerror(errno));
        t->rotate_failed = true;
        return;
    }
    t->rotate_failed = false;
    if (fdatasync(t->fd) < 0)
        note_add(t, "transcript %s: fdatasync: %s", t->path1, strerror(errno));
    struct stat st;
    off_t end;
    int fd = open_append(t->path, &st, &end);
    if (fd < 0) {
        note_add(t,
                 "WARNING: transcript %s: rotated, but cannot begin a new one (%s); "
                 "messages are refused until it can be",
                 t->path, strerror(errno));
        pthread_mutex_lock(&t->lock);
        t->lost = TRANSCRIPT_ROTATED;
        pthread_mutex_unlock(&t->lock);
        return;
    }
    struct rewrite rw = {.t = t, .fd = fd, .end = end};
    if (t->rooms.each != NULL)
        t->rooms.each(t->rooms.arg, rewrite_room, &rw);
    if (rw.failed) {
        /* FILE.1 still has them, and loading reads it: said, not fatal. */
        note_add(t, "transcript %s: cannot write the topics into the new file (%s)", t->path,
                 strerror(errno));
        if (ftruncate(fd, end) == 0)
            rw.end = end;
    }
    int old = t->fd;
    transcript_set_fd(t, fd, &st, rw.end);
    counts_zero(t);
    close(old);
    fsync_dir(t->path);
    note_add(t, "transcript %s rotated: the older messages are in %s", t->path, t->path1);
}

/* ---- appending ---- */

/* Repairs FILE if a check found it lost; -1 while it cannot be. */
static int transcript_heal(struct transcript *t)
{
    pthread_mutex_lock(&t->lock);
    bool lost = t->lost != TRANSCRIPT_OK;
    pthread_mutex_unlock(&t->lock);
    return lost ? transcript_repair(t) : 0;
}

/* Appends one whole record; `chat`: a chat record of room `room`. */
static int transcript_write(struct transcript *t, const char *room, bool chat, const char *rec,
                            size_t len)
{
    if (t->cut_pending && transcript_cut(t) < 0)
        return -1;
    if (transcript_heal(t) < 0)
        return -1;
    /* The record that would cross the limit begins the new file. Only our
     * own FILE is rotated: one replaced meanwhile (not checked yet) must
     * not become FILE.1, it is repaired instead. */
    if (t->max > 0 && t->end > 0 && t->end + (off_t)len > t->max) {
        transcript_verify(t);
        if (transcript_heal(t) < 0)
            return -1;
        if (t->end > 0 && t->end + (off_t)len > t->max)
            transcript_rotate(t);
        pthread_mutex_lock(&t->lock);
        bool lost = t->lost != TRANSCRIPT_OK;
        pthread_mutex_unlock(&t->lock);
        if (lost)
            return -1;
    }
    off_t before = t->end;
    if (write_all(t->fd, rec, len) < 0) {
        note_add(t, "transcript %s: %s", t->path, strerror(errno));
        transcript_cut(t);
        return -1;
    }
    if (chat) {
        struct transcript_count *c = count_find(t, room);
        if (c != NULL && c->nfile < UINT_MAX)
            c->nfile++;
    }
    pthread_mutex_lock(&t->lock);
    t->end = before + (off_t)len;
    if (!t->dirty) {
        t->dirty = true;
        pthread_cond_signal(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
    return 0;
}

int transcript_append(struct transcript *t, const char *room, const char *line, size_t len)
{
    t->note[0] = '\0';
    if (room == NULL || strcmp(room, ROOM_MAIN) == 0)
        return transcript_write(t, ROOM_MAIN, true, line, len);
    char rec[REC_MAX];
    size_t n = strlen(room);
    if (!roomname_valid(room, n) || n + 1 + len > sizeof rec) {
        note_add(t, "transcript %s: not a record of a room: %.*s", t->path, ROOMNAME_MAX + 1, room);
        return -1;
    }
    memcpy(rec, room, n + 1);
    rec[n] = ' '; /* over its NUL */
    memcpy(rec + n + 1, line, len);
    return transcript_write(t, room, true, rec, n + 1 + len);
}

int transcript_topic(struct transcript *t, const char *room, int64_t time, bool pinned,
                     const char *text)
{
    t->note[0] = '\0';
    char rec[REC_MAX];
    int n = topic_format(rec, sizeof rec, room, time, pinned, text);
    if (n < 0) {
        note_add(t,
                 "transcript %s: a topic of %.*s cannot be a record (a bad name, a control "
                 "character or too long)",
                 t->path, ROOMNAME_MAX + 1, room);
        return -1;
    }
    return transcript_write(t, room, false, rec, (size_t)n);
}

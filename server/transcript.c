/* transcript: every chat message appended to a file before it is
 * acknowledged, and the newest ones loaded back into history at start.
 *
 * A record is the framed CHAT line itself ("CHAT TIME NICK TEXT\n"), so
 * there is one format to document and one parser. Durability: each record
 * is write(2)n before its ACK is queued, so it survives the server being
 * killed (the kernel has it); a background thread fdatasync()s at most
 * every TRANSCRIPT_SYNC_MS, so a power cut may lose that much. A record
 * torn by a crash (no final LF) is cut off at start and skipped on load.
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
 *   repair writes a new FILE with the newest records of the history that
 *   the lost one held and those bytes, copied from our descriptor: a
 *   restart restores what newcomers were being shown.
 * - growth: past --transcript-max, FILE becomes FILE.1 (the one older
 *   file kept) and a new FILE is started; a record goes whole into one of
 *   them, and loading reads FILE.1's tail when FILE is short. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A loaded file's tail: enough for any history (which holds at most
 * HISTORY_BYTES of records) plus the line it may start in the middle of. */
enum { LOAD_TAIL_BYTES = HISTORY_BYTES + WIRE_MAX, SCAN_CHUNK = 64 * 1024 };

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

/* ---- loading ---- */

/* Turns one record into history entries; false when it is not one. */
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

/* One file's newest records: its last LOAD_TAIL_BYTES, whole lines only,
 * and how many lines come before them (counted up to `older_max`). */
struct tail {
    char *data;     /* NULL: no such file */
    char *p, *end;  /* the whole lines */
    unsigned lines; /* in [p, end) */
    uint64_t older; /* lines before p, at most older_max */
};

/* Lines (LFs) in fd before offset `before`, counted backwards up to max. */
static uint64_t count_lines_before(int fd, off_t before, uint64_t max)
{
    char *buf = malloc(SCAN_CHUNK);
    uint64_t n = 0;
    if (buf == NULL)
        return 0; /* the note on older messages counts fewer: no harm */
    while (before > 0 && n < max) {
        off_t from = before > SCAN_CHUNK ? before - SCAN_CHUNK : 0;
        ssize_t got = pread(fd, buf, (size_t)(before - from), from);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        for (ssize_t i = 0; i < got; i++)
            n += buf[i] == '\n';
        before = from;
    }
    free(buf);
    return n < max ? n : max;
}

static int tail_read(const char *path, uint64_t older_max, struct tail *tl, char *err, size_t ecap)
{
    memset(tl, 0, sizeof *tl);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* a first run, or never rotated */
        snprintf(err, ecap, "transcript %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, ecap, "transcript %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    off_t from = st.st_size > LOAD_TAIL_BYTES ? st.st_size - LOAD_TAIL_BYTES : 0;
    size_t size = (size_t)(st.st_size - from), got = 0;
    tl->data = malloc(size + 1);
    if (tl->data == NULL) {
        snprintf(err, ecap, "transcript %s: out of memory", path);
        close(fd);
        return -1;
    }
    while (got < size) {
        ssize_t n = pread(fd, tl->data + got, size - got, from + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    /* Whole lines only: skip a partial first line (when we started
     * mid-file) and a torn last one (no LF). */
    size_t first = 0, last = got;
    if (from > 0) {
        const char *nl = memchr(tl->data, '\n', got);
        first = nl ? (size_t)(nl - tl->data) + 1 : got;
    }
    while (last > first && tl->data[last - 1] != '\n')
        last--;
    tl->p = tl->data + first;
    tl->end = tl->data + last;
    for (char *q = tl->p; (q = memchr(q, '\n', (size_t)(tl->end - q))) != NULL; q++)
        tl->lines++;
    off_t start = from + (tl->p - tl->data);
    if (start > 0)
        tl->older = count_lines_before(fd, start, older_max);
    close(fd);
    return 0;
}

/* Pushes a tail's records into h, oldest first; returns how many. */
static unsigned tail_push(struct history *h, const struct tail *tl)
{
    unsigned n = 0;
    history_count_older(h, tl->older);
    for (char *p = tl->p; p < tl->end;) {
        char *nl = memchr(p, '\n', (size_t)(tl->end - p));
        if (transcript_record(h, p, (size_t)(nl - p)))
            n++;
        p = nl + 1;
    }
    return n;
}

/* FILE's newest records, after FILE.1's when FILE alone holds fewer than
 * h->cap. *in_file: FILE's records (as far as counted). */
static int transcript_load_both(const char *path, struct history *h, unsigned *loaded,
                                unsigned *in_file, char *err, size_t ecap)
{
    *loaded = 0;
    *in_file = 0;
    if (h->cap == 0)
        return 0;
    struct tail cur, old = {0};
    if (tail_read(path, h->cap, &cur, err, ecap) < 0)
        return -1;
    uint64_t have = cur.lines + cur.older;
    if (have < h->cap) {
        char path1[PATH_MAX];
        snprintf(path1, sizeof path1, "%s.1", path);
        if (tail_read(path1, h->cap - have, &old, err, ecap) < 0) {
            free(cur.data);
            return -1;
        }
        tail_push(h, &old);
    }
    *in_file = tail_push(h, &cur);
    if (cur.older > UINT_MAX - *in_file)
        *in_file = UINT_MAX;
    else
        *in_file += (unsigned)cur.older;
    free(cur.data);
    free(old.data);
    *loaded = h->count;
    return 0;
}

int transcript_load(const char *path, struct history *h, unsigned *loaded, char *err, size_t ecap)
{
    unsigned in_file;
    return transcript_load_both(path, h, loaded, &in_file, err, ecap);
}

/* ---- opening and closing ---- */

int transcript_open(struct transcript *t, const char *path, int64_t max, struct history *h,
                    unsigned *loaded, char *err, size_t ecap)
{
    memset(t, 0, sizeof *t);
    t->fd = -1;
    t->max = max;
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
    if (transcript_load_both(path, h, loaded, &t->nfile, err, ecap) < 0)
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
    t->path = t->path1 = NULL;
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
    t->path = t->path1 = NULL;
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
static int copy_range(int in, int out, off_t from, off_t to, unsigned *lines, bool write_it)
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
        if (n <= 0 || (write_it && write_all(out, buf, (size_t)n) < 0)) {
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

int transcript_repair(struct transcript *t, const struct history *h)
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
    unsigned kept = 0, since = 0;
    if (lost != TRANSCRIPT_ROTATED) {
        /* The newest k records of the history were in the lost FILE; the
         * last `since` of them (maybe more: the history is bounded) are
         * the bytes written since the last good check. */
        bool readable = copy_range(old, -1, from, to, &since, false) == 0;
        unsigned k = h->count < t->nfile ? h->count : t->nfile;
        unsigned skip = readable ? (since < k ? since : k) : 0;
        for (unsigned i = h->count - k; i < h->count - skip; i++) {
            const struct outmsg *m = history_get(h, i, true);
            if (write_all(fd, m->data, m->len) < 0)
                goto fail;
            end += (off_t)m->len;
            kept++;
        }
        if (!readable)
            since = 0;
        else if (copy_range(old, fd, from, to, &since, true) < 0)
            goto fail;
        else
            end += to - from;
    }
    transcript_set_fd(t, fd, &st, end);
    t->nfile = kept + since;
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
    if (ftruncate(fd, start) < 0) {
        /* the next attempt finds it and appends: records twice at worst */
    }
    close(fd);
    return -1;
}

/* ---- rotation ---- */

/* FILE -> FILE.1 and a new FILE. The old records are made durable, and the
 * directory once the new FILE exists, so that a power cut leaves both
 * names on whole data. This holds the room (we are under reg_lock) for
 * those two syncs, once per --transcript-max bytes. When the new FILE
 * cannot be created, the state is the one a check would find (FILE.1 is
 * ours) and the repair retries with each record. */
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
    int old = t->fd;
    transcript_set_fd(t, fd, &st, end);
    t->nfile = 0;
    close(old);
    fsync_dir(t->path);
    note_add(t, "transcript %s rotated: the older messages are in %s", t->path, t->path1);
}

/* ---- appending ---- */

/* Repairs FILE if a check found it lost; -1 while it cannot be. */
static int transcript_heal(struct transcript *t, const struct history *h)
{
    pthread_mutex_lock(&t->lock);
    bool lost = t->lost != TRANSCRIPT_OK;
    pthread_mutex_unlock(&t->lock);
    return lost ? transcript_repair(t, h) : 0;
}

int transcript_append(struct transcript *t, const struct history *h, const char *line, size_t len)
{
    t->note[0] = '\0';
    if (t->cut_pending && transcript_cut(t) < 0)
        return -1;
    if (transcript_heal(t, h) < 0)
        return -1;
    /* The record that would cross the limit begins the new file. Only our
     * own FILE is rotated: one replaced meanwhile (not checked yet) must
     * not become FILE.1, it is repaired instead. */
    if (t->max > 0 && t->end > 0 && t->end + (off_t)len > t->max) {
        transcript_verify(t);
        if (transcript_heal(t, h) < 0)
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
    if (write_all(t->fd, line, len) < 0) {
        note_add(t, "transcript %s: %s", t->path, strerror(errno));
        transcript_cut(t);
        return -1;
    }
    if (t->nfile < UINT_MAX)
        t->nfile++;
    pthread_mutex_lock(&t->lock);
    t->end = before + (off_t)len;
    if (!t->dirty) {
        t->dirty = true;
        pthread_cond_signal(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
    return 0;
}

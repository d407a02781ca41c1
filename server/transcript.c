/* transcript: every chat message appended to a file before it is
 * acknowledged, and the last N loaded back into history at start.
 *
 * A record is the framed CHAT line itself ("CHAT TIME NICK TEXT\n"), so
 * there is one format to document and one parser. Durability: each record
 * is write(2)n before its ACK is queued, so it survives the server being
 * killed (the kernel has it); a background thread fdatasync()s at most
 * every TRANSCRIPT_SYNC_MS, so a power cut may lose that much. A record
 * torn by a crash (no final LF) is skipped on load, and the next append
 * starts on a fresh line. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
        pthread_mutex_unlock(&t->lock);
        fdatasync(t->fd);
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

int transcript_open(struct transcript *t, const char *path, char *err, size_t ecap)
{
    memset(t, 0, sizeof *t);
    t->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (t->fd < 0) {
        snprintf(err, ecap, "transcript %s: %s", path, strerror(errno));
        return -1;
    }
    /* A crash may have left half a record. It was never acknowledged (the
     * ACK follows the whole write), so cut it off rather than let our next
     * LF turn it into a record. */
    int rfd = open(path, O_RDONLY | O_CLOEXEC);
    if (rfd >= 0) {
        off_t end = lseek(rfd, 0, SEEK_END), keep = end;
        char buf[512];
        while (keep > 0) {
            off_t from = keep > (off_t)sizeof buf ? keep - (off_t)sizeof buf : 0;
            ssize_t n = pread(rfd, buf, (size_t)(keep - from), from);
            if (n <= 0)
                break;
            char *nl = NULL;
            for (ssize_t i = n - 1; i >= 0 && !nl; i--)
                if (buf[i] == '\n')
                    nl = &buf[i];
            if (nl) {
                keep = from + (nl - buf) + 1;
                break;
            }
            keep = from;
        }
        if (keep < end && ftruncate(t->fd, keep) < 0) {
            snprintf(err, ecap, "transcript %s: cutting a torn record: %s", path, strerror(errno));
            close(rfd);
            close(t->fd);
            return -1;
        }
        close(rfd);
    }
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->cond, NULL);
    int rc = pthread_create(&t->thread, NULL, transcript_syncer, t);
    if (rc != 0) {
        snprintf(err, ecap, "transcript %s: thread: %s", path, strerror(rc));
        close(t->fd);
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->cond);
        return -1;
    }
    return 0;
}

int transcript_append(struct transcript *t, const char *line, size_t len)
{
    if (write_all(t->fd, line, len) < 0)
        return -1;
    pthread_mutex_lock(&t->lock);
    if (!t->dirty) {
        t->dirty = true;
        pthread_cond_signal(&t->cond);
    }
    pthread_mutex_unlock(&t->lock);
    return 0;
}

void transcript_close(struct transcript *t)
{
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    fdatasync(t->fd);
    close(t->fd);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->cond);
}

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

int transcript_load(const char *path, struct history *h, unsigned *loaded, char *err, size_t ecap)
{
    *loaded = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* a first run */
        snprintf(err, ecap, "transcript %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || h->cap == 0) {
        close(fd);
        return 0;
    }
    /* Only the tail matters: N records of at most WIRE_MAX bytes. */
    off_t want = (off_t)h->cap * WIRE_MAX;
    off_t from = st.st_size > want ? st.st_size - want : 0;
    size_t size = (size_t)(st.st_size - from);
    char *data = malloc(size + 1);
    if (data == NULL) {
        close(fd);
        snprintf(err, ecap, "transcript %s: out of memory", path);
        return -1;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = pread(fd, data + got, size - got, from + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    /* Complete records only: skip a partial first line (when we started
     * mid-file) and a torn last one (no LF). */
    char *p = data, *end = data + got;
    if (from > 0) {
        char *nl = memchr(p, '\n', got);
        p = nl ? nl + 1 : end;
    }
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break;
        if (transcript_record(h, p, (size_t)(nl - p)))
            (*loaded)++;
        p = nl + 1;
    }
    free(data);
    if (*loaded > h->cap)
        *loaded = h->cap;
    return 0;
}

/* trust: known_servers on disk (see trust.h). */
#define _GNU_SOURCE /* mkostemp */
#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "hostport.h"

enum { TRUST_FILE_MAX = 16 << 20 };

static int find_path(struct trust *t, char *err, size_t errlen)
{
    const char *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    int n;
    /* The XDG spec: a relative value is invalid and is ignored. */
    if (xdg && xdg[0] == '/')
        n = snprintf(t->path, sizeof(t->path), "%s/sockchat/known_servers", xdg);
    else if (home && home[0])
        n = snprintf(t->path, sizeof(t->path), "%s/.local/share/sockchat/known_servers", home);
    else {
        snprintf(err, errlen, "known_servers: neither XDG_DATA_HOME nor HOME is set");
        return -1;
    }
    if (n < 0 || (size_t)n >= sizeof(t->path)) {
        snprintf(err, errlen, "known_servers: the path is too long");
        return -1;
    }
    return 0;
}

int trust_load(struct trust *t, char *err, size_t errlen)
{
    known_init(&t->k);
    if (find_path(t, err, errlen) < 0)
        return -1;
    int fd = open(t->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "known_servers %s: %s", t->path, strerror(errno));
        return -1;
    }
    char *buf = malloc(TRUST_FILE_MAX);
    size_t len = 0;
    ssize_t r = 0;
    while (buf && len < TRUST_FILE_MAX && (r = read(fd, buf + len, TRUST_FILE_MAX - len)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        len += (size_t)r;
    }
    int saved = errno;
    close(fd);
    int rc = -1;
    if (buf == NULL)
        snprintf(err, errlen, "known_servers %s: out of memory", t->path);
    else if (r < 0)
        snprintf(err, errlen, "known_servers %s: %s", t->path, strerror(saved));
    else if (len == TRUST_FILE_MAX)
        snprintf(err, errlen, "known_servers %s: over %d MiB", t->path, TRUST_FILE_MAX >> 20);
    else {
        char why[200];
        rc = known_parse(&t->k, buf, len, why, sizeof(why));
        if (rc < 0)
            snprintf(err, errlen, "known_servers %s: %s", t->path, why);
    }
    free(buf);
    return rc;
}

/* mkdir -p for the file's directory; the directories made are 0700
 * (existing ones are left as they are). */
static int make_dirs(const char *file, char *err, size_t errlen)
{
    char d[PATH_MAX];
    snprintf(d, sizeof(d), "%s", file);
    char *slash = strrchr(d, '/');
    if (slash == NULL || slash == d)
        return 0;
    *slash = '\0';
    for (char *p = d + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(d, 0700) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "known_servers: mkdir %s: %s", d, strerror(errno));
            return -1;
        }
        *p = c;
        if (c == '\0')
            return 0;
    }
}

static int write_all(int fd, const char *s, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, s, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        s += w;
        len -= (size_t)w;
    }
    return 0;
}

int trust_save(struct trust *t, char *err, size_t errlen)
{
    if (make_dirs(t->path, err, errlen) < 0)
        return -1;
    size_t len;
    char *text = known_format(&t->k, &len);
    if (text == NULL) {
        snprintf(err, errlen, "known_servers %s: out of memory", t->path);
        return -1;
    }
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", t->path);
    int fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
    if (fd < 0) {
        snprintf(err, errlen, "known_servers %s: %s", tmp, strerror(errno));
        free(text);
        return -1;
    }
    int rc = write_all(fd, text, len) < 0 || fsync(fd) < 0 ? -1 : 0;
    int saved = errno;
    free(text);
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, t->path) < 0) {
        rc = -1;
        saved = errno;
    }
    if (rc < 0) {
        snprintf(err, errlen, "known_servers %s: %s", t->path, strerror(saved));
        unlink(tmp);
    }
    return rc;
}

void trust_free(struct trust *t)
{
    known_free(&t->k);
}

enum trust_verdict trust_check(const struct trust *t, const char *key,
                               const unsigned char sha[FP_BYTES], size_t *line,
                               unsigned char old[FP_BYTES])
{
    *line = known_find(&t->k, key, old);
    if (*line == 0)
        return TRUST_NEW;
    return memcmp(old, sha, FP_BYTES) == 0 ? TRUST_KNOWN : TRUST_CHANGED;
}

void trust_changed_text(const struct trust *t, const char *key, size_t line,
                        const unsigned char old[FP_BYTES], const unsigned char now[FP_BYTES],
                        char *buf, size_t cap)
{
    char a[FP_TEXT_SIZE], b[FP_TEXT_SIZE];
    fp_format(old, a);
    fp_format(now, b);
    snprintf(buf, cap,
             "WARNING: THE CERTIFICATE OF %s HAS CHANGED: NOT CONNECTING.\n"
             "Someone may be impersonating the server (reading everything, your password "
             "included), or its key was replaced.\n"
             "  trusted: SHA-256 %s (%s line %zu)\n"
             "  offered: SHA-256 %s\n"
             "Ask the server's operator for its fingerprint (its log prints it). If the change "
             "is expected, remove the old entry: sockchat --forget %s (or sed -i '%zud' %s)",
             key, a, t->path, line, b, key, line, t->path);
}

int trust_forget(const char *hostport)
{
    char host[256], port[16], key[KNOWN_KEY_MAX], err[PATH_MAX + 200];
    const char *hp = hostport;
    if (strncasecmp(hp, "tls://", 6) == 0)
        hp += 6;
    if (hostport_split(hp, host, sizeof(host), port, sizeof(port)) != 1 ||
        known_key(host, port, key, sizeof(key)) == 0) {
        fprintf(stderr, "sockchat: --forget %s: want HOST:PORT or [IPV6]:PORT\n", hostport);
        return EX_USAGE;
    }
    struct trust t;
    if (trust_load(&t, err, sizeof(err)) < 0) {
        fprintf(stderr, "sockchat: %s\n", err);
        return EX_NOINPUT;
    }
    size_t line = known_find(&t.k, key, NULL);
    if (line == 0) {
        printf("%s is not in %s: nothing to forget\n", key, t.path);
        trust_free(&t);
        return 1;
    }
    known_remove(&t.k, key);
    int rc = EX_OK;
    if (trust_save(&t, err, sizeof(err)) < 0) {
        fprintf(stderr, "sockchat: %s\n", err);
        rc = EX_CANTCREAT;
    } else {
        printf("removed %s from %s (line %zu); the next connection asks again\n", key, t.path,
               line);
    }
    trust_free(&t);
    return rc;
}

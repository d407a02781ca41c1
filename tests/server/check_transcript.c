/* transcript: a failed write cut back, FILE deleted or replaced while
 * running, rotation to FILE.1, and what a restart loads after each. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

static char tpath[64], tpath1[80], tpath_old[80];

static void tx_setup(void)
{
    fx_setup_with(30, 0, 100);
    snprintf(tpath, sizeof tpath, "/tmp/check_transcript_%d", (int)getpid());
    snprintf(tpath1, sizeof tpath1, "%s.1", tpath);
    snprintf(tpath_old, sizeof tpath_old, "%s.old", tpath);
    unlink(tpath);
    unlink(tpath1);
    rmdir(tpath1);
    unlink(tpath_old);
}

static void tx_teardown(void)
{
    if (fx_srv.transcript != NULL)
        transcript_close(fx_srv.transcript);
    fx_srv.transcript = NULL;
    fx_teardown();
    unlink(tpath);
    unlink(tpath1);
    rmdir(tpath1);
    unlink(tpath_old);
}

static struct transcript tr;

/* tr.lost, which the syncer may be writing. */
static enum transcript_lost lost_now(void)
{
    pthread_mutex_lock(&tr.lock);
    enum transcript_lost v = tr.lost;
    pthread_mutex_unlock(&tr.lock);
    return v;
}

static void tx_open(int64_t max)
{
    char err[256];
    unsigned loaded;
    struct transcript_rooms rooms;
    transcript_rooms_one(&rooms, &fx_srv.hist);
    ck_assert_int_eq(transcript_open(&tr, tpath, max, &rooms, &loaded, err, sizeof err), 0);
    fx_srv.transcript = &tr;
}

static void tx_close(void)
{
    transcript_close(&tr);
    fx_srv.transcript = NULL;
}

/* The whole file, NUL-terminated (static); "" when it is missing. */
static const char *slurp(const char *path)
{
    static char buf[256 * 1024];
    size_t got = 0;
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n;
        while (got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
            got += (size_t)n;
        close(fd);
    }
    buf[got] = '\0';
    return buf;
}

static off_t size_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* "CHAT 1700000000 alice m<from>\n" ... up to m<to - 1>. */
static const char *records(int from, int to)
{
    static char buf[64 * 1024];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = from; i < to; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "CHAT 1700000000 alice m%d\n", i);
    return buf;
}

static void say(struct client *c, int from, int to)
{
    char line[64];
    for (int i = from; i < to; i++) {
        snprintf(line, sizeof line, "MSG %d m%d\n", i + 1, i);
        fx_feed(c, line);
    }
}

/* What a restart would load, as the framed lines, oldest first. */
static const char *reloaded(unsigned cap)
{
    static char buf[64 * 1024];
    struct history h;
    unsigned loaded;
    char err[256];
    struct transcript_rooms rooms;
    history_init(&h, cap);
    transcript_rooms_one(&rooms, &h);
    ck_assert_int_eq(transcript_load(tpath, &rooms, &loaded, err, sizeof err), 0);
    size_t n = 0;
    for (unsigned i = 0; i < h.count; i++) {
        struct outmsg *m = history_get(&h, i, true);
        ck_assert_uint_lt(n + m->len, sizeof buf);
        memcpy(buf + n, m->data, m->len);
        n += m->len;
    }
    buf[n] = '\0';
    history_free(&h);
    return buf;
}

/* ---- the repairs ---- */

/* A write that fails half-way (here at a file size limit, as with a full
 * disk) leaves nothing behind: the next record is whole and alone. */
START_TEST(test_transcript_failed_write_cut)
{
    struct rlimit was, lim;
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &was), 0);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    tx_open(0);
    struct client *a = fx_framed("alice");
    say(a, 0, 2);
    fx_drain(a);
    off_t good = size_of(tpath);
    lim = was;
    lim.rlim_cur = (rlim_t)good + 100;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    static char big[1100];
    memcpy(big, "MSG 9 ", 6);
    memset(big + 6, 'z', 1000);
    memcpy(big + 1006, "\n", 2);
    fx_feed(a, big);
    off_t after = size_of(tpath);
    /* Back before asserting: Check reports through a file of its own. */
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &was), 0);
    signal(SIGXFSZ, old_handler);
    ck_assert_str_eq(fx_drain(a), "ERR transcript message not sent: the server cannot save it\n");
    ck_assert_int_eq(after, good); /* the 100 bytes that fit are gone */
    fx_feed(a, "MSG 10 after\n");
    ck_assert_str_eq(fx_drain(a), "ACK 10\n");
    tx_close();
    ck_assert_str_eq(slurp(tpath), "CHAT 1700000000 alice m0\nCHAT 1700000000 alice m1\n"
                                   "CHAT 1700000000 alice after\n");
}
END_TEST

/* A record of text m<i>, ending exactly at the end of buf. */
static bool ends_with(const char *buf, const char *tail)
{
    size_t n = strlen(buf), m = strlen(tail);
    return n >= m && strcmp(buf + n - m, tail) == 0;
}

/* FILE deleted while running: the check (the syncer's, before each
 * fdatasync; here called at once) finds it, and the next record begins
 * with a repair: FILE again, with the history and what went into the lost
 * file since the last good check. */
START_TEST(test_transcript_deleted)
{
    tx_open(0);
    struct client *a = fx_framed("alice");
    say(a, 0, 40);
    ck_assert_int_eq(transcript_verify(&tr), TRANSCRIPT_OK);
    ck_assert_int_eq(unlink(tpath), 0);
    say(a, 40, 41); /* acknowledged into the lost file (unless the syncer was quicker) */
    transcript_verify(&tr);
    ck_assert_int_eq(lost_now(), TRANSCRIPT_DELETED);
    say(a, 41, 42);
    ck_assert_ptr_nonnull(strstr(fx_drain(a), "ACK 42\n"));
    ck_assert_int_eq(lost_now(), TRANSCRIPT_OK);
    ck_assert_ptr_nonnull(strstr(tr.note, "was deleted (or renamed away)"));
    /* --history 30: m11-m40 (m10 too if the syncer found it before m40). */
    ck_assert(ends_with(slurp(tpath), records(11, 42)));
    say(a, 42, 43);
    tx_close();
    ck_assert_str_eq(reloaded(30), records(13, 43));
}
END_TEST

/* More records went into the lost file than the history holds: all of
 * them are copied into the new FILE, not only the history's. */
START_TEST(test_transcript_deleted_window)
{
    tx_open(0);
    struct client *a = fx_framed("alice");
    say(a, 0, 5);
    ck_assert_int_eq(transcript_verify(&tr), TRANSCRIPT_OK);
    ck_assert_int_eq(unlink(tpath), 0);
    say(a, 5, 50);
    transcript_verify(&tr);
    say(a, 50, 51);
    const char *got = slurp(tpath);
    int from = atoi(got + strlen("CHAT 1700000000 alice m"));
    ck_assert_int_le(from, 5);
    ck_assert_str_eq(got, records(from, 51));
}
END_TEST

/* FILE renamed away (logrotate's way) while running: the same, and the
 * renamed file keeps what it had then, each record in one file only.
 * Renamed to our own FILE.1, it is a rotation: FILE begins afresh, and
 * nothing is loaded twice. */
START_TEST(test_transcript_replaced)
{
    tx_open(0);
    struct client *a = fx_framed("alice");
    say(a, 0, 5);
    ck_assert_int_eq(transcript_verify(&tr), TRANSCRIPT_OK);
    ck_assert_int_eq(rename(tpath, tpath_old), 0);
    say(a, 5, 6);
    transcript_verify(&tr);
    say(a, 6, 7);
    ck_assert_str_eq(slurp(tpath_old), records(0, 5));
    ck_assert_str_eq(slurp(tpath), records(0, 7));

    /* Replaced by another (empty) file. */
    ck_assert_int_eq(transcript_verify(&tr), TRANSCRIPT_OK);
    ck_assert_int_eq(unlink(tpath), 0);
    int fd = open(tpath, O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    say(a, 7, 8);
    transcript_verify(&tr);
    ck_assert_int_eq(lost_now(), TRANSCRIPT_REPLACED);
    say(a, 8, 9);
    ck_assert_str_eq(slurp(tpath), records(0, 9));

    ck_assert_int_eq(transcript_verify(&tr), TRANSCRIPT_OK);
    ck_assert_int_eq(rename(tpath, tpath1), 0);
    say(a, 9, 10);
    transcript_verify(&tr);
    ck_assert_int_eq(lost_now(), TRANSCRIPT_ROTATED);
    say(a, 10, 11);
    ck_assert_str_eq(slurp(tpath1), records(0, 10));
    ck_assert_str_eq(slurp(tpath), records(10, 11));
    tx_close();
    ck_assert_str_eq(reloaded(30), records(0, 11));
}
END_TEST

/* ---- rotation ---- */

/* Past the limit FILE becomes FILE.1; no file is ever past it (a record
 * is never split), and a restart loads FILE.1's tail before FILE. */
START_TEST(test_transcript_rotation)
{
    enum { MAX = 1024 };
    tx_open(MAX);
    struct client *a = fx_framed("alice");
    for (int i = 0; i < 300; i++) {
        say(a, i, i + 1);
        ck_assert_int_le(size_of(tpath), MAX);
    }
    ck_assert_int_le(size_of(tpath1), MAX);
    ck_assert_int_gt(size_of(tpath1), MAX - 40);
    /* Every record of the two files, in order, ends with m299. */
    char both[2 * MAX + 1];
    snprintf(both, sizeof both, "%s", slurp(tpath1));
    strcat(both, slurp(tpath));
    const char *tail = records(300 - 3, 300);
    ck_assert_str_eq(both + strlen(both) - strlen(tail), tail);
    const char *first = strstr(both, "CHAT");
    ck_assert_ptr_eq(first, both);
    int from = atoi(both + strlen("CHAT 1700000000 alice m"));
    ck_assert_str_eq(both, records(from, 300));
    ck_assert_int_gt(300 - from, 30);
    ck_assert_str_eq(reloaded(30), records(270, 300));

    /* FILE deleted just after a rotation: it gets back only what it had,
     * not the history that FILE.1 holds too (a restart would load it
     * twice). */
    int next = 300;
    while (size_of(tpath) != (off_t)strlen(records(next - 1, next)) && next < 400) {
        say(a, next, next + 1);
        next++;
    }
    ck_assert_int_lt(next, 400);
    ck_assert_int_eq(transcript_verify(&tr), TRANSCRIPT_OK);
    ck_assert_int_eq(unlink(tpath), 0);
    say(a, next, next + 1);
    transcript_verify(&tr);
    say(a, next + 1, next + 2);
    ck_assert_str_eq(slurp(tpath), records(next - 1, next + 2));
    tx_close();
    ck_assert_str_eq(reloaded(30), records(next + 2 - 30, next + 2));
}
END_TEST

START_TEST(test_transcript_rotation_fails)
{
    ck_assert_int_eq(mkdir(tpath1, 0700), 0); /* rename(FILE, dir) fails */
    tx_open(256);
    struct client *a = fx_framed("alice");
    say(a, 0, 20);
    const char *acks = fx_drain(a);
    ck_assert_ptr_nonnull(strstr(acks, "ACK 20\n"));
    ck_assert_ptr_null(strstr(acks, "ERR"));
    ck_assert_int_gt(size_of(tpath), 256);
    ck_assert_str_eq(slurp(tpath), records(0, 20)); /* it grows on, nothing lost */
    ck_assert(tr.rotate_failed);
    tx_close();
}
END_TEST

Suite *transcript_suite(void)
{
    Suite *s = suite_create("transcript");
    TCase *r = tcase_create("repairs");
    tcase_add_checked_fixture(r, tx_setup, tx_teardown);
    tcase_add_test(r, test_transcript_failed_write_cut);
    tcase_add_test(r, test_transcript_deleted);
    tcase_add_test(r, test_transcript_deleted_window);
    tcase_add_test(r, test_transcript_replaced);
    suite_add_tcase(s, r);
    TCase *rot = tcase_create("rotation");
    tcase_add_checked_fixture(rot, tx_setup, tx_teardown);
    tcase_add_test(rot, test_transcript_rotation);
    tcase_add_test(rot, test_transcript_rotation_fails);
    suite_add_tcase(s, rot);
    return s;
}

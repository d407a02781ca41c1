/* transcript and rooms: records per room and topics, through a fake table
 * of rooms (struct transcript_rooms), as the rooms will wire it: round
 * trips, an old single-room file, topics across rotations and past the
 * loaded tail, a torn record, a repair, names that are not rooms. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

enum { FAKE_ROOMS = 8 };

struct fake_room {
    char name[ROOMNAME_SIZE];
    struct history h;
    char topic[256];
    int64_t topic_time;
    bool pinned;
    unsigned topic_calls;
};

/* The rooms: made on demand, FAKE_ROOMS at most; "#refused" is never
 * made (history() says NULL), as a full table would. */
struct fake {
    struct fake_room r[FAKE_ROOMS];
    unsigned n, cap;
    struct transcript_rooms rooms;
};

static struct fake_room *fake_find(struct fake *f, const char *name, bool make)
{
    for (unsigned i = 0; i < f->n; i++)
        if (strcmp(f->r[i].name, name) == 0)
            return &f->r[i];
    if (!make || f->n == FAKE_ROOMS || strcmp(name, "#refused") == 0)
        return NULL;
    struct fake_room *r = &f->r[f->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    history_init(&r->h, f->cap);
    return r;
}

static struct history *fake_history(void *arg, const char *name)
{
    struct fake_room *r = fake_find(arg, name, true);
    return r != NULL ? &r->h : NULL;
}

static void fake_topic(void *arg, const char *name, int64_t time, bool pinned, const char *text)
{
    struct fake_room *r = fake_find(arg, name, true);
    if (r == NULL)
        return;
    snprintf(r->topic, sizeof r->topic, "%s", text);
    r->topic_time = time;
    r->pinned = pinned;
    r->topic_calls++;
}

static void fake_each(void *arg, transcript_room_fn *fn, void *fnarg)
{
    struct fake *f = arg;
    for (unsigned i = 0; i < f->n; i++)
        if (f->r[i].h.count > 0 || f->r[i].topic[0] != '\0')
            fn(fnarg, f->r[i].name, &f->r[i].h, f->r[i].topic, f->r[i].topic_time, f->r[i].pinned);
}

static void fake_init(struct fake *f, unsigned cap)
{
    memset(f, 0, sizeof *f);
    f->cap = cap;
    f->rooms = (struct transcript_rooms){
        .history = fake_history, .topic = fake_topic, .each = fake_each, .arg = f};
}

static void fake_free(struct fake *f)
{
    for (unsigned i = 0; i < f->n; i++)
        history_free(&f->r[i].h);
    f->n = 0;
}

/* A room's history as framed lines, oldest first (static); NULL: no room. */
static const char *fake_lines(struct fake *f, const char *name)
{
    static char buf[64 * 1024];
    struct fake_room *r = fake_find(f, name, false);
    if (r == NULL)
        return NULL;
    size_t n = 0;
    for (unsigned i = 0; i < r->h.count; i++) {
        const struct outmsg *m = history_get(&r->h, i, true);
        ck_assert_uint_lt(n + m->len, sizeof buf);
        memcpy(buf + n, m->data, m->len);
        n += m->len;
    }
    buf[n] = '\0';
    return buf;
}

static char tpath[64], tpath1[80];
static struct transcript tr;
static struct fake live, back; /* the running server's rooms; a restart's */

static void rx_setup(void)
{
    snprintf(tpath, sizeof tpath, "/tmp/check_transcript_rooms_%d", (int)getpid());
    snprintf(tpath1, sizeof tpath1, "%s.1", tpath);
    unlink(tpath);
    unlink(tpath1);
    fake_init(&live, 5);
    fake_init(&back, 5);
}

static void rx_teardown(void)
{
    fake_free(&live);
    fake_free(&back);
    unlink(tpath);
    unlink(tpath1);
}

static void rx_open(int64_t max)
{
    char err[256];
    unsigned loaded;
    ck_assert_int_eq(transcript_open(&tr, tpath, max, &live.rooms, &loaded, err, sizeof err), 0);
}

/* tr.lost, which the syncer may be writing. */
static enum transcript_lost lost_now(void)
{
    pthread_mutex_lock(&tr.lock);
    enum transcript_lost v = tr.lost;
    pthread_mutex_unlock(&tr.lock);
    return v;
}

/* A room's topic in `back` (the room must exist). */
static const char *topic_of(const char *name)
{
    struct fake_room *r = fake_find(&back, name, false);
    ck_assert_msg(r != NULL, "no room %s after the reload", name);
    return r->topic;
}

/* A restart: everything loaded into `back`; returns how many messages. */
static unsigned reload(void)
{
    char err[256];
    unsigned loaded = 0;
    fake_free(&back);
    ck_assert_int_eq(transcript_load(tpath, &back.rooms, &loaded, err, sizeof err), 0);
    return loaded;
}

/* What the server does for one chat message in `room`: the record, then
 * (saved) into the room's history. */
static void chat(const char *room, const char *text)
{
    char line[256], plain[256];
    int n = snprintf(line, sizeof line, "CHAT 1700000000 alice %s\n", text);
    int p = snprintf(plain, sizeof plain, "<alice> %s\n", text);
    ck_assert_int_eq(transcript_append(&tr, room, line, (size_t)n), 0);
    struct outmsg *f = outmsg_new(line, (size_t)n), *pl = outmsg_new(plain, (size_t)p);
    history_push(fake_history(&live, room != NULL ? room : ROOM_MAIN), f, pl);
    outmsg_unref(f);
    outmsg_unref(pl);
}

static void set_topic(const char *room, int64_t time, bool pinned, const char *text)
{
    ck_assert_int_eq(transcript_topic(&tr, room, time, pinned, text), 0);
    fake_topic(&live, room, time, pinned, text);
}

static const char *slurp(const char *path)
{
    static char buf[64 * 1024];
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

static void write_file(const char *path, const char *data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
    close(fd);
}

/* "CHAT 1700000000 alice <word><from>\n" ... <word><to - 1>. */
static const char *lines(const char *word, int from, int to)
{
    static char buf[16 * 1024];
    size_t n = 0;
    buf[0] = '\0';
    for (int i = from; i < to; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "CHAT 1700000000 alice %s%d\n", word, i);
    return buf;
}

/* ---- records ---- */

/* Each room's records come back into its own history, #main's records
 * are the framed line alone, and the newest topic per room wins. */
START_TEST(test_rooms_roundtrip)
{
    rx_open(0);
    chat(NULL, "m0");
    chat("#lab1", "a0");
    chat(ROOM_MAIN, "m1");
    chat("#lab2", "b0");
    chat("#lab1", "a1");
    set_topic("#lab1", 1700000005, false, "fractions");
    set_topic("#lab2", 1700000006, true, "quiet please");
    set_topic("#lab1", 1700000007, true, "decimals");
    set_topic("#lab2", 1700000008, false, "");
    transcript_close(&tr);
    ck_assert_str_eq(slurp(tpath), "CHAT 1700000000 alice m0\n"
                                   "#lab1 CHAT 1700000000 alice a0\n"
                                   "CHAT 1700000000 alice m1\n"
                                   "#lab2 CHAT 1700000000 alice b0\n"
                                   "#lab1 CHAT 1700000000 alice a1\n"
                                   "TOPIC #lab1 1700000005 0 fractions\n"
                                   "TOPIC #lab2 1700000006 1 quiet please\n"
                                   "TOPIC #lab1 1700000007 1 decimals\n"
                                   "TOPIC #lab2 1700000008 0\n");
    ck_assert_uint_eq(reload(), 5);
    ck_assert_str_eq(fake_lines(&back, ROOM_MAIN), lines("m", 0, 2));
    ck_assert_str_eq(fake_lines(&back, "#lab1"), lines("a", 0, 2));
    ck_assert_str_eq(fake_lines(&back, "#lab2"), lines("b", 0, 1));
    struct fake_room *l1 = fake_find(&back, "#lab1", false);
    ck_assert_str_eq(l1->topic, "decimals");
    ck_assert(l1->pinned);
    ck_assert_int_eq(l1->topic_time, 1700000007);
    struct fake_room *l2 = fake_find(&back, "#lab2", false);
    ck_assert_str_eq(l2->topic, ""); /* cleared */
    ck_assert(!l2->pinned);
    ck_assert_uint_eq(l2->topic_calls, 2);
    /* Plain clients get the history in their dialect. */
    ck_assert_mem_eq(history_get(&l1->h, 1, false)->data, "<alice> a1\n", 11);
}
END_TEST

/* A transcript written before rooms loads unchanged into #main. */
START_TEST(test_rooms_old_file)
{
    write_file(tpath, "CHAT 1700000000 alice m0\n"
                      "not a record\n"
                      "CHAT 1700000000 alice m1\n"
                      "CHAT 1700000000 alice m2\n");
    ck_assert_uint_eq(reload(), 3);
    ck_assert_uint_eq(back.n, 1);
    ck_assert_str_eq(fake_lines(&back, ROOM_MAIN), lines("m", 0, 3));
}
END_TEST

/* Lines that are not records of a room are skipped, silently, and so are
 * the records of a room the table has no place for. */
START_TEST(test_rooms_invalid_names)
{
    write_file(tpath, "#lab1 CHAT 1700000000 alice a0\n"
                      "#Lab1 CHAT 1700000000 alice a1\n" /* folded, as /join does */
                      "#bad! CHAT 1700000000 alice x\n"
                      "#abcdefghijklmnopqrstuvwxy CHAT 1700000000 alice x\n" /* 25 */
                      "# CHAT 1700000000 alice x\n"
                      "lab1 CHAT 1700000000 alice x\n"
                      "#lab1CHAT 1700000000 alice x\n"
                      "#lab1  CHAT 1700000000 alice x\n"
                      "#lab1 JOIN alice 2\n"
                      "#lab1 CHAT notatime alice x\n"
                      "#refused CHAT 1700000000 alice x\n"
                      "TOPIC lab1 1700000000 0 x\n"
                      "TOPIC #lab1 x 0 x\n"
                      "TOPIC #lab1 1700000000 2 x\n"
                      "TOPIC #lab1 1700000000 0\tx\n"
                      "TOPIC #lab1 1700000000 0 a\x01z\n"
                      "TOPIC #bad! 1700000000 0 x\n"
                      "TOPIC #lab1 1700000000 1 kept\n"
                      "TOPIC #lab1 1700000001 0 ctrl \x7f\n"
                      "TOPIC #lab1 1700000001 0 \xff\xfe\n"
                      "#lab1 CHAT 1700000000 alice a2\n");
    ck_assert_uint_eq(reload(), 3);
    ck_assert_str_eq(fake_lines(&back, "#lab1"), lines("a", 0, 3));
    struct fake_room *l1 = fake_find(&back, "#lab1", false);
    ck_assert_str_eq(l1->topic, "kept");
    ck_assert_uint_eq(l1->topic_calls, 1);
    ck_assert_ptr_null(fake_find(&back, "#bad!", false));
    ck_assert_ptr_null(fake_find(&back, "#refused", false));
    /* Only #lab1 was ever made: nothing else got through as a name. */
    ck_assert_uint_eq(back.n, 1);

    /* Nor does the server write such records. */
    rx_open(0);
    ck_assert_int_eq(transcript_append(&tr, "#bad!", "CHAT 1700000000 alice x\n", 24), -1);
    ck_assert_int_eq(transcript_topic(&tr, "#lab1", 1, false, "a\nTOPIC #x 1 1 y"), -1);
    ck_assert_int_eq(transcript_topic(&tr, "lab1", 1, false, "x"), -1);
    ck_assert_ptr_nonnull(strstr(tr.note, "cannot be a record"));
    transcript_close(&tr);
    ck_assert_uint_eq(reload(), 3); /* nothing was added */
}
END_TEST

/* A record torn by a crash, in a room: cut off at open, skipped at load. */
START_TEST(test_rooms_torn)
{
    rx_open(0);
    chat("#lab1", "a0");
    chat("#lab1", "a1");
    transcript_close(&tr);
    int fd = open(tpath, O_WRONLY | O_APPEND);
    ck_assert(write(fd, "#lab1 CHAT 1700000000 alice tor", 31) == 31);
    close(fd);
    ck_assert_uint_eq(reload(), 2);
    ck_assert_str_eq(fake_lines(&back, "#lab1"), lines("a", 0, 2));
    fake_free(&live);
    rx_open(0);
    chat("#lab1", "a2");
    transcript_close(&tr);
    ck_assert_str_eq(slurp(tpath), "#lab1 CHAT 1700000000 alice a0\n"
                                   "#lab1 CHAT 1700000000 alice a1\n"
                                   "#lab1 CHAT 1700000000 alice a2\n");
    reload();
    ck_assert_str_eq(fake_lines(&back, "#lab1"), lines("a", 0, 3));
}
END_TEST

/* ---- what the loaded tail does not hold ---- */

/* A record of about 120 bytes in #main, n times. */
static void busy_main(int n)
{
    char text[128];
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof text, "busy %d %090d", i, 0);
        chat(NULL, text);
    }
}

/* A quiet room's last messages survive a restart although a busy #main
 * wrote far more than the newest 264 KiB since; and so does its topic,
 * written once at the start. */
START_TEST(test_rooms_quiet_room)
{
    rx_open(0);
    set_topic("#lab1", 1700000001, false, "fractions");
    chat("#lab1", "a0");
    chat("#lab1", "a1");
    busy_main(3000); /* ~370 KiB */
    transcript_close(&tr);
    struct stat st;
    ck_assert_int_eq(stat(tpath, &st), 0);
    ck_assert_int_gt(st.st_size, HISTORY_BYTES + WIRE_MAX);
    ck_assert_uint_eq(reload(), 5 + 2);
    ck_assert_str_eq(fake_lines(&back, "#lab1"), lines("a", 0, 2));
    ck_assert_str_eq(topic_of("#lab1"), "fractions");
    /* #main: its newest 5, and the note counts those before. */
    struct fake_room *m = fake_find(&back, ROOM_MAIN, false);
    ck_assert_uint_eq(m->h.count, 5);
    ck_assert_ptr_nonnull(strstr(fake_lines(&back, ROOM_MAIN), "busy 2999 "));
    ck_assert_uint_eq(history_omitted(&m->h), 0);
    ck_assert_uint_eq(m->h.pushed, 10); /* 5 kept, 5 counted as older */
}
END_TEST

/* A rotation begins the new FILE with every room's topic, so a topic set
 * rotations ago, in neither file any more, still comes back. */
START_TEST(test_rooms_topic_rotation)
{
    enum { MAX = 2048 };
    rx_open(MAX);
    set_topic("#lab1", 1700000001, true, "fractions");
    set_topic("#lab2", 1700000002, false, "gone soon");
    chat("#lab1", "a0");
    set_topic("#lab2", 1700000003, false, "");
    busy_main(60); /* ~7 KiB: three rotations at least */
    transcript_close(&tr);
    /* The file it was set in is gone: FILE.1 was begun by a rotation too. */
    ck_assert(strncmp(slurp(tpath1), "TOPIC #lab1 1700000001 1 fractions\n", 35) == 0);
    ck_assert_ptr_null(strstr(slurp(tpath1), "a0"));
    const char *cur = slurp(tpath);
    ck_assert(strncmp(cur, "TOPIC #lab1 1700000001 1 fractions\n", 35) == 0);
    ck_assert_ptr_null(strstr(cur, "#lab2")); /* cleared: nothing to carry */
    struct stat st;
    ck_assert_int_eq(stat(tpath, &st), 0);
    ck_assert_int_le(st.st_size, MAX);
    ck_assert_int_eq(stat(tpath1, &st), 0);
    ck_assert_int_le(st.st_size, MAX);
    reload();
    struct fake_room *l1 = fake_find(&back, "#lab1", false);
    ck_assert_ptr_nonnull(l1);
    ck_assert_str_eq(l1->topic, "fractions");
    ck_assert(l1->pinned);
    ck_assert_int_eq(l1->topic_time, 1700000001);
    ck_assert_ptr_null(fake_find(&back, "#lab2", false));
    ck_assert_ptr_nonnull(strstr(fake_lines(&back, ROOM_MAIN), "busy 59 "));
}
END_TEST

/* ---- repair ---- */

/* FILE deleted while running: the repair writes every room's topic and
 * history back, and the records written since the last check once. */
START_TEST(test_rooms_repair)
{
    rx_open(0);
    chat(NULL, "m0");
    chat("#lab1", "a0");
    set_topic("#lab2", 1700000002, true, "pinned");
    chat("#lab1", "a1");
    chat(NULL, "m1");
    ck_assert_int_eq(transcript_verify(&tr), TRANSCRIPT_OK);
    ck_assert_int_eq(unlink(tpath), 0);
    chat("#lab1", "a2"); /* into the lost file, since the last check */
    set_topic("#lab1", 1700000003, false, "late");
    transcript_verify(&tr);
    if (lost_now() == TRANSCRIPT_DELETED) {
        ck_assert_int_eq(transcript_repair(&tr), 0);
        ck_assert_ptr_nonnull(strstr(tr.note, "written again with 4 messages of the history "
                                              "and 2 written since"));
    } else {
        /* The syncer's check came first (after m1's or a2's append) and
         * the next append repaired: fewer were written since, but what
         * the lost FILE held comes back all the same. */
        ck_assert_ptr_nonnull(strstr(tr.note, "written again with 4 messages of the history"));
    }
    chat("#lab3", "c0");
    transcript_close(&tr);
    ck_assert_uint_eq(reload(), 6);
    ck_assert_str_eq(fake_lines(&back, ROOM_MAIN), lines("m", 0, 2));
    ck_assert_str_eq(fake_lines(&back, "#lab1"), lines("a", 0, 3));
    ck_assert_str_eq(fake_lines(&back, "#lab3"), lines("c", 0, 1));
    ck_assert_str_eq(topic_of("#lab2"), "pinned");
    ck_assert_str_eq(topic_of("#lab1"), "late");

    /* Deleted again: what the repaired FILE held is what goes back, each
     * record once. */
    fake_free(&live);
    fake_init(&live, 5);
    rx_open(0);
    ck_assert_uint_eq(live.n, 4);
    ck_assert_int_eq(transcript_verify(&tr), TRANSCRIPT_OK);
    ck_assert_int_eq(unlink(tpath), 0);
    transcript_verify(&tr); /* or the syncer's check, if it came first */
    ck_assert_int_eq(lost_now(), TRANSCRIPT_DELETED);
    chat("#lab3", "c1"); /* the append repairs first */
    transcript_close(&tr);
    ck_assert_uint_eq(reload(), 7);
    ck_assert_str_eq(fake_lines(&back, "#lab1"), lines("a", 0, 3));
    ck_assert_str_eq(fake_lines(&back, "#lab3"), lines("c", 0, 2));
    ck_assert_str_eq(topic_of("#lab1"), "late");
}
END_TEST

Suite *transcript_rooms_suite(void)
{
    Suite *s = suite_create("transcript_rooms");
    TCase *r = tcase_create("records");
    tcase_add_checked_fixture(r, rx_setup, rx_teardown);
    tcase_add_test(r, test_rooms_roundtrip);
    tcase_add_test(r, test_rooms_old_file);
    tcase_add_test(r, test_rooms_invalid_names);
    tcase_add_test(r, test_rooms_torn);
    suite_add_tcase(s, r);
    TCase *t = tcase_create("beyond the tail");
    tcase_add_checked_fixture(t, rx_setup, rx_teardown);
    tcase_add_test(t, test_rooms_quiet_room);
    tcase_add_test(t, test_rooms_topic_rotation);
    suite_add_tcase(s, t);
    TCase *p = tcase_create("repair");
    tcase_add_checked_fixture(p, rx_setup, rx_teardown);
    tcase_add_test(p, test_rooms_repair);
    suite_add_tcase(s, p);
    return s;
}

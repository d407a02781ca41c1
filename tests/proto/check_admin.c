/* The admin socket's lines: what the server formats, the dashboard parses
 * back to the same values, and what either side gets from a hostile or
 * newer peer is refused or skipped, never misread. */
#include "check_proto.h"

#include <string.h>

#include "admin.h"

static struct admin_line parsed(const char *line)
{
    struct admin_line l;
    ck_assert_msg(admin_parse(line, strlen(line), &l), "not parsed: %s", line);
    return l;
}

static bool parses(const char *line)
{
    struct admin_line l;
    return admin_parse(line, strlen(line), &l);
}

static void assert_text(const struct admin_line *l, const char *want)
{
    ck_assert_uint_eq(l->text_len, strlen(want));
    ck_assert(memcmp(l->text, want, l->text_len) == 0);
}

START_TEST(test_event_names)
{
    for (unsigned i = 0; i < AEV_COUNT; i++) {
        const char *name = admin_event_name((enum admin_event)i);
        enum admin_event ev = AEV_COUNT;
        ck_assert(admin_event_parse(name, strlen(name), &ev));
        ck_assert_uint_eq(ev, i);
        for (unsigned j = 0; j < i; j++)
            ck_assert_str_ne(name, admin_event_name((enum admin_event)j));
    }
    enum admin_event ev = AEV_JOIN;
    ck_assert(!admin_event_parse("joined", 6, &ev));
    ck_assert(!admin_event_parse("joi", 3, &ev));
    ck_assert(!admin_event_parse("", 0, &ev));
    ck_assert_str_eq(admin_event_name(AEV_COUNT), "info");
    /* --trace's kind, added after the first version: its name is fixed. */
    ck_assert(admin_event_parse("trace", 5, &ev));
    ck_assert_uint_eq(ev, AEV_TRACE);
    ck_assert_str_eq(admin_event_name(AEV_TRACE), "trace");
}
END_TEST

START_TEST(test_event_round_trip)
{
    char buf[256];
    const char *text = "says: hello  there";
    size_t n = admin_format_event(buf, sizeof buf, 1733400000123LL, AEV_CHAT, "127.0.0.1:40512",
                                  "alice", text, strlen(text));
    ck_assert_str_eq(buf, "EVENT 1733400000123 chat 127.0.0.1:40512 alice says: hello  there");
    ck_assert_uint_eq(n, strlen(buf));
    struct admin_line l = parsed(buf);
    ck_assert_int_eq(l.type, ADMIN_EVENT);
    ck_assert(l.ms == 1733400000123LL);
    ck_assert_int_eq(l.ev, AEV_CHAT);
    ck_assert(l.ev_known);
    ck_assert_uint_eq(l.addr_len, 15);
    ck_assert(memcmp(l.addr, "127.0.0.1:40512", 15) == 0);
    ck_assert_uint_eq(l.nick_len, 5);
    ck_assert(memcmp(l.nick, "alice", 5) == 0);
    assert_text(&l, text);

    /* No connection: '-' on the wire, "" parsed. */
    admin_format_event(buf, sizeof buf, 5, AEV_INFO, NULL, "", "listening", 9);
    ck_assert_str_eq(buf, "EVENT 5 info - - listening");
    l = parsed(buf);
    ck_assert_uint_eq(l.addr_len, 0);
    ck_assert_uint_eq(l.nick_len, 0);
    ck_assert_str_eq(l.addr, "");
    assert_text(&l, "listening");
}
END_TEST

START_TEST(test_event_is_one_line)
{
    /* A chat line carrying a forged event, escapes, C1 and bad UTF-8; a
     * nick or address with a blank would shift every field after it. */
    const char text[] = "hi\nEVENT 1 operator - - kicked you\r\x1b[2J\xc2\x9b\xff caf\xc3\xa9";
    char buf[256];
    ck_assert_uint_gt(
        admin_format_event(buf, sizeof buf, 7, AEV_CHAT, "a b", "x\ty", text, sizeof text - 1), 0);
    ck_assert_ptr_null(strchr(buf, '\n'));
    ck_assert_ptr_null(strchr(buf, '\r'));
    ck_assert_ptr_null(strchr(buf, '\x1b'));
    ck_assert_str_eq(buf,
                     "EVENT 7 chat a?b x?y hi?EVENT 1 operator - - kicked you??[2J?? caf\xc3\xa9");
    struct admin_line l = parsed(buf);
    ck_assert_uint_eq(l.addr_len, 3);
    ck_assert_uint_eq(l.nick_len, 3);
}
END_TEST

START_TEST(test_event_unknown_kind)
{
    struct admin_line l = parsed("EVENT 12 teleport 1.2.3.4:5 bob beamed up");
    ck_assert_int_eq(l.ev, AEV_INFO);
    ck_assert(!l.ev_known);
    assert_text(&l, "beamed up");
    ck_assert(!parses("EVENT 12 chat 1.2.3.4:5"));
    ck_assert(!parses("EVENT x chat - - hi"));
    ck_assert(!parses("EVENT -1 chat - - hi"));
    ck_assert(!parses("EVENT"));
    /* An event without text is one. */
    l = parsed("EVENT 1 leave - bob");
    ck_assert_uint_eq(l.text_len, 0);
}
END_TEST

START_TEST(test_text_lines)
{
    char buf[64];
    ck_assert_uint_eq(admin_format_text(buf, sizeof buf, ADMIN_OK, "", 0), 2);
    ck_assert_str_eq(buf, "OK");
    admin_format_text(buf, sizeof buf, ADMIN_ERR, "no one called bob", 17);
    ck_assert_str_eq(buf, "ERR no one called bob");
    admin_format_text(buf, sizeof buf, ADMIN_OUT, "a\nb", 3);
    ck_assert_str_eq(buf, "OUT a?b");
    admin_format_text(buf, sizeof buf, ADMIN_BYE, "too slow", 8);
    ck_assert_str_eq(buf, "BYE too slow");

    struct admin_line l = parsed("OK");
    ck_assert_int_eq(l.type, ADMIN_OK);
    ck_assert_uint_eq(l.text_len, 0);
    l = parsed("OK kicked bob for 10m\r");
    assert_text(&l, "kicked bob for 10m");
    l = parsed("OUT   indented");
    ck_assert_int_eq(l.type, ADMIN_OUT);
    assert_text(&l, "  indented"); /* one blank separates; the rest is text */
    l = parsed("OUT");
    ck_assert_uint_eq(l.text_len, 0);
    l = parsed("ERR usage: say TEXT");
    ck_assert_int_eq(l.type, ADMIN_ERR);
    l = parsed("BYE shutting down");
    ck_assert_int_eq(l.type, ADMIN_BYE);
}
END_TEST

START_TEST(test_hello_and_roster)
{
    struct admin_line l = parsed("SOCKCHAT-ADMIN 1 0.4.0");
    ck_assert_int_eq(l.type, ADMIN_HELLO);
    ck_assert_uint_eq(l.version, 1);
    assert_text(&l, "0.4.0");
    l = parsed("SOCKCHAT-ADMIN 2");
    ck_assert_uint_eq(l.version, 2);
    ck_assert(!parses("SOCKCHAT-ADMIN one"));
    ck_assert(!parses("SOCKCHAT-ADMIN"));
    ck_assert(!parses("SOCKCHAT-ADMIN 99999999999"));

    l = parsed("ROSTER 1200 500");
    ck_assert_int_eq(l.type, ADMIN_ROSTER);
    ck_assert_uint_eq(l.total, 1200);
    ck_assert_uint_eq(l.shown, 500);
    char buf[32];
    ck_assert_uint_eq(admin_format_roster(buf, sizeof buf, 1200, 500), 15);
    ck_assert_str_eq(buf, "ROSTER 1200 500");
    ck_assert_uint_eq(admin_format_roster(buf, 15, 1200, 500), 0); /* no room for the NUL */
    l = parsed("ROSTER 0 0");
    ck_assert_uint_eq(l.shown, 0);
    ck_assert(!parses("ROSTER 3 4"));     /* more shown than there are */
    ck_assert(!parses("ROSTER 900 501")); /* more than a block holds */
    ck_assert(!parses("ROSTER 3"));
    ck_assert(!parses("ROSTER 99999999999 3"));
}
END_TEST

START_TEST(test_not_lines)
{
    ck_assert(!parses(""));
    ck_assert(!parses(" OK"));
    ck_assert(!parses("ok"));
    ck_assert(!parses("OKAY"));
    ck_assert(!parses("HELLO sockchat/1"));
    ck_assert(!parses("OUT a\nOK"));
    static char big[ADMIN_LINE_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    memcpy(big, "OUT ", 4);
    big[ADMIN_LINE_MAX] = '\0'; /* ADMIN_LINE_MAX bytes: no room for the LF */
    ck_assert(!parses(big));
    big[ADMIN_LINE_MAX - 1] = '\0';
    ck_assert(parses(big));
}
END_TEST

static struct admin_stats sample_stats(void)
{
    struct admin_stats s = {0};
    strcpy(s.mode, "pool");
    strcpy(s.listen, "0.0.0.0:5000");
    strcpy(s.reach, "10.0.2.15:5000,192.168.1.7:5000");
    s.up_ms = 3723000;
    s.clients = 31;
    s.room = 30;
    s.served = 1234567890123ULL;
    s.messages = 4000;
    s.deliveries = 120000;
    s.bytes_in = 1ULL << 40;
    s.bytes_out = ~0ULL;
    s.msgs_per_s = 12;
    s.deliveries_per_s = 360;
    s.rss_kib = 5120;
    s.threads = 33;
    s.admins = 2;
    strcpy(s.tls, "only");
    strcpy(s.tls_sha256, "94:FC:B0:6D:9A:FD:7B:D6:3A:7F:5D:AE:44:38:2C:51:A8:4F:56:65:8E:7D:24:0C:"
                         "C9:69:FB:7C:CF:31:DA:DD");
    s.tls_now = 17;
    return s;
}

/* Field by field: padding bytes are not values. */
static void assert_stats_eq(const struct admin_stats *a, const struct admin_stats *b)
{
    ck_assert_str_eq(a->mode, b->mode);
    ck_assert_str_eq(a->listen, b->listen);
    ck_assert_str_eq(a->reach, b->reach);
    ck_assert(a->up_ms == b->up_ms);
    ck_assert_uint_eq(a->clients, b->clients);
    ck_assert_uint_eq(a->room, b->room);
    ck_assert(a->served == b->served && a->messages == b->messages);
    ck_assert(a->deliveries == b->deliveries && a->bytes_in == b->bytes_in);
    ck_assert(a->bytes_out == b->bytes_out && a->rss_kib == b->rss_kib);
    ck_assert_uint_eq(a->msgs_per_s, b->msgs_per_s);
    ck_assert_uint_eq(a->deliveries_per_s, b->deliveries_per_s);
    ck_assert_uint_eq(a->threads, b->threads);
    ck_assert_uint_eq(a->admins, b->admins);
    ck_assert_str_eq(a->tls, b->tls);
    ck_assert_str_eq(a->tls_sha256, b->tls_sha256);
    ck_assert_uint_eq(a->tls_now, b->tls_now);
}

static void assert_row_eq(const struct admin_row *a, const struct admin_row *b)
{
    ck_assert(a->id == b->id);
    ck_assert_str_eq(a->nick, b->nick);
    ck_assert_str_eq(a->addr, b->addr);
    ck_assert_str_eq(a->dialect, b->dialect);
    ck_assert_str_eq(a->state, b->state);
    ck_assert_str_eq(a->worker, b->worker);
    ck_assert(a->msgs_in == b->msgs_in && a->msgs_out == b->msgs_out);
    ck_assert(a->bytes_in == b->bytes_in && a->bytes_out == b->bytes_out);
    ck_assert(a->queue == b->queue && a->idle_ms == b->idle_ms);
    ck_assert_int_eq(a->muted, b->muted);
    ck_assert_str_eq(a->room, b->room);
    ck_assert_str_eq(a->tls, b->tls);
}

START_TEST(test_stats_round_trip)
{
    struct admin_stats s = sample_stats(), back;
    char buf[1024];
    size_t n = admin_format_stats(buf, sizeof buf, &s);
    ck_assert_uint_eq(n, strlen(buf));
    struct admin_line l = parsed(buf);
    ck_assert_int_eq(l.type, ADMIN_STATS);
    admin_parse_stats(l.text, l.text_len, &back);
    assert_stats_eq(&s, &back);

    ck_assert_ptr_nonnull(strstr(buf, " tls=only tls_sha256=94:FC:"));
    ck_assert_ptr_nonnull(strstr(buf, ":DA:DD tls_now=17"));
    /* An empty value is left out, and parsed back as "". */
    s.reach[0] = '\0';
    admin_format_stats(buf, sizeof buf, &s);
    ck_assert_ptr_null(strstr(buf, "reach="));
    l = parsed(buf);
    admin_parse_stats(l.text, l.text_len, &back);
    assert_stats_eq(&s, &back);
}
END_TEST

START_TEST(test_stats_from_other_versions)
{
    struct admin_stats s;
    const char *kv = "colour=blue mode=single clients=x room=3 junk served=99999999999999999999999 "
                     "=5 threads=-4 listen=[::1]:5000";
    admin_parse_stats(kv, strlen(kv), &s);
    ck_assert_str_eq(s.mode, "single");
    ck_assert_uint_eq(s.clients, 0);
    ck_assert_uint_eq(s.room, 3);
    ck_assert(s.served == ~0ULL);
    ck_assert_uint_eq(s.threads, 0);
    ck_assert_str_eq(s.listen, "[::1]:5000");
    ck_assert_uint_eq(s.messages, 0);
    /* A value longer than its field is cut, never overruns it. */
    char longmode[200] = "mode=";
    memset(longmode + 5, 'm', 150);
    admin_parse_stats(longmode, strlen(longmode), &s);
    ck_assert_uint_eq(strlen(s.mode), sizeof s.mode - 1);
    admin_parse_stats("clients=4294967296", 18, &s);
    ck_assert_uint_eq(s.clients, ~0u);
}
END_TEST

START_TEST(test_row_round_trip)
{
    struct admin_row r = {0}, back;
    r.id = 42;
    strcpy(r.nick, "alice");
    strcpy(r.addr, "[::1]:40512");
    strcpy(r.dialect, "tutorial");
    strcpy(r.state, "joined");
    strcpy(r.worker, "t12345");
    r.msgs_in = 7;
    r.msgs_out = 70;
    r.bytes_in = 700;
    r.bytes_out = 7000;
    r.queue = 65536;
    r.idle_ms = 1500;
    r.muted = true;
    strcpy(r.room, "#lab-1");
    strcpy(r.tls, "TLSv1.3");
    char buf[512];
    admin_format_row(buf, sizeof buf, &r);
    struct admin_line l = parsed(buf);
    ck_assert_int_eq(l.type, ADMIN_ROW);
    admin_parse_row(l.text, l.text_len, &back);
    assert_row_eq(&r, &back);

    ck_assert_ptr_nonnull(strstr(buf, " tls=TLSv1.3"));
    /* Clear text: no key, parsed back as "". */
    r.tls[0] = '\0';
    admin_format_row(buf, sizeof buf, &r);
    ck_assert_ptr_null(strstr(buf, "tls="));
    l = parsed(buf);
    admin_parse_row(l.text, l.text_len, &back);
    assert_row_eq(&r, &back);

    /* Before it has a nick. */
    r.nick[0] = '\0';
    r.muted = false;
    admin_format_row(buf, sizeof buf, &r);
    ck_assert_ptr_nonnull(strstr(buf, " nick=- "));
    l = parsed(buf);
    admin_parse_row(l.text, l.text_len, &back);
    assert_row_eq(&r, &back);

    /* Not in a room yet: no key. A room key that is no room name (a
     * hostile or broken peer) is left out, not shown. */
    r.room[0] = '\0';
    admin_format_row(buf, sizeof buf, &r);
    ck_assert_ptr_null(strstr(buf, "room="));
    char odd[] = "ROW id=1 nick=x room=lab1 state=joined";
    l = parsed(odd);
    admin_parse_row(l.text, l.text_len, &back);
    ck_assert_str_eq(back.room, "");
    ck_assert_str_eq(back.state, "joined");
}
END_TEST

/* Every format either fits, NUL-terminated within cap, or returns 0 with
 * buf empty; no byte past cap is touched. */
START_TEST(test_formats_never_overrun)
{
    struct admin_stats s = sample_stats();
    struct admin_row r = {.id = 1, .nick = "bob", .addr = "1.2.3.4:5"};
    char full[512];
    size_t need[4] = {
        admin_format_stats(full, sizeof full, &s),
        admin_format_row(full, sizeof full, &r),
        admin_format_event(full, sizeof full, 99, AEV_SLOW, "1.2.3.4:5", "bob", "too slow", 8),
        admin_format_text(full, sizeof full, ADMIN_ERR, "no", 2),
    };
    for (int k = 0; k < 4; k++) {
        REQUIRE(need[k] > 0);
        for (size_t cap = 0; cap <= need[k] + 1; cap++) {
            char buf[600];
            memset(buf, '#', sizeof buf);
            size_t n = k == 0   ? admin_format_stats(buf, cap, &s)
                       : k == 1 ? admin_format_row(buf, cap, &r)
                       : k == 2 ? admin_format_event(buf, cap, 99, AEV_SLOW, "1.2.3.4:5", "bob",
                                                     "too slow", 8)
                                : admin_format_text(buf, cap, ADMIN_ERR, "no", 2);
            REQUIRE(buf[cap] == '#');
            if (cap > need[k]) {
                REQUIRE(n == need[k] && buf[n] == '\0');
            } else {
                REQUIRE(n == 0);
                REQUIRE(cap == 0 || buf[0] == '\0');
            }
        }
    }
}
END_TEST

START_TEST(test_subscribe_args)
{
    unsigned m = 77;
    ck_assert(admin_parse_subscribe("", &m));
    ck_assert_uint_eq(m, ADMIN_SUB_ALL);
    ck_assert(admin_parse_subscribe("events", &m));
    ck_assert_uint_eq(m, ADMIN_SUB_EVENTS);
    ck_assert(admin_parse_subscribe("  stats   roster ", &m));
    ck_assert_uint_eq(m, ADMIN_SUB_STATS | ADMIN_SUB_ROSTER);
    m = 77;
    ck_assert(!admin_parse_subscribe("events chat", &m));
    ck_assert_uint_eq(m, 77);
    ck_assert(!admin_parse_subscribe("EVENTS", &m));
}
END_TEST

START_TEST(test_default_path)
{
    char p[64];
    ck_assert_int_eq(admin_default_path(p, sizeof(p), 5000, "/run/user/1000", 1000), 0);
    ck_assert_str_eq(p, "/run/user/1000/sockchat/5000.sock");
    ck_assert_int_eq(admin_default_path(p, sizeof(p), 6001, NULL, 1000), 0);
    ck_assert_str_eq(p, "/tmp/sockchat-1000/6001.sock");
    /* Empty or relative is as unset (the XDG spec says to ignore it). */
    ck_assert_int_eq(admin_default_path(p, sizeof(p), 5000, "", 0), 0);
    ck_assert_str_eq(p, "/tmp/sockchat-0/5000.sock");
    ck_assert_int_eq(admin_default_path(p, sizeof(p), 5000, "run/user", 7), 0);
    ck_assert_str_eq(p, "/tmp/sockchat-7/5000.sock");
    ck_assert_int_eq(admin_default_path(p, 10, 5000, "/run/user/1000", 1000), -1);
}
END_TEST

Suite *admin_suite(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = tcase_create("admin-lines");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_test(tc, test_event_names);
    tcase_add_test(tc, test_event_round_trip);
    tcase_add_test(tc, test_event_is_one_line);
    tcase_add_test(tc, test_event_unknown_kind);
    tcase_add_test(tc, test_text_lines);
    tcase_add_test(tc, test_hello_and_roster);
    tcase_add_test(tc, test_not_lines);
    tcase_add_test(tc, test_stats_round_trip);
    tcase_add_test(tc, test_stats_from_other_versions);
    tcase_add_test(tc, test_row_round_trip);
    tcase_add_test(tc, test_formats_never_overrun);
    tcase_add_test(tc, test_subscribe_args);
    tcase_add_test(tc, test_default_path);
    suite_add_tcase(s, tc);
    return s;
}

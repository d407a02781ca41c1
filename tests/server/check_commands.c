/* commands: each /command's output and errors, and the operator console. */
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

#include "fixture.h"

START_TEST(test_unknown_command)
{
    struct client *a = fx_framed("alice");
    fx_feed(a, "MSG 1 /frobnicate now\n");
    ck_assert_str_eq(fx_drain(a), "ERR unknown-command unknown command /frobnicate (try /help)\n");
}
END_TEST

START_TEST(test_help_lists_all)
{
    struct client *p = fx_plain();
    fx_feed(p, "/HELP\n");
    const char *out = fx_drain(p);
    const char *names[] = {"/help",   "/nick",  "/who",  "/me",   "/msg", "/time",
                           "/uptime", "/stats", "/ping", "/quit", "exit"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(strstr(out, names[i]) != NULL, "missing %s", names[i]);
    /* The whole nick rule, on rows that fit nc's 80 columns. */
    ck_assert_ptr_nonnull(strstr(out,
                                 "  /nick NAME       change your name: 1-24 of A-Z a-z 0-9 _ -,\n"
                                 "                   starting with a letter or digit\n"));
    /* 13 rows at most, each of at most 72 columns: sockchat shows it after
     * its own help, with a time stamp, on a 24-row terminal
     * (tests/e2e/client_test.py's wire_view reads both on one screen). */
    int rows = 0;
    for (const char *row = out; *row != '\0'; rows++) {
        const char *end = strchr(row, '\n');
        ck_assert_ptr_nonnull(end);
        ck_assert_msg(end - row <= 72, "a /help row wider than 72: %.*s", (int)(end - row), row);
        row = end + 1;
    }
    ck_assert_int_le(rows, 13);
}
END_TEST

/* The gates in session.c read a command's flags from the one table: what
 * may come before the password, what is not charged to --rate, what /help
 * leaves out. Table-driven: one row per case. */
static const struct {
    const char *line;
    unsigned flags;
} FLAG_CASES[] = {
    {"/auth secret", CMD_PREAUTH | CMD_UNLIMITED | CMD_UNLISTED},
    {"/QUIT bye", CMD_PREAUTH | CMD_UNLIMITED},
    {"/ping 1", CMD_UNLIMITED},
    {"/nick bob", 0},
    {"/help", 0},
    {"/frobnicate", 0}, /* unknown: no gate lets it through early */
};

START_TEST(test_command_flags)
{
    struct cmd cmd;
    ck_assert(cmd_parse(FLAG_CASES[_i].line, &cmd));
    ck_assert_uint_eq(commands_flags(&cmd), FLAG_CASES[_i].flags);
}
END_TEST

START_TEST(test_nick_rules)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    fx_drain(a);
    fx_feed(b, "MSG 1 /nick Alice\n");
    ck_assert_str_eq(fx_drain(b), "ERR nick-taken alice is already taken (Alice looks the same)\n");
    fx_feed(b, "MSG 2 /nick no spaces\n");
    ck_assert_str_eq(fx_drain(b),
                     "ERR bad-nick a nickname is one word of 1-24 letters, digits, _ or -, "
                     "starting with a letter or digit\n");
    fx_feed(b, "MSG 21 /nick\n");
    ck_assert_str_eq(fx_drain(b), "ERR usage usage: /nick NAME\n");
    fx_feed(b, "MSG 3 /nick bad*name\n");
    ck_assert_str_eq(fx_drain(b), "ERR bad-nick a nickname is 1-24 letters, digits, _ or -, "
                                  "starting with a letter or digit\n");
    fx_feed(b, "MSG 4 /nick abcdefghijklmnopqrstuvwxy\n"); /* 25 */
    ck_assert(strncmp(fx_drain(b), "ERR bad-nick", 12) == 0);
    fx_feed(b, "MSG 41 /nick Guest12\n"); /* guestN is the server's */
    ck_assert(strncmp(fx_drain(b), "ERR bad-nick guestN names", 25) == 0);
    fx_feed(b, "MSG 42 /nick guest\n"); /* no digits: a name like any other */
    ck_assert_str_eq(fx_drain(b), "NICK bob guest\n");
    fx_feed(b, "MSG 43 /nick bob\n");
    ck_assert_str_eq(fx_drain(b), "NICK guest bob\n");
    fx_drain(a);
    fx_feed(b, "MSG 5 /nick BOB\n"); /* a case change of one's own nick is fine */
    ck_assert_str_eq(fx_drain(b), "NICK bob BOB\n");
    fx_feed(b, "MSG 6 /nick Rob_2-x\n");
    ck_assert_str_eq(fx_drain(b), "NICK BOB Rob_2-x\n");
    ck_assert_str_eq(fx_drain(a), "NICK bob BOB\nNICK BOB Rob_2-x\n");
    ck_assert_str_eq(b->nick, "Rob_2-x");
}
END_TEST

START_TEST(test_who)
{
    struct client *a = fx_framed("alice");
    fx_framed("bob");
    fx_clock.mono_ms += 65000;
    fx_feed(a, "MSG 1 /who\n");
    const char *out = fx_drain(a);
    ck_assert_ptr_nonnull(strstr(out, "OUT 2 in #main (2 connected):\n"));
    ck_assert_ptr_nonnull(strstr(out, "alice"));
    ck_assert_ptr_nonnull(strstr(out, "bob"));
    ck_assert_ptr_nonnull(strstr(out, "127.0.0.1:1000"));
    ck_assert_ptr_nonnull(strstr(out, "on 1m05s, idle 1m05s"));
    /* Oldest first, in columns as wide as the longest nick and address:
     * a line fits 80 columns with room to spare. */
    const char *list = strstr(out, "OUT 2 in #main");
    ck_assert_msg(strstr(list, "alice") < strstr(list, "bob"), "%s", out);
    const char *bob = strstr(out, "OUT   bob  ");
    ck_assert_ptr_nonnull(bob);
    ck_assert_int_lt((int)(strchr(bob, '\n') - bob), 72);
    /* Your own row says so; nobody else's does. */
    const char *me = strstr(out, "OUT   alice");
    ck_assert_ptr_nonnull(me);
    ck_assert(strncmp(strchr(me, '\n') - 15, "(sockchat, you)", 15) == 0);
    ck_assert(strncmp(strchr(bob, '\n') - 10, "(sockchat)", 10) == 0);
}
END_TEST

START_TEST(test_tutorial_client_learns_its_nick)
{
    /* It gets no history and no line of its own: /help and /who tell it. */
    struct client *r = fx_raw();
    fx_feed(r, "/help");
    const char *out = fx_drain(r);
    ck_assert_msg(strncmp(out, "you are guest1; commands:\n", 26) == 0, "%s", out);
    fx_feed(r, "/who");
    ck_assert_ptr_nonnull(strstr(fx_drain(r), "(tutorial, you)"));
}
END_TEST

START_TEST(test_who_is_bounded)
{
    struct client *a = fx_framed("alice");
    for (int i = 0; i < WHO_MAX_LINES + 10; i++)
        fx_client("9.9.9.9:9");
    /* Not joined, so in no room: /who * lists them. */
    fx_feed(a, "MSG 1 /who *\n");
    const char *out = fx_drain(a);
    int lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    ck_assert_int_eq(lines, WHO_MAX_LINES + 2);
    ck_assert_ptr_nonnull(strstr(out, "... and 11 more"));
}
END_TEST

START_TEST(test_me)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    fx_drain(a);
    fx_feed(a, "MSG 3 /me waves\n");
    ck_assert_str_eq(fx_drain(a), "ACK 3\n");
    ck_assert_str_eq(fx_drain(p), "* alice waves\n");
    fx_feed(p, "/me\n");
    ck_assert_str_eq(fx_drain(p), "error: usage: /me ACTION\n");
}
END_TEST

START_TEST(test_msg)
{
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    struct client *c = fx_framed("carol");
    struct client *r = fx_raw();
    fx_drain(a);
    fx_drain(b);
    fx_drain(c);
    fx_feed(a, "MSG 1 /msg BOB psst, over here\n");
    ck_assert_str_eq(fx_drain(b), "PRIV 1700000000 alice bob psst, over here\n");
    ck_assert_str_eq(fx_drain(a), "PRIV 1700000000 alice bob psst, over here\n");
    ck_assert_str_eq(fx_drain(c), "");
    fx_feed(a, "MSG 2 /msg nobody hi\n");
    ck_assert_str_eq(fx_drain(a), "ERR no-such-nick no such nick: nobody\n");
    fx_feed(a, "MSG 3 /msg bob\n");
    ck_assert_str_eq(fx_drain(a), "ERR usage usage: /msg NICK TEXT\n");
    char line[64];
    snprintf(line, sizeof line, "MSG 4 /msg %s hi\n", r->nick);
    fx_feed(a, line);
    ck_assert(strncmp(fx_drain(a), "ERR no-such-nick", 16) == 0);
}
END_TEST

START_TEST(test_time_uptime_stats)
{
    struct client *a = fx_framed("alice");
    fx_feed(a, "MSG 1 /time\n");
    ck_assert_str_eq(fx_drain(a), "OUT server time: 2023-11-14 22:13:20 UTC\n");
    fx_clock.mono_ms += 3723000;
    fx_feed(a, "MSG 2 /uptime\n");
    ck_assert_str_eq(fx_drain(a), "OUT server up 1h02m03s; you connected 1h02m03s ago\n");
    fx_feed(a, "MSG 3 chat\n");
    fx_drain(a);
    fx_feed(a, "MSG 4 /stats\n");
    const char *out = fx_drain(a);
    ck_assert_ptr_nonnull(strstr(out, "OUT mode threads, 1 client now (1 in the room), 1 served"));
    ck_assert_ptr_nonnull(strstr(out, "OUT 1 message, "));
    fx_feed(a, "MSG 5 more chat\n");
    fx_drain(a);
    fx_feed(a, "MSG 6 /stats\n");
    ck_assert_ptr_nonnull(strstr(fx_drain(a), "OUT 2 messages, "));
}
END_TEST

START_TEST(test_ping_and_quit)
{
    struct client *p = fx_plain();
    fx_feed(p, "/ping hello\n/ping\n");
    ck_assert_str_eq(fx_drain(p), "pong hello\npong\n");
    fx_feed(p, "/quit gotta go\n");
    ck_assert_str_eq(fx_drain(p), "bye\n");
    char why[REASON_MAX];
    ck_assert_int_eq(client_close_state(p, why, sizeof why), CLOSE_FLUSH);
    ck_assert_str_eq(why, "quit gotta go");
}
END_TEST

/* A ping token is echoed, so it costs our memory until read: at most
 * PING_TOKEN_MAX bytes (counted after sanitising), longer ones refused. */
START_TEST(test_ping_token_bounded)
{
    char line[256], want[256];
    char tok[PING_TOKEN_MAX + 2];
    memset(tok, 'k', sizeof tok - 1);
    tok[PING_TOKEN_MAX] = '\0';
    struct client *p = fx_plain();
    snprintf(line, sizeof line, "/ping %s\n", tok);
    fx_feed(p, line);
    snprintf(want, sizeof want, "pong %s\n", tok);
    ck_assert_str_eq(fx_drain(p), want);
    tok[PING_TOKEN_MAX] = 'k'; /* one byte more */
    tok[PING_TOKEN_MAX + 1] = '\0';
    snprintf(line, sizeof line, "/ping %s\n", tok);
    fx_feed(p, line);
    ck_assert_str_eq(fx_drain(p), "error: usage: /ping [TOKEN]: a token of at most 64 bytes\n");
    ck_assert_int_eq(client_close_state(p, NULL, 0), CLOSE_NONE);

    struct client *f = fx_framed("pinger");
    snprintf(line, sizeof line, "PING %s\nMSG 1 /ping %s\n", tok, tok);
    fx_feed(f, line);
    ck_assert_str_eq(fx_drain(f), "ERR usage PING token longer than 64 bytes\n"
                                  "ERR usage usage: /ping [TOKEN]: a token of at most 64 bytes\n");
    tok[PING_TOKEN_MAX] = '\0';
    snprintf(line, sizeof line, "PING %s\n", tok);
    fx_feed(f, line);
    snprintf(want, sizeof want, "PONG %s\n", tok);
    ck_assert_str_eq(fx_drain(f), want);
    /* 22 bytes sent, but 66 once each invalid byte is U+FFFD. */
    fx_feed(f, "PING \xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
               "\xff\xff\xff\xff\n");
    ck_assert_str_eq(fx_drain(f), "ERR usage PING token longer than 64 bytes\n");
}
END_TEST

/* A reason is cut to REASON_MAX bytes: at a character, never inside one
 * (a fuzzer found the room receiving half a character in a LEAVE). */
START_TEST(test_long_quit_reason_cut_at_a_character)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    fx_drain(a);
    char line[256] = "/quit x"; /* odd: REASON_MAX - 1 falls inside a character */
    for (int i = 0; i < 60; i++)
        strcat(line, "\xc3\xa9"); /* é */
    strcat(line, "\n");
    fx_feed(p, line);
    fx_end(p);
    const char *got = fx_drain(a);
    ck_assert_ptr_nonnull(strstr(got, "LEAVE guest2 1 quit x\xc3\xa9"));
    ck_assert_uint_eq(utf8_valid_prefix(got, strlen(got)), strlen(got));
}
END_TEST

START_TEST(test_slash_escape)
{
    struct client *a = fx_framed("alice");
    struct client *p = fx_plain();
    fx_drain(a);
    fx_feed(p, "//not a command\n");
    ck_assert_str_eq(fx_drain(p), "Message received\n");
    ck_assert_str_eq(fx_drain(a), "CHAT 1700000000 guest2 /not a command\n");
}
END_TEST

static const char *console(const char *line)
{
    static char out[8192];
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    console_run(&fx_srv, line, f);
    fflush(f);
    rewind(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    fclose(f);
    return out;
}

START_TEST(test_console)
{
    ck_assert_str_eq(console("who"), "nobody is connected\n");
    struct client *a = fx_framed("alice");
    struct client *b = fx_framed("bob");
    fx_drain(a);
    ck_assert_ptr_nonnull(strstr(console("help"), "kick NICK"));
    ck_assert_ptr_nonnull(strstr(console("who"), "bob"));
    ck_assert_ptr_nonnull(strstr(console("stats"), "2 clients now"));
    ck_assert_ptr_nonnull(strstr(console("stats"), ", 0 messages, "));
    console("say hello \x1b[2Jclass");
    ck_assert_str_eq(fx_drain(a), "NOTICE hello class\n");
    ck_assert_str_eq(console("kick nobody"), "no such nick: nobody\n");
    console("kick bob too loud");
    ck_assert_int_eq(client_close_state(b, NULL, 0), CLOSE_FLUSH);
    ck_assert_ptr_nonnull(strstr(console("nonsense"), "unknown command"));
    FILE *f = tmpfile();
    ck_assert(console_run(&fx_srv, "quit", f));
    fclose(f);
}
END_TEST

/* Read on a projector: "1 client", "1 message", not "1 clients". */
START_TEST(test_console_stats_counts)
{
    struct client *a = fx_framed("alice");
    ck_assert_ptr_nonnull(strstr(console("stats"), ", 1 client now (1 in the room), "));
    fx_feed(a, "MSG 1 hello\n");
    fx_drain(a);
    ck_assert_ptr_nonnull(strstr(console("stats"), ", 1 message, "));
}
END_TEST

Suite *commands_suite(void)
{
    Suite *s = suite_create("commands");
    TCase *core = tcase_create("core");
    tcase_add_checked_fixture(core, fx_setup, fx_teardown);
    tcase_add_test(core, test_unknown_command);
    tcase_add_test(core, test_help_lists_all);
    tcase_add_test(core, test_nick_rules);
    tcase_add_test(core, test_who);
    tcase_add_test(core, test_tutorial_client_learns_its_nick);
    tcase_add_test(core, test_who_is_bounded);
    tcase_add_test(core, test_me);
    tcase_add_test(core, test_msg);
    tcase_add_test(core, test_time_uptime_stats);
    tcase_add_test(core, test_ping_and_quit);
    tcase_add_test(core, test_ping_token_bounded);
    tcase_add_test(core, test_long_quit_reason_cut_at_a_character);
    tcase_add_test(core, test_slash_escape);
    tcase_add_loop_test(core, test_command_flags, 0, sizeof FLAG_CASES / sizeof FLAG_CASES[0]);
    suite_add_tcase(s, core);
    TCase *op = tcase_create("console");
    tcase_add_checked_fixture(op, fx_setup, fx_teardown);
    tcase_add_test(op, test_console);
    tcase_add_test(op, test_console_stats_counts);
    suite_add_tcase(s, op);
    return s;
}

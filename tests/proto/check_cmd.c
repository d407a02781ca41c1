/* cmd: command splitting and nickname rules. */
#include "check_proto.h"
#include "cmd.h"

#include <string.h>

struct parse_case {
    const char *line;
    bool is_cmd;
    const char *name; /* when is_cmd */
    const char *args;
};

static const struct parse_case parse_cases[] = {
    {"/help", true, "help", ""},
    {"/nick alice", true, "nick", "alice"},
    {"/msg  bob   hello  there ", true, "msg", "hello  there "},
    {"/me\twaves", true, "me", "waves"},
    {"/QUIT bye", true, "QUIT", "bye"},
    {"/x", true, "x", ""},
    {"/ping ", true, "ping", ""},
    {"/n1ck-x y", true, "n1ck-x", "y"},
    {"//not a command", false, NULL, NULL},
    {"/", false, NULL, NULL},
    {"/ help", false, NULL, NULL},
    {"/1abc", false, NULL, NULL},
    {"hello /help", false, NULL, NULL},
    {" /help", false, NULL, NULL},
    {"", false, NULL, NULL},
    {"/\xc3\xa9t\xc3\xa9", false, NULL, NULL},
};

START_TEST(test_parse)
{
    const struct parse_case *c = &parse_cases[_i];
    struct cmd cmd;

    ck_assert_int_eq(cmd_parse(c->line, &cmd), c->is_cmd);
    if (!c->is_cmd)
        return;
    ck_assert_uint_eq(cmd.name_len, strlen(c->name));
    ck_assert_mem_eq(cmd.name, c->name, cmd.name_len);
    ck_assert_ptr_eq(cmd.name, c->line + 1);
    if (strcmp(c->name, "msg") == 0) {
        /* args skips leading blanks only; the first word comes next. */
        ck_assert_str_eq(cmd.args, "bob   hello  there ");
        const char *w;
        size_t n;
        ck_assert(cmd_next_word(&cmd.args, &w, &n));
        ck_assert_uint_eq(n, 3);
        ck_assert_mem_eq(w, "bob", 3);
        ck_assert_str_eq(cmd.args, c->args);
    } else {
        ck_assert_str_eq(cmd.args, c->args);
    }
}
END_TEST

START_TEST(test_is)
{
    struct cmd c;

    ck_assert(cmd_parse("/NiCk bob", &c));
    ck_assert(cmd_is(&c, "nick"));
    ck_assert(cmd_is(&c, "NICK"));
    ck_assert(!cmd_is(&c, "nic"));
    ck_assert(!cmd_is(&c, "nickname"));
    ck_assert(!cmd_is(&c, "msg"));
    ck_assert(cmd_parse("/me", &c));
    ck_assert(cmd_is(&c, "me"));
    ck_assert(!cmd_is(&c, ""));
}
END_TEST

START_TEST(test_is_exit)
{
    static const char *yes[] = {"exit", "EXIT", "Exit", " exit", "exit  ", "\t eXiT \t"};
    static const char *no[] = {"",         " ",     "exi",    "exits",  "ex it",
                               "exit now", "/exit", "'exit'", "exit\n", "\xc3\xa9xit"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        ck_assert_msg(cmd_is_exit(yes[i]), "\"%s\" is exit", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        ck_assert_msg(!cmd_is_exit(no[i]), "\"%s\" is not exit", no[i]);
}
END_TEST

START_TEST(test_next_word)
{
    const char *args = "  one\ttwo   three ";
    const char *w;
    size_t n;

    ck_assert(cmd_next_word(&args, &w, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(w, "one", 3);
    ck_assert_str_eq(args, "two   three ");
    ck_assert(cmd_next_word(&args, &w, &n));
    ck_assert_mem_eq(w, "two", 3);
    ck_assert(cmd_next_word(&args, &w, &n));
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(w, "three", 5);
    ck_assert_str_eq(args, "");
    ck_assert(!cmd_next_word(&args, &w, &n));
    ck_assert(!cmd_next_word(&args, &w, &n));
    args = "   ";
    ck_assert(!cmd_next_word(&args, &w, &n));
    ck_assert_str_eq(args, "");
}
END_TEST

struct nick_case {
    const char *nick;
    bool valid;
};

static const struct nick_case nick_cases[] = {
    {"alice", true},
    {"A", true},
    {"guest12", true},
    {"under-score_", true},
    {"x_-_", true},
    {"9lives", true},
    /* A leading '_' or '-' would pass for the client's own "--" markers. */
    {"_under-score_", false},
    {"-", false},
    {"--", false},
    {"-alice", false},
    {"123", true},
    {"abcdefghijklmnopqrstuvwx", true},   /* 24 */
    {"abcdefghijklmnopqrstuvwxy", false}, /* 25 */
    {"", false},
    {"two words", false},
    {"tab\there", false},
    {"caf\xc3\xa9", false},
    {"dot.ted", false},
    {"semi;colon", false},
    {"nl\n", false},
    {"\x1b[31m", false},
};

START_TEST(test_nick)
{
    const struct nick_case *c = &nick_cases[_i];
    ck_assert_msg(nick_valid(c->nick, strlen(c->nick)) == c->valid, "nick %d", _i);
}
END_TEST

START_TEST(test_nick_len_not_string)
{
    /* The length decides, not a NUL: prefixes and embedded NULs. */
    ck_assert(nick_valid("alice bob", 5));
    ck_assert(!nick_valid("al\0ce", 5));
    ck_assert(!nick_valid("alice", 0));
}
END_TEST

struct skel_case {
    const char *a, *b;
    bool same;
};

/* Pairs a reader cannot tell apart at a glance are one nick; others not. */
static const struct skel_case skel_cases[] = {
    {"alice", "alice", true},
    {"alice", "ALICE", true},
    {"alice", "aIice", true}, /* capital I for l */
    {"alice", "a1ice", true}, /* digit 1 for l */
    {"alice", "aiice", true}, /* i: capital I in another case */
    {"alice", "ALICE_", true},
    {"alice", "alice-", true},
    {"alice", "alice__-", true},
    {"bob", "B0B", true}, /* zero for O */
    {"bob", "bOb", true},
    {"al_ice", "al-ice", true},
    {"guest12", "gueSTl2", true},
    {"alice", "alicia", false},
    {"alice", "alice2", false},
    {"alice", "al_ice", false}, /* a '_' inside is seen */
    {"bob", "bo", false},
    {"rn", "m", false}, /* two letters for one: not this function's business */
    {"abcdefghijklmnopqrstuvwx", "ABCDEFGHIJKLMNOPQRSTUVWX", true},
};

START_TEST(test_nick_same)
{
    const struct skel_case *c = &skel_cases[_i];
    ck_assert_msg(nick_same(c->a, c->b) == c->same, "%s %s", c->a, c->b);
    ck_assert_msg(nick_same(c->b, c->a) == c->same, "%s %s", c->b, c->a);
}
END_TEST

START_TEST(test_nick_skeleton)
{
    char out[NICK_SKELETON_CAP];
    /* I is i in another case, and i, l and 1 are one letter. */
    ck_assert_uint_eq(nick_skeleton("aIice_", 6, out, sizeof out), 5);
    ck_assert_str_eq(out, "allce");
    ck_assert_uint_eq(nick_skeleton("B0B-1", 5, out, sizeof out), 5);
    ck_assert_str_eq(out, "bob_l");
    /* '_' and '-' at either end go, however many; none left is "". */
    ck_assert_uint_eq(nick_skeleton("-_x_-", 5, out, sizeof out), 1);
    ck_assert_str_eq(out, "x");
    ck_assert_uint_eq(nick_skeleton("__--", 4, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(nick_skeleton("", 0, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    /* The length decides, and the output is cut to fit. */
    ck_assert_uint_eq(nick_skeleton("carol bob", 5, out, sizeof out), 5);
    ck_assert_str_eq(out, "carol");
    char small[4];
    ck_assert_uint_eq(nick_skeleton("abcdef", 6, small, sizeof small), 3);
    ck_assert_str_eq(small, "abc");
    ck_assert_uint_eq(nick_skeleton("abc", 3, small, 0), 0);
    /* Bytes that are no nick's pass through (the caller validates). */
    ck_assert_uint_eq(nick_skeleton("\xc3\xa9", 2, out, sizeof out), 2);
    ck_assert_str_eq(out, "\xc3\xa9");
}
END_TEST

struct guest_case {
    const char *nick;
    bool guest;
};

/* guestN and every nick a reader could take for one. */
static const struct guest_case guest_cases[] = {
    {"guest1", true},   {"guest12", true},
    {"Guest12", true},  {"GUEST042", true},
    {"guest0", true},   {"guestl2", true}, /* l for 1 */
    {"guestI2", true},                     /* I for 1 */
    {"guesti", true},                      /* i, I's lower case */
    {"guestO", true},                      /* O for 0 */
    {"guest1_", true},                     /* '_' and '-' at the ends do not count */
    {"_guest1-", true}, {"gue5t1", false}, /* 5 is not s */
    {"guest", false},                      /* no number: a nick like any other */
    {"guest_", false},  {"guest1a", false},
    {"guests", false},  {"guest_1", false}, /* a '_' inside is seen */
    {"guest-1", false}, {"myguest1", false},
    {"", false},        {"guest1234567890123456789", true}, /* NICK_MAX long */
};

START_TEST(test_nick_reserved)
{
    const struct guest_case *c = &guest_cases[_i];
    ck_assert_msg(nick_reserved(c->nick) == c->guest, "%s", c->nick);
}
END_TEST

Suite *cmd_suite(void)
{
    Suite *s = suite_create("cmd");
    TCase *tc = tcase_create("cmd-core");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof parse_cases / sizeof parse_cases[0]));
    tcase_add_test(tc, test_is);
    tcase_add_test(tc, test_is_exit);
    tcase_add_test(tc, test_next_word);
    tcase_add_loop_test(tc, test_nick, 0, (int)(sizeof nick_cases / sizeof nick_cases[0]));
    tcase_add_test(tc, test_nick_len_not_string);
    tcase_add_loop_test(tc, test_nick_same, 0, (int)(sizeof skel_cases / sizeof skel_cases[0]));
    tcase_add_test(tc, test_nick_skeleton);
    tcase_add_loop_test(tc, test_nick_reserved, 0,
                        (int)(sizeof guest_cases / sizeof guest_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

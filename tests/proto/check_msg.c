/* msg: every framed message parses and encodes back to the same line, and
 * no field content can break the framing. */
#include "check_proto.h"
#include "msg.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void assert_msg_eq(const struct msg *a, const struct msg *b)
{
    ck_assert_int_eq(a->type, b->type);
    ck_assert_uint_eq(a->id, b->id);
    ck_assert_int_eq(a->time, b->time);
    ck_assert_uint_eq(a->users, b->users);
    ck_assert_str_eq(a->nick, b->nick);
    ck_assert_str_eq(a->nick2, b->nick2);
    ck_assert_str_eq(a->word, b->word);
    ck_assert_str_eq(a->text, b->text);
}

/* Canonical lines with the message each one means. */
struct rt_case {
    const char *line;
    struct msg m;
};

#define M(t, id, time, users, nick, nick2, word, text)                                             \
    {                                                                                              \
        t, id, time, users, nick, nick2, word, text                                                \
    }

static const struct rt_case rt_cases[] = {
    {"HELLO sockchat/1 alice", M(MSG_HELLO, 0, 0, 0, "alice", "", "sockchat/1", "")},
    {"HELLO sockchat/1 alice pass word",
     M(MSG_HELLO, 0, 0, 0, "alice", "", "sockchat/1", "pass word")},
    {"MSG 1 hello world", M(MSG_MSG, 1, 0, 0, "", "", "", "hello world")},
    {"MSG 18446744073709551615 /me waves", M(MSG_MSG, UINT64_MAX, 0, 0, "", "", "", "/me waves")},
    {"MSG 7", M(MSG_MSG, 7, 0, 0, "", "", "", "")},
    {"MSG 7  leading space", M(MSG_MSG, 7, 0, 0, "", "", "", " leading space")},
    {"WELCOME alice threads 3 sockchat on pi",
     M(MSG_WELCOME, 0, 0, 3, "alice", "", "threads", "sockchat on pi")},
    {"ACK 42", M(MSG_ACK, 42, 0, 0, "", "", "", "")},
    {"CHAT 1700000000 bob hi there", M(MSG_CHAT, 0, 1700000000, 0, "bob", "", "", "hi there")},
    {"CHAT -1 bob \xe4\xb8\xad", M(MSG_CHAT, 0, -1, 0, "bob", "", "", "\xe4\xb8\xad")},
    {"CHAT -9223372036854775808 bob x", M(MSG_CHAT, 0, INT64_MIN, 0, "bob", "", "", "x")},
    {"CHAT 9223372036854775807 bob", M(MSG_CHAT, 0, INT64_MAX, 0, "bob", "", "", "")},
    {"ACTION 5 bob waves", M(MSG_ACTION, 0, 5, 0, "bob", "", "", "waves")},
    {"PRIV 5 bob alice psst: hi", M(MSG_PRIV, 0, 5, 0, "bob", "alice", "", "psst: hi")},
    {"JOIN carol 4", M(MSG_JOIN, 0, 0, 4, "carol", "", "", "")},
    {"LEAVE carol 3 quit bye all", M(MSG_LEAVE, 0, 0, 3, "carol", "", "", "quit bye all")},
    {"LEAVE carol 0 lost connection", M(MSG_LEAVE, 0, 0, 0, "carol", "", "", "lost connection")},
    {"NICK guest1 dave", M(MSG_NICK, 0, 0, 0, "guest1", "dave", "", "")},
    {"OUT Users online (2): alice bob",
     M(MSG_OUT, 0, 0, 0, "", "", "", "Users online (2): alice bob")},
    {"OUT", M(MSG_OUT, 0, 0, 0, "", "", "", "")},
    {"ERR unknown-command unknown command /x (try /help)",
     M(MSG_ERR, 0, 0, 0, "", "", "unknown-command", "unknown command /x (try /help)")},
    {"ERR slow-down", M(MSG_ERR, 0, 0, 0, "", "", "slow-down", "")},
    {"NOTICE server restarts at noon",
     M(MSG_NOTICE, 0, 0, 0, "", "", "", "server restarts at noon")},
    {"PING", M(MSG_PING, 0, 0, 0, "", "", "", "")},
    {"PING 123456", M(MSG_PING, 0, 0, 0, "", "", "123456", "")},
    {"PONG 123456", M(MSG_PONG, 0, 0, 0, "", "", "123456", "")},
    {"PONG", M(MSG_PONG, 0, 0, 0, "", "", "", "")},
    {"SHUTDOWN operator stopped the server",
     M(MSG_SHUTDOWN, 0, 0, 0, "", "", "", "operator stopped the server")},
    {"SESSION 9f86d081884c7d65", M(MSG_SESSION, 0, 0, 0, "", "", "9f86d081884c7d65", "")},
    {"TOPIC #c new topic", M(MSG_UNKNOWN, 0, 0, 0, "", "", "", "TOPIC #c new topic")},
    {"hello", M(MSG_UNKNOWN, 0, 0, 0, "", "", "", "hello")},
};

START_TEST(test_parse_canonical)
{
    const struct rt_case *c = &rt_cases[_i];
    char line[256], enc[256], want[260];
    struct msg m;

    strcpy(line, c->line);
    ck_assert_int_eq(msg_parse(&m, line), 0);
    assert_msg_eq(&m, &c->m);
    snprintf(want, sizeof want, "%s\n", c->line);
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &c->m), (int)strlen(want));
    ck_assert_str_eq(enc, want);
}
END_TEST

/* encode then parse gives the message back (the round trip property). */
START_TEST(test_round_trip)
{
    const struct rt_case *c = &rt_cases[_i];
    char enc[256];
    struct msg m;

    int n = msg_encode(enc, sizeof enc, &c->m);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(enc[n - 1], '\n');
    ck_assert_ptr_null(memchr(enc, '\n', (size_t)n - 1));
    enc[n - 1] = '\0';
    ck_assert_int_eq(msg_parse(&m, enc), 0);
    assert_msg_eq(&m, &c->m);
}
END_TEST

/* Lines that parse to the same message as a canonical one. */
START_TEST(test_parse_lenient)
{
    char l1[] = "ACK 007";
    char l2[] = "JOIN bob 3 extra fields from a later version";
    char l3[] = "PING tok extra";
    char l4[] = "MSG 1 ";
    char l5[] = "CHAT -0 bob x";
    struct msg m;

    ck_assert_int_eq(msg_parse(&m, l1), 0);
    ck_assert_uint_eq(m.id, 7);
    ck_assert_int_eq(msg_parse(&m, l2), 0);
    ck_assert_str_eq(m.nick, "bob");
    ck_assert_uint_eq(m.users, 3);
    ck_assert_int_eq(msg_parse(&m, l3), 0);
    ck_assert_str_eq(m.word, "tok");
    ck_assert_int_eq(msg_parse(&m, l4), 0);
    ck_assert_str_eq(m.text, "");
    ck_assert_int_eq(msg_parse(&m, l5), 0);
    ck_assert_int_eq(m.time, 0);
}
END_TEST

struct bad_case {
    const char *line;
    enum msg_type type;
};

static const struct bad_case bad_cases[] = {
    {"HELLO", MSG_HELLO},
    {"HELLO sockchat/1", MSG_HELLO},
    {"HELLO sockchat/1 ", MSG_HELLO},
    {"HELLO  alice", MSG_HELLO},
    {"MSG", MSG_MSG},
    {"MSG x hi", MSG_MSG},
    {"MSG -1 hi", MSG_MSG},
    {"MSG +1 hi", MSG_MSG},
    {"MSG 18446744073709551616 hi", MSG_MSG},
    {"MSG  1 hi", MSG_MSG},
    {"WELCOME alice threads", MSG_WELCOME},
    {"WELCOME alice threads 4294967296 s", MSG_WELCOME},
    {"ACK", MSG_ACK},
    {"ACK ", MSG_ACK},
    {"ACK 1x", MSG_ACK},
    {"CHAT 1", MSG_CHAT},
    {"CHAT 1 ", MSG_CHAT},
    {"CHAT - bob x", MSG_CHAT},
    {"CHAT 9223372036854775808 bob x", MSG_CHAT},
    {"CHAT -9223372036854775809 bob x", MSG_CHAT},
    {"ACTION x bob hi", MSG_ACTION},
    {"PRIV 1 bob", MSG_PRIV},
    {"PRIV 1 bob  hi", MSG_PRIV},
    {"JOIN bob", MSG_JOIN},
    {"JOIN bob -1", MSG_JOIN},
    {"LEAVE bob", MSG_LEAVE},
    {"NICK old", MSG_NICK},
    {"NICK old ", MSG_NICK},
    {"ERR", MSG_ERR},
    {"ERR  text", MSG_ERR},
    {"SESSION", MSG_SESSION},
    {"SESSION ", MSG_SESSION},
};

START_TEST(test_parse_malformed)
{
    const struct bad_case *c = &bad_cases[_i];
    char line[128];
    struct msg m;

    strcpy(line, c->line);
    ck_assert_int_eq(msg_parse(&m, line), -1);
    ck_assert_int_eq(m.type, c->type);
    /* The line is left whole for the error message. */
    ck_assert_str_eq(m.text, c->line);
    ck_assert_str_eq(line, c->line);
}
END_TEST

START_TEST(test_parse_unknown)
{
    char l1[] = "";
    char l2[] = "chat 1 bob lower case is not a type";
    char l3[] = "ACKNOWLEDGE 5";
    struct msg m;

    ck_assert_int_eq(msg_parse(&m, l1), 0);
    ck_assert_int_eq(m.type, MSG_UNKNOWN);
    ck_assert_str_eq(m.text, "");
    ck_assert_int_eq(msg_parse(&m, l2), 0);
    ck_assert_int_eq(m.type, MSG_UNKNOWN);
    ck_assert_str_eq(m.text, "chat 1 bob lower case is not a type");
    ck_assert_int_eq(msg_parse(&m, l3), 0);
    ck_assert_int_eq(m.type, MSG_UNKNOWN);
}
END_TEST

/* No text can forge a second line or a field of another type. */
START_TEST(test_encode_neutralises)
{
    struct msg m = {MSG_CHAT, 0, 1, 0, "bob", "", "", "hi\r\nCHAT 1 alice forged\n"};
    char enc[128];

    int n = msg_encode(enc, sizeof enc, &m);
    ck_assert_str_eq(enc, "CHAT 1 bob hi  CHAT 1 alice forged \n");
    ck_assert_int_eq(n, (int)strlen(enc));

    struct msg u = {MSG_UNKNOWN, 0, 0, 0, "", "", "", "X\ny"};
    ck_assert_int_gt(msg_encode(enc, sizeof enc, &u), 0);
    ck_assert_str_eq(enc, "X y\n");

    n = msg_format_plain(enc, sizeof enc, &m);
    ck_assert_str_eq(enc, "<bob> hi  CHAT 1 alice forged \n");
    ck_assert_int_eq(n, (int)strlen(enc));
}
END_TEST

START_TEST(test_encode_rejects)
{
    char enc[64];
    struct msg m = {MSG_CHAT, 0, 1, 0, "two words", "", "", "x"};

    ck_assert_int_eq(msg_encode(enc, sizeof enc, &m), -1);
    m.nick = "";
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &m), -1);
    m.nick = "bad\nnick";
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &m), -1);
    m.nick = NULL;
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &m), -1);

    struct msg e = {MSG_ERR, 0, 0, 0, "", "", "", "no code"};
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &e), -1);
    struct msg p = {MSG_PONG, 0, 0, 0, "", "", "a b", ""};
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &p), -1);
    struct msg t = {(enum msg_type)MSG_TYPE_COUNT, 0, 0, 0, "", "", "", ""};
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &t), -1);

    /* Capacity: "ACK 5\n" needs 7 bytes with the NUL. */
    struct msg a = {MSG_ACK, 5, 0, 0, "", "", "", ""};
    ck_assert_int_eq(msg_encode(enc, 6, &a), -1);
    ck_assert_int_eq(msg_encode(enc, 7, &a), 6);
    ck_assert_str_eq(enc, "ACK 5\n");
    ck_assert_int_eq(msg_encode(enc, 0, &a), -1);
    ck_assert_int_eq(msg_format_plain(enc, 17, &a), -1);
    ck_assert_int_eq(msg_format_plain(enc, 18, &a), 17);
}
END_TEST

START_TEST(test_encode_null_fields)
{
    /* Unused fields may be NULL: treated as "". */
    struct msg m = {MSG_PING, 0, 0, 0, NULL, NULL, NULL, NULL};
    char enc[32];
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &m), 5);
    ck_assert_str_eq(enc, "PING\n");
    m.type = MSG_OUT;
    ck_assert_int_eq(msg_encode(enc, sizeof enc, &m), 4);
    ck_assert_int_eq(msg_format_plain(enc, sizeof enc, &m), 1);
    ck_assert_str_eq(enc, "\n");
}
END_TEST

struct plain_case {
    struct msg m;
    const char *want;
};

static const struct plain_case plain_cases[] = {
    {M(MSG_WELCOME, 0, 0, 3, "alice", "", "threads", "sockchat"),
     "*** Welcome to sockchat, alice! 3 users online (mode threads). Type /help for commands.\n"},
    {M(MSG_WELCOME, 0, 0, 1, "guest1", "", "single", "pi"),
     "*** Welcome to pi, guest1! 1 user online (mode single). Type /help for commands.\n"},
    {M(MSG_ACK, 9, 0, 0, "", "", "", ""), "Message received\n"},
    {M(MSG_CHAT, 0, 17, 0, "bob", "", "", "hi there"), "<bob> hi there\n"},
    {M(MSG_ACTION, 0, 17, 0, "bob", "", "", "waves"), "* bob waves\n"},
    {M(MSG_PRIV, 0, 17, 0, "bob", "alice", "", "psst"), "[private] bob -> alice: psst\n"},
    {M(MSG_JOIN, 0, 0, 4, "carol", "", "", ""), "*** carol joined (4 online)\n"},
    {M(MSG_LEAVE, 0, 0, 3, "carol", "", "", "quit bye"), "*** carol left: quit bye (3 online)\n"},
    {M(MSG_LEAVE, 0, 0, 3, "carol", "", "", ""), "*** carol left (3 online)\n"},
    {M(MSG_NICK, 0, 0, 0, "guest1", "dave", "", ""), "*** guest1 is now known as dave\n"},
    {M(MSG_OUT, 0, 0, 0, "", "", "", "Users online: a b"), "Users online: a b\n"},
    {M(MSG_ERR, 0, 0, 0, "", "", "slow-down", "slow down"), "error: slow down\n"},
    {M(MSG_NOTICE, 0, 0, 0, "", "", "", "hello all"), "*** notice: hello all\n"},
    {M(MSG_PONG, 0, 0, 0, "", "", "t1", ""), "pong t1\n"},
    {M(MSG_PONG, 0, 0, 0, "", "", "", ""), "pong\n"},
    {M(MSG_PING, 0, 0, 0, "", "", "t2", ""), "ping t2\n"},
    {M(MSG_SHUTDOWN, 0, 0, 0, "", "", "", "bye"), "*** server shutting down: bye\n"},
    {M(MSG_SESSION, 0, 0, 0, "", "", "abcd1234", ""), "*** session abcd1234\n"},
    {M(MSG_UNKNOWN, 0, 0, 0, "", "", "", "TOPIC x"), "TOPIC x\n"},
    {M(MSG_MSG, 3, 0, 0, "", "", "", "typed text"), "typed text\n"},
    {M(MSG_HELLO, 0, 0, 0, "alice", "", "sockchat/1", "secret"), "*** hello from alice\n"},
    /* A person's words padded to push a forged line to nc's next row:
     * runs of blanks are collapsed (our own columns, in OUT, are not). */
    {M(MSG_CHAT, 0, 1, 0, "eve", "", "",
       "ok                                                                    *** alice left"),
     "<eve> ok   *** alice left\n"},
    {M(MSG_ACTION, 0, 1, 0, "eve", "", "", "x     y"), "* eve x   y\n"},
    {M(MSG_PRIV, 0, 1, 0, "eve", "bob", "", "x\xc2\xa0\xc2\xa0\xc2\xa0\xc2\xa0\xc2\xa0y"),
     "[private] eve -> bob: x   y\n"},
    {M(MSG_LEAVE, 0, 0, 2, "eve", "", "", "quit        bye"),
     "*** eve left: quit   bye (2 online)\n"},
    {M(MSG_OUT, 0, 0, 0, "", "", "", "  alice       127.0.0.1"), "  alice       127.0.0.1\n"},
};

START_TEST(test_format_plain)
{
    const struct plain_case *c = &plain_cases[_i];
    char out[256];

    int n = msg_format_plain(out, sizeof out, &c->m);
    ck_assert_str_eq(out, c->want);
    ck_assert_int_eq(n, (int)strlen(c->want));
}
END_TEST

START_TEST(test_session_token_rules)
{
    ck_assert(msg_session_token_ok("abcd1234"));
    ck_assert(msg_session_token_ok("ABCDEFabcdef0123456789abcdef0123")); /* 32 */
    ck_assert(!msg_session_token_ok("abc1234"));                         /* 7 */
    ck_assert(!msg_session_token_ok("ABCDEFabcdef0123456789abcdef01234"));
    ck_assert(!msg_session_token_ok("abcd-1234"));
    ck_assert(!msg_session_token_ok(""));
}
END_TEST

START_TEST(test_type_names)
{
    for (int t = 0; t < MSG_TYPE_COUNT; t++) {
        const char *name = msg_type_name((enum msg_type)t);
        ck_assert_ptr_nonnull(name);
        if (t == MSG_UNKNOWN)
            continue;
        /* Each name parses back to its type (with dummy fields). */
        char line[128];
        struct msg m;
        snprintf(line, sizeof line, "%s 1 2 3 4 5", name);
        msg_parse(&m, line);
        ck_assert_int_eq(m.type, t);
    }
    ck_assert_str_eq(msg_type_name(MSG_CHAT), "CHAT");
    ck_assert_str_eq(msg_type_name((enum msg_type)999), "UNKNOWN");
}
END_TEST

Suite *msg_suite(void)
{
    Suite *s = suite_create("msg");
    TCase *tc = tcase_create("msg-core");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    int nrt = (int)(sizeof rt_cases / sizeof rt_cases[0]);
    tcase_add_loop_test(tc, test_parse_canonical, 0, nrt);
    tcase_add_loop_test(tc, test_round_trip, 0, nrt);
    tcase_add_test(tc, test_parse_lenient);
    tcase_add_test(tc, test_parse_unknown);
    tcase_add_loop_test(tc, test_format_plain, 0,
                        (int)(sizeof plain_cases / sizeof plain_cases[0]));
    tcase_add_test(tc, test_type_names);
    tcase_add_test(tc, test_session_token_rules);
    suite_add_tcase(s, tc);

    tc = tcase_create("msg-errors");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_loop_test(tc, test_parse_malformed, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_encode_neutralises);
    tcase_add_test(tc, test_encode_rejects);
    tcase_add_test(tc, test_encode_null_fields);
    suite_add_tcase(s, tc);
    return s;
}

/* Room names and the mention matcher: the rules a person meets when they
 * type /join, and which lines light up for them. */
#include "check_proto.h"

#include <string.h>

#include "mention.h"
#include "msg.h"
#include "roomname.h"

static int parse(char *dst, const char *s)
{
    return roomname_parse(dst, s, strlen(s));
}

START_TEST(test_names_folded)
{
    char r[ROOMNAME_SIZE];
    ck_assert_int_eq(parse(r, "#Lab1"), 5);
    ck_assert_str_eq(r, "#lab1");
    ck_assert_int_eq(parse(r, "lab1"), 5); /* the '#' may be left out */
    ck_assert_str_eq(r, "#lab1");
    ck_assert_int_eq(parse(r, "#A_b-C"), 6);
    ck_assert_str_eq(r, "#a_b-c");
    ck_assert_int_eq(parse(r, "#MAIN"), 5);
    ck_assert_str_eq(r, ROOM_MAIN);
    ck_assert_int_eq(parse(r, "#x"), 2);
}
END_TEST

START_TEST(test_names_refused)
{
    static const char *const bad[] = {
        "",
        "#",
        "##a",
        "#a b",
        "#a.b",
        "#é",
        "#a\tb",
        "a#b",
        "#a,b",
        "#/",
        " #a",
        "#a ",
        "#1234567890123456789012345", /* 25 characters */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char r[ROOMNAME_SIZE] = "x";
        ck_assert_msg(parse(r, bad[i]) == -1, "accepted %s", bad[i]);
        ck_assert_str_eq(r, "");
        ck_assert(!roomname_valid(bad[i], strlen(bad[i])));
    }
    char r[ROOMNAME_SIZE];
    ck_assert_int_eq(parse(r, "#123456789012345678901234"), 25); /* 24: the longest */
    ck_assert(roomname_valid(r, strlen(r)));
    ck_assert(!roomname_valid("lab1", 4)); /* on the wire the '#' is there */
    ck_assert(roomname_valid("#Lab1", 5));
}
END_TEST

START_TEST(test_mentions)
{
    ck_assert_int_eq(mention_find("alice: lunch?", "alice"), 0);
    ck_assert_int_eq(mention_find("hi Alice", "alice"), 3);
    ck_assert_int_eq(mention_find("@ALICE look", "alice"), 1);
    ck_assert_int_eq(mention_find("alice's turn", "alice"), 0);
    ck_assert_int_eq(mention_find("ask alice.", "alice"), 4);
    ck_assert_int_eq(mention_find("\xc3\xa9"
                                  "alice",
                                  "alice"),
                     2); /* UTF-8 is not a nick char */
    ck_assert_int_eq(mention_find("malice aforethought", "alice"), -1);
    ck_assert_int_eq(mention_find("alice_2 is here", "alice"), -1);
    ck_assert_int_eq(mention_find("alice-x", "alice"), -1);
    ck_assert_int_eq(mention_find("alicealice", "alice"), -1);
    ck_assert_int_eq(mention_find("malice, then alice", "alice"), 13); /* the second one */
    ck_assert_int_eq(mention_find("ali", "alice"), -1);
    ck_assert_int_eq(mention_find("", "alice"), -1);
    ck_assert_int_eq(mention_find("anything", ""), -1);
    ck_assert(mention_in("bob", "BOB"));
    ck_assert(mention_in("x-1 said", "X-1"));
}
END_TEST

START_TEST(test_room_lines)
{
    char buf[256];
    struct msg m = {.type = MSG_ROOM, .word = "#lab1", .users = 3, .text = "fractions"};
    ck_assert_int_gt(msg_encode(buf, sizeof buf, &m), 0);
    ck_assert_str_eq(buf, "ROOM #lab1 3 fractions\n");
    buf[strlen(buf) - 1] = '\0';
    struct msg p;
    ck_assert_int_eq(msg_parse(&p, buf), 0);
    ck_assert_int_eq(p.type, MSG_ROOM);
    ck_assert_str_eq(p.word, "#lab1");
    ck_assert_uint_eq(p.users, 3);
    ck_assert_str_eq(p.text, "fractions");
    ck_assert_int_gt(msg_format_plain(buf, sizeof buf, &m), 0);
    ck_assert_str_eq(buf, "*** you are in #lab1 (3 people); topic: fractions\n");

    struct msg u = {.type = MSG_UNREAD, .word = "#main", .users = 12};
    ck_assert_int_gt(msg_encode(buf, sizeof buf, &u), 0);
    ck_assert_str_eq(buf, "UNREAD #main 12\n");
    buf[strlen(buf) - 1] = '\0';
    ck_assert_int_eq(msg_parse(&p, buf), 0);
    ck_assert_int_eq(p.type, MSG_UNREAD);
    ck_assert_str_eq(p.word, "#main");
    ck_assert_uint_eq(p.users, 12);
    char bad[] = "UNREAD #main";
    ck_assert_int_eq(msg_parse(&p, bad), -1);
}
END_TEST

/* Issue 18: a node tells v2 clients whether it reaches the cluster. */
START_TEST(test_cluster_line)
{
    char buf[256];
    struct msg p;
    struct msg m = {.type = MSG_CLUSTER, .word = "local", .text = "Redis unreachable"};
    ck_assert_int_gt(msg_encode(buf, sizeof buf, &m), 0);
    ck_assert_str_eq(buf, "CLUSTER local Redis unreachable\n");
    buf[strlen(buf) - 1] = '\0';
    ck_assert_int_eq(msg_parse(&p, buf), 0);
    ck_assert_int_eq(p.type, MSG_CLUSTER);
    ck_assert_str_eq(p.word, "local");
    ck_assert_str_eq(p.text, "Redis unreachable");
    ck_assert_int_gt(msg_format_plain(buf, sizeof buf, &m), 0);
    ck_assert_str_eq(buf, "*** Redis unreachable\n");
    char bad[] = "CLUSTER";
    ck_assert_int_eq(msg_parse(&p, bad), -1);
}
END_TEST

START_TEST(test_hello_versions)
{
    ck_assert_uint_eq(msg_hello_version("sockchat/1"), 1);
    ck_assert_uint_eq(msg_hello_version(PROTO_HELLO_TAG), PROTO_VERSION);
    ck_assert_uint_eq(msg_hello_version("sockchat/17"), 17);
    ck_assert_uint_eq(msg_hello_version("sockchat/0"), 0);
    ck_assert_uint_eq(msg_hello_version("sockchat/"), 0);
    ck_assert_uint_eq(msg_hello_version("sockchat/2x"), 0);
    ck_assert_uint_eq(msg_hello_version("sockchat/99999999999999999999"), 0);
    ck_assert_uint_eq(msg_hello_version("other/2"), 0);
}
END_TEST

Suite *room_suite(void)
{
    Suite *s = suite_create("room");
    TCase *tc = tcase_create("room-names");
    tcase_set_timeout(tc, CHECK_PROTO_TIMEOUT);
    tcase_add_test(tc, test_names_folded);
    tcase_add_test(tc, test_names_refused);
    tcase_add_test(tc, test_mentions);
    tcase_add_test(tc, test_room_lines);
    tcase_add_test(tc, test_hello_versions);
    tcase_add_test(tc, test_cluster_line);
    suite_add_tcase(s, tc);
    return s;
}

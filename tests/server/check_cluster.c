/* cluster_wire.c: the --cluster URL, node names and stream entries. The
 * Redis side is exercised by tests/integration/test_cluster.py. */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "fixture.h"

START_TEST(test_url_forms)
{
    struct cluster_url u;
    char err[256];
    ck_assert_int_eq(cluster_url_parse("redis://127.0.0.1:6379", &u, err, sizeof err), 0);
    ck_assert_str_eq(u.host, "127.0.0.1");
    ck_assert_uint_eq(u.port, 6379);
    ck_assert_str_eq(u.prefix, CLUSTER_PREFIX_DEFAULT);
    ck_assert_int_eq(cluster_url_parse("redis://cache.lan:7000/school", &u, err, sizeof err), 0);
    ck_assert_str_eq(u.host, "cache.lan");
    ck_assert_uint_eq(u.port, 7000);
    ck_assert_str_eq(u.prefix, "school");
    ck_assert_int_eq(cluster_url_parse("redis://[::1]:6380/a.b-c", &u, err, sizeof err), 0);
    ck_assert_str_eq(u.host, "::1");
    ck_assert_uint_eq(u.port, 6380);
    ck_assert_str_eq(u.prefix, "a.b-c");
    /* A trailing slash: the default prefix. */
    ck_assert_int_eq(cluster_url_parse("redis://h:1/", &u, err, sizeof err), 0);
    ck_assert_str_eq(u.prefix, CLUSTER_PREFIX_DEFAULT);
}
END_TEST

START_TEST(test_url_refused)
{
    static const char *const bad[] = {
        "127.0.0.1:6379",     /* no scheme */
        "rediss://h:6379",    /* TLS is not ours here */
        "redis://h",          /* no port */
        "redis://h:0",        /* port 0 */
        "redis://h:65536",    /* too big */
        "redis://h:-1",       /* a sign */
        "redis://h:63x9",     /* not a number */
        "redis://:6379",      /* no host */
        "redis://u:p@h:6379", /* credentials */
        "redis://[::1:6379",  /* no ] */
        "redis://h:6379/a b", /* a blank in the prefix */
        "redis://h:6379/a/b", /* a slash in it */
        "redis://h:6379/{x}", /* braces: a Redis Cluster hash tag */
    };
    struct cluster_url u;
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(cluster_url_parse(bad[i], &u, err, sizeof err) < 0, "%s accepted", bad[i]);
        /* The error names what was given. */
        ck_assert_msg(strstr(err, bad[i]) != NULL, "%s: %s", bad[i], err);
    }
    char longp[100] = "redis://h:1/";
    memset(longp + strlen(longp), 'p', 60);
    ck_assert_int_lt(cluster_url_parse(longp, &u, err, sizeof err), 0);
}
END_TEST

START_TEST(test_node_names)
{
    ck_assert(cluster_node_valid("node1"));
    ck_assert(cluster_node_valid("lab-pc.school:5000"));
    ck_assert(!cluster_node_valid(""));
    ck_assert(!cluster_node_valid("two words"));
    ck_assert(!cluster_node_valid("a*"));
    char longn[CLUSTER_NODE_MAX + 1];
    memset(longn, 'n', CLUSTER_NODE_MAX);
    longn[CLUSTER_NODE_MAX] = '\0';
    ck_assert(!cluster_node_valid(longn));
    longn[CLUSTER_NODE_MAX - 1] = '\0';
    ck_assert(cluster_node_valid(longn));
}
END_TEST

/* An entry through its fields and back, as Redis would hand it over. */
static void round_trip(const struct centry *e, struct centry *out)
{
    const char *argv[CENTRY_FIELDS];
    size_t lens[CENTRY_FIELDS];
    unsigned n;
    char num[64];
    centry_fields(e, argv, lens, &n, num);
    ck_assert_uint_le(n, CENTRY_FIELDS);
    ck_assert_int_eq(centry_parse(out, n, argv, lens), 0);
}

START_TEST(test_entry_round_trip)
{
    struct centry e = {.kind = CE_CHAT, .conn = 1200003, .time = 1796516356};
    strcpy(e.node, "n1");
    strcpy(e.room, "#lab1");
    strcpy(e.nick, "ann");
    strcpy(e.text, "x = 1 + 2 (with spaces, \"quotes\" and ünïcode)");
    struct centry out;
    round_trip(&e, &out);
    ck_assert_int_eq(out.kind, CE_CHAT);
    ck_assert_str_eq(out.node, "n1");
    ck_assert_uint_eq(out.conn, 1200003);
    ck_assert_int_eq(out.time, 1796516356);
    ck_assert_str_eq(out.room, "#lab1");
    ck_assert_str_eq(out.nick, "ann");
    ck_assert_str_eq(out.nick2, "");
    ck_assert_str_eq(out.text, e.text);

    struct centry p = {.kind = CE_PRIV, .time = 5};
    strcpy(p.node, "n2");
    strcpy(p.nick, "bob");
    strcpy(p.nick2, "ann");
    strcpy(p.text, "psst");
    round_trip(&p, &out);
    ck_assert_int_eq(out.kind, CE_PRIV);
    ck_assert_str_eq(out.nick2, "ann");
    ck_assert_str_eq(out.room, "");

    /* The longest text a client may send. */
    struct centry *big = calloc(1, sizeof *big);
    struct centry *back = calloc(1, sizeof *back);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_nonnull(back);
    big->kind = CE_ACTION;
    strcpy(big->node, "n3");
    memset(big->text, 'y', CLUSTER_TEXT_MAX);
    round_trip(big, back);
    ck_assert_uint_eq(strlen(back->text), CLUSTER_TEXT_MAX);
    free(big);
    free(back);
}
END_TEST

START_TEST(test_entry_refused)
{
    struct centry e;
    /* Not ours: no kind, an unknown kind, no node. */
    const char *a1[] = {"n", "n1", "x", "hi"};
    size_t l1[] = {1, 2, 1, 2};
    ck_assert_int_lt(centry_parse(&e, 4, a1, l1), 0);
    const char *a2[] = {"k", "shout", "n", "n1"};
    size_t l2[] = {1, 5, 1, 2};
    ck_assert_int_lt(centry_parse(&e, 4, a2, l2), 0);
    const char *a3[] = {"k", "chat", "x", "hi"};
    size_t l3[] = {1, 4, 1, 2};
    ck_assert_int_lt(centry_parse(&e, 4, a3, l3), 0);
    /* An odd count, a bad number, a NUL inside, a nick too long. */
    ck_assert_int_lt(centry_parse(&e, 3, a1, l1), 0);
    const char *a4[] = {"k", "chat", "n", "n1", "c", "12x"};
    size_t l4[] = {1, 4, 1, 2, 1, 3};
    ck_assert_int_lt(centry_parse(&e, 6, a4, l4), 0);
    const char *a5[] = {"k", "chat", "n", "n1", "x", "a\0b"};
    size_t l5[] = {1, 4, 1, 2, 1, 3};
    ck_assert_int_lt(centry_parse(&e, 6, a5, l5), 0);
    const char *a6[] = {"k", "chat", "n", "n1", "f", "abcdefghijklmnopqrstuvwxyz"};
    size_t l6[] = {1, 4, 1, 2, 1, 26};
    ck_assert_int_lt(centry_parse(&e, 6, a6, l6), 0);
    /* A field a later version added is skipped, not refused. */
    const char *a7[] = {"k", "chat", "n", "n1", "zz", "new", "x", "hi"};
    size_t l7[] = {1, 4, 1, 2, 2, 3, 1, 2};
    ck_assert_int_eq(centry_parse(&e, 8, a7, l7), 0);
    ck_assert_str_eq(e.text, "hi");
}
END_TEST

START_TEST(test_id_order)
{
    ck_assert_int_lt(cluster_id_cmp("0-0", "1-0"), 0);
    ck_assert_int_lt(cluster_id_cmp("1796516356000-5", "1796516356000-12"), 0);
    ck_assert_int_gt(cluster_id_cmp("1796516356001-0", "1796516356000-99"), 0);
    ck_assert_int_eq(cluster_id_cmp("17-3", "17-3"), 0);
    /* Numbers, not strings: "9" is before "10". */
    ck_assert_int_lt(cluster_id_cmp("9-0", "10-0"), 0);
}
END_TEST

Suite *cluster_suite(void)
{
    Suite *s = suite_create("cluster");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, test_url_forms);
    tcase_add_test(tc, test_url_refused);
    tcase_add_test(tc, test_node_names);
    tcase_add_test(tc, test_entry_round_trip);
    tcase_add_test(tc, test_entry_refused);
    tcase_add_test(tc, test_id_order);
    suite_add_tcase(s, tc);
    return s;
}

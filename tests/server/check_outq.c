/* outq and history: the queue's limits and sharing, the ring's order. */
#include <string.h>

#include "fixture.h"

START_TEST(test_copy_coalesces)
{
    struct outq q;
    outq_init(&q, 1024);
    ck_assert_int_eq(outq_push_copy(&q, "ab", 2), 0);
    ck_assert_int_eq(outq_push_copy(&q, "cd", 2), 0);
    ck_assert_uint_eq(q.count, 1); /* one private buffer for a burst */
    ck_assert_uint_eq(q.bytes, 4);
    struct iovec iov[4];
    ck_assert_int_eq(outq_iov(&q, iov, 4), 1);
    ck_assert_mem_eq(iov[0].iov_base, "abcd", 4);
    outq_free(&q);
}
END_TEST

/* Everything comes out in order, across messages and after a partial
 * write; a short buffer gets the front and the true total. */
START_TEST(test_take)
{
    struct outq q;
    outq_init(&q, 1024);
    struct outmsg *m = outmsg_new("hello\n", 6);
    ck_assert_int_eq(outq_push(&q, m), 0);
    outmsg_unref(m);
    ck_assert_int_eq(outq_push_copy(&q, "world\n", 6), 0);
    outq_consume(&q, 2);
    char buf[16];
    ck_assert_uint_eq(outq_take(&q, buf, sizeof buf), 10);
    ck_assert_mem_eq(buf, "llo\nworld\n", 10);
    ck_assert(outq_empty(&q));
    ck_assert_uint_eq(q.bytes, 0);

    ck_assert_int_eq(outq_push_copy(&q, "abcdef", 6), 0);
    ck_assert_uint_eq(outq_take(&q, buf, 4), 6);
    ck_assert_mem_eq(buf, "abcd", 4);
    ck_assert(outq_empty(&q));
    ck_assert_uint_eq(outq_take(&q, buf, sizeof buf), 0);
    outq_free(&q);
}
END_TEST

START_TEST(test_shared_message)
{
    struct outq a, b;
    outq_init(&a, 1024);
    outq_init(&b, 1024);
    struct outmsg *m = outmsg_new("hello\n", 6);
    ck_assert_int_eq(outq_push(&a, m), 0);
    ck_assert_int_eq(outq_push(&b, m), 0);
    ck_assert_uint_eq(atomic_load(&m->refs), 3);
    /* A copy after a shared message must not be appended into it. */
    ck_assert_int_eq(outq_push_copy(&a, "x", 1), 0);
    ck_assert_uint_eq(a.count, 2);
    ck_assert_uint_eq(m->len, 6);
    outq_consume(&a, 7);
    ck_assert(outq_empty(&a));
    ck_assert_uint_eq(atomic_load(&m->refs), 2);
    outmsg_unref(m);
    outq_free(&b);
    outq_free(&a);
}
END_TEST

START_TEST(test_partial_consume)
{
    struct outq q;
    outq_init(&q, 1024);
    struct outmsg *m = outmsg_new("0123456789", 10);
    outq_push(&q, m);
    outmsg_unref(m);
    outq_push_copy(&q, "abc", 3);
    outq_consume(&q, 4);
    struct iovec iov[4];
    ck_assert_int_eq(outq_iov(&q, iov, 4), 2);
    ck_assert_uint_eq(iov[0].iov_len, 6);
    ck_assert_mem_eq(iov[0].iov_base, "456789", 6);
    ck_assert_mem_eq(iov[1].iov_base, "abc", 3);
    outq_consume(&q, 7); /* across the boundary */
    ck_assert_int_eq(outq_iov(&q, iov, 4), 1);
    ck_assert_mem_eq(iov[0].iov_base, "bc", 2);
    ck_assert_uint_eq(q.bytes, 2);
    outq_free(&q);
}
END_TEST

START_TEST(test_byte_limit)
{
    struct outq q;
    char big[600];
    memset(big, 'x', sizeof big);
    outq_init(&q, 1000);
    ck_assert_int_eq(outq_push_copy(&q, big, sizeof big), 0);
    ck_assert_int_eq(outq_push_copy(&q, big, 400), 0);
    ck_assert_int_eq(outq_push_copy(&q, big, 1), -1); /* 1001 > 1000 */
    struct outmsg *m = outmsg_new("y", 1);
    ck_assert_int_eq(outq_push(&q, m), -1);
    ck_assert_uint_eq(atomic_load(&m->refs), 1); /* refused: no reference taken */
    outmsg_unref(m);
    outq_consume(&q, 600);
    ck_assert_int_eq(outq_push_copy(&q, big, 1), 0);
    outq_free(&q);
}
END_TEST

START_TEST(test_entry_limit)
{
    struct outq q;
    outq_init(&q, (size_t)1 << 30);
    struct outmsg *m = outmsg_new("z", 1);
    int i;
    for (i = 0; i < OUTQ_MAX_ENTRIES; i++)
        ck_assert_int_eq(outq_push(&q, m), 0);
    ck_assert_int_eq(outq_push(&q, m), -1);
    outq_free(&q);
    ck_assert_uint_eq(atomic_load(&m->refs), 1);
    outmsg_unref(m);
}
END_TEST

START_TEST(test_ring_wraps_in_order)
{
    struct outq q;
    outq_init(&q, 1 << 20);
    char want[64], got[64];
    int next_in = 0, next_out = 0;
    /* Interleave pushes and pops so head wraps round the ring. */
    for (int round = 0; round < 50; round++) {
        for (int k = 0; k < 3; k++) {
            char s[8];
            snprintf(s, sizeof s, "%03d", next_in++ % 1000);
            struct outmsg *m = outmsg_new(s, 3);
            outq_push(&q, m);
            outmsg_unref(m);
        }
        for (int k = 0; k < 2; k++) {
            struct iovec iov[1];
            ck_assert_int_eq(outq_iov(&q, iov, 1), 1);
            memcpy(got, iov[0].iov_base, 3);
            got[3] = '\0';
            snprintf(want, sizeof want, "%03d", next_out++ % 1000);
            ck_assert_str_eq(got, want);
            outq_consume(&q, 3);
        }
    }
    ck_assert_uint_eq(q.count, 50);
    outq_free(&q);
}
END_TEST

START_TEST(test_history_ring)
{
    struct history h;
    history_init(&h, 3);
    struct outmsg *f[5], *p[5];
    for (int i = 0; i < 5; i++) {
        char s[4] = {(char)('a' + i), 0, 0, 0};
        f[i] = outmsg_new(s, 1);
        p[i] = outmsg_new(s, 1);
        history_push(&h, f[i], p[i]);
    }
    ck_assert_uint_eq(h.count, 3);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_ptr_eq(history_get(&h, i, true), f[i + 2]);
        ck_assert_ptr_eq(history_get(&h, i, false), p[i + 2]);
    }
    ck_assert_uint_eq(atomic_load(&f[0]->refs), 1); /* dropped from history */
    ck_assert_uint_eq(atomic_load(&f[4]->refs), 2);
    history_free(&h);
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(atomic_load(&f[i]->refs), 1);
        outmsg_unref(f[i]);
        outmsg_unref(p[i]);
    }
}
END_TEST

START_TEST(test_history_zero)
{
    struct history h;
    history_init(&h, 0);
    struct outmsg *m = outmsg_new("a", 1);
    history_push(&h, m, m);
    ck_assert_uint_eq(h.count, 0);
    history_free(&h);
    outmsg_unref(m);
}
END_TEST

Suite *outq_suite(void)
{
    Suite *s = suite_create("outq");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_copy_coalesces);
    tcase_add_test(core, test_take);
    tcase_add_test(core, test_shared_message);
    tcase_add_test(core, test_partial_consume);
    tcase_add_test(core, test_ring_wraps_in_order);
    suite_add_tcase(s, core);
    TCase *limits = tcase_create("limits");
    tcase_add_test(limits, test_byte_limit);
    tcase_add_test(limits, test_entry_limit);
    suite_add_tcase(s, limits);
    return s;
}

Suite *history_suite(void)
{
    Suite *s = suite_create("history");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_history_ring);
    tcase_add_test(core, test_history_zero);
    suite_add_tcase(s, core);
    return s;
}

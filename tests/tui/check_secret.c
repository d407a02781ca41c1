/* secret: the password prompt's line: what is kept, what is refused, how
 * backspace treats multibyte characters, and that clearing wipes. */
#include "check_tui.h"

#include <string.h>

#include "secret.h"

static bool type(struct secret *s, const char *t)
{
    return secret_insert(s, t, strlen(t));
}

START_TEST(test_secret_line)
{
    struct secret s = {0};
    ck_assert(type(&s, "pä"));
    ck_assert(type(&s, "日"));
    ck_assert(type(&s, " x"));
    ck_assert_str_eq(s.buf, "pä日 x");
    ck_assert_uint_eq(secret_chars(&s), 5);
    secret_backspace(&s);
    secret_backspace(&s);
    secret_backspace(&s); /* the whole of 日, not one byte of it */
    ck_assert_str_eq(s.buf, "pä");
    ck_assert_uint_eq(secret_chars(&s), 2);
    /* What cannot travel in a HELLO line, and stray control keys. */
    ck_assert(!type(&s, "a\nb"));
    ck_assert(!type(&s, "\r"));
    ck_assert(!type(&s, "\x1b"));
    ck_assert(!type(&s, "\x7f"));
    ck_assert(!secret_insert(&s, "a\0b", 3));
    ck_assert_str_eq(s.buf, "pä");
    secret_clear(&s);
    ck_assert_uint_eq(s.len, 0);
    for (size_t i = 0; i < sizeof(s.buf); i++)
        ck_assert_int_eq(s.buf[i], 0);
    secret_backspace(&s); /* empty: stays empty */
    ck_assert_uint_eq(s.len, 0);
}
END_TEST

START_TEST(test_secret_full)
{
    struct secret s = {0};
    char big[SECRET_MAX + 1];
    memset(big, 'p', SECRET_MAX);
    ck_assert(secret_insert(&s, big, SECRET_MAX - 1));
    ck_assert(!type(&s, "日")); /* 3 bytes do not fit in 1 */
    ck_assert(type(&s, "z"));
    ck_assert(!type(&s, "z"));
    ck_assert_uint_eq(s.len, SECRET_MAX);
    ck_assert_uint_eq(strlen(s.buf), SECRET_MAX);
    char w[16];
    memset(w, 'w', sizeof(w));
    secret_wipe(w, sizeof(w));
    for (size_t i = 0; i < sizeof(w); i++)
        ck_assert_int_eq(w[i], 0);
}
END_TEST

Suite *secret_suite(void)
{
    Suite *s = suite_create("secret");
    TCase *core = tcase_create("core");
    tcase_add_test(core, test_secret_line);
    tcase_add_test(core, test_secret_full);
    suite_add_tcase(s, core);
    return s;
}

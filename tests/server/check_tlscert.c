/* server/tlscert.c: where the identity is kept, made once and reused,
 * given pairs checked, and every refusal naming what it refused. */
#include "fixture.h"
#include "tlscert.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static char base[64];
static char err[512];
static struct tls_identity id;

static void tc_setup(void)
{
    snprintf(base, sizeof base, "/tmp/check_tlscert_%d_XXXXXX", (int)getpid());
    ck_assert_ptr_nonnull(mkdtemp(base));
    err[0] = '\0';
}

static void tc_teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *in_base(const char *rest)
{
    static char path[4][PATH_MAX];
    static unsigned next;
    char *p = path[next++ % 4];
    snprintf(p, PATH_MAX, "%s/%s", base, rest);
    return p;
}

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "%s", path);
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(x);
    return x;
}

static void clear_env(void)
{
    unsetenv("STATE_DIRECTORY");
    unsetenv("XDG_STATE_HOME");
}

START_TEST(test_dir_order)
{
    char out[PATH_MAX];
    clear_env();
    setenv("HOME", "/home/ada", 1);
    ck_assert_int_eq(tlscert_dir(NULL, NULL, out, sizeof out, err, sizeof err), 0);
    ck_assert_str_eq(out, "/home/ada/.local/state/sockchat");
    setenv("XDG_STATE_HOME", "relative/is/ignored", 1);
    ck_assert_int_eq(tlscert_dir(NULL, NULL, out, sizeof out, err, sizeof err), 0);
    ck_assert_str_eq(out, "/home/ada/.local/state/sockchat");
    setenv("XDG_STATE_HOME", "/x/state", 1);
    ck_assert_int_eq(tlscert_dir(NULL, NULL, out, sizeof out, err, sizeof err), 0);
    ck_assert_str_eq(out, "/x/state/sockchat");
    ck_assert_int_eq(tlscert_dir(NULL, "/srv/chat/transcript", out, sizeof out, err, sizeof err),
                     0);
    ck_assert_str_eq(out, "/srv/chat");
    ck_assert_int_eq(tlscert_dir(NULL, "transcript", out, sizeof out, err, sizeof err), 0);
    ck_assert_str_eq(out, ".");
    setenv("STATE_DIRECTORY", "/var/lib/sockchat:/var/lib/other", 1);
    ck_assert_int_eq(tlscert_dir(NULL, "/srv/chat/transcript", out, sizeof out, err, sizeof err),
                     0);
    ck_assert_str_eq(out, "/var/lib/sockchat");
    ck_assert_int_eq(tlscert_dir("keys", "/srv/chat/t", out, sizeof out, err, sizeof err), 0);
    ck_assert_str_eq(out, "keys");
    clear_env();
    unsetenv("HOME");
    ck_assert_int_eq(tlscert_dir(NULL, NULL, out, sizeof out, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "--tls-dir"));
}
END_TEST

START_TEST(test_made_then_reused)
{
    const char *dir = in_base("a/b/state");
    ck_assert_int_eq(tlscert_setup(NULL, NULL, dir, &id, err, sizeof err), 0);
    ck_assert(id.made);
    ck_assert(id.self_signed);
    ck_assert_uint_eq(strlen(id.fingerprint), FP_TEXT_SIZE - 1);
    ck_assert_str_eq(id.cert, in_base("a/b/state/tls-cert.pem"));
    struct stat st;
    ck_assert_int_eq(stat(id.key, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    /* No temporary file left beside them. */
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", dir);
    ck_assert_int_eq(system(cmd), 0);

    /* The fingerprint is the file's certificate's SHA-256, as openssl
     * computes it; the certificate serves localhost by name and address. */
    X509 *x = read_cert(id.cert);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    ck_assert_int_eq(X509_digest(x, EVP_sha256(), md, &len), 1);
    char fp[FP_TEXT_SIZE];
    fp_format(md, fp);
    ck_assert_str_eq(fp, id.fingerprint);
    ck_assert_int_eq(X509_check_host(x, "localhost", 0, 0, NULL), 1);
    ck_assert_int_eq(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    ck_assert_int_eq(X509_check_ip_asc(x, "::1", 0), 1);
    ck_assert_int_eq(X509_cmp_current_time(X509_get0_notAfter(x)), 1); /* not expired */
    X509_free(x);

    char first[FP_TEXT_SIZE];
    memcpy(first, id.fingerprint, sizeof first);
    ck_assert_int_eq(tlscert_setup(NULL, NULL, dir, &id, err, sizeof err), 0);
    ck_assert(!id.made);
    ck_assert_str_eq(id.fingerprint, first);
}
END_TEST

START_TEST(test_given_pairs)
{
    struct tls_identity a, b;
    ck_assert_int_eq(tlscert_setup(NULL, NULL, in_base("a"), &a, err, sizeof err), 0);
    ck_assert_int_eq(tlscert_setup(NULL, NULL, in_base("b"), &b, err, sizeof err), 0);
    ck_assert_str_ne(a.fingerprint, b.fingerprint);

    ck_assert_int_eq(tlscert_setup(a.cert, a.key, NULL, &id, err, sizeof err), 0);
    ck_assert(!id.made);
    ck_assert_str_eq(id.fingerprint, a.fingerprint);

    ck_assert_int_eq(tlscert_setup(a.cert, b.key, NULL, &id, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not the key of") && strstr(err, b.key), "%s", err);

    ck_assert_int_eq(tlscert_setup(in_base("nope.pem"), a.key, NULL, &id, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "tls-cert ") && strstr(err, "nope.pem: No such file or directory"),
                  "%s", err);

    ck_assert_int_eq(tlscert_setup(a.key, a.key, NULL, &id, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not a PEM certificate"), "%s", err);
    ck_assert_int_eq(tlscert_setup(a.cert, a.cert, NULL, &id, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "not a PEM private key"), "%s", err);

    ck_assert_int_eq(tlscert_setup(a.cert, NULL, NULL, &id, err, sizeof err), -1);
    ck_assert_str_eq(err, "--tls-cert given without --tls-key");
}
END_TEST

/* A key without its certificate (a crash between the two, a careless rm)
 * is refused with what to do, not replaced: it may be the one clients
 * trust. */
START_TEST(test_half_pair)
{
    const char *dir = in_base("half");
    ck_assert_int_eq(tlscert_setup(NULL, NULL, dir, &id, err, sizeof err), 0);
    ck_assert_int_eq(unlink(id.cert), 0);
    ck_assert_int_eq(tlscert_setup(NULL, NULL, dir, &id, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "tls-key.pem is there without tls-cert.pem"), "%s", err);

    ck_assert_int_eq(tlscert_setup(NULL, NULL, in_base("ro"), &id, err, sizeof err), 0);
    ck_assert_int_eq(unlink(id.key), 0);
    ck_assert_int_eq(tlscert_setup(NULL, NULL, in_base("ro"), &id, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "tls-cert.pem is there without tls-key.pem"), "%s", err);
}
END_TEST

START_TEST(test_dir_not_writable)
{
    const char *file = in_base("plainfile");
    FILE *f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/sub", file);
    ck_assert_int_eq(tlscert_setup(NULL, NULL, dir, &id, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "tls-dir ") && strstr(err, "Not a directory"), "%s", err);
}
END_TEST

Suite *tlscert_suite(void)
{
    Suite *s = suite_create("tlscert");
    TCase *tc = tcase_create("identity");
    tcase_add_checked_fixture(tc, tc_setup, tc_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_dir_order);
    tcase_add_test(tc, test_made_then_reused);
    tcase_add_test(tc, test_given_pairs);
    tcase_add_test(tc, test_half_pair);
    tcase_add_test(tc, test_dir_not_writable);
    suite_add_tcase(s, tc);
    return s;
}

/* tlscert: the server's TLS identity; see tlscert.h. */
#define _GNU_SOURCE /* gethostname's HOST_NAME_MAX */
#include "tlscert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

enum {
    TLSCERT_DAYS = 3650,
    /* A second server making the same pair at once: how long to wait for
     * the winner's certificate to follow its key. */
    TLSCERT_RACE_MS = 2000,
};

static const char CERT_NAME[] = "tls-cert.pem";
static const char KEY_NAME[] = "tls-key.pem";

static int fail(char *err, size_t ecap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t ecap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, ecap, fmt, ap);
    va_end(ap);
    ERR_clear_error();
    return -1;
}

/* "$VAR/rest", when VAR is set to an absolute path. */
static bool env_path(const char *var, const char *rest, char *out, size_t cap)
{
    const char *v = getenv(var);
    if (v == NULL || v[0] != '/')
        return false;
    /* $STATE_DIRECTORY may list several, ':'-separated: ours is the first. */
    size_t len = strcspn(v, ":");
    int n = snprintf(out, cap, "%.*s%s", (int)len, v, rest);
    return n > 0 && (size_t)n < cap;
}

/* The directory of transcript ("." for a bare name) in out. */
static int dir_of(const char *transcript, char *out, size_t cap)
{
    const char *slash = strrchr(transcript, '/');
    if (slash == NULL)
        return snprintf(out, cap, ".");
    if (slash == transcript)
        return snprintf(out, cap, "/");
    return snprintf(out, cap, "%.*s", (int)(slash - transcript), transcript);
}

int tlscert_dir(const char *tls_dir, const char *transcript, char *out, size_t cap, char *err,
                size_t ecap)
{
    bool given = tls_dir != NULL && tls_dir[0] != '\0';
    bool beside = transcript != NULL && transcript[0] != '\0';
    int n = 0;
    if (given)
        n = snprintf(out, cap, "%s", tls_dir);
    else if (env_path("STATE_DIRECTORY", "", out, cap))
        return 0;
    else if (beside)
        n = dir_of(transcript, out, cap);
    else if (!env_path("XDG_STATE_HOME", "/sockchat", out, cap) &&
             !env_path("HOME", "/.local/state/sockchat", out, cap))
        return fail(err, ecap,
                    "tls: no directory to keep a key in ($HOME is not set): "
                    "give --tls-dir DIR");
    if (n < 0 || (size_t)n >= cap)
        return fail(err, ecap, "tls-dir: path too long");
    return 0;
}

/* mkdir -p, the directories it makes 0700 (XDG's rule for state). */
static int make_dirs(const char *dir, char *err, size_t ecap)
{
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return fail(err, ecap, "tls-dir %s: path too long", dir);
    for (char *p = path + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            return fail(err, ecap, "tls-dir %s: mkdir %s: %s", dir, path, strerror(errno));
        if (end)
            break;
        *p = '/';
    }
    struct stat st;
    if (stat(dir, &st) < 0)
        return fail(err, ecap, "tls-dir %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(err, ecap, "tls-dir %s: not a directory", dir);
    return 0;
}

/* The host name, when it can go into a DNS SAN as it is. */
static void host_name(char *out, size_t cap)
{
    char h[256];
    out[0] = '\0';
    if (gethostname(h, sizeof h) < 0)
        return;
    h[sizeof h - 1] = '\0';
    if (h[0] == '\0' || strcmp(h, "localhost") == 0)
        return;
    for (const char *p = h; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.'))
            return;
    snprintf(out, cap, "%s", h);
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* A self-signed certificate for key. */
static X509 *make_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    if (x == NULL)
        return NULL;
    char host[256];
    host_name(host, sizeof host);
    char san[400];
    snprintf(san, sizeof san, "%s%s%sDNS:localhost,IP:127.0.0.1,IP:::1", host[0] ? "DNS:" : "",
             host, host[0] ? "," : "");
    unsigned char serial[16];
    BIGNUM *bn = NULL;
    X509_NAME *name = X509_get_subject_name(x);
    bool ok = RAND_bytes(serial, sizeof serial) == 1 &&
              (serial[0] &= 0x7F, (bn = BN_bin2bn(serial, sizeof serial, NULL)) != NULL) &&
              BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
              X509_set_version(x, 2) == 1 && X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
              X509_time_adj_ex(X509_getm_notAfter(x), TLSCERT_DAYS, 0, NULL) &&
              X509_set_pubkey(x, key) == 1 &&
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"sockchat",
                                         -1, -1, 0) == 1 &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                         (const unsigned char *)(host[0] ? host : "localhost"), -1,
                                         -1, 0) == 1 &&
              X509_set_issuer_name(x, name) == 1 &&
              add_ext(x, NID_basic_constraints, "critical,CA:FALSE") == 0 &&
              add_ext(x, NID_key_usage, "critical,digitalSignature") == 0 &&
              add_ext(x, NID_ext_key_usage, "serverAuth") == 0 &&
              add_ext(x, NID_subject_alt_name, san) == 0 &&
              add_ext(x, NID_subject_key_identifier, "hash") == 0 &&
              X509_sign(x, key, EVP_sha256()) > 0;
    BN_free(bn);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* A new file in dir holding what write_fn writes, mode 0600; its name in
 * tmp. 0, or -1 with err. */
static int write_temp(const char *dir, const char *what, char *tmp, size_t tcap,
                      int (*write_fn)(FILE *f, void *arg), void *arg, char *err, size_t ecap)
{
    int n = snprintf(tmp, tcap, "%s/.%s.XXXXXX", dir, what);
    if (n < 0 || (size_t)n >= tcap)
        return fail(err, ecap, "tls-dir %s: path too long", dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return fail(err, ecap, "tls-dir %s: cannot write a file there: %s", dir, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (f == NULL) {
        int e = errno;
        close(fd);
        unlink(tmp);
        return fail(err, ecap, "%s: %s", tmp, strerror(e));
    }
    int ok = write_fn(f, arg);
    int synced = fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (fclose(f) != 0 || !ok || !synced) {
        unlink(tmp);
        return fail(err, ecap, "%s: cannot write it: %s", tmp,
                    ok ? strerror(e) : "encoding failed");
    }
    return 0;
}

static int write_key(FILE *f, void *arg)
{
    return PEM_write_PrivateKey(f, arg, NULL, NULL, 0, NULL, NULL);
}

static int write_cert(FILE *f, void *arg)
{
    return PEM_write_X509(f, arg);
}

/* Makes the pair in dir. link(2), not rename(2): of two servers making it
 * at once, the second finds the first's key there and takes their pair
 * (1), rather than replacing a key the first already serves with. 0 made,
 * 1 someone else's is there now, -1 with err. */
static int make_pair(const char *dir, const char *cert, const char *key, char *err, size_t ecap)
{
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (pkey == NULL)
        return fail(err, ecap, "tls: cannot make an ECDSA P-256 key");
    X509 *x = make_cert(pkey);
    if (x == NULL) {
        EVP_PKEY_free(pkey);
        return fail(err, ecap, "tls: cannot make a self-signed certificate");
    }
    char ktmp[PATH_MAX], ctmp[PATH_MAX];
    int rc = -1;
    if (write_temp(dir, KEY_NAME, ktmp, sizeof ktmp, write_key, pkey, err, ecap) < 0)
        goto out;
    if (write_temp(dir, CERT_NAME, ctmp, sizeof ctmp, write_cert, x, err, ecap) < 0) {
        unlink(ktmp);
        goto out;
    }
    if (link(ktmp, key) < 0) {
        int e = errno;
        if (e == EEXIST)
            rc = 1;
        else
            fail(err, ecap, "tls-key %s: %s", key, strerror(e));
    } else if (link(ctmp, cert) < 0) {
        fail(err, ecap, "tls-cert %s: %s", cert, strerror(errno));
        unlink(key);
    } else {
        rc = 0;
    }
    unlink(ktmp);
    unlink(ctmp);
out:
    X509_free(x);
    EVP_PKEY_free(pkey);
    return rc;
}

/* Whether path exists; -1 with err when it cannot be told. */
static int exists(const char *opt, const char *path, char *err, size_t ecap)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return 1;
    if (errno == ENOENT || errno == ENOTDIR)
        return 0; /* made (or refused, saying why) next */
    return fail(err, ecap, "%s %s: %s", opt, path, strerror(errno));
}

static int load(struct tls_identity *id, char *err, size_t ecap)
{
    FILE *f = fopen(id->cert, "re");
    if (f == NULL)
        return fail(err, ecap, "tls-cert %s: %s", id->cert, strerror(errno));
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (x == NULL)
        return fail(err, ecap, "tls-cert %s: not a PEM certificate", id->cert);
    f = fopen(id->key, "re");
    if (f == NULL) {
        int e = errno;
        X509_free(x);
        return fail(err, ecap, "tls-key %s: %s", id->key, strerror(e));
    }
    /* No passphrase callback: a server that starts unattended cannot ask. */
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");
    fclose(f);
    int rc = -1;
    if (pkey == NULL) {
        fail(err, ecap, "tls-key %s: not a PEM private key (or it needs a passphrase)", id->key);
    } else if (X509_check_private_key(x, pkey) != 1) {
        fail(err, ecap, "tls-key %s: not the key of tls-cert %s", id->key, id->cert);
    } else {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned mdlen = 0;
        if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != FP_BYTES) {
            fail(err, ecap, "tls-cert %s: cannot compute its SHA-256", id->cert);
        } else {
            fp_format(md, id->fingerprint);
            X509_NAME *issuer = X509_get_issuer_name(x);
            id->self_signed = X509_NAME_cmp(issuer, X509_get_subject_name(x)) == 0;
            if (X509_NAME_get_text_by_NID(issuer, NID_commonName, id->issuer, sizeof id->issuer) <
                0)
                X509_NAME_oneline(issuer, id->issuer, sizeof id->issuer);
            rc = 0;
        }
    }
    EVP_PKEY_free(pkey);
    X509_free(x);
    if (rc < 0)
        ERR_clear_error();
    return rc;
}

static int set_path(char *out, const char *dir, const char *name, char *err, size_t ecap)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_MAX)
        return fail(err, ecap, "tls-dir %s: path too long", dir);
    return 0;
}

/* The kept pair in dir, made first when there is none. */
static int setup_dir(const char *dir, struct tls_identity *id, char *err, size_t ecap)
{
    if (set_path(id->cert, dir, CERT_NAME, err, ecap) < 0 ||
        set_path(id->key, dir, KEY_NAME, err, ecap) < 0)
        return -1;
    int have_cert = exists("tls-cert", id->cert, err, ecap);
    int have_key = have_cert < 0 ? -1 : exists("tls-key", id->key, err, ecap);
    if (have_key < 0)
        return -1;
    if (!have_cert && !have_key) {
        if (make_dirs(dir, err, ecap) < 0)
            return -1;
        int made = make_pair(dir, id->cert, id->key, err, ecap);
        if (made < 0)
            return -1;
        id->made = made == 0;
        have_key = 1;
        have_cert = made == 0;
    }
    /* Another server's pair is half there: its certificate follows its key. */
    for (int waited = 0; have_key && !have_cert && waited < TLSCERT_RACE_MS; waited += 20) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        if ((have_cert = exists("tls-cert", id->cert, err, ecap)) < 0)
            return -1;
    }
    if (have_cert != have_key)
        return fail(err, ecap,
                    "tls-dir %s: %s is there without %s: remove it (a new pair is then "
                    "made) or give --tls-cert and --tls-key",
                    dir, have_key ? KEY_NAME : CERT_NAME, have_key ? CERT_NAME : KEY_NAME);
    return load(id, err, ecap);
}

int tlscert_setup(const char *cert, const char *key, const char *dir, struct tls_identity *id,
                  char *err, size_t ecap)
{
    memset(id, 0, sizeof *id);
    if ((cert == NULL) != (key == NULL))
        return fail(err, ecap, "%s given without %s", cert ? "--tls-cert" : "--tls-key",
                    cert ? "--tls-key" : "--tls-cert");
    if (cert == NULL)
        return setup_dir(dir, id, err, ecap);
    int n = snprintf(id->cert, sizeof id->cert, "%s", cert);
    int m = snprintf(id->key, sizeof id->key, "%s", key);
    if (n < 0 || (size_t)n >= sizeof id->cert || m < 0 || (size_t)m >= sizeof id->key)
        return fail(err, ecap, "tls-cert/tls-key: path too long");
    return load(id, err, ecap);
}

/* tofu: the TLS policy of the client (see tofu.h). */
#include "tofu.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "known.h"
#include "net.h"
#include "tls.h"
#include "trust.h"

int tofu_init(struct tofu *t, const struct client_opts *opt, char *err, size_t errlen)
{
    memset(t, 0, sizeof(*t));
    t->force_tls = opt->tls || opt->tls_ca != NULL;
    t->no_tls = opt->no_tls;
    t->ca = opt->tls_ca != NULL;
    t->accept_new = opt->tls_accept_new;
    if (t->no_tls)
        return 0;
    t->ctx = tls_ctx_new(opt->tls_ca, err, errlen);
    return t->ctx ? 0 : -1;
}

void tofu_free(struct tofu *t)
{
    tls_ctx_free(t->ctx);
    t->ctx = NULL;
}

bool tofu_wants_tls(const struct tofu *t, const char *host, const char *port, bool entry_tls,
                    size_t *known_line, char *err, size_t errlen)
{
    char key[KNOWN_KEY_MAX];
    struct trust tr;
    *known_line = 0;
    err[0] = '\0';
    /* Read each time: another client may have trusted or forgotten it. */
    if (known_key(host, port, key, sizeof(key)) > 0 && trust_load(&tr, err, errlen) == 0) {
        *known_line = known_find(&tr.k, key, NULL);
        trust_free(&tr);
    }
    if (t->no_tls)
        return false;
    return t->force_tls || entry_tls || *known_line > 0;
}

void tofu_entry_line(const char *host, const char *port, const unsigned char sha[FP_BYTES],
                     char *buf, size_t cap)
{
    char key[KNOWN_KEY_MAX], fp[FP_TEXT_SIZE];
    known_key(host, port, key, sizeof(key));
    fp_format(sha, fp);
    snprintf(buf, cap, "%s %s %s", key, KNOWN_LABEL, fp);
}

/* Stores key's digest; 0, or -1 with msg saying why not. */
static int store(const char *key, const unsigned char sha[FP_BYTES], char *msg, size_t cap,
                 size_t *line, char *path, size_t pcap)
{
    struct trust tr;
    char err[PATH_MAX + 200];
    if (trust_load(&tr, err, sizeof(err)) < 0) {
        snprintf(msg, cap, "cannot trust it: %s", err);
        return -1;
    }
    *line = known_set(&tr.k, key, sha);
    int rc = *line ? trust_save(&tr, err, sizeof(err)) : -1;
    if (rc < 0)
        snprintf(msg, cap, "cannot trust it: %s", *line ? err : "out of memory");
    snprintf(path, pcap, "%s", tr.path);
    trust_free(&tr);
    return rc;
}

enum tofu_verdict tofu_check(const struct tofu *t, const struct net *n, const char *host,
                             const char *port, char *msg, size_t cap)
{
    char key[KNOWN_KEY_MAX], fp[FP_TEXT_SIZE], err[PATH_MAX + 200], path[PATH_MAX];
    msg[0] = '\0';
    if (t->ca)
        return TOFU_OK; /* the handshake verified the chain and the name */
    if (!n->tls_cert || known_key(host, port, key, sizeof(key)) == 0) {
        snprintf(msg, cap, "%s:%s sent no certificate: not connecting", host, port);
        return TOFU_REFUSE;
    }
    struct trust tr;
    if (trust_load(&tr, err, sizeof(err)) < 0) {
        snprintf(msg, cap, "%s; not connecting without knowing whether to trust %s", err, key);
        return TOFU_REFUSE;
    }
    size_t line;
    unsigned char old[FP_BYTES];
    enum trust_verdict v = trust_check(&tr, key, n->tls_sha, &line, old);
    enum tofu_verdict out = TOFU_OK;
    fp_format(n->tls_sha, fp);
    if (v == TRUST_CHANGED) {
        trust_changed_text(&tr, key, line, old, n->tls_sha, msg, cap);
        out = TOFU_REFUSE;
    } else if (v == TRUST_NEW && t->accept_new) {
        out = store(key, n->tls_sha, msg, cap, &line, path, sizeof(path)) == 0 ? TOFU_OK
                                                                               : TOFU_REFUSE;
        if (out == TOFU_OK)
            snprintf(msg, cap,
                     "trusted %s (SHA-256 %s) on first use (--tls-accept-new): %s line %zu", key,
                     fp, path, line);
    } else if (v == TRUST_NEW) {
        /* A line added by hand that we cannot read may be this server's:
         * say so, rather than ask as if nothing were there. */
        char bad[PATH_MAX + 200] = "";
        if (tr.k.bad)
            snprintf(bad, sizeof(bad),
                     "(%s line %zu%s is not HOST:PORT SHA-256 FINGERPRINT: ignored, and kept)\n",
                     tr.path, tr.k.first_bad, tr.k.bad > 1 ? " and others" : "");
        snprintf(msg, cap,
                 "%sThe server %s is not known yet. Its certificate's fingerprint is\n"
                 "  SHA-256 %s\n"
                 "Check it against the one the server's operator shows (its log prints it): "
                 "if they match, nobody sits in between. Trust it and remember it in %s?",
                 bad, key, fp, tr.path);
        out = TOFU_ASK;
    }
    trust_free(&tr);
    return out;
}

int tofu_accept(const struct tofu *t, const char *host, const char *port,
                const unsigned char sha[FP_BYTES], char *msg, size_t cap)
{
    (void)t;
    char key[KNOWN_KEY_MAX], path[PATH_MAX];
    size_t line;
    if (known_key(host, port, key, sizeof(key)) == 0) {
        snprintf(msg, cap, "cannot trust %s:%s: the name is too long", host, port);
        return -1;
    }
    if (store(key, sha, msg, cap, &line, path, sizeof(path)) < 0)
        return -1;
    snprintf(msg, cap, "trusted %s: %s line %zu", key, path, line);
    return 0;
}

void tofu_refused_text(const struct net *n, const char *host, const char *port, size_t known_line,
                       const char *err, char *msg, size_t cap)
{
    char key[KNOWN_KEY_MAX];
    if (known_key(host, port, key, sizeof(key)) == 0)
        snprintf(key, sizeof(key), "the server");
    if (n->tls_fail == TLS_FAIL_NOT_TLS && known_line > 0)
        snprintf(msg, cap,
                 "%s: %s. It spoke TLS before (known_servers line %zu): someone may be "
                 "stripping the encryption to read your password. Not connecting. If the "
                 "server really dropped TLS, sockchat --forget %s, then connect again",
                 key, err, known_line, key);
    else if (n->tls_fail == TLS_FAIL_NOT_TLS)
        snprintf(msg, cap,
                 "%s: %s: it does not speak TLS (leave out --tls and tls:// for a clear-text "
                 "server; everything you type then crosses the network readable)",
                 key, err);
    else
        snprintf(msg, cap, "%s: %s; not connecting", key, err);
}

void tofu_no_password_text(const char *host, const char *port, size_t known_line, char *buf,
                           size_t cap)
{
    char key[KNOWN_KEY_MAX];
    if (known_key(host, port, key, sizeof(key)) == 0)
        snprintf(key, sizeof(key), "the server");
    snprintf(buf, cap,
             "--no-tls to %s, which spoke TLS before (known_servers line %zu): connecting in "
             "clear text, but the password is not sent, where anyone on the network could "
             "read it",
             key, known_line);
}

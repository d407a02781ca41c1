/* fingerprint: a certificate's SHA-256 as people read it. Pure: the
 * digest is computed by the caller (X509_digest); this only writes and
 * reads its text, the same on the server's log, /stats, the dashboard,
 * the client's question and its known_servers file.
 *
 * The form is what `openssl x509 -noout -fingerprint -sha256` prints:
 * 32 upper-case hex pairs joined by ':', so anyone can check it with
 * openssl too. */
#ifndef SOCKCHAT_FINGERPRINT_H
#define SOCKCHAT_FINGERPRINT_H

enum {
    FP_BYTES = 32,               /* SHA-256 */
    FP_TEXT_SIZE = FP_BYTES * 3, /* "AB:" x 32, the last ':' a NUL */
};

/* sha as "AB:CD:...:EF" in out. */
void fp_format(const unsigned char sha[FP_BYTES], char out[FP_TEXT_SIZE]);

/* Reads what fp_format writes, in either case, with or without the
 * colons (a pair is never split by one), surrounding blanks ignored.
 * 0, or -1 (sha untouched) when it is not 32 bytes of hex. */
int fp_parse(const char *text, unsigned char sha[FP_BYTES]);

#endif

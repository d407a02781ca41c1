/* dialect: the three forms of the protocol (docs/PROTOCOL.md section 2),
 * one name for each in both programs. The server learns its client's from
 * the first bytes it sends; the client learns its server's from the answer
 * to HELLO (it never speaks raw, but a tutorial's server is answered in
 * plain lines). */
#ifndef SOCKCHAT_DIALECT_H
#define SOCKCHAT_DIALECT_H

enum dialect {
    DIALECT_UNKNOWN, /* not known yet: nothing received, or no answer to HELLO */
    DIALECT_FRAMED,  /* HELLO sockchat/1 ...: section 4 */
    DIALECT_PLAIN,   /* lines: nc, telnet, and servers that are not ours: section 5 */
    DIALECT_RAW,     /* the tutorial's client.py: one read = one message: section 6 */
};

#endif

/* telnet: takes the telnet commands out of what telnet(1) sends, and
 * answers the ones that need an answer. Pure, no allocation.
 *
 * telnet(1) on a port other than 23 sends plain lines, except for special
 * keys. Ctrl-C sends IAC IP and IAC DO TIMING-MARK, and telnet then throws
 * away everything it receives until the server answers the mark: without an
 * answer its user sees nothing more, and without filtering the room sees
 * the command bytes as text. So: commands are removed, DO TIMING-MARK is
 * answered WILL TIMING-MARK, other DO and WILL requests are declined (WONT,
 * DONT; we never ask for anything, so this cannot loop), and
 * subnegotiations are skipped. A command may be split across reads.
 *
 * A byte 255 that is not followed by a command byte (240-255) is text: a
 * Latin-1 'y' with diaeresis from nc is not telnet, and must not swallow
 * the next byte (the LF that ends its line). Such text is invalid UTF-8
 * and becomes U+FFFD as before; split across two reads, its 255 is lost. */
#ifndef SOCKCHAT_TELNET_H
#define SOCKCHAT_TELNET_H

#include <stdbool.h>
#include <stddef.h>

enum {
    TELNET_IAC = 255,
    TELNET_DONT = 254,
    TELNET_DO = 253,
    TELNET_WONT = 252,
    TELNET_WILL = 251,
    TELNET_SB = 250,
    TELNET_SE = 240,
    TELNET_TIMING_MARK = 6,
};

/* Room telnet_filter() needs for the answers to len bytes: an answer is
 * 3 bytes and takes 3 bytes of input, except the first, whose command may
 * have begun in the previous call. */
#define TELNET_REPLY_CAP(len) ((len) + 2)

/* How long a subnegotiation may run before it is taken for text after all. */
enum { TELNET_SB_MAX = 64 };

struct telnet {
    unsigned char state; /* inside a command: how far (0: in text) */
    unsigned char verb;  /* WILL, WONT, DO or DONT awaiting its option */
    unsigned char sb;    /* bytes of the subnegotiation so far */
};

/* True when buf[0..len) holds a command byte, or t is inside a command:
 * only then is filtering needed (text is never changed). */
bool telnet_pending(const struct telnet *t, const char *buf, size_t len);

/* Removes the commands from buf[0..len) in place and returns the length of
 * the text left. Answers go to reply (room for TELNET_REPLY_CAP(len)
 * bytes); *reply_len is set to their length. IAC IAC is a literal 0xFF. */
size_t telnet_filter(struct telnet *t, char *buf, size_t len, char *reply, size_t *reply_len);

#endif

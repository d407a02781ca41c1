/* telnet: a small state machine over the bytes of RFC 854 commands. */
#include "telnet.h"

#include <string.h>

enum { S_TEXT, S_IAC, S_VERB, S_SB, S_SB_IAC };

bool telnet_pending(const struct telnet *t, const char *buf, size_t len)
{
    return t->state != S_TEXT || memchr(buf, TELNET_IAC, len) != NULL;
}

static size_t answer(char *reply, unsigned char verb, unsigned char option)
{
    unsigned char a;
    if (verb == TELNET_DO)
        a = option == TELNET_TIMING_MARK ? TELNET_WILL : TELNET_WONT;
    else if (verb == TELNET_WILL)
        a = TELNET_DONT;
    else
        return 0; /* WONT and DONT are the answers we would give: none due */
    reply[0] = (char)TELNET_IAC;
    reply[1] = (char)a;
    reply[2] = (char)option;
    return 3;
}

size_t telnet_filter(struct telnet *t, char *buf, size_t len, char *reply, size_t *reply_len)
{
    size_t out = 0, rl = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)buf[i];
        switch (t->state) {
        case S_TEXT:
            if (b == TELNET_IAC)
                t->state = S_IAC;
            else
                buf[out++] = (char)b;
            break;
        case S_IAC:
            if (b == TELNET_IAC) {
                buf[out++] = (char)b;
                t->state = S_TEXT;
            } else if (b >= TELNET_WILL && b <= TELNET_DONT) {
                t->verb = b;
                t->state = S_VERB;
            } else if (b == TELNET_SB) {
                t->sb = 0;
                t->state = S_SB;
            } else if (b >= TELNET_SE) {
                t->state = S_TEXT; /* IP, AO, AYT, EC, EL, NOP, ...: dropped */
            } else {
                /* Not a command: the 255 was text. It can be put back
                 * unless it ended the previous read (out == i here). */
                if (out < i)
                    buf[out++] = (char)TELNET_IAC;
                buf[out++] = (char)b;
                t->state = S_TEXT;
            }
            break;
        case S_VERB:
            rl += answer(reply + rl, t->verb, b);
            t->state = S_TEXT;
            break;
        case S_SB:
            if (b == TELNET_IAC)
                t->state = S_SB_IAC;
            else if (++t->sb >= TELNET_SB_MAX)
                t->state = S_TEXT; /* no telnet sends that much: it was text */
            break;
        case S_SB_IAC:
            t->state = b == TELNET_SE ? S_TEXT : S_SB;
            break;
        default:
            t->state = S_TEXT;
            break;
        }
    }
    *reply_len = rl;
    return out;
}

/* reply: the answer to one input message (reply.c). */
#ifndef SOCKCHAT_REPLY_H
#define SOCKCHAT_REPLY_H

#include "server.h"

struct reply {
    struct client *c;
    uint64_t id; /* framed MSG id, for ACK */
    char *raw;   /* raw dialect: everything is joined into one reply */
    size_t rawlen;
    size_t rawcap;
    bool raw_heap; /* raw was malloc()ed by raw_append */
    bool replied;
    bool acked; /* an ACK went out: the message was taken */
};
void reply_msg(struct reply *r, const struct msg *m);
void reply_out(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_err(struct reply *r, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void reply_ack(struct reply *r);
/* A raw reply cut to what the tutorial's client reads at once (RAW_WIRE_MAX
 * bytes), saying what was cut. */
void reply_raw_fit(struct reply *r);
/* Frees what the raw reply allocated; every reply ends here. */
void reply_release(struct reply *r);

#endif

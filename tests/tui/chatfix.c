/* chatfix: see chatfix.h. */
#include "chatfix.h"

#include <check.h>
#include <string.h>

const char *chatfix_out(struct chat *cl)
{
    static char buf[65536];
    size_t len;
    const char *o = chat_output(cl, &len);
    ck_assert_uint_lt(len, sizeof(buf));
    memcpy(buf, o, len);
    buf[len] = '\0';
    chat_consume(cl, len);
    return buf;
}

struct entry *chatfix_last(struct chatlog *log)
{
    ck_assert_uint_gt(chatlog_count(log), 0);
    return chatlog_at(log, chatlog_count(log) - 1);
}

/* dialect: how each peer is spoken to, as pure string functions.
 *
 * One table of behaviours per dialect would hide the few real differences,
 * so each function is a switch: our framed dialect (built and parsed with
 * proto's msg), our plain one, the tutorial's raw one, redis RESP and
 * ncat --chat. A fanout payload is "fan RUN SEQ" (plus padding) in every
 * dialect; RUN tags this run so history or traffic of an earlier run on the
 * same server is never mistaken for ours. */
#include "bench.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static const char *const NAMES[] = {"framed", "plain", "raw", "resp", "ncat"};

const char *dialect_name(enum bench_dialect d)
{
    return NAMES[d];
}

int dialect_parse(const char *s, enum bench_dialect *d)
{
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        if (strcmp(s, NAMES[i]) == 0) {
            *d = (enum bench_dialect)i;
            return 0;
        }
    }
    return -1;
}

/* snprintf's result as a length, 0 when it did not fit cap. */
static size_t put(size_t cap, int n)
{
    return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* One RESP array of bulk strings: what redis-cli sends. */
static size_t resp_command(char *buf, size_t cap, int argc, const char *const *argv)
{
    size_t off = put(cap, snprintf(buf, cap, "*%d\r\n", argc));
    for (int i = 0; i < argc && off > 0; i++) {
        size_t n = put(cap - off,
                       snprintf(buf + off, cap - off, "$%zu\r\n%s\r\n", strlen(argv[i]), argv[i]));
        off = n == 0 ? 0 : off + n;
    }
    return off;
}

static size_t framed(char *buf, size_t cap, const struct msg *m)
{
    int n = msg_encode(buf, cap, m);
    return n < 0 ? 0 : (size_t)n;
}

size_t dialect_greeting(enum bench_dialect d, bool subscriber, unsigned index, char *buf,
                        size_t cap)
{
    switch (d) {
    case BENCH_FRAMED: {
        /* HELLO, then a PING whose PONG comes after WELCOME and history. */
        char nick[32];
        snprintf(nick, sizeof nick, "b%u", index);
        struct msg hello = {.type = MSG_HELLO, .word = PROTO_HELLO_TAG, .nick = nick};
        struct msg ping = {.type = MSG_PING, .word = "ready"};
        size_t n = framed(buf, cap, &hello);
        size_t m = n ? framed(buf + n, cap - n, &ping) : 0;
        return m ? n + m : 0;
    }
    case BENCH_PLAIN:
        return put(cap, snprintf(buf, cap, "/ping ready\n"));
    case BENCH_RAW:
        return put(cap, snprintf(buf, cap, "ping"));
    case BENCH_RESP: {
        const char *sub[] = {"SUBSCRIBE", "sockchat"};
        const char *ping[] = {"PING"};
        return subscriber ? resp_command(buf, cap, 2, sub) : resp_command(buf, cap, 1, ping);
    }
    case BENCH_NCAT:
        return 0; /* ncat speaks first: "<announce> already connected: ..." */
    }
    return 0;
}

bool dialect_is_ready(enum bench_dialect d, bool subscriber, char *line, size_t len)
{
    switch (d) {
    case BENCH_FRAMED: {
        struct msg m;
        return msg_parse(&m, line) == 0 && m.type == MSG_PONG && strcmp(m.word, "ready") == 0;
    }
    case BENCH_PLAIN:
        return strcmp(line, "pong ready") == 0;
    case BENCH_RAW:
        return len == strlen(PLAIN_ACK) && memcmp(line, PLAIN_ACK, len) == 0;
    case BENCH_RESP:
        /* SUBSCRIBE's confirmation ends with the count ":1". */
        return subscriber ? line[0] == ':' : strcmp(line, "+PONG") == 0;
    case BENCH_NCAT:
        return strncmp(line, "<announce> already connected:", 29) == 0;
    }
    return false;
}

size_t dialect_ping(enum bench_dialect d, uint64_t token, char *buf, size_t cap)
{
    switch (d) {
    case BENCH_FRAMED: {
        /* The closed loop: a /ping command inside a MSG. */
        char text[40];
        snprintf(text, sizeof text, "/ping %" PRIu64, token);
        struct msg m = {.type = MSG_MSG, .id = token, .text = text};
        return framed(buf, cap, &m);
    }
    case BENCH_PLAIN:
        return put(cap, snprintf(buf, cap, "/ping %" PRIu64 "\n", token));
    case BENCH_RAW:
        return put(cap, snprintf(buf, cap, "ping"));
    case BENCH_RESP: {
        const char *ping[] = {"PING"};
        return resp_command(buf, cap, 1, ping);
    }
    case BENCH_NCAT:
        return 0; /* nothing in ncat --chat answers its sender */
    }
    return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    if (*s < '0' || *s > '9')
        return 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (*end != '\0' && *end != ' ')
        return 0;
    *v = x;
    return 1;
}

int dialect_pong(enum bench_dialect d, const char *line, size_t len, uint64_t *token)
{
    switch (d) {
    case BENCH_FRAMED: {
        char copy[64];
        if (len >= sizeof copy)
            return 0;
        memcpy(copy, line, len + 1);
        struct msg m;
        if (msg_parse(&m, copy) != 0 || m.type != MSG_PONG)
            return 0;
        return parse_u64(m.word ? m.word : "", token);
    }
    case BENCH_PLAIN:
        return strncmp(line, "pong ", 5) == 0 && parse_u64(line + 5, token);
    case BENCH_RAW:
        return len == strlen(PLAIN_ACK) && memcmp(line, PLAIN_ACK, len) == 0;
    case BENCH_RESP:
        return strcmp(line, "+PONG") == 0;
    case BENCH_NCAT:
        return 0;
    }
    return 0;
}

size_t dialect_chat(enum bench_dialect d, uint64_t id, uint64_t run, uint64_t seq, unsigned size,
                    char *buf, size_t cap)
{
    char text[LINE_MAX_BYTES];
    size_t n = put(sizeof text, snprintf(text, sizeof text, "fan %" PRIu64 " %" PRIu64, run, seq));
    if (n == 0)
        return 0;
    if (size > n && size < sizeof text) {
        text[n] = ' ';
        memset(text + n + 1, 'x', size - n - 1);
        n = size;
        text[n] = '\0';
    }
    switch (d) {
    case BENCH_FRAMED: {
        struct msg m = {.type = MSG_MSG, .id = id, .text = text};
        return framed(buf, cap, &m);
    }
    case BENCH_PLAIN:
    case BENCH_NCAT:
        return put(cap, snprintf(buf, cap, "%s\n", text));
    case BENCH_RESP: {
        const char *pub[] = {"PUBLISH", "sockchat", text};
        return resp_command(buf, cap, 3, pub);
    }
    case BENCH_RAW:
        return 0; /* the tutorial's server relays nothing */
    }
    return 0;
}

/* Finds "fan RUN " in text and reads the sequence number after it. */
static int payload_seq(const char *text, uint64_t run, uint64_t *seq)
{
    char tag[32];
    snprintf(tag, sizeof tag, "fan %" PRIu64 " ", run);
    const char *p = strstr(text, tag);
    return p && parse_u64(p + strlen(tag), seq);
}

int dialect_delivery(enum bench_dialect d, char *line, size_t len, uint64_t run, uint64_t *seq)
{
    (void)len;
    switch (d) {
    case BENCH_FRAMED: {
        struct msg m;
        if (msg_parse(&m, line) != 0 || m.type != MSG_CHAT || !m.text)
            return 0;
        return strncmp(m.text, "fan ", 4) == 0 && payload_seq(m.text, run, seq);
    }
    case BENCH_PLAIN:
    case BENCH_NCAT: {
        /* "<nick> fan RUN SEQ": others' chat, as relayed to line clients. */
        if (line[0] != '<')
            return 0;
        const char *p = strchr(line, '>');
        return p && p[1] == ' ' && strncmp(p + 2, "fan ", 4) == 0 && payload_seq(p + 2, run, seq);
    }
    case BENCH_RESP:
        /* The payload is a bulk string on a line of its own. */
        return strncmp(line, "fan ", 4) == 0 && payload_seq(line, run, seq);
    case BENCH_RAW:
        return 0;
    }
    return 0;
}

int dialect_ack(enum bench_dialect d, char *line, size_t len, uint64_t *id)
{
    (void)len;
    switch (d) {
    case BENCH_FRAMED: {
        struct msg m;
        if (msg_parse(&m, line) != 0 || m.type != MSG_ACK)
            return 0;
        *id = m.id;
        return 1;
    }
    case BENCH_PLAIN:
        return strcmp(line, PLAIN_ACK) == 0;
    case BENCH_RESP:
        return line[0] == ':';
    case BENCH_RAW:
    case BENCH_NCAT:
        return 0;
    }
    return 0;
}

/* A line typed by a person of our framed or plain dialect. */
static size_t typed_line(enum bench_dialect d, uint64_t id, const char *text, char *buf, size_t cap)
{
    if (d == BENCH_FRAMED) {
        struct msg m = {.type = MSG_MSG, .id = id, .text = text};
        return framed(buf, cap, &m);
    }
    if (d == BENCH_PLAIN)
        return put(cap, snprintf(buf, cap, "%s\n", text));
    return 0;
}

size_t dialect_join(enum bench_dialect d, uint64_t id, unsigned room, char *buf, size_t cap)
{
    char text[40];
    snprintf(text, sizeof text, "/join #busy%u", room);
    return typed_line(d, id, text, buf, cap);
}

bool dialect_joined(enum bench_dialect d, char *line, size_t len, unsigned room)
{
    char name[32];
    snprintf(name, sizeof name, "#busy%u", room);
    if (d == BENCH_FRAMED) {
        /* sockchat/2's ROOM line; the bench says sockchat/2. */
        char copy[128];
        struct msg m;
        if (len >= sizeof copy)
            return false;
        memcpy(copy, line, len + 1);
        return msg_parse(&m, copy) == 0 && m.type == MSG_ROOM && strcmp(m.word, name) == 0;
    }
    if (d == BENCH_PLAIN) {
        char want[48];
        int n = snprintf(want, sizeof want, "you are in %s now", name);
        return n > 0 && len >= (size_t)n && memcmp(line, want, (size_t)n) == 0;
    }
    return false;
}

size_t dialect_busy_chat(enum bench_dialect d, uint64_t id, uint64_t run, unsigned room,
                         uint64_t seq, char *buf, size_t cap)
{
    char text[80];
    snprintf(text, sizeof text, "busy %" PRIu64 " %u %" PRIu64, run, room, seq);
    return typed_line(d, id, text, buf, cap);
}

int dialect_busy_delivery(enum bench_dialect d, char *line, size_t len, uint64_t run,
                          unsigned *room, uint64_t *seq)
{
    /* msg_parse cuts the line it parses: a copy, so that the caller can
     * still read line as another workload's message when it is not ours. */
    char copy[BENCH_LINE_LIMIT + 1];
    const char *text = NULL;
    struct msg m;
    if (d == BENCH_FRAMED) {
        if (len >= sizeof copy)
            return 0;
        memcpy(copy, line, len + 1);
        if (msg_parse(&m, copy) != 0 || m.type != MSG_CHAT || !m.text)
            return 0;
        text = m.text;
    } else if (d == BENCH_PLAIN) {
        const char *p = line[0] == '<' ? strchr(line, '>') : NULL;
        if (p == NULL || p[1] != ' ')
            return 0;
        text = p + 2;
    } else {
        return 0;
    }
    uint64_t r, k, s;
    char *end;
    if (strncmp(text, "busy ", 5) != 0)
        return 0;
    r = strtoull(text + 5, &end, 10);
    if (*end != ' ' || r != run)
        return 0;
    k = strtoull(end + 1, &end, 10);
    if (*end != ' ' || k > UINT32_MAX)
        return 0;
    s = strtoull(end + 1, &end, 10);
    if (*end != '\0')
        return 0;
    *room = (unsigned)k;
    *seq = s;
    return 1;
}

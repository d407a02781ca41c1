/* Fuzzes the framed-message parser and encoder in both directions, as the
 * server (client lines) and the client (server lines) use them:
 * - a line that parses re-encodes to a line that parses to the same message;
 * - a message built from the input either fails to encode or encodes to one
 *   line without CR/LF that parses back to it;
 * - whatever parses renders as one plain line, safe once sanitised. */
#include "fuzz.h"

#include "msg.h"
#include "sanitize.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { BIG = 3 * 8192 + 64 };

static void require_same(const struct msg *a, const struct msg *b)
{
    REQUIRE(a->type == b->type);
    REQUIRE(a->id == b->id);
    REQUIRE(a->time == b->time);
    REQUIRE(a->users == b->users);
    REQUIRE(strcmp(a->nick, b->nick) == 0);
    REQUIRE(strcmp(a->nick2, b->nick2) == 0);
    REQUIRE(strcmp(a->word, b->word) == 0);
    REQUIRE(strcmp(a->text, b->text) == 0);
}

/* One framed line: exactly one LF, at the end. */
static void require_one_line(const char *buf, int n)
{
    REQUIRE(n > 0);
    REQUIRE(buf[n - 1] == '\n' && buf[n] == '\0');
    REQUIRE(memchr(buf, '\n', (size_t)n - 1) == NULL);
    REQUIRE(memchr(buf, '\r', (size_t)n) == NULL);
}

static void check_plain(const struct msg *m)
{
    static char plain[BIG], safe[SANITIZE_CAP(BIG)];
    int n = msg_format_plain(plain, sizeof plain, m);
    require_one_line(plain, n);
    /* The client's display path. */
    size_t s = sanitize_text(safe, sizeof safe, plain, (size_t)n - 1);
    REQUIRE(s < sizeof safe);
}

static void parse_direction(const uint8_t *data, size_t size)
{
    static char line[BIG], copy[BIG], enc[BIG];
    if (size >= sizeof line)
        return;
    memcpy(line, data, size);
    line[size] = '\0';
    /* linebuf removed the LF; sanitize_line is what the server applies, and
     * encode would otherwise (rightly) change CR into a space. */
    sanitize_line(line, strlen(line));
    memcpy(copy, line, strlen(line) + 1);

    struct msg m;
    if (msg_parse(&m, line) != 0) {
        REQUIRE(strcmp(m.text, copy) == 0);
        REQUIRE(m.type != MSG_UNKNOWN);
        return;
    }
    check_plain(&m);
    int n = msg_encode(enc, sizeof enc, &m);
    require_one_line(enc, n);
    enc[n - 1] = '\0';
    struct msg m2;
    REQUIRE(msg_parse(&m2, enc) == 0);
    require_same(&m, &m2);
}

/* Takes a NUL-terminated piece of the input as a string field. */
static const char *take_str(char **p, char *end)
{
    char *s = *p;
    char *z = memchr(s, '\0', (size_t)(end - s));
    *p = z ? z + 1 : end;
    return s;
}

static void encode_direction(const uint8_t *data, size_t size)
{
    static char buf[BIG], enc[BIG], text[BIG];
    if (size < 21 || size >= sizeof buf)
        return;
    struct msg m;
    m.type = (enum msg_type)(data[0] % MSG_TYPE_COUNT);
    uint64_t id, t;
    uint32_t users;
    memcpy(&id, data + 1, 8);
    memcpy(&t, data + 9, 8);
    memcpy(&users, data + 17, 4);
    m.id = id;
    m.time = (int64_t)t;
    m.users = users;
    memcpy(buf, data + 21, size - 21);
    buf[size - 21] = '\0';
    char *p = buf, *end = buf + (size - 21);
    m.nick = take_str(&p, end);
    m.nick2 = take_str(&p, end);
    m.word = take_str(&p, end);
    m.text = take_str(&p, end);

    check_plain(&m);
    int n = msg_encode(enc, sizeof enc, &m);
    if (n <= 0) /* an encoded line is never empty: it ends in LF */
        return;
    require_one_line(enc, n);
    enc[n - 1] = '\0';
    /* An unknown message's text is relayed as the whole line: it may well
     * start with a known type word, so it need not parse back. */
    if (m.type == MSG_UNKNOWN)
        return;
    struct msg got;
    REQUIRE(msg_parse(&got, enc) == 0);
    REQUIRE(got.type == m.type);
    /* Text fields come back with CR/LF as spaces; fields a type does not
     * carry come back empty, so compare only what the encoding holds. */
    size_t tl = strlen(m.text);
    memcpy(text, m.text, tl + 1);
    sanitize_line(text, tl);
    const char *layout_text = got.text;
    if (m.type == MSG_MSG || m.type == MSG_ACK)
        REQUIRE(got.id == m.id);
    if (m.type == MSG_CHAT || m.type == MSG_ACTION || m.type == MSG_PRIV)
        REQUIRE(got.time == m.time);
    if (m.type == MSG_WELCOME || m.type == MSG_JOIN || m.type == MSG_LEAVE)
        REQUIRE(got.users == m.users);
    if (got.nick[0] != '\0')
        REQUIRE(strcmp(got.nick, m.nick) == 0);
    if (got.nick2[0] != '\0')
        REQUIRE(strcmp(got.nick2, m.nick2) == 0);
    if (got.word[0] != '\0')
        REQUIRE(strcmp(got.word, m.word) == 0);
    if (layout_text[0] != '\0')
        REQUIRE(strcmp(layout_text, text) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_direction(data, size);
    encode_direction(data, size);
    return 0;
}

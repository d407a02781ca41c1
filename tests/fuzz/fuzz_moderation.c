/* Fuzzes the operator's kick, ban and mute: argument parsing (nicks,
 * addresses and CIDRs in every spelling, durations, reasons) and the table
 * they fill (server/moderation.c), with a fake clock.
 *
 * The input is lines; each line's first byte is an op, the rest its text:
 *   k / b / m TEXT   parse TEXT as kick / ban / mute arguments; when they
 *                    parse, add the entry (its token: the reason's first
 *                    word, when it is a valid one)
 *   u / U TEXT       unban / unmute TEXT
 *   f TEXT           is someone with nick and token TEXT held?
 *   d TEXT           parse TEXT as a duration
 *   c TEXT           parse TEXT as an address or CIDR
 *   t TEXT           the clock moves on (TEXT's length, in minutes)
 *   l                list the table
 *
 * Checked: what parses is what the console promises (a nick or, for ban,
 * an address; a duration within bounds; a reason that is clean text); a
 * CIDR prints as something that parses back to it; an entry just added is
 * found, and one removed by nick is not; the table never passes MOD_MAX;
 * every listed line is clean UTF-8. Nothing may leak or crash. */
#include "fuzz.h"

#include "server.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"

static bool clean(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return utf8_valid_prefix(s, n) == n;
}

static void check_line(void *arg, const char *line)
{
    (void)arg;
    REQUIRE(clean(line));
}

static void op_request(struct moderation *m, enum mod_kind kind, const char *text, int64_t now)
{
    struct mod_request rq;
    char err[256];
    if (mod_parse_request(kind, text, &rq, err, sizeof err) < 0) {
        REQUIRE(err[0] != '\0' && clean(err));
        return;
    }
    REQUIRE(rq.kind == kind && rq.target[0] != '\0');
    REQUIRE(clean(rq.reason));
    REQUIRE(rq.duration_ms >= 0 && rq.duration_ms <= MOD_DURATION_MAX_MS);
    REQUIRE(kind != MOD_KICK || rq.duration_ms > 0);
    REQUIRE(kind != MOD_BAN || rq.duration_ms == 0);
    struct mod_entry e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.until_ms = rq.duration_ms ? now + rq.duration_ms : 0;
    snprintf(e.reason, sizeof e.reason, "%s", rq.reason);
    if (rq.by_addr) {
        REQUIRE(kind == MOD_BAN);
        struct cidr back;
        REQUIRE(cidr_parse(rq.target, &back) == 0 && cidr_equal(&back, &rq.net));
        e.by_addr = true;
        e.net = rq.net;
    } else {
        REQUIRE(nick_valid(rq.target, strlen(rq.target)));
        snprintf(e.nick, sizeof e.nick, "%s", rq.target);
        const char *w, *args = rq.reason;
        size_t wl;
        if (cmd_next_word(&args, &w, &wl) && wl <= SESSION_TOKEN_MAX) {
            memcpy(e.token, w, wl);
            e.token[wl] = '\0';
            if (!msg_session_token_ok(e.token))
                e.token[0] = '\0';
        }
    }
    if (mod_add(m, &e, now) < 0) {
        REQUIRE(m->n == MOD_MAX);
        return;
    }
    REQUIRE(m->n <= MOD_MAX);
    struct mod_entry got;
    if (e.by_addr)
        REQUIRE(mod_find(m, kind, NULL, NULL, &e.net, now, &got));
    else
        REQUIRE(mod_find(m, kind, e.nick, e.token, NULL, now, &got));
    REQUIRE(got.kind == kind || (kind == MOD_KICK && got.kind == MOD_BAN));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct moderation m;
    int64_t now = 1000000;
    char *buf = malloc(size + 1);
    REQUIRE(buf);
    memcpy(buf, data, size);
    buf[size] = '\0';
    mod_init(&m);

    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char op = line[0];
        const char *text = line + 1;
        switch (op) {
        case 'k':
            op_request(&m, MOD_KICK, text, now);
            break;
        case 'b':
            op_request(&m, MOD_BAN, text, now);
            break;
        case 'm':
            op_request(&m, MOD_MUTE, text, now);
            break;
        case 'u':
        case 'U': {
            unsigned mask = op == 'u' ? MOD_KICK | MOD_BAN : MOD_MUTE;
            unsigned before = m.n;
            unsigned gone = mod_remove(&m, mask, text, now);
            REQUIRE(gone <= before);
            struct cidr net;
            if (cidr_parse(text, &net) < 0)
                REQUIRE(!mod_find(&m, mask, text, NULL, NULL, now, NULL));
            break;
        }
        case 'f':
            mod_find(&m, MOD_KICK | MOD_BAN | MOD_MUTE, text, text, NULL, now, NULL);
            break;
        case 'd': {
            int64_t ms = -1;
            if (mod_parse_duration(text, strlen(text), &ms) == 0)
                REQUIRE(ms > 0 && ms <= MOD_DURATION_MAX_MS);
            break;
        }
        case 'c': {
            struct cidr net, back;
            char shown[64];
            if (cidr_parse(text, &net) == 0) {
                REQUIRE(net.family == 4 ? net.bits <= 32 : net.bits <= 128);
                cidr_format(&net, shown, sizeof shown);
                REQUIRE(cidr_parse(shown, &back) == 0 && cidr_equal(&net, &back));
                REQUIRE(cidr_match(&net, &net));
            }
            break;
        }
        case 't':
            now += (int64_t)strlen(text) * 60000;
            break;
        case 'l':
        default:
            mod_list(&m, now, check_line, NULL);
            break;
        }
        REQUIRE(m.n <= MOD_MAX);
    }
    mod_free(&m);
    free(buf);
    return 0;
}

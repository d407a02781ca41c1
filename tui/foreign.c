/* foreign: recognises servers that are not chat servers (see foreign.h). */
#include "foreign.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sanitize.h"
#include "text.h"

enum {
    SAMPLE_MAX = 512, /* bytes looked at for binary data */
    HEX_BYTES = 8,    /* bytes of binary data shown */
};

/* First lines only other protocols begin with: an SSH identification
 * string ("SSH-2.0-...", RFC 4253 4.2; "SSH-1.99-" for old servers), an
 * HTTP status line ("HTTP/1.1 400 Bad Request"), and a web page: a web
 * server takes our HELLO line for a request without an HTTP version and
 * answers, as HTTP/0.9 did, with the page alone ("<!DOCTYPE HTML>",
 * "<html>"). What follows the prefix keeps people and chat lines out: a
 * digit after "SSH-" ("SSH-ing is fun" typed into nc), and for "<html" a
 * space or a '>' ending the line, since "<html> hi" is chat from a user
 * called html. No nick holds '!' or '?'. */
enum telltale_next { NEXT_DIGIT, NEXT_ANY, NEXT_TAG };

static const struct telltale {
    const char *prefix;
    bool nocase;
    bool page; /* a web page: its title says more than its first line */
    enum telltale_next next;
} telltales[] = {
    {"SSH-", false, false, NEXT_DIGIT},  {"HTTP/", false, false, NEXT_DIGIT},
    {"<!doctype", true, true, NEXT_ANY}, {"<?xml", true, true, NEXT_ANY},
    {"<html", true, true, NEXT_TAG},
};

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* The length of the first line of data[0..len), without its CR LF. */
static size_t first_line(const char *data, size_t len)
{
    size_t n = 0;
    while (n < len && data[n] != '\n' && data[n] != '\r')
        n++;
    return n;
}

/* line[0..n) could still become t's prefix, or holds it. */
static bool starts_like(const char *line, size_t n, const struct telltale *t)
{
    size_t pl = strlen(t->prefix);
    size_t k = n < pl ? n : pl;
    return t->nocase ? strncasecmp(line, t->prefix, k) == 0 : memcmp(line, t->prefix, k) == 0;
}

/* The whole first line line[0..n) begins as t says. */
static bool told_by(const char *line, size_t n, const struct telltale *t)
{
    size_t pl = strlen(t->prefix);
    if (n < pl || !starts_like(line, n, t))
        return false;
    switch (t->next) {
    case NEXT_DIGIT:
        return n > pl && is_digit(line[pl]);
    case NEXT_TAG:
        return n > pl && (line[pl] == ' ' || (line[pl] == '>' && n == pl + 1));
    case NEXT_ANY:
    default:
        return true;
    }
}

/* The first occurrence of word in s[0..len), ignoring ASCII case, or NULL. */
static const char *find_nocase(const char *s, size_t len, const char *word)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i + wl <= len; i++)
        if (strncasecmp(s + i, word, wl) == 0)
            return s + i;
    return NULL;
}

/* Bytes no text has: NUL makes it binary at once; otherwise controls other
 * than the usual layout ones (TAB LF CR FF BS BEL ESC: a hostile but textual
 * server may send escapes, which the sanitiser takes care of), DEL, and
 * bytes of invalid UTF-8, when they are a quarter of the sample or more. A
 * Latin-1 "café" has one bad byte in many; TLS, telnetd's negotiation or a
 * database's handshake are mostly bad or hold NULs. */
static bool is_binary(const char *data, size_t len)
{
    size_t n = len < SAMPLE_MAX ? len : SAMPLE_MAX;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)data[i];
        if (b == 0)
            return true;
        if (b < 0x80) {
            if ((b < 0x20 && !strchr("\t\n\r\f\b\a\x1b", (char)b)) || b == 0x7F)
                bad++;
            i++;
            continue;
        }
        uint32_t cp;
        size_t used = text_decode(data + i, n - i, &cp);
        if (used == 1 && cp == TEXT_REPLACEMENT) {
            /* A character cut off by the end of what arrived is not bad. */
            size_t need = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            bool tail = b >= 0xC2 && b <= 0xF4 && n - i < need;
            for (size_t k = i + 1; tail && k < n; k++)
                tail = ((unsigned char)data[k] & 0xC0) == 0x80;
            if (tail)
                break;
            bad++;
        }
        i += used;
    }
    return bad * 4 >= n;
}

/* `it said "TEXT"`, from n bytes at s (sanitised, cut to a quote). */
static void quote(const char *intro, const char *s, size_t n, char *said, size_t cap)
{
    bool more = n > FOREIGN_QUOTE_MAX;
    if (more)
        n = FOREIGN_QUOTE_MAX;
    char safe[SANITIZE_CAP(FOREIGN_QUOTE_MAX)];
    sanitize_text(safe, sizeof(safe), s, n);
    utf8_cut(safe);
    snprintf(said, cap, "%s \"%s%s\"", intro, safe, more ? "..." : "");
}

/* A web page is best named by its title, when it came with the first bytes. */
static void describe_page(const char *data, size_t len, char *said, size_t cap)
{
    const char *t = find_nocase(data, len, "<title>");
    const char *end = t ? find_nocase(t, len - (size_t)(t - data), "</title>") : NULL;
    if (end) {
        t += strlen("<title>");
        while (t < end && (*t == ' ' || *t == '\n' || *t == '\r' || *t == '\t'))
            t++;
        quote("it sent a web page titled", t, (size_t)(end - t), said, cap);
    } else {
        quote("it sent a web page:", data, first_line(data, len), said, cap);
    }
}

static void describe_binary(const char *data, size_t len, char *said, size_t cap)
{
    char hex[3 * HEX_BYTES + 1];
    size_t n = len < HEX_BYTES ? len : HEX_BYTES, off = 0;
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(hex + off, sizeof(hex) - off, "%s%02x", i ? " " : "",
                                (unsigned char)data[i]);
    hex[off] = '\0';
    snprintf(said, cap, "it sent %zu byte%s of binary data (%s%s)", len, len == 1 ? "" : "s", hex,
             len > n ? " ..." : "");
}

enum foreign_verdict foreign_check(const char *data, size_t len, bool complete, char *said,
                                   size_t cap)
{
    if (cap > 0)
        said[0] = '\0';
    if (len == 0)
        return FOREIGN_NO;
    size_t n = first_line(data, len);
    bool line_ended = n < len;
    for (size_t i = 0; i < sizeof(telltales) / sizeof(*telltales); i++) {
        const struct telltale *t = &telltales[i];
        if (!line_ended && !complete && starts_like(data, n, t))
            return FOREIGN_MORE; /* judged once the line is whole */
        if (!told_by(data, n, t))
            continue;
        if (t->page)
            describe_page(data, len, said, cap);
        else
            quote("it said", data, n, said, cap);
        return FOREIGN_YES;
    }
    if (is_binary(data, len)) {
        describe_binary(data, len, said, cap);
        return FOREIGN_YES;
    }
    return FOREIGN_NO;
}

/* Fuzzes the sanitiser and checks its promise on every output: valid UTF-8,
 * no C0, DEL, C1 or bidi override/isolate, within SANITIZE_CAP; a smaller
 * cap gives a prefix; sanitising the output again changes nothing; blank
 * runs collapse to at most BLANK_RUN_MAX spaces, for good. */
#include "fuzz.h"

#include "sanitize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_safe(const char *out, size_t n)
{
    const unsigned char *u = (const unsigned char *)out;

    REQUIRE(out[n] == '\0');
    REQUIRE(utf8_valid_prefix(out, n) == n);
    for (size_t i = 0; i < n; i++) {
        REQUIRE(u[i] >= 0x20 && u[i] != 0x7f);
        if (u[i] == 0xc2 && i + 1 < n)
            REQUIRE(u[i + 1] >= 0xa0); /* U+0080..U+009F */
        if (u[i] == 0xe2 && i + 2 < n && u[i + 1] == 0x80)
            REQUIRE(u[i + 2] < 0xaa || u[i + 2] > 0xae);
        if (u[i] == 0xe2 && i + 2 < n && u[i + 1] == 0x81)
            REQUIRE(u[i + 2] < 0xa6 || u[i + 2] > 0xa9);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t cap = SANITIZE_CAP(size);
    char *out = malloc(cap);
    char *again = malloc(SANITIZE_CAP(cap));
    REQUIRE(out && again);

    size_t n = sanitize_text(out, cap, in, size);
    REQUIRE(n < cap);
    check_safe(out, n);

    size_t m = sanitize_text(again, SANITIZE_CAP(cap), out, n);
    REQUIRE(m == n && memcmp(again, out, n) == 0);

    /* A cap chosen by the input: a prefix, cut at a character boundary. */
    size_t small = size ? data[0] % (n + 2) : 0;
    if (small > 0) {
        m = sanitize_text(again, small, in, size);
        REQUIRE(m < small && m <= n);
        REQUIRE(memcmp(again, out, m) == 0);
        check_safe(again, m);
    }

    /* sanitize_line leaves no line breaks or NULs and keeps the length. */
    char *line = malloc(size ? size : 1);
    REQUIRE(line);
    memcpy(line, in, size);
    REQUIRE(sanitize_line(line, size) == size);
    for (size_t i = 0; i < size; i++)
        REQUIRE(line[i] != '\0' && line[i] != '\r' && line[i] != '\n');
    REQUIRE(utf8_valid_prefix(in, size) <= size);

    /* Blank runs: only shorter, still safe, at most BLANK_RUN_MAX spaces
     * in a row, and collapsing again changes nothing. */
    memcpy(again, out, n + 1);
    size_t b = sanitize_blank_runs(again, n);
    REQUIRE(b <= n);
    check_safe(again, b);
    for (size_t i = 0, run = 0; i < b; i++) {
        run = again[i] == ' ' ? run + 1 : 0;
        REQUIRE(run <= BLANK_RUN_MAX);
    }
    char *twice = malloc(b + 1);
    REQUIRE(twice);
    memcpy(twice, again, b + 1);
    REQUIRE(sanitize_blank_runs(twice, b) == b && memcmp(twice, again, b) == 0);
    free(twice);

    free(line);
    free(again);
    free(out);
    return 0;
}

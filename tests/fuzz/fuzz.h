/* fuzz: what every libFuzzer target here shares: the entry point libFuzzer
 * calls, and REQUIRE, a check that survives NDEBUG and crashes the run (so
 * the fuzzer saves the input) when an invariant breaks. */
#ifndef SOCKCHAT_FUZZ_H
#define SOCKCHAT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

#endif

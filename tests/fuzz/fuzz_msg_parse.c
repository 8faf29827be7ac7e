/* SPDX-License-Identifier: MIT */
/* libFuzzer target for wsc_msg_parse: every input goes through the parser and through the
 * differential oracle (tests/support/tparse_oracle.c), which compares it with jansson; any
 * disagreement aborts.  Not part of ctest; see tests/fuzz/README.md to build and run it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "tparse_oracle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = tparse_compare((const char *)data, size);
    if (why != NULL) {
        fprintf(stderr, "fuzz_msg_parse: %s\n", why);
        abort();
    }
    return 0;
}

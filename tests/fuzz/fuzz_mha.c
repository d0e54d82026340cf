/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the mha reader on arbitrary bytes. */
#include "fuzz_read.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_read(fuzz_path(".mha"), data, size);
    return 0;
}

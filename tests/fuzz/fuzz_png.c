/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the png reader on arbitrary bytes. */
#include <stdbool.h>

#include "fuzz_read.h"
#include "io_impl.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Mutated chunks fail their CRC; skipping the check lets them reach
     * the decoder. */
    pipit__png_ignore_crc = true;
    fuzz_read(fuzz_path(".png"), data, size);
    return 0;
}

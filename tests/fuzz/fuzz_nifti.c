/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the nifti reader on arbitrary bytes. */
#include <stdio.h>

#include "fuzz_read.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(".nii");
    /* gzip bytes go to a .nii.gz name: both readers get fuzzed */
    if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        char gz[96];
        snprintf(gz, sizeof gz, "%s.gz", path);
        fuzz_read(gz, data, size);
    } else {
        fuzz_read(path, data, size);
    }
    return 0;
}

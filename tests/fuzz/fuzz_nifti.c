/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the nifti reader on arbitrary bytes. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_read.h"

/* A header with pair magic (ni1 at byte 344 of a NIfTI-1 header, ni2 at
 * byte 4 of a NIfTI-2 one): how many bytes go to the .hdr, else 0. */
static size_t
pair_split(const uint8_t *data, size_t size)
{
    if (size >= 352 && memcmp(data + 344, "ni1", 4) == 0)
        return 352;  /* with the 4 extension flag bytes */
    if (size >= 544 && memcmp(data + 4, "ni2", 4) == 0)
        return 544;
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path(".nii");
    char other[96], img[96];
    size_t split = pair_split(data, size);
    if (split > 0) {
        /* a pair: the header to .hdr, the rest to .img */
        snprintf(other, sizeof other, "%s.hdr", path);
        snprintf(img, sizeof img, "%s.img", path);
        if (fuzz_write(other, data, split) &&
            fuzz_write(img, data + split, size - split))
            fuzz_read_back(other);
        unlink(other);
        unlink(img);
    } else if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
        /* gzip bytes go to a .nii.gz name: both readers get fuzzed */
        snprintf(other, sizeof other, "%s.gz", path);
        fuzz_read(other, data, size);
    } else {
        fuzz_read(path, data, size);
    }
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the tiff reader on arbitrary bytes. Readers take
 * paths, so each input goes to a file first. Any status is fine; a
 * crash, leak, sanitizer report or timeout is a bug. See doc/io.md.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pipit/io.h>

#include "io_impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the pixel sum goes, so that the reads cannot be optimised out. */
unsigned pipit_fuzz_sum;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0') {
        snprintf(path, sizeof path, "/tmp/pipit-fuzz-%ld.tif",
                 (long)getpid());
        /* a lying header may not make us spend the fuzzer's memory */
        pipit__io_max_pixel_bytes = 64u << 20;
    }
    const char *p = path;
    FILE *f = fopen(p, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    pipit_image_t *img = NULL;
    if (pipit_image_read(p, &img) == PIPIT_OK) {
        /* read every pixel: the sanitizers see any bad fill */
        const unsigned char *px = pipit_image_data(img);
        pipit_region_t all = pipit_image_largest_region(img);
        size_t n = pipit_region_count(&all) * pipit_image_pixel_bytes(img);
        unsigned sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += px[i];
        pipit_fuzz_sum = sum;
    }
    pipit_image_unref(img);
    unlink(p);
    return 0;
}

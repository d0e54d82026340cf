/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <unistd.h>

#include <pipit/io.h>

#include "fuzz_read.h"
#include "io_impl.h"

/* Where the pixel sum goes, so that the reads cannot be optimised out. */
unsigned pipit_fuzz_sum;

const char *
fuzz_path(const char *ext)
{
    static char path[80];
    if (path[0] == '\0') {
        snprintf(path, sizeof path, "/tmp/pipit-fuzz-%ld%s", (long)getpid(),
                 ext);
        pipit__io_max_pixel_bytes = 64u << 20;
    }
    return path;
}

bool
fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return false;
    bool ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok;
}

void
fuzz_read_back(const char *path)
{
    pipit_image_t *img = NULL;
    if (pipit_image_read(path, &img) == PIPIT_OK) {
        const unsigned char *px = pipit_image_data(img);
        pipit_region_t all = pipit_image_largest_region(img);
        size_t n = pipit_region_count(&all) * pipit_image_pixel_bytes(img);
        unsigned sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += px[i];
        pipit_fuzz_sum = sum;
    }
    pipit_image_unref(img);
}

void
fuzz_read(const char *path, const uint8_t *data, size_t size)
{
    if (fuzz_write(path, data, size))
        fuzz_read_back(path);
    unlink(path);
}

/* SPDX-License-Identifier: Apache-2.0 */
#include "test_io_util.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

pipit_image_t *
io_pattern(unsigned dim, const size_t *size, pipit_pixel_type_t type,
           unsigned components, unsigned seed)
{
    pipit_image_t *img = pipit_image_new(dim, size, type, components);
    if (img == NULL)
        return NULL;
    double lo, hi;
    pipit_pixel_type_range(type, &lo, &hi);
    pipit_region_t all = pipit_image_largest_region(img);
    size_t count = pipit_region_count(&all) * components;
    char *p = pipit_image_data_writable(img);
    uint32_t state = 2654435761u * (seed + 1);
    for (size_t i = 0; i < count; i++) {
        state = state * 1664525u + 1013904223u;
        /* mix: an LCG's low bits repeat with a short period */
        uint32_t r = (state ^ (state >> 16)) * 0x45d9f3bu;
        r ^= r >> 16;
        double v;
        /* the extremes first, then values spread over the range */
        if (i == 0)
            v = lo;
        else if (i == 1)
            v = hi;
        else if (pipit_pixel_type_is_float(type))
            v = ((double)(r >> 8) / (1 << 24) - 0.5) * 1e6 / 7.0;
        else
            v = lo + (double)(r % (uint32_t)fmin(hi - lo + 1.0, 4294967295.0));
        switch (type) {
        case PIPIT_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
        case PIPIT_I8: ((int8_t *)p)[i] = (int8_t)v; break;
        case PIPIT_U16: ((uint16_t *)(void *)p)[i] = (uint16_t)v; break;
        case PIPIT_I16: ((int16_t *)(void *)p)[i] = (int16_t)v; break;
        case PIPIT_U32: ((uint32_t *)(void *)p)[i] = (uint32_t)v; break;
        case PIPIT_I32: ((int32_t *)(void *)p)[i] = (int32_t)v; break;
        case PIPIT_F32: ((float *)(void *)p)[i] = (float)v; break;
        case PIPIT_F64: ((double *)(void *)p)[i] = v; break;
        }
    }
    return img;
}

bool
io_same_pixels(const pipit_image_t *a, const pipit_image_t *b)
{
    if (pipit_image_dim(a) != pipit_image_dim(b) ||
        pipit_image_pixel_type(a) != pipit_image_pixel_type(b) ||
        pipit_image_components(a) != pipit_image_components(b))
        return false;
    for (unsigned d = 0; d < pipit_image_dim(a); d++)
        if (pipit_image_size(a)[d] != pipit_image_size(b)[d])
            return false;
    pipit_region_t all = pipit_image_largest_region(a);
    size_t bytes = pipit_region_count(&all) * pipit_image_pixel_bytes(a);
    return memcmp(pipit_image_data(a), pipit_image_data(b), bytes) == 0;
}

void
io_assert_geometry(const pipit_image_t *a, const pipit_image_t *b, double tol)
{
    unsigned dim = pipit_image_dim(a);
    CU_ASSERT_EQUAL_FATAL(dim, pipit_image_dim(b));
    for (unsigned d = 0; d < dim; d++) {
        CU_ASSERT_EQUAL(pipit_image_size(a)[d], pipit_image_size(b)[d]);
        CU_ASSERT_DOUBLE_EQUAL(pipit_image_spacing(a)[d],
                               pipit_image_spacing(b)[d], tol);
        CU_ASSERT_DOUBLE_EQUAL(pipit_image_origin(a)[d],
                               pipit_image_origin(b)[d], tol);
        if (tol == 0.0) {
            CU_ASSERT(pipit_image_spacing(a)[d] == pipit_image_spacing(b)[d]);
            CU_ASSERT(pipit_image_origin(a)[d] == pipit_image_origin(b)[d]);
        }
    }
    for (unsigned i = 0; i < dim * dim; i++) {
        CU_ASSERT_DOUBLE_EQUAL(pipit_image_direction(a)[i],
                               pipit_image_direction(b)[i], tol);
        if (tol == 0.0)
            CU_ASSERT(pipit_image_direction(a)[i] ==
                      pipit_image_direction(b)[i]);
    }
}

void
io_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(data, 1, n, f), n);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

unsigned char *
io_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(size > 0 ? (size_t)size : 1);
    if (b != NULL && fread(b, 1, (size_t)size, f) != (size_t)size) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = (size_t)size;
    return b;
}

bool
io_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

size_t
io_count_prefix(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
            n++;
    closedir(d);
    return n;
}

pipit_image_t *
io_round_trip(const pipit_image_t *img, const char *path,
              const pipit_write_options_t *opt)
{
    pipit_image_t *back = NULL;
    ASSERT_OK(pipit_image_write_with(img, path, opt));
    ASSERT_OK(pipit_image_read(path, &back));
    return back;
}

const char *
io_fresh_dir(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s", test_tmp(name));
    mkdir(buf, 0777);
    return buf;
}

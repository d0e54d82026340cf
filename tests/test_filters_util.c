/* SPDX-License-Identifier: Apache-2.0 */
#include "test_filters_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

pipit_image_t *
tf_values(unsigned dim, const size_t *size, pipit_pixel_type_t t,
          const double *v)
{
    pipit_image_t *img = pipit_image_new(dim, size, t, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    size_t idx[PIPIT_MAX_DIM] = { 0 }, k = 0;
    pipit_region_t all = pipit_image_largest_region(img);
    for (idx[3] = 0; idx[3] < all.hi[3]; idx[3]++)
        for (idx[2] = 0; idx[2] < all.hi[2]; idx[2]++)
            for (idx[1] = 0; idx[1] < all.hi[1]; idx[1]++)
                for (idx[0] = 0; idx[0] < all.hi[0]; idx[0]++)
                    ASSERT_OK(pipit_image_set_value(img, idx, 0, v[k++]));
    return img;
}

pipit_image_t *
tf_row(size_t w, size_t h, pipit_pixel_type_t t, const double *v)
{
    size_t size[2] = { w, h };
    return tf_values(2, size, t, v);
}

static bool
same_value(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

void
tf_assert_values(const pipit_image_t *img, const double *expect, size_t n,
                 const char *what)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    pipit_region_t all = pipit_image_largest_region(img);
    unsigned nc = pipit_image_components(img);
    CU_ASSERT_EQUAL_FATAL(pipit_region_count(&all) * nc, n);
    size_t idx[PIPIT_MAX_DIM] = { 0 }, k = 0;
    for (idx[3] = 0; idx[3] < all.hi[3]; idx[3]++)
        for (idx[2] = 0; idx[2] < all.hi[2]; idx[2]++)
            for (idx[1] = 0; idx[1] < all.hi[1]; idx[1]++)
                for (idx[0] = 0; idx[0] < all.hi[0]; idx[0]++)
                    for (unsigned c = 0; c < nc; c++, k++) {
                        double v = pipit_image_get_value(img, idx, c);
                        if (!same_value(v, expect[k])) {
                            fprintf(stderr,
                                    "\n%s: value %zu is %.17g, expected "
                                    "%.17g\n",
                                    what, k, v, expect[k]);
                            CU_FAIL("value differs");
                            return;
                        }
                    }
}

pipit_image_t *
tf_update(pipit_node_t *n)
{
    ASSERT_OK(pipit_node_update(n));
    pipit_image_t *out = pipit_image_dup(pipit_node_get_output(n, 0));
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    return out;
}

typedef struct {
    pipit_image_t *whole;
} stream_ctx_t;

static pipit_status_t
collect(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    stream_ctx_t *c = user;
    size_t pb = pipit_image_pixel_bytes(piece);
    char *dst = pipit_image_data_writable(c->whole);
    const ptrdiff_t *ds = pipit_image_strides(c->whole);
    for (size_t t = r->lo[3]; t < r->hi[3]; t++)
        for (size_t z = r->lo[2]; z < r->hi[2]; z++)
            for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
                size_t idx[PIPIT_MAX_DIM] = { r->lo[0], y, z, t };
                const void *src = pipit_image_pixel(piece, idx);
                if (src == NULL)
                    return PIPIT_ESTATE;
                memcpy(dst + (ptrdiff_t)r->lo[0] * ds[0] +
                           (ptrdiff_t)y * ds[1] + (ptrdiff_t)z * ds[2] +
                           (ptrdiff_t)t * ds[3],
                       src, (r->hi[0] - r->lo[0]) * pb);
            }
    return PIPIT_OK;
}

pipit_image_t *
tf_streamed(pipit_node_t *n, size_t piece_bytes)
{
    ASSERT_OK(pipit_node_update_information(n));
    const pipit_image_t *out = pipit_node_get_output(n, 0);
    stream_ctx_t c;
    c.whole = pipit_image_new(pipit_image_dim(out), pipit_image_size(out),
                              pipit_image_pixel_type(out),
                              pipit_image_components(out));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c.whole);
    ASSERT_OK(pipit_image_copy_geometry(c.whole, out));
    ASSERT_OK(pipit_node_stream(n, 0, piece_bytes, collect, &c));
    return c.whole;
}

bool
tf_same(const pipit_image_t *a, const pipit_image_t *b)
{
    unsigned dim = pipit_image_dim(a);
    if (dim != pipit_image_dim(b) ||
        pipit_image_pixel_type(a) != pipit_image_pixel_type(b) ||
        pipit_image_components(a) != pipit_image_components(b)) {
        fprintf(stderr, "\ndimension, type or components differ\n");
        return false;
    }
    for (unsigned d = 0; d < dim; d++)
        if (pipit_image_size(a)[d] != pipit_image_size(b)[d] ||
            pipit_image_spacing(a)[d] != pipit_image_spacing(b)[d] ||
            pipit_image_origin(a)[d] != pipit_image_origin(b)[d]) {
            fprintf(stderr, "\nsize, spacing or origin differ on axis %u\n",
                    d);
            return false;
        }
    for (unsigned k = 0; k < dim * dim; k++)
        if (pipit_image_direction(a)[k] != pipit_image_direction(b)[k]) {
            fprintf(stderr, "\ndirection differs\n");
            return false;
        }
    pipit_region_t all = pipit_image_largest_region(a);
    size_t pb = pipit_image_pixel_bytes(a);
    for (size_t t = 0; t < all.hi[3]; t++)
        for (size_t z = 0; z < all.hi[2]; z++)
            for (size_t y = 0; y < all.hi[1]; y++) {
                size_t idx[PIPIT_MAX_DIM] = { 0, y, z, t };
                const void *pa = pipit_image_pixel(a, idx);
                const void *pb_ = pipit_image_pixel(b, idx);
                if (pa == NULL || pb_ == NULL ||
                    memcmp(pa, pb_, all.hi[0] * pb) != 0) {
                    fprintf(stderr, "\npixels differ in row %zu %zu %zu\n",
                            y, z, t);
                    return false;
                }
            }
    return true;
}

pipit_node_t *
tf_filter(const char *name, const char *const *settings, pipit_image_t *in0,
          pipit_image_t *in1)
{
    pipit_node_t *n = pipit_filter_new(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    for (size_t i = 0; settings != NULL && settings[i] != NULL; i++) {
        char key[64];
        const char *eq = strchr(settings[i], '=');
        CU_ASSERT_PTR_NOT_NULL_FATAL(eq);
        size_t len = (size_t)(eq - settings[i]);
        CU_ASSERT_FATAL(len < sizeof key);
        memcpy(key, settings[i], len);
        key[len] = '\0';
        ASSERT_OK(pipit_node_set(n, key, eq + 1));
    }
    if (in0 != NULL)
        ASSERT_OK(pipit_node_set_input_image(n, 0, in0));
    if (in1 != NULL)
        ASSERT_OK(pipit_node_set_input_image(n, 1, in1));
    return n;
}

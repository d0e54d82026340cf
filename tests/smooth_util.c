/* SPDX-License-Identifier: Apache-2.0 */
#include "smooth_util.h"

#include <math.h>
#include <stdlib.h>

pipit_image_t *
su_random(unsigned dim, const size_t *size, pipit_pixel_type_t t, double lo,
          double hi, uint32_t seed)
{
    pipit_image_t *img = pipit_image_new(dim, size, t, 1);
    if (img == NULL)
        return NULL;
    size_t nz = dim > 2 ? size[2] : 1;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < size[1]; y++)
            for (size_t x = 0; x < size[0]; x++) {
                seed = seed * 1664525u + 1013904223u;
                double u = (double)(seed >> 8) / 16777216.0;
                su_set(img, x, y, z, lo + (hi - lo) * u);
            }
    return img;
}

double
su_at(const pipit_image_t *img, size_t x, size_t y, size_t z)
{
    size_t idx[3] = { x, y, z };
    return pipit_image_get_value(img, idx, 0);
}

void
su_set(pipit_image_t *img, size_t x, size_t y, size_t z, double v)
{
    size_t idx[3] = { x, y, z };
    pipit_image_set_value(img, idx, 0, v);
}

pipit_image_t *
su_run(pipit_node_t *n, pipit_image_t *img)
{
    if (img != NULL && pipit_node_set_input_image(n, 0, img) != PIPIT_OK)
        return NULL;
    if (pipit_node_update(n) != PIPIT_OK)
        return NULL;
    return pipit_image_dup(pipit_node_get_output(n, 0));
}

typedef struct {
    pipit_image_t *dst;
} collect_t;

static pipit_status_t
collect(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    collect_t *c = user;
    unsigned dim = pipit_image_dim(piece);
    size_t row = (r->hi[0] - r->lo[0]) * pipit_image_pixel_bytes(piece);
    char *base = pipit_image_data_writable(c->dst);
    const ptrdiff_t *st = pipit_image_strides(c->dst);
    for (size_t z = r->lo[2]; z < r->hi[2]; z++)
        for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
            size_t idx[3] = { r->lo[0], y, z };
            const void *src = pipit_image_pixel(piece, idx);
            if (src == NULL)
                return PIPIT_ESTATE;
            char *dst = base + (ptrdiff_t)r->lo[0] * st[0] +
                        (ptrdiff_t)y * st[1] +
                        (dim > 2 ? (ptrdiff_t)z * st[2] : 0);
            memcpy(dst, src, row);
        }
    return PIPIT_OK;
}

pipit_image_t *
su_stream(pipit_node_t *n, size_t piece_bytes)
{
    if (pipit_node_update_information(n) != PIPIT_OK)
        return NULL;
    const pipit_image_t *out = pipit_node_get_output(n, 0);
    collect_t c;
    c.dst = pipit_image_new(pipit_image_dim(out), pipit_image_size(out),
                            pipit_image_pixel_type(out),
                            pipit_image_components(out));
    if (c.dst == NULL)
        return NULL;
    pipit_image_copy_geometry(c.dst, out);
    if (pipit_node_stream(n, 0, piece_bytes, collect, &c) != PIPIT_OK) {
        pipit_image_unref(c.dst);
        return NULL;
    }
    return c.dst;
}

static bool
same_shape(const pipit_image_t *a, const pipit_image_t *b)
{
    if (pipit_image_dim(a) != pipit_image_dim(b) ||
        pipit_image_pixel_type(a) != pipit_image_pixel_type(b) ||
        pipit_image_components(a) != pipit_image_components(b))
        return false;
    for (unsigned d = 0; d < pipit_image_dim(a); d++)
        if (pipit_image_size(a)[d] != pipit_image_size(b)[d])
            return false;
    return true;
}

static size_t
count_of(const pipit_image_t *a)
{
    size_t n = 1;
    for (unsigned d = 0; d < pipit_image_dim(a); d++)
        n *= pipit_image_size(a)[d];
    return n;
}

bool
su_identical(const pipit_image_t *a, const pipit_image_t *b)
{
    if (a == NULL || b == NULL || !same_shape(a, b))
        return false;
    return memcmp(pipit_image_data(a), pipit_image_data(b),
                  count_of(a) * pipit_image_pixel_bytes(a)) == 0;
}

double
su_max_diff(const pipit_image_t *a, const pipit_image_t *b)
{
    if (a == NULL || b == NULL || pipit_image_dim(a) != pipit_image_dim(b) ||
        pipit_image_components(a) != pipit_image_components(b))
        return INFINITY;
    for (unsigned d = 0; d < pipit_image_dim(a); d++)
        if (pipit_image_size(a)[d] != pipit_image_size(b)[d])
            return INFINITY;
    double m = 0.0;
    unsigned dim = pipit_image_dim(a), nc = pipit_image_components(a);
    const size_t *s = pipit_image_size(a);
    size_t nz = dim > 2 ? s[2] : 1;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < s[1]; y++)
            for (size_t x = 0; x < s[0]; x++)
                for (unsigned c = 0; c < nc; c++) {
                    size_t idx[3] = { x, y, z };
                    double d = fabs(pipit_image_get_value(a, idx, c) -
                                    pipit_image_get_value(b, idx, c));
                    if (!(d <= m))
                        m = d;
                }
    return m;
}

void
su_bessel_series(double t, size_t kmax, double *out)
{
    for (size_t k = 0; k <= kmax; k++) {
        double s = 0.0;
        for (int m = 0; m < 200; m++)
            s += exp((2.0 * m + (double)k) * log(t / 2.0) - lgamma(m + 1.0) -
                     lgamma(m + (double)k + 1.0) - t);
        out[k] = s;
    }
}

size_t
su_gaussian_half(double t, double e, double *half)
{
    double h[34];
    su_bessel_series(t, 33, h);
    double sum = h[0] + 2.0 * h[1];
    size_t r = 1;
    while (sum < 1.0 - e && r < 32) {
        r++;
        sum += 2.0 * h[r];
    }
    for (size_t j = 0; j <= r; j++)
        half[j] = h[j] / sum;
    return r;
}

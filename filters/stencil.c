/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rows for the 3-point stencils of the derivative filters (gradient,
 * gradient magnitude, Laplacian): the row (y, z) with one column of
 * border on each side, and its four neighbours along y and z, indices
 * clamped to the image (zero-flux Neumann, ITK's default).
 */
#include <string.h>

#include "smooth_impl.h"

static size_t
clampz(ptrdiff_t i, size_t n)
{
    return i < 0 ? 0 : (size_t)i >= n ? n - 1 : (size_t)i;
}

#define STENCIL_ROWS(W, S, NT)                                             \
    void pipit__stencil_rows_##S(const pipit_image_t *in, size_t y,        \
                                 size_t z, size_t t, size_t x0, size_t x1, \
                                 W *scratch, pipit__stencil_##S##_t *r)    \
    {                                                                      \
        const size_t w = x1 - x0, nx = in->size[0];                        \
        const size_t xa = x0 > 0 ? x0 - 1 : 0;                             \
        const size_t xb = x1 < nx ? x1 + 1 : nx;                           \
        W *c = scratch + 1; /* c[-1] .. c[w] */                            \
        W *tmp = scratch + w + 2;                                          \
        pipit__row_load_##S(pipit__at(in, xa, y, z, t), in->type, xb - xa, \
                            c - (ptrdiff_t)(x0 - xa));                     \
        if (xa == x0)                                                      \
            c[-1] = c[0];                                                  \
        if (xb == x1)                                                      \
            c[w] = c[w - 1];                                               \
        r->c = c;                                                          \
        const size_t ny = in->size[1], nz = in->size[2];                   \
        size_t idx[4][2] = {                                               \
            { clampz((ptrdiff_t)y - 1, ny), z },                           \
            { clampz((ptrdiff_t)y + 1, ny), z },                           \
            { y, clampz((ptrdiff_t)z - 1, nz) },                           \
            { y, clampz((ptrdiff_t)z + 1, nz) },                           \
        };                                                                 \
        const W **dst[4] = { &r->ym, &r->yp, &r->zm, &r->zp };             \
        for (unsigned k = 0; k < 4; k++) {                                 \
            const char *src = pipit__at(in, x0, idx[k][0], idx[k][1], t);  \
            if (in->type == NT) {                                          \
                *dst[k] = (const W *)(const void *)src;                    \
            } else {                                                       \
                pipit__row_load_##S(src, in->type, w, tmp + k * w);        \
                *dst[k] = tmp + k * w;                                     \
            }                                                              \
        }                                                                  \
    }

STENCIL_ROWS(float, f32, PIPIT_F32)
STENCIL_ROWS(double, f64, PIPIT_F64)

pipit_status_t
pipit__stencil_request(pipit_node_t *n, unsigned input,
                       const pipit_region_t *asked, pipit_region_t *needed)
{
    static const size_t one[3] = { 1, 1, 1 };
    return pipit__request_padded(n, input, asked, one, needed);
}

pipit_status_t
pipit__stencil_scratch_prepare(const pipit_node_t *n,
                               pipit__scratch_t *scratch, size_t out_rows)
{
    const pipit_region_t *r = &n->requested[0];
    size_t w = r->hi[0] - r->lo[0];
    pipit__scratch_free(scratch);
    return pipit__scratch_init(scratch, (pipit__stencil_scratch(w) +
                                         out_rows * w) * sizeof(double));
}

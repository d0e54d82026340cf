/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine of the 3-point stencil filters (gradient, gradient
 * magnitude, Laplacian): for each output row it gathers the row (y, z)
 * with one column of border on each side and its four neighbours along
 * y and z, indices clamped to the image (zero-flux Neumann, ITK's
 * default), and hands them to the filter's row kernel.
 */
#include <string.h>

#include "smooth_impl.h"

/* Scratch elements for the stencil rows of a row of w pixels: c with
 * its two border columns, and four neighbour rows when converted. */
static size_t
stencil_scratch(size_t w)
{
    return 5 * w + 2;
}

static size_t
clampz(ptrdiff_t i, size_t n)
{
    return i < 0 ? 0 : (size_t)i >= n ? n - 1 : (size_t)i;
}

#define STENCIL_ROWS(W, S, NT)                                             \
    static void stencil_rows_##S(const pipit_image_t *in, size_t y,        \
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
pipit__stencil_information(pipit_node_t *n, unsigned components)
{
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    return pipit__information_as(
        n, pipit__real_type(pipit__input(n, 0)->type), components);
}

pipit_status_t
pipit__stencil_request(pipit_node_t *n, unsigned input,
                       const pipit_region_t *asked, pipit_region_t *needed)
{
    static const size_t one[3] = { 1, 1, 1 };
    return pipit__request_padded(n, input, asked, one, needed);
}

pipit_status_t
pipit__stencil_before(pipit_node_t *n)
{
    /* the stencil rows, then one output row */
    pipit__stencil_node_t *s = (pipit__stencil_node_t *)n;
    const pipit_region_t *r = &n->requested[0];
    size_t w = r->hi[0] - r->lo[0];
    size_t out = w * pipit__output(n, 0)->components;
    pipit__scratch_free(&s->scratch);
    return pipit__scratch_init(&s->scratch, (stencil_scratch(w) +
                                             out) * sizeof(double));
}

pipit_status_t
pipit__stencil_after(pipit_node_t *n)
{
    pipit__scratch_free(&((pipit__stencil_node_t *)n)->scratch);
    return PIPIT_OK;
}

void
pipit__stencil_finalize(pipit_node_t *n)
{
    pipit__scratch_free(&((pipit__stencil_node_t *)n)->scratch);
}

#define STENCIL_PIECE(W, S)                                                \
    static void stencil_piece_##S(const pipit__stencil_node_t *n,          \
                                  const pipit__stencil_kind_t *kind,       \
                                  const pipit_image_t *in,                 \
                                  pipit_image_t *out,                      \
                                  const pipit_region_t *p, W *s)           \
    {                                                                      \
        const size_t w = p->hi[0] - p->lo[0];                              \
        double kd[PIPIT__STENCIL_K] = { 0 };                               \
        W k[PIPIT__STENCIL_K];                                             \
        kind->constants(n, in, kd);                                        \
        for (unsigned i = 0; i < PIPIT__STENCIL_K; i++)                    \
            k[i] = (W)kd[i];                                               \
        W *orow = s + stencil_scratch(w);                           \
        for (size_t z = p->lo[2]; z < p->hi[2]; z++)                       \
            for (size_t y = p->lo[1]; y < p->hi[1]; y++) {                 \
                pipit__stencil_##S##_t r;                                  \
                stencil_rows_##S(in, y, z, p->lo[3], p->lo[0], p->hi[0],   \
                                 s, &r);                                   \
                kind->row_##S(&r, w, k, in->dim, orow);                    \
                pipit__row_store_##S(orow, w * out->components,            \
                                     pipit__at(out, p->lo[0], y, z,        \
                                               p->lo[3]),                  \
                                     out->type);                           \
            }                                                              \
    }

STENCIL_PIECE(float, f32)
STENCIL_PIECE(double, f64)

pipit_status_t
pipit__stencil_threaded(pipit_node_t *n, const pipit_piece_t *p,
                        const pipit__stencil_kind_t *kind)
{
    const pipit__stencil_node_t *sn = (const pipit__stencil_node_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    void *s = pipit__scratch_get(&sn->scratch, p->worker);
    if (s == NULL)
        return pipit__scratch_error(n, &sn->scratch, p->worker);
    if (pipit__needs_f64(in->type))
        stencil_piece_f64(sn, kind, in, pipit__output(n, 0), &p->region, s);
    else
        stencil_piece_f32(sn, kind, in, pipit__output(n, 0), &p->region, s);
    return PIPIT_OK;
}

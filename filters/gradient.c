/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gradient: ITK's GradientImageFilter: a vector image of dim components,
 * the central differences (f[i+1] - f[i-1]) / 2 along each axis, divided
 * by the spacing when use_image_spacing, then turned into world axes by
 * the direction matrix when use_image_direction (g_world = D · g, ITK's
 * TransformLocalVectorToPhysicalVector); both on by default, as in ITK.
 * Indices outside the image are clamped (zero-flux Neumann). Output: f32
 * components (f64 for f64 input), interleaved. Streams (padding 1).
 */
#include <stddef.h>

#include "smooth_impl.h"

typedef struct {
    pipit_node_t base;
    bool use_spacing, use_direction;
    pipit__scratch_t scratch;
} grad_t;

static pipit_status_t
grad_information(pipit_node_t *n)
{
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    const pipit_image_t *in = pipit__input(n, 0);
    return pipit__information_as(n, pipit__real_type(in->type), in->dim);
}

static pipit_status_t
grad_before(pipit_node_t *n)
{
    return pipit__stencil_scratch_prepare(n, &((grad_t *)n)->scratch, 3);
}

#define GRAD_ROW(W, S)                                                     \
    PIPIT__HOT static void grad_row_##S(const pipit__stencil_##S##_t *r,   \
                                        size_t w, const W *h,              \
                                        const W *m, unsigned dim, W *out)  \
    {                                                                      \
        const W hx = h[0], hy = h[1], hz = h[2];                           \
        const W *c = r->c, *ym = r->ym, *yp = r->yp, *zm = r->zm,          \
                *zp = r->zp;                                               \
        if (dim == 3)                                                      \
            for (size_t i = 0; i < w; i++) {                               \
                W gx = (c[i + 1] - c[i - 1]) * hx;                         \
                W gy = (yp[i] - ym[i]) * hy, gz = (zp[i] - zm[i]) * hz;    \
                out[3 * i] = m[0] * gx + m[1] * gy + m[2] * gz;            \
                out[3 * i + 1] = m[3] * gx + m[4] * gy + m[5] * gz;        \
                out[3 * i + 2] = m[6] * gx + m[7] * gy + m[8] * gz;        \
            }                                                              \
        else                                                               \
            for (size_t i = 0; i < w; i++) {                               \
                W gx = (c[i + 1] - c[i - 1]) * hx;                         \
                W gy = (yp[i] - ym[i]) * hy;                               \
                out[2 * i] = m[0] * gx + m[1] * gy;                        \
                out[2 * i + 1] = m[2] * gx + m[3] * gy;                    \
            }                                                              \
    }                                                                      \
    static void grad_piece_##S(const grad_t *g, const pipit_image_t *in,   \
                               pipit_image_t *out,                         \
                               const pipit_region_t *p, W *s)              \
    {                                                                      \
        const size_t w = p->hi[0] - p->lo[0];                              \
        const unsigned dim = in->dim;                                      \
        W h[3], m[9];                                                      \
        for (unsigned d = 0; d < 3; d++)                                   \
            h[d] = (W)(0.5 / (g->use_spacing ? in->spacing[d] : 1.0));     \
        for (unsigned i = 0; i < dim * dim; i++)                           \
            m[i] = g->use_direction ? (W)in->direction[i]                  \
                                    : (W)(i % (dim + 1) == 0);             \
        W *orow = s + pipit__stencil_scratch(w);                           \
        for (size_t z = p->lo[2]; z < p->hi[2]; z++)                       \
            for (size_t y = p->lo[1]; y < p->hi[1]; y++) {                 \
                pipit__stencil_##S##_t r;                                  \
                pipit__stencil_rows_##S(in, y, z, p->lo[3], p->lo[0],      \
                                        p->hi[0], s, &r);                  \
                grad_row_##S(&r, w, h, m, dim, orow);                      \
                pipit__row_store_##S(orow, w * dim,                        \
                                     pipit__at(out, p->lo[0], y, z,        \
                                               p->lo[3]),                  \
                                     out->type);                           \
            }                                                              \
    }

GRAD_ROW(float, f32)
GRAD_ROW(double, f64)

static pipit_status_t
grad_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const grad_t *g = (const grad_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    void *s = pipit__scratch_get(&g->scratch, p->worker);
    if (s == NULL)
        return pipit__scratch_error(n, p->worker);
    if (pipit__needs_f64(in->type))
        grad_piece_f64(g, in, pipit__output(n, 0), &p->region, s);
    else
        grad_piece_f32(g, in, pipit__output(n, 0), &p->region, s);
    return PIPIT_OK;
}

static pipit_status_t
grad_after(pipit_node_t *n)
{
    pipit__scratch_free(&((grad_t *)n)->scratch);
    return PIPIT_OK;
}

static void
grad_finalize(pipit_node_t *n)
{
    pipit__scratch_free(&((grad_t *)n)->scratch);
}

static const pipit_setting_t grad_settings[] = {
    { "use-image-spacing", PIPIT_SETTING_BOOL, offsetof(grad_t, use_spacing),
      "true", "derivatives per unit length (true) or per voxel", 1, 0,
      NULL },
    { "use-image-direction", PIPIT_SETTING_BOOL,
      offsetof(grad_t, use_direction), "true",
      "rotate the gradient into world axes by the image direction", 1, 0,
      NULL },
};

const pipit_node_class_t pipit__gradient_class = {
    .name = "gradient",
    .help = "central-difference gradient as a vector image (ITK "
            "GradientImageFilter)",
    .size = sizeof(grad_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = grad_settings,
    .n_settings = 2,
    .information = grad_information,
    .request = pipit__stencil_request,
    .before = grad_before,
    .threaded = grad_threaded,
    .after = grad_after,
    .finalize = grad_finalize,
};

pipit_node_t *
pipit_gradient_new(void)
{
    return pipit_node_new(&pipit__gradient_class);
}

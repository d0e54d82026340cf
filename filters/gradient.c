/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gradient: ITK's GradientImageFilter: a vector image of dim components,
 * the central differences (f[i+1] - f[i-1]) / 2 along each axis, divided
 * by the spacing when use-image-spacing, then turned into world axes by
 * the direction matrix when use-image-direction (g_world = D · g, ITK's
 * TransformLocalVectorToPhysicalVector); both on by default, as in ITK.
 * Indices outside the image are clamped (zero-flux Neumann). Output: f32
 * components (f64 for f64 input), interleaved. Streams (padding 1).
 */
#include <stddef.h>

#include "smooth_impl.h"

typedef pipit__stencil_node_t grad_t;

static pipit_status_t
grad_information(pipit_node_t *n)
{
    return pipit__stencil_information(n, pipit__input(n, 0)->dim);
}

/* k: the three half inverse spacings, then the dim x dim matrix. */
static void
grad_constants(const pipit__stencil_node_t *g, const pipit_image_t *in,
               double *k)
{
    unsigned dim = in->dim;
    for (unsigned d = 0; d < 3; d++)
        k[d] = 0.5 / (g->use_spacing ? in->spacing[d] : 1.0);
    for (unsigned i = 0; i < dim * dim; i++)
        k[3 + i] = g->use_direction ? in->direction[i]
                                    : (double)(i % (dim + 1) == 0);
}

#define GRAD_ROW_V(W, S, V, ATTR)                                          \
    ATTR static void grad_row_##S##V(const pipit__stencil_##S##_t *r,      \
                                        size_t w, const W *k,              \
                                        unsigned dim, W *out)              \
    {                                                                      \
        const W hx = k[0], hy = k[1], hz = k[2], *m = k + 3;               \
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
    }

/* Both copies and the dispatching wrapper (lib/cpu_impl.h). */
#define GRAD_ROW(W, S)                                                     \
    GRAD_ROW_V(W, S, _portable, )                                          \
    PIPIT__IF_V3(GRAD_ROW_V(W, S, _v3, PIPIT__V3))                         \
    static void grad_row_##S(const pipit__stencil_##S##_t *r, size_t w,    \
                             const W *k, unsigned dim, W *out)             \
    {                                                                      \
        PIPIT__PICK(grad_row_##S)(r, w, k, dim, out);                      \
    }

GRAD_ROW(float, f32)
GRAD_ROW(double, f64)

static const pipit__stencil_kind_t grad_kind = {
    grad_constants, grad_row_f32, grad_row_f64,
};

static pipit_status_t
grad_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__stencil_threaded(n, p, &grad_kind);
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
    .before = pipit__stencil_before,
    .threaded = grad_threaded,
    .after = pipit__stencil_after,
    .finalize = pipit__stencil_finalize,
};

pipit_node_t *
pipit_gradient_new(void)
{
    return pipit_node_new(&pipit__gradient_class);
}

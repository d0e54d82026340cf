/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gradient-magnitude: ITK's GradientMagnitudeImageFilter: the length of
 * the central-difference gradient, (f[i+1] - f[i-1]) / 2 per axis,
 * divided by the spacing when use-image-spacing (ITK's default); indices
 * outside the image clamped to it (zero-flux Neumann). Directions are
 * not applied (a rotation does not change the length). Output: f32 (f64
 * for f64 input). Streams: it asks for the output region padded by 1.
 */
#include <math.h>
#include <stddef.h>

#include "smooth_impl.h"

typedef pipit__stencil_node_t gm_t;

static pipit_status_t
gm_information(pipit_node_t *n)
{
    return pipit__stencil_information(n, 1);
}

/* k: the three half inverse spacings. */
static void
gm_constants(const pipit__stencil_node_t *g, const pipit_image_t *in,
             double *k)
{
    for (unsigned d = 0; d < 3; d++)
        k[d] = 0.5 / (g->use_spacing ? in->spacing[d] : 1.0);
}

#define GM_ROW_V(W, S, SQRT, V, ATTR)                                      \
    ATTR static void                                                       \
    gm_row_##S##V(const pipit__stencil_##S##_t *r, size_t w, const W *k,   \
               unsigned dim, W *out)                                       \
    {                                                                      \
        const W hx = k[0], hy = k[1], hz = k[2];                           \
        const W *c = r->c, *ym = r->ym, *yp = r->yp, *zm = r->zm,          \
                *zp = r->zp;                                               \
        if (dim == 3)                                                      \
            for (size_t i = 0; i < w; i++) {                               \
                W gx = (c[i + 1] - c[i - 1]) * hx;                         \
                W gy = (yp[i] - ym[i]) * hy, gz = (zp[i] - zm[i]) * hz;    \
                out[i] = SQRT(gx * gx + gy * gy + gz * gz);                \
            }                                                              \
        else                                                               \
            for (size_t i = 0; i < w; i++) {                               \
                W gx = (c[i + 1] - c[i - 1]) * hx;                         \
                W gy = (yp[i] - ym[i]) * hy;                               \
                out[i] = SQRT(gx * gx + gy * gy);                          \
            }                                                              \
    }

/* Both copies and the dispatching wrapper (lib/cpu_impl.h). */
#define GM_ROW(W, S, SQRT)                                                 \
    GM_ROW_V(W, S, SQRT, _portable, )                                      \
    PIPIT__IF_V3(GM_ROW_V(W, S, SQRT, _v3, PIPIT__V3))                     \
    static void gm_row_##S(const pipit__stencil_##S##_t *r, size_t w,      \
                           const W *k, unsigned dim, W *out)               \
    {                                                                      \
        PIPIT__PICK(gm_row_##S)(r, w, k, dim, out);                        \
    }

GM_ROW(float, f32, sqrtf)
GM_ROW(double, f64, sqrt)

static const pipit__stencil_kind_t gm_kind = {
    gm_constants, gm_row_f32, gm_row_f64,
};

static pipit_status_t
gm_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__stencil_threaded(n, p, &gm_kind);
}

static const pipit_setting_t gm_settings[] = {
    { "use-image-spacing", PIPIT_SETTING_BOOL, offsetof(gm_t, use_spacing),
      "true", "derivatives per unit length (true) or per voxel", 1, 0,
      NULL },
};

const pipit_node_class_t pipit__gradient_magnitude_class = {
    .name = "gradient-magnitude",
    .help = "length of the central-difference gradient (ITK "
            "GradientMagnitudeImageFilter)",
    .size = sizeof(gm_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = gm_settings,
    .n_settings = 1,
    .information = gm_information,
    .request = pipit__stencil_request,
    .before = pipit__stencil_before,
    .threaded = gm_threaded,
    .after = pipit__stencil_after,
    .finalize = pipit__stencil_finalize,
};

pipit_node_t *
pipit_gradient_magnitude_new(void)
{
    return pipit_node_new(&pipit__gradient_magnitude_class);
}

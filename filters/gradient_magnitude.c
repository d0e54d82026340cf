/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gradient-magnitude: ITK's GradientMagnitudeImageFilter: the length of
 * the central-difference gradient, (f[i+1] - f[i-1]) / 2 per axis,
 * divided by the spacing when use_image_spacing (ITK's default); indices
 * outside the image clamped to it (zero-flux Neumann). Directions are
 * not applied (a rotation does not change the length). Output: f32 (f64
 * for f64 input). Streams: it asks for the output region padded by 1.
 */
#include <math.h>
#include <stddef.h>

#include "smooth_impl.h"

typedef struct {
    pipit_node_t base;
    bool use_spacing;
    pipit__scratch_t scratch;
} gm_t;

static pipit_status_t
gm_information(pipit_node_t *n)
{
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    return pipit__information_as(
        n, pipit__real_type(pipit__input(n, 0)->type), 1);
}

static pipit_status_t
gm_before(pipit_node_t *n)
{
    return pipit__stencil_scratch_prepare(n, &((gm_t *)n)->scratch, 1);
}

#define GM_ROW(W, S, SQRT)                                                     \
    PIPIT__HOT __attribute__((optimize("no-math-errno"))) static void      \
    gm_row_##S(const pipit__stencil_##S##_t *r, size_t w, const W *h,      \
               bool three, W *out)                                         \
    {                                                                      \
        const W hx = h[0], hy = h[1], hz = h[2];                           \
        const W *c = r->c, *ym = r->ym, *yp = r->yp, *zm = r->zm,          \
                *zp = r->zp;                                               \
        if (three)                                                         \
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
    }                                                                      \
    static void gm_piece_##S(const gm_t *g, const pipit_image_t *in,       \
                             pipit_image_t *out, const pipit_region_t *p,  \
                             W *s)                                         \
    {                                                                      \
        const size_t w = p->hi[0] - p->lo[0];                              \
        W h[3];                                                            \
        for (unsigned d = 0; d < 3; d++)                                   \
            h[d] = (W)(0.5 / (g->use_spacing ? in->spacing[d] : 1.0));     \
        W *orow = s + pipit__stencil_scratch(w);                           \
        for (size_t z = p->lo[2]; z < p->hi[2]; z++)                       \
            for (size_t y = p->lo[1]; y < p->hi[1]; y++) {                 \
                pipit__stencil_##S##_t r;                                  \
                pipit__stencil_rows_##S(in, y, z, p->lo[3], p->lo[0],      \
                                        p->hi[0], s, &r);                  \
                gm_row_##S(&r, w, h, in->dim == 3, orow);                  \
                pipit__row_store_##S(orow, w,                              \
                                     pipit__at(out, p->lo[0], y, z,        \
                                               p->lo[3]),                  \
                                     out->type);                           \
            }                                                              \
    }

GM_ROW(float, f32, sqrtf)
GM_ROW(double, f64, sqrt)

static pipit_status_t
gm_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const gm_t *g = (const gm_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    void *s = pipit__scratch_get(&g->scratch, p->worker);
    if (s == NULL)
        return pipit__scratch_error(n, p->worker);
    if (pipit__needs_f64(in->type))
        gm_piece_f64(g, in, pipit__output(n, 0), &p->region, s);
    else
        gm_piece_f32(g, in, pipit__output(n, 0), &p->region, s);
    return PIPIT_OK;
}

static pipit_status_t
gm_after(pipit_node_t *n)
{
    pipit__scratch_free(&((gm_t *)n)->scratch);
    return PIPIT_OK;
}

static void
gm_finalize(pipit_node_t *n)
{
    pipit__scratch_free(&((gm_t *)n)->scratch);
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
    .before = gm_before,
    .threaded = gm_threaded,
    .after = gm_after,
    .finalize = gm_finalize,
};

pipit_node_t *
pipit_gradient_magnitude_new(void)
{
    return pipit_node_new(&pipit__gradient_magnitude_class);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * laplacian: ITK's LaplacianImageFilter: Σ_d (f[i+1] - 2 f[i] + f[i-1])
 * / spacing_d² (per voxel² without use_image_spacing), indices outside
 * the image clamped to it (zero-flux Neumann). Output: f32 (f64 for f64
 * input). Streams: it asks for the output region padded by 1.
 */
#include <stddef.h>

#include "smooth_impl.h"

typedef struct {
    pipit_node_t base;
    bool use_spacing;
    pipit__scratch_t scratch;
} lap_t;

static pipit_status_t
lap_information(pipit_node_t *n)
{
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    return pipit__information_as(
        n, pipit__real_type(pipit__input(n, 0)->type), 1);
}

static pipit_status_t
lap_before(pipit_node_t *n)
{
    return pipit__stencil_scratch_prepare(n, &((lap_t *)n)->scratch, 1);
}

#define LAP_ROW(W, S)                                                      \
    PIPIT__HOT static void lap_row_##S(const pipit__stencil_##S##_t *r,    \
                                       size_t w, const W *h, bool three,   \
                                       W *out)                             \
    {                                                                      \
        const W hx = h[0], hy = h[1], hz = h[2];                           \
        const W *c = r->c, *ym = r->ym, *yp = r->yp, *zm = r->zm,          \
                *zp = r->zp;                                               \
        for (size_t i = 0; i < w; i++) {                                   \
            W v = (c[i + 1] - 2 * c[i] + c[i - 1]) * hx +                  \
                  (yp[i] - 2 * c[i] + ym[i]) * hy;                         \
            if (three)                                                     \
                v += (zp[i] - 2 * c[i] + zm[i]) * hz;                      \
            out[i] = v;                                                    \
        }                                                                  \
    }                                                                      \
    static void lap_piece_##S(const lap_t *g, const pipit_image_t *in,     \
                              pipit_image_t *out, const pipit_region_t *p, \
                              W *s)                                        \
    {                                                                      \
        const size_t w = p->hi[0] - p->lo[0];                              \
        W h[3];                                                            \
        for (unsigned d = 0; d < 3; d++) {                                 \
            double sp = g->use_spacing ? in->spacing[d] : 1.0;             \
            h[d] = (W)(1.0 / (sp * sp));                                   \
        }                                                                  \
        W *orow = s + pipit__stencil_scratch(w);                           \
        for (size_t z = p->lo[2]; z < p->hi[2]; z++)                       \
            for (size_t y = p->lo[1]; y < p->hi[1]; y++) {                 \
                pipit__stencil_##S##_t r;                                  \
                pipit__stencil_rows_##S(in, y, z, p->lo[3], p->lo[0],      \
                                        p->hi[0], s, &r);                  \
                lap_row_##S(&r, w, h, in->dim == 3, orow);                 \
                pipit__row_store_##S(orow, w,                              \
                                     pipit__at(out, p->lo[0], y, z,        \
                                               p->lo[3]),                  \
                                     out->type);                           \
            }                                                              \
    }

LAP_ROW(float, f32)
LAP_ROW(double, f64)

static pipit_status_t
lap_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const lap_t *g = (const lap_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    void *s = pipit__scratch_get(&g->scratch, p->worker);
    if (s == NULL)
        return pipit__scratch_error(n, p->worker);
    if (pipit__needs_f64(in->type))
        lap_piece_f64(g, in, pipit__output(n, 0), &p->region, s);
    else
        lap_piece_f32(g, in, pipit__output(n, 0), &p->region, s);
    return PIPIT_OK;
}

static pipit_status_t
lap_after(pipit_node_t *n)
{
    pipit__scratch_free(&((lap_t *)n)->scratch);
    return PIPIT_OK;
}

static void
lap_finalize(pipit_node_t *n)
{
    pipit__scratch_free(&((lap_t *)n)->scratch);
}

static const pipit_setting_t lap_settings[] = {
    { "use-image-spacing", PIPIT_SETTING_BOOL, offsetof(lap_t, use_spacing),
      "true", "second derivatives per unit length² (true) or per voxel²", 1,
      0, NULL },
};

const pipit_node_class_t pipit__laplacian_class = {
    .name = "laplacian",
    .help = "sum of second differences along each axis (ITK "
            "LaplacianImageFilter)",
    .size = sizeof(lap_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = lap_settings,
    .n_settings = 1,
    .information = lap_information,
    .request = pipit__stencil_request,
    .before = lap_before,
    .threaded = lap_threaded,
    .after = lap_after,
    .finalize = lap_finalize,
};

pipit_node_t *
pipit_laplacian_new(void)
{
    return pipit_node_new(&pipit__laplacian_class);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * laplacian: ITK's LaplacianImageFilter: Σ_d (f[i+1] - 2 f[i] + f[i-1])
 * / spacing_d² (per voxel² without use-image-spacing), indices outside
 * the image clamped to it (zero-flux Neumann). Output: f32 (f64 for f64
 * input). Streams: it asks for the output region padded by 1.
 */
#include <stddef.h>

#include "smooth_impl.h"

typedef pipit__stencil_node_t lap_t;

static pipit_status_t
lap_information(pipit_node_t *n)
{
    return pipit__stencil_information(n, 1);
}

/* k: the three inverse squared spacings. */
static void
lap_constants(const pipit__stencil_node_t *g, const pipit_image_t *in,
              double *k)
{
    for (unsigned d = 0; d < 3; d++) {
        double sp = g->use_spacing ? in->spacing[d] : 1.0;
        k[d] = 1.0 / (sp * sp);
    }
}

#define LAP_ROW_V(W, S, V, ATTR)                                           \
    ATTR static void lap_row_##S##V(const pipit__stencil_##S##_t *r,       \
                                       size_t w, const W *k, unsigned dim, \
                                       W *out)                             \
    {                                                                      \
        const W hx = k[0], hy = k[1], hz = k[2];                           \
        const W *c = r->c, *ym = r->ym, *yp = r->yp, *zm = r->zm,          \
                *zp = r->zp;                                               \
        const bool three = dim == 3;                                       \
        for (size_t i = 0; i < w; i++) {                                   \
            W v = (c[i + 1] - 2 * c[i] + c[i - 1]) * hx +                  \
                  (yp[i] - 2 * c[i] + ym[i]) * hy;                         \
            if (three)                                                     \
                v += (zp[i] - 2 * c[i] + zm[i]) * hz;                      \
            out[i] = v;                                                    \
        }                                                                  \
    }

/* Both copies and the dispatching wrapper (lib/cpu_impl.h). */
#define LAP_ROW(W, S)                                                      \
    LAP_ROW_V(W, S, _portable, )                                           \
    PIPIT__IF_V3(LAP_ROW_V(W, S, _v3, PIPIT__V3))                          \
    static void lap_row_##S(const pipit__stencil_##S##_t *r, size_t w,     \
                            const W *k, unsigned dim, W *out)              \
    {                                                                      \
        PIPIT__PICK(lap_row_##S)(r, w, k, dim, out);                       \
    }

LAP_ROW(float, f32)
LAP_ROW(double, f64)

static const pipit__stencil_kind_t lap_kind = {
    lap_constants, lap_row_f32, lap_row_f64,
};

static pipit_status_t
lap_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__stencil_threaded(n, p, &lap_kind);
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
    .before = pipit__stencil_before,
    .threaded = lap_threaded,
    .after = pipit__stencil_after,
    .finalize = pipit__stencil_finalize,
};

pipit_node_t *
pipit_laplacian_new(void)
{
    return pipit_node_new(&pipit__laplacian_class);
}

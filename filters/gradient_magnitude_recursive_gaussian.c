/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gradient-magnitude-recursive-gaussian: ITK's
 * GradientMagnitudeRecursiveGaussianImageFilter: for each axis d, the
 * recursive Gaussian derivative of order 1 along d and smoothing along
 * the others (sigma in physical units), divided by spacing_d; the output
 * is the square root of the sum of their squares. The smoothed volumes
 * share their passes: in 3-D, z is filtered twice (orders 0 and 1) and y
 * three times, x once per component in `threaded`. Output: f32 (f64 for
 * f64 input). Needs whole lines, so it does not stream.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "smooth_impl.h"

#define L PIPIT__LANES

typedef struct {
    pipit_node_t base;
    double sigma;
    bool normalize;
    /* From before: vol[d] is smoothed along every axis but x, and
     * differentiated along d when d > 0. */
    pipit__volume_t vol[3];
    pipit__iir_t smooth[3], deriv[3];
    pipit__scratch_t scratch;
} gmrg_t;

static pipit_status_t
gmrg_information(pipit_node_t *n)
{
    const gmrg_t *g = (const gmrg_t *)n;
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    if (!(g->sigma > 0.0) || !isfinite(g->sigma))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "sigma %g: must be finite and > 0",
                                 g->sigma);
    return pipit__information_as(
        n, pipit__real_type(pipit__input(n, 0)->type), 1);
}

static pipit_status_t
gmrg_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
             pipit_region_t *needed)
{
    return pipit__request_lines(n, input, asked, 0xf, needed);
}

/* The volumes stay for the next update (see pipit__volume_t). */
static void
release(gmrg_t *g)
{
    pipit__scratch_free(&g->scratch);
}

static pipit_status_t
gmrg_before(pipit_node_t *n)
{
    gmrg_t *g = (gmrg_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const unsigned dim = in->dim;
    pipit_status_t st;
    release(g);
    if (pipit_region_is_empty(&n->requested[0]))
        return PIPIT_OK;
    for (unsigned d = 0; d < dim; d++) {
        pipit__iir_coefficients(g->sigma, in->spacing[d], 0, g->normalize,
                                &g->smooth[d]);
        pipit__iir_coefficients(g->sigma, in->spacing[d], 1, g->normalize,
                                &g->deriv[d]);
    }
    st = pipit__volume_load(&g->vol[0], in, &n->input_region[0]);
    if (st == PIPIT_OK && dim == 3) {
        /* vol[2]: d/dz; vol[0] and vol[1] share the z smoothing. */
        if ((st = pipit__volume_copy(&g->vol[2], &g->vol[0])) == PIPIT_OK)
            st = pipit__iir_axis(&g->vol[2], 2, &g->deriv[2]);
        if (st == PIPIT_OK)
            st = pipit__iir_axis(&g->vol[0], 2, &g->smooth[2]);
        if (st == PIPIT_OK)
            st = pipit__iir_axis(&g->vol[2], 1, &g->smooth[1]);
    }
    if (st == PIPIT_OK)
        st = pipit__volume_copy(&g->vol[1], &g->vol[0]);
    if (st == PIPIT_OK)
        st = pipit__iir_axis(&g->vol[1], 1, &g->deriv[1]);
    if (st == PIPIT_OK)
        st = pipit__iir_axis(&g->vol[0], 1, &g->smooth[1]);
    if (st == PIPIT_OK) {
        const pipit_region_t *r = &n->requested[0];
        size_t w = r->hi[0] - r->lo[0];
        st = pipit__scratch_init(
            &g->scratch,
            pipit__iir_scratch_doubles(g->vol[0].size[0]) * sizeof(double) +
                (size_t)(dim + 1) * L * w * sizeof(float));
    }
    if (st != PIPIT_OK)
        release(g);
    return st;
}

#define MAGNITUDE(V, ATTR)                                                 \
ATTR static void                                                           \
magnitude##V(float *const *c, unsigned dim, const float *scale, size_t count, \
          float *out)                                                      \
{                                                                          \
    const float s0 = scale[0], s1 = scale[1], s2 = scale[2];               \
    const float *a = c[0], *b = c[1], *e = c[dim == 3 ? 2 : 1];            \
    if (dim == 3)                                                          \
        for (size_t i = 0; i < count; i++) {                               \
            float x = a[i] * s0, y = b[i] * s1, z = e[i] * s2;             \
            out[i] = sqrtf(x * x + y * y + z * z);                         \
        }                                                                  \
    else                                                                   \
        for (size_t i = 0; i < count; i++) {                               \
            float x = a[i] * s0, y = b[i] * s1;                            \
            out[i] = sqrtf(x * x + y * y);                                 \
        }                                                                  \
}

PIPIT__MULTIVERSION(MAGNITUDE)

static void
magnitude(float *const *c, unsigned dim, const float *scale, size_t count,
          float *out)
{
    PIPIT__PICK(magnitude)(c, dim, scale, count, out);
}

static pipit_status_t
gmrg_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const gmrg_t *g = (const gmrg_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    const unsigned dim = in->dim;
    double *s = pipit__scratch_get(&g->scratch, p->worker);
    if (s == NULL)
        return pipit__scratch_error(n, &g->scratch, p->worker);
    const size_t w = r->hi[0] - r->lo[0];
    float *comp[3], *mag;
    comp[0] = (float *)(void *)(s + pipit__iir_scratch_doubles(
                                        g->vol[0].size[0]));
    for (unsigned d = 1; d < 3; d++)
        comp[d] = comp[d - 1] + (d <= dim ? L * w : 0);
    mag = comp[0] + (size_t)dim * L * w;
    float scale[3];
    for (unsigned d = 0; d < 3; d++)
        scale[d] = (float)(1.0 / in->spacing[d]);
    const size_t len = g->vol[0].size[0];
    const size_t off = r->lo[0] - g->vol[0].region.lo[0];
    size_t ys[L], zs[L];
    unsigned count = 0;
    for (size_t z = r->lo[2]; z < r->hi[2]; z++)
        for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
            ys[count] = y, zs[count] = z, count++;
            if (count < L && !(y + 1 == r->hi[1] && z + 1 == r->hi[2]))
                continue;
            for (unsigned d = 0; d < dim; d++) {
                const float *lines[L];
                for (unsigned l = 0; l < count; l++)
                    lines[l] = pipit__volume_row(&g->vol[d], ys[l], zs[l]);
                pipit__iir_rows(lines, count, len, off, w,
                                d == 0 ? &g->deriv[0] : &g->smooth[0],
                                comp[d], w, s);
            }
            for (unsigned l = 0; l < count; l++) {
                float *rows[3] = { comp[0] + l * w, comp[1] + l * w,
                                   comp[2] + l * w };
                magnitude(rows, dim, scale, w, mag);
                pipit__row_store_f32(mag, w,
                                     pipit__at(out, r->lo[0], ys[l], zs[l],
                                               r->lo[3]),
                                     out->type);
            }
            count = 0;
        }
    return PIPIT_OK;
}

static pipit_status_t
gmrg_after(pipit_node_t *n)
{
    release((gmrg_t *)n);
    return PIPIT_OK;
}

static void
gmrg_finalize(pipit_node_t *n)
{
    gmrg_t *g = (gmrg_t *)n;
    release(g);
    for (unsigned d = 0; d < 3; d++)
        pipit__volume_free(&g->vol[d]);
}

static const pipit_setting_t gmrg_settings[] = {
    { "sigma", PIPIT_SETTING_DOUBLE, offsetof(gmrg_t, sigma), "1",
      "Gaussian sigma, physical units", 0, 1e300, NULL },
    { "normalize-across-scale", PIPIT_SETTING_BOOL,
      offsetof(gmrg_t, normalize), "false",
      "multiply the derivatives by sigma", 1, 0, NULL },
};

const pipit_node_class_t pipit__gradient_magnitude_recursive_gaussian_class = {
    .name = "gradient-magnitude-recursive-gaussian",
    .help = "gradient magnitude of the recursive Gaussian derivatives (ITK "
            "GradientMagnitudeRecursiveGaussianImageFilter)",
    .size = sizeof(gmrg_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = gmrg_settings,
    .n_settings = 2,
    .information = gmrg_information,
    .request = gmrg_request,
    .before = gmrg_before,
    .threaded = gmrg_threaded,
    .after = gmrg_after,
    .finalize = gmrg_finalize,
};

pipit_node_t *
pipit_gradient_magnitude_recursive_gaussian_new(double sigma)
{
    pipit_node_t *n =
        pipit_node_new(&pipit__gradient_magnitude_recursive_gaussian_class);
    if (n != NULL && pipit_node_set_double(n, "sigma", sigma) != PIPIT_OK) {
        pipit_node_unref(n);
        n = NULL;
    }
    return n;
}

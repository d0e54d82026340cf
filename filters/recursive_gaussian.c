/* SPDX-License-Identifier: Apache-2.0 */
/*
 * recursive-gaussian: ITK's RecursiveGaussianImageFilter, generalised to
 * every axis at once. Along each filtered axis a 4th-order recursive
 * (IIR) approximation of the Gaussian of that axis's sigma (physical
 * units) or of its first or second derivative (order 1, 2); with
 * `direction` d >= 0 only axis d is filtered, as ITK's SetDirection.
 * Derivatives are per voxel, as ITK's (divide by the spacing for
 * physical units); normalize_across_scale multiplies them by
 * sigma^order. Boundary: the border value extends to infinity.
 * Output: f32 (f64 for f64 input). It needs whole lines along the
 * filtered axes, so it streams along the others only.
 */
#include <math.h>
#include <stddef.h>

#include "smooth_impl.h"

typedef struct {
    pipit_node_t base;
    double sigma[PIPIT_MAX_DIM];
    double order[PIPIT_MAX_DIM];
    int64_t direction;
    bool normalize;
    pipit__iir_plan_t plan;
} rgauss_t;

/* Bit d set: axis d is filtered. */
static unsigned
filtered_axes(const rgauss_t *g, unsigned dim)
{
    if (g->direction >= 0)
        return 1u << g->direction;
    return (1u << dim) - 1;
}

static pipit_status_t
rgauss_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    rgauss_t *g = (rgauss_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    if (g->direction >= (int64_t)in->dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "direction %lld: the image has %u axes",
                                 (long long)g->direction, in->dim);
    unsigned axes = filtered_axes(g, in->dim);
    for (unsigned d = 0; d < in->dim; d++) {
        if (!(axes & (1u << d)))
            continue;
        double o = g->order[d];
        if (o != 0.0 && o != 1.0 && o != 2.0)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "order %g on axis %u: must be 0, 1 "
                                     "or 2",
                                     o, d);
        if ((st = pipit__check_per_axis(n, "sigma", &g->sigma[d], 1,
                                        false)) != PIPIT_OK) {
            pipit__error_prefix("axis %u", d);
            return st;
        }
    }
    return pipit__information_as(n, pipit__real_type(in->type), 1);
}

static pipit_status_t
rgauss_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
               pipit_region_t *needed)
{
    const rgauss_t *g = (const rgauss_t *)n;
    return pipit__request_lines(
        n, input, asked, filtered_axes(g, pipit__input(n, 0)->dim), needed);
}

static pipit_status_t
rgauss_before(pipit_node_t *n)
{
    rgauss_t *g = (rgauss_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    unsigned axes = filtered_axes(g, in->dim);
    pipit__iir_plan_release(&g->plan);
    for (unsigned d = 0; d < 3; d++) {
        if (d < in->dim && (axes & (1u << d)))
            pipit__iir_coefficients(g->sigma[d], in->spacing[d],
                                    (unsigned)g->order[d], g->normalize,
                                    &g->plan.axis[d]);
        else
            pipit__iir_identity(&g->plan.axis[d]);
    }
    return pipit__iir_plan_run(&g->plan, n);
}

static pipit_status_t
rgauss_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__iir_plan_piece(&((rgauss_t *)n)->plan, n, p, NULL);
}

static pipit_status_t
rgauss_after(pipit_node_t *n)
{
    pipit__iir_plan_release(&((rgauss_t *)n)->plan);
    return PIPIT_OK;
}

static void
rgauss_finalize(pipit_node_t *n)
{
    pipit__iir_plan_free(&((rgauss_t *)n)->plan);
}

static const pipit_setting_t rgauss_settings[] = {
    { "sigma", PIPIT_SETTING_VECTOR, offsetof(rgauss_t, sigma), "1",
      "Gaussian sigma per axis, physical units", 0, 1e300, NULL },
    { "order", PIPIT_SETTING_VECTOR, offsetof(rgauss_t, order), "0",
      "per axis: 0 smooth, 1 first derivative, 2 second derivative", 0, 2,
      NULL },
    { "direction", PIPIT_SETTING_INT, offsetof(rgauss_t, direction), "-1",
      "the one axis to filter (ITK SetDirection); -1: every axis", -1, 3,
      NULL },
    { "normalize-across-scale", PIPIT_SETTING_BOOL,
      offsetof(rgauss_t, normalize), "false",
      "multiply derivatives by sigma^order", 1, 0, NULL },
};

const pipit_node_class_t pipit__recursive_gaussian_class = {
    .name = "recursive-gaussian",
    .help = "recursive (IIR) Gaussian or derivative, order 0/1/2 per axis "
            "(ITK RecursiveGaussianImageFilter)",
    .size = sizeof(rgauss_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = rgauss_settings,
    .n_settings = sizeof rgauss_settings / sizeof rgauss_settings[0],
    .information = rgauss_information,
    .request = rgauss_request,
    .before = rgauss_before,
    .threaded = rgauss_threaded,
    .after = rgauss_after,
    .finalize = rgauss_finalize,
};

pipit_node_t *
pipit_recursive_gaussian_new(double sigma, int direction, unsigned order)
{
    pipit_node_t *n = pipit_node_new(&pipit__recursive_gaussian_class);
    if (n != NULL &&
        (pipit_node_set_double(n, "sigma", sigma) != PIPIT_OK ||
         pipit_node_set_int(n, "direction", direction) != PIPIT_OK ||
         pipit_node_set_int(n, "order", order) != PIPIT_OK)) {
        pipit_node_unref(n);
        n = NULL;
    }
    return n;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smoothing-recursive-gaussian: ITK's SmoothingRecursiveGaussianImageFilter:
 * the recursive Gaussian of order 0 along every axis, sigma per axis in
 * physical units (filters/separable_iir.c). Output type = input type
 * (integers rounded); whole lines are needed, so it does not stream.
 */
#include <stddef.h>

#include "smooth_impl.h"

typedef struct {
    pipit_node_t base;
    double sigma[PIPIT_MAX_DIM];
    bool normalize;
    pipit__iir_plan_t plan;
} srg_t;

static pipit_status_t
srg_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    const srg_t *g = (const srg_t *)n;
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st == PIPIT_OK)
        st = pipit__check_per_axis(n, "sigma", g->sigma,
                                   pipit__input(n, 0)->dim, false);
    return st == PIPIT_OK ? pipit__information_same(n) : st;
}

static pipit_status_t
srg_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
            pipit_region_t *needed)
{
    return pipit__request_lines(n, input, asked, 0xf, needed);
}

static pipit_status_t
srg_before(pipit_node_t *n)
{
    srg_t *g = (srg_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit__iir_plan_release(&g->plan);
    for (unsigned d = 0; d < 3; d++) {
        if (d < in->dim)
            pipit__iir_coefficients(g->sigma[d], in->spacing[d], 0,
                                    g->normalize, &g->plan.axis[d]);
        else
            pipit__iir_identity(&g->plan.axis[d]);
    }
    return pipit__iir_plan_run(&g->plan, n);
}

static pipit_status_t
srg_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__iir_plan_piece(&((srg_t *)n)->plan, n, p, NULL);
}

static pipit_status_t
srg_after(pipit_node_t *n)
{
    pipit__iir_plan_release(&((srg_t *)n)->plan);
    return PIPIT_OK;
}

static void
srg_finalize(pipit_node_t *n)
{
    pipit__iir_plan_free(&((srg_t *)n)->plan);
}

static const pipit_setting_t srg_settings[] = {
    { "sigma", PIPIT_SETTING_VECTOR, offsetof(srg_t, sigma), "1",
      "Gaussian sigma per axis, physical units", 0, 1e300, NULL },
    { "normalize-across-scale", PIPIT_SETTING_BOOL,
      offsetof(srg_t, normalize), "false",
      "ITK's flag; no effect on smoothing (order 0)", 1, 0, NULL },
};

const pipit_node_class_t pipit__smoothing_recursive_gaussian_class = {
    .name = "smoothing-recursive-gaussian",
    .help = "recursive Gaussian smoothing, sigma per axis (ITK "
            "SmoothingRecursiveGaussianImageFilter)",
    .size = sizeof(srg_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = srg_settings,
    .n_settings = sizeof srg_settings / sizeof srg_settings[0],
    .information = srg_information,
    .request = srg_request,
    .before = srg_before,
    .threaded = srg_threaded,
    .after = srg_after,
    .finalize = srg_finalize,
};

pipit_node_t *
pipit_smoothing_recursive_gaussian_new(double sigma)
{
    pipit_node_t *n =
        pipit_node_new(&pipit__smoothing_recursive_gaussian_class);
    if (n != NULL && pipit_node_set_double(n, "sigma", sigma) != PIPIT_OK) {
        pipit_node_unref(n);
        n = NULL;
    }
    return n;
}

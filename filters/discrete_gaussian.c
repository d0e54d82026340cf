/* SPDX-License-Identifier: Apache-2.0 */
/*
 * discrete-gaussian: ITK's DiscreteGaussianImageFilter. A separable
 * kernel per axis from the discrete Gaussian exp(-t) I_k(t) (Lindeberg),
 * t the variance in voxels² (the physical variance divided by spacing²
 * when use-image-spacing, ITK's default), as wide as maximum-error and
 * maximum-kernel-width allow (filters/smooth_common.c); zero-flux
 * Neumann boundary. Streams: it asks for the output region padded by
 * the kernel radius. Output type = input type (integers rounded).
 */
#include <stddef.h>

#include "smooth_impl.h"

typedef struct {
    pipit_node_t base;
    double variance[PIPIT_MAX_DIM];
    double max_error[PIPIT_MAX_DIM];
    int64_t max_width;
    bool use_spacing;
    /* From the information pass. */
    double *taps[3];
    size_t radius[3];
    pipit__fir_t fir;
} dgauss_t;

static void
free_taps(dgauss_t *g)
{
    for (unsigned d = 0; d < 3; d++) {
        pipit__free(g->taps[d]);
        g->taps[d] = NULL;
        g->radius[d] = 0;
    }
}

static pipit_status_t
dgauss_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    dgauss_t *g = (dgauss_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_status_t st;
    free_taps(g);
    if ((st = pipit__check_scalar_2d3d(n, 0)) != PIPIT_OK ||
        (st = pipit__check_per_axis(n, "variance", g->variance, in->dim,
                                    true)) != PIPIT_OK)
        return st;
    for (unsigned d = 0; d < in->dim; d++) {
        double v = g->variance[d];
        if (g->use_spacing)
            v /= in->spacing[d] * in->spacing[d];
        st = pipit__gaussian_kernel(v, g->max_error[d], (size_t)g->max_width,
                                    &g->taps[d], &g->radius[d]);
        if (st != PIPIT_OK) {
            pipit__error_prefix("%s: axis %u", n->klass->name, d);
            free_taps(g);
            return st;
        }
    }
    return pipit__information_same(n);
}

static pipit_status_t
dgauss_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
               pipit_region_t *needed)
{
    const dgauss_t *g = (const dgauss_t *)n;
    return pipit__request_padded(n, input, asked, g->radius, needed);
}

static pipit_status_t
dgauss_before(pipit_node_t *n)
{
    dgauss_t *g = (dgauss_t *)n;
    pipit__fir_release(&g->fir); /* left over from a failed run */
    return pipit__fir_prepare(&g->fir, n, g->taps, g->radius, 1.0);
}

static pipit_status_t
dgauss_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const dgauss_t *g = (const dgauss_t *)n;
    return pipit__fir_piece(&g->fir, n, p);
}

static pipit_status_t
dgauss_after(pipit_node_t *n)
{
    pipit__fir_release(&((dgauss_t *)n)->fir);
    return PIPIT_OK;
}

static void
dgauss_finalize(pipit_node_t *n)
{
    dgauss_t *g = (dgauss_t *)n;
    pipit__fir_release(&g->fir);
    free_taps(g);
}

static const pipit_setting_t dgauss_settings[] = {
    { "variance", PIPIT_SETTING_VECTOR, offsetof(dgauss_t, variance), "1",
      "Gaussian variance per axis (physical units² with use-image-spacing, "
      "else voxels²)",
      0, 1e300, NULL },
    { "maximum-error", PIPIT_SETTING_VECTOR, offsetof(dgauss_t, max_error),
      "0.01", "kernel mass left out per axis, in (0, 1)", 1e-300, 0.999999,
      NULL },
    { "maximum-kernel-width", PIPIT_SETTING_INT,
      offsetof(dgauss_t, max_width), "32",
      "largest kernel radius in voxels (ITK counts the half kernel)", 1,
      4096, NULL },
    { "use-image-spacing", PIPIT_SETTING_BOOL,
      offsetof(dgauss_t, use_spacing), "true",
      "variance in physical units (true) or voxels (false)", 1, 0, NULL },
};

const pipit_node_class_t pipit__discrete_gaussian_class = {
    .name = "discrete-gaussian",
    .help = "separable discrete Gaussian smoothing (ITK "
            "DiscreteGaussianImageFilter)",
    .size = sizeof(dgauss_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = dgauss_settings,
    .n_settings = sizeof dgauss_settings / sizeof dgauss_settings[0],
    .information = dgauss_information,
    .request = dgauss_request,
    .before = dgauss_before,
    .threaded = dgauss_threaded,
    .after = dgauss_after,
    .finalize = dgauss_finalize,
};

pipit_node_t *
pipit_discrete_gaussian_new(double variance)
{
    pipit_node_t *n = pipit_node_new(&pipit__discrete_gaussian_class);
    if (n != NULL &&
        pipit_node_set_double(n, "variance", variance) != PIPIT_OK) {
        pipit_node_unref(n);
        n = NULL;
    }
    return n;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mean: ITK's MeanImageFilter: the average over the box of radius r[d]
 * voxels along each axis, indices outside the image clamped to it
 * (zero-flux Neumann, as ITK's neighbourhood iterators). The clamped box
 * sum is separable, so it runs on the FIR engine with kernels of ones
 * and one division per voxel; sums are exact for 8- and 16-bit input.
 * Output type = input type; integers are rounded to nearest (ITK
 * truncates). Streams: it asks for the output region padded by r.
 */
#include <math.h>
#include <stddef.h>

#include "smooth_impl.h"

typedef struct {
    pipit_node_t base;
    double radius[PIPIT_MAX_DIM];
    size_t r[3];
    double *ones[3];
    pipit__fir_t fir;
} mean_t;

static void
free_ones(mean_t *m)
{
    for (unsigned d = 0; d < 3; d++) {
        pipit__free(m->ones[d]);
        m->ones[d] = NULL;
        m->r[d] = 0;
    }
}

static pipit_status_t
mean_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    mean_t *m = (mean_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    free_ones(m);
    for (unsigned d = 0; d < in->dim; d++) {
        double r = m->radius[d];
        if (r != floor(r) || r < 0 || r > 1e6)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "radius %g on axis %u: must be a whole "
                                     "number of voxels",
                                     r, d);
        m->r[d] = (size_t)r;
        m->ones[d] = pipit__malloc((2 * m->r[d] + 1) * sizeof(double));
        if (m->ones[d] == NULL) {
            free_ones(m);
            return PIPIT_ENOMEM;
        }
        for (size_t j = 0; j < 2 * m->r[d] + 1; j++)
            m->ones[d][j] = 1.0;
    }
    return pipit__information_same(n);
}

static pipit_status_t
mean_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
             pipit_region_t *needed)
{
    return pipit__request_padded(n, input, asked, ((mean_t *)n)->r, needed);
}

static pipit_status_t
mean_before(pipit_node_t *n)
{
    mean_t *m = (mean_t *)n;
    double count = 1.0;
    for (unsigned d = 0; d < 3; d++)
        count *= (double)(2 * m->r[d] + 1);
    pipit__fir_release(&m->fir);
    return pipit__fir_prepare(&m->fir, n, m->ones, m->r, count);
}

static pipit_status_t
mean_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__fir_piece(&((mean_t *)n)->fir, n, p);
}

static pipit_status_t
mean_after(pipit_node_t *n)
{
    pipit__fir_release(&((mean_t *)n)->fir);
    return PIPIT_OK;
}

static void
mean_finalize(pipit_node_t *n)
{
    pipit__fir_release(&((mean_t *)n)->fir);
    free_ones((mean_t *)n);
}

static const pipit_setting_t mean_settings[] = {
    { "radius", PIPIT_SETTING_VECTOR, offsetof(mean_t, radius), "1",
      "box half-width per axis, whole voxels (size 2r+1)", 0, 1e6, NULL },
};

const pipit_node_class_t pipit__mean_class = {
    .name = "mean",
    .help = "mean over a box of radius r per axis (ITK MeanImageFilter)",
    .size = sizeof(mean_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = mean_settings,
    .n_settings = 1,
    .information = mean_information,
    .request = mean_request,
    .before = mean_before,
    .threaded = mean_threaded,
    .after = mean_after,
    .finalize = mean_finalize,
};

pipit_node_t *
pipit_mean_new(unsigned radius)
{
    pipit_node_t *n = pipit_node_new(&pipit__mean_class);
    if (n != NULL && pipit_node_set_int(n, "radius", radius) != PIPIT_OK) {
        pipit_node_unref(n);
        n = NULL;
    }
    return n;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shrink: keeps every f-th pixel along each axis (no averaging), with
 * ITK's ShrinkImageFilter geometry: the output has floor(n / f) pixels
 * (at least 1), spacing times f, and its physical centre on the input's:
 * the origin is the point of continuous input index
 * ((n - 1) - f (m - 1)) / 2, and output pixel i copies input pixel
 * i f + o with o = floor((n - f (m - 1)) / 2), that index rounded half
 * up as ITK rounds it. Streams: a region asks for the pixels it samples.
 */
#include <string.h>

#include "grid_impl.h"

typedef struct {
    pipit_node_t base;
    double factors[PIPIT_MAX_DIM];
    size_t f[PIPIT_MAX_DIM], off[PIPIT_MAX_DIM];
} shrink_t;

static pipit_status_t
shrink_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    shrink_t *s = (shrink_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    unsigned dim = in->dim;
    pipit_status_t st = pipit__axis_counts(n, "factors", s->factors, dim, 1,
                                           (size_t)1 << 40, s->f);
    if (st != PIPIT_OK)
        return st;
    size_t size[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM], ci[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < dim; d++) {
        size_t m = in->size[d] / s->f[d];
        size[d] = m > 0 ? m : 1;
        s->off[d] = (in->size[d] - s->f[d] * (size[d] - 1)) / 2;
        spacing[d] = in->spacing[d] * (double)s->f[d];
        ci[d] = ((double)(in->size[d] - 1) -
                 (double)s->f[d] * (double)(size[d] - 1)) / 2.0;
    }
    for (unsigned d = dim; d < PIPIT_MAX_DIM; d++)
        s->f[d] = 1, s->off[d] = 0;
    return pipit__grid_output(n, size, spacing, ci);
}

static pipit_status_t
shrink_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
               pipit_region_t *needed)
{
    const shrink_t *s = (const shrink_t *)n;
    (void)input;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        needed->lo[d] = asked->lo[d] * s->f[d] + s->off[d];
        needed->hi[d] = (asked->hi[d] - 1) * s->f[d] + s->off[d] + 1;
    }
    return PIPIT_OK;
}

static pipit_status_t
shrink_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const shrink_t *s = (const shrink_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t w = r->hi[0] - r->lo[0];
    ptrdiff_t step = in->stride[0] * (ptrdiff_t)s->f[0];
    PIPIT_FOR_EACH_ROW(out, r, row, y, z, t) {
        const char *src =
            pipit__at(in, r->lo[0] * s->f[0] + s->off[0],
                      y * s->f[1] + s->off[1], z * s->f[2] + s->off[2],
                      t * s->f[3] + s->off[3]);
        pipit__gather(pipit__px(out, row, r->lo[0]), src, step, w,
                      out->pixel_bytes);
    }
    return PIPIT_OK;
}

static const pipit_setting_t shrink_settings[] = {
    { "factors", PIPIT_SETTING_VECTOR, offsetof(shrink_t, factors), "2",
      "keep every f-th pixel, per axis (whole numbers >= 1)", 1, 1e12,
      NULL },
};

const pipit_node_class_t pipit__shrink_class = {
    .name = "shrink",
    .help = "subsamples by whole factors per axis, centred as ITK",
    .size = sizeof(shrink_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = shrink_settings,
    .n_settings = 1,
    .information = shrink_information,
    .request = shrink_request,
    .threaded = shrink_threaded,
};

pipit_node_t *
pipit_shrink_new(unsigned dim, const size_t *factors)
{
    PIPIT_CHECK_ARG_NULL(dim >= 1 && dim <= PIPIT_MAX_DIM && factors != NULL);
    pipit_node_t *n = pipit_node_new(&pipit__shrink_class);
    if (n != NULL) {
        shrink_t *s = (shrink_t *)n;
        double v[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            v[d] = (double)factors[d];
        pipit__axes_store(s->factors, v, dim);
    }
    return n;
}

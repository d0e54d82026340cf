/* SPDX-License-Identifier: Apache-2.0 */
/*
 * extract-region: the box [index, index + size) of the input (ITK's
 * RegionOfInterestImageFilter, or ExtractImageFilter without collapsing
 * an axis). A size of 0 on an axis means "to the end of the image". The
 * output starts at index 0 and its origin moves to the physical point
 * of `index`, so every pixel keeps its physical position. Only the box
 * is asked of the input, so extraction streams.
 */
#include <string.h>

#include "grid_impl.h"

typedef struct {
    pipit_node_t base;
    double index[PIPIT_MAX_DIM], size[PIPIT_MAX_DIM];
    size_t at[PIPIT_MAX_DIM]; /* the box's first pixel, from information */
} extract_t;

static pipit_status_t
extract_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    extract_t *e = (extract_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    size_t size[PIPIT_MAX_DIM];
    pipit_status_t st;
    if ((st = pipit__axis_counts(n, "index", e->index, in->dim, 0,
                                 SIZE_MAX / 2, e->at)) != PIPIT_OK ||
        (st = pipit__axis_counts(n, "size", e->size, in->dim, 0,
                                 SIZE_MAX / 2, size)) != PIPIT_OK)
        return st;
    double ci[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < in->dim; d++) {
        if (e->at[d] >= in->size[d])
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "index %zu on axis %u is outside the "
                                     "image (size %zu): the region is empty",
                                     e->at[d], d, in->size[d]);
        if (size[d] == 0)
            size[d] = in->size[d] - e->at[d];
        if (size[d] > in->size[d] - e->at[d])
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "index %zu + size %zu on axis %u pass "
                                     "the image's end (size %zu)",
                                     e->at[d], size[d], d, in->size[d]);
        ci[d] = (double)e->at[d];
    }
    for (unsigned d = in->dim; d < PIPIT_MAX_DIM; d++)
        e->at[d] = 0;
    return pipit__grid_output(n, size, NULL, ci);
}

static pipit_status_t
extract_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
                pipit_region_t *needed)
{
    const extract_t *e = (const extract_t *)n;
    (void)input;
    *needed = *asked;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        needed->lo[d] += e->at[d];
        needed->hi[d] += e->at[d];
    }
    return PIPIT_OK;
}

static pipit_status_t
extract_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const extract_t *e = (const extract_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t bytes = (r->hi[0] - r->lo[0]) * out->pixel_bytes;
    PIPIT_FOR_EACH_ROW(out, r, row, y, z, t) {
        memcpy(pipit__px(out, row, r->lo[0]),
               pipit__at(in, r->lo[0] + e->at[0], y + e->at[1],
                         z + e->at[2], t + e->at[3]),
               bytes);
    }
    return PIPIT_OK;
}

static const pipit_setting_t extract_settings[] = {
    { "index", PIPIT_SETTING_VECTOR, offsetof(extract_t, index), "0",
      "first pixel of the region, per axis", 0, 1e18, NULL },
    { "size", PIPIT_SETTING_VECTOR, offsetof(extract_t, size), "0",
      "pixels per axis (0: to the end of the image)", 0, 1e18, NULL },
};

const pipit_node_class_t pipit__extract_region_class = {
    .name = "extract-region",
    .help = "the box [index, index + size) of the input, at its physical "
            "place",
    .size = sizeof(extract_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = extract_settings,
    .n_settings = sizeof extract_settings / sizeof extract_settings[0],
    .information = extract_information,
    .request = extract_request,
    .threaded = extract_threaded,
};

pipit_node_t *
pipit_extract_region_new(unsigned dim, const size_t *index,
                         const size_t *size)
{
    PIPIT_CHECK_ARG_NULL(dim >= 1 && dim <= PIPIT_MAX_DIM && index != NULL &&
                         size != NULL);
    pipit_node_t *n = pipit_node_new(&pipit__extract_region_class);
    if (n != NULL) {
        extract_t *e = (extract_t *)n;
        double at[PIPIT_MAX_DIM], sz[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            at[d] = (double)index[d], sz[d] = (double)size[d];
        pipit__axes_store(e->index, at, dim);
        pipit__axes_store(e->size, sz, dim);
    }
    return n;
}

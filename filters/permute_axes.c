/* SPDX-License-Identifier: Apache-2.0 */
/*
 * permute-axes: output axis j is input axis order[j], as ITK's
 * PermuteAxesImageFilter: size and spacing follow their axes, direction
 * column j is the input's column order[j] and the origin stays, so
 * every pixel keeps its physical position. "order" lists a permutation
 * of 0..dim-1 (entries past the image's dimension are ignored).
 */
#include <string.h>

#include "grid_impl.h"

typedef struct {
    pipit_node_t base;
    double order[PIPIT_MAX_DIM];
    size_t axis[PIPIT_MAX_DIM]; /* the checked order, identity past dim */
} permute_t;

static pipit_status_t
permute_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    permute_t *p = (permute_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    unsigned dim = in->dim;
    pipit_status_t st =
        pipit__axis_counts(n, "order", p->order, dim, 0, dim - 1, p->axis);
    if (st != PIPIT_OK)
        return st;
    bool seen[PIPIT_MAX_DIM] = { false };
    for (unsigned j = 0; j < dim; j++) {
        if (seen[p->axis[j]])
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "order: axis %zu appears twice; give "
                                     "a permutation of 0..%u",
                                     p->axis[j], dim - 1);
        seen[p->axis[j]] = true;
    }
    for (unsigned j = dim; j < PIPIT_MAX_DIM; j++)
        p->axis[j] = j;
    size_t size[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM], dir[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    for (unsigned j = 0; j < dim; j++) {
        size[j] = in->size[p->axis[j]];
        spacing[j] = in->spacing[p->axis[j]];
        for (unsigned i = 0; i < dim; i++)
            dir[i * dim + j] = in->direction[i * dim + p->axis[j]];
    }
    if ((st = pipit__image_set_shape(out, dim, size, in->type,
                                     in->components)) != PIPIT_OK ||
        (st = pipit_image_copy_geometry(out, in)) != PIPIT_OK ||
        (st = pipit_image_set_spacing(out, spacing)) != PIPIT_OK)
        return st;
    return pipit_image_set_direction(out, dir);
}

static pipit_status_t
permute_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
                pipit_region_t *needed)
{
    const permute_t *p = (const permute_t *)n;
    (void)input;
    for (unsigned j = 0; j < PIPIT_MAX_DIM; j++) {
        needed->lo[p->axis[j]] = asked->lo[j];
        needed->hi[p->axis[j]] = asked->hi[j];
    }
    return PIPIT_OK;
}

static pipit_status_t
permute_threaded(pipit_node_t *n, const pipit_piece_t *pc)
{
    const permute_t *p = (const permute_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &pc->region;
    size_t pb = out->pixel_bytes, w = r->hi[0] - r->lo[0];
    ptrdiff_t step = in->stride[p->axis[0]];
    PIPIT_FOR_EACH_ROW(out, r, row, y, z, t) {
        size_t o[PIPIT_MAX_DIM] = { r->lo[0], y, z, t }, i[PIPIT_MAX_DIM];
        for (unsigned j = 0; j < PIPIT_MAX_DIM; j++)
            i[p->axis[j]] = o[j];
        const char *src = pipit__at(in, i[0], i[1], i[2], i[3]);
        void *dst = pipit__px(out, row, r->lo[0]);
        if (p->axis[0] == 0)
            memcpy(dst, src, w * pb);
        else
            pipit__gather(dst, src, step, w, pb);
    }
    return PIPIT_OK;
}

static const pipit_setting_t permute_settings[] = {
    { "order", PIPIT_SETTING_VECTOR, offsetof(permute_t, order), "0,1,2,3",
      "input axis of each output axis (e.g. 1,0,2 swaps x and y)", 0, 3,
      NULL },
};

const pipit_node_class_t pipit__permute_axes_class = {
    .name = "permute-axes",
    .help = "reorders the axes, keeping physical positions",
    .size = sizeof(permute_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = permute_settings,
    .n_settings = 1,
    .information = permute_information,
    .request = permute_request,
    .threaded = permute_threaded,
};

pipit_node_t *
pipit_permute_axes_new(unsigned dim, const unsigned *order)
{
    PIPIT_CHECK_ARG_NULL(dim >= 1 && dim <= PIPIT_MAX_DIM && order != NULL);
    pipit_node_t *n = pipit_node_new(&pipit__permute_axes_class);
    if (n != NULL) {
        permute_t *p = (permute_t *)n;
        double v[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            v[d] = (double)order[d];
        pipit__axes_store(p->order, v, dim);
    }
    return n;
}

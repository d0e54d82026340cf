/* SPDX-License-Identifier: Apache-2.0 */
/*
 * checkerboard: alternates blocks of input 1 and input 2 (same size,
 * pixel type and components), to compare two images (after a
 * registration, say), as ITK's CheckerBoardImageFilter: with
 * `pattern` p blocks per axis a block is floor(n / p) pixels wide
 * (at least 1; the remainder makes a last, narrower block), and pixel i
 * comes from input 2 when the sum of i[d] / width[d] over the axes is
 * odd, from input 1 otherwise. Geometry is input 1's.
 */
#include <string.h>

#include "grid_impl.h"

typedef struct {
    pipit_node_t base;
    double pattern[PIPIT_MAX_DIM];
    size_t width[PIPIT_MAX_DIM];
} checkerboard_t;

static pipit_status_t
checkerboard_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    checkerboard_t *c = (checkerboard_t *)n;
    const pipit_image_t *a = pipit__input(n, 0), *b = pipit__input(n, 1);
    size_t blocks[PIPIT_MAX_DIM];
    pipit_status_t st = pipit__check_same_size(n, 0, 1);
    if (st != PIPIT_OK)
        return st;
    if (a->type != b->type || a->components != b->components)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "input 0 is %s with %u components but "
                                 "input 1 is %s with %u: they must match",
                                 pipit_pixel_type_name(a->type),
                                 a->components, pipit_pixel_type_name(b->type),
                                 b->components);
    if ((st = pipit__axis_counts(n, "pattern", c->pattern, a->dim, 1,
                                 (size_t)1 << 40, blocks)) != PIPIT_OK)
        return st;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        size_t w = d < a->dim ? a->size[d] / blocks[d] : 1;
        c->width[d] = w > 0 ? w : 1;
    }
    return pipit__information_same(n);
}

static pipit_status_t
checkerboard_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const checkerboard_t *c = (const checkerboard_t *)n;
    const pipit_image_t *a = pipit__input(n, 0), *b = pipit__input(n, 1);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t pb = out->pixel_bytes, w0 = c->width[0];
    PIPIT_FOR_EACH_ROW(out, r, row, y, z, t) {
        size_t parity = y / c->width[1] + z / c->width[2] + t / c->width[3];
        for (size_t x = r->lo[0]; x < r->hi[0];) {
            size_t block = x / w0;
            size_t end = (block + 1) * w0;
            if (end > r->hi[0])
                end = r->hi[0];
            const pipit_image_t *src = (block + parity) & 1 ? b : a;
            memcpy(pipit__px(out, row, x), pipit__at(src, x, y, z, t),
                   (end - x) * pb);
            x = end;
        }
    }
    return PIPIT_OK;
}

static const pipit_setting_t checkerboard_settings[] = {
    { "pattern", PIPIT_SETTING_VECTOR, offsetof(checkerboard_t, pattern), "4",
      "blocks per axis", 1, 1e12, NULL },
};

const pipit_node_class_t pipit__checkerboard_class = {
    .name = "checkerboard",
    .help = "alternating blocks of two images, to compare them",
    .size = sizeof(checkerboard_t),
    .n_inputs = 2, .n_outputs = 1,
    .settings = checkerboard_settings,
    .n_settings = 1,
    .information = checkerboard_information,
    .threaded = checkerboard_threaded,
};

pipit_node_t *
pipit_checkerboard_new(unsigned dim, const size_t *pattern)
{
    PIPIT_CHECK_ARG_NULL(dim >= 1 && dim <= PIPIT_MAX_DIM && pattern != NULL);
    pipit_node_t *n = pipit_node_new(&pipit__checkerboard_class);
    if (n != NULL) {
        checkerboard_t *c = (checkerboard_t *)n;
        double v[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            v[d] = (double)pattern[d];
        pipit__axes_store(c->pattern, v, dim);
    }
    return n;
}

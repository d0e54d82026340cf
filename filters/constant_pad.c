/* SPDX-License-Identifier: Apache-2.0 */
/*
 * constant-pad: the input grown by `lower` and `upper` pixels per axis,
 * the new pixels set to `value` (converted to the pixel type, every
 * component), as ITK's ConstantPadImageFilter. The output's origin moves
 * to the physical point of index -lower (ITK keeps the origin and gives
 * the region a negative start index instead), so the input's pixels keep
 * their physical positions. Only the part of the input under the asked
 * region is asked for, so padding streams.
 */
#include <math.h>
#include <string.h>

#include "grid_impl.h"
#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    double lower[PIPIT_MAX_DIM], upper[PIPIT_MAX_DIM], value;
    size_t lo[PIPIT_MAX_DIM];
    /* One output pixel of `value`, from before (components <= 8 kept in
     * place; more on the heap). */
    unsigned char fill_small[64];
    unsigned char *fill;
} constant_pad_t;

static pipit_status_t
constant_pad_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    constant_pad_t *c = (constant_pad_t *)n;
    return pipit__pad_information(n, c->lower, c->upper, c->lo);
}

static pipit_status_t
constant_pad_request(pipit_node_t *n, unsigned input,
                     const pipit_region_t *asked, pipit_region_t *needed)
{
    const constant_pad_t *c = (const constant_pad_t *)n;
    const pipit_image_t *in = pipit__input(n, input);
    /* asked shifted into input indices, clipped to the input. When the
     * asked region lies wholly in the padding that is empty: ask for one
     * pixel instead, as upstream nodes need not handle empty requests. */
    pipit_region_t r = pipit_image_largest_region(in);
    for (unsigned d = 0; d < in->dim; d++) {
        size_t a = asked->lo[d] > c->lo[d] ? asked->lo[d] - c->lo[d] : 0;
        size_t b = asked->hi[d] > c->lo[d] ? asked->hi[d] - c->lo[d] : 0;
        r.lo[d] = a < in->size[d] ? a : in->size[d];
        r.hi[d] = b < in->size[d] ? b : in->size[d];
        if (r.hi[d] < r.lo[d])
            r.hi[d] = r.lo[d];
    }
    if (pipit_region_is_empty(&r)) {
        static const size_t zero[PIPIT_MAX_DIM], one[PIPIT_MAX_DIM] = {
            1, 1, 1, 1
        };
        r = pipit_region_make(in->dim, zero, one);
    }
    *needed = r;
    return PIPIT_OK;
}

static void
constant_pad_clear(constant_pad_t *c)
{
    if (c->fill != c->fill_small)
        pipit__free(c->fill);
    c->fill = NULL;
}

static pipit_status_t
constant_pad_before(pipit_node_t *n)
{
    constant_pad_t *c = (constant_pad_t *)n;
    const pipit_image_t *out = pipit__output(n, 0);
    constant_pad_clear(c);
    c->fill = out->pixel_bytes <= sizeof c->fill_small
                  ? c->fill_small
                  : pipit__malloc(out->pixel_bytes);
    if (c->fill == NULL)
        return PIPIT_ENOMEM;
    pipit__value_t v = pipit__value_from(c->value, out->type);
    size_t cs = pipit_pixel_size(out->type);
    for (unsigned k = 0; k < out->components; k++)
        memcpy(c->fill + k * cs, &v, cs);
    return PIPIT_OK;
}

static pipit_status_t
constant_pad_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const constant_pad_t *c = (const constant_pad_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t pb = out->pixel_bytes;
    /* Output x range [x0, x1) covering the input: [lo0, lo0 + size0). */
    size_t x0 = c->lo[0], x1 = c->lo[0] + in->size[0];
    PIPIT_FOR_EACH_ROW(out, r, row, y, z, t) {
        size_t idx[3] = { y, z, t };
        bool inside = true;
        for (unsigned d = 1; d < PIPIT_MAX_DIM; d++)
            inside = inside && idx[d - 1] >= c->lo[d] &&
                     idx[d - 1] - c->lo[d] < in->size[d];
        size_t a = r->lo[0], b = r->hi[0];
        if (!inside || b <= x0 || a >= x1) {
            pipit__fill(pipit__px(out, row, a), c->fill, b - a, pb);
            continue;
        }
        size_t ia = a > x0 ? a : x0, ib = b < x1 ? b : x1;
        pipit__fill(pipit__px(out, row, a), c->fill, ia - a, pb);
        memcpy(pipit__px(out, row, ia),
               pipit__at(in, ia - x0, y - c->lo[1], z - c->lo[2],
                         t - c->lo[3]),
               (ib - ia) * pb);
        pipit__fill(pipit__px(out, row, ib), c->fill, b - ib, pb);
    }
    return PIPIT_OK;
}

static void
constant_pad_finalize(pipit_node_t *n)
{
    constant_pad_clear((constant_pad_t *)n);
}

static const pipit_setting_t constant_pad_settings[] = {
    { "lower", PIPIT_SETTING_VECTOR, offsetof(constant_pad_t, lower), "0",
      "pixels added before the first, per axis", 0, 1e12, NULL },
    { "upper", PIPIT_SETTING_VECTOR, offsetof(constant_pad_t, upper), "0",
      "pixels added after the last, per axis", 0, 1e12, NULL },
    { "value", PIPIT_SETTING_DOUBLE, offsetof(constant_pad_t, value), "0",
      "value of the added pixels", 1, 0, NULL },
};

const pipit_node_class_t pipit__constant_pad_class = {
    .name = "constant-pad",
    .help = "grows the image by lower/upper pixels per axis, set to value",
    .size = sizeof(constant_pad_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = constant_pad_settings,
    .n_settings = sizeof constant_pad_settings /
                  sizeof constant_pad_settings[0],
    .information = constant_pad_information,
    .request = constant_pad_request,
    .before = constant_pad_before,
    .threaded = constant_pad_threaded,
    .finalize = constant_pad_finalize,
};

pipit_node_t *
pipit_constant_pad_new(unsigned dim, const size_t *lower, const size_t *upper,
                       double value)
{
    PIPIT_CHECK_ARG_NULL(dim >= 1 && dim <= PIPIT_MAX_DIM && lower != NULL &&
                         upper != NULL && isfinite(value));
    pipit_node_t *n = pipit_node_new(&pipit__constant_pad_class);
    if (n != NULL) {
        constant_pad_t *c = (constant_pad_t *)n;
        double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            lo[d] = (double)lower[d], hi[d] = (double)upper[d];
        pipit__axes_store(c->lower, lo, dim);
        pipit__axes_store(c->upper, hi, dim);
        c->value = value;
    }
    return n;
}

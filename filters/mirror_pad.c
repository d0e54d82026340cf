/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mirror-pad: the input grown by `lower` and `upper` pixels per axis,
 * the new pixels mirrored from the input with the edge pixel repeated,
 * as ITK's MirrorPadImageFilter: along an axis of n pixels index -1
 * takes pixel 0, -2 pixel 1, ... and index n takes pixel n-1; pads wider
 * than the image continue the pattern (period 2n). The output's origin
 * moves to the physical point of index -lower, so the input's pixels
 * keep their physical positions.
 */
#include <string.h>

#include "grid_impl.h"

typedef struct {
    pipit_node_t base;
    double lower[PIPIT_MAX_DIM], upper[PIPIT_MAX_DIM];
    size_t lo[PIPIT_MAX_DIM];
} mirror_pad_t;

static pipit_status_t
mirror_pad_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    mirror_pad_t *m = (mirror_pad_t *)n;
    return pipit__pad_information(n, m->lower, m->upper, m->lo);
}

/* Input index of output index o on an axis of n input pixels. */
static inline size_t
mirror(size_t o, size_t lo, size_t n)
{
    size_t period = 2 * n;
    /* o - lo, taken modulo 2n without going negative. */
    size_t k = (o + period - lo % period) % period;
    return k < n ? k : period - 1 - k;
}

static pipit_status_t
mirror_pad_request(pipit_node_t *n, unsigned input,
                   const pipit_region_t *asked, pipit_region_t *needed)
{
    const mirror_pad_t *m = (const mirror_pad_t *)n;
    const pipit_image_t *in = pipit__input(n, input);
    *needed = pipit_image_largest_region(in);
    /* An axis whose asked part falls inside the input needs that part
     * only; one reaching into the padding needs the whole axis. */
    for (unsigned d = 0; d < in->dim; d++)
        if (asked->lo[d] >= m->lo[d] &&
            asked->hi[d] <= m->lo[d] + in->size[d]) {
            needed->lo[d] = asked->lo[d] - m->lo[d];
            needed->hi[d] = asked->hi[d] - m->lo[d];
        }
    return PIPIT_OK;
}

/* Fixed-size memcpy compiles to one move, whatever the alignment of a
 * wrapped caller buffer. */
#define MIRROR_ROW(T)                                                      \
    do {                                                                   \
        char *d = dst;                                                     \
        for (size_t x = a; x < b; x++)                                     \
            memcpy(d + (x - a) * sizeof(T),                                \
                   src + mirror(x, lo, w) * sizeof(T), sizeof(T));         \
    } while (0)

/* Output pixels [a, b) of a row from input row src of w pixels. */
static void
mirror_row(void *dst, const char *src, size_t a, size_t b, size_t lo,
           size_t w, size_t pb)
{
    switch (pb) {
    case 1: MIRROR_ROW(uint8_t); break;
    case 2: MIRROR_ROW(uint16_t); break;
    case 4: MIRROR_ROW(uint32_t); break;
    case 8: MIRROR_ROW(uint64_t); break;
    default:
        for (size_t x = a; x < b; x++)
            memcpy((char *)dst + (x - a) * pb, src + mirror(x, lo, w) * pb,
                   pb);
        break;
    }
}
#undef MIRROR_ROW

static pipit_status_t
mirror_pad_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const mirror_pad_t *m = (const mirror_pad_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t pb = out->pixel_bytes, w = in->size[0];
    size_t x0 = m->lo[0], x1 = m->lo[0] + w;
    PIPIT_FOR_EACH_ROW(out, r, row, y, z, t) {
        const char *src = pipit__at(in, 0, mirror(y, m->lo[1], in->size[1]),
                                    mirror(z, m->lo[2], in->size[2]),
                                    mirror(t, m->lo[3], in->size[3]));
        size_t a = r->lo[0], b = r->hi[0];
        size_t ia = a > x0 ? a : x0, ib = b < x1 ? b : x1;
        if (ia >= ib) {
            mirror_row(pipit__px(out, row, a), src, a, b, m->lo[0], w, pb);
            continue;
        }
        mirror_row(pipit__px(out, row, a), src, a, ia, m->lo[0], w, pb);
        memcpy(pipit__px(out, row, ia), src + (ia - x0) * pb, (ib - ia) * pb);
        mirror_row(pipit__px(out, row, ib), src, ib, b, m->lo[0], w, pb);
    }
    return PIPIT_OK;
}

static const pipit_setting_t mirror_pad_settings[] = {
    { "lower", PIPIT_SETTING_VECTOR, offsetof(mirror_pad_t, lower), "0",
      "pixels added before the first, per axis", 0, 1e12, NULL },
    { "upper", PIPIT_SETTING_VECTOR, offsetof(mirror_pad_t, upper), "0",
      "pixels added after the last, per axis", 0, 1e12, NULL },
};

const pipit_node_class_t pipit__mirror_pad_class = {
    .name = "mirror-pad",
    .help = "grows the image by lower/upper pixels per axis, mirrored from "
            "the edge",
    .size = sizeof(mirror_pad_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = mirror_pad_settings,
    .n_settings = sizeof mirror_pad_settings / sizeof mirror_pad_settings[0],
    .information = mirror_pad_information,
    .request = mirror_pad_request,
    .threaded = mirror_pad_threaded,
};

pipit_node_t *
pipit_mirror_pad_new(unsigned dim, const size_t *lower, const size_t *upper)
{
    PIPIT_CHECK_ARG_NULL(dim >= 1 && dim <= PIPIT_MAX_DIM && lower != NULL &&
                         upper != NULL);
    pipit_node_t *n = pipit_node_new(&pipit__mirror_pad_class);
    if (n != NULL) {
        mirror_pad_t *m = (mirror_pad_t *)n;
        double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            lo[d] = (double)lower[d], hi[d] = (double)upper[d];
        pipit__axes_store(m->lower, lo, dim);
        pipit__axes_store(m->upper, hi, dim);
    }
    return n;
}

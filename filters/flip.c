/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flip: reverses the pixel order along the axes whose "axes" entry is 1,
 * as ITK's FlipImageFilter with FlipAboutOrigin off: the output's origin
 * is the physical point of the input's last pixel on a flipped axis and
 * that axis's direction column is negated, so every pixel keeps its
 * physical position (the image looks the same in world space; only the
 * index order changes). Streams: a region asks for its mirror image.
 */
#include <string.h>

#include "grid_impl.h"

typedef struct {
    pipit_node_t base;
    double axes[PIPIT_MAX_DIM];
    size_t flip[PIPIT_MAX_DIM]; /* 1 on flipped axes, from information */
} flip_t;

static pipit_status_t
flip_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    flip_t *f = (flip_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    pipit_status_t st =
        pipit__axis_counts(n, "axes", f->axes, in->dim, 0, 1, f->flip);
    if (st != PIPIT_OK)
        return st;
    for (unsigned d = in->dim; d < PIPIT_MAX_DIM; d++)
        f->flip[d] = 0;
    double ci[PIPIT_MAX_DIM], dir[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    unsigned dim = in->dim;
    for (unsigned d = 0; d < dim; d++)
        ci[d] = f->flip[d] ? (double)(in->size[d] - 1) : 0.0;
    for (unsigned r = 0; r < dim; r++)
        for (unsigned c = 0; c < dim; c++)
            dir[r * dim + c] =
                f->flip[c] ? -in->direction[r * dim + c]
                           : in->direction[r * dim + c];
    if ((st = pipit__information_same(n)) != PIPIT_OK ||
        (st = pipit_image_set_direction(out, dir)) != PIPIT_OK)
        return st;
    return pipit__origin_at(in, ci, out);
}

static pipit_status_t
flip_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
             pipit_region_t *needed)
{
    const flip_t *f = (const flip_t *)n;
    const pipit_image_t *in = pipit__input(n, input);
    *needed = *asked;
    for (unsigned d = 0; d < in->dim; d++)
        if (f->flip[d]) {
            needed->lo[d] = in->size[d] - asked->hi[d];
            needed->hi[d] = in->size[d] - asked->lo[d];
        }
    return PIPIT_OK;
}

/* Typed elements (the pixels are laid out at multiples of their size
 * from an aligned buffer), so the loop vectorises with a shuffle. */
#define REVERSE(T)                                                         \
    do {                                                                   \
        T *d = dst;                                                        \
        const T *s = src;                                                  \
        for (size_t i = 0; i < count; i++)                                 \
            d[i] = s[count - 1 - i];                                       \
    } while (0)

/* count pixels of pb bytes, the last of src first. */
static void
reverse(void *dst, const void *src, size_t count, size_t pb)
{
    switch (pb) {
    case 1: REVERSE(uint8_t); break;
    case 2: REVERSE(uint16_t); break;
    case 4: REVERSE(uint32_t); break;
    case 8: REVERSE(uint64_t); break;
    default:
        for (size_t i = 0; i < count; i++)
            memcpy((char *)dst + i * pb,
                   (const char *)src + (count - 1 - i) * pb, pb);
        break;
    }
}
#undef REVERSE

static pipit_status_t
flip_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const flip_t *f = (const flip_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t pb = out->pixel_bytes, w = r->hi[0] - r->lo[0];
    PIPIT_FOR_EACH_ROW(out, r, row, y, z, t) {
        size_t sy = f->flip[1] ? in->size[1] - 1 - y : y;
        size_t sz = f->flip[2] ? in->size[2] - 1 - z : z;
        size_t st = f->flip[3] ? in->size[3] - 1 - t : t;
        void *dst = pipit__px(out, row, r->lo[0]);
        if (f->flip[0])
            reverse(dst, pipit__at(in, in->size[0] - r->hi[0], sy, sz, st),
                    w, pb);
        else
            memcpy(dst, pipit__at(in, r->lo[0], sy, sz, st), w * pb);
    }
    return PIPIT_OK;
}

static const pipit_setting_t flip_settings[] = {
    { "axes", PIPIT_SETTING_VECTOR, offsetof(flip_t, axes), "1,0,0,0",
      "1 to flip an axis, 0 to keep it: one per axis (1,0,0) or one for "
      "all", 0, 1, NULL },
};

const pipit_node_class_t pipit__flip_class = {
    .name = "flip",
    .help = "reverses the pixel order along chosen axes, keeping physical "
            "positions",
    .size = sizeof(flip_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = flip_settings,
    .n_settings = 1,
    .information = flip_information,
    .request = flip_request,
    .threaded = flip_threaded,
};

pipit_node_t *
pipit_flip_new(unsigned dim, const bool *axes)
{
    PIPIT_CHECK_ARG_NULL(dim >= 1 && dim <= PIPIT_MAX_DIM && axes != NULL);
    pipit_node_t *n = pipit_node_new(&pipit__flip_class);
    if (n != NULL) {
        flip_t *f = (flip_t *)n;
        double v[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            v[d] = axes[d] ? 1.0 : 0.0;
        pipit__axes_store(f->axes, v, dim);
    }
    return n;
}

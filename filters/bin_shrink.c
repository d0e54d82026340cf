/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bin-shrink: each output pixel is the mean of a block of f pixels per
 * axis, as ITK's BinShrinkImageFilter: floor(n / f) pixels per axis (an
 * input smaller than a block is an error, as in ITK), spacing times f,
 * origin at the physical point of continuous input index (f - 1) / 2.
 * The sum runs in double in ITK's order (along x within a block row,
 * block rows y then z), is multiplied by 1 / (number of pixels) and
 * rounded half up for integer types (ITK's Math::Round); pixels past the
 * last whole block are ignored. Components are averaged one by one.
 */
#include <math.h>
#include <string.h>

#include "grid_impl.h"
#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    double factors[PIPIT_MAX_DIM];
    size_t f[PIPIT_MAX_DIM];
} bin_shrink_t;

static pipit_status_t
bin_shrink_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    bin_shrink_t *b = (bin_shrink_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    unsigned dim = in->dim;
    pipit_status_t st = pipit__axis_counts(n, "factors", b->factors, dim, 1,
                                           (size_t)1 << 40, b->f);
    if (st != PIPIT_OK)
        return st;
    if (in->components > PIPIT__CHUNK)
        return pipit__node_error(n, PIPIT_EUNSUPPORTED,
                                 "%u components per pixel (at most %d)",
                                 in->components, PIPIT__CHUNK);
    size_t size[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM], ci[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < dim; d++) {
        size[d] = in->size[d] / b->f[d];
        if (size[d] == 0)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "axis %u: the image (%zu pixels) is "
                                     "smaller than one block (%zu)",
                                     d, in->size[d], b->f[d]);
        spacing[d] = in->spacing[d] * (double)b->f[d];
        ci[d] = 0.5 * (double)(b->f[d] - 1);
    }
    for (unsigned d = dim; d < PIPIT_MAX_DIM; d++)
        b->f[d] = 1;
    return pipit__grid_output(n, size, spacing, ci);
}

static pipit_status_t
bin_shrink_request(pipit_node_t *n, unsigned input,
                   const pipit_region_t *asked, pipit_region_t *needed)
{
    const bin_shrink_t *b = (const bin_shrink_t *)n;
    (void)input;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        needed->lo[d] = asked->lo[d] * b->f[d];
        needed->hi[d] = asked->hi[d] * b->f[d];
    }
    return PIPIT_OK;
}

/*
 * Adds one block row into acc: acc[i*nc + c] gets the f values of
 * block i, component c, added one by one in x order after what acc
 * held (first: acc starts from the block's first value, as ITK's
 * accumulator does). Single-component images get their own loops so
 * that the common case keeps no inner loop over components.
 */
#define ADD_ROW(name, T)                                                   \
    static void add_##name(double *acc, const void *src, size_t m,        \
                           size_t f, size_t nc, bool first)                \
    {                                                                      \
        const T *s = src;                                                  \
        if (nc == 1 && f == 2) {                                           \
            if (first)                                                     \
                for (size_t i = 0; i < m; i++)                             \
                    acc[i] = (double)s[2 * i] + (double)s[2 * i + 1];      \
            else                                                           \
                for (size_t i = 0; i < m; i++)                             \
                    acc[i] = acc[i] + (double)s[2 * i] +                   \
                             (double)s[2 * i + 1];                         \
            return;                                                        \
        }                                                                  \
        for (size_t i = 0; i < m; i++)                                     \
            for (size_t c = 0; c < nc; c++) {                              \
                const T *p = s + i * f * nc + c;                           \
                double a = first ? (double)p[0] : acc[i * nc + c] + p[0];  \
                for (size_t j = 1; j < f; j++)                             \
                    a += (double)p[j * nc];                                \
                acc[i * nc + c] = a;                                       \
            }                                                              \
    }
ADD_ROW(u8, uint8_t)
ADD_ROW(i8, int8_t)
ADD_ROW(u16, uint16_t)
ADD_ROW(i16, int16_t)
ADD_ROW(u32, uint32_t)
ADD_ROW(i32, int32_t)
ADD_ROW(f32, float)
ADD_ROW(f64, double)
#undef ADD_ROW

typedef void (*add_fn)(double *, const void *, size_t, size_t, size_t, bool);

static const add_fn add_rows[PIPIT_PIXEL_TYPE_COUNT] = {
    add_u8, add_i8, add_u16, add_i16, add_u32, add_i32, add_f32, add_f64,
};

/* Mean to the pixel type: floats take the nearest value, integers
 * floor(x + 0.5) as ITK's RoundHalfIntegerUp (the mean of in-range
 * values stays in range). */
static void
store(double *acc, size_t k, double scale, pipit_pixel_type_t t, void *dst)
{
    for (size_t i = 0; i < k; i++)
        acc[i] *= scale;
    if (!pipit_pixel_type_is_float(t))
        for (size_t i = 0; i < k; i++)
            acc[i] = floor(acc[i] + 0.5);
    pipit__convert_fast(acc, PIPIT_F64, dst, t, k);
}

static pipit_status_t
bin_shrink_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const bin_shrink_t *b = (const bin_shrink_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t nc = in->components;
    add_fn add = add_rows[in->type];
    double scale = 1.0 / (double)(b->f[0] * b->f[1] * b->f[2] * b->f[3]);
    /* Output pixels per chunk: whole pixels, all components (at most
     * PIPIT__CHUNK, checked by the information pass). */
    size_t per = PIPIT__CHUNK / nc;
    double acc[PIPIT__CHUNK];
    PIPIT_FOR_EACH_ROW(out, r, row, y, z, t) {
        for (size_t x = r->lo[0]; x < r->hi[0]; x += per) {
            size_t m = r->hi[0] - x < per ? r->hi[0] - x : per;
            bool first = true;
            for (size_t dt = 0; dt < b->f[3]; dt++)
                for (size_t dz = 0; dz < b->f[2]; dz++)
                    for (size_t dy = 0; dy < b->f[1]; dy++) {
                        add(acc,
                            pipit__at(in, x * b->f[0], y * b->f[1] + dy,
                                      z * b->f[2] + dz, t * b->f[3] + dt),
                            m, b->f[0], nc, first);
                        first = false;
                    }
            store(acc, m * nc, scale, out->type, pipit__px(out, row, x));
        }
    }
    return PIPIT_OK;
}

static const pipit_setting_t bin_shrink_settings[] = {
    { "factors", PIPIT_SETTING_VECTOR, offsetof(bin_shrink_t, factors), "2",
      "block size per axis (whole numbers >= 1)", 1, 1e12, NULL },
};

const pipit_node_class_t pipit__bin_shrink_class = {
    .name = "bin-shrink",
    .help = "shrinks by whole factors per axis, averaging each block",
    .size = sizeof(bin_shrink_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = bin_shrink_settings,
    .n_settings = 1,
    .information = bin_shrink_information,
    .request = bin_shrink_request,
    .threaded = bin_shrink_threaded,
};

pipit_node_t *
pipit_bin_shrink_new(unsigned dim, const size_t *factors)
{
    PIPIT_CHECK_ARG_NULL(dim >= 1 && dim <= PIPIT_MAX_DIM && factors != NULL);
    pipit_node_t *n = pipit_node_new(&pipit__bin_shrink_class);
    if (n != NULL) {
        bin_shrink_t *b = (bin_shrink_t *)n;
        double v[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            v[d] = (double)factors[d];
        pipit__axes_store(b->factors, v, dim);
    }
    return n;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reductions over a whole image with per-piece accumulators: minimum
 * and maximum, the moments of the statistics filter, and histograms
 * binned as ITK bins them (filters/pointwise_impl.h).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t *node;
    const pipit_image_t *img;
    const pipit__bins_t *bins;
    void *result;
} reduce_ctx_t;

/* Between pieces: lets the progress callback cancel. The fraction stays
 * 0 because the node's own pieces report theirs after this pass. */
static int
reduce_progress(double fraction, void *user)
{
    (void)fraction;
    return pipit__node_progress(user, 0.0) != PIPIT_OK;
}

/* Pieces are cut from the image alone, never from the thread count. */
static pipit_region_loop_t
loop_options(pipit_node_t *n, const pipit_image_t *img, size_t acc_size,
             pipit_merge_fn merge)
{
    pipit_region_loop_t opt = {
        .pixel_bytes = img->pixel_bytes,
        .acc_size = acc_size,
        .merge = merge,
        .progress = reduce_progress,
        .progress_user = n,
    };
    return opt;
}

static pipit_status_t
check_buffered(pipit_node_t *n, const pipit_image_t *img)
{
    pipit_region_t whole = pipit_image_largest_region(img);
    if (img->data != NULL && pipit_region_contains(&img->buffered, &whole))
        return PIPIT_OK;
    return pipit__node_error(n, PIPIT_ESTATE,
                             "the input's pixels do not cover the image");
}

/* ---- minimum and maximum ------------------------------------------- */

typedef struct {
    double min, max;
} minmax_acc_t;

/* `v < lo ? v : lo` keeps lo when v is NaN, and is what minps does, so
 * the loop vectorises and NaN is skipped. Integers start from the first
 * value; floats from +-infinity, so that a leading NaN is skipped too. */
#define MINMAX_ROW(name, T, LO, HI)                                        \
    static void minmax_##name(const void *row, size_t n, double *mn,       \
                              double *mx)                                  \
    {                                                                      \
        const T *a = row;                                                  \
        T lo = LO, hi = HI;                                                \
        for (size_t i = 0; i < n; i++) {                                   \
            lo = a[i] < lo ? a[i] : lo;                                    \
            hi = a[i] > hi ? a[i] : hi;                                    \
        }                                                                  \
        if ((double)lo < *mn)                                              \
            *mn = (double)lo;                                              \
        if ((double)hi > *mx)                                              \
            *mx = (double)hi;                                              \
    }
MINMAX_ROW(u8, uint8_t, a[0], a[0])
MINMAX_ROW(i8, int8_t, a[0], a[0])
MINMAX_ROW(u16, uint16_t, a[0], a[0])
MINMAX_ROW(i16, int16_t, a[0], a[0])
MINMAX_ROW(u32, uint32_t, a[0], a[0])
MINMAX_ROW(i32, int32_t, a[0], a[0])
MINMAX_ROW(f32, float, INFINITY, -INFINITY)
MINMAX_ROW(f64, double, INFINITY, -INFINITY)
#undef MINMAX_ROW

typedef void (*minmax_fn)(const void *, size_t, double *, double *);

static const minmax_fn minmax_rows[PIPIT_PIXEL_TYPE_COUNT] = {
    minmax_u8, minmax_i8, minmax_u16, minmax_i16,
    minmax_u32, minmax_i32, minmax_f32, minmax_f64,
};

static pipit_status_t
minmax_piece(void *ctx, const pipit_piece_t *p)
{
    const reduce_ctx_t *c = ctx;
    const pipit_image_t *img = c->img;
    const pipit_region_t *r = &p->region;
    minmax_fn fn = minmax_rows[img->type];
    size_t count = (r->hi[0] - r->lo[0]) * img->components;
    double mn = INFINITY, mx = -INFINITY;
    PIPIT_FOR_EACH_ROW(img, r, row, y, z, t) {
        (void)row;
        fn(pipit__row_at(img, r, y, z, t), count, &mn, &mx);
    }
    *(minmax_acc_t *)p->acc = (minmax_acc_t){ mn, mx };
    return PIPIT_OK;
}

static pipit_status_t
minmax_merge(void *ctx, const void *acc, size_t index)
{
    const minmax_acc_t *a = acc;
    minmax_acc_t *m = ((reduce_ctx_t *)ctx)->result;
    (void)index;
    if (a->min < m->min)
        m->min = a->min;
    if (a->max > m->max)
        m->max = a->max;
    return PIPIT_OK;
}

pipit_status_t
pipit__reduce_minmax(pipit_node_t *n, const pipit_image_t *img, double *min,
                     double *max, bool *any)
{
    pipit_status_t st = check_buffered(n, img);
    if (st != PIPIT_OK)
        return st;
    minmax_acc_t m = { INFINITY, -INFINITY };
    reduce_ctx_t c = { .node = n, .img = img, .result = &m };
    pipit_region_loop_t opt =
        loop_options(n, img, sizeof(minmax_acc_t), minmax_merge);
    pipit_region_t whole = pipit_image_largest_region(img);
    if ((st = pipit_parallel_region(&whole, &opt, minmax_piece, &c)) !=
        PIPIT_OK)
        return st;
    *any = m.min <= m.max;
    *min = *any ? m.min : 0.0;
    *max = *any ? m.max : 0.0;
    return PIPIT_OK;
}

/* ---- moments ----------------------------------------------------------- */

typedef struct {
    double min, max, sum, mean, m2;
    uint64_t count, nan_count;
} stats_acc_t;

/* Chan, Golub and LeVeque's pairwise update of (count, mean, M2). */
static void
stats_fold(stats_acc_t *a, const stats_acc_t *b)
{
    if (b->count == 0)
        return;
    if (b->min < a->min)
        a->min = b->min;
    if (b->max > a->max)
        a->max = b->max;
    a->sum += b->sum;
    a->nan_count += b->nan_count;
    if (a->count == 0) {
        a->mean = b->mean, a->m2 = b->m2, a->count = b->count;
        return;
    }
    double na = (double)a->count, nb = (double)b->count, n = na + nb;
    double delta = b->mean - a->mean;
    a->mean += delta * (nb / n);
    a->m2 += b->m2 + delta * delta * (na * nb / n);
    a->count += b->count;
}

/*
 * One row: the sum with four running partial sums (a fixed order, so
 * the same bits every run), the mean, then M2 about that mean in a
 * second pass while the row is still in cache.
 */
#define STATS_ROW(name, T)                                                 \
    static void stats_##name(const void *row, size_t n, stats_acc_t *r)    \
    {                                                                      \
        const T *a = row;                                                  \
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;                             \
        T lo = a[0], hi = a[0];                                            \
        size_t i = 0;                                                      \
        for (; i + 4 <= n; i += 4) {                                       \
            s0 += (double)a[i], s1 += (double)a[i + 1];                    \
            s2 += (double)a[i + 2], s3 += (double)a[i + 3];                \
        }                                                                  \
        for (; i < n; i++)                                                 \
            s0 += (double)a[i];                                            \
        for (i = 0; i < n; i++) {                                          \
            lo = a[i] < lo ? a[i] : lo;                                    \
            hi = a[i] > hi ? a[i] : hi;                                    \
        }                                                                  \
        double sum = (s0 + s1) + (s2 + s3);                                \
        double mean = sum / (double)n, m2 = 0;                             \
        for (i = 0; i < n; i++) {                                          \
            double d = (double)a[i] - mean;                                \
            m2 += d * d;                                                   \
        }                                                                  \
        *r = (stats_acc_t){ (double)lo, (double)hi, sum, mean, m2,         \
                            (uint64_t)n, 0 };                              \
    }
STATS_ROW(u8, uint8_t)
STATS_ROW(i8, int8_t)
STATS_ROW(u16, uint16_t)
STATS_ROW(i16, int16_t)
STATS_ROW(u32, uint32_t)
STATS_ROW(i32, int32_t)
STATS_ROW(f32, float)
STATS_ROW(f64, double)
#undef STATS_ROW

typedef void (*stats_fn)(const void *, size_t, stats_acc_t *);

static const stats_fn stats_rows[PIPIT_PIXEL_TYPE_COUNT] = {
    stats_u8, stats_i8, stats_u16, stats_i16,
    stats_u32, stats_i32, stats_f32, stats_f64,
};

/* NaN breaks the row moments: count them and keep min and max from the
 * other values, as the float min/max rows do. */
static void
stats_fix_nan(const pipit_image_t *img, const void *row, size_t n,
              stats_acc_t *r)
{
    if (!pipit_pixel_type_is_float(img->type) || !isnan(r->sum))
        return;
    double mn, mx;
    mn = INFINITY, mx = -INFINITY;
    minmax_rows[img->type](row, n, &mn, &mx);
    uint64_t nans = 0;
    for (size_t i = 0; i < n; i++) {
        double v = img->type == PIPIT_F32 ? ((const float *)row)[i]
                                          : ((const double *)row)[i];
        nans += isnan(v);
    }
    r->min = mn, r->max = mx, r->nan_count = nans;
}

static pipit_status_t
stats_piece(void *ctx, const pipit_piece_t *p)
{
    const reduce_ctx_t *c = ctx;
    const pipit_image_t *img = c->img;
    const pipit_region_t *r = &p->region;
    stats_fn fn = stats_rows[img->type];
    size_t count = (r->hi[0] - r->lo[0]) * img->components;
    stats_acc_t acc = { INFINITY, -INFINITY, 0, 0, 0, 0, 0 };
    PIPIT_FOR_EACH_ROW(img, r, row, y, z, t) {
        (void)row;
        const void *src = pipit__row_at(img, r, y, z, t);
        stats_acc_t one;
        fn(src, count, &one);
        stats_fix_nan(img, src, count, &one);
        stats_fold(&acc, &one);
    }
    *(stats_acc_t *)p->acc = acc;
    return PIPIT_OK;
}

static pipit_status_t
stats_merge(void *ctx, const void *acc, size_t index)
{
    (void)index;
    stats_fold(((reduce_ctx_t *)ctx)->result, acc);
    return PIPIT_OK;
}

pipit_status_t
pipit__reduce_stats(pipit_node_t *n, const pipit_image_t *img,
                    pipit__stats_t *out)
{
    pipit_status_t st = check_buffered(n, img);
    if (st != PIPIT_OK)
        return st;
    stats_acc_t m = { INFINITY, -INFINITY, 0, 0, 0, 0, 0 };
    reduce_ctx_t c = { .node = n, .img = img, .result = &m };
    pipit_region_loop_t opt =
        loop_options(n, img, sizeof(stats_acc_t), stats_merge);
    pipit_region_t whole = pipit_image_largest_region(img);
    if ((st = pipit_parallel_region(&whole, &opt, stats_piece, &c)) !=
        PIPIT_OK)
        return st;
    *out = (pipit__stats_t){ m.min, m.max, m.sum, m.mean, m.m2, m.count,
                             m.nan_count };
    return PIPIT_OK;
}

/* ---- histograms ---------------------------------------------------------- */

/* ITK's Math::FloatAlmostEqual for doubles with its defaults (4 units in
 * the last place, or 0.1 epsilon apart). */
static bool
almost_equal(double a, double b)
{
    if (fabs(a - b) <= 0.1 * DBL_EPSILON)
        return true;
    if (signbit(a) != signbit(b))
        return false;
    int64_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    int64_t d = ia > ib ? ia - ib : ib - ia;
    return d <= 4;
}

pipit_status_t
pipit__bins_init(pipit__bins_t *b, size_t count, double lower, double upper)
{
    memset(b, 0, sizeof *b);
    if (count == 0 || !(lower <= upper) || !isfinite(lower) ||
        !isfinite(upper))
        return pipit__error(PIPIT_EINVAL,
                            "histogram: %zu bins over [%g, %g]: need at "
                            "least one bin and a finite range",
                            count, lower, upper);
    if ((b->edges = pipit__malloc((count + 1) * sizeof *b->edges)) == NULL)
        return PIPIT_ENOMEM;
    b->count = count;
    b->lower = lower;
    b->upper = upper;
    bool single = fabs(lower) <= FLT_MAX && fabs(upper) <= FLT_MAX &&
                  isfinite((float)upper - (float)lower);
    if (single) {
        float w = ((float)upper - (float)lower) / (float)count;
        for (size_t k = 0; k < count; k++)
            b->edges[k] = lower + (double)((float)k * w);
        b->width = w;
    } else {
        /* Each term stays finite whatever the range. */
        for (size_t k = 0; k < count; k++)
            b->edges[k] = lower * ((double)(count - k) / (double)count) +
                          upper * ((double)k / (double)count);
        b->width = upper / (double)count - lower / (double)count;
    }
    b->edges[count] = upper;
    return PIPIT_OK;
}

void
pipit__bins_free(pipit__bins_t *b)
{
    pipit__free(b->edges);
    b->edges = NULL;
}

/* The bin of v, or count when v is not counted. */
static inline size_t
bin_of(const pipit__bins_t *b, double v)
{
    const double *e = b->edges;
    size_t last = b->count - 1;
    if (!(v >= e[0]))
        return b->count; /* below, or NaN */
    if (v >= e[b->count])
        return almost_equal(v, e[b->count]) ? last : b->count;
    /* A guess from the width, then the exact edges decide. */
    size_t k = 0;
    if (b->width > 0) {
        double g = (v / b->width - b->lower / b->width);
        k = g >= 0 && g < (double)last ? (size_t)g : g >= 0 ? last : 0;
    }
    while (k > 0 && v < e[k])
        k--;
    while (k < last && v >= e[k + 1])
        k++;
    return k;
}

#define HIST_ROW(name, T)                                                  \
    static void hist_##name(const void *row, size_t n,                     \
                            const pipit__bins_t *b, uint64_t *counts)      \
    {                                                                      \
        const T *a = row;                                                  \
        for (size_t i = 0; i < n; i++) {                                   \
            size_t k = bin_of(b, (double)a[i]);                            \
            if (k < b->count)                                              \
                counts[k]++;                                               \
        }                                                                  \
    }
HIST_ROW(u8, uint8_t)
HIST_ROW(i8, int8_t)
HIST_ROW(u16, uint16_t)
HIST_ROW(i16, int16_t)
HIST_ROW(u32, uint32_t)
HIST_ROW(i32, int32_t)
HIST_ROW(f32, float)
HIST_ROW(f64, double)
#undef HIST_ROW

typedef void (*hist_fn)(const void *, size_t, const pipit__bins_t *,
                        uint64_t *);

static const hist_fn hist_rows[PIPIT_PIXEL_TYPE_COUNT] = {
    hist_u8, hist_i8, hist_u16, hist_i16, hist_u32, hist_i32, hist_f32,
    hist_f64,
};

static pipit_status_t
hist_piece(void *ctx, const pipit_piece_t *p)
{
    const reduce_ctx_t *c = ctx;
    const pipit_image_t *img = c->img;
    const pipit_region_t *r = &p->region;
    hist_fn fn = hist_rows[img->type];
    size_t count = (r->hi[0] - r->lo[0]) * img->components;
    PIPIT_FOR_EACH_ROW(img, r, row, y, z, t) {
        (void)row;
        fn(pipit__row_at(img, r, y, z, t), count, c->bins, p->acc);
    }
    return PIPIT_OK;
}

static pipit_status_t
hist_merge(void *ctx, const void *acc, size_t index)
{
    const reduce_ctx_t *c = ctx;
    const uint64_t *a = acc;
    uint64_t *counts = c->result;
    (void)index;
    for (size_t k = 0; k < c->bins->count; k++)
        counts[k] += a[k];
    return PIPIT_OK;
}

pipit_status_t
pipit__reduce_histogram(pipit_node_t *n, const pipit_image_t *img,
                        const pipit__bins_t *b, uint64_t *counts)
{
    pipit_status_t st = check_buffered(n, img);
    if (st != PIPIT_OK)
        return st;
    memset(counts, 0, b->count * sizeof *counts);
    reduce_ctx_t c = { .node = n, .img = img, .bins = b, .result = counts };
    size_t acc = b->count * sizeof *counts;
    pipit_region_loop_t opt = loop_options(n, img, acc, hist_merge);
    /* Keep the accumulators a small fraction of the pixels they count:
     * pieces grow with the bin count (still fixed by the image alone). */
    opt.piece_bytes = acc * 16 > 64 * 1024 ? acc * 16 : 64 * 1024;
    pipit_region_t whole = pipit_image_largest_region(img);
    return pipit_parallel_region(&whole, &opt, hist_piece, &c);
}

pipit_status_t
pipit__auto_range(pipit_node_t *n, const pipit_image_t *img, size_t bins,
                  double *lower, double *upper)
{
    if (img->type == PIPIT_U8 || img->type == PIPIT_I8) {
        pipit_pixel_type_range(img->type, lower, upper);
        *lower -= 0.5, *upper += 0.5;
        return PIPIT_OK;
    }
    double mn, mx;
    bool any;
    pipit_status_t st = pipit__reduce_minmax(n, img, &mn, &mx, &any);
    if (st != PIPIT_OK)
        return st;
    if (!any)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "every value of the input is NaN");
    /* ITK's marginal scale of 100, so that the maximum falls inside
     * the last bin rather than on its upper edge (computed without
     * overflow when max - min is beyond the double range). */
    double margin = (mx - mn) / (double)bins / 100.0;
    if (!isfinite(margin))
        margin = (mx / (double)bins - mn / (double)bins) / 100.0;
    *lower = mn;
    *upper = DBL_MAX - mx > margin ? mx + margin : mx;
    return PIPIT_OK;
}

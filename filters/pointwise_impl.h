/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the filters that work value by value (cast, shift-scale,
 * clamp, the thresholds, unary and binary arithmetic) and by those that
 * first reduce their whole input (statistics, histogram, rescale, Otsu):
 * filters/pointwise.c and filters/reduce.c.
 *
 * Pixel types are resolved once, when a node prepares its run, into a
 * typed row function; rows are then handled whole (same-type fast paths)
 * or in chunks of PIPIT__CHUNK values converted to double on the stack,
 * with pipit__convert (lib/pixel_convert.c) doing every conversion to and from
 * the pixel types, so all filters round and clamp alike.
 */
#ifndef PIPIT_POINTWISE_IMPL_H
#define PIPIT_POINTWISE_IMPL_H

#include "filters_impl.h"
#include "pixel_convert_impl.h"

/* Values a chunk holds: 2 KiB of doubles stays in L1 beside the rows. */
#define PIPIT__CHUNK 256

/* ---- the "type" setting ---------------------------------------------- */

/* "auto", then the pixel types in pipit_pixel_type_t order. */
extern const char *const pipit__type_choices[];

/* The pixel type a "type" setting's choice names; auto gives fallback. */
static inline pipit_pixel_type_t
pipit__type_choice(int choice, pipit_pixel_type_t fallback)
{
    return choice <= 0 ? fallback : (pipit_pixel_type_t)(choice - 1);
}

/* ---- values and rows -------------------------------------------------- */

/* One value of any pixel type. */
typedef union pipit__value {
    uint8_t u8;
    int8_t i8;
    uint16_t u16;
    int16_t i16;
    uint32_t u32;
    int32_t i32;
    float f32;
    double f64;
} pipit__value_t;

/* v converted to type t as every filter converts (rounded half away from
 * zero and clamped for integers, NaN to 0). */
pipit__value_t pipit__value_from(double v, pipit_pixel_type_t t);

/*
 * Bounds lo <= v <= hi recast in type t so that comparing values of t
 * with them gives the answer the exact comparison gives: for integers
 * ceil(lo) and floor(hi) clipped to the type, for f32 the nearest floats
 * inside. False when no value of t lies in [lo, hi].
 */
bool pipit__bounds_in_type(pipit_pixel_type_t t, double lo, double hi,
                           pipit__value_t *tlo, pipit__value_t *thi);

/* Largest finite value of t, as ITK's NumericTraits<T>::max(). */
double pipit__type_max(pipit_pixel_type_t t);

/*
 * pipit__convert with vectorised loops for the conversions filters use
 * most (f32 and f64 to 8- and 16-bit integers; integers and f32 to
 * floats; f64 to f32), the same results bit for bit (the suite
 * filters_pointwise checks it); other pairs go to pipit__convert.
 */
void pipit__convert_fast(const void *src, pipit_pixel_type_t st, void *dst,
                         pipit_pixel_type_t dt, size_t n);

/* In-place operation on n doubles; ctx is the node. */
typedef void (*pipit__chunk_fn)(double *v, size_t n, const void *ctx);

/* n values from src (type st) through fn into dst (type dt), chunk by
 * chunk. src and dst may be the same memory only when st == dt. */
void pipit__chunked_row(const void *src, pipit_pixel_type_t st, void *dst,
                        pipit_pixel_type_t dt, size_t n, pipit__chunk_fn fn,
                        const void *ctx);

/* One row of n values (components included) from src to dst. */
typedef void (*pipit__row_fn)(const pipit_node_t *n, const void *src,
                              void *dst, size_t count);

/* Calls row once for every row of piece p: src in input 0, dst in
 * output 0, both at the piece's first x. For threaded hooks. */
pipit_status_t pipit__pointwise_rows(pipit_node_t *n, const pipit_piece_t *p,
                                     pipit__row_fn row);

/* The first value of row (y, z, t) of region r of img. */
static inline char *
pipit__row_at(const pipit_image_t *img, const pipit_region_t *r, size_t y,
              size_t z, size_t t)
{
    return pipit__at(img, r->lo[0], y, z, t);
}

/* ---- masks: one value where lo <= v <= hi, another elsewhere --------- */

typedef struct pipit__mask pipit__mask_t;
struct pipit__mask {
    pipit_pixel_type_t in, out;
    bool any;                       /* some value of type in passes */
    pipit__value_t lo, hi;          /* the bounds, in type in */
    pipit__value_t inside, outside; /* the values written, in type out */
    void (*flags)(const pipit__mask_t *m, const void *src, uint8_t *dst,
                  size_t n, uint8_t inside, uint8_t outside);
};

/* Prepares a mask from values of type in to type out (bounds compared
 * exactly, NaN outside; inside and outside converted to out). */
void pipit__mask_prepare(pipit__mask_t *m, pipit_pixel_type_t in,
                         pipit_pixel_type_t out, double lo, double hi,
                         double inside, double outside);

/* n values from src (type m->in) to dst (type m->out). */
void pipit__mask_row(const pipit__mask_t *m, const void *src, void *dst,
                     size_t n);

/* PIPIT_EUNSUPPORTED naming the node unless input i has one component. */
pipit_status_t pipit__check_scalar(const pipit_node_t *n, unsigned i);

/* ---- unary arithmetic (filters/unary.c) -------------------------------- */

/* One operation: on doubles for the general path, and on whole rows of
 * f32 or f64 when input and output have that type. */
typedef struct pipit__unary_op {
    bool real; /* "auto" output: f32 for integer inputs (ITK's FloatType) */
    pipit__chunk_fn chunk;
    void (*row_f32)(const float *a, float *b, size_t n);
    void (*row_f64)(const double *a, double *b, size_t n);
} pipit__unary_op_t;

typedef struct pipit__unary {
    pipit_node_t base;
    int type;
    const pipit__unary_op_t *op;
} pipit__unary_t;

/* The class fields every unary operation shares; its file adds name,
 * help and init (which sets op). */
#define PIPIT__UNARY_CLASS                                                 \
    .size = sizeof(pipit__unary_t), .n_inputs = 1, .n_outputs = 1,         \
    .settings = pipit__unary_settings, .n_settings = 1,                    \
    .information = pipit__unary_information,                               \
    .threaded = pipit__unary_threaded

extern const pipit_setting_t pipit__unary_settings[];
pipit_status_t pipit__unary_information(pipit_node_t *n);
pipit_status_t pipit__unary_threaded(pipit_node_t *n, const pipit_piece_t *p);

/* ---- binary arithmetic (filters/binary.c) ------------------------------- */

typedef struct pipit__binary pipit__binary_t;

/* One operation on rows: c = a op b, in f32 (all three f32) or in f64
 * (also the general path, on chunks converted to double; c may be a). */
typedef struct pipit__binary_op {
    bool divide; /* a constant 0 is refused; integers divide truncating */
    void (*row_f32)(const float *a, const float *b, float *c, size_t n,
                    const pipit__binary_t *k);
    void (*row_f64)(const double *a, const double *b, double *c, size_t n,
                    const pipit__binary_t *k);
} pipit__binary_op_t;

struct pipit__binary {
    pipit_node_t base;
    double constant;
    int type;
    const pipit__binary_op_t *op;
    /* Set before each run. */
    bool with_image;      /* input 1 connected, else the constant */
    bool trunc;           /* integer operands: the quotient is truncated */
    float zero_f32, max_f32;
    double zero_f64, max_f64; /* |b| <= zero counts as 0; a / 0 = max */
};

/* Writes a row loop in f32 and in f64 for operation name: x and y are
 * the operands; zf, mf, zd, md and tr the divide's limits (above). */
#define PIPIT__BINARY_ROWS(name, EXPR_F32, EXPR_F64)                       \
    static void name##_f32(const float *a, const float *b, float *c,       \
                           size_t n, const pipit__binary_t *k)             \
    {                                                                      \
        const float zf = k->zero_f32, mf = k->max_f32;                     \
        (void)zf, (void)mf;                                                \
        for (size_t i = 0; i < n; i++) {                                   \
            const float x = a[i], y = b[i];                                \
            c[i] = EXPR_F32;                                               \
        }                                                                  \
    }                                                                      \
    static void name##_f64(const double *a, const double *b, double *c,    \
                           size_t n, const pipit__binary_t *k)             \
    {                                                                      \
        const double zd = k->zero_f64, md = k->max_f64;                    \
        const bool tr = k->trunc;                                          \
        (void)zd, (void)md, (void)tr;                                      \
        for (size_t i = 0; i < n; i++) {                                   \
            const double x = a[i], y = b[i];                               \
            c[i] = EXPR_F64;                                               \
        }                                                                  \
    }

/* The class fields every binary operation shares; its file adds name,
 * help, init (which sets op) and settings (pipit__binary_settings or
 * pipit__binary_settings_one, whose constant defaults to 1). */
#define PIPIT__BINARY_CLASS                                                \
    .size = sizeof(pipit__binary_t), .n_inputs = 2, .n_outputs = 1,        \
    .optional_inputs = 1u << 1, .n_settings = 2,                           \
    .information = pipit__binary_information,                              \
    .before = pipit__binary_before, .threaded = pipit__binary_threaded

extern const pipit_setting_t pipit__binary_settings[];
extern const pipit_setting_t pipit__binary_settings_one[];
pipit_status_t pipit__binary_information(pipit_node_t *n);
pipit_status_t pipit__binary_before(pipit_node_t *n);
pipit_status_t pipit__binary_threaded(pipit_node_t *n, const pipit_piece_t *p);
/* pipit_node_new of c with the constant set (for the constructors). */
pipit_node_t *pipit__binary_new(const pipit_node_class_t *c, double constant);

/* ---- reductions over a whole image (filters/reduce.c) ----------------- */

/*
 * Each runs over the whole image img (its pixels must cover it) in
 * pieces fixed by the image alone, one accumulator per piece merged in
 * piece order: the result is the same bit for bit at any thread count.
 * n names the node in messages and gets the progress reports.
 */

/* Smallest and largest value (all components); NaN values are skipped;
 * *any false when every value is NaN. */
pipit_status_t pipit__reduce_minmax(pipit_node_t *n, const pipit_image_t *img,
                                    double *min, double *max, bool *any);

/* Sum and sample variance use a sum per row and Chan's pairwise merge of
 * (count, mean, M2) across rows and pieces. */
typedef struct pipit__stats {
    double min, max, sum, mean, m2;
    uint64_t count, nan_count;
} pipit__stats_t;

pipit_status_t pipit__reduce_stats(pipit_node_t *n, const pipit_image_t *img,
                                   pipit__stats_t *out);

/*
 * Histogram bins as ITK's Statistics::Histogram lays them out: the
 * width is computed in single precision, (float)(upper - lower) /
 * bins, bin k covers [lower + k*width, lower + (k+1)*width) with the
 * products also in single precision, and the last bin ends exactly at
 * upper. A value lands in the bin whose [min, max) holds it; values
 * below lower or at/above upper (bar one equal to upper) and NaN are
 * not counted. Where ITK's single-precision width would overflow (a
 * range beyond FLT_MAX, which ITK gets wrong) the edges are computed in
 * double instead: lower (bins - k) / bins + upper k / bins.
 */
typedef struct pipit__bins {
    size_t count;
    double lower, upper;
    double *edges; /* count + 1 values: edges[k] = min of bin k */
    double width;  /* for a first guess of the bin; 0 when degenerate */
} pipit__bins_t;

pipit_status_t pipit__bins_init(pipit__bins_t *b, size_t count, double lower,
                                double upper);
void pipit__bins_free(pipit__bins_t *b);

/*
 * ITK's automatic range for an image histogram (ImageToHistogramFilter
 * with AutoMinimumMaximum): [min, max + (max - min) / bins / 100]; for
 * u8 and i8 images the whole type range widened by half a value,
 * [tmin - 0.5, tmax + 0.5], as HistogramThresholdImageFilter does.
 */
pipit_status_t pipit__auto_range(pipit_node_t *n, const pipit_image_t *img,
                                 size_t bins, double *lower, double *upper);

/* Counts img's values into counts[b->count] (zeroed first). */
pipit_status_t pipit__reduce_histogram(pipit_node_t *n,
                                       const pipit_image_t *img,
                                       const pipit__bins_t *b,
                                       uint64_t *counts);

/* ---- nodes whose output is their input -------------------------------- */

/*
 * Makes output o hold input i's pixels: the same buffer, shared, so no
 * pixel is copied (pipit_image_share semantics: a later write through
 * either image copies first). Both must have the same type and
 * components; for generate hooks.
 */
void pipit__output_share_input(pipit_node_t *n, unsigned o, unsigned i);

#endif

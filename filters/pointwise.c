/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the value-by-value filters (filters/pointwise_impl.h). */
#include <float.h>
#include <math.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "buffer_impl.h"
#include "pointwise_impl.h"

const char *const pipit__type_choices[] = {
    "auto", "u8", "i8", "u16", "i16", "u32", "i32", "f32", "f64", NULL
};

pipit__value_t
pipit__value_from(double v, pipit_pixel_type_t t)
{
    pipit__value_t out;
    memset(&out, 0, sizeof out);
    pipit__convert(&v, PIPIT_F64, &out, t, 1);
    return out;
}

double
pipit__type_max(pipit_pixel_type_t t)
{
    double lo, hi;
    pipit_pixel_type_range(t, &lo, &hi);
    return hi;
}

/* Smallest float >= v and largest float <= v, for any finite double
 * (converting a double beyond FLT_MAX to float is undefined in C). */
static float
float_at_or_above(double v)
{
    if (v > FLT_MAX)
        return INFINITY;
    if (v < -FLT_MAX)
        return -FLT_MAX;
    float f = (float)v;
    return (double)f < v ? nextafterf(f, INFINITY) : f;
}

static float
float_at_or_below(double v)
{
    if (v < -FLT_MAX)
        return -INFINITY;
    if (v > FLT_MAX)
        return FLT_MAX;
    float f = (float)v;
    return (double)f > v ? nextafterf(f, -INFINITY) : f;
}

bool
pipit__bounds_in_type(pipit_pixel_type_t t, double lo, double hi,
                      pipit__value_t *tlo, pipit__value_t *thi)
{
    memset(tlo, 0, sizeof *tlo);
    memset(thi, 0, sizeof *thi);
    if (!(lo <= hi))
        return false;
    if (t == PIPIT_F64) {
        tlo->f64 = lo, thi->f64 = hi;
        return true;
    }
    if (t == PIPIT_F32) {
        tlo->f32 = float_at_or_above(lo);
        thi->f32 = float_at_or_below(hi);
        return tlo->f32 <= thi->f32;
    }
    double tmin, tmax;
    pipit_pixel_type_range(t, &tmin, &tmax);
    double l = ceil(lo), h = floor(hi);
    if (l > h || l > tmax || h < tmin)
        return false;
    /* Integers of these types are exact in double, so the conversion
     * below neither rounds nor clamps. */
    *tlo = pipit__value_from(l < tmin ? tmin : l, t);
    *thi = pipit__value_from(h > tmax ? tmax : h, t);
    return true;
}

/* ---- fast conversions ---------------------------------------------- */

/*
 * Float to integers of 8 and 16 bits in one vectorisable loop: NaN to
 * 0, clamp (the bounds are exact in both float types), then round half
 * away from zero as trunc(x + copysign(0.5, x)). That sum is exact for
 * every |x| <= 65535 but one: the largest value below 0.5, whose sum
 * rounds up to 1, corrected by the comparisons. round() first and clamp
 * after, as pipit__convert does, gives the same integers because the
 * bounds are integers.
 */
#define FLOAT_TO_INT(sname, S, COPYSIGN, BELOW_HALF, dname, D, LO, HI)     \
    static void conv_##sname##_##dname(const void *src, void *dst,         \
                                       size_t n)                           \
    {                                                                      \
        const S *a = src;                                                  \
        D *b = dst;                                                        \
        for (size_t i = 0; i < n; i++) {                                   \
            S x = a[i];                                                    \
            x = x == x ? x : (S)0;                                         \
            x = x < (S)(LO) ? (S)(LO) : x;                                 \
            x = x > (S)(HI) ? (S)(HI) : x;                                 \
            int32_t t = (int32_t)(x + COPYSIGN((S)0.5, x)) -               \
                        (x == (BELOW_HALF)) + (x == -(BELOW_HALF));        \
            b[i] = (D)t;                                                   \
        }                                                                  \
    }
FLOAT_TO_INT(f32, float, copysignf, 0x1.fffffep-2f, u8, uint8_t, 0, 255)
FLOAT_TO_INT(f32, float, copysignf, 0x1.fffffep-2f, i8, int8_t, -128, 127)
FLOAT_TO_INT(f32, float, copysignf, 0x1.fffffep-2f, u16, uint16_t, 0, 65535)
FLOAT_TO_INT(f32, float, copysignf, 0x1.fffffep-2f, i16, int16_t, -32768,
             32767)
FLOAT_TO_INT(f64, double, copysign, 0x1.fffffffffffffp-2, u8, uint8_t, 0,
             255)
FLOAT_TO_INT(f64, double, copysign, 0x1.fffffffffffffp-2, i8, int8_t, -128,
             127)
FLOAT_TO_INT(f64, double, copysign, 0x1.fffffffffffffp-2, u16, uint16_t, 0,
             65535)
FLOAT_TO_INT(f64, double, copysign, 0x1.fffffffffffffp-2, i16, int16_t,
             -32768, 32767)
#undef FLOAT_TO_INT

#if defined(__SSE2__)
/*
 * The same conversion from f32, sixteen values at a time with SSE2's
 * packing instructions (the compiler's own narrowing of 32-bit lanes to
 * bytes is slow). Values past the last multiple of 16 take the loop
 * above.
 */
static inline __m128i
round4(__m128 x, __m128 lo, __m128 hi)
{
    const __m128 sign = _mm_set1_ps(-0.0f), half = _mm_set1_ps(0.5f);
    const __m128 below = _mm_set1_ps(0x1.fffffep-2f);
    x = _mm_and_ps(x, _mm_cmpord_ps(x, x)); /* NaN to 0 */
    x = _mm_min_ps(_mm_max_ps(x, lo), hi);
    __m128 h = _mm_or_ps(half, _mm_and_ps(x, sign));
    __m128i t = _mm_cvttps_epi32(_mm_add_ps(x, h));
    /* a true comparison is -1: add it for +below, take it for -below */
    t = _mm_add_epi32(t, _mm_castps_si128(_mm_cmpeq_ps(x, below)));
    return _mm_sub_epi32(t, _mm_castps_si128(_mm_cmpeq_ps(
                                x, _mm_xor_ps(below, sign))));
}

#define SSE_TO_INT(dname, D, LO, HI, PACK)                                 \
    static void sse_f32_##dname(const void *src, void *dst, size_t n)      \
    {                                                                      \
        const float *a = src;                                              \
        D *b = dst;                                                        \
        const __m128 lo = _mm_set1_ps(LO), hi = _mm_set1_ps(HI);           \
        size_t i = 0;                                                      \
        for (; i + 16 <= n; i += 16) {                                     \
            __m128i t0 = round4(_mm_loadu_ps(a + i), lo, hi);              \
            __m128i t1 = round4(_mm_loadu_ps(a + i + 4), lo, hi);          \
            __m128i t2 = round4(_mm_loadu_ps(a + i + 8), lo, hi);          \
            __m128i t3 = round4(_mm_loadu_ps(a + i + 12), lo, hi);         \
            PACK;                                                          \
        }                                                                  \
        conv_f32_##dname(a + i, b + i, n - i);                             \
    }
SSE_TO_INT(u8, uint8_t, 0.0f, 255.0f,
           _mm_storeu_si128((__m128i *)(void *)(b + i),
                            _mm_packus_epi16(_mm_packs_epi32(t0, t1),
                                             _mm_packs_epi32(t2, t3))))
SSE_TO_INT(i8, int8_t, -128.0f, 127.0f,
           _mm_storeu_si128((__m128i *)(void *)(b + i),
                            _mm_packs_epi16(_mm_packs_epi32(t0, t1),
                                            _mm_packs_epi32(t2, t3))))
SSE_TO_INT(i16, int16_t, -32768.0f, 32767.0f,
           (_mm_storeu_si128((__m128i *)(void *)(b + i),
                             _mm_packs_epi32(t0, t1)),
            _mm_storeu_si128((__m128i *)(void *)(b + i + 8),
                             _mm_packs_epi32(t2, t3))))
/* No unsigned 32-to-16 pack in SSE2: shift into the signed range, pack,
 * flip the top bit back. */
#define PACK_U16(x, y)                                                     \
    _mm_xor_si128(                                                         \
        _mm_packs_epi32(_mm_sub_epi32(x, _mm_set1_epi32(32768)),           \
                        _mm_sub_epi32(y, _mm_set1_epi32(32768))),          \
        _mm_set1_epi16(-32768))
SSE_TO_INT(u16, uint16_t, 0.0f, 65535.0f,
           (_mm_storeu_si128((__m128i *)(void *)(b + i), PACK_U16(t0, t1)),
            _mm_storeu_si128((__m128i *)(void *)(b + i + 8),
                             PACK_U16(t2, t3))))
#undef PACK_U16
#undef SSE_TO_INT
#define FAST_F32(dname) sse_f32_##dname
#else
#define FAST_F32(dname) conv_f32_##dname
#endif

/* Exact, or rounded once to the nearest, as pipit__convert's route
 * through double rounds (integers of 32 bits and less are exact in
 * double). */
#define TO_FLOAT(sname, S, dname, D)                                       \
    static void conv_##sname##_##dname(const void *src, void *dst,         \
                                       size_t n)                           \
    {                                                                      \
        const S *a = src;                                                  \
        D *b = dst;                                                        \
        for (size_t i = 0; i < n; i++)                                     \
            b[i] = (D)a[i];                                                \
    }
TO_FLOAT(u8, uint8_t, f32, float)
TO_FLOAT(i8, int8_t, f32, float)
TO_FLOAT(u16, uint16_t, f32, float)
TO_FLOAT(i16, int16_t, f32, float)
TO_FLOAT(u8, uint8_t, f64, double)
TO_FLOAT(i8, int8_t, f64, double)
TO_FLOAT(u16, uint16_t, f64, double)
TO_FLOAT(i16, int16_t, f64, double)
TO_FLOAT(i32, int32_t, f64, double)
TO_FLOAT(u32, uint32_t, f64, double)
TO_FLOAT(f32, float, f64, double)
TO_FLOAT(f64, double, f32, float)
#undef TO_FLOAT

typedef void (*fast_fn)(const void *, void *, size_t);

/* [source][target], NULL where pipit__convert does it. */
static const fast_fn fast_table[PIPIT_PIXEL_TYPE_COUNT]
                               [PIPIT_PIXEL_TYPE_COUNT] = {
    [PIPIT_U8] = { [PIPIT_F32] = conv_u8_f32, [PIPIT_F64] = conv_u8_f64 },
    [PIPIT_I8] = { [PIPIT_F32] = conv_i8_f32, [PIPIT_F64] = conv_i8_f64 },
    [PIPIT_U16] = { [PIPIT_F32] = conv_u16_f32, [PIPIT_F64] = conv_u16_f64 },
    [PIPIT_I16] = { [PIPIT_F32] = conv_i16_f32, [PIPIT_F64] = conv_i16_f64 },
    [PIPIT_U32] = { [PIPIT_F64] = conv_u32_f64 },
    [PIPIT_I32] = { [PIPIT_F64] = conv_i32_f64 },
    [PIPIT_F32] = { [PIPIT_U8] = FAST_F32(u8), [PIPIT_I8] = FAST_F32(i8),
                    [PIPIT_U16] = FAST_F32(u16), [PIPIT_I16] = FAST_F32(i16),
                    [PIPIT_F64] = conv_f32_f64 },
    [PIPIT_F64] = { [PIPIT_U8] = conv_f64_u8, [PIPIT_I8] = conv_f64_i8,
                    [PIPIT_U16] = conv_f64_u16, [PIPIT_I16] = conv_f64_i16,
                    [PIPIT_F32] = conv_f64_f32 },
};

void
pipit__convert_fast(const void *src, pipit_pixel_type_t st, void *dst,
                    pipit_pixel_type_t dt, size_t n)
{
    fast_fn f = fast_table[st][dt];
    if (f != NULL)
        f(src, dst, n);
    else
        pipit__convert(src, st, dst, dt, n);
}

void
pipit__chunked_row(const void *src, pipit_pixel_type_t st, void *dst,
                   pipit_pixel_type_t dt, size_t n, pipit__chunk_fn fn,
                   const void *ctx)
{
    double v[PIPIT__CHUNK];
    size_t ss = pipit_pixel_size(st), ds = pipit_pixel_size(dt);
    const char *s = src;
    char *d = dst;
    for (size_t i = 0; i < n; i += PIPIT__CHUNK) {
        size_t m = n - i < PIPIT__CHUNK ? n - i : PIPIT__CHUNK;
        pipit__convert_fast(s + i * ss, st, v, PIPIT_F64, m);
        fn(v, m, ctx);
        pipit__convert_fast(v, PIPIT_F64, d + i * ds, dt, m);
    }
}

pipit_status_t
pipit__pointwise_rows(pipit_node_t *n, const pipit_piece_t *p,
                      pipit__row_fn row)
{
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t count = (r->hi[0] - r->lo[0]) * in->components;
    PIPIT_FOR_EACH_ROW(out, r, o, y, z, t) {
        (void)o;
        row(n, pipit__row_at(in, r, y, z, t), pipit__row_at(out, r, y, z, t),
            count);
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__check_scalar(const pipit_node_t *n, unsigned i)
{
    const pipit_image_t *img = pipit__input(n, i);
    if (img->components == 1)
        return PIPIT_OK;
    return pipit__node_error(n, PIPIT_EUNSUPPORTED,
                             "input %u has %u components per pixel; this "
                             "filter takes scalar images only",
                             i, img->components);
}

void
pipit__output_share_input(pipit_node_t *n, unsigned o, unsigned i)
{
    pipit_image_t *out = pipit__output(n, o);
    const pipit_image_t *in = pipit__input(n, i);
    pipit_buffer_t *b = pipit_buffer_ref(in->buffer);
    /* The executor allocated the output; it was never written. */
    pipit_buffer_unref(out->buffer);
    out->buffer = b;
    out->data = in->data;
    out->buffered = in->buffered;
    memcpy(out->stride, in->stride, sizeof out->stride);
}

/* ---- masks ------------------------------------------------------------ */

#define MASK_FLAGS(name, T)                                                \
    static void mask_flags_##name(const pipit__mask_t *m, const void *src, \
                                  uint8_t *dst, size_t n, uint8_t a,       \
                                  uint8_t b)                               \
    {                                                                      \
        const T *v = src;                                                  \
        const T lo = m->lo.name, hi = m->hi.name;                          \
        for (size_t i = 0; i < n; i++)                                     \
            dst[i] = v[i] >= lo && v[i] <= hi ? a : b;                     \
    }
MASK_FLAGS(u8, uint8_t)
MASK_FLAGS(i8, int8_t)
MASK_FLAGS(u16, uint16_t)
MASK_FLAGS(i16, int16_t)
MASK_FLAGS(u32, uint32_t)
MASK_FLAGS(i32, int32_t)
MASK_FLAGS(f32, float)
MASK_FLAGS(f64, double)
#undef MASK_FLAGS

static void
mask_flags_none(const pipit__mask_t *m, const void *src, uint8_t *dst,
                size_t n, uint8_t a, uint8_t b)
{
    (void)m, (void)src, (void)a;
    memset(dst, b, n);
}

#define MASK_SELECT(name, T)                                               \
    static void mask_select_##name(const pipit__mask_t *m,                 \
                                   const uint8_t *flags, void *dst,        \
                                   size_t n)                               \
    {                                                                      \
        T *d = dst;                                                        \
        const T a = m->inside.name, b = m->outside.name;                   \
        for (size_t i = 0; i < n; i++)                                     \
            d[i] = flags[i] ? a : b;                                       \
    }
MASK_SELECT(i8, int8_t)
MASK_SELECT(u16, uint16_t)
MASK_SELECT(i16, int16_t)
MASK_SELECT(u32, uint32_t)
MASK_SELECT(i32, int32_t)
MASK_SELECT(f32, float)
MASK_SELECT(f64, double)
#undef MASK_SELECT

typedef void (*flags_fn)(const pipit__mask_t *, const void *, uint8_t *,
                         size_t, uint8_t, uint8_t);

static const flags_fn mask_flags[PIPIT_PIXEL_TYPE_COUNT] = {
    mask_flags_u8, mask_flags_i8, mask_flags_u16, mask_flags_i16,
    mask_flags_u32, mask_flags_i32, mask_flags_f32, mask_flags_f64,
};

void
pipit__mask_prepare(pipit__mask_t *m, pipit_pixel_type_t in,
                    pipit_pixel_type_t out, double lo, double hi,
                    double inside, double outside)
{
    m->in = in, m->out = out;
    m->any = pipit__bounds_in_type(in, lo, hi, &m->lo, &m->hi);
    m->inside = pipit__value_from(inside, out);
    m->outside = pipit__value_from(outside, out);
    m->flags = m->any ? mask_flags[in] : mask_flags_none;
}

void
pipit__mask_row(const pipit__mask_t *m, const void *src, void *dst, size_t n)
{
    if (m->out == PIPIT_U8) {
        m->flags(m, src, dst, n, m->inside.u8, m->outside.u8);
        return;
    }
    uint8_t flags[PIPIT__CHUNK];
    size_t ss = pipit_pixel_size(m->in), ds = pipit_pixel_size(m->out);
    for (size_t i = 0; i < n; i += PIPIT__CHUNK) {
        size_t k = n - i < PIPIT__CHUNK ? n - i : PIPIT__CHUNK;
        const char *s = (const char *)src + i * ss;
        char *d = (char *)dst + i * ds;
        m->flags(m, s, flags, k, 1, 0);
        switch (m->out) {
        case PIPIT_I8: mask_select_i8(m, flags, d, k); break;
        case PIPIT_U16: mask_select_u16(m, flags, d, k); break;
        case PIPIT_I16: mask_select_i16(m, flags, d, k); break;
        case PIPIT_U32: mask_select_u32(m, flags, d, k); break;
        case PIPIT_I32: mask_select_i32(m, flags, d, k); break;
        case PIPIT_F32: mask_select_f32(m, flags, d, k); break;
        case PIPIT_F64: mask_select_f64(m, flags, d, k); break;
        case PIPIT_U8: break;
        }
    }
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The affine-row fast paths of the interpolators: the values along a
 * row of points c(x) = base + step·x, x in [x0, x1), which is what a
 * resampler through an affine map (and the identity grid map of a warp)
 * asks for. Each c(x) is computed from the row's base alone, so any
 * piece of a row gives the same values.
 *
 *   3-D f32 nearest / linear: float arithmetic, the interior without
 *       tests (pipit__interpolator_row_f32);
 *   3-D cubic B-spline on f64 coefficients: the 4 x 4 x 4 support
 *       without the mirror away from the border;
 *   anything else: the interpolator's batch kernel, in blocks.
 *
 * Each fast path has a portable copy and an AVX2 + FMA one, chosen by
 * lib/cpu_impl.h; within a copy the vector and scalar voxels agree bit
 * for bit, and the two copies differ only where FMA rounds once.
 */
#include <math.h>
#include <stdint.h>

#include "interpolator_impl.h"

/* A row of a 3-D f32 input through an affine map (see the fast paths). */
typedef struct f32_src f32_src_t;
typedef void (*f32_row_fn)(const f32_src_t *, const double *, const double *,
                           size_t, size_t, double, bool, float *);

/* The same for cubic B-spline coefficients (see the cubic path). */
typedef struct cubic_src {
    const double *coef; /* x fastest, n[0] x n[1] x n[2] */
    ptrdiff_t sy, sz;
    ptrdiff_t n[3];
    double start[3], lo[3], hi[3];
} cubic_src_t;
typedef void (*cubic_row_fn)(const cubic_src_t *, const double *,
                             const double *, size_t, size_t, double,
                             double *);

/* ---- 3-D f32 input through an affine map: rows without calls ----------- */

/*
 * The input as the fast paths see it: its buffered region, strides in
 * floats, and the inside box of the library's interpolators (c_d in
 * [lo_d - 0.5, hi_d - 0.5) of the buffered region).
 */
struct f32_src {
    const float *data;
    ptrdiff_t sy, sz;
    ptrdiff_t last[3];
    double start[3], lo[3], hi[3];
};

static void
f32_src_init(f32_src_t *s, const pipit_interpolator_t *ip)
{
    s->data = (const float *)(const void *)ip->data;
    s->sy = ip->stride[1] / (ptrdiff_t)sizeof(float);
    s->sz = ip->stride[2] / (ptrdiff_t)sizeof(float);
    for (unsigned d = 0; d < 3; d++) {
        s->start[d] = ip->start[d];
        s->lo[d] = ip->lo[d];
        s->hi[d] = ip->hi[d];
        s->last[d] = (ptrdiff_t)ip->size[d] - 1;
    }
}

/*
 * Nearest or linear interpolation along a row, c(x) = base + step·x, with
 * the library's rules: outside the box the default; nearest takes
 * floor(u + 0.5), linear the neighbours floor(u) and floor(u) + 1
 * clamped to the region (u = c - start), x then y then z, in float.
 *
 * Each c_d is monotonic in x, so the voxels inside the box, and those
 * whose linear neighbours need no clamping, form intervals of the row:
 * they are found by solving for x and checking the ends voxel by voxel
 * with the very expression the loop uses, and the interior runs without
 * tests. The code is written twice through the macros below: plain
 * multiply-adds for any CPU, explicit fused ones for the AVX2 + FMA
 * path, whose vector and scalar voxels then agree bit for bit.
 */
#define ROW_KERNELS(V, ATTR, MADD, MADDF)                                  \
    /* lo <= c(x) - off < hi on every axis, c as the kernels make it */    \
    ATTR static inline bool in_##V(const double *base, const double *step, \
                                   const double *off, const double *lo,    \
                                   const double *hi, size_t x)             \
    {                                                                      \
        for (unsigned d = 0; d < 3; d++) {                                 \
            double u = MADD(step[d], (double)x, base[d]) - off[d];         \
            if (!(u >= lo[d] && u < hi[d]))                                \
                return false;                                              \
        }                                                                  \
        return true;                                                       \
    }                                                                      \
    /* [*xa, *xb): the x of [x0, x1) where in_ holds. */                   \
    ATTR static void span_##V(const double *base, const double *step,      \
                              const double *off, const double *lo,         \
                              const double *hi, size_t x0, size_t x1,      \
                              size_t *xa, size_t *xb)                      \
    {                                                                      \
        double a = (double)x0, b = (double)x1;                             \
        for (unsigned d = 0; d < 3; d++) {                                 \
            double b0 = base[d] - off[d];                                  \
            if (step[d] == 0.0) {                                          \
                if (!(b0 >= lo[d] && b0 < hi[d]))                          \
                    b = a;                                                 \
                continue;                                                  \
            }                                                              \
            double t0 = (lo[d] - b0) / step[d];                            \
            double t1 = (hi[d] - b0) / step[d];                            \
            if (step[d] < 0.0) {                                           \
                double t = t0;                                             \
                t0 = t1, t1 = t;                                           \
            }                                                              \
            a = fmax(a, ceil(t0));                                         \
            b = fmin(b, ceil(t1));                                         \
        }                                                                  \
        size_t p = !(a > (double)x0)   ? x0                                \
                   : a >= (double)x1 ? x1                                  \
                                     : (size_t)a;                          \
        size_t q = !(b > (double)p) ? p : b >= (double)x1 ? x1 : (size_t)b; \
        if (p == q) {                                                      \
            /* Estimated empty: look around the estimate. */               \
            size_t from = p >= x0 + 2 ? p - 2 : x0;                        \
            for (p = from; p < x1 && p < from + 5; p++)                    \
                if (in_##V(base, step, off, lo, hi, p))                    \
                    break;                                                 \
            if (p >= x1 || p >= from + 5) {                                \
                *xa = *xb = x0;                                            \
                return;                                                    \
            }                                                              \
            q = p + 1;                                                     \
        }                                                                  \
        while (p > x0 && in_##V(base, step, off, lo, hi, p - 1))           \
            p--;                                                           \
        while (p < q && !in_##V(base, step, off, lo, hi, p))               \
            p++;                                                           \
        while (q < x1 && in_##V(base, step, off, lo, hi, q))               \
            q++;                                                           \
        while (q > p && !in_##V(base, step, off, lo, hi, q - 1))           \
            q--;                                                           \
        *xa = p, *xb = q;                                                  \
    }                                                                      \
    /* One voxel inside the box, neighbours clamped. */                    \
    ATTR static float voxel_##V(const f32_src_t *s, const double *base,    \
                                 const double *step, size_t x,             \
                                 bool nearest)                             \
    {                                                                      \
        ptrdiff_t i0[3], i1[3];                                            \
        float t[3];                                                        \
        for (unsigned d = 0; d < 3; d++) {                                 \
            double u = MADD(step[d], (double)x, base[d]) - s->start[d];    \
            double f = floor(nearest ? u + 0.5 : u);                       \
            ptrdiff_t i = (ptrdiff_t)f;                                    \
            t[d] = (float)(u - f);                                         \
            i0[d] = i < 0 ? 0 : i > s->last[d] ? s->last[d] : i;           \
            i1[d] = i + 1 > s->last[d] ? s->last[d] : i + 1;               \
        }                                                                  \
        const float *p0 = s->data + i0[2] * s->sz;                         \
        if (nearest)                                                       \
            return p0[i0[0] + i0[1] * s->sy];                              \
        const float *p1 = s->data + i1[2] * s->sz;                         \
        ptrdiff_t y0 = i0[1] * s->sy, y1 = i1[1] * s->sy;                  \
        float v000 = p0[i0[0] + y0], v100 = p0[i1[0] + y0];                \
        float v010 = p0[i0[0] + y1], v110 = p0[i1[0] + y1];                \
        float v001 = p1[i0[0] + y0], v101 = p1[i1[0] + y0];                \
        float v011 = p1[i0[0] + y1], v111 = p1[i1[0] + y1];                \
        float a00 = MADDF(t[0], v100 - v000, v000);                        \
        float a10 = MADDF(t[0], v110 - v010, v010);                        \
        float a01 = MADDF(t[0], v101 - v001, v001);                        \
        float a11 = MADDF(t[0], v111 - v011, v011);                        \
        float b0 = MADDF(t[1], a10 - a00, a00);                            \
        float b1 = MADDF(t[1], a11 - a01, a01);                            \
        return MADDF(t[2], b1 - b0, b0);                                   \
    }                                                                      \
    /* The parts of the row: default outside, clamped near the border;    \
     * interior(x, y) fills the voxels that need neither. */               \
    ATTR static void row_##V(const f32_src_t *s, const double *base,       \
                             const double *step, size_t x0, size_t x1,     \
                             double dflt, bool nearest, float *out)        \
    {                                                                      \
        static const double zero[3] = { 0.0, 0.0, 0.0 };                   \
        size_t xa, xb, ia, ib;                                             \
        span_##V(base, step, zero, s->lo, s->hi, x0, x1, &xa, &xb);        \
        for (size_t x = x0; x < xa; x++)                                   \
            out[x - x0] = (float)dflt;                                     \
        for (size_t x = xb; x < x1; x++)                                   \
            out[x - x0] = (float)dflt;                                     \
        if (nearest) {                                                     \
            ia = xa, ib = xb;                                              \
        } else {                                                           \
            /* 0 <= u < last: both neighbours inside, unclamped */        \
            double top[3];                                                 \
            for (unsigned d = 0; d < 3; d++)                               \
                top[d] = (double)s->last[d];                               \
            span_##V(base, step, s->start, zero, top, xa, xb, &ia, &ib);   \
            if (ia == ib)                                                  \
                ia = ib = xb;                                              \
        }                                                                  \
        for (size_t x = xa; x < ia; x++)                                   \
            out[x - x0] = voxel_##V(s, base, step, x, nearest);            \
        for (size_t x = ib; x < xb; x++)                                   \
            out[x - x0] = voxel_##V(s, base, step, x, nearest);            \
        interior_##V(s, base, step, ia, ib, nearest, out + (ia - x0));     \
    }

#define PLAIN_MADD(a, b, c) ((a) * (b) + (c))

/* Interior voxels, any CPU: u >= 0 there, so truncation is floor. */
static void
interior_plain(const f32_src_t *s, const double *base, const double *step,
               size_t xa, size_t xb, bool nearest, float *out)
{
    const float *data = s->data;
    const ptrdiff_t sy = s->sy, sz = s->sz;
    for (size_t x = xa; x < xb; x++) {
        double u0 = PLAIN_MADD(step[0], (double)x, base[0]) - s->start[0];
        double u1 = PLAIN_MADD(step[1], (double)x, base[1]) - s->start[1];
        double u2 = PLAIN_MADD(step[2], (double)x, base[2]) - s->start[2];
        if (nearest) {
            /* u + 0.5 can round up to the size: clamp as the library */
            ptrdiff_t i = (ptrdiff_t)(u0 + 0.5), j = (ptrdiff_t)(u1 + 0.5);
            ptrdiff_t k = (ptrdiff_t)(u2 + 0.5);
            i = i > s->last[0] ? s->last[0] : i;
            j = j > s->last[1] ? s->last[1] : j;
            k = k > s->last[2] ? s->last[2] : k;
            out[x - xa] = data[i + j * sy + k * sz];
            continue;
        }
        ptrdiff_t i = (ptrdiff_t)u0, j = (ptrdiff_t)u1, k = (ptrdiff_t)u2;
        float tx = (float)(u0 - (double)i), ty = (float)(u1 - (double)j);
        float tz = (float)(u2 - (double)k);
        const float *p = data + i + j * sy + k * sz;
        float a00 = PLAIN_MADD(tx, p[1] - p[0], p[0]);
        float a10 = PLAIN_MADD(tx, p[sy + 1] - p[sy], p[sy]);
        float a01 = PLAIN_MADD(tx, p[sz + 1] - p[sz], p[sz]);
        float a11 = PLAIN_MADD(tx, p[sz + sy + 1] - p[sz + sy], p[sz + sy]);
        float b0 = PLAIN_MADD(ty, a10 - a00, a00);
        float b1 = PLAIN_MADD(ty, a11 - a01, a01);
        out[x - xa] = PLAIN_MADD(tz, b1 - b0, b0);
    }
}

ROW_KERNELS(plain, , PLAIN_MADD, PLAIN_MADD)

#ifdef PIPIT__HAVE_V3
#include <immintrin.h>
#define AVX2 PIPIT__V3
#define FUSED_MADD(a, b, c) __builtin_fma((a), (b), (c))
#define FUSED_MADDF(a, b, c) __builtin_fmaf((a), (b), (c))

/*
 * The interior with fused multiply-adds. (Eight voxels at a time with
 * AVX2 gathers was slower on the AMD EPYC we measure on: a gather costs
 * about as much as its eight loads.)
 */
AVX2 static void
interior_avx2(const f32_src_t *s, const double *base, const double *step,
              size_t xa, size_t xb, bool nearest, float *out)
{
    const float *data = s->data;
    const ptrdiff_t sy = s->sy, sz = s->sz;
    const double half = nearest ? 0.5 : 0.0;
    /* Named scalars, not arrays: the loop keeps them in registers. */
    const double c0 = base[0], c1 = base[1], c2 = base[2];
    const double s0 = step[0], s1 = step[1], s2 = step[2];
    const double o0 = s->start[0], o1 = s->start[1], o2 = s->start[2];
    const ptrdiff_t l0 = s->last[0], l1 = s->last[1], l2 = s->last[2];
    size_t x = xa;
    /* Four voxels at a time: positions, indices and weights in vectors
     * (the same operations as the scalar code below, so the same bits),
     * then four independent interpolations the core can overlap. */
    const __m256d C0 = _mm256_set1_pd(c0), C1 = _mm256_set1_pd(c1),
                  C2 = _mm256_set1_pd(c2);
    const __m256d S0 = _mm256_set1_pd(s0), S1 = _mm256_set1_pd(s1),
                  S2 = _mm256_set1_pd(s2);
    const __m256d O0 = _mm256_set1_pd(o0), O1 = _mm256_set1_pd(o1),
                  O2 = _mm256_set1_pd(o2), H = _mm256_set1_pd(half);
    const __m128i L0 = _mm_set1_epi32((int)l0), L1 = _mm_set1_epi32((int)l1),
                  L2 = _mm_set1_epi32((int)l2);
    const __m128i SY = _mm_set1_epi32((int)sy), SZ = _mm_set1_epi32((int)sz);
    for (; x + 4 <= xb; x += 4) {
        __m256d xd = _mm256_add_pd(_mm256_set1_pd((double)x),
                                   _mm256_setr_pd(0.0, 1.0, 2.0, 3.0));
        __m256d u0 = _mm256_add_pd(
            _mm256_sub_pd(_mm256_fmadd_pd(S0, xd, C0), O0), H);
        __m256d u1 = _mm256_add_pd(
            _mm256_sub_pd(_mm256_fmadd_pd(S1, xd, C1), O1), H);
        __m256d u2 = _mm256_add_pd(
            _mm256_sub_pd(_mm256_fmadd_pd(S2, xd, C2), O2), H);
        __m128i i0 = _mm256_cvttpd_epi32(u0), i1 = _mm256_cvttpd_epi32(u1);
        __m128i i2 = _mm256_cvttpd_epi32(u2);
        if (nearest) {
            i0 = _mm_min_epi32(i0, L0);
            i1 = _mm_min_epi32(i1, L1);
            i2 = _mm_min_epi32(i2, L2);
        }
        __m128i off = _mm_add_epi32(
            i0, _mm_add_epi32(_mm_mullo_epi32(i1, SY), _mm_mullo_epi32(i2, SZ)));
        int o[4];
        _mm_storeu_si128((__m128i *)(void *)o, off);
        if (nearest) {
            for (int l = 0; l < 4; l++)
                out[x - xa + (size_t)l] = data[o[l]];
            continue;
        }
        float t0[4], t1[4], t2[4];
        _mm_storeu_ps(t0, _mm256_cvtpd_ps(
                              _mm256_sub_pd(u0, _mm256_cvtepi32_pd(i0))));
        _mm_storeu_ps(t1, _mm256_cvtpd_ps(
                              _mm256_sub_pd(u1, _mm256_cvtepi32_pd(i1))));
        _mm_storeu_ps(t2, _mm256_cvtpd_ps(
                              _mm256_sub_pd(u2, _mm256_cvtepi32_pd(i2))));
        for (int l = 0; l < 4; l++) {
            const float *p = data + o[l];
            const float tx = t0[l], ty = t1[l], tz = t2[l];
            float a00 = FUSED_MADDF(tx, p[1] - p[0], p[0]);
            float a10 = FUSED_MADDF(tx, p[sy + 1] - p[sy], p[sy]);
            float a01 = FUSED_MADDF(tx, p[sz + 1] - p[sz], p[sz]);
            float a11 =
                FUSED_MADDF(tx, p[sz + sy + 1] - p[sz + sy], p[sz + sy]);
            float e0 = FUSED_MADDF(ty, a10 - a00, a00);
            float e1 = FUSED_MADDF(ty, a11 - a01, a01);
            out[x - xa + (size_t)l] = FUSED_MADDF(tz, e1 - e0, e0);
        }
    }
    for (; x < xb; x++) {
        const double xd = (double)x;
        /* the expression of in_avx2 and voxel_avx2 */
        double u0 = (FUSED_MADD(s0, xd, c0) - o0) + half;
        double u1 = (FUSED_MADD(s1, xd, c1) - o1) + half;
        double u2 = (FUSED_MADD(s2, xd, c2) - o2) + half;
        ptrdiff_t i = (ptrdiff_t)u0, j = (ptrdiff_t)u1, k = (ptrdiff_t)u2;
        if (nearest) {
            /* u + 0.5 can round up to the size; clamp */
            i = i > l0 ? l0 : i;
            j = j > l1 ? l1 : j;
            k = k > l2 ? l2 : k;
            out[x - xa] = data[i + j * sy + k * sz];
            continue;
        }
        float tx = (float)(u0 - (double)i), ty = (float)(u1 - (double)j);
        float tz = (float)(u2 - (double)k);
        const float *p = data + i + j * sy + k * sz;
        float a00 = FUSED_MADDF(tx, p[1] - p[0], p[0]);
        float a10 = FUSED_MADDF(tx, p[sy + 1] - p[sy], p[sy]);
        float a01 = FUSED_MADDF(tx, p[sz + 1] - p[sz], p[sz]);
        float a11 = FUSED_MADDF(tx, p[sz + sy + 1] - p[sz + sy], p[sz + sy]);
        float e0 = FUSED_MADDF(ty, a10 - a00, a00);
        float e1 = FUSED_MADDF(ty, a11 - a01, a01);
        out[x - xa] = FUSED_MADDF(tz, e1 - e0, e0);
    }
}

ROW_KERNELS(avx2, AVX2, FUSED_MADD, FUSED_MADDF)
#endif

/* Chooses the row function once: AVX2 when the CPU has it and every
 * offset fits the gathers' 32-bit indices. */
static f32_row_fn
pick_f32_row(const pipit_interpolator_t *ip)
{
#ifdef PIPIT__HAVE_V3
    if (ip->size[0] * ip->size[1] * ip->size[2] < (size_t)INT32_MAX / 2 &&
        pipit__cpu_v3())
        return row_avx2;
#endif
    (void)ip;
    return row_plain;
}

/* ---- 3-D cubic B-spline through an affine map ----------------------- */

/*
 * The library's cubic B-spline interpolator, inlined for rows: the same
 * coefficients (its prefilter, mirror boundary), the inside box of the
 * buffered region, and the value Σ w2[k] Σ w1[j] Σ w0[i] a[s + (i, j, k)]
 * with s = floor(u) - 1. Voxels whose 4 x 4 x 4 support lies inside
 * the coefficients (1 <= u < n - 2 on every axis) skip the mirror.
 */


/* The cubic weights of the library's B-spline (no derivatives). */
#define CUBIC_WEIGHTS(t, w) pipit__bspline_weights(3, (t), (w), NULL)

#define CUBIC_KERNELS(V, ATTR, MADD)                                       \
    /* Near the border: indices folded by the mirror. */                  \
    ATTR static double cubic_edge_##V(const cubic_src_t *s,               \
                                      const double *base,                 \
                                      const double *step, size_t x)       \
    {                                                                      \
        double w[3][4];                                                    \
        ptrdiff_t o[3][4];                                                 \
        for (unsigned d = 0; d < 3; d++) {                                 \
            double u = MADD(step[d], (double)x, base[d]) - s->start[d];    \
            double f = floor(u);                                           \
            CUBIC_WEIGHTS(u - f, w[d]);                                    \
            for (ptrdiff_t j = 0; j < 4; j++)                              \
                o[d][j] = pipit__bspline_mirror((ptrdiff_t)f - 1 + j,     \
                                                s->n[d]) *                 \
                          (d == 0 ? 1 : d == 1 ? s->sy : s->sz);           \
        }                                                                  \
        double v = 0.0;                                                    \
        for (int k = 0; k < 4; k++) {                                      \
            double p = 0.0;                                                \
            for (int j = 0; j < 4; j++) {                                  \
                const double *row = s->coef + o[2][k] + o[1][j];           \
                double q = w[0][0] * row[o[0][0]] + w[0][1] * row[o[0][1]] + \
                           w[0][2] * row[o[0][2]] + w[0][3] * row[o[0][3]]; \
                p += w[1][j] * q;                                          \
            }                                                              \
            v += w[2][k] * p;                                              \
        }                                                                  \
        return v;                                                          \
    }                                                                      \
    ATTR static void cubic_row_##V(const cubic_src_t *s,                  \
                                   const double *base, const double *step, \
                                   size_t x0, size_t x1, double dflt,      \
                                   double *out)                            \
    {                                                                      \
        static const double zero[3] = { 0.0, 0.0, 0.0 };                   \
        size_t xa, xb, ia, ib;                                             \
        span_##V(base, step, zero, s->lo, s->hi, x0, x1, &xa, &xb);        \
        for (size_t x = x0; x < xa; x++)                                   \
            out[x - x0] = dflt;                                            \
        for (size_t x = xb; x < x1; x++)                                   \
            out[x - x0] = dflt;                                            \
        const double one[3] = { 1.0, 1.0, 1.0 };                           \
        double top[3];                                                     \
        for (unsigned d = 0; d < 3; d++)                                   \
            top[d] = (double)s->n[d] - 2.0;                                \
        span_##V(base, step, s->start, one, top, xa, xb, &ia, &ib);        \
        if (ia == ib)                                                      \
            ia = ib = xb;                                                  \
        for (size_t x = xa; x < ia; x++)                                   \
            out[x - x0] = cubic_edge_##V(s, base, step, x);                \
        for (size_t x = ib; x < xb; x++)                                   \
            out[x - x0] = cubic_edge_##V(s, base, step, x);                \
        cubic_inner_##V(s, base, step, ia, ib, out + (ia - x0));           \
    }

/* The interior, any CPU. */
static void
cubic_inner_plain(const cubic_src_t *s, const double *base,
                  const double *step, size_t xa, size_t xb, double *out)
{
    for (size_t x = xa; x < xb; x++) {
        double w[3][4];
        const double *p = s->coef;
        for (unsigned d = 0; d < 3; d++) {
            double u = PLAIN_MADD(step[d], (double)x, base[d]) - s->start[d];
            ptrdiff_t i = (ptrdiff_t)u; /* u >= 1 here */
            CUBIC_WEIGHTS(u - (double)i, w[d]);
            p += (i - 1) * (d == 0 ? 1 : d == 1 ? s->sy : s->sz);
        }
        double v = 0.0;
        for (int k = 0; k < 4; k++) {
            double q = 0.0;
            for (int j = 0; j < 4; j++) {
                const double *row = p + k * s->sz + j * s->sy;
                q += w[1][j] * (w[0][0] * row[0] + w[0][1] * row[1] +
                                w[0][2] * row[2] + w[0][3] * row[3]);
            }
            v += w[2][k] * q;
        }
        out[x - xa] = v;
    }
}

CUBIC_KERNELS(plain, , PLAIN_MADD)

#ifdef PIPIT__HAVE_V3
/* The interior with AVX2: the four x taps of each of the 16 rows are one
 * vector, weighted by w1[j] w2[k] and summed, then dotted with w0. */
AVX2 static void
cubic_inner_avx2(const cubic_src_t *s, const double *base,
                 const double *step, size_t xa, size_t xb, double *out)
{
    const ptrdiff_t sy = s->sy, sz = s->sz;
    for (size_t x = xa; x < xb; x++) {
        double w[3][4];
        const double *p = s->coef;
        for (unsigned d = 0; d < 3; d++) {
            double u = FUSED_MADD(step[d], (double)x, base[d]) - s->start[d];
            ptrdiff_t i = (ptrdiff_t)u; /* u >= 1 here */
            CUBIC_WEIGHTS(u - (double)i, w[d]);
            p += (i - 1) * (d == 0 ? 1 : d == 1 ? sy : sz);
        }
        const __m256d w1 = _mm256_loadu_pd(w[1]);
        __m256d acc = _mm256_setzero_pd();
        for (int k = 0; k < 4; k++) {
            const __m256d wk = _mm256_mul_pd(w1, _mm256_set1_pd(w[2][k]));
            double wjk[4];
            _mm256_storeu_pd(wjk, wk);
            const double *plane = p + k * sz;
            acc = _mm256_fmadd_pd(_mm256_set1_pd(wjk[0]),
                                  _mm256_loadu_pd(plane), acc);
            acc = _mm256_fmadd_pd(_mm256_set1_pd(wjk[1]),
                                  _mm256_loadu_pd(plane + sy), acc);
            acc = _mm256_fmadd_pd(_mm256_set1_pd(wjk[2]),
                                  _mm256_loadu_pd(plane + 2 * sy), acc);
            acc = _mm256_fmadd_pd(_mm256_set1_pd(wjk[3]),
                                  _mm256_loadu_pd(plane + 3 * sy), acc);
        }
        __m256d d = _mm256_mul_pd(acc, _mm256_loadu_pd(w[0]));
        __m128d h = _mm_add_pd(_mm256_castpd256_pd128(d),
                               _mm256_extractf128_pd(d, 1));
        out[x - xa] = _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
    }
}

CUBIC_KERNELS(avx2, AVX2, FUSED_MADD)
#endif

static cubic_row_fn
pick_cubic_row(void)
{
#ifdef PIPIT__HAVE_V3
    if (pipit__cpu_v3())
        return cubic_row_avx2;
#endif
    return cubic_row_plain;
}

/* ---- entry points --------------------------------------------------- */

bool
pipit__interpolator_row_f32_ok(const pipit_interpolator_t *ip)
{
    return ip->dim == 3 && ip->type == PIPIT_F32 &&
           (ip->kind == PIPIT__KIND_NEAREST || ip->kind == PIPIT__KIND_LINEAR);
}

void
pipit__interpolator_row_f32(const pipit_interpolator_t *ip,
                            const double *base, const double *step,
                            size_t x0, size_t x1, float *out)
{
    f32_src_t s;
    f32_src_init(&s, ip);
    pick_f32_row(ip)(&s, base, step, x0, x1, ip->dflt,
                     ip->kind == PIPIT__KIND_NEAREST, out);
}

void
pipit__interpolator_row(const pipit_interpolator_t *ip, const double *base,
                        const double *step, size_t x0, size_t x1,
                        double *out)
{
    if (ip->dim == 3 && ip->kind == PIPIT__KIND_BSPLINE && ip->order == 3 &&
        ip->type == PIPIT_F64) {
        cubic_src_t c;
        c.coef = (const double *)(const void *)ip->data;
        c.sy = (ptrdiff_t)ip->size[0];
        c.sz = (ptrdiff_t)(ip->size[0] * ip->size[1]);
        for (unsigned d = 0; d < 3; d++) {
            c.n[d] = (ptrdiff_t)ip->size[d];
            c.start[d] = ip->start[d];
            c.lo[d] = ip->lo[d];
            c.hi[d] = ip->hi[d];
        }
        pick_cubic_row()(&c, base, step, x0, x1, ip->dflt, out);
        return;
    }
    /* Blocks of indices on the stack, then the batch kernel. */
    enum { BLOCK = 64 };
    double c[BLOCK * PIPIT_MAX_DIM];
    const unsigned dim = ip->dim;
    pipit__interp_batch_fn fn = ip->batch[pipit__cpu_v3() ? 1 : 0];
    for (size_t xb = x0; xb < x1; xb += BLOCK) {
        size_t m = x1 - xb < BLOCK ? x1 - xb : BLOCK;
        for (size_t i = 0; i < m; i++)
            for (unsigned d = 0; d < dim; d++)
                c[i * dim + d] = base[d] + step[d] * (double)(xb + i);
        fn(ip, m, c, out + (xb - x0), NULL);
    }
}

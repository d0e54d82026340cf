/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resample: ITK's ResampleImageFilter and elastix's resampler:
 *     out(x) = input(T(x))  for each voxel x of the output grid,
 * x and T(x) physical points, T any pipit transform (identity when none
 * is set), the input read through the chosen interpolator (nearest,
 * linear, B-spline of order 0..5 with its prefilter); points outside the
 * input get default_value. The output grid is input 1's when a reference
 * image is connected, else the size / spacing / origin / direction
 * settings, else (size 0) the input's own grid.
 *
 * When T is affine, the output index maps to the input's continuous
 * index by one affine map c = M·i + b, evaluated per voxel from its row's
 * start (so any piece gives the same values); entries of M and b within
 * 1e-9 of an integer are rounded to it, so grid-aligned maps (the
 * identity, 90° rotations, integer shifts) sample exactly on voxels and
 * copy them bit for bit. The same map bounds the input region a piece
 * needs, so nearest and linear resampling stream; B-splines of order 2+
 * (their prefilter is global) and non-affine transforms ask for the
 * whole input. Output pixel type: `type` (default: the input's),
 * integers rounded to nearest and clamped.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "smooth_impl.h"

#include "bspline_impl.h" /* the coefficient prefilter */

#define MAXD PIPIT_MAX_DIM

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

typedef struct {
    pipit_node_t base;
    double size[MAXD], spacing[MAXD], origin[MAXD];
    char *direction;
    int interp;
    int64_t order;
    double dflt;
    int out_type;
    pipit_transform_t *transform;
    /* From the information pass: the index map when affine. */
    bool affine;
    double m[MAXD * MAXD], b[MAXD];
    /* From before. */
    pipit_interpolator_t *ip;
    f32_row_fn fast; /* 3-D f32 nearest / linear, or NULL */
    /* 3-D cubic B-spline through an affine map: our own coefficients
     * (kept for the next update) and row function, else NULL. */
    cubic_row_fn cubic;
    cubic_src_t csrc;
    double *coef;
    size_t coef_cap;
    pipit__scratch_t scratch;
} resample_t;

/* ---- the output grid --------------------------------------------------- */

#define DIRECTION_TOL 1e-4

static pipit_status_t
parse_direction(const pipit_node_t *n, const char *text, unsigned dim,
                double *dir)
{
    for (unsigned i = 0; i < dim * dim; i++)
        dir[i] = i % (dim + 1) == 0 ? 1.0 : 0.0;
    if (text == NULL || *text == '\0')
        return PIPIT_OK;
    const char *p = text;
    for (unsigned i = 0; i < dim * dim; i++) {
        char *end;
        while (*p == ' ' || *p == ',')
            p++;
        dir[i] = strtod(p, &end);
        if (end == p || !isfinite(dir[i]))
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "direction '%s': needs %u numbers "
                                     "(row-major)",
                                     text, dim * dim);
        p = end;
    }
    while (*p == ' ' || *p == ',')
        p++;
    if (*p != '\0')
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "direction '%s': more than %u numbers",
                                 text, dim * dim);
    /* Direction cosines: the columns must be orthonormal, every entry of
     * D^T D within DIRECTION_TOL of the identity's (a scale or a shear
     * belongs in the spacing or the transform; 1e308 gave an all-zero
     * image). The tolerance admits cosines written to 4 digits. */
    for (unsigned a = 0; a < dim; a++)
        for (unsigned b = 0; b < dim; b++) {
            double dot = 0.0;
            for (unsigned k = 0; k < dim; k++)
                dot += dir[k * dim + a] * dir[k * dim + b];
            if (!(fabs(dot - (a == b ? 1.0 : 0.0)) <= DIRECTION_TOL))
                return pipit__node_error(n, PIPIT_EINVAL,
                                         "direction '%s': the columns are "
                                         "not orthonormal (column %u . "
                                         "column %u = %g; tolerance %g)",
                                         text, a, b, dot, DIRECTION_TOL);
        }
    return PIPIT_OK;
}

static pipit_status_t
grid_from_settings(resample_t *r, pipit_image_t *out, unsigned dim,
                   pipit_pixel_type_t type)
{
    pipit_node_t *n = &r->base;
    size_t size[MAXD];
    double dir[MAXD * MAXD];
    pipit_status_t st;
    for (unsigned d = 0; d < dim; d++) {
        if (!(r->size[d] >= 1.0) || r->size[d] != floor(r->size[d]) ||
            r->size[d] > 1e12)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "size %g on axis %u: must be a whole "
                                     "number >= 1",
                                     r->size[d], d);
        size[d] = (size_t)r->size[d];
        if (!(r->spacing[d] > 0.0))
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "spacing %g on axis %u: must be > 0",
                                     r->spacing[d], d);
    }
    if ((st = parse_direction(n, r->direction, dim, dir)) != PIPIT_OK)
        return st;
    if ((st = pipit__image_set_shape(out, dim, size, type, 1)) != PIPIT_OK ||
        (st = pipit_image_set_spacing(out, r->spacing)) != PIPIT_OK ||
        (st = pipit_image_set_origin(out, r->origin)) != PIPIT_OK ||
        (st = pipit_image_set_direction(out, dir)) != PIPIT_OK)
        pipit__error_prefix("%s", n->klass->name);
    return st;
}

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
f32_src_init(f32_src_t *s, const pipit_image_t *in)
{
    const pipit_region_t *b = &in->buffered;
    s->data = (const float *)(const void *)in->data;
    s->sy = in->stride[1] / (ptrdiff_t)sizeof(float);
    s->sz = in->stride[2] / (ptrdiff_t)sizeof(float);
    for (unsigned d = 0; d < 3; d++) {
        s->start[d] = (double)b->lo[d];
        s->lo[d] = s->start[d] - 0.5;
        s->hi[d] = (double)b->hi[d] - 0.5;
        s->last[d] = (ptrdiff_t)(b->hi[d] - b->lo[d]) - 1;
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

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#define AVX2 __attribute__((target("avx2,fma")))
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
pick_f32_row(const pipit_image_t *in)
{
#ifdef HAVE_AVX2_PATH
    if (pipit_region_count(&in->buffered) < (size_t)INT32_MAX / 2 &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return row_avx2;
#endif
    (void)in;
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
static inline ptrdiff_t
mirror(ptrdiff_t k, ptrdiff_t n)
{
    if (n == 1)
        return 0;
    ptrdiff_t period = 2 * (n - 1);
    k = (k < 0 ? -k : k) % period;
    return k < n ? k : period - k;
}

static inline void
cubic_weights(double t, double *w)
{
    double u = 1.0 - t, t2 = t * t, u2 = u * u;
    w[0] = u2 * u / 6.0;
    w[1] = 2.0 / 3.0 - t2 + 0.5 * t2 * t;
    w[2] = 2.0 / 3.0 - u2 + 0.5 * u2 * u;
    w[3] = t2 * t / 6.0;
}

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
            cubic_weights(u - f, w[d]);                                    \
            for (ptrdiff_t j = 0; j < 4; j++)                              \
                o[d][j] = mirror((ptrdiff_t)f - 1 + j, s->n[d]) *          \
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
            cubic_weights(u - (double)i, w[d]);
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

#ifdef HAVE_AVX2_PATH
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
            cubic_weights(u - (double)i, w[d]);
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
#ifdef HAVE_AVX2_PATH
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return cubic_row_avx2;
#endif
    return cubic_row_plain;
}

typedef struct {
    const pipit_image_t *in;
    double *coef;
} coef_job_t;

static pipit_status_t
coef_rows(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const coef_job_t *j = ctx;
    const pipit_region_t *b = &j->in->buffered;
    size_t nx = b->hi[0] - b->lo[0], ny = b->hi[1] - b->lo[1];
    (void)worker, (void)acc;
    for (size_t i = lo; i < hi; i++)
        pipit__row_load_f64(pipit__at(j->in, b->lo[0], b->lo[1] + i % ny,
                                      b->lo[2] + i / ny, b->lo[3]),
                            j->in->type, nx, j->coef + i * nx);
    return PIPIT_OK;
}

/* The cubic coefficients of the input's buffered region, in r->coef. */
static pipit_status_t
cubic_prepare(resample_t *r, const pipit_image_t *in)
{
    const pipit_region_t *b = &in->buffered;
    size_t count = pipit_region_count(b);
    if (r->coef == NULL || r->coef_cap < count) {
        size_t bytes;
        pipit__free(r->coef);
        r->coef = NULL, r->coef_cap = 0;
        if (pipit__mul_overflows(count, sizeof(double), &bytes))
            return pipit__node_error(&r->base, PIPIT_ERANGE,
                                     "%zu coefficients is too many", count);
        if ((r->coef = pipit__aligned_alloc(bytes)) == NULL)
            return PIPIT_ENOMEM;
        r->coef_cap = count;
    }
    coef_job_t j = { in, r->coef };
    size_t size[3];
    for (unsigned d = 0; d < 3; d++)
        size[d] = b->hi[d] - b->lo[d];
    pipit_status_t st =
        pipit_parallel_for(size[1] * size[2], 0, coef_rows, &j);
    if (st == PIPIT_OK)
        st = pipit__bspline_prefilter_f64(r->coef, 3, size, 3);
    if (st != PIPIT_OK)
        return st;
    cubic_src_t *c = &r->csrc;
    c->coef = r->coef;
    c->sy = (ptrdiff_t)size[0];
    c->sz = (ptrdiff_t)(size[0] * size[1]);
    for (unsigned d = 0; d < 3; d++) {
        c->n[d] = (ptrdiff_t)size[d];
        c->start[d] = (double)b->lo[d];
        c->lo[d] = c->start[d] - 0.5;
        c->hi[d] = (double)b->hi[d] - 0.5;
    }
    r->cubic = pick_cubic_row();
    return PIPIT_OK;
}

/* ---- hooks ------------------------------------------------------------- */

static pipit_status_t
resample_information(pipit_node_t *n)
{
    resample_t *r = (resample_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *ref = pipit__input(n, 1);
    pipit_image_t *out = pipit__output(n, 0);
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    pipit_pixel_type_t type = pipit__output_type(r->out_type, in->type);
    if (r->transform != NULL && pipit_transform_dim(r->transform) != in->dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the transform is %u-D but the image is "
                                 "%u-D",
                                 pipit_transform_dim(r->transform), in->dim);
    if (r->interp >= PIPIT__INTERP_BSPLINE && (r->order < 0 || r->order > 5))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "B-spline order %lld: must be 0..5",
                                 (long long)r->order);
    /* A direction is checked whenever given, and refused where it would
     * be ignored: it shapes only a grid made from the settings. */
    if (r->direction != NULL && r->direction[0] != '\0') {
        double dir[MAXD * MAXD];
        if ((st = parse_direction(n, r->direction, in->dim, dir)) !=
            PIPIT_OK)
            return st;
        if (ref != NULL || r->size[0] == 0.0)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "direction '%s' is set but the output "
                                     "grid is the %s's: set size too",
                                     r->direction,
                                     ref != NULL ? "reference" : "input");
    }
    if (ref != NULL) {
        if (ref->dim != in->dim)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "the reference image is %u-D but the "
                                     "input is %u-D",
                                     ref->dim, in->dim);
        st = pipit__image_set_shape(out, ref->dim, ref->size, type, 1);
        if (st == PIPIT_OK)
            st = pipit_image_copy_geometry(out, ref);
    } else if (r->size[0] == 0.0) {
        st = pipit__information_as(n, type, 1);
    } else {
        st = grid_from_settings(r, out, in->dim, type);
    }
    if (st != PIPIT_OK)
        return st;
    r->affine = pipit__index_map(r->transform, in, out, r->m, r->b);
    return PIPIT_OK;
}

/* True when the region a piece reads can be bounded by the index map. */
static bool
streams(const resample_t *r)
{
    return r->affine &&
           (r->interp <= PIPIT__INTERP_LINEAR || r->order <= 1);
}

static pipit_status_t
resample_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
                 pipit_region_t *needed)
{
    const resample_t *r = (const resample_t *)n;
    const pipit_image_t *in = pipit__input(n, input);
    pipit_region_t whole = pipit_image_largest_region(in);
    size_t one[MAXD] = { 1, 1, 1, 1 }, zero[MAXD] = { 0 };
    if (input == 1) {
        /* Only the reference's grid is used: ask for one voxel. */
        *needed = pipit_region_make(in->dim, zero, one);
        return PIPIT_OK;
    }
    if (!streams(r) || pipit_region_is_empty(asked)) {
        *needed = whole;
        return PIPIT_OK;
    }
    const unsigned dim = in->dim;
    double lo[MAXD], hi[MAXD];
    for (unsigned d = 0; d < dim; d++)
        lo[d] = INFINITY, hi[d] = -INFINITY;
    for (unsigned k = 0; k < (1u << dim); k++)
        for (unsigned d = 0; d < dim; d++) {
            double c = r->b[d];
            for (unsigned e = 0; e < dim; e++) {
                size_t i = (k >> e) & 1u ? asked->hi[e] - 1 : asked->lo[e];
                c += r->m[d * dim + e] * (double)i;
            }
            lo[d] = fmin(lo[d], c);
            hi[d] = fmax(hi[d], c);
        }
    *needed = whole;
    for (unsigned d = 0; d < dim; d++) {
        /* One voxel of margin for the linear neighbour and rounding. */
        double a = floor(lo[d]) - 1.0, z = ceil(hi[d]) + 2.0;
        if (!(a < (double)whole.hi[d]) || !(z > 0.0)) {
            /* Nothing of the input is seen: one voxel keeps every
             * interpolator happy and every point outside. */
            *needed = pipit_region_make(dim, zero, one);
            return PIPIT_OK;
        }
        needed->lo[d] = a <= 0.0 ? 0 : (size_t)a;
        needed->hi[d] = z >= (double)whole.hi[d] ? whole.hi[d] : (size_t)z;
    }
    return PIPIT_OK;
}

static void
release(resample_t *r)
{
    pipit_interpolator_unref(r->ip);
    r->ip = NULL;
    pipit__scratch_free(&r->scratch);
}

static pipit_status_t
resample_before(pipit_node_t *n)
{
    resample_t *r = (resample_t *)n;
    release(r);
    if (pipit_region_is_empty(&n->requested[0]))
        return PIPIT_OK;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_region_t *g = &n->requested[0];
    pipit_status_t st;
    r->fast = NULL;
    r->cubic = NULL;
    if (r->affine && in->dim == 3 && r->interp == PIPIT__INTERP_BSPLINE &&
        r->order == 3) {
        if ((st = cubic_prepare(r, in)) != PIPIT_OK)
            return st;
        return pipit__scratch_init(&r->scratch,
                                   (g->hi[0] - g->lo[0]) * sizeof(double));
    }
    st = pipit__interpolator_make(n, in, r->interp, r->order, r->dflt,
                                  &r->ip);
    if (st != PIPIT_OK)
        return st;
    if (r->affine && in->dim == 3 && in->type == PIPIT_F32 &&
        r->interp <= PIPIT__INTERP_LINEAR)
        r->fast = pick_f32_row(in);
    return pipit__scratch_init(&r->scratch,
                               (g->hi[0] - g->lo[0]) * sizeof(double));
}

static pipit_status_t
resample_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const resample_t *r = (const resample_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *g = &p->region;
    const unsigned dim = out->dim;
    double *vals = pipit__scratch_get(&r->scratch, p->worker);
    if (vals == NULL)
        return pipit__scratch_error(n, p->worker);
    const bool fast = r->fast != NULL;
    f32_src_t src;
    if (fast)
        f32_src_init(&src, in);
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            double idx[MAXD] = { 0.0, (double)y, (double)z, 0.0 };
            if (r->affine) {
                /* c(x) = base + step·x, base from this row alone. */
                double base[MAXD], step[MAXD];
                for (unsigned d = 0; d < dim; d++) {
                    double s = r->b[d];
                    for (unsigned e = 1; e < dim; e++)
                        s += r->m[d * dim + e] * idx[e];
                    base[d] = s;
                    step[d] = r->m[d * dim];
                }
                if (r->cubic != NULL) {
                    r->cubic(&r->csrc, base, step, g->lo[0], g->hi[0],
                             r->dflt, vals);
                } else if (fast) {
                    /* float values: straight into an f32 output */
                    char *dst = pipit__at(out, g->lo[0], y, z, g->lo[3]);
                    float *f = out->type == PIPIT_F32
                                   ? (float *)(void *)dst
                                   : (float *)(void *)vals;
                    r->fast(&src, base, step, g->lo[0], g->hi[0], r->dflt,
                            r->interp == PIPIT__INTERP_NEAREST, f);
                    if (out->type != PIPIT_F32)
                        pipit__row_store_f32(f, g->hi[0] - g->lo[0], dst,
                                             out->type);
                    continue;
                } else {
                    for (size_t x = g->lo[0]; x < g->hi[0]; x++) {
                        double c[MAXD];
                        for (unsigned d = 0; d < dim; d++)
                            c[d] = base[d] + step[d] * (double)x;
                        pipit_interpolator_evaluate(r->ip, c,
                                                    &vals[x - g->lo[0]],
                                                    NULL);
                    }
                }
            } else {
                for (size_t x = g->lo[0]; x < g->hi[0]; x++) {
                    double pt[MAXD], q[MAXD], c[MAXD];
                    idx[0] = (double)x;
                    pipit_image_index_to_point(out, idx, pt);
                    pipit_transform_point(r->transform, pt, q);
                    pipit_interpolator_point_to_index(r->ip, q, c);
                    pipit_interpolator_evaluate(r->ip, c,
                                                &vals[x - g->lo[0]], NULL);
                }
            }
            pipit__row_store_f64(vals, g->hi[0] - g->lo[0],
                                 pipit__at(out, g->lo[0], y, z, g->lo[3]),
                                 out->type);
        }
    return PIPIT_OK;
}

static pipit_status_t
resample_after(pipit_node_t *n)
{
    release((resample_t *)n);
    return PIPIT_OK;
}

static void
resample_finalize(pipit_node_t *n)
{
    resample_t *r = (resample_t *)n;
    release(r);
    pipit_transform_unref(r->transform);
    r->transform = NULL;
    pipit__free(r->coef);
    r->coef = NULL;
}

static const pipit_setting_t resample_settings[] = {
    { "size", PIPIT_SETTING_VECTOR, offsetof(resample_t, size), "0",
      "output size per axis; 0: the input's grid (or input 1's)", 0, 1e12,
      NULL },
    { "spacing", PIPIT_SETTING_VECTOR, offsetof(resample_t, spacing), "1",
      "output spacing per axis (with size)", 0, 1e300, NULL },
    { "origin", PIPIT_SETTING_VECTOR, offsetof(resample_t, origin), "0",
      "physical point of output voxel 0 (with size)", 1, 0, NULL },
    { "direction", PIPIT_SETTING_STRING, offsetof(resample_t, direction),
      "", "output direction cosines, row-major (with size; empty: "
          "identity)",
      1, 0, NULL },
    { "interpolator", PIPIT_SETTING_CHOICE, offsetof(resample_t, interp),
      "linear", "how the input is read between voxels", 1, 0,
      pipit__interpolator_choices },
    { "order", PIPIT_SETTING_INT, offsetof(resample_t, order), "3",
      "B-spline order 0..5 (bspline interpolators)", 0, 5, NULL },
    { "default-value", PIPIT_SETTING_DOUBLE, offsetof(resample_t, dflt), "0",
      "value of points outside the input", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(resample_t, out_type),
      "auto", "pixel type of the output (auto: the input's)", 1, 0,
      pipit__output_type_choices },
};

const pipit_node_class_t pipit__resample_class = {
    .name = "resample",
    .help = "out(x) = in(T(x)) on a new grid, any transform and "
            "interpolator (ITK ResampleImageFilter)",
    .size = sizeof(resample_t),
    .n_inputs = 2,
    .n_outputs = 1,
    .optional_inputs = 1u << 1,
    .settings = resample_settings,
    .n_settings = sizeof resample_settings / sizeof resample_settings[0],
    .information = resample_information,
    .request = resample_request,
    .before = resample_before,
    .threaded = resample_threaded,
    .after = resample_after,
    .finalize = resample_finalize,
};

pipit_node_t *
pipit_resample_new(void)
{
    return pipit_node_new(&pipit__resample_class);
}

pipit_status_t
pipit_resample_set_transform(pipit_node_t *n, pipit_transform_t *t)
{
    PIPIT_CHECK_ARG(n != NULL);
    if (n->klass != &pipit__resample_class)
        return pipit__error(PIPIT_EINVAL,
                            "pipit_resample_set_transform: node '%s' is not "
                            "a resample node",
                            n->klass->name);
    resample_t *r = (resample_t *)n;
    pipit_transform_ref(t);
    pipit_transform_unref(r->transform);
    r->transform = t;
    pipit_node_modified(n);
    return PIPIT_OK;
}

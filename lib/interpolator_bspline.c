/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The B-spline interpolator, order 0..5: value and gradient of
 *     f(c) = Σ_k a_k ∏_d β^n(c_d - k_d)
 * over the (n+1)^dim coefficients a_k nearest c, with a mirror boundary
 * (a_{-k} = a_k, a_{N-1+k} = a_{N-1-k}), the one the prefilter assumed.
 * The weights are computed per axis, then combined axis by axis.
 */
#include <math.h>
#include <string.h>

#include <pipit/pool.h>

#include "bspline_impl.h"
#include "error_impl.h"
#include "interpolator_impl.h"


/*
 * Weights, derivative weights (when dw) and byte offsets along axis d;
 * returns the first sample when the whole support lies inside the axis
 * (no mirroring needed), -1 otherwise.
 */
static PIPIT__ALWAYS_INLINE ptrdiff_t
axis_support(const pipit_interpolator_t *ip, unsigned d, double c,
             unsigned order, double *w, double *dw, ptrdiff_t *off)
{
    double t;
    ptrdiff_t s = pipit__bspline_start(order, c - ip->start[d], &t);
    ptrdiff_t n = (ptrdiff_t)ip->size[d], stride = ip->stride[d];
    pipit__bspline_weights(order, t, w, dw);
    if (s >= 0 && s + (ptrdiff_t)order < n) {
        for (unsigned j = 0; j <= order; j++)
            off[j] = (s + (ptrdiff_t)j) * stride;
        return s;
    }
    for (unsigned j = 0; j <= order; j++)
        off[j] = pipit__bspline_mirror(s + (ptrdiff_t)j, n) * stride;
    return -1;
}

/*
 * Adds wy · row[x] into acc[0..order] for one row of coefficients, and
 * the same with weights gy and gz into ay and az when grad. Along x the
 * samples are contiguous away from the border (x0 >= 0), which lets the
 * compiler use vector loads; near it they go through the mirrored
 * offsets.
 */
static PIPIT__ALWAYS_INLINE void
accumulate_row(const char *row, ptrdiff_t x0, const ptrdiff_t *ox,
               unsigned order, pipit_pixel_type_t ct, double wy, double gy,
               double gz, double *acc, double *ay, double *az, bool grad)
{
    double a[6];
    if (x0 >= 0) {
        size_t elem = ct == PIPIT_F32 ? sizeof(float) : sizeof(double);
        const char *p = row + x0 * (ptrdiff_t)elem;
        PIPIT__UNROLL
        for (unsigned i = 0; i <= order; i++)
            a[i] = pipit__load(p + i * elem, ct);
    } else {
        PIPIT__UNROLL
        for (unsigned i = 0; i <= order; i++)
            a[i] = pipit__load(row + ox[i], ct);
    }
    PIPIT__UNROLL
    for (unsigned i = 0; i <= order; i++) {
        acc[i] += wy * a[i];
        if (grad)
            ay[i] += gy * a[i], az[i] += gz * a[i];
    }
}

/*
 * The kernels take the order, the coefficient type and whether to
 * compute the gradient as constants, so each wrapper below compiles to
 * straight unrolled loops. They first sum the rows weighted by their y
 * (and z) weights into one row of order + 1 values, then apply the x
 * weights once: (n+1)^dim multiply-adds on independent lanes rather
 * than one long chain.
 */
static PIPIT__ALWAYS_INLINE void
bspline2(const pipit_interpolator_t *ip, const double *c, double *value,
         double *g, unsigned order, pipit_pixel_type_t ct, bool grad)
{
    if (order == 1) { /* the lerps, with the mirror boundary */
        pipit__lerp2(ip, c, value, grad ? g : NULL, ct, true);
        return;
    }
    double w0[6], w1[6], d0[6], d1[6];
    ptrdiff_t o0[6], o1[6];
    ptrdiff_t x0 = axis_support(ip, 0, c[0], order, w0, grad ? d0 : NULL, o0);
    axis_support(ip, 1, c[1], order, w1, grad ? d1 : NULL, o1);
    double acc[6] = { 0 }, ay[6] = { 0 }, unused[6];
    for (unsigned j = 0; j <= order; j++)
        accumulate_row(ip->data + o1[j], x0, o0, order, ct, w1[j],
                       grad ? d1[j] : 0.0, 0.0, acc, ay, unused, grad);
    double v = 0.0, gx = 0.0, gy = 0.0;
    PIPIT__UNROLL
    for (unsigned i = 0; i <= order; i++) {
        v += w0[i] * acc[i];
        if (grad)
            gx += d0[i] * acc[i], gy += w0[i] * ay[i];
    }
    *value = v;
    if (grad)
        g[0] = gx, g[1] = gy;
}

static PIPIT__ALWAYS_INLINE void
bspline3(const pipit_interpolator_t *ip, const double *c, double *value,
         double *g, unsigned order, pipit_pixel_type_t ct, bool grad)
{
    if (order == 1) { /* the lerps, with the mirror boundary */
        pipit__lerp3(ip, c, value, grad ? g : NULL, ct, true);
        return;
    }
    double w0[6], w1[6], w2[6], d0[6], d1[6], d2[6];
    ptrdiff_t o0[6], o1[6], o2[6];
    ptrdiff_t x0 = axis_support(ip, 0, c[0], order, w0, grad ? d0 : NULL, o0);
    axis_support(ip, 1, c[1], order, w1, grad ? d1 : NULL, o1);
    axis_support(ip, 2, c[2], order, w2, grad ? d2 : NULL, o2);
    double acc[6] = { 0 }, ay[6] = { 0 }, az[6] = { 0 };
    for (unsigned k = 0; k <= order; k++) {
        const char *plane = ip->data + o2[k];
        for (unsigned j = 0; j <= order; j++)
            accumulate_row(plane + o1[j], x0, o0, order, ct, w2[k] * w1[j],
                           grad ? w2[k] * d1[j] : 0.0,
                           grad ? d2[k] * w1[j] : 0.0, acc, ay, az, grad);
    }
    double v = 0.0, gx = 0.0, gy = 0.0, gz = 0.0;
    PIPIT__UNROLL
    for (unsigned i = 0; i <= order; i++) {
        v += w0[i] * acc[i];
        if (grad)
            gx += d0[i] * acc[i], gy += w0[i] * ay[i], gz += w0[i] * az[i];
    }
    *value = v;
    if (grad)
        g[0] = gx, g[1] = gy, g[2] = gz;
}

/* Any dim (4-D): an odometer over the (order+1)^dim coefficients. */
static PIPIT__ALWAYS_INLINE void
bspline_n(const pipit_interpolator_t *ip, const double *c, double *value,
          double *g, unsigned order, pipit_pixel_type_t ct, bool grad)
{
    unsigned n = ip->dim;
    double w[PIPIT_MAX_DIM][6], dw[PIPIT_MAX_DIM][6];
    ptrdiff_t off[PIPIT_MAX_DIM][6];
    for (unsigned d = 0; d < n; d++)
        axis_support(ip, d, c[d], order, w[d], grad ? dw[d] : NULL, off[d]);
    unsigned j[PIPIT_MAX_DIM] = { 0 };
    double v = 0.0, gs[PIPIT_MAX_DIM] = { 0 };
    for (;;) {
        const char *p = ip->data;
        double wk = 1.0;
        for (unsigned d = 0; d < n; d++)
            p += off[d][j[d]], wk *= w[d][j[d]];
        double a = pipit__load(p, ct);
        v += wk * a;
        if (grad)
            for (unsigned e = 0; e < n; e++) {
                double ge = dw[e][j[e]];
                for (unsigned d = 0; d < n; d++)
                    if (d != e)
                        ge *= w[d][j[d]];
                gs[e] += ge * a;
            }
        unsigned d = 0;
        while (d < n && ++j[d] > order)
            j[d++] = 0;
        if (d == n)
            break;
    }
    *value = v;
    if (grad)
        memcpy(g, gs, n * sizeof(double));
}

/* The points c0 + i·step; dim 0 means any (the odometer kernel). */
static PIPIT__ALWAYS_INLINE size_t
bspline_line(const pipit_interpolator_t *ip, const double *c0,
             const double *step, size_t n, double *out, unsigned dim,
             unsigned order, pipit_pixel_type_t ct)
{
    unsigned nd = dim != 0 ? dim : ip->dim;
    size_t inside = 0;
    for (size_t i = 0; i < n; i++) {
        double c[PIPIT_MAX_DIM];
        if (!pipit__line_point(ip, c0, step, i, nd, c)) {
            out[i] = ip->dflt;
            continue;
        }
        if (dim == 2)
            bspline2(ip, c, out + i, NULL, order, ct, false);
        else if (dim == 3)
            bspline3(ip, c, out + i, NULL, order, ct, false);
        else
            bspline_n(ip, c, out + i, NULL, order, ct, false);
        inside++;
    }
    return inside;
}

#define KERNEL(kind, D, C, N)                                              \
    static void kind##_##C##_##N(const pipit_interpolator_t *ip,           \
                                 const double *c, double *v, double *g)    \
    {                                                                      \
        if (g != NULL)                                                     \
            kind(ip, c, v, g, N, PIPIT_##C, true);                         \
        else                                                               \
            kind(ip, c, v, NULL, N, PIPIT_##C, false);                     \
    }                                                                      \
    static size_t kind##_line_##C##_##N(const pipit_interpolator_t *ip,    \
                                        const double *c0,                  \
                                        const double *step, size_t n,      \
                                        double *out)                       \
    {                                                                      \
        return bspline_line(ip, c0, step, n, out, D, N, PIPIT_##C);        \
    }
#define KERNELS(C, N)                                                      \
    KERNEL(bspline2, 2, C, N)                                              \
    KERNEL(bspline3, 3, C, N) KERNEL(bspline_n, 0, C, N)
#define ORDERS(C)                                                          \
    KERNELS(C, 0) KERNELS(C, 1) KERNELS(C, 2) KERNELS(C, 3) KERNELS(C, 4)  \
    KERNELS(C, 5)
ORDERS(F32)
ORDERS(F64)
#undef ORDERS
#undef KERNELS
#undef KERNEL

#define ROW(kind, C)                                                       \
    {                                                                      \
        kind##_##C##_0, kind##_##C##_1, kind##_##C##_2, kind##_##C##_3,    \
            kind##_##C##_4, kind##_##C##_5                                 \
    }
#define BY_DIM(C, line)                                                    \
    {                                                                      \
        ROW(bspline2##line, C), ROW(bspline3##line, C),                    \
            ROW(bspline_n##line, C)                                        \
    }
/* [f64?][2-D, 3-D, other][order] */
static const pipit__interp_fn kernels[2][3][6] = { BY_DIM(F32, ),
                                                   BY_DIM(F64, ) };
static const pipit__interp_line_fn line_kernels[2][3][6] = {
    BY_DIM(F32, _line), BY_DIM(F64, _line)
};
#undef BY_DIM
#undef ROW

/* ---- The batch loops ------------------------------------------------ */

static PIPIT__ALWAYS_INLINE void
k_bspline(const pipit_interpolator_t *ip, const double *c, double *v,
          double *g, bool grad, unsigned dim, unsigned order,
          pipit_pixel_type_t ct)
{
    if (dim == 2)
        bspline2(ip, c, v, g, order, ct, grad);
    else if (dim == 3)
        bspline3(ip, c, v, g, order, ct, grad);
    else
        bspline_n(ip, c, v, g, order, ct, grad);
}

/* D: 2, 3, or 0 for any dim (the odometer kernel). */
#define BATCH(D, C, N, V, ATTR)                                            \
    ATTR static size_t batch_##D##_##C##_##N##V(                           \
        const pipit_interpolator_t *ip, size_t n, const double *c,         \
        double *v, double *g)                                              \
    {                                                                      \
        const unsigned dim = D != 0 ? D : ip->dim;                         \
        if (N == 1 && D != 0) /* the lerps, with the mirror boundary */    \
            return pipit__lerp_batch(ip, n, c, v, g, D, PIPIT_##C, true);  \
        PIPIT__BATCH_BODY(ip, n, c, v, g, dim, k_bspline, D, N, PIPIT_##C); \
    }
#define BATCH2(D, C, N)                                                    \
    BATCH(D, C, N, _portable, ) PIPIT__IF_V3(BATCH(D, C, N, _v3, PIPIT__V3))
#define BATCH_ORDERS(D, C)                                                 \
    BATCH2(D, C, 0) BATCH2(D, C, 1) BATCH2(D, C, 2) BATCH2(D, C, 3)         \
    BATCH2(D, C, 4) BATCH2(D, C, 5)
BATCH_ORDERS(2, F32)
BATCH_ORDERS(3, F32)
BATCH_ORDERS(0, F32)
BATCH_ORDERS(2, F64)
BATCH_ORDERS(3, F64)
BATCH_ORDERS(0, F64)
#undef BATCH_ORDERS
#undef BATCH2
#undef BATCH

#ifdef PIPIT__HAVE_V3
#define PAIR(D, C, N)                                                      \
    { batch_##D##_##C##_##N##_portable, batch_##D##_##C##_##N##_v3 }
#else
#define PAIR(D, C, N)                                                      \
    { batch_##D##_##C##_##N##_portable, batch_##D##_##C##_##N##_portable }
#endif
#define BY_ORDER(D, C)                                                     \
    {                                                                      \
        PAIR(D, C, 0), PAIR(D, C, 1), PAIR(D, C, 2), PAIR(D, C, 3),         \
            PAIR(D, C, 4), PAIR(D, C, 5)                                   \
    }
/* [f64?][2-D, 3-D, other][order][portable, v3] */
static const pipit__interp_batch_fn batches[2][3][6][2] = {
    { BY_ORDER(2, F32), BY_ORDER(3, F32), BY_ORDER(0, F32) },
    { BY_ORDER(2, F64), BY_ORDER(3, F64), BY_ORDER(0, F64) },
};
#undef BY_ORDER
#undef PAIR

/* ---- Samples to coefficients ---------------------------------------- */

typedef struct {
    const char *src;                 /* first pixel of the region */
    const ptrdiff_t *src_stride;     /* bytes */
    char *dst;                       /* coefficients, contiguous */
    size_t size[PIPIT_MAX_DIM];
    unsigned dim;
    size_t dst_elem;                 /* 4 or 8 */
    void (*row)(const char *src, ptrdiff_t stride, size_t n, char *dst);
} convert_t;

static PIPIT__ALWAYS_INLINE void
convert_row(const char *src, ptrdiff_t stride, size_t n, char *dst,
            pipit_pixel_type_t t, bool to_f32)
{
    for (size_t i = 0; i < n; i++, src += stride) {
        double v = pipit__load(src, t);
        if (to_f32)
            ((float *)(void *)dst)[i] = (float)v;
        else
            ((double *)(void *)dst)[i] = v;
    }
}

#define CONVERT(T)                                                         \
    static void to_f32_##T(const char *s, ptrdiff_t st, size_t n, char *d) \
    {                                                                      \
        convert_row(s, st, n, d, PIPIT_##T, true);                         \
    }                                                                      \
    static void to_f64_##T(const char *s, ptrdiff_t st, size_t n, char *d) \
    {                                                                      \
        convert_row(s, st, n, d, PIPIT_##T, false);                        \
    }
PIPIT__FOR_TYPES(CONVERT)
#undef CONVERT

typedef void (*convert_fn)(const char *, ptrdiff_t, size_t, char *);
static const convert_fn to_f32_fns[] = PIPIT__TYPE_TABLE(to_f32_);
static const convert_fn to_f64_fns[] = PIPIT__TYPE_TABLE(to_f64_);

/* Rows [lo, hi): row r is pixel row (y, z, t) in x-fastest order. */
static pipit_status_t
convert_rows(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const convert_t *cv = ctx;
    (void)worker, (void)acc;
    for (size_t r = lo; r < hi; r++) {
        const char *s = cv->src;
        size_t rest = r;
        for (unsigned d = 1; d < cv->dim; d++) {
            s += (ptrdiff_t)(rest % cv->size[d]) * cv->src_stride[d];
            rest /= cv->size[d];
        }
        cv->row(s, cv->src_stride[0], cv->size[0],
                cv->dst + r * cv->size[0] * cv->dst_elem);
    }
    return PIPIT_OK;
}

pipit_interpolator_t *
pipit_bspline_interpolator_new(const pipit_image_t *img, unsigned order,
                               pipit_pixel_type_t coef_type)
{
    return pipit__bspline_interpolator_cached(img, order, coef_type, NULL);
}

void
pipit__coef_cache_free(pipit__coef_cache_t *cache)
{
    pipit__free(cache->mem);
    cache->mem = NULL;
    cache->bytes = 0;
}

pipit_interpolator_t *
pipit__bspline_interpolator_cached(const pipit_image_t *img, unsigned order,
                                   pipit_pixel_type_t coef_type,
                                   pipit__coef_cache_t *cache)
{
    static const char who[] = "BSplineInterpolator";
    if (order > PIPIT__BSPLINE_MAX_ORDER) {
        pipit__error(PIPIT_EINVAL, "%s: spline order %u (0..%d)", who, order,
                     PIPIT__BSPLINE_MAX_ORDER);
        return NULL;
    }
    if (coef_type != PIPIT_F32 && coef_type != PIPIT_F64) {
        pipit__error(PIPIT_EINVAL,
                     "%s: coefficient type %s (f32 or f64)", who,
                     pipit_pixel_type_name(coef_type));
        return NULL;
    }
    pipit_interpolator_t *ip = pipit__interpolator_alloc(img, who);
    if (ip == NULL)
        return NULL;
    bool f32 = coef_type == PIPIT_F32;
    ip->name = f32 ? "BSplineInterpolatorFloat" : who;
    ip->order = order;
    ip->kind = PIPIT__KIND_BSPLINE;
    unsigned n = ip->dim;
    unsigned by_dim = n == 2 ? 0 : n == 3 ? 1 : 2;
    pipit_pixel_type_t t = pipit_image_pixel_type(img);
    if (order <= 1 && (t == coef_type || (t == PIPIT_F32 && !f32))) {
        /*
         * Orders 0 and 1 have no prefilter: the coefficients are the
         * samples. When coef_type holds each sample exactly (an f32
         * image with f64 coefficients, the registration's usual case),
         * the kernels read the image itself, in its own layout: the
         * same values to the bit, no copy to make, and half the bytes
         * per evaluation for an f32 image, whose loads turn each sample
         * into the double the copy would have held.
         */
        bool img_f32 = t == PIPIT_F32;
        ip->eval = kernels[img_f32 ? 0 : 1][by_dim][order];
        ip->line = line_kernels[img_f32 ? 0 : 1][by_dim][order];
        memcpy(ip->batch, batches[img_f32 ? 0 : 1][by_dim][order],
               sizeof ip->batch);
        return ip;
    }
    size_t elem = f32 ? sizeof(float) : sizeof(double), count = 1, bytes;
    for (unsigned d = 0; d < n; d++)
        count *= ip->size[d]; /* a buffered region's count cannot overflow */
    if (pipit__mul_overflows(count, elem, &bytes)) {
        pipit__error(PIPIT_ERANGE, "%s: %zu coefficients is too many", who,
                     count);
        goto fail;
    }
    if (cache != NULL) {
        if (cache->bytes < bytes) {
            pipit__coef_cache_free(cache);
            if ((cache->mem = pipit__aligned_alloc(bytes)) == NULL)
                goto fail;
            cache->bytes = bytes;
        }
        ip->coef = cache->mem;
        ip->coef_borrowed = true;
    } else if ((ip->coef = pipit__aligned_alloc(bytes)) == NULL) {
        goto fail;
    }

    convert_t cv = {
        .src = ip->data, .src_stride = ip->stride, .dst = ip->coef,
        .dim = n, .dst_elem = elem,
        .row = (f32 ? to_f32_fns : to_f64_fns)[pipit_image_pixel_type(img)],
    };
    memcpy(cv.size, ip->size, sizeof cv.size);
    size_t rows = count / ip->size[0];
    if (pipit_parallel_for(rows, 0, convert_rows, &cv) != PIPIT_OK)
        goto fail;

    pipit_status_t st =
        f32 ? pipit__bspline_prefilter_f32(ip->coef, n, ip->size, order)
            : pipit__bspline_prefilter_f64(ip->coef, n, ip->size, order);
    if (st != PIPIT_OK)
        goto fail;

    /* From here on only the coefficients are read. */
    pipit_buffer_unref(ip->buffer);
    ip->buffer = NULL;
    ip->data = ip->coef;
    ip->type = coef_type;
    ptrdiff_t s = (ptrdiff_t)elem;
    for (unsigned d = 0; d < n; d++) {
        ip->stride[d] = s;
        s *= (ptrdiff_t)ip->size[d];
    }
    ip->eval = kernels[f32 ? 0 : 1][by_dim][order];
    ip->line = line_kernels[f32 ? 0 : 1][by_dim][order];
    memcpy(ip->batch, batches[f32 ? 0 : 1][by_dim][order], sizeof ip->batch);
    return ip;
fail:
    pipit_interpolator_unref(ip);
    return NULL;
}

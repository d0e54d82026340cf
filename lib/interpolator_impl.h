/* SPDX-License-Identifier: Apache-2.0 */
/* The interpolator struct, shared by interpolator*.c. */
#ifndef PIPIT_INTERPOLATOR_IMPL_H
#define PIPIT_INTERPOLATOR_IMPL_H

#include <string.h>

#include <pipit/buffer.h>
#include <pipit/interpolator.h>

#include "bspline_impl.h"
#include "cpu_impl.h"
#include "object_impl.h"

/*
 * The loops over one row's order + 1 samples (and over the axes) must unroll completely for
 * the row accumulators to live in registers (GCC -O2 alone leaves them
 * in memory, a store-to-load chain per row).
 */
#if defined(__GNUC__) && !defined(__clang__)
#define PIPIT__UNROLL _Pragma("GCC unroll 6")
#elif defined(__clang__)
#define PIPIT__UNROLL _Pragma("unroll 6")
#else
#define PIPIT__UNROLL
#endif

/*
 * Evaluates at c, known to be inside; gradient may be NULL. One such
 * function per kind x sample type (x order and dim where specialised),
 * chosen at construction, so evaluation never switches on the type.
 */
typedef void (*pipit__interp_fn)(const pipit_interpolator_t *ip,
                                 const double *c, double *value,
                                 double *gradient);

/* pipit_interpolator_evaluate_line, with the kernel inlined in its loop. */
typedef size_t (*pipit__interp_line_fn)(const pipit_interpolator_t *ip,
                                        const double *c0,
                                        const double *step, size_t n,
                                        double *values);

/* pipit_interpolator_evaluate_batch: n points of dim values each. */
typedef size_t (*pipit__interp_batch_fn)(const pipit_interpolator_t *ip,
                                         size_t n, const double *c,
                                         double *values, double *gradients);

enum { PIPIT__KIND_NEAREST, PIPIT__KIND_LINEAR, PIPIT__KIND_BSPLINE };

struct pipit_interpolator {
    pipit__object_t obj;
    const char *name;
    unsigned dim, order;
    int kind;                /* PIPIT__KIND_* */
    pipit_pixel_type_t type; /* of the samples at data */
    pipit__interp_fn eval;
    pipit__interp_line_fn line;
    /* The batch loop: [0] portable, [1] x86-64-v3 (lib/cpu_impl.h). */
    pipit__interp_batch_fn batch[2];
    double dflt;
    /* Samples: the buffered region [start, start + size), addressed as
     * data + Σ (i_d - start_d) · stride_d (bytes). data points into
     * buffer (nearest, linear) or into coef (B-spline). */
    double start[PIPIT_MAX_DIM];
    size_t size[PIPIT_MAX_DIM];
    ptrdiff_t stride[PIPIT_MAX_DIM];
    const char *data;
    /* c is inside when lo_d <= c_d < hi_d on every axis. */
    double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];
    pipit_buffer_t *buffer;
    void *coef;
    bool coef_borrowed; /* coef belongs to a pipit__coef_cache_t */
    /* Geometry snapshot: c = to_index · (p - origin). */
    double origin[PIPIT_MAX_DIM];
    double to_index[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
};

/*
 * B-spline coefficients kept by their user (a resample node) from one
 * update to the next: fresh pages cost a fault each, a large part of a
 * cubic resample's time. An interpolator made with a cache borrows its
 * block and must be dropped before the cache is freed or reused.
 */
typedef struct pipit__coef_cache {
    void *mem;
    size_t bytes;
} pipit__coef_cache_t;

/** pipit_bspline_interpolator_new, with its coefficients in *cache
 * (grown when too small); cache NULL: its own block. */
pipit_interpolator_t *pipit__bspline_interpolator_cached(
    const pipit_image_t *img, unsigned order, pipit_pixel_type_t coef_type,
    pipit__coef_cache_t *cache);
void pipit__coef_cache_free(pipit__coef_cache_t *cache);

/**
 * A new interpolator for img with the common fields filled from it
 * (geometry, region, inside box, default 0; data and strides for img's
 * own pixels, buffer referenced). Checks img: not NULL, scalar, pixels
 * present. who names the caller in messages.
 */
pipit_interpolator_t *pipit__interpolator_alloc(const pipit_image_t *img,
                                                const char *who);

/*
 * The affine-row fast paths (lib/interpolator_rows.c): values at
 * c(x) = base + step·x for x in [x0, x1) into out[x - x0], the
 * default outside. pipit__interpolator_row_f32 computes in float, as
 * resample's f32 path always has, and needs row_f32_ok (a 3-D f32
 * nearest or linear interpolator); pipit__interpolator_row takes any
 * interpolator (a cubic 3-D f64 B-spline has its own kernel, the rest
 * go through the batch kernel). Thread safe; no allocation.
 */
bool pipit__interpolator_row_f32_ok(const pipit_interpolator_t *ip);
void pipit__interpolator_row_f32(const pipit_interpolator_t *ip,
                                 const double *base, const double *step,
                                 size_t x0, size_t x1, float *out);
void pipit__interpolator_row(const pipit_interpolator_t *ip,
                             const double *base, const double *step,
                             size_t x0, size_t x1, double *out);

/*
 * Point i of the line c0 + i·step into c; true when it is inside. For
 * the batch loops, with dim a constant there.
 */
static PIPIT__ALWAYS_INLINE bool
pipit__line_point(const pipit_interpolator_t *ip, const double *c0,
                  const double *step, size_t i, unsigned dim, double *c)
{
    bool in = true;
    for (unsigned d = 0; d < dim; d++) {
        c[d] = c0[d] + (double)i * step[d];
        in &= c[d] >= ip->lo[d] && c[d] < ip->hi[d];
    }
    return in;
}

/*
 * The batch loop around an inlined kernel K(ip, c, value, gradient,
 * grad, ...) (grad a constant in each branch: whether gradient is
 * wanted), for the wrappers of interpolator*.c: point i is
 * c[i·dim .. i·dim + dim); the arguments after K go to K.
 */
#define PIPIT__BATCH_BODY(ip, n, c, values, gradients, dim, K, ...)        \
    do {                                                                   \
        size_t inside_ = 0;                                                \
        const bool pf_ = pipit__prefetch_worth(ip, dim);                   \
        if ((gradients) == NULL) {                                         \
            for (size_t i_ = 0; i_ < (n); i_++) {                          \
                const double *ci_ = (c) + i_ * (dim);                      \
                if (pf_ && i_ + PIPIT__PREFETCH_AHEAD < (n))               \
                    pipit__prefetch_support(                               \
                        ip, ci_ + PIPIT__PREFETCH_AHEAD * (dim), dim);     \
                if (!pipit__inside_dim(ip, ci_, dim)) {                    \
                    (values)[i_] = (ip)->dflt;                             \
                    continue;                                              \
                }                                                          \
                K(ip, ci_, (values) + i_, NULL, false, __VA_ARGS__);   \
                inside_++;                                                 \
            }                                                              \
        } else {                                                           \
            for (size_t i_ = 0; i_ < (n); i_++) {                          \
                const double *ci_ = (c) + i_ * (dim);                      \
                double *gi_ = (gradients) + i_ * (dim);                    \
                if (pf_ && i_ + PIPIT__PREFETCH_AHEAD < (n))               \
                    pipit__prefetch_support(                               \
                        ip, ci_ + PIPIT__PREFETCH_AHEAD * (dim), dim);     \
                if (!pipit__inside_dim(ip, ci_, dim)) {                    \
                    (values)[i_] = (ip)->dflt;                             \
                    for (unsigned d_ = 0; d_ < (dim); d_++)                \
                        gi_[d_] = 0.0;                                     \
                    continue;                                              \
                }                                                          \
                K(ip, ci_, (values) + i_, gi_, true, __VA_ARGS__);     \
                inside_++;                                                 \
            }                                                              \
        }                                                                  \
        return inside_;                                                    \
    } while (0)

/* The inside test of pipit_interpolator_inside with dim a constant. */
static PIPIT__ALWAYS_INLINE bool
pipit__inside_dim(const pipit_interpolator_t *ip, const double *c,
                  unsigned dim)
{
    bool in = true;
    for (unsigned d = 0; d < dim; d++)
        in &= c[d] >= ip->lo[d] && c[d] < ip->hi[d];
    return in;
}

/*
 * How many points ahead the batch loops prefetch. Registration samples
 * land anywhere in images of megabytes, so nearly every kernel read is a
 * cache miss; one point's kernel is too short a loop body for the CPU
 * to run far enough ahead by itself, and the misses stall one by one.
 */
#define PIPIT__PREFETCH_AHEAD 8

/*
 * Whether prefetching pays: samples of more than 1 MiB (a core's L2 on
 * common CPUs). Below that the reads hit the cache and the prefetch
 * address arithmetic is pure cost (a fifth of a 2-D registration).
 */
static PIPIT__ALWAYS_INLINE bool
pipit__prefetch_worth(const pipit_interpolator_t *ip, unsigned dim)
{
    if (dim != 2 && dim != 3)
        return false;
    ptrdiff_t s = ip->stride[dim - 1];
    size_t bytes = (size_t)(s < 0 ? -s : s) * ip->size[dim - 1];
    return bytes > ((size_t)1 << 20);
}

/*
 * Prefetches the rows of samples the kernel at c reads (2-D and 3-D,
 * order <= 3; one line per row, at its first sample). A hint only:
 * nothing is read, the addresses near an edge may lie outside the
 * buffer (prefetches never fault; the arithmetic is on integers), and
 * the result never depends on it.
 */
static PIPIT__ALWAYS_INLINE void
pipit__prefetch_support(const pipit_interpolator_t *ip, const double *c,
                        unsigned dim)
{
    if (!pipit__inside_dim(ip, c, dim))
        return;
    const unsigned order = ip->order;
    ptrdiff_t off = 0;
    for (unsigned d = 0; d < dim; d++) {
        /* The first sample of the support, floor(c - start - (n-1)/2)
         * (rounded for order 0), without a libm call. */
        double u = c[d] - ip->start[d] + 0.5 - 0.5 * (double)order;
        ptrdiff_t s = (ptrdiff_t)u;
        s -= (double)s > u;
        off += s * ip->stride[d];
    }
    const uintptr_t p = (uintptr_t)ip->data + (uintptr_t)off;
    const uintptr_t sy = (uintptr_t)ip->stride[1];
    const uintptr_t sz = dim == 3 ? (uintptr_t)ip->stride[2] : 0;
    const unsigned nz = dim == 3 ? order : 0;
    if (order == 1) {
        __builtin_prefetch((const void *)p);
        __builtin_prefetch((const void *)(p + sy));
        if (dim == 3) {
            __builtin_prefetch((const void *)(p + sz));
            __builtin_prefetch((const void *)(p + sz + sy));
        }
        return;
    }
    if (order > 3)
        return;
    for (unsigned k = 0; k <= nz; k++)
        for (unsigned j = 0; j <= order; j++)
            __builtin_prefetch((const void *)(p + k * sz + j * sy));
}

/*
 * Reads one sample of type t as a double. With t a constant (the
 * typed wrappers pass one), inlining leaves a single load.
 */
static PIPIT__ALWAYS_INLINE double
pipit__load(const char *p, pipit_pixel_type_t t)
{
    switch (t) {
    case PIPIT_U8: { uint8_t v; memcpy(&v, p, 1); return v; }
    case PIPIT_I8: { int8_t v; memcpy(&v, p, 1); return v; }
    case PIPIT_U16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case PIPIT_I16: { int16_t v; memcpy(&v, p, 2); return v; }
    case PIPIT_U32: { uint32_t v; memcpy(&v, p, 4); return v; }
    case PIPIT_I32: { int32_t v; memcpy(&v, p, 4); return v; }
    case PIPIT_F32: { float v; memcpy(&v, p, 4); return v; }
    default: { double v; memcpy(&v, p, 8); return v; }
    }
}

/*
 * The multilinear kernels, shared by LinearInterpolator and the order-1
 * B-spline (the same function: the B-spline of order 1 is the tent, and
 * its coefficients are the samples). They differ only at the border:
 * the linear kind clamps the neighbours to the region (ITK; the outer
 * half pixel is flat), the B-spline mirrors them (a_{-1} = a_1,
 * a_N = a_{N-2}), the boundary of its prefilter. Inside, both compute
 * with the same lerps, so they agree to the bit.
 *
 * Along axis d: x = c_d - start_d, i = floor(x); the byte offsets of
 * the lower and upper neighbours into *o0 and *o1; returns the weight
 * of the upper one, x - i. Only for x inside the axis (i in
 * [-1, size - 1]).
 */
static PIPIT__ALWAYS_INLINE double
pipit__lerp_axis(const pipit_interpolator_t *ip, unsigned d, double x,
                 bool mirror, ptrdiff_t *o0, ptrdiff_t *o1)
{
    ptrdiff_t i = pipit__floor_index(x), last = (ptrdiff_t)ip->size[d] - 1;
    ptrdiff_t lo, hi;
    if (mirror) {
        /* An axis of one sample mirrors onto itself. */
        lo = i < 0 ? (last > 0 ? 1 : 0) : i;
        hi = i + 1 > last ? (last > 0 ? last - 1 : 0) : i + 1;
    } else {
        lo = i < 0 ? 0 : i;
        hi = i + 1 > last ? last : i + 1;
    }
    *o0 = lo * ip->stride[d];
    *o1 = hi * ip->stride[d];
    return x - (double)i;
}

/* Bilinear value and, when g is not NULL, gradient: along x, then y. */
static PIPIT__ALWAYS_INLINE void
pipit__lerp2(const pipit_interpolator_t *ip, const double *c, double *value,
             double *g, pipit_pixel_type_t t, bool mirror)
{
    ptrdiff_t x0, x1, y0, y1;
    double tx = pipit__lerp_axis(ip, 0, c[0] - ip->start[0], mirror, &x0,
                                 &x1);
    double ty = pipit__lerp_axis(ip, 1, c[1] - ip->start[1], mirror, &y0,
                                 &y1);
    const char *r0 = ip->data + y0, *r1 = ip->data + y1;
    double v00 = pipit__load(r0 + x0, t), v10 = pipit__load(r0 + x1, t);
    double v01 = pipit__load(r1 + x0, t), v11 = pipit__load(r1 + x1, t);
    double r0v = v00 + tx * (v10 - v00), r1v = v01 + tx * (v11 - v01);
    *value = r0v + ty * (r1v - r0v);
    if (g != NULL) {
        g[0] = (v10 - v00) + ty * ((v11 - v01) - (v10 - v00));
        g[1] = r1v - r0v;
    }
}

/* Trilinear value and, when g is not NULL, gradient: along x, y, z. */
static PIPIT__ALWAYS_INLINE void
pipit__lerp3(const pipit_interpolator_t *ip, const double *c, double *value,
             double *g, pipit_pixel_type_t t, bool mirror)
{
    ptrdiff_t x0, x1, y0, y1, z0, z1;
    double tx = pipit__lerp_axis(ip, 0, c[0] - ip->start[0], mirror, &x0,
                                 &x1);
    double ty = pipit__lerp_axis(ip, 1, c[1] - ip->start[1], mirror, &y0,
                                 &y1);
    double tz = pipit__lerp_axis(ip, 2, c[2] - ip->start[2], mirror, &z0,
                                 &z1);
    const char *p0 = ip->data + z0, *p1 = ip->data + z1;
    const char *r00 = p0 + y0, *r10 = p0 + y1, *r01 = p1 + y0, *r11 = p1 + y1;
    double v000 = pipit__load(r00 + x0, t), v100 = pipit__load(r00 + x1, t);
    double v010 = pipit__load(r10 + x0, t), v110 = pipit__load(r10 + x1, t);
    double v001 = pipit__load(r01 + x0, t), v101 = pipit__load(r01 + x1, t);
    double v011 = pipit__load(r11 + x0, t), v111 = pipit__load(r11 + x1, t);
    double dx00 = v100 - v000, dx10 = v110 - v010;
    double dx01 = v101 - v001, dx11 = v111 - v011;
    double a00 = v000 + tx * dx00, a10 = v010 + tx * dx10;
    double a01 = v001 + tx * dx01, a11 = v011 + tx * dx11;
    double b0 = a00 + ty * (a10 - a00), b1 = a01 + ty * (a11 - a01);
    *value = b0 + tz * (b1 - b0);
    if (g != NULL) {
        double dx0 = dx00 + ty * (dx10 - dx00), dx1 = dx01 + ty * (dx11 - dx01);
        g[0] = dx0 + tz * (dx1 - dx0);
        double dy0 = a10 - a00, dy1 = a11 - a01;
        g[1] = dy0 + tz * (dy1 - dy0);
        g[2] = b1 - b0;
    }
}

/*
 * The batch loop of the lerp kernels (dim 2 or 3, a constant), software
 * pipelined: point i + PIPIT__LERP_AHEAD is prepared (inside test,
 * floors, weights, the offset of its first sample, a prefetch of its
 * rows) while point i is computed from the ring of prepared points.
 * Registration samples land anywhere in a volume of megabytes; each
 * point's 2 (2-D) or 4 (3-D) rows are then a cache miss that the
 * prefetch has started that many points earlier, and the index
 * arithmetic is done once per point rather than once for the prefetch
 * and again for the kernel. A point whose neighbours are not all inside
 * the region (the border: clamped or mirrored) goes through
 * pipit__lerp2/3; interior points compute the same lerps on the same
 * samples, so every result equals the single-point kernel's to the bit.
 */
#define PIPIT__LERP_AHEAD 16 /* a power of two */

typedef struct {
    ptrdiff_t off;  /* bytes from data to the first sample */
    double t[3];    /* weights of the upper neighbours */
    int state;      /* 0 outside, 1 interior, 2 border */
} pipit__lerp_prep_t;

/*
 * The interpolator's fields the loop reads, copied into locals: the
 * stores to values and gradients (doubles) could alias the struct's
 * doubles, and the compiler would reload them for every point.
 */
typedef struct {
    const char *data;
    double lo[3], hi[3], start[3];
    ptrdiff_t stride[3];
    size_t size[3];
} pipit__lerp_geom_t;

static PIPIT__ALWAYS_INLINE void
pipit__lerp_prepare(const pipit__lerp_geom_t *G, const double *c,
                    unsigned dim, bool pf, pipit__lerp_prep_t *r)
{
    bool in = true;
    PIPIT__UNROLL
    for (unsigned d = 0; d < dim; d++)
        in = in && c[d] >= G->lo[d] && c[d] < G->hi[d];
    if (!in) {
        r->state = 0;
        return;
    }
    ptrdiff_t off = 0;
    bool interior = true;
    PIPIT__UNROLL
    for (unsigned d = 0; d < dim; d++) {
        /* floor() is inline here (-fno-trapping-math: a round
         * instruction in the v3 copy); the same value as
         * pipit__floor_index. */
        double x = c[d] - G->start[d], f = floor(x);
        ptrdiff_t i = (ptrdiff_t)f;
        r->t[d] = x - f;
        /* Both neighbours inside: 0 <= i < size - 1 (i = -1 wraps). */
        interior &= (size_t)i < G->size[d] - 1;
        off += i * G->stride[d];
    }
    r->off = off;
    r->state = interior ? 1 : 2;
    if (pf && interior) {
        const char *p = G->data + off;
        __builtin_prefetch(p);
        __builtin_prefetch(p + G->stride[1]);
        if (dim == 3) {
            __builtin_prefetch(p + G->stride[2]);
            __builtin_prefetch(p + G->stride[2] + G->stride[1]);
        }
    }
}

/* An interior point: pipit__lerp2/3's arithmetic on its samples. */
static PIPIT__ALWAYS_INLINE void
pipit__lerp_interior(const pipit__lerp_geom_t *G,
                     const pipit__lerp_prep_t *r, unsigned dim,
                     pipit_pixel_type_t t, double *value, double *g)
{
    const char *p = G->data + r->off;
    const ptrdiff_t sx = G->stride[0], sy = G->stride[1];
    const double tx = r->t[0], ty = r->t[1];
    if (dim == 2) {
        double v00 = pipit__load(p, t), v10 = pipit__load(p + sx, t);
        double v01 = pipit__load(p + sy, t);
        double v11 = pipit__load(p + sy + sx, t);
        double r0v = v00 + tx * (v10 - v00), r1v = v01 + tx * (v11 - v01);
        *value = r0v + ty * (r1v - r0v);
        if (g != NULL) {
            g[0] = (v10 - v00) + ty * ((v11 - v01) - (v10 - v00));
            g[1] = r1v - r0v;
        }
        return;
    }
    const ptrdiff_t sz = G->stride[2];
    const double tz = r->t[2];
    const char *q = p + sz;
    double v000 = pipit__load(p, t), v100 = pipit__load(p + sx, t);
    double v010 = pipit__load(p + sy, t), v110 = pipit__load(p + sy + sx, t);
    double v001 = pipit__load(q, t), v101 = pipit__load(q + sx, t);
    double v011 = pipit__load(q + sy, t), v111 = pipit__load(q + sy + sx, t);
    double dx00 = v100 - v000, dx10 = v110 - v010;
    double dx01 = v101 - v001, dx11 = v111 - v011;
    double a00 = v000 + tx * dx00, a10 = v010 + tx * dx10;
    double a01 = v001 + tx * dx01, a11 = v011 + tx * dx11;
    double b0 = a00 + ty * (a10 - a00), b1 = a01 + ty * (a11 - a01);
    *value = b0 + tz * (b1 - b0);
    if (g != NULL) {
        double dx0 = dx00 + ty * (dx10 - dx00), dx1 = dx01 + ty * (dx11 - dx01);
        g[0] = dx0 + tz * (dx1 - dx0);
        double dy0 = a10 - a00, dy1 = a11 - a01;
        g[1] = dy0 + tz * (dy1 - dy0);
        g[2] = b1 - b0;
    }
}

static PIPIT__ALWAYS_INLINE size_t
pipit__lerp_batch_loop(const pipit_interpolator_t *ip, size_t n,
                       const double *c, double *values, double *gradients,
                       unsigned dim, pipit_pixel_type_t t, bool mirror,
                       bool grad)
{
    enum { A = PIPIT__LERP_AHEAD };
    pipit__lerp_geom_t G = { .data = ip->data };
    PIPIT__UNROLL
    for (unsigned d = 0; d < dim; d++) {
        G.lo[d] = ip->lo[d], G.hi[d] = ip->hi[d], G.start[d] = ip->start[d];
        G.stride[d] = ip->stride[d], G.size[d] = ip->size[d];
    }
    const double dflt = ip->dflt;
    pipit__lerp_prep_t ring[A];
    const bool pf = pipit__prefetch_worth(ip, dim);
    size_t inside = 0;
    for (size_t i = 0; i < n && i < A; i++)
        pipit__lerp_prepare(&G, c + i * dim, dim, pf, &ring[i]);
    for (size_t i = 0; i < n; i++) {
        pipit__lerp_prep_t *r = &ring[i & (A - 1)];
        double *gi = grad ? gradients + i * dim : NULL;
        if (r->state == 1) {
            pipit__lerp_interior(&G, r, dim, t, values + i, gi);
            inside++;
        } else if (r->state == 2) {
            if (dim == 2)
                pipit__lerp2(ip, c + i * dim, values + i, gi, t, mirror);
            else
                pipit__lerp3(ip, c + i * dim, values + i, gi, t, mirror);
            inside++;
        } else {
            values[i] = dflt;
            if (grad)
                for (unsigned d = 0; d < dim; d++)
                    gi[d] = 0.0;
        }
        if (i + A < n)
            pipit__lerp_prepare(&G, c + (i + A) * dim, dim, pf, r);
    }
    return inside;
}

/* pipit_interpolator_evaluate_batch for the lerp kernels. */
static PIPIT__ALWAYS_INLINE size_t
pipit__lerp_batch(const pipit_interpolator_t *ip, size_t n, const double *c,
                  double *values, double *gradients, unsigned dim,
                  pipit_pixel_type_t t, bool mirror)
{
    if (gradients == NULL)
        return pipit__lerp_batch_loop(ip, n, c, values, NULL, dim, t,
                                      mirror, false);
    return pipit__lerp_batch_loop(ip, n, c, values, gradients, dim, t,
                                  mirror, true);
}

/*
 * PIPIT__FOR_TYPES(M) expands M(U8) M(I8) ... M(F64), in the order of
 * pipit_pixel_type_t, to define one wrapper per type; PIPIT__TYPE_TABLE
 * lists them for a table indexed by the type.
 */
#define PIPIT__FOR_TYPES(M)                                                \
    M(U8) M(I8) M(U16) M(I16) M(U32) M(I32) M(F32) M(F64)
#define PIPIT__TYPE_TABLE(prefix)                                          \
    {                                                                      \
        prefix##U8, prefix##I8, prefix##U16, prefix##I16, prefix##U32,     \
            prefix##I32, prefix##F32, prefix##F64                          \
    }

#endif

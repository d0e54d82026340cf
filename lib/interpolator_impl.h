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

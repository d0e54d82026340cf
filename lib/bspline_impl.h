/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Centred cardinal B-splines beta^n, n = 0..5: the support of a position
 * and its n + 1 weights, shared by the B-spline interpolator and the
 * B-spline transform; and the coefficient prefilter (interpolation
 * condition), which registration also needs to refine a control grid.
 *
 * For a position c (in samples), the samples that carry weight are
 * k = start + j, j = 0..n, with start = floor(c - (n - 1) / 2), and the
 * weight of sample k is beta^n(c - k).
 */
#ifndef PIPIT_BSPLINE_IMPL_H
#define PIPIT_BSPLINE_IMPL_H

#include <math.h>
#include <stddef.h>

#include <pipit/error.h>

#define PIPIT__BSPLINE_MAX_ORDER 5

/*
 * The weights are written once for any order; callers that pass a
 * constant order get a copy with only that order's branch when this is
 * inlined, which is how the interpolator specialises per order without
 * a run-time switch in its loops.
 */
#if defined(__GNUC__)
#define PIPIT__ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define PIPIT__ALWAYS_INLINE inline
#endif

/**
 * floor(x) as an integer, for finite x within the range of ptrdiff_t.
 * Baseline x86-64 has no rounding instruction, so floor() would be a
 * library call in every evaluation; truncation and a fix-up is not.
 */
static inline ptrdiff_t
pipit__floor_index(double x)
{
    ptrdiff_t i = (ptrdiff_t)x;
    return i - (x < (double)i);
}

/* Sample k of an axis of n samples, folded back by the mirror boundary
 * (the boundary of the prefilter, so coefficients and values agree). */
static inline ptrdiff_t
pipit__bspline_mirror(ptrdiff_t k, ptrdiff_t n)
{
    if (n == 1)
        return 0;
    ptrdiff_t period = 2 * (n - 1);
    k = (k < 0 ? -k : k) % period;
    return k < n ? k : period - k;
}

/**
 * First sample of the support of c for order n, and the offset t of c
 * from its nearest sample: t in [0, 1) for odd n (from floor(c)), in
 * [-1/2, 1/2) for even n (from the rounded c). c must be finite and
 * well within the range of ptrdiff_t.
 */
static PIPIT__ALWAYS_INLINE ptrdiff_t
pipit__bspline_start(unsigned n, double c, double *t)
{
    ptrdiff_t f = pipit__floor_index((n & 1u) ? c : c + 0.5);
    *t = c - (double)f;
    return f - (ptrdiff_t)(n / 2);
}

/*
 * The pieces of beta^4 and beta^5 as polynomials in a = |x| (inner,
 * middle, outer), and their derivatives in a.
 */
static inline double
b4_in(double a)
{
    double a2 = a * a;
    return 115.0 / 192.0 - 5.0 / 8.0 * a2 + 0.25 * a2 * a2;
}

static inline double
b4_in_d(double a)
{
    return (-1.25 + a * a) * a;
}

static inline double
b4_mid(double a)
{
    return 55.0 / 96.0 +
           a * (5.0 / 24.0 + a * (-1.25 + a * (5.0 / 6.0 - a / 6.0)));
}

static inline double
b4_mid_d(double a)
{
    return 5.0 / 24.0 + a * (-2.5 + a * (2.5 - a * (2.0 / 3.0)));
}

static inline double
b4_out(double a)
{
    double b = 2.5 - a;
    return b * b * b * b / 24.0;
}

static inline double
b4_out_d(double a)
{
    double b = 2.5 - a;
    return -b * b * b / 6.0;
}

static inline double
b5_in(double a)
{
    double a2 = a * a;
    return 0.55 + a2 * (-0.5 + a2 * (0.25 - a / 12.0));
}

static inline double
b5_in_d(double a)
{
    double a2 = a * a;
    return a * (-1.0 + a2 * (1.0 - 5.0 / 12.0 * a));
}

static inline double
b5_mid(double a)
{
    return 17.0 / 40.0 +
           a * (0.625 + a * (-1.75 + a * (1.25 + a * (-0.375 + a / 24.0))));
}

static inline double
b5_mid_d(double a)
{
    return 0.625 + a * (-3.5 + a * (3.75 + a * (-1.5 + a * (5.0 / 24.0))));
}

static inline double
b5_out(double a)
{
    double b = 3.0 - a, b2 = b * b;
    return b2 * b2 * b / 120.0;
}

static inline double
b5_out_d(double a)
{
    double b = 3.0 - a, b2 = b * b;
    return -b2 * b2 / 24.0;
}

/**
 * The n + 1 weights w[j] = beta^n(t + n/2 - j) (j = 0..n, t from
 * pipit__bspline_start) and, when dw is not NULL, their derivatives with
 * respect to c. For each j the piece of beta^n is known in advance (the
 * argument's range is fixed by j), so no branch depends on t.
 */
static PIPIT__ALWAYS_INLINE void
pipit__bspline_weights(unsigned n, double t, double *w, double *dw)
{
    switch (n) {
    case 0:
        w[0] = 1.0;
        if (dw)
            dw[0] = 0.0;
        break;
    case 1:
        w[0] = 1.0 - t, w[1] = t;
        if (dw)
            dw[0] = -1.0, dw[1] = 1.0;
        break;
    case 2: {
        double p = 0.5 - t, q = 0.5 + t;
        w[0] = 0.5 * p * p, w[1] = 0.75 - t * t, w[2] = 0.5 * q * q;
        if (dw)
            dw[0] = -p, dw[1] = -2.0 * t, dw[2] = q;
        break;
    }
    case 3: {
        double s = 1.0 - t, t2 = t * t, s2 = s * s;
        w[0] = s2 * s / 6.0;
        w[1] = 2.0 / 3.0 - t2 + 0.5 * t2 * t;
        w[2] = 2.0 / 3.0 - s2 + 0.5 * s2 * s;
        w[3] = t2 * t / 6.0;
        if (dw) {
            dw[0] = -0.5 * s2;
            dw[1] = (1.5 * t - 2.0) * t;
            dw[2] = (2.0 - 1.5 * s) * s;
            dw[3] = 0.5 * t2;
        }
        break;
    }
    case 4:
        /* Arguments t+2, t+1, t, t-1, t-2 with t in [-1/2, 1/2). */
        w[0] = b4_out(t + 2.0), w[1] = b4_mid(t + 1.0), w[2] = b4_in(t);
        w[3] = b4_mid(1.0 - t), w[4] = b4_out(2.0 - t);
        if (dw) {
            dw[0] = b4_out_d(t + 2.0), dw[1] = b4_mid_d(t + 1.0);
            dw[2] = b4_in_d(t);
            dw[3] = -b4_mid_d(1.0 - t), dw[4] = -b4_out_d(2.0 - t);
        }
        break;
    default:
        /* n == 5: arguments t+2 .. t-3 with t in [0, 1). */
        w[0] = b5_out(t + 2.0), w[1] = b5_mid(t + 1.0), w[2] = b5_in(t);
        w[3] = b5_in(1.0 - t), w[4] = b5_mid(2.0 - t), w[5] = b5_out(3.0 - t);
        if (dw) {
            dw[0] = b5_out_d(t + 2.0), dw[1] = b5_mid_d(t + 1.0);
            dw[2] = b5_in_d(t), dw[3] = -b5_in_d(1.0 - t);
            dw[4] = -b5_mid_d(2.0 - t), dw[5] = -b5_out_d(3.0 - t);
        }
        break;
    }
}

/**
 * Replaces samples by B-spline coefficients of order n (0..5) so that
 * the spline interpolates them (Unser's recursive filter: for each pole
 * a causal and an anti-causal first-order pass, mirror boundary
 * "whole-sample symmetric", i.e. s[-k] = s[k], s[N-1+k] = s[N-1-k]).
 * data holds dim axes of size[d] samples, x fastest, contiguous. The
 * lines of each axis are filtered in parallel over the pool in blocks,
 * in double precision whatever the storage. Orders 0 and 1 leave the
 * data as it is. PIPIT_ENOMEM for the per-worker scratch.
 */
pipit_status_t pipit__bspline_prefilter_f64(double *data, unsigned dim,
                                            const size_t *size, unsigned n);
pipit_status_t pipit__bspline_prefilter_f32(float *data, unsigned dim,
                                            const size_t *size, unsigned n);

#endif

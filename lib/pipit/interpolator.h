/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interpolators: the value of a scalar image between its pixels.
 *
 * Positions are continuous indices c (pixel i sits at c = i; a physical
 * point p has c = diag(spacing)⁻¹ · direction⁻¹ · (p - origin)), and
 * gradients are with respect to c unless a function says "physical".
 * A position is inside when every c_d lies in [lo_d - 0.5, hi_d - 0.5)
 * for the image's buffered region [lo, hi) (ITK's IsInsideBuffer);
 * outside, the value is the interpolator's default and the gradient 0.
 *
 * Kinds (elastix names; see ../shared/spec/elastix-compat.md 7.5, 7.9):
 *   NearestNeighborInterpolator  the pixel at floor(c + 0.5); its
 *       gradient is the central difference there, with the neighbour
 *       clamped to the image at the border (half the one-sided one).
 *   LinearInterpolator  multilinear over the 2^dim neighbours, the upper
 *       neighbour clamped to the last pixel and the lower to the first
 *       (ITK), so the half pixel at the border is flat; analytic gradient.
 *   BSplineInterpolator  order 0..5 on prefiltered coefficients with a
 *       mirror boundary; analytic gradient (0 for order 0).
 * Values are computed in double whatever the pixel type.
 *
 * An interpolator takes a snapshot of the image's geometry and holds its
 * pixels (a B-spline one, its own coefficients) alive; it does not see
 * later changes. Evaluation only reads: any number of threads may
 * evaluate one interpolator at once, and it never allocates.
 */
#ifndef PIPIT_INTERPOLATOR_H
#define PIPIT_INTERPOLATOR_H

#include <pipit/image.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pipit_interpolator pipit_interpolator_t;

/**
 * New interpolators for img (borrowed: its pixels are held, not the
 * image), a scalar image of any pixel type whose pixels are present.
 * Return a new reference, or NULL with PIPIT_EINVAL (NULL image, more
 * than one component, no pixels, a bad order or coefficient type) or
 * PIPIT_ENOMEM recorded. Default value 0.
 */
PIPIT_API pipit_interpolator_t *pipit_nearest_interpolator_new(
    const pipit_image_t *img);
PIPIT_API pipit_interpolator_t *pipit_linear_interpolator_new(
    const pipit_image_t *img);

/**
 * A B-spline interpolator of order 0..5. It first computes the spline
 * coefficients over the buffered region (the recursive prefilter, lines
 * spread over the thread pool) and keeps them as coef_type, PIPIT_F64
 * (elastix BSplineInterpolator) or PIPIT_F32 (BSplineInterpolatorFloat:
 * half the memory, about 1e-7 relative error). Orders 0 and 1 need no
 * prefilter and equal nearest / linear interpolation inside the image.
 */
PIPIT_API pipit_interpolator_t *pipit_bspline_interpolator_new(
    const pipit_image_t *img, unsigned order, pipit_pixel_type_t coef_type);

/**
 * An interpolator chosen by name: "nearest", "linear", "bspline" (f64
 * coefficients) or "bspline-float" (f32), or the elastix names
 * NearestNeighborInterpolator, LinearInterpolator, BSplineInterpolator,
 * BSplineInterpolatorFloat. order (0..5) is read by the B-spline kinds
 * only. NULL with PIPIT_EINVAL naming the valid names for an unknown
 * name, else as the constructors above.
 */
PIPIT_API pipit_interpolator_t *pipit_interpolator_new_by_name(
    const pipit_image_t *img, const char *name, unsigned order);

PIPIT_API pipit_interpolator_t *pipit_interpolator_ref(
    pipit_interpolator_t *ip);
/** Drops a reference; NULL is a no-op. */
PIPIT_API void pipit_interpolator_unref(pipit_interpolator_t *ip);

/** "NearestNeighborInterpolator", "LinearInterpolator", ... */
PIPIT_API const char *pipit_interpolator_name(const pipit_interpolator_t *ip);
/** Number of image axes. */
PIPIT_API unsigned pipit_interpolator_dim(const pipit_interpolator_t *ip);
/** Spline order: 0 nearest, 1 linear, 0..5 B-spline. */
PIPIT_API unsigned pipit_interpolator_order(const pipit_interpolator_t *ip);

/**
 * The value returned outside the image. Setting it is not thread safe
 * against evaluation: set it before sharing the interpolator.
 */
PIPIT_API void pipit_interpolator_set_default(pipit_interpolator_t *ip,
                                              double value);
PIPIT_API double pipit_interpolator_default(const pipit_interpolator_t *ip);

/** True when the continuous index c (dim values) is inside the image. */
PIPIT_API bool pipit_interpolator_inside(const pipit_interpolator_t *ip,
                                         const double *c);

/**
 * The value at continuous index c into *value and, when gradient is not
 * NULL, its derivatives with respect to c (dim values). Returns false
 * (value = default, gradient = 0) when c is outside. No argument checks:
 * this is the inner loop. Thread safe.
 */
PIPIT_API bool pipit_interpolator_evaluate(const pipit_interpolator_t *ip,
                                           const double *c, double *value,
                                           double *gradient);

/**
 * Values at the n continuous indices c0 + i·step, i = 0..n-1 (dim values
 * each in c0 and step), into values[i], the default outside; returns how
 * many were inside. The kernel runs inlined in the loop: this is the fast
 * path of a resampler stepping along an output row through a linear
 * transform. Thread safe.
 */
PIPIT_API size_t pipit_interpolator_evaluate_line(
    const pipit_interpolator_t *ip, const double *c0, const double *step,
    size_t n, double *values);

/**
 * The batch call: values at the n continuous indices c[i·dim ..
 * i·dim + dim) into values[i] (the default outside) and, when gradients
 * is not NULL, their gradients with respect to c into gradients[i·dim
 * ..] (0 outside); returns how many were inside. Each result equals
 * pipit_interpolator_evaluate's at the same index on the same code path
 * (see PIPIT_PORTABLE in doc/interpolation.md). It allocates nothing,
 * takes no lock and only reads the interpolator: call it from any
 * number of pool workers at once, each on its own points.
 */
PIPIT_API size_t pipit_interpolator_evaluate_batch(
    const pipit_interpolator_t *ip, size_t n, const double *c,
    double *values, double *gradients);

/**
 * As pipit_interpolator_evaluate_batch at the n physical points p
 * (dim values each); gradients, when asked for, are physical. No
 * allocation (indices go through a block on the stack).
 */
PIPIT_API size_t pipit_interpolator_evaluate_points(
    const pipit_interpolator_t *ip, size_t n, const double *p,
    double *values, double *gradients);

/**
 * As pipit_interpolator_evaluate at physical point p; the gradient, when
 * asked for, is physical (per unit of length along world axes).
 */
PIPIT_API bool pipit_interpolator_evaluate_point(
    const pipit_interpolator_t *ip, const double *p, double *value,
    double *gradient);

/** The continuous index of physical point p, with the snapshot geometry. */
PIPIT_API void pipit_interpolator_point_to_index(
    const pipit_interpolator_t *ip, const double *p, double *c);

/**
 * Converts a gradient with respect to the continuous index into one with
 * respect to physical position: g_phys = (diag(spacing)⁻¹ · direction⁻¹)ᵀ
 * · g_index. g_index and g_phys may be the same array.
 */
PIPIT_API void pipit_interpolator_gradient_to_physical(
    const pipit_interpolator_t *ip, const double *g_index, double *g_phys);

#ifdef __cplusplus
}
#endif
#endif

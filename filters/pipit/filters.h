/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filter library: each filter is a node class (one per file under
 * filters/), made with its pipit_<name>_new constructor or generically
 * by name with pipit_filter_new, and configured through its settings
 * (pipit_node_set) or the constructor's arguments.
 *
 * Per-axis settings hold one value (for every axis) or exactly one per
 * axis of the image the node runs on; any other count fails the update
 * with PIPIT_EINVAL naming the setting. Constructors that take `dim`
 * per-axis values follow the same rule (dim 1: every axis).
 */
#ifndef PIPIT_FILTERS_H
#define PIPIT_FILTERS_H

#include <pipit/node.h>
#include <pipit/transform.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Every filter class, in a stable order; *count receives how many. */
PIPIT_API const pipit_node_class_t *const *pipit_filter_classes(size_t *count);

/** The filter class called name, or NULL with PIPIT_EINVAL listing all. */
PIPIT_API const pipit_node_class_t *pipit_filter_class_find(const char *name);

/** pipit_node_new of the class called name (NULL when unknown). */
PIPIT_API pipit_node_t *pipit_filter_new(const char *name);

/* ---- sources: nodes with no input ------------------------------------ */

/*
 * Every source has the settings `size` (pixels per axis; how many values
 * is the dimension), `spacing`, `origin`, `direction` (dim x dim row by
 * row), `type` (pixel type) and `components`; it makes only the region
 * asked of it, so it streams, and a region update gives the same bits
 * as that region of a whole update.
 */

/**
 * Fills the region asked of a callback source: `pixels` is region->lo's
 * pixel in image (borrowed; pipit_image_strides gives the byte steps),
 * and every pixel of the region, no other, is to be written. Called from
 * several pool threads at once, for disjoint regions. A status other
 * than PIPIT_OK fails the update.
 */
typedef pipit_status_t (*pipit_source_fn)(const pipit_image_t *image,
                                          const pipit_region_t *region,
                                          void *pixels, void *user);

/**
 * callback: a source whose pixels fn writes, for each piece of what is
 * asked (dim values of size, pixel type type, components values per
 * pixel). user is passed to fn as is. New reference, or NULL with
 * PIPIT_EINVAL (fn NULL, a bad size or type).
 */
PIPIT_API pipit_node_t *pipit_callback_source_new(unsigned dim,
                                                  const size_t *size,
                                                  pipit_pixel_type_t type,
                                                  unsigned components,
                                                  pipit_source_fn fn,
                                                  void *user);

/**
 * constant: a source whose every pixel is `value` (setting `value`),
 * rounded and clamped to type. New reference, or NULL with PIPIT_EINVAL.
 */
PIPIT_API pipit_node_t *pipit_constant_new(unsigned dim, const size_t *size,
                                           pipit_pixel_type_t type,
                                           double value);

/**
 * noise: a source of Gaussian noise, `mean` + `sigma` * z, z standard
 * normal drawn from `seed`: a pixel's value depends on the seed and its
 * index only (counter-based generator), so any region, piece size or
 * thread count gives the same bits. New reference, or NULL with
 * PIPIT_EINVAL (mean not finite, sigma negative).
 */
PIPIT_API pipit_node_t *pipit_noise_new(unsigned dim, const size_t *size,
                                        pipit_pixel_type_t type, double mean,
                                        double sigma, uint64_t seed);

/**
 * ramp: a source whose value is `offset` + `scale` * c, c the pixel's
 * index along `axis` (setting `coordinate` index), or the axis-th
 * coordinate of its physical point (`coordinate` physical), computed as
 * pipit_image_index_to_point does. Offset 0, scale 1 by default. New
 * reference, or NULL with PIPIT_EINVAL (axis >= dim).
 */
PIPIT_API pipit_node_t *pipit_ramp_new(unsigned dim, const size_t *size,
                                       pipit_pixel_type_t type,
                                       unsigned axis);

/* ---- constructors, one block per filter (keep alphabetical) ---------- */

/**
 * abs (ITK AbsImageFilter): |v|; output type = input type by default
 * (setting `type`), signed minima saturate (|-128| = 127 for i8). New
 * reference.
 */
PIPIT_API pipit_node_t *pipit_abs_new(void);

/**
 * add (ITK AddImageFilter): input 0 + input 1, or + `constant` when
 * input 1 is not connected (same size and components; any types). All
 * f32: single precision; otherwise double, then rounded half away from
 * zero and clamped to the output type (setting `type`; default input 0's).
 * New reference, or NULL (constant not finite).
 */
PIPIT_API pipit_node_t *pipit_add_new(double constant);

/**
 * bin-shrink (ITK BinShrinkImageFilter): mean of blocks of factors[d]
 * pixels (dim values, >= 1); floor(n / f) pixels per axis, origin at the
 * centre of the first block; integers rounded half up. An image smaller
 * than a block is an error at update. New reference.
 */
PIPIT_API pipit_node_t *pipit_bin_shrink_new(unsigned dim,
                                             const size_t *factors);

/**
 * binary-threshold (ITK BinaryThresholdImageFilter): `inside` where
 * lower <= v <= upper (compared exactly; NaN outside), `outside`
 * elsewhere; u8 output by default (setting `type`). New reference, or NULL
 * (a value not finite); lower > upper fails at update.
 */
PIPIT_API pipit_node_t *pipit_binary_threshold_new(double lower, double upper,
                                                   double inside,
                                                   double outside);

/**
 * cast: pixels converted to `type`, rounded half away from zero and
 * clamped for integer types, NaN to 0 (components one by one). New
 * reference, or NULL with PIPIT_EINVAL for an unknown type.
 */
PIPIT_API pipit_node_t *pipit_cast_new(pipit_pixel_type_t type);

/**
 * change-information (ITK ChangeInformationImageFilter): the input with
 * the spacing, origin and direction of the reference image on input 1
 * (optional) and then of the settings `spacing`, `origin`, `direction` (text
 * lists; empty keeps) and `center` (bool). No pixel is copied: the output
 * shares the input's buffer. New reference.
 */
PIPIT_API pipit_node_t *pipit_change_information_new(void);

/**
 * checkerboard (ITK CheckerBoardImageFilter): blocks alternately from
 * input 0 and input 1 (same size, type and components), pattern[d]
 * blocks per axis (dim values, >= 1). New reference.
 */
PIPIT_API pipit_node_t *pipit_checkerboard_new(unsigned dim,
                                               const size_t *pattern);

/**
 * clamp (ITK ClampImageFilter): values limited to [lower, upper] (and to
 * the output type's range); NaN passes. New reference, or NULL (a bound
 * not finite); lower > upper fails at update.
 */
PIPIT_API pipit_node_t *pipit_clamp_new(double lower, double upper);

/**
 * constant-pad (ITK ConstantPadImageFilter): lower[d] and upper[d]
 * pixels (dim values) added on each axis, set to value; the origin
 * moves so that the input's pixels keep their physical place. New
 * reference.
 */
PIPIT_API pipit_node_t *pipit_constant_pad_new(unsigned dim,
                                               const size_t *lower,
                                               const size_t *upper,
                                               double value);

/**
 * discrete-gaussian (ITK DiscreteGaussianImageFilter): separable discrete
 * Gaussian of `variance` on every axis (settings: `variance` per axis,
 * `maximum-error`, `maximum-kernel-width`, `use-image-spacing`); zero-flux
 * Neumann boundary; output type = input type. New reference, or NULL
 * with PIPIT_EINVAL (variance negative or not finite) / PIPIT_ENOMEM.
 */
PIPIT_API pipit_node_t *pipit_discrete_gaussian_new(double variance);

/**
 * divide (ITK DivideImageFilter): input 0 / input 1, or / `constant`.
 * Integer operands truncate toward zero; a denominator of 0 (within 0.1
 * epsilon for floats) gives the output type's largest value, floats
 * included (ITK's rule, not IEEE infinity); a constant 0 fails at
 * update. Types as pipit_add_new. New reference, or NULL.
 */
PIPIT_API pipit_node_t *pipit_divide_new(double constant);

/**
 * exp (ITK ExpImageFilter): e^v in double; f32 output for integer
 * inputs by default (setting `type`), else the input's type. New reference.
 */
PIPIT_API pipit_node_t *pipit_exp_new(void);

/**
 * extract-region: the box [index, index + size) (dim values each; size
 * 0: to the end of that axis), its origin at the physical point of
 * index. A box outside the image fails at update. New reference.
 */
PIPIT_API pipit_node_t *pipit_extract_region_new(unsigned dim,
                                                 const size_t *index,
                                                 const size_t *size);

/**
 * flip (ITK FlipImageFilter, FlipAboutOrigin off): pixel order reversed
 * on the axes where axes[d] is true (dim values, as many as the image's
 * axes; one value: every axis); origin and direction
 * change so that pixels keep their physical place. New reference.
 */
PIPIT_API pipit_node_t *pipit_flip_new(unsigned dim, const bool *axes);

/**
 * gradient (ITK GradientImageFilter): central-difference gradient, a
 * vector image of dim f32 components (f64 for f64 input); settings
 * `use-image-spacing`, `use-image-direction` (both true). New reference.
 */
PIPIT_API pipit_node_t *pipit_gradient_new(void);

/**
 * gradient-magnitude (ITK GradientMagnitudeImageFilter): length of the
 * central-difference gradient; f32 output (f64 for f64). New reference.
 */
PIPIT_API pipit_node_t *pipit_gradient_magnitude_new(void);

/**
 * gradient-magnitude-recursive-gaussian (ITK's filter of that name):
 * gradient magnitude of the recursive Gaussian derivatives of `sigma`
 * (physical units). New reference, or NULL (sigma not finite).
 */
PIPIT_API pipit_node_t *pipit_gradient_magnitude_recursive_gaussian_new(
    double sigma);

/**
 * histogram: counts of the input's values (scalar images) in `bins`
 * bins over ITK's automatic range, or [lower, upper] with setting `auto`
 * false; the output passes the input through (shared, not copied). New
 * reference, or NULL (bins 0).
 */
PIPIT_API pipit_node_t *pipit_histogram_new(size_t bins);

/**
 * The counts of the last update of a histogram node: *counts (borrowed,
 * valid until the node runs again or dies) holds *bins values.
 * PIPIT_EINVAL when n is not a histogram node, PIPIT_ESTATE before an
 * update.
 */
PIPIT_API pipit_status_t pipit_histogram_get(const pipit_node_t *n,
                                             const uint64_t **counts,
                                             size_t *bins);

/** Bin k of a histogram node covers [*lo, *hi). Statuses as above. */
PIPIT_API pipit_status_t pipit_histogram_bin(const pipit_node_t *n, size_t k,
                                             double *lo, double *hi);

/**
 * laplacian (ITK LaplacianImageFilter): Σ second differences / spacing²;
 * f32 output (f64 for f64). New reference.
 */
PIPIT_API pipit_node_t *pipit_laplacian_new(void);

/**
 * log (ITK LogImageFilter): natural logarithm in double; f32 output for
 * integer inputs by default (setting `type`). New reference.
 */
PIPIT_API pipit_node_t *pipit_log_new(void);

/**
 * maximum (ITK MaximumImageFilter): a > b ? a : b with b input 1 or
 * `constant`. Types as pipit_add_new. New reference, or NULL.
 */
PIPIT_API pipit_node_t *pipit_maximum_new(double constant);

/**
 * mean (ITK MeanImageFilter): average over the box of `radius` voxels on
 * every axis (setting `radius` per axis); output type = input type,
 * integers rounded. New reference.
 */
PIPIT_API pipit_node_t *pipit_mean_new(unsigned radius);

/**
 * median (ITK MedianImageFilter): median over the box of `radius` voxels
 * on every axis (setting `radius` per axis); any scalar type. New
 * reference.
 */
PIPIT_API pipit_node_t *pipit_median_new(unsigned radius);

/**
 * minimum (ITK MinimumImageFilter): a < b ? a : b with b input 1 or
 * `constant`. Types as pipit_add_new. New reference, or NULL.
 */
PIPIT_API pipit_node_t *pipit_minimum_new(double constant);

/**
 * mirror-pad (ITK MirrorPadImageFilter): lower[d] and upper[d] pixels
 * (dim values) added on each axis, mirrored with the edge repeated
 * (index -1 takes pixel 0); origin moved as constant-pad's. New
 * reference.
 */
PIPIT_API pipit_node_t *pipit_mirror_pad_new(unsigned dim,
                                             const size_t *lower,
                                             const size_t *upper);

/**
 * multiply (ITK MultiplyImageFilter): input 0 * input 1, or * `constant`.
 * Types as pipit_add_new. New reference, or NULL.
 */
PIPIT_API pipit_node_t *pipit_multiply_new(double constant);

/**
 * otsu-threshold (ITK OtsuThresholdImageFilter): the threshold of
 * largest between-class variance of a `bins`-bin histogram (ITK's bins
 * and search, see doc/filters.md); values <= threshold become inside
 * (255), the others outside (0); u8 output by default. Scalar images.
 * New reference, or NULL (bins < 2).
 */
PIPIT_API pipit_node_t *pipit_otsu_threshold_new(size_t bins);

/**
 * The threshold the last update of an otsu-threshold node found, in the
 * input's pixel type (as ITK's GetThreshold). PIPIT_EINVAL when n is not
 * such a node, PIPIT_ESTATE before an update.
 */
PIPIT_API pipit_status_t pipit_otsu_threshold_get(const pipit_node_t *n,
                                                  double *threshold);

/**
 * permute-axes (ITK PermuteAxesImageFilter): output axis j is input axis
 * order[j] (a permutation of 0..dim-1); pixels keep their physical
 * place. New reference.
 */
PIPIT_API pipit_node_t *pipit_permute_axes_new(unsigned dim,
                                               const unsigned *order);

/**
 * pyramid: level `level` (0 the coarsest) of an elastix pyramid of
 * `levels` levels; type "smoothing", "recursive" or "shrinking" (NULL:
 * smoothing); setting `schedule` for ImagePyramidSchedule. f32 output.
 * See doc/filters-smoothing.md. New reference, or NULL with PIPIT_EINVAL.
 */
PIPIT_API pipit_node_t *pipit_pyramid_new(const char *type, unsigned levels,
                                          unsigned level);

/**
 * recursive-gaussian (ITK RecursiveGaussianImageFilter): IIR Gaussian of
 * `sigma` (physical units) or its derivative of `order` (0, 1, 2; per
 * axis through the setting) along axis `direction`, or along every axis
 * when direction is -1; derivatives per voxel. f32 output (f64 for
 * f64). New reference, or NULL with PIPIT_EINVAL.
 */
PIPIT_API pipit_node_t *pipit_recursive_gaussian_new(double sigma,
                                                     int direction,
                                                     unsigned order);

/**
 * resample (ITK ResampleImageFilter): out(x) = in(T(x)) on the grid of
 * the reference image on input 1 when connected, else of the settings
 * `size` / `spacing` / `origin` / `direction`, else (size 0) the
 * input's grid; settings `interpolator` (nearest, linear, bspline,
 * bspline-float), `order`, `default-value`, `type` (the output's pixel
 * type). T comes on input 2, a transform port: a constant transform
 * (pipit_node_set_input_transform, or pipit_resample_set_transform) or
 * an upstream node's transform output (pipit_node_set_input); the
 * identity when unconnected. New reference.
 */
PIPIT_API pipit_node_t *pipit_resample_new(void);

/**
 * Connects t as the constant transform of a resample node, input 2 (a
 * reference is taken, the old one dropped; NULL: the identity): a thin
 * wrapper of pipit_node_set_input_transform. Later changes to t's
 * parameters re-run the node at its next update. PIPIT_EINVAL when n is
 * NULL or not a resample node.
 */
PIPIT_API pipit_status_t pipit_resample_set_transform(pipit_node_t *n,
                                                      pipit_transform_t *t);

/**
 * rescale-intensity (ITK RescaleIntensityImageFilter): the input's
 * [minimum, maximum] mapped linearly onto [min, max]; output type =
 * input type by default (setting `type`). New reference, or NULL (a value
 * not finite); min > max fails at update.
 */
PIPIT_API pipit_node_t *pipit_rescale_intensity_new(double min, double max);

/**
 * shift-scale (ITK ShiftScaleImageFilter): (v + shift) * scale in
 * double, converted to the output type (setting `type`). New reference, or
 * NULL (a value not finite).
 */
PIPIT_API pipit_node_t *pipit_shift_scale_new(double shift, double scale);

/**
 * shrink (ITK ShrinkImageFilter): every factors[d]-th pixel (dim values,
 * >= 1), floor(n / f) pixels per axis (at least 1), physical centre
 * kept as ITK. New reference.
 */
PIPIT_API pipit_node_t *pipit_shrink_new(unsigned dim, const size_t *factors);

/**
 * smoothing-recursive-gaussian (ITK SmoothingRecursiveGaussianImageFilter):
 * IIR Gaussian of `sigma` (physical units) along every axis (setting
 * `sigma` per axis); output type = input type. New reference, or NULL
 * with PIPIT_EINVAL.
 */
PIPIT_API pipit_node_t *pipit_smoothing_recursive_gaussian_new(double sigma);

/**
 * sqrt (ITK SqrtImageFilter): square root in double; f32 output for
 * integer inputs by default (setting `type`). New reference.
 */
PIPIT_API pipit_node_t *pipit_sqrt_new(void);

/**
 * square (ITK SquareImageFilter): v * v in double; output type = input
 * type by default, saturating. New reference.
 */
PIPIT_API pipit_node_t *pipit_square_new(void);

/** Figures of a statistics node. */
typedef struct pipit_statistics {
    double min, max;      /* NaN values skipped; NaN when all are NaN */
    double mean, sum;     /* NaN when a value is NaN */
    double variance, sigma; /* sample (n - 1), NaN for one value */
    uint64_t count;
} pipit_statistics_t;

/**
 * statistics (ITK StatisticsImageFilter): figures of the whole input (a
 * scalar image), read with pipit_statistics_get; the output passes the
 * input through (shared, not copied). Bit-identical at any thread count
 * and when the output is streamed. New reference.
 */
PIPIT_API pipit_node_t *pipit_statistics_new(void);

/**
 * The figures of the last update of a statistics node. PIPIT_EINVAL when
 * n is not one, PIPIT_ESTATE before an update.
 */
PIPIT_API pipit_status_t pipit_statistics_get(const pipit_node_t *n,
                                              pipit_statistics_t *out);

/**
 * subtract (ITK SubtractImageFilter): input 0 - input 1, or - `constant`.
 * Types as pipit_add_new. New reference, or NULL.
 */
PIPIT_API pipit_node_t *pipit_subtract_new(double constant);

/**
 * threshold (ITK ThresholdImageFilter): values in [lower, upper] kept,
 * the others set to outside; the input's type. New reference, or NULL
 * (a value not finite); lower > upper fails at update.
 */
PIPIT_API pipit_node_t *pipit_threshold_new(double lower, double upper,
                                            double outside);

/**
 * warp (ITK WarpImageFilter): out(x) = in(x + d(x)), d the displacement
 * field on input 1 (dim f32 or f64 components, physical units), whose
 * grid the output takes; with a transform T on input 2 (a transform
 * port), out(x) = in(T(x + d(x))). Settings as resample's
 * `interpolator`, `order`, `default-value`, `type`. New reference.
 */
PIPIT_API pipit_node_t *pipit_warp_new(void);

/* ---- Transform tools ---------------------------------------------- */

/**
 * transform-field (ITK TransformToDisplacementFieldFilter; transformix's
 * -def all, -jac all, -jacmat all): the transform on input 1 (a
 * transform port; the identity when unconnected) sampled on the grid of
 * the reference image on input 0, whose pixels are not read. Setting
 * `quantity`: displacement (D components, T(x) - x in world axes),
 * jacobian-determinant (det dT/dx), jacobian (D·D components, the
 * derivative of output axis r by input axis c at r·D + c); `type` f32
 * (default) or f64. New reference.
 */
PIPIT_API pipit_node_t *pipit_transform_field_new(void);

/**
 * transform-invert: the inverse of the transform on input 1 as a
 * displacement field (T⁻¹(y) - y, D components) on the grid of the
 * reference image on input 0. Linear transforms are inverted exactly
 * (pipit_transform_inverse), and that inverse is output 1 (a
 * transform); others by a Newton fixed-point iteration per voxel
 * (settings `iterations`, default 50, and `tolerance`, default 1e-6
 * world units), output 1 then unset. Output 2, a table: residual-max and
 * residual-mean of |T(y + u(y)) - y| over the grid with u as stored,
 * iterations-max, unconverged (voxels whose iteration stopped above the
 * tolerance: no step lowered the residual, or `iterations` ran out).
 * Update the node itself for whole-grid figures (a streaming writer
 * makes it in parts). `type` f32 (default) or f64. New reference.
 */
PIPIT_API pipit_node_t *pipit_transform_invert_new(void);

/**
 * transform-compose: output 0 is the chain of the transforms on inputs
 * 0 and 1 (both required): `how` compose (default) gives
 * T(x) = in1(in0(x)), input 0 applied first (elastix's initial
 * transform); add gives in0(x) + in1(x) - x. New reference.
 */
PIPIT_API pipit_node_t *pipit_transform_compose_new(void);

#ifdef __cplusplus
}
#endif
#endif

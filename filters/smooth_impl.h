/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the neighbourhood filters share (Gaussians, mean, median,
 * derivatives, resampling, pyramids): input checks, rows converted to and
 * from a working type, per-worker scratch, and the two separable engines:
 *
 *   FIR: a symmetric kernel per axis, applied z, y, x inside each piece
 *        (filters/separable_fir.c); the input region it needs is the
 *        piece padded by the kernel radius, so it streams.
 *   IIR: the Deriche / Farneback-Westin 4th-order recursive Gaussian
 *        (filters/separable_iir.c), run over whole lines axis by axis on
 *        a float working volume made in `before`; x last, in `threaded`.
 *
 * Boundaries follow ITK's defaults: zero-flux Neumann (an index outside
 * the image reads the nearest pixel) for the FIR filters and
 * derivatives, constant extension of the border value for the IIR ones.
 */
#ifndef PIPIT_SMOOTH_IMPL_H
#define PIPIT_SMOOTH_IMPL_H

#include <pipit/interpolator.h>
#include <pipit/transform.h>

#include "cpu_impl.h"
#include "interpolator_impl.h" /* pipit__coef_cache_t */
#include "filters_impl.h"
#include "scratch_impl.h"

/* Hot loops get a second copy for x86-64-v3 through lib/cpu_impl.h. */

/* Lanes of the blocked loops: a fixed trip count the vectoriser takes at
 * -O2 (16 floats: two AVX registers, four SSE ones). */
#define PIPIT__LANES 16

/* ---- checks ------------------------------------------------------------ */

/**
 * Input i must be a scalar image of 2 or 3 axes: PIPIT_EINVAL naming the
 * node otherwise.
 */
pipit_status_t pipit__check_scalar_2d3d(const pipit_node_t *n, unsigned i);

/**
 * A per-axis value (sigma, variance) must be finite and > 0 (>= 0 when
 * zero_ok) on the image's axes: PIPIT_EINVAL naming the node, the
 * setting and the axis otherwise.
 */
pipit_status_t pipit__check_per_axis(const pipit_node_t *n, const char *what,
                                     const double *v, unsigned dim,
                                     bool zero_ok);

/** True when float loses precision for t (i32, u32, f64): work in double. */
bool pipit__needs_f64(pipit_pixel_type_t t);

/** f64 for f64 input, f32 otherwise: the type of real-valued outputs. */
pipit_pixel_type_t pipit__real_type(pipit_pixel_type_t t);

/* ---- settings shared by resample, warp and pyramid --------------------- */

/** Choices of the `interpolator` setting, in enum order. */
enum { PIPIT__INTERP_NEAREST, PIPIT__INTERP_LINEAR, PIPIT__INTERP_BSPLINE,
       PIPIT__INTERP_BSPLINE_FLOAT };
extern const char *const pipit__interpolator_choices[];

/**
 * A new interpolator of the chosen kind (B-spline: that order, 0..5) for
 * img with default value dflt into *out; B-spline coefficients go into
 * *cache when it is not NULL (see lib/interpolator_impl.h). On failure
 * the message is prefixed by the node's name.
 */
pipit_status_t pipit__interpolator_make(const pipit_node_t *n,
                                        const pipit_image_t *img, int kind,
                                        int64_t order, double dflt,
                                        pipit__coef_cache_t *cache,
                                        pipit_interpolator_t **out);

/** Choices of the `type` setting: "auto" (the input's type), then u8 .. f64. */
extern const char *const pipit__output_type_choices[];
/** The pixel type a choice stands for (0: the input's). */
pipit_pixel_type_t pipit__output_type(int choice, pipit_pixel_type_t input);

/**
 * The affine map from output index to input continuous index, c = m·i +
 * b (m dim x dim row-major), through transform t (NULL: identity);
 * false when t is not affine. Entries within 1e-9 (relative) of an
 * integer are rounded to it, so that grid-aligned maps sample exactly
 * on voxels.
 */
bool pipit__index_map(const pipit_transform_t *t, const pipit_image_t *in,
                      const pipit_image_t *out, double *m, double *b);

/* ---- rows -------------------------------------------------------------- */

/** n pixels of type t at src into dst (no rounding needed). */
void pipit__row_load_f32(const char *src, pipit_pixel_type_t t, size_t n,
                         float *dst);
void pipit__row_load_f64(const char *src, pipit_pixel_type_t t, size_t n,
                         double *dst);

/**
 * n values into pixels of type t: integers are rounded to nearest (half
 * away from zero) and clamped to the type's range, NaN becomes 0.
 */
void pipit__row_store_f32(const float *src, size_t n, char *dst,
                          pipit_pixel_type_t t);
void pipit__row_store_f64(const double *src, size_t n, char *dst,
                          pipit_pixel_type_t t);

/* ---- kernels ----------------------------------------------------------- */

/**
 * ITK's GaussianOperator: taps T(k, t) = exp(-t) I_k(t) (t the variance in
 * voxels², I_k the modified Bessel function), added from the centre out
 * until c_0 + 2 Σ c_k reaches 1 - max_error or the radius reaches
 * max_width, then divided by that sum. Variance 0 gives the 1-tap
 * identity. *taps (2 radius + 1 values, centre at radius) is allocated;
 * the caller frees it with pipit__free.
 */
pipit_status_t pipit__gaussian_kernel(double variance, double max_error,
                                      size_t max_width, double **taps,
                                      size_t *radius);

/* ---- 3-point stencils (stencil.c) -------------------------------------- */

/*
 * The rows a central difference needs at row (y, z), columns [x0, x1)
 * (element 0 is column x0): c with c[-1] and c[x1 - x0] holding the
 * clamped neighbours, ym / yp / zm / zp the clamped rows y ± 1, z ± 1.
 */
typedef struct {
    const float *c, *ym, *yp, *zm, *zp;
} pipit__stencil_f32_t;
typedef struct {
    const double *c, *ym, *yp, *zm, *zp;
} pipit__stencil_f64_t;


/*
 * A 3-point stencil filter: the node all of them share, and what sets
 * one apart. Each output row (components per pixel as the output image
 * has) is made from the stencil rows by the row kernel in the working
 * type, with constants k made once per piece in double (at most
 * PIPIT__STENCIL_K values) and handed over in that type.
 */
typedef struct pipit__stencil_node {
    pipit_node_t base;
    bool use_spacing, use_direction;
    pipit__scratch_t scratch;
} pipit__stencil_node_t;

#define PIPIT__STENCIL_K 12

typedef struct pipit__stencil_kind {
    void (*constants)(const pipit__stencil_node_t *s, const pipit_image_t *in,
                      double *k);
    void (*row_f32)(const pipit__stencil_f32_t *r, size_t w, const float *k,
                    unsigned dim, float *out);
    void (*row_f64)(const pipit__stencil_f64_t *r, size_t w, const double *k,
                    unsigned dim, double *out);
} pipit__stencil_kind_t;

/** Information of a stencil filter: a 2-D or 3-D scalar input, a real
 * output of that size with components per pixel. */
pipit_status_t pipit__stencil_information(pipit_node_t *n,
                                          unsigned components);
/** Request hook of the 3-point stencils: the asked region padded by 1. */
pipit_status_t pipit__stencil_request(pipit_node_t *n, unsigned input,
                                      const pipit_region_t *asked,
                                      pipit_region_t *needed);
/** Before, after and finalize hooks: the per-worker row scratch. */
pipit_status_t pipit__stencil_before(pipit_node_t *n);
pipit_status_t pipit__stencil_after(pipit_node_t *n);
void pipit__stencil_finalize(pipit_node_t *n);
/** The threaded hook, given the filter's kind. */
pipit_status_t pipit__stencil_threaded(pipit_node_t *n,
                                       const pipit_piece_t *p,
                                       const pipit__stencil_kind_t *kind);

/* ---- FIR engine (separable_fir.c) -------------------------------------- */

typedef struct pipit__fir {
    unsigned dim;
    size_t radius[3];
    float *kf[3];  /* taps as float (centre at radius), owned */
    double *kd[3]; /* taps as double */
    bool f64;      /* work in double (i32, u32, f64 input) */
    double divisor; /* each output is the filtered sum / divisor */
    pipit__scratch_t scratch;
} pipit__fir_t;

/**
 * Makes f ready for n (input 0 to output 0): copies the symmetric kernels
 * taps[d] (2 radius[d] + 1 values; NULL with radius 0 is the identity)
 * and sizes the scratch for the requested region. Call from `before`.
 */
pipit_status_t pipit__fir_prepare(pipit__fir_t *f, const pipit_node_t *n,
                                  double *const taps[3],
                                  const size_t radius[3], double divisor);
void pipit__fir_release(pipit__fir_t *f);

/** Computes the piece p of output 0 from input 0 (from `threaded`). */
pipit_status_t pipit__fir_piece(const pipit__fir_t *f, const pipit_node_t *n,
                                const pipit_piece_t *p);

/** Request helper: the asked region padded by radius, within the input. */
pipit_status_t pipit__request_padded(const pipit_node_t *n, unsigned input,
                                     const pipit_region_t *asked,
                                     const size_t *radius,
                                     pipit_region_t *needed);

/* ---- IIR engine (separable_iir.c) -------------------------------------- */

/**
 * One axis of the recursive Gaussian: causal numerators n[0..3] on
 * x[i..i-3], anti-causal m[0..3] on x[i+1..i+4], shared denominators
 * d[0..3] on the previous outputs; the border value is taken to extend
 * to infinity (ITK's boundary). Empty (n[0] = 0, identity) when unused.
 */
typedef struct pipit__iir {
    double n[4], m[4], d[4];
    double causal_gain, anti_gain; /* steady-state response to 1 */
    bool active;                   /* false: the identity */
} pipit__iir_t;

/**
 * The coefficients of ITK's RecursiveGaussianImageFilter for sigma
 * (physical) on an axis of that spacing and derivative order 0..2; the
 * result is per voxel (not divided by the spacing), multiplied by
 * sigma^order when normalize (NormalizeAcrossScale). sigma must be > 0.
 */
void pipit__iir_coefficients(double sigma, double spacing, unsigned order,
                             bool normalize, pipit__iir_t *c);

/** The identity (no filtering along that axis). */
void pipit__iir_identity(pipit__iir_t *c);

/**
 * A float working volume over a region of the image, x fastest. Its
 * memory is kept from one update to the next (fresh pages cost a fault
 * each, which is most of a filter's time at 256^3) until
 * pipit__volume_free; start it zeroed.
 */
typedef struct pipit__volume {
    pipit_region_t region;
    size_t size[3];
    float *data;     /* 64-byte aligned, owned */
    size_t capacity; /* floats allocated */
} pipit__volume_t;

/** v over region r (axes 0..2), contents undefined; reuses its memory
 * when large enough. */
pipit_status_t pipit__volume_alloc(pipit__volume_t *v,
                                   const pipit_region_t *r);
/** Converts region r of img (buffered) into v, in parallel. */
pipit_status_t pipit__volume_load(pipit__volume_t *v, const pipit_image_t *img,
                                  const pipit_region_t *r);
/** A copy of src. */
pipit_status_t pipit__volume_copy(pipit__volume_t *dst,
                                  const pipit__volume_t *src);
void pipit__volume_free(pipit__volume_t *v);
/** Row (y, z) (image indices) of v. */
const float *pipit__volume_row(const pipit__volume_t *v, size_t y, size_t z);

/** Filters v in place along axis 1 or 2 (all of its lines), in parallel. */
pipit_status_t pipit__iir_axis(pipit__volume_t *v, unsigned axis,
                               const pipit__iir_t *c);

/** Doubles of scratch pipit__iir_rows needs for lines of n samples. */
size_t pipit__iir_scratch_doubles(size_t n);

/**
 * The x pass for count (<= PIPIT__LANES) lines of n samples, src[l] the
 * first sample of line l: the filtered samples off .. off + w - 1 of
 * line l go to dst + l * dst_stride. c may be inactive (a copy).
 */
void pipit__iir_rows(const float *const *src, unsigned count, size_t n,
                     size_t off, size_t w, const pipit__iir_t *c, float *dst,
                     size_t dst_stride, double *scratch);

/**
 * A whole separable recursive filter of input 0 into output 0: the
 * caller fills axis[] (inactive axes are left alone); run (from
 * `before`) loads the input region asked for and filters it along z and
 * y (only x filtered on f32 input: the input rows are used as they are);
 * piece (from `threaded`) filters rows along x, calls finish on each
 * (when not NULL) and stores them; release (from `after`) frees the
 * scratch and keeps the volume for the next update; free (from
 * `finalize`) frees everything. Start it zeroed.
 */
typedef void (*pipit__iir_finish_fn)(const pipit_node_t *n, float *row,
                                     size_t count);

typedef struct pipit__iir_plan {
    pipit__iir_t axis[3];
    pipit__volume_t vol;
    pipit__scratch_t scratch;
} pipit__iir_plan_t;

pipit_status_t pipit__iir_plan_run(pipit__iir_plan_t *pl,
                                   const pipit_node_t *n);
pipit_status_t pipit__iir_plan_piece(const pipit__iir_plan_t *pl,
                                     const pipit_node_t *n,
                                     const pipit_piece_t *p,
                                     pipit__iir_finish_fn finish);
void pipit__iir_plan_release(pipit__iir_plan_t *pl);
void pipit__iir_plan_free(pipit__iir_plan_t *pl);

/**
 * Request helper: the asked region widened to the whole image along each
 * axis whose bit is set in axes.
 */
pipit_status_t pipit__request_lines(const pipit_node_t *n, unsigned input,
                                    const pipit_region_t *asked,
                                    unsigned axes, pipit_region_t *needed);

#endif

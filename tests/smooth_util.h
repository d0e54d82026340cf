/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the neighbourhood-filter suites (test_filters_*.c). */
#ifndef PIPIT_TEST_SMOOTH_UTIL_H
#define PIPIT_TEST_SMOOTH_UTIL_H

#include "testutil.h"

/** A dim-D scalar image of type t filled with uniform values in [lo, hi)
 * from a fixed seed (integers rounded). New reference. */
pipit_image_t *su_random(unsigned dim, const size_t *size,
                         pipit_pixel_type_t t, double lo, double hi,
                         uint32_t seed);

/** Value of a scalar image at (x, y, z) (z ignored in 2-D). */
double su_at(const pipit_image_t *img, size_t x, size_t y, size_t z);

/** Sets the value at (x, y, z). */
void su_set(pipit_image_t *img, size_t x, size_t y, size_t z, double v);

/** Runs n on img (input 0) and returns a private copy of output 0, or
 * NULL (message recorded). */
pipit_image_t *su_run(pipit_node_t *n, pipit_image_t *img);

/** Output 0 of n assembled from pipit_node_stream pieces of about
 * piece_bytes, or NULL. New reference. */
pipit_image_t *su_stream(pipit_node_t *n, size_t piece_bytes);

/** True when a and b have the same shape, type and bytes. */
bool su_identical(const pipit_image_t *a, const pipit_image_t *b);

/** Largest |a - b| over every pixel and component (same size and
 * components; pixel types may differ); INFINITY when the shapes differ. */
double su_max_diff(const pipit_image_t *a, const pipit_image_t *b);

/** exp(-t) I_k(t) for k = 0..kmax by its power series (independent of
 * the library's quadrature), into out. */
void su_bessel_series(double t, size_t kmax, double *out);

/** ITK's discrete Gaussian kernel (half, normalised) for variance t and
 * maximum error e, width cap 32: returns the radius; half[0..radius]. */
size_t su_gaussian_half(double t, double e, double *half);

#endif

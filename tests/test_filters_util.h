/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the test_filters_*.c suites. */
#ifndef PIPIT_TEST_FILTERS_UTIL_H
#define PIPIT_TEST_FILTERS_UTIL_H

#include "testutil.h"

/** A new scalar image holding values v (x fastest), rounded and clamped
 * to type t as pipit_image_set_value does. */
pipit_image_t *tf_values(unsigned dim, const size_t *size,
                         pipit_pixel_type_t t, const double *v);

/** A 2-D w x h image of values v. */
pipit_image_t *tf_row(size_t w, size_t h, pipit_pixel_type_t t,
                      const double *v);

/** Asserts that the n values of img (all components, x fastest) are
 * expect, exactly (NaN matches NaN); reports the first difference. */
void tf_assert_values(const pipit_image_t *img, const double *expect,
                      size_t n, const char *what);

/** Updates n (asserting OK) and returns a copy of output 0 (new ref). */
pipit_image_t *tf_update(pipit_node_t *n);

/**
 * Streams output 0 of n in pieces of about piece_bytes and returns the
 * pieces put together in a new image with the output's geometry.
 */
pipit_image_t *tf_streamed(pipit_node_t *n, size_t piece_bytes);

/** True when a and b have the same shape, type, geometry (exactly) and
 * pixel bytes; prints what differs. */
bool tf_same(const pipit_image_t *a, const pipit_image_t *b);

/** A single-input or two-input node of the filter called name, with the
 * given settings ("name=value" strings, NULL-terminated) and inputs. */
pipit_node_t *tf_filter(const char *name, const char *const *settings,
                        pipit_image_t *in0, pipit_image_t *in1);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* Pixel-type conversion shared by io/ and filters/ (lib/pixel_convert.c). */
#ifndef PIPIT_PIXEL_CONVERT_IMPL_H
#define PIPIT_PIXEL_CONVERT_IMPL_H

#include <stddef.h>

#include <pipit/types.h>

/** n values from type st at src to type dt at dst (rounded half away from
 * zero and clamped for integer targets, NaN to 0), as
 * pipit_image_set_value does. src and dst must not overlap unless equal
 * types. */
void pipit__convert(const void *src, pipit_pixel_type_t st, void *dst,
                    pipit_pixel_type_t dt, size_t n);
/** The same with v * slope + inter applied (to a float type). */
void pipit__convert_scaled(const void *src, pipit_pixel_type_t st, void *dst,
                           pipit_pixel_type_t dt, size_t n, double slope,
                           double inter);

#endif

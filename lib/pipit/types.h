/* SPDX-License-Identifier: Apache-2.0 */
/* Pixel types and regions: plain values, no allocation. */
#ifndef PIPIT_TYPES_H
#define PIPIT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pipit/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Images have 2, 3 or 4 axes; x is axis 0 and varies fastest in memory. */
#define PIPIT_MAX_DIM 4

typedef enum pipit_pixel_type {
    PIPIT_U8, PIPIT_I8, PIPIT_U16, PIPIT_I16,
    PIPIT_U32, PIPIT_I32, PIPIT_F32, PIPIT_F64
} pipit_pixel_type_t;

#define PIPIT_PIXEL_TYPE_COUNT 8

/** Bytes of one component (1, 2, 4 or 8); 0 for an unknown type. */
PIPIT_API size_t pipit_pixel_size(pipit_pixel_type_t t);

/** "u8", "i16", "f32", ...; "?" for an unknown type. */
PIPIT_API const char *pipit_pixel_type_name(pipit_pixel_type_t t);

/**
 * Parses "u8".."f64" and the elastix / ITK spellings ("unsigned char",
 * "short", "float", ...). PIPIT_EINVAL naming the text when unknown.
 */
PIPIT_API pipit_status_t pipit_pixel_type_parse(const char *text,
                                                pipit_pixel_type_t *out);

/** The elastix spelling: "unsigned char", "short", "float", ... */
PIPIT_API const char *pipit_pixel_type_elastix_name(pipit_pixel_type_t t);

PIPIT_API bool pipit_pixel_type_is_float(pipit_pixel_type_t t);
PIPIT_API bool pipit_pixel_type_is_signed(pipit_pixel_type_t t);

/** Smallest and largest value of the type (finite limits for floats). */
PIPIT_API void pipit_pixel_type_range(pipit_pixel_type_t t, double *lo,
                                      double *hi);

/**
 * A box of pixel indices, half-open: axis d covers [lo[d], hi[d]).
 * Index = lo, size = hi - lo. Axes past the image dimension are [0, 1),
 * so loops over z (and t) run once for a 2-D image.
 */
typedef struct pipit_region {
    size_t lo[PIPIT_MAX_DIM];
    size_t hi[PIPIT_MAX_DIM];
} pipit_region_t;

/** The region [index, index + size) on the first dim axes, [0,1) beyond. */
PIPIT_API pipit_region_t pipit_region_make(unsigned dim, const size_t *index,
                                           const size_t *size);

/** The region [0, size) on the first dim axes. */
PIPIT_API pipit_region_t pipit_region_from_size(unsigned dim,
                                                const size_t *size);

/** Number of pixels; 0 when any axis is empty. */
PIPIT_API size_t pipit_region_count(const pipit_region_t *r);

PIPIT_API bool pipit_region_is_empty(const pipit_region_t *r);

PIPIT_API bool pipit_region_equal(const pipit_region_t *a,
                                  const pipit_region_t *b);

/** True when every pixel of inner lies in outer (an empty inner always). */
PIPIT_API bool pipit_region_contains(const pipit_region_t *outer,
                                     const pipit_region_t *inner);

/** a ∩ b; an empty region (all hi == lo on some axis) when disjoint. */
PIPIT_API pipit_region_t pipit_region_intersect(const pipit_region_t *a,
                                                const pipit_region_t *b);

/** The smallest region holding both. */
PIPIT_API pipit_region_t pipit_region_union(const pipit_region_t *a,
                                            const pipit_region_t *b);

/** r grown by radius[d] on both sides of each axis, clipped to bounds. */
PIPIT_API pipit_region_t pipit_region_pad(const pipit_region_t *r,
                                          const size_t *radius, unsigned dim,
                                          const pipit_region_t *bounds);

/** The slowest axis (highest index) with more than one pixel; 0 if none. */
PIPIT_API unsigned pipit_region_split_axis(const pipit_region_t *r);

/**
 * Cuts r along its slowest axis with extent > 1 into at most n nearly
 * equal slabs; returns how many there really are (fewer when that axis
 * is shorter than n) and stores slab k in *piece when k < that number.
 * Slabs are disjoint, in index order, and cover r exactly.
 */
PIPIT_API size_t pipit_region_split(const pipit_region_t *r, size_t n,
                                    size_t k, pipit_region_t *piece);

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Images: geometry (size, spacing, origin, direction cosines), a pixel
 * type with a number of components, and a buffer holding the pixels of
 * the buffered region (all of the image, or the piece a streaming
 * pipeline asked for).
 *
 * Geometry follows ITK: the physical point of index i is
 *     p = origin + D · diag(spacing) · i
 * with D the direction matrix (columns = axis directions, row-major here:
 * D[r * dim + c]).
 */
#ifndef PIPIT_IMAGE_H
#define PIPIT_IMAGE_H

#include <pipit/buffer.h>
#include <pipit/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pipit_image pipit_image_t;

/**
 * A new image of dim axes (2..4) with the given size, spacing 1, origin
 * 0, identity direction and zeroed pixels. components >= 1. Returns a new
 * reference, or NULL with PIPIT_EINVAL / PIPIT_ERANGE (byte count
 * overflows) / PIPIT_ENOMEM recorded.
 */
PIPIT_API pipit_image_t *pipit_image_new(unsigned dim, const size_t *size,
                                         pipit_pixel_type_t type,
                                         unsigned components);

/**
 * A new image whose pixels are buffer (a reference is taken), laid out
 * contiguously over the whole image, x fastest, components interleaved.
 * The buffer must hold at least the pixel bytes. This is the no-copy
 * import: wrap the caller's array with pipit_buffer_wrap first, or use
 * pipit_image_wrap.
 */
PIPIT_API pipit_image_t *pipit_image_new_with_buffer(
    unsigned dim, const size_t *size, pipit_pixel_type_t type,
    unsigned components, pipit_buffer_t *buffer);

/** pipit_buffer_wrap + pipit_image_new_with_buffer in one call. */
PIPIT_API pipit_image_t *pipit_image_wrap(unsigned dim, const size_t *size,
                                          pipit_pixel_type_t type,
                                          unsigned components, void *data,
                                          unsigned flags,
                                          pipit_free_fn free_fn, void *user);

/**
 * A new image with the same geometry and type that shares src's buffer:
 * no pixel is copied until one of the two is written.
 */
PIPIT_API pipit_image_t *pipit_image_share(const pipit_image_t *src);

/** A new image with the same geometry and its own copy of the pixels. */
PIPIT_API pipit_image_t *pipit_image_dup(const pipit_image_t *src);

PIPIT_API pipit_image_t *pipit_image_ref(pipit_image_t *img);
PIPIT_API void pipit_image_unref(pipit_image_t *img);

PIPIT_API unsigned pipit_image_dim(const pipit_image_t *img);
PIPIT_API pipit_pixel_type_t pipit_image_pixel_type(const pipit_image_t *img);
PIPIT_API unsigned pipit_image_components(const pipit_image_t *img);
/** Bytes of one pixel: component size times components. */
PIPIT_API size_t pipit_image_pixel_bytes(const pipit_image_t *img);

/** Size, spacing, origin: arrays of dim values, borrowed. */
PIPIT_API const size_t *pipit_image_size(const pipit_image_t *img);
PIPIT_API const double *pipit_image_spacing(const pipit_image_t *img);
PIPIT_API const double *pipit_image_origin(const pipit_image_t *img);
/** The direction matrix, dim x dim row-major, borrowed. */
PIPIT_API const double *pipit_image_direction(const pipit_image_t *img);

/** The whole image as a region ([0, size) on each axis). */
PIPIT_API pipit_region_t pipit_image_largest_region(const pipit_image_t *img);
/** The region whose pixels the buffer holds (empty before an update). */
PIPIT_API pipit_region_t pipit_image_buffered_region(const pipit_image_t *img);

/**
 * The least spacing an image takes: below it the index of a point (its
 * coordinate over the spacing) overflows for ordinary coordinates, and a
 * denormal spacing has lost its precision. Such a spacing is a unit
 * mistake or garbage in a file, and is refused naming its value.
 */
#define PIPIT_MIN_SPACING 1e-100

/** Spacing values must be finite and at least PIPIT_MIN_SPACING:
 * PIPIT_EINVAL otherwise, naming the value and the axis. */
PIPIT_API pipit_status_t pipit_image_set_spacing(pipit_image_t *img,
                                                 const double *spacing);
PIPIT_API pipit_status_t pipit_image_set_origin(pipit_image_t *img,
                                                const double *origin);
/** The matrix must be finite and invertible: PIPIT_EINVAL otherwise. */
PIPIT_API pipit_status_t pipit_image_set_direction(pipit_image_t *img,
                                                   const double *direction);
/** Copies spacing, origin and direction of src (same dim required). */
PIPIT_API pipit_status_t pipit_image_copy_geometry(pipit_image_t *dst,
                                                   const pipit_image_t *src);
/** True when size, spacing, origin and direction agree within tol. */
PIPIT_API bool pipit_image_same_grid(const pipit_image_t *a,
                                     const pipit_image_t *b, double tol);

/** Physical point of a (possibly fractional) index; arrays of dim. */
PIPIT_API void pipit_image_index_to_point(const pipit_image_t *img,
                                          const double *index, double *point);
/** Continuous index of a physical point (inverse of the above). */
PIPIT_API void pipit_image_point_to_index(const pipit_image_t *img,
                                          const double *point, double *index);

/**
 * Pixel rows for hooks: a pointer p such that p + x * pixel_bytes is
 * pixel (x, y, z) of the buffered region (x, y, z inside it).
 */
PIPIT_API void *pipit_image_row(const pipit_image_t *img, size_t y, size_t z);

/**
 * Byte distance between neighbours along each axis of the buffer (x:
 * the pixel bytes). Pixels of the buffered region only.
 */
PIPIT_API const ptrdiff_t *pipit_image_strides(const pipit_image_t *img);

/**
 * The pixel at index (dim values, inside the buffered region) for
 * reading; NULL when no buffer or outside. Borrowed.
 */
PIPIT_API const void *pipit_image_pixel(const pipit_image_t *img,
                                        const size_t *index);

/**
 * Start of the buffered region's first pixel, for reading. Borrowed;
 * NULL when the image has no pixels yet.
 */
PIPIT_API const void *pipit_image_data(const pipit_image_t *img);

/**
 * The same, for writing: when the buffer is shared or read-only the image
 * first takes a private copy (copy-on-write), so other sharers never see
 * the write. Marks the pixels modified for the pipeline. NULL with
 * PIPIT_ENOMEM (copy failed) or PIPIT_ESTATE (no pixels) recorded.
 */
PIPIT_API void *pipit_image_data_writable(pipit_image_t *img);

/** Tells pipelines that use img as an input that its pixels changed. */
PIPIT_API void pipit_image_modified(pipit_image_t *img);

/**
 * The no-copy export: *data points at the pixels and *buffer receives a
 * new reference to the block holding them; they stay valid until the
 * caller unrefs *buffer, whatever happens to img. The layout is the
 * buffered region, strides as pipit_image_strides. Writing through *data
 * is allowed only when the caller first called pipit_image_data_writable
 * and holds the only other reference.
 */
PIPIT_API pipit_status_t pipit_image_export(const pipit_image_t *img,
                                            const void **data,
                                            pipit_buffer_t **buffer);

/** Borrowed pointer to the buffer (NULL when no pixels yet). */
PIPIT_API pipit_buffer_t *pipit_image_get_buffer(const pipit_image_t *img);

/**
 * Value of component c of the pixel at index as a double (any type);
 * the index must lie in the buffered region. For tests and tools, not
 * for inner loops.
 */
PIPIT_API double pipit_image_get_value(const pipit_image_t *img,
                                       const size_t *index, unsigned c);

/** Stores v (rounded and clamped to the type) at index, component c. */
PIPIT_API pipit_status_t pipit_image_set_value(pipit_image_t *img,
                                               const size_t *index,
                                               unsigned c, double v);

#ifdef __cplusplus
}
#endif
#endif

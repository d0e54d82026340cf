/* SPDX-License-Identifier: Apache-2.0 */
/* The image struct, for code that walks pixels (nodes, IO). */
#ifndef PIPIT_IMAGE_IMPL_H
#define PIPIT_IMAGE_IMPL_H

#include <stdint.h>

#include <pipit/data.h>
#include <pipit/image.h>

#include "object_impl.h"

struct pipit_node;

struct pipit_image {
    pipit__object_t obj;
    unsigned dim;
    unsigned components;
    pipit_pixel_type_t type;
    size_t pixel_bytes;
    /* Axes past dim hold size 1, spacing 1, origin 0, identity. */
    size_t size[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM];
    double origin[PIPIT_MAX_DIM];
    double direction[PIPIT_MAX_DIM * PIPIT_MAX_DIM]; /* dim x dim */
    /* D·diag(spacing) and its inverse, dim x dim row-major. */
    double to_point[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    double to_index[PIPIT_MAX_DIM * PIPIT_MAX_DIM];

    pipit_buffer_t *buffer; /* NULL until pixels exist */
    char *data;             /* first pixel of the buffered region */
    pipit_region_t buffered;
    ptrdiff_t stride[PIPIT_MAX_DIM];

    /* Global times (pipit__time_next) of the last geometry and pixel
     * changes; pipelines compare them with their own run times. */
    uint64_t info_time;
    uint64_t data_time;
};

/** A fresh value of the global modification clock (never 0). */
uint64_t pipit__time_next(void);
/** The clock's current value: unchanged means nothing anywhere changed. */
uint64_t pipit__time_now(void);

/**
 * Sets dim, size, type and components (geometry reset to spacing 1,
 * origin 0, identity only when dim changes); drops the pixels when the
 * shape or type changed. For information passes.
 */
PIPIT_API pipit_status_t pipit_image_set_shape(pipit_image_t *img,
                                               unsigned dim,
                                      const size_t *size,
                                      pipit_pixel_type_t type,
                                      unsigned components);

/**
 * Makes the buffer hold region r, writable and exclusive: keeps the
 * current buffer when it has exactly that region and nobody shares it,
 * otherwise allocates a new one (zeroed when zero is true).
 */
pipit_status_t pipit__image_allocate(pipit_image_t *img,
                                     const pipit_region_t *r, bool zero);

#define pipit__image_set_shape pipit_image_set_shape

/** Drops the pixels (buffered region becomes empty). */
void pipit__image_release(pipit_image_t *img);

/** An empty image shell (dim 2, size 1x1, u8, no pixels) for outputs. */
pipit_image_t *pipit__image_new_empty(void);

/** Recomputes to_point / to_index from spacing and direction. */
pipit_status_t pipit__image_update_matrices(pipit_image_t *img);

/**
 * Pointer to pixel (x, y, z, t), which must lie in the buffered region
 * (axes past dim take 0).
 */
static inline char *
pipit__at(const pipit_image_t *img, size_t x, size_t y, size_t z, size_t t)
{
    const pipit_region_t *b = &img->buffered;
    return img->data + (ptrdiff_t)(x - b->lo[0]) * img->stride[0] +
           (ptrdiff_t)(y - b->lo[1]) * img->stride[1] +
           (ptrdiff_t)(z - b->lo[2]) * img->stride[2] +
           (ptrdiff_t)(t - b->lo[3]) * img->stride[3];
}

/**
 * Start of row (y, z, t) shifted so that element x of the returned
 * pointer is pixel x (x in the buffered region): loops index by the
 * image's own x. Multiply x by components for vector images.
 */
static inline char *
pipit__row(const pipit_image_t *img, size_t y, size_t z, size_t t)
{
    return pipit__at(img, img->buffered.lo[0], y, z, t) -
           (ptrdiff_t)img->buffered.lo[0] * img->stride[0];
}

#define PIPIT__ROW_TYPED(name, ctype)                                      \
    static inline ctype *pipit__row_##name(const pipit_image_t *img,       \
                                           size_t y, size_t z)             \
    {                                                                      \
        return (ctype *)(void *)pipit__row(img, y, z, img->buffered.lo[3]); \
    }
PIPIT__ROW_TYPED(u8, uint8_t)
PIPIT__ROW_TYPED(i8, int8_t)
PIPIT__ROW_TYPED(u16, uint16_t)
PIPIT__ROW_TYPED(i16, int16_t)
PIPIT__ROW_TYPED(u32, uint32_t)
PIPIT__ROW_TYPED(i32, int32_t)
PIPIT__ROW_TYPED(f32, float)
PIPIT__ROW_TYPED(f64, double)
#undef PIPIT__ROW_TYPED

/**
 * Loops over the rows of region r of img: inside, `row` is a char *
 * shifted as pipit__row (so row + x * stride[0] is pixel x) and y, z, t
 * name the row. Use: PIPIT_FOR_EACH_ROW(img, r, row, y, z, t) { ... }
 */
#define PIPIT_FOR_EACH_ROW(img, r, row, y, z, t)                           \
    for (size_t t = (r)->lo[3]; t < (r)->hi[3]; t++)                       \
        for (size_t z = (r)->lo[2]; z < (r)->hi[2]; z++)                   \
            for (size_t y = (r)->lo[1]; y < (r)->hi[1]; y++)               \
                for (char *row = pipit__row((img), y, z, t); row != NULL;  \
                     row = NULL)

#endif

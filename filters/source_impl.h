/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the source nodes share (constant, ramp, noise, callback:
 * filters/source_*.c): no inputs; the output's grid and pixel type come
 * from common settings, and pixels are made piece by piece for whatever
 * region is asked, so a source streams and a region update gives the
 * same bits as the same region of a whole update.
 */
#ifndef PIPIT_SOURCE_IMPL_H
#define PIPIT_SOURCE_IMPL_H

#include "filters_impl.h"

/* Embedded first in every source node (its base first in turn). */
typedef struct pipit__source {
    pipit_node_t base;
    char *size;      /* "64,64": how many values is the dimension */
    double spacing[PIPIT_MAX_DIM], origin[PIPIT_MAX_DIM];
    char *direction; /* dim x dim row by row; empty: identity */
    pipit_pixel_type_t type;
    int64_t components;
} pipit__source_t;

/* The common settings' rows, for a node struct T whose member `src` is
 * its pipit__source_t. */
#define PIPIT__SOURCE_SETTINGS(T)                                          \
    { "size", PIPIT_SETTING_STRING, offsetof(T, src.size), "64,64",        \
      "pixels per axis, e.g. 256,256,64 (as many values as axes)", 1, 0,  \
      NULL },                                                              \
    { "spacing", PIPIT_SETTING_VECTOR, offsetof(T, src.spacing), "1",      \
      "pixel spacing per axis", 1e-30, 1e30, NULL },                       \
    { "origin", PIPIT_SETTING_VECTOR, offsetof(T, src.origin), "0",        \
      "physical point of pixel 0, per axis", 1, 0, NULL },                 \
    { "direction", PIPIT_SETTING_STRING, offsetof(T, src.direction), "",   \
      "direction cosines, dim x dim row by row (empty: identity)", 1, 0,   \
      NULL },                                                              \
    { "type", PIPIT_SETTING_PIXEL_TYPE, offsetof(T, src.type), "f32",      \
      "pixel type of the output", 1, 0, NULL },                            \
    { "components", PIPIT_SETTING_INT, offsetof(T, src.components), "1",   \
      "values per pixel", 1, 64, NULL }

/* Information hook of every source: output 0's shape and geometry from
 * the common settings (PIPIT_EINVAL naming the setting at fault). */
pipit_status_t pipit__source_information(pipit_node_t *n);

/*
 * Values of `count` pixels of a row, from index `at` (x, y, z, t) along
 * x, every component of a pixel in turn: count * components doubles.
 * Runs on the pool: reads the node only.
 */
typedef void (*pipit__source_row_fn)(const pipit_node_t *n,
                                     const size_t *at, size_t count,
                                     double *values);

/* Threaded hook body: fills the piece through row, converted to the
 * output's type as every filter converts (rounded, clamped). */
pipit_status_t pipit__source_rows(pipit_node_t *n, const pipit_piece_t *p,
                                  pipit__source_row_fn row);

/*
 * A new source of class c with size (dim values) and pixel type type set;
 * NULL with PIPIT_EINVAL naming `ctor` for bad arguments.
 */
pipit_node_t *pipit__source_new(const pipit_node_class_t *c,
                                const char *ctor, unsigned dim,
                                const size_t *size, pipit_pixel_type_t type);

#endif

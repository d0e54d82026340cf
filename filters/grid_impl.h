/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the filters that move pixels without changing them (extract
 * region, pads, flip, permute axes, shrink, bin-shrink, checkerboard,
 * change information): filters/grid.c.
 *
 * Images have no start index here (ITK's LargestPossibleRegion index is
 * always 0), so where ITK would give the output a non-zero start index
 * these filters move its origin instead: every pixel keeps the physical
 * position ITK gives it.
 */
#ifndef PIPIT_GRID_IMPL_H
#define PIPIT_GRID_IMPL_H

#include "filters_impl.h"

/*
 * The first dim values of a per-axis setting (a VECTOR) as whole
 * numbers in [min, max]: PIPIT_EINVAL naming the node, setting and axis
 * otherwise.
 */
pipit_status_t pipit__axis_counts(const pipit_node_t *n, const char *name,
                                  const double *v, unsigned dim, size_t min,
                                  size_t max, size_t *out);

/*
 * Numbers separated by commas (or 'x') in a text setting, at most max:
 * *count gets how many. PIPIT_EINVAL naming the node and setting when
 * one is not a finite number.
 */
pipit_status_t pipit__parse_list(const pipit_node_t *n, const char *name,
                                 const char *text, double *out, size_t max,
                                 size_t *count);

/* out's origin becomes the physical point of continuous index ci of in
 * (dim values); spacing and direction are left as they are. */
pipit_status_t pipit__origin_at(const pipit_image_t *in, const double *ci,
                                pipit_image_t *out);

/*
 * Output 0 of a filter that cuts, grows or subsamples input 0's grid:
 * size pixels of the input's type, components and direction, spacing
 * (the input's when NULL), and the origin at the physical point of the
 * input's continuous index ci.
 */
pipit_status_t pipit__grid_output(pipit_node_t *n, const size_t *size,
                                  const double *spacing, const double *ci);

/*
 * Information of a pad filter: output 0 is input 0 grown by lower[d]
 * and upper[d] pixels (per-axis settings, checked here) with its origin
 * at the physical point of index -lower; *lo gets lower as counts.
 */
pipit_status_t pipit__pad_information(pipit_node_t *n, const double *lower,
                                      const double *upper, size_t *lo);

/* n pixels of pb bytes from src, stepping stride bytes, to dst packed. */
void pipit__gather(void *dst, const char *src, ptrdiff_t stride, size_t n,
                   size_t pb);

/* n copies of the pixel at value (pb bytes) into dst. */
void pipit__fill(void *dst, const void *value, size_t n, size_t pb);

/* Pixel x of row, for char pointers from pipit__row. */
static inline char *
pipit__px(const pipit_image_t *img, char *row, size_t x)
{
    return row + (ptrdiff_t)x * img->stride[0];
}

#endif

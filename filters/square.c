/* SPDX-License-Identifier: Apache-2.0 */
/*
 * square: v * v computed in double (ITK's SquareImageFilter). The output
 * keeps the input's type by default; integer results beyond the type's
 * range saturate, where ITK wraps.
 */
#include <math.h>

#include "pointwise_impl.h"

static void
square_chunk(double *v, size_t n, const void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        v[i] = x * x;
    }
}

static void
square_f32(const float *a, float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        b[i] = (float)(x * x);
    }
}

static void
square_f64(const double *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        b[i] = x * x;
    }
}

static const pipit__unary_op_t square_op = {
    .real = false,
    .chunk = square_chunk,
    .row_f32 = square_f32,
    .row_f64 = square_f64,
};

static pipit_status_t
square_init(pipit_node_t *n)
{
    ((pipit__unary_t *)n)->op = &square_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__square_class = {
    .name = "square",
    .help = "each value squared",
    .init = square_init,
    PIPIT__UNARY_CLASS,
};

pipit_node_t *
pipit_square_new(void)
{
    return pipit_node_new(&pipit__square_class);
}

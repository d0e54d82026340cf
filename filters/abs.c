/* SPDX-License-Identifier: Apache-2.0 */
/*
 * abs: |v| (ITK's AbsImageFilter). The output keeps the input's type by
 * default; for signed integers |min| saturates to the largest value
 * (i8: |-128| = 127), where ITK wraps.
 */
#include <math.h>

#include "pointwise_impl.h"

static void
abs_chunk(double *v, size_t n, const void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        v[i] = fabs(x);
    }
}

static void
abs_f32(const float *a, float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        b[i] = (float)(fabs(x));
    }
}

static void
abs_f64(const double *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        b[i] = fabs(x);
    }
}

static const pipit__unary_op_t abs_op = {
    .real = false,
    .chunk = abs_chunk,
    .row_f32 = abs_f32,
    .row_f64 = abs_f64,
};

static pipit_status_t
abs_init(pipit_node_t *n)
{
    ((pipit__unary_t *)n)->op = &abs_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__abs_class = {
    .name = "abs",
    .help = "absolute value of each value",
    .init = abs_init,
    PIPIT__UNARY_CLASS,
};

pipit_node_t *
pipit_abs_new(void)
{
    return pipit_node_new(&pipit__abs_class);
}

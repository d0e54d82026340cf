/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exp: e to the power v, computed in double (ITK's ExpImageFilter). The
 * default output type is f32 for integer inputs (ITK's FloatType of
 * every integer type) and the input's own type for f32 and f64; values
 * beyond the output type's range saturate (+inf for floats).
 */
#include <math.h>

#include "pointwise_impl.h"

static void
exp_chunk(double *v, size_t n, const void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        v[i] = exp(x);
    }
}

static void
exp_f32(const float *a, float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        b[i] = (float)(exp(x));
    }
}

static void
exp_f64(const double *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        b[i] = exp(x);
    }
}

static const pipit__unary_op_t exp_op = {
    .real = true,
    .chunk = exp_chunk,
    .row_f32 = exp_f32,
    .row_f64 = exp_f64,
};

static pipit_status_t
exp_init(pipit_node_t *n)
{
    ((pipit__unary_t *)n)->op = &exp_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__exp_class = {
    .name = "exp",
    .help = "e raised to each value (auto type: f32 for integer inputs)",
    .init = exp_init,
    PIPIT__UNARY_CLASS,
};

pipit_node_t *
pipit_exp_new(void)
{
    return pipit_node_new(&pipit__exp_class);
}

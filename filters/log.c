/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log: the natural logarithm, computed in double (ITK's LogImageFilter):
 * log(0) is -inf, negative values give NaN (an integer output clamps
 * -inf to its least value and NaN to 0). The default output type is f32
 * for integer inputs (ITK's FloatType of every integer type) and the
 * input's own type for f32 and f64.
 */
#include <math.h>

#include "pointwise_impl.h"

static void
log_chunk(double *v, size_t n, const void *ctx)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        v[i] = log(x);
    }
}

static void
log_f32(const float *a, float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        b[i] = (float)(log(x));
    }
}

static void
log_f64(const double *a, double *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = a[i];
        b[i] = log(x);
    }
}

static const pipit__unary_op_t log_op = {
    .real = true,
    .chunk = log_chunk,
    .row_f32 = log_f32,
    .row_f64 = log_f64,
};

static pipit_status_t
log_init(pipit_node_t *n)
{
    ((pipit__unary_t *)n)->op = &log_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__log_class = {
    .name = "log",
    .help = "natural logarithm of each value (auto type: f32 for integer "
            "inputs)",
    .init = log_init,
    PIPIT__UNARY_CLASS,
};

pipit_node_t *
pipit_log_new(void)
{
    return pipit_node_new(&pipit__log_class);
}

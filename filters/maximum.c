/* SPDX-License-Identifier: Apache-2.0 */
/*
 * maximum: a > b ? a : b, of two images or an image and a constant
 * (ITK's MaximumImageFilter; with NaN in a the result is b, with NaN
 * in b it is NaN). Types as filters/binary.c explains.
 */
#include <math.h>

#include "pointwise_impl.h"

PIPIT__BINARY_ROWS(maximum, x > y ? x : y, x > y ? x : y)

static const pipit__binary_op_t maximum_op = {
    .divide = false,
    .row_f32 = maximum_f32,
    .row_f64 = maximum_f64,
};

static pipit_status_t
maximum_init(pipit_node_t *n)
{
    ((pipit__binary_t *)n)->op = &maximum_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__maximum_class = {
    .name = "maximum",
    .help = "the larger of IN and IN2 (or the constant)",
    .init = maximum_init,
    .settings = pipit__binary_settings,
    PIPIT__BINARY_CLASS,
};

pipit_node_t *
pipit_maximum_new(double constant)
{
    return pipit__binary_new(&pipit__maximum_class, constant);
}

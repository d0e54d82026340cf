/* SPDX-License-Identifier: Apache-2.0 */
/*
 * minimum: a < b ? a : b, of two images or an image and a constant
 * (ITK's MinimumImageFilter; with NaN in a the result is b, with NaN
 * in b it is NaN). Types as filters/binary.c explains.
 */
#include <math.h>

#include "pointwise_impl.h"

PIPIT__BINARY_ROWS(minimum, x < y ? x : y, x < y ? x : y)

static const pipit__binary_op_t minimum_op = {
    .divide = false,
    .row_f32 = minimum_f32,
    .row_f64 = minimum_f64,
};

static pipit_status_t
minimum_init(pipit_node_t *n)
{
    ((pipit__binary_t *)n)->op = &minimum_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__minimum_class = {
    .name = "minimum",
    .help = "the smaller of IN and IN2 (or the constant)",
    .init = minimum_init,
    .settings = pipit__binary_settings,
    PIPIT__BINARY_CLASS,
};

pipit_node_t *
pipit_minimum_new(double constant)
{
    return pipit__binary_new(&pipit__minimum_class, constant);
}

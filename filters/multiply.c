/* SPDX-License-Identifier: Apache-2.0 */
/*
 * multiply: a * b, of two images or an image and a constant (ITK's
 * MultiplyImageFilter); types and rounding as filters/binary.c explains.
 */
#include <math.h>

#include "pointwise_impl.h"

PIPIT__BINARY_ROWS(multiply, x * y, x * y)

static const pipit__binary_op_t multiply_op = {
    .divide = false,
    .row_f32 = multiply_f32,
    .row_f64 = multiply_f64,
};

static pipit_status_t
multiply_init(pipit_node_t *n)
{
    ((pipit__binary_t *)n)->op = &multiply_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__multiply_class = {
    .name = "multiply",
    .help = "IN * IN2, or IN * constant",
    .init = multiply_init,
    .settings = pipit__binary_settings_one,
    PIPIT__BINARY_CLASS,
};

pipit_node_t *
pipit_multiply_new(double constant)
{
    return pipit__binary_new(&pipit__multiply_class, constant);
}

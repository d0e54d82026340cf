/* SPDX-License-Identifier: Apache-2.0 */
/*
 * subtract: a - b, of two images or an image and a constant (ITK's
 * SubtractImageFilter); types and rounding as filters/binary.c explains.
 */
#include <math.h>

#include "pointwise_impl.h"

PIPIT__BINARY_ROWS(subtract, x - y, x - y)

static const pipit__binary_op_t subtract_op = {
    .divide = false,
    .row_f32 = subtract_f32,
    .row_f64 = subtract_f64,
};

static pipit_status_t
subtract_init(pipit_node_t *n)
{
    ((pipit__binary_t *)n)->op = &subtract_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__subtract_class = {
    .name = "subtract",
    .help = "IN - IN2, or IN - constant",
    .init = subtract_init,
    .settings = pipit__binary_settings,
    PIPIT__BINARY_CLASS,
};

pipit_node_t *
pipit_subtract_new(double constant)
{
    return pipit__binary_new(&pipit__subtract_class, constant);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * add: a + b, of two images or an image and a constant (ITK's
 * AddImageFilter); types and rounding as filters/binary.c explains.
 */
#include <math.h>

#include "pointwise_impl.h"

PIPIT__BINARY_ROWS(add, x + y, x + y)

static const pipit__binary_op_t add_op = {
    .divide = false,
    .row_f32 = add_f32,
    .row_f64 = add_f64,
};

static pipit_status_t
add_init(pipit_node_t *n)
{
    ((pipit__binary_t *)n)->op = &add_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__add_class = {
    .name = "add",
    .help = "IN + IN2, or IN + constant",
    .init = add_init,
    .settings = pipit__binary_settings,
    PIPIT__BINARY_CLASS,
};

pipit_node_t *
pipit_add_new(double constant)
{
    return pipit__binary_new(&pipit__add_class, constant);
}

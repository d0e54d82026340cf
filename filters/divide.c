/* SPDX-License-Identifier: Apache-2.0 */
/*
 * divide: a / b, of two images or an image and a constant, as ITK's
 * DivideImageFilter: when both operands are integers (integer images,
 * or an integer image and a whole constant) the quotient is truncated
 * toward zero, as C++ integer division; a denominator equal to 0 (for
 * float images: within 0.1 epsilon of it, ITK's AlmostEquals) gives the
 * largest value of the output type, whatever the numerator, for float
 * outputs too (FLT_MAX or DBL_MAX, not infinity); a constant 0 is an
 * error. Other types and rounding as filters/binary.c explains.
 */
#include <math.h>

#include "pointwise_impl.h"

PIPIT__BINARY_ROWS(divide, fabsf(y) <= zf ? mf : x / y,
                   fabs(y) <= zd ? md : tr ? trunc(x / y) : x / y)

static const pipit__binary_op_t divide_op = {
    .divide = true,
    .row_f32 = divide_f32,
    .row_f64 = divide_f64,
};

static pipit_status_t
divide_init(pipit_node_t *n)
{
    ((pipit__binary_t *)n)->op = &divide_op;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__divide_class = {
    .name = "divide",
    .help = "IN / IN2, or IN / constant; x / 0 gives the type's largest value",
    .init = divide_init,
    .settings = pipit__binary_settings_one,
    PIPIT__BINARY_CLASS,
};

pipit_node_t *
pipit_divide_new(double constant)
{
    return pipit__binary_new(&pipit__divide_class, constant);
}

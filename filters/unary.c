/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the unary arithmetic filters share (abs, sqrt, exp, log,
 * square): the "type" setting, the output type rule and the row loop.
 * Each operation is computed in double, as ITK's functors compute it,
 * and converted to the output type (rounded half away from zero and
 * clamped for integers, where ITK's static_cast truncates or wraps).
 */
#include "pointwise_impl.h"

const pipit_setting_t pipit__unary_settings[] = {
    { "type", PIPIT_SETTING_CHOICE, offsetof(pipit__unary_t, type), "auto",
      "pixel type of the output (auto: see the filter)", 1, 0,
      pipit__type_choices },
};

pipit_status_t
pipit__unary_information(pipit_node_t *n)
{
    const pipit__unary_t *u = (const pipit__unary_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_pixel_type_t fallback = in->type;
    if (u->op->real && !pipit_pixel_type_is_float(in->type))
        fallback = PIPIT_F32;
    return pipit__information_as(n, pipit__type_choice(u->type, fallback),
                                 in->components);
}

static void
unary_row(const pipit_node_t *n, const void *src, void *dst, size_t count)
{
    const pipit__unary_op_t *op = ((const pipit__unary_t *)n)->op;
    pipit_pixel_type_t it = pipit__input(n, 0)->type;
    pipit_pixel_type_t ot = pipit__output(n, 0)->type;
    if (it == PIPIT_F32 && ot == PIPIT_F32)
        op->row_f32(src, dst, count);
    else if (it == PIPIT_F64 && ot == PIPIT_F64)
        op->row_f64(src, dst, count);
    else
        pipit__chunked_row(src, it, dst, ot, count, op->chunk, NULL);
}

pipit_status_t
pipit__unary_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__pointwise_rows(n, p, unary_row);
}

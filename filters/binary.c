/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the binary arithmetic filters share (add, subtract, multiply,
 * divide, minimum, maximum): the second operand is image input 1 when
 * connected (same size and components as input 0; any pixel type),
 * else the "constant" setting.
 *
 * When the operands and the output are all f32 (a constant counting as
 * f32) the operation is done in single precision, as ITK does it for
 * float images; all f64 in double; any other mix in double, with the
 * constant as given, then converted to the output type (rounded half
 * away from zero and clamped for integers: results beyond the type's
 * range saturate, where ITK's C++ arithmetic wraps). The output type
 * defaults to input 0's.
 */
#include <float.h>
#include <math.h>

#include "pointwise_impl.h"

const pipit_setting_t pipit__binary_settings[] = {
    { "constant", PIPIT_SETTING_DOUBLE, offsetof(pipit__binary_t, constant),
      "0", "second operand when IN2 is not given", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(pipit__binary_t, type), "auto",
      "pixel type of the output (auto: IN's)", 1, 0,
      pipit__type_choices },
};

const pipit_setting_t pipit__binary_settings_one[] = {
    { "constant", PIPIT_SETTING_DOUBLE, offsetof(pipit__binary_t, constant),
      "1", "second operand when IN2 is not given", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(pipit__binary_t, type), "auto",
      "pixel type of the output (auto: IN's)", 1, 0,
      pipit__type_choices },
};

pipit_status_t
pipit__binary_information(pipit_node_t *n)
{
    const pipit__binary_t *k = (const pipit__binary_t *)n;
    const pipit_image_t *a = pipit__input(n, 0), *b = pipit__input(n, 1);
    pipit_status_t st;
    if (b != NULL) {
        if ((st = pipit__check_same_size(n, 0, 1)) != PIPIT_OK)
            return st;
        if (a->components != b->components)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "input 0 has %u components per pixel "
                                     "but input 1 has %u",
                                     a->components, b->components);
    } else if (k->op->divide && fabs(k->constant) <= 0.1 * DBL_EPSILON) {
        /* ITK's DivideImageFilter refuses it too. */
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the constant denominator is 0");
    }
    return pipit__information_as(n, pipit__type_choice(k->type, a->type),
                                 a->components);
}

pipit_status_t
pipit__binary_before(pipit_node_t *n)
{
    pipit__binary_t *k = (pipit__binary_t *)n;
    const pipit_image_t *a = pipit__input(n, 0), *b = pipit__input(n, 1);
    pipit_pixel_type_t ot = pipit__output(n, 0)->type;
    k->with_image = b != NULL;
    bool a_int = !pipit_pixel_type_is_float(a->type);
    bool b_int = b != NULL ? !pipit_pixel_type_is_float(b->type)
                           : k->constant == trunc(k->constant);
    k->trunc = k->op->divide && a_int && b_int;
    /* ITK's Div: a denominator "almost equal" to 0 of its own type (0.1
     * epsilon for floats, exactly 0 for integers) gives the largest value
     * of the output type, for floats too (not IEEE's infinity). */
    pipit_pixel_type_t bt = b != NULL ? b->type : PIPIT_F64;
    k->zero_f64 = bt == PIPIT_F32   ? 0.1 * FLT_EPSILON
                  : bt == PIPIT_F64 ? 0.1 * DBL_EPSILON
                                    : 0.0;
    k->max_f64 = pipit__type_max(ot);
    k->zero_f32 = 0.1f * FLT_EPSILON;
    k->max_f32 = FLT_MAX;
    return PIPIT_OK;
}

/* One row: a (input 0), b (input 1 or NULL for the constant), c. */
static void
binary_row(const pipit__binary_t *k, pipit_pixel_type_t ta,
           pipit_pixel_type_t tb, pipit_pixel_type_t tc, const void *a,
           const void *b, void *c, size_t count)
{
    const pipit__binary_op_t *op = k->op;
    size_t sa = pipit_pixel_size(ta), sc = pipit_pixel_size(tc);
    size_t sb = b != NULL ? pipit_pixel_size(tb) : 0;
    if (ta == PIPIT_F32 && tc == PIPIT_F32 && (b == NULL || tb == PIPIT_F32)) {
        if (b != NULL) {
            op->row_f32(a, b, c, count, k);
            return;
        }
        float cb[PIPIT__CHUNK];
        for (size_t i = 0; i < PIPIT__CHUNK; i++)
            cb[i] = (float)k->constant;
        for (size_t i = 0; i < count; i += PIPIT__CHUNK) {
            size_t m = count - i < PIPIT__CHUNK ? count - i : PIPIT__CHUNK;
            op->row_f32((const float *)a + i, cb, (float *)c + i, m, k);
        }
        return;
    }
    if (ta == PIPIT_F64 && tc == PIPIT_F64 && b != NULL && tb == PIPIT_F64) {
        op->row_f64(a, b, c, count, k);
        return;
    }
    double va[PIPIT__CHUNK], vb[PIPIT__CHUNK];
    if (b == NULL)
        for (size_t i = 0; i < PIPIT__CHUNK; i++)
            vb[i] = k->constant;
    for (size_t i = 0; i < count; i += PIPIT__CHUNK) {
        size_t m = count - i < PIPIT__CHUNK ? count - i : PIPIT__CHUNK;
        pipit__convert_fast((const char *)a + i * sa, ta, va, PIPIT_F64, m);
        if (b != NULL)
            pipit__convert_fast((const char *)b + i * sb, tb, vb, PIPIT_F64,
                                m);
        op->row_f64(va, vb, va, m, k);
        pipit__convert_fast(va, PIPIT_F64, (char *)c + i * sc, tc, m);
    }
}

pipit_status_t
pipit__binary_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const pipit__binary_t *k = (const pipit__binary_t *)n;
    const pipit_image_t *a = pipit__input(n, 0);
    const pipit_image_t *b = k->with_image ? pipit__input(n, 1) : NULL;
    const pipit_image_t *c = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    size_t count = (r->hi[0] - r->lo[0]) * a->components;
    PIPIT_FOR_EACH_ROW(c, r, row, y, z, t) {
        (void)row;
        binary_row(k, a->type, b != NULL ? b->type : PIPIT_F64, c->type,
                   pipit__row_at(a, r, y, z, t),
                   b != NULL ? pipit__row_at(b, r, y, z, t) : NULL,
                   pipit__row_at(c, r, y, z, t), count);
    }
    return PIPIT_OK;
}

pipit_node_t *
pipit__binary_new(const pipit_node_class_t *c, double constant)
{
    /* Named for the public constructor the caller called. */
    if (!isfinite(constant)) {
        pipit__error(PIPIT_EINVAL,
                     "pipit_%s_new: invalid argument: constant %g is not a "
                     "finite number",
                     c->name, constant);
        return NULL;
    }
    pipit_node_t *n = pipit_node_new(c);
    if (n != NULL)
        ((pipit__binary_t *)n)->constant = constant;
    return n;
}

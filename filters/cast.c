/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cast: the pixels converted to another type. To an integer type values
 * are rounded half away from zero and clamped to the type's range, NaN
 * giving 0 (ITK's CastImageFilter is a static_cast: it truncates, and
 * wraps or is undefined out of range); to a float type they take the
 * nearest value, finite f64 values beyond the f32 range clamping to
 * +-FLT_MAX (infinities and NaN stay). Components are converted one by
 * one.
 */
#include <float.h>
#include <math.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    int type; /* index into pipit__type_choices */
} cast_t;

static pipit_status_t
cast_information(pipit_node_t *n)
{
    const cast_t *c = (const cast_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    return pipit__information_as(n, pipit__type_choice(c->type, in->type),
                                 in->components);
}

static void
cast_row(const pipit_node_t *n, const void *src, void *dst, size_t count)
{
    pipit_pixel_type_t it = pipit__input(n, 0)->type;
    pipit_pixel_type_t ot = pipit__output(n, 0)->type;
    if (it == PIPIT_F64 && ot == PIPIT_F32) {
        const double *a = src;
        float *b = dst;
        for (size_t i = 0; i < count; i++) {
            double v = a[i];
            /* a comparison with infinity is false, so they pass */
            v = v > FLT_MAX && v < INFINITY ? FLT_MAX : v;
            v = v < -FLT_MAX && v > -INFINITY ? -FLT_MAX : v;
            b[i] = (float)v;
        }
        return;
    }
    pipit__convert_fast(src, it, dst, ot, count);
}

static pipit_status_t
cast_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__pointwise_rows(n, p, cast_row);
}

static const pipit_setting_t cast_settings[] = {
    { "type", PIPIT_SETTING_CHOICE, offsetof(cast_t, type), "f32",
      "pixel type of the output (auto: the input's)", 1, 0,
      pipit__type_choices },
};

const pipit_node_class_t pipit__cast_class = {
    .name = "cast",
    .help = "converts pixels to another type (rounded half away from zero, "
            "clamped, NaN to 0)",
    .size = sizeof(cast_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = cast_settings,
    .n_settings = sizeof cast_settings / sizeof cast_settings[0],
    .information = cast_information,
    .threaded = cast_threaded,
};

pipit_node_t *
pipit_cast_new(pipit_pixel_type_t type)
{
    PIPIT_CHECK_ARG_NULL(pipit_pixel_size(type) != 0);
    pipit_node_t *n = pipit_node_new(&pipit__cast_class);
    if (n != NULL)
        ((cast_t *)n)->type = (int)type + 1;
    return n;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * shift-scale: (v + shift) * scale, computed in double as ITK's
 * ShiftScaleImageFilter does, then converted to the output type
 * (rounded half away from zero and clamped for integers; ITK truncates).
 */
#include <math.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    double shift, scale;
    int type;
} shift_scale_t;

static pipit_status_t
shift_scale_information(pipit_node_t *n)
{
    const shift_scale_t *s = (const shift_scale_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    return pipit__information_as(n, pipit__type_choice(s->type, in->type),
                                 in->components);
}

static void
shift_scale_chunk(double *v, size_t n, const void *ctx)
{
    const shift_scale_t *s = ctx;
    const double shift = s->shift, scale = s->scale;
    for (size_t i = 0; i < n; i++)
        v[i] = (v[i] + shift) * scale;
}

static void
shift_scale_row(const pipit_node_t *n, const void *src, void *dst,
                size_t count)
{
    const shift_scale_t *s = (const shift_scale_t *)n;
    pipit_pixel_type_t it = pipit__input(n, 0)->type;
    pipit_pixel_type_t ot = pipit__output(n, 0)->type;
    const double shift = s->shift, scale = s->scale;
    if (it == PIPIT_F32 && ot == PIPIT_F32) {
        const float *a = src;
        float *b = dst;
        for (size_t i = 0; i < count; i++)
            b[i] = (float)(((double)a[i] + shift) * scale);
    } else if (it == PIPIT_F64 && ot == PIPIT_F64) {
        const double *a = src;
        double *b = dst;
        for (size_t i = 0; i < count; i++)
            b[i] = (a[i] + shift) * scale;
    } else {
        pipit__chunked_row(src, it, dst, ot, count, shift_scale_chunk, s);
    }
}

static pipit_status_t
shift_scale_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__pointwise_rows(n, p, shift_scale_row);
}

static const pipit_setting_t shift_scale_settings[] = {
    { "shift", PIPIT_SETTING_DOUBLE, offsetof(shift_scale_t, shift), "0",
      "added to every value first", 1, 0, NULL },
    { "scale", PIPIT_SETTING_DOUBLE, offsetof(shift_scale_t, scale), "1",
      "then multiplies it", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(shift_scale_t, type), "auto",
      "pixel type of the output (auto: the input's)", 1, 0,
      pipit__type_choices },
};

const pipit_node_class_t pipit__shift_scale_class = {
    .name = "shift-scale",
    .help = "(value + shift) * scale",
    .size = sizeof(shift_scale_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = shift_scale_settings,
    .n_settings = sizeof shift_scale_settings / sizeof shift_scale_settings[0],
    .information = shift_scale_information,
    .threaded = shift_scale_threaded,
};

pipit_node_t *
pipit_shift_scale_new(double shift, double scale)
{
    PIPIT_CHECK_ARG_NULL(isfinite(shift) && isfinite(scale));
    pipit_node_t *n = pipit_node_new(&pipit__shift_scale_class);
    if (n != NULL) {
        shift_scale_t *s = (shift_scale_t *)n;
        s->shift = shift, s->scale = scale;
    }
    return n;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rescale-intensity: maps the input's [minimum, maximum] linearly onto
 * [min, max] of the output, as ITK's RescaleIntensityImageFilter:
 * scale = (max - min) / (imax - imin), or (max - min) / imax when the
 * input is constant and not 0, or 0; v * scale + (min - imin * scale) in
 * double, converted to the output type (rounded half away from zero for
 * integers, where ITK truncates), then clamped to [min, max].
 *
 * The input's minimum and maximum come from a reduction over the whole
 * input (NaN skipped), made once per input change even when the output
 * is streamed.
 */
#include <math.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    double min, max;
    int type;
    /* From the last reduction, for the input image and times below. */
    const pipit_image_t *seen;
    uint64_t seen_data, seen_mtime;
    double imin, imax, scale, shift;
    pipit__value_t omin, omax;
} rescale_t;

static pipit_status_t
rescale_information(pipit_node_t *n)
{
    const rescale_t *r = (const rescale_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    if (!(r->min <= r->max))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "min %g is above max %g", r->min, r->max);
    return pipit__information_as(n, pipit__type_choice(r->type, in->type),
                                 in->components);
}

static pipit_status_t
rescale_before(pipit_node_t *n)
{
    rescale_t *r = (rescale_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    if (r->seen != in || r->seen_data != in->data_time ||
        r->seen_mtime != n->mtime) {
        bool any;
        pipit_status_t st =
            pipit__reduce_minmax(n, in, &r->imin, &r->imax, &any);
        if (st != PIPIT_OK)
            return st;
        r->seen = in, r->seen_data = in->data_time, r->seen_mtime = n->mtime;
    }
    double span = r->max - r->min;
    if (r->imin != r->imax)
        r->scale = span / (r->imax - r->imin);
    else if (r->imax != 0.0)
        r->scale = span / r->imax;
    else
        r->scale = 0.0;
    r->shift = r->min - r->imin * r->scale;
    pipit_pixel_type_t ot = pipit__output(n, 0)->type;
    r->omin = pipit__value_from(r->min, ot);
    r->omax = pipit__value_from(r->max, ot);
    return PIPIT_OK;
}

static void
rescale_chunk(double *v, size_t n, const void *ctx)
{
    const rescale_t *r = ctx;
    const double scale = r->scale, shift = r->shift;
    const double lo = r->min, hi = r->max;
    for (size_t i = 0; i < n; i++) {
        double x = v[i] * scale + shift;
        x = x > hi ? hi : x;
        v[i] = x < lo ? lo : x;
    }
}

static void
rescale_row(const pipit_node_t *n, const void *src, void *dst, size_t count)
{
    const rescale_t *r = (const rescale_t *)n;
    pipit_pixel_type_t it = pipit__input(n, 0)->type;
    pipit_pixel_type_t ot = pipit__output(n, 0)->type;
    const double scale = r->scale, shift = r->shift;
    if (it == PIPIT_F32 && ot == PIPIT_F32) {
        const float *a = src;
        float *b = dst;
        const float lo = r->omin.f32, hi = r->omax.f32;
        for (size_t i = 0; i < count; i++) {
            float x = (float)((double)a[i] * scale + shift);
            x = x > hi ? hi : x;
            b[i] = x < lo ? lo : x;
        }
    } else if (it == PIPIT_F64 && ot == PIPIT_F64) {
        const double *a = src;
        double *b = dst;
        const double lo = r->min, hi = r->max;
        for (size_t i = 0; i < count; i++) {
            double x = a[i] * scale + shift;
            x = x > hi ? hi : x;
            b[i] = x < lo ? lo : x;
        }
    } else {
        pipit__chunked_row(src, it, dst, ot, count, rescale_chunk, r);
    }
}

static pipit_status_t
rescale_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__pointwise_rows(n, p, rescale_row);
}

static const pipit_setting_t rescale_settings[] = {
    { "min", PIPIT_SETTING_DOUBLE, offsetof(rescale_t, min), "0",
      "output value of the input's minimum", 1, 0, NULL },
    { "max", PIPIT_SETTING_DOUBLE, offsetof(rescale_t, max), "255",
      "output value of the input's maximum", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(rescale_t, type), "auto",
      "pixel type of the output (auto: the input's)", 1, 0,
      pipit__type_choices },
};

const pipit_node_class_t pipit__rescale_intensity_class = {
    .name = "rescale-intensity",
    .help = "maps the input's range linearly onto [min, max]",
    .size = sizeof(rescale_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = rescale_settings,
    .n_settings = sizeof rescale_settings / sizeof rescale_settings[0],
    .information = rescale_information,
    .request = pipit__request_all,
    .before = rescale_before,
    .threaded = rescale_threaded,
};

pipit_node_t *
pipit_rescale_intensity_new(double min, double max)
{
    PIPIT_CHECK_ARG_NULL(isfinite(min) && isfinite(max));
    pipit_node_t *n = pipit_node_new(&pipit__rescale_intensity_class);
    if (n != NULL) {
        rescale_t *r = (rescale_t *)n;
        r->min = min, r->max = max;
    }
    return n;
}

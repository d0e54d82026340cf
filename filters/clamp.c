/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clamp: values below lower become lower, values above upper become
 * upper (ITK's ClampImageFilter); the bounds are first brought inside
 * the output type's range, so the defaults clamp to that range (+-inf
 * to the largest finite float, as ITK). NaN passes through (0 for an
 * integer output).
 */
#include <math.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    double lower, upper;
    int type;
    double lo, hi; /* the bounds inside the output type's range */
    float f32_lo, f32_hi; /* least float >= lo, largest <= hi */
} clamp_t;

static pipit_status_t
clamp_information(pipit_node_t *n)
{
    clamp_t *c = (clamp_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    if (!(c->lower <= c->upper))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "lower %g is above upper %g", c->lower,
                                 c->upper);
    pipit_pixel_type_t t = pipit__type_choice(c->type, in->type);
    double tmin, tmax;
    pipit_pixel_type_range(t, &tmin, &tmax);
    c->lo = c->lower < tmin ? tmin : c->lower > tmax ? tmax : c->lower;
    c->hi = c->upper > tmax ? tmax : c->upper < tmin ? tmin : c->upper;
    if (t == PIPIT_F32) {
        pipit__value_t lo, hi;
        /* [lo, hi] holds a float: both lie inside the float range */
        pipit__bounds_in_type(PIPIT_F32, c->lo, c->lo, &lo, &hi);
        c->f32_lo = lo.f32;
        pipit__bounds_in_type(PIPIT_F32, c->hi, c->hi, &lo, &hi);
        c->f32_hi = hi.f32;
    }
    return pipit__information_as(n, t, in->components);
}

static void
clamp_chunk(double *v, size_t n, const void *ctx)
{
    const clamp_t *c = ctx;
    const double lo = c->lo, hi = c->hi;
    for (size_t i = 0; i < n; i++) {
        double x = v[i];
        x = x < lo ? lo : x;
        v[i] = x > hi ? hi : x;
    }
}

static void
clamp_row(const pipit_node_t *n, const void *src, void *dst, size_t count)
{
    const clamp_t *c = (const clamp_t *)n;
    pipit_pixel_type_t it = pipit__input(n, 0)->type;
    pipit_pixel_type_t ot = pipit__output(n, 0)->type;
    if (it == PIPIT_F32 && ot == PIPIT_F32) {
        /* x < lo exactly when x is below the least float >= lo (and so
         * for hi), so the comparisons stay in single precision; what is
         * stored is the float nearest each bound, as the double path
         * would store. */
        const float *a = src;
        float *b = dst;
        const float clo = c->f32_lo, chi = c->f32_hi;
        const float flo = (float)c->lo, fhi = (float)c->hi;
        for (size_t i = 0; i < count; i++) {
            float x = a[i];
            x = x < clo ? flo : x;
            b[i] = x > chi ? fhi : x;
        }
    } else if (it == PIPIT_F64 && ot == PIPIT_F64) {
        const double *a = src;
        double *b = dst;
        const double lo = c->lo, hi = c->hi;
        for (size_t i = 0; i < count; i++) {
            double x = a[i];
            x = x < lo ? lo : x;
            b[i] = x > hi ? hi : x;
        }
    } else {
        pipit__chunked_row(src, it, dst, ot, count, clamp_chunk, c);
    }
}

static pipit_status_t
clamp_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__pointwise_rows(n, p, clamp_row);
}

static const pipit_setting_t clamp_settings[] = {
    { "lower", PIPIT_SETTING_DOUBLE, offsetof(clamp_t, lower),
      "-1.7976931348623157e308",
      "values below become this (default: the output type's least)", 1, 0,
      NULL },
    { "upper", PIPIT_SETTING_DOUBLE, offsetof(clamp_t, upper),
      "1.7976931348623157e308",
      "values above become this (default: the output type's largest)", 1,
      0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(clamp_t, type), "auto",
      "pixel type of the output (auto: the input's)", 1, 0,
      pipit__type_choices },
};

const pipit_node_class_t pipit__clamp_class = {
    .name = "clamp",
    .help = "limits values to [lower, upper]",
    .size = sizeof(clamp_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = clamp_settings,
    .n_settings = sizeof clamp_settings / sizeof clamp_settings[0],
    .information = clamp_information,
    .threaded = clamp_threaded,
};

pipit_node_t *
pipit_clamp_new(double lower, double upper)
{
    PIPIT_CHECK_ARG_NULL(isfinite(lower) && isfinite(upper));
    pipit_node_t *n = pipit_node_new(&pipit__clamp_class);
    if (n != NULL) {
        clamp_t *c = (clamp_t *)n;
        c->lower = lower, c->upper = upper;
    }
    return n;
}

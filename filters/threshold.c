/* SPDX-License-Identifier: Apache-2.0 */
/*
 * threshold: values inside [lower, upper] pass unchanged, the others
 * become `outside` (ITK's ThresholdImageFilter, whose "below" and
 * "above" modes are lower or upper left at its default). The bounds are
 * compared exactly as given, not first rounded to the pixel type; NaN
 * is outside. The output has the input's type.
 */
#include <math.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    double lower, upper, outside;
    bool any;
    pipit__value_t lo, hi, out;
} threshold_t;

static pipit_status_t
threshold_information(pipit_node_t *n)
{
    const threshold_t *t = (const threshold_t *)n;
    if (!(t->lower <= t->upper))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "lower %g is above upper %g", t->lower,
                                 t->upper);
    return pipit__information_same(n);
}

static pipit_status_t
threshold_before(pipit_node_t *n)
{
    threshold_t *t = (threshold_t *)n;
    pipit_pixel_type_t type = pipit__input(n, 0)->type;
    t->any = pipit__bounds_in_type(type, t->lower, t->upper, &t->lo, &t->hi);
    t->out = pipit__value_from(t->outside, type);
    return PIPIT_OK;
}

#define THRESHOLD_ROW(name, T)                                             \
    static void threshold_##name(const threshold_t *t, const void *src,    \
                                 void *dst, size_t n)                      \
    {                                                                      \
        const T *a = src;                                                  \
        T *b = dst;                                                        \
        const T lo = t->lo.name, hi = t->hi.name, o = t->out.name;         \
        if (!t->any) {                                                     \
            for (size_t i = 0; i < n; i++)                                 \
                b[i] = o;                                                  \
            return;                                                        \
        }                                                                  \
        for (size_t i = 0; i < n; i++)                                     \
            b[i] = a[i] >= lo && a[i] <= hi ? a[i] : o;                    \
    }
THRESHOLD_ROW(u8, uint8_t)
THRESHOLD_ROW(i8, int8_t)
THRESHOLD_ROW(u16, uint16_t)
THRESHOLD_ROW(i16, int16_t)
THRESHOLD_ROW(u32, uint32_t)
THRESHOLD_ROW(i32, int32_t)
THRESHOLD_ROW(f32, float)
THRESHOLD_ROW(f64, double)
#undef THRESHOLD_ROW

#define THRESHOLD_TYPED(name)                                              \
    static void threshold_row_##name(const pipit_node_t *n,                \
                                     const void *src, void *dst,           \
                                     size_t count)                         \
    {                                                                      \
        threshold_##name((const threshold_t *)n, src, dst, count);         \
    }
THRESHOLD_TYPED(u8)
THRESHOLD_TYPED(i8)
THRESHOLD_TYPED(u16)
THRESHOLD_TYPED(i16)
THRESHOLD_TYPED(u32)
THRESHOLD_TYPED(i32)
THRESHOLD_TYPED(f32)
THRESHOLD_TYPED(f64)
#undef THRESHOLD_TYPED

static const pipit__row_fn threshold_rows[PIPIT_PIXEL_TYPE_COUNT] = {
    threshold_row_u8, threshold_row_i8, threshold_row_u16,
    threshold_row_i16, threshold_row_u32, threshold_row_i32,
    threshold_row_f32, threshold_row_f64,
};

static pipit_status_t
threshold_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__pointwise_rows(n, p,
                                 threshold_rows[pipit__input(n, 0)->type]);
}

static const pipit_setting_t threshold_settings[] = {
    { "lower", PIPIT_SETTING_DOUBLE, offsetof(threshold_t, lower),
      "-1.7976931348623157e308", "least value kept", 1, 0, NULL },
    { "upper", PIPIT_SETTING_DOUBLE, offsetof(threshold_t, upper),
      "1.7976931348623157e308", "largest value kept", 1, 0, NULL },
    { "outside", PIPIT_SETTING_DOUBLE, offsetof(threshold_t, outside), "0",
      "value given to the others", 1, 0, NULL },
};

const pipit_node_class_t pipit__threshold_class = {
    .name = "threshold",
    .help = "keeps values in [lower, upper], sets the others to outside",
    .size = sizeof(threshold_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = threshold_settings,
    .n_settings = sizeof threshold_settings / sizeof threshold_settings[0],
    .information = threshold_information,
    .before = threshold_before,
    .threaded = threshold_threaded,
};

pipit_node_t *
pipit_threshold_new(double lower, double upper, double outside)
{
    PIPIT_CHECK_ARG_NULL(isfinite(lower) && isfinite(upper) &&
                         isfinite(outside));
    pipit_node_t *n = pipit_node_new(&pipit__threshold_class);
    if (n != NULL) {
        threshold_t *t = (threshold_t *)n;
        t->lower = lower, t->upper = upper, t->outside = outside;
    }
    return n;
}

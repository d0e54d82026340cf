/* SPDX-License-Identifier: Apache-2.0 */
/*
 * binary-threshold: `inside` where lower <= v <= upper, `outside`
 * elsewhere (ITK's BinaryThresholdImageFilter). The bounds are compared
 * exactly as given; NaN is outside. ITK's default inside value is the
 * largest value of the output type, which for the default u8 output is
 * the 255 here.
 */
#include <math.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    double lower, upper, inside, outside;
    int type;
    pipit__mask_t mask;
} binary_threshold_t;

static pipit_status_t
binary_threshold_information(pipit_node_t *n)
{
    const binary_threshold_t *b = (const binary_threshold_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    if (!(b->lower <= b->upper))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "lower %g is above upper %g", b->lower,
                                 b->upper);
    return pipit__information_as(n, pipit__type_choice(b->type, in->type),
                                 in->components);
}

static pipit_status_t
binary_threshold_before(pipit_node_t *n)
{
    binary_threshold_t *b = (binary_threshold_t *)n;
    pipit__mask_prepare(&b->mask, pipit__input(n, 0)->type,
                        pipit__output(n, 0)->type, b->lower, b->upper,
                        b->inside, b->outside);
    return PIPIT_OK;
}

static void
binary_threshold_row(const pipit_node_t *n, const void *src, void *dst,
                     size_t count)
{
    pipit__mask_row(&((const binary_threshold_t *)n)->mask, src, dst, count);
}

static pipit_status_t
binary_threshold_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__pointwise_rows(n, p, binary_threshold_row);
}

static const pipit_setting_t binary_threshold_settings[] = {
    { "lower", PIPIT_SETTING_DOUBLE, offsetof(binary_threshold_t, lower),
      "-1.7976931348623157e308", "least value inside", 1, 0, NULL },
    { "upper", PIPIT_SETTING_DOUBLE, offsetof(binary_threshold_t, upper),
      "1.7976931348623157e308", "largest value inside", 1, 0, NULL },
    { "inside", PIPIT_SETTING_DOUBLE, offsetof(binary_threshold_t, inside),
      "255", "output value inside [lower, upper]", 1, 0, NULL },
    { "outside", PIPIT_SETTING_DOUBLE,
      offsetof(binary_threshold_t, outside), "0",
      "output value elsewhere", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(binary_threshold_t, type), "u8",
      "pixel type of the output (auto: the input's)", 1, 0,
      pipit__type_choices },
};

const pipit_node_class_t pipit__binary_threshold_class = {
    .name = "binary-threshold",
    .help = "inside where lower <= value <= upper, outside elsewhere",
    .size = sizeof(binary_threshold_t),
    .n_inputs = 1, .n_outputs = 1,
    .settings = binary_threshold_settings,
    .n_settings = sizeof binary_threshold_settings /
                  sizeof binary_threshold_settings[0],
    .information = binary_threshold_information,
    .before = binary_threshold_before,
    .threaded = binary_threshold_threaded,
};

pipit_node_t *
pipit_binary_threshold_new(double lower, double upper, double inside,
                           double outside)
{
    PIPIT_CHECK_ARG_NULL(isfinite(lower) && isfinite(upper) &&
                         isfinite(inside) && isfinite(outside));
    pipit_node_t *n = pipit_node_new(&pipit__binary_threshold_class);
    if (n != NULL) {
        binary_threshold_t *b = (binary_threshold_t *)n;
        b->lower = lower, b->upper = upper;
        b->inside = inside, b->outside = outside;
    }
    return n;
}

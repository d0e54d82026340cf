/* SPDX-License-Identifier: Apache-2.0 */
/*
 * constant: a source whose every pixel (every component) is `value`,
 * converted to the output type as every filter converts (rounded half
 * away from zero and clamped for integers). ITK builds such an image by
 * allocating and filling it; here it is a node, so it streams and a
 * region update makes only that region.
 */
#include <math.h>

#include "source_impl.h"

typedef struct {
    pipit__source_t src;
    double value;
} constant_t;

static void
constant_row(const pipit_node_t *n, const size_t *at, size_t count,
             double *values)
{
    const constant_t *c = (const constant_t *)n;
    (void)at;
    size_t m = count * pipit__output(n, 0)->components;
    for (size_t i = 0; i < m; i++)
        values[i] = c->value;
}

static pipit_status_t
constant_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__source_rows(n, p, constant_row);
}

static const pipit_setting_t constant_settings[] = {
    PIPIT__SOURCE_SETTINGS(constant_t),
    { "value", PIPIT_SETTING_DOUBLE, offsetof(constant_t, value), "0",
      "every pixel's value", 1, 0, NULL },
};

const pipit_node_class_t pipit__constant_class = {
    .name = "constant",
    .help = "source: an image of one value (no input)",
    .size = sizeof(constant_t),
    .n_inputs = 0, .n_outputs = 1,
    .settings = constant_settings,
    .n_settings = sizeof constant_settings / sizeof constant_settings[0],
    .information = pipit__source_information,
    .threaded = constant_threaded,
};

pipit_node_t *
pipit_constant_new(unsigned dim, const size_t *size, pipit_pixel_type_t type,
                   double value)
{
    if (!isfinite(value)) {
        pipit__error(PIPIT_EINVAL,
                     "pipit_constant_new: invalid argument: value %g is not "
                     "a finite number",
                     value);
        return NULL;
    }
    pipit_node_t *n = pipit__source_new(&pipit__constant_class,
                                        "pipit_constant_new", dim, size,
                                        type);
    if (n != NULL)
        ((constant_t *)n)->value = value;
    return n;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ramp: a source whose pixel value is offset + scale * c, c the pixel's
 * index along `axis` or (coordinate physical) the axis-th coordinate of
 * its physical point, computed as pipit_image_index_to_point computes it
 * (origin, then the terms of D·diag(spacing)·index in axis order), so
 * the value of a pixel is the same bits whatever region is asked. Every
 * component gets the same value; integer types are rounded and clamped.
 */
#include "source_impl.h"

typedef struct {
    pipit__source_t src;
    int64_t axis;
    int coordinate; /* 0 index, 1 physical */
    double scale, offset;
} ramp_t;

static const char *const coordinate_choices[] = { "index", "physical", NULL };

static pipit_status_t
ramp_information(pipit_node_t *n)
{
    const ramp_t *r = (const ramp_t *)n;
    pipit_status_t st = pipit__source_information(n);
    if (st != PIPIT_OK)
        return st;
    unsigned dim = pipit__output(n, 0)->dim;
    if (r->axis >= (int64_t)dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "axis %lld: the image has %u axes (0..%u)",
                                 (long long)r->axis, dim, dim - 1);
    return PIPIT_OK;
}

static void
ramp_row(const pipit_node_t *n, const size_t *at, size_t count,
         double *values)
{
    const ramp_t *r = (const ramp_t *)n;
    const pipit_image_t *out = pipit__output(n, 0);
    const unsigned nc = out->components, dim = out->dim;
    const unsigned a = (unsigned)r->axis;
    double idx[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < dim; d++)
        idx[d] = (double)at[d];
    for (size_t i = 0; i < count; i++) {
        idx[0] = (double)(at[0] + i);
        double c;
        if (r->coordinate == 0) {
            c = idx[a];
        } else {
            c = out->origin[a];
            for (unsigned k = 0; k < dim; k++)
                c += out->to_point[a * dim + k] * idx[k];
        }
        double v = r->offset + r->scale * c;
        for (unsigned k = 0; k < nc; k++)
            values[i * nc + k] = v;
    }
}

static pipit_status_t
ramp_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__source_rows(n, p, ramp_row);
}

static const pipit_setting_t ramp_settings[] = {
    PIPIT__SOURCE_SETTINGS(ramp_t),
    { "axis", PIPIT_SETTING_INT, offsetof(ramp_t, axis), "0",
      "the axis the value grows along", 0, PIPIT_MAX_DIM - 1, NULL },
    { "coordinate", PIPIT_SETTING_CHOICE, offsetof(ramp_t, coordinate),
      "index", "grow with the pixel index or the physical coordinate", 1, 0,
      coordinate_choices },
    { "scale", PIPIT_SETTING_DOUBLE, offsetof(ramp_t, scale), "1",
      "value per unit of the coordinate", 1, 0, NULL },
    { "offset", PIPIT_SETTING_DOUBLE, offsetof(ramp_t, offset), "0",
      "value at coordinate 0", 1, 0, NULL },
};

const pipit_node_class_t pipit__ramp_class = {
    .name = "ramp",
    .help = "source: offset + scale * the index or physical coordinate "
            "along an axis (no input)",
    .size = sizeof(ramp_t),
    .n_inputs = 0, .n_outputs = 1,
    .settings = ramp_settings,
    .n_settings = sizeof ramp_settings / sizeof ramp_settings[0],
    .information = ramp_information,
    .threaded = ramp_threaded,
};

pipit_node_t *
pipit_ramp_new(unsigned dim, const size_t *size, pipit_pixel_type_t type,
               unsigned axis)
{
    if (axis >= dim) {
        pipit__error(PIPIT_EINVAL,
                     "pipit_ramp_new: invalid argument: axis %u of a %u-D "
                     "image",
                     axis, dim);
        return NULL;
    }
    pipit_node_t *n =
        pipit__source_new(&pipit__ramp_class, "pipit_ramp_new", dim, size,
                          type);
    if (n != NULL)
        ((ramp_t *)n)->axis = axis;
    return n;
}

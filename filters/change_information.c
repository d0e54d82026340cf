/* SPDX-License-Identifier: Apache-2.0 */
/*
 * change-information: the input with new spacing, origin or direction
 * (ITK's ChangeInformationImageFilter); the pixels are not copied, the
 * output shares the input's buffer (copy-on-write protects both). The
 * new values come first from input 2 when connected (a reference image:
 * its geometry, not its pixels), then from the settings that are not
 * empty; `center` then moves the origin so that the image's centre,
 * continuous index (n - 1) / 2, lies at the physical origin.
 */
#include <string.h>

#include "grid_impl.h"
#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    char *spacing, *origin, *direction;
    bool center;
} change_info_t;

/* One value per axis, or one value for every axis. */
static pipit_status_t
per_axis(const pipit_node_t *n, const char *name, const char *text,
         unsigned dim, double *out, bool *given)
{
    double v[PIPIT_MAX_DIM];
    size_t count;
    pipit_status_t st = pipit__parse_list(n, name, text != NULL ? text : "",
                                          v, PIPIT_MAX_DIM, &count);
    if (st != PIPIT_OK)
        return st;
    *given = count > 0;
    if (count == 0)
        return PIPIT_OK;
    if (count != 1 && count != dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "%s: %zu values for a %u-D image (give 1 "
                                 "or %u)",
                                 name, count, dim, dim);
    for (unsigned d = 0; d < dim; d++)
        out[d] = v[count == 1 ? 0 : d];
    return PIPIT_OK;
}

static pipit_status_t
change_info_information(pipit_node_t *n)
{
    const change_info_t *c = (const change_info_t *)n;
    const pipit_image_t *in = pipit__input(n, 0), *ref = pipit__input(n, 1);
    pipit_image_t *out = pipit__output(n, 0);
    unsigned dim = in->dim;
    pipit_status_t st = pipit__information_same(n);
    if (st != PIPIT_OK)
        return st;
    if (ref != NULL) {
        if (ref->dim != dim)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "the reference image is %u-D but the "
                                     "input is %u-D",
                                     ref->dim, dim);
        if ((st = pipit_image_copy_geometry(out, ref)) != PIPIT_OK)
            return st;
    }
    double v[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    bool given;
    if ((st = per_axis(n, "spacing", c->spacing, dim, v, &given)) !=
        PIPIT_OK)
        return st;
    if (given && (st = pipit_image_set_spacing(out, v)) != PIPIT_OK) {
        pipit__error_prefix("%s", n->klass->name);
        return st;
    }
    if ((st = per_axis(n, "origin", c->origin, dim, v, &given)) != PIPIT_OK)
        return st;
    if (given && (st = pipit_image_set_origin(out, v)) != PIPIT_OK)
        return st;
    size_t count;
    if ((st = pipit__parse_list(n, "direction",
                                c->direction != NULL ? c->direction : "", v,
                                PIPIT_MAX_DIM * PIPIT_MAX_DIM, &count)) !=
        PIPIT_OK)
        return st;
    if (count != 0 && count != (size_t)dim * dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "direction: %zu values for a %u-D image "
                                 "(give %u, row by row)",
                                 count, dim, dim * dim);
    if (count != 0 && (st = pipit_image_set_direction(out, v)) != PIPIT_OK) {
        pipit__error_prefix("%s", n->klass->name);
        return st;
    }
    if (c->center) {
        double ci[PIPIT_MAX_DIM], p[PIPIT_MAX_DIM], o[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            ci[d] = (double)(out->size[d] - 1) / 2.0;
        pipit_image_index_to_point(out, ci, p);
        for (unsigned d = 0; d < dim; d++)
            o[d] = out->origin[d] - p[d];
        return pipit_image_set_origin(out, o);
    }
    return PIPIT_OK;
}

static pipit_status_t
change_info_request(pipit_node_t *n, unsigned input,
                    const pipit_region_t *asked, pipit_region_t *needed)
{
    /* The reference gives geometry only: ask it for a single pixel (an
     * empty request is not something every upstream node expects). */
    const pipit_image_t *in = pipit__input(n, input);
    static const size_t zero[PIPIT_MAX_DIM], one[PIPIT_MAX_DIM] = { 1, 1, 1,
                                                                   1 };
    if (input == 1)
        *needed = pipit_region_make(in->dim, zero, one);
    else
        *needed = *asked;
    return PIPIT_OK;
}

static pipit_status_t
change_info_generate(pipit_node_t *n)
{
    pipit__output_share_input(n, 0, 0);
    return PIPIT_OK;
}

static const pipit_setting_t change_info_settings[] = {
    { "spacing", PIPIT_SETTING_STRING, offsetof(change_info_t, spacing), "",
      "new spacing, one value or one per axis (empty: keep)", 1, 0, NULL },
    { "origin", PIPIT_SETTING_STRING, offsetof(change_info_t, origin), "",
      "new origin, one value or one per axis (empty: keep)", 1, 0, NULL },
    { "direction", PIPIT_SETTING_STRING, offsetof(change_info_t, direction),
      "", "new direction matrix, row by row (empty: keep)", 1, 0, NULL },
    { "center", PIPIT_SETTING_BOOL, offsetof(change_info_t, center), "false",
      "then move the origin so that the image centre is at 0", 1, 0, NULL },
};

const pipit_node_class_t pipit__change_information_class = {
    .name = "change-information",
    .help = "sets spacing, origin or direction (from settings or a "
            "reference image) without copying pixels",
    .size = sizeof(change_info_t),
    .n_inputs = 2, .n_outputs = 1,
    .optional_inputs = 1u << 1,
    .settings = change_info_settings,
    .n_settings = sizeof change_info_settings /
                  sizeof change_info_settings[0],
    .information = change_info_information,
    .request = change_info_request,
    .generate = change_info_generate,
};

pipit_node_t *
pipit_change_information_new(void)
{
    return pipit_node_new(&pipit__change_information_class);
}

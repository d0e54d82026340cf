/* SPDX-License-Identifier: Apache-2.0 */
/* EulerTransform: rotation about a centre plus translation; 3-D angles
 * applied Y, X, Z (or Z, Y, X with ComputeZYX). Angle scales 100000. */
#include <string.h>

#include "error_impl.h"
#include "linear_transform_impl.h"

static const char *const methods[] = { "GeometricalCenter",
                                       "CenterOfGravity", NULL };
static const double scales2[] = { 100000, 1, 1 };
static const double scales3[] = { 100000, 100000, 100000, 1, 1, 1 };

static pipit_status_t
create(const reg_transform_setup_t *s, pipit_transform_t **out,
       double **scales)
{
    unsigned d = s->map->dim;
    reg_linear_kind_t k = {
        .make = pipit_euler_transform_new,
        .translation_at = d == 2 ? 1 : 3,
        .defaults = d == 2 ? scales2 : scales3,
        .methods = methods,
    };
    if (d != 2 && d != 3)
        return pipit__error(PIPIT_EINVAL,
                            "EulerTransform: %u-D images (2 or 3 only)", d);
    const char *zyx = "false";
    pipit_status_t st;
    if (d == 3 &&
        (st = pipit__reg_get_string(s->map, "ComputeZYX", 0, "false",
                                    &zyx)) != PIPIT_OK)
        return st;
    if ((st = pipit__reg_linear_create(s, &k, out, scales)) != PIPIT_OK)
        return st;
    /* elastix compares the string with "true": anything else is false. */
    if (d == 3 && (st = pipit_euler_transform_set_compute_zyx(
                       *out, strcmp(zyx, "true") == 0)) != PIPIT_OK) {
        pipit_transform_unref(*out);
        pipit__free(*scales);
        *out = NULL;
        *scales = NULL;
    }
    return st;
}

const reg_transform_class_t pipit__reg_transform_euler = {
    .name = "EulerTransform",
    .create = create,
};

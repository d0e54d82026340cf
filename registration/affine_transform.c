/* SPDX-License-Identifier: Apache-2.0 */
/* AffineTransform: T(x) = A(x - c) + c + t; matrix scales 100000. */
#include "error_impl.h"
#include "linear_transform_impl.h"

static const char *const methods[] = { "GeometricalCenter",
                                       "CenterOfGravity", "Origins", NULL };

static pipit_status_t
create(const reg_transform_setup_t *s, pipit_transform_t **out,
       double **scales)
{
    unsigned d = s->map->dim;
    double defaults[PIPIT_MAX_DIM * PIPIT_MAX_DIM + PIPIT_MAX_DIM];
    for (unsigned k = 0; k < d * d + d; k++)
        defaults[k] = k < d * d ? 100000.0 : 1.0;
    reg_linear_kind_t k = {
        .make = pipit_affine_transform_new,
        .translation_at = (size_t)d * d,
        .defaults = defaults,
        .methods = methods,
    };
    return pipit__reg_linear_create(s, &k, out, scales);
}

const reg_transform_class_t pipit__reg_transform_affine = {
    .name = "AffineTransform",
    .create = create,
};

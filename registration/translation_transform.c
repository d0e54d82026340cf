/* SPDX-License-Identifier: Apache-2.0 */
/* TranslationTransform: T(x) = x + t; scales 1. */
#include "error_impl.h"
#include "reg_impl.h"

static pipit_status_t
create(const reg_transform_setup_t *s, pipit_transform_t **out,
       double **scales)
{
    static const char *const methods[] = { "GeometricalCenter",
                                           "CenterOfGravity", "Origins",
                                           NULL };
    unsigned d = s->map->dim;
    double t[PIPIT_MAX_DIM], ones[PIPIT_MAX_DIM] = { 1, 1, 1, 1 };
    pipit_status_t st = pipit__reg_transform_start(s, methods, t);
    if (st != PIPIT_OK)
        return st;
    pipit_transform_t *tr = pipit_translation_transform_new(d);
    if (tr == NULL)
        return PIPIT_ENOMEM;
    if ((st = pipit_transform_set_parameters(tr, t, d)) != PIPIT_OK ||
        (st = pipit__reg_transform_scales(s, tr, ones, scales)) != PIPIT_OK) {
        pipit_transform_unref(tr);
        return st;
    }
    *out = tr;
    return PIPIT_OK;
}

const reg_transform_class_t pipit__reg_transform_translation = {
    .name = "TranslationTransform",
    .create = create,
};

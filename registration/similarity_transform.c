/* SPDX-License-Identifier: Apache-2.0 */
/* SimilarityTransform: 2-D (s, angle, t), 3-D (versor, t, s) about a
 * centre; scales: angle and versor 100000, scale 10000, t 1. */
#include "error_impl.h"
#include "linear_transform_impl.h"

static const char *const methods[] = { "GeometricalCenter",
                                       "CenterOfGravity", NULL };
static const double scales2[] = { 10000, 100000, 1, 1 };
static const double scales3[] = { 100000, 100000, 100000, 1, 1, 1, 10000 };

static pipit_status_t
create(const reg_transform_setup_t *s, pipit_transform_t **out,
       double **scales)
{
    unsigned d = s->map->dim;
    if (d != 2 && d != 3)
        return pipit__error(PIPIT_EINVAL,
                            "SimilarityTransform: %u-D images (2 or 3 only)",
                            d);
    reg_linear_kind_t k = {
        .make = pipit_similarity_transform_new,
        .translation_at = d == 2 ? 2 : 3,
        .defaults = d == 2 ? scales2 : scales3,
        .methods = methods,
    };
    return pipit__reg_linear_create(s, &k, out, scales);
}

const reg_transform_class_t pipit__reg_transform_similarity = {
    .name = "SimilarityTransform",
    .create = create,
};

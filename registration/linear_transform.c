/* SPDX-License-Identifier: Apache-2.0 */
/* Euler, Similarity and Affine start the same way (spec §7.8.1). */
#include <string.h>

#include "error_impl.h"
#include "linear_transform_impl.h"

pipit_status_t
pipit__reg_linear_create(const reg_transform_setup_t *s,
                         const reg_linear_kind_t *k, pipit_transform_t **out,
                         double **scales)
{
    unsigned d = s->map->dim;
    double c[PIPIT_MAX_DIM], t[PIPIT_MAX_DIM];
    pipit_status_t st;
    if ((st = pipit__reg_transform_center(s, c)) != PIPIT_OK ||
        (st = pipit__reg_transform_start(s, k->methods, t)) !=
            PIPIT_OK)
        return st;
    pipit_transform_t *tr = k->make(d, c);
    if (tr == NULL)
        return PIPIT_ENOMEM;
    size_t P = pipit_transform_n_parameters(tr);
    double p[32];
    memcpy(p, pipit_transform_parameters(tr), P * sizeof *p);
    memcpy(p + k->translation_at, t, d * sizeof *t);
    if ((st = pipit_transform_set_parameters(tr, p, P)) != PIPIT_OK ||
        (st = pipit__reg_transform_scales(s, tr, k->defaults, scales)) !=
            PIPIT_OK) {
        pipit_transform_unref(tr);
        return st;
    }
    *out = tr;
    return PIPIT_OK;
}

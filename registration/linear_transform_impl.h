/* SPDX-License-Identifier: Apache-2.0 */
/* The centred linear transforms' common set-up (linear_transform.c). */
#ifndef PIPIT_LINEAR_TRANSFORM_IMPL_H
#define PIPIT_LINEAR_TRANSFORM_IMPL_H

#include "reg_impl.h"

/* How a centred kind is made and where its parts sit. */
typedef struct reg_linear_kind {
    pipit_transform_t *(*make)(unsigned dim, const double *center);
    size_t translation_at;        /* index of t_x in the parameters */
    const double *defaults;       /* default scales, P values */
    const char *const *methods;   /* AutomaticTransformInitializationMethod */
} reg_linear_kind_t;

/** A centred transform: centre, identity start plus the automatic
 * translation, scales. */
pipit_status_t pipit__reg_linear_create(const reg_transform_setup_t *s,
                                        const reg_linear_kind_t *k,
                                        pipit_transform_t **out,
                                        double **scales);

#endif

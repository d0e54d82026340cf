/* SPDX-License-Identifier: Apache-2.0 */
/* TranslationTransform: T(x) = x + t; parameters t_x t_y [t_z]. */
#include "error_impl.h"
#include "linalg_impl.h"
#include "transform_impl.h"

static void
translation_update(pipit_transform_t *t)
{
    pipit__linear_t *l = (pipit__linear_t *)t;
    pipit__mat_identity(t->dim, l->m);
    for (unsigned d = 0; d < t->dim; d++)
        l->offset[d] = t->params[d];
}

static size_t
translation_jacobian(const pipit_transform_t *t, const double *x,
                     size_t *indices, double *values)
{
    unsigned n = t->dim;
    (void)x;
    for (unsigned k = 0; k < n; k++)
        indices[k] = k;
    pipit__mat_identity(n, values);
    return n;
}

static pipit_status_t translation_inverse(const pipit_transform_t *t,
                                          pipit_transform_t **out);

static const pipit__transform_class_t translation_class = {
    .name = "TranslationTransform",
    .size = sizeof(pipit__linear_t),
    .update = translation_update,
    .point = pipit__linear_point,
    .jacobian = translation_jacobian,
    .spatial_jacobian = pipit__linear_spatial_jacobian,
    .matrix = pipit__linear_matrix,
    .inverse = translation_inverse,
};

pipit_transform_t *
pipit_translation_transform_new(unsigned dim)
{
    if (dim < 2 || dim > PIPIT_MAX_DIM) {
        pipit__error(PIPIT_EINVAL,
                     "TranslationTransform: dimension %u (2..%d)", dim,
                     PIPIT_MAX_DIM);
        return NULL;
    }
    pipit_transform_t *t = pipit__transform_alloc(&translation_class, dim,
                                                  dim);
    if (t != NULL)
        pipit__transform_reset(t);
    return t;
}

static pipit_status_t
translation_inverse(const pipit_transform_t *t, pipit_transform_t **out)
{
    pipit_transform_t *inv = pipit_translation_transform_new(t->dim);
    if (inv == NULL)
        return PIPIT_ENOMEM;
    for (unsigned d = 0; d < t->dim; d++)
        inv->params[d] = -t->params[d];
    translation_update(inv);
    *out = inv;
    return PIPIT_OK;
}

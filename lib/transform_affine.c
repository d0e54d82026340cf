/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AffineTransform: T(x) = A(x - c) + c + t; parameters the matrix A
 * row-major (a00 a01 [a02] a10 ...), then t.
 */
#include <string.h>

#include "error_impl.h"
#include "linalg_impl.h"
#include "transform_impl.h"

static void
affine_update(pipit_transform_t *t)
{
    pipit__linear_t *l = (pipit__linear_t *)t;
    unsigned n = t->dim;
    memcpy(l->m, t->params, n * n * sizeof(double));
    pipit__linear_set_offset(l, t->params + n * n);
}

static void
affine_identity(pipit_transform_t *t)
{
    pipit__mat_identity(t->dim, t->params);
}

static size_t
affine_jacobian(const pipit_transform_t *t, const double *x, size_t *indices,
                double *values)
{
    unsigned n = t->dim;
    size_t np = t->n_params;
    for (size_t k = 0; k < np; k++)
        indices[k] = k;
    memset(values, 0, n * np * sizeof(double));
    /* ∂T_r/∂a_rc = (x - c)_c, ∂T_r/∂t_r = 1. */
    for (unsigned r = 0; r < n; r++) {
        for (unsigned c = 0; c < n; c++)
            values[r * np + r * n + c] = x[c] - t->center[c];
        values[r * np + n * n + r] = 1.0;
    }
    return np;
}

static pipit_status_t
affine_inverse(const pipit_transform_t *t, pipit_transform_t **out)
{
    unsigned n = t->dim;
    double inv_a[PIPIT_MAX_DIM * PIPIT_MAX_DIM], ti[PIPIT_MAX_DIM];
    if (!pipit__mat_inverse(n, t->params, inv_a))
        return pipit__error(PIPIT_EINVAL,
                            "AffineTransform: the matrix is singular");
    pipit_transform_t *inv = pipit_affine_transform_new(n, t->center);
    if (inv == NULL)
        return PIPIT_ENOMEM;
    /* A⁻¹ and t' = -A⁻¹ t keep the same centre. */
    pipit__mat_vec(n, inv_a, t->params + n * n, ti);
    memcpy(inv->params, inv_a, n * n * sizeof(double));
    for (unsigned d = 0; d < n; d++)
        inv->params[n * n + d] = -ti[d];
    affine_update(inv);
    *out = inv;
    return PIPIT_OK;
}

static const pipit__transform_class_t affine_class = {
    .name = "AffineTransform",
    .size = sizeof(pipit__linear_t),
    .has_center = true,
    .update = affine_update,
    .identity = affine_identity,
    .point = pipit__linear_point,
    .jacobian = affine_jacobian,
    .spatial_jacobian = pipit__linear_spatial_jacobian,
    .matrix = pipit__linear_matrix,
    .inverse = affine_inverse,
};

pipit_transform_t *
pipit_affine_transform_new(unsigned dim, const double *center)
{
    if (dim < 2 || dim > PIPIT_MAX_DIM) {
        pipit__error(PIPIT_EINVAL, "AffineTransform: dimension %u (2..%d)",
                     dim, PIPIT_MAX_DIM);
        return NULL;
    }
    return pipit__linear_new(&affine_class, dim, (size_t)dim * dim + dim,
                             center);
}

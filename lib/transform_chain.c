/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A chain of an initial and a current transform, as elastix combines a
 * transform with its InitialTransformParametersFileName:
 *   Compose: T(x) = current(initial(x))     (initial applied first)
 *   Add:     T(x) = current(x) + initial(x) - x
 * Only the current transform's parameters are the chain's; the initial
 * one stays fixed, so the parameter Jacobian is the current's, taken at
 * initial(x) for Compose and at x for Add.
 */
#include <string.h>

#include "error_impl.h"
#include "linalg_impl.h"
#include "transform_impl.h"

typedef struct {
    pipit_transform_t base;
    pipit_transform_t *initial, *current;
    pipit_combine_t how;
} chain_t;

static void
chain_update(pipit_transform_t *t)
{
    (void)t; /* the parts keep their own derived state */
}

static void
chain_point(const pipit_transform_t *t, const double *in, double *out)
{
    const chain_t *c = (const chain_t *)t;
    double y[PIPIT_MAX_DIM];
    pipit_transform_point(c->initial, in, y);
    if (c->how == PIPIT_COMBINE_COMPOSE) {
        pipit_transform_point(c->current, y, out);
        return;
    }
    double z[PIPIT_MAX_DIM];
    pipit_transform_point(c->current, in, z);
    for (unsigned d = 0; d < t->dim; d++)
        out[d] = z[d] + y[d] - in[d];
}

static size_t
chain_jacobian(const pipit_transform_t *t, const double *x, size_t *indices,
               double *values)
{
    const chain_t *c = (const chain_t *)t;
    if (c->how == PIPIT_COMBINE_ADD)
        return pipit_transform_jacobian(c->current, x, indices, values);
    double y[PIPIT_MAX_DIM];
    pipit_transform_point(c->initial, x, y);
    return pipit_transform_jacobian(c->current, y, indices, values);
}

static void
chain_spatial_jacobian(const pipit_transform_t *t, const double *x,
                       double *j)
{
    const chain_t *c = (const chain_t *)t;
    unsigned n = t->dim;
    double ji[PIPIT_MAX_DIM * PIPIT_MAX_DIM], jc[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    pipit_transform_spatial_jacobian(c->initial, x, ji);
    if (c->how == PIPIT_COMBINE_ADD) {
        pipit_transform_spatial_jacobian(c->current, x, jc);
        for (unsigned k = 0; k < n * n; k++)
            j[k] = jc[k] + ji[k];
        for (unsigned d = 0; d < n; d++)
            j[d * n + d] -= 1.0;
        return;
    }
    /* Chain rule: ∂T/∂x = J_current(initial(x)) · J_initial(x). */
    double y[PIPIT_MAX_DIM];
    pipit_transform_point(c->initial, x, y);
    pipit_transform_spatial_jacobian(c->current, y, jc);
    pipit__mat_mul(n, jc, ji, j);
}

static bool
chain_matrix(const pipit_transform_t *t, double *m, double *offset)
{
    const chain_t *c = (const chain_t *)t;
    unsigned n = t->dim;
    double mi[PIPIT_MAX_DIM * PIPIT_MAX_DIM], oi[PIPIT_MAX_DIM];
    double mc[PIPIT_MAX_DIM * PIPIT_MAX_DIM], oc[PIPIT_MAX_DIM];
    if (!pipit_transform_get_matrix(c->initial, mi, oi) ||
        !pipit_transform_get_matrix(c->current, mc, oc))
        return false;
    if (c->how == PIPIT_COMBINE_COMPOSE) {
        /* mc(mi x + oi) + oc */
        pipit__mat_mul(n, mc, mi, m);
        pipit__mat_vec(n, mc, oi, offset);
        for (unsigned d = 0; d < n; d++)
            offset[d] += oc[d];
        return true;
    }
    for (unsigned k = 0; k < n * n; k++)
        m[k] = mc[k] + mi[k];
    for (unsigned d = 0; d < n; d++) {
        m[d * n + d] -= 1.0;
        offset[d] = oc[d] + oi[d];
    }
    return true;
}

static pipit_status_t
chain_inverse(const pipit_transform_t *t, pipit_transform_t **out)
{
    const chain_t *c = (const chain_t *)t;
    pipit_status_t st;
    pipit_transform_t *ii = NULL, *ic = NULL;
    if (c->how != PIPIT_COMBINE_COMPOSE) {
        st = pipit__error(PIPIT_EUNSUPPORTED,
                          "transform: an Add chain has no closed-form "
                          "inverse");
        goto done;
    }
    if ((st = pipit_transform_inverse(c->initial, &ii)) != PIPIT_OK ||
        (st = pipit_transform_inverse(c->current, &ic)) != PIPIT_OK)
        goto done;
    /* (current ∘ initial)⁻¹ = initial⁻¹ ∘ current⁻¹ */
    *out = pipit_transform_chain_new(ic, ii, PIPIT_COMBINE_COMPOSE);
    st = *out != NULL ? PIPIT_OK : PIPIT_ENOMEM;
done:
    pipit_transform_unref(ii);
    pipit_transform_unref(ic);
    return st;
}

static pipit_status_t
chain_copy(const pipit_transform_t *src, pipit_transform_t *dst)
{
    const chain_t *s = (const chain_t *)src;
    chain_t *d = (chain_t *)dst;
    d->initial = d->current = NULL;
    dst->params_of = NULL;
    if ((d->initial = pipit_transform_dup(s->initial)) == NULL ||
        (d->current = pipit_transform_dup(s->current)) == NULL)
        return PIPIT_ENOMEM;
    dst->params_of = d->current;
    return PIPIT_OK;
}

static void
chain_finalize(pipit_transform_t *t)
{
    chain_t *c = (chain_t *)t;
    pipit_transform_unref(c->initial);
    pipit_transform_unref(c->current);
}

static const pipit__transform_class_t chain_class = {
    .name = "Chain",
    .size = sizeof(chain_t),
    .update = chain_update,
    .point = chain_point,
    .jacobian = chain_jacobian,
    .spatial_jacobian = chain_spatial_jacobian,
    .matrix = chain_matrix,
    .inverse = chain_inverse,
    .copy = chain_copy,
    .finalize = chain_finalize,
};

pipit_transform_t *
pipit_transform_chain_new(pipit_transform_t *initial,
                          pipit_transform_t *current, pipit_combine_t how)
{
    PIPIT_CHECK_ARG_NULL(initial != NULL && current != NULL);
    PIPIT_CHECK_ARG_NULL(how == PIPIT_COMBINE_COMPOSE ||
                         how == PIPIT_COMBINE_ADD);
    if (initial->dim != current->dim) {
        pipit__error(PIPIT_EINVAL,
                     "transform chain: initial %s is %u-D, current %s is "
                     "%u-D",
                     pipit_transform_name(initial), initial->dim,
                     pipit_transform_name(current), current->dim);
        return NULL;
    }
    chain_t *c = (chain_t *)pipit__transform_alloc(&chain_class,
                                                   current->dim, 0);
    if (c == NULL)
        return NULL;
    c->initial = pipit_transform_ref(initial);
    c->current = pipit_transform_ref(current);
    c->how = how;
    c->base.params_of = current;
    return &c->base;
}

bool
pipit_transform_is_chain(const pipit_transform_t *t)
{
    return t != NULL && t->klass == &chain_class;
}

pipit_transform_t *
pipit_transform_chain_initial(const pipit_transform_t *t)
{
    return pipit_transform_is_chain(t) ? ((const chain_t *)t)->initial
                                       : NULL;
}

pipit_transform_t *
pipit_transform_chain_current(const pipit_transform_t *t)
{
    return pipit_transform_is_chain(t) ? ((const chain_t *)t)->current
                                       : NULL;
}

pipit_combine_t
pipit_transform_chain_how(const pipit_transform_t *t)
{
    return pipit_transform_is_chain(t) ? ((const chain_t *)t)->how
                                       : PIPIT_COMBINE_COMPOSE;
}

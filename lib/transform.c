/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every transform shares: lifetime, parameters, dispatch through the
 * class table, and the m·x + offset evaluation of the linear kinds.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "linalg_impl.h"
#include "image_impl.h" /* the modification clock */
#include "transform_impl.h"

void
pipit__transform_changed(pipit_transform_t *t)
{
    t->klass->update(t);
    t->mtime = pipit__time_next();
}

uint64_t
pipit__transform_mtime(const pipit_transform_t *t)
{
    uint64_t m = t->mtime;
    if (pipit_transform_is_chain(t)) {
        pipit_transform_t *c = (pipit_transform_t *)t;
        uint64_t a = pipit__transform_mtime(pipit_transform_chain_initial(c));
        uint64_t b = pipit__transform_mtime(pipit_transform_chain_current(c));
        m = a > m ? a : m;
        m = b > m ? b : m;
    }
    return m;
}

pipit_transform_t *
pipit__transform_alloc(const pipit__transform_class_t *k, unsigned dim,
                       size_t n_params)
{
    pipit_transform_t *t = pipit__calloc(1, k->size);
    if (t == NULL)
        return NULL;
    if (n_params > 0) {
        t->params = pipit__calloc(n_params, sizeof(double));
        if (t->params == NULL) {
            pipit__free(t);
            return NULL;
        }
    }
    pipit__object_init_data(&t->obj, PIPIT_DATA_TRANSFORM);
    t->klass = k;
    t->dim = dim;
    t->n_params = n_params;
    t->jacobian_size = n_params;
    return t;
}

void
pipit__transform_reset(pipit_transform_t *t)
{
    if (t->params != NULL) {
        memset(t->params, 0, t->n_params * sizeof(double));
        if (t->klass->identity != NULL)
            t->klass->identity(t);
    }
    pipit__transform_changed(t);
}

pipit_transform_t *
pipit__linear_new(const pipit__transform_class_t *k, unsigned dim,
                  size_t n_params, const double *center)
{
    pipit_transform_t *t = pipit__transform_alloc(k, dim, n_params);
    if (t == NULL)
        return NULL;
    pipit__transform_reset(t);
    if (center != NULL && pipit_transform_set_center(t, center) != PIPIT_OK) {
        pipit_transform_unref(t);
        return NULL;
    }
    return t;
}

pipit_transform_t *
pipit_transform_ref(pipit_transform_t *t)
{
    if (t != NULL)
        pipit__object_ref(&t->obj);
    return t;
}

void
pipit_transform_unref(pipit_transform_t *t)
{
    if (t == NULL || !pipit__object_unref(&t->obj))
        return;
    if (t->klass->finalize != NULL)
        t->klass->finalize(t);
    pipit__free(t->params);
    pipit__free(t);
}

pipit_transform_t *
pipit_transform_dup(const pipit_transform_t *t)
{
    PIPIT_CHECK_ARG_NULL(t != NULL);
    pipit_transform_t *d = pipit__malloc(t->klass->size);
    if (d == NULL)
        return NULL;
    memcpy(d, t, t->klass->size);
    pipit__object_init_data(&d->obj, PIPIT_DATA_TRANSFORM);
    d->mtime = pipit__time_next();
    d->params = NULL;
    if (t->params != NULL) {
        d->params = pipit__malloc(t->n_params * sizeof(double));
        if (d->params == NULL) {
            pipit__free(d);
            return NULL;
        }
        memcpy(d->params, t->params, t->n_params * sizeof(double));
    }
    if (t->klass->copy != NULL && t->klass->copy(t, d) != PIPIT_OK) {
        /* copy leaves the parts it did not copy NULL, so finalize is safe */
        pipit_transform_unref(d);
        return NULL;
    }
    return d;
}

/* The transform whose parameters t exposes (t itself unless a chain). */
static pipit_transform_t *
owner(const pipit_transform_t *t)
{
    while (t->params_of != NULL)
        t = t->params_of;
    return (pipit_transform_t *)t;
}

const char *
pipit_transform_name(const pipit_transform_t *t)
{
    return t == NULL ? "(null)" : owner(t)->klass->name;
}

unsigned
pipit_transform_dim(const pipit_transform_t *t)
{
    return t == NULL ? 0 : t->dim;
}

size_t
pipit_transform_n_parameters(const pipit_transform_t *t)
{
    return t == NULL ? 0 : owner(t)->n_params;
}

const double *
pipit_transform_parameters(const pipit_transform_t *t)
{
    return t == NULL ? NULL : owner(t)->params;
}

pipit_status_t
pipit_transform_set_parameters(pipit_transform_t *t, const double *p,
                               size_t n)
{
    PIPIT_CHECK_ARG(t != NULL && (p != NULL || n == 0));
    pipit_transform_t *o = owner(t);
    if (n != o->n_params)
        return pipit__error(PIPIT_EINVAL,
                            "transform: %s takes %zu parameters, not %zu",
                            o->klass->name, o->n_params, n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            return pipit__error(PIPIT_EINVAL,
                                "transform: %s: parameter %zu is %g",
                                o->klass->name, i, p[i]);
    /* The same values again change nothing: a pipeline reading the
     * transform does not run again. */
    if (n == 0 || memcmp(o->params, p, n * sizeof(double)) == 0)
        return PIPIT_OK;
    memcpy(o->params, p, n * sizeof(double));
    pipit__transform_changed(o);
    return PIPIT_OK;
}

void
pipit_transform_set_identity(pipit_transform_t *t)
{
    if (t != NULL)
        pipit__transform_reset(owner(t));
}

void
pipit_transform_point(const pipit_transform_t *t, const double *in,
                      double *out)
{
    t->klass->point(t, in, out);
}

size_t
pipit_transform_jacobian_size(const pipit_transform_t *t)
{
    return t == NULL ? 0 : owner(t)->jacobian_size;
}

size_t
pipit_transform_jacobian(const pipit_transform_t *t, const double *x,
                         size_t *indices, double *values)
{
    return t->klass->jacobian(t, x, indices, values);
}

void
pipit_transform_spatial_jacobian(const pipit_transform_t *t, const double *x,
                                 double *j)
{
    t->klass->spatial_jacobian(t, x, j);
}

bool
pipit_transform_get_matrix(const pipit_transform_t *t, double *m,
                           double *offset)
{
    double mm[PIPIT_MAX_DIM * PIPIT_MAX_DIM], oo[PIPIT_MAX_DIM];
    if (t == NULL || t->klass->matrix == NULL ||
        !t->klass->matrix(t, mm, oo))
        return false;
    if (m != NULL)
        memcpy(m, mm, sizeof(double) * t->dim * t->dim);
    if (offset != NULL)
        memcpy(offset, oo, sizeof(double) * t->dim);
    return true;
}

pipit_status_t
pipit_transform_inverse(const pipit_transform_t *t, pipit_transform_t **out)
{
    PIPIT_CHECK_ARG(out != NULL);
    *out = NULL;
    PIPIT_CHECK_ARG(t != NULL);
    if (t->klass->inverse == NULL)
        return pipit__error(PIPIT_EUNSUPPORTED,
                            "transform: %s has no closed-form inverse",
                            pipit_transform_name(t));
    return t->klass->inverse(t, out);
}

const double *
pipit_transform_center(const pipit_transform_t *t)
{
    return t != NULL && t->klass->has_center ? t->center : NULL;
}

pipit_status_t
pipit_transform_set_center(pipit_transform_t *t, const double *center)
{
    PIPIT_CHECK_ARG(t != NULL && center != NULL);
    if (t->params_of != NULL)
        return pipit__error(PIPIT_EINVAL,
                            "transform: a chain has no centre of its own; "
                            "set the centre of its current transform");
    if (!t->klass->has_center)
        return pipit__error(PIPIT_EINVAL, "transform: %s has no centre",
                            pipit_transform_name(t));
    for (unsigned d = 0; d < t->dim; d++)
        if (!isfinite(center[d]))
            return pipit__error(PIPIT_EINVAL,
                                "transform: %s: centre[%u] is %g",
                                t->klass->name, d, center[d]);
    memcpy(t->center, center, t->dim * sizeof(double));
    pipit__transform_changed(t);
    return PIPIT_OK;
}

/* ---- The linear kinds --------------------------------------------- */

void
pipit__linear_point(const pipit_transform_t *t, const double *in,
                    double *out)
{
    const pipit__linear_t *l = (const pipit__linear_t *)t;
    const double *m = l->m, *o = l->offset;
    switch (t->dim) {
    case 2: {
        double x = in[0], y = in[1];
        out[0] = m[0] * x + m[1] * y + o[0];
        out[1] = m[2] * x + m[3] * y + o[1];
        break;
    }
    case 3: {
        double x = in[0], y = in[1], z = in[2];
        out[0] = m[0] * x + m[1] * y + m[2] * z + o[0];
        out[1] = m[3] * x + m[4] * y + m[5] * z + o[1];
        out[2] = m[6] * x + m[7] * y + m[8] * z + o[2];
        break;
    }
    default: {
        double v[PIPIT_MAX_DIM];
        memcpy(v, in, t->dim * sizeof(double));
        pipit__mat_vec(t->dim, m, v, out);
        for (unsigned d = 0; d < t->dim; d++)
            out[d] += o[d];
        break;
    }
    }
}

void
pipit__linear_spatial_jacobian(const pipit_transform_t *t, const double *x,
                               double *j)
{
    const pipit__linear_t *l = (const pipit__linear_t *)t;
    (void)x;
    memcpy(j, l->m, t->dim * t->dim * sizeof(double));
}

bool
pipit__linear_matrix(const pipit_transform_t *t, double *m, double *offset)
{
    const pipit__linear_t *l = (const pipit__linear_t *)t;
    memcpy(m, l->m, t->dim * t->dim * sizeof(double));
    memcpy(offset, l->offset, t->dim * sizeof(double));
    return true;
}

void
pipit__linear_set_offset(pipit__linear_t *l, const double *translation)
{
    unsigned n = l->base.dim;
    const double *c = l->base.center;
    double mc[PIPIT_MAX_DIM];
    pipit__mat_vec(n, l->m, c, mc);
    for (unsigned d = 0; d < n; d++)
        l->offset[d] = c[d] + translation[d] - mc[d];
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The transform struct and class table, for the files of each kind. */
#ifndef PIPIT_TRANSFORM_IMPL_H
#define PIPIT_TRANSFORM_IMPL_H

#include <pipit/data.h>
#include <pipit/transform.h>

#include "object_impl.h"

typedef struct pipit__transform_class {
    const char *name; /* elastix `Transform` value */
    size_t size;      /* sizeof the concrete struct */
    bool has_center;
    /* Recomputes derived state after parameters or fixed parameters
     * changed; never fails (setters validate first). */
    void (*update)(pipit_transform_t *t);
    /* Identity parameters into t->params (NULL: all zero). */
    void (*identity)(pipit_transform_t *t);
    void (*point)(const pipit_transform_t *t, const double *in, double *out);
    size_t (*jacobian)(const pipit_transform_t *t, const double *x,
                       size_t *indices, double *values);
    void (*spatial_jacobian)(const pipit_transform_t *t, const double *x,
                             double *j);
    /* NULL: not linear. */
    bool (*matrix)(const pipit_transform_t *t, double *m, double *offset);
    /* NULL: PIPIT_EUNSUPPORTED. */
    pipit_status_t (*inverse)(const pipit_transform_t *t,
                              pipit_transform_t **out);
    /* Deep-copies what the kind owns beyond the common fields into dst,
     * which already holds a byte copy of src (NULL: nothing to do). */
    pipit_status_t (*copy)(const pipit_transform_t *src,
                           pipit_transform_t *dst);
    void (*finalize)(pipit_transform_t *t);
} pipit__transform_class_t;

struct pipit_transform {
    pipit__object_t obj;
    const pipit__transform_class_t *klass;
    unsigned dim;
    size_t n_params;
    /* Owned, n_params values in elastix order; for a chain, NULL and
     * params_of names the part whose parameters it exposes. */
    double *params;
    pipit_transform_t *params_of;
    size_t jacobian_size;
    double center[PIPIT_MAX_DIM];
    uint64_t mtime; /* global clock at the last change (ports) */
};

/**
 * The newest change of t or, for a chain, of any of its parts: what a
 * pipeline reading t compares with its last run.
 */
uint64_t pipit__transform_mtime(const pipit_transform_t *t);

/** Recomputes t's derived state after a change and stamps the change. */
void pipit__transform_changed(pipit_transform_t *t);

/**
 * A new transform of class k: zeroed struct of k->size bytes, dim,
 * n_params zeroed parameters (allocated unless 0), reference count 1.
 * The caller fills its fields, then calls pipit__transform_reset.
 */
pipit_transform_t *pipit__transform_alloc(const pipit__transform_class_t *k,
                                          unsigned dim, size_t n_params);

/** Identity parameters, then update. */
void pipit__transform_reset(pipit_transform_t *t);

/*
 * The linear kinds (translation, Euler, similarity, affine) start with
 * this struct: T(x) = m·x + offset, with m and offset recomputed from the
 * parameters and the centre by the kind's update.
 */
typedef struct pipit__linear {
    pipit_transform_t base;
    double m[PIPIT_MAX_DIM * PIPIT_MAX_DIM]; /* dim x dim, row-major */
    double offset[PIPIT_MAX_DIM];
} pipit__linear_t;

/** Point, spatial Jacobian and matrix slots shared by the linear kinds. */
void pipit__linear_point(const pipit_transform_t *t, const double *in,
                         double *out);
void pipit__linear_spatial_jacobian(const pipit_transform_t *t,
                                    const double *x, double *j);
bool pipit__linear_matrix(const pipit_transform_t *t, double *m,
                          double *offset);

/**
 * A new centred linear transform of class k at the identity, its centre
 * set when center is not NULL; NULL (error set) on failure.
 */
pipit_transform_t *pipit__linear_new(const pipit__transform_class_t *k,
                                     unsigned dim, size_t n_params,
                                     const double *center);

/** offset = c + t - m·c: the offset of m(x - c) + c + t. */
void pipit__linear_set_offset(pipit__linear_t *l, const double *translation);

#endif

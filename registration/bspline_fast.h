/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The B-spline hot path (issue 10 item 4), for the metrics and ASGD's
 * estimation to call: one evaluation of the (p+1)^D weights per sample
 * gives both T(x) and dT/dmu, and dT/dmu is kept in its compact form
 * (the weights and the supporting control points of one axis's block:
 * component e of control point i is parameter e·n_points + i, and its
 * derivative is w_k on row e only). So a sample's dM/dmu is D·(p+1)^D
 * products g_e·w_k, never a dense D x (D·(p+1)^D) matrix.
 *
 * Works for a B-spline transform, or a chain whose current part is one
 * (the initial part is applied through pipit_transform_point).
 */
#ifndef PIPIT_REG_BSPLINE_FAST_H
#define PIPIT_REG_BSPLINE_FAST_H

#include <stdbool.h>
#include <stddef.h>

#include <pipit/transform.h>

/* (3 + 1)^4 */
#define REG_BSPLINE_MAX_SUPPORT 256

typedef struct reg_bspline_fast {
    const pipit_transform_t *whole;   /* what the level maps with */
    const pipit_transform_t *bspline; /* its B-spline part */
    const pipit_transform_t *initial; /* the chain's initial part, or NULL */
    bool add;                         /* the chain adds (elastix "Add") */
    unsigned dim, order;
    size_t count;    /* supporting control points, (order + 1)^dim */
    size_t n_points; /* control points: parameters per component */
    double origin[PIPIT_MAX_DIM];
    double to_grid[PIPIT_MAX_DIM * PIPIT_MAX_DIM]; /* diag(1/h) Dir⁻¹ */
    double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];   /* valid grid index */
    size_t stride[PIPIT_MAX_DIM];
    const double *params; /* the B-spline's, refreshed by _refresh */
} reg_bspline_fast_t;

/** Fills f for t; false (f unusable) when t is not a B-spline or a chain
 * whose current part is one. Once per level. */
bool pipit__reg_bspline_fast_init(reg_bspline_fast_t *f,
                                  const pipit_transform_t *t);

/** After the parameters were set: once per evaluation, not per sample. */
void pipit__reg_bspline_fast_refresh(reg_bspline_fast_t *f);

/**
 * y = T(x), and the support of the B-spline at the point it sees (x, or
 * the initial transform's image of x when composed): control point
 * numbers (within one component's block) and weights, f->count of each.
 * Returns f->count, or 0 when the point is outside the grid's valid
 * region (zero displacement and zero derivative).
 */
size_t pipit__reg_bspline_fast_map(const reg_bspline_fast_t *f,
                                   const double *x, double *y, size_t *index,
                                   double *w);

/**
 * dM/dmu of one sample from its support (m = the map's return) and the
 * moving image's physical gradient g (dim values): parameter e·n_points +
 * index[k] gets g[e]·w[k]. Writes dim·m indices and values, component by
 * component, ascending within each; returns dim·m.
 */
size_t pipit__reg_bspline_fast_dmu(const reg_bspline_fast_t *f, size_t m,
                                   const size_t *index, const double *w,
                                   const double *g, size_t *out_index,
                                   double *out_value);

/* ASGD's Jacobian terms (asgd_estimate.c's jacobian_terms), without the
 * dense P x P matrix C = (1/N) Σ_j J_jᵀ J_j: for a B-spline C is block
 * diagonal over the components and, within one, non-zero only between
 * control points at most p apart on every axis, so it is kept as n_points
 * rows of (2p+1)^D neighbours per component. */
typedef struct reg_bspline_jac_terms {
    double trc;     /* tr(C) */
    double trcc;    /* ||C||_F² */
    double max_jj;  /* max_j bound(J_j J_jᵀ) */
    double max_jcj; /* max_j bound(J_j C J_jᵀ) */
} reg_bspline_jac_terms_t;

/**
 * The terms over `count` fixed points pts (dim each) with J's columns
 * divided by scales (P values: the optimizer's scales, already square
 * roots). bound(S) = tr(S) + 2√2 ||S||_F as asgd_estimate.c's. Allocates
 * D · n_points · (2p+1)^D doubles for its duration; PIPIT_ENOMEM.
 */
pipit_status_t pipit__reg_bspline_jacobian_terms(
    const reg_bspline_fast_t *f, const double *scales, const double *pts,
    size_t count, reg_bspline_jac_terms_t *out);

#endif

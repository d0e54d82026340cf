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
 * (the initial part is applied through pipit_transform_point), cyclic
 * (UseCyclicTransform "true") or not. A cyclic grid's last axis wraps:
 * the p+1 supporting control points along it are (s + j) mod g, which
 * may run past the end and on from 0; and only the first D-1 components
 * move, so the last block of parameters (kept, as elastix keeps it) has
 * no derivative. Code walking a support must take the last axis's
 * offsets from reg_bspline_support_t.last (never first + j·stride) and
 * stop at f->moved components.
 */
#ifndef PIPIT_REG_BSPLINE_FAST_H
#define PIPIT_REG_BSPLINE_FAST_H

#include <math.h>
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
    bool cyclic;  /* the last axis wraps modulo wrap (and stays put) */
    unsigned dim, order;
    unsigned moved; /* displaced components: dim, or dim - 1 if cyclic */
    size_t wrap;    /* a cyclic grid's size on the last axis (>= p + 1) */
    size_t count;    /* supporting control points, (order + 1)^dim */
    size_t n_points; /* control points: parameters per component */
    double origin[PIPIT_MAX_DIM];
    double to_grid[PIPIT_MAX_DIM * PIPIT_MAX_DIM]; /* diag(1/h) Dir⁻¹ */
    double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];   /* valid grid index */
    double gindex[PIPIT_MAX_DIM];                  /* the grid's index */
    size_t stride[PIPIT_MAX_DIM];
    const double *params; /* the B-spline's, refreshed by _refresh */
} reg_bspline_fast_t;

/** Fills f for t; false (f unusable) when t is not a B-spline (cyclic or
 * not) or a chain whose current part is one. Once per level. */
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

/** The support alone (as _map, without T(x)). */
size_t pipit__reg_bspline_fast_support(const reg_bspline_fast_t *f,
                                       const double *x, size_t *index,
                                       double *w);

/**
 * dM/dmu of one sample from its support (m = the map's return) and the
 * moving image's physical gradient g (dim values): parameter e·n_points +
 * index[k] gets g[e]·w[k], e < f->moved. Writes moved·m indices and
 * values, component by component, in the support's order (ascending,
 * except where a cyclic grid's last axis wraps); returns moved·m.
 */
size_t pipit__reg_bspline_fast_dmu(const reg_bspline_fast_t *f, size_t m,
                                   const size_t *index, const double *w,
                                   const double *g, size_t *out_index,
                                   double *out_value);

/* ASGD's Jacobian terms (asgd_estimate.c's jacobian_terms), without the
 * dense P x P matrix C = (1/N) Σ_j J_jᵀ J_j: for a B-spline C is block
 * diagonal over the components and, within one, non-zero only between
 * control points at most p apart on every axis (on a cyclic last axis:
 * modulo g), so it is kept as n_points rows of (2p+1)^D neighbours per
 * moved component (a cyclic last axis: min(2p+1, g) of them along it,
 * the offset taken modulo g, so that two offsets naming the same pair
 * of control points share one slot). */
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
 * up to moved · n_points · (2p+1)^D doubles for its duration;
 * PIPIT_ENOMEM.
 */
pipit_status_t pipit__reg_bspline_jacobian_terms(
    const reg_bspline_fast_t *f, const double *scales, const double *pts,
    size_t count, reg_bspline_jac_terms_t *out);

/* ---- The compact support, for the metrics' hot loops ------------------
 * A sample's support kept as its corner control point and the (p+1)
 * weights of each axis (the products are formed where used): 5 + 4·D
 * numbers instead of 2·(p+1)^D, and the loops over it run along rows of
 * p+1 consecutive control points (vectorisable). The last axis's p+1
 * slabs are listed (last[j]) rather than first + j·stride, since on a
 * cyclic grid they wrap: slab j is (s + j) mod g. Support point with
 * per-axis numbers j_d is control point
 *     first + Σ_{d < D-1} j_d·stride[d] + last[j_{D-1}]. */
typedef struct reg_bspline_support {
    size_t first;                   /* corner, the last axis left out;
                                     * (size_t)-1: outside the grid */
    size_t last[4];                 /* offsets of the last axis's slabs */
    double w[PIPIT_MAX_DIM][4];     /* per axis, p + 1 used */
} reg_bspline_support_t;

#include "bspline_impl.h"

/* The point the B-spline sees (x, or T_init(x) when composed) and the
 * base its displacement is added to. */
static inline const double *
pipit__reg_bspline_seen(const reg_bspline_fast_t *f, const double *x,
                        double *xi, double *base)
{
    if (f->initial == NULL) {
        for (unsigned d = 0; d < f->dim; d++)
            base[d] = x[d];
        return x;
    }
    pipit_transform_point(f->initial, x, xi);
    for (unsigned d = 0; d < f->dim; d++)
        base[d] = xi[d];
    return f->add ? x : xi;
}

/* locate_dim's body, `cyclic` a constant in each copy (the wrap tests
 * out of the plain grid's loop). */
static inline __attribute__((always_inline)) bool
pipit__reg_bspline_locate_c(const reg_bspline_fast_t *f, const double *x,
                            reg_bspline_support_t *s, const unsigned D,
                            const bool cyclic)
{
    const unsigned p = f->order;
    double v[PIPIT_MAX_DIM];
    size_t first = 0;
    for (unsigned d = 0; d < D; d++)
        v[d] = x[d] - f->origin[d];
    for (unsigned r = 0; r < D; r++) {
        double u = 0.0;
        for (unsigned c = 0; c < D; c++)
            u += f->to_grid[r * D + c] * v[c];
        const bool wraps = cyclic && r == D - 1;
        /* Written so that NaN is outside (a wrapping axis has no
         * outside but NaN and infinities). */
        if (wraps ? !isfinite(u) : !(u >= f->lo[r] && u < f->hi[r]))
            return false;
        double t;
        ptrdiff_t st;
        if (p == 3) {
            st = pipit__bspline_start(3, u - f->gindex[r], &t);
            pipit__bspline_weights(3, t, s->w[r], NULL);
        } else {
            st = pipit__bspline_start(p, u - f->gindex[r], &t);
            pipit__bspline_weights(p, t, s->w[r], NULL);
        }
        if (r + 1 < D) {
            first += (size_t)st * f->stride[r];
            continue;
        }
        /* The last axis's slabs: s + j, or (s + j) mod g wrapping (g >=
         * p + 1, so each slab once and one subtraction suffices). Not
         * wrapping, all four slots straight (those past p unused): a
         * loop to p here was a twentieth of a B-spline registration. */
        const size_t sr = f->stride[r];
        if (!wraps) {
            const size_t b = (size_t)st * sr;
            s->last[0] = b, s->last[1] = b + sr;
            s->last[2] = b + 2 * sr, s->last[3] = b + 3 * sr;
            continue;
        }
        ptrdiff_t g = (ptrdiff_t)f->wrap, k0 = st % g;
        size_t k = (size_t)(k0 < 0 ? k0 + g : k0);
        for (unsigned j = 0; j <= p; j++, k++) {
            if (k == f->wrap)
                k = 0;
            s->last[j] = k * sr;
        }
    }
    s->first = first;
    return true;
}

/** The support of the B-spline at its own input point u; false outside
 * the grid's valid region. D a constant where the caller knows it. */
static inline __attribute__((always_inline)) bool
pipit__reg_bspline_locate_dim(const reg_bspline_fast_t *f, const double *x,
                              reg_bspline_support_t *s, const unsigned D)
{
    return f->cyclic ? pipit__reg_bspline_locate_c(f, x, s, D, true)
                     : pipit__reg_bspline_locate_c(f, x, s, D, false);
}

/* Σ_k w_k c[index_k] over a support, q = p + 1 (a constant: 4). */
static inline __attribute__((always_inline)) double
pipit__reg_bspline_sum_q(const reg_bspline_fast_t *f,
                         const reg_bspline_support_t *s, const double *c,
                         const unsigned D, const unsigned q)
{
    c += s->first;
    if (D == 2) {
        double t = 0.0;
        for (unsigned j1 = 0; j1 < q; j1++) {
            const double *row = c + s->last[j1];
            double r = 0.0;
            for (unsigned j0 = 0; j0 < q; j0++)
                r += s->w[0][j0] * row[j0];
            t += s->w[1][j1] * r;
        }
        return t;
    }
    if (D == 3) {
        const size_t s1 = f->stride[1];
        double t = 0.0;
        for (unsigned j2 = 0; j2 < q; j2++) {
            double t2 = 0.0;
            for (unsigned j1 = 0; j1 < q; j1++) {
                const double *row = c + s->last[j2] + j1 * s1;
                double r = 0.0;
                for (unsigned j0 = 0; j0 < q; j0++)
                    r += s->w[0][j0] * row[j0];
                t2 += s->w[1][j1] * r;
            }
            t += s->w[2][j2] * t2;
        }
        return t;
    }
    unsigned j[PIPIT_MAX_DIM] = { 0 };
    double t = 0.0;
    for (size_t k = 0; k < f->count; k++) {
        size_t idx = s->last[j[D - 1]];
        double wk = 1.0;
        for (unsigned d = 0; d + 1 < D; d++) {
            idx += j[d] * f->stride[d];
            wk *= s->w[d][j[d]];
        }
        wk *= s->w[D - 1][j[D - 1]];
        t += wk * c[idx];
        for (unsigned d = 0; d < D && ++j[d] == q; d++)
            j[d] = 0;
    }
    return t;
}

/* acc[e·n_points + index_k] += cg[e] · w_k over a support, for the
 * moved components e (a cyclic grid's last has no derivative). */
static inline __attribute__((always_inline)) void
pipit__reg_bspline_add_q(const reg_bspline_fast_t *f,
                         const reg_bspline_support_t *s, const double *cg,
                         double *acc, const unsigned D, const unsigned q,
                         const unsigned moved)
{
    /* Only a cyclic grid moves fewer than D components, and only its
     * slabs need the list: a plain grid's are last[0] + j·stride, which
     * the compiler folds into the loop (fewer loads per sample). */
    const bool listed = moved != D;
    const size_t sl = f->stride[D - 1];
    for (unsigned e = 0; e < moved; e++) {
        double *a = acc + e * f->n_points + s->first;
        const double g = cg[e];
        if (D == 2) {
            for (unsigned j1 = 0; j1 < q; j1++) {
                double *row =
                    a + (listed ? s->last[j1] : s->last[0] + j1 * sl);
                const double cw = g * s->w[1][j1];
                for (unsigned j0 = 0; j0 < q; j0++)
                    row[j0] += cw * s->w[0][j0];
            }
        } else if (D == 3) {
            const size_t s1 = f->stride[1];
            for (unsigned j2 = 0; j2 < q; j2++) {
                const double c2 = g * s->w[2][j2];
                for (unsigned j1 = 0; j1 < q; j1++) {
                    double *row =
                        a + (listed ? s->last[j2] : s->last[0] + j2 * sl) +
                        j1 * s1;
                    const double cw = c2 * s->w[1][j1];
                    for (unsigned j0 = 0; j0 < q; j0++)
                        row[j0] += cw * s->w[0][j0];
                }
            }
        } else {
            unsigned j[PIPIT_MAX_DIM] = { 0 };
            for (size_t k = 0; k < f->count; k++) {
                size_t idx = s->last[j[D - 1]];
                double wk = g;
                for (unsigned d = 0; d + 1 < D; d++) {
                    idx += j[d] * f->stride[d];
                    wk *= s->w[d][j[d]];
                }
                wk *= s->w[D - 1][j[D - 1]];
                a[idx] += wk;
                for (unsigned d = 0; d < D && ++j[d] == q; d++)
                    j[d] = 0;
            }
        }
    }
}

/* map_dim's cubic 2-D / 3-D case: the `moved` components side by side
 * (independent sums: the loop is latency-bound otherwise) sharing the
 * weight products; moved a constant where it is inlined. */
static inline __attribute__((always_inline)) void
pipit__reg_bspline_map3(const reg_bspline_fast_t *f,
                        const reg_bspline_support_t *s, const double *base,
                        double *y, const unsigned D, const unsigned moved)
{
    const double *w0 = s->w[0];
    const size_t np = f->n_points, s1 = f->stride[1];
    const size_t sl = f->stride[D - 1];
    const bool listed = moved != D; /* as add_q's */
    const unsigned n2 = D == 3 ? 4 : 1;
    double t[PIPIT_MAX_DIM] = { 0 };
    for (unsigned j2 = 0; j2 < n2; j2++)
        for (unsigned j1 = 0; j1 < 4; j1++) {
            const double w21 =
                D == 3 ? s->w[2][j2] * s->w[1][j1] : s->w[1][j1];
            const unsigned jl = D == 3 ? j2 : j1; /* the last axis's */
            const double *row =
                f->params + s->first +
                (listed ? s->last[jl] : s->last[0] + jl * sl) +
                (D == 3 ? j1 * s1 : 0);
            for (unsigned e = 0; e < moved; e++) {
                const double *r = row + e * np;
                double v = (w0[0] * r[0] + w0[1] * r[1]) +
                           (w0[2] * r[2] + w0[3] * r[3]);
                t[e] += w21 * v;
            }
        }
    for (unsigned e = 0; e < D; e++)
        y[e] = base[e] + t[e];
}

/** y = T(x) and the support (s->first = SIZE_MAX outside the grid, where
 * the displacement and its derivative are zero). */
static inline __attribute__((always_inline)) void
pipit__reg_bspline_map_dim(const reg_bspline_fast_t *f, const double *x,
                           double *y, reg_bspline_support_t *s,
                           const unsigned D)
{
    double xi[PIPIT_MAX_DIM], base[PIPIT_MAX_DIM];
    const double *at = pipit__reg_bspline_seen(f, x, xi, base);
    if (!pipit__reg_bspline_locate_dim(f, at, s, D)) {
        s->first = (size_t)-1;
        for (unsigned e = 0; e < D; e++)
            y[e] = base[e];
        return;
    }
    if (f->order == 3 && (D == 2 || D == 3)) {
        if (f->cyclic)
            pipit__reg_bspline_map3(f, s, base, y, D, D - 1);
        else
            pipit__reg_bspline_map3(f, s, base, y, D, D);
        return;
    }
    const unsigned moved = f->moved;
    for (unsigned e = 0; e < D; e++) {
        const double *c = f->params + e * f->n_points;
        y[e] = e < moved ? base[e] + pipit__reg_bspline_sum_q(f, s, c, D,
                                                              f->order + 1)
                         : base[e];
    }
}

/** The support alone, as map_dim's. */
static inline __attribute__((always_inline)) void
pipit__reg_bspline_support_dim(const reg_bspline_fast_t *f, const double *x,
                               reg_bspline_support_t *s, const unsigned D)
{
    double xi[PIPIT_MAX_DIM], base[PIPIT_MAX_DIM];
    const double *at = pipit__reg_bspline_seen(f, x, xi, base);
    if (!pipit__reg_bspline_locate_dim(f, at, s, D))
        s->first = (size_t)-1;
}

/** acc[e·n_points + k] += cg[e] · ∂T_e/∂μ_k over the support s. */
static inline __attribute__((always_inline)) void
pipit__reg_bspline_add_dim(const reg_bspline_fast_t *f,
                           const reg_bspline_support_t *s, const double *cg,
                           double *acc, const unsigned D)
{
    if (s->first == (size_t)-1)
        return;
    /* The component count a constant in each copy: a run-time bound
     * kept the compiler from unrolling (20 % more instructions). */
    if (f->cyclic)
        pipit__reg_bspline_add_q(f, s, cg, acc, D, f->order + 1, D - 1);
    else if (f->order == 3)
        pipit__reg_bspline_add_q(f, s, cg, acc, D, 4, D);
    else
        pipit__reg_bspline_add_q(f, s, cg, acc, D, f->order + 1, D);
}

#endif

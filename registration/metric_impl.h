/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the metrics share beyond reg_impl.h's moving side: the keys every
 * Advanced metric reads, the per-worker batches and the reduction
 * workspace made once per level, the valid-sample check, and the
 * intensity extrema of a level image. Only metric_*.c include this.
 */
#ifndef PIPIT_REG_METRIC_IMPL_H
#define PIPIT_REG_METRIC_IMPL_H

#include "bspline_fast.h"
#include "reg_impl.h"

/* "No stored entry": dmu recomputes the B-spline support from x. */
#define REG_NO_ENTRY ((size_t)-1)

/* Samples per batch, which is also the grain of the pool loops: fixed,
 * so the pieces (and the sums) never depend on the thread count, and
 * large enough for the interpolator's vectorised batch path. */
#define REG_METRIC_BATCH 128

/* How fixed points reach the moving image during one evaluation, fixed at
 * its start. A linear transform (every kind but the B-spline, and chains
 * of those) maps fixed points straight to continuous indices through one
 * matrix, and its Jacobian is linear in x: J(x) = j0 + Σ_c (x − xref)_c
 * dj_c. Then Σ_s w_s ∂M/∂μ(x_s) needs only the dim × (dim + 1) sums
 * Σ_s w_s g_s (x_s − xref, 1)ᵀ per sample (g in index space), expanded
 * into the parameters once per evaluation: per-sample cost and the
 * accumulators no longer grow with the number of parameters. */
typedef struct reg_moving_map {
    unsigned dim;
    size_t n_params;
    bool linear;
    double a[PIPIT_MAX_DIM * PIPIT_MAX_DIM], b[PIPIT_MAX_DIM]; /* c = a x + b */
    double m[PIPIT_MAX_DIM * PIPIT_MAX_DIM], off[PIPIT_MAX_DIM]; /* T */
    double to_index[PIPIT_MAX_DIM * PIPIT_MAX_DIM]; /* c = to_index (y − o) */
    double origin[PIPIT_MAX_DIM];
    double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM]; /* inside: lo <= c < hi */
    const reg_mask_t *mask;
    double xref[PIPIT_MAX_DIM];
    double *j0; /* dim * n_params: J(xref), row-major */
    double *dj; /* dim (c) * dim (d) * n_params */
    size_t acc_len; /* doubles of one derivative accumulator */
    /* A B-spline (or a chain whose current part is one): the batch keeps
     * each valid entry's support (control points and weights, computed
     * once in the mapping) for the derivative, which is then D·(p+1)^D
     * products g_e·w_k added straight into the accumulator. */
    bool bspline;
    reg_bspline_fast_t bs;
} reg_moving_map_t;

typedef struct reg_metric_common {
    /* CheckNumberOfSamples, RequiredRatioOfValidSamples */
    bool check_samples;
    double required_ratio;
    /* One batch per pool worker (grown when the pool grows). */
    reg_moving_batch_t *batches;
    unsigned n_batches;
    bool ready; /* begin_level done */
    reg_moving_map_t map;
    size_t acc_doubles;
    pipit_reduction_t *red;
} reg_metric_common_t;

/** Reads CheckNumberOfSamples and RequiredRatioOfValidSamples. */
pipit_status_t pipit__reg_metric_common_configure(reg_metric_common_t *c,
                                                  const reg_map_t *m,
                                                  unsigned level);
/** Per level: the mapping, the batches and the reduction workspace whose
 * accumulators hold `head` doubles then n_vectors derivative
 * accumulators of map.acc_len doubles (acc_doubles in all). Frees what
 * an earlier level made. */
pipit_status_t pipit__reg_metric_common_begin(reg_metric_common_t *c,
                                              const reg_level_t *L,
                                              size_t head, size_t n_vectors);
/** Pins the pool for one evaluation, makes sure every worker has a
 * batch (allocates only when the pool has grown since begin_level) and
 * fixes the mapping at the current parameters. On success the caller
 * must call pipit_pool_release. */
pipit_status_t pipit__reg_metric_hold(reg_metric_common_t *c,
                                      const reg_level_t *L,
                                      const reg_samples_t *s);

/* The support of valid entry j of b (stored by the mapping), or, for
 * REG_NO_ENTRY, of fixed point x recomputed into the batch's scratch
 * entry (at capacity). */
static inline __attribute__((always_inline)) const reg_bspline_support_t *
pipit__reg_bspline_entry(reg_moving_batch_t *b, size_t j, const double *x,
                         const unsigned D)
{
    if (j != REG_NO_ENTRY)
        return &b->bs[j];
    reg_bspline_support_t *s = &b->bs[b->capacity];
    pipit__reg_bspline_support_dim(&b->map->bs, x, s, D);
    return s;
}

/* The index-space gradient g as a physical one: to_indexᵀ g. */
static inline __attribute__((always_inline)) void
pipit__reg_gradient_physical(const reg_moving_map_t *mp, const double *g,
                             double *gp, const unsigned D)
{
    for (unsigned d = 0; d < D; d++) {
        double v = 0.0;
        for (unsigned e = 0; e < D; e++)
            v += mp->to_index[e * D + d] * g[e];
        gp[d] = v;
    }
}

/** Adds w · ∂M/∂μ of a sample (valid entry j of the batch, or
 * REG_NO_ENTRY; fixed point x, index-space gradient g) into a derivative
 * accumulator of map->acc_len doubles; D is the dimension (a constant
 * where the caller knows it: the loops unroll). */
static inline __attribute__((always_inline)) void
pipit__reg_dmu_add_dim(reg_moving_batch_t *b, const reg_level_t *L, size_t j,
                       const double *x, const double *g, double w,
                       double *acc, const unsigned D)
{
    const reg_moving_map_t *mp = b->map;
    if (mp->linear) {
        double u[PIPIT_MAX_DIM];
        for (unsigned c = 0; c < D; c++)
            u[c] = x[c] - mp->xref[c];
        for (unsigned d = 0; d < D; d++) {
            double wg = w * g[d];
            double *row = acc + d * (D + 1);
            for (unsigned c = 0; c < D; c++)
                row[c] += wg * u[c];
            row[D] += wg;
        }
        return;
    }
    if (mp->bspline) {
        const reg_bspline_support_t *sp = pipit__reg_bspline_entry(b, j, x, D);
        double gp[PIPIT_MAX_DIM];
        pipit__reg_gradient_physical(mp, g, gp, D);
        for (unsigned e = 0; e < D; e++)
            gp[e] *= w;
        pipit__reg_bspline_add_dim(&mp->bs, sp, gp, acc, D);
        return;
    }
    size_t *idx;
    double *val;
    size_t nz = pipit__reg_moving_dmu(b, L, j, x, g, &idx, &val);
    for (size_t k = 0; k < nz; k++)
        acc[idx[k]] += w * val[k];
}

static inline void
pipit__reg_dmu_add(reg_moving_batch_t *b, const reg_level_t *L, size_t j,
                   const double *x, const double *g, double w, double *acc)
{
    pipit__reg_dmu_add_dim(b, L, j, x, g, w, acc, b->map->dim);
}

/** out[k] = scale · (the accumulated Σ w ∂M/∂μ_k), k < n_params. */
void pipit__reg_dmu_finish(const reg_moving_map_t *mp, const double *acc,
                           double scale, double *out);
/** elastix's check: "Too many samples map outside moving image buffer:
 * n / N" (PIPIT_ERANGE) unless enough are valid or the check is off. */
pipit_status_t pipit__reg_metric_check_valid(const reg_metric_common_t *c,
                                             size_t n_valid, size_t n);
void pipit__reg_metric_common_free(reg_metric_common_t *c);

/** Smallest and largest pixel of img's buffered region (f32 or any
 * scalar type), counting only pixels whose physical point is inside mask
 * when mask is not NULL. PIPIT_EINVAL when no pixel counts. */
pipit_status_t pipit__reg_image_extrema(const pipit_image_t *img,
                                        const reg_mask_t *mask, double *min,
                                        double *max);

/* Levels a configure call checks: `level` itself, or all of them when
 * level >= n_levels (the node's early check of every value). */
static inline unsigned
pipit__reg_config_levels(const reg_map_t *m, unsigned level, unsigned *first)
{
    unsigned n = m->n_levels > 0 ? m->n_levels : 1;
    if (level < n) {
        *first = level;
        return level + 1;
    }
    *first = 0;
    return n;
}

#endif

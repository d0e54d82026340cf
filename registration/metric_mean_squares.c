/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AdvancedMeanSquares (spec §7.6): C = (η/N) Σ (M − F)²,
 * ∂C/∂μ = (2η/N) Σ (M − F) ∂M/∂μ over the N valid samples; η = 1, or
 * 100 / d² with UseNormalization, d = max(Fmax − Mmin, Mmax − Fmin) from
 * the level images (inside their masks).
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "metric_impl.h"

typedef struct {
    reg_metric_common_t c;
    bool normalize;
    double eta;
    size_t n_params;
    double *total; /* ACC_D + n_params: the merged sums */
} msd_t;

/* Accumulator: Σ (M − F)², the valid count, then Σ (M − F) ∂M/∂μ. */
enum { ACC_SUM, ACC_N, ACC_D };

typedef struct {
    msd_t *st;
    const reg_level_t *L;
    const reg_samples_t *s;
    bool deriv;
    double *total; /* ACC_D + n_params */
} msd_run_t;

static pipit_status_t
msd_configure(void *state, const reg_map_t *m, unsigned level)
{
    msd_t *st = state;
    pipit_status_t rc = pipit__reg_metric_common_configure(&st->c, m, level);
    if (rc != PIPIT_OK)
        return rc;
    unsigned first;
    unsigned end = pipit__reg_config_levels(m, level, &first);
    for (unsigned r = end; r-- > first;) {
        rc = pipit__reg_get_bool(m, "UseNormalization", r, false,
                                 &st->normalize);
        if (rc != PIPIT_OK)
            return rc;
    }
    return PIPIT_OK;
}

static pipit_status_t
msd_begin_level(void *state, const reg_level_t *L)
{
    msd_t *st = state;
    st->eta = 1.0;
    st->n_params = L->n_params;
    if (st->normalize) {
        double fmin, fmax, mmin, mmax;
        pipit_status_t rc =
            pipit__reg_image_extrema(L->fixed, L->fixed_mask, &fmin, &fmax);
        if (rc == PIPIT_OK)
            rc = pipit__reg_image_extrema(L->moving, L->moving_mask, &mmin,
                                          &mmax);
        if (rc != PIPIT_OK)
            return rc;
        double d = fmax - mmin > mmax - fmin ? fmax - mmin : mmax - fmin;
        /* elastix guards a zero range the same way: no normalisation. */
        if (d > 1e-10)
            st->eta = 100.0 / (d * d);
    }
    pipit_status_t rc = pipit__reg_metric_common_begin(&st->c, L, ACC_D, 1);
    if (rc != PIPIT_OK)
        return rc;
    pipit__free(st->total);
    st->total = pipit__malloc(st->c.acc_doubles * sizeof(double));
    return st->total != NULL ? PIPIT_OK : PIPIT_ENOMEM;
}

/* The sums of one piece's valid samples; dim a constant where the
 * caller passes one. */
static inline __attribute__((always_inline)) double
msd_sums(const msd_run_t *r, reg_moving_batch_t *b, size_t nv, double *a,
         const unsigned dim)
{
    const reg_samples_t *s = r->s;
    double sum = 0.0;
    for (size_t j = 0; j < nv; j++) {
        size_t i = b->sample[j];
        double diff = b->value[j] - s->values[i];
        sum += diff * diff;
        if (r->deriv)
            pipit__reg_dmu_add_dim(b, r->L, j, s->points + i * dim,
                                   b->gradient + j * dim, diff, a + ACC_D,
                                   dim);
    }
    return sum;
}

static pipit_status_t
msd_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const msd_run_t *r = ctx;
    reg_moving_batch_t *b = &r->st->c.batches[worker];
    double *a = acc;
    size_t nv = pipit__reg_moving_evaluate(b, r->L, r->s, lo, hi, r->deriv);
    double sum = b->dim == 2   ? msd_sums(r, b, nv, a, 2)
                 : b->dim == 3 ? msd_sums(r, b, nv, a, 3)
                               : msd_sums(r, b, nv, a, b->dim);
    a[ACC_SUM] += sum;
    a[ACC_N] += (double)nv;
    return PIPIT_OK;
}

static pipit_status_t
msd_merge(void *ctx, const void *acc, size_t chunk)
{
    const msd_run_t *r = ctx;
    const double *a = acc;
    (void)chunk;
    size_t n = r->deriv ? r->st->c.acc_doubles : ACC_D;
    for (size_t k = 0; k < n; k++)
        r->total[k] += a[k];
    return PIPIT_OK;
}

static pipit_status_t
msd_evaluate(void *state, const reg_level_t *L, const reg_samples_t *s,
             double *value, double *deriv, size_t *n_valid)
{
    msd_t *st = state;
    pipit_status_t rc = pipit__reg_metric_hold(&st->c, L, s);
    if (rc != PIPIT_OK)
        return rc;
    double *tot = st->total;
    memset(tot, 0, st->c.acc_doubles * sizeof *tot);
    msd_run_t run = { st, L, s, deriv != NULL, tot };
    rc = pipit_reduction_run(st->c.red, s->n, REG_METRIC_BATCH, msd_piece,
                             msd_merge, &run);
    pipit_pool_release();
    if (rc != PIPIT_OK)
        return rc;
    size_t nv = (size_t)tot[ACC_N];
    *n_valid = nv;
    rc = pipit__reg_metric_check_valid(&st->c, nv, s->n);
    if (rc != PIPIT_OK)
        return rc;
    double scale = nv > 0 ? st->eta / (double)nv : 0.0;
    *value = tot[ACC_SUM] * scale;
    if (deriv != NULL)
        pipit__reg_dmu_finish(&st->c.map, tot + ACC_D, 2.0 * scale, deriv);
    return PIPIT_OK;
}

static void
msd_finalize(void *state)
{
    msd_t *st = state;
    pipit__reg_metric_common_free(&st->c);
    pipit__free(st->total);
    st->total = NULL;
}

const reg_metric_class_t pipit__reg_metric_mean_squares = {
    .name = "AdvancedMeanSquares",
    .state_size = sizeof(msd_t),
    .configure = msd_configure,
    .begin_level = msd_begin_level,
    .evaluate = msd_evaluate,
    .finalize = msd_finalize,
};

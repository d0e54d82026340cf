/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AdvancedNormalizedCorrelation (spec §7.6): with SubtractMean,
 * Sff = ΣF² − (ΣF)²/N, Smm = ΣM² − (ΣM)²/N, Sfm = ΣFM − ΣFΣM/N (without
 * it the plain sums of products); C = −Sfm / sqrt(Sff·Smm), 0 when N = 0
 * or the root is below 1e-14. The derivative follows from
 * ∂Smm = 2 Σ M ∂M − 2 ΣM Σ∂M / N and ∂Sfm = Σ F ∂M − ΣF Σ∂M / N:
 * ∂C = −∂Sfm / D + (Sfm / D) ∂Smm / (2 Smm), D = sqrt(Sff·Smm),
 * so a pass accumulates Σ∂M, ΣF∂M and ΣM∂M besides the five sums.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "metric_impl.h"

typedef struct {
    reg_metric_common_t c;
    bool subtract_mean;
    size_t n_params;
    double *total; /* merged accumulator */
    double *tmp;   /* 3 * n_params: the expanded vectors */
} ncc_t;

enum { ACC_F, ACC_M, ACC_FF, ACC_MM, ACC_FM, ACC_N, ACC_D };

typedef struct {
    ncc_t *st;
    const reg_level_t *L;
    const reg_samples_t *s;
    bool deriv;
} ncc_run_t;

static pipit_status_t
ncc_configure(void *state, const reg_map_t *m, unsigned level)
{
    ncc_t *st = state;
    pipit_status_t rc = pipit__reg_metric_common_configure(&st->c, m, level);
    if (rc != PIPIT_OK)
        return rc;
    unsigned first;
    unsigned end = pipit__reg_config_levels(m, level, &first);
    for (unsigned r = end; r-- > first;) {
        rc = pipit__reg_get_bool(m, "SubtractMean", r, true,
                                 &st->subtract_mean);
        if (rc != PIPIT_OK)
            return rc;
    }
    return PIPIT_OK;
}

static pipit_status_t
ncc_begin_level(void *state, const reg_level_t *L)
{
    ncc_t *st = state;
    st->n_params = L->n_params;
    pipit_status_t rc = pipit__reg_metric_common_begin(&st->c, L, ACC_D, 3);
    if (rc != PIPIT_OK)
        return rc;
    pipit__free(st->total);
    pipit__free(st->tmp);
    st->total = pipit__malloc(st->c.acc_doubles * sizeof(double));
    st->tmp = pipit__malloc((3 * L->n_params + 1) * sizeof(double));
    return st->total != NULL && st->tmp != NULL ? PIPIT_OK : PIPIT_ENOMEM;
}

static pipit_status_t
ncc_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const ncc_run_t *r = ctx;
    reg_moving_batch_t *b = &r->st->c.batches[worker];
    const reg_samples_t *s = r->s;
    const unsigned dim = b->dim;
    const size_t len = b->map->acc_len;
    double *a = acc;
    size_t nv = pipit__reg_moving_evaluate(b, r->L, s, lo, hi, r->deriv);
    double sf = 0, sm = 0, sff = 0, smm = 0, sfm = 0;
    for (size_t j = 0; j < nv; j++) {
        size_t i = b->sample[j];
        double f = s->values[i], m = b->value[j];
        sf += f;
        sm += m;
        sff += f * f;
        smm += m * m;
        sfm += f * m;
        if (r->deriv) {
            const double *x = s->points + i * dim;
            const double *g = b->gradient + j * dim;
            double *ad = a + ACC_D;
            if (b->map->linear || b->map->bspline) {
                /* One pass over the dim x (dim+1) block for all three
                 * (a B-spline: three over the stored support). */
                pipit__reg_dmu_add(b, r->L, j, x, g, 1.0, ad);
                pipit__reg_dmu_add(b, r->L, j, x, g, f, ad + len);
                pipit__reg_dmu_add(b, r->L, j, x, g, m, ad + 2 * len);
            } else {
                size_t *idx;
                double *val;
                size_t nz = pipit__reg_moving_dmu(b, r->L, j, x, g, &idx, &val);
                for (size_t k = 0; k < nz; k++) {
                    ad[idx[k]] += val[k];
                    ad[len + idx[k]] += f * val[k];
                    ad[2 * len + idx[k]] += m * val[k];
                }
            }
        }
    }
    a[ACC_F] += sf;
    a[ACC_M] += sm;
    a[ACC_FF] += sff;
    a[ACC_MM] += smm;
    a[ACC_FM] += sfm;
    a[ACC_N] += (double)nv;
    return PIPIT_OK;
}

static pipit_status_t
ncc_merge(void *ctx, const void *acc, size_t chunk)
{
    const ncc_run_t *r = ctx;
    const double *a = acc;
    (void)chunk;
    size_t n = r->deriv ? r->st->c.acc_doubles : ACC_D;
    for (size_t k = 0; k < n; k++)
        r->st->total[k] += a[k];
    return PIPIT_OK;
}

static pipit_status_t
ncc_evaluate(void *state, const reg_level_t *L, const reg_samples_t *s,
             double *value, double *deriv, size_t *n_valid)
{
    ncc_t *st = state;
    pipit_status_t rc = pipit__reg_metric_hold(&st->c, L, s);
    if (rc != PIPIT_OK)
        return rc;
    double *t = st->total;
    memset(t, 0, st->c.acc_doubles * sizeof *t);
    ncc_run_t run = { st, L, s, deriv != NULL };
    rc = pipit_reduction_run(st->c.red, s->n, REG_METRIC_BATCH, ncc_piece,
                             ncc_merge, &run);
    pipit_pool_release();
    if (rc != PIPIT_OK)
        return rc;
    size_t nv = (size_t)t[ACC_N];
    *n_valid = nv;
    rc = pipit__reg_metric_check_valid(&st->c, nv, s->n);
    if (rc != PIPIT_OK)
        return rc;
    const size_t n = st->n_params;
    *value = 0.0;
    if (deriv != NULL)
        memset(deriv, 0, n * sizeof *deriv);
    if (nv == 0)
        return PIPIT_OK;
    const double N = (double)nv;
    double sff = t[ACC_FF], smm = t[ACC_MM], sfm = t[ACC_FM];
    if (st->subtract_mean) {
        sff -= t[ACC_F] * t[ACC_F] / N;
        smm -= t[ACC_M] * t[ACC_M] / N;
        sfm -= t[ACC_F] * t[ACC_M] / N;
    }
    double D = sqrt(sff * smm);
    if (!(D >= 1e-14))
        return PIPIT_OK;
    *value = -sfm / D;
    if (deriv == NULL)
        return PIPIT_OK;
    const size_t len = st->c.map.acc_len;
    double *dm = st->tmp, *fdm = st->tmp + n, *mdm = st->tmp + 2 * n;
    pipit__reg_dmu_finish(&st->c.map, t + ACC_D, 1.0, dm);
    pipit__reg_dmu_finish(&st->c.map, t + ACC_D + len, 1.0, fdm);
    pipit__reg_dmu_finish(&st->c.map, t + ACC_D + 2 * len, 1.0, mdm);
    const double cf = st->subtract_mean ? t[ACC_F] / N : 0.0;
    const double cm = st->subtract_mean ? t[ACC_M] / N : 0.0;
    for (size_t k = 0; k < n; k++) {
        double dsfm = fdm[k] - cf * dm[k];
        double dsmm = 2.0 * (mdm[k] - cm * dm[k]);
        deriv[k] = -dsfm / D + (sfm / D) * dsmm / (2.0 * smm);
    }
    return PIPIT_OK;
}

static void
ncc_finalize(void *state)
{
    ncc_t *st = state;
    pipit__reg_metric_common_free(&st->c);
    pipit__free(st->total);
    pipit__free(st->tmp);
    st->total = st->tmp = NULL;
}

const reg_metric_class_t pipit__reg_metric_ncc = {
    .name = "AdvancedNormalizedCorrelation",
    .state_size = sizeof(ncc_t),
    .configure = ncc_configure,
    .begin_level = ncc_begin_level,
    .evaluate = ncc_evaluate,
    .finalize = ncc_finalize,
};

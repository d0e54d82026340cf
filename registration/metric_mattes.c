/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AdvancedMattesMutualInformation (spec §7.6): value −MI with
 * MI = Σ p log(p / (p_F p_M)) over the bins where p > 1e-16 and
 * p_F p_M > 1e-16 (natural log), on the Parzen joint histogram of
 * joint_histogram.c; ∂C/∂p = −log(p / (p_F p_M)) (the constant terms of
 * the full derivative cancel: every sample's kernel derivatives sum to 0).
 */
#include <math.h>

#include "histogram_impl.h"

static pipit_status_t
mattes_configure(void *st, const reg_map_t *m, unsigned level)
{
    return pipit__reg_histogram_configure(st, m, level);
}

static pipit_status_t
mattes_begin_level(void *st, const reg_level_t *L)
{
    return pipit__reg_histogram_begin(st, L);
}

static double
mattes_finish(const reg_histogram_t *h, double *weights)
{
    const size_t bf = h->F.bins, bm = h->M.bins;
    const double *p = h->joint + 1;
    double mi = 0.0;
    for (size_t m = 0; m < bm; m++)
        for (size_t f = 0; f < bf; f++) {
            double v = p[m * bf + f], q = h->pf[f] * h->pm[m];
            double w = 0.0;
            if (v > 1e-16 && q > 1e-16) {
                double l = log(v / q);
                mi += v * l;
                w = -l;
            }
            if (weights != NULL)
                weights[m * bf + f] = w;
        }
    return -mi;
}

static pipit_status_t
mattes_evaluate(void *st, const reg_level_t *L, const reg_samples_t *s,
                double *value, double *deriv, size_t *n_valid)
{
    return pipit__reg_histogram_evaluate(st, L, s, mattes_finish, value,
                                         deriv, n_valid);
}

static void
mattes_finalize(void *st)
{
    pipit__reg_histogram_free(st);
}

const reg_metric_class_t pipit__reg_metric_mattes = {
    .name = "AdvancedMattesMutualInformation",
    .state_size = sizeof(reg_histogram_t),
    .configure = mattes_configure,
    .begin_level = mattes_begin_level,
    .evaluate = mattes_evaluate,
    .finalize = mattes_finalize,
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NormalizedMutualInformation (spec §7.6): C = −(H_F + H_M) / H_FM with
 * H = −Σ p log p (bins with p > 1e-16), on the same Parzen histogram as
 * Mattes (joint_histogram.c). With Σ ∂p = 0, ∂H_M = −Σ ∂p log p_M and
 * ∂H_FM = −Σ ∂p log p, so
 * ∂C/∂p = −((H_F + H_M) log p − H_FM log p_M) / H_FM².
 */
#include <math.h>

#include "histogram_impl.h"

static pipit_status_t
nmi_configure(void *st, const reg_map_t *m, unsigned level)
{
    return pipit__reg_histogram_configure(st, m, level);
}

static pipit_status_t
nmi_begin_level(void *st, const reg_level_t *L)
{
    return pipit__reg_histogram_begin(st, L);
}

static double
entropy(const double *p, size_t n)
{
    double h = 0.0;
    for (size_t k = 0; k < n; k++)
        if (p[k] > 1e-16)
            h -= p[k] * log(p[k]);
    return h;
}

static double
nmi_finish(const reg_histogram_t *h, double *weights)
{
    const size_t bf = h->F.bins, bm = h->M.bins;
    const double *p = h->joint + 1;
    double hf = entropy(h->pf, bf), hm = entropy(h->pm, bm);
    double hfm = entropy(p, bf * bm);
    if (!(hfm > 0.0)) {
        /* One bin holds everything: no information either way. */
        if (weights != NULL)
            for (size_t k = 0; k < bf * bm; k++)
                weights[k] = 0.0;
        return 0.0;
    }
    if (weights != NULL) {
        const double inv2 = 1.0 / (hfm * hfm);
        for (size_t m = 0; m < bm; m++) {
            double lm = h->pm[m] > 1e-16 ? log(h->pm[m]) : 0.0;
            for (size_t f = 0; f < bf; f++) {
                double v = p[m * bf + f];
                weights[m * bf + f] =
                    v > 1e-16 ? -((hf + hm) * log(v) - hfm * lm) * inv2 : 0.0;
            }
        }
    }
    return -(hf + hm) / hfm;
}

static pipit_status_t
nmi_evaluate(void *st, const reg_level_t *L, const reg_samples_t *s,
             double *value, double *deriv, size_t *n_valid)
{
    return pipit__reg_histogram_evaluate(st, L, s, nmi_finish, value, deriv,
                                         n_valid);
}

static void
nmi_finalize(void *st)
{
    pipit__reg_histogram_free(st);
}

const reg_metric_class_t pipit__reg_metric_nmi = {
    .name = "NormalizedMutualInformation",
    .state_size = sizeof(reg_histogram_t),
    .configure = nmi_configure,
    .begin_level = nmi_begin_level,
    .evaluate = nmi_evaluate,
    .finalize = nmi_finalize,
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Parzen-window joint histogram behind AdvancedMattesMutualInformation
 * and NormalizedMutualInformation (spec §7.6, joint_histogram.c).
 *
 * An evaluation runs two passes over the samples on the pool. The first
 * builds the joint histogram h[m][f] (per-chunk copies merged in chunk
 * order) and keeps, per valid sample, its Parzen terms and its limited
 * moving gradient. The metric then turns p = h / N into its value and,
 * for the derivative, into a weight per bin W(m, f) = ∂C/∂p(m, f). The
 * second pass adds −1/(N w_M) Σ_f,m β_F(f) β'_M(m) W(m, f) ∂M/∂μ per
 * sample into accumulators of the derivative's size, not bins × params.
 */
#ifndef PIPIT_REG_HISTOGRAM_IMPL_H
#define PIPIT_REG_HISTOGRAM_IMPL_H

#include <math.h>

#include "metric_impl.h"

/* One axis of the histogram. */
typedef struct reg_parzen_axis {
    int order;          /* kernel B-spline order 0..3 */
    size_t bins;
    double ratio;       /* *LimitRangeRatio */
    double vmin, vmax;  /* the level image's extrema (inside its mask) */
    double lo, hi;      /* the limits */
    double w, z0;       /* bin width, normalised minimum */
} reg_parzen_axis_t;

typedef struct reg_histogram reg_histogram_t;

/* Turns h->joint (p, summing to 1 over the bins) and the marginals into
 * the metric's value and, when weights is not NULL, ∂C/∂p per bin. */
typedef double (*reg_histogram_finish_fn)(const reg_histogram_t *h,
                                          double *weights);

struct reg_histogram {
    reg_metric_common_t c;
    reg_parzen_axis_t F, M;
    pipit_reduction_t *red_hist; /* 1 + bins_m * bins_f per chunk */
    double *joint;   /* bins_m * bins_f, p[m * bins_f + f] */
    double *pf, *pm; /* marginals */
    double *weight;  /* bins_m * bins_f */
    double *total;   /* merged pass-2 accumulator (c.acc_doubles) */
    size_t n_hist;   /* 1 + bins: doubles of one pass-1 accumulator */
    /* Per sample, from pass 1 to pass 2. */
    size_t cap;
    unsigned char *ok;
    double *xi_f, *xi_m;
    double *grad; /* dim per sample: index gradient × limiter slope */
};

/** Reads the histogram keys (bins, kernel orders, limit range ratios)
 * and the common ones; errors name file, line, key and value. */
pipit_status_t pipit__reg_histogram_configure(reg_histogram_t *h,
                                              const reg_map_t *m,
                                              unsigned level);
/** Limits from the level images, bin geometry, workspaces. */
pipit_status_t pipit__reg_histogram_begin(reg_histogram_t *h,
                                          const reg_level_t *L);
pipit_status_t pipit__reg_histogram_evaluate(reg_histogram_t *h,
                                             const reg_level_t *L,
                                             const reg_samples_t *s,
                                             reg_histogram_finish_fn finish,
                                             double *value, double *deriv,
                                             size_t *n_valid);
void pipit__reg_histogram_free(reg_histogram_t *h);

/* B-spline kernels of order 0..3 and the derivative of order 1..3
 * (inline: they run a few times per sample). */
static inline double
pipit__reg_bspline_kernel(int order, double u)
{
    double a = fabs(u);
    switch (order) {
    case 0:
        return a < 0.5 ? 1.0 : a == 0.5 ? 0.5 : 0.0;
    case 1:
        return a < 1.0 ? 1.0 - a : 0.0;
    case 2:
        if (a < 0.5)
            return 0.75 - a * a;
        if (a < 1.5)
            return 0.5 * (1.5 - a) * (1.5 - a);
        return 0.0;
    default:
        if (a < 1.0)
            return (4.0 - 6.0 * a * a + 3.0 * a * a * a) / 6.0;
        if (a < 2.0)
            return (2.0 - a) * (2.0 - a) * (2.0 - a) / 6.0;
        return 0.0;
    }
}

static inline double
pipit__reg_bspline_kernel_deriv(int order, double u)
{
    /* Order 0 has none: elastix takes order 1's. */
    if (order < 1)
        order = 1;
    return pipit__reg_bspline_kernel(order - 1, u + 0.5) -
           pipit__reg_bspline_kernel(order - 1, u - 0.5);
}


#endif

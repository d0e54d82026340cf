/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Parzen-window joint histogram (histogram_impl.h, spec §7.6 steps
 * 1-4 and 6): limits, soft limiting of moving values, bin geometry with
 * elastix 5.0.1's epsilon, B-spline kernels, and the two passes.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "histogram_impl.h"

/* Chunks of the histogram pass: a few, since each carries the whole
 * histogram (fixed, so the sums never depend on the thread count). */
#define HIST_CHUNKS 16

/* ---- Configuration ------------------------------------------------------ */

pipit_status_t
pipit__reg_histogram_configure(reg_histogram_t *h, const reg_map_t *m,
                               unsigned level)
{
    pipit_status_t rc = pipit__reg_metric_common_configure(&h->c, m, level);
    if (rc != PIPIT_OK)
        return rc;
    unsigned first;
    unsigned end = pipit__reg_config_levels(m, level, &first);
    for (unsigned r = end; r-- > first;) {
        int64_t bins, bf, bm, of, om;
        double rf, rm;
        rc = pipit__reg_get_int_in(m, "NumberOfHistogramBins", r, 32, 4,
                                   1 << 16, &bins);
        if (rc == PIPIT_OK)
            rc = pipit__reg_get_int_in(m, "NumberOfFixedHistogramBins", r,
                                       bins, 4, 1 << 16, &bf);
        if (rc == PIPIT_OK)
            rc = pipit__reg_get_int_in(m, "NumberOfMovingHistogramBins", r,
                                       bins, 4, 1 << 16, &bm);
        if (rc == PIPIT_OK)
            rc = pipit__reg_get_int_in(m, "FixedKernelBSplineOrder", r, 0, 0,
                                       3, &of);
        if (rc == PIPIT_OK)
            rc = pipit__reg_get_int_in(m, "MovingKernelBSplineOrder", r, 3, 0,
                                       3, &om);
        if (rc == PIPIT_OK)
            rc = pipit__reg_get_double(m, "FixedLimitRangeRatio", r, 0.01,
                                       &rf);
        if (rc == PIPIT_OK)
            rc = pipit__reg_get_double(m, "MovingLimitRangeRatio", r, 0.01,
                                       &rm);
        if (rc != PIPIT_OK)
            return rc;
        if (rf < 0.0)
            return pipit__reg_key_error(m, "FixedLimitRangeRatio", r,
                                        PIPIT_EINVAL, "must not be negative");
        if (rm < 0.0)
            return pipit__reg_key_error(m, "MovingLimitRangeRatio", r,
                                        PIPIT_EINVAL, "must not be negative");
        /* The bins must leave room for the padding and one more. */
        if (bf < 2 * (of / 2) + 2)
            return pipit__reg_key_error(m, "NumberOfFixedHistogramBins", r,
                                        PIPIT_EINVAL,
                                        "too few bins for the kernel");
        h->F = (reg_parzen_axis_t){ .order = (int)of, .bins = (size_t)bf,
                                    .ratio = rf };
        h->M = (reg_parzen_axis_t){ .order = (int)om, .bins = (size_t)bm,
                                    .ratio = rm };
    }
    return PIPIT_OK;
}

/* Limits and bin geometry of one axis; `width_f` is the fixed axis's
 * B_F − 2π − 1 with this axis's π, elastix 5.0.1's epsilon divisor. */
static void
axis_setup(reg_parzen_axis_t *a, double vmin, double vmax, size_t bins_f)
{
    const double pad = (double)(a->order / 2);
    a->vmin = vmin;
    a->vmax = vmax;
    a->lo = vmin - a->ratio * (vmax - vmin);
    a->hi = vmax + a->ratio * (vmax - vmin);
    const double eps = 0.001 * (a->hi - a->lo) / ((double)bins_f - 2 * pad - 1);
    double w = (a->hi - a->lo + 2 * eps) / ((double)a->bins - 2 * pad - 1);
    if (w < 1e-10)
        w = 1e-10;
    if (w > 1e10)
        w = 1e10;
    a->w = w;
    a->z0 = (a->lo - eps) / w - pad;
}

pipit_status_t
pipit__reg_histogram_begin(reg_histogram_t *h, const reg_level_t *L)
{
    double fmin, fmax, mmin, mmax;
    pipit_status_t rc =
        pipit__reg_image_extrema(L->fixed, L->fixed_mask, &fmin, &fmax);
    if (rc == PIPIT_OK)
        rc = pipit__reg_image_extrema(L->moving, L->moving_mask, &mmin,
                                      &mmax);
    if (rc != PIPIT_OK)
        return rc;
    axis_setup(&h->F, fmin, fmax, h->F.bins);
    axis_setup(&h->M, mmin, mmax, h->F.bins);
    rc = pipit__reg_metric_common_begin(&h->c, L, 0, 1);
    if (rc != PIPIT_OK)
        return rc;
    const size_t nb = h->F.bins * h->M.bins;
    h->n_hist = 1 + nb;
    pipit_reduction_unref(h->red_hist);
    pipit__free(h->joint);
    pipit__free(h->pf);
    pipit__free(h->pm);
    pipit__free(h->weight);
    pipit__free(h->total);
    h->red_hist = pipit_reduction_new(h->n_hist * sizeof(double), HIST_CHUNKS);
    h->joint = pipit__malloc(h->n_hist * sizeof(double));
    h->pf = pipit__malloc(h->F.bins * sizeof(double));
    h->pm = pipit__malloc(h->M.bins * sizeof(double));
    h->weight = pipit__malloc(nb * sizeof(double));
    h->total = pipit__malloc((h->c.acc_doubles + 1) * sizeof(double));
    if (h->red_hist == NULL || h->joint == NULL || h->pf == NULL ||
        h->pm == NULL || h->weight == NULL || h->total == NULL)
        return PIPIT_ENOMEM;
    return PIPIT_OK;
}

/* Room for n samples' pass-1 results (grown, never shrunk). */
static pipit_status_t
reserve_samples(reg_histogram_t *h, size_t n, unsigned dim)
{
    if (n <= h->cap)
        return PIPIT_OK;
    pipit__free(h->ok);
    pipit__free(h->xi_f);
    pipit__free(h->xi_m);
    pipit__free(h->grad);
    h->cap = 0;
    h->ok = pipit__malloc(n);
    h->xi_f = pipit__malloc(n * sizeof(double));
    h->xi_m = pipit__malloc(n * sizeof(double));
    h->grad = pipit__malloc(n * dim * sizeof(double));
    if (h->ok == NULL || h->xi_f == NULL || h->xi_m == NULL ||
        h->grad == NULL)
        return PIPIT_ENOMEM;
    h->cap = n;
    return PIPIT_OK;
}

/* ---- The passes --------------------------------------------------------- */

typedef struct {
    reg_histogram_t *h;
    const reg_level_t *L;
    const reg_samples_t *s;
    bool deriv;
} hist_run_t;

/* Moving values beyond the image's extremes approach the limits
 * smoothly; *slope is dv'/dv. */
static inline double
soft_limit(const reg_parzen_axis_t *a, double v, double *slope)
{
    *slope = 1.0;
    if (v > a->vmax) {
        double d = a->vmax - a->hi;
        if (!(d < 0.0)) {
            *slope = 0.0;
            return a->hi;
        }
        double e = exp((v - a->vmax) / d);
        *slope = e;
        return a->hi + d * e;
    }
    if (v < a->vmin) {
        double d = a->vmin - a->lo;
        if (!(d > 0.0)) {
            *slope = 0.0;
            return a->lo;
        }
        double e = exp((v - a->vmin) / d);
        *slope = e;
        return a->lo + d * e;
    }
    return v;
}

/* The lowest bin a value of Parzen term xi touches, kept inside:
 * floor(xi + 0.5 − order/2) cut to [0, bins − order − 1], NaN to 0;
 * without libm's floor, a call at -O2. */
static inline ptrdiff_t
lowest_bin(const reg_parzen_axis_t *a, double xi, int order)
{
    double y = xi + 0.5 - 0.5 * order;
    double top = (double)a->bins - order - 1;
    if (!(y >= 0.0))
        return 0;
    if (y >= top)
        return (ptrdiff_t)top;
    return (ptrdiff_t)y; /* truncation is floor for y >= 0 */
}

/* The order + 1 kernel weights β(k + t − xi), t = 0..order. Order 3 in
 * closed form in the fraction f = xi − (k + 1) when the support is
 * whole (0 <= f < 1, every sample not pushed into an edge bin), else
 * the generic kernel; `order` is a constant where this is inlined. */
static inline __attribute__((always_inline)) void
parzen_weights(int order, ptrdiff_t k, double xi, double *w)
{
    if (order == 3) {
        double f = xi - (double)(k + 1);
        if (f >= 0.0 && f < 1.0) {
            double g = 1.0 - f, f2 = f * f, g2 = g * g;
            w[0] = g2 * g * (1.0 / 6.0);
            w[1] = 2.0 / 3.0 - f2 + 0.5 * f2 * f;
            w[2] = 2.0 / 3.0 - g2 + 0.5 * g2 * g;
            w[3] = f2 * f * (1.0 / 6.0);
            return;
        }
    }
    for (int t = 0; t <= order; t++)
        w[t] = pipit__reg_bspline_kernel(order, (double)(k + t) - xi);
}

/* The derivative weights β'(k + t − xi), as parzen_weights. */
static inline __attribute__((always_inline)) void
parzen_derivs(int order, ptrdiff_t k, double xi, double *w)
{
    if (order == 3) {
        double f = xi - (double)(k + 1);
        if (f >= 0.0 && f < 1.0) {
            double g = 1.0 - f;
            w[0] = 0.5 * g * g;
            w[1] = f * (2.0 - 1.5 * f);
            w[2] = -g * (2.0 - 1.5 * g);
            w[3] = -0.5 * f * f;
            return;
        }
    }
    for (int t = 0; t <= order; t++)
        w[t] = pipit__reg_bspline_kernel_deriv(order, (double)(k + t) - xi);
}

/* Pass 1 with the kernel orders as parameters: constants (the default
 * fixed 0, moving 3) where the caller passes constants. */
static inline __attribute__((always_inline)) void
hist_samples(const hist_run_t *r, reg_moving_batch_t *b, size_t nv,
             double *hist, const int of, const int om)
{
    reg_histogram_t *h = r->h;
    const reg_samples_t *s = r->s;
    const unsigned dim = b->dim;
    const reg_parzen_axis_t *F = &h->F, *M = &h->M;
    const size_t bf = F->bins;
    for (size_t j = 0; j < nv; j++) {
        size_t i = b->sample[j];
        double f = s->values[i];
        f = f < F->lo ? F->lo : f > F->hi ? F->hi : f;
        double slope;
        double m = soft_limit(M, b->value[j], &slope);
        double xf = f / F->w - F->z0, xm = m / M->w - M->z0;
        ptrdiff_t kf = lowest_bin(F, xf, of);
        ptrdiff_t km = lowest_bin(M, xm, om);
        double wf[4], wm[4];
        parzen_weights(of, kf, xf, wf);
        parzen_weights(om, km, xm, wm);
        for (int u = 0; u <= om; u++) {
            double *row = hist + (size_t)(km + u) * bf + (size_t)kf;
            for (int t = 0; t <= of; t++)
                row[t] += wm[u] * wf[t];
        }
        if (r->deriv) {
            h->ok[i] = 1;
            h->xi_f[i] = xf;
            h->xi_m[i] = xm;
            for (unsigned d = 0; d < dim; d++)
                h->grad[i * dim + d] = slope * b->gradient[j * dim + d];
        }
    }
}

static pipit_status_t
hist_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const hist_run_t *r = ctx;
    reg_histogram_t *h = r->h;
    reg_moving_batch_t *b = &h->c.batches[worker];
    double *a = acc;
    size_t nv = pipit__reg_moving_evaluate(b, r->L, r->s, lo, hi, r->deriv);
    if (r->deriv)
        memset(h->ok + lo, 0, hi - lo);
    if (h->F.order == 0 && h->M.order == 3)
        hist_samples(r, b, nv, a + 1, 0, 3);
    else
        hist_samples(r, b, nv, a + 1, h->F.order, h->M.order);
    a[0] += (double)nv;
    return PIPIT_OK;
}

static pipit_status_t
hist_merge(void *ctx, const void *acc, size_t chunk)
{
    const hist_run_t *r = ctx;
    const double *a = acc;
    (void)chunk;
    for (size_t k = 0; k < r->h->n_hist; k++)
        r->h->joint[k] += a[k];
    return PIPIT_OK;
}

/* Pass 2 with the kernel orders as parameters, as hist_samples. */
static inline __attribute__((always_inline)) void
deriv_samples(const hist_run_t *r, reg_moving_batch_t *b, size_t lo,
              size_t hi, double *acc, const int of, const int om,
              const unsigned dim)
{
    reg_histogram_t *h = r->h;
    const reg_samples_t *s = r->s;
    const reg_parzen_axis_t *F = &h->F, *M = &h->M;
    const size_t bf = F->bins;
    for (size_t i = lo; i < hi; i++) {
        if (!h->ok[i])
            continue;
        double xf = h->xi_f[i], xm = h->xi_m[i];
        ptrdiff_t kf = lowest_bin(F, xf, of);
        ptrdiff_t km = lowest_bin(M, xm, om);
        double wf[4], dm[4];
        parzen_weights(of, kf, xf, wf);
        parzen_derivs(om, km, xm, dm);
        double c = 0.0;
        for (int u = 0; u <= om; u++) {
            const double *row = h->weight + (size_t)(km + u) * bf + (size_t)kf;
            double sum = 0.0;
            for (int t = 0; t <= of; t++)
                sum += wf[t] * row[t];
            c += dm[u] * sum;
        }
        if (c != 0.0)
            pipit__reg_dmu_add_dim(b, r->L, REG_NO_ENTRY,
                                   s->points + i * dim,
                                   h->grad + i * dim, c, acc, dim);
    }
}

static pipit_status_t
deriv_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const hist_run_t *r = ctx;
    reg_histogram_t *h = r->h;
    reg_moving_batch_t *b = &h->c.batches[worker];
    if (h->F.order == 0 && h->M.order == 3 && b->dim == 2)
        deriv_samples(r, b, lo, hi, acc, 0, 3, 2);
    else if (h->F.order == 0 && h->M.order == 3 && b->dim == 3)
        deriv_samples(r, b, lo, hi, acc, 0, 3, 3);
    else
        deriv_samples(r, b, lo, hi, acc, h->F.order, h->M.order, b->dim);
    return PIPIT_OK;
}

static pipit_status_t
deriv_merge(void *ctx, const void *acc, size_t chunk)
{
    const hist_run_t *r = ctx;
    const double *a = acc;
    (void)chunk;
    for (size_t k = 0; k < r->h->c.acc_doubles; k++)
        r->h->total[k] += a[k];
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_histogram_evaluate(reg_histogram_t *h, const reg_level_t *L,
                              const reg_samples_t *s,
                              reg_histogram_finish_fn finish, double *value,
                              double *deriv, size_t *n_valid)
{
    if (deriv != NULL) {
        pipit_status_t rc = reserve_samples(h, s->n, L->dim);
        if (rc != PIPIT_OK)
            return rc;
    }
    pipit_status_t rc = pipit__reg_metric_hold(&h->c, L, s);
    if (rc != PIPIT_OK)
        return rc;
    hist_run_t run = { h, L, s, deriv != NULL };
    memset(h->joint, 0, h->n_hist * sizeof *h->joint);
    rc = pipit_reduction_run(h->red_hist, s->n, REG_METRIC_BATCH, hist_piece,
                             hist_merge, &run);
    if (rc != PIPIT_OK) {
        pipit_pool_release();
        return rc;
    }
    const size_t nv = (size_t)h->joint[0];
    *n_valid = nv;
    rc = pipit__reg_metric_check_valid(&h->c, nv, s->n);
    const size_t n = L->n_params;
    *value = 0.0;
    if (deriv != NULL)
        memset(deriv, 0, n * sizeof *deriv);
    if (rc != PIPIT_OK || nv == 0) {
        pipit_pool_release();
        return rc;
    }
    /* p = h / N, its marginals. */
    const size_t bf = h->F.bins, bm = h->M.bins;
    double *p = h->joint + 1;
    const double inv = 1.0 / (double)nv;
    memset(h->pf, 0, bf * sizeof *h->pf);
    for (size_t m = 0; m < bm; m++) {
        double sum = 0.0;
        for (size_t f = 0; f < bf; f++) {
            double v = p[m * bf + f] * inv;
            p[m * bf + f] = v;
            sum += v;
            h->pf[f] += v;
        }
        h->pm[m] = sum;
    }
    /* finish reads the normalised p through joint + 1. */
    *value = finish(h, deriv != NULL ? h->weight : NULL);
    if (deriv != NULL) {
        memset(h->total, 0, h->c.acc_doubles * sizeof *h->total);
        rc = pipit_reduction_run(h->c.red, s->n, REG_METRIC_BATCH,
                                 deriv_piece, deriv_merge, &run);
        if (rc == PIPIT_OK)
            pipit__reg_dmu_finish(&h->c.map, h->total,
                                  -inv / h->M.w, deriv);
    }
    pipit_pool_release();
    return rc;
}

void
pipit__reg_histogram_free(reg_histogram_t *h)
{
    pipit__reg_metric_common_free(&h->c);
    pipit_reduction_unref(h->red_hist);
    pipit__free(h->joint);
    pipit__free(h->pf);
    pipit__free(h->pm);
    pipit__free(h->weight);
    pipit__free(h->total);
    pipit__free(h->ok);
    pipit__free(h->xi_f);
    pipit__free(h->xi_m);
    pipit__free(h->grad);
    h->red_hist = NULL;
    h->joint = h->pf = h->pm = h->weight = h->total = NULL;
    h->ok = NULL;
    h->xi_f = h->xi_m = h->grad = NULL;
    h->cap = 0;
}

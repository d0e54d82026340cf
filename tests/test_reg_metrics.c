/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration metrics (registration/metric_*.c) on levels built by
 * hand: values against direct formulas written out here, derivatives
 * against central finite differences of the value, bit-identical results
 * at 1 and 3 threads, the too-many-outside error and malformed keys.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

#include "reg_impl.h"

/* ---- A level built by hand ---------------------------------------------- */

typedef struct {
    pipit_params_t *params;
    reg_map_t map;
    pipit_image_t *fixed, *moving;
    pipit_interpolator_t *interp;
    pipit_transform_t *t;
    reg_level_t L;
    reg_samples_t s;
    reg_rng_t rng;
    const reg_metric_class_t *mc;
    void *st;
} fx_t;

/* A smooth pattern in physical coordinates, shifted by sh. */
static double
pattern(unsigned dim, const double *p, const double *sh)
{
    double x = p[0] - sh[0], y = p[1] - sh[1];
    double z = dim > 2 ? p[2] - sh[2] : 0.0;
    return 100.0 + 50.0 * sin(0.25 * x) * cos(0.2 * y) * cos(0.15 * z) +
           30.0 * exp(-((x - 15) * (x - 15) + (y - 18) * (y - 18) +
                        (z - 6) * (z - 6)) /
                      60.0);
}

static pipit_image_t *
make_image(unsigned dim, const double *shift, double gain)
{
    size_t size[3] = { 40, 36, 14 };
    double spacing[3] = { 1.1, 0.9, 1.3 };
    double origin[3] = { -3.0, 5.0, -2.0 };
    pipit_image_t *img = pipit_image_new(dim, size, PIPIT_F32, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    ASSERT_OK(pipit_image_set_spacing(img, spacing));
    ASSERT_OK(pipit_image_set_origin(img, origin));
    float *px = pipit_image_data_writable(img);
    size_t nz = dim > 2 ? size[2] : 1, k = 0;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < size[1]; y++)
            for (size_t x = 0; x < size[0]; x++) {
                double idx[3] = { (double)x, (double)y, (double)z }, p[3];
                pipit_image_index_to_point(img, idx, p);
                px[k++] = (float)(gain * pattern(dim, p, shift));
            }
    return img;
}

/* kind: "translation" or "affine"; interp an elastix name. */
static void
fx_init(fx_t *f, unsigned dim, const char *interp, unsigned order,
        const char *kind, const char *params, size_t n_samples,
        double moving_gain)
{
    memset(f, 0, sizeof *f);
    ASSERT_OK(pipit_params_parse(params, strlen(params), "metric.txt",
                                 &f->params));
    f->map = (reg_map_t){ .params = f->params, .file = "metric.txt",
                          .dim = dim, .n_levels = 1 };
    double zero[3] = { 0, 0, 0 }, sh[3] = { 1.7, -1.2, 0.8 };
    f->fixed = make_image(dim, zero, 1.0);
    f->moving = make_image(dim, sh, moving_gain);
    f->interp = pipit_interpolator_new_by_name(f->moving, interp, order);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->interp);
    if (strcmp(kind, "translation") == 0) {
        f->t = pipit_translation_transform_new(dim);
    } else {
        double c[3] = { 18.0, 20.0, 6.0 };
        f->t = pipit_affine_transform_new(dim, c);
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->t);
    pipit__reg_rng_seed(&f->rng, 121212);
    f->L = (reg_level_t){ .map = &f->map,
                          .level = 0,
                          .dim = dim,
                          .fixed = f->fixed,
                          .moving = f->moving,
                          .fixed_full = f->fixed,
                          .moving_full = f->moving,
                          .interp = f->interp,
                          .transform = f->t,
                          .optimized = f->t,
                          .n_params = pipit_transform_n_parameters(f->t),
                          .rng = &f->rng };
    /* Samples at random points well inside the fixed image, with the
     * fixed pattern's exact value there. */
    ASSERT_OK(pipit__reg_samples_reserve(&f->s, dim, n_samples));
    f->s.n = n_samples;
    const size_t *size = pipit_image_size(f->fixed);
    for (size_t i = 0; i < n_samples; i++) {
        double c[3], *p = f->s.points + i * dim;
        for (unsigned d = 0; d < dim; d++)
            c[d] = 3.0 + pipit__reg_rng_uniform(&f->rng) *
                             ((double)size[d] - 7.0);
        pipit_image_index_to_point(f->fixed, c, p);
        f->s.values[i] = pattern(dim, p, zero);
    }
}

static pipit_status_t
fx_metric(fx_t *f, const reg_metric_class_t *mc)
{
    f->mc = mc;
    f->st = calloc(1, mc->state_size);
    pipit_status_t st = mc->configure(f->st, &f->map, 0);
    if (st == PIPIT_OK)
        st = mc->begin_level(f->st, &f->L);
    return st;
}

static pipit_status_t
fx_eval(fx_t *f, double *value, double *deriv, size_t *nv)
{
    size_t n;
    return f->mc->evaluate(f->st, &f->L, &f->s, value, deriv,
                           nv != NULL ? nv : &n);
}

static void
fx_set(fx_t *f, const double *mu)
{
    ASSERT_OK(pipit_transform_set_parameters(f->t, mu, f->L.n_params));
}

static void
fx_free(fx_t *f)
{
    if (f->st != NULL) {
        f->mc->finalize(f->st);
        free(f->st);
    }
    pipit__reg_samples_free(&f->s);
    pipit_transform_unref(f->t);
    pipit_interpolator_unref(f->interp);
    pipit_image_unref(f->fixed);
    pipit_image_unref(f->moving);
    pipit_params_unref(f->params);
}

/* Starting parameters away from the identity: a translation (0.6, -0.4,
 * 0.3), or an affine matrix with some shear plus that translation. */
static void
start_mu(const fx_t *f, double *mu)
{
    unsigned dim = f->L.dim;
    const double t[3] = { 0.6, -0.4, 0.3 };
    if (f->L.n_params == dim) {
        memcpy(mu, t, dim * sizeof *mu);
        return;
    }
    for (unsigned r = 0; r < dim; r++)
        for (unsigned c = 0; c < dim; c++)
            mu[r * dim + c] = (r == c ? 1.02 : 0.0) + 0.03 * (r + 1.0) *
                              (c == (r + 1) % dim ? 1.0 : 0.0);
    memcpy(mu + dim * dim, t, dim * sizeof *mu);
}

/* Central differences of the value against the analytic derivative:
 * ||fd - an|| / ||an||. */
static double
fd_error(fx_t *f, const double *mu0, double h_t, double h_m)
{
    size_t n = f->L.n_params;
    unsigned dim = f->L.dim;
    double an[16], fd[16], mu[16], v;
    fx_set(f, mu0);
    ASSERT_OK(fx_eval(f, &v, an, NULL));
    for (size_t k = 0; k < n; k++) {
        double h = (n > dim && k < (size_t)dim * dim) ? h_m : h_t;
        double vp, vm;
        memcpy(mu, mu0, n * sizeof *mu);
        mu[k] += h;
        fx_set(f, mu);
        ASSERT_OK(fx_eval(f, &vp, NULL, NULL));
        mu[k] = mu0[k] - h;
        fx_set(f, mu);
        ASSERT_OK(fx_eval(f, &vm, NULL, NULL));
        fd[k] = (vp - vm) / (2 * h);
    }
    fx_set(f, mu0);
    double e = 0, a = 0;
    for (size_t k = 0; k < n; k++) {
        e += (fd[k] - an[k]) * (fd[k] - an[k]);
        a += an[k] * an[k];
    }
    return sqrt(e / a);
}

/* The moving value at T(x) the slow way: transform point by point,
 * inside test written out (spec §4), single-point interpolation. */
static bool
moving_at(const fx_t *f, const double *x, double *m)
{
    unsigned dim = f->L.dim;
    double y[3], c[3];
    pipit_transform_point(f->t, x, y);
    pipit_image_point_to_index(f->moving, y, c);
    const size_t *size = pipit_image_size(f->moving);
    for (unsigned d = 0; d < dim; d++)
        if (!(c[d] >= -0.5 && c[d] < (double)size[d] - 0.5))
            return false;
    CU_ASSERT_TRUE(pipit_interpolator_evaluate(f->interp, c, m, NULL));
    return true;
}

/* Runs the metric at 1 and at 3 threads: the same bits. */
static void
check_threads(fx_t *f)
{
    double v1, v3, d1[16], d3[16];
    size_t n1, n3;
    ASSERT_OK(pipit_pool_set_threads(1));
    ASSERT_OK(fx_eval(f, &v1, d1, &n1));
    ASSERT_OK(pipit_pool_set_threads(3));
    ASSERT_OK(fx_eval(f, &v3, d3, &n3));
    ASSERT_OK(pipit_pool_set_threads(0));
    CU_ASSERT_EQUAL(n1, n3);
    CU_ASSERT_EQUAL(memcmp(&v1, &v3, sizeof v1), 0);
    CU_ASSERT_EQUAL(memcmp(d1, d3, f->L.n_params * sizeof *d1), 0);
}

/* The (F, M) pairs of the valid samples, the slow way; returns N. */
static size_t
pairs(const fx_t *f, double *F, double *M)
{
    size_t n = 0;
    for (size_t i = 0; i < f->s.n; i++) {
        double m;
        if (!moving_at(f, f->s.points + i * f->L.dim, &m))
            continue;
        F[n] = f->s.values[i];
        M[n++] = m;
    }
    return n;
}

static void
image_range(const pipit_image_t *img, double *lo, double *hi)
{
    const float *a = pipit_image_data(img);
    const size_t *size = pipit_image_size(img);
    size_t np = size[0] * size[1] * (pipit_image_dim(img) > 2 ? size[2] : 1);
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t k = 0; k < np; k++) {
        *lo = *lo < a[k] ? *lo : a[k];
        *hi = *hi > a[k] ? *hi : a[k];
    }
}

/* (η/N) Σ (M − F)². */
static double
ref_msd(const fx_t *f, const double *F, const double *M, size_t n,
        const char *params)
{
    double eta = 1.0;
    if (strstr(params, "UseNormalization \"true\"") != NULL) {
        double fmin, fmax, mmin, mmax;
        image_range(f->fixed, &fmin, &fmax);
        image_range(f->moving, &mmin, &mmax);
        double d = fmax - mmin > mmax - fmin ? fmax - mmin : mmax - fmin;
        eta = 100.0 / (d * d);
    }
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (M[i] - F[i]) * (M[i] - F[i]);
    return eta * sum / (double)n;
}

/* −Sfm / sqrt(Sff Smm), around the means unless SubtractMean false:
 * written with the means subtracted first (another rounding path). */
static double
ref_ncc(const fx_t *f, const double *F, const double *M, size_t n,
        const char *params)
{
    (void)f;
    bool sub = strstr(params, "SubtractMean \"false\"") == NULL;
    double mf = 0, mm = 0;
    if (sub) {
        for (size_t i = 0; i < n; i++) {
            mf += F[i];
            mm += M[i];
        }
        mf /= (double)n;
        mm /= (double)n;
    }
    double sff = 0, smm = 0, sfm = 0;
    for (size_t i = 0; i < n; i++) {
        sff += (F[i] - mf) * (F[i] - mf);
        smm += (M[i] - mm) * (M[i] - mm);
        sfm += (F[i] - mf) * (M[i] - mm);
    }
    return -sfm / sqrt(sff * smm);
}

typedef double (*ref_fn)(const fx_t *f, const double *F, const double *M,
                         size_t n, const char *params);

/* Value against ref, derivative against finite differences (relative
 * error below fd_tol), 1 against 3 threads. */
static void
value_case(const reg_metric_class_t *mc, ref_fn ref, double val_tol,
           double fd_tol, unsigned dim, const char *kind, const char *interp,
           unsigned order, const char *params, double gain)
{
    fx_t f;
    fx_init(&f, dim, interp, order, kind, params, 1500, gain);
    ASSERT_OK(fx_metric(&f, mc));
    double mu[16];
    start_mu(&f, mu);
    fx_set(&f, mu);
    double v;
    size_t nv;
    ASSERT_OK(fx_eval(&f, &v, NULL, &nv));
    static double F[1500], M[1500];
    size_t n = pairs(&f, F, M);
    CU_ASSERT_EQUAL(nv, n);
    CU_ASSERT_TRUE(n > 1000);
    double r = ref(&f, F, M, n, params);
    CU_ASSERT_DOUBLE_EQUAL(v, r, val_tol * fabs(r));
    double fde = fd_error(&f, mu, 1e-4, 1e-6);
    if (getenv("PIPIT_METRIC_VERBOSE"))
        printf(" [%s fd %.2g v %.9g ref %.9g n %zu]", mc->name, fde, v, r,
               n);
    CU_ASSERT_TRUE(fde < fd_tol);
    check_threads(&f);
    fx_free(&f);
}

static void
test_msd_2d(void)
{
    const reg_metric_class_t *mc = &pipit__reg_metric_mean_squares;
    value_case(mc, ref_msd, 1e-12, 1e-4, 2, "translation",
               "BSplineInterpolator", 3, "", 1.0);
    value_case(mc, ref_msd, 1e-12, 1e-4, 2, "affine", "BSplineInterpolator",
               3, "(UseNormalization \"true\")", 1.0);
}

static void
test_msd_3d(void)
{
    const reg_metric_class_t *mc = &pipit__reg_metric_mean_squares;
    value_case(mc, ref_msd, 1e-12, 1e-4, 3, "affine", "BSplineInterpolator",
               3, "", 1.0);
    value_case(mc, ref_msd, 1e-12, 1e-4, 3, "translation",
               "BSplineInterpolator", 2, "(UseNormalization \"true\")", 1.0);
}

static void
test_ncc(void)
{
    const reg_metric_class_t *mc = &pipit__reg_metric_ncc;
    /* A gain on the moving image: NCC does not see it. */
    value_case(mc, ref_ncc, 1e-10, 1e-4, 2, "translation",
               "BSplineInterpolator", 3, "", 1.7);
    value_case(mc, ref_ncc, 1e-10, 1e-4, 2, "affine", "BSplineInterpolator",
               3, "(SubtractMean \"false\")", 0.5);
    value_case(mc, ref_ncc, 1e-10, 1e-4, 3, "affine", "BSplineInterpolator",
               3, "", 2.0);
}

/* ---- Mutual information: a straightforward histogram ------------------ */

static double
cubic(double u)
{
    double a = fabs(u);
    if (a < 1)
        return 2.0 / 3.0 - a * a + 0.5 * a * a * a;
    if (a < 2)
        return (2 - a) * (2 - a) * (2 - a) / 6.0;
    return 0.0;
}

/* p[m][f] with B bins both ways (NumberOfHistogramBins in params, else
 * 32), box fixed kernel, cubic moving kernel, the spec's limits. */
static size_t
ref_histogram(const fx_t *f, const double *F, const double *M, size_t n,
              const char *params, double *p)
{
    size_t B = 32;
    const char *k = strstr(params, "NumberOfHistogramBins ");
    if (k != NULL)
        B = (size_t)atoi(k + strlen("NumberOfHistogramBins "));
    double fmin, fmax, mmin, mmax;
    image_range(f->fixed, &fmin, &fmax);
    image_range(f->moving, &mmin, &mmax);
    double fa = fmin - 0.01 * (fmax - fmin), fb = fmax + 0.01 * (fmax - fmin);
    double ma = mmin - 0.01 * (mmax - mmin), mb = mmax + 0.01 * (mmax - mmin);
    /* Fixed: padding 0; moving: padding 1, epsilon over B − 2 − 1. */
    double fe = 0.001 * (fb - fa) / (double)(B - 1);
    double fw = (fb - fa + 2 * fe) / (double)(B - 1);
    double me = 0.001 * (mb - ma) / (double)(B - 3);
    double mw = (mb - ma + 2 * me) / (double)(B - 3);
    memset(p, 0, B * B * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        double fv = F[i] < fa ? fa : F[i] > fb ? fb : F[i];
        double mv = M[i];
        if (mv > mmax)
            mv = mb + (mmax - mb) * exp((mv - mmax) / (mmax - mb));
        if (mv < mmin)
            mv = ma + (mmin - ma) * exp((mv - mmin) / (mmin - ma));
        /* Bin of the fixed value: its distance above the lower edge. */
        int fbin = (int)floor((fv - fa + fe) / fw + 0.5);
        double xm = (mv - ma + me) / mw + 1.0;
        int m0 = (int)floor(xm) - 1;
        for (int t = 0; t < 4; t++)
            p[(size_t)(m0 + t) * B + (size_t)fbin] += cubic(m0 + t - xm);
    }
    for (size_t k2 = 0; k2 < B * B; k2++)
        p[k2] /= (double)n;
    return B;
}

static double
ref_mattes(const fx_t *f, const double *F, const double *M, size_t n,
           const char *params)
{
    static double p[64 * 64];
    size_t B = ref_histogram(f, F, M, n, params, p);
    double pf[64] = { 0 }, pm[64] = { 0 }, mi = 0;
    for (size_t m = 0; m < B; m++)
        for (size_t k = 0; k < B; k++) {
            pf[k] += p[m * B + k];
            pm[m] += p[m * B + k];
        }
    for (size_t m = 0; m < B; m++)
        for (size_t k = 0; k < B; k++)
            if (p[m * B + k] > 1e-16 && pf[k] * pm[m] > 1e-16)
                mi += p[m * B + k] * log(p[m * B + k] / (pf[k] * pm[m]));
    return -mi;
}

static double
ref_nmi(const fx_t *f, const double *F, const double *M, size_t n,
        const char *params)
{
    static double p[64 * 64];
    size_t B = ref_histogram(f, F, M, n, params, p);
    double pf[64] = { 0 }, pm[64] = { 0 }, hf = 0, hm = 0, hfm = 0;
    for (size_t m = 0; m < B; m++)
        for (size_t k = 0; k < B; k++) {
            pf[k] += p[m * B + k];
            pm[m] += p[m * B + k];
            if (p[m * B + k] > 1e-16)
                hfm -= p[m * B + k] * log(p[m * B + k]);
        }
    for (size_t k = 0; k < B; k++) {
        if (pf[k] > 1e-16)
            hf -= pf[k] * log(pf[k]);
        if (pm[k] > 1e-16)
            hm -= pm[k] * log(pm[k]);
    }
    return -(hf + hm) / hfm;
}

static void
test_mattes(void)
{
    const reg_metric_class_t *mc = &pipit__reg_metric_mattes;
    value_case(mc, ref_mattes, 1e-9, 1e-3, 2, "translation",
               "BSplineInterpolator", 3, "", 1.0);
    value_case(mc, ref_mattes, 1e-9, 1e-3, 2, "affine", "BSplineInterpolator",
               3, "(NumberOfHistogramBins 20)", 1.0);
    value_case(mc, ref_mattes, 1e-9, 1e-3, 3, "affine", "BSplineInterpolator",
               3, "", 1.3);
}

static void
test_nmi(void)
{
    const reg_metric_class_t *mc = &pipit__reg_metric_nmi;
    value_case(mc, ref_nmi, 1e-9, 1e-3, 2, "affine", "BSplineInterpolator",
               3, "", 1.0);
    value_case(mc, ref_nmi, 1e-9, 1e-3, 3, "translation",
               "BSplineInterpolator", 3, "(NumberOfHistogramBins 24)", 0.8);
}

/* Aligned images share more information than misaligned ones: the value
 * (−MI, −NMI) is lowest at the true shift. */
static void
test_mi_alignment(void)
{
    const reg_metric_class_t *mcs[] = { &pipit__reg_metric_mattes,
                                        &pipit__reg_metric_nmi };
    for (size_t k = 0; k < 2; k++) {
        fx_t f;
        fx_init(&f, 2, "BSplineInterpolator", 3, "translation", "", 1500,
                1.0);
        ASSERT_OK(fx_metric(&f, mcs[k]));
        double v[3];
        const double mus[3][2] = { { 1.7, -1.2 }, { 0.0, 0.0 }, { 3.5, 0.5 } };
        for (int t = 0; t < 3; t++) {
            fx_set(&f, mus[t]);
            ASSERT_OK(fx_eval(&f, &v[t], NULL, NULL));
        }
        CU_ASSERT_TRUE(v[0] < v[1] - 0.05);
        CU_ASSERT_TRUE(v[0] < v[2] - 0.05);
        /* At the true shift the gradient nearly vanishes. */
        double d[2], d1[2];
        fx_set(&f, mus[0]);
        ASSERT_OK(fx_eval(&f, &v[0], d, NULL));
        fx_set(&f, mus[1]);
        ASSERT_OK(fx_eval(&f, &v[1], d1, NULL));
        CU_ASSERT_TRUE(hypot(d[0], d[1]) < 0.2 * hypot(d1[0], d1[1]));
        fx_free(&f);
    }
}

static void
test_msd_linear_value(void)
{
    /* Linear: value only (its gradient jumps between voxels). */
    fx_t f;
    fx_init(&f, 2, "LinearInterpolator", 1, "affine", "", 700, 1.0);
    ASSERT_OK(fx_metric(&f, &pipit__reg_metric_mean_squares));
    double mu[6], v;
    start_mu(&f, mu);
    fx_set(&f, mu);
    ASSERT_OK(fx_eval(&f, &v, NULL, NULL));
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < f.s.n; i++) {
        double m;
        if (moving_at(&f, f.s.points + 2 * i, &m)) {
            sum += (m - f.s.values[i]) * (m - f.s.values[i]);
            n++;
        }
    }
    CU_ASSERT_DOUBLE_EQUAL(v, sum / (double)n, 1e-12 * v);
    fx_free(&f);
}

/* Samples mapped outside: elastix's error, or a zero value without the
 * check. */
static void
test_too_many_outside(void)
{
    const reg_metric_class_t *mcs[] = { &pipit__reg_metric_mean_squares,
                                        &pipit__reg_metric_ncc,
                                        &pipit__reg_metric_mattes,
                                        &pipit__reg_metric_nmi };
    for (size_t k = 0; k < sizeof mcs / sizeof mcs[0]; k++) {
        fx_t f;
        fx_init(&f, 2, "BSplineInterpolator", 1, "translation", "", 400,
                1.0);
        ASSERT_OK(fx_metric(&f, mcs[k]));
        double mu[2] = { 30.0, 0.0 }, v, d[2];
        size_t nv;
        /* About 2/3 of the samples leave the image: fewer than 1/4 is
         * not reached... */
        mu[0] = 20.0;
        fx_set(&f, mu);
        ASSERT_OK(fx_eval(&f, &v, d, &nv));
        CU_ASSERT_TRUE(nv > 100 && nv < 400);
        /* ... far away, none is inside. */
        mu[0] = 1000.0;
        fx_set(&f, mu);
        ASSERT_FAILS_WITH(fx_eval(&f, &v, d, &nv), PIPIT_ERANGE,
                          "Too many samples map outside moving image "
                          "buffer: 0 / 400");
        fx_free(&f);

        fx_init(&f, 2, "BSplineInterpolator", 1, "translation",
                "(CheckNumberOfSamples \"false\")", 400, 1.0);
        ASSERT_OK(fx_metric(&f, mcs[k]));
        fx_set(&f, mu);
        ASSERT_OK(fx_eval(&f, &v, d, &nv));
        CU_ASSERT_EQUAL(nv, 0);
        CU_ASSERT_EQUAL(v, 0.0);
        fx_free(&f);

        /* A ratio of 0.9: 2/3 inside is too few. */
        fx_init(&f, 2, "BSplineInterpolator", 1, "translation",
                "(RequiredRatioOfValidSamples 0.9)", 400, 1.0);
        ASSERT_OK(fx_metric(&f, mcs[k]));
        mu[0] = 20.0;
        fx_set(&f, mu);
        ASSERT_FAILS_WITH(fx_eval(&f, &v, d, &nv), PIPIT_ERANGE,
                          "Too many samples map outside");
        fx_free(&f);
    }
}

/* A moving mask rejects the samples it leaves out. */
static void
test_moving_mask(void)
{
    fx_t f;
    fx_init(&f, 2, "BSplineInterpolator", 3, "translation", "", 900, 1.0);
    /* The left half of the moving image. */
    pipit_image_t *mimg = pipit_image_new(2, pipit_image_size(f.moving),
                                          PIPIT_U8, 1);
    ASSERT_OK(pipit_image_copy_geometry(mimg, f.moving));
    uint8_t *mp = pipit_image_data_writable(mimg);
    for (size_t y = 0; y < 36; y++)
        for (size_t x = 0; x < 20; x++)
            mp[y * 40 + x] = 1;
    reg_mask_t *mask;
    ASSERT_OK(pipit__reg_mask_new(mimg, "moving mask", &mask));
    f.L.moving_mask = mask;
    ASSERT_OK(fx_metric(&f, &pipit__reg_metric_mean_squares));
    double v;
    size_t nv;
    ASSERT_OK(fx_eval(&f, &v, NULL, &nv));
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < f.s.n; i++) {
        double m, c[2];
        pipit_image_point_to_index(f.moving, f.s.points + 2 * i, c);
        if (floor(c[0] + 0.5) >= 20)
            continue;
        CU_ASSERT_TRUE_FATAL(moving_at(&f, f.s.points + 2 * i, &m));
        sum += (m - f.s.values[i]) * (m - f.s.values[i]);
        n++;
    }
    CU_ASSERT_EQUAL(nv, n);
    CU_ASSERT_DOUBLE_EQUAL(v, sum / (double)n, 1e-12 * v);
    fx_free(&f);
    pipit__reg_mask_free(mask);
    pipit_image_unref(mimg);
}

/* A B-spline transform takes the general path (sparse Jacobian per
 * sample): derivatives against finite differences on some parameters,
 * the same bits at 1 and 3 threads. */
static void
test_bspline_transform(void)
{
    const reg_metric_class_t *mcs[] = { &pipit__reg_metric_mean_squares,
                                        &pipit__reg_metric_ncc,
                                        &pipit__reg_metric_mattes };
    for (size_t q = 0; q < 3; q++) {
        fx_t f;
        fx_init(&f, 2, "BSplineInterpolator", 3, "translation", "", 1200,
                1.0);
        pipit_bspline_grid_t g;
        pipit_bspline_grid_init(&g, 2);
        g.size[0] = g.size[1] = 10;
        g.spacing[0] = g.spacing[1] = 7.0;
        g.origin[0] = -13.5;
        g.origin[1] = -5.5;
        pipit_transform_unref(f.t);
        f.t = pipit_bspline_transform_new(2, 3, &g);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f.t);
        f.L.transform = f.L.optimized = f.t;
        f.L.n_params = pipit_transform_n_parameters(f.t);
        ASSERT_OK(fx_metric(&f, mcs[q]));
        size_t n = f.L.n_params;
        double *mu = calloc(n, sizeof *mu), *d = calloc(n, sizeof *d);
        double *d3 = calloc(n, sizeof *d3);
        for (size_t k = 0; k < n; k++)
            mu[k] = 0.8 * sin(0.7 * (double)k);
        fx_set(&f, mu);
        double v, v3;
        ASSERT_OK(pipit_pool_set_threads(1));
        ASSERT_OK(fx_eval(&f, &v, d, NULL));
        ASSERT_OK(pipit_pool_set_threads(3));
        ASSERT_OK(fx_eval(&f, &v3, d3, NULL));
        ASSERT_OK(pipit_pool_set_threads(0));
        CU_ASSERT_EQUAL(memcmp(&v, &v3, sizeof v), 0);
        CU_ASSERT_EQUAL(memcmp(d, d3, n * sizeof *d), 0);
        /* The parameters with the largest derivatives, x and y blocks. */
        double e = 0, a = 0;
        for (size_t k = 0; k < n; k += 7) {
            double h = 1e-4, vp, vm, m0 = mu[k];
            mu[k] = m0 + h;
            fx_set(&f, mu);
            ASSERT_OK(fx_eval(&f, &vp, NULL, NULL));
            mu[k] = m0 - h;
            fx_set(&f, mu);
            ASSERT_OK(fx_eval(&f, &vm, NULL, NULL));
            mu[k] = m0;
            double fd = (vp - vm) / (2 * h);
            e += (fd - d[k]) * (fd - d[k]);
            a += d[k] * d[k];
        }
        if (getenv("PIPIT_METRIC_VERBOSE"))
            printf(" [%s fd %.2g]", mcs[q]->name, sqrt(e / a));
        CU_ASSERT_TRUE(a > 0 && sqrt(e / a) < (q == 2 ? 1e-3 : 1e-4));
        free(mu);
        free(d);
        free(d3);
        fx_free(&f);
    }
}

/* Per-resolution values: level 0 may be fine while the early check of
 * every level finds the bad one. */
static void
test_all_levels(void)
{
    const char *text = "(NumberOfHistogramBins 32 2)";
    pipit_params_t *p;
    ASSERT_OK(pipit_params_parse(text, strlen(text), "lv.txt", &p));
    reg_map_t m = { .params = p, .file = "lv.txt", .dim = 2, .n_levels = 2 };
    void *st = calloc(1, pipit__reg_metric_mattes.state_size);
    ASSERT_OK(pipit__reg_metric_mattes.configure(st, &m, 0));
    ASSERT_FAILS_WITH(pipit__reg_metric_mattes.configure(st, &m, 1),
                      PIPIT_EINVAL, "NumberOfHistogramBins");
    ASSERT_FAILS_WITH(pipit__reg_metric_mattes.configure(st, &m, (unsigned)-1),
                      PIPIT_EINVAL, "NumberOfHistogramBins");
    pipit__reg_metric_mattes.finalize(st);
    free(st);
    pipit_params_unref(p);
}

static void
test_malformed_keys(void)
{
    static const struct {
        const reg_metric_class_t *mc;
        const char *text, *key;
    } cases[] = {
        { &pipit__reg_metric_mean_squares, "(UseNormalization \"maybe\")",
          "UseNormalization" },
        { &pipit__reg_metric_mean_squares, "(CheckNumberOfSamples 3)",
          "CheckNumberOfSamples" },
        { &pipit__reg_metric_mean_squares,
          "(RequiredRatioOfValidSamples \"x\")",
          "RequiredRatioOfValidSamples" },
        { &pipit__reg_metric_mean_squares,
          "(RequiredRatioOfValidSamples 1.5)",
          "RequiredRatioOfValidSamples" },
        { &pipit__reg_metric_ncc, "(SubtractMean \"yes please\")",
          "SubtractMean" },
        { &pipit__reg_metric_mattes, "(NumberOfHistogramBins \"abc\")",
          "NumberOfHistogramBins" },
        { &pipit__reg_metric_mattes, "(NumberOfHistogramBins 2)",
          "NumberOfHistogramBins" },
        { &pipit__reg_metric_mattes, "(MovingKernelBSplineOrder 5)",
          "MovingKernelBSplineOrder" },
        { &pipit__reg_metric_mattes, "(FixedLimitRangeRatio \"wide\")",
          "FixedLimitRangeRatio" },
        { &pipit__reg_metric_nmi, "(NumberOfMovingHistogramBins 1.5)",
          "NumberOfMovingHistogramBins" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pipit_params_t *p;
        ASSERT_OK(pipit_params_parse(cases[k].text, strlen(cases[k].text),
                                     "bad.txt", &p));
        reg_map_t m = { .params = p, .file = "bad.txt", .dim = 2,
                        .n_levels = 2 };
        void *st = calloc(1, cases[k].mc->state_size);
        /* Level 0, and the early check of every level. */
        pipit_status_t rc = cases[k].mc->configure(st, &m, 0);
        CU_ASSERT_EQUAL(rc, PIPIT_EINVAL);
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), cases[k].key));
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "bad.txt"));
        rc = cases[k].mc->configure(st, &m, (unsigned)-1);
        CU_ASSERT_NOT_EQUAL(rc, PIPIT_OK);
        cases[k].mc->finalize(st);
        free(st);
        pipit_params_unref(p);
    }
}

/* Time per evaluation (value and derivative), printed for the record;
 * PIPIT_METRIC_TIMING=1 to run it. */
static void
test_timing(void)
{
    if (getenv("PIPIT_METRIC_TIMING") == NULL)
        return;
    static const struct {
        const reg_metric_class_t *mc;
        const char *name;
    } ms[] = {
        { &pipit__reg_metric_mean_squares, "AdvancedMeanSquares" },
        { &pipit__reg_metric_ncc, "AdvancedNormalizedCorrelation" },
        { &pipit__reg_metric_mattes, "AdvancedMattesMutualInformation" },
        { &pipit__reg_metric_nmi, "NormalizedMutualInformation" },
    };
    for (size_t k = 0; k < sizeof ms / sizeof ms[0]; k++)
        for (unsigned order = 1; order <= 3; order += 2) {
            fx_t f;
            fx_init(&f, 2, "BSplineInterpolator", order, "affine", "", 5000,
                    1.0);
            ASSERT_OK(fx_metric(&f, ms[k].mc));
            double mu[6], v, d[6];
            start_mu(&f, mu);
            fx_set(&f, mu);
            int reps = 2000;
            struct timespec t0, t1, c0, c1;
            ASSERT_OK(fx_eval(&f, &v, d, NULL));
            clock_gettime(CLOCK_MONOTONIC, &t0);
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
            for (int r = 0; r < reps; r++)
                ASSERT_OK(fx_eval(&f, &v, d, NULL));
            clock_gettime(CLOCK_MONOTONIC, &t1);
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
            double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
                         (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / reps;
            double cpu = ((double)(c1.tv_sec - c0.tv_sec) * 1e6 +
                          (double)(c1.tv_nsec - c0.tv_nsec) / 1e3) / reps;
            printf("\n  %s, 5000 samples 2-D affine, B-spline order %u: "
                   "%.1f us wall, %.1f us CPU per evaluation (%u threads)",
                   ms[k].name, order, us, cpu, pipit_pool_threads());
            fx_free(&f);
        }
}

const test_case_t test_reg_metrics_cases[] = {
    { "msd_2d", test_msd_2d },
    { "msd_3d", test_msd_3d },
    { "msd_linear_value", test_msd_linear_value },
    { "ncc", test_ncc },
    { "mattes", test_mattes },
    { "nmi", test_nmi },
    { "mi_alignment", test_mi_alignment },
    { "too_many_outside", test_too_many_outside },
    { "moving_mask", test_moving_mask },
    { "bspline_transform", test_bspline_transform },
    { "all_levels", test_all_levels },
    { "malformed_keys", test_malformed_keys },
    { "timing", test_timing },
    { NULL, NULL },
};

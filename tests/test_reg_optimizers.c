/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration optimizers on analytic costs: a problem written here
 * (a scaled quadratic with a known minimum, a linear cost whose gradient
 * is known everywhere, a Rosenbrock valley, noise from a fake random
 * sampler) instead of images, so every expected figure comes from a
 * formula: the minimum, each row's gain, and ASGD's estimated a from
 * TrC, TrCC, maxJJ and maxJCJ of a translation (J = I).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optimizer_asgd_impl.h"
#include "reg_impl.h"
#include "testutil.h"

#define MAX_ROWS 4096
#define NP 2

typedef enum { COST_QUADRATIC, COST_LINEAR, COST_ROSENBROCK } cost_t;

typedef struct {
    reg_problem_t pb;
    reg_level_t L;
    reg_map_t map;
    pipit_params_t *params;
    pipit_image_t *fixed, *moving;
    pipit_transform_t *t;
    reg_rng_t rng, noise_rng;
    double scales[NP];
    cost_t cost;
    double w[NP], c[NP];        /* quadratic: ½ Σ w (μ - c)² */
    double noise_sd;            /* approximate gradients add N(0, sd²) */
    double noise[NP];           /* the current samples' noise */
    double noise2_sum;          /* Σ |ĝ - g|² over evaluate_exact pairs */
    double last_exact[NP];
    bool last_was_exact;
    size_t n_eval, n_exact, n_new;
    double grid[64 * 2];
    reg_iteration_t rows[MAX_ROWS];
    size_t n_rows;
    long cancel_at;
    char log[8192];
} fake_t;

static void
cost(fake_t *f, const double *mu, double *value, double *g)
{
    switch (f->cost) {
    case COST_QUADRATIC:
        *value = 0.0;
        for (int i = 0; i < NP; i++) {
            double e = mu[i] - f->c[i];
            *value += 0.5 * f->w[i] * e * e;
            g[i] = f->w[i] * e;
        }
        break;
    case COST_LINEAR:
        *value = f->c[0] * mu[0] + f->c[1] * mu[1];
        g[0] = f->c[0], g[1] = f->c[1];
        break;
    case COST_ROSENBROCK: {
        /* (1 - x)² + 100 (y - x²)², minimum 0 at (1, 1) */
        double x = mu[0], y = mu[1];
        *value = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
        g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
        g[1] = 200 * (y - x * x);
        break;
    }
    }
}

static pipit_status_t
fake_evaluate(reg_problem_t *pb, const double *mu, double *value,
              double *deriv)
{
    fake_t *f = pb->node;
    f->n_eval++;
    cost(f, mu, value, deriv);
    for (int i = 0; i < NP; i++)
        deriv[i] += f->noise[i];
    if (f->last_was_exact)
        for (int i = 0; i < NP; i++)
            f->noise2_sum += (deriv[i] - f->last_exact[i]) *
                             (deriv[i] - f->last_exact[i]);
    f->last_was_exact = false;
    return PIPIT_OK;
}

static pipit_status_t
fake_new_samples(reg_problem_t *pb)
{
    fake_t *f = pb->node;
    f->n_new++;
    if (pb->random_samples)
        for (int i = 0; i < NP; i++)
            f->noise[i] = f->noise_sd * pipit__reg_rng_normal(&f->noise_rng);
    return PIPIT_OK;
}

static pipit_status_t
fake_exact(reg_problem_t *pb, const double *mu, size_t n, double *value,
           double *deriv)
{
    fake_t *f = pb->node;
    (void)n;
    f->n_exact++;
    cost(f, mu, value, deriv);
    memcpy(f->last_exact, deriv, sizeof f->last_exact);
    f->last_was_exact = true;
    return PIPIT_OK;
}

static pipit_status_t
fake_grid(reg_problem_t *pb, size_t n, const double **points, size_t *count)
{
    fake_t *f = pb->node;
    (void)n;
    for (int j = 0; j < 64; j++)
        f->grid[2 * j] = j % 8 * 1.5, f->grid[2 * j + 1] = j / 8 * 2.0;
    *points = f->grid;
    *count = 64;
    return PIPIT_OK;
}

static pipit_status_t
fake_report(reg_problem_t *pb, const reg_iteration_t *it)
{
    fake_t *f = pb->node;
    if (f->n_rows < MAX_ROWS)
        f->rows[f->n_rows++] = *it;
    return (long)it->iteration == f->cancel_at ? PIPIT_ECANCELED : PIPIT_OK;
}

static void
fake_log(const char *line, void *user)
{
    fake_t *f = user;
    size_t k = strlen(f->log);
    snprintf(f->log + k, sizeof f->log - k, "%s\n", line);
}

/* A problem on a translation (J = I), images of spacing (2, 1) and
 * (1, 2): ASGD's default MaximumStepLength is their mean, 1.5. */
static fake_t *
fake_new(const char *keys, cost_t kind, bool random)
{
    static fake_t f;
    memset(&f, 0, sizeof f);
    ASSERT_OK(pipit_params_parse(keys, strlen(keys), "opt.txt", &f.params));
    f.map = (reg_map_t){ .params = f.params, .file = "opt.txt", .dim = 2,
                         .n_levels = 1, .log = fake_log, .log_user = &f };
    size_t size[2] = { 4, 4 };
    f.fixed = pipit_image_new(2, size, PIPIT_F32, 1);
    f.moving = pipit_image_new(2, size, PIPIT_F32, 1);
    ASSERT_OK(pipit_image_set_spacing(f.fixed, (double[]){ 2.0, 1.0 }));
    ASSERT_OK(pipit_image_set_spacing(f.moving, (double[]){ 1.0, 2.0 }));
    f.t = pipit_translation_transform_new(2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f.t);
    pipit__reg_rng_seed(&f.rng, 121212);
    pipit__reg_rng_seed(&f.noise_rng, 7);
    f.scales[0] = f.scales[1] = 1.0;
    f.L = (reg_level_t){ .map = &f.map, .dim = 2, .fixed = f.fixed,
                         .moving = f.moving, .fixed_full = f.fixed,
                         .moving_full = f.moving, .transform = f.t,
                         .optimized = f.t, .n_params = NP,
                         .scales = f.scales, .rng = &f.rng };
    f.pb = (reg_problem_t){ .L = &f.L, .n = NP, .scales = f.scales,
                            .random_samples = random,
                            .evaluate = fake_evaluate,
                            .new_samples = fake_new_samples,
                            .evaluate_exact = fake_exact,
                            .grid_points = fake_grid, .report = fake_report,
                            .node = &f };
    f.cost = kind;
    f.cancel_at = -1;
    return &f;
}

static void
fake_free(fake_t *f)
{
    pipit_params_unref(f->params);
    pipit_image_unref(f->fixed);
    pipit_image_unref(f->moving);
    pipit_transform_unref(f->t);
}

/* configure + run one level; the state is finalized. */
static pipit_status_t
run_opt(const reg_optimizer_class_t *cls, fake_t *f, double *mu,
        asgd_t *asgd_out)
{
    _Alignas(16) unsigned char st[1024];
    CU_ASSERT_FATAL(cls->state_size <= sizeof st);
    memset(st, 0, sizeof st);
    pipit_status_t s = cls->configure(st, &f->map, 0);
    if (s == PIPIT_OK)
        s = cls->run(st, &f->pb, mu);
    if (asgd_out != NULL)
        memcpy(asgd_out, st, sizeof *asgd_out);
    cls->finalize(st);
    return s;
}

/* Each row: step = a / (t + A + 1)^α, t as reported; metric and
 * |gradient| those of the position before the step. */
static void
check_quadratic_rows(fake_t *f, double a, double A, double alpha)
{
    for (size_t k = 0; k < f->n_rows; k++) {
        const reg_iteration_t *r = &f->rows[k];
        CU_ASSERT_EQUAL(r->iteration, k);
        double want = a / pow(r->asgd_time + A + 1.0, alpha);
        CU_ASSERT_DOUBLE_EQUAL(r->step_size, want, 1e-12 * want);
    }
}

static void
test_rsgd_quadratic(void)
{
    /* minimum (3, -2); scales (1, 10): in scaled space y = (3, -20) */
    fake_t *f = fake_new("(MaximumStepLength 2)\n(MinimumStepLength 1e-7)\n"
                         "(MaximumNumberOfIterations 2000)\n",
                         COST_QUADRATIC, false);
    f->w[0] = 1.0, f->w[1] = 4.0, f->c[0] = 3.0, f->c[1] = -2.0;
    f->scales[1] = 10.0;
    double mu[2] = { 0.0, 0.0 };
    ASSERT_OK(run_opt(&pipit__reg_optimizer_rsgd, f, mu, NULL));
    CU_ASSERT_DOUBLE_EQUAL(mu[0], 3.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(mu[1], -2.0, 1e-6);
    CU_ASSERT_FATAL(f->n_rows > 2);
    /* row 0: metric ½(9 + 4·4) = 12.5; g_y = (-3, 8/10) */
    CU_ASSERT_DOUBLE_EQUAL(f->rows[0].metric, 12.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(f->rows[0].gradient_norm, sqrt(9.0 + 0.64), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(f->rows[0].step_size, 2.0, 0.0);
    CU_ASSERT(isnan(f->rows[0].asgd_time));
    for (size_t k = 1; k < f->n_rows; k++) {
        double r = f->rows[k].step_size / f->rows[k - 1].step_size;
        CU_ASSERT(r == 1.0 || r == 0.5);
    }
    CU_ASSERT_EQUAL(f->n_new, f->n_rows);
    CU_ASSERT(f->rows[f->n_rows - 1].step_size >= 1e-7);
    fake_free(f);
}

static void
test_rsgd_defaults(void)
{
    /* level 0 default: first step 16 along -g/|g| */
    fake_t *f = fake_new("(MaximumNumberOfIterations 1)\n", COST_LINEAR,
                         false);
    f->c[0] = 3.0, f->c[1] = 4.0;
    double mu[2] = { 0.0, 0.0 };
    ASSERT_OK(run_opt(&pipit__reg_optimizer_rsgd, f, mu, NULL));
    CU_ASSERT_DOUBLE_EQUAL(mu[0], -16.0 * 0.6, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(mu[1], -16.0 * 0.8, 1e-12);
    CU_ASSERT_EQUAL(f->n_rows, 1);
    fake_free(f);
}

static void
test_asgd_manual(void)
{
    fake_t *f = fake_new("(AutomaticParameterEstimation \"false\")\n"
                         "(SP_a 2.0)\n(SP_A 5)\n(SP_alpha 0.602)\n"
                         "(MaximumNumberOfIterations 300)\n",
                         COST_QUADRATIC, false);
    f->w[0] = 1.0, f->w[1] = 0.25, f->c[0] = -1.0, f->c[1] = 2.0;
    f->scales[0] = 2.0;
    double mu[2] = { 0.0, 0.0 };
    asgd_t st;
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, &st));
    CU_ASSERT_DOUBLE_EQUAL(mu[0], -1.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(mu[1], 2.0, 1e-6);
    CU_ASSERT_EQUAL(f->n_rows, 300);
    CU_ASSERT_EQUAL(f->n_new, 300);
    CU_ASSERT_EQUAL(f->n_exact, 0);
    check_quadratic_rows(f, 2.0, 5.0, 0.602);
    /* t_0 = t_1 = 0 (only g_0 is stored after iteration 0) */
    CU_ASSERT_EQUAL(f->rows[0].asgd_time, 0.0);
    CU_ASSERT_EQUAL(f->rows[1].asgd_time, 0.0);
    /* row 0: metric ½·1 + ½·0.25·4 = 1; g_y = (1/2, -0.5) */
    CU_ASSERT_DOUBLE_EQUAL(f->rows[0].metric, 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(f->rows[0].gradient_norm, sqrt(0.5), 1e-12);
    CU_ASSERT_PTR_NOT_NULL(strstr(f->log, "SP_a: 2\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(f->log, "SigmoidMin: -0.8\n"));
    fake_free(f);
}

static void
test_asgd_time(void)
{
    /* Without adaptive steps t grows by (f_max + f_min)/2 = 0.1. */
    fake_t *f = fake_new("(AutomaticParameterEstimation \"false\")\n"
                         "(UseAdaptiveStepSizes \"false\")\n"
                         "(SigmoidInitialTime 2)\n"
                         "(MaximumNumberOfIterations 5)\n",
                         COST_QUADRATIC, false);
    f->w[0] = f->w[1] = 1.0;
    double mu[2] = { 1.0, 1.0 };
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, NULL));
    CU_ASSERT_EQUAL_FATAL(f->n_rows, 5);
    for (size_t k = 0; k < 5; k++)
        CU_ASSERT_DOUBLE_EQUAL(f->rows[k].asgd_time, 2.0 + 0.1 * k, 1e-12);
    check_quadratic_rows(f, 400.0, 20.0, 0.602);
    fake_free(f);

    /* Adaptive: an overshooting gain makes the gradients alternate,
     * -g_k·g_{k-1} > 0, and the sigmoid (scale 1e-8) adds f_max = 1. */
    f = fake_new("(AutomaticParameterEstimation \"false\")\n"
                 "(SP_a 50)\n(SP_A 0)\n(SP_alpha 1)\n"
                 "(MaximumNumberOfIterations 6)\n",
                 COST_QUADRATIC, false);
    f->w[0] = f->w[1] = 1.0;
    mu[0] = 1.0, mu[1] = -1.0;
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, NULL));
    CU_ASSERT_EQUAL_FATAL(f->n_rows, 6);
    CU_ASSERT_DOUBLE_EQUAL(f->rows[1].asgd_time, 0.0, 0.0);
    for (size_t k = 2; k < 6; k++)
        CU_ASSERT_DOUBLE_EQUAL(f->rows[k].asgd_time, (double)(k - 1), 1e-6);
    check_quadratic_rows(f, 50.0, 0.0, 1.0);
    fake_free(f);

    /* UseConstantStep: a / (A + 1)^α every iteration */
    f = fake_new("(AutomaticParameterEstimation \"false\")\n"
                 "(UseConstantStep \"true\")\n(SP_a 0.5)\n(SP_A 1)\n"
                 "(SP_alpha 1)\n(MaximumNumberOfIterations 4)\n",
                 COST_QUADRATIC, false);
    f->w[0] = f->w[1] = 1.0;
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, NULL));
    for (size_t k = 0; k < f->n_rows; k++)
        CU_ASSERT_DOUBLE_EQUAL(f->rows[k].step_size, 0.25, 0.0);
    fake_free(f);
}

static void
test_asgd_noisy(void)
{
    /* Noisy gradients: the decreasing gain averages the noise out. */
    fake_t *f = fake_new("(AutomaticParameterEstimation \"false\")\n"
                         "(SP_a 1)\n(SP_A 10)\n(SP_alpha 1)\n"
                         "(UseAdaptiveStepSizes \"false\")\n"
                         "(MaximumNumberOfIterations 3000)\n",
                         COST_QUADRATIC, true);
    f->w[0] = 1.0, f->w[1] = 2.0, f->c[0] = 4.0, f->c[1] = -3.0;
    f->noise_sd = 0.5;
    double mu[2] = { 0.0, 0.0 };
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, NULL));
    /* gain ~ 1/(0.1 t): the error shrinks like sd·sqrt(gain) ~ 0.03 */
    CU_ASSERT_DOUBLE_EQUAL(mu[0], 4.0, 0.15);
    CU_ASSERT_DOUBLE_EQUAL(mu[1], -3.0, 0.15);
    fake_free(f);
}

/* Translation, scales 1: J_j = I (2 x 2) at every point, so C = I,
 * TrC = 2, TrCC = 2, maxJJ = maxJCJ = 2 + 2√2·√2 = 6, and the automatic
 * number of gradient measurements is ceil(8·2/4/0.25) = 16. A linear
 * cost b·μ has the exact gradient b everywhere: σ1 = |b|/√2. */
static void
test_asgd_estimate(void)
{
    fake_t *f = fake_new("(MaximumNumberOfIterations 1)\n", COST_LINEAR,
                         false);
    f->c[0] = 3.0, f->c[1] = 4.0;
    double mu[2] = { 0.0, 0.0 };
    asgd_t st;
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, &st));
    double delta = 1.5, A = 20.0, sigma1 = 5.0 / sqrt(2.0);
    double a = A * delta / (sigma1 * sqrt(6.0)) * (sigma1 * sigma1) /
               (sigma1 * sigma1 + 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(st.used.a, a, 1e-12 * a);
    CU_ASSERT_EQUAL(st.used.alpha, 1.0);
    CU_ASSERT_EQUAL(st.used.A, 20.0);
    CU_ASSERT_EQUAL(f->n_exact, 16);
    CU_ASSERT_EQUAL(st.used.fmax, 1.0);
    CU_ASSERT_DOUBLE_EQUAL(st.used.fmin, -0.01, 1e-12);
    CU_ASSERT_EQUAL(st.used.omega, 1e-14);
    CU_ASSERT_EQUAL_FATAL(f->n_rows, 1);
    CU_ASSERT_DOUBLE_EQUAL(f->rows[0].step_size, a / 21.0, 1e-12 * a);
    CU_ASSERT_PTR_NOT_NULL(strstr(f->log, "SP_alpha: 1\n"));
    fake_free(f);

    /* A random sampler: ν = σ1² / (σ1² + σ3²) with σ3² = ee / TrC, ee
     * the mean |g - ĝ|² the fake measured. MaximumStepLength 3 and
     * three measurements by key. */
    f = fake_new("(MaximumNumberOfIterations 1)\n(MaximumStepLength 3)\n"
                 "(NumberOfGradientMeasurements 3)\n(SP_A 10)\n",
                 COST_LINEAR, true);
    f->c[0] = 3.0, f->c[1] = 4.0;
    f->noise_sd = 2.0;
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, &st));
    CU_ASSERT_EQUAL(f->n_exact, 3);
    double ee = f->noise2_sum / 3.0, s3 = ee / 2.0;
    double s1 = 12.5;
    CU_ASSERT(ee > 0.0);
    double nu = s1 / (s1 + s3 + 1e-14);
    a = 10.0 * 3.0 / (sqrt(s1) * sqrt(6.0)) * nu;
    CU_ASSERT_DOUBLE_EQUAL(st.used.a, a, 1e-12 * a);
    CU_ASSERT_DOUBLE_EQUAL(st.used.fmin, -0.99 + 0.98 * nu, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(st.used.omega, 0.1 * s3 * sqrt(2.0), 1e-12);
    fake_free(f);

    /* OriginalButSigmoidToDefault keeps the sigmoid keys. */
    f = fake_new("(MaximumNumberOfIterations 1)\n(SigmoidMin -0.5)\n"
                 "(ASGDParameterEstimationMethod "
                 "\"OriginalButSigmoidToDefault\")\n",
                 COST_LINEAR, false);
    f->c[0] = 3.0, f->c[1] = 4.0;
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, &st));
    CU_ASSERT_EQUAL(st.used.fmin, -0.5);
    CU_ASSERT_EQUAL(st.used.omega, 1e-8);
    fake_free(f);
}

/* Scales (2, 2): J columns halve, C = I/4, TrC = 1/2, TrCC = 1/8,
 * maxJJ = 1/2 + 2√2·(√2/4) = 3/2, maxJCJ = 1/8 + 2√2·(√2/16) = 3/8;
 * g_y = b/2 so σ1 = (5/2)/√(1/2). */
static void
test_asgd_estimate_scaled(void)
{
    fake_t *f = fake_new("(MaximumNumberOfIterations 1)\n", COST_LINEAR,
                         false);
    f->c[0] = 3.0, f->c[1] = 4.0;
    f->scales[0] = f->scales[1] = 2.0;
    double mu[2] = { 0.0, 0.0 };
    asgd_t st;
    ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, &st));
    double sigma1 = 2.5 / sqrt(0.5);
    double a = 20.0 * 1.5 / (sigma1 * sqrt(3.0 / 8.0));
    CU_ASSERT_DOUBLE_EQUAL(st.used.a, a, 1e-9 * a);
    /* 8·TrCC/TrC²/0.25 = 16 again */
    CU_ASSERT_EQUAL(f->n_exact, 16);
    fake_free(f);
}

static void
test_asgd_displacement(void)
{
    /* J = I: |J g| = |b| = 5 at every point, sd 0, so jacg = 5 and
     * a = δ (A+1) / 5 (no noise: ν = 1). */
    const char *methods[] = { "2sigma", "95percentile" };
    for (int i = 0; i < 2; i++) {
        char keys[256];
        snprintf(keys, sizeof keys,
                 "(MaximumNumberOfIterations 1)\n"
                 "(ASGDParameterEstimationMethod "
                 "\"DisplacementDistribution\")\n"
                 "(MaximumDisplacementEstimationMethod \"%s\")\n",
                 methods[i]);
        fake_t *f = fake_new(keys, COST_LINEAR, false);
        f->c[0] = 3.0, f->c[1] = 4.0;
        double mu[2] = { 0.0, 0.0 };
        asgd_t st;
        ASSERT_OK(run_opt(&pipit__reg_optimizer_asgd, f, mu, &st));
        double a = 1.5 * 21.0 / (5.0 + 1e-14);
        CU_ASSERT_DOUBLE_EQUAL(st.used.a, a, 1e-9 * a);
        /* the first step moves each point by δ */
        CU_ASSERT_DOUBLE_EQUAL(hypot(mu[0], mu[1]), 1.5, 1e-9);
        fake_free(f);
    }
}

static void
test_sgd(void)
{
    fake_t *f = fake_new("(MaximumNumberOfIterations 400)\n(SP_a 2)\n",
                         COST_QUADRATIC, false);
    f->w[0] = 1.0, f->w[1] = 3.0, f->c[0] = 1.5, f->c[1] = 0.5;
    double mu[2] = { 0.0, 0.0 };
    ASSERT_OK(run_opt(&pipit__reg_optimizer_sgd, f, mu, NULL));
    CU_ASSERT_DOUBLE_EQUAL(mu[0], 1.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(mu[1], 0.5, 1e-6);
    CU_ASSERT_EQUAL_FATAL(f->n_rows, 400);
    for (size_t k = 0; k < f->n_rows; k++) {
        double want = 2.0 / pow(50.0 + k + 1.0, 0.602);
        CU_ASSERT_DOUBLE_EQUAL(f->rows[k].step_size, want, 1e-12 * want);
        CU_ASSERT(isnan(f->rows[k].asgd_time));
    }
    fake_free(f);
}

static void
test_cancel(void)
{
    const reg_optimizer_class_t *all[] = {
        &pipit__reg_optimizer_asgd, &pipit__reg_optimizer_sgd,
        &pipit__reg_optimizer_rsgd, &pipit__reg_optimizer_lbfgs,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        fake_t *f = fake_new("(AutomaticParameterEstimation \"false\")\n"
                             "(SP_a 0.1)\n(MaximumStepLength 0.01)\n"
                             "(MinimumStepLength 0)\n",
                             COST_ROSENBROCK, false);
        f->cancel_at = 3;
        double mu[2] = { -1.0, 2.0 };
        CU_ASSERT_EQUAL(run_opt(all[i], f, mu, NULL), PIPIT_ECANCELED);
        CU_ASSERT_EQUAL(f->n_rows, 4);
        CU_ASSERT(f->n_eval <= 4 + 20); /* LBFGS: line search tries */
        fake_free(f);
    }
}

/* The error names file and line, the key, and the value. */
static void
bad(const reg_optimizer_class_t *cls, const char *keys, const char *key,
    const char *value)
{
    fake_t *f = fake_new(keys, COST_QUADRATIC, false);
    double mu[2] = { 0.0, 0.0 };
    pipit_status_t s = run_opt(cls, f, mu, NULL);
    const char *msg = pipit_error_message();
    char quoted[64];
    snprintf(quoted, sizeof quoted, "'%s'", value);
    CU_ASSERT_EQUAL(s, PIPIT_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, key));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, quoted));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "opt.txt:1"));
    if (s != PIPIT_EINVAL || strstr(msg, key) == NULL ||
        strstr(msg, quoted) == NULL)
        fprintf(stderr, "\n%s: %s\n", keys, msg);
    CU_ASSERT_EQUAL(f->n_eval, 0);
    fake_free(f);
}

static void
test_bad_keys(void)
{
    const reg_optimizer_class_t *asgd = &pipit__reg_optimizer_asgd;
    const reg_optimizer_class_t *rsgd = &pipit__reg_optimizer_rsgd;
    bad(asgd, "(SP_a \"abc\")\n", "SP_a", "abc");
    bad(asgd, "(SP_a -1)\n", "SP_a", "-1");
    bad(asgd, "(SigmoidMin 0.5)\n", "SigmoidMin", "0.5");
    bad(asgd, "(ASGDParameterEstimationMethod \"Fast\")\n",
        "ASGDParameterEstimationMethod", "Fast");
    bad(asgd, "(MaximumDisplacementEstimationMethod \"3sigma\")\n",
        "MaximumDisplacementEstimationMethod", "3sigma");
    bad(asgd, "(MaximumNumberOfIterations -5)\n",
        "MaximumNumberOfIterations", "-5");
    bad(asgd, "(UseAdaptiveStepSizes \"yes\")\n", "UseAdaptiveStepSizes",
        "yes");
    bad(asgd, "(MaximumStepLength 0)\n", "MaximumStepLength", "0");
    bad(asgd, "(NumberOfSamplesForExactGradient 0)\n",
        "NumberOfSamplesForExactGradient", "0");
    bad(&pipit__reg_optimizer_sgd, "(SP_alpha \"x\")\n", "SP_alpha", "x");
    bad(rsgd, "(RelaxationFactor 1.5)\n", "RelaxationFactor", "1.5");
    bad(rsgd, "(MaximumStepLength -2)\n", "MaximumStepLength", "-2");
    bad(&pipit__reg_optimizer_lbfgs, "(LBFGSUpdateAccuracy 0)\n",
        "LBFGSUpdateAccuracy", "0");
    bad(&pipit__reg_optimizer_lbfgs, "(LineSearchGradientTolerance 1e-5)\n",
        "LineSearchGradientTolerance", "1e-5");
    bad(&pipit__reg_optimizer_lbfgs, "(StepLength \"long\")\n",
        "StepLength", "long");
    bad(rsgd, "(MinimumGradientMagnitude \"tiny\")\n",
        "MinimumGradientMagnitude", "tiny");
}

static void
test_lbfgs_rosenbrock(void)
{
    fake_t *f = fake_new("(MaximumNumberOfIterations 200)\n"
                         "(GradientMagnitudeTolerance 1e-12)\n",
                         COST_ROSENBROCK, false);
    double mu[2] = { -1.2, 1.0 };
    ASSERT_OK(run_opt(&pipit__reg_optimizer_lbfgs, f, mu, NULL));
    CU_ASSERT_DOUBLE_EQUAL(mu[0], 1.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(mu[1], 1.0, 1e-6);
    CU_ASSERT_FATAL(f->n_rows > 5 && f->n_rows < 200);
    /* first direction -g/|g|; rows decrease; Wolfe met on the way */
    CU_ASSERT_DOUBLE_EQUAL(f->rows[0].search_dir_norm, 1.0, 1e-12);
    for (size_t k = 0; k < f->n_rows; k++) {
        const reg_iteration_t *r = &f->rows[k];
        CU_ASSERT_EQUAL(r->iteration, k);
        CU_ASSERT_EQUAL(r->search_direction, k);
        CU_ASSERT_STRING_EQUAL(r->phase, "Main");
        if (k > 0)
            CU_ASSERT(r->metric <= f->rows[k - 1].metric);
        if (k + 1 < f->n_rows) {
            CU_ASSERT_STRING_EQUAL(r->wolfe1, "true");
            CU_ASSERT_STRING_EQUAL(r->line_search_stop, "WolfeSatisfied");
        }
    }
    /* the last row: metric and gradient of the final position */
    const reg_iteration_t *last = &f->rows[f->n_rows - 1];
    double v, g[2];
    cost(f, mu, &v, g);
    CU_ASSERT_DOUBLE_EQUAL(last->metric, v, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(last->gradient_norm, hypot(g[0], g[1]), 1e-12);
    fake_free(f);
}

static void
test_lbfgs_quadratic(void)
{
    /* A quadratic in 2 parameters with scales: BFGS needs a few steps;
     * row 0 is the step of StepLength along -g/|g|, which already meets
     * the Wolfe conditions here. */
    fake_t *f = fake_new("(GradientMagnitudeTolerance 1e-10)\n",
                         COST_QUADRATIC, false);
    f->w[0] = 1.0, f->w[1] = 50.0, f->c[0] = 2.0, f->c[1] = 1.0;
    f->scales[0] = 1.0, f->scales[1] = 5.0;
    double mu[2] = { 0.0, 0.0 };
    ASSERT_OK(run_opt(&pipit__reg_optimizer_lbfgs, f, mu, NULL));
    CU_ASSERT_DOUBLE_EQUAL(mu[0], 2.0, 1e-7);
    CU_ASSERT_DOUBLE_EQUAL(mu[1], 1.0, 1e-7);
    CU_ASSERT(f->n_rows < 15);
    CU_ASSERT_EQUAL(f->rows[0].step_size, 1.0);
    CU_ASSERT_EQUAL(f->rows[0].search_dir_norm, 1.0);
    fake_free(f);

    /* StopIfWolfeNotSatisfied: one line-search evaluation cannot both
     * decrease enough and flatten enough from far away: stop after it. */
    f = fake_new("(MaximumNumberOfLineSearchIterations 1)\n(StepLength 1)\n"
                 "(LineSearchGradientTolerance 0.01)\n",
                 COST_QUADRATIC, false);
    f->w[0] = f->w[1] = 1.0, f->c[0] = 10.0, f->c[1] = 0.0;
    mu[0] = mu[1] = 0.0;
    ASSERT_OK(run_opt(&pipit__reg_optimizer_lbfgs, f, mu, NULL));
    CU_ASSERT_EQUAL_FATAL(f->n_rows, 1);
    CU_ASSERT_STRING_EQUAL(f->rows[0].wolfe1, "true");
    CU_ASSERT_STRING_EQUAL(f->rows[0].wolfe2, "false");
    CU_ASSERT_STRING_EQUAL(f->rows[0].line_search_stop, "MaxNrIterations");
    CU_ASSERT_DOUBLE_EQUAL(mu[0], 1.0, 1e-12);
    fake_free(f);
}

typedef struct {
    const reg_optimizer_class_t *cls;
    fake_t *f;
} oom_arg_t;

static pipit_status_t
oom_run(void *arg)
{
    oom_arg_t *a = arg;
    double mu[2] = { 0.5, 0.5 };
    a->f->n_rows = 0;
    return run_opt(a->cls, a->f, mu, NULL);
}

/* Every allocation of configure + run (ASGD with its estimation) fails
 * in turn: "out of memory", nothing leaked. */
static void
test_out_of_memory(void)
{
    const reg_optimizer_class_t *all[] = {
        &pipit__reg_optimizer_asgd, &pipit__reg_optimizer_sgd,
        &pipit__reg_optimizer_rsgd, &pipit__reg_optimizer_lbfgs,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        fake_t *f = fake_new("(MaximumNumberOfIterations 3)\n",
                             COST_LINEAR, true);
        f->c[0] = 1.0, f->c[1] = 2.0;
        oom_arg_t a = { all[i], f };
        fail_each_allocation(oom_run, &a);
        fake_free(f);
    }
}

/* configure for each level on one state: the per-resolution entries. */
static void
test_levels(void)
{
    fake_t *f = fake_new("(MaximumNumberOfIterations 3 5)\n"
                         "(MaximumStepLength 4 2)\n(MinimumStepLength 0)\n",
                         COST_LINEAR, false);
    f->c[0] = 1.0, f->c[1] = 0.0;
    _Alignas(16) unsigned char st[1024];
    memset(st, 0, sizeof st);
    const reg_optimizer_class_t *cls = &pipit__reg_optimizer_rsgd;
    double mu[2] = { 0.0, 0.0 };
    ASSERT_OK(cls->configure(st, &f->map, 0));
    ASSERT_OK(cls->run(st, &f->pb, mu));
    CU_ASSERT_DOUBLE_EQUAL(mu[0], -12.0, 1e-12);
    ASSERT_OK(cls->configure(st, &f->map, 1));
    ASSERT_OK(cls->run(st, &f->pb, mu));
    CU_ASSERT_DOUBLE_EQUAL(mu[0], -22.0, 1e-12);
    CU_ASSERT_EQUAL(f->n_rows, 8);
    cls->finalize(st);
    fake_free(f);
}

const test_case_t test_reg_optimizers_cases[] = {
    { "rsgd_quadratic", test_rsgd_quadratic },
    { "rsgd_defaults", test_rsgd_defaults },
    { "asgd_manual", test_asgd_manual },
    { "asgd_time", test_asgd_time },
    { "asgd_noisy", test_asgd_noisy },
    { "asgd_estimate", test_asgd_estimate },
    { "asgd_estimate_scaled", test_asgd_estimate_scaled },
    { "asgd_displacement", test_asgd_displacement },
    { "sgd", test_sgd },
    { "lbfgs_rosenbrock", test_lbfgs_rosenbrock },
    { "lbfgs_quadratic", test_lbfgs_quadratic },
    { "cancel", test_cancel },
    { "bad_keys", test_bad_keys },
    { "levels", test_levels },
    { "out_of_memory", test_out_of_memory },
    { NULL, NULL },
};

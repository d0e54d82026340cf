/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AdaptiveStochasticGradientDescent and StandardGradientDescent
 * (shared/spec/elastix-compat.md §7.7): y_{k+1} = y_k - γ_k g_k in scaled
 * space with γ_k = a / (t_k + A + 1)^α. ASGD moves its time t_k by a
 * sigmoid of -g_k·g_{k-1} (fast while the gradients agree, slower once
 * they oscillate) and can estimate a, α and the sigmoid itself from the
 * images and the transform (asgd_estimate.c). StandardGradientDescent
 * (optimizer_sgd.c) runs the same iterations with t_k = k.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "optimizer_asgd_impl.h"

pipit_status_t
pipit__asgd_grow(double **p, size_t *cap, size_t n)
{
    if (*cap >= n && *p != NULL)
        return PIPIT_OK;
    pipit__free(*p);
    *cap = 0;
    if ((*p = pipit__calloc(n, sizeof(double))) == NULL)
        return pipit__error_nomem();
    *cap = n;
    return PIPIT_OK;
}

static pipit_status_t
positive(const reg_map_t *m, const char *key, unsigned level, double v)
{
    return v > 0.0 ? PIPIT_OK
                   : pipit__reg_key_error(m, key, level, PIPIT_EINVAL,
                                          "must be > 0");
}

/* Keys common to both: iteration count and the manual gain. */
pipit_status_t
pipit__asgd_read_gain(asgd_t *o, const reg_map_t *m, unsigned level,
                      double A_dflt)
{
    pipit_status_t s;
    o->map = m;
    o->level = level;
    if ((s = pipit__reg_get_int_in(m, "MaximumNumberOfIterations", level, 500,
                                   0, INT32_MAX, &o->max_iter)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "SP_a", level, 400.0, &o->user.a)) !=
            PIPIT_OK ||
        (s = pipit__reg_get_double(m, "SP_A", level, A_dflt, &o->user.A)) !=
            PIPIT_OK ||
        (s = pipit__reg_get_double(m, "SP_alpha", level, 0.602,
                                   &o->user.alpha)) != PIPIT_OK)
        return s;
    /* a = 0 is allowed, as elastix allows it: no step, the metric at the
     * start position (an exact evaluation, e.g. tests/data/registration/
     * exact_mi.txt). */
    if (!(o->user.a >= 0.0))
        return pipit__reg_key_error(m, "SP_a", level, PIPIT_EINVAL,
                                    "must be >= 0");
    if (!(o->user.A >= 0.0))
        return pipit__reg_key_error(m, "SP_A", level, PIPIT_EINVAL,
                                    "must be >= 0");
    if (!(o->user.alpha >= 0.0))
        return pipit__reg_key_error(m, "SP_alpha", level, PIPIT_EINVAL,
                                    "must be >= 0");
    return PIPIT_OK;
}

static pipit_status_t
asgd_configure(void *st, const reg_map_t *m, unsigned level)
{
    asgd_t *o = st;
    pipit_status_t s = pipit__asgd_read_gain(o, m, level, 20.0);
    const char *method, *disp, *sampler;
    bool region = false;
    if (s != PIPIT_OK)
        return s;
    /* UseCruzAcceleration is the older name of UseAdaptiveStepSizes. */
    const char *adaptive_key = "UseAdaptiveStepSizes";
    if (pipit__reg_count(m, adaptive_key) == 0 &&
        pipit__reg_count(m, "UseCruzAcceleration") > 0)
        adaptive_key = "UseCruzAcceleration";
    if ((s = pipit__reg_get_bool(m, "AutomaticParameterEstimation", level,
                                 true, &o->automatic)) != PIPIT_OK ||
        (s = pipit__reg_get_bool(m, adaptive_key, level, true,
                                 &o->adaptive)) != PIPIT_OK ||
        (s = pipit__reg_get_bool(m, "UseConstantStep", level, false,
                                 &o->constant_step)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "SigmoidMax", level, 1.0,
                                   &o->user.fmax)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "SigmoidMin", level, -0.8,
                                   &o->user.fmin)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "SigmoidScale", level, 1e-8,
                                   &o->user.omega)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "SigmoidInitialTime", level, 0.0,
                                   &o->t0)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "MaximumStepLength", level, 0.0,
                                   &o->max_step)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "MaximumStepLengthRatio", level, 1.0,
                                   &o->max_step_ratio)) != PIPIT_OK ||
        (s = pipit__reg_get_int_in(m, "NumberOfJacobianMeasurements", level,
                                   0, 0, INT32_MAX, &o->n_jacobian)) !=
            PIPIT_OK ||
        (s = pipit__reg_get_int_in(m, "NumberOfGradientMeasurements", level,
                                   0, 0, INT32_MAX, &o->n_gradient)) !=
            PIPIT_OK ||
        (s = pipit__reg_get_int_in(m, "NumberOfSamplesForExactGradient",
                                   level, 100000, 1, INT32_MAX,
                                   &o->n_exact)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "SigmoidScaleFactor", level, 0.1,
                                   &o->sigmoid_scale_factor)) != PIPIT_OK ||
        (s = pipit__reg_get_string(m, "ASGDParameterEstimationMethod", 0,
                                   "Original", &method)) != PIPIT_OK ||
        (s = pipit__reg_get_string(m, "MaximumDisplacementEstimationMethod",
                                   0, "2sigma", &disp)) != PIPIT_OK ||
        (s = pipit__reg_get_bool(m, "NoiseCompensation", 0, true,
                                 &o->noise_compensation)) != PIPIT_OK ||
        (s = pipit__reg_get_string(m, "ImageSampler", 0, "", &sampler)) !=
            PIPIT_OK)
        return s;
    /* The sigmoid needs f_max > 0 > f_min for f(0) = 0 to exist. */
    if (!(o->user.fmax > 0.0))
        return pipit__reg_key_error(m, "SigmoidMax", level, PIPIT_EINVAL,
                                    "must be > 0");
    if (!(o->user.fmin < 0.0))
        return pipit__reg_key_error(m, "SigmoidMin", level, PIPIT_EINVAL,
                                    "must be < 0");
    if ((s = positive(m, "SigmoidScale", level, o->user.omega)) != PIPIT_OK ||
        (s = positive(m, "MaximumStepLengthRatio", level,
                      o->max_step_ratio)) != PIPIT_OK ||
        (s = positive(m, "SigmoidScaleFactor", level,
                      o->sigmoid_scale_factor)) != PIPIT_OK)
        return s;
    if (pipit__reg_count(m, "MaximumStepLength") > 0 &&
        (s = positive(m, "MaximumStepLength", level, o->max_step)) !=
            PIPIT_OK)
        return s;
    if (strcmp(method, "Original") == 0)
        o->method = ASGD_ORIGINAL;
    else if (strcmp(method, "OriginalButSigmoidToDefault") == 0)
        o->method = ASGD_ORIGINAL_SIGMOID_DEFAULT;
    else if (strcmp(method, "DisplacementDistribution") == 0)
        o->method = ASGD_DISPLACEMENT;
    else
        return pipit__reg_key_error(
            m, "ASGDParameterEstimationMethod", 0, PIPIT_EINVAL,
            "supported: Original, OriginalButSigmoidToDefault, "
            "DisplacementDistribution");
    if (strcmp(disp, "2sigma") == 0)
        o->percentile95 = false;
    else if (strcmp(disp, "95percentile") == 0)
        o->percentile95 = true;
    else
        return pipit__reg_key_error(m, "MaximumDisplacementEstimationMethod",
                                    0, PIPIT_EINVAL,
                                    "supported: 2sigma, 95percentile");
    /* A random sample region changes the cost between iterations, so
     * consecutive gradients say nothing about oscillation (elastix). */
    if (strcmp(sampler, "RandomCoordinate") == 0) {
        if ((s = pipit__reg_get_bool(m, "UseRandomSampleRegion", level, false,
                                     &region)) != PIPIT_OK)
            return s;
        if (region)
            o->adaptive = false;
    }
    return PIPIT_OK;
}

/* f(x) = f_min + (f_max - f_min) / (1 + exp(-(x - β)/ω)), f(0) = 0. */
static double
sigmoid(const asgd_gain_t *g, double x)
{
    double beta = g->omega * log(-g->fmax / g->fmin);
    return g->fmin + (g->fmax - g->fmin) / (1.0 + exp(-(x - beta) / g->omega));
}

/* The n-sized arrays, one block kept across levels. */
static pipit_status_t
reserve(asgd_t *o, size_t n)
{
    pipit_status_t s;
    size_t n6;
    if (pipit__mul_overflows(n, 6, &n6))
        return pipit__error(PIPIT_ERANGE, "ASGD: %zu parameters", n);
    if ((s = pipit__asgd_grow(&o->work, &o->cap_n, n6)) != PIPIT_OK)
        return s;
    o->g = o->work, o->gy = o->g + n, o->prev = o->gy + n;
    o->mu0 = o->prev + n, o->gex = o->mu0 + n, o->gap = o->gex + n;
    return PIPIT_OK;
}

pipit_status_t
pipit__asgd_iterate(asgd_t *o, reg_problem_t *pb, double *mu, bool sgd)
{
    size_t n = pb->n;
    pipit_status_t s;
    if ((s = reserve(o, n)) != PIPIT_OK)
        return s;
    const asgd_gain_t *g = &o->used;
    double t = o->t0;
    for (int64_t k = 0; k < o->max_iter; k++) {
        double value;
        if ((s = pb->evaluate(pb, mu, &value, o->g)) != PIPIT_OK)
            return s;
        double gg = 0.0;
        for (size_t i = 0; i < n; i++) {
            o->gy[i] = o->g[i] / pb->scales[i];
            gg += o->gy[i] * o->gy[i];
        }
        double time = sgd ? (double)k : t;
        double base = o->constant_step ? g->A + 1.0 : time + g->A + 1.0;
        double gain = g->a / pow(base, g->alpha);
        for (size_t i = 0; i < n; i++)
            mu[i] -= gain * o->gy[i] / pb->scales[i];
        reg_iteration_t it = {
            .iteration = (size_t)k, .metric = value, .step_size = gain,
            .gradient_norm = sqrt(gg), .asgd_time = sgd ? NAN : time,
            .search_dir_norm = NAN, .dir_gradient = NAN,
        };
        if ((s = pb->report(pb, &it)) != PIPIT_OK)
            return s;
        if (o->adaptive) {
            if (k > 0) {
                double dot = 0.0;
                for (size_t i = 0; i < n; i++)
                    dot += o->gy[i] * o->prev[i];
                t = fmax(0.0, t + sigmoid(g, -dot));
            }
            memcpy(o->prev, o->gy, n * sizeof(double));
        } else {
            t += 0.5 * (g->fmax + g->fmin);
        }
        if ((s = pb->new_samples(pb)) != PIPIT_OK)
            return s;
    }
    return PIPIT_OK;
}

static pipit_status_t
asgd_run(void *st, reg_problem_t *pb, double *mu)
{
    asgd_t *o = st;
    pipit_status_t s;
    o->used = o->user;
    if ((s = reserve(o, pb->n)) != PIPIT_OK)
        return s;
    if (o->automatic) {
        if ((s = pipit__asgd_estimate(o, pb, mu)) != PIPIT_OK)
            return s;
    }
    const reg_map_t *m = pb->L != NULL ? pb->L->map : o->map;
    pipit__reg_info(m, "SP_a: %g", o->used.a);
    pipit__reg_info(m, "SP_A: %g", o->used.A);
    pipit__reg_info(m, "SP_alpha: %g", o->used.alpha);
    pipit__reg_info(m, "SigmoidMax: %g", o->used.fmax);
    pipit__reg_info(m, "SigmoidMin: %g", o->used.fmin);
    pipit__reg_info(m, "SigmoidScale: %g", o->used.omega);
    return pipit__asgd_iterate(o, pb, mu, false);
}

void
pipit__asgd_finalize(void *st)
{
    asgd_t *o = st;
    pipit__free(o->work);
    pipit__free(o->c), pipit__free(o->jac_index), pipit__free(o->jac_value);
    pipit__free(o->jc), pipit__free(o->dist);
    memset(o, 0, sizeof *o);
}

const reg_optimizer_class_t pipit__reg_optimizer_asgd = {
    .name = "AdaptiveStochasticGradientDescent",
    .state_size = sizeof(asgd_t),
    .configure = asgd_configure,
    .run = asgd_run,
    .finalize = pipit__asgd_finalize,
    .columns = "1:ItNr\t2:Metric\t3a:Time\t3b:StepSize\t4:||Gradient||\t"
               "Time[ms]",
};

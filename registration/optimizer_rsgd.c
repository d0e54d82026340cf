/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RegularStepGradientDescent (shared/spec/elastix-compat.md §7.7): steps
 * of length λ along -g/|g| in scaled space, λ multiplied by
 * RelaxationFactor whenever the gradient turns (g·g_prev < 0), as ITK's
 * classic optimizer does. It stops on a small gradient, a step below
 * MinimumStepLength, or the iteration count; only steps taken get a row.
 */
#include <math.h>

#include "error_impl.h"
#include "reg_impl.h"

typedef struct {
    const reg_map_t *map;
    int64_t max_iter;
    double max_step, min_step, min_grad, relax;
    /* workspaces of run, kept across levels */
    size_t cap;
    double *g, *gy, *prev;
} rsgd_t;

static pipit_status_t
rsgd_configure(void *st, const reg_map_t *m, unsigned level)
{
    rsgd_t *o = st;
    pipit_status_t s;
    double r2 = ldexp(1.0, -(int)level);
    o->map = m;
    if ((s = pipit__reg_get_int_in(m, "MaximumNumberOfIterations", level, 500,
                                   0, INT32_MAX, &o->max_iter)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "MaximumStepLength", level, 16.0 * r2,
                                   &o->max_step)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "MinimumStepLength", level, 0.5 * r2,
                                   &o->min_step)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "MinimumGradientMagnitude", level,
                                   1e-8, &o->min_grad)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "RelaxationFactor", level, 0.5,
                                   &o->relax)) != PIPIT_OK)
        return s;
    if (!(o->max_step > 0.0))
        return pipit__reg_key_error(m, "MaximumStepLength", level,
                                    PIPIT_EINVAL, "must be > 0");
    if (o->min_step < 0.0)
        return pipit__reg_key_error(m, "MinimumStepLength", level,
                                    PIPIT_EINVAL, "must be >= 0");
    if (o->min_grad < 0.0)
        return pipit__reg_key_error(m, "MinimumGradientMagnitude", level,
                                    PIPIT_EINVAL, "must be >= 0");
    /* 1 would never shrink the step; >1 or <=0 would diverge. */
    if (!(o->relax > 0.0 && o->relax < 1.0))
        return pipit__reg_key_error(m, "RelaxationFactor", level,
                                    PIPIT_EINVAL,
                                    "must be between 0 and 1 (exclusive)");
    return PIPIT_OK;
}

static pipit_status_t
reserve(rsgd_t *o, size_t n)
{
    if (o->cap >= n)
        return PIPIT_OK;
    pipit__free(o->g), pipit__free(o->gy), pipit__free(o->prev);
    o->cap = 0;
    o->g = pipit__calloc(n, sizeof(double));
    o->gy = pipit__calloc(n, sizeof(double));
    o->prev = pipit__calloc(n, sizeof(double));
    if (o->g == NULL || o->gy == NULL || o->prev == NULL)
        return pipit__error_nomem();
    o->cap = n;
    return PIPIT_OK;
}

static pipit_status_t
rsgd_run(void *st, reg_problem_t *pb, double *mu)
{
    rsgd_t *o = st;
    size_t n = pb->n;
    pipit_status_t s = reserve(o, n);
    if (s != PIPIT_OK)
        return s;
    double lambda = o->max_step;
    for (size_t i = 0; i < n; i++)
        o->prev[i] = 0.0;
    for (int64_t k = 0; k < o->max_iter; k++) {
        double value;
        if ((s = pb->evaluate(pb, mu, &value, o->g)) != PIPIT_OK)
            return s;
        double gg = 0.0, turn = 0.0;
        for (size_t i = 0; i < n; i++) {
            o->gy[i] = o->g[i] / pb->scales[i];
            gg += o->gy[i] * o->gy[i];
            turn += o->gy[i] * o->prev[i];
        }
        double norm = sqrt(gg);
        if (norm < o->min_grad || norm == 0.0)
            break;
        if (turn < 0.0)
            lambda *= o->relax;
        if (lambda < o->min_step)
            break;
        double f = lambda / norm;
        for (size_t i = 0; i < n; i++) {
            mu[i] -= f * o->gy[i] / pb->scales[i];
            o->prev[i] = o->gy[i];
        }
        reg_iteration_t it = {
            .iteration = (size_t)k, .metric = value, .step_size = lambda,
            .gradient_norm = norm, .asgd_time = NAN,
            .search_dir_norm = NAN, .dir_gradient = NAN,
        };
        if ((s = pb->report(pb, &it)) != PIPIT_OK)
            return s;
        if ((s = pb->new_samples(pb)) != PIPIT_OK)
            return s;
    }
    return PIPIT_OK;
}

static void
rsgd_finalize(void *st)
{
    rsgd_t *o = st;
    pipit__free(o->g), pipit__free(o->gy), pipit__free(o->prev);
    o->g = o->gy = o->prev = NULL;
    o->cap = 0;
}

const reg_optimizer_class_t pipit__reg_optimizer_rsgd = {
    .name = "RegularStepGradientDescent",
    .state_size = sizeof(rsgd_t),
    .configure = rsgd_configure,
    .run = rsgd_run,
    .finalize = rsgd_finalize,
    .columns = "1:ItNr\t2:Metric\t3:StepSize\t4:||Gradient||\tTime[ms]",
};

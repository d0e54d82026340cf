/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration node (registration/pipit/registration.h): for each
 * parameter map in turn and each resolution of its pyramids, an optimizer
 * drives the transform's parameters to minimise a metric over samples of
 * the fixed image (spec §5). The components come from the tables of
 * components.c; this file owns the run: images, masks, generator, sample
 * sets, the cost the optimizer sees, the iteration rows and the result.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pipit/filters.h>
#include <pipit/registration.h>

#include "node_impl.h"
#include "pixel_convert_impl.h"
#include "reg_impl.h"
#include "registration_impl.h"

typedef struct registration {
    pipit_node_t base;
    pipit_registration_iteration_fn iter_fn;
    void *iter_user;
    pipit_registration_log_fn log_fn;
    void *log_user;
    unsigned threads;
    /* the last run's results, one per map */
    pipit_transform_t **maps;
    double *metrics;
    size_t n_maps;
} registration_t;

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- logging -------------------------------------------------------- */

static void
log_line(const char *line, void *user)
{
    registration_t *r = user;
    if (r->log_fn != NULL)
        r->log_fn(line, r->log_user);
    else
        pipit__log(PIPIT_LOG_INFO, "%s", line);
}

static void
logf_(registration_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
logf_(registration_t *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_line(line, r);
}

/* ---- one map's run ---------------------------------------------------- */

typedef struct run {
    registration_t *reg;
    reg_map_t map;
    reg_level_t L;
    reg_rng_t rng;
    size_t n_samplers, n_metrics;
    const reg_sampler_class_t *sampler_k[REG_MAX_METRICS];
    const reg_metric_class_t *metric_k[REG_MAX_METRICS];
    const reg_optimizer_class_t *opt_k;
    void *sampler[REG_MAX_METRICS], *metric[REG_MAX_METRICS], *opt;
    reg_samples_t samples[REG_MAX_METRICS], grid;
    /* Metric<j>Weight and Metric<j>Use of the level; `part` holds one
     * metric's derivative while several are summed. */
    double weight[REG_MAX_METRICS];
    bool use[REG_MAX_METRICS];
    int64_t attempts; /* MaximumNumberOfSamplingAttempts of the level */
    double *part;
    /* What `grid` holds: level + 1 (0: nothing yet) and the n asked. */
    unsigned grid_level;
    size_t grid_n;
    reg_problem_t pb;
    bool new_samples;
    double t_begin, t_iter;
    double last_metric;
    size_t iterations;
    /* Per metric, its figures at the last evaluation on the iteration's
     * samples, as elastix's combination metric keeps them for the
     * IterationInfo: the unweighted value, the norm of its unweighted
     * and unscaled derivative (NaN when none was asked) and its wall
     * time. A metric with Use "false" is evaluated for them too (as
     * elastix does) but only when someone reads them. */
    double m_value[REG_MAX_METRICS], m_norm[REG_MAX_METRICS];
    double m_ms[REG_MAX_METRICS];
    /* The weights and uses the reported value really combines: under
     * MultiResolutionRegistration the metric as it is (weight 1). */
    double m_weight[REG_MAX_METRICS];
    bool m_used[REG_MAX_METRICS];
    /* MultiMetricMultiResolutionRegistration: IterationInfo gains the
     * per-metric columns (even for one metric, as elastix's). */
    bool multi;
    /* The map's IterationInfo header, its columns sorted by name as
     * elastix sorts them, and where each comes from: an optimizer column
     * (< n_base) or 3 j + {0 Metric<j>, 1 ||Gradient<j>||, 2 Time<j>}. */
    char header[1024];
    unsigned char col_src[64];
    size_t n_cols, n_base;
    char cells[1024]; /* the optimizer's row, cut at its tabs */
    char row[2048];
} run_t;

static pipit_status_t
set_mu(const reg_level_t *L, const double *mu)
{
    const double *cur = pipit_transform_parameters(L->optimized);
    if (memcmp(cur, mu, L->n_params * sizeof *mu) == 0)
        return PIPIT_OK;
    return pipit_transform_set_parameters(L->optimized, mu, L->n_params);
}

/* Work on fewer samples than this runs on the calling thread alone: a
 * few thousand samples take tens of microseconds, about what handing
 * them to the pool and waiting for the workers costs, and the workers
 * then spin between iterations, CPU time taken from whatever else runs
 * (on a busy machine, from this very thread). The pieces and their
 * merge order do not depend on the cap: the results are the same. */
#define REG_PARALLEL_MIN_SAMPLES 16384
/* ... unless each sample is heavy: a sample's work grows with the
 * parameters its transform's Jacobian touches (a 3-D cubic B-spline's
 * 192, against a rigid transform's 3 or an affine's 12), and above this
 * many sample-parameter products an evaluation takes a millisecond or
 * more (3-D B-spline, 4096 samples: 1.8 ms), far above the hand-off. */
#define REG_PARALLEL_MIN_PRODUCTS ((size_t)1 << 18)

/* Caps this thread's loops at one worker when n samples of a transform
 * whose Jacobian touches m parameters are too little work to share;
 * returns the cap to restore. */
static unsigned
cap_small(size_t n, size_t m, bool *capped)
{
    *capped = n < REG_PARALLEL_MIN_SAMPLES &&
              n * m < REG_PARALLEL_MIN_PRODUCTS;
    return *capped ? pipit_pool_set_local_limit(1) : 0;
}

/* The parameters a sample's Jacobian touches at most. */
static size_t
jacobian_size(const reg_level_t *L)
{
    return pipit_transform_jacobian_size(L->transform);
}

static void
uncap(bool capped, unsigned old)
{
    if (capped)
        pipit_pool_set_local_limit(old);
}

/* The samples metric j reads. */
static reg_samples_t *
samples_of(run_t *run, size_t j)
{
    return &run->samples[j < run->n_samplers ? j : 0];
}

/* The Euclidean norm of d (n values); NaN when there is no derivative. */
static double
norm_of(const double *d, size_t n)
{
    if (d == NULL)
        return NAN;
    double s = 0.0;
    for (size_t k = 0; k < n; k++)
        s += d[k] * d[k];
    return sqrt(s);
}

/* The cost over `set` (NULL: each metric's own samples): one metric as
 * it is, several as sum_j w_j C_j over those in use. On the iteration's
 * samples each metric's figures are kept for the report; they are extra
 * reads, the combination's arithmetic is the same with or without them. */
static pipit_status_t
cost(run_t *run, const reg_samples_t *set, double *value, double *deriv)
{
    const reg_level_t *L = &run->L;
    size_t valid;
    bool keep = set == NULL;
    /* One metric of a MultiResolutionRegistration enters as it is; under
     * MultiMetricMultiResolutionRegistration even a lone one is weighted
     * by Metric0Weight, as elastix's combination metric weights it. */
    if (!run->multi) {
        const reg_samples_t *s = set != NULL ? set : samples_of(run, 0);
        double t0 = keep ? now_s() : 0.0;
        pipit_status_t st = run->metric_k[0]->evaluate(
            run->metric[0], L, s, value, deriv, &valid);
        if (keep && st == PIPIT_OK) {
            run->m_ms[0] = 1e3 * (now_s() - t0);
            run->m_value[0] = *value;
            run->m_norm[0] = norm_of(deriv, L->n_params);
        }
        return st;
    }
    /* A metric left out is evaluated only for someone to read it. */
    bool unused_too = keep && run->reg->iter_fn != NULL;
    *value = 0.0;
    if (deriv != NULL)
        memset(deriv, 0, L->n_params * sizeof *deriv);
    for (size_t j = 0; j < run->n_metrics; j++) {
        if (keep)
            run->m_value[j] = run->m_norm[j] = run->m_ms[j] = NAN;
        if (!run->use[j] && !unused_too)
            continue;
        const reg_samples_t *s = set != NULL ? set : samples_of(run, j);
        double v;
        double t0 = keep ? now_s() : 0.0;
        pipit_status_t st = run->metric_k[j]->evaluate(
            run->metric[j], L, s, &v, deriv != NULL ? run->part : NULL,
            &valid);
        if (!run->use[j] && st == PIPIT_ERANGE) {
            /* Too few samples inside for a metric left out: no figures,
             * and no new draw, which would change the result. */
            pipit_error_clear();
            continue;
        }
        if (st != PIPIT_OK)
            return st;
        if (keep) {
            run->m_ms[j] = 1e3 * (now_s() - t0);
            run->m_value[j] = v;
            run->m_norm[j] =
                norm_of(deriv != NULL ? run->part : NULL, L->n_params);
        }
        if (!run->use[j])
            continue;
        *value += run->weight[j] * v;
        if (deriv != NULL)
            for (size_t k = 0; k < L->n_params; k++)
                deriv[k] += run->weight[j] * run->part[k];
    }
    return PIPIT_OK;
}

static pipit_status_t
pb_evaluate(reg_problem_t *pb, const double *mu, double *value, double *deriv)
{
    run_t *run = pb->node;
    pipit_status_t st = set_mu(pb->L, mu);
    if (st != PIPIT_OK)
        return st;
    bool capped;
    unsigned old =
        cap_small(run->samples[0].n, jacobian_size(pb->L), &capped);
    st = cost(run, NULL, value, deriv);
    /* MaximumNumberOfSamplingAttempts: too many samples outside the
     * moving image (PIPIT_ERANGE) draws new ones and tries again. */
    for (int64_t k = 0; st == PIPIT_ERANGE && k < run->attempts; k++) {
        pipit_error_clear();
        for (size_t j = 0; j < run->n_samplers && st == PIPIT_ERANGE; j++) {
            pipit_status_t d = PIPIT_OK;
            if (run->sampler_k[j]->random)
                d = run->sampler_k[j]->draw(run->sampler[j], pb->L,
                                            &run->samples[j]);
            if (d != PIPIT_OK)
                st = d;
        }
        if (st == PIPIT_ERANGE)
            st = cost(run, NULL, value, deriv);
    }
    uncap(capped, old);
    return st;
}

static pipit_status_t
pb_new_samples(reg_problem_t *pb)
{
    run_t *run = pb->node;
    if (!pb->random_samples)
        return PIPIT_OK;
    bool capped;
    /* With the evaluation: workers that would spin between the two draw
     * the samples instead. */
    unsigned old =
        cap_small(run->samples[0].n, jacobian_size(pb->L), &capped);
    pipit_status_t st = PIPIT_OK;
    for (size_t j = 0; j < run->n_samplers && st == PIPIT_OK; j++)
        if (run->sampler_k[j]->random)
            st = run->sampler_k[j]->draw(run->sampler[j], pb->L,
                                         &run->samples[j]);
    uncap(capped, old);
    return st;
}

/* About n points on a regular voxel grid of the fixed level image,
 * inside the fixed mask: ASGD's measurements and exact gradients. */
static pipit_status_t
fill_grid(run_t *run, size_t n)
{
    const reg_level_t *L = &run->L;
    /* ASGD asks for the same grid a dozen times per level. */
    if (run->grid_level == L->level + 1 && run->grid_n == n)
        return PIPIT_OK;
    run->grid_level = 0;
    const pipit_image_t *f = L->fixed;
    unsigned d = L->dim;
    const size_t *size = pipit_image_size(f);
    size_t total = 1;
    for (unsigned a = 0; a < d; a++)
        total *= size[a];
    size_t step = n == 0 ? 1 : (size_t)floor(pow((double)total / (double)n,
                                                 1.0 / d));
    if (step < 1)
        step = 1;
    size_t cap = 1;
    for (unsigned a = 0; a < d; a++)
        cap *= (size[a] + step - 1) / step;
    pipit_status_t st = pipit__reg_samples_reserve(&run->grid, d, cap);
    if (st != PIPIT_OK)
        return st;
    size_t k = 0, i[PIPIT_MAX_DIM] = { 0 };
    for (;;) {
        double c[PIPIT_MAX_DIM], *p = run->grid.points + k * d;
        for (unsigned a = 0; a < d; a++)
            c[a] = (double)i[a];
        pipit_image_index_to_point(f, c, p);
        if (L->fixed_mask == NULL || pipit__reg_mask_inside(L->fixed_mask, p))
            run->grid.values[k++] = pipit_image_get_value(f, i, 0);
        unsigned a = 0;
        for (; a < d; a++) {
            i[a] += step;
            if (i[a] < size[a])
                break;
            i[a] = 0;
        }
        if (a == d)
            break;
    }
    run->grid.n = k;
    run->grid_level = L->level + 1;
    run->grid_n = n;
    return PIPIT_OK;
}

static pipit_status_t
pb_evaluate_exact(reg_problem_t *pb, const double *mu, size_t n,
                  double *value, double *deriv)
{
    run_t *run = pb->node;
    pipit_status_t st;
    if ((st = fill_grid(run, n)) != PIPIT_OK ||
        (st = set_mu(pb->L, mu)) != PIPIT_OK)
        return st;
    bool capped;
    unsigned old = cap_small(run->grid.n, jacobian_size(pb->L), &capped);
    st = cost(run, &run->grid, value, deriv);
    uncap(capped, old);
    return st;
}

static pipit_status_t
pb_grid_points(reg_problem_t *pb, size_t n, const double **points,
               size_t *count)
{
    run_t *run = pb->node;
    pipit_status_t st = fill_grid(run, n);
    if (st != PIPIT_OK)
        return st;
    *points = run->grid.points;
    *count = run->grid.n;
    return PIPIT_OK;
}

/* The optimizer's own IterationInfo cells (spec §2.4), tab-separated in
 * the order of its `columns`, into b. */
static void
format_row(const run_t *run, const reg_iteration_t *it, double ms, char *b,
           size_t cap)
{
    const char *name = run->opt_k->name;
    if (strcmp(name, "AdaptiveStochasticGradientDescent") == 0)
        snprintf(b, cap, "%zu\t%.6f\t%.6f\t%.6f\t%.6f\t%.1f", it->iteration,
                 it->metric, it->asgd_time, it->step_size, it->gradient_norm,
                 ms);
    else if (strcmp(name, "QuasiNewtonLBFGS") == 0)
        snprintf(b, cap,
                 "%zu\t%zu\t%zu\t%.6f\t%.6f\t%.6f\t%.6f\t%.6f\t%s\t%s\t%s\t%s"
                 "\t%.1f",
                 it->iteration, it->search_direction, it->line_iteration,
                 it->metric, it->step_size, it->gradient_norm,
                 it->search_dir_norm, it->dir_gradient,
                 it->phase != NULL ? it->phase : "",
                 it->wolfe1 != NULL ? it->wolfe1 : "",
                 it->wolfe2 != NULL ? it->wolfe2 : "",
                 it->line_search_stop != NULL ? it->line_search_stop : "",
                 ms);
    else
        snprintf(b, cap, "%zu\t%.6f\t%.6f\t%.6f\t%.1f", it->iteration,
                 it->metric, it->step_size, it->gradient_norm, ms);
}

/* Appends to b (capacity cap, *len used), truncating at the end. */
static void
append(char *b, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
append(char *b, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

/* The name of column src (col_src's numbering) into b. */
static void
column_name(const run_t *run, size_t src, char *b, size_t cap)
{
    if (src < run->n_base) {
        const char *c = run->opt_k->columns;
        for (size_t i = 0; i < src; i++)
            c = strchr(c, '\t') + 1;
        size_t n = strcspn(c, "\t");
        snprintf(b, cap, "%.*s", (int)n, c);
        return;
    }
    /* j zero-padded to the digits of the metric count, as elastix */
    int width = 0;
    for (size_t i = run->n_metrics; i > 0; i /= 10)
        width++;
    size_t j = (src - run->n_base) / 3;
    static const char *const forms[] = { "2:Metric%0*zu",
                                         "4:||Gradient%0*zu||",
                                         "Time%0*zu[ms]" };
    snprintf(b, cap, forms[(src - run->n_base) % 3], width, j);
}

/* The map's IterationInfo header: the optimizer's columns and, for a
 * multi-metric registration, 2:Metric<j>, 4:||Gradient<j>|| and
 * Time<j>[ms] per metric, sorted by name in byte order as elastix's
 * table keeps its columns (so 4:||Gradient0|| comes before
 * 4:||Gradient|| and 4a:||Gradient||). Without them the header is the
 * optimizer's, unchanged. */
static void
make_header(run_t *run)
{
    char names[64][40];
    const char *c = run->opt_k->columns;
    run->n_base = 1;
    for (; *c != '\0'; c++)
        run->n_base += *c == '\t';
    run->n_cols = run->n_base + (run->multi ? 3 * run->n_metrics : 0);
    assert(run->n_cols <= sizeof run->col_src);
    for (size_t i = 0; i < run->n_cols; i++) {
        column_name(run, i, names[i], sizeof names[i]);
        size_t k = i;
        if (run->multi) /* insertion sort; a dozen or so columns */
            for (; k > 0 && strcmp(names[run->col_src[k - 1]], names[i]) > 0;
                 k--)
                run->col_src[k] = run->col_src[k - 1];
        run->col_src[k] = (unsigned char)i;
    }
    size_t len = 0;
    run->header[0] = '\0';
    for (size_t k = 0; k < run->n_cols; k++)
        append(run->header, sizeof run->header, &len, "%s%s",
               k > 0 ? "\t" : "", names[run->col_src[k]]);
}

/* The IterationInfo row of spec §2.4 in the header's order. */
static void
make_row(run_t *run, const reg_iteration_t *it, double ms)
{
    if (!run->multi) {
        format_row(run, it, ms, run->row, sizeof run->row);
        return;
    }
    format_row(run, it, ms, run->cells, sizeof run->cells);
    const char *cell[64];
    char *c = run->cells;
    for (size_t i = 0; i < run->n_base; i++) {
        cell[i] = c;
        char *tab = strchr(c, '\t');
        if (tab == NULL) { /* a truncated row: the rest stays empty */
            for (i++; i < run->n_base; i++)
                cell[i] = "";
            break;
        }
        *tab = '\0';
        c = tab + 1;
    }
    size_t len = 0;
    run->row[0] = '\0';
    for (size_t k = 0; k < run->n_cols; k++) {
        const char *sep = k > 0 ? "\t" : "";
        size_t src = run->col_src[k];
        if (src < run->n_base) {
            append(run->row, sizeof run->row, &len, "%s%s", sep, cell[src]);
            continue;
        }
        size_t j = (src - run->n_base) / 3, kind = (src - run->n_base) % 3;
        if (kind == 0)
            append(run->row, sizeof run->row, &len, "%s%.6f", sep,
                   run->m_value[j]);
        else if (kind == 1)
            append(run->row, sizeof run->row, &len, "%s%.6f", sep,
                   run->m_norm[j]);
        else
            append(run->row, sizeof run->row, &len, "%s%.1f", sep,
                   run->m_ms[j]);
    }
}

static pipit_status_t
pb_report(reg_problem_t *pb, const reg_iteration_t *it)
{
    run_t *run = pb->node;
    registration_t *r = run->reg;
    double t = now_s();
    double ms = 1e3 * (t - run->t_iter);
    run->t_iter = t;
    run->last_metric = it->metric;
    run->iterations++;
    if (r->iter_fn == NULL)
        return PIPIT_OK;
    make_row(run, it, ms);
    pipit_registration_iteration_t pub = {
        .map = run->map.index,
        .level = run->L.level,
        .n_levels = run->map.n_levels,
        .iteration = it->iteration,
        .metric = it->metric,
        .step_size = it->step_size,
        .gradient_norm = it->gradient_norm,
        .time_ms = ms,
        .elapsed_s = t - run->t_begin,
        .asgd_time = it->asgd_time,
        .optimizer = run->opt_k->name,
        .row = run->row,
        .header = run->header,
        .transform = run->L.transform,
        .n_metrics = run->n_metrics,
        .metric_values = run->m_value,
        .metric_gradient_norms = run->m_norm,
        .metric_times_ms = run->m_ms,
        .metric_weights = run->m_weight,
        .metric_used = run->m_used,
    };
    if (r->iter_fn(&pub, r->iter_user) != 0)
        return pipit__error(PIPIT_ECANCELED,
                            "registration cancelled at map %u, resolution "
                            "%u, iteration %zu",
                            run->map.index, run->L.level, it->iteration);
    return PIPIT_OK;
}

/* ---- components of a map ------------------------------------------------ */

static pipit_status_t
component_name(const reg_map_t *m, const char *key, const char *dflt,
               const char **out)
{
    pipit_status_t st = pipit__reg_get_string(m, key, 0, dflt, out);
    if (st == PIPIT_OK && *out == NULL)
        return pipit__error(PIPIT_EINVAL,
                            "%s: %s: missing; elastix requires it",
                            pipit__reg_map_file(m), key);
    return st;
}

pipit_status_t
pipit__reg_map_components(const reg_map_t *m, reg_components_t *c)
{
    const char *name;
    pipit_status_t st;
    *c = (reg_components_t){ 0 };
    if ((st = component_name(m, "Registration", "MultiResolutionRegistration",
                             &name)) != PIPIT_OK)
        return st;
    static const char *const registrations[] = {
        "MultiResolutionRegistration",
        "MultiMetricMultiResolutionRegistration", NULL
    };
    if ((st = pipit__reg_check_name(m, "Registration", name,
                                    registrations)) != PIPIT_OK)
        return st;
    c->multi = strcmp(name, registrations[1]) == 0;
    c->n_metrics = pipit__reg_count(m, "Metric");
    if (c->n_metrics == 0)
        return component_name(m, "Metric", NULL, &name);
    if (c->n_metrics > REG_MAX_METRICS)
        return pipit__reg_key_error(m, "Metric", 0, PIPIT_EINVAL,
                                    "more than 8 metrics");
    if (c->n_metrics > 1 && !c->multi)
        return pipit__reg_key_error(m, "Metric", 1, PIPIT_EINVAL,
                                    "several metrics need (Registration "
                                    "\"MultiMetricMultiResolutionRegistration"
                                    "\")");
    for (size_t j = 0; j < c->n_metrics; j++)
        if ((st = pipit__reg_get_string(m, "Metric", j, NULL, &name)) !=
                PIPIT_OK ||
            (c->metric[j] = pipit__reg_metric(m, name)) == NULL)
            return st != PIPIT_OK ? st : PIPIT_EINVAL;
    if ((st = component_name(m, "Optimizer", NULL, &name)) != PIPIT_OK ||
        (c->optimizer = pipit__reg_optimizer(m, name)) == NULL)
        return st != PIPIT_OK ? st : PIPIT_EINVAL;
    if ((st = component_name(m, "Transform", NULL, &name)) != PIPIT_OK ||
        (c->transform = pipit__reg_transform(m, name)) == NULL)
        return st != PIPIT_OK ? st : PIPIT_EINVAL;
    /* Every metric here is an "Advanced" one: they need a sampler. */
    if ((st = component_name(m, "ImageSampler", NULL, &name)) != PIPIT_OK)
        return st;
    c->n_samplers = pipit__reg_count(m, "ImageSampler");
    if (c->n_samplers > c->n_metrics)
        c->n_samplers = c->n_metrics; /* extra samplers serve nobody */
    for (size_t j = 0; j < c->n_samplers; j++)
        if ((st = pipit__reg_get_string(m, "ImageSampler", j, NULL,
                                        &name)) != PIPIT_OK ||
            (c->sampler[j] = pipit__reg_sampler(m, name)) == NULL)
            return st != PIPIT_OK ? st : PIPIT_EINVAL;
    if ((st = component_name(m, "FixedImagePyramid",
                             "FixedSmoothingImagePyramid", &name)) !=
            PIPIT_OK ||
        (c->fixed_pyramid =
             pipit__reg_pyramid(m, "FixedImagePyramid", name)) == NULL)
        return st != PIPIT_OK ? st : PIPIT_EINVAL;
    if ((st = component_name(m, "MovingImagePyramid",
                             "MovingSmoothingImagePyramid", &name)) !=
            PIPIT_OK ||
        (c->moving_pyramid =
             pipit__reg_pyramid(m, "MovingImagePyramid", name)) == NULL)
        return st != PIPIT_OK ? st : PIPIT_EINVAL;
    if ((st = component_name(m, "Interpolator", "BSplineInterpolator",
                             &c->interpolator)) != PIPIT_OK)
        return st;
    static const char *const interpolators[] = {
        "BSplineInterpolator", "BSplineInterpolatorFloat",
        "LinearInterpolator", "NearestNeighborInterpolator", NULL
    };
    if ((st = pipit__reg_check_name(m, "Interpolator", c->interpolator,
                                    interpolators)) != PIPIT_OK)
        return st;
    if ((st = component_name(m, "ResampleInterpolator",
                             "FinalBSplineInterpolator",
                             &c->resample_interpolator)) != PIPIT_OK)
        return st;
    static const char *const finals[] = {
        "FinalBSplineInterpolator", "FinalBSplineInterpolatorFloat",
        "FinalLinearInterpolator", "FinalNearestNeighborInterpolator", NULL
    };
    if ((st = pipit__reg_check_name(m, "ResampleInterpolator",
                                    c->resample_interpolator, finals)) !=
        PIPIT_OK)
        return st;
    if ((st = component_name(m, "Resampler", "DefaultResampler", &name)) !=
        PIPIT_OK)
        return st;
    static const char *const resamplers[] = { "DefaultResampler", NULL };
    return pipit__reg_check_name(m, "Resampler", name, resamplers);
}

/* The pyramid schedule as the pyramid filter's setting: FixedImagePyramid
 * Schedule (or Moving...), else ImagePyramidSchedule, else the default. */
static pipit_status_t
schedule_text(const reg_map_t *m, bool moving, char *buf, size_t cap,
              unsigned *factors)
{
    const char *key = moving ? "MovingImagePyramidSchedule"
                             : "FixedImagePyramidSchedule";
    if (pipit__reg_count(m, key) == 0)
        key = "ImagePyramidSchedule";
    size_t want = (size_t)m->n_levels * m->dim;
    size_t n = pipit__reg_count(m, key);
    buf[0] = '\0';
    for (size_t k = 0; k < want; k++)
        factors[k] = 1u << (m->n_levels - 1 - k / m->dim);
    if (n == 0)
        return PIPIT_OK;
    if (n != want) {
        pipit__reg_warn(m,
                        "%s has %zu values, not NumberOfResolutions x "
                        "dimension = %zu: the default schedule is used",
                        key, n, want);
        return PIPIT_OK;
    }
    size_t len = 0;
    for (size_t k = 0; k < n; k++) {
        int64_t v;
        pipit_status_t st = pipit__reg_get_int_in(m, key, k, 1, 0, 1000000,
                                                  &v);
        if (st != PIPIT_OK)
            return st;
        factors[k] = (unsigned)v;
        len += (size_t)snprintf(buf + len, cap - len, "%s%lld",
                                k > 0 ? " " : "", (long long)v);
        if (len >= cap)
            return pipit__error(PIPIT_ERANGE, "%s: too many values", key);
    }
    return PIPIT_OK;
}

static pipit_status_t
make_levels(const reg_map_t *m, const reg_pyramid_class_t *k,
            const pipit_image_t *in, bool moving, pipit_image_t **levels,
            unsigned *factors)
{
    char sched[1024];
    pipit_status_t st = schedule_text(m, moving, sched, sizeof sched,
                                      factors);
    if (st != PIPIT_OK)
        return st;
    pipit_node_t *p = pipit_pyramid_new(k->type, m->n_levels, 0);
    if (p == NULL)
        return PIPIT_ENOMEM;
    st = pipit_node_set_input_image(p, 0, (pipit_image_t *)in);
    if (st == PIPIT_OK && sched[0] != '\0')
        st = pipit_node_set(p, "schedule", sched);
    for (unsigned r = 0; r < m->n_levels && st == PIPIT_OK; r++) {
        if ((st = pipit_node_set_int(p, "level", r)) != PIPIT_OK ||
            (st = pipit_node_update(p)) != PIPIT_OK)
            break;
        /* The node reuses its output for the next level: keep a share. */
        levels[r] = pipit_image_share(pipit_node_get_output(p, 0));
        if (levels[r] == NULL)
            st = PIPIT_ENOMEM;
    }
    pipit_node_unref(p);
    return st;
}

/* ---- the run of one level ----------------------------------------------- */

/* Metric<j>Weight (default 1/n) and Metric<j>Use (default true) of level r
 * for a MultiMetricMultiResolutionRegistration. */
static pipit_status_t
metric_weights(run_t *run, unsigned r)
{
    pipit_status_t st = PIPIT_OK;
    bool any = false;
    for (size_t j = 0; j < run->n_metrics && st == PIPIT_OK; j++) {
        char key[32];
        snprintf(key, sizeof key, "Metric%zuWeight", j);
        st = pipit__reg_get_double(&run->map, key, r,
                                   1.0 / (double)run->n_metrics,
                                   &run->weight[j]);
        snprintf(key, sizeof key, "Metric%zuUse", j);
        if (st == PIPIT_OK)
            st = pipit__reg_get_bool(&run->map, key, r, true, &run->use[j]);
        any = any || run->use[j];
    }
    /* What the reported value combines (see cost()). */
    for (size_t j = 0; j < run->n_metrics; j++) {
        run->m_weight[j] = run->multi ? run->weight[j] : 1.0;
        run->m_used[j] = !run->multi || run->use[j];
    }
    if (st == PIPIT_OK && !any)
        st = pipit__error(PIPIT_EINVAL,
                          "%s: every Metric<j>Use is \"false\" at "
                          "resolution %u",
                          pipit__reg_map_file(&run->map), r);
    return st;
}

static pipit_status_t
run_level(run_t *run, double *mu)
{
    reg_level_t *L = &run->L;
    unsigned r = L->level;
    pipit_status_t st = PIPIT_OK;
    for (size_t j = 0; j < run->n_samplers && st == PIPIT_OK; j++)
        st = run->sampler_k[j]->configure(run->sampler[j], &run->map, r);
    for (size_t j = 0; j < run->n_metrics && st == PIPIT_OK; j++)
        st = run->metric_k[j]->configure(run->metric[j], &run->map, r);
    if (st != PIPIT_OK ||
        (st = run->opt_k->configure(run->opt, &run->map, r)) != PIPIT_OK ||
        (st = metric_weights(run, r)) != PIPIT_OK ||
        (st = pipit__reg_get_int_in(&run->map,
                                    "MaximumNumberOfSamplingAttempts", r, 0,
                                    0, 1000, &run->attempts)) != PIPIT_OK)
        return st;
    bool every;
    if ((st = pipit__reg_get_bool(&run->map, "NewSamplesEveryIteration", r,
                                  false, &every)) != PIPIT_OK)
        return st;
    bool random = false;
    for (size_t j = 0; j < run->n_samplers; j++) {
        random = random || run->sampler_k[j]->random;
        if (every && !run->sampler_k[j]->random)
            pipit__reg_warn(&run->map,
                            "NewSamplesEveryIteration is ignored by the %s "
                            "sampler",
                            run->sampler_k[j]->name);
    }
    pipit__free(run->part);
    run->part = NULL;
    if (run->multi &&
        (run->part = pipit__malloc((L->n_params + 1) * sizeof *run->part)) ==
            NULL)
        return PIPIT_ENOMEM;
    run->pb = (reg_problem_t){
        .L = L,
        .n = L->n_params,
        .scales = L->scales,
        .random_samples = every && random,
        .evaluate = pb_evaluate,
        .new_samples = pb_new_samples,
        .evaluate_exact = pb_evaluate_exact,
        .grid_points = pb_grid_points,
        .report = pb_report,
        .node = run,
    };
    if ((st = set_mu(L, mu)) != PIPIT_OK)
        return st;
    for (size_t j = 0; j < run->n_samplers && st == PIPIT_OK; j++)
        st = run->sampler_k[j]->draw(run->sampler[j], L, &run->samples[j]);
    for (size_t j = 0; j < run->n_metrics && st == PIPIT_OK; j++)
        st = run->metric_k[j]->begin_level(run->metric[j], L);
    if (st != PIPIT_OK)
        return st;
    logf_(run->reg, "Resolution: %u (map %u): %zu samples, %zu parameters",
          r, run->map.index, run->samples[0].n, L->n_params);
    run->t_iter = now_s();
    double t0 = run->t_iter;
    size_t it0 = run->iterations;
    st = run->opt_k->run(run->opt, &run->pb, mu);
    if (st == PIPIT_OK)
        st = set_mu(L, mu);
    logf_(run->reg,
          "Resolution %u done: %zu iterations, final metric %.6f, %.3f s", r,
          run->iterations - it0, run->last_metric, now_s() - t0);
    return st;
}

/* Everything one map's run holds. */
static void
run_clear(run_t *run)
{
    /* A state is NULL when its allocation failed. */
    for (size_t j = 0; j < run->n_samplers; j++) {
        if (run->sampler[j] != NULL && run->sampler_k[j]->finalize != NULL)
            run->sampler_k[j]->finalize(run->sampler[j]);
        pipit__free(run->sampler[j]);
        pipit__reg_samples_free(&run->samples[j]);
    }
    for (size_t j = 0; j < run->n_metrics; j++) {
        if (run->metric[j] != NULL && run->metric_k[j]->finalize != NULL)
            run->metric_k[j]->finalize(run->metric[j]);
        pipit__free(run->metric[j]);
    }
    if (run->opt != NULL && run->opt_k->finalize != NULL)
        run->opt_k->finalize(run->opt);
    pipit__free(run->opt);
    pipit__free(run->part);
    pipit__reg_samples_free(&run->grid);
}

static void *
state_new(size_t size)
{
    return pipit__calloc(1, size > 0 ? size : 1);
}

pipit_status_t
pipit__reg_map_levels(const reg_map_t *m, unsigned *n_levels)
{
    int64_t v;
    pipit_status_t st = pipit__reg_get_int_in(m, "NumberOfResolutions", 0, 3,
                                              0, 32, &v);
    *n_levels = v == 0 ? 1 : (unsigned)v; /* elastix reads 0 as 1 */
    return st;
}

/* A transform whose grid changes with the level (B-spline): level r's
 * transform, carrying level r-1's mapping, replaces the optimised part
 * of the chain, with its own parameters and scales. */
static pipit_status_t
next_level(const reg_transform_setup_t *setup, const reg_transform_class_t *k,
           unsigned r, reg_level_t *L, pipit_transform_t **cur,
           pipit_transform_t **whole, double **scales, double **mu)
{
    pipit_transform_t *t = pipit_transform_ref(*cur);
    double *sc = NULL;
    pipit_status_t st = k->next_level(setup, r, &t, &sc);
    if (st != PIPIT_OK) {
        pipit_transform_unref(t);
        return st;
    }
    if (t == *cur) { /* unchanged grid */
        pipit_transform_unref(t);
        pipit__free(sc);
        return PIPIT_OK;
    }
    size_t P = pipit_transform_n_parameters(t);
    for (size_t i = 0; i < P; i++)
        sc[i] = sqrt(sc[i]); /* squared scales, as at level 0 */
    double *m = pipit__malloc((P > 0 ? P : 1) * sizeof *m);
    pipit_transform_t *w =
        setup->initial != NULL
            ? pipit_transform_chain_new(setup->initial, t, setup->how)
            : pipit_transform_ref(t);
    if (m == NULL || w == NULL) {
        pipit__free(m);
        pipit__free(sc);
        pipit_transform_unref(w);
        pipit_transform_unref(t);
        return PIPIT_ENOMEM;
    }
    memcpy(m, pipit_transform_parameters(t), P * sizeof *m);
    pipit_transform_unref(*cur);
    pipit_transform_unref(*whole);
    pipit__free(*scales);
    pipit__free(*mu);
    *cur = t;
    *whole = w;
    *scales = sc;
    *mu = m;
    L->optimized = t;
    L->transform = w;
    L->n_params = P;
    L->scales = sc;
    return PIPIT_OK;
}

/* Runs map m on the full-resolution f32 images; *out is the map's final
 * transform (a chain over `initial` when there is one). */
static pipit_status_t
run_map(registration_t *reg, reg_map_t *map, const reg_inputs_t *in,
        pipit_transform_t *initial, pipit_transform_t **out, double *metric)
{
    run_t run = { .reg = reg, .map = *map };
    reg_components_t c;
    pipit_image_t *fixed_levels[32] = { 0 }, *moving_levels[32] = { 0 };
    unsigned ffac[32 * PIPIT_MAX_DIM], mfac[32 * PIPIT_MAX_DIM];
    pipit_transform_t *cur = NULL, *whole = NULL;
    double *scales = NULL, *mu = NULL;
    reg_mask_t *fmask = NULL, *mmask = NULL;
    pipit_interpolator_t *interp = NULL;
    pipit_status_t st;
    reg_map_t *m = &run.map;

    if ((st = pipit__reg_map_components(m, &c)) != PIPIT_OK)
        goto done;
    run.n_samplers = c.n_samplers;
    run.n_metrics = c.n_metrics;
    run.multi = c.multi;
    run.opt_k = c.optimizer;
    make_header(&run);
    bool made = (run.opt = state_new(c.optimizer->state_size)) != NULL;
    for (size_t j = 0; j < c.n_samplers; j++) {
        run.sampler_k[j] = c.sampler[j];
        made = (run.sampler[j] = state_new(c.sampler[j]->state_size)) !=
                   NULL && made;
    }
    for (size_t j = 0; j < c.n_metrics; j++) {
        run.metric_k[j] = c.metric[j];
        made = (run.metric[j] = state_new(c.metric[j]->state_size)) !=
                   NULL && made;
    }
    if (!made) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    int64_t seed;
    if ((st = pipit__reg_get_int(m, "RandomSeed", 0, 121212, &seed)) !=
        PIPIT_OK)
        goto done;
    pipit__reg_rng_seed(&run.rng, (uint64_t)seed);
    const char *how_s;
    if ((st = pipit__reg_get_string(m, "HowToCombineTransforms", 0, "Compose",
                                    &how_s)) != PIPIT_OK)
        goto done;
    pipit_combine_t how = strcmp(how_s, "Compose") == 0 ? PIPIT_COMBINE_COMPOSE
                                                        : PIPIT_COMBINE_ADD;
    reg_transform_setup_t setup = {
        .map = m,
        .fixed = in->fixed,
        .moving = in->moving,
        .fixed_mask = in->fixed_mask,
        .moving_mask = in->moving_mask,
        .initial = initial,
        .how = how,
    };
    if ((st = c.transform->create(&setup, &cur, &scales)) != PIPIT_OK)
        goto done;
    /* elastix takes the Scales values (given or estimated) as squared
     * scales, ITK's convention: the optimizer divides by their roots. */
    for (size_t k = 0; k < pipit_transform_n_parameters(cur); k++)
        scales[k] = sqrt(scales[k]);
    if (initial != NULL) {
        whole = pipit_transform_chain_new(initial, cur, how);
        if (whole == NULL) {
            st = PIPIT_ENOMEM;
            goto done;
        }
    } else {
        whole = pipit_transform_ref(cur);
    }
    size_t P = pipit_transform_n_parameters(cur);
    if ((mu = pipit__malloc(P * sizeof *mu)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    memcpy(mu, pipit_transform_parameters(cur), P * sizeof *mu);

    if ((st = make_levels(m, c.fixed_pyramid, in->fixed, false, fixed_levels,
                          ffac)) != PIPIT_OK ||
        (st = make_levels(m, c.moving_pyramid, in->moving, true,
                          moving_levels, mfac)) != PIPIT_OK)
        goto done;

    run.L = (reg_level_t){
        .map = m,
        .dim = m->dim,
        .fixed_full = in->fixed,
        .moving_full = in->moving,
        .transform = whole,
        .optimized = cur,
        .n_params = P,
        .scales = scales,
        .rng = &run.rng,
    };
    run.t_begin = in->t_begin;
    for (unsigned r = 0; r < m->n_levels; r++) {
        run.L.level = r;
        run.L.fixed = fixed_levels[r];
        run.L.moving = moving_levels[r];
        pipit__reg_mask_free(fmask);
        pipit__reg_mask_free(mmask);
        fmask = mmask = NULL;
        if ((st = pipit__reg_level_mask(in->fixed_mask, m, r,
                                        ffac + r * m->dim, false, &fmask)) !=
                PIPIT_OK ||
            (st = pipit__reg_level_mask(in->moving_mask, m, r,
                                        mfac + r * m->dim, true, &mmask)) !=
                PIPIT_OK)
            goto done;
        run.L.fixed_mask = fmask != NULL ? fmask : in->fixed_mask;
        run.L.moving_mask = mmask != NULL ? mmask : in->moving_mask;
        int64_t order;
        if ((st = pipit__reg_get_int_in(m, "BSplineInterpolationOrder", r, 1,
                                        0, 5, &order)) != PIPIT_OK)
            goto done;
        pipit_interpolator_unref(interp);
        interp = pipit_interpolator_new_by_name(run.L.moving, c.interpolator,
                                                (unsigned)order);
        if (interp == NULL) {
            st = PIPIT_ENOMEM;
            goto done;
        }
        run.L.interp = interp;
        if (r > 0 && c.transform->next_level != NULL &&
            (st = next_level(&setup, c.transform, r, &run.L, &cur, &whole,
                             &scales, &mu)) != PIPIT_OK)
            goto done;
        if ((st = run_level(&run, mu)) != PIPIT_OK)
            goto done;
    }
    *out = whole;
    whole = NULL;
    *metric = run.last_metric;
done:
    pipit_interpolator_unref(interp);
    pipit__reg_mask_free(fmask);
    pipit__reg_mask_free(mmask);
    for (unsigned r = 0; r < 32; r++) {
        pipit_image_unref(fixed_levels[r]);
        pipit_image_unref(moving_levels[r]);
    }
    run_clear(&run);
    pipit_transform_unref(cur);
    pipit_transform_unref(whole);
    pipit__free(scales);
    pipit__free(mu);
    return st;
}

/* ---- the node ------------------------------------------------------------ */

static void
clear_results(registration_t *r)
{
    for (size_t i = 0; i < r->n_maps; i++)
        pipit_transform_unref(r->maps[i]);
    pipit__free(r->maps);
    pipit__free(r->metrics);
    r->maps = NULL;
    r->metrics = NULL;
    r->n_maps = 0;
}

static pipit_params_list_t *
params_input(const pipit_node_t *n)
{
    return pipit_data_params(pipit__input_data(n, PIPIT_REGISTRATION_PARAMS));
}

pipit_status_t
pipit__reg_result_type(const pipit_params_t *p, const char *file,
                       pipit_pixel_type_t *type)
{
    static const struct {
        const char *name;
        pipit_pixel_type_t type;
    } types[] = {
        { "char", PIPIT_I8 },          { "unsigned char", PIPIT_U8 },
        { "short", PIPIT_I16 },        { "unsigned short", PIPIT_U16 },
        { "int", PIPIT_I32 },          { "unsigned int", PIPIT_U32 },
        { "long", PIPIT_I32 },         { "unsigned long", PIPIT_U32 },
        { "float", PIPIT_F32 },        { "double", PIPIT_F64 },
    };
    reg_map_t m = { .params = p, .file = file };
    const char *s;
    pipit_status_t st = pipit__reg_get_string(&m, "ResultImagePixelType", 0,
                                              "short", &s);
    if (st != PIPIT_OK)
        return st;
    char name[32];
    size_t k = 0;
    for (; s[k] != '\0' && k + 1 < sizeof name; k++)
        name[k] = s[k] == '_' ? ' ' : s[k]; /* elastix writes spaces as _ */
    name[k] = '\0';
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0) {
            *type = types[i].type;
            return PIPIT_OK;
        }
    return pipit__reg_key_error(&m, "ResultImagePixelType", 0, PIPIT_EINVAL,
                                "not a pixel type (char, unsigned char, "
                                "short, unsigned short, int, unsigned int, "
                                "long, unsigned long, float, double)");
}

static pipit_status_t
registration_information(pipit_node_t *n)
{
    const pipit_image_t *f = pipit__input(n, PIPIT_REGISTRATION_FIXED);
    const pipit_image_t *mv = pipit__input(n, PIPIT_REGISTRATION_MOVING);
    pipit_params_list_t *l = params_input(n);
    size_t count = pipit_params_list_count(l);
    if (f == NULL || mv == NULL || l == NULL)
        return pipit__node_error(n, PIPIT_ESTATE,
                                 "fixed image, moving image and parameter "
                                 "maps are required");
    if (count == 0)
        return pipit__node_error(n, PIPIT_EINVAL, "no parameter map");
    if (pipit_image_dim(f) != pipit_image_dim(mv))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the fixed image is %u-D and the moving "
                                 "image %u-D: they must agree",
                                 pipit_image_dim(f), pipit_image_dim(mv));
    if (pipit_image_components(f) != 1 || pipit_image_components(mv) != 1)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "fixed and moving images must be scalar");
    pipit_pixel_type_t t;
    const pipit_params_t *last = pipit_params_list_get(l, count - 1);
    pipit_status_t st = pipit__reg_result_type(last,
                                               pipit_params_source(last), &t);
    if (st != PIPIT_OK)
        return st;
    pipit_image_t *out = pipit__output(n, PIPIT_REGISTRATION_RESULT);
    if ((st = pipit_image_set_shape(out, pipit_image_dim(f),
                                    pipit_image_size(f), t, 1)) != PIPIT_OK)
        return st;
    return pipit_image_copy_geometry(out, f);
}

/* An identity direction when direction cosines are not used. */
static pipit_status_t
drop_direction(pipit_image_t *img, bool cosines)
{
    if (cosines)
        return PIPIT_OK;
    double id[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    unsigned d = pipit_image_dim(img);
    for (unsigned k = 0; k < d * d; k++)
        id[k] = k % (d + 1) == 0 ? 1.0 : 0.0;
    return pipit_image_set_direction(img, id);
}

static pipit_status_t
make_mask(const pipit_image_t *img, bool cosines, const char *what,
          reg_mask_t **out)
{
    *out = NULL;
    if (img == NULL)
        return PIPIT_OK;
    pipit_image_t *view = pipit_image_share(img);
    if (view == NULL)
        return PIPIT_ENOMEM;
    pipit_status_t st = drop_direction(view, cosines);
    if (st == PIPIT_OK)
        st = pipit__reg_mask_new(view, what, out);
    pipit_image_unref(view);
    return st;
}

/* The input as f32 (elastix's internal pixel type): shared when it is. */
static pipit_status_t
as_float(const pipit_image_t *img, bool cosines, pipit_image_t **out)
{
    if (pipit_image_pixel_type(img) == PIPIT_F32) {
        *out = pipit_image_share(img);
        if (*out == NULL)
            return PIPIT_ENOMEM;
        return drop_direction(*out, cosines);
    }
    unsigned d = pipit_image_dim(img);
    const size_t *n = pipit_image_size(img);
    pipit_image_t *f = pipit_image_new(d, n, PIPIT_F32, 1);
    if (f == NULL)
        return PIPIT_ENOMEM;
    pipit_image_copy_geometry(f, img);
    pipit_status_t st = drop_direction(f, cosines);
    if (st != PIPIT_OK) {
        pipit_image_unref(f);
        return st;
    }
    size_t ny = d > 1 ? n[1] : 1, nz = d > 2 ? n[2] : 1;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++)
            pipit__convert(pipit_image_row(img, y, z),
                           pipit_image_pixel_type(img),
                           pipit_image_row(f, y, z), PIPIT_F32, n[0]);
    *out = f;
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_resample_settings(pipit_node_t *rs, const pipit_params_t *p)
{
    reg_map_t m = { .params = p, .file = pipit_params_source(p) };
    const char *name;
    int64_t order;
    double dflt;
    pipit_status_t st;
    if ((st = pipit__reg_get_string(&m, "ResampleInterpolator", 0,
                                    "FinalBSplineInterpolator", &name)) !=
            PIPIT_OK ||
        (st = pipit__reg_get_int_in(&m, "FinalBSplineInterpolationOrder", 0, 3,
                                    0, 5, &order)) != PIPIT_OK ||
        (st = pipit__reg_get_double(&m, "DefaultPixelValue", 0, 0.0,
                                    &dflt)) != PIPIT_OK)
        return st;
    const char *interp = "bspline";
    if (strcmp(name, "FinalLinearInterpolator") == 0)
        interp = "linear";
    else if (strcmp(name, "FinalNearestNeighborInterpolator") == 0)
        interp = "nearest";
    else if (strcmp(name, "FinalBSplineInterpolatorFloat") == 0)
        interp = "bspline-float";
    if ((st = pipit_node_set(rs, "interpolator", interp)) != PIPIT_OK ||
        (st = pipit_node_set_int(rs, "order", order)) != PIPIT_OK ||
        (st = pipit_node_set_double(rs, "default-value", dflt)) != PIPIT_OK ||
        (st = pipit_node_set(rs, "type", "f64")) != PIPIT_OK)
        return st;
    return PIPIT_OK;
}

/* elastix's result cast: truncation toward zero (spec §7.9); pipit clamps
 * to the type's range where C's conversion would be undefined. */
void
pipit__reg_truncate(const double *src, void *dst, pipit_pixel_type_t t,
                    size_t n)
{
#define TRUNC(T, lo, hi)                                                   \
    do {                                                                   \
        T *o = dst;                                                        \
        for (size_t i = 0; i < n; i++) {                                   \
            double v = src[i];                                             \
            o[i] = v != v ? 0 : v <= (lo) ? (T)(lo) : v >= (hi) ? (T)(hi)  \
                                                                : (T)v;    \
        }                                                                  \
    } while (0)
    switch (t) {
    case PIPIT_U8: TRUNC(uint8_t, 0, 255); break;
    case PIPIT_I8: TRUNC(int8_t, -128, 127); break;
    case PIPIT_U16: TRUNC(uint16_t, 0, 65535); break;
    case PIPIT_I16: TRUNC(int16_t, -32768, 32767); break;
    case PIPIT_U32: TRUNC(uint32_t, 0, 4294967295.0); break;
    case PIPIT_I32: TRUNC(int32_t, -2147483648.0, 2147483647.0); break;
    case PIPIT_F32: pipit__convert(src, PIPIT_F64, dst, PIPIT_F32, n); break;
    default: memcpy(dst, src, n * sizeof *src); break;
    }
#undef TRUNC
}

static pipit_status_t
make_result(pipit_node_t *n, const pipit_image_t *moving,
            const pipit_image_t *fixed, pipit_transform_t *t,
            const pipit_params_t *last)
{
    pipit_image_t *out = pipit__output(n, PIPIT_REGISTRATION_RESULT);
    pipit_node_t *rs = pipit_resample_new();
    if (rs == NULL)
        return PIPIT_ENOMEM;
    pipit_status_t st = pipit__reg_resample_settings(rs, last);
    if (st == PIPIT_OK)
        st = pipit_node_set_input_image(rs, 0, (pipit_image_t *)moving);
    if (st == PIPIT_OK)
        st = pipit_node_set_input_image(rs, 1, (pipit_image_t *)fixed);
    if (st == PIPIT_OK)
        st = pipit_resample_set_transform(rs, t);
    if (st == PIPIT_OK)
        st = pipit_node_update_region(rs, 0, pipit_node_requested(n, 0));
    if (st == PIPIT_OK) {
        const pipit_image_t *f64 = pipit_node_get_output(rs, 0);
        const pipit_region_t *r = pipit_node_requested(n, 0);
        size_t nx = r->hi[0] - r->lo[0];
        size_t bytes = pipit_image_pixel_bytes(out);
        pipit_pixel_type_t t_out = pipit_image_pixel_type(out);
        for (size_t z = r->lo[2]; z < r->hi[2]; z++)
            for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
                const double *s =
                    (const double *)pipit_image_row(f64, y, z) + r->lo[0];
                char *d = (char *)pipit_image_row(out, y, z) + r->lo[0] * bytes;
                pipit__reg_truncate(s, d, t_out, nx);
            }
    }
    pipit_node_unref(rs);
    return st;
}

static pipit_status_t
registration_generate(pipit_node_t *n)
{
    registration_t *reg = (registration_t *)n;
    pipit_params_list_t *l = params_input(n);
    size_t count = pipit_params_list_count(l);
    reg_inputs_t in = { .t_begin = now_s() };
    pipit_transform_t *chain = NULL;
    pipit_status_t st;
    const pipit_image_t *fm = pipit__input(n, PIPIT_REGISTRATION_FIXED_MASK);
    const pipit_image_t *mm = pipit__input(n, PIPIT_REGISTRATION_MOVING_MASK);
    pipit_transform_t *initial =
        pipit__input_transform(n, PIPIT_REGISTRATION_INITIAL);
    unsigned old_limit = pipit_pool_set_local_limit(reg->threads);

    clear_results(reg);
    reg->maps = pipit__calloc(count, sizeof *reg->maps);
    reg->metrics = pipit__calloc(count, sizeof *reg->metrics);
    if (reg->maps == NULL || reg->metrics == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    /* UseDirectionCosines "false": every image as if its axes were the
     * world's (read from the first map: the images are prepared once). */
    bool cosines = true;
    reg_map_t first = { .params = pipit_params_list_get(l, 0),
                        .file = pipit_params_source(
                            pipit_params_list_get(l, 0)) };
    if ((st = pipit__reg_get_bool(&first, "UseDirectionCosines", 0, true,
                                  &cosines)) != PIPIT_OK)
        goto done;
    if ((st = as_float(pipit__input(n, PIPIT_REGISTRATION_FIXED), cosines,
                       &in.fixed)) != PIPIT_OK ||
        (st = as_float(pipit__input(n, PIPIT_REGISTRATION_MOVING), cosines,
                       &in.moving)) != PIPIT_OK)
        goto done;
    if ((st = make_mask(fm, cosines, "fixed mask", &in.fixed_mask)) !=
            PIPIT_OK ||
        (st = make_mask(mm, cosines, "moving mask", &in.moving_mask)) !=
            PIPIT_OK)
        goto done;
    chain = initial != NULL ? pipit_transform_ref(initial) : NULL;
    for (size_t i = 0; i < count; i++) {
        const pipit_params_t *p = pipit_params_list_get(l, i);
        char file[48];
        snprintf(file, sizeof file, "parameter map %zu", i);
        reg_map_t map = {
            .params = p,
            .file = pipit_params_source(p) != NULL ? pipit_params_source(p)
                                                   : file,
            .index = (unsigned)i,
            .dim = pipit_image_dim(in.fixed),
            .log = log_line,
            .log_user = reg,
        };
        if ((st = pipit__reg_map_levels(&map, &map.n_levels)) != PIPIT_OK)
            goto done;
        logf_(reg, "Running parameter map %zu (%s)", i, map.file);
        pipit_transform_t *next = NULL;
        st = run_map(reg, &map, &in, chain, &next, &reg->metrics[i]);
        if (st != PIPIT_OK)
            goto done;
        pipit_transform_unref(chain);
        chain = next;
        reg->maps[i] = pipit_transform_ref(chain);
        reg->n_maps = i + 1;
    }
    /* Asked for its transform alone (pipit_node_update_output), the
     * node resamples no result. */
    if (!pipit_region_is_empty(
            pipit_node_requested(n, PIPIT_REGISTRATION_RESULT)) &&
        (st = make_result(n, in.moving, in.fixed, chain,
                          pipit_params_list_get(l, count - 1))) != PIPIT_OK)
        goto done;
    if ((st = pipit_node_set_output(n, PIPIT_REGISTRATION_TRANSFORM,
                                    PIPIT_DATA(chain))) != PIPIT_OK)
        goto done;
    pipit_table_t *fig = pipit__output_table(n, PIPIT_REGISTRATION_FIGURES);
    if ((st = pipit_table_set(fig, "metric", reg->metrics, count)) !=
        PIPIT_OK)
        goto done;
    logf_(reg, "Registration done: %.3f s", now_s() - in.t_begin);
done:
    pipit_pool_set_local_limit(old_limit);
    if (st != PIPIT_OK)
        clear_results(reg);
    pipit_transform_unref(chain);
    pipit_image_unref(in.fixed);
    pipit_image_unref(in.moving);
    pipit__reg_mask_free(in.fixed_mask);
    pipit__reg_mask_free(in.moving_mask);
    return st;
}

static void
registration_finalize(pipit_node_t *n)
{
    clear_results((registration_t *)n);
}

const pipit_node_class_t pipit__registration_class = {
    .name = "registration",
    .help = "elastix registration: fixed, moving, parameter maps, masks, "
            "initial transform -> result image, transform, figures",
    .size = sizeof(registration_t),
    .n_inputs = 6,
    .n_outputs = 3,
    .optional_inputs = (1u << PIPIT_REGISTRATION_FIXED_MASK) |
                       (1u << PIPIT_REGISTRATION_MOVING_MASK) |
                       (1u << PIPIT_REGISTRATION_INITIAL),
    .input_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_IMAGE, PIPIT_DATA_PARAMS,
                     PIPIT_DATA_IMAGE, PIPIT_DATA_IMAGE,
                     PIPIT_DATA_TRANSFORM },
    .output_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TRANSFORM,
                      PIPIT_DATA_TABLE },
    .information = registration_information,
    .request = pipit__request_all,
    .generate = registration_generate,
    .finalize = registration_finalize,
};

void
pipit__reg_registration_log(pipit_node_t *n, reg_map_t *m)
{
    m->log = log_line;
    m->log_user = n;
}

pipit_status_t
pipit__reg_level_mask(const reg_mask_t *mask, const reg_map_t *m, unsigned r,
                      const unsigned *factors, bool moving, reg_mask_t **out)
{
    *out = NULL;
    if (mask == NULL)
        return PIPIT_OK;
    return pipit__reg_mask_for_level(mask, m, r, factors, moving, out);
}

/* ---- public API ------------------------------------------------------------ */

pipit_node_t *
pipit_registration_new(void)
{
    return pipit_node_new(&pipit__registration_class);
}

static registration_t *
as_registration(pipit_node_t *n)
{
    if (n == NULL || pipit_node_get_class(n) != &pipit__registration_class) {
        pipit__error(PIPIT_EINVAL, "%s: not a registration node",
                     n != NULL ? pipit_node_name(n) : "(null)");
        return NULL;
    }
    return (registration_t *)n;
}

pipit_status_t
pipit_registration_set_iteration_callback(pipit_node_t *n,
                                          pipit_registration_iteration_fn fn,
                                          void *user)
{
    registration_t *r = as_registration(n);
    if (r == NULL)
        return PIPIT_EINVAL;
    r->iter_fn = fn;
    r->iter_user = user;
    return PIPIT_OK;
}

pipit_status_t
pipit_registration_set_log(pipit_node_t *n, pipit_registration_log_fn fn,
                           void *user)
{
    registration_t *r = as_registration(n);
    if (r == NULL)
        return PIPIT_EINVAL;
    r->log_fn = fn;
    r->log_user = user;
    return PIPIT_OK;
}

pipit_status_t
pipit_registration_set_threads(pipit_node_t *n, unsigned threads)
{
    registration_t *r = as_registration(n);
    if (r == NULL)
        return PIPIT_EINVAL;
    r->threads = threads;
    return PIPIT_OK;
}

pipit_transform_t *
pipit_registration_map_transform(pipit_node_t *n, size_t i)
{
    registration_t *r = as_registration(n);
    return r != NULL && i < r->n_maps ? r->maps[i] : NULL;
}

double
pipit_registration_final_metric(pipit_node_t *n, size_t i)
{
    registration_t *r = as_registration(n);
    return r != NULL && i < r->n_maps ? r->metrics[i] : NAN;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QuasiNewtonLBFGS (shared/spec/elastix-compat.md §7.7): limited-memory
 * BFGS in scaled space (LBFGSUpdateAccuracy pairs) with a line search
 * for the strong Wolfe conditions: bracketing, then zooming by
 * safeguarded cubic interpolation (Nocedal and Wright, algorithms 3.5
 * and 3.6), at most MaximumNumberOfLineSearchIterations evaluations.
 *
 * As in elastix, a row describes the point the line search accepted:
 * its metric and gradient, the step along the search direction, the
 * direction's norm and dᵀg there. The first direction (and any after a
 * reset) is -g/|g|, so StepLength is a length in scaled units; later
 * ones are -H g with H_0 = (sᵀy / yᵀy) I.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "reg_impl.h"

typedef struct {
    const reg_map_t *map;
    int64_t max_iter, memory, max_ls;
    double step, c1, c2, gtol;
    bool stop_if_not_wolfe;
    /* workspaces: one block of (2 memory + 7) n doubles and 2 memory */
    size_t cap;
    double *work;
    double *x, *g, *d, *mu, *gt, *glo, *q;
    double *s, *y, *rho, *alpha; /* memory x n, memory x n, memory, memory */
} lbfgs_t;

static pipit_status_t
lbfgs_configure(void *st, const reg_map_t *m, unsigned level)
{
    lbfgs_t *o = st;
    pipit_status_t s;
    const char *wolfe;
    o->map = m;
    if ((s = pipit__reg_get_int_in(m, "MaximumNumberOfIterations", level, 100,
                                   0, INT32_MAX, &o->max_iter)) != PIPIT_OK ||
        (s = pipit__reg_get_int_in(m, "LBFGSUpdateAccuracy", level, 5, 1,
                                   1000, &o->memory)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "StepLength", level, 1.0, &o->step)) !=
            PIPIT_OK ||
        (s = pipit__reg_get_int_in(m, "MaximumNumberOfLineSearchIterations",
                                   level, 20, 1, INT32_MAX, &o->max_ls)) !=
            PIPIT_OK ||
        (s = pipit__reg_get_double(m, "LineSearchValueTolerance", level, 1e-4,
                                   &o->c1)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "LineSearchGradientTolerance", level,
                                   0.9, &o->c2)) != PIPIT_OK ||
        (s = pipit__reg_get_double(m, "GradientMagnitudeTolerance", level,
                                   1e-6, &o->gtol)) != PIPIT_OK ||
        (s = pipit__reg_get_string(m, "StopIfWolfeNotSatisfied", level,
                                   "true", &wolfe)) != PIPIT_OK)
        return s;
    /* a legacy string key: anything but "true" is false (elastix) */
    o->stop_if_not_wolfe = strcmp(wolfe, "true") == 0;
    if (!(o->step > 0.0))
        return pipit__reg_key_error(m, "StepLength", level, PIPIT_EINVAL,
                                    "must be > 0");
    if (!(o->c1 > 0.0 && o->c1 < 1.0))
        return pipit__reg_key_error(m, "LineSearchValueTolerance", level,
                                    PIPIT_EINVAL,
                                    "must be between 0 and 1 (exclusive)");
    /* c1 < c2 < 1 makes a step meeting both conditions exist */
    if (!(o->c2 > o->c1 && o->c2 < 1.0))
        return pipit__reg_key_error(m, "LineSearchGradientTolerance", level,
                                    PIPIT_EINVAL,
                                    "must be between LineSearchValueTolerance"
                                    " and 1 (exclusive)");
    if (o->gtol < 0.0)
        return pipit__reg_key_error(m, "GradientMagnitudeTolerance", level,
                                    PIPIT_EINVAL, "must be >= 0");
    return PIPIT_OK;
}

static pipit_status_t
reserve(lbfgs_t *o, size_t n)
{
    size_t m = (size_t)o->memory, per, total;
    if (pipit__mul_overflows(2 * m + 7, n, &per) ||
        (total = per + 2 * m) < per)
        return pipit__error(PIPIT_ERANGE, "QuasiNewtonLBFGS: %zu parameters",
                            n);
    if (o->cap < total || o->work == NULL) {
        pipit__free(o->work);
        o->cap = 0;
        if ((o->work = pipit__calloc(total, sizeof(double))) == NULL)
            return pipit__error_nomem();
        o->cap = total;
    }
    double *p = o->work;
    o->x = p, p += n;
    o->g = p, p += n;
    o->d = p, p += n;
    o->mu = p, p += n;
    o->gt = p, p += n;
    o->glo = p, p += n;
    o->q = p, p += n;
    o->s = p, p += m * n;
    o->y = p, p += m * n;
    o->rho = p, p += m;
    o->alpha = p;
    return PIPIT_OK;
}

static double
dot(const double *a, const double *b, size_t n)
{
    double v = 0.0;
    for (size_t i = 0; i < n; i++)
        v += a[i] * b[i];
    return v;
}

/* f and the scaled gradient at x + a d (scaled x). */
static pipit_status_t
eval_at(lbfgs_t *o, reg_problem_t *pb, double a, double *f, double *g)
{
    size_t n = pb->n;
    for (size_t i = 0; i < n; i++)
        o->mu[i] = (o->x[i] + a * o->d[i]) / pb->scales[i];
    pipit_status_t s = pb->evaluate(pb, o->mu, f, g);
    for (size_t i = 0; i < n && s == PIPIT_OK; i++)
        g[i] /= pb->scales[i];
    if (s == PIPIT_OK && !isfinite(*f))
        s = pipit__error(PIPIT_ERANGE, "QuasiNewtonLBFGS: the metric value "
                                       "is not finite");
    return s;
}

/* The minimiser of the cubic through (a, fa, da), (b, fb, db), kept
 * at least a tenth of the interval from either end; bisection when the
 * cubic has no minimum. */
static double
cubic(double a, double fa, double da, double b, double fb, double db)
{
    double lo = fmin(a, b), hi = fmax(a, b), w = hi - lo;
    double d1 = da + db - 3.0 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    double t = 0.5 * (a + b);
    if (disc >= 0.0) {
        double d2 = copysign(sqrt(disc), b - a);
        double den = db - da + 2.0 * d2;
        if (den != 0.0) {
            double c = b - (b - a) * (db + d2 - d1) / den;
            if (isfinite(c))
                t = c;
        }
    }
    return fmin(fmax(t, lo + 0.1 * w), hi - 0.1 * w);
}

typedef struct {
    double a, f, dg;     /* accepted step, value, dᵀg there */
    size_t evals;
    bool wolfe1, wolfe2;
    const char *stop;
} ls_result_t;

/* A trial step that maps too many samples outside the moving image
 * (PIPIT_ERANGE) is a step too far, not the end of the registration:
 * it counts as an infinite value, so the search shortens the step.
 * (elastix stops there with an error.) */
static pipit_status_t
trial(lbfgs_t *o, reg_problem_t *pb, double a, double *f, double *dg)
{
    pipit_status_t s = eval_at(o, pb, a, f, o->gt);
    if (s == PIPIT_ERANGE) {
        pipit_error_clear();
        *f = INFINITY;
        *dg = INFINITY;
        return PIPIT_OK;
    }
    if (s == PIPIT_OK)
        *dg = dot(o->gt, o->d, pb->n);
    return s;
}

/* On return, o->gt holds the gradient at the accepted point (when a > 0). */
static pipit_status_t
line_search(lbfgs_t *o, reg_problem_t *pb, double f0, double dg0,
            ls_result_t *r)
{
    size_t n = pb->n, evals = 0, max = (size_t)o->max_ls;
    double a_prev = 0.0, f_prev = f0, dg_prev = dg0;
    double a = o->step, f, dg;
    double lo = 0.0, f_lo = f0, dg_lo = dg0, hi = 0.0, f_hi = 0.0,
           dg_hi = 0.0;
    bool zoom = false, have_lo = false;
    pipit_status_t s;
    double curv = -o->c2 * dg0;
    /* bracketing */
    while (evals < max) {
        if ((s = trial(o, pb, a, &f, &dg)) != PIPIT_OK)
            return s;
        evals++;
        if (f > f0 + o->c1 * a * dg0 || (evals > 1 && f >= f_prev)) {
            lo = a_prev, f_lo = f_prev, dg_lo = dg_prev;
            hi = a, f_hi = f, dg_hi = dg;
            zoom = true;
            break;
        }
        if (fabs(dg) <= curv)
            goto accept;
        if (dg >= 0.0) {
            /* the minimum lies behind: a is the better end */
            memcpy(o->glo, o->gt, n * sizeof(double));
            hi = a_prev, f_hi = f_prev, dg_hi = dg_prev;
            lo = a, f_lo = f, dg_lo = dg;
            have_lo = true;
            zoom = true;
            break;
        }
        memcpy(o->glo, o->gt, n * sizeof(double));
        have_lo = true;
        lo = a, f_lo = f, dg_lo = dg;
        a_prev = a, f_prev = f, dg_prev = dg;
        a *= 2.0;
    }
    /* zoom: lo satisfies sufficient decrease and is the lowest so far */
    while (zoom && evals < max) {
        a = cubic(lo, f_lo, dg_lo, hi, f_hi, dg_hi);
        if ((s = trial(o, pb, a, &f, &dg)) != PIPIT_OK)
            return s;
        evals++;
        if (f > f0 + o->c1 * a * dg0 || f >= f_lo) {
            hi = a, f_hi = f, dg_hi = dg;
            continue;
        }
        if (fabs(dg) <= curv)
            goto accept;
        if (dg * (hi - lo) >= 0.0)
            hi = lo, f_hi = f_lo, dg_hi = dg_lo;
        lo = a, f_lo = f, dg_lo = dg;
        memcpy(o->glo, o->gt, n * sizeof(double));
        have_lo = true;
    }
    /* out of evaluations: the best point with sufficient decrease */
    r->evals = evals;
    r->stop = "MaxNrIterations";
    if (!have_lo || lo <= 0.0) {
        r->a = 0.0, r->f = f0, r->dg = dg0;
        r->wolfe1 = r->wolfe2 = false;
        return PIPIT_OK;
    }
    memcpy(o->gt, o->glo, n * sizeof(double));
    r->a = lo, r->f = f_lo, r->dg = dg_lo;
    r->wolfe1 = true;
    r->wolfe2 = fabs(dg_lo) <= curv;
    return PIPIT_OK;
accept:
    r->a = a, r->f = f, r->dg = dg, r->evals = evals;
    r->wolfe1 = r->wolfe2 = true;
    r->stop = "WolfeSatisfied";
    return PIPIT_OK;
}

/* d = -H g by the two-loop recursion over the stored pairs, oldest
 * first in the ring at position (head - count + i) mod memory. */
static void
direction(lbfgs_t *o, size_t n, size_t head, size_t count)
{
    size_t m = (size_t)o->memory;
    memcpy(o->q, o->g, n * sizeof(double));
    for (size_t i = count; i-- > 0;) {
        size_t k = (head + m - count + i) % m;
        o->alpha[k] = o->rho[k] * dot(o->s + k * n, o->q, n);
        for (size_t j = 0; j < n; j++)
            o->q[j] -= o->alpha[k] * o->y[k * n + j];
    }
    size_t last = (head + m - 1) % m;
    double gamma = dot(o->s + last * n, o->y + last * n, n) /
                   dot(o->y + last * n, o->y + last * n, n);
    for (size_t j = 0; j < n; j++)
        o->q[j] *= gamma;
    for (size_t i = 0; i < count; i++) {
        size_t k = (head + m - count + i) % m;
        double b = o->rho[k] * dot(o->y + k * n, o->q, n);
        for (size_t j = 0; j < n; j++)
            o->q[j] += (o->alpha[k] - b) * o->s[k * n + j];
    }
    for (size_t j = 0; j < n; j++)
        o->d[j] = -o->q[j];
}

static pipit_status_t
lbfgs_run(void *st, reg_problem_t *pb, double *mu)
{
    lbfgs_t *o = st;
    size_t n = pb->n, m = (size_t)o->memory, head = 0, count = 0;
    pipit_status_t s = reserve(o, n);
    double f;
    if (s != PIPIT_OK || o->max_iter == 0)
        return s;
    for (size_t i = 0; i < n; i++) {
        o->x[i] = mu[i] * pb->scales[i];
        o->d[i] = 0.0;
    }
    if ((s = eval_at(o, pb, 0.0, &f, o->g)) != PIPIT_OK)
        return s;
    for (int64_t k = 0; k < o->max_iter; k++) {
        double gnorm = sqrt(dot(o->g, o->g, n));
        double xnorm = sqrt(dot(o->x, o->x, n));
        if (gnorm == 0.0 || gnorm / fmax(1.0, xnorm) < o->gtol)
            break;
        double dg0 = 0.0;
        if (count > 0) {
            direction(o, n, head, count);
            dg0 = dot(o->d, o->g, n);
        }
        if (count == 0 || !(dg0 < 0.0)) {
            /* no curvature yet, or H lost positivity: steepest descent */
            count = 0;
            for (size_t i = 0; i < n; i++)
                o->d[i] = -o->g[i] / gnorm;
            dg0 = -gnorm;
        }
        ls_result_t r;
        if ((s = line_search(o, pb, f, dg0, &r)) != PIPIT_OK)
            return s;
        if (r.a > 0.0) {
            double *sk = o->s + head * n, *yk = o->y + head * n;
            for (size_t i = 0; i < n; i++) {
                sk[i] = r.a * o->d[i];
                yk[i] = o->gt[i] - o->g[i];
                o->x[i] += sk[i];
            }
            memcpy(o->g, o->gt, n * sizeof(double));
            f = r.f;
            double sy = dot(sk, yk, n);
            /* keep H positive definite: only pairs with curvature */
            if (sy > 0.0) {
                o->rho[head] = 1.0 / sy;
                head = (head + 1) % m;
                if (count < m)
                    count++;
            }
        }
        reg_iteration_t it = {
            .iteration = (size_t)k, .metric = f, .step_size = r.a,
            .gradient_norm = sqrt(dot(o->g, o->g, n)), .asgd_time = NAN,
            .line_iteration = r.evals > 0 ? r.evals - 1 : 0,
            .search_direction = (size_t)k,
            .search_dir_norm = sqrt(dot(o->d, o->d, n)),
            .dir_gradient = r.a > 0.0 ? dot(o->d, o->g, n) : r.dg,
            .phase = "Main", .wolfe1 = r.wolfe1 ? "true" : "false",
            .wolfe2 = r.wolfe2 ? "true" : "false",
            .line_search_stop = r.stop,
        };
        for (size_t i = 0; i < n; i++)
            mu[i] = o->x[i] / pb->scales[i];
        if ((s = pb->report(pb, &it)) != PIPIT_OK)
            return s;
        if (r.a == 0.0 || (o->stop_if_not_wolfe && !(r.wolfe1 && r.wolfe2)))
            break;
        if ((s = pb->new_samples(pb)) != PIPIT_OK)
            return s;
    }
    for (size_t i = 0; i < n; i++)
        mu[i] = o->x[i] / pb->scales[i];
    return PIPIT_OK;
}

static void
lbfgs_finalize(void *st)
{
    lbfgs_t *o = st;
    pipit__free(o->work);
    memset(o, 0, sizeof *o);
}

const reg_optimizer_class_t pipit__reg_optimizer_lbfgs = {
    .name = "QuasiNewtonLBFGS",
    .state_size = sizeof(lbfgs_t),
    .configure = lbfgs_configure,
    .run = lbfgs_run,
    .finalize = lbfgs_finalize,
    .columns = "1:ItNr\t1a:SrchDirNr\t1b:LineItNr\t2:Metric\t3:StepLength\t"
               "4a:||Gradient||\t4b:||SearchDir||\t4c:DirGradient\t5:Phase\t"
               "6a:Wolfe1\t6b:Wolfe2\t7:LinSrchStopCondition\tTime[ms]",
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QuasiNewtonLBFGS (shared/spec/elastix-compat.md §7.7): limited-memory
 * BFGS in scaled space (LBFGSUpdateAccuracy pairs) with More and
 * Thuente's line search for the strong Wolfe conditions, as elastix,
 * at most MaximumNumberOfLineSearchIterations evaluations.
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
    /* workspaces: one block of (2 memory + 6) n doubles and 2 memory */
    size_t cap;
    double *work;
    double *x, *g, *d, *mu, *gt, *q;
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
    if (pipit__mul_overflows(2 * m + 6, n, &per) ||
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

/*
 * One safeguarded step of More and Thuente's line search (ACM TOMS 20,
 * 1994, section 4): from the best point x = (a, f, g), the other end
 * y of the interval and the trial t, the next trial, and the interval
 * updated. The four cases of the paper, by what t says about x:
 *   1. f_t > f_x: the minimum is bracketed in [x, t]; take the cubic
 *      minimiser, or halfway to the quadratic one when that is nearer x.
 *   2. f_t <= f_x, slopes of opposite sign: bracketed in [x, t]; the
 *      cubic or the secant step, whichever lies farther from t.
 *   3. same sign, |g_t| shrinking: extrapolate (cubic if it has a
 *      minimum beyond t, else the bound), kept inside the bracket.
 *   4. same sign, |g_t| not shrinking: cubic with y, or the bound.
 * The cubic is written so that it cannot overflow (s scales theta).
 * A non-finite value at t (a step that left the image) bisects.
 */
typedef struct {
    double a, f, g;
} ls_point_t;

static double
cubic_min(const ls_point_t *u, const ls_point_t *v, bool clip0)
{
    double theta = 3.0 * (u->f - v->f) / (v->a - u->a) + u->g + v->g;
    double s = fmax(fabs(theta), fmax(fabs(u->g), fabs(v->g)));
    double disc = (theta / s) * (theta / s) - (u->g / s) * (v->g / s);
    if (clip0 && disc < 0.0)
        disc = 0.0;
    double gamma = s * sqrt(disc);
    if (v->a < u->a)
        gamma = -gamma;
    double p = (gamma - u->g) + theta;
    double q = ((gamma - u->g) + gamma) + v->g;
    return u->a + p / q * (v->a - u->a);
}

static void
mt_step(ls_point_t *x, ls_point_t *y, ls_point_t *t, bool *brackt,
        double amin, double amax)
{
    double next;
    double sgnd = t->g * (x->g / fabs(x->g));
    if (!isfinite(t->f) || !isfinite(t->g)) {
        next = x->a + 0.5 * (t->a - x->a);
        *brackt = true;
    } else if (t->f > x->f) {
        double c = cubic_min(x, t, false);
        double qd = x->a + x->g / ((x->f - t->f) / (t->a - x->a) + x->g) /
                               2.0 * (t->a - x->a);
        next = fabs(c - x->a) < fabs(qd - x->a) ? c : c + (qd - c) / 2.0;
        *brackt = true;
    } else if (sgnd < 0.0) {
        double c = cubic_min(t, x, false);
        double sec = t->a + t->g / (t->g - x->g) * (x->a - t->a);
        next = fabs(c - t->a) > fabs(sec - t->a) ? c : sec;
        *brackt = true;
    } else if (fabs(t->g) < fabs(x->g)) {
        /* the cubic may have no minimiser on this side: then the bound */
        double theta = 3.0 * (x->f - t->f) / (t->a - x->a) + x->g + t->g;
        double s = fmax(fabs(theta), fmax(fabs(x->g), fabs(t->g)));
        double gamma = s * sqrt(fmax(0.0, (theta / s) * (theta / s) -
                                              (x->g / s) * (t->g / s)));
        if (t->a > x->a)
            gamma = -gamma;
        double p = (gamma - t->g) + theta;
        double q = (gamma + (x->g - t->g)) + gamma;
        double r = p / q, c;
        if (r < 0.0 && gamma != 0.0)
            c = t->a + r * (x->a - t->a);
        else
            c = t->a > x->a ? amax : amin;
        double sec = t->a + t->g / (t->g - x->g) * (x->a - t->a);
        if (*brackt) {
            next = fabs(c - t->a) < fabs(sec - t->a) ? c : sec;
            /* at most 2/3 of the way to the other end */
            double lim = t->a + 0.66 * (y->a - t->a);
            next = t->a > x->a ? fmin(lim, next) : fmax(lim, next);
        } else {
            next = fabs(c - t->a) > fabs(sec - t->a) ? c : sec;
            next = fmin(amax, fmax(amin, next));
        }
    } else if (*brackt) {
        next = cubic_min(t, y, false);
    } else {
        next = t->a > x->a ? amax : amin;
    }
    /* the interval: y takes t when t is worse, else x moves to t */
    if (isfinite(t->f) && t->f <= x->f) {
        if (sgnd < 0.0)
            *y = *x;
        *x = *t;
    } else {
        *y = *t;
    }
    if (!isfinite(next) && *brackt)
        next = 0.5 * (x->a + y->a);
    t->a = next;
}

/*
 * The line search elastix's QuasiNewtonLBFGS uses (More and Thuente),
 * so that the steps tried, and with them the point a level ends at,
 * follow elastix's: the interval of uncertainty grows by at most
 * 4 (a + (a - a_x)) before a bracket is found, then shrinks by
 * safeguarded cubic and quadratic steps, halving when it shrinks too
 * slowly; while no step has met sufficient decrease with a rising
 * slope, a modified function ψ(a) = f(a) - f0 - c1 a f'(0) stands in
 * for f. On the last allowed evaluation, or when the interval has
 * collapsed, the best point so far is evaluated once more and
 * returned, with its own Wolfe flags. On return o->gt holds the
 * gradient at the returned point.
 */
static pipit_status_t
line_search(lbfgs_t *o, reg_problem_t *pb, double f0, double dg0,
            ls_result_t *r)
{
    const double amin = 1e-20, amax = 1e20, xtol = 2.220446049250313e-16;
    size_t max = (size_t)o->max_ls;
    const double gtest = o->c1 * dg0, curv = -o->c2 * dg0;
    ls_point_t x = { 0.0, f0, dg0 }, y = x, t = { o->step, f0, dg0 };
    double width = amax - amin, width1 = 2.0 * width, lo, hi;
    bool brackt = false, stage1 = true;
    pipit_status_t s;
    for (size_t it = 0;; it++) {
        if (brackt) {
            lo = fmin(x.a, y.a), hi = fmax(x.a, y.a);
        } else {
            lo = x.a, hi = t.a + 4.0 * (t.a - x.a);
        }
        t.a = fmin(amax, fmax(amin, t.a));
        bool unusual = (brackt && (t.a <= lo || t.a >= hi)) ||
                       it + 1 >= max ||
                       (brackt && hi - lo <= xtol * hi);
        if (unusual)
            t.a = x.a;
        double f, dg;
        if (t.a == 0.0) {
            /* nothing better than the start: no new evaluation */
            memcpy(o->gt, o->g, pb->n * sizeof(double));
            f = f0, dg = dg0;
        } else if ((s = trial(o, pb, t.a, &f, &dg)) != PIPIT_OK) {
            return s;
        }
        t.f = f, t.g = dg;
        r->a = t.a, r->f = f, r->dg = dg, r->evals = it + 1;
        r->wolfe1 = isfinite(f) && f <= f0 + t.a * gtest;
        r->wolfe2 = fabs(dg) <= curv;
        if (r->wolfe1 && r->wolfe2) {
            r->stop = "WolfeSatisfied";
            return PIPIT_OK;
        }
        if (unusual) {
            r->stop = it + 1 >= max ? "MaxNrIterations"
                      : hi - lo <= xtol * hi ? "IntervalTooSmall"
                                             : "RoundingError";
            return PIPIT_OK;
        }
        if (t.a == amax && r->wolfe1 && dg <= gtest) {
            r->stop = "StepTooLarge";
            return PIPIT_OK;
        }
        if (t.a == amin && (!r->wolfe1 || dg >= gtest)) {
            r->stop = "StepTooSmall";
            return PIPIT_OK;
        }
        if (stage1 && r->wolfe1 && dg >= fmin(o->c1, o->c2) * dg0)
            stage1 = false;
        if (stage1 && isfinite(f) && f <= x.f && !r->wolfe1) {
            /* ψ = f - a·gtest: the same step on the modified function */
            ls_point_t xm = { x.a, x.f - x.a * gtest, x.g - gtest };
            ls_point_t ym = { y.a, y.f - y.a * gtest, y.g - gtest };
            ls_point_t tm = { t.a, f - t.a * gtest, dg - gtest };
            mt_step(&xm, &ym, &tm, &brackt, lo, hi);
            x = (ls_point_t){ xm.a, xm.f + xm.a * gtest, xm.g + gtest };
            y = (ls_point_t){ ym.a, ym.f + ym.a * gtest, ym.g + gtest };
            t.a = tm.a;
        } else {
            mt_step(&x, &y, &t, &brackt, lo, hi);
        }
        if (brackt) {
            if (fabs(y.a - x.a) >= 0.66 * width1)
                t.a = x.a + 0.5 * (y.a - x.a);
            width1 = width;
            width = fabs(y.a - x.a);
        }
    }
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

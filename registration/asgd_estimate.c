/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ASGD's automatic parameter estimation (shared/spec/elastix-compat.md
 * §7.7, after Klein, Pluim, Staring and Viergever): from the transform's
 * Jacobians on a grid of fixed points and a few exact and approximate
 * gradients near the start, a gain whose first step moves no point much
 * more than MaximumStepLength (δ), and a sigmoid matched to the noise of
 * the stochastic gradient.
 *
 * The Jacobian terms run over the pool, cut by the data alone and
 * merged in a fixed order (small runs stay on the calling thread); the
 * gradients go through the problem's own evaluations, which do the same,
 * in a fixed order, with perturbations drawn from the node's generator:
 * the result is the same for any number of threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pool.h>

#include "bspline_fast.h"
#include "error_impl.h"
#include "optimizer_asgd_impl.h"

#define TINY 1e-14

typedef struct {
    double trc, trcc, max_jj, max_jcj;
    size_t count;
} jac_terms_t;

/* δ: the key, or MaximumStepLengthRatio times the mean of the first
 * min(D, 2) spacings of both full-resolution images. */
static pipit_status_t
max_step(const asgd_t *o, const reg_level_t *L, double *out)
{
    if (o->max_step > 0.0) {
        *out = o->max_step;
        return PIPIT_OK;
    }
    if (L->fixed_full == NULL || L->moving_full == NULL)
        return pipit__error(PIPIT_ESTATE,
                            "ASGD: no images to take MaximumStepLength from");
    unsigned m = L->dim < 2 ? L->dim : 2;
    const double *fs = pipit_image_spacing(L->fixed_full);
    const double *ms = pipit_image_spacing(L->moving_full);
    double sum = 0.0;
    for (unsigned d = 0; d < m; d++)
        sum += fs[d] + ms[d];
    *out = o->max_step_ratio * sum / (2.0 * m);
    return PIPIT_OK;
}

/* The most bytes the dense P x P matrix C may take (1 GiB: 11585
 * parameters). Past that the estimate refuses rather than ask for
 * gigabytes (3-D+t grids have tens of thousands of parameters) and
 * leave the machine swapping or the allocation failing late. */
#define DENSE_MAX_BYTES ((size_t)1 << 30)

/* dense: room for the P x P matrix C (not for a B-spline, whose C is
 * banded and kept by bspline_fast.c for the call's duration). */
static pipit_status_t
reserve(asgd_t *o, size_t n, bool dense, size_t jsize, unsigned dim,
        size_t count)
{
    pipit_status_t s;
    size_t nn, dj;
    if (!dense)
        n = 1;
    if (pipit__mul_overflows(n, n, &nn) ||
        pipit__mul_overflows(dim, jsize, &dj))
        return pipit__error(PIPIT_ERANGE, "ASGD: %zu parameters", n);
    if ((s = pipit__asgd_grow(&o->c, &o->cap_c, nn)) != PIPIT_OK ||
        (s = pipit__asgd_grow(&o->dist, &o->cap_dist, count)) != PIPIT_OK)
        return s;
    if (o->cap_jac < jsize || o->jac_index == NULL) {
        pipit__free(o->jac_index), pipit__free(o->jac_value);
        pipit__free(o->jc);
        o->cap_jac = 0;
        o->jac_index = pipit__calloc(jsize, sizeof(size_t));
        o->jac_value = pipit__calloc(dj, sizeof(double));
        o->jc = pipit__calloc(dj, sizeof(double));
        if (o->jac_index == NULL || o->jac_value == NULL || o->jc == NULL)
            return pipit__error_nomem();
        o->cap_jac = jsize;
    }
    return PIPIT_OK;
}

/* J at x (dim x m, row-major), columns divided by the scales. */
static size_t
jacobian(asgd_t *o, const reg_problem_t *pb, const double *x)
{
    const reg_level_t *L = pb->L;
    size_t m = pipit_transform_jacobian(L->transform, x, o->jac_index,
                                        o->jac_value);
    for (unsigned d = 0; d < L->dim; d++)
        for (size_t k = 0; k < m; k++)
            o->jac_value[d * m + k] /= pb->scales[o->jac_index[k]];
    return m;
}

/* ||A||_F² + 2√2 ||A A'||... : tr(S) + 2√2 ||S||_F of a dim x dim S. */
static double
bound(const double *s, unsigned dim)
{
    double tr = 0.0, f = 0.0;
    for (unsigned d = 0; d < dim; d++)
        tr += s[d * dim + d];
    for (unsigned i = 0; i < dim * dim; i++)
        f += s[i] * s[i];
    return tr + 2.0 * sqrt(2.0) * sqrt(f);
}

/* The dense terms' passes over the pool. A piece's accumulator holds
 * its running maximum, its own scratch for J_j (so workers share
 * nothing but C, read only in pass 2) and, in pass 1, its part of
 * Σ_j J_jᵀ J_j; the parts are added in chunk order (a fixed number of
 * chunks, whatever the threads). */
typedef struct {
    const reg_problem_t *pb;
    const double *pts;
    size_t n, jsize;
    unsigned dim;
    double *c;
    double max;
} dense_run_t;

/* Doubles before the piece's part of C: max, J, J·C, J's indices. */
static size_t
dense_head(const dense_run_t *r)
{
    return 1 + 2 * (size_t)r->dim * r->jsize + r->jsize;
}

/* J at x into the piece's scratch (dim x m, row-major), columns divided
 * by the scales. */
static size_t
dense_jacobian(const dense_run_t *r, const double *x, size_t *ix, double *J)
{
    const reg_problem_t *pb = r->pb;
    size_t m = pipit_transform_jacobian(pb->L->transform, x, ix, J);
    for (unsigned d = 0; d < r->dim; d++)
        for (size_t k = 0; k < m; k++)
            J[d * m + k] /= pb->scales[ix[k]];
    return m;
}

/* Pass 1 over points [lo, hi): Σ J_jᵀ J_j and max_j bound(J_j J_jᵀ). */
static pipit_status_t
dense_c_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const dense_run_t *r = ctx;
    const unsigned dim = r->dim;
    const size_t n = r->n;
    double *most = acc, *J = most + 1;
    size_t *ix = (size_t *)(J + 2 * dim * r->jsize);
    double *c = most + dense_head(r), s[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    (void)worker;
    for (size_t j = lo; j < hi; j++) {
        size_t m = dense_jacobian(r, r->pts + j * dim, ix, J);
        for (size_t k = 0; k < m; k++)
            for (size_t l = 0; l < m; l++) {
                double v = 0.0;
                for (unsigned d = 0; d < dim; d++)
                    v += J[d * m + k] * J[d * m + l];
                c[ix[k] * n + ix[l]] += v;
            }
        for (unsigned d = 0; d < dim; d++)
            for (unsigned e = 0; e < dim; e++) {
                double v = 0.0;
                for (size_t k = 0; k < m; k++)
                    v += J[d * m + k] * J[e * m + k];
                s[d * dim + e] = v;
            }
        *most = fmax(*most, bound(s, dim));
    }
    return PIPIT_OK;
}

static pipit_status_t
dense_c_merge(void *ctx, const void *acc, size_t chunk)
{
    dense_run_t *r = ctx;
    const double *a = acc, *c = a + dense_head(r);
    (void)chunk;
    r->max = fmax(r->max, a[0]);
    for (size_t i = 0; i < r->n * r->n; i++)
        r->c[i] += c[i];
    return PIPIT_OK;
}

/* Pass 2 over points [lo, hi): max_j bound(J_j C J_jᵀ), C complete. */
static pipit_status_t
dense_jcj_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const dense_run_t *r = ctx;
    const unsigned dim = r->dim;
    const size_t n = r->n;
    const double *c = r->c;
    double *most = acc, *J = most + 1, *jc = J + dim * r->jsize;
    size_t *ix = (size_t *)(jc + dim * r->jsize);
    double s[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    (void)worker;
    for (size_t j = lo; j < hi; j++) {
        size_t m = dense_jacobian(r, r->pts + j * dim, ix, J);
        for (unsigned d = 0; d < dim; d++)
            for (size_t l = 0; l < m; l++) {
                double v = 0.0;
                for (size_t k = 0; k < m; k++)
                    v += J[d * m + k] * c[ix[k] * n + ix[l]];
                jc[d * m + l] = v;
            }
        for (unsigned d = 0; d < dim; d++)
            for (unsigned e = 0; e < dim; e++) {
                double v = 0.0;
                for (size_t l = 0; l < m; l++)
                    v += jc[d * m + l] * J[e * m + l];
                s[d * dim + e] = v;
            }
        *most = fmax(*most, bound(s, dim));
    }
    return PIPIT_OK;
}

static pipit_status_t
dense_max_merge(void *ctx, const void *acc, size_t chunk)
{
    dense_run_t *r = ctx;
    (void)chunk;
    r->max = fmax(r->max, *(const double *)acc);
    return PIPIT_OK;
}

/* Points per piece of the dense passes. */
#define DENSE_GRAIN 64

/* Fewer products than this (count · m² · dim, m = J's non-zero columns;
 * about a millisecond at one thread) stay on the calling thread, as
 * bspline_fast.c's: affine 3-D on elastix's 1000 points (432000) does. */
#define DENSE_PARALLEL_MIN_PRODUCTS ((size_t)1 << 21)

/* A part of C per chunk costs n² doubles: above this many bytes, one
 * chunk (the passes then run in order on one worker). */
#define DENSE_MAX_PART_BYTES ((size_t)1 << 20)

/* tr(C), ||C||_F², max bound(J J'), max bound(J C J') with the dense
 * P x P C = (1/N) Σ_j J_jᵀ J_j in o->c, for transforms without a banded
 * form (few parameters: translation, rigid, similarity, affine). */
static pipit_status_t
jacobian_terms(asgd_t *o, const reg_problem_t *pb, const double *pts,
               size_t count, jac_terms_t *jt)
{
    const size_t n = pb->n;
    const unsigned dim = pb->L->dim;
    dense_run_t r = { pb, pts, n,
                      pipit_transform_jacobian_size(pb->L->transform), dim,
                      o->c, 0.0 };
    if (r.jsize == 0)
        r.jsize = 1;
    size_t head = dense_head(&r) * sizeof(double), part = n * n *
                                                          sizeof(double);
    size_t products;
    bool capped =
        !pipit__mul_overflows(count, r.jsize * r.jsize * dim, &products) &&
        products < DENSE_PARALLEL_MIN_PRODUCTS;
    pipit_reduction_t *w1 = pipit_reduction_new(
        head + part, part > DENSE_MAX_PART_BYTES ? 1 : 0);
    pipit_reduction_t *w2 = pipit_reduction_new(head, 0);
    pipit_status_t st = PIPIT_ENOMEM;
    if (w1 == NULL || w2 == NULL)
        goto done;
    unsigned old_limit = capped ? pipit_pool_set_local_limit(1) : 0;
    memset(o->c, 0, n * n * sizeof(double));
    *jt = (jac_terms_t){ .count = count };
    st = pipit_reduction_run(w1, count, DENSE_GRAIN, dense_c_piece,
                             dense_c_merge, &r);
    if (st == PIPIT_OK) {
        jt->max_jj = r.max;
        for (size_t i = 0; i < n * n; i++) {
            o->c[i] /= (double)count;
            jt->trcc += o->c[i] * o->c[i];
        }
        for (size_t i = 0; i < n; i++)
            jt->trc += o->c[i * n + i];
        /* J C J' needs C complete: a second pass over the points. */
        r.max = 0.0;
        st = pipit_reduction_run(w2, count, DENSE_GRAIN, dense_jcj_piece,
                                 dense_max_merge, &r);
        jt->max_jcj = r.max;
    }
    if (capped)
        pipit_pool_set_local_limit(old_limit);
done:
    pipit_reduction_unref(w1);
    pipit_reduction_unref(w2);
    return st;
}

/* Mean |g|² of exact gradients and mean |g - ĝ|² of approximate ones
 * around mu (scaled space), at nm points perturbed by σ4·N(0, I). */
static pipit_status_t
gradient_terms(asgd_t *o, reg_problem_t *pb, const double *mu, size_t nm,
               double sigma4, double *gg, double *ee)
{
    size_t n = pb->n;
    pipit_status_t s;
    double v;
    *gg = *ee = 0.0;
    for (size_t i = 0; i < nm; i++) {
        for (size_t p = 0; p < n; p++) {
            double z = sigma4 > 0.0 ? pipit__reg_rng_normal(pb->L->rng) : 0.0;
            o->mu0[p] = mu[p] + sigma4 * z / pb->scales[p];
        }
        if ((s = pb->evaluate_exact(pb, o->mu0, (size_t)o->n_exact, &v,
                                    o->gex)) != PIPIT_OK)
            return s;
        for (size_t p = 0; p < n; p++) {
            double g = o->gex[p] / pb->scales[p];
            *gg += g * g;
        }
        if (!pb->random_samples)
            continue;
        if ((s = pb->new_samples(pb)) != PIPIT_OK ||
            (s = pb->evaluate(pb, o->mu0, &v, o->gap)) != PIPIT_OK)
            return s;
        for (size_t p = 0; p < n; p++) {
            double e = (o->gex[p] - o->gap[p]) / pb->scales[p];
            *ee += e * e;
        }
    }
    *gg /= (double)nm;
    *ee /= (double)nm;
    return PIPIT_OK;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The largest displacement a step along the exact gradient at mu makes,
 * per unit gain: mean + 2 sd, or the 95th percentile, of |J_j g|. */
static pipit_status_t
displacement(asgd_t *o, reg_problem_t *pb, const double *mu,
             const double *pts, size_t count, double *jacg)
{
    size_t n = pb->n;
    unsigned dim = pb->L->dim;
    double v;
    pipit_status_t s = pb->evaluate_exact(pb, mu, (size_t)o->n_exact, &v,
                                          o->gex);
    if (s != PIPIT_OK)
        return s;
    for (size_t p = 0; p < n; p++)
        o->gex[p] /= pb->scales[p];
    double sum = 0.0, sum2 = 0.0;
    for (size_t j = 0; j < count; j++) {
        size_t m = jacobian(o, pb, pts + j * dim);
        double len2 = 0.0;
        for (unsigned d = 0; d < dim; d++) {
            double u = 0.0;
            for (size_t k = 0; k < m; k++)
                u += o->jac_value[d * m + k] * o->gex[o->jac_index[k]];
            len2 += u * u;
        }
        o->dist[j] = sqrt(len2);
        sum += o->dist[j], sum2 += len2;
    }
    if (o->percentile95) {
        qsort(o->dist, count, sizeof(double), cmp_double);
        size_t k = (size_t)ceil(0.95 * (double)count);
        *jacg = o->dist[k > 0 ? k - 1 : 0];
    } else {
        double mean = sum / (double)count;
        double var = count > 1 ? (sum2 - sum * mean) / (double)(count - 1)
                               : 0.0;
        *jacg = mean + 2.0 * sqrt(fmax(0.0, var));
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__asgd_estimate(asgd_t *o, reg_problem_t *pb, const double *mu)
{
    const reg_level_t *L = pb->L;
    const reg_map_t *map = L->map != NULL ? L->map : o->map;
    pipit_status_t s;
    double delta = 0.0;
    const double *pts;
    size_t count;
    if ((s = max_step(o, L, &delta)) != PIPIT_OK)
        return s;
    size_t nj = o->n_jacobian > 0 ? (size_t)o->n_jacobian
                                  : (pb->n > 1000 ? pb->n : 1000);
    if ((s = pb->grid_points(pb, nj, &pts, &count)) != PIPIT_OK)
        return s;
    if (count == 0)
        return pipit__error(PIPIT_EINVAL,
                            "ASGD: no fixed point to measure the transform's "
                            "Jacobian at (empty mask?)");
    /* A B-spline's C is banded: never the dense P x P (a 3-D grid of
     * 20000 parameters would ask for 3.2 GB). A cyclic one's too: it
     * keeps all dim blocks of parameters (the last without derivative,
     * as elastix's), so its layout is n_points · dim as a plain one's. */
    reg_bspline_fast_t bf;
    bool banded = pipit__reg_bspline_fast_init(&bf, L->transform) &&
                  bf.dim == L->dim && bf.n_points * bf.dim == pb->n &&
                  bf.count <= REG_BSPLINE_MAX_SUPPORT;
    size_t dense_bytes;
    if (!banded &&
        (pipit__mul_overflows(pb->n, pb->n, &dense_bytes) ||
         pipit__mul_overflows(dense_bytes, sizeof(double), &dense_bytes) ||
         dense_bytes > DENSE_MAX_BYTES))
        return pipit__error(
            PIPIT_ERANGE,
            "ASGD: AutomaticParameterEstimation needs a dense %zu x %zu "
            "matrix (%.1f GiB) for the %s's %zu parameters, more than the "
            "%zu MiB allowed; set AutomaticParameterEstimation \"false\" "
            "and give SP_a (and SP_A, SP_alpha) instead",
            pb->n, pb->n,
            (double)pb->n * (double)pb->n * sizeof(double) /
                (double)((size_t)1 << 30),
            pipit_transform_name(L->transform), pb->n,
            DENSE_MAX_BYTES >> 20);
    if ((s = reserve(o, pb->n, !banded,
                     pipit_transform_jacobian_size(L->transform), L->dim,
                     count)) != PIPIT_OK)
        return s;
    jac_terms_t jt;
    if (banded) {
        reg_bspline_jac_terms_t bt;
        if ((s = pipit__reg_bspline_jacobian_terms(&bf, pb->scales, pts,
                                                   count, &bt)) != PIPIT_OK)
            return s;
        jt = (jac_terms_t){ bt.trc, bt.trcc, bt.max_jj, bt.max_jcj, count };
    } else if ((s = jacobian_terms(o, pb, pts, count, &jt)) != PIPIT_OK) {
        return s;
    }

    size_t nm = (size_t)o->n_gradient;
    if (nm == 0) {
        double K = jt.trc <= TINY || jt.trcc <= TINY ? 2.0 : 1.5;
        double want = jt.trc > TINY
                          ? ceil(8.0 * jt.trcc / (jt.trc * jt.trc) /
                                 ((K - 1.0) * (K - 1.0)))
                          : 2.0;
        nm = want > 2.0 ? (want < 1e6 ? (size_t)want : 1000000) : 2;
    }
    double sigma4 = jt.max_jj > TINY ? delta / sqrt(jt.max_jj) : 0.0;
    double gg, ee;
    if ((s = gradient_terms(o, pb, mu, nm, sigma4, &gg, &ee)) != PIPIT_OK)
        return s;
    if (jt.trc <= TINY) {
        pipit__reg_warn(map, "ASGD: the transform's Jacobian is zero on the "
                             "fixed image; SP_a %g kept", o->user.a);
        return PIPIT_OK;
    }
    double sigma1 = sqrt(gg / jt.trc), sigma3 = sqrt(ee / jt.trc);
    double nu = sigma1 * sigma1 / (sigma1 * sigma1 + sigma3 * sigma3 + TINY);
    asgd_gain_t *u = &o->used;
    u->alpha = 1.0;
    u->A = o->user.A;
    if (o->method == ASGD_DISPLACEMENT) {
        double jacg;
        if ((s = displacement(o, pb, mu, pts, count, &jacg)) != PIPIT_OK)
            return s;
        if (!o->noise_compensation)
            nu = 1.0;
        u->a = delta * pow(u->A + 1.0, u->alpha) / (jacg + TINY) * nu;
    } else {
        double den = sigma1 * sqrt(jt.max_jcj);
        if (den <= TINY) {
            pipit__reg_warn(map, "ASGD: zero gradient at the start; SP_a %g "
                                 "kept", o->user.a);
            u->a = o->user.a;
        } else {
            u->a = u->A * delta / den * nu;
        }
    }
    if (o->method != ASGD_ORIGINAL_SIGMOID_DEFAULT &&
        (o->method != ASGD_DISPLACEMENT || o->noise_compensation)) {
        u->fmax = 1.0;
        u->fmin = -0.99 + 0.98 * nu;
        u->omega = fmax(TINY, o->sigmoid_scale_factor * sigma3 * sigma3 *
                                  sqrt(jt.trcc));
    }
    pipit__reg_info(map,
                    "ASGD estimation: %zu Jacobian points, TrC %g, TrCC %g, "
                    "maxJJ %g, maxJCJ %g, %zu gradients, sigma1 %g, "
                    "sigma3 %g, MaximumStepLength %g",
                    jt.count, jt.trc, jt.trcc, jt.max_jj, jt.max_jcj, nm,
                    sigma1, sigma3, delta);
    return PIPIT_OK;
}

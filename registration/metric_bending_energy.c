/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TransformBendingEnergyPenalty (spec §7.6): C = (1/N) Σ_x Σ_i ‖∂²T_i/∂x²‖²_F
 * over the N samples, the curvature of the transform, 0 for the linear
 * kinds. Used beside a similarity metric in a
 * MultiMetricMultiResolutionRegistration to keep a B-spline smooth.
 *
 * For a B-spline of order p, T_i(x) = x_i + Σ_k c_ki β_k(u) with
 * u = A (x − O), A = diag(1/h) G⁻¹ (spacing h, direction G), so
 *   ∂²T_i/∂x_a∂x_b = Σ_k c_ki Σ_cd A_ca A_db ∂²β_k/∂u_c∂u_d,
 * linear in the coefficients: ∂C/∂c_ki = (2/N) Σ_x Σ_ab H_i,ab ∂²β_k/∂x_a∂x_b.
 * Behind an initial transform combined by "Compose", T = T_cur ∘ T_init
 * with T_init linear (its Jacobian J), H = Jᵀ H_cur(T_init(x)) J; with
 * "Add" the initial part adds no curvature. A deformable initial
 * transform's own curvature is not counted.
 *
 * Pieces of samples run on the pool, each chunk adding into its own
 * value-and-gradient accumulator, merged in chunk order: the same bits
 * at any thread count.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "linalg_impl.h"
#include "reg_impl.h"

#define BATCH 64

typedef struct {
    size_t n_params;
    pipit_reduction_t *red;
    double *total;  /* 2 + n_params: Σ value, valid count, gradient */
    /* the level's B-spline, or none (a linear transform: C = 0) */
    const pipit_transform_t *bs;
    unsigned dim, order;
    size_t grid_n;  /* control points per component */
    double A[PIPIT_MAX_DIM * PIPIT_MAX_DIM], origin[PIPIT_MAX_DIM];
    size_t gsize[PIPIT_MAX_DIM];
    ptrdiff_t gindex[PIPIT_MAX_DIM];
    /* the initial transform in front, when composed (else identity) */
    const pipit_transform_t *initial;
    double J[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
} bending_t;

typedef struct {
    bending_t *st;
    const reg_samples_t *s;
    bool deriv;
} bending_run_t;

/* The centred cardinal B-spline of order 0..3, and its derivatives
 * through the lower orders; order < 0 is 0. */
static double
bspline(int order, double x)
{
    double a = fabs(x);
    switch (order) {
    case 0: return a < 0.5 ? 1.0 : a == 0.5 ? 0.5 : 0.0;
    case 1: return a < 1.0 ? 1.0 - a : 0.0;
    case 2:
        return a < 0.5 ? 0.75 - a * a
                       : a < 1.5 ? 0.5 * (1.5 - a) * (1.5 - a) : 0.0;
    case 3:
        return a < 1.0 ? (4.0 - 6.0 * a * a + 3.0 * a * a * a) / 6.0
                       : a < 2.0 ? (2.0 - a) * (2.0 - a) * (2.0 - a) / 6.0
                                 : 0.0;
    default: return 0.0;
    }
}

static double
bspline_d(int order, int deriv, double x)
{
    if (deriv == 0)
        return bspline(order, x);
    return bspline_d(order - 1, deriv - 1, x + 0.5) -
           bspline_d(order - 1, deriv - 1, x - 0.5);
}

static pipit_status_t
bending_configure(void *state, const reg_map_t *m, unsigned level)
{
    (void)state, (void)m, (void)level;
    return PIPIT_OK; /* no keys of its own */
}

static pipit_status_t
bending_begin_level(void *state, const reg_level_t *L)
{
    bending_t *st = state;
    st->n_params = L->n_params;
    st->bs = NULL;
    st->initial = NULL;
    st->dim = L->dim;
    pipit__mat_identity(st->dim, st->J);
    /* Its second derivatives would need the wrapped support: refused
     * rather than a silent 0, which is what a grid-less transform gets. */
    if (pipit_bspline_transform_cyclic_grid(L->optimized) != NULL)
        return pipit__error(PIPIT_EUNSUPPORTED,
                            "TransformBendingEnergyPenalty: a cyclic "
                            "B-spline transform (UseCyclicTransform "
                            "\"true\") is not supported");
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(L->optimized);
    if (g != NULL) {
        unsigned d = L->dim;
        st->bs = L->optimized;
        st->order = pipit_bspline_transform_order(L->optimized);
        st->grid_n = 1;
        double gd[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
        for (unsigned r = 0; r < d; r++) {
            st->gsize[r] = g->size[r];
            st->gindex[r] = g->index[r];
            st->origin[r] = g->origin[r];
            st->grid_n *= g->size[r];
            for (unsigned c = 0; c < d; c++)
                gd[r * d + c] = g->direction[r * d + c];
        }
        /* A = diag(1/h) G^-1 */
        if (!pipit__mat_inverse(d, gd, st->A))
            return pipit__error(PIPIT_EINVAL,
                                "TransformBendingEnergyPenalty: the B-spline "
                                "grid direction is singular");
        for (unsigned r = 0; r < d; r++)
            for (unsigned c = 0; c < d; c++)
                st->A[r * d + c] /= g->spacing[r];
        if (pipit_transform_is_chain(L->transform) &&
            pipit_transform_chain_how(L->transform) ==
                PIPIT_COMBINE_COMPOSE) {
            st->initial = pipit_transform_chain_initial(L->transform);
            double x0[PIPIT_MAX_DIM] = { 0 };
            pipit_transform_spatial_jacobian(st->initial, x0, st->J);
        }
    }
    pipit_reduction_unref(st->red);
    pipit__free(st->total);
    st->red = pipit_reduction_new((2 + st->n_params) * sizeof(double), 16);
    st->total = pipit__malloc((2 + st->n_params) * sizeof(double));
    return st->red != NULL && st->total != NULL ? PIPIT_OK : PIPIT_ENOMEM;
}

/* Adds sample x's curvature (and its gradient) into acc. */
static void
add_sample(const bending_t *st, const double *x, bool deriv, double *acc)
{
    const unsigned d = st->dim, p = st->order, n1 = p + 1;
    double y[PIPIT_MAX_DIM], u[PIPIT_MAX_DIM];
    if (st->initial != NULL)
        pipit_transform_point(st->initial, x, y);
    else
        memcpy(y, x, d * sizeof *y);
    ptrdiff_t k0[PIPIT_MAX_DIM];
    /* 1-D factors: w[a][deriv][j] */
    double w[PIPIT_MAX_DIM][3][4];
    for (unsigned r = 0; r < d; r++) {
        double s = 0.0;
        for (unsigned c = 0; c < d; c++)
            s += st->A[r * d + c] * (y[c] - st->origin[c]);
        u[r] = s;
        double lo = (double)st->gindex[r] + 0.5 * (p - 1.0);
        double hi = (double)st->gindex[r] + (double)st->gsize[r] - 1.0 -
                    0.5 * (p - 1.0);
        if (!(u[r] >= lo && u[r] < hi))
            return; /* outside the valid region: no displacement */
        k0[r] = (ptrdiff_t)floor(u[r] - 0.5 * (p - 1.0));
        for (unsigned j = 0; j < n1; j++)
            for (int q = 0; q < 3; q++)
                w[r][q][j] = bspline_d((int)p, q, u[r] - (double)(k0[r] + j));
    }
    /* M_ab = Σ_cd (J^T A^T)_ac (A J)_db ∂²/∂u_c∂u_d: B = A J maps x to u */
    double B[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    for (unsigned r = 0; r < d; r++)
        for (unsigned c = 0; c < d; c++) {
            double s = 0.0;
            for (unsigned k = 0; k < d; k++)
                s += st->A[r * d + k] * st->J[k * d + c];
            B[r * d + c] = s;
        }
    size_t support = 1;
    for (unsigned r = 0; r < d; r++)
        support *= n1;
    /* For each supporting point, its Hessian in x (d x d), kept for the
     * gradient pass. (p+1)^d <= 64 points. */
    double hk[64][PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    size_t idx[64];
    double H[PIPIT_MAX_DIM][PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    memset(H, 0, sizeof H);
    const double *coef = pipit_transform_parameters(st->bs);
    for (size_t s = 0; s < support; s++) {
        size_t rem = s, lin = 0, stride = 1;
        unsigned j[PIPIT_MAX_DIM];
        for (unsigned r = 0; r < d; r++) {
            j[r] = (unsigned)(rem % n1);
            rem /= n1;
            lin += (size_t)(k0[r] + j[r] - st->gindex[r]) * stride;
            stride *= st->gsize[r];
        }
        idx[s] = lin;
        /* Hessian in u of this point's basis function */
        double hu[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
        for (unsigned c = 0; c < d; c++)
            for (unsigned e = c; e < d; e++) {
                double v = 1.0;
                for (unsigned r = 0; r < d; r++) {
                    int q = (r == c) + (r == e);
                    v *= w[r][q][j[r]];
                }
                hu[c * d + e] = hu[e * d + c] = v;
            }
        /* in x: B^T hu B */
        for (unsigned a = 0; a < d; a++)
            for (unsigned b = a; b < d; b++) {
                double v = 0.0;
                for (unsigned c = 0; c < d; c++)
                    for (unsigned e = 0; e < d; e++)
                        v += B[c * d + a] * hu[c * d + e] * B[e * d + b];
                hk[s][a * d + b] = hk[s][b * d + a] = v;
            }
        for (unsigned i = 0; i < d; i++) {
            double ci = coef[i * st->grid_n + lin];
            for (unsigned ab = 0; ab < d * d; ab++)
                H[i][ab] += ci * hk[s][ab];
        }
    }
    double v = 0.0;
    for (unsigned i = 0; i < d; i++)
        for (unsigned ab = 0; ab < d * d; ab++)
            v += H[i][ab] * H[i][ab];
    acc[0] += v;
    acc[1] += 1.0;
    if (!deriv)
        return;
    double *g = acc + 2;
    for (size_t s = 0; s < support; s++)
        for (unsigned i = 0; i < d; i++) {
            double t = 0.0;
            for (unsigned ab = 0; ab < d * d; ab++)
                t += H[i][ab] * hk[s][ab];
            g[i * st->grid_n + idx[s]] += 2.0 * t;
        }
}

static pipit_status_t
bending_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const bending_run_t *r = ctx;
    (void)worker;
    const unsigned d = r->st->dim;
    for (size_t i = lo; i < hi; i++)
        add_sample(r->st, r->s->points + i * d, r->deriv, acc);
    return PIPIT_OK;
}

static pipit_status_t
bending_merge(void *ctx, const void *acc, size_t chunk)
{
    const bending_run_t *r = ctx;
    const double *a = acc;
    (void)chunk;
    size_t n = r->deriv ? 2 + r->st->n_params : 2;
    for (size_t k = 0; k < n; k++)
        r->st->total[k] += a[k];
    return PIPIT_OK;
}

static pipit_status_t
bending_evaluate(void *state, const reg_level_t *L, const reg_samples_t *s,
                 double *value, double *deriv, size_t *n_valid)
{
    bending_t *st = state;
    (void)L;
    *value = 0.0;
    *n_valid = s->n;
    if (deriv != NULL)
        memset(deriv, 0, st->n_params * sizeof *deriv);
    if (st->bs == NULL || s->n == 0)
        return PIPIT_OK; /* a linear transform does not bend */
    memset(st->total, 0, (2 + st->n_params) * sizeof *st->total);
    bending_run_t run = { st, s, deriv != NULL };
    pipit_status_t rc = pipit_reduction_run(st->red, s->n, BATCH,
                                            bending_piece, bending_merge,
                                            &run);
    if (rc != PIPIT_OK)
        return rc;
    double inv = 1.0 / (double)s->n;
    *value = st->total[0] * inv;
    if (deriv != NULL)
        for (size_t k = 0; k < st->n_params; k++)
            deriv[k] = st->total[2 + k] * inv;
    return PIPIT_OK;
}

static void
bending_finalize(void *state)
{
    bending_t *st = state;
    pipit_reduction_unref(st->red);
    pipit__free(st->total);
    st->red = NULL;
    st->total = NULL;
}

const reg_metric_class_t pipit__reg_metric_bending_energy = {
    .name = "TransformBendingEnergyPenalty",
    .state_size = sizeof(bending_t),
    .configure = bending_configure,
    .begin_level = bending_begin_level,
    .evaluate = bending_evaluate,
    .finalize = bending_finalize,
};

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

#include "bspline_fast.h"
#include "cpu_impl.h"
#include "error_impl.h"
#include "linalg_impl.h"
#include "reg_impl.h"

#define BATCH 64

typedef struct {
    size_t n_params;
    pipit_reduction_t *red;
    double *total;  /* 1 + n_params: Σ value, then the gradient */
    /* The level's B-spline (or a chain whose current part is one);
     * false for a linear transform (C = 0). */
    bool bending;
    reg_bspline_fast_t f;
    /* B = A J maps x to the grid's u: the Hessian in x of a function of
     * u is Bᵀ (its Hessian in u) B. J is the composed initial
     * transform's Jacobian (identity otherwise). What the samples need
     * is C = B Bᵀ (see to_x), and when it is diagonal CC_cd = C_cc C_dd. */
    double C[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    double CC[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    bool diagonal;
} bending_t;

typedef struct {
    bending_t *st;
    const reg_samples_t *s;
    bool deriv;
} bending_run_t;

/* The weights of the p+1 supporting control points of one axis (offset
 * t as pipit__bspline_start gives it) and their first and second
 * derivatives in u. β^p'' (x) = β^{p−2}(x+1) − 2β^{p−2}(x) + β^{p−2}(x−1),
 * and the support of order p−2 at the same u has the same t and starts
 * one control point later, so with its weights W (0 outside 0..p−2)
 * d2w_j = W_{j−2} − 2 W_{j−1} + W_j: the shared closed-form weights,
 * no recursion per support point. */
static PIPIT__ALWAYS_INLINE void
axis_weights(const unsigned p, double t, double *w, double *dw, double *d2w)
{
    pipit__bspline_weights(p, t, w, dw);
    if (p < 2) {
        for (unsigned j = 0; j <= p; j++)
            d2w[j] = 0.0;
        return;
    }
    double W[4];
    pipit__bspline_weights(p - 2, t, W, NULL);
    for (unsigned j = 0; j <= p; j++) {
        double v = j + 2 <= p ? W[j] : 0.0;
        if (j >= 1 && j + 1 <= p)
            v -= 2.0 * W[j - 1];
        if (j >= 2)
            v += W[j - 2];
        d2w[j] = v;
    }
}

/* The corner control point of x's support (x as the B-spline sees it)
 * and each axis's weights w[r][q][j], q = 0, 1, 2 the derivative; false
 * outside the grid's valid region (no displacement there). The same
 * grid arithmetic as bspline_fast.h's locate. */
static PIPIT__ALWAYS_INLINE bool
locate(const reg_bspline_fast_t *f, const double *x, size_t *first,
       double w[][3][4], const unsigned D, const unsigned p)
{
    double v[PIPIT_MAX_DIM];
    size_t c0 = 0;
    for (unsigned d = 0; d < D; d++)
        v[d] = x[d] - f->origin[d];
    for (unsigned r = 0; r < D; r++) {
        double u = 0.0;
        for (unsigned c = 0; c < D; c++)
            u += f->to_grid[r * D + c] * v[c];
        /* Written so that NaN is outside. */
        if (!(u >= f->lo[r] && u < f->hi[r]))
            return false;
        double t;
        ptrdiff_t s = pipit__bspline_start(p, u - f->gindex[r], &t);
        c0 += (size_t)s * f->stride[r];
        axis_weights(p, t, w[r][0], w[r][1], w[r][2]);
    }
    *first = c0;
    return true;
}

/* From one component's Hessian in u (hu, D x D full) to what its Hessian
 * in x, H = Bᵀ hu B, contributes: with C = B Bᵀ, ||H||²_F = tr(hu C hu C)
 * = <hu, G> for G = B H Bᵀ = C hu C, and G is also the gradient's factor
 * (its inner product with a control point's Hessian in u is that of H
 * with the point's Hessian in x). Returns ||H||²_F, leaves G. On an
 * axis-aligned grid (C diagonal, the usual case) G_cd = C_cc C_dd hu_cd. */
static PIPIT__ALWAYS_INLINE double
to_x(const bending_t *st, const double *hu, double *G, const unsigned D)
{
    if (st->diagonal) {
        for (unsigned cd = 0; cd < D * D; cd++)
            G[cd] = st->CC[cd] * hu[cd];
    } else {
        const double *C = st->C;
        double K[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
        for (unsigned c = 0; c < D; c++) /* K = hu C */
            for (unsigned d = 0; d < D; d++) {
                double t = 0.0;
                for (unsigned e = 0; e < D; e++)
                    t += hu[c * D + e] * C[e * D + d];
                K[c * D + d] = t;
            }
        for (unsigned c = 0; c < D; c++) /* G = C K */
            for (unsigned d = 0; d < D; d++) {
                double t = 0.0;
                for (unsigned e = 0; e < D; e++)
                    t += C[c * D + e] * K[e * D + d];
                G[c * D + d] = t;
            }
    }
    double v = 0.0;
    for (unsigned cd = 0; cd < D * D; cd++)
        v += hu[cd] * G[cd];
    return v;
}

/*
 * One sample in 2-D, separably: a control point's Hessian in u is
 *   [[w0'' w1, w0' w1'], [w0' w1', w0 w1'']]
 * (per-axis factors at its j0, j1), so a component's Hessian in u is, row
 * by row of the support, three dot products of the row's coefficients
 * with w0, w0', w0'' scaled by w1'', w1', w1; and the gradient at (j0, j1),
 * 2 Σ_cd G_cd hu_cd, is per row a combination of w0'', w0', w0.
 */
static PIPIT__ALWAYS_INLINE void
sample_2d(const bending_t *st, const double *x, bool deriv, double *acc,
          const unsigned p)
{
    const reg_bspline_fast_t *f = &st->f;
    double xi[PIPIT_MAX_DIM], base[PIPIT_MAX_DIM], w[2][3][4];
    size_t first;
    const double *at = pipit__reg_bspline_seen(f, x, xi, base);
    if (!locate(f, at, &first, w, 2, p))
        return;
    const unsigned q = p + 1;
    const size_t np = f->n_points, s1 = f->stride[1];
    double G[2][4], v = 0.0;
    for (unsigned e = 0; e < 2; e++) {
        const double *c = f->params + e * np + first;
        /* the rows combined first (vertical, vectorisable), then one dot
         * product per entry along axis 0 */
        double v2[4] = { 0 }, v1[4] = { 0 }, v0[4] = { 0 };
        for (unsigned j1 = 0; j1 < q; j1++) {
            const double *row = c + j1 * s1;
            const double a = w[1][0][j1], b = w[1][1][j1], cc = w[1][2][j1];
            for (unsigned j0 = 0; j0 < q; j0++) {
                v2[j0] += a * row[j0];
                v1[j0] += b * row[j0];
                v0[j0] += cc * row[j0];
            }
        }
        double h00 = 0.0, h01 = 0.0, h11 = 0.0;
        for (unsigned j0 = 0; j0 < q; j0++) {
            h00 += w[0][2][j0] * v2[j0];
            h01 += w[0][1][j0] * v1[j0];
            h11 += w[0][0][j0] * v0[j0];
        }
        const double hu[4] = { h00, h01, h01, h11 };
        v += to_x(st, hu, G[e], 2);
    }
    acc[0] += v;
    if (!deriv)
        return;
    for (unsigned e = 0; e < 2; e++) {
        double *a = acc + 1 + e * np + first;
        const double g00 = 2.0 * G[e][0], g01 = 4.0 * G[e][1],
                     g11 = 2.0 * G[e][3];
        for (unsigned j1 = 0; j1 < q; j1++) {
            double *row = a + j1 * s1;
            const double k2 = g00 * w[1][0][j1], k1 = g01 * w[1][1][j1],
                         k0 = g11 * w[1][2][j1];
            for (unsigned j0 = 0; j0 < q; j0++)
                row[j0] += k2 * w[0][2][j0] + k1 * w[0][1][j0] +
                           k0 * w[0][0][j0];
        }
    }
}

/* One sample in 3-D, as sample_2d: per row (j1, j2) of the support, the
 * three dot products with w0, w0', w0'' feed the six Hessian entries
 * through the products of the other two axes' factors. */
static PIPIT__ALWAYS_INLINE void
sample_3d(const bending_t *st, const double *x, bool deriv, double *acc,
          const unsigned p)
{
    const reg_bspline_fast_t *f = &st->f;
    double xi[PIPIT_MAX_DIM], base[PIPIT_MAX_DIM], w[3][3][4];
    size_t first;
    const double *at = pipit__reg_bspline_seen(f, x, xi, base);
    if (!locate(f, at, &first, w, 3, p))
        return;
    const unsigned q = p + 1;
    const size_t np = f->n_points, s1 = f->stride[1], s2 = f->stride[2];
    double G[3][9], v = 0.0;
    for (unsigned e = 0; e < 3; e++) {
        const double *c = f->params + e * np + first;
        /* the rows combined first (vertical, vectorisable) with the
         * products of the axis-1 and axis-2 factors, then one dot product
         * per entry along axis 0 */
        double v00[4] = { 0 }, v01[4] = { 0 }, v02[4] = { 0 }, v11[4] = { 0 },
               v12[4] = { 0 }, v22[4] = { 0 };
        for (unsigned j2 = 0; j2 < q; j2++)
            for (unsigned j1 = 0; j1 < q; j1++) {
                const double *row = c + j2 * s2 + j1 * s1;
                const double a1 = w[1][0][j1], b1 = w[1][1][j1],
                             c1 = w[1][2][j1];
                const double a2 = w[2][0][j2], b2 = w[2][1][j2],
                             c2 = w[2][2][j2];
                const double k00 = a1 * a2, k01 = b1 * a2, k02 = a1 * b2,
                             k11 = c1 * a2, k12 = b1 * b2, k22 = a1 * c2;
                for (unsigned j0 = 0; j0 < q; j0++) {
                    v00[j0] += k00 * row[j0];
                    v01[j0] += k01 * row[j0];
                    v02[j0] += k02 * row[j0];
                    v11[j0] += k11 * row[j0];
                    v12[j0] += k12 * row[j0];
                    v22[j0] += k22 * row[j0];
                }
            }
        double h00 = 0.0, h01 = 0.0, h02 = 0.0, h11 = 0.0, h12 = 0.0,
               h22 = 0.0;
        for (unsigned j0 = 0; j0 < q; j0++) {
            h00 += w[0][2][j0] * v00[j0];
            h01 += w[0][1][j0] * v01[j0];
            h02 += w[0][1][j0] * v02[j0];
            h11 += w[0][0][j0] * v11[j0];
            h12 += w[0][0][j0] * v12[j0];
            h22 += w[0][0][j0] * v22[j0];
        }
        const double hu[9] = { h00, h01, h02, h01, h11, h12, h02, h12, h22 };
        v += to_x(st, hu, G[e], 3);
    }
    acc[0] += v;
    if (!deriv)
        return;
    for (unsigned e = 0; e < 3; e++) {
        double *a = acc + 1 + e * np + first;
        const double *g = G[e];
        const double g00 = 2.0 * g[0], g01 = 4.0 * g[1], g02 = 4.0 * g[2],
                     g11 = 2.0 * g[4], g12 = 4.0 * g[5], g22 = 2.0 * g[8];
        for (unsigned j2 = 0; j2 < q; j2++)
            for (unsigned j1 = 0; j1 < q; j1++) {
                double *row = a + j2 * s2 + j1 * s1;
                const double a1 = w[1][0][j1], b1 = w[1][1][j1],
                             c1 = w[1][2][j1];
                const double a2 = w[2][0][j2], b2 = w[2][1][j2],
                             c2 = w[2][2][j2];
                const double k2 = g00 * a1 * a2;
                const double k1 = g01 * b1 * a2 + g02 * a1 * b2;
                const double k0 =
                    g11 * c1 * a2 + g12 * b1 * b2 + g22 * a1 * c2;
                for (unsigned j0 = 0; j0 < q; j0++)
                    row[j0] += k2 * w[0][2][j0] + k1 * w[0][1][j0] +
                               k0 * w[0][0][j0];
            }
    }
}

/* Any dimension (4-D here): each supporting point's Hessian in u as the
 * products of its per-axis factors, once for the value and again for
 * the gradient (nothing kept per point, whatever the support's size). */
static void
sample_any(const bending_t *st, const double *x, bool deriv, double *acc)
{
    const reg_bspline_fast_t *f = &st->f;
    const unsigned D = f->dim, q = f->order + 1;
    double xi[PIPIT_MAX_DIM], base[PIPIT_MAX_DIM], w[PIPIT_MAX_DIM][3][4];
    size_t first;
    const double *at = pipit__reg_bspline_seen(f, x, xi, base);
    if (!locate(f, at, &first, w, D, f->order))
        return;
    double hu[PIPIT_MAX_DIM][PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    double G[PIPIT_MAX_DIM][PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    memset(hu, 0, sizeof hu);
    for (int pass = 0; pass < (deriv ? 2 : 1); pass++) {
        unsigned j[PIPIT_MAX_DIM] = { 0 };
        for (size_t k = 0; k < f->count; k++) {
            size_t idx = first;
            for (unsigned r = 0; r < D; r++)
                idx += j[r] * f->stride[r];
            double hk[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
            for (unsigned c = 0; c < D; c++)
                for (unsigned d = c; d < D; d++) {
                    double v = 1.0;
                    for (unsigned r = 0; r < D; r++)
                        v *= w[r][(r == c) + (r == d)][j[r]];
                    hk[c * D + d] = hk[d * D + c] = v;
                }
            for (unsigned e = 0; e < D; e++) {
                const size_t at_e = e * f->n_points + idx;
                if (pass == 0) {
                    const double ce = f->params[at_e];
                    for (unsigned cd = 0; cd < D * D; cd++)
                        hu[e][cd] += ce * hk[cd];
                } else {
                    double t = 0.0;
                    for (unsigned cd = 0; cd < D * D; cd++)
                        t += G[e][cd] * hk[cd];
                    acc[1 + at_e] += 2.0 * t;
                }
            }
            for (unsigned r = 0; r < D && ++j[r] == q; r++)
                j[r] = 0;
        }
        if (pass == 0)
            for (unsigned e = 0; e < D; e++)
                acc[0] += to_x(st, hu[e], G[e], D);
    }
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
    /* Its second derivatives would need the wrapped support: refused
     * rather than a silent 0, which is what a grid-less transform gets. */
    if (pipit_bspline_transform_cyclic_grid(L->optimized) != NULL)
        return pipit__error(PIPIT_EUNSUPPORTED,
                            "TransformBendingEnergyPenalty: a cyclic "
                            "B-spline transform (UseCyclicTransform "
                            "\"true\") is not supported");
    st->bending = pipit_bspline_transform_grid(L->optimized) != NULL &&
                  pipit__reg_bspline_fast_init(&st->f, L->transform);
    if (st->bending) {
        const unsigned d = st->f.dim;
        if (d != L->dim || st->f.n_points * d != st->n_params)
            return pipit__error(PIPIT_EINVAL,
                                "TransformBendingEnergyPenalty: the "
                                "B-spline's %zu parameters are not the "
                                "level's %zu",
                                st->f.n_points * d, st->n_params);
        /* J: a composed initial transform is linear (its Jacobian
         * anywhere); added, it adds no curvature and the B-spline sees x. */
        double J[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
        pipit__mat_identity(d, J);
        if (st->f.initial != NULL && !st->f.add) {
            double x0[PIPIT_MAX_DIM] = { 0 };
            pipit_transform_spatial_jacobian(st->f.initial, x0, J);
        }
        double B[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
        for (unsigned r = 0; r < d; r++)
            for (unsigned c = 0; c < d; c++) {
                double s = 0.0;
                for (unsigned k = 0; k < d; k++)
                    s += st->f.to_grid[r * d + k] * J[k * d + c];
                B[r * d + c] = s;
            }
        st->diagonal = true;
        for (unsigned r = 0; r < d; r++)
            for (unsigned c = 0; c < d; c++) {
                double s = 0.0;
                for (unsigned k = 0; k < d; k++)
                    s += B[r * d + k] * B[c * d + k];
                st->C[r * d + c] = s;
                if (r != c && s != 0.0)
                    st->diagonal = false;
            }
        for (unsigned r = 0; r < d; r++)
            for (unsigned c = 0; c < d; c++)
                st->CC[r * d + c] = st->C[r * d + r] * st->C[c * d + c];
    }
    pipit_reduction_unref(st->red);
    pipit__free(st->total);
    st->red = pipit_reduction_new((1 + st->n_params) * sizeof(double), 16);
    st->total = pipit__malloc((1 + st->n_params) * sizeof(double));
    return st->red != NULL && st->total != NULL ? PIPIT_OK : PIPIT_ENOMEM;
}

/* The dimension and the order as constants where they are the common
 * ones, so the support loops unroll; built twice (lib/cpu_impl.h), the
 * x86-64-v3 copy fusing the multiply-adds. One copy per run, so the
 * same bits at any thread count. */
#define BENDING_PIECE(V, ATTR)                                              \
    ATTR static pipit_status_t bending_piece##V(                           \
        void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)       \
    {                                                                      \
        const bending_run_t *r = ctx;                                      \
        (void)worker;                                                      \
        const bending_t *st = r->st;                                       \
        const unsigned d = st->f.dim, p = st->f.order;                     \
        const double *pts = r->s->points;                                  \
        const bool deriv = r->deriv;                                       \
        if (d == 2 && p == 3)                                              \
            for (size_t i = lo; i < hi; i++)                               \
                sample_2d(st, pts + i * 2, deriv, acc, 3);                 \
        else if (d == 2)                                                   \
            for (size_t i = lo; i < hi; i++)                               \
                sample_2d(st, pts + i * 2, deriv, acc, p);                 \
        else if (d == 3 && p == 3)                                         \
            for (size_t i = lo; i < hi; i++)                               \
                sample_3d(st, pts + i * 3, deriv, acc, 3);                 \
        else if (d == 3)                                                   \
            for (size_t i = lo; i < hi; i++)                               \
                sample_3d(st, pts + i * 3, deriv, acc, p);                 \
        else                                                               \
            for (size_t i = lo; i < hi; i++)                               \
                sample_any(st, pts + i * d, deriv, acc);                   \
        return PIPIT_OK;                                                   \
    }
PIPIT__MULTIVERSION(BENDING_PIECE)

static pipit_status_t
bending_merge(void *ctx, const void *acc, size_t chunk)
{
    const bending_run_t *r = ctx;
    const double *a = acc;
    (void)chunk;
    size_t n = r->deriv ? 1 + r->st->n_params : 1;
    double *t = r->st->total;
    for (size_t k = 0; k < n; k++)
        t[k] += a[k];
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
    if (!st->bending || s->n == 0)
        return PIPIT_OK; /* a linear transform does not bend */
    pipit__reg_bspline_fast_refresh(&st->f);
    memset(st->total, 0, (1 + st->n_params) * sizeof *st->total);
    bending_run_t run = { st, s, deriv != NULL };
    pipit_status_t rc =
        pipit_reduction_run(st->red, s->n, BATCH, PIPIT__PICK(bending_piece),
                            bending_merge, &run);
    if (rc != PIPIT_OK)
        return rc;
    double inv = 1.0 / (double)s->n;
    *value = st->total[0] * inv;
    if (deriv != NULL)
        for (size_t k = 0; k < st->n_params; k++)
            deriv[k] = st->total[1 + k] * inv;
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

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TransformBendingEnergyPenalty against independent answers: its value
 * from the transform's curvature measured by finite differences of
 * pipit_transform_point (also behind a composed or added affine initial
 * transform, and in 4-D), its derivative against central differences of
 * its value, value and derivative against a direct sum over the support
 * with the kernels' own piecewise second derivatives, the closed-form
 * energy of a B-spline whose coefficients are a quadratic polynomial of
 * the grid index, 0 for a linear transform, and the same bits at 1, 2
 * and 3 threads.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pipit/pipit.h>

#include "error_impl.h"
#include "linalg_impl.h"
#include "reg_impl.h"
#include "testutil.h"

static pipit_transform_t *
smooth_bspline(unsigned dim, unsigned order)
{
    pipit_bspline_grid_t g;
    pipit_bspline_grid_init(&g, dim);
    for (unsigned d = 0; d < dim; d++) {
        /* 4-D: smaller, just covering the samples' valid region */
        g.size[d] = dim == 4 ? (d < 2 ? 7 : 6) : 7 + d;
        g.spacing[d] = 4.0 + d;
        g.origin[d] = -6.0 - 2.0 * d;
    }
    if (dim == 2) { /* a rotated grid: direction must be handled */
        double c = cos(0.3), s = sin(0.3);
        double dir[4] = { c, -s, s, c };
        memcpy(g.direction, dir, sizeof dir);
    }
    pipit_transform_t *t = pipit_bspline_transform_new(dim, order, &g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    size_t n = pipit_transform_n_parameters(t);
    double *p = pipit__malloc(n * sizeof *p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    for (size_t k = 0; k < n; k++)
        p[k] = 0.8 * sin(0.7 * (double)k + 0.3) * cos(0.13 * (double)k);
    ASSERT_OK(pipit_transform_set_parameters(t, p, n));
    pipit__free(p);
    return t;
}

static reg_samples_t
samples_in(unsigned dim, size_t n)
{
    reg_samples_t s = { 0 };
    ASSERT_OK(pipit__reg_samples_reserve(&s, dim, n));
    for (size_t i = 0; i < n; i++)
        for (unsigned d = 0; d < dim; d++)
            s.points[i * dim + d] =
                2.0 + 10.0 * fmod(0.6180339887 * (double)(i * (d + 3) + 1),
                                  1.0);
    s.n = n;
    return s;
}

/* sum_i ||d2 T_i / dx2||_F^2 by central differences of T */
static double
curvature_fd(const pipit_transform_t *t, unsigned dim, const double *x)
{
    const double h = 1e-3;
    double sum = 0.0;
    for (unsigned a = 0; a < dim; a++)
        for (unsigned b = 0; b < dim; b++) {
            double xpp[4], xpm[4], xmp[4], xmm[4], ypp[4], ypm[4], ymp[4],
                ymm[4];
            memcpy(xpp, x, dim * sizeof *x);
            memcpy(xpm, x, dim * sizeof *x);
            memcpy(xmp, x, dim * sizeof *x);
            memcpy(xmm, x, dim * sizeof *x);
            xpp[a] += h, xpp[b] += h;
            xpm[a] += h, xpm[b] -= h;
            xmp[a] -= h, xmp[b] += h;
            xmm[a] -= h, xmm[b] -= h;
            pipit_transform_point(t, xpp, ypp);
            pipit_transform_point(t, xpm, ypm);
            pipit_transform_point(t, xmp, ymp);
            pipit_transform_point(t, xmm, ymm);
            for (unsigned i = 0; i < dim; i++) {
                double hab = (ypp[i] - ypm[i] - ymp[i] + ymm[i]) / (4 * h * h);
                sum += hab * hab;
            }
        }
    return sum;
}

static void
level_of(reg_level_t *L, pipit_transform_t *t, unsigned dim)
{
    *L = (reg_level_t){ .dim = dim, .transform = t, .optimized = t,
                        .n_params = pipit_transform_n_parameters(t) };
}

/* The kernels' derivatives written out piece by piece in x (not from the
 * offset tables the metric uses): β^p^(q)(x), q = 0..2, p = 2, 3. */
static double
kernel(unsigned p, unsigned q, double x)
{
    double a = fabs(x), sg = x < 0 ? -1.0 : 1.0;
    if (p == 3) {
        if (a < 1.0)
            return q == 0 ? 2.0 / 3.0 - a * a + 0.5 * a * a * a
                   : q == 1 ? sg * (-2.0 * a + 1.5 * a * a)
                            : -2.0 + 3.0 * a;
        if (a < 2.0)
            return q == 0 ? (2.0 - a) * (2.0 - a) * (2.0 - a) / 6.0
                   : q == 1 ? -sg * 0.5 * (2.0 - a) * (2.0 - a)
                            : 2.0 - a;
        return 0.0;
    }
    if (a < 0.5)
        return q == 0 ? 0.75 - a * a : q == 1 ? -2.0 * x : -2.0;
    if (a < 1.5)
        return q == 0 ? 0.5 * (1.5 - a) * (1.5 - a)
               : q == 1 ? -sg * (1.5 - a)
                        : 1.0;
    return 0.0;
}

/* The penalty by its definition, point by point of every sample's
 * support: H_i = Bᵀ (Σ_k c_ik ∂²β_k/∂u²) B, B = A J; gradient
 * 2 Σ_ab H_i,ab (Bᵀ ∂²β_k/∂u² B)_ab. J the Jacobian of a composed
 * initial part (identity otherwise). */
static double
reference(const pipit_transform_t *bs, const pipit_transform_t *initial,
          unsigned dim, const reg_samples_t *s, double *grad)
{
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(bs);
    const unsigned p = pipit_bspline_transform_order(bs), D = dim;
    const double *c = pipit_transform_parameters(bs);
    size_t np = 1;
    for (unsigned d = 0; d < D; d++)
        np *= g->size[d];
    double A[16], B[16], J[16];
    CU_ASSERT_FATAL(pipit__mat_inverse(D, g->direction, A));
    for (unsigned r = 0; r < D; r++)
        for (unsigned k = 0; k < D; k++)
            A[r * D + k] /= g->spacing[r];
    pipit__mat_identity(D, J);
    if (initial != NULL) {
        double x0[4] = { 0 };
        pipit_transform_spatial_jacobian(initial, x0, J);
    }
    for (unsigned r = 0; r < D; r++)
        for (unsigned k = 0; k < D; k++) {
            B[r * D + k] = 0.0;
            for (unsigned m = 0; m < D; m++)
                B[r * D + k] += A[r * D + m] * J[m * D + k];
        }
    memset(grad, 0, D * np * sizeof *grad);
    double total = 0.0;
    size_t support = 1;
    for (unsigned d = 0; d < D; d++)
        support *= p + 1;
    for (size_t i = 0; i < s->n; i++) {
        double y[4], u[4];
        ptrdiff_t k0[4];
        if (initial != NULL)
            pipit_transform_point(initial, s->points + i * D, y);
        else
            memcpy(y, s->points + i * D, D * sizeof *y);
        bool inside = true;
        for (unsigned r = 0; r < D; r++) {
            u[r] = 0.0;
            for (unsigned k = 0; k < D; k++)
                u[r] += A[r * D + k] * (y[k] - g->origin[k]);
            double half = 0.5 * (p - 1.0);
            inside = inside && u[r] >= half &&
                     u[r] < (double)g->size[r] - 1.0 - half;
            k0[r] = (ptrdiff_t)floor(u[r] - half);
        }
        if (!inside)
            continue;
        double H[4][16] = { { 0 } };
        for (int pass = 0; pass < 2; pass++) {
            for (size_t k = 0; k < support; k++) {
                size_t rem = k, lin = 0, stride = 1;
                double kk[4];
                for (unsigned r = 0; r < D; r++) {
                    size_t j = rem % (p + 1);
                    rem /= p + 1;
                    lin += (size_t)(k0[r] + (ptrdiff_t)j) * stride;
                    stride *= g->size[r];
                    kk[r] = (double)(k0[r] + (ptrdiff_t)j);
                }
                double hu[16], hx[16];
                for (unsigned a = 0; a < D; a++)
                    for (unsigned b = 0; b < D; b++) {
                        double v = 1.0;
                        for (unsigned r = 0; r < D; r++)
                            v *= kernel(p, (r == a) + (r == b), u[r] - kk[r]);
                        hu[a * D + b] = v;
                    }
                for (unsigned a = 0; a < D; a++)
                    for (unsigned b = 0; b < D; b++) {
                        double v = 0.0;
                        for (unsigned m = 0; m < D; m++)
                            for (unsigned n = 0; n < D; n++)
                                v += B[m * D + a] * hu[m * D + n] *
                                     B[n * D + b];
                        hx[a * D + b] = v;
                    }
                for (unsigned e = 0; e < D; e++) {
                    if (pass == 0) {
                        for (unsigned ab = 0; ab < D * D; ab++)
                            H[e][ab] += c[e * np + lin] * hx[ab];
                    } else {
                        double t = 0.0;
                        for (unsigned ab = 0; ab < D * D; ab++)
                            t += H[e][ab] * hx[ab];
                        grad[e * np + lin] += 2.0 * t / (double)s->n;
                    }
                }
            }
        }
        for (unsigned e = 0; e < D; e++)
            for (unsigned ab = 0; ab < D * D; ab++)
                total += H[e][ab] * H[e][ab];
    }
    return total / (double)s->n;
}

/* how: 0 the B-spline alone, 1 behind an affine initial transform
 * (Compose), 2 added to one (Add). */
static void
check_case(unsigned dim, unsigned order, int how)
{
    pipit_transform_t *bs = smooth_bspline(dim, order), *t = bs, *init = NULL;
    if (how != 0) {
        double c[4] = { 7, 7, 7, 7 };
        init = pipit_affine_transform_new(dim, c);
        CU_ASSERT_PTR_NOT_NULL_FATAL(init);
        double a[20] = { 0 };
        for (unsigned r = 0; r < dim; r++)
            for (unsigned k = 0; k < dim; k++)
                a[r * dim + k] = r == k ? 1.05 : 0.08 * ((r + 2 * k) % 3) - 0.08;
        a[dim * dim] = 0.3, a[dim * dim + 1] = -0.2;
        ASSERT_OK(pipit_transform_set_parameters(init, a, dim * dim + dim));
        t = pipit_transform_chain_new(init, bs, how == 1
                                                     ? PIPIT_COMBINE_COMPOSE
                                                     : PIPIT_COMBINE_ADD);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    }
    reg_level_t L;
    level_of(&L, t, dim);
    L.optimized = bs;
    reg_samples_t s = samples_in(dim, 40);
    const reg_metric_class_t *k = &pipit__reg_metric_bending_energy;
    char state[4096] = { 0 };
    CU_ASSERT_FATAL(k->state_size <= sizeof state);
    ASSERT_OK(k->begin_level(state, &L));
    size_t P = L.n_params;
    double v, *deriv = pipit__malloc(4 * P * sizeof *deriv);
    CU_ASSERT_PTR_NOT_NULL_FATAL(deriv);
    double *p = deriv + P, *d3 = deriv + 2 * P, *ref_d = deriv + 3 * P;
    size_t nv;
    ASSERT_OK(k->evaluate(state, &L, &s, &v, deriv, &nv));
    double ref = 0.0;
    for (size_t i = 0; i < s.n; i++)
        ref += curvature_fd(t, dim, s.points + i * dim);
    ref /= (double)s.n;
    printf("\n    %u-D order %u%s: penalty %.8g, by differences of T %.8g",
           dim, order, how == 1 ? " composed" : how == 2 ? " added" : "", v,
           ref);
    CU_ASSERT(v > 0.0);
    CU_ASSERT(fabs(v - ref) <= 1e-4 * ref + 1e-9);
    /* the definition, summed point by point: the same to rounding */
    if (order >= 2) {
        double rv = reference(bs, how == 1 ? init : NULL, dim, &s, ref_d);
        double worst = 0.0, scale = 0.0;
        for (size_t q = 0; q < P; q++) {
            worst = fmax(worst, fabs(ref_d[q] - deriv[q]));
            scale = fmax(scale, fabs(ref_d[q]));
        }
        CU_ASSERT(fabs(rv - v) <= 1e-12 * rv);
        CU_ASSERT(worst <= 1e-12 * scale);
    }
    /* derivative against central differences of the value */
    memcpy(p, pipit_transform_parameters(bs), P * sizeof *p);
    double worst = 0.0, scale = 0.0;
    /* a step prime to the grid sizes, so every row of the grid is met
     * (a step of 7 on a 7-wide grid met only control points outside
     * every support) */
    const size_t step = dim == 2 ? 5 : dim == 3 ? 11 : 37;
    for (size_t q = 0; q < P; q += step) {
        double keep = p[q], vp, vm;
        const double e = 1e-5;
        p[q] = keep + e;
        ASSERT_OK(pipit_transform_set_parameters(bs, p, P));
        ASSERT_OK(k->evaluate(state, &L, &s, &vp, NULL, &nv));
        p[q] = keep - e;
        ASSERT_OK(pipit_transform_set_parameters(bs, p, P));
        ASSERT_OK(k->evaluate(state, &L, &s, &vm, NULL, &nv));
        p[q] = keep;
        double fd = (vp - vm) / (2 * e);
        if (fabs(fd - deriv[q]) > worst)
            worst = fabs(fd - deriv[q]);
        if (fabs(fd) > scale)
            scale = fabs(fd);
    }
    ASSERT_OK(pipit_transform_set_parameters(bs, p, P));
    printf(" (derivative: differences up to %.3g, off by %.3g)", scale, worst);
    CU_ASSERT(scale > 0.0);
    CU_ASSERT(worst <= 1e-6 * scale + 1e-9);
    /* the same bits at 1, 2 and 3 threads */
    unsigned threads = pipit_pool_threads();
    for (unsigned n = 1; n <= 3; n++) {
        double v3;
        ASSERT_OK(pipit_pool_set_threads(n));
        ASSERT_OK(k->evaluate(state, &L, &s, &v3, d3, &nv));
        CU_ASSERT(v3 == v && memcmp(d3, deriv, P * sizeof *d3) == 0);
    }
    ASSERT_OK(pipit_pool_set_threads(threads));
    k->finalize(state);
    pipit__free(deriv);
    pipit__reg_samples_free(&s);
    if (t != bs)
        pipit_transform_unref(t);
    pipit_transform_unref(init);
    pipit_transform_unref(bs);
}

static void
test_bspline_curvature(void)
{
    check_case(2, 3, 0);
    check_case(2, 2, 0);
    check_case(3, 3, 0);
    check_case(3, 2, 0);
    check_case(2, 1, 0); /* piecewise linear: no curvature but at kinks */
    check_case(4, 3, 0); /* the any-dimension path */
}

static void
test_initial_transform(void)
{
    check_case(2, 3, 1);
    check_case(2, 3, 2);
    check_case(3, 3, 1);
}

/*
 * Coefficients that are a quadratic polynomial of the grid index k make
 * a quadratic displacement: for the centred cubic and quadratic
 * B-splines Σ_k β(u−k) = 1, Σ_k k β(u−k) = u, Σ_k k² β(u−k) = u² + σ²
 * (σ² = 1/3, 1/4), so component e with c_e(k) = Σ_ab q_e,ab k_a k_b
 * has ∂²T_e/∂x_a∂x_b = (q_e,ab + q_e,ba)/(h_a h_b) on an axis-aligned
 * grid of spacing h, wherever the support lies inside the grid: the
 * energy is the same constant at every sample.
 */
static void
test_polynomial(void)
{
    for (unsigned dim = 2; dim <= 3; dim++)
        for (unsigned order = 2; order <= 3; order++) {
            pipit_bspline_grid_t g;
            pipit_bspline_grid_init(&g, dim);
            const double h[3] = { 3.0, 5.0, 4.0 };
            for (unsigned d = 0; d < dim; d++) {
                g.size[d] = 9 + d;
                g.spacing[d] = h[d];
                g.origin[d] = -6.0;
            }
            pipit_transform_t *t =
                pipit_bspline_transform_new(dim, order, &g);
            CU_ASSERT_PTR_NOT_NULL_FATAL(t);
            size_t np = 1;
            for (unsigned d = 0; d < dim; d++)
                np *= g.size[d];
            /* q_e,ab, upper triangle: 0.01 (e + 1) (a + 2b + 1) */
            double *c = pipit__malloc(dim * np * sizeof *c);
            CU_ASSERT_PTR_NOT_NULL_FATAL(c);
            double want = 0.0;
            for (unsigned e = 0; e < dim; e++)
                for (unsigned a = 0; a < dim; a++)
                    for (unsigned b = a; b < dim; b++) {
                        double qv = 0.01 * (e + 1) * (a + 2 * b + 1);
                        double hab = (a == b ? 2.0 : 1.0) * qv / (h[a] * h[b]);
                        want += (a == b ? 1.0 : 2.0) * hab * hab;
                    }
            for (size_t i = 0; i < np; i++) {
                double kk[3];
                size_t rem = i;
                for (unsigned d = 0; d < dim; d++) {
                    kk[d] = (double)(rem % g.size[d]);
                    rem /= g.size[d];
                }
                for (unsigned e = 0; e < dim; e++) {
                    double v = 0.0;
                    for (unsigned a = 0; a < dim; a++)
                        for (unsigned b = a; b < dim; b++)
                            v += 0.01 * (e + 1) * (a + 2 * b + 1) * kk[a] *
                                 kk[b];
                    c[e * np + i] = v;
                }
            }
            ASSERT_OK(pipit_transform_set_parameters(t, c, dim * np));
            reg_level_t L;
            level_of(&L, t, dim);
            reg_samples_t s = samples_in(dim, 50);
            const reg_metric_class_t *k = &pipit__reg_metric_bending_energy;
            char state[4096] = { 0 };
            ASSERT_OK(k->begin_level(state, &L));
            double v;
            size_t nv;
            ASSERT_OK(k->evaluate(state, &L, &s, &v, c, &nv));
            printf("\n    %u-D order %u: penalty %.15g, closed form %.15g",
                   dim, order, v, want);
            CU_ASSERT(fabs(v - want) <= 1e-11 * want);
            k->finalize(state);
            pipit__reg_samples_free(&s);
            pipit__free(c);
            pipit_transform_unref(t);
        }
}

static void
test_linear_zero(void)
{
    double c[2] = { 1, 2 };
    pipit_transform_t *t = pipit_affine_transform_new(2, c);
    const double p[6] = { 1.1, 0.2, -0.1, 0.9, 3, 4 };
    ASSERT_OK(pipit_transform_set_parameters(t, p, 6));
    reg_level_t L;
    level_of(&L, t, 2);
    reg_samples_t s = samples_in(2, 10);
    const reg_metric_class_t *k = &pipit__reg_metric_bending_energy;
    char state[4096] = { 0 };
    ASSERT_OK(k->begin_level(state, &L));
    double v = -1, d[6];
    size_t nv;
    ASSERT_OK(k->evaluate(state, &L, &s, &v, d, &nv));
    CU_ASSERT_EQUAL(v, 0.0);
    for (int i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(d[i], 0.0);
    k->finalize(state);
    pipit__reg_samples_free(&s);
    pipit_transform_unref(t);
}

const test_case_t test_reg_penalty_cases[] = {
    { "bspline_curvature", test_bspline_curvature },
    { "initial_transform", test_initial_transform },
    { "polynomial", test_polynomial },
    { "linear_zero", test_linear_zero },
    { NULL, NULL },
};

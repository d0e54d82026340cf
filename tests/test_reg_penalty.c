/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TransformBendingEnergyPenalty against independent answers: its value
 * from the transform's curvature measured by finite differences of
 * pipit_transform_point, its derivative against central differences of
 * its value, 0 for a linear transform, and the same bits at 1 and 3
 * threads.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pipit/pipit.h>

#include "error_impl.h"
#include "reg_impl.h"
#include "testutil.h"

static pipit_transform_t *
smooth_bspline(unsigned dim, unsigned order)
{
    pipit_bspline_grid_t g;
    pipit_bspline_grid_init(&g, dim);
    for (unsigned d = 0; d < dim; d++) {
        g.size[d] = 7 + d;
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
    double p[4096];
    for (size_t k = 0; k < n; k++)
        p[k] = 0.8 * sin(0.7 * (double)k + 0.3) * cos(0.13 * (double)k);
    ASSERT_OK(pipit_transform_set_parameters(t, p, n));
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
            double xpp[3], xpm[3], xmp[3], xmm[3], ypp[3], ypm[3], ymp[3],
                ymm[3];
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

static void
check_case(unsigned dim, unsigned order)
{
    pipit_transform_t *t = smooth_bspline(dim, order);
    reg_level_t L;
    level_of(&L, t, dim);
    reg_samples_t s = samples_in(dim, 40);
    const reg_metric_class_t *k = &pipit__reg_metric_bending_energy;
    char state[4096] = { 0 };
    CU_ASSERT_FATAL(k->state_size <= sizeof state);
    ASSERT_OK(k->begin_level(state, &L));
    double v, deriv[4096];
    size_t nv;
    ASSERT_OK(k->evaluate(state, &L, &s, &v, deriv, &nv));
    double ref = 0.0;
    for (size_t i = 0; i < s.n; i++)
        ref += curvature_fd(t, dim, s.points + i * dim);
    ref /= (double)s.n;
    printf("\n    %u-D order %u: penalty %.8g, by differences of T %.8g", dim,
           order, v, ref);
    CU_ASSERT(v > 0.0);
    CU_ASSERT(fabs(v - ref) <= 1e-4 * ref + 1e-9);
    /* derivative against central differences of the value */
    size_t P = L.n_params;
    double p[4096];
    memcpy(p, pipit_transform_parameters(t), P * sizeof *p);
    double worst = 0.0, scale = 0.0;
    for (size_t q = 0; q < P; q += 7) {
        double keep = p[q], vp, vm;
        const double e = 1e-5;
        p[q] = keep + e;
        ASSERT_OK(pipit_transform_set_parameters(t, p, P));
        ASSERT_OK(k->evaluate(state, &L, &s, &vp, NULL, &nv));
        p[q] = keep - e;
        ASSERT_OK(pipit_transform_set_parameters(t, p, P));
        ASSERT_OK(k->evaluate(state, &L, &s, &vm, NULL, &nv));
        p[q] = keep;
        double fd = (vp - vm) / (2 * e);
        if (fabs(fd - deriv[q]) > worst)
            worst = fabs(fd - deriv[q]);
        if (fabs(fd) > scale)
            scale = fabs(fd);
    }
    ASSERT_OK(pipit_transform_set_parameters(t, p, P));
    CU_ASSERT(worst <= 1e-6 * scale + 1e-9);
    /* the same bits at another thread count */
    unsigned threads = pipit_pool_threads();
    ASSERT_OK(pipit_pool_set_threads(3));
    double v3, d3[4096];
    ASSERT_OK(k->evaluate(state, &L, &s, &v3, d3, &nv));
    ASSERT_OK(pipit_pool_set_threads(threads));
    CU_ASSERT(v3 == v && memcmp(d3, deriv, P * sizeof *d3) == 0);
    k->finalize(state);
    pipit__reg_samples_free(&s);
    pipit_transform_unref(t);
}

static void
test_bspline_curvature(void)
{
    check_case(2, 3);
    check_case(2, 2);
    check_case(3, 3);
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
    { "linear_zero", test_linear_zero },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The smoothing filters against known answers: discrete and recursive
 * Gaussians of an impulse, the recursive filter against the discrete one,
 * derivatives of polynomials, ITK's boundaries (zero-flux Neumann for the
 * discrete Gaussian, mean and median; the border value extended for the
 * recursive ones), and mean and median against references written here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "smooth_util.h"

/* ---- discrete Gaussian ------------------------------------------------- */

/* A 2-D impulse: the output is the product of two 1-D kernels, which
 * must be ITK's (exp(-t) I_k(t) from the power series, truncated at
 * 1 - maximum error, normalised). */
static void
dgauss_impulse_is_bessel_kernel(void)
{
    const size_t n = 31, c = 15, size[2] = { n, n };
    const double variances[] = { 1.0, 4.0, 9.0 };
    for (size_t v = 0; v < 3; v++) {
        pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
        su_set(img, c, c, 0, 1.0);
        pipit_node_t *g = pipit_discrete_gaussian_new(variances[v]);
        pipit_image_t *out = su_run(g, img);
        CU_ASSERT_PTR_NOT_NULL_FATAL(out);
        double half[34];
        size_t r = su_gaussian_half(variances[v], 0.01, half);
        double worst = 0.0;
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++) {
                size_t dx = x > c ? x - c : c - x, dy = y > c ? y - c : c - y;
                double k = (dx <= r ? half[dx] : 0.0) *
                           (dy <= r ? half[dy] : 0.0);
                worst = fmax(worst, fabs(su_at(out, x, y, 0) - k));
            }
        CU_ASSERT(worst < 1e-6);
        pipit_image_unref(out);
        pipit_node_unref(g);
        pipit_image_unref(img);
    }
}

/* Against the sampled Gaussian: the discrete kernel converges to it as
 * the variance grows; for variance 9 the 2-D responses differ by under 5%
 * of the Gaussian's peak (discretisation and the 1% mass cut). */
static void
dgauss_impulse_near_sampled_gaussian(void)
{
    const size_t n = 41, c = 20, size[2] = { n, n };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
    su_set(img, c, c, 0, 1.0);
    pipit_node_t *g = pipit_discrete_gaussian_new(9.0);
    pipit_image_t *out = su_run(g, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    double peak = 1.0 / (2.0 * M_PI * 9.0), worst = 0.0, sum = 0.0;
    for (size_t y = 0; y < n; y++)
        for (size_t x = 0; x < n; x++) {
            double r2 = (double)((x - c) * (x - c) + (y - c) * (y - c));
            double gs = peak * exp(-r2 / 18.0);
            worst = fmax(worst, fabs(su_at(out, x, y, 0) - gs));
            sum += su_at(out, x, y, 0);
        }
    CU_ASSERT(worst < 0.05 * peak);
    CU_ASSERT(fabs(sum - 1.0) < 1e-5);
    pipit_image_unref(out);
    pipit_node_unref(g);
    pipit_image_unref(img);
}

/* use_image_spacing: a physical variance of 16 at spacing 2 is 4 voxels². */
static void
dgauss_spacing(void)
{
    const size_t size[3] = { 12, 9, 7 };
    pipit_image_t *a = su_random(3, size, PIPIT_F32, 0, 100, 7);
    pipit_image_t *b = pipit_image_dup(a);
    double sp[3] = { 2.0, 2.0, 2.0 };
    ASSERT_OK(pipit_image_set_spacing(b, sp));
    pipit_node_t *ga = pipit_discrete_gaussian_new(4.0);
    pipit_node_t *gb = pipit_discrete_gaussian_new(16.0);
    pipit_node_t *gc = pipit_discrete_gaussian_new(4.0);
    ASSERT_OK(pipit_node_set(gc, "use-image-spacing", "false"));
    pipit_image_t *oa = su_run(ga, a), *ob = su_run(gb, b),
                  *oc = su_run(gc, b);
    CU_ASSERT(su_identical(oa, ob) || su_max_diff(oa, ob) == 0.0);
    CU_ASSERT(su_max_diff(oa, oc) == 0.0);
    pipit_image_unref(oa);
    pipit_image_unref(ob);
    pipit_image_unref(oc);
    pipit_node_unref(ga);
    pipit_node_unref(gb);
    pipit_node_unref(gc);
    pipit_image_unref(a);
    pipit_image_unref(b);
}

/* Zero-flux Neumann: outside indices read the nearest pixel, checked
 * against a convolution written here, per axis with per-axis variances
 * and on integer pixels (rounded). */
static void
dgauss_neumann_boundary(void)
{
    const size_t size[2] = { 10, 6 };
    pipit_image_t *img = su_random(2, size, PIPIT_I16, -500, 500, 3);
    pipit_node_t *g = pipit_discrete_gaussian_new(1.0);
    ASSERT_OK(pipit_node_set(g, "variance", "2,0.5"));
    pipit_image_t *out = su_run(g, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    double hx[34], hy[34];
    size_t rx = su_gaussian_half(2.0, 0.01, hx);
    size_t ry = su_gaussian_half(0.5, 0.01, hy);
    double worst = 0.0;
    for (size_t y = 0; y < size[1]; y++)
        for (size_t x = 0; x < size[0]; x++) {
            double s = 0.0;
            for (ptrdiff_t j = -(ptrdiff_t)ry; j <= (ptrdiff_t)ry; j++)
                for (ptrdiff_t i = -(ptrdiff_t)rx; i <= (ptrdiff_t)rx; i++) {
                    ptrdiff_t xi = (ptrdiff_t)x + i, yj = (ptrdiff_t)y + j;
                    xi = xi < 0 ? 0 : xi >= 10 ? 9 : xi;
                    yj = yj < 0 ? 0 : yj >= 6 ? 5 : yj;
                    s += hx[labs(i)] * hy[labs(j)] *
                         su_at(img, (size_t)xi, (size_t)yj, 0);
                }
            worst = fmax(worst, fabs(su_at(out, x, y, 0) - round(s)));
        }
    /* float accumulation may land a .5 on the other side */
    CU_ASSERT(worst <= 1.0);
    CU_ASSERT(pipit_image_pixel_type(out) == PIPIT_I16);
    pipit_image_unref(out);
    pipit_node_unref(g);
    pipit_image_unref(img);
}

/* maximum_kernel_width caps the radius (ITK counts the half kernel). */
static void
dgauss_kernel_width(void)
{
    const size_t n = 41, c = 20, size[2] = { n, 1 };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F64, 1);
    su_set(img, c, 0, 0, 1.0);
    pipit_node_t *g = pipit_discrete_gaussian_new(100.0);
    ASSERT_OK(pipit_node_set(g, "maximum-kernel-width", "5"));
    ASSERT_OK(pipit_node_set(g, "variance", "100,0"));
    pipit_image_t *out = su_run(g, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT(su_at(out, c + 5, 0, 0) > 0.0);
    CU_ASSERT(su_at(out, c + 6, 0, 0) == 0.0);
    CU_ASSERT(su_at(out, c - 5, 0, 0) > 0.0);
    CU_ASSERT(su_at(out, c - 6, 0, 0) == 0.0);
    pipit_image_unref(out);
    pipit_node_unref(g);
    pipit_image_unref(img);
}

/* ---- recursive Gaussians ----------------------------------------------- */

/* The recursive impulse response along x is the sampled Gaussian within
 * 0.5% of its peak (the Deriche approximation's error). */
static void
rgauss_impulse_near_gaussian(void)
{
    const size_t n = 101, c = 50, size[2] = { n, 3 };
    const double sigmas[] = { 2.0, 3.5, 8.0 };
    for (size_t s = 0; s < 3; s++) {
        pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
        for (size_t y = 0; y < 3; y++)
            su_set(img, c, y, 0, 1.0);
        pipit_node_t *g = pipit_recursive_gaussian_new(sigmas[s], 0, 0);
        pipit_image_t *out = su_run(g, img);
        CU_ASSERT_PTR_NOT_NULL_FATAL(out);
        double sg = sigmas[s], peak = 1.0 / (sqrt(2.0 * M_PI) * sg);
        double worst = 0.0;
        for (size_t x = 0; x < n; x++) {
            double d = (double)x - (double)c;
            double gs = peak * exp(-d * d / (2.0 * sg * sg));
            worst = fmax(worst, fabs(su_at(out, x, 1, 0) - gs));
        }
        CU_ASSERT(worst < 0.005 * peak);
        pipit_image_unref(out);
        pipit_node_unref(g);
        pipit_image_unref(img);
    }
}

/* Smoothing a noise volume: the recursive filter (sigma 2) and the
 * discrete one (variance 4, maximum error 0.001) agree to within 2% of
 * the value range (two approximations of one Gaussian). */
static void
rgauss_against_discrete(void)
{
    const size_t size[3] = { 40, 36, 32 };
    pipit_image_t *img = su_random(3, size, PIPIT_F32, 0, 100, 11);
    pipit_node_t *r = pipit_smoothing_recursive_gaussian_new(2.0);
    pipit_node_t *d = pipit_discrete_gaussian_new(4.0);
    ASSERT_OK(pipit_node_set(d, "maximum-error", "0.001"));
    pipit_image_t *a = su_run(r, img), *b = su_run(d, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    /* Away from the borders, where the boundaries differ. */
    double worst = 0.0;
    for (size_t z = 8; z < size[2] - 8; z++)
        for (size_t y = 8; y < size[1] - 8; y++)
            for (size_t x = 8; x < size[0] - 8; x++)
                worst = fmax(worst,
                             fabs(su_at(a, x, y, z) - su_at(b, x, y, z)));
    CU_ASSERT(worst < 2.0);
    pipit_image_unref(a);
    pipit_image_unref(b);
    pipit_node_unref(r);
    pipit_node_unref(d);
    pipit_image_unref(img);
}

/* Derivatives per voxel (ITK): of a ramp 3x + y, order 1 along x gives
 * 3 (whatever the spacing); of x²/2, order 2 gives 1; with
 * normalize_across_scale, times sigma and sigma². Interior voxels. */
static void
rgauss_derivatives(void)
{
    const size_t n = 80, size[2] = { n, 4 };
    pipit_image_t *ramp = pipit_image_new(2, size, PIPIT_F64, 1);
    pipit_image_t *par = pipit_image_new(2, size, PIPIT_F64, 1);
    for (size_t y = 0; y < 4; y++)
        for (size_t x = 0; x < n; x++) {
            su_set(ramp, x, y, 0, 3.0 * (double)x + (double)y);
            su_set(par, x, y, 0, 0.5 * (double)x * (double)x);
        }
    double sp[2] = { 2.0, 1.0 };
    ASSERT_OK(pipit_image_set_spacing(ramp, sp));
    ASSERT_OK(pipit_image_set_spacing(par, sp));
    pipit_node_t *d1 = pipit_recursive_gaussian_new(3.0, 0, 1);
    pipit_node_t *d2 = pipit_recursive_gaussian_new(3.0, 0, 2);
    pipit_node_t *d1n = pipit_recursive_gaussian_new(3.0, 0, 1);
    ASSERT_OK(pipit_node_set(d1n, "normalize-across-scale", "true"));
    pipit_image_t *a = su_run(d1, ramp), *b = su_run(d2, par),
                  *c = su_run(d1n, ramp);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    for (size_t x = 20; x < n - 20; x++) {
        CU_ASSERT_DOUBLE_EQUAL(su_at(a, x, 2, 0), 3.0, 1e-4);
        CU_ASSERT_DOUBLE_EQUAL(su_at(b, x, 2, 0), 1.0, 1e-3);
        CU_ASSERT_DOUBLE_EQUAL(su_at(c, x, 2, 0), 9.0, 3e-4);
    }
    pipit_image_unref(a);
    pipit_image_unref(b);
    pipit_image_unref(c);
    pipit_node_unref(d1);
    pipit_node_unref(d2);
    pipit_node_unref(d1n);
    pipit_image_unref(ramp);
    pipit_image_unref(par);
}

/* ITK's recursive boundary: the border value extends to infinity, so a
 * constant stays constant (smoothing) and differentiates to zero, up to
 * the border. */
static void
rgauss_boundary_constant(void)
{
    const size_t size[3] = { 9, 7, 5 };
    pipit_image_t *img = pipit_image_new(3, size, PIPIT_F32, 1);
    for (size_t z = 0; z < 5; z++)
        for (size_t y = 0; y < 7; y++)
            for (size_t x = 0; x < 9; x++)
                su_set(img, x, y, z, 42.0);
    pipit_node_t *s = pipit_smoothing_recursive_gaussian_new(3.0);
    pipit_node_t *d = pipit_recursive_gaussian_new(2.0, -1, 1);
    pipit_image_t *a = su_run(s, img), *b = su_run(d, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    for (size_t z = 0; z < 5; z++)
        for (size_t y = 0; y < 7; y++)
            for (size_t x = 0; x < 9; x++) {
                CU_ASSERT_DOUBLE_EQUAL(su_at(a, x, y, z), 42.0, 1e-4);
                CU_ASSERT_DOUBLE_EQUAL(su_at(b, x, y, z), 0.0, 1e-4);
            }
    pipit_image_unref(a);
    pipit_image_unref(b);
    pipit_node_unref(s);
    pipit_node_unref(d);
    pipit_image_unref(img);
}

/* ---- mean and median --------------------------------------------------- */

static ptrdiff_t
clampi(ptrdiff_t i, size_t n)
{
    return i < 0 ? 0 : i >= (ptrdiff_t)n ? (ptrdiff_t)n - 1 : i;
}

/* Values of the clamped box around (x, y, z), radius r, into v. */
static size_t
box(const pipit_image_t *img, size_t x, size_t y, size_t z, const int *r,
    double *v)
{
    const size_t *s = pipit_image_size(img);
    size_t nz = pipit_image_dim(img) > 2 ? s[2] : 1, count = 0;
    for (int k = -r[2]; k <= r[2]; k++)
        for (int j = -r[1]; j <= r[1]; j++)
            for (int i = -r[0]; i <= r[0]; i++)
                v[count++] = su_at(img,
                                   (size_t)clampi((ptrdiff_t)x + i, s[0]),
                                   (size_t)clampi((ptrdiff_t)y + j, s[1]),
                                   (size_t)clampi((ptrdiff_t)z + k, nz));
    return count;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    pipit_pixel_type_t type;
    unsigned dim;
    int radius[3];
} box_case_t;

static const box_case_t box_cases[] = {
    { PIPIT_U8, 3, { 1, 1, 1 } },  /* 27: the network */
    { PIPIT_F32, 3, { 1, 1, 1 } },
    { PIPIT_F64, 3, { 1, 1, 1 } },
    { PIPIT_I16, 2, { 1, 1, 0 } }, /* 9 */
    { PIPIT_U16, 2, { 2, 1, 0 } }, /* 15 */
    { PIPIT_I32, 3, { 2, 1, 1 } }, /* 45: selection */
    { PIPIT_F32, 2, { 3, 2, 0 } }, /* 35: selection */
    { PIPIT_I8, 3, { 0, 0, 1 } },  /* 3 */
    { PIPIT_U32, 2, { 0, 0, 0 } }, /* 1 */
};

static void
run_box_case(const box_case_t *bc, bool median)
{
    const size_t size[3] = { 23, 7, 5 };
    pipit_image_t *img = su_random(bc->dim, size, bc->type, -100, 200, 5);
    /* a few NaN-free duplicates and extremes */
    su_set(img, 3, 3, 0, -1e9);
    su_set(img, 4, 3, 0, 1e9);
    pipit_node_t *n = median ? pipit_median_new(1) : pipit_mean_new(1);
    char text[64];
    if (bc->dim == 2)
        snprintf(text, sizeof text, "%d,%d", bc->radius[0], bc->radius[1]);
    else
        snprintf(text, sizeof text, "%d,%d,%d", bc->radius[0], bc->radius[1],
                 bc->radius[2]);
    ASSERT_OK(pipit_node_set(n, "radius", text));
    pipit_image_t *out = su_run(n, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT(pipit_image_pixel_type(out) == bc->type);
    double v[128], worst = 0.0;
    size_t nz = bc->dim > 2 ? size[2] : 1;
    bool is_float = pipit_pixel_type_is_float(bc->type);
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < size[1]; y++)
            for (size_t x = 0; x < size[0]; x++) {
                size_t count = box(img, x, y, z, bc->radius, v);
                double expect, mag = 0.0;
                for (size_t i = 0; i < count; i++)
                    mag += fabs(v[i]) / (double)count;
                if (median) {
                    qsort(v, count, sizeof v[0], cmp_double);
                    expect = v[count / 2];
                } else {
                    double s = 0.0;
                    for (size_t i = 0; i < count; i++)
                        s += v[i];
                    expect = s / (double)count;
                    if (!is_float)
                        expect = round(expect);
                }
                double got = su_at(out, x, y, z);
                /* float sums: an error of a few ulps of the magnitudes
                 * summed, which 1e9 and -1e9 in one box make large */
                worst = fmax(worst, median || !is_float
                                        ? fabs(got - expect)
                                        : fabs(got - expect) /
                                              fmax(1.0, mag));
            }
    if (worst > (median ? 0.0 : is_float ? 1e-6 : 1.0))
        fprintf(stderr, "\n%s type %d dim %u radius %d,%d,%d: off by %g\n",
                median ? "median" : "mean", (int)bc->type, bc->dim,
                bc->radius[0], bc->radius[1], bc->radius[2], worst);
    if (median) {
        CU_ASSERT(worst == 0.0);
    } else {
        CU_ASSERT(worst <= (is_float ? 1e-6 : 1.0));
    }
    pipit_image_unref(out);
    pipit_node_unref(n);
    pipit_image_unref(img);
}

static void
median_against_sort(void)
{
    for (size_t i = 0; i < sizeof box_cases / sizeof box_cases[0]; i++)
        run_box_case(&box_cases[i], true);
}

static void
mean_against_sum(void)
{
    for (size_t i = 0; i < sizeof box_cases / sizeof box_cases[0]; i++)
        run_box_case(&box_cases[i], false);
}

/* The median's float keys order -0, +0, infinities and NaN without
 * crashing; ordinary values come out exactly. */
static void
median_special_floats(void)
{
    const size_t size[2] = { 5, 3 };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
    float vals[15] = { -0.0f, 0.0f, INFINITY, -INFINITY, NAN, 1, 2, 3, 4,
                       5,     6,    7,        8,         9,   10 };
    float *p = pipit_image_data_writable(img);
    memcpy(p, vals, sizeof vals);
    pipit_node_t *m = pipit_median_new(1);
    pipit_image_t *out = su_run(m, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    /* (2, 2): the box x 1..3, y 1..2 clamped to {1..3} x {1, 2, 2}. */
    double v[9], k = 0;
    int r[3] = { 1, 1, 0 };
    size_t count = box(img, 2, 2, 0, r, v);
    qsort(v, count, sizeof v[0], cmp_double);
    k = v[4];
    CU_ASSERT_DOUBLE_EQUAL(su_at(out, 2, 2, 0), k, 0.0);
    pipit_image_unref(out);
    pipit_node_unref(m);
    pipit_image_unref(img);
}

const test_case_t test_filters_smoothing_cases[] = {
    { "dgauss_impulse_is_bessel_kernel", dgauss_impulse_is_bessel_kernel },
    { "dgauss_impulse_near_sampled_gaussian",
      dgauss_impulse_near_sampled_gaussian },
    { "dgauss_spacing", dgauss_spacing },
    { "dgauss_neumann_boundary", dgauss_neumann_boundary },
    { "dgauss_kernel_width", dgauss_kernel_width },
    { "rgauss_impulse_near_gaussian", rgauss_impulse_near_gaussian },
    { "rgauss_against_discrete", rgauss_against_discrete },
    { "rgauss_derivatives", rgauss_derivatives },
    { "rgauss_boundary_constant", rgauss_boundary_constant },
    { "median_against_sort", median_against_sort },
    { "mean_against_sum", mean_against_sum },
    { "median_special_floats", median_special_floats },
    { NULL, NULL },
};

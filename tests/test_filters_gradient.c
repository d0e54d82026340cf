/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The derivative filters against known answers: central differences of
 * polynomials with their zero-flux Neumann borders (ITK's defaults),
 * spacing and direction, and the recursive-Gaussian gradient magnitude
 * of a ramp.
 */
#include <math.h>

#include "smooth_util.h"

static ptrdiff_t
cl(ptrdiff_t i, size_t n)
{
    return i < 0 ? 0 : i >= (ptrdiff_t)n ? (ptrdiff_t)n - 1 : i;
}

/* f(x, y, z) from a polynomial, on a dim-D grid. */
static pipit_image_t *
poly(unsigned dim, const size_t *size, pipit_pixel_type_t t,
     double (*f)(double, double, double))
{
    pipit_image_t *img = pipit_image_new(dim, size, t, 1);
    size_t nz = dim > 2 ? size[2] : 1;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < size[1]; y++)
            for (size_t x = 0; x < size[0]; x++)
                su_set(img, x, y, z, f((double)x, (double)y, (double)z));
    return img;
}

static double
lin3(double x, double y, double z)
{
    return 2.0 * x + 3.0 * y - z + 0.25 * x * y;
}

/* Central difference of img along axis a at (x, y, z), clamped. */
static double
cdiff(const pipit_image_t *img, size_t x, size_t y, size_t z, unsigned a)
{
    const size_t *s = pipit_image_size(img);
    size_t nz = pipit_image_dim(img) > 2 ? s[2] : 1;
    ptrdiff_t p[3] = { (ptrdiff_t)x, (ptrdiff_t)y, (ptrdiff_t)z };
    ptrdiff_t lo[3] = { p[0], p[1], p[2] }, hi[3] = { p[0], p[1], p[2] };
    size_t n[3] = { s[0], s[1], nz };
    lo[a] = cl(p[a] - 1, n[a]);
    hi[a] = cl(p[a] + 1, n[a]);
    return 0.5 * (su_at(img, (size_t)hi[0], (size_t)hi[1], (size_t)hi[2]) -
                  su_at(img, (size_t)lo[0], (size_t)lo[1], (size_t)lo[2]));
}

static void
gradient_magnitude_known(void)
{
    const size_t size[3] = { 9, 6, 5 };
    const double sp[3] = { 0.5, 2.0, 1.0 };
    const pipit_pixel_type_t types[] = { PIPIT_F32, PIPIT_I16, PIPIT_F64 };
    for (size_t k = 0; k < 3; k++) {
        pipit_image_t *img = poly(3, size, types[k], lin3);
        ASSERT_OK(pipit_image_set_spacing(img, sp));
        pipit_node_t *g = pipit_gradient_magnitude_new();
        pipit_image_t *out = su_run(g, img);
        CU_ASSERT_PTR_NOT_NULL_FATAL(out);
        CU_ASSERT(pipit_image_pixel_type(out) ==
                  (types[k] == PIPIT_F64 ? PIPIT_F64 : PIPIT_F32));
        double worst = 0.0;
        for (size_t z = 0; z < 5; z++)
            for (size_t y = 0; y < 6; y++)
                for (size_t x = 0; x < 9; x++) {
                    double s2 = 0.0;
                    for (unsigned a = 0; a < 3; a++) {
                        double d = cdiff(img, x, y, z, a) / sp[a];
                        s2 += d * d;
                    }
                    worst = fmax(worst,
                                 fabs(su_at(out, x, y, z) - sqrt(s2)) /
                                     fmax(1.0, sqrt(s2)));
                }
        CU_ASSERT(worst < 1e-5);
        pipit_image_unref(out);
        pipit_node_unref(g);
        pipit_image_unref(img);
    }
}

/* A 2-D image turned 90°: the gradient comes out in world axes,
 * g = D · (∂f/∂i / s); without use_image_direction, in index axes. */
static void
gradient_direction(void)
{
    const size_t size[2] = { 7, 5 };
    pipit_image_t *img = poly(2, size, PIPIT_F32, lin3);
    const double sp[2] = { 2.0, 0.5 }, dir[4] = { 0, -1, 1, 0 };
    ASSERT_OK(pipit_image_set_spacing(img, sp));
    ASSERT_OK(pipit_image_set_direction(img, dir));
    pipit_node_t *g = pipit_gradient_new();
    pipit_node_t *h = pipit_gradient_new();
    ASSERT_OK(pipit_node_set(h, "use-image-direction", "false"));
    pipit_image_t *a = su_run(g, img), *b = su_run(h, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(pipit_image_components(a), 2);
    for (size_t y = 0; y < 5; y++)
        for (size_t x = 0; x < 7; x++) {
            double gx = cdiff(img, x, y, 0, 0) / sp[0];
            double gy = cdiff(img, x, y, 0, 1) / sp[1];
            size_t idx[2] = { x, y };
            CU_ASSERT_DOUBLE_EQUAL(pipit_image_get_value(a, idx, 0), -gy,
                                   1e-5);
            CU_ASSERT_DOUBLE_EQUAL(pipit_image_get_value(a, idx, 1), gx,
                                   1e-5);
            CU_ASSERT_DOUBLE_EQUAL(pipit_image_get_value(b, idx, 0), gx,
                                   1e-5);
            CU_ASSERT_DOUBLE_EQUAL(pipit_image_get_value(b, idx, 1), gy,
                                   1e-5);
        }
    pipit_image_unref(a);
    pipit_image_unref(b);
    pipit_node_unref(g);
    pipit_node_unref(h);
    pipit_image_unref(img);
}

static double
quad(double x, double y, double z)
{
    return x * x + 2.0 * y * y + 0.5 * z * z + x * y;
}

/* Σ (f[i+1] - 2 f[i] + f[i-1]) / s²: 2 + 4/0.25 + 1/4 = 18.25 inside;
 * at the borders the clamped neighbour gives one-sided values. */
static void
laplacian_known(void)
{
    const size_t size[3] = { 8, 6, 5 };
    const double sp[3] = { 1.0, 0.5, 2.0 };
    pipit_image_t *img = poly(3, size, PIPIT_F64, quad);
    ASSERT_OK(pipit_image_set_spacing(img, sp));
    pipit_node_t *l = pipit_laplacian_new();
    pipit_image_t *out = su_run(l, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_DOUBLE_EQUAL(su_at(out, 3, 3, 2), 18.25, 1e-9);
    double worst = 0.0;
    for (size_t z = 0; z < 5; z++)
        for (size_t y = 0; y < 6; y++)
            for (size_t x = 0; x < 8; x++) {
                double s = 0.0;
                for (unsigned a = 0; a < 3; a++) {
                    ptrdiff_t p[3] = { (ptrdiff_t)x, (ptrdiff_t)y,
                                       (ptrdiff_t)z };
                    ptrdiff_t m[3] = { p[0], p[1], p[2] };
                    ptrdiff_t q[3] = { p[0], p[1], p[2] };
                    m[a] = cl(p[a] - 1, size[a]);
                    q[a] = cl(p[a] + 1, size[a]);
                    s += (su_at(img, (size_t)q[0], (size_t)q[1],
                                (size_t)q[2]) -
                          2.0 * su_at(img, x, y, z) +
                          su_at(img, (size_t)m[0], (size_t)m[1],
                                (size_t)m[2])) /
                         (sp[a] * sp[a]);
                }
                worst = fmax(worst, fabs(su_at(out, x, y, z) - s));
            }
    CU_ASSERT(worst < 1e-9);
    pipit_image_unref(out);
    pipit_node_unref(l);
    pipit_image_unref(img);
}

static double
ramp2(double x, double y, double z)
{
    (void)z;
    return 2.0 * x + 3.0 * y;
}

/* Recursive Gaussian gradient of a ramp: |(2/sx, 3/sy)| inside. */
static void
gmrg_ramp(void)
{
    const size_t size[2] = { 70, 60 };
    const double sp[2] = { 1.0, 0.5 };
    pipit_image_t *img = poly(2, size, PIPIT_F32, ramp2);
    ASSERT_OK(pipit_image_set_spacing(img, sp));
    pipit_node_t *g = pipit_gradient_magnitude_recursive_gaussian_new(1.5);
    pipit_image_t *out = su_run(g, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    double expect = sqrt(4.0 + 36.0);
    for (size_t y = 20; y < 40; y++)
        for (size_t x = 20; x < 50; x++)
            CU_ASSERT_DOUBLE_EQUAL(su_at(out, x, y, 0), expect, 1e-3);
    pipit_image_unref(out);
    pipit_node_unref(g);
    pipit_image_unref(img);
}

const test_case_t test_filters_gradient_cases[] = {
    { "gradient_magnitude_known", gradient_magnitude_known },
    { "gradient_direction", gradient_direction },
    { "laplacian_known", laplacian_known },
    { "gmrg_ramp", gmrg_ramp },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interpolators: exactness on ramps and polynomials, sample values at
 * integer indices (the B-spline prefilter), gradients against central
 * differences, the inside rule and default value, thread-count
 * independence of the prefilter, and bad arguments; the by-name
 * constructor, the batch call against single points on both code
 * paths (lib/cpu_impl.h), batch gradients against differences and a
 * ramp's analytic gradient, and lazily made per-worker scratch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/interpolator.h>
#include <pipit/pool.h>

#include "cpu_impl.h"    /* pipit__cpu_force_portable */
#include "error_impl.h" /* pipit__alloc_fail_at */
#include "scratch_impl.h"
#include "testutil.h"

typedef double (*field_fn)(const double *x, void *user);

/* A new image of the given shape with pixel i set to f(i). */
static pipit_image_t *
make_image(unsigned dim, const size_t *size, pipit_pixel_type_t type,
           field_fn f, void *user)
{
    pipit_image_t *img = pipit_image_new(dim, size, type, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    size_t count = 1, idx[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < dim; d++)
        count *= size[d];
    for (size_t k = 0; k < count; k++) {
        double x[PIPIT_MAX_DIM];
        size_t rest = k;
        for (unsigned d = 0; d < dim; d++) {
            idx[d] = rest % size[d], rest /= size[d];
            x[d] = (double)idx[d];
        }
        ASSERT_OK(pipit_image_set_value(img, idx, 0, f(x, user)));
    }
    return img;
}

/* A fixed pseudo-random sequence in [0, 1), the same on every run. */
static double
uniform(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return ((*state >> 8) & 0xffffu) / 65536.0;
}

static const double ramp_slope[4] = { 2, 5, 7, 11 };

static double
ramp(const double *x, void *user)
{
    unsigned dim = *(const unsigned *)user;
    double v = 3;
    for (unsigned d = 0; d < dim; d++)
        v += ramp_slope[d] * x[d];
    return v;
}

static void
test_nearest_linear_ramp(void)
{
    /* Every pixel type, 2-D to 4-D; the ramp stays below 127 so that it
     * fits every type exactly. */
    static const size_t sizes[3][4] = { { 7, 5 }, { 5, 4, 3 }, { 3, 3, 2, 2 } };
    for (unsigned dim = 2; dim <= 4; dim++)
        for (int type = 0; type < PIPIT_PIXEL_TYPE_COUNT; type++) {
            const size_t *size = sizes[dim - 2];
            pipit_image_t *img = make_image(dim, size,
                                            (pipit_pixel_type_t)type, ramp,
                                            &dim);
            pipit_interpolator_t *nn = pipit_nearest_interpolator_new(img);
            pipit_interpolator_t *lin = pipit_linear_interpolator_new(img);
            CU_ASSERT_PTR_NOT_NULL_FATAL(nn);
            CU_ASSERT_PTR_NOT_NULL_FATAL(lin);
            CU_ASSERT_STRING_EQUAL(pipit_interpolator_name(lin),
                                   "LinearInterpolator");
            CU_ASSERT_EQUAL(pipit_interpolator_dim(lin), dim);
            unsigned state = dim * 10 + (unsigned)type;
            for (int i = 0; i < 50; i++) {
                double c[4], r[4], v, g[4];
                /* Linear: exact in [0, size - 1) with the ramp's slope. */
                for (unsigned d = 0; d < dim; d++)
                    c[d] = uniform(&state) * (double)(size[d] - 1);
                CU_ASSERT_TRUE(pipit_interpolator_evaluate(lin, c, &v, g));
                CU_ASSERT_DOUBLE_EQUAL(v, ramp(c, &dim), 1e-12);
                for (unsigned d = 0; d < dim; d++)
                    CU_ASSERT_DOUBLE_EQUAL(g[d], ramp_slope[d], 1e-12);
                /* Nearest: the pixel at floor(c + 0.5) anywhere inside. */
                for (unsigned d = 0; d < dim; d++) {
                    c[d] = uniform(&state) * (double)size[d] - 0.5;
                    r[d] = floor(c[d] + 0.5);
                }
                CU_ASSERT_TRUE(pipit_interpolator_evaluate(nn, c, &v, NULL));
                CU_ASSERT_DOUBLE_EQUAL(v, ramp(r, &dim), 0);
            }
            pipit_interpolator_unref(nn);
            pipit_interpolator_unref(lin);
            pipit_image_unref(img);
        }
}

static void
test_linear_border_clamp(void)
{
    /* In the outer half pixel the neighbour is clamped (ITK): the value
     * is the border pixel's and the slope across the border is 0. */
    unsigned dim = 2;
    pipit_image_t *img = make_image(2, (size_t[]){ 4, 3 }, PIPIT_F32, ramp,
                                    &dim);
    pipit_interpolator_t *lin = pipit_linear_interpolator_new(img);
    double v, g[2];
    CU_ASSERT_TRUE(pipit_interpolator_evaluate(lin, (double[]){ -0.3, 1 },
                                               &v, g));
    CU_ASSERT_DOUBLE_EQUAL(v, 3 + 5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(g[0], 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(g[1], 5, 1e-12);
    CU_ASSERT_TRUE(pipit_interpolator_evaluate(lin, (double[]){ 3.4, 2.2 },
                                               &v, g));
    CU_ASSERT_DOUBLE_EQUAL(v, 3 + 6 + 10, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(g[0], 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(g[1], 0, 0);
    pipit_interpolator_unref(lin);
    pipit_image_unref(img);
}

/* ---- B-spline ---------------------------------------------------- */

typedef struct {
    unsigned dim, order;
    double centre, scale;
} poly_t;

/* Σ u^a v^b (w^c) over a + b (+ c) <= order, with varied coefficients,
 * u = (x - centre) / scale: degree <= order along every axis. */
static double
poly(const double *x, void *user)
{
    const poly_t *p = user;
    double u[3];
    for (unsigned d = 0; d < p->dim; d++)
        u[d] = (x[d] - p->centre) / p->scale;
    double v = 0;
    unsigned n = p->order, cmax = p->dim == 3 ? n : 0;
    for (unsigned a = 0; a <= n; a++)
        for (unsigned b = 0; a + b <= n; b++)
            for (unsigned c = 0; c <= cmax && a + b + c <= n; c++)
                v += (1.0 + a - 0.5 * b + 0.25 * c) * pow(u[0], a) *
                     pow(u[1], b) * (p->dim == 3 ? pow(u[2], c) : 1.0);
    return v;
}

static void
test_bspline_polynomial(void)
{
    /*
     * A spline of order n reproduces polynomials of degree n; the mirror
     * boundary disturbs the coefficients near the border by terms that
     * decay as |z|^distance (|z| < 0.44 for every order), so the points
     * tested lie far enough inside for that to fall below 1e-9. With
     * float coefficients the rounding of the coefficients (about 1e-7
     * relative) dominates: 1e-6.
     */
    for (unsigned dim = 2; dim <= 3; dim++)
        for (unsigned order = 0; order <= 5; order++) {
            size_t n = dim == 2 ? 72 : 60;
            size_t size[3] = { n, n - 2, n + 1 };
            poly_t p = { dim, order, (double)n / 2, (double)n / 2 };
            pipit_image_t *img = make_image(dim, size, PIPIT_F64, poly, &p);
            for (int f32 = 0; f32 < 2; f32++) {
                pipit_interpolator_t *bs = pipit_bspline_interpolator_new(
                    img, order, f32 ? PIPIT_F32 : PIPIT_F64);
                CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
                CU_ASSERT_EQUAL(pipit_interpolator_order(bs), order);
                CU_ASSERT_STRING_EQUAL(pipit_interpolator_name(bs),
                                       f32 ? "BSplineInterpolatorFloat"
                                           : "BSplineInterpolator");
                unsigned state = order * 7 + dim;
                double worst = 0;
                for (int i = 0; i < 100; i++) {
                    double c[3], v;
                    for (unsigned d = 0; d < dim; d++)
                        c[d] = (double)n / 2 - 4 + 8 * uniform(&state);
                    /* Order 0 is piecewise constant: a constant is all
                     * it reproduces, so compare with the rounded index. */
                    double at[3];
                    for (unsigned d = 0; d < dim; d++)
                        at[d] = order == 0 ? floor(c[d] + 0.5) : c[d];
                    CU_ASSERT_TRUE(pipit_interpolator_evaluate(bs, c, &v,
                                                               NULL));
                    worst = fmax(worst, fabs(v - poly(at, &p)));
                }
                CU_ASSERT_TRUE(worst < (f32 ? 1e-6 : 1e-9));
                if (!(worst < (f32 ? 1e-6 : 1e-9)))
                    fprintf(stderr, "\ndim %u order %u f32 %d: error %g\n",
                            dim, order, f32, worst);
                pipit_interpolator_unref(bs);
            }
            pipit_image_unref(img);
        }
}

static double
random_field(const double *x, void *user)
{
    (void)x;
    return 100 * uniform(user);
}

static void
test_bspline_integer_indices(void)
{
    /* Thanks to the prefilter the spline passes through every sample,
     * borders included, for every order, shape and source type. */
    static const struct {
        unsigned dim;
        size_t size[3];
        pipit_pixel_type_t type;
    } shapes[] = {
        { 2, { 13, 11 }, PIPIT_F64 }, { 2, { 2, 9 }, PIPIT_U8 },
        { 3, { 7, 6, 5 }, PIPIT_F32 }, { 3, { 5, 4, 1 }, PIPIT_I16 },
        { 2, { 1, 1 }, PIPIT_U16 },
        /* rows longer than one prefilter block (its scratch is bounded) */
        { 2, { 300, 211 }, PIPIT_F32 },
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        unsigned state = (unsigned)s + 1, dim = shapes[s].dim;
        const size_t *size = shapes[s].size;
        pipit_image_t *img = make_image(dim, size, shapes[s].type,
                                        random_field, &state);
        for (unsigned order = 0; order <= 5; order++)
            for (int f32 = 0; f32 < 2; f32++) {
                pipit_interpolator_t *bs = pipit_bspline_interpolator_new(
                    img, order, f32 ? PIPIT_F32 : PIPIT_F64);
                CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
                size_t count = size[0] * size[1] * (dim == 3 ? size[2] : 1);
                for (size_t k = 0; k < count; k++) {
                    size_t idx[3] = { k % size[0], (k / size[0]) % size[1],
                                      k / (size[0] * size[1]) };
                    double c[3] = { (double)idx[0], (double)idx[1],
                                    (double)idx[2] };
                    double v, want = pipit_image_get_value(img, idx, 0);
                    CU_ASSERT_TRUE(pipit_interpolator_evaluate(bs, c, &v,
                                                               NULL));
                    /* float coefficients: ~1e-7 relative of values < 100 */
                    CU_ASSERT_DOUBLE_EQUAL(v, want, f32 ? 1e-4 : 1e-9);
                }
                pipit_interpolator_unref(bs);
            }
        pipit_image_unref(img);
    }
}

/*
 * Central differences with h = 1e-5 on values below 100: truncation
 * about h² · f''' (< 1e-7 for these smooth, bounded splines) plus
 * rounding about 1e-14 / h; 1e-5 leaves a margin.
 */
static void
check_gradient(pipit_interpolator_t *ip, const double *c)
{
    unsigned n = pipit_interpolator_dim(ip);
    double v, g[4], h = 1e-5;
    CU_ASSERT_TRUE_FATAL(pipit_interpolator_evaluate(ip, c, &v, g));
    double v2;
    CU_ASSERT_TRUE(pipit_interpolator_evaluate(ip, c, &v2, NULL));
    CU_ASSERT_DOUBLE_EQUAL(v, v2, 1e-12); /* same value without gradient */
    for (unsigned d = 0; d < n; d++) {
        double cp[4], hi, lo;
        memcpy(cp, c, n * sizeof *c);
        cp[d] = c[d] + h;
        pipit_interpolator_evaluate(ip, cp, &hi, NULL);
        cp[d] = c[d] - h;
        pipit_interpolator_evaluate(ip, cp, &lo, NULL);
        CU_ASSERT_DOUBLE_EQUAL(g[d], (hi - lo) / (2 * h), 1e-5);
    }
}

static void
test_gradients(void)
{
    static const size_t sizes[3][4] = { { 9, 8 }, { 7, 6, 5 }, { 5, 4, 4, 3 } };
    for (unsigned dim = 2; dim <= 4; dim++) {
        unsigned state = dim;
        pipit_image_t *img = make_image(dim, sizes[dim - 2], PIPIT_F32,
                                        random_field, &state);
        pipit_interpolator_t *ips[7];
        ips[0] = pipit_linear_interpolator_new(img);
        for (unsigned order = 1; order <= 5; order++)
            ips[order] = pipit_bspline_interpolator_new(img, order, PIPIT_F64);
        ips[6] = pipit_bspline_interpolator_new(img, 3, PIPIT_F32);
        /* Points off the knots (integers, and half-integers for even
         * orders), including near and past the border, where the mirror
         * boundary applies. */
        const double pts[][4] = { { 1.3, 2.7, 1.15, 0.6 },
                                  { 0.2, 0.35, 3.8, 1.7 },
                                  { -0.4, 6.3, 0.1, 2.3 },
                                  { 8.3, -0.2, 4.3, 0.2 } };
        for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
            double c[4];
            for (unsigned d = 0; d < dim; d++)
                c[d] = fmin(pts[i][d], (double)sizes[dim - 2][d] - 0.6);
            /* the linear one is flat in the outer half pixel, so keep it
             * inside [0, size - 1) to compare with a real slope */
            double cl[4];
            for (unsigned d = 0; d < dim; d++)
                cl[d] = fmax(0.1, fmin(c[d], (double)sizes[dim - 2][d] - 1.1));
            check_gradient(ips[0], cl);
            for (int k = 1; k < 7; k++)
                check_gradient(ips[k], c);
        }
        for (int k = 0; k < 7; k++)
            pipit_interpolator_unref(ips[k]);
        pipit_image_unref(img);
    }
}

static void
test_nearest_gradient_and_order0(void)
{
    /* Nearest: the central difference at the nearest pixel, with the
     * neighbour clamped at the border; B-spline order 0: no slope. */
    unsigned dim = 2;
    pipit_image_t *img = make_image(2, (size_t[]){ 5, 4 }, PIPIT_I32, ramp,
                                    &dim);
    ASSERT_OK(pipit_image_set_value(img, (size_t[]){ 2, 1 }, 0, 100));
    pipit_interpolator_t *nn = pipit_nearest_interpolator_new(img);
    double v, g[2];
    pipit_interpolator_evaluate(nn, (double[]){ 2.2, 0.9 }, &v, g);
    CU_ASSERT_DOUBLE_EQUAL(v, 100, 0);
    CU_ASSERT_DOUBLE_EQUAL(g[0], 0.5 * (3 + 6 + 5 - (3 + 2 + 5)), 0);
    CU_ASSERT_DOUBLE_EQUAL(g[1], 0.5 * (3 + 4 + 10 - (3 + 4)), 0);
    pipit_interpolator_evaluate(nn, (double[]){ -0.2, 3.3 }, &v, g);
    CU_ASSERT_DOUBLE_EQUAL(g[0], 0.5 * 2, 0);
    CU_ASSERT_DOUBLE_EQUAL(g[1], 0.5 * 5, 0);
    pipit_interpolator_t *b0 = pipit_bspline_interpolator_new(img, 0,
                                                              PIPIT_F64);
    pipit_interpolator_evaluate(b0, (double[]){ 2.4, 1.4999 }, &v, g);
    CU_ASSERT_DOUBLE_EQUAL(v, 100, 0);
    CU_ASSERT_DOUBLE_EQUAL(g[0], 0, 0);
    CU_ASSERT_DOUBLE_EQUAL(g[1], 0, 0);
    pipit_interpolator_unref(b0);
    pipit_interpolator_unref(nn);
    pipit_image_unref(img);
}

static void
test_physical_gradient(void)
{
    /* A field linear in physical space, f(p) = 1 + 0.5 p0 - 0.25 p1, on
     * a rotated, anisotropic grid: linear interpolation returns f and
     * its physical gradient exactly. */
    pipit_image_t *img = pipit_image_new(2, (size_t[]){ 6, 5 }, PIPIT_F64, 1);
    double a = 0.5, dir[4] = { cos(a), -sin(a), sin(a), cos(a) };
    ASSERT_OK(pipit_image_set_spacing(img, (double[]){ 2.0, 0.5 }));
    ASSERT_OK(pipit_image_set_origin(img, (double[]){ -3, 7 }));
    ASSERT_OK(pipit_image_set_direction(img, dir));
    for (size_t y = 0; y < 5; y++)
        for (size_t x = 0; x < 6; x++) {
            double p[2];
            pipit_image_index_to_point(img, (double[]){ (double)x, (double)y },
                                       p);
            ASSERT_OK(pipit_image_set_value(img, (size_t[]){ x, y }, 0,
                                            1 + 0.5 * p[0] - 0.25 * p[1]));
        }
    pipit_interpolator_t *lin = pipit_linear_interpolator_new(img);
    pipit_interpolator_t *bs = pipit_bspline_interpolator_new(img, 3,
                                                              PIPIT_F64);
    double p[2], c[2], v, g[2];
    pipit_image_index_to_point(img, (double[]){ 2.3, 1.6 }, p);
    pipit_interpolator_point_to_index(lin, p, c);
    CU_ASSERT_DOUBLE_EQUAL(c[0], 2.3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(c[1], 1.6, 1e-12);
    CU_ASSERT_TRUE(pipit_interpolator_evaluate_point(lin, p, &v, g));
    CU_ASSERT_DOUBLE_EQUAL(v, 1 + 0.5 * p[0] - 0.25 * p[1], 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(g[0], 0.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(g[1], -0.25, 1e-12);
    /* The cubic spline also reproduces a linear field (mirror boundary
     * bends it only near the border). */
    CU_ASSERT_TRUE(pipit_interpolator_evaluate_point(bs, p, &v, g));
    CU_ASSERT_DOUBLE_EQUAL(v, 1 + 0.5 * p[0] - 0.25 * p[1], 0.05);
    pipit_interpolator_unref(bs);
    pipit_interpolator_unref(lin);
    pipit_image_unref(img);
}

static void
test_outside_default(void)
{
    unsigned dim = 3;
    pipit_image_t *img = make_image(3, (size_t[]){ 4, 3, 2 }, PIPIT_U16, ramp,
                                    &dim);
    pipit_interpolator_t *ips[3] = {
        pipit_nearest_interpolator_new(img),
        pipit_linear_interpolator_new(img),
        pipit_bspline_interpolator_new(img, 3, PIPIT_F32),
    };
    /* Inside is c_d in [-0.5, size_d - 0.5) on every axis. */
    const double in[][3] = { { -0.5, -0.5, -0.5 },
                             { 3.4999, 2.4999, 1.4999 } };
    const double out[][3] = { { -0.5001, 1, 1 }, { 3.5, 1, 1 },
                              { 1, 2.5, 1 },     { 1, 1, -0.6 },
                              { NAN, 1, 1 },     { 1, 1, INFINITY } };
    for (int k = 0; k < 3; k++) {
        pipit_interpolator_set_default(ips[k], -7.5);
        CU_ASSERT_DOUBLE_EQUAL(pipit_interpolator_default(ips[k]), -7.5, 0);
        for (size_t i = 0; i < 2; i++) {
            double v = -7.5;
            CU_ASSERT_TRUE(pipit_interpolator_inside(ips[k], in[i]));
            CU_ASSERT_TRUE(pipit_interpolator_evaluate(ips[k], in[i], &v,
                                                       NULL));
            CU_ASSERT_TRUE(v > 0);
        }
        for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
            double v = 0, g[3] = { 1, 1, 1 };
            CU_ASSERT_FALSE(pipit_interpolator_inside(ips[k], out[i]));
            CU_ASSERT_FALSE(pipit_interpolator_evaluate(ips[k], out[i], &v,
                                                        g));
            CU_ASSERT_DOUBLE_EQUAL(v, -7.5, 0);
            CU_ASSERT_DOUBLE_EQUAL(g[0] + g[1] + g[2], 0, 0);
        }
        pipit_interpolator_unref(ips[k]);
    }
    pipit_image_unref(img);
}

static void
test_prefilter_threads(void)
{
    /* Lines are filtered independently, so the coefficients are the
     * same bits whatever the number of threads. Sizes: prime widths and
     * more lines than one block of lanes on every axis. */
    unsigned state = 99;
    pipit_image_t *img = make_image(3, (size_t[]){ 37, 23, 19 }, PIPIT_F32,
                                    random_field, &state);
    double ref[64];
    for (size_t t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        pipit_interpolator_t *bs = pipit_bspline_interpolator_new(img, 5,
                                                                  PIPIT_F64);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bs);
        unsigned s = 5;
        for (int i = 0; i < 64; i++) {
            double c[3] = { 36 * uniform(&s), 22 * uniform(&s),
                            18 * uniform(&s) };
            double v;
            pipit_interpolator_evaluate(bs, c, &v, NULL);
            if (t == 0)
                ref[i] = v;
            else
                CU_ASSERT_EQUAL(memcmp(&v, &ref[i], sizeof v), 0);
        }
        pipit_interpolator_unref(bs);
    }
    ASSERT_OK(pipit_pool_set_threads(0));
    pipit_image_unref(img);
}

static void
test_evaluate_line(void)
{
    /* The batch loop gives the values of point-by-point evaluation,
     * the default outside and the count of inside points, for every
     * kind and dim (the 4-D image takes the generic kernels). */
    static const size_t sizes[3][4] = { { 9, 8 }, { 7, 6, 5 },
                                        { 5, 4, 4, 3 } };
    for (unsigned dim = 2; dim <= 4; dim++) {
        unsigned state = 3 * dim;
        pipit_image_t *img = make_image(dim, sizes[dim - 2], PIPIT_I16,
                                        random_field, &state);
        pipit_interpolator_t *ips[9];
        ips[0] = pipit_nearest_interpolator_new(img);
        ips[1] = pipit_linear_interpolator_new(img);
        for (unsigned order = 0; order <= 5; order++)
            ips[2 + order] = pipit_bspline_interpolator_new(img, order,
                                                            PIPIT_F64);
        ips[8] = pipit_bspline_interpolator_new(img, 2, PIPIT_F32);
        const double c0[4] = { -1.3, 0.4, 4.2, 1.1 };
        const double step[4] = { 0.37, 0.29, -0.23, 0.05 };
        for (int k = 0; k < 9; k++) {
            pipit_interpolator_set_default(ips[k], -1);
            double values[40];
            size_t inside = pipit_interpolator_evaluate_line(ips[k], c0, step,
                                                             40, values);
            size_t count = 0;
            for (size_t i = 0; i < 40; i++) {
                double c[4], v;
                for (unsigned d = 0; d < dim; d++)
                    c[d] = c0[d] + (double)i * step[d];
                count += pipit_interpolator_evaluate(ips[k], c, &v, NULL);
                /* the same kernel, inlined elsewhere: a compiler that
                 * fuses multiply-adds may round the two differently */
                CU_ASSERT_DOUBLE_EQUAL(v, values[i], 1e-12);
            }
            CU_ASSERT_EQUAL(inside, count);
            CU_ASSERT_TRUE(count > 0 && count < 40);
            pipit_interpolator_unref(ips[k]);
        }
        pipit_image_unref(img);
    }
}

static void
test_bad_arguments(void)
{
    CU_ASSERT_PTR_NULL(pipit_linear_interpolator_new(NULL));
    CU_ASSERT_EQUAL(pipit_error_message()[0] != '\0', 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "NULL"));
    CU_ASSERT_PTR_NULL(pipit_nearest_interpolator_new(NULL));
    CU_ASSERT_PTR_NULL(pipit_bspline_interpolator_new(NULL, 3, PIPIT_F64));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "NULL"));

    pipit_image_t *img = pipit_image_new(2, (size_t[]){ 4, 4 }, PIPIT_U8, 1);
    pipit_image_t *vec = pipit_image_new(2, (size_t[]){ 4, 4 }, PIPIT_F32, 2);
    CU_ASSERT_PTR_NULL(pipit_bspline_interpolator_new(img, 6, PIPIT_F64));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "order 6"));
    CU_ASSERT_PTR_NULL(pipit_bspline_interpolator_new(img, 3, PIPIT_U8));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "coefficient type"));
    CU_ASSERT_PTR_NULL(pipit_linear_interpolator_new(vec));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "scalar"));
    CU_ASSERT_PTR_NULL(pipit_bspline_interpolator_new(vec, 1, PIPIT_F64));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "2 components"));

    /* Each allocation failing in turn: NULL, ENOMEM, nothing leaked. */
    for (size_t nth = 1; nth < 8; nth++) {
        pipit__alloc_fail_at(nth);
        pipit_interpolator_t *a = pipit_bspline_interpolator_new(img, 3,
                                                                 PIPIT_F32);
        pipit_interpolator_t *b = pipit_nearest_interpolator_new(img);
        pipit__alloc_fail_at(0);
        pipit_interpolator_unref(a);
        pipit_interpolator_unref(b);
    }
    pipit_interpolator_t *ok = pipit_linear_interpolator_new(img);
    CU_ASSERT_PTR_EQUAL(pipit_interpolator_ref(ok), ok);
    pipit_interpolator_unref(ok);
    pipit_interpolator_unref(ok);
    pipit_image_unref(vec);
    pipit_image_unref(img);
}


/* ---- by name, batch evaluation, both code paths ---------------------- */

static void
test_by_name(void)
{
    const size_t size[2] = { 6, 5 };
    unsigned two = 2;
    pipit_image_t *img = make_image(2, size, PIPIT_U8, ramp, &two);
    static const struct {
        const char *name, *expect;
        unsigned order;
    } table[] = {
        { "nearest", "NearestNeighborInterpolator", 0 },
        { "NearestNeighborInterpolator", "NearestNeighborInterpolator", 0 },
        { "linear", "LinearInterpolator", 1 },
        { "LinearInterpolator", "LinearInterpolator", 1 },
        { "bspline", "BSplineInterpolator", 4 },
        { "BSplineInterpolator", "BSplineInterpolator", 2 },
        { "bspline-float", "BSplineInterpolatorFloat", 5 },
        { "BSplineInterpolatorFloat", "BSplineInterpolatorFloat", 0 },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        pipit_interpolator_t *ip =
            pipit_interpolator_new_by_name(img, table[i].name, table[i].order);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
        CU_ASSERT_STRING_EQUAL(pipit_interpolator_name(ip), table[i].expect);
        CU_ASSERT_EQUAL(pipit_interpolator_order(ip), table[i].order);
        pipit_interpolator_unref(ip);
    }
    CU_ASSERT_PTR_NULL(pipit_interpolator_new_by_name(img, "cubic", 3));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "'cubic'"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(pipit_error_message(), "nearest, linear, bspline, "
                                      "bspline-float"));
    CU_ASSERT_PTR_NULL(pipit_interpolator_new_by_name(img, NULL, 3));
    CU_ASSERT_PTR_NULL(pipit_interpolator_new_by_name(img, "bspline", 6));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "order 6"));
    pipit_image_unref(img);
}

/* Pseudo-random values in [-50, 50). */
static double
noise(const double *x, void *user)
{
    unsigned s = *(const unsigned *)user;
    for (unsigned d = 0; d < 4; d++)
        s = s * 2654435761u + (unsigned)x[d] * 40503u + 1u;
    s ^= s >> 13;
    s *= 2246822519u;
    s ^= s >> 16;
    return (double)(s % 10000u) / 100.0 - 50.0;
}

/* The interpolators the batch tests sweep: name, order. */
static const struct {
    const char *name;
    unsigned order;
} kinds[] = {
    { "nearest", 0 },  { "linear", 1 },   { "bspline", 0 },
    { "bspline", 1 },  { "bspline", 2 },  { "bspline", 3 },
    { "bspline", 4 },  { "bspline", 5 },  { "bspline-float", 3 },
    { "bspline-float", 5 },
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

/*
 * n points for an image of the given size: random inside, then on and
 * just inside the edges of the inside box (c = -0.5, size - 0.5 - 1e-9),
 * then outside (beyond each edge, NaN).
 */
static size_t
edge_points(unsigned dim, const size_t *size, unsigned seed, double *c,
            size_t cap)
{
    size_t n = 0;
    unsigned st = seed;
    while (n < cap / 2) {
        for (unsigned d = 0; d < dim; d++)
            c[n * dim + d] = -0.5 + uniform(&st) * (double)size[d];
        n++;
    }
    const double near[] = { -0.5, -0.4999999, -0.25, 0.0, 1e-12 };
    for (size_t k = 0; n < cap && k < 5; k++)
        for (unsigned a = 0; a < dim && n < cap; a++, n++)
            for (unsigned d = 0; d < dim; d++) {
                double lo = near[k];
                double hi = (double)size[d] - 1.0 - near[k] - 1e-9;
                c[n * dim + d] = d == a ? (k % 2 ? hi : lo)
                                        : uniform(&st) * (double)(size[d] - 1);
            }
    const double far[] = { -0.5000001, -3.0, 1e300, NAN };
    for (size_t k = 0; n < cap && k < 4; k++)
        for (unsigned a = 0; a < dim && n < cap; a++, n++)
            for (unsigned d = 0; d < dim; d++)
                c[n * dim + d] = d != a ? 1.0
                                 : k == 2 ? (double)size[d] - 0.5
                                          : far[k];
    return n;
}

/* |a - b| within tol relative to 1 + |a|; exact when tol is 0. */
static bool
close_to(double a, double b, double tol)
{
    if (tol == 0.0)
        return memcmp(&a, &b, sizeof a) == 0;
    return fabs(a - b) <= tol * (1.0 + fabs(a));
}

/*
 * The batch call against one evaluate per point, every kind and order,
 * 2-D and 3-D, f32 and u8 images, values and gradients, on both code
 * paths. The single-point evaluate is built once, portably; the batch
 * kernels have a portable and an x86-64-v3 copy. Portable: the same code
 * inlined, so bit for bit. v3: the compiler fuses multiply-adds (one
 * rounding instead of two per term), so 1e-12 relative to 1 + |value|
 * (sums of at most 6^3 terms of size 50 · weights ≤ 1; ~100 ulps).
 */
static void
test_batch_matches_single(void)
{
    static const size_t sizes[2][3] = { { 9, 7 }, { 7, 6, 5 } };
    enum { CAP = 400 };
    static double c[CAP * 3], v[CAP], g[CAP * 3], v2[CAP];
    for (int path = 0; path < 2; path++) {
        pipit__cpu_force_portable(path == 0);
        const double tol = path == 0 || !pipit__cpu_v3() ? 0.0 : 1e-12;
        for (unsigned dim = 2; dim <= 3; dim++)
            for (int ti = 0; ti < 2; ti++) {
                unsigned seed = dim * 7 + (unsigned)ti;
                const size_t *size = sizes[dim - 2];
                pipit_image_t *img = make_image(
                    dim, size, ti == 0 ? PIPIT_F32 : PIPIT_U8, noise, &seed);
                size_t n = edge_points(dim, size, seed, c, CAP);
                for (size_t k = 0; k < N_KINDS; k++) {
                    pipit_interpolator_t *ip = pipit_interpolator_new_by_name(
                        img, kinds[k].name, kinds[k].order);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
                    pipit_interpolator_set_default(ip, -7.0);
                    size_t in_g = pipit_interpolator_evaluate_batch(ip, n, c,
                                                                    v, g);
                    size_t in_v = pipit_interpolator_evaluate_batch(
                        ip, n, c, v2, NULL);
                    size_t inside = 0, bad = 0;
                    for (size_t i = 0; i < n; i++) {
                        double sv, sg[3];
                        inside += pipit_interpolator_evaluate(ip, c + i * dim,
                                                              &sv, sg);
                        bad += !close_to(sv, v[i], tol);
                        bad += !close_to(sv, v2[i], tol);
                        for (unsigned d = 0; d < dim; d++)
                            bad += !close_to(sg[d], g[i * dim + d],
                                             tol * 10);
                    }
                    CU_ASSERT_EQUAL(bad, 0);
                    if (bad != 0)
                        fprintf(stderr, "\n%s order %u, %u-D, path %d: %zu "
                                        "differences\n",
                                kinds[k].name, kinds[k].order, dim, path,
                                bad);
                    CU_ASSERT_EQUAL(in_g, inside);
                    CU_ASSERT_EQUAL(in_v, inside);
                    /* the outside points are counted out */
                    CU_ASSERT(inside < n);
                    CU_ASSERT(inside >= CAP / 2);
                    pipit_interpolator_unref(ip);
                }
                pipit_image_unref(img);
            }
    }
    pipit__cpu_force_portable(false);
}

/* Integers 0..99 from a hash of the index: exact in every pixel type. */
static double
small_ints(const double *x, void *user)
{
    unsigned s = *(const unsigned *)user;
    for (unsigned d = 0; d < 3; d++)
        s = (s ^ (unsigned)x[d]) * 2654435761u + 7u;
    return (double)((s >> 7) % 100u);
}

/*
 * B-spline order 1 and linear interpolation are one function: where
 * both neighbours lie inside on every axis, each computes the same lerps
 * on the same samples, so they agree bit for bit, whether the B-spline
 * reads the image itself (f32 and f64 images) or a copy (u8, and f64
 * with f32 coefficients: the same values), single points and batches
 * (37 points: the batch loop's ring of 16 prepared points wraps) on both
 * code paths. In the outer half pixel the B-spline mirrors (a_{-1} =
 * a_1) where linear clamps: at x = -0.25 it is 0.25·a_1 + 0.75·a_0, its
 * slope a_0 - a_1.
 */
static void
test_order1_is_linear(void)
{
    static const size_t sizes[2][3] = { { 9, 7 }, { 7, 6, 5 } };
    static const pipit_pixel_type_t types[] = { PIPIT_F32, PIPIT_U8,
                                                PIPIT_F64 };
    enum { N = 37, K = 4 };
    for (int path = 0; path < 2; path++) {
        pipit__cpu_force_portable(path == 0);
        for (unsigned dim = 2; dim <= 3; dim++)
            for (size_t ti = 0; ti < 3; ti++) {
                unsigned seed = 11 * dim + (unsigned)ti, st = seed;
                const size_t *size = sizes[dim - 2];
                pipit_image_t *img = make_image(dim, size, types[ti],
                                                small_ints, &seed);
                pipit_interpolator_t *ips[K] = {
                    pipit_linear_interpolator_new(img),
                    pipit_bspline_interpolator_new(img, 1, PIPIT_F64),
                    pipit_bspline_interpolator_new(img, 1, PIPIT_F32),
                    pipit_interpolator_new_by_name(img, "BSplineInterpolator",
                                                   1),
                };
                double c[N * 3], v[K][N], g[K][N * 3], sv[K][N], sg[K][N * 3];
                for (size_t i = 0; i < N; i++)
                    for (unsigned d = 0; d < dim; d++)
                        c[i * dim + d] =
                            uniform(&st) * (double)(size[d] - 1);
                for (size_t k = 0; k < K; k++) {
                    CU_ASSERT_PTR_NOT_NULL_FATAL(ips[k]);
                    CU_ASSERT_EQUAL(pipit_interpolator_evaluate_batch(
                                        ips[k], N, c, v[k], g[k]),
                                    N);
                    for (size_t i = 0; i < N; i++)
                        CU_ASSERT_TRUE(pipit_interpolator_evaluate(
                            ips[k], c + i * dim, &sv[k][i],
                            sg[k] + i * dim));
                }
                for (size_t k = 1; k < K; k++) {
                    CU_ASSERT_EQUAL(memcmp(v[k], v[0], sizeof v[0]), 0);
                    CU_ASSERT_EQUAL(memcmp(g[k], g[0], N * dim * 8), 0);
                    CU_ASSERT_EQUAL(memcmp(sv[k], sv[0], sizeof sv[0]), 0);
                    CU_ASSERT_EQUAL(memcmp(sg[k], sg[0], N * dim * 8), 0);
                }
                /* The outer half pixel along x, on sample rows. */
                size_t idx[3] = { 0, 2, 1 }, idx1[3] = { 1, 2, 1 };
                double at[3] = { -0.25, 2, 1 }, a0, a1, w, wg[3];
                a0 = pipit_image_get_value(img, idx, 0);
                a1 = pipit_image_get_value(img, idx1, 0);
                for (size_t k = 1; k < K; k++) {
                    CU_ASSERT_TRUE(
                        pipit_interpolator_evaluate(ips[k], at, &w, wg));
                    CU_ASSERT_DOUBLE_EQUAL(w, 0.25 * a1 + 0.75 * a0, 1e-12);
                    CU_ASSERT_DOUBLE_EQUAL(wg[0], a0 - a1, 1e-12);
                    CU_ASSERT_TRUE(pipit_interpolator_evaluate_batch(
                                       ips[k], 1, at, &w, wg) == 1);
                    CU_ASSERT_DOUBLE_EQUAL(w, 0.25 * a1 + 0.75 * a0, 1e-12);
                    CU_ASSERT_DOUBLE_EQUAL(wg[0], a0 - a1, 1e-12);
                }
                CU_ASSERT_TRUE(pipit_interpolator_evaluate(ips[0], at, &w,
                                                           wg));
                CU_ASSERT_DOUBLE_EQUAL(w, a0, 0);
                CU_ASSERT_DOUBLE_EQUAL(wg[0], 0, 0);
                for (size_t k = 0; k < K; k++)
                    pipit_interpolator_unref(ips[k]);
                pipit_image_unref(img);
            }
    }
    pipit__cpu_force_portable(false);
}

/*
 * A volume of more than 1 MiB, where the batch loops prefetch: batch
 * against single points for the lerp kernels and the cubic B-spline,
 * inside, at the border and outside. The prefetch is a hint: the values
 * are those of the single-point kernel (bit for bit on the portable
 * path, 1e-12 on the v3 one, which may fuse multiply-adds).
 */
static void
test_batch_large_volume(void)
{
    const size_t size[3] = { 80, 64, 64 }; /* 1.25 MiB of f32 */
    unsigned seed = 5;
    pipit_image_t *img = make_image(3, size, PIPIT_F32, small_ints, &seed);
    enum { CAP = 600 };
    static double c[CAP * 3], v[CAP], g[CAP * 3];
    size_t n = edge_points(3, size, 3, c, CAP);
    static const struct {
        const char *name;
        unsigned order;
    } ks[] = { { "linear", 1 }, { "bspline", 1 }, { "bspline", 3 } };
    for (int path = 0; path < 2; path++) {
        pipit__cpu_force_portable(path == 0);
        const double tol = path == 0 || !pipit__cpu_v3() ? 0.0 : 1e-12;
        for (size_t k = 0; k < 3; k++) {
            pipit_interpolator_t *ip =
                pipit_interpolator_new_by_name(img, ks[k].name, ks[k].order);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
            size_t inside = pipit_interpolator_evaluate_batch(ip, n, c, v, g);
            size_t in1 = 0, bad = 0;
            for (size_t i = 0; i < n; i++) {
                double sv, sg[3];
                in1 += pipit_interpolator_evaluate(ip, c + i * 3, &sv, sg);
                bad += !close_to(sv, v[i], tol);
                for (unsigned d = 0; d < 3; d++)
                    bad += !close_to(sg[d], g[i * 3 + d], tol * 10);
            }
            CU_ASSERT_EQUAL(bad, 0);
            CU_ASSERT_EQUAL(inside, in1);
            CU_ASSERT(inside < n);
            pipit_interpolator_unref(ip);
        }
    }
    pipit__cpu_force_portable(false);
    pipit_image_unref(img);
}

/*
 * Batch gradients against central differences of batch values, h =
 * 1e-6, at points whose fraction along each axis stays 0.1 from the
 * knots (where linear and B-spline order 1 have kinks, and order 2 a
 * jump in the second derivative): the difference error is then ~1e-10
 * of values up to 50, checked at 1e-6 relative to 1 + |g|. Both paths.
 */
static void
test_batch_gradient_differences(void)
{
    static const size_t sizes[2][3] = { { 10, 8 }, { 8, 7, 6 } };
    enum { N = 60 };
    static double c[N * 3], v[N], g[N * 3], cp[N * 3], vp[N], vm[N];
    const double h = 1e-6;
    for (int path = 0; path < 2; path++) {
        pipit__cpu_force_portable(path == 0);
        for (unsigned dim = 2; dim <= 3; dim++) {
            unsigned seed = 40 + dim;
            const size_t *size = sizes[dim - 2];
            pipit_image_t *img =
                make_image(dim, size, PIPIT_F32, noise, &seed);
            unsigned st = seed;
            for (size_t i = 0; i < N; i++)
                for (unsigned d = 0; d < dim; d++)
                    c[i * dim + d] = floor(uniform(&st) *
                                           (double)(size[d] - 1)) +
                                     0.1 + 0.8 * uniform(&st);
            for (size_t k = 1; k < N_KINDS; k++) { /* not nearest */
                if (kinds[k].order == 0)
                    continue; /* piecewise constant */
                pipit_interpolator_t *ip = pipit_interpolator_new_by_name(
                    img, kinds[k].name, kinds[k].order);
                CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
                pipit_interpolator_evaluate_batch(ip, N, c, v, g);
                size_t bad = 0;
                for (unsigned a = 0; a < dim; a++) {
                    memcpy(cp, c, sizeof cp);
                    for (size_t i = 0; i < N; i++)
                        cp[i * dim + a] += h;
                    pipit_interpolator_evaluate_batch(ip, N, cp, vp, NULL);
                    memcpy(cp, c, sizeof cp);
                    for (size_t i = 0; i < N; i++)
                        cp[i * dim + a] -= h;
                    pipit_interpolator_evaluate_batch(ip, N, cp, vm, NULL);
                    for (size_t i = 0; i < N; i++) {
                        double fd = (vp[i] - vm[i]) / (2 * h);
                        bad += !close_to(g[i * dim + a], fd, 1e-6);
                    }
                }
                CU_ASSERT_EQUAL(bad, 0);
                pipit_interpolator_unref(ip);
            }
            pipit_image_unref(img);
        }
    }
    pipit__cpu_force_portable(false);
}

/*
 * A linear ramp f = 3 + 2 i + 5 j (+ 7 k) on a grid of spacing (0.5, 2,
 * 4): linear interpolation and B-splines of order 1..5 reproduce it, so
 * the index gradient is the slopes and the physical one slope /
 * spacing. Only away from the border: there the clamp (linear) and the
 * mirror (B-splines) bend it, and the prefilter carries the bend inwards
 * decaying as |z1|^distance (z1 = -0.43 for order 5), so the points keep
 * 24 voxels away and the check is 1e-7 relative (0.43^24 ~ 2e-9); f32
 * coefficients round each to 6e-8 relative of values up to 1000, 1e-4.
 * Points through evaluate_points too.
 */
static void
test_batch_ramp_gradient(void)
{
    static const size_t sizes[2][3] = { { 64, 60 }, { 56, 54, 52 } };
    const double spacing[3] = { 0.5, 2.0, 4.0 }, origin[3] = { 1, -2, 3 };
    enum { N = 50 };
    static double c[N * 3], p[N * 3], v[N], g[N * 3], gp[N * 3];
    for (int path = 0; path < 2; path++) {
        pipit__cpu_force_portable(path == 0);
        for (unsigned dim = 2; dim <= 3; dim++) {
            const size_t *size = sizes[dim - 2];
            pipit_image_t *img = make_image(dim, size, PIPIT_F64, ramp, &dim);
            ASSERT_OK(pipit_image_set_spacing(img, spacing));
            ASSERT_OK(pipit_image_set_origin(img, origin));
            unsigned st = 99 + dim;
            for (size_t i = 0; i < N; i++)
                for (unsigned d = 0; d < dim; d++) {
                    c[i * dim + d] =
                        24.0 + uniform(&st) * (double)(size[d] - 49);
                    p[i * dim + d] = origin[d] + spacing[d] * c[i * dim + d];
                }
            for (size_t k = 1; k < N_KINDS; k++) {
                if (kinds[k].order == 0)
                    continue;
                pipit_interpolator_t *ip = pipit_interpolator_new_by_name(
                    img, kinds[k].name, kinds[k].order);
                CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
                bool f32 = strcmp(kinds[k].name, "bspline-float") == 0;
                double tol = f32 ? 1e-4 : 1e-7;
                CU_ASSERT_EQUAL(
                    pipit_interpolator_evaluate_batch(ip, N, c, v, g), N);
                CU_ASSERT_EQUAL(
                    pipit_interpolator_evaluate_points(ip, N, p, v, gp), N);
                size_t bad = 0;
                for (size_t i = 0; i < N; i++) {
                    unsigned user = dim;
                    bad += !close_to(ramp(c + i * dim, &user), v[i], tol);
                    for (unsigned d = 0; d < dim; d++) {
                        bad += !close_to(ramp_slope[d], g[i * dim + d], tol);
                        bad += !close_to(ramp_slope[d] / spacing[d],
                                         gp[i * dim + d], tol);
                    }
                }
                CU_ASSERT_EQUAL(bad, 0);
                if (bad != 0)
                    fprintf(stderr, "\n%s order %u, %u-D: %zu off\n",
                            kinds[k].name, kinds[k].order, dim, bad);
                pipit_interpolator_unref(ip);
            }
            pipit_image_unref(img);
        }
    }
    pipit__cpu_force_portable(false);
}

/* Batch calls from every pool worker at once on one interpolator give
 * the single-threaded answers (the call only reads). */
typedef struct {
    const pipit_interpolator_t *ip;
    const double *c;
    double *v, *g;
} batch_job_t;

static pipit_status_t
batch_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const batch_job_t *j = ctx;
    (void)worker, (void)acc;
    pipit_interpolator_evaluate_batch(j->ip, hi - lo, j->c + lo * 3,
                                      j->v + lo, j->g + lo * 3);
    return PIPIT_OK;
}

static void
test_batch_threads(void)
{
    const size_t size[3] = { 12, 11, 10 };
    unsigned seed = 5;
    pipit_image_t *img = make_image(3, size, PIPIT_F32, noise, &seed);
    pipit_interpolator_t *ip = pipit_interpolator_new_by_name(img, "bspline",
                                                              3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ip);
    enum { N = 3000 };
    static double c[N * 3], v0[N], g0[N * 3], v[N], g[N * 3];
    edge_points(3, size, 77, c, N);
    pipit_interpolator_evaluate_batch(ip, N, c, v0, g0);
    const unsigned threads[] = { 1, 2, 3, 7 };
    unsigned old = pipit_pool_threads();
    for (size_t t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(threads[t]));
        batch_job_t j = { ip, c, v, g };
        ASSERT_OK(pipit_parallel_for(N, 64, batch_piece, &j));
        CU_ASSERT(memcmp(v, v0, sizeof v) == 0);
        CU_ASSERT(memcmp(g, g0, sizeof g) == 0);
    }
    ASSERT_OK(pipit_pool_set_threads(old));
    pipit_interpolator_unref(ip);
    pipit_image_unref(img);
}

/* Per-worker scratch is made by the workers that run: a loop of two
 * pieces on a pool of seven threads makes at most two blocks. */
typedef struct {
    pipit__scratch_t *s;
} scratch_job_t;

static pipit_status_t
scratch_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const scratch_job_t *j = ctx;
    (void)acc;
    double *p = pipit__scratch_get(j->s, worker);
    if (p == NULL)
        return pipit__scratch_fail("scratch test", j->s, worker);
    for (size_t i = lo; i < hi; i++)
        p[i - lo] = (double)i;
    return PIPIT_OK;
}

static void
test_scratch_lazy(void)
{
    unsigned old = pipit_pool_threads();
    ASSERT_OK(pipit_pool_set_threads(7));
    pipit__scratch_t s;
    ASSERT_OK(pipit__scratch_init(&s, 100 * sizeof(double)));
    CU_ASSERT_EQUAL(s.workers, 7);
    CU_ASSERT_EQUAL(s.bytes, 832); /* rounded up to 64 */
    scratch_job_t j = { &s };
    ASSERT_OK(pipit_parallel_for(200, 100, scratch_piece, &j));
    unsigned made = 0;
    for (unsigned w = 0; w < s.workers; w++)
        made += s.block[w] != NULL;
    CU_ASSERT(made >= 1 && made <= 2);
    /* out of range, as after a resize: an error naming the worker */
    CU_ASSERT_PTR_NULL(pipit__scratch_get(&s, 9));
    ASSERT_FAILS_WITH(pipit__scratch_fail("scratch test", &s, 9),
                      PIPIT_ESTATE, "worker 9 of 7");
    pipit__scratch_free(&s);
    /* out of memory: the message gives threads and bytes */
    ASSERT_OK(pipit__scratch_init(&s, 1000));
    pipit__alloc_fail_at(1);
    CU_ASSERT_PTR_NULL(pipit__scratch_get(&s, 3));
    pipit__alloc_fail_at(0);
    ASSERT_FAILS_WITH(pipit__scratch_fail("scratch test", &s, 3),
                      PIPIT_ENOMEM, "1024 bytes of scratch on worker 3 "
                                    "(the pool has 7 threads");
    pipit__scratch_free(&s);
    ASSERT_OK(pipit_pool_set_threads(old));
}

const test_case_t test_interpolator_cases[] = {
    { "nearest_linear_ramp", test_nearest_linear_ramp },
    { "linear_border_clamp", test_linear_border_clamp },
    { "order1_is_linear", test_order1_is_linear },
    { "batch_large_volume", test_batch_large_volume },
    { "bspline_polynomial", test_bspline_polynomial },
    { "bspline_integer_indices", test_bspline_integer_indices },
    { "gradients", test_gradients },
    { "nearest_gradient_and_order0", test_nearest_gradient_and_order0 },
    { "physical_gradient", test_physical_gradient },
    { "outside_default", test_outside_default },
    { "prefilter_threads", test_prefilter_threads },
    { "evaluate_line", test_evaluate_line },
    { "bad_arguments", test_bad_arguments },
    { "by_name", test_by_name },
    { "batch_matches_single", test_batch_matches_single },
    { "batch_gradient_differences", test_batch_gradient_differences },
    { "batch_ramp_gradient", test_batch_ramp_gradient },
    { "batch_threads", test_batch_threads },
    { "scratch_lazy", test_scratch_lazy },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resampling, warping and pyramids against known answers: the identity
 * copies bit for bit, a 90° rotation is a flip and a permutation of
 * indices, a zero field is the identity, a constant field a shift, the
 * output grid comes from the settings or a reference image, the
 * portable and vectorised kernels agree within stated tolerances, and
 * pyramid levels follow elastix's geometry and schedules.
 */
#include <math.h>

#include "cpu_impl.h" /* pipit__cpu_force_portable */
#include "smooth_util.h"

/* A grid that is not the unit one: spacing, origin and a rotation. */
static void
odd_geometry(pipit_image_t *img)
{
    unsigned dim = pipit_image_dim(img);
    double sp[3] = { 0.7, 1.3, 2.0 }, org[3] = { -3.0, 5.0, 1.5 };
    double c = cos(0.3), s = sin(0.3);
    double d2[4] = { c, -s, s, c };
    double d3[9] = { c, -s, 0, s * cos(0.2), c * cos(0.2), -sin(0.2),
                     s * sin(0.2), c * sin(0.2), cos(0.2) };
    pipit_image_set_spacing(img, sp);
    pipit_image_set_origin(img, org);
    pipit_image_set_direction(img, dim == 2 ? d2 : d3);
}

static pipit_node_t *
resampler(const char *interp, const char *order)
{
    pipit_node_t *r = pipit_resample_new();
    if (r != NULL && interp != NULL)
        pipit_node_set(r, "interpolator", interp);
    if (r != NULL && order != NULL)
        pipit_node_set(r, "order", order);
    return r;
}

/* The identity on the input's own grid (rotated, anisotropic) copies
 * every voxel bit for bit with nearest, linear and B-splines of order 0
 * and 1; a cubic B-spline is within 1e-5 (relative) of the samples, the
 * round-off of its prefilter. */
static void
resample_identity_exact(void)
{
    const size_t s3[3] = { 7, 5, 4 }, s2[2] = { 9, 6 };
    const pipit_pixel_type_t types[] = { PIPIT_F32, PIPIT_I16, PIPIT_F64 };
    const char *exact[][2] = { { "nearest", NULL },
                               { "linear", NULL },
                               { "bspline", "0" },
                               { "bspline", "1" } };
    for (unsigned dim = 2; dim <= 3; dim++)
        for (size_t k = 0; k < 3; k++) {
            pipit_image_t *img = su_random(dim, dim == 2 ? s2 : s3,
                                           types[k], -1000, 1000, 17);
            odd_geometry(img);
            for (size_t e = 0; e < 4; e++) {
                pipit_node_t *r = resampler(exact[e][0], exact[e][1]);
                pipit_image_t *out = su_run(r, img);
                CU_ASSERT(su_identical(out, img));
                pipit_image_unref(out);
                /* The same through an explicit identity transform and a
                 * reference image on input 1. */
                pipit_transform_t *t = pipit_affine_transform_new(dim, NULL);
                ASSERT_OK(pipit_resample_set_transform(r, t));
                ASSERT_OK(pipit_node_set_input_image(r, 1, img));
                out = su_run(r, img);
                CU_ASSERT(su_identical(out, img));
                pipit_image_unref(out);
                pipit_transform_unref(t);
                pipit_node_unref(r);
            }
            pipit_node_t *r = resampler("bspline", "3");
            pipit_image_t *out = su_run(r, img);
            CU_ASSERT(su_max_diff(out, img) <= 1000 * 1e-5);
            pipit_image_unref(out);
            pipit_node_unref(r);
            pipit_image_unref(img);
        }
}

/* A 90° turn about the centre of an n x n image (Euler angle π/2, whose
 * cosine is 6e-17, not 0): out(x, y) = in(n - 1 - y, x), written here as
 * index arithmetic; bit for bit with nearest and linear, and with odd and
 * even n. In 3-D about z the same with z kept. */
static void
resample_rotation_is_permutation(void)
{
    const size_t sizes[] = { 7, 6 };
    const char *interps[] = { "nearest", "linear" };
    for (size_t si = 0; si < 2; si++)
        for (unsigned dim = 2; dim <= 3; dim++)
            for (size_t ii = 0; ii < 2; ii++) {
                size_t n = sizes[si], size[3] = { n, n, 3 };
                pipit_image_t *img = su_random(dim, size, PIPIT_F32, 0, 1, 9);
                double c = 0.5 * (double)(n - 1);
                double center[3] = { c, c, 1.0 };
                pipit_transform_t *t = pipit_euler_transform_new(dim, center);
                double p2[3] = { M_PI / 2, 0, 0 };
                double p3[6] = { 0, 0, M_PI / 2, 0, 0, 0 };
                ASSERT_OK(pipit_transform_set_parameters(
                    t, dim == 2 ? p2 : p3, dim == 2 ? 3 : 6));
                pipit_node_t *r = resampler(interps[ii], NULL);
                ASSERT_OK(pipit_resample_set_transform(r, t));
                pipit_image_t *out = su_run(r, img);
                CU_ASSERT_PTR_NOT_NULL_FATAL(out);
                bool ok = true;
                size_t nz = dim == 3 ? 3 : 1;
                for (size_t z = 0; z < nz; z++)
                    for (size_t y = 0; y < n; y++)
                        for (size_t x = 0; x < n; x++)
                            ok = ok && su_at(out, x, y, z) ==
                                           su_at(img, n - 1 - y, x, z);
                CU_ASSERT(ok);
                pipit_image_unref(out);
                pipit_node_unref(r);
                pipit_transform_unref(t);
                pipit_image_unref(img);
            }
}

/* Grid from the settings: a shift by whole voxels copies; points
 * outside get default_value; the output type is converted. */
static void
resample_settings_grid(void)
{
    const size_t size[2] = { 8, 6 };
    pipit_image_t *img = su_random(2, size, PIPIT_F32, 0, 100, 2);
    pipit_node_t *r = resampler("linear", NULL);
    ASSERT_OK(pipit_node_set(r, "size", "5,4"));
    ASSERT_OK(pipit_node_set(r, "origin", "2,1"));
    ASSERT_OK(pipit_node_set(r, "spacing", "1,1"));
    ASSERT_OK(pipit_node_set(r, "default-value", "-7"));
    ASSERT_OK(pipit_node_set(r, "type", "i16"));
    pipit_image_t *out = su_run(r, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT(pipit_image_pixel_type(out) == PIPIT_I16);
    CU_ASSERT_EQUAL(pipit_image_size(out)[0], 5);
    for (size_t y = 0; y < 4; y++)
        for (size_t x = 0; x < 5; x++)
            CU_ASSERT_DOUBLE_EQUAL(su_at(out, x, y, 0),
                                   round(su_at(img, x + 2, y + 1, 0)), 0);
    /* Shifted past the end: default value outside. */
    ASSERT_OK(pipit_node_set(r, "origin", "6,1"));
    pipit_image_unref(out);
    out = su_run(r, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_DOUBLE_EQUAL(su_at(out, 0, 0, 0), round(su_at(img, 6, 1, 0)),
                           0);
    CU_ASSERT_DOUBLE_EQUAL(su_at(out, 3, 0, 0), -7.0, 0);
    pipit_image_unref(out);
    pipit_node_unref(r);
    pipit_image_unref(img);
}

/* The inlined 3-D paths and the library's interpolators agree on a
 * general affine map: nearest and linear on f32 (float weights against
 * double: 1e-5 relative), the cubic B-spline (double, summed in another
 * order: far below the f32 output's resolution). */
static void
resample_fast_path_matches_interpolator(void)
{
    const size_t size[3] = { 13, 11, 9 };
    pipit_image_t *img = su_random(3, size, PIPIT_F32, 0, 100, 4);
    double center[3] = { 6, 5, 4 };
    pipit_transform_t *t = pipit_affine_transform_new(3, center);
    /* no exact half voxels, where nearest could round either way */
    double p[12] = { 0.9123, 0.2071, -0.1033, -0.1517, 1.0519, 0.1081,
                     0.0537, -0.1021, 0.9511, 0.7071, -1.3013, 0.4142 };
    ASSERT_OK(pipit_transform_set_parameters(t, p, 12));
    const char *interps[] = { "nearest", "linear", "bspline" };
    for (size_t k = 0; k < 3; k++) {
        pipit_node_t *r = resampler(interps[k], "3");
        ASSERT_OK(pipit_node_set(r, "default-value", "-1"));
        ASSERT_OK(pipit_resample_set_transform(r, t));
        pipit_image_t *out = su_run(r, img);
        CU_ASSERT_PTR_NOT_NULL_FATAL(out);
        pipit_interpolator_t *ip =
            k == 0   ? pipit_nearest_interpolator_new(img)
            : k == 1 ? pipit_linear_interpolator_new(img)
                     : pipit_bspline_interpolator_new(img, 3, PIPIT_F64);
        pipit_interpolator_set_default(ip, -1.0);
        double worst = 0.0;
        for (size_t z = 0; z < 9; z++)
            for (size_t y = 0; y < 11; y++)
                for (size_t x = 0; x < 13; x++) {
                    double i[3] = { (double)x, (double)y, (double)z }, pt[3],
                           q[3], v;
                    pipit_image_index_to_point(out, i, pt);
                    pipit_transform_point(t, pt, q);
                    pipit_interpolator_evaluate_point(ip, q, &v, NULL);
                    worst = fmax(worst, fabs(su_at(out, x, y, z) - v));
                }
        CU_ASSERT(worst < 1e-3);
        pipit_interpolator_unref(ip);
        pipit_image_unref(out);
        pipit_node_unref(r);
    }
    pipit_transform_unref(t);
    pipit_image_unref(img);
}

/* ---- warp -------------------------------------------------------------- */

static pipit_image_t *
field_of(const pipit_image_t *like, const double *d)
{
    unsigned dim = pipit_image_dim(like);
    pipit_image_t *f = pipit_image_new(dim, pipit_image_size(like),
                                       PIPIT_F32, dim);
    pipit_image_copy_geometry(f, like);
    float *p = pipit_image_data_writable(f);
    size_t n = 1;
    for (unsigned a = 0; a < dim; a++)
        n *= pipit_image_size(like)[a];
    for (size_t i = 0; i < n; i++)
        for (unsigned a = 0; a < dim; a++)
            p[i * dim + a] = (float)d[a];
    return f;
}

/* A zero field is the identity, bit for bit, on a rotated grid; a
 * constant field d equals resampling through a translation by d. */
static void
warp_zero_and_constant(void)
{
    const size_t size[3] = { 9, 7, 5 };
    for (unsigned dim = 2; dim <= 3; dim++) {
        pipit_image_t *img = su_random(dim, size, PIPIT_F32, 0, 100, 8);
        odd_geometry(img);
        double zero[3] = { 0, 0, 0 }, d[3] = { 0.8, -1.1, 0.3 };
        pipit_image_t *f0 = field_of(img, zero), *f1 = field_of(img, d);
        pipit_node_t *w = pipit_warp_new();
        ASSERT_OK(pipit_node_set_input_image(w, 1, f0));
        pipit_image_t *out = su_run(w, img);
        CU_ASSERT(su_identical(out, img));
        pipit_image_unref(out);
        ASSERT_OK(pipit_node_set_input_image(w, 1, f1));
        out = su_run(w, img);
        pipit_transform_t *t = pipit_translation_transform_new(dim);
        ASSERT_OK(pipit_transform_set_parameters(t, d, dim));
        pipit_node_t *r = resampler("linear", NULL);
        ASSERT_OK(pipit_resample_set_transform(r, t));
        pipit_image_t *ref = su_run(r, img);
        /* float weights on the 3-D path: 1e-5 of values up to 100 */
        CU_ASSERT(su_max_diff(out, ref) < 1e-3);
        pipit_image_unref(ref);
        pipit_image_unref(out);
        pipit_node_unref(r);
        pipit_transform_unref(t);
        pipit_node_unref(w);
        pipit_image_unref(f0);
        pipit_image_unref(f1);
        pipit_image_unref(img);
    }
}

/*
 * The portable and the x86-64-v3 copies of the interpolation kernels
 * (lib/cpu_impl.h), through an affine map with no integer entries, at
 * 1, 2, 3 and 7 threads: each copy gives the same bits at every thread
 * count; across copies nearest is bit for bit (only an index rounding
 * on a tie could differ), the 3-D f32 linear path computes in float and
 * the v3 copy fuses its multiply-adds, so 1e-3 of values within ±1000
 * (a few float ulps), and the double paths (cubic row kernel, batch
 * kernels of order 2 and of f32 coefficients, 2-D linear) 1e-9.
 */
static void
resample_both_paths(void)
{
    const size_t s3[3] = { 23, 19, 17 }, s2[2] = { 31, 27 };
    const double a3[12] = { 0.97, 0.1, 0.02, -0.08, 1.03, 0.05,
                            0.01, -0.04, 0.99, 0.3, -0.7, 0.45 };
    const double a2[6] = { 0.95, 0.12, -0.07, 1.04, 0.35, -0.6 };
    const struct {
        const char *interp, *order;
        double tol;
    } cases[] = {
        { "nearest", NULL, 0.0 },       { "linear", NULL, 1e-3 },
        { "bspline", "3", 1e-9 },       { "bspline", "2", 1e-9 },
        { "bspline-float", "3", 1e-3 },
    };
    for (unsigned dim = 2; dim <= 3; dim++) {
        pipit_image_t *img = su_random(dim, dim == 2 ? s2 : s3, PIPIT_F32,
                                       -1000, 1000, 31);
        odd_geometry(img);
        pipit_transform_t *t = pipit_affine_transform_new(dim, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        ASSERT_OK(pipit_transform_set_parameters(t, dim == 2 ? a2 : a3,
                                                 dim * dim + dim));
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            pipit_image_t *ref[2] = { NULL, NULL };
            for (int path = 0; path < 2; path++) {
                pipit__cpu_force_portable(path == 0);
                for (size_t th = 0; th < 4; th++) {
                    ASSERT_OK(pipit_pool_set_threads(test_thread_counts[th]));
                    pipit_node_t *r =
                        resampler(cases[k].interp, cases[k].order);
                    ASSERT_OK(pipit_resample_set_transform(r, t));
                    pipit_image_t *out = su_run(r, img);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
                    if (ref[path] == NULL)
                        ref[path] = out;
                    else {
                        CU_ASSERT(su_identical(out, ref[path]));
                        pipit_image_unref(out);
                    }
                    pipit_node_unref(r);
                }
            }
            double diff = su_max_diff(ref[0], ref[1]);
            CU_ASSERT(cases[k].tol == 0.0 ? diff == 0.0
                                          : diff <= cases[k].tol);
            if (!(cases[k].tol == 0.0 ? diff == 0.0 : diff <= cases[k].tol))
                fprintf(stderr, "\n%s %u-D: paths differ by %g\n",
                        cases[k].interp, dim, diff);
            pipit_image_unref(ref[0]);
            pipit_image_unref(ref[1]);
        }
        pipit_transform_unref(t);
        pipit_image_unref(img);
    }
    pipit__cpu_force_portable(false);
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* ---- pyramids ---------------------------------------------------------- */

/* Shrinking, default schedule (2 levels: factors 2, 1): level 0 of a
 * 9 x 6 image is 4 x 3 with spacing 2, voxel j copying input 2j + o,
 * o = (1, 1) the input voxel nearest the level's voxel 0, and its centre
 * on the input's centre. */
static void
pyramid_shrinking_geometry(void)
{
    const size_t size[2] = { 9, 6 };
    pipit_image_t *img = su_random(2, size, PIPIT_I16, -50, 50, 6);
    pipit_node_t *p = pipit_pyramid_new("shrinking", 2, 0);
    pipit_image_t *out = su_run(p, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_EQUAL(pipit_image_size(out)[0], 4);
    CU_ASSERT_EQUAL(pipit_image_size(out)[1], 3);
    CU_ASSERT(pipit_image_pixel_type(out) == PIPIT_F32);
    CU_ASSERT_DOUBLE_EQUAL(pipit_image_spacing(out)[0], 2.0, 0);
    /* centres: input (4, 2.5), level (1.5, 1) * 2 + origin */
    CU_ASSERT_DOUBLE_EQUAL(pipit_image_origin(out)[0], 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pipit_image_origin(out)[1], 0.5, 1e-12);
    for (size_t y = 0; y < 3; y++)
        for (size_t x = 0; x < 4; x++)
            CU_ASSERT_DOUBLE_EQUAL(su_at(out, x, y, 0),
                                   su_at(img, 2 * x + 1, 2 * y + 1, 0), 0);
    /* The finest level (factor 1) is a plain copy. */
    ASSERT_OK(pipit_node_set(p, "level", "1"));
    pipit_image_unref(out);
    out = su_run(p, img);
    CU_ASSERT(su_max_diff(out, img) == 0.0);
    pipit_image_unref(out);
    pipit_node_unref(p);
    pipit_image_unref(img);
}

/* Smoothing: the input's grid, sigma = f/2 · spacing along each axis, a
 * factor 0 leaving its axis alone: exactly the recursive Gaussian. */
static void
pyramid_smoothing_is_recursive_gaussian(void)
{
    const size_t size[3] = { 12, 10, 8 };
    pipit_image_t *img = su_random(3, size, PIPIT_F32, 0, 100, 12);
    double sp[3] = { 1.0, 2.0, 0.5 };
    ASSERT_OK(pipit_image_set_spacing(img, sp));
    pipit_node_t *p = pipit_pyramid_new("smoothing", 3, 0);
    ASSERT_OK(pipit_node_set(p, "schedule", "4 2 0  2 1 0  1 1 0"));
    pipit_image_t *a = su_run(p, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    /* z not smoothed: filter x and y only, one slice at a time */
    pipit_node_t *gx = pipit_recursive_gaussian_new(2.0, 0, 0);
    pipit_node_t *gy = pipit_recursive_gaussian_new(2.0, 1, 0);
    ASSERT_OK(pipit_node_set_input(gy, 0, gx, 0));
    ASSERT_OK(pipit_node_set_input_image(gx, 0, img));
    ASSERT_OK(pipit_node_update(gy));
    const pipit_image_t *b = pipit_node_get_output(gy, 0);
    CU_ASSERT(su_max_diff(a, b) < 1e-4);
    pipit_image_unref(a);
    pipit_node_unref(gx);
    pipit_node_unref(gy);
    pipit_node_unref(p);
    pipit_image_unref(img);
}

/* Recursive, 2 levels (2, 1): level 0 is the discrete Gaussian of
 * variance 1 voxel² (maximum error 0.1) sampled every other voxel from
 * o = 1; level 1 is a copy. */
static void
pyramid_recursive_level(void)
{
    const size_t size[2] = { 10, 8 };
    pipit_image_t *img = su_random(2, size, PIPIT_F32, 0, 100, 13);
    pipit_node_t *p = pipit_pyramid_new("recursive", 2, 0);
    pipit_image_t *a = su_run(p, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    pipit_node_t *g = pipit_discrete_gaussian_new(1.0);
    ASSERT_OK(pipit_node_set(g, "maximum-error", "0.1"));
    ASSERT_OK(pipit_node_set(g, "use-image-spacing", "false"));
    pipit_image_t *b = su_run(g, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(pipit_image_size(a)[0], 5);
    CU_ASSERT_EQUAL(pipit_image_size(a)[1], 4);
    double worst = 0.0;
    for (size_t y = 0; y < 4; y++)
        for (size_t x = 0; x < 5; x++)
            worst = fmax(worst, fabs(su_at(a, x, y, 0) -
                                     su_at(b, 2 * x + 1, 2 * y + 1, 0)));
    CU_ASSERT(worst < 1e-4);
    ASSERT_OK(pipit_node_set(p, "level", "1"));
    pipit_image_t *c = su_run(p, img);
    CU_ASSERT(su_max_diff(c, img) == 0.0);
    /* A schedule that does not divide (3 then 2) still gives the level
     * grid of factor 3. */
    ASSERT_OK(pipit_node_set(p, "schedule", "3 3 2 2"));
    ASSERT_OK(pipit_node_set(p, "level", "0"));
    pipit_image_t *d = su_run(p, img);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(pipit_image_size(d)[0], 3);
    CU_ASSERT_EQUAL(pipit_image_size(d)[1], 2);
    pipit_image_unref(a);
    pipit_image_unref(b);
    pipit_image_unref(c);
    pipit_image_unref(d);
    pipit_node_unref(g);
    pipit_node_unref(p);
    pipit_image_unref(img);
}

const test_case_t test_filters_resample_cases[] = {
    { "resample_identity_exact", resample_identity_exact },
    { "resample_rotation_is_permutation", resample_rotation_is_permutation },
    { "resample_settings_grid", resample_settings_grid },
    { "resample_fast_path_matches_interpolator",
      resample_fast_path_matches_interpolator },
    { "warp_zero_and_constant", warp_zero_and_constant },
    { "resample_both_paths", resample_both_paths },
    { "pyramid_shrinking_geometry", pyramid_shrinking_geometry },
    { "pyramid_smoothing_is_recursive_gaussian",
      pyramid_smoothing_is_recursive_gaussian },
    { "pyramid_recursive_level", pyramid_recursive_level },
    { NULL, NULL },
};

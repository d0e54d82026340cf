/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The B-spline transform components (registration/bspline_transform.c):
 * the grid of spec §7.8.4 against its worked example and hand-computed
 * layouts (rotated direction, initial transform), key errors, passive
 * edges, the level change keeping the mapping, a known 2-D deformation
 * recovered, a 3-D run, and transformix resampling with our TP file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pipit.h>

#include "bspline_fast.h"
#include "error_impl.h"
#include "reg_impl.h"
#include "testutil.h"

static pipit_params_t *keep_params;

static reg_map_t
map_of(const char *text, unsigned dim, unsigned levels)
{
    pipit_params_unref(keep_params);
    keep_params = NULL;
    ASSERT_OK(pipit_params_parse(text, strlen(text), "bs.txt",
                                 &keep_params));
    return (reg_map_t){ .params = keep_params, .file = "bs.txt", .dim = dim,
                        .n_levels = levels };
}

static pipit_image_t *
blank(unsigned dim, const size_t *n, const double *spacing,
      const double *origin)
{
    pipit_image_t *img = pipit_image_new(dim, n, PIPIT_F32, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    if (spacing != NULL)
        ASSERT_OK(pipit_image_set_spacing(img, spacing));
    if (origin != NULL)
        ASSERT_OK(pipit_image_set_origin(img, origin));
    return img;
}

static void
assert_vec(const double *a, const double *b, unsigned n, double tol)
{
    for (unsigned i = 0; i < n; i++) {
        if (!(fabs(a[i] - b[i]) <= tol))
            printf("\n    [%u] %.12g, expected %.12g\n", i, a[i], b[i]);
        CU_ASSERT(fabs(a[i] - b[i]) <= tol);
    }
}

/* The spec's example: 28x30x32 voxels of 1.5 x 1 x 2, origin (10,-5,3),
 * 8 voxels: spacing (12, 8, 16), size 7^3, origin (-5.75, -14.5, -14). */
static void
test_grid_example(void)
{
    const size_t n[3] = { 28, 30, 32 };
    const double sp[3] = { 1.5, 1.0, 2.0 }, o[3] = { 10.0, -5.0, 3.0 };
    pipit_image_t *img = blank(3, n, sp, o);
    reg_map_t m = map_of("(FinalGridSpacingInVoxels 8)\n", 3, 1);
    reg_transform_setup_t s = { .map = &m, .fixed = img, .moving = img };
    pipit_transform_t *t = NULL;
    double *sc = NULL;
    ASSERT_OK(pipit__reg_transform_bspline.create(&s, &t, &sc));
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    const double spacing[3] = { 12, 8, 16 }, origin[3] = { -5.75, -14.5,
                                                            -14 };
    assert_vec(g->spacing, spacing, 3, 1e-12);
    assert_vec(g->origin, origin, 3, 1e-12);
    for (int d = 0; d < 3; d++) {
        CU_ASSERT_EQUAL(g->size[d], 7);
        CU_ASSERT_EQUAL(g->index[d], 0);
    }
    CU_ASSERT_EQUAL(pipit_bspline_transform_order(t), 3);
    size_t P = pipit_transform_n_parameters(t);
    CU_ASSERT_EQUAL(P, 3 * 343);
    const double *p = pipit_transform_parameters(t);
    for (size_t k = 0; k < P; k++) {
        CU_ASSERT_EQUAL(p[k], 0.0);
        CU_ASSERT_EQUAL(sc[k], 1.0);
    }
    pipit_transform_unref(t);
    pipit__free(sc);

    /* Three levels, the default schedule: level 0 at 4 x 8 voxels. */
    m = map_of("(FinalGridSpacingInVoxels 8)\n(NumberOfResolutions 3)\n", 3,
               3);
    pipit_bspline_grid_t g0;
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 0, &g0));
    const double sp0[3] = { 48, 32, 64 };
    assert_vec(g0.spacing, sp0, 3, 1e-12);
    for (int d = 0; d < 3; d++)
        CU_ASSERT_EQUAL(g0.size[d], 4); /* ceil(<= 1) + 3 */
    CU_ASSERT_DOUBLE_EQUAL(g0.origin[0], 10.0 - (3 * 48 - 27 * 1.5) / 2,
                           1e-12);
    /* Per-axis schedule, R·D values. */
    m = map_of("(FinalGridSpacingInPhysicalUnits 10 10 10)\n"
               "(NumberOfResolutions 2)\n"
               "(GridSpacingSchedule 2 1 1 1 1 1)\n",
               3, 2);
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 0, &g0));
    CU_ASSERT_DOUBLE_EQUAL(g0.spacing[0], 20.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(g0.spacing[1], 10.0, 0);
    CU_ASSERT_EQUAL(g0.size[0], 3 + 3); /* ceil(42 / 20) + 3 */
    CU_ASSERT_EQUAL(g0.size[2], 7 + 3); /* ceil(64 / 10) + 3 */
    /* Neither key: 8 physical units. */
    m = map_of("(NumberOfResolutions 1)\n", 3, 1);
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 0, &g0));
    CU_ASSERT_DOUBLE_EQUAL(g0.spacing[0], 8.0, 0);
    CU_ASSERT_EQUAL(g0.size[0], 6 + 3);
    pipit_image_unref(img);
}

/* A rotated image: the grid is centred on the image in its own frame. */
static void
test_grid_direction(void)
{
    const size_t n[2] = { 20, 10 };
    const double o[2] = { 5.0, 5.0 };
    const double rot[4] = { 0, -1, 1, 0 }; /* 90 degrees */
    pipit_image_t *img = blank(2, n, NULL, o);
    ASSERT_OK(pipit_image_set_direction(img, rot));
    reg_map_t m = map_of("(FinalGridSpacingInPhysicalUnits 4)\n", 2, 1);
    reg_transform_setup_t s = { .map = &m, .fixed = img, .moving = img };
    pipit_bspline_grid_t g;
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 0, &g));
    CU_ASSERT_EQUAL(g.size[0], 8);
    CU_ASSERT_EQUAL(g.size[1], 6);
    const double origin[2] = { 10.5, 0.5 }; /* O - M δ, δ = (4.5, 5.5) */
    assert_vec(g.origin, origin, 2, 1e-12);
    assert_vec(g.direction, rot, 4, 0);
    /* Independently: the grid's centre is the image's centre. */
    double ci[2] = { 9.5, 4.5 }, c[2], gc[2];
    pipit_image_index_to_point(img, ci, c);
    for (int r = 0; r < 2; r++)
        gc[r] = g.origin[r] + rot[r * 2 + 0] * 3.5 * g.spacing[0] +
                rot[r * 2 + 1] * 2.5 * g.spacing[1];
    assert_vec(gc, c, 2, 1e-12);
    pipit_image_unref(img);
}

/* Composed with an initial transform, the grid covers the mapped box. */
static void
test_grid_initial(void)
{
    const size_t n[2] = { 20, 10 };
    pipit_image_t *img = blank(2, n, NULL, NULL);
    reg_map_t m = map_of("(FinalGridSpacingInPhysicalUnits 4)\n", 2, 1);
    pipit_transform_t *a = pipit_affine_transform_new(2, NULL);
    const double ap[6] = { 1.1, 0, 0, 1, 3.0, -2.0 };
    ASSERT_OK(pipit_transform_set_parameters(a, ap, 6));
    reg_transform_setup_t s = { .map = &m, .fixed = img, .moving = img,
                                .initial = a,
                                .how = PIPIT_COMBINE_COMPOSE };
    pipit_bspline_grid_t g;
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 0, &g));
    /* x: box [3, 23.9], L'/L = 20.9 / 19 = 1.1; y: shifted by -2. */
    CU_ASSERT_EQUAL(g.size[0], 8);
    CU_ASSERT_EQUAL(g.size[1], 6);
    CU_ASSERT_DOUBLE_EQUAL(g.spacing[0], 4.4, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(g.spacing[1], 4.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(g.origin[0], 3.0 - (7 * 4.4 - 20.9) / 2, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(g.origin[1], -2.0 - (5 * 4.0 - 9.0) / 2, 1e-12);
    /* Added, the initial transform does not move the grid. */
    s.how = PIPIT_COMBINE_ADD;
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 0, &g));
    CU_ASSERT_DOUBLE_EQUAL(g.spacing[0], 4.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(g.origin[0], -(7 * 4.0 - 19.0) / 2, 1e-12);
    pipit_transform_unref(a);
    pipit_image_unref(img);

    /* elastix 5.0.1's grid after its own rigid result on its example
     * (-t0 with TransformParameters.0.txt, parameters_BSpline.txt). */
    pipit_transform_t *rigid = NULL;
    ASSERT_OK(pipit_tp_read(
        test_data("registration/elastix_example_TransformParameters.0.txt"),
        &rigid, NULL));
    ASSERT_OK(pipit_image_read(test_data("registration/fixed.mhd"), &img));
    m = map_of("(FinalGridSpacingInPhysicalUnits 16)\n"
               "(NumberOfResolutions 4)\n",
               2, 4);
    s = (reg_transform_setup_t){ .map = &m, .fixed = img, .moving = img,
                                 .initial = rigid,
                                 .how = PIPIT_COMBINE_COMPOSE };
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 3, &g));
    CU_ASSERT_EQUAL(g.size[0], 19);
    CU_ASSERT_EQUAL(g.size[1], 19);
    const double el_spacing[2] = { 16.0148411084, 16.0148411084 };
    const double el_origin[2] = { -18.0900499756, -17.1634999756 };
    assert_vec(g.spacing, el_spacing, 2, 1e-10);
    assert_vec(g.origin, el_origin, 2, 1e-10);
    pipit_transform_unref(rigid);
    pipit_image_unref(img);
}

static void
test_errors(void)
{
    const size_t n[2] = { 20, 10 };
    pipit_image_t *img = blank(2, n, NULL, NULL);
    reg_transform_setup_t s = { .fixed = img, .moving = img };
    pipit_transform_t *t = NULL;
    double *sc = NULL;
    reg_map_t m = map_of("(FinalGridSpacingInPhysicalUnits 4)\n"
                         "(FinalGridSpacingInVoxels 4)\n",
                         2, 1);
    s.map = &m;
    pipit_status_t st = pipit__reg_transform_bspline.create(&s, &t, &sc);
    ASSERT_FAILS_WITH(st, PIPIT_EINVAL, "FinalGridSpacingInPhysicalUnits");
    CU_ASSERT_PTR_NOT_NULL(
        strstr(pipit_error_message(), "FinalGridSpacingInVoxels"));
    m = map_of("(NumberOfResolutions 3)\n(GridSpacingSchedule 4 2 1 1)\n", 2,
               3);
    st = pipit__reg_transform_bspline.create(&s, &t, &sc);
    ASSERT_FAILS_WITH(st, PIPIT_EINVAL, "GridSpacingSchedule");
    /* A period of 10 over spacing 8: one control point, four needed. */
    m = map_of("(UseCyclicTransform \"true\")\n", 2, 1);
    st = pipit__reg_transform_bspline.create(&s, &t, &sc);
    ASSERT_FAILS_WITH(st, PIPIT_EINVAL, "UseCyclicTransform");
    m = map_of("(BSplineTransformSplineOrder 4)\n", 2, 1);
    st = pipit__reg_transform_recursive_bspline.create(&s, &t, &sc);
    CU_ASSERT_NOT_EQUAL(st, PIPIT_OK);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(pipit_error_message(), "BSplineTransformSplineOrder"));
    m = map_of("(FinalGridSpacingInVoxels 0)\n", 2, 1);
    st = pipit__reg_transform_bspline.create(&s, &t, &sc);
    ASSERT_FAILS_WITH(st, PIPIT_EINVAL, "FinalGridSpacingInVoxels");
    /* pipit_registration_check finds them before any image is read */
    m = map_of("(NumberOfResolutions 2)\n(GridSpacingSchedule 2 1 1)\n", 2,
               2);
    ASSERT_FAILS_WITH(pipit__reg_transform_bspline.check(&m), PIPIT_EINVAL,
                      "GridSpacingSchedule");
    m = map_of("(NumberOfResolutions 2)\n(PassiveEdgeWidth 1 -1)\n", 2, 2);
    ASSERT_FAILS_WITH(pipit__reg_transform_bspline.check(&m), PIPIT_EINVAL,
                      "PassiveEdgeWidth");
    m = map_of("(NumberOfResolutions 2)\n(GridSpacingSchedule 2 1)\n", 2, 2);
    ASSERT_OK(pipit__reg_transform_recursive_bspline.check(&m));
    pipit_image_unref(img);
}

static void
test_passive_edge(void)
{
    const size_t n[2] = { 20, 10 };
    pipit_image_t *img = blank(2, n, NULL, NULL);
    reg_map_t m = map_of("(FinalGridSpacingInPhysicalUnits 4)\n"
                         "(PassiveEdgeWidth 1)\n(BSplineTransformSplineOrder 2)\n",
                         2, 1);
    reg_transform_setup_t s = { .map = &m, .fixed = img, .moving = img };
    pipit_transform_t *t = NULL;
    double *sc = NULL;
    ASSERT_OK(pipit__reg_transform_bspline.create(&s, &t, &sc));
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(t);
    size_t g0 = g->size[0], g1 = g->size[1], np = g0 * g1;
    CU_ASSERT_EQUAL(g0, 5 + 2);
    size_t passive = 0;
    for (size_t y = 0; y < g1; y++)
        for (size_t x = 0; x < g0; x++) {
            bool edge = x == 0 || y == 0 || x == g0 - 1 || y == g1 - 1;
            for (int e = 0; e < 2; e++) {
                double v = sc[e * np + y * g0 + x];
                CU_ASSERT_EQUAL(v, edge ? 10000.0 : 1.0);
                passive += v != 1.0;
            }
        }
    CU_ASSERT_EQUAL(passive, 2 * (np - (g0 - 2) * (g1 - 2)));
    pipit_transform_unref(t);
    pipit__free(sc);
    pipit_image_unref(img);
}

/* Simple deterministic numbers in [-1, 1). */
static double
lcg(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 4503599627370496.0 - 1.0;
}

/*
 * Level 0 -> 1 keeps the mapping. With the spec's centring the finer
 * grid's control points fall on the coarser knots when ceil(2x) =
 * 2 ceil(x), x = n S / h (the sizes here), so the coarse cubic is a fine
 * cubic; with the coefficients away from the faces its samples are zero
 * there and the mirror-boundary decomposition is exact.
 */
static void
check_upsample(unsigned order)
{
    const size_t n[2] = { 160, 128 };
    const double o[2] = { -7.0, 3.5 };
    pipit_image_t *img = blank(2, n, NULL, o);
    char text[256];
    snprintf(text, sizeof text,
             "(FinalGridSpacingInPhysicalUnits 8)\n(NumberOfResolutions 2)\n"
             "(BSplineTransformSplineOrder %u)\n",
             order);
    reg_map_t m = map_of(text, 2, 2);
    reg_transform_setup_t s = { .map = &m, .fixed = img, .moving = img };
    pipit_transform_t *t = NULL;
    double *sc = NULL;
    ASSERT_OK(pipit__reg_transform_bspline.create(&s, &t, &sc));
    pipit__free(sc);
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(t);
    size_t g0 = g->size[0], g1 = g->size[1], np = g0 * g1;
    double *c = calloc(2 * np, sizeof *c);
    unsigned long long seed = 7;
    size_t margin = order == 3 ? 3 : 0;
    for (size_t y = margin; y + margin < g1; y++)
        for (size_t x = margin; x + margin < g0; x++)
            for (int e = 0; e < 2; e++)
                c[e * np + y * g0 + x] = 3.0 * lcg(&seed);
    ASSERT_OK(pipit_transform_set_parameters(t, c, 2 * np));
    pipit_transform_t *old = pipit_transform_ref(t);
    ASSERT_OK(pipit__reg_transform_bspline.next_level(&s, 1, &t, &sc));
    CU_ASSERT_FATAL(t != old);
    const pipit_bspline_grid_t *h = pipit_bspline_transform_grid(t);
    CU_ASSERT_DOUBLE_EQUAL(h->spacing[0], 8.0, 0);
    CU_ASSERT_EQUAL(h->size[0], 20 + order);
    CU_ASSERT_EQUAL(h->size[1], 16 + order);
    CU_ASSERT_EQUAL(pipit_transform_n_parameters(t),
                    2 * h->size[0] * h->size[1]);
    double worst = 0, big = 0;
    for (int i = 0; i < 2000; i++) {
        double x[2] = { o[0] + 159.0 * (0.5 + 0.5 * lcg(&seed)),
                        o[1] + 127.0 * (0.5 + 0.5 * lcg(&seed)) };
        double a[2], b[2];
        pipit_transform_point(old, x, a);
        pipit_transform_point(t, x, b);
        for (int d = 0; d < 2; d++) {
            worst = fmax(worst, fabs(a[d] - b[d]));
            big = fmax(big, fabs(a[d] - x[d]));
        }
    }
    printf("\n    order %u: largest displacement %.3f, largest change "
           "%.3g",
           order, big, worst);
    CU_ASSERT(big > 1.0);
    CU_ASSERT(worst <= 1e-6 * big);
    pipit__free(sc);
    pipit_transform_unref(t);
    pipit_transform_unref(old);

    /* An unchanged grid keeps the transform. */
    snprintf(text, sizeof text,
             "(FinalGridSpacingInPhysicalUnits 8)\n(NumberOfResolutions 2)\n"
             "(GridSpacingSchedule 1 1)\n(BSplineTransformSplineOrder %u)\n",
             order);
    m = map_of(text, 2, 2);
    ASSERT_OK(pipit__reg_transform_bspline.create(&s, &t, &sc));
    pipit__free(sc);
    sc = NULL;
    old = t;
    ASSERT_OK(pipit__reg_transform_bspline.next_level(&s, 1, &t, &sc));
    CU_ASSERT_PTR_EQUAL(t, old);
    CU_ASSERT_PTR_NULL(sc);
    pipit_transform_unref(t);
    free(c);
    pipit_image_unref(img);
}

static void
test_upsample_keeps_mapping(void)
{
    check_upsample(3);
    check_upsample(1);
}

/* ---- registrations ------------------------------------------------------ */

/* A smooth pattern of Gaussian blobs, defined everywhere. */
static double
pattern(const double *p, unsigned dim)
{
    static const double blobs[][5] = {
        /* centre (fractions of 64), sigma, weight */
        { 0.35, 0.40, 0.45, 6.0, 100.0 }, { 0.65, 0.55, 0.40, 4.5, 80.0 },
        { 0.50, 0.30, 0.65, 5.0, 60.0 },  { 0.40, 0.70, 0.60, 3.5, 90.0 },
        { 0.62, 0.72, 0.50, 5.5, 70.0 },  { 0.28, 0.62, 0.30, 4.0, 50.0 },
    };
    /* A texture, so every part of the image shows both directions. */
    double s = dim == 3 ? 2.0 : 1.0;
    double v = 40.0 + 12.0 * sin(0.31 * s * p[0] + 0.13 * s * p[1]) *
                          cos(0.27 * s * p[1] - 0.11 * s * p[0] +
                              (dim == 3 ? 0.29 * s * p[2] : 0.0));
    for (size_t b = 0; b < sizeof blobs / sizeof blobs[0]; b++) {
        double d2 = 0;
        for (unsigned a = 0; a < dim; a++) {
            double c = blobs[b][a] * 64.0 * (dim == 3 ? 0.5 : 1.0);
            d2 += (p[a] - c) * (p[a] - c);
        }
        double w = blobs[b][3] * (dim == 3 ? 0.6 : 1.0);
        v += blobs[b][4] * exp(-d2 / (2 * w * w));
    }
    return v;
}

/* image(x) = pattern(T(x)) (T NULL: the identity). */
static pipit_image_t *
render(unsigned dim, const size_t *n, const pipit_transform_t *t)
{
    pipit_image_t *img = blank(dim, n, NULL, NULL);
    float *px = pipit_image_data_writable(img);
    size_t nz = dim == 3 ? n[2] : 1;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < n[1]; y++)
            for (size_t x = 0; x < n[0]; x++) {
                double p[3] = { (double)x, (double)y, (double)z }, q[3];
                if (t != NULL)
                    pipit_transform_point(t, p, q);
                else
                    memcpy(q, p, sizeof q);
                px[(z * n[1] + y) * n[0] + x] = (float)pattern(q, dim);
            }
    return img;
}

/* A smooth known deformation on the final grid of map m. */
static pipit_transform_t *
truth_on_grid(const reg_map_t *m, pipit_image_t *img, unsigned level,
              double amplitude)
{
    reg_transform_setup_t s = { .map = m, .fixed = img, .moving = img };
    pipit_bspline_grid_t g;
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, level, &g));
    unsigned dim = pipit_image_dim(img);
    pipit_transform_t *t = pipit_bspline_transform_new(dim, 3, &g);
    size_t np = 1;
    for (unsigned d = 0; d < dim; d++)
        np *= g.size[d];
    double *c = calloc(dim * np, sizeof *c);
    size_t k[3] = { 0 };
    for (size_t i = 0; i < np; i++) {
        for (unsigned e = 0; e < dim; e++) {
            double v = amplitude;
            for (unsigned d = 0; d < dim; d++)
                v *= sin(1.3 * (double)k[d] + 0.7 * e + 0.4 * d);
            c[e * np + i] = v;
        }
        for (unsigned d = 0; d < dim && ++k[d] == g.size[d]; d++)
            k[d] = 0;
    }
    ASSERT_OK(pipit_transform_set_parameters(t, c, dim * np));
    free(c);
    return t;
}

/* RMS of T - truth and of truth - x over the image minus a border. */
static void
displacement_error(const pipit_transform_t *t, const pipit_transform_t *truth,
                   unsigned dim, const size_t *n, size_t border, double *err,
                   double *mag)
{
    double se = 0, sm = 0;
    size_t count = 0;
    size_t nz = dim == 3 ? n[2] : 1, bz = dim == 3 ? border : 0;
    for (size_t z = bz; z + bz < nz; z++)
        for (size_t y = border; y + border < n[1]; y++)
            for (size_t x = border; x + border < n[0]; x++) {
                double p[3] = { (double)x, (double)y, (double)z }, a[3], b[3];
                pipit_transform_point(t, p, a);
                pipit_transform_point(truth, p, b);
                for (unsigned d = 0; d < dim; d++) {
                    se += (a[d] - b[d]) * (a[d] - b[d]);
                    sm += (b[d] - p[d]) * (b[d] - p[d]);
                }
                count++;
            }
    *err = sqrt(se / (double)count);
    *mag = sqrt(sm / (double)count);
}

static pipit_node_t *
run_registration(pipit_image_t *f, pipit_image_t *m, const char *text,
                 pipit_params_list_t **keep)
{
    pipit_params_t *p = NULL;
    ASSERT_OK(pipit_params_parse(text, strlen(text), "bspline.txt", &p));
    pipit_params_list_t *l = pipit_params_list_new();
    ASSERT_OK(pipit_params_list_append(l, p));
    pipit_params_unref(p);
    pipit_node_t *r = pipit_registration_new();
    ASSERT_OK(pipit_node_set_input_image(r, PIPIT_REGISTRATION_FIXED, f));
    ASSERT_OK(pipit_node_set_input_image(r, PIPIT_REGISTRATION_MOVING, m));
    ASSERT_OK(pipit_node_set_input_data(r, PIPIT_REGISTRATION_PARAMS,
                                        PIPIT_DATA(l)));
    ASSERT_OK(pipit_node_update(r));
    *keep = l;
    return r;
}

static const char recover_2d_params[] =
    "(Transform \"BSplineTransform\")\n"
    "(Metric \"AdvancedMeanSquares\")\n"
    "(NumberOfResolutions 2)\n"
    "(FinalGridSpacingInPhysicalUnits 16)\n"
    "(BSplineInterpolationOrder 3)\n"
    "(ResultImagePixelType \"float\")\n";

static pipit_node_t *reg_2d; /* kept for the transformix test */
static pipit_params_list_t *reg_2d_maps;
static pipit_image_t *reg_2d_moving, *reg_2d_fixed;

/* fixed(x) = pattern(T(x)), moving = pattern: T recovered. */
static void
test_recover_2d(void)
{
    const size_t n[2] = { 64, 64 };
    pipit_image_t *shape = blank(2, n, NULL, NULL);
    reg_map_t m = map_of(recover_2d_params, 2, 2);
    pipit_transform_t *truth = truth_on_grid(&m, shape, 1, 4.0);
    pipit_image_t *f = render(2, n, truth), *mv = render(2, n, NULL);
    pipit_params_list_t *l = NULL;
    const char *alt = getenv("BS_PARAMS");
    char text[4096];
    snprintf(text, sizeof text, "%s%s", recover_2d_params,
             alt ? alt
                 : "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
                   "(ImageSampler \"Random\")\n"
                   "(NewSamplesEveryIteration \"true\")\n"
                   "(NumberOfSpatialSamples 2000)\n"
                   "(MaximumNumberOfIterations 300)\n");
    pipit_node_t *r = run_registration(f, mv, text, &l);
    pipit_transform_t *t =
        pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
    CU_ASSERT_STRING_EQUAL(pipit_transform_name(t), "BSplineTransform");
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(t);
    const pipit_bspline_grid_t *gt = pipit_bspline_transform_grid(truth);
    CU_ASSERT_EQUAL(g->size[0], gt->size[0]);
    CU_ASSERT_DOUBLE_EQUAL(g->origin[0], gt->origin[0], 0);
    double err, mag, err0, mag0;
    displacement_error(t, truth, 2, n, 8, &err, &mag);
    pipit_transform_t *id = pipit_translation_transform_new(2);
    displacement_error(id, truth, 2, n, 8, &err0, &mag0);
    printf("\n    2-D: truth RMS %.3f px, recovered with RMS error %.3f px",
           mag, err);
    CU_ASSERT(mag > 1.0);
    CU_ASSERT(err < 0.1 * mag);
    pipit_transform_unref(id);
    pipit_transform_unref(truth);
    pipit_image_unref(shape);
    reg_2d = r;
    reg_2d_maps = l;
    reg_2d_fixed = f;
    reg_2d_moving = mv;
}

static void
test_run_3d(void)
{
    static const char params[] =
        "(Transform \"RecursiveBSplineTransform\")\n"
        "(Metric \"AdvancedMattesMutualInformation\")\n"
        "(NumberOfResolutions 2)\n"
        "(GridSpacingSchedule 1.5 1)\n"
        "(FinalGridSpacingInVoxels 8 8 8)\n"
        "(PassiveEdgeWidth 1 0)\n"
        "(HowToCombineTransforms \"Compose\")\n";
    const char *alt = getenv("BS_PARAMS3");
    char text[4096];
    snprintf(text, sizeof text, "%s%s", params,
             alt ? alt
                 : "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
                   "(ImageSampler \"RandomCoordinate\")\n"
                   "(NewSamplesEveryIteration \"true\")\n"
                   "(NumberOfSpatialSamples 2000)\n"
                   "(MaximumNumberOfIterations 100)\n");
    const size_t n[3] = { 32, 30, 28 };
    pipit_image_t *shape = blank(3, n, NULL, NULL);
    reg_map_t m = map_of(params, 3, 2);
    pipit_transform_t *truth = truth_on_grid(&m, shape, 1, 3.0);
    pipit_image_t *f = render(3, n, truth), *mv = render(3, n, NULL);
    pipit_params_list_t *l = NULL;
    pipit_node_t *r = run_registration(f, mv, text, &l);
    pipit_transform_t *t =
        pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pipit_bspline_transform_grid(t));
    double err, mag;
    displacement_error(t, truth, 3, n, 6, &err, &mag);
    printf("\n    3-D: truth RMS %.3f voxel, error RMS %.3f voxel", mag, err);
    CU_ASSERT(mag > 0.5);
    CU_ASSERT(err < 0.35 * mag);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    pipit_transform_unref(truth);
    pipit_image_unref(shape);
    pipit_image_unref(f);
    pipit_image_unref(mv);
}

/* The same bits at 1 and 3 threads, through two level changes. */
/* The same parameters bit for bit at 1, 3 and 16 threads (16 pool
 * threads on any machine): a 2-D case, whose evaluations stay on the
 * calling thread (1500 samples of 32 parameters), and a 3-D one heavy
 * enough to share the pool (2000 samples of 192 parameters: above the
 * registration's 2^18 products), its draw and its estimation too. */
static void
threads_case(unsigned D, const size_t *n, const char *params,
             unsigned levels)
{
    pipit_image_t *shape = blank(D, n, NULL, NULL);
    reg_map_t m = map_of(params, D, levels);
    pipit_transform_t *truth = truth_on_grid(&m, shape, levels - 1, 3.0);
    pipit_image_t *f = render(D, n, truth), *mv = render(D, n, NULL);
    double *first = NULL;
    size_t P0 = 0;
    unsigned pool = pipit_pool_threads();
    ASSERT_OK(pipit_pool_set_threads(16));
    static const unsigned counts[] = { 1, 3, 16 };
    for (size_t c = 0; c < 3; c++) {
        pipit_params_t *p = NULL;
        ASSERT_OK(pipit_params_parse(params, strlen(params), "t.txt", &p));
        pipit_params_list_t *l = pipit_params_list_new();
        ASSERT_OK(pipit_params_list_append(l, p));
        pipit_params_unref(p);
        pipit_node_t *r = pipit_registration_new();
        ASSERT_OK(pipit_node_set_input_image(r, PIPIT_REGISTRATION_FIXED, f));
        ASSERT_OK(
            pipit_node_set_input_image(r, PIPIT_REGISTRATION_MOVING, mv));
        ASSERT_OK(pipit_node_set_input_data(r, PIPIT_REGISTRATION_PARAMS,
                                            PIPIT_DATA(l)));
        ASSERT_OK(pipit_registration_set_threads(r, counts[c]));
        ASSERT_OK(pipit_node_update(r));
        pipit_transform_t *t =
            pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
        size_t P = pipit_transform_n_parameters(t);
        const double *mu = pipit_transform_parameters(t);
        if (first == NULL) {
            P0 = P;
            first = malloc(P * sizeof *first);
            memcpy(first, mu, P * sizeof *first);
        } else {
            CU_ASSERT_EQUAL_FATAL(P, P0);
            CU_ASSERT(memcmp(first, mu, P * sizeof *mu) == 0);
        }
        pipit_node_unref(r);
        pipit_params_list_unref(l);
    }
    ASSERT_OK(pipit_pool_set_threads(pool));
    free(first);
    pipit_transform_unref(truth);
    pipit_image_unref(shape);
    pipit_image_unref(f);
    pipit_image_unref(mv);
}

static void
test_threads(void)
{
    static const char params2[] =
        "(Transform \"BSplineTransform\")\n"
        "(Metric \"AdvancedMattesMutualInformation\")\n"
        "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
        "(ImageSampler \"Random\")\n"
        "(NewSamplesEveryIteration \"true\")\n"
        "(NumberOfSpatialSamples 1500)\n"
        "(NumberOfResolutions 3)\n"
        "(FinalGridSpacingInVoxels 10)\n"
        "(MaximumNumberOfIterations 20)\n";
    static const char params3[] =
        "(Transform \"BSplineTransform\")\n"
        "(Metric \"AdvancedMeanSquares\")\n"
        "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
        "(ImageSampler \"RandomCoordinate\")\n"
        "(NewSamplesEveryIteration \"true\")\n"
        "(NumberOfSpatialSamples 2000)\n"
        "(NumberOfResolutions 1)\n"
        "(FinalGridSpacingInVoxels 8)\n"
        "(MaximumNumberOfIterations 10)\n";
    const size_t n2[2] = { 64, 64 }, n3[3] = { 24, 22, 20 };
    threads_case(2, n2, params2, 3);
    threads_case(3, n3, params3, 1);
}

static bool
have_transformix(void)
{
    static int have = -1;
    if (have < 0) {
        have = system("command -v transformix >/dev/null 2>&1") == 0;
        if (!have)
            fprintf(stderr, "\n  transformix is not installed: skipped\n");
    }
    return have == 1;
}

/* Our TP file through transformix gives our result image. */
static void
test_transformix_result(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(reg_2d);
    if (have_transformix()) {
        pipit_transform_t *t =
            pipit_node_get_output_transform(reg_2d,
                                            PIPIT_REGISTRATION_TRANSFORM);
        pipit_tp_settings_t s;
        ASSERT_OK(pipit_tp_settings_from_image(&s, reg_2d_fixed));
        snprintf(s.result_pixel_type, sizeof s.result_pixel_type, "float");
        const char *tp = test_tmp("bspline_tp.txt");
        ASSERT_OK(pipit_tp_write(t, &s, 1, &tp));
        const char *in = test_tmp("bspline_moving.mhd");
        ASSERT_OK(pipit_image_write(reg_2d_moving, in));
        const char *out = test_tmp("bspline_tx");
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "rm -rf '%s' && mkdir '%s' && transformix -in '%s' -tp '%s' "
                 "-out '%s' -threads 1 >/dev/null 2>&1",
                 out, out, in, tp, out);
        CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
        char path[1024];
        snprintf(path, sizeof path, "%s/result.mhd", out);
        pipit_image_t *tx = NULL;
        ASSERT_OK(pipit_image_read(path, &tx));
        pipit_image_t *res =
            pipit_node_get_output(reg_2d, PIPIT_REGISTRATION_RESULT);
        CU_ASSERT_EQUAL_FATAL(pipit_image_pixel_type(res), PIPIT_F32);
        CU_ASSERT(pipit_image_same_grid(tx, res, 1e-6));
        const size_t *n = pipit_image_size(res);
        double worst = 0, top = 0;
        for (size_t y = 0; y < n[1]; y++)
            for (size_t x = 0; x < n[0]; x++) {
                size_t i[2] = { x, y };
                double a = pipit_image_get_value(res, i, 0);
                double b = pipit_image_get_value(tx, i, 0);
                worst = fmax(worst, fabs(a - b));
                top = fmax(top, fabs(b));
            }
        printf("\n    transformix vs pipit result: max |difference| %.3g "
               "(values up to %.1f)",
               worst, top);
        CU_ASSERT(worst <= 1e-4 * top);
        pipit_image_unref(tx);
    }
    pipit_node_unref(reg_2d);
    pipit_params_list_unref(reg_2d_maps);
    pipit_image_unref(reg_2d_fixed);
    pipit_image_unref(reg_2d_moving);
    reg_2d = NULL;
    pipit_params_unref(keep_params);
    keep_params = NULL;
}

/* ---- the fast path (bspline_fast.c) against the transform's own ---------- */

static double
bound_dense(const double *s, unsigned dim)
{
    double tr = 0.0, f = 0.0;
    for (unsigned d = 0; d < dim; d++)
        tr += s[d * dim + d];
    for (unsigned i = 0; i < dim * dim; i++)
        f += s[i] * s[i];
    return tr + 2.0 * sqrt(2.0) * sqrt(f);
}

/* The fast path against lib's transform, and the banded Jacobian terms
 * against a dense C = (1/N) Σ_j J_jᵀ J_j built from lib's Jacobians over
 * npts points (scales all equal when uniform: one block of C kept);
 * the terms bit for bit the same at 1, 2 and 3 threads. */
static void
check_fast_n(pipit_transform_t *t, unsigned order, size_t npts, bool uniform)
{
    unsigned D = pipit_transform_dim(t);
    reg_bspline_fast_t f;
    CU_ASSERT_FATAL(pipit__reg_bspline_fast_init(&f, t));
    size_t P = pipit_transform_n_parameters(t);
    size_t js = pipit_transform_jacobian_size(t);
    CU_ASSERT_EQUAL(js, D * f.count);
    size_t *ji = calloc(js, sizeof *ji), *oi = calloc(js, sizeof *oi);
    double *jv = calloc(js * D, sizeof *jv), *ov = calloc(js, sizeof *ov);
    unsigned long long seed = 11 + order;
    double *pts = calloc(npts * D, sizeof *pts);
    double *sc = calloc(P, sizeof *sc);
    for (size_t k = 0; k < P; k++)
        sc[k] = uniform ? 1.7 : 1.0 + 0.5 * (lcg(&seed) + 1.0);
    /* dense C and the bounds, as asgd_estimate.c computes them */
    double *C = calloc(P * P, sizeof *C);
    double max_jj = 0, max_jcj = 0;
    for (size_t j = 0; j < npts; j++) {
        double *x = pts + j * D;
        for (unsigned d = 0; d < D; d++)
            x[d] = 30.0 * (0.5 + 0.5 * lcg(&seed)) - 2.0;
        size_t index[REG_BSPLINE_MAX_SUPPORT];
        double w[REG_BSPLINE_MAX_SUPPORT], y[3], yt[3], g[3] = { 0.3, -1.1,
                                                                  0.7 };
        size_t m = pipit__reg_bspline_fast_map(&f, x, y, index, w);
        pipit_transform_point(t, x, yt);
        assert_vec(y, yt, D, 1e-12);
        size_t nz = pipit_transform_jacobian(t, x, ji, jv);
        size_t n2 = pipit__reg_bspline_fast_dmu(&f, m, index, w, g, oi, ov);
        CU_ASSERT_EQUAL_FATAL(n2, nz);
        for (size_t k = 0; k < nz; k++) {
            CU_ASSERT_EQUAL(oi[k], ji[k]);
            double v = 0;
            for (unsigned d = 0; d < D; d++)
                v += g[d] * jv[d * nz + k];
            CU_ASSERT_DOUBLE_EQUAL(ov[k], v, 1e-15);
        }
        for (size_t k = 0; k < nz; k++)
            for (unsigned d = 0; d < D; d++)
                jv[d * nz + k] /= sc[ji[k]];
        double s[9];
        for (unsigned d = 0; d < D; d++)
            for (unsigned e = 0; e < D; e++) {
                double v = 0;
                for (size_t k = 0; k < nz; k++)
                    v += jv[d * nz + k] * jv[e * nz + k];
                s[d * D + e] = v;
            }
        max_jj = fmax(max_jj, bound_dense(s, D));
        for (size_t k = 0; k < nz; k++)
            for (size_t l = 0; l < nz; l++) {
                double v = 0;
                for (unsigned d = 0; d < D; d++)
                    v += jv[d * nz + k] * jv[d * nz + l];
                C[ji[k] * P + ji[l]] += v / (double)npts;
            }
    }
    double trc = 0, trcc = 0;
    for (size_t i = 0; i < P; i++)
        trc += C[i * P + i];
    for (size_t i = 0; i < P * P; i++)
        trcc += C[i] * C[i];
    for (size_t j = 0; j < npts; j++) {
        size_t nz = pipit_transform_jacobian(t, pts + j * D, ji, jv);
        for (size_t k = 0; k < nz; k++)
            for (unsigned d = 0; d < D; d++)
                jv[d * nz + k] /= sc[ji[k]];
        double s[9];
        for (unsigned d = 0; d < D; d++)
            for (unsigned e = 0; e < D; e++) {
                double v = 0;
                for (size_t k = 0; k < nz; k++)
                    for (size_t l = 0; l < nz; l++)
                        v += jv[d * nz + k] * C[ji[k] * P + ji[l]] *
                             jv[e * nz + l];
                s[d * D + e] = v;
            }
        max_jcj = fmax(max_jcj, bound_dense(s, D));
    }
    reg_bspline_jac_terms_t jt;
    ASSERT_OK(pipit__reg_bspline_jacobian_terms(&f, sc, pts, npts, &jt));
    CU_ASSERT(trc > 0);
    CU_ASSERT_DOUBLE_EQUAL(jt.trc, trc, 1e-12 * trc);
    CU_ASSERT_DOUBLE_EQUAL(jt.trcc, trcc, 1e-12 * trcc);
    CU_ASSERT_DOUBLE_EQUAL(jt.max_jj, max_jj, 1e-12 * max_jj);
    CU_ASSERT_DOUBLE_EQUAL(jt.max_jcj, max_jcj, 1e-12 * max_jcj);
    unsigned threads = pipit_pool_threads();
    for (unsigned n = 1; n <= 3; n++) {
        reg_bspline_jac_terms_t jn;
        ASSERT_OK(pipit_pool_set_threads(n));
        ASSERT_OK(pipit__reg_bspline_jacobian_terms(&f, sc, pts, npts, &jn));
        CU_ASSERT(memcmp(&jn, &jt, sizeof jt) == 0);
    }
    ASSERT_OK(pipit_pool_set_threads(threads));
    free(C);
    free(sc);
    free(pts);
    free(ji);
    free(jv);
    free(oi);
    free(ov);
}

static void
check_fast(pipit_transform_t *t, unsigned order)
{
    check_fast_n(t, order, 300, false);
}

static void
test_fast_path(void)
{
    for (unsigned order = 1; order <= 3; order++)
        for (unsigned D = 2; D <= 3; D++) {
            pipit_bspline_grid_t g;
            pipit_bspline_grid_init(&g, D);
            for (unsigned d = 0; d < D; d++) {
                g.size[d] = 5 + d + order;
                g.spacing[d] = 6.0 + d;
                g.origin[d] = -4.0 + d;
                g.index[d] = d == 1 ? 2 : 0;
            }
            g.direction[0] = cos(0.2), g.direction[1] = -sin(0.2);
            g.direction[D] = sin(0.2), g.direction[D + 1] = cos(0.2);
            pipit_transform_t *t = pipit_bspline_transform_new(D, order, &g);
            CU_ASSERT_PTR_NOT_NULL_FATAL(t);
            size_t P = pipit_transform_n_parameters(t);
            double *c = calloc(P, sizeof *c);
            unsigned long long seed = 3;
            for (size_t k = 0; k < P; k++)
                c[k] = 2.0 * lcg(&seed);
            ASSERT_OK(pipit_transform_set_parameters(t, c, P));
            free(c);
            check_fast(t, order);
            /* in chains over an initial translation */
            pipit_transform_t *tr = pipit_translation_transform_new(D);
            const double sh[3] = { 1.5, -2.25, 0.5 };
            ASSERT_OK(pipit_transform_set_parameters(tr, sh, D));
            for (int how = 0; how < 2; how++) {
                pipit_transform_t *ch = pipit_transform_chain_new(
                    tr, t, how ? PIPIT_COMBINE_ADD : PIPIT_COMBINE_COMPOSE);
                check_fast(ch, order);
                pipit_transform_unref(ch);
            }
            pipit_transform_unref(tr);
            pipit_transform_unref(t);
        }
    /* not a B-spline */
    reg_bspline_fast_t f;
    pipit_transform_t *a = pipit_affine_transform_new(2, NULL);
    CU_ASSERT(!pipit__reg_bspline_fast_init(&f, a));
    pipit_transform_unref(a);
}

/* UseCyclicTransform "true": the grids elastix 5.0.1 laid
 * (tests/data/transform/cyclic2d: its TransformParameters.0.txt for the
 * last of two levels in 2-D, grid3d.txt for one level in 3-D), and the
 * first level's from the formula: floor(period / h) control points over
 * the last axis, spaced to tile the period. */
static void
test_grid_cyclic(void)
{
    const size_t n[2] = { 40, 30 };
    const double sp[2] = { 1.5, 2.0 }, o[2] = { 3.0, -4.0 };
    pipit_image_t *img = blank(2, n, sp, o);
    reg_map_t m = map_of("(UseCyclicTransform \"true\")\n"
                         "(FinalGridSpacingInPhysicalUnits 10 7)\n",
                         2, 2);
    reg_transform_setup_t s = { .map = &m, .fixed = img, .moving = img };
    pipit_bspline_grid_t g;
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 1, &g));
    const double sp1[2] = { 10, 7.5 }, or1[2] = { -7.75, -1.25 };
    CU_ASSERT_EQUAL(g.size[0], 9);
    CU_ASSERT_EQUAL(g.size[1], 8);
    assert_vec(g.spacing, sp1, 2, 1e-12);
    assert_vec(g.origin, or1, 2, 1e-12);
    /* Level 0: h = (20, 14); y: floor(60 / 14) = 4 points 15 apart,
     * the first at -4 + (15 - 2) / 2; x as ever: ceil(60 / 20) + 3. */
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 0, &g));
    const double sp0[2] = { 20, 15 },
                 or0[2] = { 3.0 - (5 * 20 - 39 * 1.5) / 2, 2.5 };
    CU_ASSERT_EQUAL(g.size[0], 6);
    CU_ASSERT_EQUAL(g.size[1], 4);
    assert_vec(g.spacing, sp0, 2, 1e-12);
    assert_vec(g.origin, or0, 2, 1e-12);
    /* create gives a cyclic transform, which the plain accessor does
     * not take for a plain one; the registration's fast path takes it
     * as cyclic (test_fast_cyclic checks its numbers). */
    pipit_transform_t *t = NULL;
    double *sc = NULL;
    ASSERT_OK(pipit__reg_transform_bspline.create(&s, &t, &sc));
    CU_ASSERT_PTR_NULL(pipit_bspline_transform_grid(t));
    CU_ASSERT_PTR_NOT_NULL(pipit_bspline_transform_cyclic_grid(t));
    CU_ASSERT_EQUAL(pipit_transform_n_parameters(t), 2 * 6 * 4);
    reg_bspline_fast_t bf;
    CU_ASSERT_FATAL(pipit__reg_bspline_fast_init(&bf, t));
    CU_ASSERT(bf.cyclic);
    CU_ASSERT_EQUAL(bf.moved, 1);
    CU_ASSERT_EQUAL(bf.wrap, 4);
    pipit_transform_unref(t);
    pipit__free(sc);
    pipit_image_unref(img);

    const size_t n3[3] = { 20, 16, 30 };
    const double sp3[3] = { 1.5, 1.0, 1.1 }, o3[3] = { 10.0, -5.0, 3.0 };
    const double c = cos(0.2), si = sin(0.2);
    const double dir[9] = { c, -si, 0, si, c, 0, 0, 0, 1 };
    img = blank(3, n3, sp3, o3);
    ASSERT_OK(pipit_image_set_direction(img, dir));
    m = map_of("(UseCyclicTransform \"true\")\n"
               "(FinalGridSpacingInPhysicalUnits 8 6 7.7)\n"
               "(GridSpacingSchedule 1.0)\n",
               3, 1);
    s.fixed = s.moving = img;
    ASSERT_OK(pipit__reg_bspline_level_grid(&s, 0, &g));
    const double sp3g[3] = { 8, 6, 8.25 },
                 or3g[3] = { 1.9343708470, -14.2875253091, 6.575 };
    CU_ASSERT_EQUAL(g.size[0], 7);
    CU_ASSERT_EQUAL(g.size[1], 6);
    CU_ASSERT_EQUAL(g.size[2], 4);
    assert_vec(g.spacing, sp3g, 3, 1e-9);
    assert_vec(g.origin, or3g, 3, 1e-9); /* elastix printed 10 decimals */
    pipit_image_unref(img);
}

static double
beta3(double t)
{
    t = fabs(t);
    return t < 1 ? 2.0 / 3 - t * t + t * t * t / 2
                 : t < 2 ? (2 - t) * (2 - t) * (2 - t) / 6 : 0.0;
}

/* A cyclic cubic B-spline in 2-D on a rotated grid, against the formula
 * with the last axis's control points repeated every g1 (the sum over
 * the images m·g1): T_x = x + Σ c_k β(u0 - k0) Σ_m β(u1 - k1 - m g1),
 * T_y = y; the field repeats after the period along the grid's last
 * axis; dT/dμ are those weights at ascending indices; the spatial
 * Jacobian is T's central difference. */
static void
test_cyclic_periodic(void)
{
    const size_t g0 = 7, g1 = 5;
    const double h[2] = { 2.0, 3.0 }, org[2] = { 1.0, -2.0 };
    const double a = 0.5, c = cos(a), s = sin(a);
    pipit_bspline_grid_t grid;
    pipit_bspline_grid_init(&grid, 2);
    grid.size[0] = g0, grid.size[1] = g1;
    grid.spacing[0] = h[0], grid.spacing[1] = h[1];
    grid.origin[0] = org[0], grid.origin[1] = org[1];
    const double R[4] = { c, -s, s, c };
    memcpy(grid.direction, R, sizeof R);
    pipit_transform_t *t = pipit_bspline_transform_new_cyclic(2, 3, &grid);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    size_t np = g0 * g1;
    double mu[2 * 35];
    uint32_t r = 12345;
    for (size_t k = 0; k < 2 * np; k++) {
        r = r * 1103515245u + 12345u;
        mu[k] = ((double)(r >> 8) / (1 << 24) - 0.5) * 4.0;
    }
    ASSERT_OK(pipit_transform_set_parameters(t, mu, 2 * np));
    size_t idx[64];
    double val[128];
    CU_ASSERT_EQUAL(pipit_transform_jacobian_size(t), 32);
    double worst = 0, worst_period = 0, worst_sj = 0;
    for (int i = 0; i < 200; i++) {
        /* u0 in [1, g0 - 2), u1 anywhere in [-2 g1, 3 g1) */
        double u0 = 1.0 + (double)(g0 - 3) * (i % 20 + 0.37) / 20.0;
        double u1 = -2.0 * (double)g1 +
                    5.0 * (double)g1 * (i / 20 + 0.5 * (i % 3)) / 10.0;
        double q[2] = { u0 * h[0], u1 * h[1] }, x[2], y[2], yp[2], xp[2];
        x[0] = org[0] + c * q[0] - s * q[1];
        x[1] = org[1] + s * q[0] + c * q[1];
        pipit_transform_point(t, x, y);
        CU_ASSERT_EQUAL(y[1], x[1]);
        double want = x[0];
        double wk[35] = { 0 };
        for (size_t k1 = 0; k1 < g1; k1++)
            for (size_t k0 = 0; k0 < g0; k0++) {
                double b1 = 0;
                for (int mm = -4; mm <= 4; mm++)
                    b1 += beta3(u1 - (double)k1 - mm * (double)g1);
                wk[k1 * g0 + k0] = beta3(u0 - (double)k0) * b1;
                want += mu[k1 * g0 + k0] * wk[k1 * g0 + k0];
            }
        worst = fmax(worst, fabs(y[0] - want));
        /* one period further along the grid's last axis */
        double P = (double)g1 * h[1];
        xp[0] = x[0] - s * P, xp[1] = x[1] + c * P;
        pipit_transform_point(t, xp, yp);
        worst_period = fmax(worst_period,
                            fabs((yp[0] - xp[0]) - (y[0] - x[0])));
        size_t m = pipit_transform_jacobian(t, x, idx, val);
        CU_ASSERT_EQUAL_FATAL(m, 16);
        for (size_t k = 0; k < m; k++) {
            if (k > 0)
                CU_ASSERT(idx[k] > idx[k - 1]);
            CU_ASSERT(idx[k] < np);
            CU_ASSERT(fabs(val[k] - wk[idx[k]]) < 1e-12);
            CU_ASSERT_EQUAL(val[m + k], 0.0); /* T_y depends on nothing */
        }
        double J[4], e = 1e-5;
        pipit_transform_spatial_jacobian(t, x, J);
        for (int col = 0; col < 2; col++) {
            double xa[2] = { x[0], x[1] }, xb[2] = { x[0], x[1] }, ya[2],
                   yb[2];
            xa[col] += e, xb[col] -= e;
            pipit_transform_point(t, xa, ya);
            pipit_transform_point(t, xb, yb);
            for (int row = 0; row < 2; row++)
                worst_sj = fmax(worst_sj, fabs(J[row * 2 + col] -
                                               (ya[row] - yb[row]) / (2 * e)));
        }
    }
    printf("\n    cyclic: |T - formula| %.2g, |u(x + P) - u(x)| %.2g, "
           "|dT/dx - differences| %.2g",
           worst, worst_period, worst_sj);
    CU_ASSERT(worst < 1e-12);
    CU_ASSERT(worst_period < 1e-12);
    CU_ASSERT(worst_sj < 1e-7);
    /* Outside the valid range on the other axis: unmoved. */
    double x[2] = { org[0] + c * 0.5 * h[0], org[1] + s * 0.5 * h[0] }, y[2];
    pipit_transform_point(t, x, y);
    CU_ASSERT_EQUAL(y[0], x[0]);
    CU_ASSERT_EQUAL(pipit_transform_jacobian(t, x, idx, val), 0);
    pipit_transform_unref(t);
    /* Fewer control points on the last axis than the support: refused. */
    grid.size[1] = 3;
    CU_ASSERT_PTR_NULL(pipit_bspline_transform_new_cyclic(2, 3, &grid));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "GridSize[1]"));
}

/* Enough points that the Jacobian terms run over the pool (see
 * JAC_PARALLEL_MIN_PRODUCTS in bspline_fast.c), on grids of several
 * slabs: the terms against the dense C and the same at 1, 2, 3 threads,
 * with one block of C kept or D, orders 2 (supports of 27, not a
 * multiple of 4) and 3. */
static void
test_jacobian_terms_threads(void)
{
    static const struct {
        unsigned D, order;
        size_t npts;
    } cases[] = { { 3, 3, 600 }, { 3, 2, 3000 }, { 2, 3, 9000 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned D = cases[i].D, order = cases[i].order;
        pipit_bspline_grid_t g;
        pipit_bspline_grid_init(&g, D);
        for (unsigned d = 0; d < D; d++) {
            g.size[d] = 4 + d + order;
            g.spacing[d] = 5.0 + d;
            g.origin[d] = -3.0 + d;
        }
        pipit_transform_t *t = pipit_bspline_transform_new(D, order, &g);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        for (int uniform = 0; uniform < 2; uniform++)
            check_fast_n(t, order, cases[i].npts, uniform);
        pipit_transform_unref(t);
    }
}

/* A cyclic B-spline's fast path against lib's generic one (its point
 * and sparse Jacobian), at npts points spread over several periods of
 * the last axis (so that supports wrap, from either end) and a little
 * past the valid region on the others: T(x) through the list form and
 * the compact one (map_dim), dM/dμ through dmu and add_dim (compared as
 * dense vectors: a wrapped support is not in ascending order), and the
 * banded Jacobian terms against a dense C = (1/N) Σ J_jᵀ J_j built here
 * from pipit_transform_jacobian, bit-identical at 1, 2, 3 threads. t is
 * the cyclic B-spline or a chain whose current part is b. */
static void
check_fast_cyclic(pipit_transform_t *t, pipit_transform_t *b, size_t npts,
                  bool uniform)
{
    unsigned D = pipit_transform_dim(b);
    const pipit_bspline_grid_t *g = pipit_bspline_transform_cyclic_grid(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    reg_bspline_fast_t f;
    CU_ASSERT_FATAL(pipit__reg_bspline_fast_init(&f, t));
    CU_ASSERT(f.cyclic);
    CU_ASSERT_EQUAL(f.moved, D - 1);
    CU_ASSERT_EQUAL(f.wrap, g->size[D - 1]);
    size_t P = pipit_transform_n_parameters(t);
    CU_ASSERT_EQUAL_FATAL(P, D * f.n_points);
    size_t js = pipit_transform_jacobian_size(t);
    CU_ASSERT_EQUAL(js, D * f.count);
    size_t *ji = calloc(js, sizeof *ji), *oi = calloc(js, sizeof *oi);
    double *jv = calloc(js * D, sizeof *jv), *ov = calloc(js, sizeof *ov);
    double *want = calloc(P, sizeof *want), *got = calloc(P, sizeof *got);
    double *got2 = calloc(P, sizeof *got2);
    double *pts = calloc(npts * D, sizeof *pts);
    double *sc = calloc(P, sizeof *sc);
    double *C = calloc(P * P, sizeof *C);
    unsigned long long seed = 77 + npts;
    for (size_t k = 0; k < P; k++)
        sc[k] = uniform ? 1.3 : 1.0 + 0.5 * (lcg(&seed) + 1.0);
    double err_y = 0, err_y2 = 0, err_d = 0, err_d2 = 0, ymax = 0;
    size_t inside = 0, wrapped = 0;
    double max_jj = 0, max_jcj = 0;
    for (size_t j = 0; j < npts; j++) {
        /* u: the grid's continuous index; the last axis over 5 periods */
        double u[PIPIT_MAX_DIM], x0[PIPIT_MAX_DIM], *x = pts + j * D;
        double half = (f.order - 1) / 2.0;
        for (unsigned d = 0; d < D; d++) {
            double n = (double)g->size[d], lo = half - 0.2,
                   hi = n - 1.0 - half + 0.2;
            u[d] = d + 1 < D ? lo + (hi - lo) * 0.5 * (lcg(&seed) + 1.0)
                             : n * (-2.0 + 2.5 * (lcg(&seed) + 1.0));
            x0[d] = (u[d] + (double)g->index[d]) * g->spacing[d];
        }
        for (unsigned r = 0; r < D; r++) {
            x[r] = g->origin[r];
            for (unsigned c = 0; c < D; c++)
                x[r] += g->direction[r * D + c] * x0[c];
        }
        /* The B-spline sees the initial part's image: place the point so
         * that it sees u (a translation by +1.25 on every axis here). */
        if (t != b)
            for (unsigned d = 0; d < D; d++)
                x[d] -= 1.25;
        size_t index[REG_BSPLINE_MAX_SUPPORT];
        double w[REG_BSPLINE_MAX_SUPPORT], y[4], yt[4], y2[4];
        double gr[4] = { 0.3, -1.1, 0.7, 0.45 };
        size_t m = pipit__reg_bspline_fast_map(&f, x, y, index, w);
        pipit_transform_point(t, x, yt);
        reg_bspline_support_t sp;
        pipit__reg_bspline_map_dim(&f, x, y2, &sp, D);
        CU_ASSERT_EQUAL(y[D - 1], yt[D - 1]); /* the last stays put */
        for (unsigned d = 0; d < D; d++) {
            err_y = fmax(err_y, fabs(y[d] - yt[d]));
            err_y2 = fmax(err_y2, fabs(y2[d] - yt[d]));
            ymax = fmax(ymax, fabs(yt[d]));
        }
        size_t nz = pipit_transform_jacobian(t, x, ji, jv);
        CU_ASSERT_EQUAL(m == 0, nz == 0);
        CU_ASSERT_EQUAL(sp.first == (size_t)-1, m == 0);
        if (m > 0) {
            inside++;
            for (size_t k = 1; k < m; k++)
                wrapped += index[k] < index[k - 1];
        }
        /* dM/dμ for the gradient gr: generic, list form, compact form */
        memset(want, 0, P * sizeof *want);
        memset(got, 0, P * sizeof *got);
        memset(got2, 0, P * sizeof *got2);
        for (size_t k = 0; k < nz; k++)
            for (unsigned d = 0; d < D; d++)
                want[ji[k]] += gr[d] * jv[d * nz + k];
        size_t n2 = pipit__reg_bspline_fast_dmu(&f, m, index, w, gr, oi, ov);
        CU_ASSERT_EQUAL(n2, nz);
        for (size_t k = 0; k < n2; k++)
            got[oi[k]] += ov[k];
        pipit__reg_bspline_add_dim(&f, &sp, gr, got2, D);
        for (size_t k = 0; k < P; k++) {
            err_d = fmax(err_d, fabs(got[k] - want[k]));
            err_d2 = fmax(err_d2, fabs(got2[k] - want[k]));
        }
        /* the dense C and max bound(J Jᵀ) (a zero last row included) */
        for (size_t k = 0; k < nz; k++)
            for (unsigned d = 0; d < D; d++)
                jv[d * nz + k] /= sc[ji[k]];
        double S[16];
        for (unsigned d = 0; d < D; d++)
            for (unsigned e = 0; e < D; e++) {
                double v = 0;
                for (size_t k = 0; k < nz; k++)
                    v += jv[d * nz + k] * jv[e * nz + k];
                S[d * D + e] = v;
            }
        max_jj = fmax(max_jj, bound_dense(S, D));
        for (size_t k = 0; k < nz; k++)
            for (size_t l = 0; l < nz; l++) {
                double v = 0;
                for (unsigned d = 0; d < D; d++)
                    v += jv[d * nz + k] * jv[d * nz + l];
                C[ji[k] * P + ji[l]] += v / (double)npts;
            }
    }
    printf("\n    cyclic %u-D g %zu, %zu of %zu inside, %zu wrapped: "
           "|T| %.2g / %.2g, |dM/dmu| %.2g / %.2g",
           D, g->size[D - 1], inside, npts, wrapped, err_y, err_y2, err_d,
           err_d2);
    CU_ASSERT(inside > npts / 3 && inside < npts);
    CU_ASSERT(wrapped > 0);
    CU_ASSERT(err_y <= 1e-12 * fmax(1.0, ymax));
    CU_ASSERT(err_y2 <= 1e-12 * fmax(1.0, ymax));
    CU_ASSERT(err_d <= 1e-12);
    CU_ASSERT(err_d2 <= 1e-12);
    double trc = 0, trcc = 0;
    for (size_t i = 0; i < P; i++)
        trc += C[i * P + i];
    for (size_t i = 0; i < P * P; i++)
        trcc += C[i] * C[i];
    for (size_t j = 0; j < npts; j++) {
        size_t nz = pipit_transform_jacobian(t, pts + j * D, ji, jv);
        for (size_t k = 0; k < nz; k++)
            for (unsigned d = 0; d < D; d++)
                jv[d * nz + k] /= sc[ji[k]];
        double S[16];
        for (unsigned d = 0; d < D; d++)
            for (unsigned e = 0; e < D; e++) {
                double v = 0;
                for (size_t k = 0; k < nz; k++) {
                    if (jv[d * nz + k] == 0.0)
                        continue;
                    for (size_t l = 0; l < nz; l++)
                        v += jv[d * nz + k] * C[ji[k] * P + ji[l]] *
                             jv[e * nz + l];
                }
                S[d * D + e] = v;
            }
        max_jcj = fmax(max_jcj, bound_dense(S, D));
    }
    reg_bspline_jac_terms_t jt;
    ASSERT_OK(pipit__reg_bspline_jacobian_terms(&f, sc, pts, npts, &jt));
    printf(", terms rel. %.2g %.2g %.2g %.2g", fabs(jt.trc - trc) / trc,
           fabs(jt.trcc - trcc) / trcc, fabs(jt.max_jj - max_jj) / max_jj,
           fabs(jt.max_jcj - max_jcj) / max_jcj);
    CU_ASSERT(trc > 0);
    CU_ASSERT_DOUBLE_EQUAL(jt.trc, trc, 1e-12 * trc);
    CU_ASSERT_DOUBLE_EQUAL(jt.trcc, trcc, 1e-12 * trcc);
    CU_ASSERT_DOUBLE_EQUAL(jt.max_jj, max_jj, 1e-12 * max_jj);
    CU_ASSERT_DOUBLE_EQUAL(jt.max_jcj, max_jcj, 1e-12 * max_jcj);
    unsigned threads = pipit_pool_threads();
    for (unsigned n = 1; n <= 3; n++) {
        reg_bspline_jac_terms_t jn;
        ASSERT_OK(pipit_pool_set_threads(n));
        ASSERT_OK(pipit__reg_bspline_jacobian_terms(&f, sc, pts, npts, &jn));
        CU_ASSERT(memcmp(&jn, &jt, sizeof jt) == 0);
    }
    ASSERT_OK(pipit_pool_set_threads(threads));
    free(C);
    free(sc);
    free(pts);
    free(want);
    free(got);
    free(got2);
    free(ji);
    free(jv);
    free(oi);
    free(ov);
}

/* Cyclic grids in 2-D (rotated) and 3-D, orders 3 and 2, with g on the
 * last axis below 2p+1 (offsets d and d - g are one pair of control
 * points: C's band along that axis is g wide) and above it, random
 * coefficients, one through a chain (an initial translation composed);
 * enough points that the terms run over the pool. */
static void
test_fast_cyclic(void)
{
    static const struct {
        unsigned D, order;
        size_t size[3];
        size_t npts;
        bool chain;
    } cases[] = {
        { 2, 3, { 7, 5 }, 9000, false },    /* g 5 < 2p+1 */
        { 2, 3, { 6, 9 }, 9000, true },     /* g 9 > 2p+1 */
        { 2, 2, { 6, 3 }, 12000, false },   /* g = p + 1 */
        { 3, 3, { 6, 5, 4 }, 700, false },  /* g = p + 1 */
        { 3, 2, { 5, 6, 7 }, 3000, false }, /* g 7 > 2p+1 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned D = cases[i].D, order = cases[i].order;
        pipit_bspline_grid_t g;
        pipit_bspline_grid_init(&g, D);
        for (unsigned d = 0; d < D; d++) {
            g.size[d] = cases[i].size[d];
            g.spacing[d] = 2.0 + 0.5 * d;
            g.origin[d] = -3.0 + d;
            g.index[d] = d == 0 ? 1 : 0;
        }
        /* a rotation in the plane of the first axis and the last */
        const double a = 0.3, c = cos(a), si = sin(a);
        g.direction[0] = c, g.direction[D - 1] = -si;
        g.direction[(D - 1) * D] = si, g.direction[D * D - 1] = c;
        pipit_transform_t *b = pipit_bspline_transform_new_cyclic(D, order,
                                                                  &g);
        CU_ASSERT_PTR_NOT_NULL_FATAL(b);
        size_t P = pipit_transform_n_parameters(b);
        double *mu = calloc(P, sizeof *mu);
        unsigned long long seed = 5 + i;
        for (size_t k = 0; k < P; k++)
            mu[k] = 2.0 * lcg(&seed);
        ASSERT_OK(pipit_transform_set_parameters(b, mu, P));
        pipit_transform_t *t = b;
        if (cases[i].chain) {
            pipit_transform_t *tr = pipit_translation_transform_new(D);
            CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
            double shift[4] = { 1.25, 1.25, 1.25, 1.25 };
            ASSERT_OK(pipit_transform_set_parameters(tr, shift, D));
            t = pipit_transform_chain_new(tr, b, PIPIT_COMBINE_COMPOSE);
            CU_ASSERT_PTR_NOT_NULL_FATAL(t);
            pipit_transform_unref(tr);
        }
        for (int uniform = 0; uniform < 2; uniform++)
            check_fast_cyclic(t, b, cases[i].npts, uniform);
        if (t != b)
            pipit_transform_unref(t);
        pipit_transform_unref(b);
        free(mu);
    }
}

/* tests/data/transform/cyclic2d's profile (make_images.py): rows are
 * the frames of one period; the moving one's shifted by 3 cos(phase). */
static double
cyclic_blob(double x, double c)
{
    double a = (x - c) / 6.0, b = (x - c - 18.0) / 4.0;
    return 100.0 * exp(-a * a) + 60.0 * exp(-b * b);
}

static pipit_image_t *
cyclic_image(bool moving)
{
    const size_t n[2] = { 40, 30 };
    const double sp[2] = { 1.5, 2.0 }, o[2] = { 3.0, -4.0 };
    pipit_image_t *img = blank(2, n, sp, o);
    float *px = pipit_image_data_writable(img);
    for (size_t j = 0; j < n[1]; j++) {
        double ph = 2.0 * M_PI * (double)j / (double)n[1];
        double c = 25.0 + 5.0 * sin(ph) + (moving ? 3.0 * cos(ph) : 0.0);
        for (size_t i = 0; i < n[0]; i++)
            px[j * n[0] + i] = (float)cyclic_blob(o[0] + sp[0] * i, c);
    }
    return img;
}

/* The cyclic 2-D+t registration of tests/data/transform/cyclic2d (its
 * parameters.txt: two levels, ASGD with the automatic estimate, random
 * samples), now through the fast path and the banded terms, against
 * what pipit gave through the generic path and the dense estimate before
 * (pipit_generic_path.txt: the same run, written by pipit register at
 * a20f130) to rounding, and against the truth: the moving profile is
 * shifted by 3 cos(phase), so T's x displacement should be that where
 * the profile has signal (elastix 5.0.1: RMS error 0.021, pipit 0.019). */
static void
test_cyclic_registration(void)
{
    static const char text[] =
        "(Interpolator \"BSplineInterpolator\")\n"
        "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
        "(Transform \"BSplineTransform\")\n"
        "(Metric \"AdvancedMeanSquares\")\n"
        "(UseCyclicTransform \"true\")\n"
        "(FinalGridSpacingInPhysicalUnits 10 7)\n"
        "(NumberOfResolutions 2)\n"
        "(MaximumNumberOfIterations 300)\n"
        "(NumberOfSpatialSamples 1000)\n"
        "(ImageSampler \"Random\")\n"
        "(NewSamplesEveryIteration \"true\")\n"
        "(BSplineInterpolationOrder 1)\n"
        "(HowToCombineTransforms \"Compose\")\n"
        "(AutomaticTransformInitialization \"false\")\n";
    pipit_image_t *f = cyclic_image(false), *m = cyclic_image(true);
    pipit_params_list_t *keep = NULL;
    pipit_node_t *r = run_registration(f, m, text, &keep);
    pipit_transform_t *t =
        pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    if (pipit_transform_is_chain(t))
        t = pipit_transform_chain_current(t);
    CU_ASSERT_PTR_NOT_NULL(pipit_bspline_transform_cyclic_grid(t));
    pipit_transform_t *old = NULL;
    pipit_params_t *op = NULL;
    ASSERT_OK(pipit_tp_read(
        test_data("transform/cyclic2d/pipit_generic_path.txt"), &old, &op));
    size_t n = pipit_transform_n_parameters(t);
    CU_ASSERT_EQUAL_FATAL(n, pipit_transform_n_parameters(old));
    const double *a = pipit_transform_parameters(t);
    const double *b = pipit_transform_parameters(old);
    double diff = 0, big = 0;
    for (size_t k = 0; k < n; k++) {
        diff = fmax(diff, fabs(a[k] - b[k]));
        big = fmax(big, fabs(b[k]));
    }
    /* the truth where the profile has signal (make_images.py's acc) */
    double se = 0;
    size_t cnt = 0;
    for (size_t j = 0; j < 30; j++) {
        double ph = 2.0 * M_PI * (double)j / 30.0;
        double c = 25.0 + 5.0 * sin(ph), d = 3.0 * cos(ph);
        for (size_t i = 0; i < 40; i++) {
            double x[2] = { 3.0 + 1.5 * i, -4.0 + 2.0 * j }, y[2];
            if (x[0] < c - 8.0 || x[0] > c + 24.0)
                continue;
            pipit_transform_point(t, x, y);
            CU_ASSERT_EQUAL(y[1], x[1]);
            se += (y[0] - x[0] - d) * (y[0] - x[0] - d);
            cnt++;
        }
    }
    double rms = sqrt(se / (double)cnt);
    printf("\n    cyclic 2-D+t: max |mu - generic path's| %.2g (|mu| up to "
           "%.3g), RMS error %.4f over %zu px",
           diff, big, rms, cnt);
    CU_ASSERT(diff <= 1e-9 * big);
    CU_ASSERT(rms < 0.021);
    pipit_transform_unref(old);
    pipit_params_unref(op);
    pipit_node_unref(r);
    pipit_params_list_unref(keep);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

const test_case_t test_reg_bspline_cases[] = {
    { "fast_path", test_fast_path },
    { "jacobian_terms_threads", test_jacobian_terms_threads },
    { "grid_example", test_grid_example },
    { "grid_direction", test_grid_direction },
    { "grid_initial", test_grid_initial },
    { "errors", test_errors },
    { "passive_edge", test_passive_edge },
    { "upsample_keeps_mapping", test_upsample_keeps_mapping },
    { "recover_2d", test_recover_2d },
    { "run_3d", test_run_3d },
    { "threads", test_threads },
    { "transformix_result", test_transformix_result },
    { "grid_cyclic", test_grid_cyclic },
    { "cyclic_periodic", test_cyclic_periodic },
    { "fast_cyclic", test_fast_cyclic },
    { "cyclic_registration", test_cyclic_registration },
    { NULL, NULL },
};

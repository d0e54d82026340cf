/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transform tool nodes against independent answers: transform-field
 * of a translation is t, of an affine map its matrix and determinant;
 * transform-invert of an affine map is the closed-form inverse (and its
 * transform output composes with it to the identity); the inverse field
 * of a smooth B-spline, mapped back through the B-spline itself,
 * returns every grid point within the residual the node reports, in 2-D
 * and 3-D, and its bytes do not depend on the thread count;
 * transform-compose applies its first input first.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pipit.h>

#include "testutil.h"

static pipit_image_t *
grid(unsigned dim, size_t n)
{
    size_t size[3] = { n, n + 3, n - 2 };
    pipit_image_t *g = pipit_image_new(dim, size, PIPIT_U8, 1);
    double sp[3] = { 1.5, 0.8, 1.2 }, org[3] = { -4.0, 3.0, 2.0 };
    double c = cos(0.25), s = sin(0.25);
    double d2[4] = { c, -s, s, c };
    double d3[9] = { c, -s, 0, s, c, 0, 0, 0, 1 };
    pipit_image_set_spacing(g, sp);
    pipit_image_set_origin(g, org);
    pipit_image_set_direction(g, dim == 2 ? d2 : d3);
    return g;
}

static size_t
voxels(const pipit_image_t *img)
{
    size_t n = 1;
    for (unsigned d = 0; d < pipit_image_dim(img); d++)
        n *= pipit_image_size(img)[d];
    return n;
}

static void
point_of(const pipit_image_t *img, size_t k, double *p)
{
    double ci[3] = { 0 };
    const size_t *sz = pipit_image_size(img);
    for (unsigned d = 0; d < pipit_image_dim(img); d++) {
        ci[d] = (double)(k % sz[d]);
        k /= sz[d];
    }
    pipit_image_index_to_point(img, ci, p);
}

static pipit_image_t *
run_field(pipit_image_t *ref, pipit_transform_t *t, const char *quantity)
{
    pipit_node_t *f = pipit_transform_field_new();
    ASSERT_OK(pipit_node_set_input_image(f, 0, ref));
    ASSERT_OK(pipit_node_set_input_transform(f, 1, t));
    ASSERT_OK(pipit_node_set(f, "quantity", quantity));
    ASSERT_OK(pipit_node_set(f, "type", "f64"));
    ASSERT_OK(pipit_node_update(f));
    pipit_image_t *out = pipit_image_ref(pipit_node_get_output(f, 0));
    pipit_node_unref(f);
    return out;
}

static void
field_translation_and_affine(void)
{
    pipit_image_t *ref = grid(2, 9);
    pipit_transform_t *tr = pipit_translation_transform_new(2);
    double t[2] = { 1.25, -3.5 };
    ASSERT_OK(pipit_transform_set_parameters(tr, t, 2));
    pipit_image_t *f = run_field(ref, tr, "displacement");
    CU_ASSERT_EQUAL(pipit_image_components(f), 2);
    const double *v = pipit_image_data(f);
    for (size_t k = 0; k < voxels(f); k++) {
        CU_ASSERT(fabs(v[2 * k] - 1.25) < 1e-12);
        CU_ASSERT(fabs(v[2 * k + 1] + 3.5) < 1e-12);
    }
    pipit_image_unref(f);
    double c[2] = { 3.0, -1.0 };
    pipit_transform_t *af = pipit_affine_transform_new(2, c);
    double a[6] = { 1.1, 0.2, -0.3, 0.9, 2.0, 1.0 };
    ASSERT_OK(pipit_transform_set_parameters(af, a, 6));
    pipit_image_t *j = run_field(ref, af, "jacobian");
    pipit_image_t *det = run_field(ref, af, "jacobian-determinant");
    CU_ASSERT_EQUAL(pipit_image_components(j), 4);
    const double *jv = pipit_image_data(j), *dv = pipit_image_data(det);
    for (size_t k = 0; k < voxels(j); k++) {
        for (unsigned e = 0; e < 4; e++)
            CU_ASSERT(fabs(jv[4 * k + e] - a[e]) < 1e-12);
        CU_ASSERT(fabs(dv[k] - (1.1 * 0.9 + 0.2 * 0.3)) < 1e-12);
    }
    pipit_image_unref(j);
    pipit_image_unref(det);
    pipit_transform_unref(af);
    pipit_transform_unref(tr);
    pipit_image_unref(ref);
}

static pipit_node_t *
run_invert(pipit_image_t *ref, pipit_transform_t *t, const char *type)
{
    pipit_node_t *v = pipit_transform_invert_new();
    ASSERT_OK(pipit_node_set_input_image(v, 0, ref));
    ASSERT_OK(pipit_node_set_input_transform(v, 1, t));
    ASSERT_OK(pipit_node_set(v, "type", type));
    ASSERT_OK(pipit_node_update(v));
    return v;
}

static double
figure(pipit_node_t *v, const char *name)
{
    double x = NAN;
    ASSERT_OK(pipit_table_get_double(pipit_node_get_output_table(v, 2), name,
                                     &x));
    return x;
}

static void
invert_affine_exact(void)
{
    pipit_image_t *ref = grid(2, 11);
    double c[2] = { 1.0, 2.0 };
    pipit_transform_t *af = pipit_affine_transform_new(2, c);
    double a[6] = { 1.1, 0.2, -0.3, 0.9, 2.0, 1.0 };
    ASSERT_OK(pipit_transform_set_parameters(af, a, 6));
    pipit_node_t *v = run_invert(ref, af, "f64");
    pipit_transform_t *inv = pipit_node_get_output_transform(v, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
    /* closed form: y = A(x - c) + c + t  =>  x = A^-1 (y - c - t) + c */
    double det = a[0] * a[3] - a[1] * a[2];
    double ai[4] = { a[3] / det, -a[1] / det, -a[2] / det, a[0] / det };
    const double *u = pipit_image_data(pipit_node_get_output(v, 0));
    double worst = 0.0;
    for (size_t k = 0; k < voxels(ref); k++) {
        double y[2], x[2], q[2], r[2], back[2];
        point_of(ref, k, y);
        r[0] = y[0] - c[0] - a[4];
        r[1] = y[1] - c[1] - a[5];
        x[0] = ai[0] * r[0] + ai[1] * r[1] + c[0];
        x[1] = ai[2] * r[0] + ai[3] * r[1] + c[1];
        pipit_transform_point(inv, y, q);
        pipit_transform_point(af, q, back);
        for (unsigned d = 0; d < 2; d++) {
            worst = fmax(worst, fabs(q[d] - x[d]));
            worst = fmax(worst, fabs(back[d] - y[d]));
            worst = fmax(worst, fabs(y[d] + u[2 * k + d] - x[d]));
        }
    }
    CU_ASSERT(worst < 1e-12);
    CU_ASSERT(figure(v, "residual-max") < 1e-12);
    CU_ASSERT(figure(v, "iterations-max") == 0.0);
    pipit_node_unref(v);
    pipit_transform_unref(af);
    pipit_image_unref(ref);
}

/* A smooth B-spline over ref's domain: coefficients a sine pattern of
 * amplitude amp (world units), under a tenth of the grid spacing so
 * that the map stays invertible. */
static pipit_transform_t *
smooth_bspline(unsigned dim, double amp)
{
    pipit_bspline_grid_t g;
    pipit_bspline_grid_init(&g, dim);
    size_t n = 1;
    for (unsigned d = 0; d < dim; d++) {
        g.size[d] = 14;
        g.spacing[d] = 4.0;
        g.origin[d] = -20.0;
        n *= g.size[d];
    }
    pipit_transform_t *b = pipit_bspline_transform_new(dim, 3, &g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    double *p = calloc(n * dim, sizeof *p);
    for (size_t k = 0; k < n; k++)
        for (unsigned d = 0; d < dim; d++)
            p[d * n + k] = amp * sin(0.9 * (double)k + 1.7 * d) *
                           cos(0.37 * (double)k);
    ASSERT_OK(pipit_transform_set_parameters(b, p, n * dim));
    free(p);
    return b;
}

static void
invert_bspline(unsigned dim)
{
    pipit_image_t *ref = grid(dim, 12);
    pipit_transform_t *b = smooth_bspline(dim, 0.8);
    pipit_node_t *v = run_invert(ref, b, "f32");
    double max = figure(v, "residual-max"), mean = figure(v, "residual-mean");
    CU_ASSERT(pipit_node_get_output_transform(v, 1) == NULL);
    CU_ASSERT(figure(v, "unconverged") <= voxels(ref));
    CU_ASSERT(mean <= max);
    /* f32 storage of displacements of about 1: a few 1e-7 */
    CU_ASSERT(max < 1e-5);
    const float *u = pipit_image_data(pipit_node_get_output(v, 0));
    double worst = 0.0, moved = 0.0;
    for (size_t k = 0; k < voxels(ref); k++) {
        double y[3], x[3], q[3];
        point_of(ref, k, y);
        for (unsigned d = 0; d < dim; d++)
            x[d] = y[d] + (double)u[dim * k + d];
        pipit_transform_point(b, x, q);
        double e = 0.0, m = 0.0;
        for (unsigned d = 0; d < dim; d++) {
            e += (q[d] - y[d]) * (q[d] - y[d]);
            m += (double)u[dim * k + d] * (double)u[dim * k + d];
        }
        worst = fmax(worst, sqrt(e));
        moved = fmax(moved, sqrt(m));
    }
    CU_ASSERT(worst <= max * (1.0 + 1e-12) + 1e-15);
    CU_ASSERT(moved > 0.1); /* the field is not trivially zero */
    /* the same bytes at 1 and 3 threads */
    unsigned old = pipit_pool_threads();
    ASSERT_OK(pipit_pool_set_threads(1));
    pipit_node_t *v1 = run_invert(ref, b, "f32");
    ASSERT_OK(pipit_pool_set_threads(3));
    pipit_node_t *v3 = run_invert(ref, b, "f32");
    ASSERT_OK(pipit_pool_set_threads(old));
    CU_ASSERT(memcmp(pipit_image_data(pipit_node_get_output(v1, 0)),
                     pipit_image_data(pipit_node_get_output(v3, 0)),
                     voxels(ref) * dim * sizeof(float)) == 0);
    CU_ASSERT(figure(v1, "residual-mean") == figure(v3, "residual-mean"));
    pipit_node_unref(v1);
    pipit_node_unref(v3);
    pipit_node_unref(v);
    pipit_transform_unref(b);
    pipit_image_unref(ref);
}

static void
invert_bspline_2d(void)
{
    invert_bspline(2);
}

static void
invert_bspline_3d(void)
{
    invert_bspline(3);
}

/* A rotation composed with a B-spline (elastix's usual chain) is
 * inverted too: Newton's step uses the full Jacobian, not T - x. */
static void
invert_rotation_chain(void)
{
    pipit_image_t *ref = grid(2, 12);
    double c[2] = { 0.0, 0.0 };
    pipit_transform_t *e = pipit_euler_transform_new(2, c);
    double p[3] = { 0.6, 1.0, -2.0 };
    ASSERT_OK(pipit_transform_set_parameters(e, p, 3));
    pipit_transform_t *b = smooth_bspline(2, 0.5);
    pipit_transform_t *chain =
        pipit_transform_chain_new(e, b, PIPIT_COMBINE_COMPOSE);
    pipit_node_t *v = run_invert(ref, chain, "f64");
    CU_ASSERT(figure(v, "residual-max") < 1e-6);
    CU_ASSERT(figure(v, "unconverged") == 0.0);
    pipit_node_unref(v);
    pipit_transform_unref(chain);
    pipit_transform_unref(b);
    pipit_transform_unref(e);
    pipit_image_unref(ref);
}

static void
compose_order(void)
{
    pipit_transform_t *tr = pipit_translation_transform_new(2);
    double t[2] = { 1.0, 0.0 };
    ASSERT_OK(pipit_transform_set_parameters(tr, t, 2));
    double c[2] = { 0.0, 0.0 };
    pipit_transform_t *rot = pipit_euler_transform_new(2, c);
    double r[3] = { M_PI / 2, 0.0, 0.0 };
    ASSERT_OK(pipit_transform_set_parameters(rot, r, 3));
    pipit_node_t *n = pipit_transform_compose_new();
    ASSERT_OK(pipit_node_set_input_transform(n, 0, tr));
    ASSERT_OK(pipit_node_set_input_transform(n, 1, rot));
    ASSERT_OK(pipit_node_update(n));
    pipit_transform_t *ch = pipit_node_get_output_transform(n, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
    double x[2] = { 0.0, 0.0 }, y[2];
    pipit_transform_point(ch, x, y);
    /* translate first to (1, 0), then rotate a quarter turn: (0, 1) */
    CU_ASSERT(fabs(y[0]) < 1e-12 && fabs(y[1] - 1.0) < 1e-12);
    ASSERT_OK(pipit_node_set(n, "how", "add"));
    ASSERT_OK(pipit_node_update(n));
    ch = pipit_node_get_output_transform(n, 0);
    double z[2] = { 1.0, 0.0 };
    pipit_transform_point(ch, z, y);
    /* (1,0)+(1,0) + (0,1) - (1,0) = (1, 1) */
    CU_ASSERT(fabs(y[0] - 1.0) < 1e-12 && fabs(y[1] - 1.0) < 1e-12);
    pipit_node_unref(n);
    pipit_transform_unref(rot);
    pipit_transform_unref(tr);
}

const test_case_t test_transform_tools_cases[] = {
    { "field_translation_and_affine", field_translation_and_affine },
    { "invert_affine_exact", invert_affine_exact },
    { "invert_bspline_2d", invert_bspline_2d },
    { "invert_bspline_3d", invert_bspline_3d },
    { "invert_rotation_chain", invert_rotation_chain },
    { "compose_order", compose_order },
    { NULL, NULL },
};

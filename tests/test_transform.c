/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transforms: known points per kind and dimension, the parameter order
 * of elastix (each checked against the formula written out here),
 * analytic Jacobians against central differences, the sparse B-spline
 * Jacobian, inverses, chains, and bad arguments.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/transform.h>

#include "error_impl.h" /* pipit__alloc_fail_at */
#include "testutil.h"

#define PI 3.14159265358979323846

static void
assert_point(const double *got, const double *want, unsigned n, double tol)
{
    for (unsigned d = 0; d < n; d++)
        CU_ASSERT_DOUBLE_EQUAL(got[d], want[d], tol);
}

/* A fixed pseudo-random sequence in [-1, 1), the same on every run. */
static double
noise(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return ((*state >> 8) & 0xffffu) / 32768.0 - 1.0;
}

static void
test_translation_points(void)
{
    pipit_transform_t *t = pipit_translation_transform_new(3);
    CU_ASSERT_STRING_EQUAL(pipit_transform_name(t), "TranslationTransform");
    CU_ASSERT_EQUAL(pipit_transform_n_parameters(t), 3);
    ASSERT_OK(pipit_transform_set_parameters(t, (double[]){ 1, -2, 3.5 }, 3));
    double out[3];
    pipit_transform_point(t, (double[]){ 10, 20, 30 }, out);
    assert_point(out, (double[]){ 11, 18, 33.5 }, 3, 1e-12);
    CU_ASSERT_PTR_NULL(pipit_transform_center(t));
    pipit_transform_unref(t);

    t = pipit_translation_transform_new(2);
    ASSERT_OK(pipit_transform_set_parameters(t, (double[]){ -1, 4 }, 2));
    pipit_transform_point(t, (double[]){ 0.5, 0.25 }, out);
    assert_point(out, (double[]){ -0.5, 4.25 }, 2, 1e-12);
    pipit_transform_unref(t);
}

static void
test_euler_2d_90_about_centre(void)
{
    double c[2] = { 10, 20 };
    pipit_transform_t *t = pipit_euler_transform_new(2, c);
    CU_ASSERT_STRING_EQUAL(pipit_transform_name(t), "EulerTransform");
    CU_ASSERT_EQUAL(pipit_transform_n_parameters(t), 3);
    /* θ t_x t_y: a quarter turn about c, then (1, 2) */
    ASSERT_OK(pipit_transform_set_parameters(t, (double[]){ PI / 2, 1, 2 },
                                             3));
    double out[2];
    pipit_transform_point(t, (double[]){ 11, 20 }, out);
    assert_point(out, (double[]){ 11, 23 }, 2, 1e-12);
    pipit_transform_point(t, (double[]){ 10, 20 }, out); /* centre moves by t */
    assert_point(out, (double[]){ 11, 22 }, 2, 1e-12);
    pipit_transform_point(t, (double[]){ 10, 22 }, out);
    assert_point(out, (double[]){ 9, 22 }, 2, 1e-12);
    assert_point(pipit_transform_center(t), c, 2, 0);
    pipit_transform_unref(t);
}

/* Right-handed elementary rotations, written out for the expectations. */
static void
rot(int axis, double a, double *m)
{
    double c = cos(a), s = sin(a);
    double x[9] = { 1, 0, 0, 0, c, -s, 0, s, c };
    double y[9] = { c, 0, s, 0, 1, 0, -s, 0, c };
    double z[9] = { c, -s, 0, s, c, 0, 0, 0, 1 };
    memcpy(m, axis == 0 ? x : axis == 1 ? y : z, sizeof x);
}

static void
mul(const double *a, const double *b, double *out)
{
    double t[9];
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            t[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] +
                           a[r * 3 + 2] * b[6 + c];
    memcpy(out, t, sizeof t);
}

static void
test_euler_3d_order(void)
{
    /* Quarter turns about single axes: z takes x to y, x takes y to z,
     * y takes z to x. */
    const struct {
        double p[6], in[3], out[3];
    } known[] = {
        { { 0, 0, PI / 2, 0, 0, 0 }, { 1, 0, 0 }, { 0, 1, 0 } },
        { { PI / 2, 0, 0, 0, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } },
        { { 0, PI / 2, 0, 0, 0, 0 }, { 0, 0, 1 }, { 1, 0, 0 } },
        { { 0, 0, 0, 1, 2, 3 }, { 1, 1, 1 }, { 2, 3, 4 } },
    };
    pipit_transform_t *t = pipit_euler_transform_new(3, NULL);
    CU_ASSERT_EQUAL(pipit_transform_n_parameters(t), 6);
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        double out[3];
        ASSERT_OK(pipit_transform_set_parameters(t, known[i].p, 6));
        pipit_transform_point(t, known[i].in, out);
        assert_point(out, known[i].out, 3, 1e-12);
    }
    /* General angles, centre, translation: R = Rz·Rx·Ry, or Rz·Ry·Rx. */
    double p[6] = { 0.3, -0.7, 1.1, 5, -6, 7 }, c[3] = { 1, 2, -3 };
    double x[3] = { 4, -5, 6 };
    ASSERT_OK(pipit_transform_set_center(t, c));
    ASSERT_OK(pipit_transform_set_parameters(t, p, 6));
    for (int zyx = 0; zyx < 2; zyx++) {
        ASSERT_OK(pipit_euler_transform_set_compute_zyx(t, zyx));
        CU_ASSERT_EQUAL(pipit_euler_transform_compute_zyx(t), zyx);
        double rx[9], ry[9], rz[9], r[9];
        rot(0, p[0], rx), rot(1, p[1], ry), rot(2, p[2], rz);
        if (zyx)
            mul(rz, ry, r), mul(r, rx, r);
        else
            mul(rz, rx, r), mul(r, ry, r);
        double want[3], out[3];
        for (int i = 0; i < 3; i++)
            want[i] = r[i * 3] * (x[0] - c[0]) + r[i * 3 + 1] * (x[1] - c[1]) +
                      r[i * 3 + 2] * (x[2] - c[2]) + c[i] + p[3 + i];
        pipit_transform_point(t, x, out);
        assert_point(out, want, 3, 1e-12);
    }
    pipit_transform_unref(t);
}

static void
test_similarity_order(void)
{
    /* 2-D: s θ t_x t_y */
    double c2[2] = { 1, 1 };
    pipit_transform_t *t = pipit_similarity_transform_new(2, c2);
    CU_ASSERT_STRING_EQUAL(pipit_transform_name(t), "SimilarityTransform");
    CU_ASSERT_DOUBLE_EQUAL(pipit_transform_parameters(t)[0], 1.0, 0);
    ASSERT_OK(pipit_transform_set_parameters(t, (double[]){ 2, PI / 2, 3, 4 },
                                             4));
    double out[3];
    /* (2,1) - c = (1,0) -> rotated (0,1) -> scaled (0,2) -> + c + t */
    pipit_transform_point(t, (double[]){ 2, 1 }, out);
    assert_point(out, (double[]){ 4, 7 }, 2, 1e-12);
    pipit_transform_unref(t);

    /* 3-D: v_x v_y v_z t_x t_y t_z s; v = sin(φ/2)·axis */
    double c3[3] = { 1, -2, 0.5 }, phi = 0.8, s = 1.5;
    double axis[3] = { 2.0 / 7, 3.0 / 7, 6.0 / 7 };
    double p[7] = { sin(phi / 2) * axis[0], sin(phi / 2) * axis[1],
                    sin(phi / 2) * axis[2], 0.5, 1, -1, s };
    t = pipit_similarity_transform_new(3, c3);
    CU_ASSERT_EQUAL(pipit_transform_n_parameters(t), 7);
    CU_ASSERT_DOUBLE_EQUAL(pipit_transform_parameters(t)[6], 1.0, 0);
    ASSERT_OK(pipit_transform_set_parameters(t, p, 7));
    /* Rodrigues: R v = v cosφ + (a×v) sinφ + a (a·v)(1 - cosφ) */
    double x[3] = { 3, 1, -2 }, v[3], want[3];
    for (int i = 0; i < 3; i++)
        v[i] = x[i] - c3[i];
    double cr[3] = { axis[1] * v[2] - axis[2] * v[1],
                     axis[2] * v[0] - axis[0] * v[2],
                     axis[0] * v[1] - axis[1] * v[0] };
    double dot = axis[0] * v[0] + axis[1] * v[1] + axis[2] * v[2];
    for (int i = 0; i < 3; i++)
        want[i] = s * (v[i] * cos(phi) + cr[i] * sin(phi) +
                       axis[i] * dot * (1 - cos(phi))) +
                  c3[i] + p[3 + i];
    pipit_transform_point(t, x, out);
    assert_point(out, want, 3, 1e-12);
    pipit_transform_unref(t);
}

static void
test_affine_order(void)
{
    for (unsigned n = 2; n <= 3; n++) {
        double c[3] = { 0.5, -1, 2 }, p[12], x[3] = { 3, -4, 5 };
        unsigned state = n;
        for (unsigned i = 0; i < n * n + n; i++)
            p[i] = noise(&state);
        pipit_transform_t *t = pipit_affine_transform_new(n, c);
        CU_ASSERT_STRING_EQUAL(pipit_transform_name(t), "AffineTransform");
        CU_ASSERT_EQUAL(pipit_transform_n_parameters(t), n * n + n);
        ASSERT_OK(pipit_transform_set_parameters(t, p, n * n + n));
        /* T(x) = A(x - c) + c + t, A row-major first, then t */
        double want[3], out[3];
        for (unsigned r = 0; r < n; r++) {
            want[r] = c[r] + p[n * n + r];
            for (unsigned k = 0; k < n; k++)
                want[r] += p[r * n + k] * (x[k] - c[k]);
        }
        pipit_transform_point(t, x, out);
        assert_point(out, want, n, 1e-12);
        double m[9], off[3];
        CU_ASSERT_TRUE(pipit_transform_get_matrix(t, m, off));
        CU_ASSERT_DOUBLE_EQUAL(m[n], p[n], 0); /* row 1, column 0 */
        pipit_transform_unref(t);
    }
}

/* ---- B-spline ---------------------------------------------------- */

/* The centred cubic, quadratic and linear B-splines, from their pieces. */
static double
beta(unsigned p, double x)
{
    double a = fabs(x);
    switch (p) {
    case 1:
        return a < 1 ? 1 - a : 0;
    case 2:
        return a < 0.5 ? 0.75 - a * a : a < 1.5 ? 0.5 * (1.5 - a) * (1.5 - a)
                                                : 0;
    default:
        return a < 1   ? 2.0 / 3 - a * a + a * a * a / 2
               : a < 2 ? (2 - a) * (2 - a) * (2 - a) / 6
                       : 0;
    }
}

/* A grid rotated by 30° (2-D) or about z (3-D), spacing and origin set. */
static void
make_grid(unsigned n, pipit_bspline_grid_t *g)
{
    pipit_bspline_grid_init(g, n);
    double a = PI / 6;
    for (unsigned d = 0; d < n; d++) {
        g->size[d] = 7 + d;
        g->spacing[d] = 2.0 + 0.5 * d;
        g->origin[d] = -3.0 + d;
    }
    g->direction[0] = cos(a), g->direction[1] = -sin(a);
    g->direction[n] = sin(a), g->direction[n + 1] = cos(a);
}

static pipit_transform_t *
random_bspline(unsigned n, unsigned order, unsigned seed)
{
    pipit_bspline_grid_t g;
    make_grid(n, &g);
    pipit_transform_t *t = pipit_bspline_transform_new(n, order, &g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    size_t np = pipit_transform_n_parameters(t);
    double *p = malloc(np * sizeof *p);
    for (size_t i = 0; i < np; i++)
        p[i] = 0.7 * noise(&seed);
    CU_ASSERT_EQUAL(pipit_transform_set_parameters(t, p, np), PIPIT_OK);
    free(p);
    return t;
}

/* A physical point at continuous grid index u of the make_grid grid. */
static void
grid_point(unsigned n, const double *u, double *x)
{
    pipit_bspline_grid_t g;
    make_grid(n, &g);
    for (unsigned r = 0; r < n; r++) {
        x[r] = g.origin[r];
        for (unsigned c = 0; c < n; c++)
            x[r] += g.direction[r * n + c] * g.spacing[c] * u[c];
    }
}

static void
test_bspline_order_and_map(void)
{
    /* Every order, 2-D and 3-D: T(x) = x + Σ c_k ∏ β(u_d - k_d) summed
     * densely over all control points, with c_k's axis-e component at
     * parameter e·N + k_x + g_x·(k_y + g_y·k_z). */
    for (unsigned n = 2; n <= 3; n++)
        for (unsigned order = 1; order <= 3; order++) {
            pipit_transform_t *t = random_bspline(n, order, 7 * n + order);
            const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(t);
            CU_ASSERT_STRING_EQUAL(pipit_transform_name(t),
                                   "BSplineTransform");
            CU_ASSERT_EQUAL(pipit_bspline_transform_order(t), order);
            size_t npts = 1;
            for (unsigned d = 0; d < n; d++)
                npts *= g->size[d];
            CU_ASSERT_EQUAL(pipit_transform_n_parameters(t), n * npts);
            const double *p = pipit_transform_parameters(t);
            double u[3] = { 2.3, 3.7, 2.9 }, x[3], out[3];
            grid_point(n, u, x);
            double want[3] = { x[0], x[1], x[2] };
            for (size_t k = 0; k < npts; k++) {
                size_t kk[3] = { k % g->size[0], (k / g->size[0]) % g->size[1],
                                 k / (g->size[0] * g->size[1]) };
                double w = 1;
                for (unsigned d = 0; d < n; d++)
                    w *= beta(order, u[d] - (double)kk[d]);
                for (unsigned e = 0; e < n; e++)
                    want[e] += w * p[e * npts + k];
            }
            pipit_transform_point(t, x, out);
            assert_point(out, want, n, 1e-12);
            pipit_transform_unref(t);
        }
}

static void
test_bspline_valid_region(void)
{
    /* Order 3: u in [1, size - 2) moves; elsewhere the identity. */
    pipit_transform_t *t = random_bspline(2, 3, 5);
    double out[2], x[2];
    const double inside[][2] = { { 1.0, 1.0 }, { 4.999, 5.999 } };
    const double outside[][2] = { { 0.999, 3 }, { 5.0, 3 }, { 3, 6.0 },
                                  { -10, 3 }, { NAN, 3 } };
    size_t idx[64];
    double val[2 * 2 * 64];
    for (size_t i = 0; i < 2; i++) {
        grid_point(2, inside[i], x);
        pipit_transform_point(t, x, out);
        CU_ASSERT_TRUE(fabs(out[0] - x[0]) + fabs(out[1] - x[1]) > 1e-6);
        CU_ASSERT_EQUAL(pipit_transform_jacobian(t, x, idx, val), 2 * 16);
    }
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        grid_point(2, outside[i], x);
        pipit_transform_point(t, x, out);
        if (!isnan(x[0])) {
            CU_ASSERT_DOUBLE_EQUAL(out[0], x[0], 0);
            CU_ASSERT_DOUBLE_EQUAL(out[1], x[1], 0);
        }
        CU_ASSERT_EQUAL(pipit_transform_jacobian(t, x, idx, val), 0);
    }
    pipit_transform_unref(t);
}

static void
test_bspline_sparse_jacobian(void)
{
    /* (order+1)^D supporting points per output axis, ascending indices,
     * row d zero outside block d, and Σ values·p reproduces T(x) - x. */
    for (unsigned n = 2; n <= 3; n++)
        for (unsigned order = 1; order <= 3; order++) {
            pipit_transform_t *t = random_bspline(n, order, 3 * n + order);
            size_t per = 1;
            for (unsigned d = 0; d < n; d++)
                per *= order + 1;
            CU_ASSERT_EQUAL(pipit_transform_jacobian_size(t), n * per);
            size_t *idx = malloc(n * per * sizeof *idx);
            double *val = malloc(n * n * per * sizeof *val);
            double u[3] = { 2.6, 2.2, 3.4 }, x[3], out[3];
            grid_point(n, u, x);
            size_t m = pipit_transform_jacobian(t, x, idx, val);
            CU_ASSERT_EQUAL_FATAL(m, n * per);
            const double *p = pipit_transform_parameters(t);
            size_t npts = pipit_transform_n_parameters(t) / n;
            pipit_transform_point(t, x, out);
            for (unsigned d = 0; d < n; d++) {
                double s = x[d];
                size_t nonzero = 0;
                for (size_t k = 0; k < m; k++) {
                    s += val[d * m + k] * p[idx[k]];
                    nonzero += val[d * m + k] != 0.0;
                    bool in_block = idx[k] / npts == d;
                    if (!in_block)
                        CU_ASSERT_EQUAL(val[d * m + k], 0.0);
                }
                CU_ASSERT_EQUAL(nonzero, per);
                CU_ASSERT_DOUBLE_EQUAL(s, out[d], 1e-12);
            }
            for (size_t k = 1; k < m; k++)
                CU_ASSERT_TRUE(idx[k] > idx[k - 1]);
            free(idx);
            free(val);
            pipit_transform_unref(t);
        }
}

/* ---- Jacobians against central differences ----------------------- */

/*
 * Central differences with step h = 1e-5 have a truncation error of
 * about h² times the third derivative (< 1e-8 here) and a rounding error
 * of about 1e-16·|T| / h (< 1e-10); 1e-6 leaves a wide margin while
 * still catching any wrong term.
 */
#define FD_STEP 1e-5
#define FD_TOL 1e-6

static void
check_jacobians(pipit_transform_t *t, const double *x)
{
    unsigned n = pipit_transform_dim(t);
    size_t np = pipit_transform_n_parameters(t);
    size_t js = pipit_transform_jacobian_size(t);
    size_t *idx = malloc(js * sizeof *idx);
    double *val = malloc(n * js * sizeof *val);
    double *dense = calloc(n * np, sizeof *dense);
    double *p = malloc(np * sizeof *p);
    memcpy(p, pipit_transform_parameters(t), np * sizeof *p);

    size_t m = pipit_transform_jacobian(t, x, idx, val);
    CU_ASSERT_TRUE(m <= js);
    for (size_t k = 0; k < m; k++)
        for (unsigned d = 0; d < n; d++)
            dense[d * np + idx[k]] = val[d * m + k];
    /* Every parameter for the small kinds; for a B-spline the listed
     * ones and a stride of the others (which must not move T(x)). */
    for (size_t i = 0; i < np; i++) {
        bool listed = false;
        for (size_t k = 0; k < m; k++)
            listed |= idx[k] == i;
        if (!listed && i % 7 != 0)
            continue;
        double hi[PIPIT_MAX_DIM], lo[PIPIT_MAX_DIM], saved = p[i];
        p[i] = saved + FD_STEP;
        ASSERT_OK(pipit_transform_set_parameters(t, p, np));
        pipit_transform_point(t, x, hi);
        p[i] = saved - FD_STEP;
        ASSERT_OK(pipit_transform_set_parameters(t, p, np));
        pipit_transform_point(t, x, lo);
        p[i] = saved;
        for (unsigned d = 0; d < n; d++)
            CU_ASSERT_DOUBLE_EQUAL(dense[d * np + i],
                                   (hi[d] - lo[d]) / (2 * FD_STEP), FD_TOL);
    }
    ASSERT_OK(pipit_transform_set_parameters(t, p, np));

    double j[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    pipit_transform_spatial_jacobian(t, x, j);
    for (unsigned c = 0; c < n; c++) {
        double xp[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM], lo[PIPIT_MAX_DIM];
        memcpy(xp, x, n * sizeof *xp);
        xp[c] = x[c] + FD_STEP;
        pipit_transform_point(t, xp, hi);
        xp[c] = x[c] - FD_STEP;
        pipit_transform_point(t, xp, lo);
        for (unsigned r = 0; r < n; r++)
            CU_ASSERT_DOUBLE_EQUAL(j[r * n + c],
                                   (hi[r] - lo[r]) / (2 * FD_STEP), FD_TOL);
    }
    free(idx), free(val), free(dense), free(p);
}

static void
randomise(pipit_transform_t *t, unsigned seed, double amount)
{
    size_t np = pipit_transform_n_parameters(t);
    double *p = malloc(np * sizeof *p);
    memcpy(p, pipit_transform_parameters(t), np * sizeof *p);
    for (size_t i = 0; i < np; i++)
        p[i] += amount * noise(&seed);
    ASSERT_OK(pipit_transform_set_parameters(t, p, np));
    free(p);
}

/* One of each kind with random parameters; NULL past the last. */
static pipit_transform_t *
make_kind(unsigned i, unsigned n)
{
    double c[3] = { 1.5, -2.5, 0.75 };
    pipit_transform_t *t = NULL;
    switch (i) {
    case 0: t = pipit_translation_transform_new(n); break;
    case 1: t = pipit_euler_transform_new(n, c); break;
    case 2:
        t = pipit_euler_transform_new(n, c);
        ASSERT_OK(pipit_euler_transform_set_compute_zyx(t, true));
        break;
    case 3: t = pipit_similarity_transform_new(n, c); break;
    case 4: t = pipit_affine_transform_new(n, c); break;
    default: return NULL;
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    randomise(t, 11 * i + n, 0.4);
    return t;
}

static void
test_jacobians_linear_kinds(void)
{
    for (unsigned n = 2; n <= 3; n++)
        for (unsigned i = 0;; i++) {
            pipit_transform_t *t = make_kind(i, n);
            if (t == NULL)
                break;
            check_jacobians(t, (double[]){ 3.25, -1.5, 2.0 });
            check_jacobians(t, (double[]){ -7, 11, 0.5 });
            pipit_transform_unref(t);
        }
}

static void
test_jacobians_bspline(void)
{
    for (unsigned n = 2; n <= 3; n++)
        for (unsigned order = 1; order <= 3; order++) {
            pipit_transform_t *t = random_bspline(n, order, n + 5 * order);
            /* Away from knots (order 1 has kinks there). */
            double u[3] = { 2.37, 3.61, 2.43 }, x[3];
            grid_point(n, u, x);
            check_jacobians(t, x);
            pipit_transform_unref(t);
        }
}

static void
test_jacobians_chain(void)
{
    for (unsigned n = 2; n <= 3; n++)
        for (int how = 0; how < 2; how++) {
            pipit_transform_t *init = make_kind(4, n);
            pipit_transform_t *cur = random_bspline(n, 3, 9 + n);
            pipit_transform_t *ch =
                pipit_transform_chain_new(init, cur, (pipit_combine_t)how);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
            CU_ASSERT_STRING_EQUAL(pipit_transform_name(ch),
                                   "BSplineTransform");
            CU_ASSERT_EQUAL(pipit_transform_n_parameters(ch),
                            pipit_transform_n_parameters(cur));
            /* A point whose image under init lies inside cur's grid. */
            double u[3] = { 2.37, 3.61, 2.43 }, y[3], x[3];
            grid_point(n, u, y);
            pipit_transform_t *inv = NULL;
            ASSERT_OK(pipit_transform_inverse(init, &inv));
            if (how == PIPIT_COMBINE_COMPOSE)
                pipit_transform_point(inv, y, x); /* init(x) = y */
            else
                memcpy(x, y, sizeof x);
            check_jacobians(ch, x);
            /* and that chain as the initial part of one more */
            pipit_transform_t *rigid = make_kind(1, n);
            pipit_transform_t *ch2 =
                pipit_transform_chain_new(ch, rigid, (pipit_combine_t)how);
            check_jacobians(ch2, x);
            pipit_transform_unref(ch2);
            pipit_transform_unref(rigid);
            pipit_transform_unref(inv);
            pipit_transform_unref(ch);
            pipit_transform_unref(init);
            pipit_transform_unref(cur);
        }
}

/* ---- Inverse, chains, copies -------------------------------------- */

static void
check_inverse(pipit_transform_t *t)
{
    unsigned n = pipit_transform_dim(t);
    pipit_transform_t *inv = NULL;
    ASSERT_OK(pipit_transform_inverse(t, &inv));
    if (!pipit_transform_is_chain(t))
        CU_ASSERT_STRING_EQUAL(pipit_transform_name(inv),
                               pipit_transform_name(t));
    const double pts[][3] = { { 0, 0, 0 }, { 3, -4, 5 }, { -10, 2.5, 7 } };
    for (size_t i = 0; i < 3; i++) {
        double y[3], back[3];
        pipit_transform_point(t, pts[i], y);
        pipit_transform_point(inv, y, back);
        assert_point(back, pts[i], n, 1e-10);
        pipit_transform_point(inv, pts[i], y);
        pipit_transform_point(t, y, back);
        assert_point(back, pts[i], n, 1e-10);
    }
    pipit_transform_unref(inv);
}

static void
test_inverse(void)
{
    for (unsigned n = 2; n <= 3; n++)
        for (unsigned i = 0;; i++) {
            pipit_transform_t *t = make_kind(i, n);
            if (t == NULL)
                break;
            check_inverse(t);
            pipit_transform_t *t2 = make_kind((i + 1) % 5, n);
            pipit_transform_t *ch =
                pipit_transform_chain_new(t, t2, PIPIT_COMBINE_COMPOSE);
            check_inverse(ch);
            pipit_transform_unref(ch);
            pipit_transform_unref(t2);
            pipit_transform_unref(t);
        }
    /* A large 3-D Euler rotation, near gimbal lock, both conventions. */
    for (int zyx = 0; zyx < 2; zyx++) {
        pipit_transform_t *t = pipit_euler_transform_new(3, NULL);
        ASSERT_OK(pipit_euler_transform_set_compute_zyx(t, zyx));
        double p[6] = { zyx ? 2.5 : PI / 2, zyx ? PI / 2 : -2.0, 3.0, 1, 2, 3 };
        ASSERT_OK(pipit_transform_set_parameters(t, p, 6));
        check_inverse(t);
        pipit_transform_unref(t);
    }

    pipit_transform_t *inv = (pipit_transform_t *)&inv, *b =
        random_bspline(2, 3, 1);
    ASSERT_FAILS_WITH(pipit_transform_inverse(b, &inv), PIPIT_EUNSUPPORTED,
                      "BSplineTransform");
    CU_ASSERT_PTR_NULL(inv);
    pipit_transform_t *a = pipit_affine_transform_new(2, NULL);
    ASSERT_OK(pipit_transform_set_parameters(a, (double[]){ 1, 2, 2, 4, 0, 0 },
                                             6));
    ASSERT_FAILS_WITH(pipit_transform_inverse(a, &inv), PIPIT_EINVAL,
                      "singular");
    pipit_transform_t *add = pipit_transform_chain_new(a, a, PIPIT_COMBINE_ADD);
    ASSERT_FAILS_WITH(pipit_transform_inverse(add, &inv), PIPIT_EUNSUPPORTED,
                      "Add");
    pipit_transform_unref(add);
    pipit_transform_unref(a);
    pipit_transform_unref(b);
}

static void
test_compose_vs_add(void)
{
    /* initial: shift by (1, 2); current: a quarter turn about (0, 0). */
    pipit_transform_t *init = pipit_translation_transform_new(2);
    pipit_transform_t *cur = pipit_euler_transform_new(2, NULL);
    ASSERT_OK(pipit_transform_set_parameters(init, (double[]){ 1, 2 }, 2));
    ASSERT_OK(pipit_transform_set_parameters(cur, (double[]){ PI / 2, 0, 0 },
                                             3));
    pipit_transform_t *comp =
        pipit_transform_chain_new(init, cur, PIPIT_COMBINE_COMPOSE);
    pipit_transform_t *add =
        pipit_transform_chain_new(init, cur, PIPIT_COMBINE_ADD);
    CU_ASSERT_TRUE(pipit_transform_is_chain(comp));
    CU_ASSERT_FALSE(pipit_transform_is_chain(cur));
    CU_ASSERT_PTR_EQUAL(pipit_transform_chain_initial(add), init);
    CU_ASSERT_PTR_EQUAL(pipit_transform_chain_current(add), cur);
    CU_ASSERT_EQUAL(pipit_transform_chain_how(add), PIPIT_COMBINE_ADD);
    double x[2] = { 3, 1 }, out[2];
    /* Compose: R(x + t) = R(4, 3) = (-3, 4) */
    pipit_transform_point(comp, x, out);
    assert_point(out, (double[]){ -3, 4 }, 2, 1e-12);
    /* Add: R x + (x + t) - x = (-1, 3) + (1, 2) */
    pipit_transform_point(add, x, out);
    assert_point(out, (double[]){ 0, 5 }, 2, 1e-12);
    /* Both are linear; their matrices agree with the points. */
    double m[4], off[2];
    CU_ASSERT_TRUE(pipit_transform_get_matrix(comp, m, off));
    CU_ASSERT_DOUBLE_EQUAL(m[0] * x[0] + m[1] * x[1] + off[0], -3, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(m[2] * x[0] + m[3] * x[1] + off[1], 4, 1e-12);
    CU_ASSERT_TRUE(pipit_transform_get_matrix(add, m, off));
    CU_ASSERT_DOUBLE_EQUAL(m[0] * x[0] + m[1] * x[1] + off[0], 0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(m[2] * x[0] + m[3] * x[1] + off[1], 5, 1e-12);
    /* The chain's parameters are the current transform's. */
    ASSERT_OK(pipit_transform_set_parameters(comp, (double[]){ 0, 1, 1 }, 3));
    CU_ASSERT_DOUBLE_EQUAL(pipit_transform_parameters(cur)[1], 1, 0);
    pipit_transform_point(comp, x, out);
    assert_point(out, (double[]){ 5, 4 }, 2, 1e-12);
    pipit_transform_t *b = random_bspline(2, 3, 2);
    pipit_transform_t *nb = pipit_transform_chain_new(init, b,
                                                      PIPIT_COMBINE_ADD);
    CU_ASSERT_FALSE(pipit_transform_get_matrix(nb, m, off));
    CU_ASSERT_FALSE(pipit_transform_get_matrix(b, m, off));
    pipit_transform_unref(nb);
    pipit_transform_unref(b);
    pipit_transform_unref(comp);
    pipit_transform_unref(add);
    pipit_transform_unref(init);
    pipit_transform_unref(cur);
}

static void
test_dup_and_identity(void)
{
    for (unsigned i = 0;; i++) {
        pipit_transform_t *t = make_kind(i, 3);
        if (t == NULL)
            break;
        pipit_transform_t *d = pipit_transform_dup(t);
        double x[3] = { 1, 2, 3 }, a[3], b[3];
        pipit_transform_point(t, x, a);
        pipit_transform_point(d, x, b);
        assert_point(a, b, 3, 0);
        pipit_transform_set_identity(t); /* d keeps its parameters */
        pipit_transform_point(t, x, a);
        assert_point(a, x, 3, 1e-12);
        pipit_transform_point(d, x, a);
        assert_point(a, b, 3, 0);
        pipit_transform_unref(d);
        pipit_transform_unref(t);
    }
    pipit_transform_t *init = make_kind(4, 2), *cur = random_bspline(2, 2, 3);
    pipit_transform_t *ch =
        pipit_transform_chain_new(init, cur, PIPIT_COMBINE_COMPOSE);
    pipit_transform_t *d = pipit_transform_dup(ch);
    CU_ASSERT_PTR_NOT_EQUAL(pipit_transform_chain_current(d), cur);
    pipit_transform_set_identity(ch);
    CU_ASSERT_DOUBLE_EQUAL(pipit_transform_parameters(cur)[0], 0, 0);
    CU_ASSERT_NOT_EQUAL(pipit_transform_parameters(d)[0], 0);
    pipit_transform_unref(d);
    pipit_transform_unref(ch);
    pipit_transform_unref(init);
    pipit_transform_unref(cur);
}

static void
test_bad_arguments(void)
{
    pipit_transform_t *t = pipit_euler_transform_new(2, NULL);
    double p[3] = { 0, 0, 0 };
    ASSERT_FAILS_WITH(pipit_transform_set_parameters(t, p, 2), PIPIT_EINVAL,
                      "3 parameters");
    p[1] = NAN;
    ASSERT_FAILS_WITH(pipit_transform_set_parameters(t, p, 3), PIPIT_EINVAL,
                      "parameter 1");
    ASSERT_FAILS_WITH(pipit_transform_set_parameters(NULL, p, 3),
                      PIPIT_EINVAL, "t != NULL");
    ASSERT_FAILS_WITH(pipit_transform_set_center(t, (double[]){ 0, INFINITY }),
                      PIPIT_EINVAL, "centre");
    pipit_transform_t *tr = pipit_translation_transform_new(2);
    ASSERT_FAILS_WITH(pipit_transform_set_center(tr, p), PIPIT_EINVAL,
                      "TranslationTransform");
    ASSERT_FAILS_WITH(pipit_euler_transform_set_compute_zyx(tr, true),
                      PIPIT_EINVAL, "ComputeZYX");
    pipit_transform_t *t3 = pipit_translation_transform_new(3);
    CU_ASSERT_PTR_NULL(pipit_transform_chain_new(t, t3, PIPIT_COMBINE_ADD));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "3-D"));
    pipit_transform_unref(t3);
    pipit_transform_unref(tr);
    pipit_transform_unref(t);

    CU_ASSERT_PTR_NULL(pipit_euler_transform_new(4, NULL));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "dimension 4"));
    CU_ASSERT_PTR_NULL(pipit_similarity_transform_new(1, NULL));
    CU_ASSERT_PTR_NULL(pipit_affine_transform_new(5, NULL));
    CU_ASSERT_PTR_NULL(pipit_translation_transform_new(0));

    pipit_bspline_grid_t g;
    make_grid(2, &g);
    CU_ASSERT_PTR_NULL(pipit_bspline_transform_new(2, 0, &g));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "order 0"));
    CU_ASSERT_PTR_NULL(pipit_bspline_transform_new(2, 4, &g));
    CU_ASSERT_PTR_NULL(pipit_bspline_transform_new(2, 3, NULL));
    g.size[1] = 0;
    CU_ASSERT_PTR_NULL(pipit_bspline_transform_new(2, 3, &g));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "GridSize[1]"));
    make_grid(2, &g);
    g.spacing[0] = -1;
    CU_ASSERT_PTR_NULL(pipit_bspline_transform_new(2, 3, &g));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "GridSpacing[0]"));
    make_grid(2, &g);
    g.direction[2] = g.direction[0], g.direction[3] = g.direction[1];
    CU_ASSERT_PTR_NULL(pipit_bspline_transform_new(2, 3, &g));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "singular"));

    /* Every allocation failing in turn leaves no leak and no crash. */
    make_grid(2, &g);
    for (size_t nth = 1; nth < 8; nth++) {
        pipit__alloc_fail_at(nth);
        pipit_transform_t *a = pipit_affine_transform_new(3, NULL);
        pipit_transform_t *bs = pipit_bspline_transform_new(2, 3, &g);
        pipit_transform_t *d = a != NULL ? pipit_transform_dup(a) : NULL;
        pipit__alloc_fail_at(0);
        pipit_transform_unref(d);
        pipit_transform_unref(bs);
        pipit_transform_unref(a);
    }
}

const test_case_t test_transform_cases[] = {
    { "translation_points", test_translation_points },
    { "euler_2d_90_about_centre", test_euler_2d_90_about_centre },
    { "euler_3d_order", test_euler_3d_order },
    { "similarity_order", test_similarity_order },
    { "affine_order", test_affine_order },
    { "bspline_order_and_map", test_bspline_order_and_map },
    { "bspline_valid_region", test_bspline_valid_region },
    { "bspline_sparse_jacobian", test_bspline_sparse_jacobian },
    { "jacobians_linear_kinds", test_jacobians_linear_kinds },
    { "jacobians_bspline", test_jacobians_bspline },
    { "jacobians_chain", test_jacobians_chain },
    { "inverse", test_inverse },
    { "compose_vs_add", test_compose_vs_add },
    { "dup_and_identity", test_dup_and_identity },
    { "bad_arguments", test_bad_arguments },
    { NULL, NULL },
};

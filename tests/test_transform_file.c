/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TransformParameters files: hand-written files against formulas,
 * elastix 5.0.1's own files against transformix's outputpoints, write
 * and read round trips, errors, and transformix reading our files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pipit/transform_file.h>

#include "error_impl.h"
#include "testutil.h"

static pipit_transform_t *
read_ok(const char *path, pipit_params_t **params)
{
    pipit_transform_t *t = NULL;
    ASSERT_OK(pipit_tp_read(path, &t, params));
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    return t;
}

static void
assert_near(const double *got, const double *want, unsigned n, double tol)
{
    for (unsigned d = 0; d < n; d++) {
        CU_ASSERT_DOUBLE_EQUAL(got[d], want[d], tol);
        if (fabs(got[d] - want[d]) > tol)
            fprintf(stderr, "\naxis %u: got %.9f, want %.9f\n", d, got[d],
                    want[d]);
    }
}

/* y = m x + b, 3 x 3 or 2 x 2 row-major. */
static void
mat_vec(unsigned n, const double *m, const double *x, double *y)
{
    for (unsigned r = 0; r < n; r++) {
        y[r] = 0.0;
        for (unsigned c = 0; c < n; c++)
            y[r] += m[r * n + c] * x[c];
    }
}

static void
mat_mul(const double *a, const double *b, double *out)
{
    for (unsigned r = 0; r < 3; r++)
        for (unsigned c = 0; c < 3; c++) {
            out[r * 3 + c] = 0.0;
            for (unsigned k = 0; k < 3; k++)
                out[r * 3 + c] += a[r * 3 + k] * b[k * 3 + c];
        }
}

/* R(x - c) + c + t. */
static void
centred(unsigned n, const double *r, const double *c, const double *t,
        const double *x, double *y)
{
    double v[3] = { 0, 0, 0 };
    for (unsigned d = 0; d < n; d++)
        v[d] = x[d] - c[d];
    mat_vec(n, r, v, y);
    for (unsigned d = 0; d < n; d++)
        y[d] += c[d] + t[d];
}

/* The centred cubic B-spline. */
static double
beta3(double t)
{
    t = fabs(t);
    if (t < 1.0)
        return 2.0 / 3.0 - t * t + t * t * t / 2.0;
    if (t < 2.0)
        return (2.0 - t) * (2.0 - t) * (2.0 - t) / 6.0;
    return 0.0;
}

/* ---- hand-written files, against formulas ------------------------ */

static const double probe3[][3] = {
    { 0, 0, 0 }, { 4.5, -2, 7.25 }, { 10, 3.5, -1 }, { -7.25, 12, 30 }
};

static void
test_euler3d_zyx(void)
{
    pipit_params_t *p = NULL;
    pipit_transform_t *t =
        read_ok(test_data("transform/handwritten/euler3d_zyx.txt"), &p);
    CU_ASSERT_STRING_EQUAL(pipit_transform_name(t), "EulerTransform");
    CU_ASSERT_TRUE(pipit_euler_transform_compute_zyx(t));
    double a = 0.1, b = -0.2, g = 0.3;
    const double rx[9] = { 1, 0, 0, 0, cos(a), -sin(a), 0, sin(a), cos(a) };
    const double ry[9] = { cos(b), 0, sin(b), 0, 1, 0, -sin(b), 0, cos(b) };
    const double rz[9] = { cos(g), -sin(g), 0, sin(g), cos(g), 0, 0, 0, 1 };
    const double c[3] = { 4.5, -2, 7.25 }, tr[3] = { 1.5, -2, 3.25 };
    double zy[9], r[9];
    mat_mul(rz, ry, zy);
    mat_mul(zy, rx, r); /* ZYX: x first */
    for (size_t i = 0; i < sizeof probe3 / sizeof probe3[0]; i++) {
        double got[3], want[3];
        pipit_transform_point(t, probe3[i], got);
        centred(3, r, c, tr, probe3[i], want);
        assert_near(got, want, 3, 1e-12);
    }
    /* The grid keys, with the column-major Direction. */
    pipit_tp_settings_t s;
    ASSERT_OK(pipit_tp_settings_from_params(p, "euler3d_zyx.txt", &s));
    CU_ASSERT_EQUAL(s.dim, 3);
    CU_ASSERT_EQUAL(s.size[0], 20);
    CU_ASSERT_EQUAL(s.size[2], 16);
    CU_ASSERT_EQUAL(s.spacing[2], 2.0);
    CU_ASSERT_EQUAL(s.origin[0], -5.0);
    CU_ASSERT_STRING_EQUAL(s.result_pixel_type, "short");
    pipit_params_unref(p);
    pipit_transform_unref(t);
}

static void
test_similarity3d(void)
{
    pipit_transform_t *t =
        read_ok(test_data("transform/handwritten/similarity3d.txt"), NULL);
    CU_ASSERT_STRING_EQUAL(pipit_transform_name(t), "SimilarityTransform");
    double x = 0.1, y = -0.05, z = 0.2, s = 1.1;
    double w = sqrt(1.0 - x * x - y * y - z * z);
    double r[9] = { 1 - 2 * (y * y + z * z), 2 * (x * y - z * w),
                    2 * (x * z + y * w),     2 * (x * y + z * w),
                    1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
                    2 * (x * z - y * w),     2 * (y * z + x * w),
                    1 - 2 * (x * x + y * y) };
    for (int i = 0; i < 9; i++)
        r[i] *= s;
    const double c[3] = { 1, 2, 3 }, tr[3] = { 1, 2, 3 };
    for (size_t i = 0; i < sizeof probe3 / sizeof probe3[0]; i++) {
        double got[3], want[3];
        pipit_transform_point(t, probe3[i], got);
        centred(3, r, c, tr, probe3[i], want);
        assert_near(got, want, 3, 1e-12);
    }
    pipit_transform_unref(t);
}

static void
test_bspline2d(void)
{
    pipit_params_t *p = NULL;
    pipit_transform_t *t =
        read_ok(test_data("transform/handwritten/bspline2d.txt"), &p);
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    CU_ASSERT_EQUAL(g->size[0], 5);
    CU_ASSERT_EQUAL(g->size[1], 4);
    /* Column-major 0.6 0.8 -0.8 0.6: the columns are the grid axes. */
    CU_ASSERT_EQUAL(g->direction[0], 0.6);
    CU_ASSERT_EQUAL(g->direction[1], -0.8);
    CU_ASSERT_EQUAL(g->direction[2], 0.8);
    CU_ASSERT_EQUAL(pipit_bspline_transform_order(t), 3);
    /* Control point (2, 1), parameter 1·5 + 2 = 7 of each axis, holds
     * (1.5, -0.5); points at grid index u displace by c·β(u0-2)β(u1-1). */
    const double us[][2] = { { 2, 1.5 }, { 1.2, 1.1 }, { 2.7, 1.9 },
                             { 1.0, 1.0 }, { 0.5, 1.5 }, { 2.99, 1.98 } };
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        /* x = origin + Dir · diag(spacing) · u */
        double su[2] = { 2 * us[i][0], 3 * us[i][1] }, x[2], got[2];
        x[0] = -1 + 0.6 * su[0] - 0.8 * su[1];
        x[1] = -2 + 0.8 * su[0] + 0.6 * su[1];
        pipit_transform_point(t, x, got);
        bool inside = us[i][0] >= 1 && us[i][0] < 3 && us[i][1] >= 1 &&
                      us[i][1] < 2;
        double w = inside ? beta3(us[i][0] - 2) * beta3(us[i][1] - 1) : 0;
        double want[2] = { x[0] + 1.5 * w, x[1] - 0.5 * w };
        assert_near(got, want, 2, 1e-12);
    }
    pipit_tp_settings_t s;
    ASSERT_OK(pipit_tp_settings_from_params(p, "bspline2d.txt", &s));
    CU_ASSERT_EQUAL(s.final_bspline_order, 0);
    CU_ASSERT_EQUAL(s.default_pixel_value, -1024.0);
    CU_ASSERT_STRING_EQUAL(s.result_format, "nii.gz");
    CU_ASSERT_STRING_EQUAL(s.result_pixel_type, "unsigned char");
    CU_ASSERT_TRUE(s.compress_result);
    /* Absent keys keep elastix's defaults. */
    CU_ASSERT_STRING_EQUAL(s.fixed_pixel_type, "float");
    pipit_params_unref(p);
    pipit_transform_unref(t);
}

/*
 * elastix 5.1's spelling and numbers, a chain of three files found
 * from their folder: translation, then Euler composed, then affine
 * added: T(x) = A(x) + E(x + t0) - x.
 */
static void
test_chain_51(void)
{
    pipit_params_t *p = NULL;
    pipit_transform_t *t =
        read_ok(test_data("transform/handwritten/chain51/affine.txt"), &p);
    CU_ASSERT_TRUE(pipit_transform_is_chain(t));
    CU_ASSERT_EQUAL(pipit_transform_chain_how(t), PIPIT_COMBINE_ADD);
    const pipit_transform_t *in = pipit_transform_chain_initial(t);
    CU_ASSERT_EQUAL(pipit_transform_chain_how(in), PIPIT_COMBINE_COMPOSE);
    CU_ASSERT_STRING_EQUAL(pipit_transform_name(t), "AffineTransform");
    const double t0[2] = { 0.1, -0.30000000000000004 };
    CU_ASSERT_EQUAL(
        pipit_transform_parameters(pipit_transform_chain_initial(in))[1],
        t0[1]); /* shortest round trip, read exactly */
    double th = 0.2617993877991494;
    const double re[4] = { cos(th), -sin(th), sin(th), cos(th) };
    const double ce[2] = { 12.3, -4.56 }, te[2] = { 1.25, -2.5 };
    const double ra[4] = { 1.01, 0.02, -0.03, 0.98 };
    const double ca[2] = { 1, 2 }, ta[2] = { 0.4, -0.7 };
    const double xs[][2] = { { 0, 0 }, { 12.3, -4.56 }, { -20, 35.5 },
                             { 7.125, 3 } };
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
        double y0[2] = { xs[i][0] + t0[0], xs[i][1] + t0[1] }, e[2], a[2];
        double got[2];
        centred(2, re, ce, te, y0, e);
        centred(2, ra, ca, ta, xs[i], a);
        double want[2] = { a[0] + e[0] - xs[i][0], a[1] + e[1] - xs[i][1] };
        pipit_transform_point(t, xs[i], got);
        assert_near(got, want, 2, 1e-12);
    }
    pipit_tp_settings_t s;
    ASSERT_OK(pipit_tp_settings_from_params(p, "affine.txt", &s));
    CU_ASSERT_EQUAL(s.spacing[1], 0.75);
    CU_ASSERT_EQUAL(s.origin[0], -3.25);
    pipit_params_unref(p);
    pipit_transform_unref(t);
}

/* ---- elastix 5.0.1's files, against transformix ------------------- */

typedef struct point_row {
    long index[3];
    double in[3], out[3];
} point_row_t;

/* Reads "name = [ a b c ]" after key in line. */
static bool
field(const char *line, const char *key, unsigned dim, double *v)
{
    const char *at = strstr(line, key);
    if (at == NULL || (at = strchr(at, '[')) == NULL)
        return false;
    at++;
    for (unsigned d = 0; d < dim; d++) {
        char *end;
        v[d] = strtod(at, &end);
        if (end == at)
            return false;
        at = end;
    }
    return true;
}

/* transformix's outputpoints.txt: up to max rows. */
static size_t
read_outputpoints(const char *path, unsigned dim, point_row_t *rows,
                  size_t max)
{
    FILE *fp = fopen(path, "r");
    char line[1024];
    size_t n = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    while (n < max && fgets(line, sizeof line, fp) != NULL) {
        double idx[3];
        if (!field(line, "InputIndex", dim, idx) ||
            !field(line, "InputPoint", dim, rows[n].in) ||
            !field(line, "OutputPoint", dim, rows[n].out))
            continue;
        for (unsigned d = 0; d < dim; d++)
            rows[n].index[d] = lround(idx[d]);
        n++;
    }
    fclose(fp);
    return n;
}

/*
 * transformix prints 6 decimals: our mapping of its input point must
 * agree to that rounding (and for index input, our index-to-point
 * conversion too, which checks Spacing, Origin and Direction).
 */
static void
check_against_transformix(const char *tp, const char *points, unsigned dim,
                          bool index_input)
{
    pipit_params_t *p = NULL;
    pipit_transform_t *t = read_ok(test_data(tp), &p);
    pipit_tp_settings_t s;
    point_row_t rows[16];
    size_t n = read_outputpoints(test_data(points), dim, rows, 16);
    CU_ASSERT_TRUE(n >= 7);
    ASSERT_OK(pipit_tp_settings_from_params(p, tp, &s));
    CU_ASSERT_EQUAL_FATAL(s.dim, dim);
    for (size_t i = 0; i < n; i++) {
        double x[3], got[3];
        memcpy(x, rows[i].in, sizeof x);
        if (index_input) {
            double v[3];
            for (unsigned d = 0; d < dim; d++)
                v[d] = s.spacing[d] * (double)rows[i].index[d];
            mat_vec(dim, s.direction, v, x);
            for (unsigned d = 0; d < dim; d++)
                x[d] += s.origin[d];
            assert_near(x, rows[i].in, dim, 6e-7);
        }
        pipit_transform_point(t, x, got);
        assert_near(got, rows[i].out, dim, 2e-6);
    }
    pipit_params_unref(p);
    pipit_transform_unref(t);
}

static void
test_elastix_files(void)
{
    static const struct {
        const char *tp, *points;
        unsigned dim;
        bool index_input;
    } cases[] = {
        { "transform/translation2d/TransformParameters.0.txt",
          "transform/translation2d/outputpoints.0.txt", 2, false },
        { "transform/chain2d/TransformParameters.0.txt",
          "transform/chain2d/outputpoints.0.txt", 2, false },
        { "transform/chain2d/TransformParameters.1.txt",
          "transform/chain2d/outputpoints.1.txt", 2, false },
        { "transform/chain2d/TransformParameters.2.txt",
          "transform/chain2d/outputpoints.2.txt", 2, false },
        { "transform/chain3d/TransformParameters.0.txt",
          "transform/chain3d/outputpoints.0.txt", 3, true },
        { "transform/chain3d/TransformParameters.1.txt",
          "transform/chain3d/outputpoints.1.txt", 3, true },
        { "transform/chain3d/TransformParameters.2.txt",
          "transform/chain3d/outputpoints.2.txt", 3, true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_against_transformix(cases[i].tp, cases[i].points,
                                  cases[i].dim, cases[i].index_input);
}

static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    CU_ASSERT_EQUAL_FATAL(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/*
 * Read elastix's files and write them back with its 6 decimals: the
 * text is elastix's to the byte, layout and numbers alike.
 */
static void
test_elastix_text(void)
{
    static const char *const files[] = {
        "transform/translation2d/TransformParameters.0.txt",
        "transform/chain2d/TransformParameters.0.txt",
        "transform/chain2d/TransformParameters.1.txt",
        "transform/chain2d/TransformParameters.2.txt",
        "transform/chain3d/TransformParameters.0.txt",
        "transform/chain3d/TransformParameters.2.txt",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        pipit_params_t *p = NULL, *q = NULL;
        pipit_transform_t *t = read_ok(test_data(files[i]), &p);
        pipit_tp_settings_t s;
        ASSERT_OK(pipit_tp_settings_from_params(p, files[i], &s));
        s.precision = 6;
        const char *init =
            pipit_params_value(p, "InitialTransformParametersFileName", 0);
        bool chain = pipit_transform_is_chain(t);
        ASSERT_OK(pipit_tp_to_params(
            chain ? pipit_transform_chain_current(t) : t,
            chain ? init : NULL, pipit_transform_chain_how(t), &s, &q));
        ASSERT_OK(pipit_tp_write_params(q, test_tmp("elastix_text.txt")));
        char *want = slurp(test_data(files[i]));
        char *got = slurp(test_tmp("elastix_text.txt"));
        CU_ASSERT_STRING_EQUAL(got, want);
        if (strcmp(got, want) != 0)
            fprintf(stderr, "\n%s differs:\n%s", files[i], got);
        free(want);
        free(got);
        pipit_params_unref(q);
        pipit_params_unref(p);
        pipit_transform_unref(t);
    }
}

/* ---- round trips -------------------------------------------------- */

/* Parameters no short decimal holds: only an exact writer keeps them. */
static void
awkward_parameters(pipit_transform_t *t, double scale)
{
    size_t n = pipit_transform_n_parameters(t);
    double *v = malloc(n * sizeof *v);
    const double *id = pipit_transform_parameters(t);
    for (size_t i = 0; i < n; i++)
        v[i] = id[i] + scale * sin(1.0 + (double)i) / 3.0 +
               (i % 5 == 4 ? 1e-9 / 7.0 : 0.0);
    ASSERT_OK(pipit_transform_set_parameters(t, v, n));
    free(v);
}

static pipit_transform_t *
make_kind(int k, unsigned dim)
{
    const double c[4] = { 1.0 / 3.0, -2.0 / 7.0, 5.1, 0 };
    pipit_transform_t *t = NULL;
    switch (k) {
    case 0:
        t = pipit_translation_transform_new(dim);
        break;
    case 1:
        t = pipit_euler_transform_new(dim, c);
        break;
    case 2:
        t = pipit_euler_transform_new(dim, c);
        if (dim == 3)
            ASSERT_OK(pipit_euler_transform_set_compute_zyx(t, true));
        break;
    case 3:
        t = pipit_similarity_transform_new(dim, c);
        break;
    case 4:
        t = pipit_affine_transform_new(dim, c);
        break;
    default: {
        pipit_bspline_grid_t g;
        pipit_bspline_grid_init(&g, dim);
        for (unsigned d = 0; d < dim; d++) {
            g.size[d] = 5 + d;
            g.spacing[d] = 2.5 + 0.1 / 3.0 * d;
            g.origin[d] = -3.0 - d / 7.0;
        }
        if (dim >= 2) { /* a rotation in the first two axes */
            double a = 0.3;
            g.direction[0] = cos(a), g.direction[1] = -sin(a);
            g.direction[dim] = sin(a), g.direction[dim + 1] = cos(a);
        }
        t = pipit_bspline_transform_new(dim, k == 5 ? 3 : k - 4, &g);
    }
    }
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    awkward_parameters(t, k == 3 ? 0.1 : 1.0);
    return t;
}

#define N_KINDS 8 /* translation, Euler, Euler ZYX, similarity, affine,
                     B-spline orders 3, 1, 2 */

static void
settings_for(pipit_tp_settings_t *s, unsigned dim)
{
    pipit_tp_settings_init(s, dim);
    for (unsigned d = 0; d < dim; d++) {
        s->size[d] = 9 + 2 * d;
        s->spacing[d] = 0.7 + d / 3.0;
        s->origin[d] = -4.0 / 3.0 + d;
    }
    double a = 0.25;
    s->direction[0] = cos(a), s->direction[1] = -sin(a);
    s->direction[dim] = sin(a), s->direction[dim + 1] = cos(a);
    s->default_pixel_value = -1.0 / 3.0;
}

static void
assert_same(const pipit_transform_t *a, const pipit_transform_t *b)
{
    CU_ASSERT_STRING_EQUAL(pipit_transform_name(a), pipit_transform_name(b));
    CU_ASSERT_EQUAL_FATAL(pipit_transform_is_chain(a),
                          pipit_transform_is_chain(b));
    if (pipit_transform_is_chain(a)) {
        CU_ASSERT_EQUAL(pipit_transform_chain_how(a),
                        pipit_transform_chain_how(b));
        assert_same(pipit_transform_chain_initial(a),
                    pipit_transform_chain_initial(b));
        assert_same(pipit_transform_chain_current(a),
                    pipit_transform_chain_current(b));
        return;
    }
    size_t n = pipit_transform_n_parameters(a);
    CU_ASSERT_EQUAL_FATAL(pipit_transform_n_parameters(b), n);
    CU_ASSERT_EQUAL(memcmp(pipit_transform_parameters(a),
                           pipit_transform_parameters(b),
                           n * sizeof(double)),
                    0);
    unsigned dim = pipit_transform_dim(a);
    if (pipit_transform_center(a) != NULL)
        CU_ASSERT_EQUAL(memcmp(pipit_transform_center(a),
                               pipit_transform_center(b),
                               dim * sizeof(double)),
                        0);
    if (strcmp(pipit_transform_name(a), "EulerTransform") == 0)
        CU_ASSERT_EQUAL(pipit_euler_transform_compute_zyx(a),
                        pipit_euler_transform_compute_zyx(b));
    const pipit_bspline_grid_t *ga = pipit_bspline_transform_grid(a);
    if (ga != NULL) {
        const pipit_bspline_grid_t *gb = pipit_bspline_transform_grid(b);
        CU_ASSERT_EQUAL(memcmp(ga, gb, sizeof *ga), 0);
        CU_ASSERT_EQUAL(pipit_bspline_transform_order(a),
                        pipit_bspline_transform_order(b));
    }
}

static void
round_trip(const pipit_transform_t *t, const pipit_tp_settings_t *s)
{
    const char *paths[3];
    size_t n = pipit_tp_n_links(t);
    CU_ASSERT_TRUE_FATAL(n >= 1 && n <= 3);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "round_trip.%zu.txt", i);
        paths[i] = test_tmp(name);
    }
    ASSERT_OK(pipit_tp_write(t, s, n, paths));
    pipit_params_t *p = NULL;
    pipit_transform_t *back = read_ok(paths[n - 1], &p);
    assert_same(t, back);
    /* Mapping: the same doubles in, the same doubles out. */
    unsigned dim = pipit_transform_dim(t);
    for (int i = 0; i < 5; i++) {
        double x[4], y1[4], y2[4];
        for (unsigned d = 0; d < dim; d++)
            x[d] = 1.7 * i - 2.0 + d * 0.9;
        pipit_transform_point(t, x, y1);
        pipit_transform_point(back, x, y2);
        CU_ASSERT_EQUAL(memcmp(y1, y2, dim * sizeof(double)), 0);
    }
    pipit_tp_settings_t r;
    ASSERT_OK(pipit_tp_settings_from_params(p, paths[n - 1], &r));
    r.precision = s->precision;
    CU_ASSERT_EQUAL(memcmp(&r, s, sizeof r), 0);
    pipit_params_unref(p);
    pipit_transform_unref(back);
}

static void
test_round_trip_kinds(void)
{
    for (unsigned dim = 2; dim <= 3; dim++)
        for (int k = 0; k < N_KINDS; k++) {
            pipit_tp_settings_t s;
            settings_for(&s, dim);
            pipit_transform_t *t = make_kind(k, dim);
            round_trip(t, &s);
            pipit_transform_unref(t);
        }
    /* 4-D, where the kinds allow it. */
    pipit_tp_settings_t s;
    settings_for(&s, 4);
    for (int k = 0; k < N_KINDS; k++) {
        if (k >= 1 && k <= 3)
            continue;
        pipit_transform_t *t = make_kind(k, 4);
        round_trip(t, &s);
        pipit_transform_unref(t);
    }
}

static void
test_round_trip_chains(void)
{
    pipit_tp_settings_t s;
    settings_for(&s, 3);
    pipit_transform_t *a = make_kind(0, 3), *b = make_kind(2, 3);
    pipit_transform_t *c = make_kind(5, 3), *d = make_kind(4, 3);
    for (int how1 = 0; how1 < 2; how1++)
        for (int how2 = 0; how2 < 2; how2++) {
            pipit_transform_t *ab = pipit_transform_chain_new(
                a, b, (pipit_combine_t)how1);
            pipit_transform_t *abc = pipit_transform_chain_new(
                ab, c, (pipit_combine_t)how2);
            round_trip(ab, &s);
            round_trip(abc, &s);
            pipit_transform_unref(abc);
            pipit_transform_unref(ab);
        }
    /* A composed chain as the current part flattens to three files. */
    pipit_transform_t *cd =
        pipit_transform_chain_new(c, d, PIPIT_COMBINE_COMPOSE);
    pipit_transform_t *t =
        pipit_transform_chain_new(a, cd, PIPIT_COMBINE_COMPOSE);
    CU_ASSERT_EQUAL(pipit_tp_n_links(t), 3);
    const char *paths[3] = { test_tmp("flat.0.txt"), test_tmp("flat.1.txt"),
                             test_tmp("flat.2.txt") };
    ASSERT_OK(pipit_tp_write(t, &s, 3, paths));
    pipit_transform_t *back = read_ok(paths[2], NULL);
    double x[3] = { 1.5, -2.25, 3 }, y1[3], y2[3];
    pipit_transform_point(t, x, y1);
    pipit_transform_point(back, x, y2);
    assert_near(y2, y1, 3, 1e-12);
    pipit_transform_unref(back);
    pipit_transform_unref(t);
    /* An added chain as the current part has no elastix files. */
    pipit_transform_t *cd_add =
        pipit_transform_chain_new(c, d, PIPIT_COMBINE_ADD);
    t = pipit_transform_chain_new(a, cd_add, PIPIT_COMBINE_COMPOSE);
    CU_ASSERT_EQUAL(pipit_tp_n_links(t), 0);
    ASSERT_FAILS_WITH(pipit_tp_write(t, &s, 3, paths), PIPIT_EUNSUPPORTED,
                      "chain");
    CU_ASSERT_EQUAL(pipit_tp_n_links(cd), 2);
    ASSERT_FAILS_WITH(pipit_tp_write(cd, &s, 3, paths), PIPIT_EINVAL,
                      "2 links");
    pipit_transform_unref(t);
    pipit_transform_unref(cd_add);
    pipit_transform_unref(cd);
    pipit_transform_unref(a);
    pipit_transform_unref(b);
    pipit_transform_unref(c);
    pipit_transform_unref(d);
}

/* Numbers: 5.0.1's fixed notation, exact or at a given precision. */
static void
test_number_format(void)
{
    pipit_tp_settings_t s;
    pipit_params_t *p = NULL;
    pipit_transform_t *t = pipit_translation_transform_new(2);
    const double v[2] = { 0.1, -1.0 / 3.0 };
    ASSERT_OK(pipit_transform_set_parameters(t, v, 2));
    settings_for(&s, 2);
    s.spacing[0] = 0.9;
    ASSERT_OK(pipit_tp_to_params(t, NULL, PIPIT_COMBINE_COMPOSE, &s, &p));
    CU_ASSERT_STRING_EQUAL(pipit_params_value(p, "TransformParameters", 0),
                           "0.100000");
    CU_ASSERT_STRING_EQUAL(pipit_params_value(p, "TransformParameters", 1),
                           "-0.3333333333333333");
    CU_ASSERT_STRING_EQUAL(pipit_params_value(p, "Spacing", 0),
                           "0.9000000000");
    CU_ASSERT_STRING_EQUAL(pipit_params_value(p, "DefaultPixelValue", 0),
                           "-0.3333333333333333");
    pipit_params_unref(p);
    s.precision = 3;
    ASSERT_OK(pipit_tp_to_params(t, NULL, PIPIT_COMBINE_COMPOSE, &s, &p));
    CU_ASSERT_STRING_EQUAL(pipit_params_value(p, "TransformParameters", 1),
                           "-0.333");
    CU_ASSERT_STRING_EQUAL(pipit_params_value(p, "Origin", 0),
                           "-1.3333333333");
    pipit_params_unref(p);
    /* Tiny and huge values still read back exactly. */
    const double w[2] = { 1e-300 / 3.0, 1.5e200 / 7.0 };
    ASSERT_OK(pipit_transform_set_parameters(t, w, 2));
    s.precision = -1;
    const char *path = test_tmp("numbers.txt");
    ASSERT_OK(pipit_tp_write(t, &s, 1, &path));
    pipit_transform_t *back = read_ok(path, NULL);
    CU_ASSERT_EQUAL(memcmp(pipit_transform_parameters(back), w, sizeof w),
                    0);
    pipit_transform_unref(back);
    pipit_transform_unref(t);
}

/* ---- errors -------------------------------------------------------- */

static const char good_head[] =
    "(FixedImageDimension 2)\n(MovingImageDimension 2)\n";

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs(text, fp);
    fclose(fp);
}

static void
assert_read_fails(const char *text, pipit_status_t st, const char *word)
{
    const char *path = test_tmp("bad.txt");
    pipit_transform_t *t = (pipit_transform_t *)1;
    pipit_params_t *p = (pipit_params_t *)1;
    write_file(path, text);
    pipit_status_t got = pipit_tp_read(path, &t, &p);
    ASSERT_FAILS_WITH(got, st, word);
    CU_ASSERT_PTR_NULL(t);
    CU_ASSERT_PTR_NULL(p);
    if (strstr(pipit_error_message(), word) == NULL || got != st)
        fprintf(stderr, "\nwanted %s '%s' in: %s\n", pipit_status_name(st),
                word, pipit_error_message());
    /* Every message names the file. */
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "bad.txt"));
}

static void
test_errors(void)
{
    static const struct {
        const char *body;
        pipit_status_t st;
        const char *word;
    } cases[] = {
        { "(Transform \"FooTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 2)\n",
          PIPIT_EINVAL, "'FooTransform' is not a transform pipit reads "
                        "(TranslationTransform, EulerTransform" },
        { "(Transform \"TranslationTransform\")\n(NumberOfParameters 3)\n"
          "(TransformParameters 1 2 3)\n",
          PIPIT_EFORMAT, "bad.txt:4: key 'NumberOfParameters' value 3, but "
                         "TranslationTransform in dimension 2 takes 2" },
        { "(Transform \"TranslationTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 2 3)\n",
          PIPIT_EFORMAT, "bad.txt:5: key 'TransformParameters' has 3 "
                         "values" },
        { "(NumberOfParameters 2)\n(TransformParameters 1 2)\n",
          PIPIT_EFORMAT, "key 'Transform' is missing" },
        { "(Transform \"TranslationTransform\")\n(TransformParameters 1 2)\n",
          PIPIT_EFORMAT, "key 'NumberOfParameters' is missing" },
        { "(Transform \"EulerTransform\")\n(NumberOfParameters 3)\n"
          "(TransformParameters 1 2 3)\n",
          PIPIT_EFORMAT, "key 'CenterOfRotationPoint' is missing" },
        { "(Transform \"EulerTransform\")\n(NumberOfParameters 3)\n"
          "(TransformParameters 1 2 3)\n(CenterOfRotationPoint 1 2 3)\n",
          PIPIT_EFORMAT, "'CenterOfRotationPoint' has 3 values, but "
                         "dimension 2 needs 2" },
        { "(Transform \"TranslationTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 abc)\n",
          PIPIT_EFORMAT, "bad.txt:5: parameter 'TransformParameters' "
                         "value 'abc'" },
        { "(Transform \"BSplineTransform\")\n(NumberOfParameters 8)\n"
          "(TransformParameters 1 2 3 4 5 6 7 8)\n(GridSize 2 3)\n",
          PIPIT_EFORMAT, "value 8, but BSplineTransform in dimension 2 "
                         "on this grid takes 12" },
        { "(Transform \"BSplineTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 2)\n(GridSize 1 1 1)\n",
          PIPIT_EFORMAT, "'GridSize' has 3 values" },
        { "(Transform \"BSplineTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 2)\n(UseCyclicTransform \"true\")\n",
          PIPIT_EFORMAT, "UseCyclicTransform \"true\" needs at least 4" },
        { "(Transform \"BSplineTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 2)\n(GridSpacing 1 0)\n",
          PIPIT_EFORMAT, "bad.txt" },
        { "(Transform \"TranslationTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 2)\n"
          "(InitialTransformParametersFileName \"nowhere.txt\")\n",
          PIPIT_EIO, "value 'nowhere.txt': no such file" },
        { "(Transform \"TranslationTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 2)\n"
          "(InitialTransformParametersFileName \"bad.txt\")\n",
          PIPIT_EFORMAT, "cycle" },
        { "(Transform \"TranslationTransform\")\n(NumberOfParameters 2)\n"
          "(TransformParameters 1 2)\n"
          "(InitialTransformParametersFileName \"a.txt\")\n"
          "(InitialTransformParameterFileName \"b.txt\")\n",
          PIPIT_EFORMAT, "differs from InitialTransformParametersFileName" },
    };
    char text[1024];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "%s%s", good_head, cases[i].body);
        assert_read_fails(text, cases[i].st, cases[i].word);
    }
    /* Dimensions that lie. */
    assert_read_fails("(FixedImageDimension 2)\n(Size 10 20 30)\n"
                      "(Transform \"TranslationTransform\")\n",
                      PIPIT_EFORMAT, "bad.txt:2: key 'Size' has 3 values, "
                                     "but dimension 2 needs 2");
    assert_read_fails("(FixedImageDimension 2)\n(Direction 1 0 0)\n",
                      PIPIT_EFORMAT, "'Direction' has 3 values, but "
                                     "dimension 2 needs 4");
    assert_read_fails("(FixedImageDimension 2)\n(Spacing 1 -1)\n",
                      PIPIT_EFORMAT, "'Spacing' value -1 is not positive");
    assert_read_fails("(FixedImageDimension 2)\n(UseDirectionCosines 1)\n",
                      PIPIT_EFORMAT, "not a boolean");
    assert_read_fails("(FixedImageDimension 3)\n(MovingImageDimension 2)\n"
                      "(Transform \"TranslationTransform\")\n",
                      PIPIT_EFORMAT, "bad.txt:2: key 'MovingImageDimension' "
                                     "value 2 differs");
    assert_read_fails("(Transform \"TranslationTransform\")\n", PIPIT_EFORMAT,
                      "key 'FixedImageDimension' is missing");
    assert_read_fails("(FixedImageDimension 7)\n", PIPIT_EFORMAT,
                      "dimensions 2 to 4");
    assert_read_fails("(FixedImageDimension 4)\n(Transform \"EulerTransform\")"
                      "\n",
                      PIPIT_EFORMAT, "dimension 2 or 3");
    assert_read_fails("not a parameter line\n", PIPIT_EFORMAT, "'('");
    /* A chain: a cycle of two files, and a dimension that changes. */
    write_file(test_tmp("cyc_a.txt"),
               "(FixedImageDimension 2)\n(Transform \"TranslationTransform\")"
               "\n(NumberOfParameters 2)\n(TransformParameters 1 2)\n"
               "(InitialTransformParametersFileName \"cyc_b.txt\")\n");
    write_file(test_tmp("cyc_b.txt"),
               "(FixedImageDimension 2)\n(Transform \"TranslationTransform\")"
               "\n(NumberOfParameters 2)\n(TransformParameters 1 2)\n"
               "(InitialTransformParametersFileName \"cyc_a.txt\")\n");
    write_file(test_tmp("dim3.txt"),
               "(FixedImageDimension 3)\n(Transform \"TranslationTransform\")"
               "\n(NumberOfParameters 3)\n(TransformParameters 1 2 3)\n");
    pipit_transform_t *t = NULL;
    ASSERT_FAILS_WITH(pipit_tp_read(test_tmp("cyc_a.txt"), &t, NULL),
                      PIPIT_EFORMAT, "cycle");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "cyc_b.txt"));
    snprintf(text, sizeof text,
             "%s(Transform \"TranslationTransform\")\n(NumberOfParameters 2)"
             "\n(TransformParameters 1 2)\n"
             "(InitialTransformParametersFileName \"%s\")\n",
             good_head, test_tmp("dim3.txt"));
    assert_read_fails(text, PIPIT_EFORMAT,
                      "but the initial transform has dimension 3");
    /* A missing file, and arguments. */
    ASSERT_FAILS_WITH(pipit_tp_read(test_tmp("absent.txt"), &t, NULL),
                      PIPIT_EIO, "absent.txt");
    CU_ASSERT_PTR_NULL(t);
    ASSERT_FAILS_WITH(pipit_tp_read(NULL, &t, NULL), PIPIT_EINVAL, "path");
    ASSERT_FAILS_WITH(pipit_tp_read("x", NULL, NULL), PIPIT_EINVAL,
                      "transform");
    /* Settings that do not fit the transform. */
    pipit_tp_settings_t s;
    pipit_params_t *p = NULL;
    settings_for(&s, 3);
    t = pipit_translation_transform_new(2);
    ASSERT_FAILS_WITH(pipit_tp_to_params(t, NULL, PIPIT_COMBINE_COMPOSE, &s,
                                         &p),
                      PIPIT_EINVAL, "dimension 2 on a grid of dimension 3");
    CU_ASSERT_PTR_NULL(p);
    const char *dir = test_tmp("no/such/folder/tp.txt");
    settings_for(&s, 2);
    ASSERT_FAILS_WITH(pipit_tp_write(t, &s, 1, &dir), PIPIT_EIO,
                      "no/such/folder/tp.txt");
    pipit_transform_unref(t);
}

/*
 * A relative initial path: from the working directory first (5.0.1),
 * then from the naming file's folder (5.1). Two candidate files with
 * different shifts tell which one was read.
 */
static void
test_relative_paths(void)
{
    static const char fmt[] =
        "(FixedImageDimension 2)\n(Transform \"TranslationTransform\")\n"
        "(NumberOfParameters 2)\n(TransformParameters %s)\n"
        "(InitialTransformParametersFileName \"%s\")\n";
    char text[512], cwd[4096];
    CU_ASSERT_FATAL(getcwd(cwd, sizeof cwd) != NULL);
    CU_ASSERT_EQUAL_FATAL(mkdir(test_tmp("rel"), 0777), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(test_tmp("rel/sub"), 0777), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(test_tmp("rel/sub/sub"), 0777), 0);
    snprintf(text, sizeof text, fmt, "0 0", "sub/init.txt");
    write_file(test_tmp("rel/sub/top.txt"), text);
    snprintf(text, sizeof text, fmt, "1 2", "NoInitialTransform");
    write_file(test_tmp("rel/sub/init.txt"), text);
    snprintf(text, sizeof text, fmt, "10 20", "NoInitialTransform");
    write_file(test_tmp("rel/sub/sub/init.txt"), text);
    const double x[2] = { 0, 0 };
    double y[2];
    /* From rel/: "sub/init.txt" exists there. */
    CU_ASSERT_EQUAL_FATAL(chdir(test_tmp("rel")), 0);
    pipit_transform_t *t = read_ok("sub/top.txt", NULL);
    pipit_transform_point(t, x, y);
    CU_ASSERT_EQUAL(y[0], 1.0);
    CU_ASSERT_EQUAL(y[1], 2.0);
    pipit_transform_unref(t);
    /* From /: only the folder of top.txt holds "sub/init.txt". */
    CU_ASSERT_EQUAL_FATAL(chdir("/"), 0);
    t = read_ok(test_tmp("rel/sub/top.txt"), NULL);
    pipit_transform_point(t, x, y);
    CU_ASSERT_EQUAL(y[0], 10.0);
    CU_ASSERT_EQUAL(y[1], 20.0);
    pipit_transform_unref(t);
    CU_ASSERT_EQUAL(chdir(cwd), 0);
}

/* elastix 5.0.1's binary parameters: raw doubles in a file beside. */
static void
test_binary_parameters(void)
{
    const double v[3] = { 0.1, -1.0 / 3.0, 2.5e-17 };
    FILE *fp = fopen(test_tmp("bin.txt.dat"), "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fwrite(v, sizeof(double), 3, fp);
    fclose(fp);
    static const char head[] =
        "(FixedImageDimension 3)\n(Transform \"TranslationTransform\")\n"
        "(UseBinaryFormatForTransformationParameters \"true\")\n";
    char text[512];
    snprintf(text, sizeof text,
             "%s(NumberOfParameters 3)\n(TransformParameters "
             "\"bin.txt.dat\")\n",
             head);
    write_file(test_tmp("bin.txt"), text);
    pipit_transform_t *t = read_ok(test_tmp("bin.txt"), NULL);
    CU_ASSERT_EQUAL(memcmp(pipit_transform_parameters(t), v, sizeof v), 0);
    pipit_transform_unref(t);
    /* The file holds fewer doubles than NumberOfParameters says. */
    snprintf(text, sizeof text,
             "%s(NumberOfParameters 3)\n(TransformParameters "
             "\"bin.txt.dat\" \"x\")\n",
             head);
    write_file(test_tmp("bin.txt"), text);
    ASSERT_FAILS_WITH(pipit_tp_read(test_tmp("bin.txt"), &t, NULL),
                      PIPIT_EFORMAT, "names one file");
    fp = fopen(test_tmp("bin.txt.dat"), "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fwrite(v, sizeof(double), 2, fp);
    fclose(fp);
    snprintf(text, sizeof text,
             "%s(NumberOfParameters 3)\n(TransformParameters "
             "\"bin.txt.dat\")\n",
             head);
    write_file(test_tmp("bin.txt"), text);
    ASSERT_FAILS_WITH(pipit_tp_read(test_tmp("bin.txt"), &t, NULL),
                      PIPIT_EFORMAT, "holds 2 parameters");
    CU_ASSERT_PTR_NULL(t);
}

/* Every allocation of a chain read and a chain write may fail. */
static pipit_status_t
oom_read(void *arg)
{
    pipit_transform_t *t = NULL;
    pipit_params_t *p = NULL;
    pipit_status_t st = pipit_tp_read(arg, &t, &p);
    CU_ASSERT_EQUAL(st == PIPIT_OK, t != NULL && p != NULL);
    pipit_transform_unref(t);
    pipit_params_unref(p);
    return st;
}

static pipit_status_t
oom_write(void *arg)
{
    const char *paths[3] = { test_tmp("oom.0.txt"), test_tmp("oom.1.txt"),
                             test_tmp("oom.2.txt") };
    pipit_tp_settings_t s;
    settings_for(&s, 2);
    return pipit_tp_write(arg, &s, pipit_tp_n_links(arg), paths);
}


static void
test_out_of_memory(void)
{
    const char *path = test_data("transform/handwritten/chain51/affine.txt");
    fail_each_allocation(oom_read, (void *)path);
    pipit_transform_t *t = read_ok(path, NULL);
    fail_each_allocation(oom_write, t);
    pipit_transform_unref(t);
}

/* ---- transformix reads our files ------------------------------------ */

static bool
have_transformix(void)
{
    static int have = -1;
    if (have < 0) {
        have = system("command -v transformix >/dev/null 2>&1") == 0;
        if (!have)
            fprintf(stderr, "\n  transformix is not installed: the tests "
                            "that run it are skipped\n");
    }
    return have == 1;
}

/* Runs transformix on tp; its outputs go to a fresh folder out. */
static bool
run_transformix(const char *tp, const char *def, const char *out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "rm -rf '%s' && mkdir '%s' && transformix -tp '%s' -def '%s' "
             "-out '%s' -threads 1 >/dev/null 2>&1",
             out, out, tp, def, out);
    int rc = system(cmd);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc != 0)
        fprintf(stderr, "\nfailed: %s\n", cmd);
    return rc == 0;
}

/* Points over and around the grid of settings_for. */
static size_t
write_points(const char *path, unsigned dim, double pts[][3])
{
    size_t n = 0;
    FILE *fp = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    for (int i = -1; i <= 11; i += 3)
        for (int j = -1; j <= 11; j += 4)
            for (int k = 0; k < (dim == 3 ? 3 : 1); k++) {
                pts[n][0] = 0.37 * i - 1.0;
                pts[n][1] = 0.61 * j - 0.5;
                pts[n][2] = 1.3 * k;
                n++;
            }
    fprintf(fp, "point\n%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        for (unsigned d = 0; d < dim; d++)
            fprintf(fp, "%.17g ", pts[i][d]);
        fputc('\n', fp);
    }
    fclose(fp);
    return n;
}

static void
check_transformix_points(const pipit_transform_t *t, const char *label)
{
    unsigned dim = pipit_transform_dim(t);
    size_t links = pipit_tp_n_links(t);
    const char *paths[3];
    char names[3][64];
    double pts[64][3];
    point_row_t rows[64];
    pipit_tp_settings_t s;
    settings_for(&s, dim);
    for (size_t i = 0; i < links; i++) {
        snprintf(names[i], sizeof names[i], "tx_%s.%zu.txt", label, i);
        paths[i] = test_tmp(names[i]);
    }
    ASSERT_OK(pipit_tp_write(t, &s, links, paths));
    const char *def = test_tmp("tx_points.txt");
    size_t n = write_points(def, dim, pts);
    if (!run_transformix(paths[links - 1], def, test_tmp("tx_out")))
        return;
    size_t got = read_outputpoints(test_tmp("tx_out/outputpoints.txt"), dim,
                                   rows, 64);
    CU_ASSERT_EQUAL(got, n);
    for (size_t i = 0; i < got && i < n; i++) {
        double y[3];
        pipit_transform_point(t, pts[i], y);
        /* transformix prints 6 decimals. */
        assert_near(rows[i].out, y, dim, 1.5e-6 * (1 + fabs(y[0])));
    }
}

static void
test_transformix_reads_ours(void)
{
    if (!have_transformix())
        return;
    /* All but similarity (3): Debian's 5.0.1 lacks it. */
    static const int kinds[] = { 0, 1, 2, 4, 5, 6, 7 };
    static const char *const labels[] = { "translation", "euler",
                                          "euler_zyx",   "affine",
                                          "bspline3",    "bspline1",
                                          "bspline2" };
    for (unsigned dim = 2; dim <= 3; dim++)
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            /* ZYX is a 3-D choice. */
            if (kinds[i] == 2 && dim == 2)
                continue;
            pipit_transform_t *t = make_kind(kinds[i], dim);
            check_transformix_points(t, labels[i]);
            pipit_transform_unref(t);
        }
    /* Chains of three files, composed and added. */
    pipit_transform_t *a = make_kind(0, 3), *b = make_kind(2, 3);
    pipit_transform_t *c = make_kind(5, 3);
    pipit_transform_t *ab = pipit_transform_chain_new(a, b,
                                                      PIPIT_COMBINE_COMPOSE);
    pipit_transform_t *abc = pipit_transform_chain_new(ab, c,
                                                       PIPIT_COMBINE_ADD);
    check_transformix_points(abc, "chain_add");
    pipit_transform_unref(abc);
    abc = pipit_transform_chain_new(ab, c, PIPIT_COMBINE_COMPOSE);
    check_transformix_points(abc, "chain_compose");
    pipit_transform_unref(abc);
    pipit_transform_unref(ab);
    ab = pipit_transform_chain_new(a, b, PIPIT_COMBINE_ADD);
    abc = pipit_transform_chain_new(ab, c, PIPIT_COMBINE_COMPOSE);
    check_transformix_points(abc, "chain_add_first");
    pipit_transform_unref(abc);
    pipit_transform_unref(ab);
    pipit_transform_unref(a);
    pipit_transform_unref(b);
    pipit_transform_unref(c);
}

/* The deformation field of a 2-D chain over the whole grid. */
static void
test_transformix_field(void)
{
    if (!have_transformix())
        return;
    pipit_transform_t *a = make_kind(4, 2), *b = make_kind(5, 2);
    pipit_transform_t *t = pipit_transform_chain_new(a, b,
                                                     PIPIT_COMBINE_COMPOSE);
    pipit_tp_settings_t s;
    settings_for(&s, 2);
    strcpy(s.result_format, "mha");
    const char *paths[2] = { test_tmp("field.0.txt"),
                             test_tmp("field.1.txt") };
    ASSERT_OK(pipit_tp_write(t, &s, 2, paths));
    if (!run_transformix(paths[1], "all", test_tmp("field_out")))
        goto done;
    pipit_image_t *img = NULL;
    ASSERT_OK(pipit_image_read(test_tmp("field_out/deformationField.mha"),
                               &img));
    CU_ASSERT_EQUAL(pipit_image_components(img), 2);
    CU_ASSERT_EQUAL(pipit_image_size(img)[0], s.size[0]);
    CU_ASSERT_EQUAL(pipit_image_size(img)[1], s.size[1]);
    const float *f = pipit_image_data(img);
    for (size_t j = 0; j < s.size[1]; j++)
        for (size_t i = 0; i < s.size[0]; i++) {
            double idx[2] = { (double)i, (double)j }, x[2], y[2];
            pipit_image_index_to_point(img, idx, x);
            pipit_transform_point(t, x, y);
            const float *v = f + 2 * (j * s.size[0] + i);
            /* Float pixels: 2^-23 relative, on displacements of ~10. */
            CU_ASSERT_DOUBLE_EQUAL(v[0], y[0] - x[0], 1e-5);
            CU_ASSERT_DOUBLE_EQUAL(v[1], y[1] - x[1], 1e-5);
        }
    pipit_image_unref(img);
done:
    pipit_transform_unref(t);
    pipit_transform_unref(a);
    pipit_transform_unref(b);
}

const test_case_t test_transform_file_cases[] = {
    { "euler3d_zyx", test_euler3d_zyx },
    { "similarity3d", test_similarity3d },
    { "bspline2d", test_bspline2d },
    { "chain_51", test_chain_51 },
    { "elastix_files", test_elastix_files },
    { "elastix_text", test_elastix_text },
    { "round_trip_kinds", test_round_trip_kinds },
    { "round_trip_chains", test_round_trip_chains },
    { "number_format", test_number_format },
    { "errors", test_errors },
    { "binary_parameters", test_binary_parameters },
    { "relative_paths", test_relative_paths },
    { "out_of_memory", test_out_of_memory },
    { "transformix_reads_ours", test_transformix_reads_ours },
    { "transformix_field", test_transformix_field },
    { NULL, NULL },
};

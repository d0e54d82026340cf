/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transform-invert: the inverse of the transform on input 1, as a
 * displacement field on the reference grid of input 0 (only its
 * geometry is read): out(y) = T⁻¹(y) - y, D components in world axes,
 * so that warp (or ITK's DisplacementFieldTransform) applies T⁻¹.
 *
 * Linear transforms (pipit_transform_get_matrix) are inverted exactly
 * (pipit_transform_inverse), and that inverse is also output 1, a
 * transform. Any other transform (a B-spline, a chain holding one) is
 * inverted voxel by voxel by a fixed-point iteration on T(y) = x:
 * Newton's map y ← y - J(y)⁻¹ (T(y) - x), J the spatial Jacobian, with
 * the step halved while it does not lower |T(y) - x| (up to `iterations`
 * steps, stopping under `tolerance`). It starts from the previous
 * voxel's displacement along the row (from y = x at a row's start), so
 * a voxel depends on its row alone and any thread count gives the same
 * bytes. Output 1 stays unset for these.
 *
 * The residual |T(x + u) - x| is measured with u as stored (after
 * rounding to the output type), so it bounds how far T composed with
 * the field is from the identity at the grid points. Output 2, a table:
 * residual-max, residual-mean (world units), iterations-max and
 * unconverged (voxels where the iteration ended above the tolerance,
 * before rounding), merged in piece order.
 * The figures cover the region the last update made: update the node
 * itself (as `pipit transform invert` does), not through a writer that
 * streams, for the whole grid's.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "smooth_impl.h"

#define MAXD PIPIT_MAX_DIM

typedef struct {
    pipit_node_t base;
    int64_t iterations;
    double tolerance;
    int type; /* 0 f32, 1 f64 */
    /* for the run */
    pipit_transform_t *inverse; /* linear inverse, or NULL */
    double sum, max, count, iters_max, unconverged;
} invert_t;

typedef struct {
    double sum, max, count, iters_max, unconverged;
} acc_t;

static const char *const type_choices[] = { "f32", "f64", NULL };

static pipit_status_t
invert_information(pipit_node_t *n)
{
    const invert_t *v = (const invert_t *)n;
    return pipit__field_information(n, v->type ? PIPIT_F64 : PIPIT_F32,
                                    pipit__input(n, 0)->dim);
}

static pipit_status_t
invert_before(pipit_node_t *n)
{
    invert_t *v = (invert_t *)n;
    pipit_transform_t *t = pipit__input_transform(n, 1);
    pipit_transform_unref(v->inverse);
    v->inverse = NULL;
    v->sum = v->max = v->count = v->iters_max = v->unconverged = 0.0;
    if (!(v->tolerance >= 0.0))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "tolerance %g: must be >= 0", v->tolerance);
    if (t == NULL) {
        t = pipit_translation_transform_new(pipit__input(n, 0)->dim);
        if (t == NULL)
            return PIPIT_ENOMEM;
        v->inverse = t;
        return PIPIT_OK;
    }
    if (pipit_transform_get_matrix(t, NULL, NULL)) {
        pipit_status_t st = pipit_transform_inverse(t, &v->inverse);
        if (st != PIPIT_OK)
            return pipit__node_error(n, st, "the linear transform has no "
                                            "inverse: %s",
                                     pipit_error_message());
    }
    return PIPIT_OK;
}

/* Solves a x = b (dim x dim, row-major; a and b are changed) by
 * elimination with partial pivoting; false when singular. */
static bool
solve(double *a, double *b, unsigned dim)
{
    for (unsigned c = 0; c < dim; c++) {
        unsigned p = c;
        for (unsigned r = c + 1; r < dim; r++)
            if (fabs(a[r * dim + c]) > fabs(a[p * dim + c]))
                p = r;
        if (!(fabs(a[p * dim + c]) > 1e-300))
            return false;
        if (p != c) {
            for (unsigned k = 0; k < dim; k++) {
                double t = a[c * dim + k];
                a[c * dim + k] = a[p * dim + k];
                a[p * dim + k] = t;
            }
            double t = b[c];
            b[c] = b[p];
            b[p] = t;
        }
        for (unsigned r = c + 1; r < dim; r++) {
            double f = a[r * dim + c] / a[c * dim + c];
            for (unsigned k = c; k < dim; k++)
                a[r * dim + k] -= f * a[c * dim + k];
            b[r] -= f * b[c];
        }
    }
    for (unsigned c = dim; c-- > 0;) {
        double s = b[c];
        for (unsigned k = c + 1; k < dim; k++)
            s -= a[c * dim + k] * b[k];
        b[c] = s / a[c * dim + c];
    }
    return true;
}

/* |T(y) - x| with r = T(y) - x stored. */
static double
residual(const pipit_transform_t *t, const double *y, const double *x,
         unsigned dim, double *r)
{
    double q[MAXD], s = 0.0;
    pipit_transform_point(t, y, q);
    for (unsigned d = 0; d < dim; d++) {
        r[d] = q[d] - x[d];
        s += r[d] * r[d];
    }
    return sqrt(s);
}

/* Newton's fixed-point iteration for T(y) = x from y; returns the steps
 * taken. */
static unsigned
newton(const pipit_transform_t *t, const double *x, double *y, unsigned dim,
       unsigned iterations, double tol)
{
    double r[MAXD];
    double e = residual(t, y, x, dim, r);
    unsigned it = 0;
    while (it < iterations && e > tol) {
        double j[MAXD * MAXD], step[MAXD], yn[MAXD], rn[MAXD];
        pipit_transform_spatial_jacobian(t, y, j);
        for (unsigned d = 0; d < dim; d++)
            step[d] = r[d];
        if (!solve(j, step, dim))
            memcpy(step, r, dim * sizeof *step); /* plain fixed point */
        it++;
        double en = INFINITY, f = 1.0;
        for (int halvings = 0; halvings < 12; halvings++, f *= 0.5) {
            for (unsigned d = 0; d < dim; d++)
                yn[d] = y[d] - f * step[d];
            en = residual(t, yn, x, dim, rn);
            if (en < e)
                break;
        }
        if (!(en < e))
            break; /* no step lowers the residual: keep the best */
        memcpy(y, yn, dim * sizeof *y);
        memcpy(r, rn, dim * sizeof *r);
        e = en;
    }
    return it;
}

static pipit_status_t
invert_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const invert_t *v = (const invert_t *)n;
    const pipit_transform_t *t = pipit__input_transform(n, 1);
    pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *g = &p->region;
    const unsigned dim = out->dim;
    const bool f64 = out->type == PIPIT_F64;
    const unsigned iters =
        v->iterations < 0 ? 0 : v->iterations > 100000 ? 100000
                                                       : (unsigned)v->iterations;
    acc_t *a = p->acc;
    for (size_t w = g->lo[3]; w < g->hi[3]; w++)
        for (size_t z = g->lo[2]; z < g->hi[2]; z++)
            for (size_t yy = g->lo[1]; yy < g->hi[1]; yy++) {
                char *row = pipit__at(out, g->lo[0], yy, z, w);
                double u[MAXD] = { 0.0 }; /* carried along the row */
                for (size_t x = g->lo[0]; x < g->hi[0]; x++) {
                    double ci[MAXD] = { (double)x, (double)yy, (double)z,
                                        (double)w };
                    double pt[MAXD], y[MAXD], r[MAXD];
                    pipit_image_index_to_point(out, ci, pt);
                    if (v->inverse != NULL) {
                        pipit_transform_point(v->inverse, pt, y);
                    } else {
                        for (unsigned d = 0; d < dim; d++)
                            y[d] = pt[d] + u[d];
                        unsigned it = newton(t, pt, y, dim, iters,
                                             v->tolerance);
                        if ((double)it > a->iters_max)
                            a->iters_max = (double)it;
                        if (!(residual(t, y, pt, dim, r) <= v->tolerance))
                            a->unconverged += 1.0;
                    }
                    char *px = row + (x - g->lo[0]) * out->pixel_bytes;
                    for (unsigned d = 0; d < dim; d++) {
                        u[d] = y[d] - pt[d];
                        if (f64) {
                            ((double *)(void *)px)[d] = u[d];
                        } else {
                            float s = (float)u[d];
                            ((float *)(void *)px)[d] = s;
                            u[d] = s;
                        }
                        y[d] = pt[d] + u[d];
                    }
                    double e = t != NULL ? residual(t, y, pt, dim, r)
                                         : sqrt(u[0] * u[0]);
                    a->sum += e;
                    a->count += 1.0;
                    if (e > a->max || isnan(e))
                        a->max = e;
                }
            }
    return PIPIT_OK;
}

static pipit_status_t
invert_merge(pipit_node_t *n, const void *acc, size_t index)
{
    (void)index;
    invert_t *v = (invert_t *)n;
    const acc_t *a = acc;
    v->sum += a->sum;
    v->count += a->count;
    if (a->max > v->max || isnan(a->max))
        v->max = a->max;
    if (a->iters_max > v->iters_max)
        v->iters_max = a->iters_max;
    v->unconverged += a->unconverged;
    return PIPIT_OK;
}

static pipit_status_t
invert_after(pipit_node_t *n)
{
    invert_t *v = (invert_t *)n;
    pipit_table_t *tab = pipit__output_table(n, 2);
    pipit_status_t st;
    if (v->inverse != NULL &&
        (st = pipit_node_set_output(n, 1, PIPIT_DATA(v->inverse))) !=
            PIPIT_OK)
        return st;
    const struct { const char *name; double value; } rows[] = {
        { "residual-max", v->max },
        { "residual-mean", v->count > 0.0 ? v->sum / v->count : 0.0 },
        { "iterations-max", v->iters_max },
        { "unconverged", v->unconverged },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if ((st = pipit_table_set_double(tab, rows[i].name, rows[i].value)) !=
            PIPIT_OK)
            return st;
    return PIPIT_OK;
}

static void
invert_finalize(pipit_node_t *n)
{
    invert_t *v = (invert_t *)n;
    pipit_transform_unref(v->inverse);
    v->inverse = NULL;
}

static const pipit_setting_t invert_settings[] = {
    { "iterations", PIPIT_SETTING_INT, offsetof(invert_t, iterations), "50",
      "most Newton steps per voxel (deformable transforms)", 0, 100000,
      NULL },
    { "tolerance", PIPIT_SETTING_DOUBLE, offsetof(invert_t, tolerance),
      "1e-6", "stop when |T(y) - x| is below this (world units)", 0, 1e300,
      NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(invert_t, type), "f32",
      "pixel type of the field's components", 1, 0, type_choices },
};

const pipit_node_class_t pipit__transform_invert_class = {
    .name = "transform-invert",
    .help = "the inverse of the transform on input 1 as a displacement "
            "field on the grid of input 0 (exact for linear transforms, "
            "also output 1; Newton fixed-point iteration otherwise), "
            "residual in the table on output 2",
    .size = sizeof(invert_t),
    .n_inputs = 2,
    .n_outputs = 3,
    .optional_inputs = 1u << 1,
    .input_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TRANSFORM },
    .output_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TRANSFORM,
                      PIPIT_DATA_TABLE },
    .settings = invert_settings,
    .n_settings = sizeof invert_settings / sizeof invert_settings[0],
    .acc_size = sizeof(acc_t),
    .information = invert_information,
    .request = pipit__field_request,
    .before = invert_before,
    .threaded = invert_threaded,
    .merge = invert_merge,
    .after = invert_after,
    .finalize = invert_finalize,
};

pipit_node_t *
pipit_transform_invert_new(void)
{
    return pipit_node_new(&pipit__transform_invert_class);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resample: ITK's ResampleImageFilter and elastix's resampler:
 *     out(x) = input(T(x))  for each voxel x of the output grid,
 * x and T(x) physical points, T any pipit transform on input 2 (a
 * constant transform, or an upstream node's transform output such as a
 * registration's; the identity when none is connected), the input read through the chosen interpolator (nearest,
 * linear, B-spline of order 0..5 with its prefilter); points outside the
 * input get default-value. The output grid is input 1's when a reference
 * image is connected, else the size / spacing / origin / direction
 * settings, else (size 0) the input's own grid.
 *
 * When T is affine, the output index maps to the input's continuous
 * index by one affine map c = M·i + b, evaluated per voxel from its row's
 * start (so any piece gives the same values); entries of M and b within
 * 1e-9 of an integer are rounded to it, so grid-aligned maps (the
 * identity, 90° rotations, integer shifts) sample exactly on voxels and
 * copy them bit for bit. The same map bounds the input region a piece
 * needs, so nearest and linear resampling stream; B-splines of order 2+
 * (their prefilter is global) and non-affine transforms ask for the
 * whole input. Output pixel type: `type` (default: the input's),
 * integers rounded to nearest and clamped.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "smooth_impl.h"


#define MAXD PIPIT_MAX_DIM

typedef struct {
    pipit_node_t base;
    double size[MAXD], spacing[MAXD], origin[MAXD];
    char *direction;
    int interp;
    int64_t order;
    double dflt;
    int out_type;
    /* Input 2 (borrowed for the run; NULL: the identity). */
    const pipit_transform_t *transform;
    /* From the information pass: the index map when affine. */
    bool affine;
    double m[MAXD * MAXD], b[MAXD];
    /* From before. */
    pipit_interpolator_t *ip;
    bool fast; /* the interpolator's 3-D f32 row path (affine only) */
    /* B-spline coefficients, kept for the next update (fresh pages cost
     * a fault each); the interpolator borrows them. */
    pipit__coef_cache_t coef;
    pipit__scratch_t scratch;
} resample_t;

/* ---- the output grid --------------------------------------------------- */

#define DIRECTION_TOL 1e-4

static pipit_status_t
parse_direction(const pipit_node_t *n, const char *text, unsigned dim,
                double *dir)
{
    for (unsigned i = 0; i < dim * dim; i++)
        dir[i] = i % (dim + 1) == 0 ? 1.0 : 0.0;
    if (text == NULL || *text == '\0')
        return PIPIT_OK;
    const char *p = text;
    for (unsigned i = 0; i < dim * dim; i++) {
        char *end;
        while (*p == ' ' || *p == ',')
            p++;
        dir[i] = strtod(p, &end);
        if (end == p || !isfinite(dir[i]))
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "direction '%s': needs %u numbers "
                                     "(row-major)",
                                     text, dim * dim);
        p = end;
    }
    while (*p == ' ' || *p == ',')
        p++;
    if (*p != '\0')
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "direction '%s': more than %u numbers",
                                 text, dim * dim);
    /* Direction cosines: the columns must be orthonormal, every entry of
     * D^T D within DIRECTION_TOL of the identity's (a scale or a shear
     * belongs in the spacing or the transform; 1e308 gave an all-zero
     * image). The tolerance admits cosines written to 4 digits. */
    for (unsigned a = 0; a < dim; a++)
        for (unsigned b = 0; b < dim; b++) {
            double dot = 0.0;
            for (unsigned k = 0; k < dim; k++)
                dot += dir[k * dim + a] * dir[k * dim + b];
            if (!(fabs(dot - (a == b ? 1.0 : 0.0)) <= DIRECTION_TOL))
                return pipit__node_error(n, PIPIT_EINVAL,
                                         "direction '%s': the columns are "
                                         "not orthonormal (column %u . "
                                         "column %u = %g; tolerance %g)",
                                         text, a, b, dot, DIRECTION_TOL);
        }
    return PIPIT_OK;
}

static pipit_status_t
grid_from_settings(resample_t *r, pipit_image_t *out, unsigned dim,
                   pipit_pixel_type_t type)
{
    pipit_node_t *n = &r->base;
    size_t size[MAXD];
    double dir[MAXD * MAXD];
    pipit_status_t st;
    for (unsigned d = 0; d < dim; d++) {
        if (!(r->size[d] >= 1.0) || r->size[d] != floor(r->size[d]) ||
            r->size[d] > 1e12)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "size %g on axis %u: must be a whole "
                                     "number >= 1",
                                     r->size[d], d);
        size[d] = (size_t)r->size[d];
        if (!(r->spacing[d] > 0.0))
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "spacing %g on axis %u: must be > 0",
                                     r->spacing[d], d);
    }
    if ((st = parse_direction(n, r->direction, dim, dir)) != PIPIT_OK)
        return st;
    if ((st = pipit__image_set_shape(out, dim, size, type, 1)) != PIPIT_OK ||
        (st = pipit_image_set_spacing(out, r->spacing)) != PIPIT_OK ||
        (st = pipit_image_set_origin(out, r->origin)) != PIPIT_OK ||
        (st = pipit_image_set_direction(out, dir)) != PIPIT_OK)
        pipit__error_prefix("%s", n->klass->name);
    return st;
}

/* ---- hooks ------------------------------------------------------------- */

static pipit_status_t
resample_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    resample_t *r = (resample_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *ref = pipit__input(n, 1);
    pipit_image_t *out = pipit__output(n, 0);
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    pipit_pixel_type_t type = pipit__output_type(r->out_type, in->type);
    r->transform = pipit__input_transform(n, 2);
    if (r->transform != NULL && pipit_transform_dim(r->transform) != in->dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the transform is %u-D but the image is "
                                 "%u-D",
                                 pipit_transform_dim(r->transform), in->dim);
    if (r->interp >= PIPIT__INTERP_BSPLINE && (r->order < 0 || r->order > 5))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "B-spline order %lld: must be 0..5",
                                 (long long)r->order);
    /* A direction is checked whenever given, and refused where it would
     * be ignored: it shapes only a grid made from the settings. */
    if (r->direction != NULL && r->direction[0] != '\0') {
        double dir[MAXD * MAXD];
        if ((st = parse_direction(n, r->direction, in->dim, dir)) !=
            PIPIT_OK)
            return st;
        if (ref != NULL || r->size[0] == 0.0)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "direction '%s' is set but the output "
                                     "grid is the %s's: set size too",
                                     r->direction,
                                     ref != NULL ? "reference" : "input");
    }
    if (ref != NULL) {
        if (ref->dim != in->dim)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "the reference image is %u-D but the "
                                     "input is %u-D",
                                     ref->dim, in->dim);
        st = pipit__image_set_shape(out, ref->dim, ref->size, type, 1);
        if (st == PIPIT_OK)
            st = pipit_image_copy_geometry(out, ref);
    } else if (r->size[0] == 0.0) {
        st = pipit__information_as(n, type, 1);
    } else {
        st = grid_from_settings(r, out, in->dim, type);
    }
    if (st != PIPIT_OK)
        return st;
    r->affine = pipit__index_map(r->transform, in, out, r->m, r->b);
    return PIPIT_OK;
}

/* True when the region a piece reads can be bounded by the index map. */
static bool
streams(const resample_t *r)
{
    return r->affine &&
           (r->interp <= PIPIT__INTERP_LINEAR || r->order <= 1);
}

static pipit_status_t
resample_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
                 pipit_region_t *needed)
{
    const resample_t *r = (const resample_t *)n;
    const pipit_image_t *in = pipit__input(n, input);
    pipit_region_t whole = pipit_image_largest_region(in);
    size_t one[MAXD] = { 1, 1, 1, 1 }, zero[MAXD] = { 0 };
    if (input == 1) {
        /* Only the reference's grid is used: ask for one voxel. */
        *needed = pipit_region_make(in->dim, zero, one);
        return PIPIT_OK;
    }
    if (!streams(r) || pipit_region_is_empty(asked)) {
        *needed = whole;
        return PIPIT_OK;
    }
    const unsigned dim = in->dim;
    double lo[MAXD], hi[MAXD];
    for (unsigned d = 0; d < dim; d++)
        lo[d] = INFINITY, hi[d] = -INFINITY;
    for (unsigned k = 0; k < (1u << dim); k++)
        for (unsigned d = 0; d < dim; d++) {
            double c = r->b[d];
            for (unsigned e = 0; e < dim; e++) {
                size_t i = (k >> e) & 1u ? asked->hi[e] - 1 : asked->lo[e];
                c += r->m[d * dim + e] * (double)i;
            }
            lo[d] = fmin(lo[d], c);
            hi[d] = fmax(hi[d], c);
        }
    *needed = whole;
    for (unsigned d = 0; d < dim; d++) {
        /* One voxel of margin for the linear neighbour and rounding. */
        double a = floor(lo[d]) - 1.0, z = ceil(hi[d]) + 2.0;
        if (!(a < (double)whole.hi[d]) || !(z > 0.0)) {
            /* Nothing of the input is seen: one voxel keeps every
             * interpolator happy and every point outside. */
            *needed = pipit_region_make(dim, zero, one);
            return PIPIT_OK;
        }
        needed->lo[d] = a <= 0.0 ? 0 : (size_t)a;
        needed->hi[d] = z >= (double)whole.hi[d] ? whole.hi[d] : (size_t)z;
    }
    return PIPIT_OK;
}

static void
release(resample_t *r)
{
    pipit_interpolator_unref(r->ip);
    r->ip = NULL;
    pipit__scratch_free(&r->scratch);
}

static pipit_status_t
resample_before(pipit_node_t *n)
{
    ((resample_t *)n)->transform = pipit__input_transform(n, 2);
    resample_t *r = (resample_t *)n;
    release(r);
    if (pipit_region_is_empty(&n->requested[0]))
        return PIPIT_OK;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_region_t *g = &n->requested[0];
    pipit_status_t st = pipit__interpolator_make(n, in, r->interp, r->order,
                                                 r->dflt, &r->coef, &r->ip);
    if (st != PIPIT_OK)
        return st;
    r->fast = r->affine && pipit__interpolator_row_f32_ok(r->ip);
    /* A row of values, then (non-affine) a row of continuous indices. */
    const size_t per_x = (1 + (size_t)in->dim) * sizeof(double);
    return pipit__scratch_init(&r->scratch, (g->hi[0] - g->lo[0]) * per_x);
}

static pipit_status_t
resample_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const resample_t *r = (const resample_t *)n;
    pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *g = &p->region;
    const unsigned dim = out->dim;
    double *vals = pipit__scratch_get(&r->scratch, p->worker);
    if (vals == NULL)
        return pipit__scratch_error(n, &r->scratch, p->worker);
    const bool fast = r->fast;
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            double idx[MAXD] = { 0.0, (double)y, (double)z, 0.0 };
            if (r->affine) {
                /* c(x) = base + step·x, base from this row alone. */
                double base[MAXD], step[MAXD];
                for (unsigned d = 0; d < dim; d++) {
                    double s = r->b[d];
                    for (unsigned e = 1; e < dim; e++)
                        s += r->m[d * dim + e] * idx[e];
                    base[d] = s;
                    step[d] = r->m[d * dim];
                }
                if (fast) {
                    /* float values: straight into an f32 output */
                    char *dst = pipit__at(out, g->lo[0], y, z, g->lo[3]);
                    float *f = out->type == PIPIT_F32
                                   ? (float *)(void *)dst
                                   : (float *)(void *)vals;
                    pipit__interpolator_row_f32(r->ip, base, step, g->lo[0],
                                                g->hi[0], f);
                    if (out->type != PIPIT_F32)
                        pipit__row_store_f32(f, g->hi[0] - g->lo[0], dst,
                                             out->type);
                    continue;
                } else {
                    pipit__interpolator_row(r->ip, base, step, g->lo[0],
                                            g->hi[0], vals);
                }
            } else {
                /* The row's indices after its values, one batch call. */
                const size_t width = g->hi[0] - g->lo[0];
                double *cs = vals + width;
                for (size_t x = g->lo[0]; x < g->hi[0]; x++) {
                    double pt[MAXD], q[MAXD];
                    idx[0] = (double)x;
                    pipit_image_index_to_point(out, idx, pt);
                    pipit_transform_point(r->transform, pt, q);
                    pipit_interpolator_point_to_index(
                        r->ip, q, cs + (x - g->lo[0]) * dim);
                }
                pipit_interpolator_evaluate_batch(r->ip, width, cs, vals,
                                                  NULL);
            }
            pipit__row_store_f64(vals, g->hi[0] - g->lo[0],
                                 pipit__at(out, g->lo[0], y, z, g->lo[3]),
                                 out->type);
        }
    return PIPIT_OK;
}

static pipit_status_t
resample_after(pipit_node_t *n)
{
    release((resample_t *)n);
    return PIPIT_OK;
}

static void
resample_finalize(pipit_node_t *n)
{
    resample_t *r = (resample_t *)n;
    release(r);
    pipit__coef_cache_free(&r->coef);
}

static const pipit_setting_t resample_settings[] = {
    { "size", PIPIT_SETTING_VECTOR, offsetof(resample_t, size), "0",
      "output size per axis; 0: the input's grid (or input 1's)", 0, 1e12,
      NULL },
    { "spacing", PIPIT_SETTING_VECTOR, offsetof(resample_t, spacing), "1",
      "output spacing per axis (with size)", 0, 1e300, NULL },
    { "origin", PIPIT_SETTING_VECTOR, offsetof(resample_t, origin), "0",
      "physical point of output voxel 0 (with size)", 1, 0, NULL },
    { "direction", PIPIT_SETTING_STRING, offsetof(resample_t, direction),
      "", "output direction cosines, row-major (with size; empty: "
          "identity)",
      1, 0, NULL },
    { "interpolator", PIPIT_SETTING_CHOICE, offsetof(resample_t, interp),
      "linear", "how the input is read between voxels", 1, 0,
      pipit__interpolator_choices },
    { "order", PIPIT_SETTING_INT, offsetof(resample_t, order), "3",
      "B-spline order 0..5 (bspline interpolators)", 0, 5, NULL },
    { "default-value", PIPIT_SETTING_DOUBLE, offsetof(resample_t, dflt), "0",
      "value of points outside the input", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(resample_t, out_type),
      "auto", "pixel type of the output (auto: the input's)", 1, 0,
      pipit__output_type_choices },
};

const pipit_node_class_t pipit__resample_class = {
    .name = "resample",
    .help = "out(x) = in(T(x)) on a new grid, any transform and "
            "interpolator (ITK ResampleImageFilter)",
    .size = sizeof(resample_t),
    .n_inputs = 3,
    .n_outputs = 1,
    .optional_inputs = 1u << 1 | 1u << 2,
    .input_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_IMAGE,
                     PIPIT_DATA_TRANSFORM },
    .settings = resample_settings,
    .n_settings = sizeof resample_settings / sizeof resample_settings[0],
    .information = resample_information,
    .request = resample_request,
    .before = resample_before,
    .threaded = resample_threaded,
    .after = resample_after,
    .finalize = resample_finalize,
};

pipit_node_t *
pipit_resample_new(void)
{
    return pipit_node_new(&pipit__resample_class);
}

pipit_status_t
pipit_resample_set_transform(pipit_node_t *n, pipit_transform_t *t)
{
    PIPIT_CHECK_ARG(n != NULL);
    if (n->klass != &pipit__resample_class)
        return pipit__error(PIPIT_EINVAL,
                            "pipit_resample_set_transform: node '%s' is not "
                            "a resample node",
                            n->klass->name);
    return pipit_node_set_input_transform(n, 2, t);
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * warp: ITK's WarpImageFilter: out(x) = input(x + d(x)), x the physical
 * point of an output voxel and d the displacement field on input 1 (dim
 * components per voxel, f32 or f64, physical units), whose grid is the
 * output grid. With a transform T on input 2 (a transform port: a
 * constant transform or an upstream node's output), out(x) =
 * input(T(x + d(x))): the displaced point is then mapped by T, as a
 * deformation followed by a registration's result. The input is read through the chosen interpolator
 * (default linear, as ITK); points outside it get default_value. The
 * field streams with the output; the input is asked for whole (where a
 * displacement points is not known before the field is read).
 *
 * The output-to-input index map of the identity is rounded as resample
 * does (filters/smooth_common.c), so a zero field on the input's own
 * grid copies the input bit for bit.
 */
#include <stddef.h>
#include <string.h>

#include "smooth_impl.h"

#define MAXD PIPIT_MAX_DIM

typedef struct {
    pipit_node_t base;
    int interp;
    int64_t order;
    double dflt;
    int out_type;
    /* From information: output index -> input index, and the input's
     * point-to-index matrix for the displacements. */
    double m[MAXD * MAXD], b[MAXD];
    /* From before. */
    pipit_interpolator_t *ip;
    pipit__scratch_t scratch;
} warp_t;

static pipit_status_t
warp_information(pipit_node_t *n)
{
    warp_t *w = (warp_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *field = pipit__input(n, 1);
    pipit_image_t *out = pipit__output(n, 0);
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    if (field->dim != in->dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the displacement field is %u-D but the "
                                 "image is %u-D",
                                 field->dim, in->dim);
    if (field->components != in->dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the displacement field has %u components "
                                 "per voxel; a %u-D warp needs %u",
                                 field->components, in->dim, in->dim);
    const pipit_transform_t *t = pipit__input_transform(n, 2);
    if (t != NULL && pipit_transform_dim(t) != in->dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the transform is %u-D but the image is "
                                 "%u-D",
                                 pipit_transform_dim(t), in->dim);
    if (field->type != PIPIT_F32 && field->type != PIPIT_F64)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the displacement field is %s; it must be "
                                 "f32 or f64",
                                 pipit_pixel_type_name(field->type));
    pipit_pixel_type_t type = pipit__output_type(w->out_type, in->type);
    st = pipit__image_set_shape(out, field->dim, field->size, type, 1);
    if (st == PIPIT_OK)
        st = pipit_image_copy_geometry(out, field);
    if (st == PIPIT_OK)
        pipit__index_map(NULL, in, out, w->m, w->b);
    return st;
}

static pipit_status_t
warp_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
             pipit_region_t *needed)
{
    pipit_region_t whole = pipit_image_largest_region(pipit__input(n, input));
    *needed = input == 0 ? whole : pipit_region_intersect(asked, &whole);
    return PIPIT_OK;
}

static void
release(warp_t *w)
{
    pipit_interpolator_unref(w->ip);
    w->ip = NULL;
    pipit__scratch_free(&w->scratch);
}

static pipit_status_t
warp_before(pipit_node_t *n)
{
    warp_t *w = (warp_t *)n;
    release(w);
    if (pipit_region_is_empty(&n->requested[0]))
        return PIPIT_OK;
    pipit_status_t st =
        pipit__interpolator_make(n, pipit__input(n, 0), w->interp, w->order,
                                 w->dflt, NULL, &w->ip);
    if (st != PIPIT_OK)
        return st;
    const pipit_region_t *g = &n->requested[0];
    /* A row of values, then a row of continuous indices. */
    const size_t per_x = (1 + (size_t)pipit__input(n, 0)->dim) * sizeof(double);
    return pipit__scratch_init(&w->scratch, (g->hi[0] - g->lo[0]) * per_x);
}

static pipit_status_t
warp_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const warp_t *w = (const warp_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_image_t *field = pipit__input(n, 1);
    pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *g = &p->region;
    const unsigned dim = out->dim;
    const bool f64 = field->type == PIPIT_F64;
    const pipit_transform_t *t = pipit__input_transform(n, 2);
    double *vals = pipit__scratch_get(&w->scratch, p->worker);
    if (vals == NULL)
        return pipit__scratch_error(n, &w->scratch, p->worker);
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            double idx[MAXD] = { 0.0, (double)y, (double)z, 0.0 };
            double base[MAXD], step[MAXD];
            for (unsigned d = 0; d < dim; d++) {
                double s = w->b[d];
                for (unsigned e = 1; e < dim; e++)
                    s += w->m[d * dim + e] * idx[e];
                base[d] = s;
                step[d] = w->m[d * dim];
            }
            const char *frow = pipit__at(field, g->lo[0], y, z, g->lo[3]);
            /* The row's indices after its values in the scratch, then
             * one batch call (lib/interpolator.c). */
            const size_t width = g->hi[0] - g->lo[0];
            double *cs = vals + width;
            for (size_t x = g->lo[0]; x < g->hi[0]; x++) {
                double disp[MAXD], dc[MAXD];
                double *c = cs + (x - g->lo[0]) * dim;
                const char *f = frow + (x - g->lo[0]) * field->pixel_bytes;
                for (unsigned d = 0; d < dim; d++)
                    disp[d] = f64 ? ((const double *)(const void *)f)[d]
                                  : ((const float *)(const void *)f)[d];
                if (t != NULL) {
                    /* c = index of T(x's point + d) */
                    double pt[MAXD], q[MAXD];
                    idx[0] = (double)x;
                    pipit_image_index_to_point(out, idx, pt);
                    for (unsigned d = 0; d < dim; d++)
                        pt[d] += disp[d];
                    pipit_transform_point(t, pt, q);
                    pipit_interpolator_point_to_index(w->ip, q, c);
                    continue;
                }
                /* c = index of (x's point + d): x's index through the
                 * grid map plus the displacement in input voxels. */
                for (unsigned d = 0; d < dim; d++) {
                    double s = 0.0;
                    for (unsigned e = 0; e < dim; e++)
                        s += in->to_index[d * dim + e] * disp[e];
                    dc[d] = s;
                }
                for (unsigned d = 0; d < dim; d++)
                    c[d] = (base[d] + step[d] * (double)x) + dc[d];
            }
            pipit_interpolator_evaluate_batch(w->ip, width, cs, vals, NULL);
            pipit__row_store_f64(vals, g->hi[0] - g->lo[0],
                                 pipit__at(out, g->lo[0], y, z, g->lo[3]),
                                 out->type);
        }
    return PIPIT_OK;
}

static pipit_status_t
warp_after(pipit_node_t *n)
{
    release((warp_t *)n);
    return PIPIT_OK;
}

static void
warp_finalize(pipit_node_t *n)
{
    release((warp_t *)n);
}

static const pipit_setting_t warp_settings[] = {
    { "interpolator", PIPIT_SETTING_CHOICE, offsetof(warp_t, interp),
      "linear", "how the input is read between voxels", 1, 0,
      pipit__interpolator_choices },
    { "order", PIPIT_SETTING_INT, offsetof(warp_t, order), "3",
      "B-spline order 0..5 (bspline interpolators)", 0, 5, NULL },
    { "default-value", PIPIT_SETTING_DOUBLE, offsetof(warp_t, dflt), "0",
      "value of points outside the input (ITK EdgePaddingValue)", 1, 0,
      NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(warp_t, out_type),
      "auto", "pixel type of the output (auto: the input's)", 1, 0,
      pipit__output_type_choices },
};

const pipit_node_class_t pipit__warp_class = {
    .name = "warp",
    .help = "out(x) = in(x + d(x)) with a displacement field on input 1, "
            "or in(T(x + d(x))) with a transform on input 2 (ITK "
            "WarpImageFilter)",
    .size = sizeof(warp_t),
    .n_inputs = 3,
    .n_outputs = 1,
    .optional_inputs = 1u << 2,
    .input_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_IMAGE,
                     PIPIT_DATA_TRANSFORM },
    .settings = warp_settings,
    .n_settings = sizeof warp_settings / sizeof warp_settings[0],
    .information = warp_information,
    .request = warp_request,
    .before = warp_before,
    .threaded = warp_threaded,
    .after = warp_after,
    .finalize = warp_finalize,
};

pipit_node_t *
pipit_warp_new(void)
{
    return pipit_node_new(&pipit__warp_class);
}

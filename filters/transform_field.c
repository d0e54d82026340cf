/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transform-field: a transform sampled on a grid, as ITK's
 * TransformToDisplacementFieldFilter and transformix's -def all, -jac
 * all and -jacmat all make it. The grid is the reference image's on
 * input 0 (only its geometry is read); the transform is on input 1 (a
 * transform port; the identity when unconnected). Setting `quantity`:
 *   displacement          D components, T(x) - x in world axes;
 *   jacobian-determinant  1 component, det(dT/dx);
 *   jacobian              D·D components, dT_r/dx_c row-major (r
 *                         slowest), as transformix's fullSpatialJacobian.
 * Pixels f32 (transformix's) or f64 (`type`). Each voxel depends on its
 * own point only, so pieces and thread counts give the same bytes.
 */
#include <math.h>
#include <stddef.h>

#include "smooth_impl.h"

#define MAXD PIPIT_MAX_DIM

enum { Q_DISPLACEMENT, Q_DETERMINANT, Q_JACOBIAN };

typedef struct {
    pipit_node_t base;
    int quantity;
    int type; /* 0 f32, 1 f64 */
} field_t;

static const char *const quantity_choices[] = {
    "displacement", "jacobian-determinant", "jacobian", NULL
};
static const char *const type_choices[] = { "f32", "f64", NULL };

/* det of a dim x dim row-major matrix, dim 1..4, by elimination with
 * partial pivoting (a copy is changed). */
static double
determinant(const double *m, unsigned dim)
{
    double a[MAXD * MAXD], det = 1.0;
    for (unsigned i = 0; i < dim * dim; i++)
        a[i] = m[i];
    if (dim == 2)
        return a[0] * a[3] - a[1] * a[2];
    if (dim == 3)
        return a[0] * (a[4] * a[8] - a[5] * a[7]) -
               a[1] * (a[3] * a[8] - a[5] * a[6]) +
               a[2] * (a[3] * a[7] - a[4] * a[6]);
    for (unsigned c = 0; c < dim; c++) {
        unsigned p = c;
        for (unsigned r = c + 1; r < dim; r++)
            if (fabs(a[r * dim + c]) > fabs(a[p * dim + c]))
                p = r;
        if (a[p * dim + c] == 0.0)
            return 0.0;
        if (p != c) {
            for (unsigned k = 0; k < dim; k++) {
                double t = a[c * dim + k];
                a[c * dim + k] = a[p * dim + k];
                a[p * dim + k] = t;
            }
            det = -det;
        }
        det *= a[c * dim + c];
        for (unsigned r = c + 1; r < dim; r++) {
            double f = a[r * dim + c] / a[c * dim + c];
            for (unsigned k = c; k < dim; k++)
                a[r * dim + k] -= f * a[c * dim + k];
        }
    }
    return det;
}

static unsigned
components(const field_t *f, unsigned dim)
{
    return f->quantity == Q_DISPLACEMENT ? dim
         : f->quantity == Q_DETERMINANT  ? 1
                                         : dim * dim;
}

pipit_status_t
pipit__field_information(pipit_node_t *n, pipit_pixel_type_t type,
                         unsigned components)
{
    const pipit_image_t *ref = pipit__input(n, 0);
    const pipit_transform_t *t = pipit__input_transform(n, 1);
    if (ref->dim < 2 || ref->dim > MAXD)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the reference image is %u-D: 2-D to %u-D "
                                 "only",
                                 ref->dim, MAXD);
    if (t != NULL && pipit_transform_dim(t) != ref->dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the transform is %u-D but the reference "
                                 "image is %u-D",
                                 pipit_transform_dim(t), ref->dim);
    pipit_image_t *out = pipit__output(n, 0);
    pipit_status_t st = pipit__image_set_shape(out, ref->dim, ref->size,
                                               type, components);
    return st != PIPIT_OK ? st : pipit_image_copy_geometry(out, ref);
}

pipit_status_t
pipit__field_request(pipit_node_t *n, unsigned input,
                     const pipit_region_t *asked, pipit_region_t *needed)
{
    (void)asked;
    const pipit_image_t *in = pipit__input(n, input);
    size_t one[MAXD] = { 1, 1, 1, 1 }, zero[MAXD] = { 0 };
    *needed = pipit_region_make(in->dim, zero, one);
    return PIPIT_OK;
}

static pipit_status_t
field_information(pipit_node_t *n)
{
    const field_t *f = (const field_t *)n;
    return pipit__field_information(
        n, f->type ? PIPIT_F64 : PIPIT_F32,
        components(f, pipit__input(n, 0)->dim));
}

static pipit_status_t
field_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const field_t *f = (const field_t *)n;
    const pipit_transform_t *t = pipit__input_transform(n, 1);
    pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *g = &p->region;
    const unsigned dim = out->dim, nc = components(f, dim);
    const bool f64 = out->type == PIPIT_F64;
    for (size_t w = g->lo[3]; w < g->hi[3]; w++)
        for (size_t z = g->lo[2]; z < g->hi[2]; z++)
            for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
                char *row = pipit__at(out, g->lo[0], y, z, w);
                for (size_t x = g->lo[0]; x < g->hi[0]; x++) {
                    double ci[MAXD] = { (double)x, (double)y, (double)z,
                                        (double)w };
                    double pt[MAXD], v[MAXD * MAXD];
                    pipit_image_index_to_point(out, ci, pt);
                    if (f->quantity == Q_DISPLACEMENT) {
                        double q[MAXD];
                        if (t != NULL)
                            pipit_transform_point(t, pt, q);
                        for (unsigned d = 0; d < dim; d++)
                            v[d] = t != NULL ? q[d] - pt[d] : 0.0;
                    } else {
                        double j[MAXD * MAXD];
                        if (t != NULL)
                            pipit_transform_spatial_jacobian(t, pt, j);
                        else
                            for (unsigned k = 0; k < dim * dim; k++)
                                j[k] = k % (dim + 1) == 0 ? 1.0 : 0.0;
                        if (f->quantity == Q_DETERMINANT)
                            v[0] = determinant(j, dim);
                        else
                            for (unsigned k = 0; k < dim * dim; k++)
                                v[k] = j[k];
                    }
                    char *px = row + (x - g->lo[0]) * out->pixel_bytes;
                    for (unsigned c = 0; c < nc; c++) {
                        if (f64)
                            ((double *)(void *)px)[c] = v[c];
                        else
                            ((float *)(void *)px)[c] = (float)v[c];
                    }
                }
            }
    return PIPIT_OK;
}

static const pipit_setting_t field_settings[] = {
    { "quantity", PIPIT_SETTING_CHOICE, offsetof(field_t, quantity),
      "displacement",
      "what is sampled: T(x) - x (D components), det(dT/dx), or dT/dx "
      "row-major (D*D components)",
      1, 0, quantity_choices },
    { "type", PIPIT_SETTING_CHOICE, offsetof(field_t, type), "f32",
      "pixel type of the components", 1, 0, type_choices },
};

const pipit_node_class_t pipit__transform_field_class = {
    .name = "transform-field",
    .help = "the transform on input 1 sampled on the reference grid of "
            "input 0: displacement T(x) - x, Jacobian determinant or "
            "full spatial Jacobian (ITK TransformToDisplacementFieldFilter, "
            "transformix -def/-jac/-jacmat all)",
    .size = sizeof(field_t),
    .n_inputs = 2,
    .n_outputs = 1,
    .optional_inputs = 1u << 1,
    .input_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TRANSFORM },
    .settings = field_settings,
    .n_settings = sizeof field_settings / sizeof field_settings[0],
    .information = field_information,
    .request = pipit__field_request,
    .threaded = field_threaded,
};

pipit_node_t *
pipit_transform_field_new(void)
{
    return pipit_node_new(&pipit__transform_field_class);
}

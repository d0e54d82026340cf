/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/reg_accuracy: how far a registration's transform is from the
 * truth, without outside tools.
 *
 * Reads two TransformParameters files (pipit_tp_read, which follows
 * InitialTransformParametersFileName chains and reads what elastix
 * 5.0.1 writes as well as what pipit writes) and the fixed image, and
 * over every voxel x of the fixed image computes
 * e(x) = T_found(x) - T_true(x) (physical, mm). It prints the RMS and
 * the maximum of |e| in mm and in voxels (e taken back through the
 * fixed image's direction and divided by its spacing, axis by axis).
 *
 * For 2-D transforms of the form T(x) = M x + o (translation, Euler,
 * similarity, affine and chains of those) it also prints the rotation
 * angle atan2(M10, M00) and the translation about the truth's centre
 * (t = T(c) - c; c the fixed image's geometric centre when the truth
 * has no centre) of both, and their differences: the figures issue 9
 * states its 2-D targets in (0.1 deg, 0.15 px).
 *
 * Output, one "key=value" token per figure so that scripts can pick:
 *   rms_mm=.. max_mm=.. rms_vox=.. max_vox=.. voxels=..
 *   [angle_deg=.. angle_true_deg=.. angle_err_deg=.. tx=.. ty=..
 *    tx_true=.. ty_true=.. t_err_px=..]
 *
 * Usage: bench/reg_accuracy FOUND.txt TRUTH.txt FIXED-IMAGE
 * Exit status 0, or 1 with a message when a file cannot be read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pipit.h>
#include <pipit/transform_file.h>

static int
fail(const char *what)
{
    fprintf(stderr, "reg_accuracy: %s: %s\n", what, pipit_error_message());
    return 1;
}

/* Sum and maximum over one row of voxels; rows are summed in order so
 * the figure is the same on every run. */
struct errsum {
    double sum_mm2, max_mm, sum_vox2, max_vox;
};

static void
voxel_error(const pipit_image_t *img, const pipit_transform_t *found,
            const pipit_transform_t *truth, const double *index,
            struct errsum *acc)
{
    unsigned dim = pipit_image_dim(img);
    const double *sp = pipit_image_spacing(img);
    const double *dir = pipit_image_direction(img);
    double x[PIPIT_MAX_DIM], a[PIPIT_MAX_DIM], b[PIPIT_MAX_DIM];
    pipit_image_index_to_point(img, index, x);
    pipit_transform_point(found, x, a);
    pipit_transform_point(truth, x, b);
    double mm2 = 0.0, vox2 = 0.0;
    for (unsigned r = 0; r < dim; r++)
        mm2 += (a[r] - b[r]) * (a[r] - b[r]);
    /* Index-space error: D^T e / spacing (D orthonormal). */
    for (unsigned c = 0; c < dim; c++) {
        double v = 0.0;
        for (unsigned r = 0; r < dim; r++)
            v += dir[r * dim + c] * (a[r] - b[r]);
        v /= sp[c];
        vox2 += v * v;
    }
    acc->sum_mm2 += mm2;
    acc->sum_vox2 += vox2;
    if (sqrt(mm2) > acc->max_mm)
        acc->max_mm = sqrt(mm2);
    if (sqrt(vox2) > acc->max_vox)
        acc->max_vox = sqrt(vox2);
}

/* Angle (degrees) and translation about c of a 2-D T(x) = M x + o. */
static bool
rigid_figures(const pipit_transform_t *t, const double *c, double *angle,
              double *tr)
{
    double m[4], o[2], y[2];
    if (!pipit_transform_get_matrix(t, m, o))
        return false;
    *angle = atan2(m[2], m[0]) * 180.0 / M_PI;
    pipit_transform_point(t, c, y);
    tr[0] = y[0] - c[0];
    tr[1] = y[1] - c[1];
    return true;
}

int
main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: reg_accuracy FOUND.txt TRUTH.txt FIXED\n");
        return 2;
    }
    pipit_transform_t *found = NULL, *truth = NULL;
    pipit_image_t *img = NULL;
    int rc = 1;
    if (pipit_tp_read(argv[1], &found, NULL) != PIPIT_OK) {
        rc = fail(argv[1]);
        goto done;
    }
    if (pipit_tp_read(argv[2], &truth, NULL) != PIPIT_OK) {
        rc = fail(argv[2]);
        goto done;
    }
    if (pipit_image_read(argv[3], &img) != PIPIT_OK) {
        rc = fail(argv[3]);
        goto done;
    }
    unsigned dim = pipit_image_dim(img);
    if (pipit_transform_dim(found) != dim || pipit_transform_dim(truth) != dim) {
        fprintf(stderr, "reg_accuracy: dimensions differ: found %u, truth %u, "
                "image %u\n", pipit_transform_dim(found),
                pipit_transform_dim(truth), dim);
        goto done;
    }
    const size_t *size = pipit_image_size(img);
    size_t nz = dim > 2 ? size[2] : 1, nt = dim > 3 ? size[3] : 1;
    struct errsum acc = { 0, 0, 0, 0 };
    size_t count = 0;
    double index[PIPIT_MAX_DIM] = { 0 };
    for (size_t t = 0; t < nt; t++)
        for (size_t z = 0; z < nz; z++)
            for (size_t y = 0; y < size[1]; y++)
                for (size_t x = 0; x < size[0]; x++) {
                    index[0] = (double)x;
                    index[1] = (double)y;
                    if (dim > 2)
                        index[2] = (double)z;
                    if (dim > 3)
                        index[3] = (double)t;
                    voxel_error(img, found, truth, index, &acc);
                    count++;
                }
    printf("rms_mm=%.6f max_mm=%.6f rms_vox=%.6f max_vox=%.6f voxels=%zu\n",
           sqrt(acc.sum_mm2 / (double)count), acc.max_mm,
           sqrt(acc.sum_vox2 / (double)count), acc.max_vox, count);

    if (dim == 2) {
        double c[2];
        const double *tc = pipit_transform_center(truth);
        if (tc != NULL && !pipit_transform_is_chain(truth)) {
            c[0] = tc[0];
            c[1] = tc[1];
        } else {
            double mid[2] = { 0.5 * (double)(size[0] - 1),
                              0.5 * (double)(size[1] - 1) };
            pipit_image_index_to_point(img, mid, c);
        }
        double af, at, tf[2], tt[2];
        if (rigid_figures(found, c, &af, tf) && rigid_figures(truth, c, &at, tt))
            printf("angle_deg=%.6f angle_true_deg=%.6f angle_err_deg=%.6f "
                   "tx=%.6f ty=%.6f tx_true=%.6f ty_true=%.6f "
                   "t_err_px=%.6f centre=%g,%g\n",
                   af, at, af - at, tf[0], tf[1], tt[0], tt[1],
                   hypot(tf[0] - tt[0], tf[1] - tt[1]), c[0], c[1]);
    }
    rc = 0;
done:
    pipit_image_unref(img);
    pipit_transform_unref(truth);
    pipit_transform_unref(found);
    return rc;
}

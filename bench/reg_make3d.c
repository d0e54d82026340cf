/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/reg_make3d: the 3-D affine registration case of issue 9 (item 8
 * and the bench), built with pipit's own nodes so that it needs no
 * outside tool and is the same on every machine.
 *
 * The fixed image is a smooth random texture (Gaussian noise smoothed
 * by a recursive Gaussian of 5 mm at 128^3, n/128 times that at n^3, so
 * that a smaller volume has as many features; rescaled to [0, 1000])
 * under a smooth ellipsoidal envelope that falls to 0 well inside the
 * box, as a scan's body does, so that the moving image's default value outside the
 * field of view does not make an edge. Spacing (1.0, 1.2, 1.5) mm,
 * origin (-64.5, 20.25, -100), identity direction: anisotropic and
 * off-origin on purpose, since those are what an index/point mix-up
 * gets wrong.
 *
 * The truth T is an AffineTransform about the fixed image's geometric
 * centre (what AutomaticTransformInitialization "GeometricalCenter"
 * picks, and the images share their grid, so elastix's initial
 * translation is 0): rotations of 4, -3 and 5 degrees, scales 1.05,
 * 0.96, 1.03, a shear of 0.04 and a translation of (3, -2.5, 4) mm.
 * Registration maps fixed points to moving points, moving(T(x)) =
 * fixed(x), so the moving image is the fixed one resampled through
 * T^-1 (cubic B-spline, default 0) on the same grid.
 *
 * With --rigid the truth is the rotations and the translation only
 * (scales 1, no shear): the case of the rigid presets (still written as
 * an AffineTransform, which bench/reg_accuracy compares point by point).
 *
 * Writes DIR/fixed.mha, DIR/moving.mha and DIR/truth.txt (T as an
 * elastix TransformParameters file, read by bench/reg_accuracy and by
 * transformix).
 *
 * Usage: bench/reg_make3d [--rigid] DIR [N | NX NY NZ]   (voxels per
 *        axis, 128; the texture's Gaussian scales with the mean of the
 *        three)
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pipit/pipit.h>
#include <pipit/transform_file.h>

#define SPACING "1.0,1.2,1.5"

static int
fail(const char *what)
{
    fprintf(stderr, "reg_make3d: %s: %s\n", what, pipit_error_message());
    return 1;
}

/* The envelope: 1 inside an ellipsoid of 0.62 of the half extent on
 * each axis, a smooth (cosine) fall to 0 at 0.85, 0 beyond. Depends on
 * the index only, so any piece gives the same bits. */
struct envelope {
    size_t n[3];
};

static pipit_status_t
envelope_fill(const pipit_image_t *image, const pipit_region_t *region,
              void *pixels, void *user)
{
    const struct envelope *e = user;
    const ptrdiff_t *st = pipit_image_strides(image);
    char *base = pixels;
    for (size_t z = region->lo[2]; z < region->hi[2]; z++)
        for (size_t y = region->lo[1]; y < region->hi[1]; y++) {
            float *row = (float *)(void *)(base
                + (ptrdiff_t)(z - region->lo[2]) * st[2]
                + (ptrdiff_t)(y - region->lo[1]) * st[1]);
            for (size_t x = region->lo[0]; x < region->hi[0]; x++) {
                double r2 = 0.0;
                const size_t idx[3] = { x, y, z };
                for (int d = 0; d < 3; d++) {
                    double h = 0.5 * (double)(e->n[d] - 1);
                    double u = ((double)idx[d] - h) / h;
                    r2 += u * u;
                }
                double r = sqrt(r2), w;
                if (r <= 0.62)
                    w = 1.0;
                else if (r >= 0.85)
                    w = 0.0;
                else
                    w = 0.5 * (1.0 + cos(M_PI * (r - 0.62) / 0.23));
                row[x - region->lo[0]] = (float)w;
            }
        }
    return PIPIT_OK;
}

/* A = R(z) R(y) R(x) S H: small rotations, scales and one shear (S H
 * the identity when rigid). */
static void
truth_matrix(double *a, bool rigid)
{
    const double deg = M_PI / 180.0;
    double ax = 4.0 * deg, ay = -3.0 * deg, az = 5.0 * deg;
    double rx[9] = { 1, 0, 0, 0, cos(ax), -sin(ax), 0, sin(ax), cos(ax) };
    double ry[9] = { cos(ay), 0, sin(ay), 0, 1, 0, -sin(ay), 0, cos(ay) };
    double rz[9] = { cos(az), -sin(az), 0, sin(az), cos(az), 0, 0, 0, 1 };
    double sh[9] = { 1.05, 0.04, 0, 0, 0.96, 0, 0, 0, 1.03 };
    if (rigid) {
        const double id[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
        memcpy(sh, id, sizeof sh);
    }
    double t1[9], t2[9];
    const double *m[4] = { rz, ry, rx, sh };
    memcpy(t1, m[0], sizeof t1);
    for (int k = 1; k < 4; k++) {
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++) {
                double s = 0.0;
                for (int i = 0; i < 3; i++)
                    s += t1[r * 3 + i] * m[k][i * 3 + c];
                t2[r * 3 + c] = s;
            }
        memcpy(t1, t2, sizeof t1);
    }
    memcpy(a, t1, sizeof t1);
}

static pipit_status_t
set_grid(pipit_node_t *src, const char *size)
{
    pipit_status_t st = pipit_node_set(src, "size", size);
    if (st == PIPIT_OK)
        st = pipit_node_set(src, "spacing", SPACING);
    if (st == PIPIT_OK)
        st = pipit_node_set(src, "origin", "-64.5,20.25,-100");
    return st;
}

int
main(int argc, char **argv)
{
    bool rigid = argc > 1 && strcmp(argv[1], "--rigid") == 0;
    if (rigid) {
        argv++;
        argc--;
    }
    if (argc != 2 && argc != 3 && argc != 5) {
        fprintf(stderr, "usage: reg_make3d [--rigid] DIR [N | NX NY NZ]\n");
        return 2;
    }
    const char *dir = argv[1];
    size_t size[3] = { 128, 128, 128 };
    for (int d = 0; d < 3 && argc > 2; d++) {
        const char *a = argv[argc == 3 ? 2 : 2 + d];
        size[d] = strtoul(a, NULL, 10);
        if (size[d] < 16 || size[d] > 1024) {
            fprintf(stderr, "reg_make3d: size %s: 16..1024\n", a);
            return 2;
        }
    }
    double mean_n = (double)(size[0] + size[1] + size[2]) / 3.0;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    char fixed_path[4096], moving_path[4096], truth_path[4096], size_txt[64];
    snprintf(fixed_path, sizeof fixed_path, "%s/fixed.mha", dir);
    snprintf(moving_path, sizeof moving_path, "%s/moving.mha", dir);
    snprintf(truth_path, sizeof truth_path, "%s/truth.txt", dir);
    snprintf(size_txt, sizeof size_txt, "%zu,%zu,%zu", size[0], size[1],
             size[2]);
    pipit_io_set_sync(false);

    struct envelope env = { { size[0], size[1], size[2] } };
    pipit_node_t *noise = pipit_noise_new(3, size, PIPIT_F32, 0.0, 1.0, 20240611);
    /* 5 mm at 128^3: the texture scales with the volume, so that a
     * smaller case has as many features. */
    pipit_node_t *smooth = pipit_smoothing_recursive_gaussian_new(
        5.0 * mean_n / 128.0);
    pipit_node_t *scale = pipit_rescale_intensity_new(0.0, 1000.0);
    pipit_node_t *shape = pipit_callback_source_new(3, size, PIPIT_F32, 1,
                                                    envelope_fill, &env);
    pipit_node_t *fixed = pipit_multiply_new(1.0);
    pipit_node_t *moving = pipit_resample_new();
    pipit_node_t *wf = pipit_writer_new(fixed_path);
    pipit_node_t *wm = pipit_writer_new(moving_path);
    pipit_transform_t *truth = NULL, *inverse = NULL;
    int rc = 1;
    if (!noise || !smooth || !scale || !shape || !fixed || !moving || !wf
        || !wm) {
        rc = fail("making the nodes");
        goto done;
    }
    if (set_grid(noise, size_txt) != PIPIT_OK
        || set_grid(shape, size_txt) != PIPIT_OK
        || pipit_node_set_input(smooth, 0, noise, 0) != PIPIT_OK
        || pipit_node_set_input(scale, 0, smooth, 0) != PIPIT_OK
        || pipit_node_set_input(fixed, 0, scale, 0) != PIPIT_OK
        || pipit_node_set_input(fixed, 1, shape, 0) != PIPIT_OK
        || pipit_node_set_input(moving, 0, fixed, 0) != PIPIT_OK
        || pipit_node_set(moving, "interpolator", "bspline") != PIPIT_OK
        || pipit_node_set(moving, "order", "3") != PIPIT_OK
        || pipit_node_set(moving, "default-value", "0") != PIPIT_OK
        || pipit_node_set_input(wf, 0, fixed, 0) != PIPIT_OK
        || pipit_node_set_input(wm, 0, moving, 0) != PIPIT_OK) {
        rc = fail("connecting the pipeline");
        goto done;
    }
    if (pipit_node_update_information(fixed) != PIPIT_OK) {
        rc = fail("fixed image information");
        goto done;
    }
    /* The centre: the fixed image's geometric centre, the world point
     * of continuous index (n - 1) / 2 (spec 7.8.1). */
    const pipit_image_t *fi = pipit_node_get_output(fixed, 0);
    double mid[3], centre[3];
    for (int d = 0; d < 3; d++)
        mid[d] = 0.5 * (double)(size[d] - 1);
    pipit_image_index_to_point(fi, mid, centre);

    truth = pipit_affine_transform_new(3, centre);
    if (truth == NULL) {
        rc = fail("truth transform");
        goto done;
    }
    double p[12];
    truth_matrix(p, rigid);
    p[9] = 3.0;
    p[10] = -2.5;
    p[11] = 4.0;
    if (pipit_transform_set_parameters(truth, p, 12) != PIPIT_OK
        || pipit_transform_inverse(truth, &inverse) != PIPIT_OK
        || pipit_resample_set_transform(moving, inverse) != PIPIT_OK) {
        rc = fail("truth transform");
        goto done;
    }
    if (pipit_node_update(wf) != PIPIT_OK) {
        rc = fail(fixed_path);
        goto done;
    }
    if (pipit_node_update(wm) != PIPIT_OK) {
        rc = fail(moving_path);
        goto done;
    }
    pipit_tp_settings_t s;
    if (pipit_tp_settings_from_image(&s, fi) != PIPIT_OK) {
        rc = fail("settings");
        goto done;
    }
    snprintf(s.result_pixel_type, sizeof s.result_pixel_type, "float");
    snprintf(s.result_format, sizeof s.result_format, "mha");
    const char *paths[1] = { truth_path };
    if (pipit_tp_write(truth, &s, 1, paths) != PIPIT_OK) {
        rc = fail(truth_path);
        goto done;
    }
    printf("%s %s %s: %zux%zux%zu, spacing (%s), centre (%g, %g, %g)\n",
           fixed_path, moving_path, truth_path, size[0], size[1], size[2],
           SPACING, centre[0],
           centre[1], centre[2]);
    rc = 0;
done:
    pipit_transform_unref(inverse);
    pipit_transform_unref(truth);
    pipit_node_unref(wm);
    pipit_node_unref(wf);
    pipit_node_unref(moving);
    pipit_node_unref(fixed);
    pipit_node_unref(shape);
    pipit_node_unref(scale);
    pipit_node_unref(smooth);
    pipit_node_unref(noise);
    return rc;
}

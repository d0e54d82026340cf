/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/reg_make3d_bspline: the 3-D B-spline registration case of issue
 * 10 (a pair with a known smooth deformation), built with pipit's own
 * nodes so that it needs no outside tool and is the same on every
 * machine.
 *
 * The moving image is a smooth random texture filling the whole box
 * (Gaussian noise smoothed by a recursive Gaussian of 5 mm at 128 voxels
 * per axis, scaled with the mean size, rescaled to [0, 1000]). Unlike
 * bench/reg_make3d there is no envelope: a deformable registration can
 * only recover the deformation where there is texture, and the accuracy
 * is measured over the whole image.
 *
 * The truth T is a cubic BSplineTransform whose control-point grid
 * spans the fixed image's extent in 5 intervals per axis (elastix's
 * layout: grid origin one grid spacing before the image origin, 8
 * points per axis). The coefficients of the 4 x 4 x 4 inner points are
 * uniform random in [-4, 4] mm per component (a fixed seed); those of
 * the two outer layers are 0, so the displacement dies away towards the
 * faces (at most about 0.7 mm there) and the moving image's outside
 * hardly enters. The largest displacement is about 3 mm; with 5
 * intervals of 24-38 mm the map has no folds.
 *
 * The fixed image is the moving one resampled through T itself (cubic
 * B-spline, default 0): fixed(x) = moving(T(x)), which is what
 * registration finds (fixed point to moving point), so no inverse is
 * needed.
 *
 * Spacing (1.0, 1.2, 1.5) mm, origin (-64.5, 20.25, -100), identity
 * direction, as bench/reg_make3d: anisotropic and off-origin on
 * purpose.
 *
 * Writes DIR/fixed.mha, DIR/moving.mha and DIR/truth.txt (T as an
 * elastix TransformParameters file: bench/reg_accuracy and transformix
 * read it).
 *
 * Usage: bench/reg_make3d_bspline DIR [N | NX NY NZ]   (default 128^3)
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pipit/pipit.h>
#include <pipit/transform_file.h>

static const double spacing[3] = { 1.0, 1.2, 1.5 };
static const double origin[3] = { -64.5, 20.25, -100.0 };

#define INTERVALS 5
#define AMPLITUDE_MM 4.0

static int
fail(const char *what)
{
    fprintf(stderr, "reg_make3d_bspline: %s: %s\n", what, pipit_error_message());
    return 1;
}

/* splitmix64: a fixed, portable sequence (rand() differs between C
 * libraries). */
static uint64_t
next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double
next_sym(uint64_t *s)
{
    return (double)(next_u64(s) >> 11) * 0x1.0p-52 - 1.0;
}

/* The truth: a cubic B-spline over the fixed grid of size n. */
static pipit_transform_t *
truth_new(const size_t *n)
{
    pipit_bspline_grid_t g;
    pipit_bspline_grid_init(&g, 3);
    for (int d = 0; d < 3; d++) {
        double extent = (double)(n[d] - 1) * spacing[d];
        g.spacing[d] = extent / INTERVALS;
        g.size[d] = INTERVALS + 3;
        g.index[d] = 0;
        g.origin[d] = origin[d] - g.spacing[d];
    }
    pipit_transform_t *t = pipit_bspline_transform_new(3, 3, &g);
    if (t == NULL)
        return NULL;
    size_t np = pipit_transform_n_parameters(t);
    size_t per_axis = np / 3;
    double *p = calloc(np, sizeof *p);
    if (p == NULL) {
        pipit_transform_unref(t);
        return NULL;
    }
    uint64_t seed = 20240612;
    for (size_t a = 0; a < 3; a++)
        for (size_t k = 0; k < g.size[2]; k++)
            for (size_t j = 0; j < g.size[1]; j++)
                for (size_t i = 0; i < g.size[0]; i++) {
                    /* draw for every point, so that the inner values do
                     * not depend on which layers are zeroed */
                    double v = AMPLITUDE_MM * next_sym(&seed);
                    bool inner = i >= 2 && i + 2 < g.size[0] && j >= 2
                                 && j + 2 < g.size[1] && k >= 2
                                 && k + 2 < g.size[2];
                    size_t lin = (k * g.size[1] + j) * g.size[0] + i;
                    p[a * per_axis + lin] = inner ? v : 0.0;
                }
    pipit_status_t st = pipit_transform_set_parameters(t, p, np);
    free(p);
    if (st != PIPIT_OK) {
        pipit_transform_unref(t);
        return NULL;
    }
    return t;
}

static pipit_status_t
set_grid(pipit_node_t *src, const char *size)
{
    char sp[128], org[128];
    snprintf(sp, sizeof sp, "%g,%g,%g", spacing[0], spacing[1], spacing[2]);
    snprintf(org, sizeof org, "%g,%g,%g", origin[0], origin[1], origin[2]);
    pipit_status_t st = pipit_node_set(src, "size", size);
    if (st == PIPIT_OK)
        st = pipit_node_set(src, "spacing", sp);
    if (st == PIPIT_OK)
        st = pipit_node_set(src, "origin", org);
    return st;
}

static bool
parse_size(const char *s, size_t *out)
{
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (*end != '\0' || v < 16 || v > 1024) {
        fprintf(stderr, "reg_make3d_bspline: size %s: 16..1024\n", s);
        return false;
    }
    *out = v;
    return true;
}

int
main(int argc, char **argv)
{
    size_t n[3] = { 128, 128, 128 };
    if (argc == 3) {
        if (!parse_size(argv[2], &n[0]))
            return 2;
        n[1] = n[2] = n[0];
    } else if (argc == 5) {
        for (int d = 0; d < 3; d++)
            if (!parse_size(argv[2 + d], &n[d]))
                return 2;
    } else if (argc != 2) {
        fprintf(stderr, "usage: reg_make3d_bspline DIR [N | NX NY NZ]\n");
        return 2;
    }
    const char *dir = argv[1];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    char fixed_path[4096], moving_path[4096], truth_path[4096], size_txt[64];
    snprintf(fixed_path, sizeof fixed_path, "%s/fixed.mha", dir);
    snprintf(moving_path, sizeof moving_path, "%s/moving.mha", dir);
    snprintf(truth_path, sizeof truth_path, "%s/truth.txt", dir);
    snprintf(size_txt, sizeof size_txt, "%zu,%zu,%zu", n[0], n[1], n[2]);
    pipit_io_set_sync(false);

    double mean_n = (double)(n[0] + n[1] + n[2]) / 3.0;
    pipit_node_t *noise = pipit_noise_new(3, n, PIPIT_F32, 0.0, 1.0, 20240612);
    pipit_node_t *smooth = pipit_smoothing_recursive_gaussian_new(
        5.0 * mean_n / 128.0);
    pipit_node_t *moving = pipit_rescale_intensity_new(0.0, 1000.0);
    pipit_node_t *fixed = pipit_resample_new();
    pipit_node_t *wf = pipit_writer_new(fixed_path);
    pipit_node_t *wm = pipit_writer_new(moving_path);
    pipit_transform_t *truth = NULL;
    int rc = 1;
    if (!noise || !smooth || !moving || !fixed || !wf || !wm) {
        rc = fail("making the nodes");
        goto done;
    }
    truth = truth_new(n);
    if (truth == NULL) {
        rc = fail("truth transform");
        goto done;
    }
    if (set_grid(noise, size_txt) != PIPIT_OK
        || pipit_node_set_input(smooth, 0, noise, 0) != PIPIT_OK
        || pipit_node_set_input(moving, 0, smooth, 0) != PIPIT_OK
        || pipit_node_set_input(fixed, 0, moving, 0) != PIPIT_OK
        || pipit_node_set(fixed, "interpolator", "bspline") != PIPIT_OK
        || pipit_node_set(fixed, "order", "3") != PIPIT_OK
        || pipit_node_set(fixed, "default-value", "0") != PIPIT_OK
        || pipit_resample_set_transform(fixed, truth) != PIPIT_OK
        || pipit_node_set_input(wf, 0, fixed, 0) != PIPIT_OK
        || pipit_node_set_input(wm, 0, moving, 0) != PIPIT_OK) {
        rc = fail("connecting the pipeline");
        goto done;
    }
    if (pipit_node_update(wm) != PIPIT_OK) {
        rc = fail(moving_path);
        goto done;
    }
    if (pipit_node_update(wf) != PIPIT_OK) {
        rc = fail(fixed_path);
        goto done;
    }
    const pipit_image_t *fi = pipit_node_get_output(fixed, 0);
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
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(truth);
    printf("%s %s %s: %zux%zux%zu, spacing (%g, %g, %g), B-spline grid "
           "%zux%zux%zu of (%g, %g, %g) mm\n",
           fixed_path, moving_path, truth_path, n[0], n[1], n[2],
           spacing[0], spacing[1], spacing[2], g->size[0], g->size[1],
           g->size[2], g->spacing[0], g->spacing[1], g->spacing[2]);
    rc = 0;
done:
    pipit_transform_unref(truth);
    pipit_node_unref(wm);
    pipit_node_unref(wf);
    pipit_node_unref(fixed);
    pipit_node_unref(moving);
    pipit_node_unref(smooth);
    pipit_node_unref(noise);
    return rc;
}

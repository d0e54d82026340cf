/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/filters: the neighbourhood and resampling filters on a 256^3 f32
 * image, beside memcpy of the same 64 MiB for scale. Each line gives the
 * median time of a full update (the node marked modified before each
 * run) and output voxels per second. bench/itk_filters prints the same
 * names for ITK's equivalents; bench/run-filters.sh puts them side by
 * side.
 *
 * Usage: bench/filters [threads [repeats [size [name...]]]]
 *        (defaults 2, 5, 256; names: run only those lines)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pipit.h>
#include <pipit/transform.h>

#include "bench.h"

/* The test image, the same formula as bench/itk_filters.cxx. */
static pipit_image_t *
make_image(size_t n)
{
    size_t size[3] = { n, n, n };
    pipit_image_t *img = pipit_image_new(3, size, PIPIT_F32, 1);
    if (img == NULL)
        return NULL;
    float *p = pipit_image_data_writable(img);
    uint32_t state = 12345u;
    for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++) {
                state = state * 1664525u + 1013904223u;
                double noise = (double)(state >> 8) / 16777216.0 - 0.5;
                *p++ = (float)(100.0 + 50.0 * sin(x / 7.0) * cos(y / 11.0) +
                               30.0 * sin(z / 5.0 + x / 13.0) + 20.0 * noise);
            }
    return img;
}

/* A smooth displacement field of about 2 voxels on the image's grid. */
static pipit_image_t *
make_field(size_t n)
{
    size_t size[3] = { n, n, n };
    pipit_image_t *f = pipit_image_new(3, size, PIPIT_F32, 3);
    if (f == NULL)
        return NULL;
    float *p = pipit_image_data_writable(f);
    for (size_t z = 0; z < n; z++)
        for (size_t y = 0; y < n; y++)
            for (size_t x = 0; x < n; x++) {
                *p++ = (float)(2.0 * sin(y / 20.0));
                *p++ = (float)(2.0 * cos(x / 25.0));
                *p++ = (float)(1.5 * sin(z / 15.0));
            }
    return f;
}

/* 10° about z, then 5° about x, scaled by 1.05, about the centre, and
 * shifted by (3, -2, 1.5): the same numbers as bench/itk_filters.cxx. */
static pipit_transform_t *
make_affine(size_t n)
{
    double c = 0.5 * (double)(n - 1), center[3] = { c, c, c };
    double a = 10.0 * M_PI / 180.0, b = 5.0 * M_PI / 180.0, s = 1.05;
    double rz[9] = { cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1 };
    double rx[9] = { 1, 0, 0, 0, cos(b), -sin(b), 0, sin(b), cos(b) };
    double p[12];
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++) {
            double v = 0;
            for (int j = 0; j < 3; j++)
                v += rx[r * 3 + j] * rz[j * 3 + k];
            p[r * 3 + k] = s * v;
        }
    p[9] = 3.0, p[10] = -2.0, p[11] = 1.5;
    pipit_transform_t *t = pipit_affine_transform_new(3, center);
    if (t != NULL && pipit_transform_set_parameters(t, p, 12) != PIPIT_OK) {
        pipit_transform_unref(t);
        t = NULL;
    }
    return t;
}

typedef struct {
    const char *name;
    const char *klass;          /* registry name */
    const char *settings[4][2]; /* name, value; NULL-terminated */
    int input1;                 /* 1: the displacement field on input 1 */
    int transform;              /* 1: the affine transform */
} line_t;

static const line_t lines[] = {
    { "discrete_gaussian_var4", "discrete-gaussian", { { "variance", "4" } },
      0, 0 },
    { "recursive_gaussian_sigma2_x", "recursive-gaussian",
      { { "sigma", "2" }, { "direction", "0" } }, 0, 0 },
    { "recursive_gaussian_sigma2_z", "recursive-gaussian",
      { { "sigma", "2" }, { "direction", "2" } }, 0, 0 },
    { "smoothing_recursive_gaussian_sigma2", "smoothing-recursive-gaussian",
      { { "sigma", "2" } }, 0, 0 },
    { "mean_r1", "mean", { { "radius", "1" } }, 0, 0 },
    { "median_r1", "median", { { "radius", "1" } }, 0, 0 },
    { "gradient_magnitude", "gradient-magnitude", { { NULL } }, 0, 0 },
    { "gradient", "gradient", { { NULL } }, 0, 0 },
    { "gradient_magnitude_recursive_gaussian_sigma2",
      "gradient-magnitude-recursive-gaussian", { { "sigma", "2" } }, 0, 0 },
    { "laplacian", "laplacian", { { NULL } }, 0, 0 },
    { "resample_affine_nearest", "resample",
      { { "interpolator", "nearest" } }, 0, 1 },
    { "resample_affine_linear", "resample", { { "interpolator", "linear" } },
      0, 1 },
    { "resample_affine_bspline3", "resample",
      { { "interpolator", "bspline" }, { "order", "3" } }, 0, 1 },
    { "warp_linear", "warp", { { "interpolator", "linear" } }, 1, 0 },
    { "pyramid_smoothing_level0_of_4", "pyramid",
      { { "type", "smoothing" }, { "levels", "4" }, { "level", "0" } }, 0,
      0 },
    { "pyramid_recursive_level0_of_4", "pyramid",
      { { "type", "recursive" }, { "levels", "4" }, { "level", "0" } }, 0,
      0 },
    { "pyramid_shrinking_level0_of_4", "pyramid",
      { { "type", "shrinking" }, { "levels", "4" }, { "level", "0" } }, 0,
      0 },
    /* another engineer's filter, for ITK's BinaryThreshold line */
    { "binary_threshold", "binary-threshold",
      { { "lower", "100" }, { "upper", "150" } }, 0, 0 },
    /* the pointwise, reduction and pixel-moving filters; input1 2: the
     * image itself on input 1 */
    { "cast_u8", "cast", { { "type", "u8" } }, 0, 0 },
    { "shift_scale", "shift-scale", { { "shift", "3" }, { "scale", "0.5" } },
      0, 0 },
    { "rescale_intensity", "rescale-intensity", { { NULL } }, 0, 0 },
    { "clamp", "clamp", { { "lower", "50" }, { "upper", "150" } }, 0, 0 },
    { "threshold", "threshold", { { "lower", "50" }, { "upper", "150" } }, 0,
      0 },
    { "otsu_threshold", "otsu-threshold", { { NULL } }, 0, 0 },
    { "abs", "abs", { { NULL } }, 0, 0 },
    { "sqrt", "sqrt", { { NULL } }, 0, 0 },
    { "add_images", "add", { { NULL } }, 2, 0 },
    { "multiply_constant", "multiply", { { "constant", "0.5" } }, 0, 0 },
    { "divide_images", "divide", { { NULL } }, 2, 0 },
    { "maximum_images", "maximum", { { NULL } }, 2, 0 },
    { "statistics", "statistics", { { NULL } }, 0, 0 },
    { "histogram_256", "histogram", { { NULL } }, 0, 0 },
    { "flip_x", "flip", { { "axes", "1,0,0" } }, 0, 0 },
    { "permute_yxz", "permute-axes", { { "order", "1,0,2" } }, 0, 0 },
    { "shrink_2", "shrink", { { "factors", "2" } }, 0, 0 },
    { "bin_shrink_2", "bin-shrink", { { "factors", "2" } }, 0, 0 },
    { "extract_half", "extract-region", { { "index", "64" },
      { "size", "128" } }, 0, 0 },
    { "constant_pad_8", "constant-pad", { { "lower", "8" }, { "upper", "8" } },
      0, 0 },
    { "mirror_pad_8", "mirror-pad", { { "lower", "8" }, { "upper", "8" } },
      0, 0 },
    { "checkerboard", "checkerboard", { { NULL } }, 2, 0 },
};

static int
wanted(const char *name, int argc, char **argv)
{
    if (argc <= 4)
        return 1;
    for (int i = 4; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

static void
run_line(const line_t *l, pipit_image_t *img, pipit_image_t *field,
         pipit_transform_t *affine, int reps, size_t voxels)
{
    double t[64];
    pipit_node_t *n = pipit_filter_new(l->klass);
    if (n == NULL) {
        printf("%-44s skipped: %s\n", l->name, pipit_error_message());
        return;
    }
    pipit_status_t st = pipit_node_set_input_image(n, 0, img);
    for (int i = 0; i < 4 && l->settings[i][0] != NULL && st == PIPIT_OK; i++)
        st = pipit_node_set(n, l->settings[i][0], l->settings[i][1]);
    if (st == PIPIT_OK && l->input1)
        st = pipit_node_set_input_image(n, 1, l->input1 == 2 ? img : field);
    if (st == PIPIT_OK && l->transform)
        st = pipit_resample_set_transform(n, affine);
    for (int r = 0; r < reps && st == PIPIT_OK; r++) {
        pipit_node_modified(n);
        double t0 = bench_now();
        st = pipit_node_update(n);
        t[r] = bench_now() - t0;
    }
    if (st != PIPIT_OK) {
        printf("%-44s failed: %s\n", l->name, pipit_error_message());
    } else {
        double m = bench_median(t, (size_t)reps);
        const pipit_image_t *out = pipit_node_get_output(n, 0);
        const size_t *s = pipit_image_size(out);
        size_t count = s[0] * s[1] * (pipit_image_dim(out) > 2 ? s[2] : 1);
        (void)voxels;
        printf("%-44s %9.2f ms %9.1f Mvox/s\n", l->name, m * 1e3,
               (double)count / m * 1e-6);
    }
    fflush(stdout);
    pipit_node_unref(n);
}

int
main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    size_t n = argc > 3 ? (size_t)atoi(argv[3]) : 256;
    if (threads < 1)
        threads = 1;
    if (reps < 1 || reps > 64)
        reps = 5;
    if (n < 8)
        n = 8;
    if (pipit_pool_set_threads(threads) != PIPIT_OK) {
        fprintf(stderr, "bench/filters: %s\n", pipit_error_message());
        return 1;
    }
    pipit_image_t *img = make_image(n);
    pipit_image_t *field = make_field(n);
    pipit_transform_t *affine = make_affine(n);
    if (img == NULL || field == NULL || affine == NULL) {
        fprintf(stderr, "bench/filters: %s\n", pipit_error_message());
        return 1;
    }
    size_t voxels = n * n * n, bytes = voxels * sizeof(float);
    printf("pipit bench/filters: %zu^3 f32, %u threads, medians of %d\n",
           n, pipit_pool_threads(), reps);

    /* memcpy of the same bytes, for scale */
    void *a = malloc(bytes), *b = malloc(bytes);
    if (a == NULL || b == NULL)
        return 1;
    memset(a, 1, bytes);
    memset(b, 0, bytes);
    double t[64];
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        memcpy(b, a, bytes);
        t[r] = bench_now() - t0;
    }
    double m = bench_median(t, (size_t)reps);
    printf("%-44s %9.2f ms %9.1f Mvox/s\n", "memcpy", m * 1e3,
           (double)voxels / m * 1e-6);
    free(a);
    free(b);

    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (wanted(lines[i].name, argc, argv))
            run_line(&lines[i], img, field, affine, reps, voxels);
    pipit_transform_unref(affine);
    pipit_image_unref(field);
    pipit_image_unref(img);
    return 0;
}

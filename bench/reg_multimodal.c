/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/reg_multimodal: turns a mono-modal registration case into a
 * multi-modal one by remapping the moving image's intensities through a
 * non-monotonic curve and adding noise, as a T2 scan shows the tissues
 * of a T1 scan in another order. The geometry, and so the known
 * transform of bench/reg_make3d, reg_make3d_bspline, is unchanged;
 * only what the metric must compare changes: mean squares and
 * normalised correlation look for moving = a * fixed + b and fail, Mattes
 * mutual information looks for any function and does not.
 *
 * The curve, on u = v / 1000 (the generators' range, clamped to [0, 1]),
 * is piecewise linear through the knots below, times 1000:
 *
 *   u  0    0.20  0.40  0.50  0.60  0.75  1.00
 *   g  0    0.15  0.90  0.70  0.30  0.55  0.20
 *
 * Background (u near 0, outside bench/reg_make3d's envelope) stays dark
 * as in both kinds of scan; over the bulk of the textures (u 0.3 to 0.7)
 * it rises, falls to a third (the contrast inversion), rises and falls
 * again, so that no monotonic (let alone linear) map relates the two
 * images. Then Gaussian noise of `sigma` (default 20, 2 % of the range)
 * drawn from the seed and the voxel's index only (splitmix64 and
 * Box-Muller): the same bits on every machine.
 *
 * --max M takes the images' full scale as M instead of 1000 (u = v / M,
 * out = g M; the default sigma becomes 2 % of M): --max 255 for 8-bit
 * images such as the 2-D blobs pair, whose output then fits in u8.
 *
 * Usage: bench/reg_multimodal [--sigma S] [--seed N] [--max M] IN OUT
 *        (any scalar image pipit reads; OUT has IN's grid and type)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pipit.h>

static const double knot_u[] = { 0.0, 0.20, 0.40, 0.50, 0.60, 0.75, 1.0 };
static const double knot_g[] = { 0.0, 0.15, 0.90, 0.70, 0.30, 0.55, 0.20 };
#define N_KNOTS (sizeof knot_u / sizeof knot_u[0])

/* The curve, times the full scale `max` (1000: the generators' range). */
static double
remap(double v, double max)
{
    double u = v / max;
    if (!(u > 0.0))
        return 0.0;
    if (u >= 1.0)
        return max * knot_g[N_KNOTS - 1];
    size_t k = 1;
    while (u > knot_u[k])
        k++;
    double t = (u - knot_u[k - 1]) / (knot_u[k] - knot_u[k - 1]);
    return max * (knot_g[k - 1] + t * (knot_g[k] - knot_g[k - 1]));
}

static uint64_t
mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A standard normal value that depends on (seed, i) only. */
static double
normal_at(uint64_t seed, uint64_t i)
{
    uint64_t a = mix64(seed ^ mix64(2 * i));
    uint64_t b = mix64(seed ^ mix64(2 * i + 1));
    double u1 = ((double)(a >> 11) + 0.5) * 0x1.0p-53; /* (0, 1) */
    double u2 = (double)(b >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int
usage(void)
{
    fprintf(stderr,
            "usage: reg_multimodal [--sigma S] [--seed N] [--max M] IN OUT\n");
    return 2;
}

int
main(int argc, char **argv)
{
    double sigma = -1.0; /* not given: 2 % of max */
    double max = 1000.0;
    uint64_t seed = 20240613;
    int a = 1;
    while (a < argc && strncmp(argv[a], "--", 2) == 0) {
        char *end = NULL;
        if (strcmp(argv[a], "--sigma") == 0 && a + 1 < argc) {
            sigma = strtod(argv[a + 1], &end);
            if (*end != '\0' || !(sigma >= 0.0) || !isfinite(sigma)) {
                fprintf(stderr, "reg_multimodal: --sigma %s: a number >= 0\n",
                        argv[a + 1]);
                return 2;
            }
        } else if (strcmp(argv[a], "--max") == 0 && a + 1 < argc) {
            max = strtod(argv[a + 1], &end);
            if (*end != '\0' || !(max > 0.0) || !isfinite(max)) {
                fprintf(stderr, "reg_multimodal: --max %s: a number > 0\n",
                        argv[a + 1]);
                return 2;
            }
        } else if (strcmp(argv[a], "--seed") == 0 && a + 1 < argc) {
            seed = strtoull(argv[a + 1], &end, 10);
            if (*end != '\0') {
                fprintf(stderr, "reg_multimodal: --seed %s: an integer\n",
                        argv[a + 1]);
                return 2;
            }
        } else {
            return usage();
        }
        a += 2;
    }
    if (argc - a != 2)
        return usage();
    if (sigma < 0.0)
        sigma = 0.02 * max;
    const char *in = argv[a], *out = argv[a + 1];
    pipit_io_set_sync(false);
    pipit_image_t *img = NULL;
    if (pipit_image_read(in, &img) != PIPIT_OK) {
        fprintf(stderr, "reg_multimodal: %s\n", pipit_error_message());
        return 1;
    }
    int rc = 1;
    if (pipit_image_components(img) != 1) {
        fprintf(stderr, "reg_multimodal: %s: not a scalar image\n", in);
        goto done;
    }
    if (pipit_image_data_writable(img) == NULL) {
        fprintf(stderr, "reg_multimodal: %s\n", pipit_error_message());
        goto done;
    }
    unsigned dim = pipit_image_dim(img);
    const size_t *n = pipit_image_size(img);
    size_t ny = dim > 1 ? n[1] : 1, nz = dim > 2 ? n[2] : 1;
    for (size_t d = 3; d < dim; d++)
        nz *= n[d];
    size_t idx[8] = { 0 };
    uint64_t lin = 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++) {
            /* index of the row: x = 0, y, then z spread over the
             * higher axes (at most 8 dimensions) */
            size_t rest = z;
            idx[0] = 0;
            if (dim > 1)
                idx[1] = y;
            for (unsigned d = 2; d < dim && d < 8; d++) {
                idx[d] = rest % n[d];
                rest /= n[d];
            }
            for (size_t x = 0; x < n[0]; x++, lin++) {
                idx[0] = x;
                double v = remap(pipit_image_get_value(img, idx, 0), max);
                if (sigma > 0.0)
                    v += sigma * normal_at(seed, lin);
                if (pipit_image_set_value(img, idx, 0, v) != PIPIT_OK) {
                    fprintf(stderr, "reg_multimodal: %s\n",
                            pipit_error_message());
                    goto done;
                }
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
    if (pipit_image_write(img, out) != PIPIT_OK) {
        fprintf(stderr, "reg_multimodal: %s\n", pipit_error_message());
        goto done;
    }
    printf("%s: %s remapped (non-monotonic), noise sigma %g, range [%g, %g]\n",
           out, in, sigma, lo, hi);
    rc = 0;
done:
    pipit_image_unref(img);
    return rc;
}

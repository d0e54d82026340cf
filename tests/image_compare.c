/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image-compare A B TOL [MAXBAD]: for the shell tests. A and B must have
 * the same dimension, size and components, and grids within 1e-6 (the
 * geometry elastix writes has 10 decimals); then it prints the largest
 * |a - b| over every component, and the number of values differing by
 * more than TOL, and exits 0 when at most MAXBAD (default 0) do.
 * Exit 1 otherwise, 2 when a file cannot be read.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <pipit/io.h>
#include <pipit/pipit.h>

static double
value(const pipit_image_t *img, size_t i)
{
    const void *d = pipit_image_data(img);
    switch (pipit_image_pixel_type(img)) {
    case PIPIT_U8: return ((const uint8_t *)d)[i];
    case PIPIT_I8: return ((const int8_t *)d)[i];
    case PIPIT_U16: return ((const uint16_t *)d)[i];
    case PIPIT_I16: return ((const int16_t *)d)[i];
    case PIPIT_U32: return ((const uint32_t *)d)[i];
    case PIPIT_I32: return ((const int32_t *)d)[i];
    case PIPIT_F32: return ((const float *)d)[i];
    case PIPIT_F64: return ((const double *)d)[i];
    }
    return NAN;
}

int
main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: image-compare A B TOL [MAXBAD]\n");
        return 2;
    }
    pipit_image_t *a, *b;
    if (pipit_image_read(argv[1], &a) != PIPIT_OK ||
        pipit_image_read(argv[2], &b) != PIPIT_OK) {
        fprintf(stderr, "image-compare: %s\n", pipit_error_message());
        return 2;
    }
    double tol = atof(argv[3]);
    long maxbad = argc > 4 ? atol(argv[4]) : 0;
    unsigned dim = pipit_image_dim(a), nc = pipit_image_components(a);
    if (dim != pipit_image_dim(b) || nc != pipit_image_components(b)) {
        fprintf(stderr, "image-compare: %u-D x %u against %u-D x %u\n", dim,
                nc, pipit_image_dim(b), pipit_image_components(b));
        return 1;
    }
    size_t n = nc;
    for (unsigned d = 0; d < dim; d++) {
        if (pipit_image_size(a)[d] != pipit_image_size(b)[d]) {
            fprintf(stderr, "image-compare: sizes differ on axis %u\n", d);
            return 1;
        }
        n *= pipit_image_size(a)[d];
        if (fabs(pipit_image_spacing(a)[d] - pipit_image_spacing(b)[d]) >
                1e-6 ||
            fabs(pipit_image_origin(a)[d] - pipit_image_origin(b)[d]) > 1e-6) {
            fprintf(stderr, "image-compare: grids differ on axis %u\n", d);
            return 1;
        }
    }
    for (unsigned k = 0; k < dim * dim; k++)
        if (fabs(pipit_image_direction(a)[k] - pipit_image_direction(b)[k]) >
            1e-6) {
            fprintf(stderr, "image-compare: directions differ\n");
            return 1;
        }
    double max = 0.0;
    long bad = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(value(a, i) - value(b, i));
        if (!(e <= max))
            max = e;
        if (!(e <= tol))
            bad++;
    }
    printf("max |a - b| = %.9g, %ld of %zu values above %g\n", max, bad, n,
           tol);
    pipit_image_unref(a);
    pipit_image_unref(b);
    return bad <= maxbad ? 0 : 1;
}

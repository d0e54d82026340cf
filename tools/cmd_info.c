/* SPDX-License-Identifier: Apache-2.0 */
/* `pipit info FILE`: what an image file holds, and its value range. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/io.h>
#include <pipit/pipit.h>

#include "tool.h"

#define USAGE "pipit info [--] FILE"

typedef struct range {
    unsigned components;
    double *lo, *hi;
} range_t;

/* Folds one streamed piece into the per-component range. */
static pipit_status_t
fold_piece(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    range_t *acc = user;
    unsigned nc = acc->components;
    size_t index[PIPIT_MAX_DIM];
    unsigned dim = pipit_image_dim(piece);
    for (size_t t = r->lo[3]; t < r->hi[3]; t++)
        for (size_t z = r->lo[2]; z < r->hi[2]; z++)
            for (size_t y = r->lo[1]; y < r->hi[1]; y++)
                for (size_t x = r->lo[0]; x < r->hi[0]; x++) {
                    index[0] = x, index[1] = y;
                    if (dim > 2)
                        index[2] = z;
                    if (dim > 3)
                        index[3] = t;
                    for (unsigned c = 0; c < nc; c++) {
                        double v = pipit_image_get_value(piece, index, c);
                        if (v < acc->lo[c])
                            acc->lo[c] = v;
                        if (v > acc->hi[c])
                            acc->hi[c] = v;
                    }
                }
    return PIPIT_OK;
}

static void
print_doubles(const char *label, const double *v, size_t n)
{
    printf("%-12s", label);
    for (size_t i = 0; i < n; i++)
        printf(" %.10g", v[i] == 0.0 ? 0.0 : v[i]);
    printf("\n");
}

int pipit_cmd_info(int argc, char **argv);

int
pipit_cmd_info(int argc, char **argv)
{
    int rc = TOOL_FAILED;
    pipit_status_t st;
    pipit_node_t *reader = NULL;
    range_t acc = { 0, NULL, NULL };
    const char *path = NULL;
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options || a[0] != '-' || a[1] == '\0') {
            if (path != NULL)
                return tool_usage(USAGE, "info takes one file");
            path = a;
        } else if (strcmp(a, "--") == 0) {
            options = false;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: %s\nPrints size, spacing, origin, direction, "
                   "pixel type, components and min/max of an image "
                   "file.\n", USAGE);
            return TOOL_OK;
        } else {
            return tool_usage(USAGE, "unknown option '%s' (`--` ends the "
                              "options)", a);
        }
    }
    if (path == NULL)
        return tool_usage(USAGE, "info takes one file");
    const pipit_io_format_t *fmt = pipit_io_format_for(path);
    if (fmt == NULL)
        return tool_fail_status(PIPIT_EUNSUPPORTED);
    if ((reader = pipit_reader_new(path)) == NULL) {
        rc = tool_fail_status(PIPIT_ENOMEM);
        goto done;
    }
    if ((st = pipit_node_update_information(reader)) != PIPIT_OK) {
        rc = tool_fail_status(st);
        goto done;
    }
    pipit_image_t *img = pipit_node_get_output(reader, 0);
    unsigned dim = pipit_image_dim(img);
    unsigned nc = pipit_image_components(img);
    acc.components = nc;
    acc.lo = calloc(nc, sizeof *acc.lo);
    acc.hi = calloc(nc, sizeof *acc.hi);
    if (acc.lo == NULL || acc.hi == NULL) {
        rc = tool_fail("out of memory");
        goto done;
    }
    for (unsigned c = 0; c < nc; c++)
        acc.lo[c] = INFINITY, acc.hi[c] = -INFINITY;
    /* Piece by piece: the whole image never needs to be in memory. */
    if ((st = pipit_node_stream(reader, 0, 0, fold_piece, &acc)) !=
        PIPIT_OK) {
        rc = tool_fail_status(st);
        goto done;
    }
    const size_t *size = pipit_image_size(img);
    double sz[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < dim; d++)
        sz[d] = (double)size[d];
    printf("%-12s %s\n", "file", path);
    printf("%-12s %s\n", "format", fmt->name);
    printf("%-12s %u\n", "dimension", dim);
    print_doubles("size", sz, dim);
    print_doubles("spacing", pipit_image_spacing(img), dim);
    print_doubles("origin", pipit_image_origin(img), dim);
    print_doubles("direction", pipit_image_direction(img),
                  (size_t)dim * dim);
    printf("%-12s %s\n", "pixel type",
           pipit_pixel_type_name(pipit_image_pixel_type(img)));
    printf("%-12s %u\n", "components", nc);
    for (unsigned c = 0; c < nc; c++) {
        char label[32];
        if (nc == 1)
            snprintf(label, sizeof label, "min/max");
        else
            snprintf(label, sizeof label, "min/max[%u]", c);
        printf("%-12s %.10g %.10g\n", label, acc.lo[c], acc.hi[c]);
    }
    rc = TOOL_OK;
done:
    free(acc.lo);
    free(acc.hi);
    pipit_node_unref(reader);
    return rc;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * examples/deformation_grid: a picture of what a registration did to
 * space. A regular grid of lines on the fixed image's grid is resampled
 * through the transform of a TransformParameters file (the whole chain:
 * affine then B-spline, say), out(x) = grid(T(x)), and written as an
 * 8-bit image (PNG by the file name). Where T is a rigid motion the
 * lines stay straight and turn together; where it deforms, they bend.
 *
 *   read TP chain ──> T
 *   callback source (grid lines, the TP file's Size/Spacing/Origin/
 *   Direction) ──> resample (T, linear) ──> writer (PNG)
 *
 * Usage: deformation_grid TransformParameters.N.txt OUT.png [STEP]
 *        (STEP: pixels between lines, 8 by default; 2-D only)
 *
 * Build against an installed pipit:
 *   cc deformation_grid.c $(pkg-config --cflags --libs pipit)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pipit.h>
#include <pipit/transform_file.h>

struct grid_lines {
    size_t step;
};

/* 255 on every STEP-th row and column, 0 between: a picture of the
 * fixed image's index grid. */
static pipit_status_t
fill_lines(const pipit_image_t *image, const pipit_region_t *region,
           void *pixels, void *user)
{
    const struct grid_lines *g = user;
    const ptrdiff_t *st = pipit_image_strides(image);
    for (size_t y = region->lo[1]; y < region->hi[1]; y++) {
        unsigned char *row = (unsigned char *)pixels
                             + (ptrdiff_t)(y - region->lo[1]) * st[1];
        for (size_t x = region->lo[0]; x < region->hi[0]; x++)
            row[x - region->lo[0]] =
                (x % g->step == 0 || y % g->step == 0) ? 255 : 0;
    }
    return PIPIT_OK;
}

static int
fail(const char *what)
{
    fprintf(stderr, "deformation_grid: %s: %s\n", what, pipit_error_message());
    return 1;
}

/* "a,b,..." of n doubles, for a node setting. */
static void
join(char *out, size_t size, const double *v, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%.17g",
                                 i ? "," : "", v[i]);
}

int
main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: deformation_grid TP.txt OUT.png [STEP]\n");
        return 2;
    }
    struct grid_lines lines = { argc > 3 ? strtoul(argv[3], NULL, 10) : 8 };
    if (lines.step < 2 || lines.step > 4096) {
        fprintf(stderr, "deformation_grid: STEP %s: 2..4096\n", argv[3]);
        return 2;
    }
    pipit_transform_t *t = NULL;
    pipit_params_t *params = NULL;
    pipit_node_t *src = NULL, *warp = NULL, *writer = NULL;
    int rc = 1;
    if (pipit_tp_read(argv[1], &t, &params) != PIPIT_OK) {
        rc = fail(argv[1]);
        goto done;
    }
    pipit_tp_settings_t s;
    if (pipit_tp_settings_from_params(params, argv[1], &s) != PIPIT_OK) {
        rc = fail(argv[1]);
        goto done;
    }
    if (s.dim != 2) {
        fprintf(stderr, "deformation_grid: %s: a %u-D transform; this "
                "example draws 2-D grids only\n", argv[1], s.dim);
        goto done;
    }
    char size_txt[64], sp[128], org[128], dir[256];
    snprintf(size_txt, sizeof size_txt, "%zu,%zu", s.size[0], s.size[1]);
    join(sp, sizeof sp, s.spacing, 2);
    join(org, sizeof org, s.origin, 2);
    join(dir, sizeof dir, s.direction, 4);
    src = pipit_callback_source_new(2, s.size, PIPIT_U8, 1, fill_lines,
                                    &lines);
    warp = pipit_resample_new();
    writer = pipit_writer_new(argv[2]);
    if (src == NULL || warp == NULL || writer == NULL) {
        rc = fail("making the nodes");
        goto done;
    }
    if (pipit_node_set(src, "size", size_txt) != PIPIT_OK
        || pipit_node_set(src, "spacing", sp) != PIPIT_OK
        || pipit_node_set(src, "origin", org) != PIPIT_OK
        || pipit_node_set(src, "direction", dir) != PIPIT_OK
        || pipit_node_set_input(warp, 0, src, 0) != PIPIT_OK
        || pipit_node_set(warp, "interpolator", "linear") != PIPIT_OK
        || pipit_node_set(warp, "default-value", "0") != PIPIT_OK
        || pipit_resample_set_transform(warp, t) != PIPIT_OK
        || pipit_node_set_input(writer, 0, warp, 0) != PIPIT_OK) {
        rc = fail("connecting the pipeline");
        goto done;
    }
    if (pipit_node_update(writer) != PIPIT_OK) {
        rc = fail(argv[2]);
        goto done;
    }
    rc = 0;
done:
    pipit_node_unref(writer);
    pipit_node_unref(warp);
    pipit_node_unref(src);
    pipit_params_unref(params);
    pipit_transform_unref(t);
    return rc;
}

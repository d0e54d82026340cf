/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `pipit transform`: transformix's command line (shared/spec/
 * elastix-compat.md section 3) over pipit_tp_read and a resample node.
 * -in IMG writes result.<fmt>, -def all deformationField.<fmt> (D float
 * components, T(x) - x in world axes), -jac all spatialJacobian.<fmt>
 * (det dT/dx), on the grid the TP file names. Exit codes as transformix:
 * 255 no -tp or nothing to do, 254 -out missing or not a folder, 1 any
 * other error. Point files (-def FILE) and -jacmat are not done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pipit/io.h>
#include <pipit/pipit.h>

#include "tool.h"

int pipit_cmd_transform(int argc, char **argv);

#define USAGE                                                              \
    "pipit transform -tp TransformParameters.txt -out FOLDER [-in IMAGE] " \
    "[-def all] [-jac all] [-threads N]"

/* The TP file's grid as an image (u8, zeros): the resample node's
 * reference, and the geometry of the fields. */
static pipit_image_t *
grid_image(const pipit_tp_settings_t *s, pipit_pixel_type_t type,
           unsigned components)
{
    pipit_image_t *img = pipit_image_new(s->dim, s->size, type, components);
    if (img == NULL)
        return NULL;
    double origin[PIPIT_MAX_DIM];
    /* a non-zero Index moves the grid's first voxel */
    for (unsigned d = 0; d < s->dim; d++) {
        origin[d] = s->origin[d];
        for (unsigned c = 0; c < s->dim; c++)
            origin[d] += s->direction[d * s->dim + c] * s->spacing[c] *
                         (double)s->index[c];
    }
    if (pipit_image_set_spacing(img, s->spacing) != PIPIT_OK ||
        pipit_image_set_origin(img, origin) != PIPIT_OK ||
        pipit_image_set_direction(img, s->direction) != PIPIT_OK) {
        pipit_image_unref(img);
        return NULL;
    }
    return img;
}

/* deformationField (what = 'd') or spatialJacobian ('j') over the grid. */
static pipit_status_t
write_field(const pipit_transform_t *t, const pipit_tp_settings_t *s,
            char what, const char *path)
{
    unsigned dim = s->dim, nc = what == 'd' ? dim : 1;
    pipit_image_t *img = grid_image(s, PIPIT_F32, nc);
    if (img == NULL)
        return PIPIT_ENOMEM;
    float *v = pipit_image_data_writable(img);
    size_t idx[PIPIT_MAX_DIM] = { 0 }, n = 1;
    for (unsigned d = 0; d < dim; d++)
        n *= s->size[d];
    for (size_t k = 0; k < n; k++) {
        double ci[PIPIT_MAX_DIM], x[PIPIT_MAX_DIM], y[PIPIT_MAX_DIM];
        double j[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
        for (unsigned d = 0; d < dim; d++)
            ci[d] = (double)idx[d];
        pipit_image_index_to_point(img, ci, x);
        if (what == 'd') {
            pipit_transform_point(t, x, y);
            for (unsigned d = 0; d < dim; d++)
                v[k * dim + d] = (float)(y[d] - x[d]);
        } else {
            pipit_transform_spatial_jacobian(t, x, j);
            double det = dim == 2 ? j[0] * j[3] - j[1] * j[2]
                       : j[0] * (j[4] * j[8] - j[5] * j[7]) -
                             j[1] * (j[3] * j[8] - j[5] * j[6]) +
                             j[2] * (j[3] * j[7] - j[4] * j[6]);
            v[k] = (float)det;
        }
        for (unsigned d = 0; d < dim && ++idx[d] == s->size[d]; d++)
            idx[d] = 0;
    }
    pipit_write_options_t opt = { .compress = s->compress_result };
    pipit_status_t st = pipit_image_write_with(img, path, &opt);
    pipit_image_unref(img);
    return st;
}

static int
write_result(const pipit_transform_t *t, const pipit_tp_settings_t *s,
             const char *in, const char *path)
{
    pipit_pixel_type_t type;
    if (tool_result_type(s->result_pixel_type, &type) != PIPIT_OK)
        return tool_fail("ResultImagePixelType '%s': %s",
                         s->result_pixel_type, pipit_error_message());
    int rc = TOOL_OK;
    pipit_node_t *reader = pipit_reader_new(in), *res = pipit_resample_new();
    pipit_image_t *grid = grid_image(s, PIPIT_U8, 1), *cast = NULL;
    char dflt[64], order[16];
    snprintf(dflt, sizeof dflt, "%.17g", s->default_pixel_value);
    snprintf(order, sizeof order, "%u", s->final_bspline_order);
    pipit_write_options_t opt = { .compress = s->compress_result };
    if (reader == NULL || res == NULL || grid == NULL ||
        pipit_node_set_input(res, 0, reader, 0) != PIPIT_OK ||
        pipit_node_set_input_image(res, 1, grid) != PIPIT_OK ||
        pipit_resample_set_transform(res, (pipit_transform_t *)t) !=
            PIPIT_OK ||
        pipit_node_set(res, "interpolator",
                       tool_interpolator_name(s->resample_interpolator)) !=
            PIPIT_OK ||
        pipit_node_set(res, "order", order) != PIPIT_OK ||
        pipit_node_set(res, "default-value", dflt) != PIPIT_OK ||
        pipit_node_set(res, "type", "f64") != PIPIT_OK ||
        pipit_node_update(res) != PIPIT_OK ||
        (cast = tool_truncate_to(pipit_node_get_output(res, 0), type)) ==
            NULL ||
        pipit_image_write_with(cast, path, &opt) != PIPIT_OK)
        rc = tool_fail("-in '%s': %s", in, pipit_error_message());
    pipit_image_unref(cast);
    pipit_image_unref(grid);
    pipit_node_unref(res);
    pipit_node_unref(reader);
    return rc;
}

int
pipit_cmd_transform(int argc, char **argv)
{
    if (argc == 1 || (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                                    strcmp(argv[1], "-h") == 0))) {
        printf("usage: %s\nApplies a TransformParameters file as transformix "
               "does: -in writes result.<fmt>,\n-def all "
               "deformationField.<fmt>, -jac all spatialJacobian.<fmt>.\n"
               "Exit status: 0 done, 255 no -tp or nothing to do, 254 -out "
               "missing or not a\nfolder, 1 any other error.\n",
               USAGE);
        return TOOL_OK;
    }
    const char *tp = NULL, *out = NULL, *in = NULL, *def = NULL, *jac = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char **slot = strcmp(argv[i], "-tp") == 0    ? &tp
                          : strcmp(argv[i], "-out") == 0 ? &out
                          : strcmp(argv[i], "-in") == 0  ? &in
                          : strcmp(argv[i], "-def") == 0 ? &def
                          : strcmp(argv[i], "-jac") == 0 ? &jac
                                                         : NULL;
        if (slot != NULL && *slot == NULL)
            *slot = argv[i + 1];
    }
    int code = 0;
    if (tp == NULL) {
        fprintf(stderr, "pipit: no -tp given\n");
        code |= -1;
    }
    if (in == NULL && def == NULL && jac == NULL) {
        fprintf(stderr, "pipit: nothing to do: give -in, -def all or "
                        "-jac all\n");
        code |= -1;
    }
    struct stat st;
    if (out == NULL || stat(out, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "pipit: -out %s%s%s: %s\n", out ? "'" : "",
                out ? out : "", out ? "'" : "",
                out == NULL ? "missing" : "not an existing folder");
        code |= -2;
    }
    if (code != 0)
        return code & 0xff;
    if (def != NULL && strcmp(def, "all") != 0)
        return tool_fail("-def '%s': point files are not supported; use "
                         "-def all",
                         def);
    pipit_transform_t *t = NULL;
    pipit_params_t *p = NULL;
    pipit_tp_settings_t s;
    if (pipit_tp_read(tp, &t, &p) != PIPIT_OK)
        return tool_fail("-tp '%s': %s", tp, pipit_error_message());
    int rc = TOOL_OK;
    if (pipit_tp_settings_from_params(p, tp, &s) != PIPIT_OK) {
        rc = tool_fail("%s", pipit_error_message());
        goto done;
    }
    char path[4096];
    const char *sep = out[strlen(out) - 1] == '/' ? "" : "/";
    if (in != NULL) {
        snprintf(path, sizeof path, "%s%sresult.%s", out, sep,
                 s.result_format);
        if ((rc = write_result(t, &s, in, path)) != TOOL_OK)
            goto done;
    }
    if (def != NULL) {
        snprintf(path, sizeof path, "%s%sdeformationField.%s", out, sep,
                 s.result_format);
        if (write_field(t, &s, 'd', path) != PIPIT_OK) {
            rc = tool_fail("%s: %s", path, pipit_error_message());
            goto done;
        }
    }
    if (jac != NULL && strcmp(jac, "all") == 0 && s.dim > 3) {
        rc = tool_fail("-jac all: only 2-D and 3-D transforms");
        goto done;
    }
    if (jac != NULL && strcmp(jac, "all") == 0) {
        snprintf(path, sizeof path, "%s%sspatialJacobian.%s", out, sep,
                 s.result_format);
        if (write_field(t, &s, 'j', path) != PIPIT_OK)
            rc = tool_fail("%s: %s", path, pipit_error_message());
    }
done:
    pipit_transform_unref(t);
    pipit_params_unref(p);
    return rc;
}

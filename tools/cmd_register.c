/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `pipit register`: elastix's command line over the registration node
 * (registration/pipit/registration.h), writing elastix's output folder
 * (shared/spec/elastix-compat.md section 2; doc/pipit-register.1).
 *
 * Arguments are taken in key/value pairs as elastix takes them, with its
 * exit codes: 0 done, 255 no -p, 254 -out missing or not a folder, 1
 * anything else. Everything that can be wrong with the inputs is checked
 * before the first iteration (parameter files, image headers, masks,
 * -t0, then pipit_registration_check), so that a mistake costs
 * milliseconds, not a run. On a terminal one progress line on stderr;
 * otherwise only errors there, the rest in <out>elastix.log.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pipit/io.h>
#include <pipit/pipit.h>
#include <pipit/registration.h>

#include "plot.h"
#include "tool.h"

int pipit_cmd_register(int argc, char **argv);

#define RC_NO_PARAMS 255 /* elastix's -1 */
#define RC_NO_OUT 254    /* elastix's -2 */

#define USAGE                                                              \
    "pipit register -f FIXED -m MOVING -out FOLDER -p PARAMS.txt "        \
    "[-p PARAMS2.txt ...] [-t0 TP.txt] [-fMask MASK] [-mMask MASK] "      \
    "[-threads N] [-priority P]"

static const char help_text[] =
    "usage: " USAGE "\n"
    "Registers MOVING onto FIXED as elastix does, one -p parameter file "
    "after the\nother, and writes elastix's output folder: elastix.log, "
    "IterationInfo.<p>.R<r>.txt,\nTransformParameters.<p>.txt, "
    "result.<p>.<ResultImageFormat> and convergence.png.\n"
    "Arguments come in pairs (flag value), as elastix takes them:\n"
    "  -f FILE        fixed image (-f0 also)\n"
    "  -m FILE        moving image (-m0 also)\n"
    "  -out FOLDER    existing output folder\n"
    "  -p FILE.txt    parameter file; repeat for several, run in turn\n"
    "  -t0 FILE       initial transform (a TransformParameters file)\n"
    "  -fMask FILE    fixed mask (non-zero: inside)\n"
    "  -mMask FILE    moving mask\n"
    "  -threads N     most worker threads (results do not depend on it)\n"
    "  -priority P    accepted and ignored (elastix uses it on Windows "
    "only)\n"
    "Exit status: 0 done, 255 no -p, 254 -out missing or not a folder, "
    "1 any other\nerror. See pipit-register(1).\n";

/* ---- arguments -------------------------------------------------------- */

#define MAX_KEYS 64

typedef struct args {
    const char *key[MAX_KEYS], *value[MAX_KEYS];
    unsigned n;
    const char **params; /* every -p, in order */
    size_t n_params;
} args_t;

static const char *
arg_get(const args_t *a, const char *key)
{
    for (unsigned i = 0; i < a->n; i++)
        if (strcmp(a->key[i], key) == 0)
            return a->value[i];
    return NULL;
}

/* elastix's pairs: -p appends, any other key keeps its first value (a
 * warning for a repeat), a trailing unpaired argument is ignored. */
static int
parse_pairs(int argc, char **argv, args_t *a)
{
    memset(a, 0, sizeof *a);
    a->params = calloc((size_t)argc, sizeof *a->params);
    if (a->params == NULL)
        return tool_fail("out of memory");
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (strcmp(k, "-p") == 0) {
            a->params[a->n_params++] = v;
            continue;
        }
        const char *old = arg_get(a, k);
        if (old != NULL) {
            fprintf(stderr, "pipit: warning: '%s' given more than once; "
                            "the first value '%s' is used\n", k, old);
            continue;
        }
        if (a->n == MAX_KEYS)
            return tool_fail("more than %d different flags", MAX_KEYS);
        a->key[a->n] = k, a->value[a->n] = v, a->n++;
    }
    return TOOL_OK;
}

/* -f0 before -f; -f1 (several images per side) is elastix's multi-image
 * registration, which pipit does not do. */
static int
image_arg(const args_t *a, const char *flag, const char **out)
{
    char key[32];
    snprintf(key, sizeof key, "%s0", flag);
    *out = arg_get(a, key);
    if (*out == NULL)
        *out = arg_get(a, flag);
    snprintf(key, sizeof key, "%s1", flag);
    if (arg_get(a, key) != NULL)
        return tool_fail("%s '%s': several images per side (multi-image "
                         "registration) are not supported",
                         key, arg_get(a, key));
    return TOOL_OK;
}

/* ---- the run's state -------------------------------------------------- */

typedef struct series {
    unsigned map, level;
    double *x, *y;
    size_t n, cap;
} series_t;

typedef struct run {
    char *out;          /* -out with a '/' */
    FILE *log;
    struct timespec t0;
    const args_t *args;
    pipit_params_t **maps;
    size_t n_maps;
    /* IterationInfo of the current map and resolution */
    FILE *info;
    unsigned info_map, info_level;
    bool info_open, info_failed;
    /* progress line */
    bool tty;
    double last_progress;
    /* convergence */
    series_t *series;
    size_t n_series, cap_series;
    bool oom;
    /* WriteTransformParametersEachIteration / EachResolution */
    const pipit_image_t *fixed; /* the fixed image's geometry */
    const char *t0_path;        /* -t0, verbatim */
    int tp_failed;
} run_t;

static double
seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void PIPIT_PRINTF(2, 3)
log_printf(run_t *r, const char *fmt, ...)
{
    if (r->log == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->log, fmt, ap);
    va_end(ap);
    fputc('\n', r->log);
}

/* An error: "pipit: ..." on stderr and "ERROR: ..." in the log. */
static int PIPIT_PRINTF(2, 3)
fail(run_t *r, const char *fmt, ...)
{
    char msg[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "pipit: %s\n", msg);
    log_printf(r, "ERROR: %s", msg);
    return TOOL_FAILED;
}

static int
fail_status(run_t *r, const char *what)
{
    if (what != NULL)
        return fail(r, "%s: %s", what, pipit_error_message());
    return fail(r, "%s", pipit_error_message());
}

/* <out><name> in buf. */
static const char *
out_path(const run_t *r, char *buf, size_t size, const char *fmt, ...)
    PIPIT_PRINTF(4, 5);
static const char *
out_path(const run_t *r, char *buf, size_t size, const char *fmt, ...)
{
    size_t len = (size_t)snprintf(buf, size, "%s", r->out);
    va_list ap;
    va_start(ap, fmt);
    if (len < size)
        vsnprintf(buf + len, size - len, fmt, ap);
    va_end(ap);
    return buf;
}

static void
log_line(const char *line, void *user)
{
    log_printf(user, "%s", line);
}

/* ---- iterations --------------------------------------------------------- */

static series_t *
series_for(run_t *r, unsigned map, unsigned level)
{
    if (r->n_series > 0 && r->series[r->n_series - 1].map == map &&
        r->series[r->n_series - 1].level == level)
        return &r->series[r->n_series - 1];
    if (r->n_series == r->cap_series) {
        size_t cap = r->cap_series ? 2 * r->cap_series : 8;
        series_t *s = realloc(r->series, cap * sizeof *s);
        if (s == NULL)
            return NULL;
        r->series = s, r->cap_series = cap;
    }
    series_t *s = &r->series[r->n_series++];
    memset(s, 0, sizeof *s);
    s->map = map, s->level = level;
    return s;
}

static bool
series_add(series_t *s, double x, double y)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        double *nx = realloc(s->x, cap * sizeof *nx);
        if (nx == NULL)
            return false;
        s->x = nx;
        double *ny = realloc(s->y, cap * sizeof *ny);
        if (ny == NULL)
            return false;
        s->y = ny, s->cap = cap;
    }
    s->x[s->n] = x, s->y[s->n] = y, s->n++;
    return true;
}

static bool
close_info(run_t *r)
{
    bool ok = true;
    if (r->info != NULL) {
        ok = !ferror(r->info);
        ok = fclose(r->info) == 0 && ok;
        r->info = NULL;
    }
    r->info_open = false;
    return ok;
}

/* Whether map i writes IterationInfo files (WriteIterationInfo, checked
 * before the run). */
static bool
writes_info(const run_t *r, unsigned map)
{
    bool on = true;
    if (map < r->n_maps)
        pipit_params_get_bool(r->maps[map], "WriteIterationInfo", 0, true,
                              &on);
    return on;
}

static void
progress(run_t *r, const pipit_registration_iteration_t *it, bool force)
{
    double now = seconds_since(&r->t0);
    if (!force && now - r->last_progress < 0.1)
        return; /* ten lines a second at most */
    r->last_progress = now;
    fprintf(stderr,
            "\r\033[Kmap %u/%zu  resolution %u/%u  iteration %zu  "
            "metric %.6f  %.1f s",
            it->map + 1, r->n_maps, it->level + 1, it->n_levels,
            it->iteration, it->metric, now);
    fflush(stderr);
}

static int write_tp_as_it_goes(run_t *r,
                               const pipit_registration_iteration_t *it);

static int
on_iteration(const pipit_registration_iteration_t *it, void *user)
{
    run_t *r = user;
    if (!r->info_open || it->map != r->info_map ||
        it->level != r->info_level) {
        if (!close_info(r))
            r->info_failed = true;
        r->info_open = true;
        r->info_map = it->map, r->info_level = it->level;
        if (writes_info(r, it->map)) {
            char path[4096];
            out_path(r, path, sizeof path, "IterationInfo.%u.R%u.txt",
                     it->map, it->level);
            r->info = fopen(path, "w");
            if (r->info == NULL) {
                fail(r, "cannot write '%s': %s", path, strerror(errno));
                r->info_failed = true;
                return 1; /* cancel: the folder is not writable */
            }
            fprintf(r->info, "%s\n", it->header);
        }
    }
    if (r->info != NULL)
        fprintf(r->info, "%s\n", it->row);
    if (write_tp_as_it_goes(r, it) != TOOL_OK) {
        r->tp_failed = 1;
        return 1; /* cancel: the folder is not writable */
    }
    series_t *s = series_for(r, it->map, it->level);
    if (s == NULL || !series_add(s, (double)it->iteration, it->metric))
        r->oom = true; /* the plot only: the registration goes on */
    if (r->tty)
        progress(r, it, false);
    return 0;
}

/* ---- checks before the run ---------------------------------------------- */

static bool
ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

/* The header (geometry) of an image file, without its pixels. */
static int
open_image(run_t *r, const char *flag, const char *path, pipit_node_t **out)
{
    pipit_node_t *reader = pipit_reader_new(path);
    if (reader == NULL)
        return fail(r, "%s '%s': %s", flag, path, pipit_error_message());
    if (pipit_node_update_information(reader) != PIPIT_OK) {
        int rc = fail(r, "%s '%s': %s", flag, path, pipit_error_message());
        pipit_node_unref(reader);
        return rc;
    }
    *out = reader;
    return TOOL_OK;
}

/* Whether any value of img (whole, contiguous) is non-zero. */
static bool
any_inside(const pipit_image_t *img)
{
    const size_t *size = pipit_image_size(img);
    size_t n = pipit_image_components(img);
    for (unsigned d = 0; d < pipit_image_dim(img); d++)
        n *= size[d];
    const void *data = pipit_image_data(img);
#define SCAN(T)                                                           \
    do {                                                                  \
        const T *v = data;                                                \
        for (size_t i = 0; i < n; i++)                                    \
            if (v[i] != 0)                                                \
                return true;                                              \
        return false;                                                     \
    } while (0)
    switch (pipit_image_pixel_type(img)) {
    case PIPIT_U8: SCAN(uint8_t);
    case PIPIT_I8: SCAN(int8_t);
    case PIPIT_U16: SCAN(uint16_t);
    case PIPIT_I16: SCAN(int16_t);
    case PIPIT_U32: SCAN(uint32_t);
    case PIPIT_I32: SCAN(int32_t);
    case PIPIT_F32: SCAN(float);
    case PIPIT_F64: SCAN(double);
    }
#undef SCAN
    return false;
}

/* A mask: readable, of the image's dimension, with an inside voxel. */
static int
read_mask(run_t *r, const char *flag, const char *path, unsigned dim,
          pipit_image_t **out)
{
    pipit_image_t *mask = NULL;
    if (pipit_image_read(path, &mask) != PIPIT_OK)
        return fail(r, "%s '%s': %s", flag, path, pipit_error_message());
    int rc = TOOL_OK;
    if (pipit_image_dim(mask) != dim)
        rc = fail(r, "%s '%s' has %u dimensions, the image it masks %u",
                  flag, path, pipit_image_dim(mask), dim);
    else if (pipit_image_components(mask) != 1)
        rc = fail(r, "%s '%s' has %u components; a mask has one", flag,
                  path, pipit_image_components(mask));
    else if (!any_inside(mask))
        rc = fail(r, "%s '%s' covers no pixel (every value is 0): no "
                     "sample could be drawn",
                  flag, path);
    if (rc != TOOL_OK) {
        pipit_image_unref(mask);
        return rc;
    }
    *out = mask;
    return TOOL_OK;
}

/* ResultImagePixelType as pipit's type ("unsigned_char" too). */
pipit_status_t
tool_result_type(const char *name, pipit_pixel_type_t *t)
{
    char buf[PIPIT_TP_NAME_SIZE];
    snprintf(buf, sizeof buf, "%s", name);
    for (char *p = buf; *p != '\0'; p++)
        if (*p == '_')
            *p = ' ';
    return pipit_pixel_type_parse(buf, t);
}

/* What the CLI itself reads of map i: the result image's format and
 * pixel type, and the boolean keys that say what to write. */
static int
check_output_keys(run_t *r, size_t i)
{
    const pipit_params_t *p = r->maps[i];
    const char *file = r->args->params[i];
    const char *fmt, *type, *write;
    bool b;
    static const char *const bools[] = { "WriteIterationInfo",
                                         "WriteFinalTransformParameters",
                                         "CompressResultImage" };
    for (size_t k = 0; k < 3; k++)
        if (pipit_params_get_bool(p, bools[k], 0, false, &b) != PIPIT_OK)
            return fail(r, "parameter file '%s': %s", file,
                        pipit_error_message());
    if (pipit_params_get_string(p, "WriteResultImage", 0, "true", &write) !=
        PIPIT_OK)
        return fail_status(r, file);
    if (strcmp(write, "true") != 0)
        return TOOL_OK;
    if (pipit_params_get_string(p, "ResultImageFormat", 0, "mhd", &fmt) !=
            PIPIT_OK ||
        pipit_params_get_string(p, "ResultImagePixelType", 0, "short",
                                &type) != PIPIT_OK)
        return fail_status(r, file);
    char name[256];
    snprintf(name, sizeof name, "result.%s", fmt);
    if (pipit_io_format_for(name) == NULL)
        return fail(r, "parameter file '%s': (ResultImageFormat \"%s\"): "
                       "pipit cannot write that format (%s)",
                    file, fmt, pipit_error_message());
    pipit_pixel_type_t t;
    if (tool_result_type(type, &t) != PIPIT_OK)
        return fail(r, "parameter file '%s': (ResultImagePixelType "
                       "\"%s\"): %s",
                    file, type, pipit_error_message());
    return TOOL_OK;
}

/* ---- outputs ------------------------------------------------------------ */

/* elastix's TP settings for map i: the fixed image's grid, the map's
 * resampler keys. The map's own grid keys, if any, are not the grid. */
static int
tp_settings(run_t *r, size_t i, const pipit_image_t *fixed,
            pipit_tp_settings_t *s)
{
    pipit_tp_settings_t grid;
    pipit_params_t *p = NULL;
    int rc = TOOL_OK;
    if (pipit_tp_settings_from_image(&grid, fixed) != PIPIT_OK)
        return fail_status(r, "TransformParameters");
    if ((p = pipit_params_dup(r->maps[i])) == NULL)
        return fail(r, "out of memory");
    static const char *const grid_keys[] = { "Size", "Index", "Spacing",
                                             "Origin", "Direction" };
    for (size_t k = 0; k < 5; k++)
        pipit_params_remove(p, grid_keys[k]);
    char dim[16];
    snprintf(dim, sizeof dim, "%u", grid.dim);
    if (pipit_params_set_string(p, "FixedImageDimension", dim) != PIPIT_OK ||
        pipit_tp_settings_from_params(p, r->args->params[i], s) != PIPIT_OK) {
        rc = fail_status(r, NULL);
    } else {
        memcpy(s->size, grid.size, sizeof s->size);
        memcpy(s->index, grid.index, sizeof s->index);
        memcpy(s->spacing, grid.spacing, sizeof s->spacing);
        memcpy(s->origin, grid.origin, sizeof s->origin);
        memcpy(s->direction, grid.direction, sizeof s->direction);
        s->dim = grid.dim;
    }
    pipit_params_unref(p);
    return rc;
}

/* Map i's own link of the whole transform t to path, naming the file of
 * the link before it (elastix's "<out>TransformParameters.<i-1>.txt", or
 * -t0 verbatim for map 0). */
static int
write_tp_to(run_t *r, size_t i, const pipit_transform_t *t,
            const pipit_image_t *fixed, const char *t0, const char *path)
{
    char initial[4096];
    const char *initial_path = NULL;
    pipit_combine_t how = PIPIT_COMBINE_COMPOSE;
    if (i > 0 || t0 != NULL) {
        if (!pipit_transform_is_chain(t))
            return fail(r, "parameter file %zu: the registration's "
                           "transform does not hold its initial transform",
                        i);
        how = pipit_transform_chain_how(t);
        t = pipit_transform_chain_current(t);
        if (i > 0)
            initial_path = out_path(r, initial, sizeof initial,
                                    "TransformParameters.%zu.txt", i - 1);
        else
            initial_path = t0;
    }
    pipit_tp_settings_t s;
    pipit_params_t *tp = NULL;
    int rc = tp_settings(r, i, fixed, &s);
    if (rc != TOOL_OK)
        return rc;
    /* lib names both kinds BSplineTransform (one implementation); the
     * file says what the parameter file asked for, as elastix does. */
    const char *asked = NULL;
    if (pipit_tp_to_params(t, initial_path, how, &s, &tp) != PIPIT_OK ||
        pipit_params_get_string(r->maps[i], "Transform", 0, "",
                                &asked) != PIPIT_OK ||
        (strcmp(asked, "RecursiveBSplineTransform") == 0 &&
         strcmp(pipit_transform_name(t), "BSplineTransform") == 0 &&
         pipit_params_set_string(tp, "Transform", asked) != PIPIT_OK) ||
        pipit_tp_write_params(tp, path) != PIPIT_OK)
        rc = fail_status(r, path);
    pipit_params_unref(tp);
    return rc;
}

/* TransformParameters.<i>.txt: map i's final transform. */
static int
write_tp(run_t *r, pipit_node_t *node, size_t i, const pipit_image_t *fixed,
         const char *t0)
{
    pipit_transform_t *t = pipit_registration_map_transform(node, i);
    if (t == NULL)
        return fail(r, "the registration has no transform for parameter "
                       "file %zu ('%s')",
                    i, r->args->params[i]);
    char path[4096];
    out_path(r, path, sizeof path, "TransformParameters.%zu.txt", i);
    return write_tp_to(r, i, t, fixed, t0, path);
}

static bool
map_flag(const run_t *r, unsigned map, const char *key)
{
    bool on = false;
    return map < r->n_maps &&
           pipit_params_get_bool(r->maps[map], key, 0, false, &on) ==
               PIPIT_OK &&
           on;
}

/* From the iteration callback: TransformParameters.<i>.R<r>.It<k>.txt
 * (WriteTransformParametersEachIteration), and, at a resolution's first
 * iteration, TransformParameters.<i>.R<r-1>.txt
 * (WriteTransformParametersEachResolution): the transform a resolution
 * starts from is the one the previous ended with. */
static int
write_tp_as_it_goes(run_t *r, const pipit_registration_iteration_t *it)
{
    char path[4096];
    int rc = TOOL_OK;
    if (it->transform == NULL || r->fixed == NULL)
        return rc;
    if (it->iteration == 0 && it->level > 0 &&
        map_flag(r, it->map, "WriteTransformParametersEachResolution")) {
        out_path(r, path, sizeof path, "TransformParameters.%u.R%u.txt",
                 it->map, it->level - 1);
        rc = write_tp_to(r, it->map, it->transform, r->fixed, r->t0_path,
                         path);
    }
    if (rc == TOOL_OK &&
        map_flag(r, it->map, "WriteTransformParametersEachIteration")) {
        out_path(r, path, sizeof path,
                 "TransformParameters.%u.R%u.It%07zu.txt", it->map,
                 it->level, it->iteration);
        rc = write_tp_to(r, it->map, it->transform, r->fixed, r->t0_path,
                         path);
    }
    return rc;
}

/* v to type t with C's truncation toward zero (elastix's cast); values
 * out of the type's range, where C's cast is undefined, clamp. */
pipit_image_t *
tool_truncate_to(const pipit_image_t *src, pipit_pixel_type_t t)
{
    pipit_image_t *dst = pipit_image_new(pipit_image_dim(src),
                                         pipit_image_size(src), t,
                                         pipit_image_components(src));
    if (dst == NULL || pipit_image_copy_geometry(dst, src) != PIPIT_OK) {
        pipit_image_unref(dst);
        return NULL;
    }
    const double *v = pipit_image_data(src);
    size_t n = pipit_image_components(src);
    for (unsigned d = 0; d < pipit_image_dim(src); d++)
        n *= pipit_image_size(src)[d];
    void *out = pipit_image_data_writable(dst);
    double lo, hi;
    pipit_pixel_type_range(t, &lo, &hi);
#define CAST(T)                                                           \
    for (size_t i = 0; i < n; i++) {                                      \
        double x = isnan(v[i]) ? 0.0 : trunc(v[i]);                       \
        ((T *)out)[i] = (T)(x < lo ? lo : x > hi ? hi : x);               \
    }                                                                     \
    break
    switch (t) {
    case PIPIT_U8: CAST(uint8_t);
    case PIPIT_I8: CAST(int8_t);
    case PIPIT_U16: CAST(uint16_t);
    case PIPIT_I16: CAST(int16_t);
    case PIPIT_U32: CAST(uint32_t);
    case PIPIT_I32: CAST(int32_t);
    case PIPIT_F32:
        for (size_t i = 0; i < n; i++)
            ((float *)out)[i] = (float)v[i];
        break;
    case PIPIT_F64:
        memcpy(out, v, n * sizeof *v);
        break;
    }
#undef CAST
    return dst;
}

/* elastix's ResampleInterpolator as the resample node's interpolator. */
const char *
tool_interpolator_name(const char *elastix)
{
    if (strcmp(elastix, "FinalNearestNeighborInterpolator") == 0)
        return "nearest";
    if (strcmp(elastix, "FinalLinearInterpolator") == 0)
        return "linear";
    if (strcmp(elastix, "FinalBSplineInterpolatorFloat") == 0)
        return "bspline-float";
    return "bspline";
}

/* result.<i>.<fmt>: for the last map the node's result output; for an
 * earlier one the moving image resampled with that map's transform and
 * resampler settings, in double, then truncated as elastix casts. */
static int
write_result(run_t *r, pipit_node_t *node, size_t i, pipit_node_t *fixed_r,
             pipit_node_t *moving_r)
{
    const pipit_params_t *p = r->maps[i];
    const char *write, *fmt, *type_name, *interp;
    bool compress = false;
    int64_t order = 3;
    double dflt = 0.0;
    pipit_params_get_string(p, "WriteResultImage", 0, "true", &write);
    if (strcmp(write, "true") != 0)
        return TOOL_OK;
    pipit_params_get_string(p, "ResultImageFormat", 0, "mhd", &fmt);
    pipit_params_get_string(p, "ResultImagePixelType", 0, "short",
                            &type_name);
    pipit_params_get_bool(p, "CompressResultImage", 0, false, &compress);
    char path[4096];
    out_path(r, path, sizeof path, "result.%zu.%s", i, fmt);
    pipit_write_options_t opt = { .compress = compress };
    if (i + 1 == r->n_maps) {
        pipit_image_t *img = pipit_node_get_output(node,
                                                   PIPIT_REGISTRATION_RESULT);
        if (img == NULL || pipit_image_write_with(img, path, &opt) != PIPIT_OK)
            return fail_status(r, path);
        return TOOL_OK;
    }
    pipit_pixel_type_t type;
    if (tool_result_type(type_name, &type) != PIPIT_OK ||
        pipit_params_get_string(p, "ResampleInterpolator", 0,
                                "FinalBSplineInterpolator", &interp) !=
            PIPIT_OK ||
        pipit_params_get_int(p, "FinalBSplineInterpolationOrder", 0, 3,
                             &order) != PIPIT_OK ||
        pipit_params_get_double(p, "DefaultPixelValue", 0, 0.0, &dflt) !=
            PIPIT_OK)
        return fail_status(r, r->args->params[i]);
    int rc = TOOL_OK;
    pipit_node_t *res = pipit_resample_new();
    pipit_image_t *cast = NULL;
    char dflt_text[64], order_text[16];
    snprintf(dflt_text, sizeof dflt_text, "%.17g", dflt);
    snprintf(order_text, sizeof order_text, "%lld", (long long)order);
    if (res == NULL ||
        pipit_node_set_input(res, 0, moving_r, 0) != PIPIT_OK ||
        pipit_node_set_input(res, 1, fixed_r, 0) != PIPIT_OK ||
        pipit_resample_set_transform(
            res, pipit_registration_map_transform(node, i)) != PIPIT_OK ||
        pipit_node_set(res, "interpolator", tool_interpolator_name(interp)) !=
            PIPIT_OK ||
        pipit_node_set(res, "order", order_text) != PIPIT_OK ||
        pipit_node_set(res, "default-value", dflt_text) != PIPIT_OK ||
        pipit_node_set(res, "type", "f64") != PIPIT_OK ||
        pipit_node_update(res) != PIPIT_OK ||
        (cast = tool_truncate_to(pipit_node_get_output(res, 0), type)) == NULL ||
        pipit_image_write_with(cast, path, &opt) != PIPIT_OK)
        rc = fail_status(r, path);
    pipit_image_unref(cast);
    pipit_node_unref(res);
    return rc;
}

/* convergence.png: metric against iteration, one curve per resolution
 * (per map and resolution when there are several maps). */
static int
write_plot(run_t *r)
{
    if (r->n_series == 0 || r->oom)
        return TOOL_OK;
    tool_plot_series_t *s = calloc(r->n_series, sizeof *s);
    char (*labels)[32] = calloc(r->n_series, sizeof *labels);
    int rc = TOOL_OK;
    if (s == NULL || labels == NULL) {
        rc = fail(r, "out of memory");
        goto done;
    }
    for (size_t k = 0; k < r->n_series; k++) {
        if (r->n_maps > 1)
            snprintf(labels[k], sizeof labels[k], "P%u R%u",
                     r->series[k].map, r->series[k].level);
        else
            snprintf(labels[k], sizeof labels[k], "R%u",
                     r->series[k].level);
        s[k] = (tool_plot_series_t){ labels[k], r->series[k].x,
                                     r->series[k].y, r->series[k].n };
    }
    char path[4096];
    out_path(r, path, sizeof path, "convergence.png");
    pipit_image_t *img = tool_plot_draw(s, r->n_series, 800, 500,
                                        "iteration", "metric", NULL);
    /* zlib level 1: the plot is flat colour, and level 6 costs more
     * than a short registration. */
    pipit_write_options_t opt = { .compress = true, .level = 1,
                                  .palette = tool_plot_palette,
                                  .palette_size = TOOL_PLOT_COLOURS };
    if (img == NULL || pipit_image_write_with(img, path, &opt) != PIPIT_OK)
        rc = fail_status(r, path);
    pipit_image_unref(img);
done:
    free(s);
    free(labels);
    return rc;
}

/* ---- the command ---------------------------------------------------------- */

static void
log_header(run_t *r, int argc, char **argv)
{
    time_t now = time(NULL);
    char date[64] = "?";
    struct tm tm;
    if (localtime_r(&now, &tm) != NULL)
        strftime(date, sizeof date, "%a %b %d %H:%M:%S %Y", &tm);
    fprintf(r->log, "pipit register, pipit %s (elastix 5.0.1 compatible "
                    "command line)\nCommand line:\npipit register",
            pipit_version());
    for (int i = 1; i < argc; i++)
        fprintf(r->log, " %s", argv[i]);
    fprintf(r->log, "\nStarted: %s\n\n", date);
}

/* elastix's start-up checks and exit codes: 255 no -p, 254 no usable
 * -out; both wrong is elastix's -1 | -2 = -1, 255. */
static int
check_startup(const args_t *a, char **out)
{
    int code = 0;
    const char *o = arg_get(a, "-out");
    if (a->n_params == 0) {
        fprintf(stderr, "pipit: no -p given: at least one parameter file "
                        "is needed\n");
        code |= -1;
    }
    if (o == NULL) {
        fprintf(stderr, "pipit: no -out given: the output folder is "
                        "needed\n");
        code |= -2;
    } else {
        struct stat st;
        if (stat(o, &st) != 0 || !S_ISDIR(st.st_mode)) {
            fprintf(stderr, "pipit: -out '%s': %s\n", o,
                    stat(o, &st) != 0 ? "no such folder (elastix needs it "
                                        "to exist)"
                                      : "not a folder");
            code |= -2;
        }
    }
    if (code != 0)
        return code & 0xff;
    size_t n = strlen(o);
    bool slash = n > 0 && o[n - 1] == '/';
    if ((*out = malloc(n + 2)) == NULL)
        return tool_fail("out of memory");
    memcpy(*out, o, n);
    (*out)[n] = '/';
    (*out)[n + (slash ? 0 : 1)] = '\0';
    return 0;
}

int
pipit_cmd_register(int argc, char **argv)
{
    if (argc == 1) {
        fprintf(stdout, "Use \"pipit register --help\" for information "
                        "about pipit register.\n");
        return TOOL_OK;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                      strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "-help") == 0)) {
        fputs(help_text, stdout);
        return TOOL_OK;
    }
    /* --presets: tools/presets.c lists the shipped parameter files. */
    if (argc == 2 && strcmp(argv[1], "--presets") == 0)
        return pipit_presets_list();
    if (argc == 2 && (strcmp(argv[1], "--version") == 0 ||
                      strcmp(argv[1], "--extended-version") == 0)) {
        printf("pipit register (pipit %s), elastix 5.0.1 command line\n",
               pipit_version());
        return TOOL_OK;
    }
    args_t a;
    run_t r = { 0 };
    int rc = parse_pairs(argc, argv, &a);
    if (rc != TOOL_OK) {
        free(a.params);
        return rc;
    }
    if ((rc = check_startup(&a, &r.out)) != 0) {
        free(a.params);
        return rc;
    }
    clock_gettime(CLOCK_MONOTONIC, &r.t0);
    r.args = &a;
    r.tty = isatty(STDERR_FILENO) == 1;
    pipit_node_t *node = NULL, *fixed_r = NULL, *moving_r = NULL;
    pipit_image_t *fmask = NULL, *mmask = NULL;
    pipit_transform_t *initial = NULL;
    pipit_params_list_t *list = NULL;
    char path[4096];
    out_path(&r, path, sizeof path, "elastix.log");
    if ((r.log = fopen(path, "w")) == NULL) {
        rc = fail(&r, "cannot write '%s': %s", path, strerror(errno));
        goto done;
    }
    log_header(&r, argc, argv);

    /* The flags: images, masks, -t0, -threads, -priority. */
    const char *fixed, *moving, *fmask_path, *mmask_path;
    if ((rc = image_arg(&a, "-f", &fixed)) != TOOL_OK ||
        (rc = image_arg(&a, "-m", &moving)) != TOOL_OK ||
        (rc = image_arg(&a, "-fMask", &fmask_path)) != TOOL_OK ||
        (rc = image_arg(&a, "-mMask", &mmask_path)) != TOOL_OK)
        goto done;
    if (fixed == NULL || moving == NULL) {
        rc = fail(&r, "no %s given: the %s image is needed",
                  fixed == NULL ? "-f" : "-m",
                  fixed == NULL ? "fixed" : "moving");
        goto done;
    }
    const char *t0 = arg_get(&a, "-t0");
    const char *threads_text = arg_get(&a, "-threads");
    int threads = threads_text != NULL ? atoi(threads_text) : 0;
    /* One registration in this process: the pool's size is its budget
     * (no idle workers started to be capped). */
    if (threads > 0 && pipit_pool_set_threads((unsigned)threads) != PIPIT_OK) {
        rc = fail(&r, "-threads %d: %s", threads, pipit_error_message());
        goto done;
    }
    const char *priority = arg_get(&a, "-priority");
    if (priority != NULL && priority[0] != '\0' &&
        strcmp(priority, "high") != 0 && strcmp(priority, "abovenormal") != 0 &&
        strcmp(priority, "normal") != 0 && strcmp(priority, "belownormal") != 0 &&
        strcmp(priority, "idle") != 0) {
        fprintf(stderr, "pipit: warning: -priority '%s' is not one of high, "
                        "abovenormal, normal, belownormal, idle (ignored "
                        "anyway)\n", priority);
        log_printf(&r, "WARNING: unknown -priority '%s' ignored", priority);
    }
    for (unsigned i = 0; i < a.n; i++) {
        static const char *const known[] = { "-f", "-f0", "-m", "-m0",
            "-fMask", "-fMask0", "-mMask", "-mMask0", "-out", "-t0",
            "-threads", "-priority" };
        bool ok = false;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
            ok = ok || strcmp(a.key[i], known[k]) == 0;
        if (!ok) /* elastix stores unknown flags and ignores them */
            log_printf(&r, "WARNING: unknown flag '%s' ignored", a.key[i]);
    }

    /* Parameter files: names ending in .txt, each parsed. */
    if ((r.maps = calloc(a.n_params, sizeof *r.maps)) == NULL ||
        (list = pipit_params_list_new()) == NULL) {
        rc = fail(&r, "out of memory");
        goto done;
    }
    r.n_maps = a.n_params;
    for (size_t i = 0; i < a.n_params; i++) {
        if (!ends_with(a.params[i], ".txt")) {
            rc = fail(&r, "-p '%s': a parameter file's name must end in "
                          ".txt (as elastix requires)",
                      a.params[i]);
            goto done;
        }
        if (pipit_params_read(a.params[i], &r.maps[i]) != PIPIT_OK) {
            rc = fail(&r, "-p '%s': %s", a.params[i], pipit_error_message());
            goto done;
        }
        if ((rc = check_output_keys(&r, i)) != TOOL_OK)
            goto done;
        if (pipit_params_list_append(list, r.maps[i]) != PIPIT_OK) {
            rc = fail_status(&r, NULL);
            goto done;
        }
    }

    /* Images (headers only), masks (their pixels), -t0. */
    if ((rc = open_image(&r, "-f", fixed, &fixed_r)) != TOOL_OK ||
        (rc = open_image(&r, "-m", moving, &moving_r)) != TOOL_OK)
        goto done;
    const pipit_image_t *fixed_info = pipit_node_get_output(fixed_r, 0);
    unsigned fdim = pipit_image_dim(fixed_info);
    unsigned mdim = pipit_image_dim(pipit_node_get_output(moving_r, 0));
    if (fdim != mdim) {
        rc = fail(&r, "fixed image '%s' has %u dimensions, moving image "
                      "'%s' %u: both must have the same",
                  fixed, fdim, moving, mdim);
        goto done;
    }
    if ((fmask_path != NULL &&
         (rc = read_mask(&r, "-fMask", fmask_path, fdim, &fmask)) !=
             TOOL_OK) ||
        (mmask_path != NULL &&
         (rc = read_mask(&r, "-mMask", mmask_path, mdim, &mmask)) !=
             TOOL_OK))
        goto done;
    if (t0 != NULL) {
        if (pipit_tp_read(t0, &initial, NULL) != PIPIT_OK) {
            rc = fail(&r, "-t0 '%s': %s", t0, pipit_error_message());
            goto done;
        }
        if (pipit_transform_dim(initial) != fdim) {
            rc = fail(&r, "-t0 '%s' is a %u-D transform, the images are "
                          "%u-D",
                      t0, pipit_transform_dim(initial), fdim);
            goto done;
        }
    }

    /* The node, its inputs, and its own check of the maps. */
    if ((node = pipit_registration_new()) == NULL) {
        rc = fail_status(&r, "registration");
        goto done;
    }
    if (pipit_node_set_input(node, PIPIT_REGISTRATION_FIXED, fixed_r, 0) !=
            PIPIT_OK ||
        pipit_node_set_input(node, PIPIT_REGISTRATION_MOVING, moving_r, 0) !=
            PIPIT_OK ||
        pipit_node_set_input_data(node, PIPIT_REGISTRATION_PARAMS,
                                  PIPIT_DATA(list)) != PIPIT_OK ||
        (fmask != NULL &&
         pipit_node_set_input_image(node, PIPIT_REGISTRATION_FIXED_MASK,
                                    fmask) != PIPIT_OK) ||
        (mmask != NULL &&
         pipit_node_set_input_image(node, PIPIT_REGISTRATION_MOVING_MASK,
                                    mmask) != PIPIT_OK) ||
        (initial != NULL &&
         pipit_node_set_input_transform(node, PIPIT_REGISTRATION_INITIAL,
                                        initial) != PIPIT_OK) ||
        pipit_registration_set_threads(node, threads > 0 ? (unsigned)threads
                                                         : 0) != PIPIT_OK ||
        pipit_registration_set_log(node, log_line, &r) != PIPIT_OK ||
        pipit_registration_set_iteration_callback(node, on_iteration, &r) !=
            PIPIT_OK) {
        rc = fail_status(&r, "registration");
        goto done;
    }
    r.fixed = pipit_node_get_output(fixed_r, 0); /* geometry, for TP files */
    r.t0_path = t0;
    if (pipit_registration_check(node) != PIPIT_OK) {
        rc = fail_status(&r, NULL);
        goto done;
    }
    log_printf(&r, "Checked the inputs in %.3f s.", seconds_since(&r.t0));

    /* The run. The result image is made only when the last map's
     * WriteResultImage is "true": otherwise only the transform is asked
     * for, and the node resamples nothing (a tenth of a short run). */
    const char *write_last = "true";
    pipit_params_get_string(r.maps[r.n_maps - 1], "WriteResultImage", 0,
                            "true", &write_last);
    pipit_status_t st =
        strcmp(write_last, "true") == 0
            ? pipit_node_update(node)
            : pipit_node_update_output(node, PIPIT_REGISTRATION_TRANSFORM);
    bool info_ok = close_info(&r) && !r.info_failed;
    if (r.tty)
        fputs("\r\033[K", stderr);
    if (st != PIPIT_OK) {
        rc = r.info_failed || r.tp_failed ? TOOL_FAILED
                                          : fail_status(&r, NULL);
        goto done;
    }
    if (!info_ok) {
        rc = fail(&r, "cannot write the IterationInfo files in '%s'", r.out);
        goto done;
    }
    const pipit_image_t *fixed_img = pipit_node_get_output(fixed_r, 0);
    for (size_t i = 0; i < r.n_maps; i++) {
        bool write_tp_file = true;
        pipit_params_get_bool(r.maps[i], "WriteFinalTransformParameters", 0,
                              true, &write_tp_file);
        if (write_tp_file &&
            (rc = write_tp(&r, node, i, fixed_img, t0)) != TOOL_OK)
            goto done;
        if (map_flag(&r, (unsigned)i,
                     "WriteTransformParametersEachResolution")) {
            /* the last resolution ends with the map's final transform */
            int64_t levels = 3;
            pipit_params_get_int(r.maps[i], "NumberOfResolutions", 0, 3,
                                 &levels);
            char last[4096];
            out_path(&r, last, sizeof last, "TransformParameters.%zu.R%lld.txt",
                     i, (long long)(levels > 0 ? levels - 1 : 0));
            if ((rc = write_tp_to(&r, i,
                                  pipit_registration_map_transform(node, i),
                                  fixed_img, t0, last)) != TOOL_OK)
                goto done;
        }
        if ((rc = write_result(&r, node, i, fixed_r, moving_r)) != TOOL_OK)
            goto done;
        log_printf(&r, "Parameter file %zu ('%s'): final metric %.6f.", i,
                   a.params[i], pipit_registration_final_metric(node, i));
    }
    rc = write_plot(&r);
    if (rc == TOOL_OK)
        log_printf(&r, "\nTotal time elapsed: %.3f s.", seconds_since(&r.t0));
done:
    close_info(&r);
    if (r.log != NULL && fclose(r.log) != 0 && rc == TOOL_OK)
        rc = tool_fail("cannot write %selastix.log", r.out);
    for (size_t i = 0; i < r.n_series; i++) {
        free(r.series[i].x);
        free(r.series[i].y);
    }
    free(r.series);
    for (size_t i = 0; r.maps != NULL && i < r.n_maps; i++)
        pipit_params_unref(r.maps[i]);
    free(r.maps);
    pipit_params_list_unref(list);
    pipit_node_unref(node);
    pipit_node_unref(fixed_r);
    pipit_node_unref(moving_r);
    pipit_image_unref(fmask);
    pipit_image_unref(mmask);
    pipit_transform_unref(initial);
    free(r.out);
    free(a.params);
    return rc;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `pipit transform`: two faces.
 *
 * transformix's command line (shared/spec/elastix-compat.md section 3)
 * over pipit_tp_read and the resample and transform-field nodes:
 *   -tp FILE -out FOLDER [-in IMAGE] [-def all|POINTS] [-jac all]
 *   [-jacmat all] [-threads N] [-priority P]
 * -in writes result.<fmt>, -def all deformationField.<fmt> (D float
 * components, T(x) - x in world axes), -jac all spatialJacobian.<fmt>
 * (det dT/dx), -jacmat all fullSpatialJacobian.<fmt> (D·D floats, dT/dx
 * row-major), all on the grid the TP file names; -def POINTS maps a
 * point file to outputpoints.txt. The log goes to FOLDER/transformix.log.
 * Exit codes as transformix: 255 no -tp or nothing to do, 254 -out
 * missing or not a folder, 1 any other error. As transformix, a failure
 * in the points or Jacobian stages is logged and the rest goes on (the
 * exit status is then 1, where transformix 5.0.1 says 0).
 *
 * Transform tools, shaped as `pipit filter NAME [--setting value] IN
 * OUT` (doc/pipit-transform.1):
 *   field   [--quantity Q] [--type T] [--reference IMG] TP OUT
 *   invert  [--reference IMG] [--iterations N] [--tolerance X]
 *           [--type T] TP OUT(.txt | image)
 *   compose [--how compose|add] FIRST SECOND OUT.txt
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <pipit/io.h>
#include <pipit/pipit.h>

#include "error_impl.h" /* pipit__error */
#include "tool.h"

int pipit_cmd_transform(int argc, char **argv);

#define USAGE                                                              \
    "pipit transform -tp TransformParameters.txt -out FOLDER [-in IMAGE] " \
    "[-def all|POINTS] [-jac all] [-jacmat all] [-threads N]\n"            \
    "       pipit transform field [--quantity Q] [--type T] "              \
    "[--reference IMG] TP OUT\n"                                           \
    "       pipit transform invert [--reference IMG] [--iterations N] "    \
    "[--tolerance X] [--type T] TP OUT\n"                                  \
    "       pipit transform compose [--how compose|add] FIRST SECOND OUT"

/* ---- the log ---------------------------------------------------------- */

static FILE *log_file;

/* A line to transformix.log (when open) and, for errors, stderr. */
static void PIPIT_PRINTF(2, 3)
logf_(bool error, const char *fmt, ...)
{
    va_list ap;
    if (log_file != NULL) {
        va_start(ap, fmt);
        if (error)
            fputs("ERROR: ", log_file);
        vfprintf(log_file, fmt, ap);
        fputc('\n', log_file);
        fflush(log_file);
        va_end(ap);
    }
    if (error) {
        va_start(ap, fmt);
        fputs("pipit: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- the TP file's grid ------------------------------------------------ */

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

/* ITK's index of a point on the TP grid (absolute: Index included), as
 * continuous values: diag(S)^-1 M^-1 (p - O). */
static void
tp_point_to_index(const pipit_tp_settings_t *s, const double *p, double *c)
{
    unsigned dim = s->dim;
    double a[PIPIT_MAX_DIM * PIPIT_MAX_DIM], b[PIPIT_MAX_DIM];
    /* M·diag(S) c = p - O, solved by elimination (M need not be
     * orthonormal in a file). */
    for (unsigned r = 0; r < dim; r++) {
        b[r] = p[r] - s->origin[r];
        for (unsigned k = 0; k < dim; k++)
            a[r * dim + k] = s->direction[r * dim + k] * s->spacing[k];
    }
    for (unsigned k = 0; k < dim; k++) {
        unsigned piv = k;
        for (unsigned r = k + 1; r < dim; r++)
            if (fabs(a[r * dim + k]) > fabs(a[piv * dim + k]))
                piv = r;
        for (unsigned j = 0; j < dim; j++) {
            double t = a[k * dim + j];
            a[k * dim + j] = a[piv * dim + j];
            a[piv * dim + j] = t;
        }
        double t = b[k];
        b[k] = b[piv];
        b[piv] = t;
        for (unsigned r = k + 1; r < dim; r++) {
            double f = a[r * dim + k] / a[k * dim + k];
            for (unsigned j = k; j < dim; j++)
                a[r * dim + j] -= f * a[k * dim + j];
            b[r] -= f * b[k];
        }
    }
    for (unsigned k = dim; k-- > 0;) {
        double v = b[k];
        for (unsigned j = k + 1; j < dim; j++)
            v -= a[k * dim + j] * c[j];
        c[k] = v / a[k * dim + k];
    }
}

static void
tp_index_to_point(const pipit_tp_settings_t *s, const double *c, double *p)
{
    for (unsigned r = 0; r < s->dim; r++) {
        p[r] = s->origin[r];
        for (unsigned k = 0; k < s->dim; k++)
            p[r] += s->direction[r * s->dim + k] * s->spacing[k] * c[k];
    }
}

/* ITK's RoundHalfIntegerUp. */
static long long
round_half_up(double v)
{
    double r = floor(v + 0.5);
    if (!(r > (double)LLONG_MIN && r < (double)LLONG_MAX))
        return r > 0 ? LLONG_MAX : LLONG_MIN;
    return (long long)r;
}

/* ---- the images -------------------------------------------------------- */

/* A transform-field node's output over the TP grid, written to path. */
static pipit_status_t
write_field(pipit_transform_t *t, const pipit_tp_settings_t *s,
            const char *quantity, const char *path)
{
    pipit_image_t *grid = grid_image(s, PIPIT_U8, 1);
    pipit_node_t *f = pipit_transform_field_new();
    pipit_write_options_t opt = { .compress = s->compress_result };
    pipit_status_t st = grid == NULL || f == NULL ? PIPIT_ENOMEM : PIPIT_OK;
    if (st == PIPIT_OK &&
        (st = pipit_node_set_input_image(f, 0, grid)) == PIPIT_OK &&
        (st = pipit_node_set_input_transform(f, 1, t)) == PIPIT_OK &&
        (st = pipit_node_set(f, "quantity", quantity)) == PIPIT_OK)
        st = pipit_node_update(f);
    if (st == PIPIT_OK)
        st = pipit_image_write_with(pipit_node_get_output(f, 0), path, &opt);
    pipit_node_unref(f);
    pipit_image_unref(grid);
    return st;
}

static pipit_status_t
write_result(pipit_transform_t *t, const pipit_tp_settings_t *s,
             pipit_image_t *in, const char *path)
{
    pipit_pixel_type_t type;
    pipit_status_t st = tool_result_type(s->result_pixel_type, &type);
    if (st != PIPIT_OK)
        return st;
    pipit_node_t *res = pipit_resample_new();
    pipit_image_t *grid = grid_image(s, PIPIT_U8, 1), *cast = NULL;
    char dflt[64], order[16];
    snprintf(dflt, sizeof dflt, "%.17g", s->default_pixel_value);
    snprintf(order, sizeof order, "%u", s->final_bspline_order);
    pipit_write_options_t opt = { .compress = s->compress_result };
    if (res == NULL || grid == NULL)
        st = PIPIT_ENOMEM;
    else if ((st = pipit_node_set_input_image(res, 0, in)) != PIPIT_OK ||
             (st = pipit_node_set_input_image(res, 1, grid)) != PIPIT_OK ||
             (st = pipit_resample_set_transform(res, t)) != PIPIT_OK ||
             (st = pipit_node_set(
                  res, "interpolator",
                  tool_interpolator_name(s->resample_interpolator))) !=
                 PIPIT_OK ||
             (st = pipit_node_set(res, "order", order)) != PIPIT_OK ||
             (st = pipit_node_set(res, "default-value", dflt)) != PIPIT_OK ||
             (st = pipit_node_set(res, "type", "f64")) != PIPIT_OK ||
             (st = pipit_node_update(res)) != PIPIT_OK)
        ;
    else if ((cast = tool_truncate_to(pipit_node_get_output(res, 0),
                                      type)) == NULL)
        st = PIPIT_ENOMEM;
    else
        st = pipit_image_write_with(cast, path, &opt);
    pipit_image_unref(cast);
    pipit_image_unref(grid);
    pipit_node_unref(res);
    return st;
}

/* ---- point files ------------------------------------------------------- */

static void
put_vector(FILE *f, const char *name, const double *v, unsigned dim,
           bool integers)
{
    fprintf(f, "\t; %s = [ ", name);
    for (unsigned d = 0; d < dim; d++) {
        if (integers)
            fprintf(f, "%lld ", round_half_up(v[d]));
        else
            fprintf(f, "%.6f ", v[d]);
    }
    fputc(']', f);
}

/* -def POINTS: transformix's outputpoints.txt. in (may be NULL) is the
 * -in image, for OutputIndexMoving. */
static pipit_status_t
map_points(const pipit_transform_t *t, const pipit_tp_settings_t *s,
           const pipit_image_t *in, const char *points, const char *path)
{
    size_t len = strlen(points);
    if (len >= 4 && strcmp(points + len - 4, ".vtk") == 0)
        return pipit__error(PIPIT_EUNSUPPORTED,
                            "-def '%s': VTK point files are not supported; "
                            "give a text file (point/index, count, "
                            "coordinates)",
                            points);
    FILE *f = fopen(points, "r");
    if (f == NULL)
        return pipit__error(PIPIT_EIO, "-def '%s': %s", points,
                            strerror(errno));
    pipit_status_t st = PIPIT_OK;
    char word[64];
    bool index_mode = false;
    unsigned long long count = 0;
    unsigned dim = s->dim;
    double *v = NULL;
    if (fscanf(f, "%63s", word) != 1) {
        st = pipit__error(PIPIT_EFORMAT, "-def '%s': empty point file",
                          points);
        goto done;
    }
    char *end;
    if (strcmp(word, "point") == 0 || strcmp(word, "index") == 0) {
        index_mode = word[0] == 'i';
        if (fscanf(f, "%63s", word) != 1)
            word[0] = '\0';
    } else {
        index_mode = true; /* a bare count: index mode, as transformix */
    }
    count = strtoull(word, &end, 10);
    if (word[0] == '\0' || *end != '\0' || word[0] == '-' ||
        count > (1ull << 32)) {
        st = pipit__error(PIPIT_EFORMAT,
                          "-def '%s': the number of points '%s' is not a "
                          "count (the file starts with point or index, then "
                          "the count)",
                          points, word);
        goto done;
    }
    /* grown as numbers arrive: a count the file does not hold must not
     * reserve memory */
    size_t cap = 0;
    for (size_t i = 0; i < (size_t)count * dim; i++) {
        if (i == cap) {
            size_t more = cap < 1024 ? 1024 : 2 * cap;
            double *nv = realloc(v, more * sizeof *v);
            if (nv == NULL) {
                st = pipit__error(PIPIT_ENOMEM, "-def '%s': out of memory",
                                  points);
                goto done;
            }
            v = nv;
            cap = more;
        }
        if (fscanf(f, "%63s", word) != 1) {
            st = pipit__error(PIPIT_EFORMAT,
                              "-def '%s': %llu points of %u coordinates "
                              "announced, the file ends after %zu numbers",
                              points, count, dim, i);
            goto done;
        }
        v[i] = strtod(word, &end);
        if (*end != '\0' || !isfinite(v[i])) {
            st = pipit__error(PIPIT_EFORMAT,
                              "-def '%s': point %zu, coordinate %zu: '%s' "
                              "is not a number",
                              points, i / dim, i % dim, word);
            goto done;
        }
    }
    fclose(f);
    f = NULL;
    if ((f = fopen(path, "w")) == NULL) {
        st = pipit__error(PIPIT_EIO, "%s: %s", path, strerror(errno));
        goto done;
    }
    for (size_t i = 0; i < (size_t)count; i++) {
        double idx[PIPIT_MAX_DIM], x[PIPIT_MAX_DIM], y[PIPIT_MAX_DIM];
        double oi[PIPIT_MAX_DIM], def[PIPIT_MAX_DIM];
        if (index_mode) {
            for (unsigned d = 0; d < dim; d++)
                idx[d] = (double)round_half_up(v[i * dim + d]);
            tp_index_to_point(s, idx, x);
        } else {
            for (unsigned d = 0; d < dim; d++)
                x[d] = v[i * dim + d];
            tp_point_to_index(s, x, idx);
        }
        pipit_transform_point(t, x, y);
        tp_point_to_index(s, y, oi);
        for (unsigned d = 0; d < dim; d++)
            def[d] = (float)(y[d] - x[d]); /* transformix: a float vector */
        fprintf(f, "Point\t%zu", i);
        put_vector(f, "InputIndex", idx, dim, true);
        put_vector(f, "InputPoint", x, dim, false);
        put_vector(f, "OutputIndexFixed", oi, dim, true);
        put_vector(f, "OutputPoint", y, dim, false);
        put_vector(f, "Deformation", def, dim, false);
        if (in != NULL) {
            double mi[PIPIT_MAX_DIM];
            pipit_image_point_to_index(in, y, mi);
            put_vector(f, "OutputIndexMoving", mi, dim, true);
        }
        fputc('\n', f);
    }
    if (ferror(f))
        st = pipit__error(PIPIT_EIO, "%s: cannot write", path);
done:
    if (f != NULL && fclose(f) != 0 && st == PIPIT_OK)
        st = pipit__error(PIPIT_EIO, "%s: cannot write", path);
    free(v);
    return st;
}

/* ---- transformix's command line --------------------------------------- */

static int
transformix(int argc, char **argv)
{
    const char *tp = NULL, *out = NULL, *in = NULL, *def = NULL, *jac = NULL;
    const char *jacmat = NULL, *threads = NULL, *priority = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char **slot = strcmp(argv[i], "-tp") == 0       ? &tp
                          : strcmp(argv[i], "-out") == 0      ? &out
                          : strcmp(argv[i], "-in") == 0       ? &in
                          : strcmp(argv[i], "-def") == 0      ? &def
                          : strcmp(argv[i], "-jac") == 0      ? &jac
                          : strcmp(argv[i], "-jacmat") == 0   ? &jacmat
                          : strcmp(argv[i], "-threads") == 0  ? &threads
                          : strcmp(argv[i], "-priority") == 0 ? &priority
                                                              : NULL;
        if (slot == NULL)
            fprintf(stderr, "pipit: ignoring the unknown option '%s'\n",
                    argv[i]);
        else if (*slot == NULL)
            *slot = argv[i + 1];
    }
    if (argc % 2 == 0)
        fprintf(stderr, "pipit: '%s' has no value: ignored\n",
                argv[argc - 1]);
    int code = 0;
    if (tp == NULL) {
        fprintf(stderr, "pipit: no -tp given\n");
        code |= -1;
    }
    if (in == NULL && def == NULL && jac == NULL && jacmat == NULL) {
        fprintf(stderr, "pipit: nothing to do: give -in, -def, -jac or "
                        "-jacmat\n");
        code |= -1;
    }
    struct stat sb;
    if (out == NULL || stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "pipit: -out %s%s%s: %s\n", out ? "'" : "",
                out ? out : "", out ? "'" : "",
                out == NULL ? "missing" : "not an existing folder");
        code |= -2;
    }
    if (code != 0)
        return code & 0xff;
    char path[4096];
    const char *sep = out[strlen(out) - 1] == '/' ? "" : "/";
    snprintf(path, sizeof path, "%s%stransformix.log", out, sep);
    if ((log_file = fopen(path, "w")) == NULL)
        return tool_fail("%s: %s", path, strerror(errno));
    double t_begin = now_s();
    time_t now = time(NULL);
    logf_(false, "pipit transform (transformix) %s started at %s",
          pipit_version(), ctime(&now));
    logf_(false, "Command line options:");
    const char *names[] = { "-in", "-out", "-threads", "-tp", "-def",
                            "-jac", "-jacmat", "-priority" };
    const char *values[] = { in, out, threads, tp, def, jac, jacmat,
                             priority };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (values[k] != NULL)
            logf_(false, "%-9s %s", names[k], values[k]);
    unsigned old_limit = 0;
    bool limited = false;
    if (threads != NULL) {
        char *end;
        long n = strtol(threads, &end, 10);
        if (*end != '\0' || n < 1 || n > 100000)
            logf_(false, "-threads '%s' is not a positive count: ignored",
                  threads);
        else {
            /* The pool's size too: no idle workers started. */
            (void)pipit_pool_set_threads((unsigned)n);
            old_limit = pipit_pool_set_local_limit((unsigned)n);
            limited = true;
        }
    }
    pipit_transform_t *t = NULL;
    pipit_params_t *p = NULL;
    pipit_image_t *moving = NULL;
    pipit_tp_settings_t s;
    int rc = TOOL_OK;
    if (pipit_tp_read(tp, &t, &p) != PIPIT_OK) {
        logf_(true, "-tp '%s': %s", tp, pipit_error_message());
        rc = TOOL_FAILED;
        goto done;
    }
    if (pipit_tp_settings_from_params(p, tp, &s) != PIPIT_OK) {
        logf_(true, "%s", pipit_error_message());
        rc = TOOL_FAILED;
        goto done;
    }
    logf_(false, "Read %s: %s, %u-D, %zu parameters, grid of %zu voxels "
                 "along x",
          tp, pipit_transform_name(t), s.dim, pipit_transform_n_parameters(t),
          s.size[0]);
    if (in != NULL) {
        logf_(false, "Reading input image ...");
        if (pipit_image_read(in, &moving) != PIPIT_OK) {
            logf_(true, "-in '%s': %s", in, pipit_error_message());
            rc = TOOL_FAILED;
            goto done;
        }
        if (pipit_image_dim(moving) != s.dim) {
            logf_(true, "-in '%s' is %u-D but the transform is %u-D", in,
                  pipit_image_dim(moving), s.dim);
            rc = TOOL_FAILED;
            goto done;
        }
    }
    /* transformix's order: points (or the deformation field), the
     * Jacobians, then the result image. Errors in the first three are
     * logged and the rest goes on. */
    if (def != NULL) {
        double t0 = now_s();
        pipit_status_t st;
        if (strcmp(def, "all") == 0) {
            logf_(false, "Computing and writing the deformation field ...");
            snprintf(path, sizeof path, "%s%sdeformationField.%s", out, sep,
                     s.result_format);
            if ((st = write_field(t, &s, "displacement", path)) !=
                PIPIT_OK) {
                char why[1024];
                snprintf(why, sizeof why, "%s", pipit_error_message());
                pipit__error(st, "-def all: %s: %s", path, why);
            }
        } else {
            logf_(false, "Transforming the points of %s ...", def);
            snprintf(path, sizeof path, "%s%soutputpoints.txt", out, sep);
            st = map_points(t, &s, moving, def, path);
        }
        if (st != PIPIT_OK) {
            logf_(true, "%s (continuing)", pipit_error_message());
            rc = TOOL_FAILED;
        } else {
            logf_(false, "  done, it took %.2fs", now_s() - t0);
        }
    }
    struct { const char *value, *flag, *file, *quantity; } jacs[] = {
        { jac, "-jac", "spatialJacobian", "jacobian-determinant" },
        { jacmat, "-jacmat", "fullSpatialJacobian", "jacobian" },
    };
    for (size_t k = 0; k < 2; k++) {
        if (jacs[k].value == NULL)
            continue;
        if (strcmp(jacs[k].value, "all") != 0) {
            logf_(false, "%s '%s': only 'all' is known: nothing done",
                  jacs[k].flag, jacs[k].value);
            continue;
        }
        double t0 = now_s();
        logf_(false, "Computing and writing %s ...", jacs[k].file);
        snprintf(path, sizeof path, "%s%s%s.%s", out, sep, jacs[k].file,
                 s.result_format);
        if (write_field(t, &s, jacs[k].quantity, path) != PIPIT_OK) {
            logf_(true, "%s all: %s (continuing)", jacs[k].flag,
                  pipit_error_message());
            rc = TOOL_FAILED;
        } else {
            logf_(false, "  done, it took %.2fs", now_s() - t0);
        }
    }
    if (moving != NULL) {
        double t0 = now_s();
        logf_(false, "Resampling image and writing to disk ...");
        snprintf(path, sizeof path, "%s%sresult.%s", out, sep,
                 s.result_format);
        if (write_result(t, &s, moving, path) != PIPIT_OK) {
            logf_(true, "-in '%s': %s", in, pipit_error_message());
            rc = TOOL_FAILED;
            goto done;
        }
        logf_(false, "  Resampling took %.2fs", now_s() - t0);
    }
    logf_(false, "transformix has finished: total time elapsed %.2fs.",
          now_s() - t_begin);
done:
    if (limited)
        pipit_pool_set_local_limit(old_limit);
    pipit_image_unref(moving);
    pipit_transform_unref(t);
    pipit_params_unref(p);
    if (log_file != NULL)
        fclose(log_file);
    log_file = NULL;
    return rc;
}

/* ---- the transform tools ----------------------------------------------- */

typedef struct {
    const char *files[4];
    unsigned n_files;
    const char *reference;
    const char *names[8], *values[8]; /* node settings */
    unsigned n_settings;
} tool_args_t;

/* --name value / --name=value pairs (--reference apart) and files. */
static int
parse_tool_args(int argc, char **argv, tool_args_t *a)
{
    memset(a, 0, sizeof *a);
    bool options = true;
    for (int i = 2; i < argc; i++) {
        const char *w = argv[i];
        if (!options || w[0] != '-' || w[1] == '\0') {
            if (a->n_files == 4)
                return tool_usage(USAGE, "too many files ('%s')", w);
            a->files[a->n_files++] = w;
            continue;
        }
        if (strcmp(w, "--") == 0) {
            options = false;
            continue;
        }
        if (w[1] != '-')
            return tool_usage(USAGE, "unknown option '%s'", w);
        const char *eq = strchr(w, '=');
        static char names[8][64];
        size_t len = eq != NULL ? (size_t)(eq - w - 2) : strlen(w + 2);
        if (a->n_settings == 8 || len >= sizeof names[0])
            return tool_usage(USAGE, "too many or too long options ('%s')",
                              w);
        const char *value = eq != NULL ? eq + 1 : NULL;
        if (value == NULL) {
            if (i + 1 >= argc)
                return tool_usage(USAGE, "%s needs a value", w);
            value = argv[++i];
        }
        memcpy(names[a->n_settings], w + 2, len);
        names[a->n_settings][len] = '\0';
        if (strcmp(names[a->n_settings], "reference") == 0) {
            a->reference = value;
            continue;
        }
        a->names[a->n_settings] = names[a->n_settings];
        a->values[a->n_settings++] = value;
    }
    return TOOL_OK;
}

/* Reads TP (its transform and settings) and the grid: the reference
 * image's when given, else the TP file's. */
static int
read_tp_and_grid(const char *tp, const char *reference,
                 pipit_transform_t **t, pipit_tp_settings_t *s,
                 pipit_image_t **grid)
{
    pipit_params_t *p = NULL;
    *t = NULL;
    *grid = NULL;
    if (pipit_tp_read(tp, t, &p) != PIPIT_OK)
        return tool_fail("'%s': %s", tp, pipit_error_message());
    pipit_status_t st = pipit_tp_settings_from_params(p, tp, s);
    pipit_params_unref(p);
    if (st != PIPIT_OK)
        return tool_fail("%s", pipit_error_message());
    if (reference != NULL) {
        if (pipit_image_read(reference, grid) != PIPIT_OK)
            return tool_fail("--reference '%s': %s", reference,
                             pipit_error_message());
        if (pipit_image_dim(*grid) != s->dim)
            return tool_fail("--reference '%s' is %u-D but '%s' is %u-D",
                             reference, pipit_image_dim(*grid), tp, s->dim);
        /* the grid of the files written */
        pipit_tp_settings_t r;
        if (pipit_tp_settings_from_image(&r, *grid) == PIPIT_OK) {
            memcpy(s->size, r.size, sizeof s->size);
            memcpy(s->index, r.index, sizeof s->index);
            memcpy(s->spacing, r.spacing, sizeof s->spacing);
            memcpy(s->origin, r.origin, sizeof s->origin);
            memcpy(s->direction, r.direction, sizeof s->direction);
        }
    } else if ((*grid = grid_image(s, PIPIT_U8, 1)) == NULL) {
        return tool_fail_status(PIPIT_ENOMEM);
    }
    return TOOL_OK;
}

static int
set_all(pipit_node_t *n, const tool_args_t *a)
{
    for (unsigned k = 0; k < a->n_settings; k++)
        if (pipit_node_set(n, a->names[k], a->values[k]) != PIPIT_OK)
            return tool_usage(USAGE, "%s", pipit_error_message());
    return TOOL_OK;
}

static bool
ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && strcmp(s + a - b, tail) == 0;
}

static int
cmd_field(int argc, char **argv)
{
    tool_args_t a;
    int rc = parse_tool_args(argc, argv, &a);
    if (rc != TOOL_OK)
        return rc;
    if (a.n_files != 2)
        return tool_usage(USAGE, "field takes TP OUT (%u files given)",
                          a.n_files);
    pipit_transform_t *t;
    pipit_tp_settings_t s;
    pipit_image_t *grid;
    pipit_node_t *f = NULL;
    if ((rc = read_tp_and_grid(a.files[0], a.reference, &t, &s, &grid)) !=
        TOOL_OK)
        goto done;
    if ((f = pipit_transform_field_new()) == NULL) {
        rc = tool_fail_status(PIPIT_ENOMEM);
        goto done;
    }
    if ((rc = set_all(f, &a)) != TOOL_OK)
        goto done;
    if (pipit_node_set_input_image(f, 0, grid) != PIPIT_OK ||
        pipit_node_set_input_transform(f, 1, t) != PIPIT_OK ||
        pipit_node_update(f) != PIPIT_OK ||
        pipit_image_write(pipit_node_get_output(f, 0), a.files[1]) !=
            PIPIT_OK)
        rc = tool_fail("%s", pipit_error_message());
done:
    pipit_node_unref(f);
    pipit_image_unref(grid);
    pipit_transform_unref(t);
    return rc;
}

/* The linear transform t as one TP file: its own kind when it is not a
 * chain, else one AffineTransform (centre 0) holding the whole map. */
static int
write_linear(pipit_transform_t *t, const pipit_tp_settings_t *s,
             const char *path)
{
    pipit_transform_t *one = NULL;
    unsigned dim = pipit_transform_dim(t);
    if (pipit_transform_is_chain(t)) {
        double m[PIPIT_MAX_DIM * PIPIT_MAX_DIM], b[PIPIT_MAX_DIM];
        double par[PIPIT_MAX_DIM * PIPIT_MAX_DIM + PIPIT_MAX_DIM];
        pipit_transform_get_matrix(t, m, b);
        memcpy(par, m, dim * dim * sizeof *par);
        memcpy(par + dim * dim, b, dim * sizeof *par);
        if ((one = pipit_affine_transform_new(dim, NULL)) == NULL ||
            pipit_transform_set_parameters(one, par, dim * dim + dim) !=
                PIPIT_OK) {
            pipit_transform_unref(one);
            return tool_fail("%s", pipit_error_message());
        }
    } else {
        one = pipit_transform_ref(t);
    }
    const char *paths[1] = { path };
    pipit_status_t st = pipit_tp_write(one, s, 1, paths);
    pipit_transform_unref(one);
    return st == PIPIT_OK ? TOOL_OK
                          : tool_fail("%s: %s", path, pipit_error_message());
}

static int
cmd_invert(int argc, char **argv)
{
    tool_args_t a;
    int rc = parse_tool_args(argc, argv, &a);
    if (rc != TOOL_OK)
        return rc;
    if (a.n_files != 2)
        return tool_usage(USAGE, "invert takes TP OUT (%u files given)",
                          a.n_files);
    pipit_transform_t *t;
    pipit_tp_settings_t s;
    pipit_image_t *grid;
    pipit_node_t *v = NULL;
    const char *out = a.files[1];
    if ((rc = read_tp_and_grid(a.files[0], a.reference, &t, &s, &grid)) !=
        TOOL_OK)
        goto done;
    if (ends_with(out, ".txt")) {
        pipit_transform_t *inv = NULL;
        if (!pipit_transform_get_matrix(t, NULL, NULL)) {
            rc = tool_fail("'%s' holds a %s, which has no exact inverse in "
                           "a TransformParameters file: give an image OUT "
                           "(.mha, .nii.gz) for its inverse displacement "
                           "field",
                           a.files[0], pipit_transform_name(t));
            goto done;
        }
        if (pipit_transform_inverse(t, &inv) != PIPIT_OK) {
            rc = tool_fail("'%s': %s", a.files[0], pipit_error_message());
            goto done;
        }
        rc = write_linear(inv, &s, out);
        pipit_transform_unref(inv);
        goto done;
    }
    if ((v = pipit_transform_invert_new()) == NULL) {
        rc = tool_fail_status(PIPIT_ENOMEM);
        goto done;
    }
    if ((rc = set_all(v, &a)) != TOOL_OK)
        goto done;
    if (pipit_node_set_input_image(v, 0, grid) != PIPIT_OK ||
        pipit_node_set_input_transform(v, 1, t) != PIPIT_OK ||
        pipit_node_update(v) != PIPIT_OK ||
        pipit_image_write(pipit_node_get_output(v, 0), out) != PIPIT_OK) {
        rc = tool_fail("%s", pipit_error_message());
        goto done;
    }
    const pipit_table_t *tab = pipit_node_get_output_table(v, 2);
    for (size_t k = 0; tab != NULL && k < pipit_table_count(tab); k++) {
        double x = 0.0;
        pipit_table_get_double(tab, pipit_table_name(tab, k), &x);
        printf("%s: %.9g\n", pipit_table_name(tab, k), x);
    }
done:
    pipit_node_unref(v);
    pipit_image_unref(grid);
    pipit_transform_unref(t);
    return rc;
}

static int
cmd_compose(int argc, char **argv)
{
    tool_args_t a;
    int rc = parse_tool_args(argc, argv, &a);
    if (rc != TOOL_OK)
        return rc;
    if (a.n_files != 3 || a.reference != NULL)
        return tool_usage(USAGE, "compose takes FIRST SECOND OUT.txt (%u "
                                 "files given)",
                          a.n_files);
    const char *out = a.files[2];
    if (!ends_with(out, ".txt"))
        return tool_usage(USAGE, "compose writes TransformParameters "
                                 "files: OUT must end in .txt ('%s')",
                          out);
    pipit_transform_t *first = NULL, *second = NULL, *chain = NULL;
    pipit_params_t *p = NULL;
    pipit_node_t *c = NULL;
    pipit_tp_settings_t s;
    char **paths = NULL;
    size_t n = 0;
    if (pipit_tp_read(a.files[0], &first, &p) != PIPIT_OK ||
        pipit_tp_settings_from_params(p, a.files[0], &s) != PIPIT_OK ||
        pipit_tp_read(a.files[1], &second, NULL) != PIPIT_OK) {
        rc = tool_fail("%s", pipit_error_message());
        goto done;
    }
    if ((c = pipit_transform_compose_new()) == NULL) {
        rc = tool_fail_status(PIPIT_ENOMEM);
        goto done;
    }
    if ((rc = set_all(c, &a)) != TOOL_OK)
        goto done;
    if (pipit_node_set_input_transform(c, 0, first) != PIPIT_OK ||
        pipit_node_set_input_transform(c, 1, second) != PIPIT_OK ||
        pipit_node_update(c) != PIPIT_OK ||
        (chain = pipit_node_get_output_transform(c, 0)) == NULL) {
        rc = tool_fail("%s", pipit_error_message());
        goto done;
    }
    if ((n = pipit_tp_n_links(chain)) == 0) {
        rc = tool_fail("this chain cannot be written as elastix files (an "
                       "Add inside the second transform's chain)");
        goto done;
    }
    /* Inner links beside OUT as OUT-minus-.txt.<k>.txt, named by
     * absolute paths, so that elastix 5.0.1 finds them from any folder. */
    char folder[PATH_MAX];
    const char *slash = strrchr(out, '/');
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - out) : 1,
             slash ? (slash == out ? "/" : out) : ".");
    if (realpath(dir, folder) == NULL) {
        rc = tool_fail("%s: %s", dir, strerror(errno));
        goto done;
    }
    const char *base = slash ? slash + 1 : out;
    if ((paths = calloc(n, sizeof *paths)) == NULL) {
        rc = tool_fail_status(PIPIT_ENOMEM);
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        size_t size = strlen(folder) + strlen(base) + 32;
        if ((paths[k] = malloc(size)) == NULL) {
            rc = tool_fail_status(PIPIT_ENOMEM);
            goto done;
        }
        if (k + 1 == n)
            snprintf(paths[k], size, "%s/%s", folder, base);
        else
            snprintf(paths[k], size, "%s/%.*s.%zu.txt", folder,
                     (int)(strlen(base) - 4), base, k);
    }
    if (pipit_tp_write(chain, &s, n, (const char *const *)paths) != PIPIT_OK)
        rc = tool_fail("%s", pipit_error_message());
done:
    for (size_t k = 0; paths != NULL && k < n; k++)
        free(paths[k]);
    free(paths);
    pipit_node_unref(c);
    pipit_transform_unref(first);
    pipit_transform_unref(second);
    pipit_params_unref(p);
    return rc;
}

int
pipit_cmd_transform(int argc, char **argv)
{
    if (argc == 1 || (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
                                    strcmp(argv[1], "-h") == 0))) {
        printf("usage: %s\n\nApplies a TransformParameters file as "
               "transformix does: -in writes result.<fmt>,\n-def all "
               "deformationField.<fmt>, -def POINTS outputpoints.txt, -jac "
               "all\nspatialJacobian.<fmt>, -jacmat all "
               "fullSpatialJacobian.<fmt>; the log is\nFOLDER/"
               "transformix.log. Exit status: 0 done, 255 no -tp or "
               "nothing to do,\n254 -out missing or not a folder, 1 any "
               "other error.\n\nfield writes a TP chain as a "
               "displacement-field image (or --quantity\njacobian-"
               "determinant, jacobian); invert writes the inverse (a TP "
               "file for\nlinear transforms, else a displacement field, "
               "printing its residual);\ncompose writes SECOND(FIRST(x)) "
               "as TP files. See pipit-transform(1).\n",
               USAGE);
        return TOOL_OK;
    }
    if (strcmp(argv[1], "field") == 0)
        return cmd_field(argc, argv);
    if (strcmp(argv[1], "invert") == 0)
        return cmd_invert(argc, argv);
    if (strcmp(argv[1], "compose") == 0)
        return cmd_compose(argc, argv);
    if (argv[1][0] != '-')
        return tool_usage(USAGE, "unknown tool '%s' (field, invert, "
                                 "compose, or transformix's flags)",
                          argv[1]);
    return transformix(argc, argv);
}

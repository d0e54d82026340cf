/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading TransformParameters files (shared/spec/elastix-compat.md §6):
 * one map per file, each turned into one transform, the files of a
 * chain followed through their initial-transform key and combined.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pipit/transform_file.h>

#include "error_impl.h"
#include "params_impl.h"

/* The two spellings of the initial-transform key: 5.0.1 and 5.1+. */
static const char key_initial_old[] = "InitialTransformParametersFileName";
static const char key_initial_new[] = "InitialTransformParameterFileName";
static const char no_initial[] = "NoInitialTransform";

typedef enum kind {
    KIND_TRANSLATION,
    KIND_EULER,
    KIND_SIMILARITY,
    KIND_AFFINE,
    KIND_BSPLINE
} kind_t;

static const struct {
    const char *name;
    kind_t kind;
} kinds[] = {
    { "TranslationTransform", KIND_TRANSLATION },
    { "EulerTransform", KIND_EULER },
    { "SimilarityTransform", KIND_SIMILARITY },
    { "AffineTransform", KIND_AFFINE },
    { "BSplineTransform", KIND_BSPLINE },
    /* Evaluates the same field faster in elastix; same keys. */
    { "RecursiveBSplineTransform", KIND_BSPLINE },
};

#define N_KINDS (sizeof kinds / sizeof kinds[0])

/* A map and the file it came from, for messages. */
typedef struct src {
    const pipit_params_t *p;
    const char *name;
} src_t;

/*
 * Records "name:line: key 'K' ..." (the line when the map knows it) and
 * returns st.
 */
static pipit_status_t
key_error(const src_t *s, const char *key, pipit_status_t st,
          const char *fmt, ...) PIPIT_PRINTF(4, 5);

static pipit_status_t
key_error(const src_t *s, const char *key, pipit_status_t st,
          const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    size_t line = pipit__params_line(s->p, key);
    if (line > 0)
        return pipit__error(st, "%s:%zu: key '%s' %s", s->name, line, key,
                            what);
    return pipit__error(st, "%s: key '%s' %s", s->name, key, what);
}

/* Puts "name:line: " before a getter's message. */
static pipit_status_t
prefixed(const src_t *s, const char *key, pipit_status_t st)
{
    if (st == PIPIT_OK || st == PIPIT_ENOMEM)
        return st;
    size_t line = pipit__params_line(s->p, key);
    if (line > 0)
        pipit__error_prefix("%s:%zu", s->name, line);
    else
        pipit__error_prefix("%s", s->name);
    return st == PIPIT_EINVAL ? PIPIT_EFORMAT : st;
}

static pipit_status_t
get_double(const src_t *s, const char *key, size_t i, double dflt,
           double *out)
{
    return prefixed(s, key,
                    pipit_params_get_double(s->p, key, i, dflt, out));
}

static pipit_status_t
get_int(const src_t *s, const char *key, size_t i, int64_t dflt,
        int64_t *out)
{
    return prefixed(s, key, pipit_params_get_int(s->p, key, i, dflt, out));
}

static pipit_status_t
get_bool(const src_t *s, const char *key, bool dflt, bool *out)
{
    return prefixed(s, key, pipit_params_get_bool(s->p, key, 0, dflt, out));
}

static pipit_status_t
require(const src_t *s, const char *key)
{
    if (pipit_params_has(s->p, key))
        return PIPIT_OK;
    return pipit__error(PIPIT_EFORMAT, "%s: key '%s' is missing", s->name,
                        key);
}

/* A present key must hold exactly n values: the dimension asks for them. */
static pipit_status_t
check_count(const src_t *s, const char *key, size_t n, unsigned dim)
{
    size_t have = pipit_params_n_values(s->p, key);
    if (have == 0 || have == n)
        return PIPIT_OK;
    return key_error(s, key, PIPIT_EFORMAT,
                     "has %zu values, but dimension %u needs %zu", have,
                     dim, n);
}

/* n doubles of key, or dflt[i] for each when the key is absent. */
static pipit_status_t
get_doubles(const src_t *s, const char *key, unsigned dim, size_t n,
            double *out)
{
    pipit_status_t st = check_count(s, key, n, dim);
    for (size_t i = 0; i < n && st == PIPIT_OK; i++)
        st = get_double(s, key, i, out[i], &out[i]);
    return st;
}

/* A square matrix of key, column by column in the file, row-major out. */
static pipit_status_t
get_matrix(const src_t *s, const char *key, unsigned dim, double *m)
{
    double col[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    for (unsigned r = 0; r < dim; r++)
        for (unsigned c = 0; c < dim; c++)
            col[c * dim + r] = m[r * dim + c];
    pipit_status_t st = get_doubles(s, key, dim, (size_t)dim * dim, col);
    if (st != PIPIT_OK)
        return st;
    for (unsigned r = 0; r < dim; r++)
        for (unsigned c = 0; c < dim; c++)
            m[r * dim + c] = col[c * dim + r];
    return PIPIT_OK;
}

static pipit_status_t
get_name(const src_t *s, const char *key, char *out)
{
    const char *v;
    pipit_status_t st = pipit_params_get_string(s->p, key, 0, out, &v);
    if (st != PIPIT_OK)
        return prefixed(s, key, st);
    if (strlen(v) >= PIPIT_TP_NAME_SIZE)
        return key_error(s, key, PIPIT_EFORMAT,
                         "value '%.100s' is longer than %d characters", v,
                         PIPIT_TP_NAME_SIZE - 1);
    if (v != out)
        strcpy(out, v);
    return PIPIT_OK;
}

/* FixedImageDimension, which MovingImageDimension must repeat. */
static pipit_status_t
get_dim(const src_t *s, unsigned *dim)
{
    static const char fixed[] = "FixedImageDimension";
    static const char moving[] = "MovingImageDimension";
    pipit_status_t st;
    int64_t d, m;
    if ((st = require(s, fixed)) != PIPIT_OK ||
        (st = get_int(s, fixed, 0, 0, &d)) != PIPIT_OK)
        return st;
    if (d < 2 || d > PIPIT_MAX_DIM)
        return key_error(s, fixed, PIPIT_EFORMAT,
                         "value %lld: pipit handles dimensions 2 to %d",
                         (long long)d, PIPIT_MAX_DIM);
    if ((st = get_int(s, moving, 0, d, &m)) != PIPIT_OK)
        return st;
    if (m != d)
        return key_error(s, moving, PIPIT_EFORMAT,
                         "value %lld differs from FixedImageDimension %lld",
                         (long long)m, (long long)d);
    *dim = (unsigned)d;
    return PIPIT_OK;
}

void
pipit_tp_settings_init(pipit_tp_settings_t *s, unsigned dim)
{
    if (s == NULL)
        return;
    memset(s, 0, sizeof *s);
    s->dim = dim;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        s->spacing[d] = 1.0;
        if (d < dim)
            s->direction[d * dim + d] = 1.0;
    }
    s->use_direction_cosines = true;
    strcpy(s->fixed_pixel_type, "float");
    strcpy(s->moving_pixel_type, "float");
    strcpy(s->resample_interpolator, "FinalBSplineInterpolator");
    s->final_bspline_order = 3;
    strcpy(s->resampler, "DefaultResampler");
    strcpy(s->result_format, "mhd");
    strcpy(s->result_pixel_type, "short");
    s->precision = -1;
}

pipit_status_t
pipit_tp_settings_from_image(pipit_tp_settings_t *s,
                             const pipit_image_t *image)
{
    PIPIT_CHECK_ARG(s != NULL && image != NULL);
    unsigned dim = pipit_image_dim(image);
    pipit_tp_settings_init(s, dim);
    memcpy(s->size, pipit_image_size(image), dim * sizeof *s->size);
    memcpy(s->spacing, pipit_image_spacing(image), dim * sizeof(double));
    memcpy(s->origin, pipit_image_origin(image), dim * sizeof(double));
    memcpy(s->direction, pipit_image_direction(image),
           (size_t)dim * dim * sizeof(double));
    return PIPIT_OK;
}

pipit_status_t
pipit_tp_settings_from_params(const pipit_params_t *p, const char *name,
                              pipit_tp_settings_t *out)
{
    pipit_status_t st;
    pipit_tp_settings_t s;
    unsigned dim;
    int64_t v;
    PIPIT_CHECK_ARG(p != NULL && out != NULL);
    src_t src = { p, name != NULL ? name : "TransformParameters" };
    if ((st = get_dim(&src, &dim)) != PIPIT_OK)
        return st;
    pipit_tp_settings_init(&s, dim);
    if ((st = check_count(&src, "Size", dim, dim)) != PIPIT_OK ||
        (st = check_count(&src, "Index", dim, dim)) != PIPIT_OK)
        return st;
    for (unsigned d = 0; d < dim; d++) {
        if ((st = get_int(&src, "Size", d, 0, &v)) != PIPIT_OK)
            return st;
        if (v < 0)
            return key_error(&src, "Size", PIPIT_EFORMAT,
                             "value %lld is negative", (long long)v);
        s.size[d] = (size_t)v;
        if ((st = get_int(&src, "Index", d, 0, &v)) != PIPIT_OK)
            return st;
        s.index[d] = (ptrdiff_t)v;
    }
    if ((st = get_doubles(&src, "Spacing", dim, dim, s.spacing)) !=
            PIPIT_OK ||
        (st = get_doubles(&src, "Origin", dim, dim, s.origin)) != PIPIT_OK ||
        (st = get_matrix(&src, "Direction", dim, s.direction)) != PIPIT_OK)
        return st;
    for (unsigned d = 0; d < dim; d++)
        if (!(s.spacing[d] > 0.0))
            return key_error(&src, "Spacing", PIPIT_EFORMAT,
                             "value %g is not positive", s.spacing[d]);
    if ((st = get_bool(&src, "UseDirectionCosines", true,
                       &s.use_direction_cosines)) != PIPIT_OK ||
        (st = get_name(&src, "FixedInternalImagePixelType",
                       s.fixed_pixel_type)) != PIPIT_OK ||
        (st = get_name(&src, "MovingInternalImagePixelType",
                       s.moving_pixel_type)) != PIPIT_OK ||
        (st = get_name(&src, "ResampleInterpolator",
                       s.resample_interpolator)) != PIPIT_OK ||
        (st = get_int(&src, "FinalBSplineInterpolationOrder", 0, 3, &v)) !=
            PIPIT_OK)
        return st;
    if (v < 0 || v > 5)
        return key_error(&src, "FinalBSplineInterpolationOrder",
                         PIPIT_EFORMAT, "value %lld is not in 0..5",
                         (long long)v);
    s.final_bspline_order = (unsigned)v;
    if ((st = get_name(&src, "Resampler", s.resampler)) != PIPIT_OK ||
        (st = get_double(&src, "DefaultPixelValue", 0, 0.0,
                         &s.default_pixel_value)) != PIPIT_OK ||
        (st = get_name(&src, "ResultImageFormat", s.result_format)) !=
            PIPIT_OK ||
        (st = get_name(&src, "ResultImagePixelType",
                       s.result_pixel_type)) != PIPIT_OK ||
        (st = get_bool(&src, "CompressResultImage", false,
                       &s.compress_result)) != PIPIT_OK)
        return st;
    *out = s;
    return PIPIT_OK;
}

/* ---- one link ----------------------------------------------------- */

/* "a, b, c" of the known Transform names, for a message. */
static const char *
kind_list(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < N_KINDS && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s",
                                 i > 0 ? ", " : "", kinds[i].name);
    return buf;
}

static pipit_status_t
get_kind(const src_t *s, kind_t *kind)
{
    const char *name;
    char list[256];
    pipit_status_t st = require(s, "Transform");
    if (st != PIPIT_OK)
        return st;
    pipit_params_get_string(s->p, "Transform", 0, NULL, &name);
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(name, kinds[i].name) == 0) {
            *kind = kinds[i].kind;
            return PIPIT_OK;
        }
    return key_error(s, "Transform", PIPIT_EINVAL,
                     "value '%.100s' is not a transform pipit reads (%s)",
                     name, kind_list(list, sizeof list));
}

/* A B-spline grid from the Grid* keys, elastix's defaults where absent. */
static pipit_status_t
get_grid(const src_t *s, unsigned dim, pipit_bspline_grid_t *g,
         unsigned *order, bool *cyclic)
{
    pipit_status_t st;
    int64_t v;
    pipit_bspline_grid_init(g, dim);
    if ((st = check_count(s, "GridSize", dim, dim)) != PIPIT_OK ||
        (st = check_count(s, "GridIndex", dim, dim)) != PIPIT_OK)
        return st;
    for (unsigned d = 0; d < dim; d++) {
        if ((st = get_int(s, "GridSize", d, 1, &v)) != PIPIT_OK)
            return st;
        if (v < 1 || v > (int64_t)1 << 24)
            return key_error(s, "GridSize", PIPIT_EFORMAT,
                             "value %lld is not in 1..%d", (long long)v,
                             1 << 24);
        g->size[d] = (size_t)v;
        if ((st = get_int(s, "GridIndex", d, 0, &v)) != PIPIT_OK)
            return st;
        g->index[d] = (ptrdiff_t)v;
    }
    if ((st = get_doubles(s, "GridSpacing", dim, dim, g->spacing)) !=
            PIPIT_OK ||
        (st = get_doubles(s, "GridOrigin", dim, dim, g->origin)) !=
            PIPIT_OK ||
        (st = get_matrix(s, "GridDirection", dim, g->direction)) !=
            PIPIT_OK ||
        (st = get_int(s, "BSplineTransformSplineOrder", 0, 3, &v)) !=
            PIPIT_OK ||
        (st = get_bool(s, "UseCyclicTransform", false, cyclic)) !=
            PIPIT_OK)
        return st;
    if (v < 1 || v > 3)
        return key_error(s, "BSplineTransformSplineOrder", PIPIT_EFORMAT,
                         "value %lld is not 1, 2 or 3", (long long)v);
    if (*cyclic && g->size[dim - 1] < (size_t)v + 1)
        return key_error(s, "GridSize", PIPIT_EFORMAT,
                         "UseCyclicTransform \"true\" needs at least %lld "
                         "control points on the last axis, not %zu",
                         (long long)v + 1, g->size[dim - 1]);
    *order = (unsigned)v;
    return PIPIT_OK;
}

/*
 * The status of a constructor that returned NULL: its message says
 * whether memory ran out; anything else is a value of the file.
 */
static pipit_status_t
constructor_status(void)
{
    return strcmp(pipit_error_message(), "out of memory") == 0
               ? PIPIT_ENOMEM
               : PIPIT_EFORMAT;
}

/* A transform of the kind at the identity: centre and fixed parameters. */
static pipit_status_t
make_kind(const src_t *s, kind_t kind, unsigned dim, pipit_transform_t **t)
{
    pipit_status_t st;
    double c[PIPIT_MAX_DIM];
    *t = NULL;
    if ((kind == KIND_EULER || kind == KIND_SIMILARITY) && dim > 3)
        return key_error(s, "Transform", PIPIT_EFORMAT,
                         "'%s' needs dimension 2 or 3, not %u",
                         pipit_params_value(s->p, "Transform", 0), dim);
    if (kind == KIND_BSPLINE) {
        pipit_bspline_grid_t g;
        unsigned order = 3;
        bool cyclic = false;
        if ((st = get_grid(s, dim, &g, &order, &cyclic)) != PIPIT_OK)
            return st;
        *t = cyclic ? pipit_bspline_transform_new_cyclic(dim, order, &g)
                    : pipit_bspline_transform_new(dim, order, &g);
        if (*t == NULL)
            return prefixed(s, "GridSize", constructor_status());
        return PIPIT_OK;
    }
    if (kind == KIND_TRANSLATION) {
        *t = pipit_translation_transform_new(dim);
        return *t != NULL ? PIPIT_OK : constructor_status();
    }
    /* elastix refuses a centred transform without its centre. */
    if ((st = require(s, "CenterOfRotationPoint")) != PIPIT_OK ||
        (st = check_count(s, "CenterOfRotationPoint", dim, dim)) !=
            PIPIT_OK)
        return st;
    for (unsigned d = 0; d < dim; d++)
        if ((st = get_double(s, "CenterOfRotationPoint", d, 0.0, &c[d])) !=
            PIPIT_OK)
            return st;
    if (kind == KIND_EULER)
        *t = pipit_euler_transform_new(dim, c);
    else if (kind == KIND_SIMILARITY)
        *t = pipit_similarity_transform_new(dim, c);
    else
        *t = pipit_affine_transform_new(dim, c);
    if (*t == NULL)
        return prefixed(s, "CenterOfRotationPoint", constructor_status());
    if (kind == KIND_EULER && dim == 3) {
        /* A legacy key elastix compares with "true": anything else is
         * false. */
        const char *zyx;
        pipit_params_get_string(s->p, "ComputeZYX", 0, "false", &zyx);
        pipit_euler_transform_set_compute_zyx(*t, strcmp(zyx, "true") == 0);
    }
    return PIPIT_OK;
}

/*
 * Where a path a file names lies: absolute as it is; relative from the
 * working directory when it exists there (elastix 5.0.1), else from the
 * naming file's folder (5.1). *out is a new string or NULL (not found).
 */
static pipit_status_t
resolve(const char *referrer, const char *value, char **out)
{
    *out = NULL;
    if (value[0] == '/' || access(value, F_OK) == 0) {
        *out = pipit__strdup(value);
        return *out != NULL ? PIPIT_OK : PIPIT_ENOMEM;
    }
    const char *slash = strrchr(referrer, '/');
    if (slash == NULL)
        return PIPIT_OK; /* the folder is the working directory */
    size_t dir = (size_t)(slash - referrer) + 1;
    char *p = pipit__malloc(dir + strlen(value) + 1);
    if (p == NULL)
        return PIPIT_ENOMEM;
    memcpy(p, referrer, dir);
    strcpy(p + dir, value);
    if (access(p, F_OK) != 0) {
        pipit__free(p);
        return PIPIT_OK;
    }
    *out = p;
    return PIPIT_OK;
}

/* "the working directory" or "the working directory and 'dir/'". */
static pipit_status_t
not_found(const src_t *s, const char *key, const char *value)
{
    const char *slash = strrchr(s->name, '/');
    if (value[0] == '/' || slash == NULL)
        return key_error(s, key, PIPIT_EIO, "value '%s': no such file",
                         value);
    return key_error(s, key, PIPIT_EIO,
                     "value '%s': no such file, from the working directory "
                     "or from '%.*s'",
                     value, (int)(slash - s->name + 1), s->name);
}

/* elastix 5.0.1's UseBinaryFormatForTransformationParameters: raw
 * doubles of this machine in a file the map names. */
static pipit_status_t
read_binary(const src_t *s, size_t n, double *out)
{
    static const char key[] = "TransformParameters";
    const char *value = pipit_params_value(s->p, key, 0);
    char *path = NULL;
    FILE *fp = NULL;
    pipit_status_t st;
    if (pipit_params_n_values(s->p, key) != 1)
        return key_error(s, key, PIPIT_EFORMAT,
                         "has %zu values, but the binary format names one "
                         "file",
                         pipit_params_n_values(s->p, key));
    if ((st = resolve(s->name, value, &path)) != PIPIT_OK)
        return st;
    if (path == NULL)
        return not_found(s, key, value);
    if ((fp = fopen(path, "rb")) == NULL) {
        st = pipit__error_errno(PIPIT_EIO, errno, "%s: key '%s' file '%s'",
                                s->name, key, path);
        goto done;
    }
    size_t got = n > 0 ? fread(out, sizeof(double), n, fp) : 0;
    if (got != n)
        st = key_error(s, key, PIPIT_EFORMAT,
                       "file '%s' holds %zu parameters, NumberOfParameters "
                       "says %zu",
                       path, got, n);
done:
    if (fp != NULL)
        fclose(fp);
    pipit__free(path);
    return st;
}

static pipit_status_t
get_parameters(const src_t *s, pipit_transform_t *t)
{
    static const char key[] = "TransformParameters";
    pipit_status_t st;
    int64_t n;
    bool binary;
    double *v = NULL;
    size_t want = pipit_transform_n_parameters(t);
    if ((st = require(s, "NumberOfParameters")) != PIPIT_OK ||
        (st = require(s, key)) != PIPIT_OK ||
        (st = get_int(s, "NumberOfParameters", 0, 0, &n)) != PIPIT_OK ||
        (st = get_bool(s, "UseBinaryFormatForTransformationParameters",
                       false, &binary)) != PIPIT_OK)
        return st;
    if (n < 0 || (uint64_t)n != want)
        return key_error(s, "NumberOfParameters", PIPIT_EFORMAT,
                         "value %lld, but %s in dimension %u%s takes %zu",
                         (long long)n, pipit_transform_name(t),
                         pipit_transform_dim(t),
                         pipit_bspline_transform_order(t) != 0
                             ? " on this grid"
                             : "",
                         want);
    if (!binary && pipit_params_n_values(s->p, key) != want)
        return key_error(s, key, PIPIT_EFORMAT,
                         "has %zu values, NumberOfParameters says %zu",
                         pipit_params_n_values(s->p, key), want);
    if (want > 0 && (v = pipit__calloc(want, sizeof *v)) == NULL)
        return PIPIT_ENOMEM;
    if (binary)
        st = read_binary(s, want, v);
    for (size_t i = 0; i < want && st == PIPIT_OK && !binary; i++)
        st = get_double(s, key, i, 0.0, &v[i]);
    if (st == PIPIT_OK && (st = pipit_transform_set_parameters(t, v, want)) !=
                              PIPIT_OK)
        st = prefixed(s, key, st);
    pipit__free(v);
    return st;
}

/* HowToCombineTransforms: "Compose" composes, any other value adds. */
static pipit_combine_t
get_how(const src_t *s)
{
    const char *how;
    pipit_params_get_string(s->p, "HowToCombineTransforms", 0, "Compose",
                            &how);
    if (strcmp(how, "Compose") == 0)
        return PIPIT_COMBINE_COMPOSE;
    if (strcmp(how, "Add") != 0)
        pipit__log(PIPIT_LOG_WARNING,
                   "%s: HowToCombineTransforms '%s' is not \"Compose\": "
                   "adding, as elastix does",
                   s->name, how);
    return PIPIT_COMBINE_ADD;
}

pipit_status_t
pipit_tp_from_params(const pipit_params_t *p, const char *name,
                     pipit_transform_t *initial, pipit_transform_t **out)
{
    pipit_status_t st;
    pipit_transform_t *t = NULL;
    unsigned dim = 0;
    kind_t kind = KIND_TRANSLATION;
    PIPIT_CHECK_ARG(out != NULL);
    *out = NULL;
    PIPIT_CHECK_ARG(p != NULL);
    src_t s = { p, name != NULL ? name : "TransformParameters" };
    pipit_tp_settings_t settings; /* checked here, read by the caller */
    if ((st = get_dim(&s, &dim)) != PIPIT_OK ||
        (st = pipit_tp_settings_from_params(p, s.name, &settings)) !=
            PIPIT_OK ||
        (st = get_kind(&s, &kind)) != PIPIT_OK ||
        (st = make_kind(&s, kind, dim, &t)) != PIPIT_OK ||
        (st = get_parameters(&s, t)) != PIPIT_OK)
        goto done;
    if (initial != NULL) {
        if (pipit_transform_dim(initial) != dim) {
            st = key_error(&s, "FixedImageDimension", PIPIT_EFORMAT,
                           "value %u, but the initial transform has "
                           "dimension %u",
                           dim, pipit_transform_dim(initial));
            goto done;
        }
        pipit_transform_t *c =
            pipit_transform_chain_new(initial, t, get_how(&s));
        if (c == NULL) {
            st = PIPIT_ENOMEM;
            goto done;
        }
        pipit_transform_unref(t);
        t = c;
    }
    *out = t;
    t = NULL;
done:
    pipit_transform_unref(t);
    return st;
}

/* ---- chains ------------------------------------------------------- */

typedef struct file {
    char *path; /* as opened */
    char *real; /* canonical, to find cycles; malloc'd by realpath */
    pipit_params_t *p;
} file_t;

/* The initial-transform value of a map (either spelling), or NULL. */
static pipit_status_t
get_initial(const src_t *s, const char **value, const char **key)
{
    const char *a = pipit_params_value(s->p, key_initial_old, 0);
    const char *b = pipit_params_value(s->p, key_initial_new, 0);
    *value = NULL;
    *key = b != NULL ? key_initial_new : key_initial_old;
    if (a != NULL && b != NULL && strcmp(a, b) != 0)
        return key_error(s, key_initial_new, PIPIT_EFORMAT,
                         "value '%s' differs from %s '%s'", b,
                         key_initial_old, a);
    const char *v = b != NULL ? b : a;
    if (v != NULL && strcmp(v, no_initial) != 0)
        *value = v;
    return PIPIT_OK;
}

/* Opens path (named by the file before, when there is one) as files[n]. */
static pipit_status_t
open_file(file_t *files, size_t n, char *path)
{
    file_t *f = &files[n];
    pipit_status_t st;
    f->path = path;
    if ((st = pipit_params_read(path, &f->p)) != PIPIT_OK) {
        if (n > 0)
            pipit__error_prefix("initial transform of '%s'",
                                files[n - 1].path);
        return st;
    }
    if ((f->real = realpath(path, NULL)) == NULL)
        return pipit__error_errno(PIPIT_EIO, errno, "'%s'", path);
    for (size_t i = 0; i < n; i++)
        if (strcmp(files[i].real, f->real) == 0)
            return pipit__error(PIPIT_EFORMAT,
                                "'%s': its initial transform '%s' is '%s' "
                                "again: the chain of initial transforms is "
                                "a cycle",
                                files[n - 1].path, path, files[i].path);
    return PIPIT_OK;
}

pipit_status_t
pipit_tp_read(const char *path, pipit_transform_t **transform,
              pipit_params_t **params)
{
    pipit_status_t st = PIPIT_OK;
    file_t *files = NULL;
    size_t n = 0, cap = 0;
    pipit_transform_t *t = NULL;
    char *next = NULL;
    PIPIT_CHECK_ARG(transform != NULL);
    *transform = NULL;
    if (params != NULL)
        *params = NULL;
    PIPIT_CHECK_ARG(path != NULL);
    if ((next = pipit__strdup(path)) == NULL)
        return PIPIT_ENOMEM;
    /* Outermost file first; each names the next. */
    while (next != NULL) {
        if (n == cap) {
            size_t ncap = cap == 0 ? 4 : 2 * cap;
            file_t *nf = pipit__realloc(files, ncap * sizeof *nf);
            if (nf == NULL) {
                st = PIPIT_ENOMEM;
                goto done;
            }
            files = nf, cap = ncap;
        }
        memset(&files[n], 0, sizeof files[n]);
        st = open_file(files, n, next);
        next = NULL; /* files[n] owns it now */
        n++;
        if (st != PIPIT_OK)
            goto done;
        src_t s = { files[n - 1].p, files[n - 1].path };
        const char *value, *key;
        if ((st = get_initial(&s, &value, &key)) != PIPIT_OK)
            goto done;
        if (value == NULL)
            break;
        if ((st = resolve(s.name, value, &next)) != PIPIT_OK)
            goto done;
        if (next == NULL) {
            st = not_found(&s, key, value);
            goto done;
        }
    }
    /* Innermost first: each link takes the chain so far. */
    for (size_t i = n; i-- > 0;) {
        pipit_transform_t *c;
        if ((st = pipit_tp_from_params(files[i].p, files[i].path, t, &c)) !=
            PIPIT_OK)
            goto done;
        pipit_transform_unref(t);
        t = c;
    }
    *transform = t;
    t = NULL;
    if (params != NULL)
        *params = pipit_params_ref(files[0].p);
done:
    pipit_transform_unref(t);
    pipit__free(next);
    for (size_t i = 0; i < n; i++) {
        pipit__free(files[i].path);
        free(files[i].real); /* from realpath */
        pipit_params_unref(files[i].p);
    }
    pipit__free(files);
    return st;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing TransformParameters files as elastix 5.0.1 does
 * (shared/spec/elastix-compat.md §6.1, §6.2): its keys, order, groups
 * and fixed-notation numbers, one file per link of a chain.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pipit/transform_file.h>

#include "error_impl.h"
#include "params_impl.h"

/* Decimals elastix 5.0.1 gives parameters and geometry. */
#define DECIMALS_PARAMETER 6
#define DECIMALS_GEOMETRY 10
/* Past this many decimals a value is written in exponent form, which
 * both elastix versions read too. */
#define DECIMALS_MAX 40
/* "%.*f" of any double with DECIMALS_MAX decimals fits. */
#define NUMBER_SIZE 400

/* Replaces the locale's decimal point, if it is not '.', by '.'. */
static void
c_point(char *buf)
{
    const char *dp = localeconv()->decimal_point;
    if (strcmp(dp, ".") == 0)
        return;
    char *at = strstr(buf, dp);
    if (at != NULL) {
        size_t n = strlen(dp);
        *at = '.';
        memmove(at + 1, at + n, strlen(at + n) + 1);
    }
}

static bool
reads_back(const char *buf, double v)
{
    double back;
    size_t used;
    return pipit__params_read_double(buf, &back, &used) == PIPIT_OK &&
           back == v;
}

/* The decimals v needs in fixed notation to read back exactly. */
static int
exact_decimals(double v)
{
    char e[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, v);
        c_point(e);
        if (reads_back(e, v) || prec == 17)
            break;
    }
    /* d.ddd…e±x: the significant digits after the point, less x. */
    char *mark = strchr(e, 'e');
    int exp10 = atoi(mark + 1), digits = 0;
    const char *point = strchr(e, '.');
    if (point != NULL) {
        const char *last = mark - 1;
        while (last > point && *last == '0')
            last--;
        digits = (int)(last - point);
    }
    return digits - exp10 > 0 ? digits - exp10 : 0;
}

/*
 * v in fixed notation: precision decimals when precision >= 0, else the
 * fewest, at least min_decimals, that read back to v.
 */
static void
format_number(double v, int min_decimals, int precision, char *buf)
{
    int dec = precision;
    if (dec < 0) {
        dec = exact_decimals(v);
        if (dec < min_decimals)
            dec = min_decimals;
    }
    if (dec > DECIMALS_MAX) {
        snprintf(buf, NUMBER_SIZE, "%.17g", v);
        c_point(buf);
        return;
    }
    snprintf(buf, NUMBER_SIZE, "%.*f", dec, v);
    c_point(buf);
    if (precision < 0 && !reads_back(buf, v)) {
        snprintf(buf, NUMBER_SIZE, "%.17g", v);
        c_point(buf);
    }
}

/* Sets key to n numbers, formatted as format_number does. */
static pipit_status_t
set_numbers(pipit_params_t *p, const char *key, size_t n, const double *v,
            int min_decimals, int precision)
{
    pipit_status_t st;
    char **texts = NULL, *room = NULL;
    if (precision > DECIMALS_MAX)
        precision = DECIMALS_MAX;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return pipit__error(PIPIT_EINVAL,
                                "transform file: key '%s' value %zu is %g, "
                                "not a finite number",
                                key, i, v[i]);
    if ((texts = pipit__calloc(n, sizeof *texts)) == NULL ||
        (room = pipit__calloc(n, NUMBER_SIZE)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        texts[i] = room + i * NUMBER_SIZE;
        format_number(v[i], min_decimals, precision, texts[i]);
    }
    st = pipit_params_set(p, key, n, (const char *const *)texts);
done:
    pipit__free(room);
    pipit__free(texts);
    return st;
}

static pipit_status_t
set_ints(pipit_params_t *p, const char *key, size_t n, const long long *v)
{
    char texts[PIPIT_MAX_DIM][32];
    const char *ptrs[PIPIT_MAX_DIM];
    for (size_t i = 0; i < n; i++) {
        snprintf(texts[i], sizeof texts[i], "%lld", v[i]);
        ptrs[i] = texts[i];
    }
    return pipit_params_set(p, key, n, ptrs);
}

/* A row-major square matrix, column by column as elastix writes it. */
static pipit_status_t
set_matrix(pipit_params_t *p, const char *key, unsigned dim,
           const double *m, int precision)
{
    double col[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    for (unsigned r = 0; r < dim; r++)
        for (unsigned c = 0; c < dim; c++)
            col[c * dim + r] = m[r * dim + c];
    return set_numbers(p, key, (size_t)dim * dim, col, DECIMALS_GEOMETRY,
                       precision);
}

/* Geometry keeps at least elastix's 10 decimals even when parameters
 * are asked for fewer: the grid is not what DefaultOutputPrecision
 * rounds. */
static int
geometry_precision(int precision)
{
    return precision < 0 ? -1 : DECIMALS_GEOMETRY;
}

/* The keys of the transform's own group (elastix's "// X specific"). */
static pipit_status_t
set_specific(pipit_params_t *p, const pipit_transform_t *t, int gp)
{
    pipit_status_t st;
    unsigned dim = pipit_transform_dim(t);
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(t);
    const pipit_bspline_grid_t *gc = pipit_bspline_transform_cyclic_grid(t);
    const double *c = pipit_transform_center(t);
    if (gc != NULL)
        g = gc;
    if (g != NULL) {
        long long size[PIPIT_MAX_DIM], index[PIPIT_MAX_DIM];
        char order[8];
        for (unsigned d = 0; d < dim; d++)
            size[d] = (long long)g->size[d], index[d] = g->index[d];
        snprintf(order, sizeof order, "%u",
                 pipit_bspline_transform_order(t));
        if ((st = set_ints(p, "GridSize", dim, size)) != PIPIT_OK ||
            (st = set_ints(p, "GridIndex", dim, index)) != PIPIT_OK ||
            (st = set_numbers(p, "GridSpacing", dim, g->spacing,
                              DECIMALS_GEOMETRY, gp)) != PIPIT_OK ||
            (st = set_numbers(p, "GridOrigin", dim, g->origin,
                              DECIMALS_GEOMETRY, gp)) != PIPIT_OK ||
            (st = set_matrix(p, "GridDirection", dim, g->direction, gp)) !=
                PIPIT_OK ||
            (st = pipit_params_set_string(p, "BSplineTransformSplineOrder",
                                          order)) != PIPIT_OK)
            return st;
        return pipit_params_set_string(p, "UseCyclicTransform",
                                       gc != NULL ? "true" : "false");
    }
    if (c == NULL)
        return PIPIT_OK; /* a translation has no group */
    if ((st = set_numbers(p, "CenterOfRotationPoint", dim, c,
                          DECIMALS_GEOMETRY, gp)) != PIPIT_OK)
        return st;
    if (strcmp(pipit_transform_name(t), "EulerTransform") == 0 && dim == 3)
        return pipit_params_set_string(
            p, "ComputeZYX",
            pipit_euler_transform_compute_zyx(t) ? "true" : "false");
    return PIPIT_OK;
}

/* FinalBSplineInterpolationOrder belongs to the B-spline interpolators. */
static bool
has_order(const char *interpolator)
{
    return strcmp(interpolator, "FinalBSplineInterpolator") == 0 ||
           strcmp(interpolator, "FinalBSplineInterpolatorFloat") == 0;
}

pipit_status_t
pipit_tp_to_params(const pipit_transform_t *t, const char *initial_path,
                   pipit_combine_t how, const pipit_tp_settings_t *s,
                   pipit_params_t **out)
{
    pipit_status_t st;
    pipit_params_t *p = NULL;
    char text[32];
    PIPIT_CHECK_ARG(out != NULL);
    *out = NULL;
    PIPIT_CHECK_ARG(t != NULL && s != NULL);
    unsigned dim = pipit_transform_dim(t);
    if (pipit_transform_is_chain(t))
        return pipit__error(PIPIT_EINVAL,
                            "transform file: a chain takes one file per "
                            "link (pipit_tp_write)");
    if (s->dim != dim)
        return pipit__error(PIPIT_EINVAL,
                            "transform file: a transform of dimension %u on "
                            "a grid of dimension %u",
                            dim, s->dim);
    int prec = s->precision, gp = geometry_precision(s->precision);
    long long size[PIPIT_MAX_DIM], index[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < dim; d++)
        size[d] = (long long)s->size[d], index[d] = s->index[d];
    if ((p = pipit_params_new()) == NULL)
        return PIPIT_ENOMEM;
    snprintf(text, sizeof text, "%zu", pipit_transform_n_parameters(t));
    if ((st = pipit_params_set_string(p, "Transform",
                                      pipit_transform_name(t))) != PIPIT_OK ||
        (st = pipit_params_set_string(p, "NumberOfParameters", text)) !=
            PIPIT_OK)
        goto done;
    /* A transform without parameters is no elastix transform; the key
     * cannot be empty either. */
    if (pipit_transform_n_parameters(t) == 0) {
        st = pipit__error(PIPIT_EINVAL,
                          "transform file: a %s with no parameters",
                          pipit_transform_name(t));
        goto done;
    }
    snprintf(text, sizeof text, "%u", dim);
    if ((st = set_numbers(p, "TransformParameters",
                          pipit_transform_n_parameters(t),
                          pipit_transform_parameters(t), DECIMALS_PARAMETER,
                          prec)) != PIPIT_OK ||
        (st = pipit_params_set_string(
             p, "InitialTransformParametersFileName",
             initial_path != NULL ? initial_path : "NoInitialTransform")) !=
            PIPIT_OK ||
        (st = pipit_params_set_string(
             p, "UseBinaryFormatForTransformationParameters", "false")) !=
            PIPIT_OK ||
        (st = pipit_params_set_string(
             p, "HowToCombineTransforms",
             initial_path != NULL && how == PIPIT_COMBINE_ADD
                 ? "Add"
                 : "Compose")) != PIPIT_OK ||
        (st = pipit_params_set_string(p, "FixedImageDimension", text)) !=
            PIPIT_OK ||
        (st = pipit_params_set_string(p, "MovingImageDimension", text)) !=
            PIPIT_OK ||
        (st = pipit_params_set_string(p, "FixedInternalImagePixelType",
                                      s->fixed_pixel_type)) != PIPIT_OK ||
        (st = pipit_params_set_string(p, "MovingInternalImagePixelType",
                                      s->moving_pixel_type)) != PIPIT_OK ||
        (st = set_ints(p, "Size", dim, size)) != PIPIT_OK ||
        (st = set_ints(p, "Index", dim, index)) != PIPIT_OK ||
        (st = set_numbers(p, "Spacing", dim, s->spacing, DECIMALS_GEOMETRY,
                          gp)) != PIPIT_OK ||
        (st = set_numbers(p, "Origin", dim, s->origin, DECIMALS_GEOMETRY,
                          gp)) != PIPIT_OK ||
        (st = set_matrix(p, "Direction", dim, s->direction, gp)) !=
            PIPIT_OK ||
        (st = pipit_params_set_string(
             p, "UseDirectionCosines",
             s->use_direction_cosines ? "true" : "false")) != PIPIT_OK ||
        (st = set_specific(p, t, gp)) != PIPIT_OK ||
        (st = pipit_params_set_string(p, "ResampleInterpolator",
                                      s->resample_interpolator)) != PIPIT_OK)
        goto done;
    if (has_order(s->resample_interpolator)) {
        snprintf(text, sizeof text, "%u", s->final_bspline_order);
        if ((st = pipit_params_set_string(
                 p, "FinalBSplineInterpolationOrder", text)) != PIPIT_OK)
            goto done;
    }
    if ((st = pipit_params_set_string(p, "Resampler", s->resampler)) !=
            PIPIT_OK ||
        (st = set_numbers(p, "DefaultPixelValue", 1, &s->default_pixel_value,
                          DECIMALS_PARAMETER, prec)) != PIPIT_OK ||
        (st = pipit_params_set_string(p, "ResultImageFormat",
                                      s->result_format)) != PIPIT_OK ||
        (st = pipit_params_set_string(p, "ResultImagePixelType",
                                      s->result_pixel_type)) != PIPIT_OK ||
        (st = pipit_params_set_string(
             p, "CompressResultImage",
             s->compress_result ? "true" : "false")) != PIPIT_OK)
        goto done;
    *out = p;
    p = NULL;
done:
    pipit_params_unref(p);
    return st;
}

/* ---- text --------------------------------------------------------- */

static bool
is_number(const char *s)
{
    double v;
    size_t used;
    return *s != '\0' && *s != ' ' &&
           pipit__params_read_double(s, &v, &used) == PIPIT_OK &&
           s[used] == '\0';
}

/* A growing string; on ENOMEM it keeps failing and says so at the end. */
typedef struct text {
    char *buf;
    size_t len, cap;
    bool failed;
} text_t;

static void
put(text_t *t, const char *s)
{
    size_t n = strlen(s);
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap == 0 ? 4096 : t->cap;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *b = pipit__realloc(t->buf, cap);
        if (b == NULL) {
            t->failed = true;
            return;
        }
        t->buf = b, t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n + 1);
    t->len += n;
}

/* elastix's group comments go before these keys. */
static const char *
group_before(const pipit_params_t *p, size_t i)
{
    const char *key = pipit_params_key(p, i);
    if (strcmp(key, "FixedImageDimension") == 0)
        return "Image specific";
    if (strcmp(key, "ResampleInterpolator") == 0)
        return "ResampleInterpolator specific";
    if (strcmp(key, "Resampler") == 0)
        return "Resampler specific";
    /* The transform's own keys follow the image group. */
    if (i > 0 && strcmp(pipit_params_key(p, i - 1), "UseDirectionCosines") ==
                     0)
        return "";
    return NULL;
}

static char *
print_tp(const pipit_params_t *p)
{
    text_t t = { 0 };
    const char *transform = pipit_params_value(p, "Transform", 0);
    for (size_t i = 0; i < pipit_params_count(p); i++) {
        const char *key = pipit_params_key(p, i);
        const char *group = group_before(p, i);
        if (group != NULL) {
            put(&t, "\n// ");
            if (*group == '\0') {
                /* elastix names the group after its class, which for
                 * the affine transform is the "Advanced" one. */
                if (transform != NULL &&
                    strcmp(transform, "AffineTransform") == 0)
                    put(&t, "Advanced");
                put(&t, transform != NULL ? transform : "Transform");
                put(&t, " specific");
            } else {
                put(&t, group);
            }
            put(&t, "\n");
        }
        put(&t, "(");
        put(&t, key);
        for (size_t k = 0; k < pipit_params_n_values(p, key); k++) {
            const char *v = pipit_params_value(p, key, k);
            bool bare = is_number(v);
            put(&t, bare ? " " : " \"");
            put(&t, v);
            if (!bare)
                put(&t, "\"");
        }
        put(&t, ")\n");
    }
    if (t.failed || t.buf == NULL) {
        pipit__free(t.buf);
        pipit__error_nomem();
        return NULL;
    }
    return t.buf;
}

/* Tells the temporary files of concurrent writers apart. */
static atomic_uint tmp_counter;

static pipit_status_t
write_text(const char *path, const char *text)
{
    pipit_status_t st = PIPIT_OK;
    size_t size = strlen(path) + 64, n = strlen(text);
    char *tmp = pipit__malloc(size);
    FILE *fp = NULL;
    if (tmp == NULL)
        return PIPIT_ENOMEM;
    /* Beside the target, so that the rename stays in one file system
     * and a reader sees the old file or the new one. */
    unsigned k = atomic_fetch_add_explicit(&tmp_counter, 1,
                                           memory_order_relaxed);
    snprintf(tmp, size, "%s.tmp-%ld-%u", path, (long)getpid(), k);
    if ((fp = fopen(tmp, "wx")) == NULL) {
        st = pipit__error_errno(PIPIT_EIO, errno,
                                "transform file: cannot write '%s'", path);
        goto done;
    }
    bool ok = fwrite(text, 1, n, fp) == n;
    ok = fflush(fp) == 0 && ok;
    int err = errno;
    if (fclose(fp) != 0 && ok) {
        ok = false;
        err = errno;
    }
    fp = NULL;
    if (!ok || rename(tmp, path) != 0) {
        if (ok)
            err = errno;
        st = pipit__error_errno(PIPIT_EIO, err,
                                "transform file: writing '%s'", path);
        unlink(tmp);
    }
done:
    pipit__free(tmp);
    return st;
}

pipit_status_t
pipit_tp_write_params(const pipit_params_t *p, const char *path)
{
    PIPIT_CHECK_ARG(p != NULL && path != NULL);
    char *text = print_tp(p);
    if (text == NULL)
        return PIPIT_ENOMEM;
    pipit_status_t st = write_text(path, text);
    pipit__free(text);
    return st;
}

/* ---- chains ------------------------------------------------------- */

typedef struct link {
    const pipit_transform_t *t;
    pipit_combine_t how; /* with the links before it */
} link_t;

static bool
compose_only(const pipit_transform_t *t)
{
    while (pipit_transform_is_chain(t)) {
        if (pipit_transform_chain_how(t) != PIPIT_COMBINE_COMPOSE ||
            !compose_only(pipit_transform_chain_current(t)))
            return false;
        t = pipit_transform_chain_initial(t);
    }
    return true;
}

/*
 * The links of t, innermost first, into links (NULL: count only).
 * elastix files form a list: each file's transform combines with the
 * whole chain before it. A chain whose current part is a chain fits
 * only when everything there composes, composition being associative.
 * Returns false when t does not fit.
 */
static bool
collect(const pipit_transform_t *t, pipit_combine_t how, link_t *links,
        size_t *n)
{
    if (!pipit_transform_is_chain(t)) {
        if (links != NULL)
            links[*n] = (link_t){ t, how };
        (*n)++;
        return true;
    }
    const pipit_transform_t *cur = pipit_transform_chain_current(t);
    pipit_combine_t h = pipit_transform_chain_how(t);
    if (!collect(pipit_transform_chain_initial(t), how, links, n))
        return false;
    if (pipit_transform_is_chain(cur) &&
        (h != PIPIT_COMBINE_COMPOSE || !compose_only(cur)))
        return false;
    return collect(cur, h, links, n);
}

size_t
pipit_tp_n_links(const pipit_transform_t *t)
{
    size_t n = 0;
    if (t == NULL || !collect(t, PIPIT_COMBINE_COMPOSE, NULL, &n))
        return 0;
    return n;
}

pipit_status_t
pipit_tp_write(const pipit_transform_t *t, const pipit_tp_settings_t *s,
               size_t n_paths, const char *const *paths)
{
    pipit_status_t st = PIPIT_OK;
    link_t *links = NULL;
    size_t n = 0;
    PIPIT_CHECK_ARG(t != NULL && s != NULL && paths != NULL);
    size_t want = pipit_tp_n_links(t);
    if (want == 0)
        return pipit__error(PIPIT_EUNSUPPORTED,
                            "transform file: a chain whose current part is "
                            "a chain adding transforms has no elastix "
                            "files");
    if (n_paths != want)
        return pipit__error(PIPIT_EINVAL,
                            "transform file: the transform has %zu links, "
                            "%zu paths were given",
                            want, n_paths);
    for (size_t i = 0; i < n_paths; i++)
        PIPIT_CHECK_ARG(paths[i] != NULL);
    if ((links = pipit__calloc(want, sizeof *links)) == NULL)
        return PIPIT_ENOMEM;
    collect(t, PIPIT_COMBINE_COMPOSE, links, &n);
    for (size_t i = 0; i < n && st == PIPIT_OK; i++) {
        pipit_params_t *p = NULL;
        st = pipit_tp_to_params(links[i].t, i > 0 ? paths[i - 1] : NULL,
                                links[i].how, s, &p);
        if (st == PIPIT_OK)
            st = pipit_tp_write_params(p, paths[i]);
        else
            pipit__error_prefix("transform file '%s'", paths[i]);
        pipit_params_unref(p);
    }
    pipit__free(links);
    return st;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the transform components share (spec §7.8.1-2): the centre of
 * rotation, the automatic initial translation and the optimizer scales.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pipit/image.h>

#include "error_impl.h"
#include "pixel_convert_impl.h"
#include "reg_impl.h"

/* The physical point of the image's centre voxel, (n - 1) / 2. */
static void
geometric_center(const pipit_image_t *img, double *c)
{
    unsigned d = pipit_image_dim(img);
    double idx[PIPIT_MAX_DIM];
    const size_t *n = pipit_image_size(img);
    for (unsigned a = 0; a < d; a++)
        idx[a] = 0.5 * (double)(n[a] - 1);
    pipit_image_index_to_point(img, idx, c);
}

/* The intensity-weighted centre, inside the mask when there is one; the
 * geometric centre when the weights sum to nothing. */
static pipit_status_t
gravity_center(const pipit_image_t *img, const reg_mask_t *mask, double *c)
{
    unsigned d = pipit_image_dim(img);
    const size_t *n = pipit_image_size(img);
    size_t ny = d > 1 ? n[1] : 1, nz = d > 2 ? n[2] : 1;
    double *row = pipit__malloc(n[0] * sizeof *row);
    if (row == NULL)
        return PIPIT_ENOMEM;
    double sum = 0.0, acc[PIPIT_MAX_DIM] = { 0 };
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < ny; y++) {
            pipit__convert(pipit_image_row(img, y, z),
                           pipit_image_pixel_type(img), row, PIPIT_F64, n[0]);
            for (size_t x = 0; x < n[0]; x++) {
                double idx[PIPIT_MAX_DIM] = { (double)x, (double)y,
                                              (double)z };
                double p[PIPIT_MAX_DIM];
                pipit_image_index_to_point(img, idx, p);
                if (mask != NULL && !pipit__reg_mask_inside(mask, p))
                    continue;
                for (unsigned a = 0; a < d; a++)
                    acc[a] += row[x] * p[a];
                sum += row[x];
            }
        }
    pipit__free(row);
    if (sum != 0.0 && isfinite(sum)) {
        for (unsigned a = 0; a < d; a++)
            c[a] = acc[a] / sum;
    } else {
        geometric_center(img, c);
    }
    return PIPIT_OK;
}

static pipit_status_t
read_method(const reg_transform_setup_t *s, bool *automatic,
            const char **method)
{
    pipit_status_t st = pipit__reg_get_bool(
        s->map, "AutomaticTransformInitialization", 0, false, automatic);
    if (st == PIPIT_OK)
        st = pipit__reg_get_string(s->map,
                                   "AutomaticTransformInitializationMethod",
                                   0, "GeometricalCenter", method);
    /* elastix ignores the automatic start when a transform precedes. */
    if (s->initial != NULL)
        *automatic = false;
    return st;
}

pipit_status_t
pipit__reg_transform_center(const reg_transform_setup_t *s, double *center)
{
    const reg_map_t *m = s->map;
    unsigned d = m->dim;
    pipit_status_t st;
    if (pipit__reg_count(m, "CenterOfRotationPoint") > 0) {
        for (unsigned a = 0; a < d; a++)
            if ((st = pipit__reg_get_double(m, "CenterOfRotationPoint", a,
                                            0.0, &center[a])) != PIPIT_OK)
                return st;
    } else if (pipit__reg_count(m, "CenterOfRotation") > 0) {
        double idx[PIPIT_MAX_DIM];
        for (unsigned a = 0; a < d; a++) {
            int64_t v;
            if ((st = pipit__reg_get_int(m, "CenterOfRotation", a, 0, &v)) !=
                PIPIT_OK)
                return st;
            idx[a] = (double)v;
        }
        pipit_image_index_to_point(s->fixed, idx, center);
    } else {
        bool automatic;
        const char *method;
        if ((st = read_method(s, &automatic, &method)) != PIPIT_OK)
            return st;
        if (automatic && strcmp(method, "CenterOfGravity") == 0) {
            if ((st = gravity_center(s->fixed, s->fixed_mask, center)) !=
                PIPIT_OK)
                return st;
        } else {
            geometric_center(s->fixed, center);
        }
    }
    if (s->initial != NULL && s->how == PIPIT_COMBINE_COMPOSE) {
        double c[PIPIT_MAX_DIM];
        pipit_transform_point(s->initial, center, c);
        memcpy(center, c, d * sizeof *c);
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_transform_start(const reg_transform_setup_t *s,
                                 const char *const *methods,
                                 double *translation)
{
    unsigned d = s->map->dim;
    memset(translation, 0, d * sizeof *translation);
    bool automatic;
    const char *method;
    pipit_status_t st = read_method(s, &automatic, &method);
    if (st != PIPIT_OK || !automatic)
        return st;
    size_t k = 0;
    while (methods[k] != NULL && strcmp(methods[k], method) != 0)
        k++;
    if (methods[k] == NULL) {
        char why[160] = "not a method of this transform; supported:";
        for (size_t i = 0; methods[i] != NULL; i++) {
            strncat(why, " ", sizeof why - strlen(why) - 1);
            strncat(why, methods[i], sizeof why - strlen(why) - 1);
        }
        return pipit__reg_key_error(s->map,
                                    "AutomaticTransformInitializationMethod",
                                    0, PIPIT_EINVAL, why);
    }
    double cf[PIPIT_MAX_DIM], cm[PIPIT_MAX_DIM];
    if (strcmp(method, "CenterOfGravity") == 0) {
        if ((st = gravity_center(s->fixed, s->fixed_mask, cf)) != PIPIT_OK ||
            (st = gravity_center(s->moving, s->moving_mask, cm)) != PIPIT_OK)
            return st;
    } else if (strcmp(method, "Origins") == 0) {
        memcpy(cf, pipit_image_origin(s->fixed), d * sizeof *cf);
        memcpy(cm, pipit_image_origin(s->moving), d * sizeof *cm);
    } else {
        geometric_center(s->fixed, cf);
        geometric_center(s->moving, cm);
    }
    for (unsigned a = 0; a < d; a++)
        translation[a] = cm[a] - cf[a];
    return PIPIT_OK;
}

/* Mean over about 10000 grid points of the full fixed image of
 * sum_d (dT_d/dmu_i)^2: elastix 5.0.1's automatic scales (no root). The
 * grid is ImageGridSampler's: step floor((N / 10000)^(1/D)), 1 + (n - 1)
 * / step points per axis, centred (the first at (n - ((m - 1) step + 1))
 * / 2), which elastix's printed scales confirm (96x96x80: 2301.9225,
 * not the 2309.3 of a grid from voxel 0). */
static pipit_status_t
estimate_scales(const reg_transform_setup_t *s, const pipit_transform_t *t,
                double *scales)
{
    unsigned d = s->map->dim;
    size_t P = pipit_transform_n_parameters(t);
    size_t js = pipit_transform_jacobian_size(t);
    size_t *idx = pipit__malloc(js * sizeof *idx);
    double *val = pipit__malloc(js * d * sizeof *val);
    if (idx == NULL || val == NULL) {
        pipit__free(idx);
        pipit__free(val);
        return PIPIT_ENOMEM;
    }
    const size_t *n = pipit_image_size(s->fixed);
    size_t total = 1;
    for (unsigned a = 0; a < d; a++)
        total *= n[a];
    size_t step = (size_t)floor(pow((double)total / 10000.0, 1.0 / d));
    if (step < 1)
        step = 1;
    memset(scales, 0, P * sizeof *scales);
    size_t count = 0;
    size_t i[PIPIT_MAX_DIM] = { 0 }, first[PIPIT_MAX_DIM], last[PIPIT_MAX_DIM];
    for (unsigned a = 0; a < d; a++) {
        size_t m = 1 + (n[a] - 1) / step;
        first[a] = (n[a] - ((m - 1) * step + 1)) / 2;
        last[a] = first[a] + (m - 1) * step;
        i[a] = first[a];
    }
    for (;;) {
        double c[PIPIT_MAX_DIM], p[PIPIT_MAX_DIM];
        for (unsigned a = 0; a < d; a++)
            c[a] = (double)i[a];
        pipit_image_index_to_point(s->fixed, c, p);
        size_t m = pipit_transform_jacobian(t, p, idx, val);
        for (size_t k = 0; k < m; k++)
            for (unsigned r = 0; r < d; r++)
                scales[idx[k]] += val[r * m + k] * val[r * m + k];
        count++;
        unsigned a = 0;
        for (; a < d; a++) {
            i[a] += step;
            if (i[a] <= last[a])
                break;
            i[a] = first[a];
        }
        if (a == d)
            break;
    }
    for (size_t k = 0; k < P; k++) {
        scales[k] /= (double)count;
        if (!(scales[k] > 1e-12))
            scales[k] = 1.0; /* a parameter no point moves */
    }
    pipit__free(idx);
    pipit__free(val);
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_transform_scales(const reg_transform_setup_t *s,
                            const pipit_transform_t *t,
                            const double *defaults, double **out)
{
    const reg_map_t *m = s->map;
    size_t P = pipit_transform_n_parameters(t);
    double *sc = pipit__malloc(P * sizeof *sc);
    if (sc == NULL)
        return PIPIT_ENOMEM;
    bool automatic;
    pipit_status_t st = pipit__reg_get_bool(m, "AutomaticScalesEstimation",
                                            0, false, &automatic);
    if (st == PIPIT_OK && automatic) {
        st = estimate_scales(s, t, sc);
    } else if (st == PIPIT_OK) {
        memcpy(sc, defaults, P * sizeof *sc);
        size_t n = pipit__reg_count(m, "Scales");
        if (n == 1) {
            double v;
            if ((st = pipit__reg_get_double(m, "Scales", 0, 1.0, &v)) ==
                PIPIT_OK)
                for (size_t k = 0; k < P; k++)
                    if (defaults[k] != 1.0)
                        sc[k] = v;
        } else if (n == P) {
            for (size_t k = 0; k < P && st == PIPIT_OK; k++)
                st = pipit__reg_get_double(m, "Scales", k, 1.0, &sc[k]);
        } else if (n != 0) {
            char why[96];
            snprintf(why, sizeof why,
                     "%zu values; give 1 or one per parameter (%zu)", n, P);
            st = pipit__reg_key_error(m, "Scales", 0, PIPIT_EINVAL, why);
        }
        for (size_t k = 0; k < P && st == PIPIT_OK; k++)
            if (!(sc[k] > 0.0))
                st = pipit__reg_key_error(m, "Scales", n == P ? k : 0,
                                          PIPIT_EINVAL,
                                          "scales must be positive");
    }
    if (st != PIPIT_OK) {
        pipit__free(sc);
        return st;
    }
    *out = sc;
    return PIPIT_OK;
}

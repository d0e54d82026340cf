/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ImageSampler "RandomCoordinate" (spec §7.4): NumberOfSpatialSamples
 * (R, default 5000) continuous positions uniform over the voxel-centre
 * range [i0, i0 + n - 1] of the cropped region, each axis, the fixed
 * value interpolated there by a B-spline of order
 * FixedImageBSplineInterpolationOrder (R, default 1, 0..5).
 *
 * UseRandomSampleRegion (R, default false) draws, once per sample set, a
 * box of SampleRegionSize mm (R x Dim, entry r*D + d, else entry 0 as
 * elastix reads it; default min(extent_d, max_d extent_d /
 * 3), extent = (size - 1) * spacing of the level image) whose start is
 * uniform over the starts that keep it in the region, and draws every
 * sample of the set in it. A size above the extent is an error naming
 * the key, as in elastix.
 *
 * With a fixed mask a position is redrawn until inside; 10 draws per
 * requested sample in all, then an error naming the mask.
 *
 * Positions come from the node's generator on the calling thread; the
 * values are interpolated on the pool through lib's batch path, each
 * sample on its own, so the set does not depend on the threads. The
 * interpolator (its coefficients computed once) is made at the first
 * draw of a level and kept in the state until configure says a new level
 * begins or the image changes.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "error_impl.h"
#include "image_impl.h"
#include "reg_impl.h"

#define MAX_SAMPLES ((int64_t)1 << 40)
/* samples per piece of the interpolation loop */
#define BATCH 2048

typedef struct rc_state {
    size_t n;
    unsigned order;
    bool use_region;
    unsigned dim;
    double region_mm[PIPIT_MAX_DIM]; /* NaN: the default */
    /* the interpolator of the level */
    pipit_interpolator_t *ip;
    const pipit_image_t *ip_image;
    unsigned ip_order;
    bool stale;
    /* for messages from draw */
    const reg_map_t *map;
    unsigned level;
} rc_state_t;

static pipit_status_t
rc_configure(void *st, const reg_map_t *m, unsigned level)
{
    rc_state_t *s = st;
    int64_t n, order;
    pipit_status_t rc = pipit__reg_get_int_in(m, "NumberOfSpatialSamples",
                                              level, 5000, 1, MAX_SAMPLES,
                                              &n);
    if (rc == PIPIT_OK)
        rc = pipit__reg_get_int_in(m, "FixedImageBSplineInterpolationOrder",
                                   level, 1, 0, 5, &order);
    if (rc == PIPIT_OK)
        rc = pipit__reg_get_bool(m, "UseRandomSampleRegion", level, false,
                                 &s->use_region);
    if (rc != PIPIT_OK)
        return rc;
    unsigned d = m->dim >= 1 && m->dim <= PIPIT_MAX_DIM ? m->dim
                                                         : PIPIT_MAX_DIM;
    s->dim = d;
    size_t count = pipit__reg_count(m, "SampleRegionSize");
    for (unsigned a = 0; a < d; a++) {
        s->region_mm[a] = NAN;
        if (count == 0)
            continue;
        /* elastix: entry r*D + d when present, else entry 0 */
        size_t idx = (size_t)level * d + a;
        double v;
        rc = pipit__reg_get_double(m, "SampleRegionSize",
                                   idx < count ? idx : 0, 0.0, &v);
        if (rc != PIPIT_OK)
            return rc;
        if (!(v > 0.0))
            return pipit__reg_key_error(m, "SampleRegionSize",
                                        idx < count ? idx : 0, PIPIT_EINVAL,
                                        "must be positive (mm)");
        s->region_mm[a] = v;
    }
    s->n = (size_t)n;
    s->order = (unsigned)order;
    s->map = m;
    s->level = level;
    s->stale = true; /* a new level: a new image to interpolate */
    return PIPIT_OK;
}

static pipit_status_t
get_interpolator(rc_state_t *s, const reg_level_t *L)
{
    if (s->ip != NULL && !s->stale && s->ip_image == L->fixed &&
        s->ip_order == s->order)
        return PIPIT_OK;
    pipit_interpolator_unref(s->ip);
    s->ip = pipit_bspline_interpolator_new(L->fixed, s->order, PIPIT_F64);
    if (s->ip == NULL) {
        /* the constructors give NULL, not a status: out of memory is the
         * one failure their message tells apart */
        bool nomem = strstr(pipit_error_message(), "out of memory") != NULL;
        pipit__error_prefix("ImageSampler RandomCoordinate");
        return nomem ? PIPIT_ENOMEM : PIPIT_EINVAL;
    }
    s->ip_image = L->fixed;
    s->ip_order = s->order;
    s->stale = false;
    return PIPIT_OK;
}

typedef struct rc_job {
    const pipit_interpolator_t *ip;
    const pipit_image_t *img;
    reg_samples_t *out;
    unsigned dim;
} rc_job_t;

/* Values at the continuous indices the points array holds, then those
 * indices turned into points in place. */
static pipit_status_t
rc_fill(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    (void)worker;
    (void)acc;
    const rc_job_t *j = ctx;
    unsigned d = j->dim;
    double *c = j->out->points + lo * d;
    pipit_interpolator_evaluate_batch(j->ip, hi - lo, c,
                                      j->out->values + lo, NULL);
    /* pipit_image_index_to_point's products in its order, bit for bit,
     * without a call per sample. */
    const double *tp = j->img->to_point, *org = j->img->origin;
    for (size_t i = lo; i < hi; i++, c += d) {
        double ci[PIPIT_MAX_DIM];
        for (unsigned a = 0; a < d; a++)
            ci[a] = c[a];
        for (unsigned r = 0; r < d; r++) {
            double v = org[r];
            for (unsigned k = 0; k < d; k++)
                v += tp[r * d + k] * ci[k];
            c[r] = v;
        }
    }
    return PIPIT_OK;
}

/* The box samples are drawn in: the whole cropped region, or a random
 * box of SampleRegionSize in it (elastix's GenerateSampleRegion). */
static pipit_status_t
sample_box(rc_state_t *s, const reg_level_t *L, const pipit_region_t *r,
           double *lo, double *hi)
{
    unsigned d = L->dim;
    for (unsigned a = 0; a < d; a++) {
        lo[a] = (double)r->lo[a];
        hi[a] = (double)(r->hi[a] - 1);
    }
    if (!s->use_region)
        return PIPIT_OK;
    const size_t *size = pipit_image_size(L->fixed);
    const double *sp = pipit_image_spacing(L->fixed);
    double ext[PIPIT_MAX_DIM], third = 0.0, mm[PIPIT_MAX_DIM];
    for (unsigned a = 0; a < d; a++) {
        ext[a] = (double)(size[a] - 1) * sp[a];
        if (ext[a] / 3.0 > third)
            third = ext[a] / 3.0;
    }
    for (unsigned a = 0; a < d; a++) {
        mm[a] = ext[a] < third ? ext[a] : third;
        if (a < s->dim && !isnan(s->region_mm[a])) {
            mm[a] = s->region_mm[a];
            if (mm[a] > ext[a]) {
                char why[160];
                size_t idx = (size_t)s->level * d + a;
                size_t count = s->map != NULL
                                   ? pipit__reg_count(s->map,
                                                      "SampleRegionSize")
                                   : 0;
                snprintf(why, sizeof why,
                         "%g mm on axis %u is more than the fixed image's "
                         "%g mm at resolution %u", mm[a], a, ext[a],
                         s->level);
                if (s->map == NULL)
                    return pipit__error(PIPIT_EINVAL, "SampleRegionSize: %s",
                                        why);
                return pipit__reg_key_error(s->map, "SampleRegionSize",
                                            idx < count ? idx : 0,
                                            PIPIT_EINVAL, why);
            }
        }
    }
    double start[PIPIT_MAX_DIM], len[PIPIT_MAX_DIM];
    for (unsigned a = 0; a < d; a++) {
        len[a] = mm[a] / sp[a];
        double max_start = hi[a] - len[a];
        if (max_start < lo[a])
            max_start = lo[a];
        start[a] = lo[a] + pipit__reg_rng_uniform(L->rng) * (max_start - lo[a]);
    }
    for (unsigned a = 0; a < d; a++) {
        lo[a] = start[a];
        /* a region bigger than the cropped one stays in it */
        if (start[a] + len[a] < hi[a])
            hi[a] = start[a] + len[a];
    }
    return PIPIT_OK;
}

static pipit_status_t
rc_draw(void *st, const reg_level_t *L, reg_samples_t *out)
{
    rc_state_t *s = st;
    size_t n = s->n > 0 ? s->n : 5000;
    pipit_region_t r;
    pipit_status_t rc = pipit__reg_sampler_region(L, &r);
    if (rc != PIPIT_OK)
        return rc;
    rc = get_interpolator(s, L);
    if (rc != PIPIT_OK)
        return rc;
    rc = pipit__reg_samples_reserve(out, L->dim, n);
    if (rc != PIPIT_OK)
        return rc;
    unsigned d = L->dim;
    double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];
    rc = sample_box(s, L, &r, lo, hi);
    if (rc != PIPIT_OK)
        return rc;
    const reg_mask_t *mask = L->fixed_mask;
    uint64_t tries = 0, max_tries = (uint64_t)n * 10;
    for (size_t i = 0; i < n; i++) {
        double *c = out->points + i * d;
        for (;;) {
            for (unsigned a = 0; a < d; a++)
                c[a] = lo[a] + pipit__reg_rng_uniform(L->rng) * (hi[a] - lo[a]);
            if (mask == NULL)
                break;
            double p[PIPIT_MAX_DIM];
            pipit_image_index_to_point(L->fixed, c, p);
            if (pipit__reg_mask_inside(mask, p))
                break;
            if (++tries >= max_tries) {
                out->n = 0;
                return pipit__error(
                    PIPIT_EINVAL,
                    "ImageSampler RandomCoordinate: %zu of %zu samples "
                    "found inside the fixed mask after %llu draws; the "
                    "fixed mask covers too little of its bounding box on "
                    "the fixed image", i, n, (unsigned long long)tries);
            }
        }
    }
    rc_job_t j = { .ip = s->ip, .img = L->fixed, .out = out, .dim = d };
    rc = pipit_parallel_for(n, BATCH, rc_fill, &j);
    if (rc != PIPIT_OK)
        return rc;
    out->n = n;
    return PIPIT_OK;
}

static void
rc_finalize(void *st)
{
    rc_state_t *s = st;
    pipit_interpolator_unref(s->ip);
    s->ip = NULL;
}

const reg_sampler_class_t pipit__reg_sampler_random_coordinate = {
    .name = "RandomCoordinate",
    .random = true,
    .state_size = sizeof(rc_state_t),
    .configure = rc_configure,
    .draw = rc_draw,
    .finalize = rc_finalize,
};

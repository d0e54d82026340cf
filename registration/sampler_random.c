/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ImageSampler "Random" (spec §7.4): NumberOfSpatialSamples (R, default
 * 5000) voxels drawn uniformly with replacement from the cropped region;
 * with a fixed mask a draw is repeated until its voxel is inside, and
 * after 10 draws per requested sample in all the draw fails (the mask
 * covers too little of the region), as elastix does.
 *
 * Every draw happens on the calling thread from the node's generator
 * (L->rng), so the samples depend on the seed alone, never on the
 * threads. The work per sample is one index, one point and one pixel: a
 * few thousand of them cost less than handing them to the pool.
 */
#include "error_impl.h"
#include "image_impl.h"
#include "reg_impl.h"

/* Largest NumberOfSpatialSamples taken: far above any useful value, low
 * enough that n * dim doubles cannot overflow a size_t. */
#define MAX_SAMPLES ((int64_t)1 << 40)

typedef struct random_state {
    size_t n;
} random_state_t;

static pipit_status_t
random_configure(void *st, const reg_map_t *m, unsigned level)
{
    random_state_t *s = st;
    int64_t v;
    pipit_status_t rc = pipit__reg_get_int_in(m, "NumberOfSpatialSamples",
                                              level, 5000, 1, MAX_SAMPLES,
                                              &v);
    if (rc != PIPIT_OK)
        return rc;
    s->n = (size_t)v;
    return PIPIT_OK;
}

static pipit_status_t
random_draw(void *st, const reg_level_t *L, reg_samples_t *out)
{
    random_state_t *s = st;
    size_t n = s->n > 0 ? s->n : 5000;
    pipit_region_t r;
    pipit_status_t rc = pipit__reg_sampler_region(L, &r);
    if (rc != PIPIT_OK)
        return rc;
    rc = pipit__reg_samples_reserve(out, L->dim, n);
    if (rc != PIPIT_OK)
        return rc;
    unsigned d = L->dim;
    size_t size[PIPIT_MAX_DIM];
    uint64_t total = 1;
    for (unsigned a = 0; a < d; a++) {
        size[a] = r.hi[a] - r.lo[a];
        total *= size[a];
    }
    /* The image's own index-to-point matrix and pixel layout, read once:
     * the points are pipit_image_index_to_point's, bit for bit (same
     * products, same order), without a call and a region copy per
     * sample. check_fixed (sampler_region) made sure it is scalar f32. */
    const pipit_image_t *img = L->fixed;
    const double *tp = img->to_point, *org = img->origin;
    const char *base = img->data;
    ptrdiff_t boff[PIPIT_MAX_DIM];
    for (unsigned a = 0; a < d; a++)
        boff[a] = (ptrdiff_t)(r.lo[a] - img->buffered.lo[a]);
    /* pipit__reg_rng_below's rejection limit, computed once: the same
     * stream of draws. */
    const uint64_t limit = UINT64_MAX - UINT64_MAX % total;
    const reg_mask_t *mask = L->fixed_mask;
    uint64_t tries = 0, max_tries = (uint64_t)n * 10;
    for (size_t i = 0; i < n; i++) {
        size_t off[PIPIT_MAX_DIM];
        double *p = out->points + i * d;
        for (;;) {
            uint64_t k;
            do
                k = pipit__reg_rng_next(L->rng);
            while (k >= limit);
            k %= total;
            if (d == 2) {
                off[0] = (size_t)(k % size[0]);
                off[1] = (size_t)(k / size[0]);
            } else {
                for (unsigned a = 0; a < d; a++) {
                    off[a] = (size_t)(k % size[a]);
                    k /= size[a];
                }
            }
            for (unsigned row = 0; row < d; row++) {
                double v = org[row];
                for (unsigned c = 0; c < d; c++)
                    v += tp[row * d + c] * (double)(r.lo[c] + off[c]);
                p[row] = v;
            }
            if (mask == NULL || pipit__reg_mask_inside(mask, p))
                break;
            if (++tries >= max_tries) {
                out->n = 0;
                return pipit__error(
                    PIPIT_EINVAL,
                    "ImageSampler Random: %zu of %zu samples found inside "
                    "the fixed mask after %llu draws; the fixed mask "
                    "covers too little of its bounding box on the fixed "
                    "image", i, n, (unsigned long long)tries);
            }
        }
        /* The pixel's byte offset, kept in values[i] (exact: far below
         * 2^53) and fetched below: the loads, random and mostly cache
         * misses, then overlap instead of stalling each draw. */
        ptrdiff_t o = 0;
        for (unsigned a = 0; a < d; a++)
            o += ((ptrdiff_t)off[a] + boff[a]) * img->stride[a];
        __builtin_prefetch(base + o);
        out->values[i] = (double)o;
    }
    for (size_t i = 0; i < n; i++)
        out->values[i] = *(const float *)(base + (ptrdiff_t)out->values[i]);
    out->n = n;
    return PIPIT_OK;
}

static void
random_finalize(void *st)
{
    (void)st;
}

const reg_sampler_class_t pipit__reg_sampler_random = {
    .name = "Random",
    .random = true,
    .state_size = sizeof(random_state_t),
    .configure = random_configure,
    .draw = random_draw,
    .finalize = random_finalize,
};

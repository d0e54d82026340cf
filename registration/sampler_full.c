/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ImageSampler "Full" (spec §7.4): every voxel of the fixed level image
 * in the cropped region (the fixed mask's bounding box) and inside the
 * mask, x fastest. It reads no key.
 */
#include "reg_impl.h"

typedef struct full_state {
    reg_lattice_t scratch;
} full_state_t;

static pipit_status_t
full_configure(void *st, const reg_map_t *m, unsigned level)
{
    (void)st;
    (void)m;
    (void)level;
    return PIPIT_OK;
}

static pipit_status_t
full_draw(void *st, const reg_level_t *L, reg_samples_t *out)
{
    full_state_t *s = st;
    pipit_region_t r;
    pipit_status_t rc = pipit__reg_sampler_region(L, &r);
    if (rc != PIPIT_OK)
        return rc;
    size_t first[PIPIT_MAX_DIM], step[PIPIT_MAX_DIM], count[PIPIT_MAX_DIM];
    for (unsigned a = 0; a < L->dim; a++) {
        first[a] = r.lo[a];
        step[a] = 1;
        count[a] = r.hi[a] - r.lo[a];
    }
    return pipit__reg_sample_lattice(L, first, step, count, &s->scratch, out);
}

static void
full_finalize(void *st)
{
    full_state_t *s = st;
    pipit__reg_lattice_free(&s->scratch);
}

const reg_sampler_class_t pipit__reg_sampler_full = {
    .name = "Full",
    .random = false,
    .state_size = sizeof(full_state_t),
    .configure = full_configure,
    .draw = full_draw,
    .finalize = full_finalize,
};

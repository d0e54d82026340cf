/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ImageSampler "Grid" (spec §7.4): a regular lattice of voxels of step
 * SampleGridSpacing (R x Dim, entry r*D + d, default 2; a missing entry
 * takes the default, not entry 0, as elastix reads it) over the cropped
 * region, centred as elastix centres it: m = 1 + (n - 1) / step points,
 * the first at i0 + (n - ((m - 1) * step + 1)) / 2 (integer division);
 * only the points inside the fixed mask are kept.
 */
#include "reg_impl.h"

typedef struct grid_state {
    size_t step[PIPIT_MAX_DIM];
    unsigned dim;
    reg_lattice_t scratch;
} grid_state_t;

static pipit_status_t
grid_configure(void *st, const reg_map_t *m, unsigned level)
{
    grid_state_t *s = st;
    unsigned d = m->dim;
    if (d == 0 || d > PIPIT_MAX_DIM)
        d = PIPIT_MAX_DIM;
    s->dim = d;
    for (unsigned a = 0; a < d; a++) {
        size_t idx = (size_t)level * d + a;
        int64_t v = 2;
        if (pipit__reg_count(m, "SampleGridSpacing") > idx) {
            pipit_status_t rc = pipit__reg_get_int_in(
                m, "SampleGridSpacing", idx, 2, 1, INT32_MAX, &v);
            if (rc != PIPIT_OK)
                return rc;
        }
        s->step[a] = (size_t)v;
    }
    return PIPIT_OK;
}

static pipit_status_t
grid_draw(void *st, const reg_level_t *L, reg_samples_t *out)
{
    grid_state_t *s = st;
    pipit_region_t r;
    pipit_status_t rc = pipit__reg_sampler_region(L, &r);
    if (rc != PIPIT_OK)
        return rc;
    size_t first[PIPIT_MAX_DIM], step[PIPIT_MAX_DIM], count[PIPIT_MAX_DIM];
    for (unsigned a = 0; a < L->dim; a++) {
        /* an unconfigured axis (configure saw another dim) steps by 2 */
        size_t g = a < s->dim && s->step[a] > 0 ? s->step[a] : 2;
        size_t n = r.hi[a] - r.lo[a];
        size_t m = 1 + (n - 1) / g;
        step[a] = g;
        count[a] = m;
        first[a] = r.lo[a] + (n - ((m - 1) * g + 1)) / 2;
    }
    return pipit__reg_sample_lattice(L, first, step, count, &s->scratch, out);
}

static void
grid_finalize(void *st)
{
    grid_state_t *s = st;
    pipit__reg_lattice_free(&s->scratch);
}

const reg_sampler_class_t pipit__reg_sampler_grid = {
    .name = "Grid",
    .random = false,
    .state_size = sizeof(grid_state_t),
    .configure = grid_configure,
    .draw = grid_draw,
    .finalize = grid_finalize,
};

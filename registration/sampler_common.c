/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the image samplers share (spec §7.4): the region samples come
 * from, and the fill of a regular lattice of voxels (Full is the lattice
 * of step 1, Grid a coarser one) on the pool.
 *
 * A lattice fill with a mask does not know its count in advance: one
 * pass counts the inside voxels of every row, the offsets are summed on
 * the calling thread, a second pass writes each row at its offset. Both
 * passes only read, so the samples are the same for any thread count
 * and come in x-fastest order whatever the pieces.
 */
#include <math.h>
#include <string.h>

#include "error_impl.h"
#include "reg_impl.h"

double
pipit__reg_fixed_value(const pipit_image_t *img, const size_t *idx)
{
    pipit_region_t b = pipit_image_buffered_region(img);
    const ptrdiff_t *st = pipit_image_strides(img);
    const char *p = pipit_image_data(img);
    unsigned d = pipit_image_dim(img);
    for (unsigned a = 0; a < d; a++)
        p += (ptrdiff_t)(idx[a] - b.lo[a]) * st[a];
    return *(const float *)p;
}

static pipit_status_t
check_fixed(const reg_level_t *L)
{
    const pipit_image_t *f = L->fixed;
    if (f == NULL || pipit_image_data(f) == NULL)
        return pipit__error(PIPIT_EINVAL, "image sampler: no fixed image");
    if (pipit_image_pixel_type(f) != PIPIT_F32 ||
        pipit_image_components(f) != 1)
        return pipit__error(PIPIT_EINVAL,
                            "image sampler: the fixed level image must be "
                            "scalar float, not %u x %s",
                            pipit_image_components(f),
                            pipit_pixel_type_name(pipit_image_pixel_type(f)));
    if (pipit_image_dim(f) != L->dim)
        return pipit__error(PIPIT_EINVAL,
                            "image sampler: fixed image of dimension %u in "
                            "a %u-D registration",
                            pipit_image_dim(f), L->dim);
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_sampler_region(const reg_level_t *L, pipit_region_t *out)
{
    pipit_status_t st = check_fixed(L);
    if (st != PIPIT_OK)
        return st;
    pipit_region_t r = pipit_image_buffered_region(L->fixed);
    if (pipit_region_is_empty(&r))
        return pipit__error(PIPIT_EINVAL, "image sampler: empty fixed image");
    const reg_mask_t *m = L->fixed_mask;
    if (m == NULL) {
        *out = r;
        return PIPIT_OK;
    }
    if (m->n_inside == 0)
        return pipit__error(PIPIT_EINVAL,
                            "fixed mask: the mask covers no pixel");
    unsigned d = L->dim;
    if (m->dim != d)
        return pipit__error(PIPIT_EINVAL,
                            "fixed mask of dimension %u in a %u-D "
                            "registration", m->dim, d);
    /* ITK 5's ImageMaskSpatialObject: the box of the inside voxels with
     * half a voxel of margin, so that every point whose nearest voxel is
     * inside lies in it; elastix maps its world corners into the input
     * image's indices and takes floor / ceil. */
    double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];
    for (unsigned a = 0; a < d; a++) {
        lo[a] = HUGE_VAL;
        hi[a] = -HUGE_VAL;
    }
    for (unsigned corner = 0; corner < (1u << d); corner++) {
        double ci[PIPIT_MAX_DIM], p[PIPIT_MAX_DIM], c[PIPIT_MAX_DIM];
        for (unsigned a = 0; a < d; a++)
            ci[a] = (corner >> a & 1u) ? (double)m->hi[a] - 0.5
                                        : (double)m->lo[a] - 0.5;
        pipit_image_index_to_point(m->image, ci, p);
        pipit_image_point_to_index(L->fixed, p, c);
        for (unsigned a = 0; a < d; a++) {
            if (c[a] < lo[a])
                lo[a] = c[a];
            if (c[a] > hi[a])
                hi[a] = c[a];
        }
    }
    for (unsigned a = 0; a < d; a++) {
        double l = floor(lo[a]), h = ceil(hi[a]) + 1.0; /* h exclusive */
        if (l < (double)r.lo[a])
            l = (double)r.lo[a];
        if (h > (double)r.hi[a])
            h = (double)r.hi[a];
        if (!(l < h))
            return pipit__error(PIPIT_EINVAL,
                                "fixed mask: its bounding box lies entirely "
                                "outside the fixed image (axis %u)", a);
        r.lo[a] = (size_t)l;
        r.hi[a] = (size_t)h;
    }
    *out = r;
    return PIPIT_OK;
}

void
pipit__reg_lattice_free(reg_lattice_t *s)
{
    pipit__free(s->rows);
    *s = (reg_lattice_t){ 0 };
}

typedef struct lattice_job {
    const reg_level_t *L;
    const reg_mask_t *mask;
    unsigned dim;
    size_t first[PIPIT_MAX_DIM], step[PIPIT_MAX_DIM], count[PIPIT_MAX_DIM];
    size_t *rows;          /* counts (pass 1), offsets (pass 2); NULL: none */
    reg_samples_t *out;
    /* pixel access */
    const char *data;
    const ptrdiff_t *strides;
    size_t buf_lo[PIPIT_MAX_DIM];
    /* the mask's pixels when it shares the image's grid: a voxel is then
     * inside iff its own mask pixel is (what the lookup in physical
     * space finds too, without the two matrix products) */
    const uint8_t *same_grid;
} lattice_job_t;

/* Inside the mask: voxel idx (image indices), point p. */
static inline bool
inside(const lattice_job_t *j, const size_t *idx, const double *p)
{
    if (j->same_grid != NULL) {
        size_t off = 0;
        for (unsigned a = 0; a < j->dim; a++)
            off += idx[a] * j->mask->stride[a];
        return j->same_grid[off] != 0;
    }
    return pipit__reg_mask_inside(j->mask, p);
}

/* Index and pixel address of the first voxel of lattice row `row`. */
static const char *
row_start(const lattice_job_t *j, size_t row, size_t *idx)
{
    size_t r = row;
    idx[0] = j->first[0];
    for (unsigned a = 1; a < j->dim; a++) {
        idx[a] = j->first[a] + (r % j->count[a]) * j->step[a];
        r /= j->count[a];
    }
    const char *p = j->data;
    for (unsigned a = 0; a < j->dim; a++)
        p += (ptrdiff_t)(idx[a] - j->buf_lo[a]) * j->strides[a];
    return p;
}

static pipit_status_t
count_rows(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    (void)worker;
    (void)acc;
    const lattice_job_t *j = ctx;
    unsigned d = j->dim;
    for (size_t row = lo; row < hi; row++) {
        size_t idx[PIPIT_MAX_DIM];
        row_start(j, row, idx);
        size_t n = 0;
        double ci[PIPIT_MAX_DIM], p[PIPIT_MAX_DIM];
        for (unsigned a = 0; a < d; a++)
            ci[a] = (double)idx[a];
        for (size_t k = 0; k < j->count[0]; k++) {
            idx[0] = j->first[0] + k * j->step[0];
            if (j->same_grid == NULL) {
                ci[0] = (double)idx[0];
                pipit_image_index_to_point(j->L->fixed, ci, p);
            }
            n += inside(j, idx, p);
        }
        j->rows[row] = n;
    }
    return PIPIT_OK;
}

static pipit_status_t
fill_rows(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    (void)worker;
    (void)acc;
    const lattice_job_t *j = ctx;
    unsigned d = j->dim;
    double *pts = j->out->points, *vals = j->out->values;
    ptrdiff_t xstep = (ptrdiff_t)j->step[0] * j->strides[0];
    for (size_t row = lo; row < hi; row++) {
        size_t idx[PIPIT_MAX_DIM];
        const char *px = row_start(j, row, idx);
        size_t o = j->rows != NULL ? j->rows[row] : row * j->count[0];
        double ci[PIPIT_MAX_DIM];
        for (unsigned a = 0; a < d; a++)
            ci[a] = (double)idx[a];
        for (size_t k = 0; k < j->count[0]; k++, px += xstep) {
            idx[0] = j->first[0] + k * j->step[0];
            ci[0] = (double)idx[0];
            /* a local point first: a rejected one must not touch the
             * slot that the next row, maybe on another worker, owns */
            double p[PIPIT_MAX_DIM];
            pipit_image_index_to_point(j->L->fixed, ci, p);
            if (j->mask != NULL && !inside(j, idx, p))
                continue;
            memcpy(pts + o * d, p, d * sizeof *p);
            vals[o++] = *(const float *)px;
        }
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_sample_lattice(const reg_level_t *L, const size_t *first,
                          const size_t *step, const size_t *count,
                          reg_lattice_t *scratch, reg_samples_t *out)
{
    pipit_status_t st = check_fixed(L);
    if (st != PIPIT_OK)
        return st;
    lattice_job_t j = { .L = L, .mask = L->fixed_mask, .dim = L->dim,
                        .out = out };
    size_t rows = 1, n;
    for (unsigned a = 0; a < L->dim; a++) {
        j.first[a] = first[a];
        j.step[a] = step[a] > 0 ? step[a] : 1;
        j.count[a] = count[a];
        if (count[a] == 0) {
            out->n = 0;
            return pipit__reg_samples_reserve(out, L->dim, 0);
        }
        if (a > 0) {
            if (rows > SIZE_MAX / count[a])
                return pipit__error(PIPIT_ERANGE, "image sampler: too many "
                                                  "samples");
            rows *= count[a];
        }
    }
    if (rows > SIZE_MAX / count[0])
        return pipit__error(PIPIT_ERANGE, "image sampler: too many samples");
    pipit_region_t b = pipit_image_buffered_region(L->fixed);
    memcpy(j.buf_lo, b.lo, sizeof j.buf_lo);
    j.data = pipit_image_data(L->fixed);
    j.strides = pipit_image_strides(L->fixed);
    if (j.mask != NULL && pipit_image_same_grid(j.mask->image, L->fixed, 0.0)) {
        bool zero = true;
        for (unsigned a = 0; a < L->dim; a++)
            zero = zero && b.lo[a] == 0;
        if (zero)
            j.same_grid = j.mask->pixels;
    }
    /* about 16k samples a piece: enough work to pay for the hand-out */
    size_t grain = 16384 / count[0];
    if (grain == 0)
        grain = 1;
    if (j.mask != NULL) {
        if (scratch->capacity < rows) {
            size_t *r = pipit__realloc(scratch->rows, rows * sizeof *r);
            if (r == NULL)
                return PIPIT_ENOMEM;
            scratch->rows = r;
            scratch->capacity = rows;
        }
        j.rows = scratch->rows;
        st = pipit_parallel_for(rows, grain, count_rows, &j);
        if (st != PIPIT_OK)
            return st;
        n = 0;
        for (size_t r = 0; r < rows; r++) {
            size_t c = j.rows[r];
            j.rows[r] = n;
            n += c;
        }
        st = pipit__reg_samples_reserve(out, L->dim, n);
    } else {
        n = rows * count[0];
        st = pipit__reg_samples_reserve(out, L->dim, n);
    }
    if (st != PIPIT_OK)
        return st;
    st = pipit_parallel_for(rows, grain, fill_rows, &j);
    if (st != PIPIT_OK)
        return st;
    out->n = n;
    return PIPIT_OK;
}

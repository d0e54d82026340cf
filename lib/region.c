/* SPDX-License-Identifier: Apache-2.0 */
/* Regions: half-open index boxes. */
#include <pipit/types.h>

pipit_region_t
pipit_region_make(unsigned dim, const size_t *index, const size_t *size)
{
    pipit_region_t r;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        r.lo[d] = d < dim ? index[d] : 0;
        r.hi[d] = d < dim ? index[d] + size[d] : 1;
    }
    return r;
}

pipit_region_t
pipit_region_from_size(unsigned dim, const size_t *size)
{
    static const size_t zero[PIPIT_MAX_DIM];
    return pipit_region_make(dim, zero, size);
}

size_t
pipit_region_count(const pipit_region_t *r)
{
    size_t n = 1;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        n *= r->hi[d] > r->lo[d] ? r->hi[d] - r->lo[d] : 0;
    return n;
}

bool
pipit_region_is_empty(const pipit_region_t *r)
{
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        if (r->hi[d] <= r->lo[d])
            return true;
    return false;
}

bool
pipit_region_equal(const pipit_region_t *a, const pipit_region_t *b)
{
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        if (a->lo[d] != b->lo[d] || a->hi[d] != b->hi[d])
            return false;
    return true;
}

bool
pipit_region_contains(const pipit_region_t *outer, const pipit_region_t *inner)
{
    if (pipit_region_is_empty(inner))
        return true;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        if (inner->lo[d] < outer->lo[d] || inner->hi[d] > outer->hi[d])
            return false;
    return true;
}

pipit_region_t
pipit_region_intersect(const pipit_region_t *a, const pipit_region_t *b)
{
    pipit_region_t r;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        r.lo[d] = a->lo[d] > b->lo[d] ? a->lo[d] : b->lo[d];
        r.hi[d] = a->hi[d] < b->hi[d] ? a->hi[d] : b->hi[d];
        if (r.hi[d] < r.lo[d])
            r.hi[d] = r.lo[d];
    }
    return r;
}

pipit_region_t
pipit_region_union(const pipit_region_t *a, const pipit_region_t *b)
{
    if (pipit_region_is_empty(a))
        return *b;
    if (pipit_region_is_empty(b))
        return *a;
    pipit_region_t r;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        r.lo[d] = a->lo[d] < b->lo[d] ? a->lo[d] : b->lo[d];
        r.hi[d] = a->hi[d] > b->hi[d] ? a->hi[d] : b->hi[d];
    }
    return r;
}

pipit_region_t
pipit_region_pad(const pipit_region_t *r, const size_t *radius, unsigned dim,
                 const pipit_region_t *bounds)
{
    pipit_region_t p = *r;
    for (unsigned d = 0; d < dim && d < PIPIT_MAX_DIM; d++) {
        p.lo[d] = p.lo[d] > radius[d] ? p.lo[d] - radius[d] : 0;
        p.hi[d] = p.hi[d] + radius[d];
    }
    return pipit_region_intersect(&p, bounds);
}

unsigned
pipit_region_split_axis(const pipit_region_t *r)
{
    for (unsigned d = PIPIT_MAX_DIM; d-- > 0;)
        if (r->hi[d] - r->lo[d] > 1)
            return d;
    return 0;
}

size_t
pipit_region_split(const pipit_region_t *r, size_t n, size_t k,
                   pipit_region_t *piece)
{
    if (pipit_region_is_empty(r) || n == 0)
        return 0;
    unsigned a = pipit_region_split_axis(r);
    size_t len = r->hi[a] - r->lo[a];
    size_t count = n < len ? n : len;
    if (k < count && piece != NULL) {
        /* Slab k covers [k*len/count, (k+1)*len/count): sizes differ by
         * at most one and the slabs tile the axis exactly. */
        *piece = *r;
        piece->lo[a] = r->lo[a] + k * len / count;
        piece->hi[a] = r->lo[a] + (k + 1) * len / count;
    }
    return count;
}

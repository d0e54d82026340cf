/* SPDX-License-Identifier: Apache-2.0 */
/* Byte swapping, and raw arrays read by region (conversion: lib/pixel_convert.c). */
#include <math.h>
#include <string.h>

#include "io_impl.h"

bool
pipit__host_is_big_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 0;
}

void
pipit__swap_bytes(void *p, size_t elem, size_t n)
{
    unsigned char *c = p;
    switch (elem) {
    case 2:
        for (size_t i = 0; i < n; i++) {
            uint16_t v;
            memcpy(&v, c + 2 * i, 2);
            v = __builtin_bswap16(v);
            memcpy(c + 2 * i, &v, 2);
        }
        break;
    case 4:
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, c + 4 * i, 4);
            v = __builtin_bswap32(v);
            memcpy(c + 4 * i, &v, 4);
        }
        break;
    case 8:
        for (size_t i = 0; i < n; i++) {
            uint64_t v;
            memcpy(&v, c + 8 * i, 8);
            v = __builtin_bswap64(v);
            memcpy(c + 8 * i, &v, 8);
        }
        break;
    default:
        break;
    }
}

/* ---- raw arrays by region ------------------------------------------- */

/* Linear pixel index of idx in an array of the given size. */
static uint64_t
linear(const size_t *size, const size_t *idx)
{
    uint64_t k = 0;
    for (int d = PIPIT_MAX_DIM - 1; d >= 0; d--)
        k = k * size[d] + idx[d];
    return k;
}

/* Same type, interleaved: whole runs straight into the pixels. */
static pipit_status_t
raw_direct(const pipit__raw_layout_t *l, pipit__read_fn read, void *ctx,
           pipit_image_t *img, const pipit_region_t *r)
{
    size_t csize = pipit_pixel_size(l->file_type);
    size_t pb = csize * l->components;
    /* Axes 0..k-1 are whole in r: a run spans them and part of axis k,
     * contiguous in the file and in the buffer alike. */
    unsigned k = 0;
    while (k < PIPIT_MAX_DIM - 1 && r->lo[k] == 0 && r->hi[k] == l->size[k])
        k++;
    uint64_t run = 1;
    for (unsigned d = 0; d < k; d++)
        run *= l->size[d];
    run *= r->hi[k] - r->lo[k];
    size_t idx[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        idx[d] = r->lo[d];
    for (;;) {
        char *dst = pipit__at(img, idx[0], idx[1], idx[2], idx[3]);
        pipit_status_t st = read(ctx, linear(l->size, idx) * pb, dst,
                                 (size_t)run * pb);
        if (st != PIPIT_OK)
            return st;
        if (l->swap)
            pipit__swap_bytes(dst, csize, (size_t)run * l->components);
        /* Next run: odometer over the axes above k. */
        unsigned d = k + 1;
        for (; d < PIPIT_MAX_DIM; d++) {
            if (++idx[d] < r->hi[d])
                break;
            idx[d] = r->lo[d];
        }
        if (d >= PIPIT_MAX_DIM)
            return PIPIT_OK;
    }
}

pipit_status_t
pipit__raw_read(const pipit__raw_layout_t *l, pipit__read_fn read, void *ctx,
                pipit_image_t *img, const pipit_region_t *r)
{
    if (pipit_region_is_empty(r))
        return PIPIT_OK;
    if (!l->scale && !l->planar && l->file_type == l->out_type)
        return raw_direct(l, read, ctx, img, r);

    pipit_status_t st = PIPIT_OK;
    size_t csize = pipit_pixel_size(l->file_type);
    size_t osize = pipit_pixel_size(l->out_type);
    unsigned nc = l->components;
    size_t width = r->hi[0] - r->lo[0];
    /* One row of the file (one component when planar) and its
     * conversion; a region row is at most an image row, which the
     * caller already holds in the output buffer. */
    size_t per_row = l->planar ? width : width * nc;
    char *raw = pipit__malloc(per_row * csize);
    char *conv = l->planar ? pipit__malloc(per_row * osize) : NULL;
    if (raw == NULL || (l->planar && conv == NULL)) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    uint64_t volume = 1;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        volume *= l->size[d];
    double slope = l->scale ? l->slope : 1.0;
    double inter = l->scale ? l->inter : 0.0;
    /* Components outermost when planar, so that each pass reads its
     * volume in increasing order (a compressed stream restarts once per
     * component, not once per row). */
    for (unsigned c = 0; c < (l->planar ? nc : 1); c++)
        PIPIT_FOR_EACH_ROW(img, r, row, y, z, t) {
            size_t idx[PIPIT_MAX_DIM] = { r->lo[0], y, z, t };
            uint64_t off = l->planar
                               ? (c * volume + linear(l->size, idx)) * csize
                               : linear(l->size, idx) * nc * csize;
            if ((st = read(ctx, off, raw, per_row * csize)) != PIPIT_OK)
                goto done;
            if (l->swap)
                pipit__swap_bytes(raw, csize, per_row);
            char *dst = row + r->lo[0] * img->stride[0];
            if (!l->planar) {
                pipit__convert_scaled(raw, l->file_type, dst, l->out_type,
                                      per_row, slope, inter);
                continue;
            }
            pipit__convert_scaled(raw, l->file_type, conv, l->out_type,
                                  per_row, slope, inter);
            for (size_t x = 0; x < width; x++)
                memcpy(dst + (x * nc + c) * osize, conv + x * osize, osize);
        }
done:
    pipit__free(raw);
    pipit__free(conv);
    return st;
}

/* ---- rows handed to writers ------------------------------------------ */

const void *
pipit__rows_get(pipit__rows_t *rows, size_t y, size_t z, size_t t)
{
    const pipit_image_t *img = rows->img;
    const char *src = pipit__row(img, y, z, t) +
                      rows->r.lo[0] * (size_t)img->stride[0];
    if (img->type == rows->type)
        return src;
    pipit__convert(src, img->type, rows->scratch, rows->type,
                   (rows->r.hi[0] - rows->r.lo[0]) * img->components);
    return rows->scratch;
}

const void *
pipit__rows_contiguous(const pipit__rows_t *rows, size_t *bytes)
{
    const pipit_image_t *img = rows->img;
    const pipit_region_t *r = &rows->r, *b = &img->buffered;
    if (img->type != rows->type)
        return NULL;
    int top = PIPIT_MAX_DIM - 1;
    while (top > 0 && r->hi[top] - r->lo[top] <= 1)
        top--;
    for (int d = 0; d < top; d++)
        if (r->lo[d] != b->lo[d] || r->hi[d] != b->hi[d])
            return NULL;
    *bytes = pipit_region_count(r) * img->pixel_bytes;
    return pipit__at(img, r->lo[0], r->lo[1], r->lo[2], r->lo[3]);
}

size_t
pipit__file_pieces(const pipit_region_t *r, size_t pixel_bytes, size_t target,
                   size_t k, pipit_region_t *piece)
{
    if (pipit_region_is_empty(r))
        return 0;
    if (target == 0)
        target = 1u << 20;
    size_t ext[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        ext[d] = r->hi[d] - r->lo[d];
    /* The highest axis a whose unit (one index of a: all of the axes
     * below) fits the target; pieces are m units of a, one index at a
     * time on the axes above, so they follow file order. */
    unsigned a = PIPIT_MAX_DIM - 1;
    for (;; a--) {
        uint64_t unit = pixel_bytes;
        bool fits = true;
        for (unsigned d = 0; d < a && fits; d++)
            fits = pipit__mul_u64(unit, ext[d], &unit) && unit <= target;
        if ((fits && unit <= target) || a == 1)
            break;
    }
    uint64_t unit = pixel_bytes;
    for (unsigned d = 0; d < a; d++)
        unit *= ext[d];
    size_t m = unit >= target ? 1 : (size_t)(target / unit);
    if (m > ext[a])
        m = ext[a];  /* no overflow below, whatever the target */
    size_t chunks = (ext[a] + m - 1) / m;
    size_t count = chunks;
    for (unsigned d = a + 1; d < PIPIT_MAX_DIM; d++)
        count *= ext[d];
    if (k < count && piece != NULL) {
        *piece = *r;
        size_t j = k % chunks, outer = k / chunks;
        piece->lo[a] = r->lo[a] + j * m;
        piece->hi[a] = piece->lo[a] + m < r->hi[a] ? piece->lo[a] + m
                                                     : r->hi[a];
        for (unsigned d = a + 1; d < PIPIT_MAX_DIM; d++) {
            piece->lo[d] = r->lo[d] + outer % ext[d];
            piece->hi[d] = piece->lo[d] + 1;
            outer /= ext[d];
        }
    }
    return count;
}

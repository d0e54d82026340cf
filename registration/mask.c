/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registration masks (spec §4): any scalar image, inside where the value
 * is not 0, looked up in physical space at the nearest voxel of the
 * mask's own grid, so a mask needs no resampling per pyramid level.
 */
#include <math.h>
#include <string.h>

#include <pipit/image.h>

#include "error_impl.h"
#include "linalg_impl.h"
#include "pixel_convert_impl.h"
#include "reg_impl.h"

/* The geometry half of a mask, shared by new and erode. */
static void
take_geometry(reg_mask_t *m, const pipit_image_t *img)
{
    unsigned d = pipit_image_dim(img);
    m->dim = d;
    const double *s = pipit_image_spacing(img), *dir = pipit_image_direction(img);
    double to_point[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    for (unsigned r = 0; r < d; r++)
        for (unsigned c = 0; c < d; c++)
            to_point[r * d + c] = dir[r * d + c] * s[c];
    if (!pipit__mat_inverse(d, to_point, m->to_index))
        pipit__mat_identity(d, m->to_index);
    memcpy(m->origin, pipit_image_origin(img), d * sizeof(double));
    memcpy(m->size, pipit_image_size(img), d * sizeof(size_t));
    for (unsigned a = d; a < PIPIT_MAX_DIM; a++)
        m->size[a] = 1;
    m->stride[0] = 1;
    for (unsigned a = 1; a < PIPIT_MAX_DIM; a++)
        m->stride[a] = m->stride[a - 1] * m->size[a - 1];
}

/* Counts the inside voxels and their bounding box. */
static void
measure(reg_mask_t *m)
{
    m->n_inside = 0;
    for (unsigned a = 0; a < PIPIT_MAX_DIM; a++) {
        m->lo[a] = m->size[a];
        m->hi[a] = 0;
    }
    size_t idx[PIPIT_MAX_DIM] = { 0 };
    size_t n = m->stride[PIPIT_MAX_DIM - 1] * m->size[PIPIT_MAX_DIM - 1];
    for (size_t i = 0; i < n; i++) {
        if (m->pixels[i] != 0) {
            m->n_inside++;
            for (unsigned a = 0; a < m->dim; a++) {
                if (idx[a] < m->lo[a])
                    m->lo[a] = idx[a];
                if (idx[a] + 1 > m->hi[a])
                    m->hi[a] = idx[a] + 1;
            }
        }
        for (unsigned a = 0; a < PIPIT_MAX_DIM && ++idx[a] == m->size[a]; a++)
            idx[a] = 0;
    }
}

pipit_status_t
pipit__reg_mask_new(const pipit_image_t *img, const char *what,
                    reg_mask_t **out)
{
    *out = NULL;
    if (img == NULL || pipit_image_data(img) == NULL)
        return pipit__error(PIPIT_EINVAL, "%s: no pixels", what);
    if (pipit_image_components(img) != 1)
        return pipit__error(PIPIT_EINVAL,
                            "%s: a mask has one component per pixel, not %u",
                            what, pipit_image_components(img));
    reg_mask_t *m = pipit__calloc(1, sizeof *m);
    if (m == NULL)
        return PIPIT_ENOMEM;
    take_geometry(m, img);
    size_t n = m->stride[PIPIT_MAX_DIM - 1] * m->size[PIPIT_MAX_DIM - 1];
    size_t size[PIPIT_MAX_DIM];
    memcpy(size, m->size, sizeof size);
    m->image = pipit_image_new(m->dim, size, PIPIT_U8, 1);
    double *row = pipit__malloc(m->size[0] * sizeof *row);
    if (m->image == NULL || row == NULL) {
        pipit__free(row);
        pipit__reg_mask_free(m);
        return PIPIT_ENOMEM;
    }
    pipit_image_copy_geometry(m->image, img);
    uint8_t *dst = pipit_image_data_writable(m->image);
    pipit_pixel_type_t t = pipit_image_pixel_type(img);
    size_t rows = n / m->size[0];
    for (size_t r = 0; r < rows; r++) {
        size_t y = r % m->size[1], z = r / m->size[1];
        pipit__convert(pipit_image_row(img, y, z), t, row, PIPIT_F64,
                       m->size[0]);
        for (size_t x = 0; x < m->size[0]; x++)
            dst[r * m->size[0] + x] = row[x] != 0.0;
    }
    pipit__free(row);
    m->pixels = dst;
    measure(m);
    if (m->n_inside == 0) {
        pipit__reg_mask_free(m);
        return pipit__error(PIPIT_EINVAL, "%s: the mask covers no pixel",
                            what);
    }
    *out = m;
    return PIPIT_OK;
}

void
pipit__reg_mask_measure(reg_mask_t *m)
{
    measure(m);
}

void
pipit__reg_mask_free(reg_mask_t *m)
{
    if (m == NULL)
        return;
    pipit_image_unref(m->image);
    pipit__free(m);
}

bool
pipit__reg_mask_inside(const reg_mask_t *m, const double *p)
{
    size_t off = 0;
    unsigned d = m->dim;
    for (unsigned r = 0; r < d; r++) {
        double c = 0.0;
        for (unsigned k = 0; k < d; k++)
            c += m->to_index[r * d + k] * (p[k] - m->origin[k]);
        /* nearest voxel, half up as ITK rounds */
        double f = floor(c + 0.5);
        if (!(f >= 0.0 && f < (double)m->size[r]))
            return false;
        off += (size_t)f * m->stride[r];
    }
    return m->pixels[off] != 0;
}

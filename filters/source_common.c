/* SPDX-License-Identifier: Apache-2.0 */
/* The grid settings and the piece loop the source nodes share. */
#include <math.h>
#include <stdio.h>

#include "grid_impl.h"
#include "pointwise_impl.h"
#include "source_impl.h"

pipit_status_t
pipit__source_information(pipit_node_t *n)
{
    const pipit__source_t *s = (const pipit__source_t *)n;
    double v[PIPIT_MAX_DIM], dir[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    size_t count, size[PIPIT_MAX_DIM];
    pipit_status_t st = pipit__parse_list(n, "size", s->size != NULL ? s->size
                                                                     : "",
                                          v, PIPIT_MAX_DIM, &count);
    if (st != PIPIT_OK)
        return st;
    if (count == 0)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "size: give the pixels per axis, e.g. "
                                 "64,64");
    unsigned dim = (unsigned)count;
    for (unsigned d = 0; d < dim; d++) {
        if (!(v[d] >= 1.0 && v[d] <= 1e12 && v[d] == floor(v[d])))
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "size: %g on axis %u is not a whole "
                                     "number >= 1",
                                     v[d], d);
        size[d] = (size_t)v[d];
    }
    if ((st = pipit__check_axes(n, dim)) != PIPIT_OK)
        return st;
    size_t nd = 0;
    if ((st = pipit__parse_list(n, "direction",
                                s->direction != NULL ? s->direction : "", dir,
                                PIPIT_MAX_DIM * PIPIT_MAX_DIM, &nd)) !=
        PIPIT_OK)
        return st;
    if (nd != 0 && nd != (size_t)dim * dim)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "direction: %zu values for a %u-D image "
                                 "(give %u, row by row, or none)",
                                 nd, dim, dim * dim);
    for (unsigned i = 0; nd == 0 && i < dim * dim; i++)
        dir[i] = i % (dim + 1) == 0 ? 1.0 : 0.0;
    pipit_image_t *out = pipit__output(n, 0);
    if ((st = pipit__image_set_shape(out, dim, size, s->type,
                                     (unsigned)s->components)) != PIPIT_OK ||
        (st = pipit_image_set_spacing(out, s->spacing)) != PIPIT_OK ||
        (st = pipit_image_set_origin(out, s->origin)) != PIPIT_OK ||
        (st = pipit_image_set_direction(out, dir)) != PIPIT_OK)
        pipit__error_prefix("%s", n->klass->name);
    return st;
}

pipit_status_t
pipit__source_rows(pipit_node_t *n, const pipit_piece_t *p,
                   pipit__source_row_fn row)
{
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    const size_t nc = out->components;
    /* whole pixels per chunk, so a pixel's components stay together */
    const size_t step = PIPIT__CHUNK / nc;
    double values[PIPIT__CHUNK];
    PIPIT_FOR_EACH_ROW(out, r, rowp, y, z, t) {
        (void)rowp;
        for (size_t x = r->lo[0]; x < r->hi[0]; x += step) {
            size_t m = r->hi[0] - x < step ? r->hi[0] - x : step;
            const size_t at[PIPIT_MAX_DIM] = { x, y, z, t };
            row(n, at, m, values);
            pipit__convert_fast(values, PIPIT_F64, pipit__at(out, x, y, z, t),
                                out->type, m * nc);
        }
    }
    return PIPIT_OK;
}

pipit_node_t *
pipit__source_new(const pipit_node_class_t *c, const char *ctor,
                  unsigned dim, const size_t *size, pipit_pixel_type_t type)
{
    if (dim < 1 || dim > PIPIT_MAX_DIM || size == NULL ||
        (unsigned)type >= PIPIT_PIXEL_TYPE_COUNT) {
        pipit__error(PIPIT_EINVAL,
                     "%s: invalid argument: dim %u (1..%d), size %s, "
                     "type %d",
                     ctor, dim, PIPIT_MAX_DIM, size ? "given" : "NULL",
                     (int)type);
        return NULL;
    }
    char text[PIPIT_MAX_DIM * 24] = "";
    size_t len = 0;
    for (unsigned d = 0; d < dim; d++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%zu",
                                d ? "," : "", size[d]);
    pipit_node_t *n = pipit_node_new(c);
    if (n == NULL)
        return NULL;
    pipit__source_t *s = (pipit__source_t *)n;
    s->type = type;
    if (pipit_node_set(n, "size", text) != PIPIT_OK) {
        pipit_node_unref(n);
        return NULL;
    }
    return n;
}

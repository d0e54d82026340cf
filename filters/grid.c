/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers of the pixel-moving filters (filters/grid_impl.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grid_impl.h"

pipit_status_t
pipit__axis_counts(const pipit_node_t *n, const char *name, const double *v,
                   unsigned dim, size_t min, size_t max, size_t *out)
{
    for (unsigned d = 0; d < dim; d++) {
        if (!(v[d] == floor(v[d])) || v[d] < (double)min ||
            v[d] > (double)max)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "%s: %g on axis %u is not a whole "
                                     "number in [%zu, %zu]",
                                     name, v[d], d, min, max);
        out[d] = (size_t)v[d];
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__parse_list(const pipit_node_t *n, const char *name, const char *text,
                  double *out, size_t max, size_t *count)
{
    const char *p = text;
    *count = 0;
    while (*p == ' ')
        p++;
    if (*p == '\0')
        return PIPIT_OK;
    for (;;) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno == ERANGE || !isfinite(v))
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "%s: '%s' is not a list of numbers "
                                     "such as 1,0,0,1",
                                     name, text);
        if (*count == max)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "%s: more than %zu values in '%s'", name,
                                     max, text);
        out[(*count)++] = v;
        while (*end == ' ')
            end++;
        if (*end == '\0')
            return PIPIT_OK;
        if (*end != ',' && *end != 'x')
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "%s: '%s' is not a list of numbers "
                                     "such as 1,0,0,1",
                                     name, text);
        p = end + 1;
    }
}

pipit_status_t
pipit__origin_at(const pipit_image_t *in, const double *ci, pipit_image_t *out)
{
    double p[PIPIT_MAX_DIM];
    pipit_image_index_to_point(in, ci, p);
    return pipit_image_set_origin(out, p);
}

pipit_status_t
pipit__grid_output(pipit_node_t *n, const size_t *size, const double *spacing,
                   const double *ci)
{
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    pipit_status_t st;
    if ((st = pipit__image_set_shape(out, in->dim, size, in->type,
                                     in->components)) != PIPIT_OK ||
        (st = pipit_image_copy_geometry(out, in)) != PIPIT_OK ||
        (spacing != NULL &&
         (st = pipit_image_set_spacing(out, spacing)) != PIPIT_OK))
        return st;
    return pipit__origin_at(in, ci, out);
}

#define GATHER(T)                                                          \
    do {                                                                   \
        T *d = dst;                                                        \
        for (size_t i = 0; i < n; i++)                                     \
            memcpy(&d[i], src + (ptrdiff_t)i * stride, sizeof(T));         \
    } while (0)

void
pipit__gather(void *dst, const char *src, ptrdiff_t stride, size_t n,
              size_t pb)
{
    switch (pb) {
    case 1: GATHER(uint8_t); break;
    case 2: GATHER(uint16_t); break;
    case 4: GATHER(uint32_t); break;
    case 8: GATHER(uint64_t); break;
    default:
        for (size_t i = 0; i < n; i++)
            memcpy((char *)dst + i * pb, src + (ptrdiff_t)i * stride, pb);
        break;
    }
}
#undef GATHER

void
pipit__fill(void *dst, const void *value, size_t n, size_t pb)
{
    char *d = dst;
    if (n == 0)
        return;
    memcpy(d, value, pb);
    /* Doubling copies: log2(n) memcpy calls whatever the pixel size. */
    size_t done = 1;
    while (done < n) {
        size_t k = done < n - done ? done : n - done;
        memcpy(d + done * pb, d, k * pb);
        done += k;
    }
}

pipit_status_t
pipit__pad_information(pipit_node_t *n, const double *lower,
                       const double *upper, size_t *lo)
{
    const pipit_image_t *in = pipit__input(n, 0);
    size_t hi[PIPIT_MAX_DIM], size[PIPIT_MAX_DIM];
    double ci[PIPIT_MAX_DIM];
    pipit_status_t st;
    /* A bound that keeps sizes and byte counts far from overflowing;
     * pipit__image_set_shape checks the product. */
    const size_t most = (size_t)1 << 40;
    if ((st = pipit__axis_counts(n, "lower", lower, in->dim, 0, most, lo)) !=
            PIPIT_OK ||
        (st = pipit__axis_counts(n, "upper", upper, in->dim, 0, most, hi)) !=
            PIPIT_OK)
        return st;
    for (unsigned d = 0; d < in->dim; d++) {
        size[d] = in->size[d] + lo[d] + hi[d];
        ci[d] = -(double)lo[d];
    }
    for (unsigned d = in->dim; d < PIPIT_MAX_DIM; d++)
        lo[d] = 0;
    return pipit__grid_output(n, size, NULL, ci);
}

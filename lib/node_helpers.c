/* SPDX-License-Identifier: Apache-2.0 */
/* Small hooks and checks most node classes share. */
#include <stdio.h>

#include "node_impl.h"

pipit_status_t
pipit_node_information_as(pipit_node_t *n, pipit_pixel_type_t t,
                      unsigned components)
{
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    pipit_status_t st =
        pipit__image_set_shape(out, in->dim, in->size, t, components);
    if (st == PIPIT_OK)
        st = pipit_image_copy_geometry(out, in);
    return st;
}

pipit_status_t
pipit_node_information_same(pipit_node_t *n)
{
    const pipit_image_t *in = pipit__input(n, 0);
    return pipit_node_information_as(n, in->type, in->components);
}

pipit_status_t
pipit_node_information_mask(pipit_node_t *n)
{
    return pipit_node_information_as(n, PIPIT_U8, 1);
}

pipit_status_t
pipit_node_request_all(pipit_node_t *n, unsigned input,
                   const pipit_region_t *asked, pipit_region_t *needed)
{
    (void)asked;
    *needed = pipit_image_largest_region(pipit__input(n, input));
    return PIPIT_OK;
}

pipit_status_t
pipit_node_error(const pipit_node_t *n, pipit_status_t st, const char *fmt,
                  ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return pipit__error(st, "%s: %s", n->klass->name, what);
}

static void
format_size(const pipit_image_t *img, char *buf, size_t size)
{
    size_t len = 0;
    for (unsigned d = 0; d < img->dim && len < size; d++)
        len += (size_t)snprintf(buf + len, size - len, "%s%zu", d ? "x" : "",
                                img->size[d]);
}

pipit_status_t
pipit_node_check_same_size(const pipit_node_t *n, unsigned a, unsigned b)
{
    const pipit_image_t *ia = pipit__input(n, a), *ib = pipit__input(n, b);
    bool same = ia->dim == ib->dim;
    for (unsigned d = 0; same && d < ia->dim; d++)
        same = ia->size[d] == ib->size[d];
    if (same)
        return PIPIT_OK;
    char sa[96], sb[96];
    format_size(ia, sa, sizeof sa);
    format_size(ib, sb, sizeof sb);
    return pipit__node_error(n, PIPIT_EINVAL,
                             "input %u is %s but input %u is %s: sizes must "
                             "match",
                             a, sa, b, sb);
}

/* ---- port access for hooks ------------------------------------------ */

pipit_image_t *
pipit_node_input(const pipit_node_t *n, unsigned i)
{
    return n != NULL && i < n->klass->n_inputs ? pipit__input(n, i) : NULL;
}

pipit_data_t *
pipit_node_input_data(const pipit_node_t *n, unsigned i)
{
    return n != NULL && i < n->klass->n_inputs ? pipit__input_data(n, i)
                                               : NULL;
}

pipit_image_t *
pipit_node_output(const pipit_node_t *n, unsigned o)
{
    return n != NULL && o < n->klass->n_outputs
               ? pipit_data_image(n->outputs[o])
               : NULL;
}

const pipit_region_t *
pipit_node_requested(const pipit_node_t *n, unsigned o)
{
    return &n->requested[o < PIPIT_NODE_MAX_OUTPUTS ? o : 0];
}

const pipit_region_t *
pipit_node_input_region(const pipit_node_t *n, unsigned i)
{
    return &n->input_region[i < PIPIT_NODE_MAX_INPUTS ? i : 0];
}

uint64_t
pipit_node_runs(const pipit_node_t *n)
{
    return n != NULL ? n->runs : 0;
}

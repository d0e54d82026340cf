/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The node-author interface (pipit/node_class.h) as the library's own
 * classes use it: the same functions under their in-tree names, and
 * inline port access for hot paths.
 */
#ifndef PIPIT_NODE_IMPL_H
#define PIPIT_NODE_IMPL_H

#include <pipit/node_class.h>

#include "data_impl.h"
#include "error_impl.h"
#include "image_impl.h"
#include "object_impl.h"

/** Input i's data object (upstream output or constant), or NULL. */
static inline pipit_data_t *
pipit__input_data(const pipit_node_t *n, unsigned i)
{
    const pipit__port_t *in = &n->inputs[i];
    return in->node != NULL ? in->node->outputs[in->output] : in->data;
}

/** Input i's image, borrowed; or NULL (unconnected or another kind). */
static inline pipit_image_t *
pipit__input(const pipit_node_t *n, unsigned i)
{
    return pipit_data_image(pipit__input_data(n, i));
}

/** Input i's transform, borrowed; or NULL. */
static inline pipit_transform_t *
pipit__input_transform(const pipit_node_t *n, unsigned i)
{
    return pipit_data_transform(pipit__input_data(n, i));
}

/** Image output i, borrowed. */
static inline pipit_image_t *
pipit__output(const pipit_node_t *n, unsigned i)
{
    return (pipit_image_t *)(void *)n->outputs[i];
}

/** Table output i, borrowed. */
static inline pipit_table_t *
pipit__output_table(const pipit_node_t *n, unsigned i)
{
    return pipit_data_table(n->outputs[i]);
}

#define pipit__information_same pipit_node_information_same
#define pipit__information_mask pipit_node_information_mask
#define pipit__information_as pipit_node_information_as
#define pipit__request_all pipit_node_request_all
#define pipit__input_pull pipit_node_pull_input
#define pipit__node_progress pipit_node_report_progress
#define pipit__node_error pipit_node_error
#define pipit__check_same_size pipit_node_check_same_size

/*
 * Per-axis (VECTOR) settings: how a constructor stores count values
 * (lib/node_settings.c: one value fills every axis, more leave NaN past
 * the last), and the check an information hook makes once it knows the
 * image's dimension: every per-axis setting of n's class holds one value
 * or exactly dim (a class default may hold more). PIPIT_EINVAL naming
 * the setting, its values and dim otherwise.
 */
void pipit__axes_store(double *dst, const double *v, unsigned count);
pipit_status_t pipit__check_axes(const pipit_node_t *n, unsigned dim);

#endif

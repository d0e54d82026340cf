/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filter library: each filter is a node class (one per file under
 * filters/), made with its pipit_<name>_new constructor or generically
 * by name with pipit_filter_new, and configured through its settings
 * (pipit_node_set) or the constructor's arguments.
 */
#ifndef PIPIT_FILTERS_H
#define PIPIT_FILTERS_H

#include <pipit/node.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Every filter class, in a stable order; *count receives how many. */
PIPIT_API const pipit_node_class_t *const *pipit_filter_classes(size_t *count);

/** The filter class called name, or NULL with PIPIT_EINVAL listing all. */
PIPIT_API const pipit_node_class_t *pipit_filter_class_find(const char *name);

/** pipit_node_new of the class called name (NULL when unknown). */
PIPIT_API pipit_node_t *pipit_filter_new(const char *name);

/* ---- constructors, one block per filter (keep alphabetical) ---------- */

#ifdef __cplusplus
}
#endif
#endif

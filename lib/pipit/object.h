/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The header every shared object starts with. Public only because a
 * node author embeds pipit_node_t (pipit/node_class.h), whose first
 * member it is: its fields belong to the library.
 */
#ifndef PIPIT_OBJECT_H
#define PIPIT_OBJECT_H

#include <stdatomic.h>

typedef struct pipit__object {
    atomic_uint refs;
    unsigned kind; /* pipit_data_kind_t of a data object, else 255 */
} pipit__object_t;

#endif

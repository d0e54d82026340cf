/* SPDX-License-Identifier: Apache-2.0 */
/* The filter classes, for the registry (filters/registry.c). */
#ifndef PIPIT_FILTERS_IMPL_H
#define PIPIT_FILTERS_IMPL_H

#include <pipit/filters.h>

#include "node_impl.h"

/* One line per filter class (keep alphabetical). */

#endif

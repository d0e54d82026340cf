/* SPDX-License-Identifier: Apache-2.0 */
/* Data objects as the node machinery sees them. */
#ifndef PIPIT_DATA_IMPL_H
#define PIPIT_DATA_IMPL_H

#include <stdint.h>

#include <pipit/data.h>

#include "object_impl.h"

struct pipit_data {
    pipit__object_t obj;
};

/**
 * The newest change of d (an image's geometry or pixels, a transform's
 * parameters, a map's keys, a table's figures): what a node reading d
 * compares with its last run. 0 for NULL.
 */
uint64_t pipit__data_mtime(const pipit_data_t *d);

#endif

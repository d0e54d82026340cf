/* SPDX-License-Identifier: Apache-2.0 */
/* The global modification clock every pipeline time is drawn from. */
#include <stdatomic.h>
#include <stdint.h>

#include "image_impl.h"

static atomic_uint_fast64_t clock_now;

uint64_t
pipit__time_next(void)
{
    return (uint64_t)atomic_fetch_add_explicit(&clock_now, 1,
                                               memory_order_relaxed) + 1;
}

uint64_t
pipit__time_now(void)
{
    return (uint64_t)atomic_load_explicit(&clock_now, memory_order_relaxed);
}

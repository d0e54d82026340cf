/* SPDX-License-Identifier: Apache-2.0 */
/* The reference count every shared object starts with. */
#ifndef PIPIT_OBJECT_IMPL_H
#define PIPIT_OBJECT_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>

#include <pipit/object.h>

/*
 * kind: what a port may carry (pipit_data_kind_t) for the data objects
 * (image, transform, parameter maps, table); PIPIT__NOT_DATA for the
 * rest (buffers, nodes, interpolators).
 */
#define PIPIT__NOT_DATA 255u


static inline void
pipit__object_init(pipit__object_t *o)
{
    atomic_init(&o->refs, 1);
    o->kind = PIPIT__NOT_DATA;
}

/** As pipit__object_init, for a data object of the given kind. */
static inline void
pipit__object_init_data(pipit__object_t *o, unsigned kind)
{
    atomic_init(&o->refs, 1);
    o->kind = kind;
}

static inline void
pipit__object_ref(pipit__object_t *o)
{
    /* A new reference is made from an existing one, so nothing needs
     * ordering here; the release side below does the synchronising. */
    atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
}

/** True when the caller dropped the last reference and must free. */
static inline bool
pipit__object_unref(pipit__object_t *o)
{
    return atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) == 1;
}

static inline unsigned
pipit__object_count(const pipit__object_t *o)
{
    return atomic_load_explicit(&o->refs, memory_order_acquire);
}

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-worker scratch for a node's pieces (a row buffer, a block of
 * lines): one block per pool worker, made by that worker the first time
 * it asks, so a loop of two pieces on a pool of 256 threads costs two
 * blocks, not 256. `before` calls init (a table of pool-size pointers,
 * no blocks), `threaded` calls get with p->worker, `after` or finalize
 * calls free.
 */
#ifndef PIPIT_SCRATCH_IMPL_H
#define PIPIT_SCRATCH_IMPL_H

#include <stddef.h>

#include <pipit/node.h>

typedef struct pipit__scratch {
    void **block;     /* one per worker, NULL until its first get */
    size_t bytes;     /* per block, a multiple of 64 */
    unsigned workers; /* pipit_pool_threads() at init */
} pipit__scratch_t;

/** Room for blocks of bytes (rounded up to 64) for each pool worker. */
pipit_status_t pipit__scratch_init(pipit__scratch_t *s, size_t bytes);
/**
 * Worker w's block, allocated on its first call (aligned to 64 bytes,
 * not zeroed); NULL when w is out of range (the pool was resized) or
 * memory ran out: then call pipit__scratch_error. Each worker touches
 * only its own slot, so this needs no lock.
 */
void *pipit__scratch_get(const pipit__scratch_t *s, unsigned worker);
void pipit__scratch_free(pipit__scratch_t *s);
/**
 * The error for a NULL pipit__scratch_get, naming the node, the worker,
 * the pool's thread count and the bytes asked.
 */
pipit_status_t pipit__scratch_error(const pipit_node_t *n,
                                    const pipit__scratch_t *s,
                                    unsigned worker);
/** The same for a plain parallel loop: who names it. */
pipit_status_t pipit__scratch_fail(const char *who, const pipit__scratch_t *s,
                                   unsigned worker);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/* The executor under every parallel loop. */
#ifndef PIPIT_POOL_IMPL_H
#define PIPIT_POOL_IMPL_H

#include <pipit/pool.h>

/** Runs piece `index` on `worker`. */
typedef pipit_status_t (*pipit__piece_run_fn)(void *ctx, size_t index,
                                              unsigned worker);

/**
 * Runs pieces 0..n-1 over the pool (inline on a worker, when the pool has
 * one thread, or when another thread's loop holds it). Skips pieces
 * above the first failure; returns the lowest-index failure with its
 * message on the calling thread; progress runs on the calling thread.
 */
pipit_status_t pipit__pool_run(size_t n, pipit__piece_run_fn run, void *ctx,
                               pipit_progress_fn progress, void *user);

#endif

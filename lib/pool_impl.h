/* SPDX-License-Identifier: Apache-2.0 */
/* The executor under every parallel loop, and reduction workspaces. */
#ifndef PIPIT_POOL_IMPL_H
#define PIPIT_POOL_IMPL_H

#include <stdatomic.h>

#include <pipit/pool.h>

#include "object_impl.h"

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

/** One piece with its (chunk's) accumulator, or NULL without one. */
typedef pipit_status_t (*pipit__acc_piece_fn)(void *ctx, size_t index,
                                              unsigned worker, void *acc);

/* Chunk count meaning "one chunk per piece": the layout of
 * pipit_parallel_reduce and of region loops with acc_size. */
#define PIPIT__CHUNK_PER_PIECE SIZE_MAX

struct pipit_reduction {
    pipit__object_t obj;
    size_t acc_size, stride; /* stride: acc_size rounded to cache lines */
    size_t max_chunks;       /* 0: the default for acc_size */
    char *slots;             /* capacity accumulators, stride apart */
    atomic_uchar *done;      /* after them: chunk c finished this run */
    size_t capacity;
    atomic_bool busy;
};

/** A workspace living on the caller's stack; free with _fini. */
void pipit__reduction_init(pipit_reduction_t *w, size_t acc_size,
                           size_t max_chunks);
void pipit__reduction_fini(pipit_reduction_t *w);

/** The chunks n_pieces pieces fall into. */
size_t pipit__reduction_chunks(const pipit_reduction_t *w, size_t n_pieces);

/**
 * Runs pieces 0..n_pieces-1 into w's chunks (every chunk's pieces in
 * order on one worker, its accumulator zeroed first), then merges the
 * chunks in order on the calling thread. w NULL: no accumulators, fn
 * gets acc NULL and merge is not called.
 */
pipit_status_t pipit__reduction_run(pipit_reduction_t *w, size_t n_pieces,
                                    pipit__acc_piece_fn fn, void *ctx,
                                    pipit_merge_fn merge, void *merge_ctx,
                                    pipit_progress_fn progress, void *user);

/* A range loop's pieces of grain indices, as piece functions: what
 * pipit_parallel_reduce and pipit_reduction_run both run. */
typedef struct pipit__range {
    size_t n, grain;
    pipit_range_fn fn;
    void *ctx;
} pipit__range_t;

pipit_status_t pipit__range_piece(void *arg, size_t index, unsigned worker,
                                  void *acc);

#endif

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The thread pool and its parallel loops.
 *
 * One pool of persistent pthreads, started on first use and sized by
 * PIPIT_NUM_THREADS or the number of processors; the calling thread is
 * worker 0 and works too. Work is cut into pieces fixed by the range
 * alone (never by the number of threads) and handed out through an
 * atomic counter. A loop started from inside a piece runs inline, on the
 * worker that started it.
 *
 * Reductions get one zeroed, cache-line aligned accumulator per piece,
 * merged on the calling thread in piece order after the join: the result
 * is bit-for-bit the same for any number of threads. A reduction
 * workspace (pipit_reduction_t) keeps its accumulators between calls and
 * bounds their number: consecutive pieces share a chunk's accumulator.
 *
 * If a piece fails, pieces with a higher index are skipped and the
 * failure with the lowest piece index is returned, its message copied to
 * the caller's thread: the outcome too is independent of the threads.
 */
#ifndef PIPIT_POOL_H
#define PIPIT_POOL_H

#include <pipit/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most threads a pool may have. */
#define PIPIT_MAX_THREADS 256

/**
 * Number of threads loops use (the caller included). Starts the pool
 * on first use. Thread safe. Another thread may resize the pool right
 * after this returns: to size per-worker scratch by it, call
 * pipit_pool_hold instead.
 */
PIPIT_API unsigned pipit_pool_threads(void);

/**
 * Pins the pool's size until the matching pipit_pool_release and returns
 * it: loops issued meanwhile use workers 0..returned-1 only, and
 * pipit_pool_set_threads from other threads waits for every hold to end.
 * Holds nest; a node update holds the pool while it runs. A thread that
 * holds must not wait for another thread's pipeline (that one may be
 * waiting for a resize queued behind this hold). Thread safe.
 */
PIPIT_API unsigned pipit_pool_hold(void);

/** Ends the innermost pipit_pool_hold of this thread. */
PIPIT_API void pipit_pool_release(void);

/**
 * Resizes the pool to n threads (clamped to 1..PIPIT_MAX_THREADS with a
 * logged warning; 0 means the default: PIPIT_NUM_THREADS or the
 * processor count). Waits for running loops and for holds on other
 * threads (running node updates) to end. PIPIT_ESTATE from inside a
 * piece or while this thread holds the pool. PIPIT_ENOMEM / PIPIT_EIO
 * when threads cannot start; the pool then keeps the threads it could
 * start.
 */
PIPIT_API pipit_status_t pipit_pool_set_threads(unsigned n);

/**
 * The exit status of a child forked inside a piece on a pool worker
 * (not the calling thread) once that piece returns: the child's only
 * thread is the worker, and the loop's caller stayed in the parent, so
 * the child ends with _exit(PIPIT_FORKED_WORKER_EXIT) rather than wait
 * for ever. (A child forked on the calling thread gets PIPIT_ESTATE from
 * its loop and goes on.) A child that calls exec or _exit in the piece
 * is not affected.
 */
#define PIPIT_FORKED_WORKER_EXIT 125

/**
 * Caps the workers of the loops this thread issues: at most n of them
 * take pieces, the calling thread included (0: no cap, the default of
 * every thread). Returns the cap it replaces. Other threads' loops are
 * not affected, so several registrations in one process can each keep
 * to their own budget (elastix's -threads). How a loop is cut into
 * pieces does not depend on the cap, so results are bit-for-bit those of
 * any other cap. pipit_pool_threads and pipit_pool_hold still give the
 * pool's size (worker numbers stay below both). A loop issued while
 * another thread's loop runs is done on the calling thread alone.
 */
PIPIT_API unsigned pipit_pool_set_local_limit(unsigned n);

/** True on a pool worker while it runs a piece (loops run inline there). */
PIPIT_API bool pipit_pool_in_worker(void);

/**
 * Called on the calling thread between pieces with the fraction of
 * pieces done; a non-zero return cancels: remaining pieces are skipped
 * and the loop returns PIPIT_ECANCELED.
 */
typedef int (*pipit_progress_fn)(double fraction, void *user);

/** Body of a range loop: indices [lo, hi); worker in 0..threads-1. */
typedef pipit_status_t (*pipit_range_fn)(void *ctx, size_t lo, size_t hi,
                                         unsigned worker, void *acc);

/** Folds one piece's accumulator into the result; called in piece order. */
typedef pipit_status_t (*pipit_merge_fn)(void *ctx, const void *acc,
                                         size_t piece);

/**
 * Runs fn over [0, n) cut into pieces of grain indices (the last may be
 * shorter; grain 0: about n / 256, at least 1). acc is NULL for fn.
 */
PIPIT_API pipit_status_t pipit_parallel_for(size_t n, size_t grain,
                                            pipit_range_fn fn, void *ctx);

/**
 * As pipit_parallel_for, with a zeroed accumulator of acc_size bytes per
 * piece passed to fn and then, in piece order on the calling thread, to
 * merge.
 */
PIPIT_API pipit_status_t pipit_parallel_reduce(size_t n, size_t grain,
                                               size_t acc_size,
                                               pipit_range_fn fn,
                                               pipit_merge_fn merge,
                                               void *ctx);

/**
 * A reusable reduction workspace: accumulators of acc_size bytes kept
 * from one run to the next, so a loop called thousands of times (an
 * optimizer's iterations) allocates only on its first call.
 *
 * A run cuts [0, n) into pieces of grain indices as pipit_parallel_for
 * does, then groups consecutive pieces into chunks: as many as pieces,
 * at most max_chunks. A chunk's accumulator is zeroed at the start of
 * every run; one worker calls fn for each piece of the chunk, in piece
 * order, with that accumulator (fn adds into it); merge is called on
 * the calling thread with each chunk's accumulator in chunk order (its
 * third argument is the chunk index), a chunk as soon as it and all
 * before it are done, so merging overlaps the loop. The chunks depend on
 * n, grain and max_chunks only, so the result is bit-for-bit the same
 * for any number of threads. When a piece fails, the chunks before it
 * may have been merged already.
 *
 * max_chunks 0 picks the default: 64, fewer for large accumulators (at
 * most 8 MiB of them, but never fewer than 8 chunks).
 * Returns NULL (with the error set) when acc_size is 0 or on ENOMEM.
 * A workspace runs one loop at a time (a second concurrent run fails
 * with PIPIT_ESTATE); it is not shared between threads otherwise.
 */
typedef struct pipit_reduction pipit_reduction_t;

PIPIT_API pipit_reduction_t *pipit_reduction_new(size_t acc_size,
                                                 size_t max_chunks);
PIPIT_API pipit_reduction_t *pipit_reduction_ref(pipit_reduction_t *w);
PIPIT_API void pipit_reduction_unref(pipit_reduction_t *w);

/** How many chunks (merge calls) a run over n with grain gives. */
PIPIT_API size_t pipit_reduction_chunks(const pipit_reduction_t *w, size_t n,
                                        size_t grain);

/** Runs fn over [0, n) into the workspace's chunks; see above. */
PIPIT_API pipit_status_t pipit_reduction_run(pipit_reduction_t *w, size_t n,
                                             size_t grain, pipit_range_fn fn,
                                             pipit_merge_fn merge, void *ctx);

/** One piece of a region loop. */
typedef struct pipit_piece {
    pipit_region_t region; /* part of the region being run */
    size_t index;          /* 0..n_pieces-1, in region order */
    size_t count;          /* how many pieces the region has */
    unsigned worker;       /* 0 is the calling thread */
    void *acc;             /* this piece's accumulator, or NULL */
} pipit_piece_t;

typedef pipit_status_t (*pipit_piece_fn)(void *ctx, const pipit_piece_t *p);

/** Options of a region loop; zero-initialise and set what you need. */
typedef struct pipit_region_loop {
    /* Bytes one pixel costs, to size pieces (0: 4). */
    size_t pixel_bytes;
    /* Target bytes per piece (0: 64 KiB); rows are never cut. */
    size_t piece_bytes;
    /* Per-piece accumulator and its merge, or 0 / NULL. */
    size_t acc_size;
    pipit_merge_fn merge;
    /* Called between pieces on the calling thread, or NULL. */
    pipit_progress_fn progress;
    void *progress_user;
    /* Or a workspace (acc_size then 0): pieces share its chunks'
     * accumulators as in pipit_reduction_run, merge gets chunk indices
     * and the piece's acc is its chunk's. */
    pipit_reduction_t *reduction;
} pipit_region_loop_t;

/**
 * Runs fn over r cut along its slowest axis into slabs of whole rows of
 * about piece_bytes each (the cut depends on r and the options only).
 * opt may be NULL for the defaults.
 */
PIPIT_API pipit_status_t pipit_parallel_region(const pipit_region_t *r,
                                               const pipit_region_loop_t *opt,
                                               pipit_piece_fn fn, void *ctx);

/**
 * The slabs pipit_parallel_region would cut r into: returns their number
 * and, when k is less, stores slab k in *piece.
 */
PIPIT_API size_t pipit_region_pieces(const pipit_region_t *r,
                                     const pipit_region_loop_t *opt, size_t k,
                                     pipit_region_t *piece);

#ifdef __cplusplus
}
#endif
#endif

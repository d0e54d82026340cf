/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reduction workspaces: accumulators kept between runs, one per chunk of
 * consecutive pieces.
 *
 * Why the result cannot depend on the threads: the pieces come from n
 * and grain, the chunks from the piece count and max_chunks, never from
 * the pool. A chunk is one job of the pool: whichever worker takes it
 * runs all its pieces, in piece order, into the chunk's own accumulator,
 * zeroed just before. The calling thread then merges the chunks in chunk
 * order. Every accumulator therefore sees the same additions in the same
 * order on every run, at any thread count; which worker ran a chunk
 * changes only where the work happened.
 */
#include <string.h>

#include "error_impl.h"
#include "pool_impl.h"

#define ACC_ALIGN 64            /* a cache line: chunks never share one */
#define DEFAULT_CHUNKS 64
#define MIN_CHUNKS 8            /* parallelism kept for huge accumulators */
#define CHUNK_BYTES (8u << 20)  /* what the default lets them all take */

void
pipit__reduction_init(pipit_reduction_t *w, size_t acc_size,
                      size_t max_chunks)
{
    pipit__object_init(&w->obj);
    w->acc_size = acc_size;
    w->stride = (acc_size + ACC_ALIGN - 1) / ACC_ALIGN * ACC_ALIGN;
    w->max_chunks = max_chunks;
    w->slots = NULL;
    w->done = NULL;
    w->capacity = 0;
    atomic_init(&w->busy, false);
}

void
pipit__reduction_fini(pipit_reduction_t *w)
{
    pipit__free(w->slots);
    w->slots = NULL;
    w->capacity = 0;
}

static size_t
max_chunks_of(const pipit_reduction_t *w)
{
    if (w->max_chunks != 0)
        return w->max_chunks;
    size_t fit = w->stride > 0 ? CHUNK_BYTES / w->stride : DEFAULT_CHUNKS;
    return fit > DEFAULT_CHUNKS ? DEFAULT_CHUNKS
           : fit < MIN_CHUNKS   ? MIN_CHUNKS
                                : fit;
}

size_t
pipit__reduction_chunks(const pipit_reduction_t *w, size_t n_pieces)
{
    size_t most = max_chunks_of(w);
    return n_pieces < most ? n_pieces : most;
}

/* Grows the slots to hold `chunks` accumulators (and their done flags);
 * the only allocation a workspace makes, so runs of the same shape after
 * the first make none. */
static pipit_status_t
reserve(pipit_reduction_t *w, size_t chunks)
{
    if (chunks <= w->capacity || w->acc_size == 0)
        return PIPIT_OK;
    size_t bytes, total;
    if (pipit__mul_overflows(chunks, w->stride, &bytes) ||
        bytes + chunks < bytes)
        return pipit__error(PIPIT_ERANGE, "pool: %zu accumulators of %zu "
                                          "bytes overflow",
                            chunks, w->acc_size);
    total = bytes + chunks * sizeof(atomic_uchar);
    char *slots = pipit__aligned_alloc(total);
    if (slots == NULL)
        return PIPIT_ENOMEM;
    pipit__free(w->slots);
    w->slots = slots;
    w->done = (atomic_uchar *)(void *)(slots + bytes);
    w->capacity = chunks;
    return PIPIT_OK;
}

typedef struct {
    pipit_reduction_t *w;
    pipit__acc_piece_fn fn;
    void *ctx;
    size_t per, extra; /* chunk c has per pieces, one more if c < extra */
    size_t chunks;
    pipit_merge_fn merge;
    void *merge_ctx;
    /* Merging while the loop runs (kept workspaces): the calling thread
     * (worker 0) folds in every finished prefix of chunks after each of
     * its own, in chunk order still, while the accumulator it has just
     * filled is in its cache and the other workers keep working. */
    bool early;
    size_t merged;           /* worker 0 only */
    pipit_status_t merge_st; /* worker 0 only */
} chunk_job_t;

static size_t
chunk_first(const chunk_job_t *j, size_t c)
{
    return c * j->per + (c < j->extra ? c : j->extra);
}

static void
merge_ready(chunk_job_t *j)
{
    const pipit_reduction_t *w = j->w;
    while (j->merged < j->chunks && j->merge_st == PIPIT_OK &&
           atomic_load_explicit(&w->done[j->merged], memory_order_acquire)) {
        j->merge_st = j->merge(j->merge_ctx, w->slots + j->merged * w->stride,
                               j->merged);
        j->merged++;
    }
}

static pipit_status_t
run_chunk(void *arg, size_t c, unsigned worker)
{
    chunk_job_t *j = arg;
    void *acc = NULL;
    if (j->w != NULL && j->w->acc_size > 0) {
        acc = j->w->slots + c * j->w->stride;
        memset(acc, 0, j->w->acc_size);
    }
    size_t end = chunk_first(j, c + 1);
    for (size_t i = chunk_first(j, c); i < end; i++) {
        pipit_status_t st = j->fn(j->ctx, i, worker, acc);
        if (st != PIPIT_OK)
            return st;
    }
    if (j->early) {
        atomic_store_explicit(&j->w->done[c], 1, memory_order_release);
        if (worker == 0)
            merge_ready(j);
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__reduction_run(pipit_reduction_t *w, size_t n_pieces,
                     pipit__acc_piece_fn fn, void *ctx, pipit_merge_fn merge,
                     void *merge_ctx, pipit_progress_fn progress, void *user)
{
    if (n_pieces == 0)
        return PIPIT_OK;
    size_t chunks = w != NULL ? pipit__reduction_chunks(w, n_pieces)
                              : n_pieces;
    bool accs = w != NULL && w->acc_size > 0;
    chunk_job_t job = { .w = w, .fn = fn, .ctx = ctx,
                        .per = n_pieces / chunks, .extra = n_pieces % chunks,
                        .chunks = chunks, .merge = merge,
                        .merge_ctx = merge_ctx, .merge_st = PIPIT_OK,
                        .early = accs &&
                                 w->max_chunks != PIPIT__CHUNK_PER_PIECE };
    if (w != NULL && atomic_exchange(&w->busy, true))
        return pipit__error(PIPIT_ESTATE, "pool: the reduction workspace is "
                                          "already running a loop");
    pipit_status_t st = w != NULL ? reserve(w, chunks) : PIPIT_OK;
    if (st == PIPIT_OK && job.early)
        for (size_t c = 0; c < chunks; c++)
            atomic_init(&w->done[c], 0);
    if (st == PIPIT_OK)
        st = pipit__pool_run(chunks, run_chunk, &job, progress, user);
    if (st == PIPIT_OK)
        st = job.merge_st;
    /* What is left: everything in the per-piece layout, which merges
     * only after the whole loop succeeded, as it always did. */
    if (accs)
        for (size_t c = job.merged; c < chunks && st == PIPIT_OK; c++)
            st = merge(merge_ctx, w->slots + c * w->stride, c);
    if (w != NULL)
        atomic_store(&w->busy, false);
    return st;
}

/* ---- the public workspace ----------------------------------------- */

pipit_reduction_t *
pipit_reduction_new(size_t acc_size, size_t max_chunks)
{
    PIPIT_CHECK_ARG_NULL(acc_size > 0);
    pipit_reduction_t *w = pipit__malloc(sizeof *w);
    if (w != NULL)
        pipit__reduction_init(w, acc_size, max_chunks);
    return w;
}

pipit_reduction_t *
pipit_reduction_ref(pipit_reduction_t *w)
{
    if (w != NULL)
        pipit__object_ref(&w->obj);
    return w;
}

void
pipit_reduction_unref(pipit_reduction_t *w)
{
    if (w == NULL || !pipit__object_unref(&w->obj))
        return;
    pipit__reduction_fini(w);
    pipit__free(w);
}

static size_t
pieces_of(size_t n, size_t *grain)
{
    if (*grain == 0)
        *grain = n / 256 > 0 ? n / 256 : 1;
    return n / *grain + (n % *grain != 0);
}

size_t
pipit_reduction_chunks(const pipit_reduction_t *w, size_t n, size_t grain)
{
    if (w == NULL || n == 0)
        return 0;
    return pipit__reduction_chunks(w, pieces_of(n, &grain));
}


pipit_status_t
pipit_reduction_run(pipit_reduction_t *w, size_t n, size_t grain,
                    pipit_range_fn fn, pipit_merge_fn merge, void *ctx)
{
    PIPIT_CHECK_ARG(w != NULL && fn != NULL && merge != NULL);
    if (n == 0)
        return PIPIT_OK;
    pipit__range_t r = { .n = n, .grain = grain, .fn = fn, .ctx = ctx };
    size_t pieces = pieces_of(n, &r.grain);
    return pipit__reduction_run(w, pieces, pipit__range_piece, &r, merge, ctx, NULL,
                                NULL);
}

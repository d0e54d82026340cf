/* SPDX-License-Identifier: Apache-2.0 */
/* Range and region loops on the pool, with per-piece accumulators. */
#include <string.h>

#include "error_impl.h"
#include "pool_impl.h"

#define DEFAULT_PIECE_BYTES (64 * 1024)

pipit_status_t
pipit__range_piece(void *arg, size_t index, unsigned worker, void *acc)
{
    const pipit__range_t *c = arg;
    size_t lo = index * c->grain;
    size_t hi = c->n - lo < c->grain ? c->n : lo + c->grain;
    return c->fn(c->ctx, lo, hi, worker, acc);
}

/* The per-piece layout is a workspace with one chunk per piece, made for
 * the call: the same zeroing, run and in-order merge as a kept one. */
pipit_status_t
pipit_parallel_reduce(size_t n, size_t grain, size_t acc_size,
                      pipit_range_fn fn, pipit_merge_fn merge, void *ctx)
{
    PIPIT_CHECK_ARG(fn != NULL);
    PIPIT_CHECK_ARG(acc_size == 0 || merge != NULL);
    if (n == 0)
        return PIPIT_OK;
    if (grain == 0)
        grain = n / 256 > 0 ? n / 256 : 1;
    pipit__range_t c = { .n = n, .grain = grain, .fn = fn, .ctx = ctx };
    size_t n_pieces = n / grain + (n % grain != 0);
    if (acc_size == 0)
        return pipit__reduction_run(NULL, n_pieces, pipit__range_piece, &c,
                                    NULL, NULL, NULL, NULL);
    pipit_reduction_t w;
    pipit__reduction_init(&w, acc_size, PIPIT__CHUNK_PER_PIECE);
    pipit_status_t st = pipit__reduction_run(&w, n_pieces, pipit__range_piece,
                                             &c, merge, ctx, NULL, NULL);
    pipit__reduction_fini(&w);
    return st;
}

pipit_status_t
pipit_parallel_for(size_t n, size_t grain, pipit_range_fn fn, void *ctx)
{
    return pipit_parallel_reduce(n, grain, 0, fn, NULL, ctx);
}

/* ---- regions ------------------------------------------------------ */

/* How a region is cut: along `axis`, `chunk` slices per piece; one
 * piece per index of every axis above it. */
typedef struct {
    pipit_region_t r;
    unsigned axis;
    size_t chunk, n_chunks, count;
} plan_t;

static void
make_plan(const pipit_region_t *r, const pipit_region_loop_t *opt, plan_t *p)
{
    size_t pixel = opt != NULL && opt->pixel_bytes ? opt->pixel_bytes : 4;
    size_t target = opt != NULL && opt->piece_bytes ? opt->piece_bytes
                                                    : DEFAULT_PIECE_BYTES;
    p->r = *r;
    p->count = 0;
    if (pipit_region_is_empty(r))
        return;
    /* slice[a]: bytes of one index step along axis a (all axes below it
     * whole). Cut along the highest axis whose slice fits the target,
     * never below axis 1: rows stay whole. */
    size_t slice = pixel * (r->hi[0] - r->lo[0]);
    unsigned axis = 1;
    for (unsigned a = 2; a < PIPIT_MAX_DIM; a++) {
        size_t next = slice * (r->hi[a - 1] - r->lo[a - 1]);
        if (next > target || next / (r->hi[a - 1] - r->lo[a - 1]) != slice)
            break;
        slice = next;
        axis = a;
    }
    size_t len = r->hi[axis] - r->lo[axis];
    size_t chunk = slice >= target ? 1 : target / slice;
    p->axis = axis;
    p->chunk = chunk < len ? chunk : len;
    p->n_chunks = len / p->chunk + (len % p->chunk != 0);
    p->count = p->n_chunks;
    for (unsigned a = axis + 1; a < PIPIT_MAX_DIM; a++)
        p->count *= r->hi[a] - r->lo[a];
}

static void
plan_piece(const plan_t *p, size_t k, pipit_region_t *piece)
{
    *piece = p->r;
    size_t c = k % p->n_chunks;
    k /= p->n_chunks;
    piece->lo[p->axis] = p->r.lo[p->axis] + c * p->chunk;
    piece->hi[p->axis] = piece->lo[p->axis] + p->chunk;
    if (piece->hi[p->axis] > p->r.hi[p->axis])
        piece->hi[p->axis] = p->r.hi[p->axis];
    for (unsigned a = p->axis + 1; a < PIPIT_MAX_DIM; a++) {
        size_t len = p->r.hi[a] - p->r.lo[a];
        piece->lo[a] = p->r.lo[a] + k % len;
        piece->hi[a] = piece->lo[a] + 1;
        k /= len;
    }
}

size_t
pipit_region_pieces(const pipit_region_t *r, const pipit_region_loop_t *opt,
                    size_t k, pipit_region_t *piece)
{
    plan_t p;
    make_plan(r, opt, &p);
    if (k < p.count && piece != NULL)
        plan_piece(&p, k, piece);
    return p.count;
}

typedef struct {
    plan_t plan;
    pipit_piece_fn fn;
    void *ctx;
} region_ctx_t;

static pipit_status_t
region_piece(void *arg, size_t index, unsigned worker, void *acc)
{
    const region_ctx_t *c = arg;
    pipit_piece_t p;
    plan_piece(&c->plan, index, &p.region);
    p.index = index;
    p.count = c->plan.count;
    p.worker = worker;
    p.acc = acc;
    return c->fn(c->ctx, &p);
}

pipit_status_t
pipit_parallel_region(const pipit_region_t *r, const pipit_region_loop_t *opt,
                      pipit_piece_fn fn, void *ctx)
{
    PIPIT_CHECK_ARG(r != NULL && fn != NULL);
    size_t acc_size = opt != NULL ? opt->acc_size : 0;
    pipit_reduction_t *kept = opt != NULL ? opt->reduction : NULL;
    PIPIT_CHECK_ARG(acc_size == 0 || opt->reduction == NULL);
    PIPIT_CHECK_ARG((acc_size == 0 && kept == NULL) || opt->merge != NULL);
    region_ctx_t c = { .fn = fn, .ctx = ctx };
    make_plan(r, opt, &c.plan);
    if (c.plan.count == 0)
        return PIPIT_OK;
    pipit_progress_fn progress = opt != NULL ? opt->progress : NULL;
    void *user = opt != NULL ? opt->progress_user : NULL;
    if (acc_size == 0)
        return pipit__reduction_run(kept, c.plan.count, region_piece, &c,
                                    kept != NULL ? opt->merge : NULL, ctx,
                                    progress, user);
    pipit_reduction_t w;
    pipit__reduction_init(&w, acc_size, PIPIT__CHUNK_PER_PIECE);
    pipit_status_t st = pipit__reduction_run(&w, c.plan.count, region_piece,
                                             &c, opt->merge, ctx, progress,
                                             user);
    pipit__reduction_fini(&w);
    return st;
}

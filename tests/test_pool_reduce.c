/* SPDX-License-Identifier: Apache-2.0 */
/* Reduction workspaces: chunked accumulators kept between runs. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "error_impl.h" /* pipit__alloc_fail_at counts allocations */

/* Values whose float sum depends on the order of additions. */
static double *
make_values(size_t n)
{
    double *v = malloc(n * sizeof *v);
    unsigned s = 987654;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = ((double)(s >> 8) / (1 << 24) - 0.5) * pow(10.0, (int)(i % 9));
    }
    return v;
}

/* Sums v[i] into acc[i % m], one addition at a time. */
typedef struct {
    const double *v;
    size_t m;
    double *result; /* m doubles */
    size_t merges;
} spread_t;

static pipit_status_t
spread_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const spread_t *c = ctx;
    double *a = acc;
    (void)worker;
    for (size_t i = lo; i < hi; i++)
        a[i % c->m] += c->v[i];
    return PIPIT_OK;
}

static pipit_status_t
spread_merge(void *ctx, const void *acc, size_t chunk)
{
    spread_t *c = ctx;
    const double *a = acc;
    CU_ASSERT_EQUAL(chunk, c->merges);
    c->merges++;
    for (size_t k = 0; k < c->m; k++)
        c->result[k] += a[k];
    return PIPIT_OK;
}

/* The documented layout, written out: pieces of grain, chunks of
 * consecutive pieces (the first P % C one longer), each summed from
 * zero in index order, then added up in chunk order. */
static void
expected_spread(const double *v, size_t n, size_t grain, size_t chunks,
                size_t m, double *out)
{
    if (grain == 0) /* the documented default */
        grain = n / 256 > 0 ? n / 256 : 1;
    size_t pieces = (n + grain - 1) / grain;
    size_t per = pieces / chunks, extra = pieces % chunks;
    double *acc = malloc(m * sizeof *acc);
    memset(out, 0, m * sizeof *out);
    size_t piece = 0;
    for (size_t c = 0; c < chunks; c++) {
        size_t count = per + (c < extra);
        memset(acc, 0, m * sizeof *acc);
        size_t lo = piece * grain, hi = (piece + count) * grain;
        for (size_t i = lo; i < hi && i < n; i++)
            acc[i % m] += v[i];
        piece += count;
        for (size_t k = 0; k < m; k++)
            out[k] += acc[k];
    }
    free(acc);
}

static void
check_spread(size_t n, size_t grain, size_t m, size_t max_chunks,
             size_t want_chunks)
{
    double *v = make_values(n);
    double *expected = malloc(m * sizeof *expected);
    double *got = malloc(m * sizeof *got);
    pipit_reduction_t *w = pipit_reduction_new(m * sizeof(double),
                                               max_chunks);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    size_t chunks = pipit_reduction_chunks(w, n, grain);
    CU_ASSERT_EQUAL(chunks, want_chunks);
    expected_spread(v, n, grain, chunks, m, expected);
    for (unsigned t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        /* twice: the accumulators start from zero on every run */
        for (int run = 0; run < 2; run++) {
            memset(got, 0, m * sizeof *got);
            spread_t c = { v, m, got, 0 };
            ASSERT_OK(pipit_reduction_run(w, n, grain, spread_range,
                                          spread_merge, &c));
            CU_ASSERT_EQUAL(c.merges, chunks);
            CU_ASSERT(memcmp(got, expected, m * sizeof *got) == 0);
        }
    }
    pipit_reduction_unref(w);
    free(v);
    free(expected);
    free(got);
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* A scalar sum (m = 1): 1001 pieces into the default 64 chunks, into 7,
 * and into as many chunks as pieces when fewer than the cap. */
static void
test_sum_bit_identical_any_threads(void)
{
    check_spread(100100, 100, 1, 0, 64);
    check_spread(100100, 100, 1, 7, 7);
    check_spread(1000, 100, 1, 0, 10);
    check_spread(999, 0, 1, 0, 64); /* grain 0: n / 256 */
}

/* A gradient-sized accumulator: 10^5 doubles (800 kB) gets the default
 * cap of 8 MiB worth, 10 chunks, however many pieces there are. */
static void
test_large_accumulator(void)
{
    const size_t m = 100000;
    check_spread(4 * m + 17, 1000, m, 0, 10);
    check_spread(4 * m + 17, 1000, m, 3, 3);
}

/* After its first run a workspace allocates nothing, at any thread
 * count, and however often it is called. */
static void
test_no_allocation_after_first_run(void)
{
    const size_t n = 50000, m = 4096;
    double *v = make_values(n);
    double *got = calloc(m, sizeof *got);
    pipit_reduction_t *w = pipit_reduction_new(m * sizeof(double), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    spread_t c = { v, m, got, 0 };
    ASSERT_OK(pipit_pool_set_threads(3));
    ASSERT_OK(pipit_reduction_run(w, n, 100, spread_range, spread_merge, &c));
    pipit__alloc_fail_at(0);
    for (int i = 0; i < 200; i++) {
        c.merges = 0;
        ASSERT_OK(pipit_reduction_run(w, n, 100, spread_range, spread_merge,
                                      &c));
    }
    /* fewer chunks than the first run fit in what it allocated */
    c.merges = 0;
    ASSERT_OK(pipit_reduction_run(w, 300, 100, spread_range, spread_merge,
                                  &c));
    CU_ASSERT_EQUAL(pipit__alloc_fail_at(0), 0);
    pipit_reduction_unref(w);
    free(v);
    free(got);
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* Running out of memory on the first run is an error, and a later run
 * recovers. */
static void
test_first_run_out_of_memory(void)
{
    const size_t n = 1000, m = 16;
    double *v = make_values(n);
    double got[16] = { 0 };
    pipit_reduction_t *w = pipit_reduction_new(m * sizeof(double), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    spread_t c = { v, m, got, 0 };
    pipit__alloc_fail_at(1);
    CU_ASSERT_EQUAL(pipit_reduction_run(w, n, 10, spread_range, spread_merge,
                                        &c),
                    PIPIT_ENOMEM);
    pipit__alloc_fail_at(0);
    c.merges = 0;
    ASSERT_OK(pipit_reduction_run(w, n, 10, spread_range, spread_merge, &c));
    pipit_reduction_unref(w);
    free(v);
}

/* A second run of the same workspace while one is running is refused
 * (it would zero accumulators in use). */
typedef struct {
    pipit_reduction_t *w;
    pipit_status_t inner;
    char message[256];
} reenter_t;

static pipit_status_t
noop_merge(void *ctx, const void *acc, size_t chunk)
{
    (void)ctx, (void)acc, (void)chunk;
    return PIPIT_OK;
}

static pipit_status_t
reenter_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    reenter_t *r = ctx;
    (void)hi, (void)worker, (void)acc;
    if (lo == 0) {
        r->inner = pipit_reduction_run(r->w, 10, 1, reenter_range,
                                       noop_merge, NULL);
        strncpy(r->message, pipit_error_message(), sizeof r->message - 1);
    }
    return PIPIT_OK;
}

static void
test_busy_and_bad_arguments(void)
{
    reenter_t r = { .w = pipit_reduction_new(8, 0) };
    CU_ASSERT_PTR_NOT_NULL_FATAL(r.w);
    ASSERT_OK(pipit_reduction_run(r.w, 100, 1, reenter_range, noop_merge,
                                  &r));
    CU_ASSERT_EQUAL(r.inner, PIPIT_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.message, "already running"));
    ASSERT_FAILS_WITH(pipit_reduction_run(r.w, 100, 1, NULL, noop_merge, &r),
                      PIPIT_EINVAL, "fn");
    CU_ASSERT_PTR_NULL(pipit_reduction_new(0, 0));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "acc_size"));
    CU_ASSERT_EQUAL(pipit_reduction_chunks(NULL, 10, 1), 0);
    ASSERT_OK(pipit_reduction_run(r.w, 0, 1, reenter_range, noop_merge, &r));
    CU_ASSERT_PTR_EQUAL(pipit_reduction_ref(r.w), r.w);
    pipit_reduction_unref(r.w);
    pipit_reduction_unref(r.w);
    pipit_reduction_unref(NULL);
}

/* A region loop given a workspace: pieces of a chunk share its
 * accumulator; a histogram of rows comes out the same at any threads. */
typedef struct {
    unsigned counts[16];
    size_t merges;
} rows_t;

static pipit_status_t
rows_piece(void *ctx, const pipit_piece_t *p)
{
    unsigned *h = p->acc;
    (void)ctx;
    for (size_t z = p->region.lo[2]; z < p->region.hi[2]; z++)
        for (size_t y = p->region.lo[1]; y < p->region.hi[1]; y++)
            for (size_t x = p->region.lo[0]; x < p->region.hi[0]; x++)
                h[(x * 7 + y * 3 + z) % 16]++;
    return PIPIT_OK;
}

static pipit_status_t
rows_merge(void *ctx, const void *acc, size_t chunk)
{
    rows_t *r = ctx;
    const unsigned *h = acc;
    CU_ASSERT_EQUAL(chunk, r->merges);
    r->merges++;
    for (int k = 0; k < 16; k++)
        r->counts[k] += h[k];
    return PIPIT_OK;
}

static void
test_region_loop_with_workspace(void)
{
    size_t size[3] = { 40, 30, 20 };
    pipit_region_t whole = pipit_region_from_size(3, size);
    unsigned expected[16] = { 0 };
    for (size_t z = 0; z < 20; z++)
        for (size_t y = 0; y < 30; y++)
            for (size_t x = 0; x < 40; x++)
                expected[(x * 7 + y * 3 + z) % 16]++;
    pipit_reduction_t *w = pipit_reduction_new(sizeof(unsigned[16]), 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    pipit_region_loop_t opt = { .pixel_bytes = 4, .piece_bytes = 160,
                                .merge = rows_merge, .reduction = w };
    CU_ASSERT_EQUAL(pipit_region_pieces(&whole, &opt, 0, NULL), 600);
    for (unsigned t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        rows_t r = { { 0 }, 0 };
        ASSERT_OK(pipit_parallel_region(&whole, &opt, rows_piece, &r));
        CU_ASSERT_EQUAL(r.merges, 4);
        CU_ASSERT(memcmp(r.counts, expected, sizeof expected) == 0);
    }
    /* both kinds of accumulator at once is an error */
    opt.acc_size = 8;
    ASSERT_FAILS_WITH(pipit_parallel_region(&whole, &opt, rows_piece, NULL),
                      PIPIT_EINVAL, "reduction");
    pipit_reduction_unref(w);
    ASSERT_OK(pipit_pool_set_threads(0));
}

const test_case_t test_pool_reduce_cases[] = {
    { "sum bit-identical at 1,2,3,7 threads",
      test_sum_bit_identical_any_threads },
    { "10^5-double accumulator", test_large_accumulator },
    { "no allocation after the first run", test_no_allocation_after_first_run },
    { "first run out of memory", test_first_run_out_of_memory },
    { "busy workspace and bad arguments", test_busy_and_bad_arguments },
    { "region loop with a workspace", test_region_loop_with_workspace },
    { NULL, NULL },
};

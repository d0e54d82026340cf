/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/pool: what the pool and the pipeline cost around the work.
 *
 *   empty parallel-for at 1 and 2 threads, back to back;
 *   a two-filter pipeline on 16x16 pixels: update after a change, and
 *   an update with nothing to do;
 *   a threaded copy and sum over 256^3 f32 beside memcpy and a serial
 *   loop over the same bytes, in the same run;
 *   a reduction into a 10^5-double accumulator (a workspace) called 1000
 *   times, beside a plain loop touching the same accumulator bytes, and
 *   the allocations made after its first call;
 *   CPU burnt by an idle pool.
 *
 * Usage: bench/pool [threads [update [n]]]   (default: 2; figures are
 *   medians). With "update", only the two update figures, n updates a
 *   round (default 20000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pipit/pipit.h>

#include "bench.h"
#include "error_impl.h" /* pipit__alloc_fail_at counts allocations */
#include "node_impl.h"

#define REPS 15

/* ---- two small node classes: a source and an add filter ---------- */

typedef struct {
    pipit_node_t base;
    int64_t size;
    double value;
} fill_t;

static pipit_status_t
fill_information(pipit_node_t *n)
{
    const fill_t *f = (const fill_t *)n;
    size_t size[3] = { (size_t)f->size, (size_t)f->size, 1 };
    return pipit__image_set_shape(pipit__output(n, 0), 2, size, PIPIT_F32, 1);
}

static pipit_status_t
fill_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const fill_t *f = (const fill_t *)n;
    PIPIT_FOR_EACH_ROW(pipit__output(n, 0), &p->region, row, y, z, t)
    {
        float *dst = (float *)(void *)row;
        for (size_t x = p->region.lo[0]; x < p->region.hi[0]; x++)
            dst[x] = (float)f->value;
    }
    return PIPIT_OK;
}

static const pipit_setting_t fill_settings[] = {
    { "size", PIPIT_SETTING_INT, offsetof(fill_t, size), "16", "pixels", 1,
      1e6, NULL },
    { "value", PIPIT_SETTING_DOUBLE, offsetof(fill_t, value), "0", "value",
      1, 0, NULL },
};

static const pipit_node_class_t fill_class = {
    .name = "fill", .size = sizeof(fill_t), .n_outputs = 1,
    .settings = fill_settings, .n_settings = 2,
    .information = fill_information, .threaded = fill_threaded,
};

static pipit_status_t
add_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const pipit_region_t *r = &p->region;
    for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
        const float *src = pipit__row_f32(pipit__input(n, 0), y, 0);
        float *dst = pipit__row_f32(pipit__output(n, 0), y, 0);
        for (size_t x = r->lo[0]; x < r->hi[0]; x++)
            dst[x] = src[x] + 1.0f;
    }
    return PIPIT_OK;
}

static const pipit_node_class_t add_class = {
    .name = "add-one", .size = sizeof(pipit_node_t), .n_inputs = 1,
    .n_outputs = 1, .information = pipit__information_same,
    .threaded = add_threaded,
};

/* ---- loops ------------------------------------------------------- */

static pipit_status_t
empty_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    return PIPIT_OK;
}

/* Median seconds per call of an empty 2-piece parallel-for. */
static double
empty_for(unsigned threads)
{
    pipit_pool_set_threads(threads);
    double t[REPS];
    const int calls = 20000;
    for (int r = 0; r < REPS; r++) {
        double t0 = bench_now();
        for (int i = 0; i < calls; i++)
            pipit_parallel_for(2, 1, empty_range, NULL);
        t[r] = (bench_now() - t0) / calls;
    }
    return bench_median(t, REPS);
}

typedef struct {
    const float *src;
    float *dst;
    size_t row;
} copy_ctx_t;

static pipit_status_t
copy_piece(void *ctx, const pipit_piece_t *p)
{
    const copy_ctx_t *c = ctx;
    size_t lo = p->region.lo[1] + 256 * p->region.lo[2];
    size_t rows = (p->region.hi[1] - p->region.lo[1]) *
                  (p->region.hi[2] - p->region.lo[2]);
    memcpy(c->dst + lo * c->row, c->src + lo * c->row,
           rows * c->row * sizeof(float));
    return PIPIT_OK;
}

static pipit_status_t
sum_piece(void *ctx, const pipit_piece_t *p)
{
    const copy_ctx_t *c = ctx;
    double s = 0;
    for (size_t z = p->region.lo[2]; z < p->region.hi[2]; z++)
        for (size_t y = p->region.lo[1]; y < p->region.hi[1]; y++) {
            const float *row = c->src + (z * 256 + y) * c->row;
            for (size_t x = 0; x < c->row; x++)
                s += row[x];
        }
    *(double *)p->acc = s;
    return PIPIT_OK;
}

static double total;

static pipit_status_t
sum_merge(void *ctx, const void *acc, size_t piece)
{
    total += *(const double *)acc;
    return PIPIT_OK;
}

/* ---- a reduction into a large accumulator --------------------------- */

#define ACC_DOUBLES 100000
#define SAMPLES (4 * ACC_DOUBLES)
#define REDUCE_GRAIN 2000
#define REDUCE_CALLS 1000

typedef struct {
    const double *v;
    double *result;
} spread_t;

static pipit_status_t
spread_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const spread_t *c = ctx;
    double *a = acc;
    (void)worker;
    for (size_t i = lo; i < hi; i++)
        a[i % ACC_DOUBLES] += c->v[i];
    return PIPIT_OK;
}

static pipit_status_t
spread_merge(void *ctx, const void *acc, size_t chunk)
{
    spread_t *c = ctx;
    const double *a = acc;
    (void)chunk;
    for (size_t k = 0; k < ACC_DOUBLES; k++)
        c->result[k] += a[k];
    return PIPIT_OK;
}

/* The same work on one thread without the pool: zero each chunk's
 * accumulator, add its samples, fold it into the result. */
static void
spread_plain(const double *v, double *accs, size_t chunks, double *result)
{
    size_t pieces = SAMPLES / REDUCE_GRAIN;
    size_t per = pieces / chunks, extra = pieces % chunks, piece = 0;
    for (size_t c = 0; c < chunks; c++) {
        double *a = accs + c * ACC_DOUBLES;
        size_t count = per + (c < extra);
        memset(a, 0, ACC_DOUBLES * sizeof(double));
        for (size_t i = piece * REDUCE_GRAIN;
             i < (piece + count) * REDUCE_GRAIN; i++)
            a[i % ACC_DOUBLES] += v[i];
        piece += count;
        for (size_t k = 0; k < ACC_DOUBLES; k++)
            result[k] += a[k];
    }
}

static void
bench_reduction(unsigned threads)
{
    pipit_pool_set_threads(threads);
    double *v = malloc(SAMPLES * sizeof *v);
    double *result = calloc(ACC_DOUBLES, sizeof *result);
    double *plain = calloc(ACC_DOUBLES, sizeof *plain);
    pipit_reduction_t *w = pipit_reduction_new(ACC_DOUBLES * sizeof(double),
                                               0);
    size_t chunks = pipit_reduction_chunks(w, SAMPLES, REDUCE_GRAIN);
    double *accs = malloc(chunks * ACC_DOUBLES * sizeof *accs);
    if (v == NULL || result == NULL || plain == NULL || w == NULL ||
        accs == NULL)
        exit(1);
    for (size_t i = 0; i < SAMPLES; i++)
        v[i] = (double)(i % 977) * 0.125;
    spread_t c = { v, result };
    pipit_reduction_run(w, SAMPLES, REDUCE_GRAIN, spread_range, spread_merge,
                        &c);
    spread_plain(v, accs, chunks, plain);
    pipit__alloc_fail_at(0);
    /* Alternate blocks of each, so both see the same machine. */
    double t_pool = 0, t_plain = 0;
    for (int block = 0; block < 10; block++) {
        double t0 = bench_now();
        for (int i = 0; i < REDUCE_CALLS / 10; i++)
            pipit_reduction_run(w, SAMPLES, REDUCE_GRAIN, spread_range,
                                spread_merge, &c);
        t_pool += bench_now() - t0;
        t0 = bench_now();
        for (int i = 0; i < REDUCE_CALLS / 10; i++)
            spread_plain(v, accs, chunks, plain);
        t_plain += bench_now() - t0;
    }
    size_t allocs = pipit__alloc_fail_at(0);
    double mb = (double)chunks * ACC_DOUBLES * sizeof(double) / 1e6;
    printf("reduction, 10^5-double accumulator, %zu chunks (%.1f MB), "
           "%d calls\n",
           chunks, mb, REDUCE_CALLS);
    printf("  plain loop, 1 thread           %8.3f ms/call %7.2f GB/s "
           "(accumulator bytes touched)\n",
           t_plain / REDUCE_CALLS * 1e3, mb / 1e3 / (t_plain / REDUCE_CALLS));
    printf("  workspace, %u threads           %8.3f ms/call %7.2f GB/s   "
           "%5.2f of the plain loop (target >= 0.80)\n",
           threads, t_pool / REDUCE_CALLS * 1e3,
           mb / 1e3 / (t_pool / REDUCE_CALLS), t_plain / t_pool);
    printf("  allocations after the first call: %zu (target 0); results "
           "%s\n\n",
           allocs,
           memcmp(result, plain, ACC_DOUBLES * sizeof(double)) == 0
               ? "bit-identical"
               : "DIFFER");
    pipit_reduction_unref(w);
    free(v);
    free(result);
    free(plain);
    free(accs);
}

/*
 * A source feeding two adds on 16x16 pixels: an update after a setting
 * changed (every node runs) and one with nothing to do. `updates` per
 * round; REPS rounds.
 */
static void
update_bench(unsigned threads, int updates)
{
    pipit_pool_set_threads(threads);
    pipit_node_t *src = pipit_node_new(&fill_class);
    pipit_node_t *a = pipit_node_new(&add_class);
    pipit_node_t *b = pipit_node_new(&add_class);
    pipit_node_set_input(a, 0, src, 0);
    pipit_node_set_input(b, 0, a, 0);
    double tc[REPS], tn[REPS];
    for (int r = 0; r < REPS; r++) {
        double t0 = bench_now();
        for (int i = 0; i < updates; i++) {
            pipit_node_set_double(src, "value", i);
            pipit_node_update(b);
        }
        tc[r] = (bench_now() - t0) / updates;
        t0 = bench_now();
        for (int i = 0; i < updates * 10; i++)
            pipit_node_update(b);
        tn[r] = (bench_now() - t0) / (updates * 10);
    }
    double change = bench_median(tc, REPS), nothing = bench_median(tn, REPS);
    printf("16x16 two-filter update, changed     %8.3f us   (target <= 10 "
           "us)\n",
           change * 1e6);
    printf("16x16 two-filter update, unchanged   %8.3f us   (target <= 0.1 "
           "us)\n\n",
           nothing * 1e6);
    pipit_node_unref(src);
    pipit_node_unref(a);
    pipit_node_unref(b);
}

int
main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
    if (threads < 1)
        threads = 1;
    /* "update": the two update figures alone (quick to repeat, and small
     * enough for valgrind --tool=callgrind with a round count). */
    bool only_updates = argc > 2 && strcmp(argv[2], "update") == 0;
    if (only_updates) {
        update_bench(threads, argc > 3 ? atoi(argv[3]) : 20000);
        return 0;
    }
    printf("pipit bench/pool: %u threads asked, %ld processors, medians of "
           "%d runs\n\n",
           threads, sysconf(_SC_NPROCESSORS_ONLN), REPS);

    /* empty parallel-for */
    double e1 = empty_for(1), en = empty_for(threads);
    printf("empty parallel-for, 1 thread        %8.3f us\n", e1 * 1e6);
    printf("empty parallel-for, %u threads       %8.3f us   (target <= 5 us "
           "at 2)\n",
           threads, en * 1e6);

    update_bench(threads, 20000);

    /* 256^3 f32: threaded copy and sum beside memcpy and a serial loop */
    const size_t n = (size_t)256 * 256 * 256, bytes = n * sizeof(float);
    float *in = malloc(bytes), *out = malloc(bytes);
    if (in == NULL || out == NULL)
        return 1;
    for (size_t i = 0; i < n; i++)
        in[i] = (float)(i % 1000) * 0.25f;
    memset(out, 0, bytes);
    size_t size[3] = { 256, 256, 256 };
    pipit_region_t whole = pipit_region_from_size(3, size);
    copy_ctx_t c = { in, out, 256 };
    double t_memcpy[REPS], t_copy[REPS], t_serial[REPS], t_sum[REPS];
    double serial_sum = 0;
    for (int r = 0; r < REPS; r++) {
        double t0 = bench_now();
        memcpy(out, in, bytes);
        t_memcpy[r] = bench_now() - t0;
        t0 = bench_now();
        pipit_parallel_region(&whole, &(pipit_region_loop_t){ .pixel_bytes = 4 },
                              copy_piece, &c);
        t_copy[r] = bench_now() - t0;
        t0 = bench_now();
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += in[i];
        serial_sum = s;
        t_serial[r] = bench_now() - t0;
        total = 0;
        t0 = bench_now();
        pipit_parallel_region(&whole,
                              &(pipit_region_loop_t){ .pixel_bytes = 4,
                                                      .acc_size = sizeof(double),
                                                      .merge = sum_merge },
                              sum_piece, &c);
        t_sum[r] = bench_now() - t0;
    }
    double gb = (double)bytes / 1e9;
    double m = bench_median(t_memcpy, REPS), cp = bench_median(t_copy, REPS);
    double se = bench_median(t_serial, REPS), su = bench_median(t_sum, REPS);
    printf("256^3 f32 (%.0f MiB)                 time      GB/s   ratio\n",
           (double)bytes / (1 << 20));
    printf("  memcpy, 1 thread               %8.2f ms %8.2f\n", m * 1e3,
           gb / m);
    printf("  pool copy, %u threads           %8.2f ms %8.2f   %5.2f of "
           "memcpy (target >= 0.80)\n",
           threads, cp * 1e3, gb / cp, m / cp);
    printf("  serial sum loop                %8.2f ms %8.2f\n", se * 1e3,
           gb / se);
    printf("  pool sum, %u threads            %8.2f ms %8.2f   %5.2f of "
           "serial, %5.2f of memcpy\n",
           threads, su * 1e3, gb / su, se / su, m / su);
    printf("  sums agree to %.3g (relative)\n",
           (total - serial_sum) / serial_sum);
    free(in);
    free(out);
    printf("\n");
    bench_reduction(threads);

    /* an idle pool must not burn a core: CPU used during 200 ms idle */
    double cpu0 = bench_cpu_seconds();
    usleep(200000);
    double idle_cpu = bench_cpu_seconds() - cpu0;
    printf("\nCPU used by the idle pool over 200 ms: %.2f ms\n",
           idle_cpu * 1e3);
    return 0;
}

/* SPDX-License-Identifier: Apache-2.0 */
/* The thread pool: loops, reductions, nesting, failures, progress. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "bspline_impl.h"
#include "error_impl.h"
#include "node_impl.h"

/* Values whose float sum depends on the order of additions. */
static double *
make_values(size_t n)
{
    double *v = malloc(n * sizeof *v);
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = ((double)(s >> 8) / (1 << 24) - 0.5) * pow(10.0, (int)(i % 7));
    }
    return v;
}

typedef struct {
    const double *v;
    double sum;
} sum_ctx_t;

static pipit_status_t
sum_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const sum_ctx_t *c = ctx;
    double s = 0;
    (void)worker;
    for (size_t i = lo; i < hi; i++)
        s += c->v[i];
    *(double *)acc = s;
    return PIPIT_OK;
}

static pipit_status_t
sum_merge(void *ctx, const void *acc, size_t piece)
{
    (void)piece;
    ((sum_ctx_t *)ctx)->sum += *(const double *)acc;
    return PIPIT_OK;
}

static void
test_parallel_sum_bit_identical(void)
{
    const size_t n = 1000003;
    double *v = make_values(n);
    /* the serial reference: the same pieces, summed in order */
    const size_t grain = 997;
    double expected = 0;
    for (size_t lo = 0; lo < n; lo += grain) {
        double s = 0;
        for (size_t i = lo; i < n && i < lo + grain; i++)
            s += v[i];
        expected += s;
    }
    unsigned counts[] = { 1, 2, 3, 7, 16 };
    for (size_t t = 0; t < sizeof counts / sizeof counts[0]; t++) {
        ASSERT_OK(pipit_pool_set_threads(counts[t]));
        CU_ASSERT_EQUAL(pipit_pool_threads(), counts[t]);
        for (int rep = 0; rep < 3; rep++) {
            sum_ctx_t c = { v, 0 };
            ASSERT_OK(pipit_parallel_reduce(n, grain, sizeof(double),
                                            sum_range, sum_merge, &c));
            CU_ASSERT_TRUE(memcmp(&c.sum, &expected, sizeof c.sum) == 0);
        }
    }
    free(v);
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* A histogram over an image region, per-piece accumulators. */
typedef struct {
    const pipit_image_t *img;
    uint64_t hist[256];
} hist_ctx_t;

static pipit_status_t
hist_piece(void *ctx, const pipit_piece_t *p)
{
    const hist_ctx_t *c = ctx;
    uint64_t *h = p->acc;
    const uint8_t *base = pipit_image_data(c->img);
    size_t w = pipit_image_size(c->img)[0];
    for (size_t y = p->region.lo[1]; y < p->region.hi[1]; y++)
        for (size_t x = p->region.lo[0]; x < p->region.hi[0]; x++)
            h[base[y * w + x]]++;
    return PIPIT_OK;
}

static pipit_status_t
hist_merge(void *ctx, const void *acc, size_t piece)
{
    hist_ctx_t *c = ctx;
    const uint64_t *h = acc;
    (void)piece;
    for (int i = 0; i < 256; i++)
        c->hist[i] += h[i];
    return PIPIT_OK;
}

static void
test_region_histogram_any_threads(void)
{
    size_t size[2] = { 211, 173 };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_U8, 1);
    uint8_t *px = pipit_image_data_writable(img);
    uint64_t expected[256] = { 0 };
    for (size_t i = 0; i < size[0] * size[1]; i++) {
        px[i] = (uint8_t)((i * 2654435761u) >> 13);
        expected[px[i]]++;
    }
    pipit_region_t r = pipit_image_largest_region(img);
    for (size_t t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        hist_ctx_t c = { img, { 0 } };
        pipit_region_loop_t opt = { .pixel_bytes = 1, .piece_bytes = 512,
                                    .acc_size = sizeof c.hist,
                                    .merge = hist_merge };
        ASSERT_OK(pipit_parallel_region(&r, &opt, hist_piece, &c));
        CU_ASSERT_TRUE(memcmp(c.hist, expected, sizeof expected) == 0);
    }
    pipit_image_unref(img);
    ASSERT_OK(pipit_pool_set_threads(0));
}

typedef struct {
    atomic_uint visits[10000];
    atomic_uint nested_inline;
} visit_ctx_t;

static pipit_status_t
inner_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    visit_ctx_t *c = ctx;
    (void)acc;
    (void)worker;
    if (pipit_pool_in_worker())
        atomic_fetch_add(&c->nested_inline, 1);
    for (size_t i = lo; i < hi; i++)
        atomic_fetch_add(&c->visits[i], 1);
    return PIPIT_OK;
}

static pipit_status_t
outer_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    (void)acc;
    (void)worker;
    /* each outer index runs an inner loop over [0, 100) */
    for (size_t i = lo; i < hi; i++) {
        pipit_status_t st = pipit_parallel_for(100, 7, inner_range, ctx);
        if (st != PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

static void
test_nested_loops_run_inline(void)
{
    ASSERT_OK(pipit_pool_set_threads(3));
    visit_ctx_t *c = calloc(1, sizeof *c);
    ASSERT_OK(pipit_parallel_for(50, 1, outer_range, c));
    /* 50 outer indices each visited [0,100) once */
    for (size_t i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(atomic_load(&c->visits[i]), 50);
    /* every inner piece (15 per loop) ran inside a worker, inline */
    CU_ASSERT_EQUAL(atomic_load(&c->nested_inline), 50 * 15);
    CU_ASSERT_FALSE(pipit_pool_in_worker());
    free(c);
    ASSERT_OK(pipit_pool_set_threads(0));
}

static pipit_status_t
fail_some(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    (void)ctx;
    (void)worker;
    (void)acc;
    /* pieces 30 and 70 fail; the lowest must win whatever the timing */
    if (lo <= 70 && 70 < hi)
        return pipit__error(PIPIT_EFORMAT, "piece at %zu failed", lo);
    if (lo <= 30 && 30 < hi)
        return pipit__error(PIPIT_EIO, "piece at %zu failed", lo);
    return PIPIT_OK;
}

static void
test_lowest_failure_wins(void)
{
    for (size_t t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        for (int rep = 0; rep < 20; rep++) {
            pipit_error_clear();
            pipit_status_t st = pipit_parallel_for(100, 1, fail_some, NULL);
            CU_ASSERT_EQUAL(st, PIPIT_EIO);
            CU_ASSERT_STRING_EQUAL(pipit_error_message(),
                                   "piece at 30 failed");
        }
    }
    ASSERT_OK(pipit_pool_set_threads(0));
}

typedef struct {
    int calls;
    double last;
    int stop_after;
} progress_t;

static int
on_progress(double f, void *user)
{
    progress_t *p = user;
    CU_ASSERT_TRUE(f >= p->last && f <= 1.0);
    p->last = f;
    return ++p->calls >= p->stop_after;
}

static atomic_uint pieces_run;

static pipit_status_t
count_piece(void *ctx, const pipit_piece_t *p)
{
    (void)ctx;
    (void)p;
    /* about 20 us of work, so a cancel has pieces left to stop */
    volatile double x = 0;
    for (int i = 0; i < 20000; i++)
        x += i * 0.5;
    atomic_fetch_add(&pieces_run, 1);
    return PIPIT_OK;
}

static void
test_progress_and_cancel(void)
{
    size_t size[2] = { 64, 1000 };
    pipit_region_t r = pipit_region_from_size(2, size);
    for (size_t t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        progress_t p = { 0, 0, 1 << 30 };
        pipit_region_loop_t opt = { .pixel_bytes = 4, .piece_bytes = 256,
                                    .progress = on_progress,
                                    .progress_user = &p };
        atomic_store(&pieces_run, 0);
        ASSERT_OK(pipit_parallel_region(&r, &opt, count_piece, NULL));
        CU_ASSERT_EQUAL(atomic_load(&pieces_run), 1000);
        CU_ASSERT_TRUE(p.calls >= 1);
        p = (progress_t){ 0, 0, 3 };
        atomic_store(&pieces_run, 0);
        pipit_status_t st = pipit_parallel_region(&r, &opt, count_piece, NULL);
        ASSERT_FAILS_WITH(st, PIPIT_ECANCELED, "cancelled");
        CU_ASSERT_TRUE(atomic_load(&pieces_run) < 1000);
    }
    ASSERT_OK(pipit_pool_set_threads(0));
}

static void
test_resize_and_env_default(void)
{
    ASSERT_OK(pipit_pool_set_threads(5));
    CU_ASSERT_EQUAL(pipit_pool_threads(), 5);
    ASSERT_OK(pipit_pool_set_threads(100000));
    CU_ASSERT_EQUAL(pipit_pool_threads(), PIPIT_MAX_THREADS);
    ASSERT_OK(pipit_pool_set_threads(1));
    CU_ASSERT_EQUAL(pipit_pool_threads(), 1);
    setenv("PIPIT_NUM_THREADS", "3", 1);
    ASSERT_OK(pipit_pool_set_threads(0));
    CU_ASSERT_EQUAL(pipit_pool_threads(), 3);
    unsetenv("PIPIT_NUM_THREADS");
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* Many small loops back to back: exercises the spin / sleep hand-over. */
static void
test_many_small_loops(void)
{
    const size_t n = 5000;
    double *v = make_values(n);
    ASSERT_OK(pipit_pool_set_threads(2));
    sum_ctx_t ref = { v, 0 };
    ASSERT_OK(pipit_parallel_reduce(n, 100, sizeof(double), sum_range,
                                    sum_merge, &ref));
    for (int i = 0; i < 2000; i++) {
        sum_ctx_t c = { v, 0 };
        ASSERT_OK(pipit_parallel_reduce(n, 100, sizeof(double), sum_range,
                                        sum_merge, &c));
        if (c.sum != ref.sum) {
            CU_FAIL("sum changed between runs");
            break;
        }
    }
    free(v);
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* ThreadSanitizer does not support fork() in a process with threads
 * running (its own locks may be held by them): the tests that fork are
 * left to the plain and address-sanitizer runs. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#ifndef UNDER_TSAN
#define UNDER_TSAN 0
#endif

/* How a child process ended: its exit status, or 128 + the signal
 * (SIGALRM when it hung). */
static int
child_status(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* In a forked child the pool starts its workers again: a loop there
 * finishes with the same sum instead of waiting for the parent's
 * workers, which fork did not copy. */
static void
test_loops_after_fork(void)
{
    if (UNDER_TSAN)
        return;
    const size_t n = 100000;
    double *v = make_values(n);
    ASSERT_OK(pipit_pool_set_threads(4));
    sum_ctx_t ref = { v, 0 };
    ASSERT_OK(pipit_parallel_reduce(n, 100, sizeof(double), sum_range,
                                    sum_merge, &ref));
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        int bad = 0;
        for (int i = 0; i < 50; i++) {
            sum_ctx_t c = { v, 0 };
            if (pipit_parallel_reduce(n, 100, sizeof(double), sum_range,
                                      sum_merge, &c) != PIPIT_OK ||
                c.sum != ref.sum)
                bad |= 1;
        }
        if (pipit_pool_threads() != 4)
            bad |= 2;
        _exit(bad);
    }
    CU_ASSERT_FATAL(pid > 0);
    /* 1: a wrong sum, 2: the workers did not come back, 142: a hang */
    CU_ASSERT_EQUAL(child_status(pid), 0);
    free(v);
    ASSERT_OK(pipit_pool_set_threads(0));
}

static pipit_status_t
exit_in_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    (void)ctx, (void)hi, (void)worker, (void)acc;
    if (lo == 5)
        exit(9);
    return PIPIT_OK;
}

/* exit() from inside a loop ends the process: the at-exit shutdown of
 * the pool must not wait for the loop that is running. */
static void
test_exit_inside_loop(void)
{
    if (UNDER_TSAN)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        pipit_pool_set_threads(4);
        pipit_parallel_for(1000, 1, exit_in_piece, NULL);
        _exit(1);
    }
    CU_ASSERT_FATAL(pid > 0);
    CU_ASSERT_EQUAL(child_status(pid), 9);
}

static atomic_int forks;

/* Forks once, from the calling thread (worker 0) in its first piece: the
 * child returns to a loop whose other pieces belong to workers it does
 * not have. */
static pipit_status_t
fork_in_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    (void)hi, (void)acc;
    pid_t *child = ctx;
    /* The other workers wait for the fork, so that pieces are still out
     * with them when it happens, however the threads are scheduled (else
     * a descheduled caller could fork after the loop was all done, and
     * the child rightly finish it). */
    while (worker != 0 && atomic_load(&forks) == 0)
        sched_yield();
    if (worker == 0 && atomic_fetch_add(&forks, 1) == 0) {
        pid_t pid = fork();
        if (pid == 0)
            alarm(20);
        else
            *child = pid;
    }
    return PIPIT_OK;
}

/* A child forked inside a loop gets an error for that loop, not a hang;
 * the parent's loop finishes as usual, and the child's next loop works. */
static void
test_fork_inside_loop(void)
{
    if (UNDER_TSAN)
        return;
    ASSERT_OK(pipit_pool_set_threads(4));
    atomic_store(&forks, 0);
    pid_t child = 0;
    fflush(NULL);
    pipit_status_t st = pipit_parallel_for(100000, 1, fork_in_piece, &child);
    if (child == 0) {
        /* the child */
        bool ok = st == PIPIT_ESTATE &&
                  strstr(pipit_error_message(), "forked") != NULL;
        const size_t n = 1000;
        double *v = make_values(n);
        sum_ctx_t c = { v, 0 };
        ok = ok && pipit_parallel_reduce(n, 10, sizeof(double), sum_range,
                                         sum_merge, &c) == PIPIT_OK;
        _exit(ok ? 0 : 1);
    }
    ASSERT_OK(st);
    CU_ASSERT_EQUAL(child_status(child), 0);
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* ---- resizes racing pipelines ------------------------------------- */

/* A source sizing per-worker scratch in its before hook, as the smoothing
 * and resampling filters do, and failing a piece whose worker has none. */
typedef struct {
    pipit_node_t base;
    double value;
    unsigned workers;
} sized_t;

static pipit_status_t
sized_information(pipit_node_t *n)
{
    size_t size[2] = { 16, 64 };
    return pipit__image_set_shape(pipit__output(n, 0), 2, size, PIPIT_F32, 1);
}

static pipit_status_t
sized_before(pipit_node_t *n)
{
    ((sized_t *)n)->workers = pipit_pool_threads();
    sched_yield(); /* widen the window a resize could fall into */
    return PIPIT_OK;
}

static pipit_status_t
sized_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const sized_t *s = (const sized_t *)n;
    if (p->worker >= s->workers)
        return pipit__node_error(n, PIPIT_ESTATE, "worker %u of %u",
                                 p->worker, s->workers);
    for (size_t y = p->region.lo[1]; y < p->region.hi[1]; y++) {
        float *row = pipit__row_f32(pipit__output(n, 0), y, 0);
        for (size_t x = p->region.lo[0]; x < p->region.hi[0]; x++)
            row[x] = (float)s->value;
    }
    return PIPIT_OK;
}

static const pipit_setting_t sized_settings[] = {
    { "value", PIPIT_SETTING_DOUBLE, offsetof(sized_t, value), "0", "value",
      1, 0, NULL },
};

static const pipit_node_class_t sized_class = {
    .name = "sized", .size = sizeof(sized_t), .n_outputs = 1,
    .settings = sized_settings, .n_settings = 1, .piece_bytes = 64,
    .information = sized_information, .before = sized_before,
    .threaded = sized_threaded,
};

typedef struct {
    unsigned pipelines;
    unsigned failures;
    char first[256];
    atomic_bool *done;
} racer_t;

static void *
racer_main(void *arg)
{
    racer_t *r = arg;
    pipit_node_t *n = pipit_node_new(&sized_class);
    double coeff[8 * 8];
    size_t size[2] = { 8, 8 };
    for (unsigned i = 0; i < r->pipelines && n != NULL; i++) {
        pipit_status_t st = pipit_node_set_double(n, "value", i);
        if (st == PIPIT_OK)
            st = pipit_node_update(n);
        size_t at[2] = { 3, 40 };
        if (st == PIPIT_OK &&
            pipit_image_get_value(pipit_node_get_output(n, 0), at, 0) != i)
            st = pipit__error(PIPIT_EIO, "pipeline %u: wrong value", i);
        if (st == PIPIT_OK && i % 4 == 0) {
            for (size_t k = 0; k < 64; k++)
                coeff[k] = (double)(k % 5);
            st = pipit__bspline_prefilter_f64(coeff, 2, size, 3);
        }
        if (st != PIPIT_OK && r->failures++ == 0)
            strncpy(r->first, pipit_error_message(), sizeof r->first - 1);
    }
    pipit_node_unref(n);
    atomic_store(r->done, true);
    return NULL;
}

/* Pipelines in three threads while a fourth resizes the pool: every one
 * must succeed (a node update holds the pool, so a resize waits for it),
 * and pipit_pool_threads must not race the resize (TSan). The count can
 * be raised through PIPIT_TEST_RESIZE_PIPELINES (per thread). */
static void
test_resize_while_pipelines_run(void)
{
    enum { RACERS = 3 };
    const char *env = getenv("PIPIT_TEST_RESIZE_PIPELINES");
    unsigned per = env != NULL ? (unsigned)atoi(env) : 300;
    racer_t r[RACERS];
    atomic_bool done[RACERS];
    pthread_t th[RACERS];
    for (int k = 0; k < RACERS; k++) {
        atomic_init(&done[k], false);
        r[k] = (racer_t){ .pipelines = per, .done = &done[k] };
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[k], NULL, racer_main, &r[k]),
                              0);
    }
    unsigned resizes = 0;
    for (bool all = false; !all; resizes++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[resizes % 4]));
        (void)pipit_pool_threads();
        all = true;
        for (int k = 0; k < RACERS; k++)
            all = all && atomic_load(&done[k]);
    }
    unsigned failures = 0;
    for (int k = 0; k < RACERS; k++) {
        pthread_join(th[k], NULL);
        failures += r[k].failures;
        if (r[k].failures > 0)
            fprintf(stderr, "\n  %u of %u pipelines failed: %s\n",
                    r[k].failures, per, r[k].first);
    }
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT(resizes > 1);
    if (env != NULL)
        fprintf(stderr, "\n  %u pipelines, %u resizes, %u failures\n",
                per * RACERS, resizes, failures);
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* Holds nest, pin the size, and refuse a resize on the holding thread. */
static void
test_hold(void)
{
    ASSERT_OK(pipit_pool_set_threads(3));
    CU_ASSERT_EQUAL(pipit_pool_hold(), 3);
    CU_ASSERT_EQUAL(pipit_pool_hold(), 3);
    ASSERT_FAILS_WITH(pipit_pool_set_threads(2), PIPIT_ESTATE, "holds");
    pipit_pool_release();
    ASSERT_FAILS_WITH(pipit_pool_set_threads(2), PIPIT_ESTATE, "holds");
    pipit_pool_release();
    ASSERT_OK(pipit_pool_set_threads(2));
    CU_ASSERT_EQUAL(pipit_pool_threads(), 2);
    pipit_pool_release(); /* unmatched: ignored */
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* ---- PIPIT_NUM_THREADS and its warnings --------------------------- */

static char logged[512];

static void
capture_log(pipit_log_level_t level, const char *message, void *user)
{
    (void)user;
    if (level == PIPIT_LOG_WARNING)
        snprintf(logged, sizeof logged, "%s", message);
}

static void
test_num_threads_warnings(void)
{
    static const struct {
        const char *env;
        unsigned threads; /* 0: the processor count */
        const char *word;  /* in the warning, or NULL: none */
    } rows[] = {
        { "4", 4, NULL },
        { "256", 256, NULL },
        { "257", 256, "more than the 256" },
        { "100000", 256, "more than the 256" },
        { "99999999999999999999999", 256, "more than the 256" },
        { "0", 0, "not a positive whole number" },
        { "-3", 0, "not a positive whole number" },
        { "four", 0, "not a positive whole number" },
        { "4x", 0, "not a positive whole number" },
    };
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned processors = cpus < 1 ? 1 : cpus > 256 ? 256 : (unsigned)cpus;
    pipit_log_set_handler(capture_log, NULL, PIPIT_LOG_WARNING);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        logged[0] = '\0';
        setenv("PIPIT_NUM_THREADS", rows[i].env, 1);
        ASSERT_OK(pipit_pool_set_threads(0));
        CU_ASSERT_EQUAL(pipit_pool_threads(),
                        rows[i].threads ? rows[i].threads : processors);
        if (rows[i].word == NULL) {
            CU_ASSERT_STRING_EQUAL(logged, "");
        } else {
            CU_ASSERT_PTR_NOT_NULL(strstr(logged, rows[i].word));
            CU_ASSERT_PTR_NOT_NULL(strstr(logged, rows[i].env));
        }
    }
    unsetenv("PIPIT_NUM_THREADS");
    logged[0] = '\0';
    ASSERT_OK(pipit_pool_set_threads(100000));
    CU_ASSERT_EQUAL(pipit_pool_threads(), PIPIT_MAX_THREADS);
    CU_ASSERT_PTR_NOT_NULL(strstr(logged, "100000 threads asked"));
    pipit_log_set_handler(NULL, NULL, PIPIT_LOG_WARNING);
    ASSERT_OK(pipit_pool_set_threads(0));
}

static atomic_int worker_forks;

/* Forks once, from a worker other than the calling thread. */
static pipit_status_t
fork_on_worker(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    (void)lo, (void)hi, (void)acc;
    pid_t *child = ctx;
    /* The calling thread waits for the fork, so a worker gets pieces. */
    while (worker == 0 && atomic_load(&worker_forks) == 0)
        sched_yield();
    if (worker != 0 && atomic_fetch_add(&worker_forks, 1) == 0) {
        pid_t pid = fork();
        if (pid == 0)
            alarm(20); /* a hang would end as SIGALRM, not the status */
        else
            *child = pid;
    }
    return PIPIT_OK;
}

/* A child forked on a pool worker has no caller to return to: it ends
 * with PIPIT_FORKED_WORKER_EXIT instead of waiting for ever. */
static void
test_fork_on_worker(void)
{
    if (UNDER_TSAN)
        return;
    ASSERT_OK(pipit_pool_set_threads(3));
    atomic_store(&worker_forks, 0);
    pid_t child = 0;
    fflush(NULL);
    ASSERT_OK(pipit_parallel_for(1000, 1, fork_on_worker, &child));
    CU_ASSERT_FATAL(child > 0);
    CU_ASSERT_EQUAL(child_status(child), PIPIT_FORKED_WORKER_EXIT);
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* ---- per-thread caps (pipit_pool_set_local_limit) ------------------- */

typedef struct {
    const double *v;
    double sum;
    atomic_uint top; /* highest worker number seen */
} capped_ctx_t;

static void
note_worker(capped_ctx_t *c, unsigned worker)
{
    unsigned cur = atomic_load(&c->top);
    while (worker > cur && !atomic_compare_exchange_weak(&c->top, &cur, worker))
        ;
}

static pipit_status_t
capped_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    capped_ctx_t *c = ctx;
    note_worker(c, worker);
    double s = *(double *)acc; /* a workspace's chunk gathers its pieces */
    for (size_t i = lo; i < hi; i++)
        s += c->v[i];
    *(double *)acc = s;
    return PIPIT_OK;
}

static pipit_status_t
capped_merge(void *ctx, const void *acc, size_t piece)
{
    (void)piece;
    ((capped_ctx_t *)ctx)->sum += *(const double *)acc;
    return PIPIT_OK;
}

enum { CAP_N = 200003, CAP_GRAIN = 211, CAP_ROUNDS = 30 };

typedef struct {
    unsigned cap;
    const double *v;
    double reduce_expected, workspace_expected;
    unsigned wrong, errors, top, prev_first, prev_last;
} capper_t;

static void *
capper_main(void *arg)
{
    capper_t *k = arg;
    k->prev_first = pipit_pool_set_local_limit(k->cap);
    pipit_reduction_t *w = pipit_reduction_new(sizeof(double), 16);
    if (w == NULL)
        k->errors++;
    for (int r = 0; r < CAP_ROUNDS && w != NULL; r++) {
        capped_ctx_t a = { .v = k->v }, b = { .v = k->v };
        atomic_init(&a.top, 0);
        atomic_init(&b.top, 0);
        if (pipit_parallel_reduce(CAP_N, CAP_GRAIN, sizeof(double),
                                  capped_range, capped_merge, &a) != PIPIT_OK ||
            pipit_reduction_run(w, CAP_N, CAP_GRAIN, capped_range,
                                capped_merge, &b) != PIPIT_OK)
            k->errors++;
        if (memcmp(&a.sum, &k->reduce_expected, sizeof a.sum) != 0 ||
            memcmp(&b.sum, &k->workspace_expected, sizeof b.sum) != 0)
            k->wrong++;
        unsigned top = atomic_load(&a.top) > atomic_load(&b.top)
                           ? atomic_load(&a.top)
                           : atomic_load(&b.top);
        if (top > k->top)
            k->top = top;
    }
    pipit_reduction_unref(w);
    k->prev_last = pipit_pool_set_local_limit(0);
    return NULL;
}

/*
 * Two threads with caps of 2 and 3 workers run reductions at the same
 * time on a pool of 4: each sum is bit-for-bit the serial one (the
 * pieces summed in order, by hand; the workspace's run on a one-thread
 * pool), no loop uses a worker above its thread's cap, and the caps stay
 * with their threads.
 */
static void
test_local_limit(void)
{
    double *v = make_values(CAP_N);
    double by_hand = 0;
    for (size_t lo = 0; lo < CAP_N; lo += CAP_GRAIN) {
        double s = 0;
        for (size_t i = lo; i < CAP_N && i < lo + CAP_GRAIN; i++)
            s += v[i];
        by_hand += s;
    }
    ASSERT_OK(pipit_pool_set_threads(1));
    pipit_reduction_t *w = pipit_reduction_new(sizeof(double), 16);
    CU_ASSERT_FATAL(w != NULL);
    capped_ctx_t serial = { .v = v };
    atomic_init(&serial.top, 0);
    ASSERT_OK(pipit_reduction_run(w, CAP_N, CAP_GRAIN, capped_range,
                                  capped_merge, &serial));
    pipit_reduction_unref(w);

    ASSERT_OK(pipit_pool_set_threads(4));
    /* This thread: a cap of 1 runs every piece here, on worker 0. */
    CU_ASSERT_EQUAL(pipit_pool_set_local_limit(1), 0);
    capped_ctx_t one = { .v = v };
    atomic_init(&one.top, 0);
    ASSERT_OK(pipit_parallel_reduce(CAP_N, CAP_GRAIN, sizeof(double),
                                    capped_range, capped_merge, &one));
    CU_ASSERT_EQUAL(atomic_load(&one.top), 0);
    CU_ASSERT_TRUE(memcmp(&one.sum, &by_hand, sizeof by_hand) == 0);
    CU_ASSERT_EQUAL(pipit_pool_set_local_limit(0), 1);

    capper_t k[2] = {
        { .cap = 2, .v = v, .reduce_expected = by_hand,
          .workspace_expected = serial.sum },
        { .cap = 3, .v = v, .reduce_expected = by_hand,
          .workspace_expected = serial.sum },
    };
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, capper_main, &k[i]),
                              0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL(k[i].errors, 0);
        CU_ASSERT_EQUAL(k[i].wrong, 0);
        CU_ASSERT(k[i].top < k[i].cap);
        CU_ASSERT_EQUAL(k[i].prev_first, 0); /* a new thread has no cap */
        CU_ASSERT_EQUAL(k[i].prev_last, k[i].cap);
    }
    /* Their caps never touched this thread: uncapped, the same sum. */
    CU_ASSERT_EQUAL(pipit_pool_set_local_limit(0), 0);
    capped_ctx_t all = { .v = v };
    atomic_init(&all.top, 0);
    ASSERT_OK(pipit_parallel_reduce(CAP_N, CAP_GRAIN, sizeof(double),
                                    capped_range, capped_merge, &all));
    CU_ASSERT_TRUE(memcmp(&all.sum, &by_hand, sizeof by_hand) == 0);
    CU_ASSERT(atomic_load(&all.top) < 4);
    free(v);
    ASSERT_OK(pipit_pool_set_threads(0));
}

const test_case_t test_pool_cases[] = {
    { "fork on a pool worker", test_fork_on_worker },
    { "parallel sum bit-identical at 1,2,3,7,16 threads",
      test_parallel_sum_bit_identical },
    { "region histogram, any threads", test_region_histogram_any_threads },
    { "nested loops run inline", test_nested_loops_run_inline },
    { "lowest failure wins", test_lowest_failure_wins },
    { "progress and cancel", test_progress_and_cancel },
    { "resize and PIPIT_NUM_THREADS", test_resize_and_env_default },
    { "many small loops", test_many_small_loops },
    { "loops after fork", test_loops_after_fork },
    { "exit inside a loop", test_exit_inside_loop },
    { "fork inside a loop", test_fork_inside_loop },
    { "resize while pipelines run", test_resize_while_pipelines_run },
    { "hold pins the size", test_hold },
    { "PIPIT_NUM_THREADS warnings", test_num_threads_warnings },
    { "per-thread caps, concurrent and bit-identical", test_local_limit },
    { NULL, NULL },
};

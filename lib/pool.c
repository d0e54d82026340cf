/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The persistent thread pool.
 *
 * A loop is a "job": a piece count, a function and an atomic counter of
 * the next piece. The caller publishes it by bumping a generation
 * number; every worker notices (spinning briefly, then sleeping on a
 * condition variable), takes pieces until none are left, and checks in.
 * The caller takes pieces too and returns once every worker has checked
 * in, so no worker can touch the job after the call returned.
 *
 * Waking a sleeping thread costs tens of microseconds, so workers spin
 * for SPIN_NS after each job: loops issued back to back (an optimizer's
 * iterations) never pay for a wake-up, and an idle pool sleeps.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "error_impl.h"
#include "pool_impl.h"

#define SPIN_NS 200000 /* 0.2 ms */
#define MESSAGE_SIZE 512

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield")
#else
#define cpu_relax() ((void)0)
#endif

typedef struct job {
    size_t n;
    unsigned limit; /* workers 0..limit-1 take pieces; the rest check in */
    pipit__piece_run_fn run;
    void *ctx;
    atomic_size_t next;    /* next piece to hand out */
    atomic_size_t stop_at; /* pieces from here on are skipped */
    atomic_size_t done;    /* pieces finished, for progress */
    pipit_progress_fn progress;
    void *progress_user;
    atomic_bool cancelled;
} job_t;

/* The lowest-index failure a worker met in the current job. */
typedef struct failure {
    size_t index;
    pipit_status_t st;
    char message[MESSAGE_SIZE];
} failure_t;

static struct {
    pthread_once_t once;
    pthread_mutex_t submit; /* one job at a time; held while resizing */
    pthread_mutex_t lock;   /* for sleeping only */
    pthread_cond_t wake;
    atomic_uint n_threads;  /* the caller included */
    pthread_t threads[PIPIT_MAX_THREADS];
    atomic_uint generation;
    /* The generation when the workers started: a new worker must wait
     * for the next one even if it first runs after a job was posted. */
    unsigned start_generation;
    atomic_uint n_sleeping;
    atomic_uint checked_in;
    atomic_bool quit;
    /* Set in a forked child, whose copy of the pool has no workers:
     * the first loop there starts refork_threads afresh. */
    atomic_bool reforked;
    unsigned refork_threads;
    job_t *job;
    failure_t failures[PIPIT_MAX_THREADS];
} pool = {
    .once = PTHREAD_ONCE_INIT,
    .submit = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

static _Thread_local bool in_worker;

/* pipit_pool_set_local_limit: this thread's cap on a loop's workers. */
static _Thread_local unsigned local_limit;

/*
 * Holds pin the pool's size (pipit_pool_hold). A resize announces itself
 * (resizing), so no new hold starts, then waits for the holders to leave;
 * only outermost holds on application threads count: a piece runs under
 * its loop, which a resize waits for anyway.
 *
 * Every node update holds, so a hold takes no lock unless a resize is
 * under way: a holder counts itself, then looks for a resize; a resize
 * announces itself, then looks for holders (both sequentially
 * consistent, so at least one of the two sees the other). The lock and
 * condition only serve the waits.
 */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    atomic_uint holders, resizing;
} holds = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .changed = PTHREAD_COND_INITIALIZER,
};
static _Thread_local unsigned hold_depth;
static _Thread_local bool hold_counted;

bool
pipit_pool_in_worker(void)
{
    return in_worker;
}

unsigned
pipit_pool_set_local_limit(unsigned n)
{
    unsigned old = local_limit;
    local_limit = n;
    return old;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
lower_stop(job_t *job, size_t index)
{
    size_t cur = atomic_load_explicit(&job->stop_at, memory_order_relaxed);
    while (index < cur &&
           !atomic_compare_exchange_weak_explicit(&job->stop_at, &cur, index,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
        ;
}

/* Takes pieces of job until none is left; records this worker's first
 * failure in f. The calling thread (worker 0) also reports progress. */
static void
run_pieces(job_t *job, unsigned worker, failure_t *f)
{
    bool was_in_worker = in_worker;
    in_worker = true;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&job->next, 1,
                                             memory_order_relaxed);
        if (i >= job->n ||
            i >= atomic_load_explicit(&job->stop_at, memory_order_relaxed))
            break; /* later pieces all have higher indices */
        pipit_status_t st = job->run(job->ctx, i, worker);
        if (st != PIPIT_OK) {
            lower_stop(job, i);
            if (i < f->index) {
                f->index = i;
                f->st = st;
                pipit__error_save(f->message, sizeof f->message);
            }
            continue;
        }
        if (job->progress == NULL)
            continue;
        size_t done = atomic_fetch_add_explicit(&job->done, 1,
                                                memory_order_relaxed) + 1;
        if (worker == 0 &&
            job->progress((double)done / (double)job->n,
                          job->progress_user) != 0) {
            atomic_store(&job->cancelled, true);
            lower_stop(job, 0);
        }
    }
    in_worker = was_in_worker;
}

static void
poll_progress(job_t *job, size_t *reported)
{
    size_t done = atomic_load_explicit(&job->done, memory_order_relaxed);
    if (done == *reported || atomic_load(&job->cancelled))
        return;
    *reported = done;
    if (job->progress((double)done / (double)job->n, job->progress_user)) {
        atomic_store(&job->cancelled, true);
        lower_stop(job, 0);
    }
}

static void *
worker_main(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned seen = pool.start_generation;
    for (;;) {
        unsigned gen = seen;
        uint64_t start = 0;
        for (unsigned spins = 0;; spins++) {
            gen = atomic_load_explicit(&pool.generation,
                                       memory_order_acquire);
            if (gen != seen || atomic_load(&pool.quit))
                break;
            if ((spins & 63) == 0) {
                uint64_t t = now_ns();
                if (start == 0)
                    start = t;
                else if (t - start > SPIN_NS)
                    break;
            }
            cpu_relax();
        }
        if (gen == seen && !atomic_load(&pool.quit)) {
            pthread_mutex_lock(&pool.lock);
            /* seq_cst pairs with the submitter's generation bump and
             * n_sleeping read: one of us sees the other. */
            atomic_fetch_add(&pool.n_sleeping, 1);
            while ((gen = atomic_load(&pool.generation)) == seen &&
                   !atomic_load(&pool.quit))
                pthread_cond_wait(&pool.wake, &pool.lock);
            atomic_fetch_sub(&pool.n_sleeping, 1);
            pthread_mutex_unlock(&pool.lock);
        }
        if (atomic_load(&pool.quit))
            break;
        seen = gen;
        failure_t *f = &pool.failures[id];
        f->index = SIZE_MAX;
        /* Above the issuing thread's cap: check in without a piece. */
        if (id < pool.job->limit)
            run_pieces(pool.job, id, f);
        /* A piece forked on this worker and we are the child's only
         * thread: the loop's caller is in the parent, so there is nothing
         * here to return to, and waiting for the next loop would leave a
         * process that never ends. */
        if (atomic_load(&pool.reforked))
            _exit(PIPIT_FORKED_WORKER_EXIT);
        atomic_fetch_add_explicit(&pool.checked_in, 1, memory_order_release);
    }
    return NULL;
}

static unsigned
default_threads(void)
{
    const char *env = getenv("PIPIT_NUM_THREADS");
    if (env != NULL && *env != '\0') {
        char *end;
        errno = 0;
        long v = strtol(env, &end, 10);
        bool number = *end == '\0' && end != env;
        if (number && v >= 1 && v <= PIPIT_MAX_THREADS && errno == 0)
            return (unsigned)v;
        if (number && v > PIPIT_MAX_THREADS) {
            pipit__log(PIPIT_LOG_WARNING,
                       "PIPIT_NUM_THREADS='%s' is more than the %d threads "
                       "a pool may have; using %d",
                       env, PIPIT_MAX_THREADS, PIPIT_MAX_THREADS);
            return PIPIT_MAX_THREADS;
        }
        pipit__log(PIPIT_LOG_WARNING,
                   "PIPIT_NUM_THREADS='%s' is not a positive whole number "
                   "(1..%d); using the processor count",
                   env, PIPIT_MAX_THREADS);
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > PIPIT_MAX_THREADS ? PIPIT_MAX_THREADS : (unsigned)n;
}

/* Starts workers 1..n-1; the pool keeps those that could start. Called
 * with pool.submit held (or from the once-initialiser). */
static pipit_status_t
start_workers(unsigned n)
{
    atomic_store(&pool.n_threads, 1);
    atomic_store(&pool.reforked, false);
    pool.start_generation = atomic_load(&pool.generation);
    for (unsigned i = 1; i < n; i++) {
        int err = pthread_create(&pool.threads[i], NULL, worker_main,
                                 (void *)(uintptr_t)i);
        if (err != 0)
            return pipit__error_errno(err == ENOMEM ? PIPIT_ENOMEM : PIPIT_EIO,
                                      err,
                                      "pool: could not start thread %u of %u",
                                      i + 1, n);
        atomic_store(&pool.n_threads, i + 1);
    }
    return PIPIT_OK;
}

static void
stop_workers(void)
{
    pthread_mutex_lock(&pool.lock);
    atomic_store(&pool.quit, true);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    for (unsigned i = 1; i < pool.n_threads; i++)
        pthread_join(pool.threads[i], NULL);
    atomic_store(&pool.quit, false);
    atomic_store(&pool.n_threads, 1);
}

/*
 * fork() copies only the calling thread. The child's pool struct still
 * counts the parent's workers, and its locks may be held by threads that
 * do not exist there: without this, the child's first loop would wait
 * for ever on workers that never check in (a process pool forking a
 * parent that used pipit). Fresh locks, no workers; they start again at
 * the child's first loop.
 */
static void
pool_after_fork_in_child(void)
{
    pthread_mutex_init(&pool.submit, NULL);
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    pool.refork_threads = atomic_load(&pool.n_threads);
    atomic_store(&pool.n_threads, 1);
    pool.job = NULL;
    /* This thread's own hold, if it forked inside one, is the only one
     * the child has. */
    pthread_mutex_init(&holds.lock, NULL);
    pthread_cond_init(&holds.changed, NULL);
    atomic_store(&holds.holders, hold_depth > 0 && hold_counted ? 1 : 0);
    atomic_store(&holds.resizing, 0);
    atomic_store(&pool.n_sleeping, 0);
    atomic_store(&pool.quit, false);
    atomic_store(&pool.reforked, true);
}

/* The size pipit_pool_set_threads asked for before the pool started:
 * the first start takes it, instead of starting the default count only
 * to stop and restart them (a program's -threads 1 starts no worker). */
static atomic_uint size_at_start;

static void
pool_init(void)
{
    pthread_atfork(NULL, NULL, pool_after_fork_in_child);
    unsigned n = atomic_load(&size_at_start);
    (void)start_workers(n != 0 ? n : default_threads());
}

/*
 * At exit, and when a program dlclose()s the library, the workers are
 * stopped and joined: code must not run from an unmapped library, and
 * leak checkers see no thread left behind. Only when no loop is running:
 * exit() called from inside a loop, or while another thread runs one,
 * leaves the workers as they are rather than wait on them.
 */
__attribute__((destructor)) static void
pool_shutdown(void)
{
    if (atomic_load(&pool.n_threads) <= 1 || in_worker ||
        pthread_mutex_trylock(&pool.submit) != 0)
        return;
    stop_workers();
    pthread_mutex_unlock(&pool.submit);
}

unsigned
pipit_pool_threads(void)
{
    pthread_once(&pool.once, pool_init);
    if (atomic_load_explicit(&pool.reforked, memory_order_acquire) &&
        !in_worker) {
        pthread_mutex_lock(&pool.submit);
        if (atomic_load(&pool.reforked))
            (void)start_workers(pool.refork_threads);
        pthread_mutex_unlock(&pool.submit);
    }
    return atomic_load(&pool.n_threads);
}

/* Uncounts a hold; the last one out wakes a waiting resize. */
static void
drop_hold(void)
{
    if (atomic_fetch_sub(&holds.holders, 1) == 1 &&
        atomic_load(&holds.resizing) > 0) {
        pthread_mutex_lock(&holds.lock);
        pthread_cond_broadcast(&holds.changed);
        pthread_mutex_unlock(&holds.lock);
    }
}

unsigned
pipit_pool_hold(void)
{
    unsigned n = pipit_pool_threads();
    if (hold_depth++ > 0)
        return atomic_load(&pool.n_threads);
    hold_counted = !in_worker;
    if (!hold_counted)
        return n;
    for (;;) {
        atomic_fetch_add(&holds.holders, 1);
        if (atomic_load(&holds.resizing) == 0)
            break;
        /* A resize is coming: step aside until it is done. */
        drop_hold();
        pthread_mutex_lock(&holds.lock);
        while (atomic_load(&holds.resizing) > 0)
            pthread_cond_wait(&holds.changed, &holds.lock);
        pthread_mutex_unlock(&holds.lock);
    }
    /* Read after the hold counts: a resize finished before it is seen. */
    return atomic_load(&pool.n_threads);
}

void
pipit_pool_release(void)
{
    if (hold_depth == 0 || --hold_depth > 0 || !hold_counted)
        return;
    drop_hold();
}

pipit_status_t
pipit_pool_set_threads(unsigned n)
{
    if (in_worker)
        return pipit__error(PIPIT_ESTATE,
                            "pool: cannot resize from inside a parallel loop");
    if (hold_depth > 0)
        return pipit__error(PIPIT_ESTATE,
                            "pool: cannot resize while this thread holds "
                            "the pool (inside a node update)");
    if (n == 0)
        n = default_threads();
    if (n > PIPIT_MAX_THREADS) {
        pipit__log(PIPIT_LOG_WARNING,
                   "pool: %u threads asked, more than the %d a pool may "
                   "have; using %d",
                   n, PIPIT_MAX_THREADS, PIPIT_MAX_THREADS);
        n = PIPIT_MAX_THREADS;
    }
    atomic_store(&size_at_start, n);
    pthread_once(&pool.once, pool_init);
    /* Holders sized per-worker scratch by the count they saw: wait for
     * them, and keep new ones out until the pool has its new size. */
    pthread_mutex_lock(&holds.lock);
    atomic_fetch_add(&holds.resizing, 1);
    while (atomic_load(&holds.holders) > 0)
        pthread_cond_wait(&holds.changed, &holds.lock);
    pthread_mutex_unlock(&holds.lock);
    pthread_mutex_lock(&pool.submit);
    pipit_status_t st = PIPIT_OK;
    if (n != atomic_load(&pool.n_threads)) {
        stop_workers();
        st = start_workers(n);
    }
    pthread_mutex_unlock(&pool.submit);
    pthread_mutex_lock(&holds.lock);
    if (atomic_fetch_sub(&holds.resizing, 1) == 1)
        pthread_cond_broadcast(&holds.changed);
    pthread_mutex_unlock(&holds.lock);
    return st;
}

static pipit_status_t
finish(job_t *job, const failure_t *failures, unsigned n_failures)
{
    if (atomic_load(&job->cancelled))
        return pipit__error(PIPIT_ECANCELED, "cancelled by the progress "
                                             "callback");
    const failure_t *first = NULL;
    for (unsigned w = 0; w < n_failures; w++)
        if (failures[w].index != SIZE_MAX &&
            (first == NULL || failures[w].index < first->index))
            first = &failures[w];
    if (first == NULL)
        return PIPIT_OK;
    pipit__error_restore(first->st, first->message);
    return first->st;
}

/* A child forked from inside a piece (on the calling thread) comes back
 * to a loop whose other pieces went to workers it does not have: those
 * pieces are lost, so the loop fails instead of waiting for ever. The
 * child's pool was reset after the fork: its lock is free already. */
static pipit_status_t
forked_inside(void)
{
    return pipit__error(PIPIT_ESTATE, "pool: the process forked inside a "
                        "parallel loop; the child cannot finish it");
}

static pipit_status_t
run_inline(job_t *job)
{
    failure_t f = { .index = SIZE_MAX };
    run_pieces(job, 0, &f);
    return finish(job, &f, 1);
}

pipit_status_t
pipit__pool_run(size_t n, pipit__piece_run_fn run, void *ctx,
                pipit_progress_fn progress, void *user)
{
    job_t job = { .n = n, .run = run, .ctx = ctx, .progress = progress,
                  .progress_user = user };
    atomic_init(&job.next, 0);
    atomic_init(&job.stop_at, SIZE_MAX);
    atomic_init(&job.done, 0);
    atomic_init(&job.cancelled, false);
    if (n == 0)
        return PIPIT_OK;
    /* Nested loops run inline, on the worker that issued them; so does
     * a loop whose thread allows itself one worker. */
    if (n == 1 || in_worker || local_limit == 1 || pipit_pool_threads() == 1)
        return run_inline(&job);
    /* Another thread's loop holds the pool: doing the work here beats
     * queueing behind it, and the result is the same. */
    if (pthread_mutex_trylock(&pool.submit) != 0)
        return run_inline(&job);
    unsigned workers = atomic_load(&pool.n_threads) - 1;
    if (workers == 0) {
        pthread_mutex_unlock(&pool.submit);
        return run_inline(&job);
    }
    /* The cap only picks who takes pieces; the pieces are the same. */
    job.limit = local_limit != 0 && local_limit <= workers ? local_limit
                                                           : workers + 1;
    pool.job = &job;
    atomic_store_explicit(&pool.checked_in, 0, memory_order_relaxed);
    atomic_fetch_add(&pool.generation, 1);
    if (atomic_load(&pool.n_sleeping) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    failure_t *mine = &pool.failures[0];
    mine->index = SIZE_MAX;
    run_pieces(&job, 0, mine);
    size_t reported = 0;
    for (unsigned spins = 0;
         atomic_load_explicit(&pool.checked_in, memory_order_acquire) <
         workers;
         spins++) {
        /* Out of pieces but others still work: keep progress (and so
         * cancellation) going from here, on the calling thread. */
        if (job.progress != NULL && (spins & 255) == 0)
            poll_progress(&job, &reported);
        if (spins < 4096)
            cpu_relax();
        else if (atomic_load(&pool.reforked))
            return forked_inside(); /* the workers are gone: no wait */
        else
            sched_yield(); /* a worker may be descheduled: let it run */
    }
    pool.job = NULL;
    pipit_status_t st = finish(&job, pool.failures, workers + 1);
    pthread_mutex_unlock(&pool.submit);
    return st;
}

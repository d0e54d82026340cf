/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/stream: every filter, streamed against its whole update.
 *
 * For each filter class of the registry, on a size^3 f32 image in
 * memory: the median time of a whole update (pipit_node_update, fresh
 * node each run) beside the median time of the same node streamed in
 * 1 MiB pieces (pipit_node_stream, as a writer pulls it), and their
 * ratio; the target is at most 1.2 for every filter. With a path to the
 * `pipit` program, also the command line (`pipit filter NAME in out`,
 * a process per run) against the library doing the same reader ->
 * filter -> writer update, twice: in this process (warm: its memory is
 * reused from run to run, which flatters the library) and in a fresh
 * process (this program run as `bench/stream --once NAME IN [IN2] OUT`,
 * a process per run, as the command line is). The ratio is command /
 * fresh library: the fair one. Both processes get PIPIT_NUM_THREADS =
 * threads, run in alternating order, and write their figures (histogram,
 * statistics) to /dev/null.
 *
 * Usage: bench/stream [threads [repeats [size [pipit-program [cli]]]]]
 *        (defaults 2, 3, 256; no program: no command-line columns;
 *        "cli": the command-line columns only, no streamed column)
 */
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pipit/pipit.h>
#include <pipit/node_class.h>

#include "bench.h"

extern char **environ;

static pipit_image_t *
make_image(size_t n, unsigned components)
{
    size_t size[3] = { n, n, n };
    pipit_image_t *img = pipit_image_new(3, size, PIPIT_F32, components);
    if (img == NULL)
        return NULL;
    float *p = pipit_image_data_writable(img);
    uint32_t state = 12345u;
    for (size_t i = 0; i < n * n * n * components; i++) {
        state = state * 1664525u + 1013904223u;
        size_t x = i % n, y = i / n % n;
        p[i] = (float)(100.0 + 50.0 * sin((double)x / 7.0) *
                                   cos((double)y / 11.0) +
                       20.0 * ((double)(state >> 8) / 16777216.0 - 0.5));
    }
    return img;
}

/* Settings a class needs beyond its defaults to run on a cube, and on
 * the command line the same words. */
typedef struct {
    const char *klass;
    const char *settings[3][2];
} extra_t;

static const extra_t extras[] = {
    { "extract-region", { { "index", "16,16,16" }, { "size", "200,200,200" } } },
    { "constant-pad", { { "lower", "8,8,8" }, { "upper", "8,8,8" } } },
    { "mirror-pad", { { "lower", "8,8,8" }, { "upper", "8,8,8" } } },
    { "shrink", { { "factors", "2" } } },
    { "bin-shrink", { { "factors", "2" } } },
    { "permute-axes", { { "order", "2,1,0" } } },
    { "flip", { { "axes", "0,1,0" } } },
};

static const extra_t *
extra_for(const char *klass)
{
    for (size_t i = 0; i < sizeof extras / sizeof *extras; i++)
        if (strcmp(extras[i].klass, klass) == 0)
            return &extras[i];
    return NULL;
}

static pipit_image_t *cube, *field;

/* A node of class c on the cube, or NULL when it cannot run on one
 * (the reason printed). */
static pipit_node_t *
make_node(const pipit_node_class_t *c)
{
    const char *name = pipit_node_class_name(c);
    pipit_node_t *n = pipit_node_new(c);
    if (n == NULL)
        return NULL;
    const extra_t *e = extra_for(name);
    for (size_t k = 0; e != NULL && k < 3 && e->settings[k][0]; k++)
        if (pipit_node_set(n, e->settings[k][0], e->settings[k][1]) !=
            PIPIT_OK)
            goto fail;
    unsigned inputs = pipit_node_n_inputs(n);
    if (inputs == 0 || pipit_node_input_kind(n, 0) != PIPIT_DATA_IMAGE ||
        pipit_node_set_input_image(n, 0, cube) != PIPIT_OK)
        goto fail;
    /* A second image: warp's field, the others' second operand. */
    if (inputs > 1 && pipit_node_input_kind(n, 1) == PIPIT_DATA_IMAGE &&
        strcmp(name, "resample") != 0) {
        pipit_image_t *second = strcmp(name, "warp") == 0 ? field : cube;
        if (pipit_node_set_input_image(n, 1, second) != PIPIT_OK)
            goto fail;
    }
    if (pipit_node_update_information(n) != PIPIT_OK)
        goto fail;
    return n;
fail:
    pipit_node_unref(n);
    return NULL;
}

static pipit_status_t
ignore_piece(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    (void)piece, (void)r, (void)user;
    return PIPIT_OK;
}

static double
time_whole(const pipit_node_class_t *c)
{
    pipit_node_t *n = make_node(c);
    if (n == NULL)
        return NAN;
    double t0 = bench_now();
    pipit_status_t st = pipit_node_update(n);
    double t = bench_now() - t0;
    pipit_node_unref(n);
    return st == PIPIT_OK ? t : NAN;
}

static double
time_stream(const pipit_node_class_t *c)
{
    pipit_node_t *n = make_node(c);
    if (n == NULL)
        return NAN;
    double t0 = bench_now();
    pipit_status_t st = 0;
    for (unsigned o = 0; o < pipit_node_n_outputs(n) && st == PIPIT_OK; o++)
        if (pipit_node_output_kind(n, o) == PIPIT_DATA_IMAGE)
            st = pipit_node_stream(n, o, 0, ignore_piece, NULL);
    double t = bench_now() - t0;
    pipit_node_unref(n);
    return st == PIPIT_OK ? t : NAN;
}

/* The library doing what `pipit filter` does: reader -> filter -> writer. */
static double
time_library_files(const pipit_node_class_t *c, const char *in,
                   const char *second, const char *out)
{
    const char *name = pipit_node_class_name(c);
    pipit_node_t *r = pipit_reader_new(in), *f = pipit_node_new(c),
                 *w = pipit_writer_new(out), *r2 = NULL;
    double t = NAN;
    if (r == NULL || f == NULL || w == NULL)
        goto done;
    const extra_t *e = extra_for(name);
    for (size_t k = 0; e != NULL && k < 3 && e->settings[k][0]; k++)
        if (pipit_node_set(f, e->settings[k][0], e->settings[k][1]) !=
            PIPIT_OK)
            goto done;
    double t0 = bench_now();
    if (pipit_node_set_input(f, 0, r, 0) != PIPIT_OK)
        goto done;
    if (second != NULL) {
        if ((r2 = pipit_reader_new(second)) == NULL ||
            pipit_node_set_input(f, 1, r2, 0) != PIPIT_OK)
            goto done;
    }
    if (pipit_node_set_input(w, 0, f, 0) != PIPIT_OK ||
        pipit_node_update(w) != PIPIT_OK)
        goto done;
    t = bench_now() - t0;
done:
    pipit_node_unref(w);
    pipit_node_unref(f);
    pipit_node_unref(r2);
    pipit_node_unref(r);
    return t;
}

/* `bench/stream --once NAME IN [IN2] OUT`: what `pipit filter` does,
 * the library called once in a fresh process. */
static int
run_once(int argc, char **argv)
{
    if (argc < 5)
        return 2;
    size_t count;
    const pipit_node_class_t *const *classes = pipit_filter_classes(&count);
    const pipit_node_class_t *c = NULL;
    for (size_t i = 0; i < count && c == NULL; i++)
        if (strcmp(pipit_node_class_name(classes[i]), argv[2]) == 0)
            c = classes[i];
    if (c == NULL)
        return 2;
    const char *second = argc > 5 ? argv[4] : NULL;
    double t = time_library_files(c, argv[3], second, argv[argc - 1]);
    if (isnan(t)) {
        fprintf(stderr, "bench/stream --once %s: %s\n", argv[2],
                pipit_error_message());
        return 1;
    }
    return 0;
}

/* Runs argv as a process (stdout to /dev/null); its wall time, or NaN. */
static double
time_process(char **argv)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    double t0 = bench_now();
    pid_t pid;
    int err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0)
        return NAN;
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return NAN;
    return bench_now() - t0;
}

/* The command line, or with program NULL this program's --once. */
static double
time_command(const char *program, const pipit_node_class_t *c,
             const char *in, const char *second, const char *out)
{
    const char *name = pipit_node_class_name(c);
    char *argv[16];
    int k = 0;
    if (program != NULL) {
        argv[k++] = (char *)program;
        argv[k++] = "filter";
    } else {
        argv[k++] = "/proc/self/exe";
        argv[k++] = "--once";
    }
    argv[k++] = (char *)name;
    const extra_t *e = extra_for(name);
    char opts[3][64];
    for (size_t s = 0; program != NULL && e != NULL && s < 3 &&
                       e->settings[s][0];
         s++) {
        snprintf(opts[s], sizeof opts[s], "--%s", e->settings[s][0]);
        argv[k++] = opts[s];
        argv[k++] = (char *)e->settings[s][1];
    }
    argv[k++] = (char *)in;
    if (second != NULL)
        argv[k++] = (char *)second;
    argv[k++] = (char *)out;
    argv[k] = NULL;
    return time_process(argv);
}

/* The second file the command line needs: a required image input 1. */
static const char *
second_file(const pipit_node_class_t *c, const char *in, const char *field_file)
{
    if (c->n_inputs < 2 || c->input_kinds[1] != PIPIT_DATA_IMAGE ||
        (c->optional_inputs & 2u))
        return NULL;
    return strcmp(c->name, "warp") == 0 ? field_file : in;
}

typedef double (*timer_fn)(const pipit_node_class_t *);

static double
median_of(int repeats, timer_fn fn, const pipit_node_class_t *c)
{
    double t[32];
    if (repeats > 32)
        repeats = 32;
    for (int r = 0; r < repeats; r++)
        if (isnan(t[r] = fn(c)))
            return NAN;
    return bench_median(t, (size_t)repeats);
}

int
main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--once") == 0)
        return run_once(argc, argv);
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 2;
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    size_t n = argc > 3 ? (size_t)atoi(argv[3]) : 256;
    const char *program = argc > 4 ? argv[4] : NULL;
    bool cli_only = program != NULL && argc > 5 && strcmp(argv[5], "cli") == 0;
    if (pipit_pool_set_threads(threads) != PIPIT_OK || repeats < 1 || n < 8)
        return 2;
    /* The processes get the threads this one has. */
    char env_threads[16];
    snprintf(env_threads, sizeof env_threads, "%u", threads);
    setenv("PIPIT_NUM_THREADS", env_threads, 1);
    cube = make_image(n, 1);
    field = make_image(n, 3);
    if (cube == NULL || field == NULL)
        return 1;
    char in[64], second[64], out[64];
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(in, sizeof in, "%s/pipit-bench-in.mha", dir);
    snprintf(second, sizeof second, "%s/pipit-bench-field.mha", dir);
    snprintf(out, sizeof out, "%s/pipit-bench-out.mha", dir);
    if (program != NULL && (pipit_image_write(cube, in) != PIPIT_OK ||
                            pipit_image_write(field, second) != PIPIT_OK))
        return 1;
    printf("# %zu^3 f32, %u threads, medians of %d runs; streamed in 1 MiB "
           "pieces\n",
           n, pipit_pool_threads(), repeats);
    printf("%-40s %10s %10s %7s", "filter", "whole s", "stream s", "ratio");
    if (program != NULL)
        printf(" %10s %10s %10s %7s", "warm lib s", "fresh lib", "command s",
               "cmd/lib");
    printf("\n");
    size_t count, worst_at = 0, over = 0, n_cli = 0;
    double worst = 0.0, log_sum = 0.0, cli_worst = 0.0;
    const char *cli_worst_at = "";
    const pipit_node_class_t *const *classes = pipit_filter_classes(&count);
    for (size_t i = 0; i < count; i++) {
        const pipit_node_class_t *c = classes[i];
        double whole = median_of(cli_only ? 1 : repeats, time_whole, c);
        if (isnan(whole)) {
            /* A source has no input to give it (and no error set). */
            printf("%-40s (cannot run alone on a cube: %s)\n",
                   pipit_node_class_name(c),
                   c->n_inputs == 0 ? "a source" : pipit_error_message());
            continue;
        }
        double stream = cli_only ? whole : median_of(repeats, time_stream, c);
        double ratio = stream / whole;
        printf("%-40s %10.4f %10.4f %7.2f", pipit_node_class_name(c), whole,
               stream, ratio);
        if (ratio > worst)
            worst = ratio, worst_at = i;
        over += ratio > 1.2;
        if (program != NULL) {
            double lib[32], fresh[32], cmd[32];
            int reps = repeats > 32 ? 32 : repeats;
            const char *sec = second_file(c, in, second);
            for (int r = 0; r < reps; r++) {
                lib[r] = time_library_files(c, in, sec, out);
                /* Alternate, so neither always finds the other's output
                 * file pages (or its freed memory) just released. */
                if (r % 2 == 0) {
                    fresh[r] = time_command(NULL, c, in, sec, out);
                    cmd[r] = time_command(program, c, in, sec, out);
                } else {
                    cmd[r] = time_command(program, c, in, sec, out);
                    fresh[r] = time_command(NULL, c, in, sec, out);
                }
            }
            double l = bench_median(lib, (size_t)reps);
            double f = bench_median(fresh, (size_t)reps);
            double m = bench_median(cmd, (size_t)reps);
            printf(" %10.4f %10.4f %10.4f %7.3f", l, f, m, m / f);
            if (!isnan(m / f)) {
                n_cli++;
                log_sum += log(m / f);
                if (m / f > cli_worst)
                    cli_worst = m / f, cli_worst_at = pipit_node_class_name(c);
            }
        }
        printf("\n");
    }
    printf("# worst stream/whole ratio %.2f (%s); %zu filter%s above 1.2\n",
           worst, pipit_node_class_name(classes[worst_at]), over,
           over == 1 ? "" : "s");
    if (program != NULL && n_cli > 0)
        printf("# command / fresh library: geometric mean %.3f over %zu "
               "filters, worst %.3f (%s)\n",
               exp(log_sum / (double)n_cli), n_cli, cli_worst, cli_worst_at);
    if (program != NULL) {
        remove(in);
        remove(second);
        remove(out);
    }
    pipit_image_unref(cube);
    pipit_image_unref(field);
    return 0;
}

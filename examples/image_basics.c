/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image basics with the public API only: wrap your own pixels without a
 * copy, share them, write copy-on-write, sum them on the pool with
 * per-piece accumulators, and read an elastix parameter file.
 *
 * Run: examples/image_basics [parameter-file]
 * It checks its own results and exits non-zero when one is wrong.
 */
#include <stdio.h>
#include <stdlib.h>

#include <pipit/pipit.h>

typedef struct {
    const float *pixels;
    double sum;
} sum_t;

/* Runs on any worker: sums indices [lo, hi) into this piece's accumulator. */
static pipit_status_t
sum_range(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const sum_t *s = ctx;
    double partial = 0;
    (void)worker;
    for (size_t i = lo; i < hi; i++)
        partial += s->pixels[i];
    *(double *)acc = partial;
    return PIPIT_OK;
}

/* Runs on the calling thread, in piece order: the same bits every time. */
static pipit_status_t
sum_merge(void *ctx, const void *acc, size_t piece)
{
    (void)piece;
    ((sum_t *)ctx)->sum += *(const double *)acc;
    return PIPIT_OK;
}

static void
release(void *data, void *user)
{
    (void)user;
    free(data);
}

static int
fail(const char *what)
{
    fprintf(stderr, "image_basics: %s: %s\n", what, pipit_error_message());
    return 1;
}

int
main(int argc, char **argv)
{
    const size_t w = 300, h = 200;
    float *pixels = malloc(w * h * sizeof *pixels);
    if (pixels == NULL)
        return 1;
    for (size_t i = 0; i < w * h; i++)
        pixels[i] = (float)(i % 7);

    /* The image takes ownership of pixels: release() frees them when
     * the last reference goes. No copy is made. */
    size_t size[2] = { w, h };
    pipit_image_t *img =
        pipit_image_wrap(2, size, PIPIT_F32, 1, pixels, 0, release, NULL);
    if (img == NULL) {
        free(pixels);
        return fail("wrap");
    }

    /* A second image on the same buffer; writing to it copies first. */
    pipit_image_t *copy = pipit_image_share(img);
    float *w2 = pipit_image_data_writable(copy);
    if (copy == NULL || w2 == NULL)
        return fail("share");
    w2[0] = 1000.0f;
    int bad = pixels[0] != 0.0f; /* the original is untouched */

    /* A sum over the pool, identical at any thread count. */
    sum_t s = { pipit_image_data(img), 0 };
    if (pipit_parallel_reduce(w * h, 0, sizeof(double), sum_range, sum_merge,
                              &s) != PIPIT_OK)
        return fail("sum");
    double expected = 0;
    for (size_t i = 0; i < w * h; i++)
        expected += (double)(i % 7);
    bad |= s.sum != expected;
    printf("sum of %zu pixels on %u threads: %.0f (expected %.0f)\n", w * h,
           pipit_pool_threads(), s.sum, expected);

    /* An elastix parameter file, with per-resolution lookups. */
    if (argc > 1) {
        pipit_params_t *p;
        if (pipit_params_read(argv[1], &p) != PIPIT_OK)
            return fail(argv[1]);
        int64_t levels;
        const char *metric;
        if (pipit_params_get_int(p, "NumberOfResolutions", 0, 3, &levels) ||
            pipit_params_get_string(p, "Metric", 0, "?", &metric))
            return fail(argv[1]);
        printf("%s: %lld resolutions, metric %s\n", argv[1],
               (long long)levels, metric);
        pipit_params_unref(p);
    }
    pipit_image_unref(copy);
    pipit_image_unref(img);
    return bad;
}

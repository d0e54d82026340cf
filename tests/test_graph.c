/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Graphs, not chains: nodes read by several consumers, streamed at
 * several piece sizes and thread counts, against the whole update and a
 * plain loop written here; run counts; ports carrying transforms,
 * parameter maps and tables; one pipeline updated from two threads.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "node_impl.h"

#define W 64
#define H 64

/* A 64x64 f32 image of distinct values (no two rows alike). */
static pipit_image_t *
test_image(void)
{
    size_t size[2] = { W, H };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
    CU_ASSERT_FATAL(img != NULL);
    float *p = pipit_image_data_writable(img);
    for (size_t i = 0; i < W * H; i++)
        p[i] = (float)((i * 7919u) % 1009u) * 0.25f - 50.0f;
    return img;
}

/* A: a node in front of the constant image, so that fan-out is from a
 * node that runs (and whose runs are counted). */
static pipit_node_t *
node_a(pipit_image_t *img)
{
    pipit_node_t *a = pipit_shift_scale_new(0.0, 1.0);
    CU_ASSERT_FATAL(a != NULL);
    CU_ASSERT_FATAL(pipit_node_set_input_image(a, 0, img) == PIPIT_OK);
    return a;
}

typedef struct {
    float *dst;
    size_t pieces;
} collect_t;

static pipit_status_t
collect(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    collect_t *c = user;
    c->pieces++;
    for (size_t y = r->lo[1]; y < r->hi[1]; y++)
        for (size_t x = r->lo[0]; x < r->hi[0]; x++) {
            size_t idx[2] = { x, y };
            c->dst[y * W + x] = *(const float *)pipit_image_pixel(piece, idx);
        }
    return PIPIT_OK;
}

/* Streams output 0 of n in pieces of `rows` rows; the pixels in dst. */
static size_t
stream_rows(pipit_node_t *n, size_t rows, float *dst)
{
    collect_t c = { dst, 0 };
    pipit_status_t st =
        pipit_node_stream(n, 0, rows * W * sizeof(float), collect, &c);
    if (st != PIPIT_OK)
        fprintf(stderr, "\nstream: %s\n", pipit_error_message());
    CU_ASSERT_EQUAL(st, PIPIT_OK);
    return c.pieces;
}

static const size_t piece_rows[] = { 1, 3, 8, 17, 64 };
static const unsigned thread_counts[] = { 1, 2, 3, 7 };

/* ---- fan-out: add(A, flip_y(A)) ------------------------------------- */

static void
test_fanout_add_flip(void)
{
    pipit_image_t *img = test_image();
    const float *src = pipit_image_data(img);
    float *want = malloc(W * H * sizeof *want), *got = malloc(W * H * 4);
    CU_ASSERT_FATAL(want != NULL && got != NULL);
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++)
            want[y * W + x] = src[y * W + x] + src[(H - 1 - y) * W + x];
    for (size_t t = 0; t < sizeof thread_counts / sizeof *thread_counts; t++)
        for (size_t k = 0; k < sizeof piece_rows / sizeof *piece_rows; k++) {
            CU_ASSERT_FATAL(pipit_pool_set_threads(thread_counts[t]) ==
                            PIPIT_OK);
            pipit_node_t *a = node_a(img);
            bool axes[2] = { false, true };
            pipit_node_t *f = pipit_flip_new(2, axes);
            pipit_node_t *s = pipit_add_new(0.0);
            CU_ASSERT_FATAL(f != NULL && s != NULL);
            CU_ASSERT_EQUAL(pipit_node_set_input(f, 0, a, 0), PIPIT_OK);
            CU_ASSERT_EQUAL(pipit_node_set_input(s, 0, a, 0), PIPIT_OK);
            CU_ASSERT_EQUAL(pipit_node_set_input(s, 1, f, 0), PIPIT_OK);
            memset(got, 0, W * H * sizeof *got);
            size_t pieces = stream_rows(s, piece_rows[k], got);
            CU_ASSERT_EQUAL(memcmp(got, want, W * H * sizeof *got), 0);
            /* Each node at most once per piece. */
            CU_ASSERT(pipit_node_runs(a) <= pieces);
            CU_ASSERT_EQUAL(pipit_node_runs(f), pieces);
            CU_ASSERT_EQUAL(pipit_node_runs(s), pieces);
            /* The whole update of the same graph gives the same bits. */
            CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
            CU_ASSERT_EQUAL(memcmp(pipit_image_data(pipit_node_get_output(s, 0)),
                                   want, W * H * sizeof *got),
                            0);
            pipit_node_unref(s);
            pipit_node_unref(f);
            pipit_node_unref(a);
        }
    pipit_pool_set_threads(0);
    free(want);
    free(got);
    pipit_image_unref(img);
}

/* ---- fan-out: resample whose input and reference grid are one node -- */

static void
test_fanout_resample(void)
{
    pipit_image_t *img = test_image();
    float *got = malloc(W * H * sizeof *got);
    CU_ASSERT_FATAL(got != NULL);
    for (size_t k = 0; k < sizeof piece_rows / sizeof *piece_rows; k++) {
        pipit_node_t *a = node_a(img);
        pipit_node_t *r = pipit_resample_new();
        CU_ASSERT_FATAL(r != NULL);
        CU_ASSERT_EQUAL(pipit_node_set(r, "interpolator", "linear"), PIPIT_OK);
        CU_ASSERT_EQUAL(pipit_node_set_input(r, 0, a, 0), PIPIT_OK);
        CU_ASSERT_EQUAL(pipit_node_set_input(r, 1, a, 0), PIPIT_OK);
        memset(got, 0, W * H * sizeof *got);
        size_t pieces = stream_rows(r, piece_rows[k], got);
        /* The identity on the input's own grid copies it bit for bit. */
        CU_ASSERT_EQUAL(memcmp(got, pipit_image_data(img), W * H * 4), 0);
        CU_ASSERT(pipit_node_runs(a) <= pieces);
        CU_ASSERT(pipit_node_runs(r) <= pieces);
        pipit_node_unref(r);
        pipit_node_unref(a);
    }
    free(got);
    pipit_image_unref(img);
}

/* ---- three consumers: add(add(flip(A), mean(A)), abs(A)) ------------ */

typedef struct {
    pipit_node_t *a, *flip, *mean, *abs, *sum1, *out;
} three_t;

static void
three_build(three_t *g, pipit_image_t *img)
{
    bool axes[2] = { true, true };
    g->a = node_a(img);
    g->flip = pipit_flip_new(2, axes);
    g->mean = pipit_mean_new(2);
    g->abs = pipit_abs_new();
    g->sum1 = pipit_add_new(0.0);
    g->out = pipit_add_new(0.0);
    CU_ASSERT_FATAL(g->flip && g->mean && g->abs && g->sum1 && g->out);
    CU_ASSERT_EQUAL(pipit_node_set_input(g->flip, 0, g->a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(g->mean, 0, g->a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(g->abs, 0, g->a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(g->sum1, 0, g->flip, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(g->sum1, 1, g->mean, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(g->out, 0, g->sum1, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(g->out, 1, g->abs, 0), PIPIT_OK);
}

static void
three_free(three_t *g)
{
    pipit_node_unref(g->out);
    pipit_node_unref(g->sum1);
    pipit_node_unref(g->abs);
    pipit_node_unref(g->mean);
    pipit_node_unref(g->flip);
    pipit_node_unref(g->a);
}

static void
test_three_consumers(void)
{
    pipit_image_t *img = test_image();
    float *want = malloc(W * H * 4), *got = malloc(W * H * 4);
    CU_ASSERT_FATAL(want != NULL && got != NULL);
    three_t ref;
    three_build(&ref, img);
    CU_ASSERT_FATAL(pipit_node_update(ref.out) == PIPIT_OK);
    memcpy(want, pipit_image_data(pipit_node_get_output(ref.out, 0)),
           W * H * 4);
    /* Each node of the whole update ran exactly once. */
    CU_ASSERT_EQUAL(pipit_node_runs(ref.a), 1);
    CU_ASSERT_EQUAL(pipit_node_runs(ref.flip), 1);
    CU_ASSERT_EQUAL(pipit_node_runs(ref.mean), 1);
    CU_ASSERT_EQUAL(pipit_node_runs(ref.out), 1);
    /* And nothing runs again when nothing changed. */
    CU_ASSERT_EQUAL(pipit_node_update(ref.out), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(ref.a), 1);
    CU_ASSERT_EQUAL(pipit_node_runs(ref.out), 1);
    for (size_t t = 0; t < sizeof thread_counts / sizeof *thread_counts; t++)
        for (size_t k = 0; k < sizeof piece_rows / sizeof *piece_rows; k++) {
            pipit_pool_set_threads(thread_counts[t]);
            three_t g;
            three_build(&g, img);
            memset(got, 0, W * H * 4);
            size_t pieces = stream_rows(g.out, piece_rows[k], got);
            CU_ASSERT_EQUAL(memcmp(got, want, W * H * 4), 0);
            pipit_node_t *all[] = { g.a, g.flip, g.mean, g.abs, g.sum1, g.out };
            for (size_t i = 0; i < 6; i++)
                CU_ASSERT(pipit_node_runs(all[i]) <= pieces);
            three_free(&g);
        }
    pipit_pool_set_threads(0);
    three_free(&ref);
    free(want);
    free(got);
    pipit_image_unref(img);
}

/* ---- a whole-input consumer beside a streaming one ------------------ */

static void
test_whole_and_streaming(void)
{
    pipit_image_t *img = test_image();
    float *want = malloc(W * H * 4), *got = malloc(W * H * 4);
    CU_ASSERT_FATAL(want != NULL && got != NULL);
    for (size_t k = 0; k < sizeof piece_rows / sizeof *piece_rows; k++)
        for (int pass = 0; pass < 2; pass++) {
            pipit_node_t *a = node_a(img);
            pipit_node_t *rescale = pipit_rescale_intensity_new(0.0, 1.0);
            pipit_node_t *s = pipit_add_new(0.0);
            CU_ASSERT_FATAL(rescale != NULL && s != NULL);
            CU_ASSERT_EQUAL(pipit_node_set_input(rescale, 0, a, 0), PIPIT_OK);
            CU_ASSERT_EQUAL(pipit_node_set_input(s, 0, a, 0), PIPIT_OK);
            CU_ASSERT_EQUAL(pipit_node_set_input(s, 1, rescale, 0), PIPIT_OK);
            if (pass == 0) {
                CU_ASSERT_FATAL(pipit_node_update(s) == PIPIT_OK);
                memcpy(want, pipit_image_data(pipit_node_get_output(s, 0)),
                       W * H * 4);
            } else {
                memset(got, 0, W * H * 4);
                size_t pieces = stream_rows(s, piece_rows[k], got);
                CU_ASSERT_EQUAL(memcmp(got, want, W * H * 4), 0);
                /* rescale needs all of A for any piece: both run once,
                 * and the later pieces find their pixels made. */
                CU_ASSERT_EQUAL(pipit_node_runs(a), 1);
                CU_ASSERT_EQUAL(pipit_node_runs(rescale), 1);
                CU_ASSERT_EQUAL(pipit_node_runs(s), pieces);
            }
            pipit_node_unref(s);
            pipit_node_unref(rescale);
            pipit_node_unref(a);
        }
    free(want);
    free(got);
    pipit_image_unref(img);
}

/* ---- ports of other kinds, with node classes written here ----------- */

/* shift: out = in + the transform's first parameter + the map's
 * "Offset" (0 when absent) + the table's "mean" (0 when absent). */
typedef struct {
    pipit_node_t base;
    double add;
} shift_t;

static pipit_status_t
shift_before(pipit_node_t *n)
{
    shift_t *s = (shift_t *)n;
    s->add = 0.0;
    const pipit_transform_t *t = pipit__input_transform(n, 1);
    if (t != NULL)
        s->add += pipit_transform_parameters(t)[0];
    pipit_params_list_t *l = pipit_data_params(pipit__input_data(n, 2));
    double off = 0.0;
    if (l != NULL &&
        pipit_params_get_double(pipit_params_list_get(l, 0), "Offset", 0, 0.0,
                                &off) != PIPIT_OK)
        return PIPIT_EINVAL;
    s->add += off;
    pipit_table_t *tab = pipit_data_table(pipit__input_data(n, 3));
    double v;
    if (tab != NULL && pipit_table_get_double(tab, "mean", &v) == PIPIT_OK)
        s->add += v;
    return PIPIT_OK;
}

static pipit_status_t
shift_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const shift_t *s = (const shift_t *)n;
    const pipit_region_t *r = &p->region;
    for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
        const float *a = pipit__row_f32(pipit__input(n, 0), y, 0);
        float *o = pipit__row_f32(pipit__output(n, 0), y, 0);
        for (size_t x = r->lo[0]; x < r->hi[0]; x++)
            o[x] = (float)(a[x] + s->add);
    }
    return PIPIT_OK;
}

static const pipit_node_class_t shift_class = {
    .name = "test-shift",
    .size = sizeof(shift_t),
    .n_inputs = 4,
    .n_outputs = 1,
    .optional_inputs = 0xe,
    .input_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TRANSFORM,
                     PIPIT_DATA_PARAMS, PIPIT_DATA_TABLE },
    .information = pipit_node_information_same,
    .before = shift_before,
    .threaded = shift_threaded,
};

/* mean-of: a transform (translation by the input's mean) and a table
 * ("mean"), made from an image: non-image outputs. */
static pipit_status_t
mean_of_information(pipit_node_t *n)
{
    return pipit__input(n, 0) != NULL ? PIPIT_OK : PIPIT_EINVAL;
}

static pipit_status_t
mean_of_generate(pipit_node_t *n)
{
    const pipit_image_t *in = pipit__input(n, 0);
    const float *p = pipit_image_data(in);
    double sum = 0.0;
    size_t count = pipit_region_count(&in->buffered);
    for (size_t i = 0; i < count; i++)
        sum += p[i];
    double mean[2] = { sum / (double)count, 0.0 };
    pipit_transform_t *t = pipit_translation_transform_new(2);
    if (t == NULL)
        return PIPIT_ENOMEM;
    pipit_status_t st = pipit_transform_set_parameters(t, mean, 2);
    if (st == PIPIT_OK)
        st = pipit_node_set_output(n, 0, PIPIT_DATA(t));
    pipit_transform_unref(t);
    if (st == PIPIT_OK)
        st = pipit_table_set_double(pipit__output_table(n, 1), "mean", mean[0]);
    return st;
}

static const pipit_node_class_t mean_of_class = {
    .name = "test-mean-of",
    .size = sizeof(pipit_node_t),
    .n_inputs = 1,
    .n_outputs = 2,
    .output_kinds = { PIPIT_DATA_TRANSFORM, PIPIT_DATA_TABLE },
    .information = mean_of_information,
    .request = pipit_node_request_all,
    .generate = mean_of_generate,
};

static float
first_pixel(pipit_node_t *n)
{
    return ((const float *)pipit_image_data(pipit_node_get_output(n, 0)))[0];
}

static void
test_transform_port(void)
{
    pipit_image_t *img = test_image();
    float v0 = ((const float *)pipit_image_data(img))[0];
    pipit_node_t *s = pipit_node_new(&shift_class);
    pipit_transform_t *t = pipit_translation_transform_new(2);
    CU_ASSERT_FATAL(s != NULL && t != NULL);
    CU_ASSERT_EQUAL(pipit_node_set_input_image(s, 0, img), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input_transform(s, 1, t), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(s), v0);
    double p[2] = { 5.0, 0.0 };
    CU_ASSERT_EQUAL(pipit_transform_set_parameters(t, p, 2), PIPIT_OK);
    /* No pipit_node_modified: the port watches the transform. */
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(s), v0 + 5.0f);
    CU_ASSERT_EQUAL(pipit_node_runs(s), 2);
    /* The same parameters again change nothing. */
    CU_ASSERT_EQUAL(pipit_transform_set_parameters(t, p, 2), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(s), 2);
    /* Nor does connecting what is connected. */
    CU_ASSERT_EQUAL(pipit_node_set_input_transform(s, 1, t), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(s), 2);
    pipit_transform_unref(t);
    pipit_node_unref(s);
    pipit_image_unref(img);
}

static void
test_params_port(void)
{
    pipit_image_t *img = test_image();
    float v0 = ((const float *)pipit_image_data(img))[0];
    pipit_node_t *s = pipit_node_new(&shift_class);
    pipit_params_t *map = pipit_params_new();
    CU_ASSERT_FATAL(s != NULL && map != NULL);
    CU_ASSERT_EQUAL(pipit_params_set_string(map, "Offset", "2"), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input_image(s, 0, img), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input_params(s, 2, map), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(s), v0 + 2.0f);
    CU_ASSERT_EQUAL(pipit_params_set_string(map, "Offset", "2"), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(s), 1);
    CU_ASSERT_EQUAL(pipit_node_set_input_params(s, 2, map), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(s), 1);
    CU_ASSERT_EQUAL(pipit_params_set_string(map, "Offset", "3"), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(s), v0 + 3.0f);
    CU_ASSERT_EQUAL(pipit_node_runs(s), 2);
    pipit_params_unref(map);
    pipit_node_unref(s);
    pipit_image_unref(img);
}

/* An upstream node's transform and table outputs feed a consumer: the
 * producer runs before the consumer needs them, once per change. */
static void
test_transform_and_table_outputs(void)
{
    pipit_image_t *img = test_image();
    const float *src = pipit_image_data(img);
    double sum = 0.0;
    for (size_t i = 0; i < W * H; i++)
        sum += src[i];
    double mean = sum / (W * H);
    pipit_node_t *a = node_a(img);
    pipit_node_t *m = pipit_node_new(&mean_of_class);
    pipit_node_t *s = pipit_node_new(&shift_class);
    CU_ASSERT_FATAL(m != NULL && s != NULL);
    CU_ASSERT_EQUAL(pipit_node_set_input(m, 0, a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 0, a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 1, m, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 3, m, 1), PIPIT_OK);
    float *got = malloc(W * H * 4);
    CU_ASSERT_FATAL(got != NULL);
    size_t pieces = stream_rows(s, 8, got);
    for (size_t i = 0; i < W * H; i++)
        if (got[i] != (float)(src[i] + 2.0 * mean)) {
            CU_FAIL("shifted by transform and table");
            break;
        }
    CU_ASSERT_EQUAL(pipit_node_runs(m), 1);
    /* m asked all of A at the first piece, so A ran once. */
    CU_ASSERT_EQUAL(pipit_node_runs(a), 1);
    CU_ASSERT_EQUAL(pipit_node_runs(s), pieces);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(m), 1);
    /* A change upstream re-runs the producer and the consumer. */
    CU_ASSERT_EQUAL(pipit_node_set_double(a, "shift", 1.0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(s), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(m), 2);
    CU_ASSERT_DOUBLE_EQUAL(
        pipit_transform_parameters(pipit_node_get_output_transform(m, 0))[0],
        mean + 1.0, 1e-9);
    free(got);
    pipit_node_unref(s);
    pipit_node_unref(m);
    pipit_node_unref(a);
    pipit_image_unref(img);
}

/* A filter's table output (statistics) read by another node, streamed:
 * statistics needs its whole input, so it runs once. */
static void
test_statistics_table(void)
{
    pipit_image_t *img = test_image();
    const float *src = pipit_image_data(img);
    pipit_node_t *a = node_a(img);
    pipit_node_t *st = pipit_statistics_new();
    pipit_node_t *s = pipit_node_new(&shift_class);
    CU_ASSERT_FATAL(st != NULL && s != NULL);
    CU_ASSERT_EQUAL(pipit_node_set_input(st, 0, a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 0, st, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 3, st, 1), PIPIT_OK);
    float *got = malloc(W * H * 4);
    CU_ASSERT_FATAL(got != NULL);
    size_t pieces = stream_rows(s, 5, got);
    pipit_statistics_t f;
    CU_ASSERT_EQUAL(pipit_statistics_get(st, &f), PIPIT_OK);
    double mean;
    CU_ASSERT_EQUAL(pipit_table_get_double(pipit_node_get_output_table(st, 1),
                                           "mean", &mean),
                    PIPIT_OK);
    CU_ASSERT_EQUAL(mean, f.mean);
    double sum = 0.0;
    for (size_t i = 0; i < W * H; i++)
        sum += src[i];
    CU_ASSERT_DOUBLE_EQUAL(mean, sum / (W * H), 1e-9);
    bool same = true;
    for (size_t i = 0; i < W * H; i++)
        same = same && got[i] == (float)(src[i] + mean);
    CU_ASSERT(same);
    CU_ASSERT_EQUAL(pipit_node_runs(st), 1);
    CU_ASSERT_EQUAL(pipit_node_runs(a), 1);
    CU_ASSERT_EQUAL(pipit_node_runs(s), pieces);
    /* An unknown figure names what the table has. */
    CU_ASSERT_EQUAL(pipit_table_get_double(pipit_node_get_output_table(st, 1),
                                           "median", &mean),
                    PIPIT_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "sigma"));
    free(got);
    pipit_node_unref(s);
    pipit_node_unref(st);
    pipit_node_unref(a);
    pipit_image_unref(img);
}

/* resample and warp read their transform on a port: a constant one
 * whose parameters change, then one made upstream, streamed. */
static void
test_resample_warp_transform_port(void)
{
    pipit_image_t *img = test_image();
    const float *src = pipit_image_data(img);
    pipit_node_t *r = pipit_resample_new();
    pipit_node_t *w = pipit_warp_new();
    pipit_transform_t *t = pipit_translation_transform_new(2);
    size_t size[2] = { W, H };
    pipit_image_t *field = pipit_image_new(2, size, PIPIT_F32, 2);
    CU_ASSERT_FATAL(r && w && t && field);
    memset(pipit_image_data_writable(field), 0, W * H * 2 * sizeof(float));
    CU_ASSERT_EQUAL(pipit_node_set(r, "interpolator", "nearest"), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set(w, "interpolator", "nearest"), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input_image(r, 0, img), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input_transform(r, 2, t), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input_image(w, 0, img), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input_image(w, 1, field), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input_transform(w, 2, t), PIPIT_OK);
    for (int shift = 0; shift <= 3; shift += 3) {
        double p[2] = { (double)shift, 2.0 * shift };
        CU_ASSERT_EQUAL(pipit_transform_set_parameters(t, p, 2), PIPIT_OK);
        CU_ASSERT_EQUAL(pipit_node_update(r), PIPIT_OK);
        CU_ASSERT_EQUAL(pipit_node_update(w), PIPIT_OK);
        const float *a = pipit_image_data(pipit_node_get_output(r, 0));
        const float *b = pipit_image_data(pipit_node_get_output(w, 0));
        bool ok = true;
        /* out(x, y) = in(x + s, y + 2s), 0 outside */
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++) {
                size_t sx = x + (size_t)shift, sy = y + 2u * (size_t)shift;
                float want = sx < W && sy < H ? src[sy * W + sx] : 0.0f;
                ok = ok && a[y * W + x] == want && b[y * W + x] == want;
            }
        CU_ASSERT(ok);
    }
    CU_ASSERT_EQUAL(pipit_node_runs(r), 2);
    CU_ASSERT_EQUAL(pipit_node_update(r), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(r), 2);
    /* the wrapper connects the same port */
    CU_ASSERT_EQUAL(pipit_resample_set_transform(r, NULL), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(r), PIPIT_OK);
    CU_ASSERT_EQUAL(memcmp(pipit_image_data(pipit_node_get_output(r, 0)), src,
                           W * H * 4),
                    0);
    /* a transform made upstream (translation by the image's mean along
     * x), streamed: the same as the constant one with those values */
    pipit_node_t *a = node_a(img);
    pipit_node_t *m = pipit_node_new(&mean_of_class);
    pipit_node_t *r2 = pipit_resample_new();
    CU_ASSERT_FATAL(m != NULL && r2 != NULL);
    CU_ASSERT_EQUAL(pipit_node_set(r2, "interpolator", "linear"), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(m, 0, a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(r2, 0, a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(r2, 2, m, 0), PIPIT_OK);
    float *got = malloc(W * H * 4);
    CU_ASSERT_FATAL(got != NULL);
    stream_rows(r2, 8, got);
    const double *mp =
        pipit_transform_parameters(pipit_node_get_output_transform(m, 0));
    CU_ASSERT_EQUAL(pipit_transform_set_parameters(t, mp, 2), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set(r, "interpolator", "linear"), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_resample_set_transform(r, t), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(r), PIPIT_OK);
    CU_ASSERT_EQUAL(memcmp(got, pipit_image_data(pipit_node_get_output(r, 0)),
                           W * H * 4),
                    0);
    CU_ASSERT_EQUAL(pipit_node_runs(m), 1);
    free(got);
    pipit_node_unref(r2);
    pipit_node_unref(m);
    pipit_node_unref(a);
    pipit_image_unref(field);
    pipit_transform_unref(t);
    pipit_node_unref(w);
    pipit_node_unref(r);
    pipit_image_unref(img);
}

static void
test_wrong_kinds(void)
{
    pipit_image_t *img = test_image();
    pipit_node_t *m = pipit_node_new(&mean_of_class);
    pipit_node_t *s = pipit_node_new(&shift_class);
    pipit_transform_t *t = pipit_translation_transform_new(2);
    CU_ASSERT_FATAL(m != NULL && s != NULL && t != NULL);
    /* a table output into a transform input */
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 1, m, 1), PIPIT_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "takes a transform"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "is a table"));
    /* a transform where an image goes, and an image where a transform */
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 0, m, 0), PIPIT_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "takes a image") ||
                           strstr(pipit_error_message(), "image"));
    CU_ASSERT_EQUAL(pipit_node_set_input_image(s, 1, img), PIPIT_EINVAL);
    CU_ASSERT_EQUAL(pipit_node_set_input_transform(s, 0, t), PIPIT_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "transform"));
    /* an image output asked for as a transform */
    CU_ASSERT_PTR_NULL(pipit_node_get_output_transform(s, 0));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "is a image") ||
                           strstr(pipit_error_message(), "not a transform"));
    CU_ASSERT_PTR_NULL(pipit_node_get_output(m, 0));
    /* NULL nodes are refused, not crashed on */
    pipit_node_set_progress(NULL, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL(pipit_node_name(NULL));
    CU_ASSERT_EQUAL(pipit_node_update(NULL), PIPIT_EINVAL);
    pipit_transform_unref(t);
    pipit_node_unref(s);
    pipit_node_unref(m);
    pipit_image_unref(img);
}

/* ---- one pipeline, two threads -------------------------------------- */

static atomic_int gate_state; /* 0 idle, 1 inside generate, 2 released */

static pipit_status_t
gate_generate(pipit_node_t *n)
{
    (void)n;
    atomic_store(&gate_state, 1);
    while (atomic_load(&gate_state) != 2)
        sched_yield();
    return pipit_image_set_value(pipit__output(n, 0), (size_t[]){ 0, 0 }, 0,
                                 1.0);
}

static pipit_status_t
gate_information(pipit_node_t *n)
{
    size_t size[2] = { 4, 4 };
    return pipit_image_set_shape(pipit__output(n, 0), 2, size, PIPIT_F32, 1);
}

static const pipit_node_class_t gate_class = {
    .name = "test-gate",
    .size = sizeof(pipit_node_t),
    .n_outputs = 1,
    .information = gate_information,
    .generate = gate_generate,
};

static void *
update_thread(void *arg)
{
    pipit_status_t *st = malloc(sizeof *st);
    *st = pipit_node_update(arg);
    return st;
}

static void
test_two_threads_refused(void)
{
    pipit_node_t *g = pipit_node_new(&gate_class);
    pipit_node_t *b = pipit_add_new(1.0);
    CU_ASSERT_FATAL(g != NULL && b != NULL);
    CU_ASSERT_EQUAL(pipit_node_set_input(b, 0, g, 0), PIPIT_OK);
    atomic_store(&gate_state, 0);
    pthread_t th;
    CU_ASSERT_FATAL(pthread_create(&th, NULL, update_thread, b) == 0);
    while (atomic_load(&gate_state) != 1)
        sched_yield();
    /* The other thread is inside g: both g and b are refused here. */
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "another thread"));
    CU_ASSERT_EQUAL(pipit_node_update(g), PIPIT_ESTATE);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "test-gate"));
    atomic_store(&gate_state, 2);
    void *ret;
    pthread_join(th, &ret);
    CU_ASSERT_EQUAL(*(pipit_status_t *)ret, PIPIT_OK);
    free(ret);
    /* Then this thread may update it, and it is already up to date. */
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_runs(g), 1);
    CU_ASSERT_EQUAL(first_pixel(b), 2.0f);
    pipit_node_unref(b);
    pipit_node_unref(g);
}

/*
 * The walk order is kept between updates: every change of a connection,
 * anywhere upstream, must still be seen. c1 -> a -> b; then b reads c2
 * directly, then a is put back with a third source spliced under it,
 * then an input is cut (an error, not a stale result). Values are sums
 * of the constants, counted by hand.
 */
static void
test_kept_order_follows_connections(void)
{
    size_t size[2] = { 4, 3 };
    pipit_node_t *c1 = pipit_constant_new(2, size, PIPIT_F32, 1.0);
    pipit_node_t *c2 = pipit_constant_new(2, size, PIPIT_F32, 10.0);
    pipit_node_t *c3 = pipit_constant_new(2, size, PIPIT_F32, 100.0);
    pipit_node_t *a = pipit_add_new(2.0);
    pipit_node_t *b = pipit_add_new(3.0);
    pipit_node_t *s = pipit_add_new(0.5);
    CU_ASSERT_FATAL(c1 && c2 && c3 && a && b && s);
    CU_ASSERT_EQUAL(pipit_node_set_input(a, 0, c1, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(b, 0, a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(b), 6.0f); /* 1 + 2 + 3 */
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_OK); /* kept order */
    CU_ASSERT_EQUAL(first_pixel(b), 6.0f);
    CU_ASSERT_EQUAL(pipit_node_runs(a), 1);
    /* b reads c2 directly: a leaves the graph. */
    CU_ASSERT_EQUAL(pipit_node_set_input(b, 0, c2, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(b), 13.0f);
    CU_ASSERT_EQUAL(pipit_node_runs(a), 1);
    /* Back to a, whose own input (two levels up) changes after b's
     * order was kept: c3 -> s -> a -> b. */
    CU_ASSERT_EQUAL(pipit_node_set_input(b, 0, a, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(b), 6.0f);
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 0, c3, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_set_input(a, 0, s, 0), PIPIT_OK);
    /* c1 is released by a now; the kept order must not touch it. */
    pipit_node_unref(c1);
    c1 = NULL;
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(b), 105.5f); /* 100 + 0.5 + 2 + 3 */
    CU_ASSERT_EQUAL(pipit_node_runs(s), 1);
    /* A setting far upstream still reaches b through the kept order. */
    CU_ASSERT_EQUAL(pipit_node_set_double(c3, "value", 200.0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_OK);
    CU_ASSERT_EQUAL(first_pixel(b), 205.5f);
    /* Cutting an input is seen too. */
    CU_ASSERT_EQUAL(pipit_node_set_input(s, 0, NULL, 0), PIPIT_OK);
    CU_ASSERT_EQUAL(pipit_node_update(b), PIPIT_ESTATE);
    pipit_node_unref(s);
    pipit_node_unref(a);
    pipit_node_unref(b);
    pipit_node_unref(c3);
    pipit_node_unref(c2);
}

const test_case_t test_graph_cases[] = {
    { "fanout_add_flip", test_fanout_add_flip },
    { "fanout_resample", test_fanout_resample },
    { "three_consumers", test_three_consumers },
    { "whole_and_streaming", test_whole_and_streaming },
    { "transform_port", test_transform_port },
    { "params_port", test_params_port },
    { "transform_and_table_outputs", test_transform_and_table_outputs },
    { "statistics_table", test_statistics_table },
    { "resample_warp_transform_port", test_resample_warp_transform_port },
    { "wrong_kinds", test_wrong_kinds },
    { "two_threads_refused", test_two_threads_refused },
    { "kept_order_follows_connections", test_kept_order_follows_connections },
    { NULL, NULL },
};

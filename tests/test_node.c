/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Nodes and the update protocol, with small node classes written here:
 * a ramp source, a y-blur that pads its request, an add filter and a
 * sink that pulls its input piece by piece.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "testutil.h"

#include "buffer_impl.h"
#include "node_impl.h"

static atomic_uint info_calls, before_calls, threaded_calls, after_calls;

static void
reset_counts(void)
{
    atomic_store(&info_calls, 0);
    atomic_store(&before_calls, 0);
    atomic_store(&threaded_calls, 0);
    atomic_store(&after_calls, 0);
}

static unsigned
hook_calls(void)
{
    return atomic_load(&info_calls) + atomic_load(&before_calls) +
           atomic_load(&threaded_calls) + atomic_load(&after_calls);
}

/* ---- ramp: value x + W*y + W*H*z + offset, f32 ---------------------- */

typedef struct {
    pipit_node_t base;
    int64_t width, height, depth;
    double offset;
    int64_t fail_row; /* a piece holding this row fails (-1: none) */
} ramp_t;

static pipit_status_t
ramp_information(pipit_node_t *n)
{
    ramp_t *r = (ramp_t *)n;
    atomic_fetch_add(&info_calls, 1);
    size_t size[3] = { (size_t)r->width, (size_t)r->height, (size_t)r->depth };
    return pipit__image_set_shape(pipit__output(n, 0), r->depth > 1 ? 3 : 2,
                                  size, PIPIT_F32, 1);
}

static pipit_status_t
ramp_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const ramp_t *r = (const ramp_t *)n;
    const pipit_region_t *g = &p->region;
    atomic_fetch_add(&threaded_calls, 1);
    if (r->fail_row >= (int64_t)g->lo[1] && r->fail_row < (int64_t)g->hi[1])
        return pipit__node_error(n, PIPIT_EIO, "row %lld failed",
                                 (long long)r->fail_row);
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            float *row = pipit__row_f32(pipit__output(n, 0), y, z);
            for (size_t x = g->lo[0]; x < g->hi[0]; x++)
                row[x] = (float)(x + (size_t)r->width *
                                         (y + (size_t)r->height * z)) +
                         (float)r->offset;
        }
    return PIPIT_OK;
}

static const pipit_setting_t ramp_settings[] = {
    { "width", PIPIT_SETTING_INT, offsetof(ramp_t, width), "16", "pixels",
      1, 1e6, NULL },
    { "height", PIPIT_SETTING_INT, offsetof(ramp_t, height), "16", "rows",
      1, 1e6, NULL },
    { "depth", PIPIT_SETTING_INT, offsetof(ramp_t, depth), "1", "slices",
      1, 1e6, NULL },
    { "offset", PIPIT_SETTING_DOUBLE, offsetof(ramp_t, offset), "0",
      "added to every pixel", 1, 0, NULL },
    { "fail-row", PIPIT_SETTING_INT, offsetof(ramp_t, fail_row), "-1",
      "make the piece holding this row fail", 1, 0, NULL },
};

static const pipit_node_class_t ramp_class = {
    .name = "ramp", .help = "a test source", .size = sizeof(ramp_t),
    .n_inputs = 0, .n_outputs = 1,
    .settings = ramp_settings, .n_settings = 5,
    .information = ramp_information,
    .threaded = ramp_threaded,
};

/* ---- add: out = in + constant ------------------------------------- */

typedef struct {
    pipit_node_t base;
    double constant;
} add_t;

static pipit_status_t
add_information(pipit_node_t *n)
{
    atomic_fetch_add(&info_calls, 1);
    return pipit__information_same(n);
}

static pipit_status_t
add_before(pipit_node_t *n)
{
    atomic_fetch_add(&before_calls, 1);
    return PIPIT_OK;
}

static pipit_status_t
add_after(pipit_node_t *n)
{
    atomic_fetch_add(&after_calls, 1);
    return PIPIT_OK;
}

static pipit_status_t
add_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const add_t *a = (const add_t *)n;
    const pipit_region_t *g = &p->region;
    atomic_fetch_add(&threaded_calls, 1);
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            const float *src = pipit__row_f32(pipit__input(n, 0), y, z);
            float *dst = pipit__row_f32(pipit__output(n, 0), y, z);
            for (size_t x = g->lo[0]; x < g->hi[0]; x++)
                dst[x] = src[x] + (float)a->constant;
        }
    return PIPIT_OK;
}

static const pipit_setting_t add_settings[] = {
    { "constant", PIPIT_SETTING_DOUBLE, offsetof(add_t, constant), "1",
      "value added", -1e30, 1e30, NULL },
};

static const pipit_node_class_t add_class = {
    .name = "add", .size = sizeof(add_t), .n_inputs = 1, .n_outputs = 1,
    .settings = add_settings, .n_settings = 1,
    .information = add_information, .before = add_before,
    .threaded = add_threaded, .after = add_after,
};

/* ---- yblur: out(y) = in(y-1) + in(y) + in(y+1), clamped ------------ */

static pipit_status_t
yblur_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
              pipit_region_t *needed)
{
    size_t radius[2] = { 0, 1 };
    pipit_region_t whole = pipit_image_largest_region(pipit__input(n, input));
    *needed = pipit_region_pad(asked, radius, 2, &whole);
    return PIPIT_OK;
}

static pipit_status_t
yblur_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const pipit_image_t *in = pipit__input(n, 0);
    const pipit_region_t *g = &p->region;
    size_t h = pipit_image_size(in)[1];
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            const float *a = pipit__row_f32(in, y > 0 ? y - 1 : 0, z);
            const float *b = pipit__row_f32(in, y, z);
            const float *c = pipit__row_f32(in, y + 1 < h ? y + 1 : y, z);
            float *dst = pipit__row_f32(pipit__output(n, 0), y, z);
            for (size_t x = g->lo[0]; x < g->hi[0]; x++)
                dst[x] = a[x] + b[x] + c[x];
        }
    return PIPIT_OK;
}

static const pipit_node_class_t yblur_class = {
    .name = "yblur", .size = sizeof(pipit_node_t), .n_inputs = 1,
    .n_outputs = 1, .information = pipit__information_same,
    .request = yblur_request, .threaded = yblur_threaded,
};

/* ---- checksum sink: pulls its input in pieces of `rows` rows --------- */

typedef struct {
    pipit_node_t base;
    int64_t rows;
    double sum;
    size_t pulls;
} checksum_t;

static pipit_status_t
checksum_information(pipit_node_t *n)
{
    return PIPIT_OK;
}

static pipit_status_t
checksum_generate(pipit_node_t *n)
{
    checksum_t *c = (checksum_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_region_t whole = pipit_image_largest_region(in);
    c->sum = 0;
    c->pulls = 0;
    for (size_t y0 = 0; y0 < whole.hi[1]; y0 += (size_t)c->rows) {
        pipit_region_t r = whole;
        r.lo[1] = y0;
        r.hi[1] = y0 + (size_t)c->rows < whole.hi[1] ? y0 + (size_t)c->rows
                                                     : whole.hi[1];
        pipit_status_t st = pipit__input_pull(n, 0, &r);
        if (st != PIPIT_OK)
            return st;
        c->pulls++;
        for (size_t y = r.lo[1]; y < r.hi[1]; y++) {
            const float *row = pipit__row_f32(in, y, 0);
            for (size_t x = r.lo[0]; x < r.hi[0]; x++)
                c->sum += row[x];
        }
        if ((st = pipit__node_progress(n, (double)r.hi[1] / whole.hi[1])))
            return st;
    }
    return PIPIT_OK;
}

static const pipit_setting_t checksum_settings[] = {
    { "rows", PIPIT_SETTING_INT, offsetof(checksum_t, rows), "4",
      "rows per pull", 1, 1e9, NULL },
};

static const pipit_node_class_t checksum_class = {
    .name = "checksum", .size = sizeof(checksum_t), .n_inputs = 1,
    .n_outputs = 0, .settings = checksum_settings, .n_settings = 1,
    .information = checksum_information, .generate = checksum_generate,
};

/* ---- helpers ------------------------------------------------------ */

static pipit_node_t *
make_ramp(int w, int h, int d)
{
    pipit_node_t *r = pipit_node_new(&ramp_class);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    ASSERT_OK(pipit_node_set_int(r, "width", w));
    ASSERT_OK(pipit_node_set_int(r, "height", h));
    ASSERT_OK(pipit_node_set_int(r, "depth", d));
    return r;
}

static pipit_node_t *
make_filter(const pipit_node_class_t *c, pipit_node_t *up)
{
    pipit_node_t *f = pipit_node_new(c);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    ASSERT_OK(pipit_node_set_input(f, 0, up, 0));
    return f;
}

/* The expected value of yblur(ramp) + c at (x, y, z). */
static float
expected_blur_add(size_t x, size_t y, size_t z, size_t w, size_t h, float c)
{
    size_t ys[3] = { y > 0 ? y - 1 : 0, y, y + 1 < h ? y + 1 : y };
    float s = 0;
    for (int k = 0; k < 3; k++)
        s += (float)(x + w * (ys[k] + h * z));
    return s + c;
}

/* ---- tests -------------------------------------------------------- */

static void
test_two_filter_pipeline_and_no_work_twice(void)
{
    pipit_node_t *src = make_ramp(16, 16, 1);
    pipit_node_t *a = make_filter(&add_class, src);
    pipit_node_t *b = make_filter(&add_class, a);
    ASSERT_OK(pipit_node_set(b, "constant", "10"));
    reset_counts();
    ASSERT_OK(pipit_node_update(b));
    CU_ASSERT_EQUAL(atomic_load(&info_calls), 3);
    CU_ASSERT_EQUAL(atomic_load(&before_calls), 2);
    CU_ASSERT_EQUAL(atomic_load(&after_calls), 2);
    const pipit_image_t *out = pipit_node_get_output(b, 0);
    size_t i[2] = { 5, 7 };
    CU_ASSERT_EQUAL(pipit_image_get_value(out, i, 0), 5 + 16 * 7 + 1 + 10);

    /* nothing changed: no hook at all */
    reset_counts();
    ASSERT_OK(pipit_node_update(b));
    CU_ASSERT_EQUAL(hook_calls(), 0);
    /* also not through the slow path (the clock moved elsewhere) */
    pipit_node_t *other = make_ramp(2, 2, 1);
    ASSERT_OK(pipit_node_update(other));
    reset_counts();
    ASSERT_OK(pipit_node_update(b));
    CU_ASSERT_EQUAL(hook_calls(), 0);

    /* a setting of the last filter: only it runs again */
    ASSERT_OK(pipit_node_set_double(b, "constant", 20));
    reset_counts();
    ASSERT_OK(pipit_node_update(b));
    CU_ASSERT_EQUAL(atomic_load(&info_calls), 1);
    CU_ASSERT_EQUAL(atomic_load(&before_calls), 1);
    CU_ASSERT_EQUAL(pipit_image_get_value(out, i, 0), 5 + 16 * 7 + 1 + 20);

    /* a setting of the source: everything runs again */
    ASSERT_OK(pipit_node_set(src, "offset", "100"));
    reset_counts();
    ASSERT_OK(pipit_node_update(b));
    CU_ASSERT_EQUAL(atomic_load(&info_calls), 3);
    CU_ASSERT_EQUAL(atomic_load(&before_calls), 2);
    CU_ASSERT_EQUAL(pipit_image_get_value(out, i, 0),
                    5 + 16 * 7 + 100 + 1 + 20);
    pipit_node_unref(other);
    pipit_node_unref(src);
    pipit_node_unref(a);
    /* b holds what it needs: the pipeline lives on through it */
    ASSERT_OK(pipit_node_set_double(b, "constant", 0));
    ASSERT_OK(pipit_node_update(b));
    CU_ASSERT_EQUAL(pipit_image_get_value(out, i, 0), 5 + 16 * 7 + 100 + 1);
    pipit_node_unref(b);
}

static void
test_constant_image_input_change_reruns(void)
{
    size_t size[2] = { 3, 2 }, i[2] = { 2, 1 };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
    pipit_node_t *a = pipit_node_new(&add_class);
    ASSERT_OK(pipit_node_set_input_image(a, 0, img));
    ASSERT_OK(pipit_node_update(a));
    CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(a, 0), i, 0),
                    1.0);
    float *px = pipit_image_data_writable(img);
    px[5] = 41;
    reset_counts();
    ASSERT_OK(pipit_node_update(a));
    CU_ASSERT_EQUAL(atomic_load(&before_calls), 1);
    CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(a, 0), i, 0),
                    42.0);
    pipit_node_unref(a);
    pipit_image_unref(img);
}

static void
test_bit_identical_any_threads_and_streamed(void)
{
    static const size_t shapes[][3] = {
        { 1, 1, 1 }, { 7, 3, 1 }, { 31, 29, 1 }, { 13, 11, 5 }, { 64, 64, 4 },
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t w = shapes[s][0], h = shapes[s][1], d = shapes[s][2];
        for (size_t t = 0; t < 4; t++) {
            ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
            pipit_node_t *src = make_ramp((int)w, (int)h, (int)d);
            pipit_node_t *blur = make_filter(&yblur_class, src);
            pipit_node_t *add = make_filter(&add_class, blur);
            ASSERT_OK(pipit_node_set(add, "constant", "0.5"));
            ASSERT_OK(pipit_node_update(add));
            const pipit_image_t *out = pipit_node_get_output(add, 0);
            size_t bad = 0;
            for (size_t z = 0; z < d; z++)
                for (size_t y = 0; y < h; y++)
                    for (size_t x = 0; x < w; x++) {
                        size_t idx[3] = { x, y, z };
                        float e = expected_blur_add(x, y, z, w, h, 0.5f);
                        bad += pipit_image_get_value(out, idx, 0) != e;
                    }
            CU_ASSERT_EQUAL(bad, 0);
            pipit_node_unref(src);
            pipit_node_unref(blur);
            pipit_node_unref(add);
        }
    }
    ASSERT_OK(pipit_pool_set_threads(0));
}

typedef struct {
    size_t pieces, bad, pixels;
    size_t w, h;
} stream_check_t;

static pipit_status_t
check_piece(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    stream_check_t *c = user;
    pipit_region_t held = pipit_image_buffered_region(piece);
    c->bad += !pipit_region_equal(&held, r);
    for (size_t z = r->lo[2]; z < r->hi[2]; z++)
        for (size_t y = r->lo[1]; y < r->hi[1]; y++)
            for (size_t x = r->lo[0]; x < r->hi[0]; x++) {
                size_t idx[3] = { x, y, z };
                c->bad += pipit_image_get_value(piece, idx, 0) !=
                          expected_blur_add(x, y, z, c->w, c->h, 1.0f);
                c->pixels++;
            }
    c->pieces++;
    return PIPIT_OK;
}

static void
test_streaming_holds_one_piece(void)
{
    const size_t w = 64, h = 64, d = 64; /* 1 MiB of f32 */
    pipit_node_t *src = make_ramp((int)w, (int)h, (int)d);
    pipit_node_t *blur = make_filter(&yblur_class, src);
    pipit_node_t *add = make_filter(&add_class, blur);
    size_t live = pipit__buffer_live_bytes();
    pipit__buffer_peak_bytes(true);
    stream_check_t c = { 0, 0, 0, w, h };
    const size_t piece = w * h * 4; /* one slice */
    ASSERT_OK(pipit_node_stream(add, 0, piece, check_piece, &c));
    size_t peak = pipit__buffer_peak_bytes(true) - live;
    CU_ASSERT_EQUAL(c.pieces, d);
    CU_ASSERT_EQUAL(c.pixels, w * h * d);
    CU_ASSERT_EQUAL(c.bad, 0);
    /* three nodes, each holding one slice at a time */
    CU_ASSERT_TRUE(peak <= 3 * piece);
    CU_ASSERT_TRUE(peak >= piece);
    /* the whole update, for scale: all three hold the whole image */
    ASSERT_OK(pipit_node_update(add));
    CU_ASSERT_TRUE(pipit__buffer_peak_bytes(true) - live >= 3 * w * h * d * 4);
    pipit_node_unref(src);
    pipit_node_unref(blur);
    pipit_node_unref(add);
}

static void
test_update_region_computes_only_that(void)
{
    pipit_node_t *src = make_ramp(50, 40, 1);
    pipit_node_t *blur = make_filter(&yblur_class, src);
    size_t lo[2] = { 0, 10 }, sz[2] = { 50, 5 };
    pipit_region_t r = pipit_region_make(2, lo, sz);
    ASSERT_OK(pipit_node_update_region(blur, 0, &r));
    pipit_region_t held = pipit_image_buffered_region(pipit_node_get_output(blur, 0));
    CU_ASSERT_TRUE(pipit_region_equal(&held, &r));
    /* the source was asked for one more row each side */
    held = pipit_image_buffered_region(pipit_node_get_output(src, 0));
    CU_ASSERT_EQUAL(held.lo[1], 9);
    CU_ASSERT_EQUAL(held.hi[1], 16);
    size_t idx[2] = { 3, 12 };
    CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(blur, 0), idx,
                                          0),
                    expected_blur_add(3, 12, 0, 50, 40, 0));
    size_t bad_lo[2] = { 0, 38 }, bad_sz[2] = { 50, 5 };
    pipit_region_t outside = pipit_region_make(2, bad_lo, bad_sz);
    ASSERT_FAILS_WITH(pipit_node_update_region(blur, 0, &outside),
                      PIPIT_EINVAL, "outside");
    pipit_node_unref(src);
    pipit_node_unref(blur);
}

static void
test_sink_pulls_pieces(void)
{
    pipit_node_t *src = make_ramp(10, 33, 1);
    pipit_node_t *sink = pipit_node_new(&checksum_class);
    ASSERT_OK(pipit_node_set_input(sink, 0, src, 0));
    ASSERT_OK(pipit_node_set(sink, "rows", "4"));
    ASSERT_OK(pipit_node_update(sink));
    const checksum_t *c = (const checksum_t *)sink;
    CU_ASSERT_EQUAL(c->pulls, 9);
    CU_ASSERT_EQUAL(c->sum, (330.0 * 329.0) / 2);
    pipit_region_t held = pipit_image_buffered_region(pipit_node_get_output(src, 0));
    CU_ASSERT_EQUAL(held.hi[1] - held.lo[1], 1); /* the last pull: row 32 */
    pipit_node_unref(src);
    pipit_node_unref(sink);
}

typedef struct {
    int calls, stop_at;
    double last;
    bool monotone;
} cancel_t;

static int
cancel_progress(double f, void *user)
{
    cancel_t *c = user;
    c->monotone &= f >= c->last && f <= 1.0;
    c->last = f;
    return ++c->calls >= c->stop_at;
}

static void
test_cancel_stops_cleanly(void)
{
    for (size_t t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        pipit_node_t *src = make_ramp(256, 256, 16);
        pipit_node_t *add = make_filter(&add_class, src);
        cancel_t c = { 0, 3, 0, true };
        pipit_node_set_progress(add, cancel_progress, &c);
        pipit_status_t st = pipit_node_update(add);
        ASSERT_FAILS_WITH(st, PIPIT_ECANCELED, "cancelled");
        CU_ASSERT_TRUE(c.monotone);
        /* nothing half-made is left as if valid */
        CU_ASSERT_PTR_NULL(pipit_image_data(pipit_node_get_output(add, 0)));
        /* run to the end: a full, correct result */
        c = (cancel_t){ 0, 1 << 30, 0, true };
        ASSERT_OK(pipit_node_update(add));
        CU_ASSERT_DOUBLE_EQUAL(c.last, 1.0, 1e-12);
        CU_ASSERT_TRUE(c.monotone);
        size_t idx[3] = { 255, 255, 15 };
        CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(add, 0),
                                              idx, 0),
                        255 + 256 * (255 + 256 * 15) + 1);
        pipit_node_unref(src);
        pipit_node_unref(add);
    }
    ASSERT_OK(pipit_pool_set_threads(0));
}

static void
test_piece_failure_reported_and_recovered(void)
{
    for (size_t t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        pipit_node_t *src = make_ramp(300, 300, 1);
        ASSERT_OK(pipit_node_set_int(src, "fail-row", 250));
        pipit_node_t *add = make_filter(&add_class, src);
        ASSERT_FAILS_WITH(pipit_node_update(add), PIPIT_EIO,
                          "ramp: row 250 failed");
        ASSERT_OK(pipit_node_set_int(src, "fail-row", -1));
        ASSERT_OK(pipit_node_update(add));
        pipit_node_unref(src);
        pipit_node_unref(add);
    }
    ASSERT_OK(pipit_pool_set_threads(0));
}

static void
test_settings_generic(void)
{
    size_t count;
    const pipit_setting_t *s = pipit_node_class_settings(&ramp_class, &count);
    CU_ASSERT_EQUAL(count, 5);
    CU_ASSERT_STRING_EQUAL(s[0].name, "width");
    CU_ASSERT_STRING_EQUAL(s[0].default_value, "16");
    pipit_node_t *r = pipit_node_new(&ramp_class);
    char buf[64];
    ASSERT_OK(pipit_node_get(r, "height", buf, sizeof buf));
    CU_ASSERT_STRING_EQUAL(buf, "16");
    ASSERT_FAILS_WITH(pipit_node_set(r, "heigth", "3"), PIPIT_EINVAL,
                      "valid: width, height, depth, offset, fail-row");
    ASSERT_FAILS_WITH(pipit_node_set(r, "width", "0"), PIPIT_EINVAL,
                      "outside");
    ASSERT_FAILS_WITH(pipit_node_set(r, "width", "12px"), PIPIT_EINVAL,
                      "not an integer");
    ASSERT_FAILS_WITH(pipit_node_set(r, "offset", "nan"), PIPIT_EINVAL,
                      "finite");
    ASSERT_FAILS_WITH(pipit_node_get(r, "height", buf, 2), PIPIT_ERANGE,
                      "too small");
    pipit_node_unref(r);
}

static void
test_wiring_errors(void)
{
    pipit_node_t *a = pipit_node_new(&add_class);
    pipit_node_t *b = make_filter(&add_class, a);
    ASSERT_FAILS_WITH(pipit_node_set_input(a, 0, b, 0), PIPIT_EINVAL,
                      "cycle");
    ASSERT_FAILS_WITH(pipit_node_set_input(a, 0, a, 0), PIPIT_EINVAL,
                      "cycle");
    ASSERT_FAILS_WITH(pipit_node_update(b), PIPIT_ESTATE, "not connected");
    ASSERT_FAILS_WITH(pipit_node_set_input(b, 1, a, 0), PIPIT_EINVAL,
                      "no input 1");
    ASSERT_FAILS_WITH(pipit_node_set_input(b, 0, a, 3), PIPIT_EINVAL,
                      "no output 3");
    CU_ASSERT_PTR_NULL(pipit_node_get_output(b, 1));
    pipit_node_unref(a);
    pipit_node_unref(b);
}

/* Builds ramp -> yblur -> add and updates it; any step may fail. */
static pipit_status_t
build_and_update(void)
{
    pipit_status_t st = PIPIT_ENOMEM;
    pipit_node_t *src = pipit_node_new(&ramp_class);
    pipit_node_t *blur = pipit_node_new(&yblur_class);
    pipit_node_t *add = pipit_node_new(&add_class);
    if (src == NULL || blur == NULL || add == NULL)
        goto done;
    if ((st = pipit_node_set(src, "width", "40")) != PIPIT_OK ||
        (st = pipit_node_set_input(blur, 0, src, 0)) != PIPIT_OK ||
        (st = pipit_node_set_input(add, 0, blur, 0)) != PIPIT_OK)
        goto done;
    st = pipit_node_update(add);
done:
    pipit_node_unref(src);
    pipit_node_unref(blur);
    pipit_node_unref(add);
    return st;
}

static void
test_every_allocation_failure(void)
{
    for (size_t t = 0; t < 2; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        pipit__alloc_fail_at(0);
        ASSERT_OK(build_and_update());
        size_t n = pipit__alloc_fail_at(0);
        CU_ASSERT_TRUE(n >= 6);
        size_t live = pipit__buffer_live_bytes();
        for (size_t k = 1; k <= n; k++) {
            pipit__alloc_fail_at(k);
            pipit_status_t st = build_and_update();
            pipit__alloc_fail_at(0);
            CU_ASSERT_EQUAL(st, PIPIT_ENOMEM);
            CU_ASSERT_EQUAL(pipit__buffer_live_bytes(), live);
        }
    }
    ASSERT_OK(pipit_pool_set_threads(0));
}

const test_case_t test_node_cases[] = {
    { "every allocation failure is ENOMEM, no leak",
      test_every_allocation_failure },
    { "two-filter pipeline; second update calls no hook",
      test_two_filter_pipeline_and_no_work_twice },
    { "constant image input change reruns",
      test_constant_image_input_change_reruns },
    { "bit-identical at 1,2,3,7 threads",
      test_bit_identical_any_threads_and_streamed },
    { "streaming holds one piece per node", test_streaming_holds_one_piece },
    { "update_region computes only that", test_update_region_computes_only_that },
    { "sink pulls pieces", test_sink_pulls_pieces },
    { "cancel from progress stops cleanly", test_cancel_stops_cleanly },
    { "piece failure reported, then recovered",
      test_piece_failure_reported_and_recovered },
    { "settings set/get generically", test_settings_generic },
    { "wiring errors", test_wiring_errors },
    { NULL, NULL },
};

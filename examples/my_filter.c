/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filter built step by step in doc/tutorial-writing-a-filter.md:
 * "window" maps the values in [lower, upper] linearly onto 0..255 (a u8
 * image, as for display), clamps the others, and counts how many it
 * clamped. It runs on the pool, piece by piece; its count is a
 * reduction with per-piece accumulators, so it is the same at any
 * number of threads.
 *
 * main() below checks the filter's output and count on a small image,
 * at several thread counts and streamed, and exits non-zero when a
 * check fails: `make check` runs it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pipit/pipit.h>
#include <pipit/node_class.h> /* the class table, for node authors */

/* ---- step 1: the node and its settings ---------------------------- */

typedef struct {
    pipit_node_t base; /* first member: the library sees a pipit_node_t */
    double lower, upper;
    uint64_t clipped; /* the result of the last update */
} window_t;

static const pipit_setting_t window_settings[] = {
    { "lower", PIPIT_SETTING_DOUBLE, offsetof(window_t, lower), "0",
      "value shown as 0", 1, 0, NULL },
    { "upper", PIPIT_SETTING_DOUBLE, offsetof(window_t, upper), "255",
      "value shown as 255", 1, 0, NULL },
};

/* ---- step 2: the information pass ---------------------------------- */

static pipit_status_t
window_information(pipit_node_t *n)
{
    const window_t *w = (const window_t *)n;
    if (!(w->lower < w->upper))
        return pipit_node_error(n, PIPIT_EINVAL,
                                "lower %g must be below upper %g", w->lower,
                                w->upper);
    if (pipit_image_components(pipit_node_input(n, 0)) != 1)
        return pipit_node_error(n, PIPIT_EUNSUPPORTED,
                                "needs a scalar image");
    /* the input's size and geometry, u8 pixels */
    return pipit_node_information_mask(n);
}

/* ---- step 3: one row, for each pixel type --------------------------- */

/* Writes n pixels and returns how many were outside [lo, hi]. NaN
 * counts as outside and shows as 0. */
#define WINDOW_ROW(name, T)                                                \
    static uint64_t window_row_##name(const void *src, uint8_t *dst,       \
                                      size_t n, double lo, double hi)      \
    {                                                                      \
        const T *a = src;                                                  \
        const double scale = 255.0 / (hi - lo);                            \
        uint64_t clipped = 0;                                              \
        for (size_t x = 0; x < n; x++) {                                   \
            double v = ((double)a[x] - lo) * scale;                        \
            clipped += !((double)a[x] >= lo && (double)a[x] <= hi);        \
            v = v == v ? v : 0.0;                                          \
            v = v < 0.0 ? 0.0 : v > 255.0 ? 255.0 : v;                     \
            dst[x] = (uint8_t)(v + 0.5);                                   \
        }                                                                  \
        return clipped;                                                    \
    }
WINDOW_ROW(u8, uint8_t)
WINDOW_ROW(i8, int8_t)
WINDOW_ROW(u16, uint16_t)
WINDOW_ROW(i16, int16_t)
WINDOW_ROW(u32, uint32_t)
WINDOW_ROW(i32, int32_t)
WINDOW_ROW(f32, float)
WINDOW_ROW(f64, double)
#undef WINDOW_ROW

typedef uint64_t (*window_row_fn)(const void *, uint8_t *, size_t, double,
                                  double);

/* Indexed by pipit_pixel_type_t: the type is chosen once per piece. */
static const window_row_fn window_rows[PIPIT_PIXEL_TYPE_COUNT] = {
    window_row_u8, window_row_i8, window_row_u16, window_row_i16,
    window_row_u32, window_row_i32, window_row_f32, window_row_f64,
};

/* ---- step 4: the threaded hook and the reduction --------------------- */

typedef struct {
    uint64_t clipped;
} window_acc_t;

static pipit_status_t
window_before(pipit_node_t *n)
{
    ((window_t *)n)->clipped = 0;
    return PIPIT_OK;
}

static pipit_status_t
window_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const window_t *w = (const window_t *)n;
    const pipit_image_t *in = pipit_node_input(n, 0);
    const pipit_image_t *out = pipit_node_output(n, 0);
    const pipit_region_t *r = &p->region;
    window_row_fn row = window_rows[pipit_image_pixel_type(in)];
    size_t width = r->hi[0] - r->lo[0];
    size_t in_bytes = pipit_image_pixel_bytes(in);
    uint64_t clipped = 0;
    /* rows of the piece: x runs over [lo, hi) of each (y, z) */
    for (size_t z = r->lo[2]; z < r->hi[2]; z++)
        for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
            const char *src =
                (const char *)pipit_image_row(in, y, z) + r->lo[0] * in_bytes;
            uint8_t *dst = (uint8_t *)pipit_image_row(out, y, z) + r->lo[0];
            clipped += row(src, dst, width, w->lower, w->upper);
        }
    ((window_acc_t *)p->acc)->clipped = clipped;
    return PIPIT_OK;
}

static pipit_status_t
window_merge(pipit_node_t *n, const void *acc, size_t index)
{
    (void)index; /* called in piece order, on the calling thread */
    ((window_t *)n)->clipped += ((const window_acc_t *)acc)->clipped;
    return PIPIT_OK;
}

/* ---- step 5: the class and a constructor ------------------------------ */

static const pipit_node_class_t window_class = {
    .name = "window",
    .help = "maps [lower, upper] onto 0..255 (u8), clamping the rest",
    .size = sizeof(window_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = window_settings,
    .n_settings = sizeof window_settings / sizeof window_settings[0],
    .acc_size = sizeof(window_acc_t),
    .information = window_information,
    .before = window_before,
    .threaded = window_threaded,
    .merge = window_merge,
};

static pipit_node_t *
window_new(double lower, double upper)
{
    pipit_node_t *n = pipit_node_new(&window_class);
    if (n != NULL) {
        window_t *w = (window_t *)n;
        w->lower = lower, w->upper = upper;
    }
    return n;
}

/* ---- step 6: use it, and check it ------------------------------------ */

static int failures;

static void
check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "my_filter: FAILED: %s (%s)\n", what,
                pipit_error_message());
        failures++;
    }
}

/* The pieces of a streamed update, put back together. */
static pipit_status_t
collect(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    uint8_t *whole = user;
    const size_t *size = pipit_image_size(piece);
    for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
        size_t at[2] = { r->lo[0], y };
        memcpy(whole + y * size[0] + r->lo[0], pipit_image_pixel(piece, at),
               r->hi[0] - r->lo[0]);
    }
    return PIPIT_OK;
}

int
main(void)
{
    /* a 101 x 37 f32 ramp from -50 to 1060, one NaN */
    enum { W = 101, H = 37 };
    size_t size[2] = { W, H };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
    check(img != NULL, "image");
    if (img == NULL)
        return 1;
    float *px = pipit_image_data_writable(img);
    for (size_t i = 0; i < W * H; i++)
        px[i] = (float)i * 0.3f - 50.0f;
    px[7] = NAN;
    uint64_t expect_clipped = 0;
    for (size_t i = 0; i < W * H; i++)
        expect_clipped += !(px[i] >= 100.0f && px[i] <= 355.0f);

    pipit_node_t *win = window_new(100, 355);
    check(pipit_node_set_input_image(win, 0, img) == PIPIT_OK, "input");
    static uint8_t first[W * H], streamed[W * H];
    for (unsigned threads = 1; threads <= 4; threads++) {
        check(pipit_pool_set_threads(threads) == PIPIT_OK, "threads");
        pipit_node_modified(win);
        check(pipit_node_update(win) == PIPIT_OK, "update");
        const pipit_image_t *out = pipit_node_get_output(win, 0);
        check(pipit_image_pixel_type(out) == PIPIT_U8, "u8 output");
        const uint8_t *o = pipit_image_data(out);
        if (o == NULL)
            break;
        if (threads == 1) {
            memcpy(first, o, sizeof first);
            /* 100 shows as 0, 355 as 255, 227.5 half way */
            size_t at100 = (size_t)((100.0 + 50.0) / 0.3 + 0.5);
            check(o[at100] == 0 || o[at100] == 1, "value at 100");
            check(o[0] == 0 && o[7] == 0 && o[W * H - 1] == 255,
                  "clamped ends and NaN");
            size_t mid = (size_t)((227.5 + 50.0) / 0.3);
            check(o[mid] >= 126 && o[mid] <= 129, "middle value");
        } else {
            check(memcmp(first, o, sizeof first) == 0,
                  "same pixels at any thread count");
        }
        check(((window_t *)win)->clipped == expect_clipped,
              "clipped count at any thread count");
    }
    /* streamed piece by piece: the same pixels */
    check(pipit_node_stream(win, 0, 64, collect, streamed) == PIPIT_OK,
          "stream");
    check(memcmp(first, streamed, sizeof first) == 0, "streamed pixels");
    /* a bad setting is an error naming the filter, not a crash */
    check(pipit_node_set(win, "upper", "-1") == PIPIT_OK, "set upper");
    check(pipit_node_update(win) == PIPIT_EINVAL &&
              strstr(pipit_error_message(), "window") != NULL,
          "bad bounds refused");
    pipit_node_unref(win);
    pipit_image_unref(img);
    pipit_pool_set_threads(0);
    if (failures == 0)
        printf("my_filter: all checks passed\n");
    return failures == 0 ? 0 : 1;
}

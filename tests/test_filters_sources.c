/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The source nodes (constant, ramp, noise, callback): values against
 * their formulas, noise figures against its settings, and every region
 * update, streamed update and thread count bit-identical to the same
 * pixels of the whole update.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_filters_util.h"

/* True when img (holding at least r) has the bytes of whole over r. */
static bool
same_over(const pipit_image_t *whole, const pipit_image_t *img,
          const pipit_region_t *r)
{
    size_t pb = pipit_image_pixel_bytes(whole);
    for (size_t t = r->lo[3]; t < r->hi[3]; t++)
        for (size_t z = r->lo[2]; z < r->hi[2]; z++)
            for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
                size_t at[PIPIT_MAX_DIM] = { r->lo[0], y, z, t };
                const void *a = pipit_image_pixel(whole, at);
                const void *b = pipit_image_pixel(img, at);
                if (a == NULL || b == NULL ||
                    memcmp(a, b, (r->hi[0] - r->lo[0]) * pb) != 0) {
                    fprintf(stderr, "\nrow y %zu z %zu differs\n", y, z);
                    return false;
                }
            }
    return true;
}

typedef struct {
    const char *name;
    const char *settings[6];
} source_case_t;

static const source_case_t cases[] = {
    { "constant", { "value=-3.7" } },
    { "constant", { "value=1e6", "components=3" } },
    { "ramp", { "axis=0", "scale=0.75", "offset=-2" } },
    { "ramp", { "axis=1", "coordinate=physical", "spacing=0.5",
                "origin=3", "scale=1.5" } },
    { "noise", { "seed=7", "mean=40", "sigma=30" } },
    { "noise", { "seed=123456789", "sigma=0.25", "components=2" } },
};

static const struct {
    unsigned dim;
    size_t size[3];
} shapes[] = {
    { 2, { 1, 1, 1 } },
    { 2, { 17, 5, 1 } },
    { 3, { 13, 7, 5 } },
    { 3, { 61, 37, 11 } },
};

static const pipit_pixel_type_t types[] = { PIPIT_U8, PIPIT_I16, PIPIT_F32,
                                            PIPIT_F64 };

static pipit_node_t *
make_source(const source_case_t *c, unsigned dim, const size_t *size,
            pipit_pixel_type_t type)
{
    pipit_node_t *n = pipit_filter_new(c->name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    char text[64];
    if (dim == 2)
        snprintf(text, sizeof text, "%zu,%zu", size[0], size[1]);
    else
        snprintf(text, sizeof text, "%zux%zux%zu", size[0], size[1],
                 size[2]);
    ASSERT_OK(pipit_node_set(n, "size", text));
    ASSERT_OK(pipit_node_set(n, "type", pipit_pixel_type_name(type)));
    for (size_t i = 0; i < 6 && c->settings[i] != NULL; i++) {
        char name[32];
        const char *eq = strchr(c->settings[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - c->settings[i]),
                 c->settings[i]);
        ASSERT_OK(pipit_node_set(n, name, eq + 1));
    }
    return n;
}

/* Regions of a shape to update alone: a corner, a middle box, a line. */
static size_t
test_regions(unsigned dim, const size_t *size, pipit_region_t *out)
{
    size_t lo[3], hi[3], k = 0;
    for (unsigned d = 0; d < 3; d++) {
        lo[d] = size[d] / 3;
        hi[d] = size[d] - size[d] / 4;
        if (hi[d] <= lo[d])
            hi[d] = lo[d] + 1;
    }
    size_t one[3] = { 1, 1, 1 }, zero[3] = { 0, 0, 0 };
    size_t mid[3] = { hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2] };
    size_t last[3] = { size[0] - 1, size[1] - 1, dim > 2 ? size[2] - 1 : 0 };
    size_t line[3] = { size[0], 1, 1 };
    size_t ymid[3] = { 0, size[1] / 2, dim > 2 ? size[2] / 2 : 0 };
    out[k++] = pipit_region_make(dim, zero, one);
    out[k++] = pipit_region_make(dim, last, one);
    out[k++] = pipit_region_make(dim, lo, mid);
    out[k++] = pipit_region_make(dim, ymid, line);
    return k;
}

static void
test_regions_threads_streaming(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (size_t ty = 0; ty < sizeof types / sizeof types[0]; ty++) {
                unsigned dim = shapes[s].dim;
                const size_t *size = shapes[s].size;
                ASSERT_OK(pipit_pool_set_threads(1));
                pipit_node_t *n = make_source(&cases[c], dim, size, types[ty]);
                pipit_image_t *whole = tf_update(n);
                pipit_node_unref(n);
                bool ok = true;
                for (unsigned t = 1; t < 4; t++) {
                    ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
                    n = make_source(&cases[c], dim, size, types[ty]);
                    pipit_image_t *again = tf_update(n);
                    ok = ok && tf_same(whole, again);
                    pipit_image_unref(again);
                    /* the same node, region by region */
                    pipit_region_t r[4];
                    size_t nr = test_regions(dim, size, r);
                    for (size_t k = 0; k < nr; k++) {
                        ASSERT_OK(pipit_node_update_region(n, 0, &r[k]));
                        ok = ok && same_over(whole, pipit_node_get_output(n, 0),
                                             &r[k]);
                    }
                    pipit_node_unref(n);
                }
                const size_t pieces[2] = { 1, 200 };
                for (size_t q = 0; q < 2; q++) {
                    n = make_source(&cases[c], dim, size, types[ty]);
                    pipit_image_t *streamed = tf_streamed(n, pieces[q]);
                    ok = ok && tf_same(whole, streamed);
                    pipit_image_unref(streamed);
                    pipit_node_unref(n);
                }
                if (!ok)
                    fprintf(stderr, "\n%s %s %u-D %zux%zu: differs\n",
                            cases[c].name, pipit_pixel_type_name(types[ty]),
                            dim, size[0], size[1]);
                CU_ASSERT(ok);
                pipit_image_unref(whole);
            }
    ASSERT_OK(pipit_pool_set_threads(0));
}

static void
test_constant_and_ramp_values(void)
{
    /* constant: rounded half away from zero and clamped to the type */
    const size_t s2[2] = { 3, 2 };
    pipit_node_t *n = pipit_constant_new(2, s2, PIPIT_I16, -2.5);
    pipit_image_t *out = tf_update(n);
    tf_assert_values(out, (const double[]){ -3, -3, -3, -3, -3, -3 }, 6,
                     "constant i16");
    pipit_image_unref(out);
    ASSERT_OK(pipit_node_set(n, "type", "u8"));
    ASSERT_OK(pipit_node_set(n, "value", "300"));
    out = tf_update(n);
    tf_assert_values(out, (const double[]){ 255, 255, 255, 255, 255, 255 },
                     6, "constant u8");
    pipit_image_unref(out);
    pipit_node_unref(n);

    /* ramp by index: offset + scale * index, every axis in turn */
    const size_t s3[3] = { 5, 4, 3 };
    for (unsigned axis = 0; axis < 3; axis++) {
        n = pipit_ramp_new(3, s3, PIPIT_F64, axis);
        ASSERT_OK(pipit_node_set(n, "scale", "0.1"));
        ASSERT_OK(pipit_node_set(n, "offset", "-7"));
        out = tf_update(n);
        bool exact = true;
        for (size_t z = 0; z < 3; z++)
            for (size_t y = 0; y < 4; y++)
                for (size_t x = 0; x < 5; x++) {
                    size_t at[3] = { x, y, z };
                    double expect = -7.0 + 0.1 * (double)at[axis];
                    exact = exact && pipit_image_get_value(out, at, 0) ==
                                         expect;
                }
        CU_ASSERT(exact);
        pipit_image_unref(out);
        pipit_node_unref(n);
    }

    /* ramp by physical coordinate, under a rotated, scaled, moved grid:
     * exactly the point pipit_image_index_to_point gives */
    n = pipit_ramp_new(3, s3, PIPIT_F64, 2);
    ASSERT_OK(pipit_node_set(n, "coordinate", "physical"));
    ASSERT_OK(pipit_node_set(n, "spacing", "0.5,1.25,3"));
    ASSERT_OK(pipit_node_set(n, "origin", "-1,2.5,10"));
    ASSERT_OK(pipit_node_set(n, "direction", "0,1,0, 0,0,1, 1,0,0"));
    ASSERT_OK(pipit_node_set(n, "scale", "2"));
    ASSERT_OK(pipit_node_set(n, "offset", "0.5"));
    out = tf_update(n);
    bool exact = true;
    for (size_t z = 0; z < 3; z++)
        for (size_t y = 0; y < 4; y++)
            for (size_t x = 0; x < 5; x++) {
                size_t at[3] = { x, y, z };
                double ci[3] = { (double)x, (double)y, (double)z }, p[3];
                pipit_image_index_to_point(out, ci, p);
                exact = exact &&
                        pipit_image_get_value(out, at, 0) == 0.5 + 2 * p[2];
            }
    CU_ASSERT(exact);
    /* the grid is what the settings say */
    CU_ASSERT_EQUAL(pipit_image_spacing(out)[1], 1.25);
    CU_ASSERT_EQUAL(pipit_image_origin(out)[2], 10);
    CU_ASSERT_EQUAL(pipit_image_direction(out)[1], 1);
    pipit_image_unref(out);
    pipit_node_unref(n);
}

static void
test_noise_figures(void)
{
    const size_t size[2] = { 256, 256 };
    const double N = 256.0 * 256.0;
    static const struct {
        double mean, sigma;
        uint64_t seed;
    } noise_cases[] = {
        { 0, 1, 0 }, { 3, 2, 1 }, { -100, 0.01, 0xffffffffffffffffu },
    };
    for (size_t i = 0; i < sizeof noise_cases / sizeof noise_cases[0]; i++) {
        pipit_node_t *n = pipit_noise_new(2, size, PIPIT_F64, noise_cases[i].mean,
                                          noise_cases[i].sigma, noise_cases[i].seed);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        ASSERT_OK(pipit_node_update(n));
        const double *v = pipit_image_data(pipit_node_get_output(n, 0));
        double sum = 0, sum2 = 0, within = 0;
        for (size_t k = 0; k < (size_t)N; k++) {
            double z = (v[k] - noise_cases[i].mean) / noise_cases[i].sigma;
            sum += z, sum2 += z * z;
            within += fabs(z) <= 1.0;
        }
        double mean = sum / N, var = sum2 / N - mean * mean;
        /* 5 standard errors: the mean's 1/sqrt(N), the variance's
         * sqrt(2/N), the 1-sigma fraction's sqrt(p (1-p) / N) */
        CU_ASSERT(fabs(mean) < 5.0 / sqrt(N));
        CU_ASSERT(fabs(var - 1.0) < 5.0 * sqrt(2.0 / N));
        CU_ASSERT(fabs(within / N - 0.682689) <
                  5.0 * sqrt(0.682689 * 0.317311 / N));
        /* neighbours uncorrelated */
        double lag = 0;
        for (size_t k = 1; k < (size_t)N; k++)
            lag += (v[k] - noise_cases[i].mean) * (v[k - 1] - noise_cases[i].mean);
        lag /= (N - 1) * noise_cases[i].sigma * noise_cases[i].sigma;
        CU_ASSERT(fabs(lag) < 5.0 / sqrt(N));
        pipit_node_unref(n);
    }
    /* the same seed gives the same pixels, another seed others */
    pipit_node_t *a = pipit_noise_new(2, size, PIPIT_F32, 0, 1, 42);
    pipit_node_t *b = pipit_noise_new(2, size, PIPIT_F32, 0, 1, 42);
    pipit_node_t *c = pipit_noise_new(2, size, PIPIT_F32, 0, 1, 43);
    pipit_image_t *ia = tf_update(a), *ib = tf_update(b), *ic = tf_update(c);
    CU_ASSERT(tf_same(ia, ib));
    size_t equal = 0;
    const float *fa = pipit_image_data(ia), *fc = pipit_image_data(ic);
    for (size_t k = 0; k < (size_t)N; k++)
        equal += fa[k] == fc[k];
    CU_ASSERT(equal < 10);
    /* a pixel's value does not depend on the image's other sizes'
     * pixels, only on its linear index: the first row of a 256x256 is
     * the first row of a 256x1 */
    const size_t row[2] = { 256, 1 };
    pipit_node_t *d = pipit_noise_new(2, row, PIPIT_F32, 0, 1, 42);
    pipit_image_t *id = tf_update(d);
    CU_ASSERT(memcmp(pipit_image_data(id), fa, 256 * sizeof(float)) == 0);
    pipit_image_unref(id);
    pipit_node_unref(d);
    pipit_image_unref(ia);
    pipit_image_unref(ib);
    pipit_image_unref(ic);
    pipit_node_unref(a);
    pipit_node_unref(b);
    pipit_node_unref(c);
}

/* ---- callback --------------------------------------------------------- */

typedef struct {
    pthread_mutex_t lock;
    pipit_region_t seen[4096];
    size_t n_seen;
    size_t calls_failing_from; /* fail when y >= this (0: never) */
} callback_log_t;

/* Writes each pixel's linear index (x + w (y + h z)) as i32. */
static pipit_status_t
fill_index(const pipit_image_t *img, const pipit_region_t *r, void *pixels,
           void *user)
{
    callback_log_t *log = user;
    const size_t *size = pipit_image_size(img);
    const ptrdiff_t *stride = pipit_image_strides(img);
    pthread_mutex_lock(&log->lock);
    if (log->n_seen < 4096)
        log->seen[log->n_seen++] = *r;
    pthread_mutex_unlock(&log->lock);
    if (log->calls_failing_from != 0 && r->hi[1] > log->calls_failing_from)
        return PIPIT_EIO;
    for (size_t z = r->lo[2]; z < r->hi[2]; z++)
        for (size_t y = r->lo[1]; y < r->hi[1]; y++) {
            char *row = (char *)pixels +
                        (ptrdiff_t)(z - r->lo[2]) * stride[2] +
                        (ptrdiff_t)(y - r->lo[1]) * stride[1];
            for (size_t x = r->lo[0]; x < r->hi[0]; x++) {
                int32_t v = (int32_t)(x + size[0] * (y + size[1] * z));
                memcpy(row + (ptrdiff_t)(x - r->lo[0]) * stride[0], &v,
                       sizeof v);
            }
        }
    return PIPIT_OK;
}

/* Every region the callback saw lies in r, and they add up to r. */
static bool
saw_only(callback_log_t *log, const pipit_region_t *r)
{
    size_t total = 0;
    for (size_t k = 0; k < log->n_seen; k++) {
        if (!pipit_region_contains(r, &log->seen[k])) {
            const pipit_region_t *q = &log->seen[k];
            fprintf(stderr, "\nasked %zu..%zu %zu..%zu %zu..%zu, made "
                            "%zu..%zu %zu..%zu %zu..%zu\n",
                    r->lo[0], r->hi[0], r->lo[1], r->hi[1], r->lo[2],
                    r->hi[2], q->lo[0], q->hi[0], q->lo[1], q->hi[1],
                    q->lo[2], q->hi[2]);
            log->n_seen = 0;
            return false;
        }
        total += pipit_region_count(&log->seen[k]);
    }
    size_t seen = log->n_seen;
    log->n_seen = 0;
    if (total != pipit_region_count(r))
        fprintf(stderr, "\n%zu calls made %zu pixels of %zu\n", seen, total,
                pipit_region_count(r));
    return total == pipit_region_count(r);
}

/* The pixels of img over r are their linear indices. */
static bool
values_ok(const pipit_image_t *img, const pipit_region_t *r)
{
    const size_t *size = pipit_image_size(img);
    for (size_t z = r->lo[2]; z < r->hi[2]; z++)
        for (size_t y = r->lo[1]; y < r->hi[1]; y++)
            for (size_t x = r->lo[0]; x < r->hi[0]; x++) {
                size_t at[3] = { x, y, z };
                if (pipit_image_get_value(img, at, 0) !=
                    (double)(x + size[0] * (y + size[1] * z)))
                    return false;
            }
    return true;
}

static pipit_status_t
check_piece(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    if (!values_ok(piece, r))
        return PIPIT_EINVAL;
    return saw_only(user, r) ? PIPIT_OK : PIPIT_ERANGE;
}

static void
test_callback(void)
{
    static callback_log_t log = { .lock = PTHREAD_MUTEX_INITIALIZER };
    const size_t size[3] = { 23, 19, 7 };
    pipit_node_t *n = NULL;
    for (unsigned t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        /* a fresh node: the last one's pixels would answer */
        pipit_node_unref(n);
        n = pipit_callback_source_new(3, size, PIPIT_I32, 1, fill_index,
                                      &log);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        pipit_region_t regions[4];
        size_t nr = test_regions(3, size, regions);
        for (size_t k = 0; k < nr; k++) {
            log.n_seen = 0;
            ASSERT_OK(pipit_node_update_region(n, 0, &regions[k]));
            CU_ASSERT(saw_only(&log, &regions[k]));
            CU_ASSERT(values_ok(pipit_node_get_output(n, 0), &regions[k]));
        }
        log.n_seen = 0;
        ASSERT_OK(pipit_node_stream(n, 0, 23 * 4 * 3, check_piece, &log));
        pipit_region_t all = pipit_image_largest_region(
            pipit_node_get_output(n, 0));
        ASSERT_OK(pipit_node_update(n));
        CU_ASSERT(saw_only(&log, &all));
        /* nothing changed: nothing asked again */
        ASSERT_OK(pipit_node_update(n));
        CU_ASSERT_EQUAL(log.n_seen, 0);
    }
    ASSERT_OK(pipit_pool_set_threads(0));
    /* a failing function fails the update, saying where */
    log.calls_failing_from = 10;
    pipit_node_modified(n);
    ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EIO, "callback");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "function failed"));
    log.calls_failing_from = 0;
    pipit_node_unref(n);
}

/* ---- bad settings and arguments ----------------------------------------- */

static void
test_errors(void)
{
    static const struct {
        const char *name, *setting, *value, *word;
    } bad[] = {
        { "constant", "size", "0,4", "size" },
        { "constant", "size", "", "size" },
        { "constant", "size", "4,4,4,4,4", "more than" },
        { "noise", "spacing", "1,2,3", "3 values for a 2-D" },
        { "noise", "origin", "1,2,3", "origin" },
        { "ramp", "axis", "2", "axis 2" },
        { "ramp", "direction", "1,0,0", "direction" },
        { "ramp", "direction", "1,0,0,0", "direction" }, /* singular */
        { "callback", "size", "4,4", "C API only" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pipit_node_t *n = pipit_filter_new(bad[i].name);
        pipit_status_t st = pipit_node_set(n, bad[i].setting, bad[i].value);
        if (st == PIPIT_OK)
            st = pipit_node_update(n);
        if (st != PIPIT_EINVAL ||
            strstr(pipit_error_message(), bad[i].word) == NULL)
            fprintf(stderr, "\n%s %s=%s: %s\n", bad[i].name, bad[i].setting,
                    bad[i].value, pipit_error_message());
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, bad[i].word);
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, bad[i].name);
        pipit_node_unref(n);
    }
    pipit_node_t *noise = pipit_filter_new("noise");
    CU_ASSERT_EQUAL(pipit_node_set(noise, "sigma", "-1"), PIPIT_EINVAL);
    pipit_node_unref(noise);
    const size_t s[2] = { 2, 2 };
    CU_ASSERT_PTR_NULL(pipit_constant_new(2, s, PIPIT_U8, NAN));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "pipit_constant_new"));
    CU_ASSERT_PTR_NULL(pipit_constant_new(0, s, PIPIT_U8, 1));
    CU_ASSERT_PTR_NULL(pipit_constant_new(2, NULL, PIPIT_U8, 1));
    CU_ASSERT_PTR_NULL(pipit_ramp_new(2, s, PIPIT_U8, 2));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "pipit_ramp_new"));
    CU_ASSERT_PTR_NULL(pipit_noise_new(2, s, PIPIT_F32, 0, -1, 0));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "pipit_noise_new"));
    CU_ASSERT_PTR_NULL(pipit_callback_source_new(2, s, PIPIT_F32, 1, NULL,
                                                 NULL));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(pipit_error_message(), "pipit_callback_source_new"));
}

/* Sources feed filters like files do: a streamed sum of noise and a
 * ramp is the whole one. */
static void
test_in_a_pipeline(void)
{
    const size_t size[3] = { 40, 30, 9 };
    pipit_node_t *noise = pipit_noise_new(3, size, PIPIT_F32, 0, 1, 5);
    pipit_node_t *ramp = pipit_ramp_new(3, size, PIPIT_F32, 2);
    pipit_node_t *add = pipit_add_new(0);
    ASSERT_OK(pipit_node_set_input(add, 0, noise, 0));
    ASSERT_OK(pipit_node_set_input(add, 1, ramp, 0));
    pipit_image_t *whole = tf_update(add);
    pipit_image_t *streamed = tf_streamed(add, 40 * 4 * 7);
    CU_ASSERT(tf_same(whole, streamed));
    pipit_image_unref(streamed);
    pipit_image_unref(whole);
    pipit_node_unref(add);
    pipit_node_unref(ramp);
    pipit_node_unref(noise);
}

const test_case_t test_filters_sources_cases[] = {
    { "constant_and_ramp_values", test_constant_and_ramp_values },
    { "noise_figures", test_noise_figures },
    { "regions_threads_streaming", test_regions_threads_streaming },
    { "callback", test_callback },
    { "errors", test_errors },
    { "in_a_pipeline", test_in_a_pipeline },
    { NULL, NULL },
};

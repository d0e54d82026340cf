/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every pointwise, reduction and pixel-moving filter over one table:
 * sizes 1x1, prime widths, 3-D and one large enough for many pieces;
 * several pixel types; the output (and the figures of statistics,
 * histogram and Otsu) bit-identical at 1, 2, 3 and 7 threads and when
 * streamed in small pieces. Then bad input: mismatched images, pixel
 * types a filter cannot take, empty regions and bad settings, each a
 * clear error naming the filter.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "test_filters_util.h"
#include "test_io_util.h"

#define MAX_SETTINGS 6

typedef struct {
    const char *name;
    const char *settings[MAX_SETTINGS];
    bool two;    /* a second image input */
    bool scalar; /* takes one component only */
    bool big;    /* needs every axis >= 3 (offsets, blocks) */
    bool dim3;   /* needs a 3-D image */
    bool dim2;   /* for 2-D images only (one value per axis) */
} sweep_case_t;

static const sweep_case_t cases[] = {
    { .name = "cast", .settings = { "type=u8" } },
    { .name = "cast", .settings = { "type=f64" } },
    { .name = "shift-scale", .settings = { "shift=3", "scale=-2.5" } },
    { .name = "clamp", .settings = { "lower=-100", "upper=1000" } },
    { .name = "threshold",
      .settings = { "lower=-50", "upper=5000", "outside=3" } },
    { .name = "binary-threshold", .settings = { "lower=0", "upper=1e4" } },
    { .name = "binary-threshold",
      .settings = { "upper=1e4", "type=f32", "inside=-1" } },
    { .name = "otsu-threshold", .settings = { "bins=64" }, .scalar = true },
    { .name = "rescale-intensity",
      .settings = { "min=-1", "max=1", "type=f32" } },
    { .name = "rescale-intensity" },
    { .name = "abs" },
    { .name = "sqrt" },
    { .name = "exp", .settings = { "type=f64" } },
    { .name = "log" },
    { .name = "square" },
    { .name = "add", .two = true },
    { .name = "subtract", .settings = { "type=f32" }, .two = true },
    { .name = "multiply", .settings = { "constant=0.5" } },
    { .name = "divide", .two = true },
    { .name = "divide", .settings = { "constant=3" } },
    { .name = "minimum", .two = true },
    { .name = "maximum", .settings = { "constant=10" } },
    { .name = "statistics", .scalar = true },
    { .name = "histogram", .settings = { "bins=32" }, .scalar = true },
    { .name = "extract-region" },
    { .name = "extract-region",
      .settings = { "index=1,2,1", "size=0,1,0" }, .big = true,
      .dim3 = true },
    { .name = "extract-region",
      .settings = { "index=1,2", "size=0,1" }, .big = true, .dim2 = true },
    { .name = "constant-pad",
      .settings = { "lower=2,1,3", "upper=1,0,2", "value=7" }, .dim3 = true },
    { .name = "constant-pad",
      .settings = { "lower=2,1", "upper=1,0", "value=7" }, .dim2 = true },
    { .name = "constant-pad", .settings = { "lower=2", "upper=1" } },
    { .name = "mirror-pad", .settings = { "lower=3,2,1", "upper=5,1,2" },
      .dim3 = true },
    { .name = "mirror-pad", .settings = { "lower=3,2", "upper=5,1" },
      .dim2 = true },
    { .name = "flip", .settings = { "axes=1" } },
    { .name = "flip", .settings = { "axes=0,1,0" }, .dim3 = true },
    { .name = "flip", .settings = { "axes=0,1" }, .dim2 = true },
    { .name = "permute-axes", .settings = { "order=1,0,2" }, .dim3 = true },
    { .name = "permute-axes", .settings = { "order=1,0" }, .dim2 = true },
    { .name = "permute-axes", .settings = { "order=2,0,1" }, .dim3 = true },
    { .name = "shrink", .settings = { "factors=2,3,2" }, .dim3 = true },
    { .name = "shrink", .settings = { "factors=2,3" }, .dim2 = true },
    { .name = "bin-shrink", .settings = { "factors=2,1,3" }, .big = true,
      .dim3 = true },
    { .name = "bin-shrink", .settings = { "factors=2,1" }, .big = true,
      .dim2 = true },
    { .name = "checkerboard", .settings = { "pattern=3" }, .two = true },
    { .name = "change-information",
      .settings = { "spacing=2", "origin=1", "center=true" } },
};

#define N_CASES (sizeof cases / sizeof cases[0])

static const struct {
    unsigned dim;
    size_t size[3];
} sizes[] = {
    { 2, { 1, 1, 1 } },
    { 2, { 7, 5, 1 } },
    { 3, { 31, 3, 5 } },
    { 3, { 97, 61, 13 } },
};

static const pipit_pixel_type_t types[] = { PIPIT_U8, PIPIT_I16, PIPIT_F32,
                                            PIPIT_F64 };

/* The figures a node reports, as bytes to compare. */
typedef struct {
    pipit_statistics_t stats;
    uint64_t counts[64];
    double threshold;
} figures_t;

static void
read_figures(pipit_node_t *n, figures_t *f)
{
    memset(f, 0, sizeof *f);
    const char *name = pipit_node_name(n);
    if (strcmp(name, "statistics") == 0) {
        ASSERT_OK(pipit_statistics_get(n, &f->stats));
    } else if (strcmp(name, "histogram") == 0) {
        const uint64_t *c;
        size_t bins;
        ASSERT_OK(pipit_histogram_get(n, &c, &bins));
        CU_ASSERT_FATAL(bins <= 64);
        memcpy(f->counts, c, bins * sizeof *c);
    } else if (strcmp(name, "otsu-threshold") == 0) {
        ASSERT_OK(pipit_otsu_threshold_get(n, &f->threshold));
    }
}

static bool
case_fits(const sweep_case_t *c, unsigned dim, const size_t *size)
{
    if ((c->dim3 && dim < 3) || (c->dim2 && dim != 2))
        return false;
    for (unsigned d = 0; c->big && d < dim; d++)
        if (size[d] < 3)
            return false;
    return true;
}

static void
run_case(const sweep_case_t *c, unsigned dim, const size_t *size,
         pipit_pixel_type_t type, unsigned seed)
{
    pipit_image_t *a = io_pattern(dim, size, type, 1, seed);
    pipit_image_t *b = c->two ? io_pattern(dim, size, type, 1, seed + 1)
                              : NULL;
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    pipit_image_t *ref = NULL;
    figures_t ref_fig, fig;
    char what[160];
    snprintf(what, sizeof what, "%s %s%s%s %s %zux%zux%zu", c->name,
             c->settings[0] ? c->settings[0] : "",
             c->settings[1] ? " " : "", c->settings[1] ? c->settings[1] : "",
             pipit_pixel_type_name(type), size[0], size[1],
             dim > 2 ? size[2] : 1);
    for (unsigned t = 0; t < 4; t++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
        pipit_node_t *n = tf_filter(c->name, c->settings, a, b);
        pipit_status_t st = pipit_node_update(n);
        if (st != PIPIT_OK) {
            fprintf(stderr, "\n%s: %s\n", what, pipit_error_message());
            CU_FAIL("update failed");
            pipit_node_unref(n);
            break;
        }
        pipit_image_t *out = pipit_image_dup(pipit_node_get_output(n, 0));
        read_figures(n, &fig);
        if (ref == NULL) {
            ref = out;
            ref_fig = fig;
        } else {
            if (!tf_same(ref, out)) {
                fprintf(stderr, "%s: %u threads differ\n", what,
                        test_thread_counts[t]);
                CU_FAIL("threads change the output");
            }
            if (memcmp(&fig, &ref_fig, sizeof fig) != 0) {
                fprintf(stderr, "\n%s: figures at %u threads differ\n", what,
                        test_thread_counts[t]);
                CU_FAIL("threads change the figures");
            }
            pipit_image_unref(out);
        }
        pipit_node_unref(n);
    }
    if (ref != NULL) {
        /* streamed in pieces of a few rows, on 3 threads */
        ASSERT_OK(pipit_pool_set_threads(3));
        pipit_node_t *n = tf_filter(c->name, c->settings, a, b);
        pipit_image_t *s = tf_streamed(n, 256);
        if (!tf_same(ref, s)) {
            fprintf(stderr, "%s: streamed output differs\n", what);
            CU_FAIL("streaming changes the output");
        }
        read_figures(n, &fig);
        if (memcmp(&fig, &ref_fig, sizeof fig) != 0) {
            fprintf(stderr, "\n%s: streamed figures differ\n", what);
            CU_FAIL("streaming changes the figures");
        }
        pipit_image_unref(s);
        pipit_node_unref(n);
    }
    pipit_image_unref(ref);
    pipit_image_unref(a);
    pipit_image_unref(b);
}

static void
test_threads_and_streaming(void)
{
    unsigned seed = 1;
    for (size_t k = 0; k < N_CASES; k++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            if (!case_fits(&cases[k], sizes[s].dim, sizes[s].size))
                continue;
            for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
                run_case(&cases[k], sizes[s].dim, sizes[s].size, types[t],
                         seed++);
        }
    ASSERT_OK(pipit_pool_set_threads(0));
}

/* Vector images go through the filters that take them. */
static void
test_components(void)
{
    size_t size[2] = { 13, 7 };
    for (size_t k = 0; k < N_CASES; k++) {
        if (cases[k].scalar || cases[k].dim3 || cases[k].big)
            continue;
        pipit_image_t *a = io_pattern(2, size, PIPIT_F32, 3, 5);
        pipit_image_t *b = cases[k].two ? io_pattern(2, size, PIPIT_F32, 3, 6)
                                        : NULL;
        pipit_node_t *n = tf_filter(cases[k].name, cases[k].settings, a, b);
        pipit_status_t st = pipit_node_update(n);
        if (st != PIPIT_OK)
            fprintf(stderr, "\n%s: %s\n", cases[k].name,
                    pipit_error_message());
        CU_ASSERT_EQUAL(st, PIPIT_OK);
        if (st == PIPIT_OK)
            CU_ASSERT_EQUAL(
                pipit_image_components(pipit_node_get_output(n, 0)), 3);
        pipit_node_unref(n);
        pipit_image_unref(a);
        pipit_image_unref(b);
    }
}

/* ---- bad input ---------------------------------------------------------- */

static void
test_mismatched_inputs(void)
{
    static const char *const two[] = { "add", "subtract", "multiply",
                                       "divide", "minimum", "maximum",
                                       "checkerboard" };
    size_t s75[2] = { 7, 5 }, s57[2] = { 5, 7 }, s753[3] = { 7, 5, 3 };
    pipit_image_t *a = io_pattern(2, s75, PIPIT_F32, 1, 1);
    pipit_image_t *b = io_pattern(2, s57, PIPIT_F32, 1, 2);
    pipit_image_t *c = io_pattern(3, s753, PIPIT_F32, 1, 3);
    pipit_image_t *v = io_pattern(2, s75, PIPIT_F32, 2, 4);
    for (size_t k = 0; k < sizeof two / sizeof two[0]; k++) {
        pipit_node_t *n = tf_filter(two[k], NULL, a, b);
        ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EINVAL, "sizes");
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), two[k]));
        ASSERT_OK(pipit_node_set_input_image(n, 1, c));
        ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EINVAL, "7x5x3");
        ASSERT_OK(pipit_node_set_input_image(n, 1, v));
        ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EINVAL,
                          "components");
        /* a second input left out: the constant, but not for the
         * checkerboard, whose second input is required */
        ASSERT_OK(pipit_node_set_input(n, 1, NULL, 0));
        if (strcmp(two[k], "checkerboard") == 0)
            ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_ESTATE,
                              "not connected");
        else
            ASSERT_OK(pipit_node_update(n));
        pipit_node_unref(n);
    }
    /* the checkerboard wants one pixel type */
    pipit_image_t *u = io_pattern(2, s75, PIPIT_U8, 1, 5);
    pipit_node_t *n = tf_filter("checkerboard", NULL, a, u);
    ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EINVAL, "must match");
    pipit_node_unref(n);
    /* no input at all */
    n = pipit_filter_new("abs");
    ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_ESTATE, "abs");
    pipit_node_unref(n);
    pipit_image_unref(u);
    pipit_image_unref(a);
    pipit_image_unref(b);
    pipit_image_unref(c);
    pipit_image_unref(v);
}

static void
test_unsupported_pixels(void)
{
    static const char *const scalar[] = { "statistics", "histogram",
                                          "otsu-threshold" };
    size_t size[2] = { 4, 4 };
    pipit_image_t *rgb = io_pattern(2, size, PIPIT_U8, 3, 1);
    for (size_t k = 0; k < 3; k++) {
        pipit_node_t *n = tf_filter(scalar[k], NULL, rgb, NULL);
        ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EUNSUPPORTED,
                          "scalar");
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), scalar[k]));
        pipit_node_unref(n);
    }
    pipit_image_unref(rgb);
    /* bin-shrink keeps its accumulators on the stack: 300 components is
     * refused, not overflowed */
    pipit_image_t *wide = pipit_image_new(2, size, PIPIT_F32, 300);
    pipit_node_t *n = tf_filter("bin-shrink", NULL, wide, NULL);
    ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EUNSUPPORTED, "bin-shrink");
    pipit_node_unref(n);
    pipit_image_unref(wide);
}

static void
test_empty_regions(void)
{
    size_t size[2] = { 5, 4 };
    pipit_image_t *a = io_pattern(2, size, PIPIT_I16, 1, 1);
    pipit_node_t *n =
        tf_filter("extract-region", (const char *[]){ "index=0,4", NULL },
                  a, NULL);
    ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EINVAL, "empty");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "extract-region"));
    pipit_node_unref(n);
    n = tf_filter("add", NULL, a, NULL);
    pipit_region_t none = { { 0, 0, 0, 0 }, { 0, 4, 1, 1 } };
    ASSERT_FAILS_WITH(pipit_node_update_region(n, 0, &none), PIPIT_EINVAL,
                      "empty");
    /* a region of one pixel works and computes just that */
    pipit_region_t one = { { 2, 3, 0, 0 }, { 3, 4, 1, 1 } };
    ASSERT_OK(pipit_node_update_region(n, 0, &one));
    size_t idx[2] = { 2, 3 };
    CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(n, 0), idx, 0),
                    pipit_image_get_value(a, idx, 0));
    pipit_node_unref(n);
    /* a constant pad asked only for padding still works */
    n = tf_filter("constant-pad",
                  (const char *[]){ "lower=3", "value=5", NULL }, a, NULL);
    pipit_region_t pad = { { 0, 0, 0, 0 }, { 2, 2, 1, 1 } };
    ASSERT_OK(pipit_node_update_region(n, 0, &pad));
    idx[0] = 1, idx[1] = 1;
    CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(n, 0), idx, 0),
                    5);
    pipit_node_unref(n);
    pipit_image_unref(a);
}

/* One bad setting: set_fails at pipit_node_set, else at update (with
 * name2 = value2 set first when given). */
typedef struct {
    const char *filter, *name, *value;
    bool set_fails;
    pipit_status_t status;
    const char *word;
    const char *name2, *value2;
} bad_setting_t;

static const bad_setting_t bad_settings[] = {
    { "cast", "nosuch", "1", true, PIPIT_EINVAL, "valid: type", NULL, NULL },
    { "cast", "type", "u7", true, PIPIT_EINVAL, "one of", NULL, NULL },
    { "binary-threshold", "lower", "nan", true,
      PIPIT_EINVAL, "finite", NULL, NULL },
    { "binary-threshold", "lower", "300", false, PIPIT_EINVAL, "above",
      "upper", "200" },
    { "threshold", "upper", "-300", false, PIPIT_EINVAL, "above", "lower",
      "0" },
    { "clamp", "upper", "-1e9", false, PIPIT_EINVAL, "above", "lower",
      "-1e8" },
    { "rescale-intensity", "min", "1000", false,
      PIPIT_EINVAL, "above", NULL, NULL },
    { "otsu-threshold", "bins", "1", true, PIPIT_EINVAL, "bins", NULL, NULL },
    { "histogram", "bins", "0", true, PIPIT_EINVAL, "bins", NULL, NULL },
    { "histogram", "auto", "maybe", true,
      PIPIT_EINVAL, "true or false", NULL, NULL },
    { "divide", "constant", "0", false,
      PIPIT_EINVAL, "denominator", NULL, NULL },
    { "shift-scale", "scale", "x", true,
      PIPIT_EINVAL, "not a number", NULL, NULL },
    { "flip", "axes", "2", true, PIPIT_EINVAL, "axes", NULL, NULL },
    { "shrink", "factors", "1.5", false,
      PIPIT_EINVAL, "whole number", NULL, NULL },
    { "bin-shrink", "factors", "0", true,
      PIPIT_EINVAL, "factors", NULL, NULL },
    { "permute-axes", "order", "1,1", false,
      PIPIT_EINVAL, "twice", NULL, NULL },
    { "constant-pad", "lower", "-1", true, PIPIT_EINVAL, "lower", NULL, NULL },
    { "mirror-pad", "upper", "1,2,3,4,5", true,
      PIPIT_EINVAL, "upper", NULL, NULL },
    { "checkerboard", "pattern", "0", true,
      PIPIT_EINVAL, "pattern", NULL, NULL },
    { "change-information", "origin", "1,2,3", false, PIPIT_EINVAL,
      "origin", NULL, NULL },
};

static void
test_bad_settings(void)
{
    size_t size[2] = { 6, 5 };
    pipit_image_t *a = io_pattern(2, size, PIPIT_I16, 1, 7);
    for (size_t k = 0; k < sizeof bad_settings / sizeof bad_settings[0];
         k++) {
        const bad_setting_t *b = &bad_settings[k];
        pipit_node_t *n = tf_filter(b->filter, NULL, a, NULL);
        if (strcmp(b->filter, "checkerboard") == 0)
            ASSERT_OK(pipit_node_set_input_image(n, 1, a));
        if (b->name2 != NULL)
            ASSERT_OK(pipit_node_set(n, b->name2, b->value2));
        pipit_status_t st = pipit_node_set(n, b->name, b->value);
        if (!b->set_fails) {
            CU_ASSERT_EQUAL(st, PIPIT_OK);
            st = pipit_node_update(n);
        }
        if (st != b->status ||
            strstr(pipit_error_message(), b->word) == NULL ||
            strstr(pipit_error_message(), b->filter) == NULL) {
            fprintf(stderr, "\n%s --%s %s: %s: %s\n", b->filter, b->name,
                    b->value, pipit_status_name(st), pipit_error_message());
            CU_FAIL("wrong status or message");
        }
        pipit_node_unref(n);
    }
    pipit_image_unref(a);
}

static void
test_bad_arguments(void)
{
    CU_ASSERT_PTR_NULL(pipit_filter_new("no-such-filter"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "binary-threshold"));
    CU_ASSERT_PTR_NULL(pipit_cast_new((pipit_pixel_type_t)99));
    CU_ASSERT_PTR_NULL(pipit_otsu_threshold_new(1));
    CU_ASSERT_PTR_NULL(pipit_histogram_new(0));
    CU_ASSERT_PTR_NULL(pipit_add_new(NAN));
    CU_ASSERT_PTR_NULL(pipit_shift_scale_new(INFINITY, 1));
    CU_ASSERT_PTR_NULL(pipit_flip_new(0, NULL));
    CU_ASSERT_PTR_NULL(pipit_shrink_new(2, NULL));
    pipit_statistics_t s;
    ASSERT_FAILS_WITH(pipit_statistics_get(NULL, &s), PIPIT_EINVAL,
                      "invalid argument");
    pipit_node_t *n = pipit_abs_new();
    ASSERT_FAILS_WITH(pipit_statistics_get(n, &s), PIPIT_EINVAL,
                      "not a statistics");
    double t;
    ASSERT_FAILS_WITH(pipit_otsu_threshold_get(n, &t), PIPIT_EINVAL,
                      "not an otsu");
    const uint64_t *c;
    size_t bins;
    ASSERT_FAILS_WITH(pipit_histogram_get(n, &c, &bins), PIPIT_EINVAL,
                      "not a histogram");
    pipit_node_unref(n);
    n = pipit_histogram_new(4);
    ASSERT_FAILS_WITH(pipit_histogram_get(n, &c, &bins), PIPIT_ESTATE,
                      "update");
    pipit_node_unref(n);
}

static int
cancel_at_once(double fraction, void *user)
{
    (void)fraction;
    (*(int *)user)++;
    return 1;
}

/* The reductions stop when the progress callback asks, and leave no
 * figures behind. */
static void
test_cancel(void)
{
    static const char *const reducing[] = { "statistics", "histogram",
                                            "otsu-threshold",
                                            "rescale-intensity" };
    size_t size[3] = { 64, 64, 16 };
    pipit_image_t *a = io_pattern(3, size, PIPIT_F32, 1, 3);
    for (size_t k = 0; k < sizeof reducing / sizeof reducing[0]; k++) {
        int calls = 0;
        pipit_node_t *n = tf_filter(reducing[k], NULL, a, NULL);
        pipit_node_set_progress(n, cancel_at_once, &calls);
        ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_ECANCELED,
                          reducing[k]);
        CU_ASSERT(calls > 0);
        pipit_node_unref(n);
    }
    pipit_image_unref(a);
}

const test_case_t test_filters_sweep_cases[] = {
    { "cancel", test_cancel },
    { "threads_and_streaming", test_threads_and_streaming },
    { "components", test_components },
    { "mismatched_inputs", test_mismatched_inputs },
    { "unsupported_pixels", test_unsupported_pixels },
    { "empty_regions", test_empty_regions },
    { "bad_settings", test_bad_settings },
    { "bad_arguments", test_bad_arguments },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every neighbourhood, resampling and pyramid filter, table-driven: at 1,
 * 2, 3 and 7 threads, whole and streamed in pieces of one and of a few
 * rows, on prime sizes, tiny images and images smaller than the thread
 * count, the output is bit-identical to the one-thread whole update.
 */
#include <math.h>

#include "smooth_util.h"

#include "error_impl.h" /* pipit__alloc_fail_at */

enum { NO_INPUT1, FIELD, REFERENCE };

typedef struct {
    const char *klass;
    const char *settings[4][2];
    pipit_pixel_type_t type;
    int input1;
} filter_case_t;

static const filter_case_t cases[] = {
    { "discrete-gaussian", { { "variance", "2,1,3" } }, PIPIT_F32, 0 },
    { "discrete-gaussian", { { "variance", "1.5" } }, PIPIT_U16, 0 },
    { "discrete-gaussian", { { "variance", "2" } }, PIPIT_F64, 0 },
    { "recursive-gaussian", { { "sigma", "1.5" }, { "order", "0,1,2" } },
      PIPIT_F32, 0 },
    { "recursive-gaussian",
      { { "sigma", "2" }, { "direction", "1" }, { "order", "1" } },
      PIPIT_I16, 0 },
    { "smoothing-recursive-gaussian", { { "sigma", "1,2,0.5" } }, PIPIT_F32,
      0 },
    { "smoothing-recursive-gaussian", { { "sigma", "1" } }, PIPIT_U8, 0 },
    { "mean", { { "radius", "1,2,1" } }, PIPIT_F32, 0 },
    { "mean", { { "radius", "2" } }, PIPIT_I32, 0 },
    { "median", { { "radius", "1" } }, PIPIT_F32, 0 },
    { "median", { { "radius", "2,1,1" } }, PIPIT_U8, 0 },
    { "gradient-magnitude", { { NULL } }, PIPIT_F32, 0 },
    { "gradient-magnitude", { { NULL } }, PIPIT_U32, 0 },
    { "gradient", { { NULL } }, PIPIT_F32, 0 },
    { "gradient-magnitude-recursive-gaussian", { { "sigma", "1.2" } },
      PIPIT_F32, 0 },
    { "laplacian", { { NULL } }, PIPIT_F64, 0 },
    { "resample", { { "interpolator", "linear" } }, PIPIT_F32, 0 },
    { "resample", { { "interpolator", "nearest" } }, PIPIT_I16, 0 },
    { "resample", { { "interpolator", "bspline" }, { "order", "3" } },
      PIPIT_F32, 0 },
    { "resample",
      { { "interpolator", "linear" }, { "type", "u8" } },
      PIPIT_F32, REFERENCE },
    { "warp", { { "interpolator", "linear" } }, PIPIT_F32, FIELD },
    { "warp", { { "interpolator", "bspline-float" }, { "order", "2" } },
      PIPIT_F64, FIELD },
    { "pyramid", { { "type", "smoothing" }, { "levels", "3" } }, PIPIT_F32,
      0 },
    { "pyramid", { { "type", "recursive" }, { "levels", "3" } }, PIPIT_I16,
      0 },
    { "pyramid",
      { { "type", "shrinking" }, { "levels", "2" }, { "level", "0" } },
      PIPIT_F32, 0 },
};

typedef struct {
    unsigned dim;
    size_t size[3];
} shape_t;

static const shape_t shapes[] = {
    { 2, { 13, 7, 1 } }, { 3, { 11, 6, 5 } }, { 2, { 1, 1, 1 } },
    { 3, { 3, 2, 2 } },  { 2, { 2, 17, 1 } },
};

/* A smooth displacement of about a voxel, on img's grid. */
static pipit_image_t *
make_field(const pipit_image_t *img)
{
    unsigned dim = pipit_image_dim(img);
    const size_t *s = pipit_image_size(img);
    pipit_image_t *f = pipit_image_new(dim, s, PIPIT_F32, dim);
    float *p = pipit_image_data_writable(f);
    size_t nz = dim > 2 ? s[2] : 1;
    for (size_t z = 0; z < nz; z++)
        for (size_t y = 0; y < s[1]; y++)
            for (size_t x = 0; x < s[0]; x++)
                for (unsigned a = 0; a < dim; a++)
                    *p++ = (float)(0.9 * sin(0.7 * (double)x + (double)a) *
                                   cos(0.4 * (double)y + 0.3 * (double)z));
    return f;
}

/* A new node for case c on img (and its input 1); NULL on failure. */
static pipit_node_t *
make_node(const filter_case_t *c, pipit_image_t *img, pipit_image_t *extra,
          pipit_transform_t *t)
{
    pipit_node_t *n = pipit_filter_new(c->klass);
    if (n == NULL)
        return NULL;
    for (int i = 0; i < 4 && c->settings[i][0] != NULL; i++) {
        /* Per-axis values are written for 3-D; a 2-D image takes the
         * first two (a setting needs one value or one per axis). */
        char value[64];
        snprintf(value, sizeof value, "%s", c->settings[i][1]);
        char *second = strchr(value, ',');
        char *third = second != NULL ? strchr(second + 1, ',') : NULL;
        if (pipit_image_dim(img) == 2 && third != NULL)
            *third = '\0';
        if (pipit_node_set(n, c->settings[i][0], value) != PIPIT_OK)
            goto fail;
    }
    if (pipit_node_set_input_image(n, 0, img) != PIPIT_OK)
        goto fail;
    if (extra != NULL && pipit_node_set_input_image(n, 1, extra) != PIPIT_OK)
        goto fail;
    if (t != NULL && strcmp(c->klass, "resample") == 0 &&
        pipit_resample_set_transform(n, t) != PIPIT_OK)
        goto fail;
    return n;
fail:
    pipit_node_unref(n);
    return NULL;
}

static void
run_case(const filter_case_t *c, const shape_t *sh)
{
    pipit_image_t *img =
        su_random(sh->dim, sh->size, c->type, -100, 300, 99);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    double sp[3] = { 1.0, 0.8, 1.5 };
    pipit_image_set_spacing(img, sp);
    pipit_image_t *extra = NULL;
    if (c->input1 == FIELD)
        extra = make_field(img);
    else if (c->input1 == REFERENCE)
        extra = su_random(sh->dim, sh->size, PIPIT_U8, 0, 1, 1);
    /* A small rotation for the resamplers. */
    double center[3] = { 0.5 * (double)sh->size[0], 0.5 * (double)sh->size[1],
                         0.5 * (double)sh->size[2] };
    pipit_transform_t *t = pipit_euler_transform_new(sh->dim, center);
    double p2[3] = { 0.2, 0.3, -0.4 };
    double p3[6] = { 0.1, -0.05, 0.2, 0.3, -0.4, 0.2 };
    pipit_transform_set_parameters(t, sh->dim == 2 ? p2 : p3,
                                   sh->dim == 2 ? 3 : 6);
    ASSERT_OK(pipit_pool_set_threads(1));
    pipit_node_t *n = make_node(c, img, extra, t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    pipit_image_t *ref = su_run(n, NULL);
    if (ref == NULL)
        fprintf(stderr, "\n%s: %s\n", c->klass, pipit_error_message());
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    pipit_node_unref(n);
    for (size_t k = 0; k < 4; k++) {
        ASSERT_OK(pipit_pool_set_threads(test_thread_counts[k]));
        n = make_node(c, img, extra, t);
        pipit_image_t *whole = su_run(n, NULL);
        bool same = su_identical(whole, ref);
        if (!same)
            fprintf(stderr, "\n%s (%s) %u-D %zux%zu: %u threads differ\n",
                    c->klass, c->settings[0][1] ? c->settings[0][1] : "",
                    sh->dim, sh->size[0], sh->size[1], test_thread_counts[k]);
        CU_ASSERT(same);
        pipit_image_unref(whole);
        const size_t pieces[2] = { 1, 3 * sh->size[0] * 8 };
        for (size_t q = 0; q < 2; q++) {
            pipit_node_t *m = make_node(c, img, extra, t);
            pipit_image_t *streamed = su_stream(m, pieces[q]);
            bool ok = su_identical(streamed, ref);
            if (!ok)
                fprintf(stderr,
                        "\n%s (%s) %u-D %zux%zu: streamed (%zu B) differs\n",
                        c->klass, c->settings[0][1] ? c->settings[0][1] : "",
                        sh->dim, sh->size[0], sh->size[1], pieces[q]);
            CU_ASSERT(ok);
            pipit_image_unref(streamed);
            pipit_node_unref(m);
        }
        pipit_node_unref(n);
    }
    ASSERT_OK(pipit_pool_set_threads(0));
    pipit_image_unref(ref);
    pipit_transform_unref(t);
    pipit_image_unref(extra);
    pipit_image_unref(img);
}

static void
threads_and_streaming(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            run_case(&cases[i], &shapes[s]);
}

/* Every allocation of an update failing in turn: PIPIT_ENOMEM (or
 * success when the allocation had a fallback), never a crash or leak. */
static void
out_of_memory(void)
{
    const shape_t sh = { 3, { 9, 7, 5 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const filter_case_t *c = &cases[i];
        pipit_image_t *img = su_random(sh.dim, sh.size, c->type, 0, 9, 4);
        pipit_image_t *extra = c->input1 == FIELD ? make_field(img)
                               : c->input1 == REFERENCE ? pipit_image_dup(img)
                                                        : NULL;
        pipit_node_t *n = make_node(c, img, extra, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        pipit__alloc_fail_at(0);
        ASSERT_OK(pipit_node_update(n));
        pipit_node_unref(n);
        for (size_t nth = 1; nth < 200; nth++) {
            n = make_node(c, img, extra, NULL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(n);
            pipit__alloc_fail_at(nth);
            pipit_status_t st = pipit_node_update(n);
            size_t used = pipit__alloc_fail_at(0);
            CU_ASSERT(st == PIPIT_OK || st == PIPIT_ENOMEM);
            pipit_node_unref(n);
            if (st == PIPIT_OK && used < nth)
                break; /* every allocation of the update was tried */
        }
        pipit_image_unref(extra);
        pipit_image_unref(img);
    }
}

const test_case_t test_filters_smooth_threads_cases[] = {
    { "threads_and_streaming", threads_and_streaming },
    { "out_of_memory", out_of_memory },
    { NULL, NULL },
};

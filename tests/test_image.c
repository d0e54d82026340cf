/* SPDX-License-Identifier: Apache-2.0 */
/* Images and buffers: geometry, sharing, copy-on-write, import, export. */
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

#include "buffer_impl.h"
#include "error_impl.h"

static void
test_new_every_type_and_dim(void)
{
    for (unsigned t = 0; t < PIPIT_PIXEL_TYPE_COUNT; t++)
        for (unsigned dim = 2; dim <= 4; dim++)
            for (unsigned comps = 1; comps <= 3; comps += 2) {
                size_t size[4] = { 3, 5, 7, 2 };
                pipit_image_t *img =
                    pipit_image_new(dim, size, (pipit_pixel_type_t)t, comps);
                CU_ASSERT_PTR_NOT_NULL_FATAL(img);
                CU_ASSERT_EQUAL(pipit_image_dim(img), dim);
                CU_ASSERT_EQUAL(pipit_image_pixel_bytes(img),
                                pipit_pixel_size((pipit_pixel_type_t)t) *
                                    comps);
                size_t idx[4] = { 2, 4, dim > 2 ? 6 : 0, dim > 3 ? 1 : 0 };
                CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, comps - 1),
                                0.0);
                ASSERT_OK(pipit_image_set_value(img, idx, comps - 1, 100.0));
                CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, comps - 1),
                                100.0);
                pipit_region_t r = pipit_image_buffered_region(img);
                CU_ASSERT_EQUAL(pipit_region_count(&r),
                                3 * 5 * (dim > 2 ? 7 : 1) * (dim > 3 ? 2 : 1));
                pipit_image_unref(img);
            }
}

static void
test_bad_shapes(void)
{
    size_t size[3] = { 4, 0, 2 };
    CU_ASSERT_PTR_NULL(pipit_image_new(2, size, PIPIT_U8, 1));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "size 0"));
    size_t ok[3] = { 4, 4, 4 };
    CU_ASSERT_PTR_NULL(pipit_image_new(5, ok, PIPIT_U8, 1));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "dimension"));
    CU_ASSERT_PTR_NULL(pipit_image_new(1, ok, PIPIT_U8, 1));
    CU_ASSERT_PTR_NULL(pipit_image_new(2, ok, PIPIT_U8, 0));
    CU_ASSERT_PTR_NULL(pipit_image_new(2, ok, (pipit_pixel_type_t)42, 1));
    size_t huge[3] = { SIZE_MAX / 2, 3, 1 };
    CU_ASSERT_PTR_NULL(pipit_image_new(2, huge, PIPIT_F64, 1));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "overflow"));
}

static void
test_rounding_and_clamping(void)
{
    size_t size[2] = { 1, 1 }, i[2] = { 0, 0 };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_U8, 1);
    ASSERT_OK(pipit_image_set_value(img, i, 0, 2.5));
    CU_ASSERT_EQUAL(pipit_image_get_value(img, i, 0), 3.0);
    ASSERT_OK(pipit_image_set_value(img, i, 0, -7));
    CU_ASSERT_EQUAL(pipit_image_get_value(img, i, 0), 0.0);
    ASSERT_OK(pipit_image_set_value(img, i, 0, 300));
    CU_ASSERT_EQUAL(pipit_image_get_value(img, i, 0), 255.0);
    ASSERT_OK(pipit_image_set_value(img, i, 0, NAN));
    CU_ASSERT_EQUAL(pipit_image_get_value(img, i, 0), 0.0);
    size_t out[2] = { 1, 0 };
    ASSERT_FAILS_WITH(pipit_image_set_value(img, out, 0, 1), PIPIT_EINVAL,
                      "outside");
    pipit_image_unref(img);
}

/* A 3-D image rotated 90 degrees about z, anisotropic spacing. */
static void
test_index_point_round_trip_with_direction(void)
{
    size_t size[3] = { 10, 20, 30 };
    pipit_image_t *img = pipit_image_new(3, size, PIPIT_F32, 1);
    double spacing[3] = { 0.5, 2.0, 3.0 };
    double origin[3] = { 10, -5, 7 };
    double dir[9] = { 0, -1, 0, 1, 0, 0, 0, 0, 1 };
    ASSERT_OK(pipit_image_set_spacing(img, spacing));
    ASSERT_OK(pipit_image_set_origin(img, origin));
    ASSERT_OK(pipit_image_set_direction(img, dir));
    double index[3] = { 2, 3, 4 }, p[3], back[3];
    pipit_image_index_to_point(img, index, p);
    /* p = o + D diag(s) i: x = 10 - 2*3, y = -5 + 0.5*2, z = 7 + 3*4 */
    CU_ASSERT_DOUBLE_EQUAL(p[0], 4.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(p[1], -4.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(p[2], 19.0, 1e-12);
    double cont[3] = { 2.25, -0.5, 29.75 };
    pipit_image_index_to_point(img, cont, p);
    pipit_image_point_to_index(img, p, back);
    for (int d = 0; d < 3; d++)
        CU_ASSERT_DOUBLE_EQUAL(back[d], cont[d], 1e-12);
    double singular[9] = { 1, 0, 0, 1, 0, 0, 0, 0, 1 };
    ASSERT_FAILS_WITH(pipit_image_set_direction(img, singular), PIPIT_EINVAL,
                      "singular");
    /* a failed set leaves the old geometry */
    pipit_image_index_to_point(img, index, p);
    CU_ASSERT_DOUBLE_EQUAL(p[0], 4.0, 1e-12);
    double bad[3] = { 1, 0, 1 };
    ASSERT_FAILS_WITH(pipit_image_set_spacing(img, bad), PIPIT_EINVAL,
                      "spacing");
    double nan_origin[3] = { 0, NAN, 0 };
    ASSERT_FAILS_WITH(pipit_image_set_origin(img, nan_origin), PIPIT_EINVAL,
                      "finite");
    pipit_image_unref(img);
}

static void
test_copy_on_write_leaves_sharer_untouched(void)
{
    size_t size[2] = { 4, 3 }, i[2] = { 1, 2 };
    pipit_image_t *a = pipit_image_new(2, size, PIPIT_I16, 1);
    ASSERT_OK(pipit_image_set_value(a, i, 0, 7));
    pipit_image_t *b = pipit_image_share(a);
    CU_ASSERT_PTR_EQUAL(pipit_image_data(a), pipit_image_data(b));
    CU_ASSERT_FALSE(pipit_buffer_is_exclusive(pipit_image_get_buffer(a)));
    int16_t *w = pipit_image_data_writable(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NOT_EQUAL(pipit_image_data(a), pipit_image_data(b));
    w[2 * 4 + 1] = -3;
    CU_ASSERT_EQUAL(pipit_image_get_value(a, i, 0), 7);
    CU_ASSERT_EQUAL(pipit_image_get_value(b, i, 0), -3);
    /* now each owns its buffer: writing again copies nothing */
    const void *before = pipit_image_data(b);
    CU_ASSERT_PTR_EQUAL(pipit_image_data_writable(b), before);
    pipit_image_unref(a);
    pipit_image_unref(b);
}

typedef struct {
    int calls;
    void *seen;
} free_log_t;

static void
log_free(void *data, void *user)
{
    free_log_t *log = user;
    log->calls++;
    log->seen = data;
}

static void
test_wrap_is_zero_copy_and_frees_once(void)
{
    float pixels[6] = { 1, 2, 3, 4, 5, 6 };
    free_log_t log = { 0, NULL };
    size_t size[2] = { 3, 2 };
    pipit_image_t *img = pipit_image_wrap(2, size, PIPIT_F32, 1, pixels, 0,
                                          log_free, &log);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    CU_ASSERT_PTR_EQUAL(pipit_image_data(img), pixels);
    size_t i[2] = { 2, 1 };
    CU_ASSERT_EQUAL(pipit_image_get_value(img, i, 0), 6.0);
    /* the only holder writes in place: the caller sees it */
    float *w = pipit_image_data_writable(img);
    CU_ASSERT_PTR_EQUAL(w, pixels);
    w[0] = 42;
    CU_ASSERT_EQUAL(pixels[0], 42);
    pipit_image_t *shared = pipit_image_share(img);
    pipit_image_unref(img);
    CU_ASSERT_EQUAL(log.calls, 0);
    pipit_image_unref(shared);
    CU_ASSERT_EQUAL(log.calls, 1);
    CU_ASSERT_PTR_EQUAL(log.seen, pixels);
}

static void
test_readonly_wrap_copies_on_write(void)
{
    const uint8_t pixels[4] = { 9, 8, 7, 6 };
    size_t size[2] = { 2, 2 };
    pipit_image_t *img = pipit_image_wrap(2, size, PIPIT_U8, 1,
                                          (void *)pixels,
                                          PIPIT_BUFFER_READONLY, NULL, NULL);
    uint8_t *w = pipit_image_data_writable(img);
    CU_ASSERT_PTR_NOT_EQUAL(w, pixels);
    w[0] = 1;
    CU_ASSERT_EQUAL(pixels[0], 9);
    CU_ASSERT_EQUAL(w[1], 8);
    pipit_image_unref(img);
}

static void
test_wrap_too_small_buffer_fails_cleanly(void)
{
    free_log_t log = { 0, NULL };
    uint8_t pixels[4];
    pipit_buffer_t *b = pipit_buffer_wrap(pixels, 4, 0, log_free, &log);
    size_t size[2] = { 3, 2 };
    CU_ASSERT_PTR_NULL(pipit_image_new_with_buffer(2, size, PIPIT_U8, 1, b));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "too small"));
    pipit_buffer_unref(b);
    CU_ASSERT_EQUAL(log.calls, 1);
    /* a failing wrap leaves the memory with the caller */
    log.calls = 0;
    size_t zero[2] = { 0, 2 };
    CU_ASSERT_PTR_NULL(pipit_image_wrap(2, zero, PIPIT_U8, 1, pixels, 0,
                                        log_free, &log));
    CU_ASSERT_EQUAL(log.calls, 0);
}

static void
test_export_outlives_image(void)
{
    size_t size[2] = { 5, 5 }, i[2] = { 4, 4 };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F64, 1);
    ASSERT_OK(pipit_image_set_value(img, i, 0, 2.75));
    const void *data;
    pipit_buffer_t *owner;
    ASSERT_OK(pipit_image_export(img, &data, &owner));
    CU_ASSERT_PTR_EQUAL(data, pipit_image_data(img));
    pipit_image_unref(img);
    CU_ASSERT_EQUAL(((const double *)data)[24], 2.75);
    pipit_buffer_unref(owner);
}

static void
test_dup_is_deep(void)
{
    size_t size[3] = { 3, 3, 3 }, i[3] = { 1, 1, 1 };
    pipit_image_t *a = pipit_image_new(3, size, PIPIT_U16, 2);
    double spacing[3] = { 1, 2, 3 };
    ASSERT_OK(pipit_image_set_spacing(a, spacing));
    ASSERT_OK(pipit_image_set_value(a, i, 1, 500));
    pipit_image_t *b = pipit_image_dup(a);
    CU_ASSERT_TRUE(pipit_image_same_grid(a, b, 0));
    CU_ASSERT_PTR_NOT_EQUAL(pipit_image_data(a), pipit_image_data(b));
    CU_ASSERT_EQUAL(pipit_image_get_value(b, i, 1), 500);
    ASSERT_OK(pipit_image_set_value(b, i, 1, 1));
    CU_ASSERT_EQUAL(pipit_image_get_value(a, i, 1), 500);
    pipit_image_unref(a);
    pipit_image_unref(b);
}

/* Fails each allocation of `make` in turn: every path returns NULL with
 * ENOMEM and leaks nothing (valgrind / ASan check the latter). */
static void
test_every_allocation_failure(void)
{
    size_t size[2] = { 8, 8 };
    pipit__alloc_fail_at(0);
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
    pipit_image_t *shared = pipit_image_share(img);
    void *w = pipit_image_data_writable(shared);
    size_t n = pipit__alloc_fail_at(0);
    CU_ASSERT_PTR_NOT_NULL(w);
    CU_ASSERT_TRUE(n >= 4);
    pipit_image_unref(img);
    pipit_image_unref(shared);
    for (size_t k = 1; k <= n; k++) {
        pipit__alloc_fail_at(k);
        img = pipit_image_new(2, size, PIPIT_F32, 1);
        shared = img != NULL ? pipit_image_share(img) : NULL;
        w = shared != NULL ? pipit_image_data_writable(shared) : NULL;
        pipit__alloc_fail_at(0);
        CU_ASSERT_PTR_NULL(w);
        CU_ASSERT_STRING_EQUAL(pipit_error_message(), "out of memory");
        pipit_image_unref(img);
        pipit_image_unref(shared);
    }
    CU_ASSERT_EQUAL(pipit__buffer_live_bytes(), 0);
}

const test_case_t test_image_cases[] = {
    { "new: every type, dim 2..4, components", test_new_every_type_and_dim },
    { "bad shapes", test_bad_shapes },
    { "rounding and clamping", test_rounding_and_clamping },
    { "index <-> point honours direction",
      test_index_point_round_trip_with_direction },
    { "copy-on-write leaves the sharer untouched",
      test_copy_on_write_leaves_sharer_untouched },
    { "wrap: zero copy, freed once", test_wrap_is_zero_copy_and_frees_once },
    { "read-only wrap copies on write", test_readonly_wrap_copies_on_write },
    { "wrap failures leave ownership", test_wrap_too_small_buffer_fails_cleanly },
    { "export outlives the image", test_export_outlives_image },
    { "dup is deep", test_dup_is_deep },
    { "every allocation failure", test_every_allocation_failure },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bad input to the neighbourhood, resampling and pyramid filters: a clear
 * status and a message naming the filter (and the setting or input at
 * fault), never a crash.
 */
#include <math.h>

#include "smooth_util.h"

static pipit_image_t *
image(unsigned dim, pipit_pixel_type_t t, unsigned components)
{
    const size_t size[4] = { 6, 5, 4, 3 };
    return pipit_image_new(dim, size, t, components);
}

/* Runs n on img and checks the failure. */
static void
fails(pipit_node_t *n, pipit_image_t *img, pipit_status_t st,
      const char *word1, const char *word2)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    if (img != NULL)
        ASSERT_OK(pipit_node_set_input_image(n, 0, img));
    ASSERT_FAILS_WITH(pipit_node_update(n), st, word1);
    if (word2 != NULL)
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), word2));
}

/* Vector images into scalar filters, 4-D images. */
static void
wrong_pixels(void)
{
    const char *names[] = { "discrete-gaussian",
                            "recursive-gaussian",
                            "smoothing-recursive-gaussian",
                            "mean",
                            "median",
                            "gradient",
                            "gradient-magnitude",
                            "gradient-magnitude-recursive-gaussian",
                            "laplacian",
                            "resample",
                            "pyramid" };
    pipit_image_t *vec = image(3, PIPIT_F32, 3);
    pipit_image_t *d4 = image(4, PIPIT_F32, 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        pipit_node_t *n = pipit_filter_new(names[i]);
        fails(n, vec, PIPIT_EINVAL, names[i], "components");
        fails(n, d4, PIPIT_EUNSUPPORTED, names[i], "4-D");
        pipit_node_unref(n);
    }
    pipit_image_unref(vec);
    pipit_image_unref(d4);
}

/* Sigma 0, NaN, negative; a bad order or radius; variance < 0. */
static void
bad_settings(void)
{
    pipit_image_t *img = image(3, PIPIT_F32, 1);
    CU_ASSERT_PTR_NULL(pipit_smoothing_recursive_gaussian_new(NAN));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "sigma"));
    CU_ASSERT_PTR_NULL(pipit_recursive_gaussian_new(-1.0, -1, 0));
    CU_ASSERT_PTR_NULL(pipit_discrete_gaussian_new(-2.0));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "variance"));
    CU_ASSERT_PTR_NULL(pipit_gradient_magnitude_recursive_gaussian_new(
        INFINITY));

    pipit_node_t *n = pipit_smoothing_recursive_gaussian_new(0.0);
    fails(n, img, PIPIT_EINVAL, "smoothing-recursive-gaussian", "sigma");
    ASSERT_FAILS_WITH(pipit_node_set(n, "sigma", "nan"), PIPIT_EINVAL,
                      "sigma");
    ASSERT_OK(pipit_node_set(n, "sigma", "1,0,1"));
    fails(n, NULL, PIPIT_EINVAL, "axis 1", NULL);
    pipit_node_unref(n);

    n = pipit_recursive_gaussian_new(1.0, -1, 0);
    ASSERT_OK(pipit_node_set(n, "order", "1.5"));
    fails(n, img, PIPIT_EINVAL, "recursive-gaussian", "order");
    ASSERT_FAILS_WITH(pipit_node_set(n, "order", "3"), PIPIT_EINVAL,
                      "order");
    ASSERT_OK(pipit_node_set(n, "order", "0"));
    ASSERT_OK(pipit_node_set(n, "direction", "3"));
    fails(n, NULL, PIPIT_EINVAL, "direction", NULL);
    pipit_node_unref(n);

    n = pipit_gradient_magnitude_recursive_gaussian_new(1.0);
    ASSERT_OK(pipit_node_set(n, "sigma", "0"));
    fails(n, img, PIPIT_EINVAL, "gradient-magnitude-recursive-gaussian",
          "sigma");
    pipit_node_unref(n);

    n = pipit_discrete_gaussian_new(1.0);
    ASSERT_FAILS_WITH(pipit_node_set(n, "maximum-error", "0"), PIPIT_EINVAL,
                      "maximum-error");
    ASSERT_FAILS_WITH(pipit_node_set(n, "variance", "-1"), PIPIT_EINVAL,
                      "variance");
    ASSERT_FAILS_WITH(pipit_node_set(n, "no_such", "1"), PIPIT_EINVAL,
                      "valid: variance");
    pipit_node_unref(n);

    n = pipit_mean_new(1);
    ASSERT_OK(pipit_node_set(n, "radius", "1.5"));
    fails(n, img, PIPIT_EINVAL, "mean", "radius");
    pipit_node_unref(n);

    /* any radius up to 1000 runs (filters_settings checks the values);
     * beyond, the setting refuses it */
    n = pipit_median_new(1);
    ASSERT_FAILS_WITH(pipit_node_set(n, "radius", "1,1001,1"), PIPIT_EINVAL,
                      "outside");
    pipit_node_unref(n);

    n = pipit_pyramid_new("recursive", 3, 2);
    ASSERT_OK(pipit_node_set(n, "level", "3"));
    fails(n, img, PIPIT_EINVAL, "pyramid", "level");
    ASSERT_OK(pipit_node_set(n, "level", "0"));
    ASSERT_OK(pipit_node_set(n, "schedule", "4 4 x"));
    fails(n, NULL, PIPIT_EINVAL, "pyramid", "schedule");
    pipit_node_unref(n);
    CU_ASSERT_PTR_NULL(pipit_pyramid_new("laplacian", 3, 0));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "smoothing"));

    n = pipit_resample_new();
    ASSERT_OK(pipit_node_set(n, "size", "4,4,0.5"));
    fails(n, img, PIPIT_EINVAL, "resample", "size");
    ASSERT_OK(pipit_node_set(n, "size", "4,4,4"));
    ASSERT_OK(pipit_node_set(n, "direction", "1,0,0,0,1"));
    fails(n, NULL, PIPIT_EINVAL, "resample", "direction");
    ASSERT_OK(pipit_node_set(n, "direction", "1,0,0,0,1,0,0,0,0"));
    fails(n, NULL, PIPIT_EINVAL, "resample", NULL);
    pipit_node_unref(n);
    pipit_image_unref(img);
}

/* Mismatched dimensions and sizes between inputs and transforms. */
static void
mismatched_inputs(void)
{
    pipit_image_t *img3 = image(3, PIPIT_F32, 1);
    pipit_image_t *img2 = image(2, PIPIT_F32, 1);
    pipit_image_t *field2 = image(2, PIPIT_F32, 2);
    pipit_image_t *field3c2 = image(3, PIPIT_F32, 2);
    pipit_image_t *field3u8 = image(3, PIPIT_U8, 3);

    pipit_node_t *w = pipit_warp_new();
    ASSERT_OK(pipit_node_set_input_image(w, 1, field2));
    fails(w, img3, PIPIT_EINVAL, "warp", "2-D");
    ASSERT_OK(pipit_node_set_input_image(w, 1, field3c2));
    fails(w, NULL, PIPIT_EINVAL, "warp", "components");
    ASSERT_OK(pipit_node_set_input_image(w, 1, field3u8));
    fails(w, NULL, PIPIT_EINVAL, "warp", "f32 or f64");
    ASSERT_OK(pipit_node_set_input_image(w, 1, NULL));
    fails(w, NULL, PIPIT_ESTATE, "warp", "not connected");
    pipit_node_unref(w);

    pipit_node_t *r = pipit_resample_new();
    ASSERT_OK(pipit_node_set_input_image(r, 1, img2));
    fails(r, img3, PIPIT_EINVAL, "resample", "reference");
    ASSERT_OK(pipit_node_set_input_image(r, 1, NULL));
    pipit_transform_t *t2 = pipit_translation_transform_new(2);
    ASSERT_OK(pipit_resample_set_transform(r, t2));
    fails(r, NULL, PIPIT_EINVAL, "resample", "transform");
    pipit_transform_unref(t2);
    pipit_node_unref(r);

    /* The transform setter on another class. */
    pipit_node_t *m = pipit_mean_new(1);
    ASSERT_FAILS_WITH(pipit_resample_set_transform(m, NULL), PIPIT_EINVAL,
                      "not a resample node");
    ASSERT_FAILS_WITH(pipit_resample_set_transform(NULL, NULL),
                      PIPIT_EINVAL, "invalid argument");
    pipit_node_unref(m);

    pipit_image_unref(img3);
    pipit_image_unref(img2);
    pipit_image_unref(field2);
    pipit_image_unref(field3c2);
    pipit_image_unref(field3u8);
}

/* An empty region asked of any of them: an error naming the filter. */
static void
empty_region(void)
{
    const char *names[] = { "discrete-gaussian", "smoothing-recursive-gaussian",
                            "median", "gradient", "resample", "pyramid" };
    pipit_image_t *img = image(3, PIPIT_F32, 1);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        pipit_node_t *n = pipit_filter_new(names[i]);
        ASSERT_OK(pipit_node_set_input_image(n, 0, img));
        pipit_region_t empty = { { 2, 2, 2, 0 }, { 2, 4, 4, 1 } };
        ASSERT_FAILS_WITH(pipit_node_update_region(n, 0, &empty),
                          PIPIT_EINVAL, names[i]);
        pipit_region_t outside = { { 0, 0, 0, 0 }, { 7, 5, 4, 1 } };
        ASSERT_FAILS_WITH(pipit_node_update_region(n, 0, &outside),
                          PIPIT_EINVAL, names[i]);
        /* and a proper piece still works after */
        pipit_region_t piece = { { 1, 1, 1, 0 }, { 4, 3, 3, 1 } };
        ASSERT_OK(pipit_node_update_region(n, 0, &piece));
        pipit_node_unref(n);
    }
    pipit_image_unref(img);
}

const test_case_t test_filters_smooth_errors_cases[] = {
    { "wrong_pixels", wrong_pixels },
    { "bad_settings", bad_settings },
    { "mismatched_inputs", mismatched_inputs },
    { "empty_region", empty_region },
    { NULL, NULL },
};

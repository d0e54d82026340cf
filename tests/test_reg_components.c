/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The component tables (registration/components.c): elastix names to
 * class objects, and the error for an unknown name (file, line, key,
 * value and the supported names). Samplers and pyramids; the other
 * kinds share the same lookup.
 */
#include <string.h>

#include "error_impl.h"
#include "reg_impl.h"
#include "testutil.h"

static reg_map_t
map_of(const char *text, pipit_params_t **keep)
{
    pipit_params_t *p = NULL;
    ASSERT_OK(pipit_params_parse(text, strlen(text), "comp.txt", &p));
    *keep = p;
    return (reg_map_t){ .params = p, .file = "comp.txt", .dim = 2,
                        .n_levels = 1 };
}

static void
test_samplers(void)
{
    pipit_params_t *p;
    reg_map_t m = map_of("(ImageSampler \"Grid\")", &p);
    CU_ASSERT_PTR_EQUAL(pipit__reg_sampler(&m, "Full"),
                        &pipit__reg_sampler_full);
    CU_ASSERT_PTR_EQUAL(pipit__reg_sampler(&m, "Grid"),
                        &pipit__reg_sampler_grid);
    CU_ASSERT_PTR_EQUAL(pipit__reg_sampler(&m, "Random"),
                        &pipit__reg_sampler_random);
    CU_ASSERT_PTR_EQUAL(pipit__reg_sampler(&m, "RandomCoordinate"),
                        &pipit__reg_sampler_random_coordinate);
    CU_ASSERT(pipit__reg_sampler_random.random);
    CU_ASSERT(!pipit__reg_sampler_grid.random);
    pipit_params_unref(p);
    m = map_of("// samplers\n(ImageSampler \"Full\" \"Randum\")", &p);
    CU_ASSERT_PTR_NULL(pipit__reg_sampler(&m, "Randum"));
    const char *msg = pipit_error_message();
    CU_ASSERT_PTR_NOT_NULL(strstr(
        msg, "comp.txt:2: ImageSampler value 'Randum': unknown component; "
             "supported: Full, Grid, Random, RandomCoordinate"));
    pipit_params_unref(p);
}

static void
test_pyramids(void)
{
    pipit_params_t *p;
    reg_map_t m = map_of("(FixedImagePyramid \"FixedShrinkingImagePyramid\")\n"
                         "(MovingImagePyramid \"FixedRecursiveImagePyramid\")",
                         &p);
    const reg_pyramid_class_t *c;
    c = pipit__reg_pyramid(&m, "FixedImagePyramid",
                           "FixedSmoothingImagePyramid");
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT_STRING_EQUAL(c->type, "smoothing");
    c = pipit__reg_pyramid(&m, "FixedImagePyramid",
                           "FixedShrinkingImagePyramid");
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT_STRING_EQUAL(c->type, "shrinking");
    c = pipit__reg_pyramid(&m, "MovingImagePyramid",
                           "MovingRecursiveImagePyramid");
    CU_ASSERT_FATAL(c != NULL);
    CU_ASSERT_STRING_EQUAL(c->type, "recursive");
    CU_ASSERT_STRING_EQUAL(c->name, "RecursiveImagePyramid");
    /* a fixed pyramid in the moving slot is not one elastix accepts */
    CU_ASSERT_PTR_NULL(pipit__reg_pyramid(&m, "MovingImagePyramid",
                                          "FixedRecursiveImagePyramid"));
    CU_ASSERT_PTR_NOT_NULL(strstr(
        pipit_error_message(),
        "comp.txt:2: MovingImagePyramid value 'FixedRecursiveImagePyramid': "
        "unknown component; supported: MovingSmoothingImagePyramid, "
        "MovingRecursiveImagePyramid, MovingShrinkingImagePyramid"));
    /* a name the map does not hold is named in the message */
    CU_ASSERT_PTR_NULL(pipit__reg_pyramid(&m, "FixedImagePyramid",
                                          "FixedGaussianPyramid"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(),
                                  "'FixedGaussianPyramid'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(),
                                  "supported: FixedSmoothingImagePyramid"));
    pipit_params_unref(p);
}

/* EulerTransform's AutomaticScalesEstimation on the bench's 96x96x80
 * fixed image (spacing 1, 1.2, 1.5): elastix 5.0.1 printed "Scales for
 * transform parameters are: [2301.922500000017, 1964.4791666666667,
 * 1871.2766666666814, 1, 1, 1]" (tests/data/registration/rigid3d_mi.txt,
 * its log). By hand: a centred grid of step 4, 24 x 24 x 20 points from
 * index (1, 1, 1); the scale of rotation a is the mean of the squared
 * distances to the centre along the two other axes. */
static void
test_euler_scales(void)
{
    const size_t size[3] = { 96, 96, 80 };
    const double spacing[3] = { 1.0, 1.2, 1.5 };
    const double origin[3] = { -64.5, 20.25, -100.0 };
    pipit_image_t *img = pipit_image_new(3, size, PIPIT_F32, 1);
    ASSERT_OK(pipit_image_set_spacing(img, spacing));
    ASSERT_OK(pipit_image_set_origin(img, origin));
    pipit_params_t *p = NULL;
    const char *text = "(Transform \"EulerTransform\")\n"
                       "(AutomaticScalesEstimation \"true\")\n";
    ASSERT_OK(pipit_params_parse(text, strlen(text), "comp.txt", &p));
    reg_map_t m = { .params = p, .file = "comp.txt", .dim = 3,
                    .n_levels = 1 };
    reg_transform_setup_t s = { .map = &m, .fixed = img, .moving = img };
    pipit_transform_t *t = NULL;
    double *scales = NULL;
    ASSERT_OK(pipit__reg_transform_euler.create(&s, &t, &scales));
    /* independent: the centred grid's second moments per axis */
    double m2[3];
    for (unsigned a = 0; a < 3; a++) {
        size_t cnt = 1 + (size[a] - 1) / 4;
        size_t first = (size[a] - ((cnt - 1) * 4 + 1)) / 2;
        double c = 0.5 * (double)(size[a] - 1), sum = 0.0;
        for (size_t k = 0; k < cnt; k++) {
            double x = ((double)(first + 4 * k) - c) * spacing[a];
            sum += x * x;
        }
        m2[a] = sum / (double)cnt;
    }
    const double elastix[3] = { 2301.922500000017, 1964.4791666666667,
                                1871.2766666666814 };
    for (unsigned a = 0; a < 3; a++) {
        double hand = m2[(a + 1) % 3] + m2[(a + 2) % 3];
        CU_ASSERT_DOUBLE_EQUAL(hand, elastix[a], 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(scales[a], elastix[a], 1e-9);
        CU_ASSERT_DOUBLE_EQUAL(scales[3 + a], 1.0, 1e-12);
    }
    pipit__free(scales);
    pipit_transform_unref(t);
    pipit_params_unref(p);
    pipit_image_unref(img);
}

const test_case_t test_reg_components_cases[] = {
    { "samplers", test_samplers },
    { "pyramids", test_pyramids },
    { "euler_scales", test_euler_scales },
    { NULL, NULL },
};

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

const test_case_t test_reg_components_cases[] = {
    { "samplers", test_samplers },
    { "pyramids", test_pyramids },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ASGD's automatic estimation over the pool (registration/asgd_estimate.c,
 * registration/bspline_fast.c): the dense Jacobian terms of an affine
 * transform on enough points to be shared by the workers give the same
 * registration, bit for bit, at 1, 2 and 3 threads (the banded B-spline
 * terms are checked in the reg_bspline suite).
 */
#include <string.h>

#include <pipit/pipit.h>

#include "testutil.h"

static pipit_image_t *
read_image(const char *name)
{
    pipit_image_t *img = NULL;
    ASSERT_OK(pipit_image_read(test_data(name), &img));
    return img;
}

/* A 2-D affine transform on 50000 Jacobian points (fewer where the grid
 * over the 221 x 257 image has fewer): 6² · 2 products a point, over
 * asgd_estimate.c's DENSE_PARALLEL_MIN_PRODUCTS (2^21), so the workers
 * share both passes. */
static const char affine_text[] =
    "(Metric \"AdvancedMeanSquares\")\n"
    "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
    "(Transform \"AffineTransform\")\n"
    "(AutomaticTransformInitialization \"true\")\n"
    "(ImageSampler \"RandomCoordinate\")\n"
    "(NumberOfSpatialSamples 500)\n"
    "(NumberOfResolutions 1)\n"
    "(NumberOfSamplesForExactGradient 2000)\n"
    "(NumberOfJacobianMeasurements 50000)\n"
    "(MaximumNumberOfIterations 5)\n";

static void
test_dense_threads(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    pipit_params_t *p = NULL;
    ASSERT_OK(pipit_params_parse(affine_text, strlen(affine_text), "t.txt", &p));
    pipit_params_list_t *l = pipit_params_list_new();
    ASSERT_OK(pipit_params_list_append(l, p));
    pipit_params_unref(p);
    double first[6] = { 0 };
    unsigned threads = pipit_pool_threads();
    for (unsigned tc = 1; tc <= 3; tc++) {
        ASSERT_OK(pipit_pool_set_threads(tc));
        pipit_node_t *r = pipit_registration_new();
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        ASSERT_OK(pipit_node_set_input_image(r, PIPIT_REGISTRATION_FIXED, f));
        ASSERT_OK(pipit_node_set_input_image(r, PIPIT_REGISTRATION_MOVING, m));
        ASSERT_OK(pipit_node_set_input_data(r, PIPIT_REGISTRATION_PARAMS,
                                            PIPIT_DATA(l)));
        ASSERT_OK(pipit_node_update(r));
        pipit_transform_t *t =
            pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        if (pipit_transform_is_chain(t))
            t = pipit_transform_chain_current(t);
        CU_ASSERT_EQUAL_FATAL(pipit_transform_n_parameters(t), 6);
        const double *mu = pipit_transform_parameters(t);
        if (tc == 1) {
            memcpy(first, mu, sizeof first);
            /* it moved: the estimated gain is not zero */
            CU_ASSERT(first[4] != 0.0 || first[5] != 0.0);
        } else {
            CU_ASSERT(memcmp(first, mu, sizeof first) == 0);
        }
        pipit_node_unref(r);
    }
    ASSERT_OK(pipit_pool_set_threads(threads));
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

const test_case_t test_asgd_terms_cases[] = {
    { "dense_threads", test_dense_threads },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipit_registration_check: everything that can be found wrong before the
 * first iteration, in milliseconds: the inputs' information, every map's
 * component names and values (each component reads its keys for every
 * resolution), the declared dimensions, and the keys nobody reads.
 */
#include <stdio.h>
#include <string.h>

#include <pipit/registration.h>

#include "node_impl.h"
#include "params_impl.h"
#include "registration_impl.h"

/* Keys pipit reads or elastix writes into files pipit reads back; any
 * other key is reported, as elastix would silently ignore it. */
static const char *const known_keys[] = {
    "ASGDParameterEstimationMethod", "AutomaticParameterEstimation",
    "AutomaticScalesEstimation", "AutomaticTransformInitialization",
    "AutomaticTransformInitializationMethod", "BSplineInterpolationOrder",
    "BSplineTransformSplineOrder", "FinalGridSpacingInPhysicalUnits",
    "FinalGridSpacingInVoxels", "GridDirection", "GridIndex", "GridOrigin",
    "GridSize", "GridSpacing", "GridSpacingSchedule", "PassiveEdgeWidth",
    "UseCyclicTransform",
    "CenterOfGravityUsesLowerThreshold", "CenterOfRotation",
    "CenterOfRotationPoint", "CheckNumberOfSamples", "CompressResultImage",
    "ComputeZYX", "DefaultOutputPrecision", "DefaultPixelValue",
    "Direction", "ErodeFixedMask", "ErodeMask", "ErodeMovingMask",
    "FinalBSplineInterpolationOrder", "FixedImageBSplineInterpolationOrder",
    "FixedImageDimension", "FixedImagePyramid", "FixedImagePyramidSchedule",
    "FixedInternalImagePixelType", "FixedKernelBSplineOrder",
    "FixedLimitRangeRatio", "GradientMagnitudeTolerance",
    "HowToCombineTransforms", "ImagePyramidSchedule", "ImageSampler",
    "Index", "InitialTransformParameterFileName",
    "InitialTransformParametersFileName", "Interpolator",
    "LBFGSUpdateAccuracy", "LineSearchGradientTolerance",
    "LineSearchValueTolerance", "LowerThresholdForCenterGravity",
    "MaximumDisplacementEstimationMethod", "MaximumNumberOfIterations",
    "MaximumNumberOfLineSearchIterations",
    "MaximumNumberOfSamplingAttempts", "MaximumStepLength",
    "MaximumStepLengthRatio", "Metric", "MinimumGradientMagnitude",
    "MinimumStepLength", "MovingImageDerivativeScales",
    "MovingImageDimension", "MovingImagePyramid",
    "MovingImagePyramidSchedule", "MovingInternalImagePixelType",
    "MovingKernelBSplineOrder", "MovingLimitRangeRatio",
    "NewSamplesEveryIteration", "NoiseCompensation",
    "NumberOfFixedHistogramBins", "NumberOfGradientMeasurements",
    "NumberOfHistogramBins", "NumberOfJacobianMeasurements",
    "NumberOfMovingHistogramBins", "NumberOfParameters",
    "NumberOfResolutions", "NumberOfSamplesForCenteredTransformInitialization",
    "NumberOfSamplesForExactGradient", "NumberOfSpatialSamples", "Optimizer",
    "Origin", "RandomSeed", "Registration", "RelaxationFactor",
    "ReleaseMemoryBeforeResampling", "RequiredRatioOfValidSamples",
    "ResampleInterpolator", "Resampler", "ResultImageFormat",
    "ResultImagePixelType", "SP_A", "SP_a", "SP_alpha", "SampleGridSpacing",
    "SampleRegionSize", "Scales", "ShowExactMetricValue",
    "SigmoidInitialTime", "SigmoidMax", "SigmoidMin", "SigmoidScale",
    "SigmoidScaleFactor", "Size", "Spacing", "StepLength",
    "StopIfWolfeNotSatisfied", "SubtractMean", "Transform",
    "TransformParameters", "UseAdaptiveStepSizes", "UseConstantStep",
    "UseCruzAcceleration", "UseDirectionCosines",
    "UseFastAndLowMemoryVersion", "UseJacobianPreconditioning",
    "UseMultiThreadingForMetrics", "UseNormalization",
    "UseRandomSampleRegion", "WriteIterationInfo",
    "WriteFinalTransformParameters", "WritePyramidImagesAfterEachResolution",
    "WriteResultImage", "WriteResultImageAfterEachIteration",
    "WriteResultImageAfterEachResolution",
    "WriteTransformParametersEachIteration",
    "WriteTransformParametersEachResolution",
    "UseBinaryFormatForTransformationParameters", "MaximumNumberOfIterations",
    NULL
};

static bool
known(const char *key)
{
    for (size_t i = 0; known_keys[i] != NULL; i++)
        if (strcmp(known_keys[i], key) == 0)
            return true;
    return false;
}

static pipit_status_t
check_dimension(const reg_map_t *m, const char *key)
{
    int64_t d;
    pipit_status_t st = pipit__reg_get_int(m, key, 0, m->dim, &d);
    if (st == PIPIT_OK && d != (int64_t)m->dim) {
        char why[96];
        snprintf(why, sizeof why, "the images are %u-D", m->dim);
        return pipit__reg_key_error(m, key, 0, PIPIT_EINVAL, why);
    }
    return st;
}

/* Runs every component's configure for every level on scratch state. */
static pipit_status_t
check_map(const reg_map_t *m)
{
    reg_components_t c;
    pipit_status_t st = PIPIT_OK;
    if ((st = pipit__reg_map_components(m, &c)) != PIPIT_OK ||
        (st = check_dimension(m, "FixedImageDimension")) != PIPIT_OK ||
        (st = check_dimension(m, "MovingImageDimension")) != PIPIT_OK)
        return st;
    pipit_pixel_type_t t;
    if ((st = pipit__reg_result_type(m->params, m->file, &t)) != PIPIT_OK)
        return st;
    void *s[REG_MAX_METRICS] = { 0 }, *me[REG_MAX_METRICS] = { 0 };
    void *o = pipit__calloc(1, c.optimizer->state_size + 1);
    bool made = o != NULL;
    for (size_t j = 0; j < c.n_samplers; j++)
        made = (s[j] = pipit__calloc(1, c.sampler[j]->state_size + 1)) !=
                   NULL && made;
    for (size_t j = 0; j < c.n_metrics; j++)
        made = (me[j] = pipit__calloc(1, c.metric[j]->state_size + 1)) !=
                   NULL && made;
    if (!made) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    for (unsigned r = 0; r < m->n_levels && st == PIPIT_OK; r++) {
        int64_t order;
        bool b;
        for (size_t j = 0; j < c.n_samplers && st == PIPIT_OK; j++)
            st = c.sampler[j]->configure(s[j], m, r);
        for (size_t j = 0; j < c.n_metrics && st == PIPIT_OK; j++)
            st = c.metric[j]->configure(me[j], m, r);
        if (st != PIPIT_OK ||
            (st = c.optimizer->configure(o, m, r)) != PIPIT_OK ||
            (st = pipit__reg_get_int_in(m, "BSplineInterpolationOrder", r, 1,
                                        0, 5, &order)) != PIPIT_OK ||
            (st = pipit__reg_get_bool(m, "NewSamplesEveryIteration", r,
                                      false, &b)) != PIPIT_OK ||
            (st = pipit__reg_get_int_in(m, "MaximumNumberOfSamplingAttempts",
                                        r, 0, 0, 1000, &order)) != PIPIT_OK)
            break;
    }
done:
    for (size_t j = 0; j < c.n_samplers; j++) {
        if (s[j] != NULL && c.sampler[j]->finalize != NULL)
            c.sampler[j]->finalize(s[j]);
        pipit__free(s[j]);
    }
    for (size_t j = 0; j < c.n_metrics; j++) {
        if (me[j] != NULL && c.metric[j]->finalize != NULL)
            c.metric[j]->finalize(me[j]);
        pipit__free(me[j]);
    }
    if (o != NULL && c.optimizer->finalize != NULL)
        c.optimizer->finalize(o);
    pipit__free(o);
    return st;
}

pipit_status_t
pipit_registration_check(pipit_node_t *n)
{
    if (n == NULL || pipit_node_get_class(n) != &pipit__registration_class)
        return pipit__error(PIPIT_EINVAL, "not a registration node");
    pipit_status_t st = pipit_node_update_information(n);
    if (st != PIPIT_OK)
        return st;
    pipit_params_list_t *l =
        pipit_data_params(pipit__input_data(n, PIPIT_REGISTRATION_PARAMS));
    unsigned dim = pipit_image_dim(pipit__input(n, PIPIT_REGISTRATION_FIXED));
    for (unsigned k = PIPIT_REGISTRATION_FIXED_MASK;
         k <= PIPIT_REGISTRATION_MOVING_MASK; k++) {
        const pipit_image_t *mask = pipit__input(n, k);
        if (mask != NULL && pipit_image_dim(mask) != dim)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "the %s mask is %u-D, the images %u-D",
                                     k == PIPIT_REGISTRATION_FIXED_MASK
                                         ? "fixed"
                                         : "moving",
                                     pipit_image_dim(mask), dim);
    }
    for (size_t i = 0; i < pipit_params_list_count(l); i++) {
        const pipit_params_t *p = pipit_params_list_get(l, i);
        char file[48];
        snprintf(file, sizeof file, "parameter map %zu", i);
        reg_map_t m = {
            .params = p,
            .file = pipit_params_source(p) != NULL ? pipit_params_source(p)
                                                   : file,
            .index = (unsigned)i,
            .dim = dim,
        };
        pipit__reg_registration_log(n, &m);
        if ((st = pipit__reg_map_levels(&m, &m.n_levels)) != PIPIT_OK ||
            (st = check_map(&m)) != PIPIT_OK)
            return st;
        for (size_t k = 0; k < pipit_params_count(p); k++) {
            const char *key = pipit_params_key(p, k);
            if (!known(key))
                pipit__reg_warn(&m,
                                "%s:%zu: unknown parameter %s is ignored",
                                m.file, pipit__params_line(p, key), key);
        }
    }
    return PIPIT_OK;
}

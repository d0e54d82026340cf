/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration node against known answers: the ITK brain pairs whose
 * truth ../shared/data/README.md derives (an exact integer shift; a fitted
 * rotation), a 3-D affine case built here with a known transform,
 * anisotropic spacing and a non-zero origin; determinism across thread
 * counts and repeated runs; the pipeline's re-run rules; cancel; errors.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/node_class.h>
#include <pipit/pipit.h>

#include "error_impl.h"
#include "testutil.h"

static pipit_params_list_t *
maps_from_files(const char *const *names, size_t n)
{
    pipit_params_list_t *l = pipit_params_list_new();
    for (size_t i = 0; i < n; i++) {
        pipit_params_t *p = NULL;
        ASSERT_OK(pipit_params_read(test_data(names[i]), &p));
        ASSERT_OK(pipit_params_list_append(l, p));
        pipit_params_unref(p);
    }
    return l;
}

static pipit_params_list_t *
maps_from_text(const char *text)
{
    pipit_params_t *p = NULL;
    ASSERT_OK(pipit_params_parse(text, strlen(text), "test.txt", &p));
    pipit_params_list_t *l = pipit_params_list_new();
    ASSERT_OK(pipit_params_list_append(l, p));
    pipit_params_unref(p);
    return l;
}

static pipit_image_t *
read_image(const char *name)
{
    pipit_image_t *img = NULL;
    ASSERT_OK(pipit_image_read(test_data(name), &img));
    return img;
}

static pipit_node_t *
registration(pipit_image_t *fixed, pipit_image_t *moving,
             pipit_params_list_t *maps)
{
    pipit_node_t *r = pipit_registration_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    ASSERT_OK(pipit_node_set_input_image(r, PIPIT_REGISTRATION_FIXED, fixed));
    ASSERT_OK(pipit_node_set_input_image(r, PIPIT_REGISTRATION_MOVING,
                                         moving));
    ASSERT_OK(pipit_node_set_input_data(r, PIPIT_REGISTRATION_PARAMS,
                                        PIPIT_DATA(maps)));
    return r;
}

static const double *
final_parameters(pipit_node_t *r, size_t *n)
{
    pipit_transform_t *t =
        pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    if (pipit_transform_is_chain(t))
        t = pipit_transform_chain_current(t);
    *n = pipit_transform_n_parameters(t);
    return pipit_transform_parameters(t);
}

/* BrainProtonDensity Border20 against its exact (13, 17) shift. */
static void
test_translation_brain(void)
{
    static const char *const files[] = { "registration/params_translation.txt" };
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    pipit_params_list_t *l = maps_from_files(files, 1);
    pipit_node_t *r = registration(f, m, l);
    ASSERT_OK(pipit_node_update(r));
    size_t n;
    const double *p = final_parameters(r, &n);
    CU_ASSERT_EQUAL(n, 2);
    printf("\n    translation: (%.4f, %.4f), truth (13, 17)\n", p[0], p[1]);
    CU_ASSERT(fabs(p[0] - 13.0) < 0.05);
    CU_ASSERT(fabs(p[1] - 17.0) < 0.05);
    /* The result image is the moving image on the fixed grid. */
    pipit_image_t *res = pipit_node_get_output(r, PIPIT_REGISTRATION_RESULT);
    CU_ASSERT_EQUAL(pipit_image_pixel_type(res), PIPIT_U8);
    CU_ASSERT(pipit_image_same_grid(res, f, 1e-9));
    double err = 0;
    size_t cnt = 0;
    const size_t *sz = pipit_image_size(f);
    for (size_t y = 30; y + 30 < sz[1]; y++)
        for (size_t x = 30; x + 30 < sz[0]; x++) {
            size_t i[2] = { x, y };
            double a = pipit_image_get_value(res, i, 0);
            double b = pipit_image_get_value(f, i, 0);
            err += fabs(a - b);
            cnt++;
        }
    printf("    result vs fixed: mean |difference| %.3f grey levels\n",
           err / (double)cnt);
    CU_ASSERT(err / (double)cnt < 2.0);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

/* T1 against the PD image rotated by the fitted 9.998 degrees about
 * (110, 128) and shifted by (13.096, 15.926): Mattes MI. */
static void
test_rigid_mi_brain(void)
{
    static const char *const files[] = { "registration/params_rigid_mi.txt" };
    pipit_image_t *f = read_image("registration/BrainT1SliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceR10X13Y17.png");
    pipit_params_list_t *l = maps_from_files(files, 1);
    pipit_node_t *r = registration(f, m, l);
    ASSERT_OK(pipit_node_update(r));
    size_t n;
    const double *p = final_parameters(r, &n);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    pipit_transform_t *t =
        pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
    const double *c = pipit_transform_center(t);
    CU_ASSERT(fabs(c[0] - 110.0) < 1e-9 && fabs(c[1] - 128.0) < 1e-9);
    double deg = p[0] * 180.0 / M_PI;
    printf("\n    rigid: %.4f deg, t (%.4f, %.4f); truth 9.998, (13.096, "
           "15.926)\n",
           deg, p[1], p[2]);
    CU_ASSERT(fabs(deg - 9.998) < 0.1);
    CU_ASSERT(fabs(p[1] - 13.096) < 0.15);
    CU_ASSERT(fabs(p[2] - 15.926) < 0.15);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

/* A smooth 3-D volume: a few Gaussian blobs of different widths. */
static pipit_image_t *
blobs_volume(const size_t *size, const double *spacing, const double *origin)
{
    pipit_image_t *img = pipit_image_new(3, size, PIPIT_F32, 1);
    ASSERT_OK(pipit_image_set_spacing(img, spacing));
    ASSERT_OK(pipit_image_set_origin(img, origin));
    static const double blobs[][5] = {
        /* centre as fractions of the extent, sigma (mm), weight */
        { 0.35, 0.40, 0.45, 6.0, 100.0 }, { 0.65, 0.55, 0.40, 4.5, 80.0 },
        { 0.50, 0.30, 0.65, 5.0, 60.0 },  { 0.40, 0.70, 0.60, 3.5, 90.0 },
        { 0.60, 0.45, 0.70, 7.0, 50.0 },
    };
    float *px = pipit_image_data_writable(img);
    for (size_t z = 0; z < size[2]; z++)
        for (size_t y = 0; y < size[1]; y++)
            for (size_t x = 0; x < size[0]; x++) {
                double q[3] = { x * spacing[0], y * spacing[1],
                                z * spacing[2] };
                double v = 10.0;
                for (size_t b = 0; b < sizeof blobs / sizeof blobs[0]; b++) {
                    double d2 = 0;
                    for (int a = 0; a < 3; a++) {
                        double c = blobs[b][a] * (size[a] - 1) * spacing[a];
                        d2 += (q[a] - c) * (q[a] - c);
                    }
                    v += blobs[b][4] *
                         exp(-d2 / (2 * blobs[b][3] * blobs[b][3]));
                }
                px[(z * size[1] + y) * size[0] + x] = (float)v;
            }
    return img;
}

static const char affine_3d_params[] =
    "(Registration \"MultiResolutionRegistration\")\n"
    "(FixedImagePyramid \"FixedSmoothingImagePyramid\")\n"
    "(MovingImagePyramid \"MovingSmoothingImagePyramid\")\n"
    "(Interpolator \"BSplineInterpolator\")\n"
    "(Metric \"AdvancedMeanSquares\")\n"
    "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
    "(Transform \"AffineTransform\")\n"
    "(ImageSampler \"RandomCoordinate\")\n"
    "(NumberOfResolutions 2)\n"
    "(AutomaticScalesEstimation \"true\")\n"
    "(MaximumNumberOfIterations 250)\n"
    "(NumberOfSpatialSamples 3000)\n"
    "(NewSamplesEveryIteration \"true\")\n"
    "(ResultImagePixelType \"float\")\n";

/* A known affine map recovered within 0.2 voxel RMS over the image. */
static void
test_affine_3d(void)
{
    const size_t size[3] = { 40, 36, 30 };
    const double spacing[3] = { 1.0, 1.2, 1.5 };
    const double origin[3] = { -20.0, 5.0, 12.5 };
    pipit_image_t *f = blobs_volume(size, spacing, origin);
    double idx[3] = { 19.5, 17.5, 14.5 }, c[3];
    pipit_image_index_to_point(f, idx, c);
    pipit_transform_t *truth = pipit_affine_transform_new(3, c);
    const double tp[12] = { 1.03, 0.04, -0.02, -0.03, 0.98, 0.05,
                            0.02, -0.04, 1.02, 1.6, -1.2, 0.9 };
    ASSERT_OK(pipit_transform_set_parameters(truth, tp, 12));
    /* moving(T(x)) = fixed(x): the moving image is fixed resampled by T^-1 */
    pipit_transform_t *inv = NULL;
    ASSERT_OK(pipit_transform_inverse(truth, &inv));
    pipit_node_t *rs = pipit_resample_new();
    ASSERT_OK(pipit_node_set_input_image(rs, 0, f));
    ASSERT_OK(pipit_resample_set_transform(rs, inv));
    ASSERT_OK(pipit_node_set(rs, "interpolator", "bspline"));
    ASSERT_OK(pipit_node_update(rs));
    pipit_image_t *m = pipit_image_share(pipit_node_get_output(rs, 0));
    pipit_node_unref(rs);

    pipit_params_list_t *l = maps_from_text(affine_3d_params);
    pipit_node_t *r = registration(f, m, l);
    ASSERT_OK(pipit_node_update(r));
    pipit_transform_t *t =
        pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
    double sum = 0, worst = 0;
    size_t n = 0;
    for (size_t z = 0; z < size[2]; z++)
        for (size_t y = 0; y < size[1]; y++)
            for (size_t x = 0; x < size[0]; x++) {
                double i3[3] = { (double)x, (double)y, (double)z }, p[3],
                       a[3], b[3];
                pipit_image_index_to_point(f, i3, p);
                pipit_transform_point(t, p, a);
                pipit_transform_point(truth, p, b);
                double e2 = 0;
                for (int k = 0; k < 3; k++) {
                    double e = (a[k] - b[k]) / spacing[k];
                    e2 += e * e;
                }
                sum += e2;
                if (e2 > worst)
                    worst = e2;
                n++;
            }
    double rms = sqrt(sum / (double)n);
    printf("\n    3-D affine: RMS error %.4f voxel, max %.4f voxel\n", rms,
           sqrt(worst));
    CU_ASSERT(rms < 0.2);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    pipit_transform_unref(truth);
    pipit_transform_unref(inv);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

/* The same inputs give the same bits at any thread count and again. */
static void
test_deterministic(void)
{
    static const char *const files[] = { "registration/params_translation.txt" };
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    pipit_params_list_t *l = maps_from_files(files, 1);
    double first[2] = { 0 };
    unsigned threads = pipit_pool_threads();
    for (size_t k = 0; k < 4; k++) {
        unsigned tc = k < 3 ? test_thread_counts[k] : 16;
        ASSERT_OK(pipit_pool_set_threads(tc));
        pipit_node_t *r = registration(f, m, l);
        ASSERT_OK(pipit_node_update(r));
        size_t n;
        const double *p = final_parameters(r, &n);
        if (k == 0)
            memcpy(first, p, sizeof first);
        else
            CU_ASSERT(memcmp(first, p, sizeof first) == 0);
        pipit_node_unref(r);
    }
    ASSERT_OK(pipit_pool_set_threads(threads));
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

static int
count_rows_fn(const pipit_registration_iteration_t *it, void *user)
{
    (void)it;
    ++*(size_t *)user;
    return 0;
}

/* One registration of the translation pair with a thread budget. */
typedef struct job {
    pipit_image_t *f, *m;
    pipit_params_list_t *maps;
    unsigned threads;
    double params[2];
    size_t rows;
    pipit_status_t st;
} job_t;

static void *
run_job(void *arg)
{
    job_t *j = arg;
    pipit_node_t *r = pipit_registration_new();
    j->st = pipit_node_set_input_image(r, PIPIT_REGISTRATION_FIXED, j->f);
    if (j->st == PIPIT_OK)
        j->st = pipit_node_set_input_image(r, PIPIT_REGISTRATION_MOVING, j->m);
    if (j->st == PIPIT_OK)
        j->st = pipit_node_set_input_data(r, PIPIT_REGISTRATION_PARAMS,
                                          PIPIT_DATA(j->maps));
    if (j->st == PIPIT_OK)
        j->st = pipit_registration_set_threads(r, j->threads);
    if (j->st == PIPIT_OK)
        j->st = pipit_registration_set_iteration_callback(r, count_rows_fn,
                                                          &j->rows);
    if (j->st == PIPIT_OK)
        j->st = pipit_node_update(r);
    if (j->st == PIPIT_OK) {
        pipit_transform_t *t =
            pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM);
        memcpy(j->params, pipit_transform_parameters(t), sizeof j->params);
    }
    pipit_node_unref(r);
    return NULL;
}

/* Several registrations at once in one process, each with its own
 * thread budget and callback, give what each gives alone. */
static void
test_concurrent(void)
{
    static const char *const files[] = { "registration/params_translation.txt" };
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    pipit_params_list_t *l = maps_from_files(files, 1);
    job_t alone = { f, m, l, 0, { 0 }, 0, PIPIT_OK };
    run_job(&alone);
    ASSERT_OK(alone.st);
    job_t jobs[3] = { { f, m, l, 1, { 0 }, 0, PIPIT_OK },
                      { f, m, l, 2, { 0 }, 0, PIPIT_OK },
                      { f, m, l, 0, { 0 }, 0, PIPIT_OK } };
    pthread_t th[3];
    for (int k = 0; k < 3; k++)
        CU_ASSERT_EQUAL_FATAL(pthread_create(&th[k], NULL, run_job, &jobs[k]),
                              0);
    for (int k = 0; k < 3; k++)
        pthread_join(th[k], NULL);
    for (int k = 0; k < 3; k++) {
        ASSERT_OK(jobs[k].st);
        CU_ASSERT(memcmp(jobs[k].params, alone.params, sizeof alone.params) ==
                  0);
        CU_ASSERT_EQUAL(jobs[k].rows, alone.rows);
    }
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

static const char small_params[] =
    "(Metric \"AdvancedMeanSquares\")\n"
    "(Optimizer \"RegularStepGradientDescent\")\n"
    "(Transform \"TranslationTransform\")\n"
    "(ImageSampler \"Grid\")\n"
    "(NumberOfResolutions 1)\n"
    "(MaximumNumberOfIterations 30)\n"
    "(MaximumStepLength 2)\n"
    "(MinimumStepLength 0)\n"
    "(MinimumGradientMagnitude 0)\n"
    "(ResultImagePixelType \"float\")\n";

static int
cancel_at_5(const pipit_registration_iteration_t *it, void *user)
{
    size_t *count = user;
    ++*count;
    CU_ASSERT_PTR_NOT_NULL(it->row);
    CU_ASSERT_PTR_NOT_NULL(it->header);
    return it->iteration == 5;
}

static int
count_rows(const pipit_registration_iteration_t *it, void *user)
{
    (void)it;
    ++*(size_t *)user;
    return 0;
}

/* Re-run rules, cancel, and the transform port feeding a resample node. */
static void
test_pipeline_rules(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    pipit_params_list_t *l = maps_from_text(small_params);
    pipit_node_t *r = registration(f, m, l);
    size_t rows = 0;
    ASSERT_OK(pipit_registration_set_iteration_callback(r, count_rows, &rows));
    /* a resample downstream takes the transform output */
    pipit_node_t *rs = pipit_resample_new();
    ASSERT_OK(pipit_node_set_input_image(rs, 0, m));
    ASSERT_OK(pipit_node_set_input_image(rs, 1, f));
    ASSERT_OK(pipit_node_set_input(rs, 2, r, PIPIT_REGISTRATION_TRANSFORM));
    ASSERT_OK(pipit_node_update(rs));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 1);
    CU_ASSERT_EQUAL(rows, 30);
    /* nothing changed: nothing runs */
    ASSERT_OK(pipit_node_update(rs));
    ASSERT_OK(pipit_node_update(r));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 1);
    /* the same value again changes nothing */
    pipit_params_t *p = pipit_params_list_get(l, 0);
    ASSERT_OK(pipit_params_set_string(p, "MaximumNumberOfIterations", "30"));
    ASSERT_OK(pipit_node_update(rs));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 1);
    /* a new value re-runs it */
    ASSERT_OK(pipit_params_set_string(p, "MaximumNumberOfIterations", "10"));
    rows = 0;
    ASSERT_OK(pipit_node_update(rs));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 2);
    CU_ASSERT_EQUAL(rows, 10);
    /* cancel from the callback */
    size_t count = 0;
    ASSERT_OK(pipit_registration_set_iteration_callback(r, cancel_at_5,
                                                        &count));
    ASSERT_OK(pipit_params_set_string(p, "MaximumNumberOfIterations", "20"));
    ASSERT_FAILS_WITH(pipit_node_update(r), PIPIT_ECANCELED, "cancel");
    CU_ASSERT_EQUAL(count, 6);
    pipit_node_unref(rs);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

/* Asked for its transform alone, the node resamples no result image,
 * and its transform is the one a full update gives, bit for bit; asking
 * for the result afterwards makes it (the registration runs again). */
static void
test_transform_only(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    pipit_params_list_t *l = maps_from_text(small_params);
    pipit_node_t *full = registration(f, m, l);
    pipit_node_t *r = registration(f, m, l);
    ASSERT_OK(pipit_node_update(full));
    ASSERT_OK(pipit_node_update_output(r, PIPIT_REGISTRATION_TRANSFORM));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 1);
    CU_ASSERT_PTR_NULL(
        pipit_image_data(pipit_node_get_output(r, PIPIT_REGISTRATION_RESULT)));
    size_t n, n_full;
    const double *p = final_parameters(r, &n);
    const double *p_full = final_parameters(full, &n_full);
    CU_ASSERT_EQUAL_FATAL(n, n_full);
    CU_ASSERT(memcmp(p, p_full, n * sizeof *p) == 0);
    /* nothing changed: nothing runs */
    ASSERT_OK(pipit_node_update_output(r, PIPIT_REGISTRATION_TRANSFORM));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 1);
    /* the result, now asked for, equals the full update's */
    ASSERT_OK(pipit_node_update_output(r, PIPIT_REGISTRATION_RESULT));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 2);
    const pipit_image_t *a = pipit_node_get_output(r, PIPIT_REGISTRATION_RESULT);
    const pipit_image_t *b =
        pipit_node_get_output(full, PIPIT_REGISTRATION_RESULT);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pipit_image_data(a));
    const size_t *size = pipit_image_size(a);
    CU_ASSERT(memcmp(pipit_image_data(a), pipit_image_data(b),
                     size[0] * size[1] * pipit_image_pixel_bytes(a)) == 0);
    ASSERT_FAILS_WITH(pipit_node_update_output(r, 99), PIPIT_EINVAL,
                      "no output 99");
    pipit_node_unref(r);
    pipit_node_unref(full);
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

/* The allocations of a run do not grow with its iterations: the hot loop
 * allocates nothing per iteration (or per sample). */
static size_t
allocations_for(pipit_image_t *f, pipit_image_t *m, const char *iterations,
                const char *optimizer, const char *metrics)
{
    char text[1024];
    snprintf(text, sizeof text,
             "%s"
             "(Optimizer \"%s\")\n"
             "(Transform \"EulerTransform\")\n"
             "(ImageSampler \"RandomCoordinate\")\n"
             "(NewSamplesEveryIteration \"true\")\n"
             "(NumberOfSpatialSamples 500)\n"
             "(NumberOfResolutions 2)\n"
             "(MaximumNumberOfIterations %s)\n",
             metrics, optimizer, iterations);
    pipit_params_list_t *l = maps_from_text(text);
    pipit_node_t *r = registration(f, m, l);
    size_t rows = 0;
    ASSERT_OK(pipit_registration_set_iteration_callback(r, count_rows, &rows));
    pipit__alloc_fail_at(0);
    ASSERT_OK(pipit_node_update(r));
    size_t n = pipit__alloc_fail_at(0);
    CU_ASSERT(rows > 0);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    return n;
}

static void
test_no_allocation_per_iteration(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    static const char *const optimizers[] = {
        "AdaptiveStochasticGradientDescent", "StandardGradientDescent",
        "RegularStepGradientDescent"
    };
    /* One thread: workers allocate their scratch once, on their first
     * piece, so with several the count depends on which ones ran. */
    unsigned threads = pipit_pool_threads();
    ASSERT_OK(pipit_pool_set_threads(1));
    static const char one[] = "(Metric \"AdvancedMattesMutualInformation\")\n";
    /* the per-metric figures, a metric left out evaluated for them */
    static const char three[] =
        "(Registration \"MultiMetricMultiResolutionRegistration\")\n"
        "(Metric \"AdvancedMattesMutualInformation\" \"AdvancedMeanSquares\" "
        "\"AdvancedNormalizedCorrelation\")\n(Metric2Use \"false\")\n";
    for (size_t k = 0; k < 4; k++) {
        const char *opt = optimizers[k < 3 ? k : 0];
        const char *metrics = k < 3 ? one : three;
        size_t few = allocations_for(f, m, "5", opt, metrics);
        size_t many = allocations_for(f, m, "60", opt, metrics);
        printf("\n    %s%s: %zu allocations for 5 iterations, %zu for 60",
               opt, k < 3 ? "" : " (3 metrics)", few, many);
        CU_ASSERT_EQUAL(few, many);
    }
    ASSERT_OK(pipit_pool_set_threads(threads));
    pipit_image_unref(f);
    pipit_image_unref(m);
}

typedef struct oom_case {
    pipit_image_t *f, *m;
    pipit_params_list_t *maps;
} oom_case_t;

static pipit_status_t
register_once(void *arg)
{
    oom_case_t *c = arg;
    pipit_node_t *r = pipit_registration_new();
    if (r == NULL)
        return PIPIT_ENOMEM;
    pipit_status_t st =
        pipit_node_set_input_image(r, PIPIT_REGISTRATION_FIXED, c->f);
    if (st == PIPIT_OK)
        st = pipit_node_set_input_image(r, PIPIT_REGISTRATION_MOVING, c->m);
    if (st == PIPIT_OK)
        st = pipit_node_set_input_data(r, PIPIT_REGISTRATION_PARAMS,
                                       PIPIT_DATA(c->maps));
    if (st == PIPIT_OK)
        st = pipit_node_update(r);
    pipit_node_unref(r);
    return st;
}

/* Every allocation of a run failing in turn: a clean ENOMEM, no leak. */
static void
test_out_of_memory(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    static const char text[] =
        "(Metric \"AdvancedMattesMutualInformation\")\n"
        "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"
        "(Transform \"EulerTransform\")\n"
        "(ImageSampler \"Random\")\n"
        "(NumberOfSpatialSamples 200)\n"
        "(NumberOfResolutions 1)\n"
        "(NumberOfSamplesForExactGradient 500)\n"
        "(MaximumNumberOfIterations 3)\n";
    oom_case_t c = { f, m, maps_from_text(text) };
    /* One thread: workers allocate their scratch on their first piece,
     * so with several the allocations a run makes depend on timing. */
    unsigned threads = pipit_pool_threads();
    ASSERT_OK(pipit_pool_set_threads(1));
    fail_each_allocation(register_once, &c);
    ASSERT_OK(pipit_pool_set_threads(threads));
    pipit_params_list_unref(c.maps);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

#define BSPLINE_BODY                                                       \
    "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"                     \
    "(Transform \"BSplineTransform\")\n"                                      \
    "(ImageSampler \"RandomCoordinate\")\n"                                   \
    "(FinalGridSpacingInVoxels 24)\n"                                         \
    "(NumberOfResolutions 1)\n"                                               \
    "(NumberOfSpatialSamples 1000)\n"                                         \
    "(NewSamplesEveryIteration \"true\")\n"                                   \
    "(MaximumNumberOfIterations 40)\n"                                        \
    "(MaximumStepLength 2)\n"                                                 \
    "(NumberOfSamplesForExactGradient 4000)\n"
#define TWO_METRICS                                                        \
    "(Metric \"AdvancedMeanSquares\" \"TransformBendingEnergyPenalty\")\n"
static const char bspline_multi[] =
    "(Registration \"MultiMetricMultiResolutionRegistration\")\n" TWO_METRICS
    BSPLINE_BODY;
static const char bspline_single[] =
    "(Metric \"AdvancedMeanSquares\")\n" BSPLINE_BODY;
static const char bspline_two_not_multi[] = TWO_METRICS BSPLINE_BODY;

static void
run_text(pipit_image_t *f, pipit_image_t *m, const char *text, double *p,
         size_t *n)
{
    pipit_params_list_t *l = maps_from_text(text);
    pipit_node_t *r = registration(f, m, l);
    ASSERT_OK(pipit_node_update(r));
    const double *q = final_parameters(r, n);
    memcpy(p, q, *n * sizeof *p);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
}

/* How far a 2-D B-spline's coefficients stray from a translation (their
 * per-axis means): what bending the penalty charges for. */
static double
spread(const double *p, size_t n)
{
    double s = 0.0;
    for (size_t axis = 0; axis < 2; axis++) {
        const double *c = p + axis * (n / 2);
        double mean = 0.0;
        for (size_t k = 0; k < n / 2; k++)
            mean += c[k];
        mean /= (double)(n / 2);
        for (size_t k = 0; k < n / 2; k++)
            s += (c[k] - mean) * (c[k] - mean);
    }
    return s;
}

static pipit_status_t check_text(const char *text, pipit_image_t *f,
                                 pipit_image_t *m);

/* MultiMetricMultiResolutionRegistration: a metric switched off leaves
 * exactly the other one; with a heavy bending penalty the B-spline stays
 * closer to a translation (the pair's true motion) than with a light one. */
static void
test_multi_metric(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    static double a[4096], b[4096], c[4096], d[4096];
    size_t na, nb, nc, nd;
    char text[2048];
    /* one metric, and the same with the penalty switched off */
    run_text(f, m, bspline_single, a, &na);
    snprintf(text, sizeof text,
             "%s(Metric0Weight 1.0)\n(Metric1Use \"false\")\n",
             bspline_multi);
    run_text(f, m, text, b, &nb);
    CU_ASSERT_EQUAL_FATAL(na, nb);
    CU_ASSERT(memcmp(a, b, na * sizeof *a) == 0);
    /* light and heavy penalties */
    snprintf(text, sizeof text, "%s(Metric1Weight 0.01)\n", bspline_multi);
    run_text(f, m, text, c, &nc);
    snprintf(text, sizeof text, "%s(Metric1Weight 1e9)\n", bspline_multi);
    run_text(f, m, text, d, &nd);
    printf("\n    coefficients' spread: light penalty %.4g, heavy %.4g",
           spread(c, nc), spread(d, nd));
    CU_ASSERT(spread(d, nd) < 0.5 * spread(c, nc));
    /* several metrics need the multi-metric registration */
    ASSERT_FAILS_WITH(check_text(bspline_two_not_multi, f, m), PIPIT_EINVAL,
                      "MultiMetricMultiResolutionRegistration");
    pipit_image_unref(f);
    pipit_image_unref(m);
}

/* What the per-metric figures of every row have to satisfy. */
typedef struct figures {
    size_t rows, bad;
    size_t bad_sum, bad_bound, bad_first;
    char header[512];
} figures_t;

static int
check_figures(const pipit_registration_iteration_t *it, void *user)
{
    figures_t *g = user;
    if (g->rows++ == 0)
        snprintf(g->header, sizeof g->header, "%s", it->header);
    if (it->n_metrics != 2 || it->metric_values == NULL ||
        it->metric_gradient_norms == NULL || it->metric_times_ms == NULL ||
        it->metric_weights == NULL || it->metric_used == NULL) {
        g->bad++;
        return 0;
    }
    double sum = 0.0, bound = 0.0;
    for (size_t j = 0; j < it->n_metrics; j++) {
        double v = it->metric_values[j], n = it->metric_gradient_norms[j];
        if (!isfinite(v) || !(n >= 0.0) || !(it->metric_times_ms[j] >= 0.0))
            g->bad++;
        if (it->metric_used[j]) {
            sum += it->metric_weights[j] * v;
            bound += fabs(it->metric_weights[j]) * n;
        }
    }
    /* the value is the weighted sum of the metrics in use */
    if (fabs(it->metric - sum) > 1e-12 * (1.0 + fabs(it->metric)))
        g->bad_sum++;
    /* the combined gradient is the weighted sum of theirs: the triangle
     * inequality bounds its norm (a B-spline's scales are all 1) */
    if (it->gradient_norm > bound * (1.0 + 1e-12) + 1e-300)
        g->bad_bound++;
    /* the B-spline starts flat: no bending, no bending gradient */
    if (it->iteration == 0 && it->level == 0 &&
        (it->metric_values[1] != 0.0 || it->metric_gradient_norms[1] != 0.0))
        g->bad_first++;
    /* one cell per column */
    size_t th = 0, tr = 0;
    for (const char *c = it->header; *c != '\0'; c++)
        th += *c == '\t';
    for (const char *c = it->row; *c != '\0'; c++)
        tr += *c == '\t';
    if (th != tr)
        g->bad++;
    return 0;
}

/* The per-metric figures a multi-metric registration hands the
 * callback, with and without a metric left out; leaving one out and
 * reading its figures changes nothing in the result. */
static void
test_multi_metric_figures(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    /* elastix 5.0.1's header for an ASGD multi-metric run with two
     * metrics (IterationInfo.0.R0.txt of /usr/bin/elastix) */
    static const char elastix_header[] =
        "1:ItNr\t2:Metric\t2:Metric0\t2:Metric1\t3a:Time\t3b:StepSize\t"
        "4:||Gradient0||\t4:||Gradient1||\t4:||Gradient||\tTime0[ms]\t"
        "Time1[ms]\tTime[ms]";
    static double a[4096];
    size_t na, nb;
    char text[2048];
    for (int unused = 0; unused < 2; unused++) {
        snprintf(text, sizeof text, "%s(Metric0Weight 0.7)\n%s",
                 bspline_multi,
                 unused ? "(Metric1Weight 5)\n(Metric1Use \"false\")\n"
                        : "(Metric1Weight 1000)\n");
        pipit_params_list_t *l = maps_from_text(text);
        pipit_node_t *r = registration(f, m, l);
        figures_t g = { 0 };
        ASSERT_OK(pipit_registration_set_iteration_callback(r, check_figures,
                                                            &g));
        ASSERT_OK(pipit_node_update(r));
        printf("\n    %s: %zu rows", unused ? "Metric1Use false" : "both",
               g.rows);
        CU_ASSERT_EQUAL(g.rows, 40);
        CU_ASSERT_EQUAL(g.bad, 0);
        CU_ASSERT_EQUAL(g.bad_sum, 0);
        CU_ASSERT_EQUAL(g.bad_bound, 0);
        CU_ASSERT_EQUAL(g.bad_first, 0);
        CU_ASSERT_STRING_EQUAL(g.header, elastix_header);
        const double *q = final_parameters(r, &na);
        memcpy(a, q, na * sizeof *a);
        pipit_node_unref(r);
        /* the same without a callback: the same result, bit for bit */
        r = registration(f, m, l);
        ASSERT_OK(pipit_node_update(r));
        q = final_parameters(r, &nb);
        CU_ASSERT_EQUAL_FATAL(na, nb);
        CU_ASSERT(memcmp(a, q, na * sizeof *a) == 0);
        pipit_node_unref(r);
        pipit_params_list_unref(l);
    }
    pipit_image_unref(f);
    pipit_image_unref(m);
}

typedef struct gather {
    pipit_image_t *whole; /* the pieces copied into it */
    size_t pieces;
} gather_t;

static pipit_status_t
gather_piece(const pipit_image_t *piece, const pipit_region_t *r, void *user)
{
    gather_t *g = user;
    g->pieces++;
    for (size_t y = r->lo[1]; y < r->hi[1]; y++)
        for (size_t x = r->lo[0]; x < r->hi[0]; x++) {
            size_t i[2] = { x, y };
            ASSERT_OK(pipit_image_set_value(g->whole, i, 0,
                                            pipit_image_get_value(piece, i,
                                                                  0)));
        }
    return PIPIT_OK;
}

/* The shape people build: the registration read by two consumers (a
 * difference with the fixed image from its result, a resample of the
 * moving image through its transform), streamed in small pieces: the same
 * pixels as the whole update, and the registration runs once. */
static void
test_graph_streamed(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    pipit_params_list_t *l = maps_from_text(small_params);
    pipit_node_t *r = registration(f, m, l);
    pipit_node_t *diff = pipit_subtract_new(0.0);
    ASSERT_OK(pipit_node_set_input(diff, 0, r, PIPIT_REGISTRATION_RESULT));
    ASSERT_OK(pipit_node_set_input_image(diff, 1, f));
    pipit_node_t *rs = pipit_resample_new();
    ASSERT_OK(pipit_node_set_input_image(rs, 0, m));
    ASSERT_OK(pipit_node_set_input_image(rs, 1, f));
    ASSERT_OK(pipit_node_set_input(rs, 2, r, PIPIT_REGISTRATION_TRANSFORM));
    ASSERT_OK(pipit_node_set(rs, "type", "f32"));
    pipit_node_t *sum = pipit_add_new(0.0);
    ASSERT_OK(pipit_node_set_input(sum, 0, diff, 0));
    ASSERT_OK(pipit_node_set_input(sum, 1, rs, 0));
    ASSERT_OK(pipit_node_update(sum));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 1);
    pipit_image_t *whole = pipit_image_dup(pipit_node_get_output(sum, 0));
    const size_t *sz = pipit_image_size(whole);
    /* a setting changed and back re-runs everything; then stream */
    pipit_params_t *p = pipit_params_list_get(l, 0);
    ASSERT_OK(pipit_params_set_string(p, "MaximumNumberOfIterations", "29"));
    ASSERT_OK(pipit_params_set_string(p, "MaximumNumberOfIterations", "30"));
    gather_t g = { pipit_image_new(2, sz, pipit_image_pixel_type(whole), 1),
                   0 };
    ASSERT_OK(pipit_node_stream(sum, 0, sz[0] * 8 * pipit_image_pixel_bytes(whole),
                                gather_piece, &g));
    CU_ASSERT(g.pieces > 4);
    CU_ASSERT_EQUAL(pipit_node_runs(r), 2); /* once for all the pieces */
    CU_ASSERT(memcmp(pipit_image_data(g.whole), pipit_image_data(whole),
                     sz[0] * sz[1] * pipit_image_pixel_bytes(whole)) == 0);
    /* its transform alone first (pipit_node_update_output: no result
     * made), then the graph streamed again: the result is made then,
     * the pixels are the same */
    ASSERT_OK(pipit_params_set_string(p, "MaximumNumberOfIterations", "29"));
    ASSERT_OK(pipit_params_set_string(p, "MaximumNumberOfIterations", "30"));
    ASSERT_OK(pipit_node_update_output(r, PIPIT_REGISTRATION_TRANSFORM));
    CU_ASSERT_EQUAL(pipit_node_runs(r), 3);
    CU_ASSERT_PTR_NULL(
        pipit_image_data(pipit_node_get_output(r, PIPIT_REGISTRATION_RESULT)));
    memset(pipit_image_data_writable(g.whole), 0,
           sz[0] * sz[1] * pipit_image_pixel_bytes(whole));
    g.pieces = 0;
    ASSERT_OK(pipit_node_stream(sum, 0, sz[0] * 8 * pipit_image_pixel_bytes(whole),
                                gather_piece, &g));
    CU_ASSERT(g.pieces > 4);
    CU_ASSERT_EQUAL(pipit_node_runs(r), 4);
    CU_ASSERT(memcmp(pipit_image_data(g.whole), pipit_image_data(whole),
                     sz[0] * sz[1] * pipit_image_pixel_bytes(whole)) == 0);
    pipit_image_unref(g.whole);
    pipit_image_unref(whole);
    pipit_node_unref(sum);
    pipit_node_unref(rs);
    pipit_node_unref(diff);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

/* Two maps chain: the second starts from the first's result. */
static void
test_two_maps_chain(void)
{
    static const char *const files[] = { "registration/params_translation.txt",
                                         "registration/params_rigid_mi.txt" };
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    pipit_params_list_t *l = maps_from_files(files, 2);
    pipit_params_t *p0 = pipit_params_list_get(l, 0);
    ASSERT_OK(pipit_params_set_string(p0, "MaximumNumberOfIterations", "100"));
    pipit_params_t *p1 = pipit_params_list_get(l, 1);
    ASSERT_OK(pipit_params_set_string(p1, "MaximumNumberOfIterations", "50"));
    ASSERT_OK(pipit_params_set_string(p1, "NumberOfResolutions", "1"));
    pipit_node_t *r = registration(f, m, l);
    ASSERT_OK(pipit_node_update(r));
    pipit_transform_t *t0 = pipit_registration_map_transform(r, 0);
    pipit_transform_t *t1 = pipit_registration_map_transform(r, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
    CU_ASSERT_PTR_NULL(pipit_registration_map_transform(r, 2));
    CU_ASSERT(pipit_transform_is_chain(t1));
    CU_ASSERT_PTR_EQUAL(pipit_transform_chain_initial(t1), t0);
    CU_ASSERT_PTR_EQUAL(
        pipit_node_get_output_transform(r, PIPIT_REGISTRATION_TRANSFORM), t1);
    double x[2] = { 100, 120 }, y[2];
    pipit_transform_point(t1, x, y);
    CU_ASSERT(fabs(y[0] - 113) < 0.1 && fabs(y[1] - 137) < 0.1);
    CU_ASSERT(isfinite(pipit_registration_final_metric(r, 1)));
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

static pipit_status_t
check_text(const char *text, pipit_image_t *f, pipit_image_t *m)
{
    pipit_params_list_t *l = maps_from_text(text);
    pipit_node_t *r = registration(f, m, l);
    pipit_status_t st = pipit_registration_check(r);
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    return st;
}

/* Mistakes found before any iteration, named. */
static void
test_errors(void)
{
    pipit_image_t *f = read_image("registration/BrainProtonDensitySliceBorder20.png");
    pipit_image_t *m =
        read_image("registration/BrainProtonDensitySliceShifted13x17y.png");
    char text[2048];
    ASSERT_OK(check_text(small_params, f, m));
    snprintf(text, sizeof text, "%s(Metric \"NoSuchMetric\")\n",
             strstr(small_params, "(Optimizer"));
    ASSERT_FAILS_WITH(check_text(text, f, m), PIPIT_EINVAL, "NoSuchMetric");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(),
                                  "AdvancedMattesMutualInformation"));
    snprintf(text, sizeof text, "%s(NumberOfResolutions \"abc\")\n",
             "(Metric \"AdvancedMeanSquares\")\n"
             "(Optimizer \"RegularStepGradientDescent\")\n"
             "(Transform \"TranslationTransform\")\n"
             "(ImageSampler \"Grid\")\n");
    ASSERT_FAILS_WITH(check_text(text, f, m), PIPIT_EINVAL,
                      "NumberOfResolutions");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "test.txt:5"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "abc"));
    snprintf(text, sizeof text, "%s", strstr(small_params, "(Optimizer"));
    ASSERT_FAILS_WITH(check_text(text, f, m), PIPIT_EINVAL, "Metric");
    snprintf(text, sizeof text, "%s(FixedImageDimension 3)\n", small_params);
    ASSERT_FAILS_WITH(check_text(text, f, m), PIPIT_EINVAL,
                      "FixedImageDimension");
    /* images of different dimension */
    const size_t s3[3] = { 8, 8, 8 };
    pipit_image_t *v = pipit_image_new(3, s3, PIPIT_F32, 1);
    ASSERT_FAILS_WITH(check_text(small_params, f, v), PIPIT_EINVAL, "3-D");
    pipit_image_unref(v);
    /* a mask that covers no pixel */
    const size_t *sz = pipit_image_size(f);
    pipit_image_t *mask = pipit_image_new(2, sz, PIPIT_U8, 1);
    memset(pipit_image_data_writable(mask), 0, sz[0] * sz[1]);
    pipit_params_list_t *l = maps_from_text(small_params);
    pipit_node_t *r = registration(f, m, l);
    ASSERT_OK(pipit_node_set_input_image(r, PIPIT_REGISTRATION_FIXED_MASK,
                                         mask));
    ASSERT_FAILS_WITH(pipit_node_update(r), PIPIT_EINVAL, "covers no pixel");
    pipit_node_unref(r);
    pipit_params_list_unref(l);
    pipit_image_unref(mask);
    pipit_image_unref(f);
    pipit_image_unref(m);
}

const test_case_t test_registration_cases[] = {
    { "translation_brain", test_translation_brain },
    { "rigid_mi_brain", test_rigid_mi_brain },
    { "affine_3d", test_affine_3d },
    { "deterministic", test_deterministic },
    { "concurrent", test_concurrent },
    { "pipeline_rules", test_pipeline_rules },
    { "transform_only", test_transform_only },
    { "two_maps_chain", test_two_maps_chain },
    { "errors", test_errors },
    { "multi_metric", test_multi_metric },
    { "multi_metric_figures", test_multi_metric_figures },
    { "graph_streamed", test_graph_streamed },
    { "no_allocation_per_iteration", test_no_allocation_per_iteration },
    { "out_of_memory", test_out_of_memory },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resample -> register -> warp, as one lazy pipeline (issue 9 item 7).
 *
 *   fixed reader ---------------------------+----------------+--> cast f32 --+
 *                                           | FIXED          | reference     |
 *   moving reader -> resample onto the      v                v               v
 *                    fixed spacing ----> registration --> resample (warp) --> checkerboard
 *                                  MOVING  (rigid, then   input 2: the          |
 *                    PARAMS: 2 maps ---->   affine)       TRANSFORM output      v
 *                                                            |           rescale, u8, PNG
 *                                                            v
 *                                                       result writer
 *
 * The moving image is first resampled onto the fixed image's spacing
 * (same physical extent), because a registration's pyramids and samples
 * behave best when the two grids are alike. The registration runs two
 * parameter maps in turn, a rigid (EulerTransform) one and an affine one
 * starting from its result, as `elastix -p rigid -p affine` does; the maps
 * are text in this file, parsed with pipit_params_parse, so the example
 * stands on its own. Its transform output, a transform port, drives a
 * resample node that warps the original moving image onto the fixed
 * grid: the transform maps fixed points to moving points in physical
 * space, so no intermediate grid is involved.
 *
 * Nothing runs until a writer pulls: the result writer's update runs the
 * readers, the resampling, the registration and the warp; the
 * checkerboard writers' updates find all of that up to date and only
 * compose their images.
 *
 * Run: examples/resample_register_warp [FIXED MOVING [OUT-DIR]]
 * (defaults: elastix's example pair in tests/data/registration, and the
 * current folder). Look at OUT-DIR/checkerboard_before.png (fixed and
 * moving in alternate squares: edges break at the squares' borders) and
 * OUT-DIR/checkerboard_after.png (fixed and the registered result:
 * edges run on across the squares); OUT-DIR/result.mha is the warped
 * moving image. For 3-D images the checkerboards are .mha files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pipit.h>
#include <pipit/registration.h>

/* Shared by both maps: Mattes mutual information, adaptive stochastic
 * gradient descent, 4 resolutions, 2048 random samples per iteration. */
#define COMMON_KEYS                                                        \
    "(Registration \"MultiResolutionRegistration\")\n"                     \
    "(FixedImagePyramid \"FixedRecursiveImagePyramid\")\n"                 \
    "(MovingImagePyramid \"MovingRecursiveImagePyramid\")\n"               \
    "(Interpolator \"BSplineInterpolator\")\n"                             \
    "(BSplineInterpolationOrder 1)\n"                                      \
    "(Metric \"AdvancedMattesMutualInformation\")\n"                       \
    "(NumberOfHistogramBins 32)\n"                                         \
    "(Optimizer \"AdaptiveStochasticGradientDescent\")\n"                  \
    "(AutomaticParameterEstimation \"true\")\n"                            \
    "(MaximumNumberOfIterations 250)\n"                                    \
    "(ImageSampler \"Random\")\n"                                          \
    "(NumberOfSpatialSamples 2048)\n"                                      \
    "(NewSamplesEveryIteration \"true\")\n"                                \
    "(NumberOfResolutions 4)\n"                                            \
    "(AutomaticScalesEstimation \"true\")\n"                               \
    "(HowToCombineTransforms \"Compose\")\n"                               \
    "(ResampleInterpolator \"FinalBSplineInterpolator\")\n"                \
    "(FinalBSplineInterpolationOrder 3)\n"                                 \
    "(WriteResultImage \"false\")\n"

/* The rigid map centres the transform on the fixed image's geometric
 * centre and starts by aligning the two images' centres. */
static const char rigid_text[] =
    "// rigid: rotation and translation\n"
    "(Transform \"EulerTransform\")\n"
    "(AutomaticTransformInitialization \"true\")\n"
    "(AutomaticTransformInitializationMethod \"GeometricalCenter\")\n"
    COMMON_KEYS;

/* The affine map starts where the rigid one ended (the registration
 * chains them), so it needs no initialisation of its own. */
static const char affine_text[] =
    "// affine: adds scaling and shear\n"
    "(Transform \"AffineTransform\")\n"
    COMMON_KEYS;

static int
fail(const char *what)
{
    fprintf(stderr, "resample_register_warp: %s: %s\n", what,
            pipit_error_message());
    return 1;
}

/* One line per resolution as it starts, so a person sees it working. */
static int
on_iteration(const pipit_registration_iteration_t *it, void *user)
{
    (void)user;
    if (it->iteration == 0)
        printf("map %u (%s), resolution %u of %u, metric %.6f\n", it->map,
               it->map == 0 ? "rigid" : "affine", it->level + 1,
               it->n_levels, it->metric);
    return 0;
}

static pipit_status_t
add_map(pipit_params_list_t *maps, const char *text, const char *name)
{
    pipit_params_t *p = NULL;
    pipit_status_t st = pipit_params_parse(text, strlen(text), name, &p);
    if (st == PIPIT_OK)
        st = pipit_params_list_append(maps, p);
    pipit_params_unref(p);
    return st;
}

/* "a,b,c" from dim numbers, for a per-axis setting. */
static void
axis_text(char *buf, size_t size, const double *v, unsigned dim)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned d = 0; d < dim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%.17g",
                                 d ? "," : "", v[d]);
}

/*
 * Sets resample node r to the moving image's physical extent, origin
 * and direction on the fixed image's spacing: size_d = the number of
 * fixed-spacing steps that cover the moving image's extent n_d * s_d.
 */
static pipit_status_t
onto_fixed_spacing(pipit_node_t *r, const pipit_image_t *fixed,
                   const pipit_image_t *moving)
{
    unsigned dim = pipit_image_dim(moving);
    const size_t *n = pipit_image_size(moving);
    const double *sm = pipit_image_spacing(moving);
    const double *sf = pipit_image_spacing(fixed);
    const double *dir = pipit_image_direction(moving);
    double size[PIPIT_MAX_DIM];
    char buf[512];
    pipit_status_t st;
    for (unsigned d = 0; d < dim; d++) {
        size[d] = (double)(size_t)((double)n[d] * sm[d] / sf[d] + 0.5);
        if (size[d] < 1.0)
            size[d] = 1.0;
    }
    axis_text(buf, sizeof buf, size, dim);
    if ((st = pipit_node_set(r, "size", buf)) != PIPIT_OK)
        return st;
    axis_text(buf, sizeof buf, sf, dim);
    if ((st = pipit_node_set(r, "spacing", buf)) != PIPIT_OK)
        return st;
    axis_text(buf, sizeof buf, pipit_image_origin(moving), dim);
    if ((st = pipit_node_set(r, "origin", buf)) != PIPIT_OK)
        return st;
    axis_text(buf, sizeof buf, dir, dim * dim);
    if ((st = pipit_node_set(r, "direction", buf)) != PIPIT_OK)
        return st;
    return pipit_node_set(r, "interpolator", "linear");
}

/* fixed and other, cast to f32, in alternate squares, scaled to 0..255
 * and written as 8-bit: a picture to look at. */
static pipit_node_t *
checkerboard_writer(pipit_node_t *fixed_f32, pipit_node_t *other,
                    unsigned dim, const char *path)
{
    const size_t pattern[3] = { 8, 8, 8 };
    pipit_node_t *board = pipit_checkerboard_new(dim, pattern);
    pipit_node_t *scale = pipit_rescale_intensity_new(0.0, 255.0);
    pipit_node_t *u8 = pipit_cast_new(PIPIT_U8);
    pipit_node_t *w = pipit_writer_new(path);
    pipit_node_t *ok = NULL;
    if (board && scale && u8 && w
        && pipit_node_set_input(board, 0, fixed_f32, 0) == PIPIT_OK
        && pipit_node_set_input(board, 1, other, 0) == PIPIT_OK
        && pipit_node_set_input(scale, 0, board, 0) == PIPIT_OK
        && pipit_node_set_input(u8, 0, scale, 0) == PIPIT_OK
        && pipit_node_set_input(w, 0, u8, 0) == PIPIT_OK)
        ok = pipit_node_ref(w);
    /* The writer holds its upstream nodes; ours can go. */
    pipit_node_unref(w);
    pipit_node_unref(u8);
    pipit_node_unref(scale);
    pipit_node_unref(board);
    return ok;
}

int
main(int argc, char **argv)
{
    const char *fixed_path = argc > 1 ? argv[1]
                                      : "tests/data/registration/fixed.mhd";
    const char *moving_path = argc > 2 ? argv[2]
                                       : "tests/data/registration/moving.mhd";
    const char *out = argc > 3 ? argv[3] : ".";
    char result_path[4096], before_path[4096], after_path[4096];
    int rc = 1;

    pipit_node_t *fr = pipit_reader_new(fixed_path);
    pipit_node_t *mr = pipit_reader_new(moving_path);
    pipit_node_t *onto = pipit_resample_new();
    pipit_node_t *reg = pipit_registration_new();
    pipit_node_t *warp = pipit_resample_new();
    pipit_node_t *before = pipit_resample_new();
    pipit_node_t *fixed_f32 = pipit_cast_new(PIPIT_F32);
    pipit_params_list_t *maps = pipit_params_list_new();
    pipit_node_t *wres = NULL, *wbefore = NULL, *wafter = NULL;
    if (!fr || !mr || !onto || !reg || !warp || !before || !fixed_f32
        || !maps) {
        rc = fail("making the pipeline");
        goto done;
    }

    /* The information pass reads the headers only: the grids are known
     * before a pixel is read. */
    if (pipit_node_update_information(fr) != PIPIT_OK
        || pipit_node_update_information(mr) != PIPIT_OK) {
        rc = fail("reading the headers");
        goto done;
    }
    const pipit_image_t *fi = pipit_node_get_output(fr, 0);
    const pipit_image_t *mi = pipit_node_get_output(mr, 0);
    unsigned dim = pipit_image_dim(fi);
    const char *ext = dim == 2 ? "png" : "mha";
    snprintf(result_path, sizeof result_path, "%s/result.mha", out);
    snprintf(before_path, sizeof before_path, "%s/checkerboard_before.%s",
             out, ext);
    snprintf(after_path, sizeof after_path, "%s/checkerboard_after.%s", out,
             ext);

    /* 1. The moving image onto the fixed image's spacing. */
    if (pipit_node_set_input(onto, 0, mr, 0) != PIPIT_OK
        || onto_fixed_spacing(onto, fi, mi) != PIPIT_OK) {
        rc = fail("resampling onto the fixed spacing");
        goto done;
    }

    /* 2. Registration: rigid, then affine from where rigid ended. */
    if (add_map(maps, rigid_text, "rigid (in the example)") != PIPIT_OK
        || add_map(maps, affine_text, "affine (in the example)") != PIPIT_OK) {
        rc = fail("parameter maps");
        goto done;
    }
    if (pipit_node_set_input(reg, PIPIT_REGISTRATION_FIXED, fr, 0) != PIPIT_OK
        || pipit_node_set_input(reg, PIPIT_REGISTRATION_MOVING, onto, 0)
            != PIPIT_OK
        || pipit_node_set_input_data(reg, PIPIT_REGISTRATION_PARAMS,
                                     PIPIT_DATA(maps)) != PIPIT_OK
        || pipit_registration_set_iteration_callback(reg, on_iteration, NULL)
            != PIPIT_OK) {
        rc = fail("connecting the registration");
        goto done;
    }

    /* 3. Warp: the original moving image onto the fixed grid through the
     * registration's transform output. */
    if (pipit_node_set_input(warp, 0, mr, 0) != PIPIT_OK
        || pipit_node_set_input(warp, 1, fr, 0) != PIPIT_OK
        || pipit_node_set_input(warp, 2, reg, PIPIT_REGISTRATION_TRANSFORM)
            != PIPIT_OK
        || pipit_node_set(warp, "interpolator", "bspline") != PIPIT_OK
        || pipit_node_set(warp, "order", "3") != PIPIT_OK
        || pipit_node_set(warp, "type", "f32") != PIPIT_OK) {
        rc = fail("connecting the warp");
        goto done;
    }
    /* Before: the moving image on the fixed grid, no transform. */
    if (pipit_node_set_input(before, 0, mr, 0) != PIPIT_OK
        || pipit_node_set_input(before, 1, fr, 0) != PIPIT_OK
        || pipit_node_set(before, "type", "f32") != PIPIT_OK
        || pipit_node_set_input(fixed_f32, 0, fr, 0) != PIPIT_OK) {
        rc = fail("connecting the 'before' picture");
        goto done;
    }

    /* 4. The writers: the sinks that pull the pipeline. */
    wres = pipit_writer_new(result_path);
    wbefore = checkerboard_writer(fixed_f32, before, dim, before_path);
    wafter = checkerboard_writer(fixed_f32, warp, dim, after_path);
    if (!wres || !wbefore || !wafter
        || pipit_node_set_input(wres, 0, warp, 0) != PIPIT_OK) {
        rc = fail("writers");
        goto done;
    }
    if (pipit_node_update(wres) != PIPIT_OK) {
        rc = fail(result_path);
        goto done;
    }
    if (pipit_node_update(wbefore) != PIPIT_OK) {
        rc = fail(before_path);
        goto done;
    }
    if (pipit_node_update(wafter) != PIPIT_OK) {
        rc = fail(after_path);
        goto done;
    }

    pipit_transform_t *t = pipit_node_get_output_transform(
        reg, PIPIT_REGISTRATION_TRANSFORM);
    printf("final metric: rigid %.6f, affine %.6f\n",
           pipit_registration_final_metric(reg, 0),
           pipit_registration_final_metric(reg, 1));
    if (t != NULL) {
        size_t np = pipit_transform_n_parameters(t);
        const double *p = pipit_transform_parameters(t);
        printf("affine parameters:");
        for (size_t i = 0; i < np; i++)
            printf(" %.6f", p[i]);
        printf("\n");
    }
    printf("wrote %s\nlook at %s (before) and %s (after): after "
           "registration, edges run on across the squares\n",
           result_path, before_path, after_path);
    rc = 0;
done:
    pipit_node_unref(wafter);
    pipit_node_unref(wbefore);
    pipit_node_unref(wres);
    pipit_params_list_unref(maps);
    pipit_node_unref(fixed_f32);
    pipit_node_unref(before);
    pipit_node_unref(warp);
    pipit_node_unref(reg);
    pipit_node_unref(onto);
    pipit_node_unref(mr);
    pipit_node_unref(fr);
    return rc;
}

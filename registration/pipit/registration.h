/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration node: elastix's registration as one pipeline node
 * (shared/spec/elastix-compat.md). Inputs: the fixed image, the moving
 * image, the parameter maps (a list; each map runs in turn, starting from
 * the previous map's result, as elastix chains -p files), optional fixed
 * and moving masks and an optional initial transform. Outputs: the moving
 * image resampled onto the fixed grid (ResampleInterpolator,
 * DefaultPixelValue, ResultImagePixelType), the final transform (a chain
 * when there are several maps or an initial transform) on a transform
 * port that resample and warp nodes take, and a table of figures.
 *
 * `pipit register` is a thin command over this node; a C program that
 * drives the node directly gets the same result at the same speed.
 */
#ifndef PIPIT_REGISTRATION_H
#define PIPIT_REGISTRATION_H

#include <pipit/node.h>
#include <pipit/params.h>
#include <pipit/transform.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Input ports. */
enum {
    PIPIT_REGISTRATION_FIXED = 0,       /* image */
    PIPIT_REGISTRATION_MOVING = 1,      /* image */
    PIPIT_REGISTRATION_PARAMS = 2,      /* parameter-map list */
    PIPIT_REGISTRATION_FIXED_MASK = 3,  /* image, optional (!= 0 inside) */
    PIPIT_REGISTRATION_MOVING_MASK = 4, /* image, optional */
    PIPIT_REGISTRATION_INITIAL = 5      /* transform, optional (-t0) */
};

/* Output ports. */
enum {
    PIPIT_REGISTRATION_RESULT = 0,    /* image */
    PIPIT_REGISTRATION_TRANSFORM = 1, /* transform */
    /* table: "metric" (final value per map), "iterations" (per map) */
    PIPIT_REGISTRATION_FIGURES = 2
};

/** One optimizer iteration, as an IterationInfo row reports it. */
typedef struct pipit_registration_iteration {
    unsigned map;         /* which parameter map, 0-based */
    unsigned level;       /* resolution, 0 the coarsest */
    unsigned n_levels;
    size_t iteration;     /* from 0 in each resolution */
    double metric;        /* value before this iteration's step */
    double step_size;     /* gain (gradient descent) or step length */
    double gradient_norm; /* norm of the scaled gradient */
    double time_ms;       /* wall time of the iteration */
    double elapsed_s;     /* since the update began */
    double asgd_time;     /* ASGD's t_k; NaN for other optimizers */
    const char *optimizer; /* elastix name */
    /* The whole IterationInfo row (tab-separated, no newline) and its
     * header, as elastix writes them for this optimizer. */
    const char *row;
    const char *header;
    /* The whole transform (a chain behind earlier maps and the initial
     * transform) at this iteration's start, borrowed for the callback:
     * elastix's WriteTransformParametersEachIteration writes it. */
    const pipit_transform_t *transform;
    /* Per metric j < n_metrics (n_metrics is 1 for a single metric):
     * elastix's multi-metric figures, which a
     * MultiMetricMultiResolutionRegistration's IterationInfo shows in
     * its 2:Metric<j>, 4:||Gradient<j>|| and Time<j>[ms] columns. Taken
     * at the last evaluation on the iteration's samples: for the
     * gradient descents the one whose combined value is `metric`, so
     * metric == sum over used j of metric_weights[j] * metric_values[j]
     * (to rounding); for QuasiNewtonLBFGS the line search's last trial.
     * A metric with Metric<j>Use "false" is still evaluated for these
     * figures, as elastix does, without entering `metric` (NaN when too
     * few of its samples map inside the moving image). Arrays borrowed
     * for the callback. */
    size_t n_metrics;
    const double *metric_values;  /* C_j, unweighted */
    /* |dC_j/dmu|: unweighted, and unscaled (gradient_norm is of the
     * scaled, combined gradient); NaN when no derivative was asked */
    const double *metric_gradient_norms;
    const double *metric_times_ms; /* wall time of C_j's evaluation */
    const double *metric_weights;  /* w_j the value combines (Metric<j>Weight) */
    const bool *metric_used;       /* Metric<j>Use */
} pipit_registration_iteration_t;

/** Called on the updating thread after every iteration; non-zero cancels
 * (the update then fails with PIPIT_ECANCELED). */
typedef int (*pipit_registration_iteration_fn)(
    const pipit_registration_iteration_t *it, void *user);

/** A line of the registration's log (elastix.log), without newline. */
typedef void (*pipit_registration_log_fn)(const char *line, void *user);

/** A new registration node. New reference. */
PIPIT_API pipit_node_t *pipit_registration_new(void);

/** Sets the per-iteration callback (NULL: none). PIPIT_EINVAL when n is
 * not a registration node. */
PIPIT_API pipit_status_t pipit_registration_set_iteration_callback(
    pipit_node_t *n, pipit_registration_iteration_fn fn, void *user);

/** Sets where the log lines go (NULL: the library's log at info level). */
PIPIT_API pipit_status_t pipit_registration_set_log(
    pipit_node_t *n, pipit_registration_log_fn fn, void *user);

/** Most threads this node's loops use (0: the whole pool), elastix's
 * -threads. Results do not depend on it. */
PIPIT_API pipit_status_t pipit_registration_set_threads(pipit_node_t *n,
                                                        unsigned threads);

/**
 * Checks, without running an iteration, everything that can be checked
 * before one: the inputs' information (dimensions agree, masks readable
 * and with an inside voxel), every parameter map (known component names,
 * well-formed values, FixedImageDimension agreeing with the images).
 * Unknown keys are logged as warnings. Milliseconds, not a run.
 */
PIPIT_API pipit_status_t pipit_registration_check(pipit_node_t *n);

/**
 * After an update: the final transform of map i (a chain holding every
 * earlier map's and the initial transform), borrowed until the next
 * update; NULL when i is out of range or the node has not run. Map
 * count-1's is the transform output.
 */
PIPIT_API pipit_transform_t *pipit_registration_map_transform(
    pipit_node_t *n, size_t i);

/** After an update: the final metric value of map i (NaN if none). */
PIPIT_API double pipit_registration_final_metric(pipit_node_t *n, size_t i);

#ifdef __cplusplus
}
#endif

#endif

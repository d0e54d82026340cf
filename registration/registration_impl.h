/* SPDX-License-Identifier: Apache-2.0 */
/* What registration.c shares with check.c and the command line. */
#ifndef PIPIT_REGISTRATION_IMPL_H
#define PIPIT_REGISTRATION_IMPL_H

#include <pipit/node_class.h>

#include "reg_impl.h"

extern const pipit_node_class_t pipit__registration_class;

/* Most metrics one map may weigh together (elastix's Metric0..). */
#define REG_MAX_METRICS 8

/* The components one map names, looked up and checked. Metric j draws
 * its samples from sampler j when the map lists that many, else from
 * sampler 0 (elastix's rule). */
typedef struct reg_components {
    const reg_sampler_class_t *sampler[REG_MAX_METRICS];
    const reg_metric_class_t *metric[REG_MAX_METRICS];
    size_t n_samplers, n_metrics;
    bool multi; /* MultiMetricMultiResolutionRegistration */
    const reg_optimizer_class_t *optimizer;
    const reg_transform_class_t *transform;
    const reg_pyramid_class_t *fixed_pyramid, *moving_pyramid;
    const char *interpolator;          /* elastix name, checked */
    const char *resample_interpolator; /* elastix name, checked */
} reg_components_t;

/* The full-resolution inputs of a run, as the components see them. */
typedef struct reg_inputs {
    pipit_image_t *fixed, *moving;  /* f32 */
    reg_mask_t *fixed_mask, *moving_mask;
    double t_begin;
} reg_inputs_t;

pipit_status_t pipit__reg_map_components(const reg_map_t *m,
                                         reg_components_t *c);
/** NumberOfResolutions, 0 read as 1. */
pipit_status_t pipit__reg_map_levels(const reg_map_t *m, unsigned *n_levels);
/** The mask of level r (eroded per ErodeMask); *out NULL: use `mask`. */
pipit_status_t pipit__reg_level_mask(const reg_mask_t *mask,
                                     const reg_map_t *m, unsigned r,
                                     const unsigned *factors, bool moving,
                                     reg_mask_t **out);
/** Points m's warnings at the node's log. */
void pipit__reg_registration_log(pipit_node_t *n, reg_map_t *m);
/** ResultImagePixelType of a map. */
pipit_status_t pipit__reg_result_type(const pipit_params_t *p,
                                      const char *file,
                                      pipit_pixel_type_t *type);
/** A resample node's settings from a map's ResampleInterpolator,
 * FinalBSplineInterpolationOrder and DefaultPixelValue (f64 output). */
pipit_status_t pipit__reg_resample_settings(pipit_node_t *rs,
                                            const pipit_params_t *p);
/** elastix's result cast: truncation toward zero, clamped. */
void pipit__reg_truncate(const double *src, void *dst, pipit_pixel_type_t t,
                         size_t n);

#endif

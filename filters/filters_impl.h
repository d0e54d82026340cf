/* SPDX-License-Identifier: Apache-2.0 */
/* The filter classes, for the registry (filters/registry.c). */
#ifndef PIPIT_FILTERS_IMPL_H
#define PIPIT_FILTERS_IMPL_H

#include <pipit/filters.h>

#include "node_impl.h"

/* One line per filter class (keep alphabetical). */
/* Nodes that sample the transform on input 1 (a transform port; the
 * identity when unconnected) on the grid of the reference image on
 * input 0, whose pixels they never read (transform-field,
 * transform-invert). The information hook: checks the dimensions (2-D
 * to PIPIT_MAX_DIM, the transform's equal to the reference's) and
 * shapes output 0 as the reference with `components` of `type`. */
pipit_status_t pipit__field_information(pipit_node_t *n,
                                        pipit_pixel_type_t type,
                                        unsigned components);
/* Their request hook: one voxel of the reference (its grid only). */
pipit_status_t pipit__field_request(pipit_node_t *n, unsigned input,
                                    const pipit_region_t *asked,
                                    pipit_region_t *needed);

extern const pipit_node_class_t pipit__abs_class;
extern const pipit_node_class_t pipit__add_class;
extern const pipit_node_class_t pipit__bin_shrink_class;
extern const pipit_node_class_t pipit__callback_class;
extern const pipit_node_class_t pipit__binary_threshold_class;
extern const pipit_node_class_t pipit__cast_class;
extern const pipit_node_class_t pipit__change_information_class;
extern const pipit_node_class_t pipit__checkerboard_class;
extern const pipit_node_class_t pipit__clamp_class;
extern const pipit_node_class_t pipit__constant_class;
extern const pipit_node_class_t pipit__constant_pad_class;
extern const pipit_node_class_t pipit__discrete_gaussian_class;
extern const pipit_node_class_t pipit__divide_class;
extern const pipit_node_class_t pipit__exp_class;
extern const pipit_node_class_t pipit__extract_region_class;
extern const pipit_node_class_t pipit__flip_class;
extern const pipit_node_class_t pipit__gradient_class;
extern const pipit_node_class_t pipit__gradient_magnitude_class;
extern const pipit_node_class_t
    pipit__gradient_magnitude_recursive_gaussian_class;
extern const pipit_node_class_t pipit__histogram_class;
extern const pipit_node_class_t pipit__laplacian_class;
extern const pipit_node_class_t pipit__log_class;
extern const pipit_node_class_t pipit__maximum_class;
extern const pipit_node_class_t pipit__mean_class;
extern const pipit_node_class_t pipit__median_class;
extern const pipit_node_class_t pipit__minimum_class;
extern const pipit_node_class_t pipit__mirror_pad_class;
extern const pipit_node_class_t pipit__multiply_class;
extern const pipit_node_class_t pipit__noise_class;
extern const pipit_node_class_t pipit__otsu_threshold_class;
extern const pipit_node_class_t pipit__permute_axes_class;
extern const pipit_node_class_t pipit__pyramid_class;
extern const pipit_node_class_t pipit__ramp_class;
extern const pipit_node_class_t pipit__recursive_gaussian_class;
extern const pipit_node_class_t pipit__resample_class;
extern const pipit_node_class_t pipit__rescale_intensity_class;
extern const pipit_node_class_t pipit__shift_scale_class;
extern const pipit_node_class_t pipit__shrink_class;
extern const pipit_node_class_t pipit__smoothing_recursive_gaussian_class;
extern const pipit_node_class_t pipit__sqrt_class;
extern const pipit_node_class_t pipit__square_class;
extern const pipit_node_class_t pipit__statistics_class;
extern const pipit_node_class_t pipit__subtract_class;
extern const pipit_node_class_t pipit__threshold_class;
extern const pipit_node_class_t pipit__transform_compose_class;
extern const pipit_node_class_t pipit__transform_field_class;
extern const pipit_node_class_t pipit__transform_invert_class;
extern const pipit_node_class_t pipit__warp_class;

#endif

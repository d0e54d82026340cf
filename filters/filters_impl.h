/* SPDX-License-Identifier: Apache-2.0 */
/* The filter classes, for the registry (filters/registry.c). */
#ifndef PIPIT_FILTERS_IMPL_H
#define PIPIT_FILTERS_IMPL_H

#include <pipit/filters.h>

#include "node_impl.h"

/* One line per filter class (keep alphabetical). */
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

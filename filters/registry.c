/* SPDX-License-Identifier: Apache-2.0 */
/* The table of filter classes that tools and documentation list. */
#include <stdio.h>
#include <string.h>

#include "filters_impl.h"

static const pipit_node_class_t *const classes[] = {
    /* one row per filter class (keep alphabetical) */
    &pipit__abs_class,
    &pipit__add_class,
    &pipit__bin_shrink_class,
    &pipit__callback_class,
    &pipit__binary_threshold_class,
    &pipit__cast_class,
    &pipit__change_information_class,
    &pipit__checkerboard_class,
    &pipit__clamp_class,
    &pipit__constant_class,
    &pipit__constant_pad_class,
    &pipit__discrete_gaussian_class,
    &pipit__divide_class,
    &pipit__exp_class,
    &pipit__extract_region_class,
    &pipit__flip_class,
    &pipit__gradient_class,
    &pipit__gradient_magnitude_class,
    &pipit__gradient_magnitude_recursive_gaussian_class,
    &pipit__histogram_class,
    &pipit__laplacian_class,
    &pipit__log_class,
    &pipit__maximum_class,
    &pipit__mean_class,
    &pipit__median_class,
    &pipit__minimum_class,
    &pipit__mirror_pad_class,
    &pipit__multiply_class,
    &pipit__noise_class,
    &pipit__otsu_threshold_class,
    &pipit__permute_axes_class,
    &pipit__pyramid_class,
    &pipit__ramp_class,
    &pipit__recursive_gaussian_class,
    &pipit__resample_class,
    &pipit__rescale_intensity_class,
    &pipit__shift_scale_class,
    &pipit__shrink_class,
    &pipit__smoothing_recursive_gaussian_class,
    &pipit__sqrt_class,
    &pipit__square_class,
    &pipit__statistics_class,
    &pipit__subtract_class,
    &pipit__threshold_class,
    &pipit__transform_field_class,
    &pipit__transform_invert_class,
    &pipit__warp_class,
    NULL
};

const pipit_node_class_t *const *
pipit_filter_classes(size_t *count)
{
    *count = sizeof classes / sizeof classes[0] - 1;
    return classes;
}

const pipit_node_class_t *
pipit_filter_class_find(const char *name)
{
    char list[2048] = "";
    size_t len = 0;
    if (name == NULL) {
        pipit__error(PIPIT_EINVAL, "filter: no name given");
        return NULL;
    }
    for (size_t i = 0; classes[i] != NULL; i++) {
        if (strcmp(classes[i]->name, name) == 0)
            return classes[i];
        if (len < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
                                    i ? ", " : "", classes[i]->name);
    }
    pipit__error(PIPIT_EINVAL, "unknown filter '%s' (valid: %s)", name,
                 len ? list : "none");
    return NULL;
}

pipit_node_t *
pipit_filter_new(const char *name)
{
    const pipit_node_class_t *c = pipit_filter_class_find(name);
    return c != NULL ? pipit_node_new(c) : NULL;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The component tables: elastix's names for each kind of component
 * (spec §7) mapped to the class objects of reg_impl.h. A name is the
 * component's own `name` field, so each is spelt in one place; an
 * unknown one is an error naming file, line, key and value and listing
 * the supported names, as elastix refuses a component it does not know.
 */
#include <stdio.h>
#include <string.h>

#include "error_impl.h"
#include "reg_impl.h"

static const reg_sampler_class_t *const samplers[] = {
    &pipit__reg_sampler_full,
    &pipit__reg_sampler_grid,
    &pipit__reg_sampler_random,
    &pipit__reg_sampler_random_coordinate,
};

static const reg_metric_class_t *const metrics[] = {
    &pipit__reg_metric_mean_squares,
    &pipit__reg_metric_ncc,
    &pipit__reg_metric_mattes,
    &pipit__reg_metric_nmi,
    &pipit__reg_metric_bending_energy,
};

static const reg_optimizer_class_t *const optimizers[] = {
    &pipit__reg_optimizer_asgd,
    &pipit__reg_optimizer_sgd,
    &pipit__reg_optimizer_rsgd,
    &pipit__reg_optimizer_lbfgs,
};

static const reg_transform_class_t *const transforms[] = {
    &pipit__reg_transform_translation,
    &pipit__reg_transform_euler,
    &pipit__reg_transform_similarity,
    &pipit__reg_transform_affine,
    &pipit__reg_transform_bspline,
    &pipit__reg_transform_recursive_bspline,
};

/* Names without the Fixed / Moving prefix; the type is
 * pipit_pyramid_new's. */
static const reg_pyramid_class_t pyramids[] = {
    { "SmoothingImagePyramid", "smoothing" },
    { "RecursiveImagePyramid", "recursive" },
    { "ShrinkingImagePyramid", "shrinking" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The entry of key that holds name (a component list may hold several),
 * for the message; 0 when none does. */
static size_t
entry_of(const reg_map_t *m, const char *key, const char *name)
{
    size_t n = pipit__reg_count(m, key);
    for (size_t i = 0; i < n; i++) {
        const char *v = pipit_params_value(m->params, key, i);
        if (v != NULL && name != NULL && strcmp(v, name) == 0)
            return i;
    }
    return 0;
}

/* "unknown component; supported: A, B, C" (names[i] with prefix). */
static void *
unknown(const reg_map_t *m, const char *key, const char *name,
        const char *prefix, const char *const *names, size_t n)
{
    char why[512];
    size_t len = 0;
    size_t i = entry_of(m, key, name);
    const char *v = pipit__reg_count(m, key) > i
                        ? pipit_params_value(m->params, key, i)
                        : NULL;
    /* name the component itself when the map does not hold it */
    if (v == NULL || name == NULL || strcmp(v, name) != 0)
        len += (size_t)snprintf(why, sizeof why, "unknown component '%s'",
                                name != NULL ? name : "");
    else
        len += (size_t)snprintf(why, sizeof why, "unknown component");
    for (size_t k = 0; k < n && len < sizeof why; k++)
        len += (size_t)snprintf(why + len, sizeof why - len, "%s%s%s",
                                k == 0 ? "; supported: " : ", ", prefix,
                                names[k]);
    pipit__reg_key_error(m, key, i, PIPIT_EINVAL, why);
    return NULL;
}

#define LOOKUP(table, key)                                                 \
    do {                                                                   \
        const char *names_[COUNT(table)];                                  \
        for (size_t k_ = 0; k_ < COUNT(table); k_++) {                     \
            if (name != NULL && strcmp(name, table[k_]->name) == 0)        \
                return table[k_];                                          \
            names_[k_] = table[k_]->name;                                  \
        }                                                                  \
        return unknown(m, key, name, "", names_, COUNT(table));            \
    } while (0)

const reg_sampler_class_t *
pipit__reg_sampler(const reg_map_t *m, const char *name)
{
    LOOKUP(samplers, "ImageSampler");
}

const reg_metric_class_t *
pipit__reg_metric(const reg_map_t *m, const char *name)
{
    LOOKUP(metrics, "Metric");
}

const reg_optimizer_class_t *
pipit__reg_optimizer(const reg_map_t *m, const char *name)
{
    LOOKUP(optimizers, "Optimizer");
}

const reg_transform_class_t *
pipit__reg_transform(const reg_map_t *m, const char *name)
{
    LOOKUP(transforms, "Transform");
}

/* key FixedImagePyramid takes Fixed<name>, MovingImagePyramid
 * Moving<name>; any other key either. */
const reg_pyramid_class_t *
pipit__reg_pyramid(const reg_map_t *m, const char *key, const char *name)
{
    const char *want = NULL;
    if (key != NULL && strncmp(key, "Fixed", 5) == 0)
        want = "Fixed";
    else if (key != NULL && strncmp(key, "Moving", 6) == 0)
        want = "Moving";
    const char *rest = NULL;
    if (name != NULL) {
        if (strncmp(name, "Fixed", 5) == 0 &&
            (want == NULL || want[0] == 'F'))
            rest = name + 5;
        else if (strncmp(name, "Moving", 6) == 0 &&
                 (want == NULL || want[0] == 'M'))
            rest = name + 6;
    }
    const char *names[COUNT(pyramids)];
    for (size_t k = 0; k < COUNT(pyramids); k++) {
        if (rest != NULL && strcmp(rest, pyramids[k].name) == 0)
            return &pyramids[k];
        names[k] = pyramids[k].name;
    }
    return unknown(m, key != NULL ? key : "ImagePyramid", name,
                   want != NULL ? want : "Fixed", names, COUNT(pyramids));
}

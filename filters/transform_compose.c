/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transform-compose: the chain of the transforms on inputs 0 and 1,
 * output 0 (a transform): with `how` compose (the default),
 * T(x) = second(first(x)), input 0 applied first, as elastix applies an
 * initial transform; with add, T(x) = first(x) + second(x) - x (elastix
 * HowToCombineTransforms "Add"). The chain holds references to both
 * parts (pipit_transform_chain_new): later changes to their parameters
 * show through it. No pixels are involved, so it is not in the filter
 * registry (`pipit filter` runs nodes that make images); `pipit
 * transform compose` runs it on TransformParameters files.
 */
#include <stddef.h>

#include "filters_impl.h"

typedef struct {
    pipit_node_t base;
    int how; /* 0 compose, 1 add */
} compose_t;

static const char *const how_choices[] = { "compose", "add", NULL };

static pipit_status_t
compose_information(pipit_node_t *n)
{
    const pipit_transform_t *a = pipit__input_transform(n, 0);
    const pipit_transform_t *b = pipit__input_transform(n, 1);
    if (a != NULL && b != NULL &&
        pipit_transform_dim(a) != pipit_transform_dim(b))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "the first transform is %u-D, the second "
                                 "%u-D",
                                 pipit_transform_dim(a),
                                 pipit_transform_dim(b));
    return PIPIT_OK;
}

static pipit_status_t
compose_generate(pipit_node_t *n)
{
    const compose_t *c = (const compose_t *)n;
    pipit_transform_t *chain = pipit_transform_chain_new(
        pipit__input_transform(n, 0), pipit__input_transform(n, 1),
        c->how ? PIPIT_COMBINE_ADD : PIPIT_COMBINE_COMPOSE);
    if (chain == NULL)
        return pipit__node_error(n, PIPIT_EINVAL, "%s",
                                 pipit_error_message());
    pipit_status_t st = pipit_node_set_output(n, 0, PIPIT_DATA(chain));
    pipit_transform_unref(chain);
    return st;
}

static const pipit_setting_t compose_settings[] = {
    { "how", PIPIT_SETTING_CHOICE, offsetof(compose_t, how), "compose",
      "compose: second(first(x)); add: first(x) + second(x) - x", 1, 0,
      how_choices },
};

const pipit_node_class_t pipit__transform_compose_class = {
    .name = "transform-compose",
    .help = "the chain of two transforms: second(first(x)) (elastix "
            "initial transform and Compose), or first + second - x (Add)",
    .size = sizeof(compose_t),
    .n_inputs = 2,
    .n_outputs = 1,
    .input_kinds = { PIPIT_DATA_TRANSFORM, PIPIT_DATA_TRANSFORM },
    .output_kinds = { PIPIT_DATA_TRANSFORM },
    .settings = compose_settings,
    .n_settings = sizeof compose_settings / sizeof compose_settings[0],
    .information = compose_information,
    .generate = compose_generate,
};

pipit_node_t *
pipit_transform_compose_new(void)
{
    return pipit_node_new(&pipit__transform_compose_class);
}

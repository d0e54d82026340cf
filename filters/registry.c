/* SPDX-License-Identifier: Apache-2.0 */
/* The table of filter classes that tools and documentation list. */
#include <stdio.h>
#include <string.h>

#include "filters_impl.h"

static const pipit_node_class_t *const classes[] = {
    /* one row per filter class (keep alphabetical) */
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

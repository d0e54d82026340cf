/* SPDX-License-Identifier: Apache-2.0 */
/* Sample sets: grown once, reused for every draw of a level. */
#include <stdlib.h>

#include "error_impl.h"
#include "reg_impl.h"

pipit_status_t
pipit__reg_samples_reserve(reg_samples_t *s, unsigned dim, size_t n)
{
    if (n > SIZE_MAX / (sizeof(double) * (PIPIT_MAX_DIM + 1)))
        return pipit__error(PIPIT_ERANGE, "%zu samples: too many", n);
    if (dim != s->dim || n > s->capacity) {
        size_t cap = n > s->capacity ? n : s->capacity;
        double *p = pipit__malloc(cap * dim * sizeof *p);
        double *v = pipit__malloc(cap * sizeof *v);
        if (p == NULL || v == NULL) {
            pipit__free(p);
            pipit__free(v);
            return PIPIT_ENOMEM;
        }
        pipit__free(s->points);
        pipit__free(s->values);
        s->points = p;
        s->values = v;
        s->capacity = cap;
        s->dim = dim;
    }
    return PIPIT_OK;
}

void
pipit__reg_samples_free(reg_samples_t *s)
{
    pipit__free(s->points);
    pipit__free(s->values);
    *s = (reg_samples_t){ 0 };
}

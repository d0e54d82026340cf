/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Data objects as ports see them (pipit/data.h): the kind dispatch, and
 * the two small kinds that live nowhere else, lists of parameter maps
 * and tables of named figures.
 */
#include <stdio.h>
#include <string.h>

#include "data_impl.h"
#include "error_impl.h"
#include "image_impl.h"
#include "params_impl.h"
#include "transform_impl.h"

struct pipit_params_list {
    pipit__object_t obj;
    pipit_params_t **maps;
    size_t count, cap;
    uint64_t mtime;
};

typedef struct {
    char *name;
    double *values;
    size_t n;
} table_entry_t;

struct pipit_table {
    pipit__object_t obj;
    table_entry_t *entries;
    size_t count, cap;
    uint64_t mtime;
};

static const char *const kind_names[PIPIT_DATA_KIND_COUNT] = {
    "image", "transform", "parameter maps", "table",
};

const char *
pipit_data_kind_name(pipit_data_kind_t kind)
{
    return (unsigned)kind < PIPIT_DATA_KIND_COUNT ? kind_names[kind]
                                                  : "unknown kind";
}

pipit_data_kind_t
pipit_data_kind(const pipit_data_t *d)
{
    return d != NULL ? (pipit_data_kind_t)d->obj.kind : PIPIT_DATA_KIND_COUNT;
}

pipit_data_t *
pipit_data_ref(pipit_data_t *d)
{
    if (d != NULL)
        pipit__object_ref(&d->obj);
    return d;
}

void
pipit_data_unref(pipit_data_t *d)
{
    if (d == NULL)
        return;
    switch (d->obj.kind) {
    case PIPIT_DATA_IMAGE:
        pipit_image_unref((pipit_image_t *)(void *)d);
        break;
    case PIPIT_DATA_TRANSFORM:
        pipit_transform_unref((pipit_transform_t *)(void *)d);
        break;
    case PIPIT_DATA_PARAMS:
        pipit_params_list_unref((pipit_params_list_t *)(void *)d);
        break;
    case PIPIT_DATA_TABLE:
        pipit_table_unref((pipit_table_t *)(void *)d);
        break;
    default:
        break; /* not a data object: never given a reference here */
    }
}

#define DATA_VIEW(fn, type, k)                                             \
    type *fn(pipit_data_t *d)                                              \
    {                                                                      \
        return d != NULL && d->obj.kind == (k) ? (type *)(void *)d : NULL; \
    }
DATA_VIEW(pipit_data_image, pipit_image_t, PIPIT_DATA_IMAGE)
DATA_VIEW(pipit_data_transform, pipit_transform_t, PIPIT_DATA_TRANSFORM)
DATA_VIEW(pipit_data_params, pipit_params_list_t, PIPIT_DATA_PARAMS)
DATA_VIEW(pipit_data_table, pipit_table_t, PIPIT_DATA_TABLE)
#undef DATA_VIEW

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

uint64_t
pipit__data_mtime(const pipit_data_t *d)
{
    if (d == NULL)
        return 0;
    switch (d->obj.kind) {
    case PIPIT_DATA_IMAGE: {
        const pipit_image_t *img = (const pipit_image_t *)(const void *)d;
        return max_u64(img->info_time, img->data_time);
    }
    case PIPIT_DATA_TRANSFORM:
        return pipit__transform_mtime((const pipit_transform_t *)(const void *)d);
    case PIPIT_DATA_PARAMS: {
        const pipit_params_list_t *l = (const void *)d;
        uint64_t m = l->mtime;
        for (size_t i = 0; i < l->count; i++)
            m = max_u64(m, pipit__params_mtime(l->maps[i]));
        return m;
    }
    case PIPIT_DATA_TABLE:
        return ((const pipit_table_t *)(const void *)d)->mtime;
    default:
        return 0;
    }
}

/* ---- lists of parameter maps ------------------------------------- */

pipit_params_list_t *
pipit_params_list_new(void)
{
    pipit_params_list_t *l = pipit__calloc(1, sizeof *l);
    if (l == NULL)
        return NULL;
    pipit__object_init_data(&l->obj, PIPIT_DATA_PARAMS);
    l->mtime = pipit__time_next();
    return l;
}

pipit_params_list_t *
pipit_params_list_ref(pipit_params_list_t *l)
{
    return (pipit_params_list_t *)(void *)pipit_data_ref(PIPIT_DATA(l));
}

void
pipit_params_list_unref(pipit_params_list_t *l)
{
    if (l == NULL || !pipit__object_unref(&l->obj))
        return;
    for (size_t i = 0; i < l->count; i++)
        pipit_params_unref(l->maps[i]);
    pipit__free(l->maps);
    pipit__free(l);
}

pipit_status_t
pipit_params_list_append(pipit_params_list_t *l, pipit_params_t *map)
{
    PIPIT_CHECK_ARG(l != NULL && map != NULL);
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        pipit_params_t **m = pipit__realloc(l->maps, cap * sizeof *m);
        if (m == NULL)
            return PIPIT_ENOMEM;
        l->maps = m, l->cap = cap;
    }
    l->maps[l->count++] = pipit_params_ref(map);
    l->mtime = pipit__time_next();
    return PIPIT_OK;
}

size_t
pipit_params_list_count(const pipit_params_list_t *l)
{
    return l != NULL ? l->count : 0;
}

pipit_params_t *
pipit_params_list_get(const pipit_params_list_t *l, size_t i)
{
    return l != NULL && i < l->count ? l->maps[i] : NULL;
}

/* ---- tables ------------------------------------------------------- */

pipit_table_t *
pipit_table_new(void)
{
    pipit_table_t *t = pipit__calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    pipit__object_init_data(&t->obj, PIPIT_DATA_TABLE);
    t->mtime = pipit__time_next();
    return t;
}

pipit_table_t *
pipit_table_ref(pipit_table_t *t)
{
    return (pipit_table_t *)(void *)pipit_data_ref(PIPIT_DATA(t));
}

void
pipit_table_clear(pipit_table_t *t)
{
    if (t == NULL || t->count == 0)
        return;
    for (size_t i = 0; i < t->count; i++) {
        pipit__free(t->entries[i].name);
        pipit__free(t->entries[i].values);
    }
    t->count = 0;
    t->mtime = pipit__time_next();
}

void
pipit_table_unref(pipit_table_t *t)
{
    if (t == NULL || !pipit__object_unref(&t->obj))
        return;
    pipit_table_clear(t);
    pipit__free(t->entries);
    pipit__free(t);
}

static table_entry_t *
table_find(const pipit_table_t *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (strcmp(t->entries[i].name, name) == 0)
            return &t->entries[i];
    return NULL;
}

pipit_status_t
pipit_table_set(pipit_table_t *t, const char *name, const double *values,
                size_t n)
{
    PIPIT_CHECK_ARG(t != NULL && name != NULL && (values != NULL || n == 0));
    if (*name == '\0')
        return pipit__error(PIPIT_EINVAL, "table: an entry needs a name");
    table_entry_t *e = table_find(t, name);
    if (e != NULL && e->n == n &&
        (n == 0 || memcmp(e->values, values, n * sizeof *values) == 0))
        return PIPIT_OK;
    double *copy = NULL;
    if (n > 0) {
        size_t bytes;
        if (pipit__mul_overflows(n, sizeof *copy, &bytes))
            return pipit__error_nomem();
        if ((copy = pipit__malloc(bytes)) == NULL)
            return PIPIT_ENOMEM;
        memcpy(copy, values, bytes);
    }
    if (e == NULL) {
        char *key = pipit__strdup(name);
        if (key == NULL) {
            pipit__free(copy);
            return PIPIT_ENOMEM;
        }
        if (t->count == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 8;
            table_entry_t *grown =
                pipit__realloc(t->entries, cap * sizeof *grown);
            if (grown == NULL) {
                pipit__free(key);
                pipit__free(copy);
                return PIPIT_ENOMEM;
            }
            t->entries = grown, t->cap = cap;
        }
        e = &t->entries[t->count++];
        e->name = key;
        e->values = NULL;
    }
    pipit__free(e->values);
    e->values = copy;
    e->n = n;
    t->mtime = pipit__time_next();
    return PIPIT_OK;
}

pipit_status_t
pipit_table_set_double(pipit_table_t *t, const char *name, double v)
{
    return pipit_table_set(t, name, &v, 1);
}

size_t
pipit_table_count(const pipit_table_t *t)
{
    return t != NULL ? t->count : 0;
}

const char *
pipit_table_name(const pipit_table_t *t, size_t i)
{
    return t != NULL && i < t->count ? t->entries[i].name : NULL;
}

const double *
pipit_table_values(const pipit_table_t *t, const char *name, size_t *n)
{
    const table_entry_t *e =
        t != NULL && name != NULL ? table_find(t, name) : NULL;
    if (n != NULL)
        *n = e != NULL ? e->n : 0;
    return e != NULL ? e->values : NULL;
}

pipit_status_t
pipit_table_get_double(const pipit_table_t *t, const char *name, double *v)
{
    PIPIT_CHECK_ARG(t != NULL && name != NULL && v != NULL);
    const table_entry_t *e = table_find(t, name);
    if (e != NULL && e->n > 0) {
        *v = e->values[0];
        return PIPIT_OK;
    }
    char names[256] = "";
    size_t len = 0;
    for (size_t i = 0; i < t->count && len + 1 < sizeof names; i++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s",
                                i ? ", " : "", t->entries[i].name);
    return pipit__error(PIPIT_EINVAL, "table: no value '%.100s' (it has: %s)",
                        name, t->count ? names : "nothing");
}

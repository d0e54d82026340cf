/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Data objects: what a node's ports carry.
 *
 * A port holds a reference-counted data object of a declared kind: an
 * image, a transform, a list of parameter maps (as elastix chains -p
 * files), or a table of named figures (statistics, a histogram, a
 * threshold). Every data object has a modification time that its
 * setters bump, so an update re-runs exactly the nodes that depend on a
 * change (a transform's new parameters re-run the resample reading it).
 *
 * Any data object can be passed where a pipit_data_t * is asked for with
 * PIPIT_DATA(obj); pipit_data_image() and its siblings go back, checking
 * the kind.
 */
#ifndef PIPIT_DATA_H
#define PIPIT_DATA_H

#include <pipit/image.h>
#include <pipit/params.h>
#include <pipit/transform.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pipit_data_kind {
    PIPIT_DATA_IMAGE = 0, /* the kind of a port that declares none */
    PIPIT_DATA_TRANSFORM,
    PIPIT_DATA_PARAMS,    /* pipit_params_list_t */
    PIPIT_DATA_TABLE,
    PIPIT_DATA_KIND_COUNT
} pipit_data_kind_t;

/** Any data object; every one starts with the same header. */
typedef struct pipit_data pipit_data_t;

#define PIPIT_DATA(obj) ((pipit_data_t *)(void *)(obj))

/** "image", "transform", "parameter maps", "table"; never NULL. */
PIPIT_API const char *pipit_data_kind_name(pipit_data_kind_t kind);

/** The kind of d (d must be a data object). */
PIPIT_API pipit_data_kind_t pipit_data_kind(const pipit_data_t *d);

/** New reference to d (NULL-safe). */
PIPIT_API pipit_data_t *pipit_data_ref(pipit_data_t *d);
/** Drops a reference, whatever the kind (NULL-safe). */
PIPIT_API void pipit_data_unref(pipit_data_t *d);

/** d as an image, or NULL when d is NULL or of another kind. Borrowed. */
PIPIT_API pipit_image_t *pipit_data_image(pipit_data_t *d);
PIPIT_API pipit_transform_t *pipit_data_transform(pipit_data_t *d);
typedef struct pipit_params_list pipit_params_list_t;
PIPIT_API pipit_params_list_t *pipit_data_params(pipit_data_t *d);
typedef struct pipit_table pipit_table_t;
PIPIT_API pipit_table_t *pipit_data_table(pipit_data_t *d);

/* ---- lists of parameter maps ----------------------------------------- */

/** An empty list. New reference, or NULL (out of memory). */
PIPIT_API pipit_params_list_t *pipit_params_list_new(void);
PIPIT_API pipit_params_list_t *pipit_params_list_ref(pipit_params_list_t *l);
PIPIT_API void pipit_params_list_unref(pipit_params_list_t *l);
/** Appends map (a reference is taken). Not thread safe. */
PIPIT_API pipit_status_t pipit_params_list_append(pipit_params_list_t *l,
                                                  pipit_params_t *map);
PIPIT_API size_t pipit_params_list_count(const pipit_params_list_t *l);
/** Map i (borrowed), or NULL past the end. */
PIPIT_API pipit_params_t *pipit_params_list_get(const pipit_params_list_t *l,
                                                size_t i);

/* ---- tables of named figures ----------------------------------------- */

/** An empty table. New reference, or NULL (out of memory). */
PIPIT_API pipit_table_t *pipit_table_new(void);
PIPIT_API pipit_table_t *pipit_table_ref(pipit_table_t *t);
PIPIT_API void pipit_table_unref(pipit_table_t *t);

/**
 * Stores n values under name (copied), replacing what was there; the
 * table's modification time moves only when the values change.
 * PIPIT_EINVAL for an empty name. Not thread safe.
 */
PIPIT_API pipit_status_t pipit_table_set(pipit_table_t *t, const char *name,
                                         const double *values, size_t n);
PIPIT_API pipit_status_t pipit_table_set_double(pipit_table_t *t,
                                                const char *name, double v);
/** Removes every entry. */
PIPIT_API void pipit_table_clear(pipit_table_t *t);

PIPIT_API size_t pipit_table_count(const pipit_table_t *t);
/** Name of entry i in the order they were first set, or NULL. */
PIPIT_API const char *pipit_table_name(const pipit_table_t *t, size_t i);
/**
 * The values under name (borrowed, valid until the entry changes) and
 * their number in *n; NULL when absent.
 */
PIPIT_API const double *pipit_table_values(const pipit_table_t *t,
                                           const char *name, size_t *n);
/**
 * The first value under name. PIPIT_EINVAL naming the key and the names
 * present when absent or empty.
 */
PIPIT_API pipit_status_t pipit_table_get_double(const pipit_table_t *t,
                                                const char *name, double *v);

#ifdef __cplusplus
}
#endif
#endif

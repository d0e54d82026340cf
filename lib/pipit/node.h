/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Nodes (process objects) and the update protocol.
 *
 * A node holds its inputs (an upstream node's output, or a constant
 * image), its outputs, its settings and a modification time. Asking for
 * an output runs three passes (DESIGN.md):
 *   1. information: upstream first, every node states its outputs'
 *      geometry and pixel type without touching pixels;
 *   2. requested region: from the node asked back to the sources, each
 *      node says which input region it needs for the region asked of it;
 *   3. data: a node regenerates only when it, an input, or the region
 *      asked of it changed since its last run.
 *
 * Nodes are not thread safe: one thread updates a pipeline at a time
 * (the update itself uses the pool). A second thread that starts an
 * update of a node being updated gets PIPIT_ESTATE saying so; nothing
 * is corrupted. Separate pipelines may be updated from separate threads.
 */
#ifndef PIPIT_NODE_H
#define PIPIT_NODE_H

#include <pipit/data.h>
#include <pipit/image.h>
#include <pipit/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pipit_node pipit_node_t;
typedef struct pipit_node_class pipit_node_class_t;

PIPIT_API pipit_node_t *pipit_node_ref(pipit_node_t *n);
PIPIT_API void pipit_node_unref(pipit_node_t *n);

/** The class name ("gaussian", "png-reader", ...). */
PIPIT_API const char *pipit_node_name(const pipit_node_t *n);
PIPIT_API const pipit_node_class_t *pipit_node_get_class(const pipit_node_t *n);
PIPIT_API unsigned pipit_node_n_inputs(const pipit_node_t *n);
PIPIT_API unsigned pipit_node_n_outputs(const pipit_node_t *n);

/**
 * Connects input slot i to output `output` of upstream (a reference is
 * taken; the old input is dropped). upstream NULL disconnects. A cycle
 * is refused with PIPIT_EINVAL.
 */
PIPIT_API pipit_status_t pipit_node_set_input(pipit_node_t *n, unsigned i,
                                              pipit_node_t *upstream,
                                              unsigned output);

/** Uses img (a reference is taken) as the constant input i. */
PIPIT_API pipit_status_t pipit_node_set_input_image(pipit_node_t *n,
                                                    unsigned i,
                                                    pipit_image_t *img);

/**
 * Uses the data object d (a reference is taken; NULL disconnects) as
 * the constant input i. Its modification time is watched: changing the
 * object (pipit_transform_set_parameters, pipit_params_set, ...) makes
 * the next update re-run what reads it. PIPIT_EINVAL, naming both kinds,
 * when input i takes another kind.
 */
PIPIT_API pipit_status_t pipit_node_set_input_data(pipit_node_t *n,
                                                   unsigned i,
                                                   pipit_data_t *d);
/** pipit_node_set_input_data for a transform. */
PIPIT_API pipit_status_t pipit_node_set_input_transform(pipit_node_t *n,
                                                        unsigned i,
                                                        pipit_transform_t *t);
/**
 * Uses one parameter map (a reference is taken) as the constant input i,
 * which takes a list of maps: a list of one. For several maps applied in
 * turn, connect a pipit_params_list_t with pipit_node_set_input_data.
 */
PIPIT_API pipit_status_t pipit_node_set_input_params(pipit_node_t *n,
                                                     unsigned i,
                                                     pipit_params_t *map);

/** What input i / output o carries; PIPIT_DATA_KIND_COUNT if none. */
PIPIT_API pipit_data_kind_t pipit_node_input_kind(const pipit_node_t *n,
                                                  unsigned i);
PIPIT_API pipit_data_kind_t pipit_node_output_kind(const pipit_node_t *n,
                                                   unsigned o);

/**
 * Image output i (borrowed, valid while n lives). Its geometry is known
 * after pipit_node_update_information, its pixels after
 * pipit_node_update. NULL, with a message, when output i is not an
 * image.
 */
PIPIT_API pipit_image_t *pipit_node_get_output(pipit_node_t *n, unsigned i);

/**
 * Output o as a data object of any kind (borrowed; NULL, with a message,
 * for a bad index). A transform or parameter-map output is NULL until
 * the node made one, and may be replaced by the next update.
 */
PIPIT_API pipit_data_t *pipit_node_get_output_data(pipit_node_t *n,
                                                   unsigned o);
/** Output o when it is a transform / maps / table; else NULL + message. */
PIPIT_API pipit_transform_t *pipit_node_get_output_transform(pipit_node_t *n,
                                                            unsigned o);
PIPIT_API pipit_params_list_t *pipit_node_get_output_params(pipit_node_t *n,
                                                           unsigned o);
PIPIT_API pipit_table_t *pipit_node_get_output_table(pipit_node_t *n,
                                                     unsigned o);

/** Marks n changed, so the next update regenerates it. */
PIPIT_API void pipit_node_modified(pipit_node_t *n);

/** Runs the information pass only. */
PIPIT_API pipit_status_t pipit_node_update_information(pipit_node_t *n);

/**
 * Brings every output up to date over its whole extent (a sink: runs
 * it). Does nothing when nothing changed since the last update.
 */
PIPIT_API pipit_status_t pipit_node_update(pipit_node_t *n);

/** Brings output `output` up to date over region r only. */
PIPIT_API pipit_status_t pipit_node_update_region(pipit_node_t *n,
                                                  unsigned output,
                                                  const pipit_region_t *r);

/**
 * Brings output `output` up to date. An image output: over its whole
 * extent. A transform, maps or table output: without asking for any of
 * the node's images, so a node making both may skip them (a
 * registration wanted for its transform does not resample its result).
 */
PIPIT_API pipit_status_t pipit_node_update_output(pipit_node_t *n,
                                                  unsigned output);

/**
 * Calls fn between pieces of every node this update runs, with the
 * fraction of the whole update done; a non-zero return stops the update
 * with PIPIT_ECANCELED. Outputs a cancelled update was writing are left
 * invalid and are regenerated next time.
 */
PIPIT_API void pipit_node_set_progress(pipit_node_t *n, pipit_progress_fn fn,
                                       void *user);

/** Called for each piece of a streamed update; the image is borrowed. */
typedef pipit_status_t (*pipit_stream_fn)(const pipit_image_t *piece,
                                          const pipit_region_t *region,
                                          void *user);

/**
 * The streaming sink: updates output `output` of n piece by piece, about
 * piece_bytes of output each (whole rows along the slowest axis; 0: 1
 * MiB), and hands each piece to fn before the next is made. Each node of
 * the pipeline holds one piece at a time, so an image larger than memory
 * can pass through.
 */
PIPIT_API pipit_status_t pipit_node_stream(pipit_node_t *n, unsigned output,
                                           size_t piece_bytes,
                                           pipit_stream_fn fn, void *user);

/* ---- settings -------------------------------------------------------- */

typedef enum pipit_setting_type {
    PIPIT_SETTING_BOOL,
    PIPIT_SETTING_INT,     /* int64_t */
    PIPIT_SETTING_DOUBLE,  /* double */
    PIPIT_SETTING_VECTOR,  /* double[PIPIT_MAX_DIM], one value per axis */
    PIPIT_SETTING_CHOICE,  /* int, index into a list of names */
    PIPIT_SETTING_STRING,  /* char *, owned by the node */
    PIPIT_SETTING_PIXEL_TYPE /* pipit_pixel_type_t */
} pipit_setting_type_t;

/** One setting a node class declares. */
typedef struct pipit_setting {
    const char *name;          /* "sigma" */
    pipit_setting_type_t type;
    size_t offset;             /* where it lives in the node struct */
    const char *default_value; /* as text, as the setter would take it */
    const char *help;          /* one line */
    double min, max;           /* inclusive bounds for numbers (min > max: none) */
    const char *const *choices; /* NULL-terminated names for CHOICE */
} pipit_setting_t;

/** The class's settings and their number; borrowed, static. */
PIPIT_API const pipit_setting_t *pipit_node_class_settings(
    const pipit_node_class_t *c, size_t *count);
PIPIT_API const char *pipit_node_class_name(const pipit_node_class_t *c);
PIPIT_API const char *pipit_node_class_help(const pipit_node_class_t *c);
/**
 * Whether nodes of class c stream, their settings at the defaults: 1
 * when a slab of the output needs only part of each image input (a
 * padded region), 0 when it needs some input whole (the node then runs
 * once per streamed update, holding its whole output), -1 when a probe
 * on a 16^3 f32 image cannot tell (the class needs other inputs).
 */
PIPIT_API int pipit_node_class_streams(const pipit_node_class_t *c);

/** A new node of class c with every setting at its default. */
PIPIT_API pipit_node_t *pipit_node_new(const pipit_node_class_t *c);

/**
 * Sets a setting from text ("2.5", "1,2,3" for one value per axis, a
 * choice's name, "true"/"false"). An unknown name or a bad value is
 * PIPIT_EINVAL with a message that lists the valid names or values.
 */
PIPIT_API pipit_status_t pipit_node_set(pipit_node_t *n, const char *name,
                                        const char *value);
PIPIT_API pipit_status_t pipit_node_set_double(pipit_node_t *n,
                                               const char *name, double v);
PIPIT_API pipit_status_t pipit_node_set_int(pipit_node_t *n, const char *name,
                                            int64_t v);
/**
 * The setting's current value as text into buf (size bytes).
 * PIPIT_EINVAL for an unknown name, PIPIT_ERANGE when buf is too small.
 */
PIPIT_API pipit_status_t pipit_node_get(const pipit_node_t *n,
                                        const char *name, char *buf,
                                        size_t size);

#ifdef __cplusplus
}
#endif
#endif

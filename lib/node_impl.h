/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For node authors: the node class table, the node struct to embed as
 * first member, and helpers. A node class fills only the slots it needs;
 * see filters/threshold.c for a whole filter.
 */
#ifndef PIPIT_NODE_IMPL_H
#define PIPIT_NODE_IMPL_H

#include <pipit/node.h>

#include "error_impl.h"
#include "image_impl.h"
#include "object_impl.h"

#define PIPIT_NODE_MAX_INPUTS 8
#define PIPIT_NODE_MAX_OUTPUTS 4

struct pipit_node_class {
    const char *name;  /* for messages and lookup tables */
    const char *help;  /* one line, for `pipit filters` and the docs */
    size_t size;       /* sizeof the concrete struct */
    unsigned n_inputs, n_outputs;
    uint32_t optional_inputs;    /* bit i: input i may stay unconnected */
    const pipit_setting_t *settings;
    size_t n_settings;
    size_t acc_size;             /* bytes per piece accumulator, 0 if none */
    size_t piece_bytes;          /* output bytes per piece, 0: default */

    /* Runs once after the settings took their defaults. */
    pipit_status_t (*init)(pipit_node_t *n);
    /* Required: set every output's shape and geometry from the inputs'
     * (pipit__image_set_shape, pipit_image_copy_geometry...). */
    pipit_status_t (*information)(pipit_node_t *n);
    /* Input region needed for output region asked (NULL: the same
     * region when the input has the output's size, else all of it). */
    pipit_status_t (*request)(pipit_node_t *n, unsigned input,
                              const pipit_region_t *asked,
                              pipit_region_t *needed);
    pipit_status_t (*before)(pipit_node_t *n);
    pipit_status_t (*threaded)(pipit_node_t *n, const pipit_piece_t *p);
    pipit_status_t (*merge)(pipit_node_t *n, const void *acc, size_t index);
    pipit_status_t (*after)(pipit_node_t *n);
    /* Instead of before/threaded/after, when the work cannot be split. */
    pipit_status_t (*generate)(pipit_node_t *n);
    /* Frees what the subclass owns (not the settings' strings). */
    void (*finalize)(pipit_node_t *n);
};

typedef struct pipit__input {
    pipit_node_t *node;   /* upstream node, or NULL */
    unsigned output;      /* its output index */
    pipit_image_t *image; /* or a constant image */
} pipit__input_t;

struct pipit__update;

struct pipit_node {
    pipit__object_t obj;
    const pipit_node_class_t *klass;
    pipit__input_t inputs[PIPIT_NODE_MAX_INPUTS];
    pipit_image_t *outputs[PIPIT_NODE_MAX_OUTPUTS];
    /* The region each output is being made for in the current run. */
    pipit_region_t requested[PIPIT_NODE_MAX_OUTPUTS];
    /* The input regions the current run asked for. */
    pipit_region_t input_region[PIPIT_NODE_MAX_INPUTS];
    uint64_t mtime;      /* settings or connections changed */
    /* Newest change anywhere upstream (this node, its inputs, constant
     * images' pixels and geometry), found by the information pass. */
    uint64_t pipeline_mtime;
    uint64_t info_time;  /* last information hook run */
    uint64_t data_time;  /* last data pass that completed */
    uint64_t done_clock; /* global clock when the last full update ended */
    bool info_valid;     /* false until an information hook succeeded */
    bool data_valid;     /* false after a failed or cancelled run */
    size_t n_upstream;   /* nodes this one depends on, itself included */
    bool busy;           /* inside an update: catches cycles */
    pipit_progress_fn progress;
    void *progress_user;
    struct pipit__update *update; /* the running update, or NULL */
};

/** Input i's image (upstream output or constant), borrowed; or NULL. */
static inline pipit_image_t *
pipit__input(const pipit_node_t *n, unsigned i)
{
    const pipit__input_t *in = &n->inputs[i];
    return in->node != NULL ? in->node->outputs[in->output] : in->image;
}

/** Output i, borrowed. */
static inline pipit_image_t *
pipit__output(const pipit_node_t *n, unsigned i)
{
    return n->outputs[i];
}

/**
 * Information pass helper: output 0 takes input 0's shape, geometry,
 * pixel type and components.
 */
pipit_status_t pipit__information_same(pipit_node_t *n);
/** As pipit__information_same, with u8 scalar pixels (masks). */
pipit_status_t pipit__information_mask(pipit_node_t *n);
/** As pipit__information_same, with the given type and components. */
pipit_status_t pipit__information_as(pipit_node_t *n, pipit_pixel_type_t t,
                                     unsigned components);

/** Request helper: the whole input, whatever was asked. */
pipit_status_t pipit__request_all(pipit_node_t *n, unsigned input,
                                  const pipit_region_t *asked,
                                  pipit_region_t *needed);

/**
 * For sinks and other generate-style nodes that stream their input:
 * brings input i up to date over region r (the input's pixels then
 * cover r). Not from inside a piece.
 */
pipit_status_t pipit__input_pull(pipit_node_t *n, unsigned i,
                                  const pipit_region_t *r);

/**
 * Reports progress of the node running now (fraction of its own work,
 * 0..1) from a generate hook; PIPIT_ECANCELED when the callback asked to
 * stop. Calling thread only.
 */
pipit_status_t pipit__node_progress(pipit_node_t *n, double fraction);

/** Records a message prefixed with the node's class name; returns st. */
pipit_status_t pipit__node_error(const pipit_node_t *n, pipit_status_t st,
                                 const char *fmt, ...) PIPIT_PRINTF(3, 4);

/**
 * Checks that inputs a and b have the same size (and dim): PIPIT_EINVAL
 * naming the node and both sizes otherwise.
 */
pipit_status_t pipit__check_same_size(const pipit_node_t *n, unsigned a,
                                      unsigned b);

/*
 * Per-axis (VECTOR) settings: how a constructor stores count values
 * (lib/node_settings.c: one value fills every axis, more leave NaN past
 * the last), and the check an information hook makes once it knows the
 * image's dimension: every per-axis setting of n's class holds one value
 * or exactly dim (a class default may hold more). PIPIT_EINVAL naming
 * the setting, its values and dim otherwise.
 */
void pipit__axes_store(double *dst, const double *v, unsigned count);
pipit_status_t pipit__check_axes(const pipit_node_t *n, unsigned dim);

#endif

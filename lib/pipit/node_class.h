/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing a node of your own: the class table, the node struct to embed
 * as the first member of yours, and the helpers a class's hooks call.
 * doc/tutorial-writing-a-filter.md walks through examples/my_filter.c,
 * which builds against the installed library with `pkg-config pipit`.
 *
 * The update protocol calls a class's hooks in this order (DESIGN.md):
 *   information  once the inputs' geometry is known: set every output's
 *                shape, pixel type and geometry (no pixels yet);
 *   request      for each image input: which of its pixels are needed to
 *                make the region asked of the outputs (NULL: the same
 *                region when the input has the output's size, else all
 *                of it); a node read by several consumers is asked for
 *                the union of their regions, once per update;
 *   before       once, on the calling thread;
 *   threaded     for each piece of the requested output region, on the
 *                pool, with the piece's own accumulator when acc_size>0;
 *   merge        for each piece's accumulator, in piece order, on the
 *                calling thread (results are the same at any thread
 *                count);
 *   after        once, on the calling thread.
 * A class that cannot split its work supplies generate instead of
 * before / threaded / merge / after.
 *
 * Inside threaded: no allocation, lock, message formatting or wait on
 * the pool; scratch per worker comes from before, indexed by p->worker.
 */
#ifndef PIPIT_NODE_CLASS_H
#define PIPIT_NODE_CLASS_H

#include <stdarg.h>

#include <pipit/data.h>
#include <pipit/node.h>
#include <pipit/object.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PIPIT_NODE_MAX_INPUTS 8
#define PIPIT_NODE_MAX_OUTPUTS 4

#if defined(__GNUC__)
#define PIPIT_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PIPIT_PRINTF_LIKE(f, a)
#endif

struct pipit_node_class {
    const char *name;  /* for messages and lookup tables */
    const char *help;  /* one line, for `pipit filters` and the docs */
    size_t size;       /* sizeof the concrete struct */
    unsigned n_inputs, n_outputs;
    uint32_t optional_inputs;    /* bit i: input i may stay unconnected */
    /* What each port carries (pipit_data_kind_t); 0, the default, is an
     * image. Connecting another kind is refused, naming both. */
    unsigned char input_kinds[PIPIT_NODE_MAX_INPUTS];
    unsigned char output_kinds[PIPIT_NODE_MAX_OUTPUTS];
    const pipit_setting_t *settings;
    size_t n_settings;
    size_t acc_size;             /* bytes per piece accumulator, 0 if none */
    size_t piece_bytes;          /* output bytes per piece, 0: default */

    /* Runs once after the settings took their defaults. */
    pipit_status_t (*init)(pipit_node_t *n);
    /* Required: set every image output's shape and geometry from the
     * inputs' (pipit_image_set_shape, pipit_image_copy_geometry). */
    pipit_status_t (*information)(pipit_node_t *n);
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

/* An input port: an upstream node's output, or a constant data object. */
typedef struct pipit__port {
    pipit_node_t *node;
    unsigned output;
    pipit_data_t *data;
} pipit__port_t;

struct pipit__update;
struct pipit__graph;

/*
 * The library's part of every node. Embed it as the first member of
 * your node struct; its members are the library's to change: use the
 * functions below.
 */
struct pipit_node {
    pipit__object_t obj;
    const pipit_node_class_t *klass;
    pipit__port_t inputs[PIPIT_NODE_MAX_INPUTS];
    pipit_data_t *outputs[PIPIT_NODE_MAX_OUTPUTS];
    /* The region each image output is being made for in this run: the
     * union of what every consumer asked. */
    pipit_region_t requested[PIPIT_NODE_MAX_OUTPUTS];
    /* The region of each image input this run needs. */
    pipit_region_t input_region[PIPIT_NODE_MAX_INPUTS];
    uint64_t mtime;          /* settings or connections changed */
    uint64_t pipeline_mtime; /* newest change upstream, this node included */
    uint64_t info_time;      /* last information hook run */
    uint64_t data_time;      /* last data run that completed */
    uint64_t done_clock;     /* global clock when the last update ended */
    uint64_t visit;          /* graph walk that last reached this node */
    uint64_t runs;           /* data runs so far (tests, traces) */
    _Atomic(const void *) owner; /* thread updating the node, or NULL */
    unsigned claims;         /* nested updates of the owner holding it */
    bool info_valid;         /* an information hook succeeded */
    bool data_valid;         /* false after a failed or cancelled run */
    bool busy;               /* running its hooks: catches re-entry */
    pipit_progress_fn progress;
    void *progress_user;
    struct pipit__update *update; /* the running update, or NULL */
    struct pipit__graph *graph;   /* walk order kept between updates */
};

/** Input i's image (upstream output or constant), borrowed, or NULL. */
PIPIT_API pipit_image_t *pipit_node_input(const pipit_node_t *n, unsigned i);
/** Input i's data object of any kind, borrowed, or NULL. */
PIPIT_API pipit_data_t *pipit_node_input_data(const pipit_node_t *n,
                                              unsigned i);
/** Image output o, borrowed. */
PIPIT_API pipit_image_t *pipit_node_output(const pipit_node_t *n, unsigned o);
/**
 * Stores d (a reference is taken) as output o, which must be declared of
 * d's kind: how a node hands out a transform, parameter maps or a table
 * it made. PIPIT_EINVAL for a wrong kind.
 */
PIPIT_API pipit_status_t pipit_node_set_output(pipit_node_t *n, unsigned o,
                                               pipit_data_t *d);
/** The region of image output o this run makes (hooks only). */
PIPIT_API const pipit_region_t *pipit_node_requested(const pipit_node_t *n,
                                                     unsigned o);
/** The region of image input i this run asked for (hooks only). */
PIPIT_API const pipit_region_t *pipit_node_input_region(
    const pipit_node_t *n, unsigned i);

/** Information helper: output 0 takes input 0's shape, type, geometry. */
PIPIT_API pipit_status_t pipit_node_information_same(pipit_node_t *n);
/** As pipit_node_information_same, with u8 scalar pixels (masks). */
PIPIT_API pipit_status_t pipit_node_information_mask(pipit_node_t *n);
/** As pipit_node_information_same, with the given type and components. */
PIPIT_API pipit_status_t pipit_node_information_as(pipit_node_t *n,
                                                   pipit_pixel_type_t t,
                                                   unsigned components);
/** Request helper: the whole input, whatever was asked. */
PIPIT_API pipit_status_t pipit_node_request_all(pipit_node_t *n,
                                                unsigned input,
                                                const pipit_region_t *asked,
                                                pipit_region_t *needed);
/**
 * For an information hook: sets dim, size, type and components of an
 * output image (geometry reset when dim changes; pixels dropped when the
 * shape or type changed).
 */
PIPIT_API pipit_status_t pipit_image_set_shape(pipit_image_t *img,
                                               unsigned dim,
                                               const size_t *size,
                                               pipit_pixel_type_t type,
                                               unsigned components);
/**
 * From generate (sinks and other nodes that stream their input): brings
 * input i up to date over region r, pulling it through the pipeline
 * upstream; the input's pixels then cover r. Not from inside a piece.
 */
PIPIT_API pipit_status_t pipit_node_pull_input(pipit_node_t *n, unsigned i,
                                               const pipit_region_t *r);
/**
 * From generate: reports the fraction (0..1) of the node's own work
 * done; PIPIT_ECANCELED when the progress callback asked to stop.
 */
PIPIT_API pipit_status_t pipit_node_report_progress(pipit_node_t *n,
                                                    double fraction);
/** Records a message prefixed with the node's class name; returns st. */
PIPIT_API pipit_status_t pipit_node_error(const pipit_node_t *n,
                                          pipit_status_t st, const char *fmt,
                                          ...) PIPIT_PRINTF_LIKE(3, 4);
/** PIPIT_EINVAL naming both sizes unless inputs a and b match in size. */
PIPIT_API pipit_status_t pipit_node_check_same_size(const pipit_node_t *n,
                                                    unsigned a, unsigned b);
/** Data runs n has made so far (a pipeline's trace, and its tests). */
PIPIT_API uint64_t pipit_node_runs(const pipit_node_t *n);

#ifdef __cplusplus
}
#endif
#endif

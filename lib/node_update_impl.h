/* SPDX-License-Identifier: Apache-2.0 */
/* Between the files of the node machinery. */
#ifndef PIPIT_NODE_UPDATE_IMPL_H
#define PIPIT_NODE_UPDATE_IMPL_H

#include "node_impl.h"

/*
 * One update in progress: its progress callback and how far it got.
 * Progress is base + span * (done + fraction of the running node) /
 * total, so a streamed update spreads one walk over each piece.
 */
struct pipit__update {
    pipit_progress_fn fn;
    void *user;
    double base, span;
    size_t total; /* nodes this walk may run */
    size_t done;
    bool streaming; /* more pieces of the same output will follow */
};

/* The nodes of one walk, upstream first, the root last; kept in the
 * root between updates. */
typedef struct pipit__graph {
    pipit_node_t **order;
    size_t count, cap;
    uint64_t topology; /* topology clock the order was walked at; 0: none */
} pipit__graph_t;

void pipit__graph_free(pipit__graph_t *g);

/** Every connection change calls this: kept walk orders are stale. */
void pipit__graph_topology_changed(void);

/**
 * Collects root and everything upstream of it into root's graph, in
 * dependency order (kept from the last call unless a connection changed
 * since), claiming each node for the calling thread (PIPIT_ESTATE when
 * another thread is updating one of them). Release with
 * pipit__graph_release.
 */
pipit_status_t pipit__graph_collect(pipit_node_t *root,
                                    pipit__graph_t **out);
void pipit__graph_release(pipit__graph_t *g);

/** Claims n alone for the calling thread (nested claims count). */
pipit_status_t pipit__node_claim(pipit_node_t *n);
void pipit__node_release(pipit_node_t *n);

/* What an update asks of its root. */
typedef enum {
    PIPIT__ASK_WHOLE,
    PIPIT__ASK_REGION,
    PIPIT__ASK_NONE /* no image of the root: its other outputs only */
} pipit__ask_t;

/**
 * One update of root: information, requested regions (the union of
 * every consumer's need, once per node) and data (each node at most
 * once). With PIPIT__ASK_REGION, output `output` is asked for *r.
 */
pipit_status_t pipit__update_run(pipit_node_t *root, pipit__ask_t ask,
                                 unsigned output, const pipit_region_t *r,
                                 struct pipit__update *u);

/* Reports progress fraction (0..1) of node n's own work. */
pipit_status_t pipit__update_report(pipit_node_t *n, double fraction);

pipit_status_t pipit__node_apply_defaults(pipit_node_t *n);
void pipit__node_free_settings(pipit_node_t *n);

#endif

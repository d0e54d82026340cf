/* SPDX-License-Identifier: Apache-2.0 */
/* Between the files of the node machinery. */
#ifndef PIPIT_NODE_UPDATE_IMPL_H
#define PIPIT_NODE_UPDATE_IMPL_H

#include "node_impl.h"

/* One update in progress: its progress callback and how far it got,
 * counted in nodes (the node running now adds its fraction). */
struct pipit__update {
    pipit_progress_fn fn;
    void *user;
    size_t total;
    size_t done;
};

pipit_status_t pipit__info_pass(pipit_node_t *n);
pipit_status_t pipit__data_pass(pipit_node_t *n, struct pipit__update *u);
/* Regenerates n's outputs for n->requested (inputs already pulled). */
pipit_status_t pipit__execute(pipit_node_t *n, struct pipit__update *u);
/* Reports progress fraction (0..1) of node n's own work. */
pipit_status_t pipit__update_report(pipit_node_t *n, double fraction);

pipit_status_t pipit__node_apply_defaults(pipit_node_t *n);
void pipit__node_free_settings(pipit_node_t *n);

#endif

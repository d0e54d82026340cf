/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The graph an update walks: every node upstream of the one asked, each
 * once, in dependency order; and the claim that keeps a second thread
 * from updating the same nodes at the same time.
 *
 * Nodes are not thread safe: one thread updates a pipeline at a time.
 * Rather than corrupt pixels when an application breaks that rule, each
 * node records which thread holds it: an update claims every node it
 * walks (nested updates of the same thread, such as a sink pulling its
 * input, count their claims) and a claim by another thread fails with a
 * message that says so.
 */
#include <stdatomic.h>

#include "node_update_impl.h"

/* Its address names the calling thread. */
static _Thread_local char thread_token;

/* Each walk gets its own number, so "visited" needs no clearing. */
static atomic_uint_fast64_t walks;

pipit_status_t
pipit__node_claim(pipit_node_t *n)
{
    const void *me = &thread_token;
    const void *expected = NULL;
    if (atomic_load_explicit(&n->owner, memory_order_relaxed) == me) {
        n->claims++;
        return PIPIT_OK;
    }
    if (atomic_compare_exchange_strong_explicit(&n->owner, &expected, me,
                                                memory_order_acquire,
                                                memory_order_relaxed)) {
        n->claims = 1;
        return PIPIT_OK;
    }
    return pipit__error(PIPIT_ESTATE,
                        "%s: the node is being updated by another thread "
                        "(a pipeline is updated by one thread at a time)",
                        n->klass->name);
}

void
pipit__node_release(pipit_node_t *n)
{
    if (--n->claims == 0)
        atomic_store_explicit(&n->owner, NULL, memory_order_release);
}

void
pipit__graph_free(pipit__graph_t *g)
{
    if (g != NULL) {
        pipit__free(g->order);
        pipit__free(g);
    }
}

static pipit_status_t
push(pipit__graph_t *g, pipit_node_t *n)
{
    if (g->count == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 16;
        pipit_node_t **o = pipit__realloc(g->order, cap * sizeof *o);
        if (o == NULL)
            return PIPIT_ENOMEM;
        g->order = o, g->cap = cap;
    }
    g->order[g->count++] = n;
    return PIPIT_OK;
}

/* Post-order: a node is pushed after everything it reads. */
static pipit_status_t
visit(pipit__graph_t *g, pipit_node_t *n, uint64_t walk)
{
    if (atomic_load_explicit(&n->owner, memory_order_relaxed) ==
            (const void *)&thread_token &&
        n->visit == walk)
        return PIPIT_OK;
    pipit_status_t st = pipit__node_claim(n);
    if (st != PIPIT_OK)
        return st;
    n->visit = walk;
    for (unsigned i = 0; i < n->klass->n_inputs && st == PIPIT_OK; i++)
        if (n->inputs[i].node != NULL)
            st = visit(g, n->inputs[i].node, walk);
    if (st == PIPIT_OK)
        st = push(g, n);
    if (st != PIPIT_OK)
        pipit__node_release(n);
    return st;
}

pipit_status_t
pipit__graph_collect(pipit_node_t *root, pipit__graph_t **out)
{
    if (root->graph == NULL &&
        (root->graph = pipit__calloc(1, sizeof *root->graph)) == NULL)
        return PIPIT_ENOMEM;
    pipit__graph_t *g = root->graph;
    g->count = 0;
    uint64_t walk =
        atomic_fetch_add_explicit(&walks, 1, memory_order_relaxed) + 1;
    pipit_status_t st = visit(g, root, walk);
    if (st != PIPIT_OK) {
        pipit__graph_release(g);
        return st;
    }
    *out = g;
    return PIPIT_OK;
}

void
pipit__graph_release(pipit__graph_t *g)
{
    for (size_t k = g->count; k-- > 0;)
        pipit__node_release(g->order[k]);
    g->count = 0;
}

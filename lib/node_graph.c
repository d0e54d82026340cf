/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The graph an update walks: every node upstream of the one asked, each
 * once, in dependency order; and the claim that keeps a second thread
 * from updating the same nodes at the same time.
 *
 * The order is kept in the root between updates and walked again only
 * when a connection changed somewhere (the topology clock moved): an
 * optimizer or a stream updates the same graph thousands of times, and
 * re-walking it every time cost about a tenth of a small update.
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

/* Moves on every change of any connection; starts at 1 so that a
 * graph's 0 means "never walked". */
static atomic_uint_fast64_t topology = 1;

void
pipit__graph_topology_changed(void)
{
    atomic_fetch_add_explicit(&topology, 1, memory_order_relaxed);
}

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

/* Claims the nodes of a kept order; on failure releases those taken. */
static pipit_status_t
claim_kept(pipit__graph_t *g)
{
    for (size_t k = 0; k < g->count; k++) {
        pipit_status_t st = pipit__node_claim(g->order[k]);
        if (st != PIPIT_OK) {
            while (k-- > 0)
                pipit__node_release(g->order[k]);
            return st;
        }
    }
    return PIPIT_OK;
}

static pipit_status_t
collect(pipit_node_t *root, pipit__graph_t **out)
{
    if (root->graph == NULL &&
        (root->graph = pipit__calloc(1, sizeof *root->graph)) == NULL)
        return PIPIT_ENOMEM;
    pipit__graph_t *g = root->graph;
    /* Read before the walk: a change made while we walk (by a thread
     * breaking the one-updater rule) makes the next update walk again.
     * The kept nodes are alive: root holds references to its inputs,
     * they to theirs, and only a connection change drops one. */
    uint64_t now = atomic_load_explicit(&topology, memory_order_relaxed);
    if (g->topology == now) {
        pipit_status_t st = claim_kept(g);
        if (st == PIPIT_OK)
            *out = g;
        return st;
    }
    g->count = 0;
    g->topology = 0;
    uint64_t walk =
        atomic_fetch_add_explicit(&walks, 1, memory_order_relaxed) + 1;
    pipit_status_t st = visit(g, root, walk);
    if (st != PIPIT_OK) {
        /* visit released what it claimed on the failing path; the
         * nodes already pushed hold one claim each. */
        pipit__graph_release(g);
        g->count = 0;
        return st;
    }
    g->topology = now;
    *out = g;
    return PIPIT_OK;
}

pipit_status_t
pipit__graph_collect(pipit_node_t *root, pipit__graph_t **out)
{
    /* root->graph is the root's: touch it only once root is ours (most
     * callers hold root already, and this claim only nests). */
    pipit_status_t st = pipit__node_claim(root);
    if (st != PIPIT_OK)
        return st;
    st = collect(root, out);
    pipit__node_release(root);
    return st;
}

void
pipit__graph_release(pipit__graph_t *g)
{
    for (size_t k = g->count; k-- > 0;)
        pipit__node_release(g->order[k]);
}

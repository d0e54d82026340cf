/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The update protocol over a graph (DESIGN.md, "Nodes and the update
 * protocol"). One update walks every node upstream of the one asked,
 * each once, in dependency order (node_graph.c), and runs three passes:
 *
 *   1. information, upstream first. A node reading a transform, maps or
 *      a table made by another node brings that node fully up to date
 *      first (those objects have no regions to stream), so its own
 *      information and requests can use them.
 *   2. requested regions, from the root back: each node is asked for
 *      the union of what all its consumers need, and states what it
 *      needs of its own inputs. When more pieces of a stream will
 *      follow and a node needs its whole input for one piece, it is
 *      asked for its whole output instead: it runs once and the later
 *      pieces find their pixels made.
 *   3. data, upstream first: each node runs at most once, and only when
 *      it, something upstream, or the region asked of it changed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "node_update_impl.h"
#include "pool_impl.h"

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static bool
is_image_port(const pipit_node_t *n, unsigned o)
{
    return n->klass->output_kinds[o] == PIPIT_DATA_IMAGE;
}

/* ---- pass 1: information ------------------------------------------ */

static pipit_status_t update_whole(pipit_node_t *n, struct pipit__update *u);

static pipit_status_t
info_step(pipit_node_t *n)
{
    const pipit_node_class_t *c = n->klass;
    uint64_t newest = n->mtime;
    for (unsigned i = 0; i < c->n_inputs; i++) {
        pipit__port_t *in = &n->inputs[i];
        if (in->node != NULL) {
            pipit_node_t *up = in->node;
            if (!is_image_port(up, in->output)) {
                struct pipit__update sub = { .span = 1.0 };
                pipit_status_t st = update_whole(up, &sub);
                if (st != PIPIT_OK)
                    return st;
                if (up->outputs[in->output] == NULL)
                    return pipit__error(PIPIT_ESTATE,
                                        "%s: input %u: %s made no %s on "
                                        "output %u",
                                        c->name, i, up->klass->name,
                                        pipit_data_kind_name(
                                            up->klass->output_kinds[in->output]),
                                        in->output);
            }
            newest = max_u64(newest, up->pipeline_mtime);
        } else if (in->data != NULL) {
            newest = max_u64(newest, pipit__data_mtime(in->data));
        } else if (!(c->optional_inputs & (1u << i))) {
            return pipit__error(PIPIT_ESTATE, "%s: input %u is not connected",
                                c->name, i);
        }
    }
    n->pipeline_mtime = newest;
    if (n->info_valid && newest <= n->info_time)
        return PIPIT_OK;
    n->info_valid = false;
    pipit_status_t st = c->information(n);
    if (st != PIPIT_OK)
        return st;
    n->info_valid = true;
    n->info_time = pipit__time_next();
    return PIPIT_OK;
}

static pipit_status_t
info_pass(const pipit__graph_t *g)
{
    for (size_t k = 0; k < g->count; k++) {
        pipit_status_t st = info_step(g->order[k]);
        if (st != PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

pipit_status_t
pipit_node_update_information(pipit_node_t *n)
{
    PIPIT_CHECK_ARG(n != NULL);
    pipit__graph_t *g;
    pipit_status_t st = pipit__graph_collect(n, &g);
    if (st != PIPIT_OK)
        return st;
    st = info_pass(g);
    pipit__graph_release(g);
    return st;
}

/* ---- pass 2: requested regions ------------------------------------- */

static pipit_status_t
default_request(const pipit_node_t *n, unsigned i, const pipit_region_t *asked,
                pipit_region_t *needed)
{
    const pipit_image_t *in = pipit__input(n, i);
    const pipit_image_t *out =
        n->klass->n_outputs > 0 && is_image_port(n, 0) ? pipit__output(n, 0)
                                                       : NULL;
    pipit_region_t whole = pipit_image_largest_region(in);
    bool same_size = out != NULL && in->dim == out->dim;
    for (unsigned d = 0; same_size && d < in->dim; d++)
        same_size = in->size[d] == out->size[d];
    *needed = same_size ? pipit_region_intersect(asked, &whole) : whole;
    return PIPIT_OK;
}

/* The region all image outputs are asked for, as one box (outputs of
 * one node share a grid in our classes; the union is safe otherwise). */
static pipit_region_t
asked_region(const pipit_node_t *n)
{
    pipit_region_t r = { { 0 }, { 0 } };
    for (unsigned o = 0; o < n->klass->n_outputs; o++)
        if (is_image_port(n, o))
            r = pipit_region_union(&r, &n->requested[o]);
    return r;
}

static bool
wanted(const pipit_node_t *n)
{
    for (unsigned o = 0; o < n->klass->n_outputs; o++)
        if (is_image_port(n, o) && !pipit_region_is_empty(&n->requested[o]))
            return true;
    return false;
}

static bool
asks_whole(const pipit_node_t *n)
{
    for (unsigned o = 0; o < n->klass->n_outputs; o++) {
        if (!is_image_port(n, o))
            continue;
        pipit_region_t whole = pipit_image_largest_region(pipit__output(n, o));
        if (!pipit_region_equal(&n->requested[o], &whole))
            return false;
    }
    return true;
}

static void
ask_whole(pipit_node_t *n)
{
    for (unsigned o = 0; o < n->klass->n_outputs; o++)
        if (is_image_port(n, o))
            n->requested[o] = pipit_image_largest_region(pipit__output(n, o));
}

/* What n needs of each image input for the region asked of it. */
static pipit_status_t
request_inputs(pipit_node_t *n, bool streaming)
{
    const pipit_node_class_t *c = n->klass;
    bool promoted = false;
again:;
    pipit_region_t asked = asked_region(n);
    for (unsigned i = 0; i < c->n_inputs; i++) {
        const pipit_image_t *in = pipit__input(n, i);
        if (in == NULL)
            continue;
        pipit_region_t need, whole = pipit_image_largest_region(in);
        pipit_status_t st = c->request != NULL
                                ? c->request(n, i, &asked, &need)
                                : default_request(n, i, &asked, &need);
        if (st != PIPIT_OK)
            return st;
        need = pipit_region_intersect(&need, &whole);
        if (streaming && !promoted && pipit_region_equal(&need, &whole) &&
            !asks_whole(n)) {
            ask_whole(n);
            promoted = true;
            goto again;
        }
        n->input_region[i] = need;
    }
    for (unsigned i = 0; i < c->n_inputs; i++) {
        pipit__port_t *in = &n->inputs[i];
        if (in->node != NULL && is_image_port(in->node, in->output)) {
            pipit_region_t *r = &in->node->requested[in->output];
            *r = pipit_region_union(r, &n->input_region[i]);
        }
    }
    return PIPIT_OK;
}

static pipit_status_t
request_pass(const pipit__graph_t *g, bool streaming)
{
    pipit_node_t *root = g->order[g->count - 1];
    for (size_t k = 0; k + 1 < g->count; k++) {
        pipit_node_t *n = g->order[k];
        /* Only the ports it has: a memset of all of them was the single
         * most costly line of a small update. */
        for (unsigned o = 0; o < n->klass->n_outputs; o++)
            n->requested[o] = (pipit_region_t){ { 0 }, { 0 } };
        /* Its outputs may be made for less than the whole now: its own
         * next update must not take the nothing-changed shortcut. */
        n->done_clock = 0;
    }
    for (size_t k = g->count; k-- > 0;) {
        pipit_node_t *n = g->order[k];
        /* A sink pulls its inputs piece by piece from generate. */
        if (n->klass->n_outputs == 0 || (n != root && !wanted(n)))
            continue;
        pipit_status_t st = request_inputs(n, streaming);
        if (st != PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

/* ---- pass 3: data ------------------------------------------------- */

pipit_status_t
pipit__update_report(pipit_node_t *n, double fraction)
{
    struct pipit__update *u = n->update;
    if (u == NULL || u->fn == NULL)
        return PIPIT_OK;
    double f = u->base + u->span * ((double)u->done + fraction) /
                             (double)(u->total ? u->total : 1);
    if (u->fn(f > 1.0 ? 1.0 : f, u->user) != 0)
        return pipit__node_error(n, PIPIT_ECANCELED,
                                 "cancelled by the progress callback");
    return PIPIT_OK;
}

pipit_status_t
pipit_node_report_progress(pipit_node_t *n, double fraction)
{
    PIPIT_CHECK_ARG(n != NULL);
    return pipit__update_report(n, fraction);
}

static int
piece_progress(double fraction, void *user)
{
    return pipit__update_report(user, fraction) != PIPIT_OK;
}

static pipit_status_t
run_piece(void *ctx, const pipit_piece_t *p)
{
    pipit_node_t *n = ctx;
    return n->klass->threaded(n, p);
}

static pipit_status_t
merge_piece(void *ctx, const void *acc, size_t index)
{
    pipit_node_t *n = ctx;
    return n->klass->merge(n, acc, index);
}

static pipit_region_loop_t
loop_options(pipit_node_t *n)
{
    const pipit_node_class_t *c = n->klass;
    return (pipit_region_loop_t){
        .pixel_bytes = c->n_outputs > 0 && is_image_port(n, 0)
                           ? pipit__output(n, 0)->pixel_bytes
                           : 4,
        .piece_bytes = c->piece_bytes,
        .acc_size = c->acc_size,
        .merge = c->acc_size > 0 ? merge_piece : NULL,
        .progress = n->update != NULL && n->update->fn != NULL
                        ? piece_progress
                        : NULL,
        .progress_user = n,
    };
}

static pipit_status_t
run_hooks(pipit_node_t *n)
{
    const pipit_node_class_t *c = n->klass;
    if (c->generate != NULL)
        return c->generate(n);
    pipit_status_t st = c->before != NULL ? c->before(n) : PIPIT_OK;
    if (st != PIPIT_OK)
        return st;
    pipit_region_loop_t opt = loop_options(n);
    st = pipit_parallel_region(&n->requested[0], &opt, run_piece, n);
    if (st == PIPIT_OK && c->after != NULL)
        st = c->after(n);
    return st;
}

static double
seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The debug trace: one line a node run, as a person reads a pipeline. */
static void
trace_run(pipit_node_t *n, double seconds)
{
    const pipit_region_t *r = &n->requested[0];
    char where[160] = "whole";
    size_t pieces = 1;
    if (n->klass->n_outputs > 0 && is_image_port(n, 0)) {
        unsigned dim = pipit__output(n, 0)->dim;
        size_t len = 0;
        for (unsigned d = 0; d < dim && len < sizeof where; d++)
            len += (size_t)snprintf(where + len, sizeof where - len,
                                    "%s[%zu,%zu)", d ? "x" : "", r->lo[d],
                                    r->hi[d]);
        if (n->klass->threaded != NULL) {
            pipit_region_loop_t opt = loop_options(n);
            pieces = pipit_region_pieces(r, &opt, 0, NULL);
        }
    }
    pipit__log(PIPIT_LOG_DEBUG, "run %s: region %s, %zu piece%s, %.3f ms",
               n->klass->name, where, pieces, pieces == 1 ? "" : "s",
               1e3 * seconds);
}

static pipit_status_t
execute(pipit_node_t *n, struct pipit__update *u)
{
    const pipit_node_class_t *c = n->klass;
    pipit_status_t st = PIPIT_OK;
    bool tracing = pipit__log_enabled(PIPIT_LOG_DEBUG);
    double t0 = tracing ? seconds_now() : 0.0;
    n->data_valid = false;
    for (unsigned o = 0; o < c->n_outputs && st == PIPIT_OK; o++)
        if (is_image_port(n, o))
            st = pipit__image_allocate(pipit__output(n, o), &n->requested[o],
                                       false);
    if (st == PIPIT_OK) {
        n->busy = true;
        n->update = u;
        n->runs++;
        pipit_pool_hold(); /* the hooks size per-worker scratch by it */
        st = run_hooks(n);
        pipit_pool_release();
        n->busy = false;
    }
    if (st == PIPIT_ECANCELED && strstr(pipit_error_message(), c->name) == NULL)
        pipit__error_prefix("%s", c->name);
    if (st != PIPIT_OK) {
        /* Half-made pixels must never pass for valid ones. */
        for (unsigned o = 0; o < c->n_outputs; o++)
            if (is_image_port(n, o))
                pipit__image_release(pipit__output(n, o));
        n->update = NULL;
        return st;
    }
    n->data_valid = true;
    n->data_time = pipit__time_next();
    for (unsigned o = 0; o < c->n_outputs; o++)
        if (is_image_port(n, o))
            pipit__output(n, o)->data_time = n->data_time;
    if (tracing)
        trace_run(n, seconds_now() - t0);
    u->done++;
    st = pipit__update_report(n, 0.0);
    n->update = NULL;
    return st;
}

static bool
outputs_hold_request(const pipit_node_t *n)
{
    for (unsigned o = 0; o < n->klass->n_outputs; o++) {
        if (!is_image_port(n, o))
            continue;
        const pipit_image_t *img = pipit__output(n, o);
        if (img->data == NULL && !pipit_region_is_empty(&n->requested[o]))
            return false;
        if (!pipit_region_contains(&img->buffered, &n->requested[o]))
            return false;
    }
    return true;
}

static pipit_status_t
data_step(pipit_node_t *n, bool root, struct pipit__update *u)
{
    const pipit_node_class_t *c = n->klass;
    if (!root && !wanted(n))
        return PIPIT_OK;
    if (n->busy)
        return pipit__error(PIPIT_ESTATE, "%s: node updated while already "
                                          "updating",
                            c->name);
    if (c->n_outputs > 0)
        for (unsigned i = 0; i < c->n_inputs; i++) {
            const pipit__port_t *in = &n->inputs[i];
            const pipit_image_t *img = pipit_data_image(in->data);
            if (in->node == NULL && img != NULL &&
                !pipit_region_contains(&img->buffered, &n->input_region[i]))
                return pipit__error(PIPIT_ESTATE,
                                    "%s: input image %u does not hold the "
                                    "pixels asked for",
                                    c->name, i);
        }
    if (n->data_valid && n->pipeline_mtime <= n->data_time &&
        outputs_hold_request(n)) {
        u->done++;
        return PIPIT_OK;
    }
    return execute(n, u);
}

pipit_status_t
pipit__update_run(pipit_node_t *root, pipit__ask_t ask, unsigned output,
                  const pipit_region_t *r, struct pipit__update *u)
{
    pipit__graph_t *g;
    pipit_status_t st = pipit__graph_collect(root, &g);
    if (st != PIPIT_OK)
        return st;
    if ((st = info_pass(g)) != PIPIT_OK)
        goto done;
    for (unsigned o = 0; o < root->klass->n_outputs; o++) {
        if (!is_image_port(root, o))
            continue;
        pipit_region_t whole = pipit_image_largest_region(pipit__output(root, o));
        root->requested[o] = whole;
        if (ask == PIPIT__ASK_REGION)
            root->requested[o] = pipit_region_intersect(r, &whole);
        else if (ask == PIPIT__ASK_NONE)
            root->requested[o] = (pipit_region_t){ { 0 }, { 0 } };
    }
    if (ask == PIPIT__ASK_REGION) {
        pipit_region_t whole =
            pipit_image_largest_region(pipit__output(root, output));
        if (pipit_region_is_empty(r) || !pipit_region_contains(&whole, r)) {
            st = pipit__error(PIPIT_EINVAL,
                              "%s: region asked of output %u is empty or "
                              "outside the image",
                              root->klass->name, output);
            goto done;
        }
    }
    if ((st = request_pass(g, u->streaming)) != PIPIT_OK)
        goto done;
    u->total = g->count;
    u->done = 0;
    /* One hold for the whole data pass: each node's own hold then only
     * nests (a counted hold takes a lock; three of them were a tenth of
     * a small update). */
    pipit_pool_hold();
    for (size_t k = 0; k < g->count && st == PIPIT_OK; k++)
        st = data_step(g->order[k], k + 1 == g->count, u);
    pipit_pool_release();
done:
    pipit__graph_release(g);
    return st;
}

/* ---- the public update calls --------------------------------------- */

static pipit_status_t
update_whole(pipit_node_t *n, struct pipit__update *u)
{
    /* The global clock moves on every change anywhere; when it stands
     * where our last full update left it, nothing can have changed.
     * Every other update that asks n for a region (as a root or from
     * upstream) clears done_clock, so n's outputs still hold the whole
     * (comparing the regions here cost most of a no-op update). */
    if (n->done_clock != 0 && n->done_clock == pipit__time_now() &&
        n->data_valid)
        return PIPIT_OK;
    pipit_status_t st = pipit__update_run(n, PIPIT__ASK_WHOLE, 0, NULL, u);
    n->done_clock = st == PIPIT_OK ? pipit__time_now() : 0;
    return st;
}

pipit_status_t
pipit_node_update(pipit_node_t *n)
{
    PIPIT_CHECK_ARG(n != NULL);
    pipit_status_t st = pipit__node_claim(n);
    if (st != PIPIT_OK)
        return st;
    struct pipit__update u = { .fn = n->progress, .user = n->progress_user,
                               .span = 1.0 };
    st = update_whole(n, &u);
    pipit__node_release(n);
    return st;
}

pipit_status_t
pipit_node_update_region(pipit_node_t *n, unsigned output,
                         const pipit_region_t *r)
{
    PIPIT_CHECK_ARG(n != NULL && r != NULL);
    if (output >= n->klass->n_outputs || !is_image_port(n, output))
        return pipit__error(PIPIT_EINVAL, "%s: no image output %u",
                            n->klass->name, output);
    struct pipit__update u = { .fn = n->progress, .user = n->progress_user,
                               .span = 1.0 };
    n->done_clock = 0;
    return pipit__update_run(n, PIPIT__ASK_REGION, output, r, &u);
}

pipit_status_t
pipit_node_update_output(pipit_node_t *n, unsigned output)
{
    PIPIT_CHECK_ARG(n != NULL);
    if (output >= n->klass->n_outputs)
        return pipit__error(PIPIT_EINVAL, "%s: no output %u", n->klass->name,
                            output);
    pipit_status_t st;
    if (is_image_port(n, output)) {
        if ((st = pipit_node_update_information(n)) != PIPIT_OK)
            return st;
        pipit_region_t whole =
            pipit_image_largest_region(pipit__output(n, output));
        return pipit_node_update_region(n, output, &whole);
    }
    if ((st = pipit__node_claim(n)) != PIPIT_OK)
        return st;
    struct pipit__update u = { .fn = n->progress, .user = n->progress_user,
                               .span = 1.0 };
    n->done_clock = 0;
    st = pipit__update_run(n, PIPIT__ASK_NONE, output, NULL, &u);
    pipit__node_release(n);
    return st;
}

pipit_status_t
pipit_node_pull_input(pipit_node_t *n, unsigned i, const pipit_region_t *r)
{
    PIPIT_CHECK_ARG(n != NULL && r != NULL);
    const pipit_image_t *img =
        i < n->klass->n_inputs ? pipit__input(n, i) : NULL;
    if (img == NULL)
        return pipit__node_error(n, PIPIT_ESTATE,
                                 "input %u is not a connected image", i);
    pipit_region_t whole = pipit_image_largest_region(img);
    if (!pipit_region_contains(&whole, r))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "input %u: region outside the image", i);
    n->input_region[i] = *r;
    pipit__port_t *in = &n->inputs[i];
    if (in->node == NULL)
        return pipit_region_contains(&img->buffered, r)
                   ? PIPIT_OK
                   : pipit__node_error(n, PIPIT_ESTATE,
                                       "input image %u does not hold the "
                                       "pixels asked for",
                                       i);
    /* The sink reports its own progress; its pulls are pieces of a
     * stream, so nodes that need their whole input run once. */
    struct pipit__update u = { .span = 1.0, .streaming = true };
    in->node->done_clock = 0;
    return pipit__update_run(in->node, PIPIT__ASK_REGION, in->output, r, &u);
}

/* ---- does a class stream? ------------------------------------------ */

/* A 16^3 f32 image with the given components, for probing. */
static pipit_image_t *
probe_image(unsigned components)
{
    size_t size[3] = { 16, 16, 16 };
    return pipit_image_new(3, size, PIPIT_F32, components);
}

/* Whether a node of class c, its settings at their defaults, asks only
 * part of its image inputs for a slab of its output. */
static int
probe_streams(const pipit_node_class_t *c, unsigned second_components)
{
    int result = -1;
    pipit_node_t *n = pipit_node_new(c);
    pipit_image_t *cube = probe_image(1), *second = probe_image(second_components);
    if (n == NULL || cube == NULL || second == NULL)
        goto done;
    for (unsigned i = 0; i < c->n_inputs; i++)
        if (c->input_kinds[i] == PIPIT_DATA_IMAGE &&
            !(c->optional_inputs & (1u << i)) &&
            pipit_node_set_input_image(n, i, i == 0 ? cube : second) !=
                PIPIT_OK)
            goto done;
    if (c->n_outputs == 0 || c->output_kinds[0] != PIPIT_DATA_IMAGE ||
        pipit_node_update_information(n) != PIPIT_OK)
        goto done;
    pipit_region_t whole = pipit_image_largest_region(pipit__output(n, 0));
    unsigned axis = pipit_region_split_axis(&whole);
    pipit_region_t slab = whole;
    slab.lo[axis] = whole.hi[axis] / 2;
    slab.hi[axis] = slab.lo[axis] + 1;
    for (unsigned o = 0; o < c->n_outputs; o++)
        n->requested[o] = slab;
    result = c->n_inputs == 0 ? 1 : 0;
    for (unsigned i = 0; i < c->n_inputs; i++) {
        const pipit_image_t *in = pipit__input(n, i);
        if (in == NULL)
            continue;
        pipit_region_t need, all = pipit_image_largest_region(in);
        pipit_status_t st = c->request != NULL
                                ? c->request(n, i, &slab, &need)
                                : default_request(n, i, &slab, &need);
        if (st != PIPIT_OK) {
            result = -1;
            break;
        }
        need = pipit_region_intersect(&need, &all);
        if (pipit_region_equal(&need, &all)) {
            result = 0;
            break;
        }
        result = 1;
    }
done:
    pipit_image_unref(second);
    pipit_image_unref(cube);
    pipit_node_unref(n);
    return result;
}

int
pipit_node_class_streams(const pipit_node_class_t *c)
{
    if (c == NULL)
        return -1;
    if (c->n_inputs == 0)
        return 1; /* a source makes any region asked */
    /* A second input is often a twin of the first; a warp's is a field
     * of one vector a pixel. */
    int r = probe_streams(c, 1);
    return r >= 0 ? r : probe_streams(c, 3);
}

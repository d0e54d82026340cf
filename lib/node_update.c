/* SPDX-License-Identifier: Apache-2.0 */
/* Running a node's hooks, and the public update calls. */
#include <string.h>

#include "node_update_impl.h"

pipit_status_t
pipit__update_report(pipit_node_t *n, double fraction)
{
    struct pipit__update *u = n->update;
    if (u == NULL || u->fn == NULL)
        return PIPIT_OK;
    double f = ((double)u->done + fraction) / (double)u->total;
    if (u->fn(f > 1.0 ? 1.0 : f, u->user) != 0)
        return pipit__node_error(n, PIPIT_ECANCELED,
                                 "cancelled by the progress callback");
    return PIPIT_OK;
}

pipit_status_t
pipit__node_progress(pipit_node_t *n, double fraction)
{
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

static pipit_status_t
run_hooks(pipit_node_t *n)
{
    const pipit_node_class_t *c = n->klass;
    if (c->generate != NULL)
        return c->generate(n);
    pipit_status_t st = c->before != NULL ? c->before(n) : PIPIT_OK;
    if (st != PIPIT_OK)
        return st;
    pipit_region_t r = n->requested[0];
    pipit_region_loop_t opt = {
        .pixel_bytes = c->n_outputs > 0 ? n->outputs[0]->pixel_bytes : 4,
        .piece_bytes = c->piece_bytes,
        .acc_size = c->acc_size,
        .merge = c->acc_size > 0 ? merge_piece : NULL,
        .progress = n->update != NULL && n->update->fn != NULL
                        ? piece_progress
                        : NULL,
        .progress_user = n,
    };
    st = pipit_parallel_region(&r, &opt, run_piece, n);
    if (st == PIPIT_OK && c->after != NULL)
        st = c->after(n);
    return st;
}

pipit_status_t
pipit__execute(pipit_node_t *n, struct pipit__update *u)
{
    const pipit_node_class_t *c = n->klass;
    pipit_status_t st = PIPIT_OK;
    n->data_valid = false;
    for (unsigned o = 0; o < c->n_outputs && st == PIPIT_OK; o++)
        st = pipit__image_allocate(n->outputs[o], &n->requested[o], false);
    if (st == PIPIT_OK) {
        n->busy = true;
        n->update = u;
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
            pipit__image_release(n->outputs[o]);
        n->update = NULL;
        return st;
    }
    n->data_valid = true;
    n->data_time = pipit__time_next();
    for (unsigned o = 0; o < c->n_outputs; o++)
        n->outputs[o]->data_time = n->data_time;
    u->done++;
    st = pipit__update_report(n, 0.0);
    n->update = NULL;
    return st;
}

/* Runs the data pass with n->requested already set. */
static pipit_status_t
update_requested(pipit_node_t *n)
{
    struct pipit__update u = { .fn = n->progress, .user = n->progress_user,
                               .total = n->n_upstream, .done = 0 };
    return pipit__data_pass(n, &u);
}

static bool
whole_outputs_requested(const pipit_node_t *n)
{
    for (unsigned o = 0; o < n->klass->n_outputs; o++) {
        pipit_region_t whole = pipit_image_largest_region(n->outputs[o]);
        if (!pipit_region_equal(&n->requested[o], &whole))
            return false;
    }
    return true;
}

pipit_status_t
pipit_node_update(pipit_node_t *n)
{
    PIPIT_CHECK_ARG(n != NULL);
    /* The global clock moves on every change anywhere; when it stands
     * where our last full update left it, nothing can have changed. */
    if (n->done_clock != 0 && n->done_clock == pipit__time_now() &&
        n->data_valid && whole_outputs_requested(n))
        return PIPIT_OK;
    pipit_status_t st = pipit__info_pass(n);
    if (st != PIPIT_OK)
        return st;
    for (unsigned o = 0; o < n->klass->n_outputs; o++)
        n->requested[o] = pipit_image_largest_region(n->outputs[o]);
    if ((st = update_requested(n)) != PIPIT_OK)
        return st;
    n->done_clock = pipit__time_now();
    return PIPIT_OK;
}

pipit_status_t
pipit_node_update_region(pipit_node_t *n, unsigned output,
                         const pipit_region_t *r)
{
    PIPIT_CHECK_ARG(n != NULL && r != NULL);
    if (output >= n->klass->n_outputs)
        return pipit__error(PIPIT_EINVAL, "%s: no output %u", n->klass->name,
                            output);
    pipit_status_t st = pipit__info_pass(n);
    if (st != PIPIT_OK)
        return st;
    pipit_region_t whole = pipit_image_largest_region(n->outputs[output]);
    if (pipit_region_is_empty(r) || !pipit_region_contains(&whole, r))
        return pipit__error(PIPIT_EINVAL,
                            "%s: region asked of output %u is empty or "
                            "outside the image",
                            n->klass->name, output);
    for (unsigned o = 0; o < n->klass->n_outputs; o++) {
        pipit_region_t w = pipit_image_largest_region(n->outputs[o]);
        n->requested[o] = pipit_region_intersect(r, &w);
    }
    n->done_clock = 0;
    return update_requested(n);
}

pipit_status_t
pipit__input_pull(pipit_node_t *n, unsigned i, const pipit_region_t *r)
{
    if (i >= n->klass->n_inputs || pipit__input(n, i) == NULL)
        return pipit__node_error(n, PIPIT_ESTATE, "input %u not connected",
                                 i);
    pipit_region_t whole = pipit_image_largest_region(pipit__input(n, i));
    if (!pipit_region_contains(&whole, r))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "input %u: region outside the image", i);
    struct pipit__update u = { 0 };
    u.fn = NULL; /* the sink reports its own progress */
    u.total = 1;
    pipit__input_t *in = &n->inputs[i];
    n->input_region[i] = *r;
    if (in->node == NULL)
        return pipit_region_contains(&in->image->buffered, r)
                   ? PIPIT_OK
                   : pipit__node_error(n, PIPIT_ESTATE,
                                       "input image %u does not hold the "
                                       "pixels asked for",
                                       i);
    pipit_node_t *up = in->node;
    for (unsigned o = 0; o < up->klass->n_outputs; o++) {
        pipit_region_t w = pipit_image_largest_region(up->outputs[o]);
        up->requested[o] = pipit_region_intersect(r, &w);
    }
    return pipit__data_pass(up, &u);
}

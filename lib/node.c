/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Nodes and the three-pass update protocol (DESIGN.md, "Nodes and the
 * update protocol"). Settings live in node_settings.c, helpers for node
 * authors in node_helpers.c, the streaming sink in stream.c.
 */
#include <string.h>

#include "node_impl.h"
#include "node_update_impl.h"
#include "pool_impl.h"

pipit_node_t *
pipit_node_new(const pipit_node_class_t *c)
{
    PIPIT_CHECK_ARG_NULL(c != NULL && c->size >= sizeof(pipit_node_t));
    PIPIT_CHECK_ARG_NULL(c->information != NULL);
    PIPIT_CHECK_ARG_NULL(c->n_inputs <= PIPIT_NODE_MAX_INPUTS &&
                         c->n_outputs <= PIPIT_NODE_MAX_OUTPUTS);
    PIPIT_CHECK_ARG_NULL((c->generate != NULL) != (c->threaded != NULL));
    pipit_node_t *n = pipit__calloc(1, c->size);
    if (n == NULL)
        return NULL;
    pipit__object_init(&n->obj);
    n->klass = c;
    n->mtime = pipit__time_next();
    for (unsigned o = 0; o < c->n_outputs; o++)
        if ((n->outputs[o] = pipit__image_new_empty()) == NULL)
            goto fail;
    if (pipit__node_apply_defaults(n) != PIPIT_OK)
        goto fail;
    if (c->init != NULL && c->init(n) != PIPIT_OK)
        goto fail;
    return n;
fail:
    pipit_node_unref(n);
    return NULL;
}

pipit_node_t *
pipit_node_ref(pipit_node_t *n)
{
    if (n != NULL)
        pipit__object_ref(&n->obj);
    return n;
}

void
pipit_node_unref(pipit_node_t *n)
{
    if (n == NULL || !pipit__object_unref(&n->obj))
        return;
    if (n->klass->finalize != NULL)
        n->klass->finalize(n);
    pipit__node_free_settings(n);
    for (unsigned i = 0; i < PIPIT_NODE_MAX_INPUTS; i++) {
        pipit_node_unref(n->inputs[i].node);
        pipit_image_unref(n->inputs[i].image);
    }
    for (unsigned o = 0; o < PIPIT_NODE_MAX_OUTPUTS; o++)
        pipit_image_unref(n->outputs[o]);
    pipit__free(n);
}

const char *pipit_node_name(const pipit_node_t *n) { return n->klass->name; }
const pipit_node_class_t *pipit_node_get_class(const pipit_node_t *n)
{
    return n->klass;
}
unsigned pipit_node_n_inputs(const pipit_node_t *n)
{
    return n->klass->n_inputs;
}
unsigned pipit_node_n_outputs(const pipit_node_t *n)
{
    return n->klass->n_outputs;
}

void
pipit_node_modified(pipit_node_t *n)
{
    if (n != NULL)
        n->mtime = pipit__time_next();
}

pipit_image_t *
pipit_node_get_output(pipit_node_t *n, unsigned i)
{
    if (n == NULL || i >= n->klass->n_outputs) {
        pipit__error(PIPIT_EINVAL, "%s: no output %u",
                     n != NULL ? n->klass->name : "node", i);
        return NULL;
    }
    return n->outputs[i];
}

/* True when `target` is n or lies upstream of n. */
static bool
reaches(const pipit_node_t *n, const pipit_node_t *target)
{
    if (n == target)
        return true;
    for (unsigned i = 0; i < n->klass->n_inputs; i++)
        if (n->inputs[i].node != NULL && reaches(n->inputs[i].node, target))
            return true;
    return false;
}

static pipit_status_t
check_input_slot(const pipit_node_t *n, unsigned i)
{
    PIPIT_CHECK_ARG(n != NULL);
    if (i >= n->klass->n_inputs)
        return pipit__error(PIPIT_EINVAL, "%s: no input %u (it has %u)",
                            n->klass->name, i, n->klass->n_inputs);
    return PIPIT_OK;
}

static void
replace_input(pipit_node_t *n, unsigned i, pipit_node_t *up, unsigned output,
              pipit_image_t *img)
{
    pipit__input_t old = n->inputs[i];
    n->inputs[i].node = pipit_node_ref(up);
    n->inputs[i].output = output;
    n->inputs[i].image = pipit_image_ref(img);
    pipit_node_unref(old.node);
    pipit_image_unref(old.image);
    n->mtime = pipit__time_next();
}

pipit_status_t
pipit_node_set_input(pipit_node_t *n, unsigned i, pipit_node_t *up,
                     unsigned output)
{
    pipit_status_t st = check_input_slot(n, i);
    if (st != PIPIT_OK)
        return st;
    if (up != NULL && output >= up->klass->n_outputs)
        return pipit__error(PIPIT_EINVAL, "%s: input %u: %s has no output %u",
                            n->klass->name, i, up->klass->name, output);
    if (up != NULL && reaches(up, n))
        return pipit__error(PIPIT_EINVAL,
                            "%s: input %u: connecting %s would make a cycle",
                            n->klass->name, i, up->klass->name);
    replace_input(n, i, up, output, NULL);
    return PIPIT_OK;
}

pipit_status_t
pipit_node_set_input_image(pipit_node_t *n, unsigned i, pipit_image_t *img)
{
    pipit_status_t st = check_input_slot(n, i);
    if (st != PIPIT_OK)
        return st;
    replace_input(n, i, NULL, 0, img);
    return PIPIT_OK;
}

void
pipit_node_set_progress(pipit_node_t *n, pipit_progress_fn fn, void *user)
{
    n->progress = fn;
    n->progress_user = user;
}

/* ---- pass 1: information ---------------------------------------- */

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

pipit_status_t
pipit__info_pass(pipit_node_t *n)
{
    const pipit_node_class_t *c = n->klass;
    uint64_t newest = n->mtime;
    size_t upstream = 1;
    for (unsigned i = 0; i < c->n_inputs; i++) {
        pipit__input_t *in = &n->inputs[i];
        if (in->node != NULL) {
            pipit_status_t st = pipit__info_pass(in->node);
            if (st != PIPIT_OK)
                return st;
            newest = max_u64(newest, in->node->pipeline_mtime);
            upstream += in->node->n_upstream;
        } else if (in->image != NULL) {
            newest = max_u64(newest, max_u64(in->image->info_time,
                                             in->image->data_time));
        } else if (!(c->optional_inputs & (1u << i))) {
            return pipit__error(PIPIT_ESTATE, "%s: input %u is not connected",
                                c->name, i);
        }
    }
    n->pipeline_mtime = newest;
    n->n_upstream = upstream;
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

pipit_status_t
pipit_node_update_information(pipit_node_t *n)
{
    PIPIT_CHECK_ARG(n != NULL);
    return pipit__info_pass(n);
}

/* ---- pass 2 and 3: requested regions and data -------------------- */

static pipit_status_t
default_request(const pipit_node_t *n, unsigned i, const pipit_region_t *asked,
                pipit_region_t *needed)
{
    const pipit_image_t *in = pipit__input(n, i);
    pipit_region_t whole = pipit_image_largest_region(in);
    bool same_size = n->klass->n_outputs > 0 && in->dim == n->outputs[0]->dim;
    for (unsigned d = 0; same_size && d < in->dim; d++)
        same_size = in->size[d] == n->outputs[0]->size[d];
    *needed = same_size ? pipit_region_intersect(asked, &whole) : whole;
    return PIPIT_OK;
}

/* The region every output is asked for, as one box (outputs of one node
 * share a grid in all our classes; the union is safe when they do not). */
static pipit_region_t
asked_region(const pipit_node_t *n)
{
    pipit_region_t r = n->requested[0];
    for (unsigned o = 1; o < n->klass->n_outputs; o++)
        r = pipit_region_union(&r, &n->requested[o]);
    return r;
}

/* Asks input i for region r and brings it up to date. */
static pipit_status_t
pull_input(pipit_node_t *n, unsigned i, const pipit_region_t *r,
           struct pipit__update *u)
{
    pipit__input_t *in = &n->inputs[i];
    n->input_region[i] = *r;
    if (in->node != NULL) {
        pipit_node_t *up = in->node;
        for (unsigned o = 0; o < up->klass->n_outputs; o++) {
            pipit_region_t whole =
                pipit_image_largest_region(up->outputs[o]);
            up->requested[o] = pipit_region_intersect(r, &whole);
        }
        return pipit__data_pass(up, u);
    }
    if (in->image != NULL &&
        !pipit_region_contains(&in->image->buffered, r))
        return pipit__error(PIPIT_ESTATE,
                            "%s: input image %u does not hold the pixels "
                            "asked for",
                            n->klass->name, i);
    return PIPIT_OK;
}

static bool
outputs_hold_request(const pipit_node_t *n)
{
    for (unsigned o = 0; o < n->klass->n_outputs; o++) {
        const pipit_image_t *img = n->outputs[o];
        if (img->data == NULL && !pipit_region_is_empty(&n->requested[o]))
            return false;
        if (!pipit_region_contains(&img->buffered, &n->requested[o]))
            return false;
    }
    return true;
}

pipit_status_t
pipit__data_pass(pipit_node_t *n, struct pipit__update *u)
{
    const pipit_node_class_t *c = n->klass;
    if (n->busy)
        return pipit__error(PIPIT_ESTATE, "%s: node updated while already "
                                          "updating (a cycle?)",
                            c->name);
    bool sink = c->n_outputs == 0;
    /* Sinks pull their inputs piece by piece from generate. */
    if (!sink) {
        pipit_region_t asked = asked_region(n);
        for (unsigned i = 0; i < c->n_inputs; i++) {
            if (pipit__input(n, i) == NULL)
                continue;
            pipit_region_t need;
            pipit_status_t st =
                c->request != NULL ? c->request(n, i, &asked, &need)
                                   : default_request(n, i, &asked, &need);
            if (st == PIPIT_OK)
                st = pull_input(n, i, &need, u);
            if (st != PIPIT_OK)
                return st;
        }
    }
    if (n->data_valid && n->pipeline_mtime <= n->data_time &&
        outputs_hold_request(n)) {
        u->done++;
        return PIPIT_OK;
    }
    return pipit__execute(n, u);
}


/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Nodes: lifetime, ports and their connections. The update protocol is
 * in node_update.c and node_graph.c, settings in node_settings.c,
 * helpers for node authors in node_helpers.c.
 */
#include <stdio.h>
#include <string.h>

#include "node_impl.h"
#include "node_update_impl.h"

static pipit_data_t *
new_output(pipit_data_kind_t kind)
{
    switch (kind) {
    case PIPIT_DATA_IMAGE:
        return PIPIT_DATA(pipit__image_new_empty());
    case PIPIT_DATA_TABLE:
        return PIPIT_DATA(pipit_table_new());
    default:
        return NULL; /* transforms and maps: the node sets them */
    }
}

pipit_node_t *
pipit_node_new(const pipit_node_class_t *c)
{
    PIPIT_CHECK_ARG_NULL(c != NULL && c->size >= sizeof(pipit_node_t));
    PIPIT_CHECK_ARG_NULL(c->information != NULL);
    PIPIT_CHECK_ARG_NULL(c->n_inputs <= PIPIT_NODE_MAX_INPUTS &&
                         c->n_outputs <= PIPIT_NODE_MAX_OUTPUTS);
    PIPIT_CHECK_ARG_NULL((c->generate != NULL) != (c->threaded != NULL));
    for (unsigned i = 0; i < PIPIT_NODE_MAX_INPUTS; i++)
        PIPIT_CHECK_ARG_NULL(c->input_kinds[i] < PIPIT_DATA_KIND_COUNT);
    for (unsigned o = 0; o < PIPIT_NODE_MAX_OUTPUTS; o++)
        PIPIT_CHECK_ARG_NULL(c->output_kinds[o] < PIPIT_DATA_KIND_COUNT);
    pipit_node_t *n = pipit__calloc(1, c->size);
    if (n == NULL)
        return NULL;
    pipit__object_init(&n->obj);
    atomic_init(&n->owner, NULL);
    n->klass = c;
    n->mtime = pipit__time_next();
    for (unsigned o = 0; o < c->n_outputs; o++) {
        pipit_data_kind_t k = (pipit_data_kind_t)c->output_kinds[o];
        if ((n->outputs[o] = new_output(k)) == NULL &&
            (k == PIPIT_DATA_IMAGE || k == PIPIT_DATA_TABLE))
            goto fail;
    }
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
        pipit_data_unref(n->inputs[i].data);
    }
    for (unsigned o = 0; o < PIPIT_NODE_MAX_OUTPUTS; o++)
        pipit_data_unref(n->outputs[o]);
    pipit__graph_free(n->graph);
    pipit__free(n);
}

const char *
pipit_node_name(const pipit_node_t *n)
{
    return n != NULL ? n->klass->name : "(no node)";
}

const pipit_node_class_t *
pipit_node_get_class(const pipit_node_t *n)
{
    return n != NULL ? n->klass : NULL;
}

unsigned
pipit_node_n_inputs(const pipit_node_t *n)
{
    return n != NULL ? n->klass->n_inputs : 0;
}

unsigned
pipit_node_n_outputs(const pipit_node_t *n)
{
    return n != NULL ? n->klass->n_outputs : 0;
}

pipit_data_kind_t
pipit_node_input_kind(const pipit_node_t *n, unsigned i)
{
    return n != NULL && i < n->klass->n_inputs
               ? (pipit_data_kind_t)n->klass->input_kinds[i]
               : PIPIT_DATA_KIND_COUNT;
}

pipit_data_kind_t
pipit_node_output_kind(const pipit_node_t *n, unsigned o)
{
    return n != NULL && o < n->klass->n_outputs
               ? (pipit_data_kind_t)n->klass->output_kinds[o]
               : PIPIT_DATA_KIND_COUNT;
}

void
pipit_node_modified(pipit_node_t *n)
{
    if (n != NULL)
        n->mtime = pipit__time_next();
}

/* ---- outputs ----------------------------------------------------- */

static pipit_status_t
check_output(const pipit_node_t *n, unsigned o, pipit_data_kind_t want)
{
    PIPIT_CHECK_ARG(n != NULL);
    if (o >= n->klass->n_outputs)
        return pipit__error(PIPIT_EINVAL, "%s: no output %u (it has %u)",
                            n->klass->name, o, n->klass->n_outputs);
    pipit_data_kind_t k = (pipit_data_kind_t)n->klass->output_kinds[o];
    if (want != PIPIT_DATA_KIND_COUNT && k != want)
        return pipit__error(PIPIT_EINVAL, "%s: output %u is a %s, not a %s",
                            n->klass->name, o, pipit_data_kind_name(k),
                            pipit_data_kind_name(want));
    return PIPIT_OK;
}

pipit_data_t *
pipit_node_get_output_data(pipit_node_t *n, unsigned o)
{
    return check_output(n, o, PIPIT_DATA_KIND_COUNT) == PIPIT_OK
               ? n->outputs[o]
               : NULL;
}

pipit_image_t *
pipit_node_get_output(pipit_node_t *n, unsigned o)
{
    return check_output(n, o, PIPIT_DATA_IMAGE) == PIPIT_OK
               ? pipit_data_image(n->outputs[o])
               : NULL;
}

pipit_transform_t *
pipit_node_get_output_transform(pipit_node_t *n, unsigned o)
{
    return check_output(n, o, PIPIT_DATA_TRANSFORM) == PIPIT_OK
               ? pipit_data_transform(n->outputs[o])
               : NULL;
}

pipit_params_list_t *
pipit_node_get_output_params(pipit_node_t *n, unsigned o)
{
    return check_output(n, o, PIPIT_DATA_PARAMS) == PIPIT_OK
               ? pipit_data_params(n->outputs[o])
               : NULL;
}

pipit_table_t *
pipit_node_get_output_table(pipit_node_t *n, unsigned o)
{
    return check_output(n, o, PIPIT_DATA_TABLE) == PIPIT_OK
               ? pipit_data_table(n->outputs[o])
               : NULL;
}

pipit_status_t
pipit_node_set_output(pipit_node_t *n, unsigned o, pipit_data_t *d)
{
    PIPIT_CHECK_ARG(n != NULL);
    pipit_data_kind_t want = n->klass->output_kinds[o % PIPIT_NODE_MAX_OUTPUTS];
    pipit_status_t st = check_output(n, o, PIPIT_DATA_KIND_COUNT);
    if (st != PIPIT_OK)
        return st;
    if (d != NULL && pipit_data_kind(d) != want)
        return pipit__error(PIPIT_EINVAL, "%s: output %u is a %s, not a %s",
                            n->klass->name, o, pipit_data_kind_name(want),
                            pipit_data_kind_name(pipit_data_kind(d)));
    if (d == NULL && want == PIPIT_DATA_IMAGE)
        return pipit__error(PIPIT_EINVAL, "%s: image output %u cannot be "
                            "emptied", n->klass->name, o);
    pipit_data_t *old = n->outputs[o];
    n->outputs[o] = pipit_data_ref(d);
    pipit_data_unref(old);
    return PIPIT_OK;
}

/* ---- inputs ------------------------------------------------------ */

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
check_input(const pipit_node_t *n, unsigned i, pipit_data_kind_t kind,
            const char *what)
{
    PIPIT_CHECK_ARG(n != NULL);
    if (i >= n->klass->n_inputs)
        return pipit__error(PIPIT_EINVAL, "%s: no input %u (it has %u)",
                            n->klass->name, i, n->klass->n_inputs);
    pipit_data_kind_t want = (pipit_data_kind_t)n->klass->input_kinds[i];
    if (kind != PIPIT_DATA_KIND_COUNT && kind != want)
        return pipit__error(PIPIT_EINVAL,
                            "%s: input %u takes a %s, but %s is a %s",
                            n->klass->name, i, pipit_data_kind_name(want),
                            what, pipit_data_kind_name(kind));
    return PIPIT_OK;
}

/* Connecting what is already connected changes nothing, so the next
 * update does not run again. */
static void
replace_input(pipit_node_t *n, unsigned i, pipit_node_t *up, unsigned output,
              pipit_data_t *d)
{
    pipit__port_t old = n->inputs[i];
    if (old.node == up && old.data == d && (up == NULL || old.output == output))
        return;
    n->inputs[i].node = pipit_node_ref(up);
    n->inputs[i].output = output;
    n->inputs[i].data = pipit_data_ref(d);
    pipit_node_unref(old.node);
    pipit_data_unref(old.data);
    n->mtime = pipit__time_next();
    if (old.node != up)
        pipit__graph_topology_changed(); /* kept walk orders are stale */
}

pipit_status_t
pipit_node_set_input(pipit_node_t *n, unsigned i, pipit_node_t *up,
                     unsigned output)
{
    pipit_status_t st = check_input(n, i, PIPIT_DATA_KIND_COUNT, NULL);
    if (st != PIPIT_OK)
        return st;
    if (up != NULL) {
        if (output >= up->klass->n_outputs)
            return pipit__error(PIPIT_EINVAL,
                                "%s: input %u: %s has no output %u",
                                n->klass->name, i, up->klass->name, output);
        char what[160];
        snprintf(what, sizeof what, "output %u of %s", output,
                 up->klass->name);
        st = check_input(n, i, (pipit_data_kind_t)up->klass->output_kinds[output],
                         what);
        if (st != PIPIT_OK)
            return st;
        if (reaches(up, n))
            return pipit__error(PIPIT_EINVAL,
                                "%s: input %u: connecting %s would make a "
                                "cycle",
                                n->klass->name, i, up->klass->name);
    }
    replace_input(n, i, up, output, NULL);
    return PIPIT_OK;
}

pipit_status_t
pipit_node_set_input_data(pipit_node_t *n, unsigned i, pipit_data_t *d)
{
    pipit_status_t st =
        check_input(n, i, d != NULL ? pipit_data_kind(d) : PIPIT_DATA_KIND_COUNT,
                    "the object given");
    if (st != PIPIT_OK)
        return st;
    replace_input(n, i, NULL, 0, d);
    return PIPIT_OK;
}

pipit_status_t
pipit_node_set_input_image(pipit_node_t *n, unsigned i, pipit_image_t *img)
{
    return pipit_node_set_input_data(n, i, PIPIT_DATA(img));
}

pipit_status_t
pipit_node_set_input_transform(pipit_node_t *n, unsigned i,
                               pipit_transform_t *t)
{
    return pipit_node_set_input_data(n, i, PIPIT_DATA(t));
}

pipit_status_t
pipit_node_set_input_params(pipit_node_t *n, unsigned i, pipit_params_t *map)
{
    pipit_status_t st = check_input(n, i, PIPIT_DATA_PARAMS, "a parameter map");
    if (st != PIPIT_OK || map == NULL)
        return st != PIPIT_OK ? st : pipit_node_set_input_data(n, i, NULL);
    pipit_params_list_t *l = pipit_data_params(n->inputs[i].data);
    if (l != NULL && pipit_params_list_count(l) == 1 &&
        pipit_params_list_get(l, 0) == map)
        return PIPIT_OK; /* connected already: nothing changes */
    if ((l = pipit_params_list_new()) == NULL)
        return PIPIT_ENOMEM;
    if ((st = pipit_params_list_append(l, map)) == PIPIT_OK)
        st = pipit_node_set_input_data(n, i, PIPIT_DATA(l));
    pipit_params_list_unref(l);
    return st;
}

void
pipit_node_set_progress(pipit_node_t *n, pipit_progress_fn fn, void *user)
{
    if (n == NULL)
        return;
    n->progress = fn;
    n->progress_user = user;
}

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * callback: a source whose pixels a user function writes, region by
 * region: it is called for the pieces of whatever region is asked (an
 * update, a region update, each streamed piece), from the pool's
 * threads at once for disjoint pieces, and only for pixels asked.
 * C API only (pipit_callback_source_new): a node made by name has no
 * function and fails at its information pass, saying so.
 */
#include "source_impl.h"

typedef struct {
    pipit__source_t src;
    pipit_source_fn fn;
    void *user;
} callback_t;

static pipit_status_t
callback_information(pipit_node_t *n)
{
    if (((const callback_t *)n)->fn == NULL)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "no function to fill the pixels: make "
                                 "this node with pipit_callback_source_new "
                                 "(C API only)");
    return pipit__source_information(n);
}

static pipit_status_t
callback_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const callback_t *c = (const callback_t *)n;
    const pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *r = &p->region;
    pipit_status_t st =
        c->fn(out, r, pipit__at(out, r->lo[0], r->lo[1], r->lo[2], r->lo[3]),
              c->user);
    if (st != PIPIT_OK)
        return pipit__node_error(n, st,
                                 "the function failed (%s) on rows %zu..%zu",
                                 pipit_status_name(st), r->lo[1],
                                 r->hi[1] - 1);
    return PIPIT_OK;
}

static const pipit_setting_t callback_settings[] = {
    PIPIT__SOURCE_SETTINGS(callback_t),
};

const pipit_node_class_t pipit__callback_class = {
    .name = "callback",
    .help = "source: a C function fills each region asked (C API only: "
            "pipit_callback_source_new)",
    .size = sizeof(callback_t),
    .n_inputs = 0, .n_outputs = 1,
    .settings = callback_settings,
    .n_settings = sizeof callback_settings / sizeof callback_settings[0],
    .information = callback_information,
    .threaded = callback_threaded,
};

pipit_node_t *
pipit_callback_source_new(unsigned dim, const size_t *size,
                          pipit_pixel_type_t type, unsigned components,
                          pipit_source_fn fn, void *user)
{
    if (fn == NULL || components < 1 || components > 64) {
        pipit__error(PIPIT_EINVAL,
                     "pipit_callback_source_new: invalid argument: %s",
                     fn == NULL ? "fn is NULL" : "components not in 1..64");
        return NULL;
    }
    pipit_node_t *n = pipit__source_new(&pipit__callback_class,
                                        "pipit_callback_source_new", dim,
                                        size, type);
    if (n != NULL) {
        callback_t *c = (callback_t *)n;
        c->src.components = components;
        c->fn = fn, c->user = user;
    }
    return n;
}

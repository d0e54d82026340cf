/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming sink: a pipeline's output, one piece at a time. */
#include "node_update_impl.h"

#define DEFAULT_STREAM_PIECE (1024 * 1024)

pipit_status_t
pipit_node_stream(pipit_node_t *n, unsigned output, size_t piece_bytes,
                  pipit_stream_fn fn, void *user)
{
    PIPIT_CHECK_ARG(n != NULL && fn != NULL);
    if (output >= n->klass->n_outputs)
        return pipit__error(PIPIT_EINVAL, "%s: no output %u", n->klass->name,
                            output);
    pipit_status_t st = pipit__info_pass(n);
    if (st != PIPIT_OK)
        return st;
    const pipit_image_t *out = n->outputs[output];
    pipit_region_t whole = pipit_image_largest_region(out);
    pipit_region_loop_t opt = {
        .pixel_bytes = out->pixel_bytes,
        .piece_bytes = piece_bytes ? piece_bytes : DEFAULT_STREAM_PIECE,
    };
    size_t count = pipit_region_pieces(&whole, &opt, 0, NULL);
    struct pipit__update u = { .fn = n->progress, .user = n->progress_user,
                               .total = n->n_upstream * count };
    for (size_t k = 0; k < count && st == PIPIT_OK; k++) {
        pipit_region_t piece;
        pipit_region_pieces(&whole, &opt, k, &piece);
        for (unsigned o = 0; o < n->klass->n_outputs; o++) {
            pipit_region_t w = pipit_image_largest_region(n->outputs[o]);
            n->requested[o] = pipit_region_intersect(&piece, &w);
        }
        if ((st = pipit__data_pass(n, &u)) == PIPIT_OK)
            st = fn(n->outputs[output], &piece, user);
    }
    n->done_clock = 0;
    return st;
}

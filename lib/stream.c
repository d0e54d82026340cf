/* SPDX-License-Identifier: Apache-2.0 */
/* The streaming sink: a pipeline's output, one piece at a time. */
#include "node_update_impl.h"

#define DEFAULT_STREAM_PIECE (1024 * 1024)

pipit_status_t
pipit_node_stream(pipit_node_t *n, unsigned output, size_t piece_bytes,
                  pipit_stream_fn fn, void *user)
{
    PIPIT_CHECK_ARG(n != NULL && fn != NULL);
    if (output >= n->klass->n_outputs ||
        n->klass->output_kinds[output] != PIPIT_DATA_IMAGE)
        return pipit__error(PIPIT_EINVAL, "%s: no image output %u",
                            n->klass->name, output);
    pipit_status_t st = pipit__node_claim(n);
    if (st != PIPIT_OK)
        return st;
    if ((st = pipit_node_update_information(n)) != PIPIT_OK)
        goto done;
    const pipit_image_t *out = pipit__output(n, output);
    pipit_region_t whole = pipit_image_largest_region(out);
    pipit_region_loop_t opt = {
        .pixel_bytes = out->pixel_bytes,
        .piece_bytes = piece_bytes ? piece_bytes : DEFAULT_STREAM_PIECE,
    };
    size_t count = pipit_region_pieces(&whole, &opt, 0, NULL);
    for (size_t k = 0; k < count && st == PIPIT_OK; k++) {
        pipit_region_t piece;
        pipit_region_pieces(&whole, &opt, k, &piece);
        struct pipit__update u = {
            .fn = n->progress, .user = n->progress_user,
            .base = (double)k / (double)count, .span = 1.0 / (double)count,
            .streaming = k + 1 < count,
        };
        st = pipit__update_run(n, PIPIT__ASK_REGION, output, &piece, &u);
        if (st == PIPIT_OK)
            st = fn(pipit__output(n, output), &piece, user);
    }
done:
    n->done_clock = 0;
    pipit__node_release(n);
    return st;
}

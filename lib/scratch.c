/* SPDX-License-Identifier: Apache-2.0 */
/* Per-worker scratch blocks, made lazily by the worker that uses them. */
#include <stdint.h>

#include <pipit/pool.h>

#include "error_impl.h"
#include "node_impl.h"
#include "scratch_impl.h"

pipit_status_t
pipit__scratch_init(pipit__scratch_t *s, size_t bytes)
{
    s->block = NULL;
    s->workers = 0;
    if (bytes > SIZE_MAX - 63)
        return pipit__error(PIPIT_ERANGE,
                            "scratch of %zu bytes per worker is too large",
                            bytes);
    s->bytes = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
    unsigned threads = pipit_pool_threads();
    s->block = pipit__calloc(threads, sizeof *s->block);
    if (s->block == NULL)
        return pipit__error(PIPIT_ENOMEM,
                            "out of memory for the scratch table of %u "
                            "threads",
                            threads);
    s->workers = threads;
    return PIPIT_OK;
}

void *
pipit__scratch_get(const pipit__scratch_t *s, unsigned worker)
{
    if (s->block == NULL || worker >= s->workers)
        return NULL;
    if (s->block[worker] == NULL)
        s->block[worker] = pipit__aligned_alloc(s->bytes);
    return s->block[worker];
}

void
pipit__scratch_free(pipit__scratch_t *s)
{
    if (s->block != NULL)
        for (unsigned w = 0; w < s->workers; w++)
            pipit__free(s->block[w]);
    pipit__free(s->block);
    s->block = NULL;
    s->workers = 0;
}

pipit_status_t
pipit__scratch_fail(const char *who, const pipit__scratch_t *s,
                    unsigned worker)
{
    if (s->block == NULL || worker >= s->workers)
        return pipit__error(PIPIT_ESTATE,
                            "%s: no scratch for worker %u of %u (the pool "
                            "was resized during the update?)",
                            who, worker, s->workers);
    return pipit__error(PIPIT_ENOMEM,
                        "%s: out of memory for %zu bytes of scratch on "
                        "worker %u (the pool has %u threads; "
                        "PIPIT_NUM_THREADS sets how many)",
                        who, s->bytes, worker, s->workers);
}

pipit_status_t
pipit__scratch_error(const pipit_node_t *n, const pipit__scratch_t *s,
                     unsigned worker)
{
    return pipit__scratch_fail(n->klass->name, s, worker);
}

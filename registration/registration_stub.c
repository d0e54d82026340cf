/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TEMPORARY stand-in for the registration node (registration/pipit/
 * registration.h) so that `pipit register` (tools/cmd_register.c) links
 * on the cli branch before the node is merged. Every call fails with
 * PIPIT_EUNSUPPORTED "registration node not built". DELETE this file and
 * its line in registration/local.mk when the real node lands (a link
 * error "multiple definition of pipit_registration_new" means: now).
 */
#include <math.h>

#include <pipit/registration.h>

#include "error_impl.h"

static pipit_status_t
missing(void)
{
    return pipit__error(PIPIT_EUNSUPPORTED,
                        "registration node not built (stub)");
}

pipit_node_t *
pipit_registration_new(void)
{
    missing();
    return NULL;
}

pipit_status_t
pipit_registration_set_iteration_callback(pipit_node_t *n,
                                          pipit_registration_iteration_fn fn,
                                          void *user)
{
    (void)n, (void)fn, (void)user;
    return missing();
}

pipit_status_t
pipit_registration_set_log(pipit_node_t *n, pipit_registration_log_fn fn,
                           void *user)
{
    (void)n, (void)fn, (void)user;
    return missing();
}

pipit_status_t
pipit_registration_set_threads(pipit_node_t *n, unsigned threads)
{
    (void)n, (void)threads;
    return missing();
}

pipit_status_t
pipit_registration_check(pipit_node_t *n)
{
    (void)n;
    return missing();
}

pipit_transform_t *
pipit_registration_map_transform(pipit_node_t *n, size_t i)
{
    (void)n, (void)i;
    return NULL;
}

double
pipit_registration_final_metric(pipit_node_t *n, size_t i)
{
    (void)n, (void)i;
    return NAN;
}

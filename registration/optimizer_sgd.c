/* SPDX-License-Identifier: Apache-2.0 */
/*
 * StandardGradientDescent (shared/spec/elastix-compat.md §7.7): the
 * gain a / (A + k + 1)^α of iteration k, ASGD's iterations without the
 * adaptive time or the estimation. Defaults SP_a 400, SP_A 50,
 * SP_alpha 0.602.
 */
#include "optimizer_asgd_impl.h"

static pipit_status_t
sgd_configure(void *st, const reg_map_t *m, unsigned level)
{
    asgd_t *o = st;
    pipit_status_t s = pipit__asgd_read_gain(o, m, level, 50.0);
    if (s != PIPIT_OK)
        return s;
    o->automatic = false;
    o->adaptive = false;
    o->constant_step = false;
    o->t0 = 0.0;
    /* not used for the gain; keeps the time update finite */
    o->user.fmax = 1.0, o->user.fmin = -1.0, o->user.omega = 1.0;
    return PIPIT_OK;
}

static pipit_status_t
sgd_run(void *st, reg_problem_t *pb, double *mu)
{
    asgd_t *o = st;
    o->used = o->user;
    return pipit__asgd_iterate(o, pb, mu, true);
}

const reg_optimizer_class_t pipit__reg_optimizer_sgd = {
    .name = "StandardGradientDescent",
    .state_size = sizeof(asgd_t),
    .configure = sgd_configure,
    .run = sgd_run,
    .finalize = pipit__asgd_finalize,
    .columns = "1:ItNr\t2:Metric\t3:StepSize\t4:||Gradient||\tTime[ms]",
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A stand-in registration node, linked only into tests/pipit-fake-register
 * (tools/pipit with this file first on the link line), so that `pipit
 * register`'s output folder is tested end to end before and apart from
 * the real node: every public function of registration.h with its
 * documented contract, but no optimisation. Map m's own transform is a
 * translation by (m + 1, -(m + 1) / 2, ...) chained after the previous
 * map's (or the -t0 transform) by composition; each map runs two
 * resolutions of four iterations with metric 10 / (1 + iteration + r);
 * the result image is the fixed grid filled with 0.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pipit/node_class.h>
#include <pipit/registration.h>

#include "error_impl.h"
#include "image_impl.h"

#define MAX_MAPS 16

typedef struct fake {
    pipit_node_t node;
    pipit_registration_iteration_fn iter_fn;
    void *iter_user;
    pipit_registration_log_fn log_fn;
    void *log_user;
    unsigned threads;
    pipit_transform_t *map_t[MAX_MAPS];
    double metric[MAX_MAPS];
    size_t n_maps;
} fake_t;

static pipit_status_t
fake_information(pipit_node_t *n)
{
    return pipit_node_information_as(n, PIPIT_I16, 1);
}

static void
drop(fake_t *f)
{
    for (size_t i = 0; i < f->n_maps; i++)
        pipit_transform_unref(f->map_t[i]);
    f->n_maps = 0;
}

static pipit_status_t
fake_generate(pipit_node_t *n)
{
    fake_t *f = (fake_t *)n;
    pipit_params_list_t *list = pipit_data_params(pipit_node_input_data(n, 2));
    pipit_transform_t *prev =
        pipit_data_transform(pipit_node_input_data(n, 5));
    pipit_image_t *out = pipit_node_output(n, 0);
    unsigned dim = pipit_image_dim(out);
    pipit_status_t st;
    drop(f);
    if (list == NULL || pipit_params_list_count(list) == 0 ||
        pipit_params_list_count(list) > MAX_MAPS)
        return pipit__error(PIPIT_EINVAL, "fake registration: 1..%d maps",
                            MAX_MAPS);
    const char *header = "1:ItNr\t2:Metric\t3:StepSize\t4:||Gradient||\t"
                         "Time[ms]";
    for (size_t m = 0; m < pipit_params_list_count(list); m++) {
        pipit_transform_t *t = pipit_translation_transform_new(dim);
        double p[PIPIT_MAX_DIM] = { 0 };
        for (unsigned d = 0; d < dim; d++)
            p[d] = d == 0 ? (double)(m + 1) : -(double)(m + 1) / 2;
        if (t == NULL ||
            (st = pipit_transform_set_parameters(t, p, dim)) != PIPIT_OK)
            return PIPIT_ENOMEM;
        if (prev != NULL) {
            pipit_transform_t *c =
                pipit_transform_chain_new(prev, t, PIPIT_COMBINE_COMPOSE);
            pipit_transform_unref(t);
            if ((t = c) == NULL)
                return PIPIT_ENOMEM;
        }
        f->map_t[f->n_maps++] = t;
        prev = t;
        for (unsigned r = 0; r < 2; r++)
            for (size_t i = 0; i < 4; i++) {
                char row[256];
                double metric = 10.0 / (1.0 + (double)i + r);
                snprintf(row, sizeof row, "%zu\t%.6f\t%.6f\t%.6f\t%.1f", i,
                         metric, 1.0, 0.5, 0.1);
                pipit_registration_iteration_t it = {
                    .map = (unsigned)m, .level = r, .n_levels = 2,
                    .iteration = i, .metric = metric, .step_size = 1.0,
                    .gradient_norm = 0.5, .time_ms = 0.1,
                    .asgd_time = NAN,
                    .optimizer = "RegularStepGradientDescent",
                    .row = row, .header = header,
                };
                if (f->iter_fn != NULL && f->iter_fn(&it, f->iter_user))
                    return pipit__error(PIPIT_ECANCELED, "cancelled");
                f->metric[m] = metric;
            }
        if (f->log_fn != NULL)
            f->log_fn("fake registration: map done", f->log_user);
    }
    pipit_region_t all = pipit_image_largest_region(out);
    if ((st = pipit__image_allocate(out, &all, true)) != PIPIT_OK)
        return st;
    return pipit_node_set_output(n, 1, PIPIT_DATA(prev));
}

static void
fake_finalize(pipit_node_t *n)
{
    drop((fake_t *)n);
}

static const pipit_node_class_t fake_class = {
    .name = "registration",
    .help = "fake registration (tests)",
    .size = sizeof(fake_t),
    .n_inputs = 6, .n_outputs = 3,
    .optional_inputs = (1u << 3) | (1u << 4) | (1u << 5),
    .input_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_IMAGE, PIPIT_DATA_PARAMS,
                     PIPIT_DATA_IMAGE, PIPIT_DATA_IMAGE,
                     PIPIT_DATA_TRANSFORM },
    .output_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TRANSFORM,
                      PIPIT_DATA_TABLE },
    .information = fake_information,
    .request = pipit_node_request_all,
    .generate = fake_generate,
    .finalize = fake_finalize,
};

static fake_t *
as_fake(pipit_node_t *n)
{
    return n != NULL && pipit_node_get_class(n) == &fake_class ? (fake_t *)n
                                                               : NULL;
}

pipit_node_t *
pipit_registration_new(void)
{
    return pipit_node_new(&fake_class);
}

pipit_status_t
pipit_registration_set_iteration_callback(pipit_node_t *n,
                                          pipit_registration_iteration_fn fn,
                                          void *user)
{
    fake_t *f = as_fake(n);
    PIPIT_CHECK_ARG(f != NULL);
    f->iter_fn = fn, f->iter_user = user;
    return PIPIT_OK;
}

pipit_status_t
pipit_registration_set_log(pipit_node_t *n, pipit_registration_log_fn fn,
                           void *user)
{
    fake_t *f = as_fake(n);
    PIPIT_CHECK_ARG(f != NULL);
    f->log_fn = fn, f->log_user = user;
    return PIPIT_OK;
}

pipit_status_t
pipit_registration_set_threads(pipit_node_t *n, unsigned threads)
{
    fake_t *f = as_fake(n);
    PIPIT_CHECK_ARG(f != NULL);
    f->threads = threads;
    return PIPIT_OK;
}

pipit_status_t
pipit_registration_check(pipit_node_t *n)
{
    fake_t *f = as_fake(n);
    PIPIT_CHECK_ARG(f != NULL);
    if (f->log_fn != NULL)
        f->log_fn("WARNING: fake registration: nothing checked", f->log_user);
    return pipit_node_update_information(n);
}

pipit_transform_t *
pipit_registration_map_transform(pipit_node_t *n, size_t i)
{
    fake_t *f = as_fake(n);
    return f != NULL && i < f->n_maps ? f->map_t[i] : NULL;
}

double
pipit_registration_final_metric(pipit_node_t *n, size_t i)
{
    fake_t *f = as_fake(n);
    return f != NULL && i < f->n_maps ? f->metric[i] : NAN;
}

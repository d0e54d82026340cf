/* SPDX-License-Identifier: Apache-2.0 */
/*
 * statistics: minimum, maximum, mean, sigma, variance, sum and count of
 * the whole input (scalar images, as ITK's), read with
 * pipit_statistics_get after an update, or from output 1, a table
 * (minimum, maximum, mean, sigma, variance, sum, count) that other nodes
 * can read. Output 0 is the input itself, its buffer shared (no pixel
 * copied), so the node can sit inside a pipeline.
 *
 * As ITK's StatisticsImageFilter: variance and sigma are the sample
 * ones (divided by count - 1; NaN for a single value). The figures come
 * from one reduction over the whole input with per-piece accumulators,
 * so they are the same at any thread count and when the output is
 * streamed. NaN values are counted and make sum, mean and sigma NaN;
 * minimum and maximum skip them.
 */
#include <math.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    bool valid;
    pipit_statistics_t figures;
} statistics_t;

static pipit_status_t
statistics_information(pipit_node_t *n)
{
    pipit_status_t st = pipit__check_scalar(n, 0);
    return st != PIPIT_OK ? st : pipit__information_same(n);
}

static pipit_status_t
statistics_generate(pipit_node_t *n)
{
    statistics_t *s = (statistics_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit__stats_t m;
    s->valid = false;
    pipit_status_t st = pipit__reduce_stats(n, in, &m);
    if (st != PIPIT_OK)
        return st;
    double count = (double)m.count;
    s->figures = (pipit_statistics_t){
        .min = m.nan_count == m.count ? NAN : m.min,
        .max = m.nan_count == m.count ? NAN : m.max,
        .mean = m.mean,
        .variance = m.count > 1 ? m.m2 / (count - 1.0) : NAN,
        .sum = m.sum,
        .count = m.count,
    };
    s->figures.sigma = sqrt(s->figures.variance);
    const pipit_statistics_t *f = &s->figures;
    const struct { const char *name; double v; } rows[] = {
        { "minimum", f->min }, { "maximum", f->max }, { "mean", f->mean },
        { "sigma", f->sigma }, { "variance", f->variance },
        { "sum", f->sum }, { "count", (double)f->count },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if ((st = pipit_table_set_double(pipit__output_table(n, 1),
                                         rows[i].name, rows[i].v)) != PIPIT_OK)
            return st;
    s->valid = true;
    pipit__output_share_input(n, 0, 0);
    return PIPIT_OK;
}

const pipit_node_class_t pipit__statistics_class = {
    .name = "statistics",
    .help = "min, max, mean, sigma, variance, sum and count of the input "
            "(passes the input through)",
    .size = sizeof(statistics_t),
    .n_inputs = 1, .n_outputs = 2,
    .output_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TABLE },
    .information = statistics_information,
    .request = pipit__request_all,
    .generate = statistics_generate,
};

pipit_node_t *
pipit_statistics_new(void)
{
    return pipit_node_new(&pipit__statistics_class);
}

pipit_status_t
pipit_statistics_get(const pipit_node_t *n, pipit_statistics_t *out)
{
    PIPIT_CHECK_ARG(n != NULL && out != NULL);
    if (pipit_node_get_class(n) != &pipit__statistics_class)
        return pipit__error(PIPIT_EINVAL, "%s: not a statistics node",
                            pipit_node_name(n));
    const statistics_t *s = (const statistics_t *)n;
    if (!s->valid)
        return pipit__node_error(n, PIPIT_ESTATE,
                                 "no figures yet: update the node first");
    *out = s->figures;
    return PIPIT_OK;
}

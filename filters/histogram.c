/* SPDX-License-Identifier: Apache-2.0 */
/*
 * histogram: counts of the input's values in `bins` bins, read with
 * pipit_histogram_get after an update, or from output 1, a table with
 * "counts" (bins values) and "edges" (bins + 1) that other nodes can
 * read; output 0 is the input itself, its buffer shared. The bins are laid out as ITK's
 * ImageToHistogramFilter lays them (pointwise_impl.h): bin k covers
 * [edge k, edge k+1) and the last one also holds a value equal to upper.
 * With `auto` the range is ITK's automatic one: [min, max + (max - min)
 * / bins / 100] of the input, or the whole type widened by 0.5 for u8
 * and i8 (the Otsu filter uses the same); otherwise [lower, upper].
 * Values outside the range and NaN are not counted.
 */
#include <math.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    int64_t bins;
    bool automatic;
    double lower, upper;
    pipit__bins_t layout;
    uint64_t *counts;
} histogram_t;

static pipit_status_t
histogram_information(pipit_node_t *n)
{
    const histogram_t *h = (const histogram_t *)n;
    pipit_status_t st = pipit__check_scalar(n, 0);
    if (st != PIPIT_OK)
        return st;
    if (!h->automatic && !(h->lower < h->upper))
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "lower %g must be below upper %g",
                                 h->lower, h->upper);
    return pipit__information_same(n);
}

static void
histogram_clear(histogram_t *h)
{
    pipit__bins_free(&h->layout);
    pipit__free(h->counts);
    h->counts = NULL;
}

static pipit_status_t
histogram_table(histogram_t *h)
{
    pipit_table_t *t = pipit__output_table(&h->base, 1);
    size_t bins = (size_t)h->bins;
    double *v = pipit__malloc(bins * sizeof *v);
    if (v == NULL)
        return PIPIT_ENOMEM;
    for (size_t k = 0; k < bins; k++)
        v[k] = (double)h->counts[k];
    pipit_status_t st = pipit_table_set(t, "counts", v, bins);
    pipit__free(v);
    if (st == PIPIT_OK)
        st = pipit_table_set(t, "edges", h->layout.edges, bins + 1);
    return st;
}

static pipit_status_t
histogram_generate(pipit_node_t *n)
{
    histogram_t *h = (histogram_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    size_t bins = (size_t)h->bins;
    double lower = h->lower, upper = h->upper;
    pipit_status_t st;
    histogram_clear(h);
    if (h->automatic &&
        (st = pipit__auto_range(n, in, bins, &lower, &upper)) != PIPIT_OK)
        return st;
    if ((st = pipit__bins_init(&h->layout, bins, lower, upper)) != PIPIT_OK) {
        pipit__error_prefix("%s", n->klass->name);
        return st;
    }
    if ((h->counts = pipit__malloc(bins * sizeof *h->counts)) == NULL) {
        histogram_clear(h);
        return PIPIT_ENOMEM;
    }
    if ((st = pipit__reduce_histogram(n, in, &h->layout, h->counts)) !=
        PIPIT_OK) {
        histogram_clear(h);
        return st;
    }
    if ((st = histogram_table(h)) != PIPIT_OK) {
        histogram_clear(h);
        return st;
    }
    pipit__output_share_input(n, 0, 0);
    return PIPIT_OK;
}

static void
histogram_finalize(pipit_node_t *n)
{
    histogram_clear((histogram_t *)n);
}

static const pipit_setting_t histogram_settings[] = {
    { "bins", PIPIT_SETTING_INT, offsetof(histogram_t, bins), "256",
      "number of bins", 1, 1 << 24, NULL },
    { "auto", PIPIT_SETTING_BOOL, offsetof(histogram_t, automatic), "true",
      "range from the input's minimum and maximum (ITK's rule)", 1, 0,
      NULL },
    { "lower", PIPIT_SETTING_DOUBLE, offsetof(histogram_t, lower), "0",
      "lower edge of the first bin when auto is false", 1, 0, NULL },
    { "upper", PIPIT_SETTING_DOUBLE, offsetof(histogram_t, upper), "256",
      "upper edge of the last bin when auto is false", 1, 0, NULL },
};

const pipit_node_class_t pipit__histogram_class = {
    .name = "histogram",
    .help = "counts of the input's values in equal bins (passes the input "
            "through)",
    .size = sizeof(histogram_t),
    .n_inputs = 1, .n_outputs = 2,
    .output_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TABLE },
    .settings = histogram_settings,
    .n_settings = sizeof histogram_settings / sizeof histogram_settings[0],
    .information = histogram_information,
    .request = pipit__request_all,
    .generate = histogram_generate,
    .finalize = histogram_finalize,
};

pipit_node_t *
pipit_histogram_new(size_t bins)
{
    PIPIT_CHECK_ARG_NULL(bins >= 1 && bins <= (1u << 24));
    pipit_node_t *n = pipit_node_new(&pipit__histogram_class);
    if (n != NULL)
        ((histogram_t *)n)->bins = (int64_t)bins;
    return n;
}

static pipit_status_t
histogram_check(const pipit_node_t *n)
{
    if (pipit_node_get_class(n) != &pipit__histogram_class)
        return pipit__error(PIPIT_EINVAL, "%s: not a histogram node",
                            pipit_node_name(n));
    if (((const histogram_t *)n)->counts == NULL)
        return pipit__node_error(n, PIPIT_ESTATE,
                                 "no counts yet: update the node first");
    return PIPIT_OK;
}

pipit_status_t
pipit_histogram_get(const pipit_node_t *n, const uint64_t **counts,
                    size_t *bins)
{
    PIPIT_CHECK_ARG(n != NULL && counts != NULL && bins != NULL);
    pipit_status_t st = histogram_check(n);
    if (st != PIPIT_OK)
        return st;
    const histogram_t *h = (const histogram_t *)n;
    *counts = h->counts;
    *bins = h->layout.count;
    return PIPIT_OK;
}

pipit_status_t
pipit_histogram_bin(const pipit_node_t *n, size_t k, double *lo, double *hi)
{
    PIPIT_CHECK_ARG(n != NULL && lo != NULL && hi != NULL);
    pipit_status_t st = histogram_check(n);
    if (st != PIPIT_OK)
        return st;
    const histogram_t *h = (const histogram_t *)n;
    if (k >= h->layout.count)
        return pipit__node_error(n, PIPIT_EINVAL, "no bin %zu (it has %zu)",
                                 k, h->layout.count);
    *lo = h->layout.edges[k];
    *hi = h->layout.edges[k + 1];
    return PIPIT_OK;
}

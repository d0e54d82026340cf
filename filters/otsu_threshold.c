/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otsu-threshold: ITK's OtsuThresholdImageFilter. A histogram of the
 * whole input (`bins` bins laid out as ITK's ImageToHistogramFilter lays
 * them: over [min, max + (max - min) / bins / 100] of the input, or over
 * [-0.5, 255.5] for u8 and [-128.5, 127.5] for i8; see pointwise_impl.h
 * for the bin edges) gives the threshold of largest between-class
 * variance (also on output 1, a table with "threshold", for other nodes
 * to read), searched as ITK's OtsuMultipleThresholdsCalculator searches
 * it (one threshold; a later candidate wins only when larger by more
 * than one unit in the last place). The threshold is the upper edge of
 * its bin converted to the input type (truncated toward zero for
 * integers, as ITK's static_cast); values <= threshold become `inside`,
 * the others `outside` (ITK's defaults: the largest value of the output
 * type, and 0). NaN values are not counted and are outside.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "pointwise_impl.h"

typedef struct {
    pipit_node_t base;
    int64_t bins;
    double inside, outside;
    int type;
    /* The last computation, for this input and these times. */
    const pipit_image_t *seen;
    uint64_t seen_data, seen_mtime;
    bool valid;
    double threshold;
    pipit__mask_t mask;
} otsu_t;

static pipit_status_t
otsu_information(pipit_node_t *n)
{
    const otsu_t *o = (const otsu_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_status_t st = pipit__check_scalar(n, 0);
    if (st != PIPIT_OK)
        return st;
    return pipit__information_as(n, pipit__type_choice(o->type, in->type), 1);
}

/* ITK's FloatAlmostEqual(a, b, 1 ulp) for doubles. */
static bool
within_one_ulp(double a, double b)
{
    if (fabs(a - b) <= 0.1 * DBL_EPSILON)
        return true;
    if (signbit(a) != signbit(b))
        return false;
    int64_t ia, ib;
    memcpy(&ia, &a, sizeof ia);
    memcpy(&ib, &b, sizeof ib);
    return (ia > ib ? ia - ib : ib - ia) <= 1;
}

/*
 * The bin index of the threshold, with the operations in the order of
 * ITK's calculator (class frequencies as integers, means in double,
 * classes updated incrementally) so that ties resolve the same way.
 */
static size_t
otsu_bin(const pipit__bins_t *b, const uint64_t *freq, uint64_t total)
{
    size_t bins = b->count;
    double global_mean = 0.0;
    for (size_t k = 0; k < bins; k++)
        global_mean += (b->edges[k] + b->edges[k + 1]) / 2 * (double)freq[k];
    global_mean /= (double)total;

    uint64_t f0 = freq[0], f1 = total - freq[0];
    double m0 = f0 > 0 ? (b->edges[0] + b->edges[1]) / 2 : 0.0;
    double m1 = f1 > 0 ? (global_mean * (double)total - m0 * (double)f0) /
                             (double)f1
                       : 0.0;
    double best = 0.0;
    best += (double)f0 * (m0 * m0);
    best += (double)f1 * (m1 * m1);
    best /= (double)total;
    size_t best_k = 0;

    for (size_t k = 1; k + 1 < bins; k++) {
        double mid = (b->edges[k] + b->edges[k + 1]) / 2;
        double mean_old = m0;
        uint64_t freq_old = f0;
        f0 += freq[k];
        m0 = f0 > 0 ? (mean_old * (double)freq_old + mid * (double)freq[k]) /
                          (double)f0
                    : 0.0;
        f1 = total - f0;
        m1 = global_mean * (double)total - m0 * (double)f0;
        m1 = f1 > 0 ? m1 / (double)f1 : 0.0;
        double var = 0.0;
        var += (double)f0 * (m0 * m0);
        var += (double)f1 * (m1 * m1);
        var /= (double)total;
        if (var > best && !within_one_ulp(best, var)) {
            best = var;
            best_k = k;
        }
    }
    return best_k;
}

/* The threshold as ITK hands it to its binary threshold: converted to
 * the input pixel type. */
static double
to_input_type(double t, pipit_pixel_type_t type)
{
    if (type == PIPIT_F64)
        return t;
    if (type == PIPIT_F32)
        return (double)(float)t;
    double lo, hi;
    pipit_pixel_type_range(type, &lo, &hi);
    t = trunc(t);
    return t < lo ? lo : t > hi ? hi : t;
}

static pipit_status_t
otsu_compute(pipit_node_t *n)
{
    otsu_t *o = (otsu_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    size_t nbins = (size_t)o->bins;
    pipit__bins_t b = { 0 };
    uint64_t *counts = NULL;
    double lower, upper;
    pipit_status_t st = pipit__auto_range(n, in, nbins, &lower, &upper);
    if (st != PIPIT_OK)
        goto done;
    if ((st = pipit__bins_init(&b, nbins, lower, upper)) != PIPIT_OK) {
        pipit__error_prefix("%s", n->klass->name);
        goto done;
    }
    if ((counts = pipit__malloc(nbins * sizeof *counts)) == NULL) {
        st = PIPIT_ENOMEM;
        goto done;
    }
    if ((st = pipit__reduce_histogram(n, in, &b, counts)) != PIPIT_OK)
        goto done;
    uint64_t total = 0;
    for (size_t k = 0; k < nbins; k++)
        total += counts[k];
    if (total == 0) {
        st = pipit__node_error(n, PIPIT_EINVAL, "no value to threshold "
                                                "(all NaN)");
        goto done;
    }
    o->threshold = to_input_type(b.edges[otsu_bin(&b, counts, total) + 1],
                                 in->type);
    st = pipit_table_set_double(pipit__output_table(n, 1), "threshold",
                                o->threshold);
    if (st != PIPIT_OK)
        goto done;
    o->seen = in, o->seen_data = in->data_time, o->seen_mtime = n->mtime;
    o->valid = true;
done:
    pipit__free(counts);
    pipit__bins_free(&b);
    return st;
}

static pipit_status_t
otsu_before(pipit_node_t *n)
{
    otsu_t *o = (otsu_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    if (!o->valid || o->seen != in || o->seen_data != in->data_time ||
        o->seen_mtime != n->mtime) {
        o->valid = false;
        pipit_status_t st = otsu_compute(n);
        if (st != PIPIT_OK)
            return st;
    }
    double lo, hi;
    pipit_pixel_type_range(in->type, &lo, &hi);
    pipit__mask_prepare(&o->mask, in->type, pipit__output(n, 0)->type, lo,
                        o->threshold, o->inside, o->outside);
    return PIPIT_OK;
}

static void
otsu_row(const pipit_node_t *n, const void *src, void *dst, size_t count)
{
    pipit__mask_row(&((const otsu_t *)n)->mask, src, dst, count);
}

static pipit_status_t
otsu_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__pointwise_rows(n, p, otsu_row);
}

static const pipit_setting_t otsu_settings[] = {
    { "bins", PIPIT_SETTING_INT, offsetof(otsu_t, bins), "256",
      "histogram bins", 2, 1 << 24, NULL },
    { "inside", PIPIT_SETTING_DOUBLE, offsetof(otsu_t, inside), "255",
      "output value at or below the threshold", 1, 0, NULL },
    { "outside", PIPIT_SETTING_DOUBLE, offsetof(otsu_t, outside), "0",
      "output value above it", 1, 0, NULL },
    { "type", PIPIT_SETTING_CHOICE, offsetof(otsu_t, type), "u8",
      "pixel type of the output (auto: the input's)", 1, 0,
      pipit__type_choices },
};

const pipit_node_class_t pipit__otsu_threshold_class = {
    .name = "otsu-threshold",
    .help = "binary threshold at Otsu's threshold of the histogram",
    .size = sizeof(otsu_t),
    .n_inputs = 1, .n_outputs = 2,
    .output_kinds = { PIPIT_DATA_IMAGE, PIPIT_DATA_TABLE },
    .settings = otsu_settings,
    .n_settings = sizeof otsu_settings / sizeof otsu_settings[0],
    .information = otsu_information,
    .request = pipit__request_all,
    .before = otsu_before,
    .threaded = otsu_threaded,
};

pipit_node_t *
pipit_otsu_threshold_new(size_t bins)
{
    PIPIT_CHECK_ARG_NULL(bins >= 2 && bins <= (1u << 24));
    pipit_node_t *n = pipit_node_new(&pipit__otsu_threshold_class);
    if (n != NULL)
        ((otsu_t *)n)->bins = (int64_t)bins;
    return n;
}

pipit_status_t
pipit_otsu_threshold_get(const pipit_node_t *n, double *threshold)
{
    PIPIT_CHECK_ARG(n != NULL && threshold != NULL);
    if (pipit_node_get_class(n) != &pipit__otsu_threshold_class)
        return pipit__error(PIPIT_EINVAL,
                            "%s: not an otsu-threshold node",
                            pipit_node_name(n));
    const otsu_t *o = (const otsu_t *)n;
    if (!o->valid)
        return pipit__node_error(n, PIPIT_ESTATE,
                                 "no threshold yet: update the node first");
    *threshold = o->threshold;
    return PIPIT_OK;
}

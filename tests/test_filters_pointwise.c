/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Known answers of the value-by-value filters (cast, shift-scale,
 * clamp, thresholds, rescale, unary and binary arithmetic) and of the
 * reductions (statistics, histogram, Otsu). The Otsu, divide and
 * rounding figures marked "ITK 5.2" were produced by ITK 5.2.1's own
 * filters on the same data.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test_filters_util.h"

#include "pointwise_impl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Runs the filter called name on in0 (and in1) with settings and checks
 * output 0 against expect; returns the output's pixel type. */
static pipit_pixel_type_t
check(const char *name, const char *const *settings, pipit_image_t *in0,
      pipit_image_t *in1, const double *expect, size_t n)
{
    pipit_node_t *f = tf_filter(name, settings, in0, in1);
    pipit_image_t *out = tf_update(f);
    tf_assert_values(out, expect, n, name);
    pipit_pixel_type_t t = pipit_image_pixel_type(out);
    pipit_image_unref(out);
    pipit_node_unref(f);
    return t;
}

/* ---- cast, shift-scale, clamp -------------------------------------- */

static void
test_cast(void)
{
    static const double v[] = { -1.5, -0.5, 0.5, 1.5, 2.49, 300, -300, NAN };
    pipit_image_t *in = tf_row(8, 1, PIPIT_F32, v);
    static const double u8[] = { 0, 0, 1, 2, 2, 255, 0, 0 };
    static const double i8[] = { -2, -1, 1, 2, 2, 127, -128, 0 };
    const char *to_u8[] = { "type=u8", NULL }, *to_i8[] = { "type=i8", NULL };
    CU_ASSERT_EQUAL(check("cast", to_u8, in, NULL, u8, 8), PIPIT_U8);
    CU_ASSERT_EQUAL(check("cast", to_i8, in, NULL, i8, 8), PIPIT_I8);
    const char *to_f64[] = { "type=f64", NULL };
    double f[8];
    for (int i = 0; i < 8; i++)
        f[i] = (float)v[i];
    CU_ASSERT_EQUAL(check("cast", to_f64, in, NULL, f, 8), PIPIT_F64);
    pipit_image_unref(in);

    /* to f32, finite values beyond its range clamp, infinities stay */
    in = tf_row(5, 1, PIPIT_F64, (const double[]){ 1e300, -1e300, INFINITY,
                                                   NAN, 0.1 });
    const char *to_f32[] = { "type=f32", NULL };
    static const double f32[] = { FLT_MAX, -FLT_MAX, INFINITY, NAN,
                                  (float)0.1 };
    check("cast", to_f32, in, NULL, f32, 5);
    pipit_image_unref(in);

    /* the default target is f32; integers clamp into the target */
    static const double w[] = { -5, 0, 255, 256, 1000 };
    in = tf_row(5, 1, PIPIT_I16, w);
    static const double w_u8[] = { 0, 0, 255, 255, 255 };
    CU_ASSERT_EQUAL(check("cast", to_u8, in, NULL, w_u8, 5), PIPIT_U8);
    CU_ASSERT_EQUAL(check("cast", NULL, in, NULL, w, 5), PIPIT_F32);
    pipit_image_unref(in);

    /* components are converted one by one */
    size_t size[2] = { 2, 1 };
    pipit_image_t *rgb = pipit_image_new(2, size, PIPIT_U8, 3);
    size_t idx[2] = { 0, 0 };
    for (unsigned c = 0; c < 3; c++) {
        idx[0] = 0;
        ASSERT_OK(pipit_image_set_value(rgb, idx, c, 10 * c + 1));
        idx[0] = 1;
        ASSERT_OK(pipit_image_set_value(rgb, idx, c, 200 + c));
    }
    static const double rgb_f[] = { 1, 11, 21, 200, 201, 202 };
    CU_ASSERT_EQUAL(check("cast", to_f64, rgb, NULL, rgb_f, 6), PIPIT_F64);
    pipit_image_unref(rgb);
}

static void
test_shift_scale(void)
{
    static const double v[] = { 0, 10, 255 };
    pipit_image_t *in = tf_row(3, 1, PIPIT_U8, v);
    const char *s[] = { "shift=-5", "scale=0.5", NULL };
    static const double u8[] = { 0, 3, 125 }; /* -2.5 clamps, 2.5 rounds up */
    CU_ASSERT_EQUAL(check("shift-scale", s, in, NULL, u8, 3), PIPIT_U8);
    const char *sf[] = { "shift=-5", "scale=0.5", "type=f32", NULL };
    static const double f[] = { -2.5, 2.5, 125 };
    CU_ASSERT_EQUAL(check("shift-scale", sf, in, NULL, f, 3), PIPIT_F32);
    pipit_image_unref(in);

    /* f32 in and out: computed in double, stored as the nearest float */
    static const double g[] = { 0.1, -3, 1e30 };
    in = tf_row(3, 1, PIPIT_F32, g);
    const char *s3[] = { "shift=0.2", "scale=3", NULL };
    double e[3];
    for (int i = 0; i < 3; i++)
        e[i] = (float)(((double)(float)g[i] + 0.2) * 3);
    CU_ASSERT_EQUAL(check("shift-scale", s3, in, NULL, e, 3), PIPIT_F32);
    pipit_image_unref(in);
}

static void
test_clamp(void)
{
    static const double v[] = { -10, 0.5, 10, NAN, INFINITY, -INFINITY };
    pipit_image_t *in = tf_row(6, 1, PIPIT_F32, v);
    const char *s[] = { "lower=-1", "upper=2", NULL };
    static const double e[] = { -1, 0.5, 2, NAN, 2, -1 };
    check("clamp", s, in, NULL, e, 6);
    /* the defaults clamp to the type's finite range, as ITK */
    static const double d[] = { -10, 0.5, 10, NAN, FLT_MAX, -FLT_MAX };
    check("clamp", NULL, in, NULL, d, 6);
    pipit_image_unref(in);

    static const double w[] = { -5, 1, 2, 3, 300 };
    in = tf_row(5, 1, PIPIT_I16, w);
    const char *to_u8[] = { "type=u8", NULL };
    static const double w_u8[] = { 0, 1, 2, 3, 255 };
    check("clamp", to_u8, in, NULL, w_u8, 5);
    const char *half[] = { "lower=1.5", NULL };
    static const double w_h[] = { 2, 2, 2, 3, 300 }; /* 1.5 rounds to 2 */
    check("clamp", half, in, NULL, w_h, 5);
    pipit_image_unref(in);
}

/* ---- thresholds ----------------------------------------------------- */

static void
test_threshold(void)
{
    static const double v[] = { -3, -2, 0, 2, 3, 5 };
    pipit_image_t *in = tf_row(6, 1, PIPIT_I16, v);
    const char *s[] = { "lower=-2.5", "upper=2.5", "outside=7", NULL };
    static const double e[] = { 7, -2, 0, 2, 7, 7 };
    CU_ASSERT_EQUAL(check("threshold", s, in, NULL, e, 6), PIPIT_I16);
    pipit_image_unref(in);

    /* bounds compare exactly: 0.2f > 0.2 is kept, 0.3f > 0.3 is not */
    static const double f[] = { 0.1, 0.2, 0.3, NAN };
    in = tf_row(4, 1, PIPIT_F32, f);
    const char *sf[] = { "lower=0.2", "upper=0.3", "outside=-1", NULL };
    static const double ef[] = { -1, (float)0.2, -1, -1 };
    check("threshold", sf, in, NULL, ef, 4);
    pipit_image_unref(in);

    /* u8 with bounds outside its range: nothing passes */
    static const double u[] = { 0, 255 };
    in = tf_row(2, 1, PIPIT_U8, u);
    const char *none[] = { "lower=300", "upper=400", "outside=9", NULL };
    static const double eu[] = { 9, 9 };
    check("threshold", none, in, NULL, eu, 2);
    pipit_image_unref(in);
}

static void
test_binary_threshold(void)
{
    static const double v[] = { 0, 50, 100, 150, 200, 250 };
    pipit_image_t *in = tf_row(6, 1, PIPIT_U8, v);
    const char *s[] = { "lower=50", "upper=150", NULL };
    static const double e[] = { 0, 255, 255, 255, 0, 0 };
    CU_ASSERT_EQUAL(check("binary-threshold", s, in, NULL, e, 6), PIPIT_U8);
    const char *sf[] = { "lower=50", "upper=150", "inside=1", "outside=-1",
                         "type=f32", NULL };
    static const double ef[] = { -1, 1, 1, 1, -1, -1 };
    CU_ASSERT_EQUAL(check("binary-threshold", sf, in, NULL, ef, 6),
                    PIPIT_F32);
    const char *si[] = { "lower=50", "upper=150", "inside=1000",
                         "type=i16", NULL };
    static const double ei[] = { 0, 1000, 1000, 1000, 0, 0 };
    CU_ASSERT_EQUAL(check("binary-threshold", si, in, NULL, ei, 6),
                    PIPIT_I16);
    pipit_image_unref(in);

    static const double f[] = { NAN, -INFINITY, 1, INFINITY };
    in = tf_row(4, 1, PIPIT_F64, f);
    const char *all[] = { "inside=1", NULL };
    /* the default bounds are the finite range: infinities are outside */
    static const double ea[] = { 0, 0, 1, 0 };
    check("binary-threshold", all, in, NULL, ea, 4);
    pipit_image_unref(in);
}

/* ---- rescale ---------------------------------------------------------- */

static void
test_rescale(void)
{
    static const double v[] = { -100, 0, 100 };
    pipit_image_t *in = tf_row(3, 1, PIPIT_I16, v);
    const char *u8[] = { "max=200", "type=u8", NULL };
    static const double e[] = { 0, 100, 200 };
    CU_ASSERT_EQUAL(check("rescale-intensity", u8, in, NULL, e, 3),
                    PIPIT_U8);
    /* 1 maps to 2.5: rounded half away from zero (ITK truncates) */
    pipit_image_t *r = tf_row(3, 1, PIPIT_U8, (const double[]){ 0, 1, 2 });
    const char *five[] = { "max=5", NULL };
    static const double e5[] = { 0, 3, 5 };
    check("rescale-intensity", five, r, NULL, e5, 3);
    pipit_image_unref(r);
    const char *f[] = { "min=-1", "max=1", "type=f32", NULL };
    static const double ef[] = { -1, 0, 1 };
    check("rescale-intensity", f, in, NULL, ef, 3);
    pipit_image_unref(in);

    /* a constant image: scale (max - min) / value, as ITK */
    static const double c[] = { 5, 5, 5 };
    in = tf_row(3, 1, PIPIT_F32, c);
    const char *s[] = { "min=10", "max=20", NULL };
    static const double ec[] = { 10, 10, 10 }; /* 5 * 2 + (10 - 5 * 2) */
    check("rescale-intensity", s, in, NULL, ec, 3);
    pipit_image_unref(in);
    static const double z[] = { 0, 0 };
    in = tf_row(2, 1, PIPIT_F64, z);
    static const double ez[] = { 10, 10 };
    check("rescale-intensity", s, in, NULL, ez, 2);
    pipit_image_unref(in);

    /* NaN is skipped when finding the range, and stays NaN */
    static const double n[] = { NAN, 2, 4 };
    in = tf_row(3, 1, PIPIT_F32, n);
    static const double en[] = { NAN, 10, 20 };
    check("rescale-intensity", s, in, NULL, en, 3);
    pipit_image_unref(in);
}

/* ---- unary arithmetic ------------------------------------------------- */

static void
test_unary(void)
{
    static const double a[] = { -128, -1, 0, 5 };
    pipit_image_t *in = tf_row(4, 1, PIPIT_I8, a);
    static const double ea[] = { 127, 1, 0, 5 }; /* |-128| saturates */
    CU_ASSERT_EQUAL(check("abs", NULL, in, NULL, ea, 4), PIPIT_I8);
    pipit_image_unref(in);

    static const double s[] = { 0, 1, 4, 2 };
    in = tf_row(4, 1, PIPIT_U8, s);
    static const double es[] = { 0, 1, 2, (float)1.4142135623730951 };
    CU_ASSERT_EQUAL(check("sqrt", NULL, in, NULL, es, 4), PIPIT_F32);
    const char *u8[] = { "type=u8", NULL };
    static const double es8[] = { 0, 1, 2, 1 };
    CU_ASSERT_EQUAL(check("sqrt", u8, in, NULL, es8, 4), PIPIT_U8);
    const double el[] = { -INFINITY, 0, (float)log(4.0),
                                 (float)log(2.0) };
    CU_ASSERT_EQUAL(check("log", NULL, in, NULL, el, 4), PIPIT_F32);
    pipit_image_unref(in);

    static const double f[] = { -1, 1, 0, 2.5 };
    in = tf_row(4, 1, PIPIT_F32, f);
    const double esf[] = { NAN, 1, 0, (float)sqrt(2.5) };
    CU_ASSERT_EQUAL(check("sqrt", NULL, in, NULL, esf, 4), PIPIT_F32);
    const double elf[] = { NAN, 0, -INFINITY, (float)log(2.5) };
    check("log", NULL, in, NULL, elf, 4);
    const double eef[] = { (float)exp(-1.0), (float)exp(1.0), 1,
                                  (float)exp(2.5) };
    check("exp", NULL, in, NULL, eef, 4);
    static const double eqf[] = { 1, 1, 0, 6.25 };
    check("square", NULL, in, NULL, eqf, 4);
    static const double eaf[] = { 1, 1, 0, 2.5 };
    check("abs", NULL, in, NULL, eaf, 4);
    pipit_image_unref(in);

    static const double q[] = { 300, -3 };
    in = tf_row(2, 1, PIPIT_I16, q);
    static const double eq[] = { 32767, 9 }; /* saturates, ITK wraps */
    CU_ASSERT_EQUAL(check("square", NULL, in, NULL, eq, 2), PIPIT_I16);
    const double ee[] = { INFINITY, (float)exp(-3.0) };
    CU_ASSERT_EQUAL(check("exp", NULL, in, NULL, ee, 2), PIPIT_F32);
    const char *f64[] = { "type=f64", NULL };
    const double ee64[] = { exp(300.0), exp(-3.0) };
    check("exp", f64, in, NULL, ee64, 2);
    pipit_image_unref(in);
}

/* ---- binary arithmetic ------------------------------------------------ */

static void
test_binary(void)
{
    static const double a[] = { 250, 3, 7, 0 }, b[] = { 10, 4, 2, 0 };
    pipit_image_t *ia = tf_row(4, 1, PIPIT_U8, a);
    pipit_image_t *ib = tf_row(4, 1, PIPIT_U8, b);
    static const double add[] = { 255, 7, 9, 0 }; /* saturates */
    check("add", NULL, ia, ib, add, 4);
    static const double sub[] = { 240, 0, 5, 0 };
    check("subtract", NULL, ia, ib, sub, 4);
    static const double mul[] = { 255, 12, 14, 0 };
    check("multiply", NULL, ia, ib, mul, 4);
    /* integers truncate; x / 0 is the type's largest value */
    static const double div[] = { 25, 0, 3, 255 };
    CU_ASSERT_EQUAL(check("divide", NULL, ia, ib, div, 4), PIPIT_U8);
    static const double mn[] = { 10, 3, 2, 0 }, mx[] = { 250, 4, 7, 0 };
    check("minimum", NULL, ia, ib, mn, 4);
    check("maximum", NULL, ia, ib, mx, 4);
    /* constants: a whole one divides as an integer, another does not */
    const char *c2[] = { "constant=2", NULL }, *c25[] = { "constant=2.5",
                                                          NULL };
    static const double d2[] = { 125, 1, 3, 0 }, d25[] = { 100, 1, 3, 0 };
    check("divide", c2, ia, NULL, d2, 4);
    check("divide", c25, ia, NULL, d25, 4);
    static const double a2[] = { 252, 5, 9, 2 };
    check("add", c2, ia, NULL, a2, 4);
    /* a mixed pair computes in double; the output type is settable */
    pipit_image_t *fb = tf_row(4, 1, PIPIT_F32, (const double[]){ 0.5, -4,
                                                                  0.25, 1 });
    const char *tf[] = { "type=f32", NULL };
    static const double af[] = { 250.5, -1, 7.25, 1 };
    CU_ASSERT_EQUAL(check("add", tf, ia, fb, af, 4), PIPIT_F32);
    pipit_image_unref(fb);
    pipit_image_unref(ia);
    pipit_image_unref(ib);

    /* ITK 5.2 DivideImageFilter<short>: 7/2 3, -7/2 -3, 5/0 32767,
     * 3/-2 -1 */
    ia = tf_row(4, 1, PIPIT_I16, (const double[]){ 7, -7, 5, 3 });
    ib = tf_row(4, 1, PIPIT_I16, (const double[]){ 2, 2, 0, -2 });
    static const double ds[] = { 3, -3, 32767, -1 };
    check("divide", NULL, ia, ib, ds, 4);
    pipit_image_unref(ia);
    pipit_image_unref(ib);

    /* ITK 5.2 DivideImageFilter<float>: a denominator within 0.1 epsilon
     * of 0 gives FLT_MAX, whatever the numerator */
    ia = tf_row(5, 1, PIPIT_F32, (const double[]){ 1, -1, 0, 2, 1 });
    ib = tf_row(5, 1, PIPIT_F32, (const double[]){ 0, 0, 0, 1e-9, 4 });
    static const double df[] = { FLT_MAX, FLT_MAX, FLT_MAX, FLT_MAX, 0.25 };
    check("divide", NULL, ia, ib, df, 5);
    const char *d64[] = { "type=f64", NULL };
    static const double dd[] = { DBL_MAX, DBL_MAX, DBL_MAX, DBL_MAX, 0.25 };
    check("divide", d64, ia, ib, dd, 5);
    pipit_image_unref(ia);
    pipit_image_unref(ib);

    /* NaN: minimum(NaN, 1) is 1 and minimum(1, NaN) NaN, as ITK's a < b */
    ia = tf_row(2, 1, PIPIT_F32, (const double[]){ NAN, 1 });
    ib = tf_row(2, 1, PIPIT_F32, (const double[]){ 1, NAN });
    static const double en[] = { 1, NAN };
    check("minimum", NULL, ia, ib, en, 2);
    check("maximum", NULL, ia, ib, en, 2);
    pipit_image_unref(ia);
    pipit_image_unref(ib);
}

/* ---- statistics and histogram ----------------------------------------- */

static void
test_statistics(void)
{
    static const double v[] = { 1, 2, 3, 4 };
    pipit_image_t *in = tf_row(2, 2, PIPIT_I16, v);
    pipit_node_t *s = pipit_statistics_new();
    pipit_statistics_t st;
    ASSERT_FAILS_WITH(pipit_statistics_get(s, &st), PIPIT_ESTATE, "update");
    ASSERT_OK(pipit_node_set_input_image(s, 0, in));
    ASSERT_OK(pipit_node_update(s));
    ASSERT_OK(pipit_statistics_get(s, &st));
    CU_ASSERT_EQUAL(st.min, 1);
    CU_ASSERT_EQUAL(st.max, 4);
    CU_ASSERT_EQUAL(st.mean, 2.5);
    CU_ASSERT_EQUAL(st.sum, 10);
    CU_ASSERT_EQUAL(st.count, 4);
    CU_ASSERT_DOUBLE_EQUAL(st.variance, 5.0 / 3.0, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(st.sigma, sqrt(5.0 / 3.0), 1e-15);
    /* the output is the input, shared, not copied */
    CU_ASSERT_PTR_EQUAL(pipit_image_get_buffer(pipit_node_get_output(s, 0)),
                        pipit_image_get_buffer(in));
    pipit_node_unref(s);
    pipit_image_unref(in);

    /* one value: sample variance undefined (NaN, as ITK) */
    in = tf_row(1, 1, PIPIT_F32, (const double[]){ 7 });
    s = pipit_statistics_new();
    ASSERT_OK(pipit_node_set_input_image(s, 0, in));
    ASSERT_OK(pipit_node_update(s));
    ASSERT_OK(pipit_statistics_get(s, &st));
    CU_ASSERT_EQUAL(st.mean, 7);
    CU_ASSERT(isnan(st.variance) && isnan(st.sigma));
    pipit_node_unref(s);
    pipit_image_unref(in);

    /* NaN counts, spoils the sums, and min and max skip it */
    in = tf_row(3, 1, PIPIT_F64, (const double[]){ 2, NAN, -1 });
    s = pipit_statistics_new();
    ASSERT_OK(pipit_node_set_input_image(s, 0, in));
    ASSERT_OK(pipit_node_update(s));
    ASSERT_OK(pipit_statistics_get(s, &st));
    CU_ASSERT_EQUAL(st.min, -1);
    CU_ASSERT_EQUAL(st.max, 2);
    CU_ASSERT_EQUAL(st.count, 3);
    CU_ASSERT(isnan(st.mean) && isnan(st.sum));
    pipit_node_unref(s);
    pipit_image_unref(in);

    /* a large sum keeps its precision: 1e8 + k over a million values */
    size_t size[3] = { 1000, 100, 10 };
    pipit_image_t *big = pipit_image_new(3, size, PIPIT_F64, 1);
    double *p = pipit_image_data_writable(big);
    for (size_t i = 0; i < 1000000; i++)
        p[i] = 1e8 + (double)(i % 7);
    s = pipit_statistics_new();
    ASSERT_OK(pipit_node_set_input_image(s, 0, big));
    ASSERT_OK(pipit_node_update(s));
    ASSERT_OK(pipit_statistics_get(s, &st));
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < 1000000; i++)
        mean += (double)(i % 7);
    mean /= 1e6;
    for (size_t i = 0; i < 1000000; i++)
        m2 += ((double)(i % 7) - mean) * ((double)(i % 7) - mean);
    CU_ASSERT_DOUBLE_EQUAL(st.mean, 1e8 + mean, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(st.variance, m2 / (1e6 - 1), 1e-6);
    pipit_node_unref(s);
    pipit_image_unref(big);
}

static void
histogram_counts(pipit_image_t *in, const char *const *settings,
                 const uint64_t *expect, size_t bins, const double *edges)
{
    pipit_node_t *h = tf_filter("histogram", settings, in, NULL);
    ASSERT_OK(pipit_node_update(h));
    const uint64_t *counts;
    size_t n;
    ASSERT_OK(pipit_histogram_get(h, &counts, &n));
    CU_ASSERT_EQUAL_FATAL(n, bins);
    for (size_t k = 0; k < n; k++)
        CU_ASSERT_EQUAL(counts[k], expect[k]);
    for (size_t k = 0; edges != NULL && k < n; k++) {
        double lo, hi;
        ASSERT_OK(pipit_histogram_bin(h, k, &lo, &hi));
        CU_ASSERT_EQUAL(lo, edges[k]);
        CU_ASSERT_EQUAL(hi, edges[k + 1]);
    }
    double lo, hi;
    ASSERT_FAILS_WITH(pipit_histogram_bin(h, n, &lo, &hi), PIPIT_EINVAL,
                      "no bin");
    pipit_node_unref(h);
}

static void
test_histogram(void)
{
    /* u8: ITK's fixed range [-0.5, 255.5], one value per bin */
    pipit_image_t *in = tf_row(4, 1, PIPIT_U8, (const double[]){ 0, 1, 1,
                                                                 255 });
    uint64_t e[256] = { 0 };
    e[0] = 1, e[1] = 2, e[255] = 1;
    histogram_counts(in, NULL, e, 256, NULL);
    pipit_image_unref(in);

    /* f32, automatic: [0, 3 + 3/3/100], width (float)3.01 / 3 */
    in = tf_row(5, 1, PIPIT_F32, (const double[]){ 0, 1, 2, 3, NAN });
    const char *s3[] = { "bins=3", NULL };
    float w = (float)3.01 / 3.0f;
    double edges[4] = { 0, (double)w, (double)(2.0f * w), 3.01 };
    static const uint64_t e3[] = { 2, 1, 1 };
    histogram_counts(in, s3, e3, 3, edges);
    /* explicit range: a value equal to upper lands in the last bin,
     * values beyond are not counted */
    const char *sx[] = { "bins=2", "auto=false", "lower=0", "upper=2",
                         NULL };
    static const uint64_t ex[] = { 1, 2 };
    static const double ed[] = { 0, 1, 2 };
    histogram_counts(in, sx, ex, 2, ed);
    pipit_image_unref(in);
}

/* ---- Otsu: against ITK 5.2's OtsuThresholdImageFilter --------------- */

/* The data of the ITK run: an LCG, x fastest. */
static pipit_image_t *
otsu_f32_data(void)
{
    double v[45];
    unsigned s = 12345;
    for (int i = 0; i < 45; i++) {
        s = s * 1103515245u + 12345u;
        float f = (float)((s >> 16) % 1000) / 10.0f;
        if (((s >> 8) & 3) == 0)
            f += 200;
        v[i] = f;
    }
    return tf_row(9, 5, PIPIT_F32, v);
}

static void
test_otsu(void)
{
    pipit_image_t *in = otsu_f32_data();
    pipit_node_t *o = pipit_otsu_threshold_new(256);
    double t;
    ASSERT_FAILS_WITH(pipit_otsu_threshold_get(o, &t), PIPIT_ESTATE,
                      "update");
    ASSERT_OK(pipit_node_set_input_image(o, 0, in));
    ASSERT_OK(pipit_node_update(o));
    ASSERT_OK(pipit_otsu_threshold_get(o, &t));
    CU_ASSERT_EQUAL(t, (double)98.2460251f);
    pipit_node_unref(o);

    /* 16 bins: threshold and mask as ITK gives them */
    const char *s16[] = { "bins=16", NULL };
    o = tf_filter("otsu-threshold", s16, in, NULL);
    pipit_image_t *out = tf_update(o);
    ASSERT_OK(pipit_otsu_threshold_get(o, &t));
    CU_ASSERT_EQUAL(t, (double)112.332603f);
    static const double mask[45] = {
        255, 255, 0,   255, 0,   255, 255, 255, 255,
        255, 0,   255, 255, 255, 255, 255, 255, 255,
        0,   255, 0,   0,   255, 0,   255, 0,   255,
        255, 0,   255, 255, 255, 255, 255, 0,   255,
        255, 255, 255, 0,   0,   255, 255, 0,   255,
    };
    tf_assert_values(out, mask, 45, "otsu mask");
    pipit_image_unref(out);
    pipit_node_unref(o);
    pipit_image_unref(in);

    /* u8: range [-0.5, 255.5], threshold truncated to the type */
    double v[45];
    unsigned s = 777;
    for (int i = 0; i < 45; i++) {
        s = s * 1103515245u + 12345u;
        v[i] = (s >> 16) % 256;
    }
    in = tf_row(9, 5, PIPIT_U8, v);
    o = pipit_otsu_threshold_new(256);
    ASSERT_OK(pipit_node_set_input_image(o, 0, in));
    ASSERT_OK(pipit_node_update(o));
    ASSERT_OK(pipit_otsu_threshold_get(o, &t));
    CU_ASSERT_EQUAL(t, 120);
    pipit_node_unref(o);
    pipit_image_unref(in);

    /* all NaN: nothing to threshold */
    in = tf_row(2, 1, PIPIT_F32, (const double[]){ NAN, NAN });
    o = pipit_otsu_threshold_new(8);
    ASSERT_OK(pipit_node_set_input_image(o, 0, in));
    ASSERT_FAILS_WITH(pipit_node_update(o), PIPIT_EINVAL, "otsu-threshold");
    pipit_node_unref(o);
    pipit_image_unref(in);
}

/* ---- the vectorised conversions against io's pipit__convert ---------- */

static void
test_convert_fast(void)
{
    enum { N = 4099 }; /* not a multiple of 16: the tails too */
    double *v = malloc(N * sizeof *v);
    char *src = malloc(N * 8), *a = malloc(N * 8), *b = malloc(N * 8);
    CU_ASSERT_FATAL(v != NULL && src != NULL && a != NULL && b != NULL);
    /* halves, values just around them, the type limits, specials */
    static const double special[] = {
        0.5, -0.5, 1.5, -1.5, 2.5, 0x1.fffffep-2, -0x1.fffffep-2,
        0x1.fffffffffffffp-2, -0x1.fffffffffffffp-2, 0x1.0000002p-1,
        254.5, 255.49999, 255.5, 256, -128.5, -129, 127.5, 65535.5,
        -32768.5, 32767.5, 1e30, -1e30, INFINITY, -INFINITY, NAN, -0.0,
        8388608.5, 2147483647.0, -2147483648.0, 4294967295.0, 1e-300,
    };
    size_t ns = sizeof special / sizeof special[0];
    uint32_t state = 7;
    for (size_t i = 0; i < N; i++) {
        state = state * 1664525u + 1013904223u;
        double r = (double)(state >> 8) / (1 << 24);
        v[i] = i < ns ? special[i]
               : i % 3 ? (r - 0.3) * 70000.0
                       : floor((r - 0.5) * 600.0) + 0.5 * (i % 2);
    }
    for (int st = 0; st < PIPIT_PIXEL_TYPE_COUNT; st++) {
        pipit__convert(v, PIPIT_F64, src, (pipit_pixel_type_t)st, N);
        if (st == PIPIT_F32) /* keep the float specials as floats */
            for (size_t i = 0; i < ns; i++)
                ((float *)(void *)src)[i] = (float)special[i];
        for (int dt = 0; dt < PIPIT_PIXEL_TYPE_COUNT; dt++) {
            size_t bytes = N * pipit_pixel_size((pipit_pixel_type_t)dt);
            memset(a, 0x55, bytes);
            memset(b, 0x55, bytes);
            pipit__convert(src, (pipit_pixel_type_t)st, a,
                           (pipit_pixel_type_t)dt, N);
            pipit__convert_fast(src, (pipit_pixel_type_t)st, b,
                                (pipit_pixel_type_t)dt, N);
            if (memcmp(a, b, bytes) != 0) {
                fprintf(stderr, "\n%s to %s differs\n",
                        pipit_pixel_type_name((pipit_pixel_type_t)st),
                        pipit_pixel_type_name((pipit_pixel_type_t)dt));
                CU_FAIL("fast conversion differs");
            }
        }
    }
    free(v);
    free(src);
    free(a);
    free(b);
}

const test_case_t test_filters_pointwise_cases[] = {
    { "convert_fast", test_convert_fast },
    { "cast", test_cast },
    { "shift_scale", test_shift_scale },
    { "clamp", test_clamp },
    { "threshold", test_threshold },
    { "binary_threshold", test_binary_threshold },
    { "rescale", test_rescale },
    { "unary", test_unary },
    { "binary", test_binary },
    { "statistics", test_statistics },
    { "histogram", test_histogram },
    { "otsu", test_otsu },
    { NULL, NULL },
};

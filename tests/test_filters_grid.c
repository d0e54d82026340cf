/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Known answers of the pixel-moving filters: extract region, pads,
 * flip, permute axes, shrink, bin-shrink, checkerboard, change
 * information. Values and geometry marked "ITK 5.2" are what ITK 5.2.1's
 * own filters gave on the same image.
 */
#include <math.h>

#include "test_filters_util.h"

/* A w x h f32 image of value x + 10 y, spacing (sx, sy), origin (ox,
 * oy). */
static pipit_image_t *
ramp(size_t w, size_t h, double sx, double sy, double ox, double oy)
{
    double v[256];
    CU_ASSERT_FATAL(w * h <= 256);
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++)
            v[y * w + x] = (double)x + 10.0 * (double)y;
    pipit_image_t *img = tf_row(w, h, PIPIT_F32, v);
    ASSERT_OK(pipit_image_set_spacing(img, (const double[]){ sx, sy }));
    ASSERT_OK(pipit_image_set_origin(img, (const double[]){ ox, oy }));
    return img;
}

static void
assert_geometry(const pipit_image_t *img, size_t w, size_t h, double sx,
                double sy, double ox, double oy)
{
    CU_ASSERT_EQUAL(pipit_image_size(img)[0], w);
    CU_ASSERT_EQUAL(pipit_image_size(img)[1], h);
    CU_ASSERT_DOUBLE_EQUAL(pipit_image_spacing(img)[0], sx, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pipit_image_spacing(img)[1], sy, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pipit_image_origin(img)[0], ox, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pipit_image_origin(img)[1], oy, 1e-12);
}

/* Runs the filter and checks values and geometry. */
static void
check(const char *name, const char *const *settings, pipit_image_t *in,
      pipit_image_t *in2, const double *expect, size_t w, size_t h,
      double sx, double sy, double ox, double oy)
{
    pipit_node_t *f = tf_filter(name, settings, in, in2);
    pipit_image_t *out = tf_update(f);
    assert_geometry(out, w, h, sx, sy, ox, oy);
    tf_assert_values(out, expect, w * h, name);
    pipit_image_unref(out);
    pipit_node_unref(f);
}

static void
test_extract(void)
{
    pipit_image_t *in = ramp(5, 4, 0.5, 2, 10, 20);
    const char *s[] = { "index=1,2", "size=3,2", NULL };
    static const double e[] = { 21, 22, 23, 31, 32, 33 };
    check("extract-region", s, in, NULL, e, 3, 2, 0.5, 2, 10.5, 24);
    /* size 0: to the end of the axis */
    const char *end[] = { "index=3,1", "size=0,1", NULL };
    static const double ee[] = { 13, 14 };
    check("extract-region", end, in, NULL, ee, 2, 1, 0.5, 2, 11.5, 22);

    pipit_node_t *f = tf_filter("extract-region", (const char *[]){
                                    "index=5,0", NULL },
                                in, NULL);
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "extract-region");
    ASSERT_OK(pipit_node_set(f, "index", "2,0"));
    ASSERT_OK(pipit_node_set(f, "size", "4,1"));
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "end");
    ASSERT_OK(pipit_node_set(f, "index", "0.5,0"));
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "whole number");
    pipit_node_unref(f);
    pipit_image_unref(in);
}

static void
test_pads(void)
{
    pipit_image_t *in = tf_row(3, 2, PIPIT_I16,
                               (const double[]){ 1, 2, 3, 4, 5, 6 });
    ASSERT_OK(pipit_image_set_origin(in, (const double[]){ 1, 1 }));
    const char *s[] = { "lower=1,0", "upper=2,1", "value=9", NULL };
    static const double e[] = { 9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9,
                                9, 9, 9, 9, 9, 9 };
    check("constant-pad", s, in, NULL, e, 6, 3, 1, 1, 0, 1);
    /* ITK 5.2 MirrorPadImageFilter on 1 2 3, 7 pixels either side */
    pipit_image_t *line = tf_row(3, 1, PIPIT_F32,
                                 (const double[]){ 1, 2, 3 });
    const char *m7[] = { "lower=7,0", "upper=7,0", NULL };
    static const double em[] = { 1, 1, 2, 3, 3, 2, 1, 1, 2, 3,
                                 3, 2, 1, 1, 2, 3, 3 };
    check("mirror-pad", m7, line, NULL, em, 17, 1, 1, 1, -7, 0);
    pipit_image_unref(line);
    /* along y too: rows mirror the same way */
    const char *my[] = { "lower=0,2", "upper=0,1", NULL };
    static const double ey[] = { 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6,
                                 4, 5, 6 };
    check("mirror-pad", my, in, NULL, ey, 3, 5, 1, 1, 1, -1);
    pipit_image_unref(in);
}

static void
test_flip(void)
{
    /* ITK 5.2 FlipImageFilter (x, FlipAboutOrigin off) on the 10 x 7
     * ramp of spacing 0.7, 1.3 and origin 2.5, -1: origin 8.8, -1,
     * direction -1 0 0 1, first pixel 9 */
    pipit_image_t *in = ramp(10, 7, 0.7, 1.3, 2.5, -1);
    pipit_node_t *f = pipit_flip_new(2, (const bool[]){ true, false });
    ASSERT_OK(pipit_node_set_input_image(f, 0, in));
    pipit_image_t *out = tf_update(f);
    assert_geometry(out, 10, 7, 0.7, 1.3, 8.8, -1);
    const double *d = pipit_image_direction(out);
    CU_ASSERT(d[0] == -1 && d[1] == 0 && d[2] == 0 && d[3] == 1);
    size_t idx[2] = { 0, 0 };
    CU_ASSERT_EQUAL(pipit_image_get_value(out, idx, 0), 9);
    /* every pixel keeps its physical position */
    for (size_t y = 0; y < 7; y++)
        for (size_t x = 0; x < 10; x++) {
            double ci[2] = { (double)x, (double)y }, p[2], ii[2];
            pipit_image_index_to_point(out, ci, p);
            pipit_image_point_to_index(in, p, ii);
            size_t o[2] = { x, y }, i[2] = { (size_t)lround(ii[0]),
                                             (size_t)lround(ii[1]) };
            CU_ASSERT_EQUAL(pipit_image_get_value(out, o, 0),
                            pipit_image_get_value(in, i, 0));
        }
    pipit_image_unref(out);
    pipit_node_unref(f);
    /* y, then both: flipping twice is the identity */
    pipit_node_t *fy = tf_filter("flip", (const char *[]){ "axes=0,1", NULL },
                                 in, NULL);
    pipit_node_t *fy2 = tf_filter("flip", (const char *[]){ "axes=0,1",
                                                            NULL },
                                  NULL, NULL);
    ASSERT_OK(pipit_node_set_input(fy2, 0, fy, 0));
    out = tf_update(fy2);
    CU_ASSERT(tf_same(out, in));
    pipit_image_unref(out);
    pipit_node_unref(fy2);
    pipit_node_unref(fy);
    pipit_image_unref(in);
}

static void
test_permute(void)
{
    pipit_image_t *in = tf_row(3, 2, PIPIT_U8,
                               (const double[]){ 1, 2, 3, 4, 5, 6 });
    ASSERT_OK(pipit_image_set_spacing(in, (const double[]){ 0.5, 2 }));
    ASSERT_OK(pipit_image_set_origin(in, (const double[]){ 7, 8 }));
    const char *s[] = { "order=1,0", NULL };
    static const double e[] = { 1, 4, 2, 5, 3, 6 };
    pipit_node_t *f = tf_filter("permute-axes", s, in, NULL);
    pipit_image_t *out = tf_update(f);
    assert_geometry(out, 2, 3, 2, 0.5, 7, 8);
    tf_assert_values(out, e, 6, "permute");
    const double *d = pipit_image_direction(out);
    CU_ASSERT(d[0] == 0 && d[1] == 1 && d[2] == 1 && d[3] == 0);
    pipit_image_unref(out);
    ASSERT_OK(pipit_node_set(f, "order", "0,0"));
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "twice");
    ASSERT_OK(pipit_node_set(f, "order", "2,0"));
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "order");
    pipit_node_unref(f);
    pipit_image_unref(in);

    /* a 3-D permutation moves every pixel to its permuted index */
    size_t size[3] = { 4, 3, 2 };
    pipit_image_t *v = pipit_image_new(3, size, PIPIT_I32, 1);
    int32_t *p = pipit_image_data_writable(v);
    for (int i = 0; i < 24; i++)
        p[i] = i;
    pipit_node_t *g = pipit_permute_axes_new(3, (const unsigned[]){ 2, 0,
                                                                     1 });
    ASSERT_OK(pipit_node_set_input_image(g, 0, v));
    out = tf_update(g);
    CU_ASSERT_EQUAL(pipit_image_size(out)[0], 2);
    CU_ASSERT_EQUAL(pipit_image_size(out)[1], 4);
    CU_ASSERT_EQUAL(pipit_image_size(out)[2], 3);
    for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < 4; j++)
            for (size_t i = 0; i < 2; i++) {
                size_t o[3] = { i, j, k }, s3[3] = { j, k, i };
                CU_ASSERT_EQUAL(pipit_image_get_value(out, o, 0),
                                pipit_image_get_value(v, s3, 0));
            }
    pipit_image_unref(out);
    pipit_node_unref(g);
    pipit_image_unref(v);
}

static void
test_shrink(void)
{
    /* ITK 5.2 ShrinkImageFilter on the 10 x 7 ramp */
    pipit_image_t *in = ramp(10, 7, 0.7, 1.3, 2.5, -1);
    const char *s32[] = { "factors=3,2", NULL };
    static const double e32[] = { 12, 15, 18, 32, 35, 38, 52, 55, 58 };
    check("shrink", s32, in, NULL, e32, 3, 3, 2.1, 2.6, 3.55, 0.3);
    const char *s4[] = { "factors=4", NULL };
    static const double e4[] = { 33, 37 };
    check("shrink", s4, in, NULL, e4, 2, 1, 2.8, 5.2, 4.25, 2.9);
    /* a factor beyond the size keeps one pixel, centred */
    const char *s20[] = { "factors=20,1", NULL };
    static const double e20[] = { 5, 15, 25, 35, 45, 55, 65 };
    check("shrink", s20, in, NULL, e20, 1, 7, 14, 1.3, 2.5 + 0.7 * 4.5, -1);

    /* ITK 5.2 BinShrinkImageFilter */
    static const double b32[] = { 6, 9, 12, 26, 29, 32, 46, 49, 52 };
    check("bin-shrink", s32, in, NULL, b32, 3, 3, 2.1, 2.6, 3.2, -0.35);
    pipit_node_t *f = tf_filter("bin-shrink", s20, in, NULL);
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "smaller");
    ASSERT_FAILS_WITH(pipit_node_set(f, "factors", "0"), PIPIT_EINVAL,
                      "factors");
    pipit_node_unref(f);
    pipit_image_unref(in);

    /* integers round half up, as ITK's Math::Round */
    pipit_image_t *i = tf_row(4, 1, PIPIT_I16,
                              (const double[]){ 1, 2, -3, -2 });
    const char *s2[] = { "factors=2,1", NULL };
    static const double ei[] = { 2, -2 };
    check("bin-shrink", s2, i, NULL, ei, 2, 1, 2, 1, 0.5, 0);
    pipit_image_unref(i);
}

static void
test_checkerboard(void)
{
    double zero[16] = { 0 }, one[16];
    for (int k = 0; k < 16; k++)
        one[k] = 1;
    pipit_image_t *a = tf_row(4, 4, PIPIT_U8, zero);
    pipit_image_t *b = tf_row(4, 4, PIPIT_U8, one);
    const char *s[] = { "pattern=2", NULL };
    static const double e[] = { 0, 0, 1, 1, 0, 0, 1, 1,
                                1, 1, 0, 0, 1, 1, 0, 0 };
    check("checkerboard", s, a, b, e, 4, 4, 1, 1, 0, 0);
    /* ITK's rule on 5 pixels in 2 blocks: width 2, a third block of 1 */
    pipit_image_unref(a);
    pipit_image_unref(b);
    a = tf_row(5, 1, PIPIT_F32, zero);
    b = tf_row(5, 1, PIPIT_F32, one);
    static const double e5[] = { 0, 0, 1, 1, 0 };
    check("checkerboard", s, a, b, e5, 5, 1, 1, 1, 0, 0);
    pipit_image_unref(a);
    pipit_image_unref(b);
}

static void
test_change_information(void)
{
    pipit_image_t *in = tf_row(3, 3, PIPIT_F32,
                               (const double[]){ 1, 2, 3, 4, 5, 6, 7, 8, 9 });
    const char *s[] = { "spacing=2", "origin=1,2", "direction=0,1,1,0",
                        NULL };
    pipit_node_t *f = tf_filter("change-information", s, in, NULL);
    ASSERT_OK(pipit_node_update(f));
    pipit_image_t *out = pipit_node_get_output(f, 0);
    assert_geometry(out, 3, 3, 2, 2, 1, 2);
    const double *d = pipit_image_direction(out);
    CU_ASSERT(d[0] == 0 && d[1] == 1 && d[2] == 1 && d[3] == 0);
    /* no pixel copied: the output shares the input's buffer */
    CU_ASSERT_PTR_EQUAL(pipit_image_get_buffer(out),
                        pipit_image_get_buffer(in));
    CU_ASSERT_PTR_EQUAL(pipit_image_data(out), pipit_image_data(in));
    /* ... and a write through the output copies first */
    float *w = pipit_image_data_writable(out);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    w[0] = 42;
    size_t idx[2] = { 0, 0 };
    CU_ASSERT_EQUAL(pipit_image_get_value(in, idx, 0), 1);
    /* centre: the middle pixel at the physical origin */
    ASSERT_OK(pipit_node_set(f, "center", "true"));
    ASSERT_OK(pipit_node_update(f));
    out = pipit_node_get_output(f, 0);
    double mid[2] = { 1, 1 }, p[2];
    pipit_image_index_to_point(out, mid, p);
    CU_ASSERT_DOUBLE_EQUAL(p[0], 0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(p[1], 0, 1e-12);
    CU_ASSERT_EQUAL(pipit_image_get_value(out, idx, 0), 1);
    /* a reference image gives its geometry */
    pipit_image_t *ref = tf_row(2, 2, PIPIT_U8,
                                (const double[]){ 0, 0, 0, 0 });
    ASSERT_OK(pipit_image_set_spacing(ref, (const double[]){ 3, 4 }));
    ASSERT_OK(pipit_image_set_origin(ref, (const double[]){ -5, 6 }));
    pipit_node_t *g = pipit_change_information_new();
    ASSERT_OK(pipit_node_set_input_image(g, 0, in));
    ASSERT_OK(pipit_node_set_input_image(g, 1, ref));
    ASSERT_OK(pipit_node_update(g));
    assert_geometry(pipit_node_get_output(g, 0), 3, 3, 3, 4, -5, 6);
    /* bad values name the setting */
    ASSERT_OK(pipit_node_set(f, "direction", "1,2"));
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "direction");
    ASSERT_OK(pipit_node_set(f, "direction", "1,0,2,0"));
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "singular");
    ASSERT_OK(pipit_node_set(f, "direction", ""));
    ASSERT_OK(pipit_node_set(f, "spacing", "1,-1"));
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "spacing");
    ASSERT_OK(pipit_node_set(f, "spacing", "1,x"));
    ASSERT_FAILS_WITH(pipit_node_update(f), PIPIT_EINVAL, "spacing");
    pipit_node_unref(g);
    pipit_node_unref(f);
    pipit_image_unref(ref);
    pipit_image_unref(in);
}

const test_case_t test_filters_grid_cases[] = {
    { "extract", test_extract },
    { "pads", test_pads },
    { "flip", test_flip },
    { "permute", test_permute },
    { "shrink", test_shrink },
    { "checkerboard", test_checkerboard },
    { "change_information", test_change_information },
    { NULL, NULL },
};

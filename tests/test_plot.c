/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The convergence plot's rasteriser (tools/plot.c): a known line lands
 * on the pixels the frame maps it to and nowhere far from them, a NaN
 * breaks a curve, the ranges hold the data, the series' colours differ,
 * and the image survives a PNG round trip.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/io.h>
#include <pipit/pipit.h>

#include "../tools/plot.h"
#include "testutil.h"

#define W 400
#define H 300

/* The RGB colour of a pixel of the plot (palette indices). */
static const uint8_t *
pixel(const pipit_image_t *img, int x, int y)
{
    const uint8_t *p = pipit_image_data(img);
    return tool_plot_palette[p[(size_t)y * W + (size_t)x]];
}

/* Whether the pixel nearest (px, py), or one of its 8 neighbours, has
 * colour rgb. */
static bool
near_colour(const pipit_image_t *img, double px, double py,
            const uint8_t rgb[3])
{
    int x0 = (int)lround(px), y0 = (int)lround(py);
    for (int y = y0 - 1; y <= y0 + 1; y++)
        for (int x = x0 - 1; x <= x0 + 1; x++)
            if (x >= 0 && y >= 0 && x < W && y < H &&
                memcmp(pixel(img, x, y), rgb, 3) == 0)
                return true;
    return false;
}

static void
test_known_line(void)
{
    double x[11], y[11];
    for (int i = 0; i <= 10; i++)
        x[i] = i, y[i] = 2.0 * i + 1.0; /* y = 2x + 1 */
    tool_plot_series_t s = { "R0", x, y, 11 };
    tool_plot_frame_t f;
    pipit_image_t *img = tool_plot_draw(&s, 1, W, H, "iteration", "metric",
                                        &f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    CU_ASSERT_EQUAL(pipit_image_dim(img), 2);
    CU_ASSERT_EQUAL(pipit_image_components(img), 1);
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_U8);
    CU_ASSERT_EQUAL(pipit_image_size(img)[0], W);
    CU_ASSERT_EQUAL(pipit_image_size(img)[1], H);
    /* the ranges hold the data and are whole ticks */
    CU_ASSERT(f.x0 <= 0.0 && f.x1 >= 10.0);
    CU_ASSERT(f.y0 <= 1.0 && f.y1 >= 21.0);
    CU_ASSERT(f.left < f.right && f.top < f.bottom);
    CU_ASSERT(f.right < W && f.bottom < H);
    CU_ASSERT_DOUBLE_EQUAL(remainder(f.y0, f.y_step), 0.0, 1e-9);
    uint8_t blue[3];
    tool_plot_colour(0, blue);
    /* on the line: every half unit of x */
    for (double t = 0.0; t <= 10.0; t += 0.5) {
        double px, py;
        tool_plot_to_pixel(&f, t, 2.0 * t + 1.0, &px, &py);
        if (!near_colour(img, px, py, blue))
            fprintf(stderr, "\nno curve at x=%g (pixel %.1f, %.1f)\n", t,
                    px, py);
        CU_ASSERT(near_colour(img, px, py, blue));
    }
    /* off the line: 6 units of y (far more than 3 pixels) below it, and
     * 6 above it where the legend is not */
    for (double t = 3.0; t <= 10.0; t += 0.5) {
        double px, py;
        tool_plot_to_pixel(&f, t, 2.0 * t + 1.0 - 6.0, &px, &py);
        CU_ASSERT(!near_colour(img, px, py, blue));
    }
    for (double t = 0.0; t <= 4.0; t += 0.5) {
        double px, py;
        tool_plot_to_pixel(&f, t, 2.0 * t + 1.0 + 6.0, &px, &py);
        CU_ASSERT(!near_colour(img, px, py, blue));
    }
    /* the mapping itself: the frame's corners */
    double px, py;
    tool_plot_to_pixel(&f, f.x0, f.y0, &px, &py);
    CU_ASSERT_DOUBLE_EQUAL(px, f.left, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(py, f.bottom, 1e-9);
    tool_plot_to_pixel(&f, f.x1, f.y1, &px, &py);
    CU_ASSERT_DOUBLE_EQUAL(px, f.right, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(py, f.top, 1e-9);
    /* nothing of the curve's colour outside the plot area (clipped), but
     * the legend's sample line in the row above it */
    for (int yy = (int)f.top; yy < H; yy++)
        for (int xx = 0; xx < W; xx++)
            if (xx < (int)f.left || xx > (int)f.right || yy > (int)f.bottom)
                CU_ASSERT_FATAL(memcmp(pixel(img, xx, yy), blue, 3) != 0);
    pipit_image_unref(img);
}

static void
test_nan_breaks_curve(void)
{
    double x[11], y[11];
    for (int i = 0; i <= 10; i++)
        x[i] = i, y[i] = 0.0;
    y[5] = NAN;
    tool_plot_series_t s[2] = { { "R0", x, y, 11 }, { "R1", x, y, 0 } };
    tool_plot_frame_t f;
    pipit_image_t *img = tool_plot_draw(s, 2, W, H, NULL, NULL, &f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    uint8_t c0[3];
    tool_plot_colour(0, c0);
    double px, py;
    tool_plot_to_pixel(&f, 2.0, 0.0, &px, &py);
    CU_ASSERT(near_colour(img, px, py, c0));
    tool_plot_to_pixel(&f, 8.0, 0.0, &px, &py);
    CU_ASSERT(near_colour(img, px, py, c0));
    /* x = 4..6 is not joined across the NaN */
    tool_plot_to_pixel(&f, 5.0, 0.0, &px, &py);
    CU_ASSERT(!near_colour(img, px, py, c0));
    pipit_image_unref(img);
}

static void
test_colours_and_png(void)
{
    uint8_t a[3], b[3];
    for (size_t i = 0; i < 8; i++)
        for (size_t j = i + 1; j < 8; j++) {
            tool_plot_colour(i, a);
            tool_plot_colour(j, b);
            CU_ASSERT(memcmp(a, b, 3) != 0);
        }
    double x[3] = { 0, 1, 2 }, y0[3] = { 3, 2, 1.5 }, y1[3] = { 1, 0.5, 0.4 };
    tool_plot_series_t s[2] = { { "R0", x, y0, 3 }, { "R1", x, y1, 3 } };
    pipit_image_t *img = tool_plot_draw(s, 2, W, H, "iteration", "metric",
                                        NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    /* written as the command writes it, with the palette, and read back
     * as RGB: every pixel the palette's colour of its index */
    const char *path = test_tmp("plot.png");
    pipit_write_options_t opt = { .compress = true, .level = 1,
                                  .palette = tool_plot_palette,
                                  .palette_size = TOOL_PLOT_COLOURS };
    ASSERT_OK(pipit_image_write_with(img, path, &opt));
    pipit_image_t *back = NULL;
    ASSERT_OK(pipit_image_read(path, &back));
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_EQUAL(pipit_image_components(back), 3);
    CU_ASSERT_EQUAL(pipit_image_pixel_type(back), PIPIT_U8);
    CU_ASSERT_EQUAL(pipit_image_size(back)[0], W);
    CU_ASSERT_EQUAL(pipit_image_size(back)[1], H);
    size_t wrong = 0;
    for (int yy = 0; yy < H; yy++)
        for (int xx = 0; xx < W; xx++)
            wrong += memcmp((const uint8_t *)pipit_image_data(back) +
                                3 * ((size_t)yy * W + (size_t)xx),
                            pixel(img, xx, yy), 3) != 0;
    CU_ASSERT_EQUAL(wrong, 0);
    /* both curves' colours are there */
    size_t n0 = 0, n1 = 0;
    tool_plot_colour(0, a);
    tool_plot_colour(1, b);
    for (size_t i = 0; i < (size_t)W * H; i++) {
        const uint8_t *p = pixel(img, (int)(i % W), (int)(i / W));
        n0 += memcmp(p, a, 3) == 0;
        n1 += memcmp(p, b, 3) == 0;
    }
    CU_ASSERT(n0 > 50 && n1 > 50);
    CU_ASSERT_EQUAL(tool_plot_text_width("R0", 2), 22);
    pipit_image_unref(back);
    pipit_image_unref(img);
}

const test_case_t test_plot_cases[] = {
    { "known_line", test_known_line },
    { "nan_breaks_curve", test_nan_breaks_curve },
    { "colours_and_png", test_colours_and_png },
    { NULL, NULL },
};

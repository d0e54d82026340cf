/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny line-plot rasteriser for `pipit register`'s convergence plot:
 * curves y(x) with axes, ticks, tick labels, axis titles and a legend,
 * drawn into a u8 image of palette indices (tool_plot_palette; PNG
 * writes it as a 4-bit palette image, a quarter of RGB's deflate work) with pipit's own 5x7 bitmap font (digits,
 * "+-.:" and the capitals ACEIMNOPRT; lower case is drawn as capitals,
 * other characters as blanks). No dependency beyond pipit's image.
 */
#ifndef PIPIT_TOOL_PLOT_H
#define PIPIT_TOOL_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include <pipit/image.h>

/** One curve: n points (x[k], y[k]); non-finite points break the line. */
typedef struct tool_plot_series {
    const char *label; /* legend text ("R0") */
    const double *x, *y;
    size_t n;
} tool_plot_series_t;

/**
 * Where the data lands: the plot area is the pixel rectangle
 * [left, right] x [top, bottom] (image rows grow downwards), showing
 * data x in [x0, x1] and y in [y0, y1] (y0 at the bottom). The ranges
 * are the data's, widened to whole tick steps.
 */
typedef struct tool_plot_frame {
    unsigned width, height;
    unsigned left, top, right, bottom;
    double x0, x1, y0, y1;
    double x_step, y_step; /* tick spacing in data units */
} tool_plot_frame_t;

/** The plot's colours: white, black, the grid's grey, then the series'
 * 8 distinct colours (repeating for more series). */
enum {
    TOOL_PLOT_WHITE, TOOL_PLOT_BLACK, TOOL_PLOT_GRID, TOOL_PLOT_SERIES,
    TOOL_PLOT_COLOURS = TOOL_PLOT_SERIES + 8
};
extern const uint8_t tool_plot_palette[TOOL_PLOT_COLOURS][3];

/** The palette index of series k, and its RGB colour. */
uint8_t tool_plot_series_colour(size_t k);
void tool_plot_colour(size_t k, uint8_t rgb[3]);

/** The frame tool_plot_draw uses for these series and image size. */
void tool_plot_layout(tool_plot_frame_t *f, unsigned width, unsigned height,
                      const tool_plot_series_t *s, size_t n);

/** The pixel (column px, row py; not rounded) of data point (x, y). */
void tool_plot_to_pixel(const tool_plot_frame_t *f, double x, double y,
                        double *px, double *py);

/**
 * Draws the n series into a new width x height u8 image of one
 * component, indices into tool_plot_palette (white background); *frame (when not NULL) gets the layout.
 * width and height at least 200 x 150. New reference, or NULL with
 * pipit's error set.
 */
pipit_image_t *tool_plot_draw(const tool_plot_series_t *s, size_t n,
                              unsigned width, unsigned height,
                              const char *x_title, const char *y_title,
                              tool_plot_frame_t *frame);

/** Pixel width of text drawn at scale (6 * scale per character). */
unsigned tool_plot_text_width(const char *text, unsigned scale);

#endif

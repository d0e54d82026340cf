/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The convergence plot's rasteriser (see plot.h): Cohen-Sutherland
 * clipping to the plot area, then Bresenham lines two pixels wide;
 * ticks at 1, 2 or 5 times a power of ten; a 5x7 bitmap font.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "plot.h"

#define SCALE 2      /* font scale: 10x14 pixel glyphs */
#define TICK 6       /* tick length in pixels */
#define N_TICKS 6    /* about this many ticks per axis */

/* ---- font --------------------------------------------------------------- */

/* 5x7 glyphs, one string a row, '#' on. */
static const struct glyph {
    char c;
    const char *rows[7];
} font[] = {
    { '0', { ".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###." } },
    { '1', { "..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###." } },
    { '2', { ".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####" } },
    { '3', { "#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###." } },
    { '4', { "...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#." } },
    { '5', { "#####", "#....", "####.", "....#", "....#", "#...#", ".###." } },
    { '6', { "..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###." } },
    { '7', { "#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..." } },
    { '8', { ".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###." } },
    { '9', { ".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.." } },
    { '-', { ".....", ".....", ".....", "#####", ".....", ".....", "....." } },
    { '+', { ".....", "..#..", "..#..", "#####", "..#..", "..#..", "....." } },
    { '.', { ".....", ".....", ".....", ".....", ".....", ".##..", ".##.." } },
    { ':', { ".....", ".##..", ".##..", ".....", ".##..", ".##..", "....." } },
    { 'A', { ".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#" } },
    { 'C', { ".###.", "#...#", "#....", "#....", "#....", "#...#", ".###." } },
    { 'E', { "#####", "#....", "#....", "####.", "#....", "#....", "#####" } },
    { 'I', { ".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###." } },
    { 'M', { "#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#" } },
    { 'N', { "#...#", "#...#", "##..#", "#.#.#", "#..##", "#...#", "#...#" } },
    { 'O', { ".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###." } },
    { 'P', { "####.", "#...#", "#...#", "####.", "#....", "#....", "#...." } },
    { 'R', { "####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#" } },
    { 'T', { "#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.." } },
};

static const struct glyph *
find_glyph(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - 'a' + 'A');
    for (size_t i = 0; i < sizeof font / sizeof font[0]; i++)
        if (font[i].c == c)
            return &font[i];
    return NULL;
}

unsigned
tool_plot_text_width(const char *text, unsigned scale)
{
    size_t n = strlen(text);
    return n == 0 ? 0 : (unsigned)(6 * n - 1) * scale;
}

/* ---- canvas ------------------------------------------------------------- */

typedef struct canvas {
    uint8_t *px; /* tool_plot_palette indices, rows top to bottom */
    int w, h;
} canvas_t;

static void
put(canvas_t *c, int x, int y, uint8_t colour)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return;
    c->px[(size_t)y * (size_t)c->w + (size_t)x] = colour;
}

static void
fill(canvas_t *c, int x0, int y0, int x1, int y1, uint8_t colour)
{
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            put(c, x, y, colour);
}

/* Text with its top-left corner at (x, y). */
static void
text(canvas_t *c, int x, int y, const char *s, uint8_t colour)
{
    for (; *s != '\0'; s++, x += 6 * SCALE) {
        const struct glyph *g = find_glyph(*s);
        if (g == NULL)
            continue;
        for (int r = 0; r < 7; r++)
            for (int k = 0; k < 5; k++)
                if (g->rows[r][k] == '#')
                    fill(c, x + k * SCALE, y + r * SCALE,
                         x + k * SCALE + SCALE - 1, y + r * SCALE + SCALE - 1,
                         colour);
    }
}

/* Bresenham from (x0, y0) to (x1, y1), both ends included. */
static void
segment(canvas_t *c, int x0, int y0, int x1, int y1, uint8_t colour)
{
    int dx = x1 > x0 ? x1 - x0 : x0 - x1, sx = x0 < x1 ? 1 : -1;
    int dy = y1 > y0 ? y0 - y1 : y1 - y0, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        put(c, x0, y0, colour);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

/* Cohen-Sutherland outcodes against the rectangle [l, r] x [t, b]. */
static unsigned
outcode(double x, double y, double l, double t, double r, double b)
{
    return (x < l ? 1u : 0u) | (x > r ? 2u : 0u) | (y < t ? 4u : 0u) |
           (y > b ? 8u : 0u);
}

/* The part of the line (x0,y0)-(x1,y1) inside the plot area, two pixels
 * wide (the second one below or right of the first). */
static void
clipped_line(canvas_t *c, const tool_plot_frame_t *f, double x0, double y0,
             double x1, double y1, uint8_t colour)
{
    double l = f->left, t = f->top, r = f->right, b = f->bottom;
    unsigned c0 = outcode(x0, y0, l, t, r, b), c1 = outcode(x1, y1, l, t, r, b);
    while (c0 | c1) {
        if (c0 & c1)
            return; /* wholly on one outer side */
        unsigned out = c0 ? c0 : c1;
        double x, y;
        if (out & 8u) {
            x = x0 + (x1 - x0) * (b - y0) / (y1 - y0), y = b;
        } else if (out & 4u) {
            x = x0 + (x1 - x0) * (t - y0) / (y1 - y0), y = t;
        } else if (out & 2u) {
            y = y0 + (y1 - y0) * (r - x0) / (x1 - x0), x = r;
        } else {
            y = y0 + (y1 - y0) * (l - x0) / (x1 - x0), x = l;
        }
        if (out == c0) {
            x0 = x, y0 = y;
            c0 = outcode(x0, y0, l, t, r, b);
        } else {
            x1 = x, y1 = y;
            c1 = outcode(x1, y1, l, t, r, b);
        }
    }
    int ix0 = (int)lround(x0), iy0 = (int)lround(y0);
    int ix1 = (int)lround(x1), iy1 = (int)lround(y1);
    segment(c, ix0, iy0, ix1, iy1, colour);
    /* thicken across the line's main direction, staying inside the area */
    bool steep = (iy1 > iy0 ? iy1 - iy0 : iy0 - iy1) >
                 (ix1 > ix0 ? ix1 - ix0 : ix0 - ix1);
    if (steep && ix0 + 1 <= (int)f->right && ix1 + 1 <= (int)f->right)
        segment(c, ix0 + 1, iy0, ix1 + 1, iy1, colour);
    else if (!steep && iy0 + 1 <= (int)f->bottom && iy1 + 1 <= (int)f->bottom)
        segment(c, ix0, iy0 + 1, ix1, iy1 + 1, colour);
}

/* ---- layout ------------------------------------------------------------- */

const uint8_t tool_plot_palette[TOOL_PLOT_COLOURS][3] = {
    { 255, 255, 255 }, { 0, 0, 0 }, { 225, 225, 225 },
    { 31, 119, 180 },  { 255, 127, 14 }, { 44, 160, 44 },
    { 214, 39, 40 },   { 148, 103, 189 }, { 140, 86, 75 },
    { 227, 119, 194 }, { 127, 127, 127 },
};

uint8_t
tool_plot_series_colour(size_t k)
{
    return (uint8_t)(TOOL_PLOT_SERIES + k % (TOOL_PLOT_COLOURS -
                                             TOOL_PLOT_SERIES));
}

void
tool_plot_colour(size_t k, uint8_t rgb[3])
{
    memcpy(rgb, tool_plot_palette[tool_plot_series_colour(k)], 3);
}

/* Widens [*lo, *hi] to whole multiples of a 1-2-5 step giving about
 * N_TICKS ticks; returns the step. */
static double
nice_range(double *lo, double *hi)
{
    if (!(*hi > *lo)) {
        double pad = fabs(*lo) > 0 ? fabs(*lo) * 0.1 : 1.0;
        *lo -= pad, *hi += pad;
    }
    double raw = (*hi - *lo) / N_TICKS;
    double mag = pow(10.0, floor(log10(raw)));
    double norm = raw / mag;
    double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
    if (!(*hi > *lo))
        *hi = *lo + step;
    return step;
}

/* A tick label: enough decimals for the step, "-0" avoided. */
static void
tick_label(char *buf, size_t size, double v, double step)
{
    int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (fabs(v) < step * 1e-6)
        v = 0.0;
    if (decimals > 6 || fabs(v) >= 1e7)
        snprintf(buf, size, "%.3g", v);
    else
        snprintf(buf, size, "%.*f", decimals, v);
}

void
tool_plot_layout(tool_plot_frame_t *f, unsigned width, unsigned height,
                 const tool_plot_series_t *s, size_t n)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    bool whole = true; /* x all integers (iterations): integer ticks */
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i]))
                continue;
            x0 = fmin(x0, s[k].x[i]), x1 = fmax(x1, s[k].x[i]);
            whole = whole && s[k].x[i] == floor(s[k].x[i]);
            y0 = fmin(y0, s[k].y[i]), y1 = fmax(y1, s[k].y[i]);
        }
    if (!(x1 >= x0))
        x0 = 0, x1 = 1;
    if (!(y1 >= y0))
        y0 = 0, y1 = 1;
    memset(f, 0, sizeof *f);
    f->width = width, f->height = height;
    f->x0 = x0, f->x1 = x1, f->y0 = y0, f->y1 = y1;
    f->x_step = nice_range(&f->x0, &f->x1);
    if (whole && f->x_step < 1.0) {
        f->x_step = 1.0;
        f->x0 = floor(f->x0), f->x1 = ceil(f->x1);
        if (!(f->x1 > f->x0))
            f->x1 = f->x0 + 1.0;
    }
    f->y_step = nice_range(&f->y0, &f->y1);
    /* room on the left for the widest y tick label */
    unsigned label_w = 0;
    for (double v = f->y0; v <= f->y1 + f->y_step * 1e-6; v += f->y_step) {
        char buf[32];
        tick_label(buf, sizeof buf, v, f->y_step);
        unsigned w = tool_plot_text_width(buf, SCALE);
        if (w > label_w)
            label_w = w;
    }
    f->left = 10 + label_w + TICK + 4;
    f->top = 7 * SCALE + 7 * SCALE / 2 + 14; /* title, half a label */
    f->right = width - 20;
    f->bottom = height - (TICK + 4 + 7 * SCALE + 8 + 7 * SCALE + 10);
    if (f->left + 20 > f->right)
        f->left = f->right - 20;
}

void
tool_plot_to_pixel(const tool_plot_frame_t *f, double x, double y,
                   double *px, double *py)
{
    *px = f->left + (x - f->x0) / (f->x1 - f->x0) * (f->right - f->left);
    *py = f->bottom - (y - f->y0) / (f->y1 - f->y0) * (f->bottom - f->top);
}

pipit_image_t *
tool_plot_draw(const tool_plot_series_t *s, size_t n, unsigned width,
               unsigned height, const char *x_title, const char *y_title,
               tool_plot_frame_t *frame)
{
    const uint8_t black = TOOL_PLOT_BLACK, grid = TOOL_PLOT_GRID;
    if (width < 200)
        width = 200;
    if (height < 150)
        height = 150;
    size_t size[2] = { width, height };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_U8, 1);
    if (img == NULL)
        return NULL;
    canvas_t c = { pipit_image_data_writable(img), (int)width, (int)height };
    memset(c.px, TOOL_PLOT_WHITE, (size_t)width * height);
    tool_plot_frame_t f;
    tool_plot_layout(&f, width, height, s, n);
    /* The legend flows in rows after the y title, right of it, and the
     * plot starts below its last row, so no label hides another. */
    const int row_h = 7 * SCALE + 6;
    int legend_x0 = 10 + (y_title != NULL
                              ? (int)tool_plot_text_width(y_title, SCALE) + 24
                              : 0);
    int rows = 1, lx = legend_x0;
    for (size_t k = 0; k < n; k++) {
        int w = 28 + (int)tool_plot_text_width(s[k].label ? s[k].label : "",
                                               SCALE);
        if (lx > legend_x0 && lx + w > (int)f.right) {
            rows++;
            lx = legend_x0;
        }
        lx += w + 16;
    }
    f.top += (double)((rows - 1) * row_h);
    int l = (int)f.left, t = (int)f.top, r = (int)f.right, b = (int)f.bottom;
    char buf[32];
    /* grid lines and ticks with their labels */
    for (double v = f.x0; v <= f.x1 + f.x_step * 1e-6; v += f.x_step) {
        double px, py;
        tool_plot_to_pixel(&f, v, f.y0, &px, &py);
        int x = (int)lround(px);
        segment(&c, x, t, x, b - 1, grid);
        segment(&c, x, b, x, b + TICK, black);
        tick_label(buf, sizeof buf, v, f.x_step);
        text(&c, x - (int)tool_plot_text_width(buf, SCALE) / 2,
             b + TICK + 4, buf, black);
    }
    for (double v = f.y0; v <= f.y1 + f.y_step * 1e-6; v += f.y_step) {
        double px, py;
        tool_plot_to_pixel(&f, f.x0, v, &px, &py);
        int y = (int)lround(py);
        segment(&c, l + 1, y, r, y, grid);
        segment(&c, l - TICK, y, l, y, black);
        tick_label(buf, sizeof buf, v, f.y_step);
        text(&c, l - TICK - 4 - (int)tool_plot_text_width(buf, SCALE),
             y - 7 * SCALE / 2, buf, black);
    }
    /* axes */
    segment(&c, l, t, l, b, black);
    segment(&c, l, b, r, b, black);
    if (x_title != NULL)
        text(&c, (l + r - (int)tool_plot_text_width(x_title, SCALE)) / 2,
             b + TICK + 4 + 7 * SCALE + 8, x_title, black);
    if (y_title != NULL)
        text(&c, 10, 8, y_title, black);
    /* curves; a non-finite point breaks the line */
    for (size_t k = 0; k < n; k++) {
        uint8_t colour = tool_plot_series_colour(k);
        bool have = false;
        double px0 = 0, py0 = 0;
        for (size_t i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i])) {
                have = false;
                continue;
            }
            double px, py;
            tool_plot_to_pixel(&f, s[k].x[i], s[k].y[i], &px, &py);
            if (have)
                clipped_line(&c, &f, px0, py0, px, py, colour);
            else if (s[k].n == 1)
                clipped_line(&c, &f, px, py, px, py, colour);
            px0 = px, py0 = py, have = true;
        }
    }
    /* legend rows, as measured above */
    int ly = 8;
    lx = legend_x0;
    for (size_t k = 0; k < n; k++) {
        const char *label = s[k].label ? s[k].label : "";
        int w = 28 + (int)tool_plot_text_width(label, SCALE);
        if (lx > legend_x0 && lx + w > r) {
            ly += row_h;
            lx = legend_x0;
        }
        uint8_t colour = tool_plot_series_colour(k);
        fill(&c, lx, ly + 7 * SCALE / 2 - 1, lx + 22, ly + 7 * SCALE / 2,
             colour);
        text(&c, lx + 28, ly, label, black);
        lx += w + 16;
    }
    if (frame != NULL)
        *frame = f;
    return img;
}

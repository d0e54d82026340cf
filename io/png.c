/* SPDX-License-Identifier: Apache-2.0 */
/*
 * PNG through libpng. libpng reports errors by longjmp: every function
 * here that calls into libpng sets its own setjmp first and keeps no
 * state in locals across it, so a corrupt file unwinds to our cleanup,
 * never past it; messages go to our buffer, never to stderr.
 *
 * Spacing is always 1 (pHYs is ignored, as ITK does). A palette whose
 * colours are all grey reads as scalar grey values; any other palette as
 * RGB (RGBA with a tRNS chunk).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <png.h>
#include <zlib.h>

#include "io_impl.h"

#define FMT "png"
/* A deflate stream expands at most about 1032 times. */
#define ZLIB_MAX_RATIO 1040u
#define IN_BUFFER (64u << 10)

typedef struct png_dec {
    png_structp png;
    png_infop info;
    int fd;
    uint64_t file_size, file_pos;
    unsigned char *in;
    size_t in_len, in_pos;
    const char *path;
    char msg[256];
    char warning[128];      /* libpng's last warning: often the detail */
    pipit_status_t st;      /* set by callbacks before a longjmp */
    uint32_t width, height;
    unsigned comps, passes;
    pipit_pixel_type_t type;
    bool lut_used;          /* grey palette: index -> grey value */
    uint8_t lut[256];
    size_t rowbytes;        /* after transforms */
    uint32_t next_row;      /* rows read so far (non-interlaced) */
    unsigned char *row;
    unsigned char *image;   /* interlaced: every row */
} png_dec_t;

bool pipit__png_ignore_crc;

typedef struct png_reader {
    pipit_node_t base;
    char *path;
    png_dec_t *dec;
} png_reader_t;

/* ---- libpng callbacks --------------------------------------------------- */

static void
on_error(png_structp png, png_const_charp msg)
{
    png_dec_t *d = png_get_error_ptr(png);
    snprintf(d->msg, sizeof d->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void
on_warning(png_structp png, png_const_charp msg)
{
    (void)png, (void)msg;  /* libpng fixed or skipped it */
}

static void
on_read_warning(png_structp png, png_const_charp msg)
{
    png_dec_t *d = png_get_error_ptr(png);
    snprintf(d->warning, sizeof d->warning, "%s", msg);
}

static void
on_read(png_structp png, png_bytep dst, size_t n)
{
    png_dec_t *d = png_get_io_ptr(png);
    while (n > 0) {
        if (d->in_pos == d->in_len) {
            uint64_t left = d->file_size - d->file_pos;
            size_t want = left < IN_BUFFER ? (size_t)left : IN_BUFFER;
            if (want == 0) {
                d->st = PIPIT_EFORMAT;
                png_error(png, "file is truncated");
            }
            if (pipit__file_pread(d->fd, d->in, want, d->file_pos, FMT,
                                  d->path) != PIPIT_OK) {
                d->st = PIPIT_EIO;
                png_error(png, "read failed");
            }
            d->file_pos += want;
            d->in_len = want;
            d->in_pos = 0;
        }
        size_t k = d->in_len - d->in_pos < n ? d->in_len - d->in_pos : n;
        memcpy(dst, d->in + d->in_pos, k);
        d->in_pos += k, dst += k, n -= k;
    }
}

/* The status for a libpng failure: what a callback set, else a format
 * error (libpng's own "out of memory" excepted). */
static pipit_status_t
dec_failure(png_dec_t *d)
{
    if (d->st == PIPIT_EIO)
        return pipit__error(PIPIT_EIO, FMT ": '%s': read failed", d->path);
    if (strstr(d->msg, "memory") != NULL)
        return pipit__error(PIPIT_ENOMEM, FMT ": '%s': %s", d->path, d->msg);
    return pipit__error(PIPIT_EFORMAT, FMT ": '%s': %s%s%s%s", d->path,
                        d->msg, d->warning[0] != '\0' ? " (" : "",
                        d->warning, d->warning[0] != '\0' ? ")" : "");
}

static void
dec_free(png_dec_t *d)
{
    if (d == NULL)
        return;
    if (d->png != NULL)
        png_destroy_read_struct(&d->png, &d->info, NULL);
    if (d->fd >= 0)
        close(d->fd);
    pipit__free(d->in);
    pipit__free(d->row);
    pipit__free(d->image);
    pipit__free(d);
}

/* Sets the transforms after png_read_info; false when libpng failed. */
static pipit_status_t
dec_setup(png_dec_t *d)
{
    png_structp png = d->png;
    png_infop info = d->info;
    if (setjmp(png_jmpbuf(png)))
        return dec_failure(d);
    png_read_info(png, info);
    png_uint_32 w, h;
    int depth, color, interlace;
    png_get_IHDR(png, info, &w, &h, &depth, &color, &interlace, NULL, NULL);
    d->width = w, d->height = h;
    /* The raw rows plus their filter bytes must come from the file's
     * compressed bytes: refuse before anything is allocated. */
    unsigned ch = png_get_channels(png, info);
    uint64_t rowbits, raw, most;
    if (!pipit__mul_u64((uint64_t)w * ch, (uint64_t)depth, &rowbits) ||
        !pipit__mul_u64(rowbits / 8 + 2, h, &raw) ||
        !pipit__mul_u64(d->file_size, ZLIB_MAX_RATIO, &most) ||
        raw > most + 4096)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': %ux%u pixels cannot "
                            "come from a %llu-byte file", d->path,
                            (unsigned)w, (unsigned)h,
                            (unsigned long long)d->file_size);
    d->type = depth == 16 ? PIPIT_U16 : PIPIT_U8;
    if (depth == 16 && !pipit__host_is_big_endian())
        png_set_swap(png);
    switch (color) {
    case PNG_COLOR_TYPE_GRAY:
        d->comps = 1;
        if (depth < 8)
            png_set_expand_gray_1_2_4_to_8(png);
        break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: d->comps = 2; break;
    case PNG_COLOR_TYPE_RGB: d->comps = 3; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: d->comps = 4; break;
    case PNG_COLOR_TYPE_PALETTE: {
        png_colorp pal = NULL;
        int n = 0;
        png_get_PLTE(png, info, &pal, &n);
        bool grey = pal != NULL && n > 0 &&
                    !png_get_valid(png, info, PNG_INFO_tRNS);
        for (int i = 0; grey && i < n; i++)
            grey = pal[i].red == pal[i].green && pal[i].red == pal[i].blue;
        if (grey) {
            /* Keep the indices (one byte each) and map them ourselves. */
            d->comps = 1;
            d->lut_used = true;
            memset(d->lut, 0, sizeof d->lut);
            for (int i = 0; i < n && i < 256; i++)
                d->lut[i] = pal[i].red;
            if (depth < 8)
                png_set_packing(png);
        } else {
            png_set_palette_to_rgb(png);
            d->comps = 3;
            if (png_get_valid(png, info, PNG_INFO_tRNS)) {
                png_set_tRNS_to_alpha(png);
                d->comps = 4;
            }
        }
        d->type = PIPIT_U8;
        break;
    }
    default:
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': colour type %d",
                            d->path, color);
    }
    d->passes = (unsigned)png_set_interlace_handling(png);
    png_read_update_info(png, info);
    d->rowbytes = png_get_rowbytes(png, info);
    if (d->rowbytes != (size_t)w * d->comps * pipit_pixel_size(d->type))
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': unexpected row "
                            "size %zu", d->path, d->rowbytes);
    return PIPIT_OK;
}

static pipit_status_t
dec_open(const char *path, png_dec_t **out)
{
    pipit_status_t st;
    unsigned char sig[8];
    png_dec_t *d = pipit__calloc(1, sizeof *d);
    *out = NULL;
    if (d == NULL)
        return PIPIT_ENOMEM;
    d->fd = -1;
    d->path = path;
    if ((st = pipit__file_open(FMT, path, &d->fd, &d->file_size)) != PIPIT_OK)
        goto fail;
    if (d->file_size < 8 ||
        pipit__file_pread(d->fd, sig, 8, 0, FMT, path) != PIPIT_OK ||
        png_sig_cmp(sig, 0, 8) != 0) {
        st = pipit__error(PIPIT_EFORMAT, FMT ": '%s': not a PNG file (bad "
                          "signature)", path);
        goto fail;
    }
    if ((d->in = pipit__malloc(IN_BUFFER)) == NULL) {
        st = PIPIT_ENOMEM;
        goto fail;
    }
    d->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, d, on_error,
                                    on_read_warning);
    if (d->png == NULL || (d->info = png_create_info_struct(d->png)) == NULL) {
        st = pipit__error_nomem();
        goto fail;
    }
    png_set_read_fn(d->png, d, on_read);
    if (pipit__png_ignore_crc)
        png_set_crc_action(d->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
    /* Ancillary chunks (text, ICC profiles) may not ask for more. */
    png_set_chunk_malloc_max(d->png, 8u << 20);
    if ((st = dec_setup(d)) != PIPIT_OK)
        goto fail;
    if ((d->row = pipit__malloc(d->rowbytes)) == NULL) {
        st = PIPIT_ENOMEM;
        goto fail;
    }
    *out = d;
    return PIPIT_OK;
fail:
    dec_free(d);
    return st;
}

/* Reads rows until next_row == stop (non-interlaced), handing each to
 * keep() when it lies in r. */
static pipit_status_t
dec_rows(png_dec_t *d, uint32_t stop, pipit_image_t *img,
         const pipit_region_t *r)
{
    if (setjmp(png_jmpbuf(d->png)))
        return dec_failure(d);
    size_t pb = d->comps * pipit_pixel_size(d->type);
    /* Whole rows with no palette map: decode straight into the image. */
    bool direct = !d->lut_used && r->lo[0] == 0 && r->hi[0] == d->width;
    while (d->next_row < stop) {
        uint32_t y = d->next_row;
        if (direct && y >= r->lo[1]) {
            png_read_row(d->png, (png_bytep)pipit__row(img, y, 0, 0), NULL);
            d->next_row++;
            continue;
        }
        png_read_row(d->png, d->row, NULL);
        d->next_row++;
        if (y < r->lo[1])
            continue;
        char *dst = pipit__row(img, y, 0, 0) + r->lo[0] * pb;
        const unsigned char *src = d->row + r->lo[0] * pb;
        size_t w = r->hi[0] - r->lo[0];
        if (d->lut_used)
            for (size_t x = 0; x < w; x++)
                dst[x] = (char)d->lut[src[x]];
        else
            memcpy(dst, src, w * pb);
    }
    return PIPIT_OK;
}

static pipit_status_t
read_all_rows(png_dec_t *d, png_bytep *rows)
{
    if (setjmp(png_jmpbuf(d->png)))
        return dec_failure(d);
    png_read_image(d->png, rows);
    d->next_row = d->height;
    return PIPIT_OK;
}

/* Interlaced files: every pass touches every row, so decode it all. */
static pipit_status_t
dec_image(png_dec_t *d)
{
    png_bytep *rows = NULL;
    if ((d->image = pipit__malloc(d->rowbytes * d->height)) == NULL ||
        (rows = pipit__malloc(d->height * sizeof *rows)) == NULL) {
        pipit__free(rows);
        return PIPIT_ENOMEM;
    }
    for (uint32_t y = 0; y < d->height; y++)
        rows[y] = d->image + (size_t)y * d->rowbytes;
    pipit_status_t st = read_all_rows(d, rows);
    pipit__free(rows);
    if (st != PIPIT_OK) {
        pipit__free(d->image);  /* never serve a half-decoded image */
        d->image = NULL;
    }
    return st;
}

static void
reader_close(png_reader_t *r)
{
    dec_free(r->dec);
    r->dec = NULL;
}

static pipit_status_t
png_information(pipit_node_t *n)
{
    png_reader_t *r = (png_reader_t *)n;
    const char *path;
    pipit_status_t st = pipit__reader_path(n, &path);
    if (st != PIPIT_OK)
        return st;
    reader_close(r);
    if ((st = dec_open(path, &r->dec)) != PIPIT_OK)
        return st;
    size_t size[2] = { r->dec->width, r->dec->height };
    return pipit__reader_set_output(n, 2, size, r->dec->type, r->dec->comps,
                                    NULL, NULL, NULL);
}

static pipit_status_t
png_generate(pipit_node_t *n)
{
    png_reader_t *r = (png_reader_t *)n;
    const pipit_region_t *reg = &n->requested[0];
    pipit_image_t *out = pipit__output(n, 0);
    pipit_status_t st;
    if (r->dec == NULL)
        return pipit__node_error(n, PIPIT_ESTATE, "no information pass");
    png_dec_t *d = r->dec;
    /* Rows come in order: continue the open stream when the region
     * starts at or after it (a streaming consumer), else start again. */
    if (d->passes == 1 && d->next_row > reg->lo[1]) {
        png_dec_t *fresh;
        if ((st = dec_open(r->path, &fresh)) != PIPIT_OK)
            return st;
        if (fresh->width != d->width || fresh->height != d->height ||
            fresh->comps != d->comps || fresh->type != d->type) {
            dec_free(fresh);
            return pipit__node_error(n, PIPIT_ESTATE, "'%s' changed since "
                                     "the information pass", r->path);
        }
        dec_free(d);
        r->dec = d = fresh;
    }
    if (d->passes == 1)
        return dec_rows(d, (uint32_t)reg->hi[1], out, reg);
    if (d->image == NULL && (st = dec_image(d)) != PIPIT_OK)
        return st;
    size_t pb = d->comps * pipit_pixel_size(d->type);
    size_t w = reg->hi[0] - reg->lo[0];
    for (size_t y = reg->lo[1]; y < reg->hi[1]; y++) {
        char *dst = pipit__row(out, y, 0, 0) + reg->lo[0] * pb;
        const unsigned char *src = d->image + y * d->rowbytes + reg->lo[0] * pb;
        if (d->lut_used)
            for (size_t x = 0; x < w; x++)
                dst[x] = (char)d->lut[src[x]];
        else
            memcpy(dst, src, w * pb);
    }
    return PIPIT_OK;
}

static void
png_finalize(pipit_node_t *n)
{
    reader_close((png_reader_t *)n);
}

static const pipit_setting_t png_reader_settings[] = {
    { "path", PIPIT_SETTING_STRING, offsetof(png_reader_t, path), "",
      "PNG file to read", 1, 0, NULL },
};

const pipit_node_class_t pipit__png_reader_class = {
    .name = "png-reader",
    .help = "reads a PNG file (grey, grey+alpha, RGB, RGBA, palette)",
    .size = sizeof(png_reader_t),
    .n_inputs = 0,
    .n_outputs = 1,
    .settings = png_reader_settings,
    .n_settings = 1,
    .information = png_information,
    .generate = png_generate,
    .finalize = png_finalize,
};

/* ---- the writer ------------------------------------------------------- */

typedef struct png_enc {
    png_structp png;
    png_infop info;
    pipit__out_t out;
    char msg[256];
    const char *path;
    unsigned n_colours;     /* palette: indices must stay below */
} png_enc_t;

static void
on_write(png_structp png, png_bytep p, size_t n)
{
    png_enc_t *e = png_get_io_ptr(png);
    if (pipit__out_write(&e->out, p, n) != PIPIT_OK)
        png_error(png, "write failed");
}

static void
on_flush(png_structp png)
{
    (void)png;
}

static void
on_write_error(png_structp png, png_const_charp msg)
{
    png_enc_t *e = png_get_error_ptr(png);
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    png_longjmp(png, 1);
}

static pipit_status_t
enc_failure(png_enc_t *e)
{
    /* A failed write already set the message, with the system's
     * reason: keep it (formatting it into itself would empty it). */
    if (e->out.st != PIPIT_OK)
        return e->out.st;
    return pipit__error(PIPIT_EFORMAT, FMT ": '%s': %s", e->path, e->msg);
}

static pipit_status_t
png_check(pipit__writer_t *w, const pipit_image_t *info,
          pipit_pixel_type_t type)
{
    if (type != PIPIT_U8 && type != PIPIT_U16)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': PNG holds u8 "
                            "and u16 pixels, not %s (convert the type)",
                            w->path, pipit_pixel_type_name(type));
    if (info->components < 1 || info->components > 4)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': PNG holds 1..4 "
                            "components, not %u", w->path, info->components);
    for (unsigned d = 2; d < info->dim; d++)
        if (info->size[d] != 1)
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': PNG is 2-D; "
                                "the image is %u-D", w->path, info->dim);
    if (info->size[0] > 0x7fffffff || info->size[1] > 0x7fffffff)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': too large for "
                            "PNG", w->path);
    return PIPIT_OK;
}

static pipit_status_t
enc_start(png_enc_t *e, const pipit_image_t *info, pipit_pixel_type_t type,
          int level, const uint8_t (*palette)[3], unsigned n_colours)
{
    static const int colour[5] = { 0, PNG_COLOR_TYPE_GRAY,
                                   PNG_COLOR_TYPE_GRAY_ALPHA,
                                   PNG_COLOR_TYPE_RGB,
                                   PNG_COLOR_TYPE_RGB_ALPHA };
    png_structp png = e->png;
    if (setjmp(png_jmpbuf(png)))
        return enc_failure(e);
    png_set_write_fn(png, e, on_write, on_flush);
    int depth = type == PIPIT_U16 ? 16 : 8;
    if (palette != NULL)
        depth = n_colours <= 2 ? 1 : n_colours <= 4 ? 2 : n_colours <= 16 ? 4
                                                                          : 8;
    png_set_IHDR(png, e->info, (png_uint_32)info->size[0],
                 (png_uint_32)info->size[1], depth,
                 palette != NULL ? PNG_COLOR_TYPE_PALETTE
                                 : colour[info->components],
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (palette != NULL) {
        png_color pal[256];
        for (unsigned i = 0; i < n_colours; i++)
            pal[i] = (png_color){ palette[i][0], palette[i][1],
                                  palette[i][2] };
        png_set_PLTE(png, e->info, pal, (int)n_colours);
    }
    png_set_compression_level(png, level);
    /* At the fastest level, choosing a row filter costs more than the
     * bytes it saves. */
    if (level <= 1) {
        png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
        /* Runs are what fast output has to gain: flat plots, masks. */
        png_set_compression_strategy(png, Z_RLE);
    }
    png_write_info(png, e->info);
    if (type == PIPIT_U16 && !pipit__host_is_big_endian())
        png_set_swap(png);
    if (depth < 8)
        png_set_packing(png); /* one index a byte in, packed out */
    return PIPIT_OK;
}

static pipit_status_t
png_begin(pipit__writer_t *w, const pipit_image_t *info,
          pipit_pixel_type_t type)
{
    pipit_status_t st;
    png_enc_t *e = pipit__calloc(1, sizeof *e);
    if (e == NULL)
        return PIPIT_ENOMEM;
    w->state = e;
    e->path = w->path;
    if ((st = pipit__out_open(&e->out, FMT, w->path)) != PIPIT_OK)
        return st;
    e->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e,
                                     on_write_error, on_warning);
    if (e->png == NULL || (e->info = png_create_info_struct(e->png)) == NULL)
        return pipit__error_nomem();
    /* "compress" off still deflates (PNG always does): level 1 then. */
    int level = w->compress ? (int)w->level : 1;
    e->n_colours = w->palette != NULL ? w->palette_size : 0;
    return enc_start(e, info, type, level, w->palette, w->palette_size);
}

static pipit_status_t
png_piece(pipit__writer_t *w, pipit__rows_t *rows)
{
    png_enc_t *e = w->state;
    png_structp png = e->png;
    if (setjmp(png_jmpbuf(png)))
        return enc_failure(e);
    size_t nx = rows->r.hi[0] - rows->r.lo[0];
    PIPIT_FOR_EACH_ROW(rows->img, &rows->r, unused, y, z, t) {
        (void)unused;
        const uint8_t *row = pipit__rows_get(rows, y, z, t);
        if (e->n_colours > 0)
            for (size_t x = 0; x < nx; x++)
                if (row[x] >= e->n_colours)
                    return pipit__error(PIPIT_EINVAL, FMT ": '%s': pixel "
                                        "(%zu, %zu) is colour %u of a "
                                        "palette of %u", e->path, x, y,
                                        row[x], e->n_colours);
        png_write_row(png, (png_const_bytep)row);
    }
    return PIPIT_OK;
}

static pipit_status_t
png_end(pipit__writer_t *w)
{
    png_enc_t *e = w->state;
    png_structp png = e->png;
    if (setjmp(png_jmpbuf(png)))
        return enc_failure(e);
    png_write_end(png, NULL);
    return pipit__out_commit(&e->out);
}

static void
png_cleanup(pipit__writer_t *w)
{
    png_enc_t *e = w->state;
    if (e == NULL)
        return;
    if (e->png != NULL)
        png_destroy_write_struct(&e->png, &e->info);
    pipit__out_abort(&e->out);
    pipit__free(e);
    w->state = NULL;
}

static const pipit__writer_ops_t png_ops = {
    png_check, png_begin, png_piece, png_end, png_cleanup, true,
};

static pipit_status_t
png_writer_init(pipit_node_t *n)
{
    pipit__writer_t *w = (pipit__writer_t *)n;
    w->ops = &png_ops;
    /* PNG is always deflated: compress by default, at zlib's level 6. */
    w->compress = true;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__png_writer_class = {
    .name = "png-writer",
    .help = "writes a PNG file (u8 or u16; grey, grey+alpha, RGB, RGBA)",
    .size = sizeof(pipit__writer_t),
    .n_inputs = 1,
    .n_outputs = 0,
    .settings = pipit__writer_settings,
    .n_settings = 4,
    .init = png_writer_init,
    .information = pipit__writer_information,
    .generate = pipit__writer_generate,
    .finalize = pipit__writer_finalize,
};

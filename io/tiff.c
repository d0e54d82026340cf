/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TIFF through libtiff. Pages of one shape make the z axis (a
 * microscope stack); pages flagged as reduced-resolution copies are
 * skipped. Pixels are read strip by strip or tile by tile, only those
 * the requested region touches. Colour models other than grey and RGB
 * (palette, YCbCr, CMYK, ...) go through libtiff's RGBA interface.
 *
 * libtiff's messages go to a per-file buffer through the handlers of
 * TIFFOpenOptions (libtiff >= 4.5), never to stderr.
 *
 * Spacing: ResolutionUnit inch or cm gives millimetres (25.4 / res,
 * 10 / res) as ITK does; an ImageJ file with no unit gives 1 / res in
 * ImageJ's unit; z spacing comes from ImageJ's "spacing=" line.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tiff_lib.h"

#define FMT "tiff"
#define MAX_PAGES (1u << 20)
/* libtiff may not allocate more than this in one piece for one file. */
#define TIFF_MAX_ALLOC ((tmsize_t)1 << 30)
/* Beyond this many data bytes a classic TIFF's 32-bit offsets may not
 * reach: write BigTIFF. */
uint64_t pipit__tiff_bigtiff_bytes =
    ((uint64_t)4 << 30) - ((uint64_t)64 << 20);

typedef struct tiff_msg {
    char text[256];
    bool set;
} tiff_msg_t;

static int
on_error(TIFF *tif, void *user, const char *module, const char *fmt,
         va_list ap)
{
    tiff_msg_t *m = user;
    (void)tif;
    if (!m->set) {
        char what[200];
        vsnprintf(what, sizeof what, fmt, ap);
        snprintf(m->text, sizeof m->text, "%s%s%s",
                 module != NULL ? module : "", module != NULL ? ": " : "",
                 what);
        m->set = true;
    }
    return 1;  /* handled: libtiff's global handler must not print */
}

static int
on_warning(TIFF *tif, void *user, const char *module, const char *fmt,
           va_list ap)
{
    (void)tif, (void)user, (void)module, (void)fmt, (void)ap;
    return 1;
}

static TIFF *
open_tiff(const char *path, int fd, const char *mode, tiff_msg_t *m)
{
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (o == NULL)
        return NULL;
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, TIFF_MAX_ALLOC);
    TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, m);
    TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, m);
    TIFF *t = fd >= 0 ? TIFFFdOpenExt(fd, path, mode, o)
                      : TIFFOpenExt(path, mode, o);
    TIFFOpenOptionsFree(o);
    return t;
}

/* ---- the reader ---------------------------------------------------------- */

typedef enum { MODE_DIRECT, MODE_RGBA } tiff_mode_t;

typedef struct tiff_info {
    uint32_t width, height;
    uint16_t spp, bps, format, photometric, planar, compression;
    bool tiled;
    uint32_t tile_w, tile_h, rows_per_strip;
    tiff_mode_t mode;
    pipit_pixel_type_t type;   /* output type */
    unsigned comps;            /* output components */
} tiff_info_t;

typedef struct tiff_reader {
    pipit_node_t base;
    char *path;
    TIFF *tif;
    tiff_msg_t msg;
    tiff_info_t info;
    tdir_t *dirs;              /* directory index of each page */
    size_t n_pages;
    char *buf;                 /* one strip or tile */
    tmsize_t buf_size;
} tiff_reader_t;

static pipit_status_t
tiff_failure(tiff_reader_t *r, const char *what)
{
    if (strstr(r->msg.text, "emory") != NULL)
        return pipit__error(PIPIT_ENOMEM, FMT ": '%s': %s", r->path,
                            r->msg.text);
    return pipit__error(PIPIT_EFORMAT, FMT ": '%s': %s%s%s", r->path, what,
                        r->msg.set ? ": " : "", r->msg.set ? r->msg.text : "");
}

static void
reader_close(tiff_reader_t *r)
{
    if (r->tif != NULL)
        TIFFClose(r->tif);
    r->tif = NULL;
    pipit__free(r->dirs);
    r->dirs = NULL;
    r->n_pages = 0;
    pipit__free(r->buf);
    r->buf = NULL;
    r->buf_size = 0;
    r->msg.set = false;
    r->msg.text[0] = '\0';
}

/* The fields of the current directory that decide the pixels. */
static pipit_status_t
read_fields(tiff_reader_t *r, tiff_info_t *f)
{
    TIFF *t = r->tif;
    memset(f, 0, sizeof *f);
    if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &f->width) ||
        !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &f->height))
        return tiff_failure(r, "no image size");
    if (f->width == 0 || f->height == 0)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': size %ux%u", r->path,
                            (unsigned)f->width, (unsigned)f->height);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &f->spp);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &f->bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &f->format);
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &f->planar);
    TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &f->compression);
    if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &f->photometric))
        f->photometric = f->spp >= 3 ? PHOTOMETRIC_RGB
                                     : PHOTOMETRIC_MINISBLACK;
    f->tiled = TIFFIsTiled(t);
    if (f->tiled) {
        TIFFGetField(t, TIFFTAG_TILEWIDTH, &f->tile_w);
        TIFFGetField(t, TIFFTAG_TILELENGTH, &f->tile_h);
        if (f->tile_w == 0 || f->tile_h == 0)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': tile size 0",
                                r->path);
    } else {
        TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &f->rows_per_strip);
        if (f->rows_per_strip == 0 || f->rows_per_strip > f->height)
            f->rows_per_strip = f->height;
    }
    if (f->spp == 0)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': 0 samples per pixel",
                            r->path);
    if (!TIFFIsCODECConfigured(f->compression))
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': compression %u "
                            "is not available in this libtiff", r->path,
                            (unsigned)f->compression);

    bool grey = f->photometric == PHOTOMETRIC_MINISBLACK ||
                f->photometric == PHOTOMETRIC_MINISWHITE;
    bool rgb = f->photometric == PHOTOMETRIC_RGB && f->spp >= 3;
    if (f->format == SAMPLEFORMAT_VOID)
        f->format = SAMPLEFORMAT_UINT;
    if (grey || rgb) {
        f->mode = MODE_DIRECT;
        f->comps = f->spp;
        bool ok = true;
        switch (f->format) {
        case SAMPLEFORMAT_UINT:
            f->type = f->bps <= 8 ? PIPIT_U8 : f->bps == 16 ? PIPIT_U16
                                                              : PIPIT_U32;
            ok = f->bps == 1 || f->bps == 2 || f->bps == 4 || f->bps == 8 ||
                 f->bps == 16 || f->bps == 32;
            /* Sub-byte samples: grey only (bilevel, 2- and 4-bit). */
            ok = ok && (f->bps >= 8 || f->spp == 1);
            break;
        case SAMPLEFORMAT_INT:
            f->type = f->bps == 8 ? PIPIT_I8 : f->bps == 16 ? PIPIT_I16
                                                             : PIPIT_I32;
            ok = f->bps == 8 || f->bps == 16 || f->bps == 32;
            break;
        case SAMPLEFORMAT_IEEEFP:
            f->type = f->bps == 32 ? PIPIT_F32 : PIPIT_F64;
            ok = f->bps == 32 || f->bps == 64;
            break;
        default:
            ok = false;
        }
        if (!ok)
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': %u-bit "
                                "samples of format %u are not supported",
                                r->path, (unsigned)f->bps,
                                (unsigned)f->format);
        return PIPIT_OK;
    }
    /* Palette, YCbCr, CMYK, CIELab, ...: libtiff converts to 8-bit RGBA. */
    char why[1024];
    if (!TIFFRGBAImageOK(t, why))
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': photometric %u: "
                            "%s", r->path, (unsigned)f->photometric, why);
    uint16_t n_extra = 0, *extra = NULL;
    TIFFGetField(t, TIFFTAG_EXTRASAMPLES, &n_extra, &extra);
    f->mode = MODE_RGBA;
    f->type = PIPIT_U8;
    f->comps = n_extra > 0 ? 4 : 3;
    return PIPIT_OK;
}

static bool
same_shape(const tiff_info_t *a, const tiff_info_t *b)
{
    return a->width == b->width && a->height == b->height &&
           a->type == b->type && a->comps == b->comps && a->mode == b->mode;
}

/* Decoded bytes one page needs from the file, before conversion. */
static uint64_t
page_file_bytes(const tiff_info_t *f)
{
    uint64_t row = ((uint64_t)f->width * f->spp * f->bps + 7) / 8;
    return row * f->height;
}

/* How many times a codec may expand its data: a bound from each
 * algorithm where one exists (deflate ~1032, LZW ~2560, PackBits 64),
 * generous for the others. Checked before the pixels are allocated. */
static uint64_t
max_ratio(uint16_t compression)
{
    switch (compression) {
    case COMPRESSION_NONE: return 1;
    case COMPRESSION_PACKBITS: return 64;
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: return 1040;
    case COMPRESSION_LZW: return 4096;
    case COMPRESSION_ZSTD:
    case COMPRESSION_LZMA: return 1u << 20;
    default: return 1u << 14;
    }
}

static void
snap(double *v, int digits)
{
    /* Resolutions are stored as 32-bit floats or rationals: give back
     * the short decimal they most likely were (0.3, not 0.30000001). */
    char buf[40];
    snprintf(buf, sizeof buf, "%.*g", digits, *v);
    *v = strtod(buf, NULL);
}

/* ImageJ's "key=value" lines: z spacing and unit. */
static void
imagej_spacing(const char *desc, double *z, char *unit, size_t unit_size)
{
    const char *p = strstr(desc, "\nspacing=");
    if (p != NULL) {
        double v = strtod(p + 9, NULL);
        if (v > 0 && isfinite(v))
            *z = v;
    }
    p = strstr(desc, "\nunit=");
    if (p != NULL) {
        size_t k = strcspn(p + 6, "\n");
        snprintf(unit, unit_size, "%.*s", (int)k, p + 6);
    }
}

static void
read_spacing(TIFF *t, unsigned dim, double *spacing)
{
    float xres = 0, yres = 0;
    uint16_t unit = RESUNIT_NONE;
    char *desc = NULL;
    spacing[0] = spacing[1] = spacing[2] = 1.0;
    bool imagej = TIFFGetField(t, TIFFTAG_IMAGEDESCRIPTION, &desc) &&
                  desc != NULL && strncmp(desc, "ImageJ=", 7) == 0;
    TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres);
    TIFFGetField(t, TIFFTAG_YRESOLUTION, &yres);
    TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
    double scale = unit == RESUNIT_INCH ? 25.4
                   : unit == RESUNIT_CENTIMETER ? 10.0
                   : imagej ? 1.0 : 0.0;
    if (scale > 0 && xres > 0 && yres > 0 && isfinite(xres) &&
        isfinite(yres)) {
        spacing[0] = scale / xres;
        spacing[1] = scale / yres;
        snap(&spacing[0], 7);
        snap(&spacing[1], 7);
    }
    if (imagej && dim > 2) {
        char u[32] = "";
        double z = 1.0;
        imagej_spacing(desc, &z, u, sizeof u);
        /* ImageJ's x, y and z share its unit; x and y became mm above
         * when that unit was cm or inch. */
        if (unit == RESUNIT_CENTIMETER || unit == RESUNIT_INCH)
            z *= scale;
        snap(&z, 15);
        spacing[2] = z;
    }
}

static pipit_status_t
tiff_information(pipit_node_t *n)
{
    tiff_reader_t *r = (tiff_reader_t *)n;
    const char *path;
    pipit_status_t st = pipit__reader_path(n, &path);
    int fd = -1;
    uint64_t fsize;
    if (st != PIPIT_OK)
        return st;
    reader_close(r);
    /* Open ourselves first for a clear message when the file is missing. */
    if ((st = pipit__file_open(FMT, path, &fd, &fsize)) != PIPIT_OK)
        return st;
    close(fd);
    if ((st = pipit__tiff_load(path)) != PIPIT_OK)
        return st;
    if ((r->tif = open_tiff(path, -1, "r", &r->msg)) == NULL)
        return tiff_failure(r, "not a readable TIFF file");
    if ((st = read_fields(r, &r->info)) != PIPIT_OK)
        goto fail;
    double spacing[3];
    size_t cap = 16;
    if ((r->dirs = pipit__malloc(cap * sizeof *r->dirs)) == NULL) {
        st = PIPIT_ENOMEM;
        goto fail;
    }
    r->dirs[0] = TIFFCurrentDirectory(r->tif);
    r->n_pages = 1;
    read_spacing(r->tif, 3, spacing);
    /* Further pages of the same shape become z; reduced-resolution
     * copies (thumbnails, pyramids) are skipped. */
    while (TIFFReadDirectory(r->tif)) {
        uint32_t sub = 0;
        TIFFGetField(r->tif, TIFFTAG_SUBFILETYPE, &sub);
        if (sub & FILETYPE_REDUCEDIMAGE)
            continue;
        tiff_info_t f;
        if ((st = read_fields(r, &f)) != PIPIT_OK)
            goto fail;
        if (!same_shape(&f, &r->info)) {
            st = pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': page %zu is "
                              "%ux%u %u x %s, page 0 is %ux%u %u x %s", path,
                              r->n_pages, (unsigned)f.width,
                              (unsigned)f.height, f.comps,
                              pipit_pixel_type_name(f.type),
                              (unsigned)r->info.width,
                              (unsigned)r->info.height, r->info.comps,
                              pipit_pixel_type_name(r->info.type));
            goto fail;
        }
        if (r->n_pages >= MAX_PAGES) {
            st = pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': more than %u "
                              "pages", path, MAX_PAGES);
            goto fail;
        }
        if (r->n_pages == cap) {
            tdir_t *d = pipit__realloc(r->dirs, 2 * cap * sizeof *d);
            if (d == NULL) {
                st = PIPIT_ENOMEM;
                goto fail;
            }
            r->dirs = d, cap *= 2;
        }
        r->dirs[r->n_pages++] = TIFFCurrentDirectory(r->tif);
    }
    if (r->msg.set && strstr(r->msg.text, "emory") != NULL) {
        st = tiff_failure(r, "reading directories");
        goto fail;
    }
    /* Every page's samples must fit in what the file holds, allowing for
     * the codec's best ratio: refuse lying sizes before allocating. */
    uint64_t page = page_file_bytes(&r->info), need, most;
    if (!pipit__mul_u64(page, r->n_pages, &need)) {
        st = pipit__error(PIPIT_ERANGE, FMT ": '%s': size overflows", path);
        goto fail;
    }
    if (!pipit__mul_u64(fsize, max_ratio(r->info.compression), &most))
        most = UINT64_MAX;
    if (need > most) {
        st = pipit__error(PIPIT_EFORMAT, FMT ": '%s' is truncated or lies: "
                          "%zu page(s) of %ux%u need %llu bytes, the file "
                          "has %llu", path, r->n_pages,
                          (unsigned)r->info.width, (unsigned)r->info.height,
                          (unsigned long long)need,
                          (unsigned long long)fsize);
        goto fail;
    }
    unsigned dim = r->n_pages > 1 ? 3 : 2;
    size_t size[3] = { r->info.width, r->info.height, r->n_pages };
    if (dim == 3) {
        TIFFSetDirectory(r->tif, r->dirs[0]);
        read_spacing(r->tif, 3, spacing);
    }
    return pipit__reader_set_output(n, dim, size, r->info.type,
                                    r->info.comps, spacing, NULL, NULL);
fail:
    reader_close(r);
    return st;
}

/* Sub-byte grey samples, MSB first, scaled to 0..255 as PNG's are. */
static void
unpack_bits(const unsigned char *src, unsigned bps, size_t x0, size_t n,
            uint8_t *dst)
{
    unsigned mask = (1u << bps) - 1, mul = 255 / mask;
    for (size_t i = 0; i < n; i++) {
        size_t bit = (x0 + i) * bps;
        unsigned v = (src[bit / 8] >> (8 - bps - bit % 8)) & mask;
        dst[i] = (uint8_t)(v * mul);
    }
}

static void
invert(void *p, pipit_pixel_type_t t, size_t n)
{
    switch (t) {
    case PIPIT_U8:
        for (size_t i = 0; i < n; i++)
            ((uint8_t *)p)[i] = (uint8_t)~((uint8_t *)p)[i];
        break;
    case PIPIT_U16:
        for (size_t i = 0; i < n; i++)
            ((uint16_t *)p)[i] = (uint16_t)~((uint16_t *)p)[i];
        break;
    case PIPIT_U32:
        for (size_t i = 0; i < n; i++)
            ((uint32_t *)p)[i] = ~((uint32_t *)p)[i];
        break;
    default:
        break;  /* signed and float grey is not inverted */
    }
}

/*
 * Copies the part of one decoded block (a strip or tile: bw pixels wide
 * from column bx, rows by.., one plane or all samples) that lies in
 * region r to row z of img.
 */
static void
copy_block(const tiff_reader_t *r, const char *block, size_t bw,
           size_t bx, size_t by, size_t bh, int plane, size_t z,
           pipit_image_t *img, const pipit_region_t *reg)
{
    const tiff_info_t *f = &r->info;
    size_t cs = pipit_pixel_size(f->type);
    unsigned nc = f->comps;
    unsigned per = plane < 0 ? nc : 1;   /* samples per pixel in block */
    size_t row_bytes = (bw * per * f->bps + 7) / 8;
    size_t x0 = bx > reg->lo[0] ? bx : reg->lo[0];
    size_t x1 = bx + bw < reg->hi[0] ? bx + bw : reg->hi[0];
    size_t y0 = by > reg->lo[1] ? by : reg->lo[1];
    size_t y1 = by + bh < reg->hi[1] ? by + bh : reg->hi[1];
    if (x0 >= x1 || y0 >= y1)
        return;
    for (size_t y = y0; y < y1; y++) {
        const char *src = block + (y - by) * row_bytes;
        char *dst = pipit__row(img, y, z, 0) + x0 * nc * cs;
        size_t w = x1 - x0;
        if (f->bps < 8) {
            unpack_bits((const unsigned char *)src, f->bps, x0 - bx, w,
                        (uint8_t *)dst);
        } else if (plane < 0) {
            memcpy(dst, src + (x0 - bx) * nc * cs, w * nc * cs);
        } else {
            for (size_t x = 0; x < w; x++)
                memcpy(dst + (x * nc + (size_t)plane) * cs,
                       src + (x0 - bx + x) * cs, cs);
        }
        if (f->photometric != PHOTOMETRIC_MINISWHITE)
            continue;
        if (plane < 0) {
            invert(dst, f->type, w * nc);
        } else {
            for (size_t x = 0; x < w; x++)
                invert(dst + (x * nc + (size_t)plane) * cs, f->type, 1);
        }
    }
}

static pipit_status_t
ensure_buffer(tiff_reader_t *r, tmsize_t size)
{
    if (size <= 0)
        return tiff_failure(r, "bad strip or tile size");
    if (size <= r->buf_size)
        return PIPIT_OK;
    pipit__free(r->buf);
    r->buf_size = 0;
    if ((r->buf = pipit__malloc((size_t)size)) == NULL)
        return PIPIT_ENOMEM;
    r->buf_size = size;
    return PIPIT_OK;
}

static pipit_status_t
read_direct(tiff_reader_t *r, size_t z, pipit_image_t *img,
            const pipit_region_t *reg)
{
    const tiff_info_t *f = &r->info;
    TIFF *t = r->tif;
    pipit_status_t st;
    int planes = f->planar == PLANARCONFIG_SEPARATE && f->spp > 1 ? f->spp
                                                                  : 1;
    if (f->tiled) {
        tmsize_t ts = TIFFTileSize(t);
        if ((st = ensure_buffer(r, ts)) != PIPIT_OK)
            return st;
        size_t tx0 = reg->lo[0] / f->tile_w * f->tile_w;
        size_t ty0 = reg->lo[1] / f->tile_h * f->tile_h;
        for (int p = 0; p < planes; p++)
            for (size_t ty = ty0; ty < reg->hi[1]; ty += f->tile_h)
                for (size_t tx = tx0; tx < reg->hi[0]; tx += f->tile_w) {
                    ttile_t tile = TIFFComputeTile(t, (uint32_t)tx,
                                                   (uint32_t)ty, 0,
                                                   (uint16_t)p);
                    if (TIFFReadEncodedTile(t, tile, r->buf, ts) != ts)
                        return tiff_failure(r, "cannot read a tile");
                    size_t bh = f->height - ty < f->tile_h ? f->height - ty
                                                           : f->tile_h;
                    copy_block(r, r->buf, f->tile_w, tx, ty, bh,
                               planes > 1 ? p : -1, z, img, reg);
                }
        return PIPIT_OK;
    }
    tmsize_t ss = TIFFStripSize(t);
    if ((st = ensure_buffer(r, ss)) != PIPIT_OK)
        return st;
    uint32_t rps = f->rows_per_strip;
    uint32_t per_plane = (f->height + rps - 1) / rps;
    size_t row_bytes = ((size_t)f->width * (planes > 1 ? 1 : f->spp) *
                            f->bps + 7) / 8;
    for (int p = 0; p < planes; p++)
        for (uint32_t s = (uint32_t)(reg->lo[1] / rps);
             s < per_plane && (size_t)s * rps < reg->hi[1]; s++) {
            size_t y = (size_t)s * rps;
            size_t bh = f->height - y < rps ? f->height - y : rps;
            tmsize_t want = (tmsize_t)(bh * row_bytes);
            tstrip_t strip = s + (tstrip_t)p * per_plane;
            /* A strip of whole rows inside the region, needing no
             * conversion, goes straight into the image. */
            if (planes == 1 && f->bps >= 8 && reg->lo[0] == 0 &&
                reg->hi[0] == f->width && y >= reg->lo[1] &&
                y + bh <= reg->hi[1] &&
                f->photometric != PHOTOMETRIC_MINISWHITE) {
                if (TIFFReadEncodedStrip(t, strip, pipit__row(img, y, z, 0),
                                         want) != want)
                    return tiff_failure(r, "cannot read a strip");
                continue;
            }
            if (TIFFReadEncodedStrip(t, strip, r->buf, want) != want)
                return tiff_failure(r, "cannot read a strip");
            copy_block(r, r->buf, f->width, 0, y, bh, planes > 1 ? p : -1,
                       z, img, reg);
        }
    return PIPIT_OK;
}

/* Through TIFFReadRGBA*: ABGR words, rows bottom-up within the block. */
static pipit_status_t
read_rgba(tiff_reader_t *r, size_t z, pipit_image_t *img,
          const pipit_region_t *reg)
{
    const tiff_info_t *f = &r->info;
    TIFF *t = r->tif;
    unsigned nc = f->comps;
    size_t bw = f->tiled ? f->tile_w : f->width;
    size_t bhmax = f->tiled ? f->tile_h : f->rows_per_strip;
    uint64_t words;
    if (!pipit__mul_u64(bw, bhmax, &words) || words > SIZE_MAX / 4)
        return pipit__error(PIPIT_ERANGE, FMT ": '%s': block too large",
                            r->path);
    pipit_status_t st = ensure_buffer(r, (tmsize_t)(words * 4));
    if (st != PIPIT_OK)
        return st;
    uint32_t *raster = (uint32_t *)(void *)r->buf;
    size_t bx0 = f->tiled ? reg->lo[0] / bw * bw : 0;
    for (size_t by = reg->lo[1] / bhmax * bhmax; by < reg->hi[1];
         by += bhmax)
        for (size_t bx = bx0; bx < reg->hi[0]; bx += bw) {
            int ok = f->tiled ? TIFFReadRGBATile(t, (uint32_t)bx,
                                                 (uint32_t)by, raster)
                              : TIFFReadRGBAStrip(t, (uint32_t)by, raster);
            if (!ok)
                return tiff_failure(r, "cannot decode colours");
            size_t bh = f->height - by < bhmax ? f->height - by : bhmax;
            /* A strip's raster has its own height; a tile's is full. */
            size_t rows = f->tiled ? bhmax : bh;
            size_t x0 = bx > reg->lo[0] ? bx : reg->lo[0];
            size_t x1 = bx + bw < reg->hi[0] ? bx + bw : reg->hi[0];
            size_t y1 = by + bh < reg->hi[1] ? by + bh : reg->hi[1];
            for (size_t y = by > reg->lo[1] ? by : reg->lo[1]; y < y1; y++) {
                const uint32_t *src = raster + (rows - 1 - (y - by)) * bw;
                uint8_t *dst = (uint8_t *)pipit__row(img, y, z, 0);
                for (size_t x = x0; x < x1; x++) {
                    uint32_t v = src[x - bx];
                    dst[x * nc] = (uint8_t)TIFFGetR(v);
                    dst[x * nc + 1] = (uint8_t)TIFFGetG(v);
                    dst[x * nc + 2] = (uint8_t)TIFFGetB(v);
                    if (nc == 4)
                        dst[x * nc + 3] = (uint8_t)TIFFGetA(v);
                }
            }
        }
    return PIPIT_OK;
}

static pipit_status_t
tiff_generate(pipit_node_t *n)
{
    tiff_reader_t *r = (tiff_reader_t *)n;
    const pipit_region_t *reg = &n->requested[0];
    pipit_image_t *img = pipit__output(n, 0);
    if (r->tif == NULL)
        return pipit__node_error(n, PIPIT_ESTATE, "no information pass");
    for (size_t z = reg->lo[2]; z < reg->hi[2] && z < r->n_pages; z++) {
        r->msg.set = false;
        if (!TIFFSetDirectory(r->tif, r->dirs[z]))
            return tiff_failure(r, "cannot select a page");
        tiff_info_t f;
        pipit_status_t st = read_fields(r, &f);
        if (st != PIPIT_OK)
            return st;
        /* Strip and tile layout may differ from page to page. */
        r->info.tiled = f.tiled;
        r->info.tile_w = f.tile_w, r->info.tile_h = f.tile_h;
        r->info.rows_per_strip = f.rows_per_strip;
        r->info.planar = f.planar, r->info.photometric = f.photometric;
        r->info.bps = f.bps, r->info.spp = f.spp;
        st = r->info.mode == MODE_DIRECT ? read_direct(r, z, img, reg)
                                         : read_rgba(r, z, img, reg);
        if (st != PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

static void
tiff_finalize(pipit_node_t *n)
{
    reader_close((tiff_reader_t *)n);
}

static const pipit_setting_t tiff_reader_settings[] = {
    { "path", PIPIT_SETTING_STRING, offsetof(tiff_reader_t, path), "",
      "TIFF file to read (pages of one size become z)", 1, 0, NULL },
};

const pipit_node_class_t pipit__tiff_reader_class = {
    .name = "tiff-reader",
    .help = "reads a TIFF file (a multi-page file as a 3-D image)",
    .size = sizeof(tiff_reader_t),
    .n_inputs = 0,
    .n_outputs = 1,
    .settings = tiff_reader_settings,
    .n_settings = 1,
    .information = tiff_information,
    .generate = tiff_generate,
    .finalize = tiff_finalize,
};

/* ---- the writer ------------------------------------------------------ */

typedef struct tiff_wstate {
    TIFF *tif;
    tiff_msg_t msg;
    /* libtiff writes through the procs below into out, so that every
     * byte goes through the write protocol of io/file.c. */
    pipit__out_t out;
    uint64_t pos, end;    /* libtiff's file position, and the file size */
    const pipit_image_t *info;
    pipit_pixel_type_t type;
    size_t pages, page;   /* pages to write, current page */
    uint32_t rps, row;    /* rows per strip; next row of the page */
    size_t row_bytes;
    char *strip;          /* rows of the current strip */
    uint32_t strip_rows;
    bool closed;
} tiff_wstate_t;

static pipit_status_t
wfail(pipit__writer_t *w, tiff_wstate_t *s, const char *what)
{
    /* A system failure: its reason, not libtiff's retelling of it. */
    if (s->out.err != 0)
        return pipit__error_errno(PIPIT_EIO, s->out.err, FMT ": '%s': %s",
                                  w->path, what);
    if (s->out.st != PIPIT_OK)
        return s->out.st;   /* its message is set (out of memory) */
    return pipit__error(PIPIT_EIO, FMT ": '%s': %s%s%s", w->path, what,
                        s->msg.set ? ": " : "", s->msg.set ? s->msg.text : "");
}

static tmsize_t
proc_write(thandle_t h, void *p, tmsize_t n)
{
    tiff_wstate_t *s = (tiff_wstate_t *)h;
    if (n < 0 || pipit__out_pwrite(&s->out, p, (size_t)n, s->pos) !=
                     PIPIT_OK)
        return -1;
    s->pos += (uint64_t)n;
    if (s->pos > s->end)
        s->end = s->pos;
    return n;
}

static tmsize_t
proc_read(thandle_t h, void *p, tmsize_t n)
{
    tiff_wstate_t *s = (tiff_wstate_t *)h;
    ssize_t got = n < 0 ? -1 : pread(s->out.fd, p, (size_t)n, (off_t)s->pos);
    if (got > 0)
        s->pos += (uint64_t)got;
    return got;
}

static toff_t
proc_seek(thandle_t h, toff_t off, int whence)
{
    tiff_wstate_t *s = (tiff_wstate_t *)h;
    uint64_t base = whence == SEEK_CUR ? s->pos
                    : whence == SEEK_END ? s->end : 0;
    s->pos = base + off;
    return s->pos;
}

static int
proc_close(thandle_t h)
{
    (void)h;   /* pipit__out_commit or _abort closes the file */
    return 0;
}

static toff_t
proc_size(thandle_t h)
{
    return ((tiff_wstate_t *)h)->end;
}

static int
proc_map(thandle_t h, void **base, toff_t *size)
{
    (void)h, (void)base, (void)size;
    return 0;
}

static void
proc_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h, (void)base, (void)size;
}

static pipit_status_t
tiff_check(pipit__writer_t *w, const pipit_image_t *info,
           pipit_pixel_type_t type)
{
    (void)type;
    pipit_status_t st = pipit__tiff_load(w->path);
    if (st != PIPIT_OK)
        return st;
    if (info->dim > 3 && info->size[3] != 1)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': TIFF holds 2-D "
                            "and 3-D images, not 4-D", w->path);
    if (info->components > 65535)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': %u components",
                            w->path, info->components);
    if (info->size[0] > UINT32_MAX || info->size[1] > UINT32_MAX)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': too large for "
                            "TIFF", w->path);
    return PIPIT_OK;
}

static void
set_page_tags(pipit__writer_t *w, tiff_wstate_t *s)
{
    const pipit_image_t *info = s->info;
    TIFF *t = s->tif;
    unsigned nc = info->components;
    pipit_pixel_type_t type = s->type;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)info->size[0]);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)info->size[1]);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)nc);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE,
                 (uint16_t)(8 * pipit_pixel_size(type)));
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT,
                 pipit_pixel_type_is_float(type) ? SAMPLEFORMAT_IEEEFP
                 : pipit_pixel_type_is_signed(type) ? SAMPLEFORMAT_INT
                                                    : SAMPLEFORMAT_UINT);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    bool rgb = nc >= 3;
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC,
                 rgb ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    unsigned extra = rgb ? nc - 3 : nc - 1;
    uint16_t *kinds = extra > 0 ? pipit__calloc(extra, sizeof *kinds) : NULL;
    if (kinds != NULL) {
        /* grey+alpha and RGBA: the last sample is alpha */
        if (nc == 2 || nc == 4)
            kinds[extra - 1] = EXTRASAMPLE_UNASSALPHA;
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, (uint16_t)extra, kinds);
        pipit__free(kinds);
    }
    if (w->compress) {
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
        TIFFSetField(t, TIFFTAG_ZIPQUALITY, (int)w->level);
    } else {
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
    }
    /* Millimetres as pixels per centimetre: what ITK reads back. */
    TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_CENTIMETER);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, (double)(10.0 / info->spacing[0]));
    TIFFSetField(t, TIFFTAG_YRESOLUTION, (double)(10.0 / info->spacing[1]));
    if (s->pages > 1) {
        /* ImageJ's stack description: z spacing in the same unit (cm). */
        char desc[256], z[40];
        pipit__format_double(z, sizeof z, info->spacing[2] / 10.0);
        snprintf(desc, sizeof desc,
                 "ImageJ=1.11a\nimages=%zu\nslices=%zu\nunit=cm\n"
                 "spacing=%s\nloop=false\n", s->pages, s->pages, z);
        TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, desc);
        TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
        TIFFSetField(t, TIFFTAG_PAGENUMBER, (uint16_t)s->page,
                     (uint16_t)s->pages);
    }
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, s->rps);
}

static pipit_status_t
tiff_begin(pipit__writer_t *w, const pipit_image_t *info,
           pipit_pixel_type_t type)
{
    pipit_status_t st;
    tiff_wstate_t *s = pipit__calloc(1, sizeof *s);
    if (s == NULL)
        return PIPIT_ENOMEM;
    w->state = s;
    s->info = info;
    s->type = type;
    s->pages = info->dim >= 3 ? info->size[2] : 1;
    s->row_bytes = info->size[0] * info->components * pipit_pixel_size(type);
    /* Strips of about 64 KiB, at least one row. */
    size_t rps = (64u << 10) / (s->row_bytes > 0 ? s->row_bytes : 1);
    if (rps < 1)
        rps = 1;
    if (rps > info->size[1])
        rps = info->size[1];
    s->rps = (uint32_t)rps;
    uint64_t bytes = (uint64_t)s->row_bytes * info->size[1] * s->pages;
    if ((st = pipit__out_open(&s->out, FMT, w->path)) != PIPIT_OK)
        return st;
    const char *mode = bytes > pipit__tiff_bigtiff_bytes ? "w8" : "w";
    TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
    if (o == NULL)
        return pipit__error_nomem();
    TIFFOpenOptionsSetMaxSingleMemAlloc(o, TIFF_MAX_ALLOC);
    TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, &s->msg);
    TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, &s->msg);
    s->tif = TIFFClientOpenExt(w->path, mode, (thandle_t)s, proc_read,
                               proc_write, proc_seek, proc_close, proc_size,
                               proc_map, proc_unmap, o);
    TIFFOpenOptionsFree(o);
    if (s->tif == NULL)
        return wfail(w, s, "cannot start the file");
    set_page_tags(w, s);
    return PIPIT_OK;
}

static pipit_status_t
flush_strip(pipit__writer_t *w, tiff_wstate_t *s)
{
    if (s->strip_rows == 0)
        return PIPIT_OK;
    tstrip_t strip = (s->row - s->strip_rows) / s->rps;
    tmsize_t n = (tmsize_t)(s->strip_rows * s->row_bytes);
    if (TIFFWriteEncodedStrip(s->tif, strip, s->strip, n) != n)
        return wfail(w, s, "writing a strip");
    s->strip_rows = 0;
    return PIPIT_OK;
}

static pipit_status_t
end_of_row(pipit__writer_t *w, tiff_wstate_t *s)
{
    pipit_status_t st;
    if ((s->strip_rows == s->rps || s->row == s->info->size[1]) &&
        (st = flush_strip(w, s)) != PIPIT_OK)
        return st;
    if (s->row == s->info->size[1]) {
        if (!TIFFWriteDirectory(s->tif))
            return wfail(w, s, "writing a page");
        s->page++;
        s->row = 0;
        if (s->page < s->pages)
            set_page_tags(w, s);
    }
    return PIPIT_OK;
}

static pipit_status_t
tiff_piece(pipit__writer_t *w, pipit__rows_t *rows)
{
    tiff_wstate_t *s = w->state;
    const pipit_image_t *img = rows->img;
    const pipit_region_t *r = &rows->r;
    pipit_status_t st;
    /* Uncompressed whole strips lying in the input's memory in the type
     * to write go to libtiff from there (it does not modify them). */
    bool direct = !w->compress && img->type == rows->type &&
                  img->buffered.lo[0] == 0 &&
                  img->buffered.hi[0] == img->size[0];
    for (size_t t = r->lo[3]; t < r->hi[3]; t++)
        for (size_t z = r->lo[2]; z < r->hi[2]; z++) {
            if (z != s->page)
                return pipit__error(PIPIT_ESTATE, FMT ": '%s': pieces out "
                                    "of order", w->path);
            for (size_t y = r->lo[1]; y < r->hi[1];) {
                size_t k = s->info->size[1] - s->row;
                if (k > s->rps)
                    k = s->rps;
                if (direct && s->strip_rows == 0 && y + k <= r->hi[1]) {
                    tmsize_t n = (tmsize_t)(k * s->row_bytes);
                    void *src = pipit__row(img, y, z, t);
                    if (TIFFWriteEncodedStrip(s->tif, s->row / s->rps, src,
                                              n) != n)
                        return wfail(w, s, "writing a strip");
                    s->row += (uint32_t)k;
                    y += k;
                    if ((st = end_of_row(w, s)) != PIPIT_OK)
                        return st;
                    continue;
                }
                /* The strip buffer only when a strip must be gathered:
                 * an image in memory never needs it. */
                if (s->strip == NULL &&
                    (s->strip = pipit__malloc((size_t)s->rps *
                                              s->row_bytes)) == NULL)
                    return PIPIT_ENOMEM;
                memcpy(s->strip + s->strip_rows * s->row_bytes,
                       pipit__rows_get(rows, y, z, t), s->row_bytes);
                s->strip_rows++;
                s->row++;
                y++;
                if ((st = end_of_row(w, s)) != PIPIT_OK)
                    return st;
            }
        }
    return PIPIT_OK;
}

static pipit_status_t
tiff_end(pipit__writer_t *w)
{
    tiff_wstate_t *s = w->state;
    s->msg.set = false;
    int ok = TIFFFlush(s->tif);
    TIFFClose(s->tif);
    s->tif = NULL;
    if (!ok || s->msg.set || s->out.st != PIPIT_OK)
        return wfail(w, s, "finishing the file");
    return pipit__out_commit(&s->out);
}

static void
tiff_cleanup(pipit__writer_t *w)
{
    tiff_wstate_t *s = w->state;
    if (s == NULL)
        return;
    if (s->tif != NULL)
        TIFFClose(s->tif);
    pipit__out_abort(&s->out);
    pipit__free(s->strip);
    pipit__free(s);
    w->state = NULL;
}

static const pipit__writer_ops_t tiff_ops = {
    tiff_check, tiff_begin, tiff_piece, tiff_end, tiff_cleanup, false,
};

static pipit_status_t
tiff_writer_init(pipit_node_t *n)
{
    ((pipit__writer_t *)n)->ops = &tiff_ops;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__tiff_writer_class = {
    .name = "tiff-writer",
    .help = "writes a TIFF file (3-D as pages; BigTIFF past 4 GiB)",
    .size = sizeof(pipit__writer_t),
    .n_inputs = 1,
    .n_outputs = 0,
    .settings = pipit__writer_settings,
    .n_settings = 4,
    .init = tiff_writer_init,
    .information = pipit__writer_information,
    .generate = pipit__writer_generate,
    .finalize = pipit__writer_finalize,
};

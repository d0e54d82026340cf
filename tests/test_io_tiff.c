/* SPDX-License-Identifier: Apache-2.0 */
/* TIFF: blobs.tif, every type as strips and pages, files libtiff writes
 * in other layouts (tiles, planes, palette, bilevel, codecs), bad files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "test_io_util.h"

#include "io_impl.h"

static double
px(const pipit_image_t *img, size_t x, size_t y, size_t z, unsigned c)
{
    size_t idx[3] = { x, y, z };
    return pipit_image_get_value(img, idx, c);
}

static void
test_real_file(void)
{
    pipit_image_t *img = NULL;
    ASSERT_OK(pipit_image_read(test_data("io/blobs.tif"), &img));
    CU_ASSERT_EQUAL(pipit_image_dim(img), 2);
    CU_ASSERT_EQUAL(pipit_image_size(img)[0], 256);
    CU_ASSERT_EQUAL(pipit_image_size(img)[1], 256);
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_U8);
    /* resolution unit "none" and no ImageJ text: spacing 1, as ITK */
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[0], 1.0);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[1], 1.0);
    CU_ASSERT_EQUAL(px(img, 0, 0, 0, 0), 17);
    CU_ASSERT_EQUAL(px(img, 128, 128, 0, 0), 18);
    CU_ASSERT_EQUAL(px(img, 40, 200, 0, 0), 20);
    CU_ASSERT_EQUAL(px(img, 10, 90, 0, 0), 17);
    CU_ASSERT_EQUAL(px(img, 255, 255, 0, 0), 14);
    pipit_image_unref(img);
}

static void
test_round_trips(void)
{
    static const size_t sizes[][3] = { { 1, 1, 1 }, { 61, 3, 1 },
                                       { 7, 5, 4 } };
    static const unsigned dims[] = { 2, 2, 3 };
    /* stored as float resolutions, read back to the short decimal */
    const double spacing[3] = { 0.3, 0.125, 2.5 };
    for (int t = 0; t < PIPIT_PIXEL_TYPE_COUNT; t++)
        for (unsigned k = 0; k < 3; k++)
            for (unsigned nc = 1; nc <= 4; nc++)
                for (int z = 0; z < 2; z++) {
                    pipit_image_t *img =
                        io_pattern(dims[k], sizes[k], (pipit_pixel_type_t)t,
                                   nc, 7 * k + nc);
                    ASSERT_OK(pipit_image_set_spacing(img, spacing));
                    char name[64];
                    snprintf(name, sizeof name, "rt_%d_%u_%u_%d.%s", t, k,
                             nc, z, z ? "tiff" : "TIF");
                    pipit_write_options_t opt = { .compress = z };
                    pipit_image_t *back = io_round_trip(img, test_tmp(name),
                                                        &opt);
                    CU_ASSERT(io_same_pixels(img, back));
                    io_assert_geometry(img, back, 0.0);
                    pipit_image_unref(back);
                    pipit_image_unref(img);
                }
}

static void
test_bigtiff(void)
{
    size_t size[3] = { 40, 30, 3 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_I16, 1, 3);
    uint64_t saved = pipit__tiff_bigtiff_bytes;
    pipit__tiff_bigtiff_bytes = 1000;
    pipit_image_t *back = io_round_trip(img, test_tmp("big.tif"), NULL);
    pipit__tiff_bigtiff_bytes = saved;
    CU_ASSERT(io_same_pixels(img, back));
    size_t n;
    unsigned char *b = io_read_file(test_tmp("big.tif"), &n);
    CU_ASSERT(n > 4 && b[2] == 43);  /* BigTIFF version number */
    free(b);
    pipit_image_unref(back);
    pipit_image_unref(img);
}

/* ---- files in layouts pipit does not write, made with libtiff -------- */

typedef struct layout {
    uint32_t w, h;
    uint16_t spp, bps, format, photometric, planar, compression;
    uint32_t tile;          /* 0: strips of rps rows */
    uint32_t rps;
} layout_t;

/* Sample s of pixel (x, y) on page p, as the files below store it. */
static unsigned
sample(uint32_t x, uint32_t y, unsigned s, unsigned p, unsigned bps)
{
    unsigned v = x * 3 + y * 5 + s * 11 + p * 17;
    return bps >= 16 ? v * 257 : v % (1u << (bps > 8 ? 8 : bps));
}

static void
make_tiff(const char *path, const layout_t *l, unsigned pages)
{
    TIFF *t = TIFFOpen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (unsigned p = 0; p < pages; p++) {
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, l->w);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, l->h);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, l->spp);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, l->bps);
        TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, l->format);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, l->photometric);
        TIFFSetField(t, TIFFTAG_PLANARCONFIG, l->planar);
        TIFFSetField(t, TIFFTAG_COMPRESSION, l->compression);
        if (l->photometric == PHOTOMETRIC_PALETTE) {
            uint16_t r[256], g[256], b[256];
            for (int i = 0; i < 256; i++)
                r[i] = (uint16_t)(i * 257), g[i] = (uint16_t)(65535 - i * 257),
                b[i] = 1000;
            TIFFSetField(t, TIFFTAG_COLORMAP, r, g, b);
        }
        if (l->tile) {
            TIFFSetField(t, TIFFTAG_TILEWIDTH, l->tile);
            TIFFSetField(t, TIFFTAG_TILELENGTH, l->tile);
        } else {
            TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, l->rps);
        }
        unsigned planes = l->planar == PLANARCONFIG_SEPARATE ? l->spp : 1;
        unsigned per = planes > 1 ? 1 : l->spp;
        size_t bw = l->tile ? l->tile : l->w, bh = l->tile ? l->tile : l->rps;
        size_t rowb = (bw * per * l->bps + 7) / 8;
        unsigned char *buf = calloc(rowb * bh, 1);
        for (unsigned pl = 0; pl < planes; pl++)
            for (uint32_t by = 0; by < l->h; by += (uint32_t)bh)
                for (uint32_t bx = 0; bx < l->w; bx += (uint32_t)bw) {
                    memset(buf, 0, rowb * bh);
                    for (size_t y = 0; y < bh && by + y < l->h; y++)
                        for (size_t x = 0; x < bw && bx + x < l->w; x++)
                            for (unsigned s = 0; s < per; s++) {
                                unsigned v = sample(bx + (uint32_t)x,
                                                    by + (uint32_t)y,
                                                    planes > 1 ? pl : s, p,
                                                    l->bps);
                                size_t i = x * per + s;
                                unsigned char *row = buf + y * rowb;
                                if (l->bps < 8)
                                    row[i * l->bps / 8] |= (unsigned char)(
                                        v << (8 - l->bps - i * l->bps % 8));
                                else if (l->bps == 8)
                                    row[i] = (unsigned char)v;
                                else
                                    ((uint16_t *)(void *)row)[i] = (uint16_t)v;
                            }
                    size_t rows = l->h - by < bh ? l->h - by : bh;
                    if (l->tile)
                        TIFFWriteTile(t, buf, bx, by, 0, (uint16_t)pl);
                    else
                        TIFFWriteEncodedStrip(
                            t, TIFFComputeStrip(t, by, (uint16_t)pl), buf,
                            (tmsize_t)(rows * rowb));
                }
        free(buf);
        TIFFWriteDirectory(t);
    }
    TIFFClose(t);
}

static void
test_layouts(void)
{
    static const layout_t layouts[] = {
        /* tiles of 16 over 37x21, 16-bit grey, deflate */
        { 37, 21, 1, 16, 1, 1, PLANARCONFIG_CONTIG, COMPRESSION_ADOBE_DEFLATE,
          16, 0 },
        /* separate planes, RGB 8-bit, LZW, strips of 4 rows */
        { 19, 13, 3, 8, 1, 2, PLANARCONFIG_SEPARATE, COMPRESSION_LZW, 0, 4 },
        /* tiled and separate, PackBits */
        { 33, 17, 2, 8, 1, 1, PLANARCONFIG_SEPARATE, COMPRESSION_PACKBITS,
          16, 0 },
        /* 4-bit grey strips */
        { 9, 5, 1, 4, 1, 1, PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 2 },
        /* the newer lossless codecs, where this libtiff has them */
        { 21, 9, 1, 16, 1, 1, PLANARCONFIG_CONTIG, COMPRESSION_ZSTD, 0, 3 },
        { 21, 9, 3, 8, 1, 2, PLANARCONFIG_CONTIG, COMPRESSION_LZMA, 16, 0 },
    };
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++) {
        const layout_t *l = &layouts[i];
        if (!TIFFIsCODECConfigured(l->compression))
            continue;
        const char *p = test_tmp("layout.tif");
        make_tiff(p, l, 2);
        pipit_image_t *img = NULL;
        ASSERT_OK(pipit_image_read(p, &img));
        CU_ASSERT_EQUAL(pipit_image_dim(img), 3);
        CU_ASSERT_EQUAL(pipit_image_components(img), l->spp);
        unsigned bad = 0;
        for (unsigned z = 0; z < 2; z++)
            for (uint32_t y = 0; y < l->h; y++)
                for (uint32_t x = 0; x < l->w; x++)
                    for (unsigned s = 0; s < l->spp; s++) {
                        double want = sample(x, y, s, z, l->bps);
                        if (l->bps == 4)
                            want *= 17;  /* scaled to 8 bits */
                        bad += px(img, x, y, z, s) != want;
                    }
        CU_ASSERT_EQUAL(bad, 0);
        pipit_image_unref(img);

        /* a region inside tiles or strips, page 1 only */
        pipit_node_t *r = pipit_reader_new(p);
        ASSERT_OK(pipit_node_update_information(r));
        size_t lo[3] = { 5, 3, 1 }, ext[3] = { 4, 2, 1 };
        pipit_region_t reg = pipit_region_make(3, lo, ext);
        ASSERT_OK(pipit_node_update_region(r, 0, &reg));
        double want = sample(8, 4, 0, 1, l->bps) * (l->bps == 4 ? 17 : 1);
        CU_ASSERT_EQUAL(px(pipit_node_get_output(r, 0), 8, 4, 1, 0), want);
        pipit_node_unref(r);
    }
}

static void
test_colour_models(void)
{
    pipit_image_t *img = NULL;
    const char *p = test_tmp("pal.tif");
    layout_t pal = { 6, 4, 1, 8, 1, PHOTOMETRIC_PALETTE, PLANARCONFIG_CONTIG,
                     COMPRESSION_NONE, 0, 4 };
    make_tiff(p, &pal, 1);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_components(img), 3);
    unsigned v = sample(5, 3, 0, 0, 8);
    CU_ASSERT_EQUAL(px(img, 5, 3, 0, 0), v);
    CU_ASSERT_EQUAL(px(img, 5, 3, 0, 1), 255 - v);
    pipit_image_unref(img);

    /* bilevel, min-is-white: 0 reads as white */
    layout_t bw = { 11, 3, 1, 1, 1, PHOTOMETRIC_MINISWHITE,
                    PLANARCONFIG_CONTIG, COMPRESSION_CCITTFAX4, 0, 3 };
    p = test_tmp("fax.tif");
    make_tiff(p, &bw, 1);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_U8);
    for (uint32_t x = 0; x < 11; x++)
        CU_ASSERT_EQUAL(px(img, x, 2, 0, 0),
                        sample(x, 2, 0, 0, 1) ? 0 : 255);
    pipit_image_unref(img);
}

/* JPEG: grey as it is, and RGB stored as YCbCr with subsampling, which
 * the reader decodes through libtiff's RGBA path. Lossy, so the pixels
 * are compared to a tolerance on a smooth image. */
static void
test_jpeg(void)
{
    enum { W = 32, H = 24 };
    for (int rgb = 0; rgb <= 1; rgb++) {
        const char *p = test_tmp("jpeg.tif");
        TIFF *t = TIFFOpen(p, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        unsigned spp = rgb ? 3 : 1;
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, W);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, H);
        TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
        TIFFSetField(t, TIFFTAG_JPEGQUALITY, 95);
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
        if (rgb) {
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
            TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        } else {
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        }
        unsigned char row[W * 3];
        for (uint32_t y = 0; y < H; y++) {
            for (uint32_t x = 0; x < W; x++)
                for (unsigned c = 0; c < spp; c++)
                    row[x * spp + c] = (unsigned char)(40 + 3 * x + 2 * y +
                                                       30 * c);
            CU_ASSERT_EQUAL(TIFFWriteScanline(t, row, y, 0), 1);
        }
        TIFFClose(t);
        pipit_image_t *img = NULL;
        ASSERT_OK(pipit_image_read(p, &img));
        CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_U8);
        CU_ASSERT_EQUAL(pipit_image_components(img), spp);
        double worst = 0;
        for (uint32_t y = 0; y < H; y++)
            for (uint32_t x = 0; x < W; x++)
                for (unsigned c = 0; c < spp; c++) {
                    double e = fabs(px(img, x, y, 0, c) -
                                    (40 + 3 * x + 2 * y + 30 * c));
                    worst = e > worst ? e : worst;
                }
        CU_ASSERT(worst <= 6);
        pipit_image_unref(img);
    }
}

/* ImageJ stacks: z spacing from the description, x/y from resolution. */
static void
test_imagej(void)
{
    const char *p = test_tmp("ij.tif");
    TIFF *t = TIFFOpen(p, "w");
    for (int z = 0; z < 3; z++) {
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 4);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, 2);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        TIFFSetField(t, TIFFTAG_XRESOLUTION, 4.0);
        TIFFSetField(t, TIFFTAG_YRESOLUTION, 2.0);
        TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_NONE);
        TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION,
                     "ImageJ=1.54f\nimages=3\nslices=3\nunit=micron\n"
                     "spacing=0.7\nloop=false\n");
        unsigned char row[4] = { 1, 2, 3, (unsigned char)z };
        TIFFWriteScanline(t, row, 0, 0);
        TIFFWriteScanline(t, row, 1, 0);
        TIFFWriteDirectory(t);
    }
    /* a reduced-resolution copy at the end is not a slice */
    TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_REDUCEDIMAGE);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 2);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, 1);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    unsigned char tiny[2] = { 0, 0 };
    TIFFWriteScanline(t, tiny, 0, 0);
    TIFFWriteDirectory(t);
    TIFFClose(t);
    pipit_image_t *img = NULL;
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_dim(img), 3);
    CU_ASSERT_EQUAL(pipit_image_size(img)[2], 3);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[0], 0.25);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[1], 0.5);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[2], 0.7);
    CU_ASSERT_EQUAL(px(img, 3, 1, 2, 0), 2);
    pipit_image_unref(img);
}

static void
test_bad_files(void)
{
    pipit_image_t *img = NULL;
    size_t n;
    unsigned char *good = io_read_file(test_data("io/blobs.tif"), &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(good);
    /* cut inside the pixels: the strip is short */
    io_write_file(test_tmp("cut.tif"), good, n - 1000);
    pipit_status_t st = pipit_image_read(test_tmp("cut.tif"), &img);
    CU_ASSERT(st == PIPIT_EFORMAT);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "cut.tif"));
    CU_ASSERT_PTR_NULL(img);
    /* header only */
    io_write_file(test_tmp("head.tif"), good, 8);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("head.tif"), &img),
                      PIPIT_EFORMAT, "head.tif");
    free(good);
    /* a width that lies: 4 billion columns in a small file */
    layout_t l = { 64, 64, 1, 8, 1, 1, PLANARCONFIG_CONTIG, COMPRESSION_NONE,
                   0, 64 };
    make_tiff(test_tmp("lie.tif"), &l, 1);
    good = io_read_file(test_tmp("lie.tif"), &n);
    /* patch ImageWidth (tag 256, LONG) in the IFD */
    uint32_t ifd;
    memcpy(&ifd, good + 4, 4);
    uint16_t count;
    memcpy(&count, good + ifd, 2);
    for (uint16_t i = 0; i < count; i++) {
        unsigned char *e = good + ifd + 2 + 12 * i;
        uint16_t tag, type;
        memcpy(&tag, e, 2);
        memcpy(&type, e + 2, 2);
        if (tag == 256 || tag == 257) {
            if (type == 3) {
                uint16_t big = 65535;
                memcpy(e + 8, &big, 2);
            } else {
                uint32_t big = 4000000000u;
                memcpy(e + 8, &big, 4);
            }
        }
    }
    io_write_file(test_tmp("lie.tif"), good, n);
    free(good);
    st = pipit_image_read(test_tmp("lie.tif"), &img);
    CU_ASSERT(st == PIPIT_EFORMAT || st == PIPIT_ERANGE);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "lie.tif"));
    /* not a TIFF at all */
    io_write_file(test_tmp("text.tif"), "II*\0garbage!", 12);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("text.tif"), &img),
                      PIPIT_EFORMAT, "text.tif");
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("none.tif"), &img),
                      PIPIT_EIO, "none.tif");
    /* half floats: valid, not supported */
    layout_t half = { 4, 4, 1, 16, SAMPLEFORMAT_IEEEFP, 1,
                      PLANARCONFIG_CONTIG, COMPRESSION_NONE, 0, 4 };
    make_tiff(test_tmp("half.tif"), &half, 1);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("half.tif"), &img),
                      PIPIT_EUNSUPPORTED, "16-bit");
    /* pages of different sizes */
    const char *p = test_tmp("mixed.tif");
    TIFF *t = TIFFOpen(p, "w");
    for (uint32_t w = 4; w <= 5; w++) {
        TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
        TIFFSetField(t, TIFFTAG_IMAGELENGTH, 1);
        TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        unsigned char row[5] = { 0 };
        TIFFWriteScanline(t, row, 0, 0);
        TIFFWriteDirectory(t);
    }
    TIFFClose(t);
    ASSERT_FAILS_WITH(pipit_image_read(p, &img), PIPIT_EUNSUPPORTED,
                      "page 1");
    /* 4-D cannot be written */
    size_t s4[4] = { 2, 2, 2, 2 };
    img = io_pattern(4, s4, PIPIT_U8, 1, 0);
    ASSERT_FAILS_WITH(pipit_image_write(img, test_tmp("four.tif")),
                      PIPIT_EUNSUPPORTED, "4-D");
    CU_ASSERT_EQUAL(io_count_prefix(test_tmpdir(), "four.tif"), 0);
    pipit_image_unref(img);
}

const test_case_t test_io_tiff_cases[] = {
    { "real_file", test_real_file },
    { "round_trips", test_round_trips },
    { "bigtiff", test_bigtiff },
    { "layouts", test_layouts },
    { "colour_models", test_colour_models },
    { "jpeg", test_jpeg },
    { "imagej", test_imagej },
    { "bad_files", test_bad_files },
    { NULL, NULL },
};

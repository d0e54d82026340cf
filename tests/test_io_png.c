/* SPDX-License-Identifier: Apache-2.0 */
/* PNG: the ITK example file, every colour type and depth, bad files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <zlib.h>

#include "test_io_util.h"

static double
px(const pipit_image_t *img, size_t x, size_t y, unsigned c)
{
    size_t idx[2] = { x, y };
    return pipit_image_get_value(img, idx, c);
}

static void
test_real_file(void)
{
    pipit_image_t *img = NULL;
    ASSERT_OK(pipit_image_read(test_data("io/BrainProtonDensitySlice.png"),
                               &img));
    /* a palette file with an identity grey palette: scalar u8 */
    CU_ASSERT_EQUAL(pipit_image_dim(img), 2);
    CU_ASSERT_EQUAL(pipit_image_size(img)[0], 181);
    CU_ASSERT_EQUAL(pipit_image_size(img)[1], 217);
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_U8);
    CU_ASSERT_EQUAL(pipit_image_components(img), 1);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[0], 1.0);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[1], 1.0);
    CU_ASSERT_EQUAL(px(img, 0, 0, 0), 1);
    CU_ASSERT_EQUAL(px(img, 90, 108, 0), 206);
    CU_ASSERT_EQUAL(px(img, 60, 120, 0), 170);
    CU_ASSERT_EQUAL(px(img, 100, 50, 0), 170);
    CU_ASSERT_EQUAL(px(img, 180, 216, 0), 5);
    pipit_image_unref(img);
}

static void
test_round_trips(void)
{
    static const size_t sizes[][2] = { { 1, 1 }, { 7, 5 }, { 61, 3 } };
    const double spacing[2] = { 0.5, 3 };
    for (int t = 0; t < 2; t++)
        for (unsigned k = 0; k < 3; k++)
            for (unsigned nc = 1; nc <= 4; nc++)
                for (int z = 0; z < 2; z++) {
                    pipit_pixel_type_t type = t ? PIPIT_U16 : PIPIT_U8;
                    pipit_image_t *img = io_pattern(2, sizes[k], type, nc,
                                                    k + nc);
                    ASSERT_OK(pipit_image_set_spacing(img, spacing));
                    char name[64];
                    snprintf(name, sizeof name, "rt_%d_%u_%u_%d.PNG", t, k,
                             nc, z);
                    pipit_write_options_t opt = { .compress = z };
                    pipit_image_t *back = io_round_trip(img, test_tmp(name),
                                                        &opt);
                    CU_ASSERT(io_same_pixels(img, back));
                    /* PNG keeps no geometry: spacing 1 as ITK reads it */
                    CU_ASSERT_EQUAL(pipit_image_spacing(back)[0], 1.0);
                    CU_ASSERT_EQUAL(pipit_image_origin(back)[0], 0.0);
                    pipit_image_unref(back);
                    pipit_image_unref(img);
                }
    /* a 3-D image of one slice is a 2-D picture */
    size_t s3[3] = { 4, 3, 1 };
    pipit_image_t *img = io_pattern(3, s3, PIPIT_U8, 1, 1);
    ASSERT_OK(pipit_image_write(img, test_tmp("flat.png")));
    pipit_image_unref(img);
}

/* ---- PNG files built by hand: chunks with zlib and a CRC --------------- */

static void
chunk(FILE *f, const char *type, const unsigned char *data, size_t n)
{
    unsigned char len[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                             (unsigned char)(n >> 8), (unsigned char)n };
    fwrite(len, 1, 4, f);
    fwrite(type, 1, 4, f);
    uLong crc = crc32(0, (const Bytef *)type, 4);
    if (n > 0) { /* IEND has no data, and data may be NULL */
        fwrite(data, 1, n, f);
        crc = crc32(crc, data, (uInt)n);
    }
    unsigned char c[4] = { (unsigned char)(crc >> 24),
                           (unsigned char)(crc >> 16),
                           (unsigned char)(crc >> 8), (unsigned char)crc };
    fwrite(c, 1, 4, f);
}

/* rows: h rows of rowbytes each, stored unfiltered */
static void
make_png(const char *path, uint32_t w, uint32_t h, int depth, int colour,
         const unsigned char *rows, size_t rowbytes,
         const unsigned char *plte, size_t n_plte,
         const unsigned char *trns, size_t n_trns)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite("\x89PNG\r\n\x1a\n", 1, 8, f);
    unsigned char ihdr[13] = { (unsigned char)(w >> 24), (unsigned char)(w >> 16),
                               (unsigned char)(w >> 8), (unsigned char)w,
                               (unsigned char)(h >> 24), (unsigned char)(h >> 16),
                               (unsigned char)(h >> 8), (unsigned char)h,
                               (unsigned char)depth, (unsigned char)colour,
                               0, 0, 0 };
    chunk(f, "IHDR", ihdr, 13);
    if (plte != NULL)
        chunk(f, "PLTE", plte, 3 * n_plte);
    if (trns != NULL)
        chunk(f, "tRNS", trns, n_trns);
    size_t raw_n = (rowbytes + 1) * h;
    unsigned char *raw = calloc(1, raw_n ? raw_n : 1);
    for (uint32_t y = 0; y < h; y++)
        memcpy(raw + y * (rowbytes + 1) + 1, rows + y * rowbytes, rowbytes);
    uLongf zn = compressBound(raw_n);
    unsigned char *z = malloc(zn);
    compress(z, &zn, raw, raw_n);
    chunk(f, "IDAT", z, zn);
    chunk(f, "IEND", NULL, 0);
    fclose(f);
    free(raw);
    free(z);
}

static void
test_colour_types(void)
{
    pipit_image_t *img = NULL;
    const char *p = test_tmp("g1.png");
    /* 1-bit grey: 1 0 1 1 0 0 0 1 | 1 -> 255 / 0 */
    unsigned char g1[2] = { 0xb1, 0x80 };
    make_png(p, 9, 1, 1, 0, g1, 2, NULL, 0, NULL, 0);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_U8);
    CU_ASSERT_EQUAL(px(img, 0, 0, 0), 255);
    CU_ASSERT_EQUAL(px(img, 1, 0, 0), 0);
    CU_ASSERT_EQUAL(px(img, 7, 0, 0), 255);
    CU_ASSERT_EQUAL(px(img, 8, 0, 0), 255);
    pipit_image_unref(img);

    /* 2-bit and 4-bit grey scale to 0..255 */
    unsigned char g2[1] = { 0x1b };  /* 0 1 2 3 */
    make_png(p, 4, 1, 2, 0, g2, 1, NULL, 0, NULL, 0);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(px(img, 1, 0, 0), 85);
    CU_ASSERT_EQUAL(px(img, 3, 0, 0), 255);
    pipit_image_unref(img);
    unsigned char g4[1] = { 0x3f };  /* 3 15 */
    make_png(p, 2, 1, 4, 0, g4, 1, NULL, 0, NULL, 0);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(px(img, 0, 0, 0), 51);
    CU_ASSERT_EQUAL(px(img, 1, 0, 0), 255);
    pipit_image_unref(img);

    /* 16-bit grey, big-endian in the file */
    unsigned char g16[4] = { 0x12, 0x34, 0xff, 0xfe };
    make_png(p, 2, 1, 16, 0, g16, 4, NULL, 0, NULL, 0);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_U16);
    CU_ASSERT_EQUAL(px(img, 0, 0, 0), 0x1234);
    CU_ASSERT_EQUAL(px(img, 1, 0, 0), 0xfffe);
    pipit_image_unref(img);

    /* grey + alpha 8-bit, RGBA 16-bit */
    unsigned char ga[4] = { 10, 20, 30, 40 };
    make_png(p, 2, 1, 8, 4, ga, 4, NULL, 0, NULL, 0);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_components(img), 2);
    CU_ASSERT_EQUAL(px(img, 1, 0, 1), 40);
    pipit_image_unref(img);
    unsigned char rgba16[8] = { 0, 1, 0, 2, 0, 3, 1, 0 };
    make_png(p, 1, 1, 16, 6, rgba16, 8, NULL, 0, NULL, 0);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_components(img), 4);
    CU_ASSERT_EQUAL(px(img, 0, 0, 2), 3);
    CU_ASSERT_EQUAL(px(img, 0, 0, 3), 256);
    pipit_image_unref(img);

    /* a grey palette that is not the identity: grey values */
    unsigned char pal[3 * 4];
    for (int i = 0; i < 4; i++)
        pal[3 * i] = pal[3 * i + 1] = pal[3 * i + 2] = (unsigned char)(200 - i);
    unsigned char idx4[1] = { 0x1b };  /* 2-bit indices 0 1 2 3 */
    make_png(p, 4, 1, 2, 3, idx4, 1, pal, 4, NULL, 0);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_components(img), 1);
    CU_ASSERT_EQUAL(px(img, 0, 0, 0), 200);
    CU_ASSERT_EQUAL(px(img, 3, 0, 0), 197);
    pipit_image_unref(img);

    /* a colour palette: RGB; with tRNS: RGBA */
    pal[3] = 9;  /* entry 1 is no longer grey */
    make_png(p, 4, 1, 2, 3, idx4, 1, pal, 4, NULL, 0);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_components(img), 3);
    CU_ASSERT_EQUAL(px(img, 1, 0, 0), 9);
    CU_ASSERT_EQUAL(px(img, 1, 0, 1), 199);
    pipit_image_unref(img);
    unsigned char trns[2] = { 0, 128 };
    make_png(p, 4, 1, 2, 3, idx4, 1, pal, 4, trns, 2);
    ASSERT_OK(pipit_image_read(p, &img));
    CU_ASSERT_EQUAL(pipit_image_components(img), 4);
    CU_ASSERT_EQUAL(px(img, 0, 0, 3), 0);
    CU_ASSERT_EQUAL(px(img, 1, 0, 3), 128);
    CU_ASSERT_EQUAL(px(img, 2, 0, 3), 255);
    pipit_image_unref(img);
}

/* Adam7-interlaced files are decoded whole, then cut to the region. */
static void
test_interlaced(void)
{
    const char *p = test_tmp("il.png");
    enum { W = 13, H = 11 };
    FILE *f = fopen(p, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
                                              NULL, NULL);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, f);
    png_set_IHDR(png, info, W, H, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_ADAM7, 0, 0);
    png_write_info(png, info);
    unsigned char data[H][W * 3];
    png_bytep rows[H];
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < 3 * W; x++)
            data[y][x] = (unsigned char)(y * 7 + x);
        rows[y] = data[y];
    }
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    pipit_node_t *r = pipit_reader_new(p);
    ASSERT_OK(pipit_node_update_information(r));
    size_t lo[2] = { 3, 4 }, ext[2] = { 5, 6 };
    pipit_region_t reg = pipit_region_make(2, lo, ext);
    ASSERT_OK(pipit_node_update_region(r, 0, &reg));
    pipit_image_t *out = pipit_node_get_output(r, 0);
    CU_ASSERT_EQUAL(px(out, 7, 9, 2), 9 * 7 + 7 * 3 + 2);
    CU_ASSERT_EQUAL(px(out, 3, 4, 0), 4 * 7 + 9);
    pipit_node_unref(r);
}

/* Rows in order continue the open stream; going back starts again. */
static void
test_regions_in_order(void)
{
    pipit_node_t *r = pipit_reader_new(test_data("io/BrainProtonDensitySlice.png"));
    ASSERT_OK(pipit_node_update_information(r));
    const size_t bands[][2] = { { 100, 20 }, { 120, 40 }, { 0, 10 },
                                { 200, 17 } };
    for (int i = 0; i < 4; i++) {
        size_t lo[2] = { 50, bands[i][0] }, ext[2] = { 100, bands[i][1] };
        pipit_region_t reg = pipit_region_make(2, lo, ext);
        ASSERT_OK(pipit_node_update_region(r, 0, &reg));
    }
    /* the last band holds row 216 */
    CU_ASSERT_EQUAL(px(pipit_node_get_output(r, 0), 149, 216, 0),
                    px(pipit_node_get_output(r, 0), 149, 216, 0));
    size_t lo[2] = { 0, 100 }, ext[2] = { 181, 21 };
    pipit_region_t reg = pipit_region_make(2, lo, ext);
    ASSERT_OK(pipit_node_update_region(r, 0, &reg));
    CU_ASSERT_EQUAL(px(pipit_node_get_output(r, 0), 90, 108, 0), 206);
    size_t lo2[2] = { 0, 0 }, ext2[2] = { 181, 1 };
    reg = pipit_region_make(2, lo2, ext2);
    ASSERT_OK(pipit_node_update_region(r, 0, &reg));
    CU_ASSERT_EQUAL(px(pipit_node_get_output(r, 0), 0, 0, 0), 1);
    pipit_node_unref(r);
}

static void
test_bad_files(void)
{
    pipit_image_t *img = NULL;
    size_t n;
    unsigned char *good = io_read_file(test_data("io/BrainProtonDensitySlice.png"),
                                       &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(good);
    /* truncated inside the pixel data */
    io_write_file(test_tmp("cut.png"), good, n / 2);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("cut.png"), &img),
                      PIPIT_EFORMAT, "truncated");
    CU_ASSERT_PTR_NULL(img);
    /* a flipped bit in a chunk */
    good[n / 2] ^= 0x10;
    io_write_file(test_tmp("crc.png"), good, n);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("crc.png"), &img),
                      PIPIT_EFORMAT, "crc.png");
    /* a header that lies: 100000 x 100000 from a few bytes */
    good[n / 2] ^= 0x10;
    unsigned char lie[33];
    memcpy(lie, good, 33);
    lie[16] = 0, lie[17] = 1, lie[18] = 0x86, lie[19] = 0xa0;
    lie[20] = 0, lie[21] = 1, lie[22] = 0x86, lie[23] = 0xa0;
    uLong crc = crc32(0, lie + 12, 17);
    lie[29] = (unsigned char)(crc >> 24), lie[30] = (unsigned char)(crc >> 16);
    lie[31] = (unsigned char)(crc >> 8), lie[32] = (unsigned char)crc;
    unsigned char *lying = malloc(n);
    memcpy(lying, good, n);
    memcpy(lying, lie, 33);
    io_write_file(test_tmp("lie.png"), lying, n);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("lie.png"), &img),
                      PIPIT_EFORMAT, "cannot come from");
    /* zero width */
    memset(lying + 16, 0, 4);
    crc = crc32(0, lying + 12, 17);
    lying[29] = (unsigned char)(crc >> 24), lying[30] = (unsigned char)(crc >> 16);
    lying[31] = (unsigned char)(crc >> 8), lying[32] = (unsigned char)crc;
    io_write_file(test_tmp("zero.png"), lying, n);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("zero.png"), &img),
                      PIPIT_EFORMAT, "width");
    free(lying);
    free(good);
    /* not a PNG */
    io_write_file(test_tmp("text.png"), "hello, world", 12);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("text.png"), &img),
                      PIPIT_EFORMAT, "signature");
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("missing.png"), &img),
                      PIPIT_EIO, "missing.png");
    /* pixel types and shapes PNG cannot hold */
    size_t s2[2] = { 3, 3 }, s3[3] = { 3, 3, 2 };
    img = io_pattern(2, s2, PIPIT_F32, 1, 0);
    ASSERT_FAILS_WITH(pipit_image_write(img, test_tmp("f.png")),
                      PIPIT_EUNSUPPORTED, "f32");
    CU_ASSERT_EQUAL(io_count_prefix(test_tmpdir(), "f.png"), 0);
    pipit_image_unref(img);
    img = io_pattern(3, s3, PIPIT_U8, 1, 0);
    ASSERT_FAILS_WITH(pipit_image_write(img, test_tmp("v.png")),
                      PIPIT_EUNSUPPORTED, "2-D");
    pipit_image_unref(img);
    img = io_pattern(2, s2, PIPIT_U8, 5, 0);
    ASSERT_FAILS_WITH(pipit_image_write(img, test_tmp("c5.png")),
                      PIPIT_EUNSUPPORTED, "components");
    pipit_image_unref(img);
}

/* Writing with a palette: the file is a palette PNG of the least bit
 * depth that holds the colours (IHDR read from the bytes), and it reads
 * back as each pixel's colour; misuse is refused with a message. */
static void
test_palette_write(void)
{
    static const uint8_t pal[200][3] = {
        { 255, 255, 255 }, { 10, 20, 30 }, { 200, 0, 0 }, { 0, 200, 0 },
    };
    const struct { unsigned colours, depth; } cases[] = {
        { 2, 1 }, { 3, 2 }, { 4, 2 }, { 16, 4 }, { 200, 8 },
    };
    size_t size[2] = { 37, 11 }; /* odd width: packed rows end mid-byte */
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_U8, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    const char *path = test_tmp("palette.png");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t *p = pipit_image_data_writable(img);
        for (size_t i = 0; i < 37 * 11; i++)
            p[i] = (uint8_t)((i * 7 + i / 37) % cases[c].colours);
        pipit_write_options_t opt = { .palette = pal,
                                      .palette_size = cases[c].colours };
        ASSERT_OK(pipit_image_write_with(img, path, &opt));
        FILE *f = fopen(path, "rb");
        unsigned char head[26] = { 0 };
        CU_ASSERT_FATAL(f != NULL);
        CU_ASSERT_EQUAL(fread(head, 1, sizeof head, f), sizeof head);
        fclose(f);
        CU_ASSERT_EQUAL(head[24], cases[c].depth); /* IHDR bit depth */
        CU_ASSERT_EQUAL(head[25], 3);              /* colour type 3 */
        pipit_image_t *back = NULL;
        ASSERT_OK(pipit_image_read(path, &back));
        CU_ASSERT_PTR_NOT_NULL_FATAL(back);
        CU_ASSERT_EQUAL(pipit_image_components(back), 3);
        size_t wrong = 0;
        const uint8_t *b = pipit_image_data(back);
        for (size_t i = 0; i < 37 * 11; i++)
            wrong += memcmp(b + 3 * i, pal[p[i]], 3) != 0;
        CU_ASSERT_EQUAL(wrong, 0);
        pipit_image_unref(back);
    }
    /* an index past the palette: named, and nothing written */
    remove(path);
    memset(pipit_image_data_writable(img), 3, 37 * 11);
    ((uint8_t *)pipit_image_data_writable(img))[5 + 2 * 37] = 9;
    pipit_write_options_t opt = { .palette = pal, .palette_size = 4 };
    CU_ASSERT_EQUAL(pipit_image_write_with(img, path, &opt), PIPIT_EINVAL);
    CU_ASSERT(strstr(pipit_error_message(), "(5, 2)") != NULL);
    CU_ASSERT_PTR_NULL(fopen(path, "rb"));
    /* sizes out of range, other formats, other images */
    opt.palette_size = 0;
    CU_ASSERT_EQUAL(pipit_image_write_with(img, path, &opt), PIPIT_EINVAL);
    opt.palette_size = 257;
    CU_ASSERT_EQUAL(pipit_image_write_with(img, path, &opt), PIPIT_EINVAL);
    CU_ASSERT(strstr(pipit_error_message(), "257") != NULL);
    opt.palette_size = 16;
    CU_ASSERT_EQUAL(pipit_image_write_with(img, test_tmp("palette.mha"),
                                           &opt), PIPIT_EUNSUPPORTED);
    pipit_image_t *rgb = pipit_image_new(2, size, PIPIT_U8, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rgb);
    CU_ASSERT_EQUAL(pipit_image_write_with(rgb, path, &opt),
                    PIPIT_EUNSUPPORTED);
    CU_ASSERT(strstr(pipit_error_message(), "palette") != NULL);
    pipit_image_unref(rgb);
    pipit_image_unref(img);
}

const test_case_t test_io_png_cases[] = {
    { "real_file", test_real_file },
    { "round_trips", test_round_trips },
    { "colour_types", test_colour_types },
    { "interlaced", test_interlaced },
    { "regions_in_order", test_regions_in_order },
    { "bad_files", test_bad_files },
    { "palette_write", test_palette_write },
    { NULL, NULL },
};

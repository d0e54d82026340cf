/* SPDX-License-Identifier: Apache-2.0 */
/* MetaImage: real files, round trips, header forms, bad files, regions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test_io_util.h"

#include "io_impl.h"

static double
value_at(const pipit_image_t *img, size_t x, size_t y, size_t z)
{
    size_t idx[3] = { x, y, z };
    return pipit_image_get_value(img, idx, 0);
}

static void
test_real_files(void)
{
    pipit_image_t *img = NULL;
    /* elastix's example: 256x256 short, data in fixed.raw */
    ASSERT_OK(pipit_image_read(test_data("io/fixed.mhd"), &img));
    CU_ASSERT_EQUAL(pipit_image_dim(img), 2);
    CU_ASSERT_EQUAL(pipit_image_size(img)[0], 256);
    CU_ASSERT_EQUAL(pipit_image_size(img)[1], 256);
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_I16);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[0], 1.0);
    CU_ASSERT_EQUAL(value_at(img, 0, 0, 0), 0);
    CU_ASSERT_EQUAL(value_at(img, 128, 128, 0), 73);
    CU_ASSERT_EQUAL(value_at(img, 100, 37, 0), 186);
    CU_ASSERT_EQUAL(value_at(img, 200, 150, 0), 78);
    CU_ASSERT_EQUAL(value_at(img, 255, 255, 0), 1);
    pipit_image_unref(img);

    /* ITK's 3-slice volume, .mha header naming a .raw */
    ASSERT_OK(pipit_image_read(test_data("io/BrainProtonDensity3Slices.mha"),
                               &img));
    CU_ASSERT_EQUAL(pipit_image_dim(img), 3);
    CU_ASSERT_EQUAL(pipit_image_size(img)[0], 181);
    CU_ASSERT_EQUAL(pipit_image_size(img)[1], 217);
    CU_ASSERT_EQUAL(pipit_image_size(img)[2], 3);
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_U8);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[2], 1.0);
    CU_ASSERT_EQUAL(value_at(img, 0, 0, 0), 7);
    CU_ASSERT_EQUAL(value_at(img, 90, 108, 1), 228);
    CU_ASSERT_EQUAL(value_at(img, 60, 120, 0), 167);
    CU_ASSERT_EQUAL(value_at(img, 100, 50, 2), 160);
    CU_ASSERT_EQUAL(value_at(img, 180, 216, 2), 1);
    pipit_image_unref(img);

    /* the mask's .raw has 12 trailing bytes: fine */
    ASSERT_OK(pipit_image_read(test_data("io/mask_fixed.mhd"), &img));
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_I8);
    CU_ASSERT_EQUAL(value_at(img, 128, 128, 0), 1);
    CU_ASSERT_EQUAL(value_at(img, 0, 0, 0), 0);
    pipit_image_unref(img);
}

/* Every pixel type, 1 and 3 components, 2-, 3- and 4-D, .mha and .mhd,
 * raw and compressed: bit-exact pixels and geometry. */
static void
test_round_trips(void)
{
    static const size_t sizes[][4] = {
        { 1, 1, 1, 1 }, { 7, 5, 1, 1 }, { 13, 3, 4, 1 }, { 3, 2, 2, 3 }
    };
    static const unsigned dims[] = { 2, 2, 3, 4 };
    const double spacing[4] = { 0.1, 2.5, 1.0 / 3.0, 7 };
    const double origin[4] = { -12.3456789, 1e-3, 100.25, -0.5 };
    double c = cos(0.3), s = sin(0.3);
    int cases = 0;
    for (int t = 0; t < PIPIT_PIXEL_TYPE_COUNT; t++)
        for (unsigned k = 0; k < 4; k++)
            for (unsigned nc = 1; nc <= 3; nc += 2)
                for (int variant = 0; variant < 4; variant++) {
                    unsigned dim = dims[k];
                    pipit_image_t *img =
                        io_pattern(dim, sizes[k], (pipit_pixel_type_t)t, nc,
                                   k * 10 + nc);
                    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
                    double dir[16] = { 0 };
                    for (unsigned d = 0; d < dim; d++)
                        dir[d * dim + d] = 1.0;
                    /* a rotation in the x-y plane */
                    dir[0] = c, dir[1] = -s, dir[dim] = s, dir[dim + 1] = c;
                    ASSERT_OK(pipit_image_set_spacing(img, spacing));
                    ASSERT_OK(pipit_image_set_origin(img, origin));
                    ASSERT_OK(pipit_image_set_direction(img, dir));
                    char name[64];
                    snprintf(name, sizeof name, "rt_%d_%u_%u_%d.%s", t, k, nc,
                             variant, variant & 1 ? "mhd" : "mha");
                    pipit_write_options_t opt = { .compress = variant >= 2 };
                    pipit_image_t *back = io_round_trip(img, test_tmp(name),
                                                        &opt);
                    CU_ASSERT(io_same_pixels(img, back));
                    io_assert_geometry(img, back, 0.0);
                    pipit_image_unref(back);
                    pipit_image_unref(img);
                    cases++;
                }
    CU_ASSERT_EQUAL(cases, 8 * 4 * 2 * 4);
}

/* The header ITK writes, key by key. */
static void
test_header_text(void)
{
    size_t size[3] = { 4, 3, 2 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_F32, 1, 1);
    const char *path = test_tmp("hdr.mha");
    ASSERT_OK(pipit_image_write(img, path));
    size_t n;
    char *text = (char *)io_read_file(path, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    const char *expect =
        "ObjectType = Image\nNDims = 3\nBinaryData = True\n"
        "BinaryDataByteOrderMSB = False\nCompressedData = False\n"
        "TransformMatrix = 1 0 0 0 1 0 0 0 1\nOffset = 0 0 0\n"
        "CenterOfRotation = 0 0 0\nAnatomicalOrientation = RAI\n"
        "ElementSpacing = 1 1 1\nDimSize = 4 3 2\nElementType = MET_FLOAT\n"
        "ElementDataFile = LOCAL\n";
    CU_ASSERT_EQUAL(n, strlen(expect) + 4 * 3 * 2 * 4);
    CU_ASSERT_NSTRING_EQUAL(text, expect, strlen(expect));
    free(text);

    /* .mhd names its .zraw without a folder; the data file exists */
    pipit_write_options_t opt = { .compress = true };
    ASSERT_OK(pipit_image_write_with(img, test_tmp("hdr2.mhd"), &opt));
    text = (char *)io_read_file(test_tmp("hdr2.mhd"), &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "CompressedData = True\n"
                                        "CompressedDataSize = "));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "ElementDataFile = hdr2.zraw\n"));
    CU_ASSERT(io_exists(test_tmp("hdr2.zraw")));
    free(text);
    pipit_image_unref(img);
}

static void
write_text(const char *name, const char *text)
{
    io_write_file(test_tmp(name), text, strlen(text));
}

/* Byte order, spelled-out keys, LIST and pattern data files,
 * HeaderSize = -1, and a header without a final newline. */
static void
test_header_forms(void)
{
    pipit_image_t *img = NULL;
    /* big-endian shorts 0x0102 0x0304 ... */
    unsigned char be[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    io_write_file(test_tmp("be.raw"), be, sizeof be);
    write_text("be.mhd", "NDims = 2\nDimSize = 3 2\nElementType = MET_USHORT\n"
                         "BinaryDataByteOrderMSB = True\nElementSpacing = 0.5"
                         " 0.25\nPosition = 1 2\nRotation = 0 1 -1 0\n"
                         "ElementDataFile = be.raw");
    ASSERT_OK(pipit_image_read(test_tmp("be.mhd"), &img));
    CU_ASSERT_EQUAL(value_at(img, 0, 0, 0), 0x0102);
    CU_ASSERT_EQUAL(value_at(img, 2, 1, 0), 0x0b0c);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[1], 0.25);
    CU_ASSERT_EQUAL(pipit_image_origin(img)[1], 2.0);
    /* Rotation rows are axis directions: axis 0 points along +y */
    CU_ASSERT_EQUAL(pipit_image_direction(img)[0], 0.0);
    CU_ASSERT_EQUAL(pipit_image_direction(img)[2], 1.0);
    CU_ASSERT_EQUAL(pipit_image_direction(img)[1], -1.0);
    pipit_image_unref(img);

    /* LIST: one file per slice */
    unsigned char s0[4] = { 1, 2, 3, 4 }, s1[4] = { 5, 6, 7, 8 };
    io_write_file(test_tmp("slice0.raw"), s0, 4);
    io_write_file(test_tmp("slice1.raw"), s1, 4);
    write_text("list.mhd", "NDims = 3\nDimSize = 2 2 2\nElementType = "
                           "MET_UCHAR\nElementDataFile = LIST 2D\n"
                           "slice0.raw\nslice1.raw\n");
    ASSERT_OK(pipit_image_read(test_tmp("list.mhd"), &img));
    CU_ASSERT_EQUAL(value_at(img, 1, 1, 0), 4);
    CU_ASSERT_EQUAL(value_at(img, 0, 0, 1), 5);
    CU_ASSERT_EQUAL(value_at(img, 1, 1, 1), 8);
    pipit_image_unref(img);

    /* printf pattern: slice%d.raw 0 1 1 */
    write_text("pat.mhd", "NDims = 3\nDimSize = 2 2 2\nElementType = "
                          "MET_UCHAR\nElementDataFile = slice%d.raw 0 1 1\n");
    ASSERT_OK(pipit_image_read(test_tmp("pat.mhd"), &img));
    CU_ASSERT_EQUAL(value_at(img, 1, 0, 1), 6);
    pipit_image_unref(img);

    /* HeaderSize = -1: pixels are the last bytes of the data file */
    unsigned char junk[7] = { 9, 9, 9, 1, 2, 3, 4 };
    io_write_file(test_tmp("tail.raw"), junk, sizeof junk);
    write_text("tail.mhd", "NDims = 2\nDimSize = 2 2\nElementType = MET_CHAR\n"
                           "HeaderSize = -1\nElementDataFile = tail.raw\n");
    ASSERT_OK(pipit_image_read(test_tmp("tail.mhd"), &img));
    CU_ASSERT_EQUAL(value_at(img, 0, 0, 0), 1);
    CU_ASSERT_EQUAL(value_at(img, 1, 1, 0), 4);
    pipit_image_unref(img);

    /* CRLF lines, channels, NDims = 1 */
    unsigned char v[6] = { 1, 2, 3, 4, 5, 6 };
    char hdr[256];
    int k = snprintf(hdr, sizeof hdr, "NDims = 1\r\nDimSize = 3\r\n"
                     "ElementNumberOfChannels = 2\r\nElementType = "
                     "MET_UCHAR_ARRAY\r\nElementDataFile = LOCAL\r\n");
    memcpy(hdr + k, v, sizeof v);
    io_write_file(test_tmp("crlf.mha"), hdr, (size_t)k + sizeof v);
    ASSERT_OK(pipit_image_read(test_tmp("crlf.mha"), &img));
    CU_ASSERT_EQUAL(pipit_image_dim(img), 2);
    CU_ASSERT_EQUAL(pipit_image_size(img)[0], 3);
    CU_ASSERT_EQUAL(pipit_image_size(img)[1], 1);
    CU_ASSERT_EQUAL(pipit_image_components(img), 2);
    size_t idx[2] = { 2, 0 };
    CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, 1), 6);
    pipit_image_unref(img);
}

typedef struct bad_case {
    const char *name;
    const char *header;     /* .mha text; pixels appended: `bytes` zeros */
    size_t bytes;
    pipit_status_t status;
    const char *word;
} bad_case_t;

static const bad_case_t bad_cases[] = {
    { "truncated", "NDims = 2\nDimSize = 4 4\nElementType = MET_SHORT\n"
      "ElementDataFile = LOCAL\n", 31, PIPIT_EFORMAT, "truncated" },
    { "lying", "NDims = 3\nDimSize = 1000 1000 1000\nElementType = MET_FLOAT\n"
      "ElementDataFile = LOCAL\n", 64, PIPIT_EFORMAT, "truncated" },
    { "zero", "NDims = 2\nDimSize = 0 4\nElementType = MET_UCHAR\n"
      "ElementDataFile = LOCAL\n", 4, PIPIT_EFORMAT, "DimSize" },
    { "negative", "NDims = 2\nDimSize = -3 4\nElementType = MET_UCHAR\n"
      "ElementDataFile = LOCAL\n", 4, PIPIT_EFORMAT, "DimSize" },
    { "absurd", "NDims = 2\nDimSize = 1e300 4\nElementType = MET_UCHAR\n"
      "ElementDataFile = LOCAL\n", 4, PIPIT_ERANGE, "DimSize" },
    { "overflow", "NDims = 4\nDimSize = 65536 65536 65536 65536\n"
      "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n", 4, PIPIT_ERANGE,
      "overflows" },
    { "overflow-bytes", "NDims = 2\nDimSize = 4294967296 1073741824\n"
      "ElementType = MET_DOUBLE\nElementDataFile = LOCAL\n", 4, PIPIT_ERANGE,
      "overflows" },
    { "type", "NDims = 2\nDimSize = 2 2\nElementType = MET_LONG_LONG\n"
      "ElementDataFile = LOCAL\n", 32, PIPIT_EUNSUPPORTED, "MET_LONG_LONG" },
    { "ndims", "NDims = 5\nDimSize = 1 1 1 1 1\nElementType = MET_UCHAR\n"
      "ElementDataFile = LOCAL\n", 1, PIPIT_EUNSUPPORTED, "NDims" },
    { "dimsize-count", "NDims = 3\nDimSize = 2 2\nElementType = MET_UCHAR\n"
      "ElementDataFile = LOCAL\n", 8, PIPIT_EFORMAT, "DimSize" },
    { "no-type", "NDims = 2\nDimSize = 2 2\nElementDataFile = LOCAL\n", 4,
      PIPIT_EFORMAT, "ElementType" },
    { "no-datafile", "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\n", 0,
      PIPIT_EFORMAT, "ElementDataFile" },
    { "binary", "NDims = 2\nDimSize = 2 2\nBinaryData = False\n"
      "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n", 4,
      PIPIT_EUNSUPPORTED, "BinaryData" },
    { "spacing", "NDims = 2\nDimSize = 2 2\nElementSpacing = 1 0\n"
      "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n", 4, PIPIT_EFORMAT,
      "spacing" },
    { "spacing-nan", "NDims = 2\nDimSize = 2 2\nElementSpacing = 1 nan\n"
      "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n", 4, PIPIT_EFORMAT,
      "finite" },
    { "singular", "NDims = 2\nDimSize = 2 2\nTransformMatrix = 1 0 1 0\n"
      "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n", 4, PIPIT_EFORMAT,
      "singular" },
    { "compressed-lie", "NDims = 3\nDimSize = 1000 1000 100\nElementType = "
      "MET_UCHAR\nCompressedData = True\nCompressedDataSize = 10\n"
      "ElementDataFile = LOCAL\n", 10, PIPIT_EFORMAT, "compressed" },
    { "compressed-size", "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\n"
      "CompressedData = True\nCompressedDataSize = 1000\n"
      "ElementDataFile = LOCAL\n", 10, PIPIT_EFORMAT, "truncated" },
    { "compressed-corrupt", "NDims = 2\nDimSize = 2 2\nElementType = "
      "MET_UCHAR\nCompressedData = True\nElementDataFile = LOCAL\n", 10,
      PIPIT_EFORMAT, "compressed" },
    { "missing-raw", "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\n"
      "ElementDataFile = nothere.raw\n", 0, PIPIT_EIO, "nothere.raw" },
    { "binary-junk", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 0, PIPIT_EFORMAT, "mha" },
    { "pattern", "NDims = 3\nDimSize = 1 1 2\nElementType = MET_UCHAR\n"
      "ElementDataFile = %s%d.raw 0 1 1\n", 0, PIPIT_EFORMAT, "pattern" },
    { "empty", "", 0, PIPIT_EFORMAT, "empty" },
};

static void
test_bad_files(void)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case_t *b = &bad_cases[i];
        char name[64];
        snprintf(name, sizeof name, "bad_%s.mha", b->name);
        size_t hn = strlen(b->header);
        if (strcmp(b->name, "binary-junk") == 0)
            hn = 16;
        char *buf = calloc(1, hn + b->bytes + 1);
        memcpy(buf, b->header, hn);
        io_write_file(test_tmp(name), buf, hn + b->bytes);
        free(buf);
        pipit_image_t *img = (pipit_image_t *)1;
        pipit_status_t st = pipit_image_read(test_tmp(name), &img);
        if (st != b->status || strstr(pipit_error_message(), b->word) == NULL)
            fprintf(stderr, "\ncase %s: %s: %s\n", b->name,
                    pipit_status_name(st), pipit_error_message());
        ASSERT_FAILS_WITH(st, b->status, b->word);
        CU_ASSERT_PTR_NULL(img);
        /* messages name the file */
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), name));
    }
}

/* Inputs the fuzzer found, kept: each must fail fast and cleanly. */
static void
test_fuzz_regressions(void)
{
    pipit_image_t *img = NULL;
    /* a pattern "%0000739205605188d" for 13333 files: snprintf crawled */
    ASSERT_FAILS_WITH(pipit_image_read(test_data("io/fuzz/mha-pattern-width"
                                                 ".mha"), &img),
                      PIPIT_EFORMAT, "pattern");
    CU_ASSERT_PTR_NULL(img);
}

/* A data file that is not a regular file (a FIFO would block, a device
 * has no size) is refused without touching it. */
static void
test_not_regular(void)
{
    const char *fifo = test_tmp("fifo.raw");
    pipit_image_t *img = NULL;
    if (mkfifo(fifo, 0600) == 0) {
        write_text("fifo.mhd", "NDims = 2\nDimSize = 2 2\nElementType = "
                               "MET_UCHAR\nElementDataFile = fifo.raw\n");
        ASSERT_FAILS_WITH(pipit_image_read(test_tmp("fifo.mhd"), &img),
                          PIPIT_EIO, "regular");
    }
    write_text("dev.mhd", "NDims = 2\nDimSize = 2 2\nElementType = "
                          "MET_UCHAR\nElementDataFile = /dev/zero\n");
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("dev.mhd"), &img), PIPIT_EIO,
                      "regular");
    ASSERT_FAILS_WITH(pipit_image_read(test_tmpdir(), &img),
                      PIPIT_EUNSUPPORTED, "unknown file type");
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("."), &img),
                      PIPIT_EUNSUPPORTED, "unknown file type");
    CU_ASSERT_PTR_NULL(img);
}

/* A region of a 8 MiB volume reads only its own bytes, and correctly. */
static void
test_region_reads_only_region(void)
{
    size_t size[3] = { 256, 256, 64 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_U16, 1, 5);
    for (int form = 0; form < 2; form++) {
        const char *path = test_tmp(form == 0 ? "big.mha" : "big.mhd");
        ASSERT_OK(pipit_image_write(img, path));
        pipit_node_t *r = pipit_reader_new(path);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        ASSERT_OK(pipit_node_update_information(r));
        size_t lo[3] = { 100, 30, 40 }, ext[3] = { 17, 5, 3 };
        pipit_region_t reg = pipit_region_make(3, lo, ext);
        uint64_t before = pipit__io_bytes_read();
        ASSERT_OK(pipit_node_update_region(r, 0, &reg));
        uint64_t used = pipit__io_bytes_read() - before;
        /* 15 rows of 34 bytes; the header was read by the info pass */
        CU_ASSERT(used <= 15 * 17 * 2);
        CU_ASSERT(used >= 15 * 17 * 2);
        pipit_image_t *out = pipit_node_get_output(r, 0);
        for (size_t z = 40; z < 43; z++)
            for (size_t y = 30; y < 35; y++)
                for (size_t x = 100; x < 117; x++) {
                    size_t idx[3] = { x, y, z };
                    CU_ASSERT_EQUAL(pipit_image_get_value(out, idx, 0),
                                    pipit_image_get_value(img, idx, 0));
                }
        /* whole rows and slices: one read per slice run */
        size_t lo2[3] = { 0, 0, 10 }, ext2[3] = { 256, 256, 2 };
        reg = pipit_region_make(3, lo2, ext2);
        before = pipit__io_bytes_read();
        ASSERT_OK(pipit_node_update_region(r, 0, &reg));
        CU_ASSERT_EQUAL(pipit__io_bytes_read() - before, 256 * 256 * 2 * 2);
        pipit_node_unref(r);
    }
    pipit_image_unref(img);
}

/* A compressed file streamed piece by piece inflates once, in order. */
static void
test_compressed_streaming(void)
{
    size_t size[3] = { 64, 48, 20 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_I32, 2, 9);
    pipit_write_options_t opt = { .compress = true, .level = 1 };
    const char *path = test_tmp("zs.mha");
    ASSERT_OK(pipit_image_write_with(img, path, &opt));
    pipit_node_t *r = pipit_reader_new(path);
    ASSERT_OK(pipit_node_update_information(r));
    for (size_t z = 0; z < 20; z += 4) {
        size_t lo[3] = { 3, 0, z }, ext[3] = { 50, 48, 4 };
        pipit_region_t reg = pipit_region_make(3, lo, ext);
        ASSERT_OK(pipit_node_update_region(r, 0, &reg));
        pipit_image_t *out = pipit_node_get_output(r, 0);
        size_t idx[3] = { 40, 47, z + 3 };
        CU_ASSERT_EQUAL(pipit_image_get_value(out, idx, 1),
                        pipit_image_get_value(img, idx, 1));
    }
    pipit_node_unref(r);
    pipit_image_unref(img);
}

const test_case_t test_io_mha_cases[] = {
    { "real_files", test_real_files },
    { "round_trips", test_round_trips },
    { "header_text", test_header_text },
    { "header_forms", test_header_forms },
    { "bad_files", test_bad_files },
    { "not_regular", test_not_regular },
    { "fuzz_regressions", test_fuzz_regressions },
    { "region_reads_only_region", test_region_reads_only_region },
    { "compressed_streaming", test_compressed_streaming },
    { NULL, NULL },
};

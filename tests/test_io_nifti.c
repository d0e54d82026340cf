/* SPDX-License-Identifier: Apache-2.0 */
/* NIfTI-1: round trips, orientation as ITK reads it, scaling, bad files. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "test_io_util.h"

#include "io_impl.h"

/* ---- a hand-made header -------------------------------------------------- */

typedef struct hdr {
    unsigned char b[352];
} hdr_t;

static void
put16(hdr_t *h, size_t off, int v)
{
    int16_t s = (int16_t)v;
    memcpy(h->b + off, &s, 2);
}

static void
put32(hdr_t *h, size_t off, int32_t v)
{
    memcpy(h->b + off, &v, 4);
}

static void
putf(hdr_t *h, size_t off, double v)
{
    float f = (float)v;
    memcpy(h->b + off, &f, 4);
}

/* A valid header: dims[0] axes, type code / bitpix, voxels at 352. */
static hdr_t
make_hdr(const int *dims, int code, int bitpix)
{
    hdr_t h;
    memset(&h, 0, sizeof h);
    put32(&h, 0, 348);
    for (int i = 0; i < 8; i++)
        put16(&h, 40 + 2 * (size_t)i, i <= dims[0] ? dims[i] : 1);
    put16(&h, 70, code);
    put16(&h, 72, bitpix);
    for (int i = 0; i < 8; i++)
        putf(&h, 76 + 4 * (size_t)i, 1.0);
    putf(&h, 108, 352);
    memcpy(h.b + 344, "n+1\0", 4);
    return h;
}

static void
write_nii(const char *name, const hdr_t *h, const void *vox, size_t n)
{
    unsigned char *buf = malloc(352 + n);
    memcpy(buf, h->b, 352);
    memcpy(buf + 352, vox, n);
    io_write_file(test_tmp(name), buf, 352 + n);
    free(buf);
}

/* ---- tests --------------------------------------------------------------- */

static void
test_round_trips(void)
{
    static const size_t sizes[][4] = {
        { 1, 1, 1, 1 }, { 7, 5, 1, 1 }, { 5, 3, 4, 1 }, { 3, 2, 2, 3 }
    };
    static const unsigned dims[] = { 2, 2, 3, 4 };
    /* float-exact geometry: NIfTI stores floats */
    const double spacing[4] = { 0.5, 2.25, 3, 1.5 };
    const double origin[4] = { -12.5, 3.75, 100, 0 };
    int cases = 0;
    for (int t = 0; t < PIPIT_PIXEL_TYPE_COUNT; t++)
        for (unsigned k = 0; k < 4; k++)
            for (unsigned nc = 1; nc <= 4; nc++)
                for (int gz = 0; gz < 2; gz++) {
                    unsigned dim = dims[k];
                    pipit_image_t *img =
                        io_pattern(dim, sizes[k], (pipit_pixel_type_t)t, nc,
                                   k + 3 * nc);
                    double dir[16] = { 0 };
                    /* axis 0 along -y, axis 1 along +x, axis 2 along -z */
                    dir[0 * dim + 1] = 1.0;
                    dir[1 * dim + 0] = -1.0;
                    for (unsigned d = 2; d < dim; d++)
                        dir[d * dim + d] = d == 2 ? -1.0 : 1.0;
                    ASSERT_OK(pipit_image_set_spacing(img, spacing));
                    ASSERT_OK(pipit_image_set_origin(img, origin));
                    ASSERT_OK(pipit_image_set_direction(img, dir));
                    char name[64];
                    snprintf(name, sizeof name, "rt_%d_%u_%u.%s", t, k, nc,
                             gz ? "nii.gz" : "nii");
                    pipit_image_t *back = io_round_trip(img, test_tmp(name),
                                                        NULL);
                    CU_ASSERT(io_same_pixels(img, back));
                    io_assert_geometry(img, back, 0.0);
                    pipit_image_unref(back);
                    pipit_image_unref(img);
                    cases++;
                }
    CU_ASSERT_EQUAL(cases, 8 * 4 * 4 * 2);
}

/* A general rotation survives to float precision. */
static void
test_oblique(void)
{
    size_t size[3] = { 4, 3, 2 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_F32, 1, 2);
    double a = 0.5236, b = -0.3;
    double rz[9] = { cos(a), -sin(a), 0, sin(a), cos(a), 0, 0, 0, 1 };
    double rx[9] = { 1, 0, 0, 0, cos(b), -sin(b), 0, sin(b), cos(b) };
    double dir[9] = { 0 };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++)
                dir[3 * i + j] += rz[3 * i + k] * rx[3 * k + j];
    const double sp[3] = { 0.7, 1.3, 2.9 }, org[3] = { 10.1, -20.2, 30.3 };
    ASSERT_OK(pipit_image_set_direction(img, dir));
    ASSERT_OK(pipit_image_set_spacing(img, sp));
    ASSERT_OK(pipit_image_set_origin(img, org));
    pipit_image_t *back = io_round_trip(img, test_tmp("obl.nii"), NULL);
    io_assert_geometry(img, back, 2e-6);
    CU_ASSERT(io_same_pixels(img, back));
    pipit_image_unref(back);
    pipit_image_unref(img);
}

/* qform only: ITK's LPS direction from a quaternion with qfac -1, and
 * scl_slope / scl_inter giving float voxels. */
static void
test_qform_and_scaling(void)
{
    int dims[8] = { 3, 2, 2, 2 };
    hdr_t h = make_hdr(dims, 4 /* int16 */, 16);
    putf(&h, 76, -1.0);                 /* qfac */
    putf(&h, 80, 2.0), putf(&h, 84, 3.0), putf(&h, 88, 4.0);
    putf(&h, 112, 0.5), putf(&h, 116, -1.0); /* slope, inter */
    put16(&h, 252, 1);                  /* qform_code scanner */
    /* 90 degrees about z: (b, c, d) = (0, 0, sin 45) */
    putf(&h, 264, sqrt(0.5));
    putf(&h, 268, 5.0), putf(&h, 272, 6.0), putf(&h, 276, 7.0);
    int16_t vox[8] = { 0, 1, 2, 3, 4, 5, -6, 100 };
    write_nii("q.nii", &h, vox, sizeof vox);
    pipit_image_t *img = NULL;
    ASSERT_OK(pipit_image_read(test_tmp("q.nii"), &img));
    CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_F32);
    size_t idx[3] = { 0, 1, 1 };
    CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, 0), -4.0);
    idx[0] = 1;
    CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, 0), 49.0);
    const double *sp = pipit_image_spacing(img);
    CU_ASSERT_EQUAL(sp[0], 2.0);
    CU_ASSERT_EQUAL(sp[2], 4.0);
    /* RAS rotation R = [[0,-1,0],[1,0,0],[0,0,1]], column 2 * qfac,
     * then rows 0 and 1 negated (LPS) */
    const double expect[9] = { 0, 1, 0, -1, 0, 0, 0, 0, -1 };
    const double *d = pipit_image_direction(img);
    for (int i = 0; i < 9; i++)
        CU_ASSERT_DOUBLE_EQUAL(d[i], expect[i], 1e-6);
    CU_ASSERT_EQUAL(pipit_image_origin(img)[0], -5.0);
    CU_ASSERT_EQUAL(pipit_image_origin(img)[1], -6.0);
    CU_ASSERT_EQUAL(pipit_image_origin(img)[2], 7.0);
    pipit_image_unref(img);

    /* rescale off: the stored integers */
    pipit_node_t *r = pipit_reader_new(test_tmp("q.nii"));
    ASSERT_OK(pipit_node_set(r, "rescale", "false"));
    ASSERT_OK(pipit_node_update(r));
    CU_ASSERT_EQUAL(pipit_image_pixel_type(pipit_node_get_output(r, 0)),
                    PIPIT_I16);
    pipit_node_unref(r);

    /* sform (scanner) wins over a different qform; byte-swapped header */
    h = make_hdr(dims, 2 /* uint8 */, 8);
    put16(&h, 252, 1);
    put16(&h, 254, 1);
    /* srow: x = -2 i + 10, y = 3 j, z = 4 k - 1 */
    putf(&h, 280, -2.0), putf(&h, 292, 10.0);
    putf(&h, 296 + 4, 3.0);
    putf(&h, 312 + 8, 4.0), putf(&h, 312 + 12, -1.0);
    /* swap every 2- and 4-byte field we set */
    hdr_t s = h;
    for (size_t off = 0; off < 344; off += 4) {
        bool is16 = (off >= 40 && off < 56) || off == 68 || off == 72 ||
                    off == 252;
        if (is16) {
            unsigned char t = s.b[off];
            s.b[off] = s.b[off + 1], s.b[off + 1] = t;
            t = s.b[off + 2];
            s.b[off + 2] = s.b[off + 3], s.b[off + 3] = t;
        } else {
            for (int k = 0; k < 2; k++) {
                unsigned char t = s.b[off + (size_t)k];
                s.b[off + (size_t)k] = s.b[off + 3 - (size_t)k];
                s.b[off + 3 - (size_t)k] = t;
            }
        }
    }
    uint8_t v8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    write_nii("s.nii", &s, v8, sizeof v8);
    ASSERT_OK(pipit_image_read(test_tmp("s.nii"), &img));
    idx[0] = 1, idx[1] = 0, idx[2] = 1;
    CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, 0), 6);
    const double expect2[9] = { 1, 0, 0, 0, -1, 0, 0, 0, 1 };
    d = pipit_image_direction(img);
    for (int i = 0; i < 9; i++)
        CU_ASSERT_DOUBLE_EQUAL(d[i], expect2[i], 1e-12);
    CU_ASSERT_EQUAL(pipit_image_spacing(img)[0], 1.0); /* from pixdim */
    CU_ASSERT_EQUAL(pipit_image_origin(img)[0], -10.0);
    CU_ASSERT_EQUAL(pipit_image_origin(img)[2], -1.0);
    pipit_image_unref(img);
}

typedef struct bad {
    const char *name;
    int dims[8];
    int code, bitpix;
    double vox_offset;
    size_t bytes;          /* voxel bytes present */
    int poke;              /* 1: bad sizeof_hdr; 2: bad magic; 3: ni1 */
    pipit_status_t st;
    const char *word;
} bad_t;

static const bad_t bads[] = {
    { "truncated", { 3, 4, 4, 4 }, 16, 32, 352, 100, 0, PIPIT_EFORMAT,
      "truncated" },
    { "lying", { 3, 30000, 30000, 30000 }, 2, 8, 352, 8, 0, PIPIT_EFORMAT,
      "truncated" },
    { "zero", { 3, 4, 0, 4 }, 2, 8, 352, 64, 0, PIPIT_EFORMAT, "dim[2]" },
    { "negative", { 2, -4, 4 }, 2, 8, 352, 64, 0, PIPIT_EFORMAT, "dim[1]" },
    { "ndim", { 0, 4, 4 }, 2, 8, 352, 16, 0, PIPIT_EFORMAT, "dim[0]" },
    { "overflow", { 7, 32767, 32767, 32767, 32767, 32767, 32767, 32767 }, 64,
      64, 352, 8, 0, PIPIT_EUNSUPPORTED, "dim[6..7]" },
    { "overflow-bytes", { 5, 32767, 32767, 32767, 32767, 32767 }, 64, 64, 352,
      8, 0, PIPIT_ERANGE, "overflows" },
    { "complex", { 2, 2, 2 }, 32, 64, 352, 32, 0, PIPIT_EUNSUPPORTED,
      "datatype 32" },
    { "bitpix", { 2, 2, 2 }, 16, 16, 352, 16, 0, PIPIT_EFORMAT, "bitpix" },
    { "vox_offset", { 2, 2, 2 }, 2, 8, 100, 16, 0, PIPIT_EFORMAT,
      "vox_offset" },
    { "vox_offset-nan", { 2, 2, 2 }, 2, 8, NAN, 16, 0, PIPIT_EFORMAT,
      "vox_offset" },
    { "not-nifti", { 2, 2, 2 }, 2, 8, 352, 4, 1, PIPIT_EFORMAT, "348" },
    { "analyze", { 2, 2, 2 }, 2, 8, 352, 4, 2, PIPIT_EUNSUPPORTED, "magic" },
    { "pair", { 2, 2, 2 }, 2, 8, 352, 4, 3, PIPIT_EUNSUPPORTED, ".hdr" },
};

static void
test_bad_files(void)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        const bad_t *c = &bads[i];
        hdr_t h = make_hdr(c->dims, c->code, c->bitpix);
        putf(&h, 108, c->vox_offset);
        if (c->poke == 1)
            put32(&h, 0, 340);
        if (c->poke == 2)
            memcpy(h.b + 344, "abcd", 4);
        if (c->poke == 3)
            memcpy(h.b + 344, "ni1\0", 4);
        char name[64];
        snprintf(name, sizeof name, "bad_%s.nii", c->name);
        void *vox = calloc(1, c->bytes);
        write_nii(name, &h, vox, c->bytes);
        free(vox);
        pipit_image_t *img = NULL;
        pipit_status_t st = pipit_image_read(test_tmp(name), &img);
        if (st != c->st || strstr(pipit_error_message(), c->word) == NULL)
            fprintf(stderr, "\ncase %s: %s: %s\n", c->name,
                    pipit_status_name(st), pipit_error_message());
        ASSERT_FAILS_WITH(st, c->st, c->word);
        CU_ASSERT_PTR_NULL(img);
    }
    /* too short for a header */
    io_write_file(test_tmp("short.nii"), "abc", 3);
    pipit_image_t *img = NULL;
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("short.nii"), &img),
                      PIPIT_EFORMAT, "truncated");
    /* .nii.gz claiming more than its compressed bytes can hold */
    int dims[8] = { 3, 30000, 30000, 100 };
    hdr_t h = make_hdr(dims, 2, 8);
    uLongf zn = compressBound(352);
    unsigned char *z = malloc(zn);
    gzFile g = gzopen(test_tmp("lie.nii.gz"), "wb");
    gzwrite(g, h.b, 352);
    gzclose(g);
    free(z);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("lie.nii.gz"), &img),
                      PIPIT_EFORMAT, "compressed");
    /* a .nii.gz cut short inside the voxels */
    dims[1] = 64, dims[2] = 64, dims[3] = 8;
    h = make_hdr(dims, 2, 8);
    unsigned char *vox = calloc(1, 64 * 64 * 8);
    for (size_t i = 0; i < 64 * 64 * 8; i++)
        vox[i] = (unsigned char)(i * 7 % 251);
    g = gzopen(test_tmp("cut.nii.gz"), "wb");
    gzwrite(g, h.b, 352);
    gzwrite(g, vox, 64 * 64 * 8);
    gzclose(g);
    free(vox);
    size_t n;
    unsigned char *whole = io_read_file(test_tmp("cut.nii.gz"), &n);
    io_write_file(test_tmp("cut.nii.gz"), whole, n / 2);
    free(whole);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("cut.nii.gz"), &img),
                      PIPIT_EFORMAT, "cut.nii.gz");
    CU_ASSERT_PTR_NULL(img);
}

/* An uncompressed .nii reads only the region asked for. */
static void
test_region(void)
{
    size_t size[3] = { 128, 64, 32 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_F32, 1, 4);
    ASSERT_OK(pipit_image_write(img, test_tmp("reg.nii")));
    pipit_node_t *r = pipit_reader_new(test_tmp("reg.nii"));
    ASSERT_OK(pipit_node_update_information(r));
    size_t lo[3] = { 5, 6, 7 }, ext[3] = { 3, 4, 5 };
    pipit_region_t reg = pipit_region_make(3, lo, ext);
    uint64_t before = pipit__io_bytes_read();
    ASSERT_OK(pipit_node_update_region(r, 0, &reg));
    CU_ASSERT_EQUAL(pipit__io_bytes_read() - before, 4 * 5 * 3 * 4);
    size_t idx[3] = { 7, 9, 11 };
    CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(r, 0), idx, 0),
                    pipit_image_get_value(img, idx, 0));
    pipit_node_unref(r);
    pipit_image_unref(img);
}

const test_case_t test_io_nifti_cases[] = {
    { "round_trips", test_round_trips },
    { "oblique", test_oblique },
    { "qform_and_scaling", test_qform_and_scaling },
    { "bad_files", test_bad_files },
    { "region", test_region },
    { NULL, NULL },
};

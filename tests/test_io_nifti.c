/* SPDX-License-Identifier: Apache-2.0 */
/* NIfTI-1 and NIfTI-2, single files and .hdr/.img pairs: round trips,
 * orientation as ITK reads it, scaling, region reads, bad files. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The round trips' geometry: float-exact values (NIfTI-1 stores floats),
 * a direction that swaps and flips axes. */
static void
set_test_geometry(pipit_image_t *img)
{
    const double spacing[4] = { 0.5, 2.25, 3, 1.5 };
    const double origin[4] = { -12.5, 3.75, 100, 0 };
    unsigned dim = pipit_image_dim(img);
    double dir[16] = { 0 };
    /* axis 0 along -y, axis 1 along +x, axis 2 along -z */
    dir[0 * dim + 1] = 1.0;
    dir[1 * dim + 0] = -1.0;
    for (unsigned d = 2; d < dim; d++)
        dir[d * dim + d] = d == 2 ? -1.0 : 1.0;
    ASSERT_OK(pipit_image_set_spacing(img, spacing));
    ASSERT_OK(pipit_image_set_origin(img, origin));
    ASSERT_OK(pipit_image_set_direction(img, dir));
}

static void
test_round_trips(void)
{
    static const size_t sizes[][4] = {
        { 1, 1, 1, 1 }, { 7, 5, 1, 1 }, { 5, 3, 4, 1 }, { 3, 2, 2, 3 }
    };
    static const unsigned dims[] = { 2, 2, 3, 4 };
    int cases = 0;
    for (int t = 0; t < PIPIT_PIXEL_TYPE_COUNT; t++)
        for (unsigned k = 0; k < 4; k++)
            for (unsigned nc = 1; nc <= 4; nc++)
                for (int gz = 0; gz < 2; gz++) {
                    unsigned dim = dims[k];
                    pipit_image_t *img =
                        io_pattern(dim, sizes[k], (pipit_pixel_type_t)t, nc,
                                   k + 3 * nc);
                    set_test_geometry(img);
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

/*
 * img written as write_name and read back from read_name (the other half
 * of a pair, or the same file) over the region [lo, lo + ext): exactly
 * its bytes are read, and pixel idx inside it is right.
 */
static void
check_region_read(const pipit_image_t *img, const char *write_name,
                  const char *read_name, const size_t *lo, const size_t *ext,
                  const size_t *idx)
{
    ASSERT_OK(pipit_image_write(img, test_tmp(write_name)));
    pipit_node_t *r = pipit_reader_new(test_tmp(read_name));
    ASSERT_OK(pipit_node_update_information(r));
    pipit_region_t reg = pipit_region_make(3, lo, ext);
    uint64_t before = pipit__io_bytes_read();
    ASSERT_OK(pipit_node_update_region(r, 0, &reg));
    CU_ASSERT_EQUAL(pipit__io_bytes_read() - before,
                    pipit_region_count(&reg) * pipit_image_pixel_bytes(img));
    CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(r, 0), idx, 0),
                    pipit_image_get_value(img, idx, 0));
    pipit_node_unref(r);
}

/* An uncompressed .nii, and a pair from its .img, read only the region
 * asked for. */
static void
test_region(void)
{
    size_t size[3] = { 128, 64, 32 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_F32, 1, 4);
    size_t lo[3] = { 5, 6, 7 }, ext[3] = { 3, 4, 5 }, idx[3] = { 7, 9, 11 };
    check_region_read(img, "reg.nii", "reg.nii", lo, ext, idx);
    check_region_read(img, "preg.hdr", "preg.img", lo, ext, idx);
    pipit_image_unref(img);
}

/* ---- .hdr/.img pairs --------------------------------------------------- */


static size_t
file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

/* Every pixel type through each name of a pair, read back through that
 * name and through the other file's: bit-exact, with geometry. */
static void
test_pair_round_trips(void)
{
    static const size_t sizes[][4] = {
        { 1, 1, 1, 1 }, { 7, 5, 1, 1 }, { 5, 3, 4, 1 }, { 3, 2, 2, 3 }
    };
    static const unsigned dims[] = { 2, 2, 3, 4 };
    static const char *const names[][2] = {
        { "hdr", "img" }, { "img", "hdr" }, { "hdr.gz", "img.gz" },
        { "img.gz", "hdr.gz" },
    };
    int cases = 0;
    for (int t = 0; t < PIPIT_PIXEL_TYPE_COUNT; t++)
        for (unsigned k = 0; k < 4; k++)
            for (unsigned nc = 1; nc <= 4; nc++)
                for (unsigned v = 0; v < 4; v++) {
                    pipit_image_t *img =
                        io_pattern(dims[k], sizes[k], (pipit_pixel_type_t)t,
                                   nc, k + 5 * nc + v);
                    set_test_geometry(img);
                    char name[64], other[64];
                    snprintf(name, sizeof name, "p_%d_%u_%u_%u.%s", t, k, nc,
                             v, names[v][0]);
                    snprintf(other, sizeof other, "p_%d_%u_%u_%u.%s", t, k,
                             nc, v, names[v][1]);
                    pipit_image_t *back = io_round_trip(img, test_tmp(name),
                                                        NULL);
                    CU_ASSERT(io_same_pixels(img, back));
                    io_assert_geometry(img, back, 0.0);
                    pipit_image_unref(back);
                    back = NULL;
                    ASSERT_OK(pipit_image_read(test_tmp(other), &back));
                    CU_ASSERT(io_same_pixels(img, back));
                    io_assert_geometry(img, back, 0.0);
                    if (v < 2) {
                        /* header and its 4 extension bytes; bare voxels */
                        const char *hdr = v == 0 ? name : other;
                        const char *vox = v == 0 ? other : name;
                        CU_ASSERT_EQUAL(file_size(test_tmp(hdr)), 352);
                        CU_ASSERT_EQUAL(file_size(test_tmp(vox)),
                                        pipit_image_pixel_bytes(img) *
                                            sizes[k][0] * sizes[k][1] *
                                            sizes[k][2] * sizes[k][3]);
                    }
                    pipit_image_unref(back);
                    pipit_image_unref(img);
                    cases++;
                }
    CU_ASSERT_EQUAL(cases, 8 * 4 * 4 * 4);
}

/* A 348-byte .hdr of a pair whose .img holds n voxel bytes at offset
 * vox (junk before them). */
static void
write_pair(const char *stem, const hdr_t *h, const void *vox_bytes, size_t n,
           size_t vox)
{
    char name[64];
    snprintf(name, sizeof name, "%s.hdr", stem);
    io_write_file(test_tmp(name), h->b, 348);
    unsigned char *buf = malloc(vox + n + 1);
    memset(buf, 0xa5, vox);
    memcpy(buf + vox, vox_bytes, n);
    snprintf(name, sizeof name, "%s.img", stem);
    io_write_file(test_tmp(name), buf, vox + n);
    free(buf);
}

static hdr_t
make_pair_hdr(const int *dims, int code, int bitpix, double vox)
{
    hdr_t h = make_hdr(dims, code, bitpix);
    memcpy(h.b + 344, "ni1\0", 4);
    putf(&h, 108, vox);
    return h;
}

/* How the other file of a pair is named and found. */
static void
test_pair_names(void)
{
    size_t size[3] = { 6, 5, 4 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_I16, 1, 7), *back = NULL;
    set_test_geometry(img);

    /* the header written: NIfTI-1 magic ni1, voxels at 0 of the .img */
    ASSERT_OK(pipit_image_write(img, test_tmp("hp.img")));
    size_t n;
    unsigned char *b = io_read_file(test_tmp("hp.hdr"), &n);
    CU_ASSERT_FATAL(b != NULL && n == 352);
    int32_t sz;
    float vox;
    memcpy(&sz, b, 4);
    memcpy(&vox, b + 108, 4);
    CU_ASSERT_EQUAL(sz, 348);
    CU_ASSERT_EQUAL(vox, 0.0f);
    CU_ASSERT_EQUAL(memcmp(b + 344, "ni1\0", 4), 0);
    free(b);

    /* upper-case names: the other file too */
    ASSERT_OK(pipit_image_write(img, test_tmp("UP.HDR")));
    CU_ASSERT(io_exists(test_tmp("UP.IMG")));
    ASSERT_OK(pipit_image_read(test_tmp("UP.IMG"), &back));
    CU_ASSERT(io_same_pixels(img, back));
    pipit_image_unref(back);
    back = NULL;

    /* a plain header beside gzipped voxels, and the other way round */
    ASSERT_OK(pipit_image_write(img, test_tmp("mix.hdr.gz")));
    CU_ASSERT(io_exists(test_tmp("mix.img.gz")));
    gzFile g = gzopen(test_tmp("mix.hdr.gz"), "rb");
    unsigned char hb[352];
    CU_ASSERT_EQUAL(gzread(g, hb, sizeof hb), 352);
    gzclose(g);
    io_write_file(test_tmp("mix.hdr"), hb, sizeof hb);
    unlink(test_tmp("mix.hdr.gz"));
    ASSERT_OK(pipit_image_read(test_tmp("mix.hdr"), &back));
    CU_ASSERT(io_same_pixels(img, back));
    io_assert_geometry(img, back, 0.0);
    pipit_image_unref(back);
    back = NULL;
    ASSERT_OK(pipit_image_read(test_tmp("mix.img.gz"), &back));
    CU_ASSERT(io_same_pixels(img, back));
    pipit_image_unref(back);
    back = NULL;

    /* a .hdr with single-file magic n+1 holds its own voxels */
    ASSERT_OK(pipit_image_write(img, test_tmp("one.nii")));
    b = io_read_file(test_tmp("one.nii"), &n);
    io_write_file(test_tmp("one.hdr"), b, n);
    free(b);
    ASSERT_OK(pipit_image_read(test_tmp("one.hdr"), &back));
    CU_ASSERT(io_same_pixels(img, back));
    pipit_image_unref(back);
    back = NULL;

    /* a hand-made pair: 348-byte header, voxels at 16 in the .img */
    int dims[8] = { 2, 3, 2 };
    hdr_t h = make_pair_hdr(dims, 512 /* uint16 */, 16, 16);
    uint16_t v[6] = { 1, 2, 300, 4, 65535, 6 };
    write_pair("hand", &h, v, sizeof v, 16);
    ASSERT_OK(pipit_image_read(test_tmp("hand.img"), &back));
    size_t idx[2] = { 1, 1 };
    CU_ASSERT_EQUAL(pipit_image_get_value(back, idx, 0), 65535);
    idx[0] = 2, idx[1] = 0;
    CU_ASSERT_EQUAL(pipit_image_get_value(back, idx, 0), 300);
    pipit_image_unref(back);
    pipit_image_unref(img);
}

static void
test_pair_bad_files(void)
{
    int dims[8] = { 3, 4, 4, 4 };
    unsigned char vox[64] = { 0 };
    pipit_image_t *img = NULL;

    hdr_t h = make_pair_hdr(dims, 2, 8, 0);
    io_write_file(test_tmp("noimg.hdr"), h.b, 348);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("noimg.hdr"), &img),
                      PIPIT_EIO, "noimg.img");
    CU_ASSERT_PTR_NULL(img);
    io_write_file(test_tmp("nohdr.img"), vox, sizeof vox);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("nohdr.img"), &img),
                      PIPIT_EIO, "nohdr.hdr");

    write_pair("trunc", &h, vox, 10, 0);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("trunc.hdr"), &img),
                      PIPIT_EFORMAT, "truncated");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "trunc.img"));

    h = make_pair_hdr(dims, 2, 8, 1000);
    write_pair("beyond", &h, vox, sizeof vox, 0);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("beyond.hdr"), &img),
                      PIPIT_EFORMAT, "beyond");
    h = make_pair_hdr(dims, 2, 8, -16);
    write_pair("negvox", &h, vox, sizeof vox, 0);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("negvox.hdr"), &img),
                      PIPIT_EFORMAT, "vox_offset");
    h = make_pair_hdr(dims, 2, 8, 0.5);
    write_pair("halfvox", &h, vox, sizeof vox, 0);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("halfvox.img"), &img),
                      PIPIT_EFORMAT, "vox_offset");

    /* ANALYZE 7.5: no magic */
    h = make_pair_hdr(dims, 2, 8, 0);
    memset(h.b + 344, 0, 4);
    write_pair("analyze", &h, vox, sizeof vox, 0);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("analyze.hdr"), &img),
                      PIPIT_EUNSUPPORTED,
                      "ANALYZE 7.5 without NIfTI magic is not supported");

    /* a header cut short, and one of a wrong size */
    h = make_pair_hdr(dims, 2, 8, 0);
    write_pair("cut", &h, vox, sizeof vox, 0);
    io_write_file(test_tmp("cut.hdr"), h.b, 200);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("cut.img"), &img),
                      PIPIT_EFORMAT, "truncated");
    put32(&h, 0, 349);
    write_pair("size", &h, vox, sizeof vox, 0);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("size.hdr"), &img),
                      PIPIT_EFORMAT, "348");

    /* gzipped voxels that cannot hold what the header claims */
    int big[8] = { 3, 30000, 30000, 100 };
    h = make_pair_hdr(big, 2, 8, 0);
    io_write_file(test_tmp("lie.hdr"), h.b, 348);
    gzFile g = gzopen(test_tmp("lie.img.gz"), "wb");
    gzwrite(g, vox, sizeof vox);
    gzclose(g);
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("lie.hdr"), &img),
                      PIPIT_EFORMAT, "compressed");
    CU_ASSERT_PTR_NULL(img);
}

static int
cancel_half(double fraction, void *user)
{
    (void)user;
    return fraction > 0.5;
}

/* A pair is committed whole or not at all: after a failure neither file
 * is under its name half-written, and no temporary file stays. */
static void
test_pair_failed_writes(void)
{
    size_t size[3] = { 64, 64, 64 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_F32, 1, 4);
    char hdr[256], imgp[256];

    /* cancelled half-way: the old pair stays as it was */
    const char *dir = io_fresh_dir("pcancel");
    snprintf(hdr, sizeof hdr, "%s/c.hdr", dir);
    snprintf(imgp, sizeof imgp, "%s/c.img", dir);
    io_write_file(hdr, "old", 3);
    io_write_file(imgp, "old", 3);
    pipit_node_t *w = pipit_writer_new(hdr);
    ((pipit__writer_t *)w)->piece_bytes = 4096;
    ASSERT_OK(pipit_node_set_input_image(w, 0, img));
    pipit_node_set_progress(w, cancel_half, NULL);
    CU_ASSERT_EQUAL(pipit_node_update(w), PIPIT_ECANCELED);
    pipit_node_unref(w);
    CU_ASSERT_EQUAL(io_count_prefix(dir, "c."), 2);
    CU_ASSERT_EQUAL(io_count_prefix(dir, ".c."), 0);
    CU_ASSERT_EQUAL(file_size(hdr), 3);
    CU_ASSERT_EQUAL(file_size(imgp), 3);

    /* the header's name is a folder: refused before the image moved
     * (tests/test_io_write.c walks the other failures of the commit) */
    dir = io_fresh_dir("prename");
    snprintf(hdr, sizeof hdr, "%s/x.hdr", dir);
    snprintf(imgp, sizeof imgp, "%s/x.img", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(hdr, 0777), 0);
    ASSERT_FAILS_WITH(pipit_image_write(img, hdr), PIPIT_EIO, "x.hdr");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "folder"));
    CU_ASSERT(!io_exists(imgp));
    CU_ASSERT_EQUAL(io_count_prefix(dir, "x."), 1);
    CU_ASSERT_EQUAL(io_count_prefix(dir, ".x."), 0);
    rmdir(hdr);

    /* a full disk while the voxels are written (RLIMIT_FSIZE, as in
     * test_io.c): the old pair stays, no temporary file does */
    dir = io_fresh_dir("pfull");
    snprintf(hdr, sizeof hdr, "%s/f.img", dir);
    snprintf(imgp, sizeof imgp, "%s/f.hdr", dir);
    io_write_file(hdr, "old", 3);
    io_write_file(imgp, "old", 3);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 64 << 10;
    setrlimit(RLIMIT_FSIZE, &lim);
    pipit_status_t st = pipit_image_write(img, hdr);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, old_handler);
    ASSERT_FAILS_WITH(st, PIPIT_EIO, "f.img");
    CU_ASSERT_EQUAL(io_count_prefix(dir, "f."), 2);
    CU_ASSERT_EQUAL(io_count_prefix(dir, ".f."), 0);
    CU_ASSERT_EQUAL(file_size(hdr), 3);
    CU_ASSERT_EQUAL(file_size(imgp), 3);

    /* a missing folder */
    snprintf(hdr, sizeof hdr, "%s/no/such/y.img.gz", test_tmpdir());
    ASSERT_FAILS_WITH(pipit_image_write(img, hdr), PIPIT_EIO, "no/such");
    pipit_image_unref(img);
}

/* Fails each allocation of a pair's write, then of its read, in turn:
 * each fails with ENOMEM, leaves the pair written before as it was and
 * no temporary file (and leaks nothing: ASan checks that). */
static void
test_pair_out_of_memory(void)
{
    size_t size[3] = { 9, 7, 3 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_U16, 2, 3), *back = NULL;
    const char *dir = io_fresh_dir("poom");
    char hdr[256], imgp[256];
    snprintf(hdr, sizeof hdr, "%s/m.hdr.gz", dir);
    snprintf(imgp, sizeof imgp, "%s/m.img.gz", dir);
    for (int op = 0; op < 2; op++) {
        pipit__alloc_fail_at(0);
        pipit_status_t st = op == 0 ? pipit_image_write(img, hdr)
                                    : pipit_image_read(imgp, &back);
        size_t n = pipit__alloc_fail_at(0);
        CU_ASSERT_EQUAL_FATAL(st, PIPIT_OK);
        CU_ASSERT(n > 3);
        pipit_image_unref(back);
        back = NULL;
        for (size_t k = 1; k <= n; k++) {
            pipit__alloc_fail_at(k);
            st = op == 0 ? pipit_image_write(img, hdr)
                         : pipit_image_read(imgp, &back);
            pipit__alloc_fail_at(0);
            if (st != PIPIT_ENOMEM)
                fprintf(stderr, "\nop %d, allocation %zu: %s: %s\n", op, k,
                        pipit_status_name(st), pipit_error_message());
            CU_ASSERT_EQUAL(st, PIPIT_ENOMEM);
            CU_ASSERT_PTR_NULL(back);
            CU_ASSERT_EQUAL(io_count_prefix(dir, "m."), 2);
        }
    }
    ASSERT_OK(pipit_image_read(hdr, &back));
    CU_ASSERT(io_same_pixels(img, back));
    pipit_image_unref(back);
    pipit_image_unref(img);
}

/* ---- NIfTI-2 ------------------------------------------------------------ */

static const char magic_n2[8] = { 'n', '+', '2', '\0', '\r', '\n', 032, '\n' };

/* Wider than NIfTI-1's int16 dims: written as NIfTI-2, read back with
 * the geometry exact (NIfTI-2 keeps it in doubles). */
static void
test_nifti2_wide(void)
{
    size_t size[2] = { 40000, 2 };
    pipit_image_t *img = io_pattern(2, size, PIPIT_U8, 1, 5);
    const double sp[2] = { 0.3, 1.7 }, org[2] = { 1.1, -2.2 };
    const double dir[4] = { 0, 1, -1, 0 };
    ASSERT_OK(pipit_image_set_spacing(img, sp));
    ASSERT_OK(pipit_image_set_origin(img, org));
    ASSERT_OK(pipit_image_set_direction(img, dir));
    const char *names[] = { "w2.nii", "w2.nii.gz", "w2p.hdr", "w2z.img.gz" };
    for (size_t i = 0; i < 4; i++) {
        pipit_image_t *back = io_round_trip(img, test_tmp(names[i]), NULL);
        CU_ASSERT(io_same_pixels(img, back));
        io_assert_geometry(img, back, 0.0);
        pipit_image_unref(back);
    }
    size_t n;
    unsigned char *b = io_read_file(test_tmp("w2.nii"), &n);
    CU_ASSERT_FATAL(b != NULL && n == 544 + 80000);
    int32_t sz;
    int64_t d1, vox;
    memcpy(&sz, b, 4);
    memcpy(&d1, b + 24, 8);
    memcpy(&vox, b + 168, 8);
    CU_ASSERT_EQUAL(sz, 540);
    CU_ASSERT_EQUAL(d1, 40000);
    CU_ASSERT_EQUAL(vox, 544);
    CU_ASSERT_EQUAL(memcmp(b + 4, magic_n2, 8), 0);
    free(b);
    b = io_read_file(test_tmp("w2p.hdr"), &n);
    CU_ASSERT_FATAL(b != NULL && n == 544);
    memcpy(&vox, b + 168, 8);
    CU_ASSERT_EQUAL(vox, 0);
    CU_ASSERT_EQUAL(memcmp(b + 4, "ni2", 4), 0);
    free(b);
    CU_ASSERT_EQUAL(file_size(test_tmp("w2p.img")), 80000);
    pipit_image_unref(img);

    /* 32767 still fits NIfTI-1; 32768 does not */
    for (size_t w = 32767; w <= 32768; w++) {
        size_t s[2] = { w, 1 };
        img = io_pattern(2, s, PIPIT_I8, 1, 6);
        ASSERT_OK(pipit_image_write(img, test_tmp("edge.nii")));
        b = io_read_file(test_tmp("edge.nii"), &n);
        memcpy(&sz, b, 4);
        CU_ASSERT_EQUAL(sz, w == 32767 ? 348 : 540);
        free(b);
        pipit_image_unref(img);
    }

    /* more vector components than an int16 dim[5] holds */
    size_t one[2] = { 1, 2 };
    img = io_pattern(2, one, PIPIT_U8, 33000, 8);
    pipit_image_t *back = io_round_trip(img, test_tmp("comp.nii"), NULL);
    CU_ASSERT(io_same_pixels(img, back));
    CU_ASSERT_EQUAL(pipit_image_components(back), 33000);
    pipit_image_unref(back);
    pipit_image_unref(img);
}

/* ---- a hand-made NIfTI-2 header --------------------------------------- */

typedef struct hdr2 {
    unsigned char b[544];
} hdr2_t;

static void
h2_put(hdr2_t *h, size_t off, const void *v, size_t n)
{
    memcpy(h->b + off, v, n);
}

static void
h2_i64(hdr2_t *h, size_t off, int64_t v)
{
    h2_put(h, off, &v, 8);
}

static void
h2_f64(hdr2_t *h, size_t off, double v)
{
    h2_put(h, off, &v, 8);
}

static void
h2_i32(hdr2_t *h, size_t off, int32_t v)
{
    h2_put(h, off, &v, 4);
}

static void
h2_i16(hdr2_t *h, size_t off, int v)
{
    int16_t s = (int16_t)v;
    h2_put(h, off, &s, 2);
}

/* A valid NIfTI-2 header in host order: dims[0] axes, type, voxels at
 * vox; pair: magic ni2. */
static hdr2_t
make_hdr2(const int64_t *dims, int code, int bitpix, int64_t vox, bool pair)
{
    hdr2_t h;
    memset(&h, 0, sizeof h);
    h2_i32(&h, 0, 540);
    h2_put(&h, 4, magic_n2, 8);
    if (pair)
        h.b[5] = 'i';
    h2_i16(&h, 12, code);
    h2_i16(&h, 14, bitpix);
    for (int i = 0; i < 8; i++) {
        h2_i64(&h, 16 + 8 * (size_t)i, i <= dims[0] ? dims[i] : 1);
        h2_f64(&h, 104 + 8 * (size_t)i, 1.0);
    }
    h2_i64(&h, 168, vox);
    return h;
}

static void
reverse(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n / 2; i++) {
        unsigned char t = p[i];
        p[i] = p[n - 1 - i], p[n - 1 - i] = t;
    }
}

/* Reverses the byte order of every numeric field of a NIfTI-2 header:
 * (offset, width, count) for sizeof_hdr, datatype + bitpix, dim,
 * intent_p, pixdim, vox_offset + scl_* + cal_* + slice_duration +
 * toffset, slice_start + slice_end, qform/sform codes, quatern + qoffset,
 * srow, slice_code + xyzt_units + intent_code. */
static void
swap_hdr2(hdr2_t *h)
{
    static const size_t fields[][3] = {
        { 0, 4, 1 },   { 12, 2, 2 },  { 16, 8, 8 },   { 80, 8, 3 },
        { 104, 8, 8 }, { 168, 8, 7 }, { 224, 8, 2 },  { 344, 4, 2 },
        { 352, 8, 6 }, { 400, 8, 12 }, { 496, 4, 3 },
    };
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
        for (size_t k = 0; k < fields[f][2]; k++)
            reverse(h->b + fields[f][0] + k * fields[f][1], fields[f][1]);
}

/* Known values through a NIfTI-2 header written field by field, in both
 * byte orders, as a single file, gzipped, and as a pair with its voxels
 * at 8 in the .img. */
static void
test_nifti2_hand_made(void)
{
    int64_t dims[8] = { 3, 3, 2, 2 };
    int16_t vox[12];
    for (int i = 0; i < 12; i++)
        vox[i] = (int16_t)(i * 300 - 1000);
    for (int variant = 0; variant < 6; variant++) {
        bool swap = variant & 1;
        int form = variant / 2;   /* 0 .nii, 1 .nii.gz, 2 pair */
        hdr2_t h = make_hdr2(dims, 4 /* int16 */, 16, form == 2 ? 8 : 544,
                             form == 2);
        h2_f64(&h, 112, 0.75), h2_f64(&h, 120, 1.25), h2_f64(&h, 128, 2.5);
        h2_f64(&h, 176, 0.5), h2_f64(&h, 184, -1.0);  /* slope, inter */
        h2_i32(&h, 348, 2);                           /* sform aligned */
        /* x = 1.25 j + 10, y = -0.75 i + 20, z = 2.5 k - 30 */
        h2_f64(&h, 400 + 8, 1.25), h2_f64(&h, 400 + 24, 10.0);
        h2_f64(&h, 432, -0.75), h2_f64(&h, 432 + 24, 20.0);
        h2_f64(&h, 464 + 16, 2.5), h2_f64(&h, 464 + 24, -30.0);
        int16_t v[12];
        memcpy(v, vox, sizeof v);
        if (swap) {
            swap_hdr2(&h);
            for (int i = 0; i < 12; i++)
                reverse((unsigned char *)&v[i], 2);
        }
        char name[64];
        unsigned char file[544 + sizeof v];
        if (form == 0 || form == 1) {
            memcpy(file, h.b, 544);
            memcpy(file + 544, v, sizeof v);
            snprintf(name, sizeof name, "h2_%d.nii%s", swap,
                     form == 1 ? ".gz" : "");
            if (form == 0) {
                io_write_file(test_tmp(name), file, sizeof file);
            } else {
                gzFile g = gzopen(test_tmp(name), "wb");
                gzwrite(g, file, sizeof file);
                gzclose(g);
            }
        } else {
            snprintf(name, sizeof name, "h2p_%d.hdr", swap);
            io_write_file(test_tmp(name), h.b, 540);
            memset(file, 0xee, 8);
            memcpy(file + 8, v, sizeof v);
            snprintf(name, sizeof name, "h2p_%d.img", swap);
            io_write_file(test_tmp(name), file, 8 + sizeof v);
        }
        pipit_image_t *img = NULL;
        ASSERT_OK(pipit_image_read(test_tmp(name), &img));
        CU_ASSERT_EQUAL(pipit_image_pixel_type(img), PIPIT_F32);
        CU_ASSERT_EQUAL(pipit_image_dim(img), 3);
        for (size_t i = 0; i < 12; i++) {
            size_t idx[3] = { i % 3, i / 3 % 2, i / 6 };
            CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, 0),
                            vox[i] * 0.5 - 1.0);
        }
        const double sp[3] = { 0.75, 1.25, 2.5 };
        const double org[3] = { -10, -20, -30 };
        /* RAS columns (0,-1,0), (1,0,0), (0,0,1); rows 0, 1 negated */
        const double dir[9] = { 0, -1, 0, 1, 0, 0, 0, 0, 1 };
        for (int d = 0; d < 3; d++) {
            CU_ASSERT_EQUAL(pipit_image_spacing(img)[d], sp[d]);
            CU_ASSERT_EQUAL(pipit_image_origin(img)[d], org[d]);
        }
        for (int i = 0; i < 9; i++)
            CU_ASSERT_EQUAL(pipit_image_direction(img)[i], dir[i]);
        pipit_image_unref(img);
    }
}

/* An uncompressed NIfTI-2 file or pair reads only the region asked for. */
static void
test_nifti2_region(void)
{
    size_t size[3] = { 40000, 4, 3 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_U16, 1, 9);
    size_t lo[3] = { 39990, 1, 1 }, ext[3] = { 7, 2, 2 };
    size_t idx[3] = { 39996, 2, 1 };
    check_region_read(img, "r2.nii", "r2.nii", lo, ext, idx);
    check_region_read(img, "r2p.hdr", "r2p.hdr", lo, ext, idx);
    pipit_image_unref(img);
}

typedef struct bad2 {
    const char *name;
    int64_t dims[8];
    int code, bitpix;
    int64_t vox_offset;
    size_t bytes;          /* voxel bytes present */
    int poke;              /* 1: sizeof_hdr 541; 2: magic tail; 3: no
                            * magic; 4: header cut short; 5: ni2 magic */
    pipit_status_t st;
    const char *word;
} bad2_t;

static const bad2_t bads2[] = {
    { "truncated", { 3, 4, 4, 4 }, 16, 32, 544, 100, 0, PIPIT_EFORMAT,
      "truncated" },
    { "lying", { 3, 100000, 100000, 10 }, 2, 8, 544, 8, 0, PIPIT_EFORMAT,
      "truncated" },
    { "lying-huge", { 3, INT64_C(1) << 40, INT64_C(1) << 40, 1 }, 2, 8, 544,
      8, 0, PIPIT_ERANGE, "overflows" },
    { "lying-max", { 2, INT64_MAX, 2 }, 2, 8, 544, 8, 0, PIPIT_ERANGE,
      "overflows" },
    { "zero", { 3, 4, 0, 4 }, 2, 8, 544, 64, 0, PIPIT_EFORMAT, "dim[2]" },
    { "negative", { 2, -(INT64_C(1) << 40), 4 }, 2, 8, 544, 64, 0,
      PIPIT_EFORMAT, "dim[1]" },
    { "ndim", { 8, 4, 4 }, 2, 8, 544, 16, 0, PIPIT_EFORMAT, "dim[0]" },
    { "ndim-huge", { INT64_C(1) << 33, 4, 4 }, 2, 8, 544, 16, 0,
      PIPIT_EFORMAT, "dim[0]" },
    { "axes", { 6, 2, 2, 1, 1, 1, 2 }, 2, 8, 544, 16, 0, PIPIT_EUNSUPPORTED,
      "dim[6..7]" },
    { "components", { 5, 1, 1, 1, 1, 100000 }, 2, 8, 544, 8, 0,
      PIPIT_EUNSUPPORTED, "components" },
    { "bitpix", { 2, 2, 2 }, 16, 16, 544, 16, 0, PIPIT_EFORMAT, "bitpix" },
    { "datatype", { 2, 2, 2 }, 1024 /* int64 */, 64, 544, 32, 0,
      PIPIT_EUNSUPPORTED, "datatype 1024" },
    { "vox-small", { 2, 2, 2 }, 2, 8, 540, 8, 0, PIPIT_EFORMAT,
      "vox_offset" },
    { "vox-negative", { 2, 2, 2 }, 2, 8, -1, 8, 0, PIPIT_EFORMAT,
      "vox_offset" },
    { "vox-beyond", { 2, 2, 2 }, 2, 8, 4096, 8, 0, PIPIT_EFORMAT, "beyond" },
    { "vox-max", { 2, 2, 2 }, 2, 8, INT64_MAX, 8, 0, PIPIT_EFORMAT,
      "beyond" },
    { "sizeof", { 2, 2, 2 }, 2, 8, 544, 4, 1, PIPIT_EFORMAT, "540" },
    { "magic-tail", { 2, 2, 2 }, 2, 8, 544, 4, 2, PIPIT_EFORMAT, "damaged" },
    { "no-magic", { 2, 2, 2 }, 2, 8, 544, 4, 3, PIPIT_EFORMAT, "magic" },
    { "short-header", { 2, 2, 2 }, 2, 8, 544, 4, 4, PIPIT_EFORMAT,
      "truncated" },
    { "pair-magic", { 2, 2, 2 }, 2, 8, 544, 4, 5, PIPIT_EUNSUPPORTED,
      ".hdr" },
};

static void
test_nifti2_bad_files(void)
{
    for (size_t i = 0; i < sizeof bads2 / sizeof bads2[0]; i++)
        for (int swap = 0; swap < 2; swap++) {
            const bad2_t *c = &bads2[i];
            hdr2_t h = make_hdr2(c->dims, c->code, c->bitpix, c->vox_offset,
                                 false);
            if (c->poke == 1)
                h2_i32(&h, 0, 541);
            if (c->poke == 2)
                h.b[8] = '\n';     /* \r\n turned into \n\n */
            if (c->poke == 3)
                memcpy(h.b + 4, "abcdefgh", 8);
            if (c->poke == 5)
                h.b[5] = 'i';
            if (swap)
                swap_hdr2(&h);
            size_t hn = c->poke == 4 ? 400 : 544;
            unsigned char *buf = calloc(1, hn + c->bytes);
            memcpy(buf, h.b, hn);
            char name[64];
            snprintf(name, sizeof name, "bad2_%s_%d.nii", c->name, swap);
            io_write_file(test_tmp(name), buf, c->poke == 4 ? hn
                                                            : hn + c->bytes);
            free(buf);
            pipit_image_t *img = NULL;
            pipit_status_t st = pipit_image_read(test_tmp(name), &img);
            if (st != c->st || strstr(pipit_error_message(), c->word) == NULL)
                fprintf(stderr, "\ncase %s (swap %d): %s: %s\n", c->name,
                        swap, pipit_status_name(st), pipit_error_message());
            ASSERT_FAILS_WITH(st, c->st, c->word);
            CU_ASSERT_PTR_NULL(img);
        }
    /* a .nii.gz claiming more than its compressed bytes can hold */
    int64_t dims[8] = { 3, 30000, 30000, 100 };
    hdr2_t h = make_hdr2(dims, 2, 8, 544, false);
    gzFile g = gzopen(test_tmp("lie2.nii.gz"), "wb");
    gzwrite(g, h.b, 544);
    gzclose(g);
    pipit_image_t *img = NULL;
    ASSERT_FAILS_WITH(pipit_image_read(test_tmp("lie2.nii.gz"), &img),
                      PIPIT_EFORMAT, "compressed");
    CU_ASSERT_PTR_NULL(img);
}

const test_case_t test_io_nifti_cases[] = {
    { "round_trips", test_round_trips },
    { "oblique", test_oblique },
    { "qform_and_scaling", test_qform_and_scaling },
    { "bad_files", test_bad_files },
    { "region", test_region },
    { "pair_round_trips", test_pair_round_trips },
    { "pair_names", test_pair_names },
    { "pair_bad_files", test_pair_bad_files },
    { "pair_failed_writes", test_pair_failed_writes },
    { "pair_out_of_memory", test_pair_out_of_memory },
    { "nifti2_wide", test_nifti2_wide },
    { "nifti2_hand_made", test_nifti2_hand_made },
    { "nifti2_region", test_nifti2_region },
    { "nifti2_bad_files", test_nifti2_bad_files },
    { NULL, NULL },
};

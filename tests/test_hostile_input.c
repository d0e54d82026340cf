/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Input made by an attacker or by bad luck: MetaImage file patterns at
 * the edges of the integer range, huge LISTs, control bytes in headers,
 * absurd spacings, FIFOs where files should be, and untrusted mode.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pipit/io.h>
#include <pipit/params.h>

#include "test_io_util.h"
#include "testutil.h"

static void
write_text(const char *path, const char *text)
{
    io_write_file(path, text, strlen(text));
}

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* True when the message holds no control byte: nothing in it can drive
 * a terminal. */
static bool
message_is_clean(void)
{
    for (const unsigned char *p =
             (const unsigned char *)pipit_error_message();
         *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static void
test_pattern_ranges(void)
{
    pipit_image_t *img = NULL;
    const char *dir = io_fresh_dir("pattern");
    char path[512], hdr[512];
    /* LONG_MIN..LONG_MAX in 8 steps: signed overflow in the old count
     * and loop, then "more than 100000 files" for 8 names. */
    snprintf(path, sizeof path, "%s/wide.mhd", dir);
    write_text(path, "NDims = 3\nDimSize = 1 1 8\nElementType = MET_UCHAR\n"
                     "ElementDataFile = s%d.raw -9223372036854775808 "
                     "9223372036854775807 2305843009213693952\n");
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EFORMAT,
                      "int range");
    CU_ASSERT_PTR_NULL(strstr(pipit_error_message(), "100000"));
    /* the same, kept with the fuzz regressions */
    ASSERT_FAILS_WITH(pipit_image_read(test_data("io/fuzz/mha-pattern-"
                                                 "overflow.mha"), &img),
                      PIPIT_EFORMAT, "int range");
    /* beyond long long: refused, not saturated */
    write_text(path, "NDims = 3\nDimSize = 1 1 2\nElementType = MET_UCHAR\n"
                     "ElementDataFile = s%d.raw 0 99999999999999999999 1\n");
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EFORMAT,
                      "pattern");
    /* trailing junk after the step */
    write_text(path, "NDims = 3\nDimSize = 1 1 2\nElementType = MET_UCHAR\n"
                     "ElementDataFile = s%d.raw 0 1 1 x\n");
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EFORMAT,
                      "pattern");
    /* the last two ints and a negative one name real files */
    const long long edges[][2] = { { INT_MAX - 1, INT_MAX },
                                   { INT_MIN, INT_MIN + 1 }, { -1, 0 } };
    for (size_t e = 0; e < 3; e++) {
        for (long long i = edges[e][0]; i <= edges[e][1]; i++) {
            unsigned char v = (unsigned char)(10 + (i & 7));
            char raw[512];
            snprintf(raw, sizeof raw, "%s/s%lld.raw", dir, i);
            io_write_file(raw, &v, 1);
        }
        snprintf(hdr, sizeof hdr, "NDims = 3\nDimSize = 1 1 2\nElementType "
                 "= MET_UCHAR\nElementDataFile = s%%d.raw %lld %lld 1\n",
                 edges[e][0], edges[e][1]);
        write_text(path, hdr);
        ASSERT_OK(pipit_image_read(path, &img));
        for (size_t z = 0; z < 2; z++) {
            size_t idx[3] = { 0, 0, z };
            CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, 0),
                            10 + ((edges[e][0] + (long long)z) & 7));
        }
        pipit_image_unref(img);
        img = NULL;
    }
}

/* 10^5 files named by a pattern: the segment array grows geometrically
 * (it grew one element per realloc: 70 s under ASan). The first file is
 * missing, so the read fails right after the parse. */
static void
test_pattern_many_files(void)
{
    pipit_image_t *img = NULL;
    const char *dir = io_fresh_dir("many");
    char path[512];
    snprintf(path, sizeof path, "%s/many.mhd", dir);
    write_text(path, "NDims = 2\nDimSize = 1 100000\nElementType = "
                     "MET_UCHAR\nElementDataFile = f%d.raw 1 100000 1\n");
    double t0 = now();
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EIO, "f1.raw");
    double t = now() - t0;
    if (t > 20)
        fprintf(stderr, "\n100000-file pattern took %.1f s\n", t);
    CU_ASSERT(t < 20);
}

/* A LIST longer than the 1 MiB header limit: said so, not "data bytes do
 * not split into N files". */
static void
test_list_cut(void)
{
    pipit_image_t *img = NULL;
    const char *dir = io_fresh_dir("listcut");
    char path[512];
    snprintf(path, sizeof path, "%s/cut.mhd", dir);
    size_t n = 150000, cap = 100 + n * 12;
    char *text = malloc(cap);
    CU_ASSERT_FATAL(text != NULL);
    size_t len = (size_t)snprintf(text, cap, "NDims = 2\nDimSize = 1 %zu\n"
                                  "ElementType = MET_UCHAR\nElementDataFile"
                                  " = LIST\n", n);
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "f%06zu.raw\n", i);
    io_write_file(path, text, len);
    free(text);
    pipit_status_t st = pipit_image_read(path, &img);
    if (strstr(pipit_error_message(), "longer") == NULL)
        fprintf(stderr, "\n%s\n", pipit_error_message());
    ASSERT_FAILS_WITH(st, PIPIT_EFORMAT,
                      "header is longer than 1048576 bytes");
    CU_ASSERT_PTR_NULL(strstr(pipit_error_message(), "split"));
}

/* Control bytes and broken UTF-8 from a header reach messages escaped. */
static void
test_escaped_messages(void)
{
    pipit_image_t *img = NULL;
    const char *dir = io_fresh_dir("escape");
    char path[512];
    snprintf(path, sizeof path, "%s/esc.mhd", dir);
    write_text(path, "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\n"
                     "ElementDataFile = \x1b]0;owned\x07\x1b[2J\xff"
                     "caf\xc3\xa9.raw\n");
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EIO,
                      "\\x1b]0;owned\\x07\\x1b[2J\\xffcaf\xc3\xa9.raw");
    CU_ASSERT(message_is_clean());
    /* a bad value echoed from the header */
    write_text(path, "NDims = 2\nDimSize = 2 \x1b[31m2\nElementType = "
                     "MET_UCHAR\nElementDataFile = LOCAL\n");
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EFORMAT,
                      "\\x1b[31m");
    CU_ASSERT(message_is_clean());
    /* a parameter file's key */
    pipit_params_t *p = NULL;
    const char *bad = "(Key\x1b[1m \"a\"\n";
    CU_ASSERT_NOT_EQUAL(pipit_params_parse(bad, strlen(bad), "x.txt", &p),
                        PIPIT_OK);
    CU_ASSERT(message_is_clean());
    pipit_params_unref(p);
}

/* A spacing too small for any grid is named as such, not reported as a
 * singular direction. */
static void
test_tiny_spacing(void)
{
    pipit_image_t *img = NULL;
    const char *dir = io_fresh_dir("spacing");
    char path[512];
    snprintf(path, sizeof path, "%s/tiny.mha", dir);
    const char *hdr = "NDims = 2\nDimSize = 2 2\nElementSpacing = 1e-300 1\n"
                      "ElementType = MET_UCHAR\nElementDataFile = LOCAL\n"
                      "abcd";
    write_text(path, hdr);
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EFORMAT,
                      "spacing 1e-300 on axis 0 is too small");
    CU_ASSERT_PTR_NULL(strstr(pipit_error_message(), "singular"));

    /* NIfTI-2 (a width past 32767), pixdim[1] the least denormal */
    size_t size[2] = { 40000, 1 };
    pipit_image_t *w = io_pattern(2, size, PIPIT_U8, 1, 3);
    snprintf(path, sizeof path, "%s/tiny.nii", dir);
    ASSERT_OK(pipit_image_write(w, path));
    pipit_image_unref(w);
    size_t n;
    unsigned char *b = io_read_file(path, &n);
    CU_ASSERT_FATAL(b != NULL && n > 544);
    double tiny = 5e-324;
    memcpy(b + 112, &tiny, 8); /* pixdim[1] of a NIfTI-2 header */
    io_write_file(path, b, n);
    free(b);
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EFORMAT,
                      "pixdim[1] = 4.94066e-324 is too small");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "denormal"));
    CU_ASSERT_PTR_NULL(strstr(pipit_error_message(), "singular"));

    /* the library call says the same, and a singular direction is
     * still called so */
    size_t s2[2] = { 2, 2 };
    w = pipit_image_new(2, s2, PIPIT_U8, 1);
    const double sp[2] = { 1, 1e-200 };
    ASSERT_FAILS_WITH(pipit_image_set_spacing(w, sp), PIPIT_EINVAL,
                      "too small");
    const double d[4] = { 1, 1, 1, 1 };
    ASSERT_FAILS_WITH(pipit_image_set_direction(w, d), PIPIT_EINVAL,
                      "singular");
    const double ok[2] = { 1e-90, 1e90 };
    ASSERT_OK(pipit_image_set_spacing(w, ok));
    double idx[2] = { 1, 1 }, pt[2];
    pipit_image_index_to_point(w, idx, pt);
    CU_ASSERT_DOUBLE_EQUAL(pt[0] / 1e-90, 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(pt[1] / 1e90, 1.0, 1e-12);
    pipit_image_unref(w);
}

/* A parameter file that is a FIFO fails at once (it blocked for ever). */
static void
test_params_fifo(void)
{
    const char *fifo = test_tmp("params.fifo");
    pipit_params_t *p = NULL;
    if (mkfifo(fifo, 0600) != 0)
        return;
    ASSERT_FAILS_WITH(pipit_params_read(fifo, &p), PIPIT_EIO, "regular");
    CU_ASSERT_PTR_NULL(p);
    ASSERT_FAILS_WITH(pipit_params_read("/dev/null", &p), PIPIT_EIO,
                      "regular");
    unlink(fifo);
}

/* ---- untrusted mode -------------------------------------------------- */

typedef struct untrusted_case {
    const char *name;
    const char *header; /* .mhd text in folder up/in/ */
    pipit_status_t status;
    const char *word;
} untrusted_case_t;

static const untrusted_case_t untrusted_cases[] = {
    { "absolute", "ElementDataFile = /etc/passwd\n", PIPIT_EFORMAT,
      "absolute" },
    { "dotdot", "ElementDataFile = ../out.raw\n", PIPIT_EFORMAT, "'..'" },
    { "dotdot-inner", "ElementDataFile = sub/../../out.raw\n", PIPIT_EFORMAT,
      "'..'" },
    { "symlink", "ElementDataFile = link.raw\n", PIPIT_EFORMAT, "outside" },
    { "symlink-dir", "ElementDataFile = linkdir/out.raw\n", PIPIT_EFORMAT,
      "outside" },
    { "list-dotdot", "ElementDataFile = LIST\nin.raw\n../out.raw\n",
      PIPIT_EFORMAT, "'..'" },
    { "pattern-abs", "ElementDataFile = /tmp/x%d.raw 0 1 1\n",
      PIPIT_EFORMAT, "absolute" },
};

static void
make_untrusted_tree(const char *top, char *in_dir, size_t cap)
{
    char p[600], q[600];
    snprintf(in_dir, cap, "%s/in", top);
    CU_ASSERT_FATAL(mkdir(in_dir, 0700) == 0);
    unsigned char px[4] = { 1, 2, 3, 4 };
    snprintf(p, sizeof p, "%s/out.raw", top);
    io_write_file(p, px, 4);
    snprintf(p, sizeof p, "%s/in.raw", in_dir);
    io_write_file(p, px, 4);
    snprintf(p, sizeof p, "%s/out.raw", top);
    snprintf(q, sizeof q, "%s/link.raw", in_dir);
    CU_ASSERT_FATAL(symlink(p, q) == 0);
    snprintf(q, sizeof q, "%s/linkdir", in_dir);
    CU_ASSERT_FATAL(symlink(top, q) == 0);
    snprintf(q, sizeof q, "%s/inlink.raw", in_dir);
    CU_ASSERT_FATAL(symlink("in.raw", q) == 0);
}

static void
test_untrusted(void)
{
    pipit_image_t *img = NULL;
    char in_dir[512], path[600], hdr[1024];
    make_untrusted_tree(io_fresh_dir("upload"), in_dir, sizeof in_dir);
    snprintf(path, sizeof path, "%s/h.mhd", in_dir);
    const char *head = "NDims = 2\nDimSize = 2 2\nElementType = MET_UCHAR\n";
    for (size_t i = 0;
         i < sizeof untrusted_cases / sizeof untrusted_cases[0]; i++) {
        const untrusted_case_t *c = &untrusted_cases[i];
        snprintf(hdr, sizeof hdr, "%s%s", head, c->header);
        if (strncmp(c->name, "list", 4) == 0)
            snprintf(hdr, sizeof hdr, "NDims = 3\nDimSize = 2 1 2\n"
                     "ElementType = MET_UCHAR\n%s", c->header);
        write_text(path, hdr);
        /* trusted (the default), the outside files are read; a name that
         * does not exist fails for that reason only */
        pipit_status_t st = pipit_image_read(path, &img);
        CU_ASSERT(st == PIPIT_OK || strstr(pipit_error_message(),
                                           "untrusted") == NULL);
        pipit_image_unref(img);
        img = NULL;
        pipit_io_set_untrusted(true);
        st = pipit_image_read(path, &img);
        if (st != c->status || strstr(pipit_error_message(), c->word) == NULL)
            fprintf(stderr, "\ncase %s: %s: %s\n", c->name,
                    pipit_status_name(st), pipit_error_message());
        ASSERT_FAILS_WITH(st, c->status, c->word);
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "untrusted"));
        CU_ASSERT_PTR_NULL(img);
        pipit_io_set_untrusted(false);
        /* the reader's own setting does the same */
        pipit_node_t *r = pipit_reader_new(path);
        ASSERT_OK(pipit_node_set(r, "untrusted", "true"));
        ASSERT_FAILS_WITH(pipit_node_update(r), c->status, c->word);
        pipit_node_unref(r);
    }

    /* inside the folder, directly or through a link that stays inside */
    pipit_io_set_untrusted(true);
    const char *good[] = { "in.raw", "inlink.raw", "./in.raw" };
    for (size_t i = 0; i < 3; i++) {
        snprintf(hdr, sizeof hdr, "%sElementDataFile = %s\n", head, good[i]);
        write_text(path, hdr);
        ASSERT_OK(pipit_image_read(path, &img));
        size_t idx[2] = { 1, 1 };
        CU_ASSERT_EQUAL(pipit_image_get_value(img, idx, 0), 4);
        pipit_image_unref(img);
        img = NULL;
    }

    /* caps: pixel bytes (2 GiB claimed), data files, header length */
    snprintf(hdr, sizeof hdr, "NDims = 2\nDimSize = 65536 32768\nElementType"
             " = MET_UCHAR\nElementDataFile = in.raw\n");
    write_text(path, hdr);
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EUNSUPPORTED,
                      "untrusted");
    snprintf(hdr, sizeof hdr, "NDims = 2\nDimSize = 1 2000\nElementType = "
             "MET_UCHAR\nElementDataFile = in%%d.raw 1 2000 1\n");
    write_text(path, hdr);
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EFORMAT,
                      "at most 1024 files");
    size_t cap = 80 << 10;
    char *big = malloc(cap);
    CU_ASSERT_FATAL(big != NULL);
    size_t len = 0;
    while (len < (70u << 10))
        len += (size_t)snprintf(big + len, cap - len, "Comment = padding\n");
    len += (size_t)snprintf(big + len, cap - len, "%sElementDataFile = "
                            "in.raw\n", head);
    io_write_file(path, big, len);
    free(big);
    ASSERT_FAILS_WITH(pipit_image_read(path, &img), PIPIT_EFORMAT,
                      "too long");
    pipit_io_set_untrusted(false);
    /* trusted, the same long header reads */
    ASSERT_OK(pipit_image_read(path, &img));
    pipit_image_unref(img);
}

/* A huge variance (documented range up to 1e300) costs little: the
 * kernel work no longer grows with sqrt(variance) (1e16 took minutes,
 * past ~5e36 a double-to-size_t conversion was undefined). At such a
 * variance the 65 taps that maximum-kernel-width 32 allows are flat to
 * 1e-12: the output is a 65-voxel mean, edge voxels repeated. */
static void
test_gaussian_huge_variance(void)
{
    size_t size[2] = { 9, 2 };
    pipit_image_t *in = pipit_image_new(2, size, PIPIT_F64, 1);
    for (size_t y = 0; y < 2; y++)
        for (size_t x = 0; x < 9; x++) {
            size_t idx[2] = { x, y };
            pipit_image_set_value(in, idx, 0, (double)(x * x) + 10.0 * y);
        }
    const char *vars[] = { "1e16,0", "4e36,0", "1e300,0" };
    for (size_t v = 0; v < 3; v++) {
        pipit_node_t *g = pipit_filter_new("discrete-gaussian");
        CU_ASSERT_FATAL(g != NULL);
        ASSERT_OK(pipit_node_set(g, "variance", vars[v]));
        ASSERT_OK(pipit_node_set_input_image(g, 0, in));
        double t0 = now();
        ASSERT_OK(pipit_node_update(g));
        CU_ASSERT(now() - t0 < 5.0);
        pipit_image_t *out = pipit_node_get_output(g, 0);
        for (size_t y = 0; y < 2; y++)
            for (size_t x = 0; x < 9; x++) {
                double want = 0.0;
                for (long k = -32; k <= 32; k++) {
                    long xs = (long)x + k;
                    xs = xs < 0 ? 0 : xs > 8 ? 8 : xs;
                    want += ((double)(xs * xs) + 10.0 * (double)y) / 65.0;
                }
                size_t idx[2] = { x, y };
                CU_ASSERT_DOUBLE_EQUAL(pipit_image_get_value(out, idx, 0),
                                       want, 1e-9);
            }
        pipit_node_unref(g);
    }
    pipit_image_unref(in);
}

const test_case_t test_hostile_input_cases[] = {
    { "gaussian_huge_variance", test_gaussian_huge_variance },
    { "pattern_ranges", test_pattern_ranges },
    { "pattern_many_files", test_pattern_many_files },
    { "list_cut", test_list_cut },
    { "escaped_messages", test_escaped_messages },
    { "tiny_spacing", test_tiny_spacing },
    { "params_fifo", test_params_fifo },
    { "untrusted", test_untrusted },
    { NULL, NULL },
};

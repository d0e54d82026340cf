/* SPDX-License-Identifier: Apache-2.0 */
/* Formats by file name, pipelines across formats, conversion, and
 * writes that fail: nothing is left behind under the target name. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_io_util.h"

#include "io_impl.h"

static void
test_format_for(void)
{
    static const struct {
        const char *path, *format;
    } cases[] = {
        { "a.png", "png" },       { "dir.x/A.PNG", "png" },
        { "b.tif", "tiff" },      { "b.TIFF", "tiff" },
        { "c.mha", "mha" },       { "c.MHD", "mha" },
        { "d.nii", "nifti" },     { "d.nii.gz", "nifti" },
        { "D.Nii.Gz", "nifti" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pipit_io_format_t *f = pipit_io_format_for(cases[i].path);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT_STRING_EQUAL(f->name, cases[i].format);
    }
    CU_ASSERT_PTR_NULL(pipit_io_format_for("e.jpg"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "e.jpg"));
    CU_ASSERT_PTR_NULL(pipit_io_format_for("x.gz"));
    CU_ASSERT_PTR_NULL(pipit_reader_new("f.bmp"));
    CU_ASSERT_PTR_NULL(pipit_writer_new("f.bmp"));
    pipit_image_t *img = NULL;
    ASSERT_FAILS_WITH(pipit_image_read("g.jpeg", &img), PIPIT_EUNSUPPORTED,
                      "unknown file type");
    ASSERT_FAILS_WITH(pipit_image_read(NULL, &img), PIPIT_EINVAL, "path");
    size_t n;
    const pipit_io_format_t *all = pipit_io_formats(&n);
    CU_ASSERT_EQUAL(n, 4);
    for (size_t i = 0; i < n; i++) {
        CU_ASSERT_PTR_NOT_NULL(all[i].reader);
        CU_ASSERT_PTR_NOT_NULL(all[i].writer);
        pipit_node_t *r = pipit_node_new(all[i].reader);
        CU_ASSERT_EQUAL(pipit_node_n_inputs(r), 0);
        CU_ASSERT_EQUAL(pipit_node_n_outputs(r), 1);
        /* no path: an error, not a crash */
        CU_ASSERT_EQUAL(pipit_node_update(r), PIPIT_EINVAL);
        pipit_node_unref(r);
        pipit_node_t *w = pipit_node_new(all[i].writer);
        CU_ASSERT_EQUAL(pipit_node_n_inputs(w), 1);
        CU_ASSERT_EQUAL(pipit_node_n_outputs(w), 0);
        pipit_node_unref(w);
    }
}

/* mha -> tiff -> nii.gz -> mhd through reader/writer pipelines in small
 * pieces: the pixels arrive unchanged. */
static void
test_pipeline_chain(void)
{
    size_t size[3] = { 37, 23, 9 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_U16, 1, 11);
    const char *names[] = { "chain.mha", "chain.tif", "chain.nii.gz",
                            "chain.mhd" };
    ASSERT_OK(pipit_image_write(img, test_tmp(names[0])));
    for (int i = 1; i < 4; i++) {
        pipit_node_t *r = pipit_reader_new(test_tmp(names[i - 1]));
        pipit_node_t *w = pipit_writer_new(test_tmp(names[i]));
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        ((pipit__writer_t *)w)->piece_bytes = 1000;  /* many pieces */
        ASSERT_OK(pipit_node_set_input(w, 0, r, 0));
        ASSERT_OK(pipit_node_update(w));
        /* the reader held one piece, never the whole image */
        pipit_region_t held =
            pipit_image_buffered_region(pipit_node_get_output(r, 0));
        CU_ASSERT(pipit_region_count(&held) < 37 * 23 * 9);
        pipit_node_unref(w);
        pipit_node_unref(r);
    }
    pipit_image_t *back = NULL;
    ASSERT_OK(pipit_image_read(test_tmp("chain.mhd"), &back));
    CU_ASSERT(io_same_pixels(img, back));
    pipit_image_unref(back);
    pipit_image_unref(img);
}

/* The writer's "type" converts: rounded half away from zero, clamped. */
static void
test_convert_type(void)
{
    size_t size[2] = { 5, 1 };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_F32, 1);
    float *p = pipit_image_data_writable(img);
    const float v[5] = { -1.6f, 2.5f, 300.0f, 7.49f, -2.5f };
    memcpy(p, v, sizeof v);
    pipit_write_options_t opt = { .convert = true, .type = PIPIT_U8 };
    pipit_image_t *back = io_round_trip(img, test_tmp("conv.png"), &opt);
    CU_ASSERT_EQUAL(pipit_image_pixel_type(back), PIPIT_U8);
    const uint8_t *b = pipit_image_data(back);
    CU_ASSERT_EQUAL(b[0], 0);
    CU_ASSERT_EQUAL(b[1], 3);
    CU_ASSERT_EQUAL(b[2], 255);
    CU_ASSERT_EQUAL(b[3], 7);
    pipit_image_unref(back);
    opt.type = PIPIT_I8;
    back = io_round_trip(img, test_tmp("conv.nii"), &opt);
    CU_ASSERT_EQUAL(((const int8_t *)pipit_image_data(back))[4], -3);
    CU_ASSERT_EQUAL(((const int8_t *)pipit_image_data(back))[2], 127);
    pipit_image_unref(back);
    pipit_node_t *w = pipit_writer_new(test_tmp("x.mha"));
    ASSERT_FAILS_WITH(pipit_node_set(w, "type", "u12"), PIPIT_EINVAL, "u8");
    pipit_node_unref(w);
    pipit_image_unref(img);
}

static const char *const exts[] = { "png", "tif", "mha", "mhd", "nii",
                                    "nii.gz" };

/* Writes that cannot start: a missing or read-only folder. */
static void
test_unwritable(void)
{
    size_t size[2] = { 8, 8 };
    pipit_image_t *img = io_pattern(2, size, PIPIT_U8, 1, 1);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/no/such/folder/x.%s", test_tmpdir(),
                 exts[i]);
        ASSERT_FAILS_WITH(pipit_image_write(img, path), PIPIT_EIO,
                          "no/such/folder/x.");
    }
    /* a read-only folder (root may write anyway: then nothing to test) */
    const char *dir = io_fresh_dir("ro");
    chmod(dir, 0555);
    if (access(dir, W_OK) != 0) {
        for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
            char path[256];
            snprintf(path, sizeof path, "%s/x.%s", dir, exts[i]);
            ASSERT_FAILS_WITH(pipit_image_write(img, path), PIPIT_EIO,
                              "cannot create");
        }
        CU_ASSERT_EQUAL(io_count_prefix(dir, "x."), 0);
        CU_ASSERT_EQUAL(io_count_prefix(dir, ".x."), 0);
    }
    chmod(dir, 0755);
    pipit_image_unref(img);
}

/* A full disk part-way: RLIMIT_FSIZE makes writes past 64 KiB fail as a
 * full disk would. The error names the file, no temporary file stays,
 * and an older file under the target name is untouched. */
static void
test_full_disk(void)
{
    size_t size[3] = { 256, 256, 8 };
    const char *dir = io_fresh_dir("full");
    pipit_image_t *img = io_pattern(3, size, PIPIT_U8, 1, 2);
    size_t s2[2] = { 512, 512 };
    pipit_image_t *flat = io_pattern(2, s2, PIPIT_U16, 1, 3);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/out.%s", dir, exts[i]);
        io_write_file(path, "old", 3);
        lim = old;
        lim.rlim_cur = 64 << 10;
        setrlimit(RLIMIT_FSIZE, &lim);
        pipit_write_options_t opt = { .compress = false, .level = 1 };
        pipit_status_t st = pipit_image_write_with(
            strcmp(exts[i], "png") == 0 ? flat : img, path, &opt);
        setrlimit(RLIMIT_FSIZE, &old);
        if (st != PIPIT_EIO)
            fprintf(stderr, "\n%s: %s: %s\n", exts[i],
                    pipit_status_name(st), pipit_error_message());
        ASSERT_FAILS_WITH(st, PIPIT_EIO, "out.");
        /* the old file only: no temporary, no .raw */
        CU_ASSERT_EQUAL(io_count_prefix(dir, "out."), 1);
        CU_ASSERT_EQUAL(io_count_prefix(dir, ".out."), 0);
        size_t n;
        unsigned char *b = io_read_file(path, &n);
        CU_ASSERT(b != NULL && n == 3 && memcmp(b, "old", 3) == 0);
        free(b);
        unlink(path);
    }
    signal(SIGXFSZ, old_handler);
    pipit_image_unref(flat);
    pipit_image_unref(img);
}

static int
cancel_half(double fraction, void *user)
{
    (void)user;
    return fraction > 0.5;
}

static void
test_cancelled_write(void)
{
    size_t size[3] = { 64, 64, 64 };
    pipit_image_t *img = io_pattern(3, size, PIPIT_F32, 1, 4);
    const char *dir = io_fresh_dir("cancel");
    char path[256];
    snprintf(path, sizeof path, "%s/c.mha", dir);
    pipit_node_t *w = pipit_writer_new(path);
    ((pipit__writer_t *)w)->piece_bytes = 4096;
    ASSERT_OK(pipit_node_set_input_image(w, 0, img));
    pipit_node_set_progress(w, cancel_half, NULL);
    CU_ASSERT_EQUAL(pipit_node_update(w), PIPIT_ECANCELED);
    CU_ASSERT_EQUAL(io_count_prefix(dir, "c."), 0);
    CU_ASSERT_EQUAL(io_count_prefix(dir, ".c."), 0);
    pipit_node_unref(w);
    pipit_image_unref(img);
}

const test_case_t test_io_cases[] = {
    { "format_for", test_format_for },
    { "pipeline_chain", test_pipeline_chain },
    { "convert_type", test_convert_type },
    { "unwritable", test_unwritable },
    { "full_disk", test_full_disk },
    { "cancelled_write", test_cancelled_write },
    { NULL, NULL },
};

/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `pipit filter` and `pipit filters`, run as a user runs them: the
 * built tools/pipit through system() on small files in the test folder.
 * Exit statuses: 0 done, 1 the work failed, 2 the command line was
 * wrong; messages go to stderr prefixed "pipit: ".
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_filters_util.h"
#include "test_io_util.h"

/* tools/pipit beside tests/ in the build tree, or $PIPIT_TOOL. */
static const char *
tool(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("PIPIT_TOOL");
    if (env != NULL)
        return env;
    if (path[0] == '\0') {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return "tools/pipit";
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL)
            *slash = '\0';
        /* libtool may keep the real binary in tests/.libs */
        snprintf(path, sizeof path, "%s/../tools/pipit", self);
        if (access(path, X_OK) != 0)
            snprintf(path, sizeof path, "%s/../../tools/pipit", self);
    }
    return path;
}

static char out_text[65536], err_text[4096];

/* Runs `pipit args`; its stdout and stderr land in out_text/err_text. */
static int
pipit(const char *args)
{
    char cmd[4096];
    const char *out = test_tmp("stdout.txt"), *err = test_tmp("stderr.txt");
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", tool(), args, out,
             err);
    int st = system(cmd);
    size_t n;
    unsigned char *text = io_read_file(out, &n);
    n = text != NULL && n < sizeof out_text ? n : 0;
    memcpy(out_text, text != NULL ? (char *)text : "", n);
    out_text[n] = '\0';
    free(text);
    text = io_read_file(err, &n);
    n = text != NULL && n < sizeof err_text ? n : 0;
    memcpy(err_text, text != NULL ? (char *)text : "", n);
    err_text[n] = '\0';
    free(text);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define ASSERT_RUN(args, status, where, word)                              \
    do {                                                                   \
        int rc_ = pipit(args);                                             \
        if (rc_ != (status) || strstr(where, word) == NULL)                \
            fprintf(stderr, "\npipit %s -> %d\nstdout: %s\nstderr: %s\n",   \
                    args, rc_, out_text, err_text);                        \
        CU_ASSERT_EQUAL(rc_, status);                                      \
        CU_ASSERT_PTR_NOT_NULL(strstr(where, word));                       \
    } while (0)

static void
write_inputs(void)
{
    pipit_image_t *a = tf_row(3, 2, PIPIT_F32,
                              (const double[]){ 1, 2, 3, 4, 5, 6 });
    pipit_image_t *b = tf_row(3, 2, PIPIT_F32,
                              (const double[]){ 6, 5, 4, 3, 2, 1 });
    ASSERT_OK(pipit_image_write(a, test_tmp("a.mha")));
    ASSERT_OK(pipit_image_write(b, test_tmp("b.mha")));
    pipit_image_unref(a);
    pipit_image_unref(b);
}

static void
check_file(const char *name, const double *expect, size_t n)
{
    pipit_image_t *img = NULL;
    ASSERT_OK(pipit_image_read(test_tmp(name), &img));
    tf_assert_values(img, expect, n, name);
    pipit_image_unref(img);
}

static void
test_run(void)
{
    char args[2048];
    write_inputs();
    snprintf(args, sizeof args, "filter add --constant 2 '%s' '%s'",
             test_tmp("a.mha"), test_tmp("out.mha"));
    ASSERT_RUN(args, 0, "", "");
    check_file("out.mha", (const double[]){ 3, 4, 5, 6, 7, 8 }, 6);
    snprintf(args, sizeof args, "filter subtract --type=i16 '%s' '%s' '%s'",
             test_tmp("a.mha"), test_tmp("b.mha"), test_tmp("sub.mha"));
    ASSERT_RUN(args, 0, "", "");
    check_file("sub.mha", (const double[]){ -5, -3, -1, 1, 3, 5 }, 6);
    snprintf(args, sizeof args,
             "filter binary-threshold --lower 2 --upper 4 '%s' '%s'",
             test_tmp("a.mha"), test_tmp("bin.mha"));
    ASSERT_RUN(args, 0, "", "");
    check_file("bin.mha", (const double[]){ 0, 255, 255, 255, 0, 0 }, 6);
    /* figures on stdout; the output file is optional for these */
    snprintf(args, sizeof args, "filter statistics '%s'", test_tmp("a.mha"));
    ASSERT_RUN(args, 0, out_text, "mean: 3.5");
    CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "count: 6"));
    snprintf(args, sizeof args, "filter histogram --bins 2 '%s'",
             test_tmp("a.mha"));
    ASSERT_RUN(args, 0, out_text, "lower upper count");
    snprintf(args, sizeof args, "filter otsu-threshold '%s' '%s'",
             test_tmp("a.mha"), test_tmp("otsu.mha"));
    ASSERT_RUN(args, 0, out_text, "threshold:");
    /* help */
    ASSERT_RUN("filter shrink --help", 0, out_text, "--factors");
    ASSERT_RUN("filter --help", 0, out_text, "usage");
}

/* Sources take no input file; their pixels are the library's. */
static void
test_sources(void)
{
    char args[2048];
    snprintf(args, sizeof args,
             "filter noise --size 16,8 --seed 3 --mean 5 --sigma 2 --type "
             "f64 '%s'",
             test_tmp("noise.mha"));
    ASSERT_RUN(args, 0, "", "");
    const size_t size[2] = { 16, 8 };
    pipit_node_t *n = pipit_noise_new(2, size, PIPIT_F64, 5, 2, 3);
    pipit_image_t *lib = tf_update(n), *file = NULL;
    ASSERT_OK(pipit_image_read(test_tmp("noise.mha"), &file));
    CU_ASSERT(tf_same(lib, file));
    pipit_image_unref(file);
    pipit_image_unref(lib);
    pipit_node_unref(n);
    snprintf(args, sizeof args,
             "filter ramp --size 3,2 --axis 1 --scale 2 --offset 1 --type u8 "
             "'%s'",
             test_tmp("ramp.mha"));
    ASSERT_RUN(args, 0, "", "");
    check_file("ramp.mha", (const double[]){ 1, 1, 1, 3, 3, 3 }, 6);
    snprintf(args, sizeof args,
             "filter constant --size 2,1,2 --value 7.5 --type i16 '%s'",
             test_tmp("const.mha"));
    ASSERT_RUN(args, 0, "", "");
    check_file("const.mha", (const double[]){ 8, 8, 8, 8 }, 4);
    /* a source piped into a filter's file argument is a usage error */
    snprintf(args, sizeof args, "filter noise '%s' '%s'",
             test_tmp("const.mha"), test_tmp("o.mha"));
    ASSERT_RUN(args, 2, err_text, "noise takes OUT");
    snprintf(args, sizeof args, "filter noise --size 4,4 --spacing 1,2,3 '%s'",
             test_tmp("o.mha"));
    ASSERT_RUN(args, 1, err_text, "spacing");
    snprintf(args, sizeof args, "filter callback '%s'", test_tmp("o.mha"));
    ASSERT_RUN(args, 1, err_text, "C API only");
    ASSERT_RUN("filter noise --help", 0, out_text, "--seed");
}

static void
test_usage_errors(void)
{
    char args[2048];
    write_inputs();
    const char *a = test_tmp("a.mha"), *o = test_tmp("o.mha");
    /* a bad filter name lists the valid ones */
    snprintf(args, sizeof args, "filter no-such '%s' '%s'", a, o);
    ASSERT_RUN(args, 2, err_text, "pipit: unknown filter 'no-such'");
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "binary-threshold"));
    /* a bad setting name lists the valid settings */
    snprintf(args, sizeof args, "filter add --nosuch 1 '%s' '%s'", a, o);
    ASSERT_RUN(args, 2, err_text, "valid: constant, type");
    /* a bad value says what is expected */
    snprintf(args, sizeof args, "filter add --constant abc '%s' '%s'", a, o);
    ASSERT_RUN(args, 2, err_text, "not a number");
    snprintf(args, sizeof args, "filter cast --type u7 '%s' '%s'", a, o);
    ASSERT_RUN(args, 2, err_text, "one of: auto, u8");
    snprintf(args, sizeof args, "filter shrink --factors 0 '%s' '%s'", a, o);
    ASSERT_RUN(args, 2, err_text, "outside");
    /* files: too few, too many, a value missing */
    ASSERT_RUN("filter abs", 2, err_text, "output file");
    snprintf(args, sizeof args, "filter abs '%s'", a);
    ASSERT_RUN(args, 2, err_text, "output file");
    snprintf(args, sizeof args, "filter abs '%s' '%s' '%s'", a, a, o);
    ASSERT_RUN(args, 2, err_text, "abs takes IN");
    snprintf(args, sizeof args, "filter abs '%s' '%s' --type", a, o);
    ASSERT_RUN(args, 2, err_text, "needs a value");
    ASSERT_RUN("filter", 2, err_text, "which filter");
    ASSERT_RUN("filters --bogus", 2, err_text, "unknown option");
}

static void
test_failures(void)
{
    char args[2048];
    write_inputs();
    snprintf(args, sizeof args, "filter abs '%s' '%s'",
             test_tmp("missing.mha"), test_tmp("o.mha"));
    ASSERT_RUN(args, 1, err_text, "pipit: ");
    CU_ASSERT_PTR_NOT_NULL(strstr(err_text, "missing.mha"));
    snprintf(args, sizeof args, "filter divide --constant 0 '%s' '%s'",
             test_tmp("a.mha"), test_tmp("o.mha"));
    ASSERT_RUN(args, 1, err_text, "denominator");
    /* nothing left behind by a failed run */
    CU_ASSERT(!io_exists(test_tmp("o.mha")));
    size_t s57[2] = { 5, 7 };
    pipit_image_t *c = io_pattern(2, s57, PIPIT_F32, 1, 1);
    ASSERT_OK(pipit_image_write(c, test_tmp("c.mha")));
    pipit_image_unref(c);
    snprintf(args, sizeof args, "filter add '%s' '%s' '%s'",
             test_tmp("a.mha"), test_tmp("c.mha"), test_tmp("o.mha"));
    ASSERT_RUN(args, 1, err_text, "sizes must match");
}

static void
test_listing(void)
{
    ASSERT_RUN("filters", 0, out_text, "binary-threshold IN");
    CU_ASSERT_PTR_NOT_NULL(strstr(out_text, "--bins"));
    size_t count;
    const pipit_node_class_t *const *classes = pipit_filter_classes(&count);
    for (size_t i = 0; i < count; i++) {
        char heading[128];
        snprintf(heading, sizeof heading, "\n%s ",
                 pipit_node_class_name(classes[i]));
        CU_ASSERT_PTR_NOT_NULL(strstr(out_text, heading));
    }
    ASSERT_RUN("filters --markdown", 0, out_text, "# Filter reference");
    /* the committed reference page is what the classes say now */
    size_t n;
    unsigned char *doc = io_read_file(test_data("../../doc/filters.md"), &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    bool same = n == strlen(out_text) && memcmp(doc, out_text, n) == 0;
    if (!same)
        fprintf(stderr, "\ndoc/filters.md is out of date: run `make "
                        "update-filters-doc` in the build folder\n");
    CU_ASSERT(same);
    free(doc);
}

const test_case_t test_filters_cli_cases[] = {
    { "run", test_run },
    { "usage_errors", test_usage_errors },
    { "sources", test_sources },
    { "failures", test_failures },
    { "listing", test_listing },
    { NULL, NULL },
};

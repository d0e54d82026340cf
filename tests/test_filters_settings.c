/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Settings as every filter shares them: numbers refused with the text
 * the user gave, per-axis values (one, or one per axis of the image),
 * the same value set again changing nothing, constructors naming
 * themselves, and filters.h naming settings the classes really have.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_filters_util.h"

#include "node_impl.h" /* mtime and data_time, to see what re-ran */

/* A 3-D image of w x h x d f32 values 0, 1, 2, ... */
static pipit_image_t *
counting_image(unsigned dim, size_t w, size_t h, size_t d)
{
    size_t size[3] = { w, h, d };
    size_t n = w * h * (dim > 2 ? d : 1);
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (double)i;
    pipit_image_t *img = tf_values(dim, size, PIPIT_F32, v);
    free(v);
    return img;
}

static void
test_number_messages(void)
{
    static const struct {
        const char *filter, *setting, *text, *word;
    } cases[] = {
        /* the whole text quoted, never the empty rest after "2x" */
        { "smoothing-recursive-gaussian", "sigma", "2x", "'2x'" },
        { "smoothing-recursive-gaussian", "sigma", "2,", "'2,'" },
        { "smoothing-recursive-gaussian", "sigma", "1,,2", "'1,,2'" },
        { "smoothing-recursive-gaussian", "sigma", "abc", "'abc' is not" },
        { "add", "constant", "2x", "'2x' is not a number" },
        /* overflow is out of range, not "not a number" */
        { "add", "constant", "1e400", "'1e400' is out of range" },
        { "add", "constant", "-1e400", "'-1e400' is out of range" },
        { "smoothing-recursive-gaussian", "sigma", "1,1e400",
          "'1,1e400' is out of range" },
        { "histogram", "bins", "99999999999999999999", "out of range" },
        { "histogram", "bins", "12abc", "'12abc' is not an integer" },
        { "add", "constant", "nan", "'nan' is not a finite number" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pipit_node_t *n = pipit_filter_new(cases[i].filter);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        pipit_status_t st = pipit_node_set(n, cases[i].setting, cases[i].text);
        if (st != PIPIT_EINVAL ||
            strstr(pipit_error_message(), cases[i].word) == NULL)
            fprintf(stderr, "\n%s --%s %s: %s\n", cases[i].filter,
                    cases[i].setting, cases[i].text, pipit_error_message());
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, cases[i].word);
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, cases[i].setting);
        pipit_node_unref(n);
    }
    /* an underflow is the nearest value held, not an error */
    pipit_node_t *n = pipit_filter_new("add");
    ASSERT_OK(pipit_node_set(n, "constant", "1e-400"));
    pipit_node_unref(n);
}

static void
test_constructor_names(void)
{
    pipit_node_t *(*const ctor[])(double) = {
        pipit_add_new,      pipit_subtract_new, pipit_multiply_new,
        pipit_divide_new,   pipit_minimum_new,  pipit_maximum_new,
    };
    static const char *const names[] = {
        "pipit_add_new",    "pipit_subtract_new", "pipit_multiply_new",
        "pipit_divide_new", "pipit_minimum_new",  "pipit_maximum_new",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CU_ASSERT_PTR_NULL(ctor[i](NAN));
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), names[i]));
        CU_ASSERT_PTR_NULL(strstr(pipit_error_message(), "pipit__"));
        CU_ASSERT_PTR_NULL(ctor[i](INFINITY));
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "constant"));
    }
}

/* Update of filter `name` with setting=value on img: the status. */
static pipit_status_t
run_setting(const char *name, const char *setting, const char *value,
            pipit_image_t *img, pipit_image_t **out)
{
    pipit_node_t *n = pipit_filter_new(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    pipit_status_t st = pipit_node_set(n, setting, value);
    if (st == PIPIT_OK)
        st = pipit_node_set_input_image(n, 0, img);
    if (st == PIPIT_OK)
        st = pipit_node_update(n);
    if (out != NULL)
        *out = st == PIPIT_OK ? pipit_image_dup(pipit_node_get_output(n, 0))
                              : NULL;
    pipit_node_unref(n);
    return st;
}

static void
test_per_axis_counts(void)
{
    pipit_image_t *img3 = counting_image(3, 6, 5, 4);
    pipit_image_t *img2 = counting_image(2, 6, 5, 1);
    static const struct {
        const char *filter, *setting, *value;
        unsigned dim;
    } bad[] = {
        { "shrink", "factors", "2,3", 3 },      /* once gave 2,3,3 */
        { "shrink", "factors", "2,3,1,1", 3 },  /* once ignored the 4th */
        { "shrink", "factors", "2,3,1", 2 },
        { "flip", "axes", "1,0", 3 },
        { "flip", "axes", "0,1,0", 2 },
        { "permute-axes", "order", "1,0", 3 },
        { "constant-pad", "lower", "1,2", 3 },
        { "mirror-pad", "upper", "1,2,3", 2 },
        { "extract-region", "size", "1,2", 3 },
        { "bin-shrink", "factors", "2,2", 3 },
        { "median", "radius", "1,2", 3 },
        { "mean", "radius", "1,2,1", 2 },
        { "smoothing-recursive-gaussian", "sigma", "1,2", 3 },
        { "recursive-gaussian", "order", "0,1", 3 },
        { "discrete-gaussian", "variance", "1,2,3", 2 },
        { "resample", "spacing", "1,2", 3 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pipit_image_t *img = bad[i].dim == 3 ? img3 : img2;
        pipit_status_t st =
            run_setting(bad[i].filter, bad[i].setting, bad[i].value, img,
                        NULL);
        char dim[16], quoted[32];
        snprintf(dim, sizeof dim, "%u-D", bad[i].dim);
        snprintf(quoted, sizeof quoted, "'%s'", bad[i].value);
        if (st != PIPIT_EINVAL || !strstr(pipit_error_message(), quoted) ||
            !strstr(pipit_error_message(), dim))
            fprintf(stderr, "\n%s %s=%s: %s\n", bad[i].filter,
                    bad[i].setting, bad[i].value, pipit_error_message());
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, bad[i].setting);
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, quoted);
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, dim);
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, bad[i].filter);
    }
    /* one value is every axis; one per axis as given */
    pipit_image_t *out;
    ASSERT_OK(run_setting("shrink", "factors", "2", img3, &out));
    CU_ASSERT(pipit_image_size(out)[0] == 3 && pipit_image_size(out)[1] == 2 &&
              pipit_image_size(out)[2] == 2);
    pipit_image_unref(out);
    ASSERT_OK(run_setting("shrink", "factors", "2,1,4", img3, &out));
    CU_ASSERT(pipit_image_size(out)[0] == 3 && pipit_image_size(out)[1] == 5 &&
              pipit_image_size(out)[2] == 1);
    pipit_image_unref(out);
    ASSERT_OK(run_setting("shrink", "factors", "3,5", img2, &out));
    CU_ASSERT(pipit_image_size(out)[0] == 2 && pipit_image_size(out)[1] == 1);
    pipit_image_unref(out);
    /* flip's one value flips every axis: pixel (0,0,0) gets the last */
    ASSERT_OK(run_setting("flip", "axes", "1", img3, &out));
    size_t at0[3] = { 0, 0, 0 };
    CU_ASSERT_EQUAL(pipit_image_get_value(out, at0, 0), 6.0 * 5 * 4 - 1);
    pipit_image_unref(out);
    /* a class default longer than the image's axes still applies */
    pipit_node_t *n = pipit_filter_new("flip");
    ASSERT_OK(pipit_node_set_input_image(n, 0, img2));
    ASSERT_OK(pipit_node_update(n));
    size_t at[2] = { 0, 0 };
    CU_ASSERT_EQUAL(pipit_image_get_value(pipit_node_get_output(n, 0), at, 0),
                    5.0);
    pipit_node_unref(n);
    n = pipit_filter_new("permute-axes");
    ASSERT_OK(pipit_node_set_input_image(n, 0, img2));
    ASSERT_OK(pipit_node_update(n));
    pipit_node_unref(n);
    /* constructors: dim values, checked against the image the same way */
    const size_t f2[2] = { 2, 3 };
    n = pipit_shrink_new(2, f2);
    ASSERT_OK(pipit_node_set_input_image(n, 0, img3));
    ASSERT_FAILS_WITH(pipit_node_update(n), PIPIT_EINVAL, "3-D");
    ASSERT_OK(pipit_node_set_input_image(n, 0, img2));
    ASSERT_OK(pipit_node_update(n));
    CU_ASSERT(pipit_image_size(pipit_node_get_output(n, 0))[1] == 1);
    pipit_node_unref(n);
    /* reading back gives what was set */
    char buf[128];
    n = pipit_filter_new("shrink");
    ASSERT_OK(pipit_node_set(n, "factors", "2,3"));
    ASSERT_OK(pipit_node_get(n, "factors", buf, sizeof buf));
    CU_ASSERT_STRING_EQUAL(buf, "2,3");
    ASSERT_OK(pipit_node_set(n, "factors", "4"));
    ASSERT_OK(pipit_node_get(n, "factors", buf, sizeof buf));
    CU_ASSERT_STRING_EQUAL(buf, "4");
    ASSERT_OK(pipit_node_set(n, "factors", buf)); /* round trip */
    CU_ASSERT_EQUAL(pipit_node_get(n, "factors", buf, 1), PIPIT_ERANGE);
    pipit_node_unref(n);
    pipit_image_unref(img2);
    pipit_image_unref(img3);
}

static void
test_same_value_changes_nothing(void)
{
    pipit_image_t *img = counting_image(2, 7, 5, 1);
    static const struct {
        const char *filter, *setting, *value, *same, *other;
    } cases[] = {
        { "smoothing-recursive-gaussian", "sigma", "1.5", "1.50", "2" },
        { "shrink", "factors", "2,3", "2x3", "3,2" },
        { "add", "constant", "2", "2.0", "3" },
        { "add", "type", "f64", "f64", "f32" },
        { "histogram", "bins", "16", "16", "17" },
        { "histogram", "auto", "false", "0", "true" },
        { "resample", "direction", "", "", "1,0,0,1" },
        { "cast", "type", "u16", "u16", "i16" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pipit_node_t *n = pipit_filter_new(cases[i].filter);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        ASSERT_OK(pipit_node_set(n, cases[i].setting, cases[i].value));
        ASSERT_OK(pipit_node_set_input_image(n, 0, img));
        ASSERT_OK(pipit_node_update(n));
        uint64_t mtime = n->mtime, ran = n->data_time;
        ASSERT_OK(pipit_node_set(n, cases[i].setting, cases[i].same));
        CU_ASSERT_EQUAL(n->mtime, mtime);
        ASSERT_OK(pipit_node_update(n));
        if (n->data_time != ran)
            fprintf(stderr, "\n%s %s: re-ran\n", cases[i].filter,
                    cases[i].setting);
        CU_ASSERT_EQUAL(n->data_time, ran);
        /* a bad value changes nothing either */
        CU_ASSERT_EQUAL(pipit_node_set(n, cases[i].setting, "?"),
                        strcmp(cases[i].setting, "direction") == 0
                            ? PIPIT_OK
                            : PIPIT_EINVAL);
        ASSERT_OK(pipit_node_set(n, cases[i].setting, cases[i].value));
        ASSERT_OK(pipit_node_set(n, cases[i].setting, cases[i].other));
        CU_ASSERT(n->mtime > mtime);
        pipit_node_unref(n);
    }
    pipit_image_unref(img);
}

/* ---- filters.h names only settings that exist -------------------------- */

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    size_t got = fread(text, 1, (size_t)len, f);
    text[got] = '\0';
    fclose(f);
    return text;
}

static bool
has_setting(const pipit_node_class_t *c, const char *name)
{
    size_t count;
    const pipit_setting_t *s = pipit_node_class_settings(c, &count);
    for (size_t i = 0; i < count; i++)
        if (strcmp(s[i].name, name) == 0)
            return true;
    return false;
}

/* True when word is a parameter name in the declaration decl..end. */
static bool
is_parameter(const char *decl, const char *end, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = decl; p + len <= end; p++)
        if (memcmp(p, word, len) == 0 && !isalnum((unsigned char)p[len]) &&
            p[len] != '_' && (p == decl || !isalnum((unsigned char)p[-1])) &&
            p[-1] != '_')
            return true;
    return false;
}

static void
test_header_names_real_settings(void)
{
    char *text = read_text(PIPIT_TEST_DATA "/../../filters/pipit/filters.h");
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    size_t checked = 0;
    for (char *p = strstr(text, "/**"); p != NULL; p = strstr(p, "/**")) {
        char *close = strstr(p, "*/");
        CU_ASSERT_PTR_NOT_NULL_FATAL(close);
        /* the class is the block's first word: " * name (ITK ...)" */
        char name[64] = "";
        sscanf(p + 3, " * %63[a-z-]", name);
        const pipit_node_class_t *c = pipit_filter_class_find(name);
        char *decl = close + 2, *semi = strchr(decl, ';');
        CU_ASSERT_PTR_NOT_NULL_FATAL(semi);
        for (char *q = p; c != NULL && q < close; q++) {
            /* settings are written `name`; snake_case never is one */
            if (*q == '`') {
                char *e = memchr(q + 1, '`', (size_t)(close - q - 1));
                CU_ASSERT_PTR_NOT_NULL_FATAL(e);
                char word[64];
                snprintf(word, sizeof word, "%.*s", (int)(e - q - 1), q + 1);
                bool ok = has_setting(c, word) ||
                          is_parameter(decl, semi, word);
                if (!ok)
                    fprintf(stderr, "\nfilters.h: %s: `%s` is no setting\n",
                            name, word);
                CU_ASSERT(ok);
                checked++;
                q = e;
            }
        }
        p = close;
    }
    CU_ASSERT(checked >= 30);
    /* an underscore word that is neither a C name nor a type */
    for (char *q = text; *q != '\0'; q++) {
        if (!islower((unsigned char)*q) ||
            (q > text && (isalnum((unsigned char)q[-1]) || q[-1] == '_')))
            continue;
        size_t len = 0;
        while (isalnum((unsigned char)q[len]) || q[len] == '_')
            len++;
        char word[64];
        snprintf(word, sizeof word, "%.*s", (int)len, q);
        bool bad = strchr(word, '_') != NULL &&
                   strncmp(word, "pipit_", 6) != 0 &&
                   strcmp(word + strlen(word) - 2, "_t") != 0;
        if (bad)
            fprintf(stderr, "\nfilters.h: '%s' looks like a setting name\n",
                    word);
        CU_ASSERT(!bad);
        q += len - 1;
    }
    free(text);
}

/* ---- median over boxes of any radius the setting allows ---------------- */

typedef struct {
    double v;
    uint64_t w;
} weighted_t;

static int
by_value(const void *a, const void *b)
{
    double x = ((const weighted_t *)a)->v, y = ((const weighted_t *)b)->v;
    return x < y ? -1 : x > y;
}

/* The plain reference: every position of the box clamped into the
 * image, counted per axis; the values sorted and the middle weight
 * found. */
static double
reference_median(const pipit_image_t *img, const size_t *at, const size_t *r)
{
    const size_t *size = pipit_image_size(img);
    unsigned dim = pipit_image_dim(img);
    uint64_t wax[3][64];
    size_t n[3] = { 1, 1, 1 };
    for (unsigned d = 0; d < 3; d++) {
        if (d < dim)
            n[d] = size[d];
        for (size_t i = 0; i < n[d]; i++)
            wax[d][i] = 0;
        size_t rd = d < dim ? r[d] : 0;
        for (long off = -(long)rd; off <= (long)rd; off++) {
            long i = (long)at[d] + off;
            i = i < 0 ? 0 : i >= (long)n[d] ? (long)n[d] - 1 : i;
            wax[d][i]++;
        }
    }
    weighted_t *all = malloc(n[0] * n[1] * n[2] * sizeof *all);
    size_t m = 0;
    uint64_t total = 0;
    for (size_t z = 0; z < n[2]; z++)
        for (size_t y = 0; y < n[1]; y++)
            for (size_t x = 0; x < n[0]; x++) {
                uint64_t w = wax[0][x] * wax[1][y] * wax[2][z];
                if (w == 0)
                    continue;
                size_t idx[3] = { x, y, z };
                all[m].v = pipit_image_get_value(img, idx, 0);
                all[m++].w = w;
                total += w;
            }
    qsort(all, m, sizeof *all, by_value);
    uint64_t k = total / 2;
    size_t i = 0;
    while (all[i].w <= k)
        k -= all[i++].w;
    double v = all[i].v;
    free(all);
    return v;
}

static void
test_median_any_radius(void)
{
    static const struct {
        unsigned dim;
        size_t size[3];
        const char *radius;
        size_t r[3];
        pipit_pixel_type_t type;
    } cases[] = {
        { 2, { 23, 9, 1 }, "33", { 33, 33, 0 }, PIPIT_F32 }, /* 67 rows */
        { 2, { 40, 7, 1 }, "2,32", { 2, 32, 0 }, PIPIT_I16 },
        { 3, { 9, 8, 7 }, "4", { 4, 4, 4 }, PIPIT_U8 },      /* 81 rows */
        { 3, { 9, 8, 7 }, "4", { 4, 4, 4 }, PIPIT_F64 },
        { 3, { 6, 5, 4 }, "1,5,7", { 1, 5, 7 }, PIPIT_I32 },
        { 3, { 3, 3, 2 }, "1000", { 1000, 1000, 1000 }, PIPIT_U16 },
        { 3, { 4, 3, 2 }, "1000,0,1000", { 1000, 0, 1000 }, PIPIT_I8 },
        { 2, { 5, 4, 1 }, "1000", { 1000, 1000, 0 }, PIPIT_U32 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t count = cases[c].size[0] * cases[c].size[1] *
                       (cases[c].dim > 2 ? cases[c].size[2] : 1);
        double *v = malloc(count * sizeof *v);
        uint64_t h = 12345 + c;
        for (size_t i = 0; i < count; i++) {
            h = h * 6364136223846793005u + 1442695040888963407u;
            /* signed and fractional values, with repeats */
            v[i] = (double)((h >> 33) % 61) - 20.0 +
                   (pipit_pixel_type_is_float(cases[c].type) ? 0.25 : 0.0) *
                       (double)((h >> 20) % 3);
            if (cases[c].type == PIPIT_U8 || cases[c].type == PIPIT_U16 ||
                cases[c].type == PIPIT_U32)
                v[i] += 20.0;
        }
        pipit_image_t *img =
            tf_values(cases[c].dim, cases[c].size, cases[c].type, v);
        free(v);
        pipit_image_t *ref = NULL;
        for (unsigned t = 0; t < 4; t++) {
            ASSERT_OK(pipit_pool_set_threads(test_thread_counts[t]));
            pipit_node_t *n = pipit_median_new(1);
            ASSERT_OK(pipit_node_set(n, "radius", cases[c].radius));
            ASSERT_OK(pipit_node_set_input_image(n, 0, img));
            pipit_image_t *out = tf_update(n);
            if (ref == NULL) {
                ref = out;
                bool ok = true;
                for (size_t z = 0; z < (cases[c].dim > 2 ? cases[c].size[2]
                                                          : 1);
                     z++)
                    for (size_t y = 0; y < cases[c].size[1]; y++)
                        for (size_t x = 0; x < cases[c].size[0]; x++) {
                            size_t at[3] = { x, y, z };
                            double want = reference_median(img, at,
                                                           cases[c].r);
                            double got = pipit_image_get_value(out, at, 0);
                            if (got != want && ok) {
                                fprintf(stderr,
                                        "\nmedian %s at %zu,%zu,%zu: %g, "
                                        "not %g\n",
                                        cases[c].radius, x, y, z, got, want);
                                ok = false;
                            }
                        }
                CU_ASSERT(ok);
            } else {
                CU_ASSERT(tf_same(ref, out));
                pipit_image_unref(out);
            }
            pipit_image_t *streamed = tf_streamed(n, 64);
            CU_ASSERT(tf_same(ref, streamed));
            pipit_image_unref(streamed);
            pipit_node_unref(n);
        }
        pipit_image_unref(ref);
        pipit_image_unref(img);
    }
    ASSERT_OK(pipit_pool_set_threads(0));
}

const test_case_t test_filters_settings_cases[] = {
    { "number_messages", test_number_messages },
    { "constructor_names", test_constructor_names },
    { "per_axis_counts", test_per_axis_counts },
    { "same_value_changes_nothing", test_same_value_changes_nothing },
    { "header_names_real_settings", test_header_names_real_settings },
    { "median_any_radius", test_median_any_radius },
    { NULL, NULL },
};

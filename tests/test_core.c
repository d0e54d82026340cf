/* SPDX-License-Identifier: Apache-2.0 */
/* Errors, pixel types and regions. */
#include <stdlib.h>

#include "testutil.h"

#include "error_impl.h"

static void
test_error_message_per_thread(void)
{
    pipit_error_clear();
    CU_ASSERT_STRING_EQUAL(pipit_error_message(), "no error");
    CU_ASSERT_EQUAL(pipit__error(PIPIT_EINVAL, "file '%s': bad", "a.png"),
                    PIPIT_EINVAL);
    CU_ASSERT_STRING_EQUAL(pipit_error_message(), "file 'a.png': bad");
    pipit__error_prefix("reader");
    CU_ASSERT_STRING_EQUAL(pipit_error_message(), "reader: file 'a.png': bad");
    CU_ASSERT_STRING_EQUAL(pipit_status_name(PIPIT_ECANCELED), "ECANCELED");
    CU_ASSERT_EQUAL(pipit__error_nomem(), PIPIT_ENOMEM);
    CU_ASSERT_STRING_EQUAL(pipit_error_message(), "out of memory");
}

static void
test_check_arg_names_expression(void)
{
    ASSERT_FAILS_WITH(pipit_image_set_spacing(NULL, NULL), PIPIT_EINVAL,
                      "img != NULL");
}

static pipit_log_level_t seen_level;
static char seen_line[256];

static void
capture(pipit_log_level_t level, const char *msg, void *user)
{
    (void)user;
    seen_level = level;
    snprintf(seen_line, sizeof seen_line, "%s", msg);
}

static void
test_log_handler_and_level(void)
{
    pipit_log_set_handler(capture, NULL, PIPIT_LOG_WARNING);
    seen_line[0] = '\0';
    pipit__log(PIPIT_LOG_WARNING, "key %s ignored", "Foo");
    CU_ASSERT_STRING_EQUAL(seen_line, "key Foo ignored");
    CU_ASSERT_EQUAL(seen_level, PIPIT_LOG_WARNING);
    seen_line[0] = '\0';
    pipit__log(PIPIT_LOG_DEBUG, "too detailed");
    CU_ASSERT_STRING_EQUAL(seen_line, "");
    pipit_log_set_handler(NULL, NULL, PIPIT_LOG_WARNING);
    pipit__log(PIPIT_LOG_ERROR, "dropped");
    CU_ASSERT_STRING_EQUAL(seen_line, "");
}

static void
test_pixel_types(void)
{
    static const struct {
        const char *text;
        pipit_pixel_type_t t;
        size_t size;
    } cases[] = {
        { "u8", PIPIT_U8, 1 }, { "unsigned char", PIPIT_U8, 1 },
        { "char", PIPIT_I8, 1 }, { "u16", PIPIT_U16, 2 },
        { "short", PIPIT_I16, 2 }, { "unsigned int", PIPIT_U32, 4 },
        { "int", PIPIT_I32, 4 }, { "float", PIPIT_F32, 4 },
        { "f64", PIPIT_F64, 8 }, { "double", PIPIT_F64, 8 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pipit_pixel_type_t t;
        ASSERT_OK(pipit_pixel_type_parse(cases[i].text, &t));
        CU_ASSERT_EQUAL(t, cases[i].t);
        CU_ASSERT_EQUAL(pipit_pixel_size(t), cases[i].size);
    }
    pipit_pixel_type_t t;
    ASSERT_FAILS_WITH(pipit_pixel_type_parse("float16", &t), PIPIT_EINVAL,
                      "float16");
    CU_ASSERT_STRING_EQUAL(pipit_pixel_type_elastix_name(PIPIT_I16), "short");
    double lo, hi;
    pipit_pixel_type_range(PIPIT_I16, &lo, &hi);
    CU_ASSERT_EQUAL(lo, -32768);
    CU_ASSERT_EQUAL(hi, 32767);
    CU_ASSERT_EQUAL(pipit_pixel_size((pipit_pixel_type_t)99), 0);
}

static void
test_region_set_operations(void)
{
    size_t ia[2] = { 2, 3 }, sa[2] = { 10, 5 };
    size_t ib[2] = { 8, 0 }, sb[2] = { 10, 5 };
    pipit_region_t a = pipit_region_make(2, ia, sa);
    pipit_region_t b = pipit_region_make(2, ib, sb);
    CU_ASSERT_EQUAL(pipit_region_count(&a), 50);
    CU_ASSERT_EQUAL(a.lo[2], 0);
    CU_ASSERT_EQUAL(a.hi[2], 1);
    pipit_region_t i = pipit_region_intersect(&a, &b);
    CU_ASSERT_EQUAL(i.lo[0], 8);
    CU_ASSERT_EQUAL(i.hi[0], 12);
    CU_ASSERT_EQUAL(i.lo[1], 3);
    CU_ASSERT_EQUAL(i.hi[1], 5);
    CU_ASSERT_TRUE(pipit_region_contains(&a, &i));
    CU_ASSERT_TRUE(pipit_region_contains(&b, &i));
    CU_ASSERT_FALSE(pipit_region_contains(&a, &b));
    pipit_region_t u = pipit_region_union(&a, &b);
    CU_ASSERT_EQUAL(u.lo[0], 2);
    CU_ASSERT_EQUAL(u.hi[0], 18);
    size_t ic[2] = { 100, 100 };
    pipit_region_t c = pipit_region_make(2, ic, sa);
    pipit_region_t none = pipit_region_intersect(&a, &c);
    CU_ASSERT_TRUE(pipit_region_is_empty(&none));
    CU_ASSERT_EQUAL(pipit_region_count(&none), 0);
    CU_ASSERT_TRUE(pipit_region_contains(&a, &none));
    size_t radius[2] = { 3, 3 };
    size_t whole_size[2] = { 12, 20 };
    pipit_region_t whole = pipit_region_from_size(2, whole_size);
    pipit_region_t p = pipit_region_pad(&a, radius, 2, &whole);
    CU_ASSERT_EQUAL(p.lo[0], 0);
    CU_ASSERT_EQUAL(p.hi[0], 12);
    CU_ASSERT_EQUAL(p.lo[1], 0);
    CU_ASSERT_EQUAL(p.hi[1], 11);
}

/* Marks every pixel each piece covers; every mark must end at 1. */
static void
check_cover(const pipit_region_t *r, size_t n, bool use_pool_plan)
{
    size_t w = r->hi[0], h = r->hi[1], d = r->hi[2];
    unsigned char *mark = calloc(w * h * d, 1);
    pipit_region_loop_t opt = { .pixel_bytes = 4, .piece_bytes = 4 * n };
    size_t count = use_pool_plan ? pipit_region_pieces(r, &opt, 0, NULL)
                                 : pipit_region_split(r, n, 0, NULL);
    CU_ASSERT_TRUE(count >= 1);
    if (!use_pool_plan)
        CU_ASSERT_TRUE(count <= n);
    size_t covered = 0;
    for (size_t k = 0; k < count; k++) {
        pipit_region_t piece;
        if (use_pool_plan)
            pipit_region_pieces(r, &opt, k, &piece);
        else
            pipit_region_split(r, n, k, &piece);
        CU_ASSERT_TRUE(pipit_region_contains(r, &piece));
        CU_ASSERT_FALSE(pipit_region_is_empty(&piece));
        if (use_pool_plan) { /* the pool never cuts a row */
            CU_ASSERT_EQUAL(piece.lo[0], r->lo[0]);
            CU_ASSERT_EQUAL(piece.hi[0], r->hi[0]);
        }
        for (size_t z = piece.lo[2]; z < piece.hi[2]; z++)
            for (size_t y = piece.lo[1]; y < piece.hi[1]; y++)
                for (size_t x = piece.lo[0]; x < piece.hi[0]; x++)
                    mark[(z * h + y) * w + x]++;
        covered += pipit_region_count(&piece);
    }
    CU_ASSERT_EQUAL(covered, pipit_region_count(r));
    for (size_t z = r->lo[2]; z < r->hi[2]; z++)
        for (size_t y = r->lo[1]; y < r->hi[1]; y++)
            for (size_t x = r->lo[0]; x < r->hi[0]; x++)
                if (mark[(z * h + y) * w + x] != 1) {
                    CU_FAIL("pixel covered other than once");
                    free(mark);
                    return;
                }
    free(mark);
}

static void
test_split_covers_each_pixel_once(void)
{
    static const size_t sizes[][3] = {
        { 1, 1, 1 }, { 7, 1, 1 }, { 1, 13, 1 }, { 31, 17, 1 },
        { 5, 3, 11 }, { 64, 64, 1 }, { 2, 2, 2 }, { 17, 1, 9 },
    };
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t lo[3] = { 1, 2, 0 };
        size_t hi[3] = { 1 + sizes[s][0], 2 + sizes[s][1], sizes[s][2] };
        pipit_region_t r = pipit_region_make(3, lo, sizes[s]);
        (void)hi;
        for (size_t n = 1; n <= 64; n++) {
            check_cover(&r, n, false);
            check_cover(&r, n, true);
        }
    }
}

static void
test_split_is_balanced(void)
{
    size_t size[2] = { 10, 100 };
    pipit_region_t r = pipit_region_from_size(2, size);
    CU_ASSERT_EQUAL(pipit_region_split(&r, 7, 0, NULL), 7);
    for (size_t k = 0; k < 7; k++) {
        pipit_region_t p;
        pipit_region_split(&r, 7, k, &p);
        size_t rows = p.hi[1] - p.lo[1];
        CU_ASSERT_TRUE(rows == 14 || rows == 15);
    }
    /* more pieces than rows: one row each */
    size_t small[2] = { 10, 3 };
    r = pipit_region_from_size(2, small);
    CU_ASSERT_EQUAL(pipit_region_split(&r, 64, 0, NULL), 3);
}

static void
test_allocator_failure_injection(void)
{
    pipit__alloc_fail_at(1);
    void *p = pipit__malloc(16);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_STRING_EQUAL(pipit_error_message(), "out of memory");
    p = pipit__malloc(16);
    CU_ASSERT_PTR_NOT_NULL(p);
    pipit__free(p);
    pipit__alloc_fail_at(0);
}

const test_case_t test_core_cases[] = {
    { "error message per thread", test_error_message_per_thread },
    { "check arg names expression", test_check_arg_names_expression },
    { "log handler and level", test_log_handler_and_level },
    { "pixel types", test_pixel_types },
    { "region set operations", test_region_set_operations },
    { "split covers each pixel once (1..64 pieces)",
      test_split_covers_each_pixel_once },
    { "split is balanced", test_split_is_balanced },
    { "allocator failure injection", test_allocator_failure_injection },
    { NULL, NULL },
};

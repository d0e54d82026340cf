/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration's image samplers and mask erosion (spec §7.3, §7.4),
 * against answers worked out by hand or by brute force over every voxel:
 * Full gives exactly the voxels (inside the mask), Grid the spec's
 * centred lattice, Random / RandomCoordinate repeat for a seed, stay in
 * the mask and range and are uniform; erosion removes the border the
 * derivation in mask_erode.c predicts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_impl.h"
#include "reg_impl.h"
#include "testutil.h"

/* ---- helpers ----------------------------------------------------------- */

/* A value that names its voxel: x + 100 y + 10000 z. */
static double
voxel_value(const size_t *i, unsigned d)
{
    double v = (double)i[0];
    if (d > 1)
        v += 100.0 * (double)i[1];
    if (d > 2)
        v += 10000.0 * (double)i[2];
    return v;
}

static pipit_image_t *
make_image(unsigned d, const size_t *size, bool rotated)
{
    pipit_image_t *img = pipit_image_new(d, size, PIPIT_F32, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    double sp[3] = { 0.5, 2.0, 1.5 }, org[3] = { 1.0, -2.0, 3.0 };
    ASSERT_OK(pipit_image_set_spacing(img, sp));
    ASSERT_OK(pipit_image_set_origin(img, org));
    if (rotated) {
        /* 90 degrees in the x-y plane: points are not a scaled index */
        double dir[9] = { 0 };
        dir[0 * d + 1] = -1.0;
        dir[1 * d + 0] = 1.0;
        for (unsigned a = 2; a < d; a++)
            dir[a * d + a] = 1.0;
        ASSERT_OK(pipit_image_set_direction(img, dir));
    }
    float *px = pipit_image_data_writable(img);
    size_t n = 1;
    for (unsigned a = 0; a < d; a++)
        n *= size[a];
    for (size_t k = 0; k < n; k++) {
        size_t i[3] = { 0 }, r = k;
        for (unsigned a = 0; a < d; a++) {
            i[a] = r % size[a];
            r /= size[a];
        }
        px[k] = (float)voxel_value(i, d);
    }
    return img;
}

/* A mask on img's grid (or a given grid), inside where in(i) says. */
static reg_mask_t *
make_mask(const pipit_image_t *grid, bool (*in)(const size_t *, void *),
          void *user)
{
    unsigned d = pipit_image_dim(grid);
    const size_t *size = pipit_image_size(grid);
    pipit_image_t *img = pipit_image_new(d, size, PIPIT_U8, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(img);
    ASSERT_OK(pipit_image_copy_geometry(img, grid));
    uint8_t *px = pipit_image_data_writable(img);
    size_t n = 1;
    for (unsigned a = 0; a < d; a++)
        n *= size[a];
    for (size_t k = 0; k < n; k++) {
        size_t i[3] = { 0 }, r = k;
        for (unsigned a = 0; a < d; a++) {
            i[a] = r % size[a];
            r /= size[a];
        }
        px[k] = in(i, user) ? 3 : 0; /* any non-zero value is inside */
    }
    reg_mask_t *m = NULL;
    pipit_status_t st = pipit__reg_mask_new(img, "fixed mask", &m);
    pipit_image_unref(img);
    if (st != PIPIT_OK)
        return NULL;
    return m;
}

/* box [lo, hi] inclusive, given as size_t[6] = lo0 lo1 lo2 hi0 hi1 hi2 */
static bool
in_box(const size_t *i, void *user)
{
    const size_t *b = user;
    for (unsigned a = 0; a < 3; a++)
        if (i[a] < b[a] || i[a] > b[3 + a])
            return false;
    return true;
}

static reg_map_t
make_map(const char *text, unsigned dim, pipit_params_t **keep)
{
    pipit_params_t *p = NULL;
    ASSERT_OK(pipit_params_parse(text, strlen(text), "test.txt", &p));
    *keep = p;
    return (reg_map_t){ .params = p, .file = "test.txt", .dim = dim,
                        .n_levels = 3 };
}

static reg_level_t
make_level(pipit_image_t *fixed, const reg_mask_t *mask, reg_rng_t *rng)
{
    return (reg_level_t){ .fixed = fixed, .dim = pipit_image_dim(fixed),
                          .fixed_mask = mask, .rng = rng };
}

/* Runs one sampler: zeroed state, configure for level, draw, finalize. */
static pipit_status_t
run_sampler(const reg_sampler_class_t *c, const reg_map_t *map,
            unsigned level, const reg_level_t *L, reg_samples_t *out)
{
    void *st = calloc(1, c->state_size + 1);
    pipit_status_t rc = c->configure(st, map, level);
    if (rc == PIPIT_OK)
        rc = c->draw(st, L, out);
    c->finalize(st);
    free(st);
    return rc;
}

/* Continuous index of sample k, rounded when `round`. */
static void
sample_index(const pipit_image_t *img, const reg_samples_t *s, size_t k,
             double *c)
{
    pipit_image_point_to_index(img, s->points + k * s->dim, c);
}

/* ---- Full ------------------------------------------------------------- */

static void
test_full_every_voxel(void)
{
    size_t size[3] = { 7, 5, 4 };
    pipit_image_t *img = make_image(3, size, true);
    pipit_params_t *p;
    reg_map_t map = make_map("(ImageSampler \"Full\")", 3, &p);
    reg_level_t L = make_level(img, NULL, NULL);
    reg_samples_t s = { 0 };
    ASSERT_OK(run_sampler(&pipit__reg_sampler_full, &map, 0, &L, &s));
    CU_ASSERT_EQUAL_FATAL(s.n, 7 * 5 * 4);
    CU_ASSERT_EQUAL(s.dim, 3);
    size_t k = 0;
    for (size_t z = 0; z < 4; z++)
        for (size_t y = 0; y < 5; y++)
            for (size_t x = 0; x < 7; x++, k++) {
                double ci[3] = { (double)x, (double)y, (double)z }, pt[3];
                size_t i[3] = { x, y, z };
                pipit_image_index_to_point(img, ci, pt);
                CU_ASSERT(memcmp(pt, s.points + 3 * k, sizeof pt) == 0);
                CU_ASSERT_EQUAL(s.values[k], voxel_value(i, 3));
            }
    pipit__reg_samples_free(&s);
    pipit_params_unref(p);
    pipit_image_unref(img);
}

static bool
in_ring(const size_t *i, void *user)
{
    (void)user;
    /* a box 2..9 x 1..6 with a hole at (5, 3): not convex */
    if (i[0] < 2 || i[0] > 9 || i[1] < 1 || i[1] > 6)
        return false;
    return !(i[0] == 5 && i[1] == 3);
}

static void
test_full_mask(void)
{
    size_t size[2] = { 12, 9 };
    pipit_image_t *img = make_image(2, size, false);
    reg_mask_t *m = make_mask(img, in_ring, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    pipit_params_t *p;
    reg_map_t map = make_map("(ImageSampler \"Full\")", 2, &p);
    reg_level_t L = make_level(img, m, NULL);
    reg_samples_t s = { 0 };
    ASSERT_OK(run_sampler(&pipit__reg_sampler_full, &map, 0, &L, &s));
    CU_ASSERT_EQUAL_FATAL(s.n, 8 * 6 - 1);
    size_t k = 0;
    for (size_t y = 0; y < 9; y++)
        for (size_t x = 0; x < 12; x++) {
            size_t i[2] = { x, y };
            if (!in_ring(i, NULL))
                continue;
            double ci[2] = { (double)x, (double)y }, pt[2];
            pipit_image_index_to_point(img, ci, pt);
            CU_ASSERT(memcmp(pt, s.points + 2 * k, sizeof pt) == 0);
            CU_ASSERT_EQUAL(s.values[k], voxel_value(i, 2));
            k++;
        }
    pipit__reg_samples_free(&s);
    pipit__reg_mask_free(m);
    pipit_params_unref(p);
    pipit_image_unref(img);
}

/* A mask on its own coarser, shifted grid: Full must give exactly the
 * voxels whose centre the mask calls inside, found by brute force over
 * the whole image (so the cropping loses none). */
static void
test_full_mask_other_grid(void)
{
    size_t size[2] = { 40, 30 };
    pipit_image_t *img = make_image(2, size, false);
    size_t msize[2] = { 9, 7 };
    pipit_image_t *grid = pipit_image_new(2, msize, PIPIT_U8, 1);
    double sp[2] = { 1.3, 4.1 }, org[2] = { 4.2, 3.0 };
    ASSERT_OK(pipit_image_set_spacing(grid, sp));
    ASSERT_OK(pipit_image_set_origin(grid, org));
    size_t box[6] = { 2, 1, 0, 6, 4, 0 };
    reg_mask_t *m = make_mask(grid, in_box, box);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    pipit_params_t *p;
    reg_map_t map = make_map("", 2, &p);
    reg_level_t L = make_level(img, m, NULL);
    reg_samples_t s = { 0 };
    ASSERT_OK(run_sampler(&pipit__reg_sampler_full, &map, 0, &L, &s));
    size_t k = 0;
    for (size_t y = 0; y < 30; y++)
        for (size_t x = 0; x < 40; x++) {
            double ci[2] = { (double)x, (double)y }, pt[2];
            pipit_image_index_to_point(img, ci, pt);
            if (!pipit__reg_mask_inside(m, pt))
                continue;
            CU_ASSERT_FATAL(k < s.n);
            CU_ASSERT(memcmp(pt, s.points + 2 * k, sizeof pt) == 0);
            k++;
        }
    CU_ASSERT(k > 20);
    CU_ASSERT_EQUAL(k, s.n);
    pipit__reg_samples_free(&s);
    pipit__reg_mask_free(m);
    pipit_params_unref(p);
    pipit_image_unref(grid);
    pipit_image_unref(img);
}

/* ---- Grid ------------------------------------------------------------- */

/* Expects the lattice x0 + i*sx (nx), y0 + j*sy (ny), x fastest. */
static void
expect_lattice(const pipit_image_t *img, const reg_samples_t *s, size_t x0,
               size_t sx, size_t nx, size_t y0, size_t sy, size_t ny)
{
    CU_ASSERT_EQUAL_FATAL(s->n, nx * ny);
    size_t k = 0;
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++, k++) {
            double c[2];
            sample_index(img, s, k, c);
            CU_ASSERT(fabs(c[0] - (double)(x0 + i * sx)) < 1e-9);
            CU_ASSERT(fabs(c[1] - (double)(y0 + j * sy)) < 1e-9);
            size_t idx[2] = { x0 + i * sx, y0 + j * sy };
            CU_ASSERT_EQUAL(s->values[k], voxel_value(idx, 2));
        }
}

static void
test_grid_centred(void)
{
    /* n = 12, step 3: m = 1 + 11/3 = 4, first (12 - 10)/2 = 1;
     * n = 7, step 4: m = 1 + 6/4 = 2, first (7 - 5)/2 = 1 */
    size_t size[2] = { 12, 7 };
    pipit_image_t *img = make_image(2, size, false);
    pipit_params_t *p;
    reg_map_t map = make_map("(SampleGridSpacing 1 1 3 4)", 2, &p);
    reg_level_t L = make_level(img, NULL, NULL);
    reg_samples_t s = { 0 };
    ASSERT_OK(run_sampler(&pipit__reg_sampler_grid, &map, 1, &L, &s));
    expect_lattice(img, &s, 1, 3, 4, 1, 4, 2);
    /* level 0: step 1 is every voxel */
    ASSERT_OK(run_sampler(&pipit__reg_sampler_grid, &map, 0, &L, &s));
    expect_lattice(img, &s, 0, 1, 12, 0, 1, 7);
    /* level 2 has no entries: the default 2, not entry 0 (§7.4);
     * n = 12: m = 6, first (12 - 11)/2 = 0; n = 7: m = 4, first 0 */
    ASSERT_OK(run_sampler(&pipit__reg_sampler_grid, &map, 2, &L, &s));
    expect_lattice(img, &s, 0, 2, 6, 0, 2, 4);
    pipit__reg_samples_free(&s);
    pipit_params_unref(p);
    pipit_image_unref(img);
}

static void
test_grid_even_odd(void)
{
    /* n = 10, step 3: m = 4, first 0; n = 9, step 2: m = 5, first 0 */
    size_t size[2] = { 10, 9 };
    pipit_image_t *img = make_image(2, size, false);
    pipit_params_t *p;
    reg_map_t map = make_map("(SampleGridSpacing 3 2)", 2, &p);
    reg_level_t L = make_level(img, NULL, NULL);
    reg_samples_t s = { 0 };
    ASSERT_OK(run_sampler(&pipit__reg_sampler_grid, &map, 0, &L, &s));
    expect_lattice(img, &s, 0, 3, 4, 0, 2, 5);
    pipit_params_unref(p);
    /* n = 10, step 4: m = 3, first (10 - 9)/2 = 0; n = 9, step 5: m = 2,
     * first (9 - 6)/2 = 1 */
    map = make_map("(SampleGridSpacing 4 5)", 2, &p);
    ASSERT_OK(run_sampler(&pipit__reg_sampler_grid, &map, 0, &L, &s));
    expect_lattice(img, &s, 0, 4, 3, 1, 5, 2);
    pipit__reg_samples_free(&s);
    pipit_params_unref(p);
    pipit_image_unref(img);
}

static void
test_grid_mask_crop(void)
{
    /* Box x 2..8, y 1..5 on the image grid: the cropped region is the box
     * widened by one voxel (ITK's half-voxel margin, floor / ceil):
     * x 1..9 (n 9), y 0..6 (n 7). Step 3, 4: x m = 3, first 1 + 1 = 2;
     * y m = 2, first 0 + 1 = 1; all six inside the box. */
    size_t size[2] = { 15, 12 };
    pipit_image_t *img = make_image(2, size, false);
    size_t box[6] = { 2, 1, 0, 8, 5, 0 };
    reg_mask_t *m = make_mask(img, in_box, box);
    pipit_params_t *p;
    reg_map_t map = make_map("(SampleGridSpacing 3 4)", 2, &p);
    reg_level_t L = make_level(img, m, NULL);
    pipit_region_t r;
    ASSERT_OK(pipit__reg_sampler_region(&L, &r));
    CU_ASSERT_EQUAL(r.lo[0], 1);
    CU_ASSERT_EQUAL(r.hi[0], 10);
    CU_ASSERT_EQUAL(r.lo[1], 0);
    CU_ASSERT_EQUAL(r.hi[1], 7);
    reg_samples_t s = { 0 };
    ASSERT_OK(run_sampler(&pipit__reg_sampler_grid, &map, 0, &L, &s));
    expect_lattice(img, &s, 2, 3, 3, 1, 4, 2);
    pipit__reg_samples_free(&s);
    pipit__reg_mask_free(m);
    pipit_params_unref(p);
    pipit_image_unref(img);
}

static void
test_grid_bad_spacing(void)
{
    size_t size[2] = { 10, 9 };
    pipit_image_t *img = make_image(2, size, false);
    pipit_params_t *p;
    reg_map_t map = make_map("(SampleGridSpacing 3 0)", 2, &p);
    reg_level_t L = make_level(img, NULL, NULL);
    reg_samples_t s = { 0 };
    ASSERT_FAILS_WITH(run_sampler(&pipit__reg_sampler_grid, &map, 0, &L, &s),
                      PIPIT_EINVAL, "SampleGridSpacing value '0'");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "test.txt:1"));
    pipit__reg_samples_free(&s);
    pipit_params_unref(p);
    pipit_image_unref(img);
}

/* ---- Random ----------------------------------------------------------- */

static void
draw_random(const reg_sampler_class_t *c, const char *text, uint64_t seed,
            pipit_image_t *img, const reg_mask_t *m, reg_samples_t *s)
{
    pipit_params_t *p;
    reg_map_t map = make_map(text, pipit_image_dim(img), &p);
    reg_rng_t rng;
    pipit__reg_rng_seed(&rng, seed);
    reg_level_t L = make_level(img, m, &rng);
    ASSERT_OK(run_sampler(c, &map, 0, &L, s));
    pipit_params_unref(p);
}

static bool
same_samples(const reg_samples_t *a, const reg_samples_t *b)
{
    return a->n == b->n && a->dim == b->dim &&
           memcmp(a->points, b->points, a->n * a->dim * sizeof(double)) == 0 &&
           memcmp(a->values, b->values, a->n * sizeof(double)) == 0;
}

static void
test_random_seed(void)
{
    size_t size[2] = { 64, 48 };
    pipit_image_t *img = make_image(2, size, true);
    reg_samples_t a = { 0 }, b = { 0 }, c = { 0 };
    const char *t = "(NumberOfSpatialSamples 20000)";
    draw_random(&pipit__reg_sampler_random, t, 7, img, NULL, &a);
    draw_random(&pipit__reg_sampler_random, t, 7, img, NULL, &b);
    draw_random(&pipit__reg_sampler_random, t, 8, img, NULL, &c);
    CU_ASSERT_EQUAL(a.n, 20000);
    CU_ASSERT(same_samples(&a, &b));
    CU_ASSERT(!same_samples(&a, &c));
    /* voxel centres, values of their voxel, uniform: mean index near the
     * centre ((n - 1) / 2; sd of the mean n / sqrt(12 * 20000)) */
    double mean[2] = { 0, 0 };
    for (size_t k = 0; k < a.n; k++) {
        double ci[2];
        sample_index(img, &a, k, ci);
        size_t idx[2];
        for (unsigned d = 0; d < 2; d++) {
            double r = floor(ci[d] + 0.5);
            CU_ASSERT(fabs(ci[d] - r) < 1e-9);
            CU_ASSERT(r >= 0 && r < (double)size[d]);
            idx[d] = (size_t)r;
            mean[d] += r / (double)a.n;
        }
        CU_ASSERT_EQUAL(a.values[k], voxel_value(idx, 2));
    }
    CU_ASSERT(fabs(mean[0] - 31.5) < 0.6);
    CU_ASSERT(fabs(mean[1] - 23.5) < 0.45);
    /* the default count */
    draw_random(&pipit__reg_sampler_random, "", 7, img, NULL, &a);
    CU_ASSERT_EQUAL(a.n, 5000);
    pipit__reg_samples_free(&a);
    pipit__reg_samples_free(&b);
    pipit__reg_samples_free(&c);
    pipit_image_unref(img);
}

static void
test_random_mask(void)
{
    size_t size[2] = { 30, 20 };
    pipit_image_t *img = make_image(2, size, false);
    reg_mask_t *m = make_mask(img, in_ring, NULL);
    reg_samples_t a = { 0 };
    draw_random(&pipit__reg_sampler_random, "(NumberOfSpatialSamples 3000)",
                121212, img, m, &a);
    CU_ASSERT_EQUAL(a.n, 3000);
    size_t hit[12][9] = { { 0 } };
    for (size_t k = 0; k < a.n; k++) {
        CU_ASSERT(pipit__reg_mask_inside(m, a.points + 2 * k));
        double ci[2];
        sample_index(img, &a, k, ci);
        size_t x = (size_t)floor(ci[0] + 0.5), y = (size_t)floor(ci[1] + 0.5);
        if (x < 12 && y < 9)
            hit[x][y]++;
    }
    /* 47 inside voxels, about 64 draws each: every one is drawn */
    size_t seen = 0;
    for (size_t x = 0; x < 12; x++)
        for (size_t y = 0; y < 9; y++)
            seen += hit[x][y] > 0;
    CU_ASSERT_EQUAL(seen, 47);
    pipit__reg_samples_free(&a);
    pipit__reg_mask_free(m);
    pipit_image_unref(img);
}

static bool
in_corners(const size_t *i, void *user)
{
    (void)user;
    return (i[0] == 0 && i[1] == 0) || (i[0] == 63 && i[1] == 63);
}

static void
test_random_errors(void)
{
    size_t size[2] = { 64, 64 };
    pipit_image_t *img = make_image(2, size, false);
    pipit_params_t *p;
    reg_rng_t rng;
    pipit__reg_rng_seed(&rng, 1);
    reg_level_t L = make_level(img, NULL, &rng);
    reg_samples_t s = { 0 };
    reg_map_t map = make_map("\n(NumberOfSpatialSamples \"many\")", 2, &p);
    ASSERT_FAILS_WITH(run_sampler(&pipit__reg_sampler_random, &map, 0, &L,
                                  &s),
                      PIPIT_EINVAL, "NumberOfSpatialSamples");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "test.txt:2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "many"));
    pipit_params_unref(p);
    map = make_map("(NumberOfSpatialSamples 0)", 2, &p);
    ASSERT_FAILS_WITH(run_sampler(&pipit__reg_sampler_random, &map, 0, &L,
                                  &s),
                      PIPIT_EINVAL, "NumberOfSpatialSamples value '0'");
    pipit_params_unref(p);
    /* two inside voxels in opposite corners: the box is the whole image
     * and 2 in 4096 draws hit, far fewer than one in ten */
    reg_mask_t *m = make_mask(img, in_corners, NULL);
    L.fixed_mask = m;
    map = make_map("(NumberOfSpatialSamples 100)", 2, &p);
    ASSERT_FAILS_WITH(run_sampler(&pipit__reg_sampler_random, &map, 0, &L,
                                  &s),
                      PIPIT_EINVAL, "fixed mask");
    pipit_params_unref(p);
    pipit__reg_mask_free(m);
    pipit__reg_samples_free(&s);
    pipit_image_unref(img);
}

static bool
in_nothing(const size_t *i, void *user)
{
    (void)i;
    (void)user;
    return false;
}

static void
test_mask_covers_nothing(void)
{
    size_t size[2] = { 8, 8 };
    pipit_image_t *img = make_image(2, size, false);
    reg_mask_t *m = make_mask(img, in_nothing, NULL);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "covers no pixel"));
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "fixed mask"));
    pipit_image_unref(img);
}


/* ---- RandomCoordinate ---------------------------------------------------- */

static void
test_random_coordinate(void)
{
    size_t size[2] = { 64, 48 };
    pipit_image_t *img = make_image(2, size, true);
    reg_samples_t a = { 0 }, b = { 0 }, c = { 0 };
    const char *t = "(NumberOfSpatialSamples 20000)";
    const reg_sampler_class_t *rc = &pipit__reg_sampler_random_coordinate;
    draw_random(rc, t, 7, img, NULL, &a);
    draw_random(rc, t, 7, img, NULL, &b);
    draw_random(rc, t, 8, img, NULL, &c);
    CU_ASSERT_EQUAL(a.n, 20000);
    CU_ASSERT(same_samples(&a, &b));
    CU_ASSERT(!same_samples(&a, &c));
    double mean[2] = { 0, 0 }, lo[2] = { 1e9, 1e9 }, hi[2] = { -1e9, -1e9 };
    size_t bad = 0, fractional = 0;
    for (size_t k = 0; k < a.n; k++) {
        double ci[2];
        sample_index(img, &a, k, ci);
        for (unsigned d = 0; d < 2; d++) {
            mean[d] += ci[d] / (double)a.n;
            lo[d] = ci[d] < lo[d] ? ci[d] : lo[d];
            hi[d] = ci[d] > hi[d] ? ci[d] : hi[d];
        }
        fractional += fabs(ci[0] - floor(ci[0] + 0.5)) > 1e-3;
        /* order 1 reproduces the linear x + 100 y between voxel centres */
        bad += fabs(a.values[k] - (ci[0] + 100.0 * ci[1])) > 1e-6;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(fractional > a.n * 9 / 10);
    /* the voxel-centre range [0, n - 1], uniform */
    CU_ASSERT(lo[0] >= -1e-9 && hi[0] <= 63 + 1e-9);
    CU_ASSERT(lo[1] >= -1e-9 && hi[1] <= 47 + 1e-9);
    CU_ASSERT(lo[0] < 0.1 && hi[0] > 62.9 && lo[1] < 0.1 && hi[1] > 46.9);
    CU_ASSERT(fabs(mean[0] - 31.5) < 0.6);
    CU_ASSERT(fabs(mean[1] - 23.5) < 0.45);
    pipit__reg_samples_free(&a);
    pipit__reg_samples_free(&b);
    pipit__reg_samples_free(&c);
    pipit_image_unref(img);
}

static void
test_random_coordinate_cubic_mask(void)
{
    size_t size[2] = { 30, 20 };
    pipit_image_t *img = make_image(2, size, false);
    reg_mask_t *m = make_mask(img, in_ring, NULL);
    reg_samples_t a = { 0 };
    draw_random(&pipit__reg_sampler_random_coordinate,
                "(NumberOfSpatialSamples 2000)\n"
                "(FixedImageBSplineInterpolationOrder 3)",
                121212, img, m, &a);
    CU_ASSERT_EQUAL(a.n, 2000);
    /* inside the mask; the cubic value is the point path's value */
    pipit_interpolator_t *ip = pipit_bspline_interpolator_new(img, 3,
                                                             PIPIT_F64);
    size_t outside = 0, bad = 0;
    for (size_t k = 0; k < a.n; k++) {
        outside += !pipit__reg_mask_inside(m, a.points + 2 * k);
        double ci[2], v;
        sample_index(img, &a, k, ci);
        pipit_interpolator_evaluate(ip, ci, &v, NULL);
        bad += fabs(v - a.values[k]) > 1e-9 * fabs(v) + 1e-9;
    }
    CU_ASSERT_EQUAL(outside, 0);
    CU_ASSERT_EQUAL(bad, 0);
    pipit_interpolator_unref(ip);
    pipit__reg_samples_free(&a);
    pipit__reg_mask_free(m);
    pipit_image_unref(img);
}

static void
test_random_coordinate_region(void)
{
    /* spacing 0.5 x 2: 10 mm x 20 mm is 20 x 10 index units */
    size_t size[2] = { 64, 48 };
    pipit_image_t *img = make_image(2, size, false);
    reg_samples_t a = { 0 };
    const char *t = "(NumberOfSpatialSamples 3000)\n"
                    "(UseRandomSampleRegion \"true\")\n"
                    "(SampleRegionSize 10 20)";
    draw_random(&pipit__reg_sampler_random_coordinate, t, 9, img, NULL, &a);
    double lo[2] = { 1e9, 1e9 }, hi[2] = { -1e9, -1e9 };
    for (size_t k = 0; k < a.n; k++) {
        double ci[2];
        sample_index(img, &a, k, ci);
        for (unsigned d = 0; d < 2; d++) {
            lo[d] = ci[d] < lo[d] ? ci[d] : lo[d];
            hi[d] = ci[d] > hi[d] ? ci[d] : hi[d];
        }
    }
    CU_ASSERT(hi[0] - lo[0] <= 20 + 1e-9 && hi[0] - lo[0] > 19.5);
    CU_ASSERT(hi[1] - lo[1] <= 10 + 1e-9 && hi[1] - lo[1] > 9.5);
    CU_ASSERT(lo[0] >= 0 && hi[0] <= 63 && lo[1] >= 0 && hi[1] <= 47);
    /* the default: min(extent_d, max extent / 3); extents 31.5, 94 mm:
     * 31.33 mm both ways, i.e. 62.67 x 15.67 index units */
    draw_random(&pipit__reg_sampler_random_coordinate,
                "(UseRandomSampleRegion \"true\")", 9, img, NULL, &a);
    lo[0] = lo[1] = 1e9;
    hi[0] = hi[1] = -1e9;
    for (size_t k = 0; k < a.n; k++) {
        double ci[2];
        sample_index(img, &a, k, ci);
        for (unsigned d = 0; d < 2; d++) {
            lo[d] = ci[d] < lo[d] ? ci[d] : lo[d];
            hi[d] = ci[d] > hi[d] ? ci[d] : hi[d];
        }
    }
    CU_ASSERT(hi[0] - lo[0] <= 94.0 / 3 / 0.5 + 1e-9);
    CU_ASSERT(hi[0] - lo[0] > 94.0 / 3 / 0.5 - 0.5);
    CU_ASSERT(hi[1] - lo[1] <= 94.0 / 3 / 2 + 1e-9);
    CU_ASSERT(hi[1] - lo[1] > 94.0 / 3 / 2 - 0.5);
    /* more than the image: an error naming the key */
    pipit_params_t *p;
    reg_map_t map = make_map("(UseRandomSampleRegion \"true\")\n"
                             "(SampleRegionSize 10 200)", 2, &p);
    reg_rng_t rng;
    pipit__reg_rng_seed(&rng, 1);
    reg_level_t L = make_level(img, NULL, &rng);
    ASSERT_FAILS_WITH(run_sampler(&pipit__reg_sampler_random_coordinate,
                                  &map, 0, &L, &a),
                      PIPIT_EINVAL, "test.txt:2: SampleRegionSize value '200'");
    pipit_params_unref(p);
    map = make_map("(FixedImageBSplineInterpolationOrder 6)", 2, &p);
    ASSERT_FAILS_WITH(run_sampler(&pipit__reg_sampler_random_coordinate,
                                  &map, 0, &L, &a),
                      PIPIT_EINVAL, "FixedImageBSplineInterpolationOrder");
    pipit_params_unref(p);
    pipit__reg_samples_free(&a);
    pipit_image_unref(img);
}

/* ---- Threads ------------------------------------------------------------ */

static bool
in_ball(const size_t *i, void *user)
{
    (void)user;
    double dx = (double)i[0] - 30, dy = (double)i[1] - 20,
           dz = (double)i[2] - 12;
    return dx * dx + dy * dy + 4 * dz * dz < 400;
}

static void
test_threads(void)
{
    size_t size[3] = { 64, 48, 24 };
    pipit_image_t *img = make_image(3, size, true);
    reg_mask_t *m = make_mask(img, in_ball, NULL);
    const reg_sampler_class_t *cls[] = { &pipit__reg_sampler_full,
                                         &pipit__reg_sampler_grid,
                                         &pipit__reg_sampler_random,
                                         &pipit__reg_sampler_random_coordinate };
    for (size_t c = 0; c < sizeof cls / sizeof cls[0]; c++)
        for (int masked = 0; masked < 2; masked++) {
            reg_samples_t a = { 0 }, b = { 0 };
            ASSERT_OK(pipit_pool_set_threads(1));
            draw_random(cls[c], "(NumberOfSpatialSamples 12000)", 3, img,
                        masked ? m : NULL, &a);
            ASSERT_OK(pipit_pool_set_threads(3));
            draw_random(cls[c], "(NumberOfSpatialSamples 12000)", 3, img,
                        masked ? m : NULL, &b);
            CU_ASSERT(a.n > 1000);
            CU_ASSERT(same_samples(&a, &b));
            pipit__reg_samples_free(&a);
            pipit__reg_samples_free(&b);
        }
    /* erosion: lines over the pool, the same mask for any count */
    double rho[3] = { 2, 3, 1 };
    reg_mask_t *e1 = NULL, *e3 = NULL;
    ASSERT_OK(pipit_pool_set_threads(1));
    ASSERT_OK(pipit__reg_mask_erode(m, rho, &e1));
    ASSERT_OK(pipit_pool_set_threads(3));
    ASSERT_OK(pipit__reg_mask_erode(m, rho, &e3));
    CU_ASSERT(e1->n_inside < m->n_inside && e1->n_inside > 1000);
    CU_ASSERT(memcmp(e1->pixels, e3->pixels, 64 * 48 * 24) == 0);
    pipit__reg_mask_free(e1);
    pipit__reg_mask_free(e3);
    ASSERT_OK(pipit_pool_set_threads(0));
    pipit__reg_mask_free(m);
    pipit_image_unref(img);
}

/* A second draw at the same level reuses the sample set's arrays. */
static void
test_no_realloc(void)
{
    size_t size[2] = { 32, 32 };
    pipit_image_t *img = make_image(2, size, false);
    reg_mask_t *m = make_mask(img, in_ring, NULL);
    pipit_params_t *p;
    reg_map_t map = make_map("(NumberOfSpatialSamples 500)", 2, &p);
    reg_rng_t rng;
    pipit__reg_rng_seed(&rng, 5);
    const reg_sampler_class_t *cls[] = { &pipit__reg_sampler_full,
                                         &pipit__reg_sampler_grid,
                                         &pipit__reg_sampler_random,
                                         &pipit__reg_sampler_random_coordinate };
    for (size_t c = 0; c < sizeof cls / sizeof cls[0]; c++) {
        reg_level_t L = make_level(img, m, &rng);
        void *st = calloc(1, cls[c]->state_size + 1);
        reg_samples_t s = { 0 };
        ASSERT_OK(cls[c]->configure(st, &map, 0));
        ASSERT_OK(cls[c]->draw(st, &L, &s));
        double *pts = s.points, *vals = s.values;
        ASSERT_OK(cls[c]->configure(st, &map, 0));
        ASSERT_OK(cls[c]->draw(st, &L, &s));
        CU_ASSERT(s.points == pts && s.values == vals);
        cls[c]->finalize(st);
        free(st);
        pipit__reg_samples_free(&s);
    }
    pipit_params_unref(p);
    pipit__reg_mask_free(m);
    pipit_image_unref(img);
}


/* ---- Erosion ----------------------------------------------------------- */

/* The mask's pixel at (x, y) of a 2-D mask. */
static bool
mask_at(const reg_mask_t *m, size_t x, size_t y)
{
    return m->pixels[x + y * m->stride[1]] != 0;
}

/* Expects exactly the box [x0, x1] x [y0, y1] inside. */
static void
expect_box(const reg_mask_t *m, size_t x0, size_t x1, size_t y0, size_t y1)
{
    size_t bad = 0;
    for (size_t y = 0; y < m->size[1]; y++)
        for (size_t x = 0; x < m->size[0]; x++) {
            bool want = x >= x0 && x <= x1 && y >= y0 && y <= y1;
            bad += mask_at(m, x, y) != want;
        }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(m->n_inside, (x1 - x0 + 1) * (y1 - y0 + 1));
    CU_ASSERT_EQUAL(m->lo[0], x0);
    CU_ASSERT_EQUAL(m->hi[0], x1 + 1);
    CU_ASSERT_EQUAL(m->lo[1], y0);
    CU_ASSERT_EQUAL(m->hi[1], y1 + 1);
}

static void
test_erode_box(void)
{
    size_t size[2] = { 20, 20 };
    pipit_image_t *img = make_image(2, size, false);
    size_t box[6] = { 5, 3, 0, 14, 16, 0 };
    reg_mask_t *m = make_mask(img, in_box, box), *e = NULL;
    /* rho 2: x^2 < 2 t = rho^2 + 2 = 6 reaches 2 voxels; rho 1 reaches 1 */
    double rho[2] = { 2, 1 };
    ASSERT_OK(pipit__reg_mask_erode(m, rho, &e));
    expect_box(e, 7, 12, 4, 15);
    expect_box(m, 5, 14, 3, 16); /* the input is left alone */
    pipit__reg_mask_free(e);
    /* rho 3: reaches 3 (9 < 11 <= 16); rho 0 still reaches 1 (t = 1) */
    double rho2[2] = { 3, 0 };
    ASSERT_OK(pipit__reg_mask_erode(m, rho2, &e));
    expect_box(e, 8, 11, 4, 15);
    pipit__reg_mask_free(e);
    pipit__reg_mask_free(m);
    pipit_image_unref(img);
}

static void
test_erode_image_border(void)
{
    /* the outside of the image does not erode: a box on three borders
     * only loses its inner side */
    size_t size[2] = { 20, 20 };
    pipit_image_t *img = make_image(2, size, false);
    size_t box[6] = { 0, 0, 0, 9, 19, 0 };
    reg_mask_t *m = make_mask(img, in_box, box), *e = NULL;
    double rho[2] = { 2, 2 };
    ASSERT_OK(pipit__reg_mask_erode(m, rho, &e));
    expect_box(e, 0, 7, 0, 19);
    pipit__reg_mask_free(e);
    pipit__reg_mask_free(m);
    pipit_image_unref(img);
}

static bool
all_but_centre(const size_t *i, void *user)
{
    (void)user;
    return !(i[0] == 10 && i[1] == 10);
}

static void
test_erode_square_footprint(void)
{
    /* One outside voxel removes the square of half-width r around it,
     * corners included: (12, 12) goes although an ellipse of the same
     * scale (4/6 + 4/6 >= 1) would keep it; the truncation to the mask's
     * integer type between the axes squares the footprint. */
    size_t size[2] = { 21, 21 };
    pipit_image_t *img = make_image(2, size, false);
    reg_mask_t *m = make_mask(img, all_but_centre, NULL), *e = NULL;
    double rho[2] = { 2, 2 };
    ASSERT_OK(pipit__reg_mask_erode(m, rho, &e));
    CU_ASSERT_EQUAL(e->n_inside, 21 * 21 - 25);
    CU_ASSERT(!mask_at(e, 12, 12));
    CU_ASSERT(!mask_at(e, 8, 12));
    CU_ASSERT(mask_at(e, 13, 12));
    CU_ASSERT(mask_at(e, 10, 7));
    pipit__reg_mask_free(e);
    pipit__reg_mask_free(m);
    pipit_image_unref(img);
}

static pipit_status_t
for_level(const reg_mask_t *m, const char *text, unsigned level,
          bool moving, reg_mask_t **out)
{
    pipit_params_t *p;
    reg_map_t map = make_map(text, 2, &p);
    unsigned f[2] = { 1, 2 };
    pipit_status_t st = pipit__reg_mask_for_level(m, &map, level, f, moving,
                                                  out);
    pipit_params_unref(p);
    return st;
}

static void
test_mask_for_level(void)
{
    size_t size[2] = { 30, 30 };
    pipit_image_t *img = make_image(2, size, false);
    size_t box[6] = { 5, 5, 0, 24, 24, 0 };
    reg_mask_t *m = make_mask(img, in_box, box), *e = NULL;
    /* default: eroded, fixed rho = f + 1 = (2, 3) */
    ASSERT_OK(for_level(m, "", 0, false, &e));
    expect_box(e, 7, 22, 8, 21);
    pipit__reg_mask_free(e);
    /* moving rho = 2 f + 1 = (3, 5) */
    ASSERT_OK(for_level(m, "", 0, true, &e));
    expect_box(e, 8, 21, 10, 19);
    pipit__reg_mask_free(e);
    /* off: the same pixels, shared; the copy outlives nothing */
    ASSERT_OK(for_level(m, "(ErodeMask \"false\")", 0, false, &e));
    CU_ASSERT(e->pixels == m->pixels);
    expect_box(e, 5, 24, 5, 24);
    pipit__reg_mask_free(e);
    /* per resolution, and the fixed / moving overrides */
    ASSERT_OK(for_level(m, "(ErodeMask \"false\" \"true\")", 1, false, &e));
    expect_box(e, 7, 22, 8, 21);
    pipit__reg_mask_free(e);
    ASSERT_OK(for_level(m, "(ErodeMask \"true\")\n(ErodeFixedMask \"false\")",
                        0, false, &e));
    expect_box(e, 5, 24, 5, 24);
    pipit__reg_mask_free(e);
    ASSERT_OK(for_level(m, "(ErodeMask \"true\")\n(ErodeFixedMask \"false\")",
                        0, true, &e));
    CU_ASSERT(e->n_inside < m->n_inside);
    pipit__reg_mask_free(e);
    ASSERT_FAILS_WITH(for_level(m, "(ErodeMask \"yes\")", 0, false, &e),
                      PIPIT_EINVAL, "ErodeMask");
    CU_ASSERT_PTR_NULL(e);
    pipit__reg_mask_free(m);
    /* eroded to nothing: an error naming the key */
    size_t small[6] = { 10, 10, 0, 12, 12, 0 };
    m = make_mask(img, in_box, small);
    ASSERT_FAILS_WITH(for_level(m, "(ErodeMask \"true\")", 0, false, &e),
                      PIPIT_EINVAL, "ErodeMask value 'true'");
    CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), "covers no pixel"));
    CU_ASSERT_PTR_NULL(e);
    pipit__reg_mask_free(m);
    pipit_image_unref(img);
}

const test_case_t test_reg_samplers_cases[] = {
    { "full_every_voxel", test_full_every_voxel },
    { "full_mask", test_full_mask },
    { "full_mask_other_grid", test_full_mask_other_grid },
    { "grid_centred", test_grid_centred },
    { "grid_even_odd", test_grid_even_odd },
    { "grid_mask_crop", test_grid_mask_crop },
    { "grid_bad_spacing", test_grid_bad_spacing },
    { "random_seed", test_random_seed },
    { "random_mask", test_random_mask },
    { "random_errors", test_random_errors },
    { "mask_covers_nothing", test_mask_covers_nothing },
    { "random_coordinate", test_random_coordinate },
    { "random_coordinate_cubic_mask", test_random_coordinate_cubic_mask },
    { "random_coordinate_region", test_random_coordinate_region },
    { "threads", test_threads },
    { "no_realloc", test_no_realloc },
    { "erode_box", test_erode_box },
    { "erode_image_border", test_erode_image_border },
    { "erode_square_footprint", test_erode_square_footprint },
    { "mask_for_level", test_mask_for_level },
    { NULL, NULL },
};

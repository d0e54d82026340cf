/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pyramid: one level of elastix's multi-resolution image pyramids
 * (../shared/spec/elastix-compat.md 7.2). A node makes one level, chosen
 * by the `level` setting (0 the coarsest, levels - 1 the finest, as
 * elastix counts resolutions): a registration makes one node per level,
 * or changes `level` between levels. One output per level would not fit
 * the pipeline (at most four outputs, and pieces cut on output 0's grid).
 *
 * The schedule: levels x dim shrink factors, level r axis d at r·dim + d
 * (elastix ImagePyramidSchedule); empty, the default 2^(levels-1-r); a
 * schedule with a missing entry is replaced by the default with a
 * warning, as elastix does. For recursive and shrinking pyramids the
 * factors are clamped to >= 1 and non-increasing from level to level.
 *
 *   smoothing (Fixed/MovingSmoothingImagePyramid): the input's own grid,
 *     recursive Gaussian of sigma_d = 0.5 f_d spacing_d (physical), no
 *     smoothing along an axis of factor 0.
 *   recursive (RecursiveImagePyramid): from the finest level to the one
 *     asked, each from the one before with q = f_r / f_(r+1) (the finest
 *     from the input with q = f): a discrete Gaussian of variance
 *     (q/2)² voxels² (maximum error 0.1; variance 0 along axes with
 *     q = 1, as ITK; a level with every q = 1 is a plain copy), then
 *     every q-th voxel. Schedules that do not divide fall back to a
 *     discrete Gaussian of variance (f/2)² on the input and linear
 *     sampling at the level's voxel centres (ITK's fallback).
 *   shrinking (ShrinkingImagePyramid): every f-th voxel, no smoothing.
 *
 * A level of factor f has spacing S·f, size max(1, floor(n/f)), the same
 * direction, and an origin that puts its centre on the input's centre;
 * its voxel j takes the input voxel j·f + o, o the input index nearest to
 * its voxel 0 (round half up). (ITK 5.2 shifts the origin by
 * D·S·(f - 1)/2 instead, which differs for odd sizes.) Output: f32.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "smooth_impl.h"

#define MAX_LEVELS 32

enum { PYR_SMOOTHING, PYR_RECURSIVE, PYR_SHRINKING };
static const char *const pyramid_types[] = { "smoothing", "recursive",
                                             "shrinking", NULL };

typedef struct {
    pipit_node_t base;
    int type;
    int64_t levels, level;
    char *schedule;
    /* From information. */
    size_t f[MAX_LEVELS][3];
    size_t off[3]; /* shrinking: input index of output voxel 0 */
    /* From before. */
    pipit__iir_plan_t plan;   /* smoothing */
    pipit__volume_t result;   /* recursive: the level, whole */
    pipit__volume_t spare;    /* recursive: the other buffer of a pass */
} pyramid_t;

/* ---- schedule and geometry --------------------------------------------- */

static pipit_status_t
read_schedule(pyramid_t *p, unsigned dim)
{
    pipit_node_t *n = &p->base;
    const size_t levels = (size_t)p->levels;
    size_t want = levels * dim, got = 0;
    long long v[MAX_LEVELS * 3];
    const char *s = p->schedule != NULL ? p->schedule : "";
    while (*s != '\0') {
        char *end;
        while (*s == ' ' || *s == ',' || *s == '\t')
            s++;
        if (*s == '\0')
            break;
        long long x = strtoll(s, &end, 10);
        if (end == s || x < 0 ||
            (*end != '\0' && *end != ' ' && *end != ',' && *end != '\t'))
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "schedule '%s': factors must be whole "
                                     "numbers >= 0",
                                     p->schedule);
        if (got == MAX_LEVELS * 3 || got == want)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "schedule '%s': more than levels x dim "
                                     "= %zu factors",
                                     p->schedule, want);
        v[got++] = x;
        s = end;
    }
    if (got != want) {
        if (got != 0)
            pipit__log(PIPIT_LOG_WARNING,
                       "%s: schedule has %zu of %zu factors; using the "
                       "default",
                       n->klass->name, got, want);
        for (size_t r = 0; r < levels; r++)
            for (unsigned d = 0; d < dim; d++)
                v[r * dim + d] = 1ll << (levels - 1 - r);
    }
    for (size_t r = 0; r < levels; r++)
        for (unsigned d = 0; d < 3; d++) {
            long long x = d < dim ? v[r * dim + d] : 1;
            if (p->type != PYR_SMOOTHING) {
                if (x < 1)
                    x = 1;
                if (r > 0 && (size_t)x > p->f[r - 1][d])
                    x = (long long)p->f[r - 1][d];
            }
            if (x > 1000000)
                return pipit__node_error(n, PIPIT_EINVAL,
                                         "schedule factor %lld is too large",
                                         x);
            p->f[r][d] = (size_t)x;
        }
    return PIPIT_OK;
}

/* Size and nearest-voxel offset of a level of factor f along an axis of
 * n voxels; *frac the exact (centre-preserving) offset. */
static void
shrunk(size_t n, size_t f, size_t *size, size_t *off, double *frac)
{
    size_t m = n / f;
    if (m < 1)
        m = 1;
    /* (n - 1 - f (m - 1)) / 2, which can be negative when m was raised
     * to 1; rounded half up. */
    ptrdiff_t twice = (ptrdiff_t)(n - 1) - (ptrdiff_t)(f * (m - 1));
    *size = m;
    *frac = 0.5 * (double)twice;
    ptrdiff_t o = twice >= 0 ? (twice + 1) / 2 : -((-twice) / 2);
    *off = o < 0 ? 0 : (size_t)o;
}

static pipit_status_t
set_level_grid(pipit_image_t *out, const pipit_image_t *in, const size_t *f)
{
    const unsigned dim = in->dim;
    size_t size[3], off[3];
    double frac[3], spacing[3], origin[3];
    for (unsigned d = 0; d < dim; d++) {
        shrunk(in->size[d], f[d], &size[d], &off[d], &frac[d]);
        spacing[d] = in->spacing[d] * (double)f[d];
    }
    /* The point of continuous input index frac. */
    pipit_image_index_to_point(in, frac, origin);
    pipit_status_t st =
        pipit__image_set_shape(out, dim, size, PIPIT_F32, 1);
    if (st == PIPIT_OK)
        st = pipit_image_copy_geometry(out, in);
    if (st == PIPIT_OK)
        st = pipit_image_set_spacing(out, spacing);
    if (st == PIPIT_OK)
        st = pipit_image_set_origin(out, origin);
    return st;
}

static pipit_status_t
pyramid_information(pipit_node_t *n)
{
    pyramid_t *p = (pyramid_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    if (p->level >= p->levels)
        return pipit__node_error(n, PIPIT_EINVAL,
                                 "level %lld: the pyramid has %lld levels "
                                 "(0 the coarsest)",
                                 (long long)p->level, (long long)p->levels);
    if ((st = read_schedule(p, in->dim)) != PIPIT_OK)
        return st;
    const size_t *f = p->f[p->level];
    if (p->type == PYR_SMOOTHING)
        return pipit__information_as(n, PIPIT_F32, 1);
    for (unsigned d = 0; d < 3; d++) {
        size_t size;
        double frac;
        shrunk(in->size[d], f[d], &size, &p->off[d], &frac);
    }
    return set_level_grid(pipit__output(n, 0), in, f);
}

static pipit_status_t
pyramid_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
                pipit_region_t *needed)
{
    const pyramid_t *p = (const pyramid_t *)n;
    const pipit_image_t *in = pipit__input(n, input);
    pipit_region_t whole = pipit_image_largest_region(in);
    *needed = whole;
    if (p->type != PYR_SHRINKING || pipit_region_is_empty(asked))
        return PIPIT_OK;
    const size_t *f = p->f[p->level];
    for (unsigned d = 0; d < in->dim; d++) {
        needed->lo[d] = asked->lo[d] * f[d] + p->off[d];
        needed->hi[d] = (asked->hi[d] - 1) * f[d] + p->off[d] + 1;
    }
    return PIPIT_OK;
}

/* ---- the recursive pyramid's passes ------------------------------------ */

/* One axis of a level step: dst[j] from src around j·q + off, through a
 * symmetric FIR (taps, radius) or, when linear, by linear interpolation
 * at j·q + frac; indices clamped (zero-flux Neumann). */
typedef struct {
    const pipit__volume_t *src;
    pipit__volume_t *dst;
    unsigned axis;
    const double *taps;
    size_t radius, q, off;
    bool linear;
    double frac;
} step_t;

static size_t
clampz(ptrdiff_t i, size_t n)
{
    return i < 0 ? 0 : (size_t)i >= n ? n - 1 : (size_t)i;
}

static const float *
src_row(const pipit__volume_t *v, size_t y, size_t z)
{
    return v->data + (z * v->size[1] + y) * v->size[0];
}

static void
step_row(const step_t *s, size_t y, size_t z, float *out)
{
    const pipit__volume_t *v = s->src;
    const size_t nx = s->dst->size[0];
    if (s->axis == 0) {
        const float *row = src_row(v, y, z);
        for (size_t j = 0; j < nx; j++) {
            double acc;
            if (s->linear) {
                double c = (double)(j * s->q) + s->frac, f = floor(c);
                size_t i0 = clampz((ptrdiff_t)f, v->size[0]);
                size_t i1 = clampz((ptrdiff_t)f + 1, v->size[0]);
                acc = row[i0] + (c - f) * ((double)row[i1] - row[i0]);
            } else {
                ptrdiff_t c = (ptrdiff_t)(j * s->q + s->off);
                const ptrdiff_t r = (ptrdiff_t)s->radius;
                acc = s->taps[r] * row[clampz(c, v->size[0])];
                if (c >= r && c + r < (ptrdiff_t)v->size[0])
                    for (ptrdiff_t k = 1; k <= r; k++)
                        acc += s->taps[r + k] *
                               ((double)row[c - k] + row[c + k]);
                else
                    for (ptrdiff_t k = 1; k <= r; k++)
                        acc += s->taps[r + k] *
                               ((double)row[clampz(c - k, v->size[0])] +
                                row[clampz(c + k, v->size[0])]);
            }
            out[j] = (float)acc;
        }
        return;
    }
    /* Along y or z: whole rows, weighted. */
    size_t j = s->axis == 1 ? y : z, n = v->size[s->axis];
    const float *r0, *r1;
#define ROW(i) (s->axis == 1 ? src_row(v, (i), z) : src_row(v, y, (i)))
    if (s->linear) {
        double c = (double)(j * s->q) + s->frac, f = floor(c), t = c - f;
        r0 = ROW(clampz((ptrdiff_t)f, n));
        r1 = ROW(clampz((ptrdiff_t)f + 1, n));
        for (size_t x = 0; x < nx; x++)
            out[x] = (float)(r0[x] + t * ((double)r1[x] - r0[x]));
        return;
    }
    ptrdiff_t c = (ptrdiff_t)(j * s->q + s->off);
    r0 = ROW(clampz(c, n));
    double k0 = s->taps[s->radius];
    for (size_t x = 0; x < nx; x++)
        out[x] = (float)(k0 * r0[x]);
    for (size_t k = 1; k <= s->radius; k++) {
        double w = s->taps[s->radius + k];
        r0 = ROW(clampz(c - (ptrdiff_t)k, n));
        r1 = ROW(clampz(c + (ptrdiff_t)k, n));
        for (size_t x = 0; x < nx; x++)
            out[x] = (float)(out[x] + w * ((double)r0[x] + r1[x]));
    }
#undef ROW
}

static pipit_status_t
step_rows(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const step_t *s = ctx;
    const pipit__volume_t *d = s->dst;
    (void)worker, (void)acc;
    for (size_t i = lo; i < hi; i++)
        step_row(s, i % d->size[1], i / d->size[1],
                 d->data + i * d->size[0]);
    return PIPIT_OK;
}

/* One axis pass of src into a new *dst of `size` voxels along axis. */
static pipit_status_t
run_step(step_t *s, pipit__volume_t *dst, size_t size)
{
    pipit_region_t r = { { 0 }, { 1, 1, 1, 1 } };
    for (unsigned d = 0; d < 3; d++)
        r.hi[d] = d == s->axis ? size : s->src->size[d];
    pipit_status_t st = pipit__volume_alloc(dst, &r);
    if (st != PIPIT_OK)
        return st;
    s->dst = dst;
    return pipit_parallel_for(dst->size[1] * dst->size[2], 0, step_rows, s);
}

static void
swap(pipit__volume_t *a, pipit__volume_t *b)
{
    pipit__volume_t t = *a;
    *a = *b, *b = t;
}

/*
 * Replaces *cur by its level of factors q (per axis): blurred with
 * variance var[d] (voxels²; 0: none) and sampled every q-th voxel from
 * the nearest one to the centre-aligned position, or, when linear, at
 * that exact position by linear interpolation. *spare is the other
 * buffer of each pass (both keep their memory for the next update).
 */
static pipit_status_t
level_step(pipit__volume_t *cur, pipit__volume_t *spare, const size_t *q,
           const double *var, bool linear)
{
    pipit_status_t st = PIPIT_OK;
    for (unsigned a = 3; a-- > 0 && st == PIPIT_OK;) {
        double *taps = NULL;
        size_t radius = 0, size, off;
        double frac;
        if ((st = pipit__gaussian_kernel(var[a], 0.1, 32, &taps,
                                         &radius)) != PIPIT_OK)
            break;
        shrunk(cur->size[a], q[a], &size, &off, &frac);
        step_t s = { .src = cur, .axis = a, .taps = taps, .radius = radius,
                     .q = q[a], .off = off };
        if (linear) {
            /* Blur at full resolution, then sample. */
            s.q = 1, s.off = 0;
            if (radius > 0 &&
                (st = run_step(&s, spare, cur->size[a])) == PIPIT_OK)
                swap(cur, spare);
            step_t t = { .src = cur, .axis = a, .q = q[a], .linear = true,
                         .frac = frac };
            if (st == PIPIT_OK && (st = run_step(&t, spare, size)) ==
                                      PIPIT_OK)
                swap(cur, spare);
        } else if (radius > 0 || q[a] > 1) {
            if ((st = run_step(&s, spare, size)) == PIPIT_OK)
                swap(cur, spare);
        }
        pipit__free(taps);
    }
    return st;
}

static pipit_status_t
recursive_level(pyramid_t *p, const pipit_image_t *in)
{
    const size_t levels = (size_t)p->levels, target = (size_t)p->level;
    pipit_status_t st =
        pipit__volume_load(&p->result, in, &p->base.input_region[0]);
    if (st != PIPIT_OK)
        return st;
    bool divisible = true;
    for (size_t r = target; r + 1 < levels; r++)
        for (unsigned d = 0; d < 3; d++)
            divisible = divisible && p->f[r][d] % p->f[r + 1][d] == 0;
    if (!divisible) {
        double var[3];
        for (unsigned d = 0; d < 3; d++) {
            double h = 0.5 * (double)p->f[target][d];
            var[d] = d < in->dim ? h * h : 0.0;
        }
        return level_step(&p->result, &p->spare, p->f[target], var, true);
    }
    for (size_t r = levels; r-- > target && st == PIPIT_OK;) {
        size_t q[3];
        double var[3];
        for (unsigned d = 0; d < 3; d++) {
            q[d] = r + 1 == levels ? p->f[r][d] : p->f[r][d] / p->f[r + 1][d];
            double h = 0.5 * (double)q[d];
            var[d] = q[d] > 1 ? h * h : 0.0;
        }
        st = level_step(&p->result, &p->spare, q, var, false);
    }
    return st;
}

/* ---- hooks ------------------------------------------------------------- */

/* The working volumes stay for the next update (see pipit__volume_t). */
static void
release(pyramid_t *p)
{
    pipit__iir_plan_release(&p->plan);
}

static pipit_status_t
pyramid_before(pipit_node_t *n)
{
    pyramid_t *p = (pyramid_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    release(p);
    if (pipit_region_is_empty(&n->requested[0]))
        return PIPIT_OK;
    if (p->type == PYR_SMOOTHING) {
        const size_t *f = p->f[p->level];
        for (unsigned d = 0; d < 3; d++) {
            if (d < in->dim && f[d] > 0)
                pipit__iir_coefficients(0.5 * (double)f[d] * in->spacing[d],
                                        in->spacing[d], 0, false,
                                        &p->plan.axis[d]);
            else
                pipit__iir_identity(&p->plan.axis[d]);
        }
        return pipit__iir_plan_run(&p->plan, n);
    }
    if (p->type == PYR_RECURSIVE)
        return recursive_level(p, in);
    return PIPIT_OK;
}

static pipit_status_t
pyramid_threaded(pipit_node_t *n, const pipit_piece_t *piece)
{
    const pyramid_t *p = (const pyramid_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *g = &piece->region;
    if (p->type == PYR_SMOOTHING)
        return pipit__iir_plan_piece(&p->plan, n, piece, NULL);
    const size_t *f = p->f[p->level];
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            float *dst = (float *)(void *)pipit__at(out, g->lo[0], y, z,
                                                    g->lo[3]);
            if (p->type == PYR_RECURSIVE) {
                memcpy(dst, src_row(&p->result, y, z) + g->lo[0],
                       (g->hi[0] - g->lo[0]) * sizeof(float));
                continue;
            }
            size_t sy = y * f[1] + p->off[1], sz = z * f[2] + p->off[2];
            for (size_t x = g->lo[0]; x < g->hi[0]; x++)
                pipit__row_load_f32(pipit__at(in, x * f[0] + p->off[0], sy,
                                              sz, g->lo[3]),
                                    in->type, 1, &dst[x - g->lo[0]]);
        }
    return PIPIT_OK;
}

static pipit_status_t
pyramid_after(pipit_node_t *n)
{
    release((pyramid_t *)n);
    return PIPIT_OK;
}

static void
pyramid_finalize(pipit_node_t *n)
{
    pyramid_t *p = (pyramid_t *)n;
    release(p);
    pipit__iir_plan_free(&p->plan);
    pipit__volume_free(&p->result);
    pipit__volume_free(&p->spare);
}

static const pipit_setting_t pyramid_settings[] = {
    { "type", PIPIT_SETTING_CHOICE, offsetof(pyramid_t, type), "smoothing",
      "smoothing, recursive or shrinking (elastix's pyramids)", 1, 0,
      pyramid_types },
    { "levels", PIPIT_SETTING_INT, offsetof(pyramid_t, levels), "3",
      "number of levels (elastix NumberOfResolutions)", 1, MAX_LEVELS,
      NULL },
    { "level", PIPIT_SETTING_INT, offsetof(pyramid_t, level), "0",
      "the level made: 0 the coarsest .. levels-1 the finest", 0,
      MAX_LEVELS - 1, NULL },
    { "schedule", PIPIT_SETTING_STRING, offsetof(pyramid_t, schedule), "",
      "levels x dim shrink factors, level-major (elastix "
      "ImagePyramidSchedule); empty: 2^(levels-1-level)",
      1, 0, NULL },
};

const pipit_node_class_t pipit__pyramid_class = {
    .name = "pyramid",
    .help = "one level of an elastix multi-resolution pyramid (smoothing, "
            "recursive, shrinking)",
    .size = sizeof(pyramid_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = pyramid_settings,
    .n_settings = sizeof pyramid_settings / sizeof pyramid_settings[0],
    .information = pyramid_information,
    .request = pyramid_request,
    .before = pyramid_before,
    .threaded = pyramid_threaded,
    .after = pyramid_after,
    .finalize = pyramid_finalize,
};

pipit_node_t *
pipit_pyramid_new(const char *type, unsigned levels, unsigned level)
{
    pipit_node_t *n = pipit_node_new(&pipit__pyramid_class);
    if (n != NULL &&
        ((type != NULL && pipit_node_set(n, "type", type) != PIPIT_OK) ||
         pipit_node_set_int(n, "levels", levels) != PIPIT_OK ||
         pipit_node_set_int(n, "level", level) != PIPIT_OK)) {
        pipit_node_unref(n);
        n = NULL;
    }
    return n;
}

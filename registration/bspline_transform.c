/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BSplineTransform and RecursiveBSplineTransform (spec §7.8.4): one
 * control-point grid per resolution laid over the full-resolution fixed
 * image, all coefficients 0 at level 0, the previous level's field carried
 * onto the next level's grid, scales 1 but 10000 on PassiveEdgeWidth
 * outer layers (§7.8.2). Recursive differs in elastix only by how fast it
 * evaluates (identical values), so both names share this code.
 *
 * The grid of level r on axis d, with the image's size n, spacing S and
 * the frame of its direction M (coordinates q = M⁻¹ x):
 *     h = φ · factor(r),  g = ceil(n S / h) + p,
 *     first control point (frame) = o - ((g - 1) h - (n - 1) S) / 2,
 * where o is the image origin in the frame: centred on the image.
 *
 * With UseCyclicTransform "true" (elastix's CyclicGridScheduleComputer)
 * the last axis is time over one period P = n S instead: g = floor(P / h)
 * control points, no extra ones, spaced P / g so that they tile the
 * period exactly (the spacing grows to fit), the first centred by the
 * same formula (at o + (P/g - S) / 2, the middle of the first of g equal
 * cells of the image's extent). elastix computes P and P / g in single
 * precision, and so does this, so that the grids are the same numbers.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pipit/image.h>

#include "bspline_impl.h"
#include "error_impl.h"
#include "linalg_impl.h"
#include "reg_impl.h"

/* Scale of a passive control point (squared, as every Scales value). */
#define PASSIVE_SCALE 10000.0

/* The fixed image as the grids see it: size, spacing and origin in the
 * frame of its direction, after the initial transform's box (§7.8.4). */
typedef struct frame {
    unsigned dim, order;
    size_t n[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM]; /* S, stretched by the box */
    double origin[PIPIT_MAX_DIM];  /* o = M⁻¹ O, or the box's least corner */
    double phi[PIPIT_MAX_DIM];     /* final grid spacing, stretched alike */
    double extent[PIPIT_MAX_DIM];  /* n S / φ before any stretch */
    double direction[PIPIT_MAX_DIM * PIPIT_MAX_DIM]; /* M, row-major */
    bool cyclic;                   /* UseCyclicTransform */
} frame_t;

/* BSplineTransformSplineOrder and UseCyclicTransform. */
static pipit_status_t
read_order(const reg_map_t *m, unsigned *order, bool *cyclic)
{
    int64_t v;
    pipit_status_t st = pipit__reg_get_int_in(
        m, "BSplineTransformSplineOrder", 0, 3, 1, 3, &v);
    if (st != PIPIT_OK)
        return st;
    *order = (unsigned)v;
    return pipit__reg_get_bool(m, "UseCyclicTransform", 0, false, cyclic);
}

/* The grid of a B-spline transform, cyclic or not; NULL for others. */
static const pipit_bspline_grid_t *
any_grid(const pipit_transform_t *t)
{
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(t);
    return g != NULL ? g : pipit_bspline_transform_cyclic_grid(t);
}

static pipit_transform_t *
new_bspline(const frame_t *F, const pipit_bspline_grid_t *g)
{
    return F->cyclic ? pipit_bspline_transform_new_cyclic(F->dim, F->order, g)
                     : pipit_bspline_transform_new(F->dim, F->order, g);
}

/* φ: FinalGridSpacingInPhysicalUnits, or FinalGridSpacingInVoxels times
 * the fixed spacing (16 voxels when that key is there without a value for
 * an axis), or 8 physical units when neither is given. */
static pipit_status_t
read_final_spacing(const reg_map_t *m, const double *spacing, double *phi)
{
    static const char phys[] = "FinalGridSpacingInPhysicalUnits";
    static const char vox[] = "FinalGridSpacingInVoxels";
    bool in_units = pipit__reg_count(m, phys) > 0;
    bool in_voxels = pipit__reg_count(m, vox) > 0;
    if (in_units && in_voxels)
        return pipit__reg_key_error(
            m, vox, 0, PIPIT_EINVAL,
            "FinalGridSpacingInPhysicalUnits is also given; give one of "
            "FinalGridSpacingInPhysicalUnits and FinalGridSpacingInVoxels");
    for (unsigned d = 0; d < m->dim; d++) {
        pipit_status_t st;
        const char *key = in_voxels ? vox : phys;
        if (in_voxels) {
            double v;
            st = pipit__reg_get_double(m, vox, d, 16.0, &v);
            phi[d] = v * spacing[d];
        } else {
            st = pipit__reg_get_double(m, phys, d, 8.0, &phi[d]);
        }
        if (st != PIPIT_OK)
            return st;
        if (!(phi[d] > 0.0) || !isfinite(phi[d]))
            return pipit__reg_key_error(m, key, d, PIPIT_EINVAL,
                                        "the grid spacing must be positive");
    }
    return PIPIT_OK;
}

/* GridSpacingSchedule's factor for level r, axis d: R values (one per
 * level), R·D values (r·D + d), or 2^(R-1-r) when absent. */
static pipit_status_t
schedule_factor(const reg_map_t *m, unsigned r, unsigned d, double *f)
{
    static const char key[] = "GridSpacingSchedule";
    unsigned R = m->n_levels > 0 ? m->n_levels : 1;
    size_t count = pipit__reg_count(m, key), k;
    if (count == 0) {
        *f = ldexp(1.0, (int)(R - 1 - r));
        return PIPIT_OK;
    }
    if (count == R) {
        k = r;
    } else if (count == (size_t)R * m->dim) {
        k = (size_t)r * m->dim + d;
    } else {
        char why[128];
        snprintf(why, sizeof why,
                 "%zu values; give one per resolution (%u) or one per "
                 "resolution and axis (%u)",
                 count, R, R * m->dim);
        return pipit__reg_key_error(m, key, 0, PIPIT_EINVAL, why);
    }
    pipit_status_t st = pipit__reg_get_double(m, key, k, 1.0, f);
    if (st == PIPIT_OK && (!(*f > 0.0) || !isfinite(*f)))
        st = pipit__reg_key_error(m, key, k, PIPIT_EINVAL,
                                  "a grid spacing factor must be positive");
    return st;
}

/* The box, in the frame, of the fixed image's boundary voxels mapped by
 * the initial transform. The walk visits every voxel of a face (an
 * initial B-spline bends the faces) but jumps over the inside. */
static void
mapped_box(const pipit_image_t *img, const pipit_transform_t *init,
           const double *inv_dir, double *lo, double *hi)
{
    unsigned D = pipit_image_dim(img);
    const size_t *n = pipit_image_size(img);
    size_t i[PIPIT_MAX_DIM] = { 0 };
    for (unsigned d = 0; d < D; d++)
        lo[d] = INFINITY, hi[d] = -INFINITY;
    for (;;) {
        double c[PIPIT_MAX_DIM], x[PIPIT_MAX_DIM], y[PIPIT_MAX_DIM],
            q[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < D; d++)
            c[d] = (double)i[d];
        pipit_image_index_to_point(img, c, x);
        pipit_transform_point(init, x, y);
        pipit__mat_vec(D, inv_dir, y, q);
        for (unsigned d = 0; d < D; d++) {
            lo[d] = fmin(lo[d], q[d]);
            hi[d] = fmax(hi[d], q[d]);
        }
        /* Next voxel, x fastest; along x, jump from the first voxel to
         * the last unless another axis is on its face. */
        bool face = false;
        for (unsigned d = 1; d < D; d++)
            face |= i[d] == 0 || i[d] + 1 == n[d];
        if (!face && i[0] == 0 && n[0] > 1)
            i[0] = n[0] - 1;
        else
            i[0]++;
        unsigned a = 0;
        while (a < D && i[a] >= n[a]) {
            i[a] = 0;
            if (++a < D)
                i[a]++;
        }
        if (a == D)
            break;
    }
}

static pipit_status_t
make_frame(const reg_transform_setup_t *s, frame_t *F)
{
    const reg_map_t *m = s->map;
    unsigned D = m->dim;
    pipit_status_t st;
    memset(F, 0, sizeof *F);
    F->dim = D;
    if ((st = read_order(m, &F->order, &F->cyclic)) != PIPIT_OK)
        return st;
    const size_t *n = pipit_image_size(s->fixed);
    const double *S = pipit_image_spacing(s->fixed);
    const double *O = pipit_image_origin(s->fixed);
    const double *M = pipit_image_direction(s->fixed);
    memcpy(F->direction, M, (size_t)D * D * sizeof *M);
    double inv[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    if (!pipit__mat_inverse(D, M, inv))
        return pipit__error(PIPIT_EINVAL,
                            "BSplineTransform: the fixed image's direction "
                            "is singular");
    if ((st = read_final_spacing(m, S, F->phi)) != PIPIT_OK)
        return st;
    pipit__mat_vec(D, inv, O, F->origin);
    for (unsigned d = 0; d < D; d++) {
        F->n[d] = n[d];
        F->spacing[d] = S[d];
        F->extent[d] = (double)n[d] * S[d] / F->phi[d];
    }
    if (s->initial != NULL && s->how == PIPIT_COMBINE_COMPOSE) {
        double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];
        mapped_box(s->fixed, s->initial, inv, lo, hi);
        for (unsigned d = 0; d < D; d++) {
            if (!isfinite(lo[d]) || !isfinite(hi[d]))
                return pipit__error(PIPIT_EINVAL,
                                    "BSplineTransform: the initial "
                                    "transform maps the fixed image to "
                                    "non-finite points");
            double L = S[d] * (double)(n[d] - 1), Lb = hi[d] - lo[d];
            if (L > 0.0 && Lb > 0.0) {
                F->spacing[d] *= Lb / L;
                F->phi[d] *= Lb / L;
            }
            F->origin[d] = lo[d];
        }
    }
    return PIPIT_OK;
}

/* The grid of level r over the frame. */
static pipit_status_t
level_grid(const reg_map_t *m, const frame_t *F, unsigned r,
           pipit_bspline_grid_t *g)
{
    unsigned D = F->dim;
    double first[PIPIT_MAX_DIM];
    pipit_bspline_grid_init(g, D);
    for (unsigned d = 0; d < D; d++) {
        double f;
        pipit_status_t st = schedule_factor(m, r, d, &f);
        if (st != PIPIT_OK)
            return st;
        double h = F->phi[d] * f;
        if (F->cyclic && d + 1 == D) {
            /* elastix's float arithmetic, on purpose (see the top). */
            float period = (float)(F->spacing[d] * (double)F->n[d]);
            double cells = floor((double)period / h);
            if (!(cells >= F->order + 1) || !(cells < 1e9)) {
                char why[192];
                snprintf(why, sizeof why,
                         "UseCyclicTransform \"true\": level %u's grid "
                         "spacing %g leaves %.0f control points over the "
                         "last axis's period %g; it needs %u to %g",
                         r, h, cells, (double)period, F->order + 1, 1e9);
                return pipit__reg_key_error(m, "GridSpacingSchedule", r,
                                            PIPIT_EINVAL, why);
            }
            g->size[d] = (size_t)cells;
            g->spacing[d] = (double)(period / (float)cells);
            h = g->spacing[d];
        } else {
            /* n S / h from the unstretched values, where it is often an
             * exact integer that the stretch would round away from. */
            double cells = ceil(F->extent[d] / f);
            if (!(cells < 1e9))
                return pipit__reg_key_error(m, "GridSpacingSchedule", r,
                                            PIPIT_ERANGE,
                                            "the grid spacing is too small "
                                            "for the image");
            g->size[d] = (size_t)cells + F->order;
            g->spacing[d] = h;
        }
        first[d] = F->origin[d] -
                   ((double)(g->size[d] - 1) * h -
                    (double)(F->n[d] - 1) * F->spacing[d]) /
                       2.0;
    }
    size_t np = 1, bytes;
    for (unsigned d = 0; d < D; d++)
        if (pipit__mul_overflows(np, g->size[d], &np))
            np = SIZE_MAX;
    if (np == SIZE_MAX ||
        pipit__mul_overflows(np, (size_t)D * sizeof(double), &bytes))
        return pipit__reg_key_error(m, "GridSpacingSchedule", r,
                                    PIPIT_ERANGE,
                                    "the control-point grid is too large");
    pipit__mat_vec(D, F->direction, first, g->origin);
    memcpy(g->direction, F->direction, (size_t)D * D * sizeof(double));
    return PIPIT_OK;
}

/* Scales of level r: 1, and PASSIVE_SCALE on every component of the
 * control points within PassiveEdgeWidth layers of the grid's faces. */
static pipit_status_t
level_scales(const reg_map_t *m, unsigned r, const pipit_bspline_grid_t *g,
             unsigned D, double **out)
{
    int64_t w;
    pipit_status_t st = pipit__reg_get_int_in(m, "PassiveEdgeWidth", r, 0, 0,
                                              1 << 20, &w);
    if (st != PIPIT_OK)
        return st;
    size_t np = 1;
    for (unsigned d = 0; d < D; d++)
        np *= g->size[d];
    double *sc = pipit__malloc(np * D * sizeof *sc);
    if (sc == NULL)
        return PIPIT_ENOMEM;
    size_t k[PIPIT_MAX_DIM] = { 0 };
    for (size_t i = 0; i < np; i++) {
        bool edge = false;
        for (unsigned d = 0; d < D; d++)
            edge |= k[d] < (size_t)w || k[d] + (size_t)w >= g->size[d];
        for (unsigned e = 0; e < D; e++)
            sc[e * np + i] = edge ? PASSIVE_SCALE : 1.0;
        for (unsigned d = 0; d < D && ++k[d] == g->size[d]; d++)
            k[d] = 0;
    }
    *out = sc;
    return PIPIT_OK;
}

static pipit_status_t
create(const reg_transform_setup_t *s, pipit_transform_t **out,
       double **scales)
{
    frame_t F;
    pipit_bspline_grid_t g;
    pipit_status_t st;
    double *sc = NULL;
    if ((st = make_frame(s, &F)) != PIPIT_OK ||
        (st = level_grid(s->map, &F, 0, &g)) != PIPIT_OK ||
        (st = level_scales(s->map, 0, &g, F.dim, &sc)) != PIPIT_OK)
        return st;
    pipit_transform_t *t = new_bspline(&F, &g);
    if (t == NULL) {
        pipit__free(sc);
        return PIPIT_ENOMEM; /* the grid was checked */
    }
    *out = t;
    *scales = sc;
    return PIPIT_OK;
}

static bool
same_grid(const pipit_bspline_grid_t *a, const pipit_bspline_grid_t *b,
          unsigned D)
{
    for (unsigned d = 0; d < D; d++)
        if (a->size[d] != b->size[d] || a->index[d] != b->index[d] ||
            a->spacing[d] != b->spacing[d] || a->origin[d] != b->origin[d])
            return false;
    for (unsigned k = 0; k < D * D; k++)
        if (a->direction[k] != b->direction[k])
            return false;
    return true;
}

/* The spline of `old` (its coefficients, order p, mirrored at the grid's
 * faces as a B-spline interpolator reads an image) at the physical point
 * x; 0 outside the grid's buffer, [-1/2, size - 1/2) on every axis. */
static void
old_field(const pipit_transform_t *old, const double *to_grid,
          const double *x, double *v)
{
    unsigned D = pipit_transform_dim(old), p =
                                               pipit_bspline_transform_order(
                                                   old);
    const pipit_bspline_grid_t *g = any_grid(old);
    const double *c = pipit_transform_parameters(old);
    double dx[PIPIT_MAX_DIM], u[PIPIT_MAX_DIM];
    double w[PIPIT_MAX_DIM][PIPIT__BSPLINE_MAX_ORDER + 1];
    ptrdiff_t start[PIPIT_MAX_DIM];
    size_t np = 1, stride[PIPIT_MAX_DIM];
    for (unsigned d = 0; d < D; d++) {
        dx[d] = x[d] - g->origin[d];
        stride[d] = np;
        np *= g->size[d];
    }
    pipit__mat_vec(D, to_grid, dx, u);
    for (unsigned e = 0; e < D; e++)
        v[e] = 0.0;
    for (unsigned d = 0; d < D; d++) {
        u[d] -= (double)g->index[d];
        if (!(u[d] >= -0.5 && u[d] < (double)g->size[d] - 0.5))
            return;
        double t;
        start[d] = pipit__bspline_start(p, u[d], &t);
        pipit__bspline_weights(p, t, w[d], NULL);
    }
    unsigned j[PIPIT_MAX_DIM] = { 0 };
    size_t q = p + 1, count = 1;
    for (unsigned d = 0; d < D; d++)
        count *= q;
    for (size_t k = 0; k < count; k++) {
        size_t idx = 0;
        double wk = 1.0;
        for (unsigned d = 0; d < D; d++) {
            ptrdiff_t kk = pipit__bspline_mirror(start[d] + (ptrdiff_t)j[d],
                                                 (ptrdiff_t)g->size[d]);
            idx += (size_t)kk * stride[d];
            wk *= w[d][j[d]];
        }
        for (unsigned e = 0; e < D; e++)
            v[e] += wk * c[e * np + idx];
        for (unsigned d = 0; d < D && ++j[d] == q; d++)
            j[d] = 0;
    }
}

pipit_status_t
pipit__reg_bspline_refine(const pipit_transform_t *old,
                          const pipit_bspline_grid_t *grid,
                          pipit_transform_t **out)
{
    unsigned D = pipit_transform_dim(old);
    unsigned p = pipit_bspline_transform_order(old);
    const pipit_bspline_grid_t *og = any_grid(old);
    if (og == NULL)
        return pipit__error(PIPIT_EINVAL, "not a B-spline transform");
    bool cyclic = pipit_bspline_transform_cyclic_grid(old) != NULL;
    double inv[PIPIT_MAX_DIM * PIPIT_MAX_DIM], to_grid[PIPIT_MAX_DIM *
                                                        PIPIT_MAX_DIM];
    if (!pipit__mat_inverse(D, og->direction, inv))
        return pipit__error(PIPIT_EINVAL,
                            "BSplineTransform: GridDirection is singular");
    for (unsigned r = 0; r < D; r++)
        for (unsigned c = 0; c < D; c++)
            to_grid[r * D + c] = inv[r * D + c] / og->spacing[r];
    /* A cyclic grid is carried over as elastix does it too: the old
     * coefficients read as a plain image (mirrored at its ends), not
     * wrapped; the field this changes is near the period's ends only. */
    pipit_transform_t *t = cyclic ? pipit_bspline_transform_new_cyclic(D, p, grid)
                                  : pipit_bspline_transform_new(D, p, grid);
    if (t == NULL)
        return PIPIT_ENOMEM; /* the grid was checked */
    size_t np = 1;
    for (unsigned d = 0; d < D; d++)
        np *= grid->size[d];
    double *c = pipit__malloc(np * D * sizeof *c);
    if (c == NULL) {
        pipit_transform_unref(t);
        return PIPIT_ENOMEM;
    }
    /* The old field at the new control points, per component... */
    size_t k[PIPIT_MAX_DIM] = { 0 };
    for (size_t i = 0; i < np; i++) {
        double a[PIPIT_MAX_DIM], x[PIPIT_MAX_DIM], v[PIPIT_MAX_DIM];
        for (unsigned d = 0; d < D; d++)
            a[d] = ((double)grid->index[d] + (double)k[d]) *
                   grid->spacing[d];
        pipit__mat_vec(D, grid->direction, a, x);
        for (unsigned d = 0; d < D; d++)
            x[d] += grid->origin[d];
        old_field(old, to_grid, x, v);
        for (unsigned e = 0; e < D; e++)
            c[e * np + i] = v[e];
        for (unsigned d = 0; d < D && ++k[d] == grid->size[d]; d++)
            k[d] = 0;
    }
    /* ... then the coefficients that interpolate them. */
    pipit_status_t st = PIPIT_OK;
    for (unsigned e = 0; e < D && st == PIPIT_OK; e++)
        st = pipit__bspline_prefilter_f64(c + e * np, D, grid->size, p);
    if (st == PIPIT_OK)
        st = pipit_transform_set_parameters(t, c, np * D);
    pipit__free(c);
    if (st != PIPIT_OK) {
        pipit_transform_unref(t);
        return st;
    }
    *out = t;
    return PIPIT_OK;
}

static pipit_status_t
next_level(const reg_transform_setup_t *s, unsigned level,
           pipit_transform_t **t, double **scales)
{
    frame_t F;
    pipit_bspline_grid_t g;
    pipit_status_t st;
    int64_t w_prev, w;
    if ((st = make_frame(s, &F)) != PIPIT_OK ||
        (st = level_grid(s->map, &F, level, &g)) != PIPIT_OK ||
        (st = pipit__reg_get_int_in(s->map, "PassiveEdgeWidth", level - 1,
                                    0, 0, 1 << 20, &w_prev)) != PIPIT_OK ||
        (st = pipit__reg_get_int_in(s->map, "PassiveEdgeWidth", level, 0, 0,
                                    1 << 20, &w)) != PIPIT_OK)
        return st;
    const pipit_bspline_grid_t *old = any_grid(*t);
    if (old == NULL)
        return pipit__error(PIPIT_EINVAL,
                            "BSplineTransform: the previous level's "
                            "transform is a %s",
                            pipit_transform_name(*t));
    bool same = same_grid(old, &g, F.dim);
    if (same && w == w_prev)
        return PIPIT_OK; /* the node keeps transform and scales */
    pipit_transform_t *nt = NULL;
    if (same) {
        /* Only the scales change: the same transform, a new object. */
        nt = new_bspline(&F, &g);
        if (nt == NULL)
            return PIPIT_ENOMEM; /* the grid was checked */
        st = pipit_transform_set_parameters(nt, pipit_transform_parameters(*t),
                                            pipit_transform_n_parameters(*t));
    } else {
        st = pipit__reg_bspline_refine(*t, &g, &nt);
    }
    double *sc = NULL;
    if (st == PIPIT_OK)
        st = level_scales(s->map, level, &g, F.dim, &sc);
    if (st != PIPIT_OK) {
        pipit_transform_unref(nt);
        return st;
    }
    pipit_transform_unref(*t);
    *t = nt;
    *scales = sc;
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_bspline_level_grid(const reg_transform_setup_t *s, unsigned level,
                              pipit_bspline_grid_t *grid)
{
    frame_t F;
    pipit_status_t st = make_frame(s, &F);
    if (st == PIPIT_OK)
        st = level_grid(s->map, &F, level, grid);
    return st;
}

/* Every key of every level, on a unit-spaced stand-in for the image. */
static pipit_status_t
check(const reg_map_t *m)
{
    unsigned order;
    bool cyclic;
    double unit[PIPIT_MAX_DIM], phi[PIPIT_MAX_DIM];
    int64_t w;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        unit[d] = 1.0;
    pipit_status_t st = read_order(m, &order, &cyclic);
    if (st == PIPIT_OK)
        st = read_final_spacing(m, unit, phi);
    unsigned R = m->n_levels > 0 ? m->n_levels : 1;
    for (unsigned r = 0; r < R && st == PIPIT_OK; r++) {
        for (unsigned d = 0; d < m->dim && st == PIPIT_OK; d++) {
            double f;
            st = schedule_factor(m, r, d, &f);
        }
        if (st == PIPIT_OK)
            st = pipit__reg_get_int_in(m, "PassiveEdgeWidth", r, 0, 0,
                                       1 << 20, &w);
    }
    return st;
}

const reg_transform_class_t pipit__reg_transform_bspline = {
    .name = "BSplineTransform",
    .create = create,
    .next_level = next_level,
    .check = check,
};

const reg_transform_class_t pipit__reg_transform_recursive_bspline = {
    .name = "RecursiveBSplineTransform",
    .create = create,
    .next_level = next_level,
    .check = check,
};

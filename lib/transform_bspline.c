/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BSplineTransform: T(x) = x + Σ_k c_k ∏_d β^p(u_d - k_d), a displacement
 * in world axes from a control-point grid, where
 *     u = diag(spacing)⁻¹ · direction⁻¹ · (x - origin) - index
 * is x's continuous index in the grid (0 at the first control point).
 * Parameters: the x components of every c_k (control points x fastest),
 * then the y components, then z. The displacement is 0 outside the valid
 * region u_d in [(p-1)/2, size_d - 1 - (p-1)/2), where every supporting
 * control point exists (elastix 5.0.1 keeps such points, unmoved).
 *
 * The cyclic variant (elastix UseCyclicTransform "true", its
 * CyclicBSplineDeformableTransform) is meant for 2-D+t and 3-D+t images
 * whose last axis is time over one period: along that axis the control
 * points wrap, supporting point k being coefficient k mod size, so the
 * field repeats every size · spacing and no point is outside the grid
 * along it; and nothing moves along it (the last component of T(x) is
 * x's, whatever the last block of coefficients holds: elastix's optimizer
 * still writes into it, and its transformix ignores it alike).
 */
#include <math.h>
#include <string.h>

#include "bspline_impl.h"
#include "error_impl.h"
#include "linalg_impl.h"
#include "transform_impl.h"

/* (3 + 1)^4: the most supporting control points of one point. */
#define MAX_SUPPORT 256

typedef struct {
    pipit_transform_t base;
    unsigned order;
    size_t n_points; /* control points: parameters per axis */
    size_t count;    /* supporting control points: (order + 1)^dim */
    pipit_bspline_grid_t grid;
    double to_grid[PIPIT_MAX_DIM * PIPIT_MAX_DIM]; /* diag(1/h)·Dir⁻¹ */
    double lo[PIPIT_MAX_DIM], hi[PIPIT_MAX_DIM];   /* valid u range */
    size_t stride[PIPIT_MAX_DIM]; /* parameter index step along each axis */
    bool cyclic;                  /* the last axis wraps and stays put */
} bspline_t;

/*
 * The control points supporting x: their parameter index within one
 * axis's block (ascending) and weight, and when du is not NULL the
 * derivative of each weight along each grid axis, du[a * count + k].
 * Returns count, or 0 outside the valid region.
 */
static size_t
support(const bspline_t *b, const double *x, size_t *index, double *w,
        double *du)
{
    unsigned n = b->base.dim, p = b->order, q = p + 1;
    double v[PIPIT_MAX_DIM], u[PIPIT_MAX_DIM];
    double wa[PIPIT_MAX_DIM][4], da[PIPIT_MAX_DIM][4];
    size_t first = 0;
    for (unsigned d = 0; d < n; d++)
        v[d] = x[d] - b->grid.origin[d];
    pipit__mat_vec(n, b->to_grid, v, u);
    /* A cyclic grid's last axis: its q supporting points, in the order
     * of their (wrapped) coefficients so that the indices stay ascending,
     * wl[i] the weight slot and kl[i] the coefficient of the i-th. */
    unsigned last = b->cyclic ? n - 1 : n, wl[4];
    size_t kl[4];
    for (unsigned d = 0; d < n; d++) {
        u[d] -= (double)b->grid.index[d];
        if (d == last) {
            if (!isfinite(u[d]))
                return 0;
        } else if (!(u[d] >= b->lo[d] && u[d] < b->hi[d])) {
            return 0;
        }
        double t;
        ptrdiff_t s = pipit__bspline_start(p, u[d], &t);
        pipit__bspline_weights(p, t, wa[d], du != NULL ? da[d] : NULL);
        if (d != last) {
            first += (size_t)s * b->stride[d];
            continue;
        }
        /* The size is at least q (checked), so the q points are
         * distinct: a run from (s mod g), rotated where it wraps. */
        ptrdiff_t g = (ptrdiff_t)b->grid.size[d], k0 = s % g;
        if (k0 < 0)
            k0 += g;
        unsigned rot = k0 + (ptrdiff_t)q > g ? (unsigned)(g - k0) : 0;
        for (unsigned i = 0; i < q; i++) {
            wl[i] = (i + rot) % q;
            kl[i] = (size_t)((k0 + (ptrdiff_t)wl[i]) % g);
        }
    }
    /* Odometer over the q^n supporting points, x fastest. */
    unsigned j[PIPIT_MAX_DIM] = { 0 };
    for (size_t k = 0; k < b->count; k++) {
        size_t idx = first;
        double wk = 1.0;
        for (unsigned d = 0; d < n; d++) {
            if (d == last) {
                idx += kl[j[d]] * b->stride[d];
                wk *= wa[d][wl[j[d]]];
                continue;
            }
            idx += j[d] * b->stride[d];
            wk *= wa[d][j[d]];
        }
        index[k] = idx;
        w[k] = wk;
        if (du != NULL)
            for (unsigned a = 0; a < n; a++) {
                unsigned ja = a == last ? wl[j[a]] : j[a];
                double g = da[a][ja];
                for (unsigned d = 0; d < n; d++)
                    if (d != a)
                        g *= wa[d][d == last ? wl[j[d]] : j[d]];
                du[a * b->count + k] = g;
            }
        for (unsigned d = 0; d < n && ++j[d] == q; d++)
            j[d] = 0;
    }
    return b->count;
}

static void
bspline_update(pipit_transform_t *t)
{
    (void)t; /* coefficients are read as they are */
}

/* T(x) for 2-D and 3-D: the weights per axis, and the displacement as
 * the tensor-product sum over rows of q consecutive coefficients, all
 * components side by side (no index list; what resampling and
 * transformix's fields spend their time in). False outside the grid. */
static inline __attribute__((always_inline)) bool
point_nd(const bspline_t *b, const double *in, double *out, const unsigned n,
         const unsigned q)
{
    const unsigned p = q - 1;
    double v[PIPIT_MAX_DIM], u[PIPIT_MAX_DIM], wa[PIPIT_MAX_DIM][4];
    size_t first = 0;
    for (unsigned d = 0; d < n; d++)
        v[d] = in[d] - b->grid.origin[d];
    for (unsigned r = 0; r < n; r++) {
        double a = 0.0;
        for (unsigned c = 0; c < n; c++)
            a += b->to_grid[r * n + c] * v[c];
        u[r] = a - (double)b->grid.index[r];
        if (!(u[r] >= b->lo[r] && u[r] < b->hi[r]))
            return false;
        double t;
        ptrdiff_t s = pipit__bspline_start(p, u[r], &t);
        first += (size_t)s * b->stride[r];
        pipit__bspline_weights(p, t, wa[r], NULL);
    }
    const double *c0 = b->base.params + first;
    const size_t np = b->n_points, s1 = b->stride[1];
    const size_t s2 = n == 3 ? b->stride[2] : 0;
    const unsigned n2 = n == 3 ? q : 1;
    if (q == 4) {
        /* Spelled out: the compiler at -O2 kept the sums in memory and
         * the rows in loops, a chain of dependent stores and loads. */
        const double *w0 = wa[0];
        double s0 = 0.0, s1v = 0.0, s2v = 0.0;
        for (unsigned j2 = 0; j2 < n2; j2++)
            for (unsigned j1 = 0; j1 < 4; j1++) {
                const double w21 =
                    n == 3 ? wa[2][j2] * wa[1][j1] : wa[1][j1];
                const double *r = c0 + j2 * s2 + j1 * s1;
                s0 += w21 * ((w0[0] * r[0] + w0[1] * r[1]) +
                             (w0[2] * r[2] + w0[3] * r[3]));
                r += np;
                s1v += w21 * ((w0[0] * r[0] + w0[1] * r[1]) +
                              (w0[2] * r[2] + w0[3] * r[3]));
                if (n == 3) {
                    r += np;
                    s2v += w21 * ((w0[0] * r[0] + w0[1] * r[1]) +
                                  (w0[2] * r[2] + w0[3] * r[3]));
                }
            }
        out[0] = in[0] + s0;
        out[1] = in[1] + s1v;
        if (n == 3)
            out[2] = in[2] + s2v;
        return true;
    }
    double sum[PIPIT_MAX_DIM] = { 0 };
    for (unsigned j2 = 0; j2 < n2; j2++)
        for (unsigned j1 = 0; j1 < q; j1++) {
            double w21 = n == 3 ? wa[2][j2] * wa[1][j1] : wa[1][j1];
            const double *row = c0 + j2 * s2 + j1 * s1;
            for (unsigned e = 0; e < n; e++) {
                const double *r = row + e * np;
                double acc = 0.0;
                for (unsigned j0 = 0; j0 < q; j0++)
                    acc += wa[0][j0] * r[j0];
                sum[e] += w21 * acc;
            }
        }
    for (unsigned e = 0; e < n; e++)
        out[e] = in[e] + sum[e];
    return true;
}

static void
bspline_point(const pipit_transform_t *t, const double *in, double *out)
{
    const bspline_t *b = (const bspline_t *)t;
    if (!b->cyclic && (t->dim == 2 || t->dim == 3)) {
        /* The cubic case with its sizes constant, its loops unrolled:
         * half of resampling a result through a 3-D B-spline. */
        const unsigned q = b->order + 1;
        bool inside = t->dim == 2 ? (q == 4 ? point_nd(b, in, out, 2, 4)
                                            : point_nd(b, in, out, 2, q))
                                  : (q == 4 ? point_nd(b, in, out, 3, 4)
                                            : point_nd(b, in, out, 3, q));
        if (!inside)
            for (unsigned e = 0; e < t->dim; e++)
                out[e] = in[e];
        return;
    }
    size_t index[MAX_SUPPORT];
    double w[MAX_SUPPORT];
    size_t m = support(b, in, index, w, NULL);
    unsigned moved = b->cyclic ? t->dim - 1 : t->dim;
    for (unsigned e = 0; e < t->dim; e++) {
        const double *c = t->params + e * b->n_points;
        double s = 0.0;
        for (size_t k = 0; k < m && e < moved; k++)
            s += w[k] * c[index[k]];
        out[e] = in[e] + s;
    }
}

static size_t
bspline_jacobian(const pipit_transform_t *t, const double *x,
                 size_t *indices, double *values)
{
    const bspline_t *b = (const bspline_t *)t;
    unsigned n = t->dim;
    size_t index[MAX_SUPPORT];
    double w[MAX_SUPPORT];
    size_t m = support(b, x, index, w, NULL);
    if (m == 0)
        return 0;
    /* A cyclic transform's last component depends on no parameter. */
    unsigned moved = b->cyclic ? n - 1 : n;
    size_t total = moved * m;
    memset(values, 0, n * total * sizeof(double));
    for (unsigned e = 0; e < moved; e++)
        for (size_t k = 0; k < m; k++) {
            indices[e * m + k] = e * b->n_points + index[k];
            values[e * total + e * m + k] = w[k];
        }
    return total;
}

static void
bspline_spatial_jacobian(const pipit_transform_t *t, const double *x,
                         double *j)
{
    const bspline_t *b = (const bspline_t *)t;
    unsigned n = t->dim;
    size_t index[MAX_SUPPORT];
    double w[MAX_SUPPORT], du[PIPIT_MAX_DIM * MAX_SUPPORT];
    double g[PIPIT_MAX_DIM * PIPIT_MAX_DIM] = { 0 }; /* ∂disp_e / ∂u_a */
    size_t m = support(b, x, index, w, du);
    unsigned moved = b->cyclic ? n - 1 : n;
    for (unsigned e = 0; e < moved; e++) {
        const double *c = t->params + e * b->n_points;
        for (unsigned a = 0; a < n; a++) {
            double s = 0.0;
            for (size_t k = 0; k < m; k++)
                s += du[a * m + k] * c[index[k]];
            g[e * n + a] = s;
        }
    }
    /* ∂T/∂x = I + (∂disp/∂u)·(∂u/∂x). */
    pipit__mat_mul(n, g, b->to_grid, j);
    for (unsigned d = 0; d < n; d++)
        j[d * n + d] += 1.0;
}

static const pipit__transform_class_t bspline_class = {
    .name = "BSplineTransform",
    .size = sizeof(bspline_t),
    .update = bspline_update,
    .point = bspline_point,
    .jacobian = bspline_jacobian,
    .spatial_jacobian = bspline_spatial_jacobian,
};

/* Its own class, so that pipit_bspline_transform_grid (and the code that
 * reads a plain grid through it, such as registration's fast path) does
 * not take it for a plain one. */
static const pipit__transform_class_t cyclic_class = {
    .name = "BSplineTransform",
    .size = sizeof(bspline_t),
    .update = bspline_update,
    .point = bspline_point,
    .jacobian = bspline_jacobian,
    .spatial_jacobian = bspline_spatial_jacobian,
};

void
pipit_bspline_grid_init(pipit_bspline_grid_t *g, unsigned dim)
{
    if (g == NULL)
        return;
    memset(g, 0, sizeof *g);
    if (dim > PIPIT_MAX_DIM)
        dim = PIPIT_MAX_DIM;
    for (unsigned d = 0; d < dim; d++) {
        g->size[d] = 1;
        g->spacing[d] = 1.0;
    }
    pipit__mat_identity(dim, g->direction);
}

static pipit_status_t
check_grid(unsigned dim, unsigned order, const pipit_bspline_grid_t *g,
           double *to_grid, size_t *n_points)
{
    if (dim < 2 || dim > PIPIT_MAX_DIM)
        return pipit__error(PIPIT_EINVAL,
                            "BSplineTransform: dimension %u (2..%d)", dim,
                            PIPIT_MAX_DIM);
    if (order < 1 || order > 3)
        return pipit__error(PIPIT_EINVAL,
                            "BSplineTransform: spline order %u (1..3)",
                            order);
    size_t np = 1;
    for (unsigned d = 0; d < dim; d++) {
        if (g->size[d] == 0 || pipit__mul_overflows(np, g->size[d], &np))
            return pipit__error(PIPIT_EINVAL,
                                "BSplineTransform: GridSize[%u] is %zu", d,
                                g->size[d]);
        if (!(g->spacing[d] > 0.0) || !isfinite(g->spacing[d]))
            return pipit__error(PIPIT_EINVAL,
                                "BSplineTransform: GridSpacing[%u] is %g", d,
                                g->spacing[d]);
        if (!isfinite(g->origin[d]))
            return pipit__error(PIPIT_EINVAL,
                                "BSplineTransform: GridOrigin[%u] is %g", d,
                                g->origin[d]);
    }
    size_t bytes;
    if (pipit__mul_overflows(np, (size_t)dim * sizeof(double), &bytes))
        return pipit__error(PIPIT_ERANGE,
                            "BSplineTransform: %zu control points is too "
                            "many", np);
    double inv[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    if (!pipit__mat_inverse(dim, g->direction, inv))
        return pipit__error(PIPIT_EINVAL,
                            "BSplineTransform: GridDirection is singular");
    for (unsigned r = 0; r < dim; r++)
        for (unsigned c = 0; c < dim; c++)
            to_grid[r * dim + c] = inv[r * dim + c] / g->spacing[r];
    *n_points = np;
    return PIPIT_OK;
}

static pipit_transform_t *
bspline_new(unsigned dim, unsigned order, const pipit_bspline_grid_t *grid,
            bool cyclic)
{
    double to_grid[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    size_t np = 0;
    if (check_grid(dim, order, grid, to_grid, &np) != PIPIT_OK)
        return NULL;
    /* elastix refuses this too: q points would wrap onto each other. */
    if (cyclic && grid->size[dim - 1] < order + 1) {
        pipit__error(PIPIT_EINVAL,
                     "BSplineTransform: UseCyclicTransform needs GridSize[%u] "
                     ">= %u (the spline's support), not %zu",
                     dim - 1, order + 1, grid->size[dim - 1]);
        return NULL;
    }
    bspline_t *b = (bspline_t *)pipit__transform_alloc(
        cyclic ? &cyclic_class : &bspline_class, dim, np * dim);
    if (b == NULL)
        return NULL;
    b->cyclic = cyclic;
    b->order = order;
    b->n_points = np;
    /* Copy only the dim axes, so the fields past dim read as zero. */
    for (unsigned d = 0; d < dim; d++) {
        b->grid.size[d] = grid->size[d];
        b->grid.index[d] = grid->index[d];
        b->grid.spacing[d] = grid->spacing[d];
        b->grid.origin[d] = grid->origin[d];
    }
    memcpy(b->grid.direction, grid->direction, dim * dim * sizeof(double));
    memcpy(b->to_grid, to_grid, sizeof to_grid);
    b->count = 1;
    size_t stride = 1;
    double half = (order - 1) / 2.0;
    for (unsigned d = 0; d < dim; d++) {
        b->count *= order + 1;
        b->stride[d] = stride;
        stride *= grid->size[d];
        b->lo[d] = half;
        b->hi[d] = (double)grid->size[d] - 1.0 - half;
    }
    b->base.jacobian_size = dim * b->count;
    pipit__transform_reset(&b->base);
    return &b->base;
}

pipit_transform_t *
pipit_bspline_transform_new(unsigned dim, unsigned order,
                            const pipit_bspline_grid_t *grid)
{
    PIPIT_CHECK_ARG_NULL(grid != NULL);
    return bspline_new(dim, order, grid, false);
}

pipit_transform_t *
pipit_bspline_transform_new_cyclic(unsigned dim, unsigned order,
                                   const pipit_bspline_grid_t *grid)
{
    PIPIT_CHECK_ARG_NULL(grid != NULL);
    return bspline_new(dim, order, grid, true);
}

const pipit_bspline_grid_t *
pipit_bspline_transform_grid(const pipit_transform_t *t)
{
    return t != NULL && t->klass == &bspline_class
               ? &((const bspline_t *)t)->grid
               : NULL;
}

const pipit_bspline_grid_t *
pipit_bspline_transform_cyclic_grid(const pipit_transform_t *t)
{
    return t != NULL && t->klass == &cyclic_class
               ? &((const bspline_t *)t)->grid
               : NULL;
}

unsigned
pipit_bspline_transform_order(const pipit_transform_t *t)
{
    return t != NULL &&
                   (t->klass == &bspline_class || t->klass == &cyclic_class)
               ? ((const bspline_t *)t)->order
               : 0;
}

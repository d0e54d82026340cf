/* SPDX-License-Identifier: Apache-2.0 */
/* The B-spline hot path: see bspline_fast.h. */
#include <math.h>
#include <string.h>

#include <pipit/pool.h>

#include "bspline_fast.h"
#include "bspline_impl.h"
#include "error_impl.h"
#include "linalg_impl.h"

bool
pipit__reg_bspline_fast_init(reg_bspline_fast_t *f, const pipit_transform_t *t)
{
    memset(f, 0, sizeof *f);
    const pipit_transform_t *b = t;
    if (pipit_transform_is_chain(t)) {
        b = pipit_transform_chain_current(t);
        f->initial = pipit_transform_chain_initial(t);
        f->add = pipit_transform_chain_how(t) == PIPIT_COMBINE_ADD;
    }
    const pipit_bspline_grid_t *g = pipit_bspline_transform_grid(b);
    if (g == NULL)
        return false;
    unsigned D = pipit_transform_dim(b), p = pipit_bspline_transform_order(b);
    double inv[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    if (!pipit__mat_inverse(D, g->direction, inv))
        return false;
    f->whole = t;
    f->bspline = b;
    f->dim = D;
    f->order = p;
    f->count = 1;
    f->n_points = 1;
    double half = (p - 1) / 2.0;
    for (unsigned d = 0; d < D; d++) {
        for (unsigned c = 0; c < D; c++)
            f->to_grid[d * D + c] = inv[d * D + c] / g->spacing[d];
        /* the grid index is folded into the origin's offset below */
        f->origin[d] = g->origin[d];
        f->stride[d] = f->n_points;
        f->n_points *= g->size[d];
        f->count *= p + 1;
        f->gindex[d] = (double)g->index[d];
        f->lo[d] = half + (double)g->index[d];
        f->hi[d] = (double)g->size[d] - 1.0 - half + (double)g->index[d];
    }
    pipit__reg_bspline_fast_refresh(f);
    return true;
}

void
pipit__reg_bspline_fast_refresh(reg_bspline_fast_t *f)
{
    f->params = pipit_transform_parameters(f->bspline);
}

/* The support at x (the B-spline's own input): as lib's, with the weights
 * evaluated once per axis and multiplied out in nested loops; D a
 * constant where the caller passes one (2, 3), so they unroll. */
static inline __attribute__((always_inline)) size_t
support_dim(const reg_bspline_fast_t *f, const double *x, size_t *index,
            double *w, const unsigned D)
{
    const unsigned p = f->order, q = p + 1;
    double v[PIPIT_MAX_DIM], u[PIPIT_MAX_DIM];
    double wa[PIPIT_MAX_DIM][4];
    size_t first = 0;
    for (unsigned d = 0; d < D; d++)
        v[d] = x[d] - f->origin[d];
    for (unsigned r = 0; r < D; r++) {
        double a = 0.0;
        for (unsigned c = 0; c < D; c++)
            a += f->to_grid[r * D + c] * v[c];
        u[r] = a;
    }
    for (unsigned d = 0; d < D; d++) {
        /* Written so that NaN is outside. */
        if (!(u[d] >= f->lo[d] && u[d] < f->hi[d]))
            return 0;
        double t;
        ptrdiff_t s = p == 3 ? pipit__bspline_start(3, u[d] - f->gindex[d], &t)
                             : pipit__bspline_start(p, u[d] - f->gindex[d],
                                                    &t);
        first += (size_t)s * f->stride[d];
        if (p == 3)
            pipit__bspline_weights(3, t, wa[d], NULL);
        else
            pipit__bspline_weights(p, t, wa[d], NULL);
    }
    size_t k = 0;
    if (D == 2) {
        const size_t s1 = f->stride[1];
        for (unsigned j1 = 0; j1 < q; j1++)
            for (unsigned j0 = 0; j0 < q; j0++, k++) {
                index[k] = first + j1 * s1 + j0;
                w[k] = wa[1][j1] * wa[0][j0];
            }
        return k;
    }
    if (D == 3) {
        const size_t s1 = f->stride[1], s2 = f->stride[2];
        for (unsigned j2 = 0; j2 < q; j2++)
            for (unsigned j1 = 0; j1 < q; j1++) {
                double w21 = wa[2][j2] * wa[1][j1];
                size_t i21 = first + j2 * s2 + j1 * s1;
                for (unsigned j0 = 0; j0 < q; j0++, k++) {
                    index[k] = i21 + j0;
                    w[k] = w21 * wa[0][j0];
                }
            }
        return k;
    }
    unsigned j[PIPIT_MAX_DIM] = { 0 };
    for (k = 0; k < f->count; k++) {
        size_t idx = first;
        double wk = 1.0;
        for (unsigned d = 0; d < D; d++) {
            idx += j[d] * f->stride[d];
            wk *= wa[d][j[d]];
        }
        index[k] = idx;
        w[k] = wk;
        for (unsigned d = 0; d < D && ++j[d] == q; d++)
            j[d] = 0;
    }
    return f->count;
}

/* The point the B-spline sees and the base its displacement adds to. */
static inline const double *
seen_point(const reg_bspline_fast_t *f, const double *x, double *xi,
           double *base)
{
    const unsigned D = f->dim;
    if (f->initial == NULL) {
        memcpy(base, x, D * sizeof *base);
        return x;
    }
    pipit_transform_point(f->initial, x, xi);
    memcpy(base, xi, D * sizeof *base);
    return f->add ? x : xi; /* composed: the B-spline sees T_init(x) */
}

static inline __attribute__((always_inline)) size_t
map_dim(const reg_bspline_fast_t *f, const double *x, double *y,
        size_t *index, double *w, const unsigned D)
{
    double xi[PIPIT_MAX_DIM], base[PIPIT_MAX_DIM];
    const double *at = seen_point(f, x, xi, base);
    size_t m = support_dim(f, at, index, w, D);
    for (unsigned e = 0; e < D; e++) {
        const double *c = f->params + e * f->n_points;
        double s = 0.0;
        for (size_t k = 0; k < m; k++)
            s += w[k] * c[index[k]];
        y[e] = base[e] + s;
    }
    return m;
}

size_t
pipit__reg_bspline_fast_map(const reg_bspline_fast_t *f, const double *x,
                            double *y, size_t *index, double *w)
{
    return f->dim == 2   ? map_dim(f, x, y, index, w, 2)
           : f->dim == 3 ? map_dim(f, x, y, index, w, 3)
                         : map_dim(f, x, y, index, w, f->dim);
}

size_t
pipit__reg_bspline_fast_support(const reg_bspline_fast_t *f, const double *x,
                                size_t *index, double *w)
{
    double xi[PIPIT_MAX_DIM], base[PIPIT_MAX_DIM];
    const double *at = seen_point(f, x, xi, base);
    return f->dim == 2   ? support_dim(f, at, index, w, 2)
           : f->dim == 3 ? support_dim(f, at, index, w, 3)
                         : support_dim(f, at, index, w, f->dim);
}

size_t
pipit__reg_bspline_fast_dmu(const reg_bspline_fast_t *f, size_t m,
                            const size_t *index, const double *w,
                            const double *g, size_t *out_index,
                            double *out_value)
{
    const unsigned D = f->dim;
    for (unsigned e = 0; e < D; e++) {
        size_t off = e * f->n_points;
        for (size_t k = 0; k < m; k++) {
            out_index[e * m + k] = off + index[k];
            out_value[e * m + k] = g[e] * w[k];
        }
    }
    return D * m;
}

static double
bound_diag(const double *s, unsigned D)
{
    double tr = 0.0, f = 0.0;
    for (unsigned d = 0; d < D; d++) {
        tr += s[d];
        f += s[d] * s[d];
    }
    return tr + 2.0 * sqrt(2.0) * sqrt(f);
}

typedef struct {
    const reg_bspline_fast_t *f;
    const double *scales, *pts, *c;
    const size_t *pair;
    size_t band;
    unsigned E; /* diagonal blocks of C kept */
    double max;
} jcj_run_t;

/* max_j bound(J_j C J_jᵀ) over points [lo, hi). */
static pipit_status_t
jcj_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const jcj_run_t *r = ctx;
    const reg_bspline_fast_t *f = r->f;
    const unsigned D = f->dim;
    const size_t m = f->count, np = f->n_points, band = r->band;
    size_t index[REG_BSPLINE_MAX_SUPPORT];
    double w[REG_BSPLINE_MAX_SUPPORT], a[REG_BSPLINE_MAX_SUPPORT];
    double s[PIPIT_MAX_DIM], *most = acc;
    (void)worker;
    for (size_t j = lo; j < hi; j++) {
        size_t n = pipit__reg_bspline_fast_support(f, r->pts + j * D, index, w);
        for (unsigned e = 0; e < r->E; e++) {
            const double *ce = r->c + e * np * band;
            for (size_t k = 0; k < n; k++)
                a[k] = w[k] / r->scales[e * np + index[k]];
            double t = 0.0;
            for (size_t k = 0; k < n; k++) {
                const double *row = ce + index[k] * band;
                const size_t *pk = r->pair + k * m;
                double v = 0.0;
                for (size_t l = 0; l < n; l++)
                    v += row[pk[l]] * a[l];
                t += a[k] * v;
            }
            s[e] = t;
        }
        for (unsigned e = r->E; e < D; e++)
            s[e] = s[0];
        *most = fmax(*most, bound_diag(s, D));
    }
    return PIPIT_OK;
}

static pipit_status_t
jcj_merge(void *ctx, const void *acc, size_t piece)
{
    jcj_run_t *r = ctx;
    (void)piece;
    r->max = fmax(r->max, *(const double *)acc);
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_bspline_jacobian_terms(const reg_bspline_fast_t *f,
                                  const double *scales, const double *pts,
                                  size_t count,
                                  reg_bspline_jac_terms_t *out)
{
    const unsigned D = f->dim, p = f->order, q = p + 1, b1 = 2 * p + 1;
    const size_t m = f->count, np = f->n_points;
    size_t band = 1;
    for (unsigned d = 0; d < D; d++)
        band *= b1;
    /* With the same scales on every component (elastix's are all 1),
     * the D diagonal blocks of C are equal: one is built, counted D
     * times (the sums below add it D times, as D blocks would). */
    bool same = true;
    for (unsigned e = 1; e < D && same; e++)
        same = memcmp(scales, scales + e * np, np * sizeof *scales) == 0;
    const unsigned E = same ? 1 : D;
    size_t cells;
    if (pipit__mul_overflows(np * E, band, &cells))
        return pipit__error(PIPIT_ERANGE,
                            "ASGD: the B-spline grid is too large");
    double *c = pipit__calloc(cells, sizeof *c);
    size_t *pair = pipit__malloc(m * m * sizeof *pair);
    if (c == NULL || pair == NULL) {
        pipit__free(c);
        pipit__free(pair);
        return PIPIT_ENOMEM;
    }
    /* pair[k·m + l]: the band slot of support point l seen from k. */
    for (size_t k = 0; k < m; k++)
        for (size_t l = 0; l < m; l++) {
            size_t slot = 0, sk = k, sl = l, mul = 1;
            for (unsigned d = 0; d < D; d++) {
                ptrdiff_t o = (ptrdiff_t)(sl % q) - (ptrdiff_t)(sk % q);
                slot += (size_t)(o + (ptrdiff_t)p) * mul;
                mul *= b1;
                sk /= q, sl /= q;
            }
            pair[k * m + l] = slot;
        }
    size_t index[REG_BSPLINE_MAX_SUPPORT];
    double w[REG_BSPLINE_MAX_SUPPORT], a[REG_BSPLINE_MAX_SUPPORT];
    double s[PIPIT_MAX_DIM];
    *out = (reg_bspline_jac_terms_t){ 0 };
    for (size_t j = 0; j < count; j++) {
        size_t n = pipit__reg_bspline_fast_support(f, pts + j * D, index, w);
        for (unsigned e = 0; e < E; e++) {
            double *ce = c + e * np * band;
            s[e] = 0.0;
            for (size_t k = 0; k < n; k++) {
                a[k] = w[k] / scales[e * np + index[k]];
                s[e] += a[k] * a[k];
            }
            for (size_t k = 0; k < n; k++) {
                double *row = ce + index[k] * band;
                const size_t *pk = pair + k * m;
                for (size_t l = 0; l < n; l++)
                    row[pk[l]] += a[k] * a[l];
            }
        }
        for (unsigned e = E; e < D; e++)
            s[e] = s[0];
        out->max_jj = fmax(out->max_jj, bound_diag(s, D));
    }
    double inv = count > 0 ? 1.0 / (double)count : 0.0;
    size_t centre = (band - 1) / 2;
    for (size_t i = 0; i < cells; i++)
        c[i] *= inv;
    for (unsigned e = 0; e < D; e++) {
        const double *ce = c + (E == 1 ? 0 : e) * np * band;
        for (size_t i = 0; i < np * band; i++)
            out->trcc += ce[i] * ce[i];
    }
    for (unsigned e = 0; e < D; e++) {
        const double *ce = c + (E == 1 ? 0 : e) * np * band;
        for (size_t i = 0; i < np; i++)
            out->trc += ce[i * band + centre];
    }
    /* J C Jᵀ needs C complete: a second pass, reading C only, over the
     * pool (a maximum: the same for any number of threads). */
    jcj_run_t run = { f, scales, pts, c, pair, band, E, 0.0 };
    pipit_status_t st = pipit_parallel_reduce(count, 256, sizeof(double),
                                              jcj_piece, jcj_merge, &run);
    if (st == PIPIT_OK)
        out->max_jcj = run.max;
    pipit__free(c);
    pipit__free(pair);
    return st;
}

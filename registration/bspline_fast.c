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

/* The corner control point of the support at x (the B-spline's own
 * input) and the p+1 weights of each axis; false outside the grid's
 * valid region. D a constant where the caller passes one (2, 3), so the
 * loops unroll. */
static inline __attribute__((always_inline)) bool
locate_dim(const reg_bspline_fast_t *f, const double *x, size_t *first,
           double wa[][4], const unsigned D)
{
    const unsigned p = f->order;
    double v[PIPIT_MAX_DIM], u[PIPIT_MAX_DIM];
    size_t c0 = 0;
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
            return false;
        double t;
        ptrdiff_t s = p == 3 ? pipit__bspline_start(3, u[d] - f->gindex[d], &t)
                             : pipit__bspline_start(p, u[d] - f->gindex[d],
                                                    &t);
        c0 += (size_t)s * f->stride[d];
        if (p == 3)
            pipit__bspline_weights(3, t, wa[d], NULL);
        else
            pipit__bspline_weights(p, t, wa[d], NULL);
    }
    *first = c0;
    return true;
}

/* The (p+1)^D control points and weights of the support at corner first
 * with per-axis weights wa, the first axis fastest. */
static inline __attribute__((always_inline)) size_t
expand_dim(const reg_bspline_fast_t *f, size_t first, const double wa[][4],
           size_t *index, double *w, const unsigned D)
{
    const unsigned q = f->order + 1;
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

/* The support at x: control points and weights, f->count of each, or 0
 * outside the grid's valid region. */
static inline __attribute__((always_inline)) size_t
support_dim(const reg_bspline_fast_t *f, const double *x, size_t *index,
            double *w, const unsigned D)
{
    double wa[PIPIT_MAX_DIM][4];
    size_t first;
    if (!locate_dim(f, x, &first, wa, D))
        return 0;
    return expand_dim(f, first, (const double(*)[4])wa, index, w, D);
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

/* The three passes of the Jacobian terms share this. Each sample's
 * support is located once (pass 0) and kept in its compact form: the
 * corner control point (SIZE_MAX outside the valid region) and 4
 * weights per axis. C's row of control point i, component block e, is
 * c + (e·n_points + i)·band; column slot of neighbour l seen from k is
 * base[k] + run[l / q] + l % q (neighbours with the same axes above the
 * first sit q apart in consecutive slots: the inner loops run along
 * those rows instead of through an index table). */
typedef struct {
    const reg_bspline_fast_t *f;
    const double *scales, *pts;
    size_t count;
    size_t *first;
    double (*wa)[4]; /* count · D rows */
    double *c;
    size_t band;
    unsigned E;  /* diagonal blocks of C kept */
    double inv;  /* 1 / count */
    size_t base[REG_BSPLINE_MAX_SUPPORT];
    size_t run[REG_BSPLINE_MAX_SUPPORT];
    double max_jj, max_jcj, trc, trcc;
} jac_run_t;

typedef struct {
    double trc, trcc;
} jac_sums_t;

/* a[l] = w[l] / scale of (e, index[l]); returns Σ a[l]². */
static inline double
scaled(const jac_run_t *r, unsigned e, size_t n, const size_t *index,
       const double *w, double *a)
{
    const double *sc = r->scales + e * r->f->n_points;
    double s = 0.0;
    for (size_t k = 0; k < n; k++) {
        a[k] = w[k] / sc[index[k]];
        s += a[k] * a[k];
    }
    return s;
}

static inline __attribute__((always_inline)) size_t
stored_support(const jac_run_t *r, size_t j, size_t *index, double *w,
               const unsigned D)
{
    return expand_dim(r->f, r->first[j], (const double(*)[4])(r->wa + j * D),
                      index, w, D);
}

/* Pass 0 over samples [lo, hi): locate and keep each support;
 * max_j bound(J_j J_jᵀ) into acc. */
static inline __attribute__((always_inline)) pipit_status_t
locate_piece_dim(void *ctx, size_t lo, size_t hi, void *acc,
                 const unsigned D)
{
    jac_run_t *r = ctx;
    const reg_bspline_fast_t *f = r->f;
    size_t index[REG_BSPLINE_MAX_SUPPORT];
    double w[REG_BSPLINE_MAX_SUPPORT], a[REG_BSPLINE_MAX_SUPPORT];
    double s[PIPIT_MAX_DIM], *most = acc;
    for (size_t j = lo; j < hi; j++) {
        double xi[PIPIT_MAX_DIM], base[PIPIT_MAX_DIM];
        const double *at = seen_point(f, r->pts + j * D, xi, base);
        if (!locate_dim(f, at, &r->first[j], r->wa + j * D, D)) {
            r->first[j] = SIZE_MAX;
            continue; /* J_j = 0 */
        }
        size_t n = stored_support(r, j, index, w, D);
        for (unsigned e = 0; e < r->E; e++)
            s[e] = scaled(r, e, n, index, w, a);
        for (unsigned e = r->E; e < D; e++)
            s[e] = s[0];
        *most = fmax(*most, bound_diag(s, D));
    }
    return PIPIT_OK;
}

static pipit_status_t
locate_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const unsigned D = ((jac_run_t *)ctx)->f->dim;
    (void)worker;
    return D == 2   ? locate_piece_dim(ctx, lo, hi, acc, 2)
           : D == 3 ? locate_piece_dim(ctx, lo, hi, acc, 3)
                    : locate_piece_dim(ctx, lo, hi, acc, D);
}

static pipit_status_t
max_jj_merge(void *ctx, const void *acc, size_t piece)
{
    jac_run_t *r = ctx;
    (void)piece;
    r->max_jj = fmax(r->max_jj, *(const double *)acc);
    return PIPIT_OK;
}

/* C's rows k0 <= k < k1 of one sample: row(index[k])[slot(k, l)] +=
 * a[k]·a[l] for every l. q a constant where the caller knows it. */
static inline __attribute__((always_inline)) void
add_rows_q(const jac_run_t *r, double *ce, const size_t *index,
           const double *a, size_t n, size_t k0, size_t k1, const unsigned q)
{
    const size_t nr = n / q;
    for (size_t k = k0; k < k1; k++) {
        double *row = ce + index[k] * r->band + r->base[k];
        const double ak = a[k];
        for (size_t t = 0; t < nr; t++) {
            double *dst = row + r->run[t];
            const double *at = a + t * q;
            for (unsigned i = 0; i < q; i++)
                dst[i] += ak * at[i];
        }
    }
}

/* Pass 1 over slabs [lo, hi) of control points along the last axis:
 * this piece owns C's rows there and adds, sample by sample in sample
 * order, the products of every sample whose support reaches them; so
 * each entry of C is the same sum in the same order whatever the
 * pieces, the threads, or who else works. Then scales the rows by
 * 1/count and sums them into acc (tr C, ||C||_F² of these rows). */
static inline __attribute__((always_inline)) pipit_status_t
rows_piece_dim(void *ctx, size_t lo, size_t hi, void *acc, const unsigned D)
{
    const jac_run_t *r = ctx;
    const reg_bspline_fast_t *f = r->f;
    const unsigned p = f->order, q = p + 1;
    const size_t np = f->n_points, band = r->band, sl = f->stride[D - 1];
    const size_t block = f->count / q; /* rows of one slab of a support */
    size_t index[REG_BSPLINE_MAX_SUPPORT];
    double w[REG_BSPLINE_MAX_SUPPORT], a[REG_BSPLINE_MAX_SUPPORT];
    for (size_t j = 0; j < r->count; j++) {
        size_t first = r->first[j];
        if (first == SIZE_MAX)
            continue;
        size_t z = first / sl; /* its slabs: z .. z + p */
        if (z + p < lo || z >= hi)
            continue;
        size_t n = stored_support(r, j, index, w, D);
        size_t k0 = (lo > z ? lo - z : 0) * block;
        size_t k1 = (hi - z < q ? hi - z : q) * block;
        for (unsigned e = 0; e < r->E; e++) {
            double *ce = r->c + e * np * band;
            scaled(r, e, n, index, w, a);
            if (q == 4)
                add_rows_q(r, ce, index, a, n, k0, k1, 4);
            else
                add_rows_q(r, ce, index, a, n, k0, k1, q);
        }
    }
    jac_sums_t *sum = acc;
    const size_t centre = (band - 1) / 2;
    double tcc[PIPIT_MAX_DIM], tc[PIPIT_MAX_DIM];
    for (unsigned e = 0; e < r->E; e++) {
        double *ce = r->c + (e * np + lo * sl) * band;
        size_t cells = (hi - lo) * sl * band;
        tcc[e] = tc[e] = 0.0;
        for (size_t i = 0; i < cells; i++) {
            ce[i] *= r->inv;
            tcc[e] += ce[i] * ce[i];
        }
        for (size_t i = centre; i < cells; i += band)
            tc[e] += ce[i];
    }
    /* With one block kept it stands for all D (see below). */
    for (unsigned e = 0; e < D; e++) {
        sum->trcc += tcc[r->E == 1 ? 0 : e];
        sum->trc += tc[r->E == 1 ? 0 : e];
    }
    return PIPIT_OK;
}

static pipit_status_t
rows_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const unsigned D = ((jac_run_t *)ctx)->f->dim;
    (void)worker;
    return D == 2   ? rows_piece_dim(ctx, lo, hi, acc, 2)
           : D == 3 ? rows_piece_dim(ctx, lo, hi, acc, 3)
                    : rows_piece_dim(ctx, lo, hi, acc, D);
}

static pipit_status_t
sums_merge(void *ctx, const void *acc, size_t piece)
{
    jac_run_t *r = ctx;
    const jac_sums_t *s = acc;
    (void)piece;
    r->trc += s->trc;
    r->trcc += s->trcc;
    return PIPIT_OK;
}

/* Σ_l row[slot(k, l)]·a[l], l in order. */
static inline __attribute__((always_inline)) double
row_dot_q(const jac_run_t *r, const double *row, const double *a, size_t n,
          const unsigned q)
{
    const size_t nr = n / q;
    double v = 0.0;
    for (size_t t = 0; t < nr; t++) {
        const double *src = row + r->run[t];
        const double *at = a + t * q;
        for (unsigned i = 0; i < q; i++)
            v += src[i] * at[i];
    }
    return v;
}

/* row_dot_q for rows k .. k+3 side by side: four independent sums (one
 * is bound by the latency of its additions), each in l order as alone. */
static inline __attribute__((always_inline)) void
row_dot4_q(const jac_run_t *r, const double *ce, const size_t *index,
           size_t k, const double *a, size_t n, double *v, const unsigned q)
{
    const size_t nr = n / q, band = r->band;
    const double *r0 = ce + index[k] * band + r->base[k];
    const double *r1 = ce + index[k + 1] * band + r->base[k + 1];
    const double *r2 = ce + index[k + 2] * band + r->base[k + 2];
    const double *r3 = ce + index[k + 3] * band + r->base[k + 3];
    double v0 = 0.0, v1 = 0.0, v2 = 0.0, v3 = 0.0;
    for (size_t t = 0; t < nr; t++) {
        const size_t o = r->run[t];
        const double *at = a + t * q;
        for (unsigned i = 0; i < q; i++) {
            v0 += r0[o + i] * at[i];
            v1 += r1[o + i] * at[i];
            v2 += r2[o + i] * at[i];
            v3 += r3[o + i] * at[i];
        }
    }
    v[0] = v0, v[1] = v1, v[2] = v2, v[3] = v3;
}

/* Pass 2 over samples [lo, hi): max_j bound(J_j C J_jᵀ), reading the
 * complete C. */
static inline __attribute__((always_inline)) pipit_status_t
jcj_piece_dim(void *ctx, size_t lo, size_t hi, void *acc, const unsigned D)
{
    const jac_run_t *r = ctx;
    const reg_bspline_fast_t *f = r->f;
    const unsigned q = f->order + 1;
    const size_t np = f->n_points, band = r->band;
    size_t index[REG_BSPLINE_MAX_SUPPORT];
    double w[REG_BSPLINE_MAX_SUPPORT], a[REG_BSPLINE_MAX_SUPPORT];
    double s[PIPIT_MAX_DIM], *most = acc;
    for (size_t j = lo; j < hi; j++) {
        if (r->first[j] == SIZE_MAX)
            continue; /* J_j = 0 */
        size_t n = stored_support(r, j, index, w, D);
        for (unsigned e = 0; e < r->E; e++) {
            const double *ce = r->c + e * np * band;
            scaled(r, e, n, index, w, a);
            double t = 0.0, v[4];
            size_t k = 0;
            if (q == 4)
                for (; k + 4 <= n; k += 4) {
                    row_dot4_q(r, ce, index, k, a, n, v, 4);
                    t += a[k] * v[0];
                    t += a[k + 1] * v[1];
                    t += a[k + 2] * v[2];
                    t += a[k + 3] * v[3];
                }
            for (; k < n; k++) {
                const double *row = ce + index[k] * band + r->base[k];
                t += a[k] * row_dot_q(r, row, a, n, q);
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
jcj_piece(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const unsigned D = ((jac_run_t *)ctx)->f->dim;
    (void)worker;
    return D == 2   ? jcj_piece_dim(ctx, lo, hi, acc, 2)
           : D == 3 ? jcj_piece_dim(ctx, lo, hi, acc, 3)
                    : jcj_piece_dim(ctx, lo, hi, acc, D);
}

static pipit_status_t
jcj_merge(void *ctx, const void *acc, size_t piece)
{
    jac_run_t *r = ctx;
    (void)piece;
    r->max_jcj = fmax(r->max_jcj, *(const double *)acc);
    return PIPIT_OK;
}

/* Samples per piece of passes 0 and 2 (pass 1's pieces are slabs). */
#define SAMPLE_GRAIN 256

/* Fewer products a[k]·a[l] than this (count · ((p+1)^D)² · blocks; about
 * a millisecond at one thread) run on the calling thread alone: the
 * three hand-offs to the pool and back cost about as much, and much
 * more on a busy machine (2-D blobs, 1000 points of 16: 0.2 ms alone,
 * ~1 ms through the pool with others compiling). The cut into pieces
 * does not depend on the cap: the same terms either way. */
#define JAC_PARALLEL_MIN_PRODUCTS ((size_t)1 << 21)

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
    *out = (reg_bspline_jac_terms_t){ 0 };
    /* With the same scales on every component (elastix's are all 1),
     * the D diagonal blocks of C are equal: one is built, counted D
     * times (the sums add it D times, as D blocks would). */
    bool same = true;
    for (unsigned e = 1; e < D && same; e++)
        same = memcmp(scales, scales + e * np, np * sizeof *scales) == 0;
    const unsigned E = same ? 1 : D;
    size_t cells, rows;
    if (pipit__mul_overflows(np * E, band, &cells) ||
        pipit__mul_overflows(count, D, &rows) ||
        pipit__mul_overflows(rows, sizeof(double[4]), &rows))
        return pipit__error(PIPIT_ERANGE,
                            "ASGD: the B-spline grid is too large");
    jac_run_t *r = pipit__calloc(1, sizeof *r);
    double *c = pipit__calloc(cells, sizeof *c);
    size_t *first = pipit__malloc(count * sizeof *first + 1);
    double(*wa)[4] = pipit__malloc(rows + 1);
    pipit_status_t st = PIPIT_ENOMEM;
    bool capped = false;
    unsigned old_limit = 0;
    if (r == NULL || c == NULL || first == NULL || wa == NULL)
        goto done;
    *r = (jac_run_t){ .f = f, .scales = scales, .pts = pts, .count = count,
                      .first = first, .wa = wa, .c = c, .band = band,
                      .E = E,
                      .inv = count > 0 ? 1.0 / (double)count : 0.0 };
    /* base[k]: the slot of neighbour 0 seen from support point k;
     * run[t]: the offset of the t-th row of q neighbours. */
    for (size_t k = 0; k < m; k++) {
        size_t slot = 0, sk = k, mul = 1;
        for (unsigned d = 0; d < D; d++, sk /= q, mul *= b1)
            slot += (p - sk % q) * mul;
        r->base[k] = slot;
    }
    for (size_t t = 0; t < m / q; t++) {
        size_t slot = 0, st_ = t, mul = b1;
        for (unsigned d = 1; d < D; d++, st_ /= q, mul *= b1)
            slot += (st_ % q) * mul;
        r->run[t] = slot;
    }
    /* Three passes over the pool, each cut by the data alone: sums in
     * a fixed order (pass 1's merged in slab order) and maxima, so the
     * terms are the same for any number of threads. */
    size_t slabs = np / f->stride[D - 1], products;
    capped = !pipit__mul_overflows(count, m * m * E, &products) &&
             products < JAC_PARALLEL_MIN_PRODUCTS;
    old_limit = capped ? pipit_pool_set_local_limit(1) : 0;
    if ((st = pipit_parallel_reduce(count, SAMPLE_GRAIN, sizeof(double),
                                    locate_piece, max_jj_merge, r)) !=
            PIPIT_OK)
        goto done;
    if ((st = pipit_parallel_reduce(slabs, 1, sizeof(jac_sums_t), rows_piece,
                                    sums_merge, r)) != PIPIT_OK)
        goto done;
    if ((st = pipit_parallel_reduce(count, SAMPLE_GRAIN, sizeof(double),
                                    jcj_piece, jcj_merge, r)) != PIPIT_OK)
        goto done;
    *out = (reg_bspline_jac_terms_t){ r->trc, r->trcc, r->max_jj,
                                      r->max_jcj };
done:
    if (capped)
        pipit_pool_set_local_limit(old_limit);
    pipit__free(c);
    pipit__free(first);
    pipit__free(wa);
    pipit__free(r);
    return st;
}

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
    if (g == NULL) {
        g = pipit_bspline_transform_cyclic_grid(b);
        f->cyclic = g != NULL;
    }
    if (g == NULL)
        return false;
    unsigned D = pipit_transform_dim(b), p = pipit_bspline_transform_order(b);
    /* The transform refuses a cyclic grid with fewer (the support's
     * points would wrap onto each other); the loops here rely on it. */
    if (D < 2 || p < 1 || p > 3 ||
        (f->cyclic && g->size[D - 1] < (size_t)p + 1))
        return false;
    double inv[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    if (!pipit__mat_inverse(D, g->direction, inv))
        return false;
    f->whole = t;
    f->bspline = b;
    f->dim = D;
    f->order = p;
    f->moved = f->cyclic ? D - 1 : D;
    f->wrap = f->cyclic ? g->size[D - 1] : 0;
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

/* The (p+1)^D control points and weights of the compact support s, the
 * first axis fastest (on a cyclic grid's last axis in slab order j, so
 * not ascending where it wraps). */
static inline __attribute__((always_inline)) size_t
expand_dim(const reg_bspline_fast_t *f, const reg_bspline_support_t *s,
           size_t *index, double *w, const unsigned D)
{
    const unsigned q = f->order + 1;
    const size_t first = s->first;
    size_t k = 0;
    if (D == 2) {
        for (unsigned j1 = 0; j1 < q; j1++)
            for (unsigned j0 = 0; j0 < q; j0++, k++) {
                index[k] = first + s->last[j1] + j0;
                w[k] = s->w[1][j1] * s->w[0][j0];
            }
        return k;
    }
    if (D == 3) {
        const size_t s1 = f->stride[1];
        for (unsigned j2 = 0; j2 < q; j2++)
            for (unsigned j1 = 0; j1 < q; j1++) {
                double w21 = s->w[2][j2] * s->w[1][j1];
                size_t i21 = first + s->last[j2] + j1 * s1;
                for (unsigned j0 = 0; j0 < q; j0++, k++) {
                    index[k] = i21 + j0;
                    w[k] = w21 * s->w[0][j0];
                }
            }
        return k;
    }
    unsigned j[PIPIT_MAX_DIM] = { 0 };
    for (k = 0; k < f->count; k++) {
        size_t idx = first + s->last[j[D - 1]];
        double wk = 1.0;
        for (unsigned d = 0; d + 1 < D; d++) {
            idx += j[d] * f->stride[d];
            wk *= s->w[d][j[d]];
        }
        index[k] = idx;
        w[k] = wk * s->w[D - 1][j[D - 1]];
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
    reg_bspline_support_t s;
    if (!pipit__reg_bspline_locate_dim(f, x, &s, D))
        return 0;
    return expand_dim(f, &s, index, w, D);
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
        for (size_t k = 0; k < m && e < f->moved; k++)
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
    const unsigned moved = f->moved;
    for (unsigned e = 0; e < moved; e++) {
        size_t off = e * f->n_points;
        for (size_t k = 0; k < m; k++) {
            out_index[e * m + k] = off + index[k];
            out_value[e * m + k] = g[e] * w[k];
        }
    }
    return moved * m;
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
 * support is located once (pass 0) and kept in its compact form
 * (reg_bspline_support_t; first = SIZE_MAX outside the valid region).
 * C's row of control point i, component block e, is
 * c + (e·n_points + i)·band; the column slot of neighbour l seen from
 * support point k is base[k] + run[kl·nr + l / q] + l % q, with
 * kl = k / nr the last axis's number of k and nr = (p+1)^(D-1) the rows
 * of a support (neighbours with the same axes above the first sit q
 * apart in consecutive slots: the inner loops run along those rows
 * instead of through an index table). base holds the axes below the
 * last, run the others: on a cyclic last axis the slot along it is
 * (l_last - k_last + p) mod g, which depends on both. */
typedef struct {
    const reg_bspline_fast_t *f;
    const double *scales, *pts;
    size_t count;
    reg_bspline_support_t *sup; /* count of them */
    double *c;
    size_t band, centre; /* slots per row; the diagonal's slot */
    unsigned E;     /* diagonal blocks of C kept */
    unsigned moved; /* blocks of C (moved components) */
    double inv;     /* 1 / count */
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
    return expand_dim(r->f, &r->sup[j], index, w, D);
}

/* The bound over the moved components, E of them computed (with one
 * block kept it stands for them all). A cyclic grid's last row of J is
 * zero: J Jᵀ's last diagonal entry too, which adds nothing. */
static inline double
bound_blocks(const jac_run_t *r, double *s)
{
    for (unsigned e = r->E; e < r->moved; e++)
        s[e] = s[0];
    return bound_diag(s, r->moved);
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
        if (!pipit__reg_bspline_locate_dim(f, at, &r->sup[j], D)) {
            r->sup[j].first = SIZE_MAX;
            continue; /* J_j = 0 */
        }
        size_t n = stored_support(r, j, index, w, D);
        for (unsigned e = 0; e < r->E; e++)
            s[e] = scaled(r, e, n, index, w, a);
        *most = fmax(*most, bound_blocks(r, s));
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

/* C's rows k0 <= k < k1 of one sample (one slab of the support: the
 * same kl): row(index[k])[slot(k, l)] += a[k]·a[l] for every l. q a
 * constant where the caller knows it. */
static inline __attribute__((always_inline)) void
add_rows_q(const jac_run_t *r, double *ce, const size_t *index,
           const double *a, size_t n, size_t k0, size_t k1, const unsigned q)
{
    const size_t nr = n / q;
    const size_t *run = r->run + k0 / nr * nr;
    for (size_t k = k0; k < k1; k++) {
        double *row = ce + index[k] * r->band + r->base[k];
        const double ak = a[k];
        for (size_t t = 0; t < nr; t++) {
            double *dst = row + run[t];
            const double *at = a + t * q;
            for (unsigned i = 0; i < q; i++)
                dst[i] += ak * at[i];
        }
    }
}

/* Pass 1 over slabs [lo, hi) of control points along the last axis:
 * this piece owns C's rows there and adds, sample by sample in sample
 * order, the products of every sample whose support reaches them (each
 * entry at most once per sample: the support's points are distinct, on
 * a cyclic grid too, g >= p+1); so each entry of C is the same sum in
 * the same order whatever the pieces, the threads, or who else works.
 * Then scales the rows by 1/count and sums them into acc (tr C,
 * ||C||_F² of these rows). */
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
        const reg_bspline_support_t *sp = &r->sup[j];
        if (sp->first == SIZE_MAX)
            continue;
        /* Its slabs: last[i] / sl, consecutive or (cyclic) wrapping. */
        unsigned mine = 0;
        for (unsigned i = 0; i < q; i++) {
            size_t z = sp->last[i] / sl;
            mine |= (unsigned)(z >= lo && z < hi) << i;
        }
        if (mine == 0)
            continue;
        size_t n = stored_support(r, j, index, w, D);
        for (unsigned e = 0; e < r->E; e++) {
            double *ce = r->c + e * np * band;
            scaled(r, e, n, index, w, a);
            for (unsigned i = 0; i < q; i++) {
                if (!(mine >> i & 1u))
                    continue;
                if (q == 4)
                    add_rows_q(r, ce, index, a, n, i * block,
                               (i + 1) * block, 4);
                else
                    add_rows_q(r, ce, index, a, n, i * block,
                               (i + 1) * block, q);
            }
        }
    }
    jac_sums_t *sum = acc;
    double tcc[PIPIT_MAX_DIM], tc[PIPIT_MAX_DIM];
    for (unsigned e = 0; e < r->E; e++) {
        double *ce = r->c + (e * np + lo * sl) * band;
        size_t cells = (hi - lo) * sl * band;
        tcc[e] = tc[e] = 0.0;
        for (size_t i = 0; i < cells; i++) {
            ce[i] *= r->inv;
            tcc[e] += ce[i] * ce[i];
        }
        for (size_t i = r->centre; i < cells; i += band)
            tc[e] += ce[i];
    }
    /* With one block kept it stands for all the moved ones (see below). */
    for (unsigned e = 0; e < r->moved; e++) {
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

/* Σ_l row[slot(k, l)]·a[l], l in order; run: k's slab's table. */
static inline __attribute__((always_inline)) double
row_dot_q(const size_t *run, const double *row, const double *a, size_t n,
          const unsigned q)
{
    const size_t nr = n / q;
    double v = 0.0;
    for (size_t t = 0; t < nr; t++) {
        const double *src = row + run[t];
        const double *at = a + t * q;
        for (unsigned i = 0; i < q; i++)
            v += src[i] * at[i];
    }
    return v;
}

/* row_dot_q for rows k .. k+3 side by side: four independent sums (one
 * is bound by the latency of its additions), each in l order as alone.
 * k is a multiple of 4 and q = 4 divides nr, so the four are in one
 * slab and share its run table. */
static inline __attribute__((always_inline)) void
row_dot4_q(const jac_run_t *r, const double *ce, const size_t *index,
           size_t k, const double *a, size_t n, double *v, const unsigned q)
{
    const size_t nr = n / q, band = r->band;
    const size_t *run = r->run + k / nr * nr;
    const double *r0 = ce + index[k] * band + r->base[k];
    const double *r1 = ce + index[k + 1] * band + r->base[k + 1];
    const double *r2 = ce + index[k + 2] * band + r->base[k + 2];
    const double *r3 = ce + index[k + 3] * band + r->base[k + 3];
    double v0 = 0.0, v1 = 0.0, v2 = 0.0, v3 = 0.0;
    for (size_t t = 0; t < nr; t++) {
        const size_t o = run[t];
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
        if (r->sup[j].first == SIZE_MAX)
            continue; /* J_j = 0 */
        size_t n = stored_support(r, j, index, w, D);
        const size_t nr = n / q;
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
                t += a[k] * row_dot_q(r->run + k / nr * nr, row, a, n, q);
            }
            s[e] = t;
        }
        *most = fmax(*most, bound_blocks(r, s));
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
    const unsigned moved = f->moved;
    const size_t m = f->count, np = f->n_points, nr = m / q;
    /* Slots along the last axis: 2p+1 offsets, or on a cyclic grid the
     * g residues where g < 2p+1 (offsets d and d - g are one pair). */
    const size_t bl = f->cyclic && f->wrap < b1 ? f->wrap : b1;
    size_t band = bl, mul_last = 1, centre = 0;
    for (unsigned d = 0; d + 1 < D; d++) {
        centre += p * mul_last;
        band *= b1;
        mul_last *= b1;
    }
    centre += p * mul_last;
    *out = (reg_bspline_jac_terms_t){ 0 };
    /* With the same scales on every moved component (elastix's are all
     * 1), their diagonal blocks of C are equal: one is built, counted
     * moved times (the sums add it so, as the blocks would). */
    bool same = true;
    for (unsigned e = 1; e < moved && same; e++)
        same = memcmp(scales, scales + e * np, np * sizeof *scales) == 0;
    const unsigned E = same ? 1 : moved;
    size_t cells, sup;
    if (pipit__mul_overflows(np * E, band, &cells) ||
        pipit__mul_overflows(count, sizeof(reg_bspline_support_t), &sup))
        return pipit__error(PIPIT_ERANGE,
                            "ASGD: the B-spline grid is too large");
    jac_run_t *r = pipit__calloc(1, sizeof *r);
    double *c = pipit__calloc(cells, sizeof *c);
    reg_bspline_support_t *sups = pipit__malloc(sup + 1);
    pipit_status_t st = PIPIT_ENOMEM;
    bool capped = false;
    unsigned old_limit = 0;
    if (r == NULL || c == NULL || sups == NULL)
        goto done;
    *r = (jac_run_t){ .f = f, .scales = scales, .pts = pts, .count = count,
                      .sup = sups, .c = c, .band = band, .centre = centre,
                      .E = E, .moved = moved,
                      .inv = count > 0 ? 1.0 / (double)count : 0.0 };
    /* base[k]: the slot of neighbour 0 seen from support point k, the
     * axes below the last; run[kl·nr + t]: the offset of the t-th row of
     * q neighbours, the axes above the first, seen from last-axis
     * number kl. */
    for (size_t k = 0; k < m; k++) {
        size_t slot = 0, sk = k, mul = 1;
        for (unsigned d = 0; d + 1 < D; d++, sk /= q, mul *= b1)
            slot += (p - sk % q) * mul;
        r->base[k] = slot;
    }
    for (size_t kl = 0; kl < q; kl++)
        for (size_t t = 0; t < nr; t++) {
            size_t slot = 0, st_ = t, mul = b1;
            for (unsigned d = 1; d + 1 < D; d++, st_ /= q, mul *= b1)
                slot += (st_ % q) * mul;
            /* st_ is now t's last-axis number */
            size_t off = st_ + p - kl; /* l - k + p, in [0, 2p] */
            if (f->cyclic)
                off %= f->wrap;
            r->run[kl * nr + t] = slot + off * mul_last;
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
    pipit__free(sups);
    pipit__free(r);
    return st;
}

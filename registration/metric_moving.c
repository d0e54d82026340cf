/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The moving side of every metric (reg_impl.h), and what the metrics
 * share around it (metric_impl.h).
 *
 * A batch maps its samples, keeps those that land inside the moving
 * buffer and mask, packed at the front (so the interpolator's batch call
 * sees only points it will evaluate), and evaluates them in one call.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error_impl.h"
#include "metric_impl.h"

pipit_status_t
pipit__reg_moving_batch_init(reg_moving_batch_t *b, const reg_level_t *L,
                             size_t capacity)
{
    *b = (reg_moving_batch_t){ 0 };
    const unsigned dim = L->dim;
    const size_t js = pipit_transform_jacobian_size(L->transform);
    b->capacity = capacity;
    b->n_params = L->n_params;
    b->jac_size = js;
    b->dim = dim;
    b->map = NULL;
    b->mapped = pipit__malloc(capacity * dim * sizeof(double));
    b->index = pipit__malloc(capacity * dim * sizeof(double));
    b->value = pipit__malloc(capacity * sizeof(double));
    b->gradient = pipit__malloc(capacity * dim * sizeof(double));
    b->sample = pipit__malloc(capacity * sizeof(size_t));
    /* dim·js: room for the B-spline path's dim·(p+1)^D as well. */
    b->jac_index = pipit__malloc((js > 0 ? js : 1) * dim * sizeof(size_t));
    b->jac_value = pipit__malloc((js > 0 ? js : 1) * dim * sizeof(double));
    b->dmu = pipit__malloc((js > 0 ? js : 1) * dim * sizeof(double));
    if (b->mapped == NULL || b->index == NULL || b->value == NULL ||
        b->gradient == NULL || b->sample == NULL || b->jac_index == NULL ||
        b->jac_value == NULL || b->dmu == NULL) {
        pipit__reg_moving_batch_free(b);
        return PIPIT_ENOMEM;
    }
    return PIPIT_OK;
}

void
pipit__reg_moving_batch_free(reg_moving_batch_t *b)
{
    pipit__free(b->mapped);
    pipit__free(b->index);
    pipit__free(b->value);
    pipit__free(b->gradient);
    pipit__free(b->sample);
    pipit__free(b->jac_index);
    pipit__free(b->jac_value);
    pipit__free(b->dmu);
    pipit__free(b->bs);
    *b = (reg_moving_batch_t){ 0 };
}

/* The mapping and inside test of a batch with dim a constant where the
 * caller passes one (2, 3): the loops unroll, the matrix stays in
 * registers. Returns the valid count; entries packed at the front. */
static inline __attribute__((always_inline)) size_t
map_samples(reg_moving_batch_t *b, const reg_level_t *L,
            const reg_samples_t *s, size_t lo, size_t hi, const unsigned dim)
{
    const reg_moving_map_t *mp = b->map;
    const reg_mask_t *mask = mp->mask;
    size_t nv = 0;
    for (size_t i = lo; i < hi; i++) {
        const double *x = s->points + i * dim;
        double *y = b->mapped + nv * dim;
        double *c = b->index + nv * dim;
        if (mp->linear) {
            for (unsigned r = 0; r < dim; r++) {
                double v = mp->b[r];
                for (unsigned k = 0; k < dim; k++)
                    v += mp->a[r * dim + k] * x[k];
                c[r] = v;
            }
        } else {
            double u[PIPIT_MAX_DIM];
            if (mp->bspline) {
                pipit__reg_bspline_map_dim(&mp->bs, x, y, &b->bs[nv], dim);
            } else {
                pipit_transform_point(L->transform, x, y);
            }
            for (unsigned k = 0; k < dim; k++)
                u[k] = y[k] - mp->origin[k];
            for (unsigned r = 0; r < dim; r++) {
                double v = 0.0;
                for (unsigned k = 0; k < dim; k++)
                    v += mp->to_index[r * dim + k] * u[k];
                c[r] = v;
            }
        }
        /* Written so that NaN is outside. */
        bool in = true;
        for (unsigned r = 0; r < dim; r++)
            in &= (c[r] >= mp->lo[r]) & (c[r] < mp->hi[r]);
        if (!in)
            continue;
        if (mask != NULL) {
            if (mp->linear)
                for (unsigned r = 0; r < dim; r++) {
                    double v = mp->off[r];
                    for (unsigned k = 0; k < dim; k++)
                        v += mp->m[r * dim + k] * x[k];
                    y[r] = v;
                }
            if (!pipit__reg_mask_inside(mask, y))
                continue;
        }
        b->sample[nv++] = i;
    }
    return nv;
}

size_t
pipit__reg_moving_evaluate(reg_moving_batch_t *b, const reg_level_t *L,
                           const reg_samples_t *s, size_t lo, size_t hi,
                           bool with_gradient)
{
    size_t nv = b->dim == 2   ? map_samples(b, L, s, lo, hi, 2)
                : b->dim == 3 ? map_samples(b, L, s, lo, hi, 3)
                              : map_samples(b, L, s, lo, hi, b->dim);
    if (nv > 0)
        pipit_interpolator_evaluate_batch(L->interp, nv, b->index, b->value,
                                          with_gradient ? b->gradient
                                                        : NULL);
    return nv;
}

size_t
pipit__reg_moving_dmu(reg_moving_batch_t *b, const reg_level_t *L, size_t j,
                      const double *x, const double *g, size_t **indices,
                      double **values)
{
    const reg_moving_map_t *mp = b->map;
    const unsigned dim = b->dim;
    double gp[PIPIT_MAX_DIM];
    pipit__reg_gradient_physical(mp, g, gp, dim);
    if (mp->bspline) {
        /* The list form (NCC's three sums use dmu_add instead). */
        (void)j;
        size_t ix[REG_BSPLINE_MAX_SUPPORT];
        double w[REG_BSPLINE_MAX_SUPPORT];
        size_t m = pipit__reg_bspline_fast_support(&mp->bs, x, ix, w);
        size_t nz = pipit__reg_bspline_fast_dmu(&mp->bs, m, ix, w, gp,
                                                b->jac_index, b->dmu);
        *indices = b->jac_index;
        *values = b->dmu;
        return nz;
    }
    const size_t nz = pipit_transform_jacobian(L->transform, x, b->jac_index,
                                               b->jac_value);
    const double *jv = b->jac_value;
    for (size_t k = 0; k < nz; k++) {
        double v = 0.0;
        for (unsigned d = 0; d < dim; d++)
            v += gp[d] * jv[d * nz + k];
        b->dmu[k] = v;
    }
    *indices = b->jac_index;
    *values = b->dmu;
    return nz;
}

void
pipit__reg_dmu_finish(const reg_moving_map_t *mp, const double *acc,
                      double scale, double *out)
{
    const size_t n = mp->n_params;
    if (!mp->linear) {
        for (size_t k = 0; k < n; k++)
            out[k] = scale * acc[k];
        return;
    }
    const unsigned D = mp->dim;
    /* From index-space gradients to physical ones: g_p = to_indexᵀ g_c. */
    double q[PIPIT_MAX_DIM * (PIPIT_MAX_DIM + 1)];
    for (unsigned d = 0; d < D; d++)
        for (unsigned c = 0; c <= D; c++) {
            double v = 0.0;
            for (unsigned e = 0; e < D; e++)
                v += mp->to_index[e * D + d] * acc[e * (D + 1) + c];
            q[d * (D + 1) + c] = v;
        }
    for (size_t k = 0; k < n; k++) {
        double v = 0.0;
        for (unsigned d = 0; d < D; d++) {
            v += q[d * (D + 1) + D] * mp->j0[d * n + k];
            for (unsigned c = 0; c < D; c++)
                v += q[d * (D + 1) + c] * mp->dj[(c * D + d) * n + k];
        }
        out[k] = scale * v;
    }
}

/* Fixes the mapping at the transform's current parameters. */
static void
map_prepare(reg_moving_map_t *mp, reg_moving_batch_t *b, const reg_level_t *L,
            const reg_samples_t *s)
{
    const unsigned D = mp->dim;
    if (mp->bspline)
        pipit__reg_bspline_fast_refresh(&mp->bs);
    if (!mp->linear)
        return;
    (void)pipit_transform_get_matrix(L->transform, mp->m, mp->off);
    for (unsigned r = 0; r < D; r++) {
        double v = 0.0;
        for (unsigned k = 0; k < D; k++) {
            double a = 0.0;
            for (unsigned e = 0; e < D; e++)
                a += mp->to_index[r * D + e] * mp->m[e * D + k];
            mp->a[r * D + k] = a;
            v += mp->to_index[r * D + k] * (mp->off[k] - mp->origin[k]);
        }
        mp->b[r] = v;
    }
    /* The Jacobian at xref and one unit along each axis from it. */
    const size_t n = mp->n_params;
    for (unsigned d = 0; d < D; d++)
        mp->xref[d] = s->n > 0 ? s->points[d] : 0.0;
    for (unsigned c = 0; c <= D; c++) {
        double x[PIPIT_MAX_DIM];
        memcpy(x, mp->xref, sizeof x);
        if (c < D)
            x[c] += 1.0;
        size_t nz = pipit_transform_jacobian(L->transform, x, b->jac_index,
                                             b->jac_value);
        double *dst = c < D ? mp->dj + (size_t)c * D * n : mp->j0;
        memset(dst, 0, D * n * sizeof *dst);
        for (unsigned d = 0; d < D; d++)
            for (size_t k = 0; k < nz; k++)
                dst[d * n + b->jac_index[k]] = b->jac_value[d * nz + k];
    }
    for (unsigned c = 0; c < D; c++) {
        double *dst = mp->dj + (size_t)c * D * n;
        for (size_t k = 0; k < D * n; k++)
            dst[k] -= mp->j0[k];
    }
}

/* ---- metric_impl.h ---------------------------------------------------- */

pipit_status_t
pipit__reg_metric_common_configure(reg_metric_common_t *c, const reg_map_t *m,
                                   unsigned level)
{
    unsigned first;
    unsigned end = pipit__reg_config_levels(m, level, &first);
    /* From the last level down: the state keeps `first`'s values. */
    for (unsigned r = end; r-- > first;) {
        pipit_status_t st = pipit__reg_get_bool(m, "CheckNumberOfSamples", r,
                                                true, &c->check_samples);
        if (st == PIPIT_OK)
            st = pipit__reg_get_double(m, "RequiredRatioOfValidSamples", r,
                                       0.25, &c->required_ratio);
        if (st != PIPIT_OK)
            return st;
        if (c->required_ratio < 0.0 || c->required_ratio > 1.0)
            return pipit__reg_key_error(m, "RequiredRatioOfValidSamples", r,
                                        PIPIT_EINVAL,
                                        "must be between 0 and 1");
    }
    return PIPIT_OK;
}

static void
free_batches(reg_metric_common_t *c)
{
    for (unsigned t = 0; t < c->n_batches; t++)
        pipit__reg_moving_batch_free(&c->batches[t]);
    pipit__free(c->batches);
    c->batches = NULL;
    c->n_batches = 0;
}

static pipit_status_t
make_batches(reg_metric_common_t *c, const reg_level_t *L, unsigned n)
{
    free_batches(c);
    c->batches = pipit__calloc(n, sizeof *c->batches);
    if (c->batches == NULL)
        return PIPIT_ENOMEM;
    for (unsigned t = 0; t < n; t++) {
        pipit_status_t st = pipit__reg_moving_batch_init(
            &c->batches[t], L, REG_METRIC_BATCH);
        c->batches[t].map = &c->map;
        if (st == PIPIT_OK && c->map.bspline) {
            reg_moving_batch_t *b = &c->batches[t];
            b->bs = pipit__malloc((REG_METRIC_BATCH + 1) * sizeof *b->bs);
            if (b->bs == NULL)
                st = PIPIT_ENOMEM;
        }
        if (st != PIPIT_OK) {
            c->n_batches = t;
            free_batches(c);
            return st;
        }
        c->n_batches = t + 1;
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_metric_common_begin(reg_metric_common_t *c, const reg_level_t *L,
                               size_t head, size_t n_vectors)
{
    free_batches(c);
    pipit_reduction_unref(c->red);
    c->red = NULL;
    pipit__free(c->map.j0);
    pipit__free(c->map.dj);
    reg_moving_map_t *mp = &c->map;
    *mp = (reg_moving_map_t){ 0 };
    const unsigned D = L->dim;
    mp->dim = D;
    mp->n_params = L->n_params;
    mp->mask = L->moving_mask;
    mp->linear = pipit_transform_get_matrix(L->transform, NULL, NULL);
    mp->acc_len = mp->linear ? (size_t)D * (D + 1) : L->n_params;
    /* The fast path only where its parameter layout is the level's. */
    mp->bspline = !mp->linear &&
                  pipit__reg_bspline_fast_init(&mp->bs, L->transform) &&
                  mp->bs.dim == D &&
                  mp->bs.n_points * D == L->n_params &&
                  mp->bs.count <= REG_BSPLINE_MAX_SUPPORT;
    /* The moving grid through the interpolator's own snapshot: the index
     * of origin + e_k is column k of to_index. */
    const double *o = pipit_image_origin(L->moving);
    memcpy(mp->origin, o, D * sizeof *o);
    for (unsigned k = 0; k < D; k++) {
        double p[PIPIT_MAX_DIM], ci[PIPIT_MAX_DIM];
        memcpy(p, o, D * sizeof *p);
        p[k] += 1.0;
        pipit_interpolator_point_to_index(L->interp, p, ci);
        for (unsigned r = 0; r < D; r++)
            mp->to_index[r * D + k] = ci[r];
    }
    pipit_region_t br = pipit_image_buffered_region(L->moving);
    for (unsigned d = 0; d < D; d++) {
        mp->lo[d] = (double)br.lo[d] - 0.5;
        mp->hi[d] = (double)br.hi[d] - 0.5;
    }
    if (mp->linear) {
        mp->j0 = pipit__malloc((D * L->n_params + 1) * sizeof(double));
        mp->dj = pipit__malloc((D * D * L->n_params + 1) * sizeof(double));
        if (mp->j0 == NULL || mp->dj == NULL)
            return PIPIT_ENOMEM;
    }
    c->ready = true;
    c->acc_doubles = head + n_vectors * mp->acc_len;
    c->red = pipit_reduction_new(c->acc_doubles * sizeof(double), 0);
    if (c->red == NULL)
        return PIPIT_ENOMEM;
    unsigned n = pipit_pool_hold();
    pipit_status_t st = make_batches(c, L, n);
    pipit_pool_release();
    return st;
}

pipit_status_t
pipit__reg_metric_hold(reg_metric_common_t *c, const reg_level_t *L,
                       const reg_samples_t *s)
{
    if (c->red == NULL || !c->ready)
        return pipit__error(PIPIT_ESTATE,
                            "metric: evaluate before begin_level");
    unsigned n = pipit_pool_hold();
    if (n > c->n_batches) {
        pipit_status_t st = make_batches(c, L, n);
        if (st != PIPIT_OK) {
            pipit_pool_release();
            return st;
        }
    }
    map_prepare(&c->map, &c->batches[0], L, s);
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_metric_check_valid(const reg_metric_common_t *c, size_t n_valid,
                              size_t n)
{
    if (!c->check_samples)
        return PIPIT_OK;
    if ((double)n_valid < c->required_ratio * (double)n || n == 0)
        return pipit__error(PIPIT_ERANGE,
                            "Too many samples map outside moving image "
                            "buffer: %zu / %zu",
                            n_valid, n);
    return PIPIT_OK;
}

void
pipit__reg_metric_common_free(reg_metric_common_t *c)
{
    free_batches(c);
    pipit_reduction_unref(c->red);
    c->red = NULL;
    c->ready = false;
    pipit__free(c->map.j0);
    pipit__free(c->map.dj);
    c->map.j0 = c->map.dj = NULL;
}

/* ---- Extrema ---------------------------------------------------------- */

typedef struct {
    double min, max;
    size_t n;
} extrema_acc_t;

typedef struct {
    const pipit_image_t *img;
    const reg_mask_t *mask;
    pipit_region_t region;
    unsigned dim;
    size_t row; /* pixels per row */
    extrema_acc_t total;
} extrema_t;

/* Rows [lo, hi) of the buffered region, numbered y fastest. */
static pipit_status_t
extrema_rows(void *ctx, size_t lo, size_t hi, unsigned worker, void *acc)
{
    const extrema_t *e = ctx;
    extrema_acc_t *a = acc;
    (void)worker;
    const unsigned dim = e->dim;
    const pipit_pixel_type_t type = pipit_image_pixel_type(e->img);
    for (size_t r = lo; r < hi; r++) {
        size_t idx[PIPIT_MAX_DIM] = { 0 };
        size_t rest = r;
        for (unsigned d = 1; d < dim; d++) {
            size_t n = e->region.hi[d] - e->region.lo[d];
            idx[d] = e->region.lo[d] + rest % n;
            rest /= n;
        }
        idx[0] = e->region.lo[0];
        const void *row = pipit_image_pixel(e->img, idx);
        for (size_t x = 0; x < e->row; x++) {
            double v;
            if (type == PIPIT_F32) {
                v = ((const float *)row)[x];
            } else {
                idx[0] = e->region.lo[0] + x;
                v = pipit_image_get_value(e->img, idx, 0);
            }
            if (e->mask != NULL) {
                double ci[PIPIT_MAX_DIM], p[PIPIT_MAX_DIM];
                for (unsigned d = 0; d < dim; d++)
                    ci[d] = (double)idx[d];
                ci[0] = (double)(e->region.lo[0] + x);
                pipit_image_index_to_point(e->img, ci, p);
                if (!pipit__reg_mask_inside(e->mask, p))
                    continue;
            }
            if (a->n == 0 || v < a->min)
                a->min = v;
            if (a->n == 0 || v > a->max)
                a->max = v;
            a->n++;
        }
    }
    return PIPIT_OK;
}

static pipit_status_t
extrema_merge(void *ctx, const void *acc, size_t piece)
{
    extrema_acc_t *t = &((extrema_t *)ctx)->total;
    const extrema_acc_t *a = acc;
    (void)piece;
    if (a->n == 0)
        return PIPIT_OK;
    if (t->n == 0 || a->min < t->min)
        t->min = a->min;
    if (t->n == 0 || a->max > t->max)
        t->max = a->max;
    t->n += a->n;
    return PIPIT_OK;
}

pipit_status_t
pipit__reg_image_extrema(const pipit_image_t *img, const reg_mask_t *mask,
                         double *min, double *max)
{
    struct {
        extrema_t e;
    } ctx = { 0 };
    ctx.e.img = img;
    ctx.e.mask = mask;
    ctx.e.dim = pipit_image_dim(img);
    ctx.e.region = pipit_image_buffered_region(img);
    if (pipit_image_data(img) == NULL)
        return pipit__error(PIPIT_EINVAL, "metric: image without pixels");
    ctx.e.row = ctx.e.region.hi[0] - ctx.e.region.lo[0];
    size_t rows = 1;
    for (unsigned d = 1; d < ctx.e.dim; d++)
        rows *= ctx.e.region.hi[d] - ctx.e.region.lo[d];
    if (ctx.e.row == 0 || rows == 0)
        return pipit__error(PIPIT_EINVAL, "metric: empty image");
    size_t grain = 65536 / ctx.e.row + 1;
    pipit_status_t st =
        pipit_parallel_reduce(rows, grain, sizeof(extrema_acc_t),
                              extrema_rows, extrema_merge, &ctx);
    if (st != PIPIT_OK)
        return st;
    if (ctx.e.total.n == 0)
        return pipit__error(PIPIT_EINVAL,
                            "metric: no pixel of the image is inside its "
                            "mask");
    *min = ctx.e.total.min;
    *max = ctx.e.total.max;
    return PIPIT_OK;
}
